//! Delta-debugging shrinker: reduces a failing scenario (faults, actions, input, parallelism, partitions, TaskManagers, stop time, fault parameters) while the same checker or expectation keeps failing, and anchors time-based faults to protocol events.
//!
//! A candidate is accepted when it still fails the same way under every seed of
//! [`Options::seeds`] (the scenario suite reruns a second seed, so a regression must not
//! depend on one schedule). For a negative scenario (a broken variant, or `caught_by`) the
//! candidate must fail *only* that checker, so the written regression with
//! `caught_by = "<checker>"` is a passing test; for a broken variant the same candidate under
//! the correct protocol must not fail that checker (a control run), so shrinking cannot drift
//! into a false positive of the world or a checker. Passes, repeated until nothing changes or
//! the run budget is spent:
//!
//! 1. remove faults and actions (ddmin: drop chunks, halving the chunk size);
//! 2. move each time-based fault to the nearest earlier protocol event (checkpoint triggered,
//!    barrier at a task, acked, completed) where it still fails;
//! 3. remove input records (ddmin);
//! 4. lower parallelism, partitions and TaskManagers (fault targets remapped), remove
//!    stateless operators no fault names, reset cluster tuning to the defaults;
//! 5. cut the stop time (binary search, records after it dropped);
//! 6. halve fault durations, restart delays and extra latencies.
//!
//! Identity (issue 15): besides the target, a candidate must reproduce the original failure's
//! [`Signature`] under the first seed (same checker, anomaly kind, phase, operator kind and
//! fault kind), so a shrink cannot slip from one bug to another that trips the same checker
//! or expectation. An expectation target (`final_status`, `restarts`, ...) is identified by the
//! run's primary signature, so it shrinks only together with the matching checker anomaly
//! (for `final_status` the signed final status is kept too); a
//! stuck final status is signed as stuck only past every bound the JobManager would still
//! wait for (`signature::wait_bound_ms`). A stop-time cut is also refused when the candidate
//! ends with the job in a transitional status inside those bounds.

use crate::check::{self, Verdict};
use crate::emit;
use crate::outcome::{self, Outcome};
use crate::signature::{self, Signature};
use crate::spec::{ClusterSpec, ExpectSpec, FaultAt, InputSpec, JobSpec, OpKind};
use ckptsim::Variant;
use std::fmt;
use thiserror::Error;

use super::shrink_edits::{halve, names_operator, remap_targets, with_stop, without_operator};

/// What must keep failing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// This checker reports a violation.
    Checker(String),
    /// This `[expect]` entry (named as the run report names it: `final_status`, `restarts`,
    /// `exactly_once`, `output`, ...) does not hold.
    Expectation(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Checker(c) => write!(f, "checker `{c}`"),
            Target::Expectation(e) => write!(f, "expectation `{e}`"),
        }
    }
}

/// Why a shrink could not start or its result could not be written.
#[derive(Debug, Error)]
pub enum ShrinkError {
    /// The original run passes: nothing to shrink.
    #[error("the scenario does not fail under seed {seed}: every checker and expectation held")]
    DoesNotFail {
        /// The seed that was run.
        seed: u64,
    },
    /// The run fails, but not the target asked for.
    #[error("{target} does not fail under seed {seed}")]
    TargetHolds {
        /// The checker or expectation to keep failing.
        target: Target,
        /// The seed that was run.
        seed: u64,
    },
    /// `--checker` names no checker.
    #[error("unknown checker `{0}` (known: {known})", known = check::CHECKERS.join(", "))]
    UnknownChecker(String),
    /// A negative scenario's target does not fail alone.
    #[error(
        "negative scenario: besides {target}, {others} also fail(s) under seed {seed}; a regression can name \
         only one checker in caught_by (start from a run where only that one fails)"
    )]
    NotExclusive {
        /// The checker to keep failing.
        target: Target,
        /// The other failing checkers, comma-separated.
        others: String,
        /// The seed that was run.
        seed: u64,
    },
    /// The regression file written does not load again (its error).
    #[error("the written scenario does not load: {0}")]
    WrittenInvalid(String),
    /// The regression file written loads but no longer fails the target.
    #[error("the written scenario does not fail the same way any more")]
    WrittenPasses,
}

