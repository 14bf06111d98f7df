//! Explorer counterexamples as self-contained replay files (`*.replay`): the scenario text, the variant, the bounds and the path; `ckptsim run FILE.replay` replays them to the same checker failure.
//!
//! The world cannot follow a delivery order (madsim schedules its messages), so a
//! counterexample replays on the explorer's own driver of the core: the file carries the job
//! (the scenario text `explore` ran, verbatim), the protocol variant, the bounds (which choices
//! are enabled depends on them) and the path of choices. Its format:
//!
//! ```toml
//! # comment lines (what was found)
//! format = "ckptsim-explore-replay"
//! variant = "two-pc-commit-on-precommit"
//! checker = "exactly-once"      # what the replay must end in
//! anomaly = "..."               # for the reader
//! depth = 60                    # the explore bounds
//! ticks = 3
//! failures = 1
//! losses = 0
//! tm_crashes = 0                # optional (default 0), written when not 0
//! jm_failovers = 0              # optional (default 0), written when not 0
//! zombies = 0                   # optional (default 0), written when not 0
//! rescales = 0                  # optional (default 0), written when not 0
//! stops = 0                     # optional (default 0), written when not 0
//! ack_losses = 0                # optional (default 0), written when not 0
//! requests = 0                  # optional (default 0), written when not 0
//! hb_timeouts = 0               # optional (default 0), written when not 0
//! tm_hb_timeouts = 0            # optional (default 0), written when not 0
//! jm_hb_timeouts = 0            # optional (default 0), written when not 0
//! late_ticks = 0                # optional (default 0), written when not 0
//! jm_late_ticks = 0             # optional (default unbounded), written when bounded
//! slow_uploads = 0              # optional (default 0), written when not 0
//! path = ["fetch:t0", "tick", ...]
//! job = '''
//! <the scenario file>
//! '''
//! ```
//!
//! Errors name `file:line:column: field` (the scenario's own errors are shifted to the lines of
//! the embedded text); unknown keys are errors.

use crate::explore::{Bounds, Choice, Explorer, Violation};
use crate::scenario::{ScenarioError, SYNTAX_FIELD};
use crate::spec::JobSpec;
use serde::Deserialize;
use std::fmt::Write as _;

/// The value of `format`.
pub const FORMAT: &str = "ckptsim-explore-replay";

/// A parsed replay file.
#[derive(Clone, Debug)]
pub struct ReplayFile {
    /// The scenario the explorer ran.
    pub spec: JobSpec,
    /// The exploration's bounds (failures, losses, crashes it could choose).
    pub bounds: Bounds,
    /// The choices from the initial state to the violation, in order.
    pub path: Vec<Choice>,
    /// The checker the counterexample failed.
    pub checker: String,
    /// The anomaly it reported.
    pub anomaly: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    format: String,
    variant: String,
    checker: String,
    #[serde(default)]
    anomaly: String,
    depth: u32,
    ticks: u32,
    failures: u32,
    losses: u32,
    #[serde(default)]
    tm_crashes: u32,
    #[serde(default)]
    jm_failovers: u32,
    #[serde(default)]
    zombies: u32,
    #[serde(default)]
    rescales: u32,
    #[serde(default)]
    stops: u32,
    #[serde(default)]
    cancels: u32,
    #[serde(default)]
    ack_losses: u32,
    #[serde(default)]
    requests: u32,
    #[serde(default)]
    hb_timeouts: u32,
    #[serde(default)]
    tm_hb_timeouts: u32,
    #[serde(default)]
    jm_hb_timeouts: u32,
    #[serde(default)]
    late_ticks: u32,
    #[serde(default)]
    jm_late_ticks: Option<u32>,
    #[serde(default)]
    slow_uploads: u32,
    path: Vec<String>,
    job: String,
}

