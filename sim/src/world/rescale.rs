//! Rescaling on restore in the world: stop-with-savepoint, and a new job with other parallelisms from a savepoint or retained checkpoint, its state assigned by the core's `rescale::assign` (semantics §12).
//!
//! A `rescale` action works like `restore-retained` (`jobmanager.rs::resume_retained`): once
//! the job has ended, a new job (a new JobManager epoch) starts from stored state. In addition
//! the new job is a new *program*: the operators named in the action get a new parallelism
//! (and possibly a new configured max parallelism), so the world rebuilds its [`JobSpec`] and
//! [`Graph`], describes the old and new jobs as [`JobLayout`]s, lets
//! [`ckptsim::rescale::assign`] cut the checkpoint into per-new-task snapshots (keyed state by
//! key-group ranges, source offsets and 2PC entries as list state), and deploys the new tasks
//! from that checkpoint. A refused assignment (max parallelism) fails the new job as Flink's
//! scheduler does (`StateAssignmentOperation.checkParallelismPreconditions`).

use super::key_routing::configured_vertex;
use super::*;
use crate::graph::EdgeKind;
use crate::scenario::{RescaleFrom, RescaleSpec};
use ckptsim::key_group::VertexParallelism;
use ckptsim::record::Value;
use ckptsim::rescale::{
    rescale_in_flight, ChannelMapper, GateSource, InFlightRouting, InputChannel, JobLayout, OperatorLayout, Rescaled,
    TaskInputs,
};
use ckptsim::state::OperatorState;
use ckptsim::task::TaskSpec;

/// What the world keeps about rescaling between steps.
#[derive(Default)]
pub(super) struct RescaleState {
    /// A stop-with-savepoint waits for the completion of a savepoint triggered at or after
    /// this time; then the tasks finish on their own (`ckptsim::task`'s `task_stop.rs`).
    pub(super) stop_pending_since_ms: Option<u64>,
    /// The stop's savepoint completed and the job has not ended yet.
    pub(super) stop_completed: bool,
    /// Set when that savepoint failed: the JobManager resumes periodic checkpoints.
    pub(super) stop_failed: bool,
    /// Per operator name, the parallelism and effective max parallelism of the running job,
    /// once a rescale happened (before: derived from the spec).
    pub(super) vertices: BTreeMap<String, VertexParallelism>,
    /// When the running job (the one a rescale restores from) was started by a rescale or a
    /// `restore-retained`; 0 for the first job.
    pub(super) job_started_ms: u64,
}

/// Which keyed state a [`KeyMove`] is about.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
pub enum KeyedKind {
    /// A keyed aggregate (`OperatorState::Keyed`): `value` is its last result.
    Aggregate,
    /// A keyed two-input join's buffers and cleanup timers (`OperatorState::Join`): `value` is
    /// the number of buffered elements and timers the key had.
    Join,
    /// A keyed window's contents and timers (`OperatorState::EventWindow`, event or processing
    /// time, Flink's `WindowOperator`): `value` is the number of open windows and timers the
    /// key had.
    Window,
}

/// One key of a keyed operator across a rescale.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct KeyMove {
    /// The subtask that held the key in the restored checkpoint.
    pub old_subtask: u32,
    /// The subtask that owns the key's key group in the new job.
    pub new_subtask: u32,
    /// The key's value in the restored checkpoint (the keyed aggregate's last result; for a
    /// join, its number of buffered elements and timers).
    pub value: Value,
    /// What kind of keyed state.
    pub kind: KeyedKind,
    /// The new subtask the hand-off actually restored the key's state into (None: into none).
    /// Equal to `new_subtask` unless the hand-off is broken; the `state` checker compares them.
    pub restored_subtask: Option<u32>,
}

/// A `rescale` action as it happened.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct RescaleRecord {
    /// When the action ran, ms.
    pub at_ms: u64,
    /// `savepoint` or `retained-checkpoint`.
    pub from: &'static str,
    /// The savepoint or retained checkpoint the new job restored.
    pub checkpoint: CheckpointId,
    /// The new job's JobManager epoch (its attempts are `epoch * EPOCH_STRIDE + n`).
    pub epoch: u64,
    /// Per operator name: (old parallelism, new parallelism, effective max parallelism).
    pub operators: BTreeMap<String, (u32, u32, u32)>,
    /// Why the restore was refused (the new job FAILED), if it was.
    pub error: Option<String>,
    /// Per keyed operator name, every key of the restored checkpoint and where it goes.
    pub keys: BTreeMap<String, BTreeMap<Value, KeyMove>>,
    /// Per new source subtask, the restored partitions it reads (from their restored offsets).
    pub source_partitions: BTreeMap<u32, Vec<u32>>,
    /// Per user operator name with operator list state: its redistribution mode and what each
    /// old subtask stored in the restored checkpoint (before `assign` cut it), in subtask order.
    pub lists: BTreeMap<String, (ListMode, Vec<Vec<Value>>)>,
}

impl RescaleRecord {
    /// Whether world attempt `a` belongs to the job this rescale started.
    pub fn owns_attempt(&self, a: Attempt) -> bool {
        u64::from(a.0 / super::EPOCH_STRIDE) == self.epoch
    }
}

