//! Property tests of a task fed by ONE producer through both of its input gates (`s.union(s)`, a keyed `s.join(s)`): random interleavings of the two channels of each producer subtask, one barrier, checking the snapshot's cut per gate.
//!
//! Each producer subtask `p` writes the same stream to its channel of gate 0 and its channel of
//! gate 1 (Flink's two `StreamEdge`s from one operator, one `CheckpointedInputGate` per input):
//! `pre` records, the barrier of checkpoint 1, `post` records, optionally EndOfPartition. The
//! task takes elements from channels it does not block, in an order the case chooses. Checked
//! for every case:
//! * union (its records' lineage tagged with their gate, `two_input::path_lineage`): the rows
//!   printed before the snapshot, counted per gate by their lineage, are exactly the records
//!   ahead of the barrier on that gate's channels (aligned), at least them (at-least-once);
//!   every record is printed once per gate it came through, with its gate in its lineage;
//! * keyed join: the snapshot's count per side is exactly (aligned) or at least (at-least-once)
//!   the records ahead of the barrier on that gate.
//!
//! The planted `snapshot-after-first-gate` and `aligned-no-block` break the aligned cut on some
//! interleaving (`planted_variants_break_the_cut_per_gate`): the property is not vacuous.
//!
//! Key groups (session 26): each case draws a max parallelism (1, 7, 128, 32768 or 1..=40), a
//! parallelism and the task's subtask; the records' key is one the core's key-group routing
//! (`assign_key_to_parallel_operator`, what a `KeyGroups` edge routes by) sends to that subtask,
//! and every key of the snapshot's keyed state must lie in the subtask's key-group range
//! (`compute_key_group_range_for_operator_index`: what a restore hands the subtask).
//! `a_wrong_modulo_routing_breaks_the_key_group_range` shows the rule fails on a routing that
//! takes `key_group % parallelism`.

use ckptsim::barrier::HandlerKind;
use ckptsim::key_group::{assign_key_to_parallel_operator, assign_to_key_group};
use ckptsim::operator::SurvivingCounters;
use ckptsim::record::{Alignment, Barrier, CheckpointKind, Lineage, Record, StreamElement, Value};
use ckptsim::state::OperatorState;
use ckptsim::task::{HeadSpec, TailSpec, Task, TaskOutput, TaskSpec};
use ckptsim::two_input::{path_lineage, InputGates, InputOperatorSpec};
use ckptsim::{Attempt, ChannelId, CheckpointId, Profile, TaskId, Variant};
use proptest::prelude::*;
use std::collections::{BTreeMap, VecDeque};

/// The gates of a task fed by `producers` subtasks of one operator through both inputs.
fn gates(producers: u32, op: InputOperatorSpec) -> InputGates {
    InputGates::new(&[producers, producers], op).with_paths(true)
}

#[path = "support/keying.rs"]
mod keying;
use keying::{keying, Keying, Route};

fn task(producers: u32, op: InputOperatorSpec, handler: HandlerKind, variant: Variant, keying: &Keying) -> Task {
    let spec = TaskSpec {
        task: TaskId(0),
        name: "self".into(),
        subtask: keying.subtask,
        parallelism: keying.parallelism,
        attempt: Attempt(0),
        head: HeadSpec::MultiInputs { gates: gates(producers, op), handler },
        chain: vec![],
        tail: TailSpec::PrintSink,
        profile: Profile::Flink23,
        variant,
        padding_bytes: 0,
        vertex_peers: vec![],
    };
    let e = BTreeMap::new();
    Task::new(spec, 0, None, &e, &e, &mut SurvivingCounters::default())
}

/// Per producer subtask: (records before the barrier, records after it, end of partition).
type Streams = Vec<(u32, u32, bool)>;

/// What a run of the task gave: the snapshot (if any), the rows printed before it per gate, and
/// every printed row's lineage.
struct Outcome {
    snapshots: Vec<(CheckpointId, ckptsim::state::TaskSnapshot)>,
    before_snapshot: [u32; 2],
    printed: Vec<Lineage>,
    drained: bool,
}

