//! Rescaling on restore in the world: a key whose key group moves to another subtask continues its count in that subtask, across 2 -> 3 -> 1 from savepoints; the planted `rescale-keyed-by-subtask` is caught.

use ckptsim::record::Value;
use ckptsim::Variant;
use ckptsim_sim::graph::Graph;
use ckptsim_sim::spec::{ActionSpec, JobSpec, OpKind};
use ckptsim_sim::world::RescaleRecord;
use ckptsim_sim::{load, outcome, reference};
use std::path::Path;

fn spec(rel: &str) -> JobSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    load::load_spec(&path).expect("scenario loads")
}

const TWO_THREE_ONE: &str = "scenarios/rescale/savepoint-2-3-1-2pc.toml";

fn verdict(o: &outcome::Outcome, checker: &str) -> Option<bool> {
    o.verdicts.iter().find(|v| v.checker == checker).and_then(|v| v.passed)
}

/// The successor of `v` in the reference sequence of its key.
fn successor(reference: &reference::Reference, k: &Value, v: &Value) -> Value {
    let seq = &reference.per_key[k];
    let i = seq.position(v).expect("restored value is in the reference");
    seq.at(i + 1)
}

/// The same job with a print sink, so that every output row names its task and attempt.
fn with_print_sink(mut spec: JobSpec) -> JobSpec {
    let sink = spec.operators.last_mut().expect("a sink");
    assert_eq!(sink.kind, OpKind::TwoPhaseCommitSink);
    sink.kind = OpKind::PrintSink;
    spec
}

/// The graph the job has after `r` (its new parallelisms).
fn graph_after(spec: &JobSpec, r: &RescaleRecord) -> (JobSpec, Graph) {
    let mut s = spec.clone();
    for o in &mut s.operators {
        if let Some((_, p, _)) = r.operators.get(&o.name) {
            o.parallelism = *p;
        }
    }
    let g = Graph::build(&s);
    (s, g)
}

#[test]
fn two_three_one_keeps_every_key_exactly_once_and_moved_keys_continue() {
    let spec = spec(TWO_THREE_ONE);
    let o = outcome::run(&spec, spec.default_seed);
    assert!(o.passed(), "{:?}", o.verdicts);
    assert_eq!(verdict(&o, "exactly-once"), Some(true));
    assert_eq!(verdict(&o, "state"), Some(true));
    let reference = reference::compute(&spec);
    let rescales = &o.run.rescales;
    let steps: Vec<(u32, u32)> = rescales.iter().map(|r| (r.operators["Sum"].0, r.operators["Sum"].1)).collect();
    assert_eq!(steps, [(2, 3), (3, 1)]);
    for r in rescales {
        assert_eq!(r.error, None);
        let keys = &r.keys["Sum"];
        assert_eq!(keys.len(), 8, "every key was in the savepoint");
        let moved: Vec<&Value> = keys.iter().filter(|(_, m)| m.old_subtask != m.new_subtask).map(|(k, _)| k).collect();
        assert!(!moved.is_empty(), "no key changed subtask at {} ms", r.at_ms);
        for (k, m) in keys {
            // Its restored count is followed, once, by the next one: the key continued.
            let next = successor(&reference, k, &m.value);
            let n = o.run.committed.iter().filter(|row| row.value == next).count();
            assert_eq!(n, 1, "key {k}: {next} committed {n} times after restoring {}", m.value);
        }
    }
    // Every key's committed sequence is the whole reference, once (no reset, no gap).
    for (k, seq) in &reference.per_key {
        let got: Vec<Value> =
            o.run.committed.iter().filter(|r| ckptsim::operator::key_of(&r.value) == *k).map(|r| r.value).collect();
        assert_eq!(got, seq.to_vec(), "key {k}");
    }
}

