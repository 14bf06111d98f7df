//! The `restart` checker: every restart (or failure of the job) is the decision the configured restart strategy makes.

use super::*;

/// Restart: the number of restarts and their delays as the configured strategy says; only
/// legal job status transitions; every fault of the scenario strikes once (session 37,
/// `faults_once.rs`).
pub fn restart(spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "restart";
    let mut anomalies = Vec::new();
    for w in run.status_timeline.windows(2) {
        // A SUSPENDED job is recovered by a new JobManager, which starts from CREATED.
        let recovered = w[0].1 == JobStatus::Suspended && w[1].1 == JobStatus::Created;
        // A job that ended is followed by a new job started from its retained checkpoint.
        let resumed = w[0].1.is_terminal()
            && w[1].1 == JobStatus::Created
            && run.restores.iter().any(|r| r.at_ms == w[1].0 && r.cause.is_new_job());
        // A new job whose state could not be assigned (a refused rescale) fails while it
        // initializes, before it runs (Flink: INITIALIZING -> FAILED, a JobInitializationException).
        let refused = w[0].1 == JobStatus::Created
            && w[1].1 == JobStatus::Failed
            && run.rescales.iter().any(|r| r.at_ms == w[1].0 && r.error.is_some());
        if !recovered && !resumed && !refused && !w[0].1.can_transition_to(w[1].1) {
            let (from, to) = (w[0].1.to_string(), w[1].1.to_string());
            let kind = format!("illegal-transition-{}-{}", from.to_ascii_lowercase(), to.to_ascii_lowercase());
            let text = format!("t={} illegal job transition {from} -> {to}", w[1].0);
            anomalies.push(Finding::new(kind, text).at(w[1].0).with("from", from).with("to", to));
        }
    }
    let strategy = spec.restart_strategy();
    // Counts, decisions and delays of every strategy, per JobMaster: [`restart_decisions`].
    if matches!(strategy, RestartStrategyConfig::NoRestart) && run.restarts > 0 {
        anomalies.push(Finding::new("restart-under-no-restart", format!("{} restarts under no-restart", run.restarts)));
    }
    anomalies.extend(restart_decisions(&strategy, spec.profile, run));
    let regional = regional_restarts(spec, run, &mut anomalies);
    let finished = finished_on_restore(run, &mut anomalies);
    super::faults_once::faults_strike_once(spec, run, &mut anomalies);
    super::injected_once::once_injectors_fire_once(spec, run, &mut anomalies);
    super::retry_counts::retries_run_out_in_full(spec, run, &mut anomalies);
    let mut summary = format!("{} restarts ({}), legal status transitions", run.restarts, run.restart_description);
    if regional > 0 {
        summary.push_str(&format!("; {regional} regional restart(s), each of one pipelined region"));
    }
    if finished > 0 {
        summary.push_str(&format!("; {finished} snapshot(s) of attempts restored as finished, each as finished"));
    }
    Verdict::from(NAME, anomalies, summary)
}

/// The regional-failover rule (semantics §1.7, Flink's `RestartPipelinedRegionFailoverStrategy`):
/// a restart that restored only some tasks (`RunResult::region_restores`) happens only under
/// `failover_strategy = "region"`, and restored exactly one pipelined region of the job graph —
/// a connected component of the subtask graph, computed here from the graph the scenario
/// builds, not read from the JobMaster. Jobs a rescale rebuilt are not judged (their graph is
/// another). Returns the regional restarts judged.
fn regional_restarts(spec: &JobSpec, run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    if run.region_restores.is_empty() {
        return 0;
    }
    if spec.failover != ckptsim::region::FailoverStrategy::Region {
        let (at, _, _) = &run.region_restores[0];
        let text = format!(
            "t={at} {} restart(s) restored only some tasks under failover_strategy = \"{}\" (every task restarts)",
            run.region_restores.len(),
            spec.failover
        );
        anomalies.push(Finding::new("region-restart-under-full", text).at(*at));
        return 0;
    }
    if !run.rescales.is_empty() {
        return 0;
    }
    let regions =
        ckptsim::region::Regions::compute(crate::graph::Graph::build(spec).tasks.iter().map(|t| t.inputs.as_slice()));
    for (at, attempt, tasks) in &run.region_restores {
        let whole = tasks.first().map(|t| regions.tasks(regions.of(*t)));
        if whole != Some(tasks.as_slice()) {
            let names = |ts: &[ckptsim::TaskId]| ts.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(",");
            let text = format!(
                "t={at} regional restart {attempt} restored tasks [{}], which is not a pipelined region of the job \
                 (the region of its first task is [{}])",
                names(tasks),
                whole.map(names).unwrap_or_default()
            );
            anomalies.push(Finding::new("region-restore-not-a-region", text).at(*at));
        }
    }
    run.region_restores.len()
}

