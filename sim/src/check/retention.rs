//! The `retention` checker: the completed-checkpoint store after every completion (exactly the newest `num-retained`, per profile), and which of its own checkpoints a job leaves behind when it ends, per the retention policy.

use super::*;
use ckptsim::store::StoreEntry;

/// Retention, in two parts.
///
/// **After every completion** (the store replayed from `RunResult::stores`, each coordinator's
/// from empty): Flink subsumes in the call that adds a completed checkpoint
/// (`DefaultCompletedCheckpointStore.addCheckpointAndSubsumeOldestOne`), so right after each
/// add the store holds what the profile's rule keeps of the previous entries plus the new one:
/// 1.11 the newest `num-retained` in completion order (savepoints count toward them); 2.x
/// `CheckpointSubsumeHelper` (oldest first while more than `num-retained`, never the newest
/// entry nor the latest non-savepoint checkpoint). 2.x never stores its own savepoints
/// (`CheckpointCoordinator` adds only `!isSavepoint()` completions); every completed checkpoint
/// that the profile stores entered it. The planted `deferred-subsumption` breaks the first rule.
///
/// **When the job ends**: which of its own checkpoints it leaves behind (Flink's
/// `CheckpointRetentionPolicy` via `shouldBeDiscardedOnShutdown`): none by default
/// (NEVER_RETAIN_AFTER_TERMINATION); on FAILED only with RETAIN_ON_FAILURE; on FAILED or
/// CANCELED with RETAIN_ON_CANCELLATION; never after FINISHED. What is left is among the newest
/// `num_retained` completed checkpoints and includes the newest one. Only the job that ended
/// is judged: after a `restore-retained` or `rescale` the earlier job's checkpoints were
/// already handled when it ended (a new job from a savepoint whose restore is refused fails
/// with no checkpoint of its own, and leaves none).
///
/// **When a new job resumes** from what the ended job retained (`restore-retained`, a rescale
/// from the retained checkpoint): it restores the newest (session 37, `resume_point.rs`).
pub fn retention(spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "retention";
    use ckptsim::config::Retention;
    let status = run.final_status;
    let mut anomalies = Vec::new();
    let adds = store_after_each_add(spec, run, &mut anomalies);
    discards_only_owned(run, &mut anomalies);
    super::resume_point::new_jobs_resume_newest(spec, run, &mut anomalies);
    if !matches!(status, JobStatus::Failed | JobStatus::Canceled | JobStatus::Finished) {
        if adds == 0 {
            return Verdict::skip(NAME, "job did not reach a globally terminal status");
        }
        let summary = format!("store as Flink keeps it after each of {adds} adds; job still {status}");
        return Verdict::from(NAME, anomalies, summary);
    }
    let since_ms = last_job_start_ms(run);
    let own: BTreeSet<ckptsim::CheckpointId> = run
        .checkpoints
        .iter()
        .filter(|r| r.outcome == "COMPLETED" && !r.savepoint && r.trigger_ms >= since_ms)
        .map(|r| r.id)
        .collect();
    let retained: BTreeSet<ckptsim::CheckpointId> =
        run.retained.iter().copied().filter(|id| own.contains(id)).collect();
    let keep = match spec.checkpoint.retention {
        Retention::NoExternalizedCheckpoints => false,
        Retention::DeleteOnCancellation => status == JobStatus::Failed,
        Retention::RetainOnCancellation => matches!(status, JobStatus::Failed | JobStatus::Canceled),
    };
    let policy = format!("{:?}", spec.checkpoint.retention);
    if !keep && !retained.is_empty() {
        anomalies.push(Finding::named(format!(
            "job ended {status} under {policy} but checkpoints {retained:?} were retained"
        )));
    }
    if keep {
        // The store's newest `num_retained` entries; 1.11 keeps savepoints in the store too,
        // where they count toward the number (semantics §6: plain FIFO), so a savepoint may
        // have pushed the newest checkpoint out. Only checkpoints are the job's to retain.
        let savepoints_in_store = spec.profile.savepoints_in_completed_store();
        let window: Vec<(ckptsim::CheckpointId, bool)> = run
            .checkpoints
            .iter()
            .filter(|r| r.outcome == "COMPLETED" && r.trigger_ms >= since_ms && (!r.savepoint || savepoints_in_store))
            .map(|r| (r.id, r.savepoint))
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .rev()
            .take(spec.checkpoint.num_retained.max(1) as usize)
            .collect();
        let newest: Vec<ckptsim::CheckpointId> = window.iter().filter(|(_, sp)| !sp).map(|(id, _)| *id).collect();
        if let Some(latest) = window.first().filter(|(_, sp)| !sp).map(|(id, _)| id) {
            if !retained.contains(latest) {
                anomalies.push(Finding::named(format!(
                    "job ended {status} under {policy} but the newest completed checkpoint {latest} was discarded (retained {retained:?})"
                )));
            }
        }
        for id in &retained {
            if !newest.contains(id) {
                anomalies.push(Finding::named(format!(
                    "checkpoint {id} retained but it is not among the newest {} completed",
                    spec.checkpoint.num_retained
                )));
            }
        }
    }
    let summary = format!("store checked after {adds} adds; job ended {status} under {policy}: retained {retained:?}");
    Verdict::from(NAME, anomalies, summary)
}

