//! The simulated world on madsim: JobManager, TaskManagers hosting tasks, broker, checkpoint storage, sink store, client, network and chaos.
//!
//! One call to [`run`](crate::world::run) builds a fresh madsim runtime from the seed, creates the nodes, runs until
//! `stop_at_ms` of virtual time, kills every node and returns a [`RunResult`](crate::world::RunResult).
//!
//! * **Control plane**: messages between JobManager and TaskManagers travel through our own
//!   network (`Net`) with per-link FIFO order and a seeded latency; partitions, loss and delay
//!   are applied there. Each receiving node keeps its messages in flight in a heap and takes
//!   the due ones when it wakes; its wait deadline includes the earliest arrival, and a send
//!   only wakes it when the new message is due before that deadline (no per-message pump
//!   task: each message costs the receiver one wake-up).
//! * **Data plane**: bounded FIFO channels between tasks, one per (attempt, upstream,
//!   downstream). Records travel in buffers of `buffer_records`; a channel holds at most
//!   `channel_capacity_buffers` record buffers (credit-based backpressure: a full channel stops
//!   the sender); events need no credit; an unaligned barrier is inserted at the head and
//!   counts the records it overtook.
//! * **Cost model**: every record costs `record_cost_us` per operator of virtual CPU time,
//!   paid in whole milliseconds (madsim's sleep granularity); a snapshot costs 1 ms synchronous
//!   plus size / storage bandwidth asynchronous; restore costs size / bandwidth.
//! * **Durable nodes**: the broker's log and committed offsets, checkpoint storage and the sink
//!   store live in the shared world state, so they survive every crash of JM/TM nodes.
//!
//! All shared state sits in one `World` behind a mutex that is only ever locked through
//! `Shared::with`, never across an `.await` (the simulation is single-threaded; a guard held
//! across a suspension point would deadlock the next task that locks).

mod acks;
mod budget;
mod chaos;
mod client;
mod cuts;
mod data_plane;
mod gates;
pub mod graph;
mod graph_dag;
mod invariants;
mod jobmanager;
pub mod key_routing;
mod late_record;
mod net;
mod observe;
mod per_attempt;
mod protocol;
mod rebalance;
mod rescale;
mod rows;
mod services;
mod supervise;
mod task_outputs;
mod taskmanager;
mod tasks;
mod tm_exec;
pub mod trace;
mod uploads;
mod user_io;
mod wake;

use crate::graph::{Graph, Link};
use crate::spec::{ActionSpec, FaultAt, FaultKind, InputSpec, JobSpec, LogRecords};
use crate::trace::{EventData, Trace};
pub(crate) use acks::{AckShape, AckWatch};
use budget::EventBudget;
pub use budget::{default_max_events, BudgetUse};
use chaos::*;
use ckptsim::coordinator::{CoordinatorOutput, RequestKind};
use ckptsim::ids::{Attempt, ChannelId, CheckpointId, Offset, PartitionId, TaskId, TmId};
use ckptsim::job::{JobMaster, JobOutput, JobParams};
use ckptsim::operator::SurvivingCounters;
use ckptsim::reason::CheckpointFailureReason;
use ckptsim::record::{Barrier, Lineage, LogRecord, Record, StopMode, StreamElement, Value};
use ckptsim::rescale::ListMode;
use ckptsim::sink::{SinkOutput, TxnStore};
use ckptsim::state::TaskSnapshot;
use ckptsim::status::{ExecutionState, JobStatus};
use ckptsim::store::CompletedCheckpoint;
use ckptsim::task::{Task, TaskOutput};
use client::*;
pub use cuts::{consistent, BarrierCut, BarrierKey, ChannelCuts, RestoredChannelState, SnapshotCut};
use data_plane::*;
use invariants::CHECK_EACH_STEP;
use jobmanager::*;
pub use late_record::{LateRecords, LateSnapshots};
use madsim::runtime::{Handle, Runtime};
use madsim::time::{sleep, sleep_until, Duration, Instant};
use net::*;
pub use observe::*;
pub use protocol::{BarrierProtocol, Handed, ProtocolFinding, StepMark};
use rand::{Rng, SeedableRng};
pub(crate) use rescale::{hand_off, rescaled_spec};
pub use rescale::{KeyMove, KeyedKind, RescaleRecord, StopRecord};
pub use rows::{RowKey, Rows, RowsIter};
use services::*;
pub(crate) use services::{build_log, build_log_until, in_flight_inputs, BrokerLog};
pub(crate) use tasks::{
    configure_sink_committer, idle_task_spins, inputs_before_latest, mark_late_fed, resolve_latest_ends,
    source_watermark_strategy,
};

use supervise::*;
pub use supervise::{prepare, prepare_cached, run, run_lean, run_lean_prepared, LogCache, Prepared};
pub(crate) use task_outputs::closing_aborts;
use task_outputs::*;
use taskmanager::*;
use tasks::*;
use tm_exec::*;
use uploads::*;
use user_io::*;
use wake::*;

use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// The world's attempt numbering: declared with the run limits ([`crate::scenario::limits::EPOCH_STRIDE`]),
/// which scenario validation checks attempt numbers against.
pub use crate::scenario::limits::EPOCH_STRIDE;

