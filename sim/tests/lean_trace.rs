//! A lean run (`outcome::run_lean`: the trace streamed into its hash, only essential events
//! kept) judges exactly like a full run: same trace hash, event count, verdicts, expectations
//! and rendered tables, on the seed scenarios and on swarm-drawn fault runs.

use ckptsim_sim::{load, outcome, swarm};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn same(spec: &ckptsim_sim::spec::JobSpec, seed: u64) {
    let full = outcome::run(spec, seed);
    let lean = outcome::run_lean(spec, seed);
    let what = format!("{} seed {seed}", spec.name);
    assert_eq!(full.trace_hash(), lean.trace_hash(), "{what}: hash");
    assert_eq!(full.run.trace.len(), lean.run.trace.len(), "{what}: events");
    assert_eq!(full.run.trace.events().len(), full.run.trace.len(), "{what}: a full trace keeps every event");
    assert!(lean.run.trace.events().len() < full.run.trace.len(), "{what}: a lean trace drops events");
    assert_eq!(full.verdicts, lean.verdicts, "{what}: verdicts");
    assert_eq!(full.expectations, lean.expectations, "{what}: expectations");
    assert_eq!(outcome::render(spec, &full), outcome::render(spec, &lean), "{what}: rendered tables");
    assert!(lean.run.snapshot_spans.is_empty(), "{what}: a lean run keeps no snapshot spans");
}

#[test]
fn lean_runs_judge_like_full_runs() {
    // Every scenario of the repository at its default seed: a checker that reads an event kind
    // the lean trace drops (the cancellation watchdog's, once) judges differently here.
    let files = load::collect_scenarios(&[root().join("scenarios")]).expect("scenario folders");
    assert!(files.len() > 100, "the repository's scenarios are there");
    for f in files {
        let spec = load::load_spec(&f).expect("scenario loads");
        same(&spec, spec.default_seed);
    }
    let faults = load::load_spec(&root().join("scenarios/bench/swarm-faults.toml")).expect("scenario loads");
    for seed in 1..=6 {
        let (drawn, _) = swarm::draw(&faults, seed);
        same(&drawn, seed);
    }
}

/// A sweep folds each scenario's reference once and reuses it for every seed whose drawn spec
/// folds the same way (`reference::ReferenceCache`): over every scenario of the repository and
/// swarm draws of four seeds, the cached reference equals the one folded for that seed, and
/// a run judged with it has the same verdicts, expectations and hash. One cache serves every
/// file in turn, so a cache that told two scenarios' folds apart wrongly would hand a file
/// another file's reference. (Measured here: no swarm draw of these seeds changes a
/// scenario's fold — the drawn sink kind and the one parallelism after the sources leave
/// the keyed operator and the sink forward-connected.)
#[test]
fn a_cached_reference_is_the_reference_of_every_seed() {
    use ckptsim_sim::reference::{self, ReferenceCache};
    let files = load::collect_scenarios(&[root().join("scenarios")]).expect("scenario folders");
    let mut cache = ReferenceCache::default();
    for f in &files {
        let spec = load::load_spec(f).expect("scenario loads");
        for seed in 1..=4 {
            let (drawn, _) = swarm::draw(&spec, seed);
            let fresh = format!("{:?}", reference::compute(&drawn));
            let cached = format!("{:?}", cache.get(&drawn));
            assert_eq!(cached, fresh, "{} swarm seed {seed}: cached reference", spec.name);
        }
    }
    assert!(cache.reused > cache.computed, "reused {} of {}", cache.reused, cache.reused + cache.computed);
    assert!(cache.computed > 1, "distinct scenarios fold apart: {}", cache.computed);
    let faults = load::load_spec(&root().join("scenarios/bench/swarm-faults.toml")).expect("scenario loads");
    for seed in 1..=4 {
        let (drawn, _) = swarm::draw(&faults, seed);
        let plain = outcome::run_lean(&drawn, seed);
        let cached = outcome::run_lean_cached(&drawn, seed, &mut cache);
        assert_eq!(plain.trace_hash(), cached.trace_hash(), "seed {seed}: hash");
        assert_eq!(plain.verdicts, cached.verdicts, "seed {seed}: verdicts");
        assert_eq!(plain.expectations, cached.expectations, "seed {seed}: expectations");
    }
}

