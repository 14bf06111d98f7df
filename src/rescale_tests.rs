//! Unit tests of `rescale`: real `Task`s snapshotted, rescaled with `assign` and restored with `Task::new` through a 2 -> 3 -> 1 chain (keyed counts, 2PC sink, 2.x and 1.11 sources).

use super::*;
use crate::barrier::HandlerKind;
use crate::ids::{Attempt, ChannelId, CheckpointId, Offset};
use crate::key_group::{assign_key_to_parallel_operator, MaxParallelism};
use crate::operator::{Aggregate, Operator, OperatorKind, SurvivingCounters};
use crate::record::{Alignment, Barrier, CheckpointKind, Lineage, LogRecord, Record, StreamElement};
use crate::sink::TxnStore;
use crate::source::StartupMode;
use crate::task::{ChainedOperator, HeadSpec, TailSpec, Task, TaskOutput, TaskSpec};
use crate::Variant;

fn barrier(id: u64) -> Barrier {
    Barrier {
        id: CheckpointId(id),
        timestamp_ms: 0,
        kind: CheckpointKind::Savepoint,
        alignment: Alignment::for_config(true, false, 0, CheckpointKind::Savepoint),
        stop: None,
    }
}

/// One subtask of "keyed count -> 2PC sink" (task ids `first..`), snapshot slots
/// [head, count, sink].
fn count_spec(first: u32, subtask: u32, p: u32, attempt: u32, profile: Profile) -> TaskSpec {
    TaskSpec {
        task: TaskId(first + subtask),
        name: format!("count[{subtask}]"),
        subtask,
        parallelism: p,
        attempt: Attempt(attempt),
        head: HeadSpec::Inputs { inputs: 1, handler: HandlerKind::Aligned },
        chain: vec![ChainedOperator {
            instance: format!("count[{subtask}]"),
            operator: Operator::new(OperatorKind::KeyedAggregate(Aggregate::Count), vec![]),
        }],
        tail: TailSpec::TwoPhaseCommitSink,
        profile,
        variant: Variant::Correct,
        padding_bytes: 0,
        vertex_peers: vec![],
    }
}

fn count_layout(first: u32, vertex: VertexParallelism) -> JobLayout {
    JobLayout {
        operators: vec![
            OperatorLayout {
                uid: "count".into(),
                vertex,
                slots: (0..vertex.parallelism).map(|i| (TaskId(first + i), 1)).collect(),
                source_topic: None,
            },
            OperatorLayout {
                uid: "sink".into(),
                vertex,
                slots: (0..vertex.parallelism).map(|i| (TaskId(first + i), 2)).collect(),
                source_topic: None,
            },
        ],
        tasks: (0..vertex.parallelism).map(|i| (TaskId(first + i), 3)).collect(),
        allow_non_restored_state: false,
        inputs: BTreeMap::new(),
    }
}

/// The running count's accumulator for `key`: the pair (key, n).
fn count_of(key: &Value, n: i64) -> Value {
    let Value::Str(s) = key else { panic!("string keys") };
    Value::Pair(s.clone(), n)
}

fn drain(task: &mut Task, store: &mut TxnStore, snaps: &mut BTreeMap<TaskId, TaskSnapshot>) {
    while let Some(out) = task.poll_output() {
        match out {
            TaskOutput::Sink(op) => store.apply(0, op).expect("store accepts the sink's protocol"),
            TaskOutput::Snapshot { snapshot, .. } => {
                snaps.insert(task.id(), snapshot);
            }
            TaskOutput::Failed { cause } => panic!("task failed: {cause}"),
            _ => {}
        }
    }
}

