//! Completed-checkpoint store: num-retained subsumption and externalized-checkpoint retention on job termination (semantics §6, §1.6).
//!
//! Models Flink's `StandaloneCompletedCheckpointStore`: a deque of completed checkpoints, oldest
//! first. Adding one subsumes older ones down to `num_retained`; shutting down with a terminal
//! job status discards what the retention policy says to discard and hands back the rest.
//!
//! What may be discarded (Flink's `CheckpointProperties`): checkpoints taken by this job are
//! discarded when subsumed and on shutdown per the retention table; savepoints and external
//! entries (restored from a retained checkpoint or savepoint) are never discarded by this job,
//! they only leave the store.
//!
//! Profile differences:
//! * 1.11: plain FIFO — while more than N are held, drop the oldest (savepoints are added by the
//!   coordinator, count toward N and are never deleted);
//! * 2.3: `CheckpointSubsumeHelper` — never the newest, never the latest non-savepoint
//!   checkpoint (incremental checkpoints build on it), savepoints always removable
//!   ([`Profile::subsume_keeps_latest_checkpoint`]). The coordinator no longer adds savepoints
//!   (FLINK-25191), so the only savepoints in a 2.3 store are restored (external) ones; adding
//!   any other savepoint panics. A stop-with-savepoint's synchronous savepoint is a savepoint
//!   here too (2.3 does not add it; 1.11 does, like any savepoint).
//! * Shutdown follows the standalone store in both profiles: the retention table applies to
//!   SUSPENDED too (the HA store would keep everything on SUSPENDED).

use crate::config::Retention;
use crate::ids::{CheckpointId, TaskId};
use crate::profile::Profile;
use crate::record::CheckpointKind;
use crate::state::TaskSnapshot;
use crate::status::JobStatus;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// A completed checkpoint or savepoint with every task's snapshot.
#[derive(Clone, Debug, Hash, PartialEq, Serialize, Deserialize)]
pub struct CompletedCheckpoint {
    /// The checkpoint's id (savepoints share the id sequence).
    pub id: CheckpointId,
    /// Periodic checkpoint or savepoint (and which kind of savepoint).
    pub kind: CheckpointKind,
    /// When the coordinator triggered it, ms.
    pub trigger_ms: u64,
    /// When the last acknowledgement arrived and it completed, ms.
    pub completed_ms: u64,
    /// Every task's snapshot, by task.
    pub tasks: BTreeMap<TaskId, TaskSnapshot>,
    /// The total modelled size of the task snapshots, bytes.
    pub size_bytes: u64,
    /// Restored from outside (retained checkpoint/savepoint): never discarded by this job.
    pub external: bool,
}

impl CompletedCheckpoint {
    /// Whether this is a savepoint (never subsumed by a later checkpoint).
    pub fn is_savepoint(&self) -> bool {
        self.kind == CheckpointKind::Savepoint
    }

    /// `discardOnSubsumed`: only this job's own checkpoints.
    pub fn discarded_on_subsume(&self) -> bool {
        !self.is_savepoint() && !self.external
    }

    /// `shouldBeDiscardedOnShutdown(status)` for the job's retention policy (§6 table).
    /// Savepoints and external entries are never discarded; non-terminal statuses discard nothing.
    pub fn discarded_on_shutdown(&self, retention: Retention, status: JobStatus) -> bool {
        if self.is_savepoint() || self.external {
            return false;
        }
        match retention {
            // NEVER_RETAIN_AFTER_TERMINATION
            Retention::NoExternalizedCheckpoints => status.is_terminal(),
            // RETAIN_ON_FAILURE
            Retention::DeleteOnCancellation => {
                matches!(status, JobStatus::Finished | JobStatus::Canceled | JobStatus::Suspended)
            }
            // RETAIN_ON_CANCELLATION
            Retention::RetainOnCancellation => status == JobStatus::Finished,
        }
    }
}

