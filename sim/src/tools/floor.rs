//! The floor: a job driven by the core in-process, with no madsim, no network model and no JobManager — the cost any world run is compared with.
//!
//! [`run`] instantiates the [`ckptsim::task::Task`]s of the job graph ([`Graph`]) and moves
//! stream elements between them through in-memory FIFO queues, one per (upstream, downstream)
//! pair. Virtual time jumps from event to event (the next input record or line, the next
//! checkpoint trigger, the end of the run); at every step the sources read every record that is
//! visible, then the tasks run in topological order until no queue holds anything. Every
//! `interval_ms` of virtual time a checkpoint is triggered at the sources (at most one pending);
//! snapshots are acknowledged directly and, once every task acknowledged, every task is
//! notified at once (offsets are committed, 2PC transactions committed to a [`TxnStore`]).
//!
//! What the floor leaves out, on purpose: processing cost, latency, credits (queues are
//! unbounded), heartbeats, the coordinator, restart delays and every chaos fault. A user
//! function that throws (failure injectors) fails the job over globally at once: every task is
//! redeployed from the latest completed checkpoint (up to the fixed-delay attempts, else 100).
//! The floor is deterministic and does not depend on the run's seed: its rebalance edges start
//! where the scenario's default seed draws (`Graph::task_spec`), its only randomness.

use crate::graph::Graph;
use crate::key_routing::EffectiveVertices;
use crate::spec::{InputSpec, JobSpec};
use crate::world::BrokerLog;
use ckptsim::config::{CheckpointingMode, RestartStrategyConfig};
use ckptsim::ids::{Attempt, ChannelId, CheckpointId, Offset, PartitionId, TaskId};
use ckptsim::operator::SurvivingCounters;
use ckptsim::record::{Alignment, Barrier, CheckpointKind, LogRecord, StreamElement};
use ckptsim::sink::{SinkOutput, TxnStore};
use ckptsim::state::TaskSnapshot;
use ckptsim::store::CompletedCheckpoint;
use ckptsim::task::{Task, TaskOutput};
use std::collections::{BTreeMap, VecDeque};

/// What a floor run did (counts only: the floor is a cost baseline, the checkers judge the world).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FloorResult {
    /// Records and lines handed to the sources (with repeats after a failover).
    pub records_read: u64,
    /// Records that reached the sink: 2PC writes plus printed rows.
    pub records_out: u64,
    /// Records visible in the transactional store at the end (committed 2PC output).
    pub committed: u64,
    /// Checkpoints completed.
    pub checkpoints_completed: u64,
    /// Restarts (failovers) the run went through.
    pub restarts: u32,
    /// The job failed for good (more failures than the restart attempts).
    pub failed: bool,
    /// Store anomalies the sink produced (a correct job has none).
    pub sink_anomalies: u64,
    /// Virtual time steps taken.
    pub steps: u64,
    /// Per task, the rows its print sinks printed: which subtask a keyed edge sent each key to,
    /// to compare with the world's (the same job, `key_routing.rs`).
    pub printed_by_task: BTreeMap<TaskId, u64>,
}

/// A stream element in a queue, with the records a priority barrier overtook.
pub type Queued = (StreamElement, u32);
/// Every task's input queues, indexed `[task][input channel]`.
pub type Channels = Vec<Vec<VecDeque<Queued>>>;

struct Floor<'a> {
    spec: &'a JobSpec,
    graph: std::sync::Arc<Graph>,
    /// Per task: its inputs always align ([`Graph::always_aligns`]).
    aligns: Vec<bool>,
    /// The broker's log, as the world keeps it (records built when read).
    log: std::sync::Arc<BrokerLog>,
    log_end: BTreeMap<PartitionId, Offset>,
    tasks: Vec<Task>,
    /// Per task, per input channel: the FIFO queue.
    queues: Vec<Vec<VecDeque<Queued>>>,
    /// Per task, per output channel: (downstream task, its input channel).
    outs: Vec<Vec<(usize, usize)>>,
    /// Per TaskManager: counters that survive restarts.
    counters: Vec<SurvivingCounters>,
    task_tm: Vec<usize>,
    is_source: Vec<bool>,
    committed_offsets: BTreeMap<PartitionId, Offset>,
    store: TxnStore,
    /// The pending checkpoint (at most one) and the snapshots acknowledged so far.
    pending: Option<(Barrier, BTreeMap<TaskId, TaskSnapshot>)>,
    latest: Option<CompletedCheckpoint>,
    next_id: u64,
    attempt: u32,
    failed_task: bool,
    to_notify: VecDeque<(bool, CheckpointId)>,
    batch: Vec<LogRecord>,
    result: FloorResult,
}