// ------------------------------------------------------------------ the world

/// The run's shared state, grouped by concern so a borrow names what it touches.
struct World {
    /// The run's seed (for draws made where the world builds a task: `rebalance.rs`).
    seed: u64,
    spec: Arc<JobSpec>,
    graph: Arc<Graph>,
    t0: Instant,
    clock: SimClock,
    trace: Trace,
    /// The extra deploy/restore/cancel/first-start latencies of this run.
    latencies: Latencies,
    /// The JobManager's incarnation: 1 for the first, bumped at each JobManager (re)start.
    jm_epoch: u64,
    net: Network,
    wake: Wakers,
    data: DataPlane,
    tasks: TaskHost,
    services: Services,
    faults: ActiveFaults,
    obs: Observation,
    /// Stop-with-savepoint and the running job's vertices after a rescale (`rescale.rs`).
    rescale: rescale::RescaleState,
    /// The run's event budget (`budget.rs`): every `Shared::with` is one event.
    budget: EventBudget,
}

/// The control-plane network (`net.rs`): messages in flight and which nodes are up.
struct Network {
    rng: ChaCha8Rng,
    /// Messages in flight per receiving node, earliest (delivery time, send sequence) first.
    in_flight: BTreeMap<Addr, std::collections::BinaryHeap<InFlight>>,
    seq: u64,
    /// Per link, the delivery time of its last message (per-link FIFO: no later message arrives earlier).
    link_last: BTreeMap<(Addr, Addr), u64>,
    alive: BTreeMap<Addr, bool>,
    /// Per TaskManager, its incarnation: messages to an older one are dropped.
    tm_incarnation: BTreeMap<u32, u64>,
    /// Per deployed execution (task, world attempt): the TaskManager incarnation that received
    /// its deployment (the JobManager addresses incarnation 0 before it heard one).
    deployed_on: BTreeMap<(TaskId, Attempt), u64>,
}

/// The data plane between tasks (`data_plane.rs`): bounded channels and the socket source.
struct DataPlane {
    channels: Channels,
    item_seq: u64,
    socket_reader: Option<(TaskId, Attempt)>,
    /// Bounded socket input: the server closed after its last line.
    socket_closed: bool,
    /// Triggering checkpoint gates' requests (the core's `GateRequests`, driven by `gates.rs`):
    /// who waits at each gate, which gate's request the coordinator holds, when a refused or
    /// failed request is asked again.
    gate_requests: ckptsim::checkpoint_gate::GateRequests,
}

/// A checkpoint gate: the source attempt and the gate's index in its input.
type GateKey = ckptsim::checkpoint_gate::GateKey;

/// What the TaskManagers hold about their task attempts (`taskmanager.rs`, `tasks.rs`, `task_outputs.rs`).
struct TaskHost {
    /// Per TaskManager, the asynchronous snapshot uploads in progress by (due time, order).
    uploads: BTreeMap<u32, BTreeMap<(u64, u64), Upload>>,
    upload_seq: u64,
    mail: per_attempt::PerAttempt<VecDeque<TaskMail>>,
    cancelled: per_attempt::PerAttempt<()>,
    /// Tasks their TaskManager fails on its own (e.g. it lost its JobManager), with the cause.
    fail_requests: BTreeMap<(TaskId, Attempt), String>,
    /// Tasks whose state update to the JobManager was dropped: when the RPC times out (the ask
    /// timeout after sending) the TaskManager fails the task, as Flink's TaskExecutor does.
    rpc_timeouts: per_attempt::PerAttempt<u64>,
    counters: BTreeMap<u32, SurvivingCounters>,
    /// Per task, the newest checkpoint whose completion it has acted on: a completion
    /// notification handled without failing, or the checkpoint it was restored from.
    completion_seen: BTreeMap<TaskId, CheckpointId>,
    /// The sink commit horizon of the jobs before a rescale's new job (whose graph numbers its
    /// tasks anew, so `completion_seen` starts over with it): what those jobs' sinks acted on
    /// stays committed.
    earlier_jobs_horizon: Option<CheckpointId>,
    /// Restored attempts whose recovery outputs (2PC commits) have not been drained yet.
    restored_from: BTreeMap<(TaskId, Attempt), CheckpointId>,
    /// The cancellation watchdog (`task.cancellation.timeout`): per cancelled task attempt, when
    /// its TaskManager gives up on it and fails fatally (`taskmanager.rs`).
    cancel_deadlines: BTreeMap<(TaskId, Attempt), u64>,
    /// The live readers of a `user-source`, per source attempt (`user_io.rs`).
    user_readers: BTreeMap<(TaskId, Attempt), UserReader>,
}

