//! Keyed process functions (issue 17, session 25): Flink's `KeyedProcessOperatorTest` (1.x; the timestamp and watermark a function sees, event-time timers firing before the watermark leaves, per-key state at a timer, timers across a snapshot and restore) posed to the core's `Task` with a keyed user operator in its chain.
//!
//! The model has no timer service apart from the operators: a user operator keeps its own
//! event-time timers in its keyed state and fires them in `UserOperator::on_watermark`, which
//! the task calls when a watermark reaches the operator, before it forwards the watermark
//! (`AbstractStreamOperator.processWatermark` → `InternalTimerService.advanceWatermark`, then
//! `output.emitWatermark`). The function below is the test's `ProcessFunction`s written that
//! way (`IdentityKeySelector`: the key is the integer itself); what each case asks of the core
//! is the task's part: the watermark and processing time it hands the operator, the element's
//! timestamp it keeps, the order of a timer's results and the forwarded watermark, and the
//! keyed state (with the timers) it snapshots and hands back to a new instance.
//!
//! Not ported, with the reason:
//! * `testProcessingTimeTimers`, `testProcessingTimeTimerWithState`: a user operator has no
//!   processing-time timers (the model's only processing-time timers are the
//!   `processing_window` operator's own); the harness's `setProcessingTime` firing a
//!   function's timer has nothing to reach.
//! * `testSnapshotAndRestore`'s processing-time half (`PROC:1777` at 5): the same; its
//!   event-time half (`EVENT:1777` at the watermark 6 after the restore) is ported.
//!
//! Timers and elements take no profile; each case runs under both (same answers).

use crate::common::{case_name, flink, run_table, Flink, F111, F23};
use ckptsim::barrier::HandlerKind;
use ckptsim::ids::{Attempt, ChannelId, TaskId};
use ckptsim::operator::{Operator, OperatorContext, SurvivingCounters, UserException};
use ckptsim::record::{Lineage, Record, StreamElement, Value};
use ckptsim::task::{ChainedOperator, HeadSpec, Partitioner, TailSpec, Task, TaskOutput, TaskSpec};
use ckptsim::user::{KeyedState, UserOperator};
use ckptsim::watermark::Watermark;
use ckptsim::{Profile, Variant};
use std::collections::{BTreeMap, BTreeSet};

const KPOT: &str = "KeyedProcessOperatorTest";

/// Which of the test's process functions.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Function {
    /// `QueryingFlatMapFunction(EVENT_TIME)`: `value + "TIME:" + currentWatermark + " TS:" + timestamp`.
    QueryEventTime,
    /// `QueryingFlatMapFunction(PROCESSING_TIME)`: the same with `currentProcessingTime`.
    QueryProcessingTime,
    /// `TriggeringFlatMapFunction(EVENT_TIME)`: emits the value, a timer at watermark + 5,
    /// which emits 1777.
    Triggering,
    /// `TriggeringStatefulFlatMapFunction(EVENT_TIME)`: `INPUT:v`, the value in keyed state,
    /// a timer at watermark + 5, which emits `STATE:<the key's value>`.
    TriggeringStateful,
    /// `BothTriggeringFlatMapFunction`: an event-time timer at 6 (its processing-time timer at
    /// 5 is not modelled), which emits `EVENT:1777`.
    BothTriggering,
}

/// The test's function as a keyed user operator: per key (the integer), its last value and
/// its event-time timers; the timer service's watermark is the last one the host delivered.
#[derive(Clone, Debug)]
struct ProcessFn {
    function: Function,
    watermark: i64,
    keys: BTreeMap<i64, (i64, BTreeSet<i64>)>,
}

impl ProcessFn {
    fn new(function: Function) -> Self {
        ProcessFn { function, watermark: i64::MIN, keys: BTreeMap::new() }
    }
}

fn ts_text(ts: Option<i64>) -> String {
    ts.map_or("null".into(), |t| t.to_string())
}

impl UserOperator for ProcessFn {
    fn name(&self) -> &str {
        "keyed-process"
    }

    fn is_keyed(&self) -> bool {
        true
    }

