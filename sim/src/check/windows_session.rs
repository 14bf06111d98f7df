//! Part of the `windows` checker (session 41): event-time session windows (`window = "session"`, Flink's `EventTimeSessionWindows` with `WindowOperator`'s merging branch) against a reference of each key's sessions.
//!
//! **Reference.** Every input is folded through the functions before the window (session 41: a
//! line `log-source → map/flat_map/filter/key_by/rebalance → session window → sink`; session
//! 42: behind unions of sources with their own watermark strategies or on a branch of a graph,
//! the fault-free fold of the graph, `windows_graph::arrivals`, each record's bound its own
//! source's; `validate_event_time.rs` `session_window_shape` says which shapes) and each element
//! gets its window `[ts, ts + gap)`. Per key, the *ideal sessions* are the covers of the runs of intersecting
//! element windows (`TimeWindow#mergeWindows`: touching windows merge) over every element.
//! Whatever arrives and whatever is late, every window the operator ever holds is a union of
//! element windows of one ideal session, so every result's timestamp (its window's
//! `maxTimestamp`) lies inside one ideal session of its key.
//!
//! Which windows fire depends on the order of arrival and on the watermark: a session fired or
//! cleaned up before its bridging element arrives never merges with it. The reference bounds the
//! watermark an element can meet at the window as the `windows` checker does (the largest
//! timestamp earlier in its partition, minus the out-of-orderness bound, minus 1; no bound with
//! idleness unless one channel carries everything, `windows_graph::idleness_harmless`;
//! `Long.MIN_VALUE` without watermarks). A session is *determined* when every element of it meets
//! a watermark below `start + gap − 1`, the smallest `maxTimestamp` any part of it can have: then
//! no part of it fires or is cleaned up before its last element arrived (the combined watermark
//! stays at or below each element's bound until that element is processed), in every attempt —
//! a restore starts the watermark at `Long.MIN_VALUE` again and replays a prefix. A determined
//! session fires once per attempt that reaches its end, at its `maxTimestamp`, with every element.
//!
//! **Judging.**
//! * `session-wrong-value`: a result whose timestamp lies in no ideal session of its key, or
//!   that names an input outside that session; a result of a determined session at another
//!   timestamp than its end (the session split) or with another value than its elements' aggregate
//!   (contents lost or counted twice in a merge).
//! * `session-fired-twice`: a two-phase-commit sink committed a determined session more than once.
//! * `session-lost`: every firing is in the output (`finished_all`: the job FINISHED at the end of
//!   its input) and a determined session has no result.
//! * `late-misjudged`: an element of a determined session went to the late side output.
//!
//! **Functions after the window** (session 42, `through_chain`): the sink's rows are judged per
//! timestamp through the chain (`windows_chain.rs`), a determined session as one window fired
//! once with every element, each other session as windows ending at its elements' ends that may
//! be late (unjudged timestamps); each sink the window feeds is judged in its own view
//! (`check/graph.rs` `session_sinks`). Not judged there: under AT_LEAST_ONCE with restores every
//! timestamp (a replayed part of a fired session fires at its own end, and a firing may be any
//! part of a session counted up to once more per restore), and a job stopped with drain (the
//! drained part of a session may be several sessions).
//!
//! Not judged, each for its reason: the sessions that are not determined (which of their parts
//! merge depends on the watermark's timing; the valve rule, `windows_valve.rs`, still judges each
//! of their firings and late elements against the task's combined watermark, and the restore rule
//! compares each restored merging window set with its checkpoint); under AT_LEAST_ONCE or with a
//! two-phase-commit sink without checkpoints, a session committed twice (a replay may fire it
//! again), and sums and counts beyond one more count of each element per restore; a
//! stop-with-savepoint with drain that did not end the job, and the values after any drained stop
//! (the sources' MAX_WATERMARK fires a session with the part the savepoint covers); integer keys
//! (a result does not name its key).

use super::*;
use ckptsim::operator::Aggregate;
use ckptsim::window::TimeWindow;

// The keyed running aggregate after a session window is judged from this module's sessions: a
// child, so the two share `Session` without an import cycle.
#[path = "windows_session_agg.rs"]
mod windows_session_agg;

