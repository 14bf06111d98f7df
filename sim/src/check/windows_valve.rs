//! Part of the `windows` checker: each task's combined watermark re-derived from what it took, by Flink's `StatusWatermarkValve` rules, against the watermark and status it had, the windows it fired and the elements it judged late.
//!
//! **Reference.** The world records, for every task with input channels of a job with event
//! time, each watermark and watermark status the task took and from which channel, with the
//! task's watermark (the last its operators processed) and status after it, and every window
//! its event-time window fired (`RunResult::valve_steps`). Per task attempt (a new attempt
//! starts with a fresh valve: watermarks are not restored) this module keeps its own valve,
//! written from Flink's `StatusWatermarkValve` (1.11 `StreamStatus`, 2.x `WatermarkStatus`;
//! the same rules):
//! * every channel starts ACTIVE and aligned at `Long.MIN_VALUE`;
//! * a watermark counts only while the valve's output and the channel are ACTIVE and when it
//!   advances the channel; a channel not aligned becomes aligned once it reaches the valve's
//!   last output; the output is then the minimum over the aligned channels if that advances it;
//! * a channel going IDLE leaves the minimum (not aligned); if every channel is now idle, the
//!   largest watermark over all channels is flushed (when the channel that just went idle held
//!   the last output) and the valve emits IDLE; otherwise, if that channel held the last output,
//!   the minimum over the remaining aligned channels may advance;
//! * a channel back to ACTIVE is aligned at once only if its watermark is not behind the
//!   valve's last output (else it joins the minimum when it catches up); an IDLE valve emits
//!   ACTIVE again.
//!
//! A 1.11 two-input operator (connect, a keyed or event-time join) has one valve per input and
//! takes the plain minimum of the inputs, idle or not (semantics §11.2, the step's `per_input`):
//! the same output as one valve over every channel until a channel goes IDLE, so such an
//! attempt is judged up to its first idle status and not after it.
//!
//! **Judging** (the first divergence per attempt; after it the attempt is not judged further):
//! * `watermark held back`: the task's watermark is below the valve's output, with an idle
//!   channel at the task's watermark or below (the planted `idle-input-holds-watermark`), or
//!   `watermark behind` without one;
//! * `watermark ahead`: above it (e.g. a resumed channel that is behind joined the minimum);
//! * `watermark backwards`: the task's watermark went below one it had;
//! * `watermark status wrong`: the task's status is not the valve's (it stayed IDLE after a
//!   channel resumed, or went IDLE with an active channel);
//! * `window fired early`: a window fired while its `maxTimestamp` was above the combined
//!   watermark;
//! * `late misjudged`: an element went to the late side output while the combined watermark had
//!   not passed every one of its windows' end + allowed lateness (Flink's `isWindowLate` /
//!   `isElementLate`), judged with the valve's output at the latest step at or before the
//!   element's millisecond (never lower than the one it met). Session 40: per window, each
//!   event-time window's own late elements (`RunResult::late_records` per operator) against its
//!   own assigner and allowed lateness (two windows beside each other, `late-windows-join`).
//!   Not judged here: an interval join's late sides (lateness by the element's timestamp against
//!   the join's watermark), and an attempt after its first divergence.

use super::*;
use crate::world::{ValveEvent, ValveStep};
use ckptsim::ids::{Attempt, TaskId};
use ckptsim::watermark::{Watermark, WatermarkEvent, WatermarkStatus};

/// One input channel of the re-derived valve.
#[derive(Clone, Copy)]
struct Channel {
    watermark: Watermark,
    active: bool,
    aligned: bool,
}

/// Flink's `StatusWatermarkValve`, re-derived (see the module doc).
struct Valve {
    channels: Vec<Channel>,
    last_output: Watermark,
    idle: bool,
}

impl Valve {
    fn new(channels: u32) -> Valve {
        let ch = Channel { watermark: Watermark::MIN, active: true, aligned: true };
        Valve { channels: vec![ch; channels as usize], last_output: Watermark::MIN, idle: false }
    }

