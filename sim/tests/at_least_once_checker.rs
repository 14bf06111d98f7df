//! The at-least-once checker on a log source: an input the newest completed checkpoint covers must have been printed; a later one may still wait for a recovery.

use ckptsim_sim::{check, load, reference, world};
use std::path::Path;

fn run_003() -> (ckptsim_sim::spec::JobSpec, world::RunResult) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/seeds/003-at-least-once.toml");
    let spec = load::load_spec(&path).expect("scenario loads");
    let run = world::run(&spec, spec.default_seed);
    (spec, run)
}

/// Offsets of the newest completed checkpoint, per partition: inputs below are covered.
fn covered_offsets(run: &world::RunResult) -> std::collections::BTreeMap<u32, u64> {
    let (_, offsets) = run.completed_offsets.iter().next_back().expect("a completed checkpoint");
    offsets.iter().map(|(p, o)| (p.0, o.0)).collect()
}

/// Input sequence numbers of `spec`'s log with their (partition, offset).
fn inputs(spec: &ckptsim_sim::spec::JobSpec) -> Vec<(u64, u32, u64)> {
    let ckptsim_sim::spec::InputSpec::Log { records, .. } = &spec.input else { panic!("log input") };
    let mut next = std::collections::BTreeMap::new();
    records
        .iter()
        .enumerate()
        .map(|(seq, (_, p, _))| {
            let off = next.entry(p).or_insert(0u64);
            *off += 1;
            (seq as u64, p, *off - 1)
        })
        .collect()
}

#[test]
fn a_covered_input_that_was_never_printed_is_lost() {
    let (spec, mut run) = run_003();
    let reference = reference::compute(&spec);
    assert_eq!(check::at_least_once(&spec, &run, &reference).passed, Some(true), "the real run passes");
    let covered = covered_offsets(&run);
    let (seq, _, _) = *inputs(&spec)
        .iter()
        .find(|(seq, p, off)| covered.get(p).is_some_and(|&c| *off < c) && *seq > 10)
        .expect("a covered input");
    run.print_rows.retain(|r| r.lineage.input_seq != seq);
    let v = check::at_least_once(&spec, &run, &reference);
    assert_eq!(v.passed, Some(false), "{v:?}");
    assert!(v.anomalies.iter().any(|a| a.contains(&format!("input #{seq} "))), "{:?}", v.anomalies);
}

#[test]
fn an_input_after_the_newest_checkpoint_may_still_be_pending() {
    let (spec, mut run) = run_003();
    let reference = reference::compute(&spec);
    // Forget the last completions: what they covered is no longer due.
    let keep = run.completed_offsets.len() / 3;
    let mut kept = run.completed_offsets.clone();
    while kept.len() > keep {
        kept.pop_last();
    }
    run.completed_offsets = kept;
    let covered = covered_offsets(&run);
    let (seq, _, _) = *inputs(&spec)
        .iter()
        .rev()
        .find(|(_, p, off)| covered.get(p).is_some_and(|&c| *off >= c))
        .expect("an uncovered input");
    run.print_rows.retain(|r| r.lineage.input_seq != seq);
    let v = check::at_least_once(&spec, &run, &reference);
    assert_eq!(v.passed, Some(true), "input #{seq} is not covered yet: {v:?}");
}

/// Socket input with `unread_lines = "buffer"`: a line still waiting in the server at the stop
/// (the restarted job's deployments were lost in a partition, no reader came back) is not lost;
/// but had a reader been connected after the line's time, the server would have written it at
/// once, so the same unprinted line is then a loss (a server that dropped its buffer).
#[test]
fn a_buffered_socket_line_is_due_once_a_reader_was_connected_after_it() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/regressions/socket-buffer-lines-waiting-at-stop.toml");
    let spec = load::load_spec(&path).expect("scenario loads");
    let mut run = world::run(&spec, spec.default_seed);
    let reference = reference::compute(&spec);
    let v = check::at_least_once(&spec, &run, &reference);
    assert_eq!(v.passed, Some(true), "lines waiting for a reader are not lost: {:?}", v.anomalies);
    let last = run.socket_last_connected_ms.expect("a reader was connected before the line");
    assert!(last < 4_000, "no reader after the line at 4000 ms: {last}");
    run.socket_last_connected_ms = Some(spec.stop_at_ms - 1);
    let v = check::at_least_once(&spec, &run, &reference);
    assert_eq!(v.passed, Some(false), "a reader was connected after the line: it is due");
    assert!(v.anomalies.iter().any(|a| a.contains("input #1")), "{:?}", v.anomalies);
}

/// Socket input, a read line and a task gone unseen: swarm seed 4195 of
/// `fidelity/bounded-socket-wordcount` fails the sink task in a partition at 2.6 s, its FAILED
/// update is dropped, and the heartbeat that would reconcile it is due only at the stop. The
/// line the source read at 3 s waits for a task the JobManager still shows RUNNING: not lost.
/// Without the lost update (every task RUNNING all along) the same unprinted line is a loss.
#[test]
fn a_read_socket_line_is_not_due_while_a_task_failed_unseen() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/fidelity/bounded-socket-wordcount.toml");
    let spec = load::load_spec(&path).expect("scenario loads");
    let (spec, _) = ckptsim_sim::tools::swarm::draw(&spec, 4195);
    let mut run = world::run(&spec, 4195);
    let reference = reference::compute(&spec);
    assert!(!run.lost_final_states.is_empty(), "the sink's FAILED update was lost");
    assert!(run.print_rows.iter().all(|r| r.lineage.input_seq != 1), "line #1 never printed");
    let v = check::at_least_once(&spec, &run, &reference);
    assert_eq!(v.passed, Some(true), "the line waits for a failed task: {:?}", v.anomalies);
    run.lost_final_states.clear();
    let v = check::at_least_once(&spec, &run, &reference);
    assert_eq!(v.passed, Some(false), "with every task running, the read line is due");
    assert!(v.anomalies.iter().any(|a| a.contains("input #1")), "{:?}", v.anomalies);
}
