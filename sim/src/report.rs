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

use crate::check::Verdict;
use crate::outcome::Outcome;
use crate::spec::{InputSpec, JobSpec, OpKind};
use crate::trace::TraceEvent;
use crate::world::{CheckpointRow, OutputRow, RunResult, SnapshotResult};
use ckptsim::status::{ExecutionState, JobStatus};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

// ------------------------------------------------------------------ the timeline model

/// A span of one job status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSegment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub status: JobStatus,
}

/// A scheduled restart: the failure at `at_ms`, the backoff, and when the job was restored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestartMark {
    pub at_ms: u64,
    pub failure: u32,
    pub backoff_ms: u64,
    pub restored_at_ms: Option<u64>,
    pub restored_from: Option<u64>,
}

/// A span of one execution state of a task, as the JobManager saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateSegment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub state: ExecutionState,
    /// Set on the segment in which the task restored state from this checkpoint.
    pub restore_from: Option<u64>,
}

/// What a task was doing for a checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PhaseKind {
    /// Waiting for the barriers of every input (first barrier in → last barrier in).
    Align,
    /// The synchronous part of the snapshot (blocks the task).
    Sync,
    /// The asynchronous upload to checkpoint storage.
    Upload,
}

impl PhaseKind {
    pub fn name(self) -> &'static str {
        match self {
            PhaseKind::Align => "align",
            PhaseKind::Sync => "snapshot",
            PhaseKind::Upload => "upload",
        }
    }
}

/// One phase of one task's part of one checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase {
    pub kind: PhaseKind,
    pub checkpoint: u64,
    pub start_ms: u64,
    pub end_ms: u64,
    pub detail: String,
}

/// An instant on a task lane: an exception, an injected failure, a decline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskMark {
    pub time_ms: u64,
    /// `exception`, `fault`, `decline` or `sink`.
    pub kind: &'static str,
    pub text: String,
}

/// Everything drawn on one task's lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskLane {
    pub index: usize,
    pub name: String,
    /// The TaskManager that ran it (from the trace), e.g. `tm0`.
    pub tm: Option<String>,
    pub segments: Vec<StateSegment>,
    pub phases: Vec<Phase>,
    pub marks: Vec<TaskMark>,
}

/// One checkpoint as a bar from trigger to completion or abort (or the end of the run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointBar {
    pub row: CheckpointRow,
    /// `end_ms`, or the end of the run for a pending checkpoint.
    pub end_ms: u64,
}

/// A fault from `chaos fault start` to its `end` (None: lasts to the end / instantaneous).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultSpan {
    pub start_ms: u64,
    pub end_ms: Option<u64>,
    /// The fault as the trace names it, e.g. `TaskFailure { task: "Sum[0]" }`.
    pub label: String,
}

/// An instant event with a label (user actions, re-tunes, cluster events).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub time_ms: u64,
    pub node: String,
    pub label: String,
}

/// One anomaly a checker reported, with the moment it names (if it names one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anomaly {
    pub checker: &'static str,
    pub text: String,
    pub time_ms: Option<u64>,
}

/// A run as a set of things on one time axis (`0..stop_ms` of virtual time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    pub stop_ms: u64,
    pub job: Vec<JobSegment>,
    pub restarts: Vec<RestartMark>,
    pub tasks: Vec<TaskLane>,
    pub checkpoints: Vec<CheckpointBar>,
    pub faults: Vec<FaultSpan>,
    /// `client action` events.
    pub actions: Vec<Marker>,
    /// `jm retune` events (accepted or rejected).
    pub retunes: Vec<Marker>,
    /// JobManager/TaskManager crashes and restarts, lost TaskManagers, suppressed restarts.
    pub cluster: Vec<Marker>,
    pub anomalies: Vec<Anomaly>,
}

impl Timeline {
    /// Builds the timeline of a run from its result, its trace and the verdicts.
    pub fn build(run: &RunResult, verdicts: &[Verdict]) -> Timeline {
        let stop = run.stop_at_ms;
        let events = run.trace.events();
        let names: BTreeMap<&str, usize> = run.task_names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let mut tasks: Vec<TaskLane> = run
            .task_names
            .iter()
            .enumerate()
            .map(|(index, name)| TaskLane {
                index,
                name: name.clone(),
                tm: None,
                segments: vec![],
                phases: vec![],
                marks: vec![],
            })
            .collect();

        // Task states: every `jm task` trace line has its structured twin in task_transitions
        // (pushed together), so walk the trace and take the transitions in order. A restore
        // event marks the segment each task leaves for RUNNING next as the restoring one.
        let mut transitions = run.task_transitions.iter();
        let mut open: Vec<Option<(u64, ExecutionState)>> = vec![None; tasks.len()];
        let mut pending_restore: Vec<Option<u64>> = vec![None; tasks.len()];
        let mut faults: Vec<FaultSpan> = vec![];
        let mut actions = vec![];
        let mut retunes = vec![];
        let mut cluster = vec![];
        let mut restores: Vec<(u64, Option<u64>)> = vec![];
        for e in events {
            match (e.node.as_str(), e.kind) {
                ("jm", "task") => {
                    let Some((t, name, from, to)) = transitions.next() else { continue };
                    let Some(&i) = names.get(name.as_str()) else { continue };
                    let (since, state) = open[i].unwrap_or((0, *from));
                    if *t > since {
                        let restore_from =
                            if *to == ExecutionState::Running { pending_restore[i].take() } else { None };
                        tasks[i].segments.push(StateSegment { start_ms: since, end_ms: *t, state, restore_from });
                    } else if *to == ExecutionState::Running {
                        pending_restore[i] = None;
                    }
                    open[i] = Some((*t, *to));
                }
                ("jm", "restore") => {
                    let cp = some_number(&e.detail);
                    restores.push((e.time_ms, cp));
                    pending_restore.iter_mut().for_each(|p| *p = cp);
                }
                ("jm", "jm-start") => {
                    let cp = some_number(&e.detail);
                    if cp.is_some() {
                        pending_restore.iter_mut().for_each(|p| *p = cp);
                    }
                    if !e.detail.starts_with("epoch=1 ") {
                        cluster.push(marker(e, format!("JobManager restarted: {}", e.detail)));
                    }
                }
                ("jm", "retune") => retunes.push(marker(e, e.detail.clone())),
                ("jm", "tm-lost") => cluster.push(marker(e, format!("TaskManager lost: {}", e.detail))),
                ("jm", "failure") if e.detail.contains("suppressed") => cluster.push(marker(e, e.detail.clone())),
                ("jm", "tolerable") => cluster.push(marker(e, format!("tolerable failures {}", e.detail))),
                (_, "crash") => cluster.push(marker(e, format!("{} crashed ({})", e.node, e.detail))),
                (n, "tm-start") if n.starts_with("tm") && !e.detail.ends_with("incarnation=1") => {
                    cluster.push(marker(e, format!("{n} restarted ({})", e.detail)))
                }
                ("client", "action") => actions.push(marker(e, e.detail.clone())),
                ("chaos", "fault") => {
                    if let Some(kind) = e.detail.strip_prefix("start ") {
                        faults.push(FaultSpan { start_ms: e.time_ms, end_ms: None, label: kind.to_string() });
                    } else if let Some(kind) = e.detail.strip_prefix("end ") {
                        if let Some(f) = faults.iter_mut().find(|f| f.end_ms.is_none() && f.label == kind) {
                            f.end_ms = Some(e.time_ms);
                        }
                    }
                }
                (n, kind) if n.starts_with("tm") => {
                    let task = match kind {
                        "exception" | "fault" => task_prefix(&e.detail, &names),
                        "decline" | "sink" => task_ref(&e.detail).filter(|i| *i < tasks.len()),
                        "snapshot" => task_prefix(&e.detail, &names),
                        _ => None,
                    };
                    let Some(i) = task else { continue };
                    if tasks[i].tm.is_none() {
                        tasks[i].tm = Some(n.to_string());
                    }
                    if kind != "snapshot" {
                        tasks[i].marks.push(TaskMark { time_ms: e.time_ms, kind, text: e.detail.clone() });
                    }
                }
                _ => {}
            }
        }
        for (i, o) in open.iter().enumerate() {
            if let Some((since, state)) = *o {
                if stop > since {
                    tasks[i].segments.push(StateSegment { start_ms: since, end_ms: stop, state, restore_from: None });
                }
            }
        }

        // Snapshot phases from the world's per-task spans.
        for s in &run.snapshot_spans {
            let Some(lane) = tasks.get_mut(s.task.0 as usize) else { continue };
            let cp = s.checkpoint.0;
            // An unfinished phase lasts until the task stopped running (or the end of the run).
            let gone = lane
                .segments
                .iter()
                .find(|g| g.start_ms >= s.sync_start_ms && g.state != ExecutionState::Running)
                .map(|g| g.start_ms)
                .unwrap_or(stop);
            if s.sync_start_ms > s.align_start_ms {
                lane.phases.push(Phase {
                    kind: PhaseKind::Align,
                    checkpoint: cp,
                    start_ms: s.align_start_ms,
                    end_ms: s.sync_start_ms,
                    detail: format!(
                        "checkpoint {cp}: aligning {} ms{}",
                        s.sync_start_ms - s.align_start_ms,
                        if s.unaligned { " (then unaligned)" } else { "" }
                    ),
                });
            }
            let sync_end = s.sync_end_ms.unwrap_or(gone).max(s.sync_start_ms);
            lane.phases.push(Phase {
                kind: PhaseKind::Sync,
                checkpoint: cp,
                start_ms: s.sync_start_ms,
                end_ms: sync_end,
                detail: format!(
                    "checkpoint {cp}: synchronous snapshot, {} B{}",
                    s.size_bytes,
                    if s.unaligned { ", unaligned" } else { "" }
                ),
            });
            if s.sync_end_ms.is_some() {
                let end = s.upload_end_ms.unwrap_or(gone).max(sync_end);
                let result = match s.result {
                    SnapshotResult::Acked => "acknowledged",
                    SnapshotResult::Declined => "declined: storage down",
                    SnapshotResult::Abandoned => "abandoned: task cancelled",
                    SnapshotResult::Unfinished => "unfinished",
                };
                lane.phases.push(Phase {
                    kind: PhaseKind::Upload,
                    checkpoint: cp,
                    start_ms: sync_end,
                    end_ms: end,
                    detail: format!("checkpoint {cp}: upload {} B, {} ms, {result}", s.size_bytes, end - sync_end),
                });
            }
        }

        let mut job = vec![];
        for (i, (t, status)) in run.status_timeline.iter().enumerate() {
            let end = run.status_timeline.get(i + 1).map(|n| n.0).unwrap_or(stop).max(*t);
            if end > *t || i + 1 == run.status_timeline.len() {
                job.push(JobSegment { start_ms: *t, end_ms: end, status: *status });
            }
        }
        let restarts = run
            .restart_schedule
            .iter()
            .map(|(t, n, backoff)| {
                let restored = restores.iter().find(|(rt, _)| rt >= t);
                RestartMark {
                    at_ms: *t,
                    failure: *n,
                    backoff_ms: *backoff,
                    restored_at_ms: restored.map(|r| r.0),
                    restored_from: restored.and_then(|r| r.1),
                }
            })
            .collect();
        let checkpoints = run
            .checkpoints
            .iter()
            .map(|r| CheckpointBar { row: r.clone(), end_ms: r.end_ms.unwrap_or(stop) })
            .collect();
        let anomalies = verdicts
            .iter()
            .filter(|v| v.passed == Some(false))
            .flat_map(|v| {
                v.anomalies.iter().map(|a| Anomaly { checker: v.checker, text: a.clone(), time_ms: anomaly_time(a) })
            })
            .collect();
        Timeline { stop_ms: stop, job, restarts, tasks, checkpoints, faults, actions, retunes, cluster, anomalies }
    }
}