    fn take(&mut self, ch: usize, event: WatermarkEvent) {
        match event {
            WatermarkEvent::Watermark(wm) => self.watermark(ch, wm),
            WatermarkEvent::Status(WatermarkStatus::Idle) => self.channel_idle(ch),
            WatermarkEvent::Status(WatermarkStatus::Active) => self.channel_active(ch),
        }
    }

    fn watermark(&mut self, ch: usize, wm: Watermark) {
        let last = self.last_output;
        let c = &mut self.channels[ch];
        if self.idle || !c.active || wm <= c.watermark {
            return;
        }
        c.watermark = wm;
        if wm >= last {
            c.aligned = true;
        }
        self.new_min();
    }

    fn channel_idle(&mut self, ch: usize) {
        let c = &mut self.channels[ch];
        if !c.active {
            return;
        }
        c.active = false;
        c.aligned = false;
        let held_last = c.watermark == self.last_output;
        if self.channels.iter().all(|c| !c.active) {
            let max = self.channels.iter().map(|c| c.watermark).max().unwrap_or(Watermark::MIN);
            if held_last && max > self.last_output {
                self.last_output = max;
            }
            self.idle = true;
        } else if held_last {
            self.new_min();
        }
    }

    fn channel_active(&mut self, ch: usize) {
        let last = self.last_output;
        let c = &mut self.channels[ch];
        if c.active {
            return;
        }
        c.active = true;
        if c.watermark >= last {
            c.aligned = true;
        }
        self.idle = false;
    }

    fn new_min(&mut self) {
        let min = self.channels.iter().filter(|c| c.aligned).map(|c| c.watermark).min();
        if let Some(min) = min.filter(|m| *m > self.last_output) {
            self.last_output = min;
        }
    }

    fn status(&self) -> WatermarkStatus {
        if self.idle {
            WatermarkStatus::Idle
        } else {
            WatermarkStatus::Active
        }
    }

    /// The channels as `[c0: 1999 ACTIVE, c1: 999 IDLE]`.
    fn show(&self) -> String {
        let chans: Vec<String> = self
            .channels
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let state = match (c.active, c.aligned) {
                    (false, _) => "IDLE",
                    (true, true) => "ACTIVE",
                    (true, false) => "ACTIVE, not aligned",
                };
                format!("c{i}: {} {state}", c.watermark)
            })
            .collect();
        format!("[{}]", chans.join(", "))
    }
}

/// One task attempt's judging state.
struct AttemptState {
    valve: Valve,
    /// The task's last recorded watermark.
    last_seen: Watermark,
    /// The task's watermark before the step that last advanced it (`window fired late`).
    before_advance: Watermark,
    /// A divergence was named: the attempt is not judged further.
    broken: bool,
    /// The valve's output after each step, for the late elements: (ms, watermark).
    outputs: Vec<(u64, Watermark)>,
}

/// What [`judge`] looked at.
#[derive(Default)]
pub(super) struct ValveCounts {
    /// Watermarks and statuses taken.
    pub(super) inputs: usize,
    /// Task attempts with any.
    pub(super) attempts: usize,
    /// Windows fired.
    pub(super) fires: usize,
    /// Late side-output elements judged.
    pub(super) late: usize,
}

