//! Event time (issue 17): WindowOperatorTest (event-time tumbling/sliding windows, lateness, late side output, restore from a snapshot), StatusWatermarkValveTest, BoundedOutOfOrdernessWatermarksTest and WatermarksWithIdlenessTest posed to `window.rs` and `watermark.rs`.
//!
//! The expectations were read from the 2.x test sources. Event time does not differ between the
//! profiles (the core's event time takes no profile), so every case runs once, labelled
//! flink-2.3.

use crate::common::{
    case_name, ensure_eq, ensure_same_lines, flink, profile_name, run_table, Flink, WindowDriver, F23,
};
use ckptsim::operator::Aggregate;
use ckptsim::record::Record;
use ckptsim::watermark::{
    BoundedOutOfOrderness, IdlenessTimer, SourceWatermarks, StatusWatermarkValve, Watermark, WatermarkEvent,
    WatermarkSpecError, WatermarkStatus, WatermarkStrategy,
};
use ckptsim::window::{EventWindowSpec, TimeWindow, WindowAssigner};
use ckptsim::PartitionId;

struct Case {
    flink: Flink,
    check: fn() -> Result<(), String>,
}

// ------------------------------------------------------------------------ window harness

/// Flink's `OneInputStreamOperatorTestHarness` around a `WindowOperator` with a sum reducer:
/// the main output (records and forwarded watermarks) and the late side output, compared
/// sorted and cumulatively as `assertOutputEqualsSorted` does; `restore` is snapshot, close,
/// a new operator, restore.
struct WindowHarness {
    d: WindowDriver,
    out: Vec<String>,
    side: Vec<String>,
}

impl WindowHarness {
    fn new(assigner: WindowAssigner, lateness_ms: u64, side_output: bool, purging: bool) -> WindowHarness {
        let spec = EventWindowSpec {
            assigner,
            aggregate: Aggregate::Sum,
            allowed_lateness_ms: lateness_ms,
            late_side_output: side_output,
            purging,
            time: ckptsim::window::WindowTime::Event,
        };
        WindowHarness { d: WindowDriver::new(spec), out: Vec::new(), side: Vec::new() }
    }

    fn el(&mut self, key: &str, v: i64, ts: i64) -> Result<(), String> {
        let (out, late) = self.d.element(key, v, ts)?;
        self.out.extend(out.iter().map(show));
        self.side.extend(late.iter().map(show));
        Ok(())
    }

    fn wm(&mut self, t: i64) {
        let out = self.d.watermark(t);
        self.out.extend(out.iter().map(show));
        self.out.push(format!("wm {t}"));
    }

    fn restore(&mut self) {
        self.d.restore();
    }

    fn expect(&self, want: &[String]) -> Result<(), String> {
        ensure_same_lines(self.out.clone(), want.to_vec(), "output")
    }

    fn expect_side(&self, want: &[&str]) -> Result<(), String> {
        ensure_same_lines(self.side.clone(), want.iter().map(|s| s.to_string()).collect(), "side output")
    }
}

fn show(r: &Record) -> String {
    format!("{}@{}", r.value, r.timestamp.expect("window results and late records carry a timestamp"))
}

/// Expected output lines: `("key2", 3, 1999)` is a record, `("wm", 0, t)` a watermark.
fn lines(v: &[(&str, i64, i64)]) -> Vec<String> {
    v.iter().map(|(k, n, t)| if *k == "wm" { format!("wm {t}") } else { format!("({k},{n})@{t}") }).collect()
}

/// The elements of `testTumblingEventTimeWindows` / `testSlidingEventTimeWindows`, out of order.
fn out_of_order_elements(h: &mut WindowHarness) -> Result<(), String> {
    for (k, ts) in [
        ("key2", 3999),
        ("key2", 3000),
        ("key1", 20),
        ("key1", 0),
        ("key1", 999),
        ("key2", 1998),
        ("key2", 1999),
        ("key2", 1000),
    ] {
        h.el(k, 1, ts)?;
    }
    Ok(())
}

