//! What a run leaves behind: the result rows of [`RunResult`] (outputs, checkpoints, snapshots, offset commits, restores).

use super::*;

// ------------------------------------------------------------------ results

/// One row of the print sink's output (or of the committed 2PC output).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct OutputRow {
    /// When the row was output (printed, or made visible by the sink's system), ms.
    pub time_ms: u64,
    /// The task that output it (task 0 for committed rows: the store does not know).
    pub task: TaskId,
    /// Its attempt (attempt 0 for committed rows).
    pub attempt: Attempt,
    /// The value (shown with `Display`, as Flink's print sink prints it).
    pub value: Value,
    /// The input it derives from.
    pub lineage: Lineage,
    /// The record's event timestamp (an event-time window's result: its window's
    /// `maxTimestamp`); `None` without event time.
    pub timestamp: Option<i64>,
    /// Which print sink of the task's chain printed it (`TaskOutput::PrintRow`'s `sink`: 0 but
    /// in a chain that is a tree with several print sinks; 0 for other rows). For a late
    /// record (`RunResult::late_records`): its side output, 0 an event-time window's, `1 + s`
    /// side `s` of an interval join's (session 34).
    pub sink: u32,
}

/// The end of input of a task attempt with a processing-time window: the (key, window) pairs
/// whose timers were still pending and are dropped with the quiesced timer service.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QuiescedRow {
    /// When the input ended, ms.
    pub time_ms: u64,
    /// The window task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The window operator's name.
    pub operator: String,
    /// The windows that never fire in this attempt, by key.
    pub pending: Vec<(Value, ckptsim::window::TimeWindow)>,
}

/// What an event-time join fed by a late side output did with a record (session 29): the
/// run's own record of its verdicts, which depend on its unrestored watermark.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JoinRow {
    /// When the join judged or emitted it (the task's processing time), ms.
    pub time_ms: u64,
    /// The join task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The element's (or joined row's) value.
    pub value: Value,
    /// Its lineage (a joined row's names its pair, `ckptsim::join::pair_lineage`).
    pub lineage: Lineage,
    /// Its event timestamp (a watermark advance's: the watermark).
    pub timestamp: Option<i64>,
    /// Taken, late, emitted, or the join's watermark advanced.
    pub event: ckptsim::join::JoinEvent,
}

/// A window operator's name from its instance name (`Name[subtask]`).
pub fn operator_of_instance(instance: &str) -> String {
    instance.rsplit_once('[').map_or(instance, |(name, _)| name).to_string()
}

impl AssignmentRow {
    /// The assignment of `record` to `windows` at `time_ms` by `task`'s `attempt`, in window
    /// operator instance `instance` (`Name[subtask]`).
    pub fn of(
        time_ms: u64,
        task: TaskId,
        attempt: Attempt,
        instance: &str,
        record: Record,
        windows: Vec<ckptsim::window::TimeWindow>,
    ) -> Self {
        let operator = operator_of_instance(instance);
        AssignmentRow { time_ms, task, attempt, operator, value: record.value, lineage: record.lineage, windows }
    }
}

/// A processing-time window's assignment of one element (`TaskOutput::WindowAssigned`): which
/// windows it went to, when, in which attempt. The `windows` checker's reference for
/// processing time is the last assignment of each element.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AssignmentRow {
    /// When the window operator took the element (its processing time), ms.
    pub time_ms: u64,
    /// The window task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The window operator's name (a job may have several processing-time windows: windows
    /// after windows, session 26).
    pub operator: String,
    /// The element's value.
    pub value: Value,
    /// The input it derives from.
    pub lineage: Lineage,
    /// The windows it went to.
    pub windows: Vec<ckptsim::window::TimeWindow>,
}

impl OutputRow {
    /// The row of `record`, output at `time_ms` by `task`'s `attempt`.
    pub fn of(time_ms: u64, task: TaskId, attempt: Attempt, record: Record) -> Self {
        OutputRow {
            time_ms,
            task,
            attempt,
            value: record.value,
            lineage: record.lineage,
            timestamp: record.timestamp,
            sink: 0,
        }
    }

    /// The row with the index of the print sink of its task's chain that printed it.
    pub fn from_sink(self, sink: u32) -> Self {
        OutputRow { sink, ..self }
    }

    /// The output a transactional store committed, in commit order (the store does not know
    /// which attempt wrote a record: task 0, attempt 0).
    pub fn committed(store: &TxnStore) -> Rows {
        store.committed().iter().map(|(t, r)| OutputRow::of(*t, TaskId(0), Attempt(0), r.clone())).collect()
    }

    /// Moves the records the store made visible since the last call to the end of `rows`
    /// (the world calls it after every commit, so the output exists once, not in the store
    /// and again in the result).
    pub fn take_committed(store: &mut TxnStore, rows: &mut Rows) {
        rows.extend(store.take_committed().into_iter().map(|(t, r)| OutputRow::of(t, TaskId(0), Attempt(0), r)));
    }
}

/// One change of the completed-checkpoint store, recorded from the core's
/// `CoordinatorOutput::Stored` reports (not traced, so no trace changes): the `retention`
/// checker replays each coordinator's store from them and judges it after every completion.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StoreEvent {
    /// When, ms.
    pub time_ms: u64,
    /// The JobManager epoch whose coordinator reported it: each coordinator starts with an
    /// empty store (a new JobManager recovers the latest checkpoint into it: an add).
    pub epoch: u32,
    /// The entry added, if any.
    pub added: Option<ckptsim::store::StoreEntry>,
    /// The entries that left the store, oldest first.
    pub removed: Vec<CheckpointId>,
}

/// One change of the checkpoint coordinator's request queue, recorded from the core's
/// `CoordinatorOutput::Queue` reports (not traced, so no trace changes): the `coordinator`
/// checker replays the decider's queue from them. 16 bytes a change.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestEvent {
    /// When, ms.
    pub time_ms: u64,
    /// The JobManager epoch whose coordinator reported it: a new JobManager (HA failover) or a
    /// new job (restore-retained, rescale) starts with an empty queue.
    pub epoch: u32,
    /// The request.
    pub request: ckptsim::coordinator::RequestKind,
    /// Entered, chosen or failed out of the queue.
    pub change: ckptsim::coordinator::QueueChange,
}