/// The durable services that survive every crash (`services.rs`): broker, checkpoint storage, sink store.
struct Services {
    /// The broker: per partition the records in offset order, with their append time (read
    /// only; shared by every seed of a [`Prepared`] spec).
    log: Arc<BrokerLog>,
    committed_offsets: BTreeMap<PartitionId, Offset>,
    /// Checkpoint storage: completed checkpoints for HA recovery, retained after the end.
    storage_completed: Vec<Arc<CompletedCheckpoint>>,
    retained: Vec<Arc<CompletedCheckpoint>>,
    txn_store: TxnStore,
    /// Producer fencing (Kafka's transactional epoch): the newest attempt of each sink task
    /// seen by the store; operations from an older attempt (a zombie) are refused.
    sink_epochs: BTreeMap<TaskId, Attempt>,
    /// The durable checkpoint id counter (HA services): above every id any JobManager used.
    next_checkpoint_id: CheckpointId,
    /// A `user-sink`'s external system, in place of `txn_store` (`user_io.rs`).
    user_sink: Option<UserSinkHost>,
    /// A `user-sink` registered as at-least-once: its external system (`user_io.rs`).
    user_writer: Option<UserWriterHost>,
    /// 2.x `latest`: the end offsets the source enumerator of each JobManager epoch resolved at
    /// its first deployment (`LatestOffsetsInitializer`, held in the splits it assigned).
    latest_resolved: BTreeMap<(u64, PartitionId), Offset>,
    /// `latest` partitions: the highest offset a fresh (not restored) source start began at so
    /// far. The records below the first such start were appended before the source resolved
    /// `latest`: never read (`RunResult::lost_inputs`); those a later fresh start skipped may
    /// have been read by an earlier attempt (`RunResult::latest_skipped_on_restart`).
    latest_floor: BTreeMap<PartitionId, Offset>,
}

/// What the run observed of notifications sent and checkpoint gates passed (session 37), moved
/// into `RunResult::notified_complete` and `RunResult::gate_passes`.
#[derive(Default)]
struct ProtocolNotes {
    notified_complete: Vec<(u64, CheckpointId)>,
    gate_passes: Vec<GatePass>,
    /// Session 38: arrivals at triggering gates. Session 39: the steps of retried calls as the
    /// world saw them (cancel RPCs, commits and refusals, answers, FAILED reports).
    gate_waits: Vec<observe::GateWait>,
    retry_calls: Vec<observe::RetryCall>,
}

/// What the run observed, returned as [`RunResult`] (`observe.rs`).
struct Observation {
    status: JobStatus,
    restarts: u32,
    region_restores: Vec<(u64, Attempt, Vec<TaskId>)>,
    status_timeline: Vec<(u64, JobStatus)>,
    restart_schedule: Vec<(u64, u32, u64)>,
    checkpoints: CheckpointRows,
    /// The millisecond of the last checkpoint outcome and how many were recorded in it
    /// (`next_end_seq`).
    end_seq: (u64, u32),
    print_rows: Rows,
    /// The 2PC sink store's visible output, moved out of the store at each commit
    /// (`OutputRow::take_committed`): the run's result owns the only copy.
    committed: Rows,
    /// Late records sent to an event-time window's side output.
    late_records: LateRecords,
    /// Snapshots of task attempts that sent late records (`RunResult::late_snapshots`).
    late_snapshots: LateSnapshots,
    /// Snapshots of window task attempts that record their assignments
    /// (`RunResult::assignment_snapshots`).
    assignment_snapshots: Vec<LateSnapshot>,
    /// A late-fed join's verdicts (`RunResult::join_judgments`).
    join_judgments: Vec<JoinRow>,
    /// Which checkpoint each attempt of a late-fed join's task restored (`RunResult::join_restores`).
    join_restores: Vec<(TaskId, Attempt, Option<CheckpointId>)>,
    /// Processing-time window assignments (`RunResult::window_assignments`).
    window_assignments: Vec<AssignmentRow>,
    /// Processing-time window quiesces (`RunResult::quiesced_windows`).
    quiesced_windows: Vec<QuiescedRow>,
    /// The sources' event-time steps, when `record_source_event_time` (observe.rs).
    source_event_time: Vec<SourceEventTime>,
    /// The job's source marks idle splits: its event-time steps are recorded for the `windows`
    /// checker.
    record_source_event_time: bool,
    /// The event-time steps of tasks with input channels (`RunResult::valve_steps`).
    valve_steps: Vec<ValveStep>,
    /// The job has event time: the valve steps are recorded for the `windows` checker.
    record_valves: bool,
    sink_anomalies: Vec<SinkAnomaly>,
    offset_commits: Vec<OffsetCommit>,
    completed_offsets: BTreeMap<CheckpointId, BTreeMap<PartitionId, Offset>>,
    completed_in_flight: BTreeMap<CheckpointId, BTreeSet<u64>>,
    lost_inputs: Vec<u64>,
    latest_skipped_on_restart: Vec<u64>,
    read_inputs: u64,
    socket_reads: Vec<SocketRead>,
    socket_marks: Vec<SocketMark>,
    socket_last_connected_ms: Option<u64>,
    lost_final_states: Vec<(u64, TaskId, Attempt)>,
    lost_notifications: Vec<(u64, TaskId, Attempt, CheckpointId)>,
    /// Notifications and gate passes (session 37).
    notes: ProtocolNotes,
    lost_triggers: Vec<LostTrigger>,
    failed_triggers: Vec<FailedTrigger>,
    lost_abort_notifications: Vec<(u64, TaskId, Attempt, CheckpointId)>,
    sync_savepoint_snapshots: Vec<(TaskId, Attempt, CheckpointId)>,
    stop_snapshots: Vec<observe::StopSnapshot>,
    stop_notices: Vec<observe::StopNotice>,
    finished_restores: Vec<observe::FinishedRestoreSnapshot>,
    dormant_sources: Vec<observe::DormantSource>,
    transactions: observe::TxnCounts,
    /// The JobManager's view of its tasks and the acknowledgements each pending checkpoint
    /// awaits (`acks.rs`).
    acks: acks::AckWatch,
    rejections: Vec<(u64, u64, ckptsim::reason::CheckpointFailureReason)>,
    requests: Vec<observe::RequestEvent>,
    stores: Vec<observe::StoreEvent>,
    task_transitions: Vec<(u64, String, ExecutionState, ExecutionState)>,
    final_checkpoint_config: ckptsim::config::CheckpointConfig,
    retunes: Vec<(u64, String)>,
    restart_description: String,
    snapshot_spans: Vec<SnapshotSpan>,
    restores: Vec<RestoreRecord>,
    rescales: Vec<RescaleRecord>,
    stops: Vec<StopRecord>,
    cuts: ChannelCuts,
    protocol: BarrierProtocol,
    restored_keyed: BTreeMap<Attempt, BTreeMap<ckptsim::record::Value, ckptsim::record::Value>>,
    restored_lists: Vec<ListRestore>,
    restored_windows: Vec<WindowRestore>,
}

