//! Seed sweeps: many seeds of many scenarios on worker threads, sharded across machines, results streamed as JSON lines.
//!
//! A seed's result never depends on which worker, batch or shard ran it: each run builds its
//! own madsim runtime from `(scenario, seed)` alone, the core and the world keep no state
//! between runs, and results are reported in (scenario, seed) order whatever order the workers
//! finished in. Shard `I/N` runs the seeds whose index in the range is `≡ I (mod N)`, so N
//! machines split a range with no coordination and their JSON lines concatenate: one line per
//! failing seed, then one summary line per shard. A run that panics is a failure of that seed
//! (the panic message is its reason), not the end of the sweep.
//!
//! The sweep streams ([`sweep_streaming`]): each failure goes to the caller's sink as soon as
//! every run before it in (scenario, seed) order has finished, and the report keeps only what
//! the summary needs — counts, the first [`KEPT_FAILURES`] failures, and one tally per failure
//! group with its first failure. A worker that runs [`REORDER_WINDOW`] runs ahead of the
//! earliest unfinished one waits, so the runs finished out of order are bounded too: memory
//! does not grow with the number of runs (it used to hold every run's result and the whole
//! work list until the end, hence a cap of 10^7 runs a process).

use crate::outcome;
use crate::reference::ReferenceCache;
use crate::spec::JobSpec;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

/// One failing (scenario, seed) of a sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepFailure {
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file.
    pub path: String,
    /// The seed.
    pub seed: u64,
    /// Why it failed: the failed expectations and first anomalies (or the panic message).
    pub reason: String,
    /// FNV hash of the trace (0 when the run panicked).
    pub trace_hash: u64,
    /// The failure's signature (`crate::signature`); `panic/<message kind>@end:-:-` for a
    /// panicking run.
    pub signature: String,
}

/// Failing seeds that share a signature (and, in [`SweepReport::split_groups`], whether
/// [`expected_failure`] accepts them): their count and the first of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureGroup {
    /// The signature the members share.
    pub signature: String,
    /// Why the group's failures are expected ([`expected_failure`] of the first); `None`: a finding.
    pub expected: Option<String>,
    /// How many failing seeds the group has.
    pub count: u64,
    /// The group's first failure in (scenario, seed) order.
    pub first: SweepFailure,
}

/// The result of one (scenario, seed) run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedResult {
    /// The scenario's name.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// Whether every checker and expectation held.
    pub passed: bool,
    /// The run's trace hash (0 when it panicked).
    pub trace_hash: u64,
}

/// Failures a report keeps in [`SweepReport::failures`] (the first ones in (scenario, seed)
/// order); every failure is counted, tallied in its group and handed to the sweep's sink.
pub const KEPT_FAILURES: usize = 1_000;
/// Failure groups a report tallies; failures of further (signature, expected) pairs are
/// counted in [`SweepReport::ungrouped`] (no sweep of this repository comes near: tens of groups).
pub const MAX_GROUPS: usize = 10_000;
/// Runs a worker may finish ahead of the earliest unfinished run before it waits for it: the
/// bound on the results held for in-order output.
pub const REORDER_WINDOW: u64 = 4_096;

