//! Draining a task's outputs into the world: records and barriers into its `Outbox`, snapshots, acknowledgements and declines to the JobManager, the sink's store operations, and converting a barrier still in the `Outbox` to unaligned (flink-2.3 barrier announcements).

use super::*;
use ckptsim::record::barrier_into;
use ckptsim::state::TxnId;

/// Drains the task's outputs into the world. Returns completed snapshots and whether the task failed.
pub(super) fn drain_outputs(
    w: &mut World,
    t: &mut Task,
    outbox: &mut Outbox,
    key: (TaskId, Attempt),
    tm: u32,
    now: u64,
    inputs: &[Link],
) -> (Vec<Taken>, bool) {
    let (task, attempt) = key;
    let at = DrainAt { key, tm, now, inputs };
    let mut snaps = Vec::new();
    for r in t.take_records_after_stop() {
        // A protocol bug (semantics §12.6): the `stop` checker names it.
        let data = EventData::RecordAfterStop { task, attempt, savepoint: r.savepoint, input_seq: r.lineage.input_seq };
        w.tr_typed(&tm_node(tm), "after-stop", data);
    }
    note_cut(w, t, outbox, key, inputs, now);
    while let Some(out) = t.poll_output() {
        match out {
            TaskOutput::Emit { channel, record } => outbox.push_record(channel as usize, record, now),
            TaskOutput::EmitBarrier { barrier, priority } => emit_barrier(w, outbox, key, barrier, priority, now),
            TaskOutput::EmitCancelMarker { id } => outbox.push_event(StreamElement::CancelMarker(id)),
            TaskOutput::Snapshot { id, snapshot, alignment_ms, unaligned } => {
                let Some(taken) = snapshot_taken(w, t, at, id, snapshot, (alignment_ms, unaligned)) else {
                    return (snaps, true);
                };
                snaps.push(taken);
            }
            TaskOutput::Decline { id, reason } => {
                w.tr_typed(&tm_node(tm), "decline", EventData::Decline { task, id, reason });
                w.send(tm_addr(tm), JM, Msg::Decline { task, attempt, id, reason });
            }
            TaskOutput::PrioritizeBarriers { id } => prioritize_barriers(w, t, at, id),
            TaskOutput::ConvertBarrier { id } => convert_barrier(w, outbox, key, tm, id, now),
            TaskOutput::PrintRow { record, sink } => {
                if let Err(cause) = print_row(w, key, now, record, sink) {
                    fail(w, at, cause);
                    return (snaps, true);
                }
            }
            TaskOutput::Sink(op) => {
                if sink_op(w, t, at, op).is_err() {
                    return (snaps, true);
                }
            }
            TaskOutput::CommitOffsets { offsets } => commit_offsets(w, at, &offsets),
            TaskOutput::Failed { cause } => {
                fail(w, at, cause);
                return (snaps, true);
            }
            // Event time (semantics §11): watermarks and status changes are stream elements
            // broadcast behind the records they follow; late records go to the side output.
            TaskOutput::EmitWatermark { watermark } => {
                note_source_emission(w, at, ckptsim::watermark::WatermarkEvent::Watermark(watermark));
                outbox.push_event(StreamElement::Watermark(watermark))
            }
            TaskOutput::EmitWatermarkStatus { status } => {
                note_source_emission(w, at, ckptsim::watermark::WatermarkEvent::Status(status));
                outbox.push_event(StreamElement::WatermarkStatus(status))
            }
            TaskOutput::EmitEndOfData => outbox.push_event(StreamElement::EndOfData),
            out @ (TaskOutput::LateRecord { .. }
            | TaskOutput::WindowAssigned { .. }
            | TaskOutput::JoinJudged { .. }
            | TaskOutput::ProcessingTimersQuiesced { .. }) => observe_output(w, key, now, out),
        }
    }
    // The recovery commits of a restored task reached the sink store: it acted on the
    // completion of the checkpoint it was restored from.
    if let Some(id) = (!w.tasks.restored_from.is_empty()).then(|| w.tasks.restored_from.remove(&key)).flatten() {
        w.saw_completion(task, id);
    }
    (snaps, false)
}