/// One element of a session in the reference.
pub(super) struct SessionElement {
    pub(super) input_seq: u64,
    pub(super) number: i64,
    ts: i64,
    /// The highest watermark it can meet at the window (`i64::MAX`: unbounded).
    bound: i64,
}

/// One ideal session of a key: its cover and its elements.
pub(super) struct Session {
    pub(super) window: TimeWindow,
    pub(super) elements: Vec<SessionElement>,
    pub(super) determined: bool,
}

/// The elements per key, after the functions before the window, with their watermark bounds.
/// A line's input is fed as the tumbling windows' (`windows::feed_window`); session 42: behind
/// a union, with several sources or on a branch of a graph (beside another window), the records
/// that reach the window in the fault-free fold of the graph, each with its bound there
/// (`windows_graph::arrivals`: the minimum over the window's inputs is at most what the record's
/// own source emitted before it).
fn elements(spec: &JobSpec) -> Option<BTreeMap<Value, Vec<SessionElement>>> {
    let at =
        spec.operators.iter().position(|o| matches!(&o.kind, OpKind::EventWindow(w) if w.assigner.is_merging()))?;
    let up = spec.upstream_of(at);
    let mut by_key: BTreeMap<Value, Vec<SessionElement>> = BTreeMap::new();
    // `feed_window` reads the operators before the window in file order as its line.
    let line = up.iter().copied().eq(0..=at) && up.iter().all(|o| spec.op_inputs(*o).len() <= 1);
    if !line {
        for (r, lateness) in super::windows_graph::arrivals(spec, at)? {
            let bound = match lateness {
                super::windows_graph::Lateness::Never => i64::MIN,
                super::windows_graph::Lateness::AtMost(b) => b,
                super::windows_graph::Lateness::Unknown => i64::MAX,
            };
            let ts = r.timestamp?;
            by_key.entry(key_of(&r.value)).or_default().push(SessionElement {
                input_seq: r.lineage.input_seq,
                number: number(&r.value),
                ts,
                bound,
            });
        }
        return Some(by_key);
    }
    windows::feed_window(spec, "session-reference", |feed, seq, t, bound, cur| {
        // Without watermarks nothing is late; under idleness a partition may be left out of
        // the minimum, so the bound is unknown (unbounded); before its partition's first
        // timestamp no watermark has passed.
        let bound = match bound {
            _ if !feed.watermarked => i64::MIN,
            _ if feed.idle => i64::MAX,
            Some(b) => b,
            None => i64::MIN,
        };
        for r in cur {
            by_key.entry(key_of(&r.value)).or_default().push(SessionElement {
                input_seq: seq,
                number: number(&r.value),
                ts: r.timestamp.unwrap_or(t),
                bound,
            });
        }
    })?;
    Some(by_key)
}

/// The ideal sessions of one key's elements (see the module doc).
fn sessions(gap: i64, mut elems: Vec<SessionElement>) -> Vec<Session> {
    elems.sort_by_key(|e| (e.ts, e.input_seq));
    let mut out: Vec<Session> = Vec::new();
    for e in elems {
        let w = TimeWindow { start: e.ts, end: e.ts.saturating_add(gap) };
        match out.last_mut() {
            // TimeWindow#intersects with the cover so far (its start is at or before e.ts).
            Some(s) if w.start <= s.window.end => {
                s.window.end = s.window.end.max(w.end);
                s.elements.push(e);
            }
            _ => out.push(Session { window: w, elements: vec![e], determined: false }),
        }
    }
    for s in &mut out {
        let first_end = s.window.start.saturating_add(gap).saturating_sub(1);
        s.determined = s.elements.iter().all(|e| e.bound < first_end);
    }
    out
}

/// Inputs a source deployed as finished never read are in no session (session 42, rfrand42's
/// sweep: `r444 --seed 12279 --swarm`; `check::read_but_dormant`): dropped from `by_key`. A
/// print sink also shows the firings of attempts before the last restore, which may have read
/// some of them: with more than one restore such a run is not judged (`Err`, the reason).
fn drop_unread(
    spec: &JobSpec,
    run: &RunResult,
    by_key: &mut BTreeMap<Value, Vec<SessionElement>>,
) -> Result<(), &'static str> {
    let Some(read) = super::super::read_but_dormant(spec, run) else { return Ok(()) };
    if sink_kind(spec) != Some(&OpKind::TwoPhaseCommitSink) && run.restores.len() > 1 {
        return Err(
            "a source deployed as finished left inputs unread, and a print sink shows the firings of attempts \
                    before the last restore, which may have read them",
        );
    }
    by_key.values_mut().for_each(|es| es.retain(|e| read.contains(e.input_seq)));
    by_key.retain(|_, es| !es.is_empty());
    Ok(())
}

