//! Stop-with-savepoint with and without drain, per profile: what runs before the savepoint's snapshot (`MAX_WATERMARK`, `endInput`/`finish`, EndOfData) and what after (semantics §12.6).
//!
//! Posed like Flink's tests: `SavepointITCase#testStopWithSavepointWithDrainCallsFinishBeforeSnapshotState`
//! (2.x: an operator's `finish` precedes its `snapshotState` for a drain's savepoint),
//! `SavepointITCase#testStopWithSavepointForFlip27SourceWithDrain` / `WithoutDrain` (MAX_WATERMARK
//! and the operators' end only with drain), 1.11's `StreamTask.performCheckpoint` with
//! `advanceToEndOfTime` (a drain is `MAX_WATERMARK` only) and 1.11's `StreamOperatorWrapper.close`
//! (`endInput` of the chained operators when the task closes, after the savepoint).

use super::*;
use crate::barrier::HandlerKind;
use crate::operator::{OperatorContext, UserException};
use crate::record::{Alignment, CheckpointKind, Value};
use crate::user::UserOperator;

/// A pass-through operator that records its end: `end_of_input` emits the record `"end"` and
/// from then on its list state says `"finished"` (Flink's `FinishingSink` /
/// `BoundedPassThroughOperator` of the savepoint tests); `on_watermark` counts watermarks.
#[derive(Clone, Debug, Default)]
struct Ends {
    finished: bool,
    max_watermarks: u32,
}

impl UserOperator for Ends {
    fn name(&self) -> &str {
        "ends"
    }
    fn process(
        &mut self,
        _: &mut OperatorContext<'_>,
        rec: Record,
        out: &mut Vec<Record>,
    ) -> Result<(), UserException> {
        out.push(rec);
        Ok(())
    }
    fn on_watermark(&mut self, wm: Watermark, _: &mut Vec<Record>) {
        if wm == Watermark::MAX {
            self.max_watermarks += 1;
        }
    }
    fn end_of_input(&mut self, out: &mut Vec<Record>) {
        assert!(!self.finished, "endInput runs once");
        self.finished = true;
        out.push(Record::new(Value::Str("end".into()), Lineage { input_seq: 999, sub: 0 }));
    }
    fn has_list_state(&self) -> bool {
        true
    }
    fn snapshot_list(&self) -> Vec<Value> {
        let state = if self.finished { "finished" } else { "open" };
        vec![Value::Str(state.into()), Value::Int(i64::from(self.max_watermarks))]
    }
    fn box_clone(&self) -> Box<dyn UserOperator> {
        Box::new(self.clone())
    }
}

fn spec(profile: Profile, source: bool) -> TaskSpec {
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
        chain: vec![ChainedOperator {
            instance: "ends[0]".into(),
            operator: crate::operator::Operator::from_user(Box::new(Ends::default()), vec![]).expect("user operator"),
        }],
        tail: TailSpec::Output(Partitioner::Forward),
        profile,
        variant: Variant::Correct,
        padding_bytes: 0,
        vertex_peers: vec![TaskId(0)],
    }
}

fn stop_barrier(id: u64, stop: StopMode) -> Barrier {
    Barrier {
        id: CheckpointId(id),
        timestamp_ms: 0,
        kind: CheckpointKind::Savepoint,
        alignment: Alignment::Aligned,
        stop: Some(stop),
    }
}

/// Outputs as short strings: `emit 1`, `emit end`, `wm +inf`, `end-of-data`, `barrier 1`,
/// `snapshot 1 [finished, 1]` (offset commits left out).
fn drain(t: &mut Task) -> Vec<String> {
    std::iter::from_fn(|| t.poll_output())
        .filter(|o| !matches!(o, TaskOutput::CommitOffsets { .. }))
        .map(|o| match o {
            TaskOutput::Emit { record, .. } => match record.value {
                Value::Str(s) => format!("emit {s}"),
                v => format!("emit {v}"),
            },
            TaskOutput::EmitWatermark { watermark } if watermark == Watermark::MAX => "wm +inf".into(),
            TaskOutput::EmitWatermark { watermark } => format!("wm {}", watermark.0),
            TaskOutput::EmitEndOfData => "end-of-data".into(),
            TaskOutput::EmitBarrier { barrier, .. } => format!("barrier {}", barrier.id),
            TaskOutput::Snapshot { id, snapshot, .. } => {
                let list = match snapshot.operators.get(1) {
                    Some(OperatorState::UserList(l)) => l.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", "),
                    other => format!("{other:?}"),
                };
                format!("snapshot {id} [{list}]")
            }
            other => format!("{other:?}"),
        })
        .collect()
}

fn source_task(profile: Profile, wait_final: bool) -> (Task, SurvivingCounters) {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut t = Task::new(spec(profile, true), 0, None, &e, &e, &mut c);
    t.set_wait_for_final_checkpoint(wait_final);
    t.handle_log_records(1, &[first_record()], &mut c);
    assert_eq!(drain(&mut t), ["emit 1"]);
    (t, c)
}

