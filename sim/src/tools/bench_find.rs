//! `ckptsim bench --only find`: time to find each planted variant of `scenarios/negative/` by a swarm sweep over `scenarios/faults`, from seed 1 (wall time, seeds needed, what caught it).
//!
//! Per variant named by a negative scenario's `variant` key, every `scenarios/faults` file runs
//! under that variant (the protocol variant replaced, nothing else), in swarm mode, seed after
//! seed (all files of seed 1, one of each job shape first, then of seed 2, ...) on the sweep's worker threads, until some run
//! fails: the sweep over the fault scenarios passes every seed with the correct protocol
//! (BENCHMARKS.md, *Swarm over every folder*), so a failing run is the variant caught. The
//! search stops at a seed cap or a wall-time cap; a variant not caught by then is reported as
//! not found with the seeds tried.

use super::BenchError;
use crate::load;
use crate::spec::JobSpec;
use std::fmt::Write as _;
use std::path::Path;

/// How long one variant is searched for.
#[derive(Clone, Copy, Debug)]
pub struct FindLimits {
    /// Seeds tried at most.
    pub max_seeds: u64,
    /// Wall seconds at most (checked after each seed).
    pub max_wall_s: f64,
    /// Worker threads.
    pub jobs: usize,
}

/// The search for one variant.
#[derive(Clone, Debug)]
pub struct FindResult {
    /// The planted variant's name (`ckptsim::variant`).
    pub variant: String,
    /// The negative scenario that names the variant.
    pub scenario: String,
    /// The checker that scenario expects to catch it.
    pub caught_by: String,
    /// Seeds run (the last one caught it, when found).
    pub seeds: u64,
    /// Runs made (seeds × fault scenarios).
    pub runs: u64,
    /// Wall-clock seconds of the search.
    pub wall_s: f64,
    /// The first failing run: (fault scenario, seed, failure signature).
    pub found: Option<(String, u64, String)>,
}

/// Searches for every variant of `scenarios/negative/` over `scenarios/faults`.
pub fn find_series(
    root: &Path,
    limits: FindLimits,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<FindResult>, BenchError> {
    let files = |dir: &str| {
        load::collect_scenarios(&[root.join(dir)]).map_err(|source| BenchError::Io { path: dir.into(), source })
    };
    let mut faults: Vec<JobSpec> = Vec::new();
    for f in files("scenarios/faults")? {
        faults.push(load::load_spec(&f)?);
    }
    let mut out = Vec::new();
    for f in files("scenarios/negative")? {
        let neg = load::load_spec(&f)?;
        if neg.variant == ckptsim::Variant::Correct {
            continue;
        }
        let specs: Vec<JobSpec> = faults.iter().map(|s| JobSpec { variant: neg.variant, ..s.clone() }).collect();
        let r = find_one(&neg, &specs, limits);
        progress(&format!(
            "find     {:<30} {}",
            r.variant,
            match &r.found {
                Some((s, seed, sig)) => format!("{:.2} s, {} seeds ({s} seed {seed}: {sig})", r.wall_s, r.seeds),
                None => format!("not found in {} seeds ({:.1} s)", r.seeds, r.wall_s),
            }
        ));
        out.push(r);
    }
    Ok(out)
}

/// Seeds 1, 2, ... of `specs` (the fault scenarios under the variant) until one run fails: a
/// search ([`crate::tools::sweep_search`]) that stops at the first failure in (seed, scenario) order.
fn find_one(neg: &JobSpec, specs: &[JobSpec], limits: FindLimits) -> FindResult {
    let search = crate::tools::sweep_search::search(
        specs,
        crate::tools::sweep_search::SearchLimits {
            first_seed: 1,
            max_seeds: limits.max_seeds,
            max_wall_s: limits.max_wall_s,
            jobs: limits.jobs,
            swarm: true,
        },
    );
    let found = search.first.map(|f| {
        let name = Path::new(&f.path).file_stem().map_or(f.path.clone(), |s| s.to_string_lossy().into_owned());
        (name, f.seed, f.signature)
    });
    FindResult {
        variant: neg.variant.name().to_string(),
        scenario: neg.name.clone(),
        caught_by: neg.expect.caught_by.clone().unwrap_or_default(),
        seeds: search.seeds,
        runs: search.runs,
        wall_s: search.wall_s,
        found,
    }
}

/// The table for `BENCHMARKS.md` (empty without results).
pub fn markdown(results: &[FindResult], limits: FindLimits) -> String {
    let mut s = String::new();
    if results.is_empty() {
        return s;
    }
    let _ = writeln!(
        s,
        "Time to find each planted variant of `scenarios/negative/` by `sweep scenarios/faults --swarm --variant <v>` \
         from seed 1 ({} workers; at most {} seeds or {:.0} s per variant):\n",
        limits.jobs, limits.max_seeds, limits.max_wall_s
    );
    let _ = writeln!(s, "| variant | negative scenario expects | wall s | seeds | runs | first caught by | ≤ 1 s |");
    let _ = writeln!(s, "|---|---|---:|---:|---:|---|---|");
    for r in results {
        let (found, ok) = match &r.found {
            Some((sc, seed, sig)) => (format!("{sc} seed {seed}: `{sig}`"), if r.wall_s <= 1.0 { "yes" } else { "no" }),
            None => ("not found".to_string(), "no"),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {:.2} | {} | {} | {found} | {ok} |",
            r.variant, r.caught_by, r.wall_s, r.seeds, r.runs
        );
    }
    let _ = writeln!(s);
    s
}
