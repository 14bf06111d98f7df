//! The `exactly-once` checker: every expected input's effect is committed exactly once by the sink, none lost, none duplicated.

use super::excused_replay::ExcusedReplays;
use super::graph::order_free_final_values;
use super::overtaken_restore::overtaken_restarts;
use super::stale_resume::stale_resumes;
use super::*;
use crate::reference::KeySeq;
use crate::world::SinkAnomaly;
use ckptsim::sink::{NoCheckpointing, StoreAnomaly};

/// Exactly-once output of the 2PC sink: every expected output committed exactly once, nothing
/// else, and per key the committed values equal the reference sequence.
pub fn exactly_once(spec: &JobSpec, run: &RunResult, reference: &Reference) -> Verdict {
    const NAME: &str = "exactly-once";
    if spec.event_window().is_some() {
        return Verdict::skip(NAME, WINDOWED);
    }
    if let Some(u) = spec.operators.iter().find_map(|o| o.user_writer.as_ref()) {
        return at_least_once_user_sink(NAME, u.name(), run);
    }
    if sink_kind(spec) != Some(&OpKind::TwoPhaseCommitSink) {
        return Verdict::skip(NAME, "no two-phase-commit sink");
    }
    if !replayable(spec) {
        return Verdict::skip(NAME, "non-replayable source: exactly-once output is not promised");
    }
    // A new job resumed from a checkpoint older than one the ended job completed: Flink commits
    // the replayed records again and its recovery aborts a committed transaction
    // (`stale_resume.rs`); named in the summary, everything else judged as before.
    let stale = stale_resumes(spec, run);
    // A flink-1.11 restart from a savepoint a newer checkpoint overtook, the store's last added:
    // its recovery aborts a transaction a newer notification committed and the replay commits
    // inputs again, Flink 1.11's own (`overtaken_restore.rs`); named, not judged.
    let overtaken = overtaken_restarts(spec, run);
    // Without checkpointing, 2.x's sink commits its transactions at end of input
    // (`CommitterOperator#endInput`), outside any checkpoint: a restart from a manual
    // checkpoint or savepoint taken before that (e.g. a drain's stop-with-savepoint whose
    // savepoint a TaskManager loss aborted after `endInput` committed) recovers the
    // transaction that checkpoint held as open and aborts it, although end of input committed
    // it. Flink promises no exactly-once output there (see `super::no_checkpoint_sink`).
    let commits_at_end = super::no_checkpoint_sink(spec) == Some(NoCheckpointing::CommitAtEndOfInput);
    let (mut anomalies, excused) = sink_anomalies(run, (&stale, &overtaken), commits_at_end);
    let counts = lineage_counts(&run.committed);
    // Without checkpointing the sink keeps no exactly-once promise across restarts: Flink 1.11's
    // Kafka producer writes with `Semantic.NONE` (no transactions), 2.x's Sink V2 commits every
    // transaction at end of input (`CommitterOperator#endInput`). A restart (from no checkpoint,
    // or from a savepoint) replays its input and the replayed records are written again (1.11),
    // or committed again by an attempt that reaches end of input again after one whose commit
    // already happened (2.x: e.g. its FINISHED update lost, then the deployment reconciliation
    // fails the execution): a duplicate whose copies come from different attempts is Flink's
    // behaviour, named in the summary. Two copies from one attempt are still an anomaly (no
    // replay explains them).
    let no_checkpoint_mode = super::no_checkpoint_sink(spec);
    let none_semantic = no_checkpoint_mode.is_some();
    let epochs = none_semantic.then(|| attempt_starts(run));
    let mut again = Replays::default();
    let replayed =
        duplicates(run, reference, &counts, epochs.as_deref(), (&stale, &overtaken, &mut again), &mut anomalies);
    // Lost commits only at a healthy end: RUNNING, no task dead unbeknownst to the JobManager
    // (swarm 10883 of regressions/group-marker-skips-uncommitted-records; see the helper).
    let healthy_end = run.final_status == JobStatus::Running && !unreconciled_final_loss(run);
    if healthy_end {
        lost_commits(spec, run, reference, &counts, &mut anomalies);
    }
    let mut notes = no_checkpoint_mode.map_or_else(String::new, |mode| no_checkpoint_note(spec, mode, &replayed));
    if excused.end_aborts > 0 {
        notes.push_str(&format!(
            ", {} abort(s) by a restart's recovery of a transaction end of input had committed",
            excused.end_aborts
        ));
    }
    notes.push_str(&stale.note(again.stale.len(), excused.stale_aborts));
    notes.push_str(&overtaken.note(again.overtaken.len(), excused.overtaken_aborts));
    // The per-key sequences below read what a single job's restores committed: the ended job's
    // copies of the inputs a stale resume replayed (and the copies before a flink-1.11 restart
    // from an overtaken savepoint of the inputs it replayed) are left out (the replay's stay).
    let filtered;
    let committed: &Rows = if again.stale.is_empty() && again.overtaken.is_empty() {
        &run.committed
    } else {
        let earlier: BTreeMap<LineageKey, u64> = again.stale.iter().chain(&again.overtaken).copied().collect();
        let mut rows = run.committed.clone();
        rows.retain(|r| earlier.get(&(r.lineage.input_seq, r.lineage.sub)).is_none_or(|at| r.time_ms >= *at));
        filtered = rows;
        &filtered
    };
    if run.final_status == JobStatus::Finished {
        end_of_input_losses(spec, run, reference, &counts, &mut anomalies, &mut notes);
    }
    if let Some(jr) = &reference.joined {
        joined_rows(spec, run, jr, (&counts, healthy_end), &mut anomalies, &mut notes);
    }
    let sequences = Sequences { committed, epochs: epochs.as_deref(), none_semantic };
    per_key_sequences(spec, reference, sequences, &mut anomalies);
    let summary = match &reference.joined {
        Some(j) => format!(
            "{} committed joined rows, {} distinct {} of the reference's {}{notes}",
            run.committed.len(),
            counts.len(),
            if j.per_window { "(pair, window) rows" } else { "pairs" },
            j.rows.len()
        ),
        // Inputs and lineages differ where one input reaches the sink as several copies (a
        // self-union's paths, a flat_map's pieces, a broadcast's copies): both are named.
        None if counts.inputs() != counts.len() => format!(
            "{} committed outputs, {} distinct inputs ({} distinct lineages){notes}",
            run.committed.len(),
            counts.inputs(),
            counts.len()
        ),
        None => format!("{} committed outputs, {} distinct inputs{notes}", run.committed.len(), counts.len()),
    };
    Verdict::from(NAME, anomalies, summary)
}

