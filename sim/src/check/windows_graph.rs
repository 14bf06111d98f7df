//! The `windows` checker's reference on a job graph (semantics §11, §14): the records that reach the event-time window wherever it stands (after a union, after an interval join, before other operators), from a fault-free fold through the operators upstream of it, each with the most its watermark can be when the record arrives.
//!
//! The window's watermark is the minimum over its input channels (`StatusWatermarkValve`), and
//! each channel's is at most what the sources upstream of it emitted. A record of source S's
//! partition p meets at most the watermark p's generator could emit before it (the largest
//! earlier timestamp in p, minus S's out-of-orderness, minus 1), because the channel carrying it
//! took every watermark p's subtask emitted before it, in order. This holds only while S's
//! channels take part in the minimum: a source with idleness (`withIdleness`) leaves it when
//! idle, so the records of such a source may be late whatever their timestamps (while the
//! records of a source without idleness keep their bound, since that source's channels never
//! leave the minimum). A source without watermarks keeps the minimum at `Long.MIN_VALUE`, so
//! nothing upstream of it is ever late before the end of input.
//!
//! A joined row of an interval join is emitted when the second of its two inputs arrives,
//! whichever it is in an attempt, so the watermark it meets is at most the larger of the two
//! inputs' bounds; it exists at all only when both inputs are surely on time at the join
//! (`joins::surely_on_time`).
//!
//! A window join's row carries its join window's `maxTimestamp` `T` and comes out when the
//! join's watermark first reaches `T` (its timer), before the join forwards that watermark: every
//! watermark that went down the row's channel before it is below `T`, so the row meets at most
//! `T - 1` at a later window, whose window holding `T` ends after `T`: surely on time, unless an
//! input of the row comes from a source with idleness (its channels may leave the minimum) or
//! may itself be late at the join (then the row may not exist: the join dropped that input). With
//! more than one join upstream a window join's row stays unbounded.

use super::windows::{number, Element, WindowRef};
use super::*;
use ckptsim::join::pair_of;
use ckptsim::operator::{Operator, OperatorContext, OperatorKind, SurvivingCounters};
use ckptsim::record::{Lineage, Record};
use ckptsim::two_input::{InputOperator, InputOperatorSpec};
use ckptsim::watermark::{GeneratorKind, Watermark};

/// The most the watermark at an event-time operator can be when a record arrives there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lateness {
    /// No watermark passes before the end of input: never late.
    Never,
    /// At most this (`i64::MIN`: the first record of its partition).
    AtMost(i64),
    /// Unbounded (idleness upstream, a window join's row): it may be late.
    Unknown,
}

impl Lateness {
    /// Whether a window with this `maxTimestamp + allowedLateness` is surely not late for it.
    fn on_time(self, cleanup_ts: i64) -> bool {
        match self {
            Lateness::Never => true,
            Lateness::AtMost(b) => cleanup_ts > b,
            Lateness::Unknown => false,
        }
    }

    /// A joined row of two inputs: the larger bound (either may arrive second).
    fn pair(a: Lateness, b: Lateness) -> Lateness {
        match (a, b) {
            (Lateness::Unknown, _) | (_, Lateness::Unknown) => Lateness::Unknown,
            (Lateness::Never, x) | (x, Lateness::Never) => x,
            (Lateness::AtMost(x), Lateness::AtMost(y)) => Lateness::AtMost(x.max(y)),
        }
    }
}

/// One operator of the fold.
enum Step {
    Pass,
    One(Box<Operator>),
    Multi(Box<InputOperator>),
}

/// Per input, its lateness bound at an event-time operator whose upstream sources are `up`
/// (see the module doc). None: the input has no timestamps for every record.
pub(super) fn input_lateness(spec: &JobSpec, up: &BTreeSet<usize>) -> Option<Vec<Lateness>> {
    let InputSpec::Log { records, .. } = &spec.input else { return None };
    let ts = &spec.input_options.timestamps;
    if ts.len() != records.len() {
        return None;
    }
    let ops = &spec.operators;
    let sources: Vec<usize> = (0..ops.len()).filter(|o| ops[*o].kind.is_source()).collect();
    let source_of =
        |p: u32| sources.iter().copied().find(|s| ops[*s].topic.is_none_or(|(first, n)| p >= first && p < first + n));
    let no_watermarks = sources.iter().filter(|s| up.contains(s)).any(|s| {
        ops[*s].watermarks.is_none_or(|w| w.auto_watermark_interval_ms == crate::spec::NO_WATERMARKS_INTERVAL_MS)
    });
    let mut max_ts: BTreeMap<u32, i64> = BTreeMap::new();
    let mut out = Vec::with_capacity(records.len());
    for ((_, p, _), &t) in records.iter().zip(ts) {
        let before = max_ts.get(&p).copied();
        let e = max_ts.entry(p).or_insert(t);
        *e = (*e).max(t);
        let strategy = source_of(p).and_then(|s| ops[s].watermarks);
        out.push(match strategy {
            _ if no_watermarks => Lateness::Never,
            None => Lateness::Never,
            Some(s) if s.idle_timeout_ms.is_some() => Lateness::Unknown,
            Some(s) => {
                let d = match s.generator {
                    GeneratorKind::BoundedOutOfOrderness { max_out_of_orderness_ms } => max_out_of_orderness_ms as i64,
                    GeneratorKind::MonotonousTimestamps => 0,
                };
                Lateness::AtMost(before.map_or(i64::MIN, |m| m.saturating_sub(d).saturating_sub(1)))
            }
        });
    }
    Some(out)
}

