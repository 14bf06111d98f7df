//! Job graph: chains the linear pipeline into vertices like Flink (forward + same parallelism), lays out tasks, channels and TaskManager slots.

use crate::spec::{JobSpec, OpKind};
use ckptsim::barrier::handler_kind;
use ckptsim::ids::{TaskId, TmId};
use ckptsim::job::TaskInfo;
use ckptsim::key_group::VertexParallelism;
use ckptsim::operator::{Operator, OperatorKind};
use ckptsim::task::{
    ChainEnd, ChainHop, ChainTree, ChainedOperator, HeadSpec, LateTag, Partitioner, TailSpec, TaskSpec,
};
use ckptsim::two_input::{InputGates, InputOperatorSpec};
use ckptsim::Attempt;
use std::collections::{BTreeMap, BTreeSet};

/// A chain of operators run by one task per subtask.
#[derive(Clone, Debug)]
pub struct Vertex {
    /// Flink-style display name: `Source: A -> B`.
    pub name: String,
    /// Indices into `JobSpec::operators`, in chain order: the head first, then depth first
    /// along the chained edges in the order they were declared (a line, or a tree where an
    /// operator has several chained consumers; Flink's `OperatorChain`).
    pub ops: Vec<usize>,
    /// Per operator of `ops`, the operator of this vertex it is chained onto (the head: itself).
    pub parents: Vec<usize>,
    /// Per input edge (in gate order), the operator of the upstream vertex that produces it.
    pub input_ops: Vec<usize>,
    /// Subtasks (tasks) of this vertex.
    pub parallelism: u32,
    /// Partitioning of the edge *into* this vertex (None for the source vertex).
    pub input: Option<EdgeKind>,
}

/// How records are distributed between two consecutive vertices.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// Subtask i sends to subtask i only (same parallelism, not chained).
    Forward,
    /// Round robin over every downstream subtask.
    Rebalance,
    /// By key hash (after a `key_by`).
    Hash,
    /// Every record to every downstream subtask (after a `broadcast`).
    Broadcast,
}

/// One data channel seen from one of its ends: the task at the other end and the input gate
/// of the consuming task the channel enters. Flink keys a channel by its `StreamEdge` (a
/// producer feeding both inputs of a two-input operator, `s.join(s)`, has two edges, two input
/// gates on the consumer and so two channels between the same two subtasks); the gate index
/// names the edge, since two edges into one consumer always enter different gates.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Link {
    /// The task at the other end: the producer of an input, the consumer of an output.
    pub task: TaskId,
    /// The consumer's input gate the channel enters (the edge's index among its `in_edges`).
    pub gate: u32,
}

/// The physical plan: vertices, tasks and where they run.
#[derive(Clone, Debug)]
pub struct Graph {
    /// The chained vertices, source first.
    pub vertices: Vec<Vertex>,
    /// Per task: (vertex index, subtask).
    pub task_vertex: Vec<(usize, u32)>,
    /// Per task: id, name, whether it is a source, and the TaskManager hosting it.
    pub tasks: Vec<TaskInfo>,
    /// Per vertex: its input edges in gate order, (upstream vertex, partitioning). A line has
    /// one per vertex after the first (see `graph_dag.rs` for job graphs).
    pub in_edges: Vec<Vec<(usize, EdgeKind)>>,
    /// Per vertex: its output edges, (downstream vertex, index of the edge among the
    /// downstream vertex's `in_edges`).
    pub out_edges: Vec<Vec<(usize, usize)>>,
}

impl Graph {
    /// The print sink that printed a row of task `task` (`PrintRow::sink`: the index among the
    /// print sinks chained in the task's vertex) and the row's subtask: the operator index in
    /// `spec` and the subtask.
    pub fn print_sink_of(&self, spec: &JobSpec, task: usize, sink: u32) -> Option<(usize, u32)> {
        let (vertex, subtask) = *self.task_vertex.get(task)?;
        let op = self.vertices[vertex]
            .ops
            .iter()
            .copied()
            .filter(|&op| spec.operators[op].kind == OpKind::PrintSink)
            .nth(sink as usize)?;
        Some((op, subtask))
    }

