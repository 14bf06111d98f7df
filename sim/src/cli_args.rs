//! The `ckptsim` command's arguments (clap derives): one struct per subcommand, read by the `cmd_*` function of the same name in `main.rs`.

use ckptsim_sim::scenario::limits::MAX_GENERATED_RECORDS;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Most `sweep --jobs` worker threads (a thread each; `--jobs 100000` over 10^6 runs would
/// have started 100000 threads).
pub(crate) const MAX_JOBS: u64 = 1024;

/// Most seeds in one count of `bench --seed-series` (the series runs them in one process; the
/// bound was the sweep's run cap until sweeps streamed, session 35).
pub(crate) const MAX_SEED_SERIES: u64 = 10_000_000;

/// The parts `bench --only` knows (`tools/bench.rs`); an unknown name used to run nothing and
/// exit 0 (and, without `--no-write`, append an empty section to BENCHMARKS.md).
pub(crate) const BENCH_PARTS: [&str; 10] =
    ["memory", "seeds", "sweep", "throughput", "hour", "dense", "growth", "find", "world", "floor"];

/// `bench --budget`: finite seconds above 0, at most an hour (`nan` was taken).
fn parse_budget_s(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if v.is_finite() && v > 0.0 && v <= 3600.0 {
        Ok(v)
    } else {
        Err(format!("`{s}`: the budget is seconds above 0 and at most 3600"))
    }
}

#[derive(Parser)]
#[command(name = "ckptsim", version, about = "Deterministic simulation of Flink-style checkpointing")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) cmd: Cmd,
}

#[derive(Subcommand)]
pub(crate) enum Cmd {
    /// Run one scenario under one seed: output table, checkpoint table, status timeline, verdict.
    Run(RunArgs),
    /// Run one scenario under one seed and write a self-contained HTML report (inline SVG, no
    /// script): job status, task lanes, checkpoints, faults, durations, offsets, verdicts.
    /// Exit 0 when the report was written (whatever the verdict), 2 on bad input.
    Report(ReportArgs),
    /// Validate scenario files (or every `.toml` under a folder).
    Check { paths: Vec<PathBuf> },
    /// Run many seeds of one or more scenarios in parallel; list every failing seed.
    Sweep(SweepArgs),
    /// Measure speed and scale (seeds/s, records/s, time compression, the floor, memory, sweep
    /// scaling) and append the results to the `## Speed` section of BENCHMARKS.md.
    Bench(BenchArgs),
    /// Write the job a `whole_sim` fuzz input decodes to (the base job plus its fault
    /// schedule) as a scenario file, e.g. to replay or shrink a crash artifact.
    FuzzCase(FuzzCaseArgs),
    /// Shrink a failing scenario (delta debugging) into a small regression scenario that still
    /// fails the same way; for a negative scenario (broken variant) the regression expects
    /// `caught_by` the same checker.
    Shrink(ShrinkArgs),
    /// Bounded exhaustive exploration of the scenario's job on the sans-IO core: every order of
    /// message deliveries and every failure point within the bounds; prints the shortest
    /// counterexample path (exit 1) or whether the bounded space was exhausted (exit 0).
    Explore(ExploreArgs),
}

#[derive(Args)]
pub(crate) struct RunArgs {
    pub(crate) scenario: PathBuf,
    /// Seed (default: the scenario's `seed`).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Write the one-line-per-event trace to this file.
    #[arg(long)]
    pub(crate) trace: Option<PathBuf>,
    /// Add the swarm fault draw of this seed (replays a failing `sweep --swarm` seed).
    #[arg(long)]
    pub(crate) swarm: bool,
    /// Run this protocol variant instead of the scenario's (replays a `sweep --variant` seed).
    #[arg(long)]
    pub(crate) variant: Option<String>,
    /// Write the run in Chrome's Trace Event Format (JSON) to this file, for Perfetto
    /// (ui.perfetto.dev) or chrome://tracing.
    #[arg(long, value_name = "FILE")]
    pub(crate) chrome_trace: Option<PathBuf>,
    /// Stop the run after N world events, N >= 1 (default: derived from the scenario, see
    /// scenarios/README.md); a stopped run's verdict is BUDGET, exit code 3.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_events: Option<u64>,
}

