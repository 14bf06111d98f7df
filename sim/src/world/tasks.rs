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
    let mut end_of_partition_sent = false;
    // 2.x: the task tells the JobManager once it reached the end of its data (see step 3c).
    let notify_end_of_data = wait_final && profile.triggers_checkpoint_at_end_of_data();
    let mut end_of_data_sent = false;
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
                s.with(|w| auto_commit(w, tm, task, &offsets, now));
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
                            w.send(CLIENT, JM, Msg::Action(ActionSpec::TriggerCheckpoint));
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
        // 3c. End of data (2.x): the input ended and the operators finished; before waiting for
        // its final checkpoint the task calls `notifyEndOfData` on the JobMaster, which triggers
        // a checkpoint once every task did (`SchedulerBase.notifyEndOfData`). Only sent where the
        // JobMaster acts on it (checkpointing on, checkpoints after tasks finish), and not by a
        // task that stopped at a stop-with-savepoint's savepoint (that savepoint is its final
        // checkpoint; its end follows the savepoint's notification, `task_stop.rs`).
        // EndOfData goes downstream behind everything the end of input emitted, so downstream
        // tasks end their data (and report it) while this one still waits.
        if notify_end_of_data && !end_of_data_sent && t.input_has_ended() && !t.has_failed() && t.stopped_at().is_none()
        {
            end_of_data_sent = true;
            let (snaps, failed) = s.with(|w| drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs));
            snapshots.extend(snaps);
            if failed {
                return task_failed(&s, tm, key);
            }
            outbox.push_event(StreamElement::EndOfData);
            s.with(|w| w.send(tm_addr(tm), JM, Msg::EndOfData { task, attempt }));
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