/// What [`per_key_sequences`] judges: the committed rows (a stale resume's earlier copies left
/// out) and each attempt's start under `Semantic.NONE`.
#[derive(Clone, Copy)]
struct Sequences<'a> {
    committed: &'a Rows,
    epochs: Option<&'a [u64]>,
    none_semantic: bool,
}

/// The committed values per key against the reference, by the job's shape: a contiguous run
/// per attempt (`Semantic.NONE`), the final values (order-free keys), a reordering (a key split
/// over sink subtasks), or a prefix of the reference sequence.
fn per_key_sequences(spec: &JobSpec, reference: &Reference, how: Sequences<'_>, anomalies: &mut Vec<Finding>) {
    if reference.joined.as_ref().is_some_and(|j| j.exact_values) {
        // Joined rows have no per-key sequence: judged per pair above.
    } else if !super::state::keeps_keyed_state(spec) {
        // A `key_by` before no keyed state (a user operator's list state, `list_report`, whose
        // every subtask reports what it restored: rows the one-instance fold has once): no
        // keyed values to follow, as for the `state` checker; lineage is judged above.
    } else if how.none_semantic && (reference.order_free || reference.key_split) {
        // Semantic.NONE and a key's values in no fixed order: the per-key sequence is the
        // state checker's.
    } else if let Some(starts) = how.epochs {
        // Semantic.NONE: each attempt starts from what it restored (nothing without a
        // checkpoint) and goes on, so per key and attempt the committed values are a contiguous
        // run of the reference sequence, not a prefix of it overall.
        replayed_runs_in_reference(how.committed, reference, starts, anomalies);
    } else if reference.order_free {
        order_free_final_values(how.committed, reference, anomalies);
    } else if reference.key_split {
        super::order::reordered_values_in_reference(how.committed, reference, anomalies);
    } else {
        prefix_per_key(how.committed, reference, anomalies);
    }
}