/// What a sweep found: counts, the first failures, the failure groups, the wall and CPU time.
#[derive(Clone, Debug, Default)]
pub struct SweepReport {
    /// Runs made.
    pub runs: u64,
    /// Failing runs (all of them; [`Self::failures`] keeps the first [`KEPT_FAILURES`]).
    pub failed: u64,
    /// Failing runs that [`expected_failure`] accepts.
    pub expected: u64,
    /// The first [`KEPT_FAILURES`] failing runs, in (scenario, seed) order.
    pub failures: Vec<SweepFailure>,
    /// The failures grouped by signature and by whether [`expected_failure`] accepts them: a
    /// signature whose failures are expected in one scenario (a negative scenario's planted bug)
    /// and not in another is two groups, so an unexpected failure never hides in an expected
    /// group. Ordered by each group's first failure; at most [`MAX_GROUPS`].
    pub split_groups: Vec<FailureGroup>,
    /// Failures whose group was not tallied (past [`MAX_GROUPS`] groups).
    pub ungrouped: u64,
    /// Wall-clock seconds the sweep took.
    pub wall_s: f64,
    /// CPU seconds of all workers together (0 where the platform does not say).
    pub cpu_s: f64,
    /// Every run, in (scenario, seed) order, when the sweep was asked to keep them
    /// ([`SweepPlan::keep_results`]; [`sweep`] and [`sweep_with`] do); else empty.
    pub results: Vec<SeedResult>,
    /// This shard's index (`--shard I/N`; 0 without sharding).
    pub shard_index: u64,
    /// The number of shards (1 without sharding).
    pub shard_count: u64,
    /// The first seed of every scenario.
    pub first_seed: u64,
    /// Seeds per scenario.
    pub seeds: u64,
    /// The runs this shard was to make (`runs` is less only when the sweep was interrupted).
    pub planned: u64,
    /// Whether the sweep was stopped early ([`sweep_until`]'s `stop` flag, the command's
    /// Ctrl-C): `runs` then counts the runs `0..runs` of the shard's (scenario, seed) order, all
    /// finished and folded in, and no later run.
    pub interrupted: bool,
    /// Where each (signature, expected) group is in `split_groups`.
    group_index: std::collections::BTreeMap<(String, bool), usize>,
}

impl SweepReport {
    /// The failures grouped by signature alone (one group per distinct signature), ordered by
    /// the position of each group's first failure; `expected` is the first split group's.
    pub fn groups(&self) -> Vec<FailureGroup> {
        let mut groups: Vec<FailureGroup> = Vec::new();
        let mut index: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for g in &self.split_groups {
            match index.get(g.signature.as_str()) {
                Some(&i) => groups[i].count += g.count,
                None => {
                    index.insert(&g.signature, groups.len());
                    groups.push(g.clone());
                }
            }
        }
        groups
    }

    /// Tallies one failure (in (scenario, seed) order) whose expectation is `expected`; whether
    /// it opened a new group (then the last of [`Self::split_groups`]).
    fn add_failure(&mut self, f: SweepFailure, expected: Option<String>) -> bool {
        self.failed += 1;
        self.expected += expected.is_some() as u64;
        let key = (f.signature.clone(), expected.is_some());
        let opened = match self.group_index.get(&key) {
            Some(&g) => {
                self.split_groups[g].count += 1;
                false
            }
            None if self.split_groups.len() < MAX_GROUPS => {
                self.group_index.insert(key, self.split_groups.len());
                self.split_groups.push(FailureGroup {
                    signature: f.signature.clone(),
                    expected,
                    count: 1,
                    first: f.clone(),
                });
                true
            }
            None => {
                self.ungrouped += 1;
                false
            }
        };
        if self.failures.len() < KEPT_FAILURES {
            self.failures.push(f);
        }
        opened
    }

    /// The summary JSON line of this shard; `errors`: inputs the sweep could not read or load.
    /// An interrupted sweep's line adds `"interrupted": true` and the runs it was to make
    /// (`"planned"`); a complete sweep's line has neither.
    pub fn summary_json(&self, errors: usize) -> String {
        let mut line = serde_json::json!({
            "kind": "summary", "runs": self.runs, "failed": self.failed,
            "groups": self.groups().len(), "errors": errors,
            "shard": format!("{}/{}", self.shard_index, self.shard_count),
            "first_seed": self.first_seed, "seeds": self.seeds,
        });
        if self.interrupted {
            line["interrupted"] = serde_json::Value::Bool(true);
            line["planned"] = self.planned.into();
        }
        line.to_string()
    }

    /// One JSON object per kept failing seed ([`failure_json`]), then the summary object
    /// ([`Self::summary_json`], no input errors). The lines of all shards of a range
    /// concatenate. Complete only while [`Self::failed`] is at most [`KEPT_FAILURES`]: the
    /// `sweep` command streams its lines instead.
    pub fn json_lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self.failures.iter().map(failure_json).collect();
        out.push(self.summary_json(0));
        out
    }
}

/// The JSON line of one failing seed.
pub fn failure_json(f: &SweepFailure) -> String {
    serde_json::json!({
        "kind": "failure", "scenario": f.scenario, "path": f.path, "seed": f.seed,
        "reason": f.reason, "trace_hash": format!("{:016x}", f.trace_hash),
        "signature": f.signature,
    })
    .to_string()
}

