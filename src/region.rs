//! Pipelined regions of a streaming job's subtask graph and the failover strategy that restarts them (semantics §1.7).
//!
//! Flink's default failover strategy (`jobmanager.execution.failover-strategy: region`,
//! `RestartPipelinedRegionFailoverStrategy`) restarts, on a task failure, the pipelined region
//! of the failed task: the set of subtasks connected to it by pipelined result partitions
//! (`SchedulingPipelinedRegionComputeUtil` builds them from the execution graph). In a
//! streaming job every result partition is pipelined, so a region is a connected component of
//! the subtask graph with the edges taken undirected: a forward (pointwise) edge links subtask
//! *i* to subtask *i*, an all-to-all edge (hash, rebalance, broadcast) links every producer
//! subtask to every consumer subtask. The strategy also restarts the consumers of the failed
//! region's non-reusable results, which for pipelined results are already in the region, so
//! the component is the whole answer here. A global failure (`failGlobal`) restarts all tasks
//! whatever the strategy (`RestartAllFailoverStrategy` semantics).

use crate::ids::TaskId;

/// Which tasks a task failure cancels and restores (Flink's
/// `jobmanager.execution.failover-strategy`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailoverStrategy {
    /// `full`: every task (Flink's `RestartAllFailoverStrategy`); the model's behaviour before
    /// session 30 and its default until session 31.
    Full,
    /// `region`: the failed task's pipelined region (Flink's default,
    /// `JobManagerOptions#EXECUTION_FAILOVER_STRATEGY`, `RestartPipelinedRegionFailoverStrategy`);
    /// the model's default since session 31.
    #[default]
    Region,
}

impl FailoverStrategy {
    /// The scenario spelling (`"full"`, `"region"`).
    pub fn as_str(self) -> &'static str {
        match self {
            FailoverStrategy::Full => "full",
            FailoverStrategy::Region => "region",
        }
    }

    /// Parses the scenario spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(FailoverStrategy::Full),
            "region" => Some(FailoverStrategy::Region),
            _ => None,
        }
    }
}

impl std::fmt::Display for FailoverStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The job's pipelined regions: `regions[r]` lists region `r`'s tasks in id order, regions
/// are ordered by their smallest task id, and `region_of[t]` is task `t`'s region.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Regions {
    /// Each region's tasks, ascending.
    pub regions: Vec<Vec<TaskId>>,
    /// Indexed by task id.
    pub region_of: Vec<u32>,
}

impl Regions {
    /// The connected components of the subtask graph whose task `i` is fed by `inputs[i]`
    /// (a `TaskInfo`'s `inputs`: exactly the subtasks that feed it, so a forward edge
    /// contributes one link and an all-to-all edge one link per producer subtask).
    pub fn compute<'a>(inputs: impl IntoIterator<Item = &'a [TaskId]>) -> Regions {
        let inputs: Vec<&[TaskId]> = inputs.into_iter().collect();
        let n = inputs.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        for (t, ins) in inputs.iter().enumerate() {
            for u in ins.iter() {
                let (a, b) = (root(&mut parent, t), root(&mut parent, u.0 as usize));
                // The smaller index becomes the root: each root is its component's first task.
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                parent[hi] = lo;
            }
        }
        let mut region_of = vec![u32::MAX; n];
        let mut regions: Vec<Vec<TaskId>> = Vec::new();
        for i in 0..n {
            let r = root(&mut parent, i);
            if region_of[r] == u32::MAX {
                region_of[r] = regions.len() as u32;
                regions.push(Vec::new());
            }
            region_of[i] = region_of[r];
            regions[region_of[i] as usize].push(TaskId(i as u32));
        }
        let out = Regions { regions, region_of };
        out.invariants();
        out
    }

    /// The region of `task`.
    pub fn of(&self, task: TaskId) -> u32 {
        self.region_of[task.0 as usize]
    }

    /// The tasks of region `r`.
    pub fn tasks(&self, r: u32) -> &[TaskId] {
        &self.regions[r as usize]
    }

    /// How many regions the job has.
    pub fn len(&self) -> usize {
        self.regions.len()
    }

    /// Whether the job has no task (never for a built job).
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// Panics unless every task is in exactly the region `region_of` names.
    pub fn invariants(&self) {
        let mut seen = 0;
        for (r, tasks) in self.regions.iter().enumerate() {
            assert!(!tasks.is_empty(), "empty region");
            assert!(tasks.windows(2).all(|w| w[0] < w[1]), "region tasks ascending");
            for t in tasks {
                assert_eq!(self.region_of[t.0 as usize], r as u32, "task in two regions");
            }
            seen += tasks.len();
        }
        assert_eq!(seen, self.region_of.len(), "every task in one region");
        assert!(self.regions.windows(2).all(|w| w[0][0] < w[1][0]), "regions ordered by first task");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task's inputs (tasks are listed in id order; `_id` names it for the reader).
    fn task(_id: u32, inputs: &[u32]) -> Vec<TaskId> {
        inputs.iter().map(|&i| TaskId(i)).collect()
    }

    fn compute(tasks: &[Vec<TaskId>]) -> Regions {
        Regions::compute(tasks.iter().map(Vec::as_slice))
    }

    fn ids(r: &Regions) -> Vec<Vec<u32>> {
        r.regions.iter().map(|g| g.iter().map(|t| t.0).collect()).collect()
    }

    /// `RestartPipelinedRegionFailoverStrategyTest`-style topologies, streaming (all results
    /// pipelined): forward edges keep the subtasks apart, an all-to-all edge joins them.
    #[test]
    fn forward_edges_give_one_region_per_subtask() {
        // src(2) --forward--> sink(2): tasks 0,1 sources; 2 fed by 0, 3 fed by 1.
        let r = compute(&[task(0, &[]), task(1, &[]), task(2, &[0]), task(3, &[1])]);
        assert_eq!(ids(&r), vec![vec![0, 2], vec![1, 3]]);
        assert_eq!(r.of(TaskId(3)), 1);
    }

    #[test]
    fn all_to_all_edge_gives_one_region() {
        // src(2) --hash--> sink(2)
        let r = compute(&[task(0, &[]), task(1, &[]), task(2, &[0, 1]), task(3, &[0, 1])]);
        assert_eq!(ids(&r), vec![vec![0, 1, 2, 3]]);
    }

    #[test]
    fn disconnected_pipelines_are_separate_regions() {
        // src A -> sink A, src B -> sink B (ids interleaved).
        let r = compute(&[task(0, &[]), task(1, &[]), task(2, &[1]), task(3, &[0])]);
        assert_eq!(ids(&r), vec![vec![0, 3], vec![1, 2]]);
    }

    #[test]
    fn a_join_of_two_pipelines_merges_them() {
        // Two sources feeding one two-input task: one region (the "diamond" of the Flink test).
        let r = compute(&[task(0, &[]), task(1, &[]), task(2, &[0, 1])]);
        assert_eq!(ids(&r), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn forward_after_all_to_all_stays_one_region() {
        // src(2) --hash--> map(2) --forward--> sink(2)
        let r =
            compute(&[task(0, &[]), task(1, &[]), task(2, &[0, 1]), task(3, &[0, 1]), task(4, &[2]), task(5, &[3])]);
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn parse_round_trips() {
        for s in [FailoverStrategy::Full, FailoverStrategy::Region] {
            assert_eq!(FailoverStrategy::parse(s.as_str()), Some(s));
        }
        assert_eq!(FailoverStrategy::parse("restart-all"), None);
    }
}
