//! `ckptsim explore` on the small jobs of `scenarios/explore/`: the correct protocol's bounded space is exhausted with no violation, and planted variants are found with a counterexample that replays to the same checker.

mod explore_support;

use ckptsim::Variant;
use ckptsim_sim::explore::{Bounds, Choice, Explorer, Sleep};
use ckptsim_sim::load;
use explore_support::{bounds, exhausted, found, spec, steps, violation};
use std::path::Path;

#[test]
fn correct_protocol_exhausts_the_tiny_jobs() {
    exhausted("tiny-2pc.toml", bounds(2, 1));
    // Session 29: 440,460 distinct states under the sound default (308,000 with the old rule).
    exhausted("tiny-one-restart.toml", Bounds { max_states: 1_000_000, ..bounds(2, 2) });
}

/// Sleep sets (`tools/explore/sleep.rs`), `siblings`: on the correct protocol's tiny space
/// they reach exactly the states and terminal states of the search without them, find no
/// violation either, and apply fewer choices.
#[test]
fn sibling_sleep_sets_keep_every_state_and_apply_fewer_choices() {
    let spec = spec("tiny-2pc.toml", Variant::Correct);
    let b = bounds(2, 1);
    let with = Explorer::new(&spec, Bounds { sleep: Sleep::Siblings, ..b }).explore();
    let without = Explorer::new(&spec, b).explore();
    assert!(with.exhausted && without.exhausted, "both exhausted");
    assert!(with.violation.is_none() && without.violation.is_none());
    assert_eq!(with.distinct_states, without.distinct_states, "the same states");
    assert_eq!(with.terminal_states, without.terminal_states, "the same terminal states");
    assert_eq!(without.reexpanded, 0, "nothing sleeps without sleep sets");
    assert!(with.children < without.children, "fewer children ({} vs {})", with.children, without.children);
}

/// Sleep sets, `inherit` (Godefroid's): a quarter of the children or more spared on the tiny
/// space, still exhausted with the same terminal states, and each cheap variant found by a path
/// of the same length as without sleep sets.
#[test]
fn inherited_sleep_sets_spare_children_and_keep_the_shortest_paths() {
    let spec_ok = spec("tiny-2pc.toml", Variant::Correct);
    let b = bounds(2, 1);
    let with = Explorer::new(&spec_ok, Bounds { sleep: Sleep::Inherit, ..b }).explore();
    let without = Explorer::new(&spec_ok, b).explore();
    assert!(with.exhausted && with.violation.is_none(), "{:?}", with.violation);
    assert_eq!(with.terminal_states, without.terminal_states, "the same terminal states");
    assert!(with.children * 4 < without.children * 3, "{} vs {}", with.children, without.children);
    let cases = [
        ("tiny-2pc.toml", Variant::CommitOffsetsOnSnapshot, bounds(3, 1)),
        ("tiny-min-pause.toml", Variant::IgnoreMinPause, bounds(3, 1)),
        ("tiny-one-restart.toml", Variant::FixedDelayOffByOne, bounds(2, 2)),
        ("tiny-2pc.toml", Variant::NoCancelRetry, Bounds { max_losses: 1, ..bounds(3, 1) }),
    ];
    for (name, variant, b) in cases {
        let s = spec(name, variant);
        let off = Explorer::new(&s, b).explore().violation.expect("found without sleep sets");
        let ex = Explorer::new(&s, Bounds { sleep: Sleep::Inherit, ..b });
        let on = ex.explore().violation.expect("found with sleep sets");
        assert_eq!((on.checker.as_str(), on.path.len()), (off.checker.as_str(), off.path.len()), "{variant}");
        let (_, verdict) = ex.replay(&on.path).expect("replays");
        assert_eq!(verdict.map(|(c, _)| c), Some(on.checker.clone()), "{variant}");
    }
}

#[test]
fn two_pc_commit_on_precommit_is_found() {
    assert_eq!(found("tiny-2pc.toml", Variant::TwoPcCommitOnPrecommit, bounds(3, 1)).as_deref(), Some("exactly-once"));
}

#[test]
fn restore_from_pending_is_found() {
    // Session 23: the retention checker's "a restart restores the store's latest" names the
    // pending checkpoint's restore itself, before its duplicates reach the sink.
    assert_eq!(found("tiny-2pc.toml", Variant::RestoreFromPending, bounds(3, 1)).as_deref(), Some("retention"));
}

#[test]
fn commit_offsets_on_snapshot_is_found() {
    assert_eq!(found("tiny-2pc.toml", Variant::CommitOffsetsOnSnapshot, bounds(3, 1)).as_deref(), Some("offsets"));
}

#[test]
fn fixed_delay_off_by_one_is_found() {
    assert_eq!(found("tiny-one-restart.toml", Variant::FixedDelayOffByOne, bounds(2, 2)).as_deref(), Some("restart"));
}

#[test]
fn ignore_min_pause_is_found_and_the_correct_decider_is_not_flagged() {
    assert_eq!(found("tiny-min-pause.toml", Variant::IgnoreMinPause, bounds(3, 1)).as_deref(), Some("coordinator"));
    assert_eq!(found("tiny-min-pause.toml", Variant::Correct, bounds(3, 1)), None);
}

#[test]
fn a_lost_cancel_hangs_only_without_cancel_retries() {
    // One lost message allowed. Without retries, losing the cancel of a failover leaves the job
    // RESTARTING for ever: the JobManager waits for every task to be terminal (message-loss
    // seed 74). With Flink's retries the cancel is sent again after the ask timeout.
    let b = Bounds { max_losses: 1, ..bounds(3, 1) };
    let broken = spec("tiny-2pc.toml", Variant::NoCancelRetry);
    let v = Explorer::new(&broken, b).explore().violation.expect("the lost cancel is found");
    assert_eq!(v.checker, "liveness", "{v:?}");
    assert!(v.anomaly.contains("RESTARTING"), "{v:?}");
    assert!(v.path.iter().any(|c| matches!(c, Choice::Lose(_))), "a loss is on the path");
    let correct = spec("tiny-2pc.toml", Variant::Correct);
    let b = Bounds { max_states: 150_000, ..b };
    let report = Explorer::new(&correct, b).explore();
    assert!(report.violation.is_none(), "with cancel retries: {:?}", report.violation);
}

#[test]
fn choices_print_and_parse_back() {
    let all = [
        Choice::Fetch(ckptsim::TaskId(0)),
        Choice::Data { attempt: 2, to: ckptsim::TaskId(3), ch: 1 },
        Choice::ToTask(ckptsim::TaskId(1)),
        Choice::ToJm(ckptsim::TaskId(4)),
        Choice::Lose(ckptsim::TaskId(0)),
        Choice::Tick,
        Choice::Fail(ckptsim::TaskId(2)),
        Choice::CrashTm(ckptsim::TmId(1)),
        Choice::TmLost(ckptsim::TmId(0)),
        Choice::JmFailover,
        Choice::Zombie { to: ckptsim::TaskId(1), idx: 2 },
        Choice::Rescale,
        Choice::Stop,
    ];
    for c in all {
        assert_eq!(c.to_string().parse::<Choice>(), Ok(c));
    }
    assert!("data:1:x:0".parse::<Choice>().is_err());
    assert!("jump".parse::<Choice>().is_err());
}

#[test]
fn a_path_step_that_is_not_enabled_is_refused() {
    let spec = spec("tiny-2pc.toml", Variant::Correct);
    let ex = Explorer::new(&spec, bounds(2, 1));
    // At the start only deployments can be delivered: a record cannot be read yet.
    let err = ex.replay(&[Choice::Fetch(ckptsim::TaskId(0))]).unwrap_err();
    assert!(err.contains("step 1"), "{err}");
}

/// `aligned-no-block` on the two-input job as a Flink 1.11 user writes it (`profile =
/// "flink-1.11"` in `keyed-print.toml`: no INITIALIZING state, so each deployment is one
/// update shorter). Since session 16 the explorer records channel cuts (`cuts.rs`), so the
/// `alignment` checker names the record taken after its channel's barrier in the very
/// snapshot that took it: 12 steps, no failure on the path, about 4,200 states (before, the
/// `state` checker saw it only after a restore: 33 steps, 204,490 states).
#[test]
fn aligned_no_block_is_found_on_the_two_input_job() {
    let b = Bounds { max_states: 400_000, ..bounds(2, 1) };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/explore/keyed-print.toml");
    let mut flink111 = load::load_spec(&path).expect("explore scenario loads");
    flink111.profile = ckptsim::Profile::Flink111;
    flink111.variant = Variant::AlignedNoBlock;
    let ex = Explorer::new(&flink111, b);
    let v = ex.explore().violation.expect("aligned-no-block is found within 400,000 states");
    // Session 26: the `barriers` checker names the unblocked channel at its barrier, before
    // any record passes it (the `alignment` checker names the record at the snapshot after).
    assert_eq!(v.checker, "barriers", "{v:?}");
    assert!(v.anomaly.contains("but the channel is not blocked"), "{v:?}");
    assert!(!v.path.iter().any(|c| matches!(c, Choice::Fail(_))), "judged at the barrier: {v:?}");
    let (_, verdict) = ex.replay(&v.path).expect("the counterexample replays step by step");
    assert_eq!(verdict.map(|(c, _)| c).as_deref(), Some("barriers"));
    let (_, at_prefix) = ex.replay(&v.path[..v.path.len() - 1]).expect("prefix replays");
    assert!(at_prefix.is_none(), "a shorter path already failed: {at_prefix:?}");
    // The correct protocol's space of the same bounds (about 8 CPU s): CKPTSIM_LONG=1.
    if std::env::var_os("CKPTSIM_LONG").is_some() {
        flink111.variant = Variant::Correct;
        let report = Explorer::new(&flink111, b).explore();
        assert!(report.violation.is_none(), "correct protocol, flink-1.11: {:?}", report.violation);
    }
}

/// `drop-channel-state-on-restore` on the two-input job with unaligned checkpoints: what a user
/// writes by adding `unaligned = true` to `[checkpoint]` of `keyed-print.toml`. A barrier on
/// one channel starts the unaligned snapshot, the record queued on the other channel before its
/// barrier becomes channel state, a failure restores that checkpoint, and the broken restore
/// drops the record. Since session 30 the explorer records restores with channel state as the
/// world does, so the `alignment` rule `channel-state-not-replayed` names the restore that
/// replayed none of its channel state, before the quiescent-state rule (`state`) would see the
/// key's last printed value one short.
/// With the restart delay at 0 ms the restart needs no timer firing, so one tick (the
/// checkpoint's trigger) reaches the restore (figures of the `state` find, before session 30's
/// rule: 243,340 distinct states, about 2.6 CPU s (with
/// the 100 ms delay and two ticks: 623,444 states, 10 CPU s; BENCHMARKS.md "Exploration"); the
/// `alignment` find is a 30-step path, judged at the deployment that restores the task.
#[test]
fn drop_channel_state_on_restore_is_found_on_the_unaligned_two_input_job() {
    let b = Bounds { max_states: 600_000, ..bounds(1, 1) };
    let mut unaligned = spec("keyed-print.toml", Variant::DropChannelStateOnRestore);
    unaligned.checkpoint.unaligned = true;
    unaligned.restart = ckptsim::config::RestartStrategyConfig::FixedDelay { attempts: 3, delay_ms: 0 };
    let ex = Explorer::new(&unaligned, b);
    let v = ex.explore().violation.expect("the dropped channel state is found");
    assert_eq!(v.checker, "alignment", "{v:?}");
    assert!(v.anomaly.contains("replayed 0 of the 1 records of its channel state"), "{v:?}");
    assert!(v.path.iter().any(|c| matches!(c, Choice::Fail(_))), "a failure and a restore are on the path: {v:?}");
    let (_, verdict) = ex.replay(&v.path).expect("the counterexample replays step by step");
    assert_eq!(verdict.map(|(c, _)| c).as_deref(), Some("alignment"));
    let (_, at_prefix) = ex.replay(&v.path[..v.path.len() - 1]).expect("prefix replays");
    assert!(at_prefix.is_none(), "a shorter path already failed: {at_prefix:?}");
}

