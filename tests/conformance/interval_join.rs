//! IntervalJoinOperatorTest (2.x) posed to `JoinOperator` with `JoinSpec::Interval`: joined pairs, row timestamps, buffer cleanup by watermark, late elements, snapshot/restore.
//!
//! Flink's harness is a keyed two-input operator: the operator's watermark is the minimum of the
//! two inputs' watermarks (`AbstractStreamOperator.processWatermark1/2`), which [`Harness`]
//! reproduces before handing it to the join. Every element carries the key `"key"` (Flink's
//! `TestElem`); its value is `(key, ts)`. An exclusive bound is posed as the inclusive bound one
//! millisecond inside it, which is what `IntervalJoinOperator`'s constructor does with it
//! (`lowerBound + 1` / `upperBound - 1`). Output is compared as a set of (left ts, right ts)
//! pairs, as the test's `assertOutput` compares (size, then containment). Each
//! `processElementsAndWatermarks` test runs with both of the test's parameters (left input
//! faster, right input faster). Event time takes no profile: every case runs under flink-2.3.

use crate::common::{flink, profile_name, run_table, Flink, F23};
use ckptsim::join::{pair_of, JoinOperator, JoinSpec, JoinState};
use ckptsim::record::{Lineage, Record, Value};
use ckptsim::watermark::Watermark;
use std::sync::Arc;

const IJ: &str = "IntervalJoinOperatorTest";
const V2X: &str = "2.x";

/// Right elements' input numbers are offset so that a pair's lineage names both timestamps.
const RIGHT: u64 = 1000;

struct Harness {
    op: JoinOperator,
    wm: [i64; 2],
    out: Vec<Record>,
}

/// `between(lower, upper)` with Flink's inclusive flags, turned into inclusive bounds.
fn bounds(lower: i64, lower_inclusive: bool, upper: i64, upper_inclusive: bool) -> JoinSpec {
    JoinSpec::Interval {
        lower_ms: if lower_inclusive { lower } else { lower + 1 },
        upper_ms: if upper_inclusive { upper } else { upper - 1 },
    }
}

impl Harness {
    fn new(spec: JoinSpec) -> Harness {
        Harness { op: JoinOperator::new(spec), wm: [i64::MIN; 2], out: Vec::new() }
    }

    fn element(&mut self, side: u32, ts: i64) -> &mut Self {
        let seq = if side == 0 { ts as u64 } else { RIGHT + ts as u64 };
        let rec = Record {
            value: Value::Pair(Arc::from("key"), ts),
            lineage: Lineage { input_seq: seq, sub: 0 },
            timestamp: Some(ts),
        };
        self.op.process("join", side, rec, &mut self.out).expect("a timestamped element");
        self
    }

    fn watermark(&mut self, side: usize, ts: i64) -> &mut Self {
        self.wm[side] = ts;
        let combined = self.wm[0].min(self.wm[1]);
        self.op.process_watermark(Watermark(combined), &mut self.out);
        self
    }

    /// `processElementsAndWatermarks(from, to)`: every element of one side with its watermark,
    /// then the other side's.
    fn elements_and_watermarks(&mut self, from: i64, to: i64, left_faster: bool) -> &mut Self {
        let order = if left_faster { [0u32, 1] } else { [1, 0] };
        for side in order {
            for i in from..=to {
                self.element(side, i).watermark(side as usize, i);
            }
        }
        self
    }

    /// The output as (left ts, right ts) pairs, sorted; each row's timestamp must be
    /// `max(left, right)` (`testReturnsCorrectTimestamp`'s rule, held by every case).
    fn pairs(&self) -> Result<Vec<(i64, i64)>, String> {
        let mut v = Vec::new();
        for r in &self.out {
            let (l, rr) = pair_of(r.lineage);
            let (l, rr) = (l as i64, (rr - RIGHT) as i64);
            if r.timestamp != Some(l.max(rr)) {
                return Err(format!("row ({l},{rr}) has timestamp {:?}, Flink {}", r.timestamp, l.max(rr)));
            }
            v.push((l, rr));
        }
        v.sort();
        Ok(v)
    }

