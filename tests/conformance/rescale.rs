//! Rescaling on restore (issue 17): expectations of Flink's key-group, state-assignment, round-robin repartitioner, Kafka partition assignment and rescaling 2PC tests posed to `ckptsim::key_group` and `ckptsim::rescale`.

use crate::common::{case_name, ensure_eq, flink, profile_name, run_table, Flink, F111, F23};
use ckptsim::config::Retention;
use ckptsim::java_hash::java_string_hash;
use ckptsim::key_group::{
    assign_key_to_parallel_operator, compute_key_group_range_for_operator_index, compute_operator_index_for_key_group,
    create_key_group_partitions, KeyGroup, KeyGroupRange, MaxParallelism, MaxParallelismRestoreError,
    VertexParallelism, UPPER_BOUND_MAX_PARALLELISM,
};
use ckptsim::record::{CheckpointKind, Lineage, Record, Value};
use ckptsim::rescale::{
    assign, kafka_partition_owner, kafka_split_owner, kafka_topic_start_index, repartition_broadcast,
    repartition_split, repartition_union, rescale_in_flight, restored_source_partitions, ChannelMapper, GateSource,
    InFlightRouting, InputChannel, JobLayout, OperatorLayout, RescaleError, TaskInputs,
};
use ckptsim::sink::{TwoPhaseCommitSink, TxnStore};
use ckptsim::source::{LogSource, StartupMode};
use ckptsim::state::{OperatorState, TaskSnapshot};
use ckptsim::store::{CompletedCheckpoint, CompletedCheckpointStore};
use ckptsim::{CheckpointId, Offset, PartitionId, Profile, TaskId, Variant};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

struct Case {
    flink: Flink,
    profile: Profile,
    check: Box<dyn Fn() -> Result<(), String>>,
}

fn case(flink: Flink, profile: Profile, check: impl Fn() -> Result<(), String> + 'static) -> Case {
    Case { flink, profile, check: Box::new(check) }
}

// ------------------------------------------------------------------------------ helpers

/// One operator of parallelism `p` whose subtask `i` is task `first + i`, at slot `index` of a
/// task with `slots` slots.
fn op_layout(uid: &str, vertex: VertexParallelism, first: u32, index: usize) -> OperatorLayout {
    OperatorLayout {
        uid: uid.to_string(),
        vertex,
        slots: (0..vertex.parallelism).map(|i| (TaskId(first + i), index)).collect(),
        source_topic: None,
    }
}

fn job(ops: Vec<OperatorLayout>, slots: usize) -> JobLayout {
    let tasks = ops.iter().flat_map(|o| o.slots.iter().map(|s| (s.0, slots))).collect();
    JobLayout { operators: ops, tasks, allow_non_restored_state: false, inputs: BTreeMap::new() }
}

fn vertex(p: u32, max: MaxParallelism) -> VertexParallelism {
    VertexParallelism::new(p, max).expect("valid vertex")
}

/// A checkpoint whose task `first + i` holds `states[i]` at slot `index` (others None).
fn checkpoint(first: u32, index: usize, slots: usize, states: Vec<OperatorState>) -> CompletedCheckpoint {
    let mut cp = CompletedCheckpoint {
        id: CheckpointId(7),
        kind: CheckpointKind::Savepoint,
        trigger_ms: 0,
        completed_ms: 0,
        tasks: BTreeMap::new(),
        size_bytes: 0,
        external: true,
    };
    add_states(&mut cp, first, index, slots, states);
    cp
}

fn add_states(cp: &mut CompletedCheckpoint, first: u32, index: usize, slots: usize, states: Vec<OperatorState>) {
    for (i, st) in states.into_iter().enumerate() {
        let snap = cp
            .tasks
            .entry(TaskId(first + i as u32))
            .or_insert_with(|| TaskSnapshot { operators: vec![OperatorState::None; slots], ..TaskSnapshot::default() });
        snap.operators[index] = st;
    }
}

fn states_of(cp: &CompletedCheckpoint, layout: &OperatorLayout) -> Vec<OperatorState> {
    layout.slots.iter().map(|&(t, i)| cp.tasks[&t].operators[i].clone()).collect()
}

/// Keyed state of parallelism `p`: every key in the subtask that owns its key group.
fn keyed_states(keys: &[Value], max: u32, p: u32) -> Vec<OperatorState> {
    let mut maps = vec![BTreeMap::new(); p as usize];
    for (n, k) in keys.iter().enumerate() {
        maps[assign_key_to_parallel_operator(k, max, p) as usize].insert(k.clone(), Value::Int(n as i64));
    }
    maps.into_iter().map(OperatorState::Keyed).collect()
}

/// Checks restored keyed states: the same (key, value) pairs, each in the subtask its key
/// group routes to.
fn check_keyed(before: &[OperatorState], after: &[OperatorState], max: u32) -> Result<(), String> {
    let collect = |states: &[OperatorState]| -> BTreeMap<Value, Value> {
        states
            .iter()
            .flat_map(|s| match s {
                OperatorState::Keyed(m) => m.clone(),
                _ => BTreeMap::new(),
            })
            .collect()
    };
    ensure_eq(collect(after), collect(before), "restored keyed state")?;
    for (i, st) in after.iter().enumerate() {
        let OperatorState::Keyed(m) = st else { return Err(format!("subtask {i} restores {st:?}")) };
        for k in m.keys() {
            let want = assign_key_to_parallel_operator(k, max, after.len() as u32);
            ensure_eq(i as u32, want, &format!("subtask of key {k}"))?;
        }
    }
    Ok(())
}

fn keys(n: i64) -> Vec<Value> {
    (0..n).map(|i| if i % 2 == 0 { Value::Int(i) } else { Value::str(&format!("k{i}")) }).collect()
}

// ----------------------------------------------------------------------- key-group cases

const CCT: &str = "CheckpointCoordinatorTest";

/// `testCreateKeyGroupPartitions(maxParallelism, parallelism)`: every key group is in the range
/// of the operator index it maps to.
fn create_key_group_partitions_case(max: u32, p: u32) -> Result<(), String> {
    let ranges = create_key_group_partitions(max, p).map_err(|e| e.to_string())?;
    for kg in 0..max {
        let i = compute_operator_index_for_key_group(max, p, KeyGroup(kg));
        if !ranges[i as usize].contains(KeyGroup(kg)) {
            return Err(format!("key group {kg} not in range {} of operator {i}", ranges[i as usize]));
        }
    }
    ensure_eq(ranges.iter().map(KeyGroupRange::len).sum::<u32>(), max, "key groups covered")
}

/// A tiny deterministic generator for the random part (Flink draws from `new Random(1234)`;
/// the draws differ, the property is the same).
fn lcg(state: &mut u64) -> u32 {
    *state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    (*state >> 33) as u32
}

