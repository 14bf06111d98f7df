//! The `restart` checker's retry-count rule (sessions 38–39): a retried call ends after as many calls as Flink makes, judged from what the world saw alone.
//!
//! Two retried calls end in a decision the rest of the run takes as given, so no other rule can
//! tell that it came one call early or late. The rule derives the number of calls from Flink's
//! defaults (below, owned here: not the model's constants, which a plant may share) and judges
//! the steps the world recorded as they went over the network or to the store
//! (`RunResult::retry_calls`), never the model's own record of a give-up:
//!
//! 1. **Cancel RPCs.** The JobMaster takes an execution whose cancel RPCs went unanswered as
//!    CANCELED (`Execution#processFail` on a CANCELING execution calls `completeCancelling`)
//!    only after [`FLINK_CANCEL_CALLS`] calls — the first and `NUM_CANCEL_CALL_TRIES` = 3
//!    retries, `Execution#sendCancelRpcCall` through `FutureUtils.retry` — each given the RPC ask
//!    timeout ([`FLINK_ASK_TIMEOUT_MS`], the scenarios do not set it). Counted: the cancel RPCs
//!    sent for an attempt while the JobMaster holds it CANCELING. Judged: every attempt whose
//!    JobMaster state went CANCELING -> CANCELED although no CANCELED update of that attempt
//!    reached the JobMaster (a give-up, however the model books it): fewer calls than four, or
//!    before the fourth call's timeout, is `cancel-given-up-early`; and every attempt: a fifth
//!    call is `cancel-retried-past-limit`.
//! 2. **Sink V2 commits.** A committer whose commit the store refuses as retriable retries it at
//!    once, up to `sink.committer.retries` = [`FLINK_COMMITTER_RETRIES`] times, and fails the
//!    task at the refusal after (`CheckpointCommittableManagerImpl#commit`; a new attempt starts
//!    its committables' counts again). Judged per task attempt and transaction: a refusal
//!    followed, without a new commit request of that transaction, by the attempt's FAILED report
//!    in the same millisecond is a give-up — before the eleventh refusal it is
//!    `commit-given-up-early`; a commit request after the eleventh refusal is
//!    `commit-retried-past-limit`.
//!
//! Not judged, and why: the legacy `TwoPhaseCommitSinkFunction` (it rethrows at the first
//! refusal, no retry count to hold); a refusal neither retried nor followed by a FAILED report
//! in its millisecond (the attempt ended otherwise — a crash, a cancel, an earlier failure — or
//! the committable was dropped, which the delivery checkers judge by its lost rows); an
//! execution that went CANCELED with its TaskManager's answer, or left CANCELING as FAILED (the
//! RPC count does not matter then); cancels sent outside CANCELING — to the executions of a
//! lost TaskManager, and deployment reconciliation's cancel of an execution the JobMaster no
//! longer runs (`onUnknownDeploymentsOf`): single calls, never retried.
//!
//! The explorer (session 40) records the same rows from the same outputs, one list per task
//! attempt, but keeps only what this rule can still read ([`read_later`]) and folds an attempt's
//! cancel rows into one time-free row once they can no longer change a verdict ([`settle`]), so
//! that explored states differing only in rows the rule never reads again merge. Both are defined
//! here, beside the rule they mirror.

use super::*;
use crate::world::RetryCall;
use ckptsim::ids::{Attempt, TaskId};
use ckptsim::state::TxnId;

/// Cancel RPCs the JobMaster makes for one execution before it gives up: the first and
/// `Execution.NUM_CANCEL_CALL_TRIES` = 3 retries (`FutureUtils.retry(..., 3, ...)`).
pub(super) const FLINK_CANCEL_CALLS: usize = 4;
/// The RPC ask timeout each cancel call waits for its answer (`pekko.ask.timeout`, formerly
/// `akka.ask.timeout`, default 10 s).
pub(super) const FLINK_ASK_TIMEOUT_MS: u64 = 10_000;
/// `sink.committer.retries` (`SinkOptions.COMMITTER_RETRIES`, default 10): retries of a
/// committable the store refused as retriable; the refusal after them fails the task.
pub(super) const FLINK_COMMITTER_RETRIES: u32 = 10;

/// Retried calls ended after fewer or more calls than Flink makes. Returns the calls judged.
pub(super) fn retries_run_out_in_full(spec: &JobSpec, run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    let name = |task: TaskId| run.task_names.get(task.0 as usize).map_or("?", String::as_str).to_string();
    let mut judged = judge_cancels(&run.retry_calls, &name, anomalies);
    if spec.operators.iter().any(|o| o.sink_v2) {
        judged += judge_commits(&run.retry_calls, &name, anomalies);
    }
    judged
}

