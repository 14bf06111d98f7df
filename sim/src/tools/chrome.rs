//! The run in Chrome's Trace Event Format (a JSON object with `traceEvents`), loadable by Perfetto and chrome://tracing.
//!
//! One process (the job) with named tracks (`tid`s): `jm` (job status as complete events,
//! restarts, re-tunes, cluster events), `chaos` (fault start/end as instant events), `client`
//! (actions and socket input), `checkpoints` (one complete event per checkpoint from trigger to
//! completion or abort; concurrent checkpoints go to `checkpoints 2`, ...), and one track per
//! task (execution states as complete events, with alignment, synchronous snapshot and upload
//! nested inside; exceptions and declines as instant events). Committed offsets are counter
//! events. Timestamps are microseconds of virtual time.
//!
//! Complete events on one track must nest; states never overlap, and phases are clamped into
//! the state they start in and before the next phase (their real length stays in `args`).

use crate::outcome::Outcome;
use crate::report::{Phase, Timeline};
use crate::spec::JobSpec;
use crate::trace::EventData;
use serde_json::{json, Value};

const PID: u64 = 1;
const TID_JM: u64 = 1;
const TID_CHAOS: u64 = 2;
const TID_CLIENT: u64 = 3;
const TID_CHECKPOINTS: u64 = 10;
const TID_TASKS: u64 = 100;

fn us(ms: u64) -> u64 {
    ms * 1000
}

fn complete(tid: u64, name: &str, cat: &str, start_ms: u64, end_ms: u64, args: Value) -> Value {
    json!({
        "ph": "X", "pid": PID, "tid": tid, "name": name, "cat": cat,
        "ts": us(start_ms), "dur": us(end_ms.saturating_sub(start_ms)), "args": args,
    })
}

fn instant(tid: u64, name: &str, cat: &str, at_ms: u64, args: Value) -> Value {
    json!({ "ph": "i", "s": "t", "pid": PID, "tid": tid, "name": name, "cat": cat, "ts": us(at_ms), "args": args })
}

fn thread_name(tid: u64, name: &str, sort: u64) -> [Value; 2] {
    [
        json!({ "ph": "M", "pid": PID, "tid": tid, "name": "thread_name", "args": { "name": name } }),
        json!({ "ph": "M", "pid": PID, "tid": tid, "name": "thread_sort_index", "args": { "sort_index": sort } }),
    ]
}

/// The track names (tid → name) of a run's Chrome trace: `jm`, `chaos`, `client`,
/// `checkpoints`…, then one per task named exactly like the task.
pub fn track_names(tl: &Timeline) -> Vec<(u64, String)> {
    let mut v = vec![(TID_JM, "jm".to_string()), (TID_CHAOS, "chaos".into()), (TID_CLIENT, "client".into())];
    for r in 0..checkpoint_rows(tl).1.max(1) {
        v.push((
            TID_CHECKPOINTS + r as u64,
            if r == 0 { "checkpoints".into() } else { format!("checkpoints {}", r + 1) },
        ));
    }
    for t in &tl.tasks {
        v.push((TID_TASKS + t.index as u64, t.name.clone()));
    }
    v
}

/// Rows for checkpoints so that no two on one row overlap (complete events must nest).
fn checkpoint_rows(tl: &Timeline) -> (Vec<usize>, usize) {
    let mut ends: Vec<u64> = vec![];
    let mut rows = vec![];
    for c in &tl.checkpoints {
        let s = c.row.trigger_ms;
        let r = match ends.iter().position(|&e| e <= s) {
            Some(r) => r,
            None => {
                ends.push(0);
                ends.len() - 1
            }
        };
        ends[r] = c.end_ms.max(s);
        rows.push(r);
    }
    (rows, ends.len())
}