/// The JSON line of an input the sweep could not read or load (`message`: its error, naming
/// the file, line and field as `check` does).
pub fn error_json(path: &str, message: &str) -> String {
    serde_json::json!({ "kind": "error", "path": path, "error": message }).to_string()
}

/// Why a failing seed is an expected failure, not a finding: a negative scenario's planted
/// protocol bug (its checker catches it, by design), or a behaviour Flink itself documents that
/// the scenario sets up on purpose (a transaction the store aborted by its timeout before the
/// recovery commit: data loss, as `TwoPhaseCommitSinkFunction` warns; duplicates from a sink
/// store whose commit is not idempotent, which Flink requires). `None`: a finding.
pub fn expected_failure(spec: &JobSpec, signature: &str) -> Option<String> {
    if spec.variant != ckptsim::variant::Variant::Correct {
        return Some(format!("negative scenario, planted {}", spec.variant));
    }
    let kind = signature.split('@').next().unwrap_or_default();
    if kind == "exactly-once/transaction-aborted-by-timeout" {
        return Some("Flink's documented data loss: transaction timed out before its recovery commit".into());
    }
    // The scenario sets a transaction timeout: a store operation refused for it is the loss
    // Flink warns of; with ignoreFailuresAfterTransactionTimeout the job runs on without the
    // records (FlinkKafkaProducer), so they are lost commits.
    let timeout = spec.operators.iter().any(|o| o.sink_store.transaction_timeout_ms.is_some());
    // Sink V2 (`sink_api = "sink-v2"`) drops a commit the store refused for the timeout (the
    // `KafkaCommitter` logs it), as `ignoreFailuresAfterTransactionTimeout` does.
    let ignoring = spec.operators.iter().any(|o| o.ignore_failures_after_transaction_timeout || (timeout && o.sink_v2));
    if timeout && kind == "exactly-once/sink-store-transaction-timed-out" {
        return Some("Flink's documented data loss: the store aborted a transaction by its timeout".into());
    }
    if ignoring && kind == "exactly-once/lost-commit" {
        return Some("Flink's documented data loss: a timed-out recovery commit ignored".into());
    }
    let non_idempotent = spec.operators.iter().any(|o| !o.sink_store.idempotent_commit);
    // The same duplicates where the `windows` checker judges the two-phase-commit sink (a window
    // after a late side output: `negative/late-window-doubled-recommit`, whose swarm seeds that
    // keep a re-commit of a transaction holding a result are caught so, session 33).
    let doubled = kind.starts_with("exactly-once/duplicate") || kind == "windows/late-window-doubled";
    if non_idempotent && doubled {
        return Some("the sink store's commit is not idempotent (Flink requires it)".into());
    }
    None
}

/// Whether a sweep of `seeds` seeds from `first_seed` over `scenarios` scenarios, shard count
/// `shard_count`, stays within the seed space; the error says which flag to change. (Seeds past
/// 2^64 - 1 used to wrap to 0.) The number of runs is not bounded: a sweep streams its results
/// and holds no per-run state (it was capped at 10^7 runs a process while it held them all).
pub fn check_range(first_seed: u64, seeds: u64, scenarios: usize, shard_count: u64) -> Result<(), String> {
    if seeds > 0 && first_seed.checked_add(seeds - 1).is_none() {
        return Err(format!(
            "--first-seed {first_seed} --seeds {seeds}: the last seed would pass 2^64 - 1 (at most {} seeds from \
             this first seed)",
            u64::MAX - first_seed + 1
        ));
    }
    if seeds.div_ceil(shard_count.max(1)).checked_mul(scenarios as u64).is_none() {
        return Err(format!(
            "--seeds {seeds}: {scenarios} scenario(s) × {seeds} seeds is more than 2^64 - 1 runs in this process; \
             split the range with --shard I/N or --first-seed"
        ));
    }
    Ok(())
}

/// Parses `I/N`.
pub fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let (i, n) = s.split_once('/').ok_or_else(|| format!("--shard takes I/N, got {s:?}"))?;
    let i: u64 = i.trim().parse().map_err(|_| format!("--shard: bad index {i:?}"))?;
    let n: u64 = n.trim().parse().map_err(|_| format!("--shard: bad count {n:?}"))?;
    if n == 0 || i >= n {
        return Err(format!("--shard {s}: need 0 <= I < N"));
    }
    Ok((i, n))
}

