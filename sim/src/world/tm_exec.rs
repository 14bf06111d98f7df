//! A TaskManager process's task attempts driven inside the TaskManager's one madsim task, from a deterministic FIFO ready queue, instead of one madsim task per attempt.
//!
//! Each attempt's loop (`tasks.rs::task_main`) is a future owned by its TaskManager's
//! [`TmExec`]. Its waker ([`AttemptWaker`]) does not reach madsim's executor: it appends the
//! attempt to the TaskManager's ready queue (once) and wakes the TaskManager's madsim task. The
//! TaskManager's loop (`taskmanager.rs::tm_main`) handles its inbox (deployments, cancels,
//! triggers and notifications become mails and notifications of the attempts), then polls the
//! ready attempts in the order they were woken; an attempt woken again during the same round
//! (it yielded, or its own step notified it) waits for the TaskManager's next madsim poll, so a
//! loop that always finds work (the planted `idle-spin` livelock) still lets the other madsim
//! tasks run. Everything an attempt awaits (madsim timers, notifications, `wait`) is unchanged:
//! only who polls it changed.
//!
//! Faults keep their meaning: a TaskManager crash kills its madsim node, which drops the
//! TaskManager's task and with it every attempt's future (as it dropped the attempts' own madsim
//! tasks before); an attempt that fails, is cancelled or finishes ends its future, which leaves
//! the executor at once.

use super::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Wake, Waker};

/// The ready queue a TaskManager's attempts' wakers append to.
#[derive(Default)]
struct Ready {
    /// Attempts (by slot) woken and not yet polled, in the order they were woken.
    queue: VecDeque<usize>,
    /// The TaskManager's madsim waker, while its loop sleeps.
    host: Option<Waker>,
}

/// The waker of one attempt's future: queues the attempt (once until it is polled) and wakes
/// the TaskManager.
struct AttemptWaker {
    slot: usize,
    queued: AtomicBool,
    ready: Arc<Mutex<Ready>>,
}

impl Wake for AttemptWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::Relaxed) {
            return;
        }
        let host = {
            let mut r = self.ready.lock().expect("ready queue lock");
            r.queue.push_back(self.slot);
            r.host.take()
        };
        if let Some(h) = host {
            h.wake();
        }
    }
}

/// One attempt's future and its waker (kept for its whole life, so `Waker::will_wake` holds
/// across polls: `wake.rs` reuses a pending madsim timer only for the same waker).
struct Slot {
    future: Pin<Box<dyn Future<Output = ()>>>,
    state: Arc<AttemptWaker>,
    waker: Waker,
    /// The round (`TmExec::round`) it was last polled in.
    polled_in: u64,
}

/// The task attempts of one TaskManager process.
pub(super) struct TmExec {
    ready: Arc<Mutex<Ready>>,
    /// The attempts by slot number (a slot is never reused; `None` once its attempt ended).
    slots: Vec<Option<Slot>>,
    /// Rounds of `run_ready` so far.
    round: u64,
}

impl TmExec {
    pub(super) fn new() -> TmExec {
        TmExec { ready: Arc::new(Mutex::new(Ready::default())), slots: Vec::new(), round: 0 }
    }

    /// Adds an attempt's loop, ready to be polled.
    pub(super) fn spawn(&mut self, future: Pin<Box<dyn Future<Output = ()>>>) {
        let slot = self.slots.len();
        let state = Arc::new(AttemptWaker { slot, queued: AtomicBool::new(false), ready: self.ready.clone() });
        let waker = Waker::from(state.clone());
        waker.wake_by_ref();
        self.slots.push(Some(Slot { future, state, waker, polled_in: 0 }));
    }

    /// Polls the ready attempts in the order they were woken, each at most once. Returns
    /// whether an attempt is ready again (woken during this round).
    fn run_ready(&mut self) -> bool {
        self.round += 1;
        loop {
            let next = {
                let mut r = self.ready.lock().expect("ready queue lock");
                let Some(&slot) = r.queue.front() else { return false };
                if self.slots[slot].as_ref().is_some_and(|s| s.polled_in == self.round) {
                    return true;
                }
                r.queue.pop_front();
                slot
            };
            // An attempt that ended left its slot; a stale waker (a madsim timer it armed) may
            // still queue it.
            let Some(s) = self.slots[next].as_mut() else { continue };
            s.state.queued.store(false, Ordering::Relaxed);
            s.polled_in = self.round;
            if s.future.as_mut().poll(&mut Context::from_waker(&s.waker)).is_ready() {
                self.slots[next] = None;
            }
        }
    }

    /// Runs the ready attempts, then sleeps the TaskManager's loop until a message reaches it
    /// (`wait` on `Sleeper::Node`, until `deadline_ms`) or an attempt is woken, which runs in
    /// the same madsim poll. Returns when the loop has messages to look at.
    pub(super) async fn run_until_message(&mut self, s: &Shared, who: Sleeper, deadline_ms: Option<u64>) {
        use std::task::Poll;
        let mut registered = false;
        std::future::poll_fn(|cx| {
            let again = self.run_ready();
            let woken = s.with(|w| {
                let now = w.now();
                let (clock, t0) = (&w.clock, w.t0);
                let st = w.wake.sleepers.entry(who);
                if let Some(why) = st.take_wake(registered, now) {
                    w.budget.counts.woke(why);
                    return true;
                }
                if !registered {
                    registered = true;
                    if st.register(cx.waker(), deadline_ms, WakeCause::Message, clock, t0, now) {
                        w.budget.counts.timers_armed += 1;
                    }
                }
                false
            });
            if woken {
                return Poll::Ready(());
            }
            if again {
                // An attempt woke during this round: give the other madsim tasks a turn first.
                cx.waker().wake_by_ref();
            } else {
                self.ready.lock().expect("ready queue lock").host = Some(cx.waker().clone());
            }
            Poll::Pending
        })
        .await;
        self.ready.lock().expect("ready queue lock").host = None;
    }
}
