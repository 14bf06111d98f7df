//! Event-time windows: tumbling and sliding window assigners with offsets, and the keyed window operator with Flink's `EventTimeTrigger`, event-time timers, allowed lateness and a late side output; window contents and timers are checkpointed, the watermark is not.
//!
//! The operator follows Flink's `WindowOperator` for non-merging windows:
//!
//! * an element is added to each window the assigner gives it, unless that window is *late*
//!   (`window.maxTimestamp() + allowedLateness <= currentWatermark`); the trigger then either
//!   fires at once (the window's end is already behind the watermark: a late-but-allowed element
//!   fires the window again, with everything it holds) or registers an event-time timer at
//!   `maxTimestamp`; a cleanup timer at `maxTimestamp + allowedLateness` is registered too;
//! * an element whose every window was late and that is itself late
//!   (`timestamp + allowedLateness <= currentWatermark`) goes to the late side output when one
//!   is configured (`sideOutputLateData`), and is dropped otherwise (`numLateRecordsDropped`);
//! * a watermark fires every timer at or below it in timestamp order
//!   (`InternalTimerServiceImpl.advanceWatermark`): at `maxTimestamp` the window's contents are
//!   emitted (`FIRE`, contents kept); at the cleanup time the contents and the window's timers are
//!   removed; the result carries the window's `maxTimestamp` as its timestamp.
//!
//! Timers are deduplicated per (key, window, timestamp) like Flink's timer set. Flink's timer
//! heap leaves the order of timers with equal timestamps unspecified; here it is (key, window).
//! The snapshot holds the window contents and the timers (`InternalTimerServiceImpl` snapshots
//! its timers); the current watermark is not part of it and starts at `Long.MIN_VALUE` after a
//! restore, so a replayed element that was late before may not be late now (semantics §11).

use crate::operator::{emit_value, key_and_number, Aggregate, OperatorSpecError};

#[path = "window_session.rs"]
mod session;
use crate::record::{Lineage, Record, Value};
use crate::watermark::Watermark;
use serde::{Deserialize, Serialize};
pub use session::{MergingWindowSet, SessionMerge};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A time window `[start, end)` (Flink's `TimeWindow`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TimeWindow {
    /// The first timestamp in the window, ms.
    pub start: i64,
    /// The first timestamp after the window, ms (exclusive).
    pub end: i64,
}

impl TimeWindow {
    /// `maxTimestamp()`: the last timestamp that belongs to the window, `end − 1`.
    pub fn max_timestamp(&self) -> i64 {
        self.end - 1
    }
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{},{})", self.start, self.end)
    }
}

/// `TimeWindow.getWindowStartWithOffset`: the start of the window of `size` (shifted by
/// `offset`) that holds `timestamp`; negative timestamps round down as well.
pub fn window_start_with_offset(timestamp: i64, offset: i64, size: i64) -> i64 {
    timestamp - (timestamp.wrapping_sub(offset)).rem_euclid(size)
}

/// Which windows an element belongs to.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowAssigner {
    /// `TumblingEventTimeWindows.of(size, offset)`: one window per element.
    Tumbling {
        /// The window length, ms.
        size_ms: u64,
        /// Shift of the window starts from the epoch, ms.
        offset_ms: i64,
    },
    /// `SlidingEventTimeWindows.of(size, slide, offset)`: `ceil(size / slide)` windows per
    /// element (fewer at the edges when size is not a multiple of slide).
    Sliding {
        /// The window length, ms.
        size_ms: u64,
        /// How far apart window starts are, ms.
        slide_ms: u64,
        /// Shift of the window starts from the epoch, ms.
        offset_ms: i64,
    },
    /// `EventTimeSessionWindows.withGap(gap)` (a `MergingWindowAssigner`): each element gets
    /// `[ts, ts + gap)`, merged with every window of its key it intersects (`TimeWindow#intersects`:
    /// touching windows merge too) by the operator's merging window set (module `session`).
    Session {
        /// The session gap, ms.
        gap_ms: u64,
    },
}

/// Largest window size or slide accepted (keeps `start + size` and lateness sums in range).
pub const MAX_WINDOW_MS: u64 = 1 << 40;

impl WindowAssigner {
    /// Flink's constructor checks: tumbling `abs(offset) < size`, sliding `abs(offset) < slide`,
    /// sizes and slides > 0; here also at most [`MAX_WINDOW_MS`].
    pub fn validate(&self) -> Result<(), OperatorSpecError> {
        match *self {
            WindowAssigner::Tumbling { size_ms, offset_ms } => {
                if size_ms == 0 || size_ms > MAX_WINDOW_MS {
                    return Err(OperatorSpecError::WindowSize { size_ms });
                }
                if offset_ms.unsigned_abs() >= size_ms {
                    return Err(OperatorSpecError::WindowOffset { offset_ms, bound_ms: size_ms, bound: "size_ms" });
                }
            }
            WindowAssigner::Sliding { size_ms, slide_ms, offset_ms } => {
                if size_ms == 0 || size_ms > MAX_WINDOW_MS {
                    return Err(OperatorSpecError::WindowSize { size_ms });
                }
                if slide_ms == 0 || slide_ms > MAX_WINDOW_MS {
                    return Err(OperatorSpecError::WindowSlide { slide_ms });
                }
                if offset_ms.unsigned_abs() >= slide_ms {
                    return Err(OperatorSpecError::WindowOffset { offset_ms, bound_ms: slide_ms, bound: "slide_ms" });
                }
            }
            WindowAssigner::Session { gap_ms } => {
                if gap_ms == 0 || gap_ms > MAX_WINDOW_MS {
                    return Err(OperatorSpecError::SessionGap { gap_ms });
                }
            }
        }
        Ok(())
    }

    /// A merging assigner (`MergingWindowAssigner`): session windows.
    pub fn is_merging(&self) -> bool {
        matches!(self, WindowAssigner::Session { .. })
    }

    /// The length of every window the assigner gives one element (a session window's gap).
    pub fn element_window_ms(&self) -> u64 {
        match *self {
            WindowAssigner::Tumbling { size_ms, .. } | WindowAssigner::Sliding { size_ms, .. } => size_ms,
            WindowAssigner::Session { gap_ms } => gap_ms,
        }
    }

    /// `assignWindows`, in Flink's order (sliding: the latest window first).
    pub fn assign(&self, timestamp: i64) -> Vec<TimeWindow> {
        match *self {
            WindowAssigner::Tumbling { size_ms, offset_ms } => {
                let size = size_ms as i64;
                let start = window_start_with_offset(timestamp, offset_ms % size, size);
                vec![TimeWindow { start, end: start.saturating_add(size) }]
            }
            WindowAssigner::Sliding { size_ms, slide_ms, offset_ms } => {
                let (size, slide) = (size_ms as i64, slide_ms as i64);
                let last_start = window_start_with_offset(timestamp, offset_ms, slide);
                let mut windows = Vec::with_capacity((size_ms / slide_ms + 1) as usize);
                let mut start = last_start;
                while start > timestamp.saturating_sub(size) {
                    windows.push(TimeWindow { start, end: start.saturating_add(size) });
                    start = start.saturating_sub(slide);
                }
                windows
            }
            // EventTimeSessionWindows#assignWindows: `new TimeWindow(timestamp, timestamp + sessionTimeout)`.
            WindowAssigner::Session { gap_ms } => {
                vec![TimeWindow { start: timestamp, end: timestamp.saturating_add(gap_ms as i64) }]
            }
        }
    }
}

/// Which clock assigns and fires a window: the record's event timestamp and the watermark
/// (`TumblingEventTimeWindows`, `EventTimeTrigger`), or the task's processing time
/// (`TumblingProcessingTimeWindows` / `SlidingProcessingTimeWindows`, `ProcessingTimeTrigger`).
#[derive(Copy, Clone, Debug, Default, Hash, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowTime {
    /// Event time: windows by the record's timestamp, fired by watermarks.
    #[default]
    Event,
    /// Processing time: windows by the task's clock when the element arrives, fired by
    /// processing-time timers at the window's `maxTimestamp`; never late, purged at the firing.
    Processing,
}

