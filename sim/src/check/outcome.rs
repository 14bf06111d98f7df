//! One scenario run end to end: world → trace → checkers → expectations → tables and verdict.

use crate::check::{self, Verdict};
use crate::reference;
use crate::spec::JobSpec;
use crate::trace::EventData;
use crate::world::{self, RunResult};
use std::fmt::Write as _;

/// The evaluation of one `[expect]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectResult {
    /// The expectation's key in `[expect]`.
    pub name: String,
    /// Whether the run met it.
    pub held: bool,
    /// What was expected and what the run showed.
    pub detail: String,
}

impl ExpectResult {
    fn new(name: &str, held: bool, detail: String) -> Self {
        ExpectResult { name: name.to_string(), held, detail }
    }
}

/// Everything a run of a scenario under one seed produced and concluded.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The seed the world ran under.
    pub seed: u64,
    /// What the world recorded (trace, checkpoints, outputs, job status).
    pub run: RunResult,
    /// One verdict per checker.
    pub verdicts: Vec<Verdict>,
    /// One result per `[expect]` entry; [`Outcome::passed`] is their conjunction.
    pub expectations: Vec<ExpectResult>,
}

impl Outcome {
    /// True when every expectation held and no checker failed (except the one a negative
    /// scenario expects to fail).
    pub fn passed(&self) -> bool {
        self.expectations.iter().all(|e| e.held)
    }

    /// The run's trace hash ([`crate::trace::Trace::hash`]): equal for equal traces.
    pub fn trace_hash(&self) -> u64 {
        self.run.trace.hash()
    }

    /// The run was stopped by its event budget (`world::BudgetUse`): neither a pass nor a
    /// checker's failure; `run` exits 3.
    pub fn budget_exhausted(&self) -> bool {
        self.run.budget.exhausted_at_ms.is_some()
    }
}

/// The one line naming an exhausted event budget (`None` if the run reached its stop time).
pub fn budget_line(spec: &JobSpec, run: &RunResult) -> Option<String> {
    let at = run.budget.exhausted_at_ms?;
    if run.budget.attempts_exhausted {
        return Some(format!(
            "attempt numbering exhausted at t={at} ms of {} ms: a JobMaster reached attempt {} (or the JobManager epochs ran past {}); the run was stopped (a harness limit, not a verdict)",
            spec.stop_at_ms,
            world::EPOCH_STRIDE,
            u32::MAX / world::EPOCH_STRIDE - 1
        ));
    }
    Some(format!(
        "event budget of {} events exhausted at t={at} ms of {} ms: the run was stopped (a livelock, or raise --max-events)",
        run.budget.max_events, spec.stop_at_ms
    ))
}

/// Runs `spec` under `seed` and evaluates everything.
pub fn run(spec: &JobSpec, seed: u64) -> Outcome {
    judge(spec, seed, world::run(spec, seed), None)
}

/// [`run`] with a lean trace ([`world::run_lean`]): the same hash, verdicts, expectations and
/// rendered tables, without keeping every trace event (sweeps, `bench`, `ckptsim run` without
/// `--trace`). Reports, Chrome traces, coverage and triage need [`run`].
pub fn run_lean(spec: &JobSpec, seed: u64) -> Outcome {
    judge(spec, seed, world::run_lean(spec, seed), None)
}

/// [`run_lean`] with the reference taken from `cache` ([`reference::ReferenceCache`]): what a
/// sweep or `bench` does per seed, folding a scenario's input once instead of once per seed.
/// The same outcome as [`run_lean`].
pub fn run_lean_cached(spec: &JobSpec, seed: u64, cache: &mut reference::ReferenceCache) -> Outcome {
    judge(spec, seed, world::run_lean(spec, seed), Some(cache))
}

/// [`run_lean_cached`] with the world's seed-independent part `prepared` from
/// [`world::prepare`]`(spec)`: what a sweep worker does per seed of a scenario it prepared once.
/// The same outcome as [`run_lean`].
pub fn run_lean_prepared(
    spec: &JobSpec,
    prepared: &world::Prepared,
    seed: u64,
    cache: &mut reference::ReferenceCache,
) -> Outcome {
    judge(spec, seed, world::run_lean_prepared(prepared, seed), Some(cache))
}

