//! The `ckptsim` binary: byte-identical output and trace across two processes, the documented exit codes (0 held, 1 failed, 2 bad input), and the bench's per-job peak memory.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn ckptsim(args: &[&str]) -> (i32, Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_ckptsim")).args(args).current_dir(root()).output().expect("run ckptsim");
    (out.status.code().expect("exit code"), out.stdout)
}

#[test]
fn same_seed_same_bytes_in_two_processes() {
    let dir = std::env::temp_dir().join(format!("ckptsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (a, b) = (dir.join("a.trace"), dir.join("b.trace"));
    let (code_a, out_a) =
        ckptsim(&["run", "scenarios/seeds/001-kafka-offsets.toml", "--seed", "5", "--trace", a.to_str().unwrap()]);
    let (code_b, out_b) =
        ckptsim(&["run", "scenarios/seeds/001-kafka-offsets.toml", "--seed", "5", "--trace", b.to_str().unwrap()]);
    assert_eq!((code_a, code_b), (0, 0));
    // Only the trace file name differs between the two outputs.
    let norm = |o: Vec<u8>, p: &Path| String::from_utf8(o).unwrap().replace(p.to_str().unwrap(), "TRACE");
    assert_eq!(norm(out_a, &a), norm(out_b, &b), "stdout differs between processes");
    let (ta, tb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(!ta.is_empty());
    assert_eq!(ta, tb, "trace differs between processes");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn exit_codes() {
    assert_eq!(ckptsim(&["run", "scenarios/seeds/004-wordcount-restore.toml"]).0, 0, "expectations held");
    assert_eq!(ckptsim(&["run", "tests/bad-scenarios/04-negative-interval.toml"]).0, 2, "bad input");
    assert_eq!(ckptsim(&["check", "tests/bad-scenarios"]).0, 2, "invalid files");
    assert_eq!(ckptsim(&["check", "scenarios/seeds"]).0, 0, "valid files");
    // A scenario whose expectation is wrong: exit 1.
    let dir = std::env::temp_dir().join(format!("ckptsim-cli-x-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/seeds/004-wordcount-restore.toml")).unwrap();
    let wrong = dir.join("wrong.toml");
    std::fs::write(&wrong, text.replace("restarts = 3", "restarts = 2")).unwrap();
    let (code, out) = ckptsim(&["run", wrong.to_str().unwrap()]);
    assert_eq!(code, 1, "a failed expectation");
    assert!(String::from_utf8(out).unwrap().contains("restarts                     FAILED"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The bench's "job peak RSS" of each throughput job is its own: the floor of the job before it
/// (which keeps every committed record) returned its memory first (`usage::reset_peak_rss`).
/// With the floor's freed pages left resident, the unaligned job, measured second, "peaked" at
/// what the aligned floor left (session 43, 3·10^5 records: 98 MiB against the aligned job's 66).
#[test]
fn bench_throughput_peaks_are_each_jobs_own() {
    let out = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["bench", "--no-write", "--only", "throughput", "--records", "300000"])
        .current_dir(root())
        .output()
        .expect("run ckptsim bench");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    // `| job | records | ... | job peak RSS (MiB) | RSS after (MiB) |`: the next to last cell.
    let peak = |job: &str| -> u64 {
        let row = text.lines().find(|l| l.starts_with(&format!("| {job} |"))).expect("the job's row");
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        cells[cells.len() - 2].parse().expect("peak MiB")
    };
    let (aligned, unaligned) = (peak("bench-throughput-aligned"), peak("bench-throughput-unaligned"));
    assert!(aligned > 0 && unaligned > 0, "peaks measured: {aligned} / {unaligned} MiB");
    assert!(
        unaligned * 4 <= aligned * 5,
        "the unaligned job's peak {unaligned} MiB is over 1.25x the aligned job's {aligned} MiB: \
         the aligned floor's freed memory counted toward it"
    );
}
