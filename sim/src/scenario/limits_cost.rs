//! Limits on every remaining duration, size and rate key, and on the estimated cost of a run.
//!
//! Each key alone is bounded (a duration by 24 h of virtual time, a rate or size by a constant),
//! and so are the products that decide how many events a run makes: checkpoints per run,
//! subtask snapshots per run, heartbeats, offset commits, buffer-timeout flushes, record hops
//! through the pipeline and restart deployments. A product error names the key in the file that
//! drives it, or `stop_at_ms` when that key is left at its default. The limits are documented in
//! the table of `scenarios/README.md`.

use super::limits::MAX_STOP_AT_MS;
use super::{ActionSpec, Ctx, FaultSpec, InputSpec, Res, Scenario};
use crate::spec::FaultKind;
use ckptsim::config::{RestartStrategyConfig, MINIMAL_CHECKPOINT_TIME_MS};

/// Largest value of any duration key (`*_ms`), virtual ms (24 h).
pub const MAX_DURATION_MS: u64 = MAX_STOP_AT_MS;
/// Largest `cluster.record_cost_us` (1 s of virtual time per record and operator).
pub const MAX_RECORD_COST_US: u64 = 1_000_000;
/// Largest `cluster.storage_bandwidth_bytes_per_ms` and `operators[i].state_padding_bytes` (1 TiB).
pub const MAX_BYTES: u64 = 1 << 40;
/// Largest `cluster.channel_capacity_buffers`.
pub const MAX_CHANNEL_CAPACITY_BUFFERS: u64 = 1024;
/// Largest `cluster.buffer_records`.
pub const MAX_BUFFER_RECORDS: u64 = 65_536;
/// Largest rate key (`input.generator.rate_per_s`, `faults[i].records_per_s`).
pub const MAX_RATE_PER_S: u64 = 100_000_000;
/// Most checkpoints a run can trigger: `stop_at_ms / max(interval, min_pause)`, with the
/// smallest interval of the configuration and every retune.
pub const MAX_CHECKPOINTS_PER_RUN: u64 = 1_000_000;
/// Most subtask snapshots per run: checkpoints per run × subtasks of the job.
pub const MAX_SNAPSHOTS_PER_RUN: u64 = 20_000_000;
/// Most heartbeats per run: `stop_at_ms / heartbeat_interval_ms × task_managers`.
pub const MAX_HEARTBEATS_PER_RUN: u64 = 10_000_000;
/// Most periodic offset commits per run: `stop_at_ms / auto_commit_interval_ms × partitions`.
pub const MAX_OFFSET_COMMITS_PER_RUN: u64 = 10_000_000;
/// Most buffer-timeout flushes per run: `stop_at_ms / buffer_timeout_ms × subtasks`.
pub const MAX_FLUSHES_PER_RUN: u64 = 20_000_000;
/// Most record hops per run: the records each operator takes, summed over the operators
/// (`limits_flow.rs`: a join's rows are bounded by left × right).
pub const MAX_RECORD_HOPS_PER_RUN: u64 = 200_000_000;
/// Most task deployments by restarts per run: possible restarts × subtasks.
pub const MAX_RESTART_DEPLOYS_PER_RUN: u64 = 20_000_000;

