//! Session windows (`EventTimeSessionWindows.withGap`): the merging branch of Flink's `WindowOperator#processElement`, its `MergingWindowSet` and `EventTimeTrigger#onMerge`, on the event-time window operator of `window.rs`.
//!
//! * Each element gets `[ts, ts + gap)` (`EventTimeSessionWindows#assignWindows`). The merging
//!   window set of its key (`MergingWindowSet#addWindow`) sorts its windows and the new one by
//!   start and merges every run of intersecting windows (`TimeWindow#mergeWindows`; windows that
//!   only touch, `a.end == b.start`, intersect too) into their cover. Since a key's windows are
//!   kept disjoint, at most one merge happens per element: the new window with every window it
//!   intersects.
//! * Each window maps to a *state window*: the namespace that holds its contents. A merge result
//!   keeps the state window of one of the windows it swallowed (Flink picks the first of a
//!   `HashSet`; here the one with the smallest start, which changes no result: contents are
//!   merged, not chosen) and the other state windows' contents are merged into it
//!   (`mergeNamespaces`). The trigger's timers of the swallowed windows and their cleanup timers
//!   are deleted (`triggerContext.clear()`, `deleteCleanupTimer`) and `onMerge` registers one at
//!   the merge result's `maxTimestamp` if the watermark is still below it. A new window inside an
//!   existing one is no merge: the existing window is the element's window.
//! * The late test is on the merged window (`isWindowLate(actualWindow)`): a late element that
//!   bridges into a window that is not late joins it; a late window alone is retired from the set
//!   (`retireWindow`) and the element goes to the late side output when it is late by its own
//!   timestamp (or is dropped). Then the element is added to the state window, the trigger fires
//!   the merged window at once when its `maxTimestamp` is behind the watermark (a late firing
//!   re-emits the merged window with everything it holds) or registers a timer there, and the
//!   cleanup timer goes to `maxTimestamp + allowedLateness` of the merged window.
//! * A timer of a window no longer in the set does nothing (`onEventTime`: "Timer firing for
//!   non-existent window"); at the cleanup time the contents, the trigger's timer and the window's
//!   entry in the set are removed (`clearAllState`, `retireWindow`).
//!
//! The merging window set is keyed state: it is in the snapshot beside the contents and timers
//! and moves by key group on a rescale (`EventWindowState::merging`).

use super::*;

/// One merge `MergingWindowSet#addWindow` reports to its `MergeFunction`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionMerge {
    /// The merge result (`mergeResult`): the cover of the merged windows and the new one.
    pub target: TimeWindow,
    /// The windows of the set it swallowed (`mergedWindows`, without the new window), by start.
    pub sources: Vec<TimeWindow>,
    /// The state window the result keeps (`stateWindowResult`).
    pub state_window: TimeWindow,
    /// The other state windows, whose contents go into `state_window` (`mergedStateWindows`).
    pub merged_state_windows: Vec<TimeWindow>,
}

/// Flink's `MergingWindowSet` of one key: each window of the set maps to the state window that
/// holds its contents. `add_window` follows `MergingWindowSet#addWindow` with
/// `TimeWindow#mergeWindows`: every window of the set and the new one, sorted by start, are cut
/// into runs of intersecting windows (`intersects`: touching windows too; a run is a set, so a
/// window added twice is one); each run of more than one window is a merge whose result keeps the
/// state window of one of its windows of the set (Flink takes the first of a `HashSet`; here the
/// one with the smallest start). A merge of only the new window into one window of the set that
/// it does not extend is not reported (`mergedWindows.contains(mergeResult) && size == 1`). When
/// nothing merged, the new window maps to itself (`mapping.put(resultWindow, resultWindow)`,
/// which also resets the state window of an identical window already in the set: unreachable
/// with element windows of one gap's length, whose merged windows are longer).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergingWindowSet {
    mapping: BTreeMap<TimeWindow, TimeWindow>,
}

impl MergingWindowSet {
    /// An empty set.
    pub fn new() -> MergingWindowSet {
        MergingWindowSet::default()
    }

    /// A set restored from its (window, state window) pairs (the constructor reading
    /// `windowState.get()`).
    pub fn from_mapping(pairs: impl IntoIterator<Item = (TimeWindow, TimeWindow)>) -> MergingWindowSet {
        MergingWindowSet { mapping: pairs.into_iter().collect() }
    }

