//! Failure signatures: each checker anomaly as a typed [`Anomaly`] (checker, kind, time, fields) and a stable short [`Signature`] (checker, kind, normalised protocol location: phase, operator kind, fault kind) used to deduplicate sweeps and to keep a shrink on the same bug.
//!
//! The checkers report anomalies as lines of text (`check/`); [`classify`] turns each line
//! into a typed anomaly with one table of the message forms the checkers write, so the
//! checkers stay untouched. A line no entry matches still gets a kind (its leading words,
//! digits dropped), so a new checker's anomalies are signed too, only less finely.
//!
//! A signature leaves out everything that changes from seed to seed or with the size of the
//! scenario (record numbers, keys, times, task indices, operator names): two runs that fail
//! through the same protocol path after the same kind of fault share it. The fault is the one
//! behind the job's last failure before the anomaly (a restore's cause), not whatever fault
//! happened to be running: in a swarm run several faults overlap, and the last one to start
//! is usually a bystander.
//!
//! A failed `final_status` expectation with no checker behind it is signed as *stuck* only
//! when the job stayed in its transitional status (RESTARTING, FAILING, CANCELLING, CREATED)
//! past every bound the JobManager would still wait for ([`wait_bound_ms`]): the restart
//! backoff, a cancel RPC's ask timeout and the heartbeat timeout. A run that stops inside
//! those bounds signs as `ended-inside-bound`, a different signature, so a shrink that cuts the
//! stop time into a legitimate restart is never accepted as the same failure.

use crate::check::{Finding, Verdict, CHECKERS};
use crate::outcome::Outcome;
use crate::spec::{FaultName, JobSpec, OpKind};
use ckptsim::config::RestartStrategyConfig;
use ckptsim::status::JobStatus;
use std::collections::BTreeMap;
use std::fmt;

/// The RPC ask timeout (Flink's `akka.ask.timeout` / `pekko.ask.timeout`, 10 s): how long the
/// JobManager waits for a cancel or deploy to be answered before acting on its own.
pub const ASK_TIMEOUT_MS: u64 = 10_000;

/// One anomaly, typed: which checker, what kind, when (if it names a moment), and the fields
/// its text carries (`input`, `key`, `from`, `to`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anomaly {
    /// The checker that reported it (a name in [`crate::check::CHECKERS`]).
    pub checker: String,
    /// Stable kebab-case kind (`duplicate-commit`, `lost-commit`, `offset-before-completion`,
    /// `stuck-restarting`, ...).
    pub kind: String,
    /// The virtual time the anomaly names, if any.
    pub time_ms: Option<u64>,
    /// Named values from the checker's line (`input`, `key`, `from`, `to`, ...).
    pub fields: BTreeMap<&'static str, String>,
    /// The checker's own line.
    pub text: String,
}

/// A failure's identity: checker, anomaly kind and where in the protocol it happened.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signature {
    /// The checker that failed.
    pub checker: String,
    /// The anomaly kind (as in [`Anomaly::kind`]).
    pub kind: String,
    /// Job phase at the anomaly (`running`, `running-restored`, `restarting`, ...; `end` for
    /// anomalies about the run as a whole).
    pub phase: String,
    /// Kind of the operator involved (`two-phase-commit-sink`, `log-source`, `sum`, `jm`).
    pub operator: String,
    /// Kind of the fault behind the job's last failure before the anomaly (`none` when it had
    /// not failed; `-` for anomalies about the whole run).
    pub fault: String,
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}@{}:{}:{}", self.checker, self.kind, self.phase, self.operator, self.fault)
    }
}

impl Signature {
    /// Parses the [`fmt::Display`] form back (for regression headers).
    pub fn parse(s: &str) -> Option<Signature> {
        let (checker, rest) = s.trim().split_once('/')?;
        let (kind, loc) = rest.split_once('@')?;
        let mut parts = loc.splitn(3, ':');
        let (phase, operator, fault) = (parts.next()?, parts.next()?, parts.next()?);
        Some(Signature {
            checker: checker.into(),
            kind: kind.into(),
            phase: phase.into(),
            operator: operator.into(),
            fault: fault.into(),
        })
    }

    /// Eight hex digits of the signature (FNV-1a), for file names.
    pub fn short_hash(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.to_string().bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        format!("{:08x}", (h >> 32) as u32)
    }

