//! `World::invariants()`: what holds between any two steps of a run (credits, per-link FIFO, sequence counts, cancellation watchdogs, the sink store, the checkpoint id counter, the status timeline's order), checked after every step in debug builds and at the end of every run.
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
    /// cancel.
    fn task_host_invariants(&self) {
        if let Some(key) = self.tasks.cancel_deadlines.keys().find(|k| !self.tasks.cancelled.contains(k)) {
            panic!("cancellation deadline for {key:?}, which was never cancelled");
        }
    }

    /// The durable services: the transactional store's own invariants (every visible record
    /// from a committed transaction, commit times in order), and the durable checkpoint id
    /// counter above every checkpoint the run recorded.
    fn services_invariants(&self) {
        self.services.txn_store.invariants();
        if let Some((&id, _)) = self.obs.checkpoints.last_key_value() {
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
        for (key, ch) in &self.data.channels {
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