/// The checkers' half of [`run_lean_prepared`]: judges `run` (from [`world::run_lean_prepared`]
/// of `spec` at `seed`) with the reference from `cache`. `bench` times the two halves apart.
pub fn judge_cached(spec: &JobSpec, seed: u64, run: RunResult, cache: &mut reference::ReferenceCache) -> Outcome {
    judge(spec, seed, run, Some(cache))
}

fn judge(spec: &JobSpec, seed: u64, run: RunResult, cache: Option<&mut reference::ReferenceCache>) -> Outcome {
    if let Some(line) = budget_line(spec, &run) {
        // A truncated run is not judged: its checkers would see a job cut off mid-flight.
        let verdicts = check::CHECKERS
            .iter()
            .map(|c| Verdict {
                checker: c,
                passed: None,
                anomalies: vec![],
                summary: "not judged: the run stopped at its event budget".into(),
            })
            .collect();
        let expectations = vec![ExpectResult { name: "event budget".into(), held: false, detail: line }];
        return Outcome { seed, run, verdicts, expectations };
    }
    let reference = match cache {
        Some(c) => c.get(spec),
        None => std::sync::Arc::new(reference::compute(spec)),
    };
    if crate::usage::debug_env().rss {
        eprintln!("rss {} KiB after the world and the reference", crate::usage::rss_kib());
    }
    let verdicts = check::check_all(spec, &run, &reference);
    let expectations = evaluate(spec, seed, &run, &verdicts);
    Outcome { seed, run, verdicts, expectations }
}

fn evaluate(spec: &JobSpec, seed: u64, run: &RunResult, verdicts: &[Verdict]) -> Vec<ExpectResult> {
    let e = &spec.expect;
    let mut out = Vec::new();
    checker_expectations(e, verdicts, &mut out);
    if let Some(seeds) = e.seeds.as_ref().filter(|s| !s.contains(&seed)) {
        // A regression tied to the seeds whose schedule shows its behaviour: under another
        // seed its own expectations do not apply, the checkers (above) still judge.
        out.push(ExpectResult::new(
            "seeds",
            true,
            format!("the file's expectations are tied to seeds {seeds:?}: under seed {seed} only the checkers judge"),
        ));
        return out;
    }
    run_expectations(e, run, verdicts, &mut out);
    output_expectations(spec, e, run, &mut out);
    out
}

/// Every checker passes; a negative scenario's `caught_by` checker fails instead.
fn checker_expectations(e: &crate::spec::ExpectSpec, verdicts: &[Verdict], out: &mut Vec<ExpectResult>) {
    let mut push =
        |name: &str, held: bool, detail: String| out.push(ExpectResult { name: name.to_string(), held, detail });
    // Every checker must pass. A negative scenario (a deliberately broken protocol) instead
    // requires that its named checker fails; others may catch the bug too.
    for v in verdicts {
        if e.caught_by.is_some() {
            continue;
        }
        if v.passed == Some(false) {
            let more =
                if v.anomalies.len() > 3 { format!("; ... {} more", v.anomalies.len() - 3) } else { String::new() };
            push(
                &format!("checker {}", v.checker),
                false,
                format!("{}{more}", v.anomalies[..v.anomalies.len().min(3)].join("; ")),
            );
        }
    }
    if let Some(c) = &e.caught_by {
        let v = verdicts.iter().find(|v| v.checker == c);
        let held = v.is_some_and(|v| v.passed == Some(false));
        push(
            &format!("caught_by = {c}"),
            held,
            match v {
                Some(v) if held => format!("caught: {}", v.anomalies.first().cloned().unwrap_or_default()),
                Some(v) => format!("NOT caught ({})", v.summary),
                None => format!("unknown checker {c} (known: {})", check::CHECKERS.join(", ")),
            },
        );
    }
}

