//! The data plane between tasks: bounded channels with credits (`DataChannel`), a task's output buffers (`Outbox`), moving buffers into the channels (`flush`) and taking the next due input (`take_input`), with barrier announcements (flink-2.3) on arrival.

use super::*;
use ckptsim::watermark::{WatermarkEvent, WatermarkStatus};

// ------------------------------------------------------------------ data channels

#[derive(Clone, Debug)]
pub(super) enum Item {
    Records(Vec<Record>),
    /// An event, and for a priority barrier the records it overtook (those queued behind it and
    /// those still in the sender's output buffers when it was sent): copied when it overtook
    /// them, as the receiver persists them when it takes the barrier (semantics §3.3).
    Event(StreamElement, Vec<Record>),
}

/// Copies of the records among `items` of a channel queue, in order (what a priority barrier
/// put ahead of them overtakes).
pub(super) fn queued_records<'a>(items: impl Iterator<Item = &'a (u64, u64, Item)>) -> Vec<Record> {
    items.flat_map(|(_, _, it)| if let Item::Records(r) = it { r.as_slice() } else { &[] }).cloned().collect()
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
    /// The newest barrier the receiver took from the channel (in order or prioritized): an
    /// aligned snapshot taken while it is older than the snapshot's checkpoint was taken before
    /// this channel's barrier arrived (`cuts.rs`, `SnapshotCut::before_barrier`).
    pub(super) last_barrier: CheckpointId,
}

/// A data channel: (attempt, upstream task, downstream task, the downstream's input gate). The
/// gate keeps apart the two channels of a self-join (one producer feeding two gates, semantics
/// §14); without one it adds nothing, so the channels and their order are those of a task pair.
pub(super) type ChannelKey = (u32, TaskId, TaskId, u32);

/// The data channels, kept per receiving task (a task's input channels and their older
/// attempts', a few entries searched from the newest) instead of in one B-tree keyed by
/// [`ChannelKey`]: every input step looks up each input channel and every buffer sent its
/// channel (BENCHMARKS.md, session 27). Lookups are by exact key, so where an entry sits
/// changes nothing; the iteration ([`Channels::iter`]) is in key order, as the B-tree's was.
#[derive(Default)]
pub(super) struct Channels {
    /// Indexed by the receiving task (`key.2`).
    by_receiver: Vec<Vec<(ChannelKey, DataChannel)>>,
}

impl Channels {
    fn find(v: &[(ChannelKey, DataChannel)], key: &ChannelKey) -> Option<usize> {
        v.iter().rposition(|(k, _)| k == key)
    }

    pub(super) fn get(&self, key: &ChannelKey) -> Option<&DataChannel> {
        let v = self.by_receiver.get(key.2 .0 as usize)?;
        Self::find(v, key).map(|i| &v[i].1)
    }

    pub(super) fn get_mut(&mut self, key: &ChannelKey) -> Option<&mut DataChannel> {
        let v = self.by_receiver.get_mut(key.2 .0 as usize)?;
        Self::find(v, key).map(|i| &mut v[i].1)
    }

    /// `key`'s channel, an empty one made if it had none (`BTreeMap::entry(..).or_default()`).
    pub(super) fn entry(&mut self, key: ChannelKey) -> &mut DataChannel {
        let r = key.2 .0 as usize;
        if self.by_receiver.len() <= r {
            self.by_receiver.resize_with(r + 1, Vec::new);
        }
        let v = &mut self.by_receiver[r];
        let i = match Self::find(v, &key) {
            Some(i) => i,
            None => {
                v.push((key, DataChannel::default()));
                v.len() - 1
            }
        };
        &mut v[i].1
    }

    /// Keeps only the channels of attempts from `attempt` on.
    pub(super) fn retain_from_attempt(&mut self, attempt: u32) {
        for v in &mut self.by_receiver {
            v.retain(|(k, _)| k.0 >= attempt);
        }
    }

    /// Keeps only the channels into or out of `task` of attempts from `attempt` on, and every
    /// other task's (a regional restart: the other regions' channels stay in use).
    pub(super) fn retain_task_from_attempt(&mut self, task: TaskId, attempt: u32) {
        for v in &mut self.by_receiver {
            v.retain(|(k, _)| k.0 >= attempt || (k.1 != task && k.2 != task));
        }
    }