    /// The (window, state window) pairs, by window (what `persist` writes).
    pub fn mapping(&self) -> &BTreeMap<TimeWindow, TimeWindow> {
        &self.mapping
    }

    /// `getStateWindow`.
    pub fn state_window(&self, window: &TimeWindow) -> Option<TimeWindow> {
        self.mapping.get(window).copied()
    }

    /// `retireWindow`: removes a window; Flink throws "Window ... is not in in-flight window
    /// set." for an unknown one, here `None`.
    pub fn retire_window(&mut self, window: &TimeWindow) -> Option<TimeWindow> {
        self.mapping.remove(window)
    }

    /// `addWindow`: the window the new one ended up in and the merges done on the way.
    pub fn add_window(&mut self, new: TimeWindow) -> (TimeWindow, Vec<SessionMerge>) {
        let mut sorted: Vec<TimeWindow> = self.mapping.keys().copied().chain([new]).collect();
        sorted.sort_by_key(|w| w.start);
        // TimeWindow#mergeWindows: runs of intersecting windows, each run a set.
        let mut runs: Vec<(TimeWindow, BTreeSet<TimeWindow>)> = Vec::new();
        for c in sorted {
            match runs.last_mut() {
                // TimeWindow#intersects: `start <= other.end && end >= other.start`.
                Some((cover, members)) if cover.start <= c.end && cover.end >= c.start => {
                    *cover = TimeWindow { start: cover.start.min(c.start), end: cover.end.max(c.end) };
                    members.insert(c);
                }
                _ => runs.push((c, BTreeSet::from([c]))),
            }
        }
        let mut result = new;
        let mut merged_new = false;
        let mut merges = Vec::new();
        let mut any = false;
        for (target, mut members) in runs.into_iter().filter(|(_, m)| m.len() > 1) {
            any = true;
            if members.remove(&new) {
                merged_new = true;
                result = target;
            }
            let first = *members.first().expect("a run of two windows keeps one of the set");
            let state_window = self.mapping[&first];
            let mut merged_state_windows: Vec<TimeWindow> =
                members.iter().filter_map(|w| self.mapping.remove(w)).collect();
            self.mapping.insert(target, state_window);
            merged_state_windows.retain(|s| *s != state_window);
            if !(members.len() == 1 && members.contains(&target)) {
                merges.push(SessionMerge {
                    target,
                    sources: members.into_iter().collect(),
                    state_window,
                    merged_state_windows,
                });
            }
        }
        if !any || (result == new && !merged_new) {
            self.mapping.insert(result, result);
        }
        (result, merges)
    }
}

impl EventWindowOperator {
    /// Plants `session-merge-loses-contents` (see the field): a merge keeps only the state
    /// window's contents.
    pub fn plant_merge_drops(&mut self) {
        self.merge_drops = true;
    }

    /// Session windows: the merging window set, (key, window) → state window.
    pub fn merging_windows(&self) -> &BTreeMap<(Value, TimeWindow), TimeWindow> {
        &self.merging
    }

    /// The windows of `key` in the merging window set, by start, with their state windows.
    fn session_windows_of(&self, key: &Value) -> Vec<(TimeWindow, TimeWindow)> {
        let lo = (key.clone(), TimeWindow { start: i64::MIN, end: i64::MIN });
        let hi = (key.clone(), TimeWindow { start: i64::MAX, end: i64::MAX });
        self.merging.range(lo..=hi).map(|((_, w), s)| (*w, *s)).collect()
    }

    /// `MergingWindowSet#addWindow` with `WindowOperator`'s merge function: returns the window
    /// the element of `key` with window `new` ended up in (see the module doc). The key's set is
    /// the [`MergingWindowSet`] of its windows; each merge it reports is applied to the operator
    /// as `WindowOperator`'s `MergeFunction` does.
    fn add_session_window(&mut self, key: &Value, new: TimeWindow) -> TimeWindow {
        let existing = self.session_windows_of(key);
        let mut set = MergingWindowSet::from_mapping(existing.iter().copied());
        let (result, merges) = set.add_window(new);
        for (w, _) in &existing {
            self.merging.remove(&(key.clone(), *w));
        }
        for (w, s) in set.mapping() {
            self.merging.insert((key.clone(), *w), *s);
        }
        for m in &merges {
            self.apply_merge(key, m);
        }
        result
    }

