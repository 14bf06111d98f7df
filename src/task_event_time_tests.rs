//! Event time through a whole task: the input valve fires an event-time window and forwards the watermark, a source's periodic watermarks and its MAX watermark at the end of input, and a restore that fires a window again because a replayed record is no longer late.

use super::*;
use crate::barrier::HandlerKind;
use crate::operator::{Aggregate, OperatorKind};
use crate::record::{Alignment, CheckpointKind, Value};
use crate::store::CompletedCheckpoint;
use crate::window::{EventWindowSpec, WindowAssigner, WindowTime};

fn window_op(lateness_ms: u64, side: bool) -> ChainedOperator {
    let spec = EventWindowSpec {
        assigner: WindowAssigner::Tumbling { size_ms: 10, offset_ms: 0 },
        aggregate: Aggregate::Sum,
        allowed_lateness_ms: lateness_ms,
        late_side_output: side,
        purging: false,
        time: WindowTime::Event,
    };
    ChainedOperator { instance: "window[0]".into(), operator: Operator::new(OperatorKind::EventWindow(spec), vec![]) }
}

fn spec(head: HeadSpec, chain: Vec<ChainedOperator>, tail: TailSpec) -> TaskSpec {
    TaskSpec {
        task: TaskId(0),
        name: "t".into(),
        subtask: 0,
        parallelism: 1,
        attempt: Attempt(0),
        head,
        chain,
        tail,
        profile: Profile::Flink23,
        variant: Variant::Correct,
        padding_bytes: 0,
        vertex_peers: vec![TaskId(0)],
    }
}

fn rec(k: &str, v: i64, ts: i64, seq: u64) -> StreamElement {
    StreamElement::Record(Record {
        value: Value::Pair(k.into(), v),
        lineage: Lineage { input_seq: seq, sub: 0 },
        timestamp: Some(ts),
    })
}

fn wm(t: i64) -> StreamElement {
    StreamElement::Watermark(Watermark(t))
}

/// Outputs as short strings: `emit (a,1)@9`, `wm 9`, `late (a,1)@5`, `snapshot 1`.
fn drain(t: &mut Task) -> Vec<String> {
    let mut v = Vec::new();
    while let Some(o) = t.poll_output() {
        v.push(match o {
            TaskOutput::Emit { record, .. } => format!("emit {}@{}", record.value, record.timestamp.unwrap()),
            TaskOutput::PrintRow { record, .. } => format!("print {}@{}", record.value, record.timestamp.unwrap()),
            TaskOutput::EmitWatermark { watermark } => format!("wm {}", watermark.0),
            TaskOutput::EmitWatermarkStatus { status } => format!("status {status:?}"),
            TaskOutput::LateRecord { record, .. } => format!("late {}@{}", record.value, record.timestamp.unwrap()),
            TaskOutput::Snapshot { id, .. } => format!("snapshot {id}"),
            other => format!("{other:?}"),
        });
    }
    v
}

fn inputs(n: u32) -> HeadSpec {
    HeadSpec::Inputs { inputs: n, handler: HandlerKind::Aligned }
}

#[test]
fn valve_minimum_fires_the_window_before_the_watermark_goes_on() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let s = spec(inputs(2), vec![window_op(0, false)], TailSpec::Output(Partitioner::Forward));
    let mut t = Task::new(s, 0, None, &e, &e, &mut c);
    t.handle_input(0, ChannelId(0), rec("a", 1, 3, 0), &[], &mut c);
    t.handle_input(0, ChannelId(1), rec("a", 2, 7, 1), &[], &mut c);
    t.handle_input(0, ChannelId(0), wm(20), &[], &mut c);
    assert_eq!(drain(&mut t), Vec::<String>::new(), "channel 1 still at MIN");
    t.handle_input(0, ChannelId(1), wm(9), &[], &mut c);
    assert_eq!(drain(&mut t), vec!["emit (a,3)@9", "wm 9"], "result first, then the watermark");
    assert_eq!(t.current_watermark(), Some(Watermark(9)));
    // Channel 1 idle: the minimum is channel 0's 20; idle channel's later watermark ignored.
    t.handle_input(0, ChannelId(1), StreamElement::WatermarkStatus(WatermarkStatus::Idle), &[], &mut c);
    assert_eq!(drain(&mut t), vec!["wm 20"]);
    t.handle_input(0, ChannelId(0), StreamElement::WatermarkStatus(WatermarkStatus::Idle), &[], &mut c);
    assert_eq!(drain(&mut t), vec!["status Idle"]);
}