/// What happened to one checkpoint.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct CheckpointRow {
    /// The checkpoint's id.
    pub id: CheckpointId,
    /// Whether it was a savepoint.
    pub savepoint: bool,
    /// A stop-with-savepoint's synchronous savepoint.
    pub synchronous: bool,
    /// When it was triggered, ms.
    pub trigger_ms: u64,
    /// When it completed or was aborted, ms (`None`: still pending at the end).
    pub end_ms: Option<u64>,
    /// Its place among the outcomes recorded in the same millisecond (0 first): the order in
    /// which the coordinator reported them, which the failure manager counted in (an expiry,
    /// the queued requests it let trigger and fail, then the next expiry of that instant).
    pub end_seq: u32,
    /// Its trigger's place in the same count (`end_seq`'s counter: triggers and outcomes of one
    /// millisecond in the order the coordinator reported them), so a checker can tell a
    /// completion recorded before this trigger from one recorded after it in the same
    /// millisecond (the world and `explore` both count triggers).
    pub trigger_seq: u32,
    /// `COMPLETED`, the abort reason, or `PENDING` at the end of the run.
    pub outcome: String,
    /// The longest alignment among its tasks, ms.
    pub alignment_ms: u64,
    /// Its total snapshot size, bytes.
    pub size_bytes: u64,
    /// Whether any task took it unaligned.
    pub unaligned: bool,
    /// Whether its request was periodic (Flink's `CheckpointTriggerRequest.isPeriodic`, from
    /// the coordinator's trigger output): only periodic requests are held to the min pause.
    /// Not part of the trace text.
    pub periodic: bool,
    /// The acknowledgements it needed and received, for a completed checkpoint the world saw
    /// triggered (`None`: pending, aborted, or not recorded, e.g. by the explorer).
    pub acks: Option<AckRecord>,
}

/// A flink-2.3 trigger RPC that the TaskManager answered as failed because it does not run
/// the attempt (it finished, failed or was cancelled since the JobManager planned the
/// checkpoint; `TaskExecutor#triggerCheckpoint` fails with `TASK_CHECKPOINT_FAILURE`), as the
/// JobMaster received it for the task's current attempt. `CheckpointCoordinator` aborts the
/// pending checkpoint when the failure arrives; the `coordinator` checker names one still
/// pending after it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FailedTrigger {
    /// When the failed answer reached the JobMaster, ms.
    pub arrived_ms: u64,
    /// The task the trigger was for.
    pub task: TaskId,
    /// The checkpoint.
    pub id: CheckpointId,
}

/// A trigger RPC of the JobManager, or the TaskManager's answer to it, that the network
/// dropped. Flink 2.x's trigger is an ask (`Execution#triggerCheckpoint` returns its future):
/// without an answer it times out after the RPC timeout and the checkpoint is aborted with
/// `TRIGGER_CHECKPOINT_FAILURE`; 1.11's is a `tell` whose loss leaves the checkpoint pending
/// until it expires. The `coordinator` checker judges each per profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostTrigger {
    /// When it was dropped, ms.
    pub lost_ms: u64,
    /// When the JobManager sent the trigger, ms (the ask timeout runs from here).
    pub sent_ms: u64,
    /// The task it was for.
    pub task: TaskId,
    /// The task's attempt, in the world's numbering.
    pub attempt: Attempt,
    /// The checkpoint.
    pub id: CheckpointId,
    /// Whether the answer was lost (the task got the trigger) rather than the trigger itself.
    pub answer: bool,
}

/// The acknowledgements one completed checkpoint needed and received, recorded by the world
/// from what the JobManager saw: its tasks' states at the trigger (the JobMaster's task state
/// outputs) and the acknowledgements delivered to it (Flink: `PendingCheckpoint`'s
/// not-yet-acknowledged tasks fixed by `DefaultCheckpointPlanCalculator` at the trigger; tasks
/// FINISHED by then are not waited for under checkpoints after tasks finish, every other one
/// must acknowledge, also if it finishes later). The `coordinator` checker judges it.
#[derive(Clone, Debug, Default, Hash, PartialEq, Eq)]
pub struct AckRecord {
    /// How many tasks it had to wait for.
    pub required: u32,
    /// How many tasks were FINISHED at its trigger (not waited for).
    pub finished_at_trigger: u32,
    /// The required (task, JobMaster attempt)s whose acknowledgement had not reached the
    /// JobManager when it completed, with when each task FINISHED (as the JobManager saw it)
    /// before the completion, if it did.
    pub missing: Vec<(TaskId, Attempt, Option<u64>)>,
    /// The vertices it held partly finished although their acknowledged states use union list
    /// state (`acks.rs`; Flink refuses such a checkpoint, FLIP-147): empty when none.
    pub partly_finished_union: Vec<PartlyFinishedUnion>,
}

/// A job vertex with union list state that a completed checkpoint held partly finished (the
/// `coordinator` checker's partial-finishing rule; Flink's
/// `DefaultCheckpointPlan#fulfillFinishedTaskStatus` aborts such a checkpoint).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct PartlyFinishedUnion {
    /// The vertex (the world graph's vertex index).
    pub vertex: u32,
    /// Its first subtask (names the vertex).
    pub first_task: TaskId,
    /// Its subtasks.
    pub subtasks: u32,
    /// Its subtasks FINISHED at the trigger.
    pub finished: u32,
    /// Its subtasks that acknowledged with finished operators (a snapshot after `endInput`).
    pub operators_finished: u32,
}

/// The world's checkpoint rows during a run, by id: a `Vec` kept sorted by id (ids are
/// allotted in increasing order, so a new row is almost always pushed at the end; an older id
/// is inserted in place). A `BTreeMap` here held ~300 bytes a checkpoint in half-full nodes
/// and, at the end of the run, lived on beside the `Vec` of [`RunResult::checkpoints`]
/// collected from it (issue 19: one virtual hour at a 10 ms interval has 360,000 rows).
#[derive(Clone, Debug, Default)]
pub(crate) struct CheckpointRows {
    rows: Vec<CheckpointRow>,
}

