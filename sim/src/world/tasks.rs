//! One task attempt: the loop around the core's `Task` (start, restore, the input step, mails, timers, snapshots handed to the uploader), its cleanup when it ends; the data plane is `data_plane.rs`, draining its outputs `task_outputs.rs`.

use super::*;

/// Messages for one running task (delivered by its TaskManager).
#[derive(Clone, Debug)]
pub(super) enum TaskMail {
    Trigger(Barrier),
    NotifyComplete(CheckpointId),
    NotifyAborted(CheckpointId),
    Line {
        line: String,
        input_seq: u64,
    },
    /// The socket server closed the connection (bounded socket input).
    EndOfInput,
}

/// Input steps a task loop takes at one virtual instant before it yields to the other loops:
/// after taking input it looks at its inputs again at once instead of through madsim's
/// executor, and every so many steps it yields, so a loop that keeps finding work at one
/// instant (a livelock) still lets the supervisor stop it at the event budget.
const STEPS_BEFORE_YIELD: u32 = 64;

/// What a task loop finds first in a step: cancelled (with the cancel latency), failed by its
/// TaskManager (the cause), or its mails.
enum Start {
    Cancelled(u64),
    Fail(String),
    Mails(Vec<TaskMail>),
}

pub(super) async fn task_main(
    s: Shared,
    tm: u32,
    task: TaskId,
    attempt: Attempt,
    restore: Option<Arc<CompletedCheckpoint>>,
) {
    if let Some(mut l) = deploy(s, tm, (task, attempt), restore).await {
        l.run().await;
    }
}

/// Deployment of one task attempt: INITIALIZING, the deployment and restore cost, then the
/// core's `Task` built and restored in one world step (`start_task`). `None` when the attempt
/// was dropped meanwhile or its restore threw (then it is FAILED and cleaned up).
async fn deploy(
    s: Shared,
    tm: u32,
    key: (TaskId, Attempt),
    restore: Option<Arc<CompletedCheckpoint>>,
) -> Option<TaskLoop> {
    let (task, attempt) = key;
    let clock = s.with(|w| w.clock.clone());
    let (spec, graph) = s.with(|w| (w.spec.clone(), w.graph.clone()));
    if spec.profile.has_initializing_state() {
        s.with(|w| report(w, tm, task, attempt, ExecutionState::Initializing, None));
    }
    // Deployment and state restore cost.
    let restore_bytes = restore.as_ref().and_then(|c| c.tasks.get(&task)).map(|t| t.size_bytes()).unwrap_or(0);
    let bw = spec.cluster.storage_bandwidth_bytes_per_ms.max(1);
    let extra = s.with(|w| w.latencies.deploy_ms + if restore.is_some() { w.latencies.restore_ms } else { 0 });
    s.tally_sleep(WakeCause::SleepDeploy);
    sleep(Duration::from_millis(spec.cluster.deploy_ms.max(1) + restore_bytes / bw + extra)).await;
    if !s.with(|w| w.wake.live_tasks.contains(&key)) {
        return None;
    }
    let now = clock.now();
    let tspec = s.with(|w| graph.task_spec(&spec, task, attempt, &w.rescale.vertices, w.seed));
    let source_watermarks = source_watermark_strategy(&spec, &graph, task, &tspec);
    let d = Deployment { spec, graph, tm, key, restore };
    let (mut t, is_line) = s.with(|w| start_task(w, &d, tspec, source_watermarks, now));
    if t.has_failed() {
        // initializeState threw (an injected restore failure): FAILED, never RUNNING.
        let inputs = d.graph.input_links(task);
        let mut outbox = Outbox {
            bufs: Vec::new(),
            targets: Vec::new(),
            buffer_records: 1,
            cut_noted: None,
            credit_blocked: Vec::new(),
        };
        s.with(|w| {
            drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs);
            close_task(w, &mut t, key, tm, now);
            cleanup_task(w, key);
        });
        return None;
    }
    Some(TaskLoop::new(s, clock, d, t, is_line, source_watermarks.is_some(), now))
}

/// What a deployment of one task attempt is given.
struct Deployment {
    spec: Arc<JobSpec>,
    graph: Arc<Graph>,
    tm: u32,
    key: (TaskId, Attempt),
    restore: Option<Arc<CompletedCheckpoint>>,
}

/// Where a `latest` partition starts (the log's end as the source sees it): the end of what has
/// been appended by now (not the whole input's end, which made a `latest` source read nothing).
/// 2.x without a restored checkpoint: the end the enumerator of this JobManager epoch resolved
/// at its first deployment. `LatestOffsetsInitializer` (FLINK-28303) puts a real offset into each
/// split it assigns; a failed reader's splits go back to the same enumerator as assigned
/// (`SourceCoordinator#subtaskReset`, `SplitAssignmentTracker#getAndRemoveUncheckpointedAssignment`,
/// `KafkaSourceEnumerator#addSplitsBack`), so a regional restart before any checkpoint resumes
/// at that offset; only a new enumerator (a new JobManager or job) resolves the end again.
/// flink-1.11's `FlinkKafkaConsumerBase#open` resolves it again in every attempt without state.
fn latest_ends(w: &mut World, spec: &JobSpec, restored: bool, now: u64) -> BTreeMap<PartitionId, Offset> {
    let epoch = w.jm_epoch;
    resolve_latest_ends(&w.services.log, spec.profile, restored, now, epoch, &mut w.services.latest_resolved)
}

/// The rule of [`latest_ends`] on its inputs alone, shared with the explorer (whose epochs and
/// resolved ends live in its own state): the log's end at `now` per partition, or, for a 2.x
/// start without a restored checkpoint, the end first resolved in `epoch` (kept in `resolved`).
pub(crate) fn resolve_latest_ends<E: Ord + Copy>(
    log: &BrokerLog,
    profile: ckptsim::Profile,
    restored: bool,
    now: u64,
    epoch: E,
    resolved: &mut BTreeMap<(E, PartitionId), Offset>,
) -> BTreeMap<PartitionId, Offset> {
    let ends = (0..log.partitions()).map(|p| (PartitionId(p as u32), Offset(log.end_at(p, now) as u64)));
    if restored || profile.kafka_state_is_last_read() {
        return ends.collect();
    }
    ends.map(|(p, end)| (p, *resolved.entry((epoch, p)).or_insert(end))).collect()
}

/// A fresh (not restored) start of a `latest` source: the records of its partitions below the
/// end offset `latest` resolves to (`log_end`, the world's rule: 2.x its enumerator's, once per
/// JobManager; 1.11 the consumer's at each start without restored state), appended before the
/// resolution, are never read: Flink starts a `latest` consumer after them
/// (`LatestOffsetsInitializer`; 1.11 `KafkaConsumerThread#reassignPartitions` seeking to the
/// end). At the first resolution they join the run's lost inputs, which the delivery checkers
/// do not expect and the reference folds without; at a later one (a restart without a restored
/// checkpoint resolves `latest` again) an earlier attempt may have read them, so they are kept
/// apart (`latest_skipped_on_restart`: not due, folded only when they left output). From the
/// rule, not from where the core's source started: a source that read them anyway is caught.
fn skip_before_latest(w: &mut World, spec: &JobSpec, t: &Task, log_end: &BTreeMap<PartitionId, Offset>) {
    let services = &mut w.services;
    let skipped = inputs_before_latest(spec, &services.log, t, log_end, &mut services.latest_floor);
    w.obs.lost_inputs.extend(skipped.never_read);
    w.obs.latest_skipped_on_restart.extend(skipped.again);
}

