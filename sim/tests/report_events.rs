//! The report's timeline reads the world's typed run events (JobManager and TaskManager restarts, restores, fault phases, per-task events), not trace text.

use ckptsim_sim::report::Timeline;
use ckptsim_sim::{load, outcome};
use std::path::Path;

fn timeline(rel: &str) -> Timeline {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    let spec = load::load_spec(&path).expect("scenario loads");
    let o = outcome::run(&spec, spec.default_seed);
    Timeline::build(&o.run, &o.verdicts)
}

/// A JobManager crash: the fault phase is drawn, the second JobManager (epoch 2, not the first)
/// is a cluster marker, and the tasks' next RUNNING segments restore from its checkpoint.
#[test]
fn jm_restart_and_restores_come_from_typed_events() {
    let tl = timeline("scenarios/faults/jm-crash-print.toml");
    let restarted: Vec<&str> =
        tl.cluster.iter().map(|m| m.label.as_str()).filter(|l| l.starts_with("JobManager restarted")).collect();
    assert_eq!(restarted.len(), 1, "{restarted:?}");
    assert!(restarted[0].contains("epoch=2"), "{restarted:?}");
    assert!(tl.faults.iter().any(|f| f.label.starts_with("JmCrash")), "{:?}", tl.faults);
    let restored = tl.tasks.iter().flat_map(|t| &t.segments).filter(|s| s.restore_from.is_some()).count();
    assert!(restored > 0, "no segment restores from a checkpoint");
}

/// A TaskManager crash: its restart (incarnation 2, never the first start) is a marker, and
/// every task lane knows its TaskManager from the task events (snapshots, exceptions).
#[test]
fn tm_restart_and_task_lanes_come_from_typed_events() {
    let tl = timeline("scenarios/faults/tm-crash.toml");
    let labels: Vec<&str> = tl.cluster.iter().map(|m| m.label.as_str()).collect();
    assert!(labels.iter().any(|l| l.contains("restarted (incarnation=2)")), "{labels:?}");
    assert!(!labels.iter().any(|l| l.contains("incarnation=1")), "{labels:?}");
    assert!(tl.tasks.iter().all(|t| t.tm.is_some()), "a lane without its TaskManager");
    assert!(tl.faults.iter().any(|f| f.label.starts_with("TmCrash")), "{:?}", tl.faults);
}

/// Triage finds a task's events by typed data, not by its name in the text: every task event
/// maps to the task its `EventData` names, every JobManager task transition to the task of its
/// `task_transitions` row, and job-level lines (which mention a task in their text) to none.
#[test]
fn triage_reads_each_events_task_from_typed_data() {
    use ckptsim_sim::trace::EventData;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/faults/tm-crash.toml");
    let spec = load::load_spec(&path).expect("scenario loads");
    let o = outcome::run(&spec, spec.default_seed);
    let events = o.run.trace.events();
    let tasks = ckptsim_sim::triage::event_tasks(&o.run);
    assert_eq!(tasks.len(), events.len());
    let mut transitions = 0;
    for (e, t) in events.iter().zip(&tasks) {
        match (&e.data, e.node.as_str(), e.kind) {
            (EventData::Task { task }, _, _) => assert_eq!(*t, Some(task.0 as usize), "{}", e.line()),
            (_, "jm", "task") => {
                let (_, name, _, _) = &o.run.task_transitions[transitions];
                transitions += 1;
                let i = t.unwrap_or_else(|| panic!("a transition without its task: {}", e.line()));
                assert_eq!(&o.run.task_names[i], name, "{}", e.line());
                assert!(e.detail.starts_with(name.as_str()), "{}", e.line());
            }
            (_, "jm", "job" | "failure") => assert_eq!(*t, None, "{}", e.line()),
            _ => {}
        }
    }
    assert_eq!(transitions, o.run.task_transitions.len());
    assert!(transitions > 0 && tasks.iter().filter(|t| t.is_some()).count() > transitions, "no task events");
}
