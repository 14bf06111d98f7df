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
/// maps to the task its `EventData` names, every JobManager task transition (a typed
/// `EventData::Transition`) to the task of its `task_transitions` row, and job-level lines
/// (which mention a task in their text) to none.
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
            (EventData::Transition { .. }, "jm", "task") => {
                let (_, name, _, _) = &o.run.task_transitions[transitions];
                transitions += 1;
                let i = t.unwrap_or_else(|| panic!("a transition without its task: {}", e.line()));
                assert_eq!(&o.run.task_names[i], name, "{}", e.line());
                assert!(e.detail.starts_with(name.as_str()), "{}", e.line());
            }
            (_, "jm", "job" | "failure") => assert_eq!(*t, None, "{}", e.line()),
            (data, _, _) => assert_eq!(*t, data.task().map(|task| task.0 as usize), "{}", e.line()),
        }
    }
    assert_eq!(transitions, o.run.task_transitions.len());
    assert!(transitions > 0 && tasks.iter().filter(|t| t.is_some()).count() > transitions, "no task events");
}

/// Every event kind a tool or checker decides on is typed (its `EventData` is not `None`) in
/// runs of the seed and fault scenarios, and a fully typed event's text is the rendering of
/// its fields: the text trace (and its hash) stays a rendering of the typed events.
#[test]
fn every_event_a_tool_reads_is_typed_and_rendered_from_its_fields() {
    use ckptsim_sim::trace::EventData;
    const READ: &[&str] = &[
        "task",
        "job",
        "input",
        "input-lost",
        "action",
        "socket-closed",
        "retune",
        "abort",
        "rejected",
        "tolerable",
        "tm-lost",
        "crash",
        "drop",
        "lost",
        "exception",
        "decline",
        "watchdog",
        "fenced",
        "end-of-input",
        "failure",
        "fault",
        "jm-start",
        "tm-start",
        "restore",
        "trigger",
        "after-stop",
    ];
    // Kinds shared with events no tool decides on: a sink's commit (not the broker's offset
    // commit), a task's snapshot (not a failed upload, which has no task lane).
    let read = |e: &ckptsim_sim::trace::TraceEvent| {
        READ.contains(&e.kind)
            || (e.kind == "commit" && e.node.starts_with("tm"))
            || (e.kind == "snapshot" && !e.detail.contains("upload failed"))
    };
    let mut seen = std::collections::BTreeSet::new();
    for file in [
        "seeds/000-dynamic-tuning.toml",
        "seeds/004-wordcount-restore.toml",
        "faults/tm-crash.toml",
        "faults/jm-crash.toml",
        "faults/partition.toml",
        "faults/sink-store-outage.toml",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(file);
        let spec = load::load_spec(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let o = outcome::run(&spec, spec.default_seed);
        for e in o.run.trace.events() {
            if read(e) {
                assert!(e.data != EventData::None, "{file}: untyped `{}` event: {}", e.kind, e.line());
                seen.insert(e.kind);
            }
            if let Some(text) = e.data.detail() {
                assert_eq!(text, e.detail, "{file}: the text of a typed event is its rendering");
            }
        }
    }
    for kind in
        ["task", "job", "input", "action", "retune", "crash", "exception", "snapshot", "fault", "restore", "commit"]
    {
        assert!(seen.contains(kind), "the scenarios no longer exercise `{kind}`: {seen:?}");
    }
}

/// No tool or checker under `sim/src` decides on an event's text: no `e.kind == "..."`, no
/// `detail.split(..)` / `.find(..)` / `.contains(..)` / `.strip_prefix(..)` / `.parse()` of a
/// trace line (the report once read numbers back out of Debug text).
#[test]
fn no_code_under_sim_src_parses_trace_text() {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a readable source folder") {
            let p = entry.expect("an entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = vec![];
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let calls = ["split", "find(", "rfind(", "contains(", "starts_with(", "strip_prefix(", "parse", "chars()"];
    let mut found = vec![];
    for f in &files {
        let text = std::fs::read_to_string(f).expect("a source file");
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let text_read = ["detail.", "e.detail", "label."].iter().any(|d| {
                code.match_indices(d).any(|(at, _)| calls.iter().any(|c| code[at + d.len()..].starts_with(c)))
            });
            let kind_compared = code.contains("e.kind ==") || code.contains("e.kind !=");
            if text_read || kind_compared {
                found.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "trace text parsed:\n{}", found.join("\n"));
}