/// The cancel RPCs per execution attempt: when each went out, and when the JobMaster took the
/// attempt as CANCELED without its TaskManager's CANCELED update.
fn judge_cancels(calls: &[RetryCall], name: &dyn Fn(TaskId) -> String, anomalies: &mut Vec<Finding>) -> usize {
    #[derive(Default)]
    struct Cancels {
        canceling: bool,
        sent_ms: Vec<u64>,
        answered: bool,
        given_up_ms: Option<u64>,
    }
    let mut by_attempt: BTreeMap<(TaskId, Attempt), Cancels> = BTreeMap::new();
    for c in calls {
        match *c {
            RetryCall::CancelingEntered { task, attempt, .. } => {
                by_attempt.entry((task, attempt)).or_default().canceling = true
            }
            // Only the execution's own cancel RPCs, sent while it is CANCELING, are retried.
            RetryCall::CancelSent { at_ms, task, attempt } => {
                let e = by_attempt.entry((task, attempt)).or_default();
                if e.canceling {
                    e.sent_ms.push(at_ms);
                }
            }
            RetryCall::CanceledReported { task, attempt, .. } => {
                by_attempt.entry((task, attempt)).or_default().answered = true
            }
            RetryCall::CancelingLeft { at_ms, task, attempt, canceled } => {
                let e = by_attempt.entry((task, attempt)).or_default();
                e.canceling = false;
                if canceled && !e.answered && e.given_up_ms.is_none() {
                    e.given_up_ms = Some(at_ms);
                }
            }
            _ => {}
        }
    }
    let mut judged = 0;
    for ((task, attempt), c) in by_attempt.iter().filter(|(_, c)| !c.sent_ms.is_empty()) {
        judged += 1;
        let n = c.sent_ms.len();
        if n > FLINK_CANCEL_CALLS {
            let at = c.sent_ms[FLINK_CANCEL_CALLS];
            let text = format!(
                "t={at} {} (attempt {attempt:?}) sent cancel call {} although Flink gives up after {FLINK_CANCEL_CALLS} \
                 (the first and NUM_CANCEL_CALL_TRIES = 3 retries)",
                name(*task),
                FLINK_CANCEL_CALLS + 1
            );
            anomalies.push(Finding::new("cancel-retried-past-limit", text).at(at).with("task", name(*task)));
        }
        let Some(at) = c.given_up_ms else { continue };
        let last = c.sent_ms.last().copied().unwrap_or(0);
        if n < FLINK_CANCEL_CALLS || at < last + FLINK_ASK_TIMEOUT_MS {
            let text = format!(
                "t={at} {} (attempt {attempt:?}) taken as CANCELED without its TaskManager's answer after {n} cancel \
                 call(s), the last at t={last}; Flink makes {FLINK_CANCEL_CALLS}, each given the {FLINK_ASK_TIMEOUT_MS} ms \
                 ask timeout",
                name(*task)
            );
            anomalies.push(Finding::new("cancel-given-up-early", text).at(at).with("task", name(*task)));
        }
    }
    judged
}

/// Sink V2's retriable refusals per task attempt and transaction: each followed by a retry, by
/// the attempt's failure (a give-up), or by neither (not judged).
fn judge_commits(calls: &[RetryCall], name: &dyn Fn(TaskId) -> String, anomalies: &mut Vec<Finding>) -> usize {
    let mut refusals: BTreeMap<(TaskId, Attempt, TxnId), u32> = BTreeMap::new();
    let mut judged = 0;
    for (i, c) in calls.iter().enumerate() {
        let RetryCall::CommitRefused { at_ms, task, attempt, txn } = *c else { continue };
        let r = refusals.entry((task, attempt, txn)).or_default();
        *r += 1;
        let refused = *r;
        let next = calls[i + 1..].iter().find(|n| match **n {
            RetryCall::CommitAsked { task: t, attempt: a, txn: x, .. } => (t, a, x) == (task, attempt, txn),
            RetryCall::FailedReported { task: t, attempt: a, .. } => (t, a) == (task, attempt),
            _ => false,
        });
        match next {
            Some(RetryCall::CommitAsked { at_ms: retry_ms, .. }) if refused > FLINK_COMMITTER_RETRIES => {
                judged += 1;
                let text = format!(
                    "t={retry_ms} {} retried a commit the store refused {refused} time(s) as retriable; Sink V2 \
                     retries it {FLINK_COMMITTER_RETRIES} times (sink.committer.retries) and fails the task at refusal {}",
                    name(task),
                    FLINK_COMMITTER_RETRIES + 1
                );
                anomalies.push(Finding::new("commit-retried-past-limit", text).at(*retry_ms).with("task", name(task)));
            }
            Some(RetryCall::CommitAsked { .. }) => judged += 1,
            Some(RetryCall::FailedReported { at_ms: failed_ms, .. }) if *failed_ms == at_ms => {
                judged += 1;
                if refused <= FLINK_COMMITTER_RETRIES {
                    let text = format!(
                        "t={at_ms} {} failed on a commit the store refused {refused} time(s) as retriable; Sink V2 \
                         retries it {FLINK_COMMITTER_RETRIES} times (sink.committer.retries) and fails only at refusal {}",
                        name(task),
                        FLINK_COMMITTER_RETRIES + 1
                    );
                    anomalies.push(Finding::new("commit-given-up-early", text).at(at_ms).with("task", name(task)));
                }
            }
            _ => {}
        }
    }
    judged
}

