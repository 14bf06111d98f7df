//! The `state` checker: the last value each key emitted never runs ahead of the reference fold, and equals it for inputs that were all delivered.

use super::*;
use crate::reference::KeySeq;

/// Keyed state: the last value each key emitted (by the latest attempt) never runs ahead of
/// the reference fold, and equals it for inputs that were all delivered.
pub fn state(spec: &JobSpec, run: &RunResult, reference: &Reference) -> Verdict {
    const NAME: &str = "state";
    // A user operator's list state: every restore hands it the checkpoint's entries.
    let mut list_anomalies = Vec::new();
    let lists = restored_lists(run, &mut list_anomalies);
    let list_note = |summary: String| {
        if lists == 0 {
            summary
        } else {
            format!("{summary}; {lists} list-state restores held their checkpoint's entries")
        }
    };
    // Every rescale: each restored key (keyed aggregates, a join's buffers) lands in the
    // subtask that owns its key group, whatever else this checker can judge.
    let mut placement = Vec::new();
    let placed = super::rescale_lineage::rescale_placement(&run.rescales, &mut placement);
    let placed_note = |summary: String| {
        if placed == 0 {
            summary
        } else {
            format!("{summary}; {placed} restored keys placed by key group")
        }
    };
    if (spec.event_window().is_some() || !keeps_keyed_state(spec)) && lists == 0 && placed > 0 {
        return Verdict::from(NAME, placement, placed_note("keyed state restored across a rescale".into()));
    }
    if spec.event_window().is_some() && lists == 0 {
        return Verdict::skip(NAME, WINDOWED);
    }
    if !keeps_keyed_state(spec) || spec.event_window().is_some() {
        if lists == 0 {
            return Verdict::skip(NAME, "no keyed state");
        }
        list_anomalies.extend(placement);
        return Verdict::from(
            NAME,
            list_anomalies,
            placed_note(format!("{lists} list-state restores held their checkpoint's entries")),
        );
    }
    if let Some(jr) = reference.joined.as_ref().filter(|j| j.exact_values) {
        let (mut anomalies, summary) = joined_state(spec, run, jr);
        anomalies.extend(placement);
        return Verdict::from(NAME, anomalies, placed_note(summary));
    }
    let (mut anomalies, summary) = keyed_values(spec, run, reference, placement);
    let summary = placed_note(summary);
    anomalies.extend(list_anomalies);
    Verdict::from(NAME, anomalies, list_note(summary))
}

/// Whether a `key_by` of the job feeds keyed state: an aggregate, a window, a join or a keyed
/// user operator. A `key_by` before non-keyed user operators only (operator list state, such as
/// `list_report`, whose outputs say what a restore handed it) partitions records and keeps no
/// keyed values for the reference fold to follow; their list state is judged on its own.
pub(super) fn keeps_keyed_state(spec: &JobSpec) -> bool {
    is_keyed(spec)
        && spec.operators.iter().any(|o| match &o.kind {
            OpKind::Aggregate(_) | OpKind::CountWindow { .. } | OpKind::EventWindow(_) => true,
            OpKind::Join | OpKind::EventJoin(_) => true,
            OpKind::User(u) => u.is_keyed(),
            // Listed, not `_`: a new operator kind must say whether it keeps keyed values.
            OpKind::SocketSource
            | OpKind::LogSource { .. }
            | OpKind::Map(_)
            | OpKind::FlatMap(_)
            | OpKind::Filter(_)
            | OpKind::Rebalance
            | OpKind::KeyBy
            | OpKind::PrintSink
            | OpKind::TwoPhaseCommitSink
            | OpKind::Union
            | OpKind::Connect(..)
            | OpKind::Broadcast => false,
            // Session 38: its keyed side keeps no keyed state; the broadcast state is operator
            // state, judged by the list-state rules (`restored_lists`, `list_rescale.rs`).
            // Session 39: `rules_count` keeps a per-key count beside it, but its rows' values
            // depend on how the two inputs interleave at each subtask (a rule clears a count), so
            // the per-key sequences are not followed either: the count is judged as a restored
            // part of the head's state (`Name#1[i]`, `restored_lists`) and placed by key group
            // across a rescale (`rescale_lineage::rescale_placement`).
            OpKind::BroadcastProcess { .. } => false,
        })
}

