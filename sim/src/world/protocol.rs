//! The barrier handler's control protocol as the host sees it: per task attempt, every barrier, cancel marker, end of partition, announcement and alignment timeout handed to its barrier handler, and what the task did in the same step (channels blocked, snapshot taken, cancel markers forwarded), judged against Flink's rules as the events come (read by the `barriers` checker).
//!
//! Recorded per control event, never per record, and outside the trace (the trace hash is
//! unchanged). The rules, after Flink's `SingleCheckpointBarrierHandler` (its
//! `BarrierHandlerState`s) and `CheckpointBarrierTracker`, for the checkpoint `N` a task is
//! aligning (the newest id it was handed, by a barrier or an announcement):
//! * **cancel**: a `CancelCheckpointMarker` for `N` (or for a newer id) ends `N`'s alignment in
//!   the same step: the task aborts the marker's checkpoint and forwards a cancel marker for it
//!   (`processCancellationBarrier` → `abortInternal` → `notifyAbort`; the host declines it
//!   `CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER` and broadcasts the marker:
//!   `SubtaskCheckpointCoordinatorImpl#abortCheckpointOnBarrier`);
//! * **subsumed**: the first barrier (or announcement) of a newer id aborts a pending `N` the
//!   same way (`SingleCheckpointBarrierHandler#checkNewCheckpoint`);
//! * **blocked**: an aligned handler blocks a channel from its barrier for `N` until `N`'s
//!   alignment ends (snapshot, abort, newer id, switch to unaligned), and only then: every
//!   blocked channel is released in the step that ends it (`resumeConsumption`); the tracker
//!   never blocks;
//! * **complete**: once every channel delivered `N`'s barrier or ended, the aligned `N` is
//!   triggered (or, in 1.11, aborted by the end of partition) in that step;
//! * **early**: an aligned (or at-least-once) snapshot of `N` comes only once every open
//!   channel delivered `N`'s barrier or a cancel marker (`CheckpointBarrierTracker` counts
//!   them);
//! * **JobManager abort**: `notifyCheckpointAborted` for the checkpoint being aligned ends it
//!   the same way;
//! * **timeout**: an aligned-with-timeout checkpoint switches to unaligned only when due (`now -
//!   timestamp > timeout`, unless an upstream already sent it unaligned) and no later than the
//!   first barrier, end of partition or timer the handler takes after that.

use super::*;
use ckptsim::barrier::HandlerKind;
use ckptsim::profile::Profile;
use ckptsim::reason::CheckpointFailureReason;
use ckptsim::record::{Alignment, Barrier, CheckpointKind};
use ckptsim::task::TaskOutput;

/// At most this many findings are kept (a broken handler breaks every checkpoint).
const MAX_FINDINGS: usize = 20;

/// What the host handed a task's barrier handler in one step.
#[derive(Clone, Copy, Debug)]
pub enum Handed {
    /// A barrier taken from input channel `0`.
    Barrier(ChannelId, Barrier),
    /// A cancel marker taken from an input channel.
    CancelMarker(ChannelId, CheckpointId),
    /// An input channel ended.
    EndOfPartition(ChannelId),
    /// A barrier announced on an input channel (flink-2.3).
    Announcement(ChannelId, Barrier),
    /// The handler's alignment timer fired.
    Timeout,
    /// The JobManager's `notifyCheckpointAborted`.
    JobManagerAbort(CheckpointId),
}

/// One breach of the protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProtocolFinding {
    /// When, ms.
    pub at_ms: u64,
    /// The task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The rule broken (a finding kind).
    pub kind: &'static str,
    /// What happened.
    pub text: String,
}

/// The task's state before a step: taken with [`BarrierProtocol::mark`].
#[derive(Clone, Copy, Debug)]
pub struct StepMark {
    outputs: usize,
    snapshot: Option<CheckpointId>,
}

/// The barrier protocol of a run: findings, and counts of what was judged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct BarrierProtocol {
    /// The first `MAX_FINDINGS` (20) breaches, in time order.
    pub findings: Vec<ProtocolFinding>,
    /// Breaches beyond those.
    pub more: u64,
    /// Control events judged.
    pub steps: u64,
    /// Cancel markers handed to a handler.
    pub cancel_markers: u64,
    /// Alignments a cancel marker ended.
    pub cancelled_alignments: u64,
    watches: BTreeMap<(TaskId, Attempt), Watch>,
}

/// What one task attempt was handed so far.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Watch {
    /// Per input channel: the newest barrier id handed.
    barrier: Vec<CheckpointId>,
    /// Per input channel: the newest barrier or cancel-marker id handed.
    seen: Vec<CheckpointId>,
    closed: Vec<bool>,
    /// The newest id handed by a barrier, cancel marker or announcement.
    current: CheckpointId,
    cur: Current,
}