    /// `WindowOperator`'s `MergeFunction#merge` with `EventTimeTrigger`: `onMerge` registers a
    /// timer at the merge result's end unless the watermark passed it; the merged windows' trigger
    /// timers and cleanup timers are deleted (`triggerContext.clear()`, `deleteCleanupTimer`);
    /// the other state windows' contents go into the kept one (`mergeNamespaces`).
    fn apply_merge(&mut self, key: &Value, m: &SessionMerge) {
        if m.target.max_timestamp() > self.watermark.0 {
            self.timers.insert(Timer { timestamp: m.target.max_timestamp(), key: key.clone(), window: m.target });
        }
        for w in &m.sources {
            self.timers.remove(&Timer { timestamp: w.max_timestamp(), key: key.clone(), window: *w });
            self.timers.remove(&Timer { timestamp: self.cleanup_time(w), key: key.clone(), window: *w });
        }
        for s in &m.merged_state_windows {
            let Some(other) = self.windows.remove(&(key.clone(), *s)) else { continue };
            if self.merge_drops {
                continue;
            }
            let agg = self.spec.aggregate;
            let target = self.windows.get_mut(&(key.clone(), m.state_window)).expect("a state window holds contents");
            target.acc = merge_acc(agg, target.acc, other.acc);
            target.elements += other.elements;
            target.lineage = target.lineage.min(other.lineage);
        }
    }

    /// The merging branch of `processElement` for the element `rec` at `ts` of `key` with number `x`.
    pub(super) fn process_session_element(
        &mut self,
        rec: Record,
        ts: i64,
        (key, x): (Value, i64),
        out: &mut Vec<Record>,
        late: &mut Vec<Record>,
    ) {
        let new = self.spec.assigner.assign(ts)[0];
        let actual = self.add_session_window(&key, new);
        let mut took = Vec::new();
        if self.is_window_late(&actual) {
            // retireWindow: the new window alone (a merge result is never late: it covers a
            // window whose cleanup timer has not fired yet).
            self.merging.remove(&(key.clone(), actual));
        } else {
            took.push(actual);
            let state_window = self.merging[&(key.clone(), actual)];
            let acc = self.accumulate(&key, state_window, x, rec.lineage);
            if actual.max_timestamp() <= self.watermark.0 {
                out.push(result(&key, &actual, &acc));
                self.note_fire(actual);
            } else {
                self.timers.insert(Timer { timestamp: actual.max_timestamp(), key: key.clone(), window: actual });
            }
            let cleanup = self.cleanup_time(&actual);
            if cleanup != i64::MAX {
                self.timers.insert(Timer { timestamp: cleanup, key: key.clone(), window: actual });
            }
        }
        let skipped = took.is_empty();
        if self.record_assigned {
            self.assigned.push((rec.clone(), took));
        }
        if skipped && self.is_element_late(ts) {
            if self.spec.late_side_output {
                late.push(rec);
            } else {
                self.late_dropped += 1;
            }
        }
    }

    /// `onEventTime` for a merging assigner: the timer's window must still be in the set.
    pub(super) fn on_session_timer(&mut self, t: Timer, out: &mut Vec<Record>) {
        let Some(state_window) = self.merging.get(&(t.key.clone(), t.window)).copied() else { return };
        let contents = (t.key.clone(), state_window);
        if t.timestamp == t.window.max_timestamp() {
            if let Some(acc) = self.windows.get(&contents) {
                out.push(result(&t.key, &t.window, acc));
                self.note_fire(t.window);
            }
        }
        if t.timestamp == self.cleanup_time(&t.window) {
            self.windows.remove(&contents);
            self.timers.remove(&Timer { timestamp: t.window.max_timestamp(), key: t.key.clone(), window: t.window });
            self.merging.remove(&(t.key, t.window));
        }
    }