    /// The operator of task `task`'s chain whose late elements the run records (session 40,
    /// `RunResult::late_records` per operator): the event-time window of instance `instance`
    /// (`Name[subtask]`, the core's `TaskOutput::LateRecord::operator`) when one of the chain
    /// is named so, else the chain's first event-time window with a late side output or
    /// event-time join (an interval join's late sides come from the head), else the head.
    pub fn late_operator(&self, spec: &JobSpec, task: TaskId, instance: Option<&str>) -> usize {
        let ops = &self.vertices[self.task_vertex[task.0 as usize].0].ops;
        let name = instance.map(super::operator_of_instance);
        let named = ops.iter().copied().find(|&o| name.as_deref() == Some(spec.operators[o].name.as_str()));
        let sends = |o: &usize| match &spec.operators[*o].kind {
            OpKind::EventWindow(w) => w.late_side_output,
            OpKind::EventJoin(ckptsim::join::JoinSpec::Interval { .. }) => true,
            _ => false,
        };
        named.or_else(|| ops.iter().copied().find(sends)).unwrap_or(ops[0])
    }

    /// Chains `spec`'s operators into vertices and lays out their tasks over the TaskManagers.
    pub fn build(spec: &JobSpec) -> Graph {
        if spec.is_graph() {
            return Graph::build_dag(spec);
        }
        let ops = &spec.operators;
        let mut vertices: Vec<Vertex> = Vec::new();
        let mut pending_edge: Option<EdgeKind> = None;
        for (i, op) in ops.iter().enumerate() {
            match op.kind {
                OpKind::KeyBy => {
                    pending_edge = Some(EdgeKind::Hash);
                    continue;
                }
                OpKind::Rebalance => {
                    pending_edge = Some(EdgeKind::Rebalance);
                    continue;
                }
                _ => {}
            }
            let chain = matches!((vertices.last(), pending_edge), (Some(v), None) if v.parallelism == op.parallelism);
            if chain {
                let v = vertices.last_mut().expect("chain onto a vertex");
                v.parents.push(*v.ops.last().expect("a vertex has a head"));
                v.ops.push(i);
            } else {
                let input = if vertices.is_empty() {
                    None
                } else {
                    Some(pending_edge.unwrap_or(if vertices.last().map(|v| v.parallelism) == Some(op.parallelism) {
                        EdgeKind::Forward
                    } else {
                        EdgeKind::Rebalance
                    }))
                };
                let input_ops = vertices.last().and_then(|v| v.ops.last().copied()).into_iter().collect();
                vertices.push(Vertex {
                    name: String::new(),
                    ops: vec![i],
                    parents: vec![i],
                    input_ops,
                    parallelism: op.parallelism,
                    input,
                });
            }
            pending_edge = None;
        }
        name_vertices(&mut vertices, ops);
        let mut tasks = Vec::new();
        let mut task_vertex = Vec::new();
        for (vi, v) in vertices.iter().enumerate() {
            for s in 0..v.parallelism {
                let id = TaskId(tasks.len() as u32);
                tasks.push(TaskInfo {
                    id,
                    name: format!("{} ({}/{})", v.name, s + 1, v.parallelism),
                    is_source: vi == 0,
                    tm: TmId(s % spec.cluster.task_managers.max(1)),
                    inputs: Vec::new(),
                    vertex: vi as u32,
                });
                task_vertex.push((vi, s));
            }
        }
        let in_edges: Vec<Vec<(usize, EdgeKind)>> =
            vertices.iter().enumerate().map(|(vi, v)| v.input.map(|k| (vi - 1, k)).into_iter().collect()).collect();
        let out_edges =
            (0..vertices.len()).map(|vi| if vi + 1 < vertices.len() { vec![(vi + 1, 0)] } else { vec![] }).collect();
        Graph { vertices, task_vertex, tasks, in_edges, out_edges }.with_task_inputs()
    }

    /// Every sink's subtasks (the vertices holding an operator of `spec` that is a sink), in
    /// vertex order: whose completions the commit horizon waits for (the world's
    /// `sink_commit_horizon`, the explorer's judge).
    pub fn sink_tasks(&self, spec: &JobSpec) -> Vec<TaskId> {
        (0..self.vertices.len())
            .filter(|vi| self.vertices[*vi].ops.iter().any(|o| spec.operators[*o].kind.is_sink()))
            .flat_map(|vi| self.vertex_tasks(vi))
            .collect()
    }