/// Keyed values (the state checker's main case): per key, each output value is one the
/// reference emits for that key, in the reference's order per attempt; a rescale's lineage and a
/// restored attempt's continuation hold. `placement`: the rescale placement findings, kept in
/// their place among the others.
fn keyed_values(
    spec: &JobSpec,
    run: &RunResult,
    reference: &Reference,
    placement: Vec<Finding>,
) -> (Vec<Finding>, String) {
    let rows: &Rows =
        if sink_kind(spec) == Some(&OpKind::TwoPhaseCommitSink) { &run.committed } else { &run.print_rows };
    let lost = lost_inputs(spec, run, rows);
    // At-least-once checkpoints (the barrier tracker never blocks) may hold the effect of a
    // record that is read again after a restore, so the state counts it twice (Flink's
    // AT_LEAST_ONCE): values may overshoot the reference. Only keys are checked then; losses
    // are the at-least-once checker's.
    let replays_may_double_count =
        spec.checkpoint.mode == ckptsim::config::CheckpointingMode::AtLeastOnce || reference.order_free;
    // A key spread over several sink subtasks (`order.rs`): its values arrive in no
    // predictable order, so each must be a reference value, with no order rule.
    let unordered = reference.key_split;
    let mut anomalies = Vec::new();
    // Per key, each output value must be a value the reference emits for that key, and per
    // attempt the sequence must follow the reference order (a restore may go back, never skip
    // or invent). With lost socket input the reference is recomputed without it.
    let recomputed;
    let reference = if lost.is_empty() {
        reference
    } else {
        recomputed = without_lost_lines(spec, reference, &lost);
        &*recomputed
    };
    let keys_seen =
        follow_keys(rows, reference, replays_may_double_count, unordered, reference.order_free, &mut anomalies);
    let two_pc = sink_kind(spec) == Some(&OpKind::TwoPhaseCommitSink);
    // A rescale's lineage holds under at-least-once checkpoints too: the new job starts from
    // the keyed state the savepoint or checkpoint held, whatever that counted twice, so a key's
    // first value in the new job is still the successor of its restored value (counts only
    // grow; a value past the reference's end is skipped as unknown). Not after a union or
    // two-input operator, whose per-key order is the interleaving's.
    let across = if reference.order_free || two_pc || unordered {
        0
    } else {
        super::rescale_lineage::rescale_lineage(
            &run.rescales,
            reference,
            rows,
            &run.completed_in_flight,
            &mut anomalies,
        )
    };
    anomalies.extend(placement);
    if !replays_may_double_count && !unordered {
        restored_continuation(run, reference, rows, &mut anomalies);
    }
    if reference.order_free && two_pc && spec.checkpoint.mode != ckptsim::config::CheckpointingMode::AtLeastOnce {
        // A union or two-input operator before keyed state: the order of a key's values is the
        // interleaving's, but the last committed one after all its inputs were committed is the
        // reference's (committed output is one consistent history). Printed output is not: a
        // restored attempt may still be catching up on one input when the run ends.
        super::graph::order_free_final_values(rows, reference, &mut anomalies);
    } else if reference.order_free && !two_pc {
        super::order_free_print::finished_print_final_values(spec, run, reference, rows, &mut anomalies);
    }
    let how = Judged { two_pc, replays_may_double_count, unordered, failed: !anomalies.is_empty() };
    let summary = keys_summary(reference, how, keys_seen);
    let summary = if across > 0 { format!("{summary}; {across} continued across a rescale") } else { summary };
    (anomalies, summary)
}