/// An event-time window operator: `keyBy(..).window(assigner).allowedLateness(..)
/// [.sideOutputLateData(..)].aggregate(..)` with the default `EventTimeTrigger`.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventWindowSpec {
    /// Which windows an element belongs to.
    pub assigner: WindowAssigner,
    /// How the window folds its elements (`sum`, `count`, or a reduce `max`/`min`), keyed as the
    /// running aggregates are (`Pair(k, v)` → key `k`, number `v`; `Int(n)` → key `n`; `Str(s)` →
    /// key `s`, number 1).
    pub aggregate: Aggregate,
    /// `allowedLateness` (default 0).
    pub allowed_lateness_ms: u64,
    /// `sideOutputLateData`: late elements go to the side output instead of being dropped.
    pub late_side_output: bool,
    /// `PurgingTrigger.of(EventTimeTrigger)`: every firing also clears the window's contents
    /// (`FIRE_AND_PURGE`), so a late-but-allowed element fires the window with itself alone.
    pub purging: bool,
    /// Event time (the default) or processing time (`*ProcessingTimeWindows`).
    #[serde(default)]
    pub time: WindowTime,
}

impl EventWindowSpec {
    /// Checks the spec as Flink's builders do (positive sizes, slide at most size, offsets and lateness in range).
    pub fn validate(&self) -> Result<(), OperatorSpecError> {
        self.assigner.validate()?;
        if self.allowed_lateness_ms > MAX_WINDOW_MS {
            return Err(OperatorSpecError::AllowedLateness { allowed_lateness_ms: self.allowed_lateness_ms });
        }
        if self.assigner.is_merging() {
            if self.time == WindowTime::Processing {
                return Err(OperatorSpecError::SessionUnsupported {
                    key: "time",
                    why: "processing-time session windows (ProcessingTimeSessionWindows) are not modelled",
                });
            }
            if self.purging {
                return Err(OperatorSpecError::SessionUnsupported {
                    key: "purging",
                    why: "a purging trigger on merging windows is not modelled",
                });
            }
        }
        if self.time == WindowTime::Processing {
            // Flink ignores allowed lateness for processing time (`cleanupTime` is the window's
            // maxTimestamp); here a scenario that sets it is told so.
            let key = if self.allowed_lateness_ms > 0 {
                Some("allowed_lateness_ms")
            } else if self.late_side_output {
                Some("late_records")
            } else if self.purging {
                Some("purging")
            } else {
                None
            };
            if let Some(key) = key {
                return Err(OperatorSpecError::ProcessingTimeLateness { key });
            }
        }
        Ok(())
    }
}

/// One pending event-time timer: fires when the watermark reaches `timestamp`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timer {
    /// When it fires: the window's `maxTimestamp`, ms.
    pub timestamp: i64,
    /// The key whose window it fires.
    pub key: Value,
    /// The window it fires.
    pub window: TimeWindow,
}

/// What one window holds: the folded number and the smallest lineage among its elements (the
/// result's lineage: it depends on the window's contents, not on their arrival order).
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowAcc {
    /// The folded number (sum, count, max or min so far).
    pub acc: i64,
    /// How many elements the window holds.
    pub elements: u64,
    /// The smallest lineage among its elements (the result's lineage).
    pub lineage: Lineage,
}

/// The checkpointed state of an event-time window operator: window contents per (key, window)
/// and the registered timers. No watermark.
#[derive(Clone, Debug, Hash, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventWindowState {
    /// Every open window's contents, by (key, window); for session windows by (key, state
    /// window): the namespace `MergingWindowSet` maps each merged window to.
    pub windows: Vec<((Value, TimeWindow), WindowAcc)>,
    /// Every registered timer.
    pub timers: Vec<Timer>,
    /// Session windows: the merging window set of each key (Flink's `merging-window-set` list
    /// state), (key, window) → its state window. Empty for the other assigners.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merging: Vec<((Value, TimeWindow), TimeWindow)>,
}

impl EventWindowState {
    /// The modelled size in bytes (drives snapshot and restore time).
    pub fn size_bytes(&self) -> u64 {
        let w: u64 = self.windows.iter().map(|((k, _), _)| k.size_bytes() + 16 + 32).sum();
        let t: u64 = self.timers.iter().map(|t| t.key.size_bytes() + 24).sum();
        let m: u64 = self.merging.iter().map(|((k, _), _)| k.size_bytes() + 32).sum();
        w + t + m
    }
}

/// The keyed event-time window operator (see the module doc).
#[derive(Clone, Debug, Hash, PartialEq)]
pub struct EventWindowOperator {
    spec: EventWindowSpec,
    windows: BTreeMap<(Value, TimeWindow), WindowAcc>,
    timers: BTreeSet<Timer>,
    /// Session windows: `MergingWindowSet` per key, (key, window) → state window (the namespace
    /// of `windows` that holds the window's contents). Empty for the other assigners.
    merging: BTreeMap<(Value, TimeWindow), TimeWindow>,
    /// The planted `session-merge-loses-contents`: a merge keeps only the state window's
    /// contents and drops the other merged windows' (Flink: `mergeNamespaces`).
    merge_drops: bool,
    /// The operator's event-time clock; `Long.MIN_VALUE` at start and after a restore.
    watermark: Watermark,
    late_dropped: u64,
    /// Processing time: each element's windows since the host last took them (the checker's
    /// reference: which window an element went to depends on when it arrived).
    assigned: Vec<(Record, Vec<TimeWindow>)>,
    /// Event time, when the host asked for them ([`EventWindowOperator::record_fires`]): each
    /// window fired since the host last took them, with the operator's watermark then (the
    /// `windows` checker judges each against the task's combined watermark).
    fires: Option<Vec<(TimeWindow, Watermark)>>,
    /// Event time, when the host asked for them ([`EventWindowOperator::record_assignments`]):
    /// each element's decision goes to `assigned` too, the windows that took it (none: judged
    /// late). A window fed by a late side output (session 28): which elements it takes depends
    /// on its unrestored watermark, so the checker reads the run's own record of it.
    record_assigned: bool,
    /// The planted `late-emitted-to-both`: an element late by its own timestamp goes to the
    /// late side output even when a window still accepted it (Flink requires both
    /// `isSkippedElement` and `isElementLate`).
    late_to_both: bool,
    /// The planted `timer-at-watermark-not-fired`: `advanceWatermark` fires only the timers
    /// strictly below the new watermark (Flink: `timer.getTimestamp() <= time`).
    strict_timers: bool,
    /// The planted `window-timers-not-restored`: this attempt was restored without the timers,
    /// so a restored window may lack its cleanup timer.
    timers_dropped: bool,
    /// The planted `window-end-inclusive`: an event-time element at a window's `end` also
    /// joins that window (Flink's window is `[start, end)`, `maxTimestamp() = end - 1`).
    end_inclusive: bool,
    /// The planted `sliding-windows-floor-count`: a sliding assigner gives each element only
    /// its `size / slide` (rounded down) latest windows.
    sliding_floor: bool,
    /// The planted `window-late-bound-exclusive`: a window is late only once its cleanup time
    /// is strictly behind the watermark.
    late_bound_exclusive: bool,
    /// The planted `allowed-late-not-fired`: a late-but-allowed element neither fires its
    /// window nor registers a timer.
    allowed_late_silent: bool,
    /// The planted `late-judged-by-first-window` (session 40): another window's assigner and
    /// allowed lateness; an element all of whose windows there are past their cleanup time (and
    /// that is late by its timestamp there) goes to the late side output at once.
    late_as: Option<(WindowAssigner, u64)>,
    /// Handler calls since the last full [`EventWindowOperator::invariants`] scan (pacing only:
    /// no part of the state, equal and hashed as nothing).
    scan: ScanPacing,
}

/// A full invariants scan costs O(windows · log windows); after a handler it runs once every
/// `max(1, windows / FULL_SCAN_STRIDE)` calls, so a handler pays O(`FULL_SCAN_STRIDE` · log)
/// amortised instead of O(windows). Measured in session 24: a sliding window of 100 windows per
/// element over 10^4 keys whose windows all stay open until the end (10^6 open windows) took
/// 59 s, all but a few seconds in the scan after each watermark; every scenario file keeps at
/// most 64 windows open per subtask, so for them every call still scans everything.
pub const FULL_SCAN_STRIDE: usize = 64;