    /// Tasks of vertex `vi`, in subtask order.
    pub fn vertex_tasks(&self, vi: usize) -> Vec<TaskId> {
        self.task_vertex.iter().enumerate().filter(|(_, (v, _))| *v == vi).map(|(t, _)| TaskId(t as u32)).collect()
    }

    /// Fills every task's `inputs` (the JobMaster triggers a task directly once they finished).
    pub(super) fn with_task_inputs(mut self) -> Self {
        for i in 0..self.tasks.len() {
            self.tasks[i].inputs = self.inputs_of(TaskId(i as u32));
        }
        self
    }

    /// Upstream tasks feeding `task`, in input-channel order (a producer feeding two of its
    /// input gates appears once per gate).
    pub fn inputs_of(&self, task: TaskId) -> Vec<TaskId> {
        self.input_links(task).into_iter().map(|l| l.task).collect()
    }

    /// `task`'s input channels in order: per input gate, the upstream tasks feeding it.
    pub fn input_links(&self, task: TaskId) -> Vec<Link> {
        let (vi, s) = self.task_vertex[task.0 as usize];
        let mut out = Vec::new();
        for (gate, &(up, kind)) in self.in_edges[vi].iter().enumerate() {
            let gate = gate as u32;
            match kind {
                EdgeKind::Forward => out.push(Link { task: self.vertex_tasks(up)[s as usize], gate }),
                _ => out.extend(self.vertex_tasks(up).into_iter().map(|task| Link { task, gate })),
            }
        }
        out
    }

    /// The index among `to`'s input channels of the channel from `from` into gate `gate`.
    pub fn input_channel(&self, to: TaskId, from: Link) -> Option<u32> {
        self.input_links(to).iter().position(|l| *l == from).map(|i| i as u32)
    }

    /// Input channels per input gate of `task` (one gate per input edge).
    pub fn channels_per_gate(&self, task: TaskId) -> Vec<u32> {
        let (vi, _) = self.task_vertex[task.0 as usize];
        self.in_edges[vi]
            .iter()
            .map(|&(up, kind)| if kind == EdgeKind::Forward { 1 } else { self.vertices[up].parallelism })
            .collect()
    }

    /// Whether `task`'s inputs always align (semantics §14, forced alignment): one of its vertex's input edges
    /// is broadcast or pointwise (forward), so Flink's `StreamGraphGenerator` marks every input
    /// edge of the vertex as not supporting unaligned checkpoints and the barriers of an
    /// unaligned checkpoint reach it in-band, forced aligned.
    pub fn always_aligns(&self, task: TaskId) -> bool {
        let (vi, _) = self.task_vertex[task.0 as usize];
        self.in_edges[vi].iter().any(|&(_, kind)| matches!(kind, EdgeKind::Forward | EdgeKind::Broadcast))
    }

    /// Every task of a source vertex.
    pub fn source_tasks(&self) -> Vec<TaskId> {
        self.tasks.iter().filter(|t| t.is_source).map(|t| t.id).collect()
    }

    /// Downstream tasks fed by `task`, in output-channel order.
    pub fn outputs_of(&self, task: TaskId) -> Vec<TaskId> {
        self.output_links(task).into_iter().map(|l| l.task).collect()
    }

    /// `task`'s output channels in order: per output edge, the downstream tasks it feeds and
    /// the input gate of theirs the edge enters.
    pub fn output_links(&self, task: TaskId) -> Vec<Link> {
        let (vi, s) = self.task_vertex[task.0 as usize];
        let mut out = Vec::new();
        for &(down, k) in &self.out_edges[vi] {
            let gate = k as u32;
            match self.in_edges[down][k].1 {
                EdgeKind::Forward => out.push(Link { task: self.vertex_tasks(down)[s as usize], gate }),
                _ => out.extend(self.vertex_tasks(down).into_iter().map(|task| Link { task, gate })),
            }
        }
        out
    }

    /// Finds a task by the name a scenario uses: `operator name[subtask]` (or the task name).
    pub fn find_task(&self, spec: &JobSpec, name: &str) -> Option<TaskId> {
        let (op_name, sub) = match name.rfind('[') {
            Some(i) if name.ends_with(']') => (&name[..i], name[i + 1..name.len() - 1].parse::<u32>().ok()?),
            _ => (name, 0),
        };
        let op = spec.operators.iter().position(|o| o.name == op_name)?;
        let vi = self.vertices.iter().position(|v| v.ops.contains(&op))?;
        self.vertex_tasks(vi).get(sub as usize).copied()
    }

