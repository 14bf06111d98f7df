//! Swarm configuration draws appended after the min pause and retained count (issue 14): the retention policy, barrier announcements off/on (flink-2.3) and the network buffer keys (credits per channel, records per buffer, buffer timeout).
//!
//! A child module of `swarm.rs`. These values come last in the configuration stream
//! (`SWARM_CONFIG_STREAM`), after every earlier draw, and always five of them whatever the
//! scenario, so the earlier draws of a seed keep their values and a later append keeps these.
//! Each applies only where the scenario leaves the key at its default (a scenario that sets a
//! key pins it; the spec does not record whether a default was written out, so an explicit
//! default counts as unset) and where the result is a legal configuration.

use super::ChaCha8Rng;
use crate::scenario::limits_cost::MAX_FLUSHES_PER_RUN;
use crate::spec::JobSpec;
use ckptsim::config::Retention;
use rand::Rng;

/// Credits per input channel a seed may draw (`cluster.channel_capacity_buffers`, default 4):
/// one buffer makes every sender backpressured after a single buffer in flight.
const CAPACITIES: [u32; 4] = [1, 2, 4, 8];
/// Records per network buffer (`cluster.buffer_records`, default 32).
const BUFFER_RECORDS: [u32; 4] = [1, 8, 32, 128];
/// Buffer timeouts, ms (`cluster.buffer_timeout_ms`, default 0 = flush at once; Flink's
/// default `execution.buffer-timeout.interval` is 100 ms).
const BUFFER_TIMEOUTS_MS: [u64; 4] = [0, 0, 10, 100];

/// Draws and applies, in this stream order: the retention policy, barrier announcements,
/// credits per channel, records per buffer and the buffer timeout.
///
/// * `checkpoint.retention` (`execution.checkpointing.externalized-checkpoint-retention`):
///   kept, `DELETE_ON_CANCELLATION` or `RETAIN_ON_CANCELLATION` when the scenario keeps
///   `NO_EXTERNALIZED_CHECKPOINTS` and has no action that restores a retained checkpoint
///   (`restore-retained`, `rescale` from a retained checkpoint: there the policy is part of
///   what the scenario asks).
/// * `checkpoint.barrier_announcements`: flink-2.3 only, when the drawn mode is aligned with a
///   timeout and the scenario leaves the key unset (Flink's default, on): half the seeds turn
///   them off (`false`, the one legal override there); not under `[swarm] keep =
///   ["checkpoint_mode"]`, which keeps the scenario's mode with its announcements.
/// * `cluster.channel_capacity_buffers`, `cluster.buffer_records`, `cluster.buffer_timeout_ms`:
///   each from its table when the scenario keeps the default; a buffer timeout is kept at 0
///   when it would pass the flush limit of validation (`MAX_FLUSHES_PER_RUN`).
pub(super) fn draw_config_network(out: &mut JobSpec, spec: &JobSpec, rng: &mut ChaCha8Rng, parts: &mut Vec<String>) {
    let retention_pick = rng.random_range(0..3);
    let announcements_off = rng.random_bool(0.5);
    let capacity = CAPACITIES[rng.random_range(0..CAPACITIES.len())];
    let records = BUFFER_RECORDS[rng.random_range(0..BUFFER_RECORDS.len())];
    let timeout_ms = BUFFER_TIMEOUTS_MS[rng.random_range(0..BUFFER_TIMEOUTS_MS.len())];

    let restores_retained = crate::coverage::has_restore_retained(spec);
    if spec.checkpoint.retention == Retention::default() && !restores_retained && retention_pick > 0 {
        let policy =
            if retention_pick == 1 { Retention::DeleteOnCancellation } else { Retention::RetainOnCancellation };
        out.checkpoint.retention = policy;
        parts.push(format!("retention={}", crate::scenario::names::name_of(&policy)));
    }

    let cp = &mut out.checkpoint;
    let timeout_mode = cp.unaligned && cp.aligned_timeout_ms > 0;
    if spec.profile.supports_aligned_timeout()
        && timeout_mode
        && spec.checkpoint.barrier_announcements.is_none()
        && !spec.swarm_keep.checkpoint_mode
        && announcements_off
    {
        cp.barrier_announcements = Some(false);
        parts.push("announcements=off".into());
    }

    let defaults = crate::scenario::ClusterSpec::default();
    let c = &mut out.cluster;
    if spec.cluster.channel_capacity_buffers == defaults.channel_capacity_buffers
        && capacity != c.channel_capacity_buffers
    {
        c.channel_capacity_buffers = capacity;
        parts.push(format!("channel_capacity_buffers={capacity}"));
    }
    if spec.cluster.buffer_records == defaults.buffer_records && records != c.buffer_records {
        c.buffer_records = records;
        parts.push(format!("buffer_records={records}"));
    }
    if spec.cluster.buffer_timeout_ms == defaults.buffer_timeout_ms
        && timeout_ms != out.cluster.buffer_timeout_ms
        && flushes_within_limit(out, timeout_ms)
    {
        out.cluster.buffer_timeout_ms = timeout_ms;
        parts.push(format!("buffer_timeout={timeout_ms} ms"));
    }
}

/// Whether a buffer timeout of `timeout_ms` keeps `out`'s run within validation's flush limit
/// (`MAX_FLUSHES_PER_RUN`: one flush per timeout per subtask until `stop_at_ms`); asked again
/// after the liveness phase lengthened the run.
pub(super) fn flushes_within_limit(out: &JobSpec, timeout_ms: u64) -> bool {
    let subtasks: u64 = out.operators.iter().map(|o| u64::from(o.parallelism.max(1))).sum();
    out.stop_at_ms.checked_div(timeout_ms).map_or(0, |n| n.saturating_mul(subtasks)) <= MAX_FLUSHES_PER_RUN
}