    fn expect(&self, want: &[(i64, i64)]) -> Result<(), String> {
        let mut want = want.to_vec();
        want.sort();
        let got = self.pairs()?;
        if got == want {
            Ok(())
        } else {
            Err(format!("joined (left ts, right ts): got {got:?}, Flink {want:?}"))
        }
    }

    /// The buffered timestamps of one side (Flink's `getLeftBuffer` / `getRightBuffer` keys).
    fn buffer(&self, side: u8) -> Vec<i64> {
        let st: JoinState = self.op.snapshot();
        let mut v: Vec<i64> = st.entries.iter().filter(|e| e.side == side).map(|e| e.ts).collect();
        v.sort();
        v.dedup();
        v
    }

    fn expect_buffers(&self, left: &[i64], right: &[i64]) -> Result<(), String> {
        let (l, r) = (self.buffer(0), self.buffer(1));
        if l == left && r == right {
            Ok(())
        } else {
            Err(format!("buffers: left {l:?} right {r:?}, Flink left {left:?} right {right:?}"))
        }
    }
}

struct Case {
    flink: Flink,
    /// The test's parameter `lhsFasterThanRhs`, where the test uses it.
    left_faster: Option<bool>,
    check: fn(bool) -> Result<(), String>,
}

fn both(method: &'static str, check: fn(bool) -> Result<(), String>) -> Vec<Case> {
    [true, false].into_iter().map(|lf| Case { flink: flink(IJ, method, V2X), left_faster: Some(lf), check }).collect()
}

fn once(method: &'static str, check: fn(bool) -> Result<(), String>) -> Vec<Case> {
    vec![Case { flink: flink(IJ, method, V2X), left_faster: None, check }]
}

/// The four cleanup tests' common script: five elements on each side, then the common watermark
/// at 1, 4 and 6 with the buffers Flink asserts after each.
fn cleanup(spec: JoinSpec, after1: (&[i64], &[i64]), after4: (&[i64], &[i64])) -> Result<(), String> {
    let mut h = Harness::new(spec);
    for ts in 1..=5 {
        h.element(0, ts);
    }
    for ts in 1..=5 {
        h.element(1, ts);
    }
    h.watermark(0, 1).watermark(1, 1);
    h.expect_buffers(after1.0, after1.1)?;
    h.watermark(0, 4).watermark(1, 4);
    h.expect_buffers(after4.0, after4.1)?;
    h.watermark(0, 6).watermark(1, 6);
    h.expect_buffers(&[], &[])
}

