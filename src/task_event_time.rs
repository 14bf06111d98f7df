//! Event time in a task (after Flink's `StatusWatermarkValve` feeding `AbstractStreamOperator#processWatermark`): timestamped source lines, watermark propagation through the chain, late records, end of event time.

use super::*;

impl Task {
    /// A socket line with an event timestamp (a timestamp assigner on a line source): like
    /// [`Task::handle_line`], and the source's watermark generator (split 0) sees `timestamp`.
    pub fn handle_timestamped_line(
        &mut self,
        now_ms: u64,
        line: &str,
        input_seq: u64,
        timestamp: i64,
        counters: &mut SurvivingCounters,
    ) {
        if self.failed {
            return;
        }
        let Head::Line(s) = &mut self.head else { panic!("{}: a line on a non-line task", self.name) };
        let mut r = s.handle_line(line, input_seq);
        r.timestamp = Some(timestamp);
        if let Some(w) = &mut self.event_time.source {
            w.on_record(PartitionId(0), timestamp);
        }
        self.process(now_ms, r, counters);
        self.invariants();
    }

    /// The task's output watermark: the last one its chain advanced to (None before the first).
    pub fn current_watermark(&self) -> Option<Watermark> {
        self.event_time.current
    }

    /// The input valve (tasks with input channels): one over every channel, or one per input
    /// of a 1.11 two-input operator ([`InputValve`]).
    pub fn watermark_valve(&self) -> Option<&InputValve> {
        self.event_time.valve.as_ref()
    }

    /// The chained operators (to read event-time window state in tests and checkers).
    pub fn chain(&self) -> &[ChainedOperator] {
        &self.chain
    }

    pub(super) fn drain_valve(&mut self, now_ms: u64, counters: &mut SurvivingCounters) {
        while let Some(ev) = self.event_time.valve.as_mut().and_then(|v| v.poll_output()) {
            self.on_watermark_event(now_ms, ev, counters);
        }
    }

    pub(super) fn drain_source_watermarks(&mut self, now_ms: u64, counters: &mut SurvivingCounters) {
        while let Some(ev) = self.event_time.source.as_mut().and_then(|s| s.poll_output()) {
            self.on_watermark_event(now_ms, ev, counters);
        }
    }

    pub(super) fn on_watermark_event(&mut self, now_ms: u64, ev: WatermarkEvent, counters: &mut SurvivingCounters) {
        if self.failed {
            return;
        }
        match ev {
            WatermarkEvent::Watermark(wm) => self.advance_watermark(now_ms, wm, counters),
            WatermarkEvent::Status(status) => {
                if self.has_output() {
                    self.outputs.push_back(TaskOutput::EmitWatermarkStatus { status });
                }
            }
        }
    }

    /// Each operator in chain order processes the watermark (an event-time window fires its
    /// timers; the results run through the rest of the chain first), then it goes downstream
    /// (`AbstractStreamOperator.processWatermark`).
    pub(super) fn advance_watermark(&mut self, now_ms: u64, wm: Watermark, counters: &mut SurvivingCounters) {
        assert!(self.event_time.current.is_none_or(|c| wm > c), "{}: watermark {wm} does not advance", self.name);
        self.event_time.current = Some(wm);
        // The planted `watermark-before-window-results`: the watermark leaves ahead of the
        // results of the window timers it fires.
        let first = self.event_time.watermark_first
            && self.has_output()
            && self.chain.iter().any(|op| {
                op.operator.event_window().is_some_and(|w| w.spec().time == crate::window::WindowTime::Event)
            });
        if first {
            self.outputs.push_back(TaskOutput::EmitWatermark { watermark: wm });
        }
        if let Some(m) = &mut self.multi {
            // The head operator first (an event-time join's timers), its rows through the chain.
            let mut fired = std::mem::take(&mut self.scratch_a);
            fired.clear();
            if m.operator.process_watermark(wm, &mut fired) {
                self.end.dirty = true;
            }
            if self.event_time.assignments {
                self.take_join_judgments();
            }
            if fired.is_empty() {
                self.scratch_a = fired;
            } else {
                self.run_chain(now_ms, 0, fired, counters);
            }
        }
        for i in 0..self.chain.len() {
            if self.failed {
                return;
            }
            let mut fired = std::mem::take(&mut self.scratch_a);
            fired.clear();
            self.chain[i].operator.process_watermark(wm, &mut fired);
            if fired.is_empty() {
                self.scratch_a = fired;
            } else {
                // Timers changed the window state: the last snapshot no longer covers it.
                self.end.dirty = true;
                self.run_chain(now_ms, i + 1, fired, counters);
            }
        }
        if !self.failed && !first && self.has_output() {
            self.outputs.push_back(TaskOutput::EmitWatermark { watermark: wm });
        }
    }

