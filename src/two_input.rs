//! Operators at the head of a task with several input gates: `union`, `connect` (a co-map), a keyed two-input `join` counting pairs, and the event-time joins of `join.rs`, with the input gate of every channel (semantics §14).
//!
//! Flink runs a union as one input gate over the channels of every upstream (`UnionInputGate`),
//! and a two-input operator with one gate per input (`StreamTwoInputProcessor`,
//! `StreamMultipleInputProcessor`); either way one barrier handler aligns over every channel of
//! every gate (`CheckpointedInputGate`, `InputProcessorUtil`). Here the task keeps that one
//! handler and this module adds what the gates change for the records: which input a channel
//! belongs to ([`InputGates::gate_of`]) and the operator that sees the side
//! ([`InputOperator`]), whose state is the first entry of the task's snapshot (the slot a
//! source head uses).

use crate::ids::ChannelId;
use crate::operator::{key_of, Operator, OperatorContext, OperatorKind, Udf, UserException};
use crate::record::{Record, Value};
use crate::state::OperatorState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a multi-input head does with a record of input `side` (0-based, in `inputs` order).
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputOperatorSpec {
    /// `DataStream.union`: every record passes unchanged, whatever its input.
    Union,
    /// `ConnectedStreams.map(CoMapFunction)`: `map1` for input 0, `map2` for input 1 (one-to-one).
    CoMap {
        /// `map1`: the function for records of input 0.
        first: Udf,
        /// `map2`: the function for records of input 1.
        second: Udf,
    },
    /// A keyed two-input join (`KeyedCoProcessFunction` holding both sides in keyed state): per
    /// key the number of records seen on each input; every record emits `(key, left * right)`,
    /// the number of join pairs the key has produced so far (an inner join's cardinality).
    Join,
    /// An event-time join that emits the joined rows (`join.rs`): interval or tumbling window.
    EventJoin(crate::join::JoinSpec),
    /// Session 38: a keyed broadcast-process operator (`broadcast_process.rs`): input 0 keyed,
    /// input 1 a broadcast stream writing the broadcast state; `report`: the first record's
    /// state report.
    BroadcastProcess {
        /// `function = "..._report"`.
        report: bool,
        /// Session 39: the user function (one broadcast state, a keyed count beside it, or
        /// two broadcast states).
        #[serde(default)]
        function: crate::broadcast_process::BroadcastFunction,
        /// Session 40: event-time timers on the keyed side, this long after each keyed
        /// record's timestamp (`timer_delay_ms`); None: no timers.
        #[serde(default)]
        timer_delay_ms: Option<u64>,
    },
}

impl InputOperatorSpec {
    /// Whether Flink runs this operator as a two-input operator, whose inputs' watermarks are
    /// combined per input (`AbstractStreamOperator#processWatermark1/2`, one valve per input
    /// gate): connect's co-map, the keyed join (`KeyedCoProcessOperator`) and the interval join
    /// (`IntervalJoinOperator`). A union is one input, and so is a window join: Flink's
    /// `CoGroupedStreams.WithWindow#apply` tags both inputs, unions them and runs one
    /// `WindowOperator` over the union, behind one `UnionInputGate` and one valve (semantics
    /// §11.2). The barrier handling does not depend on it (one handler over every channel).
    pub fn is_two_input_operator(&self) -> bool {
        match self {
            InputOperatorSpec::Union => false,
            InputOperatorSpec::CoMap { .. } | InputOperatorSpec::Join | InputOperatorSpec::BroadcastProcess { .. } => {
                true
            }
            InputOperatorSpec::EventJoin(j) => matches!(j, crate::join::JoinSpec::Interval { .. }),
        }
    }
}