/// One entry of the store as a [`crate::coordinator::CoordinatorOutput::Stored`] reports it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct StoreEntry {
    /// The checkpoint's id.
    pub id: CheckpointId,
    /// A savepoint (1.11 stores its own; 2.x only restored ones).
    pub savepoint: bool,
    /// Restored from outside (a retained checkpoint or savepoint).
    pub external: bool,
}

impl StoreEntry {
    /// The entry of a completed checkpoint.
    pub fn of(cp: &CompletedCheckpoint) -> Self {
        StoreEntry { id: cp.id, savepoint: cp.is_savepoint(), external: cp.external }
    }
}

/// Flink's `StandaloneCompletedCheckpointStore`.
#[derive(Clone, Debug, Hash, PartialEq)]
pub struct CompletedCheckpointStore {
    profile: Profile,
    num_retained: u32,
    retention: Retention,
    /// Oldest first; ids strictly increasing.
    checkpoints: VecDeque<Arc<CompletedCheckpoint>>,
    /// Set by [`CompletedCheckpointStore::shutdown`]; the store is empty and takes no more.
    shut_down: bool,
    /// [`crate::variant::Variant::DeferredSubsumption`]: an add left its subsumption for later
    /// ([`CompletedCheckpointStore::add_deferred`]); the size rule holds again after
    /// [`CompletedCheckpointStore::subsume_deferred`].
    subsume_due: bool,
    /// The planted [`crate::variant::Variant::RestoreLexicallyLatest`] (FLINK-6284).
    lexical_order: bool,
    /// The planted [`crate::variant::Variant::RetainedDiscardedOnCancel`]: `RETAIN_ON_CANCELLATION`
    /// discards on CANCELED.
    discard_retained_on_cancel: bool,
    /// The planted [`crate::variant::Variant::SavepointDiscardedOnSubsume`]: a subsumed savepoint
    /// or external entry is discarded too.
    discard_unowned_on_subsume: bool,
    /// The planted [`crate::variant::Variant::SavepointEntersStore`]: 2.x admits its own
    /// savepoints as 1.11 does (the invariants that forbid them are relaxed under the plant).
    savepoints_admitted: bool,
    /// The planted [`crate::variant::Variant::RetainsOneFewer`]: subsumption keeps
    /// `num_retained - 1` entries (at least one).
    retains_one_fewer: bool,
    /// The planted [`crate::variant::Variant::RetainedDiscardedOnFailure`]: every retention
    /// discards the job's own checkpoints on FAILED.
    discard_retained_on_failure: bool,
}

impl CompletedCheckpointStore {
    /// `num_retained` >= 1 (validated config).
    pub fn new(num_retained: u32, retention: Retention, profile: Profile) -> Self {
        let s = CompletedCheckpointStore {
            profile,
            num_retained,
            retention,
            checkpoints: VecDeque::new(),
            shut_down: false,
            subsume_due: false,
            lexical_order: false,
            discard_retained_on_cancel: false,
            discard_unowned_on_subsume: false,
            savepoints_admitted: false,
            retains_one_fewer: false,
            discard_retained_on_failure: false,
        };
        s.invariants();
        s
    }

    /// The store under `variant`: the planted [`crate::variant::Variant::RestoreLexicallyLatest`]
    /// and [`crate::variant::Variant::RetainedDiscardedOnCancel`]; every other variant is
    /// Flink's store.
    pub fn with_variant(mut self, variant: crate::variant::Variant) -> Self {
        use crate::variant::Variant;
        self.lexical_order = variant == Variant::RestoreLexicallyLatest;
        self.discard_retained_on_cancel = variant == Variant::RetainedDiscardedOnCancel;
        self.discard_unowned_on_subsume = variant == Variant::SavepointDiscardedOnSubsume;
        self.savepoints_admitted = variant == Variant::SavepointEntersStore;
        self.retains_one_fewer = variant == Variant::RetainsOneFewer;
        self.discard_retained_on_failure = variant == Variant::RetainedDiscardedOnFailure;
        self
    }

