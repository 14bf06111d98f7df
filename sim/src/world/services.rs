//! The durable services that outlive every crash: the broker's log and committed offsets, reading sources from it, and offset commits.

use super::*;

/// The broker's log: per partition, in offset order, the append times and each record's input
/// number and value (an index into a table of the distinct values). A fetch builds the
/// [`LogRecord`]s it hands a task ([`BrokerLog::fill`]); the log itself costs 16 bytes per
/// record instead of a whole record (88 bytes: 10^6 records were 88 MB).
#[derive(Clone, Debug, Default)]
pub(crate) struct BrokerLog {
    pub at: Vec<Vec<u64>>,
    /// Per partition: (input sequence number, index into `values`).
    entries: Vec<Vec<(u32, u32)>>,
    /// The distinct values, shared by every record that carries one.
    values: Vec<Value>,
    /// Event time: each input's timestamp by input number (Kafka's record timestamp); empty
    /// without event time.
    timestamps: Vec<i64>,
    /// Per partition, the records of the whole input (the bounded source's stopping offset),
    /// of which only those a run can read are held: see [`build_log_until`].
    ends: Vec<usize>,
}

impl BrokerLog {
    /// Partitions of the log.
    pub fn partitions(&self) -> usize {
        self.entries.len()
    }

    /// Records in partition `p` (the input's, held or not: the end of the log).
    pub fn len(&self, p: usize) -> usize {
        self.ends.get(p).copied().unwrap_or_else(|| self.entries.get(p).map_or(0, |v| v.len()))
    }

    /// Records of partition `p` appended at or before `now_ms`: the end offset a consumer that
    /// asks now sees (`latest`; Kafka's `endOffsets`, which the 2.x enumerator's
    /// `LatestOffsetsInitializer` reads). Records appended later are not in it.
    pub fn end_at(&self, p: usize, now_ms: u64) -> usize {
        self.at.get(p).map_or(0, |at| at.partition_point(|&t| t <= now_ms))
    }

    /// The input number of the record at offset `off` of partition `p`.
    pub fn seq(&self, p: usize, off: usize) -> Option<u64> {
        self.entries.get(p)?.get(off).map(|e| u64::from(e.0))
    }

    /// The record at offset `off` of partition `p`.
    pub fn record(&self, p: usize, off: usize) -> Option<LogRecord> {
        let &(seq, value) = self.entries.get(p)?.get(off)?;
        Some(LogRecord {
            partition: PartitionId(p as u32),
            offset: Offset(off as u64),
            value: self.values[value as usize].clone(),
            lineage: Lineage { input_seq: u64::from(seq), sub: 0 },
            timestamp: self.timestamps.get(seq as usize).copied(),
        })
    }

    /// Appends the records at offsets `offs` of partition `p` to `out`.
    pub fn fill(&self, p: usize, offs: std::ops::Range<usize>, out: &mut Vec<LogRecord>) {
        out.extend(offs.filter_map(|off| self.record(p, off)));
    }
}

/// The broker's log of `spec`'s input, as a run to `stop_at_ms` can read it
/// ([`build_log_until`]; a job with a user source: the whole log).
pub(crate) fn build_log(spec: &JobSpec) -> BrokerLog {
    build_log_until(spec, log_until_ms(spec))
}

/// The last append time [`build_log`] holds records of: the run's end, or every record for a
/// user source (polled, not timed by the log: it may read ahead of the append times).
pub(crate) fn log_until_ms(spec: &JobSpec) -> u64 {
    let user_source = spec.operators.iter().any(|o| o.user_source.is_some());
    if user_source {
        u64::MAX
    } else {
        spec.stop_at_ms
    }
}

