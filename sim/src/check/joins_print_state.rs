//! A print sink's values behind a late-fed join's keyed aggregate (issue 17 item (c), session 37): each printed running value must be one some attempt's fold of the aggregate produces (`late-join-print-state`, the `state` checker).
//!
//! Flink's `StreamGroupedReduceOperator` keeps the key's last result in checkpointed `ValueState`
//! and emits every new result; the print sink prints each as it comes. On a restore the
//! aggregate starts from the value its restored checkpoint holds for the key and folds the rows
//! the join emits again, so a print sink shows at-least-once duplicates, but no value outside
//! some attempt's fold. Session 35 judged these values on a two-phase-commit sink only
//! (`late-join-state`: the committed values in commit order); a print sink's rows were followed
//! by lineage alone. Here, per attempt of the aggregate's task and key, in print order:
//!
//! * the first value folds the row (by its lineage, through the functions before the aggregate,
//!   `Outputs::at_aggregate`) into the value the attempt's restored checkpoint holds for the key
//!   (`RunResult::restored_keyed`; nothing without a restore), every later one into the value
//!   before it; through the maps after the aggregate that is the printed value. A restored sum
//!   that starts empty (`aggregate-state-not-restored`) prints values no fold gives.
//! * the restored value is one the aggregate produced for the key before (the aggregate emits
//!   each value before its barrier, and the print sink behind it prints it before its own
//!   snapshot), or the checkpoint holds nothing for the key.
//!
//! Judged when a key's values reach the sink in the aggregate's order on one subtask: the
//! aggregate, the maps after it and the sink of one parallelism, no rescale, and the aggregate
//! the job's last keyed operator (the one `restored_keyed` records). Either checkpointing mode:
//! the rule reads what the checkpoint holds, not what the join's cut holds. Linear in the rows.

use super::*;
use ckptsim::operator::key_of;
use ckptsim::operator::{Aggregate, Operator, OperatorKind, SurvivingCounters};
use ckptsim::record::Record;
use ckptsim::{Attempt, TaskId};

/// The `state` verdict of the print sink's rows `rows` behind the keyed aggregate `agg`
/// (`function`, then the maps `post`) behind the join named `jname`; `at_aggregate`: per
/// lineage, the joined row as it reaches the aggregate.
pub(super) fn judge(
    spec: &JobSpec,
    run: &RunResult,
    rows: &Rows,
    at_aggregate: &BTreeMap<(u64, u32), Record>,
    (agg, function, post): (usize, Aggregate, Vec<OperatorKind>),
    jname: &str,
) -> Verdict {
    let last_keyed = spec
        .operators
        .iter()
        .rposition(|o| matches!(o.kind, OpKind::Aggregate(_) | OpKind::CountWindow { .. } | OpKind::User(_)));
    if last_keyed != Some(agg) {
        return Verdict::skip(
            "state",
            "join after a late side output: printed keyed values not judged (a keyed operator after the aggregate)",
        );
    }
    let mut aggregate = Operator::new(OperatorKind::KeyedAggregate(function), vec![]);
    let mut chain: Vec<Operator> = post.into_iter().map(|k| Operator::new(k, vec![])).collect();
    let mut counters = SurvivingCounters::default();
    // Per (task, attempt, key) the aggregate's value (None: empty; absent: not yet printed
    // there); keys whose printed value no fold gave are left for the rest of the attempt.
    let mut current: BTreeMap<(TaskId, Attempt, Value), Option<Value>> = BTreeMap::new();
    let mut left: BTreeSet<(TaskId, Attempt, Value)> = BTreeSet::new();
    // Per key, every value the replayed fold produced so far.
    let mut produced: BTreeMap<Value, BTreeSet<Value>> = BTreeMap::new();
    let (mut anomalies, mut judged, mut restored) = (Vec::new(), 0usize, 0usize);
    let name = &spec.operators[agg].name;
    for r in rows.iter() {
        let Some(rec) = at_aggregate.get(&(r.lineage.input_seq, r.lineage.sub)) else { continue };
        let key = key_of(&rec.value);
        let at = (r.task, r.attempt, key.clone());
        if left.contains(&at) {
            continue;
        }
        let prior = match current.get(&at) {
            Some(v) => v.clone(),
            None => {
                let start = run.restored_keyed.get(&r.attempt).and_then(|m| m.get(&key)).cloned();
                if let Some(s) = &start {
                    restored += 1;
                    if !produced.get(&key).is_some_and(|p| p.contains(s)) {
                        anomalies.push(finding(&r, format!(
                            "the checkpoint task {} (attempt {}) restored holds {s} for key {key} of `{name}`, which no \
                             attempt's fold produced before: the aggregate's snapshot holds a value it never emitted",
                            r.task.0, r.attempt.0
                        )));
                    }
                }
                start
            }
        };
        let state: BTreeMap<Value, Value> = prior.map(|v| (key.clone(), v)).into_iter().collect();
        aggregate.restore(&ckptsim::state::OperatorState::Keyed(state));
        let (folded, _) =
            super::records_through(std::iter::once(&mut aggregate), &mut counters, vec![rec.clone()], "print-replay");
        let Some(value) = folded.first().map(|x| x.value.clone()) else { continue };
        let (want, _) = super::records_through(chain.iter_mut(), &mut counters, folded, "print-replay");
        judged += 1;
        if want.iter().any(|x| x.value == r.value) {
            produced.entry(key).or_default().insert(value.clone());
            current.insert(at, Some(value));
            continue;
        }
        let want = want.first().map_or_else(|| "nothing".to_owned(), |x| x.value.to_string());
        anomalies.push(finding(
            &r,
            format!(
            "task {} (attempt {}) printed {} for input #{} (sub {}) behind `{name}`, but the aggregate folded from \
             the value its restored checkpoint holds for the key and the values this attempt printed before gives \
             {want}: the keyed state behind the join lost or double-counted an element",
            r.task.0, r.attempt.0, r.value, r.lineage.input_seq, r.lineage.sub
        ),
        ));
        left.insert(at);
    }
    let summary = format!(
        "join `{jname}` then `{name}`: {judged} printed keyed values replay the aggregate per attempt ({restored} keys \
         folded from a restored checkpoint's value)"
    );
    Verdict::from("state", anomalies, summary)
}

/// A `late-join-print-state` finding at row `r`.
fn finding(r: &crate::world::OutputRow, what: String) -> Finding {
    Finding::new("late-join-print-state", format!("late join print state: t={} {what}", r.time_ms))
        .at(r.time_ms)
        .with("input", r.lineage.input_seq)
}
