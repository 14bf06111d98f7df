//! The `alignment` checker: it names a broken cut at the snapshot (aligned-no-block, no restore needed) and passes the correct protocol under every handler kind.

use ckptsim_sim::{load, outcome};
use std::path::Path;

fn spec(rel: &str) -> ckptsim_sim::spec::JobSpec {
    load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)).expect("scenario loads")
}

fn alignment(o: &outcome::Outcome) -> &ckptsim_sim::check::Verdict {
    o.verdicts.iter().find(|v| v.checker == "alignment").expect("the alignment verdict")
}

/// The aligned handler that keeps consuming a channel after its barrier: the first broken cut
/// is named long before the duplicate it causes after the restore (task failure at 4.6 s).
#[test]
fn aligned_no_block_is_named_at_the_snapshot() {
    let s = spec("scenarios/negative/aligned-no-block.toml");
    let o = outcome::run(&s, 1);
    let v = alignment(&o);
    assert_eq!(v.passed, Some(false), "{}", v.summary);
    let first = &v.anomalies[0];
    assert!(first.contains("records after the barrier are in the checkpoint"), "{first}");
    let t: u64 = first.strip_prefix("t=").and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok()).expect("t=");
    assert!(t < 4_600, "named at {t} ms, not before the failure");
    let sig = ckptsim_sim::signature::signed(&s, &o);
    assert!(sig.iter().any(|(_, a)| a.checker == "alignment" && a.kind == "processed-after-barrier"), "{sig:?}");
}

/// Aligned, unaligned, aligned-with-timeout and at-least-once runs of the correct protocol
/// (with restores and the regression of the carried overtaken count) keep every cut.
#[test]
fn the_correct_protocol_keeps_every_cut() {
    for rel in [
        "scenarios/seeds/003-aligned-backpressure.toml",
        "scenarios/seeds/003-unaligned-backpressure.toml",
        "scenarios/seeds/003-at-least-once.toml",
        "scenarios/regressions/aligned-timeout-carried-overtaken.toml",
        "scenarios/faults/task-failure-print.toml",
    ] {
        let s = spec(rel);
        for seed in [s.default_seed, 2, 3] {
            let o = outcome::run(&s, seed);
            let v = alignment(&o);
            assert_eq!(v.passed, Some(true), "{rel} seed {seed}: {:?}", v.anomalies);
        }
    }
}

/// Job graphs run the alignment checker too: a two-input task that snapshots once its first
/// gate is aligned lets the second gate's post-barrier records into the checkpoint, named at
/// the snapshot (before the failure that turns it into a duplicate), and the correct graphs
/// (union, connect under both handlers, join with a 2PC sink, two sinks) keep every cut.
#[test]
fn job_graphs_are_judged_per_channel() {
    let s = spec("scenarios/negative/snapshot-after-first-gate.toml");
    let o = outcome::run(&s, 1);
    let v = alignment(&o);
    assert_eq!(v.passed, Some(false), "{}", v.summary);
    // Session 20: the snapshot-before-barrier line of the same snapshot may come first.
    let counted = v.anomalies.iter().any(|a| a.contains("records after the barrier are in the checkpoint"));
    assert!(counted, "{:?}", v.anomalies);
    for rel in [
        "scenarios/graphs/union-print.toml",
        "scenarios/graphs/connect-aligned-backpressure.toml",
        "scenarios/graphs/connect-unaligned-backpressure.toml",
        "scenarios/graphs/join-2pc.toml",
        "scenarios/graphs/branch-two-sinks.toml",
    ] {
        let s = spec(rel);
        for seed in [s.default_seed, 2] {
            let o = outcome::run(&s, seed);
            let v = alignment(&o);
            assert_eq!(v.passed, Some(true), "{rel} seed {seed}: {:?}", v.anomalies);
            assert!(v.summary.contains("channel cuts"), "{rel}: {}", v.summary);
        }
    }
}

