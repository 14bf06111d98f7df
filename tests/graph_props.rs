//! Property tests over generated job graphs driven on the sans-IO core (no madsim): several sources, union / keyed join / connect, keyed sums, branching to several sinks over forward, hash, rebalance and broadcast edges, under aligned, unaligned and at-least-once checkpoints with random interleavings of records, barriers, checkpoints and failovers.
//!
//! A generated graph is written as a scenario file and loaded (`ckptsim_sim::load`), laid out by
//! the world's `Graph` (chaining, channels per input gate, partitioners), and then driven here
//! without the world: every task is a core `Task`, every input channel an in-memory FIFO queue
//! (an unaligned barrier goes to the queue's head and carries the records it overtook, as the
//! world's data plane does), the JobManager is reduced to "trigger at the sources, complete when
//! every task acknowledged, notify everyone", and a failover redeploys every task from the latest
//! completed checkpoint (each sink's transactions in its own `TxnStore`). The proptest schedule
//! picks, at each step, one enabled action: deliver the head of an unblocked channel, let a source
//! read its next record, trigger a checkpoint, or fail the job over. After the schedule the job is
//! run to quiescence and a last checkpoint completes.
//!
//! Properties, against the same job run without failures:
//! * aligned and unaligned: the two-phase-commit sink (the first; a job has at most one) commits
//!   exactly the lineages of the fault-free run, each once, no store anomaly; every keyed state
//!   (sums, the join's sides) in the last checkpoint equals the fault-free one (exactly-once
//!   state); the other sinks print, and print every lineage at least once;
//! * at-least-once (print sinks only): every sink printed every lineage of the fault-free run at
//!   least once (duplicates allowed, no loss).
//!
//! Planted protocol variants must make some generated case fail (`planted_*` tests).

use ckptsim::ids::{Attempt, ChannelId, CheckpointId, Offset, PartitionId, TaskId};
use ckptsim::operator::SurvivingCounters;
use ckptsim::record::{Barrier, Lineage, LogRecord, StreamElement, Value};
use ckptsim::sink::TxnStore;
use ckptsim::state::{OperatorState, TaskSnapshot};
use ckptsim::store::CompletedCheckpoint;
use ckptsim::task::{Task, TaskOutput};
use ckptsim::Variant;
use ckptsim_sim::graph::Graph;
use ckptsim_sim::spec::{InputSpec, JobSpec};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::collections::{BTreeMap, VecDeque};

/// The checkpointing mode of a case.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Mode {
    Aligned,
    Unaligned,
    AtLeastOnce,
}

/// How the sources meet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Combine {
    /// One source, no multi-input operator.
    Single,
    /// Every source into a union.
    Union,
    /// Two sources keyed into the keyed two-input join.
    Join,
    /// Two sources into a connect co-map.
    Connect,
}

/// An edge between two task operators.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Edge {
    Forward,
    Hash,
    Rebalance,
    Broadcast,
}

/// A generated job graph.
#[derive(Clone, Debug)]
struct Shape {
    /// Per source: (parallelism, partitions, records).
    sources: Vec<(u32, u32, u32)>,
    combine: Combine,
    /// Per source, the edge into the union / connect.
    into: Vec<Edge>,
    combine_parallelism: u32,
    /// A `to_pair_one -> key_by -> sum` stage after the sources meet, with its parallelism.
    sum: Option<u32>,
    /// Per sink: the edge from the last operator, and its parallelism.
    sinks: Vec<(Edge, u32)>,
    keys: u32,
}

