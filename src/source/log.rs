//! One subtask of a Kafka-like source: checkpointed offsets, union-list-state restore and offset commits (semantics §5).

use super::{StartupMode, COMMITTED_MARKER, NOTHING_READ};
use crate::ids::{CheckpointId, Offset, PartitionId};
use crate::record::{LogRecord, Record};
use crate::state::OperatorState;
use crate::{Profile, Variant};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Kafka's periodic auto-commit (checkpointing off).
#[derive(Clone, Debug, Hash, PartialEq)]
pub(super) struct AutoCommit {
    pub(super) interval_ms: u64,
    pub(super) next_at_ms: u64,
    /// What the last auto-commit sent (unchanged positions are not re-sent).
    pub(super) last: BTreeMap<PartitionId, Offset>,
}

/// One subtask of a Kafka-like source (see the module doc).
#[derive(Clone, Debug, Hash)]
pub struct LogSource {
    pub(super) subtask: u32,
    parallelism: u32,
    partitions: u32,
    profile: Profile,
    startup: StartupMode,
    variant: Variant,
    initialized: bool,
    /// Next offset to read, per owned partition (the fetch position).
    pub(super) positions: BTreeMap<PartitionId, Offset>,
    /// Offsets to commit per snapshotted checkpoint, in snapshot (insertion) order, in the form
    /// the snapshot stores them (1.11: last read; 2.x: next to read).
    pending: VecDeque<(CheckpointId, BTreeMap<PartitionId, Offset>)>,
    pub(super) auto_commit: Option<AutoCommit>,
    /// Partitions with a real starting offset: restored above 0, a record emitted, or started
    /// `latest` (resolved by the enumerator; see `start_of`). 2.x's KafkaSourceReader commits
    /// only those: a split still at its startup marker (earliest/committed, negative in Flink)
    /// is skipped in `snapshotState`.
    started: BTreeSet<PartitionId>,
    /// 2.x `group-offsets` splits still at Flink's `COMMITTED_OFFSET` marker: their position is
    /// the group's committed offset the reader resolved, and no record was emitted since.
    /// Snapshots store them as [`COMMITTED_MARKER`] (a restore resolves the committed offset
    /// again); never committed. Empty under 1.11 (its consumer thread resolves the sentinel to a
    /// real offset, `KafkaConsumerThread#reassignPartitions`).
    at_committed_marker: BTreeSet<PartitionId>,
    /// `commit.offsets.on.checkpoint` (2.x) / `setCommitOffsetsOnCheckpoints` (1.11); default
    /// true. False: completed checkpoints commit nothing (commit mode DISABLED).
    pub(super) commit_on_checkpoint: bool,
    /// The partitions this subtask reads when a restore decided them (2.x: the splits of its
    /// own restored list state, [`LogSource::assign_partitions`]); None: the owner rule
    /// (`crate::rescale::kafka_split_owner` of the topic's name).
    assigned: Option<BTreeSet<PartitionId>>,
    /// The first partition of this source's topic: it reads `first..first + partitions` of the
    /// broker's log (several sources, semantics §14); 0 for the one source of a linear job.
    first: u32,
    /// The topic's start index among this source's readers: the subtask that reads the topic's
    /// partition 0, `((topic.hashCode() * 31) & 0x7FFFFFFF) % parallelism`
    /// ([`LogSource::set_topic`]); 0 until set (a name whose hash is 0).
    start_index: u32,
}

