//! The `retention` checker's replay of the completed-checkpoint store after every completion (`RunResult::stores`): the planted `deferred-subsumption` is caught on every seed and nothing else sees it, the correct store passes, and the profile's subsumption rule is re-derived case by case on doctored reports.

use ckptsim::status::JobStatus;
use ckptsim::store::StoreEntry;
use ckptsim::{CheckpointId, Profile, Variant};
use ckptsim_sim::world::StoreEvent;
use ckptsim_sim::{check, load, world};
use std::path::Path;

fn load_rel(rel: &str) -> ckptsim_sim::spec::JobSpec {
    load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)).expect("scenario loads")
}

/// The planted store subsumes only at the next trigger: right after each completion past the
/// second it holds three checkpoints with num-retained 2. The retention checker names that on
/// each of 200 seeds; on seed 1 no other checker fails (restores, output, state and the
/// end-of-job retention all look right). The correct store passes on the same 200 seeds.
#[test]
fn deferred_subsumption_is_caught_after_each_completion_and_only_by_retention() {
    let planted = load_rel("scenarios/negative/deferred-subsumption.toml");
    assert_eq!(planted.variant, Variant::DeferredSubsumption);
    let mut correct = planted.clone();
    correct.variant = Variant::Correct;
    for seed in 1..=200 {
        let run = world::run(&planted, seed);
        let v = check::retention(&planted, &run);
        assert_eq!(v.passed, Some(false), "seed {seed}: {v:?}");
        assert!(v.anomalies.iter().all(|a| a.contains("subsumption happens on add")), "seed {seed}: {v:?}");
        let run = world::run(&correct, seed);
        let v = check::retention(&correct, &run);
        assert_eq!(v.passed, Some(true), "seed {seed}: {v:?}");
        // Every completion entered the store, and from the third on each add subsumed one.
        let adds: Vec<&StoreEvent> = run.stores.iter().filter(|e| e.added.is_some()).collect();
        assert!(adds.len() >= 5, "seed {seed}: {:?}", run.stores);
        assert!(adds.iter().skip(2).all(|e| !e.removed.is_empty()), "seed {seed}: {:?}", run.stores);
    }
    let run = world::run(&planted, 1);
    let reference = ckptsim_sim::reference::compute(&planted);
    for other in check::check_all(&planted, &run, &reference) {
        if other.checker != "retention" {
            assert_ne!(other.passed, Some(false), "{other:?}");
        }
    }
}