/// The finished-on-restore rule (FLIP-147, 2.x): an attempt restored from a snapshot its task
/// took after its operators finished is deployed as finished (Flink's
/// `FinishedOnRestoreOperatorChain`, with `StreamTaskFinishedOnRestoreSourceInput` at a source
/// and `FinishedOnRestoreInput` at a task with inputs): it processes no record, runs no
/// `endInput` / `finish` of its operators again, and acknowledges the checkpoints it takes part
/// in (the first after the restore is its final one) with its finished state. Read from
/// `RunResult::finished_restores`, one row per snapshot such an attempt took. Returns the rows.
///
/// Only a subtask whose whole vertex finished is deployed as finished (`TaskStateAssignment
/// #isFullyFinished`); a subtask FINISHED at the trigger of a vertex still partly running, or
/// one restored from its own final checkpoint's snapshot, runs a regular chain: it acknowledges
/// as finished only after it ran `endInput` / `finish` again in this attempt (session 17).
fn finished_on_restore(run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    for s in run.finished_restores.iter().filter(|s| !s.vertex_finished) {
        if s.finished && !s.ran_end_input {
            let text = format!(
                "t={} task {} {}: restored from a finished entry of a vertex not fully finished, checkpoint {}: \
                 acknowledged as finished without running endInput/finish again (Flink deploys a subtask as \
                 finished only when its whole vertex finished; this one runs a regular chain)",
                s.at_ms, s.task.0, s.attempt, s.id.0
            );
            anomalies.push(Finding::new("finished-on-restore-partly-finished", text).at(s.at_ms));
        }
    }
    for s in run.finished_restores.iter().filter(|s| s.vertex_finished) {
        let at = format!("t={} task {} {}: restored as finished, checkpoint {}", s.at_ms, s.task.0, s.attempt, s.id.0);
        if s.ran_end_input {
            let text = format!(
                "{at}: finished-on-restore ran endInput/finish of its operators again (Flink deploys it with a \
                 FinishedOnRestoreOperatorChain: its operators do not run)"
            );
            anomalies.push(Finding::new("finished-on-restore-ran-again", text).at(s.at_ms));
        }
        if s.records_in > 0 {
            let text = format!("{at}: finished-on-restore processed {} record(s)", s.records_in);
            anomalies.push(Finding::new("finished-on-restore-processed", text).at(s.at_ms));
        }
        if s.from_finished_task && s.sink_ops > 0 {
            let text = format!(
                "{at}: finished-on-restore two-phase-commit sink sent {} store operation(s) (recovery commits, a \
                 begun transaction): Flink's FinishedOperatorChain never initialises its operators, and the \
                 checkpoint holds no state for a task FINISHED at its trigger",
                s.sink_ops
            );
            anomalies.push(Finding::new("finished-on-restore-sink-initialised", text).at(s.at_ms));
        }
        if !s.finished {
            let text = format!("{at}: finished-on-restore acknowledged with a snapshot not marked finished");
            anomalies.push(Finding::new("finished-on-restore-not-finished", text).at(s.at_ms));
        }
    }
    run.finished_restores.iter().filter(|s| s.vertex_finished).count()
}

