//! The report's time-indexed model of a run ([`Timeline`]): job status segments, restarts, task lanes with phases, checkpoint bars, faults, markers and anomalies.

use super::*;

// ------------------------------------------------------------------ the timeline model

/// A span of one job status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSegment {
    /// Virtual time the status was entered, ms.
    pub start_ms: u64,
    /// Virtual time it was left (the run's stop time for the last one), ms.
    pub end_ms: u64,
    /// The job status during the span.
    pub status: JobStatus,
}

/// A scheduled restart: the failure at `at_ms`, the backoff, and when the job was restored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestartMark {
    /// Virtual time of the failure, ms.
    pub at_ms: u64,
    /// The failure's number in the run (1 = the first).
    pub failure: u32,
    /// The restart strategy's backoff before the restart, ms.
    pub backoff_ms: u64,
    /// When the tasks were RUNNING again from a restore (None: never within the run).
    pub restored_at_ms: Option<u64>,
    /// The checkpoint id restored (None: restarted from nothing).
    pub restored_from: Option<u64>,
}

/// A span of one execution state of a task, as the JobManager saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateSegment {
    /// Virtual time the state was entered, ms.
    pub start_ms: u64,
    /// Virtual time it was left, ms.
    pub end_ms: u64,
    /// The execution state during the span.
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
    /// The phase's label on the lane (`align`, `snapshot`, `upload`).
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
    /// What the task was doing.
    pub kind: PhaseKind,
    /// The checkpoint the phase belongs to.
    pub checkpoint: u64,
    /// Virtual time the phase began, ms.
    pub start_ms: u64,
    /// Virtual time it ended, ms.
    pub end_ms: u64,
    /// A tooltip line (sizes, overtaken records, ...).
    pub detail: String,
}

/// An instant on a task lane: an exception, an injected failure, a decline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskMark {
    /// Virtual time of the instant, ms.
    pub time_ms: u64,
    /// `exception`, `fault`, `decline` or `sink`.
    pub kind: &'static str,
    /// The tooltip text (the trace detail of the event).
    pub text: String,
}

/// Everything drawn on one task's lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskLane {
    /// The task's index in the job graph.
    pub index: usize,
    /// The task's display name, e.g. `Sum[0]`.
    pub name: String,
    /// The TaskManager that ran it (from the trace), e.g. `tm0`.
    pub tm: Option<String>,
    /// Its execution states, in time order.
    pub segments: Vec<StateSegment>,
    /// Its checkpoint phases (align, snapshot, upload).
    pub phases: Vec<Phase>,
    /// Its instants (exceptions, faults, declines).
    pub marks: Vec<TaskMark>,
}

/// One checkpoint as a bar from trigger to completion or abort (or the end of the run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointBar {
    /// The checkpoint's row of the checkpoint table.
    pub row: CheckpointRow,
    /// `end_ms`, or the end of the run for a pending checkpoint.
    pub end_ms: u64,
}

/// A fault from `chaos fault start` to its `end` (None: lasts to the end / instantaneous).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultSpan {
    /// Virtual time the fault struck, ms.
    pub start_ms: u64,
    /// Virtual time it was lifted (None: lasts to the end, or instantaneous).
    pub end_ms: Option<u64>,
    /// The fault as the trace names it, e.g. `TaskFailure { task: "Sum[0]" }`.
    pub label: String,
}

/// An instant event with a label (user actions, re-tunes, cluster events).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    /// Virtual time of the event, ms.
    pub time_ms: u64,
    /// The node it happened on (`jm`, `tm0`, `client`, ...).
    pub node: String,
    /// The text drawn beside the marker.
    pub label: String,
}

/// A re-tuning request the JobManager received (a typed `jm retune` event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retuned {
    /// Virtual time of the request, ms.
    pub time_ms: u64,
    /// The event's text (`retune Retune { .. } accepted`).
    pub label: String,
    /// What it asked for.
    pub request: ckptsim::config::Retune,
    /// Why it was refused; `None`: accepted.
    pub rejected: Option<String>,
}

