//! The shrinker's edits of a scenario: remove an operator (re-pointing the inputs of the rest), lower the stop time, halve a fault, re-point fault targets after a parallelism change.

use crate::spec::{ActionSpec, Fault, FaultAt, FaultKind, InputSpec, JobSpec};

/// Removes operator `i` (one input, stateless) and re-points the explicit `inputs` positions of
/// the rest: a consumer of `i` reads what `i` read, later positions move down by one. Without
/// this a loaded line (whose operators carry explicit positions) became a graph with dangling
/// or cyclic inputs, which the world refuses (a panic the shrinker caught and counted as a
/// rejected candidate). A rescale action's parallelism and max parallelism forget the removed
/// name (else the written regression named an operator it no longer has and did not load;
/// [`names_operator`] keeps an operator that is a rescale's only entry). Returns the removed
/// operator's name.
pub(super) fn without_operator(s: &mut JobSpec, i: usize) -> String {
    let fed_by = s.op_inputs(i);
    let removed = s.operators.remove(i);
    for a in s.actions.iter_mut() {
        if let ActionSpec::Rescale(r) = &mut a.kind {
            r.parallelism.remove(&removed.name);
            r.max_parallelism.remove(&removed.name);
        }
    }
    for o in s.operators.iter_mut() {
        let mut inputs = Vec::with_capacity(o.inputs.len());
        for &k in &o.inputs {
            match k.cmp(&i) {
                std::cmp::Ordering::Less => inputs.push(k),
                std::cmp::Ordering::Equal => inputs.extend(fed_by.iter().copied()),
                std::cmp::Ordering::Greater => inputs.push(k - 1),
            }
        }
        o.inputs = inputs;
    }
    removed.name
}

/// Whether a fault names operator `name` (or one of its subtasks), or a rescale action names
/// it as its only new parallelism (a rescale needs one).
pub(super) fn names_operator(s: &JobSpec, name: &str) -> bool {
    let is = |t: &str| t == name || t.strip_prefix(name).is_some_and(|r| r.starts_with('['));
    let only_rescaled = |a: &crate::spec::Action| matches!(&a.kind, ActionSpec::Rescale(r) if r.parallelism.len() == 1 && r.parallelism.contains_key(name));
    if s.actions.iter().any(only_rescaled) {
        return true;
    }
    s.faults.iter().any(|f| {
        let at = matches!(&f.at, FaultAt::BarrierAt { task, .. } if is(task));
        let kind = match &f.kind {
            FaultKind::TaskFailure { task }
            | FaultKind::SlowLink { task, .. }
            | FaultKind::SlowSnapshot { task, .. } => is(task),
            FaultKind::SlowOperator { operator, .. } => is(operator),
            _ => false,
        };
        at || kind
    })
}

/// The spec with `stop_at_ms` lowered and the input after it dropped.
pub(super) fn with_stop(s: &JobSpec, stop: u64) -> JobSpec {
    let mut c = s.clone();
    c.stop_at_ms = stop;
    match &mut c.input {
        InputSpec::Log { records, .. } => {
            let records = records.make_listed();
            records.retain(|r| r.0 < stop);
            // Records are sorted by time: the kept ones are a prefix, and so are their timestamps.
            let n = records.len();
            c.input_options.timestamps.truncate(n);
        }
        InputSpec::Lines(l) => l.retain(|r| r.0 < stop),
    }
    c
}

/// A fault with one parameter halved, or `None` when there is nothing left to halve.
pub(super) fn halve(f: &Fault) -> Option<Fault> {
    let mut g = f.clone();
    let h = |x: &mut u64| {
        if *x >= 2 {
            *x /= 2;
            true
        } else {
            false
        }
    };
    let mut done = false;
    if let Some(d) = g.duration_ms.as_mut() {
        done = *d >= 20 && h(d);
    }
    if !done {
        done = match &mut g.kind {
            FaultKind::TmCrash { restart_after_ms: x, .. }
            | FaultKind::JmCrash { restart_after_ms: x }
            | FaultKind::ControlDelay { extra_ms: x, .. }
            | FaultKind::SlowLink { extra_ms: x, .. }
            | FaultKind::StorageSlow { extra_ms: x } => *x >= 20 && h(x),
            FaultKind::SlowSnapshot { sync_ms, async_ms, .. } => {
                let total = *sync_ms + *async_ms;
                if total >= 20 {
                    *sync_ms = total / 2 / 4;
                    *async_ms = total / 2 - total / 2 / 4;
                    true
                } else {
                    false
                }
            }
            _ => false,
        };
    }
    done.then_some(g)
}

