//! Explorer counterexamples written as replay files (`ckptsim explore -o X.replay`) replay to the same checker failure through `ckptsim run X.replay`, for several negative variants.

use ckptsim::Variant;
use ckptsim_sim::counterexample;
use ckptsim_sim::explore::{Bounds, Explorer};
use ckptsim_sim::load;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Explores `name` under `variant`, writes the counterexample as a replay file, and checks
/// that the parsed file replays (in-process) to the same checker; returns the file's text.
fn replay_file(name: &str, variant: Variant, b: Bounds) -> (String, String) {
    let path = root().join("scenarios/explore").join(name);
    let text = std::fs::read_to_string(&path).expect("scenario text");
    let mut spec = load::load_spec(&path).expect("explore scenario loads");
    spec.variant = variant;
    let v = Explorer::new(&spec, b).explore().violation.expect("the variant is found");
    let file = counterexample::write(name, &text, &spec, b, &v);
    let parsed = counterexample::parse("mem.replay", &file).expect("the written file parses");
    assert_eq!(parsed.spec.variant, variant);
    assert_eq!(parsed.path, v.path);
    let r = counterexample::replay(&parsed).expect("every step is enabled");
    assert_eq!(r.failed.as_deref(), Some(v.checker.as_str()), "{}", r.text);
    assert!(r.same, "{}", r.text);
    (file, v.checker)
}

/// `ckptsim run FILE.replay`: exit 1 and "reproduced".
fn run_cli(file_text: &str, tag: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("ckptsim-replay-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{tag}.replay"));
    std::fs::write(&file, file_text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["run", file.to_str().unwrap()])
        .current_dir(root())
        .output()
        .expect("run ckptsim");
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn commit_offsets_on_snapshot_replays_from_its_file() {
    let b = Bounds { max_ticks: 3, max_failures: 1, ..Bounds::default() };
    let (file, checker) = replay_file("tiny-2pc.toml", Variant::CommitOffsetsOnSnapshot, b);
    assert_eq!(checker, "offsets");
    let (code, out) = run_cli(&file, "offsets");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("VIOLATION offsets") && out.contains("reproduced"), "{out}");
}

#[test]
fn ignore_min_pause_replays_from_its_file() {
    let b = Bounds { max_ticks: 3, max_failures: 1, ..Bounds::default() };
    let (file, checker) = replay_file("tiny-min-pause.toml", Variant::IgnoreMinPause, b);
    assert_eq!(checker, "coordinator");
    let (code, out) = run_cli(&file, "min-pause");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("VIOLATION coordinator") && out.contains(": reproduced"), "{out}");
    // The same path under the correct protocol passes: the file's variant is what fails.
    let (code, out) = run_cli(&file.replace("variant = \"ignore-min-pause\"", "variant = \"correct\""), "correct");
    assert!(code == 0 || code == 2, "the correct decider is not flagged: {out}");
}

#[test]
fn fixed_delay_off_by_one_replays_from_its_file() {
    let b = Bounds { max_ticks: 2, max_failures: 2, ..Bounds::default() };
    let (file, checker) = replay_file("tiny-one-restart.toml", Variant::FixedDelayOffByOne, b);
    assert_eq!(checker, "restart");
    let (code, out) = run_cli(&file, "restart");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("VIOLATION restart") && out.contains(": reproduced"), "{out}");
}

#[test]
fn a_bad_replay_file_names_file_line_and_field() {
    let b = Bounds { max_ticks: 3, max_failures: 1, ..Bounds::default() };
    let (file, _) = replay_file("tiny-2pc.toml", Variant::CommitOffsetsOnSnapshot, b);
    let bad = file.replacen("stop_at_ms = 8000", "stop_at_ms = \"soon\"", 1);
    let e = counterexample::parse("bad.replay", &bad).unwrap_err();
    let line = bad.lines().position(|l| l.contains("\"soon\"")).unwrap() + 1;
    assert_eq!((e.line, e.field.as_str()), (line, "job.stop_at_ms"), "{e}");
    let (code, _) = run_cli(&bad, "bad");
    assert_eq!(code, 2);
}

#[test]
fn a_non_idempotent_recommit_is_found_under_the_correct_protocol_and_replays() {
    // negative/non-idempotent-recommit.toml is a store setting, not a variant: the explorer's
    // sink store takes the scenario's `idempotent_commit = false`.
    let b = Bounds { max_ticks: 3, max_failures: 1, ..Bounds::default() };
    let (file, checker) = replay_file("tiny-2pc-non-idempotent.toml", Variant::Correct, b);
    assert_eq!(checker, "exactly-once");
    let (code, out) = run_cli(&file, "recommit");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("duplicate") && out.contains(": reproduced"), "{out}");
    // With an idempotent store the same path commits once.
    let (code, out) = run_cli(&file.replace("idempotent_commit = false\n", ""), "idempotent");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn source_emits_after_stop_replays_from_its_file() {
    // The file carries `stops = 1`: without it the replayed `stop` step would not be enabled.
    let b = Bounds { max_ticks: 2, max_failures: 0, max_stops: 1, ..Bounds::default() };
    let (file, checker) = replay_file("tiny-stop.toml", Variant::SourceEmitsAfterStop, b);
    assert_eq!(checker, "stop");
    assert!(file.contains("\nstops = 1\n"), "{file}");
    let (code, out) = run_cli(&file, "stop");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("VIOLATION stop") && out.contains(": reproduced"), "{out}");
    let (code, out) = run_cli(&file.replace("\nstops = 1\n", "\n"), "no-stops");
    assert_eq!(code, 2, "the stop step needs the bound: {out}");
}

#[test]
fn finished_task_counts_as_acked_replays_from_its_file() {
    // The file carries `ack_losses` and `requests`: the `lose-ack` and `savepoint` steps need them.
    let b =
        Bounds { max_ticks: 0, max_failures: 0, max_stops: 1, max_requests: 1, max_ack_losses: 1, ..Bounds::default() };
    let (file, checker) = replay_file("tiny-stop-savepoint.toml", Variant::FinishedTaskCountsAsAcked, b);
    assert_eq!(checker, "coordinator");
    assert!(file.contains("\nack_losses = 1\n") && file.contains("\nrequests = 1\n"), "{file}");
    let (code, out) = run_cli(&file, "acks");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("VIOLATION coordinator") && out.contains(": reproduced"), "{out}");
    let (code, out) =
        run_cli(&file.replace("variant = \"finished-task-counts-as-acked\"", "variant = \"correct\""), "acks-ok");
    assert_eq!(code, 0, "the correct coordinator keeps the savepoint pending: {out}");
}