impl Retuned {
    /// The short form drawn on the timeline: the fields it set, then the outcome
    /// (`re-tune interval_ms: 300000, timeout_ms: 600000 accepted`).
    pub fn compact(&self) -> String {
        let r = &self.request;
        let fields: Vec<String> = [
            ("interval_ms", r.interval_ms),
            ("min_pause_ms", r.min_pause_ms),
            ("timeout_ms", r.timeout_ms),
            ("tolerable_failures", r.tolerable_failures),
        ]
        .iter()
        .filter_map(|(name, v)| v.map(|v| format!("{name}: {v}")))
        .collect();
        let outcome = match &self.rejected {
            None => "accepted".to_string(),
            Some(e) => format!("rejected: {e}"),
        };
        format!("re-tune {} {outcome}", fields.join(", "))
    }
}

/// One anomaly a checker reported, with the moment it names (if it names one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anomaly {
    /// The checker that reported it.
    pub checker: &'static str,
    /// The checker's message.
    pub text: String,
    /// The moment the message names, ms (None: no `at N ms` in it).
    pub time_ms: Option<u64>,
}

/// A run as a set of things on one time axis (`0..stop_ms` of virtual time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// The run's stop time (`stop_at_ms`): the axis ends here.
    pub stop_ms: u64,
    /// The job's status segments, in time order.
    pub job: Vec<JobSegment>,
    /// Every restart the JobManager scheduled.
    pub restarts: Vec<RestartMark>,
    /// One lane per task.
    pub tasks: Vec<TaskLane>,
    /// One bar per triggered checkpoint.
    pub checkpoints: Vec<CheckpointBar>,
    /// Every fault that struck.
    pub faults: Vec<FaultSpan>,
    /// `client action` events.
    pub actions: Vec<Marker>,
    /// `jm retune` events (accepted or rejected).
    pub retunes: Vec<Retuned>,
    /// JobManager/TaskManager crashes and restarts, lost TaskManagers, suppressed restarts.
    pub cluster: Vec<Marker>,
    /// Every anomaly of every failing checker.
    pub anomalies: Vec<Anomaly>,
}

impl Timeline {
    /// Builds the timeline of a run from its result, its trace and the verdicts.
    pub fn build(run: &RunResult, verdicts: &[Verdict]) -> Timeline {
        let stop = run.stop_at_ms;
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
        let lanes = EventLanes::fold(run, &mut tasks);
        // Snapshot phases from the world's per-task spans.
        for s in &run.snapshot_spans {
            if let Some(lane) = tasks.get_mut(s.task.0 as usize) {
                snapshot_phases(lane, s, stop);
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
                let restored = lanes.restores.iter().find(|(rt, _)| rt >= t);
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
                v.anomalies.iter().map(|a| Anomaly { checker: v.checker, text: a.text.clone(), time_ms: a.moment() })
            })
            .collect();
        let EventLanes { faults, actions, retunes, cluster, .. } = lanes;
        Timeline { stop_ms: stop, job, restarts, tasks, checkpoints, faults, actions, retunes, cluster, anomalies }
    }
}

/// What the trace's events give the timeline besides the task lanes' states and marks.
struct EventLanes {
    faults: Vec<FaultSpan>,
    actions: Vec<Marker>,
    retunes: Vec<Retuned>,
    cluster: Vec<Marker>,
    /// (time, checkpoint restored) of every restore.
    restores: Vec<(u64, Option<u64>)>,
}