fn key_group_cases() -> Vec<Case> {
    let mut v = Vec::new();
    let short_max = i16::MAX as u32;
    for (max, p) in [(1, 1), (13, 1), (13, 2), (short_max, 1), (short_max, 13), (short_max, short_max)] {
        v.push(case(
            flink(CCT, Box::leak(format!("testCreateKeyGroupPartitions({max}, {p})").into_boxed_str()), "1.11"),
            F111,
            move || create_key_group_partitions_case(max, p),
        ));
    }
    v.push(case(flink(CCT, "testCreateKeyGroupPartitions (1000 random)", "1.11"), F111, move || {
        let mut s = 1234;
        for _ in 0..1000 {
            let max = 1 + lcg(&mut s) % (short_max - 1);
            let p = 1 + lcg(&mut s) % max;
            create_key_group_partitions_case(max, p)?;
        }
        Ok(())
    }));
    // KeyGroupRangeTest.testKeyGroupIntersection
    const KGRT: &str = "KeyGroupRangeTest";
    for (a, b, want) in [
        ((0, 10), (3, 7), Some((3, 7))),
        ((0, 10), (0, 10), Some((0, 10))),
        ((0, 5), (6, 10), None),
        ((0, 10), (5, 20), Some((5, 10))),
    ] {
        v.push(case(
            flink(KGRT, Box::leak(format!("testKeyGroupIntersection {a:?}∩{b:?}").into_boxed_str()), "1.11"),
            F111,
            move || {
                let (ra, rb) = (KeyGroupRange::of(a.0, a.1), KeyGroupRange::of(b.0, b.1));
                let want = want.map_or(KeyGroupRange::empty(), |(s, e)| KeyGroupRange::of(s, e));
                ensure_eq(ra.intersection(&rb), want, "a ∩ b")?;
                ensure_eq(rb.intersection(&ra), want, "b ∩ a")
            },
        ));
    }
    // SchedulerBaseComputeVertexParallelismTest.testMaxParallelismDefaulting: (parallelism,
    // configured max, expected max, rescale to, can rescale).
    const SBT: &str = "SchedulerBaseComputeVertexParallelismTest";
    let u = UPPER_BOUND_MAX_PARALLELISM;
    for (p, configured, want_max, to, can) in [
        (1, MaxParallelism::Auto, 128, 3, true),
        (171, MaxParallelism::Auto, 256, 42, true),
        (172, MaxParallelism::Auto, 512, 174, true),
        (u, MaxParallelism::Auto, u, u, true),
        (4, MaxParallelism::Explicit(u), u, 3, false),
        (4, MaxParallelism::Explicit(7), 7, u, false),
    ] {
        v.push(case(
            flink(
                SBT,
                Box::leak(format!("testMaxParallelismDefaulting(p={p}, {configured:?})").into_boxed_str()),
                "1.20",
            ),
            F23,
            move || {
                let vx = VertexParallelism::new(p, configured).map_err(|e| e.to_string())?;
                ensure_eq(vx.parallelism, p, "constant parallelism")?;
                ensure_eq(vx.max_parallelism, want_max, "expected max")?;
                ensure_eq(vx.can_rescale_max_parallelism(to), can, "can rescale max")
            },
        ));
    }
    v
}

// ------------------------------------------------------------ state assignment cases

const SAOT: &str = "StateAssignmentOperationTest";

/// Per named state: for each new subtask that receives it, the number of entries.
fn received(parts: &[Vec<u32>]) -> Vec<usize> {
    parts.iter().filter(|v| !v.is_empty()).map(Vec::len).collect()
}

