//! Wake-ups of the world's loops: one permit flag, one waker and one live madsim timer per sleeping loop (`wait`, `World::notify`, `World::wake_at`), instead of a tokio `Notify` per loop and a madsim timer per armed wake-up.
//!
//! A loop (a node's control loop, a task attempt, a TaskManager's uploader) sleeps in [`wait`]
//! until it is notified or virtual time reaches its wake-up time. Everything a loop needs sits in
//! its [`SleepState`], keyed by [`Sleeper`] in the world:
//!
//! * `notified`: a permit, with the semantics of tokio's `Notify::notify_one` (a notification
//!   while the loop is not sleeping makes its next `wait` return at once);
//! * `waker` and `at_ms` while it sleeps;
//! * `timers`: the madsim timers armed for it and not yet expired, at most one of them live.
//!   madsim cannot cancel a timer, so a timer wakes the loop through a [`TimerTarget`] whose
//!   `live` flag the world clears when the timer no longer stands for the loop's wake-up time
//!   (the loop woke otherwise, or its wake-up moved earlier). A dead timer's expiry then costs
//!   nothing beyond madsim's timer wheel: the loop is not polled. A loop that sleeps again until
//!   the time of any of its pending timers re-enables that timer instead of arming another (a
//!   buffer arriving before a source's next record costs one timer, not two: the loop goes back
//!   to sleep until the record's time, whose timer is still pending).

use super::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Waker;

/// Why a loop woke, or which madsim sleep ended: `CKPTSIM_DEBUG_COUNTS=1` prints the wake-ups
/// of a run by cause (BENCHMARKS.md, session 42). Bookkeeping only: no decision reads it, and
/// it is never part of a result or the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(super) enum WakeCause {
    /// Not attributed (a notification or deadline without a cause of its own).
    #[default]
    Other,
    /// A task's mail: a trigger, a checkpoint's completion or abort notification.
    Mail,
    /// A socket source's line or its end of input.
    Line,
    /// A cancel (by the JobManager, or all tasks at a JobManager crash).
    Cancel,
    /// A fault's state changed, a task-failure fault, the JobManager lost by a TaskManager.
    Fault,
    /// A receiver freed the first credit of a channel the task waits on.
    Credit,
    /// A new buffer or event reached the task's input channel (`flush`, a priority barrier).
    Buffer,
    /// A checkpoint gate asks a waiting source again (`gates.rs`).
    Gate,
    /// A state update's RPC timeout.
    RpcTimeout,
    /// A control message reaches a node (the JobManager, a TaskManager).
    Message,
    /// A snapshot's asynchronous upload is due (a TaskManager's uploader).
    Upload,
    /// A source's next record is due (the log's or a user source's next record time).
    SourceRecord,
    /// An input channel's next item is due (queued, not yet arrived).
    InputDue,
    /// A gate's failed request is retried (`gate_retry_at`).
    GateRetry,
    /// The core task's own timeout (`Task::poll_timeout`).
    TaskTimer,
    /// A partly filled output buffer's buffer timeout.
    BufferTimeout,
    /// A Kafka-style auto-commit.
    AutoCommit,
    /// A periodic watermark.
    Watermark,
    /// A processing-time timer.
    ProcessingTimer,
    /// The JobMaster's next timeout (`JobMaster::poll_timeout`: triggers, timeouts, restarts).
    JmTimer,
    /// A TaskManager's heartbeat timeout judged by the JobManager.
    HeartbeatTimeout,
    /// madsim sleeps outside [`wait`]: a TaskManager's heartbeat tick.
    SleepHeartbeat,
    /// A task loop paying its CPU debt.
    SleepCpu,
    /// A snapshot's synchronous part.
    SleepSnapshot,
    /// A task's deployment and restore.
    SleepDeploy,
    /// A task's cancel latency.
    SleepCancel,
}