/// The aborts of committed transactions [`sink_anomalies`] excused, by reason.
#[derive(Default)]
struct Excused {
    /// By a stale resume's recovery (`stale_resume.rs`).
    stale_aborts: usize,
    /// By a restart's recovery of a transaction end of input had committed (2.x without
    /// checkpointing).
    end_aborts: usize,
    /// By a flink-1.11 restart's recovery from an overtaken savepoint (`overtaken_restore.rs`).
    overtaken_aborts: usize,
}

/// The inputs [`duplicates`] excused as committed again by a replay, with the time before which
/// their earlier copy lies: a stale resume's, a flink-1.11 overtaken restart's.
#[derive(Default)]
struct Replays {
    stale: Vec<(LineageKey, u64)>,
    overtaken: Vec<(LineageKey, u64)>,
}

/// The sink's and store's anomalies as findings, except aborts a stale resume or a flink-1.11
/// restart from an overtaken savepoint explains and (2.x without checkpointing,
/// `commits_at_end`) a restart's abort of a transaction end of input had committed; returns the
/// findings and the excused counts.
fn sink_anomalies(
    run: &RunResult,
    (stale, overtaken): (&ExcusedReplays, &ExcusedReplays),
    commits_at_end: bool,
) -> (Vec<Finding>, Excused) {
    let mut anomalies = Vec::new();
    let mut excused = Excused::default();
    for a in &run.sink_anomalies {
        if stale.excuses_abort(a) {
            excused.stale_aborts += 1;
        } else if overtaken.excuses_abort(a) {
            excused.overtaken_aborts += 1;
        } else if commits_at_end
            && matches!(a, SinkAnomaly::Store { anomaly: StoreAnomaly::AbortOfCommittedTxn { .. }, .. })
        {
            excused.end_aborts += 1;
        } else {
            anomalies.push(sink_anomaly_finding(a));
        }
    }
    (anomalies, excused)
}

/// In a job still running at the end: inputs a completed checkpoint covers that no sink
/// transaction committed.
fn lost_commits(
    spec: &JobSpec,
    run: &RunResult,
    reference: &Reference,
    counts: &LineageCounts,
    anomalies: &mut Vec<Finding>,
) {
    // Only inputs that a completed checkpoint covers must be committed by the end, and only
    // once every sink subtask has acted on that checkpoint's completion (a notification is
    // not resent: when it is lost, the transactions stay pre-committed until a later
    // checkpoint completes or a restore commits them).
    //
    // Under unaligned checkpoints (or an aligned timeout that switched) the records a
    // barrier overtook are that checkpoint's channel state: they reach the sink after its
    // barrier, in the next transaction, so they are due only once a later checkpoint
    // completes (Flink's ChannelStateWriter / unaligned checkpoints). For aligned and
    // at-least-once checkpoints the in-flight set is empty and the rule is unchanged.
    let covered = last_covered_input(spec, run);
    let in_flight = in_flight_at_horizon(spec, run);
    for seq in expected_inputs(spec, run, reference)
        .filter(|s| covered.is_some_and(|c| *s <= c))
        .filter(|s| !in_flight.is_some_and(|f| f.contains(s)))
    {
        if !has_input(counts, seq) {
            anomalies.push(lost_commit(spec, seq));
        } else if let Some(f) = lost_copy(spec, reference, counts, seq, "committed") {
            anomalies.push(f);
        }
    }
}