/// Whether `call`, appended to one task attempt's rows `rows` (those of `call.subject()`, in
/// order), can ever be read by [`retries_run_out_in_full`], whatever rows come after it. Each
/// rule reads one attempt's rows alone and in order (a cancel rule per `(task, attempt)`, a
/// commit rule per `(task, attempt, txn)` and that attempt's FAILED report), so the rows of
/// other attempts do not matter. Not read:
/// - a cancel RPC sent while the attempt is not CANCELING (not counted, [`judge_cancels`]);
/// - a CANCELED report after the attempt left CANCELING (an execution never enters CANCELING
///   again: CANCELED and FAILED are final), where `answered` has no later give-up to excuse;
/// - a commit request of a transaction no refusal of this attempt came before (the first
///   request: only a request after a refusal is a retry, [`judge_commits`]);
/// - a FAILED report of an attempt with no refusal before it (nothing for it to end).
pub(crate) fn read_later(rows: &[RetryCall], call: &RetryCall) -> bool {
    let canceling = || {
        rows.iter()
            .rev()
            .find_map(|r| match r {
                RetryCall::CancelingEntered { .. } => Some(true),
                RetryCall::CancelingLeft { .. } => Some(false),
                _ => None,
            })
            .unwrap_or(false)
    };
    let left = || rows.iter().any(|r| matches!(r, RetryCall::CancelingLeft { .. }));
    match *call {
        RetryCall::CancelSent { .. } => canceling(),
        RetryCall::CanceledReported { .. } => !left(),
        RetryCall::CommitAsked { txn, .. } => {
            rows.iter().any(|r| matches!(*r, RetryCall::CommitRefused { txn: x, .. } if x == txn))
        }
        RetryCall::FailedReported { .. } => rows.iter().any(|r| matches!(r, RetryCall::CommitRefused { .. })),
        RetryCall::CancelingEntered { .. } | RetryCall::CancelingLeft { .. } | RetryCall::CommitRefused { .. } => true,
    }
}