#[derive(Args)]
pub(crate) struct ReportArgs {
    pub(crate) scenario: PathBuf,
    /// Seed (default: the scenario's `seed`).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Where to write the HTML page.
    #[arg(short, long, default_value = "report.html")]
    pub(crate) output: PathBuf,
    /// Add the swarm fault draw of this seed (as `run --swarm` does).
    #[arg(long)]
    pub(crate) swarm: bool,
}

#[derive(Args)]
pub(crate) struct SweepArgs {
    pub(crate) scenarios: Vec<PathBuf>,
    /// Number of seeds per scenario.
    #[arg(long, default_value_t = 100)]
    pub(crate) seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 1)]
    pub(crate) first_seed: u64,
    /// Worker threads, 1 to 1024 (default: number of cores).
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_JOBS))]
    pub(crate) jobs: Option<usize>,
    /// Run only shard I of N (`I/N`, 0-based) of the seed range.
    #[arg(long)]
    pub(crate) shard: Option<String>,
    /// Write one JSON line per failing seed (and a summary line) to this file.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    /// Swarm mode: each seed draws which fault kinds are enabled, their times and rates.
    #[arg(long)]
    pub(crate) swarm: bool,
    /// Run every scenario under this protocol variant instead of its own (e.g. a planted bug:
    /// how fast does the sweep find it?).
    #[arg(long)]
    pub(crate) variant: Option<String>,
    /// Stop each run after N world events, N >= 1 (default: derived from each scenario); a
    /// stopped run is a failure with signature `budget/event-budget@end:-:-`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_events: Option<u64>,
    /// For each failure signature not yet in DIR, shrink its first failing seed and write
    /// the regression scenario into DIR (`shrunk-<signature slug>.toml`).
    #[arg(long, value_name = "DIR")]
    pub(crate) shrink: Option<PathBuf>,
    /// Budget of simulation runs per shrink.
    #[arg(long, default_value_t = 1500)]
    pub(crate) shrink_max_runs: usize,
    /// Print the coverage matrix (handler × fault × phase, and situations) of the runs
    /// (`sim/src/tools/coverage.rs`); with --json, the cells as JSON lines.
    #[arg(long, conflicts_with_all = ["shard", "shrink"])]
    pub(crate) coverage: bool,
    /// With --coverage: coverage-guided swarm (`sim/src/tools/guided.rs`; implies --swarm).
    #[arg(long, requires = "coverage")]
    pub(crate) guided: bool,
    /// With --coverage: stop at the run that hits N reachable cells (the seed budget still
    /// bounds the sweep); prints the run at which 90/95/99/100% were reached.
    #[arg(long, value_name = "N", requires = "coverage", conflicts_with = "until_covered")]
    pub(crate) until_cells: Option<usize>,
    /// With --coverage: stop at the run that hits every reachable cell (the seed budget still
    /// bounds the sweep).
    #[arg(long, requires = "coverage")]
    pub(crate) until_covered: bool,
    /// With --guided: write each failing guided child as a scenario file into DIR.
    #[arg(long, value_name = "DIR", requires = "guided")]
    pub(crate) children_out: Option<PathBuf>,
    /// Run seed after seed (every scenario of a seed, one of each job shape first, then the next seed) and stop at the
    /// first failing run in that order; prints it with its replay command.
    #[arg(long, conflicts_with_all = ["shard", "shrink", "coverage", "json"])]
    pub(crate) fail_fast: bool,
}

