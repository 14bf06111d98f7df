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

use crate::check::{Verdict, CHECKERS};
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

/// The first number in `s` after `pat`.
fn number_after(s: &str, pat: &str) -> Option<u64> {
    let i = s.find(pat)? + pat.len();
    let digits: String = s[i..].chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// The word after `pat` (up to a space, comma or colon).
fn word_after(s: &str, pat: &str) -> Option<String> {
    let i = s.find(pat)? + pat.len();
    let w: String = s[i..].chars().take_while(|c| !matches!(c, ' ' | ',' | ':')).collect();
    (!w.is_empty()).then_some(w)
}

/// `AbortOfCommittedTxn` -> `abort-of-committed-txn`.
fn kebab(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            out.push('-');
        }
    }
    out
}

/// A kind for a line no table entry knows: its first words without numbers or punctuation.
fn fallback_kind(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() > 1 && w != &"t")
        .take(4)
        .map(|w| w.to_ascii_lowercase())
        .collect();
    if words.is_empty() {
        "anomaly".into()
    } else {
        words.join("-")
    }
}

/// Turns one checker line into a typed anomaly. `input_time` gives the time of an input
/// sequence number (lost records name the input, not a moment).
pub fn classify(checker: &str, text: &str, input_time: impl Fn(u64) -> Option<u64>) -> Anomaly {
    let mut fields = BTreeMap::new();
    let t_eq = number_after(text, "t=");
    let mut time_ms = t_eq;
    let kind: String = if text.starts_with("zombie output: ") {
        "zombie-output".into()
    } else if checker == "windows" {
        // The window checker: `window lost`, `window wrong value`, `window fired twice`,
        // `late misjudged`, each naming the key (and an input for lost or late ones).
        if let Some(k) = word_after(text, " key ") {
            fields.insert("key", k);
        }
        let input = number_after(text, "input #");
        if let Some(n) = input {
            fields.insert("input", n.to_string());
        }
        if t_eq.is_none() {
            time_ms = input.and_then(&input_time);
        }
        let head = text.split(':').next().unwrap_or("");
        match head {
            "window lost" | "window wrong value" | "window fired twice" | "late misjudged" => head.replace(' ', "-"),
            _ => fallback_kind(text),
        }
    } else if text.contains("(FLINK-17075)") {
        // A stall real Flink before 1.12 shares: a lost final task state, never reconciled.
        time_ms = number_after(text, "was lost at t=");
        "stall-unreconciled-final-state".into()
    } else if let Some(rest) = text.strip_prefix("sink store anomaly: ") {
        time_ms = number_after(rest, "t=");
        let name = rest.split_whitespace().nth(2).unwrap_or("");
        let name: String = name.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        fields.insert("store_anomaly", name.clone());
        format!("sink-store-{}", kebab(&name))
    } else if text.starts_with("duplicate: input #") {
        if let Some(n) = number_after(text, "input #") {
            fields.insert("input", n.to_string());
        }
        // The moment of the duplicate is the second time the lineage shows up.
        time_ms = text.find(" at [").and_then(|i| {
            let list = &text[i + 5..];
            list.split([',', ']']).nth(1).and_then(|x| x.trim().parse().ok())
        });
        if text.contains("within one attempt") {
            "duplicate-within-attempt".into()
        } else {
            "duplicate-commit".into()
        }
    } else if text.starts_with("lost record: input #") {
        let n = number_after(text, "input #");
        if let Some(n) = n {
            fields.insert("input", n.to_string());
        }
        time_ms = number_after(text, "(at ").or_else(|| n.and_then(&input_time));
        if text.contains("never printed") {
            "lost-print".into()
        } else {
            "lost-commit".into()
        }
    } else if text.starts_with("state ahead/behind") {
        if let Some(k) = word_after(text, "key ") {
            fields.insert("key", k);
        }
        "state-ahead-behind".into()
    } else if text.contains("list state restored as") {
        "list-state-not-restored".into()
    } else if text.contains(" key ") && t_eq.is_some() && checker == "state" {
        if let Some(k) = word_after(text, " key ") {
            fields.insert("key", k);
        }
        if text.contains("for a key the reference never emits") {
            "unknown-key".into()
        } else if text.contains("not in the reference sequence") {
            "value-not-in-reference".into()
        } else if text.contains("state skipped") {
            "lost-update".into()
        } else if text.contains("first output") {
            "wrong-first-output".into()
        } else {
            fallback_kind(text)
        }
    } else if text.contains("offset committed before its checkpoint completed") {
        "offset-before-completion".into()
    } else if text.contains("non-monotonic offset") {
        "offset-backwards".into()
    } else if text.contains("checkpoint ids not increasing") {
        "ids-not-increasing".into()
    } else if text.contains("checkpoints pending (max concurrent") {
        "too-many-pending".into()
    } else if text.contains("min pause violated") {
        "min-pause-violated".into()
    } else if text.contains("completed without an acknowledgement from") {
        "completed-without-ack".into()
    } else if text.contains("expired after") {
        "expiry-not-at-timeout".into()
    } else if let Some(i) = text.find("illegal job transition ") {
        let tr = &text[i + "illegal job transition ".len()..];
        let (from, to) = tr.split_once(" -> ").unwrap_or((tr, ""));
        fields.insert("from", from.to_string());
        fields.insert("to", to.to_string());
        format!("illegal-transition-{}-{}", from.to_ascii_lowercase(), to.to_ascii_lowercase())
    } else if text.starts_with("job failed after") {
        "too-few-restarts".into()
    } else if text.contains("restarts but fixed-delay allows") {
        "too-many-restarts".into()
    } else if text.contains(", fixed-delay says") {
        "wrong-backoff".into()
    } else if text.contains("restarts under no-restart") {
        "restart-under-no-restart".into()
    } else if checker == "alignment" && text.contains("records after the barrier are in the checkpoint") {
        "processed-after-barrier".into()
    } else if checker == "alignment" && text.contains("neither processed before the snapshot nor in its channel state")
    {
        "lost-channel-state".into()
    } else if checker == "alignment" && text.contains("ahead of the barrier were not processed") {
        "unprocessed-before-snapshot".into()
    } else if checker == "stop" && text.contains("after the barrier of stop-with-savepoint") {
        if let Some(n) = number_after(text, "input #") {
            fields.insert("input", n.to_string());
        }
        "processed-after-stop".into()
    } else if checker == "restart" && text.contains("finished-on-restore ran endInput") {
        "finished-on-restore-ran-again".into()
    } else if checker == "restart" && text.contains("finished-on-restore processed") {
        "finished-on-restore-processed".into()
    } else if checker == "restart" && text.contains("finished-on-restore acknowledged") {
        "finished-on-restore-not-finished".into()
    } else if text.starts_with("no checkpoint completed within") {
        time_ms = number_after(text, "after t=");
        "no-checkpoint-after-heal".into()
    } else {
        fallback_kind(text)
    };
    Anomaly { checker: checker.to_string(), kind, time_ms, fields, text: text.to_string() }
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
pub fn anomalies(spec: &JobSpec, verdicts: &[Verdict]) -> Vec<Anomaly> {
    let input_time = |seq: u64| spec.input.at_ms(seq);
    let rank = |c: &str| CHECKERS.iter().position(|x| *x == c).unwrap_or(CHECKERS.len());
    let mut failing: Vec<&Verdict> = verdicts.iter().filter(|v| v.passed == Some(false)).collect();
    failing.sort_by_key(|v| rank(v.checker));
    failing.iter().flat_map(|v| v.anomalies.iter().map(move |t| classify(v.checker, t, input_time))).collect()
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
    let mut all: Vec<Anomaly> = anomalies(spec, &o.verdicts);
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
        "offset-before-completion" => "source offsets reached the broker before their checkpoint completed".into(),
        "offset-backwards" => "a committed source offset went backwards".into(),
        "window-lost" => "an event-time window with an element surely on time never produced a result".into(),
        "window-wrong-value" => "an event-time window result no set of the window's elements explains".into(),
        "window-fired-twice" => "an event-time window was committed more often than Flink fires it".into(),
        "late-misjudged" => "an element surely on time went to the late side output".into(),
        "min-pause-violated" => "a checkpoint was triggered before the minimum pause had passed".into(),
        "too-many-pending" => "more checkpoints were pending than max-concurrent allows".into(),
        "completed-without-ack" => {
            "a checkpoint completed without the ack of a task not FINISHED at its trigger".into()
        }
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

    fn k(checker: &str, text: &str) -> String {
        classify(checker, text, |s| Some(s * 10)).kind
    }

    #[test]
    fn every_checker_message_form_has_its_own_kind() {
        let cases = [
            (
                "exactly-once",
                "sink store anomaly: t=4508 t2: AbortOfCommittedTxn { txn: x }",
                "sink-store-abort-of-committed-txn",
            ),
            ("exactly-once", "duplicate: input #309 (sub 0) committed 2 times at [4348, 5122] ms", "duplicate-commit"),
            (
                "exactly-once",
                "lost record: input #112 never committed although checkpoint covering it completed",
                "lost-commit",
            ),
            ("exactly-once", "state ahead/behind: key k1 committed [..], reference prefix [..]", "state-ahead-behind"),
            ("at-least-once", "lost record: input #5 (at 4000 ms) never printed", "lost-print"),
            (
                "windows",
                "window lost: key k1 window [2000,3000) never committed although input #93 is x",
                "window-lost",
            ),
            (
                "windows",
                "window wrong value: t=4121 key k0 window [2000,3000): committed firings total 2",
                "window-wrong-value",
            ),
            (
                "windows",
                "window fired twice: t=5 key k0 window [0,10): 3 firings committed at [1, 5, 9] ms",
                "window-fired-twice",
            ),
            ("windows", "late misjudged: t=7 input #4 ((k0,1) at ts 3) went to the late side output", "late-misjudged"),
            (
                "at-least-once",
                "duplicate: input #3 printed 2 times within one attempt at [100, 250] ms",
                "duplicate-within-attempt",
            ),
            ("state", "t=5859 key k2: value (k2,2) not in the reference sequence [..]", "value-not-in-reference"),
            ("state", "t=5 key k2: output (k2,2) for a key the reference never emits", "unknown-key"),
            ("state", "t=5 key k2: state skipped from 1 to 3 (lost update: expected 2)", "lost-update"),
            ("state", "t=5 key k2: first output 3 but reference starts at 1", "wrong-first-output"),
            (
                "offsets",
                "t=39 offset committed before its checkpoint completed: p1 @0 by t1 (x)",
                "offset-before-completion",
            ),
            ("offsets", "t=39 non-monotonic offset: p0 went back from 5 to 3", "offset-backwards"),
            ("coordinator", "t=1 checkpoint ids not increasing: 3 after 4", "ids-not-increasing"),
            ("coordinator", "t=1 2 checkpoints pending (max concurrent 1)", "too-many-pending"),
            ("coordinator", "t=1505 min pause violated: checkpoint 3 triggered 194 ms after", "min-pause-violated"),
            ("coordinator", "t=9 checkpoint 2 expired after 5 ms (timeout 6 ms)", "expiry-not-at-timeout"),
            (
                "coordinator",
                "t=6015 checkpoint 2 completed without an acknowledgement from Sum (1/2) attempt 0, which was not \
                 FINISHED at its trigger at t=3003 (it FINISHED at t=6014, after the trigger: Flink still waits \
                 for its ack)",
                "completed-without-ack",
            ),
            ("restart", "t=9 illegal job transition RUNNING -> CREATED", "illegal-transition-running-created"),
            ("restart", "3 restarts but fixed-delay allows 2", "too-many-restarts"),
            ("restart", "job failed after 1 restarts but fixed-delay allows 2", "too-few-restarts"),
            ("restart", "t=9 failure #1: backoff 5 ms, fixed-delay says 6 ms", "wrong-backoff"),
            ("restart", "2 restarts under no-restart", "restart-under-no-restart"),
            ("liveness", "no checkpoint completed within 5000 ms after t=300 (last fault)", "no-checkpoint-after-heal"),
        ];
        for (c, text, want) in cases {
            assert_eq!(k(c, text), want, "{text}");
        }
        // An unknown line still gets a number-free kind.
        assert_eq!(k("new-checker", "t=5 task 3 stuck in CANCELING"), "task-stuck-in-canceling");
    }

    #[test]
    fn times_and_fields() {
        let a =
            classify("exactly-once", "duplicate: input #309 (sub 0) committed 2 times at [4348, 5122] ms", |_| None);
        assert_eq!(a.time_ms, Some(5122), "the duplicate happens at its second commit");
        assert_eq!(a.fields["input"], "309");
        let a = classify("exactly-once", "lost record: input #7 never committed although x", |s| Some(s * 10));
        assert_eq!(a.time_ms, Some(70), "a lost record is placed at its input's time");
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