/// The records a fresh `latest` start skips ([`inputs_before_latest`]), by input number.
#[derive(Debug, Default)]
pub(crate) struct LatestSkipped {
    /// Below the first resolution of their partition: never read (`RunResult::lost_inputs`).
    pub never_read: Vec<u64>,
    /// Between an earlier resolution and this one (a restart without a restored checkpoint
    /// resolved `latest` again): an earlier attempt may have read them
    /// (`RunResult::latest_skipped_on_restart`).
    pub again: Vec<u64>,
}

/// The rule of [`skip_before_latest`] on its inputs alone, shared with the explorer (which keeps
/// the floor in its own state): the input numbers of the records of task `t`'s `latest`
/// partitions below the end `log_end` gives and at or above `floor` (the highest end a fresh
/// start resolved so far, per partition, raised here), in partition and offset order, split by
/// whether the partition's `latest` was resolved before.
pub(crate) fn inputs_before_latest(
    spec: &JobSpec,
    log: &BrokerLog,
    t: &Task,
    log_end: &BTreeMap<PartitionId, Offset>,
    floor: &mut BTreeMap<PartitionId, Offset>,
) -> LatestSkipped {
    let mut skipped = LatestSkipped::default();
    let Some(positions) = t.fetch_positions() else { return skipped };
    for p in positions.keys() {
        if spec.startup_of(p.0) != Some(ckptsim::source::StartupMode::Latest) {
            continue;
        }
        let end = log_end.get(p).copied().unwrap_or(Offset(0));
        // The first resolution skips records nobody read; a later one (a restart without a
        // restored checkpoint) skips records an earlier attempt may have read.
        let again = floor.contains_key(p);
        let floor = floor.entry(*p).or_insert(Offset(0));
        let seqs = (floor.0..end.0).filter_map(|off| log.seq(p.0 as usize, off as usize));
        if again {
            skipped.again.extend(seqs);
        } else {
            skipped.never_read.extend(seqs);
        }
        *floor = (*floor).max(end);
    }
    skipped
}

/// The core's `Task` of a deployment, built, configured and restored in one world step
/// (offsets and the log's end, barrier announcements, offset commits, the
/// sink's transaction timeout, the source's watermarks, a user source's reader, the restore's
/// records), RUNNING unless its restore threw; and whether it reads the socket.
fn start_task(
    w: &mut World,
    d: &Deployment,
    tspec: ckptsim::task::TaskSpec,
    source_watermarks: Option<ckptsim::watermark::WatermarkStrategy>,
    now: u64,
) -> (Task, bool) {
    let (spec, restore, (task, attempt), tm) = (&d.spec, d.restore.as_deref(), d.key, d.tm);
    let committed = w.services.committed_offsets.clone();
    let log_end = latest_ends(w, spec, restore.is_some(), now);
    let counters = w.tasks.counters.entry(tm).or_default();
    let is_line = matches!(tspec.head, ckptsim::task::HeadSpec::LineSource);
    let mut tspec = tspec;
    if mark_late_fed(spec, &d.graph, task, &mut tspec) {
        w.obs.join_restores.push((task, attempt, restore.map(|c| c.id)));
    }
    let mut t = Task::new(tspec, now, restore, &committed, &log_end, counters);
    if restore.is_none() {
        skip_before_latest(w, spec, &t, &log_end);
    }
    t.set_barrier_announcements(spec.checkpoint.announces_barriers(spec.profile));
    configure_offset_commits(spec, &mut t, now);
    configure_txn_timeout(w, spec, &mut t, restore.and_then(|c| c.tasks.get(&task)), now);
    if let Some(strategy) = source_watermarks {
        // A fresh generator on every deployment: watermarks are not restored (§11).
        t.configure_watermarks(now, strategy);
    }
    if w.obs.record_valves && t.watermark_valve().is_some() {
        t.record_window_fires();
    }
    open_reader(w, spec, &d.graph, &t, d.key);
    if let Some(cp) = restore {
        w.tasks.restored_from.insert(d.key, cp.id);
        w.record_restored_keyed(task, attempt, cp);
        if !t.has_failed() {
            w.record_restored_lists(&t, attempt, cp);
            w.record_restored_windows(&t, attempt, cp);
            w.obs.cuts.note_restore(&t, attempt, cp.id, now);
        }
    }
    // Old attempts' channels are garbage now: all of them, or with regional restarts (§1.7)
    // this task's (its region's other tasks prune theirs as they deploy; other regions keep
    // their older attempts' channels in use).
    if w.restarts_regions() {
        w.data.channels.retain_task_from_attempt(task, attempt.0);
    } else {
        w.data.channels.retain_from_attempt(attempt.0);
    }
    if is_line && !t.has_failed() {
        w.data.socket_reader = Some(d.key);
    }
    if !t.has_failed() {
        report(w, tm, task, attempt, ExecutionState::Running, None);
    }
    (t, is_line)
}

/// A running task attempt's loop (`run`): the core's `Task`, its output buffers and what the
/// loop carries from one step to the next. Each step, in order: cancellation or a failure
/// request (`start`), the mails (`mails`), the injected failure (`injected_failure`), the
/// task's timers (`timers`), checkpoint gates (`pass_gates`), the end of a bounded log
/// (`bounded_end`), flush and input (`flush_and_input`, or `finish`), snapshots
/// (`snapshots`), paying CPU time (`pay`) or sleeping until something is due (`idle`).
struct TaskLoop {
    s: Shared,
    clock: SimClock,
    spec: Arc<JobSpec>,
    t: Task,
    outbox: Outbox,
    ctx: LoopCtx,
    ops_per_record: u64,
    /// CPU time used and not yet paid with a sleep, µs.
    debt_us: u64,
    /// FLIP-147: a task whose input ended waits for its final checkpoint.
    wait_final: bool,
    /// The task's input ends (bounded source).
    bounded: bool,
    /// A log source with a watermark strategy.
    source_watermarks: bool,
    end_of_partition_sent: bool,
    /// 2.x: the task tells the JobManager once it reached the end of its data (`end_of_data`).
    notify_end_of_data: bool,
    end_of_data_sent: bool,
    /// Checkpoint gates (log sources): the core's `SourceGates` decides when the source
    /// arrives at its next gate and when it passes (shared with the explorer).
    gates: ckptsim::checkpoint_gate::SourceGates,
    /// While waiting at a triggering gate whose request failed: when it asks again.
    gate_retry_at: Option<u64>,
    /// Input steps taken since the loop last gave way to madsim's executor (see `STEPS_BEFORE_YIELD`).
    steps_in_a_row: u32,
    /// The mails of the current step, read from the mailbox into this reused buffer (the
    /// mailbox keeps its own allocation too: no allocation per step with mail).
    mail_buf: Vec<TaskMail>,
}

