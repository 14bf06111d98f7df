//! CompletedCheckpointStoreTest, StandaloneCompletedCheckpointStoreTest, DefaultCompletedCheckpointStoreTest and CheckpointPropertiesTest posed to `CompletedCheckpointStore` and `CompletedCheckpoint`.

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

const DEFAULT: &str = "DefaultCompletedCheckpointStoreTest";

/// A savepoint in the store. Since 1.15 a job's own savepoints never enter it
/// (`CheckpointCoordinator#completePendingCheckpoint` adds only non-savepoints); a savepoint
/// the job was restored from does, which is how the model poses the 2.x test's savepoints.
fn restored_savepoint(id: u64) -> Arc<CompletedCheckpoint> {
    Arc::new(CompletedCheckpoint { external: true, ..(*checkpoint(id, CheckpointKind::Savepoint)).clone() })
}

/// `testCheckpointRetention(numRetain, completed, expectedRetained)` of the 2.x test: `c` a
/// checkpoint, `s` a savepoint, added in order.
fn retention(profile: Profile, num_retain: u32, completed: &[(char, u64)], want: &[u64]) -> Result<(), String> {
    let mut s = CompletedCheckpointStore::new(num_retain, Retention::NoExternalizedCheckpoints, profile);
    for &(tag, id) in completed {
        s.add(if tag == 's' { restored_savepoint(id) } else { ckpt(id) });
    }
    ensure(ids(&s) == want, || format!("retained {:?}, Flink {want:?}", ids(&s)))
}

/// Whether `f` panics (Flink's `IllegalStateException` / `IllegalArgumentException`).
fn panics(f: impl FnOnce()) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err()
}

fn no_retained(p: Profile) -> Result<(), String> {
    ensure(panics(|| drop(CompletedCheckpointStore::new(0, Retention::NoExternalizedCheckpoints, p))), || {
        "a store retaining 0 checkpoints was created".into()
    })
}

/// Cases that hold under one profile only: (Flink test, profile, check).
type ProfileCase = (Flink, Profile, fn() -> Result<(), String>);

/// Session 40: `DefaultCompletedCheckpointStoreTest` (2.x: `CheckpointSubsumeHelper`, which
/// keeps the newest checkpoint that is not a savepoint), `CompletedCheckpointStoreTest
/// .testExceptionOnNoRetainedCheckpoints`.
fn profile_cases() -> Vec<ProfileCase> {
    let mut v: Vec<ProfileCase> = vec![
        (flink(DEFAULT, "testAtLeastOneCheckpointRetained", "2.x"), F23, || {
            retention(F23, 1, &[('c', 1), ('c', 2), ('s', 3), ('s', 4), ('s', 5)], &[2, 5])
        }),
        (flink(DEFAULT, "testOlderSavepointSubsumed", "2.x"), F23, || {
            retention(F23, 1, &[('c', 1), ('s', 2), ('c', 3)], &[3])
        }),
        (flink(DEFAULT, "testNotSubsumedIfNotNeeded", "2.x"), F23, || {
            retention(F23, 3, &[('c', 1), ('c', 2), ('c', 3)], &[1, 2, 3])
        }),
        (flink(DEFAULT, "testAddCheckpointSuccessfullyShouldRemoveOldOnes", "2.x"), F23, || {
            // One retained (id 1), checkpoint 100 added: only 100 is left, and 1 was discarded.
            let mut s = CompletedCheckpointStore::new(1, Retention::NoExternalizedCheckpoints, F23);
            s.add(ckpt(1));
            let discarded = s.add(ckpt(100));
            ensure(ids(&s) == vec![100] && discarded == vec![CheckpointId(1)], || {
                format!("retained {:?}, discarded {discarded:?}", ids(&s))
            })
        }),
        (flink(DEFAULT, "testShutdownShouldDiscardStateHandleWhenJobIsGloballyTerminalState", "2.x"), F23, || {
            // Three checkpoints (NEVER_RETAIN_AFTER_TERMINATION), CANCELED: all three removed.
            let mut s = CompletedCheckpointStore::new(3, Retention::NoExternalizedCheckpoints, F23);
            for id in 1..=3 {
                s.add(ckpt(id));
            }
            let (kept, discarded) = s.shutdown(JobStatus::Canceled);
            ensure(kept.is_empty() && discarded.len() == 3 && s.is_empty(), || {
                format!("kept {}, discarded {discarded:?}", kept.len())
            })
        }),
        (flink(DEFAULT, "testShutdownFailsAnyFutureCallsToAddCheckpoint", "2.x"), F23, || {
            // Every terminal status the store is shut down with (the model shuts it down only
            // at a terminal one): a later add is refused.
            for status in [JobStatus::Finished, JobStatus::Canceled, JobStatus::Failed, JobStatus::Suspended] {
                let mut s = CompletedCheckpointStore::new(1, Retention::NoExternalizedCheckpoints, F23);
                s.shutdown(status);
                ensure(
                    panics(move || {
                        s.add(ckpt(0));
                    }),
                    || format!("add after shutdown({status:?}) accepted"),
                )?;
            }
            Ok(())
        }),
    ];
    // Flink's constructor refuses `maxNumberOfCheckpointsToRetain < 1` (IllegalArgumentException).
    v.push((flink(STORE, "testExceptionOnNoRetainedCheckpoints", "1.11-2.x"), F111, || no_retained(F111)));
    v.push((flink(STORE, "testExceptionOnNoRetainedCheckpoints", "1.11-2.x"), F23, || no_retained(F23)));
    v
}

/// One case's check under one profile.
type Check = Box<dyn Fn() -> Result<(), String>>;

#[test]
fn completed_checkpoint_store_and_retention() {
    let all = cases();
    let mut runs: Vec<(Flink, Profile, Check)> = Vec::new();
    for c in &all {
        for p in [F111, F23] {
            let check = c.check;
            runs.push((c.flink, p, Box::new(move || check(p))));
        }
    }
    for (f, p, check) in profile_cases() {
        runs.push((f, p, Box::new(check)));
    }
    run_table("completed checkpoint store", &runs, |(f, p, _)| case_name(f, *p), |(_, _, check)| check());
}

/// The 2.x retention cases must fail under 1.11's store (first in, first out; savepoints
/// counted like checkpoints): each expectation can fail.
#[test]
fn the_2x_retention_fails_under_flink_111() {
    assert!(retention(F111, 1, &[('c', 1), ('c', 2), ('s', 3), ('s', 4), ('s', 5)], &[2, 5]).is_err());
    // 1.11 keeps only the newest entry, a savepoint included.
    assert_eq!(retention(F111, 1, &[('c', 1), ('c', 2), ('s', 3), ('s', 4), ('s', 5)], &[5]), Ok(()));
}

pub fn census() -> Vec<(Flink, &'static str)> {
    let mut v: Vec<(Flink, &'static str)> =
        cases().iter().flat_map(|c| [(c.flink, profile_name(F111)), (c.flink, profile_name(F23))]).collect();
    v.extend(profile_cases().iter().map(|(f, p, _)| (*f, profile_name(*p))));
    v
}
