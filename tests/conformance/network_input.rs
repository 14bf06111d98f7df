//! One input channel read by a stream task (issue 17, session 26): Flink's `StreamTaskNetworkInputTest` (2.x form, 7 methods) posed to the core's `Task` with one input channel.
//!
//! Flink's `StreamTaskNetworkInput.emitNext` takes one element of its `CheckpointedInputGate`
//! at a time: a record is handed to the operator chain (`DataOutput.emitRecord`), a barrier to
//! the barrier handler, which runs the checkpoint's mailbox action before any later record, and
//! an `EndOfPartition` ends the channel. The model's task is handed one element at a time
//! (`Task::handle_input`), so the model's answer to each assertion is what the task put out
//! after each element: an `Emit` per record handed on, a `Snapshot` and `EmitBarrier` for a
//! barrier, the input ended after the last `EndOfPartition`. Run under both profiles (the three
//! posed methods are in the 1.x form too).
//!
//! Posed: `testIsAvailableWithBufferedDataInDeserializer` (one buffer with two records: each
//! `emitNext` hands on one of them, two in all), `testNoDataProcessedAfterCheckpointBarrier` (a
//! barrier then a buffer: after the barrier's step no record was handed on; the model also
//! asserts the barrier's checkpoint was taken and forwarded in that step, and the records only
//! after it), `testSnapshotAfterEndOfPartition` (an unaligned barrier, then record 42, then
//! `EndOfPartition`: one record handed on, the snapshot taken at the barrier holds no in-flight
//! channel state (nothing was ahead of the barrier), the channel's end neither fails nor
//! declines the checkpoint, and the input has ended).
//!
//! Not posable, with the reason (docs/conformance.md, `common::NOT_POSABLE`):
//! * `testReleasingDeserializerTimely`: record deserializers (spanning buffers, spilling) are
//!   not modelled; a channel hands whole elements.
//! * `testInputStatusAfterEndOfRecovery`: the model restores a channel's in-flight state into
//!   the task before any input (`Task::new`), with no `EndOfChannelStateEvent` and no
//!   `END_OF_RECOVERY` status.
//! * `testRecordsAreProcessedInBatches`, `testBatchProcessingRecordsCanBeInterrupted`: batching
//!   several records in one `emitNext` (`canEmitBatchOfRecords`) is the mailbox loop's
//!   scheduling; the model's task is handed one element per call.

use crate::common::{case_name, ensure_eq, flink, run_table, Flink, F111, F23};
use ckptsim::barrier::HandlerKind;
use ckptsim::ids::{Attempt, ChannelId, CheckpointId, TaskId};
use ckptsim::operator::SurvivingCounters;
use ckptsim::record::{Alignment, Barrier, CheckpointKind, Lineage, Record, StreamElement, Value};
use ckptsim::task::{HeadSpec, Partitioner, TailSpec, Task, TaskOutput, TaskSpec};
use ckptsim::{Profile, Variant};
use std::collections::BTreeMap;

const STNIT: &str = "StreamTaskNetworkInputTest";

/// A one-input task with one channel and no operator of its own, its records handed on
/// (forward).
fn task(profile: Profile, handler: HandlerKind) -> Task {
    let spec = TaskSpec {
        task: TaskId(0),
        name: "network-input".into(),
        subtask: 0,
        parallelism: 1,
        attempt: Attempt(0),
        head: HeadSpec::Inputs { inputs: 1, handler },
        chain: vec![],
        tail: TailSpec::Output(Partitioner::Forward),
        profile,
        variant: Variant::Correct,
        padding_bytes: 0,
        vertex_peers: vec![TaskId(0)],
    };
    let e = BTreeMap::new();
    let mut t = Task::new(spec, 0, None, &e, &e, &mut SurvivingCounters::default());
    t.set_wait_for_final_checkpoint(false);
    t
}

fn record(v: i64, seq: u64) -> StreamElement {
    StreamElement::Record(Record { value: Value::Int(v), lineage: Lineage { input_seq: seq, sub: 0 }, timestamp: None })
}

fn barrier(alignment: Alignment) -> StreamElement {
    StreamElement::Barrier(Barrier {
        id: CheckpointId(1),
        timestamp_ms: 0,
        kind: CheckpointKind::Checkpoint,
        alignment,
        stop: None,
    })
}

