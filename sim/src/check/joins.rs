//! Joined rows (event-time interval or window joins before the sink, any number of them in a row, semantics §14): every output row is one tuple of inputs, named by its lineage (a pair, or a composite the reference reads back, [`JoinLineages`]); the delivery checkers count rows per lineage, and a row is due only when every input it derives from was surely on time.

use super::*;

#[path = "joins_late.rs"]
mod joins_late;
#[path = "joins_print_state.rs"]
mod joins_print_state;
#[path = "joins_replay.rs"]
mod joins_replay;
#[path = "joins_window.rs"]
mod joins_window;

use crate::world::Rows;
use ckptsim::join::{is_composite, pair_lineage, pair_of, windowed_pair_lineage, JoinSpec};
use ckptsim::record::{Lineage, Record};
use ckptsim::watermark::GeneratorKind;

/// Per restored checkpoint, a keyed operator's value per key as the checkpoint holds it (both
/// displayed, `RestoreRecord::keyed`): `joins_late` gathers it, `joins_replay` folds from it.
type HeldByCheckpoint = std::collections::BTreeMap<ckptsim::CheckpointId, std::collections::BTreeMap<String, String>>;

/// One side branch's aggregate judged by the join's replay: its `late-join-branch-state`
/// findings, how many values were compared, and how many restored keys the checkpoint held
/// another value than the join's cut; or why it was not judged.
type BranchJudged = Result<(Vec<Finding>, usize, usize), &'static str>;

pub(super) use joins_late::late_join;

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
    /// A sliding window join upstream: a row is named by (pair, window), not by its pair.
    pub per_window: bool,
    /// Inputs that are surely on time at the join in every attempt (semantics §11.6's bound:
    /// the largest timestamp before it in its partition minus the out-of-orderness minus 1 is
    /// above any watermark it can meet; strictly, so no cleanup timer removed its partner).
    pub surely_on_time: BTreeSet<u64>,
    /// The inputs of composite lineages (joins in a row), as the reference fold read them.
    pub lineages: JoinLineages,
}

/// The inputs of joined rows through joins in a row (`ckptsim::join::pair_lineage`'s composite
/// lineages). A pair lineage names its two inputs itself; a composite one is a digest of both
/// sides' lineages, which only a fold of the same inputs through the same joins can read back:
/// every record a join (that can receive a joined row) takes is kept per (join, key, side), each
/// new one is paired with the other side's records of its key as the join would pair them, and
/// a composite lineage that comes out of the join is named by its two sides' inputs, left then
/// right. Joins that never see a joined row keep nothing.
#[derive(Clone, Debug, Default)]
pub struct JoinLineages {
    /// The joins whose inputs may be joined rows (another join, or a broadcast, upstream).
    chained: BTreeSet<usize>,
    /// Composite lineage -> the inputs it derives from, left to right.
    composite: BTreeMap<(u64, u32), Vec<u64>>,
    /// Per (join, key, side): the lineages taken so far (an input's own, then any other).
    fed: BTreeMap<(usize, Value, u32), Fed>,
    /// Per (join, composite lineage): the (left, right) that make it.
    candidates: BTreeMap<(usize, (u64, u32)), (Lineage, Lineage)>,
    /// Composite lineages that two different pairs make (a digest collision): not judged.
    pub ambiguous: BTreeSet<(u64, u32)>,
    /// The sliding window joins, whose every row is composite: named by (pair, window)
    /// (`ckptsim::join::windowed_pair_lineage`), so the same pair in k windows is k rows.
    sliding: BTreeMap<usize, JoinSpec>,
    /// Per (sliding join, key, side): the lineages taken, by timestamp (a new element meets
    /// only the partners within one window size of it).
    fed_at: BTreeMap<(usize, Value, u32), BTreeMap<i64, Vec<Lineage>>>,
    /// A sliding window join's row -> its window's `maxTimestamp` (for the messages).
    windows: BTreeMap<(u64, u32), i64>,
}