/// The text of a replay file for `violation`, found exploring `scenario_text` (the scenario
/// file, verbatim) under `spec.variant` with `bounds`.
pub fn write(scenario_name: &str, scenario_text: &str, spec: &JobSpec, bounds: Bounds, v: &Violation) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# ckptsim explore {scenario_name} --variant {}: {} after {} steps.\n# Replay: cargo run --release -- run <this file>",
        spec.variant,
        v.checker,
        v.path.len()
    );
    let _ = writeln!(s, "format = {}", toml_str(FORMAT));
    let _ = writeln!(s, "variant = {}", toml_str(spec.variant.name()));
    let _ = writeln!(s, "checker = {}", toml_str(&v.checker));
    let _ = writeln!(s, "anomaly = {}", toml_str(&v.anomaly));
    let _ = writeln!(
        s,
        "depth = {}\nticks = {}\nfailures = {}\nlosses = {}",
        bounds.max_depth, bounds.max_ticks, bounds.max_failures, bounds.max_losses
    );
    if bounds.max_tm_crashes > 0 || bounds.max_jm_failovers > 0 {
        let _ = writeln!(s, "tm_crashes = {}\njm_failovers = {}", bounds.max_tm_crashes, bounds.max_jm_failovers);
    }
    if bounds.max_zombies > 0 {
        let _ = writeln!(s, "zombies = {}", bounds.max_zombies);
    }
    if bounds.max_rescales > 0 {
        let _ = writeln!(s, "rescales = {}", bounds.max_rescales);
    }
    if bounds.max_stops > 0 {
        let _ = writeln!(s, "stops = {}", bounds.max_stops);
    }
    if bounds.max_cancels > 0 {
        let _ = writeln!(s, "cancels = {}", bounds.max_cancels);
    }
    if bounds.max_ack_losses > 0 {
        let _ = writeln!(s, "ack_losses = {}", bounds.max_ack_losses);
    }
    if bounds.max_requests > 0 {
        let _ = writeln!(s, "requests = {}", bounds.max_requests);
    }
    if bounds.max_hb_timeouts > 0 {
        let _ = writeln!(s, "hb_timeouts = {}", bounds.max_hb_timeouts);
    }
    if bounds.max_tm_hb_timeouts > 0 {
        let _ = writeln!(s, "tm_hb_timeouts = {}", bounds.max_tm_hb_timeouts);
    }
    if bounds.max_jm_hb_timeouts > 0 {
        let _ = writeln!(s, "jm_hb_timeouts = {}", bounds.max_jm_hb_timeouts);
    }
    if bounds.max_late_ticks > 0 {
        let _ = writeln!(s, "late_ticks = {}", bounds.max_late_ticks);
    }
    if let Some(n) = bounds.max_jm_late_ticks {
        let _ = writeln!(s, "jm_late_ticks = {n}");
    }
    if bounds.max_slow_uploads > 0 {
        let _ = writeln!(s, "slow_uploads = {}", bounds.max_slow_uploads);
    }
    s.push_str("path = [\n");
    for chunk in v.path.chunks(8) {
        let items: Vec<String> = chunk.iter().map(|c| toml_str(&c.to_string())).collect();
        let _ = writeln!(s, "  {},", items.join(", "));
    }
    s.push_str("]\n");
    if scenario_text.contains("'''") {
        let _ = writeln!(s, "job = {}", toml_str(scenario_text));
    } else {
        let _ = writeln!(s, "job = '''\n{scenario_text}'''");
    }
    s
}