fn state_assignment_cases() -> Vec<Case> {
    let mut v = Vec::new();
    for new_p in [3u32, 1, 2] {
        let up = new_p > 2;
        // testRepartitionSplitDistributeStates: t-1 = two entries in subtask 0, t-2 = two in
        // subtask 1 (SPLIT_DISTRIBUTE). Rescaled up, each is split over two subtasks with one
        // entry each; down or unchanged, one subtask keeps both.
        v.push(case(
            flink(SAOT, leak(format!("testRepartitionSplitDistributeStates 2->{new_p}")), "2.0"),
            F23,
            move || {
                for old in [vec![vec![0, 10], vec![]], vec![vec![], vec![0, 15]]] {
                    let got = received(&repartition_split(&old, new_p));
                    ensure_eq(got, if up { vec![1, 1] } else { vec![2] }, "entries per receiving subtask")?;
                }
                Ok(())
            },
        ));
        // testRepartitionUnionState: t-3 one entry in each old subtask, t-4 two in subtask 0
        // (UNION): every new subtask gets two entries of each.
        v.push(case(flink(SAOT, leak(format!("testRepartitionUnionState 2->{new_p}")), "2.0"), F23, move || {
            for old in [vec![vec![0], vec![0]], vec![vec![22, 44], vec![]]] {
                ensure_eq(received(&repartition_union(&old, new_p)), vec![2; new_p as usize], "entries per subtask")?;
            }
            Ok(())
        }));
        // testRepartitionBroadcastState (+ WithNullSubtaskState, WithEmptySubtaskState):
        // every new subtask gets one copy of three entries.
        for (method, old) in [
            ("testRepartitionBroadcastState", vec![Some(vec![0, 10, 20]), Some(vec![0, 10, 20])]),
            ("testRepartitionBroadcastStateWithNullSubtaskState", vec![Some(vec![0, 10, 20]), None]),
            ("testRepartitionBroadcastStateWithEmptySubtaskState", vec![Some(vec![30, 40, 50]), None]),
        ] {
            v.push(case(flink(SAOT, leak(format!("{method} 2->{new_p}")), "2.0"), F23, move || {
                ensure_eq(received(&repartition_broadcast(&old, new_p)), vec![3; new_p as usize], "entries per subtask")
            }));
        }
        // testReDistributeCombinedPartitionableStates: union t-1 (1+1), t-2 (2+0); split t-3
        // (2 in subtask 0); broadcast t-4..t-6 (3 entries each, both subtasks).
        v.push(case(
            flink(SAOT, leak(format!("testReDistributeCombinedPartitionableStates 2->{new_p}")), "2.0"),
            F23,
            move || {
                let n = new_p as usize;
                ensure_eq(received(&repartition_union(&[vec![0], vec![0]], new_p)), vec![2; n], "t-1")?;
                ensure_eq(received(&repartition_union(&[vec![22, 44], vec![]], new_p)), vec![2; n], "t-2")?;
                let split = received(&repartition_split(&[vec![52, 63], vec![]], new_p));
                ensure_eq(split, if up { vec![1, 1] } else { vec![2] }, "t-3")?;
                let b = repartition_broadcast(&[Some(vec![67, 74, 75]), Some(vec![20, 27, 28])], new_p);
                ensure_eq(received(&b), vec![3; n], "t-4")
            },
        ));
    }
    // CheckpointCoordinatorRestoringTest.testRestoreLatestCheckpointFailureWhenMaxParallelismChanges:
    // vertices (p 3, max 42) and (p 2, max 13) restored into max 20 and 42 (set by the user).
    const CCRT: &str = "CheckpointCoordinatorRestoringTest";
    v.push(case(flink(CCRT, "testRestoreLatestCheckpointFailureWhenMaxParallelismChanges", "2.0"), F23, || {
        let ks = keys(200);
        let old = job(
            vec![
                op_layout("v1", vertex(3, MaxParallelism::Explicit(42)), 0, 1),
                op_layout("v2", vertex(2, MaxParallelism::Explicit(13)), 10, 1),
            ],
            3,
        );
        let mut cp = checkpoint(0, 1, 3, keyed_states(&ks, 42, 3));
        add_states(&mut cp, 10, 1, 3, keyed_states(&ks, 13, 2));
        let new = job(
            vec![
                op_layout("v1", vertex(3, MaxParallelism::Explicit(20)), 0, 1),
                op_layout("v2", vertex(2, MaxParallelism::Explicit(42)), 10, 1),
            ],
            3,
        );
        match assign(&cp, &old, &new, F23) {
            Err(RescaleError::MaxParallelism { source: MaxParallelismRestoreError::Changed { .. }, .. }) => Ok(()),
            other => Err(format!("restore should fail because the max parallelism changed, got {other:?}")),
        }
    }));
    // testStateRecoveryWhenTopologyChange{Out,In,}: CHAIN(op1 -> op2) x10 -> CHAIN(op3 -> op4)
    // x10, max parallelism 64, keyed state in op3, operator state in op1 (here a source's
    // offsets) restored into CHAIN(op5 -> op1 -> op2) x10 -> CHAIN(op3 -> op6) x{20, 8, 10}.
    for (method, new_p2) in [
        ("testStateRecoveryWhenTopologyChangeOut", 20),
        ("testStateRecoveryWhenTopologyChangeIn", 8),
        ("testStateRecoveryWhenTopologyChange", 10),
    ] {
        v.push(case(flink(CCRT, method, "2.0"), F23, move || topology_change(new_p2)));
    }
    v
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn topology_change(new_p2: u32) -> Result<(), String> {
    let max = MaxParallelism::Explicit(64);
    let ks = keys(500);
    // Old: vertex 1 = tasks 0..10, slots [op1 (head), op2, tail]; vertex 2 = tasks 10..20,
    // slots [head, op3, op4, tail].
    let old = JobLayout {
        operators: vec![
            op_layout("op1", vertex(10, max), 0, 0),
            op_layout("op2", vertex(10, max), 0, 1),
            op_layout("op3", vertex(10, max), 10, 1),
            op_layout("op4", vertex(10, max), 10, 2),
        ],
        tasks: (0..10).map(|t| (TaskId(t), 3)).chain((10..20).map(|t| (TaskId(t), 4))).collect(),
        allow_non_restored_state: false,
        inputs: BTreeMap::new(),
    };
    let offsets: Vec<OperatorState> = (0..10u32)
        .map(|i| OperatorState::SourceOffsets(BTreeMap::from([(PartitionId(i), Offset(u64::from(i) * 100))])))
        .collect();
    let mut cp = checkpoint(0, 0, 3, offsets.clone());
    add_states(&mut cp, 10, 1, 4, keyed_states(&ks, 64, 10));
    // New: vertex 1 = tasks 100..110, slots [op1 (head), op5, op2, tail]; vertex 2 = tasks
    // 200.., slots [head, op3, op6, tail].
    let new = JobLayout {
        operators: vec![
            op_layout("op1", vertex(10, max), 100, 0),
            op_layout("op5", vertex(10, max), 100, 1),
            op_layout("op2", vertex(10, max), 100, 2),
            op_layout("op3", vertex(new_p2, max), 200, 1),
            op_layout("op6", vertex(new_p2, max), 200, 2),
        ],
        tasks: (100..110).map(|t| (TaskId(t), 4)).chain((200..200 + new_p2).map(|t| (TaskId(t), 4))).collect(),
        allow_non_restored_state: true,
        inputs: BTreeMap::new(),
    };
    let r = assign(&cp, &old, &new, F23).map_err(|e| e.to_string())?;
    // The operator state stays with its subtask (parallelism unchanged), now at slot 0 of the
    // new chain; new operators start empty.
    ensure_eq(states_of(&r.checkpoint, &new.operators[0]), offsets, "op1 operator state")?;
    for uid in [1, 2, 4] {
        let empty = states_of(&r.checkpoint, &new.operators[uid]).iter().all(|s| *s == OperatorState::None);
        ensure_eq(empty, true, &format!("{} has no state", new.operators[uid].uid))?;
    }
    check_keyed(&states_of(&cp, &old.operators[2]), &states_of(&r.checkpoint, &new.operators[3]), 64)?;
    // op4 is gone: only allowed with allowNonRestoredState when it had state.
    ensure_eq(r.vertices["op3"].max_parallelism, 64, "op3 max parallelism")
}

// --------------------------------------------------------------------- kafka cases

const FKCB: &str = "FlinkKafkaConsumerBaseTest";
const KCPAT: &str = "KafkaConsumerPartitionAssignmentTest";

/// `testRescaling(initialParallelism, numPartitions, restoredParallelism,
/// restoredNumPartitions)`: a snapshot of `p0` subtasks over `n0` partitions restored at `p1`
/// over `n1`: every partition read by exactly one subtask, restored partitions from their
/// offsets, new ones from the earliest.
fn kafka_rescaling(profile: Profile, p0: u32, n0: u32, p1: u32, n1: u32) -> Result<(), String> {
    let src = |p: u32| vertex(p, MaxParallelism::Auto);
    let old = job(vec![op_layout("source", src(p0), 0, 0)], 2);
    let states: Vec<OperatorState> = (0..p0)
        .map(|i| {
            OperatorState::SourceOffsets(
                (0..n0).filter(|q| q % p0 == i).map(|q| (PartitionId(q), Offset(u64::from(q) + 10))).collect(),
            )
        })
        .collect();
    let cp = checkpoint(0, 0, 2, states);
    let new = job(vec![op_layout("source", src(p1), 100, 0)], 2);
    let r = assign(&cp, &old, &new, profile).map_err(|e| e.to_string())?;
    let restored: Vec<OperatorState> = states_of(&r.checkpoint, &new.operators[0]);
    let refs: Vec<&OperatorState> = restored.iter().collect();
    let mut readers: BTreeMap<PartitionId, Vec<(u32, Offset)>> = BTreeMap::new();
    for i in 0..p1 {
        // What Task::new does for a log source.
        let mut s = LogSource::new(i, p1, n1, profile, StartupMode::Latest, Variant::Correct);
        if profile == F23 {
            s.assign_partitions(restored_source_partitions(Some(&restored[i as usize]), &refs, ("", 0..n1), i, p1));
        }
        s.initialize(Some(&refs), &BTreeMap::new(), &BTreeMap::new());
        for (p, o) in s.positions() {
            readers.entry(*p).or_default().push((i, *o));
        }
    }
    for q in 0..n1 {
        let got = readers.get(&PartitionId(q)).cloned().unwrap_or_default();
        ensure_eq(got.len(), 1, &format!("readers of partition {q}"))?;
        // 1.11 stores the last read offset (resume at +1), 2.x the next one.
        let want = if q < n0 { u64::from(q) + 10 + u64::from(profile == F111) } else { 0 };
        ensure_eq(got[0].1, Offset(want), &format!("start of partition {q}"))?;
    }
    Ok(())
}

/// `KafkaTopicPartitionAssigner.assign` contract: every partition to exactly one subtask,
/// partitions round robin clockwise from the topic's start index, at most one apart in count.
fn assigner_contract(topic: &str, partitions: u32, p: u32) -> Result<(), String> {
    let start = kafka_topic_start_index(topic, p);
    let mut count = vec![0u32; p as usize];
    for q in 0..partitions {
        let owner = kafka_partition_owner(start, PartitionId(q), p);
        ensure_eq(owner, (start + q) % p, &format!("owner of {q}"))?;
        count[owner as usize] += 1;
    }
    let (min, max) = (count.iter().min().copied().unwrap_or(0), count.iter().max().copied().unwrap_or(0));
    ensure_eq(max - min <= 1, true, "uniform distribution")?;
    ensure_eq(count.iter().sum::<u32>(), partitions, "every partition assigned")
}

fn kafka_cases() -> Vec<Case> {
    vec![
        case(flink(FKCB, "testScaleUp", "1.11"), F111, || kafka_rescaling(F111, 5, 2, 8, 30)),
        case(flink(FKCB, "testScaleDown", "1.11"), F111, || kafka_rescaling(F111, 5, 10, 2, 100)),
        case(flink(KCPAT, "testPartitionsEqualConsumersFixedPartitions", "1.11"), F111, || {
            assigner_contract("test-topic", 4, 4)
        }),
        case(flink(KCPAT, "testMultiplePartitionsPerConsumersFixedPartitions", "1.11"), F111, || {
            assigner_contract("test-topic", 36, 4)
        }),
        case(flink(KCPAT, "testPartitionsFewerThanConsumersFixedPartitions", "1.11"), F111, || {
            assigner_contract("test-topic", 4, 36)
        }),
        case(flink(KCPAT, "testGrowingPartitions (4 -> 9 partitions, 3 subtasks)", "1.11"), F111, || {
            // Partitions keep their owner as the topic grows.
            let (start3, p) = (kafka_topic_start_index("test-topic", 3), 3);
            for q in 0..4 {
                ensure_eq(kafka_partition_owner(start3, PartitionId(q), p), (start3 + q) % p, "stable owner")?;
            }
            assigner_contract("test-topic", 9, 3)
        }),
    ]
}

// -------------------------------------------------------------------- 2PC sink cases

fn rec(v: &str, seq: u64) -> Record {
    Record { value: Value::str(v), lineage: Lineage { input_seq: seq, sub: 0 }, timestamp: None }
}

fn drain(sink: &mut TwoPhaseCommitSink, store: &mut TxnStore) -> Result<(), String> {
    while let Some(op) = sink.poll_output() {
        store.apply(0, op).map_err(|e| format!("store refused: {e}"))?;
    }
    Ok(())
}

/// `FlinkKafkaProducerITCase.testScaleUpAfterScalingDown`: parallelism 4, then 2, then 3,
/// each run writing one record per subtask and taking a snapshot that is never notified;
/// a last restore (parallelism 1) recovers everything: every record committed exactly once,
/// no transaction left open.
fn two_pc_chain(chain: &[u32]) -> Result<(), String> {
    let mut store = TxnStore::default();
    let mut states: Vec<OperatorState> = Vec::new();
    let mut old_layout: Option<JobLayout> = None;
    let mut written = Vec::new();
    let mut attempt = 0;
    let mut first_task = 0;
    for (run, &p) in chain.iter().chain(std::iter::once(&1)).enumerate() {
        let layout = job(vec![op_layout("sink", vertex(p, MaxParallelism::Auto), first_task, 0)], 1);
        let restored: Vec<Option<OperatorState>> = match &old_layout {
            None => vec![None; p as usize],
            Some(old) => {
                let cp = checkpoint(old.operators[0].slots[0].0 .0, 0, 1, states.clone());
                let r = assign(&cp, old, &layout, F111).map_err(|e| e.to_string())?;
                states_of(&r.checkpoint, &layout.operators[0]).into_iter().map(Some).collect()
            }
        };
        attempt += 1;
        let last = run == chain.len();
        let mut next = Vec::new();
        for (i, st) in restored.iter().enumerate() {
            let mut sink = TwoPhaseCommitSink::new(i as u32, attempt, Variant::Correct);
            sink.initialize(st.as_ref());
            if !last {
                let v = format!("r{run}s{i}");
                sink.invoke(rec(&v, written.len() as u64));
                written.push(v);
                next.push(sink.snapshot(CheckpointId(run as u64 + 1)));
            }
            sink.close();
            drain(&mut sink, &mut store)?;
        }
        states = next;
        old_layout = Some(layout);
        first_task += 100;
    }
    let mut committed: Vec<String> = store.committed().iter().map(|(_, r)| r.value.to_string()).collect();
    committed.sort();
    written.sort();
    ensure_eq(committed, written, "committed records (exactly once)")?;
    ensure_eq(store.open_txns().len(), 0, "open transactions")
}

fn two_pc_cases() -> Vec<Case> {
    vec![
        case(flink("FlinkKafkaProducerITCase", "testScaleUpAfterScalingDown", "1.11"), F111, || {
            two_pc_chain(&[4, 2, 3])
        }),
        case(flink("FlinkKafkaProducerITCase", "testScaleDownBeforeFirstCheckpoint (3 -> 1)", "1.11"), F111, || {
            two_pc_chain(&[3])
        }),
    ]
}

// ------------------------------------------------ restore of the latest checkpoint (session 40)

/// `mockSubtaskState` / the scale tests' subtask state: managed operator state (Flink's
/// `generatePartitionableStateHandle(vertex, index, 2, 8)`: two named SPLIT_DISTRIBUTE states of
/// eight entries; the model's operator has one list, so the 16 entries are one list) and managed
/// keyed state (every key in the subtask its key group routes to).
fn restore_states(vertex_tag: i64, keys: &[Value], max: u32, p: u32) -> Vec<OperatorState> {
    keyed_states(keys, max, p)
        .into_iter()
        .enumerate()
        .map(|(i, keyed)| {
            let list = (0..16).map(|n| Value::Int(vertex_tag * 10_000 + i as i64 * 100 + n)).collect();
            OperatorState::Composite(vec![OperatorState::UserList(list), keyed])
        })
        .collect()
}

/// A composite's parts: (operator list entries, keyed state).
fn parts(st: &OperatorState) -> Result<(Vec<Value>, OperatorState), String> {
    match st {
        OperatorState::Composite(v) => match v.as_slice() {
            [OperatorState::UserList(l), k] => Ok((l.clone(), k.clone())),
            _ => Err(format!("restored {st:?}")),
        },
        _ => Err(format!("restored {st:?}")),
    }
}

/// `testRestoreLatestCheckpointedState` and `...ScaleIn` / `...ScaleOut`: vertices (3, max 42)
/// and (`p2`, max 13) checkpointed with operator and keyed state, the checkpoint completed into
/// the store, its latest entry restored into vertex 2 at `new_p2`. Vertex 1 (parallelism
/// unchanged) gets each subtask's own state back (`verifyStateRestore`); vertex 2 gets, per new
/// subtask, exactly the keys of its new key-group range, and the operator list entries of all
/// old subtasks each exactly once (`comparePartitionableState` sorts and compares the union).
fn restore_latest(profile: Profile, p2: u32, new_p2: u32) -> Result<(), String> {
    let ks = keys(300);
    let old = job(
        vec![
            op_layout("v1", vertex(3, MaxParallelism::Explicit(42)), 0, 1),
            op_layout("v2", vertex(p2, MaxParallelism::Explicit(13)), 100, 1),
        ],
        3,
    );
    let mut cp = checkpoint(0, 1, 3, restore_states(1, &ks, 42, 3));
    add_states(&mut cp, 100, 1, 3, restore_states(2, &ks, 13, p2));
    cp.kind = CheckpointKind::Checkpoint;
    cp.external = false;
    let mut store = CompletedCheckpointStore::new(1, Retention::NoExternalizedCheckpoints, profile);
    store.add(std::sync::Arc::new(cp.clone()));
    let latest = store.latest().ok_or("nothing to restore")?.clone();
    ensure_eq(latest.id, cp.id, "restored checkpoint")?;
    let new = job(
        vec![
            op_layout("v1", vertex(3, MaxParallelism::Explicit(42)), 0, 1),
            op_layout("v2", vertex(new_p2, MaxParallelism::Explicit(13)), 100, 1),
        ],
        3,
    );
    let r = assign(&latest, &old, &new, profile).map_err(|e| e.to_string())?;
    ensure_eq(states_of(&r.checkpoint, &new.operators[0]), states_of(&cp, &old.operators[0]), "vertex 1")?;
    let before: Vec<(Vec<Value>, OperatorState)> =
        states_of(&cp, &old.operators[1]).iter().map(parts).collect::<Result<_, _>>()?;
    let after: Vec<(Vec<Value>, OperatorState)> =
        states_of(&r.checkpoint, &new.operators[1]).iter().map(parts).collect::<Result<_, _>>()?;
    let keyed = |v: &[(Vec<Value>, OperatorState)]| v.iter().map(|(_, k)| k.clone()).collect::<Vec<_>>();
    check_keyed(&keyed(&before), &keyed(&after), 13)?;
    let sorted = |v: &[(Vec<Value>, OperatorState)]| {
        let mut all: Vec<Value> = v.iter().flat_map(|(l, _)| l.clone()).collect();
        all.sort();
        all
    };
    ensure_eq(sorted(&after), sorted(&before), "vertex 2 operator state entries")?;
    if p2 == new_p2 {
        ensure_eq(after, before, "vertex 2, parallelism unchanged")?;
    }
    Ok(())
}

/// `testRestoreLatestCheckpointWhenPreferSavepoint` (1.11; `preferCheckpointForRecovery` off,
/// the default): checkpoint 1 and then savepoint 2 complete into a store retaining 2 (1.11
/// stores its own savepoints); the restore takes the savepoint's state for the stateful vertex,
/// and the stateless vertex gets no state.
fn restore_prefers_latest_savepoint() -> Result<(), String> {
    let layout = job(
        vec![
            op_layout("stateful", vertex(1, MaxParallelism::Auto), 0, 0),
            op_layout("stateless", vertex(1, MaxParallelism::Auto), 1, 0),
        ],
        1,
    );
    let snapshot = |id: u64, kind: CheckpointKind, key: i64| {
        let mut cp =
            checkpoint(0, 0, 1, vec![OperatorState::Keyed(BTreeMap::from([(Value::Int(key), Value::Int(1))]))]);
        add_states(&mut cp, 1, 0, 1, vec![OperatorState::None]);
        cp.id = CheckpointId(id);
        cp.kind = kind;
        cp.external = false;
        cp
    };
    let mut store = CompletedCheckpointStore::new(2, Retention::NoExternalizedCheckpoints, F111);
    store.add(std::sync::Arc::new(snapshot(1, CheckpointKind::Checkpoint, 0)));
    let savepoint = snapshot(2, CheckpointKind::Savepoint, 1);
    store.add(std::sync::Arc::new(savepoint.clone()));
    let latest = store.latest().ok_or("nothing to restore")?.clone();
    ensure_eq(latest.id, CheckpointId(2), "restored entry")?;
    let r = assign(&latest, &layout, &layout, F111).map_err(|e| e.to_string())?;
    ensure_eq(states_of(&r.checkpoint, &layout.operators[0]), states_of(&savepoint, &layout.operators[0]), "stateful")?;
    ensure_eq(states_of(&r.checkpoint, &layout.operators[1]), vec![OperatorState::None], "stateless")
}

/// `testRestoreFinishedStateWithoutInFlightData` (2.x): an operator fully finished in the
/// checkpoint (`FullyFinishedOperatorState`, every subtask FINISHED at the trigger) is deployed
/// finished on restore (`isTaskDeployedAsFinished`). The test's `checkpointIdOfIgnoredInFlightData`
/// option is not modelled (the finished operator has no in-flight data either way).
fn restore_fully_finished() -> Result<(), String> {
    let layout = job(vec![op_layout("op1", vertex(1, MaxParallelism::Explicit(1)), 0, 0)], 1);
    let mut cp = checkpoint(0, 0, 1, vec![OperatorState::None]);
    cp.id = CheckpointId(2);
    for snap in cp.tasks.values_mut() {
        snap.finished = true;
        snap.from_finished_task = true;
    }
    let r = assign(&cp, &layout, &layout, F23).map_err(|e| e.to_string())?;
    let snap = &r.checkpoint.tasks[&TaskId(0)];
    ensure_eq((snap.finished, snap.from_finished_task), (true, true), "deployed as finished")
}

fn restore_cases() -> Vec<Case> {
    const CCRT: &str = "CheckpointCoordinatorRestoringTest";
    let mut v = Vec::new();
    for p in [F111, F23] {
        v.push(case(flink(CCRT, "testRestoreLatestCheckpointedState", "1.11-2.x"), p, move || restore_latest(p, 2, 2)));
        v.push(case(flink(CCRT, "testRestoreLatestCheckpointedStateScaleIn", "1.11-2.x"), p, move || {
            restore_latest(p, 13, 2)
        }));
        v.push(case(flink(CCRT, "testRestoreLatestCheckpointedStateScaleOut", "1.11-2.x"), p, move || {
            restore_latest(p, 2, 13)
        }));
    }
    v.push(case(
        flink(CCRT, "testRestoreLatestCheckpointWhenPreferSavepoint", "1.11"),
        F111,
        restore_prefers_latest_savepoint,
    ));
    v.push(case(flink(CCRT, "testRestoreFinishedStateWithoutInFlightData", "2.x"), F23, restore_fully_finished));
    v
}

// ------------------------------------------------ VertexFinishedStateChecker (session 41)

/// A finished state of the test: `FinishedOperatorSubtaskState` on no subtask, on subtask 0, on
/// every subtask (`createOperatorState`: parallelism 2).
#[derive(Clone, Copy)]
enum Fin {
    Running,
    Partly,
    Fully,
}

/// Marks the entries of `op`'s subtasks in `cp` as the coordinator fills them in for tasks
/// FINISHED at the trigger.
fn mark_finished(cp: &mut CompletedCheckpoint, op: &OperatorLayout, fin: Fin) {
    let n = match fin {
        Fin::Running => 0,
        Fin::Partly => 1,
        Fin::Fully => op.slots.len(),
    };
    for (t, _) in op.slots.iter().take(n) {
        let snap = cp.tasks.get_mut(t).expect("a task of the checkpoint");
        snap.finished = true;
        snap.from_finished_task = true;
    }
}

/// `testAddingOperatorsBeforePartiallyOrFullyFinishedOne`: vertex `vert1` (tasks 0, 1) feeds
/// `vert2` (tasks 2, 3) over one edge per pattern (`true`: ALL_TO_ALL, `false`: POINTWISE);
/// their operators' finished states are `f1` and `f2`. The restore into the same job must be
/// refused with Flink's message, which names the vertex `vert2(<JobVertexID>)`: the model's
/// vertices have no ids, so the id and its parentheses are left out of the comparison.
fn finished_predecessor(f1: Fin, f2: Fin, patterns: &[bool], flink_message: &str) -> Result<(), String> {
    let v1 = op_layout("vert1", vertex(2, MaxParallelism::Auto), 0, 0);
    let v2 = op_layout("vert2", vertex(2, MaxParallelism::Auto), 2, 0);
    let mut layout = job(vec![v1.clone(), v2.clone()], 1);
    for s in 0..2u32 {
        let mut channels = Vec::new();
        for (gate, all_to_all) in patterns.iter().enumerate() {
            let ups: Vec<u32> = if *all_to_all { vec![0, 1] } else { vec![s] };
            for u in ups {
                channels.push(InputChannel {
                    gate: gate as u32,
                    upstream_subtask: u,
                    mapper: ChannelMapper::RoundRobin,
                });
            }
        }
        let gates = patterns.iter().map(|a| GateSource { upstream: "vert1".into(), all_to_all: *a }).collect();
        layout.inputs.insert(TaskId(2 + s), TaskInputs { vertex: "vert2".into(), subtask: s, channels, gates });
    }
    let mut cp = checkpoint(0, 0, 1, vec![OperatorState::None; 4]);
    mark_finished(&mut cp, &v1, f1);
    mark_finished(&mut cp, &v2, f2);
    match assign(&cp, &layout, &layout, F23) {
        Ok(_) => Err("the restore was not refused".into()),
        Err(e) => ensure_eq(e.to_string(), flink_message.replace("vert2(<id>)", "vert2"), "refusal"),
    }
}

/// `testRestoringPartiallyFinishedChainsFails`: operators `op1` (fully finished) and `op2`
/// (all running) ran as two vertices; the new job chains them into one vertex. Also the
/// restore-path tests of `CheckpointCoordinatorRestoringTest`, which assert that the checker
/// runs on a restore of an initial checkpoint and of a savepoint: the same refusal from a
/// checkpoint of kind `kind`.
fn mixed_chain(kind: CheckpointKind) -> Result<(), String> {
    let old = job(
        vec![
            op_layout("op1", vertex(1, MaxParallelism::Auto), 0, 0),
            op_layout("op2", vertex(1, MaxParallelism::Auto), 1, 0),
            op_layout("op3", vertex(1, MaxParallelism::Auto), 2, 0),
        ],
        2,
    );
    let new = job(
        vec![
            op_layout("op1", vertex(1, MaxParallelism::Auto), 10, 0),
            op_layout("op2", vertex(1, MaxParallelism::Auto), 10, 1),
            op_layout("op3", vertex(1, MaxParallelism::Auto), 11, 0),
        ],
        2,
    );
    let mut cp = checkpoint(0, 0, 2, vec![OperatorState::None; 3]);
    cp.kind = kind;
    mark_finished(&mut cp, &old.operators[0], Fin::Fully);
    match assign(&cp, &old, &new, F23) {
        Ok(_) => Err("the restore was not refused".into()),
        Err(e) => ensure_eq(
            e.to_string(),
            "Can not restore vertex op1 which contain mixed operator finished state: [ALL_RUNNING, FULLY_FINISHED]"
                .to_string(),
            "refusal",
        ),
    }
}

fn finished_state_cases() -> Vec<Case> {
    const VFSC: &str = "VertexFinishedStateCheckerTest";
    const CCRT: &str = "CheckpointCoordinatorRestoringTest";
    const FULLY_AFTER: &str = "Illegal JobGraph modification. Cannot run a program with fully finished vertices \
        predeceased with the ones not fully finished. Task vertex vert2(<id>) has a predecessor not fully finished";
    const PARTLY_ALL_TO_ALL: &str = "Illegal JobGraph modification. Cannot run a program with partially finished \
        vertices predeceased with running or partially finished ones and connected via the ALL_TO_ALL edges. \
        Task vertex vert2(<id>) has a ";
    let v = vec![
        case(flink(VFSC, "testRestoringPartiallyFinishedChainsFailsWithUidHash", "2.x"), F23, || {
            mixed_chain(CheckpointKind::Checkpoint)
        }),
        case(flink(VFSC, "testAddingRunningOperatorBeforeFinishedOneFails", "2.x"), F23, || {
            finished_predecessor(Fin::Running, Fin::Fully, &[true], FULLY_AFTER)
        }),
        case(flink(VFSC, "testAddingPartiallyFinishedOperatorBeforeFinishedOneFails", "2.x"), F23, || {
            finished_predecessor(Fin::Partly, Fin::Fully, &[true], FULLY_AFTER)
        }),
        case(
            flink(VFSC, "testAddingAllRunningOperatorBeforePartiallyFinishedOneWithAllToAllFails", "2.x"),
            F23,
            || {
                finished_predecessor(
                    Fin::Running,
                    Fin::Partly,
                    &[true],
                    &format!("{PARTLY_ALL_TO_ALL}all running predecessor"),
                )
            },
        ),
        case(
            flink(VFSC, "testAddingPartiallyFinishedOperatorBeforePartiallyFinishedOneWithAllToAllFails", "2.x"),
            F23,
            || {
                finished_predecessor(
                    Fin::Partly,
                    Fin::Partly,
                    &[true],
                    &format!("{PARTLY_ALL_TO_ALL}partially finished predecessor"),
                )
            },
        ),
        case(
            flink(
                VFSC,
                "testAddingPartiallyFinishedOperatorBeforePartiallyFinishedOneWithPointwiseAndAllToAllFails",
                "2.x",
            ),
            F23,
            || {
                finished_predecessor(
                    Fin::Partly,
                    Fin::Partly,
                    &[false, true],
                    &format!("{PARTLY_ALL_TO_ALL}partially finished predecessor"),
                )
            },
        ),
        case(flink(VFSC, "testAddingAllRunningOperatorBeforePartiallyFinishedOneFails", "2.x"), F23, || {
            finished_predecessor(
                Fin::Running,
                Fin::Partly,
                &[false],
                "Illegal JobGraph modification. Cannot run a program with partially finished vertices predeceased \
                 with all running ones. Task vertex vert2(<id>) has a all running predecessor",
            )
        }),
        case(flink(CCRT, "testJobGraphModificationsAreCheckedForInitialCheckpoint", "2.x"), F23, || {
            mixed_chain(CheckpointKind::Checkpoint)
        }),
        case(flink(CCRT, "testJobGraphModificationsAreCheckedForSavepoint", "2.x"), F23, || {
            mixed_chain(CheckpointKind::Savepoint)
        }),
    ];
    v
}

fn cases() -> Vec<Case> {
    let mut v = key_group_cases();
    v.extend(finished_state_cases());
    v.extend(state_assignment_cases());
    v.extend(restore_cases());
    v.extend(kafka_cases());
    v.extend(two_pc_cases());
    v
}

#[test]
fn rescale_conformance() {
    let all = cases();
    run_table("rescale", &all, |c| case_name(&c.flink, c.profile), |c| (c.check)());
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, profile_name(c.profile))).collect()
}

