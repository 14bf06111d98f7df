//! Part of the `windows` checker (session 43): a keyed running aggregate (`sum`, `count`) after an event-time session window (`window(EventTimeSessionWindows).sum(1).keyBy(0).sum(1)`), judged against the session reference through the aggregate's per-key running results.
//!
//! The aggregate after the window keeps one accumulator per key and emits it after each session
//! result of that key, with the result's timestamp (the session's `maxTimestamp`) and lineage.
//! A key's session results come from one window subtask, in the order it fired them, over one
//! channel to the aggregate's one subtask of that key (Flink's `WindowOperator` fires a key's
//! event-time timers in timestamp order; `KeyGroupStreamPartitioner` sends a key to one
//! subtask). So one history of the aggregate's output for a key is a running fold: each row's
//! value is the previous row's value plus one session result (`sum`) or plus one (`count`).
//!
//! **Which rows form one history.** A two-phase-commit sink under exactly-once commits one
//! history, the surviving one: per key the committed rows in commit order, from an empty
//! accumulator. A print sink shows every attempt's rows: per (task, attempt, key) the printed rows
//! in order are one attempt's, from the accumulator that attempt restored (known, empty, only in
//! a run without restores). Both need the key's rows on one sink subtask: a `key_by` before the
//! sink, or the sink forward of the aggregate at the same parallelism in every job of the run;
//! otherwise only the first rule below is judged.
//!
//! **Judging**, with `sessions` the ideal sessions of `windows_session.rs`:
//! * `session-wrong-value`: a row whose timestamp lies in no ideal session of its key, or that
//!   names an input outside it; a row of a determined session at another timestamp than the
//!   session's end (split), or whose step from the previous row of its history (`sum`) is not the
//!   session's aggregate (contents lost or counted twice in a merge).
//! * `session-running-wrong`: a `count` row that is not one more than the previous row of its
//!   history; a key's determined sessions committed out of their end order; once the job FINISHED
//!   with every firing in the output, a key whose every session is determined whose last row is
//!   not the fold of all its sessions (a lost or extra step of the running aggregate).
//! * `session-fired-twice` (two-phase commit): a determined session's result stepped the
//!   committed history twice; `session-lost`: none stepped it (every firing in the output).
//!
//! Values are not judged under AT_LEAST_ONCE with restores (a snapshot may hold elements its
//! restore replays), with a two-phase-commit sink without checkpoints (every attempt's rows stay
//! committed), or after a resume from a checkpoint older than one a commit came from
//! (`stale_resume.rs`, `overtaken_restore.rs`: two histories committed); a drained stop is not
//! judged (the drained part of a session may be several sessions).

use super::Session;
use super::*;
use ckptsim::ids::{Attempt, TaskId};
use ckptsim::operator::Aggregate;

/// The keyed aggregate between a session window and the sink it feeds.
pub(super) struct AfterAggregate {
    /// The aggregate's operator index.
    pub(super) at: usize,
    /// The sink's operator index.
    pub(super) sink: usize,
    pub(super) agg: Aggregate,
}

/// The keyed aggregate on the path from the window at `window` to the one sink its results reach
/// (in a sink's view, `check/graph.rs` `session_sinks`), if one stands there.
pub(super) fn aggregate_after(spec: &JobSpec, window: usize) -> Option<AfterAggregate> {
    let ops = &spec.operators;
    let sink = (0..ops.len()).find(|s| {
        ops[*s].kind.is_sink() && spec.late_branch_of(*s).is_none() && spec.upstream_of(*s).contains(&window)
    })?;
    let up = spec.upstream_of(sink);
    let at = (0..ops.len()).find(|o| {
        up.contains(o) && spec.upstream_of(*o).contains(&window) && matches!(ops[*o].kind, OpKind::Aggregate(_))
    })?;
    let OpKind::Aggregate(agg) = ops[at].kind else { return None };
    Some(AfterAggregate { at, sink, agg })
}

/// [`judge`] when a keyed aggregate stands between the job's session window and its sink.
pub(super) fn judge_if_there(
    spec: &JobSpec,
    run: &RunResult,
    w: &ckptsim::window::EventWindowSpec,
    sessions: &BTreeMap<Value, Vec<Session>>,
) -> Option<Verdict> {
    let at =
        spec.operators.iter().position(|o| matches!(&o.kind, OpKind::EventWindow(w) if w.assigner.is_merging()))?;
    aggregate_after(spec, at).map(|a| judge(spec, run, w, &a, sessions))
}

/// Whether each key's rows reach one sink subtask in every job of the run: a `key_by` right
/// before the sink, or the sink at the aggregate's parallelism (a forward edge) throughout.
fn key_on_one_subtask(spec: &JobSpec, run: &RunResult, a: &AfterAggregate) -> bool {
    let before = spec.op_inputs(a.sink);
    if before.len() == 1 && matches!(spec.operators[before[0]].kind, OpKind::KeyBy) {
        return true;
    }
    let (agg, sink) = (&spec.operators[a.at], &spec.operators[a.sink]);
    agg.parallelism == sink.parallelism
        && run.rescales.iter().all(|r| {
            let new = |name: &str, old: u32| r.operators.get(name).map_or(old, |p| p.1);
            new(&agg.name, agg.parallelism) == new(&sink.name, sink.parallelism)
        })
}