impl EventLanes {
    /// Task states from the JobManager's typed transitions (a lane per task name of the final
    /// job graph), task marks, faults, actions, re-tunes and cluster markers. A restore event
    /// marks the segment each task leaves for RUNNING next as the restoring one. Every decision
    /// below reads `e.data`; the text of an event (`e.detail`) is only ever a label.
    fn fold(run: &RunResult, tasks: &mut [TaskLane]) -> EventLanes {
        let stop = run.stop_at_ms;
        let names: BTreeMap<&str, usize> = run.task_names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let mut open: Vec<Option<(u64, ExecutionState)>> = vec![None; tasks.len()];
        let mut pending_restore: Vec<Option<u64>> = vec![None; tasks.len()];
        let mut lanes =
            EventLanes { faults: vec![], actions: vec![], retunes: vec![], cluster: vec![], restores: vec![] };
        for e in run.trace.events() {
            match &e.data {
                EventData::Transition { name, from, to, .. } => {
                    let (t, from, to) = (&e.time_ms, from, to);
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
                EventData::Restore { checkpoint, .. } => {
                    let cp = checkpoint.map(|c| c.0);
                    lanes.restores.push((e.time_ms, cp));
                    pending_restore.iter_mut().for_each(|p| *p = cp);
                }
                EventData::JmStart { restore, .. } => {
                    if let Some(cp) = restore {
                        pending_restore.iter_mut().for_each(|p| *p = Some(cp.0));
                    }
                    lanes.cluster.extend(cluster_marker(e));
                }
                EventData::Retune { request, rejected } => lanes.retunes.push(Retuned {
                    time_ms: e.time_ms,
                    label: e.detail.clone(),
                    request: request.clone(),
                    rejected: rejected.clone(),
                }),
                EventData::Action { .. } => lanes.actions.push(marker(e, e.detail.clone())),
                EventData::Fault { start: true, label, .. } => {
                    lanes.faults.push(FaultSpan { start_ms: e.time_ms, end_ms: None, label: label.clone() });
                }
                EventData::Fault { start: false, label, .. } => {
                    if let Some(f) = lanes.faults.iter_mut().find(|f| f.end_ms.is_none() && &f.label == label) {
                        f.end_ms = Some(e.time_ms);
                    }
                }
                data if data.is_task_mark() => {
                    let Some(lane) = data.task().and_then(|task| tasks.get_mut(task.0 as usize)) else { continue };
                    if lane.tm.is_none() {
                        lane.tm = Some(e.node.clone());
                    }
                    lane.marks.push(TaskMark { time_ms: e.time_ms, kind: e.kind, text: e.detail.clone() });
                }
                EventData::Snapshot { task } => {
                    // A snapshot is drawn as its phases; it still tells which TaskManager runs the task.
                    if let Some(lane) = tasks.get_mut(task.0 as usize) {
                        if lane.tm.is_none() {
                            lane.tm = Some(e.node.clone());
                        }
                    }
                }
                _ => lanes.cluster.extend(cluster_marker(e)),
            }
        }
        for (i, o) in open.iter().enumerate() {
            if let Some((since, state)) = *o {
                if stop > since {
                    tasks[i].segments.push(StateSegment { start_ms: since, end_ms: stop, state, restore_from: None });
                }
            }
        }
        lanes
    }
}

/// The cluster lane's marker for `e`, if it is one: JobManager and TaskManager crashes and
/// restarts, lost TaskManagers, suppressed restarts, tolerable-failure counts.
fn cluster_marker(e: &TraceEvent) -> Option<Marker> {
    let label = match &e.data {
        EventData::JmStart { epoch, .. } if *epoch != 1 => format!("JobManager restarted: {}", e.detail),
        EventData::TmLost { .. } => format!("TaskManager lost: {}", e.detail),
        EventData::Failure { backoff_ms: None, .. } => e.detail.clone(),
        EventData::Tolerable { .. } => format!("tolerable failures {}", e.detail),
        EventData::Crash { .. } => format!("{} crashed ({})", e.node, e.detail),
        EventData::TmStart { incarnation } if *incarnation != 1 => format!("{} restarted ({})", e.node, e.detail),
        _ => return None,
    };
    Some(marker(e, label))
}

/// The phases (align, synchronous snapshot, upload) of one snapshot span on its task's lane.
fn snapshot_phases(lane: &mut TaskLane, s: &crate::world::SnapshotSpan, stop: u64) {
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

pub(super) fn marker(e: &TraceEvent, label: String) -> Marker {
    Marker { time_ms: e.time_ms, node: e.node.clone(), label }
}
