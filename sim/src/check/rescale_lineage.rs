//! Per-key state lineage across rescales, part of the `state` checker: after a `rescale`, every key continues in the new job from the value the restored checkpoint held for it, whichever subtask now owns it.

use super::*;
use crate::world::RescaleRecord;

/// For every rescale that started a new job and every key whose reference sequence has
/// distinct values: the smallest reference position among the key's output rows produced by
/// the new job's attempts must be the successor of the key's restored value (the first
/// reference value when the checkpoint did not hold the key). A key that lost its state (or
/// got another key's) starts elsewhere; a key that moved to another subtask still continues.
///
/// The minimum, not the first row, so that a rebalance between the keyed operator and the sink
/// (rows of one key printed by several sink subtasks) cannot reorder it. Rows of inputs the
/// restored checkpoint holds as in-flight channel state (unaligned, `in_flight`) before the
/// successor are left out:
/// such a row may be an output the keyed operator emitted before its snapshot that the barrier
/// overtook on its way to the sink, replayed from the channel state to the new job's sink (Flink's
/// unaligned checkpoints), so it carries a value before the restored one; an in-flight row at or
/// after the successor (an input replayed to the keyed operator) still counts. Rows carry their
/// attempt only for print sinks; committed 2PC rows are the exactly-once checker's (per key a
/// prefix of the reference, across every job).
pub(super) fn rescale_lineage(
    rescales: &[RescaleRecord],
    reference: &Reference,
    rows: &Rows,
    in_flight: &BTreeMap<ckptsim::CheckpointId, BTreeSet<u64>>,
    anomalies: &mut Vec<Finding>,
) -> usize {
    let mut followed = 0;
    for r in rescales.iter().filter(|r| r.error.is_none()) {
        let restored: BTreeMap<&Value, (&Value, u32, u32)> = r
            .keys
            .values()
            .flatten()
            .filter(|(_, m)| m.kind == crate::world::KeyedKind::Aggregate)
            .map(|(k, m)| (k, (&m.value, m.old_subtask, m.new_subtask)))
            .collect();
        // Per key: every row of the new job with its reference position, and whether its input
        // is in the restored checkpoint's in-flight channel state.
        let mut seen: BTreeMap<Value, Vec<(usize, OutputRow, bool)>> = BTreeMap::new();
        let mut unknown: BTreeSet<Value> = BTreeSet::new();
        let replayed = in_flight.get(&r.checkpoint);
        for row in rows.iter().filter(|row| r.owns_attempt(row.attempt)) {
            let k = key_of(&row.value);
            let Some(pos) = reference.per_key.get(&k).and_then(|seq| seq.position(&row.value)) else {
                unknown.insert(k);
                continue;
            };
            let in_flight = replayed.is_some_and(|f| f.contains(&row.lineage.input_seq));
            seen.entry(k).or_default().push((pos, row, in_flight));
        }
        for (k, rows_of) in seen {
            let seq = &reference.per_key[&k];
            let distinct: BTreeSet<Value> = seq.iter().collect();
            if unknown.contains(&k) || distinct.len() != seq.len() {
                continue;
            }
            let (want, from) = match restored.get(&k) {
                None => (0, "the checkpoint did not hold it".to_string()),
                Some((v, a, b)) => match seq.position(v) {
                    Some(p) => (p + 1, format!("restored {v} (subtask {a} -> {b})")),
                    None => continue,
                },
            };
            // An in-flight row before the successor is an output the barrier overtook on its way
            // to the sink, replayed from channel state; the others must start at the successor.
            let Some((pos, row, _)) =
                rows_of.into_iter().filter(|(p, _, f)| !f || *p >= want).min_by_key(|(p, _, _)| *p)
            else {
                continue;
            };
            followed += 1;
            if pos != want {
                anomalies.push(
                    Finding::named(format!(
                        "t={} key {k}: after the rescale at {} ms from checkpoint {} the new job starts at {} \
                         ({from}; expected {})",
                        row.time_ms,
                        r.at_ms,
                        r.checkpoint,
                        row.value,
                        seq.get(want).map_or_else(|| "no further value".to_string(), |v| v.to_string()),
                    ))
                    .at(row.time_ms)
                    .with("key", &k),
                );
            }
        }
    }
    followed
}

/// Placement of keyed state across rescales, part of the `state` checker: every key the
/// restored checkpoint held (keyed aggregates and a join's buffers and timers) must be restored
/// into the new subtask whose key-group range holds its key group (Flink's
/// `StateAssignmentOperation`), the one its records are routed to. Returns the keys judged.
pub(super) fn rescale_placement(rescales: &[RescaleRecord], anomalies: &mut Vec<Finding>) -> usize {
    let mut judged = 0;
    for r in rescales.iter().filter(|r| r.error.is_none()) {
        for (op, keys) in &r.keys {
            for (k, m) in keys {
                judged += 1;
                if m.restored_subtask != Some(m.new_subtask) {
                    let what = match m.kind {
                        crate::world::KeyedKind::Aggregate => format!("state {}", m.value),
                        crate::world::KeyedKind::Join => format!("join buffers and timers ({} entries)", m.value),
                        crate::world::KeyedKind::Window => {
                            format!("window contents and timers ({} entries)", m.value)
                        }
                    };
                    let into = m.restored_subtask.map_or_else(|| "no subtask".to_string(), |s| format!("subtask {s}"));
                    let text = format!(
                        "t={} {op} key {k}: the rescale from checkpoint {} restored its {what} (old subtask {}) into \
                         {into}, but its key group belongs to subtask {}",
                        r.at_ms, r.checkpoint, m.old_subtask, m.new_subtask
                    );
                    anomalies.push(Finding::new("key-misplaced-by-rescale", text).at(r.at_ms).with("key", k));
                }
            }
        }
    }
    judged
}