/// Keys move subtask across 2 -> 3 -> 1 and keep counting; every counted record reaches the
/// sink exactly once (each run's last transaction is committed by the next run's recovery).
#[test]
fn keyed_counts_continue_across_a_rescale_chain() {
    let keys: Vec<Value> = (0..40).map(|i| Value::str(&format!("key{i}"))).collect();
    let mut store = TxnStore::default();
    let mut counters = SurvivingCounters::default();
    let mut cp: Option<(CompletedCheckpoint, JobLayout)> = None;
    let mut total: BTreeMap<Value, i64> = BTreeMap::new();
    let mut moved = 0;
    let mut seq = 0;
    for (run, p) in [2u32, 3, 1].into_iter().enumerate() {
        let first = 100 * run as u32;
        let layout = count_layout(first, VertexParallelism::new(p, MaxParallelism::Auto).unwrap());
        let restored = cp.as_ref().map(|(c, old)| assign(c, old, &layout, Profile::Flink23).unwrap());
        let mut tasks: Vec<Task> = (0..p)
            .map(|i| {
                let spec = count_spec(first, i, p, run as u32 + 1, Profile::Flink23);
                let restore = restored.as_ref().map(|r| &r.checkpoint);
                Task::new(spec, 0, restore, &BTreeMap::new(), &BTreeMap::new(), &mut counters)
            })
            .collect();
        if let Some(r) = &restored {
            // Keys that changed subtask are restored where they now route, with their count.
            for (k, n) in &total {
                let i = assign_key_to_parallel_operator(k, 128, p);
                let OperatorState::Keyed(m) = &r.checkpoint.tasks[&TaskId(first + i)].operators[1] else {
                    panic!("keyed state expected")
                };
                assert_eq!(m.get(k), Some(&count_of(k, *n)), "{k} in subtask {i}");
                if run == 1 && assign_key_to_parallel_operator(k, 128, 2) != i {
                    moved += 1;
                }
            }
        }
        let mut snaps = BTreeMap::new();
        for (n, k) in keys.iter().enumerate().filter(|(n, _)| n % (run + 1) == 0) {
            let i = assign_key_to_parallel_operator(k, 128, p) as usize;
            let rec = Record { value: k.clone(), lineage: Lineage { input_seq: seq, sub: n as u32 }, timestamp: None };
            seq += 1;
            tasks[i].handle_input(0, ChannelId(0), StreamElement::Record(rec), &[], &mut counters);
            *total.entry(k.clone()).or_default() += 1;
        }
        for t in &mut tasks {
            t.handle_input(1, ChannelId(0), StreamElement::Barrier(barrier(run as u64 + 1)), &[], &mut counters);
            drain(t, &mut store, &mut snaps);
            t.close();
            drain(t, &mut store, &mut snaps);
        }
        let c = CompletedCheckpoint {
            id: CheckpointId(run as u64 + 1),
            kind: CheckpointKind::Savepoint,
            trigger_ms: 0,
            completed_ms: 1,
            size_bytes: snaps.values().map(TaskSnapshot::size_bytes).sum(),
            tasks: snaps,
            external: false,
        };
        let mut vertex = layout.operators[0].vertex;
        if let Some(r) = &restored {
            vertex = r.vertices["count"];
        }
        cp = Some((c, count_layout(first, vertex)));
    }
    assert!(moved > 5, "the chain moves keys between subtasks ({moved} moved)");
    // A last restore at parallelism 1 recovers (commits) the final transactions.
    let (c, old) = cp.unwrap();
    let layout = count_layout(900, VertexParallelism::new(1, MaxParallelism::Auto).unwrap());
    let r = assign(&c, &old, &layout, Profile::Flink23).unwrap();
    let mut t = Task::new(
        count_spec(900, 0, 1, 9, Profile::Flink23),
        0,
        Some(&r.checkpoint),
        &BTreeMap::new(),
        &BTreeMap::new(),
        &mut counters,
    );
    let OperatorState::Keyed(m) = &r.checkpoint.tasks[&TaskId(900)].operators[1] else { panic!() };
    let want: BTreeMap<Value, Value> = total.iter().map(|(k, n)| (k.clone(), count_of(k, *n))).collect();
    assert_eq!(m, &want, "every key's count survived 2 -> 3 -> 1");
    drain(&mut t, &mut store, &mut BTreeMap::new());
    let committed = store.committed().len() as u64;
    assert_eq!(committed, seq, "every counted record committed exactly once");
    assert!(store.open_txns().len() <= 1, "only the new attempt's transaction is open");
}

