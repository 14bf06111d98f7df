//! Whether a key's outputs keep their order on the way to a sink: a rebalance or broadcast after keyed state spreads one key over several sink subtasks.
//!
//! A keyed operator emits each key's values in one subtask, in order. On the way to the sink,
//! a forward or hash edge keeps that order (one channel carries the key). A rebalance (Flink's
//! default between operators of different parallelism: `RebalancePartitioner`) or a broadcast
//! into a vertex of parallelism above one hands consecutive values of a key to different
//! subtasks, and the sink then commits them in an order no reference can predict (each subtask
//! commits its own transactions; a later merge interleaves channels). The values are still the
//! reference's values, each once: only their order is lost.

use super::*;
use crate::world::graph::{EdgeKind, Graph};

/// Whether some path from keyed state to the sink (`only_sink`, or any sink) goes through a
/// rebalance or broadcast into a vertex of parallelism above one.
pub fn keys_reordered(spec: &JobSpec, only_sink: Option<usize>) -> bool {
    let g = Graph::build(spec);
    let n = g.vertices.len();
    // keyed[v]: v is entered by a hash edge or lies downstream of such a vertex.
    // split[v]: a key's values reach v over more than one channel, in no fixed order.
    let mut keyed = vec![false; n];
    let mut split = vec![false; n];
    // A fixed point over the (acyclic) vertex graph: at most n rounds.
    for _ in 0..n {
        let mut changed = false;
        for v in 0..n {
            for &(u, kind) in &g.in_edges[v] {
                let k = kind == EdgeKind::Hash || keyed[u];
                let fan_out =
                    matches!(kind, EdgeKind::Rebalance | EdgeKind::Broadcast) && g.vertices[v].parallelism > 1;
                let s = split[u] || (keyed[u] && fan_out);
                if k && !keyed[v] {
                    keyed[v] = true;
                    changed = true;
                }
                if s && !split[v] {
                    split[v] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let is_sink_vertex = |v: usize| {
        g.vertices[v].ops.iter().any(|&o| match only_sink {
            Some(s) => o == s,
            None => spec.operators[o].kind.is_sink(),
        })
    };
    (0..n).any(|v| split[v] && is_sink_vertex(v))
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
}
