//! Built-in non-keyed operators with operator list state in each of Flink's three redistribution modes (split, union, broadcast), for scenarios that port Flink's `RescalingITCase` and for the real-Flink comparison of what each subtask restores ([`ListReport`]).
//!
//! [`CounterPartitions`] follows the shape of the operator Flink's `RescalingITCase` rescales in
//! its partitioned-operator-state tests (`PartitionedStateSource`): it counts the records its
//! subtask saw and keeps that count in its list state cut into [`CounterPartitions::PARTS`]
//! entries whose sum is the count. On restore its count is the sum of the entries it is handed,
//! so the count a new subtask starts from says which entries it got:
//!
//! * split (`getListState`): the new subtasks' counts add up to the old subtasks' counts;
//! * union (`getUnionListState`): every new subtask starts from the sum of all old counts;
//! * broadcast (`getBroadcastState`): new subtask `i` starts from old subtask `i % p_old`'s count.
//!
//! Records pass through unchanged, so the rest of the job (keyed state, a two-phase-commit sink)
//! is judged as usual. A scenario names the operator as a user operator that needs no registry:
//! `kind = "user"` with `function` one of [`BUILTIN_NAMES`] (a registered operator of the same
//! name wins).
//!
//! The list state is the list the operator holds, as in Flink (a restored `ListState` holds the
//! restored entries until the next `snapshotState` rewrites it): after a restore it keeps the
//! handed entries until its next record, which re-cuts the new count into `PARTS` entries.

use crate::operator::{OperatorContext, UserException};
use crate::record::{Record, Value};
use crate::rescale::ListMode;
use crate::user::UserOperator;

/// The names of the built-in operators (`kind = "user"`, `function = ...`): the list-state
/// counters, one per mode (split, union, broadcast), then the [`ListReport`]s (split, union,
/// broadcast), then session 36's keyed [`NamedStates`](crate::named_state_ops::NamedStates).
pub const BUILTIN_NAMES: [&str; 7] = [
    "counter_partitions",
    "counter_partitions_union",
    "counter_partitions_broadcast",
    "list_report",
    "list_report_union",
    "list_report_broadcast",
    crate::named_state_ops::NAME,
];

/// Counts its records; keeps the count as list state in `PARTS` entries (module docs).
#[derive(Clone, Debug, Hash)]
pub struct CounterPartitions {
    mode: ListMode,
    /// The list state: entries whose sum is the count.
    parts: Vec<Value>,
}

impl CounterPartitions {
    /// Entries the count is cut into at a snapshot (Flink's test uses 7).
    pub const PARTS: i64 = 7;

    /// The operator with an empty list, redistributed by `mode`.
    pub fn new(mode: ListMode) -> Self {
        CounterPartitions { mode, parts: Vec::new() }
    }

    /// The count: the sum of the list's integer entries.
    pub fn count(&self) -> i64 {
        self.parts.iter().map(|v| if let Value::Int(n) = v { *n } else { 0 }).sum()
    }

    /// `count` cut into `PARTS` entries, the first `count % PARTS` of them one larger.
    pub fn cut(count: i64) -> Vec<Value> {
        let (base, extra) = (count / Self::PARTS, count % Self::PARTS);
        (0..Self::PARTS).map(|i| Value::Int(base + i64::from(i < extra))).collect()
    }
}

/// A fresh built-in operator by scenario name (None: not a built-in name).
pub fn builtin_operator(name: &str) -> Option<Box<dyn UserOperator>> {
    let mode = match name {
        "counter_partitions" => ListMode::SplitDistribute,
        "counter_partitions_union" => ListMode::Union,
        "counter_partitions_broadcast" => ListMode::Broadcast,
        "list_report" => return Some(Box::new(ListReport::new(ListMode::SplitDistribute))),
        "list_report_union" => return Some(Box::new(ListReport::new(ListMode::Union))),
        "list_report_broadcast" => return Some(Box::new(ListReport::new(ListMode::Broadcast))),
        crate::named_state_ops::NAME => return Some(Box::new(crate::named_state_ops::NamedStates::default())),
        _ => return None,
    };
    Some(Box::new(CounterPartitions::new(mode)))
}

impl UserOperator for CounterPartitions {
    fn name(&self) -> &str {
        match self.mode {
            ListMode::SplitDistribute => BUILTIN_NAMES[0],
            ListMode::Union => BUILTIN_NAMES[1],
            ListMode::Broadcast => BUILTIN_NAMES[2],
        }
    }

    fn process(
        &mut self,
        _: &mut OperatorContext<'_>,
        rec: Record,
        out: &mut Vec<Record>,
    ) -> Result<(), UserException> {
        self.parts = Self::cut(self.count() + 1);
        out.push(rec);
        Ok(())
    }

    fn has_list_state(&self) -> bool {
        true
    }

    fn list_state_mode(&self) -> ListMode {
        self.mode
    }

    fn snapshot_list(&self) -> Vec<Value> {
        self.parts.clone()
    }

    fn restore_list(&mut self, entries: &[Value]) {
        self.parts = entries.to_vec();
    }

    fn invariants(&self) {
        assert!(self.parts.iter().all(|v| matches!(v, Value::Int(n) if *n >= 0)), "counter parts are counts");
    }

    fn box_clone(&self) -> Box<dyn UserOperator> {
        Box::new(self.clone())
    }
}