    /// A file-name-safe slug: `exactly-once-duplicate-commit-3f2a91c0`.
    pub fn slug(&self) -> String {
        format!("{}-{}-{}", self.checker, self.kind, self.short_hash())
    }
}

/// Turns one finding into a typed anomaly from its kind, moment and fields; the sentence is
/// carried, never read (a user checker's bare line has its checker's name as kind, see
/// [`super::Verdict::new`]).
pub fn classify(checker: &str, f: &Finding) -> Anomaly {
    Anomaly {
        checker: checker.to_string(),
        kind: f.kind_name(),
        time_ms: f.moment(),
        fields: f.fields.clone(),
        text: f.text.clone(),
    }
}

/// Flink-style kebab name of an operator kind.
pub fn op_kind_name(k: &OpKind) -> &'static str {
    match k {
        OpKind::SocketSource => "socket-source",
        OpKind::LogSource { .. } => "log-source",
        OpKind::Map(_) => "map",
        OpKind::FlatMap(_) => "flat_map",
        OpKind::Filter(_) => "filter",
        OpKind::Rebalance => "rebalance",
        OpKind::KeyBy => "key_by",
        OpKind::PrintSink => "print-sink",
        OpKind::TwoPhaseCommitSink => "two-phase-commit-sink",
        OpKind::User(_) => "user",
        OpKind::Union => "union",
        OpKind::Connect(..) => "connect",
        OpKind::Join => "join",
        OpKind::EventJoin(_) => "event_join",
        OpKind::Broadcast => "broadcast",
        OpKind::BroadcastProcess { .. } => "broadcast_process",
        OpKind::EventWindow(_) => "event_window",
        _ => "keyed",
    }
}

/// The kind of operator a checker's anomalies are about.
fn operator_of(spec: &JobSpec, checker: &str) -> String {
    let find = |pred: &dyn Fn(&OpKind) -> bool| {
        spec.operators.iter().find(|o| pred(&o.kind)).map(|o| op_kind_name(&o.kind).to_string())
    };
    let op = match checker {
        "exactly-once" | "at-least-once" => find(&|k| k.is_sink()),
        "offsets" | "stop" => find(&|k| k.is_source()),
        "windows" => find(&|k| matches!(k, OpKind::EventWindow(_))),
        "state" => {
            let i = spec.operators.iter().position(|o| matches!(o.kind, OpKind::KeyBy));
            i.and_then(|i| spec.operators.get(i + 1)).map(|o| match &o.kind {
                OpKind::CountWindow { .. } => "count_window".to_string(),
                _ => "keyed".to_string(),
            })
        }
        _ => None,
    };
    op.unwrap_or_else(|| "jm".into())
}

/// Fault starts in the trace: (time, kebab kind), in time order. A task that throws (a
/// `task-failure` fault or an injector such as `fail_on_value`) counts as `task-failure`.
fn fault_starts(o: &Outcome) -> Vec<(u64, FaultName)> {
    o.run
        .trace
        .events()
        .iter()
        .filter_map(|e| match &e.data {
            crate::world::trace::EventData::Fault { start: true, kind, .. } => Some((e.time_ms, *kind)),
            // A task throwing: a task-failure fault or a failure injector of the operator.
            crate::world::trace::EventData::Injected { .. } => Some((e.time_ms, FaultName::TaskFailure)),
            _ => None,
        })
        .collect()
}

/// The fault behind the anomaly at `t`: the kind of the last disruptive fault (else of any
/// fault) that started at or before the job's last failure (RESTARTING, FAILING or a
/// JobManager loss) before `t`; `none` when the job had not failed by then. A fault that was
/// merely running at the time (a slow link, a delay) is not the cause of a restore.
fn cause_fault(o: &Outcome, t: u64) -> String {
    let failed_at = o
        .run
        .status_timeline
        .iter()
        .filter(|(at, s)| *at <= t && matches!(s, JobStatus::Restarting | JobStatus::Failing | JobStatus::Suspended))
        .map(|(at, _)| *at)
        .next_back();
    let Some(ft) = failed_at else { return "none".into() };
    let starts: Vec<(u64, FaultName)> = fault_starts(o).into_iter().filter(|(at, _)| *at <= ft).collect();
    starts
        .iter()
        .rev()
        .find(|(_, k)| k.is_disruptive())
        .or_else(|| starts.last())
        .map(|(_, k)| k.to_string())
        .unwrap_or_else(|| "none".into())
}

