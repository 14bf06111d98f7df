//! Where each task attempt's `rebalance` edges start their round robin: a seeded draw per (task attempt, output edge), as Flink's `RebalancePartitioner#setup` draws `ThreadLocalRandom.nextInt(numberOfChannels)` for each task's own copy of the partitioner.
//!
//! Flink clones an edge's partitioner for every `RecordWriter` a `StreamTask` builds
//! (`StreamTask#createRecordWriters`) and `ChannelSelectorRecordWriter`'s constructor calls its
//! `setup(numberOfChannels)`: every deployment of every producing subtask draws its own start,
//! and `selectChannel` then sends the first record to `(start + 1) % channels`. Here the draw
//! is a pure function of the run's seed, the task, the attempt and the edge's index in the
//! task's tail, taken from a ChaCha stream of its own ([`REBALANCE_STREAM`]), so no other
//! seeded stream shifts and every driver that builds the task (world, explorer, floor) routes
//! as the world does.
//!
//! Each job of a scenario draws anew: a job started by `rescale` or `restore-retained` numbers
//! its tasks and JobMaster attempts from 0 again, but the attempt drawn with is the world's
//! (`epoch * EPOCH_STRIDE + attempt`, the explorer's likewise), so a new JobManager epoch gives
//! other draws (`sim/tests/rescale.rs` `each_job_draws_its_own_rebalance_start`, session 34).

use ckptsim::ids::TaskId;
use ckptsim::task::{Partitioner, TailSpec};
use ckptsim::Attempt;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The ChaCha stream of the rebalance starts (1: the network, `2 + epoch`: the JobManagers,
/// `100 + k`: the inputs, 200–203: swarm and guided runs, 300: the latencies).
pub const REBALANCE_STREAM: u64 = 400;

/// The start (Flink's `nextChannelToSendTo` after `setup`) of output edge `edge` of `task`'s
/// `attempt` over `channels` channels, drawn from the run's `seed`.
pub fn rebalance_start(seed: u64, task: TaskId, attempt: Attempt, edge: usize, channels: u32) -> u32 {
    assert!(channels >= 1, "a rebalance over no channel");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(REBALANCE_STREAM);
    // One block (16 words) per draw: task in the high 32 bits, attempt and edge below.
    let index = (u64::from(task.0) << 32) | (u64::from(attempt.0 & 0xFFFF) << 16) | (edge as u64 & 0xFFFF);
    rng.set_word_pos(u128::from(index) * 16);
    rng.random_range(0..channels)
}

/// Draws the start of every `rebalance` edge of a task attempt's tail (edges in tail order).
pub fn draw_starts(tail: &mut TailSpec, seed: u64, task: TaskId, attempt: Attempt) {
    for (edge, p) in tail.partitioners_mut().into_iter().enumerate() {
        if let Partitioner::Rebalance { channels, start } = p {
            *start = rebalance_start(seed, task, attempt, edge, *channels);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each producing subtask's start is drawn: deterministic per seed, spread over every
    /// channel across tasks and seeds, different for other seeds, attempts and edges.
    #[test]
    fn starts_are_seeded_draws_per_task_attempt_and_edge() {
        let draw = |seed, task, attempt, edge| rebalance_start(seed, TaskId(task), Attempt(attempt), edge, 4);
        assert_eq!(draw(7, 3, 0, 0), draw(7, 3, 0, 0), "deterministic");
        let mut seen = [0u32; 4];
        for seed in 0..50 {
            for task in 0..8 {
                seen[draw(seed, task, 0, 0) as usize] += 1;
            }
        }
        assert!(seen.iter().all(|n| (60..=140).contains(n)), "each of 4 channels about 100 of 400: {seen:?}");
        let differs = |f: &dyn Fn(u64) -> u32| (0..20).map(f).collect::<std::collections::BTreeSet<_>>().len() > 1;
        assert!(differs(&|s| draw(s, 1, 0, 0)), "seeds give different starts");
        assert!(differs(&|a| draw(5, 1, a as u32, 0)), "a new attempt draws again");
        assert!(differs(&|e| draw(5, 1, 0, e as usize)), "each edge draws its own");
        assert!(differs(&|t| draw(5, t as u32, 0, 0)), "each subtask draws its own");
        assert!((0..100).all(|s| rebalance_start(s, TaskId(0), Attempt(0), 0, 1) == 0), "one channel: 0");
    }

    /// Only rebalance edges are drawn, each with its own index: a forward edge keeps nothing.
    #[test]
    fn draw_starts_sets_each_rebalance_edge_of_the_tail() {
        let mut tail = TailSpec::Outputs(vec![
            Partitioner::Rebalance { channels: 5, start: 0 },
            Partitioner::Forward,
            Partitioner::Rebalance { channels: 5, start: 0 },
        ]);
        draw_starts(&mut tail, 9, TaskId(2), Attempt(1));
        let TailSpec::Outputs(ps) = &tail else { unreachable!() };
        assert_eq!(
            ps[0],
            Partitioner::Rebalance { channels: 5, start: rebalance_start(9, TaskId(2), Attempt(1), 0, 5) }
        );
        assert_eq!(ps[1], Partitioner::Forward);
        assert_eq!(
            ps[2],
            Partitioner::Rebalance { channels: 5, start: rebalance_start(9, TaskId(2), Attempt(1), 2, 5) }
        );
    }
}