/// A source without a watermark strategy, stopped with a savepoint: per profile and mode, what
/// goes out before the snapshot, what the snapshot holds, and what comes after the notification.
#[test]
fn a_stopped_source_ends_its_data_before_the_savepoint_only_with_a_2x_drain() {
    struct Case {
        flink: &'static str,
        profile: Profile,
        mode: StopMode,
        /// Outputs of the trigger, in order.
        at_trigger: &'static [&'static str],
        /// Outputs of the savepoint's notification.
        at_notify: &'static [&'static str],
    }
    let cases = [
        Case {
            flink: "2.x SavepointITCase#testStopWithSavepointWithDrainCallsFinishBeforeSnapshotState; SourceOperator#stop(DRAIN), StreamTask#endData",
            profile: Profile::Flink23,
            mode: StopMode::Drain,
            at_trigger: &["wm +inf", "emit end", "end-of-data", "barrier 1", "snapshot 1 [finished, 1]"],
            at_notify: &[],
        },
        Case {
            flink: "2.x SavepointITCase#testStopWithSavepointForFlip27SourceWithoutDrain; StreamOperatorWrapper#finish(NO_DRAIN)",
            profile: Profile::Flink23,
            mode: StopMode::NoDrain,
            at_trigger: &["barrier 1", "snapshot 1 [open, 0]"],
            at_notify: &[],
        },
        Case {
            flink: "1.11 StreamTask#performCheckpoint(advanceToEndOfTime): MAX_WATERMARK only; StreamOperatorWrapper#close calls endInput",
            profile: Profile::Flink111,
            mode: StopMode::Drain,
            at_trigger: &["wm +inf", "barrier 1", "snapshot 1 [open, 1]"],
            at_notify: &["emit end"],
        },
        Case {
            flink: "1.11 SourceStreamTask#finishTask after the synchronous savepoint; StreamOperatorWrapper#close",
            profile: Profile::Flink111,
            mode: StopMode::NoDrain,
            at_trigger: &["barrier 1", "snapshot 1 [open, 0]"],
            at_notify: &["emit end"],
        },
    ];
    for case in &cases {
        for wait_final in [false, true] {
            let at = format!("{} {:?} wait_final={wait_final} ({})", case.profile, case.mode, case.flink);
            let (mut t, _) = source_task(case.profile, wait_final && case.profile == Profile::Flink23);
            t.handle_trigger(2, stop_barrier(1, case.mode));
            assert_eq!(drain(&mut t), case.at_trigger, "{at}: trigger");
            assert!(t.input_paused(), "{at}: a stopped source reads no more");
            assert!(!t.is_finished(), "{at}: not before the savepoint's notification");
            t.handle_notify_complete(3, CheckpointId(1));
            assert_eq!(drain(&mut t), case.at_notify, "{at}: notification");
            assert!(t.is_finished(), "{at}: finished once notified");
        }
    }
}

/// A downstream task of a 2.x drain: MAX_WATERMARK and EndOfData come ahead of the savepoint's
/// barrier, so its operators end (and it passes EndOfData on) before its snapshot; it finishes
/// only after the notification and its upstream's EndOfPartition. Under 1.11 only the watermark
/// comes first: the operators end at the EndOfPartition after the notification.
#[test]
fn a_downstream_task_ends_its_operators_before_a_2x_drain_savepoint() {
    for (profile, wait_final) in [(Profile::Flink23, true), (Profile::Flink23, false), (Profile::Flink111, false)] {
        let at = format!("{profile} wait_final={wait_final}");
        let mut c = SurvivingCounters::default();
        let e = BTreeMap::new();
        let mut t = Task::new(spec(profile, false), 0, None, &e, &e, &mut c);
        t.set_wait_for_final_checkpoint(wait_final);
        let r = Record::new(Value::Int(1), Lineage { input_seq: 1, sub: 0 });
        t.handle_input(1, ChannelId(0), StreamElement::Record(r), &[], &mut c);
        t.handle_input(2, ChannelId(0), StreamElement::Watermark(Watermark::MAX), &[], &mut c);
        assert_eq!(drain(&mut t), ["emit 1", "wm +inf"], "{at}: MAX_WATERMARK alone does not end the input");
        if profile == Profile::Flink23 {
            t.handle_input(3, ChannelId(0), StreamElement::EndOfData, &[], &mut c);
            assert_eq!(drain(&mut t), ["emit end", "end-of-data"], "{at}: EndOfData ends the operators");
            assert!(t.input_has_ended() && !t.is_finished(), "{at}");
        }
        t.handle_input(4, ChannelId(0), StreamElement::Barrier(stop_barrier(1, StopMode::Drain)), &[], &mut c);
        let want_snapshot = if profile == Profile::Flink23 { "[finished, 1]" } else { "[open, 1]" };
        assert_eq!(drain(&mut t), ["barrier 1".to_string(), format!("snapshot 1 {want_snapshot}")], "{at}");
        t.handle_notify_complete(5, CheckpointId(1));
        assert_eq!(drain(&mut t), Vec::<String>::new(), "{at}: notification");
        assert!(!t.is_finished(), "{at}: the upstream's EndOfPartition is still due");
        t.handle_input(6, ChannelId(0), StreamElement::EndOfPartition, &[], &mut c);
        let want_end: &[&str] = if profile == Profile::Flink23 { &[] } else { &["emit end"] };
        assert_eq!(drain(&mut t), want_end, "{at}: EndOfPartition");
        assert!(t.is_finished(), "{at}: finished");
        assert!(t.take_records_after_stop().is_empty(), "{at}");
    }
}

