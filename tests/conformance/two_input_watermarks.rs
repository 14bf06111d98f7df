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
use ckptsim::join::JoinSpec;
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
            t.handle_input(0, ChannelId(gate * 2 + ch), e.clone(), &[], &mut c);
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
    forwarding_with(profile, operator, idle_advances, true)
}

/// [`forwarding`]; without `records` the phase of the two records is left out (a window join
/// emits nothing for them before their window fires).
fn forwarding_with(
    profile: Profile,
    operator: InputOperatorSpec,
    idle_advances: bool,
    records: bool,
) -> Result<(), String> {
    let after_idle: Vec<&str> = if idle_advances { vec!["wm 5", "wm 6"] } else { vec!["wm 5"] };
    let record_phase: (Vec<Step>, Vec<&str>) = if records {
        (vec![(0, 0, rec("Hello", 0)), (1, 1, rec("42", 1))], vec!["rec", "rec"])
    } else {
        (vec![], vec![])
    };
    run(
        profile,
        operator,
        &[
            (vec![(0, 0, wm(0)), (0, 1, wm(0)), (1, 0, wm(0))], vec![]),
            (vec![(1, 1, wm(0))], vec!["wm 0"]),
            record_phase,
            (vec![(0, 0, wm(4)), (0, 1, wm(3)), (1, 0, wm(3)), (1, 1, wm(2))], vec!["wm 2"]),
            (vec![(1, 1, wm(4))], vec!["wm 3"]),
            (vec![(0, 1, wm(4)), (1, 0, wm(4))], vec!["wm 4"]),
            (vec![(0, 1, idle()), (1, 0, idle()), (0, 0, wm(6)), (1, 1, wm(5)), (1, 1, idle())], after_idle),
            (vec![(0, 0, idle())], vec!["IDLE"]),
            (vec![(1, 0, active()), (0, 1, active())], vec!["ACTIVE"]),
        ],
    )
}

/// `CoProcessOperatorTest#testTimestampAndWatermarkQuerying`: the watermark 17 on input 1
/// alone is not forwarded, on both inputs it is; an element of input 1 at 12 then sees the
/// operator's watermark 17 and keeps its timestamp 12; the same with 42 and an element of input
/// 2 at 13. Posed with both channels of a gate carrying the input's watermark (the harness has
/// one channel per input); the function's `currentWatermark()` is the task's watermark when the
/// element is processed. Same under both versions: no input is idle.
fn watermark_querying(profile: Profile) -> Result<(), String> {
    let mut t = task(profile, co_map());
    let mut c = SurvivingCounters::default();
    let mut got = Vec::new();
    let mut feed = |t: &mut Task, gate: u32, e: StreamElement| {
        for ch in 0..2 {
            t.handle_input(0, ChannelId(gate * 2 + ch), e.clone(), &[], &mut c);
        }
    };
    let element = |t: &mut Task, gate: u32, v: &str, ts: i64, got: &mut Vec<String>| {
        let seen = t.current_watermark().map_or(i64::MIN, |w| w.0);
        let r = Record { value: Value::str(v), lineage: Lineage { input_seq: ts as u64, sub: 0 }, timestamp: Some(ts) };
        t.handle_input(0, ChannelId(gate * 2), StreamElement::Record(r), &[], &mut SurvivingCounters::default());
        while let Some(o) = t.poll_output() {
            if let TaskOutput::Emit { record, .. } = o {
                got.push(format!("{}WM:{seen} TS:{}", record.value, record.timestamp.unwrap_or(i64::MIN)));
            }
        }
    };
    feed(&mut t, 0, wm(17));
    got.extend(drain(&mut t));
    feed(&mut t, 1, wm(17));
    got.extend(drain(&mut t));
    element(&mut t, 0, "5", 12, &mut got);
    feed(&mut t, 0, wm(42));
    feed(&mut t, 1, wm(42));
    got.extend(drain(&mut t));
    element(&mut t, 1, "6", 13, &mut got);
    let want = ["wm 17", "5WM:17 TS:12", "wm 42", "6WM:42 TS:13"];
    if got != want {
        return Err(format!("got {got:?}, Flink {want:?}"));
    }
    Ok(())
}

struct Case {
    flink: Flink,
    profile: Profile,
    check: fn() -> Result<(), String>,
}

fn co_map() -> InputOperatorSpec {
    InputOperatorSpec::CoMap { first: Udf::Identity, second: Udf::Identity }
}

fn window_join() -> InputOperatorSpec {
    InputOperatorSpec::EventJoin(JoinSpec::Window { size_ms: 1000 })
}

fn interval_join() -> InputOperatorSpec {
    InputOperatorSpec::EventJoin(JoinSpec::Interval { lower_ms: -10, upper_ms: 10 })
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
        // A window join is a union in Flink: `CoGroupedStreams.WithWindow#apply` tags each input,
        // unions the two and runs one `WindowOperator` over the union (a one-input operator
        // behind a `UnionInputGate`, one valve), so the idle input leaves the minimum under 1.11
        // as well; unlike the interval join (`IntervalJoinOperator`, a two-input operator).
        Case {
            flink: flink(
                TIST,
                "testWatermarkAndStreamStatusForwarding (window join: a union of tagged inputs)",
                "1.11",
            ),
            profile: F111,
            check: || forwarding_with(F111, window_join(), true, false),
        },
        Case {
            flink: flink(
                TIST,
                "testWatermarkAndWatermarkStatusForwarding (window join: a union of tagged inputs)",
                "2.x",
            ),
            profile: F23,
            check: || forwarding_with(F23, window_join(), true, false),
        },
        Case {
            flink: flink(TIST, "testWatermarkAndStreamStatusForwarding (interval join)", "1.11"),
            profile: F111,
            check: || forwarding_with(F111, interval_join(), false, false),
        },
        Case {
            flink: flink(TIST, "testWatermarkAndWatermarkStatusForwarding (interval join)", "2.x"),
            profile: F23,
            check: || forwarding_with(F23, interval_join(), true, false),
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
        Case {
            flink: flink("CoProcessOperatorTest", "testTimestampAndWatermarkQuerying", "1.x"),
            profile: F111,
            check: || watermark_querying(F111),
        },
        Case {
            flink: flink("CoProcessOperatorTest", "testTimestampAndWatermarkQuerying", "1.x"),
            profile: F23,
            check: || watermark_querying(F23),
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