impl TaskLoop {
    /// The loop of a deployed, RUNNING attempt: its channels, CPU cost, end-of-input and
    /// final-checkpoint behaviour and gates.
    fn new(s: Shared, clock: SimClock, d: Deployment, mut t: Task, is_line: bool, watermarks: bool, now: u64) -> Self {
        let (spec, graph, tm, key) = (d.spec, d.graph, d.tm, d.key);
        let task = key.0;
        let profile = spec.profile;
        let inputs = graph.input_links(task);
        let targets = graph.output_links(task);
        let buffer_records = spec.cluster.buffer_records.max(1) as usize;
        let outbox = Outbox {
            bufs: (0..targets.len()).map(|_| VecDeque::new()).collect(),
            credit_blocked: vec![false; targets.len()],
            targets,
            buffer_records,
            cut_noted: None,
        };
        let capacity = spec.cluster.channel_capacity_buffers.max(1) as usize;
        let ops_per_record = (graph.vertices[graph.task_vertex[task.0 as usize].0].ops.len() as u64).max(1);
        let is_log = t.fetch_positions().is_some();
        let is_user_source = s.with(|w| w.tasks.user_readers.contains_key(&key));
        // FLIP-147: with checkpoints after tasks finish and checkpointing on, a task whose input
        // ended waits for its final checkpoint (StreamTask.areCheckpointsWithFinishedTasksEnabled).
        let wait_final = profile.checkpoints_after_tasks_finish() && spec.checkpoint.periodic_enabled();
        t.set_wait_for_final_checkpoint(wait_final);
        if !spec.checkpoint.periodic_enabled() {
            // No checkpointing: 1.11's Kafka producer falls back to NONE, 2.x's Sink V2 commits at
            // end of input (Profile::sink_without_checkpointing). A user's sink under 1.11 is a
            // plain TwoPhaseCommitSinkFunction: it keeps waiting for a checkpoint that never comes.
            let user_sink = s.with(|w| w.services.user_sink.is_some());
            if !user_sink || profile.checkpoints_after_tasks_finish() {
                t.set_sink_without_checkpointing(profile.sink_without_checkpointing());
            }
        }
        let bounded = if spec.is_graph() {
            // Each source of a job graph says whether its own input ends.
            graph.vertices[graph.task_vertex[task.0 as usize].0].ops.first().is_some_and(|o| spec.operators[*o].bounded)
        } else {
            spec.input_options.bounded
        };
        if is_line && bounded && s.with(|w| w.data.socket_closed) {
            // The server already closed: the new connection reads nothing.
            t.handle_end_of_input(now, wait_final);
        }
        let gates = ckptsim::checkpoint_gate::SourceGates::new(
            if is_log { &spec.input_options.gates } else { &[] },
            spec.variant,
        );
        let ctx = LoopCtx { tm, key, inputs, is_user_source, is_log, is_line, buffer_records, capacity };
        TaskLoop {
            s,
            clock,
            spec,
            t,
            outbox,
            ctx,
            ops_per_record,
            debt_us: 0,
            wait_final,
            bounded,
            source_watermarks: watermarks,
            end_of_partition_sent: false,
            notify_end_of_data: wait_final && profile.triggers_checkpoint_at_end_of_data(),
            end_of_data_sent: false,
            gates,
            gate_retry_at: None,
            steps_in_a_row: 0,
            mail_buf: Vec::new(),
        }
    }

    /// Runs the attempt to its end; `None` when it ended (never `Some`).
    async fn run(&mut self) -> Option<()> {
        loop {
            let now = self.clock.now();
            let mails = self.start(now).await?;
            let mut snapshots = self.mails(now, mails)?;
            self.injected_failure()?;
            self.timers(now, &mut snapshots)?;
            self.pass_gates(now);
            self.bounded_end(now, &mut snapshots)?;
            self.end_of_data(now, &mut snapshots)?;
            let step = self.flush_and_input(now, snapshots.is_empty())?;
            if step.failed {
                return None;
            }
            let InputStep { processed, progressed, wake_at, slow, rpc_timeout, .. } = step;
            snapshots.extend(step.snapshots);
            let (slow, rpc_timeout) = self.snapshots(snapshots, slow, rpc_timeout).await;
            if !self.pay(processed, progressed, step.record_cost_us, slow).await {
                self.idle(now, wake_at, rpc_timeout).await;
            }
        }
    }

    /// Steps 1 and 1b: cancellation, the TaskManager failing this task on its own; else the
    /// mailbox, read in the same world step (nothing awaits between them). `None`: it ended.
    async fn start(&mut self, now: u64) -> Option<Vec<TaskMail>> {
        let LoopCtx { tm, key, .. } = self.ctx;
        let (task, attempt) = key;
        let mut buf = std::mem::take(&mut self.mail_buf);
        let start = self.s.with(|w| {
            if w.tasks.cancelled.contains_key(&key) {
                return Start::Cancelled(w.latencies.cancel_ms);
            }
            if w.tasks.rpc_timeouts.get(&key).is_some_and(|&at| at <= now) {
                w.tasks.rpc_timeouts.remove(&key);
                w.tasks.fail_requests.entry(key).or_insert_with(|| "state update to the JobManager timed out".into());
            }
            if let Some(cause) = w.tasks.fail_requests.remove(&key) {
                return Start::Fail(cause);
            }
            if let Some(q) = w.tasks.mail.get_mut(&key) {
                buf.extend(q.drain(..));
            }
            Start::Mails(buf)
        });
        let (t, outbox, inputs) = (&mut self.t, &mut self.outbox, &self.ctx.inputs);
        match start {
            Start::Cancelled(cancel_ms) => {
                if cancel_ms > 0 {
                    self.s.tally_sleep(WakeCause::SleepCancel);
                    sleep(Duration::from_millis(cancel_ms)).await;
                }
                self.s.with(|w| {
                    drain_outputs(w, t, outbox, key, tm, now, inputs);
                    close_task(w, t, key, tm, now);
                    if w.data.socket_reader == Some(key) {
                        w.data.socket_reader = None;
                    }
                    drop_attempt(w, key);
                    w.wake.live_tasks.remove(&key);
                    w.wake.forget(Sleeper::Task(task, attempt));
                    // Lines the server wrote to the connection while the task was cancelling die
                    // with it (a socket cannot replay them).
                    if let Some(unread) = w.tasks.mail.remove(&key) {
                        lose_unread_lines(w, unread);
                    }
                    report(w, tm, task, attempt, ExecutionState::Canceled, None);
                });
                None
            }
            Start::Fail(cause) => {
                self.s.with(|w| {
                    drain_outputs(w, t, outbox, key, tm, now, inputs);
                    report(w, tm, task, attempt, ExecutionState::Failed, Some(cause));
                    close_task(w, t, key, tm, now);
                    cleanup_task(w, key);
                });
                None
            }
            Start::Mails(mails) => Some(mails),
        }
    }

