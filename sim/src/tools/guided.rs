//! `sweep --coverage` and coverage-guided swarm: runs seeds in deterministic generations, folds each run's coverage cells into a map, and (guided) steers new runs toward cells not yet hit.
//!
//! Plain coverage sweep: run `k` of the budget is scenario `k mod S` under seed
//! `first_seed + k / S` (seed-major, so any prefix is a fair sample), swarm-drawn with
//! `--swarm` exactly as `sweep --swarm` and `run --swarm` draw it.
//!
//! Guided swarm (`--guided`, implies swarm): the same fresh draws fill the first two
//! generations and every other slot after; the remaining slots are *children*, drawn from the
//! guide stream [`GUIDE_STREAM`] of the first seed:
//!
//! * When a *situation* cell is missing that a scenario of the set can reach, half the
//!   children aim at one: a fresh swarm draw of such a scenario (a guide-drawn seed) with the
//!   situation's recipe forced on it (`guided_recipes.rs`: the fault kinds and configuration
//!   draws — sink kind, checkpoint mode, timeout, tolerable failures, restart strategy — that
//!   make it likely; e.g. `producer-fenced` = a two-phase-commit sink and JobManager–TaskManager
//!   partitions).
//! * The others aim at a missing *strike* cell `handler/fault/phase`: a parent from the corpus
//!   whose run had that handler and was in that phase at some millisecond `t`, rerun under the
//!   parent's seed with one more fault of that kind at `t` (of a kind the swarm never draws,
//!   `jm-crash` and `storage-slow`: a copy of the scenario's own one). Up to `t` the child's run
//!   is the parent's run, so the fault strikes in the phase aimed at. The corpus holds runs that
//!   hit a new cell and runs that can parent a missing strike cell no corpus entry can. With no parent
//!   for any missing strike cell, a child forces a missing strike cell's handler and fault kind
//!   on a fresh draw, or shifts one fault of a random corpus entry by up to ±1 s, or adds one
//!   fault of a fresh swarm draw.
//!
//! `until_cells` stops the sweep at the run that hits that many reachable cells; the report
//! gives the run (and CPU seconds) at which 90%, 95%, 99% and 100% of them were first hit.
//!
//! Determinism: a generation's jobs depend only on the map and corpus after the previous
//! generations; its runs go to worker threads and are folded in slot order, so the result
//! never depends on the number of workers.
//!
//! Memory: what the sweep keeps does not grow with its runs. Each failure goes to the caller's
//! sink as it is folded ([`coverage_sweep_streaming`]) and the report keeps the first
//! [`KEPT_COVERAGE_FAILURES`] (each with its whole job); the curve keeps at most two points per
//! number of cells hit (its first run and the latest generation's end); the corpus holds only
//! runs that hit a new cell or can parent a missing one; a generation's jobs and results
//! (`2 × scenarios` runs) are dropped after it.

use crate::coverage::{self, Cell, CoverageMap, Handler, Phase, PhaseIntervals};
use crate::spec::{Fault, FaultAt, FaultName, JobSpec, OpKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use recipes::Recipe;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

#[path = "guided_recipes.rs"]
pub mod recipes;

/// The rand_chacha stream of the guide's choices.
pub const GUIDE_STREAM: u64 = 202;

/// What to run.
#[derive(Clone, Debug, Default)]
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
    /// Stop once this many reachable cells were hit (capped at the reachable count:
    /// `usize::MAX` is "every reachable cell"); the seed budget still bounds the sweep.
    pub until_cells: Option<usize>,
}