/// One row read as a step of its history: the session result it adds (`None`: not known, the
/// first row of a history whose start is not known, or a `count`).
struct Step {
    row: OutputRow,
    key: Value,
    result: Option<i64>,
}

/// The rows as steps of their histories (see the module doc); `base_known`: every history starts
/// from an empty accumulator. A `count` row that is not one more than its predecessor is a
/// `session-running-wrong`.
fn steps(rows: &Rows, exact: bool, agg: Aggregate, base_known: bool, anomalies: &mut Vec<Finding>) -> Vec<Step> {
    let mut last: BTreeMap<(TaskId, Attempt, Value), i64> = BTreeMap::new();
    let mut out = Vec::new();
    for r in rows {
        let key = key_of(&r.value);
        let v = number(&r.value);
        let group =
            if exact { (TaskId::default(), Attempt::default(), key.clone()) } else { (r.task, r.attempt, key.clone()) };
        let prev = last.insert(group, v).or(base_known.then_some(0));
        let result = match (agg, prev) {
            (Aggregate::Sum, Some(p)) => Some(v.wrapping_sub(p)),
            (Aggregate::Count, Some(p)) if v != p.wrapping_add(1) => {
                anomalies.push(
                    Finding::new(
                        "session-running-wrong",
                        format!(
                            "session running count wrong: t={} key {key} row {} follows {p} in its history: a count \
                             steps by one per session result",
                            r.time_ms, r.value
                        ),
                    )
                    .at(r.time_ms)
                    .with("key", &key),
                );
                None
            }
            _ => None,
        };
        out.push(Step { row: r, key, result });
    }
    out
}

/// How the rows of one run are judged: (two-phase commit, values and histories judged, every
/// firing in the output).
type How = (bool, bool, bool);

/// Judges the rows of a sink behind a keyed aggregate after the session window (see the module
/// doc).
pub(super) fn judge(
    spec: &JobSpec,
    run: &RunResult,
    w: &ckptsim::window::EventWindowSpec,
    a: &AfterAggregate,
    sessions: &BTreeMap<Value, Vec<Session>>,
) -> Verdict {
    const NAME: &str = "windows";
    if !matches!(a.agg, Aggregate::Sum | Aggregate::Count) {
        return Verdict::skip(NAME, "a max or min after a session window (the loader admits sum and count only)");
    }
    if run.stops.iter().any(|s| s.drain) {
        return Verdict::skip(
            NAME,
            "a session window with a keyed aggregate after it, stopped with drain: the drained part of a session may \
             fire as several sessions",
        );
    }
    let exact = sink_kind(spec) == Some(&OpKind::TwoPhaseCommitSink);
    let rows: &Rows = if exact { &run.committed } else { &run.print_rows };
    let restores = run.restores.len() + run.rescales.len();
    let one_history = !exact
        || (super::super::no_checkpoint_sink(spec).is_none()
            && super::super::stale_resume::stale_resumes(spec, run).replays.is_empty()
            && super::super::overtaken_restore::overtaken_restarts(spec, run).replays.is_empty());
    let values = one_history && !(replays_uncovered(spec) && restores > 0) && key_on_one_subtask(spec, run, a);
    let finished = super::finished_all(spec, run, exact);
    let mut anomalies = Vec::new();
    let steps = if values { steps(rows, exact, a.agg, exact || restores == 0, &mut anomalies) } else { Vec::new() };
    let mut surely: BTreeMap<u64, bool> = BTreeMap::new();
    for s in sessions.values().flatten().filter(|s| s.determined && values) {
        s.elements.iter().for_each(|e| {
            surely.insert(e.input_seq, true);
        });
    }
    member_rows(rows, sessions, &mut anomalies);
    let judged = judge_steps(w.aggregate, &steps, sessions, (exact, values, finished), &mut anomalies);
    if values && finished {
        final_values(w.aggregate, a.agg, rows, sessions, &mut anomalies);
    }
    super::late_misjudged(spec, run, &surely, &mut anomalies);
    let total: usize = sessions.values().map(Vec::len).sum();
    let determined: usize = sessions.values().flatten().filter(|s| s.determined).count();
    let summary = format!(
        "{total} sessions ({determined} determined), {} results{} through the keyed {} `{}`; {}",
        rows.len(),
        if exact { " committed" } else { " printed" },
        a.agg.name(),
        spec.operators[a.at].name,
        if values {
            format!("{judged} steps of determined sessions judged")
        } else {
            "running values not judged (replays, several histories or a key on several sink subtasks)".to_owned()
        }
    );
    Verdict::from(NAME, anomalies, summary)
}

