//! The fault-free reference: the job's input folded through its operators in-process, once, in input order (the oracle the checkers compare with).

use crate::spec::{InputSpec, JobSpec, OpKind};
use ckptsim::operator::{key_of, Operator, OperatorContext, OperatorKind, SurvivingCounters};
use ckptsim::record::{Lineage, Record, Value};
use std::collections::BTreeMap;

/// What a fault-free run produces. (The output records themselves are not kept: no checker
/// read them, and on a 10^6-record job they were 18 % of the checking phase's heap.)
#[derive(Clone, Debug, Default)]
pub struct Reference {
    /// Per key (of the last keyed operator's output), the sequence of output values (as
    /// integers while they are pairs of the key: [`KeySeq`]).
    pub per_key: BTreeMap<Value, KeySeq>,
    /// Per key, the final value.
    pub final_per_key: BTreeMap<Value, Value>,
    /// Input records (by input sequence number) that produce at least one output.
    pub producing_inputs: PerInput,
    /// A union or two-input operator feeds keyed state (job graphs), or a rebalance, broadcast
    /// or several log partitions hand a key's records of different values to order-sensitive
    /// keyed state over several channels (`check/order.rs` `Arrivals`, session 35), so the order
    /// in which a key's values appear depends on how the inputs interleave; `per_key` is one
    /// possible order and only `final_per_key` is comparable (semantics §14).
    pub order_free: bool,
    /// With `order_free`: the final value per key depends on the order too (a count window,
    /// a keyed user operator, or keyed state fed by other keyed state), so the order-free
    /// final-value rule does not apply either; one keyed aggregate or join ends at the same
    /// value in any order.
    pub final_depends_on_order: bool,
    /// A rebalance or broadcast after keyed state spreads a key's values over several sink
    /// subtasks (`check/order.rs`): the values are the reference's, in no predictable order.
    pub key_split: bool,
    /// Job graphs, and a line whose reference is `order_free`: per key, the input sequence
    /// numbers of its outputs (the order-free final-value check waits until all of them were
    /// delivered). Empty for any other line.
    pub key_inputs: BTreeMap<Value, Vec<u64>>,
    /// Job graphs whose sink receives the rows of an event-time join (`check/joins.rs`): the
    /// joined rows by pair lineage; the per-input and per-key sequence checks give way to them.
    pub joined: Option<crate::check::joins::JoinedRef>,
    /// Job graphs where one input reaches a union, `connect` or keyed `join` through several
    /// gates (`JobSpec::paths_meet`): per input, the lineage `sub` of every row the sink gets
    /// from it, one per path through the graph (and flat_map piece). The delivery checkers
    /// expect each of them: exactly once (`exactly-once`), at least once (`at-least-once`).
    /// `None` for every other job (a row of any lineage of the input is enough there).
    pub path_copies: Option<BTreeMap<u64, Vec<u32>>>,
    /// The `windows` checker's reference (`windows::WindowsRef`), computed on its first use
    /// ([`crate::check::windows::windows_cached`]) and kept: not part of the reference's value.
    pub(crate) windows: std::sync::OnceLock<crate::check::windows::WindowsRef>,
    /// The references of the same input without some of its socket lines, folded on demand
    /// ([`WithoutLines`]): not part of the reference's value.
    pub without_lines: WithoutLines,
}

/// A key's sequence of output values in the reference. While every value is a `Pair` of the
/// key (word count's and a keyed sum's outputs) only the integers are kept, 8 bytes a value
/// instead of a 32-byte [`Value`] (a 10^6-record job's sequences were its largest allocation);
/// otherwise the values themselves. Reads hand out owned values; `Debug` prints the values.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySeq {
    /// `Pair(key, n)` for each `n`, in order.
    Pairs(std::sync::Arc<str>, Vec<i64>),
    /// Any values, in order.
    Values(Vec<Value>),
}

impl Default for KeySeq {
    fn default() -> Self {
        KeySeq::Values(Vec::new())
    }
}

impl std::fmt::Debug for KeySeq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl FromIterator<Value> for KeySeq {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        let mut s = KeySeq::default();
        for v in iter {
            s.push(v);
        }
        s
    }
}

impl KeySeq {
    /// Appends `v` (a value that is not a pair of the key turns the integers into values).
    pub fn push(&mut self, v: Value) {
        match self {
            KeySeq::Values(vs) if vs.is_empty() => match v {
                Value::Pair(k, n) => *self = KeySeq::Pairs(k, vec![n]),
                v => vs.push(v),
            },
            KeySeq::Values(vs) => vs.push(v),
            KeySeq::Pairs(k, ns) => match &v {
                Value::Pair(k2, n) if k2 == k => ns.push(*n),
                _ => {
                    let mut vs = self.to_vec();
                    vs.push(v);
                    *self = KeySeq::Values(vs);
                }
            },
        }
    }