/// The outputs that are only the run's own record for the checkers (late records, window
/// assignments, join judgements, quiesced processing-time windows).
fn observe_output(w: &mut World, (task, attempt): (TaskId, Attempt), now: u64, out: TaskOutput) {
    match out {
        TaskOutput::LateRecord { record, tag, operator } => {
            // `sink` names the side output: 0 a window's, 1 + side an interval join's. Session
            // 40: kept per sending operator (a window by its instance, a join's at the head).
            let (sink, instance) = match tag {
                ckptsim::task::LateTag::Window => (0, Some(operator.as_str())),
                ckptsim::task::LateTag::Join(side) => (1 + side, None),
            };
            let op = w.graph.late_operator(&w.spec, task, instance);
            w.obs.late_records.push(op, OutputRow { sink, ..OutputRow::of(now, task, attempt, record) })
        }
        TaskOutput::WindowAssigned { operator, record, windows } => {
            w.obs.window_assignments.push(AssignmentRow::of(now, task, attempt, &operator, record, windows))
        }
        TaskOutput::JoinJudged { record, event, .. } => w.obs.join_judgments.push(JoinRow {
            time_ms: now,
            task,
            attempt,
            value: record.value,
            lineage: record.lineage,
            timestamp: record.timestamp,
            event,
        }),
        TaskOutput::ProcessingTimersQuiesced { operator, pending } => {
            let operator = super::observe::operator_of_instance(&operator);
            w.obs.quiesced_windows.push(QuiescedRow { time_ms: now, task, attempt, operator, pending })
        }
        _ => unreachable!("drain_outputs hands only observation outputs here"),
    }
}

/// A task forwards a barrier: per output channel in-band or as a priority event (semantics §14,
/// forced alignment: into a task whose inputs always align the barrier goes in-band, forced
/// aligned, as `RecordWriterOutput#broadcastEvent`).
fn emit_barrier(
    w: &mut World,
    outbox: &mut Outbox,
    key: (TaskId, Attempt),
    barrier: Barrier,
    priority: bool,
    now: u64,
) {
    let variant = w.spec.variant;
    let per: Vec<(Barrier, bool)> = (outbox.targets.iter())
        .map(|to| barrier_into(barrier, priority, w.graph.always_aligns(to.task), variant))
        .collect();
    note_barrier(w, outbox, key, &barrier, &per);
    for (i, &(b, prio)) in per.iter().enumerate() {
        if prio {
            let to = outbox.targets[i];
            let ahead = outbox.records_ahead(i, outbox.bufs[i].len());
            push_priority_barrier(w, key, to, b, ahead, now);
        } else {
            outbox.push_event_to(i, StreamElement::Barrier(b));
        }
    }
}

/// A task took a snapshot: the sink's buffered writes are flushed first (a failure fails the
/// task: None), then the snapshot, a stop's savepoint and a finished-on-restore acknowledgement
/// are recorded. `alignment`: the alignment time in ms and whether the snapshot is unaligned.
fn snapshot_taken(
    w: &mut World,
    t: &mut Task,
    at: DrainAt<'_>,
    id: CheckpointId,
    snapshot: TaskSnapshot,
    alignment: (u64, bool),
) -> Option<Taken> {
    let (alignment_ms, unaligned) = alignment;
    let (key, now) = (at.key, at.now);
    let (task, attempt) = key;
    // Which late elements this snapshot's cut holds (`check/side_output.rs`).
    for (checkpoint, late_before) in t.take_late_cuts() {
        let op = w.graph.late_operator(&w.spec, task, None);
        w.obs.late_snapshots.push(op, LateSnapshot { task, attempt, checkpoint, late_before });
    }
    for (checkpoint, late_before) in t.take_assignment_cuts() {
        w.obs.assignment_snapshots.push(LateSnapshot { task, attempt, checkpoint, late_before });
    }
    if let Err(cause) = flush_before_snapshot(w, key, now) {
        fail(w, at, cause);
        return None;
    }
    let size_bytes = note_snapshot(w, at, id, &snapshot, alignment_ms, unaligned);
    if let Some((savepoint, mode)) = t.stopped_at().filter(|&(sp, _)| sp == id) {
        let (drained, input_ended) = (t.drained_for_stop(), t.input_has_ended());
        let s = StopSnapshot { at_ms: now, task, attempt, savepoint, mode, drained, input_ended };
        w.obs.stop_snapshots.push(s);
    }
    if t.restored_entry_finished() {
        w.obs.finished_restores.push(FinishedRestoreSnapshot {
            at_ms: now,
            task,
            attempt,
            id,
            finished: snapshot.finished,
            ran_end_input: t.ran_end_input(),
            records_in: t.records_in(),
            from_finished_task: t.restored_from_finished_task(),
            vertex_finished: t.restored_vertex_finished(),
            sink_ops: t.sink_ops(),
        });
    }
    Some(Taken { id, snapshot, size_bytes })
}

