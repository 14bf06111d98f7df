//! Seed sweeps: many seeds of many scenarios on worker threads, sharded across machines, results as JSON lines.
//!
//! A seed's result never depends on which worker or shard ran it: each run builds its own
//! madsim runtime from `(scenario, seed)` alone. Shard `I/N` runs the seeds whose index in the
//! range is `≡ I (mod N)`, so N machines split a range with no coordination and their JSON
//! lines concatenate.

use crate::outcome;
use crate::spec::JobSpec;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepFailure {
    pub scenario: String,
    pub path: String,
    pub seed: u64,
    pub reason: String,
    pub trace_hash: u64,
}

#[derive(Clone, Debug, Default)]
pub struct SweepReport {
    pub runs: u64,
    pub failures: Vec<SweepFailure>,
    pub wall_s: f64,
    /// (scenario, seed, passed, trace hash) of every run, in (scenario, seed) order.
    pub results: Vec<(String, u64, bool, u64)>,
}

impl SweepReport {
    /// One JSON object per failing seed, then one summary object.
    pub fn json_lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .failures
            .iter()
            .map(|f| {
                serde_json::json!({
                    "kind": "failure", "scenario": f.scenario, "path": f.path, "seed": f.seed,
                    "reason": f.reason, "trace_hash": format!("{:016x}", f.trace_hash),
                })
                .to_string()
            })
            .collect();
        out.push(serde_json::json!({"kind": "summary", "runs": self.runs, "failed": self.failures.len()}).to_string());
        out
    }
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
    let work: Vec<(usize, u64)> = specs
        .iter()
        .enumerate()
        .flat_map(|(si, _)| (0..seeds).filter(|k| k % shard_count == shard_index).map(move |k| (si, first_seed + k)))
        .collect();
    let next = AtomicUsize::new(0);
    // (scenario index, seed, passed, trace hash, failure reason)
    type SeedResult = (usize, u64, bool, u64, String);
    let results: Mutex<Vec<SeedResult>> = Mutex::new(Vec::with_capacity(work.len()));
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(si, seed)) = work.get(i) else { break };
                let o = outcome::run(&specs[si], seed);
                let reason = o
                    .expectations
                    .iter()
                    .filter(|e| !e.held)
                    .map(|e| format!("{}: {}", e.name, e.detail))
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut r = results.lock().expect("results lock");
                r.push((si, seed, o.passed(), o.trace_hash(), reason));
                if progress && (r.len() % 50 == 0 || r.len() == work.len()) {
                    eprint!("\r  {}/{} runs", r.len(), work.len());
                }
            });
        }
    });
    if progress {
        eprintln!();
    }
    let mut results = results.into_inner().expect("results lock");
    results.sort_by_key(|(si, seed, ..)| (*si, *seed));
    let failures = results
        .iter()
        .filter(|(_, _, ok, _, _)| !ok)
        .map(|(si, seed, _, h, reason)| SweepFailure {
            scenario: specs[*si].name.clone(),
            path: specs[*si].source_path.clone(),
            seed: *seed,
            reason: reason.clone(),
            trace_hash: *h,
        })
        .collect();
    SweepReport {
        runs: results.len() as u64,
        failures,
        wall_s: start.elapsed().as_secs_f64(),
        results: results.into_iter().map(|(si, seed, ok, h, _)| (specs[si].name.clone(), seed, ok, h)).collect(),
    }
}