const WOT: &str = "WindowOperatorTest";
const SVT: &str = "StatusWatermarkValveTest";
const BOO: &str = "BoundedOutOfOrdernessWatermarksTest";
const WWI: &str = "WatermarksWithIdlenessTest";

fn window_cases() -> Vec<Case> {
    vec![
        Case {
            flink: flink(WOT, "testTumblingEventTimeWindowsReduce", "2.x"),
            check: || {
                let mut h =
                    WindowHarness::new(WindowAssigner::Tumbling { size_ms: 3000, offset_ms: 0 }, 0, false, false);
                out_of_order_elements(&mut h)?;
                let mut exp = lines(&[("wm", 0, 999)]);
                h.wm(999);
                h.expect(&exp)?;
                h.wm(1999);
                exp.extend(lines(&[("wm", 0, 1999)]));
                h.expect(&exp)?;
                // Snapshot, close, restore: the timers come back with the window contents.
                h.restore();
                h.wm(2999);
                exp.extend(lines(&[("key1", 3, 2999), ("key2", 3, 2999), ("wm", 0, 2999)]));
                h.expect(&exp)?;
                h.wm(3999);
                h.wm(4999);
                exp.extend(lines(&[("wm", 0, 3999), ("wm", 0, 4999)]));
                h.expect(&exp)?;
                h.wm(5999);
                exp.extend(lines(&[("key2", 2, 5999), ("wm", 0, 5999)]));
                h.expect(&exp)?;
                h.wm(6999);
                h.wm(7999);
                exp.extend(lines(&[("wm", 0, 6999), ("wm", 0, 7999)]));
                h.expect(&exp)
            },
        },
        Case {
            flink: flink(WOT, "testSlidingEventTimeWindowsReduce", "2.x"),
            check: || {
                let a = WindowAssigner::Sliding { size_ms: 3000, slide_ms: 1000, offset_ms: 0 };
                let mut h = WindowHarness::new(a, 0, false, false);
                out_of_order_elements(&mut h)?;
                h.wm(999);
                let mut exp = lines(&[("key1", 3, 999), ("wm", 0, 999)]);
                h.expect(&exp)?;
                h.wm(1999);
                exp.extend(lines(&[("key1", 3, 1999), ("key2", 3, 1999), ("wm", 0, 1999)]));
                h.expect(&exp)?;
                h.wm(2999);
                exp.extend(lines(&[("key1", 3, 2999), ("key2", 3, 2999), ("wm", 0, 2999)]));
                h.expect(&exp)?;
                h.restore();
                h.wm(3999);
                exp.extend(lines(&[("key2", 5, 3999), ("wm", 0, 3999)]));
                h.expect(&exp)?;
                h.wm(4999);
                exp.extend(lines(&[("key2", 2, 4999), ("wm", 0, 4999)]));
                h.expect(&exp)?;
                h.wm(5999);
                exp.extend(lines(&[("key2", 2, 5999), ("wm", 0, 5999)]));
                h.expect(&exp)?;
                h.wm(6999);
                h.wm(7999);
                exp.extend(lines(&[("wm", 0, 6999), ("wm", 0, 7999)]));
                h.expect(&exp)
            },
        },
        Case {
            flink: flink(WOT, "testLateness", "2.x"),
            check: || {
                // Tumbling 2 s, allowed lateness 500 ms, PurgingTrigger.of(EventTimeTrigger).
                let mut h =
                    WindowHarness::new(WindowAssigner::Tumbling { size_ms: 2000, offset_ms: 0 }, 500, true, true);
                h.el("key2", 1, 500)?;
                h.wm(1500);
                h.el("key2", 1, 1300)?;
                h.wm(2300);
                // Not late: maxTimestamp + lateness (2499) > 2300; fires at once, alone (purged).
                h.el("key2", 1, 1997)?;
                h.wm(6000);
                // Late: to the side output.
                h.el("key2", 1, 1998)?;
                h.wm(7000);
                h.expect(&lines(&[
                    ("wm", 0, 1500),
                    ("key2", 2, 1999),
                    ("wm", 0, 2300),
                    ("key2", 1, 1999),
                    ("wm", 0, 6000),
                    ("wm", 0, 7000),
                ]))?;
                h.expect_side(&["(key2,1)@1998"])
            },
        },
        Case {
            flink: flink(WOT, "testCleanupTimeOverflow", "2.x"),
            check: || {
                let a = WindowAssigner::Tumbling { size_ms: 1000, offset_ms: 0 };
                let mut h = WindowHarness::new(a, 2000, false, false);
                let ts = i64::MAX - 1750;
                let w: TimeWindow = a.assign(ts)[0];
                h.el("key2", 1, ts)?;
                // A wrapped-around cleanup timer would clear the window here.
                h.wm(i64::MAX - 1500);
                h.wm(w.max_timestamp());
                h.expect(&[
                    format!("wm {}", i64::MAX - 1500),
                    format!("(key2,1)@{}", w.max_timestamp()),
                    format!("wm {}", w.max_timestamp()),
                ])
            },
        },
        // Session 15, allowed-lateness re-survey (read in the tab-indented 1.x form): the drop
        // variants of the two side-output cases: no late-data tag, so the late element is
        // dropped (no side output) and the main output is the same.
        Case {
            flink: flink(WOT, "testDropDueToLatenessTumbling", "1.x"),
            check: || {
                let mut h =
                    WindowHarness::new(WindowAssigner::Tumbling { size_ms: 2000, offset_ms: 0 }, 0, false, false);
                h.el("key2", 1, 1000)?;
                h.wm(1985);
                h.el("key2", 1, 1980)?;
                h.wm(1999);
                h.el("key2", 1, 1998)?;
                h.el("key2", 1, 2001)?;
                h.wm(2999);
                h.wm(3999);
                h.expect(&lines(&[
                    ("wm", 0, 1985),
                    ("key2", 2, 1999),
                    ("wm", 0, 1999),
                    ("wm", 0, 2999),
                    ("key2", 1, 3999),
                    ("wm", 0, 3999),
                ]))?;
                h.expect_side(&[])
            },
        },
        Case {
            flink: flink(WOT, "testDropDueToLatenessSliding", "1.x"),
            check: || {
                let a = WindowAssigner::Sliding { size_ms: 3000, slide_ms: 1000, offset_ms: 0 };
                let mut h = WindowHarness::new(a, 0, false, false);
                h.el("key2", 1, 1000)?;
                h.wm(1999);
                h.el("key2", 1, 2000)?;
                h.wm(3000);
                h.el("key1", 1, 3001)?;
                h.el("key2", 1, 2400)?;
                h.el("key2", 1, 2400)?;
                h.el("key1", 1, 3001)?;
                h.el("key2", 1, 3900)?;
                h.wm(6000);
                // Dropped due to lateness.
                h.el("key1", 1, 3001)?;
                h.wm(25000);
                h.expect(&lines(&[
                    ("key2", 1, 1999),
                    ("wm", 0, 1999),
                    ("key2", 2, 2999),
                    ("wm", 0, 3000),
                    ("key2", 5, 3999),
                    ("key1", 2, 3999),
                    ("key2", 4, 4999),
                    ("key1", 2, 4999),
                    ("key2", 1, 5999),
                    ("key1", 2, 5999),
                    ("wm", 0, 6000),
                    ("wm", 0, 25000),
                ]))?;
                h.expect_side(&[])
            },
        },
        // Tumbling 2 s, lateness 1: the window fires at 1999 and its cleanup timer
        // (maxTimestamp + lateness) at 2000, after which no timer is left.
        Case {
            flink: flink(WOT, "testCleanupTimerWithEmptyReduceStateForTumblingWindows", "1.x"),
            check: || {
                let mut h =
                    WindowHarness::new(WindowAssigner::Tumbling { size_ms: 2000, offset_ms: 0 }, 1, false, false);
                h.el("key2", 1, 1000)?;
                h.wm(1599);
                h.wm(1999);
                ensure_eq(h.d.op.timers().len(), 1, "timers after the window fired (the cleanup timer)")?;
                h.wm(2000);
                ensure_eq(h.d.op.timers().len(), 0, "timers after the cleanup timer")?;
                h.wm(5000);
                h.expect(&lines(&[
                    ("wm", 0, 1599),
                    ("key2", 1, 1999),
                    ("wm", 0, 1999),
                    ("wm", 0, 2000),
                    ("wm", 0, 5000),
                ]))
            },
        },
        Case {
            flink: flink(WOT, "testSideOutputDueToLatenessTumbling", "2.x"),
            check: || {
                let mut h =
                    WindowHarness::new(WindowAssigner::Tumbling { size_ms: 2000, offset_ms: 0 }, 0, true, false);
                h.el("key2", 1, 1000)?;
                h.wm(1985);
                h.el("key2", 1, 1980)?;
                h.wm(1999);
                h.el("key2", 1, 1998)?;
                h.el("key2", 1, 2001)?;
                h.wm(2999);
                h.wm(3999);
                h.expect(&lines(&[
                    ("wm", 0, 1985),
                    ("key2", 2, 1999),
                    ("wm", 0, 1999),
                    ("wm", 0, 2999),
                    ("key2", 1, 3999),
                    ("wm", 0, 3999),
                ]))?;
                h.expect_side(&["(key2,1)@1998"])
            },
        },
        Case {
            flink: flink(WOT, "testSideOutputDueToLatenessSliding", "2.x"),
            check: || {
                let a = WindowAssigner::Sliding { size_ms: 3000, slide_ms: 1000, offset_ms: 0 };
                let mut h = WindowHarness::new(a, 0, true, false);
                h.el("key2", 1, 1000)?;
                h.wm(1999);
                h.el("key2", 1, 2000)?;
                h.wm(3000);
                h.el("key1", 1, 3001)?;
                // Assigned to windows ending at 2999 (late, dropped from it), 3999 and 4999.
                h.el("key2", 1, 2400)?;
                h.el("key2", 1, 2400)?;
                h.el("key1", 1, 3001)?;
                h.el("key2", 1, 3900)?;
                h.wm(6000);
                h.el("key1", 1, 3001)?;
                h.wm(25000);
                h.expect(&lines(&[
                    ("key2", 1, 1999),
                    ("wm", 0, 1999),
                    ("key2", 2, 2999),
                    ("wm", 0, 3000),
                    ("key2", 5, 3999),
                    ("key1", 2, 3999),
                    ("key2", 4, 4999),
                    ("key1", 2, 4999),
                    ("key2", 1, 5999),
                    ("key1", 2, 5999),
                    ("wm", 0, 6000),
                    ("wm", 0, 25000),
                ]))?;
                h.expect_side(&["(key1,1)@3001"])
            },
        },
    ]
}