/// The records that reach operator `at` in the fault-free run, in order, each with its
/// lateness bound there. None when an operator upstream of `at` is one the fold does not
/// model (aggregates, count windows, co-maps, another event-time window, user operators,
/// broadcast): then the reference is not known.
pub(super) fn arrivals(spec: &JobSpec, at: usize) -> Option<Vec<(Record, Lateness)>> {
    let ops = &spec.operators;
    let up = super::graph::upstream_of(spec, at);
    let lateness = input_lateness(spec, &up)?;
    let InputSpec::Log { records, .. } = &spec.input else { return None };
    let mut inst: BTreeMap<usize, Step> = BTreeMap::new();
    for &o in up.iter().filter(|o| **o != at) {
        let step = match &ops[o].kind {
            k if k.is_source() || (k.is_partitioning() && !matches!(k, OpKind::Broadcast)) => Step::Pass,
            OpKind::Map(u) => Step::One(Box::new(Operator::new(OperatorKind::Map(*u), vec![]))),
            OpKind::FlatMap(u) => Step::One(Box::new(Operator::new(OperatorKind::FlatMap(*u), vec![]))),
            OpKind::Filter(u) => Step::One(Box::new(Operator::new(OperatorKind::Filter(*u), vec![]))),
            OpKind::Union => Step::Multi(Box::new(InputOperator::new(InputOperatorSpec::Union))),
            OpKind::EventJoin(j) => Step::Multi(Box::new(InputOperator::new(InputOperatorSpec::EventJoin(*j)))),
            _ => return None,
        };
        inst.insert(o, step);
    }
    let joins: Vec<usize> = up.iter().copied().filter(|o| matches!(ops[*o].kind, OpKind::EventJoin(_))).collect();
    let window_joins =
        joins.iter().filter(|o| matches!(ops[**o].kind, OpKind::EventJoin(ckptsim::join::JoinSpec::Window { .. })));
    // The one window join upstream (its inputs' bounds at the join itself); with several
    // joins upstream a row of a window join stays unbounded.
    let window_join_at = match (joins.len(), window_joins.count()) {
        (1, 1) => Some(input_lateness(spec, &super::graph::upstream_of(spec, joins[0]))?),
        _ => None,
    };
    let joined = !joins.is_empty();
    let sure_at_join = if joined { super::joins::surely_on_time(spec) } else { BTreeSet::new() };
    let of = |s: u64| lateness.get(s as usize).copied().unwrap_or(Lateness::Unknown);
    let bound_of = |r: &Record| -> Lateness {
        if !joined {
            return of(r.lineage.input_seq);
        }
        let (a, b) = pair_of(r.lineage);
        if let Some(at_join) = &window_join_at {
            return window_join_row(r, of(a), of(b), |s| at_join.get(s as usize).copied());
        }
        if joins.len() > 1 || !sure_at_join.contains(&a) || !sure_at_join.contains(&b) {
            return Lateness::Unknown;
        }
        Lateness::pair(of(a), of(b))
    };
    let mut consumers: BTreeMap<usize, Vec<(usize, u32)>> = BTreeMap::new();
    for &c in &up {
        for (k, i) in spec.op_inputs(c).into_iter().enumerate() {
            consumers.entry(i).or_default().push((c, k as u32));
        }
    }
    let sources: Vec<usize> = (0..ops.len()).filter(|o| ops[*o].kind.is_source()).collect();
    let source_of =
        |p: u32| sources.iter().copied().find(|s| ops[*s].topic.is_none_or(|(first, n)| p >= first && p < first + n));
    let ts = &spec.input_options.timestamps;
    let mut interner = crate::reference::Interner::default();
    let mut counters = SurvivingCounters::default();
    let mut out = Vec::new();
    let mut work: Vec<(usize, u32, Record)> = Vec::new();
    let mut produced = Vec::new();
    let run = |work: &mut Vec<(usize, u32, Record)>,
               inst: &mut BTreeMap<usize, Step>,
               counters: &mut SurvivingCounters,
               produced: &mut Vec<Record>,
               out: &mut Vec<(Record, Lateness)>| {
        while let Some((op, side, rec)) = work.pop() {
            if op == at {
                let b = bound_of(&rec);
                out.push((rec, b));
                continue;
            }
            produced.clear();
            let mut ctx = OperatorContext { now_ms: 0, counters: &mut *counters, instance: "windows-reference" };
            match inst.get_mut(&op) {
                Some(Step::One(o)) => {
                    let _ = o.process(&mut ctx, rec, produced);
                }
                Some(Step::Multi(m)) => {
                    let _ = m.process(&mut ctx, side, rec, produced);
                }
                Some(Step::Pass) | None => produced.push(rec),
            }
            for r in produced.drain(..).rev() {
                for &(c, k) in consumers.get(&op).into_iter().flatten().rev() {
                    work.push((c, k, r.clone()));
                }
            }
        }
    };
    for (seq, (_, p, v)) in records.iter().enumerate() {
        let Some(src) = source_of(p).filter(|s| up.contains(s)) else { continue };
        let mut rec = Record::new(interner.value(&v), Lineage { input_seq: seq as u64, sub: 0 });
        rec.timestamp = ts.get(seq).copied();
        work.push((src, 0, rec));
        run(&mut work, &mut inst, &mut counters, &mut produced, &mut out);
    }
    // End of input: MAX_WATERMARK through the multi-input heads in topological order.
    for op in super::graph::topological(spec).into_iter().filter(|o| up.contains(o) && *o != at) {
        let Some(Step::Multi(m)) = inst.get_mut(&op) else { continue };
        let mut fired = Vec::new();
        m.process_watermark(Watermark::MAX, &mut fired);
        for r in fired.into_iter().rev() {
            for &(c, k) in consumers.get(&op).into_iter().flatten().rev() {
                work.push((c, k, r.clone()));
            }
        }
        run(&mut work, &mut inst, &mut counters, &mut produced, &mut out);
    }
    Some(out)
}

