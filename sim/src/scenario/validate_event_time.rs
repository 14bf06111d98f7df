//! Semantic validation, part 4: event time — a log source's watermark strategy, the `event_window` operator, and the cross-checks between them and the input's timestamps (semantics §11).

use super::*;
use crate::scenario::limits::MAX_STOP_AT_MS;
use ckptsim::operator::{Aggregate, OperatorSpecError};
use ckptsim::watermark::{GeneratorKind, WatermarkStrategy, DEFAULT_AUTO_WATERMARK_INTERVAL_MS};
use ckptsim::window::{EventWindowSpec, WindowAssigner, WindowTime};

/// The watermark generators a source accepts in `watermarks`.
pub const WATERMARK_NAMES: [&str; 3] = ["bounded-out-of-orderness", "monotonous", "none"];
/// The window kinds an `event_window` accepts in `window`.
pub const WINDOW_NAMES: [&str; 3] = ["tumbling", "sliding", "session"];
/// What an `event_window` does with late records (`late_records`).
pub const LATE_RECORD_NAMES: [&str; 2] = ["drop", "side-output"];
/// Largest absolute event timestamp (`ts_ms`): window arithmetic stays far from overflow.
pub const MAX_EVENT_TIME_MS: u64 = 1 << 50;
/// Periodic watermark emissions per run (`stop_at_ms / auto_watermark_interval_ms` x source
/// subtasks), bounded like the buffer-timeout flushes.
pub const MAX_WATERMARK_EMISSIONS: u64 = 20_000_000;