/// The runs of shard `I/N` of a range, indexed in (scenario, seed) order without a list: run
/// `i` is computed from its index.
#[derive(Clone, Copy, Debug)]
struct ShardRuns {
    scenarios: u64,
    first_seed: u64,
    /// Runs of each scenario in this shard.
    per_scenario: u64,
    shard_index: u64,
    shard_count: u64,
}

impl ShardRuns {
    fn new(scenarios: usize, first_seed: u64, seeds: u64, shard_index: u64, shard_count: u64) -> ShardRuns {
        let count = shard_count.max(1);
        let per_scenario = seeds.saturating_sub(shard_index).div_ceil(count);
        ShardRuns { scenarios: scenarios as u64, first_seed, per_scenario, shard_index, shard_count: count }
    }

    /// Runs in the shard (the range is checked by [`check_range`]; saturates past 2^64 - 1).
    fn len(&self) -> u64 {
        self.scenarios.saturating_mul(self.per_scenario)
    }

    /// Run `i`: (scenario index, seed).
    fn at(&self, i: u64) -> (usize, u64) {
        let (si, k) = (i / self.per_scenario, i % self.per_scenario);
        (si as usize, self.first_seed.wrapping_add(self.shard_index + k * self.shard_count))
    }
}

/// The (scenario index, seed) pairs of shard `I/N` of the range, in (scenario, seed) order.
pub fn shard_work(
    scenarios: usize,
    first_seed: u64,
    seeds: u64,
    shard_index: u64,
    shard_count: u64,
) -> Vec<(usize, u64)> {
    let runs = ShardRuns::new(scenarios, first_seed, seeds, shard_index, shard_count);
    (0..runs.len()).map(|i| runs.at(i)).collect()
}

/// What one run left for the report.
pub(super) struct Done {
    pub(super) si: usize,
    pub(super) seed: u64,
    pub(super) passed: bool,
    pub(super) trace_hash: u64,
    pub(super) reason: String,
    pub(super) signature: String,
}

impl Done {
    /// The failure this run reports (its scenario named from `specs`).
    pub(super) fn failure(&self, specs: &[JobSpec]) -> SweepFailure {
        SweepFailure {
            scenario: specs[self.si].name.clone(),
            path: specs[self.si].source_path.clone(),
            seed: self.seed,
            reason: self.reason.clone(),
            trace_hash: self.trace_hash,
            signature: self.signature.clone(),
        }
    }
}

/// Anomalies listed in a failure's reason before `... N more`, and the longest line kept.
pub const REASON_ANOMALIES: usize = 3;
/// The longest anomaly line kept in a failure's reason, characters.
pub const REASON_LINE_CHARS: usize = 240;

/// What a sweep worker keeps from one run for the next ([`run_one`]).
#[derive(Default)]
pub(super) struct Prepared {
    /// Plain runs: the scenario index and its preparation.
    plain: Option<(usize, crate::world::Prepared)>,
    /// Swarm runs: the broker logs of the last inputs.
    logs: crate::world::LogCache,
}

