//! Event-time timers (issue 17): Flink's `EventTimeTriggerTest` and `InternalTimerServiceImplTest` (timers firing on a watermark at or past their time, snapshot and restore, timers split by key group on a rebalancing restore) posed to the core's `EventWindowOperator`, whose timers are Flink's window timers, and `rescale::assign`.
//!
//! The model has no general timer service: a timer is always an event-time window's (the
//! trigger's timer at the window's `maxTimestamp`, the operator's cleanup timer at
//! `maxTimestamp + allowedLateness`; with a lateness of 0 both are the one timer, as Flink's
//! timer service keeps one timer per (timestamp, key, namespace)). So a case of the timer
//! service is posed with one window per key, the window standing for Flink's namespace, and a
//! trigger's timers are the operator's timers at a window's `maxTimestamp`. Event time takes no
//! profile, so every case runs once, labelled flink-2.3; the rebalancing restore reads key
//! groups the same way under both profiles.

use crate::common::{case_name, ensure_eq, flink, profile_name, run_table, Flink, F23};
use ckptsim::key_group::{
    assign_to_key_group, compute_key_group_range_for_operator_index, MaxParallelism, VertexParallelism,
};
use ckptsim::operator::Aggregate;
use ckptsim::record::{CheckpointKind, Lineage, Record, Value};
use ckptsim::rescale::{assign, JobLayout, OperatorLayout};
use ckptsim::state::{OperatorState, TaskSnapshot};
use ckptsim::store::CompletedCheckpoint;
use ckptsim::watermark::Watermark;
use ckptsim::window::{EventWindowOperator, EventWindowSpec, TimeWindow, WindowAssigner, WindowTime};
use ckptsim::{CheckpointId, TaskId};
use std::collections::{BTreeMap, BTreeSet};

struct Case {
    flink: Flink,
    check: fn() -> Result<(), String>,
}

const ETT: &str = "EventTimeTriggerTest";
const ITS: &str = "InternalTimerServiceImplTest";

/// A tumbling event-time window operator of `size_ms` with a sum and `lateness_ms`.
fn window_op(size_ms: u64, lateness_ms: u64) -> EventWindowOperator {
    EventWindowOperator::new(EventWindowSpec {
        assigner: WindowAssigner::Tumbling { size_ms, offset_ms: 0 },
        aggregate: Aggregate::Sum,
        allowed_lateness_ms: lateness_ms,
        late_side_output: false,
        purging: false,
        time: WindowTime::Event,
    })
}

fn el(op: &mut EventWindowOperator, value: Value, ts: i64, seq: u64) -> Result<Vec<String>, String> {
    let rec = Record { value, lineage: Lineage { input_seq: seq, sub: 0 }, timestamp: Some(ts) };
    let (mut out, mut late) = (Vec::new(), Vec::new());
    op.process_element(rec, &mut out, &mut late)?;
    if !late.is_empty() {
        return Err(format!("unexpected late output {late:?}"));
    }
    Ok(out.iter().map(show).collect())
}

fn wm(op: &mut EventWindowOperator, t: i64) -> Vec<String> {
    let mut out = Vec::new();
    op.advance_watermark(Watermark(t), &mut out);
    out.iter().map(show).collect()
}

fn show(r: &Record) -> String {
    format!("{}@{}", r.value, r.timestamp.unwrap_or(i64::MIN))
}

/// The trigger's timers (`TriggerTestHarness#numEventTimeTimers`): those at a window's
/// `maxTimestamp`, optionally of one window.
fn trigger_timers(op: &EventWindowOperator, window: Option<TimeWindow>) -> usize {
    op.timers()
        .iter()
        .filter(|t| t.timestamp == t.window.max_timestamp() && window.is_none_or(|w| t.window == w))
        .count()
}

fn w(start: i64, end: i64) -> TimeWindow {
    TimeWindow { start, end }
}

// -------------------------------------------------------------------- EventTimeTriggerTest

/// `testWindowSeparationAndFiring`: three elements into window (0,2), two into (2,4): one timer
/// per window; the watermark 2 fires (0,2) only and leaves (2,4)'s timer; 4 fires (2,4).
fn window_separation_and_firing() -> Result<(), String> {
    let mut op = window_op(2, 0);
    let k = || Value::Pair("k".into(), 1);
    for (i, ts) in [0, 1, 1, 2, 3].into_iter().enumerate() {
        ensure_eq(el(&mut op, k(), ts, i as u64)?, vec![], "CONTINUE (no firing) on element")?;
    }
    ensure_eq(trigger_timers(&op, None), 2, "event-time timers")?;
    ensure_eq(trigger_timers(&op, Some(w(0, 2))), 1, "timers of (0,2)")?;
    ensure_eq(trigger_timers(&op, Some(w(2, 4))), 1, "timers of (2,4)")?;
    ensure_eq(wm(&mut op, 2), vec!["(k,3)@1".to_string()], "FIRE of (0,2) at watermark 2")?;
    ensure_eq(trigger_timers(&op, None), 1, "event-time timers after the first firing")?;
    ensure_eq(trigger_timers(&op, Some(w(0, 2))), 0, "timers of (0,2) after it fired")?;
    ensure_eq(trigger_timers(&op, Some(w(2, 4))), 1, "timers of (2,4) after (0,2) fired")?;
    ensure_eq(wm(&mut op, 4), vec!["(k,2)@3".to_string()], "FIRE of (2,4) at watermark 4")?;
    ensure_eq(op.timers().len(), 0, "event-time timers at the end")
}

