//! `World::invariants()`: what holds between any two steps of a run (credits, per-link FIFO, sequence counts, cancellation watchdogs, live task attempts against the JobMaster's executions, the sink store, the checkpoint id counter, the status timeline's order), checked after every step in debug builds and at the end of every run.
//!
//! A "step" is one [`Shared::with`] call: every change to the world happens inside one, and
//! none is held across an `.await`, so between two calls the world is quiescent. The checks
//! only read the world: enabling them cannot change a run (the golden trace hashes hold
//! either way).

use super::*;

/// Check after every step: in debug and test builds of this crate and with the
/// `world-invariants` feature; other release builds check once
/// at the end of each run (the bench's measured path stays as it was).
pub(super) const CHECK_EACH_STEP: bool = cfg!(any(debug_assertions, test, feature = "world-invariants"));

impl World {
    /// Panics naming the first broken invariant.
    pub(super) fn invariants(&self) {
        self.data_plane_invariants();
        self.network_invariants();
        self.task_host_invariants();
        self.services_invariants();
        let now = self.now();
        if let Some(&(at, _)) = self.obs.status_timeline.last() {
            assert!(at <= now, "job status timeline ends at {at} ms, after now ({now} ms)");
        }
        // Checked after every step, so comparing the last two entries keeps the whole timeline
        // in time order.
        if let [.., (before, _), (last, _)] = self.obs.status_timeline[..] {
            assert!(before <= last, "job status timeline goes back from {before} ms to {last} ms");
        }
    }

    /// The TaskManagers' bookkeeping: the cancellation watchdog runs only for attempts told to
    /// cancel; every live attempt is one a JobMaster created ([`live_attempts_within_job_master`]).
    fn task_host_invariants(&self) {
        if let Some(key) = self.tasks.cancel_deadlines.keys().find(|k| !self.tasks.cancelled.contains_key(k)) {
            panic!("cancellation deadline for {key:?}, which was never cancelled");
        }
        if let Err(broken) = live_attempts_within_job_master(&self.wake.live_tasks, self.jm_epoch, &self.obs.acks) {
            panic!("{broken}");
        }
    }

    /// The durable services: the transactional store's own invariants (every visible record
    /// from a committed transaction, commit times in order), and the durable checkpoint id
    /// counter above every checkpoint the run recorded.
    fn services_invariants(&self) {
        self.services.txn_store.invariants();
        if let Some(id) = self.obs.checkpoints.last_id() {
            assert!(
                id < self.services.next_checkpoint_id,
                "checkpoint {id} recorded but the durable id counter is at {}",
                self.services.next_checkpoint_id
            );
        }
    }

    /// Credit-based flow control: a channel's credits in use are exactly its queued record
    /// buffers, never above `channel_capacity_buffers`; every queued item was numbered.
    fn data_plane_invariants(&self) {
        let capacity = self.spec.cluster.channel_capacity_buffers.max(1) as usize;
        for (key, ch) in self.data.channels.iter() {
            let buffers = ch.queue.iter().filter(|(_, _, item)| matches!(item, Item::Records(_))).count();
            assert_eq!(ch.record_buffers, buffers, "channel {key:?}: credits in use != record buffers queued");
            assert!(
                ch.record_buffers <= capacity,
                "channel {key:?}: {} buffers > capacity {capacity}",
                ch.record_buffers
            );
            if let Some((_, seq, _)) = ch.queue.iter().find(|(_, seq, _)| *seq > self.data.item_seq) {
                panic!("channel {key:?}: item #{seq} queued but only {} numbered", self.data.item_seq);
            }
        }
    }

    /// The control plane: no more messages in flight than were sent; on each link (sender,
    /// receiver) a later message never arrives before an earlier one, and none after the
    /// link's last delivery time.
    fn network_invariants(&self) {
        let mut in_flight: Vec<(Addr, Addr, u64, u64)> = Vec::new();
        for (&to, heap) in &self.net.in_flight {
            for m in heap.iter() {
                assert!(m.seq <= self.net.seq, "message #{} in flight but only {} sent", m.seq, self.net.seq);
                let last = self.net.link_last.get(&(m.from, to)).copied().unwrap_or(0);
                assert!(
                    m.at <= last,
                    "message #{} on {}->{} arrives at {} after the link's last {last}",
                    m.seq,
                    m.from,
                    to,
                    m.at
                );
                in_flight.push((m.from, to, m.seq, m.at));
            }
        }
        assert!(
            in_flight.len() as u64 <= self.net.seq,
            "{} messages in flight, {} sent",
            in_flight.len(),
            self.net.seq
        );
        in_flight.sort_unstable();
        for pair in in_flight.windows(2) {
            let ((f0, t0, s0, a0), (f1, t1, s1, a1)) = (pair[0], pair[1]);
            assert!(
                (f0, t0) != (f1, t1) || a0 <= a1,
                "link {f0}->{t0} not FIFO: message #{s0} arrives at {a0}, the later #{s1} at {a1}"
            );
        }
    }
}

