//! Stop-with-savepoint, data-driven: the coordinator's synchronous savepoint (notification, failure handling per profile) and a task's stop at its barrier, notification and finish.

use super::*;
use crate::barrier::HandlerKind;
use crate::config::CheckpointConfig;
use crate::coordinator::{CheckpointCoordinator, CoordinatorOutput, ExecutionView, RequestKind};
use crate::reason::CheckpointFailureReason as R;
use crate::record::{Alignment, CheckpointKind, Value};
use crate::status::JobStatus;

/// A stop without drain.
const ND: Option<StopMode> = Some(StopMode::NoDrain);

// ------------------------------------------------------------------ coordinator

/// What happens to the stop's savepoint after its trigger.
#[derive(Copy, Clone, Debug)]
enum Outcome {
    /// Both tasks acknowledge.
    Acked,
    /// Task 1 declines with this reason.
    Declined(R),
    /// Nobody acknowledges: the timeout expires it.
    Expired,
}

struct CoordCase {
    name: &'static str,
    /// The Flink class / test whose behaviour the case follows.
    flink: &'static str,
    profile: Profile,
    /// `None`: a plain savepoint (the control), `Some`: stop-with-savepoint.
    stop: Option<StopMode>,
    outcome: Outcome,
    /// Rendered outputs that must appear after the outcome.
    want: &'static [&'static str],
    /// Rendered outputs that must not appear after the outcome.
    not: &'static [&'static str],
}

fn render(o: &CoordinatorOutput) -> String {
    match o {
        CoordinatorOutput::Trigger { id, stop, .. } => format!("trigger {id} {stop:?}"),
        CoordinatorOutput::NotifyComplete { id } => format!("notify-complete {id}"),
        CoordinatorOutput::NotifyAborted { id, .. } => format!("notify-aborted {id}"),
        CoordinatorOutput::Completed(cp) => format!("completed {}", cp.id),
        CoordinatorOutput::Aborted { id, reason, .. } => format!("aborted {id} {reason}"),
        CoordinatorOutput::FailJob(f) if f.sync_savepoint => format!("fail-job sync {}", f.reason),
        CoordinatorOutput::FailJob(f) => format!("fail-job threshold {}", f.reason),
        other => format!("{other:?}"),
    }
}

fn run_coordinator(case: &CoordCase) {
    let config = CheckpointConfig { interval_ms: Some(1000), timeout_ms: 5_000, ..CheckpointConfig::default() };
    let tasks = vec![TaskId(0), TaskId(1)];
    let mut c = CheckpointCoordinator::new(&config, case.profile, Variant::Correct, tasks, 500);
    let up =
        ExecutionView { job_status: JobStatus::Running, all_tasks_running_or_finished: true, sources_running: true };
    c.handle_execution_view(0, up, 0);
    while c.poll_output().is_some() {}
    match case.stop {
        Some(mode) => c.stop_with_savepoint(100, mode),
        None => c.request(100, RequestKind::Savepoint),
    }
    let mut triggered = Vec::new();
    while let Some(o) = c.poll_output() {
        triggered.push(render(&o));
    }
    let at = format!("case `{}` ({}, {})", case.name, case.profile, case.flink);
    let id = CheckpointId(1);
    let want_trigger = format!("trigger {id} {:?}", case.stop);
    assert!(triggered.contains(&want_trigger), "{at}: {want_trigger} missing from {triggered:?}");
    match case.outcome {
        Outcome::Acked => {
            c.handle_ack(200, id, TaskId(0), TaskSnapshot::default());
            c.handle_ack(200, id, TaskId(1), TaskSnapshot::default());
        }
        Outcome::Declined(reason) => c.handle_decline(200, id, TaskId(1), reason),
        Outcome::Expired => c.handle_timeout(5_100),
    }
    let mut after = Vec::new();
    while let Some(o) = c.poll_output() {
        after.push(render(&o));
    }
    for w in case.want {
        assert!(after.iter().any(|l| l == w), "{at}: `{w}` missing from {after:?}");
    }
    for n in case.not {
        assert!(!after.iter().any(|l| l.starts_with(n)), "{at}: unexpected `{n}` in {after:?}");
    }
}

#[test]
fn synchronous_savepoint_in_the_coordinator() {
    use Outcome::*;
    use Profile::{Flink111, Flink23};
    let cases = [
        CoordCase {
            name: "a completed synchronous savepoint is notified (2.x skips notifying plain savepoints)",
            flink: "CheckpointCoordinator.cleanupAfterCompletedCheckpoint: !isSavepoint() || isSynchronous()",
            profile: Flink23,
            stop: ND,
            outcome: Acked,
            want: &["completed 1", "notify-complete 1"],
            not: &["fail-job"],
        },
        CoordCase {
            name: "control: a plain 2.x savepoint is not notified",
            flink: "CheckpointCoordinator.cleanupAfterCompletedCheckpoint (FLINK-25191)",
            profile: Flink23,
            stop: None,
            outcome: Acked,
            want: &["completed 1"],
            not: &["notify-complete"],
        },
        CoordCase {
            name: "a completed synchronous savepoint is notified in 1.11",
            flink: "SynchronousCheckpointITCase (1.11): notifyCheckpointComplete ends the synchronous loop",
            profile: Flink111,
            stop: Some(StopMode::Drain),
            outcome: Acked,
            want: &["completed 1", "notify-complete 1"],
            not: &["fail-job"],
        },
        CoordCase {
            name: "2.x: a task-level failure of a synchronous savepoint fails the job at once",
            flink:
                "CheckpointFailureManager.handleTaskLevelCheckpointException (isSavepoint && isSynchronous -> failJob)",
            profile: Flink23,
            stop: ND,
            outcome: Declined(R::CheckpointAsyncException),
            want: &[
                "aborted 1 CHECKPOINT_ASYNC_EXCEPTION",
                "notify-aborted 1",
                "fail-job sync CHECKPOINT_ASYNC_EXCEPTION",
            ],
            not: &["fail-job threshold"],
        },
        CoordCase {
            name: "2.x: an expired synchronous savepoint is a job-level savepoint failure: not counted, no fail",
            flink: "CheckpointFailureManager.handleJobLevelCheckpointException (savepoints skip the counter)",
            profile: Flink23,
            stop: ND,
            outcome: Expired,
            want: &["aborted 1 CHECKPOINT_EXPIRED", "notify-aborted 1"],
            not: &["fail-job"],
        },
        CoordCase {
            name: "1.11: a declined synchronous savepoint fails the job (not pre-flight)",
            flink: "CheckpointFailureManager.handleSynchronousSavepointFailure (1.11)",
            profile: Flink111,
            stop: ND,
            outcome: Declined(R::CheckpointAsyncException),
            want: &["fail-job sync CHECKPOINT_ASYNC_EXCEPTION"],
            not: &["fail-job threshold"],
        },
        CoordCase {
            name: "1.11: an expired synchronous savepoint crosses the counter (tolerable 0) and fails the job",
            flink:
                "CheckpointFailureManager.handleJobLevelCheckpointException + handleSynchronousSavepointFailure (1.11)",
            profile: Flink111,
            stop: ND,
            outcome: Expired,
            want: &["fail-job threshold CHECKPOINT_EXPIRED"],
            not: &["fail-job sync"],
        },
        CoordCase {
            name: "1.11: a task-failure abort of a synchronous savepoint adds no failure of its own",
            flink: "CheckpointFailureManager.handleSynchronousSavepointFailure (the job already fails)",
            profile: Flink111,
            stop: ND,
            outcome: Declined(R::TaskFailure),
            want: &["aborted 1 TASK_FAILURE"],
            not: &["fail-job"],
        },
    ];
    for case in &cases {
        run_coordinator(case);
    }
}

// ------------------------------------------------------------------ task

#[derive(Copy, Clone, Debug)]
enum Step {
    /// A record on channel 0.
    Rec(i64),
    /// The barrier of checkpoint `id`, synchronous (stop) or not.
    Barrier(u64, Option<StopMode>),
    Notify(u64),
    Abort(u64),
    EndOfPartition,
}

struct TaskCase {
    name: &'static str,
    flink: &'static str,
    profile: Profile,
    /// `true`: a log source (barriers are triggers, records are log records); else one input channel.
    source: bool,
    steps: &'static [Step],
    /// After the steps: input paused, finished, failed.
    paused: bool,
    finished: bool,
    failed: bool,
}

