//! The `ckptsim sweep` command: the inputs walked and loaded (an unreadable or invalid one reported and counted, the rest swept), the runs streamed to the JSON file, the failure groups and the summary printed.

use super::*;
use ckptsim_sim::load::WalkError;
use std::io::BufWriter;

/// An input the sweep could not read or load: its path and its error (naming file, line and
/// field as `check` does, or the folder).
struct InputError {
    path: String,
    message: String,
}

/// `ckptsim sweep`: many seeds on worker threads; one line per failure signature, a summary,
/// optionally JSON lines (streamed) and shrunk regressions.
///
/// One bad input never stops the sweep: a folder that cannot be read, a file that cannot be
/// read or that `check` refuses, is reported on stderr (file, line, field), counted, named by an
/// `ERROR` line before the summary (and a JSON `error` line); every other scenario is swept and
/// the exit code is then 2 (bad input).
pub(super) fn cmd_sweep(a: SweepArgs) -> Result<ExitCode> {
    let (files, walk_errors) = load::walk_scenarios(&a.scenarios);
    if files.is_empty() && walk_errors.is_empty() {
        diag!("error: no scenario files to sweep (give .toml files or folders holding them)");
        return Ok(ExitCode::from(2));
    }
    let variant = match &a.variant {
        Some(name) => match variant_named(name) {
            Some(v) => Some(v),
            None => return Ok(ExitCode::from(2)),
        },
        None => None,
    };
    let mut errors: Vec<InputError> = walk_errors.iter().map(input_error_of_walk).collect();
    let mut specs = Vec::new();
    for f in &files {
        match load::load_spec(f) {
            Ok(mut s) => {
                if a.max_events.is_some() {
                    s.max_events = a.max_events;
                }
                if let Some(v) = variant {
                    s.variant = v;
                }
                specs.push(s);
            }
            Err(e) => {
                diag!("{e}");
                errors.push(InputError { path: f.display().to_string(), message: e.to_string() });
            }
        }
    }
    let code = sweep_loaded(&a, &specs, &errors)?;
    if !errors.is_empty() {
        let inputs = files.len() + walk_errors.len();
        diag!("error: {} of {inputs} scenario inputs unreadable or invalid (above), not swept", errors.len());
        return Ok(ExitCode::from(2));
    }
    Ok(code)
}

/// A folder the walk could not read, reported on stderr as it is counted.
fn input_error_of_walk(e: &WalkError) -> InputError {
    diag!("{e}");
    InputError { path: e.path.display().to_string(), message: e.to_string() }
}

