//! `sweep --coverage` and coverage-guided swarm: runs seeds in deterministic generations, folds each run's coverage cells into a map, and (guided) steers new runs toward cells not yet hit.
//!
//! Plain coverage sweep: run `k` of the budget is scenario `k mod S` under seed
//! `first_seed + k / S` (seed-major, so any prefix is a fair sample), swarm-drawn with
//! `--swarm` exactly as `sweep --swarm` and `run --swarm` draw it.
//!
//! Guided swarm (`--guided`, implies swarm): the same fresh draws fill the first two
//! generations and every other slot after; the remaining slots are *children*. A child picks a
//! reachable strike cell `handler/fault/phase` not yet hit (from the guide stream
//! [`GUIDE_STREAM`] of the first seed), a parent from the corpus (runs that hit a new cell)
//! whose run had that handler and was in that phase at some millisecond `t`, and reruns the
//! parent's drawn job under the parent's seed with one more fault of that kind at `t` (a
//! scenario's own fault of that kind, when the swarm never draws it, is moved to `t`
//! instead). Up to `t` the child's run is the parent's run, so the fault strikes in the phase
//! aimed at. With no parent for any missing strike cell, a child shifts one fault of a random
//! corpus entry by up to ±1 s, or adds one fault of a fresh swarm draw.
//!
//! Determinism: a generation's jobs depend only on the map and corpus after the previous
//! generations; its runs go to worker threads and are folded in slot order, so the result
//! never depends on the number of workers.

use crate::coverage::{self, Cell, CoverageMap, Handler, Phase, PhaseIntervals};
use crate::spec::{Fault, FaultAt, FaultName, JobSpec, OpKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The rand_chacha stream of the guide's choices.
pub const GUIDE_STREAM: u64 = 202;

/// What to run.
#[derive(Clone, Debug)]
pub struct CoverageOptions {
    /// The first seed of every scenario (seeds `first_seed..first_seed + seeds`).
    pub first_seed: u64,
    /// Seeds per scenario (the budget is `seeds × scenarios` runs).
    pub seeds: u64,
    /// Worker threads.
    pub jobs: usize,
    /// Swarm testing: each seed draws its configuration and faults (streams 200, 201).
    pub swarm: bool,
    /// Guided: after each generation, rerun corpus jobs with one more fault aimed at a missing cell (stream 202).
    pub guided: bool,
    /// Print progress to stderr.
    pub progress: bool,
}

/// One failing run of a coverage sweep.
#[derive(Clone, Debug)]
pub struct CoverageFailure {
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file.
    pub path: String,
    /// The run's seed.
    pub seed: u64,
    /// `None`: a fresh (replayable with `run --seed N [--swarm]`) run; else how the guide
    /// built the job (its scenario text is in `job`).
    pub lineage: Option<String>,
    /// The failure signature (`checker/kind@phase:operator:fault`).
    pub signature: String,
    /// The job that failed (for a guided child, the rerun job with its added fault).
    pub job: JobSpec,
}

/// The result of a coverage sweep.
#[derive(Clone, Debug, Default)]
pub struct CoverageReport {
    /// The cells hit, with where each was first hit.
    pub map: CoverageMap,
    /// Runs made.
    pub runs: u64,
    /// (runs so far, reachable cells hit) after every generation.
    pub curve: Vec<(u64, usize)>,
    /// Cells that can be reached by the scenarios run (the matrix minus its unreachable cells).
    pub reachable: usize,
    /// Failing runs, in the order found.
    pub failures: Vec<CoverageFailure>,
    /// Wall-clock seconds of the sweep.
    pub wall_s: f64,
    /// Runs that were guided children.
    pub children: u64,
    /// Guided children that hit a cell no run had hit before.
    pub children_new: u64,
}

impl CoverageReport {
    /// Runs needed until `fraction` of the reachable cells were hit (None: never).
    pub fn runs_to(&self, fraction: f64) -> Option<u64> {
        let need = (fraction * self.reachable as f64).ceil() as usize;
        self.curve.iter().find(|(_, hit)| *hit >= need).map(|(r, _)| *r)
    }
}

/// A job of the sweep: which scenario, the job to run, the seed, and how it was built.
#[derive(Clone)]
struct Job {
    si: usize,
    spec: JobSpec,
    seed: u64,
    lineage: Option<String>,
}

/// What a run left.
struct Ran {
    cells: BTreeSet<Cell>,
    intervals: PhaseIntervals,
    passed: bool,
    signature: String,
    stop_at_ms: u64,
}

/// A corpus entry: a run that hit a new cell.
struct Entry {
    si: usize,
    spec: JobSpec,
    seed: u64,
    intervals: PhaseIntervals,
    stop_at_ms: u64,
}

fn run_job(job: &Job) -> Ran {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| crate::outcome::run(&job.spec, job.seed))) {
        Ok(o) => {
            let signature = if o.passed() {
                String::new()
            } else {
                crate::signature::primary(&job.spec, &o)
                    .map(|(s, _)| s.to_string())
                    .unwrap_or_else(|| "expect/unsigned@end:jm:-".into())
            };
            Ran {
                cells: coverage::observe(&job.spec, &o.run),
                intervals: coverage::phase_intervals(&o.run),
                passed: o.passed(),
                signature,
                stop_at_ms: o.run.stop_at_ms,
            }
        }
        Err(_) => Ran {
            cells: BTreeSet::new(),
            intervals: PhaseIntervals::new(),
            passed: false,
            signature: "panic@end:-:-".into(),
            stop_at_ms: 0,
        },
    }
}