/// The job's operators and task snapshot slots as the core's [`JobLayout`]: each operator's
/// uid is its name; a source's state is its task's slot 0, a sink's the last slot, a chained
/// operator's `1 + its index in the chain` (`Task::take_snapshot`'s order).
fn layout(spec: &JobSpec, graph: &Graph, vertices: &BTreeMap<String, VertexParallelism>) -> Result<JobLayout, String> {
    let specs: Vec<TaskSpec> = (0..graph.tasks.len())
        .map(|t| graph.task_spec(spec, TaskId(t as u32), Attempt(0), vertices, spec.default_seed))
        .collect();
    let tasks = specs.iter().map(|t| (t.task, t.chain.len() + 2)).collect();
    let mut operators = Vec::new();
    for (i, o) in spec.operators.iter().enumerate() {
        if o.kind.is_partitioning() {
            continue;
        }
        let vi = graph.vertices.iter().position(|v| v.ops.contains(&i)).ok_or("operator without a vertex")?;
        if matches!(o.kind, crate::spec::OpKind::PrintSink) && !graph.is_line(spec, vi) {
            // A print sink in a chain that is a tree has no state and no slot of its own (the
            // last slot is the 2PC sink's when the tree holds one).
            continue;
        }
        let mut slots = Vec::new();
        for (s, t) in graph.vertex_tasks(vi).into_iter().enumerate() {
            let ts = &specs[t.0 as usize];
            // A source's state, and a multi-input head's (union, connect, join), is slot 0.
            let index = if o.kind.is_source() || o.kind.is_multi_input() {
                0
            } else if o.kind.is_sink() {
                ts.chain.len() + 1
            } else {
                let instance = format!("{}[{s}]", o.name);
                1 + ts.chain.iter().position(|c| c.instance == instance).ok_or("operator missing from its chain")?
            };
            slots.push((t, index));
        }
        let vertex = match vertices.get(&o.name) {
            Some(v) => *v,
            None => configured_vertex(o)?,
        };
        // A Kafka source's topic, for 1.11's union restore (`rescale::kafka_split_owner`).
        let source_topic = matches!(o.kind, crate::spec::OpKind::LogSource { .. })
            .then(|| (spec.topic_name(i), o.topic.map_or(0, |(first, _)| first)));
        operators.push(OperatorLayout { uid: o.name.clone(), vertex, slots, source_topic });
    }
    Ok(JobLayout { operators, tasks, allow_non_restored_state: false, inputs: task_inputs(spec, graph) })
}

/// Every task's input channels as the core's [`TaskInputs`] (for redistributing unaligned
/// in-flight channel state): the vertex by its head operator's name, channels in the order of
/// `Graph::inputs_of`, each with its edge's state mapper (key_by: key groups of the vertex's
/// head operator; rebalance: round robin; forward and broadcast: unsupported).
fn task_inputs(spec: &JobSpec, graph: &Graph) -> BTreeMap<TaskId, TaskInputs> {
    let head = |vi: usize| spec.operators[graph.vertices[vi].ops[0]].name.clone();
    let mut out = BTreeMap::new();
    for (t, &(vi, s)) in graph.task_vertex.iter().enumerate() {
        let mut channels = Vec::new();
        let mut gates = Vec::new();
        for (gate, &(up, kind)) in graph.in_edges[vi].iter().enumerate() {
            gates.push(GateSource { upstream: head(up), all_to_all: kind != EdgeKind::Forward });
            let mapper = match kind {
                EdgeKind::Hash => ChannelMapper::KeyGroups { uid: head(vi) },
                EdgeKind::Rebalance => ChannelMapper::RoundRobin,
                EdgeKind::Forward | EdgeKind::Broadcast => ChannelMapper::Unsupported,
            };
            let gate = gate as u32;
            if kind == EdgeKind::Forward {
                channels.push(InputChannel { gate, upstream_subtask: s, mapper });
            } else {
                for u in 0..graph.vertices[up].parallelism {
                    channels.push(InputChannel { gate, upstream_subtask: u, mapper: mapper.clone() });
                }
            }
        }
        if !channels.is_empty() {
            out.insert(TaskId(t as u32), TaskInputs { vertex: head(vi), subtask: s, channels, gates });
        }
    }
    out
}

/// A stop-with-savepoint was asked: the JobManager stops periodic checkpoints and triggers a
/// synchronous savepoint; when it completes, its notification finishes the tasks and the job
/// ends FINISHED.
pub(super) fn request_stop(w: &mut World, now: u64, drain: bool) {
    w.rescale.stop_pending_since_ms = Some(now);
    let how = if drain { " (drain)" } else { "" };
    w.tr("jm", "stop", format!("stop-with-savepoint{how}: synchronous savepoint requested"));
    w.obs.stops.push(StopRecord { at_ms: now, drain, savepoint: None });
}