/// A source task restored through `Task::new` reads its partitions from the rescaled
/// checkpoint: 2.x the round-robin splits, 1.11 the owner rule; each partition once.
#[test]
fn source_tasks_restore_their_partitions() {
    for profile in [Profile::Flink23, Profile::Flink111] {
        let partitions = 5;
        let spec = |first: u32, i: u32, p: u32| TaskSpec {
            task: TaskId(first + i),
            name: format!("src[{i}]"),
            subtask: i,
            parallelism: p,
            attempt: Attempt(1),
            head: HeadSpec::LogSource { partitions, topic: String::new(), startup: StartupMode::Earliest },
            chain: vec![],
            tail: TailSpec::PrintSink,
            profile,
            variant: Variant::Correct,
            padding_bytes: 0,
            vertex_peers: (0..p).map(|j| TaskId(first + j)).collect(),
        };
        let layout = |first: u32, p: u32| JobLayout {
            operators: vec![OperatorLayout {
                uid: "src".into(),
                vertex: VertexParallelism::new(p, MaxParallelism::Auto).unwrap(),
                slots: (0..p).map(|i| (TaskId(first + i), 0)).collect(),
                source_topic: None,
            }],
            tasks: (0..p).map(|i| (TaskId(first + i), 2)).collect(),
            allow_non_restored_state: false,
            inputs: BTreeMap::new(),
        };
        let mut counters = SurvivingCounters::default();
        let mut snaps = BTreeMap::new();
        for i in 0..2 {
            let mut t = Task::new(spec(0, i, 2), 0, None, &BTreeMap::new(), &BTreeMap::new(), &mut counters);
            let owned: Vec<PartitionId> = t.fetch_positions().unwrap().keys().copied().collect();
            let recs: Vec<LogRecord> = owned
                .iter()
                .map(|q| LogRecord {
                    partition: *q,
                    offset: Offset(0),
                    value: Value::Int(i64::from(q.0)),
                    lineage: Lineage { input_seq: u64::from(q.0), sub: 0 },
                    timestamp: None,
                })
                .collect();
            t.handle_log_records(0, &recs, &mut counters);
            t.handle_trigger(1, barrier(1));
            let mut store = TxnStore::default();
            drain(&mut t, &mut store, &mut snaps);
        }
        let cp = CompletedCheckpoint {
            id: CheckpointId(1),
            kind: CheckpointKind::Savepoint,
            trigger_ms: 0,
            completed_ms: 1,
            size_bytes: 0,
            tasks: snaps,
            external: false,
        };
        let r = assign(&cp, &layout(0, 2), &layout(10, 3), profile).unwrap();
        let mut readers: BTreeMap<PartitionId, Vec<u32>> = BTreeMap::new();
        for i in 0..3 {
            let t =
                Task::new(spec(10, i, 3), 0, Some(&r.checkpoint), &BTreeMap::new(), &BTreeMap::new(), &mut counters);
            let pos = t.fetch_positions().unwrap();
            assert_eq!(
                pos.keys().copied().collect::<BTreeSet<_>>(),
                r.source_partitions[&TaskId(10 + i)],
                "{profile:?}"
            );
            for (q, o) in pos {
                assert_eq!(*o, Offset(1), "{profile:?}: {q} resumes after the read record");
                readers.entry(*q).or_default().push(i);
            }
        }
        assert_eq!(readers.len(), partitions as usize);
        assert!(readers.values().all(|v| v.len() == 1), "{profile:?}: {readers:?}");
        // 2 -> 3: 1.11 owner rule gives subtask 0 {0, 3}; 2.x round robin of [0, 2, 4 | 1, 3]
        // gives subtask 0 {0, 2}.
        let want0: BTreeSet<PartitionId> =
            if profile == Profile::Flink23 { [0, 2] } else { [0, 3] }.into_iter().map(PartitionId).collect();
        assert_eq!(r.source_partitions[&TaskId(10)], want0, "{profile:?}");
    }
}

