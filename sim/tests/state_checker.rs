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
    let rows = &run.print_rows.to_vec();
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
    // A zombie: the first attempt's rows of one key, replayed by a stale attempt number (older
    // than every live one: attempts only grow, across JobManager epochs too), woven
    // between the live attempt's rows. Each lineage is gapless on its own.
    let i = middle_row(&run);
    let key = ckptsim::operator::key_of(&run.print_rows.to_vec()[i].value);
    let task = run.print_rows.to_vec()[i].task;
    let zombie: Vec<world::OutputRow> = run
        .print_rows
        .iter()
        .filter(|r| r.task == task && ckptsim::operator::key_of(&r.value) == key)
        .take(4)
        .map(|r| world::OutputRow { attempt: ckptsim::Attempt(world::EPOCH_STRIDE - 1), ..r.clone() })
        .collect();
    assert!(zombie.len() >= 3, "enough rows to interleave");
    let mut woven = Vec::new();
    let mut z = zombie.into_iter();
    for (n, r) in run.print_rows.to_vec().into_iter().enumerate() {
        woven.push(r);
        if n >= i && n % 2 == 0 {
            woven.extend(z.next());
        }
    }
    woven.extend(z);
    run.print_rows = woven.into();
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

/// Rows of `run` with a zombie row and a new JobManager epoch's first row woven in: after a
/// row of attempt `EPOCH_STRIDE + 1` of some key at reference position p, the superseded attempt `EPOCH_STRIDE`
/// prints its next, lagging value of that key (a zombie still running after its replacement
/// started), then the next epoch's first attempt prints position `p + step` (restored from a
/// checkpoint the newest attempt took). `None` when the run has no such key.
fn zombie_then_new_epoch(
    run: &world::RunResult,
    reference: &ckptsim_sim::reference::Reference,
    step: usize,
) -> Option<Vec<world::OutputRow>> {
    use ckptsim::operator::key_of;
    let rows = &run.print_rows.to_vec();
    let pos = |r: &world::OutputRow| reference.per_key[&key_of(&r.value)].position(&r.value);
    for (j, r) in rows.iter().enumerate() {
        if r.attempt.0 != world::EPOCH_STRIDE + 1 {
            continue;
        }
        let k = key_of(&r.value);
        let seq = &reference.per_key[&k];
        let zombie_last = rows[..j].iter().rev().find(|z| z.attempt.0 == world::EPOCH_STRIDE && key_of(&z.value) == k);
        let (Some(p), Some(q)) = (pos(r), zombie_last.and_then(pos)) else { continue };
        if q + 2 >= p || p + step >= seq.len() {
            continue;
        }
        let zombie = world::OutputRow {
            attempt: ckptsim::Attempt(world::EPOCH_STRIDE),
            value: seq.at(q + 1),
            time_ms: r.time_ms,
            ..r.clone()
        };
        let new_epoch = world::OutputRow {
            attempt: ckptsim::Attempt(2 * world::EPOCH_STRIDE),
            value: seq.at(p + step),
            time_ms: r.time_ms + 1,
            ..r.clone()
        };
        let mut woven = rows[..=j].to_vec();
        woven.push(zombie);
        woven.push(new_epoch);
        woven.extend_from_slice(&rows[j + 1..]);
        return Some(woven);
    }
    None
}

/// Regression `zombie-print-before-jm-crash`, made seed-independent: a zombie's row of a key
/// that comes after the newest attempt's last row is not the key's last value, so a later
/// restore continuing from the newest attempt's state is no lost update; a skip relative to
/// the newest attempt still is.
#[test]
fn a_zombie_row_before_a_restore_is_not_the_keys_last_value() {
    let (spec, mut run) = run_print_job();
    let reference = reference::compute(&spec);
    let rows = zombie_then_new_epoch(&run, &reference, 1).expect("a key the restarted attempt is ahead on");
    run.print_rows = rows.into();
    let v = check::state(&spec, &run, &reference);
    assert_eq!(v.passed, Some(true), "{:?}", v.anomalies);

    let (_, mut run) = run_print_job();
    run.print_rows =
        zombie_then_new_epoch(&run, &reference, 2).expect("a key the restarted attempt is ahead on").into();
    let v = check::state(&spec, &run, &reference);
    assert_eq!(v.passed, Some(false), "{v:?}");
    assert!(v.anomalies.iter().any(|a| a.contains("lost update")), "{:?}", v.anomalies);
}
