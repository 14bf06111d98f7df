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
use ckptsim::watermark::{Watermark, WatermarkStatus, WatermarkStrategy};
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
    /// The keyed operators' (sum, join) max parallelism: their key groups (session 26).
    max_parallelism: u32,
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
                op(format!(
                    "kind = \"join\"\nname = \"M\"\nparallelism = {p}\nmax_parallelism = {}\ninputs = [{list}]\n",
                    self.max_parallelism
                ));
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
                op(format!(
                    "kind = \"sum\"\nname = \"Sum\"\nparallelism = {sp}\nmax_parallelism = {}\ninputs = [\"ByKey\"]\n",
                    self.max_parallelism
                ));
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
                // Max parallelism of the keyed operators (parallelism <= 2): the named sizes
                // (a small prime, Flink's default, the largest) and a range of small ones.
                prop_oneof![Just(2u32), Just(7), Just(128), Just(32768), 2u32..=40],
            )
        })
        .prop_map(|(combine, sources, into, combine_parallelism, sum, sinks, keys, max_parallelism)| Shape {
            sources,
            combine,
            into,
            combine_parallelism,
            // A sum after the join would sum the join's order-dependent pair counts.
            sum: if combine == Combine::Join { None } else { sum },
            sinks,
            keys,
            max_parallelism,
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
    /// Per task: its inputs always align (`Graph::always_aligns`, semantics §14, forced alignment).
    aligns: Vec<bool>,
    variant: Variant,
    /// Per task: its sink operators in chain order (a chain that is a tree may hold several:
    /// a print row names its print sink by its index among the print sinks).
    sink_of: Vec<Vec<usize>>,
    /// The two-phase-commit sink operators, ascending.
    two_pc_sinks: Vec<usize>,
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
    /// Per task: its upstream tasks (one per input channel).
    upstream: Vec<Vec<usize>>,
    /// Per task: a source whose input ends (`bounded = true`).
    bounded: Vec<bool>,
    /// Per task: the source's watermark strategy (event time), configured on every deployment.
    strategy: Vec<Option<WatermarkStrategy>>,
    /// FLIP-147 (flink-2.3 with checkpointing): a task whose input ended waits for its final
    /// checkpoint.
    wait_final: bool,
    /// Per task: it reported FINISHED (EndOfPartition sent, closed) in the current attempt.
    finished: Vec<bool>,
    /// Per task with input channels: the reference valve, fed the watermarks and statuses the
    /// task was handed.
    valves: Vec<RefValve>,
    /// Where a task's valve disagreed with the reference.
    valve_errors: Vec<String>,
    /// Checkpoints that completed while some task had finished and another still ran.
    completed_after_a_finish: u32,
    /// Watermarks or statuses handed to a task while one of its inputs was idle and another active.
    idle_beside_active: u32,
    /// Per task: the pending checkpoint waits for it (it was not FINISHED at the trigger).
    waiting: Vec<bool>,
}

/// The watermark valve of a task as Flink's `StatusWatermarkValve` describes it, written here
/// from Flink's text (not the core's code): per channel the last watermark, whether it is idle
/// and whether it is aligned (active and not behind the output); the output is the minimum
/// over the aligned channels, never going back; an idle channel leaves the minimum (and when
/// the last channel goes idle while holding the output, the maximum over all is flushed); a
/// channel back from idle is aligned again only once its watermark caught up with the output.
#[derive(Clone, Debug, Default)]
struct RefValve {
    /// Per channel: (watermark, idle, aligned).
    channels: Vec<(i64, bool, bool)>,
    out: i64,
    idle: bool,
}

impl RefValve {
    fn new(n: usize) -> RefValve {
        RefValve { channels: vec![(i64::MIN, false, true); n], out: i64::MIN, idle: false }
    }

    fn new_min(&mut self) {
        if let Some(min) = self.channels.iter().filter(|c| c.2).map(|c| c.0).min() {
            self.out = self.out.max(min);
        }
    }

    fn watermark(&mut self, ch: usize, wm: i64) {
        let out = self.out;
        let c = &mut self.channels[ch];
        if !self.idle && !c.1 && wm > c.0 {
            c.0 = wm;
            c.2 |= wm >= out;
            self.new_min();
        }
    }

    fn status(&mut self, ch: usize, idle: bool) {
        let out = self.out;
        let c = &mut self.channels[ch];
        if idle && !c.1 {
            (c.1, c.2) = (true, false);
            let held_output = c.0 == out;
            if self.channels.iter().all(|c| c.1) {
                if held_output {
                    self.out = self.channels.iter().map(|c| c.0).max().unwrap_or(out).max(out);
                }
                self.idle = true;
            } else if held_output {
                self.new_min();
            }
        } else if !idle && c.1 {
            c.1 = false;
            c.2 = c.0 >= out;
            self.idle = false;
        }
    }
}

/// What a run left: per sink its output lineages (committed or printed), and the keyed state of
/// the last completed checkpoint by (vertex, operator slot).
struct Outcome {
    outputs: BTreeMap<usize, BTreeMap<(u64, u32), usize>>,
    /// Per two-phase-commit sink: its committed rows as (lineage, value), counted.
    committed: BTreeMap<usize, BTreeMap<(u64, u32, String), usize>>,
    keyed: BTreeMap<(usize, usize), BTreeMap<Value, Value>>,
    /// Keys a task's keyed state holds outside its subtask's key-group range.
    foreign_keys: Vec<String>,
    store_anomalies: Vec<String>,
    restores: u32,
    in_flight_restored: usize,
    /// Why the job did not come to rest with a completed last checkpoint (or, every input
    /// bounded, with every task finished), if it did not.
    stuck: Option<String>,
    /// Every task reported FINISHED at the end.
    all_finished: bool,
    /// Tasks whose snapshot in the last completed checkpoint was taken before their input ended.
    not_final: Vec<usize>,
    valve_errors: Vec<String>,
    completed_after_a_finish: u32,
    idle_beside_active: u32,
}

/// One enabled step of the schedule.
#[derive(Copy, Clone, Debug)]
enum Act {
    /// Hand the head of input channel `1` to task `0`.
    Deliver(usize, usize),
    /// A source reads its next record.
    Read(usize),
    /// A bounded source read everything: its input ends.
    End(usize),
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
                timestamp: spec.input_options.timestamps.get(seq).copied(),
            });
        }
        let log_end = log.iter().enumerate().map(|(p, v)| (PartitionId(p as u32), Offset(v.len() as u64))).collect();
        let (queues, outs) = ckptsim_sim::floor::wire(&graph);
        let sink_of = graph
            .task_vertex
            .iter()
            .map(|(v, _)| {
                graph.vertices[*v].ops.iter().copied().filter(|o| spec.operators[*o].kind.is_sink()).collect()
            })
            .collect();
        let is_source: Vec<bool> = graph.tasks.iter().map(|t| t.is_source).collect();
        let n = graph.tasks.len();
        let upstream: Vec<Vec<usize>> =
            (0..n).map(|t| graph.inputs_of(TaskId(t as u32)).iter().map(|u| u.0 as usize).collect()).collect();
        let head_op = |t: usize| graph.vertices[graph.task_vertex[t].0].ops.first().map(|o| &spec.operators[*o]);
        let bounded = (0..n).map(|t| is_source[t] && head_op(t).is_some_and(|o| o.bounded)).collect();
        let strategy = (0..n).map(|t| head_op(t).filter(|_| is_source[t]).and_then(|o| o.watermarks)).collect();
        let wait_final = spec.profile.checkpoints_after_tasks_finish() && spec.checkpoint.periodic_enabled();
        let aligns = (0..graph.tasks.len()).map(|t| graph.always_aligns(TaskId(t as u32))).collect();
        let mut h = Harness {
            aligns,
            variant: spec.variant,
            spec,
            graph,
            log,
            log_end,
            tasks: Vec::new(),
            queues,
            outs,
            sink_of,
            two_pc_sinks: (0..spec.operators.len())
                .filter(|o| matches!(spec.operators[*o].kind, ckptsim_sim::spec::OpKind::TwoPhaseCommitSink))
                .collect(),
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
            upstream,
            bounded,
            strategy,
            wait_final,
            finished: vec![false; n],
            valves: Vec::new(),
            valve_errors: Vec::new(),
            completed_after_a_finish: 0,
            idle_beside_active: 0,
            waiting: Vec::new(),
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
        self.finished = vec![false; self.graph.tasks.len()];
        self.valves = self.upstream.iter().map(|u| RefValve::new(u.len())).collect();
        for t in 0..self.graph.tasks.len() {
            let spec = self.graph.task_spec(self.spec, TaskId(t as u32), Attempt(self.attempt), &BTreeMap::new(), 0);
            let mut task =
                Task::new(spec, self.now, self.latest.as_ref(), &BTreeMap::new(), &self.log_end, &mut self.counters);
            task.set_wait_for_final_checkpoint(self.wait_final);
            if let Some(strategy) = self.strategy[t] {
                // A fresh generator on every deployment: watermarks are not restored.
                task.configure_watermarks(self.now, strategy);
            }
            self.tasks.push(task);
        }
        for t in 0..self.tasks.len() {
            self.route(t);
        }
    }

    /// Whether task `t` runs (deployed, not failed, not finished).
    fn runs(&self, t: usize) -> bool {
        !self.finished[t] && !self.tasks[t].has_failed()
    }

    /// A bounded source that read all it owns and whose input has not ended yet.
    fn at_end(&self, t: usize) -> bool {
        self.bounded[t]
            && self.runs(t)
            && !self.tasks[t].input_has_ended()
            && self.next_record(t).is_none()
            && self.tasks[t].fetch_positions().is_some()
    }

    /// A source's next unread record (the first partition it reads with one left).
    fn next_record(&self, t: usize) -> Option<LogRecord> {
        let pos = self.tasks[t].fetch_positions()?;
        pos.iter().find_map(|(p, o)| self.log.get(p.0 as usize)?.get(o.0 as usize).cloned())
    }

    /// The enabled actions, in a fixed order: deliveries (task, channel), then reads (task),
    /// then ends of bounded inputs.
    fn enabled(&self) -> Vec<Act> {
        let mut out = Vec::new();
        for t in 0..self.tasks.len() {
            if !self.runs(t) {
                continue;
            }
            for ch in 0..self.queues[t].len() {
                if !self.queues[t][ch].is_empty() && !self.tasks[t].is_blocked(ChannelId(ch as u32)) {
                    out.push(Act::Deliver(t, ch));
                }
            }
        }
        for t in 0..self.tasks.len() {
            if self.is_source[t] && self.runs(t) && self.next_record(t).is_some() {
                out.push(Act::Read(t));
            }
        }
        for t in 0..self.tasks.len() {
            if self.at_end(t) {
                out.push(Act::End(t));
            }
        }
        out
    }

    fn step(&mut self, act: Act) {
        self.now += 1;
        let t = match act {
            Act::Deliver(t, ch) => {
                let (el, overtaken) = self.queues[t][ch].pop_front().expect("enabled");
                let overtaken = ckptsim::barrier::overtaken_records(self.queues[t][ch].iter().map(|e| &e.0), overtaken);
                let event = match el {
                    StreamElement::Watermark(w) => Some((Some(w), None)),
                    StreamElement::WatermarkStatus(s) => Some((None, Some(s == WatermarkStatus::Idle))),
                    _ => None,
                };
                self.tasks[t].handle_input(self.now, ChannelId(ch as u32), el, &overtaken, &mut self.counters);
                if let Some((w, idle)) = event.filter(|_| !self.tasks[t].has_failed()) {
                    self.check_valve(t, ch, w, idle);
                }
                t
            }
            Act::Read(t) => {
                let rec = self.next_record(t).expect("enabled");
                self.tasks[t].handle_log_records(self.now, &[rec], &mut self.counters);
                t
            }
            Act::End(t) => {
                self.tasks[t].handle_end_of_input(self.now, self.wait_final);
                t
            }
        };
        self.route(t);
        self.timers();
    }

    /// Feeds the reference valve of task `t` what channel `ch` delivered and compares the
    /// task's valve (and output watermark) with it.
    fn check_valve(&mut self, t: usize, ch: usize, w: Option<Watermark>, idle: Option<bool>) {
        let r = &mut self.valves[t];
        if let Some(w) = w {
            r.watermark(ch, w.0);
        }
        if let Some(idle) = idle {
            r.status(ch, idle);
        }
        if r.channels.iter().any(|c| c.1) && r.channels.iter().any(|c| !c.1) {
            self.idle_beside_active += 1;
        }
        let Some(v) = self.tasks[t].watermark_valve() else { return };
        let (out, idle) = (v.last_output().0, v.status() == WatermarkStatus::Idle);
        let current = self.tasks[t].current_watermark().map_or(i64::MIN, |w| w.0);
        if (out, idle, current) != (r.out, r.idle, r.out) {
            self.valve_errors.push(format!(
                "task {t} after {w:?}/{idle:?} on channel {ch}: valve {out} idle {idle}, output {current}; \
                 min over active inputs {} idle {} (channels {:?})",
                r.out, r.idle, r.channels
            ));
        }
    }

    /// Time passes to the next periodic watermark emission of a running source (event time):
    /// the due sources emit (an idle split is marked idle here).
    fn tick(&mut self) {
        let due = (0..self.tasks.len()).filter(|t| self.runs(*t)).filter_map(|t| self.tasks[t].watermark_deadline());
        let Some(at) = due.min() else { return };
        self.now = self.now.max(at);
        for t in 0..self.tasks.len() {
            if self.runs(t) && self.tasks[t].watermark_deadline().is_some_and(|d| d <= self.now) {
                self.tasks[t].handle_watermark_timer(self.now, &mut self.counters);
                self.route(t);
            }
        }
        self.timers();
    }

    fn timers(&mut self) {
        for t in 0..self.tasks.len() {
            if self.runs(t) && self.tasks[t].poll_timeout().is_some_and(|d| d <= self.now) {
                self.tasks[t].handle_timeout(self.now);
                self.route(t);
            }
        }
    }

    fn trigger(&mut self) {
        self.now += 1;
        let barrier =
            ckptsim_sim::floor::checkpoint_barrier(&self.spec.checkpoint, CheckpointId(self.next_id), self.now, 0);
        // The tasks it waits for: every one not FINISHED now; it goes to the running sources
        // and (2.x) to the running tasks whose upstream tasks all finished.
        if self.finished.iter().all(|f| *f) {
            return;
        }
        self.next_id += 1;
        self.pending = Some((barrier, BTreeMap::new()));
        self.waiting = self.finished.iter().map(|f| !f).collect();
        for t in 0..self.tasks.len() {
            let direct = !self.is_source[t] && self.wait_final && self.upstream[t].iter().all(|u| self.finished[*u]);
            if self.runs(t) && (self.is_source[t] || direct) {
                self.tasks[t].handle_trigger(self.now, barrier);
                self.route(t);
            }
        }
    }

    /// Global failover: every task redeployed from the latest completed checkpoint.
    fn fail_over(&mut self) {
        for t in 0..self.tasks.len() {
            if !self.finished[t] {
                self.finished[t] = true;
                self.tasks[t].close();
                self.route(t);
            }
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
                | TaskOutput::EmitCancelMarker { .. }
                | TaskOutput::EmitWatermark { .. }
                | TaskOutput::EmitWatermarkStatus { .. }
                | TaskOutput::EmitEndOfData) => {
                    ckptsim_sim::floor::deliver(&mut self.queues, &self.outs[t], &self.aligns, self.variant, out)
                }
                TaskOutput::Snapshot { id, snapshot, .. } => {
                    let Some((barrier, acks)) = self.pending.as_mut().filter(|(b, _)| b.id == id) else { continue };
                    acks.insert(TaskId(t as u32), snapshot);
                    if acks.len() == self.waiting.iter().filter(|w| **w).count() {
                        let kind = barrier.kind;
                        let trigger_ms = barrier.timestamp_ms;
                        let (_, mut tasks) = self.pending.take().expect("pending");
                        // A task FINISHED at the trigger keeps the state of its final checkpoint
                        // (the newest completed one: it finished only once that completed).
                        for u in (0..self.waiting.len()).filter(|u| !self.waiting[*u]) {
                            let own = self.latest.as_ref().and_then(|c| c.tasks.get(&TaskId(u as u32)));
                            tasks.insert(TaskId(u as u32), own.cloned().unwrap_or_default());
                        }
                        if self.finished.iter().any(|f| *f) {
                            self.completed_after_a_finish += 1;
                        }
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
                TaskOutput::PrintRow { record, sink } => {
                    let prints: Vec<usize> = self.sink_of[t]
                        .iter()
                        .copied()
                        .filter(|o| self.two_pc_sinks.binary_search(o).is_err())
                        .collect();
                    let sink = prints[sink as usize];
                    self.printed.entry(sink).or_default().push(record.lineage);
                }
                TaskOutput::Sink(op) => {
                    let sink = *self.sink_of[t]
                        .iter()
                        .find(|o| self.two_pc_sinks.binary_search(o).is_ok())
                        .expect("a 2PC sink task");
                    let store = self.stores.entry(sink).or_default();
                    if let Err(e) = store.apply(self.now, op.clone()) {
                        self.store_anomalies.push(format!("sink {sink}: {e:?} on {op:?}"));
                    }
                }
                TaskOutput::Failed { .. } => self.failed = true,
                TaskOutput::PrioritizeBarriers { .. }
                | TaskOutput::ConvertBarrier { .. }
                | TaskOutput::CommitOffsets { .. }
                | TaskOutput::LateRecord { .. }
                | TaskOutput::WindowAssigned { .. }
                | TaskOutput::JoinJudged { .. }
                | TaskOutput::ProcessingTimersQuiesced { .. } => {}
            }
        }
        if !self.finished[t] && self.tasks[t].is_finished() && !self.tasks[t].has_failed() {
            // FINISHED (input ended and, 2.x, its final checkpoint completed): EndOfPartition
            // on every output channel, closed, out of every later checkpoint's plan.
            ckptsim_sim::floor::broadcast(&mut self.queues, &self.outs[t], StreamElement::EndOfPartition);
            self.finished[t] = true;
            self.tasks[t].close();
            self.route(t);
        }
        for (complete, id) in notify {
            self.now += 1;
            for u in 0..self.tasks.len() {
                if self.finished[u] {
                    continue;
                }
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
                // With event time, one in 16 lets time pass to the next watermark emission.
                2 if self.strategy.iter().any(Option::is_some) => self.tick(),
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

    /// The keys of `state` (a keyed operator's, in subtask `subtask` of vertex `v`) whose key
    /// group is not in that subtask's range (`compute_key_group_range_for_operator_index`) under
    /// the keyed operator's max parallelism: where a restore would not look for them.
    fn foreign_keys(&self, v: usize, subtask: u32, state: &BTreeMap<Value, Value>) -> Vec<String> {
        use ckptsim::key_group::{assign_to_key_group, compute_key_group_range_for_operator_index};
        let vertex = &self.graph.vertices[v];
        let m = vertex.ops.iter().find_map(|o| self.spec.operators[*o].max_parallelism).unwrap_or(128);
        let range = compute_key_group_range_for_operator_index(m, vertex.parallelism, subtask).expect("valid");
        state
            .keys()
            .filter(|k| !range.contains(assign_to_key_group(&ckptsim::operator::key_of(k), m)))
            .map(|k| format!("{k} in {}[{subtask}] (max parallelism {m}, range {range:?})", vertex.name))
            .collect()
    }

    fn finish(mut self) -> Outcome {
        // Every input bounded: the job must end with every task FINISHED (2.x: after final
        // checkpoints); otherwise one more checkpoint must complete.
        let all_bounded = (0..self.tasks.len()).filter(|t| self.is_source[*t]).all(|t| self.bounded[t]);
        let mut stuck = None;
        for round in 0..8 {
            self.quiesce();
            if self.pending.is_some() {
                // A checkpoint of the schedule still waits (its barriers were delivered as far
                // as they go): abort it.
                let (b, _) = self.pending.take().expect("pending");
                for u in 0..self.tasks.len() {
                    if !self.finished[u] {
                        self.tasks[u].handle_notify_aborted(self.now, b.id);
                        self.route(u);
                    }
                }
                self.quiesce();
            }
            if all_bounded && self.finished.iter().all(|f| *f) {
                break;
            }
            let before = self.latest.as_ref().map(|c| c.id);
            self.trigger();
            self.quiesce();
            let completed = self.latest.as_ref().map(|c| c.id) != before;
            if (all_bounded && self.finished.iter().all(|f| *f)) || (!all_bounded && completed) {
                break;
            }
            if round == 7 {
                let queued: usize = self.queues.iter().flatten().map(VecDeque::len).sum();
                let blocked: Vec<(usize, usize)> = (0..self.tasks.len())
                    .filter(|t| self.runs(*t))
                    .flat_map(|t| (0..self.queues[t].len()).map(move |c| (t, c)))
                    .filter(|(t, c)| self.tasks[*t].is_blocked(ChannelId(*c as u32)))
                    .collect();
                stuck = Some(format!(
                    "stuck: no checkpoint completes at rest (pending {:?}, finished {:?}, {queued} elements queued, \
                     blocked channels {blocked:?})",
                    self.pending.as_ref().map(|(b, a)| (b.id, a.len())),
                    self.finished
                ));
            }
        }
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
        let mut foreign_keys = Vec::new();
        if let Some(cp) = &self.latest {
            for (t, snap) in &cp.tasks {
                let (v, subtask) = self.graph.task_vertex[t.0 as usize];
                for (i, st) in snap.operators.iter().enumerate() {
                    if let OperatorState::Keyed(m) = st {
                        foreign_keys.extend(self.foreign_keys(v, subtask, m));
                        keyed.entry((v, i)).or_default().extend(m.iter().map(|(k, x)| (k.clone(), x.clone())));
                    }
                }
            }
        }
        let mut committed: BTreeMap<usize, BTreeMap<(u64, u32, String), usize>> = BTreeMap::new();
        for (sink, store) in &self.stores {
            let o = committed.entry(*sink).or_default();
            for (_, r) in store.committed() {
                *o.entry((r.lineage.input_seq, r.lineage.sub, format!("{:?}", r.value))).or_default() += 1;
            }
        }
        let not_final = match &self.latest {
            Some(cp) => cp.tasks.iter().filter(|(_, s)| !s.finished).map(|(t, _)| t.0 as usize).collect(),
            None => (0..self.tasks.len()).collect(),
        };
        Outcome {
            outputs,
            committed,
            foreign_keys,
            stuck,
            all_finished: self.finished.iter().all(|f| *f),
            not_final,
            valve_errors: self.valve_errors,
            completed_after_a_finish: self.completed_after_a_finish,
            idle_beside_active: self.idle_beside_active,
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
    prop_assert!(want.stuck.is_none(), "fault-free run: {:?}", want.stuck);
    prop_assert!(got.stuck.is_none(), "{}", got.stuck.as_deref().unwrap_or_default());
    prop_assert!(want.store_anomalies.is_empty(), "fault-free run: {:?}", want.store_anomalies);
    prop_assert!(!want.outputs.is_empty(), "the fault-free run output nothing");
    prop_assert!(got.foreign_keys.is_empty(), "keys outside their subtask's key groups: {:?}", got.foreign_keys);
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
        assert!(["lost", "duplicated", "keyed state", "store", "stuck"].iter().any(|p| w.contains(p)), "{w}");
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

/// An event-time job graph: one or two bounded event-time log sources (two: a union), a keyed
/// tumbling event-time window summing per key, a two-phase-commit sink.
#[derive(Clone, Debug)]
struct TimeShape {
    /// Per source: (parallelism, partitions, records, out-of-orderness ms, timestamp jitter ms,
    /// idle timeout ms).
    sources: Vec<(u32, u32, u32, u64, u64, Option<u64>)>,
    /// Per source (two sources): the edge into the union.
    into: Vec<Edge>,
    union_parallelism: u32,
    window_parallelism: u32,
    /// The edge into the sink and its parallelism.
    sink: (Edge, u32),
    keys: u32,
}

impl TimeShape {
    fn toml(&self, mode: Mode) -> String {
        let mut s =
            String::from("name = \"graph-prop-time\"\nprofile = \"flink-2.3\"\nseed = 1\nstop_at_ms = 100000\n");
        s += "[checkpoint]\ninterval_ms = 1000\n";
        if mode == Mode::Unaligned {
            s += "unaligned = true\n";
        }
        s += "[cluster]\ntask_managers = 2\n";
        let mut ops = String::new();
        let mut inputs = String::new();
        for (i, &(p, parts, count, ooo, jitter, idle)) in self.sources.iter().enumerate() {
            // A source with idleness does not end: once it read its few records it goes idle and
            // stays so, and the other input's watermark must advance without it.
            let bounded = idle.is_none();
            ops += &format!(
                "\n[[operators]]\nkind = \"log-source\"\nname = \"S{i}\"\nparallelism = {p}\nstartup = \"earliest\"\n\
                 bounded = {bounded}\nwatermarks = \"bounded-out-of-orderness\"\nmax_out_of_orderness_ms = {ooo}\n"
            );
            if let Some(ms) = idle {
                ops += &format!("idle_timeout_ms = {ms}\n");
            }
            let table = if self.sources.len() == 1 { "input".to_string() } else { format!("inputs.S{i}") };
            inputs += &format!(
                "\n[{table}]\npartitions = {parts}\ngenerator = {{ count = {count}, rate_per_s = 50, keys = {}, \
                 start_ms = {}, ts_jitter_ms = {jitter} }}\n",
                self.keys,
                10 + 7 * i
            );
        }
        let mut last = "S0".to_string();
        if self.sources.len() > 1 {
            let mut ins = Vec::new();
            for (i, e) in self.into.iter().enumerate() {
                let name = format!("E{i}");
                match e {
                    Edge::Forward => ins.push(format!("\"S{i}\"")),
                    Edge::Rebalance | Edge::Broadcast | Edge::Hash => {
                        let kind = if *e == Edge::Broadcast { "broadcast" } else { "rebalance" };
                        ops += &format!("\n[[operators]]\nkind = \"{kind}\"\nname = \"{name}\"\ninputs = [\"S{i}\"]\n");
                        ins.push(format!("\"{name}\""));
                    }
                }
            }
            ops += &format!(
                "\n[[operators]]\nkind = \"union\"\nname = \"U\"\nparallelism = {}\ninputs = [{}]\n",
                self.union_parallelism,
                ins.join(", ")
            );
            last = "U".into();
        }
        let wp = self.window_parallelism;
        let pp = if self.sources.len() > 1 { self.union_parallelism } else { self.sources[0].0 };
        ops += &format!(
            "\n[[operators]]\nkind = \"map\"\nname = \"Pair\"\nparallelism = {pp}\nfunction = \"to_pair_one\"\ninputs = [\"{last}\"]\n\
             \n[[operators]]\nkind = \"key_by\"\nname = \"ByKey\"\ninputs = [\"Pair\"]\n\
             \n[[operators]]\nkind = \"event_window\"\nname = \"Window\"\nparallelism = {wp}\nwindow = \"tumbling\"\n\
             size_ms = 100\naggregate = \"sum\"\ninputs = [\"ByKey\"]\n"
        );
        let (e, sp) = self.sink;
        let from = match e {
            Edge::Forward => "Window".to_string(),
            _ => {
                ops += "\n[[operators]]\nkind = \"rebalance\"\nname = \"ToSink\"\ninputs = [\"Window\"]\n";
                "ToSink".into()
            }
        };
        ops += &format!(
            "\n[[operators]]\nkind = \"two-phase-commit-sink\"\nname = \"Sink\"\nparallelism = {sp}\ninputs = [\"{from}\"]\n"
        );
        s + &ops + &inputs
    }

    fn spec(&self, mode: Mode, variant: Variant) -> JobSpec {
        let text = self.toml(mode);
        let sc = ckptsim_sim::scenario::parse("graph-prop-time.toml", &text)
            .unwrap_or_else(|e| panic!("generated graph does not load: {e}\n{text}"));
        let mut spec = ckptsim_sim::load::to_spec(&sc, "graph-prop-time.toml");
        spec.variant = variant;
        spec
    }

    fn idle(&self) -> bool {
        self.sources.iter().any(|s| s.5.is_some())
    }
}

/// Event-time graphs. `idle`: one source has a short idle timeout (`withIdleness`) and few
/// records, the other many; otherwise no idleness and out-of-orderness at least the timestamp
/// jitter, so that no record is ever late, whatever the schedule (the window results are then
/// the fault-free run's).
fn time_shape(idle: bool) -> impl Strategy<Value = TimeShape> {
    let source = |few: bool| {
        let count = if few { 2u32..=4 } else { 4u32..=14 };
        (1u32..=2, 1u32..=2, count, prop_oneof![Just(50u64), Just(150)])
            .prop_flat_map(|(p, parts, count, ooo)| (Just(p), Just(parts), Just(count), Just(ooo), 0..=ooo))
    };
    let n = if idle { 2..=2usize } else { 1..=2 };
    (
        n.prop_flat_map(move |n| (0..n).map(|i| source(idle && i == 1)).collect::<Vec<_>>()),
        prop::collection::vec(edge(), 2),
        1u32..=2,
        1u32..=2,
        (prop_oneof![Just(Edge::Forward), Just(Edge::Rebalance)], 1u32..=2),
        2u32..=3,
        prop_oneof![Just(250u64), Just(450)],
    )
        .prop_map(move |(srcs, into, union_parallelism, window_parallelism, sink, keys, idle_ms)| TimeShape {
            sources: srcs
                .into_iter()
                .enumerate()
                .map(|(i, (p, parts, count, ooo, jitter))| {
                    (p, parts, count, ooo, jitter, (idle && i == 1).then_some(idle_ms))
                })
                .collect(),
            into,
            union_parallelism,
            window_parallelism,
            sink,
            keys,
        })
}

/// The event-time properties of `shape` under `mode` with `schedule`, against the fault-free
/// run of the correct protocol:
/// * the valve: after every watermark or status a task is handed, its watermark is the
///   minimum over its active aligned inputs (idle ones left out), as the reference valve says;
/// * end of input: the job comes to rest with every task FINISHED, each after its final
///   checkpoint (every snapshot in the last completed checkpoint taken after its input ended),
///   so the end of one input never keeps the other's checkpoints from aligning;
/// * without idleness: the sink committed exactly the fault-free run's window results, each
///   once (aligned and unaligned, across restores), with no store anomaly.
fn check_time(
    shape: &TimeShape,
    mode: Mode,
    variant: Variant,
    schedule: &[u16],
    failures: u32,
) -> Result<(), TestCaseError> {
    let spec = shape.spec(mode, variant);
    let correct = shape.spec(mode, Variant::Correct);
    let want = Harness::new(&correct).run(&[], 0);
    let got = Harness::new(&spec).run(schedule, failures);
    prop_assert!(want.stuck.is_none() && (want.all_finished || shape.idle()), "fault-free run: {:?}", want.stuck);
    prop_assert!(got.valve_errors.is_empty(), "watermark not the minimum over active inputs: {:?}", got.valve_errors);
    prop_assert!(got.stuck.is_none(), "{}", got.stuck.as_deref().unwrap_or_default());
    // (A source with idleness does not end: its job ends with a completed checkpoint instead.)
    prop_assert!(got.all_finished || shape.idle(), "stuck: not every task finished");
    prop_assert!(
        got.not_final.is_empty() || shape.idle(),
        "final checkpoint missing: tasks {:?} finished without a checkpoint taken after their end",
        got.not_final
    );
    prop_assert!(got.store_anomalies.is_empty(), "store: {:?}", got.store_anomalies);
    if !shape.idle() {
        let sink = *want.committed.keys().next().expect("a 2PC sink");
        let w = &want.committed[&sink];
        prop_assert!(!w.is_empty() && w.values().all(|n| *n == 1), "fault-free window results: {w:?}");
        let empty = BTreeMap::new();
        let g = got.committed.get(&sink).unwrap_or(&empty);
        let lost: Vec<_> = w.keys().filter(|k| !g.contains_key(*k)).collect();
        let extra: Vec<_> = g.iter().filter(|(k, n)| !w.contains_key(*k) || **n > 1).collect();
        prop_assert!(
            lost.is_empty() && extra.is_empty(),
            "window results: lost {lost:?}, duplicated or wrong {extra:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 128, ..Config::default() })]

    #[test]
    fn aligned_event_time_windows_are_exactly_once_and_end_with_final_checkpoints(
        shape in time_shape(false), (s, f) in schedule()
    ) {
        check_time(&shape, Mode::Aligned, Variant::Correct, &s, f)?;
    }

    #[test]
    fn unaligned_event_time_windows_are_exactly_once_and_end_with_final_checkpoints(
        shape in time_shape(false), (s, f) in schedule()
    ) {
        check_time(&shape, Mode::Unaligned, Variant::Correct, &s, f)?;
    }

    #[test]
    fn watermark_is_the_minimum_over_active_inputs(shape in time_shape(true), (s, f) in schedule()) {
        check_time(&shape, Mode::Aligned, Variant::Correct, &s, f)?;
    }
}

/// The first property failure of `variant` within `cases` fixed-seed event-time cases.
fn caught_time(variant: Variant, mode: Mode, idle: bool, cases: u32) -> Option<String> {
    let config = Config { cases, max_shrink_iters: 32, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let result =
        runner.run(&(time_shape(idle), schedule()), |(shape, (s, f))| check_time(&shape, mode, variant, &s, f));
    result.err().map(|e| e.to_string())
}

/// Asserts that `variant` fails the property named by `property` (a word of its message).
fn assert_caught_time(variant: Variant, mode: Mode, idle: bool, property: &str) {
    let why = caught_time(variant, mode, idle, 200).unwrap_or_else(|| panic!("{variant} passed every case"));
    assert!(why.contains(property), "{variant} caught, but not by `{property}`: {why}");
    eprintln!("{variant}: {}", why.lines().next().unwrap_or_default());
}

#[test]
fn planted_window_state_not_restored_loses_window_results() {
    assert_caught_time(Variant::WindowStateNotRestored, Mode::Aligned, false, "window results");
}

#[test]
fn planted_drop_channel_state_on_restore_loses_window_results() {
    assert_caught_time(Variant::DropChannelStateOnRestore, Mode::Unaligned, false, "window results");
}

#[test]
fn planted_idle_input_holds_watermark_is_caught_by_the_valve_property() {
    assert_caught_time(Variant::IdleInputHoldsWatermark, Mode::Aligned, true, "minimum over active inputs");
}

#[test]
fn planted_end_of_partition_not_aligned_blocks_the_other_input() {
    assert_caught_time(Variant::EndOfPartitionNotAligned, Mode::Aligned, false, "stuck");
}

#[test]
fn planted_finish_without_final_checkpoint_is_caught() {
    assert_caught_time(Variant::FinishWithoutFinalCheckpoint, Mode::Aligned, false, "final checkpoint");
}

/// The event-time cases do what the properties need: failovers restore checkpoints, inputs end
/// at different times (a checkpoint completes after some task finished, while others run),
/// idle inputs are marked idle, and windows fire.
#[test]
fn generated_event_time_cases_restore_end_inputs_apart_and_go_idle() {
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let (mut cases, mut restored, mut apart, mut rows) = (0, 0, 0, 0);
    for _ in 0..48 {
        let (shape, (s, f)) = (time_shape(false), schedule()).new_tree(&mut runner).expect("a case").current();
        let o = Harness::new(&shape.spec(Mode::Unaligned, Variant::Correct)).run(&s, f);
        cases += 1;
        restored += usize::from(o.restores > 0);
        apart += usize::from(o.completed_after_a_finish > 0);
        rows += o.committed.values().map(|m| m.values().sum::<usize>()).sum::<usize>();
    }
    let mut idle_cases = 0;
    for _ in 0..48 {
        let (shape, (s, f)) = (time_shape(true), schedule()).new_tree(&mut runner).expect("a case").current();
        let o = Harness::new(&shape.spec(Mode::Aligned, Variant::Correct)).run(&s, f);
        let saw_idle = o.idle_beside_active > 0;
        idle_cases += usize::from(saw_idle);
    }
    assert!(restored * 4 >= cases, "{restored}/{cases} cases restored a checkpoint");
    assert!(apart * 4 >= cases, "{apart}/{cases} cases completed a checkpoint after an input ended");
    assert!(idle_cases * 8 >= 48, "{idle_cases}/48 idle cases had an idle input beside an active one");
    assert!(rows >= cases * 3, "{rows} window results in {cases} cases");
    eprintln!(
        "{cases} cases: {restored} restored, {apart} with a checkpoint after an input ended, {rows} window results; \
         {idle_cases}/48 idle cases with an idle input beside an active one"
    );
}