/// The session of `key` whose window holds timestamp `t` and whose elements include input
/// `input_seq` (a result keeps its window's timestamp and its elements' lineage), or why a row
/// there is a `session-wrong-value` (served to the aggregate's judge too).
fn session_holding<'s>(
    sessions: &'s BTreeMap<Value, Vec<Session>>,
    key: &Value,
    t: i64,
    input_seq: u64,
) -> Result<&'s Session, String> {
    let found = sessions.get(key).and_then(|ss| ss.iter().find(|s| s.window.start <= t && t < s.window.end));
    match found {
        None => Err(format!("no session of its key holds its timestamp {t}")),
        Some(s) if !s.elements.iter().any(|e| e.input_seq == input_seq) => {
            Err(format!("it names input #{input_seq} which is not in session {}", s.window))
        }
        Some(s) => Ok(s),
    }
}

/// Judges a job whose window is a session window (see the module doc).
pub(super) fn judge(spec: &JobSpec, run: &RunResult, w: &ckptsim::window::EventWindowSpec) -> Verdict {
    const NAME: &str = "windows";
    let Some(mut by_key) = elements(spec) else {
        return Verdict::skip(NAME, "no timestamped log input to compute the sessions from");
    };
    if let Err(why) = drop_unread(spec, run, &mut by_key) {
        return Verdict::skip(NAME, why);
    }
    if by_key.keys().any(|k| !matches!(k, Value::Str(_))) {
        return Verdict::skip(NAME, "integer keys: window results do not name their key");
    }
    let stop = super::super::finished_by_stop(run);
    if run.stops.iter().any(|s| s.drain && stop.is_none_or(|f| f.at_ms != s.at_ms)) {
        return Verdict::skip(
            NAME,
            "a stop-with-savepoint with drain that did not end the job: its sessions fired with part of their \
             elements before the stop failed",
        );
    }
    let gap = w.assigner.element_window_ms() as i64;
    let sessions: BTreeMap<Value, Vec<Session>> = by_key.into_iter().map(|(k, e)| (k, sessions(gap, e))).collect();
    // Session 43: a keyed running aggregate between the window and the sink
    // (`windows_session_agg.rs`).
    if let Some(v) = windows_session_agg::judge_if_there(spec, run, w, &sessions) {
        return v;
    }
    // Session 42: functions between the window and the sink.
    let chain = match super::windows_chain::chain(spec) {
        Ok(c) => c,
        Err(why) => return Verdict::skip(NAME, why),
    };
    if !chain.is_empty() {
        return through_chain(spec, run, w, &chain, &sessions);
    }
    let exact = sink_kind(spec) == Some(&OpKind::TwoPhaseCommitSink);
    let rows: &Rows = if exact { &run.committed } else { &run.print_rows };
    let values_judged = !run.stops.iter().any(|s| s.drain);
    // AT_LEAST_ONCE (or a 2PC sink without checkpoints): each restore may count an element once
    // more (the `windows` checker's `extra_counts`); no restore, no replay.
    let extra = if replays_uncovered(spec) { Some(run.restores.len() as i128) } else { None };
    let mut anomalies = Vec::new();
    // Results per (key, session start), in output order.
    let mut fired: BTreeMap<(Value, i64), Vec<OutputRow>> = BTreeMap::new();
    for r in rows {
        let Some(t) = r.timestamp else {
            anomalies.push(
                Finding::new(
                    "session-wrong-value",
                    format!("session wrong value: t={} result {} carries no timestamp", r.time_ms, r.value),
                )
                .at(r.time_ms),
            );
            continue;
        };
        let key = key_of(&r.value);
        let s = match session_holding(&sessions, &key, t, r.lineage.input_seq) {
            Ok(s) => s,
            Err(why) => {
                anomalies.push(
                    Finding::new(
                        "session-wrong-value",
                        format!("session wrong value: t={} key {key} result {} at ts {t}: {why}", r.time_ms, r.value),
                    )
                    .at(r.time_ms)
                    .with("key", &key),
                );
                continue;
            }
        };
        let start = s.window.start;
        fired.entry((key, start)).or_default().push(r);
    }
    // Every firing in the output: the job FINISHED by the end of its input (not by a stop, whose
    // savepoint covers part of the input only; a drained stop fires partial sessions).
    let finished = super::finished_all(spec, run, exact);
    let (mut determined, mut judged_rows) = (0usize, 0usize);
    let mut surely: BTreeMap<u64, bool> = BTreeMap::new();
    for (key, ss) in &sessions {
        for s in ss.iter().filter(|s| s.determined) {
            determined += 1;
            s.elements.iter().for_each(|e| {
                surely.insert(e.input_seq, true);
            });
            let got = fired.get(&(key.clone(), s.window.start)).map(Vec::as_slice).unwrap_or(&[]);
            judged_rows += got.len();
            judge_session(w.aggregate, key, s, got, (exact, values_judged, extra, finished), &mut anomalies);
        }
    }
    super::late_misjudged(spec, run, &surely, &mut anomalies);
    let total: usize = sessions.values().map(Vec::len).sum();
    let summary = format!(
        "{total} sessions ({determined} determined), {} results{}, {judged_rows} of them of determined sessions",
        rows.len(),
        if exact { " committed" } else { " printed" }
    );
    Verdict::from(NAME, anomalies, summary)
}

