//! The `restart` checker's retry-count rule (session 38): a retried call is given up only after as many calls as Flink makes.
//!
//! Two retried calls end in a decision the rest of the run takes as given, so no other rule can
//! tell that it came one call early. (1) The JobMaster takes an execution whose cancel RPCs went
//! unacknowledged as CANCELED only after `CANCEL_RPC_CALLS` calls (the first and
//! `NUM_CANCEL_CALL_TRIES` = 3 retries, `Execution#sendCancelRpcCall` through
//! `FutureUtils.retry`), counted by the world as they go out. (2) A Sink V2 committer fails its
//! task on a commit the store refuses as retriable only at the refusal after
//! `sink.committer.retries` = 10 retries (`CheckpointCommittableManagerImpl#commit`), counted
//! per task attempt and transaction as the store refuses them; the legacy
//! `TwoPhaseCommitSinkFunction` rethrows at the first refusal and is not judged. Judged per
//! give-up (`RunResult::retry_give_ups`).

use super::*;
use crate::world::RetryGiveUp;
use ckptsim::job::CANCEL_RPC_CALLS;
use ckptsim::sink::COMMITTER_RETRIES;

/// Give-ups after fewer calls than Flink makes. Returns the give-ups judged.
pub(super) fn retries_run_out_in_full(spec: &JobSpec, run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    let sink_v2 = spec.operators.iter().any(|o| o.sink_v2);
    let mut judged = 0;
    for g in &run.retry_give_ups {
        match *g {
            RetryGiveUp::Cancel { at_ms, task, attempt, sent } => {
                judged += 1;
                if sent < CANCEL_RPC_CALLS {
                    let name = run.task_names.get(task.0 as usize).map_or("?", String::as_str);
                    let text = format!(
                        "t={at_ms} {name} (attempt {attempt:?}) taken as CANCELED after {sent} unacknowledged cancel \
                         call(s); Flink makes {CANCEL_RPC_CALLS}"
                    );
                    anomalies.push(Finding::new("cancel-given-up-early", text).at(at_ms).with("task", name));
                }
            }
            RetryGiveUp::Commit { at_ms, task, refused } if sink_v2 => {
                judged += 1;
                if refused <= COMMITTER_RETRIES {
                    let name = run.task_names.get(task.0 as usize).map_or("?", String::as_str);
                    let text = format!(
                        "t={at_ms} {name} failed on a commit the store refused {refused} time(s) as retriable; Sink V2 \
                         retries it {COMMITTER_RETRIES} times and fails only at refusal {}",
                        COMMITTER_RETRIES + 1
                    );
                    anomalies.push(Finding::new("commit-given-up-early", text).at(at_ms).with("task", name));
                }
            }
            RetryGiveUp::Commit { .. } => {}
        }
    }
    judged
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
        retries_run_out_in_full(&correct_spec, &correct, &mut none);
        assert!(none.is_empty(), "{file}: the correct protocol: {none:?}");
    }

    #[test]
    fn a_cancel_given_up_after_three_calls_is_named() {
        named("negative/cancel-retries-one-fewer.toml", "cancel-given-up-early");
    }

    #[test]
    fn a_sink_v2_commit_given_up_after_nine_retries_is_named() {
        named("negative/committer-retries-one-fewer.toml", "commit-given-up-early");
    }
}