/// Clamps a task's phases so that they nest in the state segments and do not overlap.
fn nested_phases(lane: &crate::report::TaskLane) -> Vec<(Phase, u64)> {
    let mut phases: Vec<&Phase> = lane.phases.iter().collect();
    phases.sort_by_key(|p| (p.start_ms, p.kind));
    let mut out: Vec<(Phase, u64)> = vec![];
    for (i, p) in phases.iter().enumerate() {
        let mut end = p.end_ms;
        if let Some(seg) = lane.segments.iter().find(|s| s.start_ms <= p.start_ms && p.start_ms < s.end_ms) {
            end = end.min(seg.end_ms);
        } else if let Some(seg) = lane.segments.iter().find(|s| s.start_ms > p.start_ms) {
            end = end.min(seg.start_ms);
        }
        if let Some(next) = phases.get(i + 1) {
            end = end.min(next.start_ms.max(p.start_ms));
        }
        let mut q = (*p).clone();
        q.end_ms = end.max(p.start_ms);
        out.push((q, p.end_ms - p.start_ms));
    }
    out
}

/// Builds the Chrome trace of a run.
pub fn chrome_trace(spec: &JobSpec, o: &Outcome) -> Value {
    let run = &o.run;
    let tl = Timeline::build(run, &o.verdicts);
    let mut ev: Vec<Value> = vec![json!({
        "ph": "M", "pid": PID, "name": "process_name",
        "args": { "name": format!("ckptsim {} seed {}", spec.name, o.seed) },
    })];
    for (i, (tid, name)) in track_names(&tl).iter().enumerate() {
        ev.extend(thread_name(*tid, name, i as u64));
    }

    jm_events(&tl, &mut ev);
    chaos_and_client_events(&tl, run, &mut ev);
    checkpoint_events(&tl, &mut ev);
    task_events(&tl, &mut ev);

    // committed offsets as counters, one series per partition.
    for c in run.offset_commits.iter().filter(|c| c.accepted) {
        ev.push(json!({
            "ph": "C", "pid": PID, "name": "committed offset", "ts": us(c.time_ms),
            "args": { format!("p{}", c.partition.0): c.offset.0 },
        }));
    }

    json!({
        "traceEvents": ev,
        "displayTimeUnit": "ms",
        "otherData": {
            "scenario": spec.name, "seed": o.seed, "profile": spec.profile.to_string(),
            "trace_hash": format!("{:016x}", o.trace_hash()), "stop_at_ms": run.stop_at_ms,
        },
    })
}

/// The JobManager's track: job status, restarts, re-tunes, cluster events, anomalies.
fn jm_events(tl: &Timeline, ev: &mut Vec<Value>) {
    for s in &tl.job {
        ev.push(complete(TID_JM, s.status.name(), "job", s.start_ms, s.end_ms, json!({})));
    }
    for r in &tl.restarts {
        ev.push(instant(
            TID_JM,
            &format!("restart #{} scheduled", r.failure),
            "restart",
            r.at_ms,
            json!({ "backoff_ms": r.backoff_ms, "restored_at_ms": r.restored_at_ms, "restored_from": r.restored_from }),
        ));
    }
    for r in &tl.retunes {
        ev.push(instant(TID_JM, "re-tune", "retune", r.time_ms, json!({ "detail": r.label })));
    }
    for c in &tl.cluster {
        ev.push(instant(TID_JM, &c.label, "cluster", c.time_ms, json!({ "node": c.node })));
    }
    for a in &tl.anomalies {
        if let Some(t) = a.time_ms {
            ev.push(instant(TID_JM, &format!("anomaly: {}", a.checker), "anomaly", t, json!({ "detail": a.text })));
        }
    }
}