/// Knobs of one shrink.
#[derive(Clone, Debug)]
pub struct Options {
    /// Every seed must keep failing; the first is the scenario's seed in the written file.
    pub seeds: Vec<u64>,
    /// Upper bound on simulation runs (each seed of each candidate counts).
    pub max_runs: usize,
}

/// How big a scenario is, for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Size {
    /// Input records (or lines).
    pub records: usize,
    /// `[[faults]]` entries.
    pub faults: usize,
    /// `[[actions]]` entries.
    pub actions: usize,
    /// Sum of the task operators' parallelism.
    pub parallelism: u32,
    /// Log partitions (1 for socket input).
    pub partitions: u32,
    /// TaskManagers of the cluster.
    pub task_managers: u32,
    /// The run's length in virtual time, ms.
    pub stop_at_ms: u64,
}

impl Size {
    /// The size of `spec`.
    pub fn of(spec: &JobSpec) -> Size {
        Size {
            records: spec.input.len(),
            faults: spec.faults.len(),
            actions: spec.actions.len(),
            parallelism: spec.operators.iter().filter(|o| is_task(&o.kind)).map(|o| o.parallelism).sum(),
            partitions: match &spec.input {
                InputSpec::Log { partitions, .. } => *partitions,
                InputSpec::Lines(_) => 1,
            },
            task_managers: spec.cluster.task_managers,
            stop_at_ms: spec.stop_at_ms,
        }
    }

    /// Strictly smaller in one measure and no bigger in any other.
    pub fn smaller_than(&self, o: &Size) -> bool {
        let le = self.records <= o.records
            && self.faults <= o.faults
            && self.actions <= o.actions
            && self.parallelism <= o.parallelism
            && self.partitions <= o.partitions
            && self.task_managers <= o.task_managers
            && self.stop_at_ms <= o.stop_at_ms;
        le && self != o
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} records, {} faults, {} actions, parallelism {}, {} partitions, {} TaskManagers, stop at {} ms",
            self.records,
            self.faults,
            self.actions,
            self.parallelism,
            self.partitions,
            self.task_managers,
            self.stop_at_ms
        )
    }
}

/// The result of a shrink.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The smallest job found that still fails the target.
    pub spec: JobSpec,
    /// The checker or expectation it fails.
    pub target: Target,
    /// Only the target checker fails (the regression is written with `caught_by`).
    pub exclusive: bool,
    /// Every accepted candidate also passed the target under the correct protocol.
    pub controlled: bool,
    /// The original job's size.
    pub before: Size,
    /// The shrunk job's size.
    pub after: Size,
    /// The target's first anomaly (or the failed expectation's detail) in the shrunk run.
    pub what_failed: String,
    /// Simulation runs spent.
    pub runs: usize,
    /// Time-based faults that were moved to a protocol event.
    pub anchored: usize,
    /// The failure's identity every accepted step kept (`None` for [`shrink_symptom_only`]).
    pub signature: Option<Signature>,
    /// A one-line description derived from the signed anomaly.
    pub description: String,
    /// One line per accepted step.
    pub log: Vec<String>,
}

fn is_task(k: &OpKind) -> bool {
    !k.is_partitioning()
}

/// Whether a scenario is a negative one: its regression names the catching checker.
pub fn is_negative(spec: &JobSpec) -> bool {
    spec.variant != Variant::Correct || spec.expect.caught_by.is_some()
}

/// The first failing checker (in [`check::CHECKERS`] order), else the first failed expectation.
pub fn failing_target(o: &Outcome) -> Option<Target> {
    if let Some(v) = o.verdicts.iter().find(|v| v.passed == Some(false)) {
        return Some(Target::Checker(v.checker.to_string()));
    }
    o.expectations.iter().find(|e| !e.held).map(|e| Target::Expectation(e.name.clone()))
}

/// Checkers other than the target that report a violation.
fn other_failures(verdicts: &[Verdict], target: &Target) -> Vec<&'static str> {
    verdicts
        .iter()
        .filter(|v| v.passed == Some(false) && !matches!(target, Target::Checker(c) if c == v.checker))
        .map(|v| v.checker)
        .collect()
}

