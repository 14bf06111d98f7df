//! Whether a key's records keep their order: a rebalance or broadcast after keyed state spreads one key's values over several sink subtasks; before order-sensitive keyed state, it spreads the key's records so the state sees them in no fixed order.
//!
//! A keyed operator emits each key's values in one subtask, in order. On the way to the sink,
//! a forward or hash edge keeps that order (one channel carries the key). A rebalance (Flink's
//! default between operators of different parallelism: `RebalancePartitioner`) or a broadcast
//! into a vertex of parallelism above one hands consecutive values of a key to different
//! subtasks, and the sink then commits them in an order no reference can predict (each subtask
//! commits its own transactions; a later merge interleaves channels). The values are still the
//! reference's values, each once: only their order is lost.
//!
//! The same fan-out *before* keyed state (`Arrivals`, session 35) hands a key's records to
//! several subtasks that meet again at the hash edge, so the keyed operator folds them in an
//! order no reference can predict: a running sum of non-unit values then prints other values
//! than the input order's fold (the reference is `order_free`, as behind a union).

use super::*;
use crate::world::graph::{EdgeKind, Graph};
use ckptsim::record::Record;

/// Whether some path from keyed state to the sink (`only_sink`, or any sink) goes through a
/// rebalance or broadcast into a vertex of parallelism above one.
pub fn keys_reordered(spec: &JobSpec, only_sink: Option<usize>) -> bool {
    let g = Graph::build(spec);
    let spread = Spread::of(&g);
    let is_sink_vertex = |v: usize| {
        g.vertices[v].ops.iter().any(|&o| match only_sink {
            Some(s) => o == s,
            None => spec.operators[o].kind.is_sink(),
        })
    };
    (0..g.vertices.len()).any(|v| spread.split[v] && is_sink_vertex(v))
}

/// How one key's records travel through one plan, per vertex (one fixed point over the acyclic
/// vertex graph, at most n rounds). One rule for both directions: a rebalance or broadcast edge
/// into a vertex of parallelism above one spreads a key over several channels, whose records
/// then arrive in no fixed order wherever they meet again (a hash edge into keyed state, a
/// sink that commits per subtask).
struct Spread {
    /// v is entered by a hash edge or lies downstream of such a vertex.
    keyed: Vec<bool>,
    /// A key's records reach v over more than one channel since a fan-out (before or after
    /// keyed state).
    spread: Vec<bool>,
    /// The same, the fan-out after keyed state: a key's *values* reach v in no fixed order.
    split: Vec<bool>,
}