    /// Every channel in key order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&ChannelKey, &DataChannel)> {
        let mut all: Vec<(&ChannelKey, &DataChannel)> =
            self.by_receiver.iter().flatten().map(|(k, ch)| (k, ch)).collect();
        all.sort_by_key(|(k, _)| **k);
        all.into_iter()
    }
}

/// Per-task output buffers: elements waiting to enter each downstream channel, in order.
///
/// Records wait in chunks of at most `buffer_records`, filled in order: the leading records of a
/// queue split into chunks exactly as a flush splits them into network buffers, so a flush
/// hands a whole chunk to the channel instead of copying records one by one.
pub(super) struct Outbox {
    pub(super) targets: Vec<Link>,
    pub(super) bufs: Vec<VecDeque<OutItem>>,
    pub(super) buffer_records: usize,
    /// The task's newest snapshot id already handed to the channel cuts (`drain_outputs` asks
    /// the cuts only when the task's newest snapshot changed).
    pub(super) cut_noted: Option<CheckpointId>,
    /// Per output channel: the last [`flush`] stopped there for want of credit. Such a channel's
    /// partly filled last buffer arms no buffer timeout ([`Outbox::timeout_flush_at`]): the
    /// receiver wakes the sender when it frees the first credit (`take_input`), as Flink's
    /// `PartitionRequestQueue#addCreditOrResumeConsumption` re-enqueues the reader on an
    /// `AddCredit`; the `OutputFlusher` thread never runs the task.
    pub(super) credit_blocked: Vec<bool>,
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

    /// `el` at the end of output channel `i` only.
    pub(super) fn push_event_to(&mut self, i: usize, el: StreamElement) {
        self.bufs[i].push_back(OutItem::Event(el));
    }

    /// Copies of the records among the first `n` items waiting for output channel `i`, in order
    /// (what a priority barrier put there overtakes).
    pub(super) fn records_ahead(&self, i: usize, n: usize) -> Vec<Record> {
        (self.bufs[i].iter().take(n))
            .flat_map(|it| if let OutItem::Records(c, _) = it { c.as_slice() } else { &[] })
            .cloned()
            .collect()
    }

    /// Records waiting for output channel `i`.
    pub(super) fn pending_records(&self, i: usize) -> u32 {
        self.bufs[i].iter().map(|it| if let OutItem::Records(c, _) = it { c.len() as u32 } else { 0 }).sum()
    }

    /// When the buffer timeout sends a partly filled buffer held back by [`flush`] (the last
    /// item of a channel's queue; anything behind a buffer sends it). A channel whose last flush
    /// stopped for want of credit has no such time: the timeout's flush could send nothing, and
    /// the credit's return wakes the task (Flink's `PipelinedSubpartition#flush` only makes the
    /// data readable; the netty reader sends it once the receiver announced credit).
    pub(super) fn timeout_flush_at(&self, buffer_timeout_ms: u64) -> Option<u64> {
        if buffer_timeout_ms == 0 {
            return None;
        }
        self.bufs
            .iter()
            .zip(&self.credit_blocked)
            .filter(|&(_, &blocked)| !blocked)
            .filter_map(|(b, _)| match b.back() {
                Some(OutItem::Records(c, since)) if c.len() < self.buffer_records => Some(since + buffer_timeout_ms),
                _ => None,
            })
            .min()
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
    for (i, &Link { task: to, gate }) in outbox.targets.iter().enumerate() {
        let buf = &mut outbox.bufs[i];
        outbox.credit_blocked[i] = false;
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
                    let ch = w.data.channels.entry((attempt.0, task, to, gate));
                    if ch.record_buffers >= capacity {
                        outbox.credit_blocked[i] = true;
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
                    let ch = w.data.channels.entry((attempt.0, task, to, gate));
                    let at = (now + latency).max(ch.last_deliver_ms);
                    ch.last_deliver_ms = at;
                    ch.queue.push_back((at, seq, Item::Event(el, Vec::new())));
                    first_at = first_at.or(Some(at));
                }
            }
        }
        if let Some(at) = first_at {
            w.wake_at(Sleeper::Task(to, attempt), at, WakeCause::Buffer);
        }
    }
    blocked
}

pub(super) enum Take {
    Records(u64),
    Event,
    WaitUntil(Option<u64>),
}