fn task_spec(profile: Profile, source: bool) -> TaskSpec {
    let head = if source {
        HeadSpec::LogSource { partitions: 1, topic: String::new(), startup: StartupMode::Earliest }
    } else {
        HeadSpec::Inputs { inputs: 1, handler: HandlerKind::Aligned }
    };
    TaskSpec {
        task: TaskId(0),
        name: "t".into(),
        subtask: 0,
        parallelism: 1,
        attempt: Attempt(0),
        head,
        chain: vec![],
        tail: TailSpec::PrintSink,
        profile,
        variant: Variant::Correct,
        padding_bytes: 0,
        vertex_peers: vec![TaskId(0)],
    }
}

fn barrier(id: u64, stop: Option<StopMode>) -> Barrier {
    Barrier {
        id: CheckpointId(id),
        timestamp_ms: 0,
        kind: CheckpointKind::Savepoint,
        alignment: Alignment::Aligned,
        stop,
    }
}

fn run_task(case: &TaskCase) -> Task {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut t = Task::new(task_spec(case.profile, case.source), 0, None, &e, &e, &mut c);
    t.set_wait_for_final_checkpoint(case.profile.checkpoints_after_tasks_finish());
    let mut offset = 0;
    for (now, step) in (1u64..).zip(case.steps) {
        match *step {
            Step::Rec(v) if case.source => {
                let r = LogRecord {
                    partition: PartitionId(0),
                    offset: Offset(offset),
                    value: Value::Int(v),
                    lineage: Lineage { input_seq: offset, sub: 0 },
                    timestamp: None,
                };
                offset += 1;
                t.handle_log_records(now, &[r], &mut c);
            }
            Step::Rec(v) => {
                let r = Record::new(Value::Int(v), Lineage { input_seq: v as u64, sub: 0 });
                t.handle_input(now, ChannelId(0), StreamElement::Record(r), &[], &mut c);
            }
            Step::Barrier(id, stop) if case.source => t.handle_trigger(now, barrier(id, stop)),
            Step::Barrier(id, stop) => {
                t.handle_input(now, ChannelId(0), StreamElement::Barrier(barrier(id, stop)), &[], &mut c)
            }
            Step::Notify(id) => t.handle_notify_complete(now, CheckpointId(id)),
            Step::Abort(id) => t.handle_notify_aborted(now, CheckpointId(id)),
            Step::EndOfPartition => t.handle_input(now, ChannelId(0), StreamElement::EndOfPartition, &[], &mut c),
        }
        while t.poll_output().is_some() {}
    }
    t
}

#[test]
fn synchronous_savepoint_in_a_task() {
    use Profile::{Flink111, Flink23};
    use Step::*;
    let mut cases = Vec::new();
    for profile in [Flink111, Flink23] {
        cases.extend([
            TaskCase {
                name: "a source stops reading at the synchronous savepoint",
                flink: "SourceStreamTask / SourceOperator#stop: no record after the savepoint's barrier",
                profile,
                source: true,
                steps: &[Rec(1), Barrier(1, ND)],
                paused: true,
                finished: false,
                failed: false,
            },
            TaskCase {
                name: "a source finishes once the synchronous savepoint is notified",
                flink: "SavepointITCase#testStopWithSavepointForFlip27SourceWithoutDrain; 1.11 SourceStreamTask.finishTask",
                profile,
                source: true,
                steps: &[Rec(1), Barrier(1, ND), Notify(1)],
                paused: true,
                finished: true,
                failed: false,
            },
            TaskCase {
                name: "control: a plain savepoint does not stop a source",
                flink: "StreamTask.performCheckpoint (non-synchronous)",
                profile,
                source: true,
                steps: &[Rec(1), Barrier(1, None), Notify(1)],
                paused: false,
                finished: false,
                failed: false,
            },
            TaskCase {
                name: "a downstream task takes no input until notified (1.11); 2.x reads on (only EndOfPartitions come)",
                flink: "1.11 StreamTask.runSynchronousSavepointMailboxLoop; 2.x StreamTask.afterInvoke",
                profile,
                source: false,
                steps: &[Rec(1), Barrier(1, ND)],
                paused: profile == Flink111,
                finished: false,
                failed: false,
            },
            TaskCase {
                name: "a downstream task finishes on EndOfPartition after the notification, with no further checkpoint",
                flink: "StopWithSavepointITCase: all tasks FINISHED after the savepoint",
                profile,
                source: false,
                steps: &[Rec(1), Barrier(1, ND), Notify(1), EndOfPartition],
                paused: false,
                finished: true,
                failed: false,
            },
            TaskCase {
                name: "a notification of another checkpoint does not release the stop",
                flink: "StreamTask.isCurrentSyncSavepoint",
                profile,
                source: false,
                steps: &[Rec(1), Barrier(2, ND), Notify(1)],
                paused: profile == Flink111,
                finished: false,
                failed: false,
            },
        ]);
    }
    cases.extend([
        TaskCase {
            name: "2.x: an aborted synchronous savepoint fails the task",
            flink: "StreamTask.notifyCheckpointAborted: \"Stop-with-savepoint failed.\"",
            profile: Flink23,
            source: false,
            steps: &[Rec(1), Barrier(1, ND), Abort(1)],
            paused: false,
            finished: false,
            failed: true,
        },
        // Issue 14 side finding: a 2.x task that missed the synchronous savepoint's
        // notification kept its input paused, never took its EndOfPartitions, and declined
        // every later checkpoint triggered on it (CHECKPOINT_DECLINED_TASK_NOT_READY); and a
        // later checkpoint's notification finished it. Flink's task takes the EndOfPartitions,
        // snapshots later checkpoints, and finishes only on the savepoint's own notification.
        TaskCase {
            name: "2.x: a downstream task that missed the notification takes its EndOfPartitions but does not finish",
            flink: "StreamTask.afterInvoke: FutureUtils.waitForAll(finalCheckpointCompleted)",
            profile: Flink23,
            source: false,
            steps: &[Rec(1), Barrier(1, ND), EndOfPartition],
            paused: false,
            finished: false,
            failed: false,
        },
        TaskCase {
            name:
                "2.x: a later checkpoint's notification does not finish a task waiting for its synchronous savepoint's",
            flink: "StreamTask.notifyCheckpointComplete: isCurrentSyncSavepoint, else only when syncSavepoint == null",
            profile: Flink23,
            source: false,
            steps: &[Rec(1), Barrier(1, ND), EndOfPartition, Notify(2)],
            paused: false,
            finished: false,
            failed: false,
        },
        TaskCase {
            name: "2.x: the savepoint's notification after the EndOfPartitions finishes the task",
            flink: "StreamTask.notifyCheckpointComplete: finalCheckpointCompleted on the synchronous savepoint",
            profile: Flink23,
            source: false,
            steps: &[Rec(1), Barrier(1, ND), EndOfPartition, Notify(1)],
            paused: false,
            finished: true,
            failed: false,
        },
        TaskCase {
            name: "1.11: an aborted synchronous savepoint resumes the task",
            flink: "1.11 StreamTask.notifyCheckpointAbortAsync (resets the synchronous savepoint id)",
            profile: Flink111,
            source: false,
            steps: &[Rec(1), Barrier(1, ND), Abort(1), Rec(2)],
            paused: false,
            finished: false,
            failed: false,
        },
    ]);
    for case in &cases {
        let t = run_task(case);
        let at = format!("case `{}` ({}, {})", case.name, case.profile, case.flink);
        assert_eq!(t.input_paused(), case.paused, "{at}: input paused");
        assert_eq!(t.is_finished(), case.finished, "{at}: finished");
        assert_eq!(t.has_failed(), case.failed, "{at}: failed");
    }
}

/// 2.x without periodic checkpoints (the host sets no wait for a final checkpoint): a task
/// that took the synchronous savepoint still finishes only on its notification, also when its
/// EndOfPartitions came first (`StreamTask.afterInvoke` adds `finalCheckpointCompleted` to its
/// termination conditions whenever `syncSavepoint != null`). Found by
/// `regressions/stop-savepoint-lost-notify-later-checkpoint.toml`.
#[test]
fn without_checkpointing_a_task_still_waits_for_its_synchronous_savepoint_notification() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut t = Task::new(task_spec(Profile::Flink23, false), 0, None, &e, &e, &mut c);
    t.set_wait_for_final_checkpoint(false);
    let r = Record::new(Value::Int(1), Lineage { input_seq: 1, sub: 0 });
    t.handle_input(1, ChannelId(0), StreamElement::Record(r), &[], &mut c);
    let b = barrier(1, Some(StopMode::NoDrain));
    t.handle_input(2, ChannelId(0), StreamElement::Barrier(b), &[], &mut c);
    t.handle_input(3, ChannelId(0), StreamElement::EndOfPartition, &[], &mut c);
    while t.poll_output().is_some() {}
    assert!(!t.input_paused(), "2.x reads its EndOfPartitions");
    assert!(!t.is_finished(), "not before the savepoint's notification");
    t.handle_notify_complete(4, CheckpointId(1));
    assert!(t.is_finished(), "finished on the savepoint's notification");
}