/// A job discards only checkpoints it owns (session 29, the held-out
/// `savepoint-discarded-on-subsume`): every `storage discard` is of a checkpoint the job took
/// itself. Flink's `CheckpointProperties` of a savepoint (`forSavepoint`: `discardSubsumed`
/// and every `discardOn*` false) and of a checkpoint restored from outside
/// (`forUnclaimedSnapshot`) leave their files to the user: such an entry leaves the store when
/// it is subsumed or the job ends, but its state is not discarded. Each discard is judged with
/// the store change that removed it in the same millisecond (the coordinator reports both in one
/// call) and the newest store entry of that id added before it (`RunResult::stores`).
fn discards_only_owned(run: &RunResult, anomalies: &mut Vec<Finding>) {
    let discards: Vec<(u64, ckptsim::CheckpointId)> = run.trace.discards().iter().map(|m| (m.time_ms, m.id)).collect();
    // One pass over the store's changes in time order (linear in the run: a one-hour run at a
    // 10 ms interval discards ~360,000 checkpoints): the discards visited in time order, the
    // store replayed up to each one's time.
    let mut order: Vec<usize> = (0..discards.len()).collect();
    order.sort_by_key(|i| discards[*i].0);
    let mut owner: Vec<Option<&'static str>> = vec![None; discards.len()];
    // The newest added entry of each id so far: (savepoint, restored from outside).
    let mut newest: BTreeMap<ckptsim::CheckpointId, (bool, bool)> = BTreeMap::new();
    // The ids removed by the store changes of the latest time replayed.
    let (mut removed_ms, mut removed) = (None, BTreeSet::new());
    let mut stores = run.stores.iter().peekable();
    for i in order {
        let (time_ms, id) = discards[i];
        while let Some(s) = stores.next_if(|s| s.time_ms <= time_ms) {
            if removed_ms != Some(s.time_ms) {
                removed_ms = Some(s.time_ms);
                removed.clear();
            }
            removed.extend(s.removed.iter().copied());
            if let Some(a) = &s.added {
                newest.insert(a.id, (a.savepoint, a.external));
            }
        }
        if removed_ms != Some(time_ms) || !removed.contains(&id) {
            continue;
        }
        owner[i] = match newest.get(&id) {
            Some((true, _)) => Some("a savepoint"),
            Some((false, true)) => Some("a checkpoint restored from outside the job"),
            _ => None,
        };
    }
    for ((time_ms, id), what) in discards.iter().zip(owner) {
        let Some(what) = what else { continue };
        anomalies.push(
            Finding::new(
                "discarded-not-owned",
                format!(
                    "t={time_ms} checkpoint {id} discarded, but it is {what}: the job does not own its state \
                     (Flink never discards a savepoint or an unclaimed restored checkpoint)"
                ),
            )
            .at(*time_ms),
        );
    }
}

/// When the last job of the run started: the last CREATED of the status timeline that follows
/// a globally terminal status (a new job: `restore-retained`, `rescale`); 0 for the first job.
/// A JobManager failover is the same job (its status is not globally terminal before).
fn last_job_start_ms(run: &RunResult) -> u64 {
    run.status_timeline
        .windows(2)
        .rev()
        .find(|w| w[0].1.is_globally_terminal() && w[1].1 == JobStatus::Created)
        .map(|w| w[1].0)
        .unwrap_or(0)
}

