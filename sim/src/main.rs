//! The `ckptsim` command: run a scenario, write its HTML report, check scenario files, sweep many seeds, benchmark, shrink a failing scenario into a regression, turn a whole_sim fuzz input into a scenario.
//!
//! Exit codes: 0 every expectation held; 1 an expectation or checker failed; 2 bad input
//! (unreadable or invalid scenario, bad arguments, an output path that cannot be written).
//! `report` exits 0 once the page is written, whatever the verdict (the page shows it).
//!
//! Streams: results (tables, verdicts, replay lines, written paths) go to stdout, diagnostics
//! (errors, warnings, notes, progress) to stderr. A closed stdout (`ckptsim sweep ... | head`)
//! is not an error: the rest of the output is dropped and the exit code is the verdict's.
//! Every output path is checked writable before the work that fills it starts.

use anyhow::{Context, Result};
use ckptsim_sim::shrink::{self, Target};
use ckptsim_sim::spec::JobSpec;
use ckptsim_sim::{bench, chrome, emit, explore, fuzzing, load, outcome, report, sweep};
use clap::Parser;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

/// mimalloc instead of glibc's malloc: a sweep allocates and frees every seed's world, and
/// glibc's heap slows down as it fragments over 10^4..10^5 seeds in one process (BENCHMARKS.md,
/// *Speed*). The allocator has no say in the simulation: runs stay bit-for-bit the same.
/// Feature `system-alloc` keeps the system allocator, for heap profilers that hook malloc.
///
/// [`Mi`] calls mimalloc's plain `mi_malloc` for the usual alignments (at most a word, which
/// every mimalloc block has) and its aligned entry points only above that: `MiMalloc` calls
/// `mi_malloc_aligned` for every allocation, ~20 instructions more each (1.7 % of a 004 seed's
/// instructions), and the plain blocks hold less (the 10^6-record job's peak RSS 93.7 -> 82.1
/// MB; BENCHMARKS.md, *Speed*, session 16).
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: Mi = Mi;

/// The global allocator: mimalloc, its unaligned fast path where the layout allows.
#[cfg(not(feature = "system-alloc"))]
struct Mi;

#[cfg(not(feature = "system-alloc"))]
impl Mi {
    /// Alignments every mimalloc block already has (blocks are whole words, word-aligned).
    const PLAIN_ALIGN: usize = std::mem::size_of::<usize>();
}

