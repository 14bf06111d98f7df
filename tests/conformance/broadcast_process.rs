//! Broadcast process operators (issue 17, session 39): Flink's `CoBroadcastWithKeyedOperatorTest` and `CoBroadcastWithNonKeyedOperatorTest` posed to `ckptsim::broadcast_process` and `ckptsim::rescale::assign`.
//!
//! The model's functions are fixed (`BroadcastFunction`), so each case poses the test's
//! expectation with the function that can state it:
//!
//! * `testScaleUp` / `testScaleDown` (both classes): every subtask takes the same broadcast
//!   elements (`test1`, `test2`, `test3` -> 3 in the test; rules `(testN, 3)` here), the
//!   snapshots are repartitioned 2 -> 3 (3 -> 2) with max parallelism 10, and every new subtask
//!   then sees all three entries at its first element (the keyed test feeds each new subtask a
//!   key of its own key groups, `findValidTriggerKey`). Here: `rescale::assign` over a one-slot
//!   layout, each new operator restored and fed one record; its state report must list the three
//!   entries (`state [test1=3, test2=3, test3=3]`).
//! * `testMultiStateSupport` (non-keyed): two broadcast states, each broadcast element written
//!   into both (`key.5 -> 5` and `5 -> value.5` in the test; the two-state function counts an
//!   element that is not a pair in both); the element after them sees both entries of each
//!   state, and its outputs keep its timestamp (15).
//!
//! Session 40 ports the timer expectations (`timer_delay_ms`: a keyed element at `t` registers
//! an event-time timer at `t + delay`; the test's function registers a fixed time, 41, so the
//! cases pick the delay and the elements' timestamps that register 41):
//!
//! * `testFunctionWithTimer`: key `6` registers the timer at 41 twice (the test's two elements,
//!   at 13 and 15, both register 41; here two elements at 13 with a delay of 28): the watermark
//!   40 fires nothing, the watermark 50 fires one row (`TIMER:41` in the test), at timestamp 41
//!   (`collector.setAbsoluteTimestamp(timer.getTimestamp())`), after the elements' own rows
//!   (at their timestamps).
//! * `testFunctionWithBroadcastState`'s `onTimer` row: the timer reads the broadcast state as it
//!   is when it fires (`TS:41` with the entry `51.key` that arrived after the registering
//!   element): here the rule of the timer's key broadcast after the element is the one the row
//!   shows, and the element's own row showed the one before.
//! * the timers across a snapshot and a rescale (the timer service of the operator is
//!   `InternalTimerServiceImpl`, whose `testSnapshotAndRebalancingRestore` the event windows
//!   pose in `timers.rs`): two subtasks' pending timers, repartitioned 2 -> 3 at max parallelism
//!   10 by `rescale::assign`, each land in the subtask owning its key's group and fire there at
//!   the end of input's `MAX` watermark, once.
//!
//! Not ported, with the reason: side outputs (`testSideOutput`), the `ReadOnlyContext`
//! refusing writes (`testNoKeyedStateOnBroadcastSide`,
//! `testBroadcastStateWriteFromNonBroadcastSide`: Java exceptions of a user function), and the
//! iteration over keyed state (`testAccessToKeyedStateIt`): the model's functions have no side
//! outputs and cannot attempt a forbidden write; processing-time timers (the model's keyed
//! timers are event time only); the test's per-element `WM:` and `TS:` texts (the model's rows
//! do not print the watermark). The keyed state beside the broadcast state (`applyToKeyedState`)
//! and the timers across a failure and a 2 -> 3 -> 1 rescale are compared with real Flink
//! instead (`broadcast-keyed-state-*`, `broadcast-timers-*`, tests/real_flink.rs).
//!
//! Operator state takes no profile; each case runs under both (same answers).