/// The two-input job's bounded space (`CKPTSIM_LONG=1` runs it). Session 6 measured about
/// 660,000 states breadth-first; session 42 found the space past the test's bound of 1,500,000
/// (breadth-first stopped there, not exhausted: the failing task's closing, the channel cuts and
/// the retried calls of sessions 16–40 split states), so it is exhausted depth-first with a
/// fingerprint set (`--exhaust --jm-keep`: 13 CPU s and 48 MB instead of 1.2 GB for the
/// breadth-first frontier) and its counts pinned: 1,514,283 distinct, 12,054 terminal, depth 46.
#[test]
fn correct_protocol_exhausts_the_two_input_job() {
    if std::env::var_os("CKPTSIM_LONG").is_none() {
        return;
    }
    let s = spec("keyed-print.toml", Variant::Correct);
    let r = Explorer::new(&s, Bounds { max_states: 3_000_000, ..bounds(2, 1) }).explore_exhaustive();
    assert!(r.violation.is_none(), "correct protocol: {:?}", r.violation);
    assert!(r.exhausted, "exhausted ({} states, depth {})", r.distinct_states, r.depth_reached);
    assert_eq!((r.distinct_states, r.terminal_states, r.depth_reached), (1_514_283, 12_054, 46));
}

/// Process failures: a TaskManager crash (noticed later by the JobManager) and a JobManager
/// failover (a new leader recovers from the HA store). With task failures off, the correct
/// protocol's space with one of them is exhausted with no violation.
#[test]
fn correct_protocol_exhausts_tm_crash_and_jm_failover() {
    let only = |tm: u32, jm: u32| Bounds { max_tm_crashes: tm, max_jm_failovers: jm, ..bounds(2, 0) };
    let spec = spec("tiny-2pc.toml", Variant::Correct);
    for b in [only(1, 0), only(0, 1)] {
        let report = Explorer::new(&spec, b).explore();
        assert!(report.violation.is_none(), "{b:?}: {:?}", report.violation);
        assert!(report.exhausted, "{b:?}: exhausted ({} states)", report.distinct_states);
    }
}

/// A bug only a JobManager failover shows: the new coordinator does not continue the HA
/// checkpoint id counter. Without failovers the same bounds find nothing; with one, the
/// coordinator checker names the reused id and the path holds the failover.
#[test]
fn no_ha_id_counter_is_found_only_through_a_jm_failover() {
    let b = Bounds { max_jm_failovers: 1, ..bounds(3, 0) };
    assert_eq!(found("tiny-2pc.toml", Variant::NoHaIdCounter, b).as_deref(), Some("coordinator"));
    let spec = spec("tiny-2pc.toml", Variant::NoHaIdCounter);
    let v = Explorer::new(&spec, b).explore().violation.expect("found");
    assert!(v.path.contains(&Choice::JmFailover), "{v:?}");
    assert!(v.anomaly.contains("triggered again"), "{v:?}");
    let without = Explorer::new(&spec, bounds(2, 1)).explore();
    assert!(without.violation.is_none() && without.exhausted, "{:?}", without.violation);
}

/// A TaskManager crash alone (no task failure) reaches the 2PC bug: the restored sink aborts
/// a transaction the broken sink had already committed.
#[test]
fn two_pc_commit_on_precommit_is_found_through_a_tm_crash() {
    let b = Bounds { max_tm_crashes: 1, max_states: 600_000, ..bounds(3, 0) };
    let spec = spec("tiny-2pc.toml", Variant::TwoPcCommitOnPrecommit);
    let ex = Explorer::new(&spec, b);
    let v = ex.explore().violation.expect("found");
    assert_eq!(v.checker, "exactly-once", "{v:?}");
    let (_, verdict) = ex.replay(&v.path).expect("the counterexample replays step by step");
    assert_eq!(verdict.map(|(c, _)| c).as_deref(), Some("exactly-once"));
    assert!(v.path.iter().any(|c| matches!(c, Choice::CrashTm(_))), "{v:?}");
    assert!(v.path.iter().any(|c| matches!(c, Choice::TmLost(_))), "the JobManager noticed the crash: {v:?}");
}

/// The 34-step counterexample of `drop-channel-state-on-restore` (the search above finds it)
/// replayed directly: the broken restore fails the `alignment` rule (its channel state not
/// replayed; before session 30's recorded restores, the quiescent-state rule), the correct one
/// replays the channel state and passes the same path.
#[test]
fn the_dropped_channel_state_path_fails_only_the_broken_restore() {
    let path: Vec<Choice> = "to-task:t0 to-task:t1 to-task:t2 to-jm:t0 to-jm:t0 to-jm:t1 to-jm:t1 to-jm:t2 to-jm:t2 \
        tick fetch:t0 to-task:t0 to-task:t1 data:0:t2:1 data:0:t2:0 data:0:t2:0 to-jm:t0 to-jm:t1 to-jm:t2 \
        to-task:t1 to-task:t0 to-task:t2 fail:t0 to-jm:t0 to-task:t1 to-task:t2 to-jm:t1 to-jm:t2 tick \
        to-task:t0 to-task:t1 fetch:t0 to-task:t2 data:1:t2:0"
        .split_whitespace()
        .map(|c| c.parse().expect("a step"))
        .collect();
    for (variant, want) in [(Variant::DropChannelStateOnRestore, Some("alignment")), (Variant::Correct, None)] {
        let mut s = spec("keyed-print.toml", variant);
        s.checkpoint.unaligned = true;
        let (_, verdict) = Explorer::new(&s, bounds(2, 1)).replay(&path).expect("every step is enabled");
        assert_eq!(verdict.as_ref().map(|(c, _)| c.as_str()), want, "{variant}: {verdict:?}");
    }
}

/// Zombies: a late message of an ended task attempt (its state update, ack or decline, sent
/// again after the JobManager moved on to a newer attempt) reaches the JobManager, which must
/// ignore it. With one zombie delivery per path the correct protocol's tiny space is exhausted
/// with no violation, and the path below (a deployment never acknowledged within the ask
/// timeout is failed and redeployed, then attempt 0's INITIALIZING arrives late) poses one.
#[test]
fn zombie_messages_are_ignored_by_the_job_master() {
    let b = Bounds { max_zombies: 1, ..bounds(2, 1) };
    let spec = spec("tiny-2pc.toml", Variant::Correct);
    let ex = Explorer::new(&spec, b);
    let report = ex.explore();
    assert!(report.violation.is_none(), "a zombie changed the JobMaster: {:?}", report.violation);
    assert!(report.exhausted, "exhausted ({} states)", report.distinct_states);
    let path: Vec<Choice> =
        "to-task:t0 to-task:t1 to-jm:t0 to-jm:t0 tick to-task:t0 to-jm:t0 tick to-task:t0 to-task:t1 zombie:t0:0"
            .split_whitespace()
            .map(|c| c.parse().expect("a step"))
            .collect();
    let (_, verdict) = ex.replay(&path).expect("the zombie step is enabled after the redeployment");
    assert_eq!(verdict, None, "the late INITIALIZING of attempt 0 is ignored");
    // Without --zombies the same step is not posed.
    let plain = Explorer::new(&spec, bounds(2, 1));
    assert!(plain.replay(&path).unwrap_err().contains("step 11"), "zombie steps need --zombies");
}

/// `snapshot-after-first-gate` on the smallest job graph with a two-input task
/// (`tiny-join.toml`: two sources, a keyed join, a 2PC sink): the join snapshots once the
/// first gate's barrier arrived, so the second gate's record sent before its barrier is in
/// neither the snapshot nor channel state. With channel cuts (session 16) the `alignment`
/// checker names it at that snapshot (10 steps, about 2,600 states); before, `exactly-once` saw
/// the committed transaction short of it after a restore (21 steps, 54,172 states). (The
/// correct protocol's space of the same bounds is exhausted with no violation: about 236,000
/// states, BENCHMARKS.md.)
#[test]
fn snapshot_after_first_gate_is_found_on_the_join_graph() {
    let spec = spec("tiny-join.toml", Variant::SnapshotAfterFirstGate);
    let v = Explorer::new(&spec, bounds(2, 1)).explore().violation.expect("found");
    // Session 26: the `barriers` checker names the early snapshot itself (9 steps), whether or
    // not a record of the second gate was sent before its barrier.
    assert_eq!(v.checker, "barriers", "{v:?}");
    assert!(v.anomaly.contains("taken before input channel 1 delivered its barrier"), "{v:?}");
}

/// `window-state-not-restored` on `tiny-window.toml` (watermarks as channel elements, the
/// sources' periodic emission fired by `tick`): the 28-step counterexample the search finds
/// (about 6 CPU s, `CKPTSIM_LONG=1` runs it) replayed directly. A window holding a @100 is
/// checkpointed, the window task fails, the restored window forgets it and fires (a,1) once
/// a @1500 moves the watermark past [0,1000): the quiescent window rule (`windows`). The
/// correct restore fires (a,2) on the same path. Without watermark deliveries no window
/// fires and the path passes.
#[test]
fn window_state_not_restored_path_fails_only_the_broken_restore() {
    let path = steps(
        "to-task:t0 fetch:t0 to-task:t1 data:0:t1:0 to-jm:t0 to-jm:t0 to-jm:t1 to-jm:t1 \
         tick to-task:t0 data:0:t1:0 to-jm:t0 to-jm:t1 to-task:t0 to-task:t1 tick \
         fail:t1 to-jm:t1 to-task:t0 to-jm:t0 to-task:t0 fetch:t0 fetch:t0 to-task:t1 \
         data:1:t1:0 data:1:t1:0 tick data:1:t1:0",
    );
    for (variant, want) in [(Variant::WindowStateNotRestored, Some("windows")), (Variant::Correct, None)] {
        let s = spec("tiny-window.toml", variant);
        let (_, verdict) = Explorer::new(&s, bounds(3, 1)).replay(&path).expect("every step is enabled");
        assert_eq!(verdict.as_ref().map(|(c, _)| c.as_str()), want, "{variant}: {verdict:?}");
    }
    if std::env::var_os("CKPTSIM_LONG").is_some() {
        let b = Bounds { max_states: 1_000_000, ..bounds(3, 1) };
        assert_eq!(found("tiny-window.toml", Variant::WindowStateNotRestored, b).as_deref(), Some("windows"));
    }
}

/// `union-list-as-split` on `tiny-union-list.toml`: the 37-step counterexample (the search
/// takes about 3.5 CPU s, `CKPTSIM_LONG=1` runs it) replayed directly: after the source fails,
/// each `Counter` subtask restores only its own 7 entries instead of the union of both
/// subtasks' 14 (`state`: the restored lists, `RunResult::restored_lists`, as the world
/// records them). The correct restore passes the same path.
#[test]
fn union_list_as_split_path_fails_only_the_broken_restore() {
    let path = steps(
        "to-task:t0 fetch:t0 to-task:t1 to-task:t2 data:0:t1:0 to-jm:t0 to-jm:t0 to-jm:t1 \
         to-jm:t1 to-jm:t2 to-jm:t2 tick to-task:t0 data:0:t1:0 data:0:t2:0 to-jm:t0 \
         to-jm:t1 to-jm:t2 to-task:t0 to-task:t1 to-task:t2 fail:t0 to-jm:t0 to-task:t1 \
         to-task:t2 to-jm:t1 to-jm:t2 tick to-task:t0 to-task:t1 to-task:t2 to-jm:t0 \
         to-jm:t0 to-jm:t1 to-jm:t1 to-jm:t2 to-jm:t2",
    );
    for (variant, want) in [(Variant::UnionListAsSplit, Some("state")), (Variant::Correct, None)] {
        let s = spec("tiny-union-list.toml", variant);
        let (_, verdict) = Explorer::new(&s, bounds(2, 1)).replay(&path).expect("every step is enabled");
        assert_eq!(verdict.as_ref().map(|(c, _)| c.as_str()), want, "{variant}: {verdict:?}");
    }
    if std::env::var_os("CKPTSIM_LONG").is_some() {
        let b = Bounds { max_states: 1_000_000, ..bounds(2, 1) };
        assert_eq!(found("tiny-union-list.toml", Variant::UnionListAsSplit, b).as_deref(), Some("state"));
    }
}