/// A checkpoint or savepoint completed (JobManager outputs): the savepoint a stop waits for.
pub(super) fn on_completed(w: &mut World, cp: &CompletedCheckpoint) {
    if cp.is_savepoint() && w.rescale.stop_pending_since_ms.is_some_and(|t| cp.trigger_ms >= t) {
        w.rescale.stop_pending_since_ms = None;
        w.rescale.stop_completed = true;
        if let Some(r) = w.obs.stops.last_mut() {
            r.savepoint = Some(cp.id);
        }
        w.tr("jm", "stop", format!("synchronous savepoint {} completed: the tasks finish", cp.id));
    }
}

/// The job status changed: a job that fails over after its stop's savepoint completed (a task
/// failed before it finished) has not stopped; as Flink's scheduler does when the stop's future
/// fails (`StopWithSavepointStoppingException`), periodic checkpoints resume.
pub(super) fn on_status_changed(w: &mut World, to: JobStatus) {
    if !w.rescale.stop_completed {
        return;
    }
    if to.is_terminal() {
        w.rescale.stop_completed = false;
    } else if matches!(to, JobStatus::Restarting | JobStatus::Failing) {
        w.rescale.stop_completed = false;
        w.rescale.stop_failed = true;
        let what = if to == JobStatus::Failing && w.spec.profile.failure_after_stop_savepoint_fails_job() {
            "the job fails (StopWithSavepointStoppingException, not recoverable)"
        } else {
            "the job fails over"
        };
        w.tr("jm", "stop", format!("stop-with-savepoint failed after its savepoint: {what}"));
    }
}

/// A `stop-with-savepoint` action as it happened.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct StopRecord {
    /// When the action ran, ms.
    pub at_ms: u64,
    /// `flink stop --drain`.
    pub drain: bool,
    /// The synchronous savepoint that completed (None: the stop failed).
    pub savepoint: Option<CheckpointId>,
}

/// A savepoint triggered at `trigger_ms` (None: a refused request) failed: when it is the
/// stop's, the stop fails and the job keeps running (as `flink stop` does when its savepoint
/// fails).
pub(super) fn on_savepoint_failed(w: &mut World, trigger_ms: Option<u64>) {
    let Some(since) = w.rescale.stop_pending_since_ms else { return };
    if trigger_ms.is_none_or(|t| t >= since) {
        w.rescale.stop_pending_since_ms = None;
        w.rescale.stop_failed = true;
        w.tr(
            "jm",
            "stop",
            "stop-with-savepoint failed: the savepoint did not complete; periodic checkpoints resume".into(),
        );
    }
}

/// The checkpoint a rescale restores from, or why there is none: the ended job's newest
/// savepoint (one an earlier job took would replay what the ended job already committed), or
/// the newest checkpoint its retention kept.
fn source_checkpoint(w: &World, from: RescaleFrom) -> Result<Arc<CompletedCheckpoint>, &'static str> {
    match from {
        RescaleFrom::Savepoint => own_savepoint(w).ok_or("the ended job took no savepoint"),
        RescaleFrom::RetainedCheckpoint => newest_retained(w).ok_or("no checkpoint was retained"),
    }
}

/// The ended job's newest retained checkpoint (the planted `resume-takes-oldest-retained`: its
/// oldest).
fn newest_retained(w: &World) -> Option<Arc<CompletedCheckpoint>> {
    if w.spec.variant == ckptsim::Variant::ResumeTakesOldestRetained {
        return w.services.retained.first().cloned();
    }
    w.services.retained.last().cloned()
}

/// The ended job's newest savepoint.
fn own_savepoint(w: &World) -> Option<Arc<CompletedCheckpoint>> {
    w.services
        .storage_completed
        .iter()
        .rev()
        .find(|c| c.is_savepoint() && !c.external && c.trigger_ms >= w.rescale.job_started_ms)
        .cloned()
}

/// What `restore-retained` starts a new job from: the newest of the checkpoints the ended job's
/// retention kept and the savepoints it took (a savepoint belongs to the user: Flink never
/// discards it, whatever the retention policy, and `-s` accepts either).
pub(super) fn restorable(w: &World) -> Option<Arc<CompletedCheckpoint>> {
    let retained = newest_retained(w);
    match (retained, own_savepoint(w)) {
        (Some(r), Some(s)) => Some(if s.id > r.id { s } else { r }),
        (r, s) => r.or(s),
    }
}

/// Per key of a join's state, its buffered elements and timers.
fn join_counts(st: &ckptsim::join::JoinState) -> BTreeMap<Value, usize> {
    let mut n = BTreeMap::new();
    for k in st.entries.iter().map(|e| &e.key).chain(st.timers.iter().map(|t| &t.key)) {
        *n.entry(k.clone()).or_default() += 1;
    }
    n
}

/// Per key of a keyed window's state, its open windows and timers.
fn window_counts(st: &ckptsim::window::EventWindowState) -> BTreeMap<Value, usize> {
    let mut n = BTreeMap::new();
    let merging = st.merging.iter().map(|((k, _), _)| k);
    for k in st.windows.iter().map(|((k, _), _)| k).chain(st.timers.iter().map(|t| &t.key)).chain(merging) {
        *n.entry(k.clone()).or_default() += 1;
    }
    n
}