#[derive(Args)]
pub(crate) struct BenchArgs {
    /// A short run for development (smaller jobs, shorter budgets).
    #[arg(long)]
    pub(crate) quick: bool,
    /// Print the results only; do not touch BENCHMARKS.md.
    #[arg(long)]
    pub(crate) no_write: bool,
    /// The file to append to.
    #[arg(long, default_value = "BENCHMARKS.md")]
    pub(crate) out: PathBuf,
    /// Repository root (holds `scenarios/`).
    #[arg(long, default_value = ".")]
    pub(crate) root: PathBuf,
    /// Records of the throughput job, at most 10^7, a scenario's limit (default 10^6; --quick: 10^5).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_GENERATED_RECORDS))]
    pub(crate) records: Option<u64>,
    /// Cumulative seed counts of the memory series, comma-separated, each 1 to 10^7 (default
    /// 1000,10000,100000).
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u64).range(1..=MAX_SEED_SERIES))]
    pub(crate) seed_series: Option<Vec<u64>>,
    /// Wall seconds per seeds/s measurement, above 0 and at most 3600 (default 3).
    #[arg(long, value_parser = parse_budget_s)]
    pub(crate) budget: Option<f64>,
    /// Only these parts, comma-separated: memory, seeds, sweep, throughput, hour, dense (cost against run length at a 10 ms interval), growth, find (time to find each negative variant by a swarm sweep over scenarios/faults).
    /// (`world` and `floor`, never part of the default: the throughput job's world or floor alone.)
    #[arg(long, value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(BENCH_PARTS))]
    pub(crate) only: Option<Vec<String>>,
    /// A note added to the results' heading (e.g. "before optimizations").
    #[arg(long)]
    pub(crate) label: Option<String>,
}

#[derive(Args)]
pub(crate) struct FuzzCaseArgs {
    /// A file of the whole_sim corpus or a crash artifact.
    pub(crate) input: PathBuf,
    /// The protocol variant the fuzzer ran (CKPTSIM_FUZZ_VARIANT).
    #[arg(long, default_value = "correct")]
    pub(crate) variant: String,
    /// Output file (default: stdout).
    #[arg(short = 'o', long)]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct ShrinkArgs {
    pub(crate) scenario: PathBuf,
    /// Seed (default: the scenario's `seed`).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Where to write the regression (default: scenarios/regressions/<scenario>-shrunk.toml).
    #[arg(short = 'o', long)]
    pub(crate) output: Option<PathBuf>,
    /// Keep this checker failing (default: the scenario's caught_by, else the first failing
    /// checker, else the first failed expectation).
    #[arg(long, conflicts_with = "expectation")]
    pub(crate) checker: Option<String>,
    /// Keep this expectation failing (`restarts`, `final_status`, ...).
    #[arg(long)]
    pub(crate) expectation: Option<String>,
    /// Budget of simulation runs.
    #[arg(long, default_value_t = 4000)]
    pub(crate) max_runs: usize,
    /// Only require the failure under the one seed (by default it must also fail under
    /// seed + 7919, which the scenario suite's determinism test reruns).
    #[arg(long)]
    pub(crate) one_seed: bool,
    /// A line for the file header (e.g. a one-line postmortem).
    #[arg(long)]
    pub(crate) note: Option<String>,
    /// Shrink the scenario plus the swarm fault draw of the seed (a failing `sweep --swarm`
    /// seed); the regression holds the drawn faults, so it replays without `--swarm`.
    #[arg(long)]
    pub(crate) swarm: bool,
}

