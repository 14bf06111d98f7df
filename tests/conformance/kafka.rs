//! Kafka source reader expectations (KafkaSourceReaderTest for 2.x's KafkaSource, FlinkKafkaConsumerBaseTest for 1.11's consumer) posed to `LogSource`.

use crate::common::{case_name, ensure_eq, flink, profile_name, run_table, Flink, F111, F23};
use ckptsim::record::{Lineage, LogRecord, Value};
use ckptsim::source::{LogSource, StartupMode};
use ckptsim::state::OperatorState;
use ckptsim::{CheckpointId, Offset, PartitionId, Profile, Variant};
use std::collections::BTreeMap;

struct Case {
    flink: Flink,
    profile: Profile,
    check: fn(Profile) -> Result<(), String>,
}

fn source(partitions: u32, p: Profile) -> LogSource {
    let mut s = LogSource::new(0, 1, partitions, p, StartupMode::Earliest, Variant::Correct);
    s.initialize(None, &BTreeMap::new(), &BTreeMap::new());
    s
}

/// A source whose partitions start at explicit offsets (a split with a concrete starting
/// offset: restored from a checkpoint that holds them).
fn source_at(starts: &[(u32, u64)], partitions: u32, p: Profile) -> LogSource {
    let mut s = LogSource::new(0, 1, partitions, p, StartupMode::Earliest, Variant::Correct);
    let stored: BTreeMap<PartitionId, Offset> = starts
        .iter()
        .map(|(part, o)| {
            // 1.11 stores the last read offset: start - 1.
            let stored = if p == F111 { Offset(o.wrapping_sub(1)) } else { Offset(*o) };
            (PartitionId(*part), stored)
        })
        .collect();
    let st = OperatorState::SourceOffsets(stored);
    s.initialize(Some(&[&st]), &BTreeMap::new(), &BTreeMap::new());
    s
}

fn read(s: &mut LogSource, partition: u32, offset: u64) {
    s.handle_record(&LogRecord {
        partition: PartitionId(partition),
        offset: Offset(offset),
        value: Value::Int(offset as i64),
        lineage: Lineage { input_seq: offset, sub: 0 },
        timestamp: None,
    });
}

fn commit_map(v: &[(u32, u64)]) -> Option<BTreeMap<PartitionId, Offset>> {
    if v.is_empty() {
        None
    } else {
        Some(v.iter().map(|(p, o)| (PartitionId(*p), Offset(*o))).collect())
    }
}

const READER: &str = "KafkaSourceReaderTest";
const CONSUMER: &str = "FlinkKafkaConsumerBaseTest";
const KV: &str = "flink-connector-kafka 3.x (Flink 1.14-2.x)";

