//! State fingerprints of the explorer: the FNV-style `Fingerprint` hasher fed the parts' derived `Hash`, a state's whole fingerprint (and a fresh one to check the cached parts), the cheap `observed` summary of what the checkers read, and the visited-state map keyed by fingerprint.

use super::*;

/// A state's fingerprint: the machines' derived `Hash` fed word by word into an FNV-style
/// multiply-rotate step (integers are one step each; byte strings eight bytes a step).
/// Deterministic (no random keys) and computed without formatting any text.
pub(super) struct Fingerprint(u64);

impl Fingerprint {
    pub(super) fn new() -> Self {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }

    pub(super) fn word(&mut self, w: u64) {
        // A word's high bytes would only reach the top bits: the rotation brings them down.
        self.0 ^= w;
        self.0 = self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
}

impl std::hash::Hasher for Fingerprint {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().expect("eight bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // The length in the top byte (a remainder has at most seven bytes, so the top
            // byte is free): "a\0" and "a" differ.
            let mut w = (rest.len() as u64) << 56;
            for (i, b) in rest.iter().enumerate() {
                w |= (*b as u64) << (8 * i);
            }
            self.word(w);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.word(i as u64);
    }

    fn write_u16(&mut self, i: u16) {
        self.word(i as u64);
    }

    fn write_u32(&mut self, i: u32) {
        self.word(i as u64);
    }

    fn write_u64(&mut self, i: u64) {
        self.word(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.word(i as u64);
    }

    fn write_i64(&mut self, i: i64) {
        self.word(i as u64);
    }

    fn write_isize(&mut self, i: isize) {
        self.word(i as u64);
    }
}

impl Sys {
    /// A cheap summary of everything the safety checkers read: equal before and after a step
    /// means their verdict cannot have changed.
    pub(super) fn observed(&self) -> [u64; 13] {
        let o = &self.obs;
        [
            self.now_ms,
            o.status_timeline.len() as u64,
            o.restart_schedule.len() as u64
                + o.restarts as u64
                + o.failures.len() as u64
                + o.region_restores.len() as u64 * 1_000_000,
            o.checkpoints.values().filter(|r| r.end_ms.is_some()).count() as u64 + o.checkpoints.len() as u64 * 1000,
            o.print_rows.values().map(|v| v.len() as u64).sum::<u64>()
                + (o.late_records.len() as u64 + o.late_snapshots.len() as u64 * 1000) * 1_000_000,
            o.sink_anomalies.len() as u64
                + o.zombie_anomalies.len() as u64
                + o.after_stop.len() as u64 * 1000
                + o.failed_triggers.len() as u64 * 1_000_000
                // Session 38: the completion notifications, gate passes and anchored faults'
                // strikes (`coordinator`, `restart`).
                + (o.notified_complete.len() + o.gate_passes.len() + o.faults.len() + o.gate_waits.len()) as u64
                    * 1_000_000_000,
            o.offset_commits.values().map(|v| v.len() as u64).sum::<u64>()
                + o.source_event_time.len() as u64 * 1_000_000
                + o.finished_restores.len() as u64 * 1_000_000_000,
            o.completion_seen.values().map(|c| c.0).sum::<u64>()
                + o.discards.len() as u64 * 1_000_000_000
                + (o.assignment_snapshots.len() as u64 + o.join_judgments.len() as u64 * 1000) * 1_000_000_000_000,
            self.store.committed().len() as u64 + o.join_restores.len() as u64 * 1_000_000,
            self.store.open_txns().len() as u64
                + o.retained.len() as u64 * 1000
                + o.stops.len() as u64 * 1_000_000
                + o.stop_snapshots.len() as u64 * 1_000_000_000,
            self.cuts.observed(),
            // Session 17: a stopped task's notification (the `stop` checker's abort rule), the
            // restores and the processing-time windows' assignments and quiesced timers.
            o.stop_notices.len() as u64
                + o.restores.len() as u64 * 1000
                + o.window_assignments.len() as u64 * 1_000_000
                + o.quiesced_windows.len() as u64 * 1_000_000_000
                // Session 18: the valve steps (`windows` checker's valve rule).
                + o.valve_steps.values().map(|v| v.len() as u64).sum::<u64>() * 1_000_000_000_000,
            // Session 40: the retried calls (`restart` checker's retry-count rule), hashed: a
            // settled attempt's rows fold into one, so their number can go down.
            {
                use std::hash::{Hash, Hasher};
                let mut h = Fingerprint::new();
                o.retry_calls.hash(&mut h);
                h.finish()
            },
        ]
    }

