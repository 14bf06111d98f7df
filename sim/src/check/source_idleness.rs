//! Part of the `windows` checker: a source marks itself IDLE only after `idle_timeout_ms` without a record (`source-idle-while-reading`).
//!
//! **Reference.** Flink's `WatermarksWithIdleness` wraps each split's generator: `onEvent`
//! calls `IdlenessTimer#activity` (a counter), and `onPeriodicEmit` asks `checkIfIdle`, which
//! starts the countdown at the first periodic emission that finds the counter unchanged and
//! reports idle once more than the timeout passed since (any record starts it over). So a
//! split goes idle at `t` only if it read no record at or after the start of the countdown,
//! which is more than the timeout before `t`; and a source (`WatermarkOutputMultiplexer`,
//! 1.11 and 2.x alike) marks its output IDLE only when every split is idle. Hence: when a
//! source attempt emits IDLE at `t`, none of its records was read at `t - idle_timeout_ms` or
//! later (recorded before the IDLE in the run's order: `RunResult::source_event_time`, log
//! sources only). The planted `idleness-ignores-activity` (records never reset the timer)
//! breaks it.
//!
//! Each source is judged with its own `idle_timeout_ms` (`WatermarkStrategy#withIdleness` is
//! set per source, session 33): a source task's operator is found in the plan of the job its
//! attempt ran in (`check::graphs_by_epoch`). Before, every source was judged with the smallest
//! timeout of the job, which missed an early IDLE of a source with a longer one
//! (`negative/idleness-ignores-activity-long-timeout.toml`).
//!
//! One pass over the recorded steps, one latest read time per source attempt: linear.

use super::*;
use crate::world::SourceStep;
use ckptsim::watermark::{WatermarkEvent, WatermarkStatus};

/// Judges every IDLE a source attempt emitted after reading a record, each with its source's
/// own idle timeout; returns how many IDLEs were judged. Only a source with an idle timeout goes
/// IDLE.
pub(super) fn idle_while_reading(spec: &JobSpec, run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    let Some(timeouts) = Timeouts::new(spec, run) else { return 0 };
    let mut last_read_ms: BTreeMap<(ckptsim::TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
    let mut stays = StaysIdle::new(spec);
    let mut judged = 0;
    for e in &run.source_event_time {
        stays.step(e, anomalies);
        match e.step {
            SourceStep::Read { .. } => {
                last_read_ms.insert((e.task, e.attempt), e.at_ms);
            }
            SourceStep::Emitted(WatermarkEvent::Status(WatermarkStatus::Idle)) => {
                let Some(&read_ms) = last_read_ms.get(&(e.task, e.attempt)) else { continue };
                let timeout_ms = timeouts.of(e.task, e.attempt);
                judged += 1;
                if read_ms.saturating_add(timeout_ms) >= e.at_ms {
                    let text = format!(
                        "source idle while reading: t={} task {} attempt {} marked IDLE although it read a record \
                         at {read_ms} ms, not more than the idle timeout ({timeout_ms} ms) before; Flink's \
                         WatermarksWithIdleness marks a split idle only after the timeout passed without a record",
                        e.at_ms, e.task, e.attempt
                    );
                    anomalies.push(Finding::new("source-idle-while-reading", text).at(e.at_ms));
                }
            }
            SourceStep::Emitted(_) => {}
        }
    }
    judged
}

/// The idle timeout of each source task: its source operator's `idle_timeout_ms`.
struct Timeouts {
    /// The smallest timeout of the job: the bound of a task whose source is not found (a source
    /// without a timeout never goes IDLE).
    min_ms: u64,
    /// Where the sources' timeouts differ: per plan (first JobManager epoch, per task id the
    /// timeout of its source, if it has one).
    per_task: Vec<(u64, Vec<Option<u64>>)>,
}

impl Timeouts {
    /// None: no source has an idle timeout.
    fn new(spec: &JobSpec, run: &RunResult) -> Option<Timeouts> {
        let timeout_of = |o: &crate::spec::OpSpec| o.watermarks.and_then(|s| s.idle_timeout_ms);
        let all: BTreeSet<u64> = spec.operators.iter().filter_map(timeout_of).collect();
        let min_ms = *all.first()?;
        if all.len() == 1 {
            return Some(Timeouts { min_ms, per_task: Vec::new() });
        }
        let per_task = crate::check::graphs_by_epoch(spec, run)
            .into_iter()
            .map(|(epoch, g)| {
                let of_vertex = |v: usize| g.vertices[v].ops.iter().find_map(|o| timeout_of(&spec.operators[*o]));
                (epoch, g.task_vertex.iter().map(|(v, _)| of_vertex(*v)).collect())
            })
            .collect();
        Some(Timeouts { min_ms, per_task })
    }

    /// The timeout of `task`'s source in the plan its `attempt` ran in.
    fn of(&self, task: ckptsim::TaskId, attempt: ckptsim::Attempt) -> u64 {
        let epoch = u64::from(attempt.0) / u64::from(crate::world::EPOCH_STRIDE);
        let plan = self.per_task.iter().rev().find(|(first, _)| *first <= epoch);
        plan.and_then(|(_, tasks)| tasks.get(task.0 as usize).copied().flatten()).unwrap_or(self.min_ms)
    }
}

/// `source stays idle` where the flush rule of `windows.rs` (`idle_flush`) does not judge it, a
/// 2.x job whose sources differ in watermark strategy: a record read while the source is IDLE
/// makes it ACTIVE at the next periodic emission (2.x `markActive`); judged when the same
/// attempt reads again two of the largest watermark intervals later, still IDLE.
struct StaysIdle {
    /// The largest `auto_watermark_interval_ms` over the sources (None: not judged here).
    interval_ms: Option<u64>,
    /// Per attempt: IDLE, and the first record read since, if any.
    idle: BTreeMap<(ckptsim::TaskId, ckptsim::Attempt), Option<u64>>,
}

impl StaysIdle {
    fn new(spec: &JobSpec) -> StaysIdle {
        let strategies: Vec<_> = spec.operators.iter().filter_map(|o| o.watermarks).collect();
        let differ = strategies.windows(2).any(|w| w[0] != w[1]);
        let judged = differ && spec.profile.source_flushes_max_when_all_splits_idle();
        let interval_ms = strategies.iter().map(|s| s.auto_watermark_interval_ms).max().filter(|_| judged);
        StaysIdle { interval_ms, idle: BTreeMap::new() }
    }

    fn step(&mut self, e: &crate::world::SourceEventTime, anomalies: &mut Vec<Finding>) {
        let Some(interval_ms) = self.interval_ms else { return };
        let key = (e.task, e.attempt);
        match e.step {
            SourceStep::Emitted(WatermarkEvent::Status(WatermarkStatus::Idle)) => {
                self.idle.insert(key, None);
            }
            SourceStep::Emitted(_) => {
                self.idle.remove(&key);
            }
            SourceStep::Read { .. } => match self.idle.get(&key).copied() {
                Some(None) => {
                    self.idle.insert(key, Some(e.at_ms));
                }
                Some(Some(first)) if e.at_ms >= first.saturating_add(2 * interval_ms) => {
                    let text = format!(
                        "source stays idle: t={} task {} attempt {} still IDLE although it read a record at \
                         {first} ms (two watermark intervals before); Flink 2.x marks the source ACTIVE at the next \
                         periodic emission",
                        e.at_ms, e.task, e.attempt
                    );
                    anomalies.push(Finding::named(text).at(e.at_ms));
                    self.idle.remove(&key);
                }
                _ => {}
            },
        }
    }
}