/// Runs `jobs` on `workers` threads; results in job order.
fn run_all(jobs: &[Job], workers: usize) -> Vec<Ran> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<(usize, Ran)>> = Mutex::new(Vec::with_capacity(jobs.len()));
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1).min(jobs.len().max(1)) {
            scope.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    mine.push((i, run_job(job)));
                }
                out.lock().expect("results lock").extend(mine);
            });
        }
    });
    let mut done = out.into_inner().expect("results lock");
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The `k`-th fresh job of the seed-major order.
fn fresh(specs: &[JobSpec], opts: &CoverageOptions, k: u64) -> Job {
    let s = specs.len() as u64;
    let si = (k % s) as usize;
    let seed = opts.first_seed.wrapping_add(k / s);
    let spec = if opts.swarm || opts.guided { crate::swarm::draw(&specs[si], seed).0 } else { specs[si].clone() };
    Job { si, spec, seed, lineage: None }
}

/// Runs the coverage sweep of `specs`.
pub fn coverage_sweep(specs: &[JobSpec], opts: &CoverageOptions) -> CoverageReport {
    let start = Instant::now();
    let s = specs.len().max(1) as u64;
    let budget = opts.seeds * s;
    let generation = (2 * s).max(16);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.first_seed);
    rng.set_stream(GUIDE_STREAM);
    let all: Vec<Cell> = coverage::all_cells();
    let reachable: Vec<Cell> = all.iter().copied().filter(|c| coverage::unreachable(*c, specs).is_none()).collect();
    let mut report = CoverageReport { reachable: reachable.len(), ..CoverageReport::default() };
    let mut corpus: Vec<Entry> = Vec::new();
    let mut next_fresh = 0u64;
    let mut gen_index = 0u64;
    while report.runs < budget {
        let size = generation.min(budget - report.runs);
        let mut jobs = Vec::with_capacity(size as usize);
        for slot in 0..size {
            let child = opts.guided && gen_index >= 2 && slot % 2 == 1 && !corpus.is_empty();
            let job = if child {
                let missing: Vec<Cell> =
                    reachable.iter().copied().filter(|c| !report.map.hits.contains_key(c)).collect();
                make_child(specs, &corpus, &missing, &mut rng)
            } else {
                None
            };
            jobs.push(job.unwrap_or_else(|| {
                let j = fresh(specs, opts, next_fresh);
                next_fresh += 1;
                j
            }));
        }
        let results = run_all(&jobs, opts.jobs);
        for (job, ran) in jobs.into_iter().zip(results) {
            let new = report.map.add(&ran.cells, &specs[job.si].name, job.seed);
            report.runs += 1;
            if job.lineage.is_some() {
                report.children += 1;
                report.children_new += u64::from(new > 0);
            }
            if !ran.passed {
                report.failures.push(CoverageFailure {
                    scenario: specs[job.si].name.clone(),
                    path: specs[job.si].source_path.clone(),
                    seed: job.seed,
                    lineage: job.lineage.clone(),
                    signature: ran.signature.clone(),
                    job: job.spec.clone(),
                });
            }
            if new > 0 && opts.guided {
                corpus.push(Entry {
                    si: job.si,
                    spec: job.spec,
                    seed: job.seed,
                    intervals: ran.intervals,
                    stop_at_ms: ran.stop_at_ms,
                });
            }
        }
        let hit = reachable.iter().filter(|c| report.map.hits.contains_key(c)).count();
        report.curve.push((report.runs, hit));
        if opts.progress {
            eprint!("\r  {}/{budget} runs, {hit}/{} cells", report.runs, reachable.len());
        }
        gen_index += 1;
    }
    if opts.progress {
        eprintln!();
    }
    report.wall_s = start.elapsed().as_secs_f64();
    report
}