impl CheckpointRows {
    /// The row of `id`, a pending one first if the run had not seen it.
    ///
    /// Ids are allotted without gaps, so `id` is almost always as far from the end as it is
    /// below the newest id: that slot is looked at first, before a binary search (which, over
    /// a virtual hour's 360,000 rows, missed the cache at each of its ~19 probes: 4 % of the
    /// dense hour, BENCHMARKS.md session 33).
    pub(crate) fn row(&mut self, id: CheckpointId) -> &mut CheckpointRow {
        let at = match self.rows.last() {
            Some(last) if last.id < id => self.rows.len(),
            None => 0,
            Some(last) => {
                let back = usize::try_from(last.id.0 - id.0).unwrap_or(usize::MAX);
                let guess = (self.rows.len() - 1).checked_sub(back);
                if let Some(i) = guess.filter(|&i| self.rows[i].id == id) {
                    return &mut self.rows[i];
                }
                match self.rows.binary_search_by_key(&id, |r| r.id) {
                    Ok(i) => return &mut self.rows[i],
                    Err(i) => i,
                }
            }
        };
        self.rows.insert(at, CheckpointRow::pending(id));
        &mut self.rows[at]
    }

    /// Every row, oldest id first.
    pub(crate) fn values(&self) -> std::slice::Iter<'_, CheckpointRow> {
        self.rows.iter()
    }

    /// Every row, oldest id first, to change.
    pub(crate) fn values_mut(&mut self) -> std::slice::IterMut<'_, CheckpointRow> {
        self.rows.iter_mut()
    }

    /// The newest id seen.
    pub(crate) fn last_id(&self) -> Option<CheckpointId> {
        self.rows.last().map(|r| r.id)
    }

    /// The rows, oldest id first (what [`RunResult::checkpoints`] holds).
    pub(crate) fn into_vec(self) -> Vec<CheckpointRow> {
        self.rows
    }
}

impl CheckpointRow {
    /// A checkpoint first seen (triggered, or known only by its end): pending, no figures yet.
    pub fn pending(id: CheckpointId) -> Self {
        CheckpointRow {
            id,
            savepoint: false,
            synchronous: false,
            trigger_ms: 0,
            end_ms: None,
            end_seq: 0,
            trigger_seq: 0,
            outcome: "PENDING".into(),
            alignment_ms: 0,
            size_bytes: 0,
            unaligned: false,
            periodic: false,
            acks: None,
        }
    }
}

/// The [`CheckpointRow::end_seq`] of an outcome recorded at `now`; `last` holds the millisecond
/// of the previous outcome and how many were recorded in it.
pub(crate) fn next_end_seq(last: &mut (u64, u32), now: u64) -> u32 {
    if last.0 != now {
        *last = (now, 0);
    }
    last.1 += 1;
    last.1 - 1
}

/// How one task's part of one checkpoint ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotResult {
    /// The upload finished and the task acknowledged the checkpoint.
    Acked,
    /// The upload failed (storage down) and the task declined the checkpoint.
    Declined,
    /// The attempt was cancelled before the upload finished; nothing was sent.
    Abandoned,
    /// Still running at the end of the run, or lost with its TaskManager.
    Unfinished,
}

/// A log source that arrived at a checkpoint gate that requests its own checkpoint
/// (`trigger = true`): when, and which attempt (session 38, `check/gate_requests.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GateWait {
    /// When the source stopped reading at the gate, ms.
    pub since_ms: u64,
    /// The source task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The gate's `after_records`.
    pub after: u64,
}

/// One step of a retried call as the world saw it go over the network or to the store (session
/// 39, `check/retry_counts.rs`): never what the model says it decided, so that a model whose
/// give-up bookkeeping is wrong is judged by what it did. Attempts in the world's numbering
/// (the JobMaster's attempt in its leader epoch, `to_world`). The explorer records the same rows
/// from the same outputs (`tools/explore/route.rs`, session 40).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetryCall {
    /// The JobMaster sent a cancel RPC for `task`'s `attempt`.
    CancelSent {
        /// When, ms.
        at_ms: u64,
        /// The task.
        task: TaskId,
        /// Its attempt.
        attempt: Attempt,
    },
    /// A CANCELED state update of `task`'s `attempt` reached the JobMaster (the TaskManager
    /// answered, whatever came of the RPCs).
    CanceledReported {
        /// When, ms.
        at_ms: u64,
        /// The task.
        task: TaskId,
        /// Its attempt.
        attempt: Attempt,
    },
    /// The JobMaster's view of `task`'s `attempt` went to CANCELING: the execution's cancel
    /// RPCs (`Execution#cancel`) go out from now on. Cancels sent outside CANCELING (to a lost
    /// TaskManager, or to an execution the JobMaster no longer runs, deployment
    /// reconciliation) are single calls, not retried, and not counted.
    CancelingEntered {
        /// When, ms.
        at_ms: u64,
        /// The task.
        task: TaskId,
        /// Its attempt.
        attempt: Attempt,
    },
    /// The JobMaster's view of `task`'s `attempt` left CANCELING (`canceled`: to CANCELED).
    CancelingLeft {
        /// When, ms.
        at_ms: u64,
        /// The task.
        task: TaskId,
        /// Its attempt.
        attempt: Attempt,
        /// Whether it went to CANCELED (else FAILED or FINISHED).
        canceled: bool,
    },
    /// A sink task's `attempt` asked the transactional store to commit `txn`.
    CommitAsked {
        /// When, ms.
        at_ms: u64,
        /// The task.
        task: TaskId,
        /// Its attempt.
        attempt: Attempt,
        /// The transaction.
        txn: ckptsim::state::TxnId,
    },
    /// The store refused that commit as retriable (the transaction stays pre-committed).
    CommitRefused {
        /// When, ms.
        at_ms: u64,
        /// The task.
        task: TaskId,
        /// Its attempt.
        attempt: Attempt,
        /// The transaction.
        txn: ckptsim::state::TxnId,
    },
    /// A task's `attempt` reported FAILED to the JobMaster.
    FailedReported {
        /// When, ms.
        at_ms: u64,
        /// The task.
        task: TaskId,
        /// Its attempt.
        attempt: Attempt,
    },
}

impl RetryCall {
    /// The row for a JobMaster transition of `task`'s `attempt` (world numbering) from `from`
    /// to `to`: CANCELING entered or left, `None` for any other transition. The world's
    /// JobManager and the explorer record the same rows from the same `TaskStateChanged`
    /// output through this one function.
    pub fn canceling(
        at_ms: u64,
        (task, attempt): (TaskId, Attempt),
        (from, to): (ExecutionState, ExecutionState),
    ) -> Option<RetryCall> {
        use ExecutionState::{Canceled, Canceling};
        if (from == Canceling) == (to == Canceling) {
            return None;
        }
        Some(if to == Canceling {
            RetryCall::CancelingEntered { at_ms, task, attempt }
        } else {
            RetryCall::CancelingLeft { at_ms, task, attempt, canceled: to == Canceled }
        })
    }