#[derive(Clone)]
struct Shared(Arc<Mutex<World>>);

impl Shared {
    /// One world step: `f` under the world's lock, counted against the event budget. Always
    /// inlined: a wrapper of a few instructions called ~15 times per task-loop round (a dense
    /// minute makes ~1 M world steps), which LLVM's heuristic left out of line in some builds
    /// (+0.8 % instructions, BENCHMARKS.md session 37).
    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut g = self.0.lock().expect("world lock poisoned");
        let r = f(&mut g);
        g.count_step();
        if CHECK_EACH_STEP {
            g.invariants();
        }
        r
    }

    /// Counts a madsim sleep outside `wait` for `CKPTSIM_DEBUG_COUNTS` (not a world step; nothing
    /// done unless the counts are printed).
    fn tally_sleep(&self, why: WakeCause) {
        if crate::usage::debug_env().counts {
            self.0.lock().expect("world lock poisoned").budget.counts.slept(why);
        }
    }

    /// The run's clock (not a world step: nothing in the world changes).
    fn clock(&self) -> SimClock {
        self.0.lock().expect("world lock poisoned").clock.clone()
    }

    /// `f` with the run's clock pinned for each of its polls ([`Pinned`]).
    fn pinned<F: std::future::Future>(&self, f: F) -> Pinned<F> {
        Pinned { clock: self.clock(), inner: Box::pin(f) }
    }
}

/// The run's virtual clock in milliseconds since `t0`, read from madsim's time handle directly.
///
/// Same value as `Instant::now().duration_since(t0)` in ms (madsim's `Instant::now()` is its zero instant plus the elapsed
/// virtual time, so both subtract the same durations), without the intercepted
/// `clock_gettime` call that looks the runtime up in a thread local on every read.
///
/// madsim's clock read takes a mutex (`TimeHandle::elapsed`); virtual time does not move during
/// one poll of a madsim task (madsim advances it between polls), so a loop that reads the clock
/// many times per wake-up pins it for the poll ([`Pinned`]) and every read in between returns
/// the pinned value.
#[derive(Clone)]
struct SimClock {
    time: madsim::time::TimeHandle,
    /// Virtual time elapsed when the run started (at `t0`).
    start: Duration,
    /// The time pinned for the current poll, ms (`NOT_PINNED`: none; read madsim's clock).
    pinned_ms: Arc<std::sync::atomic::AtomicU64>,
}

/// `SimClock::pinned_ms` when no poll pinned the clock.
const NOT_PINNED: u64 = u64::MAX;

impl SimClock {
    /// Call at `t0` (same poll).
    fn starting_now() -> SimClock {
        let time = madsim::time::TimeHandle::current();
        let start = time.elapsed();
        SimClock { time, start, pinned_ms: Arc::new(std::sync::atomic::AtomicU64::new(NOT_PINNED)) }
    }

    fn now(&self) -> u64 {
        let pinned = self.pinned_ms.load(std::sync::atomic::Ordering::Relaxed);
        if pinned != NOT_PINNED {
            return pinned;
        }
        self.read()
    }

    /// madsim's clock, ms since `t0`.
    fn read(&self) -> u64 {
        (self.time.elapsed() - self.start).as_millis() as u64
    }