/// 2.x stop without drain: a downstream task never ends its operators (`EndOfData(NO_DRAIN)`
/// skips `endInput`, and nothing after the savepoint calls it).
#[test]
fn a_2x_stop_without_drain_never_ends_the_operators_of_a_downstream_task() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut t = Task::new(spec(Profile::Flink23, false), 0, None, &e, &e, &mut c);
    t.set_wait_for_final_checkpoint(true);
    t.handle_input(1, ChannelId(0), StreamElement::Barrier(stop_barrier(1, StopMode::NoDrain)), &[], &mut c);
    assert_eq!(drain(&mut t), ["barrier 1", "snapshot 1 [open, 0]"]);
    t.handle_notify_complete(2, CheckpointId(1));
    t.handle_input(3, ChannelId(0), StreamElement::EndOfPartition, &[], &mut c);
    assert_eq!(drain(&mut t), Vec::<String>::new());
    assert!(t.is_finished());
}

/// A bounded end without event time ends the operators in both profiles (Flink's
/// `OneInputStreamTaskTest#testClosingAllOperatorsOnChainProperly`: `endInput` of every chained
/// operator at the end of input), before the end of data goes downstream (2.x) and before the
/// final checkpoint's snapshot.
#[test]
fn a_bounded_end_without_event_time_ends_the_operators() {
    for profile in [Profile::Flink111, Profile::Flink23] {
        let wait = profile == Profile::Flink23;
        let (mut t, _) = source_task(profile, wait);
        t.handle_end_of_input(2, wait);
        let want: &[&str] = if wait { &["emit end", "end-of-data"] } else { &["emit end"] };
        assert_eq!(drain(&mut t), want, "{profile}");
        if wait {
            t.handle_trigger(3, checkpoint_barrier(1));
            assert_eq!(drain(&mut t), ["barrier 1", "snapshot 1 [finished, 0]"], "{profile}: the final checkpoint");
            t.handle_notify_complete(4, CheckpointId(1));
        }
        assert!(t.is_finished(), "{profile}");
    }
}

/// Mutation score (session 13, `task_stop.rs` `before_sync_trigger`): a 2.x source whose
/// bounded input already ended (waiting for its final checkpoint, FLIP-147) and then takes a
/// drain stop's barrier does not end its data a second time: no second `MAX_WATERMARK`,
/// `endInput` or EndOfData ahead of the barrier (Flink's `StreamTask.endData` runs once). The
/// surviving mutant `||` → `&&` of `ended || stop.is_some()` drained such a task again.
#[test]
fn a_source_whose_input_ended_is_not_drained_again_by_a_stop() {
    let (mut t, _) = source_task(Profile::Flink23, true);
    t.handle_end_of_input(2, true);
    let ended = drain(&mut t);
    assert!(ended.iter().any(|l| l == "end-of-data"), "{ended:?}");
    assert!(t.input_has_ended() && !t.is_finished());
    t.handle_trigger(3, stop_barrier(1, StopMode::Drain));
    let out = drain(&mut t);
    assert!(out.iter().all(|l| l != "end-of-data" && l != "emit end" && l != "wm +inf"), "drained again: {out:?}");
    assert!(out.iter().any(|l| l == "barrier 1"), "{out:?}");
}

/// FLIP-147 finished on restore, posed like Flink's `StreamTaskFinalCheckpointsTest` /
/// `FinishedOnRestoreOperatorChain`: a 2.x source whose final checkpoint's snapshot was taken
/// after its operators finished is restored from it (another task failed before the job
/// finished). The restored attempt is deployed as finished: its input ends at once without
/// running `endInput` again (no second "end" record), it sends EndOfData, and it finishes only
/// after the first checkpoint taken after the restore completed (Flink's `finalCheckpointMinId`
/// is the first checkpoint performed after end of data), not on the restored one.
#[test]
fn a_task_restored_as_finished_does_not_end_its_operators_again_and_takes_a_final_checkpoint() {
    let mut r = restored_finished_source(Variant::Correct, true);
    assert!(r.restored_finished(), "restored from a snapshot taken after its operators finished");
    r.handle_end_of_input(11, true);
    assert_eq!(drain(&mut r), ["end-of-data"], "endInput does not run again on a finished-on-restore task");
    assert!(!r.ran_end_input());
    assert!(!r.is_finished(), "the restored checkpoint is not its final checkpoint");
    r.handle_trigger(12, checkpoint_barrier(2));
    // (The test operator does not restore its list state: its snapshot text is not judged.)
    let out = drain(&mut r);
    assert_eq!(out.first().map(String::as_str), Some("barrier 2"), "it takes part in the next checkpoint: {out:?}");
    assert!(out.iter().any(|o| o.starts_with("snapshot 2 ")), "{out:?}");
    assert_eq!(r.records_in(), 0, "it processes no input");
    r.handle_notify_complete(13, CheckpointId(2));
    assert!(r.is_finished(), "finished after its final checkpoint");
    // 1.11 has no final checkpoint: the flag is not consulted.
    let (mut old, _) = source_task(Profile::Flink111, false);
    old.handle_end_of_input(2, false);
    assert!(old.is_finished());
    assert!(old.ran_end_input() && !old.restored_finished());
}