/// A snapshot a task took (handed to its loop for the synchronous part and the upload), with its
/// size, walked once for the trace line and reused for the upload's duration.
pub(super) struct Taken {
    pub(super) id: CheckpointId,
    pub(super) snapshot: TaskSnapshot,
    pub(super) size_bytes: u64,
}

/// The channel cuts of the task's newest snapshot (`cuts.rs`), asked only when that snapshot
/// changed since the last drain (the cuts record a snapshot once; a later call does nothing).
fn note_cut(w: &mut World, t: &Task, outbox: &mut Outbox, key: (TaskId, Attempt), inputs: &[Link], now: u64) {
    if t.last_snapshot_id() != outbox.cut_noted {
        w.obs.cuts.note_snapshot(&w.data.channels, t, key, inputs, now);
        outbox.cut_noted = t.last_snapshot_id();
    }
}

/// Where a drain happens: the task attempt, its TaskManager, the time and its input channels.
#[derive(Clone, Copy)]
struct DrainAt<'a> {
    key: (TaskId, Attempt),
    tm: u32,
    now: u64,
    inputs: &'a [Link],
}

/// A source's watermark or status change, recorded for the `windows` checker when the job's
/// source marks idle splits (`RunResult::source_event_time`).
fn note_source_emission(w: &mut World, at: DrainAt, event: ckptsim::watermark::WatermarkEvent) {
    if w.obs.record_source_event_time && at.inputs.is_empty() {
        let (task, attempt) = at.key;
        w.obs.source_event_time.push(SourceEventTime {
            at_ms: at.now,
            task,
            attempt,
            step: SourceStep::Emitted(event),
        });
    }
}

/// The task threw `cause`: its exception traced, FAILED reported.
fn fail(w: &mut World, at: DrainAt, cause: String) {
    let (task, attempt) = at.key;
    w.tr_exception(at.tm, task, &cause);
    report(w, at.tm, task, attempt, ExecutionState::Failed, Some(cause));
}

/// A snapshot taken (its synchronous part): traced, its channel cut completed, the checkpoint
/// row's alignment, and its span.
fn note_snapshot(
    w: &mut World,
    at: DrainAt,
    id: CheckpointId,
    snapshot: &TaskSnapshot,
    alignment_ms: u64,
    unaligned: bool,
) -> u64 {
    let ((task, attempt), now) = (at.key, at.now);
    // Walked once: the trace line and the span both show it.
    let size_bytes = snapshot.size_bytes();
    let detail = w.detail();
    let detail = detail
        .s(&w.task_name(task))
        .s(" id=")
        .n(id.0)
        .s(" ")
        .n(size_bytes)
        .s("B align=")
        .n(alignment_ms)
        .s(if unaligned { "ms unaligned" } else { "ms" });
    w.tr_data(&tm_node(at.tm), "snapshot", detail.0, EventData::Snapshot { task });
    w.obs.cuts.note_complete(at.key, id, at.inputs, (&snapshot.in_flight, unaligned));
    let stored: usize = snapshot.in_flight.values().map(Vec::len).sum();
    if stored > 0 && w.graph.always_aligns(task) {
        let name = w.task_name(task).into_owned();
        w.obs.cuts.forced_aligned_state.push((name, id, stored as u64));
    }
    let row = w.checkpoint_row(id);
    row.alignment_ms = row.alignment_ms.max(alignment_ms);
    row.unaligned |= unaligned;
    let synchronous = row.synchronous;
    if synchronous {
        w.obs.sync_savepoint_snapshots.push((task, attempt, id));
    }
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
            size_bytes,
            unaligned,
            result: SnapshotResult::Unfinished,
        },
    );
    size_bytes
}