/// The run's final status, restarts, checkpoints, commits, offsets, retained checkpoints,
/// restores and transactions as expected.
fn run_expectations(e: &crate::spec::ExpectSpec, run: &RunResult, verdicts: &[Verdict], out: &mut Vec<ExpectResult>) {
    let mut push =
        |name: &str, held: bool, detail: String| out.push(ExpectResult { name: name.to_string(), held, detail });
    if let Some(s) = e.final_status {
        push("final_status", run.final_status == s, format!("expected {s}, got {}", run.final_status));
    }
    if let Some(n) = e.restarts {
        push("restarts", run.restarts == n, format!("expected {n}, got {}", run.restarts));
    }
    // `exactly_once = false` in a file means "not checked" (an expected violation is
    // `caught_by`), so a set flag always wants the checker to pass.
    if e.exactly_once {
        let v = verdicts.iter().find(|v| v.checker == "exactly-once").and_then(|v| v.passed);
        push("exactly_once", v == Some(true), format!("expected true, checker says {v:?}"));
    }
    if e.at_least_once {
        let v = verdicts.iter().find(|v| v.checker == "at-least-once").and_then(|v| v.passed);
        push("at_least_once", v == Some(true), format!("expected true, checker says {v:?}"));
    }
    if let Some(n) = e.completed_checkpoints_min {
        let got = run.checkpoints.iter().filter(|r| r.outcome == "COMPLETED").count() as u64;
        push("completed_checkpoints_min", got >= n, format!("expected >= {n}, got {got}"));
    }
    if let Some(n) = e.committed_min {
        let got = run.committed.len() as u64;
        push("committed_min", got >= n, format!("expected >= {n} committed rows, got {got}"));
    }
    if let Some(n) = e.committed_max {
        let got = run.committed.len() as u64;
        push("committed_max", got <= n, format!("expected <= {n} committed rows, got {got}"));
    }
    if let Some(want) = &e.committed_offsets {
        // The last accepted commit per partition, as the broker holds it at the end.
        let mut last: std::collections::BTreeMap<u32, i64> = std::collections::BTreeMap::new();
        for c in run.offset_commits.iter().filter(|c| c.accepted) {
            last.insert(c.partition.0, c.offset.0 as i64);
        }
        let partitions = want.len().max(last.keys().next_back().map_or(0, |p| *p as usize + 1));
        let got: Vec<i64> = (0..partitions as u32).map(|p| last.get(&p).copied().unwrap_or(-1)).collect();
        let detail =
            format!("{} (-1 = none)", expected_got_listed(want.as_slice(), got.as_slice(), &got == want, "partitions"));
        push("committed_offsets", &got == want, detail);
    }
    if let Some(n) = e.retained_count {
        let got = run.retained.len() as u32;
        push("retained_count", got == n, format!("expected {n}, got {got} {:?}", run.retained));
    }
    if let Some(want) = &e.restored_checkpoints {
        let got: Vec<u64> = run.restores.iter().map(|r| r.checkpoint.map_or(0, |c| c.0)).collect();
        let detail = format!(
            "{} (0 = from nothing)",
            expected_got_listed(want.as_slice(), got.as_slice(), &got == want, "restores")
        );
        push("restored_checkpoints", &got == want, detail);
    }
    if let Some(n) = e.transactions_begun {
        let got = run.transactions.begun;
        push("transactions_begun", got == n, format!("expected {n}, got {got}"));
    }
    if let Some(n) = e.transactions_aborted {
        let got = run.transactions.aborted;
        push("transactions_aborted", got == n, format!("expected {n}, got {got}"));
    }
}

/// The output rows (`output`) and the duplicated ones (`duplicates`) as expected.
fn output_expectations(spec: &JobSpec, e: &crate::spec::ExpectSpec, run: &RunResult, out: &mut Vec<ExpectResult>) {
    let mut push =
        |name: &str, held: bool, detail: String| out.push(ExpectResult { name: name.to_string(), held, detail });
    // Every output value as text only when an expectation reads them (10^6 strings otherwise).
    let rows = if e.output.is_some() || e.duplicates.is_some() { output_values(spec, run) } else { Vec::new() };
    if let Some(want) = &e.output {
        let held = &rows == want;
        push("output", held, expected_got(want, &rows, held));
    }
    if let Some(want) = &e.duplicates {
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        for r in &rows {
            *counts.entry(r.as_str()).or_default() += 1;
        }
        let mut got: Vec<String> = counts.iter().filter(|(_, n)| **n > 1).map(|(k, _)| k.to_string()).collect();
        let mut w = want.clone();
        got.sort();
        w.sort();
        let held = got == w;
        push("duplicates", held, expected_got(&w, &got, held));
    }
}

/// Rows of `output` / `duplicates` an expectation's detail lists whole (both lists together).
const LISTED_ROWS: usize = 64;

/// `expected {want:?}, got {got:?}`, the list formatted once when the two are equal (a sweep
/// evaluates every seed's `output` expectation; the text is only read when printed). Over
/// [`LISTED_ROWS`] rows in all, the counts and the first row that differs instead (session 41:
/// a file expecting 300,000 rows printed a 4 MB line).
fn expected_got(want: &[String], got: &[String], equal: bool) -> String {
    expected_got_listed(want, got, equal, "rows")
}