/// What one `emitNext` (one element handed to the task) put out.
#[derive(Default, Debug)]
struct Step {
    records: Vec<Value>,
    snapshots: Vec<(CheckpointId, usize)>,
    barriers: usize,
    declines: usize,
    failed: bool,
}

fn step(t: &mut Task, now_ms: u64, e: StreamElement) -> Step {
    let mut c = SurvivingCounters::default();
    t.handle_input(now_ms, ChannelId(0), e, &[], &mut c);
    let mut s = Step::default();
    while let Some(o) = t.poll_output() {
        match o {
            TaskOutput::Emit { record, .. } => s.records.push(record.value),
            TaskOutput::Snapshot { id, snapshot, .. } => {
                s.snapshots.push((id, snapshot.in_flight.values().map(Vec::len).sum()))
            }
            TaskOutput::EmitBarrier { .. } => s.barriers += 1,
            TaskOutput::Decline { .. } => s.declines += 1,
            TaskOutput::Failed { .. } => s.failed = true,
            _ => {}
        }
    }
    s
}

/// `testIsAvailableWithBufferedDataInDeserializer`: the buffer's two records (42, 44), one per
/// `emitNext`, each handed on.
fn buffered_records_one_per_step(profile: Profile) -> Result<(), String> {
    let mut t = task(profile, HandlerKind::Aligned);
    let first = step(&mut t, 1, record(42, 0));
    ensure_eq(first.records, vec![Value::Int(42)], "first emitNext")?;
    let second = step(&mut t, 2, record(44, 1));
    ensure_eq(second.records, vec![Value::Int(44)], "second emitNext")
}

/// `testNoDataProcessedAfterCheckpointBarrier`: the barrier's step hands on no record (its
/// checkpoint is taken and the barrier forwarded in that step); the records come after.
fn no_record_in_the_barrier_step(profile: Profile) -> Result<(), String> {
    let mut t = task(profile, HandlerKind::Aligned);
    let b = step(&mut t, 1, barrier(Alignment::Aligned));
    ensure_eq(b.records.len(), 0, "records handed on in the barrier's emitNext")?;
    ensure_eq((b.snapshots.len(), b.barriers), (1, 1), "(snapshots, forwarded barriers) at the barrier")?;
    let r1 = step(&mut t, 2, record(42, 0));
    let r2 = step(&mut t, 3, record(44, 1));
    ensure_eq((r1.records.len(), r2.records.len()), (1, 1), "records after the barrier, one per emitNext")
}

/// `testSnapshotAfterEndOfPartition`: an unaligned barrier, record 42, then EndOfPartition;
/// one record handed on, the snapshot holds no in-flight record, the end declines nothing.
fn snapshot_then_end_of_partition(profile: Profile) -> Result<(), String> {
    let mut t = task(profile, HandlerKind::Alternating);
    let b = step(&mut t, 1, barrier(Alignment::Unaligned));
    let r = step(&mut t, 2, record(42, 0));
    ensure_eq(b.records.len() + r.records.len(), 1, "records handed on after two emitNext")?;
    ensure_eq(b.snapshots, vec![(CheckpointId(1), 0)], "(checkpoint, in-flight records) snapshotted at the barrier")?;
    let end = step(&mut t, 3, StreamElement::EndOfPartition);
    ensure_eq((end.declines, end.failed), (0, false), "(declines, failed) at EndOfPartition")?;
    ensure_eq(t.input_has_ended(), true, "input ended after the channel's EndOfPartition")
}

/// One posed check under a profile.
type Check = fn(Profile) -> Result<(), String>;

struct Case {
    flink: Flink,
    profile: Profile,
    check: Check,
}

fn cases() -> Vec<Case> {
    let methods: [(&str, Check); 3] = [
        ("testIsAvailableWithBufferedDataInDeserializer", buffered_records_one_per_step),
        ("testNoDataProcessedAfterCheckpointBarrier", no_record_in_the_barrier_step),
        ("testSnapshotAfterEndOfPartition", snapshot_then_end_of_partition),
    ];
    let mut v = Vec::new();
    for profile in [F111, F23] {
        for (method, check) in methods {
            v.push(Case { flink: flink(STNIT, method, "2.x"), profile, check });
        }
    }
    v
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, crate::common::profile_name(c.profile))).collect()
}

#[test]
fn stream_task_network_input() {
    run_table(STNIT, &cases(), |c| case_name(&c.flink, c.profile), |c| (c.check)(c.profile));
}