// ------------------------------------------------- beyond the ported cases (not counted)

#[test]
fn java_string_hash_matches_java() {
    assert_eq!(java_string_hash(""), 0);
    assert_eq!(java_string_hash("hello"), 99_162_322);
    assert_eq!(java_string_hash("test-topic"), 639_758_388);
    // ((hashCode * 31) & 0x7FFFFFFF) computed with Java's int arithmetic.
    assert_eq!(kafka_topic_start_index("hello", 1_000_000_007), 926_548_334);
    // The model's topics start at index 0 at every parallelism, as Flink's do for a topic
    // whose hashCode is Integer.MIN_VALUE (Java's documented example) or 0: what
    // docs/fidelity-audit.md tells a held-out job to name its topic.
    assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
    assert!((1..=128).all(|p| kafka_topic_start_index("polygenelubricants", p) == 0));
    assert!((1..=128).any(|p| kafka_topic_start_index("test-topic", p) != 0), "an ordinary name rotates");
}

/// (topic, partitions, readers) -> the reader of each partition, as printed by Flink 1.11's
/// `KafkaTopicPartitionAssigner#assign` (compiled from the apache/flink sources with its
/// `KafkaTopicPartition`; 2.x's `KafkaSourceEnumerator#getSplitOwner` is the same expression,
/// read in apache/flink-connector-kafka). `input-topic`, `input-topic-2`, ... are the scenario
/// defaults; `polygenelubricants` hashes to `Integer.MIN_VALUE` (start index 0 everywhere).
const FLINK_SPLIT_OWNERS: &[(&str, u32, u32, &[u32])] = &[
    ("input-topic", 3, 2, &[0, 1, 0]),
    ("input-topic", 4, 3, &[1, 2, 0, 1]),
    ("input-topic", 6, 4, &[0, 1, 2, 3, 0, 1]),
    ("input-topic", 2, 5, &[0, 1]),
    ("input-topic", 5, 7, &[1, 2, 3, 4, 5]),
    ("input-topic-2", 3, 2, &[1, 0, 1]),
    ("input-topic-2", 4, 3, &[0, 1, 2, 0]),
    ("input-topic-2", 6, 4, &[3, 0, 1, 2, 3, 0]),
    ("input-topic-2", 2, 5, &[1, 2]),
    ("input-topic-2", 5, 7, &[5, 6, 0, 1, 2]),
    ("input-topic-3", 3, 2, &[0, 1, 0]),
    ("input-topic-3", 4, 3, &[1, 2, 0, 1]),
    ("input-topic-3", 6, 4, &[2, 3, 0, 1, 2, 3]),
    ("input-topic-3", 2, 5, &[2, 3]),
    ("input-topic-3", 5, 7, &[1, 2, 3, 4, 5]),
    ("test-topic", 3, 2, &[0, 1, 0]),
    ("test-topic", 4, 3, &[0, 1, 2, 0]),
    ("test-topic", 6, 4, &[0, 1, 2, 3, 0, 1]),
    ("test-topic", 2, 5, &[1, 2]),
    ("test-topic", 5, 7, &[5, 6, 0, 1, 2]),
    ("orders", 3, 2, &[1, 0, 1]),
    ("orders", 4, 3, &[0, 1, 2, 0]),
    ("orders", 6, 4, &[3, 0, 1, 2, 3, 0]),
    ("orders", 2, 5, &[4, 0]),
    ("orders", 5, 7, &[3, 4, 5, 6, 0]),
    ("polygenelubricants", 3, 2, &[0, 1, 0]),
    ("polygenelubricants", 4, 3, &[0, 1, 2, 0]),
    ("polygenelubricants", 6, 4, &[0, 1, 2, 3, 0, 1]),
    ("polygenelubricants", 2, 5, &[0, 1]),
    ("polygenelubricants", 5, 7, &[0, 1, 2, 3, 4]),
];