impl WakeCause {
    /// Every cause, in the order printed.
    pub(super) const ALL: [WakeCause; 26] = [
        WakeCause::Other,
        WakeCause::Mail,
        WakeCause::Line,
        WakeCause::Cancel,
        WakeCause::Fault,
        WakeCause::Credit,
        WakeCause::Buffer,
        WakeCause::Gate,
        WakeCause::RpcTimeout,
        WakeCause::Message,
        WakeCause::Upload,
        WakeCause::SourceRecord,
        WakeCause::InputDue,
        WakeCause::GateRetry,
        WakeCause::TaskTimer,
        WakeCause::BufferTimeout,
        WakeCause::AutoCommit,
        WakeCause::Watermark,
        WakeCause::ProcessingTimer,
        WakeCause::JmTimer,
        WakeCause::HeartbeatTimeout,
        WakeCause::SleepHeartbeat,
        WakeCause::SleepCpu,
        WakeCause::SleepSnapshot,
        WakeCause::SleepDeploy,
        WakeCause::SleepCancel,
    ];

    /// The name printed by `CKPTSIM_DEBUG_COUNTS`.
    pub(super) fn name(self) -> &'static str {
        match self {
            WakeCause::Other => "other",
            WakeCause::Mail => "mail",
            WakeCause::Line => "line",
            WakeCause::Cancel => "cancel",
            WakeCause::Fault => "fault",
            WakeCause::Credit => "credit",
            WakeCause::Buffer => "buffer",
            WakeCause::Gate => "gate",
            WakeCause::RpcTimeout => "rpc-timeout",
            WakeCause::Message => "message",
            WakeCause::Upload => "upload",
            WakeCause::SourceRecord => "source-record",
            WakeCause::InputDue => "input-due",
            WakeCause::GateRetry => "gate-retry",
            WakeCause::TaskTimer => "task-timer",
            WakeCause::BufferTimeout => "buffer-timeout",
            WakeCause::AutoCommit => "auto-commit",
            WakeCause::Watermark => "watermark",
            WakeCause::ProcessingTimer => "processing-timer",
            WakeCause::JmTimer => "jm-timer",
            WakeCause::HeartbeatTimeout => "heartbeat-timeout",
            WakeCause::SleepHeartbeat => "sleep:heartbeat",
            WakeCause::SleepCpu => "sleep:cpu",
            WakeCause::SleepSnapshot => "sleep:snapshot",
            WakeCause::SleepDeploy => "sleep:deploy",
            WakeCause::SleepCancel => "sleep:cancel",
        }
    }
}

/// The earliest of `deadlines` and its cause (the first listed among equal times).
pub(super) fn earliest<const N: usize>(deadlines: [(Option<u64>, WakeCause); N]) -> (Option<u64>, WakeCause) {
    let mut best: (Option<u64>, WakeCause) = (None, WakeCause::Other);
    for (at, cause) in deadlines {
        if let Some(at) = at {
            if best.0.is_none_or(|b| at < b) {
                best = (Some(at), cause);
            }
        }
    }
    best
}

/// A loop that sleeps in [`wait`]: a node's control loop or a task attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Sleeper {
    Node(Addr),
    Task(TaskId, Attempt),
    /// A TaskManager's snapshot uploader (`uploads.rs`).
    Uploader(u32),
}

/// What the world knows about one loop's sleep.
#[derive(Default)]
pub(super) struct SleepState {
    /// A notification not yet consumed by a `wait` (one permit, like `Notify::notify_one`).
    notified: bool,
    /// While the loop sleeps in [`wait`]: its waker.
    waker: Option<Waker>,
    /// While the loop sleeps: the virtual time it wakes at (absent: only when notified).
    at_ms: Option<u64>,
    /// Why it wakes at `at_ms`, and why it was notified (debug counts only).
    at_cause: WakeCause,
    notified_cause: WakeCause,
    /// The madsim timers armed for the loop that had not expired when last looked at: when
    /// each expires (ms) and its target; at most one live.
    timers: Vec<(u64, Arc<TimerTarget>)>,
}

/// A madsim timer's target: wakes the loop only while `live`.
pub(super) struct TimerTarget {
    live: AtomicBool,
    waker: Waker,
}

impl std::task::Wake for TimerTarget {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.live.load(Ordering::Relaxed) {
            self.waker.wake_by_ref();
        }
    }
}