// --------------------------------------------------------------------------- valve harness

/// Feeds a valve and pops its outputs in order (`popLastSeenOutput`), like the test's
/// `StatusWatermarkOutput`.
struct Valve(StatusWatermarkValve);

impl Valve {
    fn wm(&mut self, ch: u32, t: i64) -> &mut Self {
        self.0.input_watermark(ch, Watermark(t));
        self
    }
    fn idle(&mut self, ch: u32) -> &mut Self {
        self.0.input_status(ch, WatermarkStatus::Idle);
        self
    }
    fn active(&mut self, ch: u32) -> &mut Self {
        self.0.input_status(ch, WatermarkStatus::Active);
        self
    }
    /// Everything emitted since the last call, in order; then nothing more.
    fn pops(&mut self, want: &[&str]) -> Result<(), String> {
        let mut got = Vec::new();
        while let Some(ev) = self.0.poll_output() {
            got.push(match ev {
                WatermarkEvent::Watermark(Watermark(t)) => format!("wm {t}"),
                WatermarkEvent::Status(WatermarkStatus::Idle) => "IDLE".to_string(),
                WatermarkEvent::Status(WatermarkStatus::Active) => "ACTIVE".to_string(),
            });
        }
        ensure_eq(got, want.iter().map(|s| s.to_string()).collect(), "valve output")
    }
}