    /// The sans-IO description of one attempt of `task`, its keyed output edges routed by the
    /// effective max parallelism of the vertices they enter (`rescaled`: the vertices a
    /// rescale's new job adopted, empty for a job no rescale started; `key_routing.rs`), its
    /// rebalance edges starting where `seed` draws for this attempt (`rebalance.rs`). Every
    /// driver (world, explorer, floor) builds its tasks here, so they run the same job.
    pub fn task_spec(
        &self,
        spec: &JobSpec,
        task: TaskId,
        attempt: Attempt,
        rescaled: &BTreeMap<String, VertexParallelism>,
        seed: u64,
    ) -> TaskSpec {
        let (vi, s) = self.task_vertex[task.0 as usize];
        let v = &self.vertices[vi];
        let head = self.head_spec(spec, task, v.ops[0]);
        let (chain, tail, padding_bytes) = if self.is_line(spec, vi) {
            let (chain, tail, padding_bytes) = chain_of(spec, &v.ops, s);
            (chain, tail.unwrap_or_else(|| self.output_tail(spec, vi)), padding_bytes)
        } else {
            self.tree_of(spec, vi, s)
        };
        let mut tspec = TaskSpec {
            task,
            name: self.tasks[task.0 as usize].name.clone(),
            subtask: s,
            parallelism: v.parallelism,
            attempt,
            head,
            chain,
            tail,
            profile: spec.profile,
            variant: spec.variant,
            padding_bytes,
            vertex_peers: self.vertex_tasks(vi),
        };
        self.route_key_groups(spec, rescaled, &mut tspec);
        super::rebalance::draw_starts(&mut tspec.tail, seed, task, attempt);
        tspec
    }

    /// What `task` reads, by the kind of its vertex's first operator `first`: several input
    /// gates, a log source's topic or whole log, the socket, or its input channels.
    fn head_spec(&self, spec: &JobSpec, task: TaskId, op: usize) -> HeadSpec {
        let first = &spec.operators[op];
        let handler = handler_kind(spec.checkpoint.mode, spec.checkpoint.unaligned);
        match &first.kind {
            OpKind::Union
            | OpKind::Connect(..)
            | OpKind::Join
            | OpKind::EventJoin(_)
            | OpKind::BroadcastProcess { .. } => HeadSpec::MultiInputs {
                gates: InputGates::new(
                    &self.channels_per_gate(task),
                    match first.kind {
                        OpKind::Connect(a, b) => InputOperatorSpec::CoMap { first: a, second: b },
                        OpKind::Join => InputOperatorSpec::Join,
                        OpKind::EventJoin(j) => InputOperatorSpec::EventJoin(j),
                        OpKind::BroadcastProcess { report, function, timer_delay_ms } => {
                            InputOperatorSpec::BroadcastProcess { report, function, timer_delay_ms }
                        }
                        _ => InputOperatorSpec::Union,
                    },
                )
                .with_paths(spec.paths_meet(op)),
                handler,
            },
            OpKind::LogSource { startup } if first.topic.is_some() => {
                let (first_partition, partitions) = first.topic.unwrap_or((0, 1));
                HeadSpec::LogTopic { first_partition, partitions, topic: spec.topic_name(op), startup: *startup }
            }
            OpKind::SocketSource => HeadSpec::LineSource,
            OpKind::LogSource { startup } => HeadSpec::LogSource {
                partitions: match &spec.input {
                    crate::spec::InputSpec::Log { partitions, .. } => *partitions,
                    _ => 1,
                },
                topic: spec.topic_name(op),
                startup: *startup,
            },
            _ => HeadSpec::Inputs { inputs: self.inputs_of(task).len() as u32, handler },
        }
    }

    /// Whether vertex `vi`'s chain is a line: each operator chained onto the one before (never
    /// onto its late side output), every output edge leaving from the last. Else its tasks run a
    /// tree ([`TailSpec::Tree`]).
    pub fn is_line(&self, spec: &JobSpec, vi: usize) -> bool {
        let v = &self.vertices[vi];
        let last = *v.ops.last().expect("a vertex has a head");
        (1..v.ops.len()).all(|i| {
            v.parents[i] == v.ops[i - 1]
                && !spec.operators[v.ops[i - 1]].kind.is_sink()
                && !spec.operators[v.ops[i]].late_input
        }) && self.out_edges[vi].iter().all(|&(down, k)| self.vertices[down].input_ops[k] == last)
    }