    /// Per snapshot this attempt took since the last call, the late elements it had sent to a
    /// late side output consumed downstream before the snapshot's cut (the host's record of
    /// which late elements a checkpoint holds; none without such a side output).
    pub fn take_late_cuts(&mut self) -> Vec<(CheckpointId, u64)> {
        std::mem::take(&mut self.event_time.late_cuts)
    }

    /// The late elements the chain's event-time windows judged late in the last pass: each to
    /// every late side-output edge of the tail (the side tag's `RecordWriterOutput`s), then
    /// through the consumers chained onto that window's side output (`ChainingOutput`s with the
    /// late `OutputTag`, in Flink's output order: network outputs first), unless `chained` is
    /// false (user code already threw in this pass). `Err`: a chained consumer threw.
    pub(super) fn take_late_records(
        &mut self,
        now_ms: u64,
        counters: &mut SurvivingCounters,
        chained: bool,
    ) -> Result<(), String> {
        let mut result = Ok(());
        // The head's interval join first (session 34): its late elements went out before the
        // chain saw anything of the record (`IntervalJoinOperator#processElement` returns).
        let mut joined = Vec::new();
        if let Some(m) = &mut self.multi {
            m.operator.take_late_records(&mut joined);
        }
        for (side, record) in joined {
            let (tag, hops) = (LateTag::Join(side), self.late_hops(0, LateTag::Join(side)));
            let operator = self.name.to_string();
            self.send_late(now_ms, (tag, operator), record, &hops, counters, chained, &mut result);
        }
        let mut late = std::mem::take(&mut self.event_time.late);
        for i in 0..self.chain.len() {
            self.chain[i].operator.take_late_records(&mut late);
            if late.is_empty() {
                continue;
            }
            let hops = self.late_hops(i + 1, LateTag::Window);
            for record in late.drain(..) {
                let operator = (LateTag::Window, self.chain[i].instance.clone());
                self.send_late(now_ms, operator, record, &hops, counters, chained, &mut result);
            }
        }
        self.event_time.late = late;
        result
    }

    /// One late element of side output `tag` of `operator` (instance name): on every network
    /// edge with that tag (`WindowOperator#sideOutput` / `IntervalJoinOperator#sideOutput`, the
    /// side tag's `RecordWriterOutput`), recorded for the host, then through the `hops`
    /// chained onto that side output unless `chained` is false or a consumer threw already.
    #[allow(clippy::too_many_arguments)]
    fn send_late(
        &mut self,
        now_ms: u64,
        (tag, operator): (LateTag, String),
        record: Record,
        hops: &[ChainHop],
        counters: &mut SurvivingCounters,
        chained: bool,
        result: &mut Result<(), String>,
    ) {
        // A late side output consumed downstream: the element on every edge of its tag.
        let mut any = !hops.is_empty();
        for (partitioner, first, next_rr, _) in self.tail.edges_mut().into_iter().filter(|e| e.3 == Some(tag)) {
            any = true;
            if !self.event_time.late_lost {
                super::chain::route(partitioner, next_rr, *first, record.clone(), &mut self.outputs);
            }
        }
        self.event_time.late_sent += u64::from(any);
        self.outputs.push_back(TaskOutput::LateRecord { operator, tag, record: record.clone() });
        if !chained || result.is_err() || self.event_time.late_lost {
            return;
        }
        for &hop in hops {
            if let Err(e) = self.tree_hop(now_ms, hop, vec![record.clone()], counters) {
                *result = Err(e);
                break;
            }
        }
    }

    /// End of a bounded source input with a watermark strategy: `MAX_WATERMARK` fires every
    /// timer and goes downstream before the end of partition. (The end-of-input hook carries no
    /// surviving counters: operators chained after the window see the fired results with fresh
    /// injector counters.)
    pub(super) fn end_event_time(&mut self, now_ms: u64) {
        if let Some(s) = &mut self.event_time.source {
            s.end_of_input();
            let mut counters = SurvivingCounters::default();
            while let Some(ev) = self.event_time.source.as_mut().and_then(|s| s.poll_output()) {
                self.on_watermark_event(now_ms, ev, &mut counters);
            }
        }
    }

    /// Processing time: when the chain's earliest processing-time timer is due. `None`
    /// without one, once the task failed, stopped at a stop-with-savepoint, or its input
    /// ended (Flink quiesces the processing-time service at the end of input,
    /// `StreamOperatorWrapper.quiesceTimeServiceAndFinishOperator`: timers not yet due never fire).
    pub fn processing_timer_deadline(&self) -> Option<u64> {
        if !self.event_time.processing || self.failed || self.end.ended || self.end.stop.is_some() {
            return None;
        }
        let earliest = self.chain.iter().filter_map(|op| op.operator.next_processing_timer()).min()?;
        // A timer for `t` runs at `t + 1` (see `EventWindowOperator::advance_processing_time`).
        Some(u64::try_from(earliest.saturating_add(1)).unwrap_or(0))
    }