/// The store replayed from the coordinators' reports (`RunResult::stores`), judged after each
/// add against the profile's subsumption rule; every completed checkpoint the profile stores
/// must have entered it. Returns the number of adds.
fn store_after_each_add(spec: &JobSpec, run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    if run.stores.is_empty() {
        return 0;
    }
    let n = spec.checkpoint.num_retained.clamp(1, i64::from(u32::MAX)) as usize;
    let profile = spec.profile;
    let mut epoch = None;
    let mut replay = StoreReplay::default();
    // The newest entry after each event: what a restart at that time restores.
    let mut latest_after: Vec<(u64, Option<ckptsim::CheckpointId>)> = Vec::with_capacity(run.stores.len());
    for e in &run.stores {
        if epoch != Some(e.epoch) {
            epoch = Some(e.epoch);
            replay.content.clear();
        }
        replay.apply(e, n, profile, anomalies);
        latest_after.push((e.time_ms, replay.content.last().map(|c| c.id)));
    }
    restarts_restore_latest(run, &latest_after, anomalies);
    failovers_recover_latest(run, &latest_after, anomalies);
    for row in &run.checkpoints {
        let stored = !row.savepoint || profile.savepoints_in_completed_store();
        if row.outcome == "COMPLETED" && stored && !replay.added_ids.contains(&row.id) {
            anomalies.push(Finding::named(format!("checkpoint {} completed but never entered the store", row.id)));
        }
    }
    run.stores.iter().filter(|e| e.added.is_some()).count()
}

/// A restart restores the store's newest entry at that time (Flink's
/// `CheckpointCoordinator#restoreLatestCheckpointedStateToAll`:
/// `CompletedCheckpointStore#getLatestCheckpoint`, the last added; none: the tasks start
/// empty). `latest_after`: the newest entry after each store event, in order. The store events
/// in the restore's own millisecond may fall either side of it, so the newest entry after any
/// prefix of them is accepted (the explorer, whose time moves only on a tick, has many).
/// JobManager failovers: [`failovers_recover_latest`]; new jobs: not judged.
fn restarts_restore_latest(
    run: &RunResult,
    latest_after: &[(u64, Option<ckptsim::CheckpointId>)],
    anomalies: &mut Vec<Finding>,
) {
    let latest_at = |n: usize| n.checked_sub(1).and_then(|i| latest_after[i].1);
    for r in run.restores.iter().filter(|r| matches!(r.cause, crate::world::RestoreCause::Restart { .. })) {
        let before = latest_after.partition_point(|(t, _)| *t < r.at_ms);
        let through = latest_after.partition_point(|(t, _)| *t <= r.at_ms);
        // Any prefix of the restore's millisecond: its store events may fall either side of it.
        if (before..=through).all(|k| r.checkpoint != latest_at(k)) {
            let name =
                |c: Option<ckptsim::CheckpointId>| c.map_or("nothing".to_string(), |c| format!("checkpoint {c}"));
            anomalies.push(
                Finding::named(format!(
                    "t={} {} restored {}, but the store's latest completed checkpoint then was {} (Flink restores the latest)",
                    r.at_ms,
                    r.cause,
                    name(r.checkpoint),
                    name(latest_at(through))
                ))
                .at(r.at_ms),
            );
        }
    }
}