    fn process(
        &mut self,
        ctx: &mut OperatorContext<'_>,
        rec: Record,
        out: &mut Vec<Record>,
    ) -> Result<(), UserException> {
        let Value::Int(v) = rec.value else {
            return Err(UserException {
                operator: ctx.instance.into(),
                message: format!("not an integer: {}", rec.value),
            });
        };
        let emit = |out: &mut Vec<Record>, value: Value| out.push(Record { value, ..rec.clone() });
        let timer = self.watermark.saturating_add(5);
        match self.function {
            Function::QueryEventTime => {
                emit(out, Value::str(&format!("{v}TIME:{} TS:{}", self.watermark, ts_text(rec.timestamp))))
            }
            Function::QueryProcessingTime => {
                emit(out, Value::str(&format!("{v}TIME:{} TS:{}", ctx.now_ms, ts_text(rec.timestamp))))
            }
            Function::Triggering => {
                emit(out, Value::Int(v));
                self.keys.entry(v).or_insert((v, BTreeSet::new())).1.insert(timer);
            }
            Function::TriggeringStateful => {
                emit(out, Value::str(&format!("INPUT:{v}")));
                let entry = self.keys.entry(v).or_insert((v, BTreeSet::new()));
                entry.0 = v;
                entry.1.insert(timer);
            }
            Function::BothTriggering => {
                self.keys.entry(v).or_insert((v, BTreeSet::new())).1.insert(6);
            }
        }
        Ok(())
    }

    /// Fires every timer at or below `wm` in timestamp order (then key), each result stamped
    /// with its timer's time (`TimestampedCollector.setAbsoluteTimestamp`).
    fn on_watermark(&mut self, wm: Watermark, out: &mut Vec<Record>) {
        self.watermark = wm.0;
        let mut due: Vec<(i64, i64)> = Vec::new();
        for (k, (_, timers)) in &mut self.keys {
            while let Some(&t) = timers.first().filter(|t| **t <= wm.0) {
                timers.remove(&t);
                due.push((t, *k));
            }
        }
        due.sort();
        for (t, k) in due {
            let value = match self.function {
                Function::TriggeringStateful => Value::str(&format!("STATE:{}", self.keys[&k].0)),
                Function::BothTriggering => Value::str("EVENT:1777"),
                _ => Value::Int(1777),
            };
            out.push(Record { value, lineage: Lineage { input_seq: t as u64, sub: 1 }, timestamp: Some(t) });
        }
    }

    fn snapshot(&self) -> KeyedState {
        let text = |(v, timers): &(i64, BTreeSet<i64>)| {
            let ts: Vec<String> = timers.iter().map(i64::to_string).collect();
            Value::str(&format!("{v};{}", ts.join(",")))
        };
        self.keys.iter().map(|(k, e)| (Value::Int(*k), text(e))).collect()
    }

    fn restore(&mut self, state: &KeyedState) {
        for (k, v) in state {
            let (Value::Int(k), Value::Str(s)) = (k, v) else { continue };
            let (value, timers) = s.split_once(';').unwrap_or((s, ""));
            let timers = timers.split(',').filter_map(|t| t.parse().ok()).collect();
            self.keys.insert(*k, (value.parse().unwrap_or(0), timers));
        }
    }

    fn box_clone(&self) -> Box<dyn UserOperator> {
        Box::new(self.clone())
    }
}

/// A one-input task whose chain is `operator` (`KeyedOneInputStreamOperatorTestHarness`: one
/// input channel).
fn task(profile: Profile, operator: Operator) -> Task {
    let spec = TaskSpec {
        task: TaskId(0),
        name: "keyed-process".into(),
        subtask: 0,
        parallelism: 1,
        attempt: Attempt(0),
        head: HeadSpec::Inputs { inputs: 1, handler: HandlerKind::Aligned },
        chain: vec![ChainedOperator { instance: "KeyedProcess[0]".into(), operator }],
        tail: TailSpec::Output(Partitioner::Forward),
        profile,
        variant: Variant::Correct,
        padding_bytes: 0,
        vertex_peers: vec![TaskId(0)],
    };
    let e = BTreeMap::new();
    Task::new(spec, 0, None, &e, &e, &mut SurvivingCounters::default())
}

fn user(function: Function) -> Operator {
    Operator::from_user(Box::new(ProcessFn::new(function)), vec![]).expect("a valid user operator")
}

/// One harness call: a watermark, or an element (value, timestamp) at a processing time.
#[derive(Copy, Clone, Debug)]
enum Step {
    Wm(i64),
    El { v: i64, ts: Option<i64>, now_ms: u64 },
}

/// Runs `steps` through the task; the outputs as the harness lists them: `wm 17`, `value@ts`
/// (`@null` without a timestamp).
fn run(t: &mut Task, steps: &[Step]) -> Vec<String> {
    let mut c = SurvivingCounters::default();
    let mut got = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let (now, e) = match *s {
            Step::Wm(w) => (0, StreamElement::Watermark(Watermark(w))),
            Step::El { v, ts, now_ms } => {
                let r =
                    Record { value: Value::Int(v), lineage: Lineage { input_seq: i as u64, sub: 0 }, timestamp: ts };
                (now_ms, StreamElement::Record(r))
            }
        };
        t.handle_input(now, ChannelId(0), e, &[], &mut c);
        while let Some(o) = t.poll_output() {
            match o {
                TaskOutput::EmitWatermark { watermark } => got.push(format!("wm {}", watermark.0)),
                TaskOutput::Emit { record, .. } => got.push(format!("{}@{}", record.value, ts_text(record.timestamp))),
                _ => {}
            }
        }
    }
    got
}