fn cases() -> Vec<Case> {
    vec![
        // A split that starts at EARLIEST and has read nothing has no offset to commit: the
        // snapshot stores an empty map for the checkpoint.
        Case {
            flink: flink(READER, "testNotCommitOffsetsForUninitializedSplits", KV),
            profile: F23,
            check: |p| {
                let mut s = source(1, p);
                s.snapshot(CheckpointId(1234));
                ensure_eq(s.pending_checkpoints().collect::<Vec<_>>(), vec![CheckpointId(1234)], "offsets to commit")?;
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(1234)), None, "commit")
            },
        },
        // The same for a split started from the group's committed offset
        // (`OffsetsInitializer.committedOffsets`: `KafkaPartitionSplit.COMMITTED_OFFSET`, -3):
        // nothing to commit although the reader resolved the committed offset 5; the state
        // keeps the marker, so a restore resolves the committed offset again (8 by then) and
        // still commits nothing until a record is emitted (session 20; the model stored the
        // resolved offset before and re-committed it after a restore).
        Case {
            flink: flink(READER, "testNotCommitOffsetsForUninitializedSplits (COMMITTED_OFFSET split, restored)", KV),
            profile: F23,
            check: |p| {
                let mut s = LogSource::new(0, 1, 1, p, StartupMode::GroupOffsets, Variant::Correct);
                s.initialize(None, &BTreeMap::from([(PartitionId(0), Offset(5))]), &BTreeMap::new());
                ensure_eq(s.positions().get(&PartitionId(0)).copied(), Some(Offset(5)), "resolved position")?;
                let (state, _) = s.snapshot(CheckpointId(1234));
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(1234)), None, "commit")?;
                let mut r = LogSource::new(0, 1, 1, p, StartupMode::GroupOffsets, Variant::Correct);
                r.initialize(Some(&[&state]), &BTreeMap::from([(PartitionId(0), Offset(8))]), &BTreeMap::new());
                ensure_eq(r.positions().get(&PartitionId(0)).copied(), Some(Offset(8)), "restored position")?;
                r.snapshot(CheckpointId(1235));
                ensure_eq(r.notify_checkpoint_complete(CheckpointId(1235)), None, "commit after the restore")?;
                read(&mut r, 0, 8);
                r.snapshot(CheckpointId(1236));
                ensure_eq(
                    r.notify_checkpoint_complete(CheckpointId(1236)),
                    commit_map(&[(0, 9)]),
                    "commit after a record",
                )
            },
        },
        Case {
            flink: flink(READER, "testCommitEmptyOffsets", KV),
            profile: F23,
            check: |p| {
                let mut s = source(0, p);
                s.snapshot(CheckpointId(100));
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(100)), None, "commit")
            },
        },
        // Session 15 re-survey (connector main, JUnit 5 form): three snapshots without splits
        // leave three empty entries; completing 101 evicts 100 and 101, commits nothing, and
        // leaves 102.
        Case {
            flink: flink(READER, "testCommitEmptyOffsets (three snapshots, notify the middle)", KV),
            profile: F23,
            check: |p| {
                let mut s = source(0, p);
                for id in [100, 101, 102] {
                    s.snapshot(CheckpointId(id));
                }
                let ids = |s: &LogSource| s.pending_checkpoints().collect::<Vec<_>>();
                ensure_eq(ids(&s), vec![CheckpointId(100), CheckpointId(101), CheckpointId(102)], "offsets to commit")?;
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(101)), None, "commit 101")?;
                ensure_eq(ids(&s), vec![CheckpointId(102)], "offsets to commit after 101")
            },
        },
        // Session 15: the part of testCommittedOffsetDoesNotOverrunRecordsInATransaction the model
        // has (its log has no transaction markers, so "the committed offset converges with the
        // log end offset" cases are out of the model): a split from 0 that emitted two of three
        // records commits 2, the next offset after the records read, not the log end.
        Case {
            flink: flink(READER, "testCommittedOffsetDoesNotOverrunRecordsInATransaction (records only)", KV),
            profile: F23,
            check: |p| {
                let mut s = source_at(&[(0, 0)], 1, p);
                read(&mut s, 0, 0);
                read(&mut s, 0, 1);
                s.snapshot(CheckpointId(1));
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(1)), commit_map(&[(0, 2)]), "commit")?;
                ensure_eq(s.pending_checkpoints().count(), 0, "offsets to commit after the commit")
            },
        },
        // Ten splits of ten records, a checkpoint after every record, none completed; completing
        // the last commits every split's end (10) and subsumes all the others.
        Case {
            flink: flink(READER, "testOffsetCommitOnCheckpointComplete", KV),
            profile: F23,
            check: |p| {
                let mut s = source_at(&(0..10).map(|q| (q, 0)).collect::<Vec<_>>(), 10, p);
                let mut id = 0;
                for q in 0..10 {
                    for o in 0..10 {
                        read(&mut s, q, o);
                        id += 1;
                        s.snapshot(CheckpointId(id));
                    }
                }
                ensure_eq(s.pending_checkpoints().count(), id as usize, "offsets to commit")?;
                let want: Vec<(u32, u64)> = (0..10).map(|q| (q, 10)).collect();
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(id)), commit_map(&want), "commit")?;
                ensure_eq(s.pending_checkpoints().count(), 0, "offsets to commit after the commit")
            },
        },
        Case {
            flink: flink(READER, "testCommitOffsetsWithoutAliveFetchers", KV),
            profile: F23,
            check: |p| {
                let mut s = source_at(&[(0, 0)], 1, p);
                for o in 0..10 {
                    read(&mut s, 0, o);
                }
                s.snapshot(CheckpointId(100));
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(100)), commit_map(&[(0, 10)]), "commit")
            },
        },
        // Two EARLIEST splits read to their end: both commit 10.
        Case {
            flink: flink(READER, "testKafkaSourceMetrics (committed offsets)", KV),
            profile: F23,
            check: |p| {
                let mut s = source(2, p);
                for q in 0..2 {
                    for o in 0..10 {
                        read(&mut s, q, o);
                    }
                }
                s.snapshot(CheckpointId(15213));
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(15213)), commit_map(&[(0, 10), (1, 10)]), "commit")
            },
        },
        // 1.11 legacy consumer: the state holds the last emitted offset; completing a checkpoint
        // commits (via the fetcher) offset + 1 of its own snapshot, drops it and every older
        // pending one; an unknown id commits nothing.
        Case {
            flink: flink(CONSUMER, "testSnapshotStateWithCommitOnCheckpointsEnabled", "1.11"),
            profile: F111,
            check: |p| {
                let mut s = source(2, p);
                read(&mut s, 0, 23);
                read(&mut s, 1, 81);
                s.snapshot(CheckpointId(138));
                ensure_eq(s.pending_checkpoints().count(), 1, "pending after 138")?;
                read(&mut s, 0, 24);
                read(&mut s, 1, 31 + 60);
                s.snapshot(CheckpointId(140));
                ensure_eq(
                    s.notify_checkpoint_complete(CheckpointId(138)),
                    commit_map(&[(0, 24), (1, 82)]),
                    "commit 138",
                )?;
                ensure_eq(s.pending_checkpoints().collect::<Vec<_>>(), vec![CheckpointId(140)], "pending after 138")?;
                read(&mut s, 0, 50);
                s.snapshot(CheckpointId(141));
                ensure_eq(
                    s.notify_checkpoint_complete(CheckpointId(141)),
                    commit_map(&[(0, 51), (1, 92)]),
                    "commit 141",
                )?;
                ensure_eq(s.pending_checkpoints().count(), 0, "pending after 141 (subsumes 140)")?;
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(666)), None, "unknown id")
            },
        },
        // 1.11: a partition that has read nothing stores a negative sentinel, which is never
        // committed.
        Case {
            flink: flink(CONSUMER, "testSnapshotStateWithCommitOnCheckpointsEnabled (sentinel offsets)", "1.11"),
            profile: F111,
            check: |p| {
                let mut s = source(2, p);
                read(&mut s, 0, 4);
                s.snapshot(CheckpointId(1));
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(1)), commit_map(&[(0, 5)]), "commit")
            },
        },
        // 2.x restored split (concrete starting offset) that read nothing since: its offset is
        // initialised, so it is committed as it is (KafkaSourceReader.snapshotState: offset >= 0).
        Case {
            flink: flink(READER, "testCommitOffsetsWithoutAliveFetchers (restored, nothing read)", KV),
            profile: F23,
            check: |p| {
                let mut s = source_at(&[(0, 7)], 1, p);
                s.snapshot(CheckpointId(1));
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(1)), commit_map(&[(0, 7)]), "commit")
            },
        },
        // commit.offsets.on.checkpoint=false: ten splits from offset 0, a checkpoint after every
        // record, never completed: the offsets to commit stay empty throughout.
        Case {
            flink: flink(READER, "testDisableOffsetCommit", KV),
            profile: F23,
            check: |p| {
                let mut s = source_at(&(0..10).map(|q| (q, 0)).collect::<Vec<_>>(), 10, p);
                s.disable_commit_on_checkpoint();
                let mut id = 0;
                for q in 0..10 {
                    for o in 0..10 {
                        read(&mut s, q, o);
                        id += 1;
                        s.snapshot(CheckpointId(id));
                        ensure_eq(s.pending_checkpoints().count(), 0, "offsets to commit")?;
                    }
                }
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(id)), None, "commit")
            },
        },
        // 1.11 `setCommitOffsetsOnCheckpoints(false)`: snapshots 138, 140, 141 leave nothing
        // pending and no completion commits anything.
        Case {
            flink: flink(CONSUMER, "testSnapshotStateWithCommitOnCheckpointsDisabled", "1.11"),
            profile: F111,
            check: |p| {
                let mut s = source(2, p);
                s.disable_commit_on_checkpoint();
                read(&mut s, 0, 23);
                read(&mut s, 1, 81);
                s.snapshot(CheckpointId(138));
                ensure_eq(s.pending_checkpoints().count(), 0, "pending after 138")?;
                read(&mut s, 0, 24);
                s.snapshot(CheckpointId(140));
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(138)), None, "commit 138")?;
                read(&mut s, 0, 50);
                s.snapshot(CheckpointId(141));
                ensure_eq(s.notify_checkpoint_complete(CheckpointId(141)), None, "commit 141")?;
                ensure_eq(s.pending_checkpoints().count(), 0, "pending at the end")
            },
        },
    ]
}

#[test]
fn kafka_source_offsets() {
    let all = cases();
    run_table("kafka source", &all, |c| case_name(&c.flink, c.profile), |c| (c.check)(c.profile));
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, profile_name(c.profile))).collect()
}
