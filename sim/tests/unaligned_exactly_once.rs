//! The exactly-once checker under unaligned checkpoints: records a completed checkpoint holds as in-flight channel state are due only with a later checkpoint; a covered record that is not channel state and was never committed is still a loss.

use ckptsim_sim::spec::{InputSpec, JobSpec};
use ckptsim_sim::{check, load, reference, world};
use std::collections::BTreeSet;
use std::path::Path;

fn load(rel: &str) -> JobSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    load::load_spec(&path).expect("scenario loads")
}

/// Inputs covered by the source offsets of checkpoint `id` (the old "covered" rule).
fn covered_by(spec: &JobSpec, run: &world::RunResult, id: ckptsim::CheckpointId) -> BTreeSet<u64> {
    let InputSpec::Log { records, .. } = &spec.input else { panic!("log input") };
    let offsets = &run.completed_offsets[&id];
    let mut next = std::collections::BTreeMap::new();
    let mut out = BTreeSet::new();
    for (seq, (_, p, _)) in records.iter().enumerate() {
        let off = next.entry(p).or_insert(0u64);
        if offsets.get(&ckptsim::PartitionId(p)).is_some_and(|o| *off < o.0) {
            out.insert(seq as u64);
        }
        *off += 1;
    }
    out
}

fn committed(run: &world::RunResult) -> BTreeSet<u64> {
    run.committed.iter().map(|r| r.lineage.input_seq).collect()
}

/// The five swarm seeds of 003-unaligned-backpressure that the offsets-only rule flagged:
/// several of these regressions end with channel state of the horizon checkpoint not yet committed
/// (so the old rule fails on it), and the checker passes.
#[test]
fn in_flight_records_of_the_horizon_checkpoint_are_not_due() {
    let mut exercised = 0;
    for seed in [58, 87, 133, 151, 181] {
        let spec = load(&format!("scenarios/regressions/unaligned-in-flight-seed-{seed}.toml"));
        let run = world::run(&spec, spec.default_seed);
        let reference = reference::compute(&spec);
        let v = check::exactly_once(&spec, &run, &reference);
        assert_eq!(v.passed, Some(true), "seed {seed}: {v:?}");
        let Some(h) = run.sink_commit_horizon else { continue };
        let Some((id, _)) = run.completed_offsets.range(..=h).next_back() else { continue };
        let covered = covered_by(&spec, &run, *id);
        let done = committed(&run);
        let in_flight = run.completed_in_flight.get(id).cloned().unwrap_or_default();
        let pending: Vec<u64> =
            in_flight.iter().copied().filter(|s| covered.contains(s) && !done.contains(s)).collect();
        eprintln!("seed {seed}: horizon {id}, {} in flight, {} of them uncommitted", in_flight.len(), pending.len());
        // Which written-out runs end with pending channel state depends on same-millisecond
        // event order: 58, 87, 151 and 181 did until the 2.x trigger answers (session 13)
        // reordered such events; now 58 and 133 do. Every file must pass; at least two must
        // exercise the rule, and seed 58 (used below) must.
        if !pending.is_empty() {
            exercised += 1;
        } else {
            assert_ne!(seed, 58, "seed 58: the regression no longer ends with uncommitted channel state");
        }
    }
    assert!(exercised >= 2, "only {exercised} regressions end with uncommitted channel state");
}

/// A planted loss under unaligned checkpoints still fails: an input the horizon checkpoint
/// covers and does not hold as channel state; and an input an *earlier* checkpoint held as
/// channel state (a later checkpoint completed, so it is due).
#[test]
fn a_covered_input_outside_the_channel_state_is_still_lost() {
    // Zero failover latencies: the regression replays swarm seed 58's faults at their times,
    // written before the MiniCluster-like defaults; the planted losses need that schedule's
    // shape (a committed input outside the horizon's channel state).
    let mut spec = load("scenarios/regressions/unaligned-in-flight-seed-58.toml");
    spec.cluster.pin_zero_latency();
    let run = world::run(&spec, spec.default_seed);
    let reference = reference::compute(&spec);
    assert_eq!(check::exactly_once(&spec, &run, &reference).passed, Some(true));
    let h = run.sink_commit_horizon.expect("the sinks acted on a completion");
    let (id, _) = run.completed_offsets.range(..=h).next_back().expect("a completed checkpoint");
    let in_flight = run.completed_in_flight.get(id).cloned().unwrap_or_default();
    let done = committed(&run);
    let covered = covered_by(&spec, &run, *id);
    // The checker's cut is the covered prefix of the input (before the first uncovered input).
    let prefix = (0u64..).find(|s| !covered.contains(s)).expect("an uncovered input");
    let victim = (0..prefix).rev().find(|s| !in_flight.contains(s) && done.contains(s)).expect("a victim");
    let mut planted = run.clone();
    planted.committed.retain(|r| r.lineage.input_seq != victim);
    let v = check::exactly_once(&spec, &planted, &reference);
    assert_eq!(v.passed, Some(false), "{v:?}");
    assert!(v.anomalies.iter().any(|a| a.contains(&format!("input #{victim} "))), "{:?}", v.anomalies);

    // Channel state of an earlier completed checkpoint: due, since a later one completed.
    let (earlier, held) = run
        .completed_in_flight
        .range(..*id)
        .rev()
        .find_map(|(c, f)| f.iter().find(|s| done.contains(s)).map(|s| (*c, *s)))
        .expect("an earlier checkpoint with committed channel state");
    let mut planted = run.clone();
    planted.committed.retain(|r| r.lineage.input_seq != held);
    let v = check::exactly_once(&spec, &planted, &reference);
    assert_eq!(v.passed, Some(false), "input #{held} (channel state of {earlier}): {v:?}");
}
