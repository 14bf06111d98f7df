//! The join's own record checked against its inputs (session 30): the buffers of every attempt of a late-fed join replayed from what it took, its watermark advances and the cut each snapshot took, and every pair those buffers make compared with the pairs the attempt emitted (`late-join-unpaired`, `late-join-unfounded`).
//!
//! Flink's `IntervalJoinOperator` buffers each element it takes in keyed map state (`leftBuffer`
//! / `rightBuffer`) with a cleanup timer (left at `ts + upper`, right at `ts - lower`, or at `ts`
//! when that bound does not reach past it), joins it with the other side's buffered elements in
//! range as it arrives, and drops a buffered element when the watermark reaches its timer; the
//! window join (`WindowOperator` over the tagged union) keeps each element in its window's list
//! state and emits the cross product of both sides when the watermark reaches the window's
//! `maxTimestamp`. Both buffers and their timers are in every snapshot, and a restore brings back
//! exactly the buffers of the restored cut (the watermark starts afresh, §11.5).
//!
//! The sink rules of `joins_late.rs` judge the sink against what the join *reported*; a join
//! that lost a buffer reports fewer pairs, and nothing there bounds them. Here the record is
//! read as the join's input: per attempt, the replay starts from the buffers the restored
//! checkpoint's cut holds (computed by the same replay of the attempt that took that snapshot,
//! never read from the snapshot itself), applies each element taken (`JoinEvent::Took`) and each
//! watermark advance (`JoinEvent::Watermark`) as the operator's semantics say, and expects
//! exactly the pairs that gives right after the event that makes them:
//!
//! * `late-join-unpaired`: both elements of a pair were in the attempt's buffers (the earlier one
//!   taken by it, or restored from its checkpoint's cut and not yet cleaned up) and in range (the
//!   same window, for a window join), but the attempt emitted no such row there: a lost buffer
//!   (the planted `join-snapshot-without-right`), a lost timer or a pairing bug.
//! * `late-join-unfounded`: the attempt emitted a row that its replayed buffers do not make.
//!
//! Session 36: a keyed running aggregate on a late side branch before the join (`Branch`) is
//! replayed beside the buffers: its value per (side, key) is restored from the same cut, and
//! each element the attempt received on that side is folded through it and the maps after it;
//! `late-join-branch-state` names a received value the fold does not give (the `state` checker).
//!
//! An attempt restored from a cut the replay does not know (a snapshot taken by no recorded
//! attempt, e.g. after a rescale whose keys it does not follow) is not judged; the summary
//! counts it. Linear in the record: each element is compared with its key's buffered partners,
//! as the join itself does, and each restored checkpoint's buffers are copied once per task.

use super::*;
use crate::world::JoinRow;
use ckptsim::join::{is_composite, pair_lineage, pair_of, JoinEvent, JoinSpec};
use ckptsim::operator::key_of;
use ckptsim::record::Lineage;
use ckptsim::{Attempt, CheckpointId, TaskId};

/// One buffered element: its timestamp and lineage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    ts: i64,
    lineage: Lineage,
}

/// An attempt's replayed buffers: per (key, side) the elements in arrival order, the pending
/// cleanup timers or windows, and its watermark.
#[derive(Clone, Debug, Default)]
struct Buffers {
    by_key: BTreeMap<(Value, u32), Vec<Entry>>,
    /// (timer, key, side): an interval join's cleanup timers; (window end, key, 2): a window
    /// join's pending windows.
    timers: BTreeSet<(i64, Value, u32)>,
    watermark: Option<i64>,
    /// Session 36: the keyed aggregate on a late side branch, per (join side, key) the value it
    /// emitted last for the elements this attempt received (Flink's reduce state holds the last
    /// result).
    sums: BTreeMap<(u32, Value), Value>,
    /// Session 37, at-least-once checkpoints: per (join side, key) the values the aggregate's
    /// state may have held since this attempt started (None: empty), the last the newest.
    candidates: Candidates,
}

/// Per (join side, key), values the branch's aggregate state may hold (None: no value).
type Candidates = BTreeMap<(u32, Value), Vec<Option<Value>>>;

impl Buffers {
    /// Restored buffers: the entries of a cut with their timers, the watermark afresh.
    fn restored(held: Held, join: JoinSpec) -> Buffers {
        let mut timers = BTreeSet::new();
        for ((key, side), entries) in &held.by_key {
            for e in entries {
                timers.insert(timer_of(join, *side, e.ts, key));
            }
        }
        Buffers { by_key: held.by_key, timers, watermark: None, sums: held.sums, candidates: held.candidates }
    }
}