/// With a print sink every row names its task: a key whose key group moved is printed, right
/// after the rescale, by the task of its new subtask, with the successor of its restored value.
#[test]
fn a_moved_key_continues_its_count_in_its_new_subtask() {
    let spec = with_print_sink(spec(TWO_THREE_ONE));
    let o = outcome::run(&spec, spec.default_seed);
    assert_eq!(verdict(&o, "state"), Some(true), "{:?}", o.verdicts);
    let reference = reference::compute(&spec);
    let mut checked = 0;
    for r in &o.run.rescales {
        let (after, graph) = graph_after(&spec, r);
        for (k, m) in r.keys["Sum"].iter().filter(|(_, m)| m.old_subtask != m.new_subtask) {
            let first = o
                .run
                .print_rows
                .iter()
                .find(|row| r.owns_attempt(row.attempt) && ckptsim::operator::key_of(&row.value) == *k)
                .unwrap_or_else(|| panic!("key {k} printed nothing after the rescale at {} ms", r.at_ms));
            assert_eq!(first.value, successor(&reference, k, &m.value), "key {k} did not continue its count");
            let task = graph.find_task(&after, &format!("Sum[{}]", m.new_subtask)).expect("new subtask");
            assert_eq!(first.task, task, "key {k} printed by {:?}, not by Sum[{}]", first.task, m.new_subtask);
            checked += 1;
        }
    }
    assert!(checked >= 2, "only {checked} moved keys");
}

/// The planted bug (keyed state by subtask index) is caught: by `state` with a print sink, by
/// `exactly-once` with the 2PC sink.
#[test]
fn keyed_state_by_subtask_index_is_caught() {
    let mut two_pc = spec(TWO_THREE_ONE);
    two_pc.variant = Variant::RescaleKeyedBySubtask;
    let o = outcome::run(&two_pc, two_pc.default_seed);
    assert_eq!(verdict(&o, "exactly-once"), Some(false));
    let mut print = with_print_sink(spec(TWO_THREE_ONE));
    print.variant = Variant::RescaleKeyedBySubtask;
    let o = outcome::run(&print, print.default_seed);
    assert_eq!(verdict(&o, "state"), Some(false));
    let anomalies = &o.verdicts.iter().find(|v| v.checker == "state").expect("state").anomalies;
    assert!(anomalies.iter().any(|a| a.contains("after the rescale")), "{anomalies:?}");
}

/// The action reaches the spec as written, and a rescale to the same parallelism from a
/// savepoint moves no key.
#[test]
fn rescale_to_the_same_parallelism_moves_nothing() {
    let mut spec = spec(TWO_THREE_ONE);
    for a in &mut spec.actions {
        if let ActionSpec::Rescale(r) = &mut a.kind {
            for p in r.parallelism.values_mut() {
                *p = 2;
            }
        }
    }
    let o = outcome::run(&spec, spec.default_seed);
    assert!(o.passed(), "{:?}", o.verdicts);
    assert_eq!(o.run.rescales.len(), 2);
    for r in &o.run.rescales {
        assert!(r.keys["Sum"].values().all(|m| m.old_subtask == m.new_subtask));
    }
}

const BROADCAST: &str = "scenarios/rescale/broadcast-3-2-4-2pc.toml";

/// The input numbers the checkpoint a rescale restored covers, by its source offsets.
fn covered_by(spec: &JobSpec, o: &outcome::Outcome, r: &RescaleRecord) -> Vec<u64> {
    let ckptsim_sim::spec::InputSpec::Log { records, .. } = &spec.input else { panic!("a log input") };
    let offsets = &o.run.completed_offsets[&r.checkpoint];
    let mut next = std::collections::BTreeMap::<u32, u64>::new();
    (0..records.len() as u64)
        .filter(|seq| {
            let p = records.partition(*seq).unwrap_or(0);
            let off = next.entry(p).or_default();
            *off += 1;
            offsets.get(&ckptsim::PartitionId(p)).is_some_and(|o| *off <= o.0)
        })
        .collect()
}