    /// How many values.
    pub fn len(&self) -> usize {
        match self {
            KeySeq::Pairs(_, ns) => ns.len(),
            KeySeq::Values(vs) => vs.len(),
        }
    }

    /// Whether there is no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th value.
    pub fn get(&self, i: usize) -> Option<Value> {
        match self {
            KeySeq::Pairs(k, ns) => ns.get(i).map(|n| Value::Pair(k.clone(), *n)),
            KeySeq::Values(vs) => vs.get(i).cloned(),
        }
    }

    /// The `i`-th value (panics past the end, as indexing a vector does).
    pub fn at(&self, i: usize) -> Value {
        self.get(i).expect("index below the length")
    }

    /// The last value.
    pub fn last(&self) -> Option<Value> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// The values in order (owned: a pair is built per value).
    pub fn iter(&self) -> impl Iterator<Item = Value> + '_ {
        (0..self.len()).map(|i| self.at(i))
    }

    /// The values from `range` (clamped to the length) as a vector.
    pub fn to_vec_range(&self, range: std::ops::Range<usize>) -> Vec<Value> {
        let end = range.end.min(self.len());
        (range.start.min(end)..end).map(|i| self.at(i)).collect()
    }

    /// Every value as a vector.
    pub fn to_vec(&self) -> Vec<Value> {
        self.to_vec_range(0..self.len())
    }

    /// How the `i`-th value compares with `v` (without building it).
    pub fn cmp_at(&self, i: usize, v: &Value) -> std::cmp::Ordering {
        match self {
            KeySeq::Values(vs) => vs[i].cmp(v),
            // `Value`'s derived order: every `Int` and `Str` comes before every `Pair`.
            KeySeq::Pairs(k, ns) => match v {
                Value::Pair(k2, n) => k.cmp(k2).then(ns[i].cmp(n)),
                Value::Int(_) | Value::Str(_) => std::cmp::Ordering::Greater,
            },
        }
    }

    /// How the `i`-th value compares with the `j`-th.
    pub fn cmp_positions(&self, i: usize, j: usize) -> std::cmp::Ordering {
        match self {
            KeySeq::Values(vs) => vs[i].cmp(&vs[j]),
            KeySeq::Pairs(_, ns) => ns[i].cmp(&ns[j]),
        }
    }

    /// Whether the `i`-th value is `v` (false past the end).
    pub fn is_at(&self, i: usize, v: &Value) -> bool {
        i < self.len() && self.cmp_at(i, v).is_eq()
    }

    /// The first position of `v`.
    pub fn position(&self, v: &Value) -> Option<usize> {
        (0..self.len()).find(|&i| self.cmp_at(i, v).is_eq())
    }

    /// The last position of `v`.
    pub fn rposition(&self, v: &Value) -> Option<usize> {
        (0..self.len()).rev().find(|&i| self.cmp_at(i, v).is_eq())
    }

    /// Whether `run` appears in the sequence as consecutive values.
    pub fn contains_run(&self, run: &[Value]) -> bool {
        let Some(first) = run.first() else { return true };
        (0..self.len())
            .filter(|&i| self.is_at(i, first))
            .any(|i| i + run.len() <= self.len() && run.iter().enumerate().all(|(j, v)| self.is_at(i + j, v)))
    }
}

/// How many folds without lost lines a [`Reference`] keeps (seeds of one scenario lose a few
/// distinct sets of lines; the bound keeps a long sweep's memory flat).
const KEPT_WITHOUT_LINES: usize = 16;

/// The state checker's reference of a run that lost socket lines: the fold of the same input
/// without them. Kept with the reference it derives from, so that a sweep that reuses one
/// reference for every seed of a scenario ([`ReferenceCache`]) folds each set of lost lines
/// once instead of once per seed. A clone starts empty.
#[derive(Default)]
pub struct WithoutLines(std::sync::Mutex<Vec<(Vec<u64>, std::sync::Arc<Reference>)>>);

impl Clone for WithoutLines {
    fn clone(&self) -> Self {
        WithoutLines::default()
    }
}

impl std::fmt::Debug for WithoutLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WithoutLines")
    }
}

impl WithoutLines {
    /// How many folds without lost lines are kept.
    pub fn folds(&self) -> usize {
        self.0.lock().expect("without-lines lock").len()
    }