impl Shape {
    /// The scenario file of this graph.
    fn toml(&self, mode: Mode) -> String {
        let mut s = String::from("name = \"graph-prop\"\nprofile = \"flink-2.3\"\nseed = 1\nstop_at_ms = 100000\n");
        s += "[checkpoint]\ninterval_ms = 1000\n";
        match mode {
            Mode::Aligned => {}
            Mode::Unaligned => s += "unaligned = true\n",
            Mode::AtLeastOnce => s += "mode = \"at-least-once\"\n",
        }
        s += "[cluster]\ntask_managers = 2\n";
        let mut ops = String::new();
        let mut op = |text: String| ops += &format!("\n[[operators]]\n{text}");
        let mut inputs = String::new();
        let mut heads = Vec::new();
        for (i, &(p, parts, count)) in self.sources.iter().enumerate() {
            op(format!("kind = \"log-source\"\nname = \"S{i}\"\nparallelism = {p}\nstartup = \"earliest\"\n"));
            let table = if self.sources.len() == 1 { "input".to_string() } else { format!("inputs.S{i}") };
            inputs += &format!(
                "\n[{table}]\npartitions = {parts}\ngenerator = {{ count = {count}, rate_per_s = 100, keys = {}, start_ms = {} }}\n",
                self.keys,
                10 + i
            );
            heads.push(format!("S{i}"));
        }
        let edge = |op: &mut dyn FnMut(String), from: &str, e: Edge, name: &str| -> String {
            let kind = match e {
                Edge::Forward => return from.to_string(),
                Edge::Hash => "key_by",
                Edge::Rebalance => "rebalance",
                Edge::Broadcast => "broadcast",
            };
            op(format!("kind = \"{kind}\"\nname = \"{name}\"\ninputs = [\"{from}\"]\n"));
            name.to_string()
        };
        let p = self.combine_parallelism;
        let last = match self.combine {
            Combine::Single => heads[0].clone(),
            Combine::Union | Combine::Connect => {
                let ins: Vec<String> =
                    heads.iter().enumerate().map(|(i, h)| edge(&mut op, h, self.into[i], &format!("E{i}"))).collect();
                let list = ins.iter().map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(", ");
                if self.combine == Combine::Union {
                    op(format!("kind = \"union\"\nname = \"M\"\nparallelism = {p}\ninputs = [{list}]\n"));
                } else {
                    op(format!(
                        "kind = \"connect\"\nname = \"M\"\nparallelism = {p}\ninputs = [{list}]\nfunction = \"uppercase\"\nsecond_function = \"identity\"\n"
                    ));
                }
                "M".into()
            }
            Combine::Join => {
                let ins: Vec<String> =
                    heads.iter().enumerate().map(|(i, h)| edge(&mut op, h, Edge::Hash, &format!("E{i}"))).collect();
                let list = ins.iter().map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(", ");
                op(format!("kind = \"join\"\nname = \"M\"\nparallelism = {p}\ninputs = [{list}]\n"));
                "M".into()
            }
        };
        let last = match self.sum {
            None => last,
            Some(sp) => {
                op(format!(
                    "kind = \"map\"\nname = \"Pair\"\nparallelism = {p}\nfunction = \"to_pair_one\"\ninputs = [\"{last}\"]\n"
                ));
                op("kind = \"key_by\"\nname = \"ByKey\"\ninputs = [\"Pair\"]\n".into());
                op(format!("kind = \"sum\"\nname = \"Sum\"\nparallelism = {sp}\ninputs = [\"ByKey\"]\n"));
                "Sum".into()
            }
        };
        for (i, &(e, sp)) in self.sinks.iter().enumerate() {
            // One two-phase-commit sink at most (one sink store); the other sinks print.
            let sink = if mode == Mode::AtLeastOnce || i > 0 { "print-sink" } else { "two-phase-commit-sink" };
            let from = edge(&mut op, &last, e, &format!("To{i}"));
            op(format!("kind = \"{sink}\"\nname = \"Sink{i}\"\nparallelism = {sp}\ninputs = [\"{from}\"]\n"));
        }
        s + &ops + &inputs
    }

    fn spec(&self, mode: Mode, variant: Variant) -> JobSpec {
        let text = self.toml(mode);
        let sc = ckptsim_sim::scenario::parse("graph-prop.toml", &text)
            .unwrap_or_else(|e| panic!("generated graph does not load: {e}\n{text}"));
        let mut spec = ckptsim_sim::load::to_spec(&sc, "graph-prop.toml");
        spec.variant = variant;
        spec
    }
}