/// `rescale-keyed-by-subtask` through the explorer's `rescale` step (`--rescales 1`, the
/// world's hand-off `world::hand_off`): `tiny-rescale.toml` goes from 1 to 2 `Sum` subtasks
/// and key a's key group moves to new subtask 1, which the planted hand-off leaves empty; the
/// correct hand-off's space is exhausted with no violation (`CKPTSIM_LONG=1`). Without
/// `--rescales` the step is not posed.
#[test]
fn rescale_keyed_by_subtask_is_found_through_the_rescale_step() {
    let b = Bounds { max_rescales: 1, ..bounds(3, 0) };
    assert_eq!(found("tiny-rescale.toml", Variant::RescaleKeyedBySubtask, b).as_deref(), Some("state"));
    // The correct hand-off's space (session 42: 331,791 distinct, 2,726 terminal, 7 CPU s;
    // about 174,000 in session 18): CKPTSIM_LONG=1.
    if std::env::var_os("CKPTSIM_LONG").is_some() {
        exhausted("tiny-rescale.toml", b);
    }
    let plain = Explorer::new(&spec("tiny-rescale.toml", Variant::RescaleKeyedBySubtask), bounds(3, 0)).explore();
    assert!(plain.violation.is_none() && plain.exhausted, "no rescale, no violation: {:?}", plain.violation);
}

/// Session 25: the explorer builds its task specs with the world's key-group routing
/// (`Graph::task_spec`, `key_routing.rs`). `tiny-keyed-max-parallelism.toml` is `tiny-rescale`
/// with `Sum` at max parallelism 7: after the 1 -> 2 rescale key a belongs to subtask 0 (7 key
/// groups; 128 would say 1), where the hand-off put its state. The correct protocol's space is
/// exhausted with no violation (about 176,000 states, 5-6 CPU s). Before, the explorer routed
/// the new job's keyed edge by 128 key groups and every path past the rescale printed (a,1)
/// from subtask 1: a `state` false alarm after 20 steps. Then the new program leaves `Sum`'s
/// max parallelism derived ("auto"): it adopts the checkpoint's 7 (`Rescaled::vertices`), which
/// the explorer routes by, not the derived 128; the space is exhausted clean too.
#[test]
fn a_rescaled_keyed_edge_routes_by_the_max_parallelism_in_the_explorer() {
    let b = Bounds { max_rescales: 1, ..bounds(3, 0) };
    exhausted("tiny-keyed-max-parallelism.toml", b);
    let key = ckptsim::record::Value::Str("a".into());
    assert_eq!(ckptsim::key_group::assign_key_to_parallel_operator(&key, 7, 2), 0);
    assert_eq!(ckptsim::operator::key_group_route(&key, 2), 1, "128 key groups would route a elsewhere");
    let mut auto = spec("tiny-keyed-max-parallelism.toml", Variant::Correct);
    for a in &mut auto.actions {
        if let ckptsim_sim::spec::ActionSpec::Rescale(r) = &mut a.kind {
            r.max_parallelism.insert("Sum".into(), None);
        }
    }
    let report = Explorer::new(&auto, b).explore();
    assert!(report.violation.is_none(), "adopted max parallelism: {:?}", report.violation);
    assert!(report.exhausted, "{} states", report.distinct_states);
}

/// The correct protocol's counterexample the explorer reported in session 18
/// (`docs/findings/explore-rescale-offsets-back.replay`, "p0 went back from 2 to 1"): the
/// old job commits checkpoint 1's offset in the same millisecond (3,600) as the rescale that
/// starts the new job from checkpoint 2. The commit came first; the `offsets` checker ordered
/// the new job's restore before it by time alone and read the old commit as the new job's
/// going back. Restores are now ordered against commits by `RestoreRecord::commits_before`.
#[test]
fn an_old_jobs_commit_in_the_rescales_millisecond_is_not_backwards() {
    let path: Vec<Choice> = [
        "to-task:t0",
        "fetch:t0",
        "to-task:t1",
        "data:0:t1:0",
        "to-jm:t0",
        "to-jm:t0",
        "to-jm:t1",
        "tick",
        "to-jm:t1",
        "tick",
        "to-task:t0",
        "fetch:t0",
        "data:0:t1:0",
        "data:0:t1:0",
        "to-jm:t0",
        "tick",
        "to-jm:t1",
        "to-task:t0",
        "to-task:t0",
        "data:0:t1:0",
        "to-task:t1",
        "to-jm:t0",
        "to-jm:t1",
        "rescale",
    ]
    .iter()
    .map(|s| s.parse().expect("a step"))
    .collect();
    let b = Bounds { max_rescales: 1, max_depth: 60, ..bounds(3, 0) };
    let spec = spec("tiny-rescale.toml", Variant::Correct);
    let ex = Explorer::new(&spec, b);
    let (lines, verdict) = ex.replay(&path).expect("every step is enabled");
    assert!(verdict.is_none(), "correct protocol flagged: {verdict:?}\n{}", lines.join("\n"));
    // The path's end as the checker reads it: checkpoint 1's commit (offset 1) is the old
    // job's last, then the new job restores checkpoint 2's offset 2, both at 3,600 ms.
    let run = ex.run_of(&path).expect("the path replays");
    let commits: Vec<_> = run.offset_commits.iter().map(|c| (c.time_ms, c.offset.0)).collect();
    assert_eq!(commits.last(), Some(&(3_600, 1)), "{commits:?}");
    let r = run.restores.last().expect("the rescale's restore");
    assert_eq!((r.at_ms, r.commits_before, r.offsets.values().next().map(|o| o.0)), (3_600, commits.len(), Some(2)));
}

/// `source-emits-after-stop` through the explorer's `stop` step (`--stops 1`, the scenario's
/// `stop-with-savepoint` action): the source takes the synchronous savepoint's trigger and reads
/// its next record anyway (`stop`: a record processed after the stop's barrier). The correct
/// protocol's space is exhausted with no violation, and its stop ends the job FINISHED (the
/// savepoint's notification finishes the source, its EndOfPartition the sum). Without `--stops`
/// the step is not posed and the variant is not found.
#[test]
fn source_emits_after_stop_is_found_through_the_stop_step() {
    let b = Bounds { max_stops: 1, ..bounds(2, 0) };
    assert_eq!(found("tiny-stop.toml", Variant::SourceEmitsAfterStop, b).as_deref(), Some("stop"));
    exhausted("tiny-stop.toml", b);
    let correct = spec("tiny-stop.toml", Variant::Correct);
    let ex = Explorer::new(&correct, b);
    let (lines, verdict) = ex
        .replay(&steps(
            "to-task:t0 to-task:t1 to-jm:t0 to-jm:t0 to-jm:t1 to-jm:t1 stop to-task:t0 data:0:t1:0 \
             to-jm:t0 to-jm:t1 to-task:t0 to-task:t1 data:0:t1:0 to-jm:t0 to-jm:t1",
        ))
        .expect("the stop's savepoint, its notifications and the EndOfPartition are enabled in turn");
    assert!(verdict.is_none(), "{verdict:?}");
    let last = lines.last().expect("a line per step");
    assert!(last.contains("job FINISHED") && last.contains("t0=FINISHED t1=FINISHED"), "{last}");
    let plain = Explorer::new(&spec("tiny-stop.toml", Variant::SourceEmitsAfterStop), bounds(2, 0)).explore();
    assert!(plain.violation.is_none() && plain.exhausted, "no stop, no violation: {:?}", plain.violation);
}

/// `join-snapshot-without-right` on `tiny-interval-join.toml` (an event-time interval join of
/// one order and one payment, print sink): the payment buffered in the join is checkpointed, a
/// failure restores the join without its right side, and the order read afterwards meets
/// nothing: once every input is read and delivered the joined row was never printed (the
/// quiescent `state` rule). The correct restore's space is exhausted with no violation.
#[test]
fn join_snapshot_without_right_is_found_on_the_interval_join() {
    assert_eq!(
        found("tiny-interval-join.toml", Variant::JoinSnapshotWithoutRight, bounds(2, 1)).as_deref(),
        Some("state")
    );
    exhausted("tiny-interval-join.toml", bounds(2, 1));
}

/// `rescale-keyed-by-subtask` on a rescaled interval join (`tiny-rescale-join.toml`, the join
/// 1 -> 2 subtasks through the `rescale` step): key a's buffered payment belongs to new subtask
/// 1, the planted hand-off gives it to subtask 0, and the order read after the rescale joins
/// nothing. The correct hand-off's space is exhausted with no violation.
#[test]
fn rescale_keyed_by_subtask_is_found_on_the_rescaled_interval_join() {
    let b = Bounds { max_rescales: 1, ..bounds(3, 0) };
    let spec_broken = spec("tiny-rescale-join.toml", Variant::RescaleKeyedBySubtask);
    let v = Explorer::new(&spec_broken, b).explore().violation.expect("found");
    assert!(v.path.contains(&Choice::Rescale), "{v:?}");
    assert_eq!(found("tiny-rescale-join.toml", Variant::RescaleKeyedBySubtask, b).as_deref(), Some("state"));
    exhausted("tiny-rescale-join.toml", b);
}

/// `window-state-not-restored` on `tiny-window-one.toml` (one record per window): the 26-step
/// counterexample the search finds (253,371 distinct, 4 CPU s in session 42; `CKPTSIM_LONG=1`
/// runs the search and the correct protocol's exhaustion, 494,343 distinct and 10,148 terminal,
/// 11 CPU s in session 42; about 245,000 states in session 10) replayed
/// directly: the window holding a @100 is checkpointed, the window task fails, the restored
/// window forgets it and never fires once a @1500 moves the watermark past [0,1000) ("window
/// lost"). The correct restore fires (a,1) on the same path.
#[test]
fn window_state_not_restored_loses_the_window_of_one_record() {
    let path = steps(
        "to-task:t0 fetch:t0 to-task:t1 data:0:t1:0 to-jm:t0 to-jm:t0 to-jm:t1 to-jm:t1 \
         tick to-task:t0 data:0:t1:0 to-jm:t0 to-jm:t1 to-task:t0 to-task:t1 tick \
         fail:t1 to-jm:t1 to-task:t0 to-jm:t0 to-task:t0 fetch:t0 to-task:t1 data:1:t1:0 \
         tick data:1:t1:0",
    );
    for (variant, want) in [(Variant::WindowStateNotRestored, Some("windows")), (Variant::Correct, None)] {
        let s = spec("tiny-window-one.toml", variant);
        let (_, verdict) = Explorer::new(&s, bounds(3, 1)).replay(&path).expect("every step is enabled");
        assert_eq!(verdict.as_ref().map(|(c, _)| c.as_str()), want, "{variant}: {verdict:?}");
        if let Some((_, anomaly)) = verdict {
            assert!(anomaly.contains("window lost"), "{anomaly}");
        }
    }
    if std::env::var_os("CKPTSIM_LONG").is_some() {
        let b = Bounds { max_states: 1_000_000, ..bounds(3, 1) };
        assert_eq!(found("tiny-window-one.toml", Variant::WindowStateNotRestored, b).as_deref(), Some("windows"));
        exhausted("tiny-window-one.toml", b);
    }
}

