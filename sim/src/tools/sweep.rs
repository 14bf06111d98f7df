//! Seed sweeps: many seeds of many scenarios on worker threads, sharded across machines, results as JSON lines.
//!
//! A seed's result never depends on which worker, batch or shard ran it: each run builds its
//! own madsim runtime from `(scenario, seed)` alone, the core and the world keep no state
//! between runs, and results are reported in (scenario, seed) order whatever order the workers
//! finished in. Shard `I/N` runs the seeds whose index in the range is `≡ I (mod N)`, so N
//! machines split a range with no coordination and their JSON lines concatenate: one line per
//! failing seed, then one summary line per shard. A run that panics is a failure of that seed
//! (the panic message is its reason), not the end of the sweep.

use crate::outcome;
use crate::reference::ReferenceCache;
use crate::spec::JobSpec;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
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

/// Failing seeds that share a signature, in order of their first seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureGroup {
    /// The signature the members share.
    pub signature: String,
    /// Indices into [`SweepReport::failures`], in (scenario, seed) order.
    pub members: Vec<usize>,
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

/// What a sweep found: every run's result, the failures, the wall and CPU time.
#[derive(Clone, Debug, Default)]
pub struct SweepReport {
    /// Runs made.
    pub runs: u64,
    /// The failing runs, in (scenario, seed) order.
    pub failures: Vec<SweepFailure>,
    /// Wall-clock seconds the sweep took.
    pub wall_s: f64,
    /// CPU seconds of all workers together (0 where the platform does not say).
    pub cpu_s: f64,
    /// Every run, in (scenario, seed) order.
    pub results: Vec<SeedResult>,
    /// This shard's index (`--shard I/N`; 0 without sharding).
    pub shard_index: u64,
    /// The number of shards (1 without sharding).
    pub shard_count: u64,
    /// The first seed of every scenario.
    pub first_seed: u64,
    /// Seeds per scenario.
    pub seeds: u64,
}

impl SweepReport {
    /// The failures grouped by signature (one group per distinct signature), ordered by the
    /// position of each group's first failure.
    pub fn groups(&self) -> Vec<FailureGroup> {
        let mut groups: Vec<FailureGroup> = Vec::new();
        let mut index: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for (i, f) in self.failures.iter().enumerate() {
            match index.get(f.signature.as_str()) {
                Some(&g) => groups[g].members.push(i),
                None => {
                    index.insert(&f.signature, groups.len());
                    groups.push(FailureGroup { signature: f.signature.clone(), members: vec![i] });
                }
            }
        }
        groups
    }

    /// The failures grouped by signature and by whether `expected` accepts them: a signature
    /// whose failures are expected in one scenario (a negative scenario's planted bug) and not in
    /// another is two groups, so an unexpected failure never hides in an expected group. Ordered
    /// by the position of each group's first failure; `true` marks an expected group.
    pub fn groups_split(&self, expected: impl Fn(&SweepFailure) -> bool) -> Vec<(bool, FailureGroup)> {
        let mut groups: Vec<(bool, FailureGroup)> = Vec::new();
        let mut index: std::collections::BTreeMap<(&str, bool), usize> = std::collections::BTreeMap::new();
        for (i, f) in self.failures.iter().enumerate() {
            let e = expected(f);
            match index.get(&(f.signature.as_str(), e)) {
                Some(&g) => groups[g].1.members.push(i),
                None => {
                    index.insert((&f.signature, e), groups.len());
                    groups.push((e, FailureGroup { signature: f.signature.clone(), members: vec![i] }));
                }
            }
        }
        groups
    }

    /// One JSON object per failing seed, then one summary object for this shard. The lines of
    /// all shards of a range concatenate.
    pub fn json_lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .failures
            .iter()
            .map(|f| {
                serde_json::json!({
                    "kind": "failure", "scenario": f.scenario, "path": f.path, "seed": f.seed,
                    "reason": f.reason, "trace_hash": format!("{:016x}", f.trace_hash),
                    "signature": f.signature,
                })
                .to_string()
            })
            .collect();
        out.push(
            serde_json::json!({
                "kind": "summary", "runs": self.runs, "failed": self.failures.len(),
                "groups": self.groups().len(),
                "shard": format!("{}/{}", self.shard_index, self.shard_count),
                "first_seed": self.first_seed, "seeds": self.seeds,
            })
            .to_string(),
        );
        out
    }
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

/// Most runs one sweep process makes (scenarios × seeds of its shard). The work list and every
/// run's result are held until the summary (about 100 bytes a run beside the scenario names'
/// copies), so `--seeds 10^11` aborted on a 2 GiB allocation; a larger range is split with
/// `--shard` (each shard a process) or run in ranges with `--first-seed`.
pub const MAX_SWEEP_RUNS: u64 = 10_000_000;