/// Does `o` fail the way `target` says (and, when `exclusive`, only that way)?
fn fails(o: &Outcome, target: &Target, exclusive: bool) -> bool {
    let hit = match target {
        Target::Checker(c) => o.verdicts.iter().any(|v| v.checker == c && v.passed == Some(false)),
        Target::Expectation(e) => o.expectations.iter().any(|x| &x.name == e && !x.held),
    };
    hit && (!exclusive || other_failures(&o.verdicts, target).is_empty())
}

/// What the target reported in `o`.
fn what_failed(o: &Outcome, target: &Target) -> String {
    match target {
        Target::Checker(c) => o
            .verdicts
            .iter()
            .find(|v| v.checker == c)
            .and_then(|v| v.anomalies.first().map(|a| a.text.clone()))
            .unwrap_or_default(),
        Target::Expectation(e) => {
            o.expectations.iter().find(|x| &x.name == e).map(|x| x.detail.clone()).unwrap_or_default()
        }
    }
}

/// Runs `spec` under `seed`; a panic in the world counts as "not the same failure".
fn run(spec: &JobSpec, seed: u64) -> Option<Outcome> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| outcome::run(spec, seed))).ok()
}

struct Shrinker<'a> {
    target: &'a Target,
    exclusive: bool,
    seeds: &'a [u64],
    /// Also require that the correct protocol passes (broken-variant scenarios).
    control: bool,
    runs: usize,
    max_runs: usize,
    best: JobSpec,
    log: Vec<String>,
    /// The signature every candidate must reproduce under the first seed.
    identity: Option<Signature>,
    /// The identity was the original run's primary signature: it must stay primary (so the
    /// regression replays to the same signature a sweep groups it under).
    identity_is_primary: bool,
    /// For a `final_status` target: the signed final status (e.g. `stuck-restarting-...`),
    /// kept as well when a checker's anomaly is the primary identity.
    also: Option<Signature>,
    /// Set while cutting the stop time: refuse candidates that end inside a wait bound.
    guard_end: bool,
}

/// Whether the run ends with the job in a transitional status that it might still leave: the
/// stop falls inside the restart backoff, a cancel's ask timeout or the heartbeat timeout.
pub fn ends_inside_bound(spec: &JobSpec, o: &Outcome) -> bool {
    use ckptsim::status::JobStatus;
    let transitional = matches!(
        o.run.final_status,
        JobStatus::Restarting | JobStatus::Failing | JobStatus::Cancelling | JobStatus::Created
    );
    let since = o.run.status_timeline.last().map(|s| s.0).unwrap_or(0);
    transitional && o.run.stop_at_ms.saturating_sub(since) <= signature::wait_bound_ms(spec)
}

/// The identity of `target`'s failure in `o`: the earliest anomaly of a target checker, or
/// the run's primary signature for an expectation (a failing checker first, then a signed
/// final status or the expectation itself).
pub fn identity_of(spec: &JobSpec, o: &Outcome, target: &Target) -> Option<(Signature, signature::Anomaly)> {
    match target {
        Target::Checker(c) => signature::signed(spec, o)
            .into_iter()
            .filter(|(s, _)| &s.checker == c)
            .min_by_key(|(_, a)| a.time_ms.unwrap_or(u64::MAX)),
        Target::Expectation(_) => signature::primary(spec, o),
    }
}

/// Whether `o` shows the failure `id`.
pub fn shows(spec: &JobSpec, o: &Outcome, id: &Signature) -> bool {
    signature::signed(spec, o).iter().any(|(s, _)| s == id)
}