/// Calls since the last full scan; equal to any other and hashed as nothing, so the pacing
/// never tells two operator states apart (the explorer hashes them).
#[derive(Clone, Copy, Debug, Default)]
struct ScanPacing(usize);

impl PartialEq for ScanPacing {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::hash::Hash for ScanPacing {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl EventWindowOperator {
    /// Panics on an invalid spec (validate user input with [`EventWindowSpec::validate`]).
    pub fn new(spec: EventWindowSpec) -> EventWindowOperator {
        if let Err(e) = spec.validate() {
            panic!("invalid event window {spec:?}: {e}");
        }
        EventWindowOperator {
            spec,
            windows: BTreeMap::new(),
            timers: BTreeSet::new(),
            merging: BTreeMap::new(),
            merge_drops: false,
            watermark: Watermark::MIN,
            late_dropped: 0,
            assigned: Vec::new(),
            fires: None,
            record_assigned: false,
            late_to_both: false,
            strict_timers: false,
            timers_dropped: false,
            end_inclusive: false,
            sliding_floor: false,
            late_bound_exclusive: false,
            allowed_late_silent: false,
            late_as: None,
            scan: ScanPacing::default(),
        }
    }

    /// Plants `late-emitted-to-both` (see the field): a late element a window accepted (a
    /// late-but-allowed one) is also sent to the late side output.
    pub fn plant_late_to_both(&mut self) {
        self.late_to_both = true;
    }

    /// The planted `window-timers-not-restored`: restore the windows' contents from `state`
    /// but none of its timers (Flink restores both).
    pub fn plant_restore_without_timers(&mut self, state: &EventWindowState) {
        self.timers_dropped = true;
        self.restore(&EventWindowState {
            windows: state.windows.clone(),
            timers: Vec::new(),
            merging: state.merging.clone(),
        });
    }

    /// Plants `timer-at-watermark-not-fired` (see the field): a timer exactly at the watermark
    /// waits for the next, larger watermark.
    pub fn plant_strict_timers(&mut self) {
        self.strict_timers = true;
    }

    /// Plants `window-end-inclusive` (see the field): an element whose timestamp is a window's
    /// `end` joins that window as well as its own.
    pub fn plant_end_inclusive(&mut self) {
        self.end_inclusive = true;
    }

    /// Plants `sliding-windows-floor-count` (see the field).
    pub fn plant_sliding_floor(&mut self) {
        self.sliding_floor = true;
    }

    /// Plants `window-late-bound-exclusive` (see the field).
    pub fn plant_late_bound_exclusive(&mut self) {
        self.late_bound_exclusive = true;
    }

    /// Plants `late-judged-by-first-window` (see the field): lateness judged by `assigner`'s
    /// windows and `allowed_lateness_ms` (the job's first window's) instead of this window's own.
    pub fn plant_late_as(&mut self, assigner: WindowAssigner, allowed_lateness_ms: u64) {
        self.late_as = Some((assigner, allowed_lateness_ms));
    }

    /// Whether the planted `late-judged-by-first-window` sends an element of `timestamp` to the
    /// late side output at once (see the field).
    fn late_by_other(&self, timestamp: i64) -> bool {
        let Some((assigner, lateness)) = self.late_as.filter(|_| self.spec.late_side_output) else { return false };
        let wm = self.watermark.0;
        timestamp.saturating_add(lateness as i64) <= wm
            && assigner.assign(timestamp).iter().all(|w| w.max_timestamp().saturating_add(lateness as i64) <= wm)
    }

    /// Plants `allowed-late-not-fired` (see the field).
    pub fn plant_allowed_late_silent(&mut self) {
        self.allowed_late_silent = true;
    }

    /// The windows an event-time element at `ts` joins: `assignWindows`, and under the planted
    /// `window-end-inclusive` also the windows that end at `ts`.
    fn event_windows(&self, ts: i64) -> Vec<TimeWindow> {
        let mut windows = self.spec.assigner.assign(ts);
        if let (true, WindowAssigner::Sliding { size_ms, slide_ms, .. }) = (self.sliding_floor, self.spec.assigner) {
            // The planted bug: the latest `size / slide` windows only (Flink's order: latest first).
            windows.truncate((size_ms / slide_ms) as usize);
        }
        if self.end_inclusive {
            windows.extend(self.spec.assigner.assign(ts.saturating_sub(1)).into_iter().filter(|w| w.end == ts));
        }
        windows
    }

    /// The operator's window spec.
    pub fn spec(&self) -> &EventWindowSpec {
        &self.spec
    }

    /// The last watermark the operator processed (`Watermark::MIN` after a restore).
    pub fn current_watermark(&self) -> Watermark {
        self.watermark
    }

    /// Late elements dropped so far by this instance (`numLateRecordsDropped`).
    pub fn late_dropped(&self) -> u64 {
        self.late_dropped
    }

    /// Open windows: (key, window) → contents.
    pub fn windows(&self) -> &BTreeMap<(Value, TimeWindow), WindowAcc> {
        &self.windows
    }

    /// The registered timers, in firing order.
    pub fn timers(&self) -> &BTreeSet<Timer> {
        &self.timers
    }

    fn cleanup_time(&self, w: &TimeWindow) -> i64 {
        w.max_timestamp().saturating_add(self.spec.allowed_lateness_ms as i64)
    }

    /// `isWindowLate`: the window's cleanup time is at or behind the watermark.
    pub fn is_window_late(&self, w: &TimeWindow) -> bool {
        if self.late_bound_exclusive {
            return self.cleanup_time(w) < self.watermark.0;
        }
        self.cleanup_time(w) <= self.watermark.0
    }

    /// `isElementLate`: `timestamp + allowedLateness <= currentWatermark`.
    pub fn is_element_late(&self, timestamp: i64) -> bool {
        timestamp.saturating_add(self.spec.allowed_lateness_ms as i64) <= self.watermark.0
    }

    /// `processElement` at processing time `now_ms`: an event-time window reads the record's
    /// timestamp ([`EventWindowOperator::process_element`]); a processing-time window assigns
    /// the element by `now_ms` (`context.getCurrentProcessingTime()`), never judges it late, and
    /// registers a processing-time timer at the window's `maxTimestamp` (`ProcessingTimeTrigger`),
    /// which is also its cleanup time.
    pub fn process_element_at(
        &mut self,
        now_ms: u64,
        rec: Record,
        out: &mut Vec<Record>,
        late: &mut Vec<Record>,
    ) -> Result<(), String> {
        if self.spec.time == WindowTime::Event {
            return self.process_element(rec, out, late);
        }
        let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
        let (key, x) = key_and_number(&rec.value);
        let windows = self.spec.assigner.assign(now);
        for &w in &windows {
            self.accumulate(&key, w, x, rec.lineage);
            self.timers.insert(Timer { timestamp: w.max_timestamp(), key: key.clone(), window: w });
        }
        self.assigned.push((rec, windows));
        Ok(())
    }

    /// Processing time: the earliest registered timer (when the host must call
    /// [`EventWindowOperator::advance_processing_time`]); `None` for event time.
    pub fn next_processing_timer(&self) -> Option<i64> {
        match self.spec.time {
            WindowTime::Event => None,
            WindowTime::Processing => self.timers.first().map(|t| t.timestamp),
        }
    }

    /// Processing time reached `now_ms`: every timer strictly before `now_ms` fires in order
    /// (`SystemProcessingTimeService` runs a timer for `t` registered at or before `t` one ms
    /// late, at `t + 1`, `ProcessingTimeServiceUtil.getProcessingTimeDelay`, so no element
    /// arriving in the window's last ms comes after its firing; then
    /// `InternalTimerServiceImpl.onProcessingTime`); each fires its window (`FIRE`) and clears
    /// it (its cleanup time is the same `maxTimestamp`). After a restore the restored timers are
    /// registered again, and those already in the past fire at once (delay 0). `drop_due` (the planted
    /// `restored-due-timers-dropped`): due windows are cleared without firing.
    pub fn advance_processing_time(&mut self, now_ms: u64, drop_due: bool, out: &mut Vec<Record>) {
        if self.spec.time == WindowTime::Event {
            return;
        }
        let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
        while let Some(t) = self.timers.first().filter(|t| t.timestamp < now).cloned() {
            self.timers.pop_first();
            if drop_due {
                self.windows.remove(&(t.key, t.window));
            } else {
                self.on_event_time(t, out);
            }
        }
        self.invariants_paced();
    }