    /// The task and attempt the row is about.
    pub fn subject(&self) -> (TaskId, Attempt) {
        match *self {
            RetryCall::CancelSent { task, attempt, .. }
            | RetryCall::CanceledReported { task, attempt, .. }
            | RetryCall::CancelingEntered { task, attempt, .. }
            | RetryCall::CancelingLeft { task, attempt, .. }
            | RetryCall::CommitAsked { task, attempt, .. }
            | RetryCall::CommitRefused { task, attempt, .. }
            | RetryCall::FailedReported { task, attempt, .. } => (task, attempt),
        }
    }
}

/// A log source that passed a checkpoint gate (`gates = [...]`): when it arrived and when it
/// went on reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GatePass {
    /// When the source passed the gate, ms.
    pub at_ms: u64,
    /// The source task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// When it arrived at the gate and stopped reading, ms.
    pub since_ms: u64,
    /// The last snapshot the attempt had taken when it arrived (`None`: none yet).
    pub snapshot_before: Option<CheckpointId>,
    /// The gate's `after_records`.
    pub after: u64,
}

/// One task's part of one checkpoint on the task's clock, for reports: alignment
/// (`align_start_ms..sync_start_ms`), synchronous snapshot (`sync_start_ms..sync_end_ms`) and
/// asynchronous upload (`sync_end_ms..upload_end_ms`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotSpan {
    /// The task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    /// When the first barrier arrived (the snapshot time minus the alignment time).
    pub align_start_ms: u64,
    /// When the task took its snapshot (every barrier in, or the unaligned snapshot).
    pub sync_start_ms: u64,
    /// When the synchronous part ended and the upload started.
    pub sync_end_ms: Option<u64>,
    /// When the upload ended (ack or decline sent, or abandoned).
    pub upload_end_ms: Option<u64>,
    /// The task's snapshot size, bytes.
    pub size_bytes: u64,
    /// Whether the task took it unaligned.
    pub unaligned: bool,
    /// How it ended.
    pub result: SnapshotResult,
}

/// An offset commit the broker received.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct OffsetCommit {
    /// When the broker received it, ms.
    pub time_ms: u64,
    /// The source task that committed.
    pub task: TaskId,
    /// The partition.
    pub partition: PartitionId,
    /// The committed offset (the next record to read).
    pub offset: Offset,
    /// Whether the broker accepted it (false during a broker outage).
    pub accepted: bool,
    /// The checkpoint whose completion notification triggered it (None: committed outside a
    /// notification, e.g. the commit-at-snapshot variant).
    pub checkpoint: Option<CheckpointId>,
    /// Kafka's periodic auto-commit (checkpointing off): not tied to any checkpoint.
    pub periodic: bool,
}

/// What started a restore of the job's tasks (printed as the run's job-status section and
/// the report show it).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum RestoreCause {
    /// The JobManager's restart number `attempt` (`restart #N`).
    Restart {
        /// The restart's attempt number.
        attempt: u32,
    },
    /// A new JobManager leader (`JobManager failover (epoch E)`).
    JobManagerFailover {
        /// The new leader's epoch.
        epoch: u64,
    },
    /// A new job from a checkpoint the ended job retained (`new job from retained N`).
    Retained {
        /// The retained checkpoint.
        checkpoint: CheckpointId,
    },
    /// A rescale's new job (`new job from checkpoint N (rescaled)`).
    Rescaled {
        /// What the rescale restored from (a savepoint, a retained checkpoint).
        from: crate::scenario::RescaleFrom,
        /// The checkpoint it restored.
        checkpoint: CheckpointId,
    },
}

impl RestoreCause {
    /// A new job started (not a restart of the running one).
    pub fn is_new_job(&self) -> bool {
        matches!(self, RestoreCause::Retained { .. } | RestoreCause::Rescaled { .. })
    }
}

impl std::fmt::Display for RestoreCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestoreCause::Restart { attempt } => write!(f, "restart #{attempt}"),
            RestoreCause::JobManagerFailover { epoch } => write!(f, "JobManager failover (epoch {epoch})"),
            RestoreCause::Retained { checkpoint } => write!(f, "new job from retained {checkpoint}"),
            RestoreCause::Rescaled { from, checkpoint } => {
                write!(f, "new job from {} {checkpoint} (rescaled)", from.name())
            }
        }
    }
}

/// One restore of the job's tasks: a restart, a JobManager failover, or a job started from a
/// retained checkpoint; what the restored checkpoint held (for `run`'s job-status section).
#[derive(Clone, Debug, Hash, PartialEq)]
pub struct RestoreRecord {
    /// When the tasks were restored, ms.
    pub at_ms: u64,
    /// What restored: a restart, a JobManager failover, a new job.
    pub cause: RestoreCause,
    /// None: no completed checkpoint, the tasks start empty.
    pub checkpoint: Option<CheckpointId>,
    /// Source offsets the checkpoint holds (next to read), per partition.
    pub offsets: BTreeMap<PartitionId, Offset>,
    /// Keyed state the checkpoint holds: per keyed operator name, key -> value as displayed
    /// (count windows: `(elements in the open window, accumulator)`).
    pub keyed: BTreeMap<String, BTreeMap<String, String>>,
    /// How many offset commits (`RunResult::offset_commits`, accepted or not) were recorded
    /// before this restore: orders the restore against commits of the same millisecond (an
    /// ended job's last commit and the new job's start can share one).
    pub commits_before: usize,
}

/// One socket line consumed by a source attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketRead {
    /// The input line's sequence number.
    pub seq: u64,
    /// The source task that read it.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
}

/// A socket source attempt's snapshot for checkpoint `id`: it covers the attempt's reads among
/// the first `reads` entries of [`RunResult::socket_reads`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketMark {
    /// The source task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The checkpoint of the snapshot.
    pub id: CheckpointId,
    /// How many of the first entries of `socket_reads` the snapshot covers.
    pub reads: usize,
}

impl Observation {
    /// Records a snapshot span when the run keeps its full trace: spans are read only by
    /// reports, Chrome traces and coverage, which ask for it; a lean run (sweeps, `bench`)
    /// would otherwise keep one per task per checkpoint.
    pub(super) fn push_span(&mut self, keep: bool, span: SnapshotSpan) {
        if keep {
            self.snapshot_spans.push(span);
        }
    }
}