impl Ctx<'_> {
    fn dur(&self, path: &str, value: u64) -> Res<()> {
        if value > MAX_DURATION_MS {
            return Err(
                self.err(path, format!("{value} is above the limit of {MAX_DURATION_MS} (24 h of virtual time)"))
            );
        }
        Ok(())
    }

    fn dur_i(&self, path: &str, value: i64) -> Res<()> {
        self.dur(path, value.max(0) as u64)
    }

    pub(super) fn opt_dur(&self, path: &str, value: Option<u64>) -> Res<()> {
        value.map_or(Ok(()), |v| self.dur(path, v))
    }

    pub(super) fn bound(&self, path: &str, value: u64, max: u64, what: &str) -> Res<()> {
        if value > max {
            return Err(self.err(path, format!("{value} is above the limit of {max} ({what})")));
        }
        Ok(())
    }

    /// The key to blame for a product limit: `key` when the file sets it, else `stop_at_ms`.
    pub(super) fn blame<'a>(&self, key: &'a str) -> &'a str {
        if self.index().locate(key).is_some() {
            key
        } else {
            "stop_at_ms"
        }
    }

    fn product(&self, key: &str, value: u64, max: u64, what: &str, how: &str) -> Res<()> {
        if value > max {
            return Err(self.err(
                self.blame(key),
                format!("the run would make about {value} {what} ({how}), above the limit of {max}"),
            ));
        }
        Ok(())
    }

    /// Checks every duration, size and rate key and the per-run cost products.
    pub(super) fn cost_limits(&self, sc: &Scenario) -> Res<()> {
        self.key_limits(sc)?;
        self.product_limits(sc)
    }

    fn key_limits(&self, sc: &Scenario) -> Res<()> {
        let cp = &sc.checkpoint;
        if let Some(i) = cp.interval_ms {
            self.dur_i("checkpoint.interval_ms", i)?;
        }
        self.dur_i("checkpoint.min_pause_ms", cp.min_pause_ms)?;
        self.dur_i("checkpoint.timeout_ms", cp.timeout_ms)?;
        self.dur_i("checkpoint.aligned_timeout_ms", cp.aligned_timeout_ms)?;
        match &sc.restart {
            Some(RestartStrategyConfig::FixedDelay { delay_ms, .. }) => self.dur_i("restart.delay_ms", *delay_ms)?,
            Some(RestartStrategyConfig::FailureRate { interval_ms, delay_ms, .. }) => {
                self.dur_i("restart.interval_ms", *interval_ms)?;
                self.dur_i("restart.delay_ms", *delay_ms)?;
            }
            Some(RestartStrategyConfig::ExponentialDelay {
                initial_backoff_ms,
                max_backoff_ms,
                reset_threshold_ms,
                ..
            }) => {
                self.dur_i("restart.initial_backoff_ms", *initial_backoff_ms)?;
                self.dur_i("restart.max_backoff_ms", *max_backoff_ms)?;
                self.dur_i("restart.reset_threshold_ms", *reset_threshold_ms)?;
            }
            Some(RestartStrategyConfig::NoRestart) | None => {}
        }
        let c = &sc.cluster;
        for (key, (lo, hi)) in [
            ("cluster.control_latency_ms", c.control_latency_ms),
            ("cluster.deploy_latency_ms", c.deploy_latency_ms),
            ("cluster.restore_latency_ms", c.restore_latency_ms),
            ("cluster.cancel_latency_ms", c.cancel_latency_ms),
            ("cluster.first_start_latency_ms", c.first_start_latency_ms),
        ] {
            self.dur(key, lo.max(hi))?;
        }
        self.dur("cluster.data_latency_ms", c.data_latency_ms)?;
        self.dur("cluster.buffer_timeout_ms", c.buffer_timeout_ms)?;
        self.dur("cluster.heartbeat_interval_ms", c.heartbeat_interval_ms)?;
        self.dur("cluster.heartbeat_timeout_ms", c.heartbeat_timeout_ms)?;
        self.dur("cluster.task_cancellation_timeout_ms", c.task_cancellation_timeout_ms)?;
        self.bound("cluster.record_cost_us", c.record_cost_us, MAX_RECORD_COST_US, "1 s of virtual time per record")?;
        let bw = c.storage_bandwidth_bytes_per_ms;
        self.bound("cluster.storage_bandwidth_bytes_per_ms", bw, MAX_BYTES, "1 TiB per ms")?;
        let cap = c.channel_capacity_buffers.into();
        self.bound("cluster.channel_capacity_buffers", cap, MAX_CHANNEL_CAPACITY_BUFFERS, "buffers per channel")?;
        self.bound("cluster.buffer_records", c.buffer_records.into(), MAX_BUFFER_RECORDS, "records per buffer")?;
        self.dur("kafka.auto_commit_interval_ms", sc.kafka.auto_commit_interval_ms)?;
        for (i, o) in sc.operators.iter().enumerate() {
            self.opt_dur(&format!("operators[{i}].fail_at_ms"), o.fail_at_ms)?;
            self.opt_dur(&format!("operators[{i}].transaction_timeout_ms"), o.sink_store.transaction_timeout_ms)?;
            let path = format!("operators[{i}].state_padding_bytes");
            self.bound(&path, o.state_padding_bytes, MAX_BYTES, "1 TiB of modelled state")?;
        }
        match &sc.input {
            InputSpec::Lines(lines) => {
                for (i, l) in lines.iter().enumerate() {
                    self.dur(&format!("input.lines[{i}].at_ms"), l.at_ms)?;
                }
            }
            InputSpec::Records { records, .. } => {
                for (i, r) in records.iter().enumerate() {
                    self.dur(&format!("input.records[{i}].at_ms"), r.at_ms)?;
                }
            }
            InputSpec::Generator { generator: g, .. } => {
                self.bound("input.generator.rate_per_s", g.rate_per_s, MAX_RATE_PER_S, "records per second")?;
            }
        }
        for (i, a) in sc.actions.iter().enumerate() {
            if let crate::scenario::When::At(at_ms) = a.when {
                self.dur(&format!("actions[{i}].at_ms"), at_ms)?;
            }
            if let ActionSpec::Retune(r) = &a.action {
                for (key, v) in
                    [("interval_ms", r.interval_ms), ("min_pause_ms", r.min_pause_ms), ("timeout_ms", r.timeout_ms)]
                {
                    if let Some(v) = v {
                        self.dur_i(&format!("actions[{i}].{key}"), v)?;
                    }
                }
            }
        }
        for (i, f) in sc.faults.iter().enumerate() {
            // (A slow link's keys are bounded as written by `validate_events.rs`.)
            let (extra, rate) = match &f.fault {
                FaultSpec::Inject { kind: FaultKind::ControlDelay { extra_ms, .. }, .. }
                | FaultSpec::Inject { kind: FaultKind::StorageSlow { extra_ms }, .. } => (Some(*extra_ms), None),
                FaultSpec::Inject { kind: FaultKind::SlowSnapshot { sync_ms, async_ms, .. }, .. } => {
                    (Some(sync_ms + async_ms), None)
                }
                FaultSpec::Inject { kind: FaultKind::SlowOperator { records_per_s, .. }, .. }
                | FaultSpec::InputBurst { records_per_s, .. } => (None, Some(*records_per_s)),
                _ => (None, None),
            };
            self.opt_dur(&format!("faults[{i}].extra_ms"), extra)?;
            if let Some(r) = rate {
                self.bound(&format!("faults[{i}].records_per_s"), r, MAX_RATE_PER_S, "records per second")?;
            }
        }
        self.opt_dur("expect.max_checkpoint_gap_ms", sc.expect.max_checkpoint_gap_ms)
    }

    fn product_limits(&self, sc: &Scenario) -> Res<()> {
        let stop = sc.stop_at_ms;
        let subtasks: u64 = sc.operators.iter().map(|o| u64::from(o.parallelism)).sum::<u64>().max(1);
        // Checkpoints: the smallest spacing of the configuration and of every retune.
        let mut spacing: Option<(u64, String)> =
            sc.checkpoint.base_interval_ms().map(|s| (s, "checkpoint.interval_ms".to_string()));
        for (i, a) in sc.actions.iter().enumerate() {
            if let ActionSpec::Retune(r) = &a.action {
                if let Some(iv) = r.interval_ms.filter(|v| *v >= MINIMAL_CHECKPOINT_TIME_MS) {
                    let s = (iv as u64).max(r.min_pause_ms.unwrap_or(0).max(0) as u64);
                    if spacing.as_ref().is_none_or(|(best, _)| s < *best) {
                        spacing = Some((s, format!("actions[{i}].interval_ms")));
                    }
                }
            }
        }
        let mut checkpoints = 0;
        if let Some((s, key)) = spacing {
            checkpoints = stop / s.max(1);
            let how = format!("stop_at_ms {stop} / interval {s} ms");
            self.product(&key, checkpoints, MAX_CHECKPOINTS_PER_RUN, "checkpoints", &how)?;
            let how = format!("{checkpoints} checkpoints × {subtasks} subtasks");
            self.product(&key, checkpoints * subtasks, MAX_SNAPSHOTS_PER_RUN, "subtask snapshots", &how)?;
        }
        let c = &sc.cluster;
        let tms = u64::from(c.task_managers);
        let beats = stop / c.heartbeat_interval_ms.max(1) * tms;
        let how = format!("stop_at_ms {stop} / heartbeat_interval_ms {} × {tms} TaskManagers", c.heartbeat_interval_ms);
        self.product("cluster.heartbeat_interval_ms", beats, MAX_HEARTBEATS_PER_RUN, "heartbeats", &how)?;
        if !matches!(sc.input, InputSpec::Lines(_)) {
            let parts = u64::from(sc.input.partitions());
            let every = sc.kafka.auto_commit_interval_ms;
            let commits = stop / every.max(1) * parts;
            let how = format!("stop_at_ms {stop} / auto_commit_interval_ms {every} × {parts} partitions");
            self.product("kafka.auto_commit_interval_ms", commits, MAX_OFFSET_COMMITS_PER_RUN, "offset commits", &how)?;
        }
        if let Some(per_subtask) = stop.checked_div(c.buffer_timeout_ms) {
            let flushes = per_subtask * subtasks;
            let how = format!("stop_at_ms {stop} / buffer_timeout_ms {} × {subtasks} subtasks", c.buffer_timeout_ms);
            self.product("cluster.buffer_timeout_ms", flushes, MAX_FLUSHES_PER_RUN, "buffer flushes", &how)?;
        }
        self.flow_limits(sc, checkpoints)?;
        // Restarts: how many the strategy allows within the run, each redeploying every subtask.
        let (restarts, key) = match sc.restart_config() {
            RestartStrategyConfig::NoRestart => (0, "restart.strategy"),
            RestartStrategyConfig::FixedDelay { attempts, delay_ms } => {
                ((attempts.max(0) as u64).min(stop / (delay_ms.max(1) as u64) + 1), "restart.delay_ms")
            }
            RestartStrategyConfig::FailureRate { max_failures_per_interval, interval_ms, delay_ms } => {
                let windows = stop / (interval_ms.max(1) as u64) + 1;
                let by_rate = (max_failures_per_interval.max(0) as u64).saturating_mul(windows);
                (by_rate.min(stop / (delay_ms.max(1) as u64) + 1), "restart.delay_ms")
            }
            RestartStrategyConfig::ExponentialDelay { initial_backoff_ms, attempts, .. } => {
                let by_time = stop / (initial_backoff_ms.max(1) as u64) + 1;
                ((attempts.max(0) as u64).min(by_time), "restart.initial_backoff_ms")
            }
        };
        let deploys = restarts.saturating_mul(subtasks);
        let how = format!("{restarts} possible restarts × {subtasks} subtasks");
        self.product(key, deploys, MAX_RESTART_DEPLOYS_PER_RUN, "restart deployments", &how)
    }
}