/// The reference recomputed without the lost inputs `lost` (socket lines, or log records a
/// `latest` source never read), folded once per set of lost inputs while the reference is
/// reused (a sweep's seeds; the explorer's states, `tools/explore/judge.rs`).
pub(crate) fn without_lost_lines(
    spec: &JobSpec,
    reference: &Reference,
    lost: &BTreeSet<u64>,
) -> std::sync::Arc<Reference> {
    let lost_lines: Vec<u64> = lost.iter().copied().collect();
    reference.without_lines.get_or_fold(&lost_lines, || {
        let mut s2 = spec.clone();
        match &mut s2.input {
            InputSpec::Lines(l) => {
                *l = l
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !lost.contains(&(*i as u64)))
                    .map(|(_, x)| x.clone())
                    .collect();
            }
            // A log's lost inputs: records appended before a `latest` source started
            // (`world/tasks.rs` `skip_before_latest`), never read.
            InputSpec::Log { records, .. } => {
                let kept: Vec<(u64, u32, String)> = records
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !lost.contains(&(*i as u64)))
                    .map(|(_, (at, p, v))| (at, p, v.into_owned()))
                    .collect();
                *records = crate::scenario::log_input::LogRecords::Listed(kept);
            }
        }
        crate::reference::compute(&s2)
    })
}

/// An event-time join's state is its buffered elements: what a restored join emits must be
/// rows of the reference (a row of pairs its restored buffers cannot hold, another key's
/// elements, a value that is not `left|right`, is named). Losses are the delivery checkers'.
fn joined_state(spec: &JobSpec, run: &RunResult, jr: &super::joins::JoinedRef) -> (Vec<Finding>, String) {
    let rows: &Rows =
        if sink_kind(spec) == Some(&OpKind::TwoPhaseCommitSink) { &run.committed } else { &run.print_rows };
    let counts = lineage_counts(rows);
    let mut anomalies = Vec::new();
    super::joins::joined_row_anomalies(jr, rows, &counts, |_| false, "emitted", &mut anomalies);
    let keys: BTreeSet<Value> = rows.iter().map(|r| key_of(&r.value)).collect();
    (anomalies, format!("{} joined rows of {} keys are rows of the reference", counts.len(), keys.len()))
}

/// How the keyed values were judged (for the summary).
#[derive(Clone, Copy)]
struct Judged {
    two_pc: bool,
    replays_may_double_count: bool,
    unordered: bool,
    failed: bool,
}

/// The summary of a keyed run: what was judged of its `keys_seen` keys.
fn keys_summary(reference: &Reference, how: Judged, keys_seen: usize) -> String {
    if reference.order_free && how.failed {
        format!("{keys_seen} keys")
    } else if reference.order_free && how.two_pc {
        format!(
            "{keys_seen} keys known to the reference; final values equal where every input was committed (inputs interleave)"
        )
    } else if reference.order_free {
        format!("{keys_seen} keys known to the reference (inputs interleave: printed values follow the run's order)")
    } else if how.replays_may_double_count {
        format!("{keys_seen} keys, all known to the reference (at-least-once: values may count replays twice)")
    } else if how.unordered {
        format!("{keys_seen} keys, every value the reference's (a rebalance after keyed state: in no fixed order)")
    } else {
        format!("{keys_seen} keys followed the reference fold")
    }
}

/// Inputs the run lost: its recorded lost inputs, and socket lines an ended attempt read but no
/// completed checkpoint covers and that left no output (the restored state never saw them
/// either).
fn lost_inputs(spec: &JobSpec, run: &RunResult, rows: &Rows) -> BTreeSet<u64> {
    let mut lost: BTreeSet<u64> = run.lost_inputs.iter().copied().collect();
    // Socket lines an ended attempt read but no completed checkpoint covers, and that left no
    // output: the restored state never saw them either (nor a `latest` record a restart skipped).
    let mut maybe_lost = super::socket_maybe_lost(run);
    // Log records a restart skipped by resolving `latest` again: the restarted state never saw
    // them, but an earlier attempt that printed their effects did.
    maybe_lost.extend(run.latest_skipped_on_restart.iter().copied());
    // Log records a 2.x group-offsets marker resolution skipped (`group_marker_skipped`): the
    // same, by the group's committed offset.
    maybe_lost.extend(super::group_marker_skipped(spec, run));
    if !maybe_lost.is_empty() {
        let printed: super::counts::InputSet = rows.iter().map(|r| r.lineage.input_seq).collect();
        lost.extend(maybe_lost.into_iter().filter(|s| !printed.contains(*s)));
    }
    lost
}