/// The cleanup timer (interval join) or window end (window join) of an element of `side` at `ts`.
fn timer_of(join: JoinSpec, side: u32, ts: i64, key: &Value) -> (i64, Value, u32) {
    match join {
        JoinSpec::Interval { lower_ms, upper_ms } => {
            let hi = if side == 0 { upper_ms } else { -lower_ms };
            (if hi > 0 { ts.saturating_add(hi) } else { ts }, key.clone(), side)
        }
        JoinSpec::Window { size_ms } => (window_end(ts, size_ms), key.clone(), 2),
        // Never replayed: validation refuses a sliding window join fed by a late side output.
        JoinSpec::SlidingWindow { .. } => (ts, key.clone(), 2),
    }
}

fn window_end(ts: i64, size_ms: i64) -> i64 {
    ts - ts.rem_euclid(size_ms) + size_ms - 1
}

/// One attempt's replay: its buffers (None: restored from a cut the replay does not know), how
/// many of its rows it has read (the snapshot cuts count them), the pairs the last event should
/// have made and the rows emitted since.
struct Replay {
    buffers: Option<Buffers>,
    position: u64,
    expected: Vec<Lineage>,
    emitted: Vec<(Lineage, u64)>,
    event_at: u64,
}

impl Replay {
    fn unknown() -> Replay {
        Replay { buffers: None, position: 0, expected: Vec::new(), emitted: Vec::new(), event_at: 0 }
    }
}

/// What the replay found and judged.
pub(super) struct Replayed {
    pub findings: Vec<Finding>,
    /// Attempts judged, and attempts not judged (restored from an unknown cut).
    pub judged: usize,
    pub unknown: usize,
    /// Pairs the replay expected and compared.
    pub pairs: usize,
    /// Session 36: per side branch with a keyed aggregate, the `late-join-branch-state` findings
    /// and how many values were compared, or why the aggregate was not judged.
    /// Session 37: with how many restored keys the checkpoint held another value than the
    /// join's cut (at-least-once checkpoints).
    pub branches: Vec<BranchJudged>,
}

/// The keyed running aggregate on the late side branch before the join (session 36,
/// `W.late -> ... -> key_by -> sum -> map* -> key_by -> join`): the join input it feeds, the
/// aggregate and the maps after it, and per lineage the record that reaches the aggregate (each
/// late element through the branch's functions before it, which keep or renumber lineages as
/// the branch's tasks do; the aggregate and maps keep them).
pub(super) struct Branch<'a> {
    pub side: u32,
    pub aggregate: ckptsim::operator::Aggregate,
    pub post: Vec<ckptsim::operator::OperatorKind>,
    pub at_aggregate: &'a BTreeMap<(u64, u32), ckptsim::record::Record>,
    /// Session 37: under at-least-once checkpoints, what each restored checkpoint holds for the
    /// aggregate per key (None: exactly-once, the join's cut holds the aggregate's values).
    pub held: Option<&'a HeldByCheckpoint>,
}

/// The branch's replay: the operators it runs one element at a time, what it found.
struct BranchRun<'a> {
    side: u32,
    at_aggregate: &'a BTreeMap<(u64, u32), ckptsim::record::Record>,
    aggregate: ckptsim::operator::Operator,
    post: Vec<ckptsim::operator::Operator>,
    counters: ckptsim::operator::SurvivingCounters,
    out: Vec<Finding>,
    judged: usize,
    held: Option<&'a HeldByCheckpoint>,
    /// At-least-once: per attempt, the checkpoint it restored, and the keys whose restored value
    /// is unknown there (the checkpoint holds a value the join never received; already named).
    restored: BTreeMap<(TaskId, Attempt), CheckpointId>,
    unknown: BTreeSet<(TaskId, Attempt, Value)>,
    /// Restored keys whose checkpoint value is not the join's cut value (at-least-once).
    diverged: usize,
    /// Why the fold does not apply (a map between the aggregate and the join changed a key, so
    /// one key's values may reach several join subtasks).
    skip: Option<&'static str>,
}