/// One failure the JobMaster's restart strategy decided on, read back from the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Decision {
    pub(super) time_ms: u64,
    /// The JobMaster's failure number (starts at 1 again with a new JobMaster).
    pub(super) failure: u64,
    /// `Some(backoff)` when a restart was scheduled, `None` when it was suppressed.
    pub(super) backoff_ms: Option<u64>,
    /// The failure was not recoverable (2.x: a failure after the stop's savepoint completed,
    /// `StopWithSavepointStoppingException`): the job fails without asking the strategy.
    pub(super) unrecoverable: bool,
}

pub(super) fn decisions(run: &RunResult) -> Vec<Decision> {
    let mut out = Vec::new();
    for e in run.trace.events() {
        if let crate::world::trace::EventData::Failure { failure, backoff_ms, cause } = &e.data {
            let unrecoverable = matches!(cause, ckptsim::reason::FailureCause::StoppingAfterSavepoint { .. });
            out.push(Decision {
                time_ms: e.time_ms,
                failure: u64::from(*failure),
                backoff_ms: *backoff_ms,
                unrecoverable,
            });
        }
    }
    out
}

/// Re-derives every restart decision and delay of the configured strategy from the failure
/// times alone (Flink's `RestartBackoffTimeStrategy`s, semantics §4): fixed-delay counts
/// failures; failure-rate keeps a window of failure times (full at `> max`, at `>= max` in
/// 1.11, FLINK-20752) and restarts when the window is not full or its oldest failure is more
/// than the interval old; exponential-delay grows `initial * multiplier^attempt`, capped at
/// the max backoff, jittered by at most `floor(raw * jitter)` either way, never below the
/// initial backoff, and starts over after `reset_threshold` without a failure since the
/// scheduled restart. A new JobMaster (failure numbers restart at 1) starts a new strategy.
/// Also: a restart never runs before its backoff ran out.
pub(super) fn restart_decisions(
    strategy: &RestartStrategyConfig,
    profile: ckptsim::Profile,
    run: &RunResult,
) -> Vec<Finding> {
    let mut anomalies = Vec::new();
    let mut replay = StrategyReplay::default();
    let mut last_failure = 0;
    for d in decisions(run) {
        if d.failure <= last_failure {
            replay = StrategyReplay::default();
        }
        last_failure = d.failure;
        if d.unrecoverable {
            if d.backoff_ms.is_some() {
                anomalies.push(
                    Finding::named(format!(
                        "t={} failure #{}: a non-recoverable failure restarted",
                        d.time_ms, d.failure
                    ))
                    .at(d.time_ms),
                );
            }
            continue;
        }
        let t = d.time_ms;
        // (may restart, allowed backoff range)
        let (allowed, range) = replay.decide(strategy, profile, &d);
        match d.backoff_ms {
            Some(_) if !allowed => anomalies.push(
                Finding::named(format!(
                    "t={t} failure #{}: restart scheduled but {} allows none here",
                    d.failure,
                    strategy_name(strategy)
                ))
                .at(t),
            ),
            Some(b) if b < range.0 || b > range.1 => {
                let text = format!(
                    "t={t} failure #{}: backoff {b} ms, {} says {}",
                    d.failure,
                    strategy_name(strategy),
                    if range.0 == range.1 {
                        format!("{} ms", range.0)
                    } else {
                        format!("{}..={} ms", range.0, range.1)
                    }
                );
                let finding = match strategy {
                    RestartStrategyConfig::FixedDelay { .. } => Finding::new("wrong-backoff", text),
                    _ => Finding::named(text),
                };
                anomalies.push(finding.at(t))
            }
            None if allowed => anomalies.push(
                Finding::named(format!(
                    "t={t} failure #{}: restart suppressed but {} allows one",
                    d.failure,
                    strategy_name(strategy)
                ))
                .at(t),
            ),
            _ => {}
        }
        // The restart itself: the job leaves RESTARTING no earlier than the backoff allows.
        if let Some(b) = d.backoff_ms {
            // The first status change after the failure that ends the restart (a new JobMaster,
            // SUSPENDED -> CREATED, starts over and is not this restart).
            let after = run
                .status_timeline
                .iter()
                .find(|(at, s)| *at > t && matches!(s, JobStatus::Running | JobStatus::Suspended | JobStatus::Created));
            if let Some((at, JobStatus::Running)) = after {
                if *at < t + b {
                    anomalies.push(
                        Finding::named(format!(
                            "t={t} failure #{}: job RUNNING again at t={at} before its backoff of {b} ms ran out",
                            d.failure
                        ))
                        .at(t),
                    );
                }
            }
        }
    }
    anomalies
}