use crate::common::{case_name, ensure_eq, flink, run_table, Flink, F111, F23};
use ckptsim::broadcast_process::{BroadcastFunction, BroadcastProcess};
use ckptsim::ids::{CheckpointId, TaskId};
use ckptsim::key_group::{assign_key_to_parallel_operator, MaxParallelism, VertexParallelism};
use ckptsim::record::{CheckpointKind, Lineage, Record, Value};
use ckptsim::rescale::{assign, JobLayout, OperatorLayout};
use ckptsim::state::TaskSnapshot;
use ckptsim::store::CompletedCheckpoint;
use ckptsim::Profile;
use std::collections::BTreeMap;

const KEYED: &str = "CoBroadcastWithKeyedOperatorTest";
const NON_KEYED: &str = "CoBroadcastWithNonKeyedOperatorTest";
const MAX_PARALLELISM: u32 = 10;

struct Case {
    flink: Flink,
    profile: Profile,
    check: fn(Profile) -> Result<(), String>,
}

fn rec(v: Value, seq: u64, ts: Option<i64>) -> Record {
    Record { value: v, lineage: Lineage { input_seq: seq, sub: 0 }, timestamp: ts }
}

/// One operator at parallelism `p` (task `first + i` holds subtask `i` in its slot 0).
fn layout(first: u32, p: u32) -> JobLayout {
    let vertex = VertexParallelism::new(p, MaxParallelism::Explicit(MAX_PARALLELISM)).expect("valid parallelism");
    JobLayout {
        operators: vec![OperatorLayout {
            uid: "broadcast".into(),
            vertex,
            slots: (0..p).map(|i| (TaskId(first + i), 0)).collect(),
            source_topic: None,
        }],
        tasks: (0..p).map(|i| (TaskId(first + i), 1)).collect(),
        allow_non_restored_state: false,
        inputs: BTreeMap::new(),
    }
}

/// A key of subtask `i` of `p` (Flink's `findValidTriggerKey`): `k0`, `k1`, ... until one routes there.
fn key_of_subtask(i: u32, p: u32) -> Value {
    (0..)
        .map(|n| Value::str(&format!("k{n}")))
        .find(|k| assign_key_to_parallel_operator(k, MAX_PARALLELISM, p) == i)
        .expect("some key routes to every subtask")
}

/// `p_old` subtasks take the test's three registrations, are snapshotted and repartitioned to
/// `p_new` (`profile`); every new subtask reports the three entries at its first record (a key
/// of its own key groups when `keyed`; the non-keyed operator is the same one behind another
/// input, `broadcast_process.rs`).
fn rescaled_state_is_everywhere(keyed: bool, p_old: u32, p_new: u32, profile: Profile) -> Result<(), String> {
    let function = BroadcastFunction::Rules;
    let mut tasks = BTreeMap::new();
    for i in 0..p_old {
        let mut op = BroadcastProcess::new(function, true);
        for (n, k) in ["test1", "test2", "test3"].iter().enumerate() {
            op.process_broadcast(&rec(Value::Pair((*k).into(), 3), n as u64, None));
        }
        tasks.insert(TaskId(i), TaskSnapshot { operators: vec![op.snapshot()], ..TaskSnapshot::default() });
    }
    let cp = CompletedCheckpoint {
        id: CheckpointId(1),
        kind: CheckpointKind::Savepoint,
        trigger_ms: 0,
        completed_ms: 0,
        tasks,
        size_bytes: 0,
        external: true,
    };
    let new = layout(10, p_new);
    let r = assign(&cp, &layout(0, p_old), &new, profile).map_err(|e| format!("assign refused: {e}"))?;
    for i in 0..p_new {
        let mut op = BroadcastProcess::new(function, true);
        op.restore(&r.checkpoint.tasks[&TaskId(10 + i)].operators[0]);
        let mut out = Vec::new();
        let first = if keyed { key_of_subtask(i, p_new) } else { Value::Int(i64::from(i)) };
        op.process_keyed(rec(first, 9, None), &mut out);
        ensure_eq(
            out[0].value.to_string(),
            "state [test1=3, test2=3, test3=3]".to_string(),
            &format!("new subtask {i} of {p_new}: the broadcast state it sees"),
        )?;
    }
    Ok(())
}