    /// Step 2: the mailbox (control messages are handled even under backpressure), each mail
    /// and the outputs it caused in one world step. The snapshots taken, or `None` when the
    /// task failed (cleaned up).
    fn mails(&mut self, now: u64, mut mails: Vec<TaskMail>) -> Option<Vec<Taken>> {
        let LoopCtx { tm, key, .. } = self.ctx;
        let s = self.s.clone();
        let mut snapshots = Vec::new();
        let mut pending = mails.drain(..);
        while let Some(m) = pending.next() {
            let (snaps, failed) = s.with(|w| {
                self.handle_mail(w, now, &m);
                let t = &mut self.t;
                let (snaps, failed) = drain_outputs(w, t, &mut self.outbox, key, tm, now, &self.ctx.inputs);
                if let (TaskMail::NotifyComplete(id), false) = (&m, failed || t.has_failed()) {
                    w.saw_completion(key.0, *id);
                }
                if failed {
                    lose_unread_lines(w, pending.by_ref());
                    close_task(w, t, key, tm, now);
                    cleanup_task(w, key);
                }
                (snaps, failed)
            });
            snapshots.extend(snaps);
            if failed {
                return None;
            }
        }
        drop(pending);
        self.mail_buf = mails;
        Some(snapshots)
    }

    /// One mail into the task (inside the mail's world step).
    fn handle_mail(&mut self, w: &mut World, now: u64, m: &TaskMail) {
        let LoopCtx { tm, key, .. } = self.ctx;
        let t = &mut self.t;
        match m {
            TaskMail::Trigger(b) => {
                t.handle_trigger(now, *b);
                // Only the attempt reading the socket has lines to cover (a scan of
                // every read per trigger would be quadratic on long socket runs).
                if w.data.socket_reader == Some(key) {
                    let reads = w.obs.socket_reads.len();
                    w.obs.socket_marks.push(SocketMark { task: key.0, attempt: key.1, id: b.id, reads });
                }
            }
            TaskMail::NotifyComplete(id) | TaskMail::NotifyAborted(id) => {
                let notice =
                    if matches!(m, TaskMail::NotifyComplete(_)) { Notice::Complete(*id) } else { Notice::Aborted(*id) };
                let mark = BarrierProtocol::mark(t);
                if let Some(n) = StopNotice::deliver(t, now, key.0, key.1, notice) {
                    w.obs.stop_notices.push(n);
                }
                if let TaskMail::NotifyAborted(id) = m {
                    let step = (now, w.spec.profile, self.ctx.inputs.len());
                    w.obs.protocol.observe(t, key, step, mark, Handed::JobManagerAbort(*id));
                }
            }
            // A source stopped at a synchronous savepoint reads no more lines: one already
            // written to its connection dies with it (a socket cannot replay it).
            TaskMail::Line { input_seq, .. } if t.input_paused() => w.obs.lost_inputs.push(*input_seq),
            TaskMail::Line { line, input_seq } => {
                w.obs.read_inputs += 1;
                w.obs.socket_reads.push(SocketRead { seq: *input_seq, task: key.0, attempt: key.1 });
                let counters = w.tasks.counters.entry(tm).or_default();
                t.handle_line(now, line, *input_seq, counters);
                w.inputs_read(&[*input_seq]);
                if t.has_failed() {
                    // The line that made the chain throw was consumed: a socket cannot
                    // replay it, so it is lost like any line read before a failure.
                    w.obs.lost_inputs.push(*input_seq);
                }
            }
            TaskMail::EndOfInput => t.handle_end_of_input(now, self.wait_final),
        }
    }

    /// The injected task failure (a `task-failure` fault): FAILED and cleaned up (`None`).
    fn injected_failure(&mut self) -> Option<()> {
        let LoopCtx { tm, key: (task, attempt), .. } = self.ctx;
        let t = &mut self.t;
        let injected = self.s.with(|w| {
            if !w.faults.failing_tasks.remove(&task) {
                return false;
            }
            w.tr_data(
                &tm_node(tm),
                "fault",
                format!("{} throws (injected)", w.task_name(task)),
                EventData::Injected { task },
            );
            report(w, tm, task, attempt, ExecutionState::Failed, Some("injected task failure".into()));
            let now = w.now();
            close_task(w, t, (task, attempt), tm, now);
            cleanup_task(w, (task, attempt));
            true
        });
        (!injected).then_some(())
    }

    /// Step 3: the task's timers: the barrier handler's, Kafka's periodic auto-commit
    /// (checkpointing off) and the source's periodic watermark emission. `None`: it failed.
    fn timers(&mut self, now: u64, snapshots: &mut Vec<Taken>) -> Option<()> {
        let LoopCtx { tm, key, .. } = self.ctx;
        let (t, outbox, inputs) = (&mut self.t, &mut self.outbox, &self.ctx.inputs);
        // 3. Handler timer.
        if t.poll_timeout().is_some_and(|d| d <= now) {
            let mark = BarrierProtocol::mark(t);
            t.handle_timeout(now);
            let (snaps, failed) = self.s.with(|w| {
                let step = (now, w.spec.profile, inputs.len());
                w.obs.protocol.observe(t, key, step, mark, Handed::Timeout);
                drain_outputs(w, t, outbox, key, tm, now, inputs)
            });
            snapshots.extend(snaps);
            if failed {
                task_failed(&self.s, t, tm, key, now);
                return None;
            }
        }
        // 3b. Kafka's periodic auto-commit (checkpointing off).
        if t.auto_commit_deadline().is_some_and(|d| d <= now) {
            if let Some(offsets) = t.handle_auto_commit(now) {
                self.s.with(|w| auto_commit(w, tm, key.0, &offsets, now));
            }
        }
        // 3c. The source's periodic watermark emission (`pipeline.auto-watermark-interval`) and
        // 3d. processing-time windows' timers (`SystemProcessingTimeService`; restored timers
        // already due fire at once): processing-time timers of the task, like the handler timer
        // above, each deadline read after the one before it fired.
        let s = &self.s;
        let mut fire = |t: &mut Task, outbox: &mut Outbox, handle: fn(&mut Task, u64, &mut SurvivingCounters)| {
            let (snaps, failed) = s.with(|w| {
                handle(t, now, w.tasks.counters.entry(tm).or_default());
                drain_outputs(w, t, outbox, key, tm, now, inputs)
            });
            snapshots.extend(snaps);
            failed
        };
        if t.watermark_deadline().is_some_and(|d| d <= now) && fire(t, outbox, Task::handle_watermark_timer) {
            task_failed(s, t, tm, key, now);
            return None;
        }
        if t.processing_timer_deadline().is_some_and(|d| d <= now) && fire(t, outbox, Task::handle_processing_timers) {
            task_failed(s, t, tm, key, now);
            return None;
        }
        Some(())
    }