impl Shrinker<'_> {
    fn budget_left(&self) -> bool {
        self.runs + self.seeds.len() * if self.control { 2 } else { 1 } <= self.max_runs
    }

    /// The control run: the same candidate under the correct protocol does not fail the
    /// target (so the variant, not the world or a checker, makes the difference).
    fn control_passes(&mut self, cand: &JobSpec) -> bool {
        let correct = JobSpec { variant: Variant::Correct, ..cand.clone() };
        self.seeds.iter().all(|&seed| {
            self.runs += 1;
            run(&correct, seed).is_some_and(|o| !fails(&o, self.target, false))
        })
    }

    /// Tests a candidate; on success it becomes the best spec.
    fn try_accept(&mut self, cand: JobSpec, what: impl FnOnce() -> String) -> bool {
        if !self.budget_left() {
            return false;
        }
        for (i, &seed) in self.seeds.iter().enumerate() {
            self.runs += 1;
            match run(&cand, seed) {
                Some(o) if fails(&o, self.target, self.exclusive) => {
                    if i == 0 {
                        if let Some(id) = &self.identity {
                            let same = if self.identity_is_primary {
                                signature::primary(&cand, &o).is_some_and(|(p, _)| &p == id)
                            } else {
                                shows(&cand, &o, id)
                            };
                            if !same || self.also.as_ref().is_some_and(|a| !shows(&cand, &o, a)) {
                                return false;
                            }
                        }
                        if self.guard_end && self.identity.is_some() && ends_inside_bound(&cand, &o) {
                            return false;
                        }
                    }
                }
                _ => return false,
            }
        }
        if self.control && !self.control_passes(&cand) {
            return false;
        }
        self.log.push(what());
        self.best = cand;
        true
    }

    /// ddmin over a list of the spec: `get` reads it, `set` builds a candidate without the
    /// removed items. Removes chunks of halving size until single items cannot be removed.
    fn ddmin<T: Clone>(
        &mut self,
        what: &str,
        get: impl Fn(&JobSpec) -> Vec<T>,
        set: impl Fn(&JobSpec, Vec<T>) -> JobSpec,
    ) -> bool {
        let mut changed = false;
        let mut n = 2usize;
        loop {
            let items = get(&self.best);
            if items.is_empty() || !self.budget_left() {
                return changed;
            }
            let chunk = items.len().div_ceil(n.min(items.len()));
            let mut removed = false;
            let mut start = 0;
            while start < items.len() {
                let end = (start + chunk).min(items.len());
                let rest: Vec<T> = items[..start].iter().chain(&items[end..]).cloned().collect();
                let cand = set(&self.best, rest);
                let len = items.len();
                if self.try_accept(cand, || format!("removed {what} {start}..{end} of {len}")) {
                    removed = true;
                    changed = true;
                    break;
                }
                start = end;
            }
            if removed {
                n = (n - 1).max(2);
            } else if chunk == 1 {
                return changed;
            } else {
                n = (n * 2).min(items.len());
            }
        }
    }

    fn remove_faults(&mut self) -> bool {
        self.ddmin("faults", |s| s.faults.clone(), |s, v| JobSpec { faults: v, ..s.clone() })
    }

    fn remove_actions(&mut self) -> bool {
        self.ddmin("actions", |s| s.actions.clone(), |s, v| JobSpec { actions: v, ..s.clone() })
    }

    fn remove_records(&mut self) -> bool {
        match &self.best.input {
            // Event time: each record keeps its timestamp (removed together).
            InputSpec::Log { partitions, .. } if !self.best.input_options.timestamps.is_empty() => {
                let p = *partitions;
                self.ddmin(
                    "records",
                    |s| match &s.input {
                        InputSpec::Log { records, .. } => {
                            records.to_listed().into_iter().zip(s.input_options.timestamps.iter().copied()).collect()
                        }
                        InputSpec::Lines(_) => vec![],
                    },
                    move |s, v: Vec<((u64, u32, String), i64)>| {
                        let (records, timestamps): (Vec<_>, Vec<_>) = v.into_iter().unzip();
                        let mut c =
                            JobSpec { input: InputSpec::Log { partitions: p, records: records.into() }, ..s.clone() };
                        c.input_options.timestamps = timestamps;
                        c
                    },
                )
            }
            InputSpec::Log { partitions, .. } => {
                let p = *partitions;
                self.ddmin(
                    "records",
                    |s| match &s.input {
                        InputSpec::Log { records, .. } => records.to_listed(),
                        InputSpec::Lines(_) => vec![],
                    },
                    move |s, v| JobSpec { input: InputSpec::Log { partitions: p, records: v.into() }, ..s.clone() },
                )
            }
            InputSpec::Lines(_) => self.ddmin(
                "lines",
                |s| match &s.input {
                    InputSpec::Lines(l) => l.clone(),
                    InputSpec::Log { .. } => vec![],
                },
                |s, v| JobSpec { input: InputSpec::Lines(v), ..s.clone() },
            ),
        }
    }

    /// Protocol events of the best spec's run (first seed) at or before `t`, nearest first.
    fn anchors_before(&mut self, t: u64) -> Vec<FaultAt> {
        if !self.budget_left() {
            return vec![];
        }
        self.runs += 1;
        let Some(o) = run(&self.best, self.seeds[0]) else { return vec![] };
        let barrier_tasks: Vec<String> = {
            // Every subtask of every non-source task operator (a barrier reaches it through a
            // channel; sources get theirs from the coordinator).
            let mut v = Vec::new();
            for o in self.best.operators.iter().skip(1).filter(|o| is_task(&o.kind)) {
                for i in 0..o.parallelism {
                    v.push(format!("{}[{i}]", o.name));
                }
            }
            v
        };
        let mut events: Vec<(u64, u8, FaultAt)> = Vec::new();
        for r in o.run.checkpoints.iter().filter(|r| !r.savepoint) {
            let k = r.id.0;
            if r.trigger_ms <= t {
                events.push((r.trigger_ms, 0, FaultAt::Triggered { checkpoint: k }));
                for task in &barrier_tasks {
                    // Barriers arrive shortly after the trigger; the exact time is not needed.
                    events.push((r.trigger_ms, 1, FaultAt::BarrierAt { checkpoint: k, task: task.clone() }));
                }
            }
            if r.outcome == "COMPLETED" {
                if let Some(e) = r.end_ms.filter(|e| *e <= t) {
                    events.push((e, 2, FaultAt::Acked { checkpoint: k }));
                    events.push((e, 3, FaultAt::Completed { checkpoint: k }));
                }
            }
        }
        // Nearest first; at one time the later protocol step first.
        events.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
        events.into_iter().map(|(_, _, a)| a).take(4 + barrier_tasks.len()).collect()
    }

    /// Moves time-based faults to protocol events where the run still fails.
    fn anchor_faults(&mut self) -> usize {
        let mut anchored = 0;
        for i in 0..self.best.faults.len() {
            let FaultAt::Time(t) = self.best.faults[i].at else { continue };
            for a in self.anchors_before(t) {
                let mut cand = self.best.clone();
                let text = emit::anchor_text(&a).unwrap_or_default();
                cand.faults[i].at = a;
                if self.try_accept(cand, || format!("fault {i}: at_ms = {t} -> on = {text}")) {
                    anchored += 1;
                    break;
                }
            }
        }
        anchored
    }

    /// Lowers parallelism (all task operators to 1, then each one alone to 1 or half),
    /// partitions and TaskManagers; fault targets beyond the new bounds are remapped.
    fn reduce_topology(&mut self) -> bool {
        let mut changed = false;
        let all_one = {
            let mut c = self.best.clone();
            for o in c.operators.iter_mut() {
                o.parallelism = 1;
            }
            remap_targets(&mut c);
            c
        };
        if Size::of(&all_one).parallelism < Size::of(&self.best).parallelism {
            changed |= self.try_accept(all_one, || "parallelism 1 everywhere".into());
        }
        for i in 0..self.best.operators.len() {
            let p = self.best.operators[i].parallelism;
            if p <= 1 || !is_task(&self.best.operators[i].kind) {
                continue;
            }
            for q in [1, p / 2] {
                if q == 0 || q >= p {
                    continue;
                }
                let mut c = self.best.clone();
                c.operators[i].parallelism = q;
                remap_targets(&mut c);
                let name = c.operators[i].name.clone();
                if self.try_accept(c, || format!("{name}: parallelism {p} -> {q}")) {
                    changed = true;
                    break;
                }
            }
        }
        if let InputSpec::Log { partitions, records } = self.best.input.clone() {
            let p = partitions;
            for q in [1, p / 2] {
                if q == 0 || q >= p {
                    continue;
                }
                let records: Vec<(u64, u32, String)> =
                    records.iter().map(|(t, part, v)| (t, part % q, v.into_owned())).collect();
                let c =
                    JobSpec { input: InputSpec::Log { partitions: q, records: records.into() }, ..self.best.clone() };
                if self.try_accept(c, || format!("partitions {p} -> {q}")) {
                    changed = true;
                    break;
                }
            }
        }
        let tms = self.best.cluster.task_managers;
        if tms > 1 {
            let mut c = self.best.clone();
            c.cluster.task_managers = 1;
            remap_targets(&mut c);
            changed |= self.try_accept(c, || format!("task managers {tms} -> 1"));
        }
        changed
    }

    /// Resets the cluster's tuning (buffers, latencies, costs, heartbeats) to the scenario
    /// defaults, keeping the number of TaskManagers.
    fn default_cluster(&mut self) -> bool {
        let d = ClusterSpec { task_managers: self.best.cluster.task_managers, ..ClusterSpec::default() };
        if self.best.cluster == d {
            return false;
        }
        let c = JobSpec { cluster: d, ..self.best.clone() };
        self.try_accept(c, || "cluster settings back to the defaults".into())
    }

    /// Removes stateless operators (map, flat_map, filter, rebalance) that no fault names.
    fn remove_operators(&mut self) -> bool {
        let mut changed = false;
        let mut i = 1;
        while i + 1 < self.best.operators.len() {
            let o = &self.best.operators[i];
            let stateless =
                matches!(o.kind, OpKind::Map(_) | OpKind::FlatMap(_) | OpKind::Filter(_) | OpKind::Rebalance);
            if stateless && !names_operator(&self.best, &o.name) {
                let mut c = self.best.clone();
                let name = without_operator(&mut c, i);
                if self.try_accept(c, || format!("removed operator {name}")) {
                    changed = true;
                    continue;
                }
            }
            i += 1;
        }
        changed
    }

    /// Binary search for the earliest stop time (100 ms steps) that still fails; input after
    /// it is dropped.
    fn cut_stop(&mut self) -> bool {
        let s = &self.best;
        let floor = s
            .faults
            .iter()
            .filter_map(|f| match f.at {
                FaultAt::Time(t) => Some(t + 1),
                _ => None,
            })
            .chain(s.actions.iter().filter_map(|a| match a.at {
                FaultAt::Time(t) => Some(t + 1),
                _ => None,
            }))
            .chain(s.operators.iter().flat_map(|o| {
                o.injectors.iter().filter_map(|i| match i {
                    ckptsim::operator::FailureInjector::AtTime { at_ms } => Some(*at_ms + 1),
                    _ => None,
                })
            }))
            .max()
            .unwrap_or(1);
        let (mut lo, mut hi) = (floor.div_ceil(100), s.stop_at_ms / 100);
        let mut changed = false;
        self.guard_end = true;
        while lo < hi && self.budget_left() {
            let mid = (lo + hi) / 2;
            let cand = with_stop(&self.best, mid * 100);
            let from = self.best.stop_at_ms;
            if self.try_accept(cand, || format!("stop_at_ms {from} -> {}", mid * 100)) {
                hi = mid;
                changed = true;
            } else {
                lo = mid + 1;
            }
        }
        self.guard_end = false;
        changed
    }

    /// Halves durations, restart delays and added latencies while it still fails.
    fn simplify_faults(&mut self) -> bool {
        let mut changed = false;
        for i in 0..self.best.faults.len() {
            loop {
                let f = &self.best.faults[i];
                let Some(smaller) = halve(f) else { break };
                let mut c = self.best.clone();
                c.faults[i] = smaller;
                let before = format!("{:?}", self.best.faults[i]);
                if !self.try_accept(c, || format!("fault {i}: halved ({before})")) {
                    break;
                }
                changed = true;
            }
        }
        changed
    }
}