/// Indices past this go to [`Sleepers::other`] (a B-tree) instead of a dense vector.
const DENSE_LIMIT: usize = 1 << 16;

/// Every loop's [`SleepState`], by [`Sleeper`], in vectors indexed by node address, TaskManager
/// and task instead of one B-tree (a `wait`, `notify` or `wake_at` is a lookup here: ~3 % of a
/// swarm seed's instructions were that B-tree's searches, BENCHMARKS.md session 27).
///
/// A loop without an entry and a loop whose state is the default one behave the same everywhere
/// (`wake_at` skips both: no waker; `notify` and `wait` create the entry; `forget` of a default
/// state disables no timer), so an absent loop is kept as a default state and nothing depends on
/// which loops have entries. Nothing iterates the states in an order that matters: the run's
/// end ([`Sleepers::forget_all`]) only disables every timer.
#[derive(Default)]
pub(super) struct Sleepers {
    /// `Sleeper::Node(addr)` at `addr + 4` (wrapping: the four service addresses at the top of
    /// the `u32` range come first).
    nodes: Vec<SleepState>,
    /// `Sleeper::Uploader(tm)` at `tm`.
    uploaders: Vec<SleepState>,
    /// `Sleeper::Task(task, attempt)` at `task`: the task's attempts with a state (a few).
    tasks: Vec<Vec<(Attempt, SleepState)>>,
    /// Any sleeper whose index is past [`DENSE_LIMIT`].
    other: BTreeMap<Sleeper, SleepState>,
}

/// Where a sleeper's state lives in [`Sleepers`].
enum Place {
    Node(usize),
    Uploader(usize),
    Task(usize, Attempt),
    Other,
}

fn place(who: Sleeper) -> Place {
    let dense = |i: usize| i < DENSE_LIMIT;
    match who {
        Sleeper::Node(addr) if dense(addr.wrapping_add(4) as usize) => Place::Node(addr.wrapping_add(4) as usize),
        Sleeper::Uploader(tm) if dense(tm as usize) => Place::Uploader(tm as usize),
        Sleeper::Task(task, attempt) if dense(task.0 as usize) => Place::Task(task.0 as usize, attempt),
        _ => Place::Other,
    }
}

/// `v[i]`, the vector grown with default values to hold it.
fn slot<T: Default>(v: &mut Vec<T>, i: usize) -> &mut T {
    if v.len() <= i {
        v.resize_with(i + 1, T::default);
    }
    &mut v[i]
}

impl Sleepers {
    /// `who`'s state, a default one made if it had none (`BTreeMap::entry(..).or_default()`).
    pub(super) fn entry(&mut self, who: Sleeper) -> &mut SleepState {
        match place(who) {
            Place::Node(i) => slot(&mut self.nodes, i),
            Place::Uploader(i) => slot(&mut self.uploaders, i),
            Place::Task(i, attempt) => {
                let attempts = slot(&mut self.tasks, i);
                // The newest attempt is the one looked up most: search from the end.
                match attempts.iter().rposition(|(a, _)| *a == attempt) {
                    Some(j) => &mut attempts[j].1,
                    None => {
                        attempts.push((attempt, SleepState::default()));
                        &mut attempts.last_mut().expect("just pushed").1
                    }
                }
            }
            Place::Other => self.other.entry(who).or_default(),
        }
    }

    /// `who`'s state if it has one (a default state may be returned for a loop without one).
    pub(super) fn get_mut(&mut self, who: Sleeper) -> Option<&mut SleepState> {
        match place(who) {
            Place::Node(i) => self.nodes.get_mut(i),
            Place::Uploader(i) => self.uploaders.get_mut(i),
            Place::Task(i, attempt) => {
                let attempts = self.tasks.get_mut(i)?;
                attempts.iter_mut().rev().find(|(a, _)| *a == attempt).map(|(_, st)| st)
            }
            Place::Other => self.other.get_mut(&who),
        }
    }