/// The host must hand a task that stopped at a synchronous savepoint no record: one that
/// still arrives is a protocol bug. The task reports it (savepoint id and lineage) for the
/// world's `stop` checker, once, and nothing before the barrier is reported.
#[test]
fn a_record_after_the_synchronous_savepoint_is_reported() {
    let case = TaskCase {
        name: "record after the stop",
        flink: "StreamTask: no input after the synchronous savepoint",
        profile: Profile::Flink23,
        source: false,
        steps: &[Step::Rec(7), Step::Barrier(1, Some(StopMode::NoDrain)), Step::Rec(1)],
        paused: true,
        finished: false,
        failed: false,
    };
    let mut t = run_task(&case);
    let after = t.take_records_after_stop();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].savepoint, CheckpointId(1));
    assert!(t.take_records_after_stop().is_empty(), "reported once");
}

/// A task with inputs that the JobManager triggers directly (flink-2.3 triggers a task whose
/// upstream tasks all FINISHED, Flink's `DefaultCheckpointPlanCalculator`): while its own
/// inputs have not ended (an EndOfPartition still on its way) it declines, not counted
/// (`CHECKPOINT_DECLINED_TASK_NOT_READY`; Flink would take the barrier as received on those
/// channels, `StreamTask#triggerUnfinishedChannelsCheckpoint`); once every input ended it
/// snapshots at once, as a source does, and names that checkpoint as taken without barriers.
/// The newest completion it learned never goes back when an older notification comes late.
#[test]
fn a_task_with_inputs_triggered_directly_snapshots_only_once_its_inputs_ended() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut t = Task::new(task_spec(Profile::Flink23, false), 0, None, &e, &e, &mut c);
    t.set_wait_for_final_checkpoint(true);
    let trigger = |id| Barrier {
        id: CheckpointId(id),
        timestamp_ms: 0,
        kind: CheckpointKind::Checkpoint,
        alignment: Alignment::Aligned,
        stop: None,
    };
    let drain = |t: &mut Task| std::iter::from_fn(|| t.poll_output()).collect::<Vec<_>>();
    let r = Record::new(Value::Int(1), Lineage { input_seq: 1, sub: 0 });
    t.handle_input(1, ChannelId(0), StreamElement::Record(r), &[], &mut c);
    drain(&mut t);
    t.handle_trigger(2, trigger(1));
    let out = drain(&mut t);
    assert!(
        matches!(
            out.as_slice(),
            [TaskOutput::Decline { id: CheckpointId(1), reason: R::CheckpointDeclinedTaskNotReady }]
        ),
        "inputs not ended: {out:?}"
    );
    assert_eq!((t.direct_snapshot_id(), t.last_snapshot_id()), (None, None));
    t.handle_input(3, ChannelId(0), StreamElement::EndOfPartition, &[], &mut c);
    drain(&mut t);
    t.handle_trigger(4, trigger(2));
    let out = drain(&mut t);
    assert!(out.iter().any(|o| matches!(o, TaskOutput::Snapshot { .. })), "inputs ended: {out:?}");
    assert!(!out.iter().any(|o| matches!(o, TaskOutput::Decline { .. })), "{out:?}");
    assert_eq!(t.direct_snapshot_id(), Some(CheckpointId(2)));
    assert_eq!(t.last_snapshot_id(), Some(CheckpointId(2)));
    for (id, newest) in [(2, 2), (3, 3), (2, 3)] {
        t.handle_notify_complete(5, CheckpointId(id));
        assert_eq!(t.last_completed_id(), Some(CheckpointId(newest)), "after the notification of {id}");
    }
}