    /// Step 3a: checkpoint gates: arrive, (request a checkpoint,) wait for one taken here to
    /// complete. A triggering gate whose request was refused or whose checkpoint failed asks
    /// again once its retry time (set by the JobManager's side, `gates.rs`, only for this gate's own request) has come.
    fn pass_gates(&mut self, now: u64) {
        use ckptsim::checkpoint_gate::GateOutput;
        let LoopCtx { tm, key, .. } = self.ctx;
        let attempt = key.1;
        let t = &self.t;
        self.gate_retry_at = None;
        if self.gates.limit().is_none() {
            return;
        }
        match self.s.with(|w| next_log_input(w, t)) {
            Some(next_input) => {
                self.gates.handle_progress(now, next_input, t.last_snapshot_id(), t.last_completed_id());
            }
            None => {
                self.gates.handle_pass(t.last_completed_id());
            }
        }
        while let Some(out) = self.gates.poll_output() {
            match out {
                GateOutput::Arrived { gate, after, trigger } => self.s.with(|w| {
                    w.tr(&tm_node(tm), "gate", format!("{} waits for a checkpoint after input #{after}", t.name()));
                    if trigger {
                        w.obs.notes.gate_waits.push(super::observe::GateWait {
                            since_ms: now,
                            task: key.0,
                            attempt: key.1,
                            after,
                        });
                        super::gates::arrived(w, (attempt, gate), key);
                    }
                }),
                GateOutput::Passed { gate, after, since_ms, snapshot_before } => self.s.with(|w| {
                    w.tr(&tm_node(tm), "gate", format!("{} passes the gate after input #{after}", t.name()));
                    w.obs.notes.gate_passes.push(GatePass {
                        at_ms: now,
                        task: key.0,
                        attempt: key.1,
                        since_ms,
                        snapshot_before,
                        after,
                    });
                    super::gates::passed(w, (attempt, gate), key);
                }),
            }
        }
        if let Some(gate) = self.gates.blocked_trigger(t.last_completed_id()) {
            self.gate_retry_at = self.s.with(|w| super::gates::retry(w, (attempt, gate), now, t.name(), tm));
        }
    }

    /// Step 3b: a bounded log input read up to its end (every owned partition at its stopping
    /// offset) ends the task's input; so does a source deployed as finished, whatever it would
    /// read (the core's [`Task::input_ends_unread`], [`end_dormant_source`]). `None`: it failed.
    fn bounded_end(&mut self, now: u64, snapshots: &mut Vec<Taken>) -> Option<()> {
        let LoopCtx { tm, key, is_log, .. } = self.ctx;
        let (t, outbox, inputs) = (&mut self.t, &mut self.outbox, &self.ctx.inputs);
        let dormant = t.input_ends_unread();
        if self.bounded && is_log && t.may_end_bounded_input() && self.s.with(|w| log_source_at_end(w, t)) {
            let text = format!("{} reached its stopping offsets", t.name());
            self.s.with(|w| w.tr_data(&tm_node(tm), "end-of-input", text, EventData::EndOfInput));
            t.handle_end_of_input(now, self.wait_final);
        } else if dormant {
            end_dormant_source(&self.s, tm, key, t, now, self.wait_final);
        } else {
            return Some(());
        }
        // MAX_WATERMARK goes out now, ahead of the end of partition (a task restored past its
        // end finishes at once: step 4b must not send EndOfPartition first); so does what a
        // dormant source's end emitted (EndOfData): its input is paused, no input step drains it.
        if self.source_watermarks || dormant {
            let (snaps, failed) = self.s.with(|w| drain_outputs(w, t, outbox, key, tm, now, inputs));
            snapshots.extend(snaps);
            if failed {
                task_failed(&self.s, t, tm, key, now);
                return None;
            }
        }
        Some(())
    }

    /// Step 3d. End of data (2.x): the input ended and the operators finished; before waiting
    /// for its final checkpoint the task calls `notifyEndOfData` on the JobMaster, which
    /// triggers a checkpoint once every task did (`SchedulerBase.notifyEndOfData`). Only sent
    /// where the JobMaster acts on it (checkpointing on, checkpoints after tasks finish), and not
    /// by a task that stopped at a stop-with-savepoint's savepoint (that savepoint is its final
    /// checkpoint; its end follows the savepoint's notification, `task_stop.rs`). The core put
    /// EndOfData in the outputs behind everything the end of input emitted
    /// (`TaskOutput::EmitEndOfData`), so downstream tasks end their data (and report it) while
    /// this one still waits. `None`: it failed.
    fn end_of_data(&mut self, now: u64, snapshots: &mut Vec<Taken>) -> Option<()> {
        let LoopCtx { tm, key, .. } = self.ctx;
        let (t, outbox, inputs) = (&mut self.t, &mut self.outbox, &self.ctx.inputs);
        if self.notify_end_of_data
            && !self.end_of_data_sent
            && t.input_has_ended()
            && !t.has_failed()
            && t.stopped_at().is_none()
        {
            self.end_of_data_sent = true;
            let (snaps, failed) = self.s.with(|w| drain_outputs(w, t, outbox, key, tm, now, inputs));
            snapshots.extend(snaps);
            if failed {
                task_failed(&self.s, t, tm, key, now);
                return None;
            }
            let (task, attempt) = key;
            self.s.with(|w| w.send(tm_addr(tm), JM, Msg::EndOfData { task, attempt }));
        }
        Some(())
    }

    /// Step 4: flush the outputs (are we backpressured?); 5: input, in the same world step
    /// unless the task finished, which `finish` handles first. `None`: it finished.
    ///
    /// While the rounds that would follow would find nothing to do before their own flush and
    /// input step (see [`Batch`]), those steps are taken here, in this round's world step: the
    /// same steps in the same order at the same virtual instant, without a round each.
    fn flush_and_input(&mut self, now: u64, no_snapshots: bool) -> Option<InputStep> {
        let LoopCtx { key: (task, attempt), buffer_records, capacity, .. } = self.ctx;
        let limit = self.gates.limit();
        let mut batch = Batch {
            enabled: no_snapshots && limit.is_none(),
            bounded_log: self.bounded && self.ctx.is_log,
            end_of_data_pending: self.notify_end_of_data && !self.end_of_data_sent,
            ops_per_record: self.ops_per_record,
            debt_us: self.debt_us,
            steps_in_a_row: self.steps_in_a_row,
        };
        let (t, outbox, ctx) = (&mut self.t, &mut self.outbox, &self.ctx);
        let first = self.s.with(|w| {
            w.budget.counts.loop_rounds += 1;
            let mut blocked_out = flush(w, outbox, attempt, task, buffer_records, capacity, now);
            loop {
                if t.is_finished() {
                    return Err(blocked_out);
                }
                let step = input_step(w, t, outbox, ctx, now, blocked_out, limit);
                if !batch.takes_another(w, t, ctx.key, &step, now) {
                    return Ok(step);
                }
                // The next round's steps 1-3d found nothing to do: its flush and input step.
                w.budget.counts.batched_steps += 1;
                w.count_step();
                blocked_out = flush(w, outbox, attempt, task, buffer_records, capacity, now);
            }
        });
        (self.debt_us, self.steps_in_a_row) = (batch.debt_us, batch.steps_in_a_row);
        match first {
            Ok(step) => Some(step),
            Err(blocked_out) => self.finish(now, blocked_out, limit),
        }
    }