/// The watermark-strategy keys of a source and whether each is set, `watermarks` first.
fn source_keys(r: &RawOperator) -> [(&'static str, bool); 4] {
    [
        ("watermarks", r.watermarks.is_some()),
        ("max_out_of_orderness_ms", r.max_out_of_orderness_ms.is_some()),
        ("idle_timeout_ms", r.idle_timeout_ms.is_some()),
        ("auto_watermark_interval_ms", r.auto_watermark_interval_ms.is_some()),
    ]
}

impl Ctx<'_> {
    /// A non-negative duration key in ms (`what` names the rule in the message).
    fn non_negative_ms(&self, path: &str, v: i64) -> Res<u64> {
        u64::try_from(v).map_err(|_| self.err(path, format!("must be >= 0 (got {v})")))
    }

    /// The event-time keys of operator `i`: the source keys only on a `log-source`, the window
    /// keys only on an `event_window`. Returns the source's watermark strategy (`None` for
    /// `"none"` or no event time) and whether its records carry timestamps.
    pub(super) fn source_event_time(
        &self,
        i: usize,
        r: &RawOperator,
        kind: &str,
    ) -> Res<(Option<WatermarkStrategy>, bool)> {
        self.event_time_keys_belong(i, r, kind)?;
        if kind != "log-source" {
            return Ok((None, false));
        }
        let p = |key: &str| format!("operators[{i}].{key}");
        let Some(w) = r.watermarks.as_deref() else {
            if let Some((key, _)) = source_keys(r).iter().skip(1).find(|(_, present)| *present) {
                return Err(self.err(
                    &p(key),
                    format!("`{key}` needs a watermark strategy: set `watermarks` ({})", list(&WATERMARK_NAMES)),
                ));
            }
            return Ok((None, false));
        };
        self.watermark_strategy(i, r, w).map(|strategy| (Some(strategy), true))
    }

    /// The source keys only on a `log-source`, the window keys only on an `event_window` (a
    /// window join's `size_ms`, a processing-time window's keys but lateness excepted).
    fn event_time_keys_belong(&self, i: usize, r: &RawOperator, kind: &str) -> Res<()> {
        let p = |key: &str| format!("operators[{i}].{key}");
        let source_keys = source_keys(r);
        let window_keys = [
            ("window", r.window.is_some()),
            ("size_ms", r.size_ms.is_some()),
            ("slide_ms", r.slide_ms.is_some()),
            ("gap_ms", r.gap_ms.is_some()),
            ("offset_ms", r.offset_ms.is_some()),
            ("aggregate", r.aggregate.is_some()),
            ("allowed_lateness_ms", r.allowed_lateness_ms.is_some()),
            ("late_records", r.late_records.is_some()),
        ];
        if kind != "log-source" {
            if let Some((key, _)) = source_keys.iter().find(|(_, present)| *present) {
                let why = if kind == "socket-source" {
                    "a socket source's lines carry no event timestamps; event time needs a log-source"
                } else {
                    "it is a source's watermark strategy"
                };
                return Err(self.err(&p(key), format!("`{key}` only applies to log-source, not {kind}: {why}")));
            }
        }
        if kind != "event_window" {
            // A window join takes its window's size and slide (sliding windows) and nothing else
            // of a window's keys; a processing-time window all but the lateness keys (its
            // elements are never late).
            let join_size = |key: &str| kind == "window_join" && matches!(key, "size_ms" | "slide_ms");
            let lateness = |key: &str| matches!(key, "allowed_lateness_ms" | "late_records");
            let processing = |key: &str| kind == "processing_window" && !lateness(key);
            if let Some((key, _)) =
                window_keys.iter().find(|(key, present)| *present && !join_size(key) && !processing(key))
            {
                let why = if kind == "processing_window" {
                    " (a processing-time window has no late elements: Flink's WindowOperator judges lateness \
                     for event time only)"
                } else {
                    ""
                };
                return Err(self.err(&p(key), format!("`{key}` only applies to event_window, not {kind}{why}")));
            }
        }
        Ok(())
    }

    /// The watermark strategy `w` of the log source at operator `i`, with its generator's bound,
    /// idle timeout and emission interval (`"none"`: timestamps without watermarks).
    fn watermark_strategy(&self, i: usize, r: &RawOperator, w: &str) -> Res<WatermarkStrategy> {
        let p = |key: &str| format!("operators[{i}].{key}");
        let source_keys = source_keys(r);
        let generator = match w {
            "bounded-out-of-orderness" => {
                let bound = r.max_out_of_orderness_ms.ok_or_else(|| {
                    self.missing(
                        &p("max_out_of_orderness_ms"),
                        "the out-of-orderness bound of bounded-out-of-orderness",
                    )
                })?;
                let bound = self.non_negative_ms(&p("max_out_of_orderness_ms"), bound)?;
                GeneratorKind::BoundedOutOfOrderness { max_out_of_orderness_ms: bound }
            }
            "monotonous" | "none" => {
                if r.max_out_of_orderness_ms.is_some() {
                    return Err(self.err(
                        &p("max_out_of_orderness_ms"),
                        format!("`max_out_of_orderness_ms` only applies to watermarks = \"bounded-out-of-orderness\", not \"{w}\""),
                    ));
                }
                GeneratorKind::MonotonousTimestamps
            }
            other => {
                return Err(self.err(
                    &p("watermarks"),
                    format!("unknown watermark strategy `{other}`; expected {}", list(&WATERMARK_NAMES)),
                ))
            }
        };
        if w == "none" {
            for (key, present) in source_keys.iter().skip(2) {
                if *present {
                    return Err(self.err(&p(key), format!("`{key}` does not apply to watermarks = \"none\"")));
                }
            }
            let none = WatermarkStrategy {
                generator,
                idle_timeout_ms: None,
                auto_watermark_interval_ms: crate::spec::NO_WATERMARKS_INTERVAL_MS,
            };
            return Ok(none);
        }
        let idle_timeout_ms = match r.idle_timeout_ms {
            None => None,
            Some(v) => {
                let v = self.non_negative_ms(&p("idle_timeout_ms"), v)?;
                if v == 0 {
                    return Err(
                        self.err(&p("idle_timeout_ms"), "must be > 0 (Flink: idleTimeout must be greater than zero)")
                    );
                }
                Some(v)
            }
        };
        let interval = match r.auto_watermark_interval_ms {
            None => DEFAULT_AUTO_WATERMARK_INTERVAL_MS,
            Some(v) => {
                let v = self.non_negative_ms(&p("auto_watermark_interval_ms"), v)?;
                if v == 0 {
                    return Err(self.err(
                        &p("auto_watermark_interval_ms"),
                        "must be >= 1 (0 disables periodic watermarks, which the model does not run)",
                    ));
                }
                v
            }
        };
        let strategy = WatermarkStrategy { generator, idle_timeout_ms, auto_watermark_interval_ms: interval };
        strategy.validate().map_err(|e| self.err(&p("watermarks"), e.to_string()))?;
        Ok(strategy)
    }

    /// The `event_window` (or, `time` = processing, `processing_window`) operator `i`.
    pub(super) fn event_window(&self, i: usize, r: &RawOperator, time: WindowTime) -> Res<EventWindowSpec> {
        let p = |key: &str| format!("operators[{i}].{key}");
        let window = r.window.as_deref().ok_or_else(|| self.missing(&p("window"), "tumbling, sliding or session"))?;
        if window == "session" {
            return self.session_window(i, r, time);
        }
        if r.gap_ms.is_some() {
            return Err(self.err(&p("gap_ms"), "`gap_ms` only applies to window = \"session\""));
        }
        if time == WindowTime::Processing {
            if let Some(key) =
                [("allowed_lateness_ms", r.allowed_lateness_ms.is_some()), ("late_records", r.late_records.is_some())]
                    .into_iter()
                    .find_map(|(k, present)| present.then_some(k))
            {
                return Err(self.err(
                    &p(key),
                    format!("`{key}` does not apply to a processing_window: its elements are never late (Flink's WindowOperator judges lateness for event time only)"),
                ));
            }
        }
        let size = r.size_ms.ok_or_else(|| self.missing(&p("size_ms"), "the window size"))?;
        if size <= 0 {
            return Err(self.err(&p("size_ms"), format!("must be > 0 (got {size})")));
        }
        let offset_ms = r.offset_ms.unwrap_or(0);
        let assigner = match window {
            "tumbling" => {
                if r.slide_ms.is_some() {
                    return Err(self.err(&p("slide_ms"), "`slide_ms` only applies to window = \"sliding\""));
                }
                WindowAssigner::Tumbling { size_ms: size as u64, offset_ms }
            }
            "sliding" => {
                let slide = r.slide_ms.ok_or_else(|| self.missing(&p("slide_ms"), "the slide of a sliding window"))?;
                if slide <= 0 {
                    return Err(self.err(&p("slide_ms"), format!("must be > 0 (got {slide})")));
                }
                WindowAssigner::Sliding { size_ms: size as u64, slide_ms: slide as u64, offset_ms }
            }
            other => {
                return Err(
                    self.err(&p("window"), format!("unknown window `{other}`; expected {}", list(&WINDOW_NAMES)))
                )
            }
        };
        if let Err(e) = assigner.validate() {
            let key = match e {
                OperatorSpecError::WindowSlide { .. } => "slide_ms",
                OperatorSpecError::WindowOffset { .. } => "offset_ms",
                _ => "size_ms",
            };
            return Err(self.err(&p(key), e.to_string()));
        }
        let (aggregate, allowed_lateness_ms, late_side_output) = self.window_function_keys(i, r)?;
        let spec = EventWindowSpec { assigner, aggregate, allowed_lateness_ms, late_side_output, purging: false, time };
        spec.validate().map_err(|e| self.err(&p("allowed_lateness_ms"), e.to_string()))?;
        Ok(spec)
    }

    /// The aggregate, allowed lateness and late-records keys of window operator `i`.
    fn window_function_keys(&self, i: usize, r: &RawOperator) -> Res<(Aggregate, u64, bool)> {
        let p = |key: &str| format!("operators[{i}].{key}");
        let aggregate = match r.aggregate.as_deref() {
            None => Aggregate::Sum,
            Some(a) => Aggregate::parse(a).ok_or_else(|| {
                self.err(&p("aggregate"), format!("unknown aggregate `{a}`; expected {}", list(&Aggregate::names())))
            })?,
        };
        let allowed_lateness_ms = match r.allowed_lateness_ms {
            None => 0,
            Some(v) => self.non_negative_ms(&p("allowed_lateness_ms"), v)?,
        };
        let late_side_output = match r.late_records.as_deref() {
            None | Some("drop") => false,
            Some("side-output") => true,
            Some(o) => {
                return Err(self
                    .err(&p("late_records"), format!("unknown choice `{o}`; expected {}", list(&LATE_RECORD_NAMES))))
            }
        };
        Ok((aggregate, allowed_lateness_ms, late_side_output))
    }

    /// Session 41: `window = "session"` (`EventTimeSessionWindows.withGap(gap_ms)`): `gap_ms`
    /// REQUIRED and > 0; `size_ms`, `slide_ms`, `offset_ms` refused; event time only.
    fn session_window(&self, i: usize, r: &RawOperator, time: WindowTime) -> Res<EventWindowSpec> {
        let p = |key: &str| format!("operators[{i}].{key}");
        if time == WindowTime::Processing {
            return Err(self.err(
                &p("window"),
                "a processing_window cannot be a session window (ProcessingTimeSessionWindows is not modelled)",
            ));
        }
        for (key, present) in
            [("size_ms", r.size_ms.is_some()), ("slide_ms", r.slide_ms.is_some()), ("offset_ms", r.offset_ms.is_some())]
        {
            if present {
                return Err(self.err(
                    &p(key),
                    format!("`{key}` does not apply to window = \"session\" (a session window has only `gap_ms`)"),
                ));
            }
        }
        let gap = r.gap_ms.ok_or_else(|| self.missing(&p("gap_ms"), "the gap of a session window"))?;
        if gap <= 0 {
            return Err(self.err(&p("gap_ms"), format!("must be > 0 (got {gap})")));
        }
        let assigner = WindowAssigner::Session { gap_ms: gap as u64 };
        assigner.validate().map_err(|e| self.err(&p("gap_ms"), e.to_string()))?;
        let (aggregate, allowed_lateness_ms, late_side_output) = self.window_function_keys(i, r)?;
        let spec = EventWindowSpec { assigner, aggregate, allowed_lateness_ms, late_side_output, purging: false, time };
        spec.validate().map_err(|e| self.err(&p("allowed_lateness_ms"), e.to_string()))?;
        Ok(spec)
    }

    /// Session 41, widened in session 42: the shapes the `windows` checker judges session
    /// windows in, and no other. Upstream of the session window: log sources, unions (no late
    /// side output on a gate) and one-input `map | flat_map | filter | key_by | rebalance` (the
    /// reference folds the input through them, `check/windows_graph.rs` `arrivals`, the window's
    /// watermark the minimum over its inputs). Downstream: one-input functions of the window's
    /// results (`map | filter | flat_map` with a function defined on `(key, n)`, `key_by`,
    /// `rebalance`) into one or more sinks (each judged through its own chain,
    /// `check/windows_chain.rs`), and at most one sink reading its late side output directly
    /// (`inputs = ["<window>.late"]`). Session 43: on a branch, `key_by` then a keyed `sum` or
    /// `count` of the results, then only `key_by` and sinks (`check/windows_session_agg.rs`
    /// reads its rows as running histories). Everything else is refused: another window before or after
    /// it (the other references assume fixed windows), joins, connect, broadcast, its
    /// results into a union, its late output into other operators. Session 42: operators on no
    /// path through it (another branch of the graph) are judged as the graph allows them
    /// elsewhere, a tumbling or sliding window there beside it (`check/graph.rs` `beside`); a
    /// processing-time window or a second session window there is refused.
    fn session_window_shape(&self, operators: &[OperatorSpec]) -> Res<()> {
        let is_session =
            |o: &OperatorSpec| matches!(&o.kind, OperatorKindSpec::EventWindow(w) if w.assigner.is_merging());
        let Some(i) = operators.iter().position(is_session) else { return Ok(()) };
        let why =
            "a session window is judged only after log sources, unions and map/flat_map/filter/key_by/rebalance, \
                   followed by map/filter/flat_map of its results (identity, double_value, even_value), key_by and \
                   rebalance into sinks, or by key_by then a keyed sum or count then key_by and sinks, with at most \
                   one more sink reading its late side output";
        let ins = |j: usize| -> Vec<usize> {
            let o = &operators[j];
            if o.kind.is_source() {
                Vec::new()
            } else if o.inputs.is_empty() {
                j.checked_sub(1).into_iter().collect()
            } else {
                o.inputs.clone()
            }
        };
        let upstream = |from: usize| {
            let mut seen = vec![false; operators.len()];
            let mut todo = vec![from];
            while let Some(k) = todo.pop() {
                if !std::mem::replace(&mut seen[k], true) {
                    todo.extend(ins(k));
                }
            }
            seen
        };
        let before = upstream(i);
        let one_input = |j: usize, o: &OperatorSpec| ins(j).len() == 1 && !o.late_input && o.late_gate.is_none();
        let function = |o: &OperatorSpec, results: bool| match &o.kind {
            OperatorKindSpec::Map { function: u }
            | OperatorKindSpec::FlatMap { function: u }
            | OperatorKindSpec::Filter { function: u } => !results || u.takes_window_results(),
            OperatorKindSpec::KeyBy | OperatorKindSpec::Rebalance => true,
            _ => false,
        };
        let (mut main_sinks, mut late_sinks) = (0usize, 0usize);
        let after: Vec<bool> = (0..operators.len()).map(|j| j != i && upstream(j)[i]).collect();
        // The operators on a path through the window first, then those on none.
        let order = (0..operators.len())
            .filter(|j| before[*j] || after[*j])
            .chain((0..operators.len()).filter(|j| !before[*j] && !after[*j]));
        for j in order {
            let o = &operators[j];
            let after = after[j];
            // (the kind is allowed there, its inputs are)
            let (kind_ok, inputs_ok) = if j == i {
                (true, one_input(j, o))
            } else if before[j] {
                match o.kind {
                    OperatorKindSpec::LogSource { .. } => (true, true),
                    OperatorKindSpec::Union => (true, !o.late_input && o.late_gate.is_none()),
                    _ => (function(o, false), one_input(j, o)),
                }
            } else if after && o.late_input {
                late_sinks += 1;
                (o.kind.is_sink(), ins(j) == [i] && late_sinks == 1)
            } else if after {
                main_sinks += usize::from(o.kind.is_sink());
                let up = upstream(j);
                let on_main = (0..operators.len()).all(|k| !up[k] || k == j || !operators[k].late_input);
                let kind_ok = o.kind.is_sink() || after_aggregate_ok(operators, i, j, &up, function(o, true));
                (kind_ok, one_input(j, o) && on_main)
            } else {
                // On no path through the window (session 42): another branch of the graph, judged
                // as the graph allows it elsewhere (a tumbling or sliding window there is judged
                // beside the session window, `check/graph.rs` `beside`), but no processing-time
                // window and no second session window.
                let kind_ok = match &o.kind {
                    OperatorKindSpec::EventWindow(w) => w.time == WindowTime::Event && !w.assigner.is_merging(),
                    _ => true,
                };
                (kind_ok, true)
            };
            if !(kind_ok && inputs_ok) {
                let key = if kind_ok { "inputs" } else { "kind" };
                return Err(self.err(
                    &format!("operators[{j}].{key}"),
                    format!("`{}` with the session window `{}`: {why}", o.name, operators[i].name),
                ));
            }
        }
        if main_sinks == 0 {
            return Err(self.err(
                &format!("operators[{i}].kind"),
                format!("the session window `{}` needs a sink after it: {why}", operators[i].name),
            ));
        }
        Ok(())
    }

    /// Cross-checks: timestamps in the input exactly when the source has event time; an
    /// `event_window` needs a source with event time and is followed directly by the sink.
    pub(super) fn event_time_consistency(
        &self,
        operators: &[OperatorSpec],
        input: &InputSpec,
        source_inputs: &[(String, InputSpec)],
        stop_at_ms: u64,
    ) -> Res<()> {
        let any_event_time = operators.iter().any(|o| o.kind.is_source() && o.event_time);
        self.session_window_shape(operators)?;
        // Session 40: a broadcast process's event-time timers sit at each keyed record's
        // timestamp and fire on the combined watermark of both inputs.
        let timed =
            |o: &OperatorSpec| matches!(o.kind, OperatorKindSpec::BroadcastProcess { timer_delay_ms: Some(_), .. });
        if let Some(i) = operators.iter().position(timed) {
            if let Some(s) = operators.iter().find(|o| o.kind.is_source() && !o.event_time) {
                return Err(self.err(
                    &format!("operators[{i}].timer_delay_ms"),
                    format!(
                        "`{}` registers event-time timers: every source needs `watermarks` (and timestamps on its input); `{}` has none",
                        operators[i].name, s.name
                    ),
                ));
            }
        }
        if let Some(i) = operators.iter().position(|o| matches!(o.kind, OperatorKindSpec::EventJoin(_))) {
            // IntervalJoinOperator / WindowOperator throw on records without timestamps.
            if let Some(s) = operators.iter().find(|o| o.kind.is_source() && !o.event_time) {
                return Err(self.err(
                    &format!("operators[{i}].kind"),
                    format!(
                        "`{}` joins by event time: every source needs `watermarks` (and timestamps on its input); `{}` has none",
                        operators[i].name, s.name
                    ),
                ));
            }
            // A joined row is named by the pair of its inputs; several records of one input
            // (flat_map) would give two rows one name. A flat_map on a late side branch (before
            // a late-fed join, session 31) names each output by its own lineage (`sub`), and
            // the late-join checker follows those lineages, so it stays; so does one behind a
            // late-fed join (session 35: the checker passes the join's recorded rows through it).
            let on_late_branch = |mut k: usize| loop {
                match operators[k].inputs.as_slice() {
                    [up] if operators[k].late_input => break Some(*up),
                    [up] => k = *up,
                    _ => break None,
                }
            };
            let behind_late_join = |mut k: usize| loop {
                match operators[k].inputs.as_slice() {
                    [up] => k = *up,
                    ins => {
                        break matches!(operators[k].kind, OperatorKindSpec::EventJoin(_))
                            && ins.iter().any(|u| on_late_branch(*u).is_some())
                    }
                }
            };
            if let Some(f) = operators.iter().enumerate().position(|(k, o)| {
                matches!(o.kind, OperatorKindSpec::FlatMap { .. })
                    && on_late_branch(k).is_none()
                    && !behind_late_join(k)
            }) {
                return Err(self.err(
                    &format!("operators[{f}].kind"),
                    format!(
                        "a job with `{}` ({}) has no flat_map: joined rows are named by the pair of their inputs",
                        operators[i].name,
                        operators[i].kind.name()
                    ),
                ));
            }
        }
        if source_inputs.is_empty() {
            self.source_event_time_input(0, operators, input, "input", stop_at_ms, any_event_time)
        } else {
            for (name, inp) in source_inputs {
                let k = operators.iter().position(|o| &o.name == name).expect("inputs name sources (validated)");
                self.source_event_time_input(k, operators, inp, &format!("inputs.{name}"), stop_at_ms, any_event_time)?;
            }
            Ok(())
        }
    }

    /// The event-time rules of one source (`operators[k]`) and its input table (`at`).
    fn source_event_time_input(
        &self,
        k: usize,
        operators: &[OperatorSpec],
        input: &InputSpec,
        at: &str,
        stop_at_ms: u64,
        any_event_time: bool,
    ) -> Res<()> {
        let source = &operators[k];
        for i in (0..operators.len()).filter(|i| matches!(operators[*i].kind, OperatorKindSpec::EventWindow(_))) {
            self.window_placement(i, operators, any_event_time)?;
        }
        if let Some(w) = &source.watermarks {
            // One periodic emission per interval and source subtask: bounded like flushes.
            let emissions = stop_at_ms / w.auto_watermark_interval_ms * u64::from(source.parallelism);
            if emissions > MAX_WATERMARK_EMISSIONS {
                return Err(self.err(
                    &format!("operators[{k}].auto_watermark_interval_ms"),
                    format!(
                        "stop_at_ms / auto_watermark_interval_ms x source parallelism = {emissions} periodic \
                         watermark emissions, more than {MAX_WATERMARK_EMISSIONS}"
                    ),
                ));
            }
        }
        self.input_timestamps(source, input, at)
    }

    /// The window at `operators[i]`: event time unless it is a processing-time window, only
    /// partitionings, functions of its results `(key, n)` and later windows between it and the
    /// sink (after an event-time window event- or processing-time ones, after a processing-time
    /// window processing-time ones only).
    fn window_placement(&self, i: usize, operators: &[OperatorSpec], any_event_time: bool) -> Res<()> {
        let is_processing =
            |o: &OperatorSpec| matches!(&o.kind, OperatorKindSpec::EventWindow(w) if w.time == WindowTime::Processing);
        let processing = is_processing(&operators[i]);
        // A processing-time window needs no event time (its results are judged against the
        // run's assignments).
        if !processing && !any_event_time {
            return Err(self.err(
                &format!("operators[{i}].kind"),
                "an event_window needs event time: set `watermarks` on the log-source (and timestamps on the input)",
            ));
        }
        // Between the window and its sink (in file order) only partitionings, stateless
        // functions defined on a window's results `(key, n)` and further windows (windows after
        // windows: each later event-time window's reference is folded from the earlier window's
        // results, `check/windows_stages.rs`; a last processing-time window is judged from the
        // run's own assignments, `check/windows_processing.rs`); the windows checker applies the
        // functions to its reference results (`check/windows_chain.rs`).
        let kept = |o: &OperatorSpec| match &o.kind {
            OperatorKindSpec::Map { function: u }
            | OperatorKindSpec::FlatMap { function: u }
            | OperatorKindSpec::Filter { function: u } => u.takes_window_results(),
            OperatorKindSpec::Rebalance | OperatorKindSpec::KeyBy => true,
            // Session 43: a keyed running aggregate after a session window (its shape checked by
            // `session_window_shape`).
            OperatorKindSpec::Aggregate(_) => {
                matches!(&operators[i].kind, OperatorKindSpec::EventWindow(w) if w.assigner.is_merging())
            }
            // The window's results meeting a late side output in a union or connect (session
            // 27): the checkers split its sink's rows by gate (`check/graph.rs`).
            OperatorKindSpec::Union if o.late_gate.is_some() && o.inputs.contains(&i) => true,
            OperatorKindSpec::Connect { first, second } if o.late_gate.is_some() && o.inputs.contains(&i) => {
                if o.inputs.first() == Some(&i) {
                    first.takes_window_results()
                } else {
                    second.takes_window_results()
                }
            }
            // Windows after windows: event time after event time, processing time after either
            // (session 26; a processing-time window assigns by arrival, whatever fed it).
            OperatorKindSpec::EventWindow(_) => !processing || is_processing(o),
            _ => false,
        };
        let next = (i + 1..operators.len()).find(|j| !kept(&operators[*j]));
        if let Some(j) = next.filter(|j| matches!(operators[*j].kind, OperatorKindSpec::EventWindow(_))) {
            return Err(self.err(
                &format!("operators[{j}].kind"),
                "an event_window after a processing_window is not modelled: the processing-time window's results \
                 carry its processing-time window's maxTimestamp as event time, which no input fixes (windows after \
                 windows: event_window after event_window, processing_window after either)",
            ));
        }
        // A later window of windows after windows never meets a late result (the earlier
        // window emits its results ahead of the watermark that fires them), so a late side
        // output there would stay empty in Flink. Session 40: a window beside the first (fed by
        // no window, `late-windows-join`) may have one: the run keeps each window's late
        // elements apart (`world/late_record.rs`) and every late rule reads its own window's.
        if matches!(&operators[i].kind, OperatorKindSpec::EventWindow(w) if w.late_side_output)
            && window_upstream(i, operators)
        {
            let why = "a window after a window gets no late elements (the earlier window's results leave ahead of \
                 the watermark that fired them): `late_records = \"side-output\"` applies to the first window only of windows in a row (a window \
                 beside it, fed by no window, may have its own)";
            return Err(self.err(&format!("operators[{i}].late_records"), why));
        }
        if !next.is_some_and(|j| operators[j].kind.is_sink()) {
            let which = if processing { "a processing_window" } else { "an event_window" };
            return Err(self.err(
                &format!("operators[{}].kind", next.unwrap_or(i + 1)),
                format!("{which} must be followed by the sink, directly or through partitionings and functions of its results `(key,n)` (identity, double_value, even_value: the window checker judges its results) or later windows (event_window or processing_window after an event_window, processing_window after a processing_window)"),
            ));
        }
        Ok(())
    }

    /// The input table `at` of `source`: timestamps exactly where the source has event time,
    /// within bounds.
    fn input_timestamps(&self, source: &OperatorSpec, input: &InputSpec, at: &str) -> Res<()> {
        match input {
            InputSpec::Records { records, .. } => {
                for (j, r) in records.iter().enumerate() {
                    match (r.ts_ms, source.event_time) {
                        (Some(_), false) => {
                            return Err(self.err(
                                &format!("{at}.records[{j}].ts_ms"),
                                "`ts_ms` needs event time: set `watermarks` on the log-source",
                            ))
                        }
                        (None, true) => {
                            return Err(self.missing(
                                &format!("{at}.records[{j}].ts_ms"),
                                "the record's event timestamp: the source has `watermarks`",
                            ))
                        }
                        (Some(ts), true) if ts.unsigned_abs() > MAX_EVENT_TIME_MS => {
                            return Err(self.err(
                                &format!("{at}.records[{j}].ts_ms"),
                                format!("must be within +-{MAX_EVENT_TIME_MS} (got {ts})"),
                            ))
                        }
                        _ => {}
                    }
                }
            }
            InputSpec::Generator { generator, .. } => {
                if generator.ts_jitter_ms > 0 && !source.event_time {
                    return Err(self.err(
                        &format!("{at}.generator.ts_jitter_ms"),
                        "`ts_jitter_ms` needs event time: set `watermarks` on the log-source",
                    ));
                }
                if generator.ts_jitter_ms > MAX_STOP_AT_MS {
                    return Err(self.err(
                        &format!("{at}.generator.ts_jitter_ms"),
                        format!("must be <= {MAX_STOP_AT_MS} (got {})", generator.ts_jitter_ms),
                    ));
                }
            }
            InputSpec::Lines(_) => {}
        }
        Ok(())
    }
}