/// A snapshot a task attempt took after it sent late elements to a late side output consumed
/// downstream (the core's `Task::take_late_cuts`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LateSnapshot {
    /// The window task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    /// How many late elements the attempt had sent to its late side output before the
    /// snapshot's cut (the first that many of its `late_records`); in
    /// `RunResult::assignment_snapshots`, how many of its `window_assignments` rows (a join's:
    /// of its `join_judgments` rows).
    pub late_before: u64,
}

/// Everything a run produced, for the checkers, tables and reports.
///
/// Deliberately not `Default` (session 41): both builders, the world's
/// (`world/supervise.rs` `take_result`) and the explorer's (`tools/explore/judge.rs`), write
/// every field in one struct literal, so a new field either is recorded by each or fails to
/// compile, instead of silently staying empty.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The seed the run used.
    pub seed: u64,
    /// Every run event, in order (or only its hash, for a lean run).
    pub trace: Trace,
    /// The job's status when the run stopped.
    pub final_status: JobStatus,
    /// Restarts (failover rounds that restored the tasks).
    pub restarts: u32,
    /// The regional restarts among them (semantics §1.7): when, the restored tasks' new
    /// attempt, the tasks (the rest kept running). Empty under `failover_strategy = "full"`.
    pub region_restores: Vec<(u64, Attempt, Vec<TaskId>)>,
    /// (time, status) including the initial CREATED.
    pub status_timeline: Vec<(u64, JobStatus)>,
    /// (time, failure number, backoff) of each scheduled restart.
    pub restart_schedule: Vec<(u64, u32, u64)>,
    /// Every checkpoint, by first sight.
    pub checkpoints: Vec<CheckpointRow>,
    /// The print sink's output (an at-least-once user sink's published records), in output order.
    pub print_rows: Rows,
    /// The committed output of the two-phase-commit sink (a user sink's published records), in commit order.
    pub committed: Rows,
    /// Protocol violations the sink store refused, and reads of a user source that differ from its recorded input.
    pub sink_anomalies: Vec<SinkAnomaly>,
    /// Transactions still open or pre-committed at the end.
    pub open_txns_at_end: usize,
    /// The newest checkpoint whose completion every sink subtask has acted on (a completion
    /// notification, or a restore from it): a 2PC sink must have committed everything it
    /// covers. `None` when some sink subtask never saw one (notifications are not resent: a
    /// lost one leaves its transactions pre-committed until a later checkpoint completes).
    pub sink_commit_horizon: Option<CheckpointId>,
    /// Every offset commit the broker received.
    pub offset_commits: Vec<OffsetCommit>,
    /// Completed checkpoints with the source offsets they hold (per partition, next to read).
    pub completed_offsets: BTreeMap<CheckpointId, BTreeMap<PartitionId, Offset>>,
    /// Completed checkpoints whose snapshot holds in-flight channel state (unaligned, or aligned
    /// with a timeout that switched): the input sequence numbers of those records. They were
    /// overtaken by the barrier, so their effects land after it (in the next transaction).
    pub completed_in_flight: BTreeMap<CheckpointId, BTreeSet<u64>>,
    /// Input sequence numbers that never reached a reader (socket input while no source ran).
    pub lost_inputs: Vec<u64>,
    /// Log records a `latest` source skipped when it resolved `latest` again on a start without
    /// a restored checkpoint (1.11 at every such start, 2.x in a new JobManager epoch): appended
    /// after the previous resolution, so an earlier attempt may have read them (and printed
    /// their effects) before the restart forgot them. Never due; the state reference keeps the
    /// ones that left output rows (`check::state`).
    pub latest_skipped_on_restart: Vec<u64>,
    /// How many input records the sources read (repeats after restores included).
    pub read_inputs: u64,
    /// Socket lines in the order source attempts consumed them.
    pub socket_reads: Vec<SocketRead>,
    /// The last time the line server of a session socket (`socket_clock = "connected"` or
    /// `unread_lines = "buffer"`) saw a reader connected; `None`: never (or not such a socket).
    pub socket_last_connected_ms: Option<u64>,
    /// Socket source snapshots: which of `socket_reads` each (task, attempt, checkpoint) covers.
    pub socket_marks: Vec<SocketMark>,
    /// (time, task, attempt) of final (terminal) task state updates the network dropped. Without
    /// deployment reconciliation (Flink before 1.12) the JobManager never learns them.
    pub lost_final_states: Vec<(u64, TaskId, Attempt)>,
    /// (time, task, attempt, checkpoint) of `notifyCheckpointComplete` messages the network
    /// dropped (Flink's `confirmCheckpoint` RPC: not retried).
    pub lost_notifications: Vec<(u64, TaskId, Attempt, CheckpointId)>,
    /// (time, checkpoint) of the `notifyCheckpointComplete` messages the JobMaster sent to the
    /// tasks, one entry per run of messages of one checkpoint (session 37, the `coordinator`
    /// checker's notification rule).
    pub notified_complete: Vec<(u64, CheckpointId)>,
    /// Each checkpoint gate a log source passed (session 37, `check/gates.rs`).
    pub gate_passes: Vec<GatePass>,
    /// Each arrival of a log source attempt at a triggering gate (session 38).
    pub gate_waits: Vec<GateWait>,
    /// Each step of the retried calls (cancel RPCs, Sink V2 commits) as the world saw it
    /// (session 39), in the order it happened.
    pub retry_calls: Vec<RetryCall>,
    /// Trigger RPCs (or, flink-2.3, their answers) the network dropped, in the order lost.
    pub lost_triggers: Vec<LostTrigger>,
    /// flink-2.3 trigger RPCs the TaskManager answered as failed (it does not run the attempt)
    /// and the JobMaster took for the task's current attempt, in arrival order.
    pub failed_triggers: Vec<FailedTrigger>,
    /// (time, task, attempt, checkpoint) of `notifyCheckpointAborted` messages the network
    /// dropped (not retried either).
    pub lost_abort_notifications: Vec<(u64, TaskId, Attempt, CheckpointId)>,
    /// (task, attempt, savepoint) of every snapshot a task took of a stop-with-savepoint's
    /// synchronous savepoint: the task stopped its input at that barrier.
    pub sync_savepoint_snapshots: Vec<(TaskId, Attempt, CheckpointId)>,
    /// Every snapshot a task took of the synchronous savepoint it stopped at, with what the
    /// core says of its operators then (`StopSnapshot`): the `stop` checker's drain rule.
    /// Untraced; the explorer records them as the world does.
    pub stop_snapshots: Vec<StopSnapshot>,
    /// Every completion or abort notification a task stopped at a synchronous savepoint
    /// handled (`StopNotice`): the `stop` checker's abort rule. Untraced.
    pub stop_notices: Vec<StopNotice>,
    /// Every snapshot taken by a task attempt restored from an entry marked finished
    /// (FLIP-147, 2.x: `Task::restored_entry_finished`), with what the attempt did before it: the `restart`
    /// checker's finished-on-restore rule. Untraced; empty for explorer runs.
    pub finished_restores: Vec<FinishedRestoreSnapshot>,
    /// Every source attempt deployed as finished whose input therefore ended at once, unread
    /// (`DormantSource`): the `exactly-once` checker's end-of-input rule. Untraced; empty for
    /// explorer runs.
    pub dormant_sources: Vec<DormantSource>,
    /// How many transactions the two-phase-commit sinks began and aborted in the store.
    pub transactions: TxnCounts,
    /// The coordinator's refused trigger requests, one entry per run of equal reasons:
    /// (first, last time, reason).
    pub rejections: Vec<(u64, u64, ckptsim::reason::CheckpointFailureReason)>,
    /// Every change of the request decider's queue, in the order the coordinators reported
    /// them (`RequestEvent`).
    pub requests: Vec<RequestEvent>,
    /// Every change of the completed-checkpoint store, in the order the coordinators reported
    /// them (`StoreEvent`): the `retention` checker replays the store.
    pub stores: Vec<StoreEvent>,
    /// Task executions still running when the run stopped.
    pub live_at_end: BTreeSet<(TaskId, Attempt)>,
    /// Retained checkpoints at the end (after retention was applied on termination).
    pub retained: Vec<CheckpointId>,
    /// Time the last fault healed (for liveness).
    pub last_fault_end_ms: u64,
    /// When the run stopped, ms.
    pub stop_at_ms: u64,
    /// TaskManagers in the cluster.
    pub tm_count: u32,
    /// Task names, indexed by `TaskId`.
    pub task_names: Vec<String>,
    /// (time, task name, from, to) of every task state change the JobManager saw.
    pub task_transitions: Vec<(u64, String, ExecutionState, ExecutionState)>,
    /// The coordinator config in force at the end (after re-tunes).
    pub final_checkpoint_config: ckptsim::config::CheckpointConfig,
    /// (time, description) of every re-tune applied.
    pub retunes: Vec<(u64, String)>,
    /// The restart strategy as configured, for the report header.
    pub restart_description: String,
    /// Every task's part of every checkpoint, in the order the snapshots were taken.
    pub snapshot_spans: Vec<SnapshotSpan>,
    /// Every restore, in time order.
    pub restores: Vec<RestoreRecord>,
    /// Every `rescale` action that started (or failed to start) a new job, in time order.
    pub rescales: Vec<super::RescaleRecord>,
    /// Every `stop-with-savepoint` action, in time order, with the synchronous savepoint that
    /// completed for it (the delivery checkers: input after it is not due).
    pub stops: Vec<super::StopRecord>,
    /// Per data channel and checkpoint: records sent before the barrier, taken before the
    /// snapshot, persisted as channel state (the `alignment` checker; empty for explorer runs).
    pub channel_cuts: ChannelCuts,
    /// The barrier handlers' control protocol: per task attempt, the barriers, cancel markers,
    /// ends of partition, announcements and alignment timeouts handed to its handler, judged
    /// as they came (the `barriers` checker; `world/protocol.rs`).
    pub barrier_protocol: BarrierProtocol,
    /// The event budget and how much of it the run used (`budget.rs`).
    pub budget: BudgetUse,
    /// Per restored attempt, the keyed state its subtasks of the job's last keyed operator
    /// restored (key → value, the union over the subtasks): where each key's output continues.
    pub restored_keyed: BTreeMap<Attempt, BTreeMap<ckptsim::record::Value, ckptsim::record::Value>>,
    /// Every restore of a user operator's list state, in time order: what the checkpoint held
    /// for the attempt and what the operator holds after its `restore_list` (the `state`
    /// checker compares them).
    pub restored_lists: Vec<ListRestore>,
    /// Every restore of a chained window operator: what the checkpoint held for it and what it
    /// held after the restore (session 40; `WindowRestore`). Empty in `ckptsim explore`.
    pub restored_windows: Vec<WindowRestore>,
    /// Records an event-time window judged late and sent to its late side output
    /// (`sideOutputLateData`), or an interval join sent to a late side, per sending operator
    /// (session 40, `late_record.rs`; until then one list for the run), each in time order.
    pub late_records: LateRecords,
    /// The snapshots that task attempts took after sending late elements to a late side output
    /// consumed downstream (`inputs = ["W.late"]`), with how many they had sent before the cut
    /// (kept in lean runs too): which late elements a checkpoint holds (`check/side_output.rs`).
    /// Per sending operator as `late_records` (session 40).
    pub late_snapshots: LateSnapshots,
    /// The snapshots of event-time window task attempts fed by a late side output (session
    /// 28), with how many of their `window_assignments` rows they had recorded before the cut
    /// (`late_before` counts those rows here): which elements a checkpoint's window state holds.
    pub assignment_snapshots: Vec<LateSnapshot>,
    /// Every element an event-time join fed by a late side output took or dropped as late and
    /// every joined row it emitted, per attempt in time order (session 29); its snapshots'
    /// cut counts of these rows are in `assignment_snapshots`.
    pub join_judgments: Vec<JoinRow>,
    /// Per attempt of a late-fed join's task, the checkpoint or savepoint it restored (None: it
    /// started empty), in deployment order (session 30): where the checker's replay of the
    /// join's buffers starts.
    pub join_restores: Vec<(TaskId, Attempt, Option<CheckpointId>)>,
    /// Every element a processing-time window took, with its windows, in time order; and every
    /// element an event-time window fed by a late side output judged (session 28; no windows:
    /// it was late there).
    pub window_assignments: Vec<AssignmentRow>,
    /// Every end of input of a processing-time window task, with the windows it dropped.
    pub quiesced_windows: Vec<QuiescedRow>,
    /// What the sources did in event time (records read per partition, watermarks and status
    /// changes emitted), in time order; recorded only for a job whose source marks idle splits
    /// (`idle_timeout_ms`), for the `windows` checker's own re-derivation of source idleness.
    pub source_event_time: Vec<SourceEventTime>,
    /// What each task with input channels did in event time (the watermarks and watermark
    /// statuses it took, per channel, with its combined watermark and status after each; the
    /// windows it fired), in order; recorded for every job with event time, for the `windows`
    /// checker's own re-derivation of Flink's `StatusWatermarkValve` (`check/windows_valve.rs`).
    pub valve_steps: Vec<ValveStep>,
}