const MIRROR_A: &[(i64, i64)] = &[(1, 2), (1, 3), (2, 3), (2, 4), (3, 4)];
const MIRROR_B: &[(i64, i64)] = &[(2, 1), (3, 1), (3, 2), (4, 2), (4, 3)];
const MINUS_ONE_PLUS_ONE: &[(i64, i64)] =
    &[(1, 1), (1, 2), (2, 1), (2, 2), (2, 3), (3, 2), (3, 3), (3, 4), (4, 3), (4, 4)];

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(both("testImplementationMirrorsCorrectly", |lf| {
        let mut h = Harness::new(bounds(1, true, 3, false));
        h.elements_and_watermarks(1, 4, lf).expect(MIRROR_A)?;
        let mut h = Harness::new(bounds(-3, false, -1, true));
        h.elements_and_watermarks(1, 4, lf).expect(MIRROR_B)?;
        ensure_no_late(&h)
    }));
    v.extend(both("testNegativeInclusiveAndNegativeInclusive", |lf| {
        let mut h = Harness::new(bounds(-2, true, -1, true));
        h.elements_and_watermarks(1, 4, lf).expect(MIRROR_B)?;
        ensure_no_late(&h)
    }));
    v.extend(both("testNegativeInclusiveAndPositiveInclusive", |lf| {
        let mut h = Harness::new(bounds(-1, true, 1, true));
        h.elements_and_watermarks(1, 4, lf).expect(MINUS_ONE_PLUS_ONE)?;
        ensure_no_late(&h)
    }));
    v.extend(both("testPositiveInclusiveAndPositiveInclusive", |lf| {
        let mut h = Harness::new(bounds(1, true, 2, true));
        h.elements_and_watermarks(1, 4, lf).expect(MIRROR_A)?;
        ensure_no_late(&h)
    }));
    v.extend(both("testNegativeExclusiveAndNegativeExlusive", |lf| {
        let mut h = Harness::new(bounds(-3, false, -1, false));
        h.elements_and_watermarks(1, 4, lf).expect(&[(3, 1), (4, 2)])?;
        ensure_no_late(&h)
    }));
    v.extend(both("testNegativeExclusiveAndPositiveExlusive", |lf| {
        let mut h = Harness::new(bounds(-1, false, 1, false));
        h.elements_and_watermarks(1, 4, lf).expect(&[(1, 1), (2, 2), (3, 3), (4, 4)])?;
        ensure_no_late(&h)
    }));
    v.extend(both("testPositiveExclusiveAndPositiveExlusive", |lf| {
        let mut h = Harness::new(bounds(1, false, 3, false));
        h.elements_and_watermarks(1, 4, lf).expect(&[(1, 3), (2, 4)])?;
        ensure_no_late(&h)
    }));
    v.extend(once("testStateCleanupNegativeInclusiveNegativeInclusive", |_| {
        cleanup(bounds(-1, true, 0, true), (&[2, 3, 4, 5], &[1, 2, 3, 4, 5]), (&[5], &[4, 5]))
    }));
    v.extend(once("testStateCleanupNegativePositiveNegativeExlusive", |_| {
        cleanup(bounds(-2, false, 1, false), (&[2, 3, 4, 5], &[1, 2, 3, 4, 5]), (&[5], &[4, 5]))
    }));
    v.extend(once("testStateCleanupPositiveInclusivePositiveInclusive", |_| {
        cleanup(bounds(0, true, 1, true), (&[1, 2, 3, 4, 5], &[2, 3, 4, 5]), (&[4, 5], &[5]))
    }));
    v.extend(once("testStateCleanupPositiveExlusivePositiveExclusive", |_| {
        cleanup(bounds(-1, false, 2, false), (&[1, 2, 3, 4, 5], &[2, 3, 4, 5]), (&[4, 5], &[5]))
    }));
    // Elements and watermarks alternate up to 3, then a snapshot; a new operator restored from
    // it (watermark back at Long.MIN_VALUE) joins 4 with the restored 3s.
    v.extend(once("testRestoreFromSnapshot", |_| {
        let spec = bounds(-1, true, 1, true);
        let mut h = Harness::new(spec);
        for ts in 1..=3 {
            h.element(0, ts).watermark(0, ts).element(1, ts).watermark(1, ts);
        }
        h.expect(&[(1, 1), (1, 2), (2, 1), (2, 2), (2, 3), (3, 2), (3, 3)])?;
        let snapshot = h.op.snapshot();
        let mut restored = Harness::new(spec);
        restored.op.restore(&snapshot);
        restored.element(0, 4).watermark(0, 4).element(1, 4).watermark(1, 4);
        restored.expect(&[(3, 4), (4, 3), (4, 4)])?;
        ensure_no_late(&restored)
    }));
    // The function's context: left and right timestamps are the elements', the row's is the
    // larger (the model's rows carry the pair and max(left, right); `Harness::pairs` checks both).
    for method in ["testContextCorrectLeftTimestamp", "testReturnsCorrectTimestamp", "testContextCorrectRightTimestamp"]
    {
        v.extend(both(method, |lf| {
            let mut h = Harness::new(bounds(-1, true, 1, true));
            h.elements_and_watermarks(1, 4, lf).expect(MINUS_ONE_PLUS_ONE)?;
            for r in &h.out {
                let (l, rr) = pair_of(r.lineage);
                let want = format!("(key,{l})|(key,{})", rr - RIGHT);
                if r.value.to_string() != want {
                    return Err(format!("joined value {} does not hold the pair's elements {want}", r.value));
                }
            }
            Ok(())
        }));
    }
    v.extend(once("testFailsWithNoTimestampsLeft", |_| no_timestamp(0)));
    v.extend(once("testFailsWithNoTimestampsRight", |_| no_timestamp(1)));
    v.extend(once("testDiscardsLateData", |_| {
        let mut h = Harness::new(bounds(-1, true, 1, true));
        for ts in 1..=3 {
            h.element(0, ts).element(1, ts);
        }
        h.watermark(0, 3).watermark(1, 3);
        h.element(0, 1); // late: not joined again
        for ts in 4..=5 {
            h.element(0, ts).element(1, ts);
        }
        h.expect(&[
            (1, 1),
            (1, 2),
            (2, 1),
            (2, 2),
            (2, 3),
            (3, 2),
            (3, 3),
            (3, 4),
            (4, 3),
            (4, 4),
            (4, 5),
            (5, 4),
            (5, 5),
        ])?;
        if h.op.late_dropped() != 1 {
            return Err(format!("late elements dropped: {}, Flink 1", h.op.late_dropped()));
        }
        Ok(())
    }));
    // Not a method of the test class: the boundary of `IntervalJoinOperator#isLate` itself
    // (late iff `timestamp < currentWatermark`). No case of the class sends an element whose
    // timestamp equals the watermark, so treating it as late passed every case above.
    v.extend(once("isLate: an element at the watermark is on time (operator source)", |_| {
        let mut h = Harness::new(bounds(-1, true, 1, true));
        h.element(1, 3).element(1, 4);
        h.watermark(0, 3).watermark(1, 3);
        h.element(0, 3); // timestamp == watermark: joined, not dropped
        h.expect(&[(3, 3), (3, 4)])?;
        ensure_no_late(&h)
    }));
    // With late-data output tags Flink routes the late elements to side outputs; the model
    // drops them and counts them (no side output): the count is the side outputs' size.
    v.extend(once("testLateData", |_| {
        let mut h = Harness::new(bounds(-1, true, 1, true));
        h.element(0, 3).element(1, 3).watermark(0, 3).watermark(1, 3);
        h.element(0, 4).element(1, 4);
        h.element(0, 1).element(1, 2); // both late
        h.element(0, 5).element(1, 5);
        h.expect(&[(3, 3), (3, 4), (4, 3), (4, 4), (4, 5), (5, 4), (5, 5)])?;
        if h.op.late_dropped() != 2 {
            return Err(format!("late elements: {}, Flink 2 (one per side output)", h.op.late_dropped()));
        }
        Ok(())
    }));
    v
}

fn ensure_no_late(h: &Harness) -> Result<(), String> {
    if h.op.late_dropped() == 0 {
        Ok(())
    } else {
        Err(format!("{} late elements, Flink none", h.op.late_dropped()))
    }
}

fn no_timestamp(side: u32) -> Result<(), String> {
    let mut op = JoinOperator::new(bounds(0, true, 0, true));
    let rec = Record::new(Value::Pair(Arc::from("key"), 0), Lineage { input_seq: 0, sub: 0 });
    match op.process("join", side, rec, &mut Vec::new()) {
        Err(_) => Ok(()),
        Ok(()) => Err("an element without a timestamp was accepted; Flink throws a FlinkException".into()),
    }
}

fn name(c: &Case) -> String {
    let param = match c.left_faster {
        Some(true) => " [lhs faster than rhs: true]",
        Some(false) => " [lhs faster than rhs: false]",
        None => "",
    };
    format!("{}.{}{param} [Flink {}]", c.flink.class, c.flink.method, c.flink.version)
}

#[test]
fn interval_join() {
    let all = cases();
    run_table("interval join", &all, name, |c| (c.check)(c.left_faster.unwrap_or(true)));
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, profile_name(F23))).collect()
}