    /// The chain of subtask `s` of vertex `vi` when it is a tree: its operators in chain order,
    /// and the wiring (`ChainTree`): per node, its output edges (Flink's `RecordWriterOutput`s)
    /// first, then its chained consumers; the ends are the vertex's output edges in order, then
    /// its sinks.
    fn tree_of(&self, spec: &JobSpec, vi: usize, s: u32) -> (Vec<ChainedOperator>, TailSpec, u64) {
        let v = &self.vertices[vi];
        let edges = self.output_partitioners(spec, vi);
        let mut ends: Vec<ChainEnd> = edges.iter().map(|(p, late)| ChainEnd::Edge(p.clone(), *late)).collect();
        let mut chain = Vec::new();
        let mut padding_bytes = 0;
        // Per operator of the vertex: the hop that reaches it, and the node its records leave.
        let mut entry: Vec<Option<ChainHop>> = vec![None; v.ops.len()];
        let mut exit: Vec<usize> = vec![0; v.ops.len()];
        let mut sink_hops: Vec<(usize, ChainHop)> = Vec::new();
        for (i, &o) in v.ops.iter().enumerate() {
            padding_bytes += spec.operators[o].padding_bytes;
            let (ops, tail, _) = chain_of(spec, &[o], s);
            let first = chain.len();
            chain.extend(ops);
            if first < chain.len() {
                entry[i] = Some(ChainHop::Op(first));
                exit[i] = chain.len();
            }
            if let Some(sink) = tail {
                let end = ChainHop::End(ends.len());
                ends.push(match sink {
                    TailSpec::TwoPhaseCommitSink => ChainEnd::TwoPhaseCommitSink,
                    _ => ChainEnd::PrintSink,
                });
                match entry[i] {
                    // A sink's failure injectors run as an identity map in front of it.
                    Some(_) => sink_hops.push((chain.len(), end)),
                    None => entry[i] = Some(end),
                }
            }
        }
        let mut hops: Vec<Vec<ChainHop>> = vec![Vec::new(); chain.len() + 1];
        // The head's records reach its chained operator (a source's or input operator's
        // injectors, or the operator itself when it reads input channels).
        if exit[0] > 0 {
            hops[0].push(ChainHop::Op(0));
        }
        for (node, end) in sink_hops {
            hops[node].push(end);
        }
        for (i, &o) in v.ops.iter().enumerate() {
            let from = exit[i];
            for (e, &(down, k)) in self.out_edges[vi].iter().enumerate() {
                if self.vertices[down].input_ops[k] == o && edges[e].1.is_none() {
                    hops[from].push(ChainHop::End(e));
                }
            }
            for c in (1..v.ops.len()).filter(|c| v.parents[*c] == o) {
                let hop = entry[c].expect("a chained operator is reached");
                // A consumer chained onto the window's late side output takes only its late
                // elements (Flink's `ChainingOutput` with the late `OutputTag`). One chained
                // onto a side output of the head's interval join hangs off the head itself
                // (node 0, session 34): the join sends late elements before its injectors.
                let tag = spec.late_input_tag(v.ops[c]);
                let node = if tag.is_some() && i == 0 && spec.operators[o].kind.is_multi_input() { 0 } else { from };
                hops[node].push(match (hop, tag) {
                    (ChainHop::Op(j), Some(tag)) => ChainHop::LateOp(j, tag),
                    (ChainHop::End(e), Some(tag)) => ChainHop::LateEnd(e, tag),
                    (hop, _) => hop,
                });
            }
        }
        (chain, TailSpec::Tree(ChainTree { hops, ends }), padding_bytes)
    }

    /// The partitioners of vertex `vi`'s output edges, each with whether it carries a late
    /// side output.
    fn output_partitioners(&self, spec: &JobSpec, vi: usize) -> Vec<(Partitioner, Option<LateTag>)> {
        let late = self.out_edges[vi]
            .iter()
            .map(|&(down, k)| late_edge(spec, self.vertices[down].ops[0], k).filter(|_| spec.is_graph()));
        self.out_edges[vi].iter().map(|&(down, k)| self.edge_partitioner(down, k)).zip(late).collect()
    }

