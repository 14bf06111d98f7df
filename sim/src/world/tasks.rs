//! One task attempt: the loop around the core's `Task`, the data plane (channels, outboxes, buffer flushing, taking input) and draining its outputs.

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

// ------------------------------------------------------------------ data channels

#[derive(Clone, Debug)]
pub(super) enum Item {
    Records(Vec<Record>),
    Event(StreamElement, u32),
}

#[derive(Debug, Default)]
pub(super) struct DataChannel {
    /// (deliver_at_ms, global sequence, item)
    pub(super) queue: VecDeque<(u64, u64, Item)>,
    pub(super) record_buffers: usize,
    pub(super) last_deliver_ms: u64,
    /// Records that entered the queue, and that the receiver took (channel cuts, `cuts.rs`).
    pub(super) pushed_records: u64,
    pub(super) taken_records: u64,
    /// The newest barrier id announced to the receiver (§3.4; only with barrier announcements).
    pub(super) announced: CheckpointId,
}

impl DataChannel {
    pub(super) fn queued_records(&self) -> u32 {
        self.queue.iter().map(|(_, _, i)| if let Item::Records(r) = i { r.len() as u32 } else { 0 }).sum()
    }
}

pub(super) type ChannelKey = (u32, TaskId, TaskId);

/// Per-task output buffers: elements waiting to enter each downstream channel, in order.
///
/// Records wait in chunks of at most `buffer_records`, filled in order: the leading records of a
/// queue split into chunks exactly as a flush splits them into network buffers, so a flush
/// hands a whole chunk to the channel instead of copying records one by one.
pub(super) struct Outbox {
    pub(super) targets: Vec<TaskId>,
    pub(super) bufs: Vec<VecDeque<OutItem>>,
    pub(super) buffer_records: usize,
}

pub(super) enum OutItem {
    /// A network buffer being filled, and when its first record was written (ms).
    Records(Vec<Record>, u64),
    Event(StreamElement),
}

impl Outbox {
    pub(super) fn push_record(&mut self, i: usize, record: Record, now: u64) {
        let buf = &mut self.bufs[i];
        match buf.back_mut() {
            Some(OutItem::Records(chunk, _)) if chunk.len() < self.buffer_records => chunk.push(record),
            _ => {
                let mut chunk = Vec::with_capacity(self.buffer_records);
                chunk.push(record);
                buf.push_back(OutItem::Records(chunk, now));
            }
        }
    }

    pub(super) fn push_event(&mut self, el: StreamElement) {
        for buf in self.bufs.iter_mut() {
            buf.push_back(OutItem::Event(el.clone()));
        }
    }

    /// Records waiting for output channel `i`.
    pub(super) fn pending_records(&self, i: usize) -> u32 {
        self.bufs[i].iter().map(|it| if let OutItem::Records(c, _) = it { c.len() as u32 } else { 0 }).sum()
    }

