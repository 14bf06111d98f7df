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
