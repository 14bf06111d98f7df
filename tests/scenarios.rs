//! Every scenario file under `scenarios/` is its own test: run it under its seed, check every `[expect]` entry and its output-table snapshot.
//!
//! Add a test by adding a file. A failing scenario prints its verdict and the replay command.
//! Also here: the determinism test (every scenario, two seeds, each run twice, identical trace
//! hashes; a second seed must not change a correct verdict), and the negative suite's seed
//! test (every file under `scenarios/negative/` catches its bug on each of the seeds 1 to
//! `NEGATIVE_SEEDS`: a planted bug the checkers catch only on lucky seeds is a weak negative).
//!
//! Seeds from the environment: `CKPTSIM_TEST_SEED=N` runs every scenario under seed N instead of
//! its default seed; `CKPTSIM_TEST_NUM=K` runs K seeds per scenario (N, N+1, …; from the
//! scenario's default seed when no seed is given). `MADSIM_TEST_SEED` / `MADSIM_TEST_NUM` are
//! accepted as aliases (the `CKPTSIM_` name wins when both are set). Output-table snapshots are
//! only compared at a scenario's default seed.

use ckptsim_sim::{load, outcome};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};

fn scenario_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    load::collect_scenarios(&[root]).expect("scenarios folder readable")
}

fn rel(p: &Path) -> String {
    p.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(p).display().to_string()
}

/// Seeds requested through the environment (`CKPTSIM_TEST_SEED` / `CKPTSIM_TEST_NUM` or their
/// `MADSIM_` aliases).
#[derive(Clone, Copy, Debug, Default)]
struct EnvSeeds {
    /// First seed; `None` starts at each scenario's default seed.
    start: Option<u64>,
    /// Seeds per scenario (at least 1).
    num: u64,
}

impl EnvSeeds {
    fn from_env() -> Result<Self, String> {
        let start = env_u64("CKPTSIM_TEST_SEED", "MADSIM_TEST_SEED")?;
        let num = env_u64("CKPTSIM_TEST_NUM", "MADSIM_TEST_NUM")?.unwrap_or(1);
        if num == 0 {
            return Err("CKPTSIM_TEST_NUM / MADSIM_TEST_NUM must be at least 1".into());
        }
        Ok(EnvSeeds { start, num })
    }

    /// The seeds one scenario runs under.
    fn seeds(&self, default_seed: u64) -> impl Iterator<Item = u64> {
        let first = self.start.unwrap_or(default_seed);
        (0..self.num).map(move |i| first.wrapping_add(i))
    }
}

/// `name`, else `alias`, parsed as a u64 (`None` when neither is set).
fn env_u64(name: &str, alias: &str) -> Result<Option<u64>, String> {
    for key in [name, alias] {
        if let Ok(v) = std::env::var(key) {
            return v.trim().parse::<u64>().map(Some).map_err(|e| format!("{key}={v:?}: {e}"));
        }
    }
    Ok(None)
}

fn check(path: &Path, env: EnvSeeds) -> Result<(), Failed> {
    let spec = load::load_spec(path).map_err(|e| Failed::from(format!("{e}")))?;
    let mut failures = Vec::new();
    let mut first_render = None;
    let mut at_default = None;
    for seed in env.seeds(spec.default_seed) {
        let o = outcome::run(&spec, seed);
        if !o.passed() {
            first_render.get_or_insert_with(|| outcome::render(&spec, &o));
            failures.push(format!("replay: cargo run --release -- run {} --seed {}", rel(path), o.seed));
        } else if seed == spec.default_seed {
            at_default = Some(o);
        }
    }
    if let Some(render) = first_render {
        return Err(
            format!("{render}\nfailing seeds ({} of {}):\n{}", failures.len(), env.num, failures.join("\n")).into()
        );
    }
    // Snapshots hold the default seed's output table; other seeds are not compared.
    let Some(o) = at_default else { return Ok(()) };
    if spec.expect.snapshot {
        let table = outcome::output_table(&spec, &o.run);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        let name = spec.name.clone();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(name, table))
        }));
        if r.is_err() {
            return Err(format!("output table differs from scenarios/snapshots/{}.snap (replay: cargo run --release -- run {} --seed {})", spec.name, rel(path), o.seed).into());
        }
    }
    Ok(())
}

fn determinism(path: &Path, env: EnvSeeds) -> Result<(), Failed> {
    let spec = load::load_spec(path).map_err(|e| Failed::from(format!("{e}")))?;
    let first = env.start.unwrap_or(spec.default_seed);
    let seeds = [first, first.wrapping_add(7919)];
    let mut verdicts = Vec::new();
    for seed in seeds {
        let a = outcome::run(&spec, seed);
        let b = outcome::run(&spec, seed);
        if a.trace_hash() != b.trace_hash() {
            return Err(format!(
                "seed {seed}: trace hash {:016x} then {:016x} (non-deterministic)",
                a.trace_hash(),
                b.trace_hash()
            )
            .into());
        }
        verdicts.push(a.passed());
    }
    if verdicts[0] != verdicts[1] {
        return Err(format!("verdict changed with the seed: {:?} for seeds {seeds:?}", verdicts).into());
    }
    Ok(())
}

/// Seeds every negative scenario must catch its bug on (`negative_seeds`).
const NEGATIVE_SEEDS: u64 = 200;

/// A negative scenario's expectation (`caught_by = ...`) holds on every seed 1..=NEGATIVE_SEEDS,
/// not only on its default seed: the bug it plants must be caught whatever the trigger phase and
/// the network's draws.
fn negative_seeds(path: &Path) -> Result<(), Failed> {
    let spec = load::load_spec(path).map_err(|e| Failed::from(format!("{e}")))?;
    let missed: Vec<u64> = (1..=NEGATIVE_SEEDS).filter(|&seed| !outcome::run(&spec, seed).passed()).collect();
    if missed.is_empty() {
        return Ok(());
    }
    Err(format!(
        "not caught on {} of {NEGATIVE_SEEDS} seeds {:?}; replay: cargo run --release -- run {} --seed {}",
        missed.len(),
        missed,
        rel(path),
        missed[0]
    )
    .into())
}

fn main() {
    let args = Arguments::from_args();
    let env = match EnvSeeds::from_env() {
        Ok(env) => env,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let mut trials = Vec::new();
    for f in scenario_files() {
        let name = rel(&f);
        let f2 = f.clone();
        trials.push(Trial::test(format!("scenario::{name}"), move || check(&f2, env)));
        if name.starts_with("scenarios/negative/") {
            let f3 = f.clone();
            trials.push(Trial::test(format!("negative_seeds::{name}"), move || negative_seeds(&f3)));
        }
        trials.push(Trial::test(format!("determinism::{name}"), move || determinism(&f, env)));
    }
    libtest_mimic::run(&args, trials).exit();
}