    /// When the buffer timeout sends a partly filled buffer held back by [`flush`] (the last
    /// item of a channel's queue; anything behind a buffer sends it).
    pub(super) fn timeout_flush_at(&self, buffer_timeout_ms: u64) -> Option<u64> {
        if buffer_timeout_ms == 0 {
            return None;
        }
        self.bufs
            .iter()
            .filter_map(|b| match b.back() {
                Some(OutItem::Records(c, since)) if c.len() < self.buffer_records => Some(since + buffer_timeout_ms),
                _ => None,
            })
            .min()
    }
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
    let key = (task, attempt);
    let clock = s.with(|w| w.clock.clone());
    let (spec, graph) = s.with(|w| (w.spec.clone(), w.graph.clone()));
    let profile = spec.profile;
    if profile.has_initializing_state() {
        s.with(|w| report(w, tm, task, attempt, ExecutionState::Initializing, None));
    }
    // Deployment and state restore cost.
    let restore_bytes = restore.as_ref().and_then(|c| c.tasks.get(&task)).map(|t| t.size_bytes()).unwrap_or(0);
    let bw = spec.cluster.storage_bandwidth_bytes_per_ms.max(1);
    let extra = s.with(|w| w.latencies.deploy_ms + if restore.is_some() { w.latencies.restore_ms } else { 0 });
    sleep(Duration::from_millis(spec.cluster.deploy_ms.max(1) + restore_bytes / bw + extra)).await;
    if !s.with(|w| w.wake.live_tasks.contains(&key)) {
        return;
    }
    let now = clock.now();
    let mut tspec = graph.task_spec(&spec, task, attempt);
    let source_watermarks = source_watermark_strategy(&spec, &graph, task, &tspec);
    let (mut t, is_line) = s.with(|w| {
        super::rescale::key_group_routing(w, &graph, &mut tspec);
        let committed = w.services.committed_offsets.clone();
        let log = &w.services.log;
        let log_end: BTreeMap<PartitionId, Offset> =
            (0..log.partitions()).map(|p| (PartitionId(p as u32), Offset(log.len(p) as u64))).collect();
        let counters = w.tasks.counters.entry(tm).or_default();
        let is_line = matches!(tspec.head, ckptsim::task::HeadSpec::LineSource);
        let mut t = Task::new(tspec, now, restore.as_deref(), &committed, &log_end, counters);
        t.set_barrier_announcements(spec.checkpoint.announces_barriers(spec.profile));
        configure_offset_commits(&spec, &mut t, now);
        configure_txn_timeout(w, &spec, &mut t, restore.as_deref().and_then(|c| c.tasks.get(&task)), now);
        if let Some(strategy) = source_watermarks {
            // A fresh generator on every deployment: watermarks are not restored (§11).
            t.configure_watermarks(now, strategy);
        }
        open_reader(w, &spec, &graph, &t, key);
        if let Some(cp) = &restore {
            w.tasks.restored_from.insert(key, cp.id);
            w.record_restored_keyed(task, attempt, cp);
            if !t.has_failed() {
                w.record_restored_lists(&t, attempt, cp);
            }
        }
        // Old attempts' channels are garbage now.
        w.data.channels.retain(|k, _| k.0 >= attempt.0);
        if is_line && !t.has_failed() {
            w.data.socket_reader = Some(key);
        }
        if !t.has_failed() {
            report(w, tm, task, attempt, ExecutionState::Running, None);
        }
        (t, is_line)
    });
    if t.has_failed() {
        // initializeState threw (an injected restore failure): FAILED, never RUNNING.
        let inputs = graph.inputs_of(task);
        let mut outbox = Outbox { bufs: Vec::new(), targets: Vec::new(), buffer_records: 1 };
        s.with(|w| {
            drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs);
            cleanup_task(w, key);
        });
        return;
    }
    let inputs = graph.inputs_of(task);
    let targets = graph.outputs_of(task);
    let buffer_records = spec.cluster.buffer_records.max(1) as usize;
    let buffer_timeout_ms = spec.cluster.buffer_timeout_ms;
    let mut outbox = Outbox { bufs: (0..targets.len()).map(|_| VecDeque::new()).collect(), targets, buffer_records };
    let capacity = spec.cluster.channel_capacity_buffers.max(1) as usize;
    let ops_per_record = (graph.vertices[graph.task_vertex[task.0 as usize].0].ops.len() as u64).max(1);
    let mut debt_us: u64 = 0;
    let is_log = t.fetch_positions().is_some();
    let is_user_source = s.with(|w| w.tasks.user_readers.contains_key(&key));
    // FLIP-147: with checkpoints after tasks finish and checkpointing on, a task whose input
    // ended waits for its final checkpoint (StreamTask.areCheckpointsWithFinishedTasksEnabled).
    let wait_final = profile.checkpoints_after_tasks_finish() && spec.checkpoint.periodic_enabled();
    t.set_wait_for_final_checkpoint(wait_final);
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
    let mut end_of_partition_sent = false;
    // Checkpoint gates (log sources): the next closed gate, and while waiting at it the last
    // snapshot taken before arriving there.
    let gates: Vec<(u64, bool)> = if is_log { spec.input_options.gates.clone() } else { Vec::new() };
    let mut gate_idx = 0;
    let mut gate_wait: Option<Option<CheckpointId>> = None;
    // Input steps taken since the loop last gave way to madsim's executor (see `STEPS_BEFORE_YIELD`).
    let mut steps_in_a_row: u32 = 0;
    let ctx = LoopCtx { tm, key, inputs: inputs.clone(), is_user_source, is_log, is_line, buffer_records, capacity };
    loop {
        let now = clock.now();
        // 1. Cancellation, 1b. the TaskManager failing this task on its own, 2. the mailbox and
        // the injected task failure, read in one step (nothing awaits between them).
        let start = s.with(|w| {
            if w.tasks.cancelled.contains(&key) {
                return Start::Cancelled(w.latencies.cancel_ms);
            }
            if w.tasks.rpc_timeouts.get(&key).is_some_and(|&at| at <= now) {
                w.tasks.rpc_timeouts.remove(&key);
                w.tasks.fail_requests.entry(key).or_insert_with(|| "state update to the JobManager timed out".into());
            }
            if let Some(cause) = w.tasks.fail_requests.remove(&key) {
                return Start::Fail(cause);
            }
            Start::Mails(w.tasks.mail.get_mut(&key).map(|q| q.drain(..).collect()).unwrap_or_default())
        });
        let mails = match start {
            Start::Cancelled(cancel_ms) => {
                if cancel_ms > 0 {
                    sleep(Duration::from_millis(cancel_ms)).await;
                }
                t.close();
                s.with(|w| {
                    drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs);
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
                return;
            }
            Start::Fail(cause) => {
                t.close();
                s.with(|w| {
                    drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs);
                    report(w, tm, task, attempt, ExecutionState::Failed, Some(cause));
                    cleanup_task(w, key);
                });
                return;
            }
            Start::Mails(mails) => mails,
        };
        // 2. Mailbox (control messages are handled even under backpressure); each mail and the
        // outputs it caused in one step, then the injected task failure.
        let mut snapshots = Vec::new();
        let mut mails = mails.into_iter();
        let mut failed = false;
        while let Some(m) = mails.next() {
            let (snaps, f) = s.with(|w| {
                match &m {
                    TaskMail::Trigger(b) => {
                        t.handle_trigger(now, *b);
                        // Only the attempt reading the socket has lines to cover (a scan of
                        // every read per trigger would be quadratic on long socket runs).
                        if w.data.socket_reader == Some(key) {
                            let reads = w.obs.socket_reads.len();
                            w.obs.socket_marks.push(SocketMark { task: key.0, attempt: key.1, id: b.id, reads });
                        }
                    }
                    TaskMail::NotifyComplete(id) => t.handle_notify_complete(now, *id),
                    TaskMail::NotifyAborted(id) => t.handle_notify_aborted(now, *id),
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
                    TaskMail::EndOfInput => t.handle_end_of_input(now, wait_final),
                }
                let (snaps, failed) = drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs);
                if let (TaskMail::NotifyComplete(id), false) = (&m, failed || t.has_failed()) {
                    w.saw_completion(task, *id);
                }
                if failed {
                    lose_unread_lines(w, mails.by_ref());
                    cleanup_task(w, key);
                }
                (snaps, failed)
            });
            snapshots.extend(snaps);
            if f {
                failed = true;
                break;
            }
        }
        if failed {
            return;
        }
        // Injected task failure.
        let injected = s.with(|w| {
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
            cleanup_task(w, key);
            true
        });
        if injected {
            return;
        }
        // 3. Handler timer.
        if t.poll_timeout().is_some_and(|d| d <= now) {
            t.handle_timeout(now);
            let (snaps, failed) = s.with(|w| drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs));
            snapshots.extend(snaps);
            if failed {
                return task_failed(&s, tm, key);
            }
        }
        // 3b. Kafka's periodic auto-commit (checkpointing off).
        if t.auto_commit_deadline().is_some_and(|d| d <= now) {
            if let Some(offsets) = t.handle_auto_commit(now) {
                s.with(|w| auto_commit(w, task, &offsets, now));
            }
        }
        // 3c. The source's periodic watermark emission (`pipeline.auto-watermark-interval`): a
        // processing-time timer of the task, like the handler timer above.
        if t.watermark_deadline().is_some_and(|d| d <= now) {
            let (snaps, failed) = s.with(|w| {
                let counters = w.tasks.counters.entry(tm).or_default();
                t.handle_watermark_timer(now, counters);
                drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs)
            });
            snapshots.extend(snaps);
            if failed {
                return task_failed(&s, tm, key);
            }
        }
        // 3a. Checkpoint gates: arrive, (request a checkpoint,) wait for one taken here to complete.
        while let Some(&(after, trigger)) = gates.get(gate_idx) {
            match gate_wait {
                None => {
                    if !s.with(|w| log_source_at_gate(w, &t, after)) {
                        break;
                    }
                    gate_wait = Some(t.last_snapshot_id());
                    s.with(|w| {
                        w.tr(&tm_node(tm), "gate", format!("{} waits for a checkpoint after input #{after}", t.name()));
                        if trigger && w.data.gates_triggered.insert((attempt, gate_idx)) {
                            w.send(CLIENT, JM, Msg::Action(ActionKind::TriggerCheckpoint));
                        }
                    });
                }
                Some(before) => {
                    let passed = t.last_completed_id().is_some_and(|c| before.is_none_or(|b| c > b));
                    if !passed {
                        break;
                    }
                    s.with(|w| {
                        w.tr(&tm_node(tm), "gate", format!("{} passes the gate after input #{after}", t.name()))
                    });
                    gate_idx += 1;
                    gate_wait = None;
                }
            }
        }
        // 3b. Bounded log input: every owned partition read up to its end (stopping offsets).
        if bounded && is_log && !t.input_has_ended() && !t.input_paused() && s.with(|w| log_source_at_end(w, &t)) {
            let text = format!("{} reached its stopping offsets", t.name());
            s.with(|w| w.tr_data(&tm_node(tm), "end-of-input", text, EventData::EndOfInput));
            t.handle_end_of_input(now, wait_final);
            if source_watermarks.is_some() {
                // MAX_WATERMARK goes out now, ahead of the end of partition (a task restored
                // past its end finishes at once: step 4b must not send EndOfPartition first).
                let (snaps, failed) = s.with(|w| drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs));
                snapshots.extend(snaps);
                if failed {
                    return task_failed(&s, tm, key);
                }
            }
        }
        // 4. Flush outputs; are we backpressured? 5. Input (in the same step unless the task
        // finished, which step 4b handles first).
        let limit = gates.get(gate_idx).map(|g| g.0);
        let first = s.with(|w| {
            let blocked_out = flush(w, &mut outbox, attempt, task, buffer_records, capacity, now);
            if t.is_finished() {
                Err(blocked_out)
            } else {
                Ok(input_step(w, &mut t, &mut outbox, &ctx, now, blocked_out, limit))
            }
        });
        let step = match first {
            Ok(step) => step,
            Err(blocked_out) => {
                // 4b. Finished (input ended and, with FLIP-147, the final checkpoint completed):
                // EndOfPartition downstream, then FINISHED once everything left the output buffers.
                if !end_of_partition_sent {
                    end_of_partition_sent = true;
                    outbox.push_event(StreamElement::EndOfPartition);
                    s.with(|w| flush(w, &mut outbox, attempt, task, buffer_records, capacity, now));
                }
                if outbox.bufs.iter().all(|b| b.is_empty()) {
                    t.close();
                    s.with(|w| {
                        drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs);
                        w.tr(&tm_node(tm), "finished", t.name().to_string());
                        report(w, tm, task, attempt, ExecutionState::Finished, None);
                        cleanup_task(w, key);
                    });
                    return;
                }
                s.with(|w| input_step(w, &mut t, &mut outbox, &ctx, now, blocked_out, limit))
            }
        };
        if step.failed {
            return;
        }
        let InputStep { processed, progressed, wake_at, mut slow, mut rpc_timeout, .. } = step;
        snapshots.extend(step.snapshots);
        // 6. Snapshots: synchronous part blocks the task; asynchronous upload runs beside it.
        let snapshotted = !snapshots.is_empty();
        for (id, snapshot) in snapshots {
            let (sync_ms, async_ms, up_extra) = s.with(|w| {
                let (ss, aa) = w.faults.slow_snapshots.get(&task).copied().unwrap_or((0, 0));
                (1 + ss, snapshot.size_bytes() / bw + aa, w.faults.storage_extra_ms)
            });
            sleep(Duration::from_millis(sync_ms)).await;
            s.with(|w| {
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
            (slow, rpc_timeout) =
                s.with(|w| (w.faults.slow_ops.get(&task).copied(), w.tasks.rpc_timeouts.get(&key).copied()));
        }
        // 7. Pay for the CPU time used.
        if processed > 0 {
            debt_us += processed * step.record_cost_us * ops_per_record;
            if let Some(rps) = slow {
                debt_us += processed * 1_000_000 / rps.max(1);
            }
            if debt_us >= 1000 {
                let ms = debt_us / 1000;
                debt_us %= 1000;
                steps_in_a_row = 0;
                sleep(Duration::from_millis(ms)).await;
            } else if steps_in_a_row < STEPS_BEFORE_YIELD {
                // Look at the inputs again at once, without a round trip through madsim's
                // executor (virtual time does not move in between either way).
                steps_in_a_row += 1;
            } else {
                steps_in_a_row = 0;
                madsim::task::yield_now().await;
            }
            continue;
        }
        if progressed {
            if steps_in_a_row < STEPS_BEFORE_YIELD {
                steps_in_a_row += 1;
            } else {
                steps_in_a_row = 0;
                madsim::task::yield_now().await;
            }
            continue;
        }
        // 8. Idle: wait for input, credit, mail, cancel or a timer.
        if profile_variant_spins(&spec) {
            // Planted livelock (variant idle-spin): the idle task believes it has work and looks
            // again at once, as after an input step, so time never advances. Only the yield
            // bound lets the other loops run, the supervisor among them, which stops the run at
            // its event budget (`sim/tests/event_budget.rs`: without the bound the run hangs).
            if steps_in_a_row < STEPS_BEFORE_YIELD {
                steps_in_a_row += 1;
            } else {
                steps_in_a_row = 0;
                madsim::task::yield_now().await;
            }
            continue;
        }
        steps_in_a_row = 0;
        let deadline = [
            wake_at,
            t.poll_timeout(),
            outbox.timeout_flush_at(buffer_timeout_ms),
            rpc_timeout,
            t.auto_commit_deadline(),
            t.watermark_deadline(),
        ]
        .into_iter()
        .flatten()
        .min();
        wait(&s, Sleeper::Task(task, attempt), deadline.map(|d| d.max(now + 1))).await;
    }
}