    /// The fold without the lines `lost` (ascending input numbers): a kept one, or `fold()`.
    pub fn get_or_fold(&self, lost: &[u64], fold: impl FnOnce() -> Reference) -> std::sync::Arc<Reference> {
        let mut kept = self.0.lock().expect("without-lines lock");
        if let Some((_, r)) = kept.iter().find(|(l, _)| l.as_slice() == lost) {
            return r.clone();
        }
        let r = std::sync::Arc::new(fold());
        if kept.len() == KEPT_WITHOUT_LINES {
            kept.remove(0);
        }
        kept.push((lost.to_vec(), r.clone()));
        r
    }
}

/// Outputs per input sequence number, in a vector indexed by the number (inputs are numbered
/// densely from 0: 4 bytes per input instead of a map entry per producing input).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PerInput(Vec<u32>);

impl PerInput {
    /// One more output of input `seq`.
    pub fn add(&mut self, seq: u64) {
        let i = seq as usize;
        if self.0.len() <= i {
            self.0.resize(i + 1, 0);
        }
        self.0[i] = self.0[i].saturating_add(1);
    }
    /// Whether input `seq` produces output.
    pub fn contains_key(&self, seq: u64) -> bool {
        self.0.get(seq as usize).is_some_and(|n| *n > 0)
    }
    /// The producing inputs, ascending.
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.0.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, _)| i as u64)
    }
    /// The output counts of the producing inputs, by ascending input.
    pub fn values(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().filter(|n| **n > 0).map(|n| *n as usize)
    }
}

/// One shared string per distinct input value (a generator draws from a few keys: 10^6
/// inputs would otherwise hold 10^6 copies of a handful of strings through the reference's
/// per-key outputs).
#[derive(Default)]
pub(crate) struct Interner(BTreeMap<String, Value>);

impl Interner {
    pub(crate) fn value(&mut self, s: &str) -> Value {
        if let Some(v) = self.0.get(s) {
            return v.clone();
        }
        let v = Value::str(s);
        self.0.insert(s.to_string(), v.clone());
        v
    }
}

/// Folds the input through one instance of every operator, without failure injectors.
/// Keyed operators hold per-key state, so one instance computes what any parallelism would.
pub fn compute(spec: &JobSpec) -> Reference {
    if spec.is_graph() {
        return crate::check::graph::compute_graph(spec, None);
    }
    if spec.event_window().is_some() {
        // An event-time window's results depend on the watermarks: the `windows` checker
        // computes its own reference (`windows.rs`); the per-input oracle does not apply.
        return Reference::default();
    }
    // Each operator of the fold with its index in `spec` (what `order::Arrivals` names).
    let mut ops: Vec<(usize, Operator)> = spec
        .operators
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            match &o.kind {
                OpKind::User(u) => Some(u.operator_without_injectors()),
                _ => None,
            }
            .or_else(|| {
                match &o.kind {
                    OpKind::Map(u) => Some(OperatorKind::Map(*u)),
                    OpKind::FlatMap(u) => Some(OperatorKind::FlatMap(*u)),
                    OpKind::Filter(u) => Some(OperatorKind::Filter(*u)),
                    OpKind::Aggregate(a) => Some(OperatorKind::KeyedAggregate(*a)),
                    OpKind::CountWindow { size } => Some(OperatorKind::CountWindow { size: *size }),
                    _ => None,
                }
                .map(|k| Operator::new(k, vec![]))
            })
            .map(|op| (i, op))
        })
        .collect();
    let keyed = spec.operators.iter().any(|o| matches!(o.kind, OpKind::KeyBy));
    let mut interner = Interner::default();
    let inputs: Box<dyn Iterator<Item = std::borrow::Cow<'_, str>>> = match &spec.input {
        InputSpec::Lines(l) => Box::new(l.iter().map(|(_, s)| std::borrow::Cow::Borrowed(s.as_str()))),
        InputSpec::Log { records, .. } => Box::new(records.iter().map(|(_, _, v)| v)),
    };
    let inputs = inputs.enumerate().map(|(i, s)| (i as u64, interner.value(&s)));
    let mut counters = SurvivingCounters::default();
    let mut out =
        Reference { key_split: keyed && crate::check::order::keys_reordered(spec, None), ..Reference::default() };
    let all: std::collections::BTreeSet<usize> = (0..spec.operators.len()).collect();
    let mut arrivals = crate::check::order::Arrivals::new(spec, &all);
    // A key's inputs are kept only while its values may turn out to interleave (the order-free
    // final-value rule waits for them); dropped after the fold otherwise.
    let track = keyed && arrivals.any();
    let mut cur = Vec::new();
    let mut next = Vec::new();
    for (seq, value) in inputs {
        cur.clear();
        cur.push(Record::new(value, Lineage { input_seq: seq, sub: 0 }));
        for (i, op) in ops.iter_mut() {
            next.clear();
            for r in cur.drain(..) {
                if track {
                    arrivals.enter(*i, &r);
                }
                let mut ctx = OperatorContext { now_ms: 0, counters: &mut counters, instance: "reference" };
                // Without injectors no user exception can happen; a parse failure drops the record.
                let _ = op.process(&mut ctx, r, &mut next);
            }
            std::mem::swap(&mut cur, &mut next);
        }
        for r in cur.drain(..) {
            out.producing_inputs.add(seq);
            if keyed {
                if track {
                    out.key_inputs.entry(key_of(&r.value)).or_default().push(seq);
                }
                out.per_key.entry(key_of(&r.value)).or_default().push(r.value);
            }
        }
    }
    // Each key's final value is the last of its sequence (one map insert per key, not per output).
    out.final_per_key = out.per_key.iter().filter_map(|(k, seq)| Some((k.clone(), seq.last()?))).collect();
    out.order_free = arrivals.interleaved();
    if out.order_free {
        out.final_depends_on_order = crate::check::order::final_depends_on_order(spec, &all);
    } else {
        out.key_inputs.clear();
    }
    out
}

