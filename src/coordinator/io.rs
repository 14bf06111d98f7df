//! The coordinator's interface to its host: what it reads ([`ExecutionView`]), what it asks for ([`CoordinatorOutput`], [`QueueChange`]), the sans-IO `poll_output` / `poll_timeout`, and the read-only queries.

use super::{CheckpointCoordinator, RequestKind};
use crate::config::CheckpointConfig;
use crate::failure_manager::FailJob;
use crate::ids::CheckpointId;
use crate::reason::CheckpointFailureReason;
use crate::record::{Alignment, CheckpointKind, StopMode};
use crate::status::JobStatus;
use crate::store::{CompletedCheckpoint, CompletedCheckpointStore, StoreEntry};
use std::sync::Arc;

/// What the coordinator knows about the job's executions (fed by the host on every change).
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
pub struct ExecutionView {
    /// The job's status (checkpoints are triggered only while RUNNING).
    pub job_status: JobStatus,
    /// every execution RUNNING or FINISHED
    pub all_tasks_running_or_finished: bool,
    /// a trigger has tasks to go to: every source RUNNING (2.x: RUNNING or FINISHED, with a
    /// RUNNING source or a RUNNING task whose upstream tasks all FINISHED)
    pub sources_running: bool,
}

/// A master hook or operator coordinator: it must acknowledge a checkpoint (its state
/// snapshot, asynchronously) before the checkpoint's tasks are triggered.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HookId(pub u32);

/// What the coordinator asks its host to do or record (drained in decision order, see module doc).
#[derive(Clone, Debug, Hash)]
pub enum CoordinatorOutput {
    /// Send a trigger to every source task (the host knows which tasks are sources).
    Trigger {
        /// The new checkpoint's id.
        id: CheckpointId,
        /// The trigger time (the barrier's timestamp), ms.
        timestamp_ms: u64,
        /// Checkpoint or savepoint.
        kind: CheckpointKind,
        /// How the tasks handle the barrier.
        alignment: Alignment,
        /// `Some` for a stop-with-savepoint's synchronous savepoint (the barrier carries it).
        stop: Option<StopMode>,
        /// Whether the request was periodic (Flink's `CheckpointTriggerRequest.isPeriodic`):
        /// the min pause holds back only periodic, non-forced requests
        /// (`CheckpointRequestDecider`). Hosts record it; the barrier does not carry it.
        periodic: bool,
    },
    /// Send notifyCheckpointComplete(id) to all tasks.
    NotifyComplete {
        /// The completed checkpoint.
        id: CheckpointId,
    },
    /// Send notifyCheckpointAborted(id) to all tasks. 2.x also carries the latest completed
    /// checkpoint id of the store (`latestCompletedCheckpointId`, `None` = 0 in Flink), which a
    /// task notifies as complete before handling the abort.
    NotifyAborted {
        /// The aborted checkpoint.
        id: CheckpointId,
        /// 2.x: the newest completed checkpoint's id, which tasks notify as complete first.
        latest_completed: Option<CheckpointId>,
    },
    /// The trigger phase of `id` began: ask every master hook / operator coordinator for its
    /// snapshot. The tasks are triggered (a [`CoordinatorOutput::Trigger`]) only once every hook
    /// acknowledged ([`CheckpointCoordinator::handle_master_hook_ack`]). Only with hooks.
    TriggerMasterHooks {
        /// The checkpoint being triggered.
        id: CheckpointId,
        /// Its trigger time, ms.
        timestamp_ms: u64,
        /// Checkpoint or savepoint.
        kind: CheckpointKind,
    },
    /// A checkpoint completed and entered the store (record it; its tasks are notified separately).
    Completed(Arc<CompletedCheckpoint>),
    /// A pending checkpoint was aborted (declined, expired, subsumed, or the coordinator stopped).
    Aborted {
        /// The aborted checkpoint.
        id: CheckpointId,
        /// Checkpoint or savepoint.
        kind: CheckpointKind,
        /// Why it was aborted.
        reason: CheckpointFailureReason,
        /// When it was triggered, ms.
        trigger_ms: u64,
        /// Whether its request was periodic (as [`CoordinatorOutput::Trigger`]'s): a checkpoint
        /// that failed while being triggered (storage down, or during the master hooks) has
        /// no Trigger output, yet the decider held its request to the min pause.
        periodic: bool,
    },
    /// The decider's queue changed: a request entered it or left it. Only after
    /// [`CheckpointCoordinator::report_queue_changes`]; nothing acts on it: a host records it so
    /// that a checker can replay the queue and re-derive each choice of the decider.
    Queue {
        /// The request that entered or left the queue.
        request: RequestKind,
        /// How the queue changed.
        change: QueueChange,
    },
    /// A request failed before an id was allocated (decider or pre-flight); no id consumed.
    RequestFailed {
        /// The request that failed.
        request: RequestKind,
        /// Why.
        reason: CheckpointFailureReason,
    },
    /// `u64::MAX` when the trigger is parked (interval disabled by a re-tune).
    SchedulerStarted {
        /// When the first periodic trigger is due, ms.
        first_trigger_at_ms: u64,
    },
    /// The periodic trigger stopped (job not running, or checkpointing suspended).
    SchedulerStopped,
    /// Tolerable-failure threshold exceeded: the job must fail through its restart strategy.
    FailJob(FailJob),
    /// The completed-checkpoint store changed: a checkpoint entered it (with what it subsumed)
    /// or entries left it without an add (a deferred subsumption, the shutdown). Only after
    /// [`CheckpointCoordinator::report_store_changes`]; nothing acts on it: a host records it
    /// so that a checker can replay the store and judge it after every completion.
    Stored {
        /// The entry added, if any.
        added: Option<StoreEntry>,
        /// Every entry that left the store, oldest first (discarded or not).
        removed: Vec<CheckpointId>,
    },
    /// A retained checkpoint was discarded (subsumed, or by retention at shutdown).
    Discarded {
        /// The discarded checkpoint.
        id: CheckpointId,
    },
}

