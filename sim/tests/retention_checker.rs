//! The `retention` checker's replay of the completed-checkpoint store after every completion (`RunResult::stores`): the planted `deferred-subsumption` is caught on every seed and nothing else sees it, the correct store passes, and the profile's subsumption rule is re-derived case by case on doctored reports.

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
}