/// Replays the join `join` (named `jname`) of `spec` from `record` (its tasks' rows in time
/// order), the restores of its attempts `restores` (time, task, attempt, checkpoint) and its
/// snapshot cuts `cuts` (task, attempt, checkpoint, rows before the cut).
pub(super) fn replay(
    join: JoinSpec,
    jname: &str,
    record: &[&JoinRow],
    restores: &[(TaskId, Attempt, Option<CheckpointId>)],
    cuts: &[(TaskId, Attempt, CheckpointId, u64)],
    (rescaled, branches): (&[Rescaled], Vec<Branch<'_>>),
) -> Replayed {
    let restored_from: BTreeMap<(TaskId, Attempt), Option<CheckpointId>> =
        restores.iter().map(|(t, a, c)| ((*t, *a), *c)).collect();
    let wanted: BTreeSet<CheckpointId> = restores.iter().filter_map(|r| r.2).collect();
    // Per attempt, its cuts of restored checkpoints in position order.
    let mut cuts_of: BTreeMap<(TaskId, Attempt), Vec<(u64, CheckpointId)>> = BTreeMap::new();
    for (t, a, c, n) in cuts.iter().filter(|c| wanted.contains(&c.2)) {
        cuts_of.entry((*t, *a)).or_default().push((*n, *c));
    }
    cuts_of.values_mut().for_each(|v| v.sort_unstable());
    let branches = branches.into_iter().map(|b| BranchRun {
        side: b.side,
        at_aggregate: b.at_aggregate,
        aggregate: ckptsim::operator::Operator::new(
            ckptsim::operator::OperatorKind::KeyedAggregate(b.aggregate),
            vec![],
        ),
        post: b.post.into_iter().map(|k| ckptsim::operator::Operator::new(k, vec![])).collect(),
        counters: ckptsim::operator::SurvivingCounters::default(),
        out: Vec::new(),
        judged: 0,
        held: b.held,
        restored: BTreeMap::new(),
        unknown: BTreeSet::new(),
        diverged: 0,
        skip: None,
    });
    let mut r = Run {
        join,
        jname,
        held: BTreeMap::new(),
        cuts_of,
        rescaled,
        out: Vec::new(),
        pairs: 0,
        branches: branches.collect(),
    };
    let mut attempts: BTreeMap<(TaskId, Attempt), Replay> = BTreeMap::new();
    // Attempts start in deployment order, each before its own rows: one with no rows still
    // takes its snapshots (its restored buffers).
    let mut starts = restores.iter();
    for row in record {
        let key = (row.task, row.attempt);
        if !attempts.contains_key(&key) {
            if restored_from.contains_key(&key) {
                // Every attempt deployed up to this one starts now (their cuts at position 0).
                for (t, a, c) in starts.by_ref() {
                    r.start(&mut attempts, (*t, *a), *c);
                    if (*t, *a) == key {
                        break;
                    }
                }
            } else {
                // No deployment recorded for it: where its buffers start is unknown.
                attempts.entry(key).or_insert_with(Replay::unknown);
            }
        }
        let rep = attempts.get_mut(&key).expect("started");
        r.step(key, rep, row);
    }
    for (key, rep) in attempts.iter_mut() {
        r.settle(*key, rep);
    }
    let judged = attempts.values().filter(|a| a.buffers.is_some()).count();
    let branches = r.branches.into_iter().map(|b| b.skip.map_or(Ok((b.out, b.judged, b.diverged)), Err)).collect();
    Replayed { findings: r.out, judged, unknown: attempts.len() - judged, pairs: r.pairs, branches }
}

/// A new job that restored the join from a savepoint or retained checkpoint with other
/// parallelism (`RunResult::rescales`): which attempts are its (`owns`), the join's old and new
/// parallelism and effective max parallelism, and the new subtask of each of its tasks.
pub(super) struct Rescaled {
    pub checkpoint: CheckpointId,
    pub owns: Box<dyn Fn(Attempt) -> bool>,
    pub old_parallelism: u32,
    pub new_parallelism: u32,
    pub max_parallelism: u32,
    pub subtask: BTreeMap<TaskId, u32>,
}

/// Buffers by (key, side), and the side branch's aggregate values by key, as a cut holds them.
#[derive(Clone, Debug, Default)]
struct Held {
    by_key: BTreeMap<(Value, u32), Vec<Entry>>,
    sums: BTreeMap<(u32, Value), Value>,
    candidates: Candidates,
}

/// The replay's shared state: the buffers each restored checkpoint's cut holds per task (None:
/// unknown), the remaining cuts per attempt, the rescales, the findings.
struct Run<'a> {
    join: JoinSpec,
    jname: &'a str,
    held: BTreeMap<CheckpointId, BTreeMap<TaskId, Option<Held>>>,
    cuts_of: BTreeMap<(TaskId, Attempt), Vec<(u64, CheckpointId)>>,
    rescaled: &'a [Rescaled],
    out: Vec<Finding>,
    pairs: usize,
    branches: Vec<BranchRun<'a>>,
}

