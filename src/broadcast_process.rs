//! The keyed broadcast-process operator (session 38): a two-input head whose first input is keyed and whose second is a broadcast stream writing a broadcast map state the keyed side reads (Flink's `KeyedBroadcastProcessFunction` run by `CoBroadcastWithKeyedOperator`).
//!
//! Flink's `BroadcastConnectedStream#process` builds a two-input operator: input 1 is the keyed
//! stream (`processElement` with a `ReadOnlyContext`: the broadcast state can only be read),
//! input 2 the broadcast stream (`processBroadcastElement` with a `Context`: read-write). The
//! broadcast state is operator state taken by `OperatorStateBackend#getBroadcastState`, whose
//! redistribution mode is BROADCAST: every subtask snapshots its own copy, and on a restore new
//! subtask `i` gets old subtask `i % p_old`'s copy (`RoundRobinOperatorStateRepartitioner
//! #repartitionBroadcastState`, [`crate::rescale::repartition_broadcast`]). Flink does not check
//! that the copies are equal: the user must make every subtask's update the same.
//!
//! The model's function is fixed (the rule job of `tools/real-flink/RealFlinkBroadcastProcess37.java`):
//!
//! * a broadcast record `Pair(k, m)` puts `k -> m` into the broadcast state; any other value
//!   `v` counts a rule for key `key_of(v)`: `k -> previous + 1` (so copies fed by several
//!   upstream subtasks in different interleavings still agree);
//! * a keyed record `v` emits `Pair(key_of(v), m)` with the rule its subtask holds for the key
//!   (`0`: none), same lineage and timestamp;
//! * with `report` (`function = "rules_report"`), each attempt's first keyed record first emits
//!   `state [k=m, ...]`, the broadcast state it holds then (a transient flag, as the Java job's
//!   `reported` field), its lineage `sub << FLAT_MAP_SUB_BITS | 1` and the keyed row's
//!   `sub << FLAT_MAP_SUB_BITS` (two outputs of one record, as a flat_map's pieces).
//!
//! The keyed side keeps no keyed state: the snapshot is the broadcast state alone,
//! [`OperatorState::SharedList`] in [`ListMode::Broadcast`], its entries `Pair(k, m)` in key
//! order, in the head's slot (slot 0) of the task snapshot.
//!
//! Session 39 adds the rest of the family (`tools/real-flink/RealFlinkBroadcast39.java`):
//!
//! * the same function behind a non-keyed first input (Flink's `BroadcastProcessFunction` run by
//!   `CoBroadcastWithNonKeyedOperator`): the operator is the same, only the loader's check of
//!   gate 0 differs (a `rebalance` instead of a `key_by`);
//! * [`BroadcastFunction::Counting`] (`rules_count`): a per-key `ValueState` `seen` beside the
//!   broadcast state. A keyed record `w` counts `seen[w] += 1` and emits `(w,m,n)`; a broadcast
//!   `(k, m)` also clears `seen[k]` (`Context#applyToKeyedState` over the subtask's keys: only
//!   the subtask owning `k` holds it). The snapshot is [`OperatorState::Composite`]: the
//!   broadcast state, then the keyed state `Str(w) -> Int(n)`, which a rescale moves by key
//!   group while the broadcast copy goes `i % p_old`;
//! * [`BroadcastFunction::TwoStates`] (`rules_limits`): two broadcast states (`rules`, `limits`)
//!   on one broadcast stream; a broadcast key `max:k` writes `limits`, any other `rules` (a
//!   counted rule `v` that is not a pair counts in both); a keyed record emits `(w,m,x)`. The snapshot is a composite of two broadcast lists, each
//!   repartitioned on its own (Flink keeps one `OperatorStateHandle` entry per state name).
//!
//! Session 40 adds event-time timers on the keyed side (`timer_delay_ms`,
//! `tools/real-flink/RealFlinkBroadcast40.java`; [`KeyedTimers`]): a keyed record at timestamp
//! `t` registers a timer at `t + delay` for its key (`ctx.timerService().registerEventTimeTimer`
//! in `processElement`); one timer per (key, timestamp), as `InternalTimerServiceImpl` keeps one
//! per key, namespace and timestamp. When the operator's combined watermark reaches a timer
//! (`timer.getTimestamp() <= watermark`, `CoBroadcastWithKeyedOperator#onEventTime`), it emits
//! `timer@T (k,m,n)` at timestamp `T`: the rule and the count (`seen`, 0 without one) the key
//! holds at the firing (`OnTimerContext` reads the broadcast state). The timers are keyed state:
//! the last part of the snapshot's composite, `Str(k) -> Str("T@seq.sub ...")` (the key's
//! timers with the lineage of the row each will emit: the model's bookkeeping, as a window keeps
//! its smallest lineage), so a rescale moves a key's timers with its key group; the watermark is
//! not part of it (it starts at `Long.MIN_VALUE` after a restore). A timer's row is named
//! `seq.(sub << FLAT_MAP_SUB_BITS | 2)` after the record that first registered it.