/// The broker's log of `spec`'s input (a generated input is drawn here, once per run), holding
/// the records appended at or before `until_ms` and, per partition, the first one after: a
/// record appended after the run's end is never visible to it, so a large input (a generator,
/// input bursts) beyond the end costs its count per partition and nothing else. The first
/// record after the end is held so that a fetch's wake-up time and a gate's next input number
/// are exactly what the whole log gives; [`BrokerLog::len`] is the whole input's length.
pub(crate) fn build_log_until(spec: &JobSpec, until_ms: u64) -> BrokerLog {
    match &spec.input {
        InputSpec::Log { partitions, records } => {
            let parts = *partitions as usize;
            let mut log = BrokerLog {
                at: vec![Vec::new(); parts],
                entries: vec![Vec::new(); parts],
                values: Vec::new(),
                timestamps: spec.input_options.timestamps.clone(),
                ends: vec![0; parts],
            };
            // Values repeat (a generator draws from a few keys): one shared string per value.
            let mut interned: BTreeMap<String, u32> = BTreeMap::new();
            // Sized once (growing by doubling to 10^6 records left freed blocks resident).
            let mut held = vec![0usize; parts];
            let mut past = vec![false; parts];
            for (at, p) in records.times_partitions() {
                let p = p as usize;
                if at <= until_ms || !std::mem::replace(&mut past[p], true) {
                    held[p] += 1;
                }
            }
            for ((at, entries), n) in log.at.iter_mut().zip(log.entries.iter_mut()).zip(held) {
                at.reserve_exact(n);
                entries.reserve_exact(n);
            }
            // Whether each partition holds its first record after `until_ms` yet.
            let mut past = vec![false; parts];
            // Values are drawn up to the last record held, never beyond.
            let mut values = records.iter();
            let mut drawn = 0usize;
            for (seq, (at, p)) in records.times_partitions().enumerate() {
                let p = p as usize;
                log.ends[p] += 1;
                if at > until_ms {
                    if past[p] {
                        continue;
                    }
                    past[p] = true;
                }
                let Some((_, _, v)) = values.nth(seq - drawn) else { break };
                drawn = seq + 1;
                let value = match interned.get(v.as_ref()) {
                    Some(i) => *i,
                    None => {
                        let i = log.values.len() as u32;
                        log.values.push(Value::str(&v));
                        interned.insert(v.into_owned(), i);
                        i
                    }
                };
                log.entries[p].push((seq as u32, value));
                log.at[p].push(at);
            }
            log
        }
        InputSpec::Lines(_) => BrokerLog::default(),
    }
}

/// `spec` without its log records (they live in the broker's log): a run clones the spec
/// into the simulation, and 10^6 record strings are not worth copying.
pub(super) fn without_log_records(spec: &JobSpec) -> JobSpec {
    let input = match &spec.input {
        InputSpec::Log { partitions, records: LogRecords::Listed(_) } => {
            InputSpec::Log { partitions: *partitions, records: LogRecords::default() }
        }
        // A generator is a few numbers.
        InputSpec::Log { records: LogRecords::Generated(_), .. } => spec.input.clone(),
        // Bursts merged in: as a written-out input was (the budget is fixed below).
        InputSpec::Log { partitions, records: LogRecords::Merged(_) } => {
            InputSpec::Log { partitions: *partitions, records: LogRecords::default() }
        }
        InputSpec::Lines(l) => InputSpec::Lines(l.clone()),
    };
    JobSpec {
        name: spec.name.clone(),
        profile: spec.profile,
        variant: spec.variant,
        checkpoint: spec.checkpoint.clone(),
        restart: spec.restart.clone(),
        restart_configured: spec.restart_configured,
        failover: spec.failover,
        cluster: spec.cluster.clone(),
        kafka: spec.kafka.clone(),
        operators: spec.operators.clone(),
        input,
        actions: spec.actions.clone(),
        faults: spec.faults.clone(),
        stop_at_ms: spec.stop_at_ms,
        expect: spec.expect.clone(),
        default_seed: spec.default_seed,
        swarm_keep: spec.swarm_keep,
        source_path: spec.source_path.clone(),
        input_options: spec.input_options.clone(),
        // The records are gone from this copy: fix the budget derived from them now.
        max_events: Some(spec.max_events.unwrap_or_else(|| default_max_events(spec))),
    }
}