impl Run<'_> {
    /// Starts `key`'s replay from checkpoint `from`'s cut of its task (empty without one).
    fn start(
        &mut self,
        attempts: &mut BTreeMap<(TaskId, Attempt), Replay>,
        key: (TaskId, Attempt),
        from: Option<CheckpointId>,
    ) {
        if attempts.contains_key(&key) {
            return;
        }
        let mut buffers = match from {
            None => Some(Buffers::default()),
            Some(c) => self.restored(c, key).map(|b| Buffers::restored(b, self.join)),
        };
        if let (Some(b), Some(c)) = (buffers.as_mut(), from) {
            self.branches.iter_mut().for_each(|branch| branch.resolve(key, c, b));
        }
        let mut rep = Replay { buffers, ..Replay::unknown() };
        self.capture(key, &mut rep);
        attempts.insert(key, rep);
    }

    /// What `key` restores from checkpoint `c`: its task's cut; after a rescale (keyed state moves
    /// by key group, `StateAssignmentOperation`), every old subtask's entries whose key the new
    /// subtask's key-group range holds. None when a cut it needs is unknown.
    fn restored(&self, c: CheckpointId, (task, attempt): (TaskId, Attempt)) -> Option<Held> {
        let tasks = self.held.get(&c)?;
        let Some(r) = self.rescaled.iter().find(|r| r.checkpoint == c && (r.owns)(attempt)) else {
            return tasks.get(&task).cloned().flatten();
        };
        let subtask = *r.subtask.get(&task)?;
        if tasks.len() != r.old_parallelism as usize {
            return None;
        }
        let mut mine = Held::default();
        let to =
            |k: &Value| ckptsim::key_group::assign_key_to_parallel_operator(k, r.max_parallelism, r.new_parallelism);
        for held in tasks.values() {
            let held = held.as_ref()?;
            for ((k, side), entries) in held.by_key.iter().filter(|((k, _), _)| to(k) == subtask) {
                mine.by_key.entry((k.clone(), *side)).or_default().extend(entries.iter().copied());
            }
            mine.sums
                .extend(held.sums.iter().filter(|((_, k), _)| to(k) == subtask).map(|(k, v)| (k.clone(), v.clone())));
            mine.candidates.extend(
                held.candidates.iter().filter(|((_, k), _)| to(k) == subtask).map(|(k, v)| (k.clone(), v.clone())),
            );
        }
        Some(mine)
    }

    /// Takes the attempt's cuts at its current position.
    fn capture(&mut self, key: (TaskId, Attempt), rep: &mut Replay) {
        let Some(cuts) = self.cuts_of.get_mut(&key) else { return };
        while cuts.first().is_some_and(|(n, _)| *n <= rep.position) {
            let (_, c) = cuts.remove(0);
            let held = rep.buffers.as_ref().map(|b| Held {
                by_key: b.by_key.clone(),
                sums: b.sums.clone(),
                candidates: b.candidates.clone(),
            });
            self.held.entry(c).or_default().insert(key.0, held);
        }
    }

    /// One row of `key`'s record.
    fn step(&mut self, key: (TaskId, Attempt), rep: &mut Replay, row: &JoinRow) {
        rep.position += 1;
        if row.event == JoinEvent::Emitted {
            rep.emitted.push((row.lineage, row.time_ms));
            self.capture(key, rep);
            return;
        }
        self.settle(key, rep);
        rep.event_at = row.time_ms;
        if let Some(b) = rep.buffers.as_mut() {
            self.branches.iter_mut().for_each(|branch| branch.step(key, b, row));
        }
        if let Some(b) = rep.buffers.as_mut() {
            match row.event {
                JoinEvent::Took(side) => took(self.join, b, side.min(1), row, &mut rep.expected),
                JoinEvent::Watermark => advance(self.join, b, row.timestamp.unwrap_or(i64::MIN), &mut rep.expected),
                JoinEvent::Late(_) | JoinEvent::Emitted => {}
            }
        }
        self.capture(key, rep);
    }

    /// Compares the pairs the last event should have made with the rows emitted after it.
    fn settle(&mut self, (task, attempt): (TaskId, Attempt), rep: &mut Replay) {
        let mut expected = std::mem::take(&mut rep.expected);
        let emitted = std::mem::take(&mut rep.emitted);
        if rep.buffers.is_none() {
            return;
        }
        self.pairs += expected.len();
        expected.sort_unstable();
        let mut got: Vec<Lineage> = emitted.iter().map(|e| e.0).collect();
        got.sort_unstable();
        let (missing, extra) = multiset_difference(&expected, &got);
        let jname = self.jname;
        for l in missing {
            self.out.push(
                Finding::new(
                    "late-join-unpaired",
                    format!(
                        "late join unpaired: t={} `{jname}` (task {}, attempt {}) held both elements of pair {} in its \
                         buffers (replayed from its record and its restored cut) but emitted no row of it",
                        rep.event_at,
                        task.0,
                        attempt.0,
                        shown(l)
                    ),
                )
                .at(rep.event_at)
                .with("input", l.input_seq),
            );
        }
        for l in extra {
            let at = emitted.iter().find(|e| e.0 == l).map_or(rep.event_at, |e| e.1);
            self.out.push(
                Finding::new(
                    "late-join-unfounded",
                    format!(
                        "late join unfounded: t={at} `{jname}` (task {}, attempt {}) emitted the row of pair {}, which \
                         its buffers (replayed from its record and its restored cut) do not make there",
                        task.0,
                        attempt.0,
                        shown(l)
                    ),
                )
                .at(at)
                .with("input", l.input_seq),
            );
        }
    }
}