/// Channel `ch` of a task with `producers` producer subtasks: gate `ch / producers`, producer
/// `ch % producers` (gates are numbered in channel order, `InputGates::new`).
fn run(
    producers: u32,
    streams: &Streams,
    schedule: &[u8],
    (op, handler, variant): (InputOperatorSpec, HandlerKind, Variant),
    keying: &Keying,
) -> Outcome {
    let mut t = task(producers, op, handler, variant, keying);
    let alignment = if handler == HandlerKind::AtLeastOnce { Alignment::AtLeastOnce } else { Alignment::Aligned };
    let mut queues: Vec<VecDeque<StreamElement>> = (0..2 * producers)
        .map(|ch| {
            let p = ch % producers;
            let (pre, post, end) = streams[p as usize];
            let rec = |i: u32| {
                StreamElement::Record(Record::new(
                    Value::str(&keying.key),
                    Lineage { input_seq: u64::from(p * 100 + i), sub: 0 },
                ))
            };
            let mut q: VecDeque<StreamElement> = (0..pre).map(rec).collect();
            q.push_back(StreamElement::Barrier(Barrier {
                id: CheckpointId(1),
                timestamp_ms: 0,
                kind: CheckpointKind::Checkpoint,
                alignment,
                stop: None,
            }));
            q.extend((pre..pre + post).map(rec));
            if end {
                q.push_back(StreamElement::EndOfPartition);
            }
            q
        })
        .collect();
    let mut c = SurvivingCounters::default();
    let mut out = Outcome { snapshots: Vec::new(), before_snapshot: [0, 0], printed: Vec::new(), drained: false };
    let (mut step, mut now) = (0usize, 1);
    loop {
        let ready: Vec<usize> =
            (0..queues.len()).filter(|&ch| !queues[ch].is_empty() && !t.is_blocked(ChannelId(ch as u32))).collect();
        if ready.is_empty() {
            break;
        }
        let ch = ready[usize::from(schedule.get(step).copied().unwrap_or(0)) % ready.len()];
        step += 1;
        now += 1;
        let e = queues[ch].pop_front().expect("ready");
        t.handle_input(now, ChannelId(ch as u32), e, &[], &mut c);
        while let Some(o) = t.poll_output() {
            match o {
                TaskOutput::Snapshot { id, snapshot, .. } => out.snapshots.push((id, snapshot)),
                TaskOutput::PrintRow { record, .. } => {
                    if out.snapshots.is_empty() {
                        out.before_snapshot[(record.lineage.sub & 1) as usize] += 1;
                    }
                    out.printed.push(record.lineage);
                }
                _ => {}
            }
        }
    }
    out.drained = queues.iter().all(VecDeque::is_empty);
    out
}

/// The join's count for `key` and `side` in a snapshot's head state.
fn count(state: &OperatorState, key: &str, side: i64) -> i64 {
    let OperatorState::Keyed(m) = state else { return 0 };
    m.get(&Value::Pair(key.into(), side)).map_or(0, |v| if let Value::Int(n) = v { *n } else { 0 })
}

/// Every key of a snapshot's keyed state (a join's `(key, side)`) outside the subtask's
/// key-group range.
fn foreign_keys(state: &OperatorState, keying: &Keying) -> Vec<String> {
    let OperatorState::Keyed(m) = state else { return Vec::new() };
    m.keys()
        .filter_map(|k| match k {
            Value::Pair(key, _) if !keying.owns(key) => Some(key.to_string()),
            _ => None,
        })
        .collect()
}

/// Records ahead of the barrier on one gate: every producer's `pre` (both gates carry the same).
fn cut(streams: &Streams) -> u32 {
    streams.iter().map(|s| s.0).sum()
}

/// The property for one case; `Err` names the first broken rule.
fn check(
    producers: u32,
    streams: &Streams,
    schedule: &[u8],
    op: InputOperatorSpec,
    handler: HandlerKind,
    keying: &Keying,
) -> Result<(), String> {
    let join = op == InputOperatorSpec::Join;
    let o = run(producers, streams, schedule, (op, handler, Variant::Correct), keying);
    let at_least_once = handler == HandlerKind::AtLeastOnce;
    if !o.drained {
        return Err("a channel stayed blocked".into());
    }
    if o.snapshots.len() != 1 || o.snapshots[0].0 != CheckpointId(1) {
        return Err(format!("checkpoint 1 snapshotted {} times", o.snapshots.len()));
    }
    let want = cut(streams);
    for gate in 0..2u32 {
        let got = if join {
            count(&o.snapshots[0].1.operators[0], &keying.key, i64::from(gate)) as u32
        } else {
            o.before_snapshot[gate as usize]
        };
        if (at_least_once && got < want) || (!at_least_once && got != want) {
            return Err(format!("gate {gate}: the snapshot covers {got} records, the cut is {want}"));
        }
    }
    if !keying.owns(&keying.key) {
        return Err(format!("key {} routed to subtask {} outside its key-group range", keying.key, keying.subtask));
    }
    let foreign = foreign_keys(&o.snapshots[0].1.operators[0], keying);
    if !foreign.is_empty() {
        return Err(format!("keys {foreign:?} in the snapshot of subtask {}: not its key groups", keying.subtask));
    }
    // Every record once per gate, its gate in its lineage (union: as it came; join: its row).
    let mut copies: BTreeMap<Lineage, u32> = BTreeMap::new();
    for l in &o.printed {
        *copies.entry(*l).or_default() += 1;
    }
    for (p, &(pre, post, _)) in streams.iter().enumerate() {
        for i in 0..pre + post {
            for gate in 0..2 {
                let l = path_lineage(Lineage { input_seq: (p as u64) * 100 + u64::from(i), sub: 0 }, gate);
                if copies.get(&l) != Some(&1) {
                    return Err(format!("record {p}/{i} via gate {gate}: {} rows", copies.get(&l).unwrap_or(&0)));
                }
            }
        }
    }
    if copies.len() != o.printed.len() {
        return Err("a lineage printed twice".into());
    }
    Ok(())
}

