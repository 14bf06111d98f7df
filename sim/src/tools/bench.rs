//! `ckptsim bench`: seeds per second, simulated records per second, time compression, the floor, cost growth, memory and sweep scaling, measured in one run and rendered as a `BENCHMARKS.md` section.
//!
//! Everything here measures from outside the simulation: wall time with `std::time::Instant`
//! (madsim only virtualizes the clock inside a runtime), CPU time of the measuring thread from
//! `/proc/thread-self/schedstat`, resident memory from `/proc/self/status`. A machine shared
//! with other work inflates wall time but not CPU time, so both are reported; "per core" figures
//! use CPU time.
//!
//! The jobs come from scenario files: every file under `scenarios/seeds/`, and the benchmark
//! files under `scenarios/bench/` (small enough to be tests; the bench scales their generated
//! input and stop time — see [`scale_records`] and [`scale_duration`]).

use crate::floor;
use crate::load;
use crate::outcome;
use crate::reference;
use crate::scenario::{self, InputSpec as ScInput, ScenarioError};
use crate::spec::JobSpec;
use crate::sweep;
use crate::{check, world};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;
use thiserror::Error;

// The bench's parts, child modules of this file (they use its timing and report types, and it
// runs and renders them): cost against run length, time to find each variant, the targets.
#[path = "bench_dense.rs"]
pub mod dense;
#[path = "bench_find.rs"]
pub mod find;
#[path = "bench_targets.rs"]
pub mod targets;

/// Why a benchmark could not run.
#[derive(Debug, Error)]
pub enum BenchError {
    /// A benchmark scenario does not load.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// A scenario file or folder cannot be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The scenario has no generator to scale.
    #[error("{path}: a benchmark job needs generated input (`[input].generator`)")]
    NotGenerated {
        /// The scenario file.
        path: String,
    },
}

/// How much to measure.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// The repository root (holds `scenarios/`).
    pub root: PathBuf,
    /// Seconds of wall time spent per seeds-per-second measurement (world; the floor gets a quarter).
    pub seed_budget_s: f64,
    /// Records of the throughput job.
    pub throughput_records: u64,
    /// Record counts of the cost-growth series.
    pub record_series: Vec<u64>,
    /// Cumulative seed counts of the memory series (one process, one thread).
    pub seed_series: Vec<u64>,
    /// Scenario of the memory series.
    pub seed_series_scenario: String,
    /// Virtual duration of the time-compression job, ms.
    pub hour_ms: u64,
    /// Seeds per scenario of the sweep scaling measurement.
    pub sweep_seeds: u64,
    /// Worker counts compared by the sweep scaling measurement.
    pub sweep_jobs: usize,
    /// Virtual minutes of the cost-against-run-length series at a 10 ms interval (`dense`,
    /// `bench_dense.rs`).
    pub dense_minutes: Vec<u64>,
    /// Time to find each negative variant (`find`, `bench_find.rs`): limits per variant.
    pub find: find::FindLimits,
    /// Only these parts (`memory`, `seeds`, `sweep`, `throughput`, `hour`, `dense`, `growth`,
    /// `find`); empty = all.
    /// `world` and `floor` (never part of "all") run only the throughput job's world or floor,
    /// for profiling.
    pub only: Vec<String>,
}

impl BenchConfig {
    fn wants(&self, part: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| p == part)
    }
}

impl BenchConfig {
    /// The full benchmark of issue 7.
    pub fn full(root: PathBuf) -> Self {
        BenchConfig {
            root,
            seed_budget_s: 3.0,
            throughput_records: 1_000_000,
            record_series: vec![10_000, 100_000, 1_000_000],
            seed_series: vec![1_000, 10_000, 100_000],
            seed_series_scenario: "scenarios/seeds/004-wordcount-restore.toml".into(),
            hour_ms: 3_600_000,
            sweep_seeds: 2_000,
            sweep_jobs: 2,
            dense_minutes: vec![1, 2, 4, 8, 60],
            find: find::FindLimits { max_seeds: 200, max_wall_s: 20.0, jobs: 2 },
            only: vec![],
        }
    }

    /// A short run for development (seconds, not minutes).
    pub fn quick(root: PathBuf) -> Self {
        BenchConfig {
            seed_budget_s: 0.3,
            throughput_records: 100_000,
            record_series: vec![10_000, 100_000],
            seed_series: vec![100, 1_000],
            hour_ms: 600_000,
            sweep_seeds: 100,
            dense_minutes: vec![1, 2, 4],
            find: find::FindLimits { max_seeds: 20, max_wall_s: 5.0, jobs: 2 },
            ..BenchConfig::full(root)
        }
    }
}

