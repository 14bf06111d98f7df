//! The `offsets` checker judged case by case on doctored broker histories of a real run: a commit before its checkpoint completed, an offset going back, an equal offset committed again, Kafka's periodic auto-commit, and a new job's older restored offsets (named as Flink's and counted per partition).

use ckptsim::{CheckpointId, Offset, PartitionId, TaskId};
use ckptsim_sim::world::{OffsetCommit, RestoreCause, RestoreRecord, RunResult};
use ckptsim_sim::{check, load, world};
use std::collections::BTreeMap;
use std::path::Path;

/// A real run of a job with a partitioned-log source, its checkpoints reduced to two completed
/// ones (1 at 100 ms holding offset 10 of p0..p3, 2 at 200 ms holding 20), its commits and
/// restores cleared: each case adds its own.
fn base() -> (ckptsim_sim::spec::JobSpec, RunResult) {
    let rel = "scenarios/regressions/resume-from-savepoint-older-than-last-checkpoint.toml";
    let spec = load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)).expect("loads");
    let mut run = world::run(&spec, spec.default_seed);
    let template = run.checkpoints.iter().find(|r| r.outcome == "COMPLETED").expect("a completed checkpoint").clone();
    run.checkpoints.clear();
    run.completed_offsets.clear();
    for (id, end, offset) in [(1, 100, 10), (2, 200, 20)] {
        let mut row = template.clone();
        row.id = CheckpointId(id);
        row.savepoint = false;
        row.trigger_ms = end - 50;
        row.end_ms = Some(end);
        run.checkpoints.push(row);
        run.completed_offsets.insert(CheckpointId(id), (0..4).map(|p| (PartitionId(p), Offset(offset))).collect());
    }
    // A checkpoint that failed: what it held never counts as completed.
    let mut failed = template;
    failed.id = CheckpointId(3);
    failed.outcome = "EXPIRED".into();
    failed.end_ms = Some(250);
    run.checkpoints.push(failed);
    run.completed_offsets.insert(CheckpointId(3), (0..4).map(|p| (PartitionId(p), Offset(30))).collect());
    run.offset_commits.clear();
    run.restores.clear();
    (spec, run)
}

/// One commit: (time, partition, offset, periodic auto-commit).
type Commit = (u64, u32, u64, bool);

fn commit(&(time_ms, p, offset, periodic): &Commit) -> OffsetCommit {
    OffsetCommit {
        time_ms,
        task: TaskId(p),
        partition: PartitionId(p),
        offset: Offset(offset),
        accepted: true,
        checkpoint: (!periodic).then_some(CheckpointId(offset / 10)),
        periodic,
    }
}

/// Both checkpoints' offsets committed after each completed, on every partition.
fn in_order() -> Vec<Commit> {
    let mut v: Vec<Commit> = (0..4).map(|p| (150, p, 10, false)).collect();
    v.extend((0..4).map(|p| (250, p, 20, false)));
    v
}

/// Each case: its commits, a new job's restore (time, restored offset per partition), and the
/// expected verdict: `Ok(n)` passes naming `n` rebased partitions (0: none named), `Err(kind)`
/// fails with that finding.
#[test]
fn commits_are_judged_against_completions_and_order() {
    type Case = (&'static str, Vec<Commit>, Option<(u64, [u64; 4])>, Result<usize, &'static str>);
    let mut late = in_order();
    late.push((260, 0, 10, false));
    let mut again = in_order();
    again.push((270, 1, 20, false));
    let mut early = vec![(90, 0, 10, false)];
    early.extend(in_order());
    let mut unheld = in_order();
    unheld.push((300, 2, 30, false));
    let mut periodic = vec![(90, 0, 5, true), (95, 1, 7, true)];
    periodic.extend(in_order());
    // The new job resumed from older offsets on p0 and p2, the same on p1, newer on p3; it
    // commits its restored positions, then goes on.
    let mut resumed = in_order();
    resumed.extend([(400, 0, 10, false), (400, 2, 10, false), (500, 0, 20, false)]);
    let mut below_restored = resumed.clone();
    below_restored.push((510, 1, 10, false));
    let cases: Vec<Case> = vec![
        ("in order", in_order(), None, Ok(0)),
        ("an offset going back", late, None, Err("offset-backwards")),
        ("the same offset again", again, None, Ok(0)),
        ("committed before its checkpoint completed", early, None, Err("offset-before-completion")),
        ("an offset only a failed checkpoint held", unheld, None, Err("offset-before-completion")),
        ("Kafka's periodic auto-commit", periodic, None, Ok(0)),
        ("a new job from older offsets", resumed, Some((300, [10, 20, 10, 30])), Ok(2)),
        (
            "below the new job's restored offsets",
            below_restored,
            Some((300, [10, 20, 10, 30])),
            Err("offset-backwards"),
        ),
    ];
    let (spec, base) = base();
    for (what, commits, restore, want) in cases {
        let mut run = base.clone();
        run.offset_commits = commits.iter().map(commit).collect();
        if let Some((at_ms, offsets)) = restore {
            run.restores.push(RestoreRecord {
                at_ms,
                cause: RestoreCause::Retained { checkpoint: CheckpointId(1) },
                checkpoint: Some(CheckpointId(1)),
                offsets: (0..4).map(|p| (PartitionId(p), Offset(offsets[p as usize]))).collect(),
                keyed: BTreeMap::new(),
                // The commits recorded before the restore: those of the old job, before 300 ms.
                commits_before: commits.iter().filter(|c| c.0 < at_ms).count(),
            });
        }
        let v = check::offsets(&spec, &run);
        match want {
            Ok(rebased) => {
                assert_eq!(v.passed, Some(true), "{what}: {v:?}");
                let named = format!("expected by Flink: {rebased} partition(s) committed from a new job's older");
                assert_eq!(v.summary.contains("expected by Flink"), rebased > 0, "{what}: {}", v.summary);
                assert!(rebased == 0 || v.summary.contains(&named), "{what}: {}", v.summary);
                assert!(
                    v.summary.starts_with(&format!("{} offset commit attempts", commits.len())),
                    "{what}: {}",
                    v.summary
                );
            }
            Err(kind) => {
                assert_eq!(v.passed, Some(false), "{what}: {v:?}");
                assert!(v.anomalies.iter().all(|a| a.kind.as_deref() == Some(kind)), "{what}: {v:?}");
                assert_eq!(v.anomalies.len(), 1, "{what}: {v:?}");
            }
        }
    }
}

/// The checker has nothing to judge without a partitioned-log source (and says so), and judges
/// a job that has one even when it committed nothing.
#[test]
fn only_log_sources_are_judged() {
    let (spec, run) = base();
    assert_eq!(check::offsets(&spec, &run).passed, Some(true));
    let mut no_log = spec.clone();
    no_log.operators.retain(|o| !matches!(o.kind, ckptsim_sim::spec::OpKind::LogSource { .. }));
    assert_eq!(check::offsets(&no_log, &run).passed, None);
}
