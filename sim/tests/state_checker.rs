//! Attempts and their output: the keyed-state checker follows each attempt's lineage (a restore may go back, never skip, also when an old attempt interleaves), and at-least-once names output of a replaced JobManager epoch.

use ckptsim_sim::{check, load, reference, world};
use std::path::Path;

fn run_print_job() -> (ckptsim_sim::spec::JobSpec, world::RunResult) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/faults/task-failure-print.toml");
    let spec = load::load_spec(&path).expect("scenario loads");
    let run = world::run(&spec, spec.default_seed);
    (spec, run)
}

/// The index of a row whose key has at least two later rows of the same attempt: removing it
/// leaves a skip inside one attempt's lineage.
fn middle_row(run: &world::RunResult) -> usize {
    let rows = &run.print_rows;
    (0..rows.len())
        .find(|&i| {
            let k = ckptsim::operator::key_of(&rows[i].value);
            let same = |r: &world::OutputRow| {
                r.attempt == rows[i].attempt && r.task == rows[i].task && ckptsim::operator::key_of(&r.value) == k
            };
            rows[..i].iter().any(same) && rows[i + 1..].iter().any(same)
        })
        .expect("a key with three rows in one attempt")
}

#[test]
fn a_skipped_value_inside_one_attempt_is_a_lost_update() {
    let (spec, mut run) = run_print_job();
    let reference = reference::compute(&spec);
    assert_eq!(check::state(&spec, &run, &reference).passed, Some(true), "the real run passes");
    let i = middle_row(&run);
    run.print_rows.remove(i);
    let v = check::state(&spec, &run, &reference);
    assert_eq!(v.passed, Some(false), "{v:?}");
    assert!(v.anomalies.iter().any(|a| a.contains("lost update")), "{:?}", v.anomalies);
}

#[test]
fn an_old_attempt_interleaving_its_own_lineage_is_not_a_lost_update() {
    let (spec, mut run) = run_print_job();
    let reference = reference::compute(&spec);
    // A zombie: the first attempt's rows of one key, replayed by a stale attempt number, woven
    // between the live attempt's rows. Each lineage is gapless on its own.
    let i = middle_row(&run);
    let key = ckptsim::operator::key_of(&run.print_rows[i].value);
    let task = run.print_rows[i].task;
    let zombie: Vec<world::OutputRow> = run
        .print_rows
        .iter()
        .filter(|r| r.task == task && ckptsim::operator::key_of(&r.value) == key)
        .take(4)
        .map(|r| world::OutputRow { attempt: ckptsim::Attempt(77_777), ..r.clone() })
        .collect();
    assert!(zombie.len() >= 3, "enough rows to interleave");
    let mut woven = Vec::new();
    let mut z = zombie.into_iter();
    for (n, r) in run.print_rows.drain(..).enumerate() {
        woven.push(r);
        if n >= i && n % 2 == 0 {
            woven.extend(z.next());
        }
    }
    woven.extend(z);
    run.print_rows = woven;
    let v = check::state(&spec, &run, &reference);
    assert_eq!(v.passed, Some(true), "{:?}", v.anomalies);
}

/// A row printed by an attempt of a JobManager epoch that was already replaced is zombie
/// output (at-least-once), and the real run of the JobManager-crash regression has none.
#[test]
fn output_of_a_replaced_jobmanager_epoch_is_zombie_output() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/regressions/jm-crash-in-flight-deploy.toml");
    let spec = load::load_spec(&path).expect("scenario loads");
    let mut run = world::run(&spec, spec.default_seed);
    let reference = reference::compute(&spec);
    assert_eq!(check::at_least_once(&spec, &run, &reference).passed, Some(true), "the real run passes");
    let last = run.print_rows.last().expect("rows").clone();
    let stride = world::EPOCH_STRIDE;
    let old = ckptsim::Attempt((last.attempt.0 / stride - 1) * stride + 1);
    run.print_rows.push(world::OutputRow { attempt: old, time_ms: last.time_ms + 1, ..last });
    let v = check::at_least_once(&spec, &run, &reference);
    assert_eq!(v.passed, Some(false), "{v:?}");
    assert!(v.anomalies.iter().any(|a| a.starts_with("zombie output")), "{:?}", v.anomalies);
}
