//! Valid scenarios parse into the expected typed values: the examples in `sim/tests/good-scenarios/` and every `toml` block of `scenarios/README.md`; `parse` never panics.

use ckptsim::config::{CheckpointingMode, RestartStrategyConfig, Retention, UNLIMITED};
use ckptsim::status::JobStatus;
use ckptsim::{CheckpointId, PartitionId, Profile, Variant};
use ckptsim_sim::scenario::{
    self, ActionSpec, Anchor, Distribution, FaultSpec, InputSpec, OperatorKindSpec, StartupMode, TaskRef, Udf, When,
    FILE_FIELD, SYNTAX_FIELD,
};
use ckptsim_sim::spec::FaultKind;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn good(name: &str) -> PathBuf {
    manifest().join("tests/good-scenarios").join(name)
}

fn load(name: &str) -> scenario::Scenario {
    scenario::load(&good(name)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_good_scenario_loads() {
    let mut n = 0;
    for entry in std::fs::read_dir(manifest().join("tests/good-scenarios")).expect("dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 3);
}

#[test]
fn all_fields_example_has_the_written_values() {
    let s = load("all-fields.toml");
    assert_eq!(s.name, "all-fields");
    assert_eq!(s.description.as_deref(), Some("every key of the scenario format"));
    assert_eq!(s.profile, Profile::Flink23);
    assert_eq!(s.variant, Variant::Correct);
    assert_eq!((s.seed, s.stop_at_ms), (7, 120_000));

    let c = s.checkpoint_config();
    assert_eq!(c.interval_ms, Some(1000));
    assert_eq!((c.min_pause_ms, c.timeout_ms, c.max_concurrent), (500, 60_000, 1));
    assert_eq!(c.tolerable_failures, UNLIMITED as i64);
    assert!(c.tolerable_is_unlimited());
    assert_eq!(c.mode, CheckpointingMode::ExactlyOnce);
    assert!(c.unaligned);
    assert_eq!(c.aligned_timeout_ms, 200);
    assert_eq!(c.retention, Retention::RetainOnCancellation);
    assert_eq!(c.num_retained, 2);

    let expected_restart = RestartStrategyConfig::ExponentialDelay {
        initial_backoff_ms: 1000,
        max_backoff_ms: 60_000,
        multiplier: 1.5,
        reset_threshold_ms: 3_600_000,
        jitter: 0.1,
        attempts: 10,
    };
    assert_eq!(s.configured_restart(), Some(&expected_restart));
    assert_eq!(s.restart_config(), expected_restart);

    assert_eq!(s.cluster.task_managers, 2);
    assert_eq!(s.cluster.slots_per_tm, 4);
    assert_eq!(s.cluster.control_latency_ms, (1, 3));

    let names: Vec<&str> = s.operators.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "MySourceFunction",
            "filter",
            "map",
            "flat_map",
            "key_by",
            "count_window",
            "key_by-2",
            "running-sum",
            "two-phase-commit-sink"
        ]
    );
    assert_eq!(s.source().kind, OperatorKindSpec::LogSource { startup: StartupMode::Earliest });
    assert_eq!(s.source().topic.as_deref(), Some("orders"));
    assert_eq!(s.source().state_padding_bytes, 1024);
    assert_eq!(s.operators[1].kind, OperatorKindSpec::Filter { function: Udf::DropEmpty });
    let map = &s.operators[2];
    assert_eq!(map.kind, OperatorKindSpec::Map { function: Udf::Uppercase });
    assert_eq!(map.fail_on_value.as_deref(), Some("ERROR"));
    assert_eq!((map.fail_every_nth, map.fail_at_ms), (Some(8), Some(30_000)));
    assert!(map.has_failure_injector());
    assert_eq!(s.operators[5].kind, OperatorKindSpec::CountWindow { size: 3 });
    assert_eq!(s.sink().kind, OperatorKindSpec::TwoPhaseCommitSink);
    assert_eq!(s.operator("running-sum").map(|(i, _)| i), Some(7));

    match &s.input {
        InputSpec::Generator { partitions, generator } => {
            assert_eq!(*partitions, 2);
            assert_eq!((generator.count, generator.rate_per_s, generator.keys), (1000, 100, 10));
            assert_eq!(generator.distribution, Distribution::Zipf);
        }
        other => panic!("unexpected input {other:?}"),
    }

    let actions: Vec<&str> = s.actions.iter().map(|a| a.action.name()).collect();
    assert_eq!(actions, ["retune", "trigger-checkpoint", "savepoint", "cancel", "restore-retained"]);
    match &s.actions[0].action {
        ActionSpec::Retune(r) => {
            assert_eq!((r.interval_ms, r.min_pause_ms, r.timeout_ms), (Some(60_000), Some(60_000), Some(60_000)));
            assert_eq!(r.tolerable_failures, Some(3));
        }
        other => panic!("unexpected action {other:?}"),
    }

    // Every fault kind appears, in the order of FaultSpec::NAMES after the second task-failure.
    let mut kinds: Vec<&str> = s.faults.iter().map(|f| f.fault.name()).collect();
    kinds.dedup();
    assert_eq!(kinds, FaultSpec::NAMES);
    // Validation resolves each entry into the run's one fault vocabulary, `FaultKind`.
    let inject = |kind: FaultKind, duration_ms: Option<u64>| FaultSpec::Inject { kind, duration_ms };
    assert_eq!(s.faults[0].fault, inject(FaultKind::TaskFailure { task: "map[0]".into() }, None));
    assert_eq!(s.faults[0].when, When::At(5000));
    assert_eq!(
        s.faults[1].when,
        When::On(Anchor::BarrierAt {
            checkpoint: CheckpointId(3),
            task: TaskRef { operator: "running-sum".into(), operator_index: 7, subtask: Some(1) },
        })
    );
    // An operator named without a subtask: the world hits its subtask 0.
    assert_eq!(s.faults[1].fault, inject(FaultKind::TaskFailure { task: "running-sum[0]".into() }, None));
    assert_eq!(s.faults[2].when, When::On(Anchor::Acked { checkpoint: CheckpointId(2) }));
    assert_eq!(s.faults[2].fault, inject(FaultKind::TmCrash { tm: 1, restart_after_ms: 5000 }, None));
    assert_eq!(s.faults[3].when, When::On(Anchor::Completed { checkpoint: CheckpointId(4) }));
    assert_eq!(s.faults[4].when, When::On(Anchor::Triggered { checkpoint: CheckpointId(5) }));
    assert_eq!(
        s.faults[4].fault,
        inject(FaultKind::Partition { a: "tm0".into(), b: "jm".into(), both: false }, Some(2000))
    );
    assert_eq!(
        s.faults[5].fault,
        inject(
            FaultKind::MessageLoss {
                rate: 0.1,
                messages: Vec::new(),
                target: Some("tm0".into()),
                peer: Some("tm1".into())
            },
            Some(1000)
        )
    );
    assert_eq!(s.faults[14].fault, FaultSpec::InputBurst { records_per_s: 1000, duration_ms: 500 });

    let e = &s.expect;
    assert_eq!(e.final_status, Some(JobStatus::Canceled));
    assert_eq!(e.restarts, Some(3));
    assert!(e.exactly_once && e.at_least_once && e.snapshot);
    assert_eq!(e.completed_checkpoints_min, Some(1));
    assert_eq!(e.output.as_deref(), Some(&["(k0,3)".to_string(), "(k1,3)".to_string()][..]));
    assert_eq!(e.duplicates.as_deref(), Some(&[][..]));
    assert_eq!(e.caught_by.as_deref(), Some("offsets"));
    assert_eq!(e.max_checkpoint_gap_ms, Some(5000));
}

#[test]
fn seed_examples_have_the_written_values() {
    let s = load("004-wordcount-restore.toml");
    assert_eq!(s.profile, Profile::Flink111);
    assert_eq!(s.restart_config(), RestartStrategyConfig::FixedDelay { attempts: 3, delay_ms: 10_000 });
    match &s.input {
        InputSpec::Lines(lines) => {
            assert_eq!(lines.len(), 11);
            assert_eq!((lines[3].at_ms, lines[3].line.as_str()), (8000, "ERROR"));
        }
        other => panic!("unexpected input {other:?}"),
    }
    assert_eq!(s.expect.final_status, Some(JobStatus::Failed));

    let s = load("001-kafka-offsets.toml");
    assert_eq!(
        s.restart_config(),
        RestartStrategyConfig::FailureRate { max_failures_per_interval: 5, interval_ms: 60_000, delay_ms: 1000 }
    );
    match &s.input {
        InputSpec::Records { partitions, records } => {
            assert_eq!(*partitions, 3);
            assert_eq!(records[2].partition, PartitionId(2));
        }
        other => panic!("unexpected input {other:?}"),
    }
    assert_eq!(s.operators[1].fail_every_nth, Some(8));
}

const MINIMAL: &str = r#"
name = "minimal"
stop_at_ms = 1000
[[operators]]
kind = "socket-source"
[[operators]]
kind = "print-sink"
[input]
lines = []
"#;

#[test]
fn defaults_follow_flink() {
    let s = scenario::parse("minimal.toml", MINIMAL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.profile, Profile::Flink23);
    assert_eq!(s.variant, Variant::Correct);
    assert_eq!(s.seed, 0);
    assert_eq!(s.checkpoint_config(), &ckptsim::config::CheckpointConfig::default());
    assert_eq!(s.configured_restart(), None);
    // Checkpointing disabled: no restarts.
    assert_eq!(s.restart_config(), RestartStrategyConfig::NoRestart);
    assert_eq!(s.cluster, scenario::ClusterSpec::default());
    assert_eq!(s.expect, scenario::ExpectSpec::default());

    // Checkpointing on, nothing configured: the profile's default.
    let on = MINIMAL
        .replace("[[operators]]\nkind = \"socket", "[checkpoint]\ninterval_ms = 1000\n[[operators]]\nkind = \"socket");
    let s = scenario::parse("on.toml", &on).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.restart_config(), RestartStrategyConfig::exponential_delay_default());
    let s = scenario::parse("on.toml", &format!("profile = \"flink-1.11\"\n{on}")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.restart_config(), RestartStrategyConfig::FixedDelay { attempts: UNLIMITED as i64, delay_ms: 1000 });

    // A [restart] table takes Flink's option defaults for the keys it omits.
    let s = scenario::parse("fd.toml", &format!("[restart]\nstrategy = \"FixedDelay\"\n{MINIMAL}"));
    // (a table header before top-level keys makes them part of [restart]: that is an error)
    assert!(s.is_err());
    let s = scenario::parse("fd.toml", &format!("{MINIMAL}\n[restart]\nstrategy = \"FixedDelay\"\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.restart_config(), RestartStrategyConfig::fixed_delay_default());
}

#[test]
fn error_display_is_file_line_column_field_message() {
    let text = MINIMAL.replace("stop_at_ms = 1000", "stop_at_ms = 0");
    let e = scenario::parse("x.toml", &text).expect_err("stop_at_ms = 0 is rejected");
    assert_eq!(e.to_string(), "x.toml:3:14: stop_at_ms: must be > 0");
    // A syntax error on a `key = value` line names the key; elsewhere it is `(syntax)`.
    let e = scenario::parse("x.toml", "name = \n").expect_err("syntax");
    assert_eq!((e.field.as_str(), e.line), ("name", 1));
    assert!(e.message.starts_with("TOML syntax: "), "{e}");
    let e = scenario::parse("x.toml", "name = \"x\"\n[checkpoint\n").expect_err("syntax");
    assert_eq!((e.field.as_str(), e.line), (SYNTAX_FIELD, 2));
}

#[test]
fn load_reports_io_and_encoding_errors() {
    let e = scenario::load(Path::new("/nonexistent/ckptsim/scenario.toml")).expect_err("missing file");
    assert_eq!((e.line, e.column, e.field.as_str()), (0, 0, FILE_FIELD));
    assert!(e.to_string().starts_with("/nonexistent/ckptsim/scenario.toml:0:0: (file): cannot read"));

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("not-utf8.toml");
    std::fs::write(&path, b"name = \"ok\"\nstop_at_ms = 1\ndescription = \"\xff\"\n").expect("write temp file");
    let e = scenario::load(&path).expect_err("invalid UTF-8");
    assert_eq!((e.line, e.column, e.field.as_str()), (3, 16, FILE_FIELD));
}

/// The fenced ```toml blocks of a markdown text.
fn toml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_start().starts_with("```toml") => current = Some(String::new()),
            Some(_) if line.trim_start().starts_with("```") => blocks.extend(current.take()),
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn readme_examples_parse() {
    let path = manifest().join("../scenarios/README.md");
    let readme = std::fs::read_to_string(&path).expect("scenarios/README.md");
    let blocks = toml_blocks(&readme);
    assert!(blocks.len() >= 2, "expected the small and the full example");
    for (i, block) in blocks.iter().enumerate() {
        let s = scenario::parse(&format!("README block {i}"), block).unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.name.is_empty());
    }
    // The full example names every fault kind and every action kind.
    let full = scenario::parse("README", &blocks[1]).unwrap_or_else(|e| panic!("{e}"));
    let faults: Vec<&str> = full.faults.iter().map(|f| f.fault.name()).collect();
    assert_eq!(faults, FaultSpec::NAMES);
    let mut actions: Vec<&str> = full.actions.iter().map(|a| a.action.name()).collect();
    actions.sort_unstable();
    let mut all = ActionSpec::NAMES;
    all.sort_unstable();
    assert_eq!(actions, all);
    // Every kind and function is documented in the README.
    for name in OperatorKindSpec::names().iter().chain(FaultSpec::NAMES.iter()) {
        assert!(readme.contains(&format!("`{name}`")), "README does not document `{name}`");
    }
    for udf in Udf::ALL {
        assert!(readme.contains(&format!("`{udf}`")), "README does not document `{udf}`");
    }
    for v in Variant::ALL.iter().skip(1) {
        assert!(readme.contains(v.name()), "README does not document variant {v}");
    }
}

fn no_panic(text: &str) {
    let r = std::panic::catch_unwind(|| scenario::parse("fuzz.toml", text));
    match r {
        Err(_) => panic!("parse panicked on {text:?}"),
        Ok(Err(e)) => {
            assert!(e.line >= 1 && e.column >= 1, "{e}");
            assert!(!e.field.is_empty(), "{e}");
        }
        Ok(Ok(_)) => {}
    }
}

#[test]
fn parse_never_panics_on_prefixes_of_valid_files() {
    for name in ["all-fields.toml", "004-wordcount-restore.toml"] {
        let text = std::fs::read_to_string(good(name)).expect("readable");
        for (end, _) in text.char_indices() {
            no_panic(&text[..end]);
        }
        no_panic(&text);
        // And suffixes: a file cut at the front.
        for (start, _) in text.char_indices().step_by(7) {
            no_panic(&text[start..]);
        }
    }
}

#[test]
fn parse_never_panics_on_mutated_bytes() {
    let text = std::fs::read(good("all-fields.toml")).expect("readable");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5eed);
    const INTERESTING: &[u8] = b"[]{}=\",.#\n -0123456789e+_'\\\x00\xff";
    for _ in 0..3000 {
        let mut bytes = text.clone();
        for _ in 0..rng.random_range(1..6) {
            let at = rng.random_range(0..bytes.len());
            match rng.random_range(0..4) {
                0 => bytes[at] = INTERESTING[rng.random_range(0..INTERESTING.len())],
                1 => bytes[at] = rng.random(),
                2 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, INTERESTING[rng.random_range(0..INTERESTING.len())]),
            }
        }
        let cut = rng.random_range(0..=bytes.len());
        no_panic(&String::from_utf8_lossy(&bytes[..cut]));
        no_panic(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn parse_never_panics_on_odd_inputs() {
    let odd = [
        "",
        "\u{feff}",
        "\n\n\n",
        "é = 1",
        "name = \"é\"\nstop_at_ms = 1\n[[operators]]\nkind = \"é\"\n",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        "a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        "stop_at_ms = 9223372036854775807\nname = \"x\"\n",
        "stop_at_ms = -9223372036854775808\n",
        "[checkpoint]\ninterval_ms = 9223372036854775807\nmultiplier = nan\n",
        "[restart]\nstrategy = \"exponential-delay\"\nmultiplier = inf\njitter = nan\n",
        "[cluster]\ncontrol_latency_ms = []\n",
        "[cluster]\ncontrol_latency_ms = [1]\n",
        "[cluster]\ncontrol_latency_ms = [-1, 2]\n",
        "[[faults]]\non = \"checkpoint-99999999999999999999999-acked\"\n",
        "[[faults]]\ntarget = \"map[\"\n",
        "[[faults]]\ntarget = \"map[99999999999]\"\n",
        "[[faults]]\ntarget = \"[0]\"\n",
        "[[faults]]\ntarget = \"é[0]\"\n",
        "[[faults]]\ntarget = \"tm99999999999999999999\"\n",
        "[[faults]]\non = \"checkpoint-1-barrier-at:\"\n",
        "[[faults]]\non = \"checkpoint--\"\n",
        "[[faults]]\non = \"checkpoint-\"\n",
        "[[faults]]\non = \"checkpoint-1-barrier-at:[0]\"\n",
        "'''\n",
        "a.b.c.d.e.f.g = 1",
        "[a]\n[a.b]\n[[a.c]]\n",
        "x = { y = [ { z = [1, 2, { w = 3 }] } ] }",
    ];
    for text in odd {
        no_panic(text);
    }
    // The same odd fault lines inside an otherwise valid scenario.
    for line in [
        "target = \"map[\"",
        "target = \"map[99999999999]\"",
        "target = \"[0]\"",
        "target = \"é[0]\"",
        "target = \"tm99999999999999999999\"",
        "on = \"checkpoint-1-barrier-at:\"",
        "on = \"checkpoint--\"",
        "on = \"checkpoint-1-barrier-at:[0]\"",
        "on = \"checkpoint-99999999999999999999999-acked\"",
    ] {
        let text = format!("{MINIMAL}[checkpoint]\ninterval_ms = 100\n[[faults]]\nkind = \"task-failure\"\n{line}\n");
        no_panic(&text);
        assert!(scenario::parse("odd.toml", &text).is_err(), "{line} accepted");
    }
}

/// Every key a scenario file may hold is documented in `scenarios/README.md` (issue 17's "the
/// format is documented with every key"): each field of the serde structs that read a file
/// (`sim/src/scenario/raw.rs`, `deny_unknown_fields`) appears in the README as `key = ...` or
/// `` `key` ``, a table (`[checkpoint]`, `[[faults]]`, ...) as its header.
#[test]
fn readme_documents_every_key_of_the_format() {
    let raw = std::fs::read_to_string(manifest().join("src/scenario/raw.rs")).expect("raw.rs");
    let readme = std::fs::read_to_string(manifest().join("../scenarios/README.md")).expect("README");
    let mut keys = 0;
    let mut missing = Vec::new();
    for line in raw.lines() {
        let Some(rest) = line.trim_start().strip_prefix("pub(crate) ") else { continue };
        let Some((field, _)) = rest.split_once(':') else { continue };
        if field.contains(' ') || field.contains('(') {
            continue;
        }
        keys += 1;
        let documented = [format!("{field} ="), format!("`{field}`"), format!("[{field}]"), format!("[[{field}]]")]
            .iter()
            .any(|p| readme.contains(p.as_str()));
        if !documented {
            missing.push(field.to_string());
        }
    }
    assert!(keys >= 100, "only {keys} keys read from raw.rs");
    assert!(missing.is_empty(), "keys not documented in scenarios/README.md: {missing:?}");
}
