//! A chain that is a tree (`TailSpec::Tree`, session 23): each record fanned out to every output of a node in Flink's order, barriers on the chain's network outputs, every chained operator and the 2PC sink in one snapshot, and a malformed tree refused.

use super::*;
use crate::barrier::HandlerKind;
use crate::operator::{OperatorKind, Udf};
use crate::record::{Alignment, CheckpointKind};

fn op(instance: &str, udf: Udf) -> ChainedOperator {
    ChainedOperator { instance: instance.into(), operator: Operator::new(OperatorKind::Map(udf), vec![]) }
}

/// Input channels -> { rebalance edge over 2 channels, Up -> { print 0, 2PC }, print 1 }:
/// the head's hops are its network output first, then its chained map, then its print sink.
fn tree_spec(hops: Vec<Vec<ChainHop>>) -> TaskSpec {
    TaskSpec {
        task: TaskId(0),
        name: "tree".into(),
        subtask: 0,
        parallelism: 1,
        attempt: Attempt(0),
        head: HeadSpec::Inputs { inputs: 1, handler: HandlerKind::Aligned },
        chain: vec![op("Up[0]", Udf::Uppercase)],
        tail: TailSpec::Tree(ChainTree {
            hops,
            ends: vec![
                ChainEnd::Edge(Partitioner::Rebalance { channels: 2, start: 1 }, None),
                ChainEnd::PrintSink,
                ChainEnd::PrintSink,
                ChainEnd::TwoPhaseCommitSink,
            ],
        }),
        profile: Profile::Flink23,
        variant: Variant::Correct,
        padding_bytes: 0,
        vertex_peers: vec![TaskId(0)],
    }
}

fn wiring() -> Vec<Vec<ChainHop>> {
    vec![vec![ChainHop::End(0), ChainHop::Op(0), ChainHop::End(2)], vec![ChainHop::End(1), ChainHop::End(3)]]
}

fn drain(t: &mut Task) -> Vec<String> {
    let mut v = Vec::new();
    while let Some(o) = t.poll_output() {
        v.push(match o {
            TaskOutput::Emit { channel, record } => format!("emit {channel} {}", record.value),
            TaskOutput::PrintRow { record, sink } => format!("print{sink} {}", record.value),
            TaskOutput::Sink(SinkOutput::Write { record, .. }) => format!("write {}", record.value),
            TaskOutput::Sink(_) => "sink".into(),
            TaskOutput::EmitBarrier { barrier, .. } => format!("barrier {}", barrier.id),
            TaskOutput::Snapshot { id, snapshot, .. } => format!("snapshot {id} of {}", snapshot.operators.len()),
            other => format!("{other:?}"),
        });
    }
    v
}

fn record(s: &str, seq: u64) -> StreamElement {
    StreamElement::Record(Record::new(Value::str(s), Lineage { input_seq: seq, sub: 0 }))
}

#[test]
fn each_record_goes_to_every_output_in_order_through_each_subtree() {
    let (mut c, e) = (SurvivingCounters::default(), BTreeMap::new());
    let mut t = Task::new(tree_spec(wiring()), 0, None, &e, &e, &mut c);
    drain(&mut t);
    t.handle_input(0, ChannelId(0), record("a", 0), &[], &mut c);
    t.handle_input(0, ChannelId(0), record("b", 1), &[], &mut c);
    let out: Vec<String> = drain(&mut t).into_iter().filter(|o| o != "sink").collect();
    // The network output first, the map's subtree (its print sink, then the 2PC sink's write,
    // drained after the record), then the head's own print sink; round robin on the edge.
    assert_eq!(out, ["emit 0 a", "print0 A", "print1 a", "write A", "emit 1 b", "print0 B", "print1 b", "write B"]);
}

#[test]
fn one_barrier_snapshots_the_whole_tree_and_leaves_on_its_network_output() {
    let (mut c, e) = (SurvivingCounters::default(), BTreeMap::new());
    let mut t = Task::new(tree_spec(wiring()), 0, None, &e, &e, &mut c);
    t.handle_input(0, ChannelId(0), record("a", 0), &[], &mut c);
    drain(&mut t);
    let barrier = Barrier {
        id: CheckpointId(1),
        timestamp_ms: 0,
        kind: CheckpointKind::Checkpoint,
        alignment: Alignment::Aligned,
        stop: None,
    };
    t.handle_input(0, ChannelId(0), StreamElement::Barrier(barrier), &[], &mut c);
    let mut snapshot = None;
    let mut kinds = Vec::new();
    while let Some(o) = t.poll_output() {
        match o {
            TaskOutput::Snapshot { snapshot: s, .. } => snapshot = Some(s),
            TaskOutput::EmitBarrier { barrier, .. } => kinds.push(format!("barrier {}", barrier.id)),
            _ => {}
        }
    }
    assert_eq!(kinds, ["barrier 1"], "the barrier leaves on the chain's network output");
    let snapshot = snapshot.expect("an aligned snapshot");
    // The head, the map, and the 2PC sink's transactions last (where a restore reads them).
    assert_eq!(snapshot.operators.len(), 3);
    assert!(matches!(snapshot.operators[2], OperatorState::TwoPhaseCommit { .. }));
    assert!(!Task::restored_transactions(Some(&snapshot)).is_empty(), "the 2PC sink's transaction is restorable");
}

#[test]
fn a_print_only_tree_has_no_network_output() {
    let (mut c, e) = (SurvivingCounters::default(), BTreeMap::new());
    let mut s = tree_spec(vec![vec![ChainHop::Op(0), ChainHop::End(1)], vec![ChainHop::End(0)]]);
    s.tail = TailSpec::Tree(ChainTree {
        hops: vec![vec![ChainHop::Op(0), ChainHop::End(1)], vec![ChainHop::End(0)]],
        ends: vec![ChainEnd::PrintSink, ChainEnd::PrintSink],
    });
    let mut t = Task::new(s, 0, None, &e, &e, &mut c);
    t.handle_input(0, ChannelId(0), record("a", 0), &[], &mut c);
    assert_eq!(drain(&mut t), ["print0 A", "print1 a"]);
    assert!(!t.has_output(), "two sinks, no channel: no barrier goes downstream");
}

#[test]
#[should_panic(expected = "every chained operator has one input")]
fn a_chained_operator_without_a_hop_is_refused() {
    let (mut c, e) = (SurvivingCounters::default(), BTreeMap::new());
    Task::new(tree_spec(vec![vec![ChainHop::End(0)], vec![ChainHop::End(1)]]), 0, None, &e, &e, &mut c);
}

#[test]
#[should_panic(expected = "hop Op(0) from node 1")]
fn a_hop_backwards_is_refused() {
    let (mut c, e) = (SurvivingCounters::default(), BTreeMap::new());
    Task::new(tree_spec(vec![vec![ChainHop::Op(0)], vec![ChainHop::Op(0)]]), 0, None, &e, &e, &mut c);
}