/// The fingerprint hashes the machines' derived `Hash` instead of their `Debug` text (session
/// 10): the same states are told apart, so the counts of the search are those measured with
/// the text (BENCHMARKS.md, *Exploration*, session 6's table: 60,793 distinct states, 103,910
/// children). A field left out of a `Hash` (or a part hashed twice the same way for two
/// different values) merges states and changes them.
#[test]
fn the_hash_fingerprint_tells_apart_the_states_the_debug_text_did() {
    let spec = spec("tiny-2pc.toml", Variant::Correct);
    // Session 21: measured with the groups of before (every upstream task); with feeder
    // groups the same space is 56,485 distinct states, 93,418 children.
    // Session 29: these are the counts of the session 10–27 reduction (`Bounds::fast()`), kept
    // pinned with it: the test is about the fingerprint, not the reduction.
    let old = Bounds { fast_reduce: true, ..bounds(2, 1) };
    let report = Explorer::new(&spec, Bounds { reduce_feeders: false, ..old }).explore();
    assert!(report.exhausted && report.violation.is_none(), "{report:?}");
    let feeders = Explorer::new(&spec, Bounds { reduce_feeders: true, ..old }).explore();
    // Session 33: 45,229 / 75,080 (feeders) and 50,029 / 85,780 since a failing task closes its
    // operators (`world::closing_aborts`): the sink's open transaction is aborted and drops
    // its records, so states that differed only in what the failed attempt had written into it
    // meet (terminal states 2,402 -> 2,027).
    // Session 34: 44,563 / 74,024 and 49,237 / 84,466 since a deployment closes the older
    // attempt it replaces (`route.rs` `close_replaced`): its open transaction is aborted, and
    // terminal states that differed only there meet (2,027 -> 2,009).
    assert_eq!((feeders.distinct_states, feeders.children), (44_563, 74_024));
    // Session 14: 62,497 / 106,772 since a flink-2.3 trigger RPC to an attempt the TaskManager
    // does not run is answered (the failed answer is a `to-jm` message that aborts the checkpoint).
    // Session 16: 62,531 / 106,794 since the channel cuts (`cuts.rs`) are part of the state: 34
    // states differ only in a cut still to be judged.
    assert_eq!((report.distinct_states, report.children), (49_237, 84_466));
}

/// `window-state-not-restored` on `tiny-window-functions.toml` (the shape of
/// `negative/window-then-functions-lost.toml`: the window's sums pass `even_value` and
/// `double_value` before the print sink): the window holding "a 2" @100 is checkpointed, the
/// window task fails, the restored window forgets it and never fires [0,1000), so the row
/// (a,4) the functions make of its sum is never printed (the quiescent rule through the
/// chain, "window lost"). The correct restore prints (a,4) on the same path. The search finds
/// the path itself (a few CPU s).
#[test]
fn window_state_not_restored_is_found_through_functions_after_the_window() {
    let path = steps(
        "to-task:t0 fetch:t0 to-task:t1 data:0:t1:0 to-jm:t0 to-jm:t0 to-jm:t1 to-jm:t1 \
         tick to-task:t0 data:0:t1:0 to-jm:t0 to-jm:t1 to-task:t0 to-task:t1 tick \
         fail:t1 to-jm:t1 to-task:t0 to-jm:t0 to-task:t0 fetch:t0 to-task:t1 data:1:t1:0 \
         tick data:1:t1:0",
    );
    for (variant, want) in [(Variant::WindowStateNotRestored, Some("windows")), (Variant::Correct, None)] {
        let s = spec("tiny-window-functions.toml", variant);
        let (_, verdict) = Explorer::new(&s, bounds(3, 1)).replay(&path).expect("every step is enabled");
        assert_eq!(verdict.as_ref().map(|(c, _)| c.as_str()), want, "{variant}: {verdict:?}");
        if let Some((_, anomaly)) = verdict {
            assert!(anomaly.contains("window lost") && anomaly.contains("(a,4)"), "{anomaly}");
        }
    }
    let b = Bounds { max_states: 1_000_000, ..bounds(3, 1) };
    assert_eq!(found("tiny-window-functions.toml", Variant::WindowStateNotRestored, b).as_deref(), Some("windows"));
    if std::env::var_os("CKPTSIM_LONG").is_some() {
        exhausted("tiny-window-functions.toml", b);
    }
}

/// `finished-task-counts-as-acked` on `tiny-stop-savepoint.toml` (`--requests 1 --stops 1`):
/// the stop's savepoint completes, its notification finishes both tasks, and a savepoint
/// requested after the JobManager saw the source FINISHED but before the sum's FINISHED reached
/// it waits for the sum's acknowledgement (fixed at its trigger); the sum, already finished,
/// never sends one, and the planted coordinator counts its FINISHED as the acknowledgement. The
/// explorer records the acknowledgements the JobManager saw as the world does (`world/acks.rs`),
/// so the `coordinator` checker's acknowledgement rule names it. The correct coordinator's space,
/// with a lost acknowledgement too (`--ack-losses 1`), is exhausted with no violation; without
/// the savepoint request nothing is pending when the tasks finish, and nothing is found.
#[test]
fn finished_task_counts_as_acked_is_found_through_a_savepoint_request() {
    let b = Bounds { max_stops: 1, max_requests: 1, ..bounds(0, 0) };
    let broken = spec("tiny-stop-savepoint.toml", Variant::FinishedTaskCountsAsAcked);
    let v = Explorer::new(&broken, b).explore().violation.expect("found");
    assert!(v.path.contains(&Choice::Savepoint) && v.path.contains(&Choice::Stop), "{v:?}");
    assert!(v.anomaly.contains("without an acknowledgement from"), "{v:?}");
    assert_eq!(
        found("tiny-stop-savepoint.toml", Variant::FinishedTaskCountsAsAcked, b).as_deref(),
        Some("coordinator")
    );
    exhausted("tiny-stop-savepoint.toml", Bounds { max_ack_losses: 1, ..b });
    let no_request = Explorer::new(&broken, Bounds { max_requests: 0, ..b }).explore();
    assert!(no_request.violation.is_none() && no_request.exhausted, "{:?}", no_request.violation);
}

/// A lost acknowledgement (`lose-ack:tN`, `--ack-losses 1`): Flink sends it once, so the
/// savepoint stays pending, and the stop's savepoint after it still completes and ends the job
/// FINISHED with no checker objecting. Without the bound the step is not enabled.
#[test]
fn a_lost_acknowledgement_keeps_its_checkpoint_pending() {
    let b = Bounds { max_stops: 1, max_requests: 1, max_ack_losses: 1, ..bounds(0, 0) };
    let correct = spec("tiny-stop-savepoint.toml", Variant::Correct);
    let ex = Explorer::new(&correct, b);
    // The savepoint's acknowledgement from the source is lost; the stop's savepoint completes
    // and both tasks finish: the job ends FINISHED, no checker objects.
    let (lines, verdict) = ex
        .replay(&steps(
            "to-task:t0 to-task:t1 to-jm:t0 to-jm:t0 to-jm:t1 to-jm:t1 savepoint to-task:t0 data:0:t1:0 \
             lose-ack:t0 to-jm:t1 stop to-task:t0 to-task:t0 data:0:t1:0 to-task:t1 to-jm:t0 to-jm:t1 \
             to-task:t0 data:0:t1:0 to-task:t1 to-jm:t0 to-jm:t1",
        ))
        .expect("the lost acknowledgement, the stop and the notifications are enabled in turn");
    assert!(verdict.is_none(), "{verdict:?}");
    let last = lines.last().expect("a line per step");
    assert!(last.contains("job FINISHED"), "{last}");
    let without = Explorer::new(&correct, Bounds { max_ack_losses: 0, ..b });
    let prefix =
        "to-task:t0 to-task:t1 to-jm:t0 to-jm:t0 to-jm:t1 to-jm:t1 savepoint to-task:t0 data:0:t1:0 lose-ack:t0";
    assert!(without.replay(&steps(prefix)).is_err(), "no lost acknowledgement without the bound");
}

/// The manual checkpoint request (`trigger` step, `--requests 1`, the scenario's
/// `trigger-checkpoint` action) on `tiny-min-pause-manual.toml`: the planted `ignore-min-pause`
/// is still found (a periodic trigger inside the pause), while the correct decider's space,
/// where the manual request comes at every point (also right after a completion, inside the
/// pause), is exhausted with no violation: the `coordinator` checker holds only periodic
/// requests to the pause (the shape of `negative/ignore-min-pause-with-manual-requests.toml`).
#[test]
fn manual_requests_are_not_held_to_the_min_pause_but_periodic_ones_are() {
    let b = Bounds { max_requests: 1, ..bounds(3, 0) };
    assert_eq!(found("tiny-min-pause-manual.toml", Variant::IgnoreMinPause, b).as_deref(), Some("coordinator"));
    exhausted("tiny-min-pause-manual.toml", b);
    // The request right after checkpoint 1 completed at 200 ms (inside the 1 s pause) is
    // triggered at once: its trigger reaches the source (the last step), and no checker objects.
    let correct = spec("tiny-min-pause-manual.toml", Variant::Correct);
    let ex = Explorer::new(&correct, b);
    let path = steps(
        "to-task:t0 to-task:t1 to-jm:t0 to-jm:t0 to-jm:t1 to-jm:t1 tick to-task:t0 data:0:t1:0 to-jm:t0 \
         to-jm:t1 to-task:t0 to-task:t1 trigger to-task:t0",
    );
    let (lines, verdict) = ex.replay(&path).expect("enabled in turn");
    assert_eq!(verdict, None, "{lines:?}");
}

/// `rescale-in-flight-by-subtask` on `tiny-rescale-unaligned.toml` (`--rescales 1`): the
/// unaligned checkpoint holds one of key a's records as in-flight state of the key_by channel
/// into the sum; the planted hand-off replays it in new subtask 0 instead of a's owner, subtask
/// 1, and a's last printed value stays short (`state`). The same path under the correct hand-off
/// passes, and the correct hand-off's space is exhausted with no violation.
#[test]
fn rescale_in_flight_by_subtask_is_found_on_the_unaligned_rescale() {
    let b = Bounds { max_rescales: 1, ..bounds(1, 0) };
    let broken = spec("tiny-rescale-unaligned.toml", Variant::RescaleInFlightBySubtask);
    let v = Explorer::new(&broken, b).explore().violation.expect("found");
    assert!(v.path.contains(&Choice::Rescale), "{v:?}");
    assert_eq!(v.checker, "state", "{v:?}");
    let correct = spec("tiny-rescale-unaligned.toml", Variant::Correct);
    let (_, verdict) = Explorer::new(&correct, b).replay(&v.path).expect("the same path is enabled");
    assert_eq!(verdict, None, "the correct hand-off passes the path");
    exhausted("tiny-rescale-unaligned.toml", b);
}

/// The explorer's JobMaster reports its queue changes as the world's does (`RunResult::requests`),
/// so the `coordinator` checker replays the decider's queue on every explored path: the planted
/// `queue-in-arrival-order` on `tiny-queue-savepoint.toml` (unaligned, so the savepoint is not
/// forced and waits while checkpoint 1 is pending, behind the periodic request a tick queued) is
/// found by a path whose last steps are the tick, the savepoint request and the acknowledgement
/// that completes checkpoint 1 (13 steps); the correct decider's space is exhausted. Before the
/// explorer recorded the reports the planted space was "exhausted: no violation".
#[test]
fn queue_in_arrival_order_is_found_through_the_queue_reports() {
    let b = Bounds { max_requests: 1, ..bounds(3, 0) };
    assert_eq!(found("tiny-queue-savepoint.toml", Variant::QueueInArrivalOrder, b).as_deref(), Some("coordinator"));
    let planted = spec("tiny-queue-savepoint.toml", Variant::QueueInArrivalOrder);
    let v = Explorer::new(&planted, b).explore().violation.expect("found");
    assert!(v.anomaly.contains("decider chose a periodic request while a savepoint request"), "{}", v.anomaly);
    let names: Vec<String> = v.path.iter().map(|c| c.to_string()).collect();
    assert!(names.len() <= 13 && names.contains(&"savepoint".to_string()), "{names:?}");
    exhausted("tiny-queue-savepoint.toml", b);
}