impl BranchRun<'_> {
    /// An element of the branch's side received (taken or dropped late) by `key`'s attempt: its
    /// value must be the aggregate's, folded from the values that attempt's buffers hold for its
    /// key (restored from the cut, then each element received since), through the maps after
    /// it. The fold holds under exactly-once checkpoints (the caller's condition): a key's
    /// values reach one join subtask in the aggregate's order on one channel, and the join's
    /// snapshot cuts that channel at the aggregate's barrier, so the join's cut holds for the
    /// key the aggregate's state in the same checkpoint; an unaligned snapshot's channel state
    /// is received by the restored attempt first, in the order the aggregate emitted it.
    ///
    /// Session 37, at-least-once checkpoints: the fold of a restored attempt starts from the
    /// value the checkpoint holds for the key ([`BranchRun::resolve`]).
    fn step(&mut self, (task, attempt): (TaskId, Attempt), b: &mut Buffers, row: &JoinRow) {
        let (JoinEvent::Took(side) | JoinEvent::Late(side)) = row.event else { return };
        if side != self.side || self.skip.is_some() {
            return;
        }
        let Some(rec) = self.at_aggregate.get(&(row.lineage.input_seq, row.lineage.sub)) else { return };
        let key = key_of(&rec.value);
        if key_of(&row.value) != key {
            self.skip = Some("a map after the side branch's aggregate changes the key");
            return;
        }
        if self.unknown.contains(&(task, attempt, key.clone())) || self.unheld((task, attempt), b, &key, row.time_ms) {
            return;
        }
        let at = (side, key);
        let sums = &mut b.sums;
        let prior: BTreeMap<Value, Value> = sums.get(&at).map(|v| (at.1.clone(), v.clone())).into_iter().collect();
        self.aggregate.restore(&ckptsim::state::OperatorState::Keyed(prior));
        let one = std::iter::once(&mut self.aggregate);
        let (folded, _) = super::records_through(one, &mut self.counters, vec![rec.clone()], "branch-replay");
        let Some(value) = folded.first().map(|x| x.value.clone()) else { return };
        if self.held.is_some() {
            // A key first reached in this attempt: its state was empty when it started.
            b.candidates.entry(at.clone()).or_insert_with(|| vec![None]).push(Some(value.clone()));
        }
        sums.insert(at, value);
        let (want, _) = super::records_through(self.post.iter_mut(), &mut self.counters, folded, "branch-replay");
        self.judged += 1;
        if want.iter().any(|x| x.value == row.value) {
            return;
        }
        let want = want.first().map_or_else(|| "nothing".to_owned(), |x| x.value.to_string());
        self.out.push(
            Finding::new(
                "late-join-branch-state",
                format!(
                    "late join branch state: t={} the join (task {}, attempt {}) received {} for input #{} (sub {}), but \
                     the side branch's aggregate, folded from the values its restored cut and this attempt hold for \
                     the key, gives {want}: the aggregate's keyed state lost or double-counted an element",
                    row.time_ms, task.0, attempt.0, row.value, row.lineage.input_seq, row.lineage.sub
                ),
            )
            .at(row.time_ms)
            .with("input", row.lineage.input_seq),
        );
    }
}