/// Wall and CPU seconds of one measured piece of work.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Timing {
    /// Wall-clock seconds.
    pub wall_s: f64,
    /// CPU time of the measuring thread (0 where `/proc/thread-self/schedstat` is missing).
    pub cpu_s: f64,
}

impl Timing {
    /// CPU seconds when known, else wall seconds: the "one core" cost.
    pub fn core_s(&self) -> f64 {
        if self.cpu_s > 0.0 {
            self.cpu_s
        } else {
            self.wall_s
        }
    }
}

pub use crate::usage::{peak_rss_kib, reset_peak_rss, rss_kib, thread_cpu_s};

/// Runs `f` and measures it.
pub fn timed<R>(f: impl FnOnce() -> R) -> (R, Timing) {
    let c0 = thread_cpu_s();
    let t0 = Instant::now();
    let r = f();
    let wall_s = t0.elapsed().as_secs_f64();
    let c1 = thread_cpu_s();
    (r, Timing { wall_s, cpu_s: if c0 > 0.0 { c1 - c0 } else { 0.0 } })
}

// ------------------------------------------------------------------------------------- jobs

fn load_scenario(root: &Path, rel: &str) -> Result<scenario::Scenario, BenchError> {
    Ok(scenario::load(&root.join(rel))?)
}

/// A benchmark job with its generated input scaled to `records` (same rate; the run stops
/// 2.5 s of virtual time after the last record).
pub fn scale_records(root: &Path, rel: &str, records: u64) -> Result<JobSpec, BenchError> {
    let mut sc = load_scenario(root, rel)?;
    let ScInput::Generator { generator, .. } = &mut sc.input else {
        return Err(BenchError::NotGenerated { path: rel.into() });
    };
    generator.count = records;
    let last = generator.start_ms + records * 1000 / generator.rate_per_s.max(1);
    sc.stop_at_ms = last + 2_500;
    Ok(load::to_spec(&sc, rel))
}

/// A benchmark job run for `duration_ms` of virtual time, its generator feeding it throughout.
pub fn scale_duration(root: &Path, rel: &str, duration_ms: u64) -> Result<JobSpec, BenchError> {
    let mut sc = load_scenario(root, rel)?;
    let ScInput::Generator { generator, .. } = &mut sc.input else {
        return Err(BenchError::NotGenerated { path: rel.into() });
    };
    generator.count = duration_ms.saturating_sub(generator.start_ms) * generator.rate_per_s / 1000;
    sc.stop_at_ms = duration_ms;
    Ok(load::to_spec(&sc, rel))
}

fn load_file(root: &Path, rel: &str) -> Result<JobSpec, BenchError> {
    Ok(load::load_spec(&root.join(rel))?)
}

fn rel_files(root: &Path, dir: &str) -> Result<Vec<String>, BenchError> {
    let files = load::collect_scenarios(&[root.join(dir)])
        .map_err(|source| BenchError::Io { path: dir.to_string(), source })?;
    Ok(files.iter().map(|f| f.strip_prefix(root).unwrap_or(f).display().to_string()).collect())
}

// ------------------------------------------------------------------------------------- results

/// Seeds per second of one scenario, world and floor.
#[derive(Clone, Debug)]
pub struct SeedRate {
    /// The scenario file, relative to the repository root.
    pub scenario: String,
    /// Wall time of one run under the scenario's own seed (world + checkers).
    pub single_run: Timing,
    /// World runs measured (seeds 1, 2, ...).
    pub seeds: u64,
    /// Of those, the runs whose verdict passed.
    pub passed: u64,
    /// Time of all world runs together.
    pub world: Timing,
    /// Floor runs measured (a quarter of the budget).
    pub floor_runs: u64,
    /// Time of all floor runs together.
    pub floor: Timing,
    /// Seeds per core-second of each of [`SEED_ROUNDS`] consecutive rounds of the world runs: a
    /// shared virtual machine's speed drifts by tens of percent within seconds, so the spread
    /// of the rounds shows how much of a difference is the machine.
    pub rounds: Vec<f64>,
    /// The checkers' share, measured apart ([`split_checkers`]): seeds of that pass, the time of
    /// their madsim runs and the time of judging them (reference and every checker).
    pub split: CheckerSplit,
}