/// Judges every task attempt's recorded valve steps (see the module doc).
pub(super) fn judge(spec: &JobSpec, run: &RunResult, anomalies: &mut Vec<Finding>) -> ValveCounts {
    let mut counts = ValveCounts::default();
    // Without allowed lateness an event-time window fires only by its timer (an element of a
    // window whose end the watermark passed is late and skipped), so at the first watermark at
    // or past its end (`window fired late`).
    let timers_only = spec.operators.iter().all(|o| match &o.kind {
        OpKind::EventWindow(w) => w.allowed_lateness_ms == 0 && w.time == ckptsim::window::WindowTime::Event,
        _ => true,
    });
    let mut attempts: BTreeMap<(TaskId, Attempt), AttemptState> = BTreeMap::new();
    for s in &run.valve_steps {
        match s.step {
            ValveEvent::Input { channel, channels, event, watermark, status, per_input } => {
                let a = attempts.entry((s.task, s.attempt)).or_insert_with(|| AttemptState {
                    valve: Valve::new(channels),
                    last_seen: Watermark::MIN,
                    before_advance: Watermark::MIN,
                    broken: false,
                    outputs: Vec::new(),
                });
                if a.broken || channel >= channels || a.valve.channels.len() != channels as usize {
                    continue;
                }
                if per_input && event == WatermarkEvent::Status(WatermarkStatus::Idle) {
                    // A 1.11 two-input operator combines its inputs' valves by the plain minimum
                    // (semantics §11.2): the same as one valve until a channel goes idle, then
                    // not; the attempt is judged up to here.
                    a.broken = true;
                    continue;
                }
                counts.inputs += 1;
                a.valve.take(channel as usize, event);
                a.outputs.push((s.at_ms, a.valve.last_output));
                let seen = watermark.unwrap_or(Watermark::MIN);
                if let Some(f) = diverges(s, (channel, event), &a.valve, (a.last_seen, seen, status)) {
                    anomalies.push(f);
                    a.broken = true;
                }
                if seen > a.last_seen {
                    a.before_advance = a.last_seen;
                }
                a.last_seen = a.last_seen.max(seen);
            }
            ValveEvent::Fired { window, watermark } => {
                let Some(a) = attempts.get(&(s.task, s.attempt)).filter(|a| !a.broken) else { continue };
                counts.fires += 1;
                if timers_only && watermark == a.last_seen && window.max_timestamp() <= a.before_advance.0 {
                    anomalies.push(fired_late(s, window, a));
                }
                if window.max_timestamp() > a.valve.last_output.0 {
                    anomalies.push(
                        Finding::new(
                            "window-fired-early",
                            format!(
                                "window fired early: t={} task {} attempt {} fired window {window} (maxTimestamp {}) \
                                 while its combined watermark by Flink's StatusWatermarkValve was {} over channels {}",
                                s.at_ms,
                                s.task,
                                s.attempt,
                                window.max_timestamp(),
                                a.valve.last_output,
                                a.valve.show()
                            ),
                        )
                        .at(s.at_ms),
                    );
                }
            }
        }
    }
    counts.attempts = attempts.len();
    counts.late = late_elements(spec, run, &attempts, anomalies);
    counts
}

/// `window fired late` (session 25): a window of a job without allowed lateness fired at a
/// watermark step although the task's watermark had passed its `maxTimestamp` at an earlier
/// step. Flink's `InternalTimerServiceImpl#advanceWatermark` fires every timer at or below the
/// new watermark (`timer.getTimestamp() <= time`), so each window fires at the first watermark
/// at or past its end.
fn fired_late(s: &ValveStep, window: ckptsim::window::TimeWindow, a: &AttemptState) -> Finding {
    Finding::new(
        "window-fired-late",
        format!(
            "window fired late: t={} task {} attempt {} fired window {window} (maxTimestamp {}) at watermark {}, but its \
             watermark was already {} at an earlier step (Flink fires a timer at the first watermark at or past it)",
            s.at_ms,
            s.task,
            s.attempt,
            window.max_timestamp(),
            a.last_seen,
            a.before_advance
        ),
    )
    .at(s.at_ms)
}

