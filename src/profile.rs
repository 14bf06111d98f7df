//! Semantics profiles: which Flink a run follows where versions differ (semantics §9).
//!
//! Every behaviour that differs between the profiles is a method here, named for the behaviour,
//! so a reader can find each §9 row in one place and every state machine asks the same question
//! the same way.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The Flink version a run models. The default is [`Profile::Flink23`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub enum Profile {
    /// Flink 1.11.3 (the seed 004 blog's version; also the legacy Kafka consumer of seed 001).
    #[serde(rename = "flink-1.11")]
    Flink111,
    /// Flink 2.3.0, the current release.
    #[default]
    #[serde(rename = "flink-2.3")]
    Flink23,
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Flink111 => "flink-1.11",
            Profile::Flink23 => "flink-2.3",
        })
    }
}

impl Profile {
    /// Every profile, in the order scenario errors list them.
    pub const ALL: [Profile; 2] = [Profile::Flink111, Profile::Flink23];

    /// The profile of a scenario name (`flink-1.11`, `flink-2.3`); `None` for any other.
    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "flink-1.11" => Some(Profile::Flink111),
            "flink-2.3" => Some(Profile::Flink23),
            _ => None,
        }
    }

    /// §1.3 cadence: 1.11 uses a fixed-rate timer; 2.x a self-re-arming trigger (`next += interval`).
    /// Both fire at `first + k * interval`; they differ only in how a re-tuned interval and a
    /// min-pause reschedule re-anchor, which both profiles model as "re-anchor at the next firing".
    pub fn self_rearming_trigger(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §1.3 initial delay: `true` when the random initial delay is drawn once and every later
    /// scheduler start (after a restart) uses exactly `min_pause` (2.3); `false` when a new random
    /// delay in `[min_pause, base_interval]` is drawn on every start (1.11).
    pub fn initial_delay_drawn_once(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §1.3 scheduler activation: `true` when the scheduler runs only while the job is RUNNING
    /// **and** every execution is RUNNING or FINISHED (2.3); `false` when job RUNNING suffices (1.11).
    pub fn scheduler_waits_for_all_tasks_running(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §1.3: 1.11's `startCheckpointScheduler` always stops first (aborting pending work).
    pub fn start_scheduler_stops_first(self) -> bool {
        matches!(self, Profile::Flink111)
    }

    /// §2 counted failure reasons: 2.x also counts IO, async and finalize failures.
    pub fn counts_io_async_finalize_failures(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §1.5 the reason of a trigger that fails on an I/O error before its tasks are triggered
    /// (the id counter or the checkpoint storage): 2.x's `CheckpointCoordinator#getCheckpointException`
    /// finds the `IOException` in the cause and reports `IO_EXCEPTION`; 1.11 has no such reason
    /// and reports the default, `TRIGGER_CHECKPOINT_FAILURE` (session 40, ported from
    /// `CheckpointCoordinatorTest.testTriggerCheckpointWithCounterIOException`).
    pub fn trigger_io_failure_is_io_exception(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §2: 2.x ignores failures of checkpoints older than the last success and resets only on a
    /// newer success; 1.11 counts them and resets on any success.
    pub fn ignores_failures_older_than_last_success(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §2: 2.x counts a failure with the unknown checkpoint id (-1, a failure before a pending
    /// checkpoint existed) every time; 1.11 dedups it like any other id (counted once per reset).
    pub fn unknown_checkpoint_id_counted_every_time(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §2: 2.x never counts job-level savepoint failures (expiry, JM-side IO); 1.11 counts every
    /// savepoint failure like a checkpoint failure (no sync savepoints modelled).
    pub fn job_level_savepoint_failures_ignored(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §12.6 a synchronous savepoint (stop-with-savepoint) that fails at job level (expiry):
    /// 1.11's `handleSynchronousSavepointFailure` fails the job for every failure that is not
    /// pre-flight; 2.x fails it only for task-level failures (`handleTaskLevelCheckpointException`)
    /// and leaves an expiry to the tasks, which fail on its abort notification.
    pub fn sync_savepoint_failure_fails_job_at_job_level(self) -> bool {
        matches!(self, Profile::Flink111)
    }

    /// §12.6 a task that took a stop-with-savepoint's synchronous savepoint and is told it was
    /// aborted: 2.x fails (`StreamTask`: "Stop-with-savepoint failed.", its sources already
    /// stopped); 1.11 leaves its synchronous-savepoint mailbox loop and runs on.
    pub fn sync_savepoint_abort_fails_task(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §12.6 `stop --drain`: 2.x ends every task's data before the savepoint (the sources stop
    /// with `StopMode.DRAIN`, `StreamTask.endData`: `MAX_WATERMARK`, then `endInput` and
    /// `finish` of every operator, `EndOfData` downstream, and only then the savepoint's
    /// barrier; a downstream task does the same on `EndOfData` from every channel). 1.11's
    /// drain is `advanceToEndOfEventTime` only: the sources emit `MAX_WATERMARK` ahead of the
    /// barrier and no operator's `endInput` runs before the savepoint.
    pub fn drain_ends_input_before_savepoint(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §12.6 a task that stopped at a stop-with-savepoint's savepoint and finishes after its
    /// notification: 1.11 closes its operators (`StreamOperatorWrapper.close` calls `endInput`
    /// of every chained operator, and a downstream task's input processor calls it at the
    /// EndOfPartitions), so `endInput` runs after the savepoint, its output not in it. 2.x never
    /// calls `endInput` after a stop without drain (`finishOperators(StopMode.NO_DRAIN)` and an
    /// `EndOfData(NO_DRAIN)` input skip it), and after a drain it already ran.
    pub fn end_input_after_stop(self) -> bool {
        matches!(self, Profile::Flink111)
    }

    /// §6 num-retained: 2.x subsumes with `CheckpointSubsumeHelper` (never the newest, never the
    /// latest non-savepoint checkpoint, savepoints always removable); 1.11 drops the oldest (FIFO).
    pub fn subsume_keeps_latest_checkpoint(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §1.6 savepoint completion: 1.11 stores savepoints in the completed store, lets them subsume
    /// older pending checkpoints and notifies tasks; 2.x does none of that for regular savepoints.
    pub fn savepoint_completion_notifies(self) -> bool {
        matches!(self, Profile::Flink111)
    }

    /// §4.2 failure-rate window: 1.11.0–1.11.3 treat the window as full at `size >= max`
    /// (only max-1 restarts per window); 2.x at `size > max`.
    pub fn failure_rate_full_at_max(self) -> bool {
        matches!(self, Profile::Flink111)
    }

    /// §4.3 whether the profile's Flink has the exponential-delay restart strategy: only from
    /// Flink 1.13 (FLINK-19773, `ExponentialDelayRestartBackoffTimeStrategy`), so not in 1.11;
    /// its `attempts` key (`attempts-before-reset-backoff`, FLIP-364) from 1.19, so with it in
    /// 2.x. `none`, `fixed-delay` and `failure-rate` exist in every profile. Asked through
    /// `RestartStrategyConfig::exists_in` by the scenario validator and the swarm's draw.
    pub fn supports_exponential_delay_restart(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// Whether the profile's Flink has Sink V2's `KafkaSink` (`sink_api = "sink-v2"`; Flink
    /// 1.14): 2.x yes, 1.11 no (its `FlinkKafkaProducer` is the legacy two-phase-commit sink).
    pub fn supports_sink_v2(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §4.3 default restart strategy with checkpointing on: 1.11 FixedDelay(i32::MAX, 1 s);
    /// 2.x ExponentialDelay with its defaults.
    pub fn default_restart_is_exponential(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §3.1/§3.2/§9 end of partition during alignment: 1.11 aborts the pending checkpoint; 2.x
    /// (checkpoints-after-tasks-finish on) counts the finished channel as aligned.
    pub fn end_of_partition_counts_as_aligned(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// FLIP-147 (`execution.checkpointing.checkpoints-after-tasks-finish`, 1.14+, on by default
    /// since 1.15): a task whose input ended waits for a final checkpoint before it finishes
    /// (`StreamTask.afterInvoke` waits for `finalCheckpointCompleted`), and the coordinator keeps
    /// checkpointing while some tasks are FINISHED. 1.11 finishes at once and declines
    /// checkpoints once a source is finished.
    pub fn checkpoints_after_tasks_finish(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §7 end of input: the task calls the sink's `finish()` after the chain's `endInput`
    /// (`StreamSink.finish` → `TwoPhaseCommitSinkFunction.finish`, 1.14+ and the 2.x legacy
    /// sink; Sink V2's `SinkWriterOperator.endInput` flushes with `endOfInput = true` and
    /// prepares no more committables after it): the next snapshot pre-commits the open
    /// transaction and begins none. 1.11's `SinkFunction` has no `finish`: every snapshot begins
    /// a transaction and `close()` aborts the last one.
    pub fn sink_finishes_at_end_of_input(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §7: a transactional (Kafka) sink in a job without checkpointing, where no checkpoint
    /// will ever commit a transaction. 1.11's `FlinkKafkaProducer.initializeState` switches an
    /// `EXACTLY_ONCE` (or `AT_LEAST_ONCE`) producer to `Semantic.NONE` when
    /// `isCheckpointingEnabled()` is false ("Using EXACTLY_ONCE semantic, but checkpointing is not
    /// enabled. Switching to NONE semantic."): records are sent without a transaction and are
    /// visible at once. 2.x's `KafkaSink` keeps writing into transactions; at end of input
    /// `SinkWriterOperator.endInput` prepares the last committable and
    /// `CommitterOperator.endInput` commits everything when checkpointing is disabled (there is
    /// no final checkpoint to wait for); an unbounded job commits nothing.
    pub fn sink_without_checkpointing(self) -> NoCheckpointing {
        match self {
            Profile::Flink111 => NoCheckpointing::NoneSemantic,
            Profile::Flink23 => NoCheckpointing::CommitAtEndOfInput,
        }
    }

    /// §1 end of data (FLIP-147 follow-up, Flink 1.18+): when every task of a streaming job with
    /// checkpointing reached the end of its data, `SchedulerBase.notifyEndOfData` triggers a
    /// checkpoint at once instead of waiting for the periodic timer (the final checkpoint of
    /// every task still running). 1.11 has no `notifyEndOfData`.
    pub fn triggers_checkpoint_at_end_of_data(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §3.2 tracker: 1.11 counts barriers; 2.x counts distinct channels.
    pub fn tracker_counts_distinct_channels(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §3.4 aligned-checkpoint timeout exists only in 2.x.
    pub fn supports_aligned_timeout(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §5: 1.11's FlinkKafkaConsumer keeps the *last read* offset in state and commits offset+1;
    /// 2.x's KafkaSource keeps the *next* offset to read and commits it as-is. Both commit the same
    /// "next to read" value to the broker; they differ in what the snapshot holds.
    pub fn kafka_state_is_last_read(self) -> bool {
        matches!(self, Profile::Flink111)
    }

    /// §5.1/§5.2: how many pending offset commits (checkpoint id -> offsets) a Kafka source keeps.
    /// 1.11's FlinkKafkaConsumer drops the oldest beyond `MAX_NUM_PENDING_CHECKPOINTS` = 100;
    /// 2.x's KafkaSourceReader has no cap.
    pub fn kafka_pending_commits_cap(self) -> Option<usize> {
        match self {
            Profile::Flink111 => Some(100),
            Profile::Flink23 => None,
        }
    }

    /// §5.1/§5.2 whether a commit the broker refused leaves the older offsets to commit in place:
    /// 2.x `KafkaSourceReader#notifyCheckpointComplete` drops the entries up to the notified
    /// checkpoint only in the commit's success callback (`removeAllOffsetsToCommitUpToCheckpoint`),
    /// 1.11 `FlinkKafkaConsumerBase#notifyCheckpointComplete` before it sends the commit, whatever
    /// its outcome. The model's source drops them at the notification under both profiles (the
    /// core does not learn the broker's answer), within what either allows; the `offsets`
    /// checker judges by this.
    pub fn kafka_refused_commit_keeps_older_offsets(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §5.1/§5.2 which pending commits `notifyCheckpointComplete(id)` drops besides `id`:
    /// 1.11 keeps them in a `LinkedMap` and drops the entries *inserted before* `id`;
    /// 2.x keeps a `TreeMap` and drops every entry with a *smaller id*. Identical as long as
    /// snapshots arrive in id order.
    pub fn kafka_prunes_pending_by_insertion_order(self) -> bool {
        matches!(self, Profile::Flink111)
    }

    /// §5.1/§5.2 with checkpointing **off**: 1.11's consumer uses Kafka's own periodic auto-commit
    /// (`enable.auto.commit` defaults to true, every `auto.commit.interval.ms` = 5 s); 2.x's
    /// KafkaSource sets `enable.auto.commit=false` unless the user sets it, so nothing is committed.
    pub fn kafka_auto_commits_without_checkpointing(self) -> bool {
        matches!(self, Profile::Flink111)
    }

    /// §1.6: the coordinator remembers the last 16 ids to classify late acks; 1.11 remembers
    /// aborted and completed ids, 2.x only expired ones (logging only; kept for the trace).
    pub fn recent_ids_include_completed(self) -> bool {
        matches!(self, Profile::Flink111)
    }

    /// §1.5 trigger pipeline order: 2.x registers the pending checkpoint (with its expiry timer)
    /// before initialising the storage location, so a storage failure aborts a *pending*
    /// checkpoint and tasks get `notifyCheckpointAborted`; 1.11 initialises storage first, so the
    /// allocated id fails without ever becoming pending (nothing is sent to tasks).
    pub fn pending_created_before_storage_init(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §12.6 a failure after the stop's synchronous savepoint completed and before the job
    /// reached FINISHED: 2.x (1.15+, FLINK-26783) fails the job for good with the
    /// `StopWithSavepointStoppingException` ("A savepoint has been created at ... but the
    /// corresponding job failed during stopping"), a `NonRecoverableError`, so no restart is
    /// tried (the savepoint is not in the completed store, and restoring the checkpoint before it
    /// would repeat what its notification committed: `SavepointITCase
    /// #testStopWithSavepointFailsOverToSavepoint` expects FAILED/FAILING). 1.11 fails over
    /// through its restart strategy like any failure, from the newest entry of its completed
    /// store, which is that savepoint ([`Profile::savepoints_in_completed_store`]).
    pub fn failure_after_stop_savepoint_fails_job(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §4.4: how a job that a user cancels while it is FAILING ends. Both versions move it to
    /// CANCELLING (`ExecutionGraph#cancel`: "Executions are being canceled. Go into cancelling
    /// and wait for all vertices to be in their final state"). When the tasks are all terminal,
    /// 2.x's `DefaultExecutionGraph#failJob` completion finds CANCELLING and ends the job
    /// CANCELED (`ExecutionGraphRestartTest#testCancelWhileFailing`); 1.11.2's `failJob`
    /// completion moves whatever state it finds to FAILED.
    pub fn cancel_of_failing_job_ends_canceled(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §1.6 / §6: 2.x adds savepoints to the completed store? No (FLINK-25191); 1.11 does.
    pub fn savepoints_in_completed_store(self) -> bool {
        matches!(self, Profile::Flink111)
    }

    /// §4.4: the INITIALIZING execution state exists from 1.13 on; 1.11 goes DEPLOYING → RUNNING.
    pub fn has_initializing_state(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// Deployment reconciliation (1.12+, FLINK-17075): each TaskManager heartbeat reports the
    /// executions it runs, and the JobMaster fails an acknowledged execution the report misses
    /// (its final state update was lost). 1.11 has no reconciliation: such a job waits for a
    /// state update that never comes.
    pub fn reconciles_deployments(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §1.5 a trigger RPC that fails: 2.x's `Execution#triggerCheckpoint` returns the RPC's
    /// future and `CheckpointCoordinator#triggerCheckpointRequest` aborts the pending checkpoint
    /// when one of them fails (a `CheckpointException` keeps its reason, anything else is
    /// `TRIGGER_CHECKPOINT_FAILURE`); a TaskExecutor asked to trigger a task it no longer runs
    /// answers with `TASK_CHECKPOINT_FAILURE` (`TaskExecutor#triggerCheckpoint`, "unknown task").
    /// The RPC is an ask with the default RPC timeout (`pekko.ask.timeout`, 10 s): a trigger or
    /// its answer that never arrives fails the future with a timeout, which becomes
    /// `TRIGGER_CHECKPOINT_FAILURE` (not counted by `CheckpointFailureManager`).
    /// 1.11's `Execution#triggerCheckpointHelper` is a fire-and-forget `tell` with no answer:
    /// a lost trigger leaves the checkpoint pending until it expires (`CHECKPOINT_EXPIRED`).
    pub fn trigger_rpc_failure_aborts_checkpoint(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §1.5 trigger phase with master hooks / operator coordinators: 2.x (1.15+, FLINK-26394)
    /// completes the pending checkpoint's `masterTriggerCompletionPromise` exceptionally when the
    /// checkpoint is aborted (`PendingCheckpoint#abort`), so an abort (expiry, decline, failover)
    /// ends the trigger phase (`onTriggerFailure`: `isTriggering = false`, queued requests
    /// served) without waiting for a hook that may never answer
    /// (`CheckpointCoordinatorTest#testTimeoutWhileCheckpointOperatorCoordinatorNotFinishing`).
    /// 1.11 waits for every hook's answer first (`CheckpointCoordinatorTriggeringTest
    /// #testTriggerCheckpointRequestCancelled`, 1.11 form).
    pub fn trigger_phase_ends_on_abort(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §1.6 the completed-checkpoint store throws on an add: 2.x (1.18+, FLINK-32347) hands
    /// `FINALIZE_CHECKPOINT_FAILURE` to the failure manager (`reportFailedCheckpoint`), and
    /// records no success; 1.11's `completePendingCheckpoint` had already called
    /// `handleCheckpointSuccess` before the add and only sends the abort messages.
    pub fn store_failure_reaches_failure_manager(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §1.5 trigger pre-check: 2.x's `DefaultCheckpointPlanCalculator` (FLINK-22379) fails the
    /// trigger with `NOT_ALL_REQUIRED_TASKS_RUNNING` unless every task it waits for (every task
    /// not FINISHED, FLIP-147) is RUNNING; 1.11 checks only the tasks it triggers (the sources).
    pub fn trigger_requires_all_tasks_running(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §1.6 abort notification: 2.x sends `notifyCheckpointAborted(id, latestCompletedCheckpointId)`
    /// and the task first runs `notifyCheckpointComplete(latest)` when `latest > 0`
    /// (`StreamTask.notifyCheckpointAbortAsync`); 1.11 sends the aborted id only.
    pub fn abort_notification_carries_latest_completed(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §11.1 a source whose splits are *all* idle (`WatermarkOutputMultiplexer` /
    /// `CombinedWatermarkStatus`): 2.x first flushes the maximum watermark over the splits (the
    /// order in which they went idle must not decide it), then marks the output IDLE once, and
    /// marks it ACTIVE again as soon as one split is active, even without a new watermark;
    /// 1.11 marks the output IDLE and keeps the watermark at the minimum of the last active
    /// splits, active again only with the next watermark that advances.
    pub fn source_flushes_max_when_all_splits_idle(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §11.2 a two-input operator (connect's co-map, a keyed join, an interval join; a window
    /// join is a union in Flink, [`crate::two_input::InputOperatorSpec::is_two_input_operator`]) with one input
    /// IDLE: 2.x leaves the idle input out of the operator's watermark
    /// (`AbstractStreamOperator#processWatermarkStatus` with `IndexedCombinedWatermarkStatus`,
    /// FLINK-18934, 1.14); 1.11 takes the plain minimum of both inputs' last watermarks
    /// (`processWatermark1/2`), so an idle input holds the operator back
    /// (`TwoInputStreamTaskTest#testWatermarkAndStreamStatusForwarding`: watermark 5, not 6).
    /// A union is one input (one valve over all its channels) under both.
    pub fn two_input_operator_skips_idle_input(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §3.3 a cancel marker of a newer id while an older *unaligned* checkpoint collects its
    /// in-flight data: both versions report only the cancelled id aborted. 2.x then fails the
    /// older one's in-flight data (`SingleCheckpointBarrierHandler.abortInternal` completes its
    /// `allBarriersReceivedFuture` exceptionally) and `AsyncCheckpointRunnable` declines it with
    /// the cancel's reason; 1.11 (`CheckpointBarrierUnaligner`) leaves that future incomplete:
    /// the task never acknowledges nor declines it.
    pub fn cancel_marker_fails_older_unaligned(self) -> bool {
        matches!(self, Profile::Flink23)
    }

    /// §3.3 a cancel marker of the unaligned checkpoint whose barriers this task has all
    /// received (its snapshot taken, its channel state complete): 1.11's
    /// `CheckpointBarrierUnaligner.ThreadSafeUnaligner#setCancelledCheckpointId` aborts it (the
    /// barrier count is reset only by a newer checkpoint or an abort, so it is still non-zero),
    /// and the task declines it and forwards the marker (`CheckpointBarrierUnalignerCancellationTest`,
    /// `checkpoint(10), cancel(10)` on one channel: aborted). 2.x's `SingleCheckpointBarrierHandler`
    /// has finished that checkpoint and ignores the marker (`UnalignedCheckpointsCancellationTest`:
    /// not aborted).
    pub fn cancel_marker_aborts_completed_unaligned(self) -> bool {
        matches!(self, Profile::Flink111)
    }
}

/// What a two-phase-commit sink does in a job without checkpointing
/// ([`Profile::sink_without_checkpointing`]; declared here, beside the rule that picks it, so the
/// profile does not depend on the sink; `crate::sink::NoCheckpointing` re-exports it); with
/// checkpointing on it runs its transactions per checkpoint whatever this says.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoCheckpointing {
    /// Flink 1.11 `FlinkKafkaProducer`: `Semantic.NONE`, no transactions: each record is
    /// visible in the store as soon as it is written (modelled as a transaction committed right
    /// after its one record).
    NoneSemantic,
    /// Flink 2.x Sink V2 (`KafkaSink`): transactions as usual, committed all at once when the
    /// input ends (`CommitterOperator.endInput` with checkpointing disabled); never before.
    CommitAtEndOfInput,
}
