//! The per-run event budget: a planted livelock ends with the BUDGET verdict (exit 3) in bounded wall time, `--max-events` stops any run early, and no scenario of the repository comes near its default budget.

use ckptsim_sim::load;
use ckptsim_sim::outcome;
use ckptsim_sim::world::default_max_events;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn ckptsim(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ckptsim")).args(args).current_dir(root()).output().expect("run ckptsim");
    (out.status.code().expect("exit code"), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_livelock_ends_at_its_default_budget_in_bounded_time() {
    let spec = load::load_spec(&root().join("sim/tests/budget/idle-spin.toml")).expect("valid");
    let budget = default_max_events(&spec);
    let start = Instant::now();
    let o = outcome::run(&spec, 1);
    let wall = start.elapsed();
    assert!(o.budget_exhausted(), "the livelock was not stopped by the budget");
    assert!(!o.passed(), "a budget stop is not a pass");
    let at = o.run.budget.exhausted_at_ms.expect("stopped");
    assert!(at < spec.stop_at_ms, "stopped at {at} ms, not before the stop time");
    assert_eq!(o.run.budget.max_events, budget);
    assert!(o.run.budget.used_events >= budget);
    assert!(wall.as_secs() < 60, "the budget took {wall:?} of wall time");
    assert!(o.verdicts.iter().all(|v| v.passed.is_none()), "a truncated run is not judged");
    let text = outcome::render(&spec, &o);
    assert!(text.contains("verdict: BUDGET"), "{text}");
    assert!(text.contains(&format!("event budget of {budget} events exhausted")), "{text}");
}

/// The task loop's yield bound (`STEPS_BEFORE_YIELD` in `sim/src/world/tasks.rs`): a loop that
/// keeps finding work at one virtual instant gives way to madsim's executor every so many
/// steps. The planted livelock's idle task spins through the same bounded path, so without the
/// bound it never returns to the executor: the supervisor, woken when the budget runs out, never
/// runs and the run never ends. Run on a thread so that failure is a failed test, not a hang.
#[test]
fn a_loop_that_never_sleeps_still_yields_to_the_supervisor() {
    let spec = load::load_spec(&root().join("sim/tests/budget/idle-spin.toml")).expect("valid");
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let o = outcome::run(&spec, 2);
        let _ = done.send(o.budget_exhausted());
    });
    match finished.recv_timeout(std::time::Duration::from_secs(120)) {
        Ok(exhausted) => assert!(exhausted, "the livelock was not stopped by the budget"),
        Err(_) => panic!("the livelock kept the executor for 120 s: the supervisor never ran (yield bound broken?)"),
    }
}

#[test]
fn max_events_stops_any_run_with_exit_3_and_the_replay_line() {
    let (code, out) = ckptsim(&["run", "scenarios/seeds/001-kafka-offsets.toml", "--max-events", "200"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("verdict: BUDGET"), "{out}");
    assert!(out.contains("event budget of 200 events exhausted at t="), "{out}");
    assert!(out.contains("replay:  cargo run --release -- run scenarios/seeds/001-kafka-offsets.toml"), "{out}");
    // The same run under its default budget passes.
    let (code, out) = ckptsim(&["run", "scenarios/seeds/001-kafka-offsets.toml"]);
    assert_eq!(code, 0, "{out}");
    // Sweep: a stopped seed is a failure signed by the budget.
    let (code, out) = ckptsim(&[
        "sweep",
        "scenarios/seeds/001-kafka-offsets.toml",
        "--seeds",
        "2",
        "--jobs",
        "1",
        "--max-events",
        "200",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("budget/event-budget@end:-:-"), "{out}");
}

#[test]
fn the_livelock_through_the_binary() {
    let start = Instant::now();
    let (code, out) = ckptsim(&["run", "sim/tests/budget/idle-spin.toml"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("verdict: BUDGET"), "{out}");
    assert!(start.elapsed().as_secs() < 60);
}