/// The world's cost per seed split into the madsim run and the checkers (the seeds table's
/// world figure is both, as a sweep pays them; the issue asks for the checkers' share apart).
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckerSplit {
    /// Seeds run in the split pass.
    pub seeds: u64,
    /// Their madsim runs (`world::run_lean_prepared`), one after another.
    pub runs: Timing,
    /// Then judging them all (`outcome::judge_cached`).
    pub checkers: Timing,
}

impl CheckerSplit {
    /// The checkers' share of the world's cost per seed, 0..1.
    pub fn checkers_share(&self) -> f64 {
        let total = self.runs.core_s() + self.checkers.core_s();
        if total > 0.0 {
            self.checkers.core_s() / total
        } else {
            0.0
        }
    }
}

/// Rounds a seeds/s measurement is split into.
pub const SEED_ROUNDS: usize = 5;

/// The median of `xs` (0 when empty).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

impl SeedRate {
    /// Median of the rounds' seeds per core-second.
    pub fn median_round(&self) -> f64 {
        median(&self.rounds)
    }
    /// Fastest round: the machine at its least contended.
    pub fn best_round(&self) -> f64 {
        self.rounds.iter().copied().fold(0.0, f64::max)
    }

    /// World seeds per CPU-second of the measuring thread.
    pub fn seeds_per_core_s(&self) -> f64 {
        self.seeds as f64 / self.world.core_s().max(1e-9)
    }
    /// World seeds per wall-clock second.
    pub fn seeds_per_wall_s(&self) -> f64 {
        self.seeds as f64 / self.world.wall_s.max(1e-9)
    }
    /// Floor runs per CPU-second.
    pub fn floor_per_core_s(&self) -> f64 {
        self.floor_runs as f64 / self.floor.core_s().max(1e-9)
    }
    /// World cost per seed / floor cost per run.
    pub fn ratio(&self) -> f64 {
        self.floor_per_core_s() / self.seeds_per_core_s().max(1e-9)
    }
}

/// One big run of a throughput job, world and floor.
#[derive(Clone, Debug)]
pub struct Throughput {
    /// The job's scenario file.
    pub job: String,
    /// Generated records the job was scaled to.
    pub records: u64,
    /// Virtual time the job ran, ms.
    pub virtual_ms: u64,
    /// Time of the world run alone (`world::run_lean`).
    pub world: Timing,
    /// Reference fold + every checker on the world's result.
    pub checkers: Timing,
    /// Rows the job's sink committed.
    pub committed: u64,
    /// Whether every checker passed.
    pub checkers_passed: bool,
    /// Time of the floor's run of the same job.
    pub floor: Timing,
    /// Rows the floor's sink emitted.
    pub floor_out: u64,
    /// Resident set size after the run, KiB (world, checkers and then the floor in one process:
    /// what the floor's store of every committed record left resident too).
    pub rss_after_kib: u64,
    /// Peak resident set size of the job itself, KiB: from the start of its world run to the end
    /// of its checkers (`VmHWM`, reset before the world run; 0 where the kernel cannot reset it).
    pub rss_job_kib: u64,
}

impl Throughput {
    /// Generated records per CPU-second of the world.
    pub fn world_records_per_core_s(&self) -> f64 {
        self.records as f64 / self.world.core_s().max(1e-9)
    }
    /// Generated records per wall-clock second of the world.
    pub fn world_records_per_wall_s(&self) -> f64 {
        self.records as f64 / self.world.wall_s.max(1e-9)
    }
    /// Generated records per CPU-second of the floor.
    pub fn floor_records_per_core_s(&self) -> f64 {
        self.records as f64 / self.floor.core_s().max(1e-9)
    }
    /// World CPU time / floor CPU time (how much dearer the world is).
    pub fn ratio(&self) -> f64 {
        self.world.core_s() / self.floor.core_s().max(1e-9)
    }
    /// Time compression: virtual seconds per CPU-second of the world.
    pub fn compression(&self) -> f64 {
        self.virtual_ms as f64 / 1000.0 / self.world.core_s().max(1e-9)
    }
    /// Virtual seconds per CPU-second of the floor.
    pub fn floor_compression(&self) -> f64 {
        self.virtual_ms as f64 / 1000.0 / self.floor.core_s().max(1e-9)
    }
}

/// RSS after a cumulative number of seeds.
#[derive(Clone, Debug)]
pub struct MemoryPoint {
    /// Seeds run so far.
    pub seeds: u64,
    /// Time since the first seed.
    pub elapsed: Timing,
    /// Resident set size after these seeds, KiB.
    pub rss_kib: u64,
}