/// One event-time step of a task with input channels (see [`RunResult::valve_steps`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ValveStep {
    /// When, ms.
    pub at_ms: u64,
    /// The task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// What it did.
    pub step: ValveEvent,
}

/// What a task with input channels did in event time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValveEvent {
    /// It took a watermark or watermark status from input channel `channel` (of `channels`);
    /// after it, the watermark its operators had processed last (`None` before the first) and
    /// the status its valve had emitted last.
    Input {
        /// The input channel.
        channel: u32,
        /// How many input channels the task has.
        channels: u32,
        /// What it took.
        event: ckptsim::watermark::WatermarkEvent,
        /// The task's watermark after it.
        watermark: Option<ckptsim::watermark::Watermark>,
        /// The task's watermark status after it.
        status: ckptsim::watermark::WatermarkStatus,
        /// The task combines its inputs per input gate (a 1.11 two-input operator:
        /// `ckptsim::watermark::InputValve::per_input`).
        per_input: bool,
    },
    /// An event-time window of the task fired `window` (recorded after the input that made it
    /// fire), its operator's watermark then.
    Fired {
        /// The window.
        window: ckptsim::window::TimeWindow,
        /// The window operator's watermark when it fired.
        watermark: ckptsim::watermark::Watermark,
    },
}

