//! `ckptsim explore` under Flink's default `region` failover (session 32): a regional restart restores one pipelined region while the other runs on, and the regional plants are found on multi-region jobs.

// Each test binary uses its own subset of the shared helpers.
#[allow(dead_code)]
mod explore_support;

use ckptsim::Variant;
use ckptsim_sim::explore::{Bounds, Choice, Explorer};
use explore_support::{bounds, exhausted, spec, steps, violation};

/// Session 32 (issue 20): under Flink's default `failover_strategy = "region"` the explorer
/// restarts only the failed task's pipelined region. On `tiny-two-regions` (t0 `Clicks`, t1
/// `Counts -> Audit`, t2 the chained 2PC pipeline) `Clicks` puts "a" on its channel to
/// `Counts`, `Views` fails, and the restart 100 ms later redeploys t2 alone: `Counts` still
/// takes the element of attempt 0 afterwards and prints it once, and the run records one
/// regional restore of exactly t2 (the `restart` checker's region rules judge it). Under
/// `full` the same failure cancels every task and the path is not enabled to its end. The correct protocol's spaces of both multi-region jobs are
/// exhausted with no violation.
#[test]
fn a_regional_restart_restores_one_region_while_the_other_runs_on() {
    let name = "tiny-two-regions.toml";
    let correct = spec(name, Variant::Correct);
    assert!(ckptsim_sim::explore::supported(&correct).is_ok());
    let b = bounds(1, 1);
    let path = steps(
        "to-task:t0 to-task:t1 to-task:t2 to-jm:t0 to-jm:t0 to-jm:t1 to-jm:t1 to-jm:t2 to-jm:t2 \
         fetch:t0 fail:t2 to-jm:t2 tick to-task:t2 data:0:t1:0",
    );
    let run = Explorer::new(&correct, b).run_of(&path).expect("every step is enabled");
    assert_eq!(run.restarts, 1);
    assert_eq!(run.region_restores, vec![(100, ckptsim::ids::Attempt(1), vec![ckptsim::TaskId(2)])]);
    assert_eq!(run.print_rows.len(), 1, "Counts took the element its channel kept: {:?}", run.print_rows);
    let (_, verdict) = Explorer::new(&correct, b).replay(&path).expect("replays with fresh fingerprints");
    assert!(verdict.is_none(), "{verdict:?}");
    let mut full = correct.clone();
    full.failover = ckptsim::region::FailoverStrategy::Full;
    let err = Explorer::new(&full, b).run_of(&path).expect_err("under full the other pipeline is cancelled");
    assert!(err.contains("is not enabled"), "{err}");
    exhausted(name, b);
    exhausted("tiny-region-forward.toml", bounds(2, 1));
}

/// Session 32: the regional plants are found by breadth-first search on multi-region jobs, each
/// counterexample replaying to its checker (`found`). `region-restarts-without-state`
/// (FLINK-10712): the chain of `Source (1/2)` fails after checkpoint 1 and restarts with
/// nothing restored (`retention`, 16 steps); under `full` the same bounds hold no violation (no
/// regional restart). `region-first-producer-only` on `keyed-print` (one region: the hash edge
/// links both sources to `Sum`): the plant restarts `Sum` and `Source (1/2)` only (`restart`
/// `region-restore-not-a-region`, 8 steps). `failure-counted-twice`: both chains' deployments
/// time out (two failures, two regional restarts), the old attempt of `Source (1/2)` fails
/// after its region restarted and the plant counts that stale report, so the new attempt's
/// failure finds fixed-delay(3) spent (`restart`, 13 steps, no zombie step needed).
#[test]
fn the_regional_plants_are_found_on_multi_region_jobs() {
    let forward = "tiny-region-forward.toml";
    let v = violation(forward, Variant::RegionRestartsWithoutState, bounds(2, 1)).expect("found");
    assert_eq!((v.checker.as_str(), v.path.len()), ("retention", 16), "{}", v.anomaly);
    let mut full = spec(forward, Variant::RegionRestartsWithoutState);
    full.failover = ckptsim::region::FailoverStrategy::Full;
    let r = Explorer::new(&full, bounds(2, 1)).explore();
    assert!(r.violation.is_none() && r.exhausted, "no regional restart under full: {:?}", r.violation);
    let v = violation("keyed-print.toml", Variant::RegionFirstProducerOnly, bounds(1, 1)).expect("found");
    assert_eq!((v.checker.as_str(), v.path.len()), ("restart", 8), "{}", v.anomaly);
    assert!(v.anomaly.contains("not a pipelined region"), "{}", v.anomaly);
    let v = violation(forward, Variant::FailureCountedTwice, bounds(2, 2)).expect("found");
    assert_eq!((v.checker.as_str(), v.path.len()), ("restart", 13), "{}", v.anomaly);
}