use crate::operator::{key_of, FLAT_MAP_SUB_BITS};
use crate::record::{Lineage, Record, Value};
use crate::rescale::ListMode;
use crate::state::OperatorState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The scenario names of the operator's functions (`function = ...`): each without and with
/// the first record's state report.
pub const FUNCTION_NAMES: [&str; 6] =
    ["rules", "rules_report", "rules_count", "rules_count_report", "rules_limits", "rules_limits_report"];

/// The user function of a broadcast process (module docs).
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub enum BroadcastFunction {
    /// One broadcast state; a keyed record emits `(k,m)`.
    #[default]
    Rules,
    /// The broadcast state and a per-key count (keyed state); a keyed record emits `(k,m,n)`.
    Counting,
    /// Two broadcast states, rules and limits; a keyed record emits `(k,m,x)`.
    TwoStates,
}

impl BroadcastFunction {
    /// The function and report flag of a `function = ...` name (None: not one of [`FUNCTION_NAMES`]).
    pub fn parse(name: &str) -> Option<(BroadcastFunction, bool)> {
        let i = FUNCTION_NAMES.iter().position(|n| *n == name)?;
        let f = [BroadcastFunction::Rules, BroadcastFunction::Counting, BroadcastFunction::TwoStates][i / 2];
        Some((f, i % 2 == 1))
    }

    /// The `function = ...` name of the function with or without its report.
    pub fn name(self, report: bool) -> &'static str {
        FUNCTION_NAMES[self as usize * 2 + usize::from(report)]
    }

    /// Whether the function keeps keyed state (it needs a keyed first input).
    pub fn keeps_keyed_state(self) -> bool {
        self == BroadcastFunction::Counting
    }
}

/// The prefix of a broadcast key that writes the second broadcast state (`limits`).
pub const LIMIT_PREFIX: &str = "max:";

/// Session 40: the keyed side's event-time timers (module docs): Flink's timer service of the
/// operator (`getInternalTimerService("user-timers", ..)`), event time only.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct KeyedTimers {
    /// A keyed record at `t` registers a timer at `t + delay_ms`.
    delay_ms: i64,
    /// Pending timers by (timestamp, key), in firing order, with the lineage of the row each
    /// emits (its first registrant's).
    pending: BTreeMap<(i64, Arc<str>), Lineage>,
    /// The operator's event time: the last watermark that advanced it (`Long.MIN_VALUE` at the
    /// start and after a restore).
    watermark: i64,
}

impl KeyedTimers {
    /// No timers yet, `delay_ms` after each keyed record.
    pub fn new(delay_ms: i64) -> Self {
        KeyedTimers { delay_ms, pending: BTreeMap::new(), watermark: i64::MIN }
    }

