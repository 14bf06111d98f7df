//! Users' own sources and sinks hosted in the world: one reader of a `user-source` per source subtask attempt (its records enter the data plane as a log source's), and a `user-sink`'s external system with one writer per sink subtask attempt (the two-phase-commit sink's operations applied to it, its published records the committed output).

use super::*;
use ckptsim::state::TxnId;
use ckptsim::user::{UserSink, UserSinkSystem, UserSource, UserTxn};

/// A user sink's external system for the whole run (it survives every crash), the writers of
/// the live sink attempts, and what it published.
pub(super) struct UserSinkHost {
    name: String,
    system: Box<dyn UserSinkSystem>,
    /// The user's transaction handle of each transaction the model's sink began: the naming
    /// scheme of the external system (Kafka's transactional ids), kept outside any attempt.
    txns: BTreeMap<TxnId, UserTxn>,
    writers: BTreeMap<(TaskId, Attempt), Box<dyn UserSink>>,
    /// Records the system made visible, with the time they became visible.
    pub(super) committed: Vec<(u64, Record)>,
}

impl UserSinkHost {
    /// The host of `spec`'s user sink, if its sink is one (with a registered system).
    pub(super) fn of(spec: &JobSpec) -> Option<UserSinkHost> {
        let u = spec.operators.iter().find_map(|o| o.user_sink.as_ref())?;
        let system = u.system()?;
        Some(UserSinkHost {
            name: u.name().to_string(),
            system,
            txns: BTreeMap::new(),
            writers: BTreeMap::new(),
            committed: Vec::new(),
        })
    }

    /// Applies one operation of the model's two-phase-commit sink (attempt `key`) to the user's
    /// sink: `Err` with the cause when the user's code refused it (the task fails, as when a
    /// Flink sink throws).
    pub(super) fn apply(&mut self, key: (TaskId, Attempt), now: u64, op: SinkOutput) -> Result<(), String> {
        let txn = op.txn();
        let system = &mut self.system;
        let writer = self.writers.entry(key).or_insert_with(|| system.open(txn.subtask, key.1 .0));
        if let SinkOutput::Begin { .. } = op {
            let u = writer.begin();
            self.txns.insert(txn, u);
            return Ok(());
        }
        let name = &self.name;
        let Some(&u) = self.txns.get(&txn) else {
            return Err(format!("user sink `{name}`: {txn:?} was never begun"));
        };
        let r = match &op {
            SinkOutput::Begin { .. } => unreachable!("handled above"),
            SinkOutput::Write { record, .. } => writer.write(u, record),
            SinkOutput::PreCommit { .. } => writer.pre_commit(u),
            SinkOutput::Commit { .. } => writer.commit(u),
            SinkOutput::Abort { .. } => {
                writer.abort(u);
                Ok(())
            }
        };
        self.committed.extend(self.system.take_committed().into_iter().map(|r| (now, r)));
        r.map_err(|e| format!("user sink `{name}`: {e}"))
    }
}

/// The user source's reader for a new source attempt, resumed at the task's fetch positions
/// (restored from the checkpoint, or the startup positions).
pub(super) fn open_reader(w: &mut World, spec: &JobSpec, graph: &Graph, t: &Task, key: (TaskId, Attempt)) {
    let vertex = &graph.vertices[graph.task_vertex[key.0 .0 as usize].0];
    let Some(u) = vertex.ops.first().and_then(|&o| spec.operators[o].user_source.as_ref()) else { return };
    let Some(mut reader) = u.instance() else { return };
    let splits = reader.splits();
    let positions: BTreeMap<PartitionId, u64> = t
        .fetch_positions()
        .map(|m| m.iter().map(|(p, o)| (splits.get(p.0 as usize).copied().unwrap_or(*p), o.0)).collect())
        .unwrap_or_default();
    reader.restore(&positions);
    w.tasks.user_readers.insert(key, UserReader { splits, reader });
}

/// A live user source reader and its splits (split `i` is the broker's partition `i`).
pub(super) struct UserReader {
    splits: Vec<PartitionId>,
    reader: Box<dyn UserSource>,
}

/// Forgets what an ended attempt held in user code (its reader, its sink writer): a crash
/// loses the memory of user code, never what it handed to its external system.
pub(super) fn drop_attempt(w: &mut World, key: (TaskId, Attempt)) {
    w.tasks.user_readers.remove(&key);
    if let Some(h) = &mut w.services.user_sink {
        h.writers.remove(&key);
    }
}

/// A user source subtask reads: per owned split, the records its reader has available at `now`
/// (up to `max` in all), fed to the task as log records at the task's fetch positions, each
/// with the lineage of the input the loader read at that position. A value that differs from
/// that input (a reader that is not replayable, or did not resume at its checkpointed
/// position) is a sink anomaly for the exactly-once checker, and flows on as read.
pub(super) fn fetch_user_records(
    w: &mut World,
    t: &mut Task,
    tm: u32,
    key: (TaskId, Attempt),
    now: u64,
    max: usize,
) -> Fetch {
    if !w.faults.broker_up {
        return Fetch::WaitUntil(Some(now + 100));
    }
    let positions: Vec<(PartitionId, Offset)> =
        t.fetch_positions().map(|m| m.iter().map(|(p, o)| (*p, *o)).collect()).unwrap_or_default();
    let Some(r) = w.tasks.user_readers.get_mut(&key) else { return Fetch::WaitUntil(None) };
    let log = &w.services.log;
    let counters = w.tasks.counters.entry(tm).or_default();
    let mut total = 0;
    let mut mismatch = None;
    let mut batch = Vec::new();
    for &(p, off) in &positions {
        let split = r.splits.get(p.0 as usize).copied().unwrap_or(p);
        let mut pos = off.0 as usize;
        batch.clear();
        while total < max {
            let Some(v) = r.reader.poll_next(split, now) else { break };
            let value = v.to_string();
            let Some(held) = log.record(p.0 as usize, pos) else {
                mismatch.get_or_insert_with(|| {
                    format!("user source split {split} read `{value}` at position {pos}, past the split's end")
                });
                break;
            };
            if held.value.to_string() != value {
                mismatch.get_or_insert_with(|| {
                    format!(
                        "user source split {split} read `{value}` at position {pos}, where the split holds `{}` \
                         (not replayable, or not resumed at its checkpointed position)",
                        held.value
                    )
                });
            }
            batch.push(LogRecord {
                partition: p,
                offset: Offset(pos as u64),
                value: Value::str(&value),
                lineage: held.lineage,
                timestamp: None,
            });
            pos += 1;
            total += 1;
        }
        if !batch.is_empty() {
            t.handle_log_records(now, &batch, counters);
        }
    }
    if let Some(m) = mismatch {
        let name = w.task_name(key.0);
        w.obs.sink_anomalies.push(format!("t={now} {name}: {m}"));
    }
    if total == 0 {
        // Nothing available: wake up when the input the loader read says the next record is.
        let next_at = positions
            .iter()
            .filter_map(|&(p, off)| log.at.get(p.0 as usize).and_then(|v| v.get(off.0 as usize)).copied())
            .min();
        return Fetch::WaitUntil(next_at.map(|at| at.max(now + 1)));
    }
    w.obs.read_inputs += total as u64;
    Fetch::Records(total as u64)
}