/// The handler asks for `id`'s barriers to overtake the records queued in the input channels
/// (an aligned barrier that timed out becomes unaligned): each such barrier is taken out of
/// its channel and handed to the task with the records it overtook.
fn prioritize_barriers(w: &mut World, t: &mut Task, at: DrainAt, id: CheckpointId) {
    let ((task, attempt), tm, now, inputs) = (at.key, at.tm, at.now, at.inputs);
    for (i, &Link { task: from, gate }) in inputs.iter().enumerate() {
        let Some(ch) = w.data.channels.get_mut(&(attempt.0, from, task, gate)) else { continue };
        let pos = ch
            .queue
            .iter()
            .position(|(_, _, it)| matches!(it, Item::Event(StreamElement::Barrier(b), _) if b.id == id));
        if let Some(pos) = pos {
            let mut overtaken = queued_records(ch.queue.iter().take(pos));
            let (_, _, item) = ch.queue.remove(pos).expect("barrier position");
            ch.last_barrier = ch.last_barrier.max(id);
            if let Item::Event(el, carried) = item {
                // The records ahead of the barrier, plus those it already overtook
                // if the upstream sent it unaligned (they are behind it in the
                // queue or still in the upstream's output buffers). Dropping the
                // carried ones lost them: they were processed after the snapshot
                // and persisted nowhere (regression aligned-timeout-carried-overtaken).
                overtaken.extend(carried);
                let counters = w.tasks.counters.entry(tm).or_default();
                let watched = BarrierProtocol::before(t, ChannelId(i as u32), &el);
                t.handle_input(now, ChannelId(i as u32), el, &overtaken, counters);
                if let Some((handed, mark)) = watched {
                    w.obs.protocol.observe(t, at.key, (now, w.spec.profile, inputs.len()), mark, handed);
                }
                // A checkpoint that timed out before its first barrier (announced,
                // §3.4) triggers on this barrier: its snapshot cut is taken now,
                // before any further record is taken (the drain's own note came first).
                w.obs.cuts.note_snapshot(&w.data.channels, t, at.key, inputs, now);
            }
        }
    }
}

/// A task attempt ends by an exception or a cancellation: its operators are closed
/// (`Task::handle_cleanup`, Flink `StreamTask#cleanUp`; what it had queued is dropped) and the
/// transactions its 2PC sink aborts on close are returned in its order, those `known` to the
/// store only (an abort of a transaction whose begin was still queued has nothing to abort).
/// The one closing of a failing or cancelled task: the world's [`close_task`] and the
/// explorer's (`tools/explore/route.rs` `close_task`) apply what it returns, each through its
/// own store gate.
pub(crate) fn closing_aborts(t: &mut Task, known: impl Fn(TxnId) -> bool) -> Vec<TxnId> {
    t.handle_cleanup();
    let mut aborts = Vec::new();
    while let Some(out) = t.poll_output() {
        let TaskOutput::Sink(op) = out else { continue };
        let SinkOutput::Abort { txn } = op else { unreachable!("a closing sink only aborts: {op:?}") };
        if known(txn) {
            aborts.push(txn);
        }
    }
    aborts
}

/// Task attempt `key` ends by an exception or a cancellation: its operators are closed
/// (`Task::handle_cleanup`, Flink `StreamTask#cleanUp`) and the 2PC sink's aborts reach the
/// store, each traced (`sink`, `... closed: abort txn=...`). An abort that cannot reach the store
/// (unreachable, or the attempt fenced by a newer one) is lost and traced as such: Flink's close
/// suppresses that exception, the task is ending anyway, and the transaction stays open in the
/// store. An abort of a transaction the store never saw (its begin was still queued when the
/// task threw, and dropped with the rest of its queue) has nothing to abort. Nothing else the
/// task queued is emitted: a host that still wants the queue drains it first.
pub(super) fn close_task(w: &mut World, t: &mut Task, key: (TaskId, Attempt), tm: u32, now: u64) {
    let (task, attempt) = key;
    let services = &w.services;
    let known = |txn| services.user_sink.is_some() || services.txn_store.txn_state(txn).is_some();
    for txn in closing_aborts(t, known) {
        let op = SinkOutput::Abort { txn };
        let lost = match store_gate(w, tm, task, attempt) {
            StoreGate::Open => None,
            StoreGate::Unreachable => Some("store unreachable"),
            StoreGate::Fenced(_) => Some("fenced"),
        };
        let detail = w.detail().task(task).s(" closed: abort txn=").txn(txn);
        if let Some(why) = lost {
            w.tr_task(&tm_node(tm), "sink", task, detail.s(" lost (").s(why).s(")").0);
            continue;
        }
        w.tr_task(&tm_node(tm), "sink", task, detail.0);
        let at = DrainAt { key, tm, now, inputs: &[] };
        if let Some(h) = &mut w.services.user_sink {
            // A user sink's abort cannot fail the task any more: it is ending.
            let _ = h.apply(key, now, op);
        } else {
            store_op(w, t, at, op, None);
        }
    }
}