/// The store's changes reach the explorer's checkers too (`RunResult::stores`): the planted
/// `deferred-subsumption` on `tiny-2pc.toml` (num-retained 1) is found by the `retention`
/// checker at the second completion, before the next trigger would subsume.
#[test]
fn deferred_subsumption_is_found_through_the_store_reports() {
    assert_eq!(found("tiny-2pc.toml", Variant::DeferredSubsumption, bounds(4, 0)).as_deref(), Some("retention"));
}

/// Issue 14: the explorer records each task's snapshot of its stop's synchronous savepoint
/// (`RunResult::stop_snapshots`), as the world does, so the `stop` checker's drain rule judges
/// explored stop-with-savepoint paths. `tiny-stop.toml` with `drain = true` under flink-2.3:
/// `drain-without-end-of-data` snapshots the savepoint with every operator still open, which
/// no delivery checker sees (the sum and the print sink have no `endInput` output) — without
/// the recorded snapshots the search exhausts the space with no violation. The correct drain
/// (EndOfData ahead of the barrier) is exhausted with no violation.
#[test]
fn drain_without_end_of_data_is_found_through_the_stop_snapshots() {
    let b = Bounds { max_stops: 1, ..bounds(2, 0) };
    let drain = |variant| {
        let mut s = spec("tiny-stop.toml", variant);
        for a in &mut s.actions {
            if let ckptsim_sim::spec::ActionSpec::StopWithSavepoint { drain, .. } = &mut a.kind {
                *drain = true;
            }
        }
        s
    };
    let broken = drain(Variant::DrainWithoutEndOfData);
    let ex = Explorer::new(&broken, b);
    let v = ex.explore().violation.expect("the drain without end of data is found");
    assert_eq!(v.checker, "stop", "{v:?}");
    assert!(v.anomaly.contains("operators not ended"), "{v:?}");
    assert!(v.path.contains(&Choice::Stop), "{v:?}");
    let (_, verdict) = ex.replay(&v.path).expect("the counterexample replays step by step");
    assert_eq!(verdict.map(|(c, _)| c).as_deref(), Some("stop"));
    let correct = Explorer::new(&drain(Variant::Correct), b).explore();
    assert!(correct.violation.is_none() && correct.exhausted, "correct drain: {:?}", correct.violation);
    assert!(correct.terminal_states > 0);
}

/// `unaligned-into-always-aligned` on `tiny-broadcast-unaligned.toml` (a rebalance into `Relay`,
/// a broadcast edge into `Copy`, unaligned checkpoints): `Relay`'s barrier reaches `Copy` with
/// priority, overtaking the record queued there, and `Copy`, whose inputs always align, stores
/// it as channel state. The explorer's channel cuts (`tools/explore/cuts.rs`, session 16) give
/// the `alignment` checker what the world's give it; before, the variant was not posable. The
/// same path under the correct protocol sends the barrier in-band and passes, and the correct
/// protocol's space is exhausted with every cut consistent.
#[test]
fn unaligned_into_always_aligned_is_found_behind_the_broadcast_edge() {
    let b = bounds(2, 0);
    assert_eq!(
        found("tiny-broadcast-unaligned.toml", Variant::UnalignedIntoAlwaysAligned, b).as_deref(),
        Some("alignment")
    );
    let broken = spec("tiny-broadcast-unaligned.toml", Variant::UnalignedIntoAlwaysAligned);
    let v = Explorer::new(&broken, b).explore().violation.expect("found");
    assert!(v.anomaly.contains("inputs always align"), "{v:?}");
    let correct = spec("tiny-broadcast-unaligned.toml", Variant::Correct);
    let (_, verdict) = Explorer::new(&correct, b).replay(&v.path).expect("the same path is enabled");
    assert_eq!(verdict, None, "the correct protocol passes the path");
    exhausted("tiny-broadcast-unaligned.toml", b);
}

/// Bounded input (session 16): a bounded source's input ends once it read its partitions to
/// their end, the task reports its end of data, the JobMaster triggers the final checkpoint and
/// the task finishes once it completed (FLIP-147, flink-2.3). On `tiny-bounded-2pc.toml` (one
/// record, a 2PC sink chained to the source) the planted `finish-without-final-checkpoint`
/// finishes at once: the job is FINISHED with the record never committed (`exactly-once`). The
/// correct protocol commits it through the final checkpoint: its space is exhausted with no
/// violation, and some paths end FINISHED.
#[test]
fn finish_without_final_checkpoint_is_found_on_the_bounded_job() {
    assert_eq!(
        found("tiny-bounded-2pc.toml", Variant::FinishWithoutFinalCheckpoint, bounds(2, 0)).as_deref(),
        Some("exactly-once")
    );
    let broken = spec("tiny-bounded-2pc.toml", Variant::FinishWithoutFinalCheckpoint);
    let v = Explorer::new(&broken, bounds(2, 0)).explore().violation.expect("found");
    assert!(v.anomaly.contains("FINISHED"), "{v:?}");
    exhausted("tiny-bounded-2pc.toml", bounds(2, 1));
}

/// Bounded input and a task restored as finished (session 16; its job since session 18): on
/// `tiny-finished-vertex-restore.toml` the bounded `Early` reads nothing and finishes through
/// its final checkpoint (1), so its whole vertex is FINISHED when checkpoint 2 is triggered;
/// a failure restored from checkpoint 2 deploys it as finished (FLIP-147: only a fully finished
/// vertex, `TaskStateAssignment#isFullyFinished`; `tiny-finished-restore.toml`'s source vertex
/// only partly finishes and runs a regular chain, so the variant has nothing to break there).
/// The planted `finished-on-restore-runs-again` runs its endInput/finish again, which the
/// `restart` checker reads from the restored attempt's checkpoint 3 snapshot
/// (`RunResult::finished_restores`, recorded as the world records them): three ticks, 47 steps,
/// about 1.5 million states under the sound default (session 29; 551,000 with the old rule). The same path under the correct protocol passes; its space with two
/// ticks (the restore of the finished vertex from checkpoint 2 is in it) is exhausted with no
/// violation (about 168,000 states, 2 CPU s; about 468,000 under the sound default). With three
/// ticks it is not (over a million).
#[test]
fn finished_on_restore_runs_again_is_found_through_a_restore_after_a_finish() {
    let job = "tiny-finished-vertex-restore.toml";
    let b = Bounds { max_states: 2_000_000, ..bounds(3, 1) };
    let v = violation(job, Variant::FinishedOnRestoreRunsAgain, b).expect("found");
    assert_eq!(v.checker, "restart");
    assert!(v.anomaly.contains("ran endInput/finish"), "{v:?}");
    assert!(v.path.iter().any(|c| matches!(c, Choice::Fail(_))), "a restore is on the path: {v:?}");
    let correct = spec(job, Variant::Correct);
    let (_, verdict) = Explorer::new(&correct, b).replay(&v.path).expect("the same path is enabled");
    assert_eq!(verdict, None, "the correct protocol passes the path");
    // Session 29: 468,240 states under the sound default (about 168,000 with the old rule).
    exhausted(job, Bounds { max_states: 1_000_000, ..bounds(2, 1) });
}

/// Processing time in the explorer (session 17): a processing-time window's timers are task
/// timers, fired by `tick` after the sources' watermark emission as the world's task loop fires
/// them. On `tiny-processing-window.toml` the record read at 0 ms is in checkpoint 1's window
/// contents (trigger at 50 ms, window [0,60) due at 60 ms); the window task fails and restarts
/// at 60 ms with that window's timer already due. The planted `restored-due-timers-dropped`
/// drops it unfired, so once the job FINISHED through its final checkpoint the window was never
/// committed (`windows`: window lost, 42 steps). The same path under the correct protocol passes (the due
/// timer fires at the latest before the end of input quiesces the timer service), and its space
/// is exhausted with no violation.
#[test]
fn restored_due_timers_dropped_is_found_through_processing_time_ticks() {
    let b = bounds(2, 1);
    assert_eq!(found("tiny-processing-window.toml", Variant::RestoredDueTimersDropped, b).as_deref(), Some("windows"));
    let broken = spec("tiny-processing-window.toml", Variant::RestoredDueTimersDropped);
    let v = Explorer::new(&broken, b).explore().violation.expect("found");
    assert!(v.anomaly.contains("window lost") && v.anomaly.contains("[0,60)"), "{v:?}");
    assert!(v.path.iter().any(|c| matches!(c, Choice::Fail(_))), "a restore is on the path: {v:?}");
    // The restart is recorded as the world records it (`RunResult::restores`, session 17;
    // before, only the rescale step's new job was): restored from checkpoint 1.
    let restores = Explorer::new(&broken, b).run_of(&v.path).expect("the path is enabled").restores;
    assert_eq!(restores.len(), 1, "{restores:?}");
    assert_eq!(restores[0].checkpoint.map(|c| c.0), Some(1), "{restores:?}");
    assert!(matches!(restores[0].cause, ckptsim_sim::world::RestoreCause::Restart { .. }), "{restores:?}");
    let correct = spec("tiny-processing-window.toml", Variant::Correct);
    let (_, verdict) = Explorer::new(&correct, b).replay(&v.path).expect("the same path is enabled");
    assert_eq!(verdict, None, "the correct protocol passes the path");
    exhausted("tiny-processing-window.toml", b);
}

/// `stop-aborted-after-notification` (session 17) on `tiny-stop-savepoint.toml`: the stop's
/// savepoint 1 completes, its notification to the source is lost (`--losses 1`), so the source
/// never finishes and `Sum`, told that savepoint 1 completed, runs on waiting for its
/// EndOfPartition (Flink's own stall); a manual savepoint 2 then expires (one tick: its
/// timeout), and every running task is told it was aborted. The planted task takes that abort
/// as the abort of its stop and fails (`stop`'s abort rule, `RunResult::stop_notices`); the
/// correct protocol's space with the same bounds is exhausted with no violation. Session 29: the
/// sound default also finds a shorter path without the loss (18 steps, no tick: the source
/// finishes, savepoint 2's trigger reaches it finished and 2 is aborted); the old reduction had
/// cut it.
#[test]
fn stop_aborted_after_notification_is_found_through_a_lost_notification() {
    let b = Bounds { max_stops: 1, max_requests: 1, max_losses: 1, ..bounds(1, 0) };
    assert_eq!(found("tiny-stop-savepoint.toml", Variant::StopAbortedAfterNotification, b).as_deref(), Some("stop"));
    let broken = spec("tiny-stop-savepoint.toml", Variant::StopAbortedAfterNotification);
    let v = Explorer::new(&broken, b).explore().violation.expect("found");
    assert!(v.anomaly.contains("after it was told savepoint"), "{v:?}");
    // Session 29: the shortest path needs no loss (below); it goes through the manual savepoint.
    assert!(v.path.contains(&Choice::Savepoint), "{v:?}");
    exhausted("tiny-stop-savepoint.toml", b);
    // Session 29: the sound default finds it without the lost notification too (the old rule
    // cut that interleaving): the source finishes, the manual savepoint 2's trigger reaches the
    // finished source and 2 is aborted while `Sum` is stopped at savepoint 1.
    let no_loss = Explorer::new(&broken, Bounds { max_losses: 0, ..b }).explore();
    let v = no_loss.violation.expect("found without a loss");
    assert!(v.anomaly.contains("after it was told savepoint") && !v.path.iter().any(|c| matches!(c, Choice::Lose(_))));
}