/// Follows every row through its key's reference sequence: each value must be one the
/// reference emits for the key and, per attempt, follow the reference order (a restore may
/// go back, never skip or invent). Returns the number of keys seen.
fn follow_keys(
    rows: &Rows,
    reference: &Reference,
    replays_may_double_count: bool,
    unordered: bool,
    order_free: bool,
    anomalies: &mut Vec<Finding>,
) -> usize {
    // Per key (by its index in the reference's key order): the first position of every value
    // in the reference sequence (what `seq.iter().position(..)` finds, without a scan per
    // output row). A row's key id comes from the per-key index (one search per distinct key
    // string of the run, session 40); the per-key bookkeeping below is indexed.
    let index = super::key_index::KeyIndex::new(rows, reference);
    let first_pos: Vec<(&KeySeq, FirstPositions)> =
        reference.per_key.values().map(|seq| (seq, FirstPositions::new(seq))).collect();
    // The last value per key, and per key and producing attempt: a new attempt's first value
    // is judged against the key's last value from any attempt (a restore may go back, never
    // skip), later values against the same attempt's own previous value. An attempt whose
    // TaskManager lost its JobManager keeps running until it notices (Flink's zombie window
    // between the JobManager's and the TaskManager's heartbeat timeouts); its print output
    // interleaves with the new attempt's and each follows its own lineage.
    // Kept with each last value: its first position in the key's reference sequence (what a
    // search for it finds when it is the previous value), found once when it was the output.
    // The key's last value is the newest attempt's: a row of an attempt older than one that
    // already emitted the key (a zombie still printing after its replacement started) follows
    // only its own lineage, so a later restore is not judged against the zombie's lagging value.
    // `last[i]`: the newest attempt that emitted key `i` and its last value's position.
    let mut last: Vec<Option<(ckptsim::Attempt, Option<usize>)>> = vec![None; first_pos.len()];
    let mut last_by_attempt: BTreeMap<(usize, ckptsim::TaskId, ckptsim::Attempt), Option<usize>> = BTreeMap::new();
    // Keys the reference never emits (each output of one is an anomaly), counted in the summary.
    let mut unknown_keys: BTreeSet<usize> = BTreeSet::new();
    for (r, i) in rows.iter().zip(index.ids(rows)) {
        let v = &r.value;
        let k = index.key(i);
        if i >= first_pos.len() {
            // A row that is not a `(key, n)` pair is its own key (`key_of`): a keyed user
            // operator's row such as `named_states`' `(k,count,sum,[..])`. When a key's records
            // reach it in an order the reference cannot fix (`order_free`), that row depends on
            // the order, so a row the reference's one order never emits is no unknown key
            // (session 41, the lead's sweep of the randomized campaign's `named-states` shape
            // under swarm: r203 --seed 9305 --swarm, the map's parallelism drawn to 3).
            if order_free && !matches!(v, Value::Pair(..)) {
                continue;
            }
            let text = format!("t={} key {k}: output {v} for a key the reference never emits", r.time_ms);
            anomalies.push(Finding::new("unknown-key", text).at(r.time_ms).with("key", k));
            unknown_keys.insert(i);
            continue;
        }
        let lineage = (i, r.task, r.attempt);
        let mut pos = None;
        if !replays_may_double_count {
            let (seq, positions) = &first_pos[i];
            let prev = last_by_attempt.get(&lineage).copied().or_else(|| last[i].map(|(_, p)| p)).flatten();
            // The latest position of the value no further than one past the previous one, else
            // its first position (a skip): a sequence may repeat a value (a running sum that
            // adds 0 or returns to an earlier total, a max that stays), and a repeated value is
            // ambiguous — the next update, or a restored attempt's replay of an earlier one. Of
            // the readings that skip nothing, the latest is kept, so neither reading is called
            // a lost update later (session 41: a replayed `(xaf,8)` taken for the next update
            // `xaf 0`, whose own `(xaf,8)` was then taken for a return to the first, and the
            // `(xaf,9)` after it for a skip).
            pos = match prev {
                Some(q) => positions.last_at_or_before(seq, v, q + 1).or_else(|| positions.get(seq, v)),
                None => positions.get(seq, v),
            };
            match (pos, prev) {
                (None, _) => {
                    let text = format!("t={} key {k}: value {v} not in the reference sequence {seq:?}", r.time_ms);
                    anomalies.push(Finding::new("value-not-in-reference", text).at(r.time_ms).with("key", k))
                }
                // No order rule for a key spread over several sink subtasks.
                _ if unordered => {}
                (Some(p), Some(q)) if p > q + 1 => anomalies.push(
                    Finding::new(
                        "lost-update",
                        format!(
                            "t={} key {k}: state skipped from {} to {v} (lost update: expected {})",
                            r.time_ms,
                            seq.at(q),
                            seq.at(q + 1)
                        ),
                    )
                    .at(r.time_ms)
                    .with("key", k),
                ),
                (Some(p), None) if p > 0 => anomalies.push(
                    Finding::new(
                        "wrong-first-output",
                        format!("t={} key {k}: first output {v} but reference starts at {}", r.time_ms, seq.at(0)),
                    )
                    .at(r.time_ms)
                    .with("key", k),
                ),
                _ => {}
            }
        }
        last_by_attempt.insert(lineage, pos);
        if last[i].is_none_or(|(a, _)| r.attempt >= a) {
            last[i] = Some((r.attempt, pos));
        }
    }
    last.iter().filter(|l| l.is_some()).count() + unknown_keys.len()
}