    /// The partitioner of the edge into input `k` of vertex `down`, over `down`'s subtasks.
    fn edge_partitioner(&self, down: usize, k: usize) -> Partitioner {
        let n = self.vertices[down].parallelism;
        match self.in_edges[down][k].1 {
            EdgeKind::Forward => Partitioner::Forward,
            EdgeKind::Hash => Partitioner::Hash { channels: n },
            EdgeKind::Broadcast => Partitioner::Broadcast { channels: n },
            EdgeKind::Rebalance => Partitioner::Rebalance { channels: n, start: 0 },
        }
    }

    /// The partitioners of vertex `vi`'s output edges: one, or several (`TailSpec::Outputs`).
    fn output_tail(&self, spec: &JobSpec, vi: usize) -> TailSpec {
        let late: Vec<Option<LateTag>> = self.out_edges[vi]
            .iter()
            .map(|&(down, k)| late_edge(spec, self.vertices[down].ops[0], k).filter(|_| spec.is_graph()))
            .collect();
        let mut edges: Vec<Partitioner> =
            self.out_edges[vi].iter().map(|&(down, k)| self.edge_partitioner(down, k)).collect();
        if late.iter().any(Option::is_some) {
            TailSpec::Tagged(edges.into_iter().zip(late).collect())
        } else if edges.len() == 1 {
            TailSpec::Output(edges.remove(0))
        } else {
            TailSpec::Outputs(edges)
        }
    }
}

/// The planted `late-judged-by-first-window` (session 40): for a window beside the job's first
/// (an event-time window fed by no window, not the first), the first window's assigner and
/// allowed lateness, which it then judges lateness by; None otherwise and without the plant.
fn first_window_lateness(spec: &JobSpec, i: usize) -> Option<(ckptsim::window::WindowAssigner, u64)> {
    if spec.variant != ckptsim::variant::Variant::LateJudgedByFirstWindow {
        return None;
    }
    let windows = spec.window_stages();
    let first = *windows.first().filter(|f| **f != i)?;
    let OpKind::EventWindow(w) = &spec.operators[first].kind else { return None };
    let beside = !spec.upstream_of(i).iter().any(|u| *u != i && windows.contains(u));
    beside.then_some((w.assigner, w.allowed_lateness_ms))
}

/// The operator chain of subtask `s` of a vertex of operators `vertex_ops`: the chained
/// operators (a source's or sink's failure injectors as an identity map), the sink tail if the
/// vertex ends in one, and the state padding of all of them.
fn chain_of(spec: &JobSpec, vertex_ops: &[usize], s: u32) -> (Vec<ChainedOperator>, Option<TailSpec>, u64) {
    let ops = &spec.operators;
    let mut chain = Vec::new();
    let mut tail = None;
    let mut padding_bytes = 0;
    for &i in vertex_ops {
        let o = &ops[i];
        padding_bytes += o.padding_bytes;
        let kind = match &o.kind {
            OpKind::SocketSource
            | OpKind::LogSource { .. }
            | OpKind::KeyBy
            | OpKind::Rebalance
            | OpKind::Broadcast
            | OpKind::Union
            | OpKind::Connect(..)
            | OpKind::Join
            | OpKind::EventJoin(_)
            | OpKind::BroadcastProcess { .. } => {
                if !o.injectors.is_empty() {
                    // Injectors on a source run as a chained identity map right after it.
                    Some(OperatorKind::Map(ckptsim::operator::Udf::Identity))
                } else {
                    None
                }
            }
            OpKind::Map(u) => Some(OperatorKind::Map(*u)),
            OpKind::FlatMap(u) => Some(OperatorKind::FlatMap(*u)),
            OpKind::Filter(u) => Some(OperatorKind::Filter(*u)),
            OpKind::Aggregate(a) => Some(OperatorKind::KeyedAggregate(*a)),
            OpKind::CountWindow { size } => Some(OperatorKind::CountWindow { size: *size }),
            OpKind::EventWindow(w) => Some(OperatorKind::EventWindow(*w)),
            OpKind::PrintSink => {
                tail = Some(TailSpec::PrintSink);
                None
            }
            OpKind::TwoPhaseCommitSink => {
                tail = Some(TailSpec::TwoPhaseCommitSink);
                None
            }
            OpKind::User(u) => {
                chain.push(ChainedOperator { instance: format!("{}[{}]", o.name, s), operator: u.operator(o) });
                None
            }
        };
        if let Some(kind) = kind {
            let mut operator = Operator::new(kind, o.injectors.clone());
            if let Some((assigner, lateness)) = first_window_lateness(spec, i) {
                operator.event_window_mut().into_iter().for_each(|w| w.plant_late_as(assigner, lateness));
            }
            chain.push(ChainedOperator { instance: format!("{}[{}]", o.name, s), operator });
        } else if o.kind.is_sink() && !o.injectors.is_empty() {
            chain.push(ChainedOperator {
                instance: format!("{}[{}]", o.name, s),
                operator: Operator::new(OperatorKind::Map(ckptsim::operator::Udf::Identity), o.injectors.clone()),
            });
        }
    }
    (chain, tail, padding_bytes)
}