/// Takes the next due item from an unblocked input channel: a priority (unaligned) barrier at a
/// channel's head first, as Flink's `CheckpointedInputGate#processPriorityEvents` runs them as
/// mailbox mails before the next record; otherwise in arrival order. `priority_only`: the task's
/// output is blocked (backpressure), so it takes no record, but a priority barrier still (the
/// mail runs while the default action is suspended), and the barriers that arrived are still
/// announced (§3.4: Flink's `RemoteInputChannel#onBuffer` queues the announcement as a priority
/// event on arrival, handled by the same mail; since session 28).
pub(super) fn take_input(
    w: &mut World,
    t: &mut Task,
    tm: u32,
    key: (TaskId, Attempt),
    inputs: &[Link],
    now: u64,
    priority_only: bool,
) -> Take {
    let (task, attempt) = key;
    let (announced, best, next_due) = look_at_inputs(w, t, key, inputs, now, priority_only);
    if announced {
        // Let the host act on what the announcements caused (a prioritization) first.
        return Take::Event;
    }
    let Some((_, _, _, i)) = best else { return Take::WaitUntil(next_due) };
    let Link { task: from, gate } = inputs[i];
    let ch = w.data.channels.get_mut(&(attempt.0, from, task, gate)).expect("channel exists");
    let (_, _, item) = ch.queue.pop_front().expect("front exists");
    // The sender waits for credit on this channel only while it is full (`flush` stops there
    // and nothing else fills it): it is woken when a buffer taken frees the first credit, not
    // on every buffer taken (a sender that is not waiting would be polled for nothing).
    let mut credit_freed = false;
    if let Item::Records(recs) = &item {
        credit_freed = ch.record_buffers >= w.spec.cluster.channel_capacity_buffers.max(1) as usize;
        ch.record_buffers -= 1;
        ch.taken_records += recs.len() as u64;
    }
    if let Item::Event(StreamElement::Barrier(b), _) = &item {
        ch.last_barrier = ch.last_barrier.max(b.id);
    }
    match item {
        Item::Records(recs) => {
            let n = recs.len() as u64;
            let counters = w.tasks.counters.entry(tm).or_default();
            for r in recs {
                t.handle_input(now, ChannelId(i as u32), StreamElement::Record(r), &[], counters);
                if t.has_failed() {
                    break;
                }
            }
            // A late-but-allowed element fires its window at once.
            note_fires(w, t, key, now);
            if credit_freed {
                w.notify_task((from, attempt), WakeCause::Credit);
            }
            Take::Records(n)
        }
        Item::Event(el, overtaken) => {
            take_event(w, t, (tm, key), (i, inputs.len()), el, overtaken, now);
            Take::Event
        }
    }
}

/// One event taken from input channel `ch.0` (of `ch.1`): a barrier's anchored faults fired
/// first; a watermark or status, with the task's watermark and status after it, recorded for
/// the `windows` checker (jobs with event time).
fn take_event(
    w: &mut World,
    t: &mut Task,
    (tm, key): (u32, (TaskId, Attempt)),
    ch: (usize, usize),
    el: StreamElement,
    overtaken: Vec<Record>,
    now: u64,
) {
    let (task, i) = (key.0, ch.0);
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
    let event = match el {
        StreamElement::Watermark(wm) => Some(WatermarkEvent::Watermark(wm)),
        StreamElement::WatermarkStatus(s) => Some(WatermarkEvent::Status(s)),
        _ => None,
    };
    let watched = BarrierProtocol::before(t, ChannelId(i as u32), &el);
    t.handle_input(now, ChannelId(i as u32), el, &overtaken, counters);
    if let Some((handed, mark)) = watched {
        w.obs.protocol.observe(t, key, (now, w.spec.profile, ch.1), mark, handed);
    }
    if let Some(event) = event.filter(|_| w.obs.record_valves) {
        let status = t.watermark_valve().map_or(WatermarkStatus::Active, |v| v.status());
        let per_input = t.watermark_valve().is_some_and(|v| v.per_input());
        let (channel, channels) = (i as u32, ch.1 as u32);
        let watermark = t.current_watermark();
        let step = ValveEvent::Input { channel, channels, event, watermark, status, per_input };
        w.obs.valve_steps.push(ValveStep { at_ms: now, task, attempt: key.1, step });
        note_fires(w, t, key, now);
    }
}