impl BranchRun<'_> {
    /// At-least-once checkpoints (session 37): Flink's `CheckpointBarrierTracker` lets the
    /// aggregate process a channel whose barrier arrived and snapshot on its last barrier, and
    /// lets the join do the same, so the join's cut may hold values the aggregate's state does
    /// not, and the aggregate's state may hold elements the restore replays again (counted
    /// twice, which at-least-once allows). What it may not hold is a value it never reached: the
    /// aggregate emits each value before its barrier on its one channel to the key's join
    /// subtask, and the join snapshots after every barrier, so the value the checkpoint holds
    /// for a key is one of the values the join had received for it by its cut (or the value it
    /// restored then). `key`'s attempt restored from `c` folds each key from the checkpoint's
    /// value; a value none of those gives is `late-join-branch-state`.
    fn resolve(&mut self, key: (TaskId, Attempt), c: CheckpointId, b: &mut Buffers) {
        let Some(held) = self.held.filter(|_| self.skip.is_none()) else { return };
        self.restored.insert(key, c);
        let empty = BTreeMap::new();
        let in_cp = held.get(&c).unwrap_or(&empty);
        let mine: Vec<(u32, Value)> = b.candidates.keys().filter(|(s, _)| *s == self.side).cloned().collect();
        for at in mine {
            let shown = in_cp.get(&at.1.to_string());
            let options = b.candidates.remove(&at).unwrap_or_default();
            match options.iter().find(|o| o.as_ref().map(ToString::to_string).as_ref() == shown) {
                Some(Some(v)) => {
                    self.diverged += usize::from(b.sums.get(&at) != Some(v));
                    b.sums.insert(at.clone(), v.clone());
                    b.candidates.insert(at, vec![Some(v.clone())]);
                }
                Some(None) => {
                    self.diverged += usize::from(b.sums.remove(&at).is_some());
                    b.candidates.insert(at, vec![None]);
                }
                None => {
                    let had: Vec<String> = options
                        .iter()
                        .map(|o| o.as_ref().map_or_else(|| "nothing".to_owned(), Value::to_string))
                        .collect();
                    self.snapshot_finding(key, c, &at.1, shown, &had.join(", "), None);
                    b.sums.remove(&at);
                    self.unknown.insert((key.0, key.1, at.1));
                }
            }
        }
    }

    /// A key the restored attempt's cut holds nothing for: whether the checkpoint holds a value
    /// for it all the same (named as [`BranchRun::resolve`] names it; the key then unknown).
    fn unheld(&mut self, key: (TaskId, Attempt), b: &Buffers, k: &Value, at_ms: u64) -> bool {
        let (Some(held), Some(c)) = (self.held, self.restored.get(&key).copied()) else { return false };
        if b.sums.contains_key(&(self.side, k.clone())) || b.candidates.contains_key(&(self.side, k.clone())) {
            return false;
        }
        let Some(shown) = held.get(&c).and_then(|m| m.get(&k.to_string())) else { return false };
        self.snapshot_finding(key, c, k, Some(shown), "nothing", Some(at_ms));
        self.unknown.insert((key.0, key.1, k.clone()));
        true
    }

    fn snapshot_finding(
        &mut self,
        (task, attempt): (TaskId, Attempt),
        c: CheckpointId,
        k: &Value,
        shown: Option<&String>,
        had: &str,
        at_ms: Option<u64>,
    ) {
        let shown = shown.map_or("nothing", String::as_str);
        let f = Finding::new(
            "late-join-branch-state",
            format!(
                "late join branch state: checkpoint {} holds {shown} for key {k} of the side branch's aggregate, \
                 restored by the join (task {}, attempt {}), but the join had received none such for the key by its \
                 cut of that checkpoint (it had: {had}); under at-least-once checkpoints the aggregate's snapshot \
                 holds a value it emitted before its barrier",
                c.0, task.0, attempt.0
            ),
        );
        self.out.push(f.at(at_ms));
    }
}

/// A pair as `#left ⋈ #right` (a composite lineage as it is).
fn shown(l: Lineage) -> String {
    if is_composite(l) {
        format!("{:?}", (l.input_seq, l.sub))
    } else {
        let (a, b) = pair_of(l);
        format!("#{a} ⋈ #{b}")
    }
}

/// `a - b` and `b - a` of two sorted multisets.
fn multiset_difference(a: &[Lineage], b: &[Lineage]) -> (Vec<Lineage>, Vec<Lineage>) {
    let (mut i, mut j) = (0, 0);
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                only_a.push(*x);
                i += 1;
            }
            (Some(x), None) => {
                only_a.push(*x);
                i += 1;
            }
            (_, Some(y)) => {
                only_b.push(*y);
                j += 1;
            }
            (None, None) => unreachable!("the loop condition"),
        }
    }
    (only_a, only_b)
}

/// An element of `side` taken: the pairs it makes with the other side's buffered elements in
/// range (interval join; a window join pairs on its window's end), then it is buffered.
fn took(join: JoinSpec, b: &mut Buffers, side: u32, row: &JoinRow, expected: &mut Vec<Lineage>) {
    let Some(ts) = row.timestamp else { return };
    let key = key_of(&row.value);
    let e = Entry { ts, lineage: row.lineage };
    if let JoinSpec::Interval { lower_ms, upper_ms } = join {
        let (lo, hi) = if side == 0 { (lower_ms, upper_ms) } else { (-upper_ms, -lower_ms) };
        if let Some(others) = b.by_key.get(&(key.clone(), 1 - side)) {
            for o in others.iter().filter(|o| o.ts >= ts.saturating_add(lo) && o.ts <= ts.saturating_add(hi)) {
                let (l, r) = if side == 0 { (e.lineage, o.lineage) } else { (o.lineage, e.lineage) };
                expected.push(pair_lineage(l, r));
            }
        }
    }
    b.timers.insert(timer_of(join, side, ts, &key));
    b.by_key.entry((key, side)).or_default().push(e);
}

