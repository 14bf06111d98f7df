//! Hostile input to the `ckptsim` binary: unreadable or malformed files each exit 2 with the file named and no panic, and a sweep over good files beside bad ones still prints the good runs.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Exit code, stdout and stderr of `ckptsim args` run from the repository root.
fn ckptsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ckptsim")).args(args).current_dir(root()).output().expect("run ckptsim");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8 output");
    (out.status.code().expect("exit code"), text(out.stdout), text(out.stderr))
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ckptsim-hostile-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

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
    assert!(err.contains("2 of 4 scenario files invalid"), "{err}");
    // Only invalid files: nothing to sweep, exit 2.
    let (code, out, _) = ckptsim(&["sweep", dir.join("b-bad.toml").to_str().unwrap(), "--seeds", "1"]);
    assert_eq!(code, 2);
    assert!(!out.contains(" runs"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