/// Fills each key move's `restored_subtask` from the checkpoint the hand-off deploys.
fn note_restored(keys: &mut BTreeMap<String, BTreeMap<Value, KeyMove>>, new: &JobLayout, r: &Rescaled) {
    for op in &new.operators {
        let Some(moves) = keys.get_mut(&op.uid) else { continue };
        for (i, &(task, index)) in op.slots.iter().enumerate() {
            let held: Vec<Value> =
                match r.checkpoint.tasks.get(&task).and_then(|s| s.operators.get(index)).map(keyed_part) {
                    Some(OperatorState::Keyed(m)) => m.keys().cloned().collect(),
                    Some(OperatorState::Join(st)) => join_counts(st).into_keys().collect(),
                    Some(OperatorState::EventWindow(st)) => window_counts(st).into_keys().collect(),
                    _ => continue,
                };
            for k in held {
                if let Some(m) = moves.get_mut(&k) {
                    m.restored_subtask = Some(i as u32);
                }
            }
        }
    }
}

/// Per keyed operator of `old`, every key of `cp` with its old subtask, its new subtask under
/// `r`'s vertices, and its value.
fn key_moves(
    cp: &CompletedCheckpoint,
    old: &JobLayout,
    new: &JobLayout,
    r: &Rescaled,
) -> BTreeMap<String, BTreeMap<Value, KeyMove>> {
    let mut out = BTreeMap::new();
    for op in &old.operators {
        let Some(vertex) = r.vertices.get(&op.uid) else { continue };
        if !new.operators.iter().any(|o| o.uid == op.uid) {
            continue;
        }
        let mut keys = BTreeMap::new();
        for (j, &(task, index)) in op.slots.iter().enumerate() {
            let held: Vec<(Value, Value, KeyedKind)> =
                match cp.tasks.get(&task).and_then(|s| s.operators.get(index)).map(keyed_part) {
                    Some(OperatorState::Keyed(m)) => {
                        m.iter().map(|(k, v)| (k.clone(), v.clone(), KeyedKind::Aggregate)).collect()
                    }
                    Some(OperatorState::Join(st)) => {
                        join_counts(st).into_iter().map(|(k, n)| (k, Value::Int(n as i64), KeyedKind::Join)).collect()
                    }
                    Some(OperatorState::EventWindow(st)) => window_counts(st)
                        .into_iter()
                        .map(|(k, n)| (k, Value::Int(n as i64), KeyedKind::Window))
                        .collect(),
                    _ => continue,
                };
            for (k, value, kind) in held {
                let kg = ckptsim::key_group::assign_to_key_group(&k, vertex.max_parallelism);
                let new_subtask = ckptsim::key_group::compute_operator_index_for_key_group(
                    vertex.max_parallelism,
                    vertex.parallelism,
                    kg,
                );
                let m = KeyMove { old_subtask: j as u32, new_subtask, value, kind, restored_subtask: None };
                keys.insert(k, m);
            }
        }
        if !keys.is_empty() {
            out.insert(op.uid.clone(), keys);
        }
    }
    out
}

/// A composite state's keyed part (a broadcast process's keyed side, session 39), else the state.
fn keyed_part(st: &OperatorState) -> &OperatorState {
    match st {
        OperatorState::Composite(parts) => {
            parts.iter().find(|p| matches!(p, OperatorState::Keyed(_))).unwrap_or(&OperatorState::None)
        }
        other => other,
    }
}