/// A 2.x source that took its final checkpoint's snapshot after its operators finished (in
/// checkpoint 1), restored as attempt 1 under `variant` from that checkpoint, with the entry
/// as the JobManager fills it in for a task FINISHED at the trigger when `filled_in` (its
/// vertex, this one task, then fully finished), else as its own final snapshot.
fn restored_finished_source(variant: Variant, filled_in: bool) -> Task {
    let snapshot = TaskSnapshot { from_finished_task: filled_in, ..final_source_snapshot() };
    restore_source(snapshot, vec![TaskId(0)], &[], variant)
}

/// The final snapshot (checkpoint 1) of a 2.x source with the `Ends` operator.
fn final_source_snapshot() -> TaskSnapshot {
    let (mut t, _) = source_task(Profile::Flink23, true);
    t.handle_end_of_input(2, true);
    assert_eq!(drain(&mut t), ["emit end", "end-of-data"]);
    assert!(t.ran_end_input() && !t.restored_finished());
    t.handle_trigger(3, checkpoint_barrier(1));
    let snapshot = std::iter::from_fn(|| t.poll_output())
        .find_map(|o| match o {
            TaskOutput::Snapshot { snapshot, .. } => Some(snapshot),
            _ => None,
        })
        .expect("the final checkpoint's snapshot");
    assert!(snapshot.finished, "taken after the operators finished");
    snapshot
}

/// Task 0 (a 2.x source with the `Ends` operator) of a vertex of `peers`, restored as attempt
/// 1 under `variant` from checkpoint 1 holding `own` for it and `others` for the other peers.
fn restore_source(own: TaskSnapshot, peers: Vec<TaskId>, others: &[(TaskId, TaskSnapshot)], variant: Variant) -> Task {
    let mut cp = checkpoint_of(1, 3, own);
    cp.tasks.extend(others.iter().cloned());
    let (mut c, e) = (SurvivingCounters::default(), BTreeMap::new());
    let mut spec = spec(Profile::Flink23, true);
    (spec.attempt, spec.variant, spec.vertex_peers) = (Attempt(1), variant, peers);
    let mut r = Task::new(spec, 10, Some(&cp), &e, &e, &mut c);
    r.set_wait_for_final_checkpoint(true);
    r
}

/// Session 17, FLIP-147's restore rule as Flink's `TaskStateAssignment#isFullyFinished` and
/// `StateAssignmentOperation#assignTaskStateToExecutionJobVertices` apply it: a subtask is
/// deployed as finished (`FINISHED_ON_RESTORE`) only when every subtask of its vertex was
/// FINISHED at the restored checkpoint's trigger. Task 0 was FINISHED at the trigger; with its
/// peer task 1 still running then (`FinishedOperatorSubtaskState`: a partly finished vertex)
/// it runs a regular chain from empty state: its input ends at once and `endInput` runs again
/// (the test operator emits "end" again), and it acknowledges as finished only after that.
/// With task 1 FINISHED too it is deployed as finished. The planted
/// `partly-finished-restored-as-finished` deploys the partly finished one as finished.
#[test]
fn only_a_subtask_of_a_fully_finished_vertex_is_restored_as_finished() {
    let filled_in = TaskSnapshot { from_finished_task: true, ..final_source_snapshot() };
    let running = TaskSnapshot { finished: false, from_finished_task: false, ..filled_in.clone() };
    let peers = vec![TaskId(0), TaskId(1)];
    let mut r = restore_source(filled_in.clone(), peers.clone(), &[(TaskId(1), running.clone())], Variant::Correct);
    assert!(r.restored_entry_finished() && !r.restored_vertex_finished());
    assert!(!r.restored_finished() && !r.is_dormant(), "a partly finished vertex runs a regular chain");
    r.handle_end_of_input(11, true);
    assert_eq!(drain(&mut r), ["emit end", "end-of-data"], "endInput runs again");
    assert!(r.ran_end_input());
    r.handle_trigger(12, checkpoint_barrier(2));
    let out = drain(&mut r);
    assert!(out.iter().any(|o| o.starts_with("snapshot 2 [finished")), "finished after endInput: {out:?}");

    let mut r = restore_source(filled_in.clone(), peers.clone(), &[(TaskId(1), filled_in.clone())], Variant::Correct);
    assert!(r.restored_vertex_finished() && r.restored_finished() && r.is_dormant());
    r.handle_end_of_input(11, true);
    assert_eq!(drain(&mut r), ["end-of-data"], "a fully finished vertex is deployed as finished");

    let planted = Variant::PartlyFinishedRestoredAsFinished;
    let mut r = restore_source(filled_in, peers, &[(TaskId(1), running)], planted);
    assert!(r.restored_finished() && r.is_dormant() && !r.restored_vertex_finished());
    r.handle_end_of_input(11, true);
    assert_eq!(drain(&mut r), ["end-of-data"], "the plant deploys it as finished");
}