    /// Removes `who`'s state (a default one if it had none).
    fn remove(&mut self, who: Sleeper) -> SleepState {
        match place(who) {
            Place::Node(i) => self.nodes.get_mut(i).map(std::mem::take).unwrap_or_default(),
            Place::Uploader(i) => self.uploaders.get_mut(i).map(std::mem::take).unwrap_or_default(),
            Place::Task(i, attempt) => {
                let Some(attempts) = self.tasks.get_mut(i) else { return SleepState::default() };
                match attempts.iter().rposition(|(a, _)| *a == attempt) {
                    Some(j) => attempts.swap_remove(j).1,
                    None => SleepState::default(),
                }
            }
            Place::Other => self.other.remove(&who).unwrap_or_default(),
        }
    }

    /// Forgets every loop (the run's end): every timer disabled, every waker released.
    pub(super) fn forget_all(&mut self) {
        let states = (self.nodes.drain(..))
            .chain(self.uploaders.drain(..))
            .chain(self.tasks.drain(..).flatten().map(|(_, st)| st))
            .chain(std::mem::take(&mut self.other).into_values());
        for st in states {
            st.disable_timers();
        }
    }
}

/// Who sleeps until when, and how to wake them.
pub(super) struct Wakers {
    pub(super) sleepers: Sleepers,
    /// The live task attempts: deployed on a TaskManager and not ended (notifications reach
    /// only these).
    pub(super) live_tasks: BTreeSet<(TaskId, Attempt)>,
    pub(super) chaos: Arc<Notify>,
}

impl Wakers {
    pub(super) fn new() -> Wakers {
        Wakers { sleepers: Sleepers::default(), live_tasks: BTreeSet::new(), chaos: Arc::new(Notify::new()) }
    }

    /// Forgets `who` (a loop that ended or whose process died): its permit, waker and timer.
    pub(super) fn forget(&mut self, who: Sleeper) {
        self.sleepers.remove(who).disable_timers();
    }
}

impl World {
    /// Notifies `who`: wakes it if it sleeps in [`wait`], else its next `wait` returns at once.
    pub(super) fn notify(&mut self, who: Sleeper, cause: WakeCause) {
        let st = self.wake.sleepers.entry(who);
        if !st.notified {
            st.notified_cause = cause;
        }
        st.notified = true;
        if let Some(w) = st.waker.take() {
            w.wake();
        }
    }

    /// Notifies a live task attempt (nothing for one that ended or was never deployed).
    pub(super) fn notify_task(&mut self, key: (TaskId, Attempt), cause: WakeCause) {
        if self.wake.live_tasks.contains(&key) {
            self.notify(Sleeper::Task(key.0, key.1), cause);
        }
    }

    /// Makes `who` wake at `at_ms` if it sleeps in [`wait`] past then, so a message or buffer
    /// in flight costs its receiver one wake-up, at arrival. A loop that is not sleeping
    /// computes its deadline from the queues before it sleeps, so it needs nothing.
    pub(super) fn wake_at(&mut self, who: Sleeper, at_ms: u64, cause: WakeCause) {
        let now = self.now();
        let Some(st) = self.wake.sleepers.get_mut(who) else { return };
        if st.waker.is_none() || st.at_ms.is_some_and(|d| d <= at_ms) {
            return;
        }
        st.at_ms = Some(at_ms);
        st.at_cause = cause;
        if set_timer(&self.clock, self.t0, st, at_ms, now) {
            self.budget.counts.timers_armed += 1;
        }
    }
}