/// Inputs committed more than once. Without checkpointing (`epochs`: when each attempt began) a
/// duplicate whose copies come from different attempts is a restart's replay, Flink's own
/// behaviour: returned (input numbers) for the summary, not an anomaly. A stale resume's or a
/// flink-1.11 overtaken restart's replayed copies go to `again`.
fn duplicates(
    run: &RunResult,
    reference: &Reference,
    counts: &LineageCounts,
    epochs: Option<&[u64]>,
    (stale, overtaken, again): (&ExcusedReplays, &ExcusedReplays, &mut Replays),
    anomalies: &mut Vec<Finding>,
) -> Vec<u64> {
    let dups = rows_of_duplicates(&run.committed, counts);
    let mut replayed = Vec::new();
    for (l, n) in counts.duplicates() {
        let t = dups[&l].iter().map(|r| r.time_ms).collect::<Vec<_>>();
        if let Some(s) = stale.excuses_duplicate(l.0, &t) {
            again.stale.push((l, s.at_ms));
            continue;
        }
        if let Some(o) = overtaken.excuses_duplicate(l.0, &t) {
            again.overtaken.push((l, o.at_ms));
            continue;
        }
        if let Some(starts) = epochs {
            let attempts: BTreeSet<usize> = t.iter().map(|ms| epoch_of(starts, *ms)).collect();
            if attempts.len() == t.len() {
                replayed.push(l.0);
                continue;
            }
        }
        if epochs.is_some() {
            anomalies.push(
                Finding::new(
                    "duplicate-within-attempt",
                    format!(
                        "duplicate: input #{} (sub {}) committed {n} times at {t:?} ms, twice within one attempt \
                         (without checkpointing only a restart's replay duplicates)",
                        l.0, l.1
                    ),
                )
                .at(t.get(1).copied())
                .with("input", l.0),
            );
        } else if reference.joined.is_some() {
            let row = &dups[&l][0];
            anomalies.push(Finding::named(format!(
                "duplicate joined row: {} = {} committed {n} times at {t:?} ms",
                reference.joined.as_ref().map_or_else(String::new, |j| j.describe(row.lineage)),
                row.value
            )));
        } else {
            anomalies.push(
                Finding::new(
                    "duplicate-commit",
                    format!("duplicate: input #{} (sub {}) committed {n} times at {t:?} ms", l.0, l.1),
                )
                .at(t.get(1).copied())
                .with("input", l.0),
            );
        }
    }
    replayed
}

/// The summary's note for a sink without checkpointing: no exactly-once promise across
/// restarts, and the inputs a restart's replay wrote again.
fn no_checkpoint_note(spec: &JobSpec, mode: NoCheckpointing, replayed: &[u64]) -> String {
    let mut notes = String::new();
    let how = match mode {
        NoCheckpointing::NoneSemantic => "the Kafka producer falls back to Semantic.NONE",
        NoCheckpointing::CommitAtEndOfInput => "the sink commits at end of input only",
    };
    let _ = std::fmt::Write::write_fmt(
        &mut notes,
        format_args!(
            "; {} without checkpointing: {how} (no exactly-once promise across restarts), {} inputs \
             written again by a later attempt after a restart replayed them{}",
            spec.profile,
            replayed.len(),
            listed(replayed)
        ),
    );
    notes
}

