//! Triage view at the top of a failing run's report: the first anomaly with its signature and, before it, the last events of each involved task and of the JobManager, each linked into the timeline.
//!
//! "First" is the run's primary signed anomaly (`signature::primary`): the earliest anomaly of
//! the first failing checker, else a failed expectation (a stuck final status). Involved tasks
//! are the tasks of the operator the signature names (the sink for output anomalies, the
//! source for offsets, the keyed operator for state) and every task that failed before the
//! anomaly, at most [`MAX_TASKS`].

use crate::outcome::Outcome;
use crate::report::{Anomaly as Marked, Timeline};
use crate::signature;
use crate::spec::JobSpec;
use crate::trace::{EventData, TraceEvent};
use crate::world::RunResult;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Events shown per task.
pub const EVENTS_PER_TASK: usize = 5;
/// Events shown for the JobManager.
pub const EVENTS_JM: usize = 8;
/// Tasks shown at most.
pub const MAX_TASKS: usize = 4;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn secs(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// The task lanes involved in the anomaly: (lane index, task name).
pub fn involved_tasks(
    spec: &JobSpec,
    o: &Outcome,
    tl: &Timeline,
    sig: &signature::Signature,
    t: u64,
) -> Vec<(usize, String)> {
    let op_name = spec
        .operators
        .iter()
        .find(|op| signature::op_kind_name(&op.kind) == sig.operator)
        .or_else(|| {
            // The keyed operator: the one after key_by.
            let i = spec.operators.iter().position(|op| matches!(op.kind, crate::spec::OpKind::KeyBy))?;
            spec.operators.get(i + 1).filter(|_| sig.operator == "keyed" || sig.operator == "count_window")
        })
        .map(|op| op.name.clone());
    use ckptsim::status::ExecutionState as X;
    let failed_before: Vec<&str> = o
        .run
        .task_transitions
        .iter()
        .filter(|(at, _, _, to)| *at <= t && *to == X::Failed)
        .map(|(_, name, _, _)| name.as_str())
        .collect();
    // Tasks left in a transitional state at `t` (a cancel never answered, a deploy never
    // acknowledged): the usual suspects of a stuck job.
    let mut last_state: std::collections::BTreeMap<&str, X> = std::collections::BTreeMap::new();
    for (_, name, _, to) in o.run.task_transitions.iter().filter(|x| x.0 <= t) {
        last_state.insert(name.as_str(), *to);
    }
    let hanging = |name: &str| {
        last_state.get(name).is_some_and(|s| matches!(s, X::Canceling | X::Deploying | X::Initializing | X::Scheduled))
    };
    let mut out = Vec::new();
    for lane in &tl.tasks {
        let of_op = op_name.as_ref().is_some_and(|n| {
            lane.name.contains(&format!(": {n} ("))
                || lane.name.contains(&format!("-> {n} ("))
                || lane.name.starts_with(&format!("{n} ("))
        });
        let failed = failed_before.iter().any(|f| *f == lane.name);
        if (of_op || failed || hanging(&lane.name)) && out.len() < MAX_TASKS {
            out.push((lane.index, lane.name.clone()));
        }
    }
    out
}

/// The task (its index in the job graph) each trace event is about, read from typed data, never
/// from the event's text: a task event names its task in its `EventData` (exceptions,
/// injected faults, snapshots, declines, sink events, conversions, records after a stop,
/// [`EventData::task`]); a JobManager task transition names it by its name in the job graph
/// of the moment, which is looked up in the final graph (as the report's lanes are).
/// `None`: about no one task.
pub fn event_tasks(run: &RunResult) -> Vec<Option<usize>> {
    let index: BTreeMap<&str, usize> = run.task_names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    run.trace
        .events()
        .iter()
        .map(|e| match &e.data {
            EventData::Transition { name, .. } => index.get(name.as_str()).copied(),
            data => data.task().map(|t| t.0 as usize),
        })
        .collect()
}

/// The last `n` trace events at or before `t` that `pick` selects (given each event's task from
/// [`event_tasks`]), oldest first; a run of identical events (same node, kind and detail)
/// counts once, with its repetitions.
fn last_events<'a>(
    events: &'a [TraceEvent],
    tasks: &[Option<usize>],
    t: u64,
    n: usize,
    pick: impl Fn(&TraceEvent, Option<usize>) -> bool,
) -> Vec<(&'a TraceEvent, usize)> {
    let mut v: Vec<(&TraceEvent, usize)> = Vec::new();
    let task = |i: usize| tasks.get(i).copied().flatten();
    for (_, e) in events.iter().enumerate().filter(|(i, e)| e.time_ms <= t && pick(e, task(*i))) {
        match v.last_mut() {
            Some((last, k)) if last.node == e.node && last.kind == e.kind && last.detail == e.detail => *k += 1,
            _ => v.push((e, 1)),
        }
    }
    let skip = v.len().saturating_sub(n);
    v.drain(..skip);
    v
}