    /// Processing time reached `now_ms`: every processing-time window fires its due timers
    /// (`onProcessingTime`), the results run through the rest of the chain.
    pub fn handle_processing_timers(&mut self, now_ms: u64, counters: &mut SurvivingCounters) {
        if !self.event_time.processing || self.failed || self.end.ended || self.end.stop.is_some() {
            return;
        }
        self.fire_processing_timers(now_ms, counters);
        self.invariants();
    }

    fn fire_processing_timers(&mut self, now_ms: u64, counters: &mut SurvivingCounters) {
        let drop_due = std::mem::take(&mut self.event_time.drop_due_once);
        for i in 0..self.chain.len() {
            if self.failed {
                return;
            }
            if self.chain[i].operator.next_processing_timer().is_none_or(|t| t >= now_ms as i64) {
                continue;
            }
            // The window's state changes: the last snapshot no longer covers it.
            self.end.dirty = true;
            let mut fired = std::mem::take(&mut self.scratch_a);
            fired.clear();
            self.chain[i].operator.advance_processing_time(now_ms, drop_due, &mut fired);
            if fired.is_empty() {
                self.scratch_a = fired;
            } else {
                self.run_chain(now_ms, i + 1, fired, counters);
            }
        }
    }

    /// The end of input with a processing-time window: timers already due fire first (their
    /// callbacks were queued before the end of input), the others are dropped with the
    /// quiesced timer service (see [`Task::processing_timer_deadline`]).
    pub(super) fn end_processing_time(&mut self, now_ms: u64) {
        if self.event_time.processing && !self.failed && !self.end.ended && self.end.stop.is_none() {
            let mut counters = SurvivingCounters::default();
            self.fire_processing_timers(now_ms, &mut counters);
            if self.failed {
                return;
            }
            for op in &self.chain {
                let Some(w) = op.operator.event_window().filter(|w| w.next_processing_timer().is_some()) else {
                    continue;
                };
                let pending = w.timers().iter().map(|t| (t.key.clone(), t.window)).collect();
                self.outputs.push_back(TaskOutput::ProcessingTimersQuiesced { operator: op.instance.clone(), pending });
            }
        }
    }

    /// The chain's event-time windows record their firings from now on (for a host that
    /// judges them against the task's combined watermark; see [`Task::take_window_fires`]).
    pub fn record_window_fires(&mut self) {
        for op in &mut self.chain {
            op.operator.record_window_fires();
        }
    }

    /// The windows the chain's event-time windows fired since the last call, each with the
    /// watermark of its operator then (empty unless [`Task::record_window_fires`] was called).
    pub fn take_window_fires(&mut self, out: &mut Vec<(crate::window::TimeWindow, Watermark)>) {
        for op in &mut self.chain {
            op.operator.take_window_fires(out);
        }
    }

    /// Per snapshot this attempt took since the last call, how many window assignments it had
    /// handed to the host before the snapshot's cut (none unless a window of the task spec's
    /// chain was marked with `Operator::record_window_assignments` before [`Task::new`]: each
    /// element's windows then go to the host as [`TaskOutput::WindowAssigned`], empty when it
    /// was late there, the in-flight records a restore replays included). For a window fed by
    /// a late side output (session 28): which elements it takes depends on its unrestored
    /// watermark, so the checker reads this record.
    pub fn take_assignment_cuts(&mut self) -> Vec<(CheckpointId, u64)> {
        std::mem::take(&mut self.event_time.assignment_cuts)
    }

    /// A marked event-time join's judgments (session 29), as [`TaskOutput::JoinJudged`], taken
    /// as the join makes them (so a snapshot's cut count in `take_assignment_cuts` is exact).
    pub(super) fn take_join_judgments(&mut self) {
        let Some(m) = &mut self.multi else { return };
        let mut judged = Vec::new();
        m.operator.take_join_recorded(&mut judged);
        for (record, event) in judged {
            self.event_time.assigned_taken += 1;
            self.outputs.push_back(TaskOutput::JoinJudged { operator: self.name.to_string(), record, event });
        }
    }

    /// The processing-time windows' element assignments, as [`TaskOutput::WindowAssigned`].
    pub(super) fn take_window_assignments(&mut self) {
        let mut assigned = Vec::new();
        for op in &mut self.chain {
            op.operator.take_assigned(&mut assigned);
            for (record, windows) in assigned.drain(..) {
                self.event_time.assigned_taken += 1;
                self.outputs.push_back(TaskOutput::WindowAssigned { operator: op.instance.clone(), record, windows });
            }
        }
    }
}