/// Session 17, restore from a task's own final checkpoint: its snapshot was taken after
/// `finish` while it was still RUNNING at the trigger, so its vertex is not finished in that
/// checkpoint and Flink restores it as a regular chain with that state
/// (`PendingCheckpoint#acknowledgeTask` stores the state and only calls
/// `reportTaskHasFinishedOperators`): `endInput` / `finish` run again. The planted
/// `partly-finished-restored-as-finished` deploys it as finished instead.
#[test]
fn a_task_restored_from_its_own_final_checkpoint_ends_its_operators_again() {
    let mut r = restored_finished_source(Variant::Correct, false);
    assert!(r.restored_entry_finished() && !r.restored_finished() && !r.is_dormant());
    r.handle_end_of_input(11, true);
    assert_eq!(drain(&mut r), ["emit end", "end-of-data"]);
    assert!(r.ran_end_input() && !r.is_finished());
    let mut r = restored_finished_source(Variant::PartlyFinishedRestoredAsFinished, false);
    assert!(r.restored_finished());
    r.handle_end_of_input(11, true);
    assert_eq!(drain(&mut r), ["end-of-data"]);
    assert!(!r.ran_end_input());
}

/// The planted `finished-on-restore-runs-again`: the restored finished task runs its chain's
/// `endInput` a second time (the test operator emits "end" again) and says so
/// (`ran_end_input`, what the world records for the `restart` checker).
#[test]
fn the_planted_finished_on_restore_runs_again_ends_its_operators_a_second_time() {
    let mut r = restored_finished_source(Variant::FinishedOnRestoreRunsAgain, true);
    assert!(r.restored_finished(), "the restore is still recognised as finished");
    r.handle_end_of_input(11, true);
    assert_eq!(drain(&mut r), ["emit end", "end-of-data"], "endInput runs again under the plant");
    assert!(r.ran_end_input());
}

/// Session 14's open question (mutant `task_stop.rs` 136:34): a 2.x task with inputs that took a
/// stop-with-savepoint's synchronous savepoint finishes on that savepoint's own notification,
/// even when it processed a record after the savepoint's barrier (a protocol bug the `stop`
/// checker names). Flink 2.x `StreamTask#notifyCheckpointComplete` completes
/// `finalCheckpointCompleted` on `isCurrentSyncSavepoint(id)`, and with a synchronous savepoint
/// set no other checkpoint's id does (`syncSavepoint == null` guards the `finalCheckpointMinId`
/// branch); before session 15 the model waited for one more checkpoint here. 1.11 finishes on
/// the notification too (no final checkpoint). Its EndOfPartition before the notification: not
/// finished until the notification.
#[test]
fn a_stopped_task_with_inputs_finishes_on_its_savepoints_notification_even_after_a_stray_record() {
    for profile in [Profile::Flink23, Profile::Flink111] {
        let mut c = SurvivingCounters::default();
        let e = BTreeMap::new();
        let mut d = Task::new(spec(profile, false), 0, None, &e, &e, &mut c);
        d.set_wait_for_final_checkpoint(profile == Profile::Flink23);
        d.handle_input(1, ChannelId(0), StreamElement::Barrier(stop_barrier(1, StopMode::NoDrain)), &[], &mut c);
        drain(&mut d);
        assert_eq!(d.stopped_at(), Some((CheckpointId(1), StopMode::NoDrain)), "{profile}");
        let r = Record::new(Value::Str("stray".into()), Lineage { input_seq: 5, sub: 0 });
        d.handle_input(2, ChannelId(0), StreamElement::Record(r), &[], &mut c);
        assert_eq!(d.take_records_after_stop().len(), 1, "{profile}: the stray record is reported");
        d.handle_input(3, ChannelId(0), StreamElement::EndOfPartition, &[], &mut c);
        drain(&mut d);
        assert!(d.input_has_ended() && !d.is_finished(), "{profile}: waits for the savepoint's notification");
        d.handle_notify_complete(4, CheckpointId(1));
        assert!(d.is_finished(), "{profile}: the savepoint is its final checkpoint, no other one is awaited");
    }
}