/// The lineages one side of a join took for one key: inputs' own (`sub == 0`), then the others.
type Fed = (Vec<Lineage>, Vec<Lineage>);

impl JoinLineages {
    /// Keeps track of the joins in its private field `chained`.
    pub fn new(chained: BTreeSet<usize>) -> Self {
        JoinLineages { chained, ..JoinLineages::default() }
    }

    /// The joins of `spec` that need the fold to read their rows back: those with another join
    /// or a broadcast upstream ([`JoinLineages::chained_joins`]) and the sliding window joins.
    pub fn for_spec(spec: &JobSpec) -> Self {
        let sliding = (0..spec.operators.len())
            .filter_map(|o| match spec.operators[o].kind {
                OpKind::EventJoin(j @ JoinSpec::SlidingWindow { .. }) => Some((o, j)),
                _ => None,
            })
            .collect();
        JoinLineages { sliding, ..JoinLineages::new(JoinLineages::chained_joins(spec)) }
    }

    /// The joins of `spec` with another join or a broadcast upstream of them.
    pub fn chained_joins(spec: &JobSpec) -> BTreeSet<usize> {
        let ops = &spec.operators;
        (0..ops.len())
            .filter(|j| matches!(ops[*j].kind, OpKind::EventJoin(_)))
            .filter(|j| {
                spec.upstream_of(*j)
                    .iter()
                    .any(|o| o != j && matches!(ops[*o].kind, OpKind::EventJoin(_) | OpKind::Broadcast))
            })
            .collect()
    }

    /// Join `op` takes `rec` on input `side` (before it processes it).
    pub fn feed(&mut self, op: usize, side: u32, rec: &Record) {
        if let Some(&join) = self.sliding.get(&op) {
            self.feed_sliding(op, join, side, rec);
            return;
        }
        if !self.chained.contains(&op) {
            return;
        }
        let side = side.min(1);
        let key = key_of(&rec.value);
        let x = rec.lineage;
        if let Some((own, other)) = self.fed.get(&(op, key.clone(), 1 - side)) {
            let partners: Vec<Lineage> =
                if x.sub != 0 { own.iter().chain(other).copied().collect() } else { other.clone() };
            for y in partners {
                let (l, r) = if side == 0 { (x, y) } else { (y, x) };
                let row = pair_lineage(l, r);
                if !is_composite(row) {
                    continue;
                }
                self.candidate(op, row, (l, r));
            }
        }
        let e = self.fed.entry((op, key, side)).or_default();
        if x.sub == 0 {
            e.0.push(x);
        } else {
            e.1.push(x);
        }
    }

    /// `row` may come out of join `op` from the sides `lr`; a second pair making the same
    /// digest makes it ambiguous.
    fn candidate(&mut self, op: usize, row: Lineage, lr: (Lineage, Lineage)) {
        let k = (row.input_seq, row.sub);
        match self.candidates.get(&(op, k)) {
            None => {
                self.candidates.insert((op, k), lr);
            }
            Some(&had) if had != lr => {
                self.ambiguous.insert(k);
            }
            Some(_) => {}
        }
    }

