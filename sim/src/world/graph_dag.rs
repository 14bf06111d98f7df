//! Job graphs (semantics §14): chaining a graph of operators into vertices by Flink's rules (`StreamingJobGraphGenerator.isChainable`) and wiring their input and output edges.

use super::graph::{EdgeKind, Graph, Vertex};
use crate::spec::{JobSpec, OpKind};
use ckptsim::ids::{TaskId, TmId};
use ckptsim::job::TaskInfo;

/// One input edge of a task operator: the task operator producing it and the partitioning
/// named between them (`key_by`, `rebalance`, `broadcast`; None: forward if it can be).
#[derive(Copy, Clone, Debug)]
struct OpEdge {
    producer: usize,
    partitioning: Option<EdgeKind>,
}

impl Graph {
    /// Chains a job graph and lays out its tasks. An operator joins its producer's chain when
    /// (as `isChainable`) it has one input, the edge is forward (no partitioning named, same
    /// parallelism), both share the default slot sharing group, and it is not a union or
    /// two-input operator. As Flink, every chainable consumer of a producer is chained, so a
    /// chain may be a tree (a source feeding two sinks is one vertex). A late side-output edge
    /// (`W.late`) chains by the same rules (`isChainable` does not read the edge's `OutputTag`;
    /// `OperatorChain` gives the consumer a `ChainingOutput` with that tag), so a forward side
    /// branch of the same parallelism runs in the window's task. Vertices are in topological order, ties by position.
    pub(crate) fn build_dag(spec: &JobSpec) -> Graph {
        let edges = op_edges(spec);
        let (mut vertices, in_edges) = chain_vertices(spec, &edges);
        super::graph::name_vertices(&mut vertices, &spec.operators);
        let mut out_edges: Vec<Vec<(usize, usize)>> = vec![Vec::new(); vertices.len()];
        for (d, ins) in in_edges.iter().enumerate() {
            for (k, (u, _)) in ins.iter().enumerate() {
                out_edges[*u].push((d, k));
            }
        }
        let mut tasks = Vec::new();
        let mut task_vertex = Vec::new();
        for (vi, v) in vertices.iter().enumerate() {
            let is_source = spec.operators[v.ops[0]].kind.is_source();
            for s in 0..v.parallelism {
                let id = TaskId(tasks.len() as u32);
                tasks.push(TaskInfo {
                    id,
                    name: format!("{} ({}/{})", v.name, s + 1, v.parallelism),
                    is_source,
                    tm: TmId(s % spec.cluster.task_managers.max(1)),
                    inputs: Vec::new(),
                    vertex: vi as u32,
                });
                task_vertex.push((vi, s));
            }
        }
        Graph { vertices, task_vertex, tasks, in_edges, out_edges }.with_task_inputs()
    }
}

/// Per operator, its input edges between task operators: a partitioning operator (`key_by`,
/// `rebalance`, `broadcast`) becomes the partitioning of the edge from its own input; a
/// partitioning operator has none.
fn op_edges(spec: &JobSpec) -> Vec<Vec<OpEdge>> {
    let ops = &spec.operators;
    (0..ops.len())
        .map(|j| {
            if ops[j].kind.is_partitioning() {
                return Vec::new();
            }
            spec.op_inputs(j)
                .into_iter()
                .map(|k| {
                    let partitioned = |kind| OpEdge { producer: first_input(spec, k), partitioning: Some(kind) };
                    match ops[k].kind {
                        OpKind::KeyBy => partitioned(EdgeKind::Hash),
                        OpKind::Rebalance => partitioned(EdgeKind::Rebalance),
                        OpKind::Broadcast => partitioned(EdgeKind::Broadcast),
                        _ => OpEdge { producer: k, partitioning: None },
                    }
                })
                .collect()
        })
        .collect()
}

/// The vertices in topological order (ties by position), each task operator chained into its
/// producer's vertex where `isChainable` allows, with each vertex's input edges.
fn chain_vertices(spec: &JobSpec, edges: &[Vec<OpEdge>]) -> (Vec<Vertex>, Vec<Vec<(usize, EdgeKind)>>) {
    let ops = &spec.operators;
    let n = ops.len();
    let is_task = |i: usize| !ops[i].kind.is_partitioning();
    let mut vertex_of: Vec<Option<usize>> = vec![None; n];
    let mut vertices: Vec<Vertex> = Vec::new();
    let mut in_edges: Vec<Vec<(usize, EdgeKind)>> = Vec::new();
    let tasks_total = (0..n).filter(|i| is_task(*i)).count();
    for _ in 0..tasks_total {
        // The first task operator (by position) whose producers are all placed.
        let Some(j) = (0..n).find(|&j| {
            is_task(j) && vertex_of[j].is_none() && edges[j].iter().all(|e| vertex_of[e.producer].is_some())
        }) else {
            unreachable!("a validated job graph is acyclic")
        };
        let o = &ops[j];
        let chain_into = match edges[j].as_slice() {
            [e] if e.partitioning.is_none()
                && ops[e.producer].parallelism == o.parallelism
                && !o.kind.is_multi_input()
                && !o.kind.is_source() =>
            {
                vertex_of[e.producer]
            }
            _ => None,
        };
        if let Some(v) = chain_into {
            vertices[v].ops.push(j);
            vertices[v].parents.push(edges[j][0].producer);
            vertex_of[j] = Some(v);
            continue;
        }
        let ins: Vec<(usize, EdgeKind)> = edges[j]
            .iter()
            .map(|e| {
                let up = vertex_of[e.producer].expect("producer placed");
                let kind = e.partitioning.unwrap_or(if vertices[up].parallelism == o.parallelism {
                    EdgeKind::Forward
                } else {
                    EdgeKind::Rebalance
                });
                (up, kind)
            })
            .collect();
        vertex_of[j] = Some(vertices.len());
        vertices.push(Vertex {
            name: String::new(),
            ops: vec![j],
            parents: vec![j],
            input_ops: edges[j].iter().map(|e| e.producer).collect(),
            parallelism: o.parallelism,
            input: ins.first().map(|e| e.1),
        });
        in_edges.push(ins);
    }
    for v in &mut vertices {
        depth_first(v);
    }
    (vertices, in_edges)
}

/// Puts a vertex's operators in chain order: depth first from the head, each operator's
/// chained consumers in the order of their position (the order their edges were declared, as
/// `StreamingJobGraphGenerator#createChain` walks them). A line keeps its order.
fn depth_first(v: &mut Vertex) {
    let mut order = Vec::with_capacity(v.ops.len());
    let mut stack = vec![v.ops[0]];
    while let Some(o) = stack.pop() {
        order.push(o);
        let mut children: Vec<usize> = (1..v.ops.len()).filter(|&i| v.parents[i] == o).map(|i| v.ops[i]).collect();
        children.sort_unstable();
        stack.extend(children.into_iter().rev());
    }
    let parent_of = |o: usize| v.parents[v.ops.iter().position(|x| *x == o).expect("an operator of the vertex")];
    let parents = order.iter().map(|&o| parent_of(o)).collect();
    v.ops = order;
    v.parents = parents;
}

/// The operator feeding partitioning `k` (validated: exactly one, a task operator).
fn first_input(spec: &JobSpec, k: usize) -> usize {
    spec.op_inputs(k)[0]
}