fn valve(n: u32) -> Valve {
    Valve(StatusWatermarkValve::new(n))
}

fn valve_cases() -> Vec<Case> {
    vec![
        Case {
            flink: flink(SVT, "testSingleInputIncreasingWatermarks", "2.x"),
            check: || {
                let mut v = valve(1);
                v.wm(0, 0).pops(&["wm 0"])?;
                v.wm(0, 25).pops(&["wm 25"])
            },
        },
        Case {
            flink: flink(SVT, "testSingleInputDecreasingWatermarksYieldsNoOutput", "2.x"),
            check: || {
                let mut v = valve(1);
                v.wm(0, 25).pops(&["wm 25"])?;
                v.wm(0, 18).pops(&[])?;
                v.wm(0, 42).pops(&["wm 42"])
            },
        },
        Case {
            flink: flink(SVT, "testSingleInputWatermarkStatusToggling", "2.x"),
            check: || {
                let mut v = valve(1);
                v.active(0).pops(&[])?;
                v.idle(0).pops(&["IDLE"])?;
                v.idle(0).pops(&[])?;
                v.active(0).pops(&["ACTIVE"])
            },
        },
        Case {
            flink: flink(SVT, "testSingleInputWatermarksIntactDuringIdleness", "2.x"),
            check: || {
                let mut v = valve(1);
                v.wm(0, 25).pops(&["wm 25"])?;
                v.idle(0).pops(&["IDLE"])?;
                v.wm(0, 50).pops(&[])?;
                ensure_eq(v.0.channel(0).watermark, Watermark(25), "channel 0 watermark while idle")?;
                v.active(0).pops(&["ACTIVE"])?;
                v.wm(0, 50).pops(&["wm 50"])
            },
        },
        Case {
            flink: flink(SVT, "testMultipleInputYieldsWatermarkOnlyWhenAllChannelsReceivesWatermarks", "2.x"),
            check: || {
                let mut v = valve(3);
                v.wm(0, 0).wm(1, 0).pops(&[])?;
                v.wm(2, 0).pops(&["wm 0"])
            },
        },
        Case {
            flink: flink(SVT, "testMultipleInputIncreasingWatermarks", "2.x"),
            check: || {
                let mut v = valve(3);
                v.wm(0, 0).wm(1, 0).wm(2, 0).pops(&["wm 0"])?;
                v.wm(0, 12).wm(2, 8).wm(2, 10).pops(&[])?;
                v.wm(1, 15).pops(&["wm 10"])?;
                v.wm(2, 17).pops(&["wm 12"])?;
                v.wm(0, 20).pops(&["wm 15"])
            },
        },
        Case {
            flink: flink(SVT, "testMultipleInputDecreasingWatermarksYieldsNoOutput", "2.x"),
            check: || {
                let mut v = valve(3);
                v.wm(0, 25).wm(1, 10).wm(2, 17).pops(&["wm 10"])?;
                v.wm(0, 12).wm(1, 8).wm(2, 15).pops(&[])
            },
        },
        Case {
            flink: flink(SVT, "testMultipleInputWatermarkStatusToggling", "2.x"),
            check: || {
                let mut v = valve(2);
                v.active(0).active(1).pops(&[])?;
                v.idle(1).pops(&[])?;
                v.idle(0).pops(&["IDLE"])?;
                v.idle(0).idle(1).pops(&[])?;
                v.active(1).pops(&["ACTIVE"])?;
                v.active(0).pops(&[])
            },
        },
        Case {
            flink: flink(SVT, "testMultipleInputWatermarkAdvancingWithPartiallyIdleChannels", "2.x"),
            check: || {
                let mut v = valve(3);
                v.wm(0, 15).wm(1, 10).pops(&[])?;
                v.idle(2).pops(&["wm 10"])?;
                v.wm(1, 18).pops(&["wm 15"])?;
                v.wm(0, 20).pops(&["wm 18"])
            },
        },
        Case {
            flink: flink(SVT, "testMultipleInputWatermarkAdvancingAsChannelsIndividuallyBecomeIdle", "2.x"),
            check: || {
                let mut v = valve(3);
                v.wm(0, 25).wm(1, 10).wm(2, 17).pops(&["wm 10"])?;
                v.idle(1).pops(&["wm 17"])?;
                v.idle(2).pops(&["wm 25"])
            },
        },
        Case {
            flink: flink(SVT, "testMultipleInputFlushMaxWatermarkAndWatermarkStatusOnceAllInputsBecomeIdle", "2.x"),
            check: || {
                let mut v = valve(3);
                v.wm(0, 10).wm(1, 5).wm(2, 3).pops(&["wm 3"])?;
                v.idle(0).idle(1).pops(&[])?;
                v.idle(2).pops(&["wm 10", "IDLE"])
            },
        },
        Case {
            flink: flink(SVT, "testMultipleInputWatermarkRealignmentAfterResumeActive", "2.x"),
            check: || {
                let mut v = valve(3);
                v.wm(0, 10).wm(1, 7).wm(2, 3).pops(&["wm 3"])?;
                v.idle(2).pops(&["wm 7"])?;
                v.active(2);
                ensure_eq(v.0.channel(2).aligned, false, "channel 2 aligned after resuming behind")?;
                v.wm(2, 5).pops(&[])?;
                ensure_eq(v.0.channel(2).watermark, Watermark(5), "channel 2 watermark while catching up")?;
                v.wm(2, 9).pops(&[])?;
                ensure_eq(v.0.channel(2).aligned, true, "channel 2 aligned once caught up")?;
                v.wm(1, 12).pops(&["wm 9"])
            },
        },
        Case {
            flink: flink(SVT, "testNoOutputWhenAllActiveChannelsAreUnaligned", "2.x"),
            check: || {
                let mut v = valve(3);
                v.wm(0, 10).wm(1, 7);
                v.idle(2).pops(&["wm 7"])?;
                v.active(2).pops(&[])?;
                v.idle(0).idle(1).pops(&[])
            },
        },
    ]
}

