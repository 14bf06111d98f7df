//! Sources: a Kafka-like partitioned-log source with checkpointed offsets and offset commits (semantics §5), and a non-replayable socket-like line source.
//!
//! [`LogSource`] is one subtask of a Kafka source. Its state is an offset per owned partition,
//! stored as union list state: on restore every subtask sees the states of all subtasks and
//! keeps the partitions it owns (`p % parallelism == subtask`). What the state holds depends on
//! the profile (§9): 1.11's `FlinkKafkaConsumer` stores the **last read** offset and commits
//! `offset + 1`; 2.x's `KafkaSource` stores the **next** offset to read and commits it as-is.
//! Both commit "next to read" to the broker, and only when a checkpoint completes.
//!
//! Offset auto-commit: with checkpointing on (the default assumed by [`LogSource::new`]), offsets
//! are committed only on `notify_checkpoint_complete`. With checkpointing off, the host calls
//! [`LogSource::enable_auto_commit`] when the profile says the consumer auto-commits
//! ([`Profile::kafka_auto_commits_without_checkpointing`]); commits then come from
//! [`LogSource::handle_timeout`] every interval and snapshots record no pending commits (§5.1
//! commit mode `KAFKA_PERIODIC`).
//!
//! [`LineSource`] is a socket: nothing is checkpointed, and lines read before a failure are gone.

use crate::ids::{CheckpointId, Offset, PartitionId};
use crate::record::{Lineage, LogRecord, Record, Value};
use crate::state::OperatorState;
use crate::{Profile, Variant};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

/// 1.11's state for a partition of which nothing was read yet: Java's `-1` (last read = start - 1
/// with start 0). `NOTHING_READ + 1` wraps to offset 0, as `-1 + 1` does in Java. It is a
/// negative "sentinel" for the commit filter: never committed.
pub const NOTHING_READ: Offset = Offset(u64::MAX);

/// Kafka's default `auto.commit.interval.ms`.
pub const DEFAULT_AUTO_COMMIT_INTERVAL_MS: u64 = 5_000;

/// Where a partition starts when there is no checkpointed offset for it and no restore.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StartupMode {
    /// The consumer group's committed offset; partitions without one start at the earliest
    /// offset (a fixed choice here; Kafka's `auto.offset.reset` would decide).
    #[default]
    GroupOffsets,
    /// Every partition from offset 0.
    Earliest,
    /// The log end at initialization (only records written afterwards are read).
    Latest,
}

impl StartupMode {
    /// Every startup mode.
    pub const ALL: [StartupMode; 3] = [StartupMode::GroupOffsets, StartupMode::Earliest, StartupMode::Latest];
    /// The scenario names of the startup modes (`startup = "..."`), in [`StartupMode::ALL`]
    /// order: the serde names (kebab-case).
    pub fn names() -> Vec<&'static str> {
        crate::names::variant_names(&StartupMode::ALL)
    }

    /// The scenario name of this mode.
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }

    /// The mode of a scenario name; `None` for any other.
    pub fn parse(s: &str) -> Option<StartupMode> {
        crate::names::by_name(&StartupMode::ALL, s)
    }
}

impl fmt::Display for StartupMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Kafka's periodic auto-commit (checkpointing off).
#[derive(Clone, Debug, Hash, PartialEq)]
struct AutoCommit {
    interval_ms: u64,
    next_at_ms: u64,
    /// What the last auto-commit sent (unchanged positions are not re-sent).
    last: BTreeMap<PartitionId, Offset>,
}

/// One subtask of a Kafka-like source (see the module doc).
#[derive(Clone, Debug, Hash)]
pub struct LogSource {
    subtask: u32,
    parallelism: u32,
    partitions: u32,
    profile: Profile,
    startup: StartupMode,
    variant: Variant,
    initialized: bool,
    /// Next offset to read, per owned partition (the fetch position).
    positions: BTreeMap<PartitionId, Offset>,
    /// Offsets to commit per snapshotted checkpoint, in snapshot (insertion) order, in the form
    /// the snapshot stores them (1.11: last read; 2.x: next to read).
    pending: VecDeque<(CheckpointId, BTreeMap<PartitionId, Offset>)>,
    auto_commit: Option<AutoCommit>,
    /// Partitions with a real starting offset: restored from a checkpoint, or a record emitted.
    /// 2.x's KafkaSourceReader commits only those: a split still at its startup marker
    /// (earliest/latest/committed, negative in Flink) is skipped in `snapshotState`.
    started: BTreeSet<PartitionId>,
    /// `commit.offsets.on.checkpoint` (2.x) / `setCommitOffsetsOnCheckpoints` (1.11); default
    /// true. False: completed checkpoints commit nothing (commit mode DISABLED).
    commit_on_checkpoint: bool,
    /// The partitions this subtask reads when a restore decided them (2.x: the splits of its
    /// own restored list state, [`LogSource::assign_partitions`]); None: the owner rule
    /// `p % parallelism == subtask`.
    assigned: Option<BTreeSet<PartitionId>>,
    /// The first partition of this source's topic: it reads `first..first + partitions` of the
    /// broker's log (several sources, semantics §14); 0 for the one source of a linear job.
    first: u32,
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
            commit_on_checkpoint: true,
            assigned: None,
            first: 0,
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

    /// Whether this subtask reads partition `p` (`p % parallelism == subtask`, or the
    /// partitions a restore assigned).
    pub fn owns(&self, p: PartitionId) -> bool {
        self.topic().contains(&p.0)
            && match &self.assigned {
                Some(a) => a.contains(&p),
                None => (p.0 - self.first) % self.parallelism == self.subtask,
            }
    }