/// `session-wrong-value`: every row's timestamp in an ideal session of its key, naming an input
/// of it (whatever else is known: the aggregate keeps the result's timestamp and lineage).
fn member_rows(rows: &Rows, sessions: &BTreeMap<Value, Vec<Session>>, anomalies: &mut Vec<Finding>) {
    for r in rows {
        let key = key_of(&r.value);
        let why = match r.timestamp {
            None => Some("it carries no timestamp".to_owned()),
            Some(t) => super::session_holding(sessions, &key, t, r.lineage.input_seq).err(),
        };
        if let Some(why) = why {
            anomalies.push(
                Finding::new(
                    "session-wrong-value",
                    format!("session wrong value: t={} key {key} row {}: {why}", r.time_ms, r.value),
                )
                .at(r.time_ms)
                .with("key", &key),
            );
        }
    }
}

/// The steps of determined sessions (see the module doc); returns how many were judged.
fn judge_steps(
    window_agg: Aggregate,
    steps: &[Step],
    sessions: &BTreeMap<Value, Vec<Session>>,
    (exact, values, finished): How,
    anomalies: &mut Vec<Finding>,
) -> usize {
    if !values {
        return 0;
    }
    let mut hits: BTreeMap<(Value, i64), Vec<u64>> = BTreeMap::new();
    let mut last_end: BTreeMap<Value, i64> = BTreeMap::new();
    let mut judged = 0;
    for st in steps {
        let Some(t) = st.row.timestamp else { continue };
        let Some(s) = sessions.get(&st.key).and_then(|ss| ss.iter().find(|s| s.window.start <= t && t < s.window.end))
        else {
            continue;
        };
        if !s.determined {
            continue;
        }
        judged += 1;
        let end = s.window.max_timestamp();
        let want = session_value(window_agg, s);
        let why = if t != end {
            Some(format!("fired at ts {t} inside the session, which ends at {end}: the session was split"))
        } else if st.result.is_some_and(|v| v != want as i64) {
            Some(format!(
                "its step {} is not its {} elements' aggregate {want} (contents lost or counted twice in a merge)",
                st.result.unwrap_or(0),
                s.elements.len()
            ))
        } else {
            None
        };
        let (r, key) = (&st.row, &st.key);
        if let Some(why) = why {
            let text = format!(
                "session wrong value: t={} key {key} session {}: row {}, but {why}",
                r.time_ms, s.window, r.value
            );
            anomalies.push(Finding::new("session-wrong-value", text).at(r.time_ms).with("key", key));
        }
        if exact && last_end.insert(key.clone(), end).is_some_and(|e| e > end) {
            let text = format!(
                "session running order wrong: t={} key {key} session {} committed after a session of its key that ends \
                 later: a key's timers fire in timestamp order",
                r.time_ms, s.window
            );
            anomalies.push(Finding::new("session-running-wrong", text).at(r.time_ms).with("key", key));
        }
        hits.entry((key.clone(), s.window.start)).or_default().push(r.time_ms);
    }
    for (key, ss) in sessions {
        for s in ss.iter().filter(|s| s.determined) {
            let got = hits.get(&(key.clone(), s.window.start)).map(Vec::as_slice).unwrap_or(&[]);
            if exact && got.len() > 1 {
                let text = format!(
                    "session fired twice: t={} key {key} session {}: its result stepped the committed running \
                     aggregate {} times ({got:?} ms)",
                    got[1],
                    s.window,
                    got.len()
                );
                anomalies.push(Finding::new("session-fired-twice", text).at(got[1]).with("key", key));
            }
            if finished && got.is_empty() {
                let text = format!(
                    "session lost: key {key} session {} stepped no row of the running aggregate, though every firing \
                     is in the output",
                    s.window
                );
                anomalies.push(Finding::new("session-lost", text).with("key", key));
            }
        }
    }
    judged
}

/// A determined session's result: its elements' aggregate.
fn session_value(window_agg: Aggregate, s: &Session) -> i128 {
    let x = |e: &super::SessionElement| if window_agg == Aggregate::Count { 1 } else { e.number };
    super::aggregate(window_agg, s.elements.iter().map(x)).unwrap_or(0)
}

/// Once every firing is in the output: per key whose every session is determined, its last row
/// is the running aggregate over all its sessions.
fn final_values(
    window_agg: Aggregate,
    agg: Aggregate,
    rows: &Rows,
    sessions: &BTreeMap<Value, Vec<Session>>,
    anomalies: &mut Vec<Finding>,
) {
    let mut last: BTreeMap<Value, i64> = BTreeMap::new();
    for r in rows {
        last.insert(key_of(&r.value), number(&r.value));
    }
    for (key, ss) in sessions.iter().filter(|(_, ss)| ss.iter().all(|s| s.determined)) {
        let want = match agg {
            Aggregate::Count => ss.len() as i128,
            _ => ss
                .iter()
                .map(|s| session_value(window_agg, s))
                .fold(0i128, |a, b| i128::from((a as i64).wrapping_add(b as i64))),
        };
        let got = last.get(key).map(|n| i128::from(*n));
        if got != Some(want) {
            let text = format!(
                "session running value wrong: key {key}: its last row is {}, but the running {} over its {} sessions \
                 (each determined) is {want}",
                got.map_or("none".to_owned(), |g| g.to_string()),
                agg.name(),
                ss.len()
            );
            anomalies.push(Finding::new("session-running-wrong", text).with("key", key));
        }
    }
}