/// An edge into a non-keyed operator (a hash edge feeds only keyed ones: the join and the sum).
fn edge() -> impl Strategy<Value = Edge> {
    prop_oneof![Just(Edge::Forward), Just(Edge::Rebalance), Just(Edge::Broadcast)]
}

/// Graphs; `combine` fixed when given.
fn shape(combine: Option<Combine>) -> impl Strategy<Value = Shape> {
    let combine = match combine {
        Some(c) => Just(c).boxed(),
        None => prop_oneof![Just(Combine::Single), Just(Combine::Union), Just(Combine::Join), Just(Combine::Connect)]
            .boxed(),
    };
    combine
        .prop_flat_map(|c| {
            let n = match c {
                Combine::Single => 1..=1usize,
                Combine::Union => 2..=3,
                Combine::Join | Combine::Connect => 2..=2,
            };
            (
                Just(c),
                prop::collection::vec((1u32..=2, 1u32..=2, 2u32..=8), n.clone()),
                prop::collection::vec(edge(), 3),
                1u32..=2,
                prop::option::of(1u32..=2),
                prop::collection::vec(
                    (prop_oneof![Just(Edge::Forward), Just(Edge::Rebalance), Just(Edge::Broadcast)], 1u32..=2),
                    1..=2,
                ),
                2u32..=4,
            )
        })
        .prop_map(|(combine, sources, into, combine_parallelism, sum, sinks, keys)| Shape {
            sources,
            combine,
            into,
            combine_parallelism,
            // A sum after the join would sum the join's order-dependent pair counts.
            sum: if combine == Combine::Join { None } else { sum },
            sinks,
            keys,
        })
}

/// A stream element in a queue, with the records a priority barrier overtook.
type Queued = (StreamElement, u32);

/// One run of a job on the core: the tasks, their channels and the checkpoints.
struct Harness<'a> {
    spec: &'a JobSpec,
    graph: Graph,
    /// Per partition, its records in offset order.
    log: Vec<Vec<LogRecord>>,
    log_end: BTreeMap<PartitionId, Offset>,
    tasks: Vec<Task>,
    queues: Vec<Vec<VecDeque<Queued>>>,
    /// Per task, per output channel: (downstream task, its input channel).
    outs: Vec<Vec<(usize, usize)>>,
    /// Per task: the sink operator at its tail, if any.
    sink_of: Vec<Option<usize>>,
    is_source: Vec<bool>,
    counters: SurvivingCounters,
    stores: BTreeMap<usize, TxnStore>,
    printed: BTreeMap<usize, Vec<Lineage>>,
    store_anomalies: Vec<String>,
    pending: Option<(Barrier, BTreeMap<TaskId, TaskSnapshot>)>,
    latest: Option<CompletedCheckpoint>,
    next_id: u64,
    attempt: u32,
    now: u64,
    failed: bool,
    /// Failovers that restored a completed checkpoint, and the in-flight records they restored.
    restores: u32,
    in_flight_restored: usize,
}

/// What a run left: per sink its output lineages (committed or printed), and the keyed state of
/// the last completed checkpoint by (vertex, operator slot).
struct Outcome {
    outputs: BTreeMap<usize, BTreeMap<(u64, u32), usize>>,
    keyed: BTreeMap<(usize, usize), BTreeMap<Value, Value>>,
    store_anomalies: Vec<String>,
    restores: u32,
    in_flight_restored: usize,
}

