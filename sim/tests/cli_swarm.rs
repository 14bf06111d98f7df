//! `ckptsim run --swarm`: the configuration and fault draws are printed first, and the printed replay command carries `--swarm`, so pasting it replays the same run (same trace hash).

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