    /// Step 4b: finished (input ended and, with FLIP-147, the final checkpoint completed):
    /// EndOfPartition downstream, then FINISHED once everything left the output buffers
    /// (`None`); until then the input step still runs.
    fn finish(&mut self, now: u64, blocked_out: bool, limit: Option<u64>) -> Option<InputStep> {
        let LoopCtx { tm, key, buffer_records, capacity, .. } = self.ctx;
        let (task, attempt) = key;
        let (t, outbox, ctx) = (&mut self.t, &mut self.outbox, &self.ctx);
        if !self.end_of_partition_sent {
            self.end_of_partition_sent = true;
            outbox.push_event(StreamElement::EndOfPartition);
            self.s.with(|w| flush(w, outbox, attempt, task, buffer_records, capacity, now));
        }
        if outbox.bufs.iter().all(|b| b.is_empty()) {
            t.close();
            self.s.with(|w| {
                drain_outputs(w, t, outbox, key, tm, now, &ctx.inputs);
                w.tr(&tm_node(tm), "finished", t.name().to_string());
                report(w, tm, task, attempt, ExecutionState::Finished, None);
                cleanup_task(w, key);
            });
            return None;
        }
        Some(self.s.with(|w| input_step(w, t, outbox, ctx, now, blocked_out, limit)))
    }

    /// Step 6: snapshots: the synchronous part blocks the task; the asynchronous upload runs
    /// beside it. After time passed, the slow-operator fault and RPC timeout read again.
    async fn snapshots(
        &mut self,
        snapshots: Vec<Taken>,
        slow: Option<u64>,
        rpc_timeout: Option<u64>,
    ) -> (Option<u64>, Option<u64>) {
        let LoopCtx { tm, key, .. } = self.ctx;
        let task = key.0;
        let bw = self.spec.cluster.storage_bandwidth_bytes_per_ms.max(1);
        let snapshotted = !snapshots.is_empty();
        for Taken { id, snapshot, size_bytes } in snapshots {
            let (sync_ms, async_ms, up_extra) = self.s.with(|w| {
                let (ss, aa) = w.faults.slow_snapshots.get(&task).copied().unwrap_or((0, 0));
                (1 + ss, size_bytes / bw + aa, w.faults.storage_extra_ms)
            });
            self.s.tally_sleep(WakeCause::SleepSnapshot);
            sleep(Duration::from_millis(sync_ms)).await;
            self.s.with(|w| {
                let now = w.now();
                if let Some(span) = snapshot_span(w, key, id) {
                    span.sync_end_ms = Some(now);
                }
                let due_ms = now + (async_ms + up_extra).max(1);
                queue_upload(w, tm, due_ms, Upload { key, id, snapshot });
            });
        }
        if snapshotted {
            // Time passed while snapshotting: read again what the faults and RPCs say now.
            self.s.with(|w| (w.faults.slow_ops.get(&task).copied(), w.tasks.rpc_timeouts.get(&key).copied()))
        } else {
            (slow, rpc_timeout)
        }
    }

    /// Step 7: pay for the CPU time used (a sleep per whole ms owed), or look at the inputs
    /// again after progress, yielding every `STEPS_BEFORE_YIELD` steps; also the planted
    /// `idle-spin` livelock. `false`: nothing was done, the loop goes idle.
    async fn pay(&mut self, processed: u64, progressed: bool, record_cost_us: u64, slow: Option<u64>) -> bool {
        if processed > 0 {
            self.debt_us += processed * record_cost_us * self.ops_per_record;
            if let Some(rps) = slow {
                self.debt_us += processed * 1_000_000 / rps.max(1);
            }
            if self.debt_us >= 1000 {
                let ms = self.debt_us / 1000;
                self.debt_us %= 1000;
                self.steps_in_a_row = 0;
                self.s.tally_sleep(WakeCause::SleepCpu);
                sleep(Duration::from_millis(ms)).await;
            } else {
                // Look at the inputs again at once, without a round trip through madsim's
                // executor (virtual time does not move in between either way).
                self.again().await;
            }
            return true;
        }
        if progressed {
            self.again().await;
            return true;
        }
        if idle_task_spins(&self.spec) {
            // Planted livelock (variant idle-spin): the idle task believes it has work and looks
            // again at once, as after an input step, so time never advances. Only the yield
            // bound lets the other loops run, the supervisor among them, which stops the run at
            // its event budget (`sim/tests/event_budget.rs`: without the bound the run hangs).
            self.again().await;
            return true;
        }
        false
    }

    /// Another step at once, or a yield to madsim's executor every `STEPS_BEFORE_YIELD` steps.
    async fn again(&mut self) {
        if self.steps_in_a_row < STEPS_BEFORE_YIELD {
            self.steps_in_a_row += 1;
        } else {
            self.steps_in_a_row = 0;
            madsim::task::yield_now().await;
        }
    }

    /// Step 8: idle: wait for input, credit, mail, cancel or a timer.
    async fn idle(&mut self, now: u64, wake_at: Option<u64>, rpc_timeout: Option<u64>) {
        self.steps_in_a_row = 0;
        let t = &self.t;
        let input =
            if self.ctx.is_log || self.ctx.is_user_source { WakeCause::SourceRecord } else { WakeCause::InputDue };
        let (deadline, cause) = earliest([
            (wake_at, input),
            (self.gate_retry_at, WakeCause::GateRetry),
            (t.poll_timeout(), WakeCause::TaskTimer),
            (self.outbox.timeout_flush_at(self.spec.cluster.buffer_timeout_ms), WakeCause::BufferTimeout),
            (rpc_timeout, WakeCause::RpcTimeout),
            (t.auto_commit_deadline(), WakeCause::AutoCommit),
            (t.watermark_deadline(), WakeCause::Watermark),
            (t.processing_timer_deadline(), WakeCause::ProcessingTimer),
        ]);
        let (task, attempt) = self.ctx.key;
        wait(&self.s, Sleeper::Task(task, attempt), deadline.map(|d| d.max(now + 1)), cause).await;
    }
}

