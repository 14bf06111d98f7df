//! WatermarkOutputMultiplexerTest (1.x and 2.x forms) posed to `ckptsim::watermark::WatermarkMultiplexer`, the per-split combination of a source's watermarks.
//!
//! Flink's test drives the multiplexer through immediate and deferred outputs and reads a
//! `TestingWatermarkOutput` (last watermark; idle flag set by `markIdle`, cleared by
//! `emitWatermark` and `markActive`) or, in 2.x, a `RecordingWatermarkOutput` (every call
//! counted). The harness replays the multiplexer's [`MuxCall`]s into the same two records.
//! The 1.x form (tab-indented, read at apache/flink 26e43051) runs under flink-1.11, the 2.x
//! form (JUnit 5, read at 0fe383b7) under flink-2.3; the methods both forms share run under
//! both profiles with the version of the form they were read from.

use crate::common::{case_name, flink, run_table, Flink, F111, F23};
use ckptsim::watermark::{MuxCall, MuxMode, MuxOutputId, Watermark, WatermarkMultiplexer};
use ckptsim::Profile;

const WOM: &str = "WatermarkOutputMultiplexerTest";

/// The multiplexer and what its underlying output saw.
struct Mux {
    m: WatermarkMultiplexer,
    /// `TestingWatermarkOutput.lastWatermark()` (None: nothing emitted).
    last: Option<i64>,
    /// `TestingWatermarkOutput.isIdle()`.
    idle: bool,
    /// `RecordingWatermarkOutput`: watermarks, markIdle and markActive calls.
    watermarks: Vec<i64>,
    idle_calls: usize,
    active_calls: usize,
    next_id: u64,
}

use MuxMode::{Deferred as D, Immediate as I};

impl Mux {
    fn new(p: Profile) -> Mux {
        Mux {
            m: WatermarkMultiplexer::for_profile(p),
            last: None,
            idle: false,
            watermarks: Vec::new(),
            idle_calls: 0,
            active_calls: 0,
            next_id: 0,
        }
    }

    /// `createImmediateOutput` / `createDeferredOutput`: a fresh id, registered.
    fn output(&mut self) -> u64 {
        self.next_id += 1;
        self.register(self.next_id);
        self.next_id
    }

    fn register(&mut self, id: u64) {
        self.m.register(MuxOutputId(id)).expect("a new id registers");
    }

    fn drain(&mut self) {
        while let Some(c) = self.m.poll_call() {
            match c {
                MuxCall::Watermark(Watermark(t)) => {
                    self.last = Some(t);
                    self.idle = false;
                    self.watermarks.push(t);
                }
                MuxCall::MarkIdle => {
                    self.idle = true;
                    self.idle_calls += 1;
                }
                MuxCall::MarkActive => {
                    self.idle = false;
                    self.active_calls += 1;
                }
            }
        }
    }

    fn emit(&mut self, id: u64, mode: MuxMode, t: i64) {
        self.m.emit_watermark(MuxOutputId(id), mode, Watermark(t)).expect("registered output");
        self.drain();
    }

    fn mark_idle(&mut self, id: u64, mode: MuxMode) {
        self.m.mark_idle(MuxOutputId(id), mode).expect("registered output");
        self.drain();
    }

    fn mark_active(&mut self, id: u64, mode: MuxMode) {
        self.m.mark_active(MuxOutputId(id), mode).expect("registered output");
        self.drain();
    }

    fn periodic(&mut self) {
        self.m.on_periodic_emit();
        self.drain();
    }

    fn unregister(&mut self, id: u64) -> bool {
        let r = self.m.unregister(MuxOutputId(id));
        self.drain();
        r
    }

    fn expect(&self, last: Option<i64>, idle: Option<bool>) -> Result<(), String> {
        if self.last != last {
            return Err(format!("lastWatermark: got {:?}, Flink {last:?}", self.last));
        }
        match idle {
            Some(i) if i != self.idle => Err(format!("isIdle: got {}, Flink {i}", self.idle)),
            _ => Ok(()),
        }
    }
}

type Check = fn(Profile) -> Result<(), String>;