/// `testLateElementTriggersImmediately`: after the watermark 2, an element of window (0,2)
/// FIREs at once and registers no trigger timer. Posed with an allowed lateness of 5: with a
/// lateness of 0 the `WindowOperator` drops the element as late before the trigger sees it
/// (`isWindowLate`); the operator's own cleanup timer at 1 + 5 is not the trigger's.
fn late_element_triggers_immediately() -> Result<(), String> {
    let mut op = window_op(2, 5);
    ensure_eq(wm(&mut op, 2), vec![], "watermark 2 on an empty operator")?;
    ensure_eq(el(&mut op, Value::Pair("k".into(), 1), 0, 0)?, vec!["(k,1)@1".to_string()], "FIRE on element")?;
    ensure_eq(trigger_timers(&op, None), 0, "trigger timers")?;
    let rest: Vec<i64> = op.timers().iter().map(|t| t.timestamp).collect();
    ensure_eq(rest, vec![6], "the operator's cleanup timer (maxTimestamp + lateness)")
}

// ------------------------------------------------------------ InternalTimerServiceImplTest

/// Window [0, 11) of size 11: its timer is at 10, the timestamp the timer-service tests use.
const SIZE_11: u64 = 11;

fn two_keys(op: &mut EventWindowOperator) -> Result<(), String> {
    el(op, Value::Pair("key1".into(), 1), 3, 0)?;
    el(op, Value::Pair("key2".into(), 1), 4, 1)?;
    Ok(())
}

/// `testSetAndFireEventTimeTimers`: timers at 10 for two keys; the watermark 9 fires none
/// (`advanceWatermark` fires timers at or before it), 10 fires each key's timer once, none left.
fn set_and_fire_event_time_timers() -> Result<(), String> {
    let mut op = window_op(SIZE_11, 0);
    two_keys(&mut op)?;
    ensure_eq(op.timers().len(), 2, "numEventTimeTimers")?;
    ensure_eq(wm(&mut op, 9), vec![], "watermark 9 (before the timers)")?;
    let mut fired = wm(&mut op, 10);
    fired.sort();
    ensure_eq(fired, vec!["(key1,1)@10".to_string(), "(key2,1)@10".to_string()], "onEventTime at watermark 10")?;
    ensure_eq(op.timers().len(), 0, "numEventTimeTimers after the watermark")?;
    ensure_eq(op.current_watermark(), Watermark(10), "currentWatermark (testCurrentEventTime)")
}

/// `testSnapshotAndRestore`: timers of two keys snapshotted, a new service restored from the
/// snapshot fires both at the watermark 10 and is left with none.
fn snapshot_and_restore() -> Result<(), String> {
    let mut op = window_op(SIZE_11, 0);
    two_keys(&mut op)?;
    let snap = op.snapshot();
    let mut restored = window_op(SIZE_11, 0);
    restored.restore(&snap);
    ensure_eq(restored.timers().len(), 2, "restored numEventTimeTimers")?;
    let mut fired = wm(&mut restored, 10);
    fired.sort();
    ensure_eq(fired, vec!["(key1,1)@10".to_string(), "(key2,1)@10".to_string()], "onEventTime after restore")?;
    ensure_eq(restored.timers().len(), 0, "numEventTimeTimers at the end")
}

/// The layout of one window operator of parallelism `p` (tasks `first..first + p`, one slot).
fn layout(p: u32, max: u32, first: u32) -> JobLayout {
    let vertex = VertexParallelism::new(p, MaxParallelism::Explicit(max)).expect("valid vertex");
    let op = OperatorLayout {
        uid: "window".into(),
        vertex,
        slots: (0..p).map(|i| (TaskId(first + i), 0)).collect(),
        source_topic: None,
    };
    JobLayout {
        operators: vec![op],
        tasks: (0..p).map(|i| (TaskId(first + i), 1)).collect(),
        allow_non_restored_state: false,
        inputs: BTreeMap::new(),
    }
}

