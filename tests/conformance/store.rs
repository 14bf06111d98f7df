//! CompletedCheckpointStoreTest, StandaloneCompletedCheckpointStoreTest and CheckpointPropertiesTest posed to `CompletedCheckpointStore` and `CompletedCheckpoint`.

use crate::common::{case_name, flink, profile_name, run_table, Flink, F111, F23};
use ckptsim::config::Retention;
use ckptsim::record::CheckpointKind;
use ckptsim::status::JobStatus;
use ckptsim::store::{CompletedCheckpoint, CompletedCheckpointStore};
use ckptsim::{CheckpointId, Profile};
use std::collections::BTreeMap;
use std::sync::Arc;

struct Case {
    flink: Flink,
    check: fn(Profile) -> Result<(), String>,
}

fn checkpoint(id: u64, kind: CheckpointKind) -> Arc<CompletedCheckpoint> {
    Arc::new(CompletedCheckpoint {
        id: CheckpointId(id),
        kind,
        trigger_ms: id,
        completed_ms: id,
        tasks: BTreeMap::new(),
        size_bytes: 0,
        external: false,
    })
}

fn ckpt(id: u64) -> Arc<CompletedCheckpoint> {
    checkpoint(id, CheckpointKind::Checkpoint)
}

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

fn ids(store: &CompletedCheckpointStore) -> Vec<u64> {
    store.retained().iter().map(|c| c.id.0).collect()
}

const STORE: &str = "CompletedCheckpointStoreTest";
const STANDALONE: &str = "StandaloneCompletedCheckpointStoreTest";
const PROPS: &str = "CheckpointPropertiesTest";