/// When a sweep first reached a share of the reachable cells.
#[derive(Clone, Debug, PartialEq)]
pub struct Milestone {
    /// The share of the reachable cells (0.9 = 90%).
    pub fraction: f64,
    /// The cells that share is (rounded up).
    pub cells: usize,
    /// Runs made when it was reached (the run that hit the last of them included).
    pub runs: u64,
    /// CPU seconds of the process by then (Linux; None elsewhere).
    pub cpu_s: Option<f64>,
    /// Wall-clock seconds by then.
    pub wall_s: f64,
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
    /// (runs so far, reachable cells hit) after every run that hit a new cell and at the end of
    /// every generation.
    pub curve: Vec<(u64, usize)>,
    /// When 90%, 95%, 99% and 100% of the reachable cells (and the `until_cells` target) were
    /// first reached, in the order reached.
    pub milestones: Vec<Milestone>,
    /// The `until_cells` target (capped at the reachable cells), if any.
    pub target: Option<usize>,
    /// CPU seconds of the whole sweep (Linux; None elsewhere).
    pub cpu_s: Option<f64>,
    /// Fresh (seed-list) seeds per scenario used, rounded up.
    pub fresh_seeds: u64,
    /// Cells that can be reached by the scenarios run (the matrix minus its unreachable cells).
    pub reachable: usize,
    /// Failing runs (all of them; [`Self::failures`] keeps the first ones).
    pub failed: u64,
    /// The first [`KEPT_COVERAGE_FAILURES`] failing runs, in the order found (every one goes
    /// to [`coverage_sweep_streaming`]'s sink).
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

/// Failing runs a coverage report keeps whole (with their jobs).
pub const KEPT_COVERAGE_FAILURES: usize = 100;

/// Runs the coverage sweep of `specs`.
pub fn coverage_sweep(specs: &[JobSpec], opts: &CoverageOptions) -> CoverageReport {
    coverage_sweep_streaming(specs, opts, &mut |_| {})
}

/// [`coverage_sweep`], each failing run handed to `sink` as it is folded in (in the order the
/// report lists them; the command prints its line and writes a guided child's file then).
pub fn coverage_sweep_streaming(
    specs: &[JobSpec],
    opts: &CoverageOptions,
    sink: &mut dyn FnMut(&CoverageFailure),
) -> CoverageReport {
    let s = specs.len().max(1) as u64;
    let budget = opts.seeds * s;
    let generation = (2 * s).max(16);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.first_seed);
    rng.set_stream(GUIDE_STREAM);
    let mut sweep = Sweep::new(specs, opts);
    let mut gen_index = 0u64;
    while sweep.report.runs < budget && !sweep.reached() {
        let size = generation.min(budget - sweep.report.runs);
        let missing: Vec<Cell> =
            sweep.reachable.iter().copied().filter(|c| !sweep.report.map.hits.contains_key(c)).collect();
        let jobs = sweep.generation_jobs(gen_index, size, &missing, &mut rng);
        let results = run_all(&jobs, opts.jobs);
        for (job, ran) in jobs.into_iter().zip(results) {
            sweep.fold(job, ran, &missing, sink);
            if sweep.reached() {
                break;
            }
        }
        let (runs, hit) = (sweep.report.runs, sweep.hit);
        push_generation_end(&mut sweep.report.curve, runs, hit);
        if opts.progress {
            eprint!("\r  {runs}/{budget} runs, {hit}/{} cells", sweep.reachable.len());
        }
        gen_index += 1;
    }
    if opts.progress {
        eprintln!();
    }
    let mut report = sweep.report;
    report.wall_s = sweep.start.elapsed().as_secs_f64();
    report.cpu_s = cpu_since(sweep.cpu_start);
    report.fresh_seeds = sweep.next_fresh.div_ceil(s);
    report
}

/// The curve's point at a generation's end: a plateau (the last two points at the same count
/// of cells) moves its end point instead of growing by one point per generation.
fn push_generation_end(curve: &mut Vec<(u64, usize)>, runs: u64, hit: usize) {
    match curve.as_slice() {
        [.., (r, _)] if *r == runs => {}
        [.., (_, a), (_, b)] if *a == hit && *b == hit => *curve.last_mut().expect("two points") = (runs, hit),
        _ => curve.push((runs, hit)),
    }
}

/// The state of a coverage sweep between runs: the report so far, the reachable cells and the
/// milestones still to reach, the guided corpus and the next fresh job.
struct Sweep<'a> {
    specs: &'a [JobSpec],
    opts: &'a CoverageOptions,
    reachable: Vec<Cell>,
    milestones: Vec<(f64, usize)>,
    target: Option<usize>,
    corpus: Vec<Entry>,
    report: CoverageReport,
    hit: usize,
    next_fresh: u64,
    start: Instant,
    cpu_start: Option<f64>,
}

