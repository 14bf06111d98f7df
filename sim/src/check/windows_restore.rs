//! The `windows` checker's restore rule (session 40): every restored window operator holds, right after its restore, the contents and timers its checkpoint holds for it (`window-restore-differs`).
//!
//! Flink's `WindowOperator` keeps its window contents in keyed state and its triggers' timers in
//! the `InternalTimeServiceManager`; `initializeState` restores both from the checkpoint the
//! JobManager chose (after a rescale, the subtask's key groups of every old subtask's state). The
//! world records each restore of a chained window operator (`RunResult::restored_windows`): what
//! the checkpoint holds for that operator instance and what the operator holds right after its
//! restore, before any in-flight record of an unaligned checkpoint is replayed. They must be
//! equal. A window that starts empty, or without its timers, loses results whose elements the
//! checkpoint's cut had already consumed — and whether the output shows it depends on the sink,
//! on whether the job finishes and on what the join or sink after the window does with a short
//! result (the planted `side-window-state-not-restored`: the output rules of
//! `joins_window.rs` see it only when the job finishes; `window-state-not-restored`,
//! `window-timers-not-restored` are named here too).
//!
//! Session windows (session 41): the merging window set (`MergingWindowSet`'s
//! `merging-window-set` list state, window → state window) is part of what is compared.
//!
//! Not judged here, each for its reason:
//! * Whether the checkpoint the JobManager chose, or the state a rescale assigned to the
//!   subtask, is the right one: the checkpoint's own rules (`exactly-once`, `restart`,
//!   `state`'s key-group placement) judge that; this rule compares the operator with what it
//!   was handed.
//! * A window that is not a chained operator of a task (none today: a window is always chained
//!   after its task's input or head) and a subtask restored without state (FINISHED at the
//!   trigger of a vertex not fully finished, FLIP-147: Flink stores none for it): no row.
//! * `ckptsim explore` records no rows (its `RunResult::restored_windows` is empty).
//! * What the window does after its restore (replays, firings): the output rules of the
//!   `windows` checker and `joins_window.rs`.

use super::*;
use crate::world::WindowRestore;
use ckptsim::window::EventWindowState;

/// Judges every window restore of `run`; findings to `anomalies`. The number of restores judged.
pub(super) fn judge(run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    for r in run.restored_windows.iter().filter(|r| r.stored != r.restored) {
        anomalies.push(
            Finding::new(
                "window-restore-differs",
                format!(
                    "window restore differs: t={} `{}` (task {}, attempt {}) restored from checkpoint {} holds {}, but \
                     the checkpoint holds {}{}",
                    r.at_ms,
                    r.operator,
                    r.task.0,
                    r.attempt.0,
                    r.checkpoint.0,
                    shape(&r.restored),
                    shape(&r.stored),
                    first_difference(r),
                ),
            )
            .at(r.at_ms),
        );
    }
    run.restored_windows.len()
}

/// "N windows (E elements) and T timers" of a window state.
fn shape(s: &EventWindowState) -> String {
    let merging =
        if s.merging.is_empty() { String::new() } else { format!(", {} merging-set entries", s.merging.len()) };
    format!("{} window(s){merging} and {} timer(s)", s.windows.len(), s.timers.len())
}

/// The first (key, window) whose contents differ, or a note that only the timers do.
fn first_difference(r: &WindowRestore) -> String {
    let restored: BTreeMap<_, _> = r.restored.windows.iter().map(|(k, v)| (k, v)).collect();
    for (k, v) in &r.stored.windows {
        match restored.get(k) {
            None => return format!(": key {} window [{}, {}) is missing", k.0, k.1.start, k.1.end),
            Some(got) if *got != v => {
                return format!(": key {} window [{}, {}) holds {got:?}, the checkpoint {v:?}", k.0, k.1.start, k.1.end)
            }
            Some(_) => {}
        }
    }
    let stored: BTreeSet<_> = r.stored.windows.iter().map(|(k, _)| k).collect();
    if let Some((k, _)) = r.restored.windows.iter().find(|(k, _)| !stored.contains(k)) {
        return format!(": key {} window [{}, {}) is not in the checkpoint", k.0, k.1.start, k.1.end);
    }
    // Session windows (session 41): the merging window set, window → state window.
    if r.stored.merging != r.restored.merging {
        return "; the merging window sets (window -> state window) differ".to_owned();
    }
    "; the timers differ".to_owned()
}