/// The retention policy of a checkpoint (`CheckpointRetentionPolicy`) as the model names the
/// user setting: NEVER_RETAIN = NoExternalizedCheckpoints, RETAIN_ON_FAILURE =
/// DeleteOnCancellation, RETAIN_ON_CANCELLATION = RetainOnCancellation.
fn discard_row(c: &CompletedCheckpoint, r: Retention) -> [bool; 4] {
    [JobStatus::Finished, JobStatus::Canceled, JobStatus::Failed, JobStatus::Suspended]
        .map(|s| c.discarded_on_shutdown(r, s))
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            flink: flink(STORE, "testAddAndGetLatestCheckpoint", "1.11-2.x"),
            check: |p| {
                let mut s = CompletedCheckpointStore::new(4, Retention::NoExternalizedCheckpoints, p);
                s.add(ckpt(1));
                ensure(s.len() == 1 && s.latest().map(|c| c.id.0) == Some(1), || format!("{:?}", ids(&s)))?;
                s.add(ckpt(2));
                ensure(s.len() == 2 && s.latest().map(|c| c.id.0) == Some(2), || format!("{:?}", ids(&s)))
            },
        },
        Case {
            flink: flink(STORE, "testAddCheckpointMoreThanMaxRetained", "1.11-2.x"),
            check: |p| {
                let mut s = CompletedCheckpointStore::new(1, Retention::NoExternalizedCheckpoints, p);
                s.add(ckpt(1));
                ensure(s.len() == 1, || "one retained".into())?;
                for id in 2..=4 {
                    let discarded = s.add(ckpt(id));
                    ensure(discarded == vec![CheckpointId(id - 1)], || format!("add {id} discarded {discarded:?}"))?;
                    ensure(s.len() == 1, || format!("{:?}", ids(&s)))?;
                }
                Ok(())
            },
        },
        Case {
            flink: flink(STORE, "testEmptyState", "1.11-2.x"),
            check: |p| {
                let s = CompletedCheckpointStore::new(1, Retention::NoExternalizedCheckpoints, p);
                ensure(s.latest().is_none() && s.retained().is_empty() && s.is_empty(), || "not empty".into())
            },
        },
        Case {
            flink: flink(STORE, "testGetAllCheckpoints", "1.11-2.x"),
            check: |p| {
                let mut s = CompletedCheckpointStore::new(4, Retention::NoExternalizedCheckpoints, p);
                for id in 1..=4 {
                    s.add(ckpt(id));
                }
                ensure(ids(&s) == vec![1, 2, 3, 4], || format!("{:?}", ids(&s)))
            },
        },
        Case {
            flink: flink(STORE, "testDiscardAllCheckpoints", "1.11-2.x"),
            check: |p| {
                let mut s = CompletedCheckpointStore::new(4, Retention::NoExternalizedCheckpoints, p);
                for id in 1..=4 {
                    s.add(ckpt(id));
                }
                let (kept, discarded) = s.shutdown(JobStatus::Finished);
                ensure(kept.is_empty() && discarded.len() == 4 && s.is_empty(), || {
                    format!("kept {} discarded {discarded:?}", kept.len())
                })
            },
        },
        Case {
            flink: flink(STANDALONE, "testShutdownDiscardsCheckpoints", "1.11-2.x"),
            check: |p| {
                let mut s = CompletedCheckpointStore::new(1, Retention::NoExternalizedCheckpoints, p);
                s.add(ckpt(1));
                let (_, discarded) = s.shutdown(JobStatus::Finished);
                ensure(discarded == vec![CheckpointId(1)] && s.is_empty(), || format!("{discarded:?}"))
            },
        },
        Case {
            flink: flink(STANDALONE, "testSuspendDiscardsCheckpoints", "1.11-2.x"),
            check: |p| {
                let mut s = CompletedCheckpointStore::new(1, Retention::NoExternalizedCheckpoints, p);
                s.add(ckpt(1));
                let (_, discarded) = s.shutdown(JobStatus::Suspended);
                ensure(discarded == vec![CheckpointId(1)] && s.is_empty(), || format!("{discarded:?}"))
            },
        },
        Case {
            flink: flink(PROPS, "testCheckpointProperties (NEVER_RETAIN_AFTER_TERMINATION)", "1.11-2.x"),
            check: |_| {
                let c = ckpt(1);
                let row = discard_row(&c, Retention::NoExternalizedCheckpoints);
                ensure(c.discarded_on_subsume() && row == [true; 4], || format!("{row:?}"))
            },
        },
        Case {
            flink: flink(PROPS, "testCheckpointProperties (RETAIN_ON_FAILURE)", "1.11-2.x"),
            check: |_| {
                let c = ckpt(1);
                let row = discard_row(&c, Retention::DeleteOnCancellation);
                ensure(c.discarded_on_subsume() && row == [true, true, false, true], || format!("{row:?}"))
            },
        },
        Case {
            flink: flink(PROPS, "testCheckpointProperties (RETAIN_ON_CANCELLATION)", "1.11-2.x"),
            check: |_| {
                let c = ckpt(1);
                let row = discard_row(&c, Retention::RetainOnCancellation);
                ensure(c.discarded_on_subsume() && row == [true, false, false, false], || format!("{row:?}"))
            },
        },
        Case {
            flink: flink(PROPS, "testSavepointProperties", "1.11-2.x"),
            check: |_| {
                let c = checkpoint(1, CheckpointKind::Savepoint);
                for r in [
                    Retention::NoExternalizedCheckpoints,
                    Retention::DeleteOnCancellation,
                    Retention::RetainOnCancellation,
                ] {
                    let row = discard_row(&c, r);
                    ensure(!c.discarded_on_subsume() && row == [false; 4], || format!("{r:?}: {row:?}"))?;
                }
                Ok(())
            },
        },
        Case {
            flink: flink(PROPS, "testIsSavepoint", "1.11-2.x"),
            check: |_| {
                ensure(checkpoint(1, CheckpointKind::Savepoint).is_savepoint() && !ckpt(1).is_savepoint(), || {
                    "is_savepoint".into()
                })
            },
        },
    ]
}

#[test]
fn completed_checkpoint_store_and_retention() {
    let all = cases();
    let runs: Vec<(usize, Profile)> = (0..all.len()).flat_map(|i| [(i, F111), (i, F23)]).collect();
    run_table(
        "completed checkpoint store",
        &runs,
        |(i, p)| case_name(&all[*i].flink, *p),
        |(i, p)| (all[*i].check)(*p),
    );
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().flat_map(|c| [(c.flink, profile_name(F111)), (c.flink, profile_name(F23))]).collect()
}