/// Event-time window contents and timers move with their key's group (2 -> 3): every window
/// and timer lands exactly once, on the subtask that owns the key at the new parallelism.
#[test]
fn event_window_state_follows_key_groups() {
    use crate::window::{EventWindowState, TimeWindow, Timer, WindowAcc};
    let old_vertex = VertexParallelism::new(2, MaxParallelism::Auto).expect("p=2");
    let new_vertex = VertexParallelism::new(3, MaxParallelism::Auto).expect("p=3");
    let mut old: Vec<EventWindowState> = vec![EventWindowState::default(), EventWindowState::default()];
    let mut all = 0;
    for n in 0..40 {
        let key = Value::str(&format!("k{n}"));
        let owner = assign_key_to_parallel_operator(&key, old_vertex.max_parallelism, 2) as usize;
        let window = TimeWindow { start: 0, end: 1_000 };
        let lineage = Lineage { input_seq: n, sub: 0 };
        old[owner].windows.push(((key.clone(), window), WindowAcc { acc: n as i64, elements: 1, lineage }));
        old[owner].timers.push(Timer { timestamp: 999, key, window });
        all += 1;
    }
    let states: Vec<OperatorState> = old.into_iter().map(OperatorState::EventWindow).collect();
    let refs: Vec<&OperatorState> = states.iter().collect();
    let new = rescale_keyed("win", &refs, &old_vertex, &new_vertex).expect("rescale");
    assert_eq!(new.len(), 3);
    let mut seen = 0;
    for (i, st) in new.iter().enumerate() {
        let OperatorState::EventWindow(w) = st else { panic!("event window state, got {st:?}") };
        assert_eq!(w.windows.len(), w.timers.len(), "each window keeps its timer");
        for ((k, _), _) in &w.windows {
            assert_eq!(assign_key_to_parallel_operator(k, new_vertex.max_parallelism, 3) as usize, i, "{k}");
        }
        seen += w.windows.len();
    }
    assert_eq!(seen, all, "no window lost or duplicated");
}

#[test]
fn user_list_state_is_split_evenly() {
    let l = |v: &[i64]| OperatorState::UserList(v.iter().map(|i| Value::Int(*i)).collect());
    let (a, b) = (l(&[1, 2, 3]), l(&[4, 5]));
    assert_eq!(split_user_list(&[&a, &b], 3), vec![l(&[1, 2]), l(&[3, 4]), l(&[5])]);
    assert_eq!(split_user_list(&[&a, &b], 1), vec![l(&[1, 2, 3, 4, 5])]);
    assert_eq!(split_user_list(&[&a], 4), vec![l(&[1]), l(&[2]), l(&[3]), l(&[])]);
}

#[test]
fn union_and_broadcast_list_state_on_rescale() {
    let ints = |v: &[i64]| v.iter().map(|i| Value::Int(*i)).collect::<Vec<_>>();
    let sh = |mode, v: &[i64]| OperatorState::SharedList { mode, entries: ints(v) };
    let (a, b) = (sh(ListMode::Union, &[1, 2, 3]), sh(ListMode::Union, &[4, 5]));
    // Union: the old lists stay placed so that the new subtasks together hold each entry once.
    assert_eq!(
        rescale_shared(&[&a, &b], ListMode::Union, 3),
        vec![sh(ListMode::Union, &[1, 2, 3]), sh(ListMode::Union, &[4, 5]), sh(ListMode::Union, &[])]
    );
    assert_eq!(rescale_shared(&[&a, &b], ListMode::Union, 1), vec![sh(ListMode::Union, &[1, 2, 3, 4, 5])]);
    assert_eq!(place_union(&[ints(&[1]), ints(&[2]), ints(&[3])], 2), vec![ints(&[1]), ints(&[2, 3])]);
    // Broadcast: new subtask i gets old subtask i % p_old's copy.
    let (c, d) = (sh(ListMode::Broadcast, &[7]), sh(ListMode::Broadcast, &[8, 9]));
    assert_eq!(rescale_shared(&[&c, &d], ListMode::Broadcast, 3), vec![c.clone(), d.clone(), c.clone()]);
    // Every restore of a union state reads the whole vertex, in subtask order.
    let cp = CompletedCheckpoint {
        tasks: [(TaskId(0), a.clone()), (TaskId(1), b.clone())]
            .into_iter()
            .map(|(t, st)| (t, TaskSnapshot { operators: vec![OperatorState::None, st], ..TaskSnapshot::default() }))
            .collect(),
        id: CheckpointId(1),
        kind: CheckpointKind::Checkpoint,
        trigger_ms: 0,
        completed_ms: 0,
        size_bytes: 0,
        external: false,
    };
    assert_eq!(union_entries(&cp, &[TaskId(0), TaskId(1)], 1), ints(&[1, 2, 3, 4, 5]));
    assert_eq!(union_entries(&cp, &[TaskId(1)], 1), ints(&[4, 5]));
}