/// Session 20: a snapshot taken before the barrier arrived on a channel of the second gate is
/// named even when no record passed between the two barriers (the channel counts agree): the
/// self-join of `negative/self-join-snapshot-after-first-gate.toml`, where the run's counts are
/// consistent on every channel. On self-union and self-connect/join jobs of the correct
/// protocol (aligned and unaligned) every snapshot comes after every barrier.
#[test]
fn a_snapshot_before_the_second_gates_barrier_is_named() {
    let s = spec("scenarios/negative/self-join-snapshot-after-first-gate.toml");
    let o = outcome::run(&s, 1);
    let v = alignment(&o);
    assert_eq!(v.passed, Some(false), "{}", v.summary);
    assert!(
        v.anomalies.iter().any(|a| a.contains("snapshot taken before the channel's barrier arrived")),
        "{:?}",
        v.anomalies
    );
    for rel in [
        "scenarios/graphs/self-union-2pc.toml",
        "scenarios/graphs/self-union-2pc-unaligned.toml",
        "scenarios/graphs/self-union-print.toml",
        "scenarios/graphs/self-connect-join-2pc.toml",
        "scenarios/graphs/self-window-join-2pc.toml",
        "scenarios/graphs/self-join-2pc-unaligned.toml",
    ] {
        let s = spec(rel);
        for seed in [s.default_seed, 2] {
            let o = outcome::run(&s, seed);
            let v = alignment(&o);
            assert_eq!(v.passed, Some(true), "{rel} seed {seed}: {:?}", v.anomalies);
        }
    }
}

/// Session 30: a restore replays every record of its snapshot's channel state (every input
/// gate's) before new input. The planted `channel-state-first-gate-only` (a restored union
/// replays its first gate's state only) is named at the restore on seed 1 of its negative,
/// where the correct protocol replays all of it; and the rule judges doctored rows: a replay
/// short of the recovered records (or beyond them) is named, a full one is not.
#[test]
fn a_restore_replays_all_of_its_channel_state() {
    use ckptsim::{Attempt, CheckpointId, Variant};
    use ckptsim_sim::world::RestoredChannelState;
    use ckptsim_sim::{check, world};
    let planted = spec("scenarios/negative/channel-state-first-gate-only.toml");
    assert_eq!(planted.variant, Variant::ChannelStateFirstGateOnly);
    let mut correct = planted.clone();
    correct.variant = Variant::Correct;
    let run = world::run(&correct, 1);
    assert!(!run.channel_cuts.restored_channel_state.is_empty(), "the negative restores channel state");
    let v = check::alignment(&correct, &run);
    assert_eq!(v.passed, Some(true), "{:?}", v.anomalies);
    assert!(v.summary.contains("restores of channel state replayed in full"), "{}", v.summary);
    let run = world::run(&planted, 1);
    let v = check::alignment(&planted, &run);
    assert_eq!(v.passed, Some(false), "{}", v.summary);
    assert!(v.anomalies.iter().any(|a| a.contains("of its channel state before new input")), "{:?}", v.anomalies);
    // Doctored rows on a run of the correct protocol.
    let mut run = world::run(&correct, 1);
    let row = |recovered, replayed| RestoredChannelState {
        task: "Union (1/1)".into(),
        attempt: Attempt(1),
        checkpoint: CheckpointId(3),
        recovered,
        replayed,
        at_ms: 1_000,
    };
    for (recovered, replayed, named) in [(4, 4, false), (4, 2, true), (4, 0, true), (4, 5, true)] {
        run.channel_cuts.restored_channel_state = vec![row(recovered, replayed)];
        let v = check::alignment(&correct, &run);
        let found = v.anomalies.iter().any(|a| a.contains(&format!("replayed {replayed} of the {recovered} records")));
        assert_eq!(found, named, "{recovered} recovered, {replayed} replayed: {:?}", v.anomalies);
        assert_eq!(v.passed, Some(!named), "{recovered} recovered, {replayed} replayed: {:?}", v.anomalies);
    }
}
