//! Every scenario file under `scenarios/` is its own test: run it under its seed, check every `[expect]` entry and its output-table snapshot.
//!
//! Add a test by adding a file. A failing scenario prints its verdict and the replay command.
//! Also here: the determinism test (every scenario, two seeds, each run twice, identical trace
//! hashes; a second seed must not change a correct verdict).

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

fn check(path: &Path) -> Result<(), Failed> {
    let spec = load::load_spec(path).map_err(|e| Failed::from(format!("{e}")))?;
    let o = outcome::run(&spec, spec.default_seed);
    if !o.passed() {
        return Err(format!(
            "{}\nreplay: cargo run --release -- run {} --seed {}",
            outcome::render(&spec, &o),
            rel(path),
            o.seed
        )
        .into());
    }
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

fn determinism(path: &Path) -> Result<(), Failed> {
    let spec = load::load_spec(path).map_err(|e| Failed::from(format!("{e}")))?;
    let seeds = [spec.default_seed, spec.default_seed.wrapping_add(7919)];
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

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for f in scenario_files() {
        let name = rel(&f);
        let f2 = f.clone();
        trials.push(Trial::test(format!("scenario::{name}"), move || check(&f2)));
        trials.push(Trial::test(format!("determinism::{name}"), move || determinism(&f)));
    }
    libtest_mimic::run(&args, trials).exit();
}