fn single_immediate_watermark(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let o = x.output();
    x.emit(o, I, 0);
    x.expect(Some(0), Some(false))
}

fn single_immediate_idleness(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let o = x.output();
    x.mark_idle(o, I);
    x.expect(None, Some(true))
}

fn single_immediate_watermark_after_idleness(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let o = x.output();
    x.mark_idle(o, I);
    x.expect(None, Some(true))?;
    x.emit(o, I, 0);
    x.expect(Some(0), Some(false))
}

fn multiple_immediate_watermark(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let (o1, o2, o3) = (x.output(), x.output(), x.output());
    x.emit(o1, I, 2);
    x.emit(o2, I, 5);
    x.mark_idle(o3, I);
    x.expect(Some(2), Some(false))
}

fn when_immediate_output_becomes_idle_watermark_advances(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let (o1, o2) = (x.output(), x.output());
    x.emit(o1, I, 2);
    x.emit(o2, I, 5);
    x.expect(Some(2), None)?;
    x.mark_idle(o1, I);
    x.expect(Some(5), None)
}

fn when_all_immediate_outputs_become_idle_watermark_advances(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let (o1, o2) = (x.output(), x.output());
    x.emit(o1, I, 5);
    x.emit(o2, I, 2);
    x.expect(Some(2), Some(false))?;
    // Whichever goes idle first, the result is 5.
    x.mark_idle(o1, I);
    x.mark_idle(o2, I);
    x.expect(Some(5), Some(true))
}

fn when_all_deferred_outputs_emit_and_idle_watermark_advances(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let (o1, o2) = (x.output(), x.output());
    x.emit(o1, D, 5);
    x.mark_idle(o1, D);
    x.emit(o2, D, 2);
    x.mark_idle(o2, D);
    x.expect(None, Some(false))?;
    x.periodic();
    x.expect(Some(5), Some(true))
}

fn combined_watermark_does_not_regress_when_idle_output_regresses(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let (o1, o2) = (x.output(), x.output());
    x.emit(o1, I, 2);
    x.emit(o2, I, 5);
    x.mark_idle(o1, I);
    x.expect(Some(5), None)?;
    x.emit(o1, I, 3);
    x.expect(Some(5), None)
}

fn no_combined_deferred_update_when_we_have_zero_outputs(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    x.periodic();
    // The 1.x form asserts the watermark only; the 2.x form also that the output is not idle.
    x.expect(None, Some(false))
}

fn deferred_output_does_not_immediately_advance_watermark(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let (o1, o2) = (x.output(), x.output());
    x.emit(o1, D, 0);
    x.emit(o2, D, 1);
    x.expect(None, None)?;
    x.periodic();
    x.expect(Some(0), None)
}

fn single_deferred_watermark(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let o = x.output();
    x.emit(o, D, 0);
    x.periodic();
    x.expect(Some(0), Some(false))
}

fn single_deferred_idleness(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let o = x.output();
    x.mark_idle(o, D);
    x.periodic();
    x.expect(None, Some(true))
}

fn single_deferred_watermark_after_idleness(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let o = x.output();
    x.mark_idle(o, D);
    x.periodic();
    x.expect(None, Some(true))?;
    x.emit(o, D, 0);
    x.periodic();
    x.expect(Some(0), Some(false))
}

fn multiple_deferred_watermark(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let (o1, o2, o3) = (x.output(), x.output(), x.output());
    x.emit(o1, D, 2);
    x.emit(o2, D, 5);
    x.mark_idle(o3, D);
    x.periodic();
    x.expect(Some(2), Some(false))
}

fn immediate_updates_take_deferred_updates_into_account(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let (immediate, deferred) = (x.output(), x.output());
    x.emit(deferred, D, 5);
    x.expect(None, None)?;
    x.emit(immediate, I, 2);
    x.expect(Some(2), None)
}

fn immediate_update_on_same_output_as_deferred_update_does_not_regress(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let id = x.output();
    x.emit(id, D, 5);
    x.periodic();
    x.expect(Some(5), None)?;
    x.emit(id, I, 2);
    x.expect(Some(5), None)?;
    x.periodic();
    x.expect(Some(5), None)
}