/// What a task loop's input step did (`input_step`).
struct InputStep {
    processed: u64,
    /// An event was taken: look at the inputs again at once.
    progressed: bool,
    /// When the next input is due (nothing is due now).
    wake_at: Option<u64>,
    snapshots: Vec<Taken>,
    /// The task failed while processing (already cleaned up).
    failed: bool,
    record_cost_us: u64,
    /// A slow-operator fault on the task (records per second), read in the same step.
    slow: Option<u64>,
    /// The task's pending RPC timeout, read in the same step.
    rpc_timeout: Option<u64>,
}

/// Whether a task loop takes its next input step inside the current round (`flush_and_input`)
/// instead of in a round of its own. It does when that next round would do nothing before its
/// flush and input step, so taking the step at once changes nothing but the cost: this round's
/// input step made progress, failed nothing and took no snapshot (step 6 would sleep), and no
/// snapshot is pending from its mails or timers; step 7 would pay no sleep (the CPU debt stays
/// under 1 ms) and would not yield to madsim (`STEPS_BEFORE_YIELD`); and in the next round no
/// cancel, failure request, due RPC timeout, mail or injected failure awaits the task, none of
/// its timers is due, no checkpoint gate is ahead, a bounded log source has not reached its end
/// and no end of data is to be reported (steps 1-3d). Nothing else can change these between two
/// rounds at one virtual instant: no other loop runs in between (the TaskManager's executor
/// polls this attempt's future until it awaits).
struct Batch {
    /// No snapshot pending in this round and no checkpoint gate ahead.
    enabled: bool,
    /// A bounded log source (step 3b looks for its end).
    bounded_log: bool,
    /// 2.x end of data still to be reported (step 3d).
    end_of_data_pending: bool,
    ops_per_record: u64,
    /// The loop's CPU debt and steps in a row, as step 7 leaves them after each batched step.
    debt_us: u64,
    steps_in_a_row: u32,
}

impl Batch {
    /// Whether the step after `step` is taken in this round; if so, step 7's bookkeeping for
    /// `step` is done here.
    fn takes_another(&mut self, w: &World, t: &Task, key: (TaskId, Attempt), step: &InputStep, now: u64) -> bool {
        if !self.enabled || step.failed || !step.snapshots.is_empty() {
            return false;
        }
        if (step.processed == 0 && !step.progressed) || self.steps_in_a_row >= STEPS_BEFORE_YIELD {
            return false;
        }
        let mut debt_us = self.debt_us;
        if step.processed > 0 {
            debt_us += step.processed * step.record_cost_us * self.ops_per_record;
            if let Some(rps) = step.slow {
                debt_us += step.processed * 1_000_000 / rps.max(1);
            }
            if debt_us >= 1000 {
                return false;
            }
        }
        if !self.next_round_idle(w, t, key, now) {
            return false;
        }
        self.debt_us = debt_us;
        self.steps_in_a_row += 1;
        true
    }

    /// Steps 1-3d of the next round would do nothing.
    fn next_round_idle(&self, w: &World, t: &Task, key: (TaskId, Attempt), now: u64) -> bool {
        let due = |d: Option<u64>| d.is_some_and(|d| d <= now);
        let host = &w.tasks;
        !(host.cancelled.contains_key(&key)
            || host.fail_requests.contains_key(&key)
            || due(host.rpc_timeouts.get(&key).copied())
            || host.mail.get(&key).is_some_and(|q| !q.is_empty())
            || w.faults.failing_tasks.contains(&key.0)
            || due(t.poll_timeout())
            || due(t.auto_commit_deadline())
            || due(t.watermark_deadline())
            || due(t.processing_timer_deadline())
            || t.input_ends_unread()
            || (self.bounded_log && t.may_end_bounded_input() && log_source_at_end(w, t))
            || (self.end_of_data_pending && t.input_has_ended() && !t.has_failed() && t.stopped_at().is_none()))
    }
}

/// What a task loop keeps for its whole attempt and its input step reads.
struct LoopCtx {
    tm: u32,
    key: (TaskId, Attempt),
    inputs: Vec<Link>,
    is_user_source: bool,
    is_log: bool,
    is_line: bool,
    buffer_records: usize,
    capacity: usize,
}

/// Step 3b for a source deployed as finished (FLIP-147; the core's [`Task::input_ends_unread`]:
/// its whole vertex FINISHED at the restored checkpoint's trigger): Flink's
/// `StreamTaskFinishedOnRestoreSourceInput` ends its input on the first input step, before it
/// reads anything (EndOfData downstream, its first checkpoint its final one), and the core
/// pauses its input for good ([`Task::input_paused`]). A bounded log source restored at its
/// stopping offsets ends as a bounded end instead; this is the source that finished otherwise —
/// stopped by a stop-with-savepoint without drain, then a later checkpoint taken while it was
/// FINISHED (session 39, swarm 8328). The world traces it and records the
/// [`DormantSource`] row the checkers excuse unread input by.
fn end_dormant_source(s: &Shared, tm: u32, key: (TaskId, Attempt), t: &mut Task, now: u64, wait_final: bool) {
    let task = key.0;
    let text = format!("{} deployed as finished: its input ends at once", t.name());
    s.with(|w| {
        let graph = &w.graph;
        let head = graph.vertices[graph.task_vertex[task.0 as usize].0].ops.first().copied();
        let source = head.map_or_else(String::new, |o| w.spec.operators[o].name.clone());
        let row = DormantSource { at_ms: now, task, attempt: key.1, source };
        w.tr_data(&tm_node(tm), "end-of-input", text, EventData::EndOfInput);
        w.obs.dormant_sources.push(row);
    });
    t.handle_end_of_input(now, wait_final);
}

/// Step 5 of the task loop: unless backpressured or paused ([`Task::input_paused`], which also
/// holds a source deployed as finished), take input (a fetch from the broker or a user source,
/// or the next due item of an input channel), drain the outputs it caused and flush them; then
/// read what steps 7 and 8 need. One world step.
fn input_step(
    w: &mut World,
    t: &mut Task,
    outbox: &mut Outbox,
    c: &LoopCtx,
    now: u64,
    blocked_out: bool,
    limit: Option<u64>,
) -> InputStep {
    let (task, attempt) = c.key;
    let mut step = InputStep {
        processed: 0,
        progressed: false,
        wake_at: None,
        snapshots: Vec::new(),
        failed: false,
        record_cost_us: w.spec.cluster.record_cost_us,
        slow: None,
        rpc_timeout: None,
    };
    // A task stopped at a stop-with-savepoint's synchronous savepoint takes no input (a
    // source for good; any other task until the savepoint's completion is notified).
    let took = if t.input_paused() {
        false
    } else if blocked_out {
        // Backpressured: no record, but a priority barrier still (semantics §3.3).
        let priority = !c.is_log && !c.is_line && !c.is_user_source;
        let took = priority && matches!(take_input(w, t, c.tm, c.key, &c.inputs, now, true), Take::Event);
        step.progressed = took;
        took
    } else {
        if c.is_user_source {
            match fetch_user_records(w, t, c.tm, c.key, now, c.buffer_records * 2) {
                Fetch::Records(n) => step.processed = n,
                Fetch::WaitUntil(at) => step.wake_at = at,
            }
        } else if c.is_log {
            match fetch_and_process(w, t, c.tm, now, c.buffer_records * 2, limit) {
                Fetch::Records(n) => step.processed = n,
                Fetch::WaitUntil(at) => step.wake_at = at,
            }
        } else if !c.is_line {
            match take_input(w, t, c.tm, c.key, &c.inputs, now, false) {
                Take::Records(n) => step.processed = n,
                // An event is progress too: look at the inputs again at once (a barrier
                // that is queued but not yet due must set the next wake-up).
                Take::Event => step.progressed = true,
                Take::WaitUntil(at) => step.wake_at = at,
            }
        }
        true
    };
    if took {
        let (snaps, failed) = drain_outputs(w, t, outbox, c.key, c.tm, now, &c.inputs);
        if failed {
            close_task(w, t, c.key, c.tm, now);
            cleanup_task(w, c.key);
            step.failed = true;
            return step;
        }
        step.snapshots = snaps;
        flush(w, outbox, attempt, task, c.buffer_records, c.capacity, now);
    }
    step.slow = w.faults.slow_ops.get(&task).copied();
    step.rpc_timeout = w.tasks.rpc_timeouts.get(&c.key).copied();
    step
}