/// Sweep wall time with 1 and with `jobs` workers, measured in alternating rounds.
#[derive(Clone, Debug)]
pub struct SweepScaling {
    /// Seeds × scenarios run by each sweep.
    pub runs: u64,
    /// Per round: (wall s with 1 worker, wall s with `jobs` workers, 1-minute load average).
    pub rounds: Vec<(f64, f64, f64)>,
    /// CPU seconds per run with 1 worker and with `jobs` workers (summed over workers).
    pub cpu_per_run: (f64, f64),
    /// Worker threads of the parallel sweep.
    pub jobs: usize,
    /// Whether every sweep gave the same (scenario, seed, verdict, trace hash) list.
    pub identical: bool,
}

impl SweepScaling {
    /// The median over rounds of (1-worker wall / n-worker wall).
    pub fn speedup(&self) -> f64 {
        let mut r: Vec<f64> = self.rounds.iter().map(|(a, b, _)| a / b.max(1e-9)).collect();
        r.sort_by(f64::total_cmp);
        r.get(r.len() / 2).copied().unwrap_or(0.0)
    }
}

fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0.0)
}

/// Everything one `ckptsim bench` measured.
#[derive(Clone, Debug, Default)]
pub struct BenchReport {
    /// Seeds per second of each seed scenario (`--only seeds`).
    pub seeds: Vec<SeedRate>,
    /// Big throughput jobs (`--only throughput`).
    pub throughput: Vec<Throughput>,
    /// `scenarios/bench/hour.toml` at one virtual hour (`--only hour`).
    pub hour: Option<Throughput>,
    /// The growth series: one job at increasing record counts (cost must grow linearly).
    pub growth: Vec<Throughput>,
    /// The scenario the memory series runs.
    pub memory_scenario: String,
    /// RSS after cumulative numbers of seeds (flat when nothing leaks).
    pub memory: Vec<MemoryPoint>,
    /// Sweep scaling with 1 and with N workers (`--only sweep`).
    pub sweep: Option<SweepScaling>,
    /// Cost against run length at a 10 ms checkpoint interval (`--only dense`).
    pub dense: Vec<dense::DensePoint>,
    /// Time to find each planted variant (`--only find`).
    pub find: Vec<find::FindResult>,
    /// The limits the find measurement ran under.
    pub find_limits: Option<find::FindLimits>,
}

// ------------------------------------------------------------------------------------- measuring

/// Seeds per second of `spec` on this thread: seeds 1, 2, ... until `budget_s` of wall time
/// (at least 5 seeds), then the floor for a quarter of the budget.
pub fn seed_rate(spec: &JobSpec, budget_s: f64) -> SeedRate {
    let (_, single_run) = timed(|| outcome::run_lean(spec, spec.default_seed));
    let mut seeds = 0;
    let mut passed = 0;
    let mut rounds = Vec::with_capacity(SEED_ROUNDS);
    // As a sweep does: the reference is folded once for the scenario, not once per seed, and
    // the world's seed-independent part (spec copy, graph, broker log) built once; the floor
    // gets the same graph and log once too.
    let mut cache = crate::reference::ReferenceCache::default();
    let prepared = world::prepare(spec);
    let ((), world) = timed(|| {
        for _ in 0..SEED_ROUNDS {
            let start = Instant::now();
            let cpu_start = thread_cpu_s();
            let mut in_round = 0u64;
            while in_round < 1 || start.elapsed().as_secs_f64() < budget_s / SEED_ROUNDS as f64 {
                seeds += 1;
                in_round += 1;
                let o = outcome::run_lean_prepared(spec, &prepared, seeds, &mut cache);
                std::hint::black_box(o.trace_hash());
                passed += o.passed() as u64;
            }
            let cpu = thread_cpu_s() - cpu_start;
            rounds.push(in_round as f64 / if cpu > 0.0 { cpu } else { start.elapsed().as_secs_f64().max(1e-9) });
        }
    });
    let start = Instant::now();
    let mut floor_runs = 0;
    let ((), floor) = timed(|| {
        while floor_runs < 5 || start.elapsed().as_secs_f64() < budget_s / 4.0 {
            floor_runs += 1;
            std::hint::black_box(floor::run_prepared(spec, &prepared));
        }
    });
    let split = split_checkers(spec, &prepared, budget_s / SEED_ROUNDS as f64, &mut cache);
    SeedRate { scenario: spec.name.clone(), single_run, seeds, passed, world, floor_runs, floor, rounds, split }
}

