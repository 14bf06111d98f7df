//! The `ckptsim` command: run a scenario, write its HTML report, check scenario files, sweep many seeds, benchmark, shrink a failing scenario into a regression, turn a whole_sim fuzz input into a scenario.
//!
//! Exit codes: 0 every expectation held; 1 an expectation or checker failed; 2 bad input
//! (unreadable or invalid scenario, bad arguments). `report` exits 0 once the page is written,
//! whatever the verdict (the page shows it).

use anyhow::{Context, Result};
use ckptsim_sim::shrink::{self, Target};
use ckptsim_sim::{bench, chrome, emit, explore, fuzzing, load, outcome, report, sweep};
use clap::{Parser, Subcommand};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: a sweep allocates and frees every seed's world, and
/// glibc's heap slows down as it fragments over 10^4..10^5 seeds in one process (BENCHMARKS.md,
/// *Speed*). The allocator has no say in the simulation: runs stay bit-for-bit the same.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "ckptsim", version, about = "Deterministic simulation of Flink-style checkpointing")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run one scenario under one seed: output table, checkpoint table, status timeline, verdict.
    Run {
        scenario: PathBuf,
        /// Seed (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Write the one-line-per-event trace to this file.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Add the swarm fault draw of this seed (replays a failing `sweep --swarm` seed).
        #[arg(long)]
        swarm: bool,
        /// Write the run in Chrome's Trace Event Format (JSON) to this file, for Perfetto
        /// (ui.perfetto.dev) or chrome://tracing.
        #[arg(long, value_name = "FILE")]
        chrome_trace: Option<PathBuf>,
    },
    /// Run one scenario under one seed and write a self-contained HTML report (inline SVG, no
    /// script): job status, task lanes, checkpoints, faults, durations, offsets, verdicts.
    /// Exit 0 when the report was written (whatever the verdict), 2 on bad input.
    Report {
        scenario: PathBuf,
        /// Seed (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Where to write the HTML page.
        #[arg(short, long, default_value = "report.html")]
        output: PathBuf,
    },
    /// Validate scenario files (or every `.toml` under a folder).
    Check { paths: Vec<PathBuf> },
    /// Run many seeds of one or more scenarios in parallel; list every failing seed.
    Sweep {
        scenarios: Vec<PathBuf>,
        /// Number of seeds per scenario.
        #[arg(long, default_value_t = 100)]
        seeds: u64,
        /// First seed.
        #[arg(long, default_value_t = 1)]
        first_seed: u64,
        /// Worker threads (default: number of cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Run only shard I of N (`I/N`, 0-based) of the seed range.
        #[arg(long)]
        shard: Option<String>,
        /// Write one JSON line per failing seed (and a summary line) to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Swarm mode: each seed draws which fault kinds are enabled, their times and rates.
        #[arg(long)]
        swarm: bool,
        /// For each failure signature not yet in DIR, shrink its first failing seed and write
        /// the regression scenario into DIR (`shrunk-<signature slug>.toml`).
        #[arg(long, value_name = "DIR")]
        shrink: Option<PathBuf>,
        /// Budget of simulation runs per shrink.
        #[arg(long, default_value_t = 1500)]
        shrink_max_runs: usize,
        /// Print the coverage matrix (handler × fault × phase, and situations) of the runs
        /// (`sim/src/coverage.rs`); with --json, the cells as JSON lines.
        #[arg(long, conflicts_with_all = ["shard", "shrink"])]
        coverage: bool,
        /// With --coverage: coverage-guided swarm (`sim/src/guided.rs`; implies --swarm).
        #[arg(long, requires = "coverage")]
        guided: bool,
        /// With --guided: write each failing guided child as a scenario file into DIR.
        #[arg(long, value_name = "DIR", requires = "guided")]
        children_out: Option<PathBuf>,
    },
    /// Measure speed and scale (seeds/s, records/s, time compression, the floor, memory, sweep
    /// scaling) and append the results to the `## Speed` section of BENCHMARKS.md.
    Bench {
        /// A short run for development (smaller jobs, shorter budgets).
        #[arg(long)]
        quick: bool,
        /// Print the results only; do not touch BENCHMARKS.md.
        #[arg(long)]
        no_write: bool,
        /// The file to append to.
        #[arg(long, default_value = "BENCHMARKS.md")]
        out: PathBuf,
        /// Repository root (holds `scenarios/`).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Records of the throughput job (default 10^6; --quick: 10^5).
        #[arg(long)]
        records: Option<u64>,
        /// Cumulative seed counts of the memory series, comma-separated (default 1000,10000,100000).
        #[arg(long, value_delimiter = ',')]
        seed_series: Option<Vec<u64>>,
        /// Wall seconds per seeds/s measurement (default 3).
        #[arg(long)]
        budget: Option<f64>,
        /// Only these parts, comma-separated: memory, seeds, sweep, throughput, hour, growth.
        #[arg(long, value_delimiter = ',')]
        only: Option<Vec<String>>,
        /// A note added to the results' heading (e.g. "before optimizations").
        #[arg(long)]
        label: Option<String>,
    },
    /// Write the job a `whole_sim` fuzz input decodes to (the base job plus its fault
    /// schedule) as a scenario file, e.g. to replay or shrink a crash artifact.
    FuzzCase {
        /// A file of the whole_sim corpus or a crash artifact.
        input: PathBuf,
        /// The protocol variant the fuzzer ran (CKPTSIM_FUZZ_VARIANT).
        #[arg(long, default_value = "correct")]
        variant: String,
        /// Output file (default: stdout).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Shrink a failing scenario (delta debugging) into a small regression scenario that still
    /// fails the same way; for a negative scenario (broken variant) the regression expects
    /// `caught_by` the same checker.
    Shrink {
        scenario: PathBuf,
        /// Seed (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Where to write the regression (default: scenarios/regressions/<scenario>-shrunk.toml).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// Keep this checker failing (default: the scenario's caught_by, else the first failing
        /// checker, else the first failed expectation).
        #[arg(long, conflicts_with = "expectation")]
        checker: Option<String>,
        /// Keep this expectation failing (`restarts`, `final_status`, ...).
        #[arg(long)]
        expectation: Option<String>,
        /// Budget of simulation runs.
        #[arg(long, default_value_t = 4000)]
        max_runs: usize,
        /// Only require the failure under the one seed (by default it must also fail under
        /// seed + 7919, which the scenario suite's determinism test reruns).
        #[arg(long)]
        one_seed: bool,
        /// A line for the file header (e.g. a one-line postmortem).
        #[arg(long)]
        note: Option<String>,
    },
    /// Bounded exhaustive exploration of the scenario's job on the sans-IO core: every order of
    /// message deliveries and every failure point within the bounds; prints the shortest
    /// counterexample path (exit 1) or whether the bounded space was exhausted (exit 0).
    Explore {
        scenario: PathBuf,
        /// Longest path (number of steps).
        #[arg(long, default_value_t = 60)]
        depth: u32,
        /// Injected task failures per path.
        #[arg(long, default_value_t = 1)]
        failures: u32,
        /// Timer firings per path (checkpoint triggers, restart delays, timeouts).
        #[arg(long, default_value_t = 4)]
        ticks: u32,
        /// Lost JobManager-to-task messages per path.
        #[arg(long, default_value_t = 0)]
        losses: u32,
        /// Distinct states before giving up.
        #[arg(long, default_value_t = 300_000)]
        max_states: u64,
        /// Run this protocol variant instead of the scenario's (e.g. a planted bug).
        #[arg(long)]
        variant: Option<String>,
        /// Explore every enabled choice (no partial-order reduction, timers at any step).
        #[arg(long)]
        no_reduce: bool,
        /// Replay a path (the `path:` line of a counterexample, or a file holding it) step by step.
        #[arg(long)]
        replay: Option<String>,
        /// Write the counterexample path to this file.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    // Only with RUST_LOG: an installed subscriber makes madsim enter and leave a span on every
    // task poll (its node spans are error-level), which costs ~15% of a seed.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .without_time()
            .init();
    }
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `ckptsim explore`: search (or replay a path) and print the result.
fn cmd_explore(
    scenario: &std::path::Path,
    bounds: explore::Bounds,
    variant: Option<&str>,
    replay: Option<&str>,
    output: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let Some(mut spec) = load_or_report(scenario) else { return Ok(ExitCode::from(2)) };
    if let Some(name) = variant {
        let Some(v) = ckptsim::Variant::ALL.into_iter().find(|x| x.name() == name) else {
            let names: Vec<&str> = ckptsim::Variant::ALL.iter().map(|v| v.name()).collect();
            eprintln!("unknown variant `{name}` (known: {})", names.join(", "));
            return Ok(ExitCode::from(2));
        };
        spec.variant = v;
    }
    if let Err(e) = explore::supported(&spec) {
        eprintln!("{}: {e}", scenario.display());
        return Ok(ExitCode::from(2));
    }
    let ex = explore::Explorer::new(&spec, bounds);
    if let Some(text) = replay {
        let text = std::fs::read_to_string(text).unwrap_or_else(|_| text.to_string());
        let line = text.lines().find_map(|l| l.strip_prefix("path:")).unwrap_or(&text);
        let path: Result<Vec<explore::Choice>, String> = line.split_whitespace().map(str::parse).collect();
        let path = match path {
            Ok(p) => p,
            Err(e) => {
                eprintln!("--replay: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        return match ex.replay(&path) {
            Err(e) => {
                eprintln!("--replay: {e}");
                Ok(ExitCode::from(2))
            }
            Ok((lines, verdict)) => {
                for l in lines {
                    println!("{l}");
                }
                match verdict {
                    Some((checker, anomaly)) => {
                        println!("VIOLATION {checker}: {anomaly}");
                        Ok(ExitCode::from(1))
                    }
                    None => {
                        println!("no violation at the end of the path");
                        Ok(ExitCode::SUCCESS)
                    }
                }
            }
        };
    }
    let report = ex.explore();
    print!("{}", explore::render(&report));
    let Some(v) = &report.violation else { return Ok(ExitCode::SUCCESS) };
    if let Some(out) = output.filter(|o| o.extension().is_some_and(|e| e == "replay")) {
        let scenario_text = std::fs::read_to_string(scenario)?;
        let text =
            ckptsim_sim::counterexample::write(&scenario.display().to_string(), &scenario_text, &spec, bounds, v);
        std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
        println!("replay: ckptsim run {}", out.display());
        return Ok(ExitCode::from(1));
    }
    if let Some(out) = output {
        let text = format!(
            "# ckptsim explore {} --variant {}: {} after {} steps: {}\npath: {}\n",
            scenario.display(),
            spec.variant,
            v.checker,
            v.path.len(),
            v.anomaly,
            v.path.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" ")
        );
        std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    }
    println!("replay: ckptsim explore {} --variant {} --replay <path>", scenario.display(), spec.variant);
    Ok(ExitCode::from(1))
}

/// `ckptsim run FILE.replay`: replays an explorer counterexample (`sim/src/counterexample.rs`);
/// exit 1 when it ends in a checker failure (the text says whether it is the one the file
/// names), 0 when it passes, 2 on bad input.
fn run_replay_file(path: &std::path::Path) -> Result<ExitCode> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file = match ckptsim_sim::counterexample::parse(&path.display().to_string(), &text) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    match ckptsim_sim::counterexample::replay(&file) {
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            Ok(ExitCode::from(2))
        }
        Ok(r) => {
            print!("{}", r.text);
            Ok(if r.failed.is_some() { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
    }
}

/// The scenario at `path`, or `None` after printing its error (file, line, field): exit code 2.
fn load_or_report(path: &std::path::Path) -> Option<ckptsim_sim::spec::JobSpec> {
    load::load_spec(path).map_err(|e| eprintln!("{e}")).ok()
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Explore { scenario, depth, failures, ticks, losses, max_states, variant, no_reduce, replay, output } => {
            let bounds = explore::Bounds {
                max_depth: depth,
                max_failures: failures,
                max_ticks: ticks,
                max_losses: losses,
                max_states,
                reduce: !no_reduce,
            };
            cmd_explore(&scenario, bounds, variant.as_deref(), replay.as_deref(), output.as_deref())
        }
        Cmd::Run { scenario, seed, trace, swarm, chrome_trace } => {
            if scenario.extension().is_some_and(|e| e == "replay") {
                return run_replay_file(&scenario);
            }
            let Some(spec) = load_or_report(&scenario) else { return Ok(ExitCode::from(2)) };
            let seed = seed.unwrap_or(spec.default_seed);
            let spec = if swarm {
                let (s, draw) = ckptsim_sim::swarm::draw(&spec, seed);
                print!("{draw}");
                s
            } else {
                spec
            };
            let o = outcome::run(&spec, seed);
            let text = outcome::render(&spec, &o);
            if swarm {
                // The replay line must redo the swarm draw, or it replays another run.
                let plain = format!(" --seed {}\n", o.seed);
                print!("{}", text.replace(&plain, &format!(" --seed {} --swarm\n", o.seed)));
            } else {
                print!("{text}");
            }
            if !o.passed() {
                if let Some((sig, a)) = ckptsim_sim::signature::primary(&spec, &o) {
                    println!("signature: {sig}\n  {}: {}", a.checker, a.text);
                }
            }
            if let Some(path) = trace {
                std::fs::write(&path, o.run.trace.text())?;
                println!("trace:   {} ({} events)", path.display(), o.run.trace.events().len());
            }
            if let Some(path) = chrome_trace {
                std::fs::write(&path, chrome::chrome_trace_json(&spec, &o))?;
                println!("chrome trace: {} (open in Perfetto or chrome://tracing)", path.display());
            }
            Ok(if o.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Cmd::Report { scenario, seed, output } => {
            let Some(spec) = load_or_report(&scenario) else { return Ok(ExitCode::from(2)) };
            let seed = seed.unwrap_or(spec.default_seed);
            let o = outcome::run(&spec, seed);
            let html = report::render_html(&spec, &o, &report::ReportOptions::default());
            std::fs::write(&output, &html)?;
            println!(
                "report:  {} ({} bytes); verdict {}",
                output.display(),
                html.len(),
                if o.passed() { "PASS" } else { "FAIL" }
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Check { paths } => {
            let files = load::collect_scenarios(&paths)?;
            if files.is_empty() {
                eprintln!("error: no scenario files to check (give .toml files or folders holding them)");
                return Ok(ExitCode::from(2));
            }
            let mut bad = 0;
            for f in &files {
                // Validation only: generators are judged by their parameters, never expanded,
                // so `check` costs O(file) (bounded by the file-size limit).
                match ckptsim_sim::scenario::load(f) {
                    Ok(_) => println!("ok    {}", f.display()),
                    Err(e) => {
                        bad += 1;
                        println!("error {e}");
                    }
                }
            }
            println!("{} files, {} valid, {} invalid", files.len(), files.len() - bad, bad);
            Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::from(2) })
        }
        Cmd::Sweep {
            scenarios,
            seeds,
            first_seed,
            jobs,
            shard,
            json,
            swarm,
            shrink: shrink_dir,
            shrink_max_runs,
            coverage,
            guided,
            children_out,
        } => {
            let files = load::collect_scenarios(&scenarios)?;
            if files.is_empty() {
                eprintln!("error: no scenario files to sweep (give .toml files or folders holding them)");
                return Ok(ExitCode::from(2));
            }
            let mut specs = Vec::new();
            for f in &files {
                match load::load_spec(f) {
                    Ok(s) => specs.push(s),
                    Err(e) => {
                        eprintln!("{e}");
                        return Ok(ExitCode::from(2));
                    }
                }
            }
            let (index, count) = match shard {
                Some(s) => sweep::parse_shard(&s).map_err(|e| anyhow::anyhow!(e))?,
                None => (0, 1),
            };
            let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
            if coverage {
                let opts =
                    ckptsim_sim::guided::CoverageOptions { first_seed, seeds, jobs, swarm, guided, progress: true };
                let r = ckptsim_sim::guided::coverage_sweep(&specs, &opts);
                print!("{}", ckptsim_sim::guided::render_summary(&r, &specs, guided));
                if let Some(path) = json {
                    std::fs::write(&path, r.map.json_lines(&specs).join("\n") + "\n")?;
                }
                if let Some(dir) = children_out {
                    for path in ckptsim_sim::guided::write_children(&r, &dir)? {
                        println!("wrote {}", path.display());
                    }
                }
                return Ok(if r.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) });
            }
            let report = sweep::sweep_with(&specs, first_seed, seeds, jobs, index, count, true, swarm);
            let flag = if swarm { " --swarm" } else { "" };
            // One line per distinct failure signature (the JSON lists every failing seed).
            let groups = report.groups();
            for g in &groups {
                let f = &report.failures[g.members[0]];
                println!(
                    "FAIL {:>4}x {}  first seed {}  replay: cargo run --release -- run {} --seed {}{flag}",
                    g.members.len(),
                    g.signature,
                    f.seed,
                    f.path,
                    f.seed
                );
            }
            let kinds: std::collections::BTreeSet<&str> =
                groups.iter().map(|g| g.signature.split('@').next().unwrap_or_default()).collect();
            println!(
                "{} runs, {} failed in {} group(s) of {} anomaly kind(s), {:.1} s wall, {:.1} s CPU, {:.0} seeds/s ({} jobs, shard {index}/{count})",
                report.runs,
                report.failures.len(),
                groups.len(),
                kinds.len(),
                report.wall_s,
                report.cpu_s,
                report.runs as f64 / report.wall_s.max(1e-9),
                jobs
            );
            if let Some(path) = json {
                let mut f = std::fs::File::create(&path)?;
                for line in report.json_lines() {
                    writeln!(f, "{line}")?;
                }
            }
            if let Some(dir) = shrink_dir {
                let t0 = std::time::Instant::now();
                let done = ckptsim_sim::regress::shrink_groups(&report, &specs, swarm, &dir, shrink_max_runs, |g| {
                    use ckptsim_sim::regress::GroupOutcome;
                    match &g.outcome {
                        GroupOutcome::Written { path, before, after, runs, wall_s, replays_same } => println!(
                            "shrunk {}: {} -> {} ({runs} runs, {wall_s:.1} s){}\n  before: {before}\n  after:  {after}",
                            g.signature,
                            g.scenario_path,
                            path.display(),
                            if *replays_same { "" } else { "; WARNING: replays to another primary signature" }
                        ),
                        GroupOutcome::Known(p) => println!("known  {}: {}", g.signature, p.display()),
                        GroupOutcome::Skipped(why) => println!("skip   {}: {why}", g.signature),
                    }
                })?;
                let written = done
                    .iter()
                    .filter(|g| matches!(g.outcome, ckptsim_sim::regress::GroupOutcome::Written { .. }))
                    .count();
                println!(
                    "--shrink {}: {} group(s), {written} regression(s) written, {} already known, {:.1} s",
                    dir.display(),
                    done.len(),
                    done.iter().filter(|g| matches!(g.outcome, ckptsim_sim::regress::GroupOutcome::Known(_))).count(),
                    t0.elapsed().as_secs_f64()
                );
            }
            Ok(if report.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Cmd::Bench { quick, no_write, out, root, records, seed_series, budget, only, label } => {
            let mut cfg =
                if quick { bench::BenchConfig::quick(root.clone()) } else { bench::BenchConfig::full(root.clone()) };
            if let Some(n) = records {
                cfg.throughput_records = n;
            }
            if let Some(s) = seed_series {
                cfg.seed_series = s;
            }
            if let Some(b) = budget {
                cfg.seed_budget_s = b;
            }
            if let Some(o) = only {
                cfg.only = o;
            }
            if cfg!(debug_assertions) {
                eprintln!("warning: a debug build; benchmark numbers are meaningless (use --release)");
            }
            let load = std::fs::read_to_string("/proc/loadavg")
                .ok()
                .and_then(|l| l.split_whitespace().next().map(|x| format!(" · load {x}")))
                .unwrap_or_default();
            let header = format!(
                "{} · commit {} · {} · {}{load}{}{}",
                today_utc(),
                git_commit(&root),
                machine(),
                rustc_version(),
                if quick { " · --quick" } else { "" },
                label.map(|l| format!(" · {l}")).unwrap_or_default()
            );
            eprintln!("bench: {header}");
            let report = bench::run(&cfg, |line| eprintln!("  {line}"))?;
            let block = report.markdown(&header);
            print!("{block}");
            if !no_write {
                let path = if out.is_absolute() { out } else { root.join(out) };
                let doc = std::fs::read_to_string(&path).unwrap_or_default();
                std::fs::write(&path, bench::insert_speed_section(&doc, SPEED_INTRO, &block))?;
                eprintln!("appended to {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::FuzzCase { input, variant, output } => {
            let Some(v) = ckptsim::Variant::ALL.into_iter().find(|x| x.name() == variant) else {
                let names: Vec<&str> = ckptsim::Variant::ALL.iter().map(|v| v.name()).collect();
                eprintln!("unknown variant `{variant}` (known: {})", names.join(", "));
                return Ok(ExitCode::from(2));
            };
            let data = std::fs::read(&input)?;
            let (mut spec, seed) = fuzzing::whole_sim_spec(v, &data);
            spec.default_seed = seed;
            let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let name: String =
                stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
            spec.name = format!("fuzz-{variant}-{}", &name[..name.len().min(24)]);
            let o = outcome::run(&spec, seed);
            let failing: Vec<&str> = o.verdicts.iter().filter(|v| v.passed == Some(false)).map(|v| v.checker).collect();
            if v != ckptsim::Variant::Correct {
                spec.expect.caught_by = failing.first().map(|c| c.to_string());
            }
            let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
            let header = format!(
                "The whole_sim fuzz job decoded from {} (bytes {hex}) under variant {variant}, seed {seed}.\n\
                 Failing checkers under seed {seed}: {}.",
                input.display(),
                if failing.is_empty() { "none".to_string() } else { failing.join(", ") }
            );
            let text = emit::to_toml(&spec, &header);
            match output {
                Some(p) => std::fs::write(&p, text)?,
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Shrink { scenario, seed, output, checker, expectation, max_runs, one_seed, note } => {
            let Some(spec) = load_or_report(&scenario) else { return Ok(ExitCode::from(2)) };
            let seed = seed.unwrap_or(spec.default_seed);
            let target = match (checker, expectation, &spec.expect.caught_by) {
                (Some(c), _, _) => Target::Checker(c),
                (None, Some(e), _) => Target::Expectation(e),
                (None, None, Some(c)) => Target::Checker(c.clone()),
                (None, None, None) => match shrink::failing_target(&outcome::run(&spec, seed)) {
                    Some(t) => t,
                    None => {
                        println!(
                            "{}: nothing to shrink, every checker and expectation held under seed {seed}",
                            scenario.display()
                        );
                        return Ok(ExitCode::from(1));
                    }
                },
            };
            let mut seeds = vec![seed];
            let second = seed.wrapping_add(7919);
            if !one_seed {
                if shrink::still_fails(&spec, &target, second) {
                    seeds.push(second);
                } else {
                    println!("note: {target} does not fail the same way under seed {second}; shrinking under seed {seed} only (the suite's determinism test may flag the regression)");
                }
            }
            let stem =
                scenario.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "scenario".into());
            let output = output.unwrap_or_else(|| PathBuf::from(format!("scenarios/regressions/{stem}-shrunk.toml")));
            let name = output
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| format!("{stem}-shrunk"));
            println!("shrinking {} (seed {seed}, {target}) ...", scenario.display());
            let t0 = std::time::Instant::now();
            let shrunk = match shrink::shrink(&spec, &target, &shrink::Options { seeds: seeds.clone(), max_runs }) {
                Ok(s) => s,
                Err(e) => {
                    println!("cannot shrink: {e}");
                    return Ok(ExitCode::from(1));
                }
            };
            for line in &shrunk.log {
                println!("  {line}");
            }
            let reg = shrink::regression_spec(&shrunk, &name, seed);
            let text = shrink::regression_toml(
                &shrunk,
                &reg,
                &output.display().to_string(),
                &scenario.display().to_string(),
                &seeds,
                note.as_deref().unwrap_or(""),
            );
            if let Err(e) = shrink::verify_written(&text, &shrunk.target, shrunk.exclusive, &seeds) {
                println!("cannot write a regression: {e}");
                return Ok(ExitCode::from(1));
            }
            if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&output, &text)?;
            println!("before: {}\nafter:  {}", shrunk.before, shrunk.after);
            println!("{}: {}", shrunk.target, shrunk.what_failed);
            if let Some(sig) = &shrunk.signature {
                println!("signature (kept by every step): {sig}");
            }
            println!(
                "{} runs in {:.1} s; wrote {} (replay: cargo run --release -- run {} --seed {seed})",
                shrunk.runs,
                t0.elapsed().as_secs_f64(),
                output.display(),
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The text that opens the `## Speed` section of BENCHMARKS.md when the bench creates it.
const SPEED_INTRO: &str = "Written by `cargo run --release -- bench` (see `sim/src/bench.rs`); every run appends one \
block below with machine, commit and date. \"per core\" figures divide by the CPU time of the \
measuring thread (`/proc/thread-self/schedstat`), which a busy shared machine inflates less than \
wall time; wall figures are shown beside them. Jobs: every `scenarios/seeds/*.toml`; \
`scenarios/bench/swarm-faults.toml` (most fault kinds at once); `scenarios/bench/throughput-*.toml` \
(log source p4 -> map -> key_by/sum p4 -> 2PC sink, checkpoints every 1 s) scaled to 10^6 records; \
`scenarios/bench/hour.toml` scaled to one virtual hour. The floor (`sim/src/floor.rs`) drives the \
same tasks in-process with FIFO queues and no madsim, network, JobManager or cost model.";

fn today_utc() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn command_line(cmd: &str, args: &[&str], dir: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new(cmd).args(args).current_dir(dir).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn git_commit(root: &std::path::Path) -> String {
    let sha = command_line("git", &["rev-parse", "--short", "HEAD"], root).unwrap_or_else(|| "unknown".into());
    let dirty =
        command_line("git", &["status", "--porcelain", "--untracked-files=no"], root).is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{sha}+dirty")
    } else {
        sha
    }
}

fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{model}, {cores} cores")
}

fn rustc_version() -> String {
    command_line("rustc", &["--version"], std::path::Path::new(".")).unwrap_or_else(|| "rustc ?".into())
}