impl LogSource {
    /// Subtask `subtask` of `parallelism` over a topic of `partitions` partitions, starting as `startup` says once initialized (restored, or from the committed offsets), with the profile's split rules and a protocol variant.
    pub fn new(
        subtask: u32,
        parallelism: u32,
        partitions: u32,
        profile: Profile,
        startup: StartupMode,
        variant: Variant,
    ) -> Self {
        assert!(parallelism >= 1 && subtask < parallelism, "subtask {subtask} of parallelism {parallelism}");
        let s = LogSource {
            subtask,
            parallelism,
            partitions,
            profile,
            startup,
            variant,
            initialized: false,
            positions: BTreeMap::new(),
            pending: VecDeque::new(),
            auto_commit: None,
            started: BTreeSet::new(),
            at_committed_marker: BTreeSet::new(),
            commit_on_checkpoint: true,
            assigned: None,
            first: 0,
            start_index: 0,
        };
        s.invariants();
        s
    }

    /// Before [`LogSource::initialize`]: this source's topic is the broker's partitions
    /// `first..first + partitions` (several sources share one log, each its own range). The
    /// owner rule counts from the topic's first partition.
    pub fn set_first_partition(&mut self, first: u32) {
        assert!(!self.initialized, "source subtask {}: topic set after initialize", self.subtask);
        self.first = first;
    }

    /// Before [`LogSource::initialize`]: the topic's name, whose Java `hashCode` decides which
    /// subtask reads the topic's partition 0 (Flink's `KafkaSourceEnumerator#getSplitOwner`,
    /// 1.11's `KafkaTopicPartitionAssigner#assign`); the next partitions follow round robin.
    pub fn set_topic(&mut self, name: &str) {
        assert!(!self.initialized, "source subtask {}: topic named after initialize", self.subtask);
        self.start_index = crate::rescale::kafka_topic_start_index(name, self.parallelism);
        self.invariants();
    }

    /// The broker partitions of this source's topic.
    pub fn topic(&self) -> std::ops::Range<u32> {
        self.first..self.first + self.partitions
    }

    /// Before [`LogSource::initialize`]: read exactly these partitions (2.x after a restore:
    /// the splits in this subtask's own restored list state plus the partitions no restored
    /// state holds that the owner rule gives it; `rescale::restored_source_partitions`).
    pub fn assign_partitions(&mut self, partitions: BTreeSet<PartitionId>) {
        assert!(!self.initialized, "source subtask {}: partitions assigned after initialize", self.subtask);
        assert!(partitions.iter().all(|p| self.topic().contains(&p.0)), "assigned partition out of range");
        self.assigned = Some(partitions);
        self.invariants();
    }

    /// `commit.offsets.on.checkpoint = false` (2.x) / `setCommitOffsetsOnCheckpoints(false)`
    /// (1.11): checkpoint completions commit nothing; the offsets live only in the checkpoints.
    pub fn disable_commit_on_checkpoint(&mut self) {
        self.commit_on_checkpoint = false;
        self.pending.clear();
        self.invariants();
    }

    /// Whether this subtask reads partition `p`: the topic's partition `p - first` by the owner
    /// rule (`(start_index + p - first) % parallelism == subtask`, the topic's partitions round
    /// robin from its start index), or the partitions a restore assigned.
    pub fn owns(&self, p: PartitionId) -> bool {
        self.topic().contains(&p.0)
            && match &self.assigned {
                Some(a) => a.contains(&p),
                None => {
                    let in_topic = PartitionId(p.0 - self.first);
                    crate::rescale::kafka_partition_owner(self.start_index, in_topic, self.parallelism) == self.subtask
                }
            }
    }