/// Runs `spec` on the floor to `stop_at_ms`.
pub fn run(spec: &JobSpec) -> FloorResult {
    run_prepared(spec, &crate::world::prepare(spec))
}

/// [`run`] with the job graph and the broker's log of `prepared` (`world::prepare(spec)`),
/// built once per scenario as a sweep worker builds the world's (`bench` times both so).
pub fn run_prepared(spec: &JobSpec, prepared: &crate::world::Prepared) -> FloorResult {
    let graph = prepared.graph().clone();
    let n = graph.tasks.len();
    let (queues, outs) = wire(&graph);
    let log = prepared.log().clone();
    let log_end = (0..log.partitions()).map(|p| (PartitionId(p as u32), Offset(log.len(p) as u64))).collect();
    let tms = spec.cluster.task_managers.max(1) as usize;
    let task_tm = graph.tasks.iter().map(|t| t.tm.0 as usize).collect();
    let is_source = graph.tasks.iter().map(|t| t.is_source).collect();
    let aligns = (0..n).map(|t| graph.always_aligns(TaskId(t as u32))).collect();
    let mut f = Floor {
        aligns,
        spec,
        graph,
        log,
        log_end,
        tasks: Vec::with_capacity(n),
        queues,
        outs,
        counters: vec![SurvivingCounters::default(); tms],
        task_tm,
        is_source,
        committed_offsets: BTreeMap::new(),
        store: TxnStore::default(),
        pending: None,
        latest: None,
        next_id: 1,
        attempt: 0,
        failed_task: false,
        to_notify: VecDeque::new(),
        batch: Vec::new(),
        result: FloorResult::default(),
    };
    f.deploy(0);
    f.drive();
    f.result.committed = f.store.committed().len() as u64;
    f.result
}