#[test]
fn split_owners_are_flinks_and_the_source_reads_them() {
    for &(topic, partitions, readers, want) in FLINK_SPLIT_OWNERS {
        let got: Vec<u32> = (0..partitions).map(|p| kafka_split_owner(topic, p, readers)).collect();
        assert_eq!(got, want, "{topic}: {partitions} partitions over {readers} readers");
        // The source subtask's owner rule reads exactly those, also for a topic starting at a
        // later broker partition (several sources share one log).
        for first in [0, 3] {
            for sub in 0..readers {
                let mut s = LogSource::new(sub, readers, partitions, F23, StartupMode::Earliest, Variant::Correct);
                s.set_first_partition(first);
                s.set_topic(topic);
                s.initialize(None, &BTreeMap::new(), &BTreeMap::new());
                let read: Vec<u32> = s.positions().keys().map(|p| p.0 - first).collect();
                let mine: Vec<u32> = (0..partitions).filter(|p| want[*p as usize] == sub).collect();
                assert_eq!(read, mine, "{topic} from {first}: subtask {sub} of {readers}");
            }
        }
    }
}

#[test]
fn kafka_2x_splits_rescale_round_robin() {
    // 2.x keeps splits in list state: rescaling moves them round robin, each read once.
    kafka_rescaling(F23, 5, 2, 8, 30).unwrap();
    kafka_rescaling(F23, 5, 10, 2, 100).unwrap();
    kafka_rescaling(F23, 2, 4, 3, 4).unwrap();
}