    /// Records every event-time firing from now on, for [`EventWindowOperator::take_fires`]. A
    /// processing-time window records none: it fires by its processing-time clock, not by the
    /// watermark, so a host judging firings against the combined watermark has nothing to judge
    /// (session 26: a processing-time window after an event-time window, in a job with event time).
    pub fn record_fires(&mut self) {
        if self.spec.time == WindowTime::Event {
            self.fires.get_or_insert_with(Vec::new);
        }
    }

    /// The windows fired since the last call (with the watermark then), if recorded.
    pub fn take_fires(&mut self, out: &mut Vec<(TimeWindow, Watermark)>) {
        if let Some(f) = &mut self.fires {
            out.append(f);
        }
    }

    /// Records every event-time element's windows from now on (empty: every window of the
    /// element was late), for [`EventWindowOperator::take_assigned`]. A processing-time window
    /// records its assignments always.
    pub fn record_assignments(&mut self) {
        self.record_assigned = self.spec.time == WindowTime::Event;
    }

    /// Whether this window records its event-time assignments ([`EventWindowOperator::record_assignments`]).
    pub fn records_assignments(&self) -> bool {
        self.record_assigned
    }

    fn note_fire(&mut self, w: TimeWindow) {
        if let Some(f) = &mut self.fires {
            f.push((w, self.watermark));
        }
    }

    /// Processing time: the elements assigned since the last call, each with its windows.
    pub fn take_assigned(&mut self, out: &mut Vec<(Record, Vec<TimeWindow>)>) {
        out.append(&mut self.assigned);
    }

    /// Adds the element `x` (of `lineage`) to `key`'s accumulator of window `w`, opening it if
    /// absent (the window state's `add` of `WindowOperator#processElement`); returns the
    /// window's accumulator after it.
    fn accumulate(&mut self, key: &Value, w: TimeWindow, x: i64, lineage: Lineage) -> WindowAcc {
        let agg = self.spec.aggregate;
        let entry =
            self.windows.entry((key.clone(), w)).or_insert(WindowAcc { acc: fold(agg, None, x), elements: 0, lineage });
        if entry.elements > 0 {
            entry.acc = fold(agg, Some(entry.acc), x);
            entry.lineage = entry.lineage.min(lineage);
        }
        entry.elements += 1;
        *entry
    }

    /// `processElement`. Window results (a late-but-allowed element fires its window again) go
    /// to `out`, a late element to `late` (side output configured) or nowhere (dropped). A
    /// record without a timestamp is an error, as in Flink's assigners ("Record has
    /// Long.MIN_VALUE timestamp (= no timestamp marker)").
    pub fn process_element(
        &mut self,
        rec: Record,
        out: &mut Vec<Record>,
        late: &mut Vec<Record>,
    ) -> Result<(), String> {
        let Some(ts) = rec.timestamp.filter(|t| *t != i64::MIN) else {
            return Err("record has no event timestamp (= no timestamp marker): is a watermark strategy with a timestamp assigner set on the source?".to_owned());
        };
        if self.late_by_other(ts) {
            if self.record_assigned {
                self.assigned.push((rec.clone(), Vec::new()));
            }
            late.push(rec);
            return Ok(());
        }
        let (key, x) = key_and_number(&rec.value);
        if self.spec.assigner.is_merging() {
            self.process_session_element(rec, ts, (key, x), out, late);
            return Ok(());
        }
        let mut skipped = true;
        let mut took = Vec::new();
        for w in self.event_windows(ts) {
            if self.is_window_late(&w) {
                continue;
            }
            skipped = false;
            if self.record_assigned {
                took.push(w);
            }
            let acc = self.accumulate(&key, w, x, rec.lineage);
            // EventTimeTrigger.onElement: FIRE when the window's end is already behind the
            // watermark, otherwise a timer at maxTimestamp.
            if w.max_timestamp() <= self.watermark.0 && self.allowed_late_silent {
                // The planted bug: taken into the state, no FIRE and no timer.
            } else if w.max_timestamp() <= self.watermark.0 {
                out.push(result(&key, &w, &acc));
                self.note_fire(w);
                if self.spec.purging {
                    self.windows.remove(&(key.clone(), w));
                }
            } else {
                self.timers.insert(Timer { timestamp: w.max_timestamp(), key: key.clone(), window: w });
            }
            // registerCleanupTimer (the same timer as the trigger's when the lateness is 0).
            let cleanup = self.cleanup_time(&w);
            if cleanup != i64::MAX {
                self.timers.insert(Timer { timestamp: cleanup, key: key.clone(), window: w });
            }
        }
        if self.record_assigned {
            self.assigned.push((rec.clone(), took));
        }
        if (skipped || (self.late_to_both && self.spec.late_side_output)) && self.is_element_late(ts) {
            if self.spec.late_side_output {
                late.push(rec);
            } else {
                self.late_dropped += 1;
            }
        }
        Ok(())
    }

    /// `advanceWatermark`: fires every timer at or below `wm` in order; results go to `out`.
    /// A watermark that does not advance the operator's clock fires nothing.
    pub fn advance_watermark(&mut self, wm: Watermark, out: &mut Vec<Record>) {
        // A processing-time window registers no event-time timers: watermarks pass it by.
        if wm <= self.watermark || self.spec.time == WindowTime::Processing {
            return;
        }
        self.watermark = wm;
        let strict = self.strict_timers;
        while let Some(t) =
            self.timers.first().filter(|t| t.timestamp < wm.0 || (!strict && t.timestamp == wm.0)).cloned()
        {
            self.timers.pop_first();
            self.on_event_time(t, out);
        }
        self.invariants_paced();
    }

    /// `WindowOperator.onEventTime` with `EventTimeTrigger`.
    fn on_event_time(&mut self, t: Timer, out: &mut Vec<Record>) {
        if self.spec.assigner.is_merging() {
            self.on_session_timer(t, out);
            return;
        }
        let k = (t.key, t.window);
        if t.timestamp == t.window.max_timestamp() {
            if let Some(acc) = self.windows.get(&k) {
                out.push(result(&k.0, &k.1, acc));
                if let Some(f) = &mut self.fires {
                    f.push((k.1, self.watermark));
                }
                if self.spec.purging {
                    self.windows.remove(&k);
                }
            }
        }
        if t.timestamp == self.cleanup_time(&t.window) {
            // clearAllState: the contents and the trigger's timer (EventTimeTrigger.clear).
            self.windows.remove(&k);
            self.timers.remove(&Timer { timestamp: k.1.max_timestamp(), key: k.0, window: k.1 });
        }
    }