    /// Session windows: every window in the set maps to a state window of the gap's length inside
    /// it that holds contents, no two map to the same one, no contents are orphaned, a key's
    /// windows do not intersect, and every window has its cleanup timer.
    pub(super) fn session_invariants(&self) {
        let gap = self.spec.assigner.element_window_ms() as i64;
        let mut targets = BTreeSet::new();
        let mut last: Option<(&Value, TimeWindow)> = None;
        for ((key, w), s) in &self.merging {
            assert!(w.start <= s.start && s.end <= w.end, "state window {s} of {key} outside its window {w}");
            assert_eq!(s.end - s.start, gap, "state window {s} of {key} is not one element's window");
            let acc = self.windows.get(&(key.clone(), *s));
            assert!(acc.is_some_and(|a| a.elements >= 1), "window {w} of {key}: its state window {s} holds nothing");
            assert!(targets.insert((key, *s)), "two windows of {key} share the state window {s}");
            if let Some((k, prev)) = last.filter(|(k, _)| *k == key) {
                assert!(prev.end < w.start, "windows {prev} and {w} of {k} intersect and were not merged");
            }
            last = Some((key, *w));
            let cleanup = self.cleanup_time(w);
            assert!(
                cleanup == i64::MAX
                    || self.timers_dropped
                    || self.timers.contains(&Timer { timestamp: cleanup, key: key.clone(), window: *w }),
                "window {w} of {key} has no cleanup timer"
            );
        }
        assert_eq!(targets.len(), self.windows.len(), "window contents without a window in the merging set");
    }
}

#[cfg(test)]
mod tests {
    //! Session 41: session windows against Flink's `WindowOperatorTest` session cases and
    //! `MergingWindowSetTest`.
    use super::*;

    fn rec(k: &str, v: i64, ts: i64, seq: u64) -> Record {
        Record { value: Value::Pair(k.into(), v), lineage: Lineage { input_seq: seq, sub: 0 }, timestamp: Some(ts) }
    }

    fn session(gap_ms: u64, lateness_ms: u64, side: bool, aggregate: Aggregate) -> EventWindowOperator {
        EventWindowOperator::new(EventWindowSpec {
            assigner: WindowAssigner::Session { gap_ms },
            aggregate,
            allowed_lateness_ms: lateness_ms,
            late_side_output: side,
            purging: false,
            time: WindowTime::Event,
        })
    }

    fn shown(out: &[Record]) -> Vec<String> {
        let mut v: Vec<String> = out.iter().map(|r| format!("{}@{}", r.value, r.timestamp.unwrap())).collect();
        v.sort();
        v
    }

    /// `WindowOperatorTest#testSessionWindows` / `#testReduceSessionWindows` (gap 3 s, sum):
    /// out-of-order elements, a snapshot and restore in the middle, two sessions of key2 that
    /// never merge, then a later session; results at each merged window's `maxTimestamp`.
    #[test]
    fn flink_test_session_windows_with_a_restore_in_the_middle() {
        let mut w = session(3000, 0, false, Aggregate::Sum);
        let (mut out, mut late) = (Vec::new(), Vec::new());
        for (i, (k, v, ts)) in
            [("key2", 1, 0), ("key2", 2, 1000), ("key2", 3, 2500), ("key1", 1, 10), ("key1", 2, 1000)]
                .into_iter()
                .enumerate()
        {
            w.process_element(rec(k, v, ts, i as u64), &mut out, &mut late).unwrap();
        }
        let snap = w.snapshot();
        assert_eq!(snap.merging.len(), 2, "one merged window per key");
        let mut w = session(3000, 0, false, Aggregate::Sum);
        w.restore(&snap);
        for (i, (k, v, ts)) in
            [("key1", 3, 2500), ("key2", 4, 5501), ("key2", 5, 6000), ("key2", 5, 6000), ("key2", 6, 6050)]
                .into_iter()
                .enumerate()
        {
            w.process_element(rec(k, v, ts, 10 + i as u64), &mut out, &mut late).unwrap();
        }
        w.advance_watermark(Watermark(12000), &mut out);
        assert_eq!(shown(&out), ["(key1,6)@5499", "(key2,20)@9049", "(key2,6)@5499"]);
        out.clear();
        w.process_element(rec("key2", 10, 15000, 20), &mut out, &mut late).unwrap();
        w.process_element(rec("key2", 20, 15000, 21), &mut out, &mut late).unwrap();
        w.advance_watermark(Watermark(17999), &mut out);
        assert_eq!(shown(&out), ["(key2,30)@17999"]);
        assert!(w.windows().is_empty() && w.timers().is_empty() && w.merging_windows().is_empty());
        assert!(late.is_empty());
    }