/// What a task loop's input step did (`input_step`).
struct InputStep {
    processed: u64,
    /// An event was taken: look at the inputs again at once.
    progressed: bool,
    /// When the next input is due (nothing is due now).
    wake_at: Option<u64>,
    snapshots: Vec<(CheckpointId, TaskSnapshot)>,
    /// The task failed while processing (already cleaned up).
    failed: bool,
    record_cost_us: u64,
    /// A slow-operator fault on the task (records per second), read in the same step.
    slow: Option<u64>,
    /// The task's pending RPC timeout, read in the same step.
    rpc_timeout: Option<u64>,
}

/// What a task loop keeps for its whole attempt and its input step reads.
struct LoopCtx {
    tm: u32,
    key: (TaskId, Attempt),
    inputs: Vec<TaskId>,
    is_user_source: bool,
    is_log: bool,
    is_line: bool,
    buffer_records: usize,
    capacity: usize,
}

/// Step 5 of the task loop: unless backpressured or paused, take input (a fetch from the
/// broker or a user source, or the next due item of an input channel), drain the outputs it
/// caused and flush them; then read what steps 7 and 8 need. One world step.
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
    if !blocked_out && !t.input_paused() {
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
            match take_input(w, t, c.tm, c.key, &c.inputs, now) {
                Take::Records(n) => step.processed = n,
                // An event is progress too: look at the inputs again at once (a barrier
                // that is queued but not yet due must set the next wake-up).
                Take::Event => step.progressed = true,
                Take::WaitUntil(at) => step.wake_at = at,
            }
        }
        let (snaps, failed) = drain_outputs(w, t, outbox, c.key, c.tm, now, &c.inputs);
        if failed {
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
    let Some(sink) = spec.operators.last().filter(|o| o.kind == crate::spec::OpKind::TwoPhaseCommitSink) else {
        return;
    };
    let Some(timeout_ms) = sink.sink_store.transaction_timeout_ms else { return };
    let policy = ckptsim::sink::TxnTimeoutPolicy {
        timeout_ms,
        ignore_failures_after_timeout: sink.ignore_failures_after_transaction_timeout,
        warning_ratio_permille: None,
    };
    let started: BTreeMap<ckptsim::state::TxnId, u64> = Task::restored_transactions(own)
        .into_iter()
        .filter_map(|txn| w.services.txn_store.begun_ms(txn).map(|ms| (txn, ms)))
        .collect();
    t.configure_transaction_timeout(now, policy, &started);
}