/// The watermark advanced to `wm`: the due cleanup timers drop their elements (interval join),
/// the due windows emit the cross product of both sides and are purged (window join).
fn advance(join: JoinSpec, b: &mut Buffers, wm: i64, expected: &mut Vec<Lineage>) {
    b.watermark = Some(wm);
    while b.timers.first().is_some_and(|t| t.0 <= wm) {
        let (at, key, kind) = b.timers.pop_first().expect("a due timer");
        match join {
            JoinSpec::Interval { .. } => {
                let k = (key, kind);
                if let Some(v) = b.by_key.get_mut(&k) {
                    v.retain(|e| timer_of(join, kind, e.ts, &k.0).0 > wm);
                    if v.is_empty() {
                        b.by_key.remove(&k);
                    }
                }
            }
            JoinSpec::Window { size_ms } => {
                let in_window = |e: &&Entry| window_end(e.ts, size_ms) == at;
                let empty = Vec::new();
                let lefts = b.by_key.get(&(key.clone(), 0)).unwrap_or(&empty);
                let rights = b.by_key.get(&(key.clone(), 1)).unwrap_or(&empty);
                for l in lefts.iter().filter(in_window) {
                    for r in rights.iter().filter(in_window) {
                        expected.push(pair_lineage(l.lineage, r.lineage));
                    }
                }
                for side in [0, 1] {
                    let k = (key.clone(), side);
                    if let Some(v) = b.by_key.get_mut(&k) {
                        v.retain(|e| window_end(e.ts, size_ms) != at);
                        if v.is_empty() {
                            b.by_key.remove(&k);
                        }
                    }
                }
            }
            // Never replayed (see `timer_of`).
            JoinSpec::SlidingWindow { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ckptsim::record::Value;

    const INTERVAL: JoinSpec = JoinSpec::Interval { lower_ms: -10, upper_ms: 10 };

    fn row(attempt: u32, event: JoinEvent, seq: u64, ts: i64) -> JoinRow {
        JoinRow {
            time_ms: ts as u64,
            task: TaskId(0),
            attempt: Attempt(attempt),
            value: Value::Pair("k".into(), 1),
            lineage: Lineage { input_seq: seq, sub: 0 },
            timestamp: Some(ts),
            event,
        }
    }

    fn emitted(attempt: u32, left: u64, right: u64) -> JoinRow {
        let l = |s| Lineage { input_seq: s, sub: 0 };
        JoinRow {
            lineage: pair_lineage(l(left), l(right)),
            event: JoinEvent::Emitted,
            ..row(attempt, JoinEvent::Emitted, 0, 0)
        }
    }

    fn kinds(
        join: JoinSpec,
        rows: &[JoinRow],
        restores: &[(TaskId, Attempt, Option<CheckpointId>)],
        cut: u64,
    ) -> Vec<String> {
        let record: Vec<&JoinRow> = rows.iter().collect();
        let cuts = [(TaskId(0), Attempt(0), CheckpointId(1), cut)];
        replay(join, "J", &record, restores, &cuts, (&[], Vec::new()))
            .findings
            .into_iter()
            .filter_map(|f| f.kind)
            .collect()
    }

    /// Hand-made records of one interval-join task: attempt 0 takes a right element (#1 at 100)
    /// and its snapshot of checkpoint 1 cuts after it; attempt 1, restored from checkpoint 1,
    /// takes a left element (#2 at 105) in range. The restored right buffer holds #1, so the row
    /// `#2 ⋈ #1` is due right after #2: emitted, the record passes; not emitted (a join that lost
    /// its right buffer), `late-join-unpaired`; a row the buffers do not make,
    /// `late-join-unfounded`. A watermark past #1's cleanup timer (110) before the cut, or a
    /// restore from no checkpoint, leaves nothing to pair with: no row is due.
    #[test]
    fn a_restored_buffer_must_pair_and_nothing_else() {
        let restores = [(TaskId(0), Attempt(0), None), (TaskId(0), Attempt(1), Some(CheckpointId(1)))];
        let a0 = vec![row(0, JoinEvent::Took(1), 1, 100)];
        let paired = [a0.clone(), vec![row(1, JoinEvent::Took(0), 2, 105), emitted(1, 2, 1)]].concat();
        assert_eq!(kinds(INTERVAL, &paired, &restores, 1), Vec::<String>::new());
        let lost = [a0.clone(), vec![row(1, JoinEvent::Took(0), 2, 105)]].concat();
        assert_eq!(kinds(INTERVAL, &lost, &restores, 1), vec!["late-join-unpaired"]);
        let odd = [a0.clone(), vec![row(1, JoinEvent::Took(0), 2, 105), emitted(1, 2, 1), emitted(1, 2, 9)]].concat();
        assert_eq!(kinds(INTERVAL, &odd, &restores, 1), vec!["late-join-unfounded"]);
        // Cut before #1 was taken: the restored buffers are empty.
        assert_eq!(kinds(INTERVAL, &lost, &restores, 0), Vec::<String>::new());
        assert_eq!(kinds(INTERVAL, &paired, &restores, 0), vec!["late-join-unfounded"]);
        // The watermark reached #1's cleanup timer (100 + 10) before the cut.
        let cleaned =
            [a0.clone(), vec![row(0, JoinEvent::Watermark, 0, 110), row(1, JoinEvent::Took(0), 2, 105)]].concat();
        assert_eq!(kinds(INTERVAL, &cleaned, &restores, 2), Vec::<String>::new());
        // Out of range (#2 at 111 is more than 10 after #1): no row due.
        let far = [a0.clone(), vec![row(1, JoinEvent::Took(0), 2, 111)]].concat();
        assert_eq!(kinds(INTERVAL, &far, &restores, 1), Vec::<String>::new());
        // Restored from no checkpoint: attempt 1 starts empty.
        let fresh = [(TaskId(0), Attempt(0), None), (TaskId(0), Attempt(1), None)];
        assert_eq!(kinds(INTERVAL, &lost, &fresh, 1), Vec::<String>::new());
        // A restore from a cut no attempt took: attempt 1 is not judged.
        let unknown = [(TaskId(0), Attempt(0), None), (TaskId(0), Attempt(1), Some(CheckpointId(7)))];
        assert_eq!(kinds(INTERVAL, &lost, &unknown, 1), Vec::<String>::new());
    }

    /// Across a rescale 2 -> 3: old subtasks 0 and 1 each buffered a right element (keys `a` at
    /// #1 and `b` at #2) before their cut of savepoint 1; the new job's subtask that owns `a`'s
    /// key group (128 key groups, parallelism 3) restores `a`'s element and no other, so its left
    /// `a` at #3 must pair with #1; a subtask that does not own `a` restores nothing of it. Without
    /// both old cuts the restore is unknown and not judged.
    #[test]
    fn a_rescaled_subtask_restores_the_keys_of_its_key_groups() {
        let keyed = |task: u32, attempt: u32, event, seq, key: &str| JoinRow {
            task: TaskId(task),
            value: Value::Pair(key.into(), 1),
            ..row(attempt, event, seq, 100)
        };
        let owner = ckptsim::key_group::assign_key_to_parallel_operator(&Value::str("a"), 128, 3);
        let rescaled = |subtask: u32| Rescaled {
            checkpoint: CheckpointId(1),
            owns: Box::new(|a: Attempt| a.0 >= 10),
            old_parallelism: 2,
            new_parallelism: 3,
            max_parallelism: 128,
            subtask: BTreeMap::from([(TaskId(7), subtask)]),
        };
        let restores = [
            (TaskId(0), Attempt(0), None),
            (TaskId(1), Attempt(0), None),
            (TaskId(7), Attempt(10), Some(CheckpointId(1))),
        ];
        let cuts = [(TaskId(0), Attempt(0), CheckpointId(1), 1), (TaskId(1), Attempt(0), CheckpointId(1), 1)];
        let rows = |paired: bool| {
            let mut v = vec![
                keyed(0, 0, JoinEvent::Took(1), 1, "a"),
                keyed(1, 0, JoinEvent::Took(1), 2, "b"),
                keyed(7, 10, JoinEvent::Took(0), 3, "a"),
            ];
            if paired {
                v.push(JoinRow { task: TaskId(7), ..emitted(10, 3, 1) });
            }
            v
        };
        let found = |rows: &[JoinRow], subtask: u32, cuts: &[(TaskId, Attempt, CheckpointId, u64)]| {
            let record: Vec<&JoinRow> = rows.iter().collect();
            let r = replay(INTERVAL, "J", &record, &restores, cuts, (&[rescaled(subtask)], Vec::new()));
            (r.findings.into_iter().filter_map(|f| f.kind).collect::<Vec<_>>(), r.unknown)
        };
        assert_eq!(found(&rows(true), owner, &cuts), (vec![], 0));
        assert_eq!(found(&rows(false), owner, &cuts), (vec!["late-join-unpaired".to_string()], 0));
        let other = (owner + 1) % 3;
        assert_eq!(found(&rows(false), other, &cuts), (vec![], 0), "`a` is not in its key groups");
        assert_eq!(found(&rows(true), other, &cuts), (vec!["late-join-unfounded".to_string()], 0));
        assert_eq!(found(&rows(false), owner, &cuts[..1]), (vec![], 1), "old subtask 1's cut unknown");
    }

    /// A window join's rows are due when the watermark reaches the window's end: the cross
    /// product of both sides' elements of that window and key, after the `Watermark` row; an
    /// element of the next window waits.
    #[test]
    fn a_window_join_pairs_its_window_on_the_watermark() {
        let w = JoinSpec::Window { size_ms: 10 };
        let restores = [(TaskId(0), Attempt(0), None)];
        let base = vec![
            row(0, JoinEvent::Took(0), 1, 1),
            row(0, JoinEvent::Took(1), 2, 5),
            row(0, JoinEvent::Took(1), 3, 12),
            row(0, JoinEvent::Watermark, 0, 9),
        ];
        assert_eq!(kinds(w, &[base.clone(), vec![emitted(0, 1, 2)]].concat(), &restores, 9), Vec::<String>::new());
        assert_eq!(kinds(w, &base, &restores, 9), vec!["late-join-unpaired"]);
        assert_eq!(
            kinds(w, &[base.clone(), vec![emitted(0, 1, 2), emitted(0, 1, 3)]].concat(), &restores, 9),
            vec!["late-join-unfounded"],
            "#3 is in the next window"
        );
    }
}
