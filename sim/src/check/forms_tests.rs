//! Finding forms no scenario run reaches, each built by planting its anomaly in a real run's result: the rendered line, and what `signature::classify` reads from it (kind, moment, fields).

use super::signature::classify;
use super::*;
use crate::world::trace::{EventData, Trace};
use ckptsim::config::RestartStrategyConfig;
use ckptsim::reason::FailureCause;
use ckptsim::{CheckpointId, Offset};

/// A seed scenario of `scenarios/seeds/`, run once with seed 1, and its reference.
pub(super) fn seed_run(file: &str) -> (JobSpec, RunResult, Reference) {
    seed_run_with(file, |_| {})
}

/// [`seed_run`] with `adjust` applied to the spec before the run.
pub(super) fn seed_run_with(file: &str, adjust: impl FnOnce(&mut JobSpec)) -> (JobSpec, RunResult, Reference) {
    let mut spec = super::test_runs::scenario(&format!("seeds/{file}"));
    adjust(&mut spec);
    let run = crate::world::run(&spec, 1);
    let reference = reference::compute(&spec);
    (spec, run, reference)
}

/// The one finding of `kind` in `v`.
fn the<'a>(v: &'a Verdict, kind: &str) -> &'a Finding {
    let of_kind: Vec<&Finding> = v.anomalies.iter().filter(|f| f.kind.as_deref() == Some(kind)).collect();
    assert_eq!(of_kind.len(), 1, "one `{kind}` finding in {:?}", v.anomalies);
    of_kind[0]
}

#[test]
fn offset_backwards() {
    let (spec, mut run, _) = seed_run("001-kafka-offsets.toml");
    assert_eq!(offsets::offsets(&spec, &run).passed, Some(true), "the run itself passes");
    let high = run.offset_commits.iter().filter(|c| c.accepted && c.offset.0 > 0).max_by_key(|c| c.offset.0).cloned();
    let high = high.expect("an accepted commit above 0");
    let t = run.offset_commits.iter().map(|c| c.time_ms).max().unwrap() + 1;
    // A periodic commit (not judged against completed checkpoints) one below the high mark.
    let low =
        crate::world::OffsetCommit { time_ms: t, offset: Offset(high.offset.0 - 1), periodic: true, ..high.clone() };
    run.offset_commits.push(low);
    let v = offsets::offsets(&spec, &run);
    assert_eq!(v.passed, Some(false));
    let f = the(&v, "offset-backwards");
    let want = format!(
        "t={t} non-monotonic offset: {} went back from {} to {}",
        high.partition,
        high.offset.0,
        high.offset.0 - 1
    );
    assert_eq!(f.text, want);
    let a = classify(v.checker, f);
    assert_eq!((a.kind.as_str(), a.time_ms), ("offset-backwards", Some(t)));
    assert_eq!(v.anomalies.len(), 1, "no other form: {:?}", v.anomalies);
}

#[test]
fn lost_print_and_zombie_output() {
    let (spec, run, reference) = seed_run("003-at-least-once.toml");
    assert_eq!(at_least_once::at_least_once(&spec, &run, &reference).passed, Some(true), "the run itself passes");

    // Every row of input 0 removed: a loss the newest completed checkpoint covers.
    let mut lost = run.clone();
    lost.print_rows.retain(|r| r.lineage.input_seq != 0);
    let v = at_least_once::at_least_once(&spec, &lost, &reference);
    let f = the(&v, "lost-print");
    let at = f.time_ms.expect("a lost print has its input's time");
    assert_eq!(f.text, format!("lost record: input #0 (at {at} ms) never printed"));
    assert_eq!(at, input_time(&spec, 0), "at the input's time");
    let a = classify(v.checker, f);
    assert_eq!((a.kind.as_str(), a.time_ms, a.fields["input"].as_str()), ("lost-print", Some(at), "0"));

    // A JobManager of epoch 2 started just before the last row: that row's attempt (epoch 1)
    // printed after its replacement.
    let mut zombie = run.clone();
    let last = zombie.print_rows.last().expect("printed rows");
    let replaced = last.time_ms - 1;
    let epoch = u64::from(last.attempt.0) / u64::from(crate::world::EPOCH_STRIDE);
    assert_eq!(epoch, 1, "one JobManager in the run");
    let first_after = zombie.print_rows.iter().find(|r| r.time_ms > replaced).unwrap();
    let mut trace = Trace::full();
    trace.push_data(replaced, "jm", "start", String::new(), EventData::JmStart { epoch: 2, restore: None });
    zombie.trace = trace;
    let v = at_least_once::at_least_once(&spec, &zombie, &reference);
    let f = the(&v, "zombie-output");
    assert_eq!(
        f.text,
        format!(
            "zombie output: t={} {} printed by attempt {} of JobManager epoch 1, replaced at t={replaced}",
            first_after.time_ms, first_after.value, first_after.attempt.0
        )
    );
    let a = classify(v.checker, f);
    assert_eq!((a.kind.as_str(), a.time_ms), ("zombie-output", Some(first_after.time_ms)));
}

/// A run whose trace holds only `failures` (time, failure number, backoff, cause) and whose
/// status timeline is `statuses`.
fn with_failures(
    run: &RunResult,
    failures: &[(u64, u32, Option<u64>, FailureCause)],
    statuses: &[(u64, JobStatus)],
) -> RunResult {
    let mut run = run.clone();
    let mut trace = Trace::full();
    for (at, failure, backoff_ms, cause) in failures {
        let data = EventData::Failure { failure: *failure, backoff_ms: *backoff_ms, cause: cause.clone() };
        trace.push_data(*at, "jm", "failure", String::new(), data);
    }
    run.trace = trace;
    run.status_timeline = statuses.to_vec();
    run
}

