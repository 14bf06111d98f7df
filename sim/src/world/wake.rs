//! Wake-ups of the world's loops: one permit flag, one waker and one live madsim timer per sleeping loop (`wait`, `World::notify`, `World::wake_at`), instead of a tokio `Notify` per loop and a madsim timer per armed wake-up.
//!
//! A loop (a node's control loop, a task attempt, a TaskManager's uploader) sleeps in [`wait`]
//! until it is notified or virtual time reaches its wake-up time. Everything a loop needs sits in
//! its [`SleepState`], keyed by [`Sleeper`] in the world:
//!
//! * `notified`: a permit, with the semantics of tokio's `Notify::notify_one` (a notification
//!   while the loop is not sleeping makes its next `wait` return at once);
//! * `waker` and `at_ms` while it sleeps;
//! * `timer`: the one madsim timer that may wake it. madsim cannot cancel a timer, so the timer
//!   wakes the loop through a [`TimerTarget`] whose `live` flag the world clears when the timer
//!   no longer stands for the loop's wake-up time (the loop woke otherwise, or its wake-up moved
//!   earlier). A dead timer's expiry then costs nothing beyond madsim's timer wheel: the loop is
//!   not polled. A loop that sleeps again until the same time re-enables its pending timer
//!   instead of arming another.

use super::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Waker;

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
    /// The last madsim timer armed for the loop: when it expires (ms) and its target.
    timer: Option<(u64, Arc<TimerTarget>)>,
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

/// Who sleeps until when, and how to wake them.
pub(super) struct Wakers {
    pub(super) sleepers: BTreeMap<Sleeper, SleepState>,
    /// The live task attempts: deployed on a TaskManager and not ended (notifications reach
    /// only these).
    pub(super) live_tasks: BTreeSet<(TaskId, Attempt)>,
    pub(super) chaos: Arc<Notify>,
}

impl Wakers {
    pub(super) fn new() -> Wakers {
        Wakers { sleepers: BTreeMap::new(), live_tasks: BTreeSet::new(), chaos: Arc::new(Notify::new()) }
    }

    /// Forgets `who` (a loop that ended or whose process died): its permit, waker and timer.
    pub(super) fn forget(&mut self, who: Sleeper) {
        if let Some(st) = self.sleepers.remove(&who) {
            if let Some((_, t)) = st.timer {
                t.live.store(false, Ordering::Relaxed);
            }
        }
    }
}

impl World {
    /// Notifies `who`: wakes it if it sleeps in [`wait`], else its next `wait` returns at once.
    pub(super) fn notify(&mut self, who: Sleeper) {
        let st = self.wake.sleepers.entry(who).or_default();
        st.notified = true;
        if let Some(w) = st.waker.take() {
            w.wake();
        }
    }

    /// Notifies a live task attempt (nothing for one that ended or was never deployed).
    pub(super) fn notify_task(&mut self, key: (TaskId, Attempt)) {
        if self.wake.live_tasks.contains(&key) {
            self.notify(Sleeper::Task(key.0, key.1));
        }
    }

    /// Makes `who` wake at `at_ms` if it sleeps in [`wait`] past then, so a message or buffer
    /// in flight costs its receiver one wake-up, at arrival. A loop that is not sleeping
    /// computes its deadline from the queues before it sleeps, so it needs nothing.
    pub(super) fn wake_at(&mut self, who: Sleeper, at_ms: u64) {
        let now = self.now();
        let Some(st) = self.wake.sleepers.get_mut(&who) else { return };
        if st.waker.is_none() || st.at_ms.is_some_and(|d| d <= at_ms) {
            return;
        }
        st.at_ms = Some(at_ms);
        set_timer(&self.clock, self.t0, st, at_ms, now);
    }
}

/// Points `st`'s one live timer at `at_ms`: re-enables its pending timer when that expires
/// then, otherwise disables it and arms a new one (madsim's timers cannot be cancelled).
fn set_timer(clock: &SimClock, t0: Instant, st: &mut SleepState, at_ms: u64, now: u64) {
    // madsim's `sleep_until` never sleeps less than 1 ms.
    let expires_ms = at_ms.max(now + 1);
    let mut spent = None;
    if let Some((t, target)) = st.timer.take() {
        if t == expires_ms && t > now {
            target.live.store(true, Ordering::Relaxed);
            st.timer = Some((t, target));
            return;
        }
        target.live.store(false, Ordering::Relaxed);
        spent = Some(target);
    }
    let Some(waker) = &st.waker else { return };
    // The previous target is reused when no pending madsim timer holds it any more (its timer
    // expired: only `st` holds it) and it wakes the same loop: one allocation less per armed
    // timer. madsim sees the same timers either way.
    let target = match spent {
        Some(target) if Arc::strong_count(&target) == 1 && target.waker.will_wake(waker) => {
            target.live.store(true, Ordering::Relaxed);
            target
        }
        _ => Arc::new(TimerTarget { live: AtomicBool::new(true), waker: waker.clone() }),
    };
    arm_timer(clock, t0, at_ms, &Waker::from(target.clone()));
    st.timer = Some((expires_ms, target));
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
pub(super) async fn wait(s: &Shared, who: Sleeper, deadline_ms: Option<u64>) {
    use std::task::Poll;
    let mut registered = false;
    std::future::poll_fn(|cx| {
        s.with(|w| {
            let now = w.now();
            let (clock, t0) = (&w.clock, w.t0);
            let st = w.wake.sleepers.entry(who).or_default();
            let due = registered && st.at_ms.is_some_and(|d| d <= now);
            if st.notified || due {
                st.notified = false;
                st.waker = None;
                st.at_ms = None;
                if let Some((_, t)) = &st.timer {
                    // Woken: the timer no longer stands for a wake-up (re-enabled by the
                    // next wait if that sleeps until the same time).
                    t.live.store(false, Ordering::Relaxed);
                }
                return Poll::Ready(());
            }
            if !registered {
                registered = true;
                st.waker = Some(cx.waker().clone());
                st.at_ms = deadline_ms;
                if let Some(d) = deadline_ms {
                    set_timer(clock, t0, st, d, now);
                }
            }
            Poll::Pending
        })
    })
    .await;
}