#[test]
fn restored_max_parallelism_below_parallelism_fails() {
    // StateAssignmentOperation.checkParallelismPreconditions: max parallelism 128 restored
    // into parallelism 200 (whose default would be 512) cannot spread the key groups.
    let ks = keys(50);
    let old = job(vec![op_layout("agg", vertex(2, MaxParallelism::Auto), 0, 1)], 3);
    let cp = checkpoint(0, 1, 3, keyed_states(&ks, 128, 2));
    let new = job(vec![op_layout("agg", vertex(200, MaxParallelism::Auto), 10, 1)], 3);
    assert_eq!(
        assign(&cp, &old, &new, F23).unwrap_err(),
        RescaleError::MaxParallelism {
            uid: "agg".into(),
            source: MaxParallelismRestoreError::BelowParallelism { restored: 128, parallelism: 200 }
        }
    );
    // A derived max parallelism adopts the restored one: 100 subtasks (default 256) restored
    // from max parallelism 128 route with 128.
    let new = job(vec![op_layout("agg", vertex(100, MaxParallelism::Auto), 10, 1)], 3);
    let r = assign(&cp, &old, &new, F23).unwrap();
    assert_eq!(r.vertices["agg"].max_parallelism, 128);
    check_keyed(&states_of(&cp, &old.operators[0]), &states_of(&r.checkpoint, &new.operators[0]), 128).unwrap();
}