/// How a [`CoordinatorOutput::Queue`] report changed the decider's queue.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum QueueChange {
    /// The request entered the queue (a new request; a request the full queue refuses at once
    /// never enters it and is only a [`CoordinatorOutput::RequestFailed`]).
    Entered,
    /// The decider took the request as its head for the trigger pipeline (whose pre-checks may
    /// still fail it: a `RequestFailed` follows then, with no further queue change).
    Chosen,
    /// The request left the queue failed: its head dropped for the min pause, the lowest request
    /// dropped for a full queue, or the whole queue failed (scheduler stop, shutdown).
    Failed(CheckpointFailureReason),
}

impl CheckpointCoordinator {
    /// From now on every change of the decider's queue is an output
    /// ([`CoordinatorOutput::Queue`]): a request entering it, chosen from it, failed out of it.
    /// The world records them for the `coordinator` checker's replay of the queue; unit tests
    /// and the explorer leave them off.
    pub fn report_queue_changes(&mut self) {
        self.report_queue = true;
    }

    /// The next output, in decision order.
    pub fn poll_output(&mut self) -> Option<CoordinatorOutput> {
        self.outputs.pop_front()
    }

    /// The earliest of the next periodic firing and the pending checkpoints' expiry deadlines.
    pub fn poll_timeout(&self) -> Option<u64> {
        let expiry = self.pending.values().map(|p| p.deadline_ms).min();
        match (self.next_fire_ms, expiry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ----------------------------------------------------------------------------------- queries

    /// Ids of the pending checkpoints, ascending.
    pub fn pending_ids(&self) -> Vec<CheckpointId> {
        self.pending.keys().copied().collect()
    }

    /// The newest completed checkpoint, if any.
    pub fn latest_completed(&self) -> Option<&Arc<CompletedCheckpoint>> {
        self.store.latest()
    }

    /// Whether a stop-with-savepoint stopped the periodic scheduler and has not failed.
    pub fn is_stopping(&self) -> bool {
        self.stopping
    }

    /// The completed-checkpoint store: what a restart may restore from.
    /// The stop-with-savepoint's synchronous savepoint, once it completed (until a failover).
    pub fn stop_savepoint_completed(&self) -> Option<CheckpointId> {
        self.stop_completed
    }

    /// The completed checkpoint store (retained checkpoints, and in 1.11 savepoints).
    pub fn store(&self) -> &CompletedCheckpointStore {
        &self.store
    }

    /// The id the next checkpoint will get.
    pub fn next_checkpoint_id(&self) -> CheckpointId {
        self.next_id
    }

    /// The config in force (after re-tunes).
    pub fn config(&self) -> &CheckpointConfig {
        &self.config
    }

    /// Whether the periodic trigger is running.
    pub fn scheduler_running(&self) -> bool {
        self.scheduler_running
    }

    /// Requests waiting in the decider's queue, highest priority first.
    pub fn queued_request_kinds(&self) -> Vec<RequestKind> {
        self.queue.values().map(|q| q.kind).collect()
    }

    /// Requests waiting in the decider's queue.
    pub fn queued_requests(&self) -> usize {
        self.queue.len()
    }

    /// The failure manager's consecutive counted failures.
    pub fn consecutive_failures(&self) -> u32 {
        self.failure_manager.consecutive_failures()
    }
}