/// Joined rows: each committed row is one of the reference's, and every due pair committed.
/// The summary's `notes` name how many of the reference's rows are not committed because an
/// input of theirs was never read by a source deployed finished ([`super::dormant_unread`]):
/// not due, not lost.
fn joined_rows(
    spec: &JobSpec,
    run: &RunResult,
    jr: &super::joins::JoinedRef,
    (counts, healthy_end): (&LineageCounts, bool),
    anomalies: &mut Vec<Finding>,
    notes: &mut String,
) {
    // A pair is due once the checkpoint the sink committed covers both of its inputs (not as
    // in-flight channel state); a window join's only when the job FINISHED (the final
    // checkpoint commits what MAX_WATERMARK fired), unless it stopped with a savepoint.
    let covered = last_covered_input(spec, run);
    let in_flight = in_flight_at_horizon(spec, run);
    let finished = run.final_status == JobStatus::Finished && !finished_unread(spec, run);
    let final_checkpoint = spec.profile.checkpoints_after_tasks_finish() && spec.checkpoint.periodic_enabled();
    // An input its source never read (deployed finished, FLIP-147) makes no row due (session
    // 41, conform41's sweep: rescale/window-join-then-interval-join-2-3-1 --seed 11820 --swarm).
    let never_read = super::dormant_unread(spec, run);
    // A row's inputs (two for a pair, more for joins in a row); `l.0` is the latest of them.
    let due = |l: (u64, u32)| {
        if !never_read.is_empty() && jr.inputs_of(l).iter().any(|s| never_read.contains(s)) {
            return false;
        }
        if finished && final_checkpoint {
            return true;
        }
        !jr.windowed
            && (healthy_end || finished)
            && covered.is_some_and(|c| l.0 <= c)
            && !in_flight.is_some_and(|f| jr.inputs_of(l).iter().any(|s| f.contains(s)))
    };
    super::joins::joined_row_anomalies(jr, &run.committed, counts, due, "committed", anomalies);
    // The rows the unread inputs excused, for the summary (session 42: the per-input rule
    // named its excused inputs, the joined rows' summary did not).
    if never_read.is_empty() {
        return;
    }
    let unread = jr
        .rows
        .keys()
        .filter(|l| counts.get(**l) == 0 && jr.inputs_of(**l).iter().any(|s| never_read.contains(s)))
        .count();
    if unread > 0 {
        notes.push_str(&format!(
            ", {unread} joined rows not committed of inputs a source deployed as finished (FLIP-147) never read"
        ));
    }
}

/// Per key, the committed values must be a prefix of the reference sequence.
fn prefix_per_key(rows: &Rows, reference: &Reference, anomalies: &mut Vec<Finding>) {
    // Per key, the committed values must be a prefix of the reference sequence: compared
    // as the rows stream by (how many the key committed so far, still a prefix), so only a
    // key that breaks it has its values collected, in a second pass, for the message (a list
    // of every committed value per key was 8-16 MB on a 10^6-record job).
    // Keys by id (`key_index.rs`, session 40): one search per distinct key of the run, not one
    // per row; the broken keys are reported in key order, as a map keyed by `Value` listed them.
    let none = KeySeq::default();
    let index = super::key_index::KeyIndex::new(rows, reference);
    let mut per_key: Vec<(usize, bool)> = vec![(0, true); index.len()];
    for (r, i) in rows.iter().zip(index.ids(rows)) {
        let (n, prefix) = &mut per_key[i];
        *prefix = *prefix && index.seq(i).unwrap_or(&none).is_at(*n, &r.value);
        *n += 1;
    }
    if per_key.iter().all(|(n, prefix)| *n == 0 || *prefix) {
        return;
    }
    let broken: Vec<usize> = index.in_key_order().into_iter().filter(|&i| per_key[i].0 > 0 && !per_key[i].1).collect();
    let mut vals: BTreeMap<usize, Vec<Value>> = broken.iter().map(|&i| (i, Vec::new())).collect();
    for (r, i) in rows.iter().zip(index.ids(rows)) {
        if let Some(v) = vals.get_mut(&i) {
            v.push(r.value);
        }
    }
    for i in broken {
        let (k, want, vals) = (index.key(i), index.seq(i).unwrap_or(&none), &vals[&i]);
        anomalies.push(
            Finding::new(
                "state-ahead-behind",
                format!(
                    "state ahead/behind: key {k} committed {vals:?}, reference prefix {:?}",
                    want.to_vec_range(0..vals.len() + 1)
                ),
            )
            .with("key", k),
        );
    }
}

/// When each attempt of the job began: the times the job (re)entered RUNNING. The committed rows
/// do not know their attempt; a row belongs to the last attempt begun at or before its time (an
/// old attempt's tasks are all terminal before the restart deploys the new ones).
fn attempt_starts(run: &RunResult) -> Vec<u64> {
    run.status_timeline.iter().filter(|(_, s)| *s == JobStatus::Running).map(|(t, _)| *t).collect()
}

