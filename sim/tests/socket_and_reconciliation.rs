//! Socket input and Flink 1.11's missing task-state reconciliation: what a non-replayable source may lose, and a stall real Flink shares, named as such.

use ckptsim_sim::{check, load, reference, swarm, world};
use std::path::Path;

fn wordcount() -> ckptsim_sim::spec::JobSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/seeds/004-wordcount-restore.toml");
    load::load_spec(&path).expect("scenario loads")
}

/// Swarm seed 46 of seed 004: a one-way partition keeps the socket source running after its
/// downstream failed; the lines it read then die with it (no completed checkpoint covers them).
#[test]
fn lines_an_ended_attempt_read_after_its_last_completed_snapshot_may_be_lost() {
    let (spec, _) = swarm::draw(&wordcount(), 46);
    let run = world::run(&spec, 46);
    let reference = reference::compute(&spec);
    let maybe = check::socket_maybe_lost(&run);
    assert!(!maybe.is_empty(), "the partitioned source read lines no checkpoint covers");
    let v = check::at_least_once(&spec, &run, &reference);
    assert_eq!(v.passed, Some(true), "{:?}", v.anomalies);
    assert_eq!(check::state(&spec, &run, &reference).passed, Some(true));
}

/// A line that a completed checkpoint covers must be printed even though its reader ended.
#[test]
fn a_covered_line_of_an_ended_attempt_is_still_due() {
    let spec = wordcount();
    let mut run = world::run(&spec, spec.default_seed);
    let reference = reference::compute(&spec);
    assert_eq!(check::at_least_once(&spec, &run, &reference).passed, Some(true));
    let maybe = check::socket_maybe_lost(&run);
    let producing: std::collections::BTreeSet<u64> = reference.producing_inputs.keys().copied().collect();
    let covered = run
        .socket_reads
        .iter()
        .map(|r| r.seq)
        .find(|s| !maybe.contains(s) && producing.contains(s) && !run.lost_inputs.contains(s))
        .expect("a covered line that produces output");
    run.print_rows.retain(|r| r.lineage.input_seq != covered);
    let v = check::at_least_once(&spec, &run, &reference);
    assert_eq!(v.passed, Some(false), "dropping covered line #{covered} must be caught");
    assert!(v.anomalies.iter().any(|a| a.contains(&format!("input #{covered} "))), "{:?}", v.anomalies);
}

/// Swarm seed 26 of seed 004: the source's CANCELED update is lost; Flink 1.11 has no
/// reconciliation, so the job stays RESTARTING. Liveness fails and says why.
#[test]
fn a_lost_final_state_under_flink_1_11_is_a_named_stall() {
    let (spec, _) = swarm::draw(&wordcount(), 26);
    let run = world::run(&spec, 26);
    assert!(!run.lost_final_states.is_empty(), "the final state update was dropped");
    let v = check::liveness(&spec, &run);
    assert_eq!(v.passed, Some(false), "the job really stalls");
    assert!(v.anomalies.iter().any(|a| a.contains("FLINK-17075")), "{:?}", v.anomalies);
    // The same run under 2.x reconciles on the next heartbeat and is not stuck.
    let mut spec2 = spec.clone();
    spec2.profile = ckptsim::Profile::Flink23;
    let run2 = world::run(&spec2, 26);
    let v2 = check::liveness(&spec2, &run2);
    assert!(v2.anomalies.iter().all(|a| !a.contains("stuck")), "{:?}", v2.anomalies);
}