/// Live task attempts against the JobMaster's executions (docs/issue-12-closing.md, row 4).
///
/// What Flink holds: an `ExecutionVertex` has one current `Execution`; an older attempt may
/// still run on a TaskManager after the JobMaster wrote it off (the TaskManager was judged lost,
/// a deployment was not acknowledged in time, the cancel RPC's retries ran out:
/// `Execution.sendCancelRpcCall` then fails the execution, "the target node must be down") or
/// after the JobManager itself failed over, and such a zombie is fenced at the sink (the
/// transactional epoch), not kept from running. So "one live attempt per task" does not hold,
/// in Flink or here; what holds is that nothing runs that a JobMaster never created:
///
/// * no live attempt belongs to a JobManager epoch that has not started (`jm_epoch`);
/// * a live attempt of the current epoch is the JobMaster's current execution of its task or
///   an older one: never newer than the attempt its `TaskStateChanged` outputs last reported
///   (the JobMaster reports DEPLOYING before it sends the deployment), and never of a task it
///   has reported nothing about.
///
/// Hence per task at most one live attempt is the one the JobMaster counts as current (every
/// other live attempt is older, written off). `live`: the world's live attempts (world
/// numbering, `epoch * EPOCH_STRIDE + JobMaster attempt`). The first broken rule, as text.
pub(super) fn live_attempts_within_job_master(
    live: &BTreeSet<(TaskId, Attempt)>,
    jm_epoch: u64,
    view: &acks::AckWatch,
) -> Result<(), String> {
    for &(task, attempt) in live {
        let epoch = u64::from(attempt.0 / EPOCH_STRIDE);
        if epoch > jm_epoch {
            return Err(format!(
                "{task} attempt {attempt} is live but belongs to JobManager epoch {epoch}, after the current {jm_epoch}"
            ));
        }
        let Some(local) = super::jobmanager::from_world(jm_epoch, attempt) else {
            continue; // an older epoch's attempt: a zombie of a JobManager that failed over
        };
        match view.current_attempt(jm_epoch, task) {
            None => {
                return Err(format!(
                    "{task} attempt {attempt} is live but the JobMaster of epoch {jm_epoch} never reported that task"
                ))
            }
            Some(current) if local > current => {
                return Err(format!(
                    "{task} attempt {attempt} is live but the JobMaster's current execution of it is attempt {current}"
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JobMaster of epoch 2 that reported attempt 3 of task 0 (DEPLOYING, then RUNNING).
    fn view() -> acks::AckWatch {
        let mut v = acks::AckWatch::default();
        v.task_state(2, 10, TaskId(0), Attempt(3), ExecutionState::Deploying);
        v.task_state(2, 20, TaskId(0), Attempt(3), ExecutionState::Running);
        v
    }

    fn world_attempt(epoch: u32, local: u32) -> Attempt {
        Attempt(epoch * EPOCH_STRIDE + local)
    }

    #[test]
    fn zombies_of_older_attempts_and_epochs_are_allowed_next_to_the_current_one() {
        // The current attempt, an older attempt of the same JobMaster (written off, still
        // running) and one of the previous JobManager: all three live at once is Flink.
        let live = BTreeSet::from([
            (TaskId(0), world_attempt(2, 3)),
            (TaskId(0), world_attempt(2, 1)),
            (TaskId(0), world_attempt(1, 7)),
        ]);
        assert_eq!(live_attempts_within_job_master(&live, 2, &view()), Ok(()));
    }

    #[test]
    fn a_live_attempt_newer_than_the_job_masters_fails() {
        let live = BTreeSet::from([(TaskId(0), world_attempt(2, 3)), (TaskId(0), world_attempt(2, 4))]);
        let err = live_attempts_within_job_master(&live, 2, &view()).unwrap_err();
        assert!(err.contains("current execution of it is attempt #3"), "{err}");
    }

    #[test]
    fn a_live_attempt_of_a_task_the_job_master_never_reported_fails() {
        let live = BTreeSet::from([(TaskId(1), world_attempt(2, 0))]);
        let err = live_attempts_within_job_master(&live, 2, &view()).unwrap_err();
        assert!(err.contains("never reported that task"), "{err}");
    }

    #[test]
    fn a_live_attempt_of_a_future_job_manager_fails() {
        let live = BTreeSet::from([(TaskId(0), world_attempt(3, 0))]);
        let err = live_attempts_within_job_master(&live, 2, &view()).unwrap_err();
        assert!(err.contains("epoch 3, after the current 2"), "{err}");
    }
}