/// A swarm sweep prepares each drawn spec with the broker log of an earlier seed of the same
/// input (`world::prepare_cached`, one `LogCache` a worker): over the faults folder and the
/// swarm benchmark job, seeds 1-4 in a sweep's order (scenario after scenario, one cache for
/// all), each run equals the run of a freshly built log (hash, event count, verdicts), and the
/// cache served most seeds (a drawn spec of a scenario differs in faults and length, not input).
#[test]
fn a_cached_broker_log_runs_like_a_fresh_one() {
    use ckptsim_sim::reference::ReferenceCache;
    use ckptsim_sim::world::{prepare_cached, LogCache, Prepared};
    let mut files = load::collect_scenarios(&[root().join("scenarios/faults")]).expect("scenario folders");
    files.push(root().join("scenarios/bench/swarm-faults.toml"));
    let (mut logs, mut cache) = (LogCache::default(), ReferenceCache::default());
    let (mut runs, mut shared) = (0, 0);
    for f in &files {
        let spec = load::load_spec(f).expect("scenario loads");
        let mut earlier: Vec<Prepared> = Vec::new();
        for seed in 1..=4 {
            let (drawn, _) = swarm::draw(&spec, seed);
            let cached = prepare_cached(&drawn, &mut logs);
            let fresh = outcome::run_lean(&drawn, seed);
            let o = outcome::run_lean_prepared(&drawn, &cached, seed, &mut cache);
            let what = format!("{} swarm seed {seed}", spec.name);
            assert_eq!(o.trace_hash(), fresh.trace_hash(), "{what}: hash");
            assert_eq!(o.run.trace.len(), fresh.run.trace.len(), "{what}: events");
            assert_eq!(o.verdicts, fresh.verdicts, "{what}: verdicts");
            shared += earlier.iter().any(|e| e.shares_log_with(&cached)) as usize;
            earlier.push(cached);
            runs += 1;
        }
    }
    // At most 3 of a scenario's 4 seeds can reuse a log (2 when half are extended for liveness).
    assert!(shared * 4 > runs, "the cache served {shared} of {runs} runs");
}

/// Compact output rows (`world::Rows`, 32 bytes a row with interned strings) hand back every
/// row exactly as it was pushed: values of each kind, tasks and attempts, timestamps, and the
/// edits tests make (retain, remove, set).
mod compact_rows {
    use ckptsim::record::{Lineage, Value};
    use ckptsim::{Attempt, TaskId};
    use ckptsim_sim::world::{OutputRow, Rows};
    use std::sync::Arc;
    fn row(t: u64, task: u32, attempt: u32, value: Value, seq: u64, sub: u32, ts: Option<i64>) -> OutputRow {
        OutputRow {
            time_ms: t,
            task: TaskId(task),
            attempt: Attempt(attempt),
            value,
            lineage: Lineage { input_seq: seq, sub },
            timestamp: ts,
            sink: 0,
        }
    }

    #[test]
    fn rows_come_back_as_pushed() {
        let a: Arc<str> = Arc::from("a");
        let rows = [
            row(1, 0, 0, Value::Pair(a.clone(), 1), 0, 0, None),
            row(2, 0, 0, Value::Pair(Arc::from("a"), 2), 1, 0, Some(-5)),
            row(2, 1, 3, Value::Int(-7), 2, 4, None),
            row(3, 1, 3, Value::str("b"), 3, 0, Some(i64::MIN)),
            row(4, 0, 0, Value::Pair(a, i64::MAX), 4, 0, None),
            row(4, 0, 1, Value::str(""), u64::MAX, u32::MAX, Some(9)),
        ];
        let packed: Rows = rows.iter().cloned().collect();
        assert_eq!(packed.len(), rows.len());
        assert_eq!(packed.to_vec(), rows);
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(packed.get(i).as_ref(), Some(r), "row {i}");
        }
        assert_eq!(packed.get(rows.len()), None);
        assert_eq!(packed.distinct_strings(), 3, "one string per distinct text");
        let mut fewer = packed.clone();
        fewer.retain(|r| r.lineage.input_seq % 2 == 0);
        assert_eq!(fewer.to_vec(), [rows[0].clone(), rows[2].clone(), rows[4].clone()]);
        let mut one_less = packed.clone();
        assert_eq!(one_less.remove(1), rows[1]);
        assert_eq!(one_less.to_vec(), [&rows[..1], &rows[2..]].concat());
        let mut changed = packed;
        changed.set(3, rows[0].clone());
        assert_eq!(changed.get(3), Some(rows[0].clone()));
        assert_eq!(changed.get(4), Some(rows[4].clone()));
    }
}