    /// The fingerprint of the same state with every part copied afresh (no cached part
    /// fingerprint): equal to [`Sys::fingerprint`] unless a part changed without `make_mut`.
    pub(super) fn fresh_fingerprint(&self) -> u64 {
        let mut fresh = self.clone();
        fresh.jm = self.jm.fresh();
        fresh.obs = self.obs.fresh();
        fresh.acks = self.acks.fresh();
        fresh.cuts = self.cuts.fresh();
        fresh.tasks = self.tasks.fresh();
        fresh.data = self.data.fresh();
        fresh.to_task = self.to_task.fresh();
        fresh.to_jm = self.to_jm.fresh();
        fresh.store = self.store.fresh();
        fresh.committed_offsets = self.committed_offsets.fresh();
        fresh.counters = self.counters.fresh();
        fresh.sink_epochs = self.sink_epochs.fresh();
        fresh.restored_from = self.restored_from.fresh();
        for task in fresh.tasks.values_mut() {
            *task = task.fresh();
        }
        for q in fresh.data.values_mut() {
            *q = q.fresh();
        }
        for q in fresh.to_task.values_mut() {
            *q = q.fresh();
        }
        for q in fresh.to_jm.values_mut() {
            *q = q.fresh();
        }
        fresh.fingerprint()
    }

    /// The whole state's fingerprint: the JobMaster's and each task's cached part fingerprints
    /// (`part.rs`) and the formatted rest.
    pub(super) fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = Fingerprint::new();
        h.word(self.jm.fp());
        h.word(self.tasks.fp());
        h.word(self.obs.fp());
        h.word(self.acks.fp());
        h.word(self.cuts.fp());
        self.now_ms.hash(&mut h);
        // Each map of queues by its cached fingerprint (each queue's, in key order), the other
        // collections by theirs (`part.rs` `Shared`, session 29).
        h.word(self.data.fp());
        h.word(self.to_task.fp());
        h.word(self.to_jm.fp());
        h.word(self.committed_offsets.fp());
        h.word(self.store.fp());
        h.word(self.counters.fp());
        h.word(self.sink_epochs.fp());
        h.word(self.restored_from.fp());
        (self.failures, self.ticks, self.losses, self.ticked_at).hash(&mut h);
        (self.tm_crashes, self.jm_failovers, self.epoch).hash(&mut h);
        self.crashed_tms.hash(&mut h);
        if !self.latest_resolved.is_empty() {
            h.word(7);
            self.latest_resolved.hash(&mut h);
        }
        if !self.latest_floor.is_empty() {
            h.word(8);
            self.latest_floor.hash(&mut h);
        }
        if self.tm_hb_timeouts > 0 {
            // Hashed only once taken, so jobs explored without the step keep their counts.
            self.tm_hb_timeouts.hash(&mut h);
        }
        if self.jm_hb_timeouts > 0 || self.late_ticks > 0 {
            // Hashed only once taken, so jobs explored without the steps keep their counts.
            h.word(11);
            (self.jm_hb_timeouts, self.late_ticks).hash(&mut h);
        }
        if self.hb_timeouts > 0 {
            h.word(6);
            (self.hb_timeouts, &self.hb_lost).hash(&mut h);
        }
        (self.ha_latest.as_ref().map(|c| c.id), self.ha_next_id).hash(&mut h);
        if let Some(p) = &self.ha_previous {
            p.id.hash(&mut h);
        }
        if !self.delivered_up.is_empty() {
            h.word(1);
            self.delivered_up.hash(&mut h);
        }
        if self.rescales > 0 {
            h.word(2);
            (self.job, self.rescales, self.rescale_refused).hash(&mut h);
        }
        if self.stops > 0 {
            h.word(3);
            (self.stops, self.stop_pending_since, self.stop_completed).hash(&mut h);
        }
        if self.cancels > 0 {
            h.word(9);
            self.cancels.hash(&mut h);
        }
        if !self.end_of_data.is_empty() {
            h.word(5);
            self.end_of_data.hash(&mut h);
        }
        if self.ack_losses > 0 || self.requests > 0 {
            h.word(4);
            (self.ack_losses, self.requests).hash(&mut h);
        }
        if self.jm_late_ticks > 0 {
            // Counted only under a `--jm-late-ticks` bound: unbounded runs keep their counts.
            h.word(13);
            self.jm_late_ticks.hash(&mut h);
        }
        if self.slow_uploads > 0 {
            // Hashed only once taken, so jobs explored without the step keep their counts.
            h.word(12);
            (self.slow_uploads, &self.uploading).hash(&mut h);
        }
        if !self.anchors_fired.is_empty() {
            h.word(15);
            self.anchors_fired.hash(&mut h);
        }
        if !self.gates.is_empty() {
            // Session 38: checkpoint gates (`gates.rs`); jobs without gates keep their counts.
            h.word(14);
            self.gates.hash(&mut h);
            self.gate_requests.hash(&mut h);
        }
        h.finish()
    }
}

/// The visited states by fingerprint. A fingerprint is a hash already, so the map takes it as
/// its own hash ([`FpHasher`]) instead of hashing it again, and looks it up in one probe instead
/// of a B-tree's descent (session 11: the B-tree was a twentieth of the search). `IndexMap`
/// keeps insertion order, and the search never iterates it: only `get_mut`, `insert` and `len`.
pub(super) type Visited = indexmap::IndexMap<u64, Vec<Choice>, std::hash::BuildHasherDefault<FpHasher>>;

/// The identity hasher of [`Visited`]: a `u64` key is its own hash.
#[derive(Default)]
pub(super) struct FpHasher(u64);

impl std::hash::Hasher for FpHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}
