//! Limits on the records that flow through the job graph: record hops, window assignments and joined pairs.
//!
//! Each operator's records are estimated along the graph, in operator order (every input comes
//! earlier): a source emits its input records plus every input burst; any other operator at
//! most the sum of its inputs (a flat map can multiply records, which this bound does not see).
//! An `interval_join` or `window_join` makes at most `left × right` rows (every left record may
//! pair with every right one: one key, one window), which the joined-pairs limit bounds; its
//! rows count as `left + right` records downstream, so joins in a row are bounded each by its
//! own inputs' records, not by the rows of the join before it (not a worst-case bound: a join
//! of a join's rows can make more than this estimate). Three products follow:
//! record hops (the sum over operators), window assignments (an event or processing window's
//! records × the windows each belongs to, `ceil(size / slide)` for a sliding one) and joined
//! pairs (the sum over joins of `left × right`); the input-channel scans that the tasks'
//! fan-in costs per barrier and buffer; and the state entries the checkpoints copy. The limits are documented in the table of
//! `scenarios/README.md`, with what a run at each limit measured.

use super::limits_cost::MAX_RECORD_HOPS_PER_RUN;
use super::{Ctx, FaultSpec, InputSpec, OperatorKindSpec, Res, Scenario};
use ckptsim::window::WindowAssigner;

/// Most window assignments per run: over the event and processing windows, records × windows
/// per record. At 10^6 (10^4 records in 100 sliding windows each, over 10^4 keys, every window
/// open until the end) a run took 59 s before the window invariants were paced (session 24).
pub const MAX_WINDOW_ASSIGNMENTS_PER_RUN: u64 = 10_000_000;
/// Most input-channel scans per run. A task picks the next item of its input gates by looking
/// at every input channel, so each barrier, watermark or buffer it takes costs its fan-in
/// (the channels into it: an upstream task's parallelism over a partitioning or a change of
/// parallelism, else 1). Estimated as checkpoints × Σ subtasks × fan-in² (every channel
/// carries each checkpoint's barrier) plus Σ records × fan-in (a buffer of one record each).
/// Measured in session 24: ~220 ns a scan; one rebalance of 128 × 128 channels with 100
/// checkpoints (2.1 × 10^8 scans) took 47 s; 10 such edges over 10 s were not done in 300 s.
pub const MAX_CHANNEL_SCANS_PER_RUN: u64 = 1_000_000_000;
/// Most state entries copied by snapshots per run: checkpoints × the entries the job's state can
/// hold (a keyed `sum`/`count`/`max`/`min`, `count_window` or `join`: at most one per key, keys
/// at most the records it takes or the generators' keys; an event or processing window: its
/// window assignments; an `interval_join` or `window_join`: the records it buffers). Every
/// checkpoint copies every subtask's state. Measured in session 24: 10^4 checkpoints of a `sum`
/// over ~6,300 keys (6.3 × 10^7 entries copied) took 12 s, 80 % in cloning and dropping the
/// snapshots; 24 h of checkpoints every 86 ms over the same state was accepted (~20 min).
/// Two-phase-commit sinks' pending records are not counted.
pub const MAX_SNAPSHOT_ENTRIES_PER_RUN: u64 = 1_000_000_000;
/// Most joined pairs per run: over the `interval_join`s and `window_join`s, left × right
/// records. 2,000 × 2,000 records of one key in one window (4 × 10^6 rows) took 54 s and 2.2 GB.
pub const MAX_JOIN_PAIRS_PER_RUN: u64 = 4_000_000;

