//! The planted bugs of the downstream example are caught: a word counter that does not restore its state fails the state checker, a non-idempotent ledger publishes twice after a restore, a list-state operator that restores nothing or another checkpoint's list fails the state checker, and an at-least-once sink that does not flush at checkpoints loses records.

use ckptsim::ids::PartitionId;
use ckptsim::record::{Lineage, Record, Value};
use ckptsim::user::TwoPhaseCommitDriver;
use ckptsim::CheckpointId;
use ckptsim_downstream::{
    registry, registry_with_forgetful_sink, AppendLog, Ledger, LedgerSink, RecentBug, RecentWords, WordCounter,
    WordSource,
};
use ckptsim_sim::api;
use ckptsim_sim::user::Registry;
use std::sync::{Arc, Mutex};

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn counter_without_restore_is_caught_by_the_state_checker() {
    let buggy = Registry::new().with_operator("word_counter", || Box::new(WordCounter::without_restore()));
    let r = api::run_file(scenario("counter-task-failure.toml"), None, &buggy).expect("loads");
    let state = r.verdict("state").expect("the state checker ran");
    assert_eq!(state.passed, Some(false), "not caught: {}", r.render());
    assert!(state.anomalies.iter().any(|a| a.contains("not after it")), "{:?}", state.anomalies);
    assert!(!r.passed());
}

#[cfg(not(feature = "plant-no-restore"))]
#[test]
fn correct_counter_passes_and_is_deterministic() {
    let r = api::run_file(scenario("counter-task-failure.toml"), None, &registry()).expect("loads");
    assert!(r.passed(), "{}", r.render());
    assert_eq!(r.verdict("state").and_then(|v| v.passed), Some(true));
    assert!(r.outcome.run.restarts >= 1, "the faults restarted the job");
    let again = api::run_file(scenario("counter-task-failure.toml"), None, &registry()).expect("loads");
    assert_eq!(r.trace_hash(), again.trace_hash());
}

/// Drives the ledger sink through checkpoints, a crash after checkpoint 2 completed but before
/// the notification reached the sink, and a restore; returns the visible output.
fn crash_and_restore(non_idempotent: bool) -> Vec<Value> {
    let rec = |i: i64| Record::new(Value::Int(i), Lineage { input_seq: i as u64, sub: 0 });
    let ledger = {
        let mut l = Ledger::default();
        l.non_idempotent = non_idempotent;
        Arc::new(Mutex::new(l))
    };
    let mut d = TwoPhaseCommitDriver::new(LedgerSink::new(ledger.clone(), 1));
    d.invoke(&rec(1)).unwrap();
    d.snapshot(CheckpointId(1)).unwrap();
    d.notify_complete(CheckpointId(1)).unwrap();
    d.invoke(&rec(2)).unwrap();
    let cp2 = d.snapshot(CheckpointId(2)).unwrap();
    d.invoke(&rec(3)).unwrap(); // lost with the crash: not in any checkpoint
    d.notify_complete(CheckpointId(2)).unwrap(); // commits 2, then the task crashes
    drop(d);
    let mut d = TwoPhaseCommitDriver::restore(LedgerSink::new(ledger.clone(), 2), &cp2).unwrap();
    d.invoke(&rec(3)).unwrap(); // replayed from the source
    d.snapshot(CheckpointId(3)).unwrap();
    d.notify_complete(CheckpointId(3)).unwrap();
    let visible = ledger.lock().unwrap().visible.iter().map(|r| r.value.clone()).collect();
    visible
}

