//! A task with several input gates (after Flink's `StreamMultipleInputProcessor` / `StreamTwoInputProcessor`): channel-to-gate mapping, end of every input, elements that bypass the barrier handler.

use super::*;

impl Task {
    /// The input gates of a task with several inputs (None otherwise).
    pub fn input_gates(&self) -> Option<&InputGates> {
        self.multi.as_ref().map(|m| &m.gates)
    }

    /// The barrier handler's channel for input channel `ch`: the same, except under the planted
    /// [`Variant::SnapshotAfterFirstGate`], where channels of later gates have none.
    pub(super) fn handler_channel(&self, ch: ChannelId) -> Option<ChannelId> {
        match &self.multi {
            Some(m) if m.first_gate_only && m.gates.gate(ch) > 0 => None,
            _ => Some(ch),
        }
    }

    /// Whether records leave this task through output channels (not a sink).
    pub(super) fn has_output(&self) -> bool {
        match &self.tail {
            Tail::Output { .. } | Tail::Multi(_) => true,
            Tail::Tree(t) => t.ends.iter().any(|e| matches!(e, TreeEnd::Edge(_))),
            Tail::Print(_) | Tail::TwoPc(_) => false,
        }
    }

    /// Every input channel delivered EndOfPartition (alignment already counts only the live ones).
    pub(super) fn all_inputs_ended(&self) -> bool {
        match (&self.head, &self.multi) {
            (Head::Inputs(_), Some(m)) => self.end.ended_channels >= m.gates.num_channels(),
            (Head::Inputs(h), None) => h.num_open_channels() == 0,
            _ => false,
        }
    }

    /// Runs a record from input channel `ch` through the head operator (several gates) and the chain.
    pub(super) fn process_from(
        &mut self,
        now_ms: u64,
        ch: ChannelId,
        record: Record,
        counters: &mut SurvivingCounters,
    ) {
        let Some(m) = &mut self.multi else {
            self.process(now_ms, record, counters);
            return;
        };
        self.records_in += 1;
        self.end.dirty = true;
        let side = m.gates.gate(ch);
        if m.later_gates_lost && side > 0 {
            // The planted `later-gate-lost-on-restore`: the record is gone.
            return;
        }
        let mut record = record;
        if m.gates.tag_paths {
            record.lineage = crate::two_input::path_lineage(record.lineage, side);
        }
        let mut cur = std::mem::take(&mut self.scratch_a);
        cur.clear();
        let mut ctx = OperatorContext { now_ms, counters, instance: &self.name };
        if let Err(e) = m.operator.process(&mut ctx, side, record, &mut cur) {
            self.scratch_a = cur;
            self.fail(e.to_string());
            return;
        }
        if self.event_time.assignments {
            self.take_join_judgments();
        }
        self.run_chain(now_ms, 0, cur, counters);
    }

    /// The planted bug's path for a channel of a later gate: records are processed at once,
    /// barriers and cancel markers ignored, end of partition counted.
    pub(super) fn bypass_handler(
        &mut self,
        now_ms: u64,
        ch: ChannelId,
        element: StreamElement,
        counters: &mut SurvivingCounters,
    ) {
        match element {
            StreamElement::Record(r) => self.process_from(now_ms, ch, r, counters),
            StreamElement::EndOfPartition => {
                self.end.ended_channels += 1;
                self.end.data_ended.insert(ch);
                self.after_end_of_channel(now_ms);
            }
            StreamElement::EndOfData => {
                self.end.saw_end_of_data = true;
                self.end.data_ended.insert(ch);
                self.after_end_of_channel(now_ms);
            }
            _ => {}
        }
    }
}
