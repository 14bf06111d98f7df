//! Fuzz target bodies for the core machines: byte strings decoded into legal operation sequences for a barrier handler and for the coordinator.
//!
//! The decoders respect each machine's host contract (time never goes back, nothing is taken
//! from a blocked or closed channel, barriers of one channel arrive in id order) so that any
//! panic is a bug in the machine: its `invariants()` run after every handler. The cargo-fuzz
//! binaries in `fuzz/` call these; `tests/fuzz_corpus.rs` replays the committed corpus.

use crate::barrier::{BarrierHandler, HandlerKind};
use crate::config::{CheckpointConfig, Retune};
use crate::coordinator::{CheckpointCoordinator, ExecutionView, RequestKind};
use crate::ids::{ChannelId, CheckpointId, TaskId};
use crate::reason::CheckpointFailureReason;
use crate::record::{Alignment, Barrier, CheckpointKind};
use crate::state::TaskSnapshot;
use crate::status::JobStatus;
use crate::{Profile, Variant};

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
}

/// Drives one barrier handler with a byte-chosen interleaving of records, barriers, cancel
/// markers, end of partition, timers and JobManager aborts.
pub fn barrier_ops(data: &[u8]) {
    let mut b = Bytes(data);
    let Some(cfg) = b.next() else { return };
    let kind = [HandlerKind::Aligned, HandlerKind::AtLeastOnce, HandlerKind::Alternating][cfg as usize % 3];
    let profile = Profile::ALL[(cfg as usize / 3) % 2];
    let channels = 1 + (b.next().unwrap_or(0) % 4) as u32;
    let mut h = BarrierHandler::new(kind, channels, profile, Variant::Correct);
    let mut now_ms = 0u64;
    let mut next_id = vec![1u64; channels as usize];
    let mut closed = vec![false; channels as usize];
    while let (Some(op), Some(arg)) = (b.next(), b.next()) {
        let ch_index = arg as usize % channels as usize;
        let ch = ChannelId(ch_index as u32);
        let open = !closed[ch_index];
        match op % 7 {
            0 | 1 if open && !h.is_blocked(ch) => {
                let _ = h.handle_record(now_ms, ch);
            }
            2 if open && !h.is_blocked(ch) => {
                // Barrier ids on one channel increase; a channel may skip ids (cancelled upstream).
                let id = next_id[ch_index] + (arg as u64 >> 6);
                next_id[ch_index] = id + 1;
                let alignment = match (kind, arg % 4) {
                    (HandlerKind::Aligned, _) => Alignment::Aligned,
                    (HandlerKind::AtLeastOnce, _) => Alignment::AtLeastOnce,
                    (_, 0) => Alignment::Aligned,
                    (_, 1) => Alignment::Unaligned,
                    _ if profile.supports_aligned_timeout() => Alignment::AlignedWithTimeout { timeout_ms: 5 },
                    _ => Alignment::Unaligned,
                };
                let kind = if arg % 16 == 15 { CheckpointKind::Savepoint } else { CheckpointKind::Checkpoint };
                let barrier = Barrier {
                    id: CheckpointId(id),
                    timestamp_ms: now_ms.saturating_sub(arg as u64 % 8),
                    kind,
                    alignment,
                    stop: None,
                };
                h.handle_barrier(now_ms, ch, barrier, 0);
            }
            3 if open && !h.is_blocked(ch) => {
                let id = next_id[ch_index];
                next_id[ch_index] = id + 1;
                h.handle_cancel_marker(now_ms, ch, CheckpointId(id));
            }
            4 if open && !h.is_blocked(ch) && arg % 8 == 0 => {
                closed[ch_index] = true;
                h.handle_end_of_partition(now_ms, ch);
            }
            5 => {
                now_ms += arg as u64 % 16;
                if h.poll_timeout().is_some_and(|t| t <= now_ms) {
                    h.handle_timeout(now_ms);
                }
            }
            6 => h.handle_checkpoint_aborted(now_ms, CheckpointId(1 + arg as u64 % 8)),
            _ => {}
        }
        while h.poll_output().is_some() {}
        h.invariants();
        // The tracker never blocks.
        if kind == HandlerKind::AtLeastOnce {
            assert!((0..channels).all(|c| !h.is_blocked(ChannelId(c))), "the at-least-once tracker blocked a channel");
        }
    }
}

