//! Key-group routing of a task's keyed output edges, shared by every driver that builds task specs (the world, the explorer, the floor): each keyed edge routes by the max parallelism of the vertex it enters, as Flink's `KeyGroupStreamPartitioner`.
//!
//! [`Graph::task_spec`] calls `Graph::route_key_groups` on every task spec it builds, so
//! no driver can build a keyed edge with the core's default 128 key groups when the receiving
//! vertex has another max parallelism (before session 25 only the world re-routed, in
//! `world/rescale.rs`; the explorer and the floor ran a different job from the world's for
//! any `max_parallelism != 128` on a keyed edge). The effective max parallelism of a vertex
//! is its configured one (`max_parallelism`, or Flink's derived default), or, once a rescale
//! restored it, the one the core's `rescale::assign` adopted (`Rescaled::vertices`), which each
//! driver passes in.

use crate::graph::Graph;
use crate::spec::{JobSpec, OpSpec};
use ckptsim::key_group::{MaxParallelism, VertexParallelism};
use ckptsim::operator::MAX_PARALLELISM;
use ckptsim::task::{ChainEnd, Partitioner, TailSpec, TaskSpec};
use std::collections::BTreeMap;

/// Per operator name, the parallelism and effective max parallelism a rescale's new job
/// adopted (`Rescaled::vertices`); empty for a job no rescale started (every vertex as
/// configured).
pub type EffectiveVertices = BTreeMap<String, VertexParallelism>;

/// The configured max parallelism of an operator of a job.
pub(crate) fn configured(o: &OpSpec) -> MaxParallelism {
    o.max_parallelism.map_or(MaxParallelism::Auto, MaxParallelism::Explicit)
}

/// The vertex of operator `o` as configured (before any restore adopts a max parallelism).
pub(crate) fn configured_vertex(o: &OpSpec) -> Result<VertexParallelism, String> {
    VertexParallelism::new(o.parallelism, configured(o)).map_err(|e| format!("operator {}: {e}", o.name))
}

/// The effective max parallelism the job `spec` routes keys into operator `name` with: the
/// one `rescaled` holds for it, else the configured one.
pub fn effective_max_parallelism(spec: &JobSpec, rescaled: &EffectiveVertices, name: &str) -> Option<u32> {
    if let Some(v) = rescaled.get(name) {
        return Some(v.max_parallelism);
    }
    let o = spec.operators.iter().find(|o| o.name == name)?;
    configured_vertex(o).ok().map(|v| v.max_parallelism)
}

impl Graph {
    /// Routes every keyed output edge of `tspec` (a line's one edge, several edges, a late
    /// side output's tagged edges, or the network ends of a chain that is a tree) by its
    /// downstream vertex's key groups when that vertex's max parallelism is not 128 (with 128,
    /// `Hash` routes exactly as Flink's `KeyGroupRangeAssignment.assignKeyToParallelOperator`;
    /// see `key_group.rs`). Flink configures each `KeyGroupStreamPartitioner` with the max
    /// parallelism of the job vertex its edge enters (`StreamingJobGraphGenerator`,
    /// `ConfigurableStreamPartitioner`).
    pub(crate) fn route_key_groups(&self, spec: &JobSpec, rescaled: &EffectiveVertices, tspec: &mut TaskSpec) {
        let (vi, _) = self.task_vertex[tspec.task.0 as usize];
        let max_parallelism_of = |e: usize| {
            let &(down, _) = self.out_edges[vi].get(e)?;
            let &head = self.vertices[down].ops.first()?;
            effective_max_parallelism(spec, rescaled, &spec.operators[head].name).filter(|m| *m != MAX_PARALLELISM)
        };
        let rekey = |e: usize, p: &mut Partitioner| {
            if let Partitioner::Hash { channels } = *p {
                if let Some(max_parallelism) = max_parallelism_of(e) {
                    *p = Partitioner::KeyGroups { channels, max_parallelism };
                }
            }
        };
        match &mut tspec.tail {
            TailSpec::Output(p) => rekey(0, p),
            TailSpec::Outputs(ps) => ps.iter_mut().enumerate().for_each(|(e, p)| rekey(e, p)),
            TailSpec::Tagged(ps) => ps.iter_mut().enumerate().for_each(|(e, (p, _))| rekey(e, p)),
            // A tree's ends are its network edges first, in the order of the vertex's out edges.
            TailSpec::Tree(t) => t.ends.iter_mut().enumerate().for_each(|(e, end)| {
                if let ChainEnd::Edge(p, _) = end {
                    rekey(e, p)
                }
            }),
            TailSpec::PrintSink | TailSpec::TwoPhaseCommitSink => {}
        }
    }
}
