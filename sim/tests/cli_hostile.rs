//! Hostile input to the `ckptsim` binary: unreadable or malformed files each exit 2 with the file named and no panic, and a sweep over good files beside bad ones still prints the good runs.

use std::process::Command;

mod cli_support;
use cli_support::{ckptsim, root, scratch};

/// An empty file, a binary one, a folder named like a scenario, a missing file and a symlink
/// loop: `run` and `check` exit 2, name the file on stderr (run) or stdout (check's table), and
/// never panic.
#[test]
fn unreadable_and_malformed_files_exit_2_naming_the_file() {
    let dir = scratch("files");
    let empty = dir.join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let binary = dir.join("binary.toml");
    std::fs::write(&binary, (0..=255u8).cycle().take(4096).collect::<Vec<u8>>()).unwrap();
    let folder = dir.join("folder.toml");
    std::fs::create_dir_all(&folder).unwrap();
    let missing = dir.join("missing.toml");
    let mut cases = vec![(empty, "name"), (binary, "not valid UTF-8"), (folder, "(file)"), (missing, "(file)")];
    #[cfg(unix)]
    {
        let (a, b) = (dir.join("loop-a.toml"), dir.join("loop-b.toml"));
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        cases.push((a, "(file)"));
    }
    for (path, hint) in &cases {
        let p = path.to_str().unwrap();
        let (code, _, err) = ckptsim(&["run", p]);
        assert_eq!(code, 2, "run {p}: {err}");
        assert!(err.contains(p) && err.contains(hint), "run {p}: stderr names neither file nor `{hint}`: {err}");
        assert!(!err.contains("panicked"), "run {p} panicked: {err}");
    }
    let (code, out, err) = ckptsim(&["check", cases[0].0.to_str().unwrap(), cases[1].0.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("2 files, 0 valid, 2 invalid"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A sweep over a folder with two invalid files among two valid ones: each invalid file's
/// error (file, line, field) on stderr, the valid files' runs swept and their summary printed,
/// exit 2 (bad input) after them.
#[test]
fn sweep_prints_the_good_runs_beside_bad_files() {
    let dir = scratch("sweep");
    let copy = |from: &str, to: &str| std::fs::copy(root().join(from), dir.join(to)).expect("copy scenario");
    copy("scenarios/seeds/004-wordcount-restore.toml", "a-good.toml");
    copy("tests/bad-scenarios/04-negative-interval.toml", "b-bad.toml");
    copy("scenarios/seeds/001-kafka-offsets.toml", "c-good.toml");
    std::fs::write(dir.join("d-binary.toml"), [0xff, 0xfe, 0x00, 0x80]).unwrap();
    let (code, out, err) = ckptsim(&["sweep", dir.to_str().unwrap(), "--seeds", "2", "--jobs", "1"]);
    assert_eq!(code, 2, "bad input among the files\n{out}\n{err}");
    assert!(out.contains("4 runs, 0 failed"), "the good files' 4 runs are printed:\n{out}\n{err}");
    assert!(err.contains("b-bad.toml:") && err.contains("checkpoint.interval_ms"), "{err}");
    assert!(err.contains("d-binary.toml:") && err.contains("not valid UTF-8"), "{err}");
    assert!(err.contains("2 of 4 scenario inputs unreadable or invalid"), "{err}");
    assert!(
        out.contains("ERROR ") && out.contains("b-bad.toml:8:15: checkpoint.interval_ms"),
        "named in the summary:\n{out}"
    );
    assert!(
        out.contains("4 runs, 0 failed (0 expected) in 0 group(s) of 0 anomaly kind(s), 2 input error(s)"),
        "{out}"
    );
    // Only invalid files: nothing to run, the summary names the error, exit 2.
    let (code, out, _) = ckptsim(&["sweep", dir.join("b-bad.toml").to_str().unwrap(), "--seeds", "1"]);
    assert_eq!(code, 2);
    assert!(out.contains("0 runs, 0 failed") && out.contains("1 input error(s)"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Folders that loop through symbolic links, and a FIFO nobody writes: `check` and `sweep`
/// finish (two links to `.` made the walk take 2^40 paths; opening the FIFO waited forever)
/// and the good file is still swept.
#[cfg(unix)]
#[test]
fn link_loops_and_fifos_do_not_hang_a_sweep() {
    let dir = scratch("loops");
    std::fs::copy(root().join("scenarios/seeds/004-wordcount-restore.toml"), dir.join("a-good.toml")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("l1")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("l2")).unwrap();
    let fifo = dir.join("z-fifo.toml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let started = std::time::Instant::now();
    let (code, out, err) = ckptsim(&["sweep", dir.to_str().unwrap(), "--seeds", "1", "--jobs", "1"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
    assert_eq!(code, 2, "the FIFO reads as an empty, invalid file\n{out}\n{err}");
    assert!(out.contains("1 runs, 0 failed"), "the good file swept once, not once per link:\n{out}\n{err}");
    assert!(err.contains("z-fifo.toml:1:1: name: missing required key"), "{err}");
    let (code, out, _) = ckptsim(&["check", fifo.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Hostile flags are refused before any run, each naming the flag: a seed range past
/// 2^64 - 1 (it wrapped to seed 0), more runs than a u64 counts (two scenarios × 2^64 - 1
/// seeds; `--seeds 10^11` once aborted on a 2 GiB allocation, and now streams), zero or 10^5 jobs, a zero event budget, an unknown bench part
/// (it ran nothing and exited 0), a NaN bench budget, 10^12 bench records (no end).
#[test]
fn hostile_flags_are_refused_naming_the_flag() {
    let s = "scenarios/seeds/001-kafka-offsets.toml";
    let cases: &[(&[&str], &str)] = &[
        (&["sweep", s, "--seeds", "2", "--first-seed", "18446744073709551615"], "pass 2^64 - 1"),
        (
            &[
                "sweep",
                s,
                "scenarios/seeds/004-wordcount-restore.toml",
                "--first-seed",
                "0",
                "--seeds",
                "18446744073709551615",
            ],
            "more than 2^64 - 1 runs",
        ),
        (&["sweep", s, "--seeds", "2", "--jobs", "0"], "--jobs"),
        (&["sweep", s, "--seeds", "2", "--jobs", "100000"], "--jobs"),
        (&["sweep", s, "--seeds", "2", "--max-events", "0"], "--max-events"),
        (&["run", s, "--max-events", "0"], "--max-events"),
        (&["bench", "--no-write", "--only", "sedes"], "--only"),
        (&["bench", "--no-write", "--only", "seeds", "--budget", "nan"], "--budget"),
        (&["bench", "--no-write", "--only", "throughput", "--records", "1000000000000"], "--records"),
        // Session 41: a compacted visited set sized for 2^64 states panicked on its allocation.
        (
            &[
                "explore",
                "scenarios/explore/tiny-2pc.toml",
                "--exhaust",
                "--visited",
                "compact",
                "--max-states",
                "18446744073709551615",
            ],
            "--max-states 18446744073709551615",
        ),
        (&["explore", "scenarios/explore/tiny-2pc.toml", "--exhaust", "--max-states", "3221225471"], "--max-states"),
    ];
    for (args, hint) in cases {
        let started = std::time::Instant::now();
        let (code, out, err) = ckptsim(args);
        assert_eq!(code, 2, "{args:?}\n{out}\n{err}");
        assert!(err.contains(hint), "{args:?}: stderr does not name `{hint}`: {err}");
        assert!(!out.contains(" runs,"), "{args:?}: ran before refusing: {out}");
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "{args:?}: {:?}", started.elapsed());
    }
    // The last seed may be 2^64 - 1 itself.
    let (code, out, err) = ckptsim(&["sweep", s, "--seeds", "1", "--first-seed", "18446744073709551615"]);
    assert_eq!(code, 0, "{out}\n{err}");
}

/// An output path that is the scenario itself is refused before the run (the trace, the
/// report, the JSON lines would replace it); an earlier `--json` file is kept until a sweep's
/// new one is complete; a `.replay` or `--replay` file is read with the scenario size limit.
#[test]
fn outputs_never_replace_their_inputs() {
    let dir = scratch("outputs");
    let scenario = dir.join("s.toml");
    std::fs::copy(root().join("scenarios/explore/tiny-2pc.toml"), &scenario).unwrap();
    let original = std::fs::read(&scenario).unwrap();
    let sp = scenario.to_str().unwrap();
    for args in [
        vec!["run", sp, "--trace", sp],
        vec!["run", sp, "--chrome-trace", sp],
        vec!["report", sp, "-o", sp],
        vec!["sweep", sp, "--seeds", "1", "--json", sp],
        vec!["sweep", dir.to_str().unwrap(), "--seeds", "1", "--json", sp],
        vec!["explore", sp, "--depth", "2", "-o", sp],
        vec!["shrink", sp, "-o", sp],
    ] {
        let (code, out, err) = ckptsim(&args);
        assert_eq!(code, 2, "{args:?}\n{out}\n{err}");
        assert!(err.contains("refusing to overwrite"), "{args:?}: {err}");
        assert_eq!(std::fs::read(&scenario).unwrap(), original, "{args:?} changed the scenario");
    }
    let json = dir.join("old.jsonl");
    std::fs::write(&json, "earlier results\n").unwrap();
    let (code, _, err) = ckptsim(&["sweep", sp, "--seeds", "1", "--jobs", "1", "--json", json.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let written = std::fs::read_to_string(&json).unwrap();
    assert!(written.starts_with("{\"errors\":0,\"failed\":0") && written.ends_with("}\n"), "{written}");
    assert!(!dir.join("old.jsonl.partial").exists(), "the partial file is renamed to the results file");
    let stray: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".old"))
        .collect();
    assert!(stray.is_empty(), "no temporary file left: {stray:?}");
    #[cfg(unix)]
    {
        let zero = dir.join("zero.replay");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let (code, _, err) = ckptsim(&["run", zero.to_str().unwrap()]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("larger than 2097152 bytes"), "{err}");
        let (code, _, err) = ckptsim(&["explore", sp, "--replay", zero.to_str().unwrap()]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("larger than 2097152 bytes"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `explore` refuses what it does not model at the key of the file, as every scenario error
/// (`file:line:column: field: message`): it named the file alone.
#[test]
fn explore_refusals_name_line_and_field() {
    let s = "scenarios/faults/interval-join-2pc.toml";
    let (code, _, err) = ckptsim(&["explore", s, "--depth", "2"]);
    assert_eq!(code, 2, "{err}");
    let first_fault = std::fs::read_to_string(root().join(s)).unwrap().lines().position(|l| l == "[[faults]]").unwrap();
    let want = format!("{s}:{}:1: faults[0]: explore enumerates its own failures", first_fault + 1);
    assert!(err.contains(&want), "expected `{want}` in: {err}");
}

/// Session 41: a value of megabytes in a hostile file is echoed clipped (`file:line:column:
/// field: message` with the long word cut and its length given), and a hand-edited `.replay`
/// naming a checker no explorer has is refused at its line.
#[test]
fn long_values_are_echoed_clipped_and_replay_checkers_named() {
    let dir = scratch("clip");
    let base = std::fs::read_to_string(root().join("scenarios/faults/task-failure.toml")).unwrap();
    let long = dir.join("long-keep.toml");
    let keep = format!("\n[swarm]\nkeep = [\"{}\"]\n", "r".repeat(1_000_000));
    std::fs::write(&long, base.replace("\n[expect]\n", &format!("{keep}\n[expect]\n"))).unwrap();
    let (code, _, err) = ckptsim(&["run", long.to_str().unwrap()]);
    assert_eq!(code, 2, "{}", &err[..err.len().min(500)]);
    assert!(
        err.len() < 1_000 && err.contains("swarm.keep[0]: unknown key") && err.contains("…[1000003 chars]"),
        "{err}"
    );
    let replay = std::fs::read_to_string(root().join("docs/findings/explore-rescale-offsets-back.replay")).unwrap();
    let edited = dir.join("edited.replay");
    std::fs::write(&edited, replay.replace("checker = \"offsets\"", "checker = \"offset\"")).unwrap();
    let (code, _, err) = ckptsim(&["run", edited.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("edited.replay:8:1: checker: unknown checker \"offset\""), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
