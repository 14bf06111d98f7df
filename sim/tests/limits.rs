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
    // At the limits: 10^7 records drawn over 10^4 uniform keys would cost seconds to expand.
    let dir = temp_dir("check");
    let path = dir.join("gen.toml");
    let text = "name = \"gen\"\nstop_at_ms = 10000\n[[operators]]\nkind = \"log-source\"\n\
                [[operators]]\nkind = \"print-sink\"\n[input]\npartitions = 1024\n\
                [input.generator]\ncount = 10000000\nrate_per_s = 1000\nkeys = 10000\n";
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

const GEN_HEAD: &str = "name = \"g\"\nstop_at_ms = 2000\n[[operators]]\nkind = \"log-source\"\n\
                        [[operators]]\nkind = \"print-sink\"\n[input]\npartitions = 4\n";

/// A Zipf generator's draws cost up to `keys` steps each: count × keys is limited, named at
/// the generator's `count` (10^7 records over 10^4 Zipf keys ran 815 s in draws alone).
#[test]
fn zipf_draw_cost_is_limited_at_the_generator_count() {
    let text = format!(
        "{GEN_HEAD}[input.generator]\ncount = 10000000\nrate_per_s = 1000\nkeys = 10000\ndistribution = \"zipf\"\n"
    );
    let err = scenario::parse("zipf.toml", &text).expect_err("count × keys above the limit");
    assert_eq!((err.field.as_str(), err.line), ("input.generator.count", 10), "{err}");
    assert!(err.message.contains(&limits::MAX_ZIPF_COUNT_TIMES_KEYS.to_string()), "{err}");
    // At the limit it is valid, and uniform draws are not limited this way.
    let at_limit = text.replace("count = 10000000", "count = 100000");
    scenario::parse("zipf.toml", &at_limit).expect("10^5 × 10^4 is at the limit");
    scenario::parse("u.toml", &text.replace("distribution = \"zipf\"\n", "")).expect("uniform");
}

/// A source's own generator (`[inputs.<Source>]`) has the same limits as `[input]`'s.
#[test]
fn source_input_generators_have_the_generator_limits() {
    let text = "name = \"g\"\nstop_at_ms = 2000\n[[operators]]\nname = \"A\"\nkind = \"log-source\"\n\
                [[operators]]\nname = \"B\"\nkind = \"log-source\"\n[[operators]]\nkind = \"union\"\ninputs = [\"A\", \"B\"]\n\
                [[operators]]\nkind = \"print-sink\"\n[inputs.A]\ngenerator = { count = 10, rate_per_s = 10 }\n\
                [inputs.B]\ngenerator = { count = 10, rate_per_s = 10, keys = 1000000000000 }\n";
    let err = scenario::parse("two.toml", text).expect_err("keys above the limit");
    assert_eq!(err.field, "inputs.B.generator.keys", "{err}");
    assert_eq!(err.line, 17, "{err}");
}

/// Input bursts are kept as their parameters: a small file asking for 9.9 million burst records
/// loads without writing one out (it took 7 s and 654 MB before the run started).
#[test]
fn input_bursts_load_lazily() {
    let text = format!(
        "{GEN_HEAD}[input.generator]\ncount = 10\nrate_per_s = 10\n[[faults]]\nkind = \"input-burst\"\n\
         at_ms = 1000\nrecords_per_s = 100000000\nduration_ms = 99\n"
    );
    let sc = scenario::parse("burst.toml", &text).expect("valid");
    let started = Instant::now();
    let spec = ckptsim_sim::load::to_spec(&sc, "burst.toml");
    let ckptsim_sim::spec::InputSpec::Log { records, .. } = &spec.input else { panic!("a log input") };
    assert!(matches!(records, ckptsim_sim::spec::LogRecords::Merged(_)), "the burst was written out");
    assert_eq!(records.len(), 10 + 9_900_000);
    // Random access without drawing: the burst's first record follows the generator's at 1000 ms.
    assert_eq!(records.at_ms(10), Some(1000));
    assert_eq!(records.at_ms(9), Some(900));
    assert!(started.elapsed() < Duration::from_secs(2), "loading took {:?}", started.elapsed());
}

/// A blank quoted key is named as such, with its line (it was `checkpoint.: unknown field ``).
#[test]
fn blank_quoted_keys_are_named() {
    for (text, field, line) in [
        ("name = \"x\"\n\"\" = 1\n", "\"\"", 2),
        ("name = \"x\"\n[checkpoint]\n\"\" = 1\n", "checkpoint.\"\"", 3),
        ("name = \"x\"\n[checkpoint]\n\"a.b\" = 1\n", "checkpoint.\"a.b\"", 3),
        ("name = \"x\"\n[[operators]]\nkind = \"map\"\n\"\\u001b\" = 1\n", "operators[0].\"\\u001B\"", 4),
    ] {
        let err = scenario::parse("blank.toml", text).expect_err("unknown key");
        assert_eq!((err.field.as_str(), err.line), (field, line), "{err}");
        assert!(!err.to_string().chars().any(char::is_control), "{err}");
    }
}