/// The inputs whose records a checkpoint persisted as in-flight channel state.
pub(crate) fn in_flight_inputs(cp: &CompletedCheckpoint) -> BTreeSet<u64> {
    cp.tasks.values().flat_map(|s| s.in_flight.values().flatten()).map(|r| r.lineage.input_seq).collect()
}

/// The source offsets (next to read) a completed checkpoint holds, for the offset checker.
pub(super) fn source_offsets(w: &World, cp: &CompletedCheckpoint) -> BTreeMap<PartitionId, Offset> {
    let mut out = BTreeMap::new();
    for t in w.graph.source_tasks() {
        if let Some(snap) = cp.tasks.get(&t) {
            if let Some(ckptsim::state::OperatorState::SourceOffsets(m)) = snap.operators.first() {
                // A 2.x split still at its committed-offset marker holds no position.
                for (p, o) in m.iter().filter(|(_, o)| **o != ckptsim::source::COMMITTED_MARKER) {
                    let next = if w.spec.profile.kafka_state_is_last_read() { Offset(o.0.wrapping_add(1)) } else { *o };
                    out.insert(*p, next);
                }
            }
        }
    }
    out
}

/// The log source's commit mode from `[kafka]` (semantics §5.1 `OffsetCommitModes`):
/// with periodic checkpointing, commits on completion unless `commit_offsets_on_checkpoint`
/// is false; without, Kafka's auto-commit if enabled (1.11's default; 2.x's KafkaSource turns
/// `enable.auto.commit` off unless the user sets it).
pub(super) fn configure_offset_commits(spec: &JobSpec, t: &mut Task, now: u64) {
    let k = &spec.kafka;
    let auto = spec.kafka_auto_commit();
    t.configure_offset_commits(k.commit_offsets_on_checkpoint, auto.then_some((now, k.auto_commit_interval_ms)));
}

/// A commit of `task`'s `offsets` from TaskManager `tm` reaches the broker (refused while it is
/// down or cut off from `tm`): recorded per partition with the `checkpoint` it belongs to (None
/// outside a completion) and whether it is a `periodic` auto-commit. Returns whether it was
/// accepted.
pub(super) fn commit_offsets_to_broker(
    w: &mut World,
    (tm, task): (u32, TaskId),
    offsets: &BTreeMap<PartitionId, Offset>,
    now: u64,
    checkpoint: Option<CheckpointId>,
    periodic: bool,
) -> bool {
    let accepted = w.faults.broker_up && w.reaches(tm_addr(tm), BROKER);
    for (p, o) in offsets {
        w.obs.offset_commits.push(OffsetCommit {
            time_ms: now,
            task,
            partition: *p,
            offset: *o,
            accepted,
            checkpoint,
            periodic,
        });
        if accepted {
            w.services.committed_offsets.insert(*p, *o);
        }
    }
    accepted
}

/// A periodic auto-commit reaches the broker (refused while it is down).
pub(super) fn auto_commit(w: &mut World, tm: u32, task: TaskId, offsets: &BTreeMap<PartitionId, Offset>, now: u64) {
    let accepted = commit_offsets_to_broker(w, (tm, task), offsets, now, None, true);
    let detail = w.detail().task(task).s(" ").offsets(offsets).s(" auto-commit ");
    w.tr("broker", "commit", detail.s(if accepted { "ok" } else { "FAILED (broker down)" }).0);
}

/// A log source task's next unread input over its partitions (input order; `Some(None)`: it
/// read every record), what its checkpoint gates compare with their `after_records`; `None`
/// for a task that reads no log.
pub(super) fn next_log_input(w: &World, t: &Task) -> Option<Option<u64>> {
    let m = t.fetch_positions()?;
    Some(m.iter().filter_map(|(p, o)| w.services.log.seq(p.0 as usize, o.0 as usize)).min())
}

