//! The `ckptsim sweep` command: the inputs walked and loaded (an unreadable or invalid one reported and counted, the rest swept), the runs streamed (each failure to the JSON file, each new failure group's line to stdout), then the groups with their counts and the summary; Ctrl-C stops it with that summary of the runs made.

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
    if !errors.is_empty() && code != ExitCode::from(130) {
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
    // Shards of one range share their inputs: shard 0 alone lists the input errors (stdout and
    // JSON), so the concatenated results name each once; every shard still reports them on
    // stderr and exits 2.
    let listed: &[InputError] = if index == 0 { errors } else { &[] };
    let mut out = json.map(|p| JsonOut::create(p, listed)).transpose()?;
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
    let flags = SweepFlags { swarm: a.swarm, variant: a.variant.clone() };
    let clear_progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let stop = interrupt::install();
    let report = sweep::sweep_until(specs, &plan, stop, &mut |f, opened| {
        if let Some(o) = out.as_mut() {
            o.line(&sweep::failure_json(f));
        }
        if let Some(g) = opened {
            if clear_progress {
                // The progress line (stderr, `\r`) shares the terminal: clear it first.
                diag_inline("\r\x1b[K");
            }
            outln!("found {}", group_line(g, None, &flags));
        }
    });
    interrupt::uninstall();
    print_sweep(&report, &flags, (listed, errors.len() - listed.len()), jobs);
    if let Some(o) = out {
        let summary = report.summary_json(listed.len());
        if report.interrupted {
            o.abandon(&summary)?;
        } else {
            o.finish(&summary)?;
        }
    }
    if report.interrupted {
        diag!("interrupted: {} of {} runs made; the counts above are theirs", report.runs, report.planned);
        if a.shrink.is_some() {
            diag!("--shrink skipped: interrupted");
        }
        return Ok(ExitCode::from(130));
    }
    if let Some(dir) = &a.shrink {
        shrink_sweep_groups(&report, specs, a.swarm, dir, a.shrink_max_runs)?;
    }
    Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Writes `text` to stderr as it is (no newline); a closed stderr drops it.
fn diag_inline(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Ctrl-C during a sweep: the first SIGINT asks the sweep to stop (the runs under way finish,
/// the groups and the summary of the runs made are printed and the JSON file gets its summary
/// line, marked interrupted); the handler then restores the default, so a second Ctrl-C ends
/// the process at once. The flag is a process-wide static because a signal handler can reach
/// nothing else.
mod interrupt {
    use std::sync::atomic::{AtomicBool, Ordering};

    static STOP: AtomicBool = AtomicBool::new(false);

    #[cfg(unix)]
    extern "C" fn on_sigint(_: libc::c_int) {
        STOP.store(true, Ordering::SeqCst);
        // SAFETY: `signal` is async-signal-safe; restoring the default disposition has no
        // other effect.
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
        }
    }

    /// Installs the handler (unix; elsewhere Ctrl-C ends the process as before); the flag.
    pub(super) fn install() -> &'static AtomicBool {
        STOP.store(false, Ordering::SeqCst);
        #[cfg(unix)]
        // SAFETY: the handler only stores to an atomic and calls `signal`, both
        // async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t);
        }
        &STOP
    }

    /// Restores the default: a Ctrl-C after the runs (while shrinking, say) ends the process.
    pub(super) fn uninstall() {
        #[cfg(unix)]
        // SAFETY: as in `install`.
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
        }
    }
}

/// `sweep --json`: the lines written as the sweep makes them into `FILE.partial`, renamed to
/// `FILE` after the summary line. A sweep stopped by Ctrl-C leaves `FILE.partial` ending with a
/// summary line marked `"interrupted": true`; one killed outright leaves it ending at a whole
/// line without a summary line (clearly incomplete); either way the earlier `FILE` is
/// untouched, and a complete file always ends with its unmarked summary line.
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

    /// An interrupted sweep: writes its summary line (marked `"interrupted": true`) and leaves
    /// the file as `FILE.partial`, the earlier `FILE` untouched (the results are incomplete).
    fn abandon(mut self, summary: &str) -> Result<()> {
        self.line(summary);
        let partial = self.partial.display().to_string();
        match self.error.take() {
            Some(e) => Err(e).with_context(|| format!("writing {partial}")),
            None => {
                diag!("--json: {partial} holds the runs made, its summary line marked interrupted");
                Ok(())
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
/// `errors`: the input errors this shard lists, and how many it leaves to shard 0.
fn print_sweep(report: &sweep::SweepReport, flags: &SweepFlags, errors: (&[InputError], usize), jobs: usize) {
    for g in &report.split_groups {
        outln!("{}", group_line(g, Some(g.count), flags));
    }
    if report.ungrouped > 0 {
        outln!("FAIL {:>4}x in groups past the first {} (not listed; see --json)", report.ungrouped, sweep::MAX_GROUPS);
    }
    let (listed, unlisted) = errors;
    print_input_errors(listed);
    let kinds: std::collections::BTreeSet<&str> =
        report.split_groups.iter().map(|g| g.signature.split('@').next().unwrap_or_default()).collect();
    let mut errors_text = String::new();
    if !listed.is_empty() {
        errors_text = format!(", {} input error(s)", listed.len());
    } else if unlisted > 0 {
        errors_text = format!(", {unlisted} input error(s) (listed by shard 0)");
    }
    if report.interrupted {
        errors_text += &format!(", interrupted after {} of {} runs", report.runs, report.planned);
    }
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

/// A group's line: `FAIL` or `EXPECTED`, the count (at the end; `None` while streaming, when
/// only the first member is known), the signature, the first seed, its replay command and why
/// it is expected.
fn group_line(g: &sweep::FailureGroup, count: Option<u64>, flags: &SweepFlags) -> String {
    let flag = format!(
        "{}{}",
        if flags.swarm { " --swarm" } else { "" },
        flags.variant.as_deref().map(|v| format!(" --variant {v}")).unwrap_or_default()
    );
    let f = &g.first;
    format!(
        "{}{} {}  first seed {}  replay: cargo run --release -- run {} --seed {}{flag}{}",
        if g.expected.is_some() { "EXPECTED" } else { "FAIL" },
        count.map(|n| format!(" {n:>4}x")).unwrap_or_default(),
        g.signature,
        f.seed,
        f.path,
        f.seed,
        g.expected.as_ref().map(|w| format!("  ({w})")).unwrap_or_default()
    )
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
    // Each failing run is printed (and a guided child written) as it is found; the report keeps
    // the matrix, the curve and the first failures only.
    let mut children = 0usize;
    let mut write_error = None;
    let r = ckptsim_sim::guided::coverage_sweep_streaming(specs, &opts, &mut |f| {
        outln!("{}", ckptsim_sim::guided::failure_line(f, a.swarm || a.guided));
        let Some(dir) = a.children_out.as_deref().filter(|_| write_error.is_none()) else { return };
        match ckptsim_sim::guided::write_child(f, children, dir) {
            Ok(Some(path)) => {
                children += 1;
                outln!("wrote {}", path.display());
            }
            Ok(None) => {}
            Err(e) => write_error = Some(anyhow::Error::new(e).context(format!("--children-out {}", dir.display()))),
        }
    });
    out!("{}", ckptsim_sim::guided::render_summary(&r, specs, a.guided));
    if let Some(p) = json {
        write_whole(p, (r.map.json_lines(specs).join("\n") + "\n").as_bytes())?;
    }
    if let Some(e) = write_error {
        return Err(e);
    }
    Ok(if r.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
