//! The `ckptsim` command: run a scenario, write its HTML report, check scenario files, sweep many seeds.
//!
//! Exit codes: 0 every expectation held; 1 an expectation or checker failed; 2 bad input
//! (unreadable or invalid scenario, bad arguments). `report` exits 0 once the page is written,
//! whatever the verdict (the page shows it).

use anyhow::Result;
use ckptsim_sim::{chrome, load, outcome, report, sweep};
use clap::{Parser, Subcommand};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

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
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Run { scenario, seed, trace, swarm, chrome_trace } => {
            let spec = match load::load_spec(&scenario) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let seed = seed.unwrap_or(spec.default_seed);
            let spec = if swarm {
                let (s, draw) = ckptsim_sim::swarm::draw(&spec, seed);
                print!("{draw}");
                s
            } else {
                spec
            };
            let o = outcome::run(&spec, seed);
            print!("{}", outcome::render(&spec, &o));
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
            let spec = match load::load_spec(&scenario) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(ExitCode::from(2));
                }
            };
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
            let mut bad = 0;
            for f in &files {
                match load::load_spec(f) {
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
        Cmd::Sweep { scenarios, seeds, first_seed, jobs, shard, json, swarm } => {
            let files = load::collect_scenarios(&scenarios)?;
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
            let report = sweep::sweep_with(&specs, first_seed, seeds, jobs, index, count, true, swarm);
            let flag = if swarm { " --swarm" } else { "" };
            for f in &report.failures {
                println!("FAIL {} seed {}: {}", f.scenario, f.seed, f.reason);
                println!("     replay: cargo run --release -- run {} --seed {}{flag}", f.path, f.seed);
            }
            println!(
                "{} runs, {} failed, {:.1} s wall, {:.0} seeds/s ({} jobs, shard {index}/{count})",
                report.runs,
                report.failures.len(),
                report.wall_s,
                report.runs as f64 / report.wall_s.max(1e-9),
                jobs
            );
            if let Some(path) = json {
                let mut f = std::fs::File::create(&path)?;
                for line in report.json_lines() {
                    writeln!(f, "{line}")?;
                }
            }
            Ok(if report.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
    }
}