    /// `MergingWindowSetTest#testIncrementalMerging` in spirit: a window that bridges two
    /// sessions merges all three; the state window is the first swallowed window's, the other's
    /// contents are merged into it, the swallowed windows' timers are gone and one timer sits at
    /// the merged window's end; a window inside an existing one is no merge; touching windows
    /// merge (`TimeWindow#intersects`).
    #[test]
    fn a_bridging_element_merges_two_sessions_and_their_timers() {
        let mut w = session(10, 0, false, Aggregate::Count);
        let (mut out, mut late) = (Vec::new(), Vec::new());
        w.process_element(rec("a", 1, 0, 0), &mut out, &mut late).unwrap();
        w.process_element(rec("a", 1, 20, 1), &mut out, &mut late).unwrap();
        assert_eq!(w.merging_windows().len(), 2);
        w.process_element(rec("a", 1, 10, 2), &mut out, &mut late).unwrap();
        let set: Vec<_> = w.merging_windows().iter().map(|((_, win), s)| (*win, *s)).collect();
        assert_eq!(set, [(TimeWindow { start: 0, end: 30 }, TimeWindow { start: 0, end: 10 })]);
        let timers: Vec<(i64, TimeWindow)> = w.timers().iter().map(|t| (t.timestamp, t.window)).collect();
        assert_eq!(timers, [(29, TimeWindow { start: 0, end: 30 })]);
        w.process_element(rec("a", 1, 15, 3), &mut out, &mut late).unwrap();
        assert_eq!(w.merging_windows().len(), 1, "[15,25) inside [0,30): no merge");
        w.process_element(rec("a", 1, 30, 4), &mut out, &mut late).unwrap();
        let set: Vec<TimeWindow> = w.merging_windows().keys().map(|(_, win)| *win).collect();
        assert_eq!(set, [TimeWindow { start: 0, end: 40 }], "[30,40) touches [0,30): merged");
        w.advance_watermark(Watermark::MAX, &mut out);
        assert_eq!(shown(&out), ["(a,5)@39"]);
    }

    /// `WindowOperatorTest#testDropDueToLatenessSessionZeroLateness` /
    /// `#testDropDueToLatenessSessionWithLateness` / `#testSideOutputDueToLatenessSessionZeroLateness`:
    /// the late test is on the merged window. With allowed lateness 1000 a late element that
    /// bridges into a fired but not yet cleaned session joins it and fires the merged session
    /// again at once; a late element whose own window is late and merges with nothing goes to
    /// the side output; at the cleanup time the session and its entry in the set are gone.
    #[test]
    fn lateness_is_judged_on_the_merged_window() {
        let mut w = session(3000, 1000, true, Aggregate::Sum);
        let (mut out, mut late) = (Vec::new(), Vec::new());
        w.process_element(rec("a", 1, 1000, 0), &mut out, &mut late).unwrap();
        w.advance_watermark(Watermark(4500), &mut out);
        assert_eq!(shown(&out), ["(a,1)@3999"]);
        out.clear();
        // Own window [500,3500) is late by itself (3499 + 1000 <= 4500) but meets [1000,4000).
        w.process_element(rec("a", 2, 500, 1), &mut out, &mut late).unwrap();
        assert_eq!(shown(&out), ["(a,3)@3999"], "the merged session [500,4000) fires again");
        assert!(late.is_empty());
        // Alone and late: side output.
        w.process_element(rec("a", 4, -5000, 2), &mut out, &mut late).unwrap();
        assert_eq!(late.len(), 1);
        assert_eq!(w.merging_windows().len(), 1, "the late window was retired");
        w.advance_watermark(Watermark(4999), &mut out);
        assert_eq!(shown(&out), ["(a,3)@3999"], "no firing at the cleanup time");
        assert!(w.windows().is_empty() && w.merging_windows().is_empty() && w.timers().is_empty());
    }

