//! Deliberately broken protocol variants for the negative suite (FoundationDB's "buggify" by name).
//!
//! Every state machine takes a [`Variant`] at construction and behaves correctly unless the
//! variant names a bug in that machine. A scenario under `scenarios/negative/` selects one and
//! expects a named checker to catch it; `cargo test` fails if any variant goes uncaught.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A protocol variant: the correct protocol or one deliberately broken rule (the negative suite; each must be caught by a named checker).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// The correct protocol.
    #[default]
    Correct,
    /// Source commits offsets to the broker at snapshot time instead of on checkpoint completion.
    CommitOffsetsOnSnapshot,
    /// On restart, restore from the latest *pending* (triggered, not completed) checkpoint's
    /// partial state instead of the latest completed checkpoint.
    RestoreFromPending,
    /// Aligned barrier handler never blocks a channel after its barrier arrived.
    AlignedNoBlock,
    /// Two-phase-commit sink commits its transaction at pre-commit (snapshot) time.
    TwoPcCommitOnPrecommit,
    /// Fixed-delay restart strategy allows one restart more than configured.
    FixedDelayOffByOne,
    /// The request decider ignores min pause between checkpoints.
    IgnoreMinPause,
    /// An unaligned restore drops the in-flight channel state instead of replaying it first.
    DropChannelStateOnRestore,
    /// The JobMaster never re-sends a cancel whose RPC was lost (Flink retries it, and fails the
    /// execution when every call failed): the hang of `message-loss` seed 74 before the retries.
    NoCancelRetry,
    /// After a JobManager failover the new coordinator numbers checkpoints from 1 again instead
    /// of continuing the HA `CheckpointIDCounter`: ids are reused across leaders.
    NoHaIdCounter,
    /// On a restore with another parallelism, new subtask `i` gets old subtask `i`'s keyed state
    /// (by subtask index) instead of the keys of its key-group range (the world's hand-off).
    RescaleKeyedBySubtask,
    /// The world's task loop, with nothing to do, polls again at once instead of sleeping: a
    /// livelock in which virtual time never advances. No checker can judge it; the run's event
    /// budget must end it (`sim/tests/event_budget.rs`).
    IdleSpin,
    /// A task with several input gates takes its snapshot once the barrier arrived on every
    /// channel of its *first* gate; its other gates never block and their barriers are ignored.
    SnapshotAfterFirstGate,
    /// A restored event-time window operator starts empty: the window contents and timers in
    /// the checkpoint are ignored (Flink restores them from keyed state and the timer service's
    /// snapshot, `InternalTimeServiceManagerImpl`).
    WindowStateNotRestored,
    /// A source keeps reading and emitting after it took a stop-with-savepoint's synchronous
    /// savepoint barrier, until the savepoint's notification (Flink's source stops there:
    /// `SourceStreamTask` / `SourceOperator#stop`). Caught by the `stop` checker.
    SourceEmitsAfterStop,
    /// An event-time join's snapshot leaves out its right side: the buffered right elements and
    /// their cleanup timers (Flink snapshots both `MapState` buffers of `IntervalJoinOperator`).
    /// After a restore, left elements no longer meet the right elements buffered before the
    /// checkpoint, so their joined rows are lost.
    JoinSnapshotWithoutRight,
    /// A restored union list state (`getUnionListState`) gets only its own subtask's entries,
    /// as if it were split list state: Flink's `RoundRobinOperatorStateRepartitioner` hands
    /// every subtask the union of all subtasks' entries on every restore, also at unchanged
    /// parallelism. Caught by the `state` checker.
    UnionListAsSplit,
    /// The coordinator counts a task that FINISHED after a checkpoint's trigger as acknowledged:
    /// a pending checkpoint completes once every task acknowledged it *or finished since*, the
    /// model's rule before session 9 (commit c252dfa). Flink fixes the tasks to wait for in the
    /// plan at the trigger (`DefaultCheckpointPlanCalculator`) and only `acknowledgeTask`
    /// removes one, so a checkpoint whose acknowledgement from a task that finished later was
    /// lost never completes. Caught by the `coordinator` checker's acknowledgement rule.
    FinishedTaskCountsAsAcked,
    /// On a restore with another parallelism, unaligned in-flight records of a key_by edge are
    /// replayed by old subtask index (`j % p_new`, as a rebalance edge's are) instead of to the
    /// subtask owning their key group (Flink's `RANGE` mapper filters each record by key group):
    /// a record of a key group that moved reaches a subtask that does not hold its key's state.
    RescaleInFlightBySubtask,
    /// The request decider's queue is first in, first out: a savepoint (or a forced or manual
    /// request) submitted while periodic requests wait goes after them. Flink's
    /// `CheckpointRequestDecider` orders its queue savepoints first, then forced, then
    /// non-periodic requests, then by time, so a queued savepoint is the next request chosen.
    /// Caught by the `coordinator` checker's replay of the queue.
    QueueInArrivalOrder,
    /// A source whose splits are all idle marks its output IDLE without first flushing the
    /// largest watermark over its splits, and stays idle until its watermark advances again
    /// (1.11's `WatermarkOutputMultiplexer`, and the model's rule under every profile before
    /// session 13). Flink 2.x flushes the maximum, so the order in which the splits went idle
    /// does not hold windows back. Caught by the `windows` checker's idle-flush rule.
    SourceIdleWithoutFlush,
    /// The completed-checkpoint store subsumes late: a completed checkpoint enters the store
    /// and the older ones it subsumes leave only when the next checkpoint is triggered. Flink
    /// subsumes in the same call that adds (`DefaultCompletedCheckpointStore`
    /// `addCheckpointAndSubsumeOldestOne` with `CheckpointSubsumeHelper`), so after every
    /// completion the store holds the newest `num-retained` only. Caught by the `retention`
    /// checker's replay of the store (`RunResult::stores`).
    DeferredSubsumption,
    /// The JobMaster ignores a failed trigger RPC (flink-2.3): neither a TaskManager's failed
    /// answer nor the ask timeout of a trigger whose request or answer was lost aborts the
    /// checkpoint, which then waits for its own timeout (`CHECKPOINT_EXPIRED`, counted), as in
    /// 1.11. Flink 2.x's `CheckpointCoordinator#triggerCheckpointRequest` aborts it with
    /// `TRIGGER_CHECKPOINT_FAILURE` (not counted) when `Execution#triggerCheckpoint`'s future
    /// fails. Caught by the `coordinator` checker's lost-trigger rule.
    TriggerFailureIgnored,
    /// A 2.x `stop --drain` takes the synchronous savepoint without first ending the job's data:
    /// the sources emit `MAX_WATERMARK` and the barrier at once (1.11's drain), no `endInput` /
    /// `finish` of any chain and no EndOfData run before the snapshot. Flink 2.x's
    /// `SourceOperatorStreamTask` triggers the drain's checkpoint only once `SourceOperator#stop
    /// (StopMode.DRAIN)` finished the operator and `StreamTask.endData` sent EndOfData, so every
    /// task behind it ends its operators before it snapshots the savepoint. Caught by the `stop`
    /// checker's drain rule (`RunResult::stop_snapshots`).
    DrainWithoutEndOfData,
    /// A 2.x task restored from a snapshot taken after its operators finished is deployed as a
    /// running chain: at its (immediate) end of input it runs `endInput` / `finish` of its
    /// operators a second time, so whatever they emit at end of input is emitted again. Flink
    /// deploys such a task as finished (`FinishedOnRestoreOperatorChain` with
    /// `StreamTaskFinishedOnRestoreSourceInput` / `FinishedOnRestoreInput`): its operators are
    /// not run, it processes no input and acknowledges the first checkpoint after the restore
    /// with its finished state (FLIP-147). Caught by the `restart` checker's finished-on-restore
    /// rule (`RunResult::finished_restores`).
    FinishedOnRestoreRunsAgain,
    /// The JobManager's heartbeat monitor forgets a TaskManager once it judged it lost: it never
    /// watches it again, not after deploying to it, and a new incarnation of it is not taken as
    /// the end of what the old process ran (the world's rule before session 15). Flink deploys
    /// only into slots a registered TaskManager offered, registration restarts the heartbeat
    /// monitoring (`JobMaster.registerTaskManager`, `HeartbeatManagerImpl.monitorTarget`), and a
    /// restarted TaskManager is a new `ResourceID` whose predecessor times out. With the bug, a
    /// TaskManager redeployed after a false-alarm loss that then dies leaves its executions
    /// RUNNING for good: the job stops making progress. Caught by the `liveness` checker.
    LostTmForgotten,
    /// A task's `StatusWatermarkValve` keeps an IDLE input channel in the minimum: the task's
    /// watermark waits for an idle input. Flink's valve leaves an idle channel out
    /// (`StatusWatermarkValve#inputWatermarkStatus` marks it unaligned and recomputes the minimum
    /// over the aligned channels). Caught by `tests/graph_props.rs`'s valve property.
    IdleInputHoldsWatermark,
    /// A task's barrier handler ignores EndOfPartition on an input channel: it keeps waiting for
    /// that channel's barrier, so once one input of a task ended, no later checkpoint aligns
    /// there. Flink 2.x counts an ended channel as aligned (`SingleCheckpointBarrierHandler
    /// #processEndOfPartition`). Caught by `tests/graph_props.rs`'s end-of-input property.
    EndOfPartitionNotAligned,
    /// A 2.x task whose input ended finishes at once instead of waiting for its final
    /// checkpoint (FLIP-147, `StreamTask#afterInvoke` waiting on `finalCheckpointCompleted`):
    /// a two-phase-commit sink's last transaction is never committed. Caught by
    /// `tests/graph_props.rs`'s final-checkpoint property.
    FinishWithoutFinalCheckpoint,
    /// Unaligned barriers go with priority into a task whose inputs always align (one of its
    /// input edges is broadcast or pointwise), which then stores channel state for them: the
    /// model before session 15. Flink's `StreamGraphGenerator` marks every input edge of such
    /// a node as not supporting unaligned checkpoints and `RecordWriterOutput` sends the
    /// barrier in-band, forced aligned (semantics §14, forced alignment). Caught by the `alignment` checker.
    UnalignedIntoAlwaysAligned,
    /// A restored processing-time window drops the windows whose timers are already due
    /// instead of firing them at once (Flink's `InternalTimerServiceImpl.startTimerService`
    /// registers the earliest restored timer again, and `SystemProcessingTimeService` runs a
    /// timer in the past at once). Caught by `windows` (window lost).
    RestoredDueTimersDropped,
    /// A task that stopped at a stop-with-savepoint's synchronous savepoint and was told that
    /// savepoint completed still takes the next abort notification it gets (of any checkpoint,
    /// e.g. a later manual checkpoint that expired) as the abort of its stop: a flink-2.3 task
    /// fails with "Stop-with-savepoint failed.", a flink-1.11 task undoes its stop. Flink
    /// compares the aborted id with the task's current synchronous savepoint
    /// (`StreamTask#notifyCheckpointAbortAsync`, `isCurrentSyncSavepoint`), and a savepoint
    /// the JobManager completed is never aborted. Caught by the `stop` checker's abort rule
    /// (`RunResult::stop_notices`).
    StopAbortedAfterNotification,
    /// A Kafka source commits an offset for a partition it has not started reading: 2.x
    /// commits the split's position although it still holds the startup marker, 1.11 does not
    /// filter its never-read sentinel (`-1`, which wraps to offset 0). Flink commits only real
    /// positions: 2.x `KafkaSourceReader#snapshotState` skips a split whose starting offset is
    /// still `EARLIEST_OFFSET` / `LATEST_OFFSET` / `COMMITTED_OFFSET`, 1.11
    /// `KafkaFetcher#doCommitInternalOffsetsToKafka` commits `lastProcessedOffset + 1` only
    /// for `lastProcessedOffset >= 0`; so a checkpoint commit is always after a record Flink
    /// processed, never offset 0. Caught by the `offsets` checker's unread-partition rule.
    CommitUnreadPartition,
    /// A 2.x task restored from an entry marked finished is deployed as finished whatever its
    /// vertex (the model before session 17): a subtask FINISHED at the trigger of a vertex that
    /// was still partly running, or restored from its own final checkpoint's snapshot, runs no
    /// `endInput` / `finish` again and acknowledges as finished. Flink deploys a subtask as
    /// finished only when its whole vertex finished (`TaskStateAssignment#isFullyFinished`,
    /// `StateAssignmentOperation#assignFinishedStateToTask`); any other runs a regular chain
    /// (from empty state for `FinishedOperatorSubtaskState`, from its state for its own final
    /// snapshot) whose operators end their input again. Caught by the `restart` checker's
    /// finished-on-restore rule (a finished acknowledgement without `endInput` in this attempt).
    PartlyFinishedRestoredAsFinished,
    /// Sink V2's committer drops a committable whose commit the store refused with a
    /// retriable error (as if it had failed with a known reason) instead of retrying it. Flink
    /// 2.x retries it at once (`Committer.CommitRequest#retryLater`,
    /// `CheckpointCommittableManagerImpl#commit`, up to `sink.committer.retries`), so its
    /// records become visible. Caught by the `exactly-once` checker (records lost).
    CommitterRetryDropped,
    /// A Kafka source starts every attempt at offset 0, ignoring both its restored offsets and
    /// the committed group offsets (as a fresh `earliest` start would). Flink seeds a restored
    /// consumer from the offsets in its restored state only, and a fresh one from its startup
    /// mode (1.11 `FlinkKafkaConsumerBase#open`; 2.x `KafkaSourceReader#addSplits` with the
    /// restored split positions, `KafkaSourceEnumerator` with the starting `OffsetsInitializer`
    /// otherwise). After a restore from a checkpoint, or a restart without one under
    /// `group-offsets`, the source commits offsets below those it committed before. Caught by
    /// the `offsets` checker's monotonic rule, which starts over at a restore only where Flink
    /// does (from the restored offsets or the startup mode's position).
    SourceRestartsFromEarliest,
    /// A 2.x Kafka source restored with a `latest` split seeks to the partition's current end
    /// instead of resuming at the restored offset: the connector before FLINK-28303 kept the
    /// `LATEST_OFFSET` marker in a never-read split's state and re-resolved it on restore,
    /// skipping the records written meanwhile (here for every restored `latest` split). Since
    /// `LatestOffsetsInitializer` the enumerator resolves the end offset once and the split
    /// state holds it. Caught by the `exactly-once` checker (records lost).
    RestoredLatestSeeksToEnd,
    /// A Kafka source started `latest` without restored state begins at offset 0 instead of the
    /// partition's end offset, reading the records appended before it started. Flink resolves
    /// `latest` to the end offset when the source starts (2.x `LatestOffsetsInitializer`, 1.11
    /// `KafkaConsumerThread#reassignPartitions` seeking to the end): only records appended later
    /// are read. Caught by the `state` checker (the keyed values count records the reference,
    /// folded without the records before the start, does not).
    LatestStartsAtEarliest,
    /// FLIP-147 (flink-2.3): the coordinator completes a checkpoint in which a vertex with
    /// union list state is partly finished (some subtasks FINISHED or acknowledging with
    /// finished operators, the others running). Flink refuses it when finalizing
    /// (`DefaultCheckpointPlan#fulfillFinishedTaskStatus`:
    /// `checkNoPartlyFinishedVertexUsedUnionListState`,
    /// `checkNoPartlyOperatorsFinishedVertexUsedUnionListState`) and aborts it with
    /// `CHECKPOINT_DECLINED_TASK_CLOSING`: a finished subtask stores no state, so a restore would
    /// hand the union without its entries. Caught by the `coordinator` checker's
    /// partial-finishing rule.
    PartlyFinishedUnionCompleted,
    /// A restored two-phase-commit sink does not commit the pending transactions of the
    /// checkpoint it was restored from (it only aborts the one open at snapshot time). Flink's
    /// `TwoPhaseCommitSinkFunction#initializeState` calls `recoverAndCommitInternal` for every
    /// pending transaction in the restored state (Sink V2: the `CommitterOperator` commits the
    /// restored committables): a completion whose notification never reached the sink before a
    /// failure is committed only there. Caught by the `exactly-once` checker (records a
    /// completed checkpoint covers never committed).
    RecoverySkipsCommit,
    /// A restored task whose several input gates are fed by one producer (`s.union(s)`,
    /// `s.connect(s)`, a keyed `s.join(s)`) drops the records of its later gates until its first
    /// snapshot, as if the restore re-attached only the first of the producer's two edges
    /// (Flink gives each `StreamEdge` its own input gate and channels, `StreamTwoInputProcessor`,
    /// and reads both). One copy of every input replayed there is lost. Caught by
    /// `exactly-once` (2PC sink) and `at-least-once` (print sink) as a lost copy.
    LaterGateLostOnRestore,
    /// A task whose chain holds an event-time window forwards a watermark downstream *before*
    /// its operators process it, so the results the watermark fires leave the task behind it.
    /// Flink's `AbstractStreamOperator#processWatermark` advances the timer service first (the
    /// `WindowOperator` emits the fired results through its `TimestampedCollector`), then emits
    /// the watermark. A later event-time window (a window after a window) then finds the
    /// results late and drops them. Caught by the `windows` checker on the second stage.
    WatermarkBeforeWindowResults,
    /// A restored task whose event-time window has a late side output consumed downstream
    /// (`inputs = ["W.late"]`) still judges and records its late elements but sends none on the
    /// side-output edge, as if the restore re-attached only the main output (Flink's
    /// `OperatorChain` builds a `RecordWriterOutput` per output edge, the side tag's included,
    /// on every deployment; `WindowOperator#sideOutput` writes each late element there). The
    /// late elements of every restored attempt are lost to the side branch. Caught by
    /// `exactly-once` (2PC side sink) and `at-least-once` (print side sink) as a lost late
    /// record. Session 34: the same for a restored interval join's late side outputs
    /// (`J.late_left` / `J.late_right`, `IntervalJoinOperator#sideOutput`).
    LateSideOutputLostOnRestore,
    /// An event-time window with a late side output sends every element that is late by its
    /// own timestamp (`isElementLate`) to the side output, also one that a window still
    /// accepted because the window is within its allowed lateness (a late-but-allowed element,
    /// which fires the window again). Flink's `WindowOperator#processElement` side-outputs only
    /// an element that is skipped by every window *and* late (`isSkippedElement &&
    /// isElementLate`), so each element is in exactly one of {its window's result, the side
    /// output}. Caught by the `windows` checker as `late in both` (session 23). Session 34: an
    /// interval join with a late side output also buffers and joins each element it sends
    /// there (Flink's `IntervalJoinOperator#processElement` returns after `sideOutput`); caught
    /// by `exactly-once` as `late in both` on the join's two-phase-commit sink.
    LateEmittedToBoth,
    /// FLINK-17351: the failure manager does not count `CHECKPOINT_EXPIRED` toward
    /// `execution.checkpointing.tolerable-failed-checkpoints` (Flink before the fix counted
    /// declines and I/O only, so a job whose checkpoints all time out ran on forever with a
    /// tolerance of 0). Flink's `CheckpointFailureManager#checkFailureCounter` counts an expired
    /// checkpoint under both profiles. Caught by the `tolerable-failure` checker.
    ExpiredNotCounted,
    /// FLINK-10377 (the subsumption contract of `notifyCheckpointComplete`): a two-phase-commit
    /// sink commits only the transaction of exactly the notified checkpoint, not the older
    /// pending ones whose own notification was lost or overtaken. Flink's
    /// `TwoPhaseCommitSinkFunction#notifyCheckpointComplete` commits every pending transaction
    /// with an id up to the notified one ("notifications from later checkpoints subsume missing
    /// ones"). The older transaction stays pre-committed until a restore recommits it, or for
    /// good. Caught by `exactly-once` (records a completed checkpoint covers never committed).
    NotifyCommitsOnlyItsOwn,
    /// FLINK-4618: a flink-1.11 Kafka source commits the offset of the last record it
    /// processed instead of the next one to read (`lastProcessedOffset` where Flink commits
    /// `lastProcessedOffset + 1`, `KafkaFetcher#doCommitInternalOffsetsToKafka`), so a job that
    /// starts from the group's committed offsets reads the last processed record of every
    /// partition a second time. Caught by the `offsets` checker (a committed offset that is not
    /// the completed checkpoint's next offset to read).
    CommittedOffsetIsLastRead,
    /// FLINK-6284: the completed-checkpoint store sorts its entries by the decimal text of their
    /// ids (ZooKeeper paths `/9`, `/10` sorted by name), so with checkpoint 10 and 9 retained a
    /// restore takes 9 as the latest. Flink pads the path (`/%019d`) so that name order is id
    /// order, and a restore takes the newest completed checkpoint. Caught by `exactly-once`
    /// (records committed twice: the transactions after 9 were committed, and are replayed).
    RestoreLexicallyLatest,
    /// FLINK-5007 (retention applied to the wrong terminal status): under
    /// `RETAIN_ON_CANCELLATION` the store discards its checkpoints when the job is CANCELED, as
    /// `DELETE_ON_CANCELLATION` would. Flink's `CheckpointProperties#discardOnJobCancelled` is
    /// false for a retained-on-cancellation checkpoint: the newest checkpoints outlive the
    /// cancel. Caught by the `retention` checker.
    RetainedDiscardedOnCancel,
    /// FLINK-18856: the request decider judges min pause against a stale completion time (the
    /// completion before the latest), so a periodic checkpoint is triggered less than
    /// `min-pause` after the latest one completed. Flink reads `lastCheckpointCompletionTime`
    /// under the coordinator lock (`CheckpointRequestDecider#chooseRequestToExecute` with a
    /// supplier since the fix). Caught by the `coordinator` checker's min-pause rule.
    MinPauseStaleCompletion,
    /// FLINK-8132: a restored two-phase-commit sink's recovery commit also commits the
    /// transaction that was open at snapshot time (there, a pooled Kafka producer's later
    /// transaction looked identical to the recovered one to the broker, so `recoverAndCommit`
    /// committed records written after the checkpoint). Flink commits only the restored pending
    /// transactions and aborts the open one (`TwoPhaseCommitSinkFunction#initializeState`:
    /// `recoverAndAbort`; since the fix each checkpoint re-initializes the producer). The records
    /// after the checkpoint are committed and then replayed. Caught by `exactly-once`
    /// (records committed twice).
    RecoveryCommitsOpenTransaction,
    /// Session 25 (held out): an event-time window's timer service fires only the timers
    /// strictly below a new watermark, so a window whose `maxTimestamp` equals the watermark
    /// waits for the next, larger watermark (a `<` for `<=`). Flink's
    /// `InternalTimerServiceImpl#advanceWatermark` fires every timer with
    /// `timer.getTimestamp() <= time`.
    TimerAtWatermarkNotFired,
    /// Session 25 (held out): a completed checkpoint does not reset the failure manager's
    /// consecutive-failure counter, so failures separated by successes add up to the threshold.
    /// Flink's `CheckpointFailureManager#handleCheckpointSuccess` calls `clearCount()`
    /// (`tolerable-failed-checkpoints` counts *consecutive* failures).
    SuccessKeepsFailureCount,
    /// Session 25 (held out): a task's aligned barrier handler drops a `CancelCheckpointMarker`:
    /// the channels blocked for the cancelled checkpoint stay blocked until a newer barrier
    /// arrives, and the task never reports the cancellation. Flink's
    /// `SingleCheckpointBarrierHandler#processCancellationBarrier` aborts the alignment and
    /// unblocks every channel at once.
    CancelMarkerIgnored,
    /// Session 25 (held out): the job leaving RUNNING (a failure, a cancel) stops the periodic
    /// scheduler without aborting the pending checkpoints, and a global failover leaves them
    /// pending too: the new attempts never acknowledge them, so each expires later
    /// (`CHECKPOINT_EXPIRED`, counted toward the tolerable failures: with a tolerance of 0 the
    /// job fails again) and holds a max-concurrent slot meanwhile. Flink's
    /// `CheckpointCoordinatorDeActivator` calls `stopCheckpointScheduler` at every status other
    /// than RUNNING, which aborts every pending checkpoint (`CHECKPOINT_COORDINATOR_SUSPEND`,
    /// not counted). Caught by the `coordinator` checker's rule that no checkpoint stays pending
    /// once the job left RUNNING (session 25).
    PendingSurvivesFailover,
    /// Session 25 (held out): the request decider allows one pending checkpoint more than
    /// `max_concurrent` (`>` for `>=`). Flink's `CheckpointRequestDecider#chooseRequestToExecute`
    /// queues a non-forced request while `pendingCheckpointsSize >= maxConcurrentCheckpointAttempts`.
    MaxConcurrentOffByOne,
    /// Session 25 (held out): a new JobManager recovers the completed checkpoint *before* the
    /// newest from the HA store (as if the newest's HA entry were not yet durable when the
    /// coordinator notified the tasks), so it restores an older state than the one whose
    /// transactions and offsets the tasks already committed. Flink writes the checkpoint to the
    /// HA store before it counts as completed and before any notification
    /// (`CheckpointCoordinator#completePendingCheckpoint`: `addCompletedCheckpointToStoreAndSubsumeOldest`
    /// then `sendAcknowledgeMessages`), and the new leader recovers the newest
    /// (`DefaultCompletedCheckpointStoreUtils#retrieveCompletedCheckpoints`).
    HaRecoversPrevious,
    /// Session 26 (held out): the first barrier of a newer checkpoint arriving while an aligned
    /// checkpoint is being collected is merged into that alignment (its channel counted and
    /// blocked as if it had delivered the older barrier) instead of aborting the older
    /// checkpoint and starting the newer one. Flink's `SingleCheckpointBarrierHandler#checkNewCheckpoint`
    /// aborts the pending checkpoint (`CHECKPOINT_DECLINED_SUBSUMED`) before the newer one
    /// starts. Caught by the `barriers` checker (`subsumed-not-aborted`).
    NewerBarrierMerges,
    /// Session 26 (held out): a cancel marker aborts the checkpoint being aligned (declined and
    /// forwarded) but releases only the channel it arrived on: the other blocked channels stay
    /// blocked until the first barrier of the next checkpoint. Flink's `abortInternal` resumes
    /// every blocked channel (`CheckpointedInputGate#resumeConsumption` via
    /// `BarrierHandlerState#abort`). Caught by the `barriers` checker (`blocked-after-alignment`).
    CancelUnblocksOwnChannel,
    /// Session 26 (held out): the aligned-with-timeout clock runs from the first barrier's
    /// arrival at this task instead of the checkpoint's timestamp, so a checkpoint that reaches
    /// a task late times out late. Flink's `SingleCheckpointBarrierHandler#registerAlignmentTimer`
    /// arms `alignedCheckpointTimeout - (now - barrier.getTimestamp())`. Caught by the
    /// `barriers` checker (`timeout-late`).
    TimeoutFromFirstBarrier,
    /// Session 29 (held out): the at-least-once barrier tracker takes the snapshot at the first
    /// barrier of a checkpoint on a task with several open input channels, instead of once the
    /// barrier arrived on every one of them. Flink's `CheckpointBarrierTracker#processBarrier`
    /// counts the barriers of a pending checkpoint and triggers only when the count reaches the
    /// number of open channels (`numBarriersToWaitFor`). The records still queued ahead of the
    /// other channels' barriers are processed after the snapshot, so a restore loses their effect.
    TrackerTriggersOnFirstBarrier,
    /// Session 29 (held out): the failure-rate restart strategy never drops a failure from its
    /// window: once it holds `max-failures-per-interval` failures, every later failure is judged
    /// against the *first* failure of the job. Flink's `FailureRateRestartBackoffTimeStrategy
    /// #notifyFailure` removes the oldest timestamp once the window is full, so `canRestart`
    /// compares the interval with the oldest of the last `max` failures.
    FailureRateKeepsOldest,
    /// Session 29 (held out): the exponential-delay restart strategy never resets its attempt
    /// counter: a failure after a long stable run gets the backoff of the attempt after the
    /// previous one. Flink's `ExponentialDelayRestartBackoffTimeStrategy#notifyFailure` starts over
    /// at the initial backoff when `reset-backoff-threshold` passed since the scheduled restart.
    ExponentialNeverResets,
    /// Session 29 (held out): a pending checkpoint's timeout restarts at every acknowledgement
    /// (`now + timeout` at each ack), so a checkpoint acknowledged slowly completes or expires
    /// later than `trigger + timeout`. Flink schedules the expiry once, at the trigger
    /// (`CheckpointCoordinator#createPendingCheckpoint`: `CheckpointCanceller` after
    /// `checkpointTimeout`), and a checkpoint not complete by then is aborted as
    /// `CHECKPOINT_EXPIRED`.
    TimeoutFromLastAck,
    /// Session 29 (held out): a two-phase-commit sink's `notifyCheckpointAborted(id)` aborts every
    /// pending pre-committed transaction with a checkpoint id up to `id`, also those of
    /// checkpoints that completed but whose notification was lost or is still on its way. Flink's
    /// `TwoPhaseCommitSinkFunction` leaves its pending transactions alone on an abort: a later
    /// completion commits them ("notifications from later checkpoints subsume missing ones"), and
    /// a transaction of a completed checkpoint must be committed, never aborted.
    AbortNotificationAbortsPending,
    /// Session 29 (held out): the completed-checkpoint store discards a savepoint it subsumes
    /// (flink-1.11, where savepoints enter the store) or a restored external checkpoint, as if
    /// every entry had `discardSubsumed`. Flink's `CheckpointProperties` of a savepoint (and of a
    /// restored checkpoint, `CheckpointProperties.forUnclaimedSnapshot`) say the job does not own
    /// it: `discardOnSubsumed` is false, so the files outlive the subsumption.
    SavepointDiscardedOnSubsume,
    /// Session 29 (held out): flink-2.3's failure manager counts a savepoint that failed at the
    /// JobManager (expired, or aborted there) toward `tolerable-failed-checkpoints`, as 1.11 did.
    /// Flink 2.x's `CheckpointFailureManager#handleJobLevelCheckpointException` checks the failure
    /// counter only for a checkpoint that is not a savepoint (`!checkpointProperties.isSavepoint()`),
    /// so a user's failed savepoint never fails the job.
    SavepointFailureCounted,
    /// Session 30 (held out): the failure manager counts a checkpoint declined with
    /// `CHECKPOINT_DECLINED_TASK_CLOSING` (a task finishing, or a partly finished vertex with
    /// union list state) toward `tolerable-failed-checkpoints`. Flink's
    /// `CheckpointFailureManager#checkFailureCounter` lists that reason among the ones it ignores:
    /// a job whose tasks finish never fails for it.
    TaskClosingDeclineCounted,
    /// Session 30 (held out): a Kafka source commits, when notified that checkpoint `n`
    /// completed, its *current* reading position instead of the offsets it stored in `n`'s
    /// snapshot. Flink's `KafkaSourceReader#notifyCheckpointComplete` commits
    /// `offsetsToCommit.get(checkpointId)` (1.11: `FlinkKafkaConsumerBase#notifyCheckpointComplete`
    /// the `pendingOffsetsToCommit` entry of that id), so the group offsets never run ahead of a
    /// completed checkpoint.
    CommitPositionOnNotify,
    /// Session 30 (held out): a restored event-time window operator gets its windows' contents
    /// back but not their timers, as if the timer service's snapshot were left out. Flink
    /// restores both (`InternalTimeServiceManagerImpl` reads the timers from the raw keyed
    /// state next to the window state), so a restored window fires once the watermark passes
    /// its end, also when no new element reaches it.
    WindowTimersNotRestored,
    /// Session 30 (held out): under flink-2.3, an input channel's end of partition during an
    /// aligned checkpoint completes the alignment at once (the snapshot is taken although other
    /// channels' barriers are still to come). Flink's `SingleCheckpointBarrierHandler
    /// #processEndOfPartition` counts the ended channel as one aligned channel and triggers
    /// only once every open channel delivered its barrier.
    EndOfPartitionReleasesAlignment,
    /// Session 30 (held out): an unaligned restore of a task with several input gates replays
    /// only its first gate's in-flight channel state. Flink's `SequentialChannelStateReaderImpl
    /// #readInputData` reads the recovered buffers of every input gate of the task.
    ChannelStateFirstGateOnly,
    /// Session 30 (held out): a channel that becomes ACTIVE again counts in the valve's minimum
    /// at once, with a watermark behind the task's last output watermark, so the task's
    /// watermark waits for it. Flink's `StatusWatermarkValve#inputWatermarkStatus` marks a
    /// resumed channel aligned only once its watermark caught up with the last output
    /// (`channelStatus.watermark >= lastOutputWatermark`).
    ResumedChannelAlignedAtOnce,
    /// Session 30 (held out): the request decider measures min pause from the latest trigger
    /// instead of the latest completion. Flink's `CheckpointRequestDecider#chooseRequestToExecute`
    /// compares `minPauseBetweenCheckpoints` with the time since `lastCheckpointCompletionRelativeTime`,
    /// which the coordinator sets in `completePendingCheckpoint`.
    MinPauseFromTrigger,
    /// Session 31: a regional restart (`failover_strategy = "region"`, a job of several pipelined
    /// regions) deploys the region's tasks without restoring the latest completed checkpoint:
    /// they start from empty state and their sources from the startup mode, as Flink's first
    /// `RestartPipelinedRegionStrategy` did (FLINK-10712, fixed in 1.9: "all restored regions
    /// will be restarted with empty state"). Flink restores the region's subtasks from the
    /// latest completed checkpoint (`CheckpointCoordinator#restoreLatestCheckpointedStateToSubtasks`).
    RegionRestartsWithoutState,
    /// Session 31 (held out): a task failure that the JobMaster already handled is counted
    /// again: a FAILED report of an execution being cancelled for the failover, a second FAILED
    /// report of an execution already FAILED (the TaskManager's own report after the heartbeat
    /// path failed it), or one of an older execution attempt, notifies the restart strategy a
    /// second time (one more failure toward fixed-delay's attempts, failure-rate's window,
    /// exponential-delay's backoff). Flink discards a state update of an execution attempt that
    /// is no longer current (`SchedulerBase#updateTaskExecutionState`, `ExecutionGraph#updateState`
    /// by `ExecutionAttemptID`), a failing execution that is being cancelled completes its
    /// cancellation (`Execution#processFail` in `CANCELING`), and only a new failure reaches
    /// `ExecutionFailureHandler#getFailureHandlingResult` and `RestartBackoffTimeStrategy#notifyFailure`.
    FailureCountedTwice,
    /// Session 31 (held out): a rescale hands a user operator's split list state (and a 2PC
    /// sink's pending transactions) by subtask index: new subtask `i` restores old subtask `i`'s
    /// entries, so a scale-down loses the entries of the old subtasks beyond the new parallelism.
    /// Flink's `RoundRobinOperatorStateRepartitioner#repartitionSplitState` deals the entries of
    /// every old subtask out among the new ones.
    SplitStateBySubtask,
    /// Session 31 (held out): a rescale of union list state keeps only the lists of the old
    /// subtasks that exist in the new job (old subtask `j < p_new`): a scale-down loses the
    /// others' entries from the union. Flink's `RoundRobinOperatorStateRepartitioner
    /// #repartitionUnionState` hands every new subtask the union of all old subtasks' entries.
    UnionRescaleDropsBeyond,
    /// Session 31 (held out): a source split's idleness timer is not reset by its records: once
    /// `idle-timeout` passed since the countdown started, the split is marked idle at
    /// every periodic emission although records keep coming, and emits no watermark. Flink's
    /// `WatermarksWithIdleness#onEvent` calls `IdlenessTimer#activity`, and `checkIfIdle` starts
    /// the countdown over when the counter moved.
    IdlenessIgnoresActivity,
    /// Session 31 (held out): flink-2.3 adds a completed savepoint to the completed-checkpoint
    /// store (as 1.11 does): it counts toward `num-retained`, subsumes checkpoints and is the
    /// restore point of a later failover. Since FLIP-193 (snapshot ownership) Flink's
    /// `CheckpointCoordinator#completePendingCheckpoint` adds only checkpoints to the store
    /// (`addCompletedCheckpointToStoreAndSubsumeOldest` is skipped for `props.isSavepoint()`);
    /// a failover restores the newest checkpoint, never a savepoint.
    SavepointEntersStore,
    /// Session 31 (held out): the pipelined regions are computed with one producer per consumer
    /// subtask (its first input), as if every edge were pointwise: an all-to-all edge no longer
    /// joins its producers, so a task failure restarts too few tasks and a restarted producer's
    /// other consumers go on without the replay. Flink's `SchedulingPipelinedRegionComputeUtil`
    /// links a consumer to every producer of its pipelined inputs.
    RegionFirstProducerOnly,
    /// Session 31 (held out): a two-phase-commit sink that is closed (its task cancelled or
    /// failed) aborts its pending pre-committed transactions along with the open one. Flink's
    /// `TwoPhaseCommitSinkFunction#close` aborts only `currentTransaction`: a pending transaction
    /// may belong to a checkpoint that completed while its notification was on its way, and the
    /// next attempt's `recoverAndCommit` must still commit it.
    CloseAbortsPending,
    /// Session 32 (held out): a task's `StatusWatermarkValve` outputs the *largest* watermark
    /// over its aligned input channels instead of the smallest, so the task's event-time clock
    /// runs ahead of its slowest input and a window downstream fires before the records of the
    /// slower channels arrived. Flink's `StatusWatermarkValve
    /// #findAndOutputNewMinWatermarkAcrossAlignedChannels` emits the minimum.
    ValveTakesMax,
    /// Session 32 (held out): an event-time window takes an element whose timestamp equals its
    /// `end` (the element joins `[start, end)` and the window after it). Flink's `TimeWindow` is
    /// half open: `TumblingEventTimeWindows#assignWindows` / `SlidingEventTimeWindows` assign by
    /// `getWindowStartWithOffset`, and `maxTimestamp()` is `end - 1`.
    WindowEndInclusive,
    /// Session 32 (held out): a restart runs as soon as the cancelled tasks are terminal,
    /// without waiting for the restart strategy's delay (fixed-delay's `delay`, failure-rate's
    /// `delay`, exponential-delay's backoff). Flink's `DefaultScheduler#restartTasksWithDelay`
    /// schedules the restart `getRestartDelayMS()` after the failure and runs it once the
    /// cancellation completed too.
    RestartSkipsDelay,
    /// Session 32 (held out): the coordinator keeps the newest expired checkpoint with its
    /// acknowledgements, and a late acknowledgement that completes it completes the checkpoint
    /// after its abort (`CHECKPOINT_EXPIRED`) was counted and sent to the tasks. Flink's
    /// `CheckpointCoordinator#receiveAcknowledgeMessage` finds no pending checkpoint for the id
    /// (the `CheckpointCanceller` removed it) and discards the late subtask state.
    LateAckCompletesExpired,
    /// Session 32 (held out): a Kafka source that is told checkpoint `n` completed removes only
    /// `n`'s entry of its offsets to commit, not the older ones, so a later notification of an
    /// older checkpoint (a savepoint triggered before `n` that completes after it) commits
    /// offsets behind the ones already committed. Flink's `KafkaSourceReader
    /// #notifyCheckpointComplete` clears `offsetsToCommit.headMap(checkpointId, true)` (1.11
    /// `FlinkKafkaConsumerBase#notifyCheckpointComplete` removes every older pending entry).
    NotifyKeepsOlderOffsets,
    /// Session 32 (held out): an unaligned checkpoint's channel state records a channel's
    /// records also after that channel's barrier arrived, until the last barrier is in: records
    /// that belong after the checkpoint are persisted as in-flight data and replayed by a
    /// restore that also replays them from the source. Flink's `ChannelStatePersister` stops
    /// persisting a channel at its barrier (`checkForBarrier` / `stopPersisting`).
    ChannelStatePastBarrier,
    /// Session 35: a restored keyed running aggregate (`sum`, `count`, `max`, `min`) starts
    /// empty: the per-key values in the checkpoint are ignored, so each key folds again from its
    /// first element after the restore. Flink's `StreamGroupedReduceOperator` keeps the last
    /// result per key in a `ValueState`, which `initializeState` restores from the keyed state
    /// backend. Caught by the `state` checker (`late-join-state` behind a late-fed join).
    AggregateStateNotRestored,
    /// Session 36: a rescale hands keyed state to the new subtasks by key-group ranges whose
    /// end is computed without the `- 1` (`end = (i + 1) * max / p`): a key group on a range
    /// boundary is taken by the lower subtask, while records of its keys still route to the
    /// upper one. Flink's `KeyGroupRangeAssignment#computeKeyGroupRangeForOperatorIndex` ends
    /// subtask `i`'s range at `((i + 1) * max - 1) / p`, so the ranges partition the key groups
    /// exactly as `computeOperatorIndexForKeyGroup` routes them.
    KeyGroupRangeEndInclusive,
    /// Session 36: an interval join treats its lower bound as exclusive (`tl + lower < tr`), as
    /// if `lowerBoundExclusive()` had been called. Flink's `IntervalJoinOperator` is inclusive
    /// on both bounds by default (`tl + lower <= tr <= tl + upper`), so a pair exactly at the
    /// lower bound joins.
    IntervalJoinLowerExclusive,
    /// Session 36: a sliding window assigner gives every element `size / slide` windows
    /// (rounded down), the latest ones. Flink's `SlidingEventTimeWindows#assignWindows` walks
    /// back from the last start while `start > timestamp - size`, so when the size is not a
    /// multiple of the slide an element joins `ceil(size / slide)` windows at some timestamps.
    SlidingWindowsFloorCount,
    /// Session 36: the bounded-out-of-orderness generator emits `max - bound` instead of
    /// `max - bound - 1`. Flink's `BoundedOutOfOrdernessWatermarks#onPeriodicEmit` subtracts
    /// one more, so an element exactly `bound` behind the largest timestamp seen is not late.
    WatermarkWithoutMinusOne,
    /// Session 36 (flink-1.11): a restored Kafka partition resumes at the offset stored in the
    /// checkpoint, which 1.11 stores as the *last read* offset, so the last record read before
    /// the checkpoint is read again. Flink 1.11's `KafkaTopicPartitionState` holds the last
    /// processed offset, and `KafkaConsumerThread#reassignPartitions` seeks a restored
    /// partition to `offset + 1`.
    RestoreRereadsLastRecord,
    /// Session 36: the failure manager counts a pending checkpoint aborted because a newer one
    /// completed (`CHECKPOINT_SUBSUMED`) toward `tolerable-failed-checkpoints`. Flink's
    /// `CheckpointFailureManager#checkFailureCounter` lists that reason among the ones it
    /// ignores: with concurrent checkpoints a job never fails for subsumption. (Acts under
    /// flink-1.11 only: 2.x ignores the failure of a checkpoint older than the last success,
    /// which a subsumed one always is.)
    SubsumedAbortCounted,
    /// Session 36: a window counts as late only once its cleanup time is strictly behind the
    /// watermark (`cleanupTime < watermark`), so an element of a window whose cleanup timer has
    /// just fired (watermark equal to its cleanup time) is taken into a fresh, purged window and
    /// fired alone. Flink's `WindowOperator#isWindowLate` is `cleanupTime(window) <=
    /// currentWatermark`, the same instant the cleanup timer fires.
    WindowLateBoundExclusive,
    /// Session 36: the completed-checkpoint store keeps one checkpoint fewer than
    /// `num-retained` (at least one): its subsumption loop runs while the store holds
    /// `num-retained - 1` or more. Flink's `CheckpointSubsumeHelper#subsume` and 1.11's
    /// `StandaloneCompletedCheckpointStore#addCheckpoint` remove the oldest only while more than
    /// `num-retained` are held.
    RetainsOneFewer,
    /// Session 37: a 2.x task whose input ended finishes once it has *taken* its final
    /// checkpoint's snapshot, without waiting for that checkpoint's completion notification:
    /// its two-phase-commit sink's last transaction stays pre-committed, and the job reports
    /// FINISHED before the commit. Flink's `StreamTask#afterInvoke` waits on
    /// `finalCheckpointCompleted`, which only `notifyCheckpointComplete` of a checkpoint at or
    /// after `finalCheckpointMinId` completes (FLIP-147).
    FinishBeforeFinalNotify,
    /// Session 37: an event-time window takes a late-but-allowed element (its window is behind
    /// the watermark, within `allowed_lateness_ms`) into its state but neither fires the window
    /// nor registers a timer for it, so the element reaches the output only if a later element
    /// of the window fires it. Flink's `EventTimeTrigger#onElement` returns `FIRE` when
    /// `window.maxTimestamp() <= ctx.getCurrentWatermark()`, and `WindowOperator
    /// #processElement` emits the window's contents at once.
    AllowedLateNotFired,
    /// Session 37: when a checkpoint completes, the coordinator also sends
    /// `notifyCheckpointComplete` for each older pending checkpoint it subsumes, after the newer
    /// one's. Flink's `CheckpointCoordinator#completePendingCheckpoint` aborts them
    /// (`dropSubsumedCheckpoints`, `CHECKPOINT_SUBSUMED`) and notifies completion only of the
    /// checkpoint that completed (`sendAcknowledgeMessages`).
    NotifiesSubsumedComplete,
    /// Session 37 (flink-2.3): a task told that checkpoint `n` aborted ignores the latest
    /// completed checkpoint id the notification carries. Flink 2.x's
    /// `StreamTask#notifyCheckpointAbortAsync(checkpointId, latestCompletedCheckpointId)` runs
    /// `notifyCheckpointComplete(latestCompletedCheckpointId)` first (for any id above 0), so a
    /// lost completion notification is made up at the next abort.
    AbortIgnoresLatestCompleted,
    /// Session 37: a log source waiting at a checkpoint gate (`gates = [...]`, Flink tests'
    /// sources that wait for a checkpoint after a segment) passes it on the completion of the
    /// checkpoint it had snapshotted *before* reaching the gate, not one taken at the gate: it
    /// reads past the gate before any checkpoint covers the segment. The harness's contract
    /// (README "checkpoint gates") follows the tests' `notifyCheckpointComplete` of a checkpoint
    /// triggered after the segment was emitted.
    GatePassesOnOlderCheckpoint,
    /// Session 37: an anchored fault (`on = "..."`: the first time an event happens) stays
    /// armed after it fired, so a `task-failure` anchored to reading an input fires again in
    /// every attempt that replays that input, as a Flink test's failing mapper whose "already
    /// failed" flag lives in the operator instance (restored fresh by every attempt) instead of
    /// a static or a restored state. The job restarts until its strategy gives up.
    AnchoredFaultRefires,
    /// Session 37: `restore-retained` / a rescale from the retained checkpoint starts the new
    /// job from the *oldest* checkpoint the ended job retained instead of the newest. Flink's
    /// retained `CompletedCheckpointStore` (`DefaultCompletedCheckpointStoreUtils
    /// #retrieveCompletedCheckpoints`, `getLatestCheckpoint`) and a resume with `-s` on the
    /// newest `chk-N` take the latest completed checkpoint.
    ResumeTakesOldestRetained,
    /// Session 37: an interval join treats its upper bound as exclusive (`tr < tl + upper`),
    /// as if `upperBoundExclusive()` had been called. Flink's `IntervalJoinOperator` is
    /// inclusive on both bounds by default, so a pair exactly at the upper bound joins.
    IntervalJoinUpperExclusive,
    /// Session 38: a bounded source's end of input (a log source at its stopping offsets) ends
    /// the task without first emitting `MAX_WATERMARK`, so an event-time window or join behind
    /// it never fires the windows still open at the end: their results are lost when the job
    /// finishes. Flink ends event time at the end of a bounded input: 2.x `StreamTask#endData`
    /// calls `advanceToEndOfEventTime` (`SourceOperatorStreamTask` emits
    /// `Watermark.MAX_WATERMARK`), the legacy `StreamSource#run` emits it after `run` returns.
    EndOfInputWithoutMaxWatermark,
    /// Session 38: a triggering checkpoint gate (`gates = [{ trigger = true }]`) asks for its
    /// checkpoint once and never again: when that request is refused or its checkpoint aborts,
    /// the waiting source stays at the gate (with no periodic checkpoint to pass it, for good).
    /// The harness's contract (README "checkpoint gates") follows Flink's tests, whose sources
    /// keep waiting in `notifyCheckpointComplete` until some checkpoint after the segment
    /// completes, and the gate asks again 100 ms after each failure of its own request
    /// (`fidelity/gate-trigger-refused-retries.toml`).
    GateRequestNotRetried,
    /// Session 38: a `fail_once_on_value` injector's "already failed" flag lives in the
    /// operator instance, so every attempt that replays the value throws again and the job
    /// restarts until its strategy gives up. Flink's tests keep that flag static (or in restored
    /// state) so the failure fires once (`FailingMapper`'s `static boolean failed`, the harness's
    /// `SurvivingCounters`).
    FailOnceFlagPerAttempt,
    /// Session 38: Sink V2's committer gives a committable whose commits the store refuses as
    /// retriable one retry fewer than `sink.committer.retries` (`<` against `retries - 1`): the
    /// tenth refusal fails the task where Flink's `CheckpointCommittableManagerImpl#commit`
    /// retries it a tenth time (`SinkOptions.COMMITTER_RETRIES` = 10; the eleventh refusal
    /// fails).
    CommitterRetriesOneFewer,
    /// Session 38: the JobMaster gives up an unacknowledged cancel RPC after three calls instead
    /// of four (the first and `NUM_CANCEL_CALL_TRIES` = 3 retries, Flink's
    /// `Execution#sendCancelRpcCall` through `FutureUtils.retry`): an execution whose
    /// TaskManager is unreachable for three ask timeouts is taken as CANCELED one timeout early.
    CancelRetriesOneFewer,
    /// Session 38 (flink-2.3): a rescale of a Kafka source hands new subtask `i` only the splits
    /// old subtask `i` held, so a scale-down drops the splits of the old subtasks beyond the new
    /// parallelism. Session 39: as Flink's own code would go on from there, their partitions
    /// stay unread — the `KafkaSourceEnumerator`'s checkpointed state (`KafkaSourceEnumState`)
    /// still lists them as assigned, so `getPartitionChange` offers none of them as new (the
    /// session-38 plant re-read them from the startup position, which no Flink code does).
    /// Flink's `SourceOperator` keeps its splits in split list state, which
    /// `RoundRobinOperatorStateRepartitioner#repartitionSplitState` deals out among all new
    /// subtasks.
    SourceSplitsBySubtask,
    /// Session 38: a keyed broadcast-process operator (`broadcast_process.rs`) restores its
    /// broadcast state on subtask 0 only; every other subtask starts with an empty copy, as if
    /// only one copy were kept. Flink hands every new subtask `i` old subtask `i % p_old`'s copy
    /// (`RoundRobinOperatorStateRepartitioner#repartitionBroadcastState`), so after a scale-up
    /// or a restart each subtask holds the rules again. Caught by the `state` checker
    /// (`list-state-not-restored`, and after a rescale the broadcast rule of `list_rescale.rs`).
    BroadcastStateNotRestored,
    /// Session 39: a restored event-time window on a late side branch (fed by `W.late`, which
    /// the host marks to record which elements it takes, `Operator::record_window_assignments`)
    /// starts empty: its window contents and timers in the checkpoint are ignored, so the late
    /// elements it took before the restored cut reach no result, and a join behind it misses
    /// those results (`window-state-not-restored` for that window alone). Flink restores every
    /// window's keyed state and timers alike (`WindowOperator` state,
    /// `InternalTimeServiceManagerImpl`). Caught by the join's delivery checker
    /// (`late-join-window-lost`) and by `windows` on the window's own two-phase-commit sink
    /// (`late-window-lost`).
    SideWindowStateNotRestored,
    /// Session 40: a window beside the job's first (two event-time windows over one input, each
    /// with a late side output, `late-windows-join`) judges an element late by the *first*
    /// window's windows and allowed lateness: when every first-window window of the element is
    /// past its cleanup time it goes to this window's late side output, though its own windows
    /// have not ended. Flink's `WindowOperator#processElement` judges each element by the
    /// operator's own assigner and lateness (`isWindowLate`, `isElementLate`). Judged against
    /// the first window (the run's late record until session 39) the element is late; only the
    /// per-window record and rules (`late-misjudged` by the valve) name it.
    LateJudgedByFirstWindow,
    /// Session 39: a broadcast process with keyed state beside its broadcast state
    /// (`function = "rules_count"`, `broadcast_process.rs`) restores the broadcast state but not
    /// the keyed state: every key's count starts over after a restart or a rescale. Flink's
    /// `CoBroadcastWithKeyedOperator` restores both (the keyed backend from its key-group
    /// handles, the operator backend's broadcast state from its own). Caught by the `state`
    /// checker (`list-state-not-restored` on the head's keyed part).
    BroadcastKeyedStateNotRestored,
    /// Session 39: a rescale drops a broadcast process's second broadcast state (`function =
    /// "rules_limits"`): new subtasks restore `rules` but an empty `limits`. Flink's
    /// `RoundRobinOperatorStateRepartitioner#repartitionBroadcastState` hands every new subtask
    /// `i` old subtask `i % p_old`'s copy of every broadcast state by name. Caught by the `state`
    /// checker (`list_rescale.rs`, the part named `Name#1`).
    SecondBroadcastStateDroppedOnRescale,
    /// Session 39: Sink V2's committer gives a committable whose commits the store refuses as
    /// retriable one retry more than `sink.committer.retries` (`<=` against the count): the
    /// eleventh refusal is retried where Flink's `CheckpointCommittableManagerImpl#commit` fails
    /// the task (`SinkOptions.COMMITTER_RETRIES` = 10). The model's own count and the sink's
    /// give-up agree on the wrong limit, so a rule that judges recorded give-ups sees nothing;
    /// `check/retry_counts.rs` judges the refusals and requests the store saw.
    CommitterRetriesOneMore,
    /// Session 40: a broadcast process with event-time timers on its keyed side
    /// (`timer_delay_ms`, `broadcast_process.rs`) restores its broadcast and keyed states but
    /// not its timers: every timer pending in the checkpoint is lost after a restart or a
    /// rescale, so its row never comes. Flink's `CoBroadcastWithKeyedOperator` restores its
    /// timer service with the keyed backend (`InternalTimeServiceManagerImpl` reads the timers
    /// of each key group from the raw keyed state). Caught by the `state` checker
    /// (`list-state-not-restored` on the head's timers part, `Name#c[i]`).
    BroadcastTimersNotRestored,
    /// Session 41: when an element bridges session windows of its key, the merge keeps only
    /// the contents of the merge result's state window and drops the other merged windows'
    /// contents. Flink's `WindowOperator` merge function calls
    /// `windowMergingState.mergeNamespaces(stateWindowResult, mergedStateWindows)`, which folds
    /// every merged state window's contents into the target's. Caught by `windows`
    /// (`session-wrong-value`, `windows_session.rs`).
    SessionMergeLosesContents,
    /// Session 43: the failure manager fails the job once the consecutive counted failures
    /// *reach* `tolerable-failed-checkpoints` (`>=`) instead of exceeding it: a tolerance of `T`
    /// tolerates `T - 1` failures. Flink's `CheckpointFailureManager#checkFailureCounter` fails
    /// the job when `continuousFailureCounter > tolerableCpFailureNumber` (a tolerance of 0 fails
    /// at the first counted failure, a tolerance of 2 at the third).
    ToleranceOffByOne,
    /// Session 43: the completed-checkpoint store discards its retained checkpoints when the job
    /// FAILED (its restart strategy gave up), as if the retention were `NEVER_RETAIN_AFTER_TERMINATION`.
    /// Flink's `CheckpointProperties` for `RETAIN_ON_FAILURE` and `RETAIN_ON_CANCELLATION` have
    /// `discardOnJobFailed` false (`CompletedCheckpoint#shouldBeDiscardedOnShutdown`): the
    /// checkpoints a failed job leaves behind are what a user resumes from (FLINK-4393's
    /// externalized checkpoints exist for exactly that).
    RetainedDiscardedOnFailure,
    /// Session 43: the exponential-delay restart strategy does not cap its backoff at
    /// `max-backoff`: after enough consecutive failures the delay keeps doubling past it. Flink's
    /// `ExponentialDelayRestartBackoffTimeStrategy#notifyFailure` takes
    /// `Math.min(currentBackoff * multiplier, maxBackoff)` (FLIP-364: the jittered backoff is
    /// clamped to `[initial, max]`).
    ExponentialBackoffUncapped,
    /// Session 43: a two-phase-commit sink told that checkpoint `n` was aborted commits its
    /// pending pre-committed transactions up to `n`, as a completion would. Flink's
    /// `TwoPhaseCommitSinkFunction` (and Sink V2's `CommitterOperator`) commit only on
    /// `notifyCheckpointComplete`; `notifyCheckpointAborted` (FLINK-8871) leaves the
    /// transactions pending, so records of a checkpoint that never completed become visible
    /// and a restore from an older checkpoint writes them again.
    AbortNotificationCommits,
    /// Session 43: a Kafka source told that checkpoint `n` was aborted commits the offsets it
    /// stored in `n`'s snapshot to the broker, as a completion would. Flink's
    /// `KafkaSourceReader` commits only in `notifyCheckpointComplete` (1.11:
    /// `FlinkKafkaConsumerBase#notifyCheckpointComplete`); an aborted checkpoint's offsets stay
    /// in `offsetsToCommit` until a later completion prunes them, so the group offsets never run
    /// ahead of a completed checkpoint.
    OffsetsCommittedOnAbort,
    /// Session 43: a runtime re-tune of `timeout_ms` also moves the deadline of the checkpoints
    /// already pending (to their trigger plus the new timeout). Flink schedules one
    /// `CheckpointCanceller` per pending checkpoint when it is created
    /// (`CheckpointCoordinator#createPendingCheckpoint`, `checkpointTimeout` read then), so a
    /// changed timeout applies to checkpoints triggered afterwards only (the model's re-tune
    /// contract, `coordinator.rs` module doc).
    RetuneTimeoutMovesPending,
    /// Session 43: a runtime re-tune of `tolerable_failures` builds a new failure manager, so the
    /// consecutive failures counted so far are forgotten. The model's re-tune contract keeps the
    /// counter (`CheckpointFailureManager#set_tolerable_failures`: the next counted failure is
    /// compared with the new tolerance), as Flink's `CheckpointFailureManager` keeps
    /// `continuousFailureCounter` for the job's life and resets it only on a success.
    RetuneResetsFailureCounter,
    /// Session 43: a source split that was marked idle never becomes active again: records read
    /// from it after its idleness no longer produce watermarks, so the source's watermark follows
    /// its other splits only (and stays idle when they are idle too). Flink's
    /// `WatermarksWithIdleness#onEvent` reports activity to the `IdlenessTimer`, and the next
    /// `onPeriodicEmit` emits the inner generator's watermark again, which marks the split
    /// active in the `WatermarkOutputMultiplexer`.
    IdleSplitNeverResumes,
}