/// What became of `Watch::current`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Current {
    /// A barrier (or announcement) of it was handed.
    started: bool,
    /// Its snapshot was taken: `Some(true)` aligned, `Some(false)` unaligned, `None` not known.
    snapshot: Option<Option<bool>>,
    /// A cancel marker for it was handed or forwarded.
    ended: bool,
    /// Aligned with timeout (2.x): (checkpoint timestamp, timeout), while no barrier of it came unaligned.
    clock: Option<(u64, u64)>,
    /// A barrier of it came unaligned (an upstream switched).
    upstream_unaligned: bool,
}

impl Watch {
    fn new(channels: usize) -> Self {
        Watch {
            barrier: vec![CheckpointId::NONE; channels],
            seen: vec![CheckpointId::NONE; channels],
            closed: vec![false; channels],
            current: CheckpointId::NONE,
            cur: Current::default(),
        }
    }

    fn advance(&mut self, id: CheckpointId) {
        if id > self.current {
            self.current = id;
            self.cur = Current::default();
        }
    }

    /// Every channel delivered `current`'s barrier or ended.
    fn all_in(&self) -> bool {
        (0..self.barrier.len()).all(|c| self.closed[c] || self.barrier[c] == self.current)
    }

    /// `current` is still being collected: started, not ended, not triggered aligned, and (once
    /// triggered unaligned) not every barrier in. A snapshot of unknown kind is not judged.
    fn pending(&self) -> bool {
        self.cur.started
            && !self.cur.ended
            && match self.cur.snapshot {
                None => true,
                Some(Some(false)) => !self.all_in(),
                Some(_) => false,
            }
    }

    /// Blocking is over for `current`: ended, or its snapshot taken (aligned or unaligned).
    fn blocking_over(&self) -> bool {
        self.cur.ended || self.cur.snapshot.is_some()
    }

    fn start(&mut self, kind: HandlerKind, profile: Profile, b: &Barrier) {
        let first = !self.cur.started;
        self.cur.started = true;
        match b.alignment {
            Alignment::Unaligned => self.cur.upstream_unaligned = true,
            Alignment::AlignedWithTimeout { timeout_ms }
                if first
                    && kind == HandlerKind::Alternating
                    && profile.supports_aligned_timeout()
                    && b.kind != CheckpointKind::Savepoint =>
            {
                self.cur.clock = Some((b.timestamp_ms, timeout_ms));
            }
            _ => {}
        }
    }
}

/// What the task did in one step.
struct Effects {
    blocked: Vec<u32>,
    /// The snapshot taken: (id, aligned), aligned `None` when not known (its upload failed at once).
    snapshot: Option<(CheckpointId, Option<bool>)>,
    forwarded: Vec<CheckpointId>,
}

impl Effects {
    fn read(t: &Task, mark: StepMark, channels: usize) -> Self {
        let mut forwarded = Vec::new();
        let mut aligned_snap = None;
        let mut async_failed = None;
        for out in t.queued_outputs().skip(mark.outputs) {
            match out {
                TaskOutput::EmitCancelMarker { id } => forwarded.push(*id),
                TaskOutput::Snapshot { id, unaligned: false, .. } => aligned_snap = Some(*id),
                TaskOutput::Decline { id, reason: CheckpointFailureReason::CheckpointAsyncException } => {
                    async_failed = Some(*id)
                }
                _ => {}
            }
        }
        let snapshot = t.last_snapshot_id().filter(|&id| Some(id) != mark.snapshot).map(|id| {
            let aligned = if aligned_snap == Some(id) {
                Some(true)
            } else if async_failed == Some(id) {
                None
            } else {
                Some(false)
            };
            (id, aligned)
        });
        let blocked = (0..channels as u32).filter(|&c| t.is_blocked(ChannelId(c))).collect();
        Effects { blocked, snapshot, forwarded }
    }
}

impl BarrierProtocol {
    /// The task's state before handing it a control event.
    pub fn mark(t: &Task) -> StepMark {
        StepMark { outputs: t.queued_outputs().len(), snapshot: t.last_snapshot_id() }
    }

    /// Before `t` takes `el` from input channel `ch`: the control event and the task's mark when
    /// `el` is one (a barrier, cancel marker or end of partition), `None` for a record or a
    /// watermark (the per-record path takes no mark).
    pub fn before(t: &Task, ch: ChannelId, el: &StreamElement) -> Option<(Handed, StepMark)> {
        Handed::of(ch, el).map(|h| (h, Self::mark(t)))
    }