/// A JobManager failover recovers the newest entry of the store the failed JobManager's
/// coordinator held (session 25): Flink's completed-checkpoint store *is* the HA store (a
/// checkpoint is added to it before it counts as completed, `CheckpointCoordinator
/// #completePendingCheckpoint`), and the new leader recovers its newest
/// (`DefaultCompletedCheckpointStoreUtils#retrieveCompletedCheckpoints`, then
/// `restoreLatestCheckpointedStateToAll`). The old coordinator's store is the one of the last
/// store event before the failover's millisecond; of the events in that millisecond, only the
/// old coordinator's (same epoch) may fall either side of it. A failover before any store
/// event is not judged.
fn failovers_recover_latest(
    run: &RunResult,
    latest_after: &[(u64, Option<ckptsim::CheckpointId>)],
    anomalies: &mut Vec<Finding>,
) {
    let failovers =
        run.restores.iter().filter(|r| matches!(r.cause, crate::world::RestoreCause::JobManagerFailover { .. }));
    for r in failovers {
        let before = latest_after.partition_point(|(t, _)| *t < r.at_ms);
        let Some(old_epoch) = before.checked_sub(1).map(|i| run.stores[i].epoch) else { continue };
        // The old coordinator's events in the failover's millisecond, each a possible last one.
        let same_ms = run.stores[before..].iter().take_while(|e| e.time_ms == r.at_ms && e.epoch == old_epoch).count();
        let expected = |k: usize| latest_after[k].1;
        if (before - 1..before + same_ms).all(|k| r.checkpoint != expected(k)) {
            let name =
                |c: Option<ckptsim::CheckpointId>| c.map_or("nothing".to_string(), |c| format!("checkpoint {c}"));
            anomalies.push(
                Finding::named(format!(
                    "t={} {} recovered {}, but the failed JobManager's store held {} as its latest (Flink recovers the latest from the HA store)",
                    r.at_ms,
                    r.cause,
                    name(r.checkpoint),
                    name(expected(before + same_ms - 1))
                ))
                .at(r.at_ms),
            );
        }
    }
}

/// The store replayed from the coordinators' reports (see [`store_after_each_add`]).
#[derive(Default)]
struct StoreReplay {
    /// What the store holds after the events so far (of the current coordinator).
    content: Vec<StoreEntry>,
    /// What Flink's store holds after an add, rebuilt in one buffer per add (a fresh clone and
    /// two id vectors per add were most of this checker's cost).
    expected: Vec<StoreEntry>,
    /// Every checkpoint that entered the store.
    added_ids: BTreeSet<ckptsim::CheckpointId>,
}

impl StoreReplay {
    /// One event: `content` updated, an add judged against the profile's subsumption.
    fn apply(
        &mut self,
        e: &crate::world::StoreEvent,
        n: usize,
        profile: ckptsim::Profile,
        anomalies: &mut Vec<Finding>,
    ) {
        let StoreReplay { content, expected, added_ids } = self;
        for id in &e.removed {
            if !content.iter().any(|c| c.id == *id) {
                anomalies.push(Finding::named(format!(
                    "at {} ms checkpoint {id} left the store, which did not hold it",
                    e.time_ms
                )));
            }
        }
        let Some(added) = e.added else {
            content.retain(|c| !e.removed.contains(&c.id));
            return;
        };
        added_ids.insert(added.id);
        if added.savepoint && !added.external && !profile.savepoints_in_completed_store() {
            anomalies.push(Finding::named(format!(
                "at {} ms savepoint {} entered the store ({profile} keeps only checkpoints there)",
                e.time_ms, added.id
            )));
        }
        expected.clear();
        expected.extend_from_slice(content);
        expected.push(added);
        subsume(expected, n, profile);
        content.push(added);
        content.retain(|c| !e.removed.contains(&c.id));
        let ids = |v: &[StoreEntry]| v.iter().map(|c| c.id.0).collect::<Vec<u64>>();
        if !content.iter().map(|c| c.id).eq(expected.iter().map(|c| c.id)) {
            anomalies.push(Finding::named(format!(
                "after {} {} entered the store at {} ms it holds {:?}, but with num-retained {n} ({profile}) Flink keeps {:?} (subsumption happens on add)",
                if added.savepoint { "savepoint" } else { "checkpoint" },
                added.id,
                e.time_ms,
                ids(content),
                ids(expected)
            )));
        }
    }
}

/// The profile's subsumption after an add: 1.11 drops the oldest while more than `n`; 2.x
/// (`CheckpointSubsumeHelper`) walks oldest to newest while more than `n`, removing every
/// entry but the newest and the latest non-savepoint checkpoint.
fn subsume(entries: &mut Vec<StoreEntry>, n: usize, profile: ckptsim::Profile) {
    if !profile.subsume_keeps_latest_checkpoint() {
        let excess = entries.len().saturating_sub(n);
        entries.drain(..excess);
        return;
    }
    let newest = entries.last().map(|c| c.id);
    let latest_checkpoint = entries.iter().rev().find(|c| !c.savepoint).map(|c| c.id);
    let mut i = 0;
    while entries.len() > n && i < entries.len() {
        let id = entries[i].id;
        if Some(id) == newest || Some(id) == latest_checkpoint {
            i += 1;
        } else {
            entries.remove(i);
        }
    }
}