/// Points `st`'s one live timer at `at_ms`: re-enables a pending timer that expires then,
/// otherwise arms a new one; every other timer of the loop is disabled (madsim's timers cannot
/// be cancelled). Returns whether it armed a new madsim timer.
fn set_timer(clock: &SimClock, t0: Instant, st: &mut SleepState, at_ms: u64, now: u64) -> bool {
    // madsim's `sleep_until` never sleeps less than 1 ms.
    let expires_ms = at_ms.max(now + 1);
    let mut spent = None;
    let mut found = false;
    let waker = st.waker.as_ref();
    // Expired timers leave the list (madsim fired them); one of their targets may be reused.
    // A pending timer is re-enabled only if it wakes this loop's task (a restarted node's loop
    // is another madsim task under the same `Sleeper`).
    st.timers.retain(|(t, target)| {
        let pending = *t > now;
        let live = pending && *t == expires_ms && !found && waker.is_some_and(|w| target.waker.will_wake(w));
        target.live.store(live, Ordering::Relaxed);
        found |= live;
        if !pending && spent.is_none() {
            spent = Some(target.clone());
        }
        pending
    });
    if found {
        return false;
    }
    let Some(waker) = &st.waker else { return false };
    // A spent target is reused when no pending madsim timer holds it any more (its timer
    // expired: only this function holds it) and it wakes the same loop: one allocation less per
    // armed timer.
    let target = match spent {
        Some(target) if Arc::strong_count(&target) == 1 && target.waker.will_wake(waker) => {
            target.live.store(true, Ordering::Relaxed);
            target
        }
        _ => Arc::new(TimerTarget { live: AtomicBool::new(true), waker: waker.clone() }),
    };
    arm_timer(clock, t0, at_ms, &Waker::from(target.clone()));
    st.timers.push((expires_ms, target));
    true
}

/// Registers a madsim timer at `at_ms` that wakes `waker` (madsim's `Sleep` adds its timer when
/// first polled, and a timer that outlives its sleep only causes a spurious poll).
fn arm_timer(clock: &SimClock, t0: Instant, at_ms: u64, waker: &Waker) {
    use std::future::Future;
    let mut sleeper = std::pin::pin!(clock.time.sleep_until(t0 + Duration::from_millis(at_ms)));
    if sleeper.as_mut().poll(&mut std::task::Context::from_waker(waker)).is_ready() {
        waker.wake_by_ref();
    }
}

/// Sleeps `who` until it is notified ([`World::notify`]) or virtual time reaches its wake-up
/// time: `deadline_ms`, or earlier if [`World::wake_at`] moves it (a message or buffer due
/// sooner). A pending notification returns at once.
pub(super) async fn wait(s: &Shared, who: Sleeper, deadline_ms: Option<u64>, cause: WakeCause) {
    use std::task::Poll;
    let mut registered = false;
    std::future::poll_fn(|cx| {
        s.with(|w| {
            let now = w.now();
            let (clock, t0) = (&w.clock, w.t0);
            let st = w.wake.sleepers.entry(who);
            if let Some(why) = st.take_wake(registered, now) {
                w.budget.counts.woke(why);
                return Poll::Ready(());
            }
            if !registered {
                registered = true;
                if st.register(cx.waker(), deadline_ms, cause, clock, t0, now) {
                    w.budget.counts.timers_armed += 1;
                }
            }
            Poll::Pending
        })
    })
    .await;
}

impl SleepState {
    /// Disables the loop's madsim timers (it ended, or its process died).
    fn disable_timers(self) {
        for (_, t) in self.timers {
            t.live.store(false, Ordering::Relaxed);
        }
    }

    /// Whether the loop wakes now, and why: notified, or (`registered`: it sleeps) its wake-up
    /// time came. Waking clears its sleep.
    pub(super) fn take_wake(&mut self, registered: bool, now: u64) -> Option<WakeCause> {
        let due = registered && self.at_ms.is_some_and(|d| d <= now);
        if !(self.notified || due) {
            return None;
        }
        let why = if self.notified { self.notified_cause } else { self.at_cause };
        self.notified = false;
        self.waker = None;
        self.at_ms = None;
        for (_, t) in &self.timers {
            // Woken: no timer stands for a wake-up any more (one is re-enabled by the
            // next wait if that sleeps until its time).
            t.live.store(false, Ordering::Relaxed);
        }
        Some(why)
    }

    /// The loop goes to sleep with `waker` until notified or `deadline_ms`. Returns whether a
    /// madsim timer was armed for it.
    pub(super) fn register(
        &mut self,
        waker: &Waker,
        deadline_ms: Option<u64>,
        cause: WakeCause,
        clock: &SimClock,
        t0: Instant,
        now: u64,
    ) -> bool {
        self.waker = Some(waker.clone());
        self.at_ms = deadline_ms;
        self.at_cause = cause;
        deadline_ms.is_some_and(|d| set_timer(clock, t0, self, d, now))
    }
}