/// Keeps every value it sees as a list state entry, after the entries it restored, and at its
/// first record emits `restored [v, ...]`, the restored entries sorted (Java's `List#toString`
/// of a sorted list), then nothing more: the job prints what each subtask restored, as the
/// `ListReport` flat map of `tools/real-flink/RealFlinkOperatorState.java` does on real Flink
/// (`CheckpointedFunction#initializeState` with `getListState` or `getUnionListState`), or, in
/// broadcast mode, its `BroadcastReport` (`RealFlinkBroadcastState.java`: `getBroadcastState`,
/// a map from the n-th word's index to the word: the same entries).
#[derive(Clone, Debug, Hash)]
pub struct ListReport {
    mode: ListMode,
    /// The list state: the restored entries, then every value seen since, in arrival order.
    entries: Vec<Value>,
    /// The restored entries, sorted; `None` once reported.
    unreported: Option<Vec<Value>>,
}

impl ListReport {
    /// A fresh operator (nothing restored yet), its list redistributed by `mode`.
    pub fn new(mode: ListMode) -> Self {
        ListReport { mode, entries: Vec::new(), unreported: Some(Vec::new()) }
    }

    /// The row reporting `restored` (sorted): `restored [a, b]`.
    pub fn report(restored: &[Value]) -> Value {
        let shown: Vec<String> = restored.iter().map(Value::to_string).collect();
        Value::Str(format!("restored [{}]", shown.join(", ")).into())
    }
}

impl UserOperator for ListReport {
    fn name(&self) -> &str {
        match self.mode {
            ListMode::SplitDistribute => BUILTIN_NAMES[3],
            ListMode::Union => BUILTIN_NAMES[4],
            ListMode::Broadcast => BUILTIN_NAMES[5],
        }
    }

    fn process(
        &mut self,
        _: &mut OperatorContext<'_>,
        rec: Record,
        out: &mut Vec<Record>,
    ) -> Result<(), UserException> {
        if let Some(restored) = self.unreported.take() {
            out.push(Record { value: Self::report(&restored), ..rec.clone() });
        }
        self.entries.push(rec.value);
        Ok(())
    }

    fn has_list_state(&self) -> bool {
        true
    }

    fn list_state_mode(&self) -> ListMode {
        self.mode
    }

    fn snapshot_list(&self) -> Vec<Value> {
        self.entries.clone()
    }

    fn restore_list(&mut self, entries: &[Value]) {
        self.entries = entries.to_vec();
        let mut sorted = self.entries.clone();
        sorted.sort_by_key(Value::to_string);
        self.unreported = Some(sorted);
    }

    fn box_clone(&self) -> Box<dyn UserOperator> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_sums_to_the_count_and_is_even() {
        for n in [0, 1, 6, 7, 8, 500] {
            let parts = CounterPartitions::cut(n);
            assert_eq!(parts.len(), 7);
            let v: Vec<i64> = parts.iter().map(|p| if let Value::Int(x) = p { *x } else { -1 }).collect();
            assert_eq!(v.iter().sum::<i64>(), n);
            assert!(v.iter().max().unwrap() - v.iter().min().unwrap() <= 1);
        }
    }

    #[test]
    fn builtins_by_name_and_mode() {
        for (name, mode) in BUILTIN_NAMES.iter().zip([ListMode::SplitDistribute, ListMode::Union, ListMode::Broadcast])
        {
            let op = builtin_operator(name).expect("built in");
            assert_eq!(op.name(), *name);
            assert_eq!(op.list_state_mode(), mode);
            assert!(op.has_list_state() && !op.is_keyed());
        }
        assert!(builtin_operator("counter").is_none());
        for (name, mode) in
            BUILTIN_NAMES[3..].iter().zip([ListMode::SplitDistribute, ListMode::Union, ListMode::Broadcast])
        {
            let op = builtin_operator(name).expect("built in");
            assert_eq!((op.name(), op.list_state_mode()), (*name, mode));
        }
    }

    /// The first record after a restore emits the restored entries sorted, then passes
    /// nothing; the list holds the restored entries, then the values seen, in order.
    #[test]
    fn list_report_reports_the_restored_entries_once() {
        use crate::record::Lineage;
        let s = |w: &str| Value::Str(w.into());
        let mut op = ListReport::new(ListMode::SplitDistribute);
        op.restore_list(&[s("e"), s("b"), s("c")]);
        let mut counters = Default::default();
        let mut ctx = OperatorContext { now_ms: 0, counters: &mut counters, instance: "list_report[0]" };
        let mut out = Vec::new();
        for w in ["a", "d"] {
            op.process(&mut ctx, Record::new(s(w), Lineage { input_seq: 0, sub: 0 }), &mut out).expect("no failure");
        }
        let rows: Vec<String> = out.iter().map(|r| r.value.to_string()).collect();
        assert_eq!(rows, ["restored [b, c, e]"]);
        assert_eq!(op.snapshot_list(), [s("e"), s("b"), s("c"), s("a"), s("d")]);
        let mut fresh = ListReport::new(ListMode::Union);
        fresh.process(&mut ctx, Record::new(s("x"), Lineage { input_seq: 1, sub: 0 }), &mut out).expect("no failure");
        assert_eq!(out[1].value.to_string(), "restored []");
    }
}