/// [`expected_got`] for any list an expectation compares whole (`committed_offsets` per
/// partition, `restored_checkpoints` per restore: a file may list 10^5 numbers), `unit` naming
/// its entries in the counted form.
fn expected_got_listed<T: std::fmt::Debug + PartialEq>(want: &[T], got: &[T], equal: bool, unit: &str) -> String {
    let s = listed_or_counted(want, got, equal, unit);
    // A row of megabytes (a hostile file's expected row) clipped as errors clip an echoed word.
    if let std::borrow::Cow::Owned(clipped) = crate::scenario::text::clip_for_display(&s) {
        return clipped;
    }
    s
}

/// [`expected_got`] before its clipping.
fn listed_or_counted<T: std::fmt::Debug + PartialEq>(want: &[T], got: &[T], equal: bool, unit: &str) -> String {
    if want.len() + got.len() > LISTED_ROWS {
        let (w, g) = (want.len(), got.len());
        // "row" for rows, the singular of `unit` otherwise ("partitions" -> "partition").
        let one = unit.strip_suffix('s').unwrap_or(unit);
        return match want.iter().zip(got).position(|(a, b)| a != b) {
            _ if equal => format!("expected {w} {unit}, got them (over {LISTED_ROWS} {unit}: not listed)"),
            Some(i) => format!(
                "expected {w} {unit}, got {g}; first difference at {one} {i}: expected {:?}, got {:?} (over {LISTED_ROWS} {unit}: not listed)",
                want[i], got[i]
            ),
            None => format!(
                "expected {w} {unit}, got {g}; equal up to {one} {} (over {LISTED_ROWS} {unit}: not listed)",
                w.min(g)
            ),
        };
    }
    if equal {
        let w = format!("{want:?}");
        let mut s = String::with_capacity(2 * w.len() + 16);
        s.push_str("expected ");
        s.push_str(&w);
        s.push_str(", got ");
        s.push_str(&w);
        s
    } else {
        format!("expected {want:?}, got {got:?}")
    }
}

/// One restore for the job-status section: when, why, which checkpoint, and what it held
/// (source offsets per partition, keyed state per operator; long key lists are cut at 12).
pub fn restore_line(r: &crate::world::RestoreRecord) -> String {
    let mut s = format!("  restore at {:.3}s ({}): ", r.at_ms as f64 / 1000.0, r.cause);
    match r.checkpoint {
        None => s.push_str("no completed checkpoint, empty state"),
        Some(id) => {
            s.push_str(&format!("checkpoint {id}"));
            if !r.offsets.is_empty() {
                let o: Vec<String> = r.offsets.iter().map(|(p, o)| format!("p{}={}", p.0, o.0)).collect();
                s.push_str(&format!("; offsets {}", o.join(" ")));
            }
            for (op, m) in &r.keyed {
                let shown: Vec<String> = m.iter().take(12).map(|(k, v)| format!("{k}={v}")).collect();
                let more = if m.len() > 12 { format!(" ... {} more", m.len() - 12) } else { String::new() };
                s.push_str(&format!("; {op} {{{}{more}}}", shown.join(", ")));
            }
            if r.offsets.is_empty() && r.keyed.is_empty() {
                s.push_str("; no source offsets or keyed state");
            }
        }
    }
    s
}

/// The job's visible output values in order: print rows, or the committed 2PC output.
pub fn output_values(spec: &JobSpec, run: &RunResult) -> Vec<String> {
    let two_pc = spec.operators.iter().any(|o| o.kind == crate::spec::OpKind::TwoPhaseCommitSink);
    if two_pc {
        run.committed.iter().map(|r| r.value.to_string()).collect()
    } else {
        run.print_rows.iter().map(|r| r.value.to_string()).collect()
    }
}