    /// The checkpointed state: window contents and timers (not the watermark).
    pub fn snapshot(&self) -> EventWindowState {
        EventWindowState {
            windows: self.windows.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            timers: self.timers.iter().cloned().collect(),
            merging: self.merging.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }

    /// Replaces contents and timers; the watermark goes back to `Long.MIN_VALUE` (it is not
    /// part of a checkpoint).
    pub fn restore(&mut self, state: &EventWindowState) {
        self.windows = state.windows.iter().cloned().collect();
        self.timers = state.timers.iter().cloned().collect();
        self.merging = state.merging.iter().cloned().collect();
        self.watermark = Watermark::MIN;
        self.invariants();
    }

    /// After a handler: the O(1) timer check every call, the full [`EventWindowOperator::invariants`]
    /// scan paced by [`FULL_SCAN_STRIDE`].
    fn invariants_paced(&mut self) {
        self.scan.0 += 1;
        if self.scan.0.saturating_mul(FULL_SCAN_STRIDE) >= self.windows.len() {
            self.scan.0 = 0;
            self.invariants();
        } else {
            self.timer_invariant();
        }
    }

    /// Panics if an event-time timer at or below the watermark did not fire.
    fn timer_invariant(&self) {
        if let Some(first) = self.timers.first().filter(|_| self.spec.time == WindowTime::Event) {
            // Under the planted `window-late-bound-exclusive` a cleanup timer at the watermark
            // is registered after that watermark fired (Flink fires it at the next advance).
            let at_watermark_allowed = self.strict_timers || self.late_bound_exclusive;
            let fired_below =
                first.timestamp > self.watermark.0 || (at_watermark_allowed && first.timestamp == self.watermark.0);
            assert!(fired_below, "timer {first:?} at or below {} not fired", self.watermark);
        }
    }

    /// Panics if a window is empty, has the wrong size or lacks its cleanup timer, or a timer at or below the watermark did not fire.
    pub fn invariants(&self) {
        if self.spec.assigner.is_merging() {
            self.session_invariants();
            self.timer_invariant();
            return;
        }
        for ((key, w), acc) in &self.windows {
            assert!(acc.elements >= 1, "empty window {w} of {key} kept");
            assert_eq!(w.end - w.start, self.window_size(), "window {w} of {key} has the wrong size");
            // A window with contents has its cleanup timer until the cleanup fired.
            let cleanup = self.cleanup_time(w);
            assert!(
                cleanup == i64::MAX
                    || self.timers_dropped
                    || self.timers.contains(&Timer { timestamp: cleanup, key: key.clone(), window: *w }),
                "window {w} of {key} has no cleanup timer"
            );
        }
        self.timer_invariant();
    }

    fn window_size(&self) -> i64 {
        self.spec.assigner.element_window_ms() as i64
    }
}

/// `AggregateFunction#merge` / a `ReduceFunction` over two accumulators (`mergeNamespaces`).
fn merge_acc(agg: Aggregate, a: i64, b: i64) -> i64 {
    match agg {
        Aggregate::Sum | Aggregate::Count => a.wrapping_add(b),
        Aggregate::Max => a.max(b),
        Aggregate::Min => a.min(b),
    }
}

fn fold(agg: Aggregate, acc: Option<i64>, x: i64) -> i64 {
    match (agg, acc) {
        (Aggregate::Sum, a) => a.unwrap_or(0).wrapping_add(x),
        (Aggregate::Count, a) => a.unwrap_or(0) + 1,
        (Aggregate::Max, Some(a)) => a.max(x),
        (Aggregate::Min, Some(a)) => a.min(x),
        (Aggregate::Max | Aggregate::Min, None) => x,
    }
}

/// A window result: `(key, acc)` (or `acc` for an integer key) with the window's
/// `maxTimestamp` as its timestamp.
fn result(key: &Value, w: &TimeWindow, acc: &WindowAcc) -> Record {
    Record { value: emit_value(key, acc.acc), lineage: acc.lineage, timestamp: Some(w.max_timestamp()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rec(k: &str, v: i64, ts: i64, seq: u64) -> Record {
        Record { value: Value::Pair(k.into(), v), lineage: Lineage { input_seq: seq, sub: 0 }, timestamp: Some(ts) }
    }

    fn spec(assigner: WindowAssigner, lateness: u64, side: bool) -> EventWindowSpec {
        EventWindowSpec {
            assigner,
            aggregate: Aggregate::Sum,
            allowed_lateness_ms: lateness,
            late_side_output: side,
            purging: false,
            time: WindowTime::Event,
        }
    }

    fn shown(out: &[Record]) -> Vec<String> {
        out.iter().map(|r| format!("{}@{}", r.value, r.timestamp.unwrap())).collect()
    }

    #[test]
    fn window_start_handles_offsets_and_negatives() {
        assert_eq!(window_start_with_offset(7, 0, 5), 5);
        assert_eq!(window_start_with_offset(-1, 0, 5), -5);
        assert_eq!(window_start_with_offset(7, 2, 5), 7);
        assert_eq!(window_start_with_offset(6, 2, 5), 2);
        assert_eq!(window_start_with_offset(1, -2, 5), -2);
    }

    #[test]
    fn validation_names_the_bad_parameter() {
        let t = |size_ms, offset_ms| WindowAssigner::Tumbling { size_ms, offset_ms }.validate();
        let s = |size_ms, slide_ms, offset_ms| WindowAssigner::Sliding { size_ms, slide_ms, offset_ms }.validate();
        assert_eq!(t(10, 9), Ok(()));
        assert_eq!(t(10, -9), Ok(()));
        assert_eq!(t(0, 0), Err(OperatorSpecError::WindowSize { size_ms: 0 }));
        assert_eq!(
            t(10, -10).unwrap_err().to_string(),
            "an event-time window needs abs(offset_ms) < size_ms (10), got offset_ms = -10"
        );
        assert_eq!(s(10, 3, 2), Ok(()));
        assert_eq!(s(10, 0, 0), Err(OperatorSpecError::WindowSlide { slide_ms: 0 }));
        assert_eq!(s(0, 3, 0), Err(OperatorSpecError::WindowSize { size_ms: 0 }));
        assert_eq!(
            s(10, 3, 3).unwrap_err().to_string(),
            "an event-time window needs abs(offset_ms) < slide_ms (3), got offset_ms = 3"
        );
        assert_eq!(s(MAX_WINDOW_MS + 1, 3, 0), Err(OperatorSpecError::WindowSize { size_ms: MAX_WINDOW_MS + 1 }));
        let spec = EventWindowSpec {
            allowed_lateness_ms: MAX_WINDOW_MS + 1,
            ..spec(WindowAssigner::Tumbling { size_ms: 5, offset_ms: 0 }, 0, false)
        };
        assert_eq!(spec.validate(), Err(OperatorSpecError::AllowedLateness { allowed_lateness_ms: MAX_WINDOW_MS + 1 }));
        // Through OperatorKind, as a scenario parser calls it.
        let kind = crate::operator::OperatorKind::EventWindow(EventWindowSpec {
            assigner: WindowAssigner::Sliding { size_ms: 10, slide_ms: 0, offset_ms: 0 },
            ..spec
        });
        assert_eq!(kind.validate(), Err(OperatorSpecError::WindowSlide { slide_ms: 0 }));
        // Offsets shift the windows: tumbling 10 with offset 3 holds 2 in [-7, 3).
        assert_eq!(
            WindowAssigner::Tumbling { size_ms: 10, offset_ms: 3 }.assign(2),
            vec![TimeWindow { start: -7, end: 3 }]
        );
        assert_eq!(
            WindowAssigner::Sliding { size_ms: 4, slide_ms: 2, offset_ms: 1 }.assign(4),
            vec![TimeWindow { start: 3, end: 7 }, TimeWindow { start: 1, end: 5 }]
        );
    }

    fn processing(assigner: WindowAssigner) -> EventWindowOperator {
        EventWindowOperator::new(EventWindowSpec { time: WindowTime::Processing, ..spec(assigner, 0, false) })
    }

    #[test]
    fn processing_time_window_assigns_by_arrival_and_fires_by_the_clock() {
        let mut op = processing(WindowAssigner::Tumbling { size_ms: 10, offset_ms: 0 });
        let (mut out, mut late) = (Vec::new(), Vec::new());
        // The event timestamps (3 and 95) play no part: arrival at 4 and 9 puts both in [0,10).
        op.process_element_at(4, rec("a", 1, 95, 0), &mut out, &mut late).unwrap();
        op.process_element_at(9, rec("a", 2, 3, 1), &mut out, &mut late).unwrap();
        op.process_element_at(12, rec("a", 4, 3, 2), &mut out, &mut late).unwrap();
        assert_eq!(op.next_processing_timer(), Some(9));
        // Watermarks pass a processing-time window by.
        op.advance_watermark(Watermark(1_000), &mut out);
        assert!(out.is_empty() && late.is_empty());
        op.advance_processing_time(9, false, &mut out);
        assert!(out.is_empty(), "a timer for 9 runs one ms late, at 10");
        op.advance_processing_time(10, false, &mut out);
        assert_eq!(shown(&out), vec!["(a,3)@9"], "fired for maxTimestamp with the window's elements");
        assert_eq!(op.windows().len(), 1, "[0,10) purged at its firing, [10,20) open");
        let mut assigned = Vec::new();
        op.take_assigned(&mut assigned);
        let starts: Vec<i64> = assigned.iter().map(|(_, w)| w[0].start).collect();
        assert_eq!(starts, vec![0, 0, 10]);
        // Checkpoint with [10,20) and its timer; restored after the timer is due: it fires at
        // the first processing-time advance (the restored timer is registered again).
        let snap = op.snapshot();
        assert_eq!(snap.timers.len(), 1);
        let mut restored = processing(WindowAssigner::Tumbling { size_ms: 10, offset_ms: 0 });
        restored.restore(&snap);
        out.clear();
        restored.advance_processing_time(50, false, &mut out);
        assert_eq!(shown(&out), vec!["(a,4)@19"]);
        assert!(restored.windows().is_empty() && restored.timers().is_empty());
        // The planted bug clears it unfired.
        let mut planted = processing(WindowAssigner::Tumbling { size_ms: 10, offset_ms: 0 });
        planted.restore(&snap);
        out.clear();
        planted.advance_processing_time(50, true, &mut out);
        assert!(out.is_empty() && planted.windows().is_empty());
    }

    #[test]
    fn sliding_processing_time_window_fires_each_window_once() {
        let mut op = processing(WindowAssigner::Sliding { size_ms: 10, slide_ms: 5, offset_ms: 0 });
        let (mut out, mut late) = (Vec::new(), Vec::new());
        op.process_element_at(7, rec("a", 1, 0, 0), &mut out, &mut late).unwrap();
        op.process_element_at(12, rec("a", 2, 0, 1), &mut out, &mut late).unwrap();
        op.advance_processing_time(100, false, &mut out);
        // [0,10) holds 1; [5,15) holds 1+2; [10,20) holds 2.
        assert_eq!(shown(&out), vec!["(a,1)@9", "(a,3)@14", "(a,2)@19"]);
        assert!(op.windows().is_empty());
        op.advance_processing_time(200, false, &mut out);
        assert_eq!(out.len(), 3, "no window fires twice");
    }

    #[test]
    fn processing_time_window_rejects_lateness_keys() {
        let base = |lateness, side, purging| EventWindowSpec {
            time: WindowTime::Processing,
            purging,
            ..spec(WindowAssigner::Tumbling { size_ms: 10, offset_ms: 0 }, lateness, side)
        };
        assert_eq!(base(0, false, false).validate(), Ok(()));
        assert_eq!(
            base(5, false, false).validate().unwrap_err().to_string(),
            "a processing-time window has no late elements: `allowed_lateness_ms` applies to event-time windows only"
        );
        assert_eq!(
            base(0, true, false).validate(),
            Err(OperatorSpecError::ProcessingTimeLateness { key: "late_records" })
        );
        assert_eq!(base(0, false, true).validate(), Err(OperatorSpecError::ProcessingTimeLateness { key: "purging" }));
    }

    #[test]
    fn sliding_assigns_latest_first() {
        let a = WindowAssigner::Sliding { size_ms: 6, slide_ms: 3, offset_ms: 0 };
        assert_eq!(a.assign(4), vec![TimeWindow { start: 3, end: 9 }, TimeWindow { start: 0, end: 6 }]);
        let a = WindowAssigner::Sliding { size_ms: 5, slide_ms: 2, offset_ms: 0 };
        // Windows starting at 4, 2, 0 hold 4 (start > 4 - 5 = -1).
        assert_eq!(a.assign(4).len(), 3);
    }

    #[test]
    fn tumbling_fires_at_max_timestamp_and_cleans_up() {
        let mut op = EventWindowOperator::new(spec(WindowAssigner::Tumbling { size_ms: 10, offset_ms: 0 }, 0, false));
        let (mut out, mut late) = (Vec::new(), Vec::new());
        op.process_element(rec("a", 1, 3, 0), &mut out, &mut late).unwrap();
        op.process_element(rec("a", 2, 9, 1), &mut out, &mut late).unwrap();
        op.process_element(rec("a", 4, 10, 2), &mut out, &mut late).unwrap();
        op.advance_watermark(Watermark(8), &mut out);
        assert!(out.is_empty());
        op.advance_watermark(Watermark(9), &mut out);
        assert_eq!(shown(&out), vec!["(a,3)@9"]);
        assert_eq!(out[0].lineage.input_seq, 0);
        assert_eq!(op.windows().len(), 1, "[0,10) cleaned up, [10,20) open");
        // Late: dropped and counted.
        op.process_element(rec("a", 100, 5, 3), &mut out, &mut late).unwrap();
        assert_eq!((late.len(), op.late_dropped()), (0, 1));
    }

    #[test]
    fn restore_resets_the_watermark_but_keeps_timers() {
        let mut op = EventWindowOperator::new(spec(WindowAssigner::Tumbling { size_ms: 10, offset_ms: 0 }, 0, false));
        let (mut out, mut late) = (Vec::new(), Vec::new());
        op.process_element(rec("a", 1, 3, 0), &mut out, &mut late).unwrap();
        op.advance_watermark(Watermark(50), &mut out);
        let snap = op.snapshot();
        assert!(snap.windows.is_empty() && snap.timers.is_empty());
        // Restored into the same instance (watermark 50 before): the watermark goes back to MIN.
        let mut fresh = op.clone();
        fresh.restore(&snap);
        assert_eq!(fresh.current_watermark(), Watermark::MIN);
        // The record that was late before the restore is on time now: window [0,10) again.
        out.clear();
        fresh.process_element(rec("a", 1, 3, 0), &mut out, &mut late).unwrap();
        fresh.advance_watermark(Watermark(9), &mut out);
        assert_eq!(shown(&out), vec!["(a,1)@9"], "Flink fires the window again after a restore");
    }

    #[test]
    fn snapshot_restore_round_trip_through_operator_state() {
        use crate::operator::{Operator, OperatorKind};
        use crate::state::OperatorState;
        let spec = spec(WindowAssigner::Sliding { size_ms: 10, slide_ms: 5, offset_ms: 0 }, 7, true);
        let mut op = Operator::new(OperatorKind::EventWindow(spec), vec![]);
        let mut c = crate::operator::SurvivingCounters::default();
        let mut out = Vec::new();
        for (i, (k, ts)) in [("a", 3), ("b", 12), ("a", 14)].into_iter().enumerate() {
            let mut ctx = crate::operator::OperatorContext { now_ms: 0, counters: &mut c, instance: "w[0]" };
            op.process(&mut ctx, rec(k, 1, ts, i as u64), &mut out).unwrap();
        }
        op.process_watermark(Watermark(9), &mut out);
        assert_eq!(shown(&out), vec!["(a,1)@4", "(a,1)@9"]);
        let st = op.snapshot();
        let OperatorState::EventWindow(ew) = &st else { panic!("{st:?}") };
        // a: [-5,5) and [0,10) fired but kept for the lateness of 7, [5,15), [10,20); b: two.
        assert_eq!(ew.windows.len(), 6);
        assert!(st.size_bytes() > 0);
        // Through JSON (as a checkpoint store would keep it) and back, then snapshot again.
        let json = serde_json::to_string(&st).unwrap();
        let back: OperatorState = serde_json::from_str(&json).unwrap();
        let mut fresh = Operator::new(OperatorKind::EventWindow(spec), vec![]);
        fresh.restore(&back);
        assert_eq!(fresh.snapshot(), st);
        assert_eq!(fresh.event_window().unwrap().current_watermark(), Watermark::MIN);
    }

    proptest! {
        /// With no late element (watermark strictly below every later timestamp's windows), the
        /// results equal a reference fold per (key, window), each window firing once.
        #[test]
        fn results_equal_reference_fold_without_late_records(
            elems in proptest::collection::vec((0u8..3, 0i64..200, -5i64..5), 1..60),
            size in 1u64..40, slide_div in 1u64..4, sliding in any::<bool>(), lag in 0i64..30,
            agg in 0usize..4,
        ) {
            let agg = Aggregate::ALL[agg];
            let slide = (size / slide_div).max(1);
            let assigner = if sliding {
                WindowAssigner::Sliding { size_ms: size, slide_ms: slide, offset_ms: 0 }
            } else {
                WindowAssigner::Tumbling { size_ms: size, offset_ms: 0 }
            };
            let mut op = EventWindowOperator::new(EventWindowSpec { aggregate: agg, ..spec(assigner, 0, true) });
            let (mut out, mut late) = (Vec::new(), Vec::new());
            let mut reference: BTreeMap<(String, TimeWindow), i64> = BTreeMap::new();
            // In timestamp order with the watermark behind each element: nothing is late.
            let mut elems = elems;
            elems.sort_by_key(|e| e.1);
            for (i, (k, ts, v)) in elems.iter().enumerate() {
                let key = format!("k{k}");
                for w in assigner.assign(*ts) {
                    let acc = reference.get(&(key.clone(), w)).copied();
                    reference.insert((key.clone(), w), fold(agg, acc, *v));
                }
                op.process_element(rec(&key, *v, *ts, i as u64), &mut out, &mut late).unwrap();
                op.advance_watermark(Watermark(ts - 1 - lag), &mut out);
            }
            op.advance_watermark(Watermark::MAX, &mut out);
            prop_assert!(late.is_empty());
            let mut got: BTreeMap<(String, TimeWindow), i64> = BTreeMap::new();
            for r in &out {
                let Value::Pair(k, n) = &r.value else { panic!() };
                let ts = r.timestamp.unwrap();
                let w = assigner.assign(ts).into_iter().find(|w| w.max_timestamp() == ts).unwrap();
                prop_assert!(got.insert((k.to_string(), w), *n).is_none(), "window fired twice");
            }
            prop_assert_eq!(got, reference);
            prop_assert!(op.windows().is_empty() && op.timers().is_empty());
        }
    }
}

#[cfg(test)]
mod more_tests {
    //! Session 11 (issue 14, mutation score): allowed lateness, the late side output, purging,
    //! the aggregates and the invariants, each against Flink's `WindowOperatorTest`.
    use super::*;

    fn rec(k: &str, v: i64, ts: i64, seq: u64) -> Record {
        Record { value: Value::Pair(k.into(), v), lineage: Lineage { input_seq: seq, sub: 0 }, timestamp: Some(ts) }
    }

    fn op(lateness_ms: u64, late_side_output: bool, purging: bool, aggregate: Aggregate) -> EventWindowOperator {
        EventWindowOperator::new(EventWindowSpec {
            assigner: WindowAssigner::Tumbling { size_ms: 10, offset_ms: 0 },
            aggregate,
            allowed_lateness_ms: lateness_ms,
            late_side_output,
            purging,
            time: WindowTime::Event,
        })
    }

    fn shown(out: &[Record]) -> Vec<String> {
        out.iter().map(|r| format!("{}@{}", r.value, r.timestamp.unwrap())).collect()
    }

    /// Session 28: a window marked to record its assignments hands each element to the host
    /// with the windows that took it, none when every window of it was late (dropped, no side
    /// output); a restore keeps the mark (the host marks the spec's operator before the task
    /// replays in-flight records); an unmarked window records nothing.
    #[test]
    fn a_marked_window_records_each_element_with_the_windows_that_took_it() {
        let mut w = op(0, false, false, Aggregate::Sum);
        let (mut out, mut late, mut got) = (Vec::new(), Vec::new(), Vec::new());
        w.process_element(rec("a", 1, 3, 0), &mut out, &mut late).unwrap();
        w.take_assigned(&mut got);
        assert!(got.is_empty(), "unmarked: nothing recorded");
        w.record_assignments();
        assert!(w.records_assignments());
        w.advance_watermark(Watermark(9), &mut out);
        w.process_element(rec("a", 2, 4, 1), &mut out, &mut late).unwrap();
        w.process_element(rec("a", 4, 12, 2), &mut out, &mut late).unwrap();
        w.take_assigned(&mut got);
        let shown: Vec<(u64, Vec<TimeWindow>)> = got.iter().map(|(r, ws)| (r.lineage.input_seq, ws.clone())).collect();
        assert_eq!(shown, vec![(1, vec![]), (2, vec![TimeWindow { start: 10, end: 20 }])]);
        assert!(late.is_empty(), "dropped, not side-output");
        let state = w.snapshot();
        w.restore(&state);
        assert!(w.records_assignments(), "a restore keeps the mark");
    }

    /// `WindowOperatorTest#testLateness` / `#testCleanupTimeOverflow` with an allowed lateness
    /// of 5 on tumbling windows of 10: after `[0,10)` fired at watermark 9 its contents stay
    /// until the cleanup time 14 (`maxTimestamp + allowedLateness`); an element for it before
    /// then is added and fires the window again at once with everything it holds (`FIRE`, the
    /// trigger's `onElement` sees `maxTimestamp <= currentWatermark`); at watermark 14 the
    /// window is late (`cleanupTime <= currentWatermark`, `isWindowLate`), its state is gone,
    /// and a later element for it goes to the late side output (`sideOutputLateData`).
    #[test]
    fn a_late_but_allowed_element_fires_the_window_again_until_its_cleanup_time() {
        let mut w = op(5, true, false, Aggregate::Sum);
        let (mut out, mut late) = (Vec::new(), Vec::new());
        w.process_element(rec("a", 1, 3, 0), &mut out, &mut late).unwrap();
        w.advance_watermark(Watermark(9), &mut out);
        assert_eq!(shown(&out), ["(a,1)@9"]);
        assert_eq!(w.windows().len(), 1, "kept for the allowed lateness");
        out.clear();
        w.advance_watermark(Watermark(13), &mut out);
        assert!(!w.is_window_late(&TimeWindow { start: 0, end: 10 }), "cleanup time 14 > 13");
        w.process_element(rec("a", 2, 4, 1), &mut out, &mut late).unwrap();
        assert_eq!(shown(&out), ["(a,3)@9"], "fired again with both elements");
        assert_eq!(out[0].lineage.input_seq, 0, "the smallest lineage of its contents");
        out.clear();
        w.advance_watermark(Watermark(14), &mut out);
        assert!(out.is_empty() && w.windows().is_empty() && w.timers().is_empty(), "cleaned up at 14");
        assert!(w.is_window_late(&TimeWindow { start: 0, end: 10 }), "cleanup time 14 <= 14");
        w.process_element(rec("a", 4, 4, 2), &mut out, &mut late).unwrap();
        assert!(out.is_empty());
        assert_eq!(shown(&late), ["(a,4)@4"], "late: side output");
        assert_eq!(w.late_dropped(), 0, "not dropped: side output configured");
    }

    /// `WindowOperatorTest#testSideOutputDueToLatenessTumbling`: with no allowed lateness an
    /// element whose timestamp equals the watermark is late (`timestamp + allowedLateness <=
    /// currentWatermark`, `isElementLate`) — its window `[0,10)` with `maxTimestamp` 9 is late
    /// at watermark 9 — and goes to the side output, or is dropped and counted
    /// (`numLateRecordsDropped`) without one. One millisecond later in the next window it is on
    /// time.
    #[test]
    fn an_element_at_the_watermark_is_late_without_allowed_lateness() {
        for side in [true, false] {
            let mut w = op(0, side, false, Aggregate::Sum);
            let (mut out, mut late) = (Vec::new(), Vec::new());
            w.advance_watermark(Watermark(9), &mut out);
            assert!(w.is_element_late(9) && !w.is_element_late(10));
            w.process_element(rec("a", 1, 9, 0), &mut out, &mut late).unwrap();
            w.process_element(rec("a", 1, 10, 1), &mut out, &mut late).unwrap();
            assert!(out.is_empty());
            assert_eq!(late.len(), usize::from(side), "side output {side}");
            assert_eq!(w.late_dropped(), u64::from(!side), "dropped and counted without one");
            assert_eq!(w.windows().len(), 1, "[10,20) holds the on-time element");
        }
    }

    /// `PurgingTrigger.of(EventTimeTrigger)` (`FIRE_AND_PURGE`): every firing clears the
    /// window's contents, so a late-but-allowed element fires the window with itself alone;
    /// without purging it fires with everything the window holds.
    #[test]
    fn a_purging_trigger_fires_each_element_once() {
        for purging in [true, false] {
            let mut w = op(5, false, purging, Aggregate::Sum);
            let (mut out, mut late) = (Vec::new(), Vec::new());
            w.process_element(rec("a", 1, 3, 0), &mut out, &mut late).unwrap();
            w.advance_watermark(Watermark(9), &mut out);
            assert_eq!(w.windows().is_empty(), purging, "purging {purging}: contents after the firing");
            w.process_element(rec("a", 2, 4, 1), &mut out, &mut late).unwrap();
            let want = if purging { ["(a,1)@9", "(a,2)@9"] } else { ["(a,1)@9", "(a,3)@9"] };
            assert_eq!(shown(&out), want, "purging {purging}");
        }
    }

    /// The window functions: `sum`, `count` and the `max` / `min` reductions over
    /// `(a,5) (a,-2) (a,9)` in one window; an `Int` key emits the bare number.
    #[test]
    fn the_window_aggregates_fold_exactly() {
        for (agg, want) in [(Aggregate::Sum, 12), (Aggregate::Count, 3), (Aggregate::Max, 9), (Aggregate::Min, -2)] {
            let mut w = op(0, false, false, agg);
            let (mut out, mut late) = (Vec::new(), Vec::new());
            for (i, v) in [5, -2, 9].into_iter().enumerate() {
                w.process_element(rec("a", v, 1 + i as i64, i as u64), &mut out, &mut late).unwrap();
            }
            w.advance_watermark(Watermark(9), &mut out);
            assert_eq!(shown(&out), [format!("(a,{want})@9")], "{agg:?}");
        }
        let mut w = op(0, false, false, Aggregate::Sum);
        let (mut out, mut late) = (Vec::new(), Vec::new());
        let r = Record { value: Value::Int(7), lineage: Lineage { input_seq: 0, sub: 0 }, timestamp: Some(2) };
        w.process_element(r, &mut out, &mut late).unwrap();
        w.advance_watermark(Watermark(9), &mut out);
        assert_eq!(shown(&out), ["7@9"], "an Int key: the key is the value, the result the sum");
    }

    /// A watermark that does not advance the operator's clock fires nothing and changes
    /// nothing (`InternalTimerServiceImpl#advanceWatermark` only moves forward); a timer
    /// exactly at the watermark fires.
    #[test]
    fn a_watermark_fires_timers_at_or_below_it_once() {
        let mut w = op(0, false, false, Aggregate::Sum);
        let (mut out, mut late) = (Vec::new(), Vec::new());
        w.process_element(rec("a", 1, 3, 0), &mut out, &mut late).unwrap();
        w.advance_watermark(Watermark(8), &mut out);
        assert!(out.is_empty());
        assert_eq!(w.current_watermark(), Watermark(8));
        w.advance_watermark(Watermark(5), &mut out);
        assert_eq!(w.current_watermark(), Watermark(8), "no step back");
        w.advance_watermark(Watermark(9), &mut out);
        w.advance_watermark(Watermark(9), &mut out);
        assert_eq!(shown(&out), ["(a,1)@9"], "fired once, at maxTimestamp");
    }

    /// Windows print as half-open intervals; the state's modelled size counts each window's
    /// key plus 48 bytes and each timer's key plus 24.
    #[test]
    fn windows_print_and_state_size_is_modelled() {
        assert_eq!(TimeWindow { start: -10, end: 0 }.to_string(), "[-10,0)");
        let mut w = op(5, false, false, Aggregate::Sum);
        let (mut out, mut late) = (Vec::new(), Vec::new());
        w.process_element(rec("ab", 1, 3, 0), &mut out, &mut late).unwrap();
        let st = w.snapshot();
        assert_eq!((st.windows.len(), st.timers.len()), (1, 2), "trigger and cleanup timers");
        let timers: Vec<i64> = w.timers().iter().map(|t| t.timestamp).collect();
        assert_eq!(timers, [9, 14], "the trigger at maxTimestamp, the cleanup 5 ms later, in firing order");
        let key = Value::str("ab").size_bytes();
        assert_eq!(st.size_bytes(), (key + 48) + 2 * (key + 24));
    }

    /// The model's range limits are inclusive: a size, slide or allowed lateness of exactly
    /// [`MAX_WINDOW_MS`] is accepted, one more is refused (Flink's own checks, `size > 0`,
    /// `abs(offset) < size` / `< slide`, are pinned by `validation_names_the_bad_parameter`).
    #[test]
    fn the_window_limits_are_inclusive() {
        let t = |size_ms| WindowAssigner::Tumbling { size_ms, offset_ms: 0 }.validate();
        let s = |size_ms, slide_ms| WindowAssigner::Sliding { size_ms, slide_ms, offset_ms: 0 }.validate();
        assert_eq!(t(MAX_WINDOW_MS), Ok(()));
        assert_eq!(t(MAX_WINDOW_MS + 1), Err(OperatorSpecError::WindowSize { size_ms: MAX_WINDOW_MS + 1 }));
        assert_eq!(t(1), Ok(()));
        assert_eq!(s(MAX_WINDOW_MS, MAX_WINDOW_MS), Ok(()));
        assert_eq!(
            s(MAX_WINDOW_MS, MAX_WINDOW_MS + 1),
            Err(OperatorSpecError::WindowSlide { slide_ms: MAX_WINDOW_MS + 1 })
        );
        assert_eq!(s(1, 1), Ok(()));
        let lateness = |allowed_lateness_ms| {
            EventWindowSpec {
                assigner: WindowAssigner::Tumbling { size_ms: 10, offset_ms: 0 },
                aggregate: Aggregate::Sum,
                allowed_lateness_ms,
                late_side_output: false,
                purging: false,
                time: WindowTime::Event,
            }
            .validate()
        };
        assert_eq!(lateness(MAX_WINDOW_MS), Ok(()));
        assert_eq!(
            lateness(MAX_WINDOW_MS + 1),
            Err(OperatorSpecError::AllowedLateness { allowed_lateness_ms: MAX_WINDOW_MS + 1 })
        );
    }

    /// The invariants report an empty window, a window of the wrong size, a window without its
    /// cleanup timer and a timer left behind the watermark; a legal state is not reported.
    #[test]
    fn invariants_catch_a_corrupt_state() {
        let panics = |w: &EventWindowOperator| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.invariants())).is_err()
        };
        let mut w = op(5, false, false, Aggregate::Sum);
        let (mut out, mut late) = (Vec::new(), Vec::new());
        w.process_element(rec("a", 1, 3, 0), &mut out, &mut late).unwrap();
        assert!(!panics(&w));
        let key = (Value::str("a"), TimeWindow { start: 0, end: 10 });
        let mut c = w.clone();
        c.windows.get_mut(&key).unwrap().elements = 0;
        assert!(panics(&c), "empty window");
        let mut c = w.clone();
        let acc = c.windows.remove(&key).unwrap();
        c.windows.insert((Value::str("a"), TimeWindow { start: 0, end: 11 }), acc);
        assert!(panics(&c), "wrong size");
        let mut c = w.clone();
        c.timers.retain(|t| t.timestamp != 14);
        assert!(panics(&c), "no cleanup timer");
        let mut c = w.clone();
        c.watermark = Watermark(9);
        assert!(panics(&c), "timer at 9 not fired");
    }