    /// The pending timers, `(timestamp, key)` in firing order.
    pub fn pending(&self) -> impl Iterator<Item = (i64, &str)> + '_ {
        self.pending.keys().map(|(t, k)| (*t, k.as_ref()))
    }

    /// The keyed snapshot part: per key its timers as `T@seq.sub`, space-separated, in time order.
    fn snapshot(&self) -> OperatorState {
        let mut per_key: BTreeMap<Value, Vec<String>> = BTreeMap::new();
        for ((t, k), l) in &self.pending {
            per_key.entry(Value::Str(Arc::clone(k))).or_default().push(format!("{t}@{}.{}", l.input_seq, l.sub));
        }
        OperatorState::Keyed(per_key.into_iter().map(|(k, v)| (k, Value::Str(v.join(" ").into()))).collect())
    }

    /// Replaces the pending timers with a keyed snapshot part's; the watermark starts over. An
    /// entry of another shape restores nothing.
    fn restore(&mut self, state: &OperatorState) {
        self.pending.clear();
        self.watermark = i64::MIN;
        let OperatorState::Keyed(m) = state else { return };
        for (k, v) in m {
            let (Value::Str(k), Value::Str(timers)) = (k, v) else { continue };
            for t in timers.split_whitespace() {
                let parsed = t.split_once('@').and_then(|(ts, l)| {
                    let (seq, sub) = l.split_once('.')?;
                    Some((ts.parse().ok()?, Lineage { input_seq: seq.parse().ok()?, sub: sub.parse().ok()? }))
                });
                if let Some((ts, lineage)) = parsed {
                    self.pending.insert((ts, Arc::clone(k)), lineage);
                }
            }
        }
    }
}

/// The running operator: its states and the attempt's report flag.
#[derive(Clone, Debug, Hash, Default)]
pub struct BroadcastProcess {
    function: BroadcastFunction,
    /// The broadcast state (`MapState<String, Long>` `rules`): rule key -> value.
    rules: BTreeMap<Arc<str>, i64>,
    /// The second broadcast state (`limits`, [`BroadcastFunction::TwoStates`]).
    limits: BTreeMap<Arc<str>, i64>,
    /// The keyed state `seen` ([`BroadcastFunction::Counting`]): key -> records since its rule.
    seen: BTreeMap<Arc<str>, i64>,
    /// Emit `state [..]` before the first keyed record's row.
    report: bool,
    /// The first keyed record was seen (not state: every attempt reports again).
    reported: bool,
    /// Session 40: event-time timers on the keyed side (`timer_delay_ms`); None: none.
    timers: Option<KeyedTimers>,
}

impl BroadcastProcess {
    /// A fresh operator with empty states; `report`: see the module docs.
    pub fn new(function: BroadcastFunction, report: bool) -> Self {
        BroadcastProcess { function, report, ..Default::default() }
    }

    /// The same operator with event-time timers `delay_ms` after each keyed record (session 40;
    /// None: no timers).
    pub fn with_timers(mut self, delay_ms: Option<u64>) -> Self {
        self.timers = delay_ms.map(|d| KeyedTimers::new(d as i64));
        self
    }

    /// The keyed side's timers, if the function registers any.
    pub fn timers(&self) -> Option<&KeyedTimers> {
        self.timers.as_ref()
    }

    /// The key text of a value (a `Pair`'s key, a `Str` itself, an `Int` as text).
    fn key_text(v: &Value) -> Arc<str> {
        match key_of(v) {
            Value::Str(s) => s,
            other => Arc::from(other.to_string().as_str()),
        }
    }

    /// `processBroadcastElement`: a rule updates a broadcast state (the counting function also
    /// clears the key's count); nothing is emitted.
    pub fn process_broadcast(&mut self, rec: &Record) {
        let key = Self::key_text(&rec.value);
        let (state, key) = match key.strip_prefix(LIMIT_PREFIX) {
            Some(k) if self.function == BroadcastFunction::TwoStates => (&mut self.limits, Arc::from(k)),
            _ => (&mut self.rules, key),
        };
        match &rec.value {
            Value::Pair(_, m) => {
                state.insert(Arc::clone(&key), *m);
            }
            _ => {
                *state.entry(Arc::clone(&key)).or_insert(0) += 1;
                // Two states: a counted rule (a generated rule stream, `kN`) counts a limit too,
                // so both states fill without `max:` pairs.
                if self.function == BroadcastFunction::TwoStates && !rec.value.to_string().starts_with(LIMIT_PREFIX) {
                    *self.limits.entry(Arc::clone(&key)).or_insert(0) += 1;
                }
            }
        }
        if self.function == BroadcastFunction::Counting {
            self.seen.remove(&key);
        }
    }