/// The output table: one row per input (socket/log) with what it produced, like seed 004's.
pub fn output_table(spec: &JobSpec, run: &RunResult) -> String {
    let mut s = String::new();
    let two_pc = spec.operators.iter().any(|o| o.kind == crate::spec::OpKind::TwoPhaseCommitSink);
    let rows = if two_pc { &run.committed } else { &run.print_rows };
    let _ = writeln!(s, "| #  | at (s)  | input            | output                 | note");
    let _ = writeln!(s, "|----|---------|------------------|------------------------|------------------------------");
    if spec.input.len() > 200 {
        // Decided before the inputs are formatted (10^6 of them would be tens of MB).
        let _ =
            writeln!(s, "| {} inputs, {} output rows (table elided above 200 inputs)", spec.input.len(), rows.len());
        return s;
    }
    let inputs: Vec<(u64, String)> = match &spec.input {
        crate::spec::InputSpec::Lines(l) => l.clone(),
        crate::spec::InputSpec::Log { records, .. } => {
            records.iter().map(|(t, p, v)| (t, format!("{v} (p{p})"))).collect()
        }
    };
    // Event-time windows: a result carries its window's smallest input and its maxTimestamp.
    let windowed = spec.event_window().is_some();
    for (i, (at, input)) in inputs.iter().enumerate() {
        let outs: Vec<String> = rows
            .iter()
            .filter(|r| r.lineage.input_seq == i as u64)
            .map(|r| match r.timestamp {
                Some(t) if windowed => format!("{}@{t}", r.value),
                _ => r.value.to_string(),
            })
            .collect();
        let mut note = String::new();
        if run.latest_skipped_on_restart.contains(&(i as u64)) {
            note.push_str("skipped: a restart without a checkpoint resolved `latest` again");
        } else if run.lost_inputs.contains(&(i as u64)) {
            // A log has no reader-less loss: a `latest` source started after the record.
            note.push_str(if matches!(spec.input, crate::spec::InputSpec::Log { .. }) {
                "not read: appended before `latest` was resolved"
            } else {
                "lost: no source reading"
            });
        }
        if let Some(fail) = run
            .trace
            .events()
            .iter()
            .find(|e| matches!(e.data, EventData::Exception { .. }) && e.time_ms >= *at && e.time_ms <= at + 50)
        {
            let after = run
                .trace
                .events()
                .iter()
                .find(|e| matches!(e.data, EventData::Failure { .. }) && e.time_ms >= fail.time_ms);
            if let Some(a) = after {
                if a.time_ms <= fail.time_ms + 100 {
                    note = if matches!(a.data, EventData::Failure { backoff_ms: None, .. }) {
                        "job fails for good".into()
                    } else {
                        "job restarts".into()
                    };
                }
            }
        }
        let mut outs_s = outs.join(" ");
        if windowed {
            if run.late_records.iter().any(|r| r.lineage.input_seq == i as u64) && note.is_empty() {
                note = "late: side output".into();
            } else if !outs.is_empty() && note.is_empty() {
                note = "window results (their smallest input)".into();
            }
        } else if outs.len() > 1 && !matches!(spec.input, crate::spec::InputSpec::Lines(_)) {
            outs_s = format!("{} (x{})", outs[0], outs.len());
            if note.is_empty() {
                note = "duplicate (replayed after restore)".into();
            }
        }
        let _ =
            writeln!(s, "| {:<2} | {:>7.3} | {:<16} | {:<22} | {}", i + 1, *at as f64 / 1000.0, input, outs_s, note);
    }
    s
}

/// The checkpoint table: id, trigger time, duration, alignment, size, outcome.
pub fn checkpoint_table(run: &RunResult) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| id  | kind | trigger (s) | duration (ms) | alignment (ms) | size (B)   | outcome");
    let _ = writeln!(s, "|-----|------|-------------|---------------|----------------|------------|------------------");
    let total = run.checkpoints.len();
    for (i, r) in run.checkpoints.iter().enumerate() {
        if total > 60 && i >= 25 && i + 25 < total {
            if i == 25 {
                let _ = writeln!(s, "| ... {} more checkpoints ...", total - 50);
            }
            continue;
        }
        let dur = r.end_ms.map(|e| format!("{}", e - r.trigger_ms)).unwrap_or_else(|| "-".into());
        let kind = if r.savepoint {
            "sp"
        } else if r.unaligned {
            "ua"
        } else {
            "cp"
        };
        let _ = writeln!(
            s,
            "| {:<3} | {:<4} | {:>11.3} | {:>13} | {:>14} | {:>10} | {}",
            r.id,
            kind,
            r.trigger_ms as f64 / 1000.0,
            dur,
            r.alignment_ms,
            r.size_bytes,
            r.outcome
        );
    }
    let completed = run.checkpoints.iter().filter(|r| r.outcome == "COMPLETED").count();
    let _ = writeln!(s, "{completed} completed, {} failed or pending", total - completed);
    s
}