#[test]
fn key_in_the_wrong_subtask_is_refused() {
    let ks = keys(50);
    let old = job(vec![op_layout("agg", vertex(2, MaxParallelism::Auto), 0, 1)], 3);
    // Keys routed for parallelism 3 but stored as if by 2 subtasks: some are out of range.
    let mut states = keyed_states(&ks, 128, 3);
    states.pop();
    let cp = checkpoint(0, 1, 3, states);
    let new = job(vec![op_layout("agg", vertex(4, MaxParallelism::Auto), 10, 1)], 3);
    assert!(matches!(assign(&cp, &old, &new, F23), Err(RescaleError::KeyOutsideRange { .. })));
}

#[test]
fn unaligned_in_flight_state_without_input_layouts_moves_only_unscaled() {
    let ks = keys(10);
    let old = job(vec![op_layout("agg", vertex(2, MaxParallelism::Auto), 0, 1)], 3);
    let mut cp = checkpoint(0, 1, 3, keyed_states(&ks, 128, 2));
    cp.tasks.get_mut(&TaskId(0)).unwrap().in_flight.insert(ckptsim::ChannelId(0), vec![rec("x", 0)]);
    let same = job(vec![op_layout("agg", vertex(2, MaxParallelism::Auto), 10, 1)], 3);
    let r = assign(&cp, &old, &same, F23).unwrap();
    assert_eq!(r.checkpoint.tasks[&TaskId(10)].in_flight.len(), 1, "unchanged parallelism keeps channel state");
    let new = job(vec![op_layout("agg", vertex(3, MaxParallelism::Auto), 10, 1)], 3);
    assert!(matches!(
        assign(&cp, &old, &new, F23).unwrap_err(),
        RescaleError::InFlightOnRescale { task: TaskId(0), .. }
    ));
}

/// `inputs` of a layout: vertex `agg` (tasks `first..first + p`) reads one gate from `up`
/// upstream subtasks through `mapper`.
fn with_inputs(mut layout: JobLayout, first: u32, p: u32, up: u32, mapper: ChannelMapper) -> JobLayout {
    for s in 0..p {
        let channels = (0..up).map(|u| InputChannel { gate: 0, upstream_subtask: u, mapper: mapper.clone() }).collect();
        layout
            .inputs
            .insert(TaskId(first + s), TaskInputs { vertex: "agg".into(), subtask: s, channels, gates: Vec::new() });
    }
    layout
}