/// `Task::drained_for_stop` (read by the world's `stop` checker for each snapshot of a stop's
/// savepoint): true exactly for a task whose data a 2.x drain ended before the snapshot — the
/// source that `SourceOperator#stop(DRAIN)` finished, a downstream task that received the
/// EndOfData ahead of the barrier — and for neither once only one of the two happened (EndOfData
/// without a stop, a stop without EndOfData), nor under 1.11 or without drain. The mutants of
/// session 13 (`→ true`, `→ false`, `||` ↔ `&&`) each flip one row.
#[test]
fn drained_for_stop_holds_only_for_the_data_a_2x_drain_ended() {
    for (profile, mode, want) in [
        (Profile::Flink23, StopMode::Drain, true),
        (Profile::Flink23, StopMode::NoDrain, false),
        (Profile::Flink111, StopMode::Drain, false),
        (Profile::Flink111, StopMode::NoDrain, false),
    ] {
        let at = format!("{profile} {mode:?}");
        // The source.
        let (mut t, _) = source_task(profile, profile == Profile::Flink23);
        assert!(!t.drained_for_stop(), "{at}: source before the stop");
        t.handle_trigger(2, stop_barrier(1, mode));
        drain(&mut t);
        assert_eq!(t.drained_for_stop(), want, "{at}: source after its savepoint's snapshot");
        // A downstream task: EndOfData (2.x, only a drain sends it ahead of the barrier), then
        // the barrier.
        let mut c = SurvivingCounters::default();
        let e = BTreeMap::new();
        let mut d = Task::new(spec(profile, false), 0, None, &e, &e, &mut c);
        d.set_wait_for_final_checkpoint(profile == Profile::Flink23);
        if want {
            d.handle_input(3, ChannelId(0), StreamElement::EndOfData, &[], &mut c);
            drain(&mut d);
            assert!(!d.drained_for_stop(), "{at}: EndOfData alone is no stop");
        }
        d.handle_input(4, ChannelId(0), StreamElement::Barrier(stop_barrier(1, mode)), &[], &mut c);
        drain(&mut d);
        assert_eq!(d.stopped_at(), Some((CheckpointId(1), mode)), "{at}");
        assert_eq!(d.drained_for_stop(), want, "{at}: downstream after its savepoint's snapshot");
    }
}

/// A 2.x task whose bounded input ended (EndOfData from its upstream, no stop) has not drained
/// for a stop: `drained_for_stop` needs the stop too (`saw_end_of_data && stop`).
#[test]
fn an_end_of_data_without_a_stop_is_not_a_drain() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut d = Task::new(spec(Profile::Flink23, false), 0, None, &e, &e, &mut c);
    d.set_wait_for_final_checkpoint(true);
    d.handle_input(1, ChannelId(0), StreamElement::EndOfData, &[], &mut c);
    assert_eq!(drain(&mut d), ["emit end", "end-of-data"]);
    assert!(d.input_has_ended() && !d.drained_for_stop());
}

/// The planted `drain-without-end-of-data`: a 2.x source takes the drain's savepoint with its
/// operators open (1.11's drain: `MAX_WATERMARK`, then the barrier) and reports it — the `stop`
/// checker's drain rule reads this.
#[test]
fn the_planted_drain_without_end_of_data_snapshots_open_operators() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut s = spec(Profile::Flink23, true);
    s.variant = Variant::DrainWithoutEndOfData;
    let mut t = Task::new(s, 0, None, &e, &e, &mut c);
    t.set_wait_for_final_checkpoint(true);
    t.handle_trigger(2, stop_barrier(1, StopMode::Drain));
    assert_eq!(drain(&mut t), ["wm +inf", "barrier 1", "snapshot 1 [open, 1]"]);
    assert!(!t.drained_for_stop());
}

/// `input_paused` of a stopped source: paused at once (Flink's source stops at the synchronous
/// savepoint), but under the planted `source-emits-after-stop` it reads on until the
/// notification (the guard `source && emits_after_stop`).
#[test]
fn a_stopped_source_is_paused_unless_the_planted_variant_reads_on() {
    for (variant, paused_before_notify) in [(Variant::Correct, true), (Variant::SourceEmitsAfterStop, false)] {
        let mut c = SurvivingCounters::default();
        let e = BTreeMap::new();
        let mut s = spec(Profile::Flink23, true);
        s.variant = variant;
        let mut t = Task::new(s, 0, None, &e, &e, &mut c);
        t.set_wait_for_final_checkpoint(true);
        assert!(!t.input_paused(), "{variant}: before the stop");
        t.handle_trigger(2, stop_barrier(1, StopMode::NoDrain));
        drain(&mut t);
        assert_eq!(t.input_paused(), paused_before_notify, "{variant}: after the savepoint's barrier");
        t.handle_notify_complete(3, CheckpointId(1));
        assert!(t.input_paused(), "{variant}: after the notification");
    }
}