/// Whether a log source task has read every owned partition to the end of the scenario's
/// records (the stopping offsets of a bounded source).
pub(super) fn log_source_at_end(w: &World, t: &Task) -> bool {
    t.fetch_positions().is_some_and(|m| m.iter().all(|(p, o)| o.0 as usize >= w.services.log.len(p.0 as usize)))
}

pub(super) enum Fetch {
    Records(u64),
    WaitUntil(Option<u64>),
}

/// A log source reads from the broker: visible records (appended at or before now) of its
/// partitions, merged in append order, up to `max` records.
///
/// Runs of consecutive records from one partition are handed to the task as slices of the log
/// (no copy): the run ends where another partition's visible head comes first.
pub(super) fn fetch_and_process(
    w: &mut World,
    t: &mut Task,
    tm: u32,
    now: u64,
    max: usize,
    limit: Option<u64>,
) -> Fetch {
    if !w.faults.broker_up || !w.reaches(tm_addr(tm), BROKER) {
        return Fetch::WaitUntil(Some(now + 100));
    }
    let mut cursor: Vec<(usize, usize)> =
        t.fetch_positions().map(|m| m.iter().map(|(p, o)| (p.0 as usize, o.0 as usize)).collect()).unwrap_or_default();
    let log = &w.services.log;
    let counters = w.tasks.counters.entry(tm).or_default();
    let visible_seq = |p: usize, off: usize| -> Option<u64> {
        let at = *log.at.get(p)?.get(off)?;
        let seq = log.seq(p, off)?;
        (at <= now && limit.is_none_or(|l| seq < l)).then_some(seq)
    };
    let mut total = 0;
    // The inputs read, kept only while an `input-N-read` anchor is armed.
    let input_anchors = w.faults.anchored.iter().any(|(at, _)| matches!(at, FaultAt::InputRead { .. }));
    let mut read: Vec<u64> = Vec::new();
    let mut batch: Vec<LogRecord> = Vec::new();
    while total < max {
        // The visible head that comes first, and the first of the others.
        let mut best: Option<(u64, usize)> = None;
        let mut second: Option<u64> = None;
        for (ci, &(p, off)) in cursor.iter().enumerate() {
            let Some(seq) = visible_seq(p, off) else { continue };
            match best {
                Some((b, _)) if seq >= b => second = Some(second.map_or(seq, |s: u64| s.min(seq))),
                _ => {
                    if let Some((b, _)) = best {
                        second = Some(second.map_or(b, |s: u64| s.min(b)));
                    }
                    best = Some((seq, ci));
                }
            }
        }
        let Some((_, ci)) = best else { break };
        let (p, off) = cursor[ci];
        let mut end = off;
        while total + (end - off) < max && visible_seq(p, end).is_some_and(|s| second.is_none_or(|o| s < o)) {
            end += 1;
        }
        batch.clear();
        log.fill(p, off..end, &mut batch);
        t.handle_log_records(now, &batch, counters);
        if w.obs.record_source_event_time {
            if let Some(max_ts) = batch.iter().filter_map(|r| r.timestamp).max() {
                let step = SourceStep::Read { partition: PartitionId(p as u32), max_ts };
                w.obs.source_event_time.push(SourceEventTime { at_ms: now, task: t.id(), attempt: t.attempt(), step });
            }
        }
        cursor[ci].1 = end;
        total += end - off;
        if input_anchors {
            read.extend(batch.iter().map(|r| r.lineage.input_seq));
        }
    }
    if total == 0 {
        // Nothing visible: wake up when the first owned partition's next record appears.
        // Records behind a closed checkpoint gate are not waited for: the gate's opening (a
        // completion notification) wakes the task.
        let next_at = cursor
            .iter()
            .filter(|&&(p, off)| limit.is_none_or(|l| log.seq(p, off).is_none_or(|seq| seq < l)))
            .filter_map(|&(p, off)| log.at.get(p).and_then(|v| v.get(off)).copied())
            .min();
        return Fetch::WaitUntil(next_at);
    }
    w.inputs_read(&read);
    w.obs.read_inputs += total as u64;
    Fetch::Records(total as u64)
}