/// The job phase at `t`: the status then, `-restored` once a restart happened before it.
fn phase_at(o: &Outcome, t: u64) -> String {
    let tl = &o.run.status_timeline;
    let status = tl.iter().take_while(|(at, _)| *at <= t).last().map(|s| s.1).unwrap_or(JobStatus::Created);
    let restored = tl.iter().any(|(at, s)| *at <= t && *s == JobStatus::Restarting);
    let mut p = status.name().to_ascii_lowercase();
    if restored && status != JobStatus::Restarting {
        p.push_str("-restored");
    }
    p
}

/// The signature of one anomaly of `o`.
pub fn sign(o: &Outcome, spec: &JobSpec, a: &Anomaly) -> Signature {
    let (phase, fault) = match a.time_ms {
        Some(t) => (phase_at(o, t), cause_fault(o, t)),
        None => ("end".to_string(), "-".to_string()),
    };
    let operator = if a.checker == "expect" { "jm".to_string() } else { operator_of(spec, &a.checker) };
    Signature { checker: a.checker.clone(), kind: a.kind.clone(), phase, operator, fault }
}

/// The typed anomalies of every failing checker, in [`CHECKERS`] order (then any other
/// checker), each checker's in its own order.
pub fn anomalies(verdicts: &[Verdict]) -> Vec<Anomaly> {
    let rank = |c: &str| CHECKERS.iter().position(|x| *x == c).unwrap_or(CHECKERS.len());
    let mut failing: Vec<&Verdict> = verdicts.iter().filter(|v| v.passed == Some(false)).collect();
    failing.sort_by_key(|v| rank(v.checker));
    failing.iter().flat_map(|v| v.anomalies.iter().map(move |f| classify(v.checker, f))).collect()
}

/// The longest the JobManager may legitimately stay in a transitional status before the
/// configured strategy, a cancel's ask timeout and TaskManager loss detection all ran out.
pub fn wait_bound_ms(spec: &JobSpec) -> u64 {
    let strategy = spec.restart_strategy();
    let backoff = match strategy {
        RestartStrategyConfig::NoRestart => 0,
        RestartStrategyConfig::FixedDelay { delay_ms, .. } | RestartStrategyConfig::FailureRate { delay_ms, .. } => {
            delay_ms
        }
        RestartStrategyConfig::ExponentialDelay { max_backoff_ms, jitter, .. } => {
            (max_backoff_ms as f64 * (1.0 + jitter)).ceil() as i64
        }
    };
    backoff.max(0) as u64 + ASK_TIMEOUT_MS + spec.cluster.heartbeat_timeout_ms
}

/// The failed `final_status` expectation as an anomaly of the pseudo-checker `expect`:
/// `stuck-<status>` when the job stayed in a transitional status past [`wait_bound_ms`],
/// `ended-inside-bound` when the run stopped while it might still leave it, otherwise
/// `final-status-<status>`. `None` when the expectation holds or is not set.
pub fn final_status_anomaly(spec: &JobSpec, o: &Outcome) -> Option<Anomaly> {
    let want = spec.expect.final_status?;
    let got = o.run.final_status;
    if got == want {
        return None;
    }
    let since = o.run.status_timeline.last().map(|s| s.0).unwrap_or(0);
    let transitional =
        matches!(got, JobStatus::Restarting | JobStatus::Failing | JobStatus::Cancelling | JobStatus::Created);
    let stuck_ms = o.run.stop_at_ms.saturating_sub(since);
    let bound = wait_bound_ms(spec);
    let mut fields = BTreeMap::new();
    fields.insert("status", got.name().to_string());
    fields.insert("since_ms", since.to_string());
    fields.insert("bound_ms", bound.to_string());
    let (kind, text) = if transitional && stuck_ms > bound {
        let from = o.run.status_timeline.iter().rev().nth(1).map(|s| s.1.name()).unwrap_or("CREATED");
        (
            format!("stuck-{}-after-{}", got.name().to_ascii_lowercase(), from.to_ascii_lowercase()),
            format!(
                "t={since} job stuck in {got} (entered from {from}) for {stuck_ms} ms to the end, past every bound ({bound} ms: restart backoff + ask timeout + heartbeat timeout)"
            ),
        )
    } else if transitional {
        (
            "ended-inside-bound".to_string(),
            format!(
                "t={since} run ended {stuck_ms} ms into {got}, inside the {bound} ms the JobManager may still wait"
            ),
        )
    } else {
        (format!("final-status-{}", got.name().to_ascii_lowercase()), format!("expected {want}, got {got}"))
    };
    Some(Anomaly { checker: "expect".into(), kind, time_ms: Some(since), fields, text })
}