/// The input gates of a task: per input channel, the input (gate) it belongs to.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputGates {
    /// `gate_of[channel]`: the gate (input index) of each input channel.
    pub gate_of: Vec<u32>,
    /// The operator at the head of the gates (union, co-map or join).
    pub operator: InputOperatorSpec,
    /// One input reaches several gates (`s.union(s)`, `s.connect(s)`, a keyed `s.join(s)`: two
    /// `StreamEdge`s from one producer, or two paths from one source): each record's lineage
    /// takes its gate ([`path_lineage`]), so every copy of an input is named by its path.
    #[serde(default)]
    pub tag_paths: bool,
    /// An event-time join whose judgments go to the host ([`crate::join::JoinOperator::record_judgments`]):
    /// the world marks a join fed by a late side output (session 29) before the task is built,
    /// so a restore's replayed in-flight records are recorded too.
    #[serde(default)]
    pub record_join: bool,
}

/// The lineage of a record that entered an operator's input gate `gate` when one input reaches
/// the operator through several gates: the gate appended to `sub` (as a broadcast appends its
/// copy, `FLAT_MAP_SUB_BITS` per step), so the copies of an input on different paths through
/// the job graph stay apart. The reference folds its records through the same function.
pub fn path_lineage(l: crate::record::Lineage, gate: u32) -> crate::record::Lineage {
    crate::record::Lineage { input_seq: l.input_seq, sub: (l.sub << crate::operator::FLAT_MAP_SUB_BITS) | gate }
}

impl InputGates {
    /// Channels grouped in gate order: `channels_per_gate[g]` channels for gate `g`.
    pub fn new(channels_per_gate: &[u32], operator: InputOperatorSpec) -> InputGates {
        let gate_of = channels_per_gate
            .iter()
            .enumerate()
            .flat_map(|(g, n)| std::iter::repeat_n(g as u32, *n as usize))
            .collect();
        InputGates { gate_of, operator, tag_paths: false, record_join: false }
    }

    /// The same gates, with each record's lineage tagged by its gate when `tag` ([`path_lineage`]).
    pub fn with_paths(mut self, tag: bool) -> InputGates {
        self.tag_paths = tag;
        self
    }

    /// Input channels over every gate.
    pub fn num_channels(&self) -> u32 {
        self.gate_of.len() as u32
    }

    /// Gates (inputs) of the operator.
    pub fn num_gates(&self) -> u32 {
        self.gate_of.iter().max().map_or(0, |g| g + 1)
    }

    /// The gate of input channel `ch`.
    pub fn gate(&self, ch: ChannelId) -> u32 {
        self.gate_of[ch.0 as usize]
    }

    /// Channels of gate 0 (a planted bug aligns over these only).
    pub fn first_gate_channels(&self) -> u32 {
        self.gate_of.iter().filter(|g| **g == 0).count() as u32
    }
}

/// The running multi-input head operator.
#[derive(Clone, Debug, Hash)]
pub struct InputOperator {
    spec: InputOperatorSpec,
    maps: Option<(Operator, Operator)>,
    /// Join: key -> (records of input 0, records of input 1).
    join: BTreeMap<Value, (i64, i64)>,
    /// Event-time join: buffers and timers.
    event_join: Option<crate::join::JoinOperator>,
    /// Keyed broadcast process: the broadcast state.
    broadcast: Option<crate::broadcast_process::BroadcastProcess>,
}

impl InputOperator {
    /// A fresh operator of kind `spec` with empty state.
    pub fn new(spec: InputOperatorSpec) -> InputOperator {
        let maps = match &spec {
            InputOperatorSpec::CoMap { first, second } => Some((
                Operator::new(OperatorKind::Map(*first), vec![]),
                Operator::new(OperatorKind::Map(*second), vec![]),
            )),
            _ => None,
        };
        let event_join = match &spec {
            InputOperatorSpec::EventJoin(j) => Some(crate::join::JoinOperator::new(*j)),
            _ => None,
        };
        let broadcast = match &spec {
            InputOperatorSpec::BroadcastProcess { report, function, timer_delay_ms } => {
                Some(crate::broadcast_process::BroadcastProcess::new(*function, *report).with_timers(*timer_delay_ms))
            }
            _ => None,
        };
        InputOperator { spec, maps, join: BTreeMap::new(), event_join, broadcast }
    }