/// The restart strategy's state as [`restart_decisions`] replays it over one JobMaster's
/// failures.
#[derive(Default)]
struct StrategyReplay {
    /// Failure-rate: the failure times in the window.
    window: std::collections::VecDeque<u64>,
    /// Fixed-delay: the failures so far.
    count: u64,
    /// Exponential-delay: the attempt since the last reset.
    attempt: u64,
    /// Exponential-delay: when the scheduled restart runs.
    next_restart: Option<u64>,
}

impl StrategyReplay {
    /// Whether the strategy restarts after failure `d`, and the backoff range it allows.
    fn decide(
        &mut self,
        strategy: &RestartStrategyConfig,
        profile: ckptsim::Profile,
        d: &Decision,
    ) -> (bool, (u64, u64)) {
        let t = d.time_ms;
        match *strategy {
            RestartStrategyConfig::NoRestart => (false, (0, 0)),
            RestartStrategyConfig::FixedDelay { attempts, delay_ms } => {
                self.count += 1;
                (self.count <= attempts.max(0) as u64, (delay_ms as u64, delay_ms as u64))
            }
            RestartStrategyConfig::FailureRate { max_failures_per_interval, interval_ms, delay_ms } => {
                let max = max_failures_per_interval.max(0) as usize;
                let full = |w: &std::collections::VecDeque<u64>| {
                    if profile.failure_rate_full_at_max() {
                        w.len() >= max
                    } else {
                        w.len() > max
                    }
                };
                if full(&self.window) {
                    self.window.pop_front();
                }
                self.window.push_back(t);
                let ok = !full(&self.window) || t.saturating_sub(self.window[0]) > interval_ms as u64;
                (ok, (delay_ms as u64, delay_ms as u64))
            }
            RestartStrategyConfig::ExponentialDelay {
                initial_backoff_ms,
                max_backoff_ms,
                multiplier,
                reset_threshold_ms,
                jitter,
                attempts,
            } => {
                if self.next_restart.is_some_and(|n| t <= n) {
                    // Merged into the scheduled restart: the remaining wait.
                    let n = self.next_restart.unwrap_or(t);
                    (self.attempt <= attempts as u64, (n - t, n - t))
                } else {
                    if self.next_restart.is_none_or(|n| t - n >= reset_threshold_ms as u64) {
                        self.attempt = 0;
                    }
                    let (initial, max) = (initial_backoff_ms as u64, max_backoff_ms as u64);
                    let raw_f = initial as f64 * multiplier.powf(self.attempt as f64);
                    let raw = if raw_f.is_nan() || raw_f >= i64::MAX as f64 { i64::MAX as u64 } else { raw_f as u64 };
                    let j = ((raw as f64 * jitter) as u64).min(raw);
                    let clamp = |x: u64| x.min(max).max(initial);
                    let range = (clamp(raw - j), clamp(raw.saturating_add(j)));
                    self.attempt += 1;
                    self.next_restart = Some(t + d.backoff_ms.unwrap_or(range.0));
                    (self.attempt <= attempts as u64, range)
                }
            }
        }
    }
}

pub(super) fn strategy_name(s: &RestartStrategyConfig) -> &'static str {
    s.label()
}
