//! Operator list state across rescales, part of the `state` checker: after a `rescale`, every new subtask of a user operator with list state restores what Flink's `RoundRobinOperatorStateRepartitioner` hands it for the state's mode (split, union, broadcast).
//!
//! The expectation is computed here from what the old subtasks stored in the restored
//! checkpoint (`RescaleRecord::lists`, read before the core's `rescale::assign` cut it), not from
//! the cut itself, so an assignment or restore that drops, duplicates or misplaces entries is
//! named:
//!
//! * split (`getListState`): at unchanged parallelism every subtask keeps its own entries;
//!   otherwise the old entries, in old-subtask order, are cut into consecutive runs, the first
//!   `total % p_new` of them one entry longer;
//! * union (`getUnionListState`): every new subtask restores every old entry, in old-subtask
//!   order (also at unchanged parallelism);
//! * broadcast (`getBroadcastState`): new subtask `i` restores old subtask `i % p_old`'s entries.

use super::*;
use ckptsim::rescale::ListMode;

/// Judges the first list-state restore of every new subtask after every successful rescale;
/// pushes one anomaly per subtask that restored other entries. Returns the restores judged.
pub(super) fn list_rescales(run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    let mut judged = 0;
    for r in run.rescales.iter().filter(|r| r.error.is_none()) {
        for (uid, (mode, old)) in &r.lists {
            // A broadcast process's c-th state is `uid#c` (session 39): the operator's parallelism.
            let base = uid.split('#').next().unwrap_or(uid);
            let Some(&(p_old, p_new, _)) = r.operators.get(base) else { continue };
            let expected = expected_lists(*mode, old, p_old, p_new);
            let mut seen = vec![false; p_new as usize];
            for l in run.restored_lists.iter().filter(|l| r.owns_attempt(l.attempt) && l.checkpoint == r.checkpoint) {
                let Some(i) = subtask_of(&l.operator, uid).filter(|i| (*i as usize) < seen.len()) else { continue };
                if std::mem::replace(&mut seen[i as usize], true) {
                    continue; // a later restore of the same subtask: judged by `restored_lists`
                }
                judged += 1;
                let want = &expected[i as usize];
                if &l.restored != want {
                    anomalies.push(
                        Finding::named(format!(
                            "t={} {} ({} list state) restored {} after the rescale from {} {} ({uid} {p_old} -> \
                         {p_new}), but Flink's RoundRobinOperatorStateRepartitioner hands it {} \
                         (entries dropped, duplicated or misplaced)",
                            l.at_ms,
                            l.operator,
                            mode_name(*mode),
                            show(&l.restored),
                            r.from,
                            r.checkpoint.0,
                            show(want)
                        ))
                        .at(l.at_ms),
                    );
                }
            }
        }
    }
    judged
}

/// What each new subtask restores (module docs).
fn expected_lists(mode: ListMode, old: &[Vec<Value>], p_old: u32, p_new: u32) -> Vec<Vec<Value>> {
    let all: Vec<Value> = old.iter().flatten().cloned().collect();
    let n = p_new.max(1) as usize;
    match mode {
        ListMode::Union => vec![all; n],
        ListMode::Broadcast => (0..n).map(|i| old.get(i % old.len().max(1)).cloned().unwrap_or_default()).collect(),
        ListMode::SplitDistribute if p_old == p_new => old.to_vec(),
        ListMode::SplitDistribute => {
            let mut out = Vec::with_capacity(n);
            let mut at = 0;
            for i in 0..n {
                let len = all.len() / n + usize::from(i < all.len() % n);
                out.push(all[at..at + len].to_vec());
                at += len;
            }
            out
        }
    }
}

/// The subtask index of instance name `Name[i]` when `Name` is `uid`.
fn subtask_of(instance: &str, uid: &str) -> Option<u32> {
    instance.strip_prefix(uid)?.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

fn mode_name(mode: ListMode) -> &'static str {
    match mode {
        ListMode::SplitDistribute => "split",
        ListMode::Union => "union",
        ListMode::Broadcast => "broadcast",
    }
}

fn show(v: &[Value]) -> String {
    let head: Vec<String> = v.iter().take(8).map(|x| x.to_string()).collect();
    let more = if v.len() > 8 { format!(", … {} in all", v.len()) } else { String::new() };
    format!("[{}{more}]", head.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &[i64]) -> Vec<Value> {
        v.iter().map(|i| Value::Int(*i)).collect()
    }

    #[test]
    fn expectations_per_mode() {
        let old = vec![ints(&[1, 2, 3]), ints(&[4, 5])];
        assert_eq!(expected_lists(ListMode::Union, &old, 2, 3), vec![ints(&[1, 2, 3, 4, 5]); 3]);
        assert_eq!(
            expected_lists(ListMode::Broadcast, &old, 2, 3),
            vec![old[0].clone(), old[1].clone(), old[0].clone()]
        );
        assert_eq!(
            expected_lists(ListMode::SplitDistribute, &old, 2, 3),
            vec![ints(&[1, 2]), ints(&[3, 4]), ints(&[5])]
        );
        assert_eq!(expected_lists(ListMode::SplitDistribute, &old, 2, 2), old);
        assert_eq!(subtask_of("Counter[12]", "Counter"), Some(12));
        assert_eq!(subtask_of("Counter2[1]", "Counter"), None);
    }
}