/// Flink 1.13+ redistributes unaligned channel state on rescale (`StateAssignmentOperation`,
/// `SubtaskStateMapper`; `UnalignedCheckpointRescaleITCase`): behind a key_by edge (`RANGE`,
/// filtered by key group) every in-flight record lands in the new subtask owning its key group,
/// on the channel from upstream subtask `u % p_up_new` (`ARBITRARY`); behind a rebalance edge
/// (`ROUND_ROBIN`, `SubtaskStateMapperTest`) old subtask `j`'s records go to new subtask
/// `j % p_new`; a forward edge whose parallelism changed is refused (`UNSUPPORTED`).
#[test]
fn unaligned_in_flight_state_is_redistributed_on_rescale() {
    let ks = keys(40);
    let keyed = ChannelMapper::KeyGroups { uid: "agg".into() };
    for (p_old, p_new, up_old, up_new) in [(2u32, 3u32, 2u32, 3u32), (3, 2, 3, 2), (2, 1, 2, 2), (1, 2, 3, 1)] {
        let old = with_inputs(
            job(vec![op_layout("agg", vertex(p_old, MaxParallelism::Auto), 0, 1)], 3),
            0,
            p_old,
            up_old,
            keyed.clone(),
        );
        let new = with_inputs(
            job(vec![op_layout("agg", vertex(p_new, MaxParallelism::Auto), 10, 1)], 3),
            10,
            p_new,
            up_new,
            keyed.clone(),
        );
        let mut cp = checkpoint(0, 1, 3, keyed_states(&ks, 128, p_old));
        // Every key's in-flight record sits with its old owner, on the channel of upstream (seq % up_old).
        for (seq, k) in ks.iter().enumerate() {
            let owner = assign_key_to_parallel_operator(k, 128, p_old);
            let r = Record { value: k.clone(), lineage: Lineage { input_seq: seq as u64, sub: 0 }, timestamp: None };
            let ch = ckptsim::ChannelId(seq as u32 % up_old);
            cp.tasks.get_mut(&TaskId(owner)).unwrap().in_flight.entry(ch).or_default().push(r);
        }
        let r = assign(&cp, &old, &new, F23).unwrap();
        let mut seen = 0;
        for (t, snap) in &r.checkpoint.tasks {
            for (ch, records) in &snap.in_flight {
                for rec in records {
                    let want = assign_key_to_parallel_operator(&rec.value, 128, p_new);
                    assert_eq!(t.0 - 10, want, "{p_old}->{p_new}: {:?} replayed by subtask {}", rec.value, t.0 - 10);
                    assert_eq!(ch.0, (rec.lineage.input_seq as u32 % up_old) % up_new, "upstream channel");
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, ks.len(), "{p_old}->{p_new}: every in-flight record once");
        // The planted bug routes by old subtask: some record lands off its key group.
        let planted = rescale_in_flight(&cp, &old, &new, &r.vertices, InFlightRouting::BySubtask).unwrap();
        let misplaced = planted
            .iter()
            .flat_map(|(t, m)| m.values().flatten().map(move |rec| (t, rec)))
            .filter(|(t, rec)| assign_key_to_parallel_operator(&rec.value, 128, p_new) != t.0 - 10)
            .count();
        assert!(p_new == 1 || misplaced > 0, "{p_old}->{p_new}: the planted routing misplaces a record");
    }
    // Rebalance: ROUND_ROBIN, 5 -> 2: new 0 gets old 0, 2, 4; new 1 gets old 1, 3 (SubtaskStateMapperTest).
    let old = with_inputs(
        job(vec![op_layout("agg", vertex(5, MaxParallelism::Auto), 0, 1)], 3),
        0,
        5,
        1,
        ChannelMapper::RoundRobin,
    );
    let new = with_inputs(
        job(vec![op_layout("agg", vertex(2, MaxParallelism::Auto), 10, 1)], 3),
        10,
        2,
        1,
        ChannelMapper::RoundRobin,
    );
    let mut cp = checkpoint(0, 1, 3, vec![OperatorState::None; 5]);
    for j in 0..5u32 {
        cp.tasks
            .get_mut(&TaskId(j))
            .unwrap()
            .in_flight
            .insert(ckptsim::ChannelId(0), vec![rec(&format!("r{j}"), u64::from(j))]);
    }
    let r = assign(&cp, &old, &new, F23).unwrap();
    let got = |t: u32| -> Vec<u64> {
        r.checkpoint.tasks[&TaskId(t)].in_flight.values().flatten().map(|r| r.lineage.input_seq).collect()
    };
    assert_eq!((got(10), got(11)), (vec![0, 2, 4], vec![1, 3]));
    // Forward: refused when the parallelism changes.
    let old = with_inputs(
        job(vec![op_layout("agg", vertex(2, MaxParallelism::Auto), 0, 1)], 3),
        0,
        2,
        1,
        ChannelMapper::Unsupported,
    );
    let new = with_inputs(
        job(vec![op_layout("agg", vertex(3, MaxParallelism::Auto), 10, 1)], 3),
        10,
        3,
        1,
        ChannelMapper::Unsupported,
    );
    let mut cp = checkpoint(0, 1, 3, vec![OperatorState::None; 2]);
    cp.tasks.get_mut(&TaskId(1)).unwrap().in_flight.insert(ckptsim::ChannelId(0), vec![rec("x", 0)]);
    assert!(matches!(
        assign(&cp, &old, &new, F23).unwrap_err(),
        RescaleError::InFlightOnRescale { task: TaskId(1), .. }
    ));
}

#[test]
fn state_of_a_removed_operator_needs_allow_non_restored_state() {
    let ks = keys(10);
    let old = job(vec![op_layout("agg", vertex(2, MaxParallelism::Auto), 0, 1)], 3);
    let cp = checkpoint(0, 1, 3, keyed_states(&ks, 128, 2));
    let mut new = job(vec![op_layout("other", vertex(2, MaxParallelism::Auto), 10, 1)], 3);
    assert_eq!(assign(&cp, &old, &new, F23).unwrap_err(), RescaleError::UnmappedState { uid: "agg".into() });
    new.allow_non_restored_state = true;
    assert!(assign(&cp, &old, &new, F23).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// For random key sets and parallelism chains (2 -> 3 -> 1 ...), with the default or an
    /// explicit max parallelism, the union of the restored keyed state equals the snapshot at
    /// every step and every key lands on `assign_key_to_parallel_operator(key, max, p')`.
    #[test]
    fn keyed_state_follows_its_keys(
        n_keys in 0i64..300,
        chain in proptest::collection::vec(1u32..12, 2..6),
        explicit in proptest::option::of(12u32..300),
        window in any::<bool>(),
    ) {
        let configured = explicit.map_or(MaxParallelism::Auto, MaxParallelism::Explicit);
        let ks = keys(n_keys);
        let max = vertex(chain[0], configured).max_parallelism;
        let mut layout = job(vec![op_layout("agg", vertex(chain[0], configured), 0, 1)], 3);
        let mut states = keyed_states(&ks, max, chain[0]);
        if window {
            states = states.into_iter().map(|s| match s {
                OperatorState::Keyed(m) => OperatorState::Window(m.into_iter().map(|(k, v)| (k, (3, v))).collect()),
                other => other,
            }).collect();
        }
        let original: BTreeSet<String> = states.iter().flat_map(|s| match s {
            OperatorState::Keyed(m) => m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
            OperatorState::Window(m) => m.iter().map(|(k, (n, v))| format!("{k}={v}/{n}")).collect(),
            _ => Vec::new(),
        }).collect();
        let mut first = 0;
        for &p in &chain[1..] {
            let cp = checkpoint(first, 1, 3, states.clone());
            first += 100;
            let new = job(vec![op_layout("agg", vertex(p, configured), first, 1)], 3);
            let r = assign(&cp, &layout, &new, Profile::Flink23).unwrap();
            prop_assert_eq!(r.vertices["agg"].max_parallelism, max);
            states = states_of(&r.checkpoint, &new.operators[0]);
            prop_assert_eq!(states.len(), p as usize);
            let mut restored = BTreeSet::new();
            for (i, st) in states.iter().enumerate() {
                let entries: Vec<(Value, String)> = match st {
                    OperatorState::Keyed(m) => { prop_assert!(!window); m.iter().map(|(k, v)| (k.clone(), format!("{k}={v}"))).collect() }
                    OperatorState::Window(m) => { prop_assert!(window); m.iter().map(|(k, (n, v))| (k.clone(), format!("{k}={v}/{n}"))).collect() }
                    other => { prop_assert!(false, "subtask {} restores {:?}", i, other); unreachable!() }
                };
                for (k, e) in entries {
                    prop_assert_eq!(assign_key_to_parallel_operator(&k, max, p), i as u32);
                    prop_assert!(restored.insert(e));
                }
            }
            prop_assert_eq!(&restored, &original);
            let mut next = new.clone();
            next.operators[0].vertex = r.vertices["agg"];
            layout = next;
        }
    }

    /// Round-robin split keeps every entry exactly once, in order, with chunk sizes at most
    /// one apart (and unchanged at unchanged parallelism).
    #[test]
    fn split_keeps_every_entry_once(
        old in proptest::collection::vec(proptest::collection::vec(0u32..1000, 0..6), 1..8),
        new_p in 1u32..10,
    ) {
        let parts = repartition_split(&old, new_p);
        prop_assert_eq!(parts.len(), new_p as usize);
        let flat: Vec<u32> = parts.iter().flatten().copied().collect();
        let want: Vec<u32> = old.iter().flatten().copied().collect();
        prop_assert_eq!(flat, want);
        if old.len() == new_p as usize {
            prop_assert_eq!(&parts, &old);
        } else {
            let lens: Vec<usize> = parts.iter().map(Vec::len).collect();
            prop_assert!(lens.iter().max().unwrap() - lens.iter().min().unwrap() <= 1);
        }
    }

    /// 2PC entries through random rescale chains: every pre-committed record committed once.
    #[test]
    fn two_phase_commit_rescale_chain(chain in proptest::collection::vec(1u32..6, 1..5)) {
        prop_assert_eq!(two_pc_chain(&chain), Ok(()));
    }
}

// The range check used by the ported cases must also reject what Flink rejects.
#[test]
fn key_group_range_preconditions() {
    assert!(compute_key_group_range_for_operator_index(0, 1, 0).is_err());
    assert!(compute_key_group_range_for_operator_index(UPPER_BOUND_MAX_PARALLELISM + 1, 1, 0).is_err());
    assert!(compute_key_group_range_for_operator_index(4, 5, 0).is_err());
    assert_eq!(compute_key_group_range_for_operator_index(128, 3, 0), Ok(KeyGroupRange::of(0, 42)));
    assert_eq!(compute_key_group_range_for_operator_index(128, 3, 1), Ok(KeyGroupRange::of(43, 85)));
    assert_eq!(compute_key_group_range_for_operator_index(128, 3, 2), Ok(KeyGroupRange::of(86, 127)));
}

/// Not a ported case (session 41): what `VertexFinishedStateChecker` lets through, and that
/// flink-1.11 (no finished operator state) checks nothing. A fully finished predecessor of a
/// partly finished vertex over ALL_TO_ALL, a partly finished one over POINTWISE, two fully
/// finished vertices, and running vertices after finished ones all restore.
#[test]
fn finished_states_flink_accepts_restore() {
    let v1 = op_layout("vert1", vertex(2, MaxParallelism::Auto), 0, 0);
    let v2 = op_layout("vert2", vertex(2, MaxParallelism::Auto), 2, 0);
    for (f1, f2, all_to_all) in [
        (Fin::Fully, Fin::Partly, true),
        (Fin::Partly, Fin::Partly, false),
        (Fin::Fully, Fin::Fully, true),
        (Fin::Fully, Fin::Running, true),
        (Fin::Partly, Fin::Running, true),
        (Fin::Running, Fin::Running, true),
    ] {
        let mut layout = job(vec![v1.clone(), v2.clone()], 1);
        for s in 0..2u32 {
            let gates = vec![GateSource { upstream: "vert1".into(), all_to_all }];
            layout
                .inputs
                .insert(TaskId(2 + s), TaskInputs { vertex: "vert2".into(), subtask: s, channels: Vec::new(), gates });
        }
        let mut cp = checkpoint(0, 0, 1, vec![OperatorState::None; 4]);
        mark_finished(&mut cp, &v1, f1);
        mark_finished(&mut cp, &v2, f2);
        assert!(assign(&cp, &layout, &layout, F23).is_ok());
        // The refused combinations restore under flink-1.11, which never builds such entries.
        let mut refused = cp.clone();
        mark_finished(&mut refused, &v2, Fin::Fully);
        for t in [TaskId(0), TaskId(1)] {
            refused.tasks.get_mut(&t).expect("task").finished = false;
        }
        assert!(assign(&refused, &layout, &layout, F23).is_err());
        assert!(assign(&refused, &layout, &layout, F111).is_ok());
    }
}