/// The checkers' share: seeds 1, 2, ... run by madsim alone for `budget_s` of wall time (at
/// least 3), their results kept, then all judged in one timed block — two CPU-time reads per
/// pass, not per seed, so the split costs the measured runs nothing.
pub fn split_checkers(
    spec: &JobSpec,
    prepared: &world::Prepared,
    budget_s: f64,
    cache: &mut crate::reference::ReferenceCache,
) -> CheckerSplit {
    let start = Instant::now();
    let (runs_done, runs) = timed(|| {
        let mut out = Vec::new();
        while out.len() < 3 || start.elapsed().as_secs_f64() < budget_s {
            out.push(world::run_lean_prepared(prepared, out.len() as u64 + 1));
        }
        out
    });
    let seeds = runs_done.len() as u64;
    let ((), checkers) = timed(|| {
        for (k, run) in runs_done.into_iter().enumerate() {
            std::hint::black_box(outcome::judge_cached(spec, k as u64 + 1, run, cache).passed());
        }
    });
    CheckerSplit { seeds, runs, checkers }
}

/// One run of a big job: the world alone, then the checkers, then the floor.
pub fn throughput(spec: &JobSpec, records: u64) -> Throughput {
    let peak_reset = reset_peak_rss();
    let (run, world) = timed(|| world::run_lean(spec, spec.default_seed));
    let (verdicts, checkers) = timed(|| {
        let reference = reference::compute(spec);
        check::check_all(spec, &run, &reference)
    });
    let rss_job_kib = if peak_reset { peak_rss_kib() } else { 0 };
    let committed = run.committed.len() as u64;
    drop(run);
    let (f, floor) = timed(|| floor::run(spec));
    Throughput {
        job: spec.name.clone(),
        records,
        virtual_ms: spec.stop_at_ms,
        world,
        checkers,
        committed,
        checkers_passed: verdicts.iter().all(|v| v.passed != Some(false)),
        floor,
        floor_out: f.records_out,
        rss_after_kib: rss_kib(),
        rss_job_kib,
    }
}

/// Runs the measurements of `cfg`, reporting progress through `progress`. The memory series
/// runs first, so that the big jobs' freed heap does not hide (or fake) growth.
pub fn run(cfg: &BenchConfig, mut progress: impl FnMut(&str)) -> Result<BenchReport, BenchError> {
    let root = cfg.root.as_path();
    let mut report = BenchReport::default();

    if cfg.wants("memory") {
        memory_series(cfg, root, &mut progress, &mut report)?;
    }

    if cfg.wants("seeds") {
        seed_rates(cfg, root, &mut progress, &mut report)?;
    }

    if cfg.wants("sweep") {
        sweep_scaling(cfg, root, &mut progress, &mut report)?;
    }

    if cfg.wants("throughput") {
        for rel in ["scenarios/bench/throughput-aligned.toml", "scenarios/bench/throughput-unaligned.toml"] {
            let spec = scale_records(root, rel, cfg.throughput_records)?;
            let t = throughput(&spec, cfg.throughput_records);
            progress(&format!(
                "records  {:<28} {:>10.0} per core-s, floor {:>10.0}, ratio {:.1}, checkers {:.2} s",
                t.job,
                t.world_records_per_core_s(),
                t.floor_records_per_core_s(),
                t.ratio(),
                t.checkers.core_s()
            ));
            report.throughput.push(t);
        }
    }

    if cfg.wants("hour") {
        let hour = scale_duration(root, "scenarios/bench/hour.toml", cfg.hour_ms)?;
        let records = hour.input.len() as u64;
        let t = throughput(&hour, records);
        progress(&format!(
            "time     {:<28} {:>8.0} virtual s per core-s, floor {:.0}",
            t.job,
            t.compression(),
            t.floor_compression()
        ));
        report.hour = Some(t);
    }

    if cfg.wants("dense") {
        report.dense = dense::dense_series(root, &cfg.dense_minutes, &mut progress)?;
    }

    if cfg.wants("find") {
        report.find = find::find_series(root, cfg.find, &mut progress)?;
        report.find_limits = Some(cfg.find);
    }

    // Profiling aids (only when named with `--only`): the throughput job's world alone, or its floor alone.
    for part in ["world", "floor"] {
        if cfg.only.iter().any(|p| p == part) {
            let spec = scale_records(root, "scenarios/bench/throughput-aligned.toml", cfg.throughput_records)?;
            let (out, t) = timed(|| {
                if part == "world" {
                    world::run_lean(&spec, spec.default_seed).committed.len() as u64
                } else {
                    floor::run(&spec).records_out
                }
            });
            progress(&format!(
                "{part:<8} {} records, {out} out: {:.3} core-s ({:.0} ns/record)",
                cfg.throughput_records,
                t.core_s(),
                t.core_s() * 1e9 / cfg.throughput_records as f64
            ));
        }
    }

    if cfg.wants("growth") {
        for &n in &cfg.record_series {
            let spec = scale_records(root, "scenarios/bench/throughput-aligned.toml", n)?;
            let t = throughput(&spec, n);
            progress(&format!(
                "growth   {:>9} records: world {:>7.3} s ({:>6.0} ns/record), floor {:>7.3} s, checkers {:.3} s",
                n,
                t.world.core_s(),
                t.world.core_s() * 1e9 / n as f64,
                t.floor.core_s(),
                t.checkers.core_s()
            ));
            report.growth.push(t);
        }
    }
    Ok(report)
}