/// One stateful operator `uid` at `vertex` (tasks `first..`, its state in slot 1 of 3).
fn single_layout(uid: &str, first: u32, vertex: VertexParallelism) -> JobLayout {
    JobLayout {
        operators: vec![OperatorLayout {
            uid: uid.into(),
            vertex,
            slots: (0..vertex.parallelism).map(|i| (TaskId(first + i), 1)).collect(),
            source_topic: None,
        }],
        tasks: (0..vertex.parallelism).map(|i| (TaskId(first + i), 3)).collect(),
        allow_non_restored_state: false,
        inputs: BTreeMap::new(),
    }
}

/// A checkpoint whose task `first + i` holds `states[i]` in slot 1.
fn checkpoint_with(first: u32, states: Vec<OperatorState>) -> CompletedCheckpoint {
    CompletedCheckpoint {
        tasks: states
            .into_iter()
            .enumerate()
            .map(|(i, st)| {
                let operators = vec![OperatorState::None, st, OperatorState::None];
                (TaskId(first + i as u32), TaskSnapshot { operators, ..TaskSnapshot::default() })
            })
            .collect(),
        id: CheckpointId(4),
        kind: CheckpointKind::Savepoint,
        trigger_ms: 0,
        completed_ms: 0,
        size_bytes: 0,
        external: true,
    }
}

fn vertex(p: u32) -> VertexParallelism {
    VertexParallelism::new(p, MaxParallelism::Auto).expect("valid parallelism")
}

/// The old subtask (of `p`) that owns `key` under the default max parallelism.
fn owner(key: &Value, p: u32) -> usize {
    assign_key_to_parallel_operator(key, vertex(p).max_parallelism, p) as usize
}

/// Flink's `allowNonRestoredState`: a new job that lacks an operator holding state is refused
/// (`UnmappedState`) unless it allows non-restored state; an absent operator whose subtasks
/// all stored nothing is no reason to refuse.
#[test]
fn a_dropped_stateful_operator_is_refused_unless_allowed() {
    let key = Value::str("k");
    let mut keyed = vec![OperatorState::Keyed(BTreeMap::new()), OperatorState::Keyed(BTreeMap::new())];
    keyed[owner(&key, 2)] = OperatorState::Keyed([(key.clone(), count_of(&key, 3))].into_iter().collect());
    let cp = checkpoint_with(0, keyed);
    let old = single_layout("count", 0, vertex(2));
    let mut new = single_layout("other", 10, vertex(2));
    match assign(&cp, &old, &new, Profile::Flink23) {
        Err(RescaleError::UnmappedState { uid }) => assert_eq!(uid, "count"),
        other => panic!("a dropped stateful operator must be refused, got {other:?}"),
    }
    new.allow_non_restored_state = true;
    let r = assign(&cp, &old, &new, Profile::Flink23).expect("allowNonRestoredState drops the state");
    assert!(
        r.checkpoint.tasks.values().all(|t| t.operators.iter().all(|s| *s == OperatorState::None)),
        "the dropped operator's state restores nowhere: {:?}",
        r.checkpoint.tasks
    );
    new.allow_non_restored_state = false;
    let empty = checkpoint_with(0, vec![OperatorState::None, OperatorState::None]);
    assert!(assign(&empty, &old, &new, Profile::Flink23).is_ok(), "a stateless operator may be dropped");
}