/// The exactly-once (2PC) or at-least-once (print) verdict's anomalies on a doctored run.
fn rejudge(spec: &JobSpec, run: &ckptsim_sim::world::RunResult, checker: &str) -> Vec<String> {
    let reference = reference::compute(spec);
    let v = ckptsim_sim::check::check_all(spec, run, &reference);
    let v = v.into_iter().find(|v| v.checker == checker).expect("the checker ran");
    assert_eq!(v.passed, Some(v.anomalies.is_empty()));
    v.anomalies.into_iter().map(|a| a.text).collect()
}

/// A job with a broadcast edge rescales (it failed before: the rescale's layout took the
/// broadcast for an operator without a vertex), and every input's copies follow the fan-out of
/// the job that processed it: 3 copies up to the first savepoint, 2 up to the second, 4 after.
#[test]
fn broadcast_edge_rescales_and_the_fan_out_follows_each_job() {
    let spec = spec(BROADCAST);
    let o = outcome::run(&spec, spec.default_seed);
    assert!(o.passed(), "{:?}", o.verdicts);
    let eo = o.verdicts.iter().find(|v| v.checker == "exactly-once").expect("exactly-once");
    assert!(eo.summary.contains("broadcast fan-out of"), "{}", eo.summary);
    let steps: Vec<(u32, u32)> =
        o.run.rescales.iter().map(|r| (r.operators["Copy"].0, r.operators["Copy"].1)).collect();
    assert_eq!(steps, [(3, 2), (2, 4)]);
    assert!(o.run.rescales.iter().all(|r| r.error.is_none()), "{:?}", o.run.rescales);
    assert!(!o.run.rescales.iter().any(|r| r.operators.contains_key("Broadcast")));
    let first = covered_by(&spec, &o, &o.run.rescales[0]);
    let second = covered_by(&spec, &o, &o.run.rescales[1]);
    assert!(!first.is_empty() && second.len() > first.len(), "{} then {}", first.len(), second.len());
    let copies = |seq: u64| -> Vec<u32> {
        let mut c: Vec<u32> =
            o.run.committed.iter().filter(|r| r.lineage.input_seq == seq).map(|r| r.lineage.sub).collect();
        c.sort_unstable();
        c
    };
    for seq in &first {
        assert_eq!(copies(*seq), [0, 1, 2], "input #{seq} before the first rescale");
    }
    for seq in second.iter().filter(|s| !first.contains(s)) {
        assert_eq!(copies(*seq), [0, 1], "input #{seq} between the rescales");
    }
    let last = o.run.committed.iter().map(|r| r.lineage.input_seq).max().expect("rows");
    // The newest inputs may still wait for the last transactions' commits at the end.
    let after: Vec<u64> = (0..last.saturating_sub(20)).filter(|s| !second.contains(s)).collect();
    assert!(after.len() >= 10, "only {} inputs after the second rescale", after.len());
    for seq in after {
        assert_eq!(copies(seq), [0, 1, 2, 3], "input #{seq} after the second rescale");
    }
}

