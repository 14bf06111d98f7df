//! Part of `windows`: windows after windows (a window whose input is an earlier window's results, keyed again), the later stage's reference folded from the earlier stage's reference results.
//!
//! Flink's `WindowOperator` emits a fired window's result through its `TimestampedCollector`
//! with the window's `maxTimestamp` (`end - 1`) as timestamp, and `AbstractStreamOperator`
//! forwards a watermark only after the timers it fires ran. So every result leaves its task
//! ahead of the watermark that fired it: the watermark on that channel is still below
//! `end - 1`, and the later window's combined watermark (the minimum over its channels, which
//! starts at `Long.MIN_VALUE` again after every restore) is too. A later window whose
//! `maxTimestamp` is at least `end - 1` is therefore never late for it: the results of an
//! earlier window are surely on time at the next one.
//!
//! The fold is exact only when the earlier window's results are fixed by the input: no allowed
//! lateness there (a late-but-allowed element fires the window again) and every element surely
//! on time (an element that may be late may be dropped, or fire the window a second time after a
//! restore, as Flink does). Then each earlier window fires once per history with the aggregate
//! of all its elements; its result, taken through the functions between the two windows
//! (`windows_chain::between`), is one element of each later window its timestamp falls in,
//! named by the smallest input of the earlier window (the core's accumulator keeps the smallest
//! lineage, as the result's). Otherwise [`fold`] gives no reference and the checker skips the
//! job with the reason. The reference is computed from the input alone, never from the run.

use super::*;

/// Why a job with windows after windows is not judged in `run`, if it is not: its earlier
/// windows' results are not fixed by the input under at-least-once checkpoints (a snapshot may
/// hold elements that the restore replays) or after a stop-with-savepoint (which reads only the
/// input its savepoint covers, and with drain fires windows with part of their elements).
pub(super) fn unjudged(spec: &JobSpec, run: &RunResult) -> Option<&'static str> {
    if spec.window_stages().len() < 2 {
        return None;
    }
    if super::replays_uncovered(spec) && run.restores.len() + run.rescales.len() > 0 && !restores_exact(run) {
        return Some(
            "windows after windows under at-least-once checkpoints (or a 2PC sink without checkpointing) with restores: the earlier window may count an \
             element twice, so its results are not fixed by the input",
        );
    }
    if !run.stops.is_empty() {
        return Some(
            "windows after windows with a stop-with-savepoint: the earlier window's results depend on what the \
             savepoint covered",
        );
    }
    None
}

/// Whether every restore of an at-least-once run was as an exactly-once restore: no rescale,
/// and each restore within the job (a restart or a JobManager failover) from no checkpoint or
/// from one whose every snapshot took exactly the records sent before each channel's barrier
/// (none in `ChannelCuts::overtaken`, none left unsettled). Then no snapshot holds an element
/// that the restore replays, so each earlier window counts every element once (session 21:
/// 64 of 1,000 runs of the windows-in-a-row scenarios were skipped for at-least-once restores).
fn restores_exact(run: &RunResult) -> bool {
    let cuts = &run.channel_cuts;
    let unsettled = |c: ckptsim::CheckpointId| cuts.snapshots.values().any(|s| s.checkpoint == c);
    run.rescales.is_empty()
        && run.restores.iter().all(|r| {
            matches!(
                r.cause,
                crate::world::RestoreCause::Restart { .. } | crate::world::RestoreCause::JobManagerFailover { .. }
            ) && r.checkpoint.is_none_or(|c| !cuts.overtaken.contains(&c) && !unsettled(c))
        })
}

/// Why [`fold`] gives no reference for `spec` (windows after windows only).
pub(super) const NOT_FIXED: &str =
    "windows after windows: an earlier window has allowed lateness or an element that may \
     be late, so its results (the later window's input) are not fixed by the input";

