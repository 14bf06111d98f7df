//! A `cargo test` harness for a downstream crate: every scenario file under a folder is one trial (plus a determinism trial), seeds come from the environment like madsim's.
//!
//! In the crate's `Cargo.toml`:
//!
//! ```toml
//! [[test]]
//! name = "scenarios"
//! harness = false
//! ```
//!
//! and `tests/scenarios.rs`:
//!
//! ```no_run
//! use ckptsim_sim::user::Registry;
//!
//! fn main() {
//!     let registry = Registry::new(); // .with_operator("my_counter", || Box::new(MyCounter::default()))
//!     ckptsim_sim::harness::run_folder(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"), registry);
//! }
//! ```
//!
//! Each `*.toml` under the folder (recursively) becomes `scenario::<path>` (the run at each
//! seed passes: checkers, extra checkers, `[expect]`) and `determinism::<path>` (the same seed
//! twice gives the same trace hash and output, for two seeds, and a second seed does not change the
//! verdict). Seeds:
//!
//! * `MADSIM_TEST_SEED=N` (or `CKPTSIM_TEST_SEED`): run every scenario under seed N instead of
//!   its `seed` key (replay one seed);
//! * `MADSIM_TEST_NUM=K` (or `CKPTSIM_TEST_NUM`): K seeds per scenario, N, N+1, …, N+K-1;
//!
//! the `CKPTSIM_` name wins when both are set. A failure prints the run and the seeds that
//! failed. Filters and `--list` are libtest's (`cargo test --test scenarios -- negative/`).

use crate::api;
use crate::load;
use crate::user::{self, Registry};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Seeds requested through the environment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EnvSeeds {
    /// First seed; `None` starts at each scenario's own seed.
    pub start: Option<u64>,
    /// Seeds per scenario (at least 1).
    pub num: u64,
}

impl EnvSeeds {
    /// Reads `CKPTSIM_TEST_SEED`/`MADSIM_TEST_SEED` and `CKPTSIM_TEST_NUM`/`MADSIM_TEST_NUM`.
    pub fn from_env() -> Result<Self, String> {
        EnvSeeds::from_lookup(|k| std::env::var(k).ok())
    }

    /// The same from any key → value lookup (for tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let read = |name: &str, alias: &str| -> Result<Option<u64>, String> {
            for key in [name, alias] {
                if let Some(v) = get(key) {
                    return v.trim().parse::<u64>().map(Some).map_err(|e| format!("{key}={v:?}: {e}"));
                }
            }
            Ok(None)
        };
        let start = read("CKPTSIM_TEST_SEED", "MADSIM_TEST_SEED")?;
        let num = read("CKPTSIM_TEST_NUM", "MADSIM_TEST_NUM")?.unwrap_or(1);
        if num == 0 {
            return Err("CKPTSIM_TEST_NUM / MADSIM_TEST_NUM must be at least 1".into());
        }
        Ok(EnvSeeds { start, num })
    }

    /// The seeds one scenario runs under.
    pub fn seeds(&self, default_seed: u64) -> impl Iterator<Item = u64> {
        let first = self.start.unwrap_or(default_seed);
        (0..self.num).map(move |i| first.wrapping_add(i))
    }
}

/// One scenario at every requested seed: `Err` with the first failing run and every failing
/// seed's replay hint.
pub fn check_scenario(path: &Path, env: EnvSeeds, registry: &Registry) -> Result<(), String> {
    let spec = user::load_spec_with(path, registry).map_err(|e| e.to_string())?;
    let mut failures = Vec::new();
    let mut first_render = None;
    for seed in env.seeds(spec.default_seed) {
        let r = api::run_spec(&spec, seed, registry);
        if !r.passed() {
            first_render.get_or_insert_with(|| r.render());
            failures.push(format!("replay: MADSIM_TEST_SEED={seed} cargo test -- {}", path.display()));
        }
    }
    match first_render {
        None => Ok(()),
        Some(render) => {
            Err(format!("{render}\nfailing seeds ({} of {}):\n{}", failures.len(), env.num, failures.join("\n")))
        }
    }
}

/// The same seed twice gives the same trace hash and the same output (for two seeds), and the
/// verdict does not depend on the seed.
pub fn check_determinism(path: &Path, env: EnvSeeds, registry: &Registry) -> Result<(), String> {
    let spec = user::load_spec_with(path, registry).map_err(|e| e.to_string())?;
    let first = env.start.unwrap_or(spec.default_seed);
    let seeds = [first, first.wrapping_add(7919)];
    let mut verdicts = Vec::new();
    for seed in seeds {
        let a = api::run_spec(&spec, seed, registry);
        let b = api::run_spec(&spec, seed, registry);
        if a.trace_hash() != b.trace_hash() {
            return Err(format!(
                "seed {seed}: trace hash {:016x} then {:016x}: the run is not deterministic (user code \
                 reading a clock, OS randomness or iterating a hashed map?)",
                a.trace_hash(),
                b.trace_hash()
            ));
        }
        // The trace has no record values: a user operator's nondeterminism may show only here.
        if a.output_table() != b.output_table() {
            return Err(format!(
                "seed {seed}: the output differs between two runs of the same seed: the run is not \
                 deterministic (user code reading a clock, OS randomness, a global, or iterating a hashed map?)"
            ));
        }
        verdicts.push(a.passed());
    }
    if verdicts[0] != verdicts[1] {
        return Err(format!("verdict changed with the seed: {verdicts:?} for seeds {seeds:?}"));
    }
    Ok(())
}

/// The trials for every scenario file under `dir`: `scenario::<path>` and `determinism::<path>`.
pub fn trials(dir: impl AsRef<Path>, registry: Registry, env: EnvSeeds) -> Vec<Trial> {
    let dir = dir.as_ref();
    let files: Vec<PathBuf> = load::collect_scenarios(&[dir.to_path_buf()]).unwrap_or_default();
    let registry = Arc::new(registry);
    let mut out = Vec::new();
    for f in files {
        let name = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
        let (f1, r1) = (f.clone(), registry.clone());
        out.push(Trial::test(format!("scenario::{name}"), move || check_scenario(&f1, env, &r1).map_err(Failed::from)));
        let r2 = registry.clone();
        out.push(Trial::test(format!("determinism::{name}"), move || {
            check_determinism(&f, env, &r2).map_err(Failed::from)
        }));
    }
    out
}

/// `main` of a `harness = false` test: one trial per scenario file under `dir` (see the module
/// docs for the seed variables), then exits with libtest's status. An unreadable folder or a bad
/// seed variable exits with status 2.
pub fn run_folder(dir: impl AsRef<Path>, registry: Registry) -> ! {
    let args = Arguments::from_args();
    let env = match EnvSeeds::from_env() {
        Ok(env) => env,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = std::fs::read_dir(dir.as_ref()) {
        eprintln!("error: scenario folder {}: {e}", dir.as_ref().display());
        std::process::exit(2);
    }
    libtest_mimic::run(&args, trials(dir, registry, env)).exit()
}