/// A drained source *with* a watermark strategy ends event time through the strategy (its
/// `end_of_input`: one `MAX_WATERMARK`), not through the no-strategy path as well: exactly one
/// `MAX_WATERMARK` goes out, ahead of the barrier, in both profiles. The session-13 survivor
/// `&&` → `||` in `before_sync_trigger`'s no-strategy guard advanced it twice.
#[test]
fn a_drained_source_with_a_watermark_strategy_emits_one_max_watermark() {
    for profile in [Profile::Flink111, Profile::Flink23] {
        let mut c = SurvivingCounters::default();
        let e = BTreeMap::new();
        let mut t = Task::new(spec(profile, true), 0, None, &e, &e, &mut c);
        t.set_wait_for_final_checkpoint(profile == Profile::Flink23);
        t.configure_watermarks(0, crate::watermark::WatermarkStrategy::monotonous());
        drain(&mut t);
        t.handle_trigger(2, stop_barrier(1, StopMode::Drain));
        let out = drain(&mut t);
        let max: Vec<usize> = out.iter().enumerate().filter(|(_, l)| *l == "wm +inf").map(|(i, _)| i).collect();
        let barrier = out.iter().position(|l| l == "barrier 1").expect("the savepoint's barrier");
        assert_eq!(max.len(), 1, "{profile}: {out:?}");
        assert!(max[0] < barrier, "{profile}: {out:?}");
    }
}

/// A 2.x source chained with a two-phase-commit sink (1 record, 1 partition) that ended its
/// input, took its final checkpoint 1 (pre-committing the transaction holding the record) and
/// had it notified (committed): returns the final snapshot.
fn finished_source_with_2pc_sink() -> TaskSnapshot {
    let mut s = spec(Profile::Flink23, true);
    s.tail = TailSpec::TwoPhaseCommitSink;
    let (mut c, e) = (SurvivingCounters::default(), BTreeMap::new());
    let mut t = Task::new(s, 0, None, &e, &e, &mut c);
    t.set_wait_for_final_checkpoint(true);
    t.handle_log_records(1, &[first_record()], &mut c);
    t.handle_end_of_input(2, true);
    t.handle_trigger(3, checkpoint_barrier(1));
    t.handle_notify_complete(4, CheckpointId(1));
    assert!(t.is_finished());
    std::iter::from_fn(|| t.poll_output())
        .find_map(|o| match o {
            TaskOutput::Snapshot { snapshot, .. } => Some(snapshot),
            _ => None,
        })
        .expect("the final checkpoint's snapshot")
}

/// Restores attempt 1 of the sink task of [`finished_source_with_2pc_sink`] from checkpoint 2
/// holding `snapshot`, takes part in checkpoint 3 and is notified of it; returns the task and
/// what it sent to the store (`begin`, `commit`, `abort`, ...) and whether it committed offsets.
fn restore_2pc_sink_task(snapshot: TaskSnapshot, variant: Variant) -> (Task, Vec<String>, bool) {
    let cp = checkpoint_of(2, 5, snapshot);
    let mut s = spec(Profile::Flink23, true);
    (s.tail, s.attempt, s.variant) = (TailSpec::TwoPhaseCommitSink, Attempt(1), variant);
    let (mut c, e) = (SurvivingCounters::default(), BTreeMap::new());
    let mut r = Task::new(s, 10, Some(&cp), &e, &e, &mut c);
    r.set_wait_for_final_checkpoint(true);
    // Session 40: the core answers for a source deployed as finished (FLIP-147,
    // `StreamTaskFinishedOnRestoreSourceInput`): no input is handed to it, ever, and its input
    // ends before it would read; a source deployed running takes input until its end.
    let dormant = r.is_dormant();
    let asked = |r: &Task| (r.input_paused(), r.input_ends_unread(), r.may_end_bounded_input());
    assert_eq!(asked(&r), (dormant, dormant, true), "{variant:?}: before its end");
    r.handle_end_of_input(11, true);
    assert_eq!(asked(&r), (dormant, false, false), "{variant:?}: after its end");
    r.handle_trigger(12, checkpoint_barrier(3));
    r.handle_notify_complete(13, CheckpointId(3));
    r.close();
    let (mut store, mut offsets) = (Vec::new(), false);
    while let Some(o) = r.poll_output() {
        match o {
            TaskOutput::Sink(op) => {
                store.push(format!("{op:?}").split_whitespace().next().unwrap_or("").to_lowercase())
            }
            TaskOutput::CommitOffsets { .. } => offsets = true,
            _ => {}
        }
    }
    (r, store, offsets)
}