/// Whether a fault or anchor names operator `name` (alone or as `name[i]`).
/// Whether `spec` under `seed` fails the way `target` says (only that way for a negative
/// scenario's checker), as the shrinker requires of every seed.
pub fn still_fails(spec: &JobSpec, target: &Target, seed: u64) -> bool {
    let exclusive = is_negative(spec) && matches!(target, Target::Checker(_));
    run(spec, seed).is_some_and(|o| fails(&o, target, exclusive))
}

/// Whether `spec` under `seed` fails the way `target` says, only that way when `exclusive`.
fn still_fails_as(spec: &JobSpec, target: &Target, seed: u64, exclusive: bool) -> bool {
    run(spec, seed).is_some_and(|o| fails(&o, target, exclusive))
}

/// Checks the target against the original run and returns whether the shrink must be
/// exclusive (negative scenario).
fn precheck(spec: &JobSpec, target: &Target, seeds: &[u64]) -> Result<bool, ShrinkError> {
    if let Target::Checker(c) = target {
        if !check::CHECKERS.contains(&c.as_str()) {
            return Err(ShrinkError::UnknownChecker(c.clone()));
        }
    }
    let exclusive = is_negative(spec) && matches!(target, Target::Checker(_));
    for &seed in seeds {
        let o = outcome::run(spec, seed);
        if !fails(&o, target, false) {
            return Err(ShrinkError::TargetHolds { target: target.clone(), seed });
        }
        if exclusive {
            let others = other_failures(&o.verdicts, target);
            if !others.is_empty() {
                return Err(ShrinkError::NotExclusive { target: target.clone(), others: others.join(", "), seed });
            }
        }
    }
    Ok(exclusive)
}