/// The memory series: RSS after each count of lean seeds of the seed-series scenario.
fn memory_series(
    cfg: &BenchConfig,
    root: &Path,
    progress: &mut impl FnMut(&str),
    report: &mut BenchReport,
) -> Result<(), BenchError> {
    let spec = load_file(root, &cfg.seed_series_scenario)?;
    report.memory_scenario = spec.name.clone();
    let start_cpu = thread_cpu_s();
    let start = Instant::now();
    let mut done = 0;
    let mut cache = crate::reference::ReferenceCache::default();
    for &target in &cfg.seed_series {
        while done < target {
            done += 1;
            std::hint::black_box(outcome::run_lean_cached(&spec, done, &mut cache));
        }
        let p = MemoryPoint {
            seeds: done,
            elapsed: Timing { wall_s: start.elapsed().as_secs_f64(), cpu_s: thread_cpu_s() - start_cpu },
            rss_kib: rss_kib(),
        };
        progress(&format!(
            "memory   {:>9} seeds of {}: {:.1} core-s, RSS {} KiB",
            p.seeds,
            spec.name,
            p.elapsed.core_s(),
            p.rss_kib
        ));
        report.memory.push(p);
    }
    Ok(())
}

/// Seeds per core-second of every seed scenario and the swarm-faults job, with the floor's.
fn seed_rates(
    cfg: &BenchConfig,
    root: &Path,
    progress: &mut impl FnMut(&str),
    report: &mut BenchReport,
) -> Result<(), BenchError> {
    let mut seed_files = rel_files(root, "scenarios/seeds")?;
    seed_files.push("scenarios/bench/swarm-faults.toml".into());
    for rel in &seed_files {
        let spec = load_file(root, rel)?;
        let r = seed_rate(&spec, cfg.seed_budget_s);
        progress(&format!(
            "seeds/s  {:<28} {:>8.0} per core-s (rounds {}; {:>6.0} per wall-s), floor {:>9.0}, ratio {:>6.1}, checkers {:.1} %",
            r.scenario,
            r.seeds_per_core_s(),
            r.rounds.iter().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join("/"),
            r.seeds_per_wall_s(),
            r.floor_per_core_s(),
            r.ratio(),
            r.split.checkers_share() * 100.0
        ));
        report.seeds.push(r);
    }
    Ok(())
}