/// One run, with a panic turned into a failure of that seed. In swarm mode the seed first
/// draws its fault configuration, and a failure's reason starts with that draw.
/// The reference comes from the worker's `cache` (folded once per scenario and drawn fold).
/// Without swarm, the world's seed-independent part comes from `prepared` (built once per
/// scenario, [`crate::world::prepare`]) and the spec is not copied; in swarm mode each drawn
/// spec is prepared with the broker log of an earlier seed of the same input
/// ([`crate::world::prepare_cached`]).
pub(super) fn run_one(
    spec: &JobSpec,
    si: usize,
    seed: u64,
    swarm: bool,
    cache: &mut ReferenceCache,
    prepared: &mut Prepared,
) -> Done {
    let (drawn, draw) = if swarm {
        let (d, text) = crate::swarm::draw(spec, seed);
        (std::borrow::Cow::Owned(d), text)
    } else {
        (std::borrow::Cow::Borrowed(spec), String::new())
    };
    let drawn: &JobSpec = &drawn;
    let run = || {
        if swarm {
            let p = crate::world::prepare_cached(drawn, &mut prepared.logs);
            return outcome::run_lean_prepared(drawn, &p, seed, cache);
        }
        // One scenario at a time (the work is in scenario order): keep only its preparation.
        if prepared.plain.as_ref().is_none_or(|(i, _)| *i != si) {
            prepared.plain = Some((si, crate::world::prepare(spec)));
        }
        let (_, p) = prepared.plain.as_ref().expect("prepared just above");
        outcome::run_lean_prepared(drawn, p, seed, cache)
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(o) => {
            let (mut reason, mut signature) = (String::new(), String::new());
            if let Some(line) = outcome::budget_line(drawn, &o.run) {
                reason = line;
                signature = "budget/event-budget@end:-:-".into();
            } else if !o.passed() {
                // Bounded: the first few signed anomalies, then a count (a reason used to repeat
                // every anomaly of every checker, up to 14 KB a line).
                let signed = crate::signature::signed(drawn, &o);
                reason = crate::signature::bounded_reason(&signed, REASON_ANOMALIES, REASON_LINE_CHARS);
                signature = crate::signature::primary(drawn, &o)
                    .map(|(s, _)| s.to_string())
                    .unwrap_or_else(|| "expect/unsigned@end:jm:-".into());
                if swarm {
                    let first_line = draw.lines().next().unwrap_or_default();
                    reason = format!("{first_line}  {reason}");
                }
            }
            Done { si, seed, passed: o.passed(), trace_hash: o.trace_hash(), reason, signature }
        }
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic payload".into());
            let kind: String = msg
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() > 1)
                .take(4)
                .collect::<Vec<_>>()
                .join("-")
                .to_ascii_lowercase();
            let first_line = draw.lines().next().unwrap_or_default();
            let signature = format!("panic/{kind}@end:-:-");
            Done { si, seed, passed: false, trace_hash: 0, reason: format!("{first_line}panic: {msg}"), signature }
        }
    }
}

/// Runs `seeds` seeds from `first_seed` of every scenario on `jobs` threads, this shard only;
/// every run's result kept in the report.
pub fn sweep(
    specs: &[JobSpec],
    first_seed: u64,
    seeds: u64,
    jobs: usize,
    shard_index: u64,
    shard_count: u64,
    progress: bool,
) -> SweepReport {
    sweep_with(specs, first_seed, seeds, jobs, shard_index, shard_count, progress, false)
}

/// [`sweep`], optionally in swarm mode ([`crate::swarm::draw`] per seed).
#[allow(clippy::too_many_arguments)]
pub fn sweep_with(
    specs: &[JobSpec],
    first_seed: u64,
    seeds: u64,
    jobs: usize,
    shard_index: u64,
    shard_count: u64,
    progress: bool,
    swarm: bool,
) -> SweepReport {
    let plan = SweepPlan { first_seed, seeds, jobs, shard_index, shard_count, progress, swarm, keep_results: true };
    sweep_streaming(specs, &plan, &mut |_| {})
}

/// What a sweep runs and how.
#[derive(Clone, Copy, Debug)]
pub struct SweepPlan {
    /// The first seed of every scenario.
    pub first_seed: u64,
    /// Seeds per scenario.
    pub seeds: u64,
    /// Worker threads.
    pub jobs: usize,
    /// This shard's index (0 without sharding).
    pub shard_index: u64,
    /// The number of shards (1 without sharding).
    pub shard_count: u64,
    /// Progress (`runs done/total`) on stderr.
    pub progress: bool,
    /// Swarm mode ([`crate::swarm::draw`] per seed).
    pub swarm: bool,
    /// Keep every run's result in [`SweepReport::results`] (memory grows with the runs).
    pub keep_results: bool,
}

/// The sweep's shared state: the runs finished out of order, and the report they are folded
/// into in (scenario, seed) order.
struct Collector<'a> {
    /// The index of the earliest run not yet folded in.
    next: u64,
    /// Finished runs past `next`, by index (at most [`REORDER_WINDOW`]).
    pending: std::collections::BTreeMap<u64, Done>,
    report: SweepReport,
    keep_results: bool,
    /// Receives each failure, in (scenario, seed) order, with the group it opened.
    sink: &'a mut Sink<'a>,
}