fn task_failure() -> FailureCause {
    FailureCause::Task { task: "Count[0]".into(), message: "boom".into() }
}

/// The restart checker's decision forms: (kind, moment, line) of each finding.
fn decisions_of(strategy: RestartStrategyConfig, run: &RunResult) -> Vec<(String, Option<u64>, String)> {
    restart::restart_decisions(&strategy, ckptsim::Profile::Flink23, run)
        .iter()
        .map(|f| {
            let a = classify("restart", f);
            (a.kind, a.time_ms, a.text)
        })
        .collect()
}

#[test]
fn restart_decision_forms() {
    let (_, base, _) = seed_run("003-at-least-once.toml");
    let fixed = RestartStrategyConfig::FixedDelay { attempts: 1, delay_ms: 100 };
    let s = |x: &str| x.to_string();
    // A non-recoverable failure (after a stop's savepoint) that was restarted.
    let stopping =
        FailureCause::StoppingAfterSavepoint { savepoint: CheckpointId(2), failure: Box::new(task_failure()) };
    let run = with_failures(&base, &[(500, 1, Some(100), stopping)], &[]);
    assert_eq!(
        decisions_of(fixed.clone(), &run),
        vec![(
            s("failure-non-recoverable-failure"),
            Some(500),
            s("t=500 failure #1: a non-recoverable failure restarted")
        )]
    );
    // A second restart that fixed-delay (1 attempt) does not allow.
    let run = with_failures(&base, &[(500, 1, Some(100), task_failure()), (900, 2, Some(100), task_failure())], &[]);
    assert_eq!(
        decisions_of(fixed.clone(), &run),
        vec![(
            s("failure-restart-scheduled-but"),
            Some(900),
            s("t=900 failure #2: restart scheduled but fixed-delay allows none here")
        )]
    );
    // A wrong fixed delay, and a restart suppressed that the strategy allows.
    let run = with_failures(&base, &[(500, 1, Some(50), task_failure())], &[]);
    assert_eq!(
        decisions_of(fixed.clone(), &run),
        vec![(s("wrong-backoff"), Some(500), s("t=500 failure #1: backoff 50 ms, fixed-delay says 100 ms"))]
    );
    let run = with_failures(&base, &[(500, 1, None, task_failure())], &[]);
    assert_eq!(
        decisions_of(fixed.clone(), &run),
        vec![(
            s("failure-restart-suppressed-but"),
            Some(500),
            s("t=500 failure #1: restart suppressed but fixed-delay allows one")
        )]
    );
    // An exponential backoff outside its jitter range.
    let exponential = RestartStrategyConfig::ExponentialDelay {
        initial_backoff_ms: 1000,
        max_backoff_ms: 60_000,
        multiplier: 2.0,
        reset_threshold_ms: 3_600_000,
        jitter: 0.1,
        attempts: i32::MAX.into(),
    };
    let run = with_failures(&base, &[(500, 1, Some(5000), task_failure())], &[]);
    assert_eq!(
        decisions_of(exponential, &run),
        vec![(
            s("failure-backoff-ms-exponential"),
            Some(500),
            s("t=500 failure #1: backoff 5000 ms, exponential-delay says 1000..=1100 ms")
        )]
    );
    // The job RUNNING again before the backoff ran out.
    let run = with_failures(
        &base,
        &[(500, 1, Some(100), task_failure())],
        &[(0, JobStatus::Running), (500, JobStatus::Restarting), (550, JobStatus::Running)],
    );
    assert_eq!(
        decisions_of(fixed, &run),
        vec![(
            s("failure-job-running-again"),
            Some(500),
            s("t=500 failure #1: job RUNNING again at t=550 before its backoff of 100 ms ran out")
        )]
    );
}

#[test]
fn illegal_job_transition() {
    let (spec, mut run, _) = seed_run("003-at-least-once.toml");
    assert_eq!(restart::restart(&spec, &run).passed, Some(true), "the run itself passes");
    let end = run.status_timeline.last().map_or(0, |s| s.0) + 10;
    run.status_timeline.push((end, JobStatus::Created));
    let v = restart::restart(&spec, &run);
    let last = run.status_timeline[run.status_timeline.len() - 2].1;
    let kind = format!("illegal-transition-{}-created", last.to_string().to_ascii_lowercase());
    let f = the(&v, &kind);
    assert_eq!(f.text, format!("t={end} illegal job transition {last} -> CREATED"));
    let a = classify(v.checker, f);
    assert_eq!((a.kind.as_str(), a.time_ms), (kind.as_str(), Some(end)));
    assert_eq!((a.fields["from"].as_str(), a.fields["to"].as_str()), (last.to_string().as_str(), "CREATED"));
}

/// (kind, moment, line) of each finding of `checker`, as a signature reads them (the sentence
/// carried unchanged).
pub(super) fn read_findings(checker: &str, findings: &[Finding]) -> Vec<(String, Option<u64>, String)> {
    findings
        .iter()
        .map(|f| {
            let a = classify(checker, f);
            assert_eq!(a.text, f.text, "the sentence is carried unchanged");
            (a.kind, a.time_ms, a.text)
        })
        .collect()
}

/// The (kind, moment, line) a finding is expected to read as.
pub(super) fn form(kind: &str, at: u64, text: &str) -> (String, Option<u64>, String) {
    (kind.to_string(), Some(at), text.to_string())
}