/// Every signed anomaly of a run: the failing checkers' (see [`anomalies`]), then a failed
/// `final_status`, then any other failed expectation (signed `expect/<name>@end`).
pub fn signed(spec: &JobSpec, o: &Outcome) -> Vec<(Signature, Anomaly)> {
    let mut all: Vec<Anomaly> = anomalies(&o.verdicts);
    if let Some(a) = final_status_anomaly(spec, o) {
        all.push(a);
    }
    for e in o.expectations.iter().filter(|e| !e.held) {
        if e.name == "final_status" || e.name.starts_with("checker ") || e.name.starts_with("caught_by") {
            continue;
        }
        all.push(Anomaly {
            checker: "expect".into(),
            kind: e.name.replace('_', "-"),
            time_ms: None,
            fields: BTreeMap::new(),
            text: format!("{}: {}", e.name, e.detail),
        });
    }
    all.into_iter().map(|a| (sign(o, spec, &a), a)).collect()
}

/// The run's signature: the earliest anomaly of the first failing checker (then the
/// expectations). `None` for a run with nothing to sign.
pub fn primary(spec: &JobSpec, o: &Outcome) -> Option<(Signature, Anomaly)> {
    let all = signed(spec, o);
    let first_checker = all.first()?.0.checker.clone();
    all.into_iter().filter(|(s, _)| s.checker == first_checker).min_by_key(|(_, a)| a.time_ms.unwrap_or(u64::MAX))
}

/// A one-line, placeholder-free description of a failure, derived from its anomaly.
pub fn describe(sig: &Signature, a: &Anomaly) -> String {
    let what = match a.kind.as_str() {
        "duplicate-commit" => "an input was committed more than once by the two-phase-commit sink".to_string(),
        "duplicate-within-attempt" => "an input was printed twice by one attempt (not a replay)".to_string(),
        "lost-commit" => "an input covered by a completed checkpoint was never committed".to_string(),
        "lost-print" => "an input covered by the newest completed checkpoint was never printed".to_string(),
        "lost-copy" => {
            "an input reached the sink by fewer of its paths through the job graph than the graph has".into()
        }
        "offset-before-completion" => "source offsets reached the broker before their checkpoint completed".into(),
        "offset-backwards" => "a committed source offset went backwards".into(),
        "window-lost" => "an event-time window with an element surely on time never produced a result".into(),
        "window-wrong-value" => "an event-time window result no set of the window's elements explains".into(),
        "window-fired-twice" => "an event-time window was committed more often than Flink fires it".into(),
        "late-misjudged" => "an element surely on time went to the late side output".into(),
        "key-misplaced-by-rescale" => {
            "a rescale restored a key's state into a subtask that does not own its key group".into()
        }
        "min-pause-violated" => "a checkpoint was triggered before the minimum pause had passed".into(),
        "too-many-pending" => "more checkpoints were pending than max-concurrent allows".into(),
        "completed-without-ack" => {
            "a checkpoint completed without the ack of a task not FINISHED at its trigger".into()
        }
        "partly-finished-union" => "a checkpoint completed with a vertex with union list state partly finished".into(),
        "too-many-restarts" => "the job restarted more often than the fixed-delay strategy allows".into(),
        "too-few-restarts" => "the job failed before the fixed-delay strategy's attempts were used".into(),
        "no-checkpoint-after-heal" => "no checkpoint completed within the liveness bound after the last fault".into(),
        k if k.starts_with("stuck-") => {
            format!("the job stayed {} to the end, past every restart and timeout bound", a.fields["status"])
        }
        k if k.starts_with("sink-store-") => format!("the transactional sink store saw {}", k.replace('-', " ")),
        k if k.starts_with("illegal-transition-") => format!(
            "illegal job status transition {} -> {}",
            a.fields.get("from").map(String::as_str).unwrap_or("?"),
            a.fields.get("to").map(String::as_str).unwrap_or("?")
        ),
        k => format!("{} ({})", k.replace('-', " "), sig.checker),
    };
    let whence = match (sig.phase.as_str(), sig.fault.as_str()) {
        ("end", _) => String::new(),
        (p, "none") => format!(" while {p}, no fault before it"),
        (p, f) => format!(" while {p}, after a {f} fault"),
    };
    let by = if sig.checker == "expect" {
        "the scenario's [expect]".to_string()
    } else {
        format!("the {} checker", sig.checker)
    };
    format!("{what}{whence} (found by {by}).")
}