    /// How many entries subsumption keeps: `num_retained`, one fewer (at least one) under the
    /// planted [`crate::variant::Variant::RetainsOneFewer`].
    fn keep(&self) -> usize {
        let n = self.num_retained as usize;
        if self.retains_one_fewer {
            n.saturating_sub(1).max(1)
        } else {
            n
        }
    }

    /// Adds a completed checkpoint and subsumes older ones. Ids increase in completion order,
    /// except in 1.11 where a savepoint (never subsumed by a checkpoint) may complete after a
    /// newer checkpoint: 1.11's store simply appends in completion order, and the latest entry
    /// is the one restored (found by the coordinator fuzz target). Returns the ids
    /// whose state was discarded by the subsumption, oldest first; entries that leave the store
    /// without being discarded (savepoints, external ones) are not listed.
    pub fn add(&mut self, cp: Arc<CompletedCheckpoint>) -> Vec<CheckpointId> {
        self.add_reporting(cp).1
    }

    /// [`Self::add`], also returning every entry that left the store (discarded or not: a
    /// savepoint or an external entry leaves without being discarded), oldest first:
    /// `(removed, discarded)`.
    pub fn add_reporting(&mut self, cp: Arc<CompletedCheckpoint>) -> (Vec<CheckpointId>, Vec<CheckpointId>) {
        self.push(cp);
        let out = self.subsume();
        self.invariants();
        out
    }

    /// The planted [`crate::variant::Variant::DeferredSubsumption`]: the checkpoint enters the
    /// store but nothing is subsumed until [`Self::subsume_deferred`] (Flink subsumes in the
    /// same call, `addCheckpointAndSubsumeOldestOne`).
    pub fn add_deferred(&mut self, cp: Arc<CompletedCheckpoint>) {
        self.push(cp);
        self.subsume_due = true;
        self.invariants();
    }

    /// The subsumption an [`Self::add_deferred`] left for later, if any: `(removed, discarded)`.
    pub fn subsume_deferred(&mut self) -> (Vec<CheckpointId>, Vec<CheckpointId>) {
        if !self.subsume_due || self.shut_down {
            return (Vec::new(), Vec::new());
        }
        let out = self.subsume();
        self.invariants();
        out
    }

    /// Subsumes per profile; clears a deferred subsumption. `(removed, discarded)`.
    fn subsume(&mut self) -> (Vec<CheckpointId>, Vec<CheckpointId>) {
        self.subsume_due = false;
        let removed =
            if self.profile.subsume_keeps_latest_checkpoint() { self.subsume_2x() } else { self.subsume_fifo() };
        // The planted `savepoint-discarded-on-subsume`: every subsumed entry is discarded.
        let unowned = self.discard_unowned_on_subsume;
        let discarded = removed.iter().filter(|c| unowned || c.discarded_on_subsume()).map(|c| c.id).collect();
        (removed.iter().map(|c| c.id).collect(), discarded)
    }

    /// Appends a checkpoint after checking its id and kind.
    fn push(&mut self, cp: Arc<CompletedCheckpoint>) {
        assert!(!self.shut_down, "store: add({}) after shutdown", cp.id);
        if let Some(latest) = self.checkpoints.back() {
            let late_1_11_savepoint = cp.is_savepoint() && self.savepoints_stored();
            assert!(
                cp.id > latest.id || late_1_11_savepoint,
                "store: added id {} not above the latest {}",
                cp.id,
                latest.id
            );
        }
        assert!(self.checkpoints.iter().all(|c| c.id != cp.id), "store: id {} added twice", cp.id);
        assert!(
            !cp.is_savepoint() || cp.external || self.savepoints_stored(),
            "store: savepoint {} added in {} (only restored savepoints enter the store since 1.15)",
            cp.id,
            self.profile
        );
        self.checkpoints.push_back(cp);
    }

    /// Whether own savepoints enter the store: 1.11, or 2.x under the planted
    /// [`crate::variant::Variant::SavepointEntersStore`].
    fn savepoints_stored(&self) -> bool {
        self.profile.savepoints_in_completed_store() || self.savepoints_admitted
    }