impl<'a> Sweep<'a> {
    /// Before the first run: the reachable cells and the milestones (90/95/99/100% and the
    /// `until_cells` target).
    fn new(specs: &'a [JobSpec], opts: &'a CoverageOptions) -> Sweep<'a> {
        let (start, cpu_start) = (Instant::now(), process_cpu_s());
        let reachable: Vec<Cell> =
            coverage::all_cells().into_iter().filter(|c| coverage::unreachable(*c, specs).is_none()).collect();
        let target = opts.until_cells.map(|n| n.min(reachable.len()));
        let report = CoverageReport { reachable: reachable.len(), target, ..CoverageReport::default() };
        let mut milestones: Vec<(f64, usize)> =
            MILESTONES.iter().map(|&f| (f, (f * reachable.len() as f64).ceil() as usize)).collect();
        if let Some(t) = target {
            if !milestones.iter().any(|&(_, n)| n == t) {
                milestones.push((t as f64 / reachable.len().max(1) as f64, t));
            }
        }
        let corpus = Vec::new();
        Sweep { specs, opts, reachable, milestones, target, corpus, report, hit: 0, next_fresh: 0, start, cpu_start }
    }

    /// Whether the `until_cells` target is reached.
    fn reached(&self) -> bool {
        self.target.is_some_and(|t| self.hit >= t)
    }

    /// The jobs of generation `gen_index`: fresh jobs of the seed-major order, and (guided, from
    /// the third generation on) a child in every other slot while cells are missing.
    fn generation_jobs(&mut self, gen_index: u64, size: u64, missing: &[Cell], rng: &mut ChaCha8Rng) -> Vec<Job> {
        let guided = self.opts.guided && gen_index >= 2;
        let aims = if guided { aimable(self.specs, &self.corpus, missing) } else { Vec::new() };
        let mut jobs = Vec::with_capacity(size as usize);
        for slot in 0..size {
            let child = guided && slot % 2 == 1 && !missing.is_empty();
            let job = if child { make_child(self.specs, &self.corpus, missing, &aims, rng) } else { None };
            jobs.push(job.unwrap_or_else(|| {
                let j = fresh(self.specs, self.opts, self.next_fresh);
                self.next_fresh += 1;
                j
            }));
        }
        jobs
    }

    /// Folds one run into the map, the curve, the milestones, the failures and (guided) the
    /// corpus; `missing` is what was missing when its generation was drawn.
    fn fold(&mut self, job: Job, ran: Ran, missing: &[Cell], sink: &mut dyn FnMut(&CoverageFailure)) {
        let specs = self.specs;
        let report = &mut self.report;
        let new = report.map.add(&ran.cells, &specs[job.si].name, job.seed);
        report.runs += 1;
        if job.lineage.is_some() {
            report.children += 1;
            report.children_new += u64::from(new > 0);
        }
        if !ran.passed {
            let f = CoverageFailure {
                scenario: specs[job.si].name.clone(),
                path: specs[job.si].source_path.clone(),
                seed: job.seed,
                lineage: job.lineage.clone(),
                signature: ran.signature.clone(),
                job: job.spec.clone(),
            };
            sink(&f);
            report.failed += 1;
            if report.failures.len() < KEPT_COVERAGE_FAILURES {
                report.failures.push(f);
            }
        }
        if new > 0 {
            self.hit = self.reachable.iter().filter(|c| report.map.hits.contains_key(c)).count();
            report.curve.push((report.runs, self.hit));
            for &(fraction, cells) in &self.milestones {
                if self.hit >= cells && !report.milestones.iter().any(|m| m.cells == cells) {
                    report.milestones.push(Milestone {
                        fraction,
                        cells,
                        runs: report.runs,
                        cpu_s: cpu_since(self.cpu_start),
                        wall_s: self.start.elapsed().as_secs_f64(),
                    });
                }
            }
        }
        if self.opts.guided {
            // A run joins the corpus when it hit a new cell, or when it can parent a missing
            // strike cell that no corpus entry can (e.g. an aligned run of a scenario with
            // a JobManager crash of its own, whose alignment a child's copy then strikes).
            let entry = Entry {
                si: job.si,
                spec: job.spec,
                seed: job.seed,
                intervals: ran.intervals,
                stop_at_ms: ran.stop_at_ms,
            };
            let corpus = &self.corpus;
            let opens = || {
                missing.iter().any(|c| {
                    !report.map.hits.contains_key(c)
                        && can_parent(specs, &entry, *c)
                        && !corpus.iter().any(|e| can_parent(specs, e, *c))
                })
            };
            if new > 0 || opens() {
                self.corpus.push(entry);
            }
        }
    }
}

/// The fractions of the reachable cells whose first run `sweep --coverage` reports.
pub const MILESTONES: [f64; 4] = [0.9, 0.95, 0.99, 1.0];

/// CPU seconds (user + system, every thread) of this process since `from`, on Linux
/// (`/proc/self/stat`, clock ticks of 1/100 s); None elsewhere.
fn cpu_since(from: Option<f64>) -> Option<f64> {
    Some(process_cpu_s()? - from?)
}

fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces) start with the state (field 3);
    // utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// The missing strike cells some corpus entry can parent, each with its parents' indices.
