//! The periodic trigger of the [`CheckpointCoordinator`] (Flink's `CheckpointCoordinatorDeActivator` and `ScheduledTrigger`): activation per profile, initial delay, fixed-rate cadence and its catch-up, expiry timers, user requests and stop-with-savepoint handed to the decider, runtime re-tuning (semantics §1.3).

use super::{CheckpointCoordinator, CoordinatorOutput, ExecutionView, QueueChange, RequestKind};
use crate::config::{ConfigError, Retune, MINIMAL_CHECKPOINT_TIME_MS, UNLIMITED};
use crate::ids::CheckpointId;
use crate::reason::CheckpointFailureReason;
use crate::record::StopMode;
use crate::status::JobStatus;
use crate::variant::Variant;

/// Uniform in `[min_pause_ms, base_ms]` from one random value.
pub(super) fn draw_initial_delay_ms(min_pause_ms: u64, base_ms: u64, random: u64) -> u64 {
    assert!(base_ms >= min_pause_ms, "base interval below min pause");
    min_pause_ms + random % (base_ms - min_pause_ms + 1)
}

impl CheckpointCoordinator {
    /// Called whenever the job status or any execution state changes. Starts/stops the periodic
    /// scheduler per profile (§1.3). `random`: used for the 1.11 per-start initial delay draw.
    pub fn handle_execution_view(&mut self, now_ms: u64, view: ExecutionView, random: u64) {
        self.enter(now_ms);
        self.view = Some(view);
        if self.activator_registered && !self.shut_down {
            let should_run = self.activation_condition();
            if should_run && !self.scheduler_running && !self.stopping {
                if self.profile.start_scheduler_stops_first() {
                    self.abort_on_stop(now_ms);
                }
                let first = self.start_delay_ms(random).map(|d| now_ms + d);
                self.start_scheduler(now_ms, first);
            } else if !should_run && self.scheduler_running {
                self.stop_scheduler(now_ms);
            }
        }
        self.finish(now_ms);
    }

    /// The host fails the job itself on every [`CoordinatorOutput::FailJob`] (the JobMaster's
    /// `failGlobal`): from then on, after a `FailJob` nothing queued is triggered until the host
    /// Fires due timers: periodic trigger, checkpoint expiry (CHECKPOINT_EXPIRED).
    pub fn handle_timeout(&mut self, now_ms: u64) {
        self.enter(now_ms);
        loop {
            let expiry =
                self.pending.iter().filter(|(_, p)| p.deadline_ms <= now_ms).map(|(id, p)| (p.deadline_ms, *id)).min();
            let fire = self.next_fire_ms.filter(|t| *t <= now_ms);
            match (expiry, fire) {
                (Some((deadline, id)), f) if f.is_none_or(|f| deadline <= f) => {
                    self.abort(now_ms, id, CheckpointFailureReason::CheckpointExpired, None);
                }
                (_, Some(planned_ms)) => {
                    self.anchor_ms = planned_ms;
                    self.next_fire_ms = self.config.base_interval_ms().map(|base| planned_ms + base);
                    self.submit(now_ms, RequestKind::Periodic);
                }
                _ => break,
            }
            self.reevaluate_if_due(now_ms);
        }
        self.finish(now_ms);
    }

    /// A user request (Manual checkpoint or Savepoint). Periodic requests come only from the
    /// timer; a `Periodic` given here is treated like one (and fails with
    /// `PERIODIC_SCHEDULER_SHUTDOWN` if the scheduler is stopped).
    pub fn request(&mut self, now_ms: u64, kind: RequestKind) {
        self.enter(now_ms);
        self.submit(now_ms, kind);
        self.finish(now_ms);
    }