    /// `processElement`: the key's row (module docs), after the state report of the attempt's
    /// first record when `report`.
    pub fn process_keyed(&mut self, rec: Record, out: &mut Vec<Record>) {
        let key = Self::key_text(&rec.value);
        let m = self.rules.get(&key).copied().unwrap_or(0);
        let piece =
            |i: u32| Lineage { input_seq: rec.lineage.input_seq, sub: (rec.lineage.sub << FLAT_MAP_SUB_BITS) | i };
        if self.report && !self.reported {
            self.reported = true;
            out.push(Record { value: self.report_value(), lineage: piece(1), timestamp: rec.timestamp });
        }
        let lineage = if self.report { piece(0) } else { rec.lineage };
        let value = match self.function {
            BroadcastFunction::Rules => Value::Pair(Arc::clone(&key), m),
            BroadcastFunction::Counting => {
                let n = self.seen.entry(Arc::clone(&key)).or_insert(0);
                *n += 1;
                Value::Str(format!("({key},{m},{n})").into())
            }
            BroadcastFunction::TwoStates => {
                let x = self.limits.get(&key).copied().unwrap_or(0);
                Value::Str(format!("({key},{m},{x})").into())
            }
        };
        out.push(Record { value, lineage, timestamp: rec.timestamp });
        // Session 40: `registerEventTimeTimer(ctx.timestamp() + delay)`; a timer already pending
        // for the key at that time stays one timer (its first registrant names its row).
        if let (Some(t), Some(ts)) = (&mut self.timers, rec.timestamp) {
            let at = ts.saturating_add(t.delay_ms);
            t.pending.entry((at, Arc::clone(&key))).or_insert(piece(2));
        }
    }

    /// Session 40: a watermark reached the operator (its inputs' combined watermark): every
    /// timer at or below it fires in (timestamp, key) order (`InternalTimerServiceImpl
    /// #advanceWatermark`), each emitting `timer@T (k,m,n)` at `T` with the rule and count the
    /// key holds now (`onTimer`). A watermark that does not advance the operator fires nothing.
    /// Returns whether a timer fired.
    pub fn process_watermark(&mut self, wm: i64, out: &mut Vec<Record>) -> bool {
        let Some(t) = self.timers.as_mut().filter(|t| wm > t.watermark) else { return false };
        t.watermark = wm;
        let before = out.len();
        while let Some(((ts, key), lineage)) = self.timers.as_mut().and_then(|t| {
            let due = t.pending.first_key_value().is_some_and(|((ts, _), _)| *ts <= wm);
            if due {
                t.pending.pop_first()
            } else {
                None
            }
        }) {
            let m = self.rules.get(&key).copied().unwrap_or(0);
            let n = self.seen.get(&key).copied().unwrap_or(0);
            let value = Value::Str(format!("timer@{ts} ({key},{m},{n})").into());
            out.push(Record { value, lineage, timestamp: Some(ts) });
        }
        out.len() > before
    }

    /// `state [k=m, ...]` (two states: `state rules [..] limits [..]`), in key order (the Java
    /// job sorts its entries).
    pub fn report_value(&self) -> Value {
        let shown = |m: &BTreeMap<Arc<str>, i64>| {
            let v: Vec<String> = m.iter().map(|(k, m)| format!("{k}={m}")).collect();
            format!("[{}]", v.join(", "))
        };
        let text = match self.function {
            BroadcastFunction::TwoStates => {
                format!("state rules {} limits {}", shown(&self.rules), shown(&self.limits))
            }
            _ => format!("state {}", shown(&self.rules)),
        };
        Value::Str(text.into())
    }