    /// `restored`: the source states of ALL subtasks of the restored checkpoint (union list state), None when there is no checkpoint.
    /// `committed`: the broker's committed group offsets; `log_end`: next offset to be written per partition (for Latest). Restored partitions resume exactly after what the checkpoint says; partitions missing from the restored state start at Earliest; without restore the startup mode decides (GroupOffsets falls back to Earliest when nothing is committed).
    ///
    /// Panics if a restored state is not [`OperatorState::SourceOffsets`] or two states disagree
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
            for st in states {
                let OperatorState::SourceOffsets(m) = st else { panic!("restoring a log source from {st:?}") };
                for (p, o) in m {
                    if let Some(prev) = union.insert(*p, *o) {
                        assert_eq!(prev, *o, "restored union state has two offsets for {p}");
                    }
                }
            }
            union
        });
        let owned: Vec<PartitionId> = self.topic().map(PartitionId).filter(|p| self.owns(*p)).collect();
        for p in owned {
            if union.as_ref().is_some_and(|u| u.contains_key(&p)) {
                self.started.insert(p);
            }
            let start = match &union {
                Some(u) => u.get(&p).map_or(Offset(0), |o| self.resume_from(*o)),
                None => match self.startup {
                    StartupMode::GroupOffsets => committed.get(&p).copied().unwrap_or(Offset(0)),
                    StartupMode::Earliest => Offset(0),
                    StartupMode::Latest => log_end.get(&p).copied().unwrap_or(Offset(0)),
                },
            };
            self.positions.insert(p, start);
        }
        self.initialized = true;
        self.invariants();
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
        Record { value: rec.value.clone(), lineage: rec.lineage, timestamp: rec.timestamp }
    }

    /// Snapshot for checkpoint `id`. Profile: 1.11 stores the *last read* offset (sentinel when nothing read), 2.3 the *next to read*; both remember `pending_commits[id]` (1.11 capped at 100 entries, oldest dropped). Variant::CommitOffsetsOnSnapshot: return the offsets to commit immediately (deliberate bug).
    ///
    /// The variant commits *instead of* remembering the pending commit (its notification then
    /// commits nothing). With auto-commit enabled nothing is remembered either (`KAFKA_PERIODIC`).
    pub fn snapshot(&mut self, id: CheckpointId) -> (OperatorState, Option<BTreeMap<PartitionId, Offset>>) {
        assert!(self.initialized, "snapshot of an uninitialized source");
        let stored: BTreeMap<PartitionId, Offset> =
            self.positions.iter().map(|(p, o)| (*p, self.stored_form(*o))).collect();
        let mut commit_now = None;
        // 2.x commits only partitions with a real starting offset (KafkaSourceReader skips
        // splits whose offset is still a startup marker); 1.11 stores the never-read sentinel,
        // which its commit filters out.
        let to_commit: BTreeMap<PartitionId, Offset> = if self.profile.kafka_state_is_last_read() {
            stored.clone()
        } else {
            stored.iter().filter(|(p, _)| self.started.contains(p)).map(|(p, o)| (*p, *o)).collect()
        };
        if self.auto_commit.is_none() && self.commit_on_checkpoint {
            if self.variant == Variant::CommitOffsetsOnSnapshot {
                commit_now = self.commit_form(&to_commit);
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
        if self.profile.kafka_prunes_pending_by_insertion_order() {
            self.pending.drain(..pos);
        } else {
            self.pending.retain(|(c, _)| *c > id);
        }
        let commit = self.commit_form(&stored);
        self.invariants();
        commit
    }

    /// Both profiles ignore aborts: the entry stays until a later completion prunes it.
    pub fn notify_checkpoint_aborted(&mut self, _id: CheckpointId) {
        self.invariants();
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
        if self.profile.kafka_state_is_last_read() {
            Offset(stored.0.wrapping_add(1))
        } else {
            stored
        }
    }

    /// What to send to the broker for a stored map: next to read, without 1.11's sentinel.
    fn commit_form(&self, stored: &BTreeMap<PartitionId, Offset>) -> Option<BTreeMap<PartitionId, Offset>> {
        let last_read = self.profile.kafka_state_is_last_read();
        let out: BTreeMap<PartitionId, Offset> = stored
            .iter()
            .filter(|(_, o)| !(last_read && **o == NOTHING_READ))
            .map(|(p, o)| (*p, self.resume_from(*o)))
            .collect();
        (!out.is_empty()).then_some(out)
    }
}

/// A socket-like line source: not replayable, nothing to checkpoint.
#[derive(Clone, Debug, Hash, Default)]
pub struct LineSource {
    lines_read: u64,
    last_input_seq: Option<u64>,
}

impl LineSource {
    /// A line arrived on the socket. `input_seq` is its position in the scenario's input and
    /// must increase (the socket delivers in order).
    pub fn handle_line(&mut self, line: &str, input_seq: u64) -> Record {
        assert!(self.last_input_seq.is_none_or(|l| l < input_seq), "line #{input_seq} out of order");
        self.last_input_seq = Some(input_seq);
        self.lines_read += 1;
        self.invariants();
        Record::new(Value::str(line), Lineage { input_seq, sub: 0 })
    }

    /// Always [`OperatorState::None`]: a socket cannot be rewound.
    pub fn snapshot(&self) -> OperatorState {
        OperatorState::None
    }

    /// Lines read by this attempt.
    pub fn lines_read(&self) -> u64 {
        self.lines_read
    }

    /// Panics if the line count disagrees with the lines handed out.
    pub fn invariants(&self) {
        assert_eq!(self.lines_read == 0, self.last_input_seq.is_none());
        if let Some(l) = self.last_input_seq {
            assert!(self.lines_read <= l + 1, "more lines read than input positions");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Offsets = &'static [(u32, u64)];
    const S: u64 = NOTHING_READ.0;

    fn om(o: &[(u32, u64)]) -> BTreeMap<PartitionId, Offset> {
        o.iter().map(|(p, o)| (PartitionId(*p), Offset(*o))).collect()
    }

    enum Step {
        /// The owning subtask fetches the record with this value; it must be exactly at its position.
        Read(&'static str),
        /// A producer appends to partition `p`.
        Produce(u32, &'static str),
        /// Union of every subtask's positions.
        Positions(Offsets),
        /// One subtask's positions.
        SubtaskPositions(u32, Offsets),
        /// Every subtask snapshots `id`: the union of their states and of their immediate commits.
        Snapshot {
            id: u64,
            state: Offsets,
            commit_now: Option<Offsets>,
        },
        /// Every subtask is notified; the union of what they commit (applied to the broker).
        Complete(u64, Option<Offsets>),
        Abort(u64),
        /// Every subtask's pending checkpoint ids.
        Pending(&'static [u64]),
        /// The broker's committed group offsets.
        Broker(Offsets),
        /// Failover: every subtask is rebuilt and initialized from the stored checkpoint `id`'s
        /// union state (None: no checkpoint), with the broker's committed offsets and log ends.
        Restart(Option<u64>),
        /// Rebuild with this parallelism from hand-written restored states.
        RestoreRaw {
            parallelism: u32,
            states: Vec<OperatorState>,
        },
        EnableAutoCommit {
            now_ms: u64,
            interval_ms: u64,
        },
        /// `commit.offsets.on.checkpoint = false` on every subtask.
        DisableCommitOnCheckpoint,
        Timeout {
            now_ms: u64,
            commit: Option<Offsets>,
            next_ms: Option<u64>,
        },
        /// Every value emitted so far, in order.
        Emitted(&'static [&'static str]),
    }
    use Step::*;

    struct Case {
        name: String,
        profile: Profile,
        variant: Variant,
        parallelism: u32,
        partitions: u32,
        startup: StartupMode,
        /// Initial log: (partition, value); offsets follow the order within a partition.
        log: &'static [(u32, &'static str)],
        committed: Offsets,
        steps: Vec<Step>,
    }

    fn base(name: &str, profile: Profile, steps: Vec<Step>) -> Case {
        Case {
            name: format!("{name} [{profile}]"),
            profile,
            variant: Variant::Correct,
            parallelism: 1,
            partitions: 2,
            startup: StartupMode::GroupOffsets,
            log: SEED_001_LOG,
            committed: &[],
            steps,
        }
    }

    /// Seed 001's messages: partition 0 carries `p1-*`, partition 1 `p2-*`.
    const SEED_001_LOG: &[(u32, &str)] = &[
        (0, "p1-1"),
        (0, "p1-2"),
        (0, "p1-3"),
        (0, "p1-4"),
        (0, "p1-5"),
        (0, "p1-6"),
        (0, "p1-7"),
        (0, "p1-8"),
        (1, "p2-1"),
        (1, "p2-2"),
        (1, "p2-3"),
        (1, "p2-4"),
        (1, "p2-5"),
        (1, "p2-6"),
        (1, "p2-7"),
        (1, "p2-8"),
    ];

    struct World {
        log: BTreeMap<PartitionId, Vec<LogRecord>>,
        next_seq: u64,
        broker: BTreeMap<PartitionId, Offset>,
        checkpoints: BTreeMap<u64, Vec<OperatorState>>,
        subtasks: Vec<LogSource>,
        emitted: Vec<String>,
    }

    impl World {
        fn produce(&mut self, p: u32, value: &str) {
            let part = self.log.entry(PartitionId(p)).or_default();
            let offset = Offset(part.len() as u64);
            let lineage = Lineage { input_seq: self.next_seq, sub: 0 };
            part.push(LogRecord {
                partition: PartitionId(p),
                offset,
                value: Value::str(value),
                lineage,
                timestamp: None,
            });
            self.next_seq += 1;
        }

        fn log_end(&self) -> BTreeMap<PartitionId, Offset> {
            self.log.iter().map(|(p, l)| (*p, Offset(l.len() as u64))).collect()
        }

        fn rebuild(&mut self, c: &Case, parallelism: u32, restored: Option<&[OperatorState]>) {
            let refs: Option<Vec<&OperatorState>> = restored.map(|s| s.iter().collect());
            let log_end = self.log_end();
            self.subtasks = (0..parallelism)
                .map(|s| {
                    let mut src = LogSource::new(s, parallelism, c.partitions, c.profile, c.startup, c.variant);
                    src.initialize(refs.as_deref(), &self.broker, &log_end);
                    src
                })
                .collect();
        }

        fn union_positions(&self) -> BTreeMap<PartitionId, Offset> {
            self.subtasks.iter().flat_map(|s| s.positions().iter().map(|(p, o)| (*p, *o))).collect()
        }
    }

    /// Unions per-subtask optional maps; None when every subtask returned None.
    fn union(maps: Vec<Option<BTreeMap<PartitionId, Offset>>>) -> Option<BTreeMap<PartitionId, Offset>> {
        maps.into_iter().flatten().reduce(|mut a, b| {
            a.extend(b);
            a
        })
    }

    /// Runs each case's script; the one helper of this module.
    fn check(cases: Vec<Case>) {
        for c in cases {
            let mut w = World {
                log: BTreeMap::new(),
                next_seq: 0,
                broker: om(c.committed),
                checkpoints: BTreeMap::new(),
                subtasks: vec![],
                emitted: vec![],
            };
            for (p, v) in c.log {
                w.produce(*p, v);
            }
            w.rebuild(&c, c.parallelism, None);
            for (n, step) in c.steps.iter().enumerate() {
                let at = format!("case `{}` step {n}", c.name);
                match step {
                    Read(v) => {
                        let lr = w.log.values().flatten().find(|r| *r.value.to_string() == **v).expect(&at).clone();
                        let sub = w.subtasks.iter_mut().find(|s| s.owns(lr.partition)).expect(&at);
                        assert_eq!(sub.positions()[&lr.partition], lr.offset, "{at}: fetch position for {v}");
                        let r = sub.handle_record(&lr);
                        sub.invariants();
                        assert_eq!((&r.value, r.lineage), (&lr.value, lr.lineage), "{at}");
                        w.emitted.push(v.to_string());
                    }
                    Produce(p, v) => w.produce(*p, v),
                    Positions(want) => assert_eq!(w.union_positions(), om(want), "{at}"),
                    SubtaskPositions(s, want) => assert_eq!(w.subtasks[*s as usize].positions(), &om(want), "{at}"),
                    Snapshot { id, state, commit_now } => {
                        let mut states = Vec::new();
                        let mut commits = Vec::new();
                        let mut all = BTreeMap::new();
                        for s in &mut w.subtasks {
                            let (st, now) = s.snapshot(CheckpointId(*id));
                            let OperatorState::SourceOffsets(m) = &st else { panic!("{at}: {st:?}") };
                            assert!(m.keys().all(|p| s.owns(*p)), "{at}: state holds a foreign partition");
                            all.extend(m.clone());
                            states.push(st);
                            commits.push(now);
                        }
                        assert_eq!(all, om(state), "{at}: snapshot state");
                        let commits = union(commits);
                        assert_eq!(commits, commit_now.map(om), "{at}: immediate commit");
                        w.broker.extend(commits.unwrap_or_default());
                        w.checkpoints.insert(*id, states);
                    }
                    Complete(id, want) => {
                        let got = union(
                            w.subtasks.iter_mut().map(|s| s.notify_checkpoint_complete(CheckpointId(*id))).collect(),
                        );
                        assert_eq!(got, want.map(om), "{at}: commit on completion");
                        w.broker.extend(got.unwrap_or_default());
                    }
                    Abort(id) => w.subtasks.iter_mut().for_each(|s| s.notify_checkpoint_aborted(CheckpointId(*id))),
                    Pending(want) => {
                        for s in &w.subtasks {
                            let got: Vec<u64> = s.pending_checkpoints().map(|c| c.0).collect();
                            assert_eq!(got, *want, "{at}: pending of subtask {}", s.subtask);
                        }
                    }
                    Broker(want) => assert_eq!(w.broker, om(want), "{at}: broker"),
                    Restart(from) => {
                        let states = from.map(|id| w.checkpoints.get(&id).expect(&at).clone());
                        w.rebuild(&c, c.parallelism, states.as_deref());
                    }
                    RestoreRaw { parallelism, states } => w.rebuild(&c, *parallelism, Some(states)),
                    EnableAutoCommit { now_ms, interval_ms } => {
                        w.subtasks.iter_mut().for_each(|s| s.enable_auto_commit(*now_ms, *interval_ms))
                    }
                    DisableCommitOnCheckpoint => w.subtasks.iter_mut().for_each(|s| s.disable_commit_on_checkpoint()),
                    Timeout { now_ms, commit, next_ms } => {
                        let got = union(w.subtasks.iter_mut().map(|s| s.handle_timeout(*now_ms)).collect());
                        assert_eq!(got, commit.map(om), "{at}: auto-commit");
                        w.broker.extend(got.unwrap_or_default());
                        assert!(w.subtasks.iter().all(|s| s.poll_timeout() == *next_ms), "{at}: next deadline");
                    }
                    Emitted(want) => assert_eq!(w.emitted, *want, "{at}: emitted"),
                }
            }
        }
    }

    fn pick(profile: Profile, last_read: Offsets, next: Offsets) -> Offsets {
        if profile.kafka_state_is_last_read() {
            last_read
        } else {
            next
        }
    }

    /// Seed 001 at the operator level. Messages arrive as
    /// `p1-1 p2-1 p1-2 p2-2 p1-3 | p1-4 p2-3 p1-5 p2-4 p1-6 p2-5 p2-6 | p1-7 p2-7 p1-8 p2-8`
    /// with checkpoints at the `|`. The map downstream throws on p1-5 and on p1-7; each failover
    /// restores the latest completed checkpoint, so p1-4 and p2-3 (then p1-7) are read twice.
    fn seed_001(profile: Profile) -> Case {
        let steps = vec![
            Read("p1-1"),
            Read("p2-1"),
            Read("p1-2"),
            Read("p2-2"),
            Read("p1-3"),
            Positions(&[(0, 3), (1, 2)]),
            // First `|`: the snapshot holds last-read (1.11) or next-to-read (2.3); nothing is committed.
            Snapshot { id: 1, state: pick(profile, &[(0, 2), (1, 1)], &[(0, 3), (1, 2)]), commit_now: None },
            Broker(&[]),
            Read("p1-4"),
            Read("p2-3"),
            // Completion commits what checkpoint 1 stored, as next-to-read, not the current positions.
            Complete(1, Some(&[(0, 3), (1, 2)])),
            Broker(&[(0, 3), (1, 2)]),
            Pending(&[]),
            Complete(1, None),
            Read("p1-5"),
            // The map throws on p1-5: failover to checkpoint 1 resumes exactly after p1-3 and p2-2.
            Restart(Some(1)),
            Positions(&[(0, 3), (1, 2)]),
            Read("p1-4"),
            Read("p2-3"),
            Read("p1-5"),
            Read("p2-4"),
            Read("p1-6"),
            Read("p2-5"),
            Read("p2-6"),
            Snapshot { id: 2, state: pick(profile, &[(0, 5), (1, 5)], &[(0, 6), (1, 6)]), commit_now: None },
            Broker(&[(0, 3), (1, 2)]),
            Complete(2, Some(&[(0, 6), (1, 6)])),
            Broker(&[(0, 6), (1, 6)]),
            Read("p1-7"),
            // The map throws on p1-7, the first message after checkpoint 2.
            Restart(Some(2)),
            Positions(&[(0, 6), (1, 6)]),
            Read("p1-7"),
            Read("p2-7"),
            Snapshot { id: 3, state: pick(profile, &[(0, 6), (1, 6)], &[(0, 7), (1, 7)]), commit_now: None },
            Read("p1-8"),
            Read("p2-8"),
            Snapshot { id: 4, state: pick(profile, &[(0, 7), (1, 7)], &[(0, 8), (1, 8)]), commit_now: None },
            Pending(&[3, 4]),
            Abort(3),
            Pending(&[3, 4]),
            // Completing 4 prunes the older pending 3, whose notification then commits nothing.
            Complete(4, Some(&[(0, 8), (1, 8)])),
            Pending(&[]),
            Complete(3, None),
            Broker(&[(0, 8), (1, 8)]),
            Emitted(&[
                "p1-1", "p2-1", "p1-2", "p2-2", "p1-3", "p1-4", "p2-3", "p1-5", // attempt 0
                "p1-4", "p2-3", "p1-5", "p2-4", "p1-6", "p2-5", "p2-6", "p1-7", // attempt 1
                "p1-7", "p2-7", "p1-8", "p2-8", // attempt 2
            ]),
        ];
        base("seed 001", profile, steps)
    }

    #[test]
    fn seed_001_offsets() {
        check(Profile::ALL.into_iter().map(seed_001).collect());
    }

    #[test]
    fn commit_offsets_on_snapshot_variant_commits_early() {
        check(
            Profile::ALL
                .into_iter()
                .map(|profile| Case {
                    variant: Variant::CommitOffsetsOnSnapshot,
                    ..base(
                        "commit-offsets-on-snapshot",
                        profile,
                        vec![
                            Read("p1-1"),
                            Read("p2-1"),
                            Snapshot {
                                id: 1,
                                state: pick(profile, &[(0, 0), (1, 0)], &[(0, 1), (1, 1)]),
                                commit_now: Some(&[(0, 1), (1, 1)]),
                            },
                            Broker(&[(0, 1), (1, 1)]),
                            Pending(&[]),
                            Complete(1, None),
                        ],
                    )
                })
                .collect(),
        );
    }

    #[test]
    fn nothing_read_partitions() {
        let steps = |profile| {
            vec![
                Read("p1-1"),
                Snapshot { id: 1, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, 0)]), commit_now: None },
                // 1.11 filters the never-read sentinel out of the commit; 2.3 skips the split
                // still at its startup marker (KafkaSourceReader commits only offsets >= 0).
                Complete(1, Some(pick(profile, &[(0, 1)], &[(0, 1)]))),
                Restart(Some(1)),
                Positions(&[(0, 1), (1, 0)]),
                Read("p2-1"),
                Snapshot { id: 2, state: pick(profile, &[(0, 0), (1, 0)], &[(0, 1), (1, 1)]), commit_now: None },
            ]
        };
        let nothing = |profile| {
            vec![
                Snapshot { id: 1, state: pick(profile, &[(0, S), (1, S)], &[(0, 0), (1, 0)]), commit_now: None },
                // Nothing read: 1.11 has only sentinels, 2.3 only startup markers; no commit.
                Complete(1, None),
                Pending(&[]),
            ]
        };
        check(
            Profile::ALL
                .into_iter()
                .flat_map(|p| [base("one partition never read", p, steps(p)), base("nothing read", p, nothing(p))])
                .collect(),
        );
    }

    #[test]
    fn pending_commits_cap() {
        let case = |profile: Profile| {
            let mut steps: Vec<Step> = vec![Read("p1-1")];
            steps.extend((1..=101).map(|id| Snapshot {
                id,
                state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, 0)]),
                commit_now: None,
            }));
            // 1.11 keeps 100 entries: checkpoint 1 was dropped and its notification commits nothing.
            let first = if profile.kafka_pending_commits_cap().is_some() { None } else { Some(&[(0u32, 1u64)][..]) };
            steps.push(Complete(1, first));
            steps.push(Complete(2, Some(&[(0, 1)])));
            steps.push(Complete(101, Some(&[(0, 1)])));
            steps.push(Pending(&[]));
            base("pending cap", profile, steps)
        };
        check(Profile::ALL.into_iter().map(case).collect());
    }

    #[test]
    fn out_of_order_snapshots_prune_per_profile() {
        let case = |profile: Profile| {
            let kept: &'static [u64] = if profile.kafka_prunes_pending_by_insertion_order() { &[1] } else { &[] };
            base(
                "snapshot 2 before 1",
                profile,
                vec![
                    Read("p1-1"),
                    Snapshot { id: 2, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, 0)]), commit_now: None },
                    Read("p1-2"),
                    Snapshot { id: 1, state: pick(profile, &[(0, 1), (1, S)], &[(0, 2), (1, 0)]), commit_now: None },
                    Pending(&[2, 1]),
                    Complete(2, Some(&[(0, 1)])),
                    // 1.11's LinkedMap drops entries inserted before 2 (none); 2.x's TreeMap every id <= 2.
                    Pending(kept),
                ],
            )
        };
        check(Profile::ALL.into_iter().map(case).collect());
    }

    #[test]
    fn startup_modes() {
        let p = Profile::Flink23;
        let mode = |name: &str, startup, committed: Offsets, steps| Case { startup, committed, ..base(name, p, steps) };
        check(vec![
            // Group offsets: committed where present, earliest elsewhere.
            mode(
                "group offsets",
                StartupMode::GroupOffsets,
                &[(0, 2)],
                vec![Positions(&[(0, 2), (1, 0)]), Read("p1-3"), Read("p2-1")],
            ),
            mode(
                "group offsets, nothing committed",
                StartupMode::GroupOffsets,
                &[],
                vec![Positions(&[(0, 0), (1, 0)])],
            ),
            mode(
                "earliest ignores committed",
                StartupMode::Earliest,
                &[(0, 2), (1, 5)],
                vec![Positions(&[(0, 0), (1, 0)]), Read("p1-1")],
            ),
            mode(
                "latest reads only new records",
                StartupMode::Latest,
                &[(0, 2)],
                vec![Positions(&[(0, 8), (1, 8)]), Produce(1, "new"), Read("new"), Positions(&[(0, 8), (1, 9)])],
            ),
            // A restore ignores the startup mode and the committed offsets.
            mode(
                "restore beats latest",
                StartupMode::Latest,
                &[],
                vec![
                    Positions(&[(0, 8), (1, 8)]),
                    Snapshot { id: 1, state: &[(0, 8), (1, 8)], commit_now: None },
                    Restart(Some(1)),
                    Positions(&[(0, 8), (1, 8)]),
                ],
            ),
            mode(
                "restore beats group offsets",
                StartupMode::GroupOffsets,
                &[(0, 6), (1, 6)],
                vec![
                    RestoreRaw { parallelism: 1, states: vec![OperatorState::SourceOffsets(om(&[(0, 1), (1, 2)]))] },
                    Positions(&[(0, 1), (1, 2)]),
                    Read("p1-2"),
                ],
            ),
            // Partitions missing from the restored state start at the earliest offset.
            mode(
                "restored state lacks a partition",
                StartupMode::Latest,
                &[(1, 4)],
                vec![
                    RestoreRaw { parallelism: 1, states: vec![OperatorState::SourceOffsets(om(&[(0, 5)]))] },
                    Positions(&[(0, 5), (1, 0)]),
                ],
            ),
            mode(
                "restored from no states at all",
                StartupMode::Latest,
                &[(1, 4)],
                vec![RestoreRaw { parallelism: 1, states: vec![] }, Positions(&[(0, 0), (1, 0)])],
            ),
            // Without a restore and without committed offsets, a fresh start replays from 0.
            mode(
                "restart without checkpoint",
                StartupMode::GroupOffsets,
                &[],
                vec![Read("p1-1"), Restart(None), Positions(&[(0, 0), (1, 0)])],
            ),
            mode(
                "restart without checkpoint uses commits",
                StartupMode::GroupOffsets,
                &[],
                vec![
                    Read("p1-1"),
                    Snapshot { id: 1, state: &[(0, 1), (1, 0)], commit_now: None },
                    Complete(1, Some(&[(0, 1)])),
                    Restart(None),
                    Positions(&[(0, 1), (1, 0)]),
                ],
            ),
        ]);
        // The 1.11 form is read back with +1 on restore.
        check(vec![Case {
            startup: StartupMode::Latest,
            ..base(
                "1.11 restore",
                Profile::Flink111,
                vec![
                    RestoreRaw { parallelism: 1, states: vec![OperatorState::SourceOffsets(om(&[(0, 1), (1, S)]))] },
                    Positions(&[(0, 2), (1, 0)]),
                    Read("p1-3"),
                    Read("p2-1"),
                ],
            )
        }]);
    }

    const FOUR_PARTITIONS: &[(u32, &str)] =
        &[(0, "a0"), (0, "a1"), (1, "b0"), (1, "b1"), (2, "c0"), (2, "c1"), (3, "d0"), (3, "d1")];

    #[test]
    fn union_state_with_parallelism_2() {
        let case = |profile: Profile| Case {
            parallelism: 2,
            partitions: 4,
            log: FOUR_PARTITIONS,
            ..base(
                "union p=2",
                profile,
                vec![
                    SubtaskPositions(0, &[(0, 0), (2, 0)]),
                    SubtaskPositions(1, &[(1, 0), (3, 0)]),
                    Read("a0"),
                    Read("b0"),
                    Read("b1"),
                    Read("d0"),
                    Snapshot {
                        id: 1,
                        state: pick(profile, &[(0, 0), (1, 1), (2, S), (3, 0)], &[(0, 1), (1, 2), (2, 0), (3, 1)]),
                        commit_now: None,
                    },
                    Read("a1"),
                    Read("c0"),
                    Complete(1, Some(&[(0, 1), (1, 2), (3, 1)])),
                    // Every subtask sees both states and keeps its own partitions.
                    Restart(Some(1)),
                    SubtaskPositions(0, &[(0, 1), (2, 0)]),
                    SubtaskPositions(1, &[(1, 2), (3, 1)]),
                    Read("a1"),
                    Read("c0"),
                    Read("d1"),
                    // Rescale to parallelism 1 from the two states of checkpoint 1.
                    RestoreRaw {
                        parallelism: 1,
                        states: vec![
                            OperatorState::SourceOffsets(om(pick(profile, &[(0, 0), (2, S)], &[(0, 1), (2, 0)]))),
                            OperatorState::SourceOffsets(om(pick(profile, &[(1, 1), (3, 0)], &[(1, 2), (3, 1)]))),
                        ],
                    },
                    SubtaskPositions(0, &[(0, 1), (1, 2), (2, 0), (3, 1)]),
                    // And from one state to parallelism 3: subtask 0 owns 0 and 3.
                    RestoreRaw {
                        parallelism: 3,
                        states: vec![OperatorState::SourceOffsets(om(pick(
                            profile,
                            &[(0, 0), (1, 1), (2, S), (3, 0)],
                            &[(0, 1), (1, 2), (2, 0), (3, 1)],
                        )))],
                    },
                    SubtaskPositions(0, &[(0, 1), (3, 1)]),
                    SubtaskPositions(1, &[(1, 2)]),
                    SubtaskPositions(2, &[(2, 0)]),
                ],
            )
        };
        check(Profile::ALL.into_iter().map(case).collect());
    }

    #[test]
    fn subtask_without_partitions() {
        // Parallelism 3 over 2 partitions: subtask 2 owns nothing; its empty pending map
        // commits nothing but is still dropped on completion.
        let case = |profile: Profile| Case {
            parallelism: 3,
            ..base(
                "idle subtask",
                profile,
                vec![
                    SubtaskPositions(2, &[]),
                    Read("p1-1"),
                    Snapshot { id: 1, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, 0)]), commit_now: None },
                    Pending(&[1]),
                    Complete(1, Some(&[(0, 1)])),
                    Pending(&[]),
                ],
            )
        };
        check(Profile::ALL.into_iter().map(case).collect());
    }

    /// `commit.offsets.on.checkpoint = false`: checkpoints still store the offsets and a restore
    /// resumes from them, but no completion commits anything to the broker.
    #[test]
    fn commit_on_checkpoint_disabled() {
        let steps = |profile| {
            vec![
                DisableCommitOnCheckpoint,
                Read("p1-1"),
                Snapshot { id: 1, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, 0)]), commit_now: None },
                Pending(&[]),
                Complete(1, None),
                Broker(&[]),
                Restart(Some(1)),
                Positions(&[(0, 1), (1, 0)]),
            ]
        };
        check(Profile::ALL.into_iter().map(|p| base("commit on checkpoint off", p, steps(p))).collect());
    }

    /// 2.x: a partition restored from a checkpoint has a real starting offset and is committed
    /// even before a record of it is read in the new attempt.
    #[test]
    fn restored_partition_is_committed_without_a_read() {
        let steps = |profile| {
            vec![
                Read("p1-1"),
                Snapshot { id: 1, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, 0)]), commit_now: None },
                Complete(1, Some(&[(0, 1)])),
                Restart(Some(1)),
                Snapshot { id: 2, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, 0)]), commit_now: None },
                Complete(2, Some(pick(profile, &[(0, 1)], &[(0, 1), (1, 0)]))),
            ]
        };
        check(Profile::ALL.into_iter().map(|p| base("restored partitions", p, steps(p))).collect());
    }

    #[test]
    fn auto_commit_without_checkpointing() {
        check(vec![base(
            "auto-commit",
            Profile::Flink111,
            vec![
                Timeout { now_ms: 1_000_000, commit: None, next_ms: None },
                EnableAutoCommit { now_ms: 0, interval_ms: DEFAULT_AUTO_COMMIT_INTERVAL_MS },
                Read("p1-1"),
                Timeout { now_ms: 4_999, commit: None, next_ms: Some(5_000) },
                Timeout { now_ms: 5_000, commit: Some(&[(0, 1), (1, 0)]), next_ms: Some(10_000) },
                Broker(&[(0, 1), (1, 0)]),
                // Unchanged positions are not re-sent.
                Timeout { now_ms: 10_000, commit: None, next_ms: Some(15_000) },
                Read("p2-1"),
                // A late timer re-arms from the time it fired.
                Timeout { now_ms: 17_000, commit: Some(&[(0, 1), (1, 1)]), next_ms: Some(22_000) },
                // A snapshot (e.g. a savepoint) stores offsets but remembers no pending commit.
                Snapshot { id: 1, state: &[(0, 0), (1, 0)], commit_now: None },
                Pending(&[]),
                Complete(1, None),
            ],
        )]);
    }

    #[test]
    #[should_panic(expected = "emitted again")]
    fn re_emission_within_an_attempt_is_a_host_bug() {
        let mut s = LogSource::new(0, 1, 1, Profile::Flink23, StartupMode::Earliest, Variant::Correct);
        s.initialize(None, &BTreeMap::new(), &BTreeMap::new());
        let r = LogRecord {
            partition: PartitionId(0),
            offset: Offset(0),
            value: Value::Int(1),
            lineage: Lineage { input_seq: 0, sub: 0 },
            timestamp: None,
        };
        s.handle_record(&r);
        s.handle_record(&r);
    }

    #[test]
    #[should_panic(expected = "does not read")]
    fn foreign_partition_is_a_host_bug() {
        let mut s = LogSource::new(1, 2, 2, Profile::Flink23, StartupMode::Earliest, Variant::Correct);
        s.initialize(None, &BTreeMap::new(), &BTreeMap::new());
        s.handle_record(&LogRecord {
            partition: PartitionId(0),
            offset: Offset(0),
            value: Value::Int(1),
            lineage: Lineage { input_seq: 0, sub: 0 },
            timestamp: None,
        });
    }

    #[test]
    fn startup_mode_names() {
        assert_eq!(StartupMode::names(), ["group-offsets", "earliest", "latest"]);
        for (n, m) in StartupMode::names().iter().zip(StartupMode::ALL) {
            assert_eq!(StartupMode::parse(n), Some(m));
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{n}\""));
        }
        assert_eq!(StartupMode::parse("Latest"), None);
        // The names the scenario files and traces show: `name()` and `Display` agree with names().
        for (n, m) in StartupMode::names().iter().zip(StartupMode::ALL) {
            assert_eq!((m.name(), m.to_string().as_str()), (*n, *n));
        }
    }

    /// A completion keeps the newer pending checkpoints in both profiles (1.11's `LinkedMap`
    /// drops the entries inserted before it, 2.x's `KafkaSourceReader` removes the `TreeMap`'s
    /// keys `<= id`); the newer one commits on its own completion.
    #[test]
    fn completion_keeps_newer_pending_checkpoints() {
        let case = |profile: Profile| {
            base(
                "complete the older of two",
                profile,
                vec![
                    Read("p1-1"),
                    Snapshot { id: 1, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, 0)]), commit_now: None },
                    Read("p2-1"),
                    Snapshot { id: 2, state: pick(profile, &[(0, 0), (1, 0)], &[(0, 1), (1, 1)]), commit_now: None },
                    Complete(1, Some(&[(0, 1)])),
                    Pending(&[2]),
                    Complete(2, Some(&[(0, 1), (1, 1)])),
                    Pending(&[]),
                ],
            )
        };
        check(Profile::ALL.into_iter().map(case).collect());
    }

    /// Several sources share the broker's log (semantics §14): a source whose topic starts at
    /// partition 4 owns `first..first + partitions` and counts the owner rule from `first`.
    #[test]
    fn topic_starting_at_a_later_partition() {
        let owned = |subtask: u32| {
            let mut s = LogSource::new(subtask, 3, 4, Profile::Flink23, StartupMode::Earliest, Variant::Correct);
            s.set_first_partition(4);
            assert_eq!(s.topic(), 4..8);
            s.initialize(None, &BTreeMap::new(), &BTreeMap::new());
            assert!((0..4).chain(8..10).all(|p| !s.owns(PartitionId(p))), "subtask {subtask}: outside the topic");
            s.positions().keys().map(|p| p.0).collect::<Vec<_>>()
        };
        assert_eq!([owned(0), owned(1), owned(2)], [vec![4, 7], vec![5], vec![6]]);
    }

    /// 2.x after a restore: the partitions the restore assigned replace the owner rule.
    #[test]
    fn assigned_partitions_replace_the_owner_rule() {
        let mut s = LogSource::new(0, 2, 4, Profile::Flink23, StartupMode::Earliest, Variant::Correct);
        s.assign_partitions(BTreeSet::from([PartitionId(1), PartitionId(2)]));
        s.initialize(Some(&[]), &BTreeMap::new(), &BTreeMap::new());
        assert_eq!(s.positions().keys().copied().collect::<Vec<_>>(), [PartitionId(1), PartitionId(2)]);
        assert!(!s.owns(PartitionId(0)) && s.owns(PartitionId(1)));
    }

    /// The checkers must report a corrupt state (no public call sequence builds one), and every
    /// handler runs them, including the no-op abort notification.
    #[test]
    fn invariants_catch_a_corrupt_state() {
        let panics = |f: &dyn Fn()| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err();
        let mut s = LogSource::new(0, 1, 2, Profile::Flink23, StartupMode::Earliest, Variant::Correct);
        s.initialize(None, &BTreeMap::new(), &BTreeMap::new());
        s.snapshot(CheckpointId(1));
        assert!(!panics(&|| s.invariants()));
        let mut auto = s.clone();
        auto.auto_commit = Some(AutoCommit { interval_ms: 5, next_at_ms: 5, last: BTreeMap::new() });
        assert!(panics(&|| auto.invariants()), "pending commits with auto-commit on");
        assert!(panics(&|| auto.clone().notify_checkpoint_aborted(CheckpointId(1))), "the abort handler checks");
        let mut off = s.clone();
        off.commit_on_checkpoint = false;
        assert!(panics(&|| off.invariants()), "pending commits with commit on checkpoint off");
        let mut lost = s.clone();
        lost.positions.clear();
        assert!(panics(&|| lost.invariants()), "an owned partition without a position");

        let mut line = LineSource::default();
        line.handle_line("a", 0);
        assert!(!panics(&|| line.invariants()));
        line.lines_read = 2;
        assert!(panics(&|| line.invariants()), "more lines than input positions");
    }

    #[test]
    fn line_source_is_not_replayable() {
        // (line, input_seq) in arrival order, across a "restart" that creates a new source.
        let attempts: &[&[(&str, u64)]] = &[&[("a", 0), ("a", 1), ("b", 2)], &[("b", 4), ("ERROR", 6)]];
        for lines in attempts {
            let mut src = LineSource::default();
            assert_eq!(src.snapshot(), OperatorState::None);
            for (n, (line, seq)) in lines.iter().enumerate() {
                let r = src.handle_line(line, *seq);
                assert_eq!(r, Record::new(Value::str(line), Lineage { input_seq: *seq, sub: 0 }));
                assert_eq!(src.lines_read(), n as u64 + 1);
            }
            assert_eq!(src.snapshot(), OperatorState::None, "nothing to restore from");
        }
    }

    #[test]
    #[should_panic(expected = "out of order")]
    fn line_source_rejects_reordered_lines() {
        let mut src = LineSource::default();
        src.handle_line("a", 3);
        src.handle_line("b", 3);
    }
}