/// A TOML basic string.
fn toml_str(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parses a replay file's text. `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<ReplayFile, ScenarioError> {
    let err_at = |offset: usize, field: &str, message: String| {
        let (line, column) = line_col(text, offset);
        ScenarioError { file: file.to_string(), line, column, field: field.to_string(), message }
    };
    // Where a top-level key's line starts (for errors about its value).
    let key_offset = |key: &str| -> usize {
        let mut at = 0;
        for l in text.split_inclusive('\n') {
            let t = l.trim_start();
            if t.starts_with(key) && t[key.len()..].trim_start().starts_with('=') {
                return at + (l.len() - t.len());
            }
            at += l.len();
        }
        0
    };
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let msg = e.message().replace('\n', " ");
        let field = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.starts_with("unknown field") || msg.starts_with("missing field"))
            .unwrap_or(SYNTAX_FIELD)
            .to_string();
        err_at(offset, &field, msg)
    })?;
    if raw.format != FORMAT {
        return Err(err_at(key_offset("format"), "format", format!("expected \"{FORMAT}\", got {:?}", raw.format)));
    }
    let variant = ckptsim::Variant::ALL.into_iter().find(|v| v.name() == raw.variant).ok_or_else(|| {
        let names: Vec<&str> = ckptsim::Variant::ALL.iter().map(|v| v.name()).collect();
        err_at(
            key_offset("variant"),
            "variant",
            format!("unknown variant {:?} (known: {})", raw.variant, names.join(", ")),
        )
    })?;
    // Session 41: a hand-edited checker name was accepted and the replay said only "NOT
    // reproduced"; the explorer names a checker, or `zombie` for its own zombie rule.
    if !crate::check::CHECKERS.contains(&raw.checker.as_str()) && raw.checker != "zombie" {
        return Err(err_at(
            key_offset("checker"),
            "checker",
            format!("unknown checker {:?} (known: {}, zombie)", raw.checker, crate::check::CHECKERS.join(", ")),
        ));
    }
    if raw.path.len() > raw.depth as usize {
        return Err(err_at(
            key_offset("path"),
            "path",
            format!(
                "{} steps, more than depth = {} (the explorer's paths are at most that long)",
                raw.path.len(),
                raw.depth
            ),
        ));
    }
    let mut path = Vec::with_capacity(raw.path.len());
    for (i, step) in raw.path.iter().enumerate() {
        path.push(step.parse::<Choice>().map_err(|e| err_at(key_offset("path"), &format!("path[{i}]"), e))?);
    }
    // The embedded scenario: its errors are moved to this file's lines.
    let job_at = key_offset("job");
    let job_line = line_col(text, job_at).0;
    let first_line = if text[job_at..].starts_with("job = '''\n") { job_line } else { job_line - 1 };
    let sc = crate::scenario::parse(file, &raw.job).map_err(|mut e| {
        e.field = format!("job.{}", e.field);
        e.line += first_line;
        e
    })?;
    // Built-in user operators (list-state counters) resolve as in `load_spec`.
    let mut spec = crate::user::to_spec_with(&sc, file, &crate::user::Registry::new());
    spec.variant = variant;
    crate::explore::supported(&spec).map_err(|m| err_at(job_at, "job", m))?;
    let bounds = Bounds {
        max_depth: raw.depth,
        max_failures: raw.failures,
        max_ticks: raw.ticks,
        max_losses: raw.losses,
        max_tm_crashes: raw.tm_crashes,
        max_jm_failovers: raw.jm_failovers,
        max_zombies: raw.zombies,
        max_rescales: raw.rescales,
        max_stops: raw.stops,
        max_cancels: raw.cancels,
        max_ack_losses: raw.ack_losses,
        max_requests: raw.requests,
        max_hb_timeouts: raw.hb_timeouts,
        max_tm_hb_timeouts: raw.tm_hb_timeouts,
        max_jm_hb_timeouts: raw.jm_hb_timeouts,
        max_late_ticks: raw.late_ticks,
        max_jm_late_ticks: raw.jm_late_ticks,
        max_slow_uploads: raw.slow_uploads,
        ..Bounds::default()
    };
    Ok(ReplayFile { spec, bounds, path, checker: raw.checker, anomaly: raw.anomaly })
}

/// What a replay did.
#[derive(Clone, Debug)]
pub struct Replayed {
    /// One line per step, then the verdict lines.
    pub text: String,
    /// The checker that failed at the end of the path, if any.
    pub failed: Option<String>,
    /// Whether it is the checker the file names.
    pub same: bool,
}

/// Replays a parsed file on the explorer's driver.
pub fn replay(f: &ReplayFile) -> Result<Replayed, String> {
    let ex = Explorer::new(&f.spec, f.bounds);
    let (lines, verdict) = ex.replay(&f.path)?;
    let mut text = lines.join("\n");
    text.push('\n');
    let failed = verdict.as_ref().map(|(c, _)| c.clone());
    match &verdict {
        Some((checker, anomaly)) => {
            let _ = writeln!(text, "VIOLATION {checker}: {anomaly}");
        }
        None => text.push_str("no violation at the end of the path\n"),
    }
    let same = failed.as_deref() == Some(f.checker.as_str());
    let _ = writeln!(
        text,
        "verdict: {} (the file expects {} to fail{})",
        if failed.is_some() { "FAIL" } else { "PASS" },
        f.checker,
        if same { ": reproduced" } else { ": NOT reproduced" }
    );
    Ok(Replayed { text, failed, same })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_name_the_field_and_line() {
        let e = parse("x.replay", "format = \"ckptsim-explore-replay\"\nbogus = 1\n").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (2, "bogus"), "{e}");
        let text = "format = \"nope\"\nvariant = \"correct\"\nchecker = \"state\"\ndepth = 1\nticks = 1\nfailures = 0\nlosses = 0\npath = []\njob = '''\nname = \"x\"\n'''\n";
        let e = parse("x.replay", text).unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (1, "format"), "{e}");
        let e = parse(
            "x.replay",
            &text.replace("\"nope\"", "\"ckptsim-explore-replay\"").replace("path = []", "path = [\"jump\"]"),
        )
        .unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (8, "path[0]"), "{e}");
        // Session 41: a checker no explorer names, and a path longer than its depth bound.
        let good = text.replace("\"nope\"", "\"ckptsim-explore-replay\"");
        let e = parse("x.replay", &good.replace("\"state\"", "\"stat\"")).unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (3, "checker"), "{e}");
        assert!(e.message.contains("unknown checker \"stat\""), "{e}");
        let e = parse("x.replay", &good.replace("path = []", "path = [\"tick\", \"tick\"]")).unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (8, "path"), "{e}");
        assert!(e.message.starts_with("2 steps, more than depth = 1"), "{e}");
    }
}