/// Full human-readable report of one run.
pub fn render(spec: &JobSpec, o: &Outcome) -> String {
    let run = &o.run;
    let mut s = String::new();
    let _ = writeln!(s, "scenario  {}  ({})", spec.name, spec.source_path);
    let _ = writeln!(
        s,
        "profile   {}   variant {}   seed {}   stop at {} ms",
        spec.profile, spec.variant, o.seed, spec.stop_at_ms
    );
    let _ = writeln!(s, "restart   {}", run.restart_description);
    let _ = writeln!(s);
    let _ = writeln!(s, "== output");
    s.push_str(&output_table(spec, run));
    let _ = writeln!(s);
    let _ = writeln!(s, "== checkpoints");
    s.push_str(&checkpoint_table(run));
    let _ = writeln!(s);
    let _ = writeln!(s, "== job status");
    let tl: Vec<String> =
        run.status_timeline.iter().map(|(t, st)| format!("{:.3}s {st}", *t as f64 / 1000.0)).collect();
    let _ = writeln!(s, "{}", tl.join(" -> "));
    let _ = writeln!(s, "restarts: {}", run.restarts);
    for (t, n, b) in &run.restart_schedule {
        let _ = writeln!(s, "  failure #{n} at {:.3}s, restart after {b} ms", *t as f64 / 1000.0);
    }
    for (t, text) in &run.retunes {
        let _ = writeln!(s, "  re-tune at {:.3}s: {text}", *t as f64 / 1000.0);
    }
    for r in &run.restores {
        let _ = writeln!(s, "{}", restore_line(r));
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "== checkers");
    for v in &o.verdicts {
        let _ = writeln!(s, "{}", check::verdict_line(v));
        for a in v.anomalies.iter().skip(1).take(4) {
            let _ = writeln!(s, "                       {a}");
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "== expectations");
    for e in &o.expectations {
        let _ = writeln!(s, "  {:<28} {}  {}", e.name, if e.held { "held  " } else { "FAILED" }, e.detail);
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "verdict: {}   trace hash {:016x}   ({} events)",
        if o.budget_exhausted() {
            "BUDGET"
        } else if o.passed() {
            "PASS"
        } else {
            "FAIL"
        },
        o.trace_hash(),
        run.trace.len()
    );
    let _ = writeln!(s, "replay:  cargo run --release -- run {} --seed {}", spec.source_path, o.seed);
    s
}

#[cfg(test)]
mod tests {
    use super::expected_got;

    fn rows(n: usize, v: &str) -> Vec<String> {
        (0..n).map(|i| format!("({v},{i})")).collect()
    }

    #[test]
    fn short_lists_are_listed_long_ones_counted() {
        let (a, b) = (rows(2, "a"), rows(1, "a"));
        assert_eq!(expected_got(&a, &b, false), r#"expected ["(a,0)", "(a,1)"], got ["(a,0)"]"#);
        let (a, mut b) = (rows(300_000, "a"), rows(550, "a"));
        assert_eq!(
            expected_got(&a, &b, false),
            "expected 300000 rows, got 550; equal up to row 550 (over 64 rows: not listed)"
        );
        b[7] = "(b,7)".into();
        assert!(expected_got(&a, &b, false).contains(r#"first difference at row 7: expected "(a,7)", got "(b,7)""#));
        assert_eq!(expected_got(&a, &a, true), "expected 300000 rows, got them (over 64 rows: not listed)");
        // One row of megabytes is clipped.
        let huge = vec!["x".repeat(1_500_000)];
        assert!(expected_got(&huge, &rows(1, "a"), false).len() < 400);
    }

    /// Session 42: `[expect] restored_checkpoints` / `committed_offsets` of 10^5 numbers printed
    /// a line of ~1 MB; they are counted as rows are, with the first difference named.
    #[test]
    fn long_number_lists_are_counted() {
        let want: Vec<u64> = (0..100_000).collect();
        let mut got = want.clone();
        got[42] = 7;
        let s = super::expected_got_listed(&want, &got, false, "restores");
        assert_eq!(
            s,
            "expected 100000 restores, got 100000; first difference at restore 42: expected 42, got 7 (over 64 restores: not listed)"
        );
        assert_eq!(super::expected_got_listed(&[1u64, 2], &[1, 3], false, "restores"), "expected [1, 2], got [1, 3]");
    }
}
