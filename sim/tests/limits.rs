//! Bounded cost for any input: the file-size limit before parsing, and `ckptsim check`
//! validating a generator by its parameters without materialising its records.

use ckptsim_sim::scenario::{self, limits, FILE_FIELD};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ckptsim-limits-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

const VALID: &str = "name = \"big\"\nstop_at_ms = 10000\n[[operators]]\nkind = \"log-source\"\n\
                     [[operators]]\nkind = \"print-sink\"\n[input]\nrecords = []\n";

#[test]
fn a_file_above_the_size_limit_is_refused_before_parsing() {
    let dir = temp_dir("size");
    let path = dir.join("huge.toml");
    // A valid scenario padded with comments to one byte above the limit.
    let mut text = VALID.to_string();
    while (text.len() as u64) < limits::MAX_FILE_BYTES + 1 {
        text.push_str("# padding padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(&path, &text).expect("write");
    let err = scenario::load(&path).expect_err("too large");
    assert_eq!(err.field, FILE_FIELD, "{err}");
    assert!(err.message.contains("limited to 4194304 bytes"), "{err}");
    assert_eq!((err.line, err.column), (1, 1), "{err}");
    let again = scenario::parse(&path.display().to_string(), &text).expect_err("parse refuses too");
    assert_eq!(again.field, FILE_FIELD);
    // At the limit exactly the same text is accepted (comments only).
    text.truncate(limits::MAX_FILE_BYTES as usize - 1);
    text.push('\n');
    std::fs::write(&path, &text).expect("write");
    scenario::load(&path).expect("a file at the limit is read");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_does_not_materialise_generated_input() {
    // At the limits: 10^7 records drawn over 10^4 Zipf keys would cost ~10^11 steps to expand.
    let dir = temp_dir("check");
    let path = dir.join("gen.toml");
    let text = "name = \"gen\"\nstop_at_ms = 10000\n[[operators]]\nkind = \"log-source\"\n\
                [[operators]]\nkind = \"print-sink\"\n[input]\npartitions = 1024\n\
                [input.generator]\ncount = 10000000\nrate_per_s = 1000\nkeys = 10000\ndistribution = \"zipf\"\n";
    std::fs::write(&path, text).expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["check", path.to_str().unwrap()])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run ckptsim");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().expect("kill");
            let _ = child.wait();
            panic!("check still running after 10 s: it expands the generator");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "the scenario at the limits is valid");
    let _ = std::fs::remove_dir_all(&dir);
}