// SAFETY: every block comes from mimalloc and goes back to it (`mi_free` frees blocks of
// either entry point); `mi_malloc`'s blocks are word-aligned, so it serves only layouts that
// ask for no more, and `realloc` keeps the layout's alignment the same way.
#[cfg(not(feature = "system-alloc"))]
unsafe impl std::alloc::GlobalAlloc for Mi {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.align() <= Mi::PLAIN_ALIGN {
            // SAFETY: a plain mimalloc allocation; see the impl's comment.
            unsafe { libmimalloc_sys::mi_malloc(layout.size()).cast() }
        } else {
            // SAFETY: as in `MiMalloc`.
            unsafe { std::alloc::GlobalAlloc::alloc(&mimalloc::MiMalloc, layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.align() <= Mi::PLAIN_ALIGN {
            // SAFETY: a plain mimalloc allocation; see the impl's comment.
            unsafe { libmimalloc_sys::mi_zalloc(layout.size()).cast() }
        } else {
            // SAFETY: as in `MiMalloc`.
            unsafe { std::alloc::GlobalAlloc::alloc_zeroed(&mimalloc::MiMalloc, layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from mimalloc (either entry point).
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= Mi::PLAIN_ALIGN {
            // SAFETY: `ptr` came from mimalloc; the new block is word-aligned like the old.
            unsafe { libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast() }
        } else {
            // SAFETY: as in `MiMalloc`.
            unsafe { std::alloc::GlobalAlloc::realloc(&mimalloc::MiMalloc, ptr, layout, new_size) }
        }
    }
}

mod cli_args;
use cli_args::*;

// ------------------------------------------------------------------ streams

/// The first error writing stdout (a closed pipe included); all later output is dropped.
static STDOUT_FAILED: OnceLock<std::io::Error> = OnceLock::new();

/// Writes results to stdout; after a write error (e.g. `| head` closed the pipe) it writes
/// nothing more and the command runs on to its exit code.
fn write_stdout(args: std::fmt::Arguments<'_>) {
    if STDOUT_FAILED.get().is_some() {
        return;
    }
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        let _ = STDOUT_FAILED.set(e);
    }
}

/// `print!` for results: see [`write_stdout`].
macro_rules! out {
    ($($arg:tt)*) => { write_stdout(format_args!($($arg)*)) };
}

/// `println!` for results: see [`write_stdout`].
macro_rules! outln {
    () => { write_stdout(format_args!("\n")) };
    ($($arg:tt)*) => { write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` for diagnostics that never panics (a closed stderr drops them).
macro_rules! diag {
    ($($arg:tt)*) => {{ let _ = writeln!(std::io::stderr(), $($arg)*); }};
}

/// Checks before any work that `path` can be written: it is created empty (or, if it exists,
/// opened for appending, leaving its content) and a file created here is removed again.
fn check_writable_file(flag: &str, path: &Path) -> Result<()> {
    let probe = if path.exists() {
        std::fs::OpenOptions::new().append(true).open(path).map(|_| ())
    } else {
        std::fs::OpenOptions::new().write(true).create_new(true).open(path).and_then(|_| std::fs::remove_file(path))
    };
    probe.with_context(|| format!("{flag} {}: cannot write", path.display()))
}

/// Checks before any work that files can be written into `dir`, creating the folder if needed.
fn check_writable_dir(flag: &str, dir: &Path) -> Result<()> {
    let context = || format!("{flag} {}: cannot write into this folder", dir.display());
    std::fs::create_dir_all(dir).with_context(context)?;
    let probe = dir.join(format!(".ckptsim-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .with_context(context)
}

/// Refuses an output path that is one of the input files (`run s.toml --trace s.toml`, `sweep
/// dir --json dir/a.toml`): the output would replace the scenario it was made from.
fn check_not_an_input(flag: &str, out: &Path, inputs: &[PathBuf]) -> Result<()> {
    let Ok(out_real) = std::fs::canonicalize(out) else { return Ok(()) };
    if inputs.iter().any(|i| std::fs::canonicalize(i).is_ok_and(|i| i == out_real)) {
        anyhow::bail!("{flag} {}: is an input of this command; refusing to overwrite it", out.display());
    }
    Ok(())
}

/// Writes `bytes` to `path` whole or not at all: into a sibling temporary file renamed over
/// `path`, so a results file of an earlier sweep is kept until the new one is complete (it
/// used to be emptied when the sweep started).
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.ckptsim-{}", std::process::id()));
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
        .with_context(|| format!("writing {}", path.display()))
}

/// A file named on the command line (a `.replay` counterexample, a fuzz input, an `explore
/// --replay` path file), read with the scenario file's size limit: `/dev/zero` or a 10 GB
/// file is refused, not read into memory.
fn read_bounded_text(what: &str, path: &Path) -> Result<Vec<u8>> {
    let bytes = ckptsim_sim::scenario::read_bounded(path).with_context(|| format!("{what} {}", path.display()))?;
    let max = ckptsim_sim::scenario::limits::MAX_FILE_BYTES;
    if bytes.len() as u64 > max {
        anyhow::bail!("{what} {}: larger than {max} bytes", path.display());
    }
    Ok(bytes)
}

mod cli_sweep;

// ------------------------------------------------------------------ main

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
    let code = match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            diag!("error: {e:#}");
            ExitCode::from(2)
        }
    };
    if let Err(e) = std::io::stdout().lock().flush() {
        let _ = STDOUT_FAILED.set(e);
    }
    match STDOUT_FAILED.get() {
        // The reader has gone (`| head`): what it wanted it got.
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Some(e) => {
            diag!("error: writing stdout: {e}");
            ExitCode::from(2)
        }
        None => code,
    }
}

/// Dispatches to the subcommand.
fn real_main(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Run(a) => cmd_run(a),
        Cmd::Report(a) => cmd_report(a),
        Cmd::Check { paths } => cmd_check(&paths),
        Cmd::Sweep(a) => cli_sweep::cmd_sweep(a),
        Cmd::Bench(a) => cmd_bench(a),
        Cmd::FuzzCase(a) => cmd_fuzz_case(a),
        Cmd::Shrink(a) => cmd_shrink(a),
        Cmd::Explore(a) => cmd_explore(a),
    }
}

/// The scenario at `path`, or `None` after printing its error (file, line, field): exit code 2.
fn load_or_report(path: &Path) -> Option<JobSpec> {
    load::load_spec(path).map_err(|e| diag!("{e}")).ok()
}

/// `spec` plus, with `--swarm`, the swarm draw of `seed` (the draw is printed first).
fn with_swarm(spec: JobSpec, seed: u64, swarm: bool) -> JobSpec {
    if !swarm {
        return spec;
    }
    let (s, draw) = ckptsim_sim::swarm::draw(&spec, seed);
    out!("{draw}");
    s
}

/// The protocol variant called `name`, or `None` after listing the known ones.
fn variant_named(name: &str) -> Option<ckptsim::Variant> {
    let found = ckptsim::Variant::ALL.into_iter().find(|x| x.name() == name);
    if found.is_none() {
        let names: Vec<&str> = ckptsim::Variant::ALL.iter().map(|v| v.name()).collect();
        diag!("unknown variant `{name}` (known: {})", names.join(", "));
    }
    found
}

// ------------------------------------------------------------------ subcommands

/// `ckptsim run`: one seed, its tables and verdict; optionally the trace and the Chrome trace.
fn cmd_run(a: RunArgs) -> Result<ExitCode> {
    let inputs = std::slice::from_ref(&a.scenario);
    if let Some(p) = &a.trace {
        check_not_an_input("--trace", p, inputs)?;
        check_writable_file("--trace", p)?;
    }
    if let Some(p) = &a.chrome_trace {
        check_not_an_input("--chrome-trace", p, inputs)?;
        check_writable_file("--chrome-trace", p)?;
    }
    if a.scenario.extension().is_some_and(|e| e == "replay") {
        return run_replay_file(&a.scenario);
    }
    let Some(mut spec) = load_or_report(&a.scenario) else { return Ok(ExitCode::from(2)) };
    if a.max_events.is_some() {
        spec.max_events = a.max_events;
    }
    if let Some(name) = &a.variant {
        let Some(v) = variant_named(name) else { return Ok(ExitCode::from(2)) };
        spec.variant = v;
    }
    let seed = a.seed.unwrap_or(spec.default_seed);
    let spec = with_swarm(spec, seed, a.swarm);
    // The whole trace only when a file asks for it; the verdict, tables and hash are the same.
    let o = if a.trace.is_some() || a.chrome_trace.is_some() {
        outcome::run(&spec, seed)
    } else {
        outcome::run_lean(&spec, seed)
    };
    let text = outcome::render(&spec, &o);
    if a.swarm || a.variant.is_some() {
        // The replay line must redo the swarm draw and the variant, or it replays another run.
        let plain = format!(" --seed {}\n", o.seed);
        let extra = format!(
            "{}{}",
            if a.swarm { " --swarm" } else { "" },
            a.variant.as_deref().map(|v| format!(" --variant {v}")).unwrap_or_default()
        );
        out!("{}", text.replace(&plain, &format!(" --seed {}{extra}\n", o.seed)));
    } else {
        out!("{text}");
    }
    if o.budget_exhausted() {
        outln!("signature: budget/event-budget@end:-:-");
    } else if !o.passed() {
        if let Some((sig, a)) = ckptsim_sim::signature::primary(&spec, &o) {
            outln!("signature: {sig}\n  {}: {}", a.checker, a.text);
        }
    }
    if let Some(path) = a.trace {
        std::fs::write(&path, o.run.trace.text()).with_context(|| format!("writing {}", path.display()))?;
        outln!("trace:   {} ({} events)", path.display(), o.run.trace.len());
    }
    if let Some(path) = a.chrome_trace {
        std::fs::write(&path, chrome::chrome_trace_json(&spec, &o))
            .with_context(|| format!("writing {}", path.display()))?;
        outln!("chrome trace: {} (open in Perfetto or chrome://tracing)", path.display());
    }
    Ok(if o.budget_exhausted() {
        ExitCode::from(3)
    } else if o.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `ckptsim report`: one seed drawn as an HTML page; exit 0 once written, whatever the verdict.
fn cmd_report(a: ReportArgs) -> Result<ExitCode> {
    check_not_an_input("--output", &a.output, std::slice::from_ref(&a.scenario))?;
    check_writable_file("--output", &a.output)?;
    let Some(spec) = load_or_report(&a.scenario) else { return Ok(ExitCode::from(2)) };
    let seed = a.seed.unwrap_or(spec.default_seed);
    let spec = with_swarm(spec, seed, a.swarm);
    let o = outcome::run(&spec, seed);
    let html = report::render_html(&spec, &o, &report::ReportOptions::default());
    std::fs::write(&a.output, &html).with_context(|| format!("writing {}", a.output.display()))?;
    outln!(
        "report:  {} ({} bytes); verdict {}",
        a.output.display(),
        html.len(),
        if o.passed() { "PASS" } else { "FAIL" }
    );
    Ok(ExitCode::SUCCESS)
}

/// `ckptsim check`: one result line per file (the table is the output: stdout), exit 2 if any is invalid.
fn cmd_check(paths: &[PathBuf]) -> Result<ExitCode> {
    let files = load::collect_scenarios(paths)?;
    if files.is_empty() {
        diag!("error: no scenario files to check (give .toml files or folders holding them)");
        return Ok(ExitCode::from(2));
    }
    let mut bad = 0;
    for f in &files {
        // Validation only: generators are judged by their parameters, never expanded,
        // so `check` costs O(file) (bounded by the file-size limit).
        match ckptsim_sim::scenario::load(f) {
            Ok(_) => outln!("ok    {}", f.display()),
            Err(e) => {
                bad += 1;
                outln!("error {e}");
            }
        }
    }
    outln!("{} files, {} valid, {} invalid", files.len(), files.len() - bad, bad);
    Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

/// `ckptsim bench`: measures, prints the Markdown block, and appends it to BENCHMARKS.md.
fn cmd_bench(a: BenchArgs) -> Result<ExitCode> {
    let mut cfg =
        if a.quick { bench::BenchConfig::quick(a.root.clone()) } else { bench::BenchConfig::full(a.root.clone()) };
    if let Some(n) = a.records {
        cfg.throughput_records = n;
    }
    if let Some(s) = a.seed_series {
        cfg.seed_series = s;
    }
    if let Some(b) = a.budget {
        cfg.seed_budget_s = b;
    }
    if let Some(o) = a.only {
        cfg.only = o;
    }
    let path = if a.out.is_absolute() { a.out } else { a.root.join(a.out) };
    if !a.no_write {
        check_writable_file("--out", &path)?;
    }
    if cfg!(debug_assertions) {
        diag!("warning: a debug build; benchmark numbers are meaningless (use --release)");
    }
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(|x| format!(" · load {x}")))
        .unwrap_or_default();
    let header = format!(
        "{} · commit {} · {} · {}{load}{}{}",
        today_utc(),
        git_commit(&a.root),
        machine(),
        rustc_version(),
        if a.quick { " · --quick" } else { "" },
        a.label.map(|l| format!(" · {l}")).unwrap_or_default()
    );
    diag!("bench: {header}");
    let report = bench::run(&cfg, |line| diag!("  {line}"))?;
    let block = report.markdown(&header);
    out!("{block}");
    if !a.no_write {
        let doc = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, bench::insert_speed_section(&doc, SPEED_INTRO, &block))?;
        diag!("appended to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `ckptsim fuzz-case`: the scenario a `whole_sim` fuzz input decodes to.
fn cmd_fuzz_case(a: FuzzCaseArgs) -> Result<ExitCode> {
    let Some(v) = variant_named(&a.variant) else { return Ok(ExitCode::from(2)) };
    if let Some(p) = &a.output {
        check_not_an_input("--output", p, std::slice::from_ref(&a.input))?;
        check_writable_file("--output", p)?;
    }
    let data = read_bounded_text("reading", &a.input)?;
    let (mut spec, seed) = fuzzing::whole_sim_spec(v, &data);
    spec.default_seed = seed;
    let stem = a.input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    spec.name = format!("fuzz-{}-{}", a.variant, &name[..name.len().min(24)]);
    let o = outcome::run(&spec, seed);
    let failing: Vec<&str> = o.verdicts.iter().filter(|v| v.passed == Some(false)).map(|v| v.checker).collect();
    if v != ckptsim::Variant::Correct {
        spec.expect.caught_by = failing.first().map(|c| c.to_string());
    }
    let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
    let header = format!(
        "The whole_sim fuzz job decoded from {} (bytes {hex}) under variant {}, seed {seed}.\n\
         Failing checkers under seed {seed}: {}.",
        a.input.display(),
        a.variant,
        if failing.is_empty() { "none".to_string() } else { failing.join(", ") }
    );
    let text = emit::to_toml(&spec, &header);
    match a.output {
        Some(p) => std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?,
        None => out!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `ckptsim shrink`: a failing scenario reduced to a regression file that fails the same way.
/// Progress (the shrink's steps, notes) goes to stderr; the result to stdout.
fn cmd_shrink(a: ShrinkArgs) -> Result<ExitCode> {
    let Some(spec) = load_or_report(&a.scenario) else { return Ok(ExitCode::from(2)) };
    let stem = a.scenario.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "scenario".into());
    let output = a.output.unwrap_or_else(|| PathBuf::from(format!("scenarios/regressions/{stem}-shrunk.toml")));
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("--output {}: cannot create its folder", output.display()))?;
    }
    check_not_an_input("--output", &output, std::slice::from_ref(&a.scenario))?;
    check_writable_file("--output", &output)?;
    let seed = a.seed.unwrap_or(spec.default_seed);
    let spec = with_swarm(spec, seed, a.swarm);
    let target = match (a.checker, a.expectation, &spec.expect.caught_by) {
        (Some(c), _, _) => Target::Checker(c),
        (None, Some(e), _) => Target::Expectation(e),
        (None, None, Some(c)) => Target::Checker(c.clone()),
        (None, None, None) => match shrink::failing_target(&outcome::run(&spec, seed)) {
            Some(t) => t,
            None => {
                outln!(
                    "{}: nothing to shrink, every checker and expectation held under seed {seed}",
                    a.scenario.display()
                );
                return Ok(ExitCode::from(1));
            }
        },
    };
    let mut seeds = vec![seed];
    let second = seed.wrapping_add(7919);
    if !a.one_seed {
        if shrink::still_fails(&spec, &target, second) {
            seeds.push(second);
        } else {
            diag!("note: {target} does not fail the same way under seed {second}; shrinking under seed {seed} only (the suite's determinism test may flag the regression)");
        }
    }
    let name = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| format!("{stem}-shrunk"));
    diag!("shrinking {} (seed {seed}, {target}) ...", a.scenario.display());
    let t0 = std::time::Instant::now();
    let shrunk = match shrink::shrink(&spec, &target, &shrink::Options { seeds: seeds.clone(), max_runs: a.max_runs }) {
        Ok(s) => s,
        Err(e) => {
            diag!("cannot shrink: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    for line in &shrunk.log {
        diag!("  {line}");
    }
    let reg = shrink::regression_spec(&shrunk, &name, seed);
    let text = shrink::regression_toml(
        &shrunk,
        &reg,
        &output.display().to_string(),
        &a.scenario.display().to_string(),
        &seeds,
        a.note.as_deref().unwrap_or(""),
    );
    if let Err(e) = shrink::verify_written(&text, &shrunk.target, shrunk.exclusive, &seeds) {
        diag!("cannot write a regression: {e}");
        return Ok(ExitCode::from(1));
    }
    std::fs::write(&output, &text).with_context(|| format!("writing {}", output.display()))?;
    outln!("before: {}\nafter:  {}", shrunk.before, shrunk.after);
    outln!("{}: {}", shrunk.target, shrunk.what_failed);
    if let Some(sig) = &shrunk.signature {
        outln!("signature (kept by every step): {sig}");
    }
    outln!(
        "{} runs in {:.1} s; wrote {} (replay: cargo run --release -- run {} --seed {seed})",
        shrunk.runs,
        t0.elapsed().as_secs_f64(),
        output.display(),
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `--visited` of `explore --exhaust`, or None (reported) when it names no visited set or the
/// hash-compaction table it sizes for `--max-states` would pass [`explore::COMPACT_MAX_SLOTS`].
fn exhaust_visited(a: &ExploreArgs) -> Option<explore::VisitedKind> {
    let visited = match a.visited.as_str() {
        "auto" => explore::VisitedKind::Auto,
        "exact" => explore::VisitedKind::Exact,
        "compact" => explore::VisitedKind::Compact,
        other => {
            diag!("--visited {other}: expected auto, exact or compact");
            return None;
        }
    };
    if visited.is_compact_for(a.max_states) && a.max_states > explore::COMPACT_MAX_STATES {
        diag!(
            "--max-states {}: the hash-compaction visited set (`--visited {}`) is sized once for it, at most {} slots of 4 bytes (16 GiB) holding {} states; give at most that many",
            a.max_states,
            a.visited,
            explore::COMPACT_MAX_SLOTS,
            explore::COMPACT_MAX_STATES
        );
        return None;
    }
    Some(visited)
}

/// `ckptsim explore`: search (or replay a path) and print the result.
fn cmd_explore(a: ExploreArgs) -> Result<ExitCode> {
    let bounds = explore::Bounds {
        max_depth: a.depth,
        max_failures: a.failures,
        max_ticks: a.ticks,
        max_losses: a.losses,
        max_tm_crashes: a.tm_crashes,
        max_jm_failovers: a.jm_failovers,
        max_zombies: a.zombies,
        max_rescales: a.rescales,
        max_stops: a.stops,
        max_cancels: a.cancels,
        max_ack_losses: a.ack_losses,
        max_requests: a.requests,
        max_hb_timeouts: a.hb_timeouts,
        max_tm_hb_timeouts: a.tm_hb_timeouts,
        max_jm_hb_timeouts: a.jm_hb_timeouts,
        max_late_ticks: a.late_ticks,
        max_jm_late_ticks: a.jm_late_ticks,
        forget_spent: !a.keep_spent,
        subsume_late: !a.no_subsume,
        max_slow_uploads: a.slow_uploads,
        max_states: a.max_states,
        reduce: !a.no_reduce,
        reduce_feeders: a.feeders,
        jm_in_group: a.jm_in_group,
        fast_reduce: a.fast_reduce,
        // An exhaustive search promises no shortest counterexample, so it takes the smaller
        // persistent sets that may lengthen one (session 31; `--jm-keep` for the older sets).
        jm_left_out: a.jm_out || (a.exhaust && !a.jm_keep),
        eager_ticks: a.eager_ticks,
        jm_commute: a.jm_commute,
        sleep: match a.sleep.as_deref() {
            None | Some("off") => explore::Sleep::Off,
            Some("siblings") => explore::Sleep::Siblings,
            Some("inherit") => explore::Sleep::Inherit,
            Some(other) => {
                diag!("--sleep {other}: expected off, siblings or inherit");
                return Ok(ExitCode::from(2));
            }
        },
    };
    let Some(mut spec) = load_or_report(&a.scenario) else { return Ok(ExitCode::from(2)) };
    if let Some(name) = &a.variant {
        let Some(v) = variant_named(name) else { return Ok(ExitCode::from(2)) };
        spec.variant = v;
    }
    if let Err(e) = explore::supported(&spec) {
        diag!("{}", explore_refusal(&a.scenario, &e));
        return Ok(ExitCode::from(2));
    }
    if let Some(p) = &a.output {
        check_not_an_input("--output", p, std::slice::from_ref(&a.scenario))?;
        check_writable_file("--output", p)?;
    }
    let ex = explore::Explorer::new(&spec, bounds);
    if let Some(text) = &a.replay {
        return explore_replay(&ex, text);
    }
    let report = if a.walks > 0 {
        ex.explore_walks(a.walks, a.walk_seed)
    } else if a.exhaust {
        let Some(visited) = exhaust_visited(&a) else { return Ok(ExitCode::from(2)) };
        ex.explore_exhaustive_with(explore::ExhaustOptions { visited, progress_every_s: a.progress_s })
    } else if a.dfs {
        ex.explore_dfs()
    } else {
        ex.explore()
    };
    out!("{}", explore::render(&report));
    let Some(v) = &report.violation else { return Ok(ExitCode::SUCCESS) };
    if let Some(out) = a.output.as_ref().filter(|o| o.extension().is_some_and(|e| e == "replay")) {
        let scenario_text = std::fs::read_to_string(&a.scenario)?;
        let text =
            ckptsim_sim::counterexample::write(&a.scenario.display().to_string(), &scenario_text, &spec, bounds, v);
        std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
        outln!("replay: ckptsim run {}", out.display());
        return Ok(ExitCode::from(1));
    }
    if let Some(out) = &a.output {
        let text = format!(
            "# ckptsim explore {} --variant {}: {} after {} steps: {}\npath: {}\n",
            a.scenario.display(),
            spec.variant,
            v.checker,
            v.path.len(),
            v.anomaly,
            v.path.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" ")
        );
        std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    }
    outln!("replay: ckptsim explore {} --variant {} --replay <path>", a.scenario.display(), spec.variant);
    Ok(ExitCode::from(1))
}

/// Why `explore` refuses a scenario, at the key of the file that it refuses (`file:line:column:
/// field: message`, as every scenario error): the first `[[faults]]`, `[[actions]]`, `[kafka]`,
/// `input.gates` or the source operator.
fn explore_refusal(path: &Path, message: &str) -> String {
    let key =
        [("[[faults]]", "faults[0]"), ("[[actions]]", "actions[0]"), ("[kafka]", "kafka"), ("gates", "input.gates")]
            .into_iter()
            .find(|(hint, _)| message.contains(hint))
            .map_or("operators[0].kind", |(_, key)| key);
    let text = std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    ckptsim_sim::scenario::error_at_key(&path.display().to_string(), &text, key, message).to_string()
}

/// `ckptsim run FILE.replay`: replays an explorer counterexample (`tools/counterexample.rs`);
/// exit 1 when it ends in a checker failure (the text says whether it is the one the file
/// names), 0 when it passes, 2 on bad input.
fn run_replay_file(path: &Path) -> Result<ExitCode> {
    let bytes = read_bounded_text("reading", path)?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            // Where the bad byte is, as for a scenario file (`file:line:column: (file): ...`).
            let good = String::from_utf8_lossy(&e.as_bytes()[..e.utf8_error().valid_up_to()]).into_owned();
            let line = good.matches('\n').count() + 1;
            let column = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            diag!("{}:{line}:{column}: (file): the file is not valid UTF-8", path.display());
            return Ok(ExitCode::from(2));
        }
    };
    let file = match ckptsim_sim::counterexample::parse(&path.display().to_string(), &text) {
        Ok(f) => f,
        Err(e) => {
            diag!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    match ckptsim_sim::counterexample::replay(&file) {
        Err(e) => {
            // "step N (...) is not enabled": at the file's `path[N - 1]`.
            let step = e.strip_prefix("step ").and_then(|r| r.split(' ').next()).and_then(|n| n.parse::<usize>().ok());
            let key = step.map_or("path".to_string(), |n| format!("path[{}]", n.saturating_sub(1)));
            diag!("{}", ckptsim_sim::scenario::error_at_key(&path.display().to_string(), &text, &key, e));
            Ok(ExitCode::from(2))
        }
        Ok(r) => {
            out!("{}", r.text);
            Ok(if r.failed.is_some() { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
    }
}

/// `explore --replay`: a path (or a file holding its `path:` line) step by step, and its verdict.
fn explore_replay(ex: &explore::Explorer, text: &str) -> Result<ExitCode> {
    // A path, or a file holding it (read with the scenario file's size limit).
    let text = match std::fs::metadata(text) {
        Ok(m) if !m.is_dir() => String::from_utf8_lossy(&read_bounded_text("--replay", Path::new(text))?).into_owned(),
        _ => text.to_string(),
    };
    let line = text.lines().find_map(|l| l.strip_prefix("path:")).unwrap_or(&text);
    let path: Result<Vec<explore::Choice>, String> = line.split_whitespace().map(str::parse).collect();
    let replayed = path.and_then(|p| ex.replay(&p).map_err(|e| e.to_string()));
    let (lines, verdict) = match replayed {
        Ok(r) => r,
        Err(e) => {
            diag!("--replay: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    for l in lines {
        outln!("{l}");
    }
    Ok(match verdict {
        Some((checker, anomaly)) => {
            outln!("VIOLATION {checker}: {anomaly}");
            ExitCode::from(1)
        }
        None => {
            outln!("no violation at the end of the path");
            ExitCode::SUCCESS
        }
    })
}

/// The text that opens the `## Speed` section of BENCHMARKS.md when the bench creates it.
const SPEED_INTRO: &str =
    "Written by `cargo run --release -- bench` (see `sim/src/tools/bench.rs`); every run appends one \
block below with machine, commit and date. \"per core\" figures divide by the CPU time of the \
measuring thread (`/proc/thread-self/schedstat`), which a busy shared machine inflates less than \
wall time; wall figures are shown beside them. Jobs: every `scenarios/seeds/*.toml`; \
`scenarios/bench/swarm-faults.toml` (most fault kinds at once); `scenarios/bench/throughput-*.toml` \
(log source p4 -> map -> key_by/sum p4 -> 2PC sink, checkpoints every 1 s) scaled to 10^6 records; \
`scenarios/bench/hour.toml` scaled to one virtual hour. The floor (`sim/src/tools/floor.rs`) drives the \
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