/// Drives a coordinator through a byte-chosen sequence of view changes, timers, requests,
/// acks, declines, storage faults, re-tunes, failovers and a final shutdown.
pub fn coordinator_ops(data: &[u8]) {
    let mut b = Bytes(data);
    let Some(cfg) = b.next() else { return };
    let profile = Profile::ALL[cfg as usize % 2];
    let tasks: Vec<TaskId> = (0..1 + (cfg as u32 / 2) % 3).map(TaskId).collect();
    let config = CheckpointConfig {
        interval_ms: Some([5, 10, 100, 1000][(cfg as usize / 8) % 4]),
        min_pause_ms: [0, 50, 500][(cfg as usize / 32) % 3],
        timeout_ms: 1000,
        max_concurrent: 1 + (cfg as i64 / 96) % 2,
        tolerable_failures: 2,
        ..CheckpointConfig::default()
    };
    if config.validate(profile).is_err() {
        return;
    }
    let mut c = CheckpointCoordinator::new(&config, profile, Variant::Correct, tasks.clone(), cfg as u64 * 31);
    let mut now_ms = 0u64;
    let mut last_id = CheckpointId::NONE;
    while let (Some(op), Some(arg)) = (b.next(), b.next()) {
        match op % 10 {
            0 => {
                let running = arg % 2 == 0;
                let status = if arg % 5 == 4 { JobStatus::Restarting } else { JobStatus::Running };
                let view = ExecutionView {
                    job_status: status,
                    all_tasks_running_or_finished: running,
                    sources_running: running,
                };
                c.handle_execution_view(now_ms, view, arg as u64 * 7919);
            }
            1 | 2 => {
                now_ms += arg as u64 * 8;
                if c.poll_timeout().is_some_and(|t| t <= now_ms) {
                    c.handle_timeout(now_ms);
                }
            }
            3 => c.request(now_ms, if arg % 2 == 0 { RequestKind::Manual } else { RequestKind::Savepoint }),
            4 | 5 => {
                let pending = c.pending_ids();
                if let Some(&id) = pending.get(arg as usize % pending.len().max(1)) {
                    c.handle_ack(now_ms, id, tasks[arg as usize % tasks.len()], TaskSnapshot::default());
                }
            }
            6 => {
                let pending = c.pending_ids();
                if let Some(&id) = pending.first() {
                    c.handle_decline(now_ms, id, tasks[0], CheckpointFailureReason::CheckpointDeclined);
                }
            }
            7 => c.handle_storage_status(now_ms, arg % 3 != 0),
            8 => {
                let r = Retune {
                    interval_ms: (arg % 4 == 0).then_some(arg as i64 * 10 - 50),
                    min_pause_ms: (arg % 4 == 1).then_some(arg as i64 - 20),
                    timeout_ms: (arg % 4 == 2).then_some(arg as i64 * 20 - 10),
                    tolerable_failures: (arg % 4 == 3).then_some(arg as i64 % 5 - 1),
                };
                let before = c.config().clone();
                if c.retune(now_ms, &r).is_err() {
                    assert_eq!(c.config(), &before, "a rejected re-tune changed the config");
                }
            }
            _ => {
                if arg % 4 == 0 {
                    c.handle_global_failover(now_ms);
                }
            }
        }
        while let Some(o) = c.poll_output() {
            if let crate::coordinator::CoordinatorOutput::Trigger { id, .. } = o {
                assert!(id > last_id, "checkpoint ids must strictly increase");
                last_id = id;
            }
        }
        c.invariants();
    }
    c.shutdown(now_ms, JobStatus::Canceled);
    while c.poll_output().is_some() {}
    c.invariants();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cheap deterministic sweep over byte strings (the fuzzers explore much more).
    #[test]
    fn fuzz_bodies_accept_pseudo_random_inputs() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for len in [0usize, 1, 2, 7, 64, 301] {
            for _ in 0..200 {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect();
                barrier_ops(&data);
                coordinator_ops(&data);
            }
        }
    }
}