impl Floor<'_> {
    /// (Re)creates every task from the latest completed checkpoint.
    fn deploy(&mut self, now: u64) {
        self.tasks.clear();
        for q in self.queues.iter_mut().flatten() {
            q.clear();
        }
        self.pending = None;
        self.to_notify.clear();
        for t in 0..self.graph.tasks.len() {
            let spec = self.graph.task_spec(
                self.spec,
                TaskId(t as u32),
                Attempt(self.attempt),
                &EffectiveVertices::new(),
                self.spec.default_seed,
            );
            let counters = &mut self.counters[self.task_tm[t]];
            let task = Task::new(spec, now, self.latest.as_ref(), &self.committed_offsets, &self.log_end, counters);
            self.tasks.push(task);
        }
        for t in 0..self.tasks.len() {
            self.route(t, now);
        }
    }

    fn max_restarts(&self) -> u32 {
        match self.spec.restart {
            RestartStrategyConfig::FixedDelay { attempts, .. } if self.spec.restart_configured => {
                attempts.clamp(0, 100) as u32
            }
            _ => 100,
        }
    }

    fn drive(&mut self) {
        let stop = self.spec.stop_at_ms;
        let interval = self.spec.checkpoint.base_interval_ms();
        let mut next_trigger = interval;
        let spec = self.spec;
        let lines: &[(u64, String)] = match &spec.input {
            InputSpec::Lines(l) => l,
            InputSpec::Log { .. } => &[],
        };
        let mut next_line = 0;
        let mut now = 0;
        loop {
            self.result.steps += 1;
            if !self.result.failed {
                // Socket lines due now.
                while next_line < lines.len() && lines[next_line].0 <= now {
                    let (_, line) = &lines[next_line];
                    if let Some(t) = (0..self.tasks.len()).find(|t| self.is_source[*t]) {
                        self.result.records_read += 1;
                        let counters = &mut self.counters[self.task_tm[t]];
                        self.tasks[t].handle_line(now, line, next_line as u64, counters);
                        self.route(t, now);
                    }
                    next_line += 1;
                }
                // Log sources read everything visible.
                for t in 0..self.tasks.len() {
                    if self.is_source[t] {
                        self.fetch(t, now);
                    }
                }
                // Checkpoint trigger (at most one pending, like max_concurrent = 1).
                if next_trigger.is_some_and(|at| at <= now) && self.pending.is_none() {
                    self.trigger(now);
                }
                self.settle(now);
                if self.failed_task {
                    self.failover(now);
                    self.settle(now);
                }
            }
            if let (Some(at), Some(i)) = (next_trigger, interval) {
                if at <= now {
                    next_trigger = Some(now - (now - at) % i + i);
                }
            }
            // Jump to the next event.
            let mut next = stop;
            if let Some(at) = next_trigger {
                next = next.min(at);
            }
            if let Some((at, _)) = lines.get(next_line) {
                next = next.min(*at);
            }
            if let Some(at) = self.next_visible(now) {
                next = next.min(at);
            }
            if let Some(at) = self.tasks.iter().filter_map(|t| t.poll_timeout()).min() {
                next = next.min(at.max(now + 1));
            }
            let next = next.max(now + 1);
            if next >= stop {
                break;
            }
            now = next;
        }
    }

    /// The earliest append time after `now` of a record some source has not read yet.
    fn next_visible(&self, now: u64) -> Option<u64> {
        let mut best: Option<u64> = None;
        for t in &self.tasks {
            let Some(pos) = t.fetch_positions() else { continue };
            for (p, o) in pos {
                if let Some(at) = self.log.at.get(p.0 as usize).and_then(|v| v.get(o.0 as usize)) {
                    let at = (*at).max(now + 1);
                    best = Some(best.map_or(at, |b| b.min(at)));
                }
            }
        }
        best
    }

    /// A log source reads every record visible at `now`, merged by input order across its partitions.
    fn fetch(&mut self, t: usize, now: u64) {
        let Some(pos) = self.tasks[t].fetch_positions() else { return };
        let mut cursor: Vec<(usize, usize)> = pos.iter().map(|(p, o)| (p.0 as usize, o.0 as usize)).collect();
        let counters = &mut self.counters[self.task_tm[t]];
        if let [(p, off)] = cursor[..] {
            // One partition: the visible run of the log in one batch.
            let at = &self.log.at[p];
            let end = off + at[off.min(at.len())..].partition_point(|a| *a <= now);
            if end > off {
                self.result.records_read += (end - off) as u64;
                self.batch.clear();
                self.log.fill(p, off..end, &mut self.batch);
                self.tasks[t].handle_log_records(now, &self.batch, counters);
            }
        } else {
            self.batch.clear();
            loop {
                let mut best: Option<(u64, usize)> = None;
                for (ci, (p, off)) in cursor.iter().enumerate() {
                    if self.log.at[*p].get(*off).is_some_and(|at| *at <= now) {
                        let Some(seq) = self.log.seq(*p, *off) else { continue };
                        if best.is_none_or(|(s, _)| seq < s) {
                            best = Some((seq, ci));
                        }
                    }
                }
                let Some((_, ci)) = best else { break };
                let (p, off) = cursor[ci];
                self.log.fill(p, off..off + 1, &mut self.batch);
                cursor[ci].1 += 1;
            }
            if !self.batch.is_empty() {
                self.result.records_read += self.batch.len() as u64;
                self.tasks[t].handle_log_records(now, &self.batch, counters);
            }
        }
        self.route(t, now);
    }

    fn trigger(&mut self, now: u64) {
        let cfg = &self.spec.checkpoint;
        let barrier = checkpoint_barrier(cfg, CheckpointId(self.next_id), now, cfg.aligned_timeout_ms.max(0) as u64);
        self.next_id += 1;
        self.pending = Some((barrier, BTreeMap::new()));
        for t in 0..self.tasks.len() {
            if self.is_source[t] {
                self.tasks[t].handle_trigger(now, barrier);
                self.route(t, now);
            }
        }
    }

    /// Runs every task on its queued input until nothing moves.
    fn settle(&mut self, now: u64) {
        loop {
            let mut moved = false;
            for t in 0..self.tasks.len() {
                if self.tasks[t].poll_timeout().is_some_and(|d| d <= now) {
                    self.tasks[t].handle_timeout(now);
                    self.route(t, now);
                    moved = true;
                }
                moved |= self.drain_inputs(t, now);
            }
            while let Some((complete, id)) = self.to_notify.pop_front() {
                moved = true;
                for t in 0..self.tasks.len() {
                    if complete {
                        self.tasks[t].handle_notify_complete(now, id);
                    } else {
                        self.tasks[t].handle_notify_aborted(now, id);
                    }
                    self.route(t, now);
                }
            }
            if !moved || self.failed_task {
                return;
            }
        }
    }

    /// Feeds task `t` from its unblocked input queues, round robin, until they are empty or blocked.
    fn drain_inputs(&mut self, t: usize, now: u64) -> bool {
        let mut moved = false;
        loop {
            let mut any = false;
            for ch in 0..self.queues[t].len() {
                if self.tasks[t].has_failed() || self.tasks[t].is_blocked(ChannelId(ch as u32)) {
                    continue;
                }
                let Some((el, overtaken)) = self.queues[t][ch].pop_front() else { continue };
                any = true;
                let overtaken = ckptsim::barrier::overtaken_records(self.queues[t][ch].iter().map(|q| &q.0), overtaken);
                let counters = &mut self.counters[self.task_tm[t]];
                self.tasks[t].handle_input(now, ChannelId(ch as u32), el, &overtaken, counters);
                self.route(t, now);
            }
            if !any {
                return moved;
            }
            moved = true;
        }
    }

    /// Moves task `t`'s outputs to the queues, the store and the checkpoint bookkeeping.
    fn route(&mut self, t: usize, now: u64) {
        while let Some(out) = self.tasks[t].poll_output() {
            match out {
                out @ (TaskOutput::Emit { .. }
                | TaskOutput::EmitBarrier { .. }
                | TaskOutput::EmitCancelMarker { .. }) => {
                    deliver(&mut self.queues, &self.outs[t], &self.aligns, self.spec.variant, out)
                }
                TaskOutput::Snapshot { id, snapshot, .. } => self.ack(t, id, snapshot, now),
                TaskOutput::Decline { id, .. } => {
                    if self.pending.as_ref().is_some_and(|(b, _)| b.id == id) {
                        self.pending = None;
                        self.to_notify.push_back((false, id));
                    }
                }
                // Barrier announcements are never turned on here: no output-side timer fires.
                TaskOutput::ConvertBarrier { .. } => {}
                TaskOutput::PrioritizeBarriers { id } => {
                    for ch in 0..self.queues[t].len() {
                        let q = &mut self.queues[t][ch];
                        let is_it = |e: &Queued| matches!(e.0, StreamElement::Barrier(b) if b.id == id);
                        let Some(pos) = q.iter().position(is_it) else { continue };
                        let ahead =
                            q.iter().take(pos).filter(|(e, _)| matches!(e, StreamElement::Record(_))).count() as u32;
                        let (el, carried) = q.remove(pos).expect("barrier position");
                        // The records ahead of it and those it already overtook (behind it).
                        let overtaken = ckptsim::barrier::overtaken_records(q.iter().map(|q| &q.0), ahead + carried);
                        let counters = &mut self.counters[self.task_tm[t]];
                        self.tasks[t].handle_input(now, ChannelId(ch as u32), el, &overtaken, counters);
                    }
                }
                TaskOutput::PrintRow { .. } => {
                    self.result.records_out += 1;
                    *self.result.printed_by_task.entry(TaskId(t as u32)).or_default() += 1;
                }
                TaskOutput::Sink(op) => {
                    if matches!(op, SinkOutput::Write { .. }) {
                        self.result.records_out += 1;
                    }
                    if self.store.apply(now, op).is_err() {
                        self.result.sink_anomalies += 1;
                    }
                }
                TaskOutput::CommitOffsets { offsets } => self.committed_offsets.extend(offsets),
                TaskOutput::Failed { .. } => self.failed_task = true,
                // Event time (eventtime branch): not wired into this host yet.
                TaskOutput::EmitWatermark { .. }
                | TaskOutput::EmitWatermarkStatus { .. }
                | TaskOutput::EmitEndOfData
                | TaskOutput::LateRecord { .. }
                | TaskOutput::WindowAssigned { .. }
                | TaskOutput::JoinJudged { .. }
                | TaskOutput::ProcessingTimersQuiesced { .. } => {}
            }
        }
    }

    fn ack(&mut self, t: usize, id: CheckpointId, snapshot: TaskSnapshot, now: u64) {
        let n = self.tasks.len();
        let Some((barrier, acks)) = self.pending.as_mut() else { return };
        if barrier.id != id {
            return;
        }
        acks.insert(TaskId(t as u32), snapshot);
        if acks.len() < n {
            return;
        }
        let (barrier, tasks) = self.pending.take().expect("pending checkpoint");
        let size_bytes = tasks.values().map(TaskSnapshot::size_bytes).sum();
        self.latest = Some(CompletedCheckpoint {
            id,
            kind: barrier.kind,
            trigger_ms: barrier.timestamp_ms,
            completed_ms: now,
            tasks,
            size_bytes,
            external: false,
        });
        self.result.checkpoints_completed += 1;
        self.to_notify.push_back((true, id));
    }

    /// Global failover: every task is redeployed from the latest completed checkpoint.
    fn failover(&mut self, now: u64) {
        self.failed_task = false;
        for t in 0..self.tasks.len() {
            self.tasks[t].close();
            self.route(t, now);
        }
        self.failed_task = false;
        if self.result.restarts >= self.max_restarts() {
            self.result.failed = true;
            self.tasks.clear();
            return;
        }
        self.result.restarts += 1;
        self.attempt += 1;
        self.deploy(now);
    }
}