    /// One control event handed to `t` (with `channels` input channels) at `now`, and what it
    /// did: judged at once. `mark` was taken just before.
    pub fn observe(
        &mut self,
        t: &Task,
        key: (TaskId, Attempt),
        (now, profile, channels): (u64, Profile, usize),
        mark: StepMark,
        handed: Handed,
    ) {
        let Some(kind) = t.handler_kind() else { return };
        if t.has_failed() || channels == 0 {
            self.watches.remove(&key);
            return;
        }
        self.steps += 1;
        let fx = Effects::read(t, mark, channels);
        let w = self.watches.entry(key).or_insert_with(|| Watch::new(channels));
        if w.barrier.len() != channels {
            *w = Watch::new(channels);
        }
        let mut found: Vec<(&'static str, String)> = Vec::new();
        let (before, was_pending) = (w.current, w.pending());
        if let Handed::CancelMarker(_, id) = handed {
            self.cancel_markers += 1;
            self.cancelled_alignments += u64::from(was_pending && id >= before);
        }
        w.hand(kind, profile, handed, &fx, &mut found);
        for &id in &fx.forwarded {
            if id == w.current {
                w.cur.ended = true;
            }
        }
        if let Some((id, aligned)) = fx.snapshot {
            w.judge_snapshot(id, aligned, now, &mut found);
        }
        w.judge_blocking(kind, &fx, (handed, before, was_pending), now, &mut found);
        for (kind, text) in found {
            if self.findings.len() < MAX_FINDINGS {
                self.findings.push(ProtocolFinding { at_ms: now, task: key.0, attempt: key.1, kind, text });
            } else {
                self.more += 1;
            }
        }
    }
}

impl Watch {
    /// Takes one handed event in, with the rules judged on it alone (aborts that must come in
    /// the same step).
    fn hand(
        &mut self,
        kind: HandlerKind,
        profile: Profile,
        handed: Handed,
        fx: &Effects,
        found: &mut Vec<(&'static str, String)>,
    ) {
        let (before, was_pending) = (self.current, self.pending());
        let single = kind != HandlerKind::AtLeastOnce;
        match handed {
            Handed::Barrier(ch, b) => {
                let c = ch.0 as usize;
                if let Some(x) = self.barrier.get_mut(c) {
                    *x = (*x).max(b.id);
                    self.seen[c] = self.seen[c].max(b.id);
                }
                self.advance(b.id);
                if b.id == self.current {
                    self.start(kind, profile, &b);
                }
                if single && b.id > before && was_pending && !fx.forwarded.contains(&before) {
                    found.push(("subsumed-not-aborted", format!(
                        "the first barrier of checkpoint {} came while checkpoint {before} was being aligned, and {before} was not aborted (no cancel marker forwarded): a newer barrier ends the older alignment",
                        b.id
                    )));
                }
            }
            Handed::Announcement(_, b) => {
                let counts = kind == HandlerKind::Alternating
                    && profile.supports_aligned_timeout()
                    && b.kind != CheckpointKind::Savepoint
                    && matches!(b.alignment, Alignment::AlignedWithTimeout { .. });
                if counts && b.id >= self.current {
                    self.advance(b.id);
                    self.start(kind, profile, &b);
                    if b.id > before && was_pending && !fx.forwarded.contains(&before) {
                        found.push(("subsumed-not-aborted", format!(
                            "checkpoint {} was announced while checkpoint {before} was being aligned, and {before} was not aborted (no cancel marker forwarded)",
                            b.id
                        )));
                    }
                }
            }
            Handed::CancelMarker(ch, id) => {
                if let Some(x) = self.seen.get_mut(ch.0 as usize) {
                    *x = (*x).max(id);
                }
                let live = id > before || (id == before && was_pending);
                self.advance(id);
                if id == self.current {
                    self.cur.ended = true;
                }
                if single && live && !fx.forwarded.contains(&id) {
                    found.push(("cancel-not-forwarded", format!(
                        "a cancel marker for checkpoint {id} arrived on input channel {} (checkpoint {before} {}), but the task neither aborted {id} nor forwarded its cancel marker",
                        ch.0,
                        if was_pending { "being aligned" } else { "not pending" }
                    )));
                }
            }
            Handed::EndOfPartition(ch) => {
                if let Some(x) = self.closed.get_mut(ch.0 as usize) {
                    *x = true;
                }
            }
            Handed::Timeout => {}
            Handed::JobManagerAbort(id) => {
                let aligning = was_pending && self.cur.snapshot.is_none();
                if single && id == before && aligning && !fx.forwarded.contains(&id) {
                    found.push(("abort-not-ended", format!(
                        "the JobManager aborted checkpoint {id} while the task was aligning it, but the task neither aborted it nor forwarded its cancel marker"
                    )));
                }
            }
        }
    }
}

impl Watch {
    /// A snapshot taken in this step: its kind, and whether it came too early.
    fn judge_snapshot(
        &mut self,
        id: CheckpointId,
        aligned: Option<bool>,
        now: u64,
        found: &mut Vec<(&'static str, String)>,
    ) {
        if id != self.current {
            return;
        }
        self.cur.snapshot = Some(aligned);
        if aligned == Some(true) {
            let missing: Vec<usize> = (0..self.seen.len()).filter(|&c| !self.closed[c] && self.seen[c] < id).collect();
            if let Some(c) = missing.first() {
                found.push(("trigger-before-barriers", format!(
                    "aligned snapshot of checkpoint {id} taken before input channel {c} delivered its barrier ({} channels missing): an aligned handler (and the tracker) waits for every open channel",
                    missing.len()
                )));
            }
        }
        if aligned == Some(false) && !self.cur.upstream_unaligned {
            if let Some((ts, timeout_ms)) = self.cur.clock {
                if now <= ts + timeout_ms {
                    found.push(("timeout-early", format!(
                        "checkpoint {id} switched to unaligned at {now} ms, before its alignment timeout was due (timestamp {ts} + timeout {timeout_ms} ms: due after {} ms)",
                        ts + timeout_ms
                    )));
                }
            }
        }
    }

    /// The blocked channels after the step, and a complete alignment that did not end.
    fn judge_blocking(
        &self,
        kind: HandlerKind,
        fx: &Effects,
        (handed, before, was_pending): (Handed, CheckpointId, bool),
        now: u64,
        found: &mut Vec<(&'static str, String)>,
    ) {
        let n = self.current;
        if kind == HandlerKind::AtLeastOnce {
            if let Some(c) = fx.blocked.first() {
                found.push((
                    "tracker-blocked",
                    format!("input channel {c} is blocked, but the at-least-once tracker never blocks"),
                ));
            }
            return;
        }
        for &c in &fx.blocked {
            let b = self.barrier.get(c as usize).copied().unwrap_or(CheckpointId::NONE);
            let why = if b != n {
                Some(format!("its last barrier is for checkpoint {b}, but checkpoint {n} is the newest handed"))
            } else if self.cur.ended {
                Some(format!("checkpoint {n} was cancelled (a cancel marker handed or forwarded)"))
            } else if self.cur.snapshot.is_some() {
                Some(format!("checkpoint {n}'s snapshot was already taken"))
            } else if !self.cur.started {
                Some(format!("checkpoint {n} was never started"))
            } else {
                None
            };
            if let Some(why) = why {
                found.push(("blocked-after-alignment", format!(
                    "input channel {c} is still blocked: {why} (a channel is blocked only between its barrier and the end of that checkpoint's alignment)"
                )));
                break;
            }
        }
        if let Handed::Barrier(ch, b) = handed {
            let c = ch.0 as usize;
            let open = !self.closed.get(c).copied().unwrap_or(true);
            if b.id == n && open && self.cur.started && !self.blocking_over() && !fx.blocked.contains(&ch.0) {
                found.push(("barrier-not-blocking", format!(
                    "input channel {} delivered the barrier of checkpoint {n}, which is still being aligned, but the channel is not blocked (records after the barrier would enter the checkpoint)",
                    ch.0
                )));
            }
        }
        if self.cur.started && !self.blocking_over() && self.all_in() {
            found.push(("alignment-not-completed", format!(
                "every input channel delivered the barrier of checkpoint {n} or ended, but {n} was neither snapshotted nor aborted"
            )));
        }
        // The timer, a barrier of a live id or an end of partition check the timeout.
        let checks = match handed {
            Handed::Timeout | Handed::EndOfPartition(_) => was_pending || n > before,
            Handed::Barrier(_, b) => b.id > before || (b.id == before && was_pending),
            _ => false,
        };
        if let (true, false, Some((ts, timeout_ms))) = (checks, fx.blocked.is_empty(), self.cur.clock) {
            if now > ts + timeout_ms && !self.blocking_over() {
                found.push(("timeout-late", format!(
                    "checkpoint {n} is still aligned (channels blocked) at {now} ms, after its alignment timeout was due (timestamp {ts} + timeout {timeout_ms} ms)"
                )));
            }
        }
    }
}

impl Handed {
    /// The control event an input element is, if it is one (a barrier, a cancel marker, an end
    /// of partition).
    pub fn of(ch: ChannelId, el: &StreamElement) -> Option<Handed> {
        match el {
            StreamElement::Barrier(b) => Some(Handed::Barrier(ch, *b)),
            StreamElement::CancelMarker(id) => Some(Handed::CancelMarker(ch, *id)),
            StreamElement::EndOfPartition => Some(Handed::EndOfPartition(ch)),
            _ => None,
        }
    }
}
