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
//! may itself be late at the join (then the row may not exist: the join dropped that input).
//!
//! With several joins upstream (say two joins side by side, their rows unioned before the
//! window) each row is judged through the one join it came out of, as above: the fold tags every
//! record with that join, and the argument only needs the row's own channel to take part in the
//! window's minimum.
//!
//! Joins in a row: a row of a join with another join upstream names every input it derives from
//! (its composite lineage, read back by `joins::JoinLineages`). It exists in every attempt when
//! each of those inputs is surely on time at its join (`joins::surely_on_time`; the joined rows
//! on the way are then on time at the next join, `JoinedRef::due_pair`). Out of a window join
//! it meets at most its timestamp - 1, as above; out of an interval join whose upstream joins
//! are interval joins too it meets at most the largest of its inputs' bounds (each join emits
//! when its later side arrives, so the bound composes); an interval join behind a window join
//! stays unbounded (the flat list of inputs does not say which window the inner row had).

use super::*;
use crate::check::joins::JoinLineages;
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

/// A record that came out of no join on its way to the window.
const NOT_JOINED: usize = usize::MAX;

/// One operator of the fold.
enum Step {
    Pass,
    One(Box<Operator>),
    Multi(Box<InputOperator>),
}

/// Whether idleness upstream of the event-time operator `at` (whose upstream is `up`) can make
/// no record late: one log partition feeds it and every task from that partition's source to
/// `at` has one input channel (parallelism 1 upstream of `at`, one input each, no rescale).
///
/// Then every watermark and every record reach `at` down one chain of channels, in the order
/// the source emitted them, and idleness only inserts statuses into that order: the source
/// marks its one split idle and active again without touching its generator's watermark
/// (`WatermarksWithIdleness`), and a valve with one channel that goes idle flushes the maximum
/// over its channels, that channel's own watermark, and on ACTIVE finds it not behind its last
/// output, so aligned at once (`StatusWatermarkValve`). The watermark a record meets is still at
/// most its partition's bound. With a second channel anywhere on the way (a second partition,
/// a second subtask upstream, a second input) an idle channel leaves the minimum while another
/// advances: the record of the idle one may meet a watermark its own partition never emitted,
/// and whether it does depends on processing time (how long the partition had no event, how
/// the channels interleave), which the input does not fix.
pub(super) fn idleness_harmless(spec: &JobSpec, at: usize, up: &BTreeSet<usize>) -> bool {
    if idleness_never_fires(spec, up) {
        return true;
    }
    let ops = &spec.operators;
    let InputSpec::Log { partitions, .. } = &spec.input else { return false };
    let read: u32 =
        up.iter().filter(|s| ops[**s].kind.is_source()).map(|s| ops[*s].topic.map_or(*partitions, |(_, n)| n)).sum();
    let rescaled = spec.actions.iter().any(|a| matches!(a.kind, ActionSpec::Rescale(_)));
    read == 1
        && !rescaled
        && up.iter().all(|o| spec.op_inputs(*o).len() <= 1)
        && spec.op_inputs(at).len() <= 1
        && up.iter().filter(|o| **o != at && !ops[**o].kind.is_partitioning()).all(|o| ops[*o].parallelism == 1)
}