/// Processing-time (count) window state and join buffers move with their key's group (2 -> 3)
/// through `assign`: every key restored once, on the subtask owning its group.
#[test]
fn window_and_join_state_follow_key_groups() {
    use crate::join::{JoinEntry, JoinState, JoinTimer};
    let keys: Vec<Value> = (0..30).map(|n| Value::str(&format!("w{n}"))).collect();
    let mut window = vec![BTreeMap::new(), BTreeMap::new()];
    let mut join = vec![JoinState::default(), JoinState::default()];
    for (n, key) in keys.iter().enumerate() {
        window[owner(key, 2)].insert(key.clone(), (n as u64, Value::Int(n as i64)));
        let lineage = Lineage { input_seq: n as u64, sub: 0 };
        let entry = JoinEntry {
            key: key.clone(),
            side: (n % 2) as u8,
            ts: n as i64,
            value: Value::Int(1),
            lineage,
            window_max_ts: None,
        };
        join[owner(key, 2)].entries.push(entry);
        join[owner(key, 2)].timers.push(JoinTimer { ts: 100 + n as i64, key: key.clone(), kind: 0 });
    }
    let (old, new) = (single_layout("op", 0, vertex(2)), single_layout("op", 10, vertex(3)));
    let placed = |r: &Rescaled, keys_of: &dyn Fn(&OperatorState) -> Vec<Value>| {
        let mut seen = BTreeSet::new();
        for i in 0..3u32 {
            for k in keys_of(&r.checkpoint.tasks[&TaskId(10 + i)].operators[1]) {
                assert_eq!(owner(&k, 3), i as usize, "{k} restored into subtask {i}");
                assert!(seen.insert(k.clone()), "{k} restored twice");
            }
        }
        assert_eq!(seen.len(), keys.len(), "every key restored");
    };
    let cp = checkpoint_with(0, window.into_iter().map(OperatorState::Window).collect());
    let r = assign(&cp, &old, &new, Profile::Flink23).expect("window state rescales");
    placed(&r, &|st| match st {
        OperatorState::Window(m) => m.keys().cloned().collect(),
        other => panic!("window state expected, got {other:?}"),
    });
    let cp = checkpoint_with(0, join.into_iter().map(OperatorState::Join).collect());
    let r = assign(&cp, &old, &new, Profile::Flink23).expect("join state rescales");
    placed(&r, &|st| match st {
        OperatorState::Join(j) => {
            assert_eq!(j.entries.len(), j.timers.len(), "each buffered element keeps its timer");
            j.entries.iter().map(|e| e.key.clone()).collect()
        }
        other => panic!("join state expected, got {other:?}"),
    });
}

/// `check_assignment` (run by `assign` on every rescale) refuses an event-window or join state
/// that lost an entry or put one on a subtask that does not own its key group.
#[test]
fn check_assignment_refuses_lost_or_misplaced_window_and_join_entries() {
    use crate::join::{JoinEntry, JoinState};
    use crate::window::{EventWindowState, TimeWindow, Timer, WindowAcc};
    let keys: Vec<Value> = (0..12).map(|n| Value::str(&format!("e{n}"))).collect();
    let mut event = vec![EventWindowState::default(), EventWindowState::default()];
    let mut join = vec![JoinState::default(), JoinState::default()];
    for (n, key) in keys.iter().enumerate() {
        let window = TimeWindow { start: 0, end: 1_000 };
        let lineage = Lineage { input_seq: n as u64, sub: 0 };
        let acc = WindowAcc { acc: n as i64, elements: 1, lineage };
        event[owner(key, 2)].windows.push(((key.clone(), window), acc));
        event[owner(key, 2)].timers.push(Timer { timestamp: 999, key: key.clone(), window });
        let entry =
            JoinEntry { key: key.clone(), side: 0, ts: n as i64, value: Value::Int(1), lineage, window_max_ts: None };
        join[owner(key, 2)].entries.push(entry);
    }
    let (old, new) = (single_layout("op", 0, vertex(2)), single_layout("op", 10, vertex(3)));
    let refuses = |cp: &CompletedCheckpoint, r: &Rescaled| {
        let call = std::panic::AssertUnwindSafe(|| check_assignment(cp, &old, &new, r));
        std::panic::catch_unwind(call).is_err()
    };
    // Event windows: drop one window (with its timer), or move one to a wrong subtask.
    let cp = checkpoint_with(0, event.into_iter().map(OperatorState::EventWindow).collect());
    let good = assign(&cp, &old, &new, Profile::Flink23).expect("event windows rescale");
    let slot = |r: &mut Rescaled, i: u32| -> EventWindowState {
        let task = r.checkpoint.tasks.get_mut(&TaskId(10 + i)).expect("task");
        match std::mem::replace(&mut task.operators[1], OperatorState::None) {
            OperatorState::EventWindow(w) => w,
            other => panic!("event window expected, got {other:?}"),
        }
    };
    let mut lost = good.clone();
    let mut w = slot(&mut lost, 0);
    assert!(!w.windows.is_empty(), "subtask 0 owns some key");
    w.windows.pop();
    lost.checkpoint.tasks.get_mut(&TaskId(10)).expect("task").operators[1] = OperatorState::EventWindow(w);
    assert!(refuses(&cp, &lost), "a lost event window must be refused");
    let mut moved = good.clone();
    let (mut w0, mut w1) = (slot(&mut moved, 0), slot(&mut moved, 1));
    w1.windows.push(w0.windows.pop().expect("a window"));
    moved.checkpoint.tasks.get_mut(&TaskId(10)).expect("task").operators[1] = OperatorState::EventWindow(w0);
    moved.checkpoint.tasks.get_mut(&TaskId(11)).expect("task").operators[1] = OperatorState::EventWindow(w1);
    assert!(refuses(&cp, &moved), "a misplaced event window must be refused");
    // Joins: drop one buffered element, or move one.
    let cp = checkpoint_with(0, join.into_iter().map(OperatorState::Join).collect());
    let good = assign(&cp, &old, &new, Profile::Flink23).expect("joins rescale");
    let entries = |r: &mut Rescaled, i: u32| -> JoinState {
        let task = r.checkpoint.tasks.get_mut(&TaskId(10 + i)).expect("task");
        match std::mem::replace(&mut task.operators[1], OperatorState::None) {
            OperatorState::Join(j) => j,
            other => panic!("join expected, got {other:?}"),
        }
    };
    let mut lost = good.clone();
    let mut j = entries(&mut lost, 2);
    assert!(!j.entries.is_empty(), "subtask 2 owns some key");
    j.entries.pop();
    lost.checkpoint.tasks.get_mut(&TaskId(12)).expect("task").operators[1] = OperatorState::Join(j);
    assert!(refuses(&cp, &lost), "a lost join element must be refused");
    let mut moved = good.clone();
    let (mut j1, mut j2) = (entries(&mut moved, 1), entries(&mut moved, 2));
    j1.entries.push(j2.entries.pop().expect("an element"));
    moved.checkpoint.tasks.get_mut(&TaskId(11)).expect("task").operators[1] = OperatorState::Join(j1);
    moved.checkpoint.tasks.get_mut(&TaskId(12)).expect("task").operators[1] = OperatorState::Join(j2);
    assert!(refuses(&cp, &moved), "a misplaced join element must be refused");
}

