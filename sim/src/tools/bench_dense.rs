//! `ckptsim bench --only dense`: cost against run length — the steady keyed job of
//! `scenarios/bench/hour.toml` with a 10 ms checkpoint interval for 1, 2, 4, 8 and 60 virtual
//! minutes (issue 19): CPU (world, checkers) and memory must grow linearly with the checkpoints.

use super::{rss_kib, scale_duration, timed, BenchError, Timing};
use crate::check;
use crate::reference;
use crate::world;
use std::fmt::Write as _;
use std::path::Path;

/// The checkpoint interval of the series, ms.
pub const DENSE_INTERVAL_MS: i64 = 10;

/// One run of the series.
#[derive(Clone, Debug)]
pub struct DensePoint {
    /// Virtual minutes the run lasted.
    pub minutes: u64,
    /// Checkpoint rows of the run (triggered checkpoints).
    pub checkpoints: usize,
    /// Trace events (hashed; a lean run keeps only the essential ones).
    pub events: usize,
    /// `world::run_lean`.
    pub world: Timing,
    /// Reference and every checker.
    pub checkers: Timing,
    /// Whether every checker passed.
    pub checkers_passed: bool,
    /// Resident set size right after the checkers, with the run's result still alive (KiB; a
    /// run's memory only grows while it runs, so this is its peak, plus whatever the process held).
    pub rss_kib: u64,
}

impl DensePoint {
    /// World and checkers CPU seconds together.
    pub fn core_s(&self) -> f64 {
        self.world.core_s() + self.checkers.core_s()
    }
}

/// Runs the series, smallest first (so the RSS of a run is not hidden by a larger one's).
pub fn dense_series(
    root: &Path,
    minutes: &[u64],
    mut progress: impl FnMut(&str),
) -> Result<Vec<DensePoint>, BenchError> {
    let mut out = Vec::new();
    for &m in minutes {
        let mut spec = scale_duration(root, "scenarios/bench/hour.toml", m * 60_000)?;
        spec.checkpoint.interval_ms = Some(DENSE_INTERVAL_MS);
        spec.name = format!("bench-hour at {DENSE_INTERVAL_MS} ms");
        let (run, world) = timed(|| world::run_lean(&spec, spec.default_seed));
        let (verdicts, checkers) = timed(|| {
            let reference = reference::compute(&spec);
            check::check_all(&spec, &run, &reference)
        });
        let p = DensePoint {
            minutes: m,
            checkpoints: run.checkpoints.len(),
            events: run.trace.len(),
            world,
            checkers,
            checkers_passed: verdicts.iter().all(|v| v.passed != Some(false)),
            rss_kib: rss_kib(),
        };
        drop(run);
        progress(&format!(
            "dense    {:>3} virtual min at {DENSE_INTERVAL_MS} ms: {} checkpoints, {:.2} core-s (checkers {:.2}), RSS {} MiB",
            p.minutes,
            p.checkpoints,
            p.core_s(),
            p.checkers.core_s(),
            p.rss_kib / 1024
        ));
        out.push(p);
    }
    Ok(out)
}

/// The series as Markdown: a table and the issue-19 targets (each doubling of the run length
/// at most 2.2x the CPU; one virtual hour in at most 10 core-s and 500 MB).
pub fn markdown(points: &[DensePoint]) -> String {
    let mut s = String::new();
    if points.is_empty() {
        return s;
    }
    let _ = writeln!(
        s,
        "Cost against run length (`bench-hour` with a {DENSE_INTERVAL_MS} ms checkpoint interval, lean trace; world + checkers, one core):\n"
    );
    let _ = writeln!(s, "| virtual min | checkpoints | events | world core-s | checkers core-s | total core-s | x previous | RSS (MiB) | checkers |");
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    let mut prev: Option<&DensePoint> = None;
    let mut worst_doubling: f64 = 0.0;
    for p in points {
        let ratio = prev.map(|q| p.core_s() / q.core_s().max(1e-9));
        if let (Some(r), Some(q)) = (ratio, prev) {
            if p.minutes == 2 * q.minutes {
                worst_doubling = worst_doubling.max(r);
            }
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {} |",
            p.minutes,
            p.checkpoints,
            p.events,
            p.world.core_s(),
            p.checkers.core_s(),
            p.core_s(),
            ratio.map_or("–".to_string(), |r| format!("{r:.2}")),
            p.rss_kib / 1024,
            if p.checkers_passed { "pass" } else { "FAIL" }
        );
        prev = Some(p);
    }
    let _ = writeln!(s);
    let met = |ok: bool| if ok { "met" } else { "**missed**" };
    let _ = writeln!(
        s,
        "* each doubling of the run length <= 2.2x the CPU: worst {worst_doubling:.2}x — {}",
        met(worst_doubling <= 2.2)
    );
    if let Some(h) = points.iter().find(|p| p.minutes == 60) {
        let _ = writeln!(
            s,
            "* one virtual hour at {DENSE_INTERVAL_MS} ms in <= 10 core-s: {:.2} — {}",
            h.core_s(),
            met(h.core_s() <= 10.0)
        );
        let _ = writeln!(
            s,
            "* ... and <= 500 MB (476 MiB): {} MiB — {}",
            h.rss_kib / 1024,
            met(h.rss_kib * 1024 <= 500_000_000)
        );
    }
    let _ = writeln!(s);
    s
}