    /// 1.11: while more than N, drop the oldest.
    fn subsume_fifo(&mut self) -> Vec<Arc<CompletedCheckpoint>> {
        let mut removed = Vec::new();
        while self.checkpoints.len() > self.keep() {
            removed.extend(self.checkpoints.pop_front());
        }
        removed
    }

    /// 2.x `CheckpointSubsumeHelper.subsume`: walk oldest to newest while more than N, removing
    /// every entry that `canSubsume`.
    fn subsume_2x(&mut self) -> Vec<Arc<CompletedCheckpoint>> {
        let mut removed = Vec::new();
        if self.checkpoints.len() <= self.keep() {
            return removed;
        }
        let latest_id = self.checkpoints.back().map(|c| c.id);
        let latest_checkpoint_id = self.checkpoints.iter().rev().find(|c| !c.is_savepoint()).map(|c| c.id);
        let mut i = 0;
        while self.checkpoints.len() > self.keep() && i < self.checkpoints.len() {
            let c = &self.checkpoints[i];
            let can_subsume = if Some(c.id) == latest_id {
                false
            } else if c.is_savepoint() {
                true
            } else {
                // Don't remove the latest non-savepoint lest future incremental snapshots break.
                latest_checkpoint_id.is_some_and(|l| l != c.id)
            };
            if can_subsume {
                removed.extend(self.checkpoints.remove(i));
            } else {
                i += 1;
            }
        }
        removed
    }

    /// The newest retained entry: what a restart restores.
    pub fn latest(&self) -> Option<&Arc<CompletedCheckpoint>> {
        if self.lexical_order {
            // FLINK-6284 planted: the entry whose id sorts last as decimal text.
            return self.checkpoints.iter().max_by_key(|cp| cp.id.0.to_string());
        }
        self.checkpoints.back()
    }

    /// All retained entries, oldest first.
    pub fn retained(&self) -> Vec<Arc<CompletedCheckpoint>> {
        self.checkpoints.iter().cloned().collect()
    }

    /// Whether the store holds the checkpoint `id` (as [`CompletedCheckpointStore::retained`]
    /// lists it, without collecting the entries).
    pub fn holds(&self, id: CheckpointId) -> bool {
        self.checkpoints.iter().any(|c| c.id == id)
    }

    /// Completed checkpoints held.
    pub fn len(&self) -> usize {
        self.checkpoints.len()
    }

    /// Whether the store holds no checkpoint.
    pub fn is_empty(&self) -> bool {
        self.checkpoints.is_empty()
    }

    /// How many checkpoints the store keeps (`state.checkpoints.num-retained`).
    pub fn num_retained(&self) -> u32 {
        self.num_retained
    }

    /// What happens to the checkpoints when the job terminates (`externalized-checkpoint-retention`).
    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// Whether the job terminated and the store applied its retention.
    pub fn is_shut_down(&self) -> bool {
        self.shut_down
    }

    /// The job reached a terminal status (FINISHED, CANCELED, FAILED, SUSPENDED; anything else
    /// panics): discard what the retention policy says (§6 table; savepoints and external ones
    /// always kept) and empty the store. Returns (kept, discarded ids), oldest first.
    pub fn shutdown(&mut self, status: JobStatus) -> (Vec<Arc<CompletedCheckpoint>>, Vec<CheckpointId>) {
        assert!(status.is_terminal(), "store: shutdown with non-terminal status {status}");
        assert!(!self.shut_down, "store: shut down twice");
        let (discarded, kept): (Vec<_>, Vec<_>) = self.checkpoints.drain(..).partition(|c| {
            c.discarded_on_shutdown(self.retention, status)
                || (self.discard_retained_on_cancel
                    && self.retention == Retention::RetainOnCancellation
                    && status == JobStatus::Canceled
                    && !c.is_savepoint()
                    && !c.external)
                || (self.discard_retained_on_failure && status == JobStatus::Failed && !c.is_savepoint() && !c.external)
        });
        self.shut_down = true;
        self.subsume_due = false;
        self.invariants();
        (kept, discarded.into_iter().map(|c| c.id).collect())
    }