    /// The broadcast state `rules` as its snapshot entries, `Pair(k, m)` in key order.
    pub fn entries(&self) -> Vec<Value> {
        Self::map_entries(&self.rules)
    }

    fn map_entries(m: &BTreeMap<Arc<str>, i64>) -> Vec<Value> {
        m.iter().map(|(k, m)| Value::Pair(Arc::clone(k), *m)).collect()
    }

    /// The snapshot: this subtask's copy of the broadcast state(s), and its keyed state.
    /// Session 40: with timers, the timers' keyed part comes last (a one-state function's
    /// snapshot becomes a composite of two).
    pub fn snapshot(&self) -> OperatorState {
        let shared = |m| OperatorState::SharedList { mode: ListMode::Broadcast, entries: Self::map_entries(m) };
        let mut parts = vec![shared(&self.rules)];
        match self.function {
            BroadcastFunction::Rules => {}
            BroadcastFunction::Counting => {
                let keyed = self.seen.iter().map(|(k, n)| (Value::Str(Arc::clone(k)), Value::Int(*n))).collect();
                parts.push(OperatorState::Keyed(keyed));
            }
            BroadcastFunction::TwoStates => parts.push(shared(&self.limits)),
        }
        if let Some(t) = &self.timers {
            parts.push(t.snapshot());
        }
        if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            OperatorState::Composite(parts)
        }
    }

    /// Every state of the operator as entries, in snapshot order ([`state_parts`] of its snapshot).
    pub fn parts(&self) -> Vec<Vec<Value>> {
        state_parts(&self.snapshot())
    }

    fn restore_map(m: &mut BTreeMap<Arc<str>, i64>, state: &OperatorState) {
        m.clear();
        match state {
            OperatorState::SharedList { mode: ListMode::Broadcast, entries } => {
                for e in entries {
                    if let Value::Pair(k, v) = e {
                        m.insert(Arc::clone(k), *v);
                    }
                }
            }
            OperatorState::Keyed(keyed) => {
                for (k, v) in keyed {
                    if let (Value::Str(k), Value::Int(n)) = (k, v) {
                        m.insert(Arc::clone(k), *n);
                    }
                }
            }
            _ => {}
        }
    }

    /// `initializeState`: the states the restore hands this subtask (a later entry of a key
    /// wins). A state of another shape restores nothing.
    /// Session 40: the timers from the last part when the function has them.
    pub fn restore(&mut self, state: &OperatorState) {
        let parts = match state {
            OperatorState::Composite(parts) => parts.as_slice(),
            one => std::slice::from_ref(one),
        };
        let base = if self.function == BroadcastFunction::Rules { 1 } else { 2 };
        let want = base + usize::from(self.timers.is_some());
        if parts.len() != want || !matches!(parts[0], OperatorState::SharedList { mode: ListMode::Broadcast, .. }) {
            return;
        }
        Self::restore_map(&mut self.rules, &parts[0]);
        match self.function {
            BroadcastFunction::Rules => {}
            BroadcastFunction::Counting => Self::restore_map(&mut self.seen, &parts[1]),
            BroadcastFunction::TwoStates => Self::restore_map(&mut self.limits, &parts[1]),
        }
        if let Some(t) = &mut self.timers {
            t.restore(&parts[base]);
        }
    }

    /// The planted `broadcast-keyed-state-not-restored`: the keyed state starts empty after a
    /// restore (the broadcast state is restored).
    pub fn plant_drop_keyed(&mut self) {
        self.seen.clear();
    }

    /// The planted `broadcast-timers-not-restored` (session 40): the keyed side's timers start
    /// empty after a restore (the broadcast and keyed states are restored).
    pub fn plant_drop_timers(&mut self) {
        if let Some(t) = &mut self.timers {
            t.pending.clear();
        }
    }

    /// The operator's invariants: a snapshot's entries are distinct keys in key order, a
    /// restore of them gives the same states back, and only the functions that have them hold
    /// a second broadcast state or keyed state.
    pub fn invariants(&self) {
        for part in [&self.rules, &self.limits] {
            let entries = Self::map_entries(part);
            assert!(entries.windows(2).all(|w| key_of(&w[0]) < key_of(&w[1])), "broadcast state entries in key order");
        }
        let mut again = BroadcastProcess::new(self.function, self.report)
            .with_timers(self.timers.as_ref().map(|t| t.delay_ms as u64));
        again.restore(&self.snapshot());
        assert_eq!(
            (&again.rules, &again.limits, &again.seen, again.timers.as_ref().map(|t| &t.pending)),
            (&self.rules, &self.limits, &self.seen, self.timers.as_ref().map(|t| &t.pending)),
            "a restored snapshot is the state"
        );
        assert!(self.report || !self.reported, "only a reporting operator reports");
        assert!(self.function == BroadcastFunction::TwoStates || self.limits.is_empty(), "limits only with two states");
        assert!(
            self.function == BroadcastFunction::Counting || self.seen.is_empty(),
            "keyed counts only when counting"
        );
    }
}