/// Flink's split redistribution gives the first `n % p` subtasks one entry more, not every
/// subtask `ceil(n / p)` until the entries run out (7 entries over 3: 3, 2, 2 — not 3, 3, 1).
#[test]
fn user_list_split_gives_the_remainder_to_the_first_subtasks() {
    let l = |v: &[i64]| OperatorState::UserList(v.iter().map(|i| Value::Int(*i)).collect());
    let (a, b) = (l(&[1, 2, 3, 4]), l(&[5, 6, 7]));
    assert_eq!(split_user_list(&[&a, &b], 3), vec![l(&[1, 2, 3]), l(&[4, 5]), l(&[6, 7])]);
    assert_eq!(split_user_list(&[&a, &b], 2), vec![l(&[1, 2, 3, 4]), l(&[5, 6, 7])]);
}

/// At unchanged parallelism Flink hands every subtask its own split entries back (no round
/// robin over all of them): 3 -> 3 with 7, 0 and 0 entries keeps 7, 0, 0, not 3, 2, 2.
#[test]
fn user_list_split_at_unchanged_parallelism_keeps_each_subtask_s_entries() {
    let l = |v: &[i64]| OperatorState::UserList(v.iter().map(|i| Value::Int(*i)).collect());
    let (a, b, c) = (l(&[1, 1, 0, 0, 0, 0, 0]), l(&[]), l(&[]));
    assert_eq!(split_user_list(&[&a, &b, &c], 3), vec![a.clone(), b.clone(), c.clone()]);
    assert_eq!(split_user_list(&[&a, &b, &c], 2), vec![l(&[1, 1, 0, 0]), l(&[0, 0, 0])]);
}

