//! Users' own sources and sinks hosted in the world: one reader of a `user-source` per source subtask attempt (its records enter the data plane as a log source's), and a `user-sink`'s external system with one writer per sink subtask attempt (a two-phase-commit sink's operations applied to it, its published records the committed output; an at-least-once sink's writes and checkpoint flushes, its published records the printed output).

use super::*;
use ckptsim::state::TxnId;
use ckptsim::user::{UserSink, UserSinkSystem, UserSource, UserTxn, UserWriter, UserWriterSystem};

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
    let Some(&o) = vertex.ops.first() else { return };
    let Some(u) = spec.operators[o].user_source.as_ref() else { return };
    let Some(mut reader) = u.instance() else { return };
    let splits = reader.splits();
    // In a job with several sources the user source's splits are a topic of the log.
    let first = spec.operators[o].topic.map_or(0, |(first, _)| first);
    let positions: BTreeMap<PartitionId, u64> = t
        .fetch_positions()
        .map(|m| m.iter().map(|(p, o)| (split_of(&splits, first, *p), o.0)).collect())
        .unwrap_or_default();
    reader.restore(&positions);
    w.tasks.user_readers.insert(key, UserReader { splits, first, reader });
}

/// The split read as the broker's partition `p` (split `i` is partition `first + i`).
fn split_of(splits: &[PartitionId], first: u32, p: PartitionId) -> PartitionId {
    p.0.checked_sub(first).and_then(|i| splits.get(i as usize)).copied().unwrap_or(p)
}

/// A live user source reader and its splits (split `i` is the broker's partition `first + i`).
pub(super) struct UserReader {
    splits: Vec<PartitionId>,
    first: u32,
    reader: Box<dyn UserSource>,
}

/// Forgets what an ended attempt held in user code (its reader, its sink writer): a crash
/// loses the memory of user code, never what it handed to its external system.
pub(super) fn drop_attempt(w: &mut World, key: (TaskId, Attempt)) {
    w.tasks.user_readers.remove(&key);
    if let Some(h) = &mut w.services.user_sink {
        h.writers.remove(&key);
    }
    if let Some(h) = &mut w.services.user_writer {
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
    if !w.faults.broker_up || !w.reaches(tm_addr(tm), BROKER) {
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
        let split = split_of(&r.splits, r.first, p);
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
        let name = w.task_name(key.0).into_owned();
        w.obs.sink_anomalies.push(SinkAnomaly::SourceMismatch { at_ms: now, task: name, message: m });
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

/// A user at-least-once sink's external system for the whole run (it survives every crash) and
/// the writers of the live sink attempts (semantics §13).
pub(super) struct UserWriterHost {
    name: String,
    system: Box<dyn UserWriterSystem>,
    writers: BTreeMap<(TaskId, Attempt), Box<dyn UserWriter>>,
}

impl UserWriterHost {
    /// The host of `spec`'s at-least-once user sink, if it has one (with a registered system).
    pub(super) fn of(spec: &JobSpec) -> Option<UserWriterHost> {
        let u = spec.operators.iter().find_map(|o| o.user_writer.as_ref())?;
        let system = u.system()?;
        Some(UserWriterHost { name: u.name().to_string(), system, writers: BTreeMap::new() })
    }

    fn writer(&mut self, key: (TaskId, Attempt), subtask: u32) -> &mut Box<dyn UserWriter> {
        let system = &mut self.system;
        self.writers.entry(key).or_insert_with(|| system.open(subtask, key.1 .0))
    }

    /// Writes one record the sink attempt `key` (subtask `subtask`) emitted; returns the
    /// records the system made visible, or the cause when the user's code refused it.
    fn write(&mut self, key: (TaskId, Attempt), subtask: u32, record: &Record) -> Result<Vec<Record>, String> {
        let r = self.writer(key, subtask).write(record);
        let published = self.system.take_published();
        r.map(|()| published).map_err(|e| format!("user sink `{}`: {e}", self.name))
    }

    /// Flushes the writer of attempt `key` before its snapshot (`prepareSnapshotPreBarrier`).
    fn flush(&mut self, key: (TaskId, Attempt), subtask: u32) -> Result<Vec<Record>, String> {
        let r = self.writer(key, subtask).flush();
        let published = self.system.take_published();
        r.map(|()| published).map_err(|e| format!("user sink `{}`: {e}", self.name))
    }
}

/// The subtask index of `task` when it runs the job's at-least-once user sink.
fn user_writer_subtask(w: &World, task: TaskId) -> Option<u32> {
    w.services.user_writer.as_ref()?;
    let (vertex, subtask) = w.graph.task_vertex[task.0 as usize];
    w.graph.vertices[vertex].ops.iter().any(|&o| w.spec.operators[o].user_writer.is_some()).then_some(subtask)
}

/// A record the sink attempt `key` printed: with an at-least-once user sink, written to the
/// user's writer, and what its system published becomes the printed output (attributed to this
/// attempt). Without one, the record itself is printed. `Err`: the user's code threw.
pub(super) fn print_row(
    w: &mut World,
    key: (TaskId, Attempt),
    now: u64,
    record: Record,
    sink: u32,
) -> Result<(), String> {
    let Some(subtask) = user_writer_subtask(w, key.0) else {
        w.obs.print_rows.push(OutputRow::of(now, key.0, key.1, record).from_sink(sink));
        return Ok(());
    };
    let h = w.services.user_writer.as_mut().expect("a user writer host");
    let published = h.write(key, subtask, &record)?;
    w.obs.print_rows.extend(published.into_iter().map(|r| OutputRow::of(now, key.0, key.1, r).from_sink(sink)));
    Ok(())
}

/// Before the snapshot of a sink attempt running an at-least-once user sink: its writer
/// flushes, and what became visible is printed output. `Err`: the user's flush threw.
pub(super) fn flush_before_snapshot(w: &mut World, key: (TaskId, Attempt), now: u64) -> Result<(), String> {
    let Some(subtask) = user_writer_subtask(w, key.0) else { return Ok(()) };
    let h = w.services.user_writer.as_mut().expect("a user writer host");
    let published = h.flush(key, subtask)?;
    w.obs.print_rows.extend(published.into_iter().map(|r| OutputRow::of(now, key.0, key.1, r)));
    Ok(())
}