impl<'a> Harness<'a> {
    fn new(spec: &'a JobSpec) -> Self {
        let graph = Graph::build(spec);
        let InputSpec::Log { partitions, records } = &spec.input else { panic!("a log input") };
        let mut log: Vec<Vec<LogRecord>> = vec![Vec::new(); *partitions as usize];
        for (seq, (_, p, v)) in records.iter().enumerate() {
            let part = &mut log[p as usize];
            part.push(LogRecord {
                partition: PartitionId(p),
                offset: Offset(part.len() as u64),
                value: Value::str(&v),
                lineage: Lineage { input_seq: seq as u64, sub: 0 },
                timestamp: None,
            });
        }
        let log_end = log.iter().enumerate().map(|(p, v)| (PartitionId(p as u32), Offset(v.len() as u64))).collect();
        let (queues, outs) = ckptsim_sim::floor::wire(&graph);
        let sink_of = graph
            .task_vertex
            .iter()
            .map(|(v, _)| graph.vertices[*v].ops.last().copied().filter(|o| spec.operators[*o].kind.is_sink()))
            .collect();
        let is_source = graph.tasks.iter().map(|t| t.is_source).collect();
        let mut h = Harness {
            spec,
            graph,
            log,
            log_end,
            tasks: Vec::new(),
            queues,
            outs,
            sink_of,
            is_source,
            counters: SurvivingCounters::default(),
            stores: BTreeMap::new(),
            printed: BTreeMap::new(),
            store_anomalies: Vec::new(),
            pending: None,
            latest: None,
            next_id: 1,
            attempt: 0,
            now: 1,
            failed: false,
            restores: 0,
            in_flight_restored: 0,
        };
        h.deploy();
        h
    }

    /// (Re)creates every task from the latest completed checkpoint.
    fn deploy(&mut self) {
        for q in self.queues.iter_mut().flatten() {
            q.clear();
        }
        self.pending = None;
        self.tasks.clear();
        for t in 0..self.graph.tasks.len() {
            let spec = self.graph.task_spec(self.spec, TaskId(t as u32), Attempt(self.attempt));
            let task =
                Task::new(spec, self.now, self.latest.as_ref(), &BTreeMap::new(), &self.log_end, &mut self.counters);
            self.tasks.push(task);
        }
        for t in 0..self.tasks.len() {
            self.route(t);
        }
    }

    /// A source's next unread record (the first partition it reads with one left).
    fn next_record(&self, t: usize) -> Option<LogRecord> {
        let pos = self.tasks[t].fetch_positions()?;
        pos.iter().find_map(|(p, o)| self.log.get(p.0 as usize)?.get(o.0 as usize).cloned())
    }

    /// The enabled actions, in a fixed order: deliveries (task, channel), then reads (task).
    fn enabled(&self) -> Vec<(usize, Option<usize>)> {
        let mut out = Vec::new();
        for t in 0..self.tasks.len() {
            if self.tasks[t].has_failed() {
                continue;
            }
            for ch in 0..self.queues[t].len() {
                if !self.queues[t][ch].is_empty() && !self.tasks[t].is_blocked(ChannelId(ch as u32)) {
                    out.push((t, Some(ch)));
                }
            }
        }
        for t in 0..self.tasks.len() {
            if self.is_source[t] && self.next_record(t).is_some() {
                out.push((t, None));
            }
        }
        out
    }

    fn step(&mut self, (t, ch): (usize, Option<usize>)) {
        self.now += 1;
        match ch {
            Some(ch) => {
                let (el, overtaken) = self.queues[t][ch].pop_front().expect("enabled");
                self.tasks[t].handle_input(self.now, ChannelId(ch as u32), el, overtaken, &mut self.counters);
            }
            None => {
                let rec = self.next_record(t).expect("enabled");
                self.tasks[t].handle_log_records(self.now, &[rec], &mut self.counters);
            }
        }
        self.route(t);
        self.timers();
    }

    fn timers(&mut self) {
        for t in 0..self.tasks.len() {
            if self.tasks[t].poll_timeout().is_some_and(|d| d <= self.now) {
                self.tasks[t].handle_timeout(self.now);
                self.route(t);
            }
        }
    }

    fn trigger(&mut self) {
        self.now += 1;
        let barrier =
            ckptsim_sim::floor::checkpoint_barrier(&self.spec.checkpoint, CheckpointId(self.next_id), self.now, 0);
        self.next_id += 1;
        self.pending = Some((barrier, BTreeMap::new()));
        for t in 0..self.tasks.len() {
            if self.is_source[t] {
                self.tasks[t].handle_trigger(self.now, barrier);
                self.route(t);
            }
        }
    }