/// A sweep of seed 004 with 1 job and with `sweep_jobs` jobs, three rounds: speed-up, CPU per
/// run, identical results.
fn sweep_scaling(
    cfg: &BenchConfig,
    root: &Path,
    progress: &mut impl FnMut(&str),
    report: &mut BenchReport,
) -> Result<(), BenchError> {
    let specs = vec![load_file(root, "scenarios/seeds/004-wordcount-restore.toml")?];
    let mut rounds = Vec::new();
    let mut identical = true;
    let mut first: Option<Vec<sweep::SeedResult>> = None;
    let (mut cpu_one, mut cpu_many, mut runs) = (0.0, 0.0, 0);
    for _ in 0..3 {
        let load = load_average();
        let one = sweep::sweep(&specs, 1, cfg.sweep_seeds, 1, 0, 1, false);
        let many = sweep::sweep(&specs, 1, cfg.sweep_seeds, cfg.sweep_jobs, 0, 1, false);
        let reference = first.get_or_insert_with(|| one.results.clone());
        identical &= one.results == *reference && many.results == *reference;
        cpu_one += one.cpu_s;
        cpu_many += many.cpu_s;
        runs += one.runs;
        progress(&format!(
            "sweep    {} runs: 1 job {:.2} s, {} jobs {:.2} s, speed-up {:.2}x (load {load:.1})",
            one.runs,
            one.wall_s,
            cfg.sweep_jobs,
            many.wall_s,
            one.wall_s / many.wall_s.max(1e-9)
        ));
        rounds.push((one.wall_s, many.wall_s, load));
    }
    let per = |c: f64| c / runs.max(1) as f64;
    report.sweep = Some(SweepScaling {
        runs: cfg.sweep_seeds,
        rounds,
        cpu_per_run: (per(cpu_one), per(cpu_many)),
        jobs: cfg.sweep_jobs,
        identical,
    });
    Ok(())
}

// ------------------------------------------------------------------------------------- rendering

impl BenchReport {
    /// The results as a Markdown block for `BENCHMARKS.md` (`header`: machine, commit, date).
    pub fn markdown(&self, header: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "### {header}\n");
        self.seeds_table(&mut s);
        self.big_jobs_table(&mut s);
        self.growth_table(&mut s);
        self.memory_table(&mut s);
        if let Some(sw) = &self.sweep {
            let rounds: Vec<String> = sw
                .rounds
                .iter()
                .map(|(a, b, l)| format!("{a:.2} s / {b:.2} s = {:.2}x (load {l:.1})", a / b.max(1e-9)))
                .collect();
            let _ = writeln!(
                s,
                "Sweep (`004-wordcount-restore`, {} seeds, 1 worker vs {} workers, alternating rounds): {}; \
                 median speed-up {:.2}x; CPU per run {:.2} ms with 1 worker, {:.2} ms with {}; identical verdicts \
                 and trace hashes in every sweep: {}.\n",
                sw.runs,
                sw.jobs,
                rounds.join(", "),
                sw.speedup(),
                sw.cpu_per_run.0 * 1e3,
                sw.cpu_per_run.1 * 1e3,
                sw.jobs,
                if sw.identical { "yes" } else { "**NO**" }
            );
        }
        s.push_str(&dense::markdown(&self.dense));
        if let Some(limits) = self.find_limits {
            s.push_str(&find::markdown(&self.find, limits));
        }
        s.push_str(&targets::markdown(self));
        s
    }

    /// The seeds-per-second table.
    fn seeds_table(&self, s: &mut String) {
        if self.seeds.is_empty() {
            return;
        }
        let _ = writeln!(s, "Seeds per second, one core (world = `outcome::run_lean` — madsim run + checkers, the trace streamed into its hash, as a sweep does per seed; floor = `floor::run`; {SEED_ROUNDS} consecutive rounds, their median and fastest shown beside the whole):\n");
        let _ = writeln!(
            s,
            "| scenario | one run (ms, wall) | seeds | passed | seeds/core-s | median round | best round | seeds/wall-s | floor runs/core-s | world/floor | checkers' share |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &self.seeds {
            let _ = writeln!(
                s,
                "| {} | {:.1} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} | {:.1} % |",
                r.scenario,
                r.single_run.wall_s * 1e3,
                r.seeds,
                r.passed,
                r.seeds_per_core_s(),
                r.median_round(),
                r.best_round(),
                r.seeds_per_wall_s(),
                r.floor_per_core_s(),
                r.ratio(),
                r.split.checkers_share() * 100.0
            );
        }
        let _ = writeln!(s);
    }

    /// The big jobs' table (throughput jobs and the hour).
    fn big_jobs_table(&self, s: &mut String) {
        let big: Vec<&Throughput> = self.throughput.iter().chain(self.hour.iter()).collect();
        if big.is_empty() {
            return;
        }
        let _ = writeln!(s, "Big jobs, one core (world = `world::run_lean` only; checkers timed separately):\n");
        let _ = writeln!(
            s,
            "| job | records | virtual s | world core-s | records/core-s | virtual s/core-s | checkers s | floor core-s | floor records/core-s | world/floor | committed | checkers | job peak RSS (MiB) | RSS after (MiB) |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
        for t in big {
            let _ = writeln!(
                s,
                "| {} | {} | {:.0} | {:.2} | {:.0} | {:.0} | {:.2} | {:.3} | {:.0} | {:.1} | {} | {} | {} | {} |",
                t.job,
                t.records,
                t.virtual_ms as f64 / 1000.0,
                t.world.core_s(),
                t.world_records_per_core_s(),
                t.compression(),
                t.checkers.core_s(),
                t.floor.core_s(),
                t.floor_records_per_core_s(),
                t.ratio(),
                t.committed,
                if t.checkers_passed { "pass" } else { "FAIL" },
                t.rss_job_kib / 1024,
                t.rss_after_kib / 1024
            );
        }
        let _ = writeln!(s);
    }

    /// The cost-growth table.
    fn growth_table(&self, s: &mut String) {
        if self.growth.is_empty() {
            return;
        }
        let _ = writeln!(s, "Cost growth with records (throughput job, aligned):\n");
        let _ = writeln!(s, "| records | world core-s | ns/record | floor core-s | floor ns/record | checkers s |");
        let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|");
        for t in &self.growth {
            let _ = writeln!(
                s,
                "| {} | {:.3} | {:.0} | {:.3} | {:.0} | {:.3} |",
                t.records,
                t.world.core_s(),
                t.world.core_s() * 1e9 / t.records as f64,
                t.floor.core_s(),
                t.floor.core_s() * 1e9 / t.records as f64,
                t.checkers.core_s()
            );
        }
        let _ = writeln!(s);
    }

    /// The seeds-in-one-process (memory) table.
    fn memory_table(&self, s: &mut String) {
        if self.memory.is_empty() {
            return;
        }
        let _ = writeln!(s, "Seeds in one process, one thread (`{}`):\n", self.memory_scenario);
        let _ = writeln!(s, "| seeds (cumulative) | core-s | seeds/core-s so far | RSS (KiB) |");
        let _ = writeln!(s, "|---:|---:|---:|---:|");
        for p in &self.memory {
            let _ = writeln!(
                s,
                "| {} | {:.1} | {:.0} | {} |",
                p.seeds,
                p.elapsed.core_s(),
                p.seeds as f64 / p.elapsed.core_s().max(1e-9),
                p.rss_kib
            );
        }
        let _ = writeln!(s);
    }
}