/// The fan-out reference names a wrong fan-out: a copy missing before the first rescale, a
/// copy beyond the second job's parallelism, and (print sink) a copy printed by the wrong
/// subtask or by a job without that many subtasks.
#[test]
fn a_wrong_broadcast_fan_out_is_named() {
    let spec = spec(BROADCAST);
    let o = outcome::run(&spec, spec.default_seed);
    let first = covered_by(&spec, &o, &o.run.rescales[0]);
    let second = covered_by(&spec, &o, &o.run.rescales[1]);
    let lost = first[first.len() / 2];
    let mut run = o.run.clone();
    run.committed.retain(|r| !(r.lineage.input_seq == lost && r.lineage.sub == 2));
    let a = rejudge(&spec, &run, "exactly-once");
    assert!(
        a.iter().any(|a| a.contains(&format!("input #{lost} reached copies {{0, 1}}")) && a.contains("first job")),
        "{a:?}"
    );
    // A third copy of an input the 2-subtask job processed.
    let mid = *second.iter().rfind(|s| !first.contains(s)).expect("an input between the rescales");
    let mut run = o.run.clone();
    let row = run.committed.iter().find(|r| r.lineage.input_seq == mid).expect("committed");
    run.committed
        .push(ckptsim_sim::world::OutputRow { lineage: ckptsim::record::Lineage { sub: 2, ..row.lineage }, ..row });
    let a = rejudge(&spec, &run, "exactly-once");
    assert!(
        a.iter().any(|a| a.contains(&format!("input #{mid} reached copies {{0, 1, 2}}")) && a.contains("rescale 1")),
        "{a:?}"
    );

    // With a print sink every row names its task: copy c is printed by Copy[c]'s chained sink.
    let print = with_print_sink(spec.clone());
    let o = outcome::run(&print, print.default_seed);
    assert!(o.verdicts.iter().all(|v| v.passed != Some(false)), "{:?}", o.verdicts);
    let alo = o.verdicts.iter().find(|v| v.checker == "at-least-once").expect("at-least-once");
    assert!(alo.summary.contains("broadcast fan-out of"), "{}", alo.summary);
    let i = o.run.print_rows.iter().position(|r| r.lineage.sub == 1).expect("a copy 1");
    let mut run = o.run.clone();
    let mut row = run.print_rows.get(i).expect("row");
    let other = o.run.print_rows.iter().find(|r| r.lineage.sub == 0 && r.attempt == row.attempt).expect("a copy 0");
    row.task = other.task;
    run.print_rows.set(i, row.clone());
    let a = rejudge(&print, &run, "at-least-once");
    assert!(
        a.iter().any(|a| a.contains(&format!("input #{} copy 1 printed by", row.lineage.input_seq))
            && a.contains("not by subtask 1")),
        "{a:?}"
    );
    // A copy 3 printed by the first job (3 subtasks).
    let mut run = o.run.clone();
    let first_row = o.run.print_rows.get(0).expect("a row");
    run.print_rows.push(ckptsim_sim::world::OutputRow {
        lineage: ckptsim::record::Lineage { sub: 3, ..first_row.lineage },
        ..first_row
    });
    let a = rejudge(&print, &run, "at-least-once");
    assert!(a.iter().any(|a| a.contains("copy 3 printed by the job of 3 subtasks")), "{a:?}");
}

/// An interval join behind a window join, rescaled 2 -> 3 -> 1 with a task failure after: the
/// window join's and both interval joins' state (buffers, window contents, timers) move by key
/// group and every joined row is committed once; restoring by subtask index loses joined rows.
#[test]
fn window_join_then_interval_join_rescales_with_its_state() {
    const CHAIN: &str = "scenarios/rescale/window-join-then-interval-join-2-3-1.toml";
    let spec = spec(CHAIN);
    let o = outcome::run(&spec, spec.default_seed);
    assert!(o.passed(), "{:?}", o.verdicts);
    assert_eq!(o.run.rescales.len(), 2);
    let steps: Vec<Vec<(u32, u32)>> = o
        .run
        .rescales
        .iter()
        .map(|r| ["Day", "Near", "Both"].iter().map(|j| (r.operators[*j].0, r.operators[*j].1)).collect())
        .collect();
    assert_eq!(steps, [vec![(2, 3); 3], vec![(3, 1); 3]]);
    assert!(o.run.rescales.iter().all(|r| r.error.is_none()));
    assert!(
        o.run.restores.iter().any(|r| matches!(r.cause, ckptsim_sim::world::RestoreCause::Restart { .. })),
        "no restore after the rescales"
    );
    let mut planted = spec.clone();
    planted.variant = Variant::RescaleKeyedBySubtask;
    let o = outcome::run(&planted, planted.default_seed);
    assert_eq!(verdict(&o, "exactly-once"), Some(false));
    let eo = o.verdicts.iter().find(|v| v.checker == "exactly-once").expect("exactly-once");
    assert!(eo.anomalies.iter().any(|a| a.contains("lost joined row")), "{:?}", eo.anomalies);
}