/// What [`sweep_until`] hands each failure to, in (scenario, seed) order: the failure and, when
/// it is the first of its group (signature and expectation), that group (count 1).
pub type Sink<'a> = dyn FnMut(&SweepFailure, Option<&FailureGroup>) + Send + 'a;

impl Collector<'_> {
    /// Folds in every finished run from `next` on, in order; whether `next` moved.
    fn fold(&mut self, specs: &[JobSpec]) -> bool {
        let start = self.next;
        while let Some(d) = self.pending.remove(&self.next) {
            self.next += 1;
            self.report.runs += 1;
            if self.keep_results {
                let spec = &specs[d.si];
                let r = SeedResult {
                    scenario: spec.name.clone(),
                    seed: d.seed,
                    passed: d.passed,
                    trace_hash: d.trace_hash,
                };
                self.report.results.push(r);
            }
            if !d.passed {
                let f = d.failure(specs);
                let expected = expected_failure(&specs[d.si], &f.signature);
                let opened = self.report.add_failure(f.clone(), expected);
                (self.sink)(&f, if opened { self.report.split_groups.last() } else { None });
            }
        }
        self.next != start
    }
}

/// Runs the plan's shard of `seeds` seeds of every scenario on worker threads; each failure is
/// handed to `sink` in (scenario, seed) order as soon as the runs before it have finished (the
/// `sweep` command writes its JSON line then). The report holds counts, the first failures and
/// the groups ([`SweepReport`]); with `keep_results`, every run's result too.
pub fn sweep_streaming(
    specs: &[JobSpec],
    plan: &SweepPlan,
    sink: &mut (dyn FnMut(&SweepFailure) + Send),
) -> SweepReport {
    sweep_until(specs, plan, &AtomicBool::new(false), &mut |f, _| sink(f))
}

/// [`sweep_streaming`] that stops taking runs once `stop` is set (the command sets it on
/// Ctrl-C): the runs already taken finish and are folded in, so the report (marked
/// [`SweepReport::interrupted`]) covers the first `runs` runs of the order exactly. The sink
/// also learns which failure opened each group (the command prints the group's line then).
pub fn sweep_until<'a>(specs: &[JobSpec], plan: &SweepPlan, stop: &AtomicBool, sink: &'a mut Sink<'a>) -> SweepReport {
    let runs = ShardRuns::new(specs.len(), plan.first_seed, plan.seeds, plan.shard_index, plan.shard_count);
    let report = SweepReport {
        shard_index: plan.shard_index,
        shard_count: plan.shard_count,
        first_seed: plan.first_seed,
        seeds: plan.seeds,
        planned: runs.len(),
        ..SweepReport::default()
    };
    let collector = Mutex::new(Collector {
        next: 0,
        pending: std::collections::BTreeMap::new(),
        report,
        keep_results: plan.keep_results,
        sink,
    });
    let shared = Shared {
        specs,
        plan,
        runs,
        stop,
        next: AtomicU64::new(0),
        finished: AtomicU64::new(0),
        collector,
        moved: Condvar::new(),
    };
    let cpu: Mutex<f64> = Mutex::new(0.0);
    let start = Instant::now();
    let workers = (plan.jobs.max(1) as u64).min(runs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let cpu0 = crate::usage::thread_cpu_s();
                shared.work();
                *cpu.lock().expect("cpu lock") += crate::usage::thread_cpu_s() - cpu0;
            });
        }
    });
    if plan.progress && runs.len() > 0 {
        eprintln!();
    }
    let mut report = shared.collector.into_inner().expect("collector lock").report;
    report.interrupted = report.runs < report.planned;
    report.wall_s = start.elapsed().as_secs_f64();
    report.cpu_s = cpu.into_inner().expect("cpu lock");
    report
}

/// What the workers of one sweep share.
struct Shared<'a, 'b> {
    specs: &'a [JobSpec],
    plan: &'a SweepPlan,
    runs: ShardRuns,
    /// Set: take no further run.
    stop: &'a AtomicBool,
    /// The next run to take.
    next: AtomicU64,
    /// Runs finished (for the progress line).
    finished: AtomicU64,
    collector: Mutex<Collector<'b>>,
    /// Signalled when the collector's `next` moves (a waiting worker may go on).
    moved: Condvar,
}