/// Session 33 (issue 20): a TaskManager that holds one region only. `tiny-region-forward` on two
/// TaskManagers puts chain (1/2), t0, on tm0 and chain (2/2), t1, on tm1 (subtask index modulo
/// the TaskManagers). tm1 crashes after checkpoint 1 completed and the JobManager notices
/// (`crash-tm:1 tm-lost:1`): only t1's region restarts, from checkpoint 1, while t0 runs on
/// (its notification is delivered after the crash). `region-restarts-without-state` is found
/// through that loss with no task failure (`retention`, 16 steps), and the correct protocol's
/// space with one crash, with and without a task failure, is exhausted with no violation.
#[test]
fn a_task_manager_holding_one_region_restarts_that_region_alone() {
    let name = "tiny-region-forward.toml";
    let two_tms = |v| {
        let mut s = spec(name, v);
        s.cluster.task_managers = 2;
        s
    };
    let b = Bounds { max_tm_crashes: 1, ..bounds(2, 0) };
    let path = steps(
        "to-task:t0 to-task:t1 to-jm:t0 to-jm:t0 to-jm:t1 to-jm:t1 tick to-task:t0 to-task:t1 to-jm:t0 to-jm:t1 \
         to-task:t0 crash-tm:1 tm-lost:1 to-task:t1 tick",
    );
    let correct = two_tms(Variant::Correct);
    let run = Explorer::new(&correct, b).run_of(&path).expect("every step is enabled");
    assert_eq!(run.restarts, 1);
    assert_eq!(run.region_restores.len(), 1, "{:?}", run.region_restores);
    assert_eq!(run.region_restores[0].2, vec![ckptsim::TaskId(1)], "only tm1's region restarts");
    let (_, verdict) = Explorer::new(&correct, b).replay(&path).expect("replays with fresh fingerprints");
    assert!(verdict.is_none(), "{verdict:?}");
    // On one TaskManager the same crash takes both regions: the path is not enabled to its end.
    let one_tm = spec(name, Variant::Correct);
    let err = Explorer::new(&one_tm, b).run_of(&path).expect_err("tm1 runs nothing");
    assert!(err.contains("is not enabled"), "{err}");
    let plant = two_tms(Variant::RegionRestartsWithoutState);
    let ex = Explorer::new(&plant, b);
    let v = ex.explore().violation.expect("found through the TaskManager loss");
    assert_eq!((v.checker.as_str(), v.path.len()), ("retention", 16), "{}", v.anomaly);
    assert!(v.path.iter().all(|c| !matches!(c, Choice::Fail(_))), "no task failure: {:?}", v.path);
    assert!(v.path.contains(&"crash-tm:1".parse().expect("a step")), "{:?}", v.path);
    let (_, again) = ex.replay(&v.path).expect("the counterexample replays");
    assert_eq!(again.map(|(c, _)| c).as_deref(), Some("retention"));
    for failures in [0, 1] {
        let r = Explorer::new(&correct, Bounds { max_failures: failures, ..b }).explore();
        assert!(r.violation.is_none(), "{:?}", r.violation);
        assert!(r.exhausted && r.terminal_states > 0, "{} distinct", r.distinct_states);
    }
}