    /// `restored`: the source states of ALL subtasks of the restored checkpoint (union list state), None when there is no checkpoint.
    /// `committed`: the broker's committed group offsets; `log_end`: next offset to be written per partition (for Latest). Restored partitions resume exactly after what the checkpoint says; partitions missing from the restored state start at Earliest; without restore the startup mode decides (GroupOffsets falls back to Earliest when nothing is committed).
    ///
    /// Panics if a restored state is neither [`OperatorState::SourceOffsets`] nor
    /// [`OperatorState::None`] or two states disagree
    /// on a partition (host bugs).
    pub fn initialize(
        &mut self,
        restored: Option<&[&OperatorState]>,
        committed: &BTreeMap<PartitionId, Offset>,
        log_end: &BTreeMap<PartitionId, Offset>,
    ) {
        assert!(!self.initialized, "source subtask {} initialized twice", self.subtask);
        let union: Option<BTreeMap<PartitionId, Offset>> = restored.map(|states| {
            let mut union = BTreeMap::new();
            // `OperatorState::None`: a subtask FINISHED before any checkpoint stored no offsets
            // (a rescaled checkpoint's empty slot, `rescale::carry_fully_finished`).
            for st in states.iter().filter(|st| !matches!(st, OperatorState::None)) {
                let OperatorState::SourceOffsets(m) = st else { panic!("restoring a log source from {st:?}") };
                for (p, o) in m {
                    if let Some(prev) = union.insert(*p, *o) {
                        assert_eq!(prev, *o, "restored union state has two offsets for {p}");
                    }
                }
            }
            union
        });
        // The planted `source-restarts-from-earliest` ignores the restored offsets and the
        // committed group offsets alike.
        let (union, startup) = if self.variant == Variant::SourceRestartsFromEarliest {
            (None, StartupMode::Earliest)
        } else {
            (union, self.startup)
        };
        let owned: Vec<PartitionId> = self.topic().map(PartitionId).filter(|p| self.owns(*p)).collect();
        for p in owned {
            let (start, real) = self.start_of(p, union.as_ref(), startup, committed, log_end);
            if real {
                self.started.insert(p);
            }
            // 2.x: a fresh `group-offsets` split, or a restored one still at the marker, holds
            // `COMMITTED_OFFSET` until it emits a record.
            let restored = union.as_ref().map(|u| u.get(&p).copied());
            let marker = match restored {
                None => startup == StartupMode::GroupOffsets,
                Some(o) => o == Some(COMMITTED_MARKER),
            };
            if marker && !self.profile.kafka_state_is_last_read() {
                self.at_committed_marker.insert(p);
            }
            self.positions.insert(p, start);
        }
        self.initialized = true;
        self.invariants();
    }

    /// Where partition `p` starts, and whether that is a real offset 2.x commits before a record
    /// is read (the split state's starting offset is `>= 0`, `KafkaSourceReader#snapshotState`).
    ///
    /// A restored partition resumes at its restored offset; a partition missing from the
    /// restored state starts at the earliest offset. Without a restore the startup mode decides.
    /// 2.x: `earliest` and `group-offsets` are reader-handled markers (`EARLIEST_OFFSET`,
    /// `COMMITTED_OFFSET`) until a record is emitted, also in a checkpoint, so a restored
    /// position of 0 is still a marker and one above 0 is a real offset. `latest` is resolved by
    /// the enumerator (`LatestOffsetsInitializer`: the partition's end offset, FLINK-28303), so
    /// the split holds a real offset from the start, read or not, 0 for an empty partition, and
    /// so does its restored position. The planted `restored-latest-seeks-to-end` resumes a
    /// restored `latest` split at the log end instead (the marker's re-resolution of the
    /// connector before FLINK-28303, here for every restored `latest` split).
    fn start_of(
        &self,
        p: PartitionId,
        union: Option<&BTreeMap<PartitionId, Offset>>,
        startup: StartupMode,
        committed: &BTreeMap<PartitionId, Offset>,
        log_end: &BTreeMap<PartitionId, Offset>,
    ) -> (Offset, bool) {
        let latest_is_real = startup == StartupMode::Latest && !self.profile.kafka_state_is_last_read();
        let end = || log_end.get(&p).copied().unwrap_or(Offset(0));
        match union {
            Some(u) => match u.get(&p) {
                Some(_) if latest_is_real && self.variant == Variant::RestoredLatestSeeksToEnd => (end(), true),
                // 2.x: a split still at the committed-offset marker resolves it again: the
                // group's committed offset now (earliest when nothing is committed).
                Some(o) if *o == COMMITTED_MARKER => (committed.get(&p).copied().unwrap_or(Offset(0)), false),
                Some(o) => (self.resume_from(*o), o.0 > 0 || latest_is_real),
                None => (Offset(0), false),
            },
            None => match startup {
                StartupMode::GroupOffsets => (committed.get(&p).copied().unwrap_or(Offset(0)), false),
                StartupMode::Earliest => (Offset(0), false),
                StartupMode::Latest if self.variant == Variant::LatestStartsAtEarliest => (Offset(0), latest_is_real),
                StartupMode::Latest => (end(), latest_is_real),
            },
        }
    }