#[test]
fn records_without_timestamps_fail_an_event_time_window() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let mut t = Task::new(spec(inputs(1), vec![window_op(0, false)], TailSpec::PrintSink), 0, None, &e, &e, &mut c);
    let r = Record::new(Value::Pair("a".into(), 1), Lineage { input_seq: 0, sub: 0 });
    t.handle_input(0, ChannelId(0), StreamElement::Record(r), &[], &mut c);
    assert!(t.has_failed());
    assert!(drain(&mut t)[0].contains("no event timestamp"));
}

/// Semantics §11: the watermark is not part of a checkpoint. A record late before a failure is
/// replayed after the restore, is on time against the new attempt's watermark (MIN), and the
/// window fires a second time with it — what Flink does.
#[test]
fn a_restore_fires_a_window_again_with_a_record_that_was_late_before() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let s = spec(inputs(1), vec![window_op(0, true)], TailSpec::PrintSink);
    let mut t = Task::new(s.clone(), 0, None, &e, &e, &mut c);
    t.handle_input(0, ChannelId(0), rec("a", 1, 3, 0), &[], &mut c);
    let barrier = Barrier {
        id: CheckpointId(1),
        timestamp_ms: 0,
        kind: CheckpointKind::Checkpoint,
        alignment: Alignment::Aligned,
        stop: None,
    };
    t.handle_input(0, ChannelId(0), StreamElement::Barrier(barrier), &[], &mut c);
    let snapshot = loop {
        match t.poll_output() {
            Some(TaskOutput::Snapshot { snapshot, .. }) => break snapshot,
            Some(_) => {}
            None => panic!("no snapshot"),
        }
    };
    t.handle_input(0, ChannelId(0), wm(50), &[], &mut c);
    t.handle_input(0, ChannelId(0), rec("a", 2, 5, 1), &[], &mut c);
    assert_eq!(drain(&mut t), vec!["print (a,1)@9", "late (a,2)@5"]);

    let cp = CompletedCheckpoint {
        id: CheckpointId(1),
        kind: CheckpointKind::Checkpoint,
        trigger_ms: 0,
        completed_ms: 0,
        tasks: BTreeMap::from([(TaskId(0), snapshot)]),
        size_bytes: 0,
        external: false,
    };
    let mut s2 = s;
    s2.attempt = Attempt(1);
    let mut t = Task::new(s2, 0, Some(&cp), &e, &e, &mut c);
    assert_eq!(t.current_watermark(), None, "the watermark is not restored");
    // Replay after the checkpoint: the watermark and the record that was late.
    t.handle_input(0, ChannelId(0), rec("a", 2, 5, 1), &[], &mut c);
    t.handle_input(0, ChannelId(0), wm(50), &[], &mut c);
    assert_eq!(drain(&mut t), vec!["print (a,3)@9"], "window [0,10) fires again, now with both records");
}

#[test]
fn a_line_source_with_timestamps_feeds_its_generator() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let chain = vec![
        ChainedOperator {
            instance: "map[0]".into(),
            operator: Operator::new(OperatorKind::Map(crate::operator::Udf::ToPairOne), vec![]),
        },
        window_op(0, false),
    ];
    let mut t = Task::new(spec(HeadSpec::LineSource, chain, TailSpec::PrintSink), 0, None, &e, &e, &mut c);
    t.configure_watermarks(0, WatermarkStrategy::monotonous());
    t.handle_timestamped_line(1, "a", 0, 4, &mut c);
    t.handle_timestamped_line(2, "a", 1, 11, &mut c);
    t.handle_watermark_timer(200, &mut c);
    // Monotonous: 11 - 1 = 10 passes [0,10); the map kept the line's timestamp.
    assert_eq!(drain(&mut t), vec!["print (a,1)@9"]);
}

