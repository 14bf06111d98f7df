//! SourceOperatorTest (2.x) posed to the model's one FLIP-27 source reader, a KafkaSource subtask (`LogSource`).
//!
//! Flink's test drives a `SourceOperator` around a `MockSourceReader` whose restored state holds
//! one split (`MockSourceSplit(1234, 10)`: a split positioned at 10) and, in two methods, hands
//! it a second split with an `AddSplitEvent`. The model's reader is `KafkaSourceReader`: the
//! restored split is a partition restored at offset 10, and the added split a partition that no
//! restored state holds, which the model's enumerator (the owner rule) hands to the reader when
//! it is initialized, starting from the startup mode; the model has no split events after that.
//! The reader's checkpoint notifications are what `KafkaSourceReader` does with them: a
//! completed checkpoint commits the offsets its snapshot stored, an aborted one is ignored.
//! KafkaSource is a 2.x source (1.11's `FlinkKafkaConsumer` is no `SourceOperator`): the cases
//! run under flink-2.3.

use crate::common::{case_name, ensure_eq, flink, profile_name, run_table, Flink, F23};
use ckptsim::source::{LogSource, StartupMode};
use ckptsim::state::OperatorState;
use ckptsim::{CheckpointId, Offset, PartitionId, Variant};
use std::collections::BTreeMap;

struct Case {
    flink: Flink,
    check: fn() -> Result<(), String>,
}

const SOURCE_OPERATOR: &str = "SourceOperatorTest";

/// Subtask 0 of 1 over `partitions` partitions, restored from a state holding partition 0 at
/// offset 10 (the test's `MockSourceSplit(1234, 10)` in `SPLITS_STATE_DESC`).
fn restored(partitions: u32) -> LogSource {
    let mut s = LogSource::new(0, 1, partitions, F23, StartupMode::Earliest, Variant::Correct);
    let state = OperatorState::SourceOffsets(BTreeMap::from([(PartitionId(0), Offset(10))]));
    s.initialize(Some(&[&state]), &BTreeMap::new(), &BTreeMap::new());
    s
}

fn offsets(v: &[(u32, u64)]) -> BTreeMap<PartitionId, Offset> {
    v.iter().map(|(p, o)| (PartitionId(*p), Offset(*o))).collect()
}

fn cases() -> Vec<Case> {
    let f = |m: &'static str| flink(SOURCE_OPERATOR, m, "2.x");
    vec![
        // The reader is assigned the restored split, positioned where the state says.
        Case {
            flink: f("testOpen"),
            check: || ensure_eq(restored(1).positions().clone(), offsets(&[(0, 10)]), "assigned splits"),
        },
        // The reader holds the restored split and the added one (from its start).
        Case {
            flink: f("testHandleAddSplitsEvent"),
            check: || ensure_eq(restored(2).positions().clone(), offsets(&[(0, 10), (1, 0)]), "assigned splits"),
        },
        // The snapshot of checkpoint 100 holds both splits, in order, at their positions.
        Case {
            flink: f("testSnapshotState"),
            check: || {
                let (state, _) = restored(2).snapshot(CheckpointId(100));
                ensure_eq(state, OperatorState::SourceOffsets(offsets(&[(0, 10), (1, 0)])), "splits in state")
            },
        },
        // `notifyCheckpointComplete(100)` reaches the reader: it commits the offsets its snapshot
        // of 100 stored and keeps nothing pending.
        Case {
            flink: f("testNotifyCheckpointComplete"),
            check: || {
                let mut s = restored(1);
                s.snapshot(CheckpointId(100));
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(100)), Some(offsets(&[(0, 10)])), "commit")?;
                ensure_eq(s.pending_checkpoints().count(), 0, "pending after the completion")
            },
        },
        // `notifyCheckpointAborted(100)` reaches the reader, which ignores it: 100's offsets stay
        // pending, nothing is committed, and a later completion of 101 commits and prunes them.
        Case {
            flink: f("testNotifyCheckpointAborted"),
            check: || {
                let mut s = restored(1);
                s.snapshot(CheckpointId(100));
                s.notify_checkpoint_aborted(CheckpointId(100));
                ensure_eq(
                    s.pending_checkpoints().collect::<Vec<_>>(),
                    vec![CheckpointId(100)],
                    "pending after the abort",
                )?;
                s.snapshot(CheckpointId(101));
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(101)), Some(offsets(&[(0, 10)])), "commit of 101")?;
                ensure_eq(s.pending_checkpoints().count(), 0, "pending at the end")
            },
        },
    ]
}

#[test]
fn source_operator() {
    let all = cases();
    run_table("source operator", &all, |c| case_name(&c.flink, F23), |c| (c.check)());
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, profile_name(F23))).collect()
}