/// FLIP-147: an operator whose every old subtask was FINISHED at the trigger stays fully
/// finished through a rescale (Flink's `FullyFinishedOperatorState`): each new subtask's entry
/// keeps the finished marks, so it is deployed finished; a partly finished one does not (session
/// 38: the marks were dropped, and a bounded source finished before any checkpoint restored from
/// an empty slot and panicked).
#[test]
fn a_fully_finished_operator_stays_finished_through_a_rescale() {
    let finished = |mut cp: CompletedCheckpoint, which: &[u32]| {
        for t in which {
            let snap = cp.tasks.get_mut(&TaskId(*t)).expect("task of the checkpoint");
            snap.finished = true;
            snap.from_finished_task = true;
        }
        cp
    };
    let old = single_layout("source", 0, vertex(2));
    let new = single_layout("source", 10, vertex(3));
    let all = finished(checkpoint_with(0, vec![OperatorState::None, OperatorState::None]), &[0, 1]);
    let r = assign(&all, &old, &new, Profile::Flink23).expect("a finished, stateless operator rescales");
    assert!(
        r.checkpoint.tasks.values().all(|s| s.finished && s.from_finished_task),
        "every new subtask is deployed finished: {:?}",
        r.checkpoint.tasks
    );
    let part = finished(checkpoint_with(0, vec![OperatorState::None, OperatorState::None]), &[0]);
    let r = assign(&part, &old, &new, Profile::Flink23).expect("a partly finished, stateless operator rescales");
    assert!(r.checkpoint.tasks.values().all(|s| !s.finished && !s.from_finished_task), "partly finished: runs again");
}

/// Session 39: a composite state (a broadcast process's broadcast states and keyed counts)
/// rescales part by part through `assign` (2 -> 3): each broadcast part goes `i % p_old`, the
/// keyed part by key group, and `check_assignment` refuses a keyed entry on the wrong subtask.
#[test]
fn composite_state_rescales_each_part_on_its_own() {
    let sh = |v: &[i64]| OperatorState::SharedList {
        mode: ListMode::Broadcast,
        entries: v.iter().map(|i| Value::Pair("r".into(), *i)).collect(),
    };
    let keys: Vec<Value> = (0..20).map(|n| Value::str(&format!("w{n}"))).collect();
    let mut counts = [BTreeMap::new(), BTreeMap::new()];
    for (n, key) in keys.iter().enumerate() {
        counts[owner(key, 2)].insert(key.clone(), Value::Int(n as i64));
    }
    let old_states: Vec<OperatorState> = (0..2)
        .map(|i| {
            OperatorState::Composite(vec![sh(&[i]), sh(&[10 + i]), OperatorState::Keyed(counts[i as usize].clone())])
        })
        .collect();
    let cp = checkpoint_with(0, old_states);
    let (old, new) = (single_layout("bp", 0, vertex(2)), single_layout("bp", 10, vertex(3)));
    let r = assign(&cp, &old, &new, Profile::Flink23).expect("a composite state rescales");
    let mut restored = BTreeSet::new();
    for i in 0..3u32 {
        let OperatorState::Composite(parts) = &r.checkpoint.tasks[&TaskId(10 + i)].operators[1] else {
            panic!("subtask {i}: a composite state")
        };
        let old_i = i64::from(i % 2);
        assert_eq!((&parts[0], &parts[1]), (&sh(&[old_i]), &sh(&[10 + old_i])), "subtask {i}: copies of i % 2");
        let OperatorState::Keyed(m) = &parts[2] else { panic!("keyed part") };
        for k in m.keys() {
            assert_eq!(owner(k, 3), i as usize, "{k} restored into subtask {i}");
            assert!(restored.insert(k.clone()), "{k} twice");
        }
    }
    assert_eq!(restored.len(), keys.len(), "every count restored");
    // A keyed entry on the wrong subtask is refused by the assignment check.
    let mut bad = r.clone();
    let key = keys.iter().find(|k| owner(k, 3) == 0).expect("a key of subtask 0").clone();
    for (t, to) in [(TaskId(10), false), (TaskId(11), true)] {
        let OperatorState::Composite(parts) = &mut bad.checkpoint.tasks.get_mut(&t).expect("task").operators[1] else {
            panic!()
        };
        let OperatorState::Keyed(m) = &mut parts[2] else { panic!() };
        if to {
            m.insert(key.clone(), Value::Int(0));
        } else {
            m.remove(&key);
        }
    }
    let caught = std::panic::catch_unwind(|| check_assignment(&cp, &old, &new, &bad));
    assert!(caught.is_err(), "a misplaced keyed entry of a composite state is refused");
}
