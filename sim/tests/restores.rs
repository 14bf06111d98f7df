//! `run` shows every restore: which checkpoint each restart restored and what it held (source offsets per partition, keyed state per operator).

use ckptsim_sim::{load, outcome, world};
use std::path::Path;

fn spec(rel: &str) -> ckptsim_sim::spec::JobSpec {
    load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)).expect("scenario loads")
}

/// Seed 004 restarts three times; each restore names its checkpoint and the word counts it held,
/// which grow from restore to restore (the state continued from the checkpoint).
#[test]
fn seed_004_lists_three_restores_with_their_keyed_state() {
    let spec = spec("scenarios/seeds/004-wordcount-restore.toml");
    let run = world::run(&spec, spec.default_seed);
    assert_eq!(run.restores.len(), 3, "{:?}", run.restores);
    let mut last = None;
    for (i, r) in run.restores.iter().enumerate() {
        assert_eq!(r.cause, ckptsim_sim::world::RestoreCause::Restart { attempt: i as u32 + 1 });
        assert_eq!(r.cause.to_string(), format!("restart #{}", i + 1));
        let id = r.checkpoint.expect("each restart restored a completed checkpoint");
        assert!(last.is_none_or(|l| id > l), "restored checkpoints advance");
        last = Some(id);
        assert!(r.offsets.is_empty(), "a socket source has no offsets");
        let sums = r.keyed.get("MySumFunction").expect("the keyed sum's state");
        assert!(sums.contains_key("a"), "{sums:?}");
    }
    let a: Vec<&String> = run.restores.iter().map(|r| &r.keyed["MySumFunction"]["a"]).collect();
    assert_eq!(a, ["(a,2)", "(a,3)", "(a,4)"]);
    let line = outcome::restore_line(&run.restores[0]);
    // The restart's deployment: 10 s after the failure at 12 s, plus a control-latency draw
    // (which moves with the seed's first-start latency).
    assert!(line.starts_with("  restore at 22.00"), "{line}");
    assert!(line.contains("s (restart #1): checkpoint "), "{line}");
    assert!(line.contains("MySumFunction {a=(a,2), b=(b,1)}"), "{line}");
}

/// A log source: the restore lists the checkpoint's offset (next to read) for every partition.
#[test]
fn lost_cancel_restore_lists_offsets_per_partition() {
    let spec = spec("scenarios/regressions/lost-cancel.toml");
    let run = world::run(&spec, spec.default_seed);
    assert_eq!(run.restores.len(), 1);
    let r = &run.restores[0];
    let id = r.checkpoint.expect("restored a checkpoint");
    assert_eq!(r.offsets, run.completed_offsets[&id], "the offsets of the restored checkpoint");
    assert_eq!(r.offsets.len(), 2, "both partitions");
    assert_eq!(r.keyed["Sum"].len(), 6, "six keys");
}