// ------------------------------------------------------------------------------ generators

fn generator_cases() -> Vec<Case> {
    vec![
        Case {
            flink: flink(BOO, "testWatermarkBeforeRecords", "2.x"),
            check: || ensure_eq(BoundedOutOfOrderness::new(10).on_periodic_emit(), Watermark(i64::MIN), "watermark"),
        },
        Case {
            flink: flink(BOO, "testWatermarkAfterEvent", "2.x"),
            check: || {
                let mut g = BoundedOutOfOrderness::new(10);
                g.on_event(1337);
                ensure_eq(g.on_periodic_emit(), Watermark(1326), "watermark")
            },
        },
        Case {
            flink: flink(BOO, "testWatermarkAfterNonMonotonousEvents", "2.x"),
            check: || {
                let mut g = BoundedOutOfOrderness::new(10);
                for t in [12345, 12300, 12340, 12280] {
                    g.on_event(t);
                }
                ensure_eq(g.on_periodic_emit(), Watermark(12334), "watermark")
            },
        },
        Case {
            flink: flink(BOO, "testRepeatedProbe", "2.x"),
            check: || {
                let mut g = BoundedOutOfOrderness::new(10);
                g.on_event(723456);
                g.on_periodic_emit();
                ensure_eq(g.on_periodic_emit(), Watermark(723445), "watermark")
            },
        },
        Case {
            flink: flink(WWI, "testZeroTimeout", "2.x"),
            check: || {
                ensure_eq(
                    WatermarkStrategy::monotonous().with_idleness(0).validate(),
                    Err(WatermarkSpecError::ZeroIdleTimeout),
                    "validation",
                )
            },
        },
        Case { flink: flink(WWI, "testNegativeTimeout", "2.x"), check: negative_idle_timeout_refused },
        Case {
            flink: flink(WWI, "testInitiallyActive", "2.x"),
            check: || ensure_eq(IdlenessTimer::new(10).check_if_idle(1_000_000), false, "idle"),
        },
        Case {
            flink: flink(WWI, "testIdleWithoutEvents", "2.x"),
            check: || {
                let mut t = IdlenessTimer::new(10);
                t.check_if_idle(1_000_000);
                ensure_eq(t.check_if_idle(1_000_011), true, "idle after 11 ms")
            },
        },
        Case {
            flink: flink(WWI, "testRepeatedIdleChecks", "2.x"),
            check: || {
                let (mut t, now) = idle_timer(122)?;
                ensure_eq(t.check_if_idle(now), true, "idle")?;
                ensure_eq(t.check_if_idle(now + 100), true, "still idle 100 ms later")
            },
        },
        Case {
            flink: flink(WWI, "testActiveAfterIdleness", "2.x"),
            check: || {
                let (mut t, now) = idle_timer(10)?;
                t.activity();
                ensure_eq(t.check_if_idle(now), false, "active after an event")
            },
        },
        Case {
            flink: flink(WWI, "testIdleActiveIdle", "2.x"),
            check: || {
                let (mut t, now) = idle_timer(122)?;
                t.activity();
                ensure_eq(t.check_if_idle(now), false, "active again")?;
                t.check_if_idle(now);
                ensure_eq(t.check_if_idle(now + 123), true, "idle again")
            },
        },
    ]
}