/// The attempt (index into [`attempt_starts`]) a row output at `time_ms` belongs to.
fn epoch_of(starts: &[u64], time_ms: u64) -> usize {
    starts.partition_point(|s| *s <= time_ms)
}

/// The first five of `seqs` as `: #a, #b, …`, empty when there are none.
fn listed(seqs: &[u64]) -> String {
    let names: Vec<String> = seqs.iter().take(5).map(|s| format!("#{s}")).collect();
    match seqs.len() {
        0 => String::new(),
        n if n > 5 => format!(": {}, … and {} more", names.join(", "), n - 5),
        _ => format!(": {}", names.join(", ")),
    }
}

/// Per key and attempt, the committed values must be a contiguous run of the reference sequence
/// (the attempt began from the state it restored, which is an earlier point of the same fold).
fn replayed_runs_in_reference(rows: &Rows, reference: &Reference, starts: &[u64], anomalies: &mut Vec<Finding>) {
    // Keys by id (`key_index.rs`, session 40); judged in key order, then attempt order, as a map
    // keyed by (`Value`, attempt) listed them.
    let index = super::key_index::KeyIndex::new(rows, reference);
    let mut runs: Vec<BTreeMap<usize, Vec<Value>>> = vec![BTreeMap::new(); index.len()];
    for (r, i) in rows.iter().zip(index.ids(rows)) {
        runs[i].entry(epoch_of(starts, r.time_ms)).or_default().push(r.value);
    }
    let none = KeySeq::default();
    for i in index.in_key_order() {
        let (k, want) = (index.key(i), index.seq(i).unwrap_or(&none));
        for (epoch, vals) in &runs[i] {
            let fits = want.contains_run(vals);
            if !fits {
                anomalies.push(
                    Finding::new(
                        "state-ahead-behind",
                        format!(
                        "state ahead/behind: key {k} committed {vals:?} in attempt {epoch}, not a contiguous run of \
                         the reference {:?}",
                        want.to_vec_range(0..vals.len() + 1)
                    ),
                    )
                    .with("key", k),
                );
            }
        }
    }
}

/// An at-least-once user sink (`Registry::with_at_least_once_sink`: no two-phase commit, its
/// writes visible at once): a restore replays the records written after the checkpoint, so an
/// input an earlier attempt published is published again by a later one. Those are
/// at-least-once duplicates, expected of such a sink and named in the summary, not exactly-once
/// failures. An input published twice by one attempt is still an anomaly (no replay explains
/// it); losses are the `at-least-once` checker's.
fn at_least_once_user_sink(name: &'static str, sink: &str, run: &RunResult) -> Verdict {
    let counts = lineage_counts(&run.print_rows);
    let dups = rows_of_duplicates(&run.print_rows, &counts);
    let mut anomalies = Vec::new();
    let mut replayed = Vec::new();
    for (l, n) in counts.duplicates() {
        let rows = &dups[&l];
        let attempts: BTreeSet<u32> = rows.iter().map(|r| r.attempt.0).collect();
        if attempts.len() < rows.len() {
            let t: Vec<u64> = rows.iter().map(|r| r.time_ms).collect();
            anomalies.push(
                Finding::new(
                    "duplicate-within-attempt",
                    format!(
                        "duplicate: input #{} (sub {}) published {n} times within one attempt at {t:?} ms",
                        l.0, l.1
                    ),
                )
                .at(t.get(1).copied())
                .with("input", l.0),
            );
        } else {
            replayed.push(format!("#{}", l.0));
        }
    }
    let listed = match replayed.len() {
        0 => String::new(),
        n if n > 5 => format!(": {}, … and {} more", replayed[..5].join(", "), n - 5),
        _ => format!(": {}", replayed.join(", ")),
    };
    Verdict::from(
        name,
        anomalies,
        format!(
            "at-least-once sink `{sink}` (no two-phase commit): {} rows, {} inputs published again after a \
             restore are at-least-once duplicates, not exactly-once failures{listed}",
            run.print_rows.len(),
            replayed.len()
        ),
    )
}