fn aimable(specs: &[JobSpec], corpus: &[Entry], missing: &[Cell]) -> Vec<(Cell, Vec<usize>)> {
    missing
        .iter()
        .filter(|c| matches!(c, Cell::Strike { .. }))
        .filter_map(|&c| {
            let parents: Vec<usize> = (0..corpus.len()).filter(|&i| can_parent(specs, &corpus[i], c)).collect();
            (!parents.is_empty()).then_some((c, parents))
        })
        .collect()
}

/// Whether a child of `e` can aim at strike cell `c`: the run had that handler, the fault kind
/// can be added (for `jm-crash` and `storage-slow`, which the swarm never draws, a copy of the
/// scenario's own one), and the run was in that phase.
fn can_parent(specs: &[JobSpec], e: &Entry, c: Cell) -> bool {
    let Cell::Strike { handler, fault, phase } = c else { return false };
    let name = coverage::FAULT_KINDS[fault];
    if Handler::of(&e.spec) != handler || !can_strike(&specs[e.si], &e.spec, name) {
        return false;
    }
    let end = e.stop_at_ms.max(2);
    match phase {
        Phase::Idle => true,
        _ => e.intervals.get(&phase).is_some_and(|v| v.iter().any(|&(a, b)| b > a && a > 0 && a < end)),
    }
}