impl Ctx<'_> {
    /// Adds operator `i`'s joined pairs (`left` × `right` records, times the windows a pair
    /// shares in a sliding window join) to `pairs` and checks the per-run limit.
    fn join_pairs(&self, i: usize, j: &ckptsim::join::JoinSpec, left: u64, right: u64, pairs: u64) -> Res<u64> {
        // A sliding window join pairs two elements in every window they share.
        let per = match *j {
            ckptsim::join::JoinSpec::SlidingWindow { size_ms, slide_ms } => {
                (size_ms.max(1) as u64).div_ceil(slide_ms.max(1) as u64)
            }
            _ => 1,
        };
        let pairs = pairs.saturating_add(left.saturating_mul(right).saturating_mul(per));
        let how = if per > 1 {
            format!("{left} left × {right} right records × {per} windows, every pair in one key and every window")
        } else {
            format!("{left} left × {right} right records, every pair in one key and window")
        };
        self.flow("inputs", i, pairs, MAX_JOIN_PAIRS_PER_RUN, "joined pairs", &how)?;
        Ok(pairs)
    }

    /// Checks the record hops, window assignments and joined pairs of a validated scenario.
    /// `checkpoints`: the most checkpoints the run can trigger (`limits_cost.rs`).
    pub(super) fn flow_limits(&self, sc: &Scenario, checkpoints: u64) -> Res<()> {
        let bursts: u64 = sc
            .faults
            .iter()
            .filter_map(|f| match f.fault {
                FaultSpec::InputBurst { records_per_s, duration_ms } => {
                    Some(records_per_s.saturating_mul(duration_ms) / 1000)
                }
                _ => None,
            })
            .fold(0, u64::saturating_add);
        let source_records = |name: &str| -> u64 {
            let input = sc.source_inputs.iter().find(|(n, _)| n == name).map_or(&sc.input, |(_, i)| i);
            input.count().saturating_add(bursts)
        };
        // Distinct keys: at most a generator's `keys`, or a scripted source's records.
        let keys = std::iter::once(&sc.input)
            .chain(sc.source_inputs.iter().map(|(_, i)| i))
            .map(|i| match i {
                InputSpec::Generator { generator: g, .. } => g.keys.max(1),
                other => other.count(),
            })
            .fold(0, u64::saturating_add);
        let mut state = 0u64;
        let mut records = vec![0u64; sc.operators.len()];
        let (mut hops, mut assignments, mut pairs) = (0u64, 0u64, 0u64);
        for (i, o) in sc.operators.iter().enumerate() {
            let ins: Vec<u64> = o.inputs.iter().map(|j| records.get(*j).copied().unwrap_or(0)).collect();
            let n = if o.inputs.is_empty() {
                source_records(&o.name)
            } else if let (OperatorKindSpec::EventJoin(j), [left, right]) = (&o.kind, ins.as_slice()) {
                pairs = self.join_pairs(i, j, *left, *right, pairs)?;
                // Downstream, a join's rows count as its inputs' records (left × right would
                // refuse joins in a row that the repository runs in a second).
                left.saturating_add(*right)
            } else {
                ins.iter().copied().fold(0, u64::saturating_add)
            };
            records[i] = n;
            hops = hops.saturating_add(n);
            state = state.saturating_add(match &o.kind {
                OperatorKindSpec::Aggregate(_)
                | OperatorKindSpec::CountWindow { .. }
                | OperatorKindSpec::Join
                | OperatorKindSpec::BroadcastProcess { .. } => n.min(keys),
                OperatorKindSpec::EventJoin(_) => ins.iter().copied().fold(0, u64::saturating_add),
                _ => 0,
            });
            if let OperatorKindSpec::EventWindow(w) = &o.kind {
                let per = match w.assigner {
                    WindowAssigner::Tumbling { .. } | WindowAssigner::Session { .. } => 1,
                    WindowAssigner::Sliding { size_ms, slide_ms, .. } => size_ms.div_ceil(slide_ms.max(1)),
                };
                assignments = assignments.saturating_add(n.saturating_mul(per));
                state = state.saturating_add(n.saturating_mul(per));
                let how = format!("{n} records × {per} windows each");
                let key = if per > 1 { "slide_ms" } else { "size_ms" };
                self.flow(key, i, assignments, MAX_WINDOW_ASSIGNMENTS_PER_RUN, "window assignments", &how)?;
            }
        }
        if hops > MAX_RECORD_HOPS_PER_RUN {
            let key = match &sc.input {
                InputSpec::Generator { .. } if sc.source_inputs.is_empty() => "input.generator.count",
                _ => "operators",
            };
            let ops = sc.operators.len();
            return Err(self.err(
                key,
                format!(
                    "the run would make about {hops} record hops (the records each of the {ops} operators takes), \
                     above the limit of {MAX_RECORD_HOPS_PER_RUN}"
                ),
            ));
        }
        self.channel_scans(sc, &records, checkpoints)?;
        let copied = checkpoints.saturating_mul(state);
        if copied > MAX_SNAPSHOT_ENTRIES_PER_RUN {
            return Err(self.err(
                self.blame("checkpoint.interval_ms"),
                format!(
                    "the run would copy about {copied} state entries into snapshots ({checkpoints} checkpoints × \
                     up to {state} entries of keyed, window and join state), above the limit of \
                     {MAX_SNAPSHOT_ENTRIES_PER_RUN}; use fewer checkpoints, keys or records"
                ),
            ));
        }
        Ok(())
    }

    /// The input-channel scans of the run ([`MAX_CHANNEL_SCANS_PER_RUN`]), blamed on the
    /// parallelism of the operator that costs most.
    fn channel_scans(&self, sc: &Scenario, records: &[u64], checkpoints: u64) -> Res<()> {
        let ops = &sc.operators;
        let mut total = 0u64;
        let mut worst = (0u64, 0usize, 0u64);
        for (i, o) in ops.iter().enumerate().filter(|(_, o)| o.kind.is_task()) {
            let p = u64::from(o.parallelism);
            let mut fan_in = 0u64;
            for &first in &o.inputs {
                // Up through the partitionings (not tasks) to the task that feeds this gate.
                let (mut j, mut partitioned) = (first, false);
                while let Some(up) = ops.get(j).filter(|u| !u.kind.is_task()) {
                    partitioned = true;
                    match up.inputs.first() {
                        Some(&k) if k < j => j = k,
                        _ => break,
                    }
                }
                let q = ops.get(j).map_or(1, |u| u64::from(u.parallelism));
                fan_in = fan_in.saturating_add(if partitioned || q != p { q } else { 1 });
            }
            let barriers = checkpoints.saturating_mul(p).saturating_mul(fan_in.saturating_mul(fan_in));
            let cost = barriers.saturating_add(records.get(i).copied().unwrap_or(0).saturating_mul(fan_in));
            total = total.saturating_add(cost);
            if cost > worst.0 {
                worst = (cost, i, fan_in);
            }
        }
        if total > MAX_CHANNEL_SCANS_PER_RUN {
            let (_, i, fan_in) = worst;
            return Err(self.err(
                &format!("operators[{i}].parallelism"),
                format!(
                    "the run would make about {total} input-channel scans (checkpoints {checkpoints} × subtasks × \
                     fan-in² plus records × fan-in; this operator's {} subtasks have {fan_in} input channels each), \
                     above the limit of {MAX_CHANNEL_SCANS_PER_RUN}; use a lower parallelism or fewer checkpoints",
                    ops[i].parallelism
                ),
            ));
        }
        Ok(())
    }

    /// A flow product at `operators[i].key`: an error when `value` is above `max`.
    fn flow(&self, key: &str, i: usize, value: u64, max: u64, what: &str, how: &str) -> Res<()> {
        if value > max {
            return Err(self.err(
                &format!("operators[{i}].{key}"),
                format!("the run would make about {value} {what} (here {how}), above the limit of {max}"),
            ));
        }
        Ok(())
    }
}