#[derive(Args)]
pub(crate) struct ExploreArgs {
    pub(crate) scenario: PathBuf,
    /// Longest path (number of steps).
    #[arg(long, default_value_t = 60)]
    pub(crate) depth: u32,
    /// Injected task failures per path.
    #[arg(long, default_value_t = 1)]
    pub(crate) failures: u32,
    /// Timer firings per path (checkpoint triggers, restart delays, timeouts).
    #[arg(long, default_value_t = 4)]
    pub(crate) ticks: u32,
    /// Lost JobManager-to-task messages per path.
    #[arg(long, default_value_t = 0)]
    pub(crate) losses: u32,
    /// TaskManager process crashes per path (each later noticed by the JobManager).
    #[arg(long, default_value_t = 0)]
    pub(crate) tm_crashes: u32,
    /// JobManager failovers (a new leader recovers from the HA store) per path.
    #[arg(long, default_value_t = 0)]
    pub(crate) jm_failovers: u32,
    /// Late messages of ended task attempts (zombies) re-delivered to the JobManager per path.
    #[arg(long, default_value_t = 0)]
    pub(crate) zombies: u32,
    /// Rescales per path (at most 1): the job is cancelled and the scenario's `rescale` action
    /// starts a new job with its parallelisms from the latest completed checkpoint.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1))]
    pub(crate) rescales: u32,
    /// Stop-with-savepoint requests per path (at most 1): the scenario's `stop-with-savepoint`
    /// action as a step at any point (its synchronous savepoint, then the job finishing).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1))]
    pub(crate) stops: u32,
    /// User cancels per path (at most 1): the scenario's `cancel` action (without a `rescale`)
    /// as a step at any point while the job can be cancelled.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1))]
    pub(crate) cancels: u32,
    /// Lost acknowledgements and declines (task-to-JobManager checkpoint RPCs, which Flink
    /// sends once and never retries) per path.
    #[arg(long, default_value_t = 0)]
    pub(crate) ack_losses: u32,
    /// Manual checkpoint and savepoint requests per path: the scenario's `trigger-checkpoint`
    /// and `savepoint` actions as steps (`trigger`, `savepoint`) at any point while the job runs.
    #[arg(long, default_value_t = 0)]
    pub(crate) requests: u32,
    /// Heartbeat timeouts of a live TaskManager per path (`hb-timeout:N`: the JobManager judges
    /// it lost, it fails its tasks, the monitor watches it again once the JobMaster deploys to it).
    #[arg(long, default_value_t = 0)]
    pub(crate) hb_timeouts: u32,
    /// TaskManager-side heartbeat timeouts per path (`tm-hb-timeout:N`: a live TaskManager
    /// hears no heartbeat from the JobManager for the timeout, judges it lost and fails its
    /// tasks, while the JobManager still hears it).
    #[arg(long, default_value_t = 0)]
    pub(crate) tm_hb_timeouts: u32,
    /// JobManager-side heartbeat timeouts per path (`jm-hb-timeout:N`: the JobManager hears no
    /// heartbeat from a live TaskManager for the timeout and judges it lost, while the
    /// TaskManager runs its tasks on until the JobManager's cancels reach them).
    #[arg(long, default_value_t = 0)]
    pub(crate) jm_hb_timeouts: u32,
    /// Timer firings while deliveries are pending per path (`late-tick`, counted in `--ticks`
    /// too): with the reduction a plain `tick` fires only once nothing waits.
    #[arg(long, default_value_t = 0)]
    pub(crate) late_ticks: u32,
    /// Timer firings while a task's message to the JobManager is on its way per path (its RPC
    /// delayed past the timer: a RUNNING update past the deployment timeout, an acknowledgement
    /// past the next trigger or the expiry). Unbounded when not given (the default time model);
    /// 0: every message arrives before the next timer, both ways.
    #[arg(long)]
    pub(crate) jm_late_ticks: Option<u32>,
    /// Keep the late-tick counters after a path's last tick (by default they are forgotten
    /// then: no timer can fire any more, so states that differ only in them are one state).
    #[arg(long)]
    pub(crate) keep_spent: bool,
    /// With `--exhaust` and `--jm-late-ticks`: expand a state again when it comes with a higher
    /// late counter than a visited copy (by default such a state is subsumed and skipped).
    #[arg(long)]
    pub(crate) no_subsume: bool,
    /// Slow snapshot uploads per path (`slow-upload:tN`: an acknowledgement waits for its
    /// asynchronous part while the task runs on, so a newer one may overtake it; `upload:tN`
    /// sends it).
    #[arg(long, default_value_t = 0)]
    pub(crate) slow_uploads: u32,
    /// Distinct states before giving up.
    #[arg(long, default_value_t = 300_000)]
    pub(crate) max_states: u64,
    /// Run this protocol variant instead of the scenario's (e.g. a planted bug).
    #[arg(long)]
    pub(crate) variant: Option<String>,
    /// Explore every enabled choice (no partial-order reduction, timers at any step).
    #[arg(long)]
    pub(crate) no_reduce: bool,
    /// Feeder groups: a busy task's group takes in only the upstream tasks feeding an empty
    /// channel of it (fewer states; counterexamples may be longer than the shortest).
    #[arg(long)]
    pub(crate) feeders: bool,
    /// With `--fast-reduce`: keep every JobManager delivery (`to-jm`, `lose-ack`) in a busy
    /// group's set. Accepted and without effect otherwise: the default reduction (session 28)
    /// already keeps every JobManager step (docs/explore.md)
    #[arg(long)]
    pub(crate) jm_in_group: bool,
    /// The reduction of sessions 10-27: fewer states, for bug hunting, but unsound once
    /// failures are explored (an "exhausted" verdict may miss terminal states; docs/explore.md)
    #[arg(long)]
    pub(crate) fast_reduce: bool,
    /// With the sound default: a busy set leaves every JobManager step out where that set is
    /// persistent too (fewer states, the same terminal states; a counterexample may be longer
    /// than the shortest; docs/explore.md)
    #[arg(long)]
    pub(crate) jm_out: bool,
    /// With `--no-reduce`: a `tick` only once nothing waits (the reduced search's time model,
    /// eager delivery), the reference the reduction is measured against
    #[arg(long)]
    pub(crate) eager_ticks: bool,
    /// Sleep sets on top of the reduction: `siblings` (every state of the reduced search is
    /// still reached) or `inherit` (Godefroid's; fewer children, some states not reached).
    #[arg(long, value_name = "KIND")]
    pub(crate) sleep: Option<String>,
    /// With `--sleep siblings`: a `to-jm` delivery and another task's `to-jm` or a `tick` are
    /// independent where both orders, applied, reach the same state (checked by execution).
    #[arg(long)]
    pub(crate) jm_commute: bool,
    /// Directed search: depth-first with a visited-state cache instead of breadth-first (finds
    /// violations deeper than breadth-first search reaches; the path is not of minimal length).
    #[arg(long)]
    pub(crate) dfs: bool,
    /// Exhaustive depth-first search: each state expanded once, a visited set of bare
    /// fingerprints (memory: 8-21 bytes a state exact, 4-5 with `--visited compact`; no frontier); exhausted only when no bound
    /// cut a path (raise `--depth` until none does). For spaces too large for breadth-first
    /// search; a counterexample is not of minimal length. Leaves the JobManager's steps out of
    /// a busy set where that set is persistent too (`--jm-out`, session 31) unless `--jm-keep`.
    #[arg(long, conflicts_with = "dfs")]
    pub(crate) exhaust: bool,
    /// With `--exhaust`: keep every JobManager step in every busy set (breadth-first search's
    /// default, the counts measured before session 31) instead of `--jm-out`
    #[arg(long, requires = "exhaust", conflicts_with = "jm_out")]
    pub(crate) jm_keep: bool,
    /// With `--exhaust`: the visited set, `exact` (64-bit fingerprints, 8 bytes a slot, doubled
    /// at 3/4 load), `compact` (hash compaction: 32-bit slots sized once for `--max-states`, at
    /// most 3/4 full; 4 bytes a slot) or `auto` (`compact` above 2^26 states). The result line
    /// gives the probability that two different states were merged.
    #[arg(long, default_value = "auto", value_name = "KIND")]
    pub(crate) visited: String,
    /// With `--exhaust`: a progress line on standard error every this many seconds (distinct
    /// states, depth, CPU seconds, memory); 0: none.
    #[arg(long, default_value_t = 60)]
    pub(crate) progress_s: u64,
    /// Directed random walks instead of a search: this many runs from the initial state, each
    /// choice drawn from a deterministic stream (`--walk-seed`), faults placed at a drawn step;
    /// the first violation ends them (nothing is proved when none is found).
    #[arg(long, default_value_t = 0)]
    pub(crate) walks: u64,
    /// The walks' seed.
    #[arg(long, default_value_t = 1)]
    pub(crate) walk_seed: u64,
    /// Replay a path (the `path:` line of a counterexample, or a file holding it) step by step.
    #[arg(long)]
    pub(crate) replay: Option<String>,
    /// Write the counterexample path to this file.
    #[arg(short = 'o', long)]
    pub(crate) output: Option<PathBuf>,
}