    /// Sliding window join `op` takes `rec` on `side`: it makes a row with every partner of
    /// its key in each window the two share (`SlidingEventTimeWindows`; nothing is late in the
    /// fault-free fold).
    fn feed_sliding(&mut self, op: usize, join: JoinSpec, side: u32, rec: &Record) {
        let Some(ts) = rec.timestamp else { return };
        let side = side.min(1);
        let key = key_of(&rec.value);
        let x = rec.lineage;
        let windows = join.sliding_windows(ts);
        // Latest first: the partners lie between the earliest window's start and the latest's end.
        if let (Some(earliest), Some(latest)) = (windows.last(), windows.first()) {
            let mut rows = Vec::new();
            if let Some(partners) = self.fed_at.get(&(op, key.clone(), 1 - side)) {
                for (&ty, ys) in partners.range(earliest.start..latest.end) {
                    for w in windows.iter().filter(|w| w.start <= ty && ty < w.end) {
                        for &y in ys {
                            let (l, r) = if side == 0 { (x, y) } else { (y, x) };
                            rows.push((windowed_pair_lineage(l, r, w.max_timestamp()), (l, r), w.max_timestamp()));
                        }
                    }
                }
            }
            for (row, lr, max_ts) in rows {
                self.candidate(op, row, lr);
                self.windows.insert((row.input_seq, row.sub), max_ts);
            }
        }
        self.fed_at.entry((op, key, side)).or_default().entry(ts).or_default().push(x);
    }

    /// Join `op` emitted `r`: a composite lineage is named by its sides' inputs.
    pub fn emitted(&mut self, op: usize, r: &Record) {
        let k = (r.lineage.input_seq, r.lineage.sub);
        if !is_composite(r.lineage) || self.composite.contains_key(&k) {
            return;
        }
        if let Some(&(l, rr)) = self.candidates.get(&(op, k)) {
            let mut v = self.inputs_of(l);
            v.extend(self.inputs_of(rr));
            self.composite.insert(k, v);
        }
    }

    /// The inputs a lineage derives from, left to right: an input's own lineage its input, a
    /// pair its two, a composite what the fold read (none when it never saw it).
    pub fn inputs_of(&self, l: Lineage) -> Vec<u64> {
        if l.sub == 0 {
            vec![l.input_seq]
        } else if is_composite(l) {
            self.composite.get(&(l.input_seq, l.sub)).cloned().unwrap_or_default()
        } else {
            let (a, b) = pair_of(l);
            vec![a, b]
        }
    }

    /// `left #a ⋈ right #b`, or for joins in a row `#a ⋈ #b ⋈ #c` (inputs left to right).
    pub fn describe(&self, l: Lineage) -> String {
        if !is_composite(l) {
            let (a, b) = pair_of(l);
            return format!("left #{a} ⋈ right #{b}");
        }
        let v = self.inputs_of(l);
        if v.is_empty() {
            return format!("an unknown row of joins (latest input #{}, digest {:#x})", l.input_seq, l.sub);
        }
        let row = v.iter().map(|s| format!("#{s}")).collect::<Vec<_>>().join(" ⋈ ");
        match self.windows.get(&(l.input_seq, l.sub)) {
            Some(max_ts) => format!("{row} in the window ending at {max_ts}"),
            None => row,
        }
    }
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
    /// The inputs a joined row derives from (see [`JoinLineages::inputs_of`]).
    pub fn inputs_of(&self, l: (u64, u32)) -> Vec<u64> {
        self.lineages.inputs_of(Lineage { input_seq: l.0, sub: l.1 })
    }

    /// `left #a ⋈ right #b` or `#a ⋈ #b ⋈ #c`.
    pub fn describe(&self, l: Lineage) -> String {
        self.lineages.describe(l)
    }