    /// The scan after a watermark is paced (`FULL_SCAN_STRIDE`) but still runs: a window
    /// without its cleanup timer among 200 open ones is reported within
    /// `ceil(200 / FULL_SCAN_STRIDE)` watermarks, and among at most `FULL_SCAN_STRIDE` open
    /// windows at the first one.
    #[test]
    fn paced_scan_still_catches_a_corrupt_state() {
        let corrupt = |n: i64| {
            let mut w = op(0, false, false, Aggregate::Sum);
            let (mut out, mut late) = (Vec::new(), Vec::new());
            // Windows [0,10), [10,20), ... of key "a": none fires below watermark 0.
            for i in 0..n {
                w.process_element(rec("a", 1, 1_000 + 10 * i, i as u64), &mut out, &mut late).unwrap();
            }
            w.advance_watermark(Watermark(0), &mut out);
            w.timers.retain(|t| t.timestamp != 1_000 + 10 * (n - 1) + 9);
            w
        };
        let watermarks_until_caught = |mut w: EventWindowOperator| {
            (1..=10).find(|wm| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    w.advance_watermark(Watermark(*wm), &mut Vec::new())
                }))
                .is_err()
            })
        };
        let small = FULL_SCAN_STRIDE as i64;
        assert_eq!(watermarks_until_caught(corrupt(small)), Some(1), "{small} windows: scanned every call");
        let caught = watermarks_until_caught(corrupt(200)).expect("200 windows: caught by a paced scan");
        assert!(caught <= 200usize.div_ceil(FULL_SCAN_STRIDE) as i64, "caught after {caught} watermarks");
        assert!(caught > 1, "200 windows are not scanned after every watermark (caught after {caught})");
    }
}