impl Shared<'_, '_> {
    /// One worker: takes runs in index order until none is left, each handed to the collector.
    fn work(&self) {
        let mut cache = ReferenceCache::default();
        let mut prepared = Prepared::default();
        let total = self.runs.len();
        loop {
            // Checked before a run is taken: every run taken finishes, so the runs folded in
            // are always a prefix of the order.
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= total {
                break;
            }
            // The run at the collector's `next` is taken by then and never waits: no deadlock.
            let mut c = self.collector.lock().expect("collector lock");
            while i >= c.next + REORDER_WINDOW {
                c = self.moved.wait(c).expect("collector lock");
            }
            drop(c);
            let (si, seed) = self.runs.at(i);
            let d = run_one(&self.specs[si], si, seed, self.plan.swarm, &mut cache, &mut prepared);
            let mut c = self.collector.lock().expect("collector lock");
            c.pending.insert(i, d);
            if c.fold(self.specs) {
                self.moved.notify_all();
            }
            drop(c);
            let n = self.finished.fetch_add(1, Ordering::Relaxed) + 1;
            if self.plan.progress && (n % 50 == 0 || n == total) {
                eprint!("\r  {n}/{total} runs");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_shard, shard_work, SweepFailure, SweepReport};

    fn failure(path: &str, seed: u64, signature: &str) -> SweepFailure {
        SweepFailure {
            scenario: path.into(),
            path: path.into(),
            seed,
            reason: String::new(),
            trace_hash: 0,
            signature: signature.into(),
        }
    }

    /// A signature expected in a negative scenario and also failing elsewhere is two groups: the
    /// unexpected failure is listed as a finding, not folded into the expected group (a swarm
    /// sweep once printed such a group as EXPECTED after its first, expected, member). By
    /// signature alone they are one group, counted whole.
    #[test]
    fn an_unexpected_failure_is_not_grouped_with_expected_ones() {
        let mut report = SweepReport::default();
        let planted = || Some("planted".to_string());
        report.add_failure(failure("negative/a.toml", 1, "exactly-once/duplicate@x"), planted());
        report.add_failure(failure("faults/b.toml", 2, "exactly-once/duplicate@x"), None);
        report.add_failure(failure("negative/a.toml", 3, "exactly-once/duplicate@x"), planted());
        let shape: Vec<(bool, u64, u64)> =
            report.split_groups.iter().map(|g| (g.expected.is_some(), g.count, g.first.seed)).collect();
        assert_eq!(shape, vec![(true, 2, 1), (false, 1, 2)]);
        let whole = report.groups();
        assert_eq!(whole.len(), 1, "by signature alone: one group");
        assert_eq!((whole[0].count, whole[0].first.seed), (3, 1));
        assert_eq!((report.failed, report.expected), (3, 2));
    }

    /// The report keeps the first `KEPT_FAILURES` failures and `MAX_GROUPS` groups; every
    /// further failure is still counted (a sweep of 10^5 failing runs held all of them).
    #[test]
    fn a_report_holds_at_most_its_bounds() {
        use super::{KEPT_FAILURES, MAX_GROUPS};
        let mut report = SweepReport::default();
        let total = (KEPT_FAILURES + MAX_GROUPS + 5) as u64;
        for seed in 0..total {
            report.add_failure(failure("a.toml", seed, &format!("k/s{seed}@x")), None);
        }
        assert_eq!(report.failed, total);
        assert_eq!(report.failures.len(), KEPT_FAILURES);
        assert_eq!(report.split_groups.len(), MAX_GROUPS);
        assert_eq!(report.ungrouped, total - MAX_GROUPS as u64);
        assert_eq!(report.failures.last().map(|f| f.seed), Some(KEPT_FAILURES as u64 - 1), "the first ones, in order");
    }

    /// Sink V2 with a transaction timeout drops a refused commit (the `KafkaCommitter`): its
    /// lost commits are Flink's documented loss, as under `ignoreFailuresAfterTransactionTimeout`
    /// (a swarm sweep listed `fidelity/txn-timeout-sink-v2-2.3.toml --seed 313` as a finding);
    /// the legacy sink of the same file does not drop it, so there a lost commit is a finding.
    #[test]
    fn sink_v2_lost_commits_after_a_transaction_timeout_are_expected() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/fidelity/txn-timeout-sink-v2-2.3.toml");
        let mut spec = crate::load::load_spec(&path).expect("scenario loads");
        let sig = "exactly-once/lost-commit@running:two-phase-commit-sink:none";
        assert!(super::expected_failure(&spec, sig).is_some());
        for o in &mut spec.operators {
            o.sink_v2 = false;
        }
        assert_eq!(super::expected_failure(&spec, sig), None);
    }

    /// A non-idempotent store's re-commit shows as `late-window-doubled` where the `windows`
    /// checker judges the two-phase-commit sink: expected there as the `exactly-once` duplicates
    /// are (a swarm sweep of `negative/late-window-doubled-recommit` listed its caught seeds 6
    /// and 20 as findings); with an idempotent store it is a finding.
    #[test]
    fn a_non_idempotent_stores_doubled_late_window_is_expected() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/negative/late-window-doubled-recommit.toml");
        let mut spec = crate::load::load_spec(&path).expect("scenario loads");
        let sig = "windows/late-window-doubled@running-restored:event_window:tm-crash";
        assert!(super::expected_failure(&spec, sig).is_some());
        assert_eq!(super::expected_failure(&spec, "windows/late-window-lost@running:event_window:none"), None);
        for o in &mut spec.operators {
            o.sink_store.idempotent_commit = true;
        }
        assert_eq!(super::expected_failure(&spec, sig), None);
    }