impl Variant {
    /// Every variant, in the order `--variant` help and errors list them.
    pub const ALL: [Variant; 127] = [
        Variant::Correct,
        Variant::CommitOffsetsOnSnapshot,
        Variant::RestoreFromPending,
        Variant::AlignedNoBlock,
        Variant::TwoPcCommitOnPrecommit,
        Variant::FixedDelayOffByOne,
        Variant::IgnoreMinPause,
        Variant::DropChannelStateOnRestore,
        Variant::NoCancelRetry,
        Variant::NoHaIdCounter,
        Variant::RescaleKeyedBySubtask,
        Variant::IdleSpin,
        Variant::SnapshotAfterFirstGate,
        Variant::WindowStateNotRestored,
        Variant::SourceEmitsAfterStop,
        Variant::JoinSnapshotWithoutRight,
        Variant::UnionListAsSplit,
        Variant::FinishedTaskCountsAsAcked,
        Variant::RescaleInFlightBySubtask,
        Variant::QueueInArrivalOrder,
        Variant::SourceIdleWithoutFlush,
        Variant::DeferredSubsumption,
        Variant::TriggerFailureIgnored,
        Variant::DrainWithoutEndOfData,
        Variant::LostTmForgotten,
        Variant::IdleInputHoldsWatermark,
        Variant::EndOfPartitionNotAligned,
        Variant::FinishWithoutFinalCheckpoint,
        Variant::FinishedOnRestoreRunsAgain,
        Variant::UnalignedIntoAlwaysAligned,
        Variant::RestoredDueTimersDropped,
        Variant::StopAbortedAfterNotification,
        Variant::CommitUnreadPartition,
        Variant::PartlyFinishedRestoredAsFinished,
        Variant::CommitterRetryDropped,
        Variant::SourceRestartsFromEarliest,
        Variant::RestoredLatestSeeksToEnd,
        Variant::PartlyFinishedUnionCompleted,
        Variant::RecoverySkipsCommit,
        Variant::LaterGateLostOnRestore,
        Variant::WatermarkBeforeWindowResults,
        Variant::LatestStartsAtEarliest,
        Variant::LateSideOutputLostOnRestore,
        Variant::LateEmittedToBoth,
        Variant::ExpiredNotCounted,
        Variant::NotifyCommitsOnlyItsOwn,
        Variant::CommittedOffsetIsLastRead,
        Variant::RestoreLexicallyLatest,
        Variant::RetainedDiscardedOnCancel,
        Variant::MinPauseStaleCompletion,
        Variant::RecoveryCommitsOpenTransaction,
        Variant::TimerAtWatermarkNotFired,
        Variant::SuccessKeepsFailureCount,
        Variant::CancelMarkerIgnored,
        Variant::PendingSurvivesFailover,
        Variant::MaxConcurrentOffByOne,
        Variant::HaRecoversPrevious,
        Variant::NewerBarrierMerges,
        Variant::CancelUnblocksOwnChannel,
        Variant::TimeoutFromFirstBarrier,
        Variant::TrackerTriggersOnFirstBarrier,
        Variant::FailureRateKeepsOldest,
        Variant::ExponentialNeverResets,
        Variant::TimeoutFromLastAck,
        Variant::AbortNotificationAbortsPending,
        Variant::SavepointDiscardedOnSubsume,
        Variant::SavepointFailureCounted,
        Variant::TaskClosingDeclineCounted,
        Variant::CommitPositionOnNotify,
        Variant::WindowTimersNotRestored,
        Variant::EndOfPartitionReleasesAlignment,
        Variant::ChannelStateFirstGateOnly,
        Variant::ResumedChannelAlignedAtOnce,
        Variant::MinPauseFromTrigger,
        Variant::RegionRestartsWithoutState,
        Variant::FailureCountedTwice,
        Variant::SplitStateBySubtask,
        Variant::UnionRescaleDropsBeyond,
        Variant::IdlenessIgnoresActivity,
        Variant::SavepointEntersStore,
        Variant::RegionFirstProducerOnly,
        Variant::CloseAbortsPending,
        Variant::ValveTakesMax,
        Variant::WindowEndInclusive,
        Variant::RestartSkipsDelay,
        Variant::LateAckCompletesExpired,
        Variant::NotifyKeepsOlderOffsets,
        Variant::ChannelStatePastBarrier,
        Variant::AggregateStateNotRestored,
        Variant::KeyGroupRangeEndInclusive,
        Variant::IntervalJoinLowerExclusive,
        Variant::SlidingWindowsFloorCount,
        Variant::WatermarkWithoutMinusOne,
        Variant::RestoreRereadsLastRecord,
        Variant::SubsumedAbortCounted,
        Variant::WindowLateBoundExclusive,
        Variant::RetainsOneFewer,
        Variant::FinishBeforeFinalNotify,
        Variant::AllowedLateNotFired,
        Variant::NotifiesSubsumedComplete,
        Variant::AbortIgnoresLatestCompleted,
        Variant::GatePassesOnOlderCheckpoint,
        Variant::AnchoredFaultRefires,
        Variant::ResumeTakesOldestRetained,
        Variant::IntervalJoinUpperExclusive,
        Variant::EndOfInputWithoutMaxWatermark,
        Variant::GateRequestNotRetried,
        Variant::FailOnceFlagPerAttempt,
        Variant::CommitterRetriesOneFewer,
        Variant::CancelRetriesOneFewer,
        Variant::SourceSplitsBySubtask,
        Variant::BroadcastStateNotRestored,
        Variant::SideWindowStateNotRestored,
        Variant::BroadcastKeyedStateNotRestored,
        Variant::SecondBroadcastStateDroppedOnRescale,
        Variant::CommitterRetriesOneMore,
        Variant::LateJudgedByFirstWindow,
        Variant::BroadcastTimersNotRestored,
        Variant::SessionMergeLosesContents,
        Variant::ToleranceOffByOne,
        Variant::RetainedDiscardedOnFailure,
        Variant::ExponentialBackoffUncapped,
        Variant::AbortNotificationCommits,
        Variant::OffsetsCommittedOnAbort,
        Variant::RetuneTimeoutMovesPending,
        Variant::RetuneResetsFailureCounter,
        Variant::IdleSplitNeverResumes,
    ];

    /// The variant's scenario and CLI name (kebab case).
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