    /// Stop-with-savepoint (Flink's `SchedulerBase.stopWithSavepoint`): the periodic scheduler
    /// stops (`stopCheckpointScheduler`, aborting pending and queued requests with
    /// CHECKPOINT_COORDINATOR_SUSPEND), so no checkpoint after the savepoint can commit side
    /// effects the savepoint does not hold; then a *synchronous* savepoint is requested
    /// (`triggerSynchronousSavepoint`): its barrier carries `mode`, its completion is notified
    /// to the tasks in both profiles (2.x: `!isSavepoint() || isSynchronous()`), and a failure
    /// after its trigger fails the job ([`CheckpointFailureManager::handle_sync_savepoint_failure`](crate::failure_manager::CheckpointFailureManager::handle_sync_savepoint_failure)).
    pub fn stop_with_savepoint(&mut self, now_ms: u64, mode: StopMode) {
        self.enter(now_ms);
        self.stopping = true;
        if self.scheduler_running {
            self.stop_scheduler(now_ms);
        }
        self.submit_with(now_ms, RequestKind::Savepoint, Some(mode));
        self.finish(now_ms);
    }

    /// The stop's savepoint failed: the job keeps running and the periodic scheduler starts
    /// again (Flink restarts it when the stop-with-savepoint future fails).
    pub fn resume_after_failed_stop(&mut self, now_ms: u64) {
        self.enter(now_ms);
        if std::mem::take(&mut self.stopping) && !self.shut_down && !self.scheduler_running {
            if let (true, Some(base)) = (self.activation_condition(), self.config.base_interval_ms()) {
                self.start_scheduler(now_ms, Some(now_ms + base));
            }
        }
        self.finish(now_ms);
    }

    /// Runtime re-tuning (seed 000; semantics in the module doc). Invalid values → `Err` naming
    /// the field (`retune.interval_ms` ...); the old config stays in force.
    pub fn retune(&mut self, now_ms: u64, retune: &Retune) -> Result<(), ConfigError> {
        self.enter(now_ms);
        let checked = Self::validate_retune(retune);
        if checked.is_ok() {
            if let Some(t) = retune.tolerable_failures {
                self.config.tolerable_failures = t;
                self.failure_manager.set_tolerable_failures(t as u32);
                if self.variant == Variant::RetuneResetsFailureCounter {
                    // The planted `retune-resets-failure-counter`: a new failure manager.
                    self.failure_manager.reset_counter();
                }
            }
            if let Some(t) = retune.timeout_ms {
                self.config.timeout_ms = t;
                if self.variant == Variant::RetuneTimeoutMovesPending {
                    // The planted `retune-timeout-moves-pending`: every pending checkpoint's
                    // canceller is re-planned to its trigger plus the new timeout.
                    for p in self.pending.values_mut() {
                        p.deadline_ms = p.trigger_ms + t as u64;
                    }
                }
            }
            if let Some(m) = retune.min_pause_ms {
                self.config.min_pause_ms = m;
            }
            if let Some(i) = retune.interval_ms {
                self.config.interval_ms = Some(i);
                self.replan_interval(now_ms);
            }
        }
        self.finish(now_ms);
        checked
    }

    pub(super) fn activation_condition(&self) -> bool {
        match self.view {
            None => false,
            Some(v) => {
                v.job_status == JobStatus::Running
                    && (!self.profile.scheduler_waits_for_all_tasks_running() || v.all_tasks_running_or_finished)
            }
        }
    }

    /// The initial delay of a start by the activator; `None` while the trigger is parked.
    pub(super) fn start_delay_ms(&self, random: u64) -> Option<u64> {
        let base = self.config.base_interval_ms()?;
        let min_pause = self.config.min_pause_normalized_ms();
        Some(if self.profile.initial_delay_drawn_once() {
            match (self.scheduler_starts, self.first_start_delay_ms) {
                (0, Some(d)) => d,
                _ => min_pause,
            }
        } else {
            draw_initial_delay_ms(min_pause, base, random)
        })
    }

    pub(super) fn start_scheduler(&mut self, now_ms: u64, first_fire_ms: Option<u64>) {
        assert!(!self.scheduler_running && !self.shut_down);
        self.scheduler_running = true;
        self.scheduler_starts += 1;
        self.anchor_ms = now_ms;
        self.next_fire_ms = first_fire_ms;
        self.outputs
            .push_back(CoordinatorOutput::SchedulerStarted { first_trigger_at_ms: first_fire_ms.unwrap_or(u64::MAX) });
    }

