//! End of partition through a union of input gates (issue 17, session 25): Flink's `UnionInputGateTest` (2.x) posed to the core's `Task` with a union over two input gates (3 and 5 channels).
//!
//! Flink's `UnionInputGate` hands out every channel's buffers and events; its end-of-data
//! status is `DRAINED` once every channel delivered `EndOfData` (FLIP-147), and it is finished
//! once every channel delivered `EndOfPartition`. A stream task reads that status through
//! `StreamTaskNetworkInput`: `END_OF_DATA` makes `StreamTask.endData` finish the operators and
//! send `EndOfData` downstream, `END_OF_INPUT` (every partition ended) ends the task. So the
//! model's answer to each of the test's assertions is: `NOT_END_OF_DATA` = no `EmitEndOfData`
//! yet; `DRAINED` = the task emitted `EndOfData` (once); `isFinished()` false / true = the task
//! has not / has finished (no final checkpoint awaited: `set_wait_for_final_checkpoint(false)`).
//! Every buffer is a record the union passes on. Run under flink-2.3 only (EndOfData is 2.x).
//!
//! Not ported, with the reason:
//! * `testDrainFlagComputation`: the model's EndOfData carries no `StopMode`: a 2.x task sends
//!   it only at a bounded end or a drain (`StopMode.DRAIN`); a stop without drain sends none, so
//!   the union's `STOPPED` status (one channel said NO_DRAIN) cannot arise.
//! * `testIsAvailable`, `testAvailability`, `testIsAvailableAfterFinished`, `testEmptyPull`:
//!   availability futures and polling an empty gate are the network stack's threading; the
//!   model's task is handed one element at a time and never polls.
//! * `testUpdateInputChannel`, `testGetChannelWithShiftedGateIndexes`: channel objects (unknown
//!   channels updated to remote ones, gate index offsets) are not modelled; a channel is an index.

use crate::common::{case_name, flink, run_table, Flink, F23};
use ckptsim::barrier::HandlerKind;
use ckptsim::ids::{Attempt, ChannelId, TaskId};
use ckptsim::operator::SurvivingCounters;
use ckptsim::record::{Lineage, Record, StreamElement, Value};
use ckptsim::task::{HeadSpec, Partitioner, TailSpec, Task, TaskOutput, TaskSpec};
use ckptsim::two_input::{InputGates, InputOperatorSpec};
use ckptsim::{Profile, Variant};
use std::collections::BTreeMap;

const UIGT: &str = "UnionInputGateTest";

/// What the test reads from the union at one point: `B` a buffer (a record), `D` EndOfData,
/// `P` EndOfPartition, each of a channel of the union (gate 1: 0-2, gate 2: 3-7).
#[derive(Copy, Clone, Debug)]
enum Ev {
    B(u32),
    D(u32),
    P(u32),
}

/// After a phase: whether `EndOfData` has been emitted (DRAINED) and whether the task finished.
struct Phase {
    events: &'static [Ev],
    records: usize,
    drained: bool,
    finished: bool,
}

fn union_task(profile: Profile) -> Task {
    let spec = TaskSpec {
        task: TaskId(0),
        name: "union".into(),
        subtask: 0,
        parallelism: 1,
        attempt: Attempt(0),
        head: HeadSpec::MultiInputs {
            gates: InputGates::new(&[3, 5], InputOperatorSpec::Union),
            handler: HandlerKind::Aligned,
        },
        chain: vec![],
        tail: TailSpec::Output(Partitioner::Forward),
        profile,
        variant: Variant::Correct,
        padding_bytes: 0,
        vertex_peers: vec![TaskId(0)],
    };
    let e = BTreeMap::new();
    let mut t = Task::new(spec, 0, None, &e, &e, &mut SurvivingCounters::default());
    t.set_wait_for_final_checkpoint(false);
    t
}

/// `testBasicGetNextLogic`: the events in the order the test's `verifyBufferOrEvent` calls
/// take them out of the union; `NOT_END_OF_DATA` after 15 of them (channel 5's EndOfData has
/// not come), `DRAINED` and not finished once channel 7's EndOfData came, finished only after
/// the last EndOfPartition.
fn basic_get_next_logic(profile: Profile) -> Result<(), String> {
    use Ev::*;
    let phases = [
        Phase {
            events: &[B(0), B(3), B(1), B(4), B(2), B(5), D(0), B(6), D(1), B(7), D(2), D(3), P(0), D(4), P(1)],
            records: 8,
            drained: false,
            finished: false,
        },
        Phase { events: &[D(5), P(2), D(6), D(7)], records: 0, drained: true, finished: false },
        Phase { events: &[P(3), P(4), P(5), P(6)], records: 0, drained: false, finished: false },
        Phase { events: &[P(7)], records: 0, drained: false, finished: true },
    ];
    let mut t = union_task(profile);
    let mut c = SurvivingCounters::default();
    for (i, ph) in phases.iter().enumerate() {
        for (j, e) in ph.events.iter().enumerate() {
            let (ch, el) = match *e {
                B(ch) => {
                    let r = Record {
                        value: Value::Int(ch.into()),
                        lineage: Lineage { input_seq: ch.into(), sub: 0 },
                        timestamp: None,
                    };
                    (ch, StreamElement::Record(r))
                }
                D(ch) => (ch, StreamElement::EndOfData),
                P(ch) => (ch, StreamElement::EndOfPartition),
            };
            t.handle_input(100 * i as u64 + j as u64, ChannelId(ch), el, &[], &mut c);
        }
        let (mut records, mut eod) = (0, 0);
        while let Some(o) = t.poll_output() {
            match o {
                TaskOutput::Emit { .. } => records += 1,
                TaskOutput::EmitEndOfData => eod += 1,
                _ => {}
            }
        }
        let got = (records, eod, t.is_finished());
        let want = (ph.records, usize::from(ph.drained), ph.finished);
        if got != want {
            return Err(format!("phase {i}: (records, EndOfData emitted, finished) got {got:?}, Flink {want:?}"));
        }
    }
    Ok(())
}

struct Case {
    flink: Flink,
    profile: Profile,
    check: fn(Profile) -> Result<(), String>,
}

fn cases() -> Vec<Case> {
    vec![Case { flink: flink(UIGT, "testBasicGetNextLogic", "2.x"), profile: F23, check: basic_get_next_logic }]
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, crate::common::profile_name(c.profile))).collect()
}

#[test]
fn union_input_gate_end_of_partition() {
    run_table(UIGT, &cases(), |c| case_name(&c.flink, c.profile), |c| (c.check)(c.profile));
}