/// A child job aimed at a missing strike cell, or a random mutation; None: a fresh draw.
fn make_child(specs: &[JobSpec], corpus: &[Entry], missing: &[Cell], rng: &mut ChaCha8Rng) -> Option<Job> {
    let strikes: Vec<(Handler, usize, Phase)> = missing
        .iter()
        .filter_map(|c| match *c {
            Cell::Strike { handler, fault, phase } => Some((handler, fault, phase)),
            Cell::Situation(_) => None,
        })
        .collect();
    // Aim at a missing strike cell (a few tries), else mutate at random.
    for _ in 0..8 {
        if strikes.is_empty() {
            break;
        }
        let (handler, fault, phase) = strikes[rng.random_range(0..strikes.len())];
        let name = coverage::FAULT_KINDS[fault];
        let parents: Vec<&Entry> = corpus
            .iter()
            .filter(|e| Handler::of(&e.spec) == handler && can_strike(&specs[e.si], &e.spec, name))
            .filter(|e| phase == Phase::Idle || e.intervals.get(&phase).is_some_and(|v| !v.is_empty()))
            .collect();
        if parents.is_empty() {
            continue;
        }
        let parent = parents[rng.random_range(0..parents.len())];
        let Some(t) = time_in_phase(parent, phase, rng) else { continue };
        let mut spec = parent.spec.clone();
        let Some(how) = strike(&specs[parent.si], &mut spec, name, t, rng) else { continue };
        return Some(Job {
            si: parent.si,
            spec,
            seed: parent.seed,
            lineage: Some(format!(
                "seed {} of {} + {how} (aimed at {handler:?}/{name}/{})",
                parent.seed,
                specs[parent.si].name,
                phase.name()
            )),
        });
    }
    let parent = &corpus[rng.random_range(0..corpus.len())];
    let mut spec = parent.spec.clone();
    let how = if !spec.faults.is_empty() && rng.random_bool(0.5) {
        let i = rng.random_range(0..spec.faults.len());
        let shift = rng.random_range(-1_000i64..=1_000);
        match &mut spec.faults[i].at {
            FaultAt::Time(at) => {
                *at = (*at as i64 + shift).clamp(1, parent.stop_at_ms.max(2) as i64 - 1) as u64;
                format!("fault {i} moved by {shift} ms")
            }
            _ => return None,
        }
    } else {
        let donor_seed: u64 = rng.random();
        let (donor, _) = crate::swarm::draw_faults(&spec, donor_seed);
        let extra: Vec<Fault> = donor.faults[spec.faults.len()..].to_vec();
        if extra.is_empty() {
            return None;
        }
        let f = extra[rng.random_range(0..extra.len())].clone();
        let how = format!("{:?} added from the swarm draw of seed {donor_seed}", f.kind);
        spec.faults.push(f);
        how
    };
    Some(Job {
        si: parent.si,
        spec,
        seed: parent.seed,
        lineage: Some(format!("seed {} of {} + {how}", parent.seed, specs[parent.si].name)),
    })
}

/// A millisecond at which the parent's run was in `phase` (idle: no other phase active).
fn time_in_phase(parent: &Entry, phase: Phase, rng: &mut ChaCha8Rng) -> Option<u64> {
    let end = parent.stop_at_ms.max(2);
    if phase == Phase::Idle {
        for _ in 0..16 {
            let t = rng.random_range(1..end);
            if coverage::phases_at(&parent.intervals, t) == vec![Phase::Idle] {
                return Some(t);
            }
        }
        return None;
    }
    let spans = parent.intervals.get(&phase)?;
    let (a, b) = spans[rng.random_range(0..spans.len())];
    (b > a && a > 0 && a < end).then(|| rng.random_range(a..b.min(end)))
}