/// One determined session `s` against its results `got`; `how` = (exact sink, values judged,
/// replays that may count an element again (`Some(restores)`), every firing in the output).
fn judge_session(
    agg: Aggregate,
    key: &Value,
    s: &Session,
    got: &[OutputRow],
    (exact, values_judged, extra, finished): (bool, bool, Option<i128>, bool),
    anomalies: &mut Vec<Finding>,
) {
    let end = s.window.max_timestamp();
    let x = |e: &SessionElement| if agg == Aggregate::Count { 1 } else { e.number };
    let want = super::aggregate(agg, s.elements.iter().map(x)).unwrap_or(0);
    // Sums and counts may overshoot by `extra` replays of each element (max and min do not move).
    let (low, high) = match (agg, extra) {
        (Aggregate::Sum | Aggregate::Count, Some(n)) => {
            let neg: i128 = s.elements.iter().map(|e| i128::from(x(e))).filter(|v| *v < 0).sum();
            let pos: i128 = s.elements.iter().map(|e| i128::from(x(e))).filter(|v| *v > 0).sum();
            (want + n * neg, want + n * pos)
        }
        _ => (want, want),
    };
    for r in got {
        let value = i128::from(number(&r.value));
        let why = if r.timestamp != Some(end) {
            Some(format!(
                "fired at ts {} inside the session, which ends at {end}: the session was split",
                r.timestamp.unwrap_or(i64::MIN)
            ))
        } else if values_judged && (value < low || value > high) {
            let range = if low == high { String::new() } else { format!(" ({low}..={high} with replays)") };
            Some(format!(
                "its {} elements give {want}{range} (contents lost or counted twice in a merge)",
                s.elements.len()
            ))
        } else {
            None
        };
        if let Some(why) = why {
            anomalies.push(
                Finding::new(
                    "session-wrong-value",
                    format!(
                        "session wrong value: t={} key {key} session {}: result {}, but {why}",
                        r.time_ms, s.window, r.value
                    ),
                )
                .at(r.time_ms)
                .with("key", key),
            );
            return;
        }
    }
    if exact && values_judged && extra.is_none() && got.len() > 1 {
        let times: Vec<u64> = got.iter().map(|r| r.time_ms).collect();
        anomalies.push(
            Finding::new(
                "session-fired-twice",
                format!(
                    "session fired twice: t={} key {key} session {}: {} firings committed at {times:?} ms, Flink fires \
                     a session whose every element meets a watermark below its first end once",
                    times[1],
                    s.window,
                    got.len()
                ),
            )
            .at(times[1])
            .with("key", key),
        );
    }
    if finished && got.is_empty() {
        let inputs: Vec<u64> = s.elements.iter().map(|e| e.input_seq).collect();
        anomalies.push(
            Finding::new(
                "session-lost",
                format!(
                    "session lost: key {key} session {} (inputs {inputs:?}, every one surely on time) has no result, \
                     though every firing is in the output",
                    s.window
                ),
            )
            .with("key", key),
        );
    }
}