fn case() -> impl Strategy<Value = (u32, Streams, Vec<u8>, Keying)> {
    (1u32..=3).prop_flat_map(|p| {
        (
            Just(p),
            prop::collection::vec((0u32..4, 0u32..4, any::<bool>()), p as usize),
            prop::collection::vec(any::<u8>(), 0..64),
            keying(),
        )
    })
}

proptest! {
    #[test]
    fn aligned_self_union_snapshots_the_cut_per_gate((p, streams, schedule, keying) in case()) {
        check(p, &streams, &schedule, InputOperatorSpec::Union, HandlerKind::Aligned, &keying).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn tracker_self_union_covers_the_cut_per_gate((p, streams, schedule, keying) in case()) {
        check(p, &streams, &schedule, InputOperatorSpec::Union, HandlerKind::AtLeastOnce, &keying).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn aligned_keyed_self_join_snapshots_the_cut_per_gate((p, streams, schedule, keying) in case()) {
        check(p, &streams, &schedule, InputOperatorSpec::Join, HandlerKind::Aligned, &keying).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn tracker_keyed_self_join_covers_the_cut_per_gate((p, streams, schedule, keying) in case()) {
        check(p, &streams, &schedule, InputOperatorSpec::Join, HandlerKind::AtLeastOnce, &keying).map_err(TestCaseError::fail)?;
    }
}

/// The aligned cut per gate of the correct protocol, re-read under a planted variant on every
/// small case (1-2 producers, up to 2 records each side of the barrier, 64 fixed schedules):
/// some case breaks it, so the property above would fail if the handler were wrong.
#[test]
fn planted_variants_break_the_cut_per_gate() {
    for variant in [Variant::SnapshotAfterFirstGate, Variant::AlignedNoBlock] {
        let mut broken = 0;
        for p in 1..=2u32 {
            for pre in 0..3 {
                for post in 1..3 {
                    for seed in 0..64u8 {
                        let streams: Streams = vec![(pre, post, false); p as usize];
                        let schedule: Vec<u8> = (0u8..48)
                            .map(|i| seed.wrapping_mul(31).wrapping_add(i.wrapping_mul(7)) ^ (i >> 1))
                            .collect();
                        let keying = Keying::new(128, 1, 0, 0, assign_key_to_parallel_operator);
                        let o = run(
                            p,
                            &streams,
                            &schedule,
                            (InputOperatorSpec::Union, HandlerKind::Aligned, variant),
                            &keying,
                        );
                        let want = cut(&streams);
                        if o.snapshots.first().is_some_and(|_| o.before_snapshot.iter().any(|g| *g != want)) {
                            broken += 1;
                        }
                    }
                }
            }
        }
        assert!(broken > 0, "{variant}: no case broke the per-gate cut");
    }
}

/// The key-group rule is not vacuous: a routing that sends key group `kg` to `kg % parallelism`
/// (instead of Flink's `kg * parallelism / max_parallelism`) puts, for the drawn max
/// parallelisms with a parallelism of 2 to 4 (where the two differ), one of the first 8 keys of
/// some subtask outside that subtask's key-group range, and the keyed self-join property fails
/// on it; the correct routing passes on every key drawn.
#[test]
fn a_wrong_modulo_routing_breaks_the_key_group_range() {
    let modulo: Route = |k, m, p| assign_to_key_group(k, m).0 % p;
    let join = |k: &Keying| check(1, &vec![(2, 1, false)], &[], InputOperatorSpec::Join, HandlerKind::Aligned, k);
    for m in [7u32, 128, 32768, 5, 13, 40] {
        for p in 2..=m.min(4) {
            let broken: Vec<Keying> = (0..p)
                .flat_map(|s| (0..8).map(move |nth| Keying::new(m, p, s, nth, modulo)))
                .filter(|k| !k.owns(&k.key))
                .collect();
            assert!(!broken.is_empty(), "max {m}, parallelism {p}: a % routing agrees with every range");
            assert!(join(&broken[0]).is_err_and(|e| e.contains("outside its key-group range")), "max {m}, p {p}");
        }
    }
    for m in [1u32, 7, 128, 32768, 2, 3, 5, 13, 40] {
        for p in 1..=m.min(4) {
            for (s, nth) in (0..p).flat_map(|s| (0..8).map(move |nth| (s, nth))) {
                let k = Keying::new(m, p, s, nth, assign_key_to_parallel_operator);
                assert!(k.owns(&k.key), "{k:?}");
                join(&k).expect("the correct routing keeps every key in its range");
            }
        }
    }
}