/// testMultiStateSupport: elements 5 and 6 written into both states; element "9" at 15 sees
/// both entries of each, its outputs at 15.
fn multi_state_support(_: Profile) -> Result<(), String> {
    let mut op = BroadcastProcess::new(BroadcastFunction::TwoStates, true);
    op.process_broadcast(&rec(Value::Int(5), 0, Some(12)));
    op.process_broadcast(&rec(Value::Int(6), 1, Some(13)));
    let mut out = Vec::new();
    op.process_keyed(rec(Value::str("9"), 2, Some(15)), &mut out);
    ensure_eq(out[0].value.to_string(), "state rules [5=1, 6=1] limits [5=1, 6=1]".to_string(), "both states")?;
    ensure_eq(out.iter().map(|r| r.timestamp).collect::<Vec<_>>(), vec![Some(15); 2], "the outputs' timestamps")?;
    ensure_eq(op.parts().len(), 2, "two states snapshotted apart")
}

/// testFunctionWithTimer: two registrations of (6, 41) are one timer; the watermark 40 fires
/// nothing, 50 fires it once, at 41, after the elements' rows at 13.
fn function_with_timer(_: Profile) -> Result<(), String> {
    let mut op = BroadcastProcess::new(BroadcastFunction::Rules, false).with_timers(Some(28));
    op.process_broadcast(&rec(Value::Pair("x".into(), 5), 0, Some(12)));
    let mut out = Vec::new();
    op.process_keyed(rec(Value::str("6"), 1, Some(13)), &mut out);
    op.process_keyed(rec(Value::str("6"), 2, Some(13)), &mut out);
    ensure_eq(op.process_watermark(40, &mut out), false, "the watermark 40 fires nothing")?;
    ensure_eq(op.process_watermark(50, &mut out), true, "the watermark 50 fires the timer")?;
    let rows: Vec<(String, Option<i64>)> = out.iter().map(|r| (r.value.to_string(), r.timestamp)).collect();
    ensure_eq(
        rows,
        vec![
            ("(6,0)".to_string(), Some(13)),
            ("(6,0)".to_string(), Some(13)),
            ("timer@41 (6,0,0)".to_string(), Some(41)),
        ],
        "the elements' rows, then one timer row at 41",
    )
}

/// testFunctionWithBroadcastState's onTimer: the broadcast state at the firing, with the
/// element broadcast after the registration.
fn timer_reads_broadcast_state_at_firing(_: Profile) -> Result<(), String> {
    let mut op = BroadcastProcess::new(BroadcastFunction::Rules, false).with_timers(Some(28));
    for (n, v) in [5, 34, 53, 12, 98].into_iter().enumerate() {
        op.process_broadcast(&rec(Value::Pair("trigger".into(), v), n as u64, Some(10)));
    }
    let mut out = Vec::new();
    op.process_keyed(rec(Value::str("trigger"), 5, Some(13)), &mut out);
    op.process_broadcast(&rec(Value::Pair("trigger".into(), 51), 6, Some(21)));
    op.process_watermark(50, &mut out);
    ensure_eq(
        out.iter().map(|r| r.value.to_string()).collect::<Vec<_>>(),
        vec!["(trigger,98)".to_string(), "timer@41 (trigger,51,0)".to_string()],
        "the element's row saw 98, the timer 51",
    )
}

