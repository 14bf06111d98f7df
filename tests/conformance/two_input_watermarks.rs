//! Watermarks into a two-input task (issue 17): Flink's `TwoInputStreamTaskTest` watermark and status forwarding through a `CoStreamMap`, and the union counterpart, posed to the core's `Task` with two input gates of two channels each.
//!
//! Flink feeds each input gate of a two-input task through its own `StatusWatermarkValve` and
//! the operator combines the two inputs' watermarks (`AbstractStreamOperator#processWatermark1/2`).
//! Up to 1.13 that combination is the plain minimum of the two inputs, idle or not: an input
//! that went IDLE at watermark 5 holds the operator at 5 although the other input is at 6
//! (the 1.x test says so in a comment: "the idle status of one input doesn't propagate to the
//! other input"). FLINK-18934 (1.14, apache/flink#15771) made two- and multi-input operators
//! respect idleness (`IndexedCombinedWatermarkStatus`): the minimum over the inputs that are
//! not idle, so the 2.x test expects 5 and then 6. A union is a one-input operator over one
//! (union) input gate, so one valve spans all its channels under both versions.

use crate::common::{case_name, flink, run_table, Flink, F111, F23};
use ckptsim::barrier::HandlerKind;
use ckptsim::ids::{Attempt, ChannelId, TaskId};
use ckptsim::operator::{SurvivingCounters, Udf};
use ckptsim::record::{Lineage, Record, StreamElement, Value};
use ckptsim::task::{HeadSpec, Partitioner, TailSpec, Task, TaskOutput, TaskSpec};
use ckptsim::two_input::{InputGates, InputOperatorSpec};
use ckptsim::watermark::{Watermark, WatermarkStatus};
use ckptsim::{Profile, Variant};
use std::collections::BTreeMap;

const TIST: &str = "TwoInputStreamTaskTest";

/// One step of the test: an element into (gate, channel of the gate).
type Step = (u32, u32, StreamElement);

fn task(profile: Profile, operator: InputOperatorSpec) -> Task {
    let spec = TaskSpec {
        task: TaskId(0),
        name: "co-map".into(),
        subtask: 0,
        parallelism: 1,
        attempt: Attempt(0),
        head: HeadSpec::MultiInputs { gates: InputGates::new(&[2, 2], operator), handler: HandlerKind::Aligned },
        chain: vec![],
        tail: TailSpec::Output(Partitioner::Forward),
        profile,
        variant: Variant::Correct,
        padding_bytes: 0,
        vertex_peers: vec![TaskId(0)],
    };
    let e = BTreeMap::new();
    Task::new(spec, 0, None, &e, &e, &mut SurvivingCounters::default())
}

fn wm(t: i64) -> StreamElement {
    StreamElement::Watermark(Watermark(t))
}

fn idle() -> StreamElement {
    StreamElement::WatermarkStatus(WatermarkStatus::Idle)
}

fn active() -> StreamElement {
    StreamElement::WatermarkStatus(WatermarkStatus::Active)
}

fn rec(v: &str, seq: u64) -> StreamElement {
    StreamElement::Record(Record {
        value: Value::str(v),
        lineage: Lineage { input_seq: seq, sub: 0 },
        timestamp: Some(0),
    })
}

/// The task's watermark and status outputs as short strings (`wm 5`, `IDLE`), records as `rec`.
fn drain(t: &mut Task) -> Vec<String> {
    let mut v = Vec::new();
    while let Some(o) = t.poll_output() {
        match o {
            TaskOutput::EmitWatermark { watermark } => v.push(format!("wm {}", watermark.0)),
            TaskOutput::EmitWatermarkStatus { status } => v.push(format!("{status:?}").to_uppercase()),
            TaskOutput::Emit { .. } => v.push("rec".into()),
            _ => {}
        }
    }
    v
}