/// The barrier of a periodic checkpoint `id` triggered at `now_ms` under `cfg` (its alignment:
/// exactly-once aligned or unaligned with `aligned_timeout_ms`, or at-least-once). Shared with
/// `tests/graph_props.rs`, which triggers the same way.
pub fn checkpoint_barrier(
    cfg: &ckptsim::config::CheckpointConfig,
    id: CheckpointId,
    now_ms: u64,
    aligned_timeout_ms: u64,
) -> Barrier {
    let alignment = Alignment::for_config(
        cfg.mode == CheckpointingMode::ExactlyOnce,
        cfg.unaligned,
        aligned_timeout_ms,
        CheckpointKind::Checkpoint,
    );
    Barrier { id, timestamp_ms: now_ms, kind: CheckpointKind::Checkpoint, alignment, stop: None }
}

/// The in-memory channels of `graph`: one empty FIFO queue per (task, input channel), and per
/// task the (downstream task, its input channel) each of its outputs feeds, in output order.
pub fn wire(graph: &Graph) -> (Channels, Vec<Vec<(usize, usize)>>) {
    let n = graph.tasks.len();
    let mut outs = vec![Vec::new(); n];
    let mut queues = Vec::with_capacity(n);
    for (t, out) in outs.iter_mut().enumerate() {
        let id = TaskId(t as u32);
        queues.push(vec![VecDeque::new(); graph.inputs_of(id).len()]);
        for d in graph.output_links(id) {
            // The channel into the gate the edge enters (a self-join's producer feeds two).
            let from = crate::graph::Link { task: id, gate: d.gate };
            let ch = graph.input_channel(d.task, from).expect("an output is an input downstream");
            out.push((d.task.0 as usize, ch as usize));
        }
    }
    (queues, outs)
}

