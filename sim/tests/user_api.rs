//! User code through the library: registry resolution and its file:line:column errors, the `ckptsim` command rejecting user operators, the builder, extra checkers (and `caught_by` naming one), a user source and a user two-phase-commit sink hosted in the world, and the harness's determinism trial catching nondeterministic user code.

use ckptsim::ids::PartitionId;
use ckptsim::operator::{key_of, OperatorContext, UserException};
use ckptsim::record::{Record, Value};
use ckptsim::user::{KeyedState, UserOperator, UserSink, UserSinkSystem, UserSource, UserTxn};
use ckptsim_sim::api::{self, JobBuilder};
use ckptsim_sim::check::Verdict;
use ckptsim_sim::harness::{self, EnvSeeds};
use ckptsim_sim::reference::Reference;
use ckptsim_sim::spec::JobSpec;
use ckptsim_sim::user::{parse_with, Checker, Registry};
use ckptsim_sim::world::RunResult;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::sync::Mutex;

/// A keyed running count, emitted as `(key, n)`.
#[derive(Clone, Debug, Default)]
struct Count(KeyedState);

impl UserOperator for Count {
    fn name(&self) -> &str {
        "count"
    }
    fn is_keyed(&self) -> bool {
        true
    }
    fn process(
        &mut self,
        _: &mut OperatorContext<'_>,
        rec: Record,
        out: &mut Vec<Record>,
    ) -> Result<(), UserException> {
        let k = key_of(&rec.value);
        let Value::Str(name) = &k else { return Ok(()) };
        let n = match self.0.get(&k) {
            Some(Value::Pair(_, n)) => n + 1,
            _ => 1,
        };
        let v = Value::Pair(name.clone(), n);
        self.0.insert(k, v.clone());
        out.push(Record { value: v, ..rec });
        Ok(())
    }
    fn snapshot(&self) -> KeyedState {
        self.0.clone()
    }
    fn restore(&mut self, state: &KeyedState) {
        self.0 = state.clone();
    }
    fn box_clone(&self) -> Box<dyn UserOperator> {
        Box::new(self.clone())
    }
}

/// A stateless map that breaks the determinism rules: it numbers records with a counter shared
/// by every run in the process (a global), so a second run of the same seed differs.
#[derive(Clone, Debug)]
struct Leaky(Arc<AtomicI64>);

impl UserOperator for Leaky {
    fn name(&self) -> &str {
        "leaky"
    }
    fn process(
        &mut self,
        _: &mut OperatorContext<'_>,
        rec: Record,
        out: &mut Vec<Record>,
    ) -> Result<(), UserException> {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        // Every 7th record (by the global count) is dropped: the output depends on earlier runs.
        if n % 7 != 0 {
            out.push(rec);
        }
        Ok(())
    }
    fn box_clone(&self) -> Box<dyn UserOperator> {
        Box::new(self.clone())
    }
}

fn wordcount(middle: &str) -> JobBuilder {
    JobBuilder::new("user-wordcount")
        .top("stop_at_ms = 20000")
        .section("checkpoint", "interval_ms = 1000")
        .section("restart", "strategy = \"fixed-delay\"\nattempts = 3\ndelay_ms = 1000")
        .operator("socket-source", &[])
        .operator("flat_map", &[("function", "\"split_words\"")])
        .operator("key_by", &[])
        .user_operator(middle, 1)
        .operator("print-sink", &[])
        .section("input", "lines = [{ at_ms = 1000, line = \"a b a\" }, { at_ms = 3000, line = \"b a\" }]")
}

fn registry() -> Registry {
    Registry::new().with_operator("count", || Box::new(Count::default()))
}

#[test]
fn builder_runs_a_user_operator() {
    let spec = wordcount("count").build(&registry()).expect("valid");
    let r = api::run_spec(&spec, 1, &registry());
    assert!(r.passed(), "{}", r.render());
    let table = r.output_table();
    for v in ["(a,1)", "(b,1)", "(a,2)", "(b,2)", "(a,3)"] {
        assert!(table.contains(v), "{v} missing from {table}");
    }
    assert_eq!(r.verdict("state").and_then(|v| v.passed), Some(true));
}