/// The first way the task's recorded watermark and status after step `s` differ from the
/// valve's, as a finding. `seen`: (the task's watermark before, after, its status after).
fn diverges(
    s: &ValveStep,
    (channel, event): (u32, WatermarkEvent),
    valve: &Valve,
    (before, after, status): (Watermark, Watermark, WatermarkStatus),
) -> Option<Finding> {
    let took = match event {
        WatermarkEvent::Watermark(w) => format!("watermark {w}"),
        WatermarkEvent::Status(st) => format!("status {st:?}"),
    };
    let at = format!("t={} task {} attempt {} took {took} on channel {channel}", s.at_ms, s.task, s.attempt);
    let want = valve.last_output;
    let (kind, what) = if after < before {
        ("watermark-backwards", format!("watermark backwards: {at}; its watermark went from {before} back to {after}"))
    } else if after < want {
        let idle_holds = valve.channels.iter().any(|c| !c.active && c.watermark <= after);
        let (kind, name) =
            if idle_holds { ("watermark-held-back", "held back") } else { ("watermark-behind", "behind") };
        let why = if idle_holds {
            "; an IDLE channel holds it back (Flink leaves idle channels out of the minimum)"
        } else {
            ""
        };
        (
            kind,
            format!(
                "watermark {name}: {at}; its watermark is {after}, Flink's StatusWatermarkValve gives {want} over \
                 channels {}{why}",
                valve.show()
            ),
        )
    } else if after > want {
        (
            "watermark-ahead",
            format!(
                "watermark ahead: {at}; its watermark is {after}, Flink's StatusWatermarkValve gives {want} over \
                 channels {} (a channel back from IDLE behind the output joins the minimum only once it catches up)",
                valve.show()
            ),
        )
    } else if status != valve.status() {
        (
            "watermark-status-wrong",
            format!(
                "watermark status wrong: {at}; the task is {status:?}, Flink's StatusWatermarkValve is {:?} over \
                 channels {} (IDLE only while every channel is idle; one resumed channel makes it ACTIVE)",
                valve.status(),
                valve.show()
            ),
        )
    } else {
        return None;
    };
    Some(Finding::new(kind, what).at(s.at_ms))
}

/// `late misjudged` by the watermark: each late side-output element of a judged task attempt
/// had the combined watermark past every one of its windows' cleanup time. Returns how many
/// were judged. Session 40: each event-time window's elements against its own assigner and
/// allowed lateness (until then every late element against the job's first window: two windows
/// beside each other over one input, `late-windows-join`, could not be posed); an interval
/// join's late sides are not judged here (its lateness is the element's own timestamp against
/// the join's watermark, not a window's end).
fn late_elements(
    spec: &JobSpec,
    run: &RunResult,
    attempts: &BTreeMap<(TaskId, Attempt), AttemptState>,
    anomalies: &mut Vec<Finding>,
) -> usize {
    let mut judged = 0;
    for (op, rows) in run.late_records.by_operator() {
        let OpKind::EventWindow(w) = &spec.operators[op].kind else { continue };
        if w.time == ckptsim::window::WindowTime::Event {
            judged += window_late_elements(w, &spec.operators[op].name, rows, attempts, anomalies);
        }
    }
    judged
}

/// [`late_elements`] of one event-time window `w` (named `name`): its own late rows.
fn window_late_elements(
    w: &ckptsim::window::EventWindowSpec,
    name: &str,
    rows: &[crate::world::OutputRow],
    attempts: &BTreeMap<(TaskId, Attempt), AttemptState>,
    anomalies: &mut Vec<Finding>,
) -> usize {
    let mut judged = 0;
    for r in rows {
        let (Some(a), Some(ts)) = (attempts.get(&(r.task, r.attempt)).filter(|a| !a.broken), r.timestamp) else {
            continue;
        };
        // The valve's output at the latest step at or before the element's millisecond.
        let upto = a.outputs.partition_point(|(at, _)| *at <= r.time_ms);
        let wm = if upto == 0 { Watermark::MIN } else { a.outputs[upto - 1].1 };
        judged += 1;
        let lateness = w.allowed_lateness_ms as i64;
        if let Some(win) =
            w.assigner.assign(ts).into_iter().find(|win| win.max_timestamp().saturating_add(lateness) > wm.0)
        {
            anomalies.push(
                Finding::new(
                    "late-misjudged",
                    format!(
                        "late misjudged: t={} task {} attempt {} sent input #{} ({} at ts {ts}) to `{name}`'s late \
                         side output while its combined watermark by Flink's StatusWatermarkValve was {wm}: window \
                         {win} (maxTimestamp {} + allowed lateness {lateness}) was not late",
                        r.time_ms,
                        r.task,
                        r.attempt,
                        r.lineage.input_seq,
                        r.value,
                        win.max_timestamp()
                    ),
                )
                .at(r.time_ms)
                .with("input", r.lineage.input_seq),
            );
        }
    }
    judged
}
