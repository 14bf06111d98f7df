//! The run report: one self-contained HTML page (inline SVG and CSS; no script, no network) that shows a run on one time axis.
//!
//! [`Timeline::build`] turns a run ([`RunResult`] with its trace, plus the checkers' verdicts)
//! into a time-indexed model: job status segments, restarts, one lane per task (execution
//! states, alignment, synchronous snapshot, upload, exceptions, declines), checkpoint bars,
//! faults, user actions, re-tunes and anomalies. [`render_html`] draws it; `chrome.rs` writes
//! the same model in Chrome's Trace Event Format.
//!
//! The page is XHTML-compatible (every element closed, attributes quoted, text escaped), so an
//! XML parser can check it. Stable ids and classes let tests count what was drawn:
//! `lane-<task index>` (class `lane`, `data-task` = task name), `checkpoint-bar` (`data-id`),
//! `checkpoint-bucket` (`data-count`), `fault-marker`, `action-marker`, `retune-marker`,
//! `restart-marker`, `anomaly-marker` (`anomaly-<n>`), `duration-bar`, `alignment-bar`,
//! `offset-line` (`data-partition`).
//!
//! Long runs stay usable: beyond [`ReportOptions`]' limits, checkpoints and snapshot phases are
//! summarised per time bucket, and the output and checkpoint tables are truncated with counts.

mod charts;
mod draw;
mod tables;
mod timeline;
mod timeline_svg;

use charts::*;
pub use draw::*;
use tables::*;
pub use timeline::*;
use timeline_svg::*;

use crate::check::Verdict;
use crate::outcome::Outcome;
use crate::spec::{InputSpec, JobSpec, OpKind};
use crate::trace::{EventData, TraceEvent};
use crate::world::{CheckpointRow, OutputRow, RunResult, SnapshotResult};
use ckptsim::status::{ExecutionState, JobStatus};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

// ------------------------------------------------------------------ options

/// Limits that keep the page small and readable for long runs.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// Checkpoints drawn as individual bars; beyond this the failed ones (up to this many) stay
    /// individual and the rest are summarised per time bucket.
    pub max_checkpoint_bars: usize,
    /// Snapshot phases drawn individually on a task lane; beyond this, per-bucket density.
    pub max_lane_phases: usize,
    /// Rows of the output table (the first half of this, then duplicates).
    pub max_output_rows: usize,
    /// Rows of the checkpoint table.
    pub max_checkpoint_rows: usize,
    /// Anomalies listed and marked per checker.
    pub max_anomalies_per_checker: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            max_checkpoint_bars: 300,
            max_lane_phases: 240,
            max_output_rows: 300,
            max_checkpoint_rows: 200,
            max_anomalies_per_checker: 50,
        }
    }
}

// ------------------------------------------------------------------ the page

/// Renders the report of one run of `spec` as a self-contained XHTML-compatible HTML page.
pub fn render_html(spec: &JobSpec, o: &Outcome, opts: &ReportOptions) -> String {
    let run = &o.run;
    let tl = Timeline::build(run, &o.verdicts);
    let scale = Scale { stop: run.stop_at_ms.max(1) };
    let mut h = String::with_capacity(64 * 1024);
    let passed = o.passed();
    h.push_str("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n");
    h.push_str("<meta charset=\"utf-8\"/>\n");
    let _ = writeln!(h, "<title>ckptsim report: {} seed {}</title>", esc(&spec.name), o.seed);
    let _ = writeln!(h, "<style>{CSS}</style>\n</head>\n<body>");
    let _ = writeln!(h, "<h1>{} <span class=\"meta\">seed {}</span></h1>", esc(&spec.name), o.seed);
    let completed = run.checkpoints.iter().filter(|r| r.outcome == "COMPLETED").count();
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} · profile {} · variant {} · stop at {} · restart {}<br/>final status <b>{}</b> · {} restarts · {} checkpoints ({} completed) · verdict <span class=\"{}\">{}</span> · trace hash {:016x} ({} events)</p>",
        esc(&spec.source_path),
        spec.profile,
        spec.variant,
        secs(run.stop_at_ms),
        esc(&run.restart_description),
        run.final_status,
        run.restarts,
        run.checkpoints.len(),
        completed,
        if passed { "pass" } else { "fail" },
        if passed { "PASS" } else { "FAIL" },
        o.trace_hash(),
        run.trace.len()
    );
    h.push_str("<p><a href=\"#timeline\">timeline</a> · <a href=\"#durations\">checkpoint durations</a> · <a href=\"#offsets\">offsets</a> · <a href=\"#checkers\">checkers</a> · <a href=\"#restores\">restores</a> · <a href=\"#checkpoint-table\">checkpoints</a> · <a href=\"#output\">output</a></p>\n");

    // Anomalies that are listed (and marked) — numbered once for both places.
    let listed = listed_anomalies(&tl, opts);
    crate::triage::section(&mut h, spec, o, &tl, &listed);

    h.push_str("<h2 id=\"timeline\">Timeline</h2>\n");
    legend(&mut h);
    timeline_svg(&mut h, &tl, &scale, opts, &listed);

    h.push_str("<h2 id=\"durations\">Checkpoint duration and alignment time</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"meta\">One bar per checkpoint at its trigger time (height: trigger → completion or abort; pending ones: to the end of the run). Dashed lines: re-tunes. Config at the end: interval {}, timeout {}, min pause {} ms.</p>",
        run.final_checkpoint_config.base_interval_ms().map(dur).unwrap_or_else(|| "disabled".into()),
        dur(run.final_checkpoint_config.timeout_ms.max(0) as u64),
        run.final_checkpoint_config.min_pause_ms
    );
    duration_chart(&mut h, &tl, &scale, opts, false);
    duration_chart(&mut h, &tl, &scale, opts, true);

    h.push_str("<h2 id=\"offsets\">Committed offsets per partition</h2>\n");
    offsets_chart(&mut h, spec, run, &scale);

    h.push_str("<h2 id=\"checkers\">Checkers</h2>\n");
    checkers_section(&mut h, o, &listed);

    h.push_str("<h2 id=\"restores\">Restores</h2>\n");
    restores_table(&mut h, run);

    h.push_str("<h2 id=\"checkpoint-table\">Checkpoints</h2>\n");
    checkpoint_table(&mut h, run, opts);

    h.push_str("<h2 id=\"output\">Output</h2>\n");
    output_table(&mut h, spec, run, opts);

    let _ = writeln!(
        h,
        "<p class=\"meta\">replay: <code>cargo run --release -- run {} --seed {}</code></p>\n</body>\n</html>",
        esc(&spec.source_path),
        o.seed
    );
    h
}