/// Delivers one of a task's data-plane outputs into in-memory FIFO channel queues (`outs`: the
/// task's output channels as (downstream task, input channel)): a record to its channel; a
/// barrier, cancel marker, watermark, watermark status or EndOfData to every channel, behind
/// what is queued; a priority (unaligned) barrier goes to the head of the queue with the number
/// of records it overtook. Shared by the floor and the graph property tests, which drive the
/// core without the world (the floor does not pass event-time outputs or EndOfData on). Other
/// outputs are ignored.
///
/// `aligns[d]`: downstream task `d`'s inputs always align ([`Graph::always_aligns`]); a
/// barrier into it goes in-band, forced aligned ([`ckptsim::record::barrier_into`], semantics
/// §14, forced alignment).
pub fn deliver(
    queues: &mut [Vec<VecDeque<Queued>>],
    outs: &[(usize, usize)],
    aligns: &[bool],
    variant: ckptsim::Variant,
    out: TaskOutput,
) {
    match out {
        TaskOutput::Emit { channel, record } => {
            let (d, ch) = outs[channel as usize];
            queues[d][ch].push_back((StreamElement::Record(record), 0));
        }
        TaskOutput::EmitBarrier { barrier, priority } => {
            for &(d, ch) in outs {
                let q = &mut queues[d][ch];
                let (barrier, priority) = ckptsim::record::barrier_into(barrier, priority, aligns[d], variant);
                if priority {
                    let overtaken = q.iter().filter(|(e, _)| matches!(e, StreamElement::Record(_))).count();
                    q.push_front((StreamElement::Barrier(barrier), overtaken as u32));
                } else {
                    q.push_back((StreamElement::Barrier(barrier), 0));
                }
            }
        }
        TaskOutput::EmitCancelMarker { id } => broadcast(queues, outs, StreamElement::CancelMarker(id)),
        TaskOutput::EmitWatermark { watermark } => broadcast(queues, outs, StreamElement::Watermark(watermark)),
        TaskOutput::EmitWatermarkStatus { status } => broadcast(queues, outs, StreamElement::WatermarkStatus(status)),
        TaskOutput::EmitEndOfData => broadcast(queues, outs, StreamElement::EndOfData),
        _ => {}
    }
}

/// Appends `element` to every output channel in `outs`: how a host sends an event (a cancel
/// marker, a watermark, EndOfData, or the EndOfPartition of a task that finished).
pub fn broadcast(queues: &mut [Vec<VecDeque<Queued>>], outs: &[(usize, usize)], element: StreamElement) {
    for &(d, ch) in outs {
        queues[d][ch].push_back((element.clone(), 0));
    }
}
