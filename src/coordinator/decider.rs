//! The request decider of the [`CheckpointCoordinator`], after Flink's `CheckpointRequestDecider`: the priority queue of trigger requests, its capacity, the min pause and max-concurrent gates (semantics §1.4).

use super::{CheckpointCoordinator, CoordinatorOutput, QueueChange};
use crate::reason::CheckpointFailureReason;
use crate::record::StopMode;
use crate::Variant;

/// The decider's queue capacity (`CheckpointRequestDecider`'s `maxQueuedRequests`).
pub const MAX_QUEUED_REQUESTS: usize = 1000;

/// Where a trigger request came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestKind {
    /// The periodic timer.
    Periodic,
    /// A user's checkpoint request (`isPeriodic=false`, not forced).
    Manual,
    /// A user's savepoint request (forced unless unaligned checkpoints are on).
    Savepoint,
    /// A savepoint request marked periodic (`CheckpointTriggerRequest.isPeriodic` on savepoint
    /// properties): the decider queues it behind user-submitted savepoints, a non-forced one is
    /// subject to the min pause, and it fails with `PERIODIC_SCHEDULER_SHUTDOWN` while the
    /// scheduler is stopped. Only the host submits it (e.g. an operator's savepoint schedule).
    PeriodicSavepoint,
}

impl RequestKind {
    /// The request kind's name in traces.
    pub fn name(self) -> &'static str {
        match self {
            RequestKind::Periodic => "periodic",
            RequestKind::Manual => "manual",
            RequestKind::Savepoint => "savepoint",
            RequestKind::PeriodicSavepoint => "periodic-savepoint",
        }
    }

    /// Flink's `isPeriodic` flag of the request.
    pub fn is_periodic(self) -> bool {
        matches!(self, RequestKind::Periodic | RequestKind::PeriodicSavepoint)
    }

    /// Whether the request is for a savepoint.
    pub fn is_savepoint(self) -> bool {
        matches!(self, RequestKind::Savepoint | RequestKind::PeriodicSavepoint)
    }
}

/// A request waiting in the decider's queue.
#[derive(Copy, Clone, Debug, Hash)]
pub(super) struct QueuedRequest {
    pub(super) kind: RequestKind,
    pub(super) forced: bool,
    /// A stop-with-savepoint's synchronous savepoint.
    pub(super) stop: Option<StopMode>,
}

/// Queue order: (class, creation time, arrival sequence); smallest first = highest priority.
/// class = savepoint?0:4 + forced?0:2 + periodic?1:0.
pub(super) type QueueKey = (u8, u64, u64);

impl CheckpointCoordinator {
    /// A new request enters the decider (§1.4 "on a new request").
    pub(super) fn submit(&mut self, now_ms: u64, kind: RequestKind) {
        self.submit_with(now_ms, kind, None);
    }

    /// [`Self::submit`] of a request that may be a stop-with-savepoint's synchronous savepoint.
    pub(super) fn submit_with(&mut self, now_ms: u64, kind: RequestKind, stop: Option<StopMode>) {
        let forced = kind.is_savepoint() && !self.config.unaligned;
        if self.queue.len() >= self.max_queued {
            let lowest_is_periodic = self.queue.values().next_back().is_some_and(|q| q.kind.is_periodic());
            if !lowest_is_periodic {
                self.outputs.push_back(CoordinatorOutput::RequestFailed {
                    request: kind,
                    reason: CheckpointFailureReason::TooManyCheckpointRequests,
                });
                return;
            }
        }
        let class = if self.variant == Variant::QueueInArrivalOrder {
            0
        } else {
            let savepoint = if kind.is_savepoint() { 0 } else { 4 };
            savepoint + if forced { 0 } else { 2 } + if kind.is_periodic() { 1 } else { 0 }
        };
        self.queue.insert((class, now_ms, self.queue_seq), QueuedRequest { kind, forced, stop });
        self.queue_seq += 1;
        self.note_queue(kind, QueueChange::Entered);
        if self.queue.len() > self.max_queued {
            let (_, dropped) = self.queue.pop_last().expect("queue over capacity is not empty");
            self.note_queue(dropped.kind, QueueChange::Failed(CheckpointFailureReason::TooManyCheckpointRequests));
            self.outputs.push_back(CoordinatorOutput::RequestFailed {
                request: dropped.kind,
                reason: CheckpointFailureReason::TooManyCheckpointRequests,
            });
        }
        self.choose(now_ms);
    }

    /// A [`CoordinatorOutput::Queue`] report, if the host asked for them.
    pub(super) fn note_queue(&mut self, request: RequestKind, change: QueueChange) {
        if self.report_queue {
            self.outputs.push_back(CoordinatorOutput::Queue { request, change });
        }
    }

    pub(super) fn reevaluate_if_due(&mut self, now_ms: u64) {
        if std::mem::take(&mut self.reevaluate) {
            self.choose(now_ms);
        }
    }

    /// The decider's *choose*, repeated after each trigger (one trigger phase at a time).
    pub(super) fn choose(&mut self, now_ms: u64) {
        self.reevaluate = false;
        self.head_dropped_for_min_pause = false;
        while let Some((&key, &head)) = self.queue.first_key_value() {
            if self.triggering.is_some() || self.job_failure_reported {
                break;
            }
            if i64::from(self.cleaning) > self.config.max_concurrent {
                break;
            }
            // The planted `max-concurrent-off-by-one`: one checkpoint more than configured.
            let max = self.config.max_concurrent as usize + usize::from(self.variant == Variant::MaxConcurrentOffByOne);
            if self.pending.len() >= max && !head.forced {
                break;
            }
            if head.kind.is_periodic() && !head.forced && self.variant != Variant::IgnoreMinPause {
                // FLINK-18856 planted: a stale completion time (the one before the latest).
                let last_completion_ms = if self.variant == Variant::MinPauseStaleCompletion {
                    self.stale_completion_ms
                } else {
                    self.last_completion_ms
                };
                if let Some(last) = last_completion_ms {
                    let due_ms = last + self.config.min_pause_normalized_ms();
                    if due_ms > now_ms {
                        self.queue.remove(&key);
                        let reason = CheckpointFailureReason::MinimumTimeBetweenCheckpoints;
                        self.note_queue(head.kind, QueueChange::Failed(reason));
                        self.outputs.push_back(CoordinatorOutput::RequestFailed {
                            request: head.kind,
                            reason: CheckpointFailureReason::MinimumTimeBetweenCheckpoints,
                        });
                        self.reschedule_trigger(now_ms, due_ms - now_ms);
                        self.head_dropped_for_min_pause = !self.queue.is_empty();
                        break;
                    }
                }
            }
            self.queue.remove(&key);
            self.note_queue(head.kind, QueueChange::Chosen);
            self.trigger(now_ms, head);
        }
        self.reevaluate = false;
    }
}