/// Whether the sink store takes an operation of task attempt `(task, attempt)` on TaskManager
/// `tm` now: refused while the store is down or unreachable from `tm`, or when a newer attempt
/// of the task already wrote (its epoch: the producer is fenced). The one gate of
/// [`sink_op`] (which fails the task) and [`close_task`] (whose abort is lost).
enum StoreGate {
    Open,
    Unreachable,
    Fenced(Attempt),
}

fn store_gate(w: &World, tm: u32, task: TaskId, attempt: Attempt) -> StoreGate {
    if !w.faults.sink_store_up || !w.reaches(tm_addr(tm), SINK_STORE) {
        return StoreGate::Unreachable;
    }
    match w.services.sink_epochs.get(&task) {
        Some(&epoch) if attempt < epoch => StoreGate::Fenced(epoch),
        _ => StoreGate::Open,
    }
}

/// One operation of the 2PC sink on its store (or on a user sink's system): refused while the
/// store is unreachable or the attempt is fenced by a newer one. `Err`: the task failed
/// (reported).
fn sink_op(w: &mut World, t: &mut Task, at: DrainAt, op: SinkOutput) -> Result<(), ()> {
    let ((task, attempt), tm) = (at.key, at.tm);
    match store_gate(w, tm, task, attempt) {
        StoreGate::Open => {}
        StoreGate::Unreachable => {
            w.tr_typed(&tm_node(tm), "sink", EventData::SinkUnreachable { task });
            report(w, tm, task, attempt, ExecutionState::Failed, Some("sink store unreachable".into()));
            return Err(());
        }
        StoreGate::Fenced(epoch) => {
            let text = format!("{task}{attempt}: producer fenced by {epoch}");
            w.tr_data(&format!("tm{tm}"), "fenced", text, EventData::Fenced);
            report(w, tm, task, attempt, ExecutionState::Failed, Some("producer fenced by a newer attempt".into()));
            return Err(());
        }
    }
    w.services.sink_epochs.insert(task, attempt);
    let commit = if let SinkOutput::Commit { txn } = &op { Some(*txn) } else { None };
    if let Some(h) = &mut w.services.user_sink {
        if let Err(cause) = h.apply(at.key, at.now, op) {
            fail(w, at, cause);
            return Err(());
        }
    } else if !store_op(w, t, at, op, commit) {
        return Ok(());
    }
    if let Some(txn) = commit {
        let detail = w.detail().task(task).s(" txn=").txn(txn).0;
        w.tr_data(&tm_node(tm), "commit", detail, EventData::Commit { txn });
    }
    Ok(())
}

/// One operation on the transactional store; a commit's records move into the run's rows. A
/// commit the store refused after the transaction timeout goes back to the sink, which
/// rethrows (the task fails, through the `Failed` output drained next) or, ignoring failures
/// after the timeout, goes on. Whether the commit is traced.
fn store_op(w: &mut World, t: &mut Task, at: DrainAt, op: SinkOutput, commit: Option<ckptsim::state::TxnId>) -> bool {
    let (task, tm, now) = (at.key.0, at.tm, at.now);
    match op {
        SinkOutput::Begin { .. } => w.obs.transactions.begun += 1,
        SinkOutput::Abort { .. } => w.obs.transactions.aborted += 1,
        _ => {}
    }
    if let Some(txn) = commit {
        let asked = super::observe::RetryCall::CommitAsked { at_ms: now, task, attempt: at.key.1, txn };
        w.obs.notes.retry_calls.push(asked);
    }
    let applied = match w.services.txn_store.apply_with_failures(now, op) {
        Ok(Err(refusal)) => {
            // A retriable refusal (`StoreConfig::retriable_commit_failures`): the sink retries
            // (Sink V2) or rethrows (legacy); either way this commit did not happen.
            let text = format!("{task} commit refused, retriable (attempt {})", refusal.attempt);
            w.tr_task(&tm_node(tm), "sink", task, text);
            let refused =
                super::observe::RetryCall::CommitRefused { at_ms: now, task, attempt: at.key.1, txn: refusal.txn };
            w.obs.notes.retry_calls.push(refused);
            for ev in t.handle_commit_retriable(now, refusal.txn) {
                w.tr_task(&tm_node(tm), "sink", task, format!("{task} {ev:?}"));
            }
            return false;
        }
        Ok(Ok(())) => Ok(()),
        Err(e) => Err(e),
    };
    if commit.is_some() {
        OutputRow::take_committed(&mut w.services.txn_store, &mut w.obs.committed);
    }
    if let Err(e) = applied {
        let refused = matches!(e, ckptsim::sink::StoreAnomaly::TransactionTimedOut { .. });
        w.obs.sink_anomalies.push(SinkAnomaly::Store { at_ms: now, task, anomaly: e });
        if let (Some(txn), true) = (commit, refused) {
            for ev in t.handle_commit_failed(now, txn) {
                w.tr_task(&tm_node(tm), "sink", task, format!("{task} {ev:?}"));
            }
            if !t.has_failed() {
                return false;
            }
        }
    }
    true
}