    /// Panics if the store's bookkeeping is inconsistent (ids not increasing, checkpoints left after shutdown).
    pub fn invariants(&self) {
        assert!(self.num_retained >= 1, "store: num_retained >= 1");
        assert!(!self.shut_down || self.checkpoints.is_empty(), "store: empty after shutdown");
        let mut prev: Option<CheckpointId> = None;
        for c in &self.checkpoints {
            let late_1_11_savepoint = c.is_savepoint() && self.savepoints_stored();
            assert!(
                prev.is_none_or(|p| c.id > p) || late_1_11_savepoint,
                "store: ids not strictly increasing at {}",
                c.id
            );
            prev = Some(c.id);
            assert!(
                !c.is_savepoint() || c.external || self.savepoints_stored(),
                "store: own savepoint {} retained in {}",
                c.id,
                self.profile
            );
        }
        let n = self.num_retained as usize;
        // (The planted deferred subsumption: the size rule holds once it ran.)
        if self.subsume_due {
            return;
        }
        if self.profile.subsume_keeps_latest_checkpoint() {
            // Beyond N only protected entries remain: the newest and the latest checkpoint.
            if self.checkpoints.len() > n {
                let latest_id = self.checkpoints.back().map(|c| c.id);
                let latest_checkpoint_id = self.checkpoints.iter().rev().find(|c| !c.is_savepoint()).map(|c| c.id);
                assert!(
                    self.checkpoints.iter().all(|c| Some(c.id) == latest_id || Some(c.id) == latest_checkpoint_id),
                    "store: {} retained > {n} with an unprotected entry",
                    self.checkpoints.len()
                );
            }
        } else {
            assert!(self.checkpoints.len() <= n, "store: {} retained > {n}", self.checkpoints.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CheckpointKind::{Checkpoint, Savepoint};
    use JobStatus::{Canceled, Failed, Finished, Suspended};
    use Profile::{Flink111, Flink23};
    use Retention::{DeleteOnCancellation, NoExternalizedCheckpoints, RetainOnCancellation};

    fn cp(id: u64, kind: CheckpointKind, external: bool) -> Arc<CompletedCheckpoint> {
        Arc::new(CompletedCheckpoint {
            id: CheckpointId(id),
            kind,
            trigger_ms: id * 1_000,
            completed_ms: id * 1_000 + 10,
            tasks: BTreeMap::from([(TaskId(0), TaskSnapshot { padding_bytes: id, ..TaskSnapshot::default() })]),
            size_bytes: id,
            external,
        })
    }

    /// An entry by shorthand: `c` own checkpoint, `s` own savepoint, `x` external checkpoint,
    /// `y` external savepoint.
    fn entry(tag: char, id: u64) -> Arc<CompletedCheckpoint> {
        match tag {
            'c' => cp(id, Checkpoint, false),
            's' => cp(id, Savepoint, false),
            'x' => cp(id, Checkpoint, true),
            'y' => cp(id, Savepoint, true),
            _ => unreachable!("unknown entry tag {tag}"),
        }
    }

    fn ids(v: &[Arc<CompletedCheckpoint>]) -> Vec<u64> {
        v.iter().map(|c| c.id.0).collect()
    }

    /// One add: `(tag, id, discarded ids, retained ids afterwards)`.
    type Add = (char, u64, &'static [u64], &'static [u64]);

    struct SubsumeCase {
        name: &'static str,
        profiles: &'static [Profile],
        num_retained: u32,
        adds: &'static [Add],
    }

    fn check(case: &SubsumeCase) {
        for &profile in case.profiles {
            let mut store = CompletedCheckpointStore::new(case.num_retained, NoExternalizedCheckpoints, profile);
            for &(tag, id, discarded, retained) in case.adds {
                let at = format!("case `{}` ({profile}), add {tag}{id}", case.name);
                let got: Vec<u64> = store.add(entry(tag, id)).iter().map(|c| c.0).collect();
                assert_eq!(got, discarded, "{at}: discarded");
                assert_eq!(ids(&store.retained()), retained, "{at}: retained");
                for d in discarded.iter().chain(retained) {
                    assert_eq!(store.holds(CheckpointId(*d)), retained.contains(d), "{at}: holds {d}");
                }
                assert_eq!(store.latest().map(|c| c.id.0), Some(id), "{at}: latest is the newest");
                assert_eq!((store.len(), store.is_empty()), (retained.len(), false), "{at}: (len, is_empty)");
                assert_eq!(
                    (store.num_retained(), store.retention(), store.is_shut_down()),
                    (case.num_retained, NoExternalizedCheckpoints, false),
                    "{at}: (num_retained, retention, shut down)"
                );
            }
        }
    }

    const BOTH: &[Profile] = &[Flink111, Flink23];

    #[test]
    fn subsumption() {
        let cases = [
            SubsumeCase {
                name: "num-retained 1 keeps the newest",
                profiles: BOTH,
                num_retained: 1,
                adds: &[('c', 1, &[], &[1]), ('c', 2, &[1], &[2]), ('c', 3, &[2], &[3])],
            },
            SubsumeCase {
                name: "num-retained 2",
                profiles: BOTH,
                num_retained: 2,
                adds: &[('c', 1, &[], &[1]), ('c', 2, &[], &[1, 2]), ('c', 3, &[1], &[2, 3]), ('c', 5, &[2], &[3, 5])],
            },
            SubsumeCase {
                name: "1.11: own savepoints count toward N and leave without being discarded",
                profiles: &[Flink111],
                num_retained: 2,
                adds: &[('c', 1, &[], &[1]), ('s', 2, &[], &[1, 2]), ('c', 3, &[1], &[2, 3]), ('c', 4, &[], &[3, 4])],
            },
            SubsumeCase {
                name: "1.11: FIFO drops the only checkpoint behind a newer savepoint",
                profiles: &[Flink111],
                num_retained: 1,
                adds: &[('c', 1, &[], &[1]), ('s', 2, &[1], &[2]), ('c', 3, &[], &[3])],
            },
            // Same inputs (restored savepoints), different answers.
            SubsumeCase {
                name: "1.11: FIFO behind a restored savepoint",
                profiles: &[Flink111],
                num_retained: 1,
                adds: &[('c', 1, &[], &[1]), ('y', 2, &[1], &[2]), ('y', 3, &[], &[3]), ('c', 4, &[], &[4])],
            },
            SubsumeCase {
                name: "2.3: the latest checkpoint survives savepoints",
                profiles: &[Flink23],
                num_retained: 1,
                adds: &[('c', 1, &[], &[1]), ('y', 2, &[], &[1, 2]), ('y', 3, &[], &[1, 3]), ('c', 4, &[1], &[4])],
            },
            SubsumeCase {
                name: "2.3: savepoints are removed before a protected checkpoint",
                profiles: &[Flink23],
                num_retained: 2,
                adds: &[('c', 1, &[], &[1]), ('y', 2, &[], &[1, 2]), ('c', 3, &[1], &[2, 3]), ('c', 4, &[], &[3, 4])],
            },
            SubsumeCase {
                name: "external checkpoints leave the store but are never discarded",
                profiles: BOTH,
                num_retained: 1,
                adds: &[('x', 5, &[], &[5]), ('c', 6, &[], &[6]), ('c', 7, &[6], &[7])],
            },
        ];
        cases.iter().for_each(check);
    }

    /// Retention × terminal status (§6 table): own checkpoints kept or discarded; savepoints and
    /// external entries always kept; the store is empty afterwards.
    #[test]
    fn retention_on_shutdown() {
        // (retention, status, own checkpoints kept)
        let table: &[(Retention, JobStatus, bool)] = &[
            (NoExternalizedCheckpoints, Finished, false),
            (NoExternalizedCheckpoints, Canceled, false),
            (NoExternalizedCheckpoints, Failed, false),
            (NoExternalizedCheckpoints, Suspended, false),
            (DeleteOnCancellation, Finished, false),
            (DeleteOnCancellation, Canceled, false),
            (DeleteOnCancellation, Failed, true),
            (DeleteOnCancellation, Suspended, false),
            (RetainOnCancellation, Finished, false),
            (RetainOnCancellation, Canceled, true),
            (RetainOnCancellation, Failed, true),
            (RetainOnCancellation, Suspended, true),
        ];
        for &(retention, status, own_kept) in table {
            for profile in Profile::ALL {
                // x1 external checkpoint, y2 restored savepoint, c3 c4 own checkpoints, and in
                // 1.11 an own savepoint s5 (2.3 does not store them) followed by c6.
                let entries: &[(char, u64)] = match profile {
                    Flink111 => &[('x', 1), ('y', 2), ('c', 3), ('c', 4), ('s', 5), ('c', 6)],
                    Flink23 => &[('x', 1), ('y', 2), ('c', 3), ('c', 4), ('c', 6)],
                };
                let mut store = CompletedCheckpointStore::new(10, retention, profile);
                for &(tag, id) in entries {
                    assert!(store.add(entry(tag, id)).is_empty());
                }
                let own: Vec<u64> = entries.iter().filter(|(t, _)| *t == 'c').map(|&(_, id)| id).collect();
                let (want_kept, want_discarded): (Vec<u64>, Vec<u64>) = if own_kept {
                    (entries.iter().map(|&(_, id)| id).collect(), vec![])
                } else {
                    (entries.iter().filter(|(t, _)| *t != 'c').map(|&(_, id)| id).collect(), own)
                };
                let at = format!("{retention:?} on {status} ({profile})");
                assert_eq!((store.retention(), store.is_shut_down()), (retention, false), "{at}: before shutdown");
                let (kept, discarded) = store.shutdown(status);
                assert_eq!(ids(&kept), want_kept, "{at}: kept");
                assert_eq!(discarded.iter().map(|c| c.0).collect::<Vec<_>>(), want_discarded, "{at}: discarded");
                assert!(store.is_empty() && store.latest().is_none() && store.is_shut_down(), "{at}: emptied");
            }
        }
    }

    /// The retention table entry by entry, including statuses that are not terminal.
    #[test]
    fn discarded_on_shutdown_table() {
        let own = cp(1, Checkpoint, false);
        for retention in [NoExternalizedCheckpoints, DeleteOnCancellation, RetainOnCancellation] {
            for status in [JobStatus::Created, JobStatus::Running, JobStatus::Restarting, JobStatus::Failing] {
                assert!(!own.discarded_on_shutdown(retention, status), "{retention:?} {status}");
            }
            for other in [cp(1, Savepoint, false), cp(1, Checkpoint, true), cp(1, Savepoint, true)] {
                for status in [Finished, Canceled, Failed, Suspended] {
                    assert!(!other.discarded_on_shutdown(retention, status), "{retention:?} {status} {other:?}");
                }
            }
        }
    }

    /// The invariants are a checker: ids out of order (a checkpoint in either profile, a
    /// restored savepoint in 2.x; only a 1.11 savepoint may complete late), more than N entries
    /// (1.11) or unprotected ones (2.x), or an own savepoint kept by a 2.x store are reported.
    #[test]
    fn invariants_catch_a_corrupt_state() {
        let corrupt = |profile: Profile, num_retained: u32, entries: &[(char, u64)]| {
            let mut store = CompletedCheckpointStore::new(num_retained, NoExternalizedCheckpoints, profile);
            store.checkpoints = entries.iter().map(|&(tag, id)| entry(tag, id)).collect();
            std::panic::catch_unwind(|| store.invariants()).is_err()
        };
        // (profile, num-retained, entries, reported, what)
        type Row = (Profile, u32, &'static [(char, u64)], bool, &'static str);
        let table: &[Row] = &[
            (Flink23, 10, &[('c', 2), ('c', 1)], true, "2.x: checkpoint ids decreasing"),
            (Flink111, 10, &[('c', 2), ('c', 1)], true, "1.11: checkpoint ids decreasing"),
            (Flink23, 10, &[('y', 2), ('y', 1)], true, "2.x: restored savepoint ids decreasing"),
            (Flink111, 10, &[('c', 2), ('s', 1)], false, "1.11: a savepoint completing after a newer checkpoint"),
            (Flink111, 1, &[('c', 1), ('c', 2)], true, "1.11: two entries with num-retained 1"),
            (Flink23, 1, &[('c', 1), ('c', 2), ('c', 3)], true, "2.x: an unprotected entry beyond N"),
            (Flink23, 1, &[('c', 1), ('y', 2)], false, "2.x: latest checkpoint + newest restored savepoint"),
            (Flink23, 10, &[('s', 1)], true, "2.x: an own savepoint"),
        ];
        for &(profile, num_retained, entries, reported, what) in table {
            assert_eq!(corrupt(profile, num_retained, entries), reported, "{what} ({profile}): reported");
        }
        let mut store = CompletedCheckpointStore::new(1, NoExternalizedCheckpoints, Flink23);
        store.shutdown(Failed);
        store.checkpoints.push_back(entry('c', 1));
        assert!(std::panic::catch_unwind(|| store.invariants()).is_err(), "an entry after shutdown: reported");
    }

    #[test]
    #[should_panic(expected = "non-terminal")]
    fn shutdown_requires_terminal_status() {
        CompletedCheckpointStore::new(1, NoExternalizedCheckpoints, Flink23).shutdown(JobStatus::Running);
    }

    #[test]
    #[should_panic(expected = "only restored savepoints")]
    fn own_savepoint_in_2x_store_panics() {
        CompletedCheckpointStore::new(1, NoExternalizedCheckpoints, Flink23).add(cp(1, Savepoint, false));
    }

    #[test]
    #[should_panic(expected = "not above the latest")]
    fn ids_must_increase() {
        let mut s = CompletedCheckpointStore::new(3, NoExternalizedCheckpoints, Flink111);
        s.add(cp(2, Checkpoint, false));
        s.add(cp(2, Checkpoint, false));
    }

    #[test]
    #[should_panic(expected = "after shutdown")]
    fn add_after_shutdown_panics() {
        let mut s = CompletedCheckpointStore::new(3, NoExternalizedCheckpoints, Flink111);
        s.shutdown(Finished);
        s.add(cp(1, Checkpoint, false));
    }

    /// Regression (found by the coordinator fuzz target): in 1.11 a savepoint that completes
    /// after a newer checkpoint is appended in completion order and becomes the latest entry.
    #[test]
    fn late_savepoint_in_1_11_is_appended() {
        let mut s = CompletedCheckpointStore::new(3, Retention::NoExternalizedCheckpoints, Profile::Flink111);
        s.add(cp(49, CheckpointKind::Checkpoint, false));
        s.add(cp(48, CheckpointKind::Savepoint, false));
        assert_eq!(s.latest().map(|c| c.id), Some(CheckpointId(48)));
        assert_eq!(s.retained().iter().map(|c| c.id.0).collect::<Vec<_>>(), vec![49, 48]);
    }

    #[test]
    fn savepoint_discarded_on_subsume_plant_discards_what_the_job_does_not_own() {
        use crate::variant::Variant;
        for (variant, want) in
            [(Variant::Correct, vec![]), (Variant::SavepointDiscardedOnSubsume, vec![CheckpointId(2)])]
        {
            let mut s = CompletedCheckpointStore::new(1, Retention::NoExternalizedCheckpoints, Profile::Flink111)
                .with_variant(variant);
            s.add(cp(2, CheckpointKind::Savepoint, false));
            let (removed, discarded) = s.add_reporting(cp(3, CheckpointKind::Checkpoint, false));
            assert_eq!((removed, discarded), (vec![CheckpointId(2)], want), "{variant}");
        }
    }
}
