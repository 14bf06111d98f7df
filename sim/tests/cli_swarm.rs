//! `ckptsim run --swarm`: the configuration and fault draws are printed first, and the printed replay command carries `--swarm`, so pasting it replays the same run; `check`/`sweep` with nothing to run exit 2.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ckptsim")).args(args).current_dir(root()).output().expect("run ckptsim");
    String::from_utf8(out.stdout).expect("utf-8")
}

fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no `{prefix}` line in:\n{out}"))
}

#[test]
fn swarm_replay_command_replays_the_swarm_run() {
    let out = run(&["run", "scenarios/faults/tm-crash.toml", "--seed", "5", "--swarm"]);
    assert!(out.starts_with("swarm config (seed 5): "), "{out}");
    assert!(out.contains("\nswarm draw (seed 5): "), "{out}");
    let replay = line(&out, "replay:");
    assert!(replay.ends_with("--seed 5 --swarm"), "{replay}");
    // Paste the printed command's arguments: the same run.
    let (_, tail) = replay.split_once(" -- ").expect("cargo run -- ...");
    let args: Vec<&str> = tail.split_whitespace().collect();
    let again = run(&args);
    assert_eq!(line(&out, "verdict:"), line(&again, "verdict:"));
    // Without --swarm the seed is another run (no faults drawn).
    let plain = run(&["run", "scenarios/faults/tm-crash.toml", "--seed", "5"]);
    assert_ne!(line(&out, "verdict:"), line(&plain, "verdict:"), "the draw changes the run");
}

/// `check` and `sweep` with nothing to run are bad input (exit 2), not a silent success.
#[test]
fn nothing_to_run_is_an_error() {
    let dir = std::env::temp_dir().join(format!("ckptsim-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let empty = dir.to_str().unwrap();
    for args in [vec!["check", empty], vec!["sweep", empty, "--seeds", "1"], vec!["check"], vec!["sweep"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_ckptsim")).args(&args).current_dir(root()).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("no scenario files"), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression (found by the eventtime branch's swarm): a bounded flink-1.11 source that
/// finished its input while its output buffers were still draining (a slow window downstream)
/// took a trigger, snapshotted and sent a barrier after its EndOfPartition; the downstream
/// barrier handler panicked ("barrier on ch0 after its end of partition"). A finished task now
/// declines the trigger (CHECKPOINT_DECLINED_TASK_CLOSING).
#[test]
fn a_finished_source_declines_a_late_trigger_instead_of_sending_a_barrier_after_its_end() {
    let text = std::fs::read_to_string(root().join("scenarios/eventtime/sliding-print.toml")).expect("scenario");
    assert!(text.contains("profile = \"flink-2.3\""), "the scenario names its profile");
    let text = text.replace("profile = \"flink-2.3\"", "profile = \"flink-1.11\"");
    let dir = std::env::temp_dir().join(format!("ckptsim-finished-trigger-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("sliding-print-111.toml");
    std::fs::write(&file, text).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["run", file.to_str().expect("utf-8 path"), "--seed", "38", "--swarm"])
        .current_dir(root())
        .output()
        .expect("run ckptsim");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(line(&stdout, "verdict:").starts_with("verdict: PASS"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Swarm runs that once panicked the world or raised a false alarm, each replayed to a
/// passing verdict:
/// * a rescale left a cancel deadline for a task id of the old, wider job; the cancellation
///   watchdog indexed the new, narrower graph with it (index out of bounds);
/// * a socket with the connected clock whose reader was down for most of the run: at-least-once
///   expected a line the script never reached (its `at_ms` is connected time, not job time).
#[test]
fn swarm_runs_that_once_panicked_or_raised_false_alarms_now_pass() {
    for (file, seed) in
        [("scenarios/rescale/savepoint-2-3-1-2pc.toml", "13"), ("scenarios/fidelity/socket-connected-clock.toml", "7")]
    {
        let out = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
            .args(["run", file, "--seed", seed, "--swarm"])
            .current_dir(root())
            .output()
            .expect("run ckptsim");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{file} --seed {seed}: {stderr}");
        assert!(line(&stdout, "verdict:").starts_with("verdict: PASS"), "{file} --seed {seed}: {stdout}");
    }
}