/// The bound of a window join's row at a later event-time operator (see the module doc): it
/// exists in every attempt when both its inputs are surely on time at the join for the join
/// window (`maxTimestamp` = the row's timestamp `T` > their bounds there); then it was emitted
/// when the join's watermark first reached `T`, before the join forwarded that watermark, so
/// its channel's watermark (and the minimum over channels, while that channel takes part in it:
/// no idleness upstream of either input) is below `T`: at most `T - 1`. `a`, `b`: the inputs'
/// bounds at the later operator; `at_join`: an input's bound at the join.
fn window_join_row(r: &Record, a: Lateness, b: Lateness, at_join: impl Fn(u64) -> Option<Lateness>) -> Lateness {
    let (sa, sb) = pair_of(r.lineage);
    let Some(t) = r.timestamp else { return Lateness::Unknown };
    let exists = [sa, sb].into_iter().all(|s| at_join(s).is_some_and(|l| l.on_time(t)));
    match (a, b) {
        _ if !exists => Lateness::Unknown,
        (Lateness::Unknown, _) | (_, Lateness::Unknown) => Lateness::Unknown,
        (Lateness::Never, _) | (_, Lateness::Never) => Lateness::Never,
        _ => Lateness::AtMost(t.saturating_sub(1)),
    }
}

/// The window reference of a job graph: per (key, window), its elements in arrival order, and
/// per input whether it is surely on time in every window it falls in.
pub(super) fn reference(spec: &JobSpec) -> Option<(WindowRef, BTreeMap<u64, bool>)> {
    let at = spec.operators.iter().position(|o| matches!(o.kind, OpKind::EventWindow(_)))?;
    let OpKind::EventWindow(w) = &spec.operators[at].kind else { return None };
    let lateness = w.allowed_lateness_ms as i64;
    let mut out: WindowRef = BTreeMap::new();
    let mut surely: BTreeMap<u64, bool> = BTreeMap::new();
    for (r, bound) in arrivals(spec, at)? {
        let Some(t) = r.timestamp else { continue };
        let mut all_on_time = true;
        for win in w.assigner.assign(t) {
            let on_time = bound.on_time(win.max_timestamp().saturating_add(lateness));
            all_on_time &= on_time;
            out.entry((key_of(&r.value), win)).or_default().push(Element {
                input_seq: r.lineage.input_seq,
                number: number(&r.value),
                on_time,
            });
        }
        *surely.entry(r.lineage.input_seq).or_insert(true) &= all_on_time;
    }
    Some((out, surely))
}