/// One window operator of parallelism 1 holding a timer at 10 for each of `keys`, restored
/// with parallelism `new_p` (max parallelism `max`): the restored operators, in subtask order.
fn rebalance(keys: &[Value], max: u32, new_p: u32) -> Result<Vec<EventWindowOperator>, String> {
    let mut op = window_op(SIZE_11, 0);
    for (i, k) in keys.iter().enumerate() {
        el(&mut op, k.clone(), 5, i as u64)?;
    }
    let snap = TaskSnapshot { operators: vec![OperatorState::EventWindow(op.snapshot())], ..TaskSnapshot::default() };
    let cp = CompletedCheckpoint {
        id: CheckpointId(1),
        kind: CheckpointKind::Savepoint,
        trigger_ms: 0,
        completed_ms: 0,
        tasks: BTreeMap::from([(TaskId(0), snap)]),
        size_bytes: 0,
        external: true,
    };
    let r = assign(&cp, &layout(1, max, 0), &layout(new_p, max, 10), F23).map_err(|e| e.to_string())?;
    (0..new_p)
        .map(|i| {
            let mut fresh = window_op(SIZE_11, 0);
            match &r.checkpoint.tasks[&TaskId(10 + i)].operators[0] {
                OperatorState::EventWindow(st) => fresh.restore(st),
                OperatorState::None => {}
                other => return Err(format!("subtask {i} restores {other:?}")),
            }
            Ok(fresh)
        })
        .collect()
}

/// The keys of an operator's timers.
fn timer_keys(op: &EventWindowOperator) -> BTreeSet<Value> {
    op.timers().iter().map(|t| t.key.clone()).collect()
}

/// `testSnapshotAndRebalancingRestore`: timers of keys in two halves of the key-group range,
/// snapshotted, restored into two services each owning one half: each holds and fires only its
/// own keys' timers, and together they fire every timer once. Posed with max parallelism 128
/// and integer keys (as in the test), restored from parallelism 1 into 2.
fn snapshot_and_rebalancing_restore() -> Result<(), String> {
    let max = 128;
    let keys: Vec<Value> = (0..40).map(Value::Int).collect();
    let restored = rebalance(&keys, max, 2)?;
    let mut all = BTreeSet::new();
    for (i, mut op) in restored.into_iter().enumerate() {
        let range = compute_key_group_range_for_operator_index(max, 2, i as u32).map_err(|e| e.to_string())?;
        let held = timer_keys(&op);
        for k in &held {
            let kg = assign_to_key_group(k, max);
            if !range.contains(kg) {
                return Err(format!("subtask {i} holds the timer of key {k} (key group {kg:?}) outside {range:?}"));
            }
        }
        let want: BTreeSet<Value> =
            keys.iter().filter(|k| range.contains(assign_to_key_group(k, max))).cloned().collect();
        ensure_eq(&held, &want, &format!("subtask {i}'s timers"))?;
        let fired = wm(&mut op, 10);
        ensure_eq(fired.len(), want.len(), &format!("subtask {i}'s onEventTime calls at watermark 10"))?;
        ensure_eq(op.timers().len(), 0, &format!("subtask {i}'s timers after the watermark"))?;
        all.extend(held);
    }
    ensure_eq(all, keys.into_iter().collect(), "every timer restored once")
}

/// `testTimerAssignmentToKeyGroups`: 100 timers of the integer keys 0..99 with 100 key groups;
/// each key group holds exactly the timers whose key it is assigned. Posed as a restore with
/// parallelism = max parallelism = 100 (subtask i owns key group i alone): subtask i's timers are
/// the keys assigned to key group i.
fn timer_assignment_to_key_groups() -> Result<(), String> {
    let n = 100;
    let keys: Vec<Value> = (0..n as i64).map(Value::Int).collect();
    let restored = rebalance(&keys, n, n)?;
    for (i, op) in restored.iter().enumerate() {
        let want: BTreeSet<Value> = keys.iter().filter(|k| assign_to_key_group(k, n).0 == i as u32).cloned().collect();
        ensure_eq(timer_keys(op), want, &format!("timers of key group {i}"))?;
    }
    Ok(())
}

fn all() -> Vec<Case> {
    vec![
        Case { flink: flink(ETT, "testWindowSeparationAndFiring", "1.x"), check: window_separation_and_firing },
        Case {
            flink: flink(ETT, "testLateElementTriggersImmediately", "1.x"),
            check: late_element_triggers_immediately,
        },
        Case { flink: flink(ITS, "testSetAndFireEventTimeTimers", "2.x"), check: set_and_fire_event_time_timers },
        Case { flink: flink(ITS, "testSnapshotAndRestore", "2.x"), check: snapshot_and_restore },
        Case { flink: flink(ITS, "testSnapshotAndRebalancingRestore", "2.x"), check: snapshot_and_rebalancing_restore },
        Case { flink: flink(ITS, "testTimerAssignmentToKeyGroups", "2.x"), check: timer_assignment_to_key_groups },
    ]
}

pub fn census() -> Vec<(Flink, &'static str)> {
    all().iter().map(|c| (c.flink, profile_name(F23))).collect()
}

#[test]
fn timers_table() {
    run_table("timers", &all(), |c| case_name(&c.flink, F23), |c| (c.check)());
}