#[test]
fn ledger_sink_is_exactly_once_across_a_restore() {
    assert_eq!(crash_and_restore(false), vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
}

#[test]
fn non_idempotent_ledger_publishes_twice() {
    assert_eq!(crash_and_restore(true), vec![Value::Int(1), Value::Int(2), Value::Int(2), Value::Int(3)]);
}

#[test]
fn unknown_user_operator_names_its_line() {
    let err = api::run_file(scenario("counter-task-failure.toml"), None, &Registry::new()).unwrap_err();
    assert_eq!(err.field, "operators[3].function");
    assert_eq!(err.line, 41, "{err}");
    assert!(err.message.contains("unknown user operator `word_counter`"), "{err}");
}

/// The user source and user ledger sink job: committed output comes from the crate's own
/// ledger, the job restarted, and exactly-once held.
#[test]
fn user_source_and_ledger_sink_are_exactly_once_across_failures() {
    let r = api::run_file(scenario("user-source-ledger-sink.toml"), None, &registry()).expect("loads");
    assert!(r.passed(), "{}", r.render());
    assert!(r.outcome.run.restarts >= 2, "the faults restarted the job: {}", r.render());
    assert_eq!(r.verdict("exactly-once").and_then(|v| v.passed), Some(true));
    // The ledger published words read from the user source (not an empty run).
    let committed = &r.outcome.run.committed;
    assert!(committed.len() > 200, "{} rows committed", committed.len());
    assert!(committed.iter().all(|row| matches!(&row.value, Value::Pair(w, _) if w.len() == 5)));
}

#[test]
fn forgetful_ledger_sink_is_caught_by_exactly_once() {
    let r =
        api::run_file(scenario("user-source-ledger-sink.toml"), None, &registry_with_forgetful_sink()).expect("loads");
    let v = r.verdict("exactly-once").expect("the exactly-once checker ran");
    assert_eq!(v.passed, Some(false), "not caught: {}", r.render());
    assert!(!r.passed());
}

#[test]
fn source_ignoring_its_restored_positions_is_caught() {
    let buggy = registry().with_source("words", || {
        let mut s = WordSource::new();
        s.ignores_restore = true;
        Box::new(s)
    });
    let r = api::run_file(scenario("user-source-ledger-sink.toml"), None, &buggy).expect("loads");
    let v = r.verdict("exactly-once").expect("the exactly-once checker ran");
    assert_eq!(v.passed, Some(false), "not caught: {}", r.render());
    assert!(v.anomalies.iter().any(|a| a.contains("not resumed at its checkpointed position")), "{:?}", v.anomalies);
}

fn run(file: &str, seed: u64, registry: &Registry) -> api::Report {
    api::run_file(scenario(file), Some(seed), registry).expect("loads")
}

fn with_recent_bug(bug: impl Fn() -> RecentBug + Send + Sync + 'static) -> Registry {
    registry().with_operator("recent_words", move || Box::new(RecentWords::with_bug(bug())))
}

/// The list-state operator through a task failure and a TaskManager crash, aligned and
/// unaligned: restores happened with non-empty lists, each restored attempt holds exactly its
/// checkpoint's list, and every checker passes.
#[cfg(not(feature = "plant-no-restore"))]
#[test]
fn list_state_is_restored_as_checkpointed_through_failover() {
    for file in ["recent-list-aligned.toml", "recent-list-unaligned.toml"] {
        for seed in 1..=3 {
            let r = run(file, seed, &registry());
            assert!(r.passed(), "{file} seed {seed}: {}", r.render());
            let lists = &r.outcome.run.restored_lists;
            assert!(lists.iter().filter(|l| l.stored.len() == RecentWords::CAPACITY).count() >= 2, "{file} {lists:?}");
            assert!(lists.iter().all(|l| l.restored == l.stored), "{file} {lists:?}");
            let state = r.verdict("state").expect("state ran");
            assert!(state.summary.contains("list-state restores held their checkpoint's entries"), "{}", state.summary);
        }
    }
    // Unaligned checkpoints did hold records in flight (the barriers overtook data).
    let r = run("recent-list-unaligned.toml", 1, &registry());
    assert!(r.outcome.run.completed_in_flight.values().any(|s| !s.is_empty()), "no in-flight data");
}

/// Rescaling 2 -> 3 -> 1 from savepoints: the new subtasks restore an even split of the old
/// entries (6 + 6 over 3 subtasks), then all of them (3 x 6 on one subtask).
#[cfg(not(feature = "plant-no-restore"))]
#[test]
fn list_state_is_split_and_merged_on_rescale() {
    let r = run("recent-list-rescale.toml", 1, &registry());
    assert!(r.passed(), "{}", r.render());
    let recent: Vec<_> = r.outcome.run.restored_lists.iter().filter(|l| l.operator.starts_with("Recent")).collect();
    let sizes: Vec<usize> = recent.iter().map(|l| l.stored.len()).collect();
    assert_eq!(sizes, [4, 4, 4, 18], "{recent:?}");
    assert!(recent.iter().all(|l| l.restored == l.stored));
    assert_eq!(r.outcome.run.rescales.len(), 2);
}

#[test]
fn list_state_not_restored_is_caught_by_the_state_checker() {
    for file in ["recent-list-aligned.toml", "recent-list-unaligned.toml", "recent-list-rescale.toml"] {
        let r = run(file, 1, &with_recent_bug(|| RecentBug::NoRestore));
        let state = r.verdict("state").expect("state ran");
        assert_eq!(state.passed, Some(false), "{file} not caught: {}", r.render());
        assert!(state.anomalies.iter().any(|a| a.contains("list state restored as []")), "{:?}", state.anomalies);
        assert!(!r.passed());
    }
}

#[test]
fn list_state_restored_from_the_wrong_checkpoint_is_caught() {
    for file in ["recent-list-aligned.toml", "recent-list-rescale.toml"] {
        let copy = Arc::new(Mutex::new(Vec::new()));
        let r = run(file, 1, &with_recent_bug(move || RecentBug::LastSnapshot(copy.clone())));
        let state = r.verdict("state").expect("state ran");
        assert_eq!(state.passed, Some(false), "{file} not caught: {}", r.render());
        assert!(
            state.anomalies.iter().any(|a| a.contains("restored from another checkpoint")),
            "{:?}",
            state.anomalies
        );
    }
}

/// The at-least-once user sink: restores replay what was written after the checkpoint, the
/// exactly-once checker names those inputs as at-least-once duplicates and passes, the
/// at-least-once checker finds nothing lost.
#[cfg(not(feature = "plant-no-restore"))]
#[test]
fn at_least_once_user_sink_duplicates_are_named_not_failures() {
    for seed in 1..=3 {
        let r = run("append-log-at-least-once.toml", seed, &registry());
        assert!(r.passed(), "seed {seed}: {}", r.render());
        let eo = r.verdict("exactly-once").expect("exactly-once ran");
        assert_eq!(eo.passed, Some(true), "{}", r.render());
        assert!(eo.summary.contains("at-least-once sink `append_log`"), "{}", eo.summary);
        let rows = &r.outcome.run.print_rows;
        let mut seen = std::collections::BTreeSet::new();
        let dups = rows.iter().filter(|row| !seen.insert((row.lineage.input_seq, row.lineage.sub))).count();
        assert!(dups > 0, "seed {seed}: the restores replayed no published record");
        assert!(eo.summary.contains(&format!("{dups} inputs published again")), "{dups}: {}", eo.summary);
        assert_eq!(r.verdict("at-least-once").and_then(|v| v.passed), Some(true));
        assert!(r.outcome.run.committed.is_empty(), "nothing goes through a two-phase commit");
    }
    // Batched writes that flush at every checkpoint are at least once too.
    let batched = registry().with_at_least_once_sink("append_log", || Box::new(AppendLog::new(5)));
    let r = run("append-log-at-least-once.toml", 1, &batched);
    assert!(r.passed(), "{}", r.render());
}

#[test]
fn at_least_once_sink_without_flush_loses_records() {
    let no_flush = registry().with_at_least_once_sink("append_log", || {
        let mut log = AppendLog::new(5);
        log.flush_on_checkpoint = false;
        Box::new(log)
    });
    let r = run("append-log-at-least-once.toml", 1, &no_flush);
    let v = r.verdict("at-least-once").expect("at-least-once ran");
    assert_eq!(v.passed, Some(false), "not caught: {}", r.render());
    assert!(v.anomalies.iter().any(|a| a.contains("lost record")), "{:?}", v.anomalies);
}

/// A user source unioned with a log source: restores resume both sources at their positions
/// (the log source's topic is partition 0, the user source's two splits partitions 1 and 2),
/// and every input is committed exactly once.
#[cfg(not(feature = "plant-no-restore"))]
#[test]
fn user_source_beside_a_log_source_restores_both_positions() {
    for seed in 1..=4 {
        let r = run("user-source-union-log.toml", seed, &registry());
        assert!(r.passed(), "seed {seed}: {}", r.render());
        assert_eq!(r.verdict("exactly-once").and_then(|v| v.passed), Some(true));
        let both = r
            .outcome
            .run
            .restores
            .iter()
            .any(|x| [0, 1, 2].iter().all(|p| x.offsets.get(&PartitionId(*p)).is_some_and(|o| o.0 > 0)));
        assert!(both, "seed {seed}: no restore resumed both sources: {:?}", r.outcome.run.restores);
        // Words from the user source and keys from the log source were both committed.
        let committed = &r.outcome.run.committed;
        assert!(committed.iter().any(|row| matches!(&row.value, Value::Pair(w, _) if w.len() == 5)));
        assert!(committed.iter().any(|row| matches!(&row.value, Value::Pair(w, _) if w.starts_with('k'))));
    }
}

#[test]
fn user_source_beside_a_log_source_ignoring_its_positions_is_caught() {
    let buggy = registry().with_source("words", || {
        let mut s = WordSource::new();
        s.ignores_restore = true;
        Box::new(s)
    });
    let r = run("user-source-union-log.toml", 1, &buggy);
    let v = r.verdict("exactly-once").expect("the exactly-once checker ran");
    assert_eq!(v.passed, Some(false), "not caught: {}", r.render());
}

/// `delivery_guarantee = "at-least-once"` on the ledger (registered both ways, two-phase commit
/// the later registration): the run writes through the ledger's at-least-once writer, so
/// nothing goes through a two-phase commit, the restores publish records again, and the
/// checkers judge it as an at-least-once sink. Without the key the same sink commits in
/// transactions (`user-source-ledger-sink.toml`).
#[cfg(not(feature = "plant-no-restore"))]
#[test]
fn delivery_guarantee_key_chooses_the_at_least_once_ledger() {
    let r = run("ledger-at-least-once.toml", 1, &registry());
    assert!(r.passed(), "{}", r.render());
    assert!(r.outcome.run.committed.is_empty(), "the key asked for no transactions: {}", r.render());
    assert!(!r.outcome.run.print_rows.is_empty(), "the ledger's writes are the output");
    let eo = r.verdict("exactly-once").expect("exactly-once ran");
    assert!(eo.summary.contains("at-least-once sink `ledger`"), "{}", eo.summary);
    assert!(eo.summary.contains("inputs published again"), "no replayed record: {}", eo.summary);
    assert_eq!(r.verdict("at-least-once").and_then(|v| v.passed), Some(true));
    let two_pc = run("user-source-ledger-sink.toml", 3, &registry());
    assert!(!two_pc.outcome.run.committed.is_empty(), "without the key the ledger commits in transactions");
}

/// A key the registered sink cannot honour is a located scenario error, not a run.
#[test]
fn delivery_guarantee_the_sink_cannot_give_names_its_line() {
    let text = std::fs::read_to_string(scenario("ledger-at-least-once.toml")).expect("reads");
    let only_2pc = Registry::new()
        .with_operator("word_counter", || Box::new(WordCounter::new()))
        .with_sink("ledger", || Box::new(ckptsim_downstream::LedgerSystem::new(Ledger::default())));
    let err = ckptsim_sim::user::parse_with("ledger.toml", &text, &only_2pc).expect_err("refused");
    assert_eq!(err.field, "operators[4].delivery_guarantee", "{err}");
    assert_eq!(err.line, 51, "{err}");
    assert!(err.message.contains("cannot give at-least-once"), "{err}");
    assert!(err.message.contains("with_at_least_once_sink"), "{err}");
    let asks_2pc = text.replace("\"at-least-once\"", "\"exactly-once\"");
    let only_alo = Registry::new()
        .with_operator("word_counter", || Box::new(WordCounter::new()))
        .with_at_least_once_sink("ledger", || Box::new(AppendLog::new(1)));
    let err = ckptsim_sim::user::parse_with("ledger.toml", &asks_2pc, &only_alo).expect_err("refused");
    assert_eq!(err.field, "operators[4].delivery_guarantee", "{err}");
    assert!(err.message.contains("cannot give exactly-once"), "{err}");
    let bad = text.replace("\"at-least-once\"", "\"at-most-once\"");
    let err = ckptsim_sim::user::parse_with("ledger.toml", &bad, &registry()).expect_err("refused");
    assert_eq!((err.field.as_str(), err.line), ("operators[4].delivery_guarantee", 51), "{err}");
    assert!(err.message.contains("exactly-once, at-least-once"), "{err}");
}

/// Two user sources unioned: restores resume each source at its own positions (`words`'s two
/// splits are partitions 0-1, `shouted_words`'s two splits 2-3), and every word of both is
/// committed exactly once.
#[cfg(not(feature = "plant-no-restore"))]
#[test]
fn two_user_sources_restore_their_own_positions() {
    for seed in 1..=4 {
        let r = run("two-user-sources-union.toml", seed, &registry());
        assert!(r.passed(), "seed {seed}: {}", r.render());
        assert_eq!(r.verdict("exactly-once").and_then(|v| v.passed), Some(true));
        let all = r
            .outcome
            .run
            .restores
            .iter()
            .any(|x| (0..4).all(|p| x.offsets.get(&PartitionId(p)).is_some_and(|o| o.0 > 0)));
        assert!(all, "seed {seed}: no restore resumed both sources: {:?}", r.outcome.run.restores);
        let committed = &r.outcome.run.committed;
        let shouted = |w: &str| w.chars().all(|c| c.is_ascii_uppercase());
        assert!(committed.iter().any(|row| matches!(&row.value, Value::Pair(w, _) if shouted(w))));
        assert!(committed.iter().any(|row| matches!(&row.value, Value::Pair(w, _) if !shouted(w))));
    }
}

#[test]
fn second_user_source_ignoring_its_positions_is_caught() {
    let buggy = registry().with_source("shouted_words", || {
        let mut s = WordSource::shouted();
        s.ignores_restore = true;
        Box::new(s)
    });
    let r = run("two-user-sources-union.toml", 1, &buggy);
    let v = r.verdict("exactly-once").expect("the exactly-once checker ran");
    assert_eq!(v.passed, Some(false), "not caught: {}", r.render());
    assert!(v.anomalies.iter().any(|a| a.contains("not resumed at its checkpointed position")), "{:?}", v.anomalies);
}

/// `emit` writes `delivery_guarantee` and both user sources: each emitted job, loaded again
/// with the same registry, reads the same input and runs to the same trace hash (without the
/// key the ledger would run its two-phase commit, another trace).
#[test]
fn emitted_user_jobs_round_trip_to_the_same_trace() {
    for (file, needle) in [
        ("ledger-at-least-once.toml", "delivery_guarantee = \"at-least-once\""),
        ("two-user-sources-union.toml", "function = \"shouted_words\""),
    ] {
        let spec =
            ckptsim_sim::user::load_spec_with(std::path::Path::new(&scenario(file)), &registry()).expect("loads");
        let text = ckptsim_sim::emit::to_toml(&spec, "# emitted by the planted test");
        assert!(text.contains(needle), "{file}: {text}");
        let sc =
            ckptsim_sim::user::parse_with("emitted.toml", &text, &registry()).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let back = ckptsim_sim::user::to_spec_with(&sc, "emitted.toml", &registry());
        assert_eq!(back.input, spec.input, "{file}: the loader read the same records");
        let (a, b) = (api::run_spec(&spec, 2, &registry()), api::run_spec(&back, 2, &registry()));
        assert_eq!(a.trace_hash(), b.trace_hash(), "{file}\n{text}");
    }
}