    /// The aggregates merge as Flink's `AggregateFunction#merge` / `ReduceFunction` do: counts
    /// and sums add up, max and min reduce, over two sessions bridged by a third element.
    #[test]
    fn merged_contents_fold_every_aggregate() {
        for (agg, want) in [(Aggregate::Sum, 12), (Aggregate::Count, 3), (Aggregate::Max, 9), (Aggregate::Min, -2)] {
            let mut w = session(10, 0, false, agg);
            let (mut out, mut late) = (Vec::new(), Vec::new());
            for (i, (v, ts)) in [(5, 0), (-2, 20), (9, 10)].into_iter().enumerate() {
                w.process_element(rec("a", v, ts, i as u64), &mut out, &mut late).unwrap();
            }
            w.process_element(rec("a", 0, 100, 9), &mut out, &mut late).unwrap();
            w.advance_watermark(Watermark(30), &mut out);
            assert_eq!(shown(&out), [format!("(a,{want})@29")], "{agg:?}");
            assert_eq!(out[0].lineage.input_seq, 0, "the smallest lineage of the merged contents");
        }
    }

    /// The planted `session-merge-loses-contents`: the bridged sessions' other contents vanish.
    #[test]
    fn the_planted_merge_keeps_one_side_only() {
        let mut w = session(5, 0, false, Aggregate::Sum);
        w.plant_merge_drops();
        let (mut out, mut late) = (Vec::new(), Vec::new());
        for (i, (v, ts)) in [(1, 0), (10, 10), (100, 5)].into_iter().enumerate() {
            w.process_element(rec("a", v, ts, i as u64), &mut out, &mut late).unwrap();
        }
        w.advance_watermark(Watermark::MAX, &mut out);
        assert_eq!(shown(&out), ["(a,101)@14"], "Flink: (a,111)");
    }

    /// The invariants report two intersecting windows of a key, contents without a window and
    /// a window without its cleanup timer; a legal state passes.
    #[test]
    fn session_invariants_catch_a_corrupt_set() {
        let panics = |w: &EventWindowOperator| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.invariants())).is_err()
        };
        let mut w = session(10, 0, false, Aggregate::Sum);
        let (mut out, mut late) = (Vec::new(), Vec::new());
        w.process_element(rec("a", 1, 0, 0), &mut out, &mut late).unwrap();
        w.process_element(rec("a", 1, 30, 1), &mut out, &mut late).unwrap();
        assert!(!panics(&w));
        let mut c = w.clone();
        let s = c.merging.remove(&(Value::str("a"), TimeWindow { start: 30, end: 40 })).unwrap();
        c.merging.insert((Value::str("a"), TimeWindow { start: 10, end: 40 }), s);
        c.timers.insert(Timer { timestamp: 39, key: Value::str("a"), window: TimeWindow { start: 10, end: 40 } });
        assert!(panics(&c), "[0,10) and [10,40) touch");
        let mut c = w.clone();
        c.merging.remove(&(Value::str("a"), TimeWindow { start: 30, end: 40 }));
        assert!(panics(&c), "orphaned contents");
        let mut c = w.clone();
        c.timers.retain(|t| t.timestamp != 39);
        assert!(panics(&c), "no cleanup timer");
        let snap = w.snapshot();
        let mut r = session(10, 0, false, Aggregate::Sum);
        r.restore(&snap);
        assert_eq!(r.snapshot(), snap, "the set survives a snapshot and restore");
    }

    /// Validation: a gap of 0 is refused (`EventTimeSessionWindows`: "gap must be > 0"), as are
    /// processing-time sessions and a purging trigger on sessions (not modelled).
    #[test]
    fn session_specs_are_validated() {
        assert_eq!(WindowAssigner::Session { gap_ms: 0 }.validate(), Err(OperatorSpecError::SessionGap { gap_ms: 0 }));
        assert_eq!(WindowAssigner::Session { gap_ms: 1 }.validate(), Ok(()));
        let spec = |time, purging| EventWindowSpec {
            assigner: WindowAssigner::Session { gap_ms: 5 },
            aggregate: Aggregate::Sum,
            allowed_lateness_ms: 0,
            late_side_output: false,
            purging,
            time,
        };
        assert!(spec(WindowTime::Event, false).validate().is_ok());
        assert!(matches!(
            spec(WindowTime::Processing, false).validate(),
            Err(OperatorSpecError::SessionUnsupported { key: "time", .. })
        ));
        assert!(matches!(
            spec(WindowTime::Event, true).validate(),
            Err(OperatorSpecError::SessionUnsupported { key: "purging", .. })
        ));
    }
}