/// The stuck-checkpoint rule (session 17): a state where every message and channel element was
/// delivered and nothing lost, the job runs, and a RUNNING task a pending checkpoint awaits
/// never acknowledged it, is a liveness violation (only the expiry ends the checkpoint, and the
/// tick bound hides that from the terminal-state rule). On `tiny-finished-restore.toml`
/// `Source (2/2)` reads nothing and finishes through checkpoint 1 (EndOfPartition to the sink);
/// the planted `end-of-partition-not-aligned` sink then waits for ever for that channel's barrier
/// of the final checkpoint. The correct handler counts the ended channel as aligned: the same
/// bounds are exhausted with no violation.
#[test]
fn end_of_partition_not_aligned_is_found_by_the_stuck_checkpoint_rule() {
    let b = bounds(1, 0);
    // Session 26: the `barriers` checker names the alignment that every channel completed
    // (its last channel ended) at that step, before the stuck-checkpoint rule sees it.
    assert_eq!(found("tiny-finished-restore.toml", Variant::EndOfPartitionNotAligned, b).as_deref(), Some("barriers"));
    let broken = spec("tiny-finished-restore.toml", Variant::EndOfPartitionNotAligned);
    let v = Explorer::new(&broken, b).explore().violation.expect("found");
    assert!(v.anomaly.contains("neither snapshotted nor aborted") && v.anomaly.contains("Sink"), "{v:?}");
    let correct = spec("tiny-finished-restore.toml", Variant::Correct);
    let (_, verdict) = Explorer::new(&correct, b).replay(&v.path).expect("the same path is enabled");
    assert_eq!(verdict, None, "the correct protocol passes the path");
    exhausted("tiny-finished-restore.toml", b);
}

/// Session 18: the explorer records each task's valve steps as the world does
/// (`RunResult::valve_steps`), so the `windows` checker's valve rule judges explored paths.
/// On `tiny-idle-valve` the planted `idle-input-holds-watermark` is named when `Slow`'s IDLE
/// status reaches the union (10 steps); the correct valve passes the same path, and the
/// correct protocol's bounded space (8 ticks, no failure) is exhausted with no violation.
#[test]
fn idle_input_holds_watermark_is_found_through_the_valve_steps() {
    let b = bounds(4, 0);
    let broken = spec("tiny-idle-valve.toml", Variant::IdleInputHoldsWatermark);
    let v = Explorer::new(&broken, b).explore().violation.expect("found");
    assert_eq!(v.checker, "windows", "{v:?}");
    assert!(v.anomaly.contains("watermark held back") && v.anomaly.contains("IDLE"), "{v:?}");
    let correct = spec("tiny-idle-valve.toml", Variant::Correct);
    let (_, verdict) = Explorer::new(&correct, b).replay(&v.path).expect("the same path is enabled");
    assert_eq!(verdict, None, "the correct protocol passes the path");
    exhausted("tiny-idle-valve.toml", bounds(8, 0));
}

/// Sink V2's committer retries in the explorer (issue 13, session 19): the explorer applies the
/// store's retriable commit failures as the world does (`tools/explore/route.rs`,
/// `apply_with_failures`) and sets up Sink V2's committer (`sink_api = "sink-v2"`). On
/// `tiny-2pc-committer-retry.toml` the first commit is refused: the correct committer retries it
/// and the space is exhausted clean; the planted `committer-retry-dropped` drops the committable,
/// and the record a completed checkpoint covers is never committed (`exactly-once`). Before this,
/// the explorer's store never refused a commit and the plant went unseen.
#[test]
fn committer_retries_are_explored_as_the_world_runs_them() {
    let b = bounds(2, 0);
    let v = Explorer::new(&spec("tiny-2pc-committer-retry.toml", Variant::CommitterRetryDropped), b)
        .explore()
        .violation
        .expect("the dropped committable is found");
    assert!(v.anomaly.contains("never committed"), "{v:?}");
    assert_eq!(
        found("tiny-2pc-committer-retry.toml", Variant::CommitterRetryDropped, b).as_deref(),
        Some("exactly-once")
    );
    exhausted("tiny-2pc-committer-retry.toml", b);
    // One failure more: a restart with the refusal used up before or after it, still clean.
    exhausted("tiny-2pc-committer-retry.toml", bounds(2, 1));
}

/// FLIP-147 and union list state (issue 13, session 19): on `tiny-finished-union.toml`
/// `Source (2/2)` has no record, ends its input at once and acknowledges with finished
/// operators; the correct coordinator aborts a checkpoint with the vertex partly finished
/// (`CHECKPOINT_DECLINED_TASK_CLOSING`), the planted `partly-finished-union-completed` completes
/// it and the `coordinator` checker's partial-finishing rule names it.
#[test]
fn partly_finished_union_vertex_is_found() {
    let b = bounds(1, 0);
    assert_eq!(
        found("tiny-finished-union.toml", Variant::PartlyFinishedUnionCompleted, b).as_deref(),
        Some("coordinator")
    );
    exhausted("tiny-finished-union.toml", b);
}

/// A commit refused after the transaction timeout (issue 13, session 20): on
/// `tiny-2pc-txn-timeout.toml` the transaction outlives the store's 500 ms timeout before
/// checkpoint 1 completes, the store refuses its commit, and the legacy sink rethrows
/// (`TwoPhaseCommitSinkFunction#notifyCheckpointComplete`): the task fails and the job restarts,
/// as in the world (`store_op`). The lost records are the violation (`exactly-once`); run on
/// from it, the explored job fails over. Before, the explorer kept the refusal in the store's
/// anomalies only and the task went on as if the commit had happened (no restart).
#[test]
fn commit_refused_after_the_transaction_timeout_fails_the_task() {
    let legacy = spec("tiny-2pc-txn-timeout.toml", Variant::Correct);
    let v = Explorer::new(&legacy, bounds(2, 0)).explore().violation.expect("the timed-out transaction is lost");
    assert_eq!(v.checker, "exactly-once", "{v:?}");
    let on = Explorer::new(&legacy, bounds(4, 0));
    let (run, steps) = on.run_on(&v.path, 40).expect("the counterexample replays");
    assert!(run.restarts >= 1, "the refused commit fails the task and the job restarts ({steps:?})");
    assert!(
        run.sink_anomalies.iter().any(|a| format!("{a:?}").contains("TransactionTimedOut")),
        "the store refused the commit: {:?}",
        run.sink_anomalies
    );
}

/// The same job with Sink V2's committer (issue 13, session 21): `KafkaCommitter#commit` turns
/// the broker's refusal of a commit after the transaction timeout (`ProducerFencedException`,
/// `InvalidTxnStateException`) into `signalFailedWithKnownReason`: the committable is dropped and
/// logged as data loss, no failover. The world ends this job with no restart, and so does the
/// explorer on the schedule the world runs (messages delivered before timers: `run_on` from the
/// start, the first enabled choice each step), where the legacy sink fails over. The "1 restart"
/// seen in session 20 came from another schedule: `run_on` from the breadth-first
/// counterexample, whose third step is the 10 s tick before any task's INITIALIZING/RUNNING
/// report reached the JobMaster, so both deployments fail ("deployment not acknowledged within
/// 10000 ms", the RPC ask timeout) whatever the sink; not a Sink V2 difference.
#[test]
fn sink_v2_commit_refused_after_the_transaction_timeout_does_not_fail_over() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/explore/tiny-2pc-txn-timeout.toml"),
    )
    .expect("reads");
    let text = text.replace("transaction_timeout_ms = 500\n", "transaction_timeout_ms = 500\nsink_api = \"sink-v2\"\n");
    assert!(text.contains("sink-v2"), "the sink's line is where it was");
    let dir = std::env::temp_dir().join(format!("ckptsim-explore-sink-v2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("tiny-2pc-txn-timeout-sink-v2.toml");
    std::fs::write(&path, text).expect("writes");
    let v2 = load::load_spec(&path).expect("loads");
    let world = ckptsim_sim::outcome::run(&v2, 1);
    assert_eq!(world.run.restarts, 0, "the world: Sink V2 logs the loss, no failover");
    let refused_commit = |run: &ckptsim_sim::world::RunResult| {
        run.sink_anomalies.iter().any(|a| {
            let a = format!("{a:?}");
            a.contains("TransactionTimedOut") && a.contains("\"commit\"")
        })
    };
    let (run, steps) = Explorer::new(&v2, bounds(4, 0)).run_on(&[], 60).expect("runs from the start");
    assert!(refused_commit(&run), "the store refused a commit: {:?} ({steps:?})", run.sink_anomalies);
    assert_eq!(run.restarts, 0, "Sink V2 drops the refused committable, no failover ({steps:?})");
    let legacy = spec("tiny-2pc-txn-timeout.toml", Variant::Correct);
    let (run, steps) = Explorer::new(&legacy, bounds(4, 0)).run_on(&[], 60).expect("runs from the start");
    assert!(refused_commit(&run), "the store refused a commit: {:?} ({steps:?})", run.sink_anomalies);
    assert!(run.restarts >= 1, "the legacy sink rethrows on the same schedule ({steps:?})");
}

/// The heartbeat monitor (session 20): with `hb-timeout:N` (a live TaskManager judged lost)
/// the planted `lost-tm-forgotten` is found (the redeployed TaskManager crashes and no timeout
/// ever fails its executions), not without it; the correct monitor watches a TaskManager again
/// once the JobMaster deploys to it, and the same space is exhausted with no violation.
#[test]
fn a_forgotten_task_manager_is_found_through_a_heartbeat_timeout() {
    let b = Bounds { max_tm_crashes: 1, max_hb_timeouts: 1, ..bounds(1, 0) };
    assert_eq!(found("tiny-2pc.toml", Variant::LostTmForgotten, b).as_deref(), Some("liveness"));
    let without = Bounds { max_hb_timeouts: 0, ..b };
    assert_eq!(found("tiny-2pc.toml", Variant::LostTmForgotten, without), None);
    exhausted("tiny-2pc.toml", b);
}

/// The TaskManager-side heartbeat timeout (session 26, `tm-hb-timeout:N`): the live
/// TaskManager hears no heartbeat from the JobManager, judges it lost and fails its tasks (the
/// world's `heartbeat_tick`); their FAILED updates restart the job. The correct protocol's space
/// with the step is exhausted with no false alarm, and it is larger than without (the step is
/// taken).
#[test]
fn a_task_manager_that_judges_the_job_manager_lost_fails_its_tasks() {
    let b = Bounds { max_tm_hb_timeouts: 1, ..bounds(1, 0) };
    heartbeat_step_restarts_the_job(b, bounds(1, 0), Choice::TmHbTimeout(ckptsim::TmId(0)));
}

/// A heartbeat-timeout step on `tiny-2pc` under bounds `b` (`without`: the same bounds with the
/// step's bound 0): the correct protocol's space is exhausted and larger than without the step,
/// the step's text parses back, it is enabled once a task of TaskManager 0 runs (its deployment
/// delivered) and restarts the job, and it is not enabled without its bound.
fn heartbeat_step_restarts_the_job(b: Bounds, without: Bounds, step: Choice) {
    exhausted("tiny-2pc.toml", b);
    let correct = spec("tiny-2pc.toml", Variant::Correct);
    let with_states = Explorer::new(&correct, b).explore().distinct_states;
    let without_states = Explorer::new(&correct, without).explore().distinct_states;
    assert!(with_states > without_states, "the step adds states: {with_states} vs {without_states}");
    assert_eq!(step.to_string().parse::<Choice>(), Ok(step), "the step's text parses back");
    let path = [Choice::ToTask(ckptsim::TaskId(0)), step];
    let (run, steps) = Explorer::new(&correct, b).run_on(&path, 80).expect("enabled after a deployment");
    assert!(run.restarts >= 1, "the step restarts the job ({steps:?})");
    assert!(Explorer::new(&correct, without).run_on(&path, 0).is_err(), "not enabled without its bound");
}

/// The host loop's idle decision (session 20): a task loop that polls again at once keeps the
/// checkpoint trigger from firing (a livelock); the correct loop sleeps and the same space is
/// exhausted.
#[test]
fn an_idle_task_loop_that_spins_is_a_livelock() {
    assert_eq!(found("tiny-2pc.toml", Variant::IdleSpin, bounds(1, 0)).as_deref(), Some("liveness"));
    exhausted("tiny-2pc.toml", bounds(1, 0));
}

/// A `latest` source starts at the log's end at its deployment (session 20; before, the whole
/// log's end): on the bounded job with its record appended at 1000 ms, a `latest` source reads
/// it (the job FINISHED with it committed) where it would have skipped it.
#[test]
fn a_latest_source_reads_what_is_appended_after_its_deployment() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/explore/tiny-bounded-2pc.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("startup = \"earliest\"", "startup = \"latest\"")
        .replace("{ at_ms = 0, partition = 0", "{ at_ms = 1000, partition = 0");
    let file = std::env::temp_dir().join(format!("ckptsim-latest-{}.toml", std::process::id()));
    std::fs::write(&file, text).unwrap();
    let spec = load::load_spec(&file).expect("loads");
    let _ = std::fs::remove_file(&file);
    let ex = Explorer::new(&spec, bounds(2, 0));
    let report = ex.explore();
    assert!(report.violation.is_none() && report.exhausted, "{:?}", report.violation);
    // One path to FINISHED: read, end of data, the final checkpoint, its commit.
    let path: Vec<Choice> =
        "to-task:t0 to-jm:t0 to-jm:t0 tick to-task:t0 to-jm:t0 to-task:t0 tick fetch:t0 to-jm:t0 to-task:t0 to-jm:t0 \
         to-task:t0 to-jm:t0"
            .split(' ')
            .map(|c| c.parse().unwrap())
            .collect();
    let run = ex.run_of(&path).expect("the path replays");
    assert_eq!(run.final_status, ckptsim::status::JobStatus::Finished);
    assert_eq!(run.committed.len(), 1, "the record appended after the deployment is read and committed");
}