fn marker(e: &TraceEvent, label: String) -> Marker {
    Marker { time_ms: e.time_ms, node: e.node.clone(), label }
}

/// The number inside the first `Some(..)` of a trace detail (`restore=Some(12)`).
fn some_number(s: &str) -> Option<u64> {
    let i = s.find("Some(")?;
    leading_number(&s[i + 5..])
}

fn leading_number(s: &str) -> Option<u64> {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// The task whose name starts the detail (longest match: names may prefix each other).
fn task_prefix(detail: &str, names: &BTreeMap<&str, usize>) -> Option<usize> {
    names.iter().filter(|(n, _)| detail.starts_with(**n)).max_by_key(|(n, _)| n.len()).map(|(_, i)| *i)
}

/// A `tK` task reference at the start of a trace detail.
fn task_ref(detail: &str) -> Option<usize> {
    leading_number(detail.strip_prefix('t')?).map(|n| n as usize)
}

/// The moment an anomaly names: `t=123`, `at [123, ...] ms`, `(at 123 ms)`.
pub fn anomaly_time(text: &str) -> Option<u64> {
    for pat in ["t=", "at [", "(at "] {
        let mut rest = text;
        while let Some(i) = rest.find(pat) {
            let boundary = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric() || pat != "t=";
            if boundary {
                if let Some(n) = leading_number(&rest[i + pat.len()..]) {
                    return Some(n);
                }
            }
            rest = &rest[i + pat.len()..];
        }
    }
    None
}

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

// ------------------------------------------------------------------ drawing helpers

const LABEL_W: f64 = 290.0;
const PLOT_W: f64 = 1040.0;
const SVG_W: f64 = LABEL_W + PLOT_W + 20.0;
/// Width of one summary bucket in pixels.
const BUCKET_PX: f64 = 4.0;

/// Virtual time → x pixel.
struct Scale {
    stop: u64,
}

impl Scale {
    fn x(&self, t: u64) -> f64 {
        LABEL_W + t.min(self.stop) as f64 * PLOT_W / self.stop.max(1) as f64
    }
    fn buckets(&self) -> usize {
        (PLOT_W / BUCKET_PX) as usize
    }
    /// The bucket of a time, and a bucket's time range.
    fn bucket_of(&self, t: u64) -> usize {
        ((t.min(self.stop) as u128 * self.buckets() as u128) / self.stop.max(1) as u128).min(self.buckets() as u128 - 1)
            as usize
    }
    fn bucket_range(&self, b: usize) -> (u64, u64) {
        let n = self.buckets() as u128;
        let s = self.stop as u128;
        ((b as u128 * s / n) as u64, ((b as u128 + 1) * s / n) as u64)
    }
}

/// A pixel coordinate with at most one decimal.
fn px(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// `12.345 s`
pub fn secs(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// A short duration: `8 ms`, `1.5 s`, `90 s`.
fn dur(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        let s = format!("{:.3}", ms as f64 / 1000.0);
        format!("{} s", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

fn tick_label(ms: u64, long: bool) -> String {
    if ms == 0 {
        "0".into()
    } else if long {
        format!("{}:{:02}", ms / 60_000, (ms / 1000) % 60)
    } else {
        dur(ms).replace(" ms", "ms")
    }
}

/// A step of 1, 2 or 5 × 10^k with at most `max` steps in `range`.
fn nice_step(range: u64, max: u64) -> u64 {
    let raw = range.div_ceil(max.max(1)).max(1);
    let mut mag = 1u64;
    while mag.saturating_mul(10) <= raw {
        mag *= 10;
    }
    for m in [1, 2, 5, 10] {
        if m * mag >= raw {
            return m * mag;
        }
    }
    10 * mag
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut o: String = s.chars().take(max.saturating_sub(1)).collect();
        o.push('…');
        o
    }
}

fn outcome_class(outcome: &str) -> &'static str {
    match outcome {
        "COMPLETED" => "o-completed",
        "PENDING" => "o-pending",
        "CHECKPOINT_EXPIRED" => "o-expired",
        _ => "o-failed",
    }
}

/// Severity of an outcome class for summaries (worst wins).
fn outcome_rank(class: &str) -> u8 {
    match class {
        "o-completed" => 0,
        "o-pending" => 1,
        "o-expired" => 2,
        _ => 3,
    }
}

fn state_class(s: ExecutionState) -> String {
    format!("st-{}", s.name().to_ascii_lowercase())
}

fn job_class(s: JobStatus) -> String {
    format!("js-{}", s.name().to_ascii_lowercase())
}

/// Compact form of a re-tune detail: `interval_ms: 300000, timeout_ms: 600000 accepted`.
fn compact_retune(text: &str) -> String {
    let (Some(a), Some(b)) = (text.find("{ "), text.rfind(" }")) else { return text.to_string() };
    let fields: Vec<String> = text[a + 2..b]
        .split(", ")
        .filter(|f| !f.ends_with(": None"))
        .map(|f| f.replacen("Some(", "", 1).trim_end_matches(')').to_string())
        .collect();
    format!("re-tune {}{}", fields.join(", "), &text[b + 2..])
}

const CSS: &str = r#"
body{font:13px/1.4 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:16px;color:#1b2631;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 6px;border-bottom:1px solid #d5d8dc}
.meta{color:#566573}.pass{color:#1e8449;font-weight:bold}.fail{color:#c0392b;font-weight:bold}.na{color:#808b96}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #d5d8dc;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f2f4f4}tr.dup td{background:#fdebd0}tr.gap td{color:#808b96;font-style:italic;background:#fbfcfc}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.legend span{display:inline-block;margin-right:12px;white-space:nowrap}.sw{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px;border:1px solid #aab}
svg{display:block;margin:4px 0}svg text{font-size:11px;fill:#1b2631;font-family:Helvetica,Arial,sans-serif}
svg text.lbl{text-anchor:end}svg text.small{font-size:9px;fill:#34495e}svg text.axis{fill:#566573;font-size:10px}
.grid{stroke:#eaeded;stroke-width:1}.lanebg{fill:#fbfcfc}.rowsep{stroke:#f2f3f4}
.js-created{fill:#dde3ea}.js-running{fill:#82e0aa}.js-restarting{fill:#f8c471}.js-failing{fill:#f1948a}.js-failed{fill:#cb4335}
.js-cancelling{fill:#ccd1d1}.js-canceled{fill:#99a3a4}.js-finished{fill:#5dade2}.js-suspended{fill:#bb8fce}
.st-created,.st-scheduled{fill:#eef1f4}.st-deploying{fill:#aed6f1}.st-initializing{fill:#85c1e9}.st-running{fill:#d4efdf}
.st-finished{fill:#a9cce3}.st-canceling{fill:#e5e8e8}.st-canceled{fill:#cacfd2}.st-failed{fill:#f5b7b1}
.restoring{fill:url(#hatch)}
.ph-align{fill:#f4d03f}.ph-snapshot{fill:#6c3483}.ph-upload{fill:#3498db}
.checkpoint-bar{stroke:#fff;stroke-width:.7}.o-completed{fill:#27ae60}.o-expired{fill:#e67e22}.o-failed{fill:#c0392b}.o-pending{fill:#95a5a6}
.checkpoint-bar.savepoint{stroke:#17202a;stroke-width:1}
.fault-span{fill:#f5b7b1;fill-opacity:.55;stroke:#c0392b;stroke-width:.6}.fault-line{stroke:#e74c3c;stroke-width:1;stroke-opacity:.35}
.tri-fault{fill:#c0392b}.tri-action{fill:#2471a3}.tri-event{fill:#7b241c}.dia-retune{fill:#8e44ad}
.retune-line{stroke:#8e44ad;stroke-width:1.5;stroke-dasharray:5 3}.restart-span{fill:#f8c471;stroke:#b9770e;stroke-width:.8}
.mark-exception,.mark-fault,.mark-sink{fill:#c0392b}.mark-decline{fill:#d35400}
.anomaly{fill:#e74c3c;stroke:#78281f;stroke-width:.8}.anomaly-marker:target .anomaly{fill:#f1c40f}
.alignment-bar,.alignment-bucket{fill:#d4ac0d}.offset-line{fill:none;stroke-width:1.6}.logend-line{fill:none;stroke-width:1;stroke-dasharray:4 3}
.p0{stroke:#2874a6}.p1{stroke:#d35400}.p2{stroke:#229954}.p3{stroke:#8e44ad}.p4{stroke:#b03a2e}.p5{stroke:#17a589}.p6{stroke:#7d6608}.p7{stroke:#5d6d7e}
.rejected{fill:#c0392b}
li.anom:target{background:#fcf3cf}a{color:#1f618d}
"#;

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
        run.trace.events().len()
    );
    h.push_str("<p><a href=\"#timeline\">timeline</a> · <a href=\"#durations\">checkpoint durations</a> · <a href=\"#offsets\">offsets</a> · <a href=\"#checkers\">checkers</a> · <a href=\"#checkpoint-table\">checkpoints</a> · <a href=\"#output\">output</a></p>\n");

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

/// A time-axis step that reads well on a clock: 1-2-5 ms/s, 10/15/30 s, 1/2/5/10/15/30 min, hours.
fn time_step(range: u64, max: u64) -> u64 {
    const STEPS: [u64; 27] = [
        1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
        600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
    ];
    let raw = range.div_ceil(max.max(1)).max(1);
    STEPS.iter().copied().find(|s| *s >= raw).unwrap_or_else(|| nice_step(range, max))
}

fn axis(h: &mut String, scale: &Scale, y_label: f64, y0: f64, y1: f64) {
    let long = scale.stop >= 600_000;
    let step = time_step(scale.stop, 12);
    let mut t = 0;
    while t <= scale.stop {
        let x = px(scale.x(t));
        let _ = write!(h, "<line class=\"grid\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>", px(y0), px(y1));
        let _ = write!(
            h,
            "<text class=\"axis\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            px(y_label),
            tick_label(t, long)
        );
        t += step;
    }
    h.push('\n');
}

/// A triangle pointing down with its tip at (x, y).
fn triangle(x: f64, y: f64, s: f64) -> String {
    format!("M{} {}L{} {}L{} {}Z", px(x - s), px(y - s * 1.6), px(x + s), px(y - s * 1.6), px(x), px(y))
}

fn diamond(x: f64, y: f64, s: f64) -> String {
    format!("M{} {}L{} {}L{} {}L{} {}Z", px(x), px(y - s), px(x + s), px(y), px(x), px(y + s), px(x - s), px(y))
}

fn row_label(h: &mut String, y: f64, text: &str, title: Option<&str>) {
    let _ = write!(h, "<text class=\"lbl\" x=\"{}\" y=\"{}\">", px(LABEL_W - 6.0), px(y));
    if let Some(t) = title {
        let _ = write!(h, "<title>{}</title>", esc(t));
    }
    let _ = writeln!(h, "{}</text>", esc(text));
}

/// Greedy packing of intervals into rows: each goes into the first row that is free at its start.
fn pack(intervals: &[(u64, u64)], max_rows: usize) -> (Vec<usize>, usize) {
    let mut ends: Vec<u64> = vec![];
    let mut rows = vec![];
    for &(s, e) in intervals {
        let r = match ends.iter().position(|&end| end <= s) {
            Some(r) => r,
            None if ends.len() < max_rows => {
                ends.push(0);
                ends.len() - 1
            }
            None => {
                // Every row is busy: take the one that frees first.
                ends.iter().enumerate().min_by_key(|(_, e)| **e).map(|(i, _)| i).unwrap_or(0)
            }
        };
        ends[r] = ends[r].max(e);
        rows.push(r);
    }
    (rows, ends.len())
}

/// Which checkpoints are drawn one by one; the rest go into per-bucket summaries.
fn individual_checkpoints(tl: &Timeline, opts: &ReportOptions) -> Vec<bool> {
    if tl.checkpoints.len() <= opts.max_checkpoint_bars {
        return vec![true; tl.checkpoints.len()];
    }
    let mut budget = opts.max_checkpoint_bars;
    tl.checkpoints
        .iter()
        .map(|c| {
            let interesting = c.row.outcome != "COMPLETED" || c.row.savepoint;
            if interesting && budget > 0 {
                budget -= 1;
                true
            } else {
                false
            }
        })
        .collect()
}

fn checkpoint_title(c: &CheckpointBar) -> String {
    let r = &c.row;
    format!(
        "{} {}: {} — triggered at {}, {} {}, alignment {} ms, size {} B{}",
        if r.savepoint { "savepoint" } else { "checkpoint" },
        r.id,
        r.outcome,
        secs(r.trigger_ms),
        match r.end_ms {
            Some(_) if r.outcome == "COMPLETED" => "completed after",
            Some(_) => "ended after",
            None => "pending for",
        },
        dur(c.end_ms.saturating_sub(r.trigger_ms)),
        r.alignment_ms,
        r.size_bytes,
        if r.unaligned { ", unaligned" } else { "" }
    )
}

fn timeline_svg(h: &mut String, tl: &Timeline, scale: &Scale, opts: &ReportOptions, listed: &[(usize, &Anomaly)]) {
    // Layout: compute every row's y first, then draw.
    let top = 20.0;
    let job_y = top + 4.0;
    let restart_y = job_y + 20.0;
    let fault_intervals: Vec<(u64, u64)> =
        tl.faults.iter().map(|f| (f.start_ms, f.end_ms.unwrap_or(f.start_ms + 1).max(f.start_ms + 1))).collect();
    let (fault_rows, n_fault_rows) = pack(&fault_intervals, 4);
    let fault_y = restart_y + 20.0;
    let fault_h = 16.0 * n_fault_rows.max(1) as f64;
    let action_y = fault_y + fault_h + 4.0;
    let cluster_y = action_y + 20.0;
    let lanes_y = cluster_y + 20.0;
    let lane_h = 22.0;
    let cp_y = lanes_y + lane_h * tl.tasks.len() as f64 + 6.0;
    let individual = individual_checkpoints(tl, opts);
    let drawn: Vec<(usize, &CheckpointBar)> =
        tl.checkpoints.iter().enumerate().filter(|(i, _)| individual[*i]).collect();
    let cp_intervals: Vec<(u64, u64)> =
        drawn.iter().map(|(_, c)| (c.row.trigger_ms, c.end_ms.max(c.row.trigger_ms + 1))).collect();
    let (cp_rows, n_cp_rows) = pack(&cp_intervals, 6);
    let cp_h = 12.0;
    let any_bucket = individual.iter().any(|b| !b);
    let bucket_y = cp_y + cp_h * n_cp_rows.max(1) as f64 + 2.0;
    let anomaly_y = bucket_y + if any_bucket { cp_h + 4.0 } else { 0.0 } + 4.0;
    let bottom = anomaly_y + if listed.is_empty() { 0.0 } else { 18.0 };
    let height = bottom + 18.0;

    let _ = writeln!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"timeline-svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">",
        px(SVG_W),
        px(height),
        px(SVG_W),
        px(height)
    );
    h.push_str("<defs><pattern id=\"hatch\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"4\" height=\"4\" fill=\"#85c1e9\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"4\" stroke=\"#1f618d\" stroke-width=\"2\"/></pattern></defs>\n");
    axis(h, scale, 12.0, top, bottom);
    axis_bottom_labels(h, scale, bottom + 13.0);

    // Job status.
    row_label(h, job_y + 12.0, "job status", None);
    h.push_str("<g id=\"job-status\">");
    for s in &tl.job {
        let x0 = scale.x(s.start_ms);
        let w = (scale.x(s.end_ms) - x0).max(0.6);
        let _ = write!(
            h,
            "<rect class=\"job-segment {}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\"><title>{} from {} to {}</title></rect>",
            job_class(s.status),
            px(x0),
            px(job_y),
            px(w),
            s.status,
            secs(s.start_ms),
            secs(s.end_ms)
        );
        if w > 60.0 {
            let _ = write!(
                h,
                "<text class=\"small\" x=\"{}\" y=\"{}\">{}</text>",
                px(x0 + 3.0),
                px(job_y + 10.5),
                s.status
            );
        }
    }
    h.push_str("</g>\n");

    // Restarts with their delay.
    row_label(h, restart_y + 11.0, "restarts (delay)", None);
    for (i, r) in tl.restarts.iter().enumerate() {
        let x0 = scale.x(r.at_ms);
        let x1 = scale.x(r.restored_at_ms.unwrap_or(r.at_ms + r.backoff_ms));
        let _ = write!(
            h,
            "<g class=\"restart-marker\" id=\"restart-{i}\"><title>failure #{} at {}: restart after {} ms{}</title><rect class=\"restart-span\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\"/>",
            r.failure,
            secs(r.at_ms),
            r.backoff_ms,
            match (r.restored_at_ms, r.restored_from) {
                (Some(t), Some(cp)) => format!(", restored at {} from checkpoint {cp}", secs(t)),
                (Some(t), None) => format!(", restarted at {} without a checkpoint", secs(t)),
                _ => ", not restarted before the end".into(),
            },
            px(x0),
            px(restart_y),
            px((x1 - x0).max(1.5))
        );
        if x1 - x0 > 34.0 {
            let _ = write!(
                h,
                "<text class=\"small\" x=\"{}\" y=\"{}\">#{} {}</text>",
                px(x0 + 2.0),
                px(restart_y + 9.5),
                r.failure,
                dur(r.backoff_ms)
            );
        }
        h.push_str("</g>\n");
    }

    // Faults: spans packed into rows, a triangle at each start, a faint line across.
    row_label(h, fault_y + 12.0, "faults", None);
    for (i, f) in tl.faults.iter().enumerate() {
        let y = fault_y + 16.0 * fault_rows[i] as f64;
        let x0 = scale.x(f.start_ms);
        let _ = write!(
            h,
            "<g class=\"fault-marker\" id=\"fault-{i}\"><title>fault {} at {}{}</title>",
            esc(&f.label),
            secs(f.start_ms),
            match f.end_ms {
                Some(e) => format!(" until {} ({})", secs(e), dur(e - f.start_ms)),
                None => String::new(),
            }
        );
        if let Some(e) = f.end_ms {
            let _ = write!(
                h,
                "<rect class=\"fault-span\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\"/>",
                px(x0),
                px(y + 2.0),
                px((scale.x(e) - x0).max(1.0))
            );
        }
        let _ = write!(
            h,
            "<line class=\"fault-line\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><path class=\"tri-fault\" d=\"{}\"/>",
            px(x0),
            px(y + 14.0),
            px(x0),
            px(cp_y),
            triangle(x0, y + 13.0, 4.5)
        );
        let room = f.end_ms.map(|e| scale.x(e) - x0).unwrap_or(LABEL_W + PLOT_W - x0);
        if room > 70.0 {
            let _ = write!(
                h,
                "<text class=\"small\" x=\"{}\" y=\"{}\">{}</text>",
                px(x0 + 6.0),
                px(y + 11.0),
                esc(&shorten(&f.label, (room / 5.2) as usize))
            );
        }
        h.push_str("</g>\n");
    }

    // User actions and re-tunes.
    row_label(h, action_y + 12.0, "actions / re-tunes", None);
    for (i, a) in tl.actions.iter().enumerate() {
        let x = scale.x(a.time_ms);
        let _ = writeln!(
            h,
            "<g class=\"action-marker\" id=\"action-{i}\"><title>action at {}: {}</title><path class=\"tri-action\" d=\"{}\"/></g>",
            secs(a.time_ms),
            esc(&a.label),
            triangle(x, action_y + 14.0, 4.5)
        );
    }
    for (i, r) in tl.retunes.iter().enumerate() {
        let x = scale.x(r.time_ms);
        let text = compact_retune(&r.label);
        let _ = write!(
            h,
            "<g class=\"retune-marker\" id=\"retune-{i}\"><title>{} at {}</title><line class=\"retune-line\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><path class=\"dia-retune\" d=\"{}\"/>",
            esc(&text),
            secs(r.time_ms),
            px(x),
            px(action_y),
            px(x),
            px(bottom),
            diamond(x, action_y + 8.0, 6.0)
        );
        if LABEL_W + PLOT_W - x > 160.0 {
            let _ = write!(
                h,
                "<text class=\"small\" x=\"{}\" y=\"{}\">{}</text>",
                px(x + 8.0),
                px(action_y + 11.0),
                esc(&shorten(&text, 70))
            );
        }
        h.push_str("</g>\n");
    }

    // Cluster events.
    row_label(h, cluster_y + 12.0, "cluster", None);
    for (i, c) in tl.cluster.iter().enumerate() {
        let x = scale.x(c.time_ms);
        let _ = writeln!(
            h,
            "<g class=\"event-marker\" id=\"event-{i}\"><title>{} {}: {}</title><path class=\"tri-event\" d=\"{}\"/></g>",
            secs(c.time_ms),
            esc(&c.node),
            esc(&c.label),
            triangle(x, cluster_y + 14.0, 4.0)
        );
    }

    // Task lanes.
    for lane in &tl.tasks {
        let y = lanes_y + lane_h * lane.index as f64;
        task_lane(h, lane, scale, y, lane_h - 3.0, opts);
    }

    // Checkpoints.
    row_label(h, cp_y + 10.0, "checkpoints", Some("one bar per checkpoint: trigger → completion/abort"));
    h.push_str("<g id=\"checkpoints\">\n");
    for (k, (_, c)) in drawn.iter().enumerate() {
        let y = cp_y + cp_h * cp_rows[k] as f64;
        let x0 = scale.x(c.row.trigger_ms);
        let w = (scale.x(c.end_ms) - x0).max(1.5);
        let _ = writeln!(
            h,
            "<a href=\"#cp-row-{id}\"><rect class=\"checkpoint-bar {}{}\" id=\"cp-{id}\" data-id=\"{id}\" data-outcome=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect></a>",
            outcome_class(&c.row.outcome),
            if c.row.savepoint { " savepoint" } else { "" },
            esc(&c.row.outcome),
            px(x0),
            px(y + 1.0),
            px(w),
            px(cp_h - 2.0),
            esc(&checkpoint_title(c)),
            id = c.row.id
        );
    }
    h.push_str("</g>\n");
    if any_bucket {
        row_label(
            h,
            bucket_y + 10.0,
            "checkpoints (summary)",
            Some("checkpoints not drawn one by one, per time bucket"),
        );
        h.push_str("<g id=\"checkpoint-buckets\">\n");
        let mut buckets: BTreeMap<usize, Vec<&CheckpointBar>> = BTreeMap::new();
        for (i, c) in tl.checkpoints.iter().enumerate() {
            if !individual[i] {
                buckets.entry(scale.bucket_of(c.row.trigger_ms)).or_default().push(c);
            }
        }
        let most = buckets.values().map(|v| v.len()).max().unwrap_or(1);
        for (b, cps) in &buckets {
            let (t0, t1) = scale.bucket_range(*b);
            let worst = cps.iter().map(|c| outcome_class(&c.row.outcome)).max_by_key(|c| outcome_rank(c)).unwrap_or("");
            let durs: Vec<u64> = cps.iter().map(|c| c.end_ms.saturating_sub(c.row.trigger_ms)).collect();
            let done = cps.iter().filter(|c| c.row.outcome == "COMPLETED").count();
            let x0 = scale.x(t0);
            let _ = writeln!(
                h,
                "<rect class=\"checkpoint-bucket {worst}\" data-count=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill-opacity=\"{:.2}\"><title>{} checkpoints triggered {} – {} (ids {}–{}): {} completed; duration mean {} max {}</title></rect>",
                cps.len(),
                px(x0),
                px(bucket_y + 1.0),
                px((scale.x(t1) - x0).max(1.0)),
                px(cp_h - 2.0),
                0.35 + 0.65 * cps.len() as f64 / most as f64,
                cps.len(),
                secs(t0),
                secs(t1),
                cps.first().map(|c| c.row.id.0).unwrap_or(0),
                cps.last().map(|c| c.row.id.0).unwrap_or(0),
                done,
                dur(durs.iter().sum::<u64>() / durs.len().max(1) as u64),
                dur(durs.iter().copied().max().unwrap_or(0))
            );
        }
        h.push_str("</g>\n");
    }

    // Anomalies.
    if !listed.is_empty() {
        row_label(h, anomaly_y + 12.0, "anomalies", Some("click a marker to jump to the checker's finding"));
        for (n, a) in listed {
            let Some(t) = a.time_ms else { continue };
            let x = scale.x(t);
            let _ = writeln!(
                h,
                "<g class=\"anomaly-marker\" id=\"anomaly-{n}\" data-time-ms=\"{t}\"><a href=\"#anomaly-item-{n}\"><title>{} at {}: {}</title><path class=\"anomaly\" d=\"{}\"/></a></g>",
                a.checker,
                secs(t),
                esc(&a.text),
                diamond(x, anomaly_y + 8.0, 5.5)
            );
        }
    }
    h.push_str("</svg>\n");
}

fn axis_bottom_labels(h: &mut String, scale: &Scale, y: f64) {
    let long = scale.stop >= 600_000;
    let step = time_step(scale.stop, 12);
    let mut t = 0;
    while t <= scale.stop {
        let _ = write!(
            h,
            "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            px(scale.x(t)),
            px(y),
            tick_label(t, long)
        );
        t += step;
    }
    h.push('\n');
}

fn task_lane(h: &mut String, lane: &TaskLane, scale: &Scale, y: f64, lh: f64, opts: &ReportOptions) {
    let label = match &lane.tm {
        Some(tm) => format!("{} · {tm}", lane.name),
        None => lane.name.clone(),
    };
    let _ = writeln!(h, "<g id=\"lane-{}\" class=\"lane\" data-task=\"{}\">", lane.index, esc(&lane.name));
    row_label(h, y + lh / 2.0 + 4.0, &shorten(&label, 46), Some(&label));
    let _ = write!(
        h,
        "<rect class=\"lanebg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
        px(LABEL_W),
        px(y),
        px(PLOT_W),
        px(lh)
    );
    // Execution states (sub-pixel segments are left out; the lane background shows through).
    for s in &lane.segments {
        let x0 = scale.x(s.start_ms);
        let w = scale.x(s.end_ms) - x0;
        if w < 0.3 {
            continue;
        }
        let title = match s.restore_from {
            Some(cp) => {
                format!("{} {} – {}: restoring state from checkpoint {cp}", s.state, secs(s.start_ms), secs(s.end_ms))
            }
            None => format!("{} {} – {}", s.state, secs(s.start_ms), secs(s.end_ms)),
        };
        let _ = write!(
            h,
            "<rect class=\"{}{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
            state_class(s.state),
            if s.restore_from.is_some() { " restoring" } else { "" },
            px(x0),
            px(y),
            px(w.max(0.6)),
            px(lh),
            esc(&title)
        );
    }
    // Snapshot phases in the lower half: one by one, or as per-bucket density.
    let py = y + lh * 0.45;
    let ph = lh * 0.55;
    if lane.phases.len() <= opts.max_lane_phases {
        for p in &lane.phases {
            let x0 = scale.x(p.start_ms);
            let w = (scale.x(p.end_ms) - x0).max(0.8);
            let _ = write!(
                h,
                "<rect class=\"phase ph-{}\" data-checkpoint=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
                p.kind.name(),
                p.checkpoint,
                px(x0),
                px(py),
                px(w),
                px(ph),
                esc(&p.detail)
            );
        }
    } else {
        phase_density(h, lane, scale, py, ph);
    }
    // Exceptions, injected failures, declines.
    for m in &lane.marks {
        let x = scale.x(m.time_ms);
        let _ = write!(
            h,
            "<path class=\"task-mark mark-{}\" d=\"{}\"><title>{} {}: {}</title></path>",
            m.kind,
            triangle(x, y + lh * 0.55, 4.0),
            secs(m.time_ms),
            m.kind,
            esc(&m.text)
        );
    }
    h.push_str("</g>\n");
}

/// Snapshot phases of a busy lane as density: per bucket of `PHASE_BUCKET_PX` pixels, one group
/// (class `phase-bucket`, `data-count` phases starting in it) with a bar per phase kind whose
/// height is the share of the bucket's time spent in that phase.
fn phase_density(h: &mut String, lane: &TaskLane, scale: &Scale, py: f64, ph: f64) {
    const PHASE_BUCKET_PX: f64 = 8.0;
    let n = (PLOT_W / PHASE_BUCKET_PX) as u128;
    let stop = scale.stop.max(1) as u128;
    let bucket_of = |t: u64| ((t.min(scale.stop) as u128 * n / stop).min(n - 1)) as usize;
    let range = |b: usize| ((b as u128 * stop / n) as u64, ((b as u128 + 1) * stop / n) as u64);
    // bucket → (phases starting in it, covered ms per kind)
    let mut cover: BTreeMap<usize, (usize, [u64; 3])> = BTreeMap::new();
    for p in &lane.phases {
        let k = match p.kind {
            PhaseKind::Align => 0,
            PhaseKind::Sync => 1,
            PhaseKind::Upload => 2,
        };
        let (b0, b1) = (bucket_of(p.start_ms), bucket_of(p.end_ms));
        cover.entry(b0).or_default().0 += 1;
        for b in b0..=b1 {
            let (t0, t1) = range(b);
            cover.entry(b).or_default().1[k] += p.end_ms.min(t1).saturating_sub(p.start_ms.max(t0));
        }
    }
    for (b, (count, covered)) in cover {
        let (t0, t1) = range(b);
        let span = (t1 - t0).max(1);
        let x0 = scale.x(t0);
        let w = px((scale.x(t1) - x0).max(0.8));
        let _ = write!(
            h,
            "<g class=\"phase-bucket\" data-count=\"{count}\"><title>{} – {}: {count} snapshots; aligning {}, sync {}, upload {}</title>",
            secs(t0),
            secs(t1),
            dur(covered[0]),
            dur(covered[1]),
            dur(covered[2])
        );
        // Stacked from the lane's bottom: the height of each kind is its share of the bucket's
        // time (at least 1.5 px when present), so sparse snapshots stay thin lines.
        let mut top = py + ph;
        for k in [2, 0, 1] {
            if covered[k] == 0 {
                continue;
            }
            let name = ["align", "snapshot", "upload"][k];
            let hh = (ph * covered[k] as f64 / span as f64).clamp(1.5, ph);
            top -= hh;
            let _ = write!(
                h,
                "<rect class=\"ph-{name}\" x=\"{}\" y=\"{}\" width=\"{w}\" height=\"{}\"/>",
                px(x0),
                px(top.max(py)),
                px(hh)
            );
        }
        h.push_str("</g>");
    }
    h.push('\n');
}

/// The duration chart (or, with `alignment`, the alignment-time chart).
fn duration_chart(h: &mut String, tl: &Timeline, scale: &Scale, opts: &ReportOptions, alignment: bool) {
    let value = |c: &CheckpointBar| {
        if alignment {
            c.row.alignment_ms
        } else {
            c.end_ms.saturating_sub(c.row.trigger_ms)
        }
    };
    let chart_h = if alignment { 110.0 } else { 190.0 };
    let top = 16.0;
    let base = top + chart_h;
    let height = base + 22.0;
    let max = tl.checkpoints.iter().map(value).max().unwrap_or(0).max(1);
    let step = nice_step(max, 5);
    let ymax = max.div_ceil(step) * step;
    let y = |v: u64| base - v as f64 * chart_h / ymax as f64;
    let (id, name, class) = if alignment {
        ("alignment-chart", "alignment time", "alignment-bar")
    } else {
        ("duration-chart", "checkpoint duration", "duration-bar")
    };
    let _ = writeln!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{id}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">",
        px(SVG_W),
        px(height),
        px(SVG_W),
        px(height)
    );
    axis(h, scale, base + 14.0, top, base);
    let _ = write!(
        h,
        "<text class=\"lbl\" x=\"{}\" y=\"{}\" font-weight=\"bold\">{name}</text>",
        px(LABEL_W - 70.0),
        px(top + chart_h / 2.0)
    );
    let mut v = 0;
    while v <= ymax {
        let yy = y(v);
        let _ = write!(
            h,
            "<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            px(LABEL_W),
            px(yy),
            px(LABEL_W + PLOT_W),
            px(yy),
            px(LABEL_W - 4.0),
            px(yy + 3.0),
            dur(v)
        );
        v += step;
    }
    h.push('\n');
    for r in &tl.retunes {
        let x = scale.x(r.time_ms);
        let _ = write!(
            h,
            "<line class=\"retune-line\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text class=\"small\" x=\"{}\" y=\"{}\">re-tune</text>",
            px(x),
            px(top - 4.0),
            px(x),
            px(base),
            px(x + 3.0),
            px(top + 6.0)
        );
    }
    for r in &tl.restarts {
        let x = scale.x(r.at_ms);
        let _ = write!(
            h,
            "<line class=\"fault-line\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"><title>failure #{} at {}</title></line>",
            px(x),
            px(top),
            px(x),
            px(base),
            r.failure,
            secs(r.at_ms)
        );
    }
    let n = tl.checkpoints.len();
    if n <= opts.max_checkpoint_bars {
        let bw = (PLOT_W / n.max(1) as f64 * 0.6).clamp(2.0, 14.0);
        for c in &tl.checkpoints {
            let v = value(c);
            let x = scale.x(c.row.trigger_ms);
            let top_y = y(v).min(base - 1.0);
            let color = if alignment { "" } else { outcome_class(&c.row.outcome) };
            let _ = write!(
                h,
                "<rect class=\"{class} {color}\" data-id=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>checkpoint {}: {} {} ({})</title></rect>",
                c.row.id,
                px(x - bw / 2.0),
                px(top_y),
                px(bw),
                px(base - top_y),
                c.row.id,
                name,
                dur(v),
                esc(&c.row.outcome)
            );
            if n <= 16 && v > 0 {
                let _ = write!(
                    h,
                    "<text class=\"small\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                    px(x),
                    px(top_y - 2.0),
                    dur(v)
                );
            }
        }
    } else {
        let mut buckets: BTreeMap<usize, Vec<&CheckpointBar>> = BTreeMap::new();
        for c in &tl.checkpoints {
            buckets.entry(scale.bucket_of(c.row.trigger_ms)).or_default().push(c);
        }
        let bucket_class = if alignment { "alignment-bucket" } else { "duration-bucket" };
        for (b, cps) in &buckets {
            let (t0, t1) = scale.bucket_range(*b);
            let vals: Vec<u64> = cps.iter().map(|c| value(c)).collect();
            let vmax = vals.iter().copied().max().unwrap_or(0);
            let worst = if alignment {
                ""
            } else {
                cps.iter().map(|c| outcome_class(&c.row.outcome)).max_by_key(|c| outcome_rank(c)).unwrap_or("")
            };
            let x0 = scale.x(t0);
            let top_y = y(vmax).min(base - 1.0);
            let _ = write!(
                h,
                "<rect class=\"{bucket_class} {worst}\" data-count=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{} – {}: {} checkpoints, {name} mean {} max {}</title></rect>",
                cps.len(),
                px(x0),
                px(top_y),
                px((scale.x(t1) - x0 - 0.5).max(0.8)),
                px(base - top_y),
                secs(t0),
                secs(t1),
                cps.len(),
                dur(vals.iter().sum::<u64>() / vals.len().max(1) as u64),
                dur(vmax)
            );
        }
    }
    h.push_str("</svg>\n");
}

fn offsets_chart(h: &mut String, spec: &JobSpec, run: &RunResult, scale: &Scale) {
    let InputSpec::Log { partitions, records } = &spec.input else {
        h.push_str("<p class=\"meta\">No partitioned-log source: no offsets.</p>\n");
        return;
    };
    let has_log_source = spec.operators.iter().any(|o| matches!(o.kind, OpKind::LogSource { .. }));
    if !has_log_source {
        h.push_str("<p class=\"meta\">No partitioned-log source: no offsets.</p>\n");
        return;
    }
    h.push_str("<p class=\"meta\">Solid: the offset (next to read) committed to the broker on checkpoint completion. Dashed: the end of the log (records appended so far). The gap is what a restore from the committed offsets would re-read. Red crosses: commits the broker rejected.</p>\n");
    // The log end per partition over time.
    let mut ends: Vec<Vec<(u64, u64)>> = vec![vec![(0, 0)]; *partitions as usize];
    for (at, p, _) in records {
        if let Some(v) = ends.get_mut(*p as usize) {
            let n = v.last().map(|x| x.1).unwrap_or(0) + 1;
            v.push((*at, n));
        }
    }
    let mut commits: Vec<Vec<(u64, u64)>> = vec![vec![(0, 0)]; *partitions as usize];
    for c in run.offset_commits.iter().filter(|c| c.accepted) {
        if let Some(v) = commits.get_mut(c.partition.0 as usize) {
            v.push((c.time_ms, c.offset.0));
        }
    }
    let max = ends.iter().chain(commits.iter()).flat_map(|v| v.iter().map(|x| x.1)).max().unwrap_or(0).max(1);
    let chart_h = 150.0;
    let top = 12.0;
    let base = top + chart_h;
    let height = base + 22.0 + 14.0 * ((*partitions as f64) / 6.0).ceil();
    let step = nice_step(max, 4);
    let ymax = max.div_ceil(step) * step;
    let y = |v: u64| base - v as f64 * chart_h / ymax as f64;
    let _ = writeln!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"offsets-chart\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">",
        px(SVG_W),
        px(height),
        px(SVG_W),
        px(height)
    );
    axis(h, scale, base + 14.0, top, base);
    let _ = write!(
        h,
        "<text class=\"lbl\" x=\"{}\" y=\"{}\" font-weight=\"bold\">committed offset</text>",
        px(LABEL_W - 50.0),
        px(top + chart_h / 2.0)
    );
    let mut v = 0;
    while v <= ymax {
        let _ = write!(
            h,
            "<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{v}</text>",
            px(LABEL_W),
            px(y(v)),
            px(LABEL_W + PLOT_W),
            px(y(v)),
            px(LABEL_W - 4.0),
            px(y(v) + 3.0)
        );
        v += step;
    }
    h.push('\n');
    for p in 0..*partitions as usize {
        let pc = format!("p{}", p % 8);
        let _ = writeln!(
            h,
            "<path class=\"logend-line {pc}\" data-partition=\"{p}\" d=\"{}\"><title>partition {p}: log end</title></path>",
            step_path(&ends[p], scale, &y)
        );
        let last = commits[p].last().map(|c| c.1).unwrap_or(0);
        let _ = writeln!(
            h,
            "<path class=\"offset-line {pc}\" data-partition=\"{p}\" data-commits=\"{}\" d=\"{}\"><title>partition {p}: committed offset (last {last})</title></path>",
            commits[p].len() - 1,
            step_path(&commits[p], scale, &y)
        );
        let lx = LABEL_W + 150.0 * (p % 6) as f64;
        let ly = base + 30.0 + 14.0 * (p / 6) as f64;
        let _ = writeln!(
            h,
            "<line class=\"offset-line {pc}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text x=\"{}\" y=\"{}\">partition {p}</text>",
            px(lx),
            px(ly - 4.0),
            px(lx + 18.0),
            px(ly - 4.0),
            px(lx + 22.0),
            px(ly)
        );
    }
    // Rejected commits (broker down), at most a few hundred.
    for c in run.offset_commits.iter().filter(|c| !c.accepted).take(400) {
        let x = scale.x(c.time_ms);
        let yy = y(c.offset.0);
        let _ = writeln!(
            h,
            "<path class=\"rejected\" stroke=\"#c0392b\" d=\"M{} {}L{} {}M{} {}L{} {}\"><title>{}: commit {} {} rejected (broker down)</title></path>",
            px(x - 3.0),
            px(yy - 3.0),
            px(x + 3.0),
            px(yy + 3.0),
            px(x - 3.0),
            px(yy + 3.0),
            px(x + 3.0),
            px(yy - 3.0),
            secs(c.time_ms),
            c.partition,
            c.offset
        );
    }
    h.push_str("</svg>\n");
}

/// A step line through (time, value) points, with points that fall on the same pixel column merged.
fn step_path(points: &[(u64, u64)], scale: &Scale, y: &dyn Fn(u64) -> f64) -> String {
    let mut d = String::new();
    let mut last_x = f64::NAN;
    let mut last_y = f64::NAN;
    for (i, (t, v)) in points.iter().enumerate() {
        let x = (scale.x(*t) * 2.0).round() / 2.0;
        let yy = (y(*v) * 2.0).round() / 2.0;
        if i == 0 {
            let _ = write!(d, "M{} {}", px(x), px(yy));
        } else {
            if x != last_x {
                let _ = write!(d, "H{}", px(x));
            }
            if yy != last_y {
                let _ = write!(d, "V{}", px(yy));
            }
        }
        last_x = x;
        last_y = yy;
    }
    let _ = write!(d, "H{}", px(LABEL_W + PLOT_W));
    d
}

fn checkers_section(h: &mut String, o: &Outcome, listed: &[(usize, &Anomaly)]) {
    h.push_str("<table id=\"verdicts\"><tr><th>checker</th><th>verdict</th><th>what it found</th></tr>\n");
    for v in &o.verdicts {
        let (class, word) = match v.passed {
            None => ("na", "n/a"),
            Some(true) => ("pass", "PASS"),
            Some(false) => ("fail", "FAIL"),
        };
        let _ =
            write!(h, "<tr id=\"verdict-{}\"><td>{}</td><td class=\"{class}\">{word}</td><td>", v.checker, v.checker);
        if v.passed == Some(false) {
            let _ = write!(h, "{} anomalies<ul>", v.anomalies.len());
            let mine: Vec<&(usize, &Anomaly)> = listed.iter().filter(|(_, a)| a.checker == v.checker).collect();
            for (n, a) in &mine {
                match a.time_ms {
                    Some(t) => {
                        let _ = write!(
                            h,
                            "<li class=\"anom\" id=\"anomaly-item-{n}\"><a href=\"#anomaly-{n}\">{}</a> {}</li>",
                            secs(t),
                            esc(&a.text)
                        );
                    }
                    None => {
                        let _ = write!(h, "<li class=\"anom\" id=\"anomaly-item-{n}\">{}</li>", esc(&a.text));
                    }
                }
            }
            if v.anomalies.len() > mine.len() {
                let _ = write!(h, "<li>… {} more</li>", v.anomalies.len() - mine.len());
            }
            h.push_str("</ul>");
        } else {
            h.push_str(&esc(&v.summary));
        }
        h.push_str("</td></tr>\n");
    }
    h.push_str("</table>\n");
    if !o.expectations.is_empty() {
        h.push_str(
            "<h3>Expectations</h3>\n<table id=\"expectations\"><tr><th>expectation</th><th></th><th>detail</th></tr>\n",
        );
        for e in &o.expectations {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
                esc(&e.name),
                if e.held { "pass" } else { "fail" },
                if e.held { "held" } else { "FAILED" },
                esc(&shorten(&e.detail, 600))
            );
        }
        h.push_str("</table>\n");
    }
}

/// Which rows of a long table to show: the chosen indices in order (a gap row goes between runs).
fn chosen_rows(n: usize, max: usize, wanted: impl Fn(usize) -> bool) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    let edge = max / 4;
    let mut set: BTreeSet<usize> = (0..edge).chain(n - edge..n).collect();
    for i in 0..n {
        if set.len() >= max {
            break;
        }
        if wanted(i) {
            set.insert(i);
        }
    }
    // Fill what is left of the budget with the rows after the first block.
    let mut i = edge;
    while set.len() < max && i < n {
        set.insert(i);
        i += 1;
    }
    set.into_iter().collect()
}

fn gap_row(h: &mut String, cols: usize, skipped: usize, what: &str) {
    let _ = writeln!(h, "<tr class=\"gap\"><td colspan=\"{cols}\">… {skipped} {what} not shown …</td></tr>");
}

fn checkpoint_table(h: &mut String, run: &RunResult, opts: &ReportOptions) {
    let rows = &run.checkpoints;
    let shown =
        chosen_rows(rows.len(), opts.max_checkpoint_rows, |i| rows[i].outcome != "COMPLETED" || rows[i].savepoint);
    if shown.len() < rows.len() {
        let _ = writeln!(
            h,
            "<p class=\"meta\">{} checkpoints; showing {} (first, last, failed ones that fit).</p>",
            rows.len(),
            shown.len()
        );
    }
    h.push_str("<table><tr><th>id</th><th>kind</th><th>trigger</th><th>duration</th><th>alignment</th><th>size (B)</th><th>outcome</th></tr>\n");
    let mut prev: Option<usize> = None;
    for &i in &shown {
        if let Some(p) = prev {
            if i > p + 1 {
                gap_row(h, 7, i - p - 1, "checkpoints");
            }
        } else if i > 0 {
            gap_row(h, 7, i, "checkpoints");
        }
        prev = Some(i);
        let r = &rows[i];
        let kind = if r.savepoint {
            "savepoint"
        } else if r.unaligned {
            "unaligned"
        } else {
            "aligned"
        };
        let _ = writeln!(
            h,
            "<tr id=\"cp-row-{}\"><td class=\"num\">{}</td><td>{kind}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} ms</td><td class=\"num\">{}</td><td><span class=\"sw {}\" style=\"background:{}\"></span>{}</td></tr>",
            r.id,
            r.id,
            secs(r.trigger_ms),
            r.end_ms.map(|e| format!("{} ms", e - r.trigger_ms)).unwrap_or_else(|| "pending".into()),
            r.alignment_ms,
            r.size_bytes,
            outcome_class(&r.outcome),
            match outcome_class(&r.outcome) {
                "o-completed" => "#27ae60",
                "o-expired" => "#e67e22",
                "o-pending" => "#95a5a6",
                _ => "#c0392b",
            },
            esc(&r.outcome)
        );
    }
    if let Some(p) = prev {
        if p + 1 < rows.len() {
            gap_row(h, 7, rows.len() - p - 1, "checkpoints");
        }
    }
    h.push_str("</table>\n");
}

fn output_table(h: &mut String, spec: &JobSpec, run: &RunResult, opts: &ReportOptions) {
    let two_pc = spec.operators.iter().any(|o| o.kind == OpKind::TwoPhaseCommitSink);
    let rows: &[OutputRow] = if two_pc { &run.committed } else { &run.print_rows };
    let inputs: Vec<String> = match &spec.input {
        InputSpec::Lines(l) => l.iter().map(|(_, s)| s.clone()).collect(),
        InputSpec::Log { records, .. } => records.iter().map(|(_, p, v)| format!("{v} (p{p})")).collect(),
    };
    let mut counts: BTreeMap<(u64, u32), usize> = BTreeMap::new();
    for r in rows {
        *counts.entry((r.lineage.input_seq, r.lineage.sub)).or_default() += 1;
    }
    let is_dup = |r: &OutputRow| counts.get(&(r.lineage.input_seq, r.lineage.sub)).copied().unwrap_or(0) > 1;
    let dups = rows.iter().filter(|r| is_dup(r)).count();
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} {} rows; {} rows belong to an input that produced the same output more than once (highlighted).</p>",
        rows.len(),
        if two_pc { "committed (two-phase-commit sink)" } else { "printed" },
        dups
    );
    let shown = chosen_rows(rows.len(), opts.max_output_rows, |i| is_dup(&rows[i]));
    if shown.len() < rows.len() {
        let _ = writeln!(
            h,
            "<p class=\"meta\">Showing {} of {} rows (first, last and duplicates that fit).</p>",
            shown.len(),
            rows.len()
        );
    }
    h.push_str("<table id=\"output-table\"><tr><th>#</th><th>at</th><th>task</th><th>attempt</th><th>output</th><th>from input</th><th>note</th></tr>\n");
    let mut prev: Option<usize> = None;
    for &i in &shown {
        if let Some(p) = prev {
            if i > p + 1 {
                gap_row(h, 7, i - p - 1, "rows");
            }
        } else if i > 0 {
            gap_row(h, 7, i, "rows");
        }
        prev = Some(i);
        let r = &rows[i];
        let n = counts.get(&(r.lineage.input_seq, r.lineage.sub)).copied().unwrap_or(0);
        let input = inputs.get(r.lineage.input_seq as usize).cloned().unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr class=\"{}\"><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>#{} {}</td><td>{}</td></tr>",
            if n > 1 { "dup" } else { "row" },
            i + 1,
            secs(r.time_ms),
            if two_pc { "-".to_string() } else { r.task.to_string() },
            if two_pc { "-".to_string() } else { r.attempt.0.to_string() },
            esc(&r.value.to_string()),
            r.lineage.input_seq,
            esc(&input),
            if n > 1 { format!("duplicate: output {n} times") } else { String::new() }
        );
    }
    if let Some(p) = prev {
        if p + 1 < rows.len() {
            gap_row(h, 7, rows.len() - p - 1, "rows");
        }
    }
    h.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anomaly_times_are_found() {
        assert_eq!(anomaly_time("t=1200 offset committed before"), Some(1200));
        assert_eq!(anomaly_time("duplicate: input #3 committed 2 times at [100, 250] ms"), Some(100));
        assert_eq!(anomaly_time("lost record: input #5 (at 4000 ms) never printed"), Some(4000));
        assert_eq!(anomaly_time("3 restarts but fixed-delay allows 2"), None);
        // `t=` inside a word is not a time.
        assert_eq!(anomaly_time("count=5 at=7"), None);
    }

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
        let t = "retune Retune { interval_ms: Some(300000), min_pause_ms: None, timeout_ms: Some(600000) } accepted";
        assert_eq!(compact_retune(t), "re-tune interval_ms: 300000, timeout_ms: 600000 accepted");
    }

    #[test]
    fn chosen_rows_keep_edges_and_wanted() {
        let rows = chosen_rows(100, 20, |i| i == 50);
        assert!(rows.contains(&0) && rows.contains(&99) && rows.contains(&50));
        assert_eq!(rows.len(), 20, "the budget is used");
        assert_eq!(chosen_rows(5, 20, |_| false), vec![0, 1, 2, 3, 4]);
    }
}