fn lower_immediate_update_on_same_output_does_not_emit_combined_update(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let id = x.output();
    x.emit(id, D, 5);
    x.emit(id, I, 2);
    x.expect(None, None)
}

fn remove_unblocks_watermarks(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let (low, high) = (156_765, 156_775);
    let (lower, higher) = (x.output(), x.output());
    x.emit(lower, I, low);
    if !x.unregister(lower) {
        return Err("unregister of a registered output returned false".into());
    }
    x.emit(higher, I, high);
    x.expect(Some(high), None)
}

fn remove_of_lowest_does_not_immediately_advance_watermark(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let (low, high) = (-4343, -4333);
    let (lower, higher) = (x.output(), x.output());
    x.emit(lower, I, low);
    x.emit(higher, I, high);
    x.unregister(lower);
    x.expect(Some(low), None)
}

fn remove_of_highest_does_not_retract_watermark(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let higher = x.output();
    x.emit(higher, I, 2);
    x.unregister(higher);
    let lower = x.output();
    x.emit(lower, I, 1);
    x.expect(Some(2), None)
}

fn remove_registered_return_value(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    x.register(42);
    if x.unregister(42) {
        Ok(())
    } else {
        Err("unregisterOutput(\"does-exist\") returned false".into())
    }
}

fn remove_not_registered_return_value(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    if x.unregister(42) {
        Err("unregisterOutput(\"does-not-exist\") returned true".into())
    } else {
        Ok(())
    }
}

fn emitting_idle_after_all_splits_removed(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let id = x.output();
    x.emit(id, I, 1);
    x.expect(Some(1), Some(false))?;
    x.unregister(id);
    x.periodic();
    x.expect(Some(1), Some(true))
}

fn when_idle_immediate_outputs_become_active_underlying_output_is_marked_active(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let (o1, o2) = (x.output(), x.output());
    x.emit(o1, I, 5);
    x.emit(o2, I, 2);
    x.mark_idle(o1, I);
    x.mark_idle(o2, I);
    x.expect(Some(5), Some(true))?;
    x.mark_active(o1, I);
    x.expect(Some(5), Some(false))
}

fn when_idle_deferred_output_resumes_underlying_output_is_marked_active(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    let (o1, o2) = (x.output(), x.output());
    x.emit(o1, D, 5);
    x.emit(o2, D, 2);
    x.mark_idle(o1, D);
    x.mark_idle(o2, D);
    x.periodic();
    x.expect(Some(5), Some(true))?;
    // The resumed output only has backlog below the combined watermark.
    x.emit(o1, D, 3);
    x.periodic();
    x.expect(Some(5), Some(false))
}

fn when_there_are_no_outputs_nothing_is_reported(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    x.periodic();
    nothing_reported(&x)
}

fn when_registered_output_reports_nothing_nothing_is_reported(p: Profile) -> Result<(), String> {
    let mut x = Mux::new(p);
    x.register(7);
    x.periodic();
    nothing_reported(&x)
}

fn nothing_reported(x: &Mux) -> Result<(), String> {
    if x.watermarks.is_empty() && x.idle_calls == 0 && x.active_calls == 0 {
        Ok(())
    } else {
        Err(format!(
            "reported {:?} watermarks, {} markIdle, {} markActive; Flink reports nothing",
            x.watermarks, x.idle_calls, x.active_calls
        ))
    }
}