/// Whether `a` and `b` fold to the same [`Reference`]: the fields [`compute`] and
/// [`crate::check::graph::compute_graph`] read are equal (per operator its kind — a user
/// operator included —, parallelism, inputs, topic and watermark strategy, which decide the
/// fold, `key_split` and a join's on-time inputs; the input and its timestamps; the rescale
/// actions' parallelisms, whose plans decide `order_free`). What a seed
/// or a swarm draw changes beside them (faults, checkpointing, restart strategy, cluster keys,
/// the stop time) is not read by the fold.
fn same_fold(a: &JobSpec, b: &JobSpec) -> bool {
    a.operators.len() == b.operators.len()
        && a.operators.iter().zip(&b.operators).all(|(x, y)| {
            x.kind == y.kind
                && x.parallelism == y.parallelism
                && x.inputs == y.inputs
                && x.topic == y.topic
                && x.watermarks == y.watermarks
        })
        && a.input_options.timestamps == b.input_options.timestamps
        && a.input == b.input
        && rescales(a).eq(rescales(b))
}

/// The parallelisms of `spec`'s rescale actions: their plans decide whether a key's records
/// interleave before keyed state (`check/order.rs` `Arrivals`).
fn rescales(spec: &JobSpec) -> impl Iterator<Item = &BTreeMap<String, u32>> {
    spec.actions.iter().filter_map(|a| match &a.kind {
        crate::spec::ActionSpec::Rescale(r) => Some(&r.parallelism),
        _ => None,
    })
}

/// How many distinct folds a [`ReferenceCache`] keeps (a swarm draw of one scenario flips the
/// sink kind and the parallelism after the sources: at most 2 × 4 folds).
const CACHED_FOLDS: usize = 8;

/// References computed once and reused for every seed whose spec folds the same way
/// (`same_fold`): a plain sweep of one scenario folds its input once, not once per seed; a
/// swarm sweep once per drawn sink kind and parallelism. The reference does not depend on the
/// seed, so the verdicts and the trace hash are those of [`compute`] per seed.
#[derive(Default)]
pub struct ReferenceCache {
    folds: Vec<(JobSpec, std::sync::Arc<Reference>)>,
    /// References computed (cache misses).
    pub computed: u64,
    /// References reused (cache hits).
    pub reused: u64,
}

impl ReferenceCache {
    /// The reference of `spec`: a cached one when an earlier spec folds the same way.
    pub fn get(&mut self, spec: &JobSpec) -> std::sync::Arc<Reference> {
        if let Some((_, r)) = self.folds.iter().find(|(s, _)| same_fold(s, spec)) {
            self.reused += 1;
            return r.clone();
        }
        let r = std::sync::Arc::new(compute(spec));
        self.computed += 1;
        if self.folds.len() == CACHED_FOLDS {
            self.folds.remove(0);
        }
        // Only the fields `same_fold` compares are needed; a clone keeps the code simple (one
        // spec per fold; a generated input is its parameters, not its records).
        self.folds.push((spec.clone(), r.clone()));
        r
    }
}