/// Inserts `block` at the end of the `## Speed` section of `doc` (creating the section, with
/// `intro`, at the end when it is missing), leaving every other section as it is.
pub fn insert_speed_section(doc: &str, intro: &str, block: &str) -> String {
    const HEAD: &str = "## Speed";
    let lines: Vec<&str> = doc.lines().collect();
    let Some(start) = lines.iter().position(|l| l.trim_end() == HEAD) else {
        let mut out = doc.trim_end().to_string();
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(HEAD);
        out.push_str("\n\n");
        out.push_str(intro.trim_end());
        out.push_str("\n\n");
        out.push_str(block.trim_end());
        out.push('\n');
        return out;
    };
    let end = lines[start + 1..].iter().position(|l| l.starts_with("## ")).map_or(lines.len(), |i| start + 1 + i);
    let mut out = String::new();
    for l in &lines[..end] {
        out.push_str(l);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out.push('\n');
    out.push_str(block.trim_end());
    out.push('\n');
    if end < lines.len() {
        out.push('\n');
        for l in &lines[end..] {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{insert_speed_section, median};

    #[test]
    fn median_of_rounds() {
        for (xs, want) in
            [(&[][..], 0.0), (&[3.0][..], 3.0), (&[5.0, 1.0, 3.0][..], 3.0), (&[4.0, 1.0, 3.0, 2.0][..], 2.5)]
        {
            assert_eq!(median(xs), want, "{xs:?}");
        }
    }

    #[test]
    fn speed_section_is_created_then_extended_in_place() {
        let doc = "# Benchmarks\n\n## Fuzzing\n\nfuzz text\n";
        let a = insert_speed_section(doc, "intro", "### run 1\n\nx\n");
        assert_eq!(a, "# Benchmarks\n\n## Fuzzing\n\nfuzz text\n\n## Speed\n\nintro\n\n### run 1\n\nx\n");
        let b = insert_speed_section(&format!("{a}\n## Report\n\nr\n"), "intro", "### run 2\n");
        assert_eq!(
            b,
            "# Benchmarks\n\n## Fuzzing\n\nfuzz text\n\n## Speed\n\nintro\n\n### run 1\n\nx\n\n### run 2\n\n## Report\n\nr\n"
        );
    }
}