/// A user operator's operator list state is restored as checkpointed (semantics §13; Flink's
/// `OperatorStateBackend` hands `CheckpointedFunction.initializeState` the list the checkpoint
/// stored): after every restore the operator holds exactly the entries the checkpoint the
/// JobManager chose stores for that instance (after a rescale, its share of the old entries).
/// An operator that ignores the entries, or restores another checkpoint's (a copy it kept of
/// its last snapshot, say), is named. Returns the number of list-state restores judged.
fn restored_lists(run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    fn show(v: &[Value]) -> String {
        let head: Vec<String> = v.iter().take(4).map(|x| x.to_string()).collect();
        let more = if v.len() > 4 { format!(", … {} in all", v.len()) } else { String::new() };
        format!("[{}{more}]", head.join(", "))
    }
    for r in &run.restored_lists {
        if r.restored != r.stored {
            anomalies.push(
                Finding::new(
                    "list-state-not-restored",
                    format!(
                        "t={} {} attempt {}: list state restored as {} but checkpoint {} holds {} \
                         (list state not restored, or restored from another checkpoint)",
                        r.at_ms,
                        r.operator,
                        r.attempt,
                        show(&r.restored),
                        r.checkpoint.0,
                        show(&r.stored)
                    ),
                )
                .at(r.at_ms),
            );
        }
    }
    run.restored_lists.len().max(super::list_rescale::list_rescales(run, anomalies))
}

/// The first position of each value in a key's reference sequence, as the sequence's positions
/// sorted by (value, position): 4 bytes per value where a map from value to position cost ~30
/// (10^6 reference values were ~30 MB of the checking phase's heap).
struct FirstPositions(Vec<u32>);

impl FirstPositions {
    fn new(seq: &KeySeq) -> Self {
        let mut order: Vec<u32> = (0..seq.len() as u32).collect();
        // Stable: equal values keep position order, so the first of a run is the first position.
        order.sort_by(|a, b| seq.cmp_positions(*a as usize, *b as usize));
        FirstPositions(order)
    }

    /// The first position of `v` in `seq` (the sequence this was built from).
    fn get(&self, seq: &KeySeq, v: &Value) -> Option<usize> {
        if let (KeySeq::Pairs(key, ns), Value::Pair(k2, n)) = (seq, v) {
            // A pair of the sequence's key (the usual row): the key compared once, then only
            // the integers (`cmp_at` compared the key's text at every step of the search).
            if key != k2 {
                return None;
            }
            let k = self.0.partition_point(|&i| ns[i as usize] < *n);
            return self.0.get(k).map(|&i| i as usize).filter(|&i| ns[i] == *n);
        }
        let k = self.0.partition_point(|&i| seq.cmp_at(i as usize, v).is_lt());
        self.0.get(k).map(|&i| i as usize).filter(|&i| seq.is_at(i, v))
    }