/// One step of a source subtask in event time (see [`RunResult::source_event_time`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SourceEventTime {
    /// When, ms.
    pub at_ms: u64,
    /// The source subtask.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// What it did.
    pub step: SourceStep,
}

/// What a source subtask did in event time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceStep {
    /// It read a batch of one partition's records; the largest event timestamp among them.
    Read {
        /// The partition.
        partition: ckptsim::PartitionId,
        /// The batch's largest event timestamp.
        max_ts: i64,
    },
    /// It emitted a watermark or a watermark status downstream.
    Emitted(ckptsim::watermark::WatermarkEvent),
}

/// One restore of a user operator's operator list state (semantics §13): the entries the
/// checkpoint the JobManager chose holds for this attempt (after a rescale, the attempt's share
/// of every old subtask's entries), and what the user operator reports holding right after its
/// `restore_list` (read back through `snapshot_list`).
#[derive(Clone, Debug, Hash, PartialEq)]
pub struct ListRestore {
    /// When the attempt was restored.
    pub at_ms: u64,
    /// The restored task and attempt.
    pub task: TaskId,
    /// The restored attempt.
    pub attempt: Attempt,
    /// The operator's instance name (`Name[i]`).
    pub operator: String,
    /// The checkpoint (or savepoint) the attempt was restored from.
    pub checkpoint: CheckpointId,
    /// The entries that checkpoint holds for this operator instance.
    pub stored: Vec<ckptsim::record::Value>,
    /// The entries the operator holds after restoring them.
    pub restored: Vec<ckptsim::record::Value>,
}

/// One restore of a window operator (session 40): its windows' contents and timers as the
/// checkpoint the JobManager chose holds them for this attempt (after a rescale, the attempt's
/// key groups of every old subtask's state), and as the operator holds them right after its
/// `initializeState`, before any replayed in-flight record. The `windows` checker compares them
/// (`check/windows_restore.rs`).
#[derive(Clone, Debug, Hash, PartialEq)]
pub struct WindowRestore {
    /// When the attempt was restored.
    pub at_ms: u64,
    /// The restored task.
    pub task: TaskId,
    /// The restored attempt.
    pub attempt: Attempt,
    /// The window operator's instance name (`Name[i]`).
    pub operator: String,
    /// The checkpoint (or savepoint) the attempt was restored from.
    pub checkpoint: CheckpointId,
    /// The window state that checkpoint holds for this operator instance (empty: none).
    pub stored: ckptsim::window::EventWindowState,
    /// The window state the operator holds after restoring it.
    pub restored: ckptsim::window::EventWindowState,
}

/// Operations of the two-phase-commit sinks on the store, counted over the run (untraced).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxnCounts {
    /// `Begin`s.
    pub begun: u64,
    /// `Abort`s.
    pub aborted: u64,
}

/// A source attempt deployed as finished (2.x, FLIP-147: its whole vertex FINISHED at the
/// restored checkpoint's trigger, `Task::is_dormant`) whose input ended at once, before it read
/// anything (Flink's `StreamTaskFinishedOnRestoreSourceInput`): the input past its restored
/// positions is never read by this job.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DormantSource {
    /// When the attempt was deployed, ms.
    pub at_ms: u64,
    /// The task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The source operator's name (its vertex's head).
    pub source: String,
}

/// A snapshot taken by a task attempt restored from an entry marked finished (2.x,
/// `Task::restored_entry_finished`: its own final checkpoint's snapshot, or one filled in for a
/// task FINISHED at the trigger), as the core reported the attempt right after it
/// (`Task::ran_end_input`, `Task::records_in`, the snapshot's `finished`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FinishedRestoreSnapshot {
    /// When the snapshot was taken, ms.
    pub at_ms: u64,
    /// The task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The checkpoint.
    pub id: CheckpointId,
    /// The snapshot says the task's operators finished (it acknowledges as finished).
    pub finished: bool,
    /// The attempt ran its chain's `endInput` / `finish` again.
    pub ran_end_input: bool,
    /// Records the attempt processed.
    pub records_in: u64,
    /// Restored from an entry the JobManager filled in for a task already FINISHED at the
    /// trigger (`TaskSnapshot::from_finished_task`): Flink initialises none of its operators.
    pub from_finished_task: bool,
    /// Store operations the attempt's two-phase-commit sink issued up to this snapshot.
    pub sink_ops: u64,
    /// Every subtask of the task's vertex was finished in the restored checkpoint
    /// (`Task::restored_vertex_finished`): Flink deploys it as finished. Otherwise it runs a
    /// regular chain that ends its operators' input again.
    pub vertex_finished: bool,
}

/// A checkpoint notification that reached a task stopped at a stop-with-savepoint's
/// synchronous savepoint.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Notice {
    /// `notifyCheckpointComplete(id)`.
    Complete(CheckpointId),
    /// `notifyCheckpointAborted(id)`.
    Aborted(CheckpointId),
}