/// Whether no source in `up` can ever mark a split idle in this run: every idle timeout is at
/// least the run's length. `WatermarksWithIdleness.IdlenessTimer` marks a split idle only once
/// it saw no event for longer than the timeout, measured from a periodic emission at or after
/// the attempt's start, and a run ends at `stop_at_ms`: with a timeout of `stop_at_ms` or more
/// no status ever leaves the minimum, whatever the processing times, so the sources keep the
/// bounds they have without idleness (with any number of channels). This is the one case of
/// several channels with idleness where Flink's answer does not depend on processing time that
/// the checker judges; the others are documented in semantics §11.6.
pub(super) fn idleness_never_fires(spec: &JobSpec, up: &BTreeSet<usize>) -> bool {
    up.iter()
        .filter_map(|o| spec.operators[*o].watermarks.and_then(|w| w.idle_timeout_ms))
        .all(|t| t >= spec.stop_at_ms)
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
    // The operator `up` leads to: the one in it no other member of it consumes.
    let harmless = up
        .iter()
        .find(|o| !up.iter().any(|c| spec.op_inputs(*c).contains(o)))
        .is_some_and(|at| idleness_harmless(spec, *at, up));
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
            Some(s) if s.idle_timeout_ms.is_some_and(|t| t < spec.stop_at_ms) && !harmless => Lateness::Unknown,
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
    let up = spec.upstream_of(at);
    let lateness = input_lateness(spec, &up)?;
    let InputSpec::Log { records, .. } = &spec.input else { return None };
    let mut inst = reference_steps(spec, &up, at)?;
    let bounds = JoinBounds::new(spec, &up, &lateness)?;
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
    // (operator, input side, record, the join it came out of or NOT_JOINED).
    let mut work: Vec<(usize, u32, Record, usize)> = Vec::new();
    let mut produced = Vec::new();
    let is_join = |o: usize| matches!(ops[o].kind, OpKind::EventJoin(_));
    let mut tree = JoinLineages::for_spec(spec);
    let run = |work: &mut Vec<(usize, u32, Record, usize)>,
               inst: &mut BTreeMap<usize, Step>,
               counters: &mut SurvivingCounters,
               produced: &mut Vec<Record>,
               out: &mut Vec<(Record, Lateness)>,
               tree: &mut JoinLineages| {
        while let Some((op, side, rec, via)) = work.pop() {
            if op == at {
                let b = bounds.bound_of(&rec, via, tree);
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
                    tree.feed(op, side, &rec);
                    let _ = m.process(&mut ctx, side, rec, produced);
                    for r in produced.iter() {
                        tree.emitted(op, r);
                    }
                }
                Some(Step::Pass) | None => produced.push(rec),
            }
            let via = if is_join(op) { op } else { via };
            for r in produced.drain(..).rev() {
                for &(c, k) in consumers.get(&op).into_iter().flatten().rev() {
                    work.push((c, k, r.clone(), via));
                }
            }
        }
    };
    for (seq, (_, p, v)) in records.iter().enumerate() {
        let Some(src) = source_of(p).filter(|s| up.contains(s)) else { continue };
        let mut rec = Record::new(interner.value(&v), Lineage { input_seq: seq as u64, sub: 0 });
        rec.timestamp = ts.get(seq).copied();
        work.push((src, 0, rec, NOT_JOINED));
        run(&mut work, &mut inst, &mut counters, &mut produced, &mut out, &mut tree);
    }
    // End of input: MAX_WATERMARK through the multi-input heads in topological order.
    for op in crate::check::graph::topological(spec).into_iter().filter(|o| up.contains(o) && *o != at) {
        let Some(Step::Multi(m)) = inst.get_mut(&op) else { continue };
        let mut fired = Vec::new();
        m.process_watermark(Watermark::MAX, &mut fired);
        for r in &fired {
            tree.emitted(op, r);
        }
        let via = if is_join(op) { op } else { NOT_JOINED };
        for r in fired.into_iter().rev() {
            for &(c, k) in consumers.get(&op).into_iter().flatten().rev() {
                work.push((c, k, r.clone(), via));
            }
        }
        run(&mut work, &mut inst, &mut counters, &mut produced, &mut out, &mut tree);
    }
    Some(out)
}

/// The fold's step for each operator upstream of `at` (not `at` itself); None when one of them
/// is an operator the fold does not model.
fn reference_steps(spec: &JobSpec, up: &BTreeSet<usize>, at: usize) -> Option<BTreeMap<usize, Step>> {
    let ops = &spec.operators;
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
    Some(inst)
}

/// What a record's bound is at the event-time operator the fold leads to, through the window
/// and interval joins upstream of it (see [`arrivals`]).
struct JoinBounds<'a> {
    spec: &'a JobSpec,
    /// Each input's bound at the operator.
    lateness: &'a [Lateness],
    /// The event joins upstream.
    joins: Vec<usize>,
    /// Per window join upstream: its inputs' bounds at the join itself.
    at_join: BTreeMap<usize, Vec<Lateness>>,
    /// The joins with another join upstream of them.
    chained: BTreeSet<usize>,
    /// The inputs surely on time at every join.
    sure_at_join: BTreeSet<u64>,
}