/// An unaligned checkpoint's snapshot is taken at its first barrier but acknowledged only once
/// the barrier arrived on every channel, when the channel state (the records that overtook it)
/// is complete: in Flink the asynchronous part of the checkpoint (`AsyncCheckpointRunnable`)
/// waits for the channel state, whose input side the barrier handler finishes after the last
/// barrier (`ChannelStateWriter#finishInput`; `UnalignedCheckpointsTest` in the conformance
/// tables for the handler's side).
#[test]
fn an_unaligned_snapshot_is_acknowledged_when_the_last_barrier_arrived() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut spec = task_spec(Profile::Flink23, false);
    spec.head = HeadSpec::Inputs { inputs: 2, handler: HandlerKind::Alternating };
    let mut t = Task::new(spec, 0, None, &e, &e, &mut c);
    let b = Barrier {
        id: CheckpointId(1),
        timestamp_ms: 0,
        kind: CheckpointKind::Checkpoint,
        alignment: Alignment::Unaligned,
        stop: None,
    };
    let acks = |t: &mut Task| {
        std::iter::from_fn(|| t.poll_output())
            .filter_map(|o| match o {
                TaskOutput::Snapshot { id, unaligned, .. } => Some((id, unaligned)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    t.handle_input(1, ChannelId(0), StreamElement::Barrier(b), &[], &mut c);
    assert_eq!(acks(&mut t), vec![], "channel 1's state is still being written");
    assert_eq!(t.last_snapshot_id(), Some(CheckpointId(1)), "the snapshot is taken at the first barrier");
    t.handle_input(2, ChannelId(1), StreamElement::Barrier(b), &[], &mut c);
    assert_eq!(acks(&mut t), vec![(CheckpointId(1), true)], "acknowledged at the last barrier");
}

/// An unaligned checkpoint is acknowledged when its last barrier arrives, with the records its
/// priority barriers overtook as channel state, before the task processed any of them (session
/// 28): Flink's `RemoteInputChannel#checkpointStarted` spills the buffers a received barrier
/// overtook at once, and `SubtaskCheckpointCoordinatorImpl` finishes the input channel state
/// (`ChannelStateWriter#finishInput`) when the barrier handler's all-barriers-received future
/// completes. A cancel marker of a newer checkpoint that comes afterwards declines only that
/// one, and the overtaken records, processed later, are not persisted again.
#[test]
fn an_unaligned_checkpoint_is_acknowledged_at_its_last_barrier_before_the_overtaken_records_are_processed() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut spec = task_spec(Profile::Flink23, false);
    spec.head = HeadSpec::Inputs { inputs: 2, handler: HandlerKind::Alternating };
    let mut t = Task::new(spec, 0, None, &e, &e, &mut c);
    let b = Barrier {
        id: CheckpointId(1),
        timestamp_ms: 0,
        kind: CheckpointKind::Checkpoint,
        alignment: Alignment::Unaligned,
        stop: None,
    };
    let drain = |t: &mut Task| std::iter::from_fn(|| t.poll_output()).collect::<Vec<_>>();
    let acks = |out: Vec<TaskOutput>| -> Vec<(CheckpointId, bool, Vec<u64>)> {
        out.into_iter()
            .filter_map(|o| match o {
                TaskOutput::Snapshot { id, unaligned, snapshot, .. } => {
                    let seqs = snapshot.in_flight.values().flatten().map(|r| r.lineage.input_seq).collect();
                    Some((id, unaligned, seqs))
                }
                _ => None,
            })
            .collect()
    };
    let overtaken: Vec<Record> =
        (1..=2).map(|seq| Record::new(Value::Int(seq), Lineage { input_seq: seq as u64, sub: 0 })).collect();
    // Checkpoint 1's barrier overtook two records on channel 0.
    t.handle_input(1, ChannelId(0), StreamElement::Barrier(b), &overtaken, &mut c);
    assert_eq!(acks(drain(&mut t)), vec![], "channel 1's barrier has not arrived");
    t.handle_input(2, ChannelId(1), StreamElement::Barrier(b), &[], &mut c);
    assert_eq!(
        acks(drain(&mut t)),
        vec![(CheckpointId(1), true, vec![1, 2])],
        "acknowledged at the last barrier, the overtaken records as channel state"
    );
    assert_eq!(t.records_in(), 0, "none of them was processed");
    t.handle_input(3, ChannelId(1), StreamElement::CancelMarker(CheckpointId(2)), &[], &mut c);
    let out = drain(&mut t);
    let declined: Vec<CheckpointId> = out
        .iter()
        .filter_map(|o| match o {
            TaskOutput::Decline { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(declined, vec![CheckpointId(2)], "only the cancelled checkpoint is declined: {out:?}");
    for (r, at) in overtaken.into_iter().zip([4, 5]) {
        t.handle_input(at, ChannelId(0), StreamElement::Record(r), &[], &mut c);
    }
    assert_eq!(acks(drain(&mut t)), vec![], "processed, not persisted again");
    assert_eq!(t.records_in(), 2);
}
/// A cancel marker of a newer checkpoint while an unaligned checkpoint still collects its
/// barriers (session 15, issue 16): Flink's `SingleCheckpointBarrierHandler.abortInternal`
/// notifies only the cancelled id, so only checkpoint 2 is declined *and* cancelled downstream.
/// Checkpoint 1's snapshot was taken; in 2.x its `allBarriersReceivedFuture` fails, the channel
/// state write is aborted (`SubtaskCheckpointCoordinatorImpl.prepareInflightDataSnapshot`) and
/// `AsyncCheckpointRunnable` declines 1 with the underlying reason, without a cancel marker; in
/// 1.11 (`CheckpointBarrierUnaligner`) the future stays incomplete and the task sends nothing
/// for 1. Either way 1 is never acknowledged. Before, the model also cancelled 1 downstream.
#[test]
fn a_cancel_marker_of_a_newer_checkpoint_fails_the_pending_unaligned_one_without_a_marker() {
    for profile in [Profile::Flink23, Profile::Flink111] {
        let mut c = SurvivingCounters::default();
        let e = BTreeMap::new();
        let mut spec = task_spec(profile, false);
        spec.head = HeadSpec::Inputs { inputs: 2, handler: HandlerKind::Alternating };
        let mut t = Task::new(spec, 0, None, &e, &e, &mut c);
        let b = |id: u64| Barrier {
            id: CheckpointId(id),
            timestamp_ms: 0,
            kind: CheckpointKind::Checkpoint,
            alignment: Alignment::Unaligned,
            stop: None,
        };
        let drain = |t: &mut Task| std::iter::from_fn(|| t.poll_output()).collect::<Vec<_>>();
        t.handle_input(1, ChannelId(0), StreamElement::Barrier(b(1)), &[], &mut c);
        drain(&mut t);
        t.handle_input(2, ChannelId(1), StreamElement::CancelMarker(CheckpointId(2)), &[], &mut c);
        let mut out = drain(&mut t);
        // The late barrier of 1 and the records after it change nothing for 1.
        t.handle_input(3, ChannelId(1), StreamElement::Barrier(b(1)), &[], &mut c);
        let r = Record::new(Value::Int(7), Lineage { input_seq: 7, sub: 0 });
        t.handle_input(4, ChannelId(1), StreamElement::Record(r), &[], &mut c);
        out.extend(drain(&mut t));
        let declined: Vec<(CheckpointId, R)> = out
            .iter()
            .filter_map(|o| match o {
                TaskOutput::Decline { id, reason } => Some((*id, *reason)),
                _ => None,
            })
            .collect();
        let cancelled: Vec<CheckpointId> = out
            .iter()
            .filter_map(|o| match o {
                TaskOutput::EmitCancelMarker { id } => Some(*id),
                _ => None,
            })
            .collect();
        let acked = out.iter().any(|o| matches!(o, TaskOutput::Snapshot { .. }));
        let on_cancel = R::CheckpointDeclinedOnCancellationBarrier;
        let want_declined = match profile {
            Profile::Flink23 => vec![(CheckpointId(1), on_cancel), (CheckpointId(2), on_cancel)],
            Profile::Flink111 => vec![(CheckpointId(2), on_cancel)],
        };
        assert_eq!(declined, want_declined, "{profile}: {out:?}");
        assert_eq!(cancelled, vec![CheckpointId(2)], "{profile}: only the cancelled id goes downstream: {out:?}");
        assert!(!acked, "{profile}: checkpoint 1 is never acknowledged: {out:?}");
    }
}

/// 2.x end of data (FLIP-147, `StreamTask.endData`): a task whose every input channel delivered
/// EndOfData ends its input at once (its upstream still waits for its own final checkpoint),
/// takes the next barrier as its final checkpoint, and finishes only once that checkpoint
/// completed *and* every channel delivered EndOfPartition (the mailbox loop ends on
/// END_OF_INPUT before `afterInvoke` waits for the final checkpoint). Before session 9 the
/// model knew no EndOfData: the task's input ended only with the EndOfPartitions.
#[test]
fn end_of_data_ends_the_input_and_end_of_partition_lets_the_task_finish() {
    for eop_first in [false, true] {
        let mut c = SurvivingCounters::default();
        let e = BTreeMap::new();
        let mut t = Task::new(task_spec(Profile::Flink23, false), 0, None, &e, &e, &mut c);
        t.set_wait_for_final_checkpoint(true);
        let r = Record::new(Value::Int(1), Lineage { input_seq: 1, sub: 0 });
        t.handle_input(1, ChannelId(0), StreamElement::Record(r), &[], &mut c);
        assert!(!t.input_has_ended());
        t.handle_input(2, ChannelId(0), StreamElement::EndOfData, &[], &mut c);
        assert!(t.input_has_ended(), "EndOfData on every channel ends the input");
        assert!(!t.is_finished(), "it still owes its final checkpoint");
        let mut b = barrier(1, None);
        b.kind = CheckpointKind::Checkpoint;
        t.handle_input(3, ChannelId(0), StreamElement::Barrier(b), &[], &mut c);
        while t.poll_output().is_some() {}
        if eop_first {
            t.handle_input(4, ChannelId(0), StreamElement::EndOfPartition, &[], &mut c);
            assert!(!t.is_finished(), "the final checkpoint has not completed");
            t.handle_notify_complete(5, CheckpointId(1));
        } else {
            t.handle_notify_complete(4, CheckpointId(1));
            assert!(!t.is_finished(), "final checkpoint done, but the upstream's EndOfPartition is still due");
            t.handle_input(5, ChannelId(0), StreamElement::EndOfPartition, &[], &mut c);
        }
        assert!(t.is_finished(), "eop_first={eop_first}: final checkpoint completed and every partition ended");
    }
}

/// The final checkpoint is the *first* one a task takes after its data ended (FLIP-147): a later
/// checkpoint taken before that one completed does not move the bar, an older checkpoint's
/// completion does not release the task, and the first one's completion does. Flink's
/// `StreamTask#performCheckpoint` sets `finalCheckpointMinId` only while it is null, and
/// `notifyCheckpointComplete` releases the task once an id `>= finalCheckpointMinId` completed.
#[test]
fn the_first_checkpoint_after_the_end_of_data_is_the_final_one() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut t = Task::new(task_spec(Profile::Flink23, false), 0, None, &e, &e, &mut c);
    t.set_wait_for_final_checkpoint(true);
    let snapshot = |t: &mut Task, id: u64, at: u64, c: &mut SurvivingCounters| {
        let mut b = barrier(id, None);
        b.kind = CheckpointKind::Checkpoint;
        t.handle_input(at, ChannelId(0), StreamElement::Barrier(b), &[], c);
    };
    // Checkpoint 1 comes before the record: it does not cover it.
    snapshot(&mut t, 1, 1, &mut c);
    let r = Record::new(Value::Int(1), Lineage { input_seq: 1, sub: 0 });
    t.handle_input(2, ChannelId(0), StreamElement::Record(r), &[], &mut c);
    t.handle_input(3, ChannelId(0), StreamElement::EndOfData, &[], &mut c);
    snapshot(&mut t, 2, 4, &mut c);
    snapshot(&mut t, 3, 5, &mut c);
    while t.poll_output().is_some() {}
    assert_eq!(t.last_snapshot_id(), Some(CheckpointId(3)));
    t.handle_input(6, ChannelId(0), StreamElement::EndOfPartition, &[], &mut c);
    assert!(!t.is_finished(), "no checkpoint completed yet");
    t.handle_notify_complete(7, CheckpointId(1));
    assert!(!t.is_finished(), "checkpoint 1 does not cover the record processed after it");
    t.handle_notify_complete(8, CheckpointId(2));
    assert!(t.is_finished(), "checkpoint 2, the first after the end of data, is the final checkpoint");
}

/// What a restored task reports about itself: its name and attempt as deployed, and the list
/// state each chained operator with operator list state held right after its restore (Flink's
/// `initializeState` with `context.isRestored()`: the `ListState` the operator reads back),
/// taken before any replayed record changes it.
#[test]
fn a_restored_task_reports_its_name_attempt_and_restored_lists() {
    let user = crate::list_state_ops::builtin_operator("counter_partitions").expect("built in");
    let mut spec = task_spec(Profile::Flink23, false);
    spec.chain = vec![crate::task::ChainedOperator {
        instance: "counter[0]".into(),
        operator: crate::operator::Operator::from_user(user, vec![]).expect("a user operator"),
    }];
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut t = Task::new(spec.clone(), 0, None, &e, &e, &mut c);
    assert_eq!((t.name(), t.attempt()), ("t", Attempt(0)));
    assert!(t.restored_lists().is_empty(), "nothing restored");
    for v in 0..7 {
        let r = Record::new(Value::Int(v), Lineage { input_seq: v as u64, sub: 0 });
        t.handle_input(1, ChannelId(0), StreamElement::Record(r), &[], &mut c);
    }
    assert_eq!(t.records_in(), 7);
    let mut b = barrier(1, None);
    b.kind = CheckpointKind::Checkpoint;
    t.handle_input(2, ChannelId(0), StreamElement::Barrier(b), &[], &mut c);
    let snapshot = std::iter::from_fn(|| t.poll_output())
        .find_map(|o| match o {
            TaskOutput::Snapshot { snapshot, .. } => Some(snapshot),
            _ => None,
        })
        .expect("a snapshot");
    let cp = CompletedCheckpoint {
        id: CheckpointId(1),
        kind: CheckpointKind::Checkpoint,
        trigger_ms: 0,
        completed_ms: 3,
        tasks: BTreeMap::from([(TaskId(0), snapshot)]),
        size_bytes: 0,
        external: false,
    };
    spec.attempt = Attempt(1);
    let restored = Task::new(spec, 10, Some(&cp), &e, &e, &mut c);
    assert_eq!(restored.attempt(), Attempt(1));
    let lists = restored.restored_lists();
    assert_eq!(lists.len(), 1, "{lists:?}");
    let (index, entries) = &lists[0];
    let total: i64 = entries.iter().map(|v| if let Value::Int(n) = v { *n } else { -1 }).sum();
    assert_eq!((*index, entries.len(), total), (0, 7, 7), "the counter's seven parts, seven records in all");
}

/// A log source task's Kafka commit settings. With `commit.offsets.on.checkpoint = false`
/// (Flink's `FlinkKafkaConsumerBase#setCommitOffsetsOnCheckpoints(false)`) a completed
/// checkpoint commits nothing; with Kafka's auto-commit (`enable.auto.commit`,
/// `auto.commit.interval.ms`, used when checkpointing is off) the consumer commits its position
/// every interval, and nothing when the position did not move. Without any setting a completed
/// checkpoint commits the offsets it covers. Other heads have no auto-commit.
#[test]
fn a_log_source_task_commits_offsets_as_configured() {
    let log = |t: &mut Task, c: &mut SurvivingCounters, from: u64, n: u64| {
        let rs: Vec<LogRecord> = (from..from + n)
            .map(|o| LogRecord {
                partition: PartitionId(0),
                offset: Offset(o),
                value: Value::Int(o as i64),
                lineage: Lineage { input_seq: o, sub: 0 },
                timestamp: None,
            })
            .collect();
        t.handle_log_records(1, &rs, c);
    };
    let commits = |t: &mut Task| {
        std::iter::from_fn(|| t.poll_output())
            .filter_map(|o| match o {
                TaskOutput::CommitOffsets { offsets } => Some(offsets),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let checkpoint = |t: &mut Task| {
        let mut b = barrier(1, None);
        b.kind = CheckpointKind::Checkpoint;
        t.handle_trigger(2, b);
        t.handle_notify_complete(3, CheckpointId(1));
    };
    let e = BTreeMap::new();
    let mut c = SurvivingCounters::default();
    // Default: the completed checkpoint commits the offset after the three records.
    let mut t = Task::new(task_spec(Profile::Flink23, true), 0, None, &e, &e, &mut c);
    assert_eq!(t.auto_commit_deadline(), None);
    log(&mut t, &mut c, 0, 3);
    checkpoint(&mut t);
    assert_eq!(commits(&mut t), vec![BTreeMap::from([(PartitionId(0), Offset(3))])]);
    // Commit on checkpoints off: nothing.
    let mut t = Task::new(task_spec(Profile::Flink23, true), 0, None, &e, &e, &mut c);
    t.configure_offset_commits(false, None);
    log(&mut t, &mut c, 0, 3);
    checkpoint(&mut t);
    assert_eq!(commits(&mut t), Vec::<BTreeMap<PartitionId, Offset>>::new());
    // Auto-commit every 5 s from 100 ms.
    let mut t = Task::new(task_spec(Profile::Flink23, true), 0, None, &e, &e, &mut c);
    t.configure_offset_commits(true, Some((100, 5_000)));
    assert_eq!(t.auto_commit_deadline(), Some(5_100));
    log(&mut t, &mut c, 0, 3);
    assert_eq!(t.handle_auto_commit(5_000), None, "not due");
    assert_eq!(t.handle_auto_commit(5_100), Some(BTreeMap::from([(PartitionId(0), Offset(3))])));
    assert_eq!(t.auto_commit_deadline(), Some(10_100));
    assert_eq!(t.handle_auto_commit(10_100), None, "the position did not move");
    // A task with input channels has no auto-commit.
    let mut t = Task::new(task_spec(Profile::Flink23, false), 0, None, &e, &e, &mut c);
    t.configure_offset_commits(true, Some((100, 5_000)));
    assert_eq!((t.auto_commit_deadline(), t.handle_auto_commit(5_100)), (None, None));
}

/// A task's timers under aligned-with-timeout checkpoints (flink-2.3, §3.4). An announced
/// barrier starts the input-side alignment clock before the barrier itself is taken (Flink's
/// `SingleCheckpointBarrierHandler` with `AlternatingWaitingForFirstBarrier`: the announcement
/// registers the alignment timeout), so the task asks to be woken at `timestamp + timeout + 1`.
/// Once aligned it forwards the barrier aligned and, with announcements on, arms the output-side
/// timer (`SubtaskCheckpointCoordinatorImpl#registerAlignmentTimer`) that converts the barrier
/// to unaligned if it is still queued when the timeout expires; with announcements off it arms
/// nothing.
#[test]
fn announcements_drive_the_input_and_output_alignment_timers() {
    for announcements in [true, false] {
        let mut c = SurvivingCounters::default();
        let e = BTreeMap::new();
        let mut spec = task_spec(Profile::Flink23, false);
        spec.head = HeadSpec::Inputs { inputs: 2, handler: HandlerKind::Alternating };
        spec.tail = TailSpec::Output(crate::task::Partitioner::Forward);
        let mut t = Task::new(spec, 0, None, &e, &e, &mut c);
        t.set_barrier_announcements(announcements);
        let b = Barrier {
            id: CheckpointId(1),
            timestamp_ms: 0,
            kind: CheckpointKind::Checkpoint,
            alignment: Alignment::AlignedWithTimeout { timeout_ms: 100 },
            stop: None,
        };
        assert_eq!(t.poll_timeout(), None);
        t.handle_announcement(5, ChannelId(0), b);
        assert_eq!(t.poll_timeout(), Some(101), "announced: the alignment timeout runs");
        t.handle_input(10, ChannelId(0), StreamElement::Barrier(b), &[], &mut c);
        t.handle_input(20, ChannelId(1), StreamElement::Barrier(b), &[], &mut c);
        let out: Vec<TaskOutput> = std::iter::from_fn(|| t.poll_output()).collect();
        assert!(
            out.iter().any(|o| matches!(o, TaskOutput::EmitBarrier { priority: false, .. })),
            "forwarded aligned: {out:?}"
        );
        let want = announcements.then_some(101);
        assert_eq!(t.poll_timeout(), want, "announcements {announcements}: the output timer");
        t.handle_timeout(101);
        let converted: Vec<CheckpointId> = std::iter::from_fn(|| t.poll_output())
            .filter_map(|o| match o {
                TaskOutput::ConvertBarrier { id } => Some(id),
                _ => None,
            })
            .collect();
        assert_eq!(converted, if announcements { vec![CheckpointId(1)] } else { vec![] });
    }
}

/// A 2PC sink task in a job without checkpointing, 1.11's `FlinkKafkaProducer` with
/// `Semantic.NONE`: no transactions, every record is written and visible at once (here: its
/// one-record transaction pre-committed and committed right away); without that setting the
/// record waits in the open transaction for a checkpoint.
#[test]
fn a_sink_task_without_checkpointing_commits_each_record_at_once() {
    for none in [true, false] {
        let mut c = SurvivingCounters::default();
        let e = BTreeMap::new();
        let mut spec = task_spec(Profile::Flink111, false);
        spec.tail = TailSpec::TwoPhaseCommitSink;
        let mut t = Task::new(spec, 0, None, &e, &e, &mut c);
        if none {
            t.set_sink_without_checkpointing(crate::sink::NoCheckpointing::NoneSemantic);
        }
        while t.poll_output().is_some() {}
        let r = Record::new(Value::Int(1), Lineage { input_seq: 1, sub: 0 });
        t.handle_input(1, ChannelId(0), StreamElement::Record(r), &[], &mut c);
        let commits = std::iter::from_fn(|| t.poll_output())
            .filter(|o| matches!(o, TaskOutput::Sink(crate::sink::SinkOutput::Commit { .. })))
            .count();
        assert_eq!(commits, usize::from(none), "Semantic.NONE: {none}");
    }
}

/// A task with two input gates ends its input once every channel of every gate delivered
/// EndOfPartition (Flink's `StreamMultipleInputProcessor` reports `END_OF_INPUT` only when all
/// its inputs finished); one gate ending is not enough. Having processed nothing, it still
/// waits for its final checkpoint, the first one it performs after its end of input (2.x
/// `StreamTask#performCheckpoint` sets `finalCheckpointMinId` only then; session 14).
#[test]
fn a_two_gate_task_ends_when_every_gate_ended() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut spec = task_spec(Profile::Flink23, false);
    spec.head = HeadSpec::MultiInputs {
        gates: crate::two_input::InputGates::new(&[1, 1], crate::two_input::InputOperatorSpec::Union),
        handler: HandlerKind::Aligned,
    };
    let mut t = Task::new(spec, 0, None, &e, &e, &mut c);
    t.set_wait_for_final_checkpoint(true);
    t.handle_input(1, ChannelId(0), StreamElement::EndOfPartition, &[], &mut c);
    assert!(!t.input_has_ended() && !t.is_finished(), "gate 1 still open");
    t.handle_input(2, ChannelId(1), StreamElement::EndOfPartition, &[], &mut c);
    assert!(t.input_has_ended() && !t.is_finished(), "every gate ended: waits for its final checkpoint");
    let barrier = |id: u64| Barrier {
        id: CheckpointId(id),
        timestamp_ms: 0,
        kind: CheckpointKind::Checkpoint,
        alignment: Alignment::Aligned,
        stop: None,
    };
    t.handle_trigger(3, barrier(1));
    t.handle_notify_complete(4, CheckpointId(1));
    assert!(t.is_finished(), "checkpoint 1, the first after the end of input, is its final one");
}

/// A source's end of input happens once: a second report (here without the final-checkpoint
/// wait) changes nothing, so a task that processed records still waits for its final checkpoint
/// (FLIP-147; Flink's source loop ends once, `StreamTask#endData` runs once per attempt). A
/// failed task does not end its input at all.
#[test]
fn a_second_end_of_input_changes_nothing() {
    let e = BTreeMap::new();
    let mut c = SurvivingCounters::default();
    let mut t = Task::new(task_spec(Profile::Flink23, true), 0, None, &e, &e, &mut c);
    let rs: Vec<LogRecord> = (0..3)
        .map(|o| LogRecord {
            partition: PartitionId(0),
            offset: Offset(o),
            value: Value::Int(o as i64),
            lineage: Lineage { input_seq: o, sub: 0 },
            timestamp: None,
        })
        .collect();
    t.handle_log_records(1, &rs, &mut c);
    t.handle_end_of_input(2, true);
    assert!(t.input_has_ended() && !t.is_finished(), "waits for its final checkpoint");
    t.handle_end_of_input(3, false);
    assert!(!t.is_finished(), "the second end of input is ignored");

    let mut f = Task::new(task_spec(Profile::Flink23, true), 0, None, &e, &e, &mut c);
    f.fail("boom".into());
    f.handle_end_of_input(2, false);
    assert!(!f.input_has_ended() && !f.is_finished(), "a failed task's input does not end");
}

// ------------------------------------------------------------------ task.rs lines 642–896
// (session 11: the survivors of session 10's last mutation run of `src/task.rs`)

fn take_snapshot(t: &mut Task) -> TaskSnapshot {
    std::iter::from_fn(|| t.poll_output())
        .find_map(|o| match o {
            TaskOutput::Snapshot { snapshot, .. } => Some(snapshot),
            _ => None,
        })
        .expect("a snapshot")
}

fn completed(id: u64, snapshot: TaskSnapshot) -> CompletedCheckpoint {
    CompletedCheckpoint {
        id: CheckpointId(id),
        kind: CheckpointKind::Checkpoint,
        trigger_ms: 0,
        completed_ms: 0,
        tasks: BTreeMap::from([(TaskId(0), snapshot)]),
        size_bytes: 0,
        external: false,
    }
}

/// A socket source task (Flink's `SocketTextStreamFunction` in a `SourceStreamTask`): each line
/// read becomes one record carrying the line as its value and its input sequence number as
/// lineage, and runs through the chain to the tail at once; a failed task reads no more.
#[test]
fn a_line_source_task_turns_each_line_into_a_record() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut spec = task_spec(Profile::Flink23, false);
    spec.head = HeadSpec::LineSource;
    let mut t = Task::new(spec, 0, None, &e, &e, &mut c);
    t.handle_line(1, "hello", 4, &mut c);
    t.handle_line(2, "world", 7, &mut c);
    let rows: Vec<(Value, u64)> = std::iter::from_fn(|| t.poll_output())
        .filter_map(|o| match o {
            TaskOutput::PrintRow { record, .. } => Some((record.value, record.lineage.input_seq)),
            _ => None,
        })
        .collect();
    assert_eq!(rows, vec![(Value::str("hello"), 4), (Value::str("world"), 7)]);
    assert_eq!(t.records_in(), 2);
    t.fail("boom".into());
    t.handle_line(3, "late", 8, &mut c);
    assert_eq!(t.records_in(), 2, "a failed task reads no more lines");
}

/// A 2PC sink task across a failover (Flink's `TwoPhaseCommitSinkFunction`, its
/// `TwoPhaseCommitSinkFunctionTest#testIgnoreCommitExceptionDuringRecovery` and `#close`):
/// the restored state names the pending transactions and the one open at the snapshot
/// (`restored_transactions`, for the host to look up their begin times); the timeout knobs set
/// on the task reach the sink, so a failed recovery commit older than the timeout is only
/// reported (`CommitFailureIgnored`) instead of failing the task; a failed commit of a
/// transaction that is not being recovered fails the task (once); and `close` (the task
/// being cancelled) aborts the open transaction.
#[test]
fn a_two_phase_commit_sink_task_recovers_configures_and_closes_its_transactions() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut spec = task_spec(Profile::Flink23, false);
    spec.tail = TailSpec::TwoPhaseCommitSink;
    let mut first = Task::new(spec.clone(), 0, None, &e, &e, &mut c);
    let input = |t: &mut Task, at: u64, el: StreamElement, c: &mut SurvivingCounters| {
        t.handle_input(at, ChannelId(0), el, &[], c);
    };
    let cp = |id: u64| {
        let mut b = barrier(id, None);
        b.kind = CheckpointKind::Checkpoint;
        StreamElement::Barrier(b)
    };
    input(&mut first, 1, StreamElement::Record(Record::new(Value::Int(1), Lineage { input_seq: 1, sub: 0 })), &mut c);
    input(&mut first, 2, cp(1), &mut c);
    while first.poll_output().is_some() {}
    input(&mut first, 3, StreamElement::Record(Record::new(Value::Int(2), Lineage { input_seq: 2, sub: 0 })), &mut c);
    input(&mut first, 4, cp(2), &mut c);
    let snapshot = take_snapshot(&mut first);
    let Some(OperatorState::TwoPhaseCommit { pending, current }) = snapshot.operators.last().cloned() else {
        panic!("a 2PC sink's state: {snapshot:?}")
    };
    let (a, b) = (pending[0].1, pending[1].1);
    let open = current.expect("an open transaction at the snapshot");
    assert_eq!(pending.len(), 2);
    assert_eq!(Task::restored_transactions(Some(&snapshot)), vec![a, b, open], "pending first, then the open one");
    assert_eq!(Task::restored_transactions(None), Vec::<TxnId>::new());
    let mut plain = snapshot.clone();
    plain.operators = vec![OperatorState::None];
    assert_eq!(Task::restored_transactions(Some(&plain)), Vec::<TxnId>::new(), "no 2PC sink state");

    let cp2 = completed(2, snapshot);
    let mut second_spec = spec;
    second_spec.attempt = Attempt(1);
    let mut t = Task::new(second_spec, 5_000, Some(&cp2), &e, &e, &mut c);
    let policy =
        TxnTimeoutPolicy { timeout_ms: 1_000, ignore_failures_after_timeout: true, warning_ratio_permille: None };
    t.configure_transaction_timeout(5_000, policy, &BTreeMap::from([(a, 0), (b, 0)]));
    let events = t.handle_commit_failed(5_000, a);
    assert_eq!(events, vec![SinkEvent::CommitFailureIgnored { txn: a, elapsed_ms: 5_000, timeout_ms: 1_000 }]);
    assert!(!t.has_failed(), "an old recovery commit's failure is ignored");
    while t.poll_output().is_some() {}
    // The transaction this attempt opened is closed by the cancellation: aborted.
    t.close();
    let aborts: Vec<TxnId> = std::iter::from_fn(|| t.poll_output())
        .filter_map(|o| match o {
            TaskOutput::Sink(SinkOutput::Abort { txn }) => Some(txn),
            _ => None,
        })
        .collect();
    assert_eq!(aborts.len(), 1, "the open transaction is aborted on close: {aborts:?}");
    assert_eq!(aborts[0].attempt, 1, "the transaction this attempt opened");

    // Without the knobs the same failure is rethrown and fails the task, once.
    let mut u = Task::new(
        {
            let mut s = task_spec(Profile::Flink23, false);
            s.tail = TailSpec::TwoPhaseCommitSink;
            s.attempt = Attempt(1);
            s
        },
        5_000,
        Some(&cp2),
        &e,
        &e,
        &mut c,
    );
    assert_eq!(u.handle_commit_failed(5_000, a), Vec::<SinkEvent>::new());
    assert!(u.has_failed(), "a failed commit is rethrown");
    assert_eq!(u.handle_commit_failed(5_000, b), Vec::<SinkEvent>::new(), "a failed task reports nothing more");
    let failures = std::iter::from_fn(|| u.poll_output()).filter(|o| matches!(o, TaskOutput::Failed { .. })).count();
    assert_eq!(failures, 1);
}

/// A chained operator's failure injectors at the task's checkpoint hooks (the model's
/// user-code faults; Flink: an exception in `snapshotState` during `StreamTask#performCheckpoint`'s
/// synchronous part fails the task, one in the asynchronous part declines the checkpoint from
/// `AsyncCheckpointRunnable` with `CHECKPOINT_ASYNC_EXCEPTION`, one in
/// `notifyCheckpointComplete` fails the task). Checkpoints the injectors do not name are
/// untouched, and the failure names the operator instance.
#[test]
fn a_chained_operators_lifecycle_failures_reach_the_task() {
    use crate::operator::{FailureInjector, OperatorKind, Udf};
    let e = BTreeMap::new();
    let make = |c: &mut SurvivingCounters| {
        let mut spec = task_spec(Profile::Flink23, false);
        spec.chain = vec![ChainedOperator {
            instance: "map[0]".into(),
            operator: Operator::new(
                OperatorKind::Map(Udf::Identity),
                vec![
                    FailureInjector::SnapshotSync { checkpoint: 2 },
                    FailureInjector::SnapshotAsync { checkpoint: 3 },
                    FailureInjector::NotifyComplete { checkpoint: 4 },
                ],
            ),
        }];
        Task::new(spec, 0, None, &e, &e, c)
    };
    let trigger = |t: &mut Task, id: u64, c: &mut SurvivingCounters| {
        let mut b = barrier(id, None);
        b.kind = CheckpointKind::Checkpoint;
        t.handle_input(id, ChannelId(0), StreamElement::Barrier(b), &[], c);
        std::iter::from_fn(|| t.poll_output())
            .filter_map(|o| match o {
                TaskOutput::Snapshot { id, .. } => Some(format!("snapshot {id}")),
                TaskOutput::Decline { id, reason } => Some(format!("decline {id} {reason:?}")),
                TaskOutput::Failed { cause } => Some(format!("failed {}", cause.starts_with("map[0]: "))),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let mut c = SurvivingCounters::default();
    let mut t = make(&mut c);
    assert_eq!(trigger(&mut t, 1, &mut c), vec!["snapshot 1"], "no injector for checkpoint 1");
    assert_eq!(trigger(&mut t, 2, &mut c), vec!["failed true"], "synchronous part");
    let mut t = make(&mut c);
    assert_eq!(
        trigger(&mut t, 3, &mut c),
        vec![format!("decline 3 {:?}", R::CheckpointAsyncException)],
        "asynchronous part"
    );
    assert!(!t.has_failed());
    let mut t = make(&mut c);
    t.handle_notify_complete(5, CheckpointId(3));
    assert!(!t.has_failed(), "no injector for the notification of 3");
    t.handle_notify_complete(6, CheckpointId(4));
    assert!(t.has_failed(), "notifyCheckpointComplete of 4 throws");
}

/// `Task::invariants` reports a task whose parts disagree: two failures reported, an output
/// alignment timer armed without barrier announcements, an open unaligned snapshot of
/// checkpoint 0. A legal task (failed once) is not reported.
#[test]
fn task_invariants_catch_a_corrupt_state() {
    let e = BTreeMap::new();
    let fresh = || {
        let mut c = SurvivingCounters::default();
        Task::new(task_spec(Profile::Flink23, false), 0, None, &e, &e, &mut c)
    };
    let mut legal = fresh();
    legal.fail("once".into());
    legal.invariants();
    type Corruption = (&'static str, Box<dyn Fn(&mut Task)>);
    let corruptions: Vec<Corruption> = vec![
        (
            "failed twice",
            Box::new(|t: &mut Task| {
                t.fail("one".into());
                t.outputs.push_back(TaskOutput::Failed { cause: "two".into() });
            }),
        ),
        (
            "output timer without announcements",
            Box::new(|t: &mut Task| {
                let b = Barrier {
                    id: CheckpointId(1),
                    timestamp_ms: 0,
                    kind: CheckpointKind::Checkpoint,
                    alignment: Alignment::AlignedWithTimeout { timeout_ms: 100 },
                    stop: None,
                };
                t.output_timer.on_forwarded(&b, false);
                assert!(t.output_timer.deadline_ms().is_some(), "the corruption arms the timer");
            }),
        ),
        (
            "open unaligned snapshot of checkpoint 0",
            Box::new(|t: &mut Task| {
                t.open_unaligned =
                    Some(crate::task::OpenUnaligned { id: CheckpointId::NONE, snapshot: TaskSnapshot::default() });
            }),
        ),
    ];
    for (name, corrupt) in corruptions {
        let mut t = fresh();
        corrupt(&mut t);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| t.invariants())).is_err();
        assert!(caught, "{name} is reported");
    }
}

/// A topic source's partitions after a 2.x restore (split state): its own restored splits
/// (only those of its topic), plus the topic's partitions that no restored state holds, given
/// by Flink's `KafkaSourceEnumerator#getSplitOwner` counted from the topic's first partition:
/// `(start + p - first) % parallelism == subtask`, the start from the topic's name (0 for a
/// name whose hash is 0, such as the empty one; 1 for `input-topic` at parallelism 3).
#[test]
fn a_restored_topic_source_keeps_its_splits_and_takes_unowned_partitions_by_the_owner_rule() {
    let offsets = |ps: &[u32]| OperatorState::SourceOffsets(ps.iter().map(|p| (PartitionId(*p), Offset(0))).collect());
    let own = offsets(&[10, 14, 3]);
    let other = offsets(&[11]);
    let all = [&own, &other];
    // Topic 10..17 at parallelism 3: 12, 13, 15, 16 are held by no restored state; subtask 2
    // owns 12 and 15 ((12-10) % 3 = 2, (15-10) % 3 = 2); 3 belongs to another topic.
    let parts = |own, name, subtask| crate::rescale::restored_source_partitions(own, &all, (name, 10..17), subtask, 3);
    let want: std::collections::BTreeSet<PartitionId> = [10, 12, 14, 15].map(PartitionId).into_iter().collect();
    assert_eq!(parts(Some(&own), "", 2), want);
    assert_eq!(
        parts(None, "", 0),
        [13, 16].map(PartitionId).into_iter().collect(),
        "subtask 0: 13 and 16, no own state"
    );
    // `input-topic` starts at subtask 1 of 3: its partition 2 (broker 12) goes to subtask 0.
    assert_eq!(parts(None, "input-topic", 0), [12, 15].map(PartitionId).into_iter().collect(), "rotated by the name");
}

/// Routing through several output edges (a vertex feeding several downstream operators,
/// Flink's `RecordWriterOutput` per edge): each edge's channels follow the previous edges'.
/// `rebalance` is round robin (Flink's `RebalancePartitioner#selectChannel`:
/// `(next + 1) % channels`), each edge from its own start (the draw of
/// `RebalancePartitioner#setup`, here 0 and 2: first channels 1 and 0); `broadcast` sends one copy
/// to every channel (`BroadcastPartitioner`), each copy's lineage sub-index extended by its
/// channel so copies stay distinguishable.
#[test]
fn records_are_routed_round_robin_and_broadcast_per_output_edge() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut spec = task_spec(Profile::Flink23, false);
    spec.subtask = 1;
    spec.parallelism = 2;
    spec.tail = TailSpec::Outputs(vec![
        Partitioner::Rebalance { channels: 2, start: 0 },
        Partitioner::Broadcast { channels: 2 },
        Partitioner::Rebalance { channels: 3, start: 2 },
    ]);
    let mut t = Task::new(spec, 0, None, &e, &e, &mut c);
    let mut got = Vec::new();
    for seq in 0..3u64 {
        let r = Record::new(Value::Int(seq as i64), Lineage { input_seq: seq, sub: 5 });
        t.handle_input(1, ChannelId(0), StreamElement::Record(r), &[], &mut c);
        got.extend(std::iter::from_fn(|| t.poll_output()).filter_map(|o| match o {
            TaskOutput::Emit { channel, record } => Some((record.lineage.input_seq, channel, record.lineage.sub)),
            _ => None,
        }));
    }
    let b = |c: u32| (5u32 << crate::operator::FLAT_MAP_SUB_BITS) | c;
    assert_eq!(
        got,
        vec![
            // edge 0 (channels 0-1) from 1; edge 1 (channels 2-3): both; edge 2 (channels 4-6) from 0
            (0, 1, 5),
            (0, 2, b(0)),
            (0, 3, b(1)),
            (0, 4, 5),
            (1, 0, 5),
            (1, 2, b(0)),
            (1, 3, b(1)),
            (1, 5, 5),
            (2, 1, 5),
            (2, 2, b(0)),
            (2, 3, b(1)),
            (2, 6, 5),
        ]
    );
}

/// Which records a task processed after its stop's savepoint barrier are reported
/// (`take_records_after_stop`, read by the world's `stop` checker): every one at a source
/// (a source reads nothing after its stop, notified or not) and every one at any task before
/// the notification; after the notification a 1.11 task's closing operators may still emit
/// (`endInput` in `StreamOperatorWrapper.close`, after the savepoint), so a 1.11 task with
/// inputs reports nothing then, while a 2.x one still does (only EndOfPartitions may follow
/// an aligned stop's barrier). Kills `note_if_stopped`'s mutants 169:26 and 170:23..41.
#[test]
fn records_after_the_stop_are_reported_per_profile_source_and_notification() {
    use Profile::{Flink111, Flink23};
    use Step::*;
    // (profile, source, notified before the record, reported)
    let cases = [
        (Flink111, true, false, 1),
        (Flink111, true, true, 1),
        (Flink111, false, false, 1),
        (Flink111, false, true, 0),
        (Flink23, true, false, 1),
        (Flink23, true, true, 1),
        (Flink23, false, false, 1),
        (Flink23, false, true, 1),
    ];
    for (profile, source, notified, reported) in cases {
        let steps: &'static [Step] =
            if notified { &[Rec(1), Barrier(1, ND), Notify(1), Rec(2)] } else { &[Rec(1), Barrier(1, ND), Rec(2)] };
        let case = TaskCase {
            name: "record after the stop",
            flink: "StreamTask: no input after the synchronous savepoint",
            profile,
            source,
            steps,
            paused: false,
            finished: false,
            failed: false,
        };
        let mut t = run_task(&case);
        let after = t.take_records_after_stop();
        let at = format!("{profile}, source {source}, notified {notified}");
        assert_eq!(after.len(), reported, "{at}: {after:?}");
        for r in &after {
            assert_eq!(r.savepoint, CheckpointId(1), "{at}");
        }
    }
}

/// A task aborts its stop only on an abort of the savepoint it stopped at, before that
/// savepoint's notification (2.x `StreamTask.notifyCheckpointAborted` fails the task only
/// when `isCurrentSyncSavepoint(checkpointId)`; a notified savepoint is complete and cannot
/// be aborted). An abort of another checkpoint, or a stale one after the notification, fails
/// nothing (2.x) and does not undo the stop (1.11). Kills `on_stop_aborted`'s 150:24 and 150:35.
#[test]
fn only_an_abort_of_the_unnotified_stop_savepoint_undoes_or_fails_the_stop() {
    use Profile::{Flink111, Flink23};
    use Step::*;
    for profile in [Flink111, Flink23] {
        let other = run_task(&TaskCase {
            name: "abort of another checkpoint",
            flink: "StreamTask.notifyCheckpointAborted: isCurrentSyncSavepoint",
            profile,
            source: false,
            steps: &[Rec(1), Barrier(2, ND), Abort(1)],
            paused: false,
            finished: false,
            failed: false,
        });
        assert!(!other.has_failed(), "{profile}: an abort of checkpoint 1 failed a task stopped at 2");
        assert_eq!(other.stopped_at(), Some((CheckpointId(2), StopMode::NoDrain)), "{profile}: stop undone");
        assert_eq!(other.input_paused(), profile == Flink111, "{profile}: input paused");
        let stale = run_task(&TaskCase {
            name: "abort after the notification",
            flink: "StreamTask.notifyCheckpointAborted after notifyCheckpointComplete",
            profile,
            source: false,
            steps: &[Rec(1), Barrier(1, ND), Notify(1), Abort(1), EndOfPartition],
            paused: false,
            finished: false,
            failed: false,
        });
        assert!(!stale.has_failed(), "{profile}: a stale abort failed the task");
        assert_eq!(stale.stopped_at(), Some((CheckpointId(1), StopMode::NoDrain)), "{profile}: stop undone");
        assert!(stale.is_finished(), "{profile}: the task finishes on its EndOfPartitions");
    }
}

/// A task that threw or is cancelled is cleaned up (Flink `StreamTask#cleanUp`, FLIP-147's
/// `close()` on failure; `TwoPhaseCommitSinkFunction#close`): what it had queued is dropped and
/// its 2PC sink aborts its open transaction only; the two pre-committed ones (checkpoints 1 and
/// 2, never notified) are left for the next attempt's `recoverAndCommit`. A second cleanup
/// aborts nothing more.
#[test]
fn a_cleaned_up_task_aborts_only_its_open_transaction_and_drops_its_queue() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut spec = task_spec(Profile::Flink23, false);
    spec.tail = TailSpec::TwoPhaseCommitSink;
    let mut t = Task::new(spec, 0, None, &e, &e, &mut c);
    let rec = |n: i64| StreamElement::Record(Record::new(Value::Int(n), Lineage { input_seq: n as u64, sub: 0 }));
    let cp = |id: u64| {
        let mut b = barrier(id, None);
        b.kind = CheckpointKind::Checkpoint;
        StreamElement::Barrier(b)
    };
    t.handle_input(1, ChannelId(0), rec(1), &[], &mut c);
    t.handle_input(2, ChannelId(0), cp(1), &[], &mut c);
    t.handle_input(3, ChannelId(0), rec(2), &[], &mut c);
    t.handle_input(4, ChannelId(0), cp(2), &[], &mut c);
    while t.poll_output().is_some() {}
    // A record whose outputs (a write into the open transaction) are still queued.
    t.handle_input(5, ChannelId(0), rec(3), &[], &mut c);
    let open = t.tail.two_pc().and_then(|s| s.current()).expect("an open transaction");
    let pending: Vec<TxnId> = t.tail.two_pc().map(|s| s.pending().iter().map(|p| p.1).collect()).unwrap_or_default();
    assert_eq!(pending.len(), 2, "checkpoints 1 and 2 pre-committed");
    t.handle_cleanup();
    let outs: Vec<TaskOutput> = std::iter::from_fn(|| t.poll_output()).collect();
    assert_eq!(outs, vec![TaskOutput::Sink(SinkOutput::Abort { txn: open })], "only the open transaction's abort");
    let still: Vec<TxnId> = t.tail.two_pc().map(|s| s.pending().iter().map(|p| p.1).collect()).unwrap_or_default();
    assert_eq!(still, pending, "the pre-committed transactions are kept for recovery");
    t.handle_cleanup();
    assert!(t.poll_output().is_none(), "closing twice aborts nothing more");
}