    /// Whether the row exists in every attempt: every input it derives from was surely on time
    /// at its join. Then every joined row on its way is surely on time at the next join too
    /// (an interval join's row carries the largest of its inputs' timestamps, above the largest
    /// of their bounds; a window join's row its window's maxTimestamp, above every watermark
    /// before it), so no join drops a part of it (semantics §14).
    fn due_pair(&self, l: (u64, u32)) -> bool {
        let inputs = self.inputs_of(l);
        !inputs.is_empty()
            && !self.lineages.ambiguous.contains(&l)
            && inputs.iter().all(|s| self.surely_on_time.contains(s))
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
    anomalies: &mut Vec<super::Finding>,
) {
    let mut seen = BTreeSet::new();
    for r in rows {
        let l = (r.lineage.input_seq, r.lineage.sub);
        if !seen.insert(l) {
            continue;
        }
        match jr.rows.get(&l) {
            None => anomalies.push(super::Finding::named(format!(
                "joined row not in the reference: {} = {} {verb} at {} ms",
                jr.describe(r.lineage),
                r.value,
                r.time_ms
            ))),
            Some(want) if jr.exact_values && *want != r.value => anomalies.push(super::Finding::named(format!(
                "joined row wrong: {} {verb} {}, reference {want}",
                jr.describe(r.lineage),
                r.value
            ))),
            _ => {}
        }
    }
    for (l, v) in &jr.rows {
        if counts.get(*l) > 0 || !jr.due_pair(*l) || !due(*l) {
            continue;
        }
        anomalies.push(super::Finding::named(format!(
            "lost joined row: {} = {v} never {verb} although every input was surely on time and covered",
            jr.describe(Lineage { input_seq: l.0, sub: l.1 })
        )));
    }
}

#[cfg(test)]
mod sliding_tests {
    use super::*;

    /// Session 33: a sliding window join's rows are counted per (pair, window). On
    /// `graphs/sliding-window-join-2pc.toml` (seed 1, task failures) some pair of inputs is
    /// committed in two windows, and the run passes `exactly-once`; the reference reads every
    /// committed row back as its two inputs and window. A row committed again is a duplicate,
    /// and so is the pair's second window's row given its first window's name: had the rows
    /// been named by their pair alone, every pair in two windows would read as a duplicate.
    #[test]
    fn a_sliding_join_row_is_counted_per_pair_and_window() {
        let (spec, run) = crate::check::test_runs::scenario_run("graphs/sliding-window-join-2pc.toml", 1);
        let reference = reference::compute(&spec);
        let jr = reference.joined.as_ref().expect("a joined reference");
        assert!(jr.per_window && jr.windowed);
        let eo = |run: &RunResult| {
            let v = check_all(&spec, run, &reference).into_iter().find(|v| v.checker == "exactly-once");
            v.expect("an exactly-once verdict")
        };
        let v = eo(&run);
        assert_eq!(v.passed, Some(true), "{}: {:?}", v.summary, v.anomalies);
        assert!(v.summary.contains("(pair, window) rows"), "{}", v.summary);
        // Per pair of inputs, the committed rows (window maxTimestamp -> row index).
        let mut by_pair: BTreeMap<Vec<u64>, BTreeMap<i64, usize>> = BTreeMap::new();
        for (i, r) in run.committed.iter().enumerate() {
            let inputs = jr.inputs_of((r.lineage.input_seq, r.lineage.sub));
            assert_eq!(inputs.len(), 2, "row {i} read back as its two inputs");
            by_pair.entry(inputs).or_default().insert(r.timestamp.expect("a window's row"), i);
        }
        let (pair, windows) = by_pair.iter().find(|(_, w)| w.len() >= 2).expect("a pair joined in two windows");
        let row = |i: usize| run.committed.get(i).expect("a committed row");
        let (first, second) = {
            let mut rows = windows.values();
            (*rows.next().expect("first"), *rows.next().expect("second"))
        };
        let described = jr.describe(row(first).lineage);
        assert!(described.contains(&format!("#{} ⋈ #{} in the window ending at", pair[0], pair[1])), "{described}");
        let mut again = run.clone();
        again.committed.push(row(first));
        let v = eo(&again);
        assert_eq!(v.passed, Some(false), "a row committed twice: {}", v.summary);
        assert!(v.anomalies.iter().any(|f| f.text.contains("duplicate joined row")), "{:?}", v.anomalies);
        let mut by_pair_name = run.clone();
        by_pair_name.committed.set(second, OutputRow { lineage: row(first).lineage, ..row(second) });
        assert_eq!(eo(&by_pair_name).passed, Some(false), "one name for two windows' rows is a duplicate");
    }
}