/// One store report: `c` own checkpoint, `s` own savepoint, `y` restored (external) savepoint,
/// `-` no add; the ids that left; the coordinator (epoch).
type Report = (char, u64, &'static [u64], u32);

fn event(&(tag, id, removed, epoch): &Report) -> StoreEvent {
    let added = match tag {
        '-' => None,
        'c' => Some(StoreEntry { id: CheckpointId(id), savepoint: false, external: false }),
        's' => Some(StoreEntry { id: CheckpointId(id), savepoint: true, external: false }),
        'y' => Some(StoreEntry { id: CheckpointId(id), savepoint: true, external: true }),
        _ => unreachable!("unknown tag {tag}"),
    };
    StoreEvent { time_ms: id * 100, epoch, added, removed: removed.iter().map(|&i| CheckpointId(i)).collect() }
}

/// The subsumption rule per profile, judged on doctored store reports of a real run (its
/// checkpoint rows cleared, its job still running: only the replay speaks).
#[test]
fn the_store_is_judged_after_each_add_by_the_profile_rule() {
    use Profile::{Flink111, Flink23};
    let spec = load_rel("scenarios/negative/deferred-subsumption.toml");
    let mut base = world::run(&spec, 1);
    base.checkpoints.clear();
    base.final_status = ckptsim::status::JobStatus::Running;
    // (what, profile, num-retained, reports, the anomaly's words or None for a pass)
    type Case = (&'static str, Profile, i64, &'static [Report], Option<&'static str>);
    let cases: &[Case] = &[
        ("subsumed on add", Flink23, 1, &[('c', 1, &[], 1), ('c', 2, &[1], 1)], None),
        (
            "left for later",
            Flink23,
            1,
            &[('c', 1, &[], 1), ('c', 2, &[], 1), ('-', 3, &[1], 1)],
            Some("Flink keeps [2]"),
        ),
        ("the newest removed instead", Flink23, 1, &[('c', 1, &[], 1), ('c', 2, &[2], 1)], Some("holds [1]")),
        (
            "2.x keeps the latest checkpoint behind a restored savepoint",
            Flink23,
            1,
            &[('c', 1, &[], 1), ('y', 2, &[], 1), ('c', 3, &[1, 2], 1)],
            None,
        ),
        (
            "1.11 FIFO drops the checkpoint behind a savepoint",
            Flink111,
            1,
            &[('c', 1, &[], 1), ('y', 2, &[1], 1)],
            None,
        ),
        ("1.11 FIFO not applied", Flink111, 1, &[('c', 1, &[], 1), ('y', 2, &[], 1)], Some("Flink keeps [2]")),
        (
            "1.11 own savepoints count toward N",
            Flink111,
            2,
            &[('c', 1, &[], 1), ('s', 2, &[], 1), ('c', 3, &[1], 1)],
            None,
        ),
        (
            "2.x never stores its own savepoint",
            Flink23,
            2,
            &[('c', 1, &[], 1), ('s', 2, &[], 1)],
            Some("keeps only checkpoints"),
        ),
        ("an entry that was not held leaves", Flink23, 2, &[('c', 1, &[], 1), ('-', 9, &[7], 1)], Some("did not hold")),
        (
            "a new coordinator starts empty",
            Flink23,
            1,
            &[('c', 1, &[], 1), ('c', 2, &[1], 1), ('c', 2, &[], 2), ('c', 3, &[2], 2)],
            None,
        ),
        (
            "the shutdown empties the store",
            Flink23,
            2,
            &[('c', 1, &[], 1), ('c', 2, &[], 1), ('-', 3, &[1, 2], 1)],
            None,
        ),
    ];
    for &(what, profile, n, reports, want) in cases {
        let mut spec = spec.clone();
        spec.profile = profile;
        spec.checkpoint.num_retained = n;
        let mut run = base.clone();
        run.stores = reports.iter().map(event).collect();
        // Synthetic store events: the run's own restores do not belong to them.
        run.restores.clear();
        let v = check::retention(&spec, &run);
        match want {
            None => assert_eq!(v.passed, Some(true), "{what}: {v:?}"),
            Some(words) => {
                assert_eq!(v.passed, Some(false), "{what}: {v:?}");
                assert!(v.anomalies.iter().any(|a| a.contains(words)), "{what}: {v:?}");
            }
        }
    }
    // A completed checkpoint that never entered the store is named.
    let mut spec = spec;
    spec.variant = Variant::Correct;
    let mut run = world::run(&spec, 1);
    let first_add = run.stores.iter().position(|e| e.added.is_some()).expect("an add");
    let id = run.stores.remove(first_add).added.expect("added").id;
    run.stores.retain(|e| !e.removed.contains(&id));
    let v = check::retention(&spec, &run);
    assert!(
        v.anomalies.iter().any(|a| a.contains(&format!("checkpoint {id} completed but never entered the store"))),
        "{v:?}"
    );
    // The summary counts the adds replayed.
    let adds = run.stores.iter().filter(|e| e.added.is_some()).count();
    assert!(adds >= 2 && v.summary.contains(&format!(" {adds} adds")), "{adds} adds: {v:?}");
}

/// One doctored checkpoint row: id, trigger time (ms), outcome, savepoint.
type Row = (u64, u64, &'static str, bool);

/// One end-of-job case: what, profile, policy, num-retained, how the job ended, whether a
/// savepoint (9) completed after the newest checkpoint, the ids left behind, and the anomaly's
/// words (`None`: a pass).
type EndCase =
    (&'static str, Profile, ckptsim::config::Retention, i64, JobStatus, bool, &'static [u64], Option<&'static str>);

/// Which checkpoints a job leaves behind when it ends (Flink's `CheckpointRetentionPolicy`,
/// `CheckpointProperties.discardOnJobCanceled/Failed/Finished`), judged on a real run's report
/// doctored into two jobs: the first canceled at 1000 ms (its checkpoints 1 and 2 were handled
/// then), the second started at 1200 ms, went through a JobManager failover at 2400-2500 ms
/// (the same job) and ended at 5000 ms. Its own completed checkpoints are 3, 5 and 7 (4 is a
/// savepoint, 6 and 8 failed). The store's replay is cleared: only the end of the job speaks.
/// Each case is a retention bug the checker must name (or a correct end it must pass): the
/// newest dropped, one too many kept, kept under a policy that deletes, the first job's or a
/// savepoint taken for this job's, a 1.11 savepoint counted toward num-retained.
#[test]
fn the_checkpoints_a_job_leaves_behind_follow_the_policy() {
    use ckptsim::config::Retention::RetainOnCancellation as Retain;
    use ckptsim::config::Retention::{DeleteOnCancellation as Delete, NoExternalizedCheckpoints as Never};
    use JobStatus::{Canceled, Created, Failed, Finished, Running, Suspended};
    use Profile::{Flink111, Flink23};
    let spec = load_rel("scenarios/retained/resume-after-cancel-23.toml");
    let mut base = world::run(&spec, spec.default_seed);
    let template = base.checkpoints.first().expect("the run completed a checkpoint").clone();
    base.stores.clear();
    let rows: &[Row] = &[
        (1, 200, "COMPLETED", false),
        (2, 600, "COMPLETED", false),
        (3, 1400, "COMPLETED", false),
        (4, 1800, "COMPLETED", true),
        (5, 2200, "COMPLETED", false),
        (6, 2700, "CHECKPOINT_EXPIRED", false),
        (7, 3000, "COMPLETED", false),
        (8, 3400, "CHECKPOINT_DECLINED", false),
    ];
    let cases: &[EndCase] = &[
        ("retain on cancellation: the newest two", Flink23, Retain, 2, Canceled, false, &[5, 7], None),
        ("retain on cancellation: the newest alone", Flink23, Retain, 2, Canceled, false, &[7], None),
        ("nothing left", Flink23, Retain, 2, Canceled, false, &[], Some("newest completed checkpoint 7 was discarded")),
        (
            "an older one instead of the newest",
            Flink23,
            Retain,
            2,
            Canceled,
            false,
            &[5],
            Some("checkpoint 7 was discarded"),
        ),
        (
            "one beyond the newest two",
            Flink23,
            Retain,
            2,
            Canceled,
            false,
            &[3, 7],
            Some("checkpoint 3 retained but it is not among the newest 2"),
        ),
        ("the first job's are not this job's", Flink23, Retain, 2, Canceled, false, &[1, 2, 7], None),
        ("a savepoint is not the job's to retain", Flink23, Retain, 2, Canceled, false, &[4, 7], None),
        ("never retain: canceled", Flink23, Never, 2, Canceled, false, &[7], Some("were retained")),
        ("never retain: failed", Flink23, Never, 2, Failed, false, &[7], Some("were retained")),
        ("never retain: nothing left", Flink23, Never, 2, Failed, false, &[], None),
        ("delete on cancellation: canceled", Flink23, Delete, 2, Canceled, false, &[7], Some("were retained")),
        ("delete on cancellation: canceled, nothing left", Flink23, Delete, 2, Canceled, false, &[], None),
        ("delete on cancellation: failed keeps", Flink23, Delete, 2, Failed, false, &[5, 7], None),
        (
            "delete on cancellation: failed lost its newest",
            Flink23,
            Delete,
            2,
            Failed,
            false,
            &[],
            Some("checkpoint 7 was discarded"),
        ),
        ("retain on cancellation: failed keeps", Flink23, Retain, 1, Failed, false, &[7], None),
        (
            "retain on cancellation: one too many on failure",
            Flink23,
            Retain,
            1,
            Failed,
            false,
            &[5, 7],
            Some("checkpoint 5 retained but it is not among the newest 1"),
        ),
        ("finished leaves nothing", Flink23, Retain, 2, Finished, false, &[7], Some("were retained")),
        ("finished, nothing left", Flink23, Retain, 2, Finished, false, &[], None),
        ("2.x: a newer savepoint does not count", Flink23, Retain, 2, Canceled, true, &[5, 7], None),
        (
            "1.11: a newer savepoint counts toward num-retained",
            Flink111,
            Retain,
            2,
            Canceled,
            true,
            &[5, 7],
            Some("checkpoint 5 retained but it is not among the newest 2"),
        ),
        ("1.11: the newest checkpoint behind a savepoint", Flink111, Retain, 2, Canceled, true, &[7], None),
        ("1.11: the savepoint pushed every checkpoint out", Flink111, Retain, 1, Canceled, true, &[], None),
        (
            "1.11: a checkpoint kept behind the savepoint",
            Flink111,
            Retain,
            1,
            Canceled,
            true,
            &[7],
            Some("checkpoint 7 retained but it is not among the newest 1"),
        ),
        ("1.11 without a savepoint: the newest two", Flink111, Retain, 2, Canceled, false, &[5, 7], None),
    ];
    for &(what, profile, policy, n, end, savepoint_last, retained, want) in cases {
        let mut spec = spec.clone();
        spec.profile = profile;
        spec.checkpoint.retention = policy;
        spec.checkpoint.num_retained = n;
        let mut run = base.clone();
        let last: &[Row] = if savepoint_last { &[(9, 3800, "COMPLETED", true)] } else { &[] };
        run.checkpoints = rows
            .iter()
            .chain(last)
            .map(|&(id, trigger_ms, outcome, savepoint)| {
                let mut r = template.clone();
                (r.id, r.trigger_ms, r.end_ms, r.savepoint) =
                    (CheckpointId(id), trigger_ms, Some(trigger_ms + 50), savepoint);
                r.outcome = outcome.to_string();
                r
            })
            .collect();
        run.status_timeline = vec![
            (0, Created),
            (100, Running),
            (1000, Canceled),
            (1200, Created),
            (1300, Running),
            (2400, Suspended),
            (2500, Created),
            (2600, Running),
            (5000, end),
        ];
        run.final_status = end;
        run.retained = retained.iter().map(|&id| CheckpointId(id)).collect();
        let v = check::retention(&spec, &run);
        match want {
            None => assert_eq!(v.passed, Some(true), "{what}: {v:?}"),
            Some(words) => {
                assert_eq!(v.passed, Some(false), "{what}: {v:?}");
                assert!(v.anomalies.iter().any(|a| a.contains(words)), "{what}: {v:?}");
            }
        }
    }
}

/// Each coordinator's store starts empty (a new job, or a new JobManager, builds its own
/// `CompletedCheckpointStore`): a new coordinator whose first add is a checkpoint the previous
/// one never held passes, and the previous coordinator's entries are not carried over.
#[test]
fn a_new_coordinators_store_starts_empty() {
    let spec = load_rel("scenarios/negative/deferred-subsumption.toml");
    let mut spec = spec.clone();
    spec.profile = Profile::Flink23;
    spec.checkpoint.num_retained = 1;
    let mut run = world::run(&spec, 1);
    run.checkpoints.clear();
    run.final_status = JobStatus::Running;
    run.stores = [('c', 1, &[][..], 1), ('c', 2, &[1][..], 1), ('c', 3, &[][..], 2), ('c', 4, &[3][..], 2)]
        .iter()
        .map(event)
        .collect();
    // Synthetic store events: the run's own restores do not belong to them.
    run.restores.clear();
    let v = check::retention(&spec, &run);
    assert_eq!(v.passed, Some(true), "{v:?}");
    // Carried over, checkpoint 2 would still be held: the add of 3 without a removal is wrong.
    run.stores[2].epoch = 1;
    let v = check::retention(&spec, &run);
    assert!(v.anomalies.iter().any(|a| a.contains("Flink keeps [3]")), "{v:?}");
}