/// Shrinks `spec` while `target` keeps failing under every seed of `opts.seeds` and the
/// failure keeps its identity (the original run's signature) under the first seed.
pub fn shrink(spec: &JobSpec, target: &Target, opts: &Options) -> Result<Shrunk, ShrinkError> {
    shrink_inner(spec, target, opts, true, None)
}

/// [`shrink`] of a failure a sweep found: never exclusive (a planted variant may trip several
/// checkers at once; the signature, not `caught_by`, says which failure to keep), so the
/// regression keeps the failing expectations. A broken variant still gets its control runs.
pub fn shrink_failure(spec: &JobSpec, target: &Target, opts: &Options) -> Result<Shrunk, ShrinkError> {
    shrink_inner(spec, target, opts, true, Some(false))
}

/// The shrink before issue 15: only the target must keep failing, whatever the anomaly. Kept
/// to measure slippage against [`shrink`] (tests, BENCHMARKS.md); do not write regressions
/// with it.
pub fn shrink_symptom_only(spec: &JobSpec, target: &Target, opts: &Options) -> Result<Shrunk, ShrinkError> {
    shrink_inner(spec, target, opts, false, Some(false))
}

fn shrink_inner(
    spec: &JobSpec,
    target: &Target,
    opts: &Options,
    keep_identity: bool,
    exclusive_override: Option<bool>,
) -> Result<Shrunk, ShrinkError> {
    assert!(!opts.seeds.is_empty(), "at least one seed");
    let exclusive = match exclusive_override {
        Some(x) => {
            if let Target::Checker(c) = target {
                if !check::CHECKERS.contains(&c.as_str()) {
                    return Err(ShrinkError::UnknownChecker(c.clone()));
                }
            }
            if !still_fails_as(spec, target, opts.seeds[0], x) {
                return Err(ShrinkError::TargetHolds { target: target.clone(), seed: opts.seeds[0] });
            }
            x
        }
        None => precheck(spec, target, &opts.seeds)?,
    };
    let (identity, identity_is_primary, also) = if keep_identity {
        let o = outcome::run(spec, opts.seeds[0]);
        let id = identity_of(spec, &o, target).map(|x| x.0);
        let primary = signature::primary(spec, &o).map(|x| x.0);
        let is_primary = id.is_some() && id == primary;
        let also = match target {
            Target::Expectation(e) if e == "final_status" => {
                signature::final_status_anomaly(spec, &o).map(|a| signature::sign(&o, spec, &a))
            }
            _ => None,
        }
        .filter(|a| Some(a) != id.as_ref());
        (id, is_primary, also)
    } else {
        (None, false, None)
    };
    let mut start = spec.clone();
    for f in &mut start.faults {
        emit::normalize_fault(f);
    }
    let mut s = Shrinker {
        target,
        exclusive,
        seeds: &opts.seeds,
        control: spec.variant != Variant::Correct,
        runs: opts.seeds.len(),
        max_runs: opts.max_runs,
        best: spec.clone(),
        log: vec![],
        identity: identity.clone(),
        identity_is_primary,
        also,
        guard_end: false,
    };
    if start.faults != spec.faults {
        s.try_accept(start, || "slow-snapshot split as a scenario writes it".into());
    }
    // Output and duplicate expectations are about the input itself: keep it.
    let keep_input = matches!(target, Target::Expectation(e) if e == "output" || e == "duplicates");
    let mut anchored = 0;
    loop {
        let before = Size::of(&s.best);
        let faults_before = s.best.faults.clone();
        s.remove_faults();
        s.remove_actions();
        anchored += s.anchor_faults();
        if !keep_input {
            s.remove_records();
        }
        s.reduce_topology();
        s.remove_operators();
        s.default_cluster();
        if !keep_input {
            s.cut_stop();
        }
        s.simplify_faults();
        if (Size::of(&s.best) == before && s.best.faults == faults_before) || !s.budget_left() {
            break;
        }
    }
    let seed = opts.seeds[0];
    s.runs += 1;
    let o = outcome::run(&s.best, seed);
    let description = identity_of(&s.best, &o, target)
        .map(|(sig, a)| signature::describe(&sig, &a))
        .unwrap_or_else(|| format!("{target} fails."));
    Ok(Shrunk {
        signature: identity,
        description,
        what_failed: what_failed(&o, target),
        before: Size::of(spec),
        after: Size::of(&s.best),
        spec: s.best,
        target: target.clone(),
        exclusive,
        controlled: s.control,
        runs: s.runs,
        anchored,
        log: s.log,
    })
}