/// `testNegativeTimeout`: Flink's `WatermarksWithIdleness` constructor throws
/// `IllegalArgumentException` for a negative idle timeout. The core's timeout is unsigned, so
/// the only way to ask for a negative one is a scenario file: the loader refuses it with an
/// error located at the source's `idle_timeout_ms` (no strategy is built).
fn negative_idle_timeout_refused() -> Result<(), String> {
    let text = |timeout: &str| {
        format!(
            "name = \"negative-idle-timeout\"\nstop_at_ms = 2000\n\n[checkpoint]\ninterval_ms = 500\n\n\
             [[operators]]\nkind = \"log-source\"\nname = \"Source\"\nwatermarks = \"monotonous\"\n\
             idle_timeout_ms = {timeout}\n\n[[operators]]\nkind = \"print-sink\"\n\n\
             [input]\npartitions = 1\nrecords = [{{ at_ms = 100, partition = 0, value = \"a\", ts_ms = 50 }}]\n"
        )
    };
    // The same file with a positive timeout loads: only the sign is refused.
    ckptsim_sim::scenario::parse("idle.toml", &text("1000")).map_err(|e| format!("a positive timeout refused: {e}"))?;
    match ckptsim_sim::scenario::parse("idle.toml", &text("-1")) {
        Ok(_) => Err("a negative idle timeout was accepted".into()),
        Err(e) if e.field == "operators[0].idle_timeout_ms" => Ok(()),
        Err(e) => Err(format!("refused at `{}`, not at operators[0].idle_timeout_ms: {e}", e.field)),
    }
}