/// One task attempt's rows (in order) after its execution left CANCELING: if the cancel rule
/// finds nothing in them, their cancel rows are replaced by one `CancelingLeft` at time 0, not a
/// give-up. The attempt's cancel verdict is final when it leaves CANCELING (no later row is
/// counted: [`read_later`]), and that row alone is judged as the rows it replaces (nothing
/// counted, nothing found), so every extension of the run gets the same findings. The commit
/// rows stay, in order. A finding keeps the rows (the run is a counterexample already).
pub(crate) fn settle(rows: &mut Vec<RetryCall>) {
    let is_cancel = |r: &RetryCall| {
        matches!(
            r,
            RetryCall::CancelSent { .. }
                | RetryCall::CanceledReported { .. }
                | RetryCall::CancelingEntered { .. }
                | RetryCall::CancelingLeft { .. }
        )
    };
    let Some(RetryCall::CancelingLeft { task, attempt, .. }) = rows.last().copied() else { return };
    let cancels: Vec<RetryCall> = rows.iter().copied().filter(is_cancel).collect();
    let settled = RetryCall::CancelingLeft { at_ms: 0, task, attempt, canceled: false };
    if cancels == [settled] {
        return;
    }
    let mut found = Vec::new();
    judge_cancels(&cancels, &|_| String::new(), &mut found);
    if found.is_empty() {
        rows.retain(|r| !is_cancel(r));
        rows.insert(0, settled);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each negative's planted run is named by its kind; its correct run has no finding.
    fn named(file: &str, kind: &str) {
        let [(spec, planted), (correct_spec, correct)] = crate::check::test_runs::planted_and_correct(file);
        let mut found = Vec::new();
        assert!(retries_run_out_in_full(&spec, &planted, &mut found) > 0, "{file}: judged");
        assert!(!found.is_empty() && found.iter().all(|f| f.kind.as_deref() == Some(kind)), "{file}: {found:?}");
        let mut none = Vec::new();
        assert!(retries_run_out_in_full(&correct_spec, &correct, &mut none) > 0, "{file}: the correct run judged");
        assert!(none.is_empty(), "{file}: the correct protocol: {none:?}");
    }

    /// The rows the explorer keeps ([`read_later`], [`settle`], one list per attempt, in
    /// attempt order) are judged as the world's whole record: the same findings on each
    /// negative's planted run (one at least, `named` above), none on its correct run; and they
    /// are fewer.
    #[test]
    fn the_rows_the_explorer_keeps_are_judged_as_the_whole_record() {
        let kept = |run: &RunResult| {
            let mut by: BTreeMap<(TaskId, Attempt), Vec<RetryCall>> = BTreeMap::new();
            for c in &run.retry_calls {
                let rows = by.entry(c.subject()).or_default();
                if read_later(rows, c) {
                    rows.push(*c);
                    settle(rows);
                }
            }
            let mut run = run.clone();
            run.retry_calls = by.into_values().flatten().collect();
            run
        };
        let kinds = |spec: &JobSpec, run: &RunResult| {
            let mut found = Vec::new();
            retries_run_out_in_full(spec, run, &mut found);
            found.into_iter().filter_map(|f| f.kind).collect::<Vec<_>>()
        };
        for file in [
            "negative/cancel-retries-one-fewer.toml",
            "negative/committer-retries-one-fewer.toml",
            "negative/committer-retries-one-more.toml",
        ] {
            for (spec, run) in crate::check::test_runs::planted_and_correct(file) {
                let small = kept(&run);
                let (mut all, mut some) = (kinds(&spec, &run), kinds(&spec, &small));
                all.sort();
                some.sort();
                assert_eq!(all, some, "{file}: the same findings");
                assert!(small.retry_calls.len() < run.retry_calls.len(), "{file}: fewer rows kept");
            }
        }
    }

    #[test]
    fn a_cancel_given_up_after_three_calls_is_named() {
        named("negative/cancel-retries-one-fewer.toml", "cancel-given-up-early");
    }

    #[test]
    fn a_sink_v2_commit_given_up_after_nine_retries_is_named() {
        named("negative/committer-retries-one-fewer.toml", "commit-given-up-early");
    }

    #[test]
    fn a_sink_v2_commit_retried_an_eleventh_time_is_named() {
        named("negative/committer-retries-one-more.toml", "commit-retried-past-limit");
    }

    const T: TaskId = TaskId(0);
    const A: Attempt = Attempt(1);
    const X: TxnId = TxnId { subtask: 0, attempt: 1, seq: 0 };

    fn judged_cancels(calls: &[RetryCall]) -> (usize, Vec<String>) {
        let mut found = Vec::new();
        let n = judge_cancels(calls, &|_| "Sum[0]".into(), &mut found);
        (n, found.into_iter().filter_map(|f| f.kind).collect())
    }

    fn judged_commits(calls: &[RetryCall]) -> (usize, Vec<String>) {
        let mut found = Vec::new();
        let n = judge_commits(calls, &|_| "Sink".into(), &mut found);
        (n, found.into_iter().filter_map(|f| f.kind).collect())
    }

    /// The attempt goes CANCELING at 5 s and `calls` cancel RPCs go out, 10 s apart.
    fn sent(calls: usize) -> Vec<RetryCall> {
        let entered = RetryCall::CancelingEntered { at_ms: 5_000, task: T, attempt: A };
        let rpcs = (0..calls as u64).map(|i| RetryCall::CancelSent { at_ms: 5_000 + i * 10_000, task: T, attempt: A });
        std::iter::once(entered).chain(rpcs).collect()
    }

    fn left(at_ms: u64, canceled: bool) -> RetryCall {
        RetryCall::CancelingLeft { at_ms, task: T, attempt: A, canceled }
    }

    /// A give-up after four calls, each given its timeout, passes; after three, or before the
    /// fourth call's timeout, it is early, whether or not the model recorded a give-up.
    #[test]
    fn a_cancel_give_up_is_judged_by_the_calls_sent() {
        let give_up = |at_ms| left(at_ms, true);
        let mut four = sent(4);
        four.push(give_up(45_000));
        assert_eq!(judged_cancels(&four), (1, vec![]));
        let mut three = sent(3);
        three.push(give_up(35_000));
        assert_eq!(judged_cancels(&three), (1, vec!["cancel-given-up-early".to_string()]));
        let mut hasty = sent(4);
        hasty.push(give_up(44_999));
        assert_eq!(judged_cancels(&hasty), (1, vec!["cancel-given-up-early".to_string()]));
    }

    /// An execution CANCELED by its TaskManager's answer is excused whatever the count; a fifth
    /// call is judged even without a give-up.
    #[test]
    fn an_answered_cancel_is_not_judged_and_a_fifth_call_is() {
        let mut answered = sent(2);
        answered.push(RetryCall::CanceledReported { at_ms: 15_100, task: T, attempt: A });
        answered.push(left(15_100, true));
        assert_eq!(judged_cancels(&answered), (1, vec![]));
        assert_eq!(judged_cancels(&sent(5)), (1, vec!["cancel-retried-past-limit".to_string()]));
        assert_eq!(judged_cancels(&[left(1, true)]), (0, vec![]));
    }

    /// Cancels outside CANCELING (to a lost TaskManager's executions, or deployment
    /// reconciliation's cancel of an execution the JobMaster gave up) are not the execution's
    /// retried RPCs: not counted (swarm seed 10600 of `faults/cancel-partition-after-faults-2pc`,
    /// a reconciliation cancel 5 s after the give-up). An execution that left CANCELING as
    /// FAILED is no give-up.
    #[test]
    fn cancels_outside_canceling_are_not_counted() {
        let mut calls = sent(4);
        calls.push(left(45_000, true));
        calls.push(RetryCall::CancelSent { at_ms: 50_000, task: T, attempt: A });
        assert_eq!(judged_cancels(&calls), (1, vec![]));
        let mut failed = sent(2);
        failed.push(left(20_000, false));
        assert_eq!(judged_cancels(&failed), (1, vec![]));
    }

    /// `refusals` refusals of one commit, each retried but the last, then `last`.
    fn refused(refusals: u32, last: Option<RetryCall>) -> Vec<RetryCall> {
        let mut calls = Vec::new();
        for i in 0..refusals {
            let at_ms = 1_000 + u64::from(i);
            calls.push(RetryCall::CommitAsked { at_ms, task: T, attempt: A, txn: X });
            calls.push(RetryCall::CommitRefused { at_ms, task: T, attempt: A, txn: X });
        }
        calls.extend(last);
        calls
    }

    /// A give-up at the eleventh refusal passes, at the tenth it is early; a retry after the
    /// eleventh is past the limit.
    #[test]
    fn a_commit_give_up_is_judged_by_the_refusals_seen() {
        let failed = |at_ms| Some(RetryCall::FailedReported { at_ms, task: T, attempt: A });
        let (n, kinds) = judged_commits(&refused(11, failed(1_010)));
        assert_eq!((n, kinds), (11, vec![]));
        assert_eq!(judged_commits(&refused(10, failed(1_009))).1, vec!["commit-given-up-early".to_string()]);
        let retried = Some(RetryCall::CommitAsked { at_ms: 1_010, task: T, attempt: A, txn: X });
        assert_eq!(judged_commits(&refused(11, retried)).1, vec!["commit-retried-past-limit".to_string()]);
    }

    /// A refusal the attempt neither retried nor failed on in its millisecond (a crash, a
    /// failure later for another reason) is not judged; another attempt counts again.
    #[test]
    fn a_refusal_without_retry_or_failure_in_its_millisecond_is_not_judged() {
        let later = Some(RetryCall::FailedReported { at_ms: 2_000, task: T, attempt: A });
        assert_eq!(judged_commits(&refused(3, later)), (2, vec![]));
        let mut two_attempts = refused(10, None);
        let b = Attempt(2);
        two_attempts.push(RetryCall::CommitAsked { at_ms: 3_000, task: T, attempt: b, txn: X });
        two_attempts.push(RetryCall::CommitRefused { at_ms: 3_000, task: T, attempt: b, txn: X });
        two_attempts.push(RetryCall::CommitAsked { at_ms: 3_000, task: T, attempt: b, txn: X });
        assert_eq!(judged_commits(&two_attempts), (10, vec![]));
    }
}