/// Variant `idle-spin`: an idle task polls again instead of sleeping (a planted livelock).
fn profile_variant_spins(spec: &JobSpec) -> bool {
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

pub(super) fn task_failed(s: &Shared, _tm: u32, key: (TaskId, Attempt)) {
    s.with(|w| cleanup_task(w, key));
}

/// Drains the task's outputs into the world. Returns completed snapshots and whether the task failed.
pub(super) fn drain_outputs(
    w: &mut World,
    t: &mut Task,
    outbox: &mut Outbox,
    key: (TaskId, Attempt),
    tm: u32,
    now: u64,
    inputs: &[TaskId],
) -> (Vec<(CheckpointId, TaskSnapshot)>, bool) {
    let (task, attempt) = key;
    let mut snaps = Vec::new();
    for r in t.take_records_after_stop() {
        // A protocol bug (semantics §12.6): the `stop` checker names it.
        let data = EventData::RecordAfterStop { task, attempt, savepoint: r.savepoint, input_seq: r.lineage.input_seq };
        w.tr_typed(&tm_node(tm), "after-stop", data);
    }
    w.obs.cuts.note_snapshot(&w.data.channels, t, key, inputs, now);
    while let Some(out) = t.poll_output() {
        match out {
            TaskOutput::Emit { channel, record } => outbox.push_record(channel as usize, record, now),
            TaskOutput::EmitBarrier { barrier, priority } => {
                note_barrier(w, outbox, key, &barrier, priority);
                if priority {
                    for (i, &to) in outbox.targets.iter().enumerate() {
                        push_priority_barrier(w, key, to, barrier, outbox.pending_records(i), now);
                    }
                } else {
                    outbox.push_event(StreamElement::Barrier(barrier));
                }
            }
            TaskOutput::EmitCancelMarker { id } => outbox.push_event(StreamElement::CancelMarker(id)),
            TaskOutput::Snapshot { id, snapshot, alignment_ms, unaligned } => {
                if let Err(cause) = flush_before_snapshot(w, key, now) {
                    w.tr_exception(tm, task, &cause);
                    report(w, tm, task, attempt, ExecutionState::Failed, Some(cause));
                    return (snaps, true);
                }
                let detail = Detail::new()
                    .s(&w.task_name(task))
                    .s(" id=")
                    .n(id.0)
                    .s(" ")
                    .n(snapshot.size_bytes())
                    .s("B align=")
                    .n(alignment_ms)
                    .s(if unaligned { "ms unaligned" } else { "ms" });
                w.tr_data(&tm_node(tm), "snapshot", detail.0, EventData::Snapshot { task });
                w.obs.cuts.note_complete(key, id, inputs, &snapshot.in_flight);
                let row = w.checkpoint_row(id);
                row.alignment_ms = row.alignment_ms.max(alignment_ms);
                row.unaligned |= unaligned;
                w.obs.push_span(
                    w.trace.is_full(),
                    SnapshotSpan {
                        task,
                        attempt,
                        checkpoint: id,
                        align_start_ms: now.saturating_sub(alignment_ms),
                        sync_start_ms: now,
                        sync_end_ms: None,
                        upload_end_ms: None,
                        size_bytes: snapshot.size_bytes(),
                        unaligned,
                        result: SnapshotResult::Unfinished,
                    },
                );
                snaps.push((id, snapshot));
            }
            TaskOutput::Decline { id, reason } => {
                w.tr_typed(&tm_node(tm), "decline", EventData::Decline { task, id, reason });
                w.send(tm_addr(tm), JM, Msg::Decline { task, attempt, id, reason });
            }
            TaskOutput::PrioritizeBarriers { id } => {
                for (i, &from) in inputs.iter().enumerate() {
                    let Some(ch) = w.data.channels.get_mut(&(attempt.0, from, task)) else { continue };
                    let pos = ch
                        .queue
                        .iter()
                        .position(|(_, _, it)| matches!(it, Item::Event(StreamElement::Barrier(b), _) if b.id == id));
                    if let Some(pos) = pos {
                        let ahead: u32 = ch
                            .queue
                            .iter()
                            .take(pos)
                            .map(|(_, _, it)| if let Item::Records(r) = it { r.len() as u32 } else { 0 })
                            .sum();
                        let (_, _, item) = ch.queue.remove(pos).expect("barrier position");
                        if let Item::Event(el, carried) = item {
                            // The records ahead of the barrier, plus those it already overtook
                            // if the upstream sent it unaligned (they are behind it in the
                            // queue or still in the upstream's output buffers). Dropping the
                            // carried count lost them: they were processed after the snapshot
                            // and persisted nowhere (regression aligned-timeout-carried-overtaken).
                            let overtaken = ahead + carried;
                            let counters = w.tasks.counters.entry(tm).or_default();
                            t.handle_input(now, ChannelId(i as u32), el, overtaken, counters);
                            // A checkpoint that timed out before its first barrier (announced,
                            // §3.4) triggers on this barrier: its snapshot cut is taken now,
                            // before any further record is taken (the drain's own note came first).
                            w.obs.cuts.note_snapshot(&w.data.channels, t, key, inputs, now);
                        }
                    }
                }
            }
            TaskOutput::ConvertBarrier { id } => convert_barrier(w, outbox, key, tm, id, now),
            TaskOutput::PrintRow { record } => {
                if let Err(cause) = print_row(w, key, now, record) {
                    w.tr_exception(tm, task, &cause);
                    report(w, tm, task, attempt, ExecutionState::Failed, Some(cause));
                    return (snaps, true);
                }
            }
            TaskOutput::Sink(op) => {
                if !w.faults.sink_store_up {
                    w.tr_typed(&tm_node(tm), "sink", EventData::SinkUnreachable { task });
                    report(w, tm, task, attempt, ExecutionState::Failed, Some("sink store unreachable".into()));
                    return (snaps, true);
                }
                let epoch = *w.services.sink_epochs.entry(task).or_insert(attempt);
                if attempt < epoch {
                    let text = format!("{task}{attempt}: producer fenced by {epoch}");
                    w.tr_data(&format!("tm{tm}"), "fenced", text, EventData::Fenced);
                    report(
                        w,
                        tm,
                        task,
                        attempt,
                        ExecutionState::Failed,
                        Some("producer fenced by a newer attempt".into()),
                    );
                    return (snaps, true);
                }
                w.services.sink_epochs.insert(task, attempt);
                if let Some(h) = &mut w.services.user_sink {
                    let commit = if let SinkOutput::Commit { txn } = &op { Some(*txn) } else { None };
                    if let Err(cause) = h.apply(key, now, op) {
                        w.tr_exception(tm, task, &cause);
                        report(w, tm, task, attempt, ExecutionState::Failed, Some(cause));
                        return (snaps, true);
                    }
                    if let Some(txn) = commit {
                        w.tr_data(
                            &tm_node(tm),
                            "commit",
                            Detail::new().task(task).s(" txn=").txn(txn).0,
                            EventData::Commit { txn },
                        );
                    }
                    continue;
                }
                let commit = if let SinkOutput::Commit { txn } = &op { Some(*txn) } else { None };
                let applied = w.services.txn_store.apply(now, op);
                if commit.is_some() {
                    OutputRow::take_committed(&mut w.services.txn_store, &mut w.obs.committed);
                }
                if let Err(e) = applied {
                    let refused = matches!(e, ckptsim::sink::StoreAnomaly::TransactionTimedOut { .. });
                    w.obs.sink_anomalies.push(format!("t={now} {task}: {e:?}"));
                    if let (Some(txn), true) = (commit, refused) {
                        // The store refused the commit: the sink rethrows (the task fails, via
                        // the Failed output drained next) or, in recovery after the timeout
                        // with failures ignored, logs it and goes on.
                        for ev in t.handle_commit_failed(now, txn) {
                            w.tr_task(&tm_node(tm), "sink", task, format!("{task} {ev:?}"));
                        }
                        if !t.has_failed() {
                            continue;
                        }
                    }
                }
                if let Some(txn) = commit {
                    w.tr_data(
                        &tm_node(tm),
                        "commit",
                        Detail::new().task(task).s(" txn=").txn(txn).0,
                        EventData::Commit { txn },
                    );
                }
            }
            TaskOutput::CommitOffsets { offsets } => {
                let accepted = w.faults.broker_up;
                // Which checkpoint's notification is this? The latest completed one (None for
                // a commit that happens outside a completion).
                let checkpoint = w.obs.checkpoints.values().rev().find(|r| r.outcome == "COMPLETED").map(|r| r.id);
                for (p, o) in &offsets {
                    w.obs.offset_commits.push(OffsetCommit {
                        time_ms: now,
                        task,
                        partition: *p,
                        offset: *o,
                        accepted,
                        checkpoint,
                        periodic: false,
                    });
                    if accepted {
                        w.services.committed_offsets.insert(*p, *o);
                    }
                }
                let detail = Detail::new().task(task).s(" ").offsets(&offsets).s(" ");
                w.tr("broker", "commit", detail.s(if accepted { "ok" } else { "FAILED (broker down)" }).0);
            }
            TaskOutput::Failed { cause } => {
                let name = w.task_name(task);
                w.tr_data(&tm_node(tm), "exception", format!("{name}: {cause}"), EventData::Exception { task });
                report(w, tm, task, attempt, ExecutionState::Failed, Some(cause));
                return (snaps, true);
            }
            // Event time (semantics §11): watermarks and status changes are stream elements
            // broadcast behind the records they follow; late records go to the side output.
            TaskOutput::EmitWatermark { watermark } => outbox.push_event(StreamElement::Watermark(watermark)),
            TaskOutput::EmitWatermarkStatus { status } => outbox.push_event(StreamElement::WatermarkStatus(status)),
            TaskOutput::LateRecord { record, .. } => w.obs.late_records.push(OutputRow::of(now, task, attempt, record)),
        }
    }
    // The recovery commits of a restored task reached the sink store: it acted on the
    // completion of the checkpoint it was restored from.
    if let Some(id) = w.tasks.restored_from.remove(&key) {
        w.saw_completion(task, id);
    }
    (snaps, false)
}

/// Puts an unaligned barrier at the head of the channel from `key`'s task to `to`, due in 1 ms:
/// it overtakes the records queued in the channel and `ahead` more still in the sender's
/// buffers, which the downstream persists as channel state. Returns how many it overtook.
fn push_priority_barrier(
    w: &mut World,
    key: (TaskId, Attempt),
    to: TaskId,
    barrier: Barrier,
    ahead: u32,
    now: u64,
) -> u32 {
    let (task, attempt) = key;
    w.data.item_seq += 1;
    let seq = w.data.item_seq;
    let ch = w.data.channels.entry((attempt.0, task, to)).or_default();
    let overtaken = ch.queued_records() + ahead;
    ch.queue.push_front((now + 1, seq, Item::Event(StreamElement::Barrier(barrier), overtaken)));
    w.wake_at(Sleeper::Task(to, attempt), now + 1);
    overtaken
}
/// §3.4, output side (flink-2.3 with barrier announcements): the alignment timer of `id` fired.
/// Where `id`'s aligned barrier still waits in the output buffers (backpressure kept it from
/// the channel), it leaves them as an unaligned barrier at the head of the channel, overtaking
/// the records queued in the channel and those ahead of it in the buffers; the downstream
/// persists exactly those as channel state of `id` (Flink saves them as output channel state,
/// `PipelinedSubpartition.alignedBarrierTimeout`: the cut is the same). Records behind it stay.
fn convert_barrier(w: &mut World, outbox: &mut Outbox, key: (TaskId, Attempt), tm: u32, id: CheckpointId, now: u64) {
    let (task, attempt) = key;
    for (i, &to) in outbox.targets.iter().enumerate() {
        let buf = &mut outbox.bufs[i];
        let is_it = |it: &OutItem| matches!(it, OutItem::Event(StreamElement::Barrier(b)) if b.id == id);
        let Some(pos) = buf.iter().position(is_it) else { continue };
        let ahead: u32 =
            buf.iter().take(pos).map(|it| if let OutItem::Records(c, _) = it { c.len() as u32 } else { 0 }).sum();
        let Some(OutItem::Event(StreamElement::Barrier(b))) = buf.remove(pos) else { unreachable!("barrier position") };
        let barrier = Barrier { alignment: ckptsim::record::Alignment::Unaligned, ..b };
        let overtaken = push_priority_barrier(w, key, to, barrier, ahead, now);
        w.obs.cuts.mark_unaligned(task, attempt, id, to);
        let detail = format!("{} id={id} to {to} unaligned overtaking {overtaken}", w.task_name(task));
        w.tr_task(&tm_node(tm), "convert", task, detail);
    }
}

/// §3.4 (flink-2.3 with barrier announcements): the aligned-with-timeout barriers that reached
/// an unblocked input channel since the last look are announced to the task, even behind
/// records it has not taken (Flink's `RemoteInputChannel` makes the announcement on arrival).
/// Returns whether any was announced.
fn announce_barriers(w: &mut World, t: &mut Task, key: (TaskId, Attempt), inputs: &[TaskId], now: u64) -> bool {
    let (task, attempt) = key;
    let mut any = false;
    for (i, &from) in inputs.iter().enumerate() {
        let ch_id = ChannelId(i as u32);
        if t.is_blocked(ch_id) {
            continue;
        }
        let Some(ch) = w.data.channels.get_mut(&(attempt.0, from, task)) else { continue };
        let mut due: Vec<Barrier> = Vec::new();
        for (at, _, item) in &ch.queue {
            if let (true, Item::Event(StreamElement::Barrier(b), _)) = (*at <= now, item) {
                if matches!(b.alignment, ckptsim::record::Alignment::AlignedWithTimeout { .. }) && b.id > ch.announced {
                    due.push(*b);
                }
            }
        }
        for b in due {
            ch.announced = ch.announced.max(b.id);
            t.handle_announcement(now, ch_id, b);
            any = true;
        }
    }
    any
}

/// A barrier cut (`cuts.rs`): the records written to each output channel before `barrier`
/// (in the channel, or still in the output buffers, which an unaligned barrier overtakes).
fn note_barrier(w: &mut World, outbox: &Outbox, key: (TaskId, Attempt), barrier: &Barrier, priority: bool) {
    let (task, attempt) = key;
    for (i, &to) in outbox.targets.iter().enumerate() {
        let pushed = w.data.channels.get(&(attempt.0, task, to)).map_or(0, |c| c.pushed_records);
        w.obs.cuts.note_barrier(BarrierCut {
            task,
            attempt,
            checkpoint: barrier.id,
            to,
            sent: pushed + u64::from(outbox.pending_records(i)),
            at_least_once: barrier.alignment == ckptsim::record::Alignment::AtLeastOnce,
            unaligned: priority,
        });
    }
}

/// Moves buffered outputs into the channels as far as credit allows (partial buffers too).
/// Returns whether the task is backpressured (a full record buffer could not be sent). `now`:
/// the caller's time, read in the same poll (virtual time does not move within a poll).
pub(super) fn flush(
    w: &mut World,
    outbox: &mut Outbox,
    attempt: Attempt,
    task: TaskId,
    buffer_records: usize,
    capacity: usize,
    now: u64,
) -> bool {
    let latency = w.spec.cluster.data_latency_ms + w.faults.slow_links.get(&task).copied().unwrap_or(0);
    let buffer_timeout_ms = w.spec.cluster.buffer_timeout_ms;
    let mut blocked = false;
    for (i, &to) in outbox.targets.iter().enumerate() {
        let buf = &mut outbox.bufs[i];
        // The first buffer sent now arrives first (FIFO): the receiver wakes then.
        let mut first_at: Option<u64> = None;
        loop {
            match buf.front() {
                None => break,
                Some(OutItem::Records(chunk, since)) => {
                    let n = chunk.len();
                    // A partly filled buffer with nothing behind it waits for more records
                    // until the buffer timeout (Flink's output flusher); an event behind it, a
                    // full buffer or a timeout of 0 sends it.
                    if n < buffer_records && buf.len() == 1 && now < since + buffer_timeout_ms {
                        break;
                    }
                    let ch = w.data.channels.entry((attempt.0, task, to)).or_default();
                    if ch.record_buffers >= capacity {
                        // A full buffer, or more behind this one, waits for credit.
                        if n >= buffer_records || buf.len() > 1 {
                            blocked = true;
                        }
                        break;
                    }
                    let Some(OutItem::Records(recs, _)) = buf.pop_front() else { unreachable!("front is a chunk") };
                    w.data.item_seq += 1;
                    let seq = w.data.item_seq;
                    let at = (now + latency).max(ch.last_deliver_ms);
                    ch.last_deliver_ms = at;
                    ch.record_buffers += 1;
                    ch.pushed_records += recs.len() as u64;
                    ch.queue.push_back((at, seq, Item::Records(recs)));
                    first_at = first_at.or(Some(at));
                }
                Some(OutItem::Event(_)) => {
                    let Some(OutItem::Event(el)) = buf.pop_front() else { unreachable!("front is an event") };
                    w.data.item_seq += 1;
                    let seq = w.data.item_seq;
                    let ch = w.data.channels.entry((attempt.0, task, to)).or_default();
                    let at = (now + latency).max(ch.last_deliver_ms);
                    ch.last_deliver_ms = at;
                    ch.queue.push_back((at, seq, Item::Event(el, 0)));
                    first_at = first_at.or(Some(at));
                }
            }
        }
        if let Some(at) = first_at {
            w.wake_at(Sleeper::Task(to, attempt), at);
        }
    }
    blocked
}

pub(super) enum Take {
    Records(u64),
    Event,
    WaitUntil(Option<u64>),
}

/// Takes the next due item from an unblocked input channel, in arrival order.
pub(super) fn take_input(
    w: &mut World,
    t: &mut Task,
    tm: u32,
    key: (TaskId, Attempt),
    inputs: &[TaskId],
    now: u64,
) -> Take {
    let (task, attempt) = key;
    if w.spec.checkpoint.announces_barriers(w.spec.profile) && announce_barriers(w, t, key, inputs, now) {
        // Let the host act on what the announcements caused (a prioritization) first.
        return Take::Event;
    }
    let mut best: Option<(u64, u64, usize)> = None;
    let mut next_due: Option<u64> = None;
    for (i, &from) in inputs.iter().enumerate() {
        if t.is_blocked(ChannelId(i as u32)) {
            continue;
        }
        if let Some(ch) = w.data.channels.get(&(attempt.0, from, task)) {
            if let Some(&(at, seq, _)) = ch.queue.front() {
                if at <= now {
                    if best.is_none_or(|(a, s, _)| (at, seq) < (a, s)) {
                        best = Some((at, seq, i));
                    }
                } else {
                    next_due = Some(next_due.map_or(at, |d: u64| d.min(at)));
                }
            }
        }
    }
    let Some((_, _, i)) = best else { return Take::WaitUntil(next_due) };
    let from = inputs[i];
    let ch = w.data.channels.get_mut(&(attempt.0, from, task)).expect("channel exists");
    let (_, _, item) = ch.queue.pop_front().expect("front exists");
    if let Item::Records(recs) = &item {
        ch.record_buffers -= 1;
        ch.taken_records += recs.len() as u64;
    }
    match item {
        Item::Records(recs) => {
            let n = recs.len() as u64;
            let counters = w.tasks.counters.entry(tm).or_default();
            for r in recs {
                t.handle_input(now, ChannelId(i as u32), StreamElement::Record(r), 0, counters);
                if t.has_failed() {
                    break;
                }
            }
            w.notify_task((from, attempt));
            Take::Records(n)
        }
        Item::Event(el, overtaken) => {
            let barrier_anchors = w.faults.anchored.iter().any(|(at, _)| matches!(at, FaultAt::BarrierAt { .. }));
            let place = w.graph.task_vertex.get(task.0 as usize).copied();
            if let (StreamElement::Barrier(b), true, Some((vi, sub))) = (&el, barrier_anchors, place) {
                let ops: Vec<String> =
                    w.graph.vertices[vi].ops.iter().map(|&o| format!("{}[{sub}]", w.spec.operators[o].name)).collect();
                for o in ops {
                    w.fire_anchor(&FaultAt::BarrierAt { checkpoint: b.id.0, task: o });
                }
            }
            let counters = w.tasks.counters.entry(tm).or_default();
            t.handle_input(now, ChannelId(i as u32), el, overtaken, counters);
            Take::Event
        }
    }
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