/// The anomalies that are listed and marked: up to the per-checker limit, numbered in order.
fn listed_anomalies<'a>(tl: &'a Timeline, opts: &ReportOptions) -> Vec<(usize, &'a Anomaly)> {
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = vec![];
    for a in &tl.anomalies {
        let n = per.entry(a.checker).or_default();
        *n += 1;
        if *n <= opts.max_anomalies_per_checker {
            out.push((out.len(), a));
        }
    }
    out
}

fn legend(h: &mut String) {
    let items: [(&str, &str); 16] = [
        ("#82e0aa", "job RUNNING"),
        ("#f8c471", "RESTARTING / restart delay"),
        ("#cb4335", "FAILED"),
        ("#aed6f1", "task DEPLOYING"),
        ("#85c1e9", "INITIALIZING"),
        ("#d4efdf", "RUNNING"),
        ("#cacfd2", "CANCELING / CANCELED"),
        ("#f5b7b1", "FAILED / fault"),
        ("#f4d03f", "aligning"),
        ("#6c3483", "sync snapshot"),
        ("#3498db", "upload"),
        ("#27ae60", "checkpoint completed"),
        ("#e67e22", "expired"),
        ("#c0392b", "failed / declined"),
        ("#95a5a6", "pending"),
        ("#8e44ad", "re-tune"),
    ];
    h.push_str("<p class=\"legend\">");
    for (c, l) in items {
        let _ = write!(h, "<span><span class=\"sw\" style=\"background:{c}\"></span>{}</span>", esc(l));
    }
    h.push_str("<span><span class=\"sw\" style=\"background:repeating-linear-gradient(45deg,#1f618d 0 2px,#fff 2px 4px)\"></span>restoring state</span>");
    h.push_str("</p>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_steps_read_like_a_clock() {
        assert_eq!(time_step(1_500_000, 12), 300_000);
        assert_eq!(time_step(3_600_000, 12), 300_000);
        assert_eq!(time_step(90_000, 12), 10_000);
        assert_eq!(time_step(30_000, 12), 5_000);
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(90_000, 12), 10_000);
        assert_eq!(nice_step(1_500_000, 12), 200_000);
        assert_eq!(nice_step(3_600_000, 12), 500_000);
        assert_eq!(nice_step(7, 4), 2);
    }

    #[test]
    fn escaping_and_numbers() {
        assert_eq!(esc("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
        assert_eq!(px(12.0), "12");
        assert_eq!(px(12.34), "12.3");
        assert_eq!(dur(1500), "1.5 s");
        assert_eq!(dur(90_000), "90 s");
        assert_eq!(dur(8), "8 ms");
    }

    #[test]
    fn packing_reuses_free_rows() {
        let (rows, n) = pack(&[(0, 10), (5, 15), (10, 20), (16, 30)], 6);
        assert_eq!(rows, vec![0, 1, 0, 1]);
        assert_eq!(n, 2);
    }

    #[test]
    fn retune_text_is_compacted() {
        let request =
            ckptsim::config::Retune { interval_ms: Some(300000), timeout_ms: Some(600000), ..Default::default() };
        let r = Retuned { time_ms: 0, label: String::new(), request, rejected: None };
        assert_eq!(r.compact(), "re-tune interval_ms: 300000, timeout_ms: 600000 accepted");
        let r = Retuned { rejected: Some("interval_ms: must be > 0".into()), ..r };
        assert_eq!(r.compact(), "re-tune interval_ms: 300000, timeout_ms: 600000 rejected: interval_ms: must be > 0");
    }

    #[test]
    fn chosen_rows_keep_edges_and_wanted() {
        let rows = chosen_rows(100, 20, |i| i == 50);
        assert!(rows.contains(&0) && rows.contains(&99) && rows.contains(&50));
        assert_eq!(rows.len(), 20, "the budget is used");
        assert_eq!(chosen_rows(5, 20, |_| false), vec![0, 1, 2, 3, 4]);
    }
}