    /// Pins the clock for one poll (`unpin` at its end); nested pins keep the outer one.
    fn pin(&self) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        if self.pinned_ms.load(Relaxed) != NOT_PINNED {
            return false;
        }
        self.pinned_ms.store(self.read(), Relaxed);
        true
    }

    fn unpin(&self) {
        self.pinned_ms.store(NOT_PINNED, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A future whose every poll reads the clock once: the clock is pinned while the inner future
/// is polled (virtual time does not move within a poll).
struct Pinned<F> {
    clock: SimClock,
    inner: std::pin::Pin<Box<F>>,
}

impl<F: std::future::Future> std::future::Future for Pinned<F> {
    type Output = F::Output;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        let pinned = self.clock.pin();
        let r = self.inner.as_mut().poll(cx);
        if pinned {
            self.clock.unpin();
        }
        r
    }
}

impl World {
    fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Whether a task failure restarts only its pipelined region (semantics §1.7): the
    /// scenario's `failover_strategy = "region"` and a job graph of more than one region (the
    /// JobMaster's [`ckptsim::job::JobMaster::restarts_regions`]).
    fn restarts_regions(&self) -> bool {
        self.spec.failover == ckptsim::region::FailoverStrategy::Region
            && ckptsim::region::Regions::compute(self.graph.tasks.iter().map(|t| t.inputs.as_slice())).len() > 1
    }

    /// Records a restore from checkpoint `id` (looked up in checkpoint storage) for `run`.
    fn record_restore(&mut self, now: u64, cause: RestoreCause, id: Option<CheckpointId>) {
        self.record_restore_of(now, cause, id, None);
    }

    /// Records a restore of the tasks `only` names (None: every task): the offsets and keyed
    /// state of their snapshots in checkpoint `id`. A regional restore (§1.7) rewinds only its
    /// region's sources; the other sources keep their positions.
    fn record_restore_of(&mut self, now: u64, cause: RestoreCause, id: Option<CheckpointId>, only: Option<&[TaskId]>) {
        let cp = id.and_then(|id| self.services.storage_completed.iter().rev().find(|c| c.id == id).cloned());
        let cp = match (cp, only) {
            (Some(c), Some(tasks)) => {
                let mut c = (*c).clone();
                c.tasks.retain(|t, _| tasks.contains(t));
                Some(Arc::new(c))
            }
            (c, _) => c,
        };
        // Storage keeps every completed checkpoint a restore can name (`jobmanager.rs::prune_storage`;
        // a broken variant may restore from one that never completed).
        if let (Some(id), None) = (id, &cp) {
            assert!(
                !self.obs.completed_offsets.contains_key(&id),
                "restore from completed checkpoint {id} pruned from storage"
            );
        }
        let offsets = cp.as_ref().map(|c| source_offsets(self, c)).unwrap_or_default();
        let mut keyed: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        if let Some(cp) = &cp {
            for (task, snap) in &cp.tasks {
                let vi = self.graph.task_vertex[task.0 as usize].0;
                // A chain holds at most one keyed operator (each key_by starts a new task).
                let keyed_op = self.graph.vertices[vi].ops.iter().copied().find(|&o| {
                    matches!(
                        self.spec.operators[o].kind,
                        crate::spec::OpKind::Aggregate(_)
                            | crate::spec::OpKind::CountWindow { .. }
                            | crate::spec::OpKind::User(_)
                    )
                });
                let name = keyed_op.map_or_else(|| "keyed".to_string(), |o| self.spec.operators[o].name.clone());
                for st in &snap.operators {
                    let name = name.clone();
                    match st {
                        ckptsim::state::OperatorState::Keyed(m) => {
                            let e = keyed.entry(name).or_default();
                            for (k, v) in m {
                                e.insert(k.to_string(), v.to_string());
                            }
                        }
                        ckptsim::state::OperatorState::Window(m) => {
                            let e = keyed.entry(name).or_default();
                            for (k, (n, v)) in m {
                                e.insert(k.to_string(), format!("({n},{v})"));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        let commits_before = self.obs.offset_commits.len();
        self.obs.restores.push(RestoreRecord { at_ms: now, cause, checkpoint: id, offsets, keyed, commits_before });
    }

    /// Records the keyed state `attempt` of `task` restored, when the task runs the job's last
    /// keyed operator (the one whose outputs the state checker follows).
    fn record_restored_keyed(&mut self, task: TaskId, attempt: Attempt, cp: &CompletedCheckpoint) {
        if let Some(keys) = restored_keyed(&self.spec, &self.graph, task, cp) {
            self.obs.restored_keyed.entry(attempt).or_default().extend(keys);
        }
    }

    /// Records, per user operator with list state in `t`'s chain, the entries `cp` holds for it
    /// and what the operator held right after restoring them, before any replayed in-flight
    /// record (`RunResult::restored_lists`).
    fn record_restored_lists(&mut self, t: &ckptsim::task::Task, attempt: Attempt, cp: &CompletedCheckpoint) {
        let now = self.now();
        let rows = restored_lists(&self.spec, &self.graph, t, attempt, cp, now);
        self.obs.restored_lists.extend(rows);
    }

    /// Records, per window operator in `t`'s chain, the window state `cp` holds for it and what
    /// the operator held right after restoring it, before any replayed in-flight record
    /// (`RunResult::restored_windows`).
    fn record_restored_windows(&mut self, t: &ckptsim::task::Task, attempt: Attempt, cp: &CompletedCheckpoint) {
        let at_ms = self.now();
        let states = cp.tasks.get(&t.id()).map(|s| s.operators.as_slice()).unwrap_or_default();
        for (i, restored) in t.restored_windows() {
            // A task snapshot's slots: the head, the chained operators, the tail.
            let stored = match states.get(i + 1) {
                Some(ckptsim::state::OperatorState::EventWindow(w)) => w.clone(),
                _ => ckptsim::window::EventWindowState::default(),
            };
            let operator = t.chain()[*i].instance.clone();
            let row = WindowRestore {
                at_ms,
                task: t.id(),
                attempt,
                operator,
                checkpoint: cp.id,
                stored,
                restored: restored.clone(),
            };
            self.obs.restored_windows.push(row);
        }
    }

    /// A trace detail to write into: the trace's spare buffer ([`Trace::detail_buffer`]), so a
    /// lean run's details reuse one allocation.
    fn detail(&mut self) -> Detail {
        Detail(self.trace.detail_buffer(64))
    }

    fn tr(&mut self, node: &str, kind: &'static str, detail: String) {
        let now = self.now();
        self.trace.push(now, node, kind, detail);
    }

    /// Traces a fully typed event: its text is rendered from its fields.
    fn tr_typed(&mut self, node: &str, kind: &'static str, data: EventData) {
        let now = self.now();
        let detail = data.detail().expect("a fully typed event");
        self.trace.push_data(now, node, kind, detail, data);
    }

    /// Traces an event with typed fields and its own text.
    fn tr_data(&mut self, node: &str, kind: &'static str, detail: String, data: EventData) {
        let now = self.now();
        self.trace.push_data(now, node, kind, detail, data);
    }

    /// Traces task `task` on TaskManager `tm` throwing `cause` (`Sum[0]: cause`).
    fn tr_exception(&mut self, tm: u32, task: TaskId, cause: &str) {
        let text = format!("{}: {cause}", self.task_name(task));
        self.tr_data(&tm_node(tm), "exception", text, EventData::Exception { task });
    }

    /// Traces an event about `task` (its text says what happened).
    fn tr_task(&mut self, node: &str, kind: &'static str, task: TaskId, detail: String) {
        let now = self.now();
        self.trace.push_data(now, node, kind, detail, EventData::Task { task });
    }

    fn partitioned(&self, from: Addr, to: Addr) -> bool {
        self.faults.partitions.iter().any(|&(a, b, both)| (a == from && b == to) || (both && a == to && b == from))
    }

    /// Whether node `from` reaches the external service `service` (broker, checkpoint storage,
    /// sink store): a request and its answer, so a partition in either direction cuts it.
    pub(super) fn reaches(&self, from: Addr, service: Addr) -> bool {
        !self.partitioned(from, service) && !self.partitioned(service, from)
    }

    /// A dropped message: a task's non-final state update is an RPC its TaskManager waits on;
    /// the task fails when the ask timeout runs out without an answer.
    fn dropped(&mut self, msg: &Msg) {
        match *msg {
            Msg::Trigger { task, attempt, ref barrier, sent_ms } => {
                self.lost_trigger(task, attempt, barrier.id, sent_ms, false)
            }
            Msg::TriggerAck { task, attempt, id, sent_ms } | Msg::TriggerFailed { task, attempt, id, sent_ms } => {
                self.lost_trigger(task, attempt, id, sent_ms, true)
            }
            _ => {}
        }
        if let Msg::NotifyComplete { task, attempt, id } = msg {
            // `confirmCheckpoint` is fire-and-forget: nothing resends it.
            let now = self.now();
            self.obs.lost_notifications.push((now, *task, *attempt, *id));
        }
        if let Msg::NotifyAborted { task, attempt, id } = msg {
            // `notifyCheckpointAborted` is fire-and-forget too.
            let now = self.now();
            self.obs.lost_abort_notifications.push((now, *task, *attempt, *id));
        }
        if let Msg::TaskState { task, attempt, state, .. } = msg {
            if !state.is_terminal() {
                let at = self.now() + ckptsim::job::DEFAULT_DEPLOY_TIMEOUT_MS;
                self.tasks.rpc_timeouts.entry_or_insert_with((*task, *attempt), || at);
                self.wake_at(Sleeper::Task(*task, *attempt), at, WakeCause::RpcTimeout);
            } else {
                // A final state update is not retried (the task is gone); only deployment
                // reconciliation (Flink 1.12+) lets the JobManager learn it.
                let now = self.now();
                self.obs.lost_final_states.push((now, *task, *attempt));
            }
        }
    }

    /// A trigger RPC or its answer was lost: recorded for the `coordinator` checker.
    fn lost_trigger(&mut self, task: TaskId, attempt: Attempt, id: CheckpointId, sent_ms: u64, answer: bool) {
        let lost_ms = self.now();
        self.obs.lost_triggers.push(LostTrigger { lost_ms, sent_ms, task, attempt, id, answer });
    }

    /// Sends a control message through the simulated network.
    fn send(&mut self, from: Addr, to: Addr, msg: Msg) {
        self.send_to(from, to, 0, msg);
    }

    /// Sends a control message to incarnation `incarnation` of TaskManager `to` (0: any).
    fn send_to(&mut self, from: Addr, to: Addr, incarnation: u64, msg: Msg) {
        self.send_with(from, to, incarnation, msg, true);
    }

    /// Sends an RPC's answer: like [`World::send`], at the link's lowest latency (plus a
    /// control delay) instead of a drawn one.
    fn send_answer(&mut self, from: Addr, to: Addr, msg: Msg) {
        self.send_with(from, to, 0, msg, false);
    }

    fn send_with(&mut self, from: Addr, to: Addr, incarnation: u64, msg: Msg, draw_latency: bool) {
        self.budget.counts.messages += 1;
        let now = self.now();
        if self.partitioned(from, to) {
            let (l, data) = (msg.label(), EventData::Dropped { message: msg.name() });
            let text = format!("partition {} -> {}: {l}", addr_name(from), addr_name(to));
            self.tr_data(&addr_name(from), "drop", text, data);
            self.dropped(&msg);
            return;
        }
        if msg.lossy()
            && self.faults.loss_rate > 0.0
            && (self.faults.loss_messages.is_empty() || self.faults.loss_messages.iter().any(|m| m == msg.name()))
            && on_link(self.faults.loss_link, from, to)
            && self.net.rng.random_bool(self.faults.loss_rate.min(1.0))
        {
            let (l, data) = (msg.label(), EventData::Dropped { message: msg.name() });
            self.tr_data(&addr_name(from), "lost", format!("{} -> {}: {l}", addr_name(from), addr_name(to)), data);
            self.dropped(&msg);
            return;
        }
        let (lo, hi) = self.spec.cluster.control_latency_ms;
        let extra_ms = match self.faults.control_delay_node {
            Some(n) if n != from && n != to => 0,
            _ => self.faults.control_extra_ms,
        };
        let latency = if hi > lo && draw_latency { self.net.rng.random_range(lo..=hi) } else { lo } + extra_ms;
        let last = self.net.link_last.get(&(from, to)).copied().unwrap_or(0);
        let at = (now + latency).max(last);
        self.net.link_last.insert((from, to), at);
        self.net.seq += 1;
        self.net.in_flight.entry(to).or_default().push(InFlight { at, seq: self.net.seq, from, incarnation, msg });
        self.wake_at(Sleeper::Node(to), at, WakeCause::Message);
    }

    /// Moves the messages due at `now` for the (running) node `to` into `into`, dropping those
    /// a partition cuts at their arrival.
    fn take_due(&mut self, to: Addr, into: &mut VecDeque<(Addr, Msg)>) {
        let now = self.now();
        while let Some(q) = self.net.in_flight.get_mut(&to) {
            if q.peek().is_none_or(|m| m.at > now) {
                break;
            }
            let InFlight { from, incarnation, msg, .. } = q.pop().expect("a due message");
            let tm = to.wrapping_sub(1);
            if incarnation != 0
                && self.net.tm_incarnation.get(&tm).is_some_and(|&now_running| now_running != incarnation)
            {
                let (l, data) = (msg.label(), EventData::Dropped { message: msg.name() });
                self.tr_data(&addr_name(to), "drop", format!("{l} for incarnation {incarnation} (process gone)"), data);
                continue;
            }
            if self.partitioned(from, to) {
                let (l, data) = (msg.label(), EventData::Dropped { message: msg.name() });
                let text = format!("partition {} -> {}: {l}", addr_name(from), addr_name(to));
                self.tr_data(&addr_name(to), "drop", text, data);
                self.dropped(&msg);
                continue;
            }
            into.push_back((from, msg));
        }
    }

    /// When the next message for `to` arrives.
    fn next_arrival(&self, to: Addr) -> Option<u64> {
        self.net.in_flight.get(&to).and_then(|q| q.peek()).map(|m| m.at)
    }

    /// An anchor's event happened: its faults go to the chaos loop, its actions leave the
    /// client now (an anchored action counts as the end of a fault phase for liveness: the job
    /// heals after it).
    fn fire_anchor(&mut self, event: &FaultAt) {
        let mut i = 0;
        while i < self.faults.anchored.len() {
            if &self.faults.anchored[i].0 != event {
                i += 1;
                continue;
            }
            let refires = self.spec.variant == ckptsim::Variant::AnchoredFaultRefires
                && matches!(self.faults.anchored[i].1, Armed::Fault(f) if matches!(self.spec.faults[f].kind, FaultKind::TaskFailure { .. }));
            let armed = if refires {
                // The planted bug: the anchor stays armed and fires at its next occurrence.
                i += 1;
                self.faults.anchored[i - 1].1
            } else {
                self.faults.anchored.remove(i).1
            };
            match armed {
                Armed::Fault(f) => {
                    self.faults.fired.push_back(f);
                    self.wake.chaos.notify_one();
                }
                Armed::Action(a) => {
                    let kind = self.spec.actions[a].kind.clone();
                    self.tr_typed("client", "action", EventData::Action { label: format!("{kind:?}") });
                    self.send(CLIENT, JM, Msg::Action(kind));
                    self.faults.last_end_ms = self.faults.last_end_ms.max(self.now());
                }
            }
        }
    }

    /// Fires the `input-N-read` anchors of the inputs a source just read.
    fn inputs_read(&mut self, seqs: &[u64]) {
        for &input in seqs {
            self.fire_anchor(&FaultAt::InputRead { input });
        }
    }

    fn saw_completion(&mut self, task: TaskId, id: CheckpointId) {
        let seen = self.tasks.completion_seen.entry(task).or_insert(id);
        *seen = (*seen).max(id);
    }

    fn checkpoint_row(&mut self, id: CheckpointId) -> &mut CheckpointRow {
        self.obs.checkpoints.row(id)
    }
}

/// Whether the link `from` -> `to` is one a `message-loss` fault's `(target, peer)` names:
/// every link without a target, a link touching the target, or (with a peer) the link between
/// the two, either way.
pub(super) fn on_link(link: (Option<Addr>, Option<Addr>), from: Addr, to: Addr) -> bool {
    match link {
        (None, _) => true,
        (Some(a), None) => from == a || to == a,
        (Some(a), Some(b)) => (from == a && to == b) || (from == b && to == a),
    }
}

/// Per user operator with list state in `t`'s chain, the entries `cp` holds for it and what the
/// operator held right after restoring them, before any replayed in-flight record
/// (`RunResult::restored_lists`). The world and the explorer (`tools/explore`) record a
/// restored task's lists with it.
pub(crate) fn restored_lists(
    spec: &JobSpec,
    graph: &Graph,
    t: &ckptsim::task::Task,
    attempt: Attempt,
    cp: &CompletedCheckpoint,
    now: u64,
) -> Vec<ListRestore> {
    let states = cp.tasks.get(&t.id()).map(|s| s.operators.as_slice()).unwrap_or_default();
    let mut out = Vec::new();
    if let Some(restored) = t.restored_head_lists() {
        // A broadcast-process head (session 38): its states are slot 0, and its instance is the
        // vertex's first operator (its index in `spec.operators`, session 39: not read back from
        // the vertex's display name). Session 39: one record
        // per state, in snapshot order: `Name[i]` the broadcast state `rules`, `Name#c[i]` the
        // c-th state after it (a second broadcast state, or the keyed side's keyed state).
        let (vertex, subtask) = graph.task_vertex[t.id().0 as usize];
        let head = graph.vertices[vertex].ops.first().map_or("", |&op| spec.operators[op].name.as_str());
        let stored = states.first().map(ckptsim::broadcast_process::state_parts).unwrap_or_default();
        for (c, restored) in restored.iter().enumerate() {
            let operator = match c {
                0 => format!("{head}[{subtask}]"),
                c => format!("{head}#{c}[{subtask}]"),
            };
            out.push(ListRestore {
                at_ms: now,
                task: t.id(),
                attempt,
                operator,
                checkpoint: cp.id,
                stored: stored.get(c).cloned().unwrap_or_default(),
                restored: restored.clone(),
            });
        }
    }
    for (i, restored) in t.restored_lists() {
        // A task snapshot's slots: the head, the chained operators, the tail.
        let stored = match states.get(i + 1) {
            Some(ckptsim::state::OperatorState::UserList(v)) => v.clone(),
            Some(ckptsim::state::OperatorState::SharedList { mode: ListMode::Broadcast, entries }) => entries.clone(),
            // Union list state: what every subtask of the vertex stored, in subtask order
            // (Flink hands each subtask the union on every restore).
            Some(ckptsim::state::OperatorState::SharedList { .. }) => {
                let vertex = graph.task_vertex[t.id().0 as usize].0;
                let mut all = Vec::new();
                for peer in graph.vertex_tasks(vertex) {
                    if let Some(ckptsim::state::OperatorState::SharedList { entries, .. }) =
                        cp.tasks.get(&peer).and_then(|s| s.operators.get(i + 1))
                    {
                        all.extend(entries.iter().cloned());
                    }
                }
                all
            }
            _ => Vec::new(),
        };
        out.push(ListRestore {
            at_ms: now,
            task: t.id(),
            attempt,
            operator: t.chain()[*i].instance.clone(),
            checkpoint: cp.id,
            stored,
            restored: restored.clone(),
        });
    }
    out
}

/// The keys and values `cp` restores into `task` when its chain holds the job's last keyed
/// operator (None otherwise: `RunResult::restored_keyed` has no entry for the attempt). The
/// world and the explorer (`tools/explore`) record a restored task's keyed state with it.
pub(crate) fn restored_keyed(
    spec: &JobSpec,
    graph: &Graph,
    task: TaskId,
    cp: &CompletedCheckpoint,
) -> Option<Vec<(Value, Value)>> {
    let last_keyed = spec.operators.iter().rposition(|o| {
        matches!(
            o.kind,
            crate::spec::OpKind::Aggregate(_) | crate::spec::OpKind::CountWindow { .. } | crate::spec::OpKind::User(_)
        )
    })?;
    let vi = graph.task_vertex[task.0 as usize].0;
    if !graph.vertices[vi].ops.contains(&last_keyed) {
        return None;
    }
    let mut out = Vec::new();
    for st in cp.tasks.get(&task).map(|s| s.operators.as_slice()).unwrap_or_default() {
        if let ckptsim::state::OperatorState::Keyed(m) = st {
            out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    Some(out)
}