    /// The last position of `v` in `seq` that is at most `bound`: the positions of one value
    /// are a run of the sorted order, in position order (the sort is stable).
    fn last_at_or_before(&self, seq: &KeySeq, v: &Value, bound: usize) -> Option<usize> {
        let run: &[u32] = if let (KeySeq::Pairs(key, ns), Value::Pair(k2, n)) = (seq, v) {
            if key != k2 {
                return None;
            }
            let from = self.0.partition_point(|&i| ns[i as usize] < *n);
            let to = self.0.partition_point(|&i| ns[i as usize] <= *n);
            &self.0[from..to]
        } else {
            let from = self.0.partition_point(|&i| seq.cmp_at(i as usize, v).is_lt());
            let to = self.0.partition_point(|&i| seq.cmp_at(i as usize, v).is_le());
            &self.0[from..to]
        };
        let k = run.partition_point(|&i| i as usize <= bound);
        k.checked_sub(1).map(|k| run[k] as usize)
    }
}

/// A restored attempt continues every key from the value its restored state holds: its first
/// output for the key comes after that value in the reference sequence, never at or before it
/// (which means the operator lost the state, did not restore it, or counted a replay twice).
/// Only rows that name their attempt are judged (print output; committed 2PC rows do not).
fn restored_continuation(run: &RunResult, reference: &Reference, rows: &Rows, anomalies: &mut Vec<Finding>) {
    if run.restored_keyed.is_empty() {
        return;
    }
    // Records a checkpoint held as in-flight channel state (unaligned, aligned with a timeout)
    // may sit after the keyed operator: restored into a later task, they show older values.
    let in_flight: BTreeSet<u64> = run.completed_in_flight.values().flatten().copied().collect();
    let mut seen: BTreeSet<(ckptsim::Attempt, Value)> = BTreeSet::new();
    for r in rows {
        let Some(restored) = run.restored_keyed.get(&r.attempt) else { continue };
        if in_flight.contains(&r.lineage.input_seq) {
            continue;
        }
        let k = key_of(&r.value);
        if !seen.insert((r.attempt, k.clone())) {
            continue;
        }
        let (Some(v), Some(seq)) = (restored.get(&k), reference.per_key.get(&k)) else { continue };
        // A state that is not an output value (an operator after the keyed one maps it) is not judged.
        let Some(from) = seq.position(v) else { continue };
        if let Some(p) = seq.rposition(&r.value) {
            if p <= from {
                // Named `wrong-first-output`: the attempt's first output for the key is wrong.
                anomalies.push(
                    Finding::new(
                        "wrong-first-output",
                        format!(
                            "t={} key {k}: attempt {} restored {v} but its first output {} is not after it \
                             (state lost or not restored)",
                            r.time_ms, r.attempt, r.value
                        ),
                    )
                    .at(r.time_ms)
                    .with("key", &k),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FirstPositions;
    use crate::reference::KeySeq;
    use ckptsim::record::Value;

    /// The sorted positions answer what `seq.iter().position(..)` answers, and the last position
    /// at most a bound what a linear search finds, repeats included, over values and over a
    /// key's pairs kept as integers.
    #[test]
    fn first_positions_equal_a_linear_search() {
        let ints = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
        let values: Vec<Value> = ints.iter().map(|x| Value::Int(*x)).collect();
        let pairs: Vec<Value> = ints.iter().map(|x| Value::Pair("a".into(), *x)).collect();
        for vec in [values, pairs] {
            let seq: KeySeq = vec.iter().cloned().collect();
            let f = FirstPositions::new(&seq);
            for x in 0..11 {
                for v in [Value::Int(x), Value::Pair("a".into(), x), Value::Pair("b".into(), x), Value::str("a")] {
                    assert_eq!(f.get(&seq, &v), vec.iter().position(|y| *y == v), "{v:?}");
                    for bound in 0..12 {
                        let linear = (0..vec.len()).rfind(|&i| i <= bound && vec[i] == v);
                        assert_eq!(f.last_at_or_before(&seq, &v, bound), linear, "{v:?} <= {bound}");
                    }
                }
            }
        }
    }
}