    /// Global failover: every task redeployed from the latest completed checkpoint.
    fn fail_over(&mut self) {
        for t in 0..self.tasks.len() {
            self.tasks[t].close();
            self.route(t);
        }
        self.failed = false;
        self.attempt += 1;
        self.now += 1;
        if let Some(cp) = &self.latest {
            self.restores += 1;
            self.in_flight_restored += cp.tasks.values().map(|t| t.in_flight.len()).sum::<usize>();
        }
        self.deploy();
    }

    fn route(&mut self, t: usize) {
        let mut notify = Vec::new();
        while let Some(out) = self.tasks[t].poll_output() {
            match out {
                out @ (TaskOutput::Emit { .. }
                | TaskOutput::EmitBarrier { .. }
                | TaskOutput::EmitCancelMarker { .. }) => {
                    ckptsim_sim::floor::deliver(&mut self.queues, &self.outs[t], out)
                }
                TaskOutput::Snapshot { id, snapshot, .. } => {
                    let n = self.tasks.len();
                    let Some((barrier, acks)) = self.pending.as_mut().filter(|(b, _)| b.id == id) else { continue };
                    acks.insert(TaskId(t as u32), snapshot);
                    if acks.len() == n {
                        let kind = barrier.kind;
                        let trigger_ms = barrier.timestamp_ms;
                        let (_, tasks) = self.pending.take().expect("pending");
                        let size_bytes = tasks.values().map(TaskSnapshot::size_bytes).sum();
                        self.latest = Some(CompletedCheckpoint {
                            id,
                            kind,
                            trigger_ms,
                            completed_ms: self.now,
                            tasks,
                            size_bytes,
                            external: false,
                        });
                        notify.push((true, id));
                    }
                }
                TaskOutput::Decline { id, .. } => {
                    if self.pending.as_ref().is_some_and(|(b, _)| b.id == id) {
                        self.pending = None;
                        notify.push((false, id));
                    }
                }
                TaskOutput::PrintRow { record } => {
                    let sink = self.sink_of[t].expect("a print sink task");
                    self.printed.entry(sink).or_default().push(record.lineage);
                }
                TaskOutput::Sink(op) => {
                    let sink = self.sink_of[t].expect("a 2PC sink task");
                    let store = self.stores.entry(sink).or_default();
                    if let Err(e) = store.apply(self.now, op.clone()) {
                        self.store_anomalies.push(format!("sink {sink}: {e:?} on {op:?}"));
                    }
                }
                TaskOutput::Failed { .. } => self.failed = true,
                TaskOutput::PrioritizeBarriers { .. }
                | TaskOutput::ConvertBarrier { .. }
                | TaskOutput::CommitOffsets { .. }
                | TaskOutput::EmitWatermark { .. }
                | TaskOutput::EmitWatermarkStatus { .. }
                | TaskOutput::EmitEndOfData
                | TaskOutput::LateRecord { .. } => {}
            }
        }
        for (complete, id) in notify {
            self.now += 1;
            for u in 0..self.tasks.len() {
                if complete {
                    self.tasks[u].handle_notify_complete(self.now, id);
                } else {
                    self.tasks[u].handle_notify_aborted(self.now, id);
                }
                self.route(u);
            }
        }
    }

    /// Runs `schedule` (at most `failures` failovers), then to quiescence, then completes one
    /// more checkpoint.
    fn run(mut self, schedule: &[u16], failures: u32) -> Outcome {
        let mut failed_over = 0;
        for &choice in schedule {
            let enabled = self.enabled();
            // One step in 16 triggers a checkpoint (none pending), one fails the job over
            // (within `failures`), the others deliver or read.
            match choice % 16 {
                0 if self.pending.is_none() => self.trigger(),
                // Before the first completed checkpoint only one in four of them (a restart from
                // nothing), so that most failovers restore a checkpoint.
                1 if failed_over < failures && (self.latest.is_some() || choice % 64 == 1) => {
                    failed_over += 1;
                    self.fail_over();
                }
                _ if !enabled.is_empty() => self.step(enabled[usize::from(choice / 16) % enabled.len()]),
                _ => {}
            }
            if self.failed {
                self.fail_over();
            }
        }
        self.finish()
    }