/// The windows `t` fired since the last look, into `RunResult::valve_steps` (recorded only for
/// jobs with event time: `Task::record_window_fires`).
fn note_fires(w: &mut World, t: &mut Task, key: (TaskId, Attempt), now: u64) {
    if !w.obs.record_valves {
        return;
    }
    let mut fires = Vec::new();
    t.take_window_fires(&mut fires);
    for (window, watermark) in fires {
        let step = ValveEvent::Fired { window, watermark };
        w.obs.valve_steps.push(ValveStep { at_ms: now, task: key.0, attempt: key.1, step });
    }
}

/// One look at each unblocked input channel of a task attempt: with barrier announcements
/// (flink-2.3) the barriers that reached it are announced (`announce_barriers`); and the
/// channel whose head item is due first (arrival, then sequence), or when the next one is due.
/// The choice counts only when nothing was announced (an announcement changes no channel's
/// state before that channel's own look).
/// Where a channel's head item ranks: a priority (unaligned) barrier before anything else.
fn is_priority_barrier(item: &Item) -> bool {
    matches!(item, Item::Event(StreamElement::Barrier(b), _) if b.alignment == ckptsim::record::Alignment::Unaligned)
}

#[allow(clippy::type_complexity)]
fn look_at_inputs(
    w: &mut World,
    t: &mut Task,
    key: (TaskId, Attempt),
    inputs: &[Link],
    now: u64,
    priority_only: bool,
) -> (bool, Option<(bool, u64, u64, usize)>, Option<u64>) {
    let (task, attempt) = key;
    let announces = w.spec.checkpoint.announces_barriers(w.spec.profile);
    let mut announced = false;
    // (not a priority barrier, due, sequence, channel): the least is taken.
    let mut best: Option<(bool, u64, u64, usize)> = None;
    let mut next_due: Option<u64> = None;
    for (i, &Link { task: from, gate }) in inputs.iter().enumerate() {
        let ch_id = ChannelId(i as u32);
        if t.is_blocked(ch_id) {
            continue;
        }
        let Some(ch) = w.data.channels.get_mut(&(attempt.0, from, task, gate)) else { continue };
        let proto = (&mut w.obs.protocol, key, (now, w.spec.profile, inputs.len()));
        if announces && announce_barriers(ch, t, ch_id, proto) {
            announced = true;
        }
        if let Some((at, seq, item)) = ch.queue.front() {
            let (at, seq) = (*at, *seq);
            let prio = is_priority_barrier(item);
            if priority_only && !prio {
                continue;
            }
            if at <= now {
                if best.is_none_or(|b| (!prio, at, seq) < (b.0, b.1, b.2)) {
                    best = Some((!prio, at, seq, i));
                }
            } else {
                next_due = Some(next_due.map_or(at, |d: u64| d.min(at)));
            }
        }
    }
    (announced, best, next_due)
}

/// §3.4 (flink-2.3 with barrier announcements): the aligned-with-timeout barriers that reached
/// unblocked input channel `ch_id` since the last look are announced to the task, even behind
/// records it has not taken (Flink's `RemoteInputChannel` makes the announcement on arrival).
/// Returns whether any was announced.
fn announce_barriers(
    ch: &mut DataChannel,
    t: &mut Task,
    ch_id: ChannelId,
    (proto, key, step): (&mut BarrierProtocol, (TaskId, Attempt), (u64, ckptsim::profile::Profile, usize)),
) -> bool {
    let now = step.0;
    let mut due: Vec<Barrier> = Vec::new();
    for (at, _, item) in &ch.queue {
        if let (true, Item::Event(StreamElement::Barrier(b), _)) = (*at <= now, item) {
            if matches!(b.alignment, ckptsim::record::Alignment::AlignedWithTimeout { .. }) && b.id > ch.announced {
                due.push(*b);
            }
        }
    }
    let any = !due.is_empty();
    for b in due {
        ch.announced = ch.announced.max(b.id);
        let mark = BarrierProtocol::mark(t);
        t.handle_announcement(now, ch_id, b);
        proto.observe(t, key, step, mark, Handed::Announcement(ch_id, b));
    }
    any
}
