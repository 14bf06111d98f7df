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