/// A broadcast process's states as entry lists, in snapshot order, for the checkers' restore
/// records: a broadcast list its entries; keyed state its `(key, value)`s as `Pair`s (an
/// integer value) or `key=value` texts; a composite each of its parts. Other states: none.
pub fn state_parts(st: &OperatorState) -> Vec<Vec<Value>> {
    match st {
        OperatorState::SharedList { entries, .. } => vec![entries.clone()],
        OperatorState::Keyed(m) => vec![m
            .iter()
            .map(|(k, v)| match (k, v) {
                (Value::Str(k), Value::Int(n)) => Value::Pair(Arc::clone(k), *n),
                _ => Value::Str(format!("{k}={v}").into()),
            })
            .collect()],
        OperatorState::Composite(parts) => parts.iter().flat_map(state_parts).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(v: Value, seq: u64) -> Record {
        Record::new(v, Lineage { input_seq: seq, sub: 0 })
    }

    fn rows(out: &[Record]) -> Vec<String> {
        out.iter().map(|r| format!("{}#{}", r.value, r.lineage.sub)).collect()
    }

    /// The fixture's failure job on one subtask: rules, then words; the first word reports the
    /// state; a restored copy reports again at its first word.
    #[test]
    fn rules_then_words_report_and_restore() {
        let mut op = BroadcastProcess::new(BroadcastFunction::Rules, true);
        op.process_broadcast(&rec(Value::Pair("a".into(), 2), 0));
        op.process_broadcast(&rec(Value::Pair("b".into(), 3), 1));
        let mut out = Vec::new();
        op.process_keyed(rec(Value::str("a"), 2), &mut out);
        op.process_keyed(rec(Value::str("c"), 3), &mut out);
        assert_eq!(rows(&out), ["state [a=2, b=3]#1", "(a,2)#0", "(c,0)#0"]);
        op.invariants();
        let snap = op.snapshot();
        let OperatorState::SharedList { mode: ListMode::Broadcast, entries } = &snap else { panic!("{snap:?}") };
        assert_eq!(entries, &[Value::Pair("a".into(), 2), Value::Pair("b".into(), 3)]);
        let mut restored = BroadcastProcess::new(BroadcastFunction::Rules, true);
        restored.restore(&snap);
        restored.process_broadcast(&rec(Value::Pair("a".into(), 5), 4));
        out.clear();
        restored.process_keyed(rec(Value::str("b"), 5), &mut out);
        assert_eq!(rows(&out), ["state [a=5, b=3]#1", "(b,3)#0"]);
    }

    /// Without a report the keyed row keeps the record's lineage; a value that is not a pair
    /// counts rules for its key, so two interleavings of the same rules agree.
    #[test]
    fn counted_rules_commute_and_rows_keep_their_lineage() {
        let (mut x, mut y) = (
            BroadcastProcess::new(BroadcastFunction::Rules, false),
            BroadcastProcess::new(BroadcastFunction::Rules, false),
        );
        let rules = [Value::str("k1"), Value::str("k2"), Value::str("k1")];
        for (i, r) in rules.iter().enumerate() {
            x.process_broadcast(&rec(r.clone(), i as u64));
        }
        for (i, r) in rules.iter().enumerate().rev() {
            y.process_broadcast(&rec(r.clone(), i as u64));
        }
        assert_eq!(x.entries(), y.entries());
        let mut out = Vec::new();
        x.process_keyed(Record::new(Value::str("k1"), Lineage { input_seq: 7, sub: 3 }), &mut out);
        assert_eq!(out[0].value, Value::Pair("k1".into(), 2));
        assert_eq!(out[0].lineage, Lineage { input_seq: 7, sub: 3 });
        assert_eq!(out.len(), 1, "no report");
    }

    /// The keyed-state job's first subtask (RealFlinkBroadcast39 `broadcast-keyed-state-failure`):
    /// a word counts per key, a rule for the key clears its count; the snapshot is the rules
    /// then the counts, and a restore gives both back.
    #[test]
    fn counting_keeps_keyed_counts_and_rules_clear_them() {
        let mut op = BroadcastProcess::new(BroadcastFunction::Counting, true);
        op.process_broadcast(&rec(Value::Pair("a".into(), 2), 0));
        let mut out = Vec::new();
        for (i, w) in ["a", "a", "b"].iter().enumerate() {
            op.process_keyed(rec(Value::str(w), 1 + i as u64), &mut out);
        }
        op.process_broadcast(&rec(Value::Pair("a".into(), 4), 4));
        op.process_keyed(rec(Value::str("a"), 5), &mut out);
        assert_eq!(rows(&out), ["state [a=2]#1", "(a,2,1)#0", "(a,2,2)#0", "(b,0,1)#0", "(a,4,1)#0"]);
        op.invariants();
        let snap = op.snapshot();
        let OperatorState::Composite(parts) = &snap else { panic!("{snap:?}") };
        assert_eq!(
            parts[1],
            OperatorState::Keyed([(Value::str("a"), Value::Int(1)), (Value::str("b"), Value::Int(1))].into())
        );
        assert_eq!(
            state_parts(&snap),
            vec![vec![Value::Pair("a".into(), 4)], vec![Value::Pair("a".into(), 1), Value::Pair("b".into(), 1)]]
        );
        let mut restored = BroadcastProcess::new(BroadcastFunction::Counting, true);
        restored.restore(&snap);
        out.clear();
        restored.process_keyed(rec(Value::str("b"), 6), &mut out);
        assert_eq!(rows(&out), ["state [a=4]#1", "(b,0,2)#0"]);
        restored.plant_drop_keyed();
        assert_eq!(restored.parts()[1], Vec::<Value>::new(), "the plant drops the counts only");
        assert_eq!(restored.parts()[0], vec![Value::Pair("a".into(), 4)]);
    }

    /// Two broadcast states: `max:k` writes the limits, the rest the rules; each is its own
    /// part of the snapshot.
    #[test]
    fn two_states_are_written_and_snapshotted_apart() {
        let mut op = BroadcastProcess::new(BroadcastFunction::TwoStates, true);
        op.process_broadcast(&rec(Value::Pair("a".into(), 2), 0));
        op.process_broadcast(&rec(Value::Pair("max:a".into(), 9), 1));
        let mut out = Vec::new();
        op.process_keyed(rec(Value::str("a"), 2), &mut out);
        op.process_keyed(rec(Value::str("b"), 3), &mut out);
        assert_eq!(rows(&out), ["state rules [a=2] limits [a=9]#1", "(a,2,9)#0", "(b,0,0)#0"]);
        op.invariants();
        assert_eq!(op.parts(), vec![vec![Value::Pair("a".into(), 2)], vec![Value::Pair("a".into(), 9)]]);
        // A counted rule counts in both states.
        op.process_broadcast(&rec(Value::str("b"), 4));
        assert_eq!(op.parts()[1], vec![Value::Pair("a".into(), 9), Value::Pair("b".into(), 1)]);
        // The one-state function keeps `max:a` as a rule key.
        let mut one = BroadcastProcess::new(BroadcastFunction::Rules, false);
        one.process_broadcast(&rec(Value::Pair("max:a".into(), 9), 1));
        assert_eq!(one.parts(), vec![vec![Value::Pair("max:a".into(), 9)]]);
    }

    fn at(v: &str, seq: u64, ts: i64) -> Record {
        let mut r = rec(Value::str(v), seq);
        r.timestamp = Some(ts);
        r
    }

    /// Session 40 (RealFlinkBroadcast40's first subtask): a word at `t` registers a timer at
    /// `t + 1500`; a watermark at or past it fires it with the rule and count held then; two
    /// registrations at one time are one timer; the timers are the snapshot's last part and a
    /// restore gives them back with the watermark at `MIN`; the plant drops them alone.
    #[test]
    fn timers_fire_at_the_watermark_with_the_state_then_and_restore() {
        let mut op = BroadcastProcess::new(BroadcastFunction::Counting, false).with_timers(Some(1500));
        op.process_broadcast(&rec(Value::Pair("a".into(), 2), 0));
        let mut out = Vec::new();
        op.process_keyed(at("a", 1, 1000), &mut out);
        op.process_keyed(at("a", 2, 1000), &mut out);
        op.process_keyed(at("b", 3, 1200), &mut out);
        assert_eq!(op.timers().expect("timers").pending().collect::<Vec<_>>(), [(2500, "a"), (2700, "b")]);
        op.process_broadcast(&rec(Value::Pair("a".into(), 5), 4));
        out.clear();
        assert!(!op.process_watermark(2499, &mut out), "below the timer");
        assert!(op.process_watermark(2500, &mut out), "at the timer: timestamp <= watermark");
        assert_eq!(rows(&out), ["timer@2500 (a,5,0)#2"], "sub << FLAT_MAP_SUB_BITS | 2 of the sub-0 record");
        assert_eq!(out[0].timestamp, Some(2500));
        assert_eq!(out[0].lineage.input_seq, 1, "named after its first registrant");
        assert!(!op.process_watermark(2500, &mut out), "a watermark that does not advance fires nothing");
        op.invariants();
        let snap = op.snapshot();
        let OperatorState::Composite(parts) = &snap else { panic!("{snap:?}") };
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], OperatorState::Keyed([(Value::str("b"), Value::str("2700@3.2"))].into()));
        let mut restored = BroadcastProcess::new(BroadcastFunction::Counting, false).with_timers(Some(1500));
        restored.restore(&snap);
        out.clear();
        assert!(restored.process_watermark(i64::MAX, &mut out), "restored at MIN, fires at the end");
        assert_eq!(rows(&out), ["timer@2700 (b,0,1)#2"]);
        restored.restore(&snap);
        restored.plant_drop_timers();
        assert_eq!(restored.parts()[2], Vec::<Value>::new(), "the plant drops the timers only");
        assert_eq!(restored.parts()[1], vec![Value::Pair("b".into(), 1)]);
        // A one-state function with timers snapshots a composite of two; without timers one list.
        let rules = BroadcastProcess::new(BroadcastFunction::Rules, false).with_timers(Some(0));
        assert!(matches!(rules.snapshot(), OperatorState::Composite(p) if p.len() == 2));
        assert!(matches!(
            BroadcastProcess::new(BroadcastFunction::Rules, false).snapshot(),
            OperatorState::SharedList { .. }
        ));
    }

    #[test]
    fn function_names_round_trip() {
        for name in FUNCTION_NAMES {
            let (f, report) = BroadcastFunction::parse(name).expect(name);
            assert_eq!(f.name(report), name);
        }
        assert_eq!(BroadcastFunction::parse("rules_count"), Some((BroadcastFunction::Counting, false)));
        assert_eq!(BroadcastFunction::parse("count"), None);
        assert!(BroadcastFunction::Counting.keeps_keyed_state() && !BroadcastFunction::TwoStates.keeps_keyed_state());
    }
}