    #[test]
    fn shards_partition_the_range() {
        let all = shard_work(2, 10, 7, 0, 1);
        let mut union: Vec<(usize, u64)> = (0..3).flat_map(|i| shard_work(2, 10, 7, i, 3)).collect();
        union.sort();
        assert_eq!(union, all);
        assert_eq!(shard_work(1, 10, 7, 1, 3), vec![(0, 11), (0, 14)]);
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(parse_shard("1/4"), Ok((1, 4)));
        assert!(parse_shard("4/4").is_err());
        assert!(parse_shard("0/0").is_err());
        assert!(parse_shard("x").is_err());
    }

    /// The seed range ends at 2^64 - 1 (no wrap to seed 0); the number of runs is bounded only by
    /// what a u64 counts (there was a cap of 10^7 runs a process while every result was held).
    #[test]
    fn sweep_ranges_are_bounded() {
        use super::check_range;
        assert_eq!(check_range(u64::MAX, 1, 1, 1), Ok(()));
        assert!(check_range(u64::MAX, 2, 1, 1).unwrap_err().contains("pass 2^64 - 1"));
        assert!(check_range(u64::MAX - 9, 11, 1, 1).unwrap_err().contains("at most 10 seeds"));
        assert_eq!(check_range(1, 0, 5, 1), Ok(()));
        assert_eq!(check_range(1, 100_000_000_000, 1, 1), Ok(()), "10^11 runs stream");
        assert_eq!(check_range(0, u64::MAX, 1, 1), Ok(()));
        assert!(check_range(0, u64::MAX, 2, 1).unwrap_err().contains("--shard"), "two scenarios: over 2^64 runs");
        assert_eq!(check_range(0, u64::MAX, 2, 4), Ok(()), "a quarter of 2 × 2^64 runs per shard");
    }

    /// Run `i` of a shard is computed from its index as the listed work was: every shard of
    /// ranges that do and do not divide evenly, and a shard with no seed of its own.
    #[test]
    fn runs_by_index_match_the_listed_work() {
        for (seeds, count) in [(7, 3), (9, 3), (2, 4), (1, 1), (0, 2)] {
            for index in 0..count {
                let listed: Vec<(usize, u64)> = (0..3)
                    .flat_map(|si| (0..seeds).filter(move |k| k % count == index).map(move |k| (si, 10 + k)))
                    .collect();
                assert_eq!(shard_work(3, 10, seeds, index, count), listed, "seeds {seeds} shard {index}/{count}");
            }
        }
    }
}