/// A child job aimed at a missing cell, or a random mutation; None: a fresh draw.
///
/// Half the children aim at a missing situation when one is missing that a scenario of the set
/// can reach: a fresh swarm draw of such a scenario (seed from the guide stream) with the
/// situation's recipe forced on it (`guided_recipes.rs`). The others aim at a missing strike
/// cell through a corpus parent that was in the cell's phase (see the module text); with no
/// parent, half of them force the strike cell's recipe (its handler and fault kind) on a fresh
/// draw, half mutate a corpus entry at random.
fn make_child(
    specs: &[JobSpec],
    corpus: &[Entry],
    missing: &[Cell],
    aims: &[(Cell, Vec<usize>)],
    rng: &mut ChaCha8Rng,
) -> Option<Job> {
    let situations: Vec<(Cell, Recipe)> = missing
        .iter()
        .filter_map(|&c| match c {
            Cell::Situation(s) => Some((c, recipes::situation_recipe(s))),
            Cell::Strike { .. } => None,
        })
        .filter(|(_, r)| specs.iter().any(|b| recipes::applies(r, b)))
        .collect();
    let strikes = missing.iter().any(|c| matches!(c, Cell::Strike { .. }));
    if !situations.is_empty() && (!strikes || rng.random_bool(0.5)) {
        let (cell, recipe) = &situations[rng.random_range(0..situations.len())];
        return recipe_child(specs, recipe, *cell, rng);
    }
    // Aim at a missing strike cell through a parent that was in its phase.
    if !aims.is_empty() {
        let (cell, parents) = &aims[rng.random_range(0..aims.len())];
        let Cell::Strike { handler, fault, phase } = *cell else { return None };
        let parent = &corpus[parents[rng.random_range(0..parents.len())]];
        let name = coverage::FAULT_KINDS[fault];
        let base = &specs[parent.si];
        let t = time_in_phase(parent, phase, rng)?;
        let mut spec = parent.spec.clone();
        let how = recipes::add_fault(base, &mut spec, name, t, rng)?;
        return Some(Job {
            si: parent.si,
            spec,
            seed: parent.seed,
            lineage: Some(format!(
                "seed {} of {} + {how} (aimed at {handler:?}/{name}/{})",
                parent.seed,
                base.name,
                phase.name()
            )),
        });
    }
    let unparented: Vec<Cell> = missing.iter().copied().filter(|c| matches!(c, Cell::Strike { .. })).collect();
    if !unparented.is_empty() && rng.random_bool(0.5) {
        let cell = unparented[rng.random_range(0..unparented.len())];
        if let Cell::Strike { handler, fault, .. } = cell {
            return recipe_child(specs, &recipes::strike_recipe(handler, coverage::FAULT_KINDS[fault]), cell, rng);
        }
    }
    if corpus.is_empty() {
        return None;
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

/// A fresh swarm draw (seed from the guide stream) of a scenario `recipe` applies to, with the
/// recipe forced on it; None when it applies to none.
fn recipe_child(specs: &[JobSpec], recipe: &Recipe, aim: Cell, rng: &mut ChaCha8Rng) -> Option<Job> {
    let bases: Vec<usize> = (0..specs.len()).filter(|&i| recipes::applies(recipe, &specs[i])).collect();
    if bases.is_empty() {
        return None;
    }
    let si = bases[rng.random_range(0..bases.len())];
    let seed = rng.random_range(1..=u64::from(u32::MAX));
    let (mut spec, _) = crate::swarm::draw(&specs[si], seed);
    let how = recipes::apply(recipe, &specs[si], &mut spec, rng);
    Some(Job {
        si,
        spec,
        seed,
        lineage: Some(format!("swarm draw of seed {seed} of {} + {how} (aimed at {aim})", specs[si].name)),
    })
}

/// A millisecond at which the parent's run was in `phase` (idle: no other phase active), one of
/// the phase's two ends in half the draws.
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
    let spans: Vec<(u64, u64)> =
        parent.intervals.get(&phase)?.iter().copied().filter(|&(a, b)| b > a && a > 0 && a < end).collect();
    if spans.is_empty() {
        return None;
    }
    let (a, b) = spans[rng.random_range(0..spans.len())];
    let b = b.min(end);
    // A fault that cuts a phase short (a crash cancels an alignment, whose span then never
    // ends in a snapshot) is seen in it only in the millisecond the phase ended or began, where
    // the closed interval still holds in the child's run: the ends get half the draws.
    Some(match rng.random_range(0..4) {
        0 => a,
        1 => b,
        _ => rng.random_range(a..=b),
    })
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
    let _ = write!(s, "; {:.1} s wall", r.wall_s);
    if let Some(cpu) = r.cpu_s {
        let _ = write!(s, ", {cpu:.1} CPU s");
    }
    let _ = writeln!(s, "; {} seeds of the seed list per scenario", r.fresh_seeds);
    s.push_str(&render_milestones(r));
    if guided {
        let _ = writeln!(s, "guided children: {} runs, {} hit a new cell", r.children, r.children_new);
    }
    if r.failed > 0 {
        let _ = writeln!(s, "{} failing run(s), each listed above as it was found", r.failed);
    }
    s
}

/// The line of one failing run of a coverage sweep (printed as it is found): its replay
/// command (`--swarm` when the sweep drew its runs: `swarm` or guided; a plain sweep's line
/// used to say `--swarm` too, which replays another run), or a guided child's lineage.
pub fn failure_line(f: &CoverageFailure, swarm: bool) -> String {
    let flag = if swarm { " --swarm" } else { "" };
    match &f.lineage {
        None => format!("FAIL {}  replay: cargo run --release -- run {} --seed {}{flag}", f.signature, f.path, f.seed),
        Some(l) => format!("FAIL {}  guided child: {l}", f.signature),
    }
}

/// One line per milestone (90%, 95%, 99%, 100% of the reachable cells, and the `until_cells`
/// target): the run that reached it, the CPU and wall seconds by then; and whether the sweep
/// stopped at its target.
pub fn render_milestones(r: &CoverageReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let mut all: Vec<(f64, usize)> =
        MILESTONES.iter().map(|&f| (f, (f * r.reachable as f64).ceil() as usize)).collect();
    if let Some(t) = r.target {
        if !all.iter().any(|&(_, n)| n == t) {
            all.push((t as f64 / r.reachable.max(1) as f64, t));
            all.sort_by_key(|&(_, n)| n);
        }
    }
    for (fraction, cells) in all {
        let label = format!("{:.1}% ({cells}/{} cells)", fraction * 100.0, r.reachable);
        match r.milestones.iter().find(|m| m.cells == cells) {
            Some(m) => {
                let cpu = m.cpu_s.map(|c| format!(", {c:.1} CPU s")).unwrap_or_default();
                let _ = writeln!(s, "milestone {label}: run {}{cpu}, {:.1} s wall", m.runs, m.wall_s);
            }
            None => {
                let _ = writeln!(s, "milestone {label}: not reached in {} runs", r.runs);
            }
        }
    }
    if let Some(t) = r.target {
        let hit = r.curve.last().map(|&(_, h)| h).unwrap_or(0);
        let _ = writeln!(
            s,
            "{}",
            if hit >= t {
                format!("stopped: target of {t} reachable cells reached at run {}", r.runs)
            } else {
                format!("target of {t} reachable cells not reached: seed budget spent ({} runs)", r.runs)
            }
        );
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

/// Writes failing guided child `n` (counted from 0 in the order found) into `dir` as
/// `child-<n>-<scenario>.toml`; `None` for a fresh run (its replay line is enough).
pub fn write_child(
    f: &CoverageFailure,
    n: usize,
    dir: &std::path::Path,
) -> std::io::Result<Option<std::path::PathBuf>> {
    if f.lineage.is_none() {
        return Ok(None);
    }
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("child-{n}-{}.toml", f.scenario));
    std::fs::write(&path, child_scenario(f))?;
    Ok(Some(path))
}