    fn quiesce(&mut self) {
        let mut budget = 100_000;
        while let Some(&a) = self.enabled().first() {
            self.step(a);
            budget -= 1;
            assert!(budget > 0, "no quiescence");
        }
    }

    fn finish(mut self) -> Outcome {
        for _ in 0..3 {
            self.quiesce();
            if self.pending.is_some() {
                // A checkpoint of the schedule still waits (its barriers were delivered as far
                // as they go): abort it.
                let (b, _) = self.pending.take().expect("pending");
                for u in 0..self.tasks.len() {
                    self.tasks[u].handle_notify_aborted(self.now, b.id);
                    self.route(u);
                }
                self.quiesce();
            }
            let before = self.latest.as_ref().map(|c| c.id);
            self.trigger();
            self.quiesce();
            if self.latest.as_ref().map(|c| c.id) != before {
                break;
            }
        }
        assert!(self.pending.is_none(), "the last checkpoint did not complete");
        let mut outputs: BTreeMap<usize, BTreeMap<(u64, u32), usize>> = BTreeMap::new();
        for (sink, store) in &self.stores {
            let o = outputs.entry(*sink).or_default();
            for (_, r) in store.committed() {
                *o.entry((r.lineage.input_seq, r.lineage.sub)).or_default() += 1;
            }
        }
        for (sink, rows) in &self.printed {
            let o = outputs.entry(*sink).or_default();
            for l in rows {
                *o.entry((l.input_seq, l.sub)).or_default() += 1;
            }
        }
        let mut keyed: BTreeMap<(usize, usize), BTreeMap<Value, Value>> = BTreeMap::new();
        if let Some(cp) = &self.latest {
            for (t, snap) in &cp.tasks {
                let (v, _) = self.graph.task_vertex[t.0 as usize];
                for (i, st) in snap.operators.iter().enumerate() {
                    if let OperatorState::Keyed(m) = st {
                        keyed.entry((v, i)).or_default().extend(m.iter().map(|(k, x)| (k.clone(), x.clone())));
                    }
                }
            }
        }
        Outcome {
            outputs,
            keyed,
            store_anomalies: self.store_anomalies,
            restores: self.restores,
            in_flight_restored: self.in_flight_restored,
        }
    }
}

/// Runs `shape` under `mode` with `schedule` and `failures`, and checks the properties against
/// the fault-free run of the correct protocol.
fn check(shape: &Shape, mode: Mode, variant: Variant, schedule: &[u16], failures: u32) -> Result<(), TestCaseError> {
    let spec = shape.spec(mode, variant);
    let correct = shape.spec(mode, Variant::Correct);
    let want = Harness::new(&correct).run(&[], 0);
    let got = Harness::new(&spec).run(schedule, failures);
    prop_assert!(want.store_anomalies.is_empty(), "fault-free run: {:?}", want.store_anomalies);
    prop_assert!(!want.outputs.is_empty(), "the fault-free run output nothing");
    for (sink, lineages) in &want.outputs {
        prop_assert!(lineages.values().all(|n| *n == 1), "fault-free run: a duplicate at sink {sink}");
        let empty = BTreeMap::new();
        let have = got.outputs.get(sink).unwrap_or(&empty);
        if spec.operators[*sink].kind != ckptsim_sim::spec::OpKind::TwoPhaseCommitSink {
            let lost: Vec<&(u64, u32)> = lineages.keys().filter(|l| !have.contains_key(l)).collect();
            prop_assert!(lost.is_empty(), "sink {sink}: lost {lost:?}");
        } else {
            let lost: Vec<&(u64, u32)> = lineages.keys().filter(|l| !have.contains_key(l)).collect();
            let dup: Vec<(&(u64, u32), &usize)> = have.iter().filter(|(_, n)| **n > 1).collect();
            let extra: Vec<&(u64, u32)> = have.keys().filter(|l| !lineages.contains_key(l)).collect();
            prop_assert!(
                lost.is_empty() && dup.is_empty() && extra.is_empty(),
                "sink {sink}: lost {lost:?}, duplicated {dup:?}, unexpected {extra:?}"
            );
        }
    }
    if mode != Mode::AtLeastOnce {
        prop_assert!(got.store_anomalies.is_empty(), "store: {:?}", got.store_anomalies);
        prop_assert_eq!(&got.keyed, &want.keyed, "keyed state of the last checkpoint");
    }
    Ok(())
}