/// Whether a child of `drawn` (a job of scenario `base`) may get a fault of kind `name`: the
/// swarm could draw it for this job, or the scenario has one to move.
fn can_strike(base: &JobSpec, drawn: &JobSpec, name: FaultName) -> bool {
    match name {
        FaultName::JmCrash | FaultName::StorageSlow => {
            base.faults.iter().any(|f| coverage::fault_name(&f.kind) == name)
        }
        FaultName::BrokerOutage => drawn.operators.iter().any(|o| matches!(o.kind, OpKind::LogSource { .. })),
        FaultName::SinkStoreOutage => drawn.operators.iter().any(|o| o.kind == OpKind::TwoPhaseCommitSink),
        _ => true,
    }
}

/// Adds a fault of kind `name` at `t` to `spec` (or moves the scenario's own one there, for
/// kinds the swarm never draws); returns what it did.
fn strike(base: &JobSpec, spec: &mut JobSpec, name: FaultName, t: u64, rng: &mut ChaCha8Rng) -> Option<String> {
    if matches!(name, FaultName::JmCrash | FaultName::StorageSlow) {
        let i = base.faults.iter().position(|f| coverage::fault_name(&f.kind) == name)?;
        // The drawn job keeps the scenario's faults first, in order.
        spec.faults.get_mut(i)?.at = FaultAt::Time(t);
        return Some(format!("{name} moved to {t} ms"));
    }
    let tasks: Vec<String> = spec
        .operators
        .iter()
        .filter(|o| !o.kind.is_partitioning())
        .flat_map(|o| (0..o.parallelism).map(move |s| format!("{}[{s}]", o.name)))
        .collect();
    let ops: Vec<String> = spec
        .operators
        .iter()
        .filter(|o| !o.kind.is_source() && !o.kind.is_partitioning())
        .map(|o| o.name.clone())
        .collect();
    if tasks.is_empty() || ops.is_empty() {
        return None;
    }
    let tms = spec.cluster.task_managers.max(1);
    let window_ms = (spec.stop_at_ms / 2).max(1_000);
    let (kind, duration_ms) = crate::swarm::draw_fault_kind(name, rng, &tasks, &ops, tms, window_ms)?;
    let how = format!("{} at {t} ms", kind.label());
    spec.faults.push(Fault { at: FaultAt::Time(t), duration_ms, kind });
    Some(how)
}

/// The text `sweep --coverage` prints after the matrix.
pub fn render_summary(r: &CoverageReport, specs: &[JobSpec], guided: bool) -> String {
    use std::fmt::Write as _;
    let mut s = r.map.render(specs);
    let (hit, reachable) = r.map.reachable_hit(specs);
    let _ = write!(
        s,
        "{} runs ({}), {hit}/{reachable} reachable cells",
        r.runs,
        if guided { "guided swarm" } else { "plain" }
    );
    for f in [0.5, 0.75, 0.9, 0.95] {
        match r.runs_to(f) {
            Some(n) => {
                let _ = write!(s, "; {:.0}% after {n} runs", f * 100.0);
            }
            None => {
                let _ = write!(s, "; {:.0}% not reached", f * 100.0);
            }
        }
    }
    let _ = writeln!(s, "; {:.1} s wall", r.wall_s);
    if guided {
        let _ = writeln!(s, "guided children: {} runs, {} hit a new cell", r.children, r.children_new);
    }
    for f in &r.failures {
        match &f.lineage {
            None => {
                let _ = writeln!(
                    s,
                    "FAIL {}  replay: cargo run --release -- run {} --seed {} --swarm",
                    f.signature, f.path, f.seed
                );
            }
            Some(l) => {
                let _ = writeln!(s, "FAIL {}  guided child: {l}", f.signature);
            }
        }
    }
    s
}

/// A guided child's job as a scenario file (`ckptsim run` replays it under `seed`).
pub fn child_scenario(f: &CoverageFailure) -> String {
    let mut job = f.job.clone();
    job.default_seed = f.seed;
    let header = format!(
        "A coverage-guided swarm child that failed ({}).\n{}\nReplay: cargo run --release -- run <this file> --seed {}",
        f.signature,
        f.lineage.clone().unwrap_or_default(),
        f.seed
    );
    crate::emit::to_toml(&job, &header)
}

/// Writes every failing guided child of `r` into `dir` as `child-<n>-<scenario>.toml`.
pub fn write_children(r: &CoverageReport, dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut out = Vec::new();
    for (n, f) in r.failures.iter().filter(|f| f.lineage.is_some()).enumerate() {
        let path = dir.join(format!("child-{n}-{}.toml", f.scenario));
        std::fs::write(&path, child_scenario(f))?;
        out.push(path);
    }
    Ok(out)
}