/// `createTimerAndMakeIdle`: a timer whose countdown started and ran out (one past the timeout).
fn idle_timer(timeout_ms: u64) -> Result<(IdlenessTimer, u64), String> {
    let start = 1_000_000;
    let mut t = IdlenessTimer::new(timeout_ms);
    t.check_if_idle(start);
    let now = start + timeout_ms + 1;
    ensure_eq(t.check_if_idle(now), true, "idle after the timeout")?;
    Ok((t, now))
}

// ------------------------------------------------------- periodic emission (session 40)

const TAWO: &str = "TimestampsAndWatermarksOperatorTest";

/// The test's `AUTO_WATERMARK_INTERVAL`.
const AUTO_WATERMARK_INTERVAL: u64 = 50;

/// `TimestampsAndWatermarksOperatorTest` posed to the model's one watermark-generating operator,
/// a source's `SourceWatermarks` with one split: the same generator contract (`onEvent` on every
/// record, `onPeriodicEmit` on the processing-time timer every auto-watermark interval) and the
/// same output that drops a watermark that does not advance (`WatermarkEmitter` /
/// `WatermarkToDataOutput`). The test's `PeriodicWatermarkGenerator` emits `last timestamp - 1`;
/// the model's monotonous generator emits `max timestamp - 1`, the same on these inputs.
fn assigner() -> SourceWatermarks {
    let strategy =
        WatermarkStrategy { auto_watermark_interval_ms: AUTO_WATERMARK_INTERVAL, ..WatermarkStrategy::monotonous() };
    SourceWatermarks::new(strategy, &[PartitionId(0)], 0)
}