fn schedule() -> impl Strategy<Value = (Vec<u16>, u32)> {
    (prop::collection::vec(any::<u16>(), 40..240), 0u32..=2)
}

proptest! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]

    #[test]
    fn aligned_graphs_are_exactly_once(shape in shape(None), (s, f) in schedule()) {
        check(&shape, Mode::Aligned, Variant::Correct, &s, f)?;
    }

    #[test]
    fn unaligned_graphs_are_exactly_once(shape in shape(None), (s, f) in schedule()) {
        check(&shape, Mode::Unaligned, Variant::Correct, &s, f)?;
    }

    #[test]
    fn at_least_once_graphs_never_lose(shape in shape(None), (s, f) in schedule()) {
        check(&shape, Mode::AtLeastOnce, Variant::Correct, &s, f)?;
    }
}

/// Whether the properties catch `variant` under `mode` within `cases` generated cases (a fixed
/// seed: the same cases every run).
fn caught(variant: Variant, mode: Mode, combine: Option<Combine>, cases: u32) -> Option<String> {
    let config = Config { cases, max_shrink_iters: 64, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let result = runner.run(&(shape(combine), schedule()), |(shape, (s, f))| check(&shape, mode, variant, &s, f));
    let why = result.err().map(|e| e.to_string());
    // Caught by a property, not by a panic of the harness.
    if let Some(w) = &why {
        assert!(["lost", "duplicated", "keyed state", "store"].iter().any(|p| w.contains(p)), "{w}");
    }
    why
}

#[test]
fn planted_aligned_no_block_is_caught() {
    let why = caught(Variant::AlignedNoBlock, Mode::Aligned, Some(Combine::Union), 200);
    assert!(why.is_some(), "aligned-no-block passed every case");
}

#[test]
fn planted_snapshot_after_first_gate_is_caught() {
    let why = caught(Variant::SnapshotAfterFirstGate, Mode::Aligned, Some(Combine::Join), 200);
    assert!(why.is_some(), "snapshot-after-first-gate passed every case");
}

#[test]
fn planted_drop_channel_state_on_restore_is_caught() {
    let why = caught(Variant::DropChannelStateOnRestore, Mode::Unaligned, None, 200);
    assert!(why.is_some(), "drop-channel-state-on-restore passed every case");
}

#[test]
fn planted_commit_on_precommit_is_caught() {
    let why = caught(Variant::TwoPcCommitOnPrecommit, Mode::Aligned, None, 200);
    assert!(why.is_some(), "two-pc-commit-on-precommit passed every case");
}

/// The generated cases do what the properties need: failovers restore completed checkpoints
/// (under unaligned checkpoints some with in-flight records), and outputs are not empty.
#[test]
fn generated_cases_restore_checkpoints_with_channel_state() {
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let (mut cases, mut restored, mut in_flight, mut rows) = (0, 0, 0, 0);
    for _ in 0..48 {
        let (shape, (s, f)) = (shape(None), schedule()).new_tree(&mut runner).expect("a case").current();
        let spec = shape.spec(Mode::Unaligned, Variant::Correct);
        let o = Harness::new(&spec).run(&s, f);
        cases += 1;
        restored += usize::from(o.restores > 0);
        in_flight += usize::from(o.in_flight_restored > 0);
        rows += o.outputs.values().map(|m| m.values().sum::<usize>()).sum::<usize>();
    }
    assert!(restored * 4 >= cases, "{restored}/{cases} cases restored a checkpoint");
    assert!(in_flight >= 1, "no case restored in-flight records");
    assert!(rows >= cases * 5, "{rows} rows in {cases} cases");
    eprintln!("{cases} cases: {restored} restored a checkpoint, {in_flight} with in-flight records, {rows} rows");
}