/// Offsets committed to the broker on a checkpoint's completion (refused while it is down),
/// recorded with the latest completed checkpoint.
fn commit_offsets(w: &mut World, at: DrainAt, offsets: &BTreeMap<PartitionId, Offset>) {
    let (task, now) = (at.key.0, at.now);
    // Which checkpoint's notification is this? The latest completed one (None for
    // a commit that happens outside a completion).
    let checkpoint = w.obs.checkpoints.values().rev().find(|r| r.outcome == "COMPLETED").map(|r| r.id);
    let accepted = commit_offsets_to_broker(w, (at.tm, task), offsets, now, checkpoint, false);
    let detail = w.detail().task(task).s(" ").offsets(offsets).s(" ");
    w.tr("broker", "commit", detail.s(if accepted { "ok" } else { "FAILED (broker down)" }).0);
}

/// Puts an unaligned barrier at the head of the channel from `key`'s task to `to`, due in 1 ms:
/// it overtakes the records queued in the channel and those in `ahead` (still in the sender's
/// buffers, in order), which the downstream persists as channel state when it takes the
/// barrier; the barrier carries a copy of them. Returns how many it overtook.
fn push_priority_barrier(
    w: &mut World,
    key: (TaskId, Attempt),
    to: Link,
    barrier: Barrier,
    ahead: Vec<Record>,
    now: u64,
) -> u32 {
    let (task, attempt) = key;
    w.data.item_seq += 1;
    let seq = w.data.item_seq;
    let ch = w.data.channels.entry((attempt.0, task, to.task, to.gate));
    let mut overtaken = queued_records(ch.queue.iter());
    overtaken.extend(ahead);
    let n = overtaken.len() as u32;
    ch.queue.push_front((now + 1, seq, Item::Event(StreamElement::Barrier(barrier), overtaken)));
    w.wake_at(Sleeper::Task(to.task, attempt), now + 1, WakeCause::Buffer);
    n
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
        // A forced-aligned barrier is not timeoutable (`CheckpointOptions#isTimeoutable`).
        if matches!(&buf[pos], OutItem::Event(StreamElement::Barrier(b)) if matches!(b.alignment, ckptsim::record::Alignment::ForcedAligned { .. }))
        {
            continue;
        }
        let ahead = outbox.records_ahead(i, pos);
        let buf = &mut outbox.bufs[i];
        let Some(OutItem::Event(StreamElement::Barrier(b))) = buf.remove(pos) else { unreachable!("barrier position") };
        let barrier = Barrier { alignment: ckptsim::record::Alignment::Unaligned, ..b };
        let overtaken = push_priority_barrier(w, key, to, barrier, ahead, now);
        w.obs.cuts.mark_unaligned(task, attempt, id, to);
        let detail = format!("{} id={id} to {} unaligned overtaking {overtaken}", w.task_name(task), to.task);
        w.tr_task(&tm_node(tm), "convert", task, detail);
    }
}

/// A barrier cut (`cuts.rs`): the records written to each output channel before `barrier`
/// (in the channel, or still in the output buffers, which an unaligned barrier overtakes).
fn note_barrier(w: &mut World, outbox: &Outbox, key: (TaskId, Attempt), barrier: &Barrier, per: &[(Barrier, bool)]) {
    let (task, attempt) = key;
    for (i, &to) in outbox.targets.iter().enumerate() {
        let pushed = w.data.channels.get(&(attempt.0, task, to.task, to.gate)).map_or(0, |c| c.pushed_records);
        w.obs.cuts.note_barrier(BarrierCut {
            task,
            attempt,
            checkpoint: barrier.id,
            to: to.task,
            gate: to.gate,
            sent: pushed + u64::from(outbox.pending_records(i)),
            at_least_once: barrier.alignment == ckptsim::record::Alignment::AtLeastOnce,
            unaligned: per[i].1,
        });
    }
}