/// Timers of two subtasks repartitioned 2 -> 3 (max parallelism 10): each key's timers in the
/// subtask owning its key group, each fired there once at MAX.
fn timers_follow_their_key_groups(profile: Profile) -> Result<(), String> {
    let keys: Vec<Value> = (0..8).map(|n| Value::str(&format!("k{n}"))).collect();
    let mut tasks = BTreeMap::new();
    for i in 0..2u32 {
        let mut op = BroadcastProcess::new(BroadcastFunction::Counting, false).with_timers(Some(100));
        let mut out = Vec::new();
        for (n, k) in
            keys.iter().enumerate().filter(|(_, k)| assign_key_to_parallel_operator(k, MAX_PARALLELISM, 2) == i)
        {
            op.process_keyed(rec(k.clone(), n as u64, Some(n as i64)), &mut out);
        }
        tasks.insert(TaskId(i), TaskSnapshot { operators: vec![op.snapshot()], ..TaskSnapshot::default() });
    }
    let cp = CompletedCheckpoint {
        id: CheckpointId(1),
        kind: CheckpointKind::Savepoint,
        trigger_ms: 0,
        completed_ms: 0,
        tasks,
        size_bytes: 0,
        external: true,
    };
    let r = assign(&cp, &layout(0, 2), &layout(10, 3), profile).map_err(|e| format!("assign refused: {e}"))?;
    let mut fired = Vec::new();
    for i in 0..3u32 {
        let mut op = BroadcastProcess::new(BroadcastFunction::Counting, false).with_timers(Some(100));
        op.restore(&r.checkpoint.tasks[&TaskId(10 + i)].operators[0]);
        let mut out = Vec::new();
        op.process_watermark(i64::MAX, &mut out);
        for row in out {
            let text = row.value.to_string();
            let key = text.split(['(', ',']).nth(1).unwrap_or_default().to_string();
            ensure_eq(
                assign_key_to_parallel_operator(&Value::str(&key), MAX_PARALLELISM, 3),
                i,
                &format!("{text}: fired by the subtask owning its key group"),
            )?;
            fired.push(text);
        }
    }
    fired.sort();
    let mut want: Vec<String> = keys.iter().enumerate().map(|(n, k)| format!("timer@{} ({k},0,1)", 100 + n)).collect();
    want.sort();
    ensure_eq(fired, want, "every timer fired once after the rescale")
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for profile in [F111, F23] {
        out.push(Case {
            flink: flink(KEYED, "testScaleUp", "1.20"),
            profile,
            check: |p| rescaled_state_is_everywhere(true, 2, 3, p),
        });
        out.push(Case {
            flink: flink(KEYED, "testScaleDown", "1.20"),
            profile,
            check: |p| rescaled_state_is_everywhere(true, 3, 2, p),
        });
        out.push(Case {
            flink: flink(NON_KEYED, "testScaleUp", "1.20"),
            profile,
            check: |p| rescaled_state_is_everywhere(false, 2, 3, p),
        });
        out.push(Case {
            flink: flink(NON_KEYED, "testScaleDown", "1.20"),
            profile,
            check: |p| rescaled_state_is_everywhere(false, 3, 2, p),
        });
        out.push(Case {
            flink: flink(NON_KEYED, "testMultiStateSupport", "1.20"),
            profile,
            check: multi_state_support,
        });
        // Session 40: the keyed side's event-time timers.
        out.push(Case { flink: flink(KEYED, "testFunctionWithTimer", "1.20"), profile, check: function_with_timer });
        out.push(Case {
            flink: flink(KEYED, "testFunctionWithBroadcastState", "1.20"),
            profile,
            check: timer_reads_broadcast_state_at_firing,
        });
        out.push(Case {
            flink: flink("InternalTimerServiceImplTest", "testSnapshotAndRebalancingRestore", "1.20"),
            profile,
            check: timers_follow_their_key_groups,
        });
    }
    out
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, crate::common::profile_name(c.profile))).collect()
}

#[test]
fn broadcast_process_operators() {
    run_table(
        "CoBroadcastWith{Keyed,NonKeyed}OperatorTest",
        &cases(),
        |c| case_name(&c.flink, c.profile),
        |c| (c.check)(c.profile),
    );
}