    pub(super) fn stop_scheduler(&mut self, now_ms: u64) {
        assert!(self.scheduler_running);
        self.scheduler_running = false;
        self.next_fire_ms = None;
        self.outputs.push_back(CoordinatorOutput::SchedulerStopped);
        self.abort_on_stop(now_ms);
    }

    /// `stopCheckpointScheduler`'s abort (CHECKPOINT_COORDINATOR_SUSPEND). The planted
    /// `pending-survives-failover` fails the queue only and leaves the pending checkpoints to
    /// expire.
    fn abort_on_stop(&mut self, now_ms: u64) {
        let reason = CheckpointFailureReason::CheckpointCoordinatorSuspend;
        if self.variant != Variant::PendingSurvivesFailover {
            self.abort_pending_and_queued(now_ms, reason);
            return;
        }
        for (_, q) in std::mem::take(&mut self.queue) {
            self.note_queue(q.kind, QueueChange::Failed(reason));
            self.outputs.push_back(CoordinatorOutput::RequestFailed { request: q.kind, reason });
        }
    }

    /// Flink's `abortPendingAndQueuedCheckpoints`: the queue first, then pending (ascending id).
    pub(super) fn abort_pending_and_queued(&mut self, now_ms: u64, reason: CheckpointFailureReason) {
        for (_, q) in std::mem::take(&mut self.queue) {
            self.note_queue(q.kind, QueueChange::Failed(reason));
            self.outputs.push_back(CoordinatorOutput::RequestFailed { request: q.kind, reason });
        }
        let ids: Vec<CheckpointId> = self.pending.keys().copied().collect();
        for id in ids {
            self.abort(now_ms, id, reason, None);
        }
    }

    /// `rescheduleTrigger(delay)`: restart the cadence at `now + delay` (only while the
    /// scheduler runs with an enabled interval).
    pub(super) fn reschedule_trigger(&mut self, now_ms: u64, delay_ms: u64) {
        if self.scheduler_running && self.config.periodic_enabled() {
            self.next_fire_ms = Some(now_ms + delay_ms);
        }
    }

    pub(super) fn replan_interval(&mut self, now_ms: u64) {
        let Some(base) = self.config.base_interval_ms() else {
            // Disabled: park the trigger; the activator stays registered.
            self.next_fire_ms = None;
            return;
        };
        if !self.activator_registered {
            self.activator_registered = true;
            if !self.shut_down && self.activation_condition() {
                self.start_scheduler(now_ms, Some(now_ms + base));
            }
        } else if self.scheduler_running {
            self.next_fire_ms = Some(match self.next_fire_ms {
                None => now_ms + base,
                Some(_) => now_ms.max(self.anchor_ms + base),
            });
        }
    }

    pub(super) fn validate_retune(r: &Retune) -> Result<(), ConfigError> {
        if let Some(i) = r.interval_ms {
            if i < 0 {
                return Err(ConfigError::new(
                    "retune.interval_ms",
                    format!("must be >= 0 (got {i}); below 10 ms disables periodic checkpoints"),
                ));
            }
        }
        if let Some(m) = r.min_pause_ms {
            if m < 0 {
                return Err(ConfigError::new("retune.min_pause_ms", format!("must be >= 0 (got {m})")));
            }
        }
        if let Some(t) = r.timeout_ms {
            if t < MINIMAL_CHECKPOINT_TIME_MS {
                return Err(ConfigError::new("retune.timeout_ms", format!("must be >= 10 (got {t})")));
            }
        }
        if let Some(t) = r.tolerable_failures {
            if !(0..=UNLIMITED as i64).contains(&t) {
                return Err(ConfigError::new(
                    "retune.tolerable_failures",
                    format!("must be in [0, {UNLIMITED}] (got {t})"),
                ));
            }
        }
        Ok(())
    }
}