/// Per operator of `old` with user list state, its mode and every old subtask's entries in `cp`.
/// A composite state's list parts (a broadcast process's broadcast states, session 39) are
/// named `uid` (part 0) and `uid#c` (part c), as the world's restore records name them.
fn list_moves(cp: &CompletedCheckpoint, old: &JobLayout) -> BTreeMap<String, (ListMode, Vec<Vec<Value>>)> {
    let mut out = BTreeMap::new();
    for op in &old.operators {
        let state = |&(task, index): &(TaskId, usize)| cp.tasks.get(&task).and_then(|s| s.operators.get(index));
        let parts = op
            .slots
            .iter()
            .filter_map(|slot| match state(slot) {
                Some(OperatorState::Composite(parts)) => Some(parts.len()),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        for c in 0..parts {
            let mut mode = None;
            let lists: Vec<Vec<Value>> = op
                .slots
                .iter()
                .map(|slot| match state(slot) {
                    Some(OperatorState::Composite(p)) => match p.get(c) {
                        Some(OperatorState::SharedList { mode: m, entries }) => {
                            mode = Some(*m);
                            entries.clone()
                        }
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                })
                .collect();
            if let Some(m) = mode {
                let name = if c == 0 { op.uid.clone() } else { format!("{}#{c}", op.uid) };
                out.insert(name, (m, lists));
            }
        }
        let mut mode = None;
        let lists: Vec<Vec<Value>> = op
            .slots
            .iter()
            .map(|&(task, index)| match cp.tasks.get(&task).and_then(|s| s.operators.get(index)) {
                Some(OperatorState::UserList(v)) => {
                    mode = Some(ListMode::SplitDistribute);
                    v.clone()
                }
                Some(OperatorState::SharedList { mode: m, entries }) => {
                    mode = Some(*m);
                    entries.clone()
                }
                _ => Vec::new(),
            })
            .collect();
        if let Some(m) = mode {
            out.insert(op.uid.clone(), (m, lists));
        }
    }
    out
}

/// The planted bug `rescale-keyed-by-subtask`: new subtask `i` restores old subtask `i`'s
/// keyed state (nothing when the old job had fewer subtasks), whatever its key groups; an
/// event-time join's buffers and timers and a keyed window's contents and timers alike.
fn plant_keyed_by_subtask(cp: &CompletedCheckpoint, old: &JobLayout, new: &JobLayout, r: &mut Rescaled) {
    for op in &new.operators {
        let Some(o) = old.operators.iter().find(|o| o.uid == op.uid) else { continue };
        for (i, &(task, index)) in op.slots.iter().enumerate() {
            let st = &mut r.checkpoint.tasks.get_mut(&task).expect("new layout task").operators[index];
            let empty = match st {
                OperatorState::Keyed(_) => OperatorState::Keyed(BTreeMap::new()),
                OperatorState::Join(_) => OperatorState::Join(Default::default()),
                OperatorState::EventWindow(_) => OperatorState::EventWindow(Default::default()),
                _ => continue,
            };
            *st = match o.slots.get(i).and_then(|&(t, j)| cp.tasks.get(&t).and_then(|s| s.operators.get(j))) {
                Some(old @ (OperatorState::Keyed(_) | OperatorState::Join(_) | OperatorState::EventWindow(_))) => {
                    old.clone()
                }
                _ => empty,
            };
        }
    }
}

/// The planted `source-splits-by-subtask` (2.x): new source subtask `i` restores old subtask
/// `i`'s splits (none beyond the old parallelism); the splits of old subtasks beyond the new
/// parallelism are in no restored state, and the enumerator, whose own state lists them as
/// assigned, hands them out to no one (`task_build.rs`): their partitions stay unread.
fn plant_source_splits_by_subtask(
    spec: &JobSpec,
    cp: &CompletedCheckpoint,
    old: &JobLayout,
    new: &JobLayout,
    r: &mut Rescaled,
) {
    if spec.variant != ckptsim::Variant::SourceSplitsBySubtask || !ckptsim::rescale::source_state_is_split(spec.profile)
    {
        return;
    }
    for op in &new.operators {
        let Some(o) = old.operators.iter().find(|o| o.uid == op.uid && o.slots.len() != op.slots.len()) else {
            continue;
        };
        for (i, &(task, index)) in op.slots.iter().enumerate() {
            let st = &mut r.checkpoint.tasks.get_mut(&task).expect("new layout task").operators[index];
            if !matches!(st, OperatorState::SourceOffsets(_)) {
                continue;
            }
            *st = match o.slots.get(i).and_then(|&(t, j)| cp.tasks.get(&t).and_then(|s| s.operators.get(j))) {
                Some(before @ OperatorState::SourceOffsets(_)) => before.clone(),
                _ => OperatorState::SourceOffsets(Default::default()),
            };
        }
    }
}

/// The planted `key-group-range-end-inclusive`: the hand-off ends new subtask `i - 1`'s range
/// at `i * max / p` instead of `(i * max - 1) / p`, so where `p` divides `i * max` the key group
/// `i * max / p` (the first of subtask `i`, where its records route) is restored into subtask
/// `i - 1` (the first range that holds it), with every keyed entry and timer of its keys.
fn plant_key_group_end_inclusive(new: &JobLayout, r: &mut Rescaled) {
    for op in &new.operators {
        let p = op.slots.len() as u64;
        let max = u64::from(r.vertices.get(&op.uid).map_or(op.vertex.max_parallelism, |v| v.max_parallelism));
        for i in (1..p).filter(|i| (i * max) % p == 0) {
            let kg = ckptsim::key_group::KeyGroup((i * max / p) as u32);
            let in_kg =
                |k: &Value| ckptsim::key_group::assign_to_key_group(&ckptsim::operator::key_of(k), max as u32) == kg;
            let (hi, lo) = (op.slots[i as usize], op.slots[i as usize - 1]);
            let tasks = &mut r.checkpoint.tasks;
            let Some(moved) =
                tasks.get_mut(&hi.0).and_then(|t| t.operators.get_mut(hi.1)).map(|st| take_keys(st, &in_kg))
            else {
                continue;
            };
            if let Some(dst) = tasks.get_mut(&lo.0).and_then(|t| t.operators.get_mut(lo.1)) {
                merge_keys(dst, moved);
            }
        }
    }
}

/// Removes from keyed state `st` the entries and timers of the keys `take` selects; returns
/// them as a state of the same kind (other kinds: nothing).
fn take_keys(st: &mut OperatorState, take: &dyn Fn(&Value) -> bool) -> OperatorState {
    match st {
        OperatorState::Keyed(m) => {
            let (out, keep): (BTreeMap<_, _>, BTreeMap<_, _>) =
                std::mem::take(m).into_iter().partition(|(k, _)| take(k));
            *m = keep;
            OperatorState::Keyed(out)
        }
        OperatorState::Window(m) => {
            let (out, keep): (BTreeMap<_, _>, BTreeMap<_, _>) =
                std::mem::take(m).into_iter().partition(|(k, _)| take(k));
            *m = keep;
            OperatorState::Window(out)
        }
        OperatorState::EventWindow(w) => {
            let mut out = ckptsim::window::EventWindowState::default();
            (out.windows, w.windows) = std::mem::take(&mut w.windows).into_iter().partition(|e| take(&e.0 .0));
            (out.timers, w.timers) = std::mem::take(&mut w.timers).into_iter().partition(|t| take(&t.key));
            (out.merging, w.merging) = std::mem::take(&mut w.merging).into_iter().partition(|e| take(&e.0 .0));
            OperatorState::EventWindow(out)
        }
        OperatorState::Join(j) => {
            let mut out = ckptsim::join::JoinState::default();
            (out.entries, j.entries) = std::mem::take(&mut j.entries).into_iter().partition(|e| take(&e.key));
            (out.timers, j.timers) = std::mem::take(&mut j.timers).into_iter().partition(|t| take(&t.key));
            OperatorState::Join(out)
        }
        _ => OperatorState::None,
    }
}

/// Adds the entries [`take_keys`] took to `dst` (same kind), keeping the kinds' orders.
fn merge_keys(dst: &mut OperatorState, moved: OperatorState) {
    match (dst, moved) {
        (OperatorState::Keyed(m), OperatorState::Keyed(x)) => m.extend(x),
        (OperatorState::Window(m), OperatorState::Window(x)) => m.extend(x),
        (OperatorState::EventWindow(w), OperatorState::EventWindow(x)) => {
            w.windows.extend(x.windows);
            w.windows.sort_by(|a, b| a.0.cmp(&b.0));
            w.timers.extend(x.timers);
            w.timers.sort();
        }
        (OperatorState::Join(j), OperatorState::Join(x)) => {
            j.entries.extend(x.entries);
            j.timers.extend(x.timers);
            j.timers.sort();
        }
        _ => {}
    }
}

/// The planted `split-state-by-subtask` (user list state and a 2PC sink's transactions) and
/// `union-rescale-drops-beyond` (union list state): new subtask `i` of an operator whose
/// parallelism changed restores old subtask `i`'s entries only, nothing of the old subtasks
/// beyond the new parallelism (Flink deals them all out, `RoundRobinOperatorStateRepartitioner`).
fn plant_lists_by_subtask(
    cp: &CompletedCheckpoint,
    old: &JobLayout,
    new: &JobLayout,
    r: &mut Rescaled,
    variant: ckptsim::Variant,
) {
    use ckptsim::state::ListMode;
    let split = variant == ckptsim::Variant::SplitStateBySubtask;
    for op in &new.operators {
        let Some(o) = old.operators.iter().find(|o| o.uid == op.uid && o.slots.len() != op.slots.len()) else {
            continue;
        };
        for (i, &(task, index)) in op.slots.iter().enumerate() {
            let before = o.slots.get(i).and_then(|&(t, j)| cp.tasks.get(&t).and_then(|s| s.operators.get(j)));
            let st = &mut r.checkpoint.tasks.get_mut(&task).expect("new layout task").operators[index];
            *st = match (&*st, before) {
                (OperatorState::UserList(_), Some(OperatorState::UserList(v))) if split => {
                    OperatorState::UserList(v.clone())
                }
                (OperatorState::UserList(_), _) if split => OperatorState::UserList(Vec::new()),
                (OperatorState::TwoPhaseCommit { .. } | OperatorState::List(_), Some(b)) if split => b.clone(),
                (OperatorState::TwoPhaseCommit { .. } | OperatorState::List(_), None) if split => {
                    OperatorState::List(Vec::new())
                }
                (OperatorState::SharedList { mode: ListMode::Union, .. }, b) if !split => OperatorState::SharedList {
                    mode: ListMode::Union,
                    entries: match b {
                        Some(OperatorState::SharedList { entries, .. }) => entries.clone(),
                        _ => Vec::new(),
                    },
                },
                _ => continue,
            };
        }
    }
}

/// The planted `second-broadcast-state-dropped-on-rescale` (session 39): every new subtask of
/// an operator whose parallelism changed gets an empty copy of each broadcast state after the
/// first in a composite state (a broadcast process's `limits`); Flink hands every new subtask a
/// copy of every broadcast state by name.
fn plant_second_broadcast_dropped(old: &JobLayout, new: &JobLayout, r: &mut Rescaled) {
    for op in &new.operators {
        if !old.operators.iter().any(|o| o.uid == op.uid && o.slots.len() != op.slots.len()) {
            continue;
        }
        for &(task, index) in &op.slots {
            let st = &mut r.checkpoint.tasks.get_mut(&task).expect("new layout task").operators[index];
            let OperatorState::Composite(parts) = st else { continue };
            for part in parts.iter_mut().skip(1) {
                if let OperatorState::SharedList { entries, .. } = part {
                    entries.clear();
                }
            }
        }
    }
}

/// The planted bugs of the state hand-off, in this order (`spec.variant`; the correct
/// protocol plants nothing): keyed state by subtask, key-group range end inclusive, lists by
/// subtask, source splits by subtask, the second broadcast state dropped.
fn plant_state_variants(spec: &JobSpec, cp: &CompletedCheckpoint, layouts: (&JobLayout, &JobLayout), r: &mut Rescaled) {
    let (old, new) = layouts;
    if spec.variant == ckptsim::Variant::RescaleKeyedBySubtask {
        plant_keyed_by_subtask(cp, old, new, r);
    }
    if spec.variant == ckptsim::Variant::KeyGroupRangeEndInclusive {
        plant_key_group_end_inclusive(new, r);
    }
    if matches!(spec.variant, ckptsim::Variant::SplitStateBySubtask | ckptsim::Variant::UnionRescaleDropsBeyond) {
        plant_lists_by_subtask(cp, old, new, r, spec.variant);
    }
    plant_source_splits_by_subtask(spec, cp, old, new, r);
    if spec.variant == ckptsim::Variant::SecondBroadcastStateDroppedOnRescale {
        plant_second_broadcast_dropped(old, new, r);
    }
}

/// A rescale's hand-off of a checkpoint to the new job, as both hosts do it (the world's
/// `rescale` action and the explorer's `rescale` step, `tools/explore`): the new program
/// (`r`'s parallelisms on `spec`) and its graph, the [`RescaleRecord`] the checkers read, and
/// the checkpoint cut by the core's [`ckptsim::rescale::assign`] for the new layout (None, with
/// `record.error`, when the assignment is refused), with the planted
/// `rescale-keyed-by-subtask` applied when the job runs that variant.
pub(crate) struct HandOff {
    /// The new program.
    pub(crate) spec: JobSpec,
    /// Its job graph (tasks numbered afresh).
    pub(crate) graph: Graph,
    /// What the rescale did, for the checkers.
    pub(crate) record: RescaleRecord,
    /// The cut checkpoint and the vertices' effective parallelisms (None: refused).
    pub(crate) rescaled: Option<Rescaled>,
}

/// The new program of a rescale: `spec` with `r`'s parallelisms and max parallelisms.
pub(crate) fn rescaled_spec(spec: &JobSpec, r: &RescaleSpec) -> JobSpec {
    let mut new_spec = spec.clone();
    for o in &mut new_spec.operators {
        if let Some(&p) = r.parallelism.get(&o.name) {
            o.parallelism = p;
        }
        if let Some(&m) = r.max_parallelism.get(&o.name) {
            o.max_parallelism = m;
        }
    }
    new_spec
}

/// Cuts `cp` of the job (`spec`, `graph`, the effective `vertices` of an earlier rescale) for
/// the new program of `r`; `epoch` is the new job's JobManager epoch (`RescaleRecord::epoch`).
pub(crate) fn hand_off(
    spec: &JobSpec,
    graph: &Graph,
    vertices: &BTreeMap<String, VertexParallelism>,
    r: &RescaleSpec,
    cp: &CompletedCheckpoint,
    now: u64,
    epoch: u64,
) -> HandOff {
    let new_spec = rescaled_spec(spec, r);
    let new_graph = Graph::build(&new_spec);
    let old = layout(spec, graph, vertices);
    let new = layout(&new_spec, &new_graph, &BTreeMap::new());
    let assigned = match (old, new) {
        (Ok(old), Ok(new)) => {
            ckptsim::rescale::assign(cp, &old, &new, spec.profile).map(|a| (old, new, a)).map_err(|e| e.to_string())
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let mut record = RescaleRecord {
        at_ms: now,
        from: r.from.name(),
        checkpoint: cp.id,
        epoch,
        operators: BTreeMap::new(),
        error: None,
        keys: BTreeMap::new(),
        source_partitions: BTreeMap::new(),
        lists: BTreeMap::new(),
    };
    for (o, n) in spec.operators.iter().zip(&new_spec.operators) {
        if !o.kind.is_partitioning() {
            let max = configured_vertex(n).map(|v| v.max_parallelism).unwrap_or(0);
            record.operators.insert(o.name.clone(), (o.parallelism, n.parallelism, max));
        }
    }
    let (old, new, mut rescaled) = match assigned {
        Ok(a) => a,
        Err(e) => {
            record.error = Some(e);
            return HandOff { spec: new_spec, graph: new_graph, record, rescaled: None };
        }
    };
    record.keys = key_moves(cp, &old, &new, &rescaled);
    record.lists = list_moves(cp, &old);
    for (task, parts) in &rescaled.source_partitions {
        let subtask = new_graph.task_vertex[task.0 as usize].1;
        record.source_partitions.insert(subtask, parts.iter().map(|p| p.0).collect());
    }
    for (name, v) in &rescaled.vertices {
        if let Some(e) = record.operators.get_mut(name) {
            e.2 = v.max_parallelism;
        }
    }
    plant_state_variants(spec, cp, (&old, &new), &mut rescaled);
    note_restored(&mut record.keys, &new, &rescaled);
    if spec.variant == ckptsim::Variant::RescaleInFlightBySubtask {
        // The planted bug: keyed edges' in-flight records replayed by old subtask index.
        if let Ok(planted) = rescale_in_flight(cp, &old, &new, &rescaled.vertices, InFlightRouting::BySubtask) {
            for snap in rescaled.checkpoint.tasks.values_mut() {
                snap.in_flight.clear();
            }
            for (task, in_flight) in planted {
                if let Some(snap) = rescaled.checkpoint.tasks.get_mut(&task) {
                    snap.in_flight = in_flight;
                }
            }
        }
    }
    HandOff { spec: new_spec, graph: new_graph, record, rescaled: Some(rescaled) }
}

/// The `rescale` action: once the job has ended, a new job with the action's parallelisms
/// starts from the newest savepoint (or retained checkpoint). Returns the started JobMaster
/// and its parameters (the base of a later restore), or None (traced) when the job still
/// runs, there is nothing to restore, or the restore is refused (then the new job FAILED).
pub(super) fn resume_rescaled(
    s: &Shared,
    seed: u64,
    r: &RescaleSpec,
    status: JobStatus,
    now: u64,
) -> Option<(JobMaster, JobParams)> {
    s.with(|w| {
        if !status.is_terminal() {
            w.tr("jm", "rescale", format!("rescale ignored: the job is still {status}"));
            return None;
        }
        let cp = match source_checkpoint(w, r.from) {
            Ok(cp) => cp,
            Err(why) => {
                w.tr("jm", "rescale", format!("rescale ignored: {why}"));
                return None;
            }
        };
        w.rescale.job_started_ms = now;
        w.jm_epoch += 1;
        let epoch = w.jm_epoch;
        w.obs.status_timeline.push((now, JobStatus::Created));
        w.record_restore(now, RestoreCause::Rescaled { from: r.from, checkpoint: cp.id }, Some(cp.id));
        let HandOff { spec: new_spec, graph: new_graph, record, rescaled } =
            hand_off(&w.spec, &w.graph, &w.rescale.vertices, r, &cp, now, epoch);
        let Some(rescaled) = rescaled else {
            // Flink fails the job while it restores state in the scheduler.
            let e = record.error.clone().unwrap_or_default();
            w.tr("jm", "rescale", format!("new job (epoch {epoch}) from {} refused: {e}", cp.id));
            w.tr("jm", "job", format!("CREATED -> FAILED ({e})"));
            w.obs.status = JobStatus::Failed;
            w.obs.status_timeline.push((now, JobStatus::Failed));
            w.obs.rescales.push(record);
            return None;
        };
        // Keyed aggregates only (the trace line predates join keys in the record).
        let moved: usize = record
            .keys
            .values()
            .flatten()
            .filter(|(_, m)| m.kind == KeyedKind::Aggregate && m.old_subtask != m.new_subtask)
            .count();
        let text: Vec<String> = record.operators.iter().map(|(n, (a, b, m))| format!("{n} {a}->{b}/{m}")).collect();
        w.tr(
            "jm",
            "rescale",
            format!(
                "new job (epoch {epoch}) from {} {}: {}; {moved} keys change subtask; source partitions {:?}",
                r.from.name(),
                cp.id,
                text.join(", "),
                record.source_partitions
            ),
        );
        w.obs.rescales.push(record);
        // The new graph numbers its tasks anew: a task id of the old job names another task
        // now, so the completions the old sinks acted on fold into one horizon and the new
        // job's sinks start from none (until they restore and re-commit, or are notified).
        let horizon = super::supervise::sink_commit_horizon(&w.spec, &w.graph, &w.tasks);
        w.tasks.earlier_jobs_horizon = horizon;
        w.tasks.completion_seen.clear();
        let checkpoint = Arc::new(CompletedCheckpoint { external: true, ..rescaled.checkpoint });
        w.services.storage_completed.push(checkpoint.clone());
        w.rescale.vertices = rescaled.vertices;
        w.spec = Arc::new(new_spec);
        w.graph = Arc::new(new_graph);
        super::chaos::reresolve_after_rescale(w);
        let params = w.spec.job_params(w.graph.tasks.clone(), stream(seed, 2 + epoch).random());
        let mut jm = JobMaster::new(params.clone());
        jm.report_queue_changes();
        jm.report_store_changes();
        super::gates::forget(w);
        jm.recover_checkpoint_id_counter(w.services.next_checkpoint_id);
        jm.start(now, Some(checkpoint));
        Some((jm, params))
    })
}

impl World {
    /// The display name of `task` in the running job's graph; a task of an earlier job that
    /// the rescaled graph no longer has (a zombie after a scale-in) is named by its id.
    pub(super) fn task_name(&self, task: TaskId) -> std::borrow::Cow<'_, str> {
        // Borrowed from the graph (a snapshot's trace line names its task: no copy per line).
        self.graph.tasks.get(task.0 as usize).map_or_else(|| format!("{task}").into(), |t| t.name.as_str().into())
    }
}
