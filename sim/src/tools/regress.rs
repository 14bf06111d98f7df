//! `ckptsim sweep ... --shrink DIR`: one regression scenario per distinct failure signature of a sweep, shrunk from the group's first failing seed while keeping that signature; signatures already in DIR are skipped.
//!
//! Each written file's header names the signature (`# Signature: ...`), which is also how a
//! later sweep recognises it: a second sweep with the same seeds finds every signature in DIR
//! and writes nothing.

use crate::shrink::{self, Options, Target};
use crate::signature::Signature;
use crate::spec::JobSpec;
use crate::sweep::SweepReport;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What happened to one signature group.
#[derive(Clone, Debug)]
pub struct GroupShrink {
    /// The group's signature (its text form).
    pub signature: String,
    /// Failing seeds in the group.
    pub count: usize,
    /// The scenario file of the group's first member.
    pub scenario_path: String,
    /// The seed of the group's first member (the one shrunk).
    pub first_seed: u64,
    /// What was written, or why not.
    pub outcome: GroupOutcome,
}

/// The result of shrinking one signature group.
#[derive(Clone, Debug)]
pub enum GroupOutcome {
    /// A regression was written.
    Written {
        /// Where.
        path: PathBuf,
        /// Size of the scenario before shrinking.
        before: shrink::Size,
        /// Size of the written regression.
        after: shrink::Size,
        /// Runs the shrinker spent.
        runs: usize,
        /// Wall-clock seconds the shrinker spent.
        wall_s: f64,
        /// The written file, run at its seed, has the group's signature as its primary one.
        replays_same: bool,
    },
    /// DIR already holds a regression with this signature.
    Known(PathBuf),
    /// Nothing was written (a panic, an unshrinkable failure): why.
    Skipped(String),
}

/// The signatures of the regressions in `dir` (their `# Signature:` header lines).
pub fn known_signatures(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths.into_iter().filter(|p| p.extension().is_some_and(|x| x == "toml")) {
        let Ok(text) = std::fs::read_to_string(&p) else { continue };
        for line in text.lines().take_while(|l| l.starts_with('#')) {
            if let Some(sig) = line.strip_prefix("# Signature: ") {
                out.entry(sig.trim().to_string()).or_insert_with(|| p.clone());
            }
        }
    }
    out
}

/// The shrink target that keeps a signature failing: its checker, or for the pseudo-checker
/// `expect` the expectation it signs.
pub fn target_of(sig: &Signature) -> Option<Target> {
    match sig.checker.as_str() {
        "panic" => None,
        "expect" => {
            let name = if sig.kind.starts_with("stuck-")
                || sig.kind.starts_with("final-status-")
                || sig.kind == "ended-inside-bound"
            {
                "final_status".to_string()
            } else {
                sig.kind.replace('-', "_")
            };
            Some(Target::Expectation(name))
        }
        c => Some(Target::Checker(c.to_string())),
    }
}

/// Shrinks the first failing seed of every signature group of `report` not yet in `dir`
/// and writes its regression there. `specs` are the swept scenarios (as loaded; in swarm mode
/// each seed's draw is added again here).
pub fn shrink_groups(
    report: &SweepReport,
    specs: &[JobSpec],
    swarm: bool,
    dir: &Path,
    max_runs: usize,
    mut progress: impl FnMut(&GroupShrink),
) -> std::io::Result<Vec<GroupShrink>> {
    std::fs::create_dir_all(dir)?;
    let mut known = known_signatures(dir);
    let mut out = Vec::new();
    for g in report.groups() {
        let first = &g.first;
        let mut gs = GroupShrink {
            signature: g.signature.clone(),
            count: g.count as usize,
            scenario_path: first.path.clone(),
            first_seed: first.seed,
            outcome: GroupOutcome::Skipped(String::new()),
        };
        gs.outcome = if let Some(p) = known.get(&g.signature) {
            GroupOutcome::Known(p.clone())
        } else {
            shrink_one(&g.signature, first.seed, &first.path, g.count as usize, specs, swarm, dir, max_runs)
        };
        if let GroupOutcome::Written { path, .. } = &gs.outcome {
            known.insert(g.signature.clone(), path.clone());
        }
        progress(&gs);
        out.push(gs);
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn shrink_one(
    sig_text: &str,
    seed: u64,
    path: &str,
    count: usize,
    specs: &[JobSpec],
    swarm: bool,
    dir: &Path,
    max_runs: usize,
) -> GroupOutcome {
    let Some(sig) = Signature::parse(sig_text) else { return GroupOutcome::Skipped("unparsable signature".into()) };
    let Some(target) = target_of(&sig) else {
        return GroupOutcome::Skipped("a panic: replay it and fix the crash".into());
    };
    let Some(spec) = specs.iter().find(|s| s.source_path == path) else {
        return GroupOutcome::Skipped(format!("scenario {path} not among the swept ones"));
    };
    let spec = if swarm { crate::swarm::draw(spec, seed).0 } else { spec.clone() };
    let t0 = Instant::now();
    let shrunk = match shrink::shrink_failure(&spec, &target, &Options { seeds: vec![seed], max_runs }) {
        Ok(s) => s,
        Err(e) => return GroupOutcome::Skipped(format!("cannot shrink: {e}")),
    };
    if shrunk.signature.as_ref() != Some(&sig) {
        return GroupOutcome::Skipped(format!(
            "the shrink kept {} instead",
            shrunk.signature.as_ref().map(|s| s.to_string()).unwrap_or_else(|| "no signature".into())
        ));
    }
    let name = format!("shrunk-{}", sig.slug());
    let file = dir.join(format!("{name}.toml"));
    let reg = shrink::regression_spec(&shrunk, &name, seed);
    let from = format!("{path} --seed {seed}{}", if swarm { " --swarm" } else { "" });
    let note = format!(
        "Found by `ckptsim sweep{}`: {count} failing seed(s) share this signature; the first, seed {seed}, was shrunk.",
        if swarm { " --swarm" } else { "" }
    );
    let text = shrink::regression_toml(&shrunk, &reg, &file.display().to_string(), &from, &[seed], &note);
    let back = match shrink::verify_written(&text, &shrunk.target, shrunk.exclusive, &[seed]) {
        Ok(b) => b,
        Err(e) => return GroupOutcome::Skipped(format!("cannot write a regression: {e}")),
    };
    let o = crate::outcome::run(&back, seed);
    let replays_same = crate::signature::primary(&back, &o).is_some_and(|(p, _)| p == sig);
    if let Err(e) = std::fs::write(&file, &text) {
        return GroupOutcome::Skipped(format!("cannot write {}: {e}", file.display()));
    }
    GroupOutcome::Written {
        path: file,
        before: shrunk.before,
        after: shrunk.after,
        runs: shrunk.runs,
        wall_s: t0.elapsed().as_secs_f64(),
        replays_same,
    }
}
