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
//! Not ported, with the reason: the tests of timers (`testFunctionWithTimer`,
//! `testFunctionWithBroadcastState`'s `onTimer` row), side outputs (`testSideOutput`), the
//! `ReadOnlyContext` refusing writes (`testNoKeyedStateOnBroadcastSide`,
//! `testBroadcastStateWriteFromNonBroadcastSide`: Java exceptions of a user function), and the
//! iteration over keyed state (`testAccessToKeyedStateIt`): the model's functions have no timers
//! or side outputs and cannot attempt a forbidden write. The keyed state beside the broadcast
//! state (`applyToKeyedState`) is compared with real Flink instead (`broadcast-keyed-state-*`,
//! tests/real_flink.rs).
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