/// The 2PC sink learns the store's transaction timeout (as FlinkKafkaProducer sets
/// `setTransactionTimeout` from `transaction.timeout.ms`) and whether failures after it are
/// ignored, with the begin times of the transactions it restores (from the store).
fn configure_txn_timeout(w: &World, spec: &JobSpec, t: &mut Task, own: Option<&TaskSnapshot>, now: u64) {
    configure_sink_committer(&w.services.txn_store, spec, t, own, now);
}

/// [`configure_txn_timeout`] against a given store: the world's, or `ckptsim explore`'s (its
/// job model configures the sink as the world does).
pub(crate) fn configure_sink_committer(
    store: &ckptsim::sink::TxnStore,
    spec: &JobSpec,
    t: &mut Task,
    own: Option<&TaskSnapshot>,
    now: u64,
) {
    let Some(sink) = spec.operators.last().filter(|o| o.kind == crate::spec::OpKind::TwoPhaseCommitSink) else {
        return;
    };
    if sink.sink_v2 {
        t.use_sink_v2_committer();
    }
    let Some(timeout_ms) = sink.sink_store.transaction_timeout_ms else { return };
    let policy = ckptsim::sink::TxnTimeoutPolicy {
        timeout_ms,
        ignore_failures_after_timeout: sink.ignore_failures_after_transaction_timeout,
        warning_ratio_permille: None,
    };
    let started: BTreeMap<ckptsim::state::TxnId, u64> = Task::restored_transactions(own)
        .into_iter()
        .filter_map(|txn| store.begun_ms(txn).map(|ms| (txn, ms)))
        .collect();
    t.configure_transaction_timeout(now, policy, &started);
}

/// Variant `idle-spin`: an idle task polls again instead of sleeping (a planted livelock).
/// The explorer's host-loop model asks the same (`tools/explore/choices.rs`: a spinning task
/// keeps virtual time from advancing).
pub(crate) fn idle_task_spins(spec: &JobSpec) -> bool {
    spec.variant == ckptsim::Variant::IdleSpin
}

/// The latest snapshot span of this task attempt for checkpoint `id`.
pub(super) fn snapshot_span(w: &mut World, key: (TaskId, Attempt), id: CheckpointId) -> Option<&mut SnapshotSpan> {
    w.obs.snapshot_spans.iter_mut().rev().find(|s| (s.task, s.attempt) == key && s.checkpoint == id)
}

/// Socket lines handed to a source attempt that ends before reading them: a socket cannot
/// replay them, so they are lost (like lines sent while no source reads the socket).
fn lose_unread_lines(w: &mut World, mails: impl IntoIterator<Item = TaskMail>) {
    for m in mails {
        if let TaskMail::Line { input_seq, .. } = m {
            w.obs.lost_inputs.push(input_seq);
        }
    }
}

pub(super) fn cleanup_task(w: &mut World, key: (TaskId, Attempt)) {
    drop_attempt(w, key);
    if w.data.socket_reader == Some(key) {
        w.data.socket_reader = None;
    }
    w.wake.live_tasks.remove(&key);
    w.wake.forget(Sleeper::Task(key.0, key.1));
    if let Some(unread) = w.tasks.mail.remove(&key) {
        lose_unread_lines(w, unread);
    }
    w.tasks.restored_from.remove(&key);
    w.tasks.rpc_timeouts.remove(&key);
}

/// Task attempt `key` failed (its FAILED reported): its operators closed, then cleaned up.
pub(super) fn task_failed(s: &Shared, t: &mut Task, tm: u32, key: (TaskId, Attempt), now: u64) {
    s.with(|w| {
        close_task(w, t, key, tm, now);
        cleanup_task(w, key);
    });
}

/// Marks what the checkers read of a task fed by a late side output, before `Task::new` (which
/// replays a restore's in-flight records): a late-fed window records which elements each
/// attempt took (session 28: its watermark is not restored, so no fold knows them), a late-fed
/// join which elements it took or dropped as late and which rows it emitted (session 29).
/// Returns whether a late-fed join was marked: its deployment is then recorded
/// (`RunResult::join_restores`, the join replay rule). The world and the explorer
/// (`tools/explore/route.rs`, session 31) mark their tasks here.
pub(crate) fn mark_late_fed(spec: &JobSpec, graph: &Graph, task: TaskId, tspec: &mut ckptsim::task::TaskSpec) -> bool {
    let (vi, _) = graph.task_vertex[task.0 as usize];
    let ops = &graph.vertices[vi].ops;
    if ops.iter().any(|o| spec.late_fed_window(*o).is_some()) {
        tspec.chain.iter_mut().for_each(|op| op.operator.record_window_assignments());
    }
    if !ops.iter().any(|o| spec.late_fed_join(*o).is_some()) {
        return false;
    }
    if let ckptsim::task::HeadSpec::MultiInputs { gates, .. } = &mut tspec.head {
        gates.record_join = true;
    }
    true
}

/// The watermark strategy of task `task` when it is a log source with one (event time,
/// semantics §11): a job graph's log sources read their topic (`LogTopic`), each with its own
/// strategy. The world and the explorer (`tools/explore`) configure a deployed source with it.
pub(crate) fn source_watermark_strategy(
    spec: &JobSpec,
    graph: &Graph,
    task: TaskId,
    tspec: &ckptsim::task::TaskSpec,
) -> Option<ckptsim::watermark::WatermarkStrategy> {
    match tspec.head {
        ckptsim::task::HeadSpec::LogSource { .. } | ckptsim::task::HeadSpec::LogTopic { .. } => {
            graph.vertices[graph.task_vertex[task.0 as usize].0].ops.first().and_then(|&o| spec.operators[o].watermarks)
        }
        _ => None,
    }
}