/// Whether an event-time window stands upstream of `operators[i]` (through `inputs`).
fn window_upstream(i: usize, operators: &[OperatorSpec]) -> bool {
    let mut seen = vec![false; operators.len()];
    let mut todo: Vec<usize> = operators[i].inputs.clone();
    while let Some(j) = todo.pop() {
        if std::mem::replace(&mut seen[j], true) {
            continue;
        }
        if matches!(operators[j].kind, OperatorKindSpec::EventWindow(_)) {
            return true;
        }
        todo.extend(operators[j].inputs.iter().copied());
    }
    false
}

/// Session 43: whether `operators[j]` (not a sink), after the session window `operators[i]` with
/// `up` its upstream set, may stand there: a keyed `sum` or `count` of the results right after a
/// `key_by` of the window, and behind one only a `key_by` (`check/windows_session_agg.rs`);
/// elsewhere a function of the window's results (`function`).
fn after_aggregate_ok(operators: &[OperatorSpec], i: usize, j: usize, up: &[bool], function: bool) -> bool {
    let ins = |k: usize| if operators[k].inputs.is_empty() { vec![k - 1] } else { operators[k].inputs.clone() };
    let behind_aggregate =
        (0..operators.len()).any(|k| k != j && up[k] && matches!(operators[k].kind, OperatorKindSpec::Aggregate(_)));
    if behind_aggregate {
        return matches!(operators[j].kind, OperatorKindSpec::KeyBy);
    }
    let keyed_aggregate = matches!(operators[j].kind, OperatorKindSpec::Aggregate(Aggregate::Sum | Aggregate::Count))
        && matches!(ins(j).as_slice(), [k] if matches!(operators[*k].kind, OperatorKindSpec::KeyBy) && ins(*k) == [i]);
    function || keyed_aggregate
}