fn expect(profile: Profile, function: Function, steps: &[Step], want: &[&str]) -> Result<(), String> {
    let got = run(&mut task(profile, user(function)), steps);
    if got != want {
        return Err(format!("got {got:?}, Flink {want:?}"));
    }
    Ok(())
}

fn el(v: i64, ts: i64) -> Step {
    Step::El { v, ts: Some(ts), now_ms: 0 }
}

/// `testTimestampAndWatermarkQuerying`: the function sees the watermark 17 and the element's
/// timestamp 12, then 42 and 13; each watermark is forwarded.
fn watermark_querying(p: Profile) -> Result<(), String> {
    let steps = [Step::Wm(17), el(5, 12), Step::Wm(42), el(6, 13)];
    expect(p, Function::QueryEventTime, &steps, &["wm 17", "5TIME:17 TS:12@12", "wm 42", "6TIME:42 TS:13@13"])
}

/// `testTimestampAndProcessingTimeQuerying`: the function sees the processing time 17 and no
/// timestamp (`TS:null`), then 42.
fn processing_time_querying(p: Profile) -> Result<(), String> {
    let steps = [Step::El { v: 5, ts: None, now_ms: 17 }, Step::El { v: 6, ts: None, now_ms: 42 }];
    expect(p, Function::QueryProcessingTime, &steps, &["5TIME:17 TS:null@null", "6TIME:42 TS:null@null"])
}

/// `testEventTimeTimers`: 17 at 42 after the watermark 0 sets a timer at 5; the watermark 5
/// fires it (1777 at 5) before the watermark leaves.
fn event_time_timers(p: Profile) -> Result<(), String> {
    let steps = [Step::Wm(0), el(17, 42), Step::Wm(5)];
    expect(p, Function::Triggering, &steps, &["wm 0", "17@42", "1777@5", "wm 5"])
}

/// `testEventTimeTimerWithState`: two keys' timers (6 and 7) each read their own key's state
/// ("we don't have leakage between different keys").
fn event_time_timer_with_state(p: Profile) -> Result<(), String> {
    let steps = [Step::Wm(1), el(17, 0), Step::Wm(2), el(42, 1), Step::Wm(6), Step::Wm(7)];
    let want = ["wm 1", "INPUT:17@0", "wm 2", "INPUT:42@1", "STATE:17@6", "wm 6", "STATE:42@7", "wm 7"];
    expect(p, Function::TriggeringStateful, &steps, &want)
}

/// `testSnapshotAndRestore` (event-time half): an element sets an event-time timer at 6; the
/// operator's snapshot is restored into a new instance (`initializeState`), whose task fires
/// `EVENT:1777` at the watermark 6 and then forwards it.
fn snapshot_and_restore(p: Profile) -> Result<(), String> {
    let mut first = user(Function::BothTriggering);
    let mut c = SurvivingCounters::default();
    let mut ctx = OperatorContext { now_ms: 0, counters: &mut c, instance: "KeyedProcess[0]" };
    let r = Record { value: Value::Int(5), lineage: Lineage { input_seq: 0, sub: 0 }, timestamp: Some(12) };
    first.process(&mut ctx, r, &mut Vec::new()).map_err(|e| e.to_string())?;
    let snapshot = first.snapshot();
    let mut restored = user(Function::BothTriggering);
    restored.restore(&snapshot);
    let got = run(&mut task(p, restored), &[Step::Wm(6)]);
    let want = ["EVENT:1777@6", "wm 6"];
    if got != want {
        return Err(format!("got {got:?}, Flink {want:?} (snapshot {snapshot:?})"));
    }
    Ok(())
}

/// A case's check, run under its profile.
type Check = fn(Profile) -> Result<(), String>;

struct Case {
    flink: Flink,
    profile: Profile,
    check: Check,
}

fn cases() -> Vec<Case> {
    let methods: [(&str, Check); 5] = [
        ("testTimestampAndWatermarkQuerying", watermark_querying),
        ("testTimestampAndProcessingTimeQuerying", processing_time_querying),
        ("testEventTimeTimers", event_time_timers),
        ("testEventTimeTimerWithState", event_time_timer_with_state),
        ("testSnapshotAndRestore (event-time timer)", snapshot_and_restore),
    ];
    let mut out = Vec::new();
    for (method, check) in methods {
        for profile in [F111, F23] {
            out.push(Case { flink: flink(KPOT, method, "1.x"), profile, check });
        }
    }
    out
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, crate::common::profile_name(c.profile))).collect()
}

#[test]
fn keyed_process_operator() {
    run_table(KPOT, &cases(), |c| case_name(&c.flink, c.profile), |c| (c.check)(c.profile));
}
