//! Joined rows (an event-time interval or window join before the sink, semantics §14): every output row is one pair of inputs, named by its pair lineage; the delivery checkers count rows per pair, and a pair is due only when both of its inputs were surely on time.

use super::*;
use crate::world::Rows;
use ckptsim::join::pair_of;
use ckptsim::record::Lineage;
use ckptsim::watermark::GeneratorKind;

/// What the reference knows of a job whose sink receives joined rows.
#[derive(Clone, Debug, Default)]
pub struct JoinedRef {
    /// Every joined row the fault-free run emits: pair lineage -> value.
    pub rows: BTreeMap<(u64, u32), Value>,
    /// Whether the values are comparable (the join feeds the sink through stateless operators
    /// only; after an aggregate the values depend on the interleaving of the inputs).
    pub exact_values: bool,
    /// A window join: rows appear when the watermark passes their window, so while the job runs
    /// a row is never due (only once it FINISHED, after `MAX_WATERMARK`).
    pub windowed: bool,
    /// Inputs that are surely on time at the join in every attempt (semantics §11.6's bound:
    /// the largest timestamp before it in its partition minus the out-of-orderness minus 1 is
    /// above any watermark it can meet; strictly, so no cleanup timer removed its partner).
    pub surely_on_time: BTreeSet<u64>,
}

/// `left #a ⋈ right #b`.
pub fn describe(l: Lineage) -> String {
    let (a, b) = pair_of(l);
    format!("left #{a} ⋈ right #{b}")
}

/// Inputs surely on time at any event-time operator (see [`JoinedRef::surely_on_time`]): the
/// watermark strategy of the source owning each partition; none with idleness (an idle split
/// leaves the minimum, so its next records may be late), all without periodic watermarks.
pub fn surely_on_time(spec: &JobSpec) -> BTreeSet<u64> {
    let InputSpec::Log { records, .. } = &spec.input else { return BTreeSet::new() };
    let ts = &spec.input_options.timestamps;
    let sources: Vec<usize> = (0..spec.operators.len()).filter(|o| spec.operators[*o].kind.is_source()).collect();
    let strategy_of = |p: u32| {
        sources
            .iter()
            .find(|s| spec.operators[**s].topic.is_none_or(|(first, n)| p >= first && p < first + n))
            .and_then(|s| spec.operators[*s].watermarks)
    };
    let mut max_ts: BTreeMap<u32, i64> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for (seq, (_, p, _)) in records.iter().enumerate() {
        let Some(&t) = ts.get(seq) else { break };
        let before = max_ts.get(&p).copied();
        let e = max_ts.entry(p).or_insert(t);
        *e = (*e).max(t);
        let on_time = match strategy_of(p) {
            None => true,
            Some(s) if s.auto_watermark_interval_ms == crate::spec::NO_WATERMARKS_INTERVAL_MS => true,
            // An idle timeout of the run's length or more never fires (`windows_graph::idleness_never_fires`).
            Some(s) if s.idle_timeout_ms.is_some_and(|t| t < spec.stop_at_ms) => false,
            Some(s) => {
                let d = match s.generator {
                    GeneratorKind::BoundedOutOfOrderness { max_out_of_orderness_ms } => max_out_of_orderness_ms as i64,
                    GeneratorKind::MonotonousTimestamps => 0,
                };
                before.is_none_or(|m| t > m.saturating_sub(d).saturating_sub(1))
            }
        };
        if on_time {
            out.insert(seq as u64);
        }
    }
    out
}

impl JoinedRef {
    fn due_pair(&self, l: (u64, u32)) -> bool {
        let (a, b) = pair_of(Lineage { input_seq: l.0, sub: l.1 });
        self.surely_on_time.contains(&a) && self.surely_on_time.contains(&b)
    }
}

/// The rows' anomalies: a row that is no joined row of the reference (or, with comparable
/// values, has another value), and a due row missing. `due(lineage)`: whether the run must
/// hold that row by now (checkpoint coverage, end of input), beyond being surely on time.
pub(super) fn joined_row_anomalies(
    jr: &JoinedRef,
    rows: &Rows,
    counts: &super::counts::LineageCounts,
    due: impl Fn((u64, u32)) -> bool,
    verb: &str,
    anomalies: &mut Vec<String>,
) {
    let mut seen = BTreeSet::new();
    for r in rows {
        let l = (r.lineage.input_seq, r.lineage.sub);
        if !seen.insert(l) {
            continue;
        }
        match jr.rows.get(&l) {
            None => anomalies.push(format!(
                "joined row not in the reference: {} = {} {verb} at {} ms",
                describe(r.lineage),
                r.value,
                r.time_ms
            )),
            Some(want) if jr.exact_values && *want != r.value => anomalies.push(format!(
                "joined row wrong: {} {verb} {}, reference {want}",
                describe(r.lineage),
                r.value
            )),
            _ => {}
        }
    }
    for (l, v) in &jr.rows {
        if counts.get(*l) > 0 || !jr.due_pair(*l) || !due(*l) {
            continue;
        }
        anomalies.push(format!(
            "lost joined row: {} = {v} never {verb} although both inputs were surely on time and covered",
            describe(Lineage { input_seq: l.0, sub: l.1 })
        ));
    }
}
