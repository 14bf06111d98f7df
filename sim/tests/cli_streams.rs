//! The `ckptsim` binary's streams and output paths: a closed stdout is no panic, results go to stdout and diagnostics to stderr, output paths are checked before the work starts, and `report`/`shrink` take `--swarm` like `run`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn ckptsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ckptsim")).args(args).current_dir(root()).output().expect("run ckptsim")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ckptsim-streams-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `ckptsim sweep ... | head` with the reader gone before the first line: no panic, no
/// message, and the exit code is still the sweep's verdict.
#[test]
fn closed_stdout_is_not_a_panic() {
    for (args, code) in [
        (&["sweep", "scenarios/seeds/004-wordcount-restore.toml", "--seeds", "3", "--jobs", "1"][..], 0),
        (&["check", "scenarios/seeds"][..], 0),
        (&["run", "scenarios/seeds/004-wordcount-restore.toml"][..], 0),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
            .args(args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ckptsim");
        // Close the read end of stdout at once: every write of the child fails with EPIPE.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{args:?}: {err}");
    }
}

/// A bad scenario: the error (file:line:column) on stderr, nothing on stdout — but for the
/// sweep's result, its summary, which names the input it could not sweep (session 35).
#[test]
fn diagnostics_go_to_stderr() {
    for cmd in ["run", "report", "sweep", "shrink", "explore"] {
        let out = ckptsim(&[cmd, "tests/bad-scenarios/04-negative-interval.toml"]);
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let stdout = text(&out.stdout);
        if cmd == "sweep" {
            let lines: Vec<&str> = stdout.lines().collect();
            assert_eq!(lines.len(), 2, "{stdout}");
            assert!(lines[0].starts_with("ERROR tests/bad-scenarios/04-negative-interval.toml:8:15:"), "{stdout}");
            assert!(lines[1].starts_with("0 runs, 0 failed") && lines[1].contains("1 input error(s)"), "{stdout}");
        } else {
            assert_eq!(stdout, "", "{cmd}: stdout holds only results");
        }
        assert!(text(&out.stderr).contains("04-negative-interval.toml:"), "{cmd}: {}", text(&out.stderr));
    }
}

/// An output path that cannot be written fails at once (exit 2, the flag named), before any
/// seed runs: the sweep's progress never starts and no result is printed.
#[test]
fn output_paths_are_checked_before_the_work() {
    let dir = scratch("paths");
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let under_file = file.join("x");
    let under = under_file.to_str().unwrap();
    let cases: [(&str, Vec<&str>); 5] = [
        ("--json", vec!["sweep", "scenarios/seeds/004-wordcount-restore.toml", "--seeds", "200", "--json", under]),
        ("--shrink", vec!["sweep", "scenarios/seeds/004-wordcount-restore.toml", "--seeds", "200", "--shrink", under]),
        ("--output", vec!["report", "scenarios/seeds/004-wordcount-restore.toml", "-o", under]),
        ("--trace", vec!["run", "scenarios/seeds/004-wordcount-restore.toml", "--trace", under]),
        ("--output", vec!["shrink", "scenarios/seeds/004-wordcount-restore.toml", "-o", under]),
    ];
    for (flag, args) in cases {
        let out = ckptsim(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&format!("error: {flag} {under}")), "{args:?}: {err}");
        assert!(!err.contains(" runs"), "{args:?}: the sweep started: {err}");
        assert_eq!(text(&out.stdout), "", "{args:?}");
    }
    // A writable --json is created before the sweep and filled after it.
    let json = dir.join("out.json");
    let out = ckptsim(&[
        "sweep",
        "scenarios/seeds/004-wordcount-restore.toml",
        "--seeds",
        "2",
        "--jobs",
        "1",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(std::fs::read_to_string(&json).unwrap().contains("\"runs\""));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `report --swarm` and `shrink --swarm` draw the same faults as `run --swarm` (printed first),
/// so a failing swarm seed can be drawn and shrunk.
#[test]
fn report_and_shrink_take_swarm() {
    let dir = scratch("swarm");
    let first = |o: &Output| text(&o.stdout).lines().next().unwrap_or_default().to_string();
    let run = ckptsim(&["run", "scenarios/faults/tm-crash.toml", "--seed", "5", "--swarm"]);
    assert!(first(&run).starts_with("swarm config (seed 5): "), "{}", text(&run.stdout));
    let (a, b) = (dir.join("swarm.html"), dir.join("plain.html"));
    let report =
        ckptsim(&["report", "scenarios/faults/tm-crash.toml", "--seed", "5", "--swarm", "-o", a.to_str().unwrap()]);
    assert_eq!(report.status.code(), Some(0), "{}", text(&report.stderr));
    assert_eq!(first(&report), first(&run));
    let plain = ckptsim(&["report", "scenarios/faults/tm-crash.toml", "--seed", "5", "-o", b.to_str().unwrap()]);
    assert_eq!(plain.status.code(), Some(0));
    assert_ne!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "the draw changes the page");
    let s = dir.join("shrunk.toml");
    let shrink = ckptsim(&[
        "shrink",
        "scenarios/faults/tm-crash.toml",
        "--seed",
        "5",
        "--swarm",
        "--max-runs",
        "3",
        "--one-seed",
        "-o",
        s.to_str().unwrap(),
    ]);
    assert!(matches!(shrink.status.code(), Some(0 | 1)), "{}", text(&shrink.stderr));
    assert_eq!(first(&shrink), first(&run));
    let _ = std::fs::remove_dir_all(&dir);
}