#[test]
fn a_source_emits_periodic_watermarks_and_max_at_the_end() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let head =
        HeadSpec::LogSource { partitions: 1, topic: String::new(), startup: crate::source::StartupMode::Earliest };
    let mut t = Task::new(
        spec(head, vec![window_op(0, false)], TailSpec::Output(Partitioner::Forward)),
        0,
        None,
        &e,
        &e,
        &mut c,
    );
    t.configure_watermarks(0, WatermarkStrategy::bounded(5));
    assert_eq!(t.watermark_deadline(), Some(200));
    let lr = |o: u64, ts: i64| LogRecord {
        partition: PartitionId(0),
        offset: Offset(o),
        value: Value::Pair("a".into(), 1),
        lineage: Lineage { input_seq: o, sub: 0 },
        timestamp: Some(ts),
    };
    t.handle_log_records(10, &[lr(0, 3), lr(1, 12), lr(2, 16)], &mut c);
    t.handle_watermark_timer(200, &mut c);
    // max 16 - 5 - 1 = 10: window [0,10) fires.
    assert_eq!(drain(&mut t), vec!["emit (a,1)@9", "wm 10"]);
    assert_eq!(t.watermark_deadline(), Some(400));
    t.handle_end_of_input(300, false);
    assert_eq!(drain(&mut t), vec![format!("emit (a,2)@19"), format!("wm {}", i64::MAX)]);
    assert_eq!(t.watermark_deadline(), None);
}

/// FLIP-147 with event time: a restored source task whose input ends emits `MAX_WATERMARK`
/// (`StreamTask#endData` → `advanceToEndOfEventTime`), which fires the restored window. Those
/// results were produced after the restored checkpoint, so the task may not finish until a
/// checkpoint taken after them completed (`StreamTask#afterInvoke` waits for
/// `finalCheckpointCompleted`, `finalCheckpointMinId` being the first checkpoint after the
/// end of data) — even though it processed no record itself. A task that neither processed
/// nor emitted anything waits for it too (session 14: `finalCheckpointMinId` is set only by a
/// checkpoint performed after the end of data; the restored checkpoint does not count).
#[test]
fn a_restored_window_fired_at_the_end_of_input_waits_for_the_final_checkpoint() {
    let mut c = SurvivingCounters::default();
    let e = BTreeMap::new();
    let head =
        HeadSpec::LogSource { partitions: 1, topic: String::new(), startup: crate::source::StartupMode::Earliest };
    let s = spec(head, vec![window_op(0, false)], TailSpec::PrintSink);
    let lr = LogRecord {
        partition: PartitionId(0),
        offset: Offset(0),
        value: Value::Pair("a".into(), 1),
        lineage: Lineage { input_seq: 0, sub: 0 },
        timestamp: Some(3),
    };
    let mut first = Task::new(s.clone(), 0, None, &e, &e, &mut c);
    first.configure_watermarks(0, WatermarkStrategy::bounded(5));
    first.handle_log_records(1, &[lr], &mut c);
    let barrier = |id: u64| Barrier {
        id: CheckpointId(id),
        timestamp_ms: 0,
        kind: CheckpointKind::Checkpoint,
        alignment: Alignment::Aligned,
        stop: None,
    };
    first.handle_trigger(2, barrier(1));
    let snapshot = std::iter::from_fn(|| first.poll_output())
        .find_map(|o| match o {
            TaskOutput::Snapshot { snapshot, .. } => Some(snapshot),
            _ => None,
        })
        .expect("a snapshot");
    let cp = CompletedCheckpoint {
        id: CheckpointId(1),
        kind: CheckpointKind::Checkpoint,
        trigger_ms: 0,
        completed_ms: 3,
        tasks: BTreeMap::from([(TaskId(0), snapshot)]),
        size_bytes: 0,
        external: false,
    };
    for window_state in [true, false] {
        let mut s2 = s.clone();
        s2.attempt = Attempt(1);
        if !window_state {
            s2.chain = vec![];
        }
        let mut t = Task::new(s2, 10, Some(&cp), &e, &e, &mut c);
        t.configure_watermarks(10, WatermarkStrategy::bounded(5));
        t.handle_end_of_input(20, true);
        let out = drain(&mut t);
        assert_eq!(t.records_in(), 0);
        if window_state {
            assert_eq!(out, vec!["print (a,1)@9".to_string()], "MAX_WATERMARK fires the restored window");
        }
        assert!(!t.is_finished(), "the restored checkpoint 1 is not a final checkpoint: {out:?}");
        t.handle_trigger(30, barrier(2));
        t.handle_notify_complete(40, CheckpointId(2));
        assert!(t.is_finished(), "checkpoint 2, the first after the end of data, is the final one");
    }
}