/// The reference of the job's last window, folded stage by stage from `first` (the first
/// window's reference and its surely-on-time inputs). None: an earlier stage's results are not
/// fixed by the input (see the module doc).
pub(super) fn fold(
    spec: &JobSpec,
    first: (WindowRef, BTreeMap<u64, bool>),
) -> Option<(WindowRef, BTreeMap<u64, bool>)> {
    let (mut cur, surely) = first;
    for pair in spec.window_stages().windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let (OpKind::EventWindow(wa), OpKind::EventWindow(wb)) = (&spec.operators[a].kind, &spec.operators[b].kind)
        else {
            return None;
        };
        if wa.allowed_lateness_ms > 0 || cur.values().flatten().any(|e| !e.on_time) {
            return None;
        }
        let mut ops: Vec<Operator> =
            windows_chain::between(spec, a, b).ok()?.into_iter().map(|k| Operator::new(k, vec![])).collect();
        let mut counters = SurvivingCounters::default();
        let mut next: WindowRef = BTreeMap::new();
        for ((key, win), elems) in &cur {
            let Some(Value::Pair(_, n)) = windows_chain::result(wa, key, elems) else { return None };
            let t = win.max_timestamp();
            let input_seq = elems.iter().map(|e| e.input_seq).min()?;
            for v in windows_chain::through(&mut ops, &mut counters, key, n, t)? {
                for later in wb.assigner.assign(t) {
                    next.entry((key_of(&v), later)).or_default().push(Element {
                        input_seq,
                        number: number(&v),
                        on_time: true,
                        // A result of the window before reaches this one ahead of the
                        // watermark that fired it.
                        before_end: true,
                    });
                }
            }
        }
        cur = next;
    }
    Some((cur, surely))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_time(input_seq: u64, number: i64) -> Element {
        Element { input_seq, number, on_time: true, before_end: true }
    }

    /// A 1 s count then a 5 s sum: the later window sums the earlier window's counts, per key,
    /// named by each earlier window's smallest input; an element that may be late leaves no
    /// reference.
    #[test]
    fn the_later_window_sums_the_earlier_results() {
        let text = r#"
name = "stages"
stop_at_ms = 10000
[[operators]]
kind = "log-source"
watermarks = "monotonous"
[[operators]]
kind = "map"
function = "to_pair_one"
[[operators]]
kind = "key_by"
[[operators]]
kind = "event_window"
window = "tumbling"
size_ms = 1000
aggregate = "count"
[[operators]]
kind = "key_by"
[[operators]]
kind = "event_window"
window = "tumbling"
size_ms = 5000
aggregate = "sum"
[[operators]]
kind = "print-sink"
[input]
records = [{ at_ms = 1, value = "a", ts_ms = 5 }]
"#;
        let spec =
            crate::scenario::load::to_spec(&crate::scenario::parse("t.toml", text).expect("valid scenario"), "t.toml");
        assert_eq!(spec.window_stages(), vec![3, 5]);
        let a: Value = Value::str("a");
        let w = |s: i64, e: i64| TimeWindow { start: s, end: e };
        let mut first: WindowRef = BTreeMap::new();
        first.insert((a.clone(), w(0, 1000)), vec![on_time(3, 1), on_time(1, 1)]);
        first.insert((a.clone(), w(1000, 2000)), vec![on_time(4, 1), on_time(5, 1), on_time(6, 1)]);
        first.insert((a.clone(), w(5000, 6000)), vec![on_time(9, 1)]);
        let (later, _) = fold(&spec, (first.clone(), BTreeMap::new())).expect("fixed");
        let shown: Vec<(TimeWindow, Vec<(u64, i64)>)> =
            later.iter().map(|((_, win), es)| (*win, es.iter().map(|e| (e.input_seq, e.number)).collect())).collect();
        assert_eq!(shown, vec![(w(0, 5000), vec![(1, 2), (4, 3)]), (w(5000, 10000), vec![(9, 1)])]);
        first.get_mut(&(a, w(0, 1000))).expect("window")[0].on_time = false;
        assert!(
            fold(&spec, (first, BTreeMap::new())).is_none(),
            "a may-be-late element leaves the later stage unfixed"
        );
    }
}