/// Maps task targets `op[i]` and anchors onto existing subtasks (`i mod parallelism`) and
/// TaskManager targets onto existing TaskManagers, after a parallelism or cluster change.
pub(super) fn remap_targets(s: &mut JobSpec) {
    let par = |s: &JobSpec, name: &str| s.operators.iter().find(|o| o.name == name).map(|o| o.parallelism.max(1));
    let fix_task = |s: &JobSpec, t: &str| -> String {
        match t.rfind('[') {
            Some(i) if t.ends_with(']') => {
                let (op, sub) = (&t[..i], t[i + 1..t.len() - 1].parse::<u32>().unwrap_or(0));
                match par(s, op) {
                    Some(p) => format!("{op}[{}]", sub % p),
                    None => t.to_string(),
                }
            }
            _ => t.to_string(),
        }
    };
    let tms = s.cluster.task_managers.max(1);
    let fix_node = |n: &str| -> String {
        match n.strip_prefix("tm").and_then(|x| x.parse::<u32>().ok()) {
            Some(i) => format!("tm{}", i % tms),
            None => n.to_string(),
        }
    };
    let snapshot = s.clone();
    for f in &mut s.faults {
        if let FaultAt::BarrierAt { task, .. } = &mut f.at {
            *task = fix_task(&snapshot, task);
        }
        match &mut f.kind {
            FaultKind::TaskFailure { task }
            | FaultKind::SlowLink { task, .. }
            | FaultKind::SlowSnapshot { task, .. } => *task = fix_task(&snapshot, task),
            FaultKind::TmCrash { tm, .. } => *tm %= tms,
            FaultKind::Partition { a, b, .. } => {
                *a = fix_node(a);
                *b = fix_node(b);
            }
            _ => {}
        }
    }
    // A partition of a node from itself is not a fault a scenario can express.
    s.faults.retain(|f| !matches!(&f.kind, FaultKind::Partition { a, b, .. } if a == b));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(rel: &str) -> JobSpec {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
        crate::load::load_spec(&path).expect("scenario loads")
    }

    /// Session 25: removing a map that a rescale action names wrote a regression that did not
    /// load (`actions[1].parallelism.ToPair: no operator named ToPair`), so `ckptsim shrink`
    /// of a rescaled job's failure ended with "cannot write a regression".
    #[test]
    fn removing_an_operator_a_rescale_names_keeps_the_scenario_loadable() {
        let mut s = load("scenarios/faults/rescale-in-flight-keyed-2pc.toml");
        let i = s.operators.iter().position(|o| o.name == "ToPair").expect("ToPair");
        assert!(!names_operator(&s, "ToPair"), "a rescale naming it among others does not pin it");
        assert_eq!(without_operator(&mut s, i), "ToPair");
        let text = crate::emit::to_toml(&s, "");
        crate::scenario::parse("shrunk.toml", &text).expect("the edited scenario loads");
        let crate::spec::ActionSpec::Rescale(r) = &s.actions[1].kind else { panic!("rescale") };
        assert!(!r.parallelism.contains_key("ToPair") && r.parallelism.contains_key("Sum"));
        // An operator that is a rescale's only entry stays (a rescale needs one).
        let mut only = load("scenarios/rescale/retained-checkpoint-print.toml");
        if let crate::spec::ActionSpec::Rescale(r) =
            &mut only.actions.iter_mut().find(|a| matches!(a.kind, ActionSpec::Rescale(_))).expect("rescale").kind
        {
            r.parallelism = [("ToPair".to_string(), 1)].into_iter().collect();
        }
        assert!(names_operator(&only, "ToPair"));
    }
}