/// The directed search (`--dfs`, session 20) exhausts the same reduced space as breadth-first
/// search when no bound cuts it, and finds a planted variant with a path that replays.
#[test]
fn depth_first_search_exhausts_the_same_space_and_finds_a_variant() {
    let spec = spec("tiny-2pc.toml", Variant::Correct);
    let b = bounds(2, 1);
    let bfs = Explorer::new(&spec, b).explore();
    let dfs = Explorer::new(&spec, b).explore_dfs();
    assert!(bfs.exhausted && dfs.exhausted && dfs.violation.is_none());
    assert_eq!(bfs.distinct_states, dfs.distinct_states);
    let broken = self::spec("tiny-2pc.toml", Variant::TwoPcCommitOnPrecommit);
    let ex = Explorer::new(&broken, bounds(3, 1));
    let v = ex.explore_dfs().violation.expect("found depth-first");
    let (_, verdict) = ex.replay(&v.path).expect("replays");
    assert_eq!(verdict.map(|(c, _)| c), Some(v.checker));
}

/// Session 21: a self-union (`s.union(s)`, `tiny-self-union.toml`) is explored with the
/// world's path-aware reference (`Reference::path_copies`: one copy per path). The planted
/// `later-gate-lost-on-restore` is found as a `lost copy` (committed by one of its two paths);
/// the correct protocol passes the same path and its space (1 tick, 1 failure) is exhausted.
#[test]
fn later_gate_lost_on_restore_is_found_on_a_self_union() {
    let b = Bounds { max_depth: 80, max_states: 1_000_000, ..bounds(1, 1) };
    let v = violation("tiny-self-union.toml", Variant::LaterGateLostOnRestore, b).expect("found");
    assert_eq!(v.checker, "exactly-once");
    assert!(v.anomaly.contains("lost copy") && v.anomaly.contains("gate 1"), "{v:?}");
    assert!(v.path.iter().any(|c| matches!(c, Choice::Fail(_))), "a restore is needed: {v:?}");
    let correct = spec("tiny-self-union.toml", Variant::Correct);
    let (_, verdict) = Explorer::new(&correct, b).replay(&v.path).expect("the same path is enabled");
    assert_eq!(verdict, None, "the correct protocol passes the path");
    exhausted("tiny-self-union.toml", b);
}

/// Session 21: windows after windows (`tiny-windows-in-a-row.toml`) are explored; the
/// explorer's quiescent window rule judges the last stage against the reference folded stage by
/// stage (`check/windows_stages.rs`). The planted `watermark-before-window-results` loses
/// `Totals`' window; the correct protocol passes the same path and its space (no tick, 1
/// failure; with 1 tick, 379,593 distinct states, docs/explore.md) is exhausted.
#[test]
fn watermark_before_window_results_is_found_on_windows_after_windows() {
    let b = Bounds { max_depth: 100, ..bounds(1, 1) };
    assert_eq!(
        found("tiny-windows-in-a-row.toml", Variant::WatermarkBeforeWindowResults, b).as_deref(),
        Some("windows")
    );
    let broken = spec("tiny-windows-in-a-row.toml", Variant::WatermarkBeforeWindowResults);
    let v = Explorer::new(&broken, b).explore().violation.expect("found");
    assert!(v.anomaly.contains("window lost") && v.anomaly.contains("[0,2000)"), "{v:?}");
    let correct = spec("tiny-windows-in-a-row.toml", Variant::Correct);
    let (_, verdict) = Explorer::new(&correct, b).replay(&v.path).expect("the same path is enabled");
    assert_eq!(verdict, None, "the correct protocol passes the path");
    exhausted("tiny-windows-in-a-row.toml", Bounds { max_depth: 100, ..bounds(0, 1) });
}

/// Session 21: a fresh `latest` start's records appended before it are the run's lost inputs in
/// the explorer as in the world (`world::inputs_before_latest`): the checkers and the quiescent
/// rule fold the reference without them. Before, the correct protocol's space failed the
/// quiescent rule ("last printed (a,1) but the reference's final value is (a,2)") and the planted
/// `latest-starts-at-earliest` was not told apart; now the plant is found by `state` and the
/// correct space (2 ticks, 1 failure) is exhausted.
#[test]
fn latest_starts_at_earliest_is_found_with_the_worlds_lost_inputs() {
    let b = bounds(1, 0);
    assert_eq!(found("tiny-latest.toml", Variant::LatestStartsAtEarliest, b).as_deref(), Some("state"));
    let correct = spec("tiny-latest.toml", Variant::Correct);
    let ex = Explorer::new(&correct, b);
    let path: Vec<Choice> =
        "to-task:t0 to-task:t1 tick fetch:t0 data:0:t1:0".split(' ').map(|c| c.parse().unwrap()).collect();
    let run = ex.run_of(&path).expect("the path replays");
    assert_eq!(run.lost_inputs, vec![0], "the record appended before the start is never due");
    assert_eq!(run.print_rows.len(), 1, "only the record appended after the start is read");
    exhausted("tiny-latest.toml", bounds(2, 1));
}

/// Feeder groups (session 21, `Explorer::feeders`): a busy task's group takes in only the
/// upstream tasks feeding one of its empty channels. On the correct protocol's small spaces the
/// search still ends in exactly the same terminal states (a persistent-set reduction keeps
/// every state with nothing left to do), finds no violation, and visits no more states than
/// with every upstream task in the group.
#[test]
fn feeder_groups_keep_every_terminal_state() {
    let cases =
        [("tiny-2pc.toml", bounds(2, 1)), ("two-source-two-sink.toml", bounds(1, 0)), ("keyed-2pc.toml", bounds(1, 0))];
    for (name, b) in cases {
        let spec = spec(name, Variant::Correct);
        let on = Explorer::new(&spec, Bounds { reduce_feeders: true, ..b }).explore();
        let off = Explorer::new(&spec, Bounds { reduce_feeders: false, ..b }).explore();
        assert!(on.exhausted && off.exhausted, "{name}: both exhausted");
        assert!(on.violation.is_none() && off.violation.is_none(), "{name}: {:?} {:?}", on.violation, off.violation);
        assert_eq!(on.terminal_states, off.terminal_states, "{name}: the same terminal states");
        assert!(on.distinct_states <= off.distinct_states, "{name}: {} vs {}", on.distinct_states, off.distinct_states);
    }
}

/// Session 22: the exhaustive depth-first search (`--exhaust`: each state expanded once, a
/// visited set of bare fingerprints) reaches the same distinct states and ends in the same
/// terminal states (equal digests of the terminal-state sets) as breadth-first search on the
/// correct protocol's small spaces, both exhausted with no violation; a depth bound that cuts
/// a path makes it not exhausted; and it finds a planted variant with a path that replays.
#[test]
fn exhaustive_depth_first_search_ends_in_the_same_terminal_states() {
    let cases =
        [("tiny-2pc.toml", bounds(2, 1)), ("two-source-two-sink.toml", bounds(1, 0)), ("keyed-2pc.toml", bounds(1, 0))];
    for (name, b) in cases {
        let spec = spec(name, Variant::Correct);
        let bfs = Explorer::new(&spec, b).explore();
        let dfs = Explorer::new(&spec, b).explore_exhaustive();
        assert!(bfs.exhausted && dfs.exhausted, "{name}: both exhausted");
        assert!(bfs.violation.is_none() && dfs.violation.is_none(), "{name}: {:?}", dfs.violation);
        assert_eq!(bfs.distinct_states, dfs.distinct_states, "{name}: the same states");
        assert_eq!(bfs.terminal_states, dfs.terminal_states, "{name}: the same number of terminal states");
        assert_eq!(bfs.terminal_digest, dfs.terminal_digest, "{name}: the same terminal states");
        assert!(dfs.terminal_states > 0 && dfs.terminal_digest != 0);
        let cut = Explorer::new(&spec, Bounds { max_depth: dfs.depth_reached - 1, ..b }).explore_exhaustive();
        assert!(!cut.exhausted, "{name}: a depth bound below the deepest path cuts it");
    }
    let broken = spec("tiny-2pc.toml", Variant::TwoPcCommitOnPrecommit);
    let ex = Explorer::new(&broken, bounds(3, 1));
    let v = ex.explore_exhaustive().violation.expect("found by the exhaustive search");
    let (_, verdict) = ex.replay(&v.path).expect("replays");
    assert_eq!(verdict.map(|(c, _)| c), Some(v.checker));
}

/// Session 22: JobManager deliveries whose two orders reach the same state are independent in
/// the sleep sets (`--jm-commute`, checked by execution). On the correct protocol's small
/// spaces the search with them reaches the same distinct states and ends in the same terminal
/// states as without them (sleep sets spare children, not states), both exhausted with no
/// violation, and generates fewer children.
#[test]
fn jm_commutation_keeps_every_state_and_terminal_state() {
    let cases =
        [("tiny-2pc.toml", bounds(2, 1)), ("two-source-two-sink.toml", bounds(1, 0)), ("keyed-2pc.toml", bounds(1, 0))];
    // Session 29: under the sound default the check does not spare children on every job
    // (`tiny-2pc` (2,1): 190,038 with it, 189,200 without: the sleep sets a visited state keeps
    // differ more between its visits); it must somewhere.
    let mut spared = Vec::new();
    for (name, b) in cases {
        let spec = spec(name, Variant::Correct);
        let b = Bounds { sleep: Sleep::Siblings, ..b };
        let off = Explorer::new(&spec, b).explore();
        let on = Explorer::new(&spec, Bounds { jm_commute: true, ..b }).explore();
        assert!(on.exhausted && off.exhausted, "{name}: both exhausted");
        assert!(on.violation.is_none() && off.violation.is_none(), "{name}: {:?} {:?}", on.violation, off.violation);
        assert_eq!(on.distinct_states, off.distinct_states, "{name}: the same states");
        assert_eq!(on.terminal_digest, off.terminal_digest, "{name}: the same terminal states");
        spared.push((name, on.children, off.children));
    }
    assert!(spared.iter().any(|(_, on, off)| on < off), "{spared:?}");
}