/// Session 16, FLIP-147 with a two-phase-commit sink, posed like Flink's
/// `StreamTaskTest#testOperatorSkipLifeCycleIfFinishedOnRestore` (`FinishedOperatorChain`): a
/// task restored from an entry the JobManager filled in for it because it was FINISHED at the
/// checkpoint's trigger (`FinishedOperatorSubtaskState` / `FullyFinishedOperatorState`) runs
/// none of its operators' lifecycle: its sink re-commits none of the transactions its final
/// checkpoint pre-committed (all committed before it finished), begins and aborts nothing, and
/// its source commits no offsets on the notification. Restored from its own final checkpoint's
/// snapshot (taken after `finish`, state present) the sink is initialised as usual and commits
/// that checkpoint's transaction again (Flink's `recoverAndCommit`, idempotent), and so is it
/// under the planted `finished-on-restore-runs-again`.
#[test]
fn a_2pc_sink_restored_as_finished_is_not_initialised() {
    let final_snapshot = finished_source_with_2pc_sink();
    assert!(final_snapshot.finished && !final_snapshot.from_finished_task);
    let filled_in = TaskSnapshot { from_finished_task: true, ..final_snapshot.clone() };
    let (r, store, offsets) = restore_2pc_sink_task(filled_in.clone(), Variant::Correct);
    assert!(r.is_dormant() && r.restored_from_finished_task() && r.is_finished());
    assert_eq!(store, Vec::<String>::new(), "no recovery commit, no transaction begun");
    assert_eq!(r.sink_ops(), 0);
    assert!(!offsets, "no notification reaches the source");

    let (r, store, _) = restore_2pc_sink_task(final_snapshot, Variant::Correct);
    assert!(!r.is_dormant() && !r.restored_finished() && r.restored_entry_finished());
    assert_eq!(
        store.first().map(String::as_str),
        Some("commit"),
        "recovery commit of checkpoint 1's transaction: {store:?}"
    );
    assert!(store.iter().any(|s| s == "begin"), "{store:?}");

    let (r, store, _) = restore_2pc_sink_task(filled_in, Variant::FinishedOnRestoreRunsAgain);
    assert!(!r.is_dormant() && r.restored_from_finished_task());
    assert!(store.iter().any(|s| s == "commit") && r.sink_ops() > 0, "the plant initialises the sink: {store:?}");
}

/// FLIP-147, seen under swarm (`conformance/checkpoint-after-all-tasks-finished-restore-2x.toml
/// --seed 228 --swarm`, unaligned): a 2.x task with inputs restored as finished takes part in
/// a checkpoint whose barrier reached it before its restored upstream's EndOfData did. Flink
/// acknowledges such a task's every checkpoint as finished (`AsyncCheckpointRunnable` reports
/// `TaskStateSnapshot.FINISHED_ON_RESTORE`, `PendingCheckpoint#acknowledgeTask` calls
/// `reportTaskFinishedOnRestore`): its snapshot is marked finished although its input has not
/// ended in this attempt.
#[test]
fn a_task_with_inputs_restored_as_finished_acknowledges_as_finished_before_its_input_ends() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let finished = TaskSnapshot {
        operators: vec![],
        in_flight: BTreeMap::new(),
        padding_bytes: 0,
        finished: true,
        from_finished_task: true,
    };
    let cp = checkpoint_of(5, 3, finished);
    let mut spec = spec(Profile::Flink23, false);
    spec.attempt = Attempt(1);
    let mut t = Task::new(spec, 10, Some(&cp), &e, &e, &mut c);
    t.set_wait_for_final_checkpoint(true);
    assert!(t.restored_finished());
    t.handle_input(11, ChannelId(0), StreamElement::Barrier(checkpoint_barrier(6)), &[], &mut c);
    let snapshot = std::iter::from_fn(|| t.poll_output())
        .find_map(|o| match o {
            TaskOutput::Snapshot { snapshot, .. } => Some(snapshot),
            _ => None,
        })
        .expect("it takes part in checkpoint 6");
    assert!(snapshot.finished, "a task deployed as finished acknowledges as finished: {snapshot:?}");
    assert_eq!(t.records_in(), 0);
}

/// A completed checkpoint `id` triggered at `trigger_ms` (completed 1 ms later) that holds task
/// 0's `snapshot`.
fn checkpoint_of(id: u64, trigger_ms: u64, snapshot: TaskSnapshot) -> CompletedCheckpoint {
    CompletedCheckpoint {
        id: CheckpointId(id),
        kind: CheckpointKind::Checkpoint,
        trigger_ms,
        completed_ms: trigger_ms + 1,
        tasks: BTreeMap::from([(TaskId(0), snapshot)]),
        size_bytes: 0,
        external: false,
    }
}

/// Partition 0's first record: the value 1, input #0.
fn first_record() -> LogRecord {
    LogRecord {
        partition: PartitionId(0),
        offset: Offset(0),
        value: Value::Int(1),
        lineage: Lineage { input_seq: 0, sub: 0 },
        timestamp: None,
    }
}

/// The barrier of periodic checkpoint `id` (a [`stop_barrier`] turned into a checkpoint's).
fn checkpoint_barrier(id: u64) -> Barrier {
    let mut b = stop_barrier(id, StopMode::NoDrain);
    (b.kind, b.stop) = (CheckpointKind::Checkpoint, None);
    b
}