/// Whether a sweep of `seeds` seeds from `first_seed` over `scenarios` scenarios, shard count
/// `shard_count`, stays within the seed space and [`MAX_SWEEP_RUNS`]; the error says which
/// flag to change. (Seeds past 2^64 - 1 used to wrap to 0.)
pub fn check_range(first_seed: u64, seeds: u64, scenarios: usize, shard_count: u64) -> Result<(), String> {
    if seeds > 0 && first_seed.checked_add(seeds - 1).is_none() {
        return Err(format!(
            "--first-seed {first_seed} --seeds {seeds}: the last seed would pass 2^64 - 1 (at most {} seeds from \
             this first seed)",
            u64::MAX - first_seed + 1
        ));
    }
    let runs = seeds.div_ceil(shard_count.max(1)).saturating_mul(scenarios as u64);
    if runs > MAX_SWEEP_RUNS {
        return Err(format!(
            "--seeds {seeds}: {scenarios} scenario(s) × {seeds} seeds is {runs} runs in this process, above the limit \
             of {MAX_SWEEP_RUNS}; split the range with --shard I/N or --first-seed"
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

/// The (scenario index, seed) pairs of shard `I/N` of the range, in (scenario, seed) order.
pub fn shard_work(
    scenarios: usize,
    first_seed: u64,
    seeds: u64,
    shard_index: u64,
    shard_count: u64,
) -> Vec<(usize, u64)> {
    let count = shard_count.max(1);
    (0..scenarios)
        .flat_map(|si| {
            (0..seeds).filter(move |k| k % count == shard_index).map(move |k| (si, first_seed.wrapping_add(k)))
        })
        .collect()
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

/// Runs `seeds` seeds from `first_seed` of every scenario on `jobs` threads, this shard only.
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
    let work = shard_work(specs.len(), first_seed, seeds, shard_index, shard_count);
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results: Mutex<Vec<Done>> = Mutex::new(Vec::with_capacity(work.len()));
    let cpu: Mutex<f64> = Mutex::new(0.0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(work.len().max(1)) {
            scope.spawn(|| {
                let cpu0 = crate::usage::thread_cpu_s();
                let mut mine = Vec::new();
                let mut cache = ReferenceCache::default();
                let mut prepared = Prepared::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(si, seed)) = work.get(i) else { break };
                    mine.push(run_one(&specs[si], si, seed, swarm, &mut cache, &mut prepared));
                    let n = finished.fetch_add(1, Ordering::Relaxed) + 1;
                    if progress && (n % 50 == 0 || n == work.len()) {
                        eprint!("\r  {n}/{} runs", work.len());
                    }
                }
                results.lock().expect("results lock").extend(mine);
                *cpu.lock().expect("cpu lock") += crate::usage::thread_cpu_s() - cpu0;
            });
        }
    });
    if progress && !work.is_empty() {
        eprintln!();
    }
    let wall_s = start.elapsed().as_secs_f64();
    let mut done = results.into_inner().expect("results lock");
    done.sort_by_key(|d| (d.si, d.seed));
    let failures = done.iter().filter(|d| !d.passed).map(|d| d.failure(specs)).collect();
    SweepReport {
        runs: done.len() as u64,
        failures,
        wall_s,
        cpu_s: cpu.into_inner().expect("cpu lock"),
        results: done
            .into_iter()
            .map(|d| SeedResult {
                scenario: specs[d.si].name.clone(),
                seed: d.seed,
                passed: d.passed,
                trace_hash: d.trace_hash,
            })
            .collect(),
        shard_index,
        shard_count,
        first_seed,
        seeds,
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
    /// sweep once printed such a group as EXPECTED after its first, expected, member).
    #[test]
    fn an_unexpected_failure_is_not_grouped_with_expected_ones() {
        let report = SweepReport {
            failures: vec![
                failure("negative/a.toml", 1, "exactly-once/duplicate@x"),
                failure("faults/b.toml", 2, "exactly-once/duplicate@x"),
                failure("negative/a.toml", 3, "exactly-once/duplicate@x"),
            ],
            ..SweepReport::default()
        };
        let groups = report.groups_split(|f| f.path.starts_with("negative/"));
        let shape: Vec<(bool, Vec<usize>)> = groups.iter().map(|(e, g)| (*e, g.members.clone())).collect();
        assert_eq!(shape, vec![(true, vec![0, 2]), (false, vec![1])]);
        assert_eq!(report.groups().len(), 1, "by signature alone: one group");
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

    /// The seed range ends at 2^64 - 1 (no wrap to seed 0), and one process makes at most
    /// `MAX_SWEEP_RUNS` runs, counted per shard.
    #[test]
    fn sweep_ranges_are_bounded() {
        use super::{check_range, MAX_SWEEP_RUNS};
        assert_eq!(check_range(u64::MAX, 1, 1, 1), Ok(()));
        assert!(check_range(u64::MAX, 2, 1, 1).unwrap_err().contains("pass 2^64 - 1"));
        assert!(check_range(u64::MAX - 9, 11, 1, 1).unwrap_err().contains("at most 10 seeds"));
        assert_eq!(check_range(1, 0, 5, 1), Ok(()));
        assert_eq!(check_range(1, MAX_SWEEP_RUNS, 1, 1), Ok(()));
        assert!(check_range(1, MAX_SWEEP_RUNS + 1, 1, 1).unwrap_err().contains("--shard"));
        assert!(check_range(1, MAX_SWEEP_RUNS, 2, 1).is_err(), "two scenarios");
        assert_eq!(check_range(1, 2 * MAX_SWEEP_RUNS, 2, 4), Ok(()), "a quarter of 4 × 10^7 runs per shard");
    }
}