impl Spread {
    fn of(g: &Graph) -> Spread {
        let n = g.vertices.len();
        let mut s = Spread { keyed: vec![false; n], spread: vec![false; n], split: vec![false; n] };
        for _ in 0..n {
            let mut changed = false;
            for v in 0..n {
                for &(u, kind) in &g.in_edges[v] {
                    let fan_out =
                        matches!(kind, EdgeKind::Rebalance | EdgeKind::Broadcast) && g.vertices[v].parallelism > 1;
                    let now = [
                        kind == EdgeKind::Hash || s.keyed[u],
                        s.spread[u] || fan_out,
                        s.split[u] || (s.keyed[u] && fan_out),
                    ];
                    for (flag, on) in [&mut s.keyed, &mut s.spread, &mut s.split].into_iter().zip(now) {
                        if on && !flag[v] {
                            flag[v] = true;
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        s
    }
}

/// Whether a keyed operator's output depends on the order in which a key's records reach it:
/// a running sum, max or min, a count window, a keyed user operator. (`count` does not: its
/// values are 1, 2, ... in any order; a two-input operator is a union's case, `order_free`.)
fn order_sensitive(kind: &OpKind) -> bool {
    match kind {
        OpKind::Aggregate(a) => *a != ckptsim::operator::Aggregate::Count,
        OpKind::CountWindow { .. } => true,
        OpKind::User(u) => u.is_keyed(),
        _ => false,
    }
}

/// The plans a run of `spec` may have: the spec's, and after each `rescale` action the one with
/// its parallelisms (cumulative, as `graphs_by_epoch` builds them from the run).
fn plans(spec: &JobSpec) -> Vec<Graph> {
    let mut out = vec![Graph::build(spec)];
    let mut s = spec.clone();
    for a in &spec.actions {
        if let ActionSpec::Rescale(r) = &a.kind {
            for o in &mut s.operators {
                if let Some(p) = r.parallelism.get(&o.name) {
                    o.parallelism = *p;
                }
            }
            out.push(Graph::build(&s));
        }
    }
    out
}

/// Which records the reference fold saw enter each order-sensitive keyed operator, per key:
/// enough to say whether some key's running values depend on an order the run does not keep
/// (session 35: a parallelism change on the forward edge between a p=1 source and the map
/// before `key_by` is a rebalance, Flink's `StreamGraph` default between operators of different
/// parallelism, so one key's records reach the keyed sum over several channels in any order).
/// A key is interleaved when its records differ in value and either a fan-out upstream of the
/// operator spread them ([`Spread`], in any plan of the run, a rescale's included) or they came
/// from several log partitions (each read on its own, in no order relative to the others:
/// Flink's `KafkaSourceReader` polls its splits independently). Records of equal value reorder
/// to the same sequence, whatever the operator: a word count keeps its order rules.
pub(crate) struct Arrivals {
    /// Per order-sensitive keyed operator of interest: whether a fan-out spreads its keys.
    ops: BTreeMap<usize, bool>,
    /// Per (operator, key): the first value that entered and its partition, and whether a later
    /// one differed in value, in partition.
    first: BTreeMap<(usize, Value), (Value, u32, bool, bool)>,
    /// Per input (by sequence number), the log partition it was read from (none: partition 0).
    partitions: Vec<u32>,
    interleaved: bool,
}

impl Arrivals {
    /// The order-sensitive keyed operators of `spec` among `of` (a sink's upstream).
    pub(crate) fn new(spec: &JobSpec, of: &BTreeSet<usize>) -> Arrivals {
        let mut ops: BTreeMap<usize, bool> = BTreeMap::new();
        for o in of.iter().copied().filter(|o| order_sensitive(&spec.operators[*o].kind)) {
            ops.insert(o, false);
        }
        for g in plans(spec) {
            let spread = Spread::of(&g);
            for (v, vertex) in g.vertices.iter().enumerate() {
                let mixed = g.in_edges[v].iter().any(|&(u, kind)| kind == EdgeKind::Hash && spread.spread[u]);
                for o in vertex.ops.iter().filter(|_| mixed) {
                    if let Some(m) = ops.get_mut(o) {
                        *m = true;
                    }
                }
            }
        }
        // Neither a fan-out nor several partitions: every key keeps its input order.
        let partitions = match &spec.input {
            InputSpec::Log { partitions, .. } => *partitions,
            InputSpec::Lines(_) => 1,
        };
        if partitions <= 1 && !ops.values().any(|m| *m) {
            ops.clear();
        }
        let partitions = match &spec.input {
            InputSpec::Log { records, .. } if partitions > 1 && !ops.is_empty() => {
                records.iter().map(|(_, p, _)| p).collect()
            }
            _ => Vec::new(),
        };
        Arrivals { ops, first: BTreeMap::new(), partitions, interleaved: false }
    }

    /// Whether any operator is tracked (else [`Arrivals::enter`] is a no-op).
    pub(crate) fn any(&self) -> bool {
        !self.ops.is_empty()
    }

    /// `rec` enters operator `op`.
    pub(crate) fn enter(&mut self, op: usize, rec: &Record) {
        if self.interleaved {
            return;
        }
        let Some(&mixed) = self.ops.get(&op) else { return };
        let partition = self.partitions.get(rec.lineage.input_seq as usize).copied().unwrap_or(0);
        match self.first.entry((op, key_of(&rec.value))) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert((rec.value.clone(), partition, false, false));
            }
            std::collections::btree_map::Entry::Occupied(mut e) => {
                let (v, p, values, partitions) = e.get_mut();
                *values |= *v != rec.value;
                *partitions |= *p != partition;
                self.interleaved = *values && (mixed || *partitions);
            }
        }
    }

    /// Whether some key's values depend on an order the run does not keep.
    pub(crate) fn interleaved(&self) -> bool {
        self.interleaved
    }
}

/// With an order-free reference: whether a key's final value depends on the order as well,
/// the keyed state among `of` (a sink's upstream) being other than one running aggregate or
/// one join (which end at the same value in any order): a count window's last window, a keyed
/// user operator's, keyed state fed by other keyed state's running values.
pub(crate) fn final_depends_on_order(spec: &JobSpec, of: &BTreeSet<usize>) -> bool {
    let stateful: Vec<&OpKind> = of
        .iter()
        .map(|o| &spec.operators[*o].kind)
        .filter(|k| match k {
            OpKind::Aggregate(_) | OpKind::CountWindow { .. } | OpKind::Join => true,
            OpKind::User(u) => u.is_keyed(),
            _ => false,
        })
        .collect();
    !matches!(stateful[..], [OpKind::Aggregate(_) | OpKind::Join])
}

/// Per key, the committed values must be values the reference emits for that key, each at most
/// as often as the reference does (in any order: [`keys_reordered`]). Losses are judged by
/// lineage elsewhere; this catches a wrong or invented value.
pub(super) fn reordered_values_in_reference(rows: &Rows, reference: &Reference, anomalies: &mut Vec<Finding>) {
    let mut left: BTreeMap<&Value, BTreeMap<Value, usize>> = BTreeMap::new();
    for (k, seq) in &reference.per_key {
        let m = left.entry(k).or_default();
        for v in seq.iter() {
            *m.entry(v).or_insert(0) += 1;
        }
    }
    let mut reported: BTreeSet<Value> = BTreeSet::new();
    for r in rows {
        let k = key_of(&r.value);
        let slot = left.get_mut(&k).and_then(|m| m.get_mut(&r.value));
        match slot {
            Some(n) if *n > 0 => *n -= 1,
            _ => {
                if reported.insert(k.clone()) {
                    anomalies.push(
                        Finding::new(
                            "state-ahead-behind",
                            format!(
                                "state ahead/behind: key {k} committed {} at t={} ms, which the reference does not emit \
                                 (that often) for the key (its values may come in any order: a rebalance after keyed \
                                 state)",
                                r.value, r.time_ms
                            ),
                        )
                        .at(r.time_ms)
                        .with("key", &k),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_of(text: &str) -> JobSpec {
        crate::scenario::load::to_spec(&crate::scenario::parse("t.toml", text).expect("valid scenario"), "t.toml")
    }

    const HEAD: &str = "name = \"t\"\nstop_at_ms = 1000\n[checkpoint]\ninterval_ms = 100\n\
        [[operators]]\nkind = \"log-source\"\nname = \"S\"\nparallelism = 2\n\
        [[operators]]\nkind = \"map\"\nname = \"P\"\nparallelism = 2\nfunction = \"to_pair_one\"\n\
        [[operators]]\nkind = \"key_by\"\n";
    const INPUT: &str = "[input]\npartitions = 2\nrecords = [ { at_ms = 1, partition = 0, value = \"a\" } ]\n";

    #[test]
    fn a_rebalance_after_keyed_state_into_several_sink_subtasks_loses_the_order() {
        let sum_then_sink = |sum_p: u32, sink_p: u32| {
            format!(
                "{HEAD}[[operators]]\nkind = \"sum\"\nname = \"Sum\"\nparallelism = {sum_p}\n\
                 [[operators]]\nkind = \"two-phase-commit-sink\"\nname = \"K\"\nparallelism = {sink_p}\n{INPUT}"
            )
        };
        assert!(!keys_reordered(&spec_of(&sum_then_sink(2, 2)), None), "forward keeps the order");
        assert!(!keys_reordered(&spec_of(&sum_then_sink(2, 1)), None), "one sink subtask: one channel per key");
        assert!(keys_reordered(&spec_of(&sum_then_sink(1, 2)), None), "rebalance into two sink subtasks");
        assert!(keys_reordered(&spec_of(&sum_then_sink(2, 3)), None), "rebalance into three sink subtasks");
    }

    /// A job of source (p=1 unless `src_p`), `between` (operators before `key_by`), keyed
    /// `keyed` at p=2, print sink; input `records` (partition, value).
    fn job(src_p: u32, between: &str, keyed: &str, records: &[(u32, &str)], tail: &str) -> JobSpec {
        let recs: Vec<String> = records
            .iter()
            .enumerate()
            .map(|(i, (p, v))| format!("{{ at_ms = {}, partition = {p}, value = \"{v}\" }}", 10 * (i + 1)))
            .collect();
        let parts = records.iter().map(|(p, _)| p + 1).max().unwrap_or(1);
        spec_of(&format!(
            "name = \"t\"\nstop_at_ms = 1000\n[checkpoint]\ninterval_ms = 100\n[[operators]]\n\
             kind = \"log-source\"\nname = \"S\"\nparallelism = {src_p}\n{between}\
             [[operators]]\nkind = \"key_by\"\n[[operators]]\n{keyed}\nname = \"K\"\nparallelism = 2\n\
             [[operators]]\nkind = \"print-sink\"\nname = \"P\"\nparallelism = 2\n\
             [input]\npartitions = {parts}\nrecords = [ {} ]\n{tail}",
            recs.join(", ")
        ))
    }

    /// Whether the reference is order-free (a key's records reach order-sensitive keyed state
    /// over several channels and differ in value) and whether even the final values depend on
    /// the order, for the linear fold and the graph fold alike: each row would read otherwise
    /// if `Arrivals` missed a fan-out (a false alarm) or flagged a job that keeps its order (a
    /// checker weakened for nothing).
    #[test]
    fn a_fan_out_before_order_sensitive_keyed_state_makes_the_reference_order_free() {
        let map = |p: u32| {
            format!("[[operators]]\nkind = \"map\"\nname = \"M\"\nparallelism = {p}\nfunction = \"parse_pair\"\n")
        };
        let rebalance = format!("[[operators]]\nkind = \"rebalance\"\n{}", map(2));
        let uneven = [(0, "a 8"), (0, "a 0"), (0, "a -1"), (0, "b 2")];
        let even = [(0, "a 2"), (0, "a 2"), (0, "b 5"), (0, "a 2")];
        let two_parts_uneven = [(0, "a 8"), (1, "a 0"), (0, "a 3")];
        let two_parts_apart = [(0, "a 8"), (1, "b 0"), (0, "a 3"), (1, "b 2")];
        let rescale =
            "[[actions]]\nat_ms = 300\nkind = \"stop-with-savepoint\"\n[[actions]]\nat_ms = 400\nkind = \"rescale\"\n\
                       from = \"savepoint\"\nparallelism = { M = 2 }\n";
        let (sum, max, count, window) =
            ("kind = \"sum\"", "kind = \"max\"", "kind = \"count\"", "kind = \"count_window\"\nsize = 2");
        let rows: Vec<(&str, JobSpec, bool, bool)> = vec![
            ("rebalance, sum of 8, 0, -1", job(1, &rebalance, sum, &uneven, ""), true, false),
            ("rebalance, sum of equal values", job(1, &rebalance, sum, &even, ""), false, false),
            ("rebalance, count of uneven values", job(1, &rebalance, count, &uneven, ""), false, false),
            ("rebalance, count window", job(1, &rebalance, window, &uneven, ""), true, true),
            ("p=1 source into p=3 map: a rebalance", job(1, &map(3), max, &uneven, ""), true, false),
            ("p=1 source, p=1 map: forward then hash", job(1, &map(1), sum, &uneven, ""), false, false),
            ("p=2 source, p=2 map: forward", job(2, &map(2), sum, &uneven, ""), false, false),
            ("one key's records in two partitions", job(2, &map(2), sum, &two_parts_uneven, ""), true, false),
            ("each key in one partition", job(2, &map(2), sum, &two_parts_apart, ""), false, false),
            ("a rescale's plan rebalances", job(1, &map(1), sum, &uneven, rescale), true, false),
        ];
        for (name, spec, order_free, final_too) in rows {
            for (fold, r) in
                [("line", crate::reference::compute(&spec)), ("graph", crate::check::graph::compute_graph(&spec, None))]
            {
                assert_eq!(r.order_free, order_free, "{name} ({fold} fold): order_free");
                assert_eq!(r.final_depends_on_order, final_too, "{name} ({fold} fold): final_depends_on_order");
                // The order-free rule waits for a key's inputs: the line keeps them when it needs them.
                assert_eq!(!r.key_inputs.is_empty(), order_free || fold == "graph", "{name} ({fold} fold): key_inputs");
            }
        }
    }
}