/// Every window rescale file moves a key at each step: on its seed, at 2 -> 3 and at 3 -> 1, some
/// key of the window's restored state lands in another subtask than the one that held it, and
/// the `state` checker saw it placed there. Session 26: `idle-union-window-2-3-1-2pc.toml` had 3
/// keys (`k0..k2`, key groups all in subtask 1 of 2 and of 3), so its 2 -> 3 step moved none;
/// with 8 keys `k5`, `k6`, `k7` moved; with Flink's key hash (session 32) `k0`, `k5`, `k7` do.
#[test]
fn each_window_rescale_moves_a_key_at_each_step() {
    for file in [
        "scenarios/rescale/event-window-2-3-1-2pc.toml",
        "scenarios/rescale/idle-union-window-2-3-1-2pc.toml",
        "scenarios/rescale/processing-window-2-3-1-2pc.toml",
    ] {
        let spec = spec(file);
        let o = outcome::run(&spec, spec.default_seed);
        assert!(o.passed(), "{file}: {:?}", o.verdicts);
        assert_eq!(o.run.rescales.len(), 2, "{file}");
        for r in &o.run.rescales {
            let keys = &r.keys["Window"];
            let moved: Vec<&Value> =
                keys.iter().filter(|(_, m)| m.old_subtask != m.new_subtask).map(|(k, _)| k).collect();
            assert!(!moved.is_empty(), "{file}: no key changed subtask at {} ms: {keys:?}", r.at_ms);
            assert!(keys.values().all(|m| m.restored_subtask == Some(m.new_subtask)), "{file}: {keys:?}");
        }
    }
}

/// Each job of a scenario (a resume from a savepoint, a rescale) deploys its tasks anew, and
/// Flink's `RebalancePartitioner#setup` draws a new first channel for every deployment: the
/// world's draw is keyed by the task's world attempt, which carries the job's JobManager epoch
/// (`epoch * EPOCH_STRIDE + attempt`), so a new job does not repeat the first job's draw even
/// though its task ids and JobMaster attempt numbers start again from 0. Over 40 seeds the
/// subtask printing each job's first record (the rebalance's first channel, `start + 1`) is
/// spread over the channels for every job, and jobs 1 and 2 (the same parallelism 3, the same
/// task ids and JobMaster attempt #0) disagree on some seeds; were the draws repeated, they
/// would agree on every seed.
#[test]
fn each_job_draws_its_own_rebalance_start() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rebalance_redraw.toml");
    let spec = load::load_spec(&path).expect("fixture loads");
    let mut firsts: Vec<[u32; 3]> = Vec::new();
    for seed in 1..=40 {
        let o = outcome::run(&spec, seed);
        assert!(o.passed(), "seed {seed}: {:?}", o.verdicts);
        assert_eq!(o.run.rescales.len(), 1, "seed {seed}: one rescale (the resume keeps the graph)");
        let first_of = |prefix: &str, graph: &Graph| {
            let row = o.run.print_rows.iter().find(|r| r.value.to_string() == format!("{prefix}0")).expect("printed");
            graph.task_vertex[row.task.0 as usize].1
        };
        let (first, rescaled) = (Graph::build(&spec), graph_after(&spec, &o.run.rescales[0]).1);
        firsts.push([first_of("x", &first), first_of("y", &first), first_of("z", &rescaled)]);
    }
    for (job, channels) in [(0, 3), (1, 3), (2, 2)] {
        let seen: std::collections::BTreeSet<u32> = firsts.iter().map(|f| f[job]).collect();
        assert_eq!(seen.len(), channels, "job {}: first channels over 40 seeds {seen:?}", job + 1);
    }
    let differ = firsts.iter().filter(|f| f[0] != f[1]).count();
    assert!(differ >= 10, "jobs 1 and 2 start on different channels on {differ} of 40 seeds: {firsts:?}");
}
