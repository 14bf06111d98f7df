//! Session windows (session 42): `WindowOperatorTest`'s event-time session cases (2.x) posed to `EventWindowOperator` with `WindowAssigner::Session`, and `MergingWindowSetTest` posed to `window::MergingWindowSet`.
//!
//! The window harness is `event_time.rs`'s: Flink's keyed one-input harness around a
//! `WindowOperator` with a sum (the tests' `SumReducer`, or a list state summed by
//! `SessionWindowFunction`: the same number), outputs compared sorted and cumulatively
//! (`assertOutputEqualsSorted`), a restore is snapshot, close, a new operator, restore. Flink's
//! session tests emit `Tuple3("key-sum", window.start, window.end)` at the window's
//! `maxTimestamp`; the model's result is `(key, sum)` at `maxTimestamp`, and the fired window
//! comes from `take_fires` (recorded in the same order as the results), so every expected line
//! names the window's start and end too. Event time takes no profile: each case runs once,
//! under flink-2.3.
//!
//! `MergingWindowSetTest` (read in its 1.x form, `Time.milliseconds(3)`) drives the set with
//! windows of any length, as the test does; `TestingMergeFunction`'s record of the one merge
//! (target, merged windows, state window, merged state windows) is the `SessionMerge` reported.

use crate::common::{
    case_name, ensure_eq, ensure_same_lines, flink, profile_name, run_table, Flink, WindowDriver, F23,
};
use ckptsim::operator::Aggregate;
use ckptsim::record::{Record, Value};
use ckptsim::window::{EventWindowSpec, MergingWindowSet, SessionMerge, TimeWindow, WindowAssigner, WindowTime};

struct Case {
    flink: Flink,
    check: fn() -> Result<(), String>,
}

const WOT: &str = "WindowOperatorTest";
const MWST: &str = "MergingWindowSetTest";

// ------------------------------------------------------------------------ window harness

/// The keyed harness around a session `WindowOperator` with gap 3 s and a sum.
struct SessionHarness {
    d: WindowDriver,
    out: Vec<String>,
    side: Vec<String>,
}

impl SessionHarness {
    fn new(lateness_ms: u64, side_output: bool) -> SessionHarness {
        let mut h = SessionHarness {
            d: WindowDriver::new(SessionHarness::spec(lateness_ms, side_output)),
            out: Vec::new(),
            side: Vec::new(),
        };
        h.d.op.record_fires();
        h
    }

    fn spec(lateness_ms: u64, side_output: bool) -> EventWindowSpec {
        EventWindowSpec {
            assigner: WindowAssigner::Session { gap_ms: 3000 },
            aggregate: Aggregate::Sum,
            allowed_lateness_ms: lateness_ms,
            late_side_output: side_output,
            purging: false,
            time: WindowTime::Event,
        }
    }

    /// The results in `out`, each with the window `take_fires` recorded for it.
    fn collect(&mut self, out: &[Record]) -> Result<(), String> {
        let mut fires = Vec::new();
        self.d.op.take_fires(&mut fires);
        ensure_eq(fires.len(), out.len(), "one fired window per result")?;
        for (r, (w, _)) in out.iter().zip(fires) {
            let ts = r.timestamp.ok_or("a window result without a timestamp")?;
            ensure_eq(ts, w.max_timestamp(), "a result's timestamp is its window's maxTimestamp")?;
            let Value::Pair(k, n) = &r.value else { return Err(format!("not a (key, sum) result: {}", r.value)) };
            self.out.push(format!("({k}-{n},{},{})@{ts}", w.start, w.end));
        }
        Ok(())
    }

    fn el(&mut self, key: &str, v: i64, ts: i64) -> Result<(), String> {
        let (out, late) = self.d.element(key, v, ts)?;
        self.collect(&out)?;
        for r in &late {
            self.side.push(format!("{}@{}", r.value, r.timestamp.unwrap_or(i64::MIN)));
        }
        Ok(())
    }

    fn els(&mut self, els: &[(&str, i64, i64)]) -> Result<(), String> {
        els.iter().try_for_each(|(k, v, ts)| self.el(k, *v, *ts))
    }

    fn wm(&mut self, t: i64) -> Result<(), String> {
        let out = self.d.watermark(t);
        self.collect(&out)?;
        self.out.push(format!("wm {t}"));
        Ok(())
    }