/// `ckptsim sweep` over the valid scenarios `specs` (`errors`: the inputs that were not): the
/// outputs checked, then the sweep.
fn sweep_loaded(a: &SweepArgs, specs: &[JobSpec], errors: &[InputError]) -> Result<ExitCode> {
    let (index, count) = match &a.shard {
        Some(s) => sweep::parse_shard(s).map_err(|e| anyhow::anyhow!(e))?,
        None => (0, 1),
    };
    sweep::check_range(a.first_seed, a.seeds, specs.len(), count).map_err(|e| anyhow::anyhow!(e))?;
    // Output places are checked before the sweep, not after it.
    let json = a.json.as_deref();
    if let Some(p) = json {
        let inputs: Vec<PathBuf> = specs.iter().map(|s| PathBuf::from(&s.source_path)).collect();
        check_not_an_input("--json", p, &inputs)?;
        check_not_an_input("--json", &JsonOut::partial_path(p), &inputs)?;
        check_writable_file("--json", p)?;
    }
    if let Some(dir) = &a.shrink {
        check_writable_dir("--shrink", dir)?;
    }
    if let Some(dir) = &a.children_out {
        check_writable_dir("--children-out", dir)?;
    }
    let jobs = a.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    if a.coverage || a.fail_fast {
        let code = if a.coverage { coverage_sweep(a, specs, jobs, json)? } else { fail_fast_sweep(a, specs, jobs)? };
        print_input_errors(errors);
        return Ok(code);
    }
    let mut out = json.map(|p| JsonOut::create(p, errors)).transpose()?;
    let plan = sweep::SweepPlan {
        first_seed: a.first_seed,
        seeds: a.seeds,
        jobs,
        shard_index: index,
        shard_count: count,
        progress: true,
        swarm: a.swarm,
        keep_results: false,
    };
    let report = match out.as_mut() {
        Some(o) => sweep::sweep_streaming(specs, &plan, &mut |f| o.line(&sweep::failure_json(f))),
        None => sweep::sweep_streaming(specs, &plan, &mut |_| {}),
    };
    print_sweep(&report, &SweepFlags { swarm: a.swarm, variant: a.variant.clone() }, errors, jobs);
    if let Some(o) = out {
        o.finish(&report.summary_json(errors.len()))?;
    }
    if let Some(dir) = &a.shrink {
        shrink_sweep_groups(&report, specs, a.swarm, dir, a.shrink_max_runs)?;
    }
    Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `sweep --json`: the lines written as the sweep makes them into `FILE.partial`, renamed to
/// `FILE` after the summary line. An interrupted sweep leaves `FILE.partial` ending at a whole
/// line and without the summary line (clearly incomplete) and the earlier `FILE` untouched; a
/// complete file always ends with its summary line.
struct JsonOut {
    path: PathBuf,
    partial: PathBuf,
    file: BufWriter<std::fs::File>,
    /// The first write error (later lines are dropped; `finish` reports it).
    error: Option<std::io::Error>,
}

impl JsonOut {
    /// Where the lines go until the summary is written.
    fn partial_path(path: &Path) -> PathBuf {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        path.with_file_name(format!("{name}.partial"))
    }

    /// Creates `FILE.partial` and writes one `error` line per input not swept.
    fn create(path: &Path, errors: &[InputError]) -> Result<JsonOut> {
        let partial = JsonOut::partial_path(path);
        let file =
            std::fs::File::create(&partial).with_context(|| format!("--json {}: cannot write", partial.display()))?;
        let mut out = JsonOut { path: path.to_path_buf(), partial, file: BufWriter::new(file), error: None };
        for e in errors {
            out.line(&sweep::error_json(&e.path, &e.message));
        }
        Ok(out)
    }

    /// Writes one line, whole: flushed at once, so the file never ends inside a line.
    fn line(&mut self, line: &str) {
        if self.error.is_none() {
            if let Err(e) = writeln!(self.file, "{line}").and_then(|()| self.file.flush()) {
                self.error = Some(e);
            }
        }
    }

    /// Writes the summary line and renames the partial file to its name.
    fn finish(mut self, summary: &str) -> Result<()> {
        self.line(summary);
        let partial = self.partial.display().to_string();
        if let Some(e) = self.error.take() {
            return Err(e).with_context(|| format!("writing {partial}"));
        }
        drop(self.file);
        std::fs::rename(&self.partial, &self.path).with_context(|| format!("renaming {partial}"))
    }
}

/// One `ERROR` line per input not swept (after the output of `--coverage` / `--fail-fast`).
fn print_input_errors(errors: &[InputError]) {
    for e in errors {
        outln!("ERROR {}", e.message.lines().next().unwrap_or_default());
    }
}
/// `sweep --fail-fast`: seeds in seed-major order until the first failing run
/// (`tools::sweep_search`: the runs before it finish, none after it starts); that run's line
/// (`FAIL`, or `EXPECTED` with the reason) with its replay command, then a summary line.
fn fail_fast_sweep(a: &SweepArgs, specs: &[JobSpec], jobs: usize) -> Result<ExitCode> {
    use ckptsim_sim::tools::sweep_search::{search, SearchLimits};
    let limits =
        SearchLimits { first_seed: a.first_seed, max_seeds: a.seeds, max_wall_s: f64::INFINITY, jobs, swarm: a.swarm };
    let r = search(specs, limits);
    let flag = format!(
        "{}{}",
        if a.swarm { " --swarm" } else { "" },
        a.variant.as_deref().map(|v| format!(" --variant {v}")).unwrap_or_default()
    );
    if let Some(f) = &r.first {
        let why = specs.iter().find(|s| s.source_path == f.path).and_then(|s| sweep::expected_failure(s, &f.signature));
        outln!(
            "{} {}  seed {}  replay: cargo run --release -- run {} --seed {}{flag}{}",
            if why.is_some() { "EXPECTED" } else { "FAIL" },
            f.signature,
            f.seed,
            f.path,
            f.seed,
            why.map(|w| format!("  ({w})")).unwrap_or_default()
        );
    }
    outln!(
        "{} runs, {} seed(s) searched, {}, {:.1} s wall ({jobs} jobs)",
        r.runs,
        r.seeds,
        if r.first.is_some() { "stopped at the first failure" } else { "no failure" },
        r.wall_s
    );
    Ok(if r.first.is_none() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The sweep's result: one line per distinct failure signature (the JSON lists every failing
/// seed), one `ERROR` line per input not swept, and the summary line.
/// A group whose failures are expected (`sweep::expected_failure`: a negative scenario, a
/// behaviour Flink documents) is marked `EXPECTED` with the reason; the summary counts them.
/// Groups are split by signature and expectation: an unexpected failure never hides in a group
/// whose first member is expected.
fn print_sweep(report: &sweep::SweepReport, flags: &SweepFlags, errors: &[InputError], jobs: usize) {
    let flag = format!(
        "{}{}",
        if flags.swarm { " --swarm" } else { "" },
        flags.variant.as_deref().map(|v| format!(" --variant {v}")).unwrap_or_default()
    );
    for g in &report.split_groups {
        let f = &g.first;
        outln!(
            "{} {:>4}x {}  first seed {}  replay: cargo run --release -- run {} --seed {}{flag}{}",
            if g.expected.is_some() { "EXPECTED" } else { "FAIL" },
            g.count,
            g.signature,
            f.seed,
            f.path,
            f.seed,
            g.expected.as_ref().map(|w| format!("  ({w})")).unwrap_or_default()
        );
    }
    if report.ungrouped > 0 {
        outln!("FAIL {:>4}x in groups past the first {} (not listed; see --json)", report.ungrouped, sweep::MAX_GROUPS);
    }
    print_input_errors(errors);
    let kinds: std::collections::BTreeSet<&str> =
        report.split_groups.iter().map(|g| g.signature.split('@').next().unwrap_or_default()).collect();
    let errors_text = if errors.is_empty() { String::new() } else { format!(", {} input error(s)", errors.len()) };
    outln!(
        "{} runs, {} failed ({} expected) in {} group(s) of {} anomaly kind(s){errors_text}, {:.1} s wall, {:.1} s CPU, {:.0} seeds/s ({} jobs, shard {}/{})",
        report.runs,
        report.failed,
        report.expected,
        report.split_groups.len(),
        kinds.len(),
        report.wall_s,
        report.cpu_s,
        report.runs as f64 / report.wall_s.max(1e-9),
        jobs,
        report.shard_index,
        report.shard_count
    );
}

/// What a sweep's replay lines must repeat.
struct SweepFlags {
    swarm: bool,
    variant: Option<String>,
}

/// `sweep --shrink DIR`: a regression per new failure signature, one result line each.
fn shrink_sweep_groups(
    report: &sweep::SweepReport,
    specs: &[JobSpec],
    swarm: bool,
    dir: &Path,
    max_runs: usize,
) -> Result<()> {
    use ckptsim_sim::regress::{self, GroupOutcome};
    let t0 = std::time::Instant::now();
    let done = regress::shrink_groups(report, specs, swarm, dir, max_runs, |g| match &g.outcome {
        GroupOutcome::Written { path, before, after, runs, wall_s, replays_same } => outln!(
            "shrunk {}: {} -> {} ({runs} runs, {wall_s:.1} s){}\n  before: {before}\n  after:  {after}",
            g.signature,
            g.scenario_path,
            path.display(),
            if *replays_same { "" } else { "; WARNING: replays to another primary signature" }
        ),
        GroupOutcome::Known(p) => outln!("known  {}: {}", g.signature, p.display()),
        GroupOutcome::Skipped(why) => outln!("skip   {}: {why}", g.signature),
    })?;
    let written = done.iter().filter(|g| matches!(g.outcome, GroupOutcome::Written { .. })).count();
    outln!(
        "--shrink {}: {} group(s), {written} regression(s) written, {} already known, {:.1} s",
        dir.display(),
        done.len(),
        done.iter().filter(|g| matches!(g.outcome, GroupOutcome::Known(_))).count(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `sweep --coverage`: the coverage matrix of plain or guided swarm runs (`tools/guided.rs`).
fn coverage_sweep(
    a: &SweepArgs,
    specs: &[ckptsim_sim::spec::JobSpec],
    jobs: usize,
    json: Option<&Path>,
) -> Result<ExitCode> {
    let opts = ckptsim_sim::guided::CoverageOptions {
        first_seed: a.first_seed,
        seeds: a.seeds,
        jobs,
        swarm: a.swarm,
        guided: a.guided,
        progress: true,
        until_cells: if a.until_covered { Some(usize::MAX) } else { a.until_cells },
    };
    let r = ckptsim_sim::guided::coverage_sweep(specs, &opts);
    out!("{}", ckptsim_sim::guided::render_summary(&r, specs, a.guided));
    if let Some(p) = json {
        write_whole(p, (r.map.json_lines(specs).join("\n") + "\n").as_bytes())?;
    }
    if let Some(dir) = &a.children_out {
        for path in ckptsim_sim::guided::write_children(&r, dir)? {
            outln!("wrote {}", path.display());
        }
    }
    Ok(if r.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
