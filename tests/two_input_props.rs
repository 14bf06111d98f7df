//! Property tests of a task with two input gates (a keyed join): random interleavings of each channel's records, one checkpoint barrier and an end of partition, taken only from channels the task does not block.
//!
//! Per channel the upstream sends `pre` records, the barrier of checkpoint 1, `post` records,
//! and optionally EndOfPartition; every record has key `k`. Checked for every case, for aligned
//! and at-least-once handlers: the task snapshots checkpoint 1 exactly once; under aligned
//! checkpoints the join's state in the snapshot counts exactly the records before the barrier on
//! each gate's channels (the cut over both gates); under the at-least-once tracker it counts at
//! least them; every record is processed exactly once; the task's input ends exactly when
//! every channel of both gates ended.
//!
//! Key groups (session 26): each case draws a max parallelism (1, 7, 128, 32768 or 1..=40), a
//! parallelism and the task's subtask; the records' key is one the core's key-group routing
//! (`assign_key_to_parallel_operator`) sends to that subtask, and every key of the snapshot's
//! keyed state must lie in the subtask's key-group range
//! (`compute_key_group_range_for_operator_index`); `self_union_props.rs` shows the rule fails on
//! a routing by `key_group % parallelism`.

use ckptsim::barrier::HandlerKind;
use ckptsim::operator::SurvivingCounters;
use ckptsim::record::{Alignment, Barrier, CheckpointKind, Lineage, Record, StreamElement, Value};
use ckptsim::state::OperatorState;
use ckptsim::task::{HeadSpec, TailSpec, Task, TaskOutput, TaskSpec};
use ckptsim::two_input::{InputGates, InputOperatorSpec};
use ckptsim::{Attempt, ChannelId, CheckpointId, Profile, TaskId, Variant};
use proptest::prelude::*;
use std::collections::{BTreeMap, VecDeque};

#[path = "support/keying.rs"]
mod keying;
use keying::{keying, Keying};

fn task(gates: &[u32], handler: HandlerKind, keying: &Keying) -> Task {
    let spec = TaskSpec {
        task: TaskId(0),
        name: "join".into(),
        subtask: keying.subtask,
        parallelism: keying.parallelism,
        attempt: Attempt(0),
        head: HeadSpec::MultiInputs { gates: InputGates::new(gates, InputOperatorSpec::Join), handler },
        chain: vec![],
        tail: TailSpec::PrintSink,
        profile: Profile::Flink23,
        variant: Variant::Correct,
        padding_bytes: 0,
        vertex_peers: vec![],
    };
    let e = BTreeMap::new();
    Task::new(spec, 0, None, &e, &e, &mut SurvivingCounters::default())
}

/// The join's count for `key` and `side` in a snapshot's head state.
fn count(state: &OperatorState, key: &str, side: i64) -> i64 {
    let OperatorState::Keyed(m) = state else { return 0 };
    m.get(&Value::Pair(key.into(), side)).map_or(0, |v| if let Value::Int(n) = v { *n } else { 0 })
}

fn run(
    gates: Vec<u32>,
    streams: Vec<(u32, u32, bool)>,
    schedule: Vec<u8>,
    handler: HandlerKind,
    keying: &Keying,
) -> Result<(), TestCaseError> {
    let mut t = task(&gates, handler, keying);
    let gate_of = InputGates::new(&gates, InputOperatorSpec::Join).gate_of;
    let mut queues: Vec<VecDeque<StreamElement>> = streams
        .iter()
        .enumerate()
        .map(|(c, &(pre, post, end))| {
            let rec = |i: u32| {
                StreamElement::Record(Record::new(
                    Value::str(&keying.key),
                    Lineage { input_seq: u64::from(c as u32 * 100 + i), sub: 0 },
                ))
            };
            let mut q: VecDeque<StreamElement> = (0..pre).map(rec).collect();
            q.push_back(StreamElement::Barrier(Barrier {
                id: CheckpointId(1),
                timestamp_ms: 0,
                kind: CheckpointKind::Checkpoint,
                alignment: if handler == HandlerKind::AtLeastOnce {
                    Alignment::AtLeastOnce
                } else {
                    Alignment::Aligned
                },
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
    let mut snapshots = Vec::new();
    let mut printed = 0u32;
    let mut step = 0usize;
    let mut now = 1;
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
                TaskOutput::Snapshot { id, snapshot, .. } => snapshots.push((id, snapshot)),
                TaskOutput::PrintRow { .. } => printed += 1,
                other => prop_assert!(matches!(other, TaskOutput::Decline { .. }), "unexpected {other:?}"),
            }
        }
    }
    prop_assert!(queues.iter().all(VecDeque::is_empty), "a channel stayed blocked");
    let total: u32 = streams.iter().map(|(a, b, _)| a + b).sum();
    prop_assert_eq!(printed, total, "every record processed exactly once");
    prop_assert_eq!(snapshots.len(), 1, "checkpoint 1 snapshotted once");
    let (id, snap) = &snapshots[0];
    prop_assert_eq!(*id, CheckpointId(1));
    for side in 0..2u32 {
        let cut: i64 =
            streams.iter().enumerate().filter(|(ch, _)| gate_of[*ch] == side).map(|(_, s)| i64::from(s.0)).sum();
        let got = count(&snap.operators[0], &keying.key, i64::from(side));
        if handler == HandlerKind::AtLeastOnce {
            prop_assert!(got >= cut, "gate {side}: {got} < cut {cut}");
        } else {
            prop_assert_eq!(got, cut, "gate {}: snapshot holds exactly the cut", side);
        }
    }
    if let OperatorState::Keyed(m) = &snap.operators[0] {
        for k in m.keys() {
            let Value::Pair(key, _) = k else { continue };
            prop_assert!(
                keying.owns(key),
                "key {} in subtask {}: not its key groups ({:?})",
                key,
                keying.subtask,
                keying
            );
        }
    }
    let all_ended = streams.iter().all(|s| s.2);
    prop_assert_eq!(t.input_has_ended(), all_ended);
    Ok(())
}

/// Per channel: (records before the barrier, records after it, end of partition).
type Streams = Vec<(u32, u32, bool)>;

fn case() -> impl Strategy<Value = (Vec<u32>, Streams, Vec<u8>, Keying)> {
    (1u32..=3, 1u32..=3).prop_flat_map(|(a, b)| {
        let n = (a + b) as usize;
        (
            Just(vec![a, b]),
            prop::collection::vec((0u32..4, 0u32..4, any::<bool>()), n),
            prop::collection::vec(any::<u8>(), 0..64),
            keying(),
        )
    })
}

proptest! {
    #[test]
    fn aligned_two_gates_snapshot_the_cut((gates, streams, schedule, keying) in case()) {
        run(gates, streams, schedule, HandlerKind::Aligned, &keying)?;
    }

    #[test]
    fn tracker_over_two_gates_covers_the_cut((gates, streams, schedule, keying) in case()) {
        run(gates, streams, schedule, HandlerKind::AtLeastOnce, &keying)?;
    }
}