/// Session 42: a session window whose results pass functions before the sink
/// (`windows_chain.rs`). The sessions become a window reference the chain judgment reads per
/// timestamp: a determined session is one window, its cover, fired once with every element (no
/// element of another session can touch its cover, so with allowed lateness too); each element
/// of a session that is not determined stands for a window ending where that element's window
/// ends, an element that may be late, so every timestamp a part of that session can fire at (a
/// merged window's end is one of its elements' ends) is left unjudged. Under AT_LEAST_ONCE with
/// restores every session counts as not determined (a replayed part of a fired session fires at
/// its own end), and after a stop with drain nothing is judged (the drained part of a session
/// may be a run of separate sessions).
fn through_chain(
    spec: &JobSpec,
    run: &RunResult,
    w: &ckptsim::window::EventWindowSpec,
    chain: &[ckptsim::operator::OperatorKind],
    sessions: &BTreeMap<Value, Vec<Session>>,
) -> Verdict {
    const NAME: &str = "windows";
    if run.stops.iter().any(|s| s.drain) {
        return Verdict::skip(
            NAME,
            "a session window with functions after it, stopped with drain: the drained part of a session may fire as \
             several sessions",
        );
    }
    let exact = sink_kind(spec) == Some(&OpKind::TwoPhaseCommitSink);
    let rows: &Rows = if exact { &run.committed } else { &run.print_rows };
    let restores = run.restores.len() + run.rescales.len();
    let at_least_once = replays_uncovered(spec) && restores > 0;
    let read = super::stop_read(spec, run);
    let mode = match (&read, at_least_once) {
        (_, true) => super::windows_chain::Mode::AtLeastOnce { restores, drained: None },
        (Some(covered), false) => super::windows_chain::Mode::Stop { covered, drain: false },
        (None, false) => super::windows_chain::Mode::Exact,
    };
    let gap = w.assigner.element_window_ms() as i64;
    let mut reference: WindowRef = BTreeMap::new();
    let mut surely: BTreeMap<u64, bool> = BTreeMap::new();
    for (key, ss) in sessions {
        for s in ss {
            let determined = s.determined && !at_least_once;
            let element = |e: &SessionElement| Element {
                input_seq: e.input_seq,
                number: e.number,
                on_time: determined,
                before_end: determined,
            };
            if determined {
                reference.insert((key.clone(), s.window), s.elements.iter().map(element).collect());
                s.elements.iter().for_each(|e| {
                    surely.insert(e.input_seq, true);
                });
            } else {
                for e in &s.elements {
                    let win = TimeWindow { start: e.ts, end: e.ts.saturating_add(gap) };
                    reference.entry((key.clone(), win)).or_default().push(element(e));
                }
            }
        }
    }
    // A determined session fires once with every element, allowed lateness or not.
    let once = ckptsim::window::EventWindowSpec { allowed_lateness_ms: 0, ..*w };
    let mut anomalies = Vec::new();
    let finished = super::finished_all(spec, run, exact);
    let c = super::windows_chain::judge(&once, chain, &reference, rows, exact, finished, &mode, &mut anomalies);
    super::late_misjudged(spec, run, &surely, &mut anomalies);
    let total: usize = sessions.values().map(Vec::len).sum();
    let determined: usize = sessions.values().flatten().filter(|s| s.determined && !at_least_once).count();
    let summary = format!(
        "{total} sessions ({determined} determined), {} results{} through {} function(s){}; {} timestamps judged, \
         {} not (a session that is not determined ends there)",
        rows.len(),
        if exact { " committed" } else { " printed" },
        chain.len(),
        match mode {
            super::windows_chain::Mode::Exact => "",
            super::windows_chain::Mode::Stop { .. } => ", ended by stop-with-savepoint",
            super::windows_chain::Mode::AtLeastOnce { .. } => ", at-least-once with restores",
        },
        c.judged,
        c.unjudged
    );
    Verdict::from(NAME, anomalies, summary)
}