    /// One record of input `side`.
    pub fn process(
        &mut self,
        ctx: &mut OperatorContext<'_>,
        side: u32,
        rec: Record,
        out: &mut Vec<Record>,
    ) -> Result<(), UserException> {
        match &self.spec {
            InputOperatorSpec::Union => {
                out.push(rec);
                Ok(())
            }
            InputOperatorSpec::CoMap { .. } => {
                let (a, b) = self.maps.as_mut().expect("a co-map has its functions");
                if side == 0 {
                    a.process(ctx, rec, out)
                } else {
                    b.process(ctx, rec, out)
                }
            }
            InputOperatorSpec::Join => {
                let key = key_of(&rec.value);
                let e = self.join.entry(key.clone()).or_insert((0, 0));
                if side == 0 {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
                let pairs = e.0 * e.1;
                let name: Arc<str> = match &key {
                    Value::Str(s) => Arc::clone(s),
                    other => Arc::from(other.to_string().as_str()),
                };
                out.push(Record { value: Value::Pair(name, pairs), lineage: rec.lineage, timestamp: rec.timestamp });
                Ok(())
            }
            InputOperatorSpec::EventJoin(_) => {
                self.event_join.as_mut().expect("an event join has its operator").process(ctx.instance, side, rec, out)
            }
            InputOperatorSpec::BroadcastProcess { .. } => {
                let b = self.broadcast.as_mut().expect("a broadcast process has its state");
                if side == 0 {
                    b.process_keyed(rec, out);
                } else {
                    b.process_broadcast(&rec);
                }
                Ok(())
            }
        }
    }

    /// The watermark reached the operator: an event-time join fires its due timers (window
    /// rows, buffer cleanup), a broadcast process with timers its keyed side's (session 40);
    /// the others have no timers. Returns whether the state changed.
    pub fn process_watermark(&mut self, wm: crate::watermark::Watermark, out: &mut Vec<Record>) -> bool {
        if let Some(b) = &mut self.broadcast {
            return b.process_watermark(wm.0, out);
        }
        match &mut self.event_join {
            Some(j) => {
                let before = j.buffered();
                j.process_watermark(wm, out);
                before != j.buffered() || !out.is_empty()
            }
            None => false,
        }
    }

    /// An event-time join's judgments since the last call ([`crate::join::JoinOperator::take_recorded`]).
    pub fn take_join_recorded(&mut self, out: &mut Vec<(Record, crate::join::JoinEvent)>) {
        if let Some(j) = &mut self.event_join {
            j.take_recorded(out);
        }
    }

    /// Gives an interval join late side outputs on the sides marked `true`
    /// ([`crate::join::JoinOperator::side_output_late`]); other operators have none.
    pub fn side_output_late(&mut self, sides: [bool; 2]) {
        if let Some(j) = &mut self.event_join {
            j.side_output_late(sides);
        }
    }

    /// Plants `late-emitted-to-both` on an interval join ([`crate::join::JoinOperator::plant_late_to_both`]).
    pub fn plant_late_to_both(&mut self) {
        if let Some(j) = &mut self.event_join {
            j.plant_late_to_both();
        }
    }

    /// Plants `interval-join-upper-exclusive` ([`crate::join::JoinOperator::plant_upper_exclusive`]).
    pub fn plant_upper_exclusive(&mut self) {
        if let Some(j) = &mut self.event_join {
            j.plant_upper_exclusive();
        }
    }

    /// Plants `interval-join-lower-exclusive` ([`crate::join::JoinOperator::plant_lower_exclusive`]).
    pub fn plant_lower_exclusive(&mut self) {
        if let Some(j) = &mut self.event_join {
            j.plant_lower_exclusive();
        }
    }

    /// The interval join's late elements sent to a side output since the last call, with
    /// their side ([`crate::join::JoinOperator::take_late_records`]).
    pub fn take_late_records(&mut self, out: &mut Vec<(u32, Record)>) {
        if let Some(j) = &mut self.event_join {
            j.take_late_records(out);
        }
    }

    /// Marks an event-time join to record its judgments ([`crate::join::JoinOperator::record_judgments`]).
    pub fn record_join_judgments(&mut self) {
        if let Some(j) = &mut self.event_join {
            j.record_judgments();
        }
    }

    /// The event-time join, if this is one (for tests and invariants).
    pub fn event_join(&self) -> Option<&crate::join::JoinOperator> {
        self.event_join.as_ref()
    }

    /// The join's keyed state as keyed state entries `(key, side) -> count`, so that rescaling
    /// moves both sides of a key with its key group. Union and co-map are stateless.
    pub fn snapshot(&self) -> OperatorState {
        match self.spec {
            InputOperatorSpec::Join => {
                let mut m = BTreeMap::new();
                for (k, (l, r)) in &self.join {
                    let name: Arc<str> = Arc::from(k.to_string().as_str());
                    m.insert(Value::Pair(Arc::clone(&name), 0), Value::Int(*l));
                    m.insert(Value::Pair(name, 1), Value::Int(*r));
                }
                OperatorState::Keyed(m)
            }
            InputOperatorSpec::EventJoin(_) => {
                OperatorState::Join(self.event_join.as_ref().expect("an event join has its operator").snapshot())
            }
            InputOperatorSpec::BroadcastProcess { .. } => {
                self.broadcast.as_ref().expect("a broadcast process has its state").snapshot()
            }
            _ => OperatorState::None,
        }
    }

    /// Replaces the join's per-key counts with a snapshot's (union and co-map have no state).
    pub fn restore(&mut self, state: &OperatorState) {
        if let (Some(j), OperatorState::Join(st)) = (&mut self.event_join, state) {
            j.restore(st);
        }
        if let Some(b) = &mut self.broadcast {
            b.restore(state);
        }
        if let (InputOperatorSpec::Join, OperatorState::Keyed(m)) = (&self.spec, state) {
            self.join.clear();
            for (k, v) in m {
                let (Value::Pair(name, side), Value::Int(n)) = (k, v) else { panic!("join state entry {k} = {v}") };
                let e = self.join.entry(Value::Str(Arc::clone(name))).or_insert((0, 0));
                if *side == 0 {
                    e.0 = *n;
                } else {
                    e.1 = *n;
                }
            }
        }
    }

    /// The keyed broadcast process's broadcast state, if this is one.
    pub fn broadcast_process(&self) -> Option<&crate::broadcast_process::BroadcastProcess> {
        self.broadcast.as_ref()
    }

    /// The broadcast process, mutable (a planted bug's restore).
    pub fn broadcast_process_mut(&mut self) -> Option<&mut crate::broadcast_process::BroadcastProcess> {
        self.broadcast.as_mut()
    }

    /// The head's invariants (a broadcast process's state; the others keep theirs by construction).
    pub fn invariants(&self) {
        if let Some(b) = &self.broadcast {
            b.invariants();
        }
    }

    /// The operator's kind.
    pub fn spec(&self) -> &InputOperatorSpec {
        &self.spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::SurvivingCounters;
    use crate::record::Lineage;

    fn rec(v: &str, seq: u64) -> Record {
        Record::new(Value::str(v), Lineage { input_seq: seq, sub: 0 })
    }

    fn run(op: &mut InputOperator, side: u32, v: &str, seq: u64) -> Vec<Record> {
        let mut c = SurvivingCounters::default();
        let mut ctx = OperatorContext { now_ms: 0, counters: &mut c, instance: "t" };
        let mut out = Vec::new();
        op.process(&mut ctx, side, rec(v, seq), &mut out).unwrap();
        out
    }

    #[test]
    fn gates_map_channels_in_gate_order() {
        let g = InputGates::new(&[2, 3], InputOperatorSpec::Union);
        assert_eq!(g.gate_of, vec![0, 0, 1, 1, 1]);
        assert_eq!((g.num_channels(), g.num_gates(), g.first_gate_channels()), (5, 2, 2));
        assert_eq!(g.gate(ChannelId(2)), 1);
    }

    #[test]
    fn join_counts_pairs_per_key_and_restores_both_sides() {
        let mut j = InputOperator::new(InputOperatorSpec::Join);
        assert_eq!(run(&mut j, 0, "a", 0)[0].value, Value::Pair("a".into(), 0));
        assert_eq!(run(&mut j, 1, "a", 1)[0].value, Value::Pair("a".into(), 1));
        assert_eq!(run(&mut j, 1, "a", 2)[0].value, Value::Pair("a".into(), 2));
        assert_eq!(run(&mut j, 1, "b", 3)[0].value, Value::Pair("b".into(), 0));
        let snap = j.snapshot();
        let mut k = InputOperator::new(InputOperatorSpec::Join);
        k.restore(&snap);
        // a: 1 left, 2 right -> one more left makes 2 * 2 pairs.
        let out = run(&mut k, 0, "a", 4);
        assert_eq!(out[0].value, Value::Pair("a".into(), 4));
        assert_eq!(out[0].lineage.input_seq, 4);
    }

    fn join_task(variant: crate::Variant) -> crate::task::Task {
        join_task_of(InputOperatorSpec::Join, variant)
    }

    fn join_task_of(operator: InputOperatorSpec, variant: crate::Variant) -> crate::task::Task {
        use crate::barrier::HandlerKind;
        use crate::task::{HeadSpec, TailSpec, TaskSpec};
        let spec = TaskSpec {
            task: crate::ids::TaskId(0),
            name: "join".into(),
            subtask: 0,
            parallelism: 1,
            attempt: crate::ids::Attempt(0),
            head: HeadSpec::MultiInputs { gates: InputGates::new(&[1, 1], operator), handler: HandlerKind::Aligned },
            chain: vec![],
            tail: TailSpec::PrintSink,
            profile: crate::Profile::Flink23,
            variant,
            padding_bytes: 0,
            vertex_peers: vec![],
        };
        let e = BTreeMap::new();
        crate::task::Task::new(spec, 0, None, &e, &e, &mut SurvivingCounters::default())
    }

    fn barrier(id: u64) -> crate::record::StreamElement {
        crate::record::StreamElement::Barrier(crate::record::Barrier {
            id: crate::ids::CheckpointId(id),
            timestamp_ms: 0,
            kind: crate::record::CheckpointKind::Checkpoint,
            alignment: crate::record::Alignment::Aligned,
            stop: None,
        })
    }

    /// What the task put out: `snapshot N {state}` or `print V`.
    fn outputs(t: &mut crate::task::Task) -> Vec<String> {
        let mut v = Vec::new();
        while let Some(o) = t.poll_output() {
            match o {
                crate::task::TaskOutput::Snapshot { id, snapshot, .. } => {
                    v.push(format!("snapshot {id} {:?}", snapshot.operators[0]))
                }
                crate::task::TaskOutput::PrintRow { record, .. } => v.push(format!("print {}", record.value)),
                _ => {}
            }
        }
        v
    }

    /// Aligned across both gates: after gate 0's barrier its channel is blocked and the snapshot
    /// waits for gate 1's barrier; gate 1's records before its barrier are in the state.
    #[test]
    fn two_gates_align_on_every_channel_and_the_plant_does_not() {
        use crate::ids::ChannelId;
        use crate::record::StreamElement::Record as R;
        let mut c = SurvivingCounters::default();
        let mut t = join_task(crate::Variant::Correct);
        t.handle_input(1, ChannelId(0), barrier(1), &[], &mut c);
        assert!(t.is_blocked(ChannelId(0)), "gate 0 blocked at its barrier");
        assert!(!t.is_blocked(ChannelId(1)));
        t.handle_input(2, ChannelId(1), R(rec("a", 0)), &[], &mut c);
        assert_eq!(outputs(&mut t), vec!["print (a,0)"], "no snapshot before gate 1's barrier");
        t.handle_input(3, ChannelId(1), barrier(1), &[], &mut c);
        let out = outputs(&mut t);
        assert_eq!(out.len(), 1);
        assert!(out[0].starts_with("snapshot 1") && out[0].contains("Int(1)"), "{out:?}");
        assert!(!t.is_blocked(ChannelId(0)));
        // End of partition on gate 1: alignment counts gate 0 alone.
        t.handle_input(4, ChannelId(1), crate::record::StreamElement::EndOfPartition, &[], &mut c);
        t.handle_input(5, ChannelId(0), barrier(2), &[], &mut c);
        assert!(outputs(&mut t)[0].starts_with("snapshot 2"), "one live gate aligns alone");
        assert!(!t.input_has_ended());

        // The plant: the snapshot follows gate 0's barrier alone.
        let mut p = join_task(crate::Variant::SnapshotAfterFirstGate);
        p.handle_input(1, ChannelId(0), barrier(1), &[], &mut c);
        let out = outputs(&mut p);
        assert!(out.len() == 1 && out[0].starts_with("snapshot 1"), "{out:?}");
        assert!(!p.is_blocked(ChannelId(1)));
    }

    /// The planted `join-snapshot-without-right` bug, in a task: an interval join's snapshot
    /// keeps the left side's buffered elements and cleanup timers and drops exactly the right
    /// side's; the correct task keeps both (Flink's `IntervalJoinOperator` holds both buffers,
    /// `leftBuffer` and `rightBuffer`, in keyed map state and their cleanup timers in the timer
    /// service, all part of the operator's snapshot).
    #[test]
    fn the_join_snapshot_plant_drops_exactly_the_right_side() {
        use crate::ids::ChannelId;
        use crate::join::JoinSpec;
        use crate::record::StreamElement::Record as R;
        let join = InputOperatorSpec::EventJoin(JoinSpec::Interval { lower_ms: -5, upper_ms: 5 });
        let at = |v: &str, seq: u64, ts: i64| Record { timestamp: Some(ts), ..rec(v, seq) };
        // (sides of the entries, kinds of the timers) in the snapshot of checkpoint 1.
        let snapshot_of = |variant| {
            let mut c = SurvivingCounters::default();
            let mut t = join_task_of(join.clone(), variant);
            t.handle_input(1, ChannelId(0), R(at("a", 0, 10)), &[], &mut c);
            t.handle_input(2, ChannelId(1), R(at("a", 1, 12)), &[], &mut c);
            t.handle_input(3, ChannelId(0), R(at("b", 2, 20)), &[], &mut c);
            t.handle_input(4, ChannelId(0), barrier(1), &[], &mut c);
            t.handle_input(5, ChannelId(1), barrier(1), &[], &mut c);
            let snaps: Vec<OperatorState> = std::iter::from_fn(|| t.poll_output())
                .filter_map(|o| match o {
                    crate::task::TaskOutput::Snapshot { snapshot, .. } => Some(snapshot.operators[0].clone()),
                    _ => None,
                })
                .collect();
            let [OperatorState::Join(j)] = snaps.as_slice() else { panic!("{variant}: {snaps:?}") };
            let sides: Vec<u8> = j.entries.iter().map(|e| e.side).collect();
            let kinds: Vec<u8> = j.timers.iter().map(|t| t.kind).collect();
            (sorted(sides), sorted(kinds))
        };
        fn sorted(mut v: Vec<u8>) -> Vec<u8> {
            v.sort_unstable();
            v
        }
        assert_eq!(snapshot_of(crate::Variant::Correct), (vec![0, 0, 1], vec![0, 0, 1]));
        assert_eq!(snapshot_of(crate::Variant::JoinSnapshotWithoutRight), (vec![0, 0], vec![0, 0]));
    }

    #[test]
    fn co_map_applies_the_side_function() {
        let mut m = InputOperator::new(InputOperatorSpec::CoMap { first: Udf::Uppercase, second: Udf::Identity });
        assert_eq!(run(&mut m, 0, "x", 0)[0].value, Value::str("X"));
        assert_eq!(run(&mut m, 1, "x", 1)[0].value, Value::str("x"));
        assert_eq!(m.snapshot(), OperatorState::None);
    }
}