impl<'a> JoinBounds<'a> {
    /// The bounds for operator set `up` (the operator and everything upstream of it); None
    /// when a window join's inputs have no known bound.
    fn new(spec: &'a JobSpec, up: &BTreeSet<usize>, lateness: &'a [Lateness]) -> Option<Self> {
        let ops = &spec.operators;
        let joins: Vec<usize> = up.iter().copied().filter(|o| matches!(ops[*o].kind, OpKind::EventJoin(_))).collect();
        // Per window join upstream: its inputs' bounds at the join itself. A joined row is judged
        // through the one join it came out of (`via`); a join with another join upstream of it
        // (`chained`) through every input its composite lineage names.
        let mut at_join: BTreeMap<usize, Vec<Lateness>> = BTreeMap::new();
        for &j in &joins {
            if matches!(ops[j].kind, OpKind::EventJoin(ckptsim::join::JoinSpec::Window { .. })) {
                at_join.insert(j, input_lateness(spec, &spec.upstream_of(j))?);
            }
        }
        let chained: BTreeSet<usize> = joins
            .iter()
            .copied()
            .filter(|j| spec.upstream_of(*j).iter().any(|o| o != j && joins.contains(o)))
            .collect();
        let sure_at_join = if joins.is_empty() { BTreeSet::new() } else { crate::check::joins::surely_on_time(spec) };
        Some(JoinBounds { spec, lateness, joins, at_join, chained, sure_at_join })
    }

    fn of(&self, s: u64) -> Lateness {
        self.lateness.get(s as usize).copied().unwrap_or(Lateness::Unknown)
    }

    /// Joins in a row behind `via`: whether every join upstream of it is an interval join.
    fn intervals_only(&self, via: usize) -> bool {
        self.spec.upstream_of(via).iter().all(|o| {
            !self.joins.contains(o)
                || matches!(self.spec.operators[*o].kind, OpKind::EventJoin(ckptsim::join::JoinSpec::Interval { .. }))
        })
    }

    /// Record `r`'s bound, having come out of join `via` (or [`NOT_JOINED`]).
    fn bound_of(&self, r: &Record, via: usize, tree: &JoinLineages) -> Lateness {
        if via == NOT_JOINED {
            return self.of(r.lineage.input_seq);
        }
        if self.chained.contains(&via) {
            let inputs = tree.inputs_of(r.lineage);
            let key = (r.lineage.input_seq, r.lineage.sub);
            if inputs.is_empty()
                || tree.ambiguous.contains(&key)
                || !inputs.iter().all(|s| self.sure_at_join.contains(s))
            {
                return Lateness::Unknown;
            }
            let bounds: Vec<Lateness> = inputs.iter().map(|s| self.of(*s)).collect();
            if bounds.contains(&Lateness::Unknown) {
                return Lateness::Unknown;
            }
            if self.at_join.contains_key(&via) {
                if bounds.contains(&Lateness::Never) {
                    return Lateness::Never;
                }
                return r.timestamp.map_or(Lateness::Unknown, |t| Lateness::AtMost(t.saturating_sub(1)));
            }
            if !self.intervals_only(via) {
                return Lateness::Unknown;
            }
            return bounds.into_iter().fold(Lateness::Never, Lateness::pair);
        }
        let (a, b) = pair_of(r.lineage);
        if let Some(at_join) = self.at_join.get(&via) {
            return window_join_row(r, self.of(a), self.of(b), |s| at_join.get(s as usize).copied());
        }
        if !self.sure_at_join.contains(&a) || !self.sure_at_join.contains(&b) {
            return Lateness::Unknown;
        }
        Lateness::pair(self.of(a), self.of(b))
    }
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
                before_end: bound.on_time(win.max_timestamp()),
            });
        }
        *surely.entry(r.lineage.input_seq).or_insert(true) &= all_on_time;
    }
    Some((out, surely))
}