    /// Snapshot, close, a new operator restored from the snapshot; the output starts afresh
    /// when the test clears its expected output there (`fresh_output`).
    fn restore(&mut self, fresh_output: bool) {
        self.d.restore();
        self.d.op.record_fires();
        if fresh_output {
            self.out.clear();
        }
    }

    fn expect(&self, want: &[(&str, i64, i64, i64)]) -> Result<(), String> {
        ensure_same_lines(self.out.clone(), lines(want), "output")
    }

    fn expect_side(&self, want: &[&str]) -> Result<(), String> {
        ensure_same_lines(self.side.clone(), want.iter().map(|s| s.to_string()).collect(), "side output")
    }

    /// After the last cleanup timer: no contents, no timers, no windows in the merging set.
    fn expect_cleaned(&self) -> Result<(), String> {
        ensure_eq(self.d.op.windows().len(), 0, "window contents left")?;
        ensure_eq(self.d.op.timers().len(), 0, "timers left")?;
        ensure_eq(self.d.op.merging_windows().len(), 0, "windows left in the merging set")
    }
}

/// Expected lines: `("key2-6", 0, 5500, 5499)` is `Tuple3("key2-6", 0, 5500)` at 5499,
/// `("wm", 0, 0, t)` a watermark.
fn lines(v: &[(&str, i64, i64, i64)]) -> Vec<String> {
    v.iter().map(|(k, s, e, t)| if *k == "wm" { format!("wm {t}") } else { format!("({k},{s},{e})@{t}") }).collect()
}

/// `testSessionWindows` / `...WithProcessFunction` (`key1`'s first two elements before the
/// restore) and `testReduceSessionWindows` / `...WithProcessFunction` (after it).
fn session_windows(key1_before_restore: bool) -> Result<(), String> {
    let mut h = SessionHarness::new(0, false);
    h.els(&[("key2", 1, 0), ("key2", 2, 1000), ("key2", 3, 2500)])?;
    if key1_before_restore {
        h.els(&[("key1", 1, 10), ("key1", 2, 1000)])?;
    }
    h.expect(&[])?;
    h.restore(false);
    if key1_before_restore {
        h.els(&[("key1", 3, 2500)])?;
    } else {
        h.els(&[("key1", 1, 10), ("key1", 2, 1000), ("key1", 3, 2500)])?;
    }
    h.els(&[("key2", 4, 5501), ("key2", 5, 6000), ("key2", 5, 6000), ("key2", 6, 6050)])?;
    h.wm(12000)?;
    h.els(&[("key2", 10, 15000), ("key2", 20, 15000)])?;
    h.wm(17999)?;
    h.expect(&[
        ("key1-6", 10, 5500, 5499),
        ("key2-6", 0, 5500, 5499),
        ("key2-20", 5501, 9050, 9049),
        ("wm", 0, 0, 12000),
        ("key2-30", 15000, 18000, 17999),
        ("wm", 0, 0, 17999),
    ])?;
    h.expect_side(&[])
}

/// The shared first half of the lateness-with-sessions tests: two sessions of key2 merged by a
/// bridging element, fired at 11501, then a new session fired at 14600.
fn lateness_prefix(h: &mut SessionHarness) -> Result<(), String> {
    h.el("key2", 1, 1000)?;
    h.wm(1999)?;
    h.el("key2", 1, 2000)?;
    h.wm(4998)?;
    // Not late: the session it joins ends after the watermark.
    h.el("key2", 1, 4500)?;
    h.el("key2", 1, 8500)?;
    h.wm(7400)?;
    // Merges the two sessions into one.
    h.el("key2", 1, 7000)?;
    h.wm(11501)?;
    h.el("key2", 1, 11600)?;
    h.wm(14600)
}

const PREFIX: [(&str, i64, i64, i64); 7] = [
    ("wm", 0, 0, 1999),
    ("wm", 0, 0, 4998),
    ("wm", 0, 0, 7400),
    ("key2-5", 1000, 11500, 11499),
    ("wm", 0, 0, 11501),
    ("key2-1", 11600, 14600, 14599),
    ("wm", 0, 0, 14600),
];

