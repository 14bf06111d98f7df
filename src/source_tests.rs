//! Unit tests of the sources (`src/source.rs`, `src/source/`).

use super::log::AutoCommit;
use super::*;
use crate::ids::{CheckpointId, Offset, PartitionId};
use crate::record::{Lineage, LogRecord, Record, Value};
use crate::state::OperatorState;
use crate::{Profile, Variant};
use std::collections::{BTreeMap, BTreeSet};

type Offsets = &'static [(u32, u64)];
const S: u64 = NOTHING_READ.0;
/// A 2.x split started from the group's committed offsets and never read: Flink's
/// `KafkaPartitionSplit.COMMITTED_OFFSET` marker (-3) in its state (session 20).
const C: u64 = COMMITTED_MARKER.0;

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
        part.push(LogRecord { partition: PartitionId(p), offset, value: Value::str(value), lineage, timestamp: None });
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
                    let got =
                        union(w.subtasks.iter_mut().map(|s| s.notify_checkpoint_complete(CheckpointId(*id))).collect());
                    assert_eq!(got, want.map(om), "{at}: commit on completion");
                    w.broker.extend(got.unwrap_or_default());
                }
                Abort(id) => {
                    w.subtasks.iter_mut().for_each(|s| assert_eq!(s.notify_checkpoint_aborted(CheckpointId(*id)), None))
                }
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
            Snapshot { id: 1, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, C)]), commit_now: None },
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
            Snapshot { id: 1, state: pick(profile, &[(0, S), (1, S)], &[(0, C), (1, C)]), commit_now: None },
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
            state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, C)]),
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
                Snapshot { id: 2, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, C)]), commit_now: None },
                Read("p1-2"),
                Snapshot { id: 1, state: pick(profile, &[(0, 1), (1, S)], &[(0, 2), (1, C)]), commit_now: None },
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
        mode("group offsets, nothing committed", StartupMode::GroupOffsets, &[], vec![Positions(&[(0, 0), (1, 0)])]),
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
                Snapshot { id: 1, state: &[(0, 1), (1, C)], commit_now: None },
                Complete(1, Some(&[(0, 1)])),
                Restart(None),
                Positions(&[(0, 1), (1, 0)]),
            ],
        ),
    ]);
    // The planted `source-restarts-from-earliest` ignores both: restored offsets and commits.
    let planted = |name, startup, committed: Offsets, steps| Case {
        startup,
        committed,
        variant: Variant::SourceRestartsFromEarliest,
        ..base(name, p, steps)
    };
    check(vec![
        planted(
            "planted: restore ignored",
            StartupMode::GroupOffsets,
            &[],
            vec![
                Read("p1-1"),
                Read("p1-2"),
                Snapshot { id: 1, state: &[(0, 2), (1, 0)], commit_now: None },
                Restart(Some(1)),
                Positions(&[(0, 0), (1, 0)]),
                Read("p1-1"),
            ],
        ),
        planted(
            "planted: committed offsets ignored",
            StartupMode::GroupOffsets,
            &[(0, 2), (1, 1)],
            vec![Positions(&[(0, 0), (1, 0)])],
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
                    state: pick(profile, &[(0, 0), (1, 1), (2, S), (3, 0)], &[(0, 1), (1, 2), (2, C), (3, 1)]),
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
                Snapshot { id: 1, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, C)]), commit_now: None },
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
            Snapshot { id: 1, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, C)]), commit_now: None },
            Pending(&[]),
            Complete(1, None),
            Broker(&[]),
            Restart(Some(1)),
            Positions(&[(0, 1), (1, 0)]),
        ]
    };
    check(Profile::ALL.into_iter().map(|p| base("commit on checkpoint off", p, steps(p))).collect());
}

/// 2.x: a partition restored from a checkpoint in which it had not been read is still not
/// committed (session 17; session 16 committed its offset 0): Flink's split state changes its
/// offset only when a record is emitted (`KafkaRecordEmitter` sets `currentOffset` to the
/// record's offset + 1), so a never-read split is checkpointed with its startup marker, restored
/// with it, and `KafkaSourceReader#snapshotState` skips it (`getStartingOffset() >= 0`). A
/// restored partition that was read keeps its real offset and is committed.
#[test]
fn restored_unread_partition_is_not_committed() {
    let steps = |profile| {
        vec![
            Read("p1-1"),
            Snapshot { id: 1, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, C)]), commit_now: None },
            Complete(1, Some(&[(0, 1)])),
            Restart(Some(1)),
            Snapshot { id: 2, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, C)]), commit_now: None },
            Complete(2, Some(&[(0, 1)])),
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
                Snapshot { id: 1, state: pick(profile, &[(0, 0), (1, S)], &[(0, 1), (1, C)]), commit_now: None },
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
    assert!(
        panics(&|| {
            auto.clone().notify_checkpoint_aborted(CheckpointId(1));
        }),
        "the abort handler checks"
    );
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