/// At most `n` anomaly lines of a run, then `... K more`: a sweep's bounded reason.
pub fn bounded_reason(all: &[(Signature, Anomaly)], n: usize, max_chars: usize) -> String {
    let mut parts: Vec<String> = all
        .iter()
        .take(n)
        .map(|(_, a)| {
            let t = format!("{}: {}", a.checker, a.text);
            if t.len() > max_chars {
                let cut = (0..=max_chars).rev().find(|i| t.is_char_boundary(*i)).unwrap_or(0);
                format!("{}…", &t[..cut])
            } else {
                t
            }
        })
        .collect();
    if all.len() > n {
        parts.push(format!("... {} more", all.len() - n));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checker_finding_keeps_its_kind_moment_and_fields() {
        let f = Finding::new(
            "duplicate-commit",
            "duplicate: input #309 (sub 0) committed 2 times at [4348, 5122] ms".into(),
        )
        .at(5122)
        .with("input", 309);
        let a = classify("exactly-once", &f);
        assert_eq!((a.kind.as_str(), a.time_ms), ("duplicate-commit", Some(5122)));
        assert_eq!(a.fields["input"], "309");
        assert_eq!(a.text, f.text);
        // The sentence is not read: a kind the words would not give stays.
        let f = Finding::new("lost-commit", "t=9 something else entirely".into());
        assert_eq!(
            (classify("exactly-once", &f).kind.as_str(), classify("exactly-once", &f).time_ms),
            ("lost-commit", None)
        );
    }

    #[test]
    fn a_user_checkers_line_has_a_typed_kind_and_moment_never_read_from_its_words() {
        use crate::check::Verdict;
        // A bare line: the checker's name is its kind; a `t=` in the sentence is not a moment.
        let v = Verdict::new("new-checker", vec!["t=5 task 3 stuck in CANCELING".to_string()], String::new());
        let a = classify(v.checker, &v.anomalies[0]);
        assert_eq!((a.kind.as_str(), a.time_ms), ("new-checker", None));
        assert_eq!(a.text, "t=5 task 3 stuck in CANCELING");
        // A line with its own kind and moment keeps them; kinds are made signature-safe.
        let v = Verdict::new(
            "new-checker",
            vec![
                Finding::new("Task-Stuck", "task 3 stuck in CANCELING".into()).at(7).with("task", 3),
                Finding::new("a/b@c:d", "x".into()),
                Finding::new("", "y".into()),
            ],
            String::new(),
        );
        assert_eq!(v.passed, Some(false));
        let a = classify(v.checker, &v.anomalies[0]);
        assert_eq!((a.kind.as_str(), a.time_ms), ("task-stuck", Some(7)));
        assert_eq!(a.fields["task"], "3");
        assert_eq!(classify(v.checker, &v.anomalies[1]).kind, "a-b-c-d");
        assert_eq!(classify(v.checker, &v.anomalies[2]).kind, "anomaly");
        let sig = Signature {
            checker: "new-checker".into(),
            kind: classify(v.checker, &v.anomalies[1]).kind,
            phase: "idle".into(),
            operator: "map".into(),
            fault: "none".into(),
        };
        assert_eq!(Signature::parse(&sig.to_string()), Some(sig));
        // A built-in form without a slug of its own is still named by its checker's words.
        assert_eq!(
            Finding::named("t=5 task 3 stuck in CANCELING".into()).kind.as_deref(),
            Some("task-stuck-in-canceling")
        );
    }

    #[test]
    fn signature_round_trips_and_hashes_stably() {
        let s = Signature {
            checker: "exactly-once".into(),
            kind: "duplicate-commit".into(),
            phase: "running-restored".into(),
            operator: "two-phase-commit-sink".into(),
            fault: "task-failure".into(),
        };
        assert_eq!(s.to_string(), "exactly-once/duplicate-commit@running-restored:two-phase-commit-sink:task-failure");
        assert_eq!(Signature::parse(&s.to_string()), Some(s.clone()));
        assert_eq!(s.short_hash(), s.clone().short_hash());
        let other = Signature { fault: "tm-crash".into(), ..s.clone() };
        assert_ne!(s.short_hash(), other.short_hash());
    }
}