fn emitted(s: &mut SourceWatermarks) -> Vec<i64> {
    let mut got = Vec::new();
    while let Some(ev) = s.poll_output() {
        match ev {
            WatermarkEvent::Watermark(Watermark(t)) => got.push(t),
            WatermarkEvent::Status(st) => got.push(if st == WatermarkStatus::Idle { -1_000 } else { -2_000 }),
        }
    }
    got
}

fn timestamps_and_watermarks_cases() -> Vec<Case> {
    vec![
        Case {
            flink: flink(TAWO, "periodicWatermarksEmitOnPeriodicEmit", "1.11-2.x"),
            check: || {
                let mut s = assigner();
                s.on_record(PartitionId(0), 2);
                s.handle_timeout(AUTO_WATERMARK_INTERVAL);
                ensure_eq(emitted(&mut s), vec![1], "after the first interval")?;
                s.on_record(PartitionId(0), 4);
                s.handle_timeout(AUTO_WATERMARK_INTERVAL * 2);
                ensure_eq(emitted(&mut s), vec![3], "after the second interval")
            },
        },
        Case {
            flink: flink(TAWO, "periodicWatermarksOnlyEmitOnPeriodicEmit", "1.11-2.x"),
            check: || {
                let mut s = assigner();
                s.on_record(PartitionId(0), 2);
                ensure_eq(emitted(&mut s), vec![], "before the timer")?;
                // One millisecond short of the interval: still nothing.
                s.handle_timeout(AUTO_WATERMARK_INTERVAL - 1);
                ensure_eq(emitted(&mut s), vec![], "before the interval")
            },
        },
        Case {
            flink: flink(TAWO, "periodicWatermarksDoNotRegress", "1.11-2.x"),
            check: || {
                let mut s = assigner();
                s.on_record(PartitionId(0), 4);
                s.handle_timeout(AUTO_WATERMARK_INTERVAL);
                ensure_eq(emitted(&mut s), vec![3], "first interval")?;
                // As the test does: the same processing time again fires nothing.
                s.on_record(PartitionId(0), 2);
                s.handle_timeout(AUTO_WATERMARK_INTERVAL);
                ensure_eq(emitted(&mut s), vec![], "same time")?;
                // What the name asks, with a generator whose watermark does fall (the model's
                // own generator never falls; a second split that starts behind makes the
                // combined watermark fall to 1): the output drops it.
                s.on_record(PartitionId(1), 2);
                s.handle_timeout(AUTO_WATERMARK_INTERVAL * 2);
                ensure_eq(emitted(&mut s), vec![], "a falling watermark")?;
                s.on_record(PartitionId(1), 10);
                s.on_record(PartitionId(0), 10);
                s.handle_timeout(AUTO_WATERMARK_INTERVAL * 3);
                ensure_eq(emitted(&mut s), vec![9], "an advancing one again")
            },
        },
    ]
}

fn all() -> Vec<Case> {
    let mut v = window_cases();
    v.extend(valve_cases());
    v.extend(generator_cases());
    v.extend(timestamps_and_watermarks_cases());
    v
}

pub fn census() -> Vec<(Flink, &'static str)> {
    all().iter().map(|c| (c.flink, profile_name(F23))).collect()
}

#[test]
fn event_time_table() {
    run_table("event_time", &all(), |c| case_name(&c.flink, F23), |c| (c.check)());
}