/// The chaos track (faults) and the client's (actions and socket input).
fn chaos_and_client_events(tl: &Timeline, run: &crate::world::RunResult, ev: &mut Vec<Value>) {
    for f in &tl.faults {
        ev.push(instant(
            TID_CHAOS,
            &format!("fault start: {}", f.label),
            "fault",
            f.start_ms,
            json!({ "end_ms": f.end_ms }),
        ));
        if let Some(e) = f.end_ms {
            ev.push(instant(TID_CHAOS, &format!("fault end: {}", f.label), "fault", e, json!({})));
        }
    }

    // client: actions and socket input.
    for a in &tl.actions {
        ev.push(instant(TID_CLIENT, &a.label, "action", a.time_ms, json!({})));
    }
    for e in
        run.trace.events().iter().filter(|e| {
            matches!(e.data, EventData::Input { .. } | EventData::InputLost { .. } | EventData::SocketClosed)
        })
    {
        ev.push(instant(TID_CLIENT, &format!("{} {}", e.kind, e.detail), "input", e.time_ms, json!({})));
    }
}

/// One track per row of overlapping checkpoints.
fn checkpoint_events(tl: &Timeline, ev: &mut Vec<Value>) {
    let (rows, _) = checkpoint_rows(tl);
    for (c, row) in tl.checkpoints.iter().zip(rows) {
        let r = &c.row;
        ev.push(complete(
            TID_CHECKPOINTS + row as u64,
            &format!("{} {}", if r.savepoint { "savepoint" } else { "checkpoint" }, r.id),
            "checkpoint",
            r.trigger_ms,
            c.end_ms,
            json!({
                "outcome": r.outcome, "alignment_ms": r.alignment_ms, "size_bytes": r.size_bytes,
                "unaligned": r.unaligned, "pending": r.end_ms.is_none(),
            }),
        ));
    }
}

/// One track per task: states, snapshot phases, marks.
fn task_events(tl: &Timeline, ev: &mut Vec<Value>) {
    for lane in &tl.tasks {
        let tid = TID_TASKS + lane.index as u64;
        for s in &lane.segments {
            let args = match s.restore_from {
                Some(cp) => json!({ "restoring_from_checkpoint": cp }),
                None => json!({}),
            };
            ev.push(complete(tid, s.state.name(), "state", s.start_ms, s.end_ms, args));
        }
        for (p, real_ms) in nested_phases(lane) {
            ev.push(complete(
                tid,
                &format!("{} {}", p.kind.name(), p.checkpoint),
                "snapshot",
                p.start_ms,
                p.end_ms,
                json!({ "checkpoint": p.checkpoint, "detail": p.detail, "real_duration_ms": real_ms }),
            ));
        }
        for m in &lane.marks {
            ev.push(instant(tid, &format!("{}: {}", m.kind, m.text), m.kind, m.time_ms, json!({})));
        }
    }
}

/// The Chrome trace as a JSON string.
pub fn chrome_trace_json(spec: &JobSpec, o: &Outcome) -> String {
    chrome_trace(spec, o).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{PhaseKind, StateSegment, TaskLane};
    use ckptsim::status::ExecutionState;

    #[test]
    fn phases_are_clamped_into_their_state_and_before_the_next_phase() {
        let phase = |kind, s, e| Phase { kind, checkpoint: 1, start_ms: s, end_ms: e, detail: String::new() };
        let lane = TaskLane {
            index: 0,
            name: "t".into(),
            tm: None,
            segments: vec![
                StateSegment { start_ms: 0, end_ms: 100, state: ExecutionState::Running, restore_from: None },
                StateSegment { start_ms: 100, end_ms: 200, state: ExecutionState::Canceled, restore_from: None },
            ],
            phases: vec![phase(PhaseKind::Upload, 50, 150), phase(PhaseKind::Align, 20, 60)],
            marks: vec![],
        };
        let out = nested_phases(&lane);
        assert_eq!(out.len(), 2);
        // Sorted by start; the align phase is cut where the upload starts.
        assert_eq!((out[0].0.kind, out[0].0.start_ms, out[0].0.end_ms, out[0].1), (PhaseKind::Align, 20, 50, 40));
        // The upload is cut at the end of RUNNING; its real length is kept.
        assert_eq!((out[1].0.kind, out[1].0.start_ms, out[1].0.end_ms, out[1].1), (PhaseKind::Upload, 50, 100, 100));
    }
}