fn with_prefix(rest: &[(&'static str, i64, i64, i64)]) -> Vec<(&'static str, i64, i64, i64)> {
    PREFIX.iter().chain(rest).copied().collect()
}

fn window_cases() -> Vec<Case> {
    vec![
        Case { flink: flink(WOT, "testSessionWindows", "2.x"), check: || session_windows(true) },
        Case { flink: flink(WOT, "testSessionWindowsWithProcessFunction", "2.x"), check: || session_windows(true) },
        Case { flink: flink(WOT, "testReduceSessionWindows", "2.x"), check: || session_windows(false) },
        Case {
            flink: flink(WOT, "testReduceSessionWindowsWithProcessFunction", "2.x"),
            check: || session_windows(false),
        },
        Case {
            flink: flink(WOT, "testSideOutputDueToLatenessSessionZeroLateness", "2.x"),
            check: || {
                let mut h = SessionHarness::new(0, true);
                lateness_prefix(&mut h)?;
                // [10000,13000) is late and [11600,14600) was cleaned up at 14599: side output.
                h.el("key2", 1, 10000)?;
                h.el("key2", 1, 14500)?;
                h.wm(20000)?;
                h.wm(100000)?;
                h.expect(&with_prefix(&[("key2-1", 14500, 17500, 17499), ("wm", 0, 0, 20000), ("wm", 0, 0, 100000)]))?;
                h.expect_side(&["(key2,1)@10000"])?;
                h.expect_cleaned()
            },
        },
        Case {
            flink: flink(WOT, "testNotSideOutputDueToLatenessSessionWithLateness", "2.x"),
            check: || {
                let mut h = SessionHarness::new(10, true);
                lateness_prefix(&mut h)?;
                // Merged into (11600-14600), still within its lateness: (10000-14600) fires at once.
                h.el("key2", 1, 10000)?;
                h.el("key2", 1, 14500)?;
                h.expect(&with_prefix(&[("key2-2", 10000, 14600, 14599)]))?;
                h.expect_side(&[])?;
                h.wm(20000)?;
                h.wm(100000)?;
                h.expect(&with_prefix(&[
                    ("key2-2", 10000, 14600, 14599),
                    ("key2-3", 10000, 17500, 17499),
                    ("wm", 0, 0, 20000),
                    ("wm", 0, 0, 100000),
                ]))?;
                h.expect_side(&[])?;
                h.expect_cleaned()
            },
        },
        Case {
            flink: flink(WOT, "testNotSideOutputDueToLatenessSessionWithHugeLateness", "2.x"),
            check: || {
                let mut h = SessionHarness::new(10000, true);
                lateness_prefix(&mut h)?;
                // Bridges (1000-11500) and (11600-14600), both within their lateness: the merged
                // session's maxTimestamp is behind the watermark, an immediate firing.
                h.el("key2", 1, 10000)?;
                h.expect(&with_prefix(&[("key2-7", 1000, 14600, 14599)]))?;
                h.expect_side(&[])?;
                h.el("key2", 1, 14500)?;
                h.wm(20000)?;
                h.wm(100000)?;
                h.expect(&with_prefix(&[
                    ("key2-7", 1000, 14600, 14599),
                    ("key2-8", 1000, 17500, 17499),
                    ("wm", 0, 0, 20000),
                    ("wm", 0, 0, 100000),
                ]))?;
                h.expect_side(&[])?;
                h.expect_cleaned()
            },
        },
        // The 1.x forms (no late side output: a late element is dropped and counted).
        Case {
            flink: flink(WOT, "testDropDueToLatenessSessionZeroLateness", "1.x"),
            check: || {
                let mut h = SessionHarness::new(0, false);
                lateness_prefix(&mut h)?;
                h.el("key2", 1, 10000)?;
                ensure_eq(h.d.op.late_dropped(), 1, "dropped as late (numLateRecordsDropped)")?;
                h.el("key2", 1, 14500)?;
                h.wm(20000)?;
                h.wm(100000)?;
                h.expect(&with_prefix(&[("key2-1", 14500, 17500, 17499), ("wm", 0, 0, 20000), ("wm", 0, 0, 100000)]))?;
                h.expect_side(&[])?;
                h.expect_cleaned()
            },
        },
        Case {
            flink: flink(WOT, "testDropDueToLatenessSessionWithLateness", "1.x"),
            check: || {
                let mut h = SessionHarness::new(10, false);
                lateness_prefix(&mut h)?;
                h.el("key2", 1, 10000)?;
                h.el("key2", 1, 14500)?;
                h.expect(&with_prefix(&[("key2-2", 10000, 14600, 14599)]))?;
                h.wm(20000)?;
                h.wm(100000)?;
                h.expect(&with_prefix(&[
                    ("key2-2", 10000, 14600, 14599),
                    ("key2-3", 10000, 17500, 17499),
                    ("wm", 0, 0, 20000),
                    ("wm", 0, 0, 100000),
                ]))?;
                ensure_eq(h.d.op.late_dropped(), 0, "nothing dropped")?;
                h.expect_cleaned()
            },
        },
        Case {
            flink: flink(WOT, "testCleanupTimerWithEmptyListStateForSessionWindows", "2.x"),
            check: cleanup_timer_session,
        },
        Case {
            flink: flink(WOT, "testCleanupTimerWithEmptyReduceStateForSessionWindows", "2.x"),
            check: cleanup_timer_session,
        },
    ]
}

/// `testCleanupTimerWithEmpty{List,Reduce}StateForSessionWindows` (gap 3 s, lateness 10): the
/// session fires at 3999 (`PassThroughFunction`'s `(key2,1)`, `ReducedSessionWindowFunction`'s
/// `("key2-1", 1000, 4000)`); the cleanup timer at 4009 leaves nothing behind.
fn cleanup_timer_session() -> Result<(), String> {
    let mut h = SessionHarness::new(10, false);
    h.el("key2", 1, 1000)?;
    h.wm(4998)?;
    h.wm(14600)?;
    h.expect(&[("key2-1", 1000, 4000, 3999), ("wm", 0, 0, 4998), ("wm", 0, 0, 14600)])?;
    h.expect_cleaned()
}

// ------------------------------------------------------------------------ merging window set

const fn tw(start: i64, end: i64) -> TimeWindow {
    TimeWindow { start, end }
}

/// `addWindow` of `new` must end in `want` without a merge.
fn no_merge(set: &mut MergingWindowSet, new: TimeWindow, want: TimeWindow) -> Result<(), String> {
    let (got, merges) = set.add_window(new);
    ensure_eq(got, want, &format!("addWindow({new})"))?;
    ensure_eq(merges, vec![], &format!("merges of addWindow({new})"))
}

/// `addWindow` of `new` must end in `want` with exactly one merge (`TestingMergeFunction` fails
/// on a second), which is returned.
fn one_merge(set: &mut MergingWindowSet, new: TimeWindow, want: TimeWindow) -> Result<SessionMerge, String> {
    let (got, mut merges) = set.add_window(new);
    ensure_eq(got, want, &format!("addWindow({new})"))?;
    ensure_eq(merges.len(), 1, &format!("merges of addWindow({new})"))?;
    let m = merges.remove(0);
    ensure_eq(m.target, want, "mergeTarget")?;
    if m.merged_state_windows.contains(&m.target) {
        return Err(format!("mergedStateWindows {:?} hold the merge target", m.merged_state_windows));
    }
    Ok(m)
}

fn one_of(got: Option<TimeWindow>, any: &[TimeWindow], what: &str) -> Result<(), String> {
    match got {
        Some(w) if any.contains(&w) => Ok(()),
        _ => Err(format!("{what}: got {got:?}, Flink any of {any:?}")),
    }
}

fn incremental_merging() -> Result<(), String> {
    let mut s = MergingWindowSet::new();
    no_merge(&mut s, tw(0, 4), tw(0, 4))?;
    ensure_eq(s.state_window(&tw(0, 4)), Some(tw(0, 4)), "getStateWindow(0,4)")?;
    no_merge(&mut s, tw(0, 4), tw(0, 4))?;
    let m = one_merge(&mut s, tw(3, 5), tw(0, 5))?;
    ensure_eq((m.state_window, m.sources, m.merged_state_windows), (tw(0, 4), vec![tw(0, 4)], vec![]), "merge")?;
    let m = one_merge(&mut s, tw(4, 6), tw(0, 6))?;
    ensure_eq((m.state_window, m.sources, m.merged_state_windows), (tw(0, 4), vec![tw(0, 5)], vec![]), "merge")?;
    ensure_eq(s.state_window(&tw(0, 6)), Some(tw(0, 4)), "getStateWindow(0,6)")?;
    // Windows inside the merged region.
    for w in [tw(1, 4), tw(0, 4), tw(3, 5), tw(4, 6)] {
        no_merge(&mut s, w, tw(0, 6))?;
    }
    ensure_eq(s.state_window(&tw(0, 6)), Some(tw(0, 4)), "getStateWindow(0,6)")?;
    no_merge(&mut s, tw(11, 14), tw(11, 14))?;
    ensure_eq(s.state_window(&tw(0, 6)), Some(tw(0, 4)), "getStateWindow(0,6)")?;
    ensure_eq(s.state_window(&tw(11, 14)), Some(tw(11, 14)), "getStateWindow(11,14)")?;
    let m = one_merge(&mut s, tw(10, 13), tw(10, 14))?;
    ensure_eq((m.state_window, m.sources, m.merged_state_windows), (tw(11, 14), vec![tw(11, 14)], vec![]), "merge")?;
    let m = one_merge(&mut s, tw(12, 15), tw(10, 15))?;
    ensure_eq((m.state_window, m.sources, m.merged_state_windows), (tw(11, 14), vec![tw(10, 14)], vec![]), "merge")?;
    no_merge(&mut s, tw(11, 14), tw(10, 15))?;
    ensure_eq(s.state_window(&tw(0, 6)), Some(tw(0, 4)), "getStateWindow(0,6)")?;
    ensure_eq(s.state_window(&tw(10, 15)), Some(tw(11, 14)), "getStateWindow(10,15)")?;
    s.retire_window(&tw(0, 6)).ok_or("retireWindow(0,6): not in the set")?;
    ensure_eq(s.state_window(&tw(0, 6)), None, "getStateWindow(0,6) after retireWindow")?;
    ensure_eq(s.state_window(&tw(10, 15)), Some(tw(11, 14)), "getStateWindow(10,15)")
}

fn late_merging() -> Result<(), String> {
    let mut s = MergingWindowSet::new();
    for w in [tw(0, 3), tw(5, 8), tw(10, 13)] {
        no_merge(&mut s, w, w)?;
        ensure_eq(s.state_window(&w), Some(w), &format!("getStateWindow({w})"))?;
    }
    let m = one_merge(&mut s, tw(8, 10), tw(5, 13))?;
    one_of(Some(m.state_window), &[tw(5, 8), tw(10, 13)], "stateWindow")?;
    ensure_eq(m.sources, vec![tw(5, 8), tw(10, 13)], "mergeSources")?;
    ensure_eq(m.merged_state_windows.len(), 1, "one merged state window")?;
    one_of(m.merged_state_windows.first().copied(), &[tw(5, 8), tw(10, 13)], "mergedStateWindows")?;
    ensure_eq(s.state_window(&tw(0, 3)), Some(tw(0, 3)), "getStateWindow(0,3)")?;
    for w in [tw(5, 8), tw(8, 10), tw(10, 13)] {
        no_merge(&mut s, w, tw(5, 13))?;
    }
    one_of(s.state_window(&tw(5, 13)), &[tw(5, 8), tw(10, 13)], "getStateWindow(5,13)")?;
    let m = one_merge(&mut s, tw(3, 5), tw(0, 13))?;
    let firsts = [tw(0, 3), tw(5, 8), tw(10, 13)];
    one_of(Some(m.state_window), &firsts, "stateWindow")?;
    ensure_eq(m.sources, vec![tw(0, 3), tw(5, 13)], "mergeSources")?;
    ensure_eq(m.merged_state_windows.len(), 1, "one merged state window")?;
    one_of(m.merged_state_windows.first().copied(), &firsts, "mergedStateWindows")?;
    one_of(s.state_window(&tw(0, 13)), &firsts, "getStateWindow(0,13)")
}

fn set_cases() -> Vec<Case> {
    vec![
        Case { flink: flink(MWST, "testIncrementalMerging", "1.x"), check: incremental_merging },
        Case { flink: flink(MWST, "testLateMerging", "1.x"), check: late_merging },
        Case {
            flink: flink(MWST, "testMergeLargeWindowCoveringSingleWindow", "1.x"),
            check: || {
                let mut s = MergingWindowSet::new();
                no_merge(&mut s, tw(1, 2), tw(1, 2))?;
                ensure_eq(s.state_window(&tw(1, 2)), Some(tw(1, 2)), "getStateWindow(1,2)")?;
                one_merge(&mut s, tw(0, 3), tw(0, 3))?;
                ensure_eq(s.state_window(&tw(0, 3)), Some(tw(1, 2)), "getStateWindow(0,3)")
            },
        },
        Case {
            flink: flink(MWST, "testAddingIdenticalWindows", "1.x"),
            check: || {
                let mut s = MergingWindowSet::new();
                for _ in 0..2 {
                    no_merge(&mut s, tw(1, 2), tw(1, 2))?;
                    ensure_eq(s.state_window(&tw(1, 2)), Some(tw(1, 2)), "getStateWindow(1,2)")?;
                }
                Ok(())
            },
        },
        Case {
            flink: flink(MWST, "testMergeLargeWindowCoveringMultipleWindows", "1.x"),
            check: || {
                let mut s = MergingWindowSet::new();
                for w in [tw(1, 3), tw(5, 8), tw(10, 13)] {
                    no_merge(&mut s, w, w)?;
                    ensure_eq(s.state_window(&w), Some(w), &format!("getStateWindow({w})"))?;
                }
                let m = one_merge(&mut s, tw(0, 13), tw(0, 13))?;
                // Flink's anyOf, as the test writes it (its (0,3) is a window never added: only
                // the third pair can match, the one left when (1,3) keeps the state).
                let mut merged = m.merged_state_windows.clone();
                merged.sort();
                let any = [vec![tw(0, 3), tw(5, 8)], vec![tw(0, 3), tw(10, 13)], vec![tw(5, 8), tw(10, 13)]];
                if !any.contains(&merged) {
                    return Err(format!("mergedStateWindows: got {merged:?}, Flink any of {any:?}"));
                }
                one_of(s.state_window(&tw(0, 13)), &[tw(1, 3), tw(5, 8), tw(10, 13)], "getStateWindow(0,13)")
            },
        },
        Case {
            flink: flink(MWST, "testRestoreFromState", "1.x"),
            check: || {
                let s = MergingWindowSet::from_mapping([(tw(17, 42), tw(42, 17)), (tw(1, 2), tw(3, 4))]);
                ensure_eq(s.state_window(&tw(17, 42)), Some(tw(42, 17)), "getStateWindow(17,42)")?;
                ensure_eq(s.state_window(&tw(1, 2)), Some(tw(3, 4)), "getStateWindow(1,2)")
            },
        },
        Case {
            flink: flink(MWST, "testPersist", "1.x"),
            check: || {
                let mut s = MergingWindowSet::new();
                s.add_window(tw(1, 2));
                s.add_window(tw(17, 42));
                ensure_eq(s.state_window(&tw(1, 2)), Some(tw(1, 2)), "getStateWindow(1,2)")?;
                ensure_eq(s.state_window(&tw(17, 42)), Some(tw(17, 42)), "getStateWindow(17,42)")?;
                // persist(): exactly the two pairs are written.
                let written: Vec<(TimeWindow, TimeWindow)> = s.mapping().iter().map(|(w, st)| (*w, *st)).collect();
                ensure_eq(written, vec![(tw(1, 2), tw(1, 2)), (tw(17, 42), tw(17, 42))], "persisted pairs")
            },
        },
    ]
}

/// The operator's own merging set is the one posed above: the windows an element of each key
/// ends up in, through `process_element`, equal `MergingWindowSet`'s answers for the same
/// windows (`testIncrementalMerging`'s windows have several lengths, so this runs its own
/// sequence of gap-long windows, out of order, with a bridge and a touching window).
fn operator_uses_the_set() -> Result<(), String> {
    let mut h = SessionHarness::new(0, false);
    let mut set = MergingWindowSet::new();
    for ts in [0, 10000, 5000, 2000, 13000, 30000, 27000, 20000] {
        h.el("k", 1, ts)?;
        set.add_window(tw(ts, ts + 3000));
        let op: Vec<(TimeWindow, TimeWindow)> = h.d.op.merging_windows().iter().map(|((_, w), s)| (*w, *s)).collect();
        let want: Vec<(TimeWindow, TimeWindow)> = set.mapping().iter().map(|(w, s)| (*w, *s)).collect();
        ensure_eq(op, want, &format!("merging set after the element at {ts}"))?;
    }
    Ok(())
}

fn all() -> Vec<Case> {
    let mut v = window_cases();
    v.extend(set_cases());
    v.push(Case { flink: flink(MWST, "testIncrementalMerging (operator)", "1.x"), check: operator_uses_the_set });
    v
}

pub fn census() -> Vec<(Flink, &'static str)> {
    all().iter().map(|c| (c.flink, profile_name(F23))).collect()
}

#[test]
fn session_windows_table() {
    run_table("session_windows", &all(), |c| case_name(&c.flink, F23), |c| (c.check)());
}

/// Every case can fail: the planted `session-merge-loses-contents` (a merge keeps only the
/// state window's contents) fails the cases whose sessions merge.
#[test]
fn the_planted_merge_fails_the_merging_cases() {
    let mut h = SessionHarness::new(10000, true);
    h.d.op.plant_merge_drops();
    let r = lateness_prefix(&mut h).and_then(|_| h.expect(&PREFIX));
    assert!(r.is_err(), "a merge that drops contents must change (key2-5)");
}