#[test]
fn unknown_name_and_unkeyed_use_are_located_errors() {
    let text = wordcount("nope").toml();
    let e = parse_with("job.toml", &text, &registry()).unwrap_err();
    assert_eq!(e.field, "operators[3].function");
    let line = text.lines().position(|l| l.contains("\"nope\"")).unwrap() + 1;
    assert_eq!((e.file.as_str(), e.line), ("job.toml", line));
    assert!(e.message.contains("registered: count"), "{e}");
    // A keyed user operator without key_by before it.
    let text = JobBuilder::new("x")
        .top("stop_at_ms = 5000")
        .operator("socket-source", &[])
        .user_operator("count", 1)
        .operator("print-sink", &[])
        .section("input", "lines = [{ at_ms = 1, line = \"a\" }]")
        .toml();
    let e = parse_with("x.toml", &text, &registry()).unwrap_err();
    assert_eq!(e.field, "operators[1].kind");
    assert!(e.message.contains("must directly follow key_by"), "{e}");
}

#[test]
fn the_command_rejects_user_operators_with_a_location() {
    let dir = std::env::temp_dir().join(format!("ckptsim-user-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("user.toml");
    std::fs::write(&file, wordcount("count").toml()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ckptsim")).arg("run").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("operators[3].function: unknown user operator `count`"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

struct NoRestarts;
impl Checker for NoRestarts {
    fn name(&self) -> &'static str {
        "no-restarts"
    }
    fn check(&self, _: &JobSpec, run: &RunResult, _: &Reference) -> Verdict {
        let a = if run.restarts > 0 { vec![format!("{} restarts", run.restarts)] } else { vec![] };
        Verdict::new(self.name(), a, "no restart".into())
    }
}

#[test]
fn an_extra_checker_judges_every_run() {
    let registry = registry().with_checker(NoRestarts);
    let calm = wordcount("count").build(&registry).unwrap();
    let r = api::run_spec(&calm, 1, &registry);
    assert_eq!(r.verdict("no-restarts").and_then(|v| v.passed), Some(true));
    assert!(r.passed());
    // The same job with a failing task: the extra checker fails the run.
    let failing = wordcount("count")
        .table_entry("faults", "kind = \"task-failure\"\nat_ms = 2000\ntarget = \"user\"")
        .build(&registry)
        .unwrap();
    let r = api::run_spec(&failing, 1, &registry);
    assert_eq!(r.verdict("no-restarts").and_then(|v| v.passed), Some(false), "{}", r.render());
    // Its bare line is typed by the checker's name, not by the line's words.
    let line = &r.verdict("no-restarts").unwrap().anomalies[0];
    assert_eq!((line.kind.as_deref(), line.time_ms), (Some("no-restarts"), None), "{line}");
    assert!(r.failed_expectations().iter().any(|e| e.name == "checker no-restarts"));
    assert!(!r.passed());
}

#[test]
fn the_harness_catches_nondeterministic_user_code() {
    let dir = std::env::temp_dir().join(format!("ckptsim-user-det-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("leaky.toml");
    let text = JobBuilder::new("leaky")
        .top("stop_at_ms = 20000")
        .operator("socket-source", &[])
        .operator("flat_map", &[("function", "\"split_words\"")])
        .user_operator("leaky", 1)
        .operator("print-sink", &[])
        .section("input", "lines = [{ at_ms = 1000, line = \"a b c d e f g h i j\" }]")
        .toml();
    std::fs::write(&file, text).unwrap();
    let shared = Arc::new(AtomicI64::new(1));
    let leaky = Registry::new().with_operator("leaky", move || Box::new(Leaky(shared.clone())));
    let env = EnvSeeds { start: None, num: 1 };
    let e = harness::check_determinism(Path::new(&file), env, &leaky).unwrap_err();
    assert!(e.contains("output differs"), "{e}");
    // The same job with a deterministic map passes.
    let fine = Registry::new().with_operator("leaky", || Box::new(Leaky(Arc::new(AtomicI64::new(1)))));
    harness::check_determinism(Path::new(&file), env, &fine).expect("deterministic");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn seeds_come_from_madsim_or_ckptsim_variables() {
    let env = |pairs: &[(&str, &str)]| {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        EnvSeeds::from_lookup(move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    };
    assert_eq!(env(&[]).unwrap(), EnvSeeds { start: None, num: 1 });
    let e = env(&[("MADSIM_TEST_SEED", "9"), ("MADSIM_TEST_NUM", "3")]).unwrap();
    assert_eq!(e.seeds(1).collect::<Vec<_>>(), vec![9, 10, 11]);
    let e = env(&[("MADSIM_TEST_SEED", "9"), ("CKPTSIM_TEST_SEED", "4")]).unwrap();
    assert_eq!(e.start, Some(4));
    assert_eq!(env(&[("MADSIM_TEST_NUM", "2")]).unwrap().seeds(5).collect::<Vec<_>>(), vec![5, 6]);
    assert!(env(&[("MADSIM_TEST_NUM", "0")]).is_err());
    assert!(env(&[("MADSIM_TEST_SEED", "x")]).is_err());
}

#[test]
fn caught_by_names_a_registered_checker() {
    let failing = |caught_by: &str| {
        wordcount("count")
            .table_entry("faults", "kind = \"task-failure\"\nat_ms = 2000\ntarget = \"user\"")
            .section("expect", &format!("caught_by = \"{caught_by}\""))
    };
    let registry = registry().with_checker(NoRestarts);
    let spec = failing("no-restarts").build(&registry).expect("a registered checker is a checker name");
    let r = api::run_spec(&spec, 1, &registry);
    let e = r.outcome.expectations.iter().find(|e| e.name == "caught_by = no-restarts").expect("evaluated");
    assert!(e.held, "{}", r.render());
    assert!(r.passed(), "{}", r.render());
    // Without the registration: a located error naming what is registered.
    let text = failing("no-restarts").toml();
    let e = parse_with("neg.toml", &text, &registry_without_checkers()).unwrap_err();
    assert_eq!(e.field, "expect.caught_by");
    let line = text.lines().position(|l| l.contains("caught_by")).unwrap() + 1;
    assert_eq!(e.line, line);
    assert!(e.message.contains("unknown checker `no-restarts`"), "{e}");
    assert!(e.message.contains("no user checkers are registered"), "{e}");
}

fn registry_without_checkers() -> Registry {
    registry()
}

/// A source of one split: record `k` is `w{k % 4}`, available from `100 * (k + 1)` ms on, 150
/// records in all.
#[derive(Debug, Default)]
struct Ticks {
    pos: u64,
}

impl UserSource for Ticks {
    fn splits(&self) -> Vec<PartitionId> {
        vec![PartitionId(0)]
    }
    fn poll_next(&mut self, _: PartitionId, now_ms: u64) -> Option<Value> {
        (self.pos < 150 && now_ms >= 100 * (self.pos + 1)).then(|| {
            self.pos += 1;
            Value::str(&format!("w{}", (self.pos - 1) % 4))
        })
    }
    fn positions(&self) -> BTreeMap<PartitionId, u64> {
        BTreeMap::from([(PartitionId(0), self.pos)])
    }
    fn restore(&mut self, positions: &BTreeMap<PartitionId, u64>) {
        self.pos = positions.get(&PartitionId(0)).copied().unwrap_or(0);
    }
}

/// A transactional table: pre-committed transactions and the published rows.
#[derive(Debug, Default)]
struct Table {
    staged: BTreeMap<UserTxn, Vec<Record>>,
    published: Vec<Record>,
    done: Vec<UserTxn>,
}

#[derive(Debug)]
struct TableWriter {
    table: Arc<Mutex<Table>>,
    next: u64,
    open: BTreeMap<UserTxn, Vec<Record>>,
}

impl UserSink for TableWriter {
    fn begin(&mut self) -> UserTxn {
        self.next += 1;
        self.open.insert(UserTxn(self.next), Vec::new());
        UserTxn(self.next)
    }
    fn write(&mut self, txn: UserTxn, record: &Record) -> Result<(), String> {
        self.open.get_mut(&txn).ok_or("not open")?.push(record.clone());
        Ok(())
    }
    fn pre_commit(&mut self, txn: UserTxn) -> Result<(), String> {
        let rows = self.open.remove(&txn).ok_or("not open")?;
        self.table.lock().unwrap().staged.insert(txn, rows);
        Ok(())
    }
    fn commit(&mut self, txn: UserTxn) -> Result<(), String> {
        let mut t = self.table.lock().unwrap();
        if let Some(rows) = t.staged.remove(&txn) {
            t.published.extend(rows);
            t.done.push(txn);
        } else if !t.done.contains(&txn) {
            return Err(format!("{txn:?} was never pre-committed"));
        }
        Ok(())
    }
    fn abort(&mut self, txn: UserTxn) {
        self.open.remove(&txn);
        self.table.lock().unwrap().staged.remove(&txn);
    }
}

#[derive(Debug, Default)]
struct TableSystem {
    table: Arc<Mutex<Table>>,
    taken: usize,
}

impl UserSinkSystem for TableSystem {
    fn open(&mut self, subtask: u32, attempt: u32) -> Box<dyn UserSink> {
        let next = (u64::from(attempt) * 100 + u64::from(subtask)) * 1_000_000;
        Box::new(TableWriter { table: self.table.clone(), next, open: BTreeMap::new() })
    }
    fn take_committed(&mut self) -> Vec<Record> {
        let t = self.table.lock().unwrap();
        let new = t.published[self.taken..].to_vec();
        self.taken = t.published.len();
        new
    }
}

fn io_job(faults: bool) -> JobBuilder {
    let b = JobBuilder::new("user-io")
        .top("stop_at_ms = 20000")
        .section("checkpoint", "interval_ms = 700")
        .section("restart", "strategy = \"fixed-delay\"\nattempts = 10\ndelay_ms = 300")
        .operator("user-source", &[("function", "\"ticks\""), ("name", "\"Ticks\"")])
        .operator("key_by", &[])
        .user_operator("count", 1)
        .operator("user-sink", &[("function", "\"table\""), ("name", "\"Table\"")]);
    let b = if faults {
        b.table_entry("faults", "kind = \"task-failure\"\nat_ms = 4000\ntarget = \"Ticks\"")
            .table_entry("faults", "kind = \"task-failure\"\nat_ms = 9000\ntarget = \"user\"")
    } else {
        b
    };
    b.section("expect", "exactly_once = true")
}

fn io_registry() -> Registry {
    registry()
        .with_source("ticks", || Box::new(Ticks::default()))
        .with_sink("table", || Box::new(TableSystem::default()))
}

#[test]
fn a_user_source_and_sink_are_hosted_exactly_once() {
    let registry = io_registry();
    let spec = io_job(true).build(&registry).expect("valid");
    // The loader read the source's whole input on the simulated clock: 150 records, the last at 15 s.
    assert_eq!(spec.input.len(), 150);
    for seed in 1..=12 {
        let r = api::run_spec(&spec, seed, &registry);
        assert!(r.passed(), "seed {seed}: {}", r.render());
        assert!(r.outcome.run.restarts >= 2, "seed {seed}: {}", r.render());
        // Every record was published by the user's table exactly once, counts as the reference.
        assert_eq!(r.outcome.run.committed.len(), 150, "seed {seed}");
        assert!(r.outcome.run.restores.iter().any(|x| x.offsets.values().any(|o| o.0 > 0)), "seed {seed}");
    }
}

#[test]
fn user_source_and_sink_names_are_located_errors() {
    let text = io_job(false).toml();
    let e = parse_with("io.toml", &text, &registry()).unwrap_err();
    assert_eq!(e.field, "operators[0].function");
    assert!(e.message.contains("unknown user source `ticks`; no user sources are registered"), "{e}");
    let only_source = registry().with_source("ticks", || Box::new(Ticks::default()));
    let e = parse_with("io.toml", &text, &only_source).unwrap_err();
    assert_eq!(e.field, "operators[3].function");
    assert!(e.message.contains("unknown user sink `table`"), "{e}");
    // A user source brings its own records.
    let text = io_job(false).section("input", "lines = [{ at_ms = 1, line = \"a\" }]").toml();
    let e = parse_with("io.toml", &text, &io_registry()).unwrap_err();
    assert_eq!(e.field, "input");
    assert!(e.message.contains("brings its own records"), "{e}");
    // The command has no registry.
    let dir = std::env::temp_dir().join(format!("ckptsim-user-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("io.toml");
    std::fs::write(&file, io_job(false).toml()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ckptsim")).arg("run").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("operators[0].function: unknown user source `ticks`"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `emit` of a user-source job writes no `[input]` (the source brings its own records; the
/// loader refuses `[input]` beside it), and the emitted file, loaded with the same registry,
/// runs to the same trace hash on every seed.
#[test]
fn emitted_user_source_job_round_trips_to_the_same_trace() {
    let registry = io_registry();
    let spec = io_job(true).build(&registry).expect("valid");
    let text = ckptsim_sim::emit::to_toml(&spec, "# emitted by the user_api test");
    assert!(!text.contains("[input]"), "{text}");
    assert!(text.contains("kind = \"user-source\"\nname = \"Ticks\""), "{text}");
    let dir = std::env::temp_dir().join(format!("ckptsim-user-emit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("emitted.toml");
    std::fs::write(&file, &text).unwrap();
    let back = ckptsim_sim::user::load_spec_with(&file, &registry).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back.input, spec.input, "the loader read the same records from the source");
    for seed in 1..=3 {
        let a = api::run_spec(&spec, seed, &registry);
        let b = api::run_spec(&back, seed, &registry);
        assert_eq!(a.trace_hash(), b.trace_hash(), "seed {seed}");
        assert!(b.passed(), "seed {seed}: {}", b.render());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