/// The regression scenario of a shrink: named `name`, default seed = the first seed, and
/// `[expect]` = `caught_by` for a negative scenario, else the original's expectations
/// (without output-table snapshots, which belong to the original's name).
pub fn regression_spec(shrunk: &Shrunk, name: &str, seed: u64) -> JobSpec {
    let mut spec = shrunk.spec.clone();
    spec.name = name.to_string();
    spec.default_seed = seed;
    spec.expect = match (&shrunk.target, shrunk.exclusive) {
        (Target::Checker(c), true) => ExpectSpec { caught_by: Some(c.clone()), ..ExpectSpec::default() },
        _ => ExpectSpec { snapshot: false, ..spec.expect.clone() },
    };
    spec
}

/// The regression file: header (what failed, checker, seed, sizes, replay, `note`) + TOML.
pub fn regression_toml(
    shrunk: &Shrunk,
    spec: &JobSpec,
    path: &str,
    original: &str,
    seeds: &[u64],
    note: &str,
) -> String {
    let seed = spec.default_seed;
    let mut h = String::new();
    h.push_str(&format!("Regression shrunk by `ckptsim shrink` from {original} (seed {seed}).\n"));
    if !note.is_empty() {
        h.push_str(note.trim_end());
        h.push('\n');
    }
    let variant = if spec.variant == Variant::Correct {
        "the correct protocol".to_string()
    } else {
        format!("the broken variant `{}`", spec.variant)
    };
    if let Some(sig) = &shrunk.signature {
        h.push_str(&format!("Signature: {sig}\n"));
    }
    h.push_str(&format!("Description: {}\n", shrunk.description));
    h.push_str(&format!("What failed: {} under {variant}: {}\n", shrunk.target, shrunk.what_failed));
    if shrunk.exclusive {
        h.push_str("Expected: the test passes when exactly that checker catches the bug (caught_by).\n");
    } else {
        h.push_str(
            "Expected: every checker and [expect] entry holds once the bug is fixed (this is the failing run).\n",
        );
    }
    if shrunk.controlled {
        h.push_str("Control: with variant = \"correct\" the same scenario passes that checker.\n");
    }
    h.push_str(&format!("Before: {}\nAfter:  {}\n", shrunk.before, shrunk.after));
    if shrunk.anchored > 0 {
        h.push_str(&format!("{} time-based fault(s) anchored to protocol events.\n", shrunk.anchored));
    }
    let others: Vec<String> = seeds.iter().skip(1).map(|s| s.to_string()).collect();
    if !others.is_empty() {
        h.push_str(&format!("Fails the same way under seed(s) {} too.\n", others.join(", ")));
    }
    h.push_str(&format!("Replay: cargo run --release -- run {path} --seed {seed}\n"));
    emit::to_toml(spec, &h)
}

/// Loads the written text back and checks that it still fails the same way under every seed.
pub fn verify_written(text: &str, target: &Target, exclusive: bool, seeds: &[u64]) -> Result<JobSpec, ShrinkError> {
    let sc = crate::scenario::parse("shrunk.toml", text).map_err(|e| ShrinkError::WrittenInvalid(e.to_string()))?;
    let spec = crate::load::to_spec(&sc, "shrunk.toml");
    for &seed in seeds {
        match run(&spec, seed) {
            Some(o) if fails(&o, target, exclusive) => {}
            _ => return Err(ShrinkError::WrittenPasses),
        }
    }
    Ok(spec)
}