/// Writes the triage section (nothing for a passing run). `listed` are the report's numbered
/// anomalies, so the first anomaly links to its entry in the checkers section (which links to
/// its marker on the timeline).
pub fn section(h: &mut String, spec: &JobSpec, o: &Outcome, tl: &Timeline, listed: &[(usize, &Marked)]) {
    if o.passed() {
        return;
    }
    let Some((sig, a)) = signature::primary(spec, o) else { return };
    // A stuck job is stuck at the end: what led there runs up to the stop.
    let stuck = a.kind.starts_with("stuck-");
    let t = if stuck { o.run.stop_at_ms } else { a.time_ms.unwrap_or(o.run.stop_at_ms) };
    h.push_str("<section id=\"triage\" class=\"triage\">\n<h2>Triage: the first anomaly</h2>\n");
    let number = listed.iter().find(|(_, m)| m.checker == a.checker && m.text == a.text).map(|(n, _)| *n);
    let link = match number {
        Some(n) => format!("#anomaly-item-{n}"),
        None => "#job-status".to_string(),
    };
    let _ = writeln!(
        h,
        "<p class=\"triage-anomaly\"><b>{}</b> at <a href=\"{link}\">{}</a>: {}</p>",
        esc(&a.checker),
        match a.time_ms {
            Some(at) if !stuck => secs(at),
            Some(at) => format!("{} (to the end)", secs(at)),
            None => "the end".to_string(),
        },
        esc(&a.text)
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\">signature <code>{}</code><br/>{}</p>",
        esc(&sig.to_string()),
        esc(&signature::describe(&sig, &a))
    );
    let events = o.run.trace.events();
    let rows = |h: &mut String, title: &str, href: &str, evs: &[(&TraceEvent, usize)]| {
        let _ = writeln!(h, "<h3><a href=\"{href}\">{}</a></h3>\n<table class=\"triage-events\">", esc(title));
        if evs.is_empty() {
            h.push_str("<tr><td>no events before the anomaly</td></tr>\n");
        }
        for (e, k) in evs {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
                secs(e.time_ms),
                esc(&e.node),
                esc(e.kind),
                esc(&e.detail),
                if *k > 1 { format!(" (×{k})") } else { String::new() }
            );
        }
        h.push_str("</table>\n");
    };
    let tasks = event_tasks(&o.run);
    for (index, name) in involved_tasks(spec, o, tl, &sig, t) {
        let evs = last_events(events, &tasks, t, EVENTS_PER_TASK, |_, task| task == Some(index));
        rows(h, &format!("task {name}: last events before the anomaly"), &format!("#lane-{index}"), &evs);
    }
    let jm = last_events(events, &tasks, t, EVENTS_JM, |e, _| e.node == "jm");
    rows(h, "JobManager: last events before the anomaly", "#job-status", &jm);
    h.push_str("</section>\n");
}