/// Flink-style display names of chained vertices: `Source: A -> B`, `Sink: C`; an operator with
/// several chained consumers names them in parentheses, `Source: A -> (Sink: B, Sink: C)`
/// (`StreamingJobGraphGenerator#createChainedName`).
pub(super) fn name_vertices(vertices: &mut [Vertex], ops: &[crate::spec::OpSpec]) {
    for v in vertices {
        v.name = chained_name(v, 0, ops);
    }
}

/// The chained name of `v`'s operator at position `i` and its chained consumers.
fn chained_name(v: &Vertex, i: usize, ops: &[crate::spec::OpSpec]) -> String {
    let o = &ops[v.ops[i]];
    let own = if o.kind.is_source() {
        format!("Source: {}", o.name)
    } else if o.kind.is_sink() {
        format!("Sink: {}", o.name)
    } else {
        o.name.clone()
    };
    let children: Vec<String> =
        (1..v.ops.len()).filter(|c| v.parents[*c] == v.ops[i]).map(|c| chained_name(v, c, ops)).collect();
    match children.len() {
        0 => own,
        1 => format!("{own} -> {}", children[0]),
        _ => format!("{own} -> ({})", children.join(", ")),
    }
}

/// Which late side output of its producer input edge `k` of vertex `down` (first operator
/// `first`) carries, if any: the operator reads `W.late` (or `J.late_left` / `J.late_right`)
/// there (as its one input, or as a union's or connect's `late_gate`), or its input `k` is a
/// partitioning that does.
fn late_edge(spec: &JobSpec, first: usize, k: usize) -> Option<LateTag> {
    if spec.reads_late(first, k) {
        return Some(spec.late_input_tag(first).unwrap_or(LateTag::Window));
    }
    let input = spec.op_inputs(first).get(k).copied();
    input.filter(|i| spec.operators[*i].kind.is_partitioning()).and_then(|i| spec.late_input_tag(i))
}

/// Per job (its epoch), the tasks whose vertex holds print sink `op` and the index of `op` among
/// the print sinks of that vertex's chain (a row's `OutputRow::sink`; `u32::MAX` for an
/// operator that is no print sink, which prints nothing).
pub fn print_sink_rows(graphs: &[(u64, Graph)], spec: &JobSpec, op: usize) -> Vec<(u64, BTreeSet<TaskId>, u32)> {
    tasks_of_operator(graphs, op)
        .into_iter()
        .zip(graphs)
        .map(|((epoch, tasks), (_, graph))| {
            let index = graph.vertices.iter().find(|v| v.ops.contains(&op)).and_then(|v| {
                let prints: Vec<usize> =
                    v.ops.iter().copied().filter(|o| matches!(spec.operators[*o].kind, OpKind::PrintSink)).collect();
                prints.iter().position(|o| *o == op)
            });
            (epoch, tasks, index.map_or(u32::MAX, |i| i as u32))
        })
        .collect()
}

/// Per job (its epoch), the tasks whose vertex holds operator `op` (the checkers' view of one
/// operator across rescales and restarts: each job numbers its tasks anew).
pub fn tasks_of_operator(graphs: &[(u64, Graph)], op: usize) -> Vec<(u64, BTreeSet<TaskId>)> {
    graphs
        .iter()
        .map(|(epoch, graph)| {
            let tasks = (0..graph.vertices.len())
                .filter(|vi| graph.vertices[*vi].ops.contains(&op))
                .flat_map(|vi| graph.vertex_tasks(vi))
                .collect();
            (*epoch, tasks)
        })
        .collect()
}