    /// Next offset to read, per owned partition.
    pub fn positions(&self) -> &BTreeMap<PartitionId, Offset> {
        &self.positions
    }

    /// Checkpoint ids with offsets waiting for their completion notification, oldest first.
    pub fn pending_checkpoints(&self) -> impl Iterator<Item = CheckpointId> + '_ {
        self.pending.iter().map(|(id, _)| *id)
    }

    /// A fetched record was emitted downstream: advance the position. Returns the stream Record.
    ///
    /// The host fetches from [`LogSource::positions`]; a record of a partition this subtask does
    /// not own, or before the position (a re-emission within one attempt), is a host bug.
    pub fn handle_record(&mut self, rec: &LogRecord) -> Record {
        let pos = self
            .positions
            .get_mut(&rec.partition)
            .unwrap_or_else(|| panic!("source subtask {} got {} which it does not read", self.subtask, rec.partition));
        assert!(rec.offset >= *pos, "{}{} emitted again (position {pos})", rec.partition, rec.offset);
        *pos = rec.offset.next();
        self.started.insert(rec.partition);
        self.at_committed_marker.remove(&rec.partition);
        Record { value: rec.value.clone(), lineage: rec.lineage, timestamp: rec.timestamp }
    }

    /// Snapshot for checkpoint `id`. Profile: 1.11 stores the *last read* offset (sentinel when nothing read), 2.3 the *next to read*; both remember `pending_commits[id]` (1.11 capped at 100 entries, oldest dropped). Variant::CommitOffsetsOnSnapshot: return the offsets to commit immediately (deliberate bug).
    ///
    /// The variant commits *instead of* remembering the pending commit (its notification then
    /// commits nothing). With auto-commit enabled nothing is remembered either (`KAFKA_PERIODIC`).
    pub fn snapshot(&mut self, id: CheckpointId) -> (OperatorState, Option<BTreeMap<PartitionId, Offset>>) {
        assert!(self.initialized, "snapshot of an uninitialized source");
        // 2.x keeps a `group-offsets` split that emitted nothing at its marker.
        let stored: BTreeMap<PartitionId, Offset> = (self.positions.iter())
            .map(|(p, o)| {
                (*p, if self.at_committed_marker.contains(p) { COMMITTED_MARKER } else { self.stored_form(*o) })
            })
            .collect();
        let mut commit_now = None;
        // 2.x commits only partitions with a real starting offset (KafkaSourceReader skips
        // splits whose offset is still a startup marker); 1.11 stores the never-read sentinel,
        // which its commit filters out.
        // The planted `commit-unread-partition` skips the filter (and commits a marker split's
        // resolved position). Built only when a commit is remembered or made (one map less per
        // snapshot than building the resolved positions first).
        let every_partition = self.profile.kafka_state_is_last_read() || self.variant == Variant::CommitUnreadPartition;
        let to_commit = || -> BTreeMap<PartitionId, Offset> {
            (self.positions.iter())
                .filter(|(p, _)| every_partition || self.started.contains(p))
                .map(|(p, o)| (*p, self.stored_form(*o)))
                .collect()
        };
        if self.auto_commit.is_none() && self.commit_on_checkpoint {
            let to_commit = to_commit();
            if self.variant == Variant::CommitOffsetsOnSnapshot {
                commit_now = self.commit_form(to_commit);
            } else if let Some(entry) = self.pending.iter_mut().find(|(c, _)| *c == id) {
                // A repeated id replaces the value in place (LinkedMap / TreeMap `put`).
                entry.1 = to_commit;
            } else {
                self.pending.push_back((id, to_commit));
                if let Some(cap) = self.profile.kafka_pending_commits_cap() {
                    while self.pending.len() > cap {
                        self.pending.pop_front();
                    }
                }
            }
        }
        self.invariants();
        (OperatorState::SourceOffsets(stored), commit_now)
    }

    /// Returns the offsets to commit to the broker (always the next offset to read: 1.11 last-read + 1, 2.3 as stored), removing `id` and all older entries; unknown id -> None; (2.3: empty map -> None but entries <= id dropped).
    ///
    /// "Older": 1.11 drops the entries inserted before `id` (a `LinkedMap`), 2.x every entry
    /// with a smaller id (a `TreeMap`); the same unless snapshots arrived out of id order. Both
    /// return None for an empty map (1.11: "Checkpoint state was empty") and skip 1.11's
    /// never-read sentinel; an all-sentinel map also yields None.
    pub fn notify_checkpoint_complete(&mut self, id: CheckpointId) -> Option<BTreeMap<PartitionId, Offset>> {
        let pos = self.pending.iter().position(|(c, _)| *c == id)?;
        let (_, stored) = self.pending.remove(pos).expect("position is in range");
        if self.variant == Variant::NotifyKeepsOlderOffsets {
            // The planted `notify-keeps-older-offsets`: only the notified entry leaves, so a
            // late notification of an older checkpoint still finds its (older) offsets.
        } else if self.profile.kafka_prunes_pending_by_insertion_order() {
            self.pending.drain(..pos);
        } else {
            self.pending.retain(|(c, _)| *c > id);
        }
        // The planted `commit-position-on-notify`: the partitions of the snapshot, at the
        // position the source reads now.
        let stored = if self.variant == Variant::CommitPositionOnNotify {
            stored.keys().map(|p| (*p, self.positions.get(p).map_or(stored[p], |o| self.stored_form(*o)))).collect()
        } else {
            stored
        };
        let commit = self.commit_form(stored);
        self.invariants();
        commit
    }

    /// Both profiles ignore aborts: the entry stays until a later completion prunes it, and
    /// nothing is committed (`None`). The planted [`Variant::OffsetsCommittedOnAbort`] acts as
    /// [`Self::notify_checkpoint_complete`] and returns the aborted checkpoint's offsets.
    pub fn notify_checkpoint_aborted(&mut self, id: CheckpointId) -> Option<BTreeMap<PartitionId, Offset>> {
        if self.variant == Variant::OffsetsCommittedOnAbort {
            return self.notify_checkpoint_complete(id);
        }
        self.invariants();
        None
    }

    /// Checkpointing is off and the consumer auto-commits every `interval_ms` (see the module
    /// doc). Snapshots no longer remember pending commits.
    pub fn enable_auto_commit(&mut self, now_ms: u64, interval_ms: u64) {
        assert!(interval_ms > 0, "auto-commit interval must be positive");
        self.pending.clear();
        self.auto_commit = Some(AutoCommit { interval_ms, next_at_ms: now_ms + interval_ms, last: BTreeMap::new() });
        self.invariants();
    }

    /// The next auto-commit deadline, if auto-commit is on.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.auto_commit.as_ref().map(|a| a.next_at_ms)
    }

    /// The auto-commit timer: at or after the deadline, returns the current positions (next to
    /// read) if they changed since the last auto-commit, and re-arms `interval_ms` from now.
    pub fn handle_timeout(&mut self, now_ms: u64) -> Option<BTreeMap<PartitionId, Offset>> {
        let a = self.auto_commit.as_mut()?;
        if now_ms < a.next_at_ms {
            return None;
        }
        a.next_at_ms = now_ms + a.interval_ms;
        let out = if a.last == self.positions {
            None
        } else {
            a.last = self.positions.clone();
            Some(a.last.clone())
        };
        self.invariants();
        out
    }

    /// Panics if the source's state is inconsistent (state before initialization, positions of partitions it does not own).
    pub fn invariants(&self) {
        assert!(self.parallelism >= 1 && self.subtask < self.parallelism);
        assert!(
            self.start_index < self.parallelism,
            "start index {} of {} readers",
            self.start_index,
            self.parallelism
        );
        if !self.initialized {
            assert!(self.positions.is_empty() && self.pending.is_empty(), "state before initialize");
            return;
        }
        let owned = self.topic().filter(|p| self.owns(PartitionId(*p))).count();
        assert_eq!(self.positions.len(), owned, "one position per owned partition");
        assert!(self.positions.keys().all(|p| self.owns(*p)));
        if let Some(cap) = self.profile.kafka_pending_commits_cap() {
            assert!(self.pending.len() <= cap, "{} pending commits > cap {cap}", self.pending.len());
        }
        if self.variant == Variant::CommitOffsetsOnSnapshot || self.auto_commit.is_some() || !self.commit_on_checkpoint
        {
            assert!(self.pending.is_empty(), "pending commits without on-checkpoint commit mode");
        }
        assert!(self.started.iter().all(|p| self.positions.contains_key(p)), "started partition not owned");
        assert!(
            self.at_committed_marker.iter().all(|p| self.positions.contains_key(p) && !self.started.contains(p)),
            "a committed-offset marker split not owned, or started"
        );
        assert!(
            self.at_committed_marker.is_empty() || !self.profile.kafka_state_is_last_read(),
            "1.11 keeps no committed-offset marker"
        );
        for (n, (id, stored)) in self.pending.iter().enumerate() {
            assert!(self.pending.iter().skip(n + 1).all(|(c, _)| c != id), "checkpoint {id} pending twice");
            for (p, o) in stored {
                let pos = self.positions.get(p).unwrap_or_else(|| panic!("pending commit for foreign {p}"));
                assert!(self.resume_from(*o) <= *pos, "pending commit {p}{o} ahead of position {pos}");
            }
        }
    }

    /// The offset a snapshot stores for fetch position `next`.
    fn stored_form(&self, next: Offset) -> Offset {
        if self.profile.kafka_state_is_last_read() {
            Offset(next.0.wrapping_sub(1))
        } else {
            next
        }
    }

    /// The fetch position for a stored offset (inverse of `stored_form`).
    fn resume_from(&self, stored: Offset) -> Offset {
        let next = Offset(stored.0.wrapping_add(1));
        if self.profile.kafka_state_is_last_read() && self.variant == Variant::RestoreRereadsLastRecord {
            // The planted bug: seek to the stored (last read) offset; the sentinel still wraps.
            if next.0 == 0 {
                next
            } else {
                stored
            }
        } else if self.profile.kafka_state_is_last_read() {
            next
        } else {
            stored
        }
    }

    /// What to send to the broker for a stored map: next to read, without 1.11's sentinel.
    /// Rewritten in place (2.x stores the next offset to read: the map itself, no copy).
    fn commit_form(&self, mut stored: BTreeMap<PartitionId, Offset>) -> Option<BTreeMap<PartitionId, Offset>> {
        if self.profile.kafka_state_is_last_read() {
            if self.variant != Variant::CommitUnreadPartition {
                stored.retain(|_, o| *o != NOTHING_READ);
            }
            // FLINK-4618 planted: 1.11 commits the last processed offset itself.
            if self.variant != Variant::CommittedOffsetIsLastRead {
                for o in stored.values_mut() {
                    *o = self.resume_from(*o);
                }
            }
        }
        (!stored.is_empty()).then_some(stored)
    }
}