/// Session 24: `expired-not-counted` on `tiny-timeout.toml` (a 500 ms checkpoint timeout,
/// `tolerable_failures = 0`). The tick after checkpoint 1's trigger is its expiry while an
/// acknowledgement is still on its way: Flink counts CHECKPOINT_EXPIRED and fails the job over;
/// the plant leaves it RUNNING and `tolerable-failure` names it. The correct protocol's space
/// holds that expiry (the counterexample's path restarts the job) and is exhausted with no
/// violation.
#[test]
fn expired_not_counted_is_found_and_the_correct_protocol_fails_over_on_expiry() {
    let name = "tiny-timeout.toml";
    assert_eq!(found(name, Variant::ExpiredNotCounted, bounds(2, 0)).as_deref(), Some("tolerable-failure"));
    exhausted(name, bounds(2, 1));
    exhausted(name, bounds(3, 0));
    let path = steps("to-task:t0 to-task:t1 to-jm:t0 to-jm:t0 to-jm:t1 to-jm:t1 tick to-task:t0 data:0:t1:0 tick");
    let correct = Explorer::new(&spec(name, Variant::Correct), bounds(2, 0)).run_of(&path).expect("replays");
    assert!(correct.checkpoints.iter().any(|r| r.outcome == "CHECKPOINT_EXPIRED"), "{:?}", correct.checkpoints);
    assert_eq!(correct.final_status, ckptsim::status::JobStatus::Restarting, "the expiry failed the job");
    let planted = Explorer::new(&spec(name, Variant::ExpiredNotCounted), bounds(2, 0)).run_of(&path).expect("replays");
    assert_eq!(planted.final_status, ckptsim::status::JobStatus::Running, "the plant did not count it");
}

/// Session 24: the `cancel` step (`--cancels 1`, the scenario's `cancel` action) on
/// `tiny-cancel.toml` (RETAIN_ON_CANCELLATION). Once a checkpoint completed, a cancel ends the
/// job CANCELED with it retained; the planted store discards it (`retention`). The correct
/// protocol's space with the cancel step is exhausted with no violation, and without the bound
/// the step is never taken.
#[test]
fn retained_discarded_on_cancel_is_found_through_the_cancel_step() {
    let name = "tiny-cancel.toml";
    let b = Bounds { max_cancels: 1, ..bounds(1, 0) };
    assert_eq!(found(name, Variant::RetainedDiscardedOnCancel, b).as_deref(), Some("retention"));
    exhausted(name, Bounds { max_cancels: 1, max_states: 1_000_000, ..bounds(2, 1) });
    let plain = Explorer::new(&spec(name, Variant::RetainedDiscardedOnCancel), bounds(1, 0)).explore();
    assert!(plain.exhausted && plain.violation.is_none(), "no cancel without --cancels: {:?}", plain.violation);
    let broken = spec(name, Variant::RetainedDiscardedOnCancel);
    let v = Explorer::new(&broken, b).explore().violation.expect("found");
    assert!(v.path.contains(&Choice::Cancel), "{v:?}");
    let correct = Explorer::new(&spec(name, Variant::Correct), b).run_of(&v.path).expect("replays");
    assert_eq!(correct.final_status, ckptsim::status::JobStatus::Canceled);
    assert!(!correct.retained.is_empty(), "RETAIN_ON_CANCELLATION keeps the newest: {:?}", correct.retained);
    assert_eq!("cancel".parse::<Choice>(), Ok(Choice::Cancel));
}

/// Session 24: a late side output flowing on (`Window.late` into a map and a print sink) is
/// explored. `late-emitted-to-both` on `tiny-late-side.toml`: the window's watermark is 1099
/// when the late-but-allowed "a" @100 arrives, and the plant sends it to the side output as well
/// as into [0,1000) (`windows`). The correct protocol's space is exhausted with no violation
/// (every late-side rule and the window rules judge it; the quiescent window rule skips a job
/// whose print rows are a late branch's).
#[test]
fn late_emitted_to_both_is_found_on_the_side_output_graph() {
    let name = "tiny-late-side.toml";
    assert_eq!(found(name, Variant::LateEmittedToBoth, bounds(1, 0)).as_deref(), Some("windows"));
    exhausted(name, Bounds { max_depth: 150, ..bounds(2, 0) });
    assert!(ckptsim_sim::explore::supported(&spec(name, Variant::Correct)).is_ok());
}

/// Session 27: the JobManager-side heartbeat timeout (`jm-hb-timeout:N`, `--jm-hb-timeouts`):
/// the JobManager judges the live TaskManager lost (`JobMaster::handle_tm_lost`, as the world's
/// monitor does) while its tasks run on until the cancels reach them. The correct protocol's
/// space with the step is exhausted with no false alarm, larger than without; the planted
/// `pending-survives-failover` is found through it with no task failure (the restart leaves
/// checkpoint 1 pending), and not without it.
#[test]
fn a_job_manager_that_judges_a_live_task_manager_lost_restarts_while_its_tasks_run_on() {
    let b = Bounds { max_jm_hb_timeouts: 1, ..bounds(2, 0) };
    let step = Choice::JmHbTimeout(ckptsim::TmId(0));
    assert_eq!(step.to_string(), "jm-hb-timeout:0");
    heartbeat_step_restarts_the_job(b, bounds(2, 0), step);
    assert_eq!(found("tiny-2pc.toml", Variant::PendingSurvivesFailover, b).as_deref(), Some("coordinator"));
    assert_eq!(found("tiny-2pc.toml", Variant::PendingSurvivesFailover, bounds(2, 0)), None);
}

/// Session 27: `late-tick` (`--late-ticks`): with the reduction a `tick` fires only once nothing
/// waits (eager delivery), so a JobManager abort (the expiry) never met a barrier still in
/// flight and an alignment timer never ran while a barrier was on its way. A late tick fires
/// the earliest timer with deliveries pending. `cancel-marker-ignored` is found by breadth-first
/// search with the reduction (18 steps under the sound default, session 29; 21 with the old rule,
/// which also cut shortest paths; session 26 needed `--no-reduce --dfs`, 27), and the
/// correct protocol's space on `tiny-cancel-marker` with the step is exhausted, larger than
/// without it; without `--late-ticks` the reduced search still exhausts it with no violation.
#[test]
fn a_timer_firing_while_a_barrier_is_in_flight_is_a_late_tick() {
    let name = "tiny-cancel-marker.toml";
    let b = Bounds { max_late_ticks: 1, max_states: 1_000_000, ..bounds(2, 0) };
    assert_eq!(found(name, Variant::CancelMarkerIgnored, b).as_deref(), Some("barriers"));
    assert_eq!(found(name, Variant::CancelUnblocksOwnChannel, b).as_deref(), Some("barriers"));
    assert_eq!(found(name, Variant::CancelMarkerIgnored, bounds(2, 0)), None, "not without late ticks");
    exhausted(name, b);
    let correct = spec(name, Variant::Correct);
    let with = Explorer::new(&correct, b).explore().distinct_states;
    let without = Explorer::new(&correct, bounds(2, 0)).explore().distinct_states;
    assert!(with > without, "the step adds states: {with} vs {without}");
    assert_eq!("late-tick".parse::<Choice>(), Ok(Choice::LateTick));
    let v = Explorer::new(&spec(name, Variant::CancelMarkerIgnored), b).explore().violation.expect("found");
    assert!(v.path.contains(&Choice::LateTick), "{v:?}");
    assert_eq!(v.path.len(), 18, "{v:?}");
}

/// Session 27: a newer barrier reaches a task aligning an older checkpoint once a source
/// skipped the older one: `tiny-join` with two concurrent checkpoints and one lost trigger
/// (`Payments` never gets checkpoint 1's trigger, `Join` aligns 1 on `Orders`' barrier; the next
/// tick triggers 2 and `Payments`' barrier 2 arrives). The planted `newer-barrier-merges` is
/// found by breadth-first search (13 steps); the correct protocol's space is exhausted.
#[test]
fn a_newer_barrier_ends_an_older_alignment_on_a_join_with_two_concurrent_checkpoints() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/explore/tiny-join.toml");
    let text = std::fs::read_to_string(&path).expect("scenario text");
    let edited = text.replacen("timeout_ms = 10000\n", "timeout_ms = 10000\nmax_concurrent = 2\n", 1);
    assert_ne!(edited, text);
    let dir = std::env::temp_dir().join(format!("ckptsim-newer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tiny-join.toml");
    std::fs::write(&file, &edited).unwrap();
    let load = |variant| {
        let mut s = load::load_spec(&file).expect("loads");
        s.variant = variant;
        s
    };
    let b = Bounds { max_losses: 1, ..bounds(2, 0) };
    let v = Explorer::new(&load(Variant::NewerBarrierMerges), b).explore().violation.expect("found");
    assert_eq!((v.checker.as_str(), v.path.len()), ("barriers", 13), "{v:?}");
    let report = Explorer::new(&load(Variant::Correct), b).explore();
    assert!(report.exhausted && report.violation.is_none(), "{:?}", report.violation);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Session 30: the explorer records the completed-checkpoint store's discards as the world traces
/// them (`storage discard`), so the `retention` rule `discarded-not-owned` judges explored paths.
/// Under flink-1.11 the savepoint enters the store and the next checkpoint subsumes it: the
/// correct store drops the entry and keeps its files (the space is exhausted with no violation),
/// the planted store discards it.
#[test]
fn a_subsumed_savepoint_is_kept_by_the_correct_store_and_discarded_by_the_plant() {
    let b = Bounds { max_requests: 1, ..bounds(2, 1) };
    exhausted("tiny-savepoint-subsume.toml", b);
    let v = violation("tiny-savepoint-subsume.toml", Variant::SavepointDiscardedOnSubsume, b).expect("found");
    assert_eq!(v.checker, "retention", "{}", v.anomaly);
    assert!(v.anomaly.contains("it is a savepoint"), "{}", v.anomaly);
    assert!(v.path.contains(&Choice::Savepoint), "{:?}", v.path);
}

/// Session 31: a join fed by a late side output (`Window`'s late elements, keyed again, joined
/// with `Other`), written here rather than in `scenarios/explore/` (it is no world scenario).
const TINY_LATE_JOIN: &str = include_str!("explore_late_join.toml");

/// [`TINY_LATE_JOIN`] under `variant`, loaded from a file of its own.
fn late_join_spec(variant: Variant) -> ckptsim_sim::spec::JobSpec {
    let dir = std::env::temp_dir().join(format!("ckptsim-late-join-{}-{variant}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tiny-late-join.toml");
    std::fs::write(&file, TINY_LATE_JOIN).unwrap();
    let mut s = load::load_spec(&file).expect("the late-fed join loads");
    s.variant = variant;
    let _ = std::fs::remove_dir_all(&dir);
    s
}

/// Session 31: the explorer marks a task fed by a late side output as the world does
/// (`world::mark_late_fed`), so a late-fed join records what it took and emitted
/// (`RunResult::join_judgments`) and each attempt's deployment with the checkpoint it restored
/// (`join_restores`): the `late-join-*` rules and the join replay rule (`check/joins_replay.rs`)
/// judge explored paths. Until session 31 the explorer marked no task, both lists stayed empty
/// and the rules skipped every explored path ("the host records none").
#[test]
fn a_late_fed_join_records_its_judgments_and_restores_on_explored_paths() {
    let spec = late_join_spec(Variant::Correct);
    let ex = Explorer::new(&spec, bounds(2, 0));
    let (run, steps) = ex.run_on(&[], 80).expect("runs from the start");
    assert!(!run.join_restores.is_empty(), "the join's deployment is recorded ({} steps)", steps.len());
    assert!(
        run.join_restores.iter().all(|r| r.2.is_none()),
        "a first deployment restores nothing: {:?}",
        run.join_restores
    );
    assert!(!run.join_judgments.is_empty(), "the join's verdicts are recorded ({} steps)", steps.len());
}