/// The methods of both forms, with their expectations unchanged between them.
const SHARED: &[(&str, Check)] = &[
    ("singleImmediateWatermark", single_immediate_watermark),
    ("singleImmediateIdleness", single_immediate_idleness),
    ("singleImmediateWatermarkAfterIdleness", single_immediate_watermark_after_idleness),
    ("multipleImmediateWatermark", multiple_immediate_watermark),
    ("whenImmediateOutputBecomesIdleWatermarkAdvances", when_immediate_output_becomes_idle_watermark_advances),
    (
        "combinedWatermarkDoesNotRegressWhenIdleOutputRegresses",
        combined_watermark_does_not_regress_when_idle_output_regresses,
    ),
    ("noCombinedDeferredUpdateWhenWeHaveZeroOutputs", no_combined_deferred_update_when_we_have_zero_outputs),
    ("deferredOutputDoesNotImmediatelyAdvanceWatermark", deferred_output_does_not_immediately_advance_watermark),
    ("singleDeferredWatermark", single_deferred_watermark),
    ("singleDeferredIdleness", single_deferred_idleness),
    ("singleDeferredWatermarkAfterIdleness", single_deferred_watermark_after_idleness),
    ("multipleDeferredWatermark", multiple_deferred_watermark),
    ("immediateUpdatesTakeDeferredUpdatesIntoAccount", immediate_updates_take_deferred_updates_into_account),
    (
        "immediateUpdateOnSameOutputAsDeferredUpdateDoesNotRegress",
        immediate_update_on_same_output_as_deferred_update_does_not_regress,
    ),
    (
        "lowerImmediateUpdateOnSameOutputDoesNotEmitCombinedUpdate",
        lower_immediate_update_on_same_output_does_not_emit_combined_update,
    ),
    ("testRemoveUnblocksWatermarks", remove_unblocks_watermarks),
    ("testRemoveOfLowestDoesNotImmediatelyAdvanceWatermark", remove_of_lowest_does_not_immediately_advance_watermark),
    ("testRemoveOfHighestDoesNotRetractWatermark", remove_of_highest_does_not_retract_watermark),
    ("testRemoveRegisteredReturnValue", remove_registered_return_value),
    ("testRemoveNotRegisteredReturnValue", remove_not_registered_return_value),
];

/// The methods only the 2.x form has: the flush of the maximum when every split is idle, the
/// output marked active when a split resumes, idleness once the last split is removed, and
/// nothing reported without a change.
const ONLY_2X: &[(&str, Check)] = &[
    ("whenAllImmediateOutputsBecomeIdleWatermarkAdvances", when_all_immediate_outputs_become_idle_watermark_advances),
    ("whenAllDeferredOutputsEmitAndIdleWatermarkAdvances", when_all_deferred_outputs_emit_and_idle_watermark_advances),
    ("testEmittingIdleAfterAllSplitsRemoved", emitting_idle_after_all_splits_removed),
    (
        "whenIdleImmediateOutputsBecomeActiveUnderlyingOutputIsMarkedActive",
        when_idle_immediate_outputs_become_active_underlying_output_is_marked_active,
    ),
    (
        "whenIdleDeferredOutputResumesUnderlyingOutputIsMarkedActive",
        when_idle_deferred_output_resumes_underlying_output_is_marked_active,
    ),
    ("whenThereAreNoOutputsNothingIsReported", when_there_are_no_outputs_nothing_is_reported),
    ("whenRegisteredOutputReportsNothingNothingIsReported", when_registered_output_reports_nothing_nothing_is_reported),
];

struct Case {
    flink: Flink,
    profile: Profile,
    check: Check,
}

fn all() -> Vec<Case> {
    let mut v = Vec::new();
    for (m, check) in SHARED {
        v.push(Case { flink: flink(WOM, m, "1.x"), profile: F111, check: *check });
        v.push(Case { flink: flink(WOM, m, "2.x"), profile: F23, check: *check });
    }
    for (m, check) in ONLY_2X {
        v.push(Case { flink: flink(WOM, m, "2.x"), profile: F23, check: *check });
    }
    v
}

pub fn census() -> Vec<(Flink, &'static str)> {
    all().into_iter().map(|c| (c.flink, crate::common::profile_name(c.profile))).collect()
}

#[test]
fn watermark_output_multiplexer_table() {
    let cases = all();
    run_table("WatermarkOutputMultiplexerTest", &cases, |c| case_name(&c.flink, c.profile), |c| (c.check)(c.profile));
}

/// The profile difference is real: the 2.x-only expectations do not hold under flink-1.11,
/// whose multiplexer marks the output idle without flushing and never marks it active.
#[test]
fn the_2x_only_expectations_fail_under_flink_111() {
    for (m, check) in ONLY_2X {
        let expect_fail = !m.contains("NothingIsReported");
        assert_eq!(check(F111).is_err(), expect_fail, "{m} under flink-1.11");
    }
}