/// What a task that had stopped at a stop-with-savepoint's synchronous savepoint did with a
/// checkpoint notification, as seen from outside the task (failed, still stopped): the `stop`
/// checker's abort rule. Untraced; the explorer records them as the world does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StopNotice {
    /// When the notification was handled, ms.
    pub at_ms: u64,
    /// The task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The synchronous savepoint the task had stopped at when the notification came.
    pub savepoint: CheckpointId,
    /// The notification.
    pub notice: Notice,
    /// The task failed while handling it (an abort notification fails a task for nothing but
    /// its stop: 2.x "Stop-with-savepoint failed.").
    pub failed: bool,
    /// The task was still stopped at `savepoint` afterwards (1.11 undoes a stop whose
    /// savepoint was aborted).
    pub stop_kept: bool,
}

impl StopNotice {
    /// Hand `notice` to `t` (`handle_notify_complete` / `handle_notify_aborted`) and say what
    /// it did, if `t` had stopped at a synchronous savepoint and not failed before.
    pub fn deliver(
        t: &mut ckptsim::task::Task,
        now_ms: u64,
        task: TaskId,
        attempt: Attempt,
        notice: Notice,
    ) -> Option<StopNotice> {
        let before = t.stopped_at().filter(|_| !t.has_failed()).map(|(sp, _)| sp);
        match notice {
            Notice::Complete(id) => t.handle_notify_complete(now_ms, id),
            Notice::Aborted(id) => t.handle_notify_aborted(now_ms, id),
        }
        let savepoint = before?;
        let stop_kept = t.stopped_at().is_some_and(|(sp, _)| sp == savepoint);
        Some(StopNotice { at_ms: now_ms, task, attempt, savepoint, notice, failed: t.has_failed(), stop_kept })
    }
}

/// A task's snapshot of the stop-with-savepoint's synchronous savepoint it stopped at, as the
/// core reported the task right after it (`Task::stopped_at`, `Task::drained_for_stop`,
/// `Task::input_has_ended`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StopSnapshot {
    /// When the snapshot was taken, ms.
    pub at_ms: u64,
    /// The task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The synchronous savepoint.
    pub savepoint: CheckpointId,
    /// The stop's mode (`--drain` or not).
    pub mode: ckptsim::record::StopMode,
    /// The task ended its data for a 2.x drain before the snapshot (`drained_for_stop`).
    pub drained: bool,
    /// The task's input had ended (its chain's `endInput` ran or was due), for any reason.
    pub input_ended: bool,
}

/// A protocol violation the sink store refused, or a read of a user source that differs from
/// its recorded input: typed until the `exactly-once` checker renders it into its finding.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum SinkAnomaly {
    /// The transactional sink store refused an operation of `task`.
    Store {
        /// When, virtual ms.
        at_ms: u64,
        /// The sink subtask whose operation was refused.
        task: TaskId,
        /// What the store refused.
        anomaly: ckptsim::sink::StoreAnomaly,
    },
    /// A user source read something other than the input the scenario recorded.
    SourceMismatch {
        /// When, virtual ms.
        at_ms: u64,
        /// The reading task's name.
        task: String,
        /// What differed.
        message: String,
    },
}

impl SinkAnomaly {
    /// When it happened, virtual ms.
    pub fn at_ms(&self) -> u64 {
        match self {
            SinkAnomaly::Store { at_ms, .. } | SinkAnomaly::SourceMismatch { at_ms, .. } => *at_ms,
        }
    }

    /// A commit the store refused because its transaction had timed out: the transaction's
    /// records are lost (Flink warns of this data loss for `transaction.timeout.ms`).
    pub fn is_commit_timed_out(&self) -> bool {
        matches!(
            self,
            SinkAnomaly::Store { anomaly: ckptsim::sink::StoreAnomaly::TransactionTimedOut { op: "commit", .. }, .. }
        )
    }
}

/// The name of a store anomaly's variant (`AbortOfCommittedTxn`), as its Debug form begins.
pub fn store_anomaly_name(a: &ckptsim::sink::StoreAnomaly) -> &'static str {
    use ckptsim::sink::StoreAnomaly::*;
    match a {
        BeginOfExistingTxn { .. } => "BeginOfExistingTxn",
        UnknownTxn { .. } => "UnknownTxn",
        WriteAfterPreCommit { .. } => "WriteAfterPreCommit",
        WriteAfterCommit { .. } => "WriteAfterCommit",
        WriteAfterAbort { .. } => "WriteAfterAbort",
        PreCommitTwice { .. } => "PreCommitTwice",
        PreCommitAfterCommit { .. } => "PreCommitAfterCommit",
        PreCommitAfterAbort { .. } => "PreCommitAfterAbort",
        CommitWithoutPreCommit { .. } => "CommitWithoutPreCommit",
        CommitOfAbortedTxn { .. } => "CommitOfAbortedTxn",
        AbortOfCommittedTxn { .. } => "AbortOfCommittedTxn",
        TransactionTimedOut { .. } => "TransactionTimedOut",
    }
}

impl std::fmt::Display for SinkAnomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SinkAnomaly::Store { at_ms, task, anomaly } => write!(f, "t={at_ms} {task}: {anomaly:?}"),
            SinkAnomaly::SourceMismatch { at_ms, task, message } => write!(f, "t={at_ms} {task}: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CheckpointRows;
    use ckptsim::ids::CheckpointId;

    #[test]
    fn checkpoint_rows_find_each_id_with_gaps_and_insert_older_ones_in_place() {
        let mut rows = CheckpointRows::default();
        // Ids with gaps (a savepoint of another job, a JobManager that recovered a later
        // counter): the slot as far from the end as the id from the newest is not always it.
        for id in [1, 2, 5, 6, 9] {
            rows.row(CheckpointId(id)).size_bytes = id * 10;
        }
        for id in [1, 2, 5, 6, 9] {
            assert_eq!(rows.row(CheckpointId(id)).size_bytes, id * 10, "id {id}");
        }
        // An id the run had not seen, below the newest: a pending row in its place.
        assert_eq!(rows.row(CheckpointId(4)).outcome, "PENDING");
        assert_eq!(rows.row(CheckpointId(0)).outcome, "PENDING");
        let ids: Vec<u64> = rows.values().map(|r| r.id.0).collect();
        assert_eq!(ids, [0, 1, 2, 4, 5, 6, 9]);
        assert_eq!(rows.row(CheckpointId(5)).size_bytes, 50);
        assert_eq!(rows.last_id(), Some(CheckpointId(9)));
    }
}