/// Feeds `steps` in phases; after each phase the outputs must be the phase's expectation.
fn run(profile: Profile, operator: InputOperatorSpec, phases: &[(Vec<Step>, Vec<&str>)]) -> Result<(), String> {
    let mut t = task(profile, operator);
    let mut c = SurvivingCounters::default();
    for (i, (steps, want)) in phases.iter().enumerate() {
        for (gate, ch, e) in steps {
            t.handle_input(0, ChannelId(gate * 2 + ch), e.clone(), 0, &mut c);
        }
        let got = drain(&mut t);
        if got != *want {
            return Err(format!("phase {i}: got {got:?}, Flink {want:?}"));
        }
    }
    Ok(())
}

/// `testWatermarkAndWatermarkStatusForwarding` (1.x: `testWatermarkAndStreamStatusForwarding`):
/// `idle_advances` is whether an idle input leaves the operator's minimum (2.x) or not (1.x).
fn forwarding(profile: Profile, operator: InputOperatorSpec, idle_advances: bool) -> Result<(), String> {
    let after_idle: Vec<&str> = if idle_advances { vec!["wm 5", "wm 6"] } else { vec!["wm 5"] };
    run(
        profile,
        operator,
        &[
            (vec![(0, 0, wm(0)), (0, 1, wm(0)), (1, 0, wm(0))], vec![]),
            (vec![(1, 1, wm(0))], vec!["wm 0"]),
            (vec![(0, 0, rec("Hello", 0)), (1, 1, rec("42", 1))], vec!["rec", "rec"]),
            (vec![(0, 0, wm(4)), (0, 1, wm(3)), (1, 0, wm(3)), (1, 1, wm(2))], vec!["wm 2"]),
            (vec![(1, 1, wm(4))], vec!["wm 3"]),
            (vec![(0, 1, wm(4)), (1, 0, wm(4))], vec!["wm 4"]),
            (vec![(0, 1, idle()), (1, 0, idle()), (0, 0, wm(6)), (1, 1, wm(5)), (1, 1, idle())], after_idle),
            (vec![(0, 0, idle())], vec!["IDLE"]),
            (vec![(1, 0, active()), (0, 1, active())], vec!["ACTIVE"]),
        ],
    )
}

struct Case {
    flink: Flink,
    profile: Profile,
    check: fn() -> Result<(), String>,
}

fn co_map() -> InputOperatorSpec {
    InputOperatorSpec::CoMap { first: Udf::Identity, second: Udf::Identity }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            flink: flink(TIST, "testWatermarkAndStreamStatusForwarding", "1.11"),
            profile: F111,
            check: || forwarding(F111, co_map(), false),
        },
        Case {
            flink: flink(TIST, "testWatermarkAndWatermarkStatusForwarding", "2.x"),
            profile: F23,
            check: || forwarding(F23, co_map(), true),
        },
        // The keyed two-input join is a two-input operator as well (`KeyedCoProcessOperator`).
        Case {
            flink: flink(TIST, "testWatermarkAndStreamStatusForwarding (keyed two-input join)", "1.11"),
            profile: F111,
            check: || forwarding(F111, InputOperatorSpec::Join, false),
        },
        Case {
            flink: flink(TIST, "testWatermarkAndWatermarkStatusForwarding (keyed two-input join)", "2.x"),
            profile: F23,
            check: || forwarding(F23, InputOperatorSpec::Join, true),
        },
        // A union is one input (a `UnionInputGate` under one valve): the idle input leaves the
        // minimum under both versions (`StatusWatermarkValveTest`'s rules over four channels).
        Case {
            flink: flink(TIST, "testWatermarkAndStreamStatusForwarding (union: one valve)", "1.11"),
            profile: F111,
            check: || forwarding(F111, InputOperatorSpec::Union, true),
        },
        Case {
            flink: flink(TIST, "testWatermarkAndWatermarkStatusForwarding (union: one valve)", "2.x"),
            profile: F23,
            check: || forwarding(F23, InputOperatorSpec::Union, true),
        },
    ]
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, crate::common::profile_name(c.profile))).collect()
}

#[test]
fn two_input_watermark_forwarding() {
    run_table(TIST, &cases(), |c| case_name(&c.flink, c.profile), |c| (c.check)());
}
