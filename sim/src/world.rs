//! The simulated world on madsim: JobManager, TaskManagers hosting tasks, broker, checkpoint storage, sink store, client, network and chaos.
//!
//! One call to [`run`] builds a fresh madsim runtime from the seed, creates the nodes, runs until
//! `stop_at_ms` of virtual time, kills every node and returns a [`RunResult`].
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

use crate::graph::Graph;
use crate::spec::{ActionKind, FaultAt, FaultKind, InputSpec, JobSpec};
use crate::trace::Trace;
use ckptsim::coordinator::{CoordinatorOutput, RequestKind};
use ckptsim::ids::{Attempt, ChannelId, CheckpointId, Offset, PartitionId, TaskId, TmId};
use ckptsim::job::{JobMaster, JobOutput, JobParams};
use ckptsim::operator::SurvivingCounters;
use ckptsim::reason::CheckpointFailureReason;
use ckptsim::record::{Barrier, Lineage, LogRecord, Record, StreamElement, Value};
use ckptsim::sink::{SinkOutput, TxnStore};
use ckptsim::state::TaskSnapshot;
use ckptsim::status::{ExecutionState, JobStatus};
use ckptsim::store::CompletedCheckpoint;
use ckptsim::task::{Task, TaskOutput};
use madsim::runtime::{Handle, Runtime};
use madsim::time::{sleep, sleep_until, Duration, Instant};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

// ------------------------------------------------------------------ results

/// One row of the print sink's output (or of the committed 2PC output).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputRow {
    pub time_ms: u64,
    pub task: TaskId,
    pub attempt: Attempt,
    /// The value (shown with `Display`, as Flink's print sink prints it).
    pub value: Value,
    pub lineage: Lineage,
}

/// What happened to one checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointRow {
    pub id: CheckpointId,
    pub savepoint: bool,
    pub trigger_ms: u64,
    pub end_ms: Option<u64>,
    /// `COMPLETED`, the abort reason, or `PENDING` at the end of the run.
    pub outcome: String,
    pub alignment_ms: u64,
    pub size_bytes: u64,
    pub unaligned: bool,
}

/// How one task's part of one checkpoint ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotResult {
    /// The upload finished and the task acknowledged the checkpoint.
    Acked,
    /// The upload failed (storage down) and the task declined the checkpoint.
    Declined,
    /// The attempt was cancelled before the upload finished; nothing was sent.
    Abandoned,
    /// Still running at the end of the run, or lost with its TaskManager.
    Unfinished,
}

/// One task's part of one checkpoint on the task's clock, for reports: alignment
/// (`align_start_ms..sync_start_ms`), synchronous snapshot (`sync_start_ms..sync_end_ms`) and
/// asynchronous upload (`sync_end_ms..upload_end_ms`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotSpan {
    pub task: TaskId,
    pub attempt: Attempt,
    pub checkpoint: CheckpointId,
    /// When the first barrier arrived (the snapshot time minus the alignment time).
    pub align_start_ms: u64,
    /// When the task took its snapshot (every barrier in, or the unaligned snapshot).
    pub sync_start_ms: u64,
    /// When the synchronous part ended and the upload started.
    pub sync_end_ms: Option<u64>,
    /// When the upload ended (ack or decline sent, or abandoned).
    pub upload_end_ms: Option<u64>,
    pub size_bytes: u64,
    pub unaligned: bool,
    pub result: SnapshotResult,
}

/// An offset commit the broker received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OffsetCommit {
    pub time_ms: u64,
    pub task: TaskId,
    pub partition: PartitionId,
    pub offset: Offset,
    /// Whether the broker accepted it (false during a broker outage).
    pub accepted: bool,
    /// The checkpoint whose completion notification triggered it (None: committed outside a
    /// notification, e.g. the commit-at-snapshot variant).
    pub checkpoint: Option<CheckpointId>,
    /// Kafka's periodic auto-commit (checkpointing off): not tied to any checkpoint.
    pub periodic: bool,
}

/// One restore of the job's tasks: a restart, a JobManager failover, or a job started from a
/// retained checkpoint; what the restored checkpoint held (for `run`'s job-status section).
#[derive(Clone, Debug, PartialEq)]
pub struct RestoreRecord {
    pub at_ms: u64,
    /// What restored: "restart #N", "JobManager failover".
    pub cause: String,
    /// None: no completed checkpoint, the tasks start empty.
    pub checkpoint: Option<CheckpointId>,
    /// Source offsets the checkpoint holds (next to read), per partition.
    pub offsets: BTreeMap<PartitionId, Offset>,
    /// Keyed state the checkpoint holds: per keyed operator name, key -> value as displayed
    /// (count windows: `(elements in the open window, accumulator)`).
    pub keyed: BTreeMap<String, BTreeMap<String, String>>,
}

/// Everything a run produced, for the checkers, tables and reports.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub seed: u64,
    pub trace: Trace,
    pub final_status: JobStatus,
    pub restarts: u32,
    /// (time, status) including the initial CREATED.
    pub status_timeline: Vec<(u64, JobStatus)>,
    /// (time, failure number, backoff) of each scheduled restart.
    pub restart_schedule: Vec<(u64, u32, u64)>,
    pub checkpoints: Vec<CheckpointRow>,
    pub print_rows: Vec<OutputRow>,
    pub committed: Vec<OutputRow>,
    pub sink_anomalies: Vec<String>,
    pub open_txns_at_end: usize,
    /// The newest checkpoint whose completion every sink subtask has acted on (a completion
    /// notification, or a restore from it): a 2PC sink must have committed everything it
    /// covers. `None` when some sink subtask never saw one (notifications are not resent: a
    /// lost one leaves its transactions pre-committed until a later checkpoint completes).
    pub sink_commit_horizon: Option<CheckpointId>,
    pub offset_commits: Vec<OffsetCommit>,
    /// Completed checkpoints with the source offsets they hold (per partition, next to read).
    pub completed_offsets: BTreeMap<CheckpointId, BTreeMap<PartitionId, Offset>>,
    /// Completed checkpoints whose snapshot holds in-flight channel state (unaligned, or aligned
    /// with a timeout that switched): the input sequence numbers of those records. They were
    /// overtaken by the barrier, so their effects land after it (in the next transaction).
    pub completed_in_flight: BTreeMap<CheckpointId, BTreeSet<u64>>,
    /// Input sequence numbers that never reached a reader (socket input while no source ran).
    pub lost_inputs: Vec<u64>,
    /// Input sequence numbers the sources read, in order (with repeats after restores).
    pub read_inputs: u64,
    /// Retained checkpoints at the end (after retention was applied on termination).
    pub retained: Vec<CheckpointId>,
    /// Time the last fault healed (for liveness).
    pub last_fault_end_ms: u64,
    pub stop_at_ms: u64,
    pub tm_count: u32,
    pub task_names: Vec<String>,
    /// (time, task name, from, to) of every task state change the JobManager saw.
    pub task_transitions: Vec<(u64, String, ExecutionState, ExecutionState)>,
    /// The coordinator config in force at the end (after re-tunes).
    pub final_checkpoint_config: ckptsim::config::CheckpointConfig,
    pub retunes: Vec<(u64, String)>,
    pub restart_description: String,
    /// Every task's part of every checkpoint, in the order the snapshots were taken.
    pub snapshot_spans: Vec<SnapshotSpan>,
    /// Every restore, in time order.
    pub restores: Vec<RestoreRecord>,
}

// ------------------------------------------------------------------ messages

#[derive(Clone, Debug)]
enum Msg {
    Deploy {
        task: TaskId,
        attempt: Attempt,
        restore: Option<Arc<CompletedCheckpoint>>,
    },
    Cancel {
        task: TaskId,
        attempt: Attempt,
    },
    /// The TaskManager's answer to a cancel RPC (sent at once, before the task has stopped).
    CancelAck {
        task: TaskId,
        attempt: Attempt,
    },
    Trigger {
        task: TaskId,
        attempt: Attempt,
        barrier: Barrier,
    },
    NotifyComplete {
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
    },
    NotifyAborted {
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
    },
    TaskState {
        task: TaskId,
        attempt: Attempt,
        state: ExecutionState,
        cause: Option<String>,
    },
    Ack {
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
        snapshot: TaskSnapshot,
    },
    Decline {
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
        reason: CheckpointFailureReason,
    },
    Heartbeat {
        tm: u32,
        incarnation: u64,
        /// The task attempts this TaskManager runs (Flink's execution deployment report).
        running: Vec<(TaskId, Attempt)>,
    },
    /// The JobManager's answer to a heartbeat: the TaskManager knows its leader is alive.
    HeartbeatReply,
    Action(ActionKind),
}

impl Msg {
    fn label(&self) -> String {
        match self {
            Msg::Deploy { task, attempt, .. } => format!("deploy {task}{attempt}"),
            Msg::Cancel { task, attempt } => format!("cancel {task}{attempt}"),
            Msg::CancelAck { task, attempt } => format!("cancel-ack {task}{attempt}"),
            Msg::Trigger { task, barrier, .. } => format!("trigger {task} id={}", barrier.id),
            Msg::NotifyComplete { task, id, .. } => format!("notify-complete {task} id={id}"),
            Msg::NotifyAborted { task, id, .. } => format!("notify-aborted {task} id={id}"),
            Msg::TaskState { task, state, .. } => format!("task-state {task} {state}"),
            Msg::Ack { task, id, .. } => format!("ack {task} id={id}"),
            Msg::Decline { task, id, .. } => format!("decline {task} id={id}"),
            Msg::Heartbeat { tm, .. } => format!("heartbeat tm{tm}"),
            Msg::HeartbeatReply => "heartbeat-reply".to_string(),
            Msg::Action(a) => format!("action {a:?}"),
        }
    }
    /// Heartbeats and user actions are not subject to message loss (loss models RPC drops).
    fn lossy(&self) -> bool {
        !matches!(self, Msg::Action(_))
    }
}

/// A control message in flight. Ordered so that a max-heap pops the earliest (delivery time,
/// send sequence) first; sequences are unique, so the order is total.
struct InFlight {
    at: u64,
    seq: u64,
    from: Addr,
    /// The TaskManager process (incarnation) the sender addressed, 0 = whichever runs: a
    /// message for a process that died is not delivered to its successor.
    incarnation: u64,
    msg: Msg,
}

impl PartialEq for InFlight {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for InFlight {}

impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for InFlight {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// A trace detail written without the formatting machinery (the events every seed has many
/// of: checkpoints, snapshots, task transitions). Same text as the `format!` it replaces.
struct Detail(String);

impl Detail {
    fn new() -> Detail {
        Detail(String::with_capacity(64))
    }

    fn s(mut self, text: &str) -> Detail {
        self.0.push_str(text);
        self
    }

    fn n(mut self, mut v: u64) -> Detail {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.0.push_str(std::str::from_utf8(&digits[i..]).expect("ascii digits"));
        self
    }
}

/// The trace node name of TaskManager `tm`.
fn tm_node(tm: u32) -> std::borrow::Cow<'static, str> {
    const NAMES: [&str; 8] = ["tm0", "tm1", "tm2", "tm3", "tm4", "tm5", "tm6", "tm7"];
    match NAMES.get(tm as usize) {
        Some(n) => std::borrow::Cow::Borrowed(n),
        None => std::borrow::Cow::Owned(format!("tm{tm}")),
    }
}

/// A control-plane address. `0` = JobManager, `1 + i` = TaskManager i, `CLIENT`.
type Addr = u32;
const JM: Addr = 0;
const CLIENT: Addr = u32::MAX;
fn tm_addr(tm: u32) -> Addr {
    1 + tm
}
fn addr_name(a: Addr) -> String {
    match a {
        JM => "jm".into(),
        CLIENT => "client".into(),
        n => format!("tm{}", n - 1),
    }
}
fn parse_node(name: &str) -> Option<Addr> {
    match name {
        "jm" => Some(JM),
        "client" => Some(CLIENT),
        _ => name.strip_prefix("tm").and_then(|n| n.parse::<u32>().ok()).map(tm_addr),
    }
}

/// Messages for one running task (delivered by its TaskManager).
#[derive(Clone, Debug)]
enum TaskMail {
    Trigger(Barrier),
    NotifyComplete(CheckpointId),
    NotifyAborted(CheckpointId),
    Line {
        line: String,
        input_seq: u64,
    },
    /// The socket server closed the connection (bounded socket input).
    EndOfInput,
}

// ------------------------------------------------------------------ data channels

#[derive(Clone, Debug)]
enum Item {
    Records(Vec<Record>),
    Event(StreamElement, u32),
}

#[derive(Debug, Default)]
struct DataChannel {
    /// (deliver_at_ms, global sequence, item)
    queue: VecDeque<(u64, u64, Item)>,
    record_buffers: usize,
    last_deliver_ms: u64,
}

impl DataChannel {
    fn queued_records(&self) -> u32 {
        self.queue.iter().map(|(_, _, i)| if let Item::Records(r) = i { r.len() as u32 } else { 0 }).sum()
    }
}

type ChannelKey = (u32, TaskId, TaskId);

// ------------------------------------------------------------------ the world

struct ActiveFaults {
    partitions: Vec<(Addr, Addr, bool)>,
    loss_rate: f64,
    control_extra_ms: u64,
    slow_links: BTreeMap<TaskId, u64>,
    slow_snapshots: BTreeMap<TaskId, (u64, u64)>,
    storage_up: bool,
    storage_extra_ms: u64,
    broker_up: bool,
    sink_store_up: bool,
    slow_ops: BTreeMap<TaskId, u64>,
    failing_tasks: BTreeSet<TaskId>,
}

struct World {
    spec: Arc<JobSpec>,
    graph: Arc<Graph>,
    t0: Instant,
    clock: SimClock,
    trace: Trace,
    net_rng: ChaCha8Rng,
    /// The extra deploy/restore/cancel/first-start latencies of this run.
    latencies: Latencies,
    /// Messages in flight per receiving node, earliest (delivery time, send sequence) first.
    in_flight: BTreeMap<Addr, std::collections::BinaryHeap<InFlight>>,
    net_seq: u64,
    link_last: BTreeMap<(Addr, Addr), u64>,
    /// The virtual time each sleeping loop wakes at (absent: only when notified).
    wake_at_ms: BTreeMap<Sleeper, u64>,
    /// The wakers of the loops sleeping in [`wait`] now (cleared at teardown: a waker holds its
    /// task, which holds the world).
    wakers: BTreeMap<Sleeper, std::task::Waker>,
    node_notify: BTreeMap<Addr, Arc<Notify>>,
    alive: BTreeMap<Addr, bool>,
    channels: BTreeMap<ChannelKey, DataChannel>,
    item_seq: u64,
    task_notify: BTreeMap<(TaskId, Attempt), Arc<Notify>>,
    task_mail: BTreeMap<(TaskId, Attempt), VecDeque<TaskMail>>,
    cancelled: BTreeSet<(TaskId, Attempt)>,
    /// Tasks their TaskManager fails on its own (e.g. it lost its JobManager), with the cause.
    fail_requests: BTreeMap<(TaskId, Attempt), String>,
    /// Tasks whose state update to the JobManager was dropped: when the RPC times out (the ask
    /// timeout after sending) the TaskManager fails the task, as Flink's TaskExecutor does.
    rpc_timeouts: BTreeMap<(TaskId, Attempt), u64>,
    socket_reader: Option<(TaskId, Attempt)>,
    /// Bounded socket input: the server closed after its last line.
    socket_closed: bool,
    /// Checkpoint gates whose checkpoint was already requested, per (attempt, gate index).
    gates_triggered: BTreeSet<(Attempt, usize)>,
    // broker: per partition the records in offset order, with their append time
    log: BrokerLog,
    committed_offsets: BTreeMap<PartitionId, Offset>,
    // checkpoint storage (durable): completed checkpoints for HA recovery, retained after end
    storage_completed: Vec<Arc<CompletedCheckpoint>>,
    retained: Vec<Arc<CompletedCheckpoint>>,
    txn_store: TxnStore,
    /// Producer fencing (Kafka's transactional epoch): the newest attempt of each sink task
    /// seen by the store; operations from an older attempt (a zombie) are refused.
    sink_epochs: BTreeMap<TaskId, Attempt>,
    counters: BTreeMap<u32, SurvivingCounters>,
    tm_incarnation: BTreeMap<u32, u64>,
    faults: ActiveFaults,
    last_fault_end_ms: u64,
    // results
    status: JobStatus,
    restarts: u32,
    status_timeline: Vec<(u64, JobStatus)>,
    restart_schedule: Vec<(u64, u32, u64)>,
    checkpoints: BTreeMap<CheckpointId, CheckpointRow>,
    print_rows: Vec<OutputRow>,
    sink_anomalies: Vec<String>,
    offset_commits: Vec<OffsetCommit>,
    completed_offsets: BTreeMap<CheckpointId, BTreeMap<PartitionId, Offset>>,
    completed_in_flight: BTreeMap<CheckpointId, BTreeSet<u64>>,
    lost_inputs: Vec<u64>,
    read_inputs: u64,
    task_transitions: Vec<(u64, String, ExecutionState, ExecutionState)>,
    /// Per task, the newest checkpoint whose completion it has acted on: a completion
    /// notification handled without failing, or the checkpoint it was restored from.
    completion_seen: BTreeMap<TaskId, CheckpointId>,
    /// Restored attempts whose recovery outputs (2PC commits) have not been drained yet.
    restored_from: BTreeMap<(TaskId, Attempt), CheckpointId>,
    /// The durable checkpoint id counter (HA services): above every id any JobManager used.
    next_checkpoint_id: CheckpointId,
    final_checkpoint_config: ckptsim::config::CheckpointConfig,
    retunes: Vec<(u64, String)>,
    restart_description: String,
    snapshot_spans: Vec<SnapshotSpan>,
    restores: Vec<RestoreRecord>,
    jm_epoch: u64,
    /// Faults anchored to protocol events, armed until their event happens.
    anchored: Vec<(FaultAt, usize)>,
    fired_faults: VecDeque<usize>,
    chaos_notify: Arc<Notify>,
}

#[derive(Clone)]
struct Shared(Arc<Mutex<World>>);

impl Shared {
    fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut g = self.0.lock().expect("world lock poisoned");
        f(&mut g)
    }
}

/// The run's virtual clock in milliseconds since `t0`, read from madsim's time handle directly.
///
/// Same value as `Instant::now().duration_since(t0)` in ms (madsim's `Instant::now()` is its zero instant plus the elapsed
/// virtual time, so both subtract the same durations), without the intercepted
/// `clock_gettime` call that looks the runtime up in a thread local on every read.
#[derive(Clone)]
struct SimClock {
    time: madsim::time::TimeHandle,
    /// Virtual time elapsed when the run started (at `t0`).
    start: Duration,
}

impl SimClock {
    /// Call at `t0` (same poll).
    fn starting_now() -> SimClock {
        let time = madsim::time::TimeHandle::current();
        let start = time.elapsed();
        SimClock { time, start }
    }

    fn now(&self) -> u64 {
        (self.time.elapsed() - self.start).as_millis() as u64
    }
}

impl World {
    fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Records a restore from checkpoint `id` (looked up in checkpoint storage) for `run`.
    fn record_restore(&mut self, now: u64, cause: String, id: Option<CheckpointId>) {
        let cp = id.and_then(|id| self.storage_completed.iter().rev().find(|c| c.id == id).cloned());
        let offsets = cp.as_ref().map(|c| source_offsets(self, c)).unwrap_or_default();
        let mut keyed: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        if let Some(cp) = &cp {
            for (task, snap) in &cp.tasks {
                let vi = self.graph.task_vertex[task.0 as usize].0;
                // A chain holds at most one keyed operator (each key_by starts a new task).
                let keyed_op = self.graph.vertices[vi].ops.iter().copied().find(|&o| {
                    matches!(
                        self.spec.operators[o].kind,
                        crate::spec::OpKind::Aggregate(_) | crate::spec::OpKind::CountWindow { .. }
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
        self.restores.push(RestoreRecord { at_ms: now, cause, checkpoint: id, offsets, keyed });
    }

    fn tr(&mut self, node: &str, kind: &'static str, detail: String) {
        let now = self.now();
        self.trace.push(now, node, kind, detail);
    }

    fn partitioned(&self, from: Addr, to: Addr) -> bool {
        self.faults.partitions.iter().any(|&(a, b, both)| (a == from && b == to) || (both && a == to && b == from))
    }

    /// A dropped message: a task's non-final state update is an RPC its TaskManager waits on;
    /// the task fails when the ask timeout runs out without an answer.
    fn dropped(&mut self, msg: &Msg) {
        if let Msg::TaskState { task, attempt, state, .. } = msg {
            if !state.is_terminal() {
                let at = self.now() + ckptsim::job::DEFAULT_DEPLOY_TIMEOUT_MS;
                self.rpc_timeouts.entry((*task, *attempt)).or_insert(at);
                self.wake_at(Sleeper::Task(*task, *attempt), at);
            }
        }
    }

    /// Sends a control message through the simulated network.
    fn send(&mut self, from: Addr, to: Addr, msg: Msg) {
        self.send_to(from, to, 0, msg);
    }

    /// Sends a control message to incarnation `incarnation` of TaskManager `to` (0: any).
    fn send_to(&mut self, from: Addr, to: Addr, incarnation: u64, msg: Msg) {
        let now = self.now();
        if self.partitioned(from, to) {
            let l = msg.label();
            self.tr(&addr_name(from), "drop", format!("partition {} -> {}: {l}", addr_name(from), addr_name(to)));
            self.dropped(&msg);
            return;
        }
        if msg.lossy() && self.faults.loss_rate > 0.0 && self.net_rng.random_bool(self.faults.loss_rate.min(1.0)) {
            let l = msg.label();
            self.tr(&addr_name(from), "lost", format!("{} -> {}: {l}", addr_name(from), addr_name(to)));
            self.dropped(&msg);
            return;
        }
        let (lo, hi) = self.spec.cluster.control_latency_ms;
        let latency = if hi > lo { self.net_rng.random_range(lo..=hi) } else { lo } + self.faults.control_extra_ms;
        let last = self.link_last.get(&(from, to)).copied().unwrap_or(0);
        let at = (now + latency).max(last);
        self.link_last.insert((from, to), at);
        self.net_seq += 1;
        self.in_flight.entry(to).or_default().push(InFlight { at, seq: self.net_seq, from, incarnation, msg });
        self.wake_at(Sleeper::Node(to), at);
    }

    /// Moves the messages due at `now` for the (running) node `to` into `into`, dropping those
    /// a partition cuts at their arrival.
    fn take_due(&mut self, to: Addr, into: &mut VecDeque<(Addr, Msg)>) {
        let now = self.now();
        while let Some(q) = self.in_flight.get_mut(&to) {
            if q.peek().is_none_or(|m| m.at > now) {
                break;
            }
            let InFlight { from, incarnation, msg, .. } = q.pop().expect("a due message");
            let tm = to.wrapping_sub(1);
            if incarnation != 0 && self.tm_incarnation.get(&tm).is_some_and(|&now_running| now_running != incarnation) {
                let l = msg.label();
                self.tr(&addr_name(to), "drop", format!("{l} for incarnation {incarnation} (process gone)"));
                continue;
            }
            if self.partitioned(from, to) {
                let l = msg.label();
                self.tr(&addr_name(to), "drop", format!("partition {} -> {}: {l}", addr_name(from), addr_name(to)));
                self.dropped(&msg);
                continue;
            }
            into.push_back((from, msg));
        }
    }

    /// When the next message for `to` arrives.
    fn next_arrival(&self, to: Addr) -> Option<u64> {
        self.in_flight.get(&to).and_then(|q| q.peek()).map(|m| m.at)
    }

    /// Makes `who` wake at `at_ms` if it sleeps in [`wait`] past then: a timer on its waker, so
    /// a message or buffer in flight costs its receiver one wake-up, at arrival. A loop that is
    /// not sleeping computes its deadline from the queues before it sleeps, so it needs nothing.
    fn wake_at(&mut self, who: Sleeper, at_ms: u64) {
        let Some(waker) = self.wakers.get(&who) else { return };
        if self.wake_at_ms.get(&who).is_some_and(|&d| d <= at_ms) {
            return;
        }
        self.wake_at_ms.insert(who, at_ms);
        arm_timer(&self.clock, self.t0, at_ms, waker);
    }

    fn notify_task(&self, key: (TaskId, Attempt)) {
        if let Some(n) = self.task_notify.get(&key) {
            n.notify_one();
        }
    }

    fn fire_anchor(&mut self, event: &FaultAt) {
        let mut i = 0;
        while i < self.anchored.len() {
            if &self.anchored[i].0 == event {
                let (_, f) = self.anchored.remove(i);
                self.fired_faults.push_back(f);
                self.chaos_notify.notify_one();
            } else {
                i += 1;
            }
        }
    }

    fn saw_completion(&mut self, task: TaskId, id: CheckpointId) {
        let seen = self.completion_seen.entry(task).or_insert(id);
        *seen = (*seen).max(id);
    }

    fn checkpoint_row(&mut self, id: CheckpointId) -> &mut CheckpointRow {
        self.checkpoints.entry(id).or_insert(CheckpointRow {
            id,
            savepoint: false,
            trigger_ms: 0,
            end_ms: None,
            outcome: "PENDING".into(),
            alignment_ms: 0,
            size_bytes: 0,
            unaligned: false,
        })
    }
}

// ------------------------------------------------------------------ entry point

/// Runs one seed of `spec` to `stop_at_ms` and returns what happened.
pub fn run(spec: &JobSpec, seed: u64) -> RunResult {
    let log = build_log(spec);
    let spec = Arc::new(without_log_records(spec));
    let graph = Arc::new(Graph::build(&spec));
    let mut cfg = madsim::Config::default();
    cfg.net.send_latency = Duration::from_millis(1)..Duration::from_millis(1);
    let rt = Runtime::with_seed_and_config(seed, cfg);
    let spec2 = spec.clone();
    let graph2 = graph.clone();
    rt.block_on(async move { supervise(spec2, graph2, log, seed).await })
}

/// Failover latencies beyond the modelled costs (`[cluster]` `*_latency_ms`), each drawn once
/// per seed, uniformly in its range, from stream 300. All zero by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Latencies {
    deploy_ms: u64,
    restore_ms: u64,
    cancel_ms: u64,
    first_start_ms: u64,
}

impl Latencies {
    fn draw(c: &crate::spec::ClusterSpec, seed: u64) -> Latencies {
        let ranges = [c.deploy_latency_ms, c.restore_latency_ms, c.cancel_latency_ms, c.first_start_latency_ms];
        if ranges.iter().all(|r| *r == (0, 0)) {
            return Latencies::default();
        }
        let mut rng = stream(seed, 300);
        let d = ranges.map(|(min, max)| rng.random_range(min..=max.max(min)));
        Latencies { deploy_ms: d[0], restore_ms: d[1], cancel_ms: d[2], first_start_ms: d[3] }
    }
}

fn stream(seed: u64, subsystem: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(subsystem);
    r
}

/// The broker's log: per partition, the append times and the records, in offset order (two
/// arrays, so that a fetch hands the task a slice of records without copying them).
#[derive(Clone, Debug, Default)]
pub(crate) struct BrokerLog {
    pub at: Vec<Vec<u64>>,
    pub records: Vec<Vec<LogRecord>>,
}

/// The broker's log of `spec`'s input.
pub(crate) fn build_log(spec: &JobSpec) -> BrokerLog {
    match &spec.input {
        InputSpec::Log { partitions, records } => {
            let mut per_partition = vec![0usize; *partitions as usize];
            for (_, p, _) in records {
                per_partition[*p as usize] += 1;
            }
            let mut log = BrokerLog {
                at: per_partition.iter().map(|&n| Vec::with_capacity(n)).collect(),
                records: per_partition.iter().map(|&n| Vec::with_capacity(n)).collect(),
            };
            // Values repeat (a generator draws from a few keys): one shared string per value.
            let mut interned: BTreeMap<&str, Value> = BTreeMap::new();
            for (seq, (at, p, v)) in records.iter().enumerate() {
                let value = interned.entry(v.as_str()).or_insert_with(|| Value::str(v)).clone();
                let part = &mut log.records[*p as usize];
                let offset = Offset(part.len() as u64);
                part.push(LogRecord {
                    partition: PartitionId(*p),
                    offset,
                    value,
                    lineage: Lineage { input_seq: seq as u64, sub: 0 },
                });
                log.at[*p as usize].push(*at);
            }
            log
        }
        InputSpec::Lines(_) => BrokerLog::default(),
    }
}

/// `spec` without its log records (they live in the broker's log): a run clones the spec
/// into the simulation, and 10^6 record strings are not worth copying.
fn without_log_records(spec: &JobSpec) -> JobSpec {
    let input = match &spec.input {
        InputSpec::Log { partitions, .. } => InputSpec::Log { partitions: *partitions, records: Vec::new() },
        InputSpec::Lines(l) => InputSpec::Lines(l.clone()),
    };
    JobSpec {
        name: spec.name.clone(),
        profile: spec.profile,
        variant: spec.variant,
        checkpoint: spec.checkpoint.clone(),
        restart: spec.restart.clone(),
        restart_configured: spec.restart_configured,
        cluster: spec.cluster.clone(),
        kafka: spec.kafka.clone(),
        operators: spec.operators.clone(),
        input,
        actions: spec.actions.clone(),
        faults: spec.faults.clone(),
        stop_at_ms: spec.stop_at_ms,
        expect: spec.expect.clone(),
        default_seed: spec.default_seed,
        source_path: spec.source_path.clone(),
        input_options: spec.input_options.clone(),
    }
}

async fn supervise(spec: Arc<JobSpec>, graph: Arc<Graph>, log: BrokerLog, seed: u64) -> RunResult {
    let t0 = Instant::now();
    let handle = Handle::current();
    let tms = spec.cluster.task_managers.max(1);
    let mut anchored = Vec::new();
    for (i, f) in spec.faults.iter().enumerate() {
        if !matches!(f.at, FaultAt::Time(_)) {
            anchored.push((f.at.clone(), i));
        }
    }
    let world = World {
        spec: spec.clone(),
        graph: graph.clone(),
        t0,
        clock: SimClock::starting_now(),
        trace: Trace::default(),
        net_rng: stream(seed, 1),
        latencies: Latencies::draw(&spec.cluster, seed),
        in_flight: BTreeMap::new(),
        net_seq: 0,
        link_last: BTreeMap::new(),
        wake_at_ms: BTreeMap::new(),
        wakers: BTreeMap::new(),
        node_notify: BTreeMap::new(),
        alive: BTreeMap::new(),
        channels: BTreeMap::new(),
        item_seq: 0,
        task_notify: BTreeMap::new(),
        task_mail: BTreeMap::new(),
        cancelled: BTreeSet::new(),
        fail_requests: BTreeMap::new(),
        rpc_timeouts: BTreeMap::new(),
        socket_reader: None,
        socket_closed: false,
        gates_triggered: BTreeSet::new(),
        log,
        committed_offsets: BTreeMap::new(),
        storage_completed: Vec::new(),
        retained: Vec::new(),
        txn_store: TxnStore::new(spec.operators.last().map(|o| o.sink_store).unwrap_or_default()),
        sink_epochs: BTreeMap::new(),
        counters: BTreeMap::new(),
        tm_incarnation: BTreeMap::new(),
        faults: ActiveFaults {
            partitions: vec![],
            loss_rate: 0.0,
            control_extra_ms: 0,
            slow_links: BTreeMap::new(),
            slow_snapshots: BTreeMap::new(),
            storage_up: true,
            storage_extra_ms: 0,
            broker_up: true,
            sink_store_up: true,
            slow_ops: BTreeMap::new(),
            failing_tasks: BTreeSet::new(),
        },
        last_fault_end_ms: 0,
        status: JobStatus::Created,
        restarts: 0,
        status_timeline: vec![(0, JobStatus::Created)],
        restart_schedule: vec![],
        checkpoints: BTreeMap::new(),
        print_rows: vec![],
        sink_anomalies: vec![],
        offset_commits: vec![],
        completed_offsets: BTreeMap::new(),
        completed_in_flight: BTreeMap::new(),
        lost_inputs: vec![],
        read_inputs: 0,
        task_transitions: vec![],
        completion_seen: BTreeMap::new(),
        restored_from: BTreeMap::new(),
        next_checkpoint_id: CheckpointId::FIRST,
        final_checkpoint_config: spec.checkpoint.clone(),
        retunes: vec![],
        restart_description: String::new(),
        snapshot_spans: vec![],
        restores: vec![],
        jm_epoch: 0,
        anchored,
        fired_faults: VecDeque::new(),
        chaos_notify: Arc::new(Notify::new()),
    };
    let shared = Shared(Arc::new(Mutex::new(world)));
    shared.with(|w| {
        w.tr(
            "world",
            "start",
            format!("scenario={} seed={seed} profile={} variant={}", spec.name, spec.profile, spec.variant),
        )
    });

    // TaskManagers.
    let mut tm_nodes = Vec::new();
    for tm in 0..tms {
        let s = shared.clone();
        let node = handle.create_node().name(format!("tm{tm}")).init(move || tm_main(s.clone(), tm)).build();
        tm_nodes.push(node.id());
    }
    // JobManager.
    let s = shared.clone();
    let jm_node = handle.create_node().name("jm").init(move || jm_main(s.clone(), seed)).build();
    // Client: socket input and user actions.
    let s = shared.clone();
    let client_node = handle.create_node().name("client").init(move || client_main(s.clone())).build();
    // Chaos: applies faults.
    let s = shared.clone();
    let chaos = madsim::task::spawn_local(chaos_main(s, handle.clone(), jm_node.id(), tm_nodes.clone()));

    sleep_until(t0 + Duration::from_millis(spec.stop_at_ms)).await;

    // Teardown: kill every node so no task outlives the run (madsim leaks otherwise).
    for id in tm_nodes.iter() {
        handle.kill(*id);
    }
    handle.kill(jm_node.id());
    handle.kill(client_node.id());
    // The supervisor's own loops too: a task parked on a `Notify` holds its own waker, so one
    // left pending when the runtime is dropped is never freed — nor the `World` it holds
    // (~90 KB per seed). Aborted, they are dropped before `block_on` returns.
    chaos.abort();
    shared.with(|w| {
        // Killed loops' wakers would keep their tasks, and so this world, alive.
        w.wakers.clear();
        let stop = w.spec.stop_at_ms;
        for row in w.checkpoints.values_mut() {
            if row.end_ms.is_none() {
                row.outcome = "PENDING".into();
            }
        }
        if std::env::var("CKPTSIM_DEBUG_CHANNELS").is_ok() {
            for (k, ch) in &w.channels {
                eprintln!(
                    "channel {:?}: {} items, {} record buffers, head {:?}",
                    k,
                    ch.queue.len(),
                    ch.record_buffers,
                    ch.queue.front().map(|(at, _, it)| (
                        at,
                        match it {
                            Item::Records(r) => format!("{} records", r.len()),
                            Item::Event(e, o) => format!("{e:?} +{o}"),
                        }
                    ))
                );
            }
        }
        w.trace.push(stop, "world", "stop", format!("status={} restarts={}", w.status, w.restarts));
        let committed = w
            .txn_store
            .committed()
            .iter()
            .map(|(t, r)| OutputRow {
                time_ms: *t,
                task: TaskId(0),
                attempt: Attempt(0),
                value: r.value.clone(),
                lineage: r.lineage,
            })
            .collect();
        RunResult {
            seed,
            trace: std::mem::take(&mut w.trace),
            final_status: w.status,
            restarts: w.restarts,
            status_timeline: std::mem::take(&mut w.status_timeline),
            restart_schedule: std::mem::take(&mut w.restart_schedule),
            checkpoints: w.checkpoints.values().cloned().collect(),
            print_rows: std::mem::take(&mut w.print_rows),
            committed,
            sink_anomalies: std::mem::take(&mut w.sink_anomalies),
            open_txns_at_end: w.txn_store.open_txns().len(),
            sink_commit_horizon: {
                let sink_op = w.spec.operators.len().saturating_sub(1);
                let vi = w.graph.vertices.iter().position(|v| v.ops.contains(&sink_op));
                let tasks = vi.map(|vi| w.graph.vertex_tasks(vi)).unwrap_or_default();
                tasks.iter().map(|t| w.completion_seen.get(t).copied()).min().flatten()
            },
            offset_commits: std::mem::take(&mut w.offset_commits),
            completed_offsets: std::mem::take(&mut w.completed_offsets),
            completed_in_flight: std::mem::take(&mut w.completed_in_flight),
            lost_inputs: std::mem::take(&mut w.lost_inputs),
            read_inputs: w.read_inputs,
            retained: w.retained.iter().map(|c| c.id).collect(),
            last_fault_end_ms: w.last_fault_end_ms,
            stop_at_ms: stop,
            tm_count: w.spec.cluster.task_managers,
            task_names: w.graph.tasks.iter().map(|t| t.name.clone()).collect(),
            task_transitions: std::mem::take(&mut w.task_transitions),
            final_checkpoint_config: w.final_checkpoint_config.clone(),
            retunes: std::mem::take(&mut w.retunes),
            restart_description: std::mem::take(&mut w.restart_description),
            snapshot_spans: std::mem::take(&mut w.snapshot_spans),
            restores: std::mem::take(&mut w.restores),
        }
    })
}

/// A loop that sleeps in [`wait`]: a node's control loop or a task attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Sleeper {
    Node(Addr),
    Task(TaskId, Attempt),
}

/// Registers a madsim timer at `at_ms` that wakes `waker` (madsim's `Sleep` adds its timer when
/// first polled, and a timer that outlives its sleep only causes a spurious poll).
fn arm_timer(clock: &SimClock, t0: Instant, at_ms: u64, waker: &std::task::Waker) {
    use std::future::Future;
    let mut sleeper = std::pin::pin!(clock.time.sleep_until(t0 + Duration::from_millis(at_ms)));
    if sleeper.as_mut().poll(&mut std::task::Context::from_waker(waker)).is_ready() {
        waker.wake_by_ref();
    }
}

/// Sleeps `who` until `notify` fires or virtual time reaches its wake-up time: `deadline_ms`,
/// or earlier if [`World::wake_at`] moves it (a message or buffer due sooner). Biased towards
/// the notification.
async fn wait(s: &Shared, who: Sleeper, notify: &Notify, deadline_ms: Option<u64>) {
    use std::future::Future;
    use std::task::Poll;
    let mut notified = std::pin::pin!(notify.notified());
    let mut armed = false;
    std::future::poll_fn(|cx| {
        if notified.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        s.with(|w| {
            if !armed {
                armed = true;
                w.wakers.insert(who, cx.waker().clone());
                match deadline_ms {
                    Some(d) => {
                        w.wake_at_ms.insert(who, d);
                        arm_timer(&w.clock, w.t0, d, cx.waker());
                    }
                    None => {
                        w.wake_at_ms.remove(&who);
                    }
                }
                return Poll::Pending;
            }
            if w.wake_at_ms.get(&who).is_some_and(|&d| d <= w.now()) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    })
    .await;
    s.with(|w| {
        w.wakers.remove(&who);
        w.wake_at_ms.remove(&who);
    });
}

/// Waits for `notify` or until `deadline` (whichever first). Biased towards the notification.
async fn tokio_select_sleep_or_notify(notify: &Notify, clock: &SimClock, deadline: Option<Instant>) {
    let notified = notify.notified();
    match deadline {
        Some(d) => {
            // `madsim::time::sleep_until` on the run's time handle (no thread-local lookup).
            let sleeper = clock.time.sleep_until(d);
            futures_select(notified, sleeper).await;
        }
        None => notified.await,
    }
}

/// A two-way select on futures, polling `a` first (`biased`).
async fn futures_select<A: std::future::Future, B: std::future::Future>(a: A, b: B) {
    use std::pin::pin;
    use std::task::Poll;
    let mut a = pin!(a);
    let mut b = pin!(b);
    std::future::poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        if b.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        Poll::Pending
    })
    .await
}

// ------------------------------------------------------------------ JobManager

async fn jm_main(s: Shared, seed: u64) {
    let notify = Arc::new(Notify::new());
    let (params, restore, mut epoch, next_checkpoint_id) = s.with(|w| {
        w.jm_epoch += 1;
        w.alive.insert(JM, true);
        w.node_notify.insert(JM, notify.clone());
        clear_inbox(w, JM);
        let params = w.spec.job_params(w.graph.tasks.clone(), stream(seed, 2 + w.jm_epoch).random());
        // HA: a restarted JobManager recovers the latest completed checkpoint from storage.
        let restore = if w.jm_epoch > 1 { w.storage_completed.last().cloned() } else { None };
        let epoch = w.jm_epoch;
        if epoch > 1 {
            let now = w.now();
            w.status_timeline.push((now, JobStatus::Created));
        }
        w.tr("jm", "jm-start", format!("epoch={epoch} restore={:?}", restore.as_ref().map(|c| c.id.0)));
        if w.jm_epoch > 1 {
            let now = w.now();
            w.record_restore(now, format!("JobManager failover (epoch {epoch})"), restore.as_ref().map(|c| c.id));
        }
        (params, restore, epoch, w.next_checkpoint_id)
    });
    let base_params = params.clone();
    let mut jm = JobMaster::new(params);
    if epoch > 1 {
        // HA: the checkpoint id counter survives the JobManager.
        jm.recover_checkpoint_id_counter(next_checkpoint_id);
    }
    s.with(|w| w.restart_description = jm.restart_strategy().describe());
    let mut inbox: VecDeque<(Addr, Msg)> = VecDeque::new();
    let mut last_hb: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    let mut lost: BTreeSet<u32> = BTreeSet::new();
    let clock = s.with(|w| w.clock.clone());
    let first_start_ms = s.with(|w| if epoch == 1 { w.latencies.first_start_ms } else { 0 });
    if first_start_ms > 0 {
        sleep(Duration::from_millis(first_start_ms)).await;
    }
    let start = clock.now();
    if epoch > 1 {
        jm.start_recovered(start, restore);
    } else {
        jm.start(start, restore);
    }
    let hb_timeout = s.with(|w| w.spec.cluster.heartbeat_timeout_ms);
    let tms = s.with(|w| w.spec.cluster.task_managers.max(1));
    for tm in 0..tms {
        last_hb.insert(tm, (start, 0));
    }
    loop {
        let now = clock.now();
        s.with(|w| w.take_due(JM, &mut inbox));
        while let Some((_from, msg)) = inbox.pop_front() {
            match msg {
                Msg::TaskState { task, attempt, state, cause } => {
                    if let Some(attempt) = from_world(epoch, attempt) {
                        jm.handle_task_state(now, task, attempt, state, cause)
                    }
                }
                Msg::Ack { task, attempt, id, snapshot } => {
                    if let Some(attempt) = from_world(epoch, attempt) {
                        jm.handle_ack(now, task, attempt, id, snapshot)
                    }
                }
                Msg::Decline { task, attempt, id, reason } => {
                    if let Some(attempt) = from_world(epoch, attempt) {
                        jm.handle_decline(now, task, attempt, id, reason)
                    }
                }
                Msg::CancelAck { task, attempt } => {
                    if let Some(attempt) = from_world(epoch, attempt) {
                        jm.handle_cancel_ack(now, task, attempt)
                    }
                }
                Msg::Heartbeat { tm, incarnation, running } => {
                    s.with(|w| w.send_to(JM, tm_addr(tm), incarnation, Msg::HeartbeatReply));
                    let prev = last_hb.insert(tm, (now, incarnation));
                    if let Some((_, inc)) = prev {
                        if inc != 0 && inc != incarnation && !lost.contains(&tm) {
                            // A new TaskManager process registered under this slot: the old one
                            // is gone, with its executions. First, so that the report below
                            // judges only what was deployed to the new process.
                            jm.handle_tm_lost(now, TmId(tm));
                        }
                    }
                    lost.remove(&tm);
                    let mine: Vec<(TaskId, Attempt)> =
                        running.iter().filter_map(|&(t, a)| from_world(epoch, a).map(|a| (t, a))).collect();
                    jm.handle_tm_report(now, TmId(tm), &mine);
                }
                Msg::Action(a) => match a {
                    ActionKind::Retune(r) => {
                        let res = jm.retune(now, &r);
                        s.with(|w| {
                            let text = match &res {
                                Ok(()) => format!("retune {r:?} accepted"),
                                Err(e) => format!("retune {r:?} rejected: {e}"),
                            };
                            w.tr("jm", "retune", text.clone());
                            w.retunes.push((now, text));
                            w.final_checkpoint_config = jm.coordinator().config().clone();
                        });
                    }
                    ActionKind::Cancel => jm.cancel(now),
                    ActionKind::Savepoint => jm.request_checkpoint(now, RequestKind::Savepoint),
                    ActionKind::TriggerCheckpoint => jm.request_checkpoint(now, RequestKind::Manual),
                    ActionKind::RestoreRetained => {
                        if let Some(new_jm) = resume_retained(&s, seed, &base_params, jm.status(), now) {
                            jm = new_jm;
                            epoch = s.with(|w| w.jm_epoch);
                        }
                    }
                },
                _ => {}
            }
            // Route what this message caused now: a message for a TaskManager goes to the
            // incarnation known at the time (a heartbeat of a new one may come next).
            route_jm_outputs(&s, &mut jm, now, epoch, &last_hb);
        }
        // Heartbeat monitor.
        for (&tm, &(at, _)) in last_hb.iter() {
            if now > at + hb_timeout && !lost.contains(&tm) {
                lost.insert(tm);
                s.with(|w| w.tr("jm", "tm-lost", format!("tm{tm} heartbeat timeout")));
                jm.handle_tm_lost(now, TmId(tm));
            }
        }
        if jm.poll_timeout().is_some_and(|t| t <= now) {
            jm.handle_timeout(now);
        }
        let storage_up = s.with(|w| w.faults.storage_up);
        jm.handle_storage_status(now, storage_up);
        route_jm_outputs(&s, &mut jm, now, epoch, &last_hb);
        let hb_next = last_hb.values().map(|(at, _)| at + hb_timeout + 1).min();
        let deadline = s.with(|w| [jm.poll_timeout(), hb_next, w.next_arrival(JM)].into_iter().flatten().min());
        wait(&s, Sleeper::Node(JM), &notify, deadline.map(|d| d.max(now))).await;
    }
}

/// The `restore-retained` action: once the job has ended, a new job of the same graph starts
/// from the newest checkpoint (or savepoint) the old one retained (Flink: submitting with
/// `execution.state-recovery.path` / `-s`). Its attempts get a new epoch, so the old job's late
/// messages are dropped; its checkpoint ids continue from the durable counter (a real new job
/// continues from the restored id + 1; here ids stay unique across the run's jobs). Returns the
/// started JobMaster, or None (traced) when the job still runs or nothing was retained.
fn resume_retained(s: &Shared, seed: u64, base: &JobParams, status: JobStatus, now: u64) -> Option<JobMaster> {
    let restore = s.with(|w| {
        if !status.is_terminal() {
            w.tr("jm", "resume", format!("restore-retained ignored: the job is still {status}"));
            return None;
        }
        let Some(cp) = w.retained.last().cloned() else {
            w.tr("jm", "resume", "restore-retained ignored: no checkpoint was retained".into());
            return None;
        };
        w.jm_epoch += 1;
        w.status_timeline.push((now, JobStatus::Created));
        w.tr("jm", "resume", format!("new job (epoch {}) from retained checkpoint {}", w.jm_epoch, cp.id));
        w.record_restore(now, format!("new job from retained {}", cp.id), Some(cp.id));
        Some(cp)
    })?;
    let (epoch, next_id) = s.with(|w| (w.jm_epoch, w.next_checkpoint_id));
    let mut params = base.clone();
    params.random_seed = stream(seed, 2 + epoch).random();
    let mut jm = JobMaster::new(params);
    jm.recover_checkpoint_id_counter(next_id);
    jm.start(now, Some(restore));
    Some(jm)
}

/// Attempts are namespaced by JobManager epoch (a JobManager restarted by HA starts counting
/// attempts again): world attempt = epoch * EPOCH_STRIDE + JobMaster attempt.
const EPOCH_STRIDE: u32 = 10_000;

fn to_world(epoch: u64, a: Attempt) -> Attempt {
    Attempt(epoch as u32 * EPOCH_STRIDE + a.0)
}

/// The JobMaster attempt of a world attempt, or None when it belongs to another epoch.
fn from_world(epoch: u64, a: Attempt) -> Option<Attempt> {
    (a.0 / EPOCH_STRIDE == epoch as u32).then_some(Attempt(a.0 % EPOCH_STRIDE))
}

/// `known`: per TaskManager, the incarnation the JobManager last heard from (its messages go to
/// that process; 0 before the first heartbeat).
fn route_jm_outputs(s: &Shared, jm: &mut JobMaster, now: u64, epoch: u64, known: &BTreeMap<u32, (u64, u64)>) {
    let inc = |tm: TmId| known.get(&tm.0).map_or(0, |&(_, i)| i);
    s.with(|w| {
        while let Some(out) = jm.poll_output() {
            match out {
                JobOutput::Deploy { task, attempt, tm, restore } => {
                    let attempt = to_world(epoch, attempt);
                    w.send_to(JM, tm_addr(tm.0), inc(tm), Msg::Deploy { task, attempt, restore });
                }
                JobOutput::Cancel { task, attempt, tm } => {
                    let attempt = to_world(epoch, attempt);
                    w.send_to(JM, tm_addr(tm.0), inc(tm), Msg::Cancel { task, attempt })
                }
                JobOutput::Trigger { task, attempt, tm, barrier } => {
                    let attempt = to_world(epoch, attempt);
                    w.send_to(JM, tm_addr(tm.0), inc(tm), Msg::Trigger { task, attempt, barrier })
                }
                JobOutput::NotifyComplete { task, attempt, tm, id } => {
                    let attempt = to_world(epoch, attempt);
                    w.send_to(JM, tm_addr(tm.0), inc(tm), Msg::NotifyComplete { task, attempt, id })
                }
                JobOutput::NotifyAborted { task, attempt, tm, id } => {
                    let attempt = to_world(epoch, attempt);
                    w.send_to(JM, tm_addr(tm.0), inc(tm), Msg::NotifyAborted { task, attempt, id })
                }
                JobOutput::JobStatusChanged { from, to, cause } => {
                    w.status = to;
                    w.status_timeline.push((now, to));
                    w.tr(
                        "jm",
                        "job",
                        format!("{from} -> {to}{}", cause.map(|c| format!(" ({c})")).unwrap_or_default()),
                    );
                }
                JobOutput::TaskStateChanged { task, attempt, from, to } => {
                    let name = w.graph.tasks[task.0 as usize].name.clone();
                    let detail =
                        Detail::new().s(&name).s(" #").n(attempt.0 as u64).s(" ").s(from.name()).s(" -> ").s(to.name());
                    w.tr("jm", "task", detail.0);
                    w.task_transitions.push((now, name, from, to));
                }
                JobOutput::RestartScheduled { at_ms, backoff_ms, failure, cause } => {
                    w.restart_schedule.push((now, failure, backoff_ms));
                    w.tr("jm", "failure", format!("#{failure} restart at {at_ms} (backoff {backoff_ms} ms): {cause}"));
                }
                JobOutput::RestartSuppressed { failure, cause } => {
                    w.tr("jm", "failure", format!("#{failure} restart suppressed: {cause}"));
                }
                JobOutput::CancelGaveUp { task, attempt, calls } => {
                    let name = w.graph.tasks[task.0 as usize].name.clone();
                    w.tr(
                        "jm",
                        "cancel-failed",
                        format!("{name} #{attempt}: {calls} cancel calls unacknowledged: task could not be canceled"),
                    );
                }
                JobOutput::Restored { checkpoint, attempt } => {
                    w.restarts += 1;
                    let cause = format!("restart #{}", attempt.0);
                    w.record_restore(now, cause, checkpoint);
                    w.tr("jm", "restore", format!("attempt {attempt} from checkpoint {:?}", checkpoint.map(|c| c.0)));
                }
                JobOutput::Terminated { status, retained } => {
                    w.tr(
                        "jm",
                        "terminated",
                        format!("{status} retained={:?}", retained.iter().map(|c| c.id.0).collect::<Vec<_>>()),
                    );
                    w.retained = retained;
                }
                JobOutput::Checkpoint(c) => match c {
                    CoordinatorOutput::Trigger { id, timestamp_ms, kind, alignment } => {
                        w.next_checkpoint_id = w.next_checkpoint_id.max(id.next());
                        let row = w.checkpoint_row(id);
                        row.trigger_ms = timestamp_ms;
                        row.savepoint = kind == ckptsim::record::CheckpointKind::Savepoint;
                        let kind = match kind {
                            ckptsim::record::CheckpointKind::Checkpoint => "Checkpoint",
                            ckptsim::record::CheckpointKind::Savepoint => "Savepoint",
                        };
                        let alignment = match alignment {
                            ckptsim::record::Alignment::AtLeastOnce => "AtLeastOnce".into(),
                            ckptsim::record::Alignment::Aligned => "Aligned".into(),
                            ckptsim::record::Alignment::Unaligned => "Unaligned".into(),
                            a @ ckptsim::record::Alignment::AlignedWithTimeout { .. } => format!("{a:?}"),
                        };
                        w.tr("jm", "trigger", Detail::new().s("id=").n(id.0).s(" ").s(kind).s(" ").s(&alignment).0);
                        w.fire_anchor(&FaultAt::Triggered { checkpoint: id.0 });
                    }
                    CoordinatorOutput::Completed(cp) => {
                        let offsets = source_offsets(w, &cp);
                        w.completed_offsets.insert(cp.id, offsets);
                        let in_flight = in_flight_inputs(&cp);
                        if !in_flight.is_empty() {
                            w.completed_in_flight.insert(cp.id, in_flight);
                        }
                        let row = w.checkpoint_row(cp.id);
                        row.end_ms = Some(now);
                        row.outcome = "COMPLETED".into();
                        row.size_bytes = cp.size_bytes;
                        w.tr("jm", "complete", Detail::new().s("id=").n(cp.id.0).s(" size=").n(cp.size_bytes).s("B").0);
                        w.storage_completed.push(cp.clone());
                        w.fire_anchor(&FaultAt::Acked { checkpoint: cp.id.0 });
                        w.fire_anchor(&FaultAt::Completed { checkpoint: cp.id.0 });
                    }
                    CoordinatorOutput::Aborted { id, reason, trigger_ms, kind } => {
                        w.next_checkpoint_id = w.next_checkpoint_id.max(id.next());
                        let row = w.checkpoint_row(id);
                        // A checkpoint that failed while being triggered (e.g. storage down) has
                        // no Trigger output: its row is created here and needs the trigger time.
                        row.trigger_ms = trigger_ms;
                        row.savepoint = kind == ckptsim::record::CheckpointKind::Savepoint;
                        if row.end_ms.is_none() {
                            row.end_ms = Some(now);
                            row.outcome = reason.name().to_string();
                        }
                        w.tr("jm", "abort", format!("id={id} {reason}"));
                    }
                    CoordinatorOutput::RequestFailed { request, reason } => {
                        w.tr("jm", "rejected", format!("{request:?} request: {reason}"));
                    }
                    CoordinatorOutput::SchedulerStarted { first_trigger_at_ms } => {
                        w.tr("jm", "scheduler", format!("started, first trigger at {first_trigger_at_ms}"));
                    }
                    CoordinatorOutput::SchedulerStopped => w.tr("jm", "scheduler", "stopped".into()),
                    CoordinatorOutput::FailJob(f) => {
                        w.tr("jm", "tolerable", format!("threshold exceeded: {:?} {}", f.id.map(|i| i.0), f.reason))
                    }
                    CoordinatorOutput::Discarded { id } => w.tr("storage", "discard", Detail::new().s("id=").n(id.0).0),
                    CoordinatorOutput::NotifyComplete { .. }
                    | CoordinatorOutput::NotifyAborted { .. }
                    | CoordinatorOutput::TriggerMasterHooks { .. } => {}
                },
            }
        }
    });
}

/// The inputs whose records a checkpoint persisted as in-flight channel state.
pub(crate) fn in_flight_inputs(cp: &CompletedCheckpoint) -> BTreeSet<u64> {
    cp.tasks.values().flat_map(|s| s.in_flight.values().flatten()).map(|r| r.lineage.input_seq).collect()
}

/// The source offsets (next to read) a completed checkpoint holds, for the offset checker.
fn source_offsets(w: &World, cp: &CompletedCheckpoint) -> BTreeMap<PartitionId, Offset> {
    let mut out = BTreeMap::new();
    for t in w.graph.vertex_tasks(0) {
        if let Some(snap) = cp.tasks.get(&t) {
            if let Some(ckptsim::state::OperatorState::SourceOffsets(m)) = snap.operators.first() {
                for (p, o) in m {
                    let next = if w.spec.profile.kafka_state_is_last_read() { Offset(o.0.wrapping_add(1)) } else { *o };
                    out.insert(*p, next);
                }
            }
        }
    }
    out
}

// ------------------------------------------------------------------ TaskManager

async fn tm_main(s: Shared, tm: u32) {
    let notify = Arc::new(Notify::new());
    let incarnation = s.with(|w| {
        let inc = w.tm_incarnation.entry(tm).or_insert(0);
        *inc += 1;
        let inc = *inc;
        w.alive.insert(tm_addr(tm), true);
        w.node_notify.insert(tm_addr(tm), notify.clone());
        clear_inbox(w, tm_addr(tm));
        w.tr(&tm_node(tm), "tm-start", format!("incarnation={inc}"));
        inc
    });
    // Heartbeats to the JobManager; a TaskManager that hears nothing back from its JobManager
    // for the heartbeat timeout considers the leader lost and fails (cancels) all its tasks,
    // as Flink's TaskExecutor does when the job leader connection is lost.
    let last_jm_contact = Arc::new(Mutex::new(s.with(|w| w.now())));
    let s2 = s.clone();
    let contact = last_jm_contact.clone();
    madsim::task::spawn_local(async move {
        let (interval, timeout) =
            s2.with(|w| (w.spec.cluster.heartbeat_interval_ms, w.spec.cluster.heartbeat_timeout_ms));
        loop {
            s2.with(|w| {
                let running: Vec<(TaskId, Attempt)> =
                    w.task_notify.keys().filter(|k| w.graph.tasks[k.0 .0 as usize].tm == TmId(tm)).copied().collect();
                w.send(tm_addr(tm), JM, Msg::Heartbeat { tm, incarnation, running });
                let now = w.now();
                let mut last = contact.lock().expect("contact lock");
                if now > *last + timeout {
                    *last = now;
                    let mine: Vec<_> = w
                        .task_notify
                        .keys()
                        .filter(|k| w.graph.tasks[k.0 .0 as usize].tm == TmId(tm))
                        .copied()
                        .collect();
                    if !mine.is_empty() {
                        w.tr(
                            &format!("tm{tm}"),
                            "jm-lost",
                            format!("no JobManager contact for {timeout} ms: failing {} tasks", mine.len()),
                        );
                    }
                    for k in mine {
                        w.fail_requests.insert(k, format!("JobManager lost: no contact for {timeout} ms"));
                        w.notify_task(k);
                    }
                }
            });
            sleep(Duration::from_millis(interval)).await;
        }
    });
    let mut inbox: VecDeque<(Addr, Msg)> = VecDeque::new();
    loop {
        s.with(|w| w.take_due(tm_addr(tm), &mut inbox));
        if inbox.iter().any(|(from, _)| *from == JM) {
            *last_jm_contact.lock().expect("contact lock") = s.with(|w| w.now());
        }
        while let Some((_from, msg)) = inbox.pop_front() {
            match msg {
                Msg::Deploy { task, attempt, restore } => {
                    if s.with(|w| deploy_failure(w, tm, task, attempt)) {
                        continue;
                    }
                    let s2 = s.clone();
                    s.with(|w| {
                        w.task_notify.insert((task, attempt), Arc::new(Notify::new()));
                        w.task_mail.insert((task, attempt), VecDeque::new());
                    });
                    madsim::task::spawn_local(task_main(s2, tm, task, attempt, restore));
                }
                Msg::Cancel { task, attempt } => s.with(|w| {
                    // Flink's TaskExecutor.cancelTask acknowledges at once, known task or not.
                    w.send(tm_addr(tm), JM, Msg::CancelAck { task, attempt });
                    if w.task_notify.contains_key(&(task, attempt)) {
                        w.cancelled.insert((task, attempt));
                        w.notify_task((task, attempt));
                    } else {
                        // Unknown here (its deployment was lost, or it already ended): Flink's
                        // TaskExecutor answers "task not found" and the execution is CANCELED.
                        report(w, tm, task, attempt, ExecutionState::Canceled, None);
                    }
                }),
                Msg::Trigger { task, attempt, barrier } => mail(&s, task, attempt, TaskMail::Trigger(barrier)),
                Msg::NotifyComplete { task, attempt, id } => mail(&s, task, attempt, TaskMail::NotifyComplete(id)),
                Msg::NotifyAborted { task, attempt, id } => mail(&s, task, attempt, TaskMail::NotifyAborted(id)),
                _ => {}
            }
        }
        let deadline = s.with(|w| w.next_arrival(tm_addr(tm)));
        wait(&s, Sleeper::Node(tm_addr(tm)), &notify, deadline).await;
    }
}

/// An injected deployment failure (`fail_on_deploy`) of one of the task's operators: the
/// TaskManager rejects the submission and the execution is FAILED. Returns whether it fired.
fn deploy_failure(w: &mut World, tm: u32, task: TaskId, attempt: Attempt) -> bool {
    let tspec = w.graph.task_spec(&w.spec, task, attempt);
    let counters = w.counters.entry(tm).or_default();
    let Some(cause) = tspec
        .chain
        .iter()
        .find_map(|op| op.operator.deploy_failure(counters, &op.instance).map(|m| format!("{}: {m}", op.instance)))
    else {
        return false;
    };
    w.tr(&tm_node(tm), "exception", format!("{}: {cause}", tspec.name));
    report(w, tm, task, attempt, ExecutionState::Failed, Some(cause));
    true
}

/// Drops the messages that reached `node` while it was down or that it had not handled when it
/// crashed (those due by now); later ones reach the node's next incarnation.
fn clear_inbox(w: &mut World, node: Addr) {
    let now = w.now();
    if let Some(q) = w.in_flight.get_mut(&node) {
        q.retain(|m| m.at > now);
    }
    w.wake_at_ms.remove(&Sleeper::Node(node));
    w.wakers.remove(&Sleeper::Node(node));
}

fn mail(s: &Shared, task: TaskId, attempt: Attempt, m: TaskMail) {
    s.with(|w| {
        if let Some(q) = w.task_mail.get_mut(&(task, attempt)) {
            q.push_back(m);
            w.notify_task((task, attempt));
        }
    });
}

fn report(w: &mut World, tm: u32, task: TaskId, attempt: Attempt, state: ExecutionState, cause: Option<String>) {
    w.send(tm_addr(tm), JM, Msg::TaskState { task, attempt, state, cause });
}

/// Per-task output buffers: elements waiting to enter each downstream channel, in order.
///
/// Records wait in chunks of at most `buffer_records`, filled in order: the leading records of a
/// queue split into chunks exactly as a flush splits them into network buffers, so a flush
/// hands a whole chunk to the channel instead of copying records one by one.
struct Outbox {
    targets: Vec<TaskId>,
    bufs: Vec<VecDeque<OutItem>>,
    buffer_records: usize,
}

enum OutItem {
    /// A network buffer being filled, and when its first record was written (ms).
    Records(Vec<Record>, u64),
    Event(StreamElement),
}

impl Outbox {
    fn push_record(&mut self, i: usize, record: Record, now: u64) {
        let buf = &mut self.bufs[i];
        match buf.back_mut() {
            Some(OutItem::Records(chunk, _)) if chunk.len() < self.buffer_records => chunk.push(record),
            _ => {
                let mut chunk = Vec::with_capacity(self.buffer_records);
                chunk.push(record);
                buf.push_back(OutItem::Records(chunk, now));
            }
        }
    }

    fn push_event(&mut self, el: StreamElement) {
        for buf in self.bufs.iter_mut() {
            buf.push_back(OutItem::Event(el.clone()));
        }
    }

    /// Records waiting for output channel `i`.
    fn pending_records(&self, i: usize) -> u32 {
        self.bufs[i].iter().map(|it| if let OutItem::Records(c, _) = it { c.len() as u32 } else { 0 }).sum()
    }

    /// When the buffer timeout sends a partly filled buffer held back by [`flush`] (the last
    /// item of a channel's queue; anything behind a buffer sends it).
    fn timeout_flush_at(&self, buffer_timeout_ms: u64) -> Option<u64> {
        if buffer_timeout_ms == 0 {
            return None;
        }
        self.bufs
            .iter()
            .filter_map(|b| match b.back() {
                Some(OutItem::Records(c, since)) if c.len() < self.buffer_records => Some(since + buffer_timeout_ms),
                _ => None,
            })
            .min()
    }
}

async fn task_main(s: Shared, tm: u32, task: TaskId, attempt: Attempt, restore: Option<Arc<CompletedCheckpoint>>) {
    let key = (task, attempt);
    let clock = s.with(|w| w.clock.clone());
    let (spec, graph) = s.with(|w| (w.spec.clone(), w.graph.clone()));
    let profile = spec.profile;
    if profile.has_initializing_state() {
        s.with(|w| report(w, tm, task, attempt, ExecutionState::Initializing, None));
    }
    // Deployment and state restore cost.
    let restore_bytes = restore.as_ref().and_then(|c| c.tasks.get(&task)).map(|t| t.size_bytes()).unwrap_or(0);
    let bw = spec.cluster.storage_bandwidth_bytes_per_ms.max(1);
    let extra = s.with(|w| w.latencies.deploy_ms + if restore.is_some() { w.latencies.restore_ms } else { 0 });
    sleep(Duration::from_millis(spec.cluster.deploy_ms.max(1) + restore_bytes / bw + extra)).await;
    let notify = match s.with(|w| w.task_notify.get(&key).cloned()) {
        Some(n) => n,
        None => return,
    };
    let now = clock.now();
    let tspec = graph.task_spec(&spec, task, attempt);
    let (mut t, is_line) = s.with(|w| {
        let committed = w.committed_offsets.clone();
        let log_end: BTreeMap<PartitionId, Offset> =
            w.log.records.iter().enumerate().map(|(p, v)| (PartitionId(p as u32), Offset(v.len() as u64))).collect();
        let counters = w.counters.entry(tm).or_default();
        let is_line = matches!(tspec.head, ckptsim::task::HeadSpec::LineSource);
        let mut t = Task::new(tspec, now, restore.as_deref(), &committed, &log_end, counters);
        configure_offset_commits(&spec, &mut t, now);
        if let Some(cp) = &restore {
            w.restored_from.insert(key, cp.id);
        }
        // Old attempts' channels are garbage now.
        w.channels.retain(|k, _| k.0 >= attempt.0);
        if is_line && !t.has_failed() {
            w.socket_reader = Some(key);
        }
        if !t.has_failed() {
            report(w, tm, task, attempt, ExecutionState::Running, None);
        }
        (t, is_line)
    });
    if t.has_failed() {
        // initializeState threw (an injected restore failure): FAILED, never RUNNING.
        let inputs = graph.inputs_of(task);
        let mut outbox = Outbox { bufs: Vec::new(), targets: Vec::new(), buffer_records: 1 };
        s.with(|w| {
            drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs);
            cleanup_task(w, key);
        });
        return;
    }
    let inputs = graph.inputs_of(task);
    let targets = graph.outputs_of(task);
    let buffer_records = spec.cluster.buffer_records.max(1) as usize;
    let buffer_timeout_ms = spec.cluster.buffer_timeout_ms;
    let mut outbox = Outbox { bufs: (0..targets.len()).map(|_| VecDeque::new()).collect(), targets, buffer_records };
    let capacity = spec.cluster.channel_capacity_buffers.max(1) as usize;
    let ops_per_record = (graph.vertices[graph.task_vertex[task.0 as usize].0].ops.len() as u64).max(1);
    let mut debt_us: u64 = 0;
    let is_log = t.fetch_positions().is_some();
    // FLIP-147: with checkpoints after tasks finish and checkpointing on, a task whose input
    // ended waits for its final checkpoint (StreamTask.areCheckpointsWithFinishedTasksEnabled).
    let wait_final = profile.checkpoints_after_tasks_finish() && spec.checkpoint.periodic_enabled();
    t.set_wait_for_final_checkpoint(wait_final);
    let bounded = spec.input_options.bounded;
    if is_line && bounded && s.with(|w| w.socket_closed) {
        // The server already closed: the new connection reads nothing.
        t.handle_end_of_input(now, wait_final);
    }
    let mut end_of_partition_sent = false;
    // Checkpoint gates (log sources): the next closed gate, and while waiting at it the last
    // snapshot taken before arriving there.
    let gates: Vec<(u64, bool)> = if is_log { spec.input_options.gates.clone() } else { Vec::new() };
    let mut gate_idx = 0;
    let mut gate_wait: Option<Option<CheckpointId>> = None;
    loop {
        let now = clock.now();
        // 1. Cancellation.
        let cancelled = s.with(|w| w.cancelled.contains(&key));
        if cancelled {
            let cancel_ms = s.with(|w| w.latencies.cancel_ms);
            if cancel_ms > 0 {
                sleep(Duration::from_millis(cancel_ms)).await;
            }
            t.close();
            s.with(|w| {
                drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs);
                if w.socket_reader == Some(key) {
                    w.socket_reader = None;
                }
                w.task_notify.remove(&key);
                w.task_mail.remove(&key);
                report(w, tm, task, attempt, ExecutionState::Canceled, None);
            });
            return;
        }
        // 1b. The TaskManager fails this task on its own.
        let fail = s.with(|w| {
            if w.rpc_timeouts.get(&key).is_some_and(|&at| at <= now) {
                w.rpc_timeouts.remove(&key);
                w.fail_requests.entry(key).or_insert_with(|| "state update to the JobManager timed out".into());
            }
            w.fail_requests.remove(&key)
        });
        if let Some(cause) = fail {
            t.close();
            s.with(|w| {
                drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs);
                report(w, tm, task, attempt, ExecutionState::Failed, Some(cause));
                cleanup_task(w, key);
            });
            return;
        }
        // 2. Mailbox (control messages are handled even under backpressure).
        let mails: Vec<TaskMail> =
            s.with(|w| w.task_mail.get_mut(&key).map(|q| q.drain(..).collect()).unwrap_or_default());
        let mut snapshots = Vec::new();
        for m in mails {
            match &m {
                TaskMail::Trigger(b) => t.handle_trigger(now, *b),
                TaskMail::NotifyComplete(id) => t.handle_notify_complete(now, *id),
                TaskMail::NotifyAborted(id) => t.handle_notify_aborted(now, *id),
                TaskMail::Line { line, input_seq } => s.with(|w| {
                    w.read_inputs += 1;
                    let counters = w.counters.entry(tm).or_default();
                    t.handle_line(now, line, *input_seq, counters);
                    if t.has_failed() {
                        // The line that made the chain throw was consumed: a socket cannot
                        // replay it, so it is lost like any line read before a failure.
                        w.lost_inputs.push(*input_seq);
                    }
                }),
                TaskMail::EndOfInput => t.handle_end_of_input(now, wait_final),
            }
            let (snaps, failed) = s.with(|w| {
                let (snaps, failed) = drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs);
                if let (TaskMail::NotifyComplete(id), false) = (&m, failed || t.has_failed()) {
                    w.saw_completion(task, *id);
                }
                (snaps, failed)
            });
            snapshots.extend(snaps);
            if failed {
                return task_failed(&s, tm, key);
            }
        }
        // Injected task failure.
        if s.with(|w| w.faults.failing_tasks.remove(&task)) {
            s.with(|w| {
                w.tr(&tm_node(tm), "fault", format!("{} throws (injected)", w.graph.tasks[task.0 as usize].name));
                report(w, tm, task, attempt, ExecutionState::Failed, Some("injected task failure".into()));
                cleanup_task(w, key);
            });
            return;
        }
        // 3. Handler timer.
        if t.poll_timeout().is_some_and(|d| d <= now) {
            t.handle_timeout(now);
            let (snaps, failed) = s.with(|w| drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs));
            snapshots.extend(snaps);
            if failed {
                return task_failed(&s, tm, key);
            }
        }
        // 3b. Kafka's periodic auto-commit (checkpointing off).
        if t.auto_commit_deadline().is_some_and(|d| d <= now) {
            if let Some(offsets) = t.handle_auto_commit(now) {
                s.with(|w| auto_commit(w, task, &offsets, now));
            }
        }
        // 3a. Checkpoint gates: arrive, (request a checkpoint,) wait for one taken here to complete.
        while let Some(&(after, trigger)) = gates.get(gate_idx) {
            match gate_wait {
                None => {
                    if !s.with(|w| log_source_at_gate(w, &t, after)) {
                        break;
                    }
                    gate_wait = Some(t.last_snapshot_id());
                    s.with(|w| {
                        w.tr(&tm_node(tm), "gate", format!("{} waits for a checkpoint after input #{after}", t.name()));
                        if trigger && w.gates_triggered.insert((attempt, gate_idx)) {
                            w.send(CLIENT, JM, Msg::Action(ActionKind::TriggerCheckpoint));
                        }
                    });
                }
                Some(before) => {
                    let passed = t.last_completed_id().is_some_and(|c| before.is_none_or(|b| c > b));
                    if !passed {
                        break;
                    }
                    s.with(|w| {
                        w.tr(&tm_node(tm), "gate", format!("{} passes the gate after input #{after}", t.name()))
                    });
                    gate_idx += 1;
                    gate_wait = None;
                }
            }
        }
        // 3b. Bounded log input: every owned partition read up to its end (stopping offsets).
        if bounded && is_log && !t.input_has_ended() && s.with(|w| log_source_at_end(w, &t)) {
            s.with(|w| w.tr(&tm_node(tm), "end-of-input", format!("{} reached its stopping offsets", t.name())));
            t.handle_end_of_input(now, wait_final);
        }
        // 4. Flush outputs; are we backpressured?
        let blocked_out = s.with(|w| flush(w, &mut outbox, attempt, task, buffer_records, capacity, now));
        // 4b. Finished (input ended and, with FLIP-147, the final checkpoint completed):
        // EndOfPartition downstream, then FINISHED once everything left the output buffers.
        if t.is_finished() {
            if !end_of_partition_sent {
                end_of_partition_sent = true;
                outbox.push_event(StreamElement::EndOfPartition);
                s.with(|w| flush(w, &mut outbox, attempt, task, buffer_records, capacity, now));
            }
            if outbox.bufs.iter().all(|b| b.is_empty()) {
                t.close();
                s.with(|w| {
                    drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs);
                    w.tr(&tm_node(tm), "finished", t.name().to_string());
                    report(w, tm, task, attempt, ExecutionState::Finished, None);
                    cleanup_task(w, key);
                });
                return;
            }
        }
        // 5. Input.
        let mut processed: u64 = 0;
        let mut progressed = false;
        let mut wake_at: Option<u64> = None;
        if !blocked_out {
            if is_log {
                let limit = gates.get(gate_idx).map(|g| g.0);
                let r = s.with(|w| fetch_and_process(w, &mut t, tm, now, buffer_records * 2, limit));
                match r {
                    Fetch::Records(n) => processed = n,
                    Fetch::WaitUntil(at) => wake_at = at,
                }
            } else if !is_line {
                let r = s.with(|w| take_input(w, &mut t, tm, key, &inputs, now));
                match r {
                    Take::Records(n) => processed = n,
                    // An event is progress too: look at the inputs again at once (a barrier
                    // that is queued but not yet due must set the next wake-up).
                    Take::Event => progressed = true,
                    Take::WaitUntil(at) => wake_at = at,
                }
            }
            let (snaps, failed) = s.with(|w| drain_outputs(w, &mut t, &mut outbox, key, tm, now, &inputs));
            snapshots.extend(snaps);
            if failed {
                return task_failed(&s, tm, key);
            }
            s.with(|w| flush(w, &mut outbox, attempt, task, buffer_records, capacity, now));
        }
        // 6. Snapshots: synchronous part blocks the task; asynchronous upload runs beside it.
        for (id, snapshot) in snapshots {
            let (sync_ms, async_ms, up_extra) = s.with(|w| {
                let (ss, aa) = w.faults.slow_snapshots.get(&task).copied().unwrap_or((0, 0));
                (1 + ss, snapshot.size_bytes() / bw + aa, w.faults.storage_extra_ms)
            });
            sleep(Duration::from_millis(sync_ms)).await;
            s.with(|w| {
                let now = w.now();
                if let Some(span) = snapshot_span(w, key, id) {
                    span.sync_end_ms = Some(now);
                }
            });
            let s2 = s.clone();
            madsim::task::spawn_local(async move {
                sleep(Duration::from_millis((async_ms + up_extra).max(1))).await;
                s2.with(|w| {
                    let now = w.now();
                    let gone = w.cancelled.contains(&key) || !w.task_notify.contains_key(&key);
                    let result = if gone {
                        SnapshotResult::Abandoned
                    } else if w.faults.storage_up {
                        SnapshotResult::Acked
                    } else {
                        SnapshotResult::Declined
                    };
                    if let Some(span) = snapshot_span(w, key, id) {
                        span.upload_end_ms = Some(now);
                        span.result = result;
                    }
                    if gone {
                        return;
                    }
                    if w.faults.storage_up {
                        w.send(tm_addr(tm), JM, Msg::Ack { task, attempt, id, snapshot });
                    } else {
                        w.tr(&tm_node(tm), "snapshot", format!("{task} id={id} upload failed: storage down"));
                        w.send(
                            tm_addr(tm),
                            JM,
                            Msg::Decline {
                                task,
                                attempt,
                                id,
                                reason: CheckpointFailureReason::CheckpointAsyncException,
                            },
                        );
                    }
                });
            });
        }
        // 7. Pay for the CPU time used.
        if processed > 0 {
            let (cost, slow) = s.with(|w| (w.spec.cluster.record_cost_us, w.faults.slow_ops.get(&task).copied()));
            debt_us += processed * cost * ops_per_record;
            if let Some(rps) = slow {
                debt_us += processed * 1_000_000 / rps.max(1);
            }
            if debt_us >= 1000 {
                let ms = debt_us / 1000;
                debt_us %= 1000;
                sleep(Duration::from_millis(ms)).await;
            } else {
                madsim::task::yield_now().await;
            }
            continue;
        }
        if progressed {
            madsim::task::yield_now().await;
            continue;
        }
        // 8. Idle: wait for input, credit, mail, cancel or a timer.
        let rpc_timeout = s.with(|w| w.rpc_timeouts.get(&key).copied());
        let deadline = [
            wake_at,
            t.poll_timeout(),
            outbox.timeout_flush_at(buffer_timeout_ms),
            rpc_timeout,
            t.auto_commit_deadline(),
        ]
        .into_iter()
        .flatten()
        .min();
        wait(&s, Sleeper::Task(task, attempt), &notify, deadline.map(|d| d.max(now + 1))).await;
    }
}

/// The log source's commit mode from `[kafka]` (semantics §5.1 `OffsetCommitModes`):
/// with periodic checkpointing, commits on completion unless `commit_offsets_on_checkpoint`
/// is false; without, Kafka's auto-commit if enabled (1.11's default; 2.x's KafkaSource turns
/// `enable.auto.commit` off unless the user sets it).
fn configure_offset_commits(spec: &JobSpec, t: &mut Task, now: u64) {
    let k = &spec.kafka;
    let periodic = spec.checkpoint.periodic_enabled();
    let auto = !periodic && k.auto_commit.unwrap_or(spec.profile.kafka_auto_commits_without_checkpointing());
    t.configure_offset_commits(k.commit_offsets_on_checkpoint, auto.then_some((now, k.auto_commit_interval_ms)));
}

/// A periodic auto-commit reaches the broker (refused while it is down).
fn auto_commit(w: &mut World, task: TaskId, offsets: &BTreeMap<PartitionId, Offset>, now: u64) {
    let accepted = w.faults.broker_up;
    for (p, o) in offsets {
        w.offset_commits.push(OffsetCommit {
            time_ms: now,
            task,
            partition: *p,
            offset: *o,
            accepted,
            checkpoint: None,
            periodic: true,
        });
        if accepted {
            w.committed_offsets.insert(*p, *o);
        }
    }
    w.tr(
        "broker",
        "commit",
        format!("{task} {offsets:?} auto-commit {}", if accepted { "ok" } else { "FAILED (broker down)" }),
    );
}

/// The latest snapshot span of this task attempt for checkpoint `id`.
fn snapshot_span(w: &mut World, key: (TaskId, Attempt), id: CheckpointId) -> Option<&mut SnapshotSpan> {
    w.snapshot_spans.iter_mut().rev().find(|s| (s.task, s.attempt) == key && s.checkpoint == id)
}

fn cleanup_task(w: &mut World, key: (TaskId, Attempt)) {
    if w.socket_reader == Some(key) {
        w.socket_reader = None;
    }
    w.task_notify.remove(&key);
    w.task_mail.remove(&key);
    w.restored_from.remove(&key);
    w.rpc_timeouts.remove(&key);
}

fn task_failed(s: &Shared, _tm: u32, key: (TaskId, Attempt)) {
    s.with(|w| cleanup_task(w, key));
}

/// Drains the task's outputs into the world. Returns completed snapshots and whether the task failed.
fn drain_outputs(
    w: &mut World,
    t: &mut Task,
    outbox: &mut Outbox,
    key: (TaskId, Attempt),
    tm: u32,
    now: u64,
    inputs: &[TaskId],
) -> (Vec<(CheckpointId, TaskSnapshot)>, bool) {
    let (task, attempt) = key;
    let mut snaps = Vec::new();
    while let Some(out) = t.poll_output() {
        match out {
            TaskOutput::Emit { channel, record } => outbox.push_record(channel as usize, record, now),
            TaskOutput::EmitBarrier { barrier, priority } => {
                if priority {
                    for (i, &to) in outbox.targets.iter().enumerate() {
                        let pending = outbox.pending_records(i);
                        w.item_seq += 1;
                        let seq = w.item_seq;
                        let ch = w.channels.entry((attempt.0, task, to)).or_default();
                        let overtaken = ch.queued_records() + pending;
                        ch.queue.push_front((now + 1, seq, Item::Event(StreamElement::Barrier(barrier), overtaken)));
                        w.wake_at(Sleeper::Task(to, attempt), now + 1);
                    }
                } else {
                    outbox.push_event(StreamElement::Barrier(barrier));
                }
            }
            TaskOutput::EmitCancelMarker { id } => outbox.push_event(StreamElement::CancelMarker(id)),
            TaskOutput::Snapshot { id, snapshot, alignment_ms, unaligned } => {
                let detail = Detail::new()
                    .s(&w.graph.tasks[task.0 as usize].name)
                    .s(" id=")
                    .n(id.0)
                    .s(" ")
                    .n(snapshot.size_bytes())
                    .s("B align=")
                    .n(alignment_ms)
                    .s(if unaligned { "ms unaligned" } else { "ms" });
                w.tr(&tm_node(tm), "snapshot", detail.0);
                let row = w.checkpoint_row(id);
                row.alignment_ms = row.alignment_ms.max(alignment_ms);
                row.unaligned |= unaligned;
                w.snapshot_spans.push(SnapshotSpan {
                    task,
                    attempt,
                    checkpoint: id,
                    align_start_ms: now.saturating_sub(alignment_ms),
                    sync_start_ms: now,
                    sync_end_ms: None,
                    upload_end_ms: None,
                    size_bytes: snapshot.size_bytes(),
                    unaligned,
                    result: SnapshotResult::Unfinished,
                });
                snaps.push((id, snapshot));
            }
            TaskOutput::Decline { id, reason } => {
                w.tr(&tm_node(tm), "decline", format!("{task} id={id} {reason}"));
                w.send(tm_addr(tm), JM, Msg::Decline { task, attempt, id, reason });
            }
            TaskOutput::PrioritizeBarriers { id } => {
                for (i, &from) in inputs.iter().enumerate() {
                    let Some(ch) = w.channels.get_mut(&(attempt.0, from, task)) else { continue };
                    let pos = ch
                        .queue
                        .iter()
                        .position(|(_, _, it)| matches!(it, Item::Event(StreamElement::Barrier(b), _) if b.id == id));
                    if let Some(pos) = pos {
                        let overtaken: u32 = ch
                            .queue
                            .iter()
                            .take(pos)
                            .map(|(_, _, it)| if let Item::Records(r) = it { r.len() as u32 } else { 0 })
                            .sum();
                        let (_, _, item) = ch.queue.remove(pos).expect("barrier position");
                        if let Item::Event(el, _) = item {
                            let counters = w.counters.entry(tm).or_default();
                            t.handle_input(now, ChannelId(i as u32), el, overtaken, counters);
                        }
                    }
                }
            }
            TaskOutput::PrintRow { record } => {
                w.print_rows.push(OutputRow {
                    time_ms: now,
                    task,
                    attempt,
                    value: record.value,
                    lineage: record.lineage,
                });
            }
            TaskOutput::Sink(op) => {
                if !w.faults.sink_store_up {
                    w.tr(&tm_node(tm), "sink", format!("{task} sink store unreachable"));
                    report(w, tm, task, attempt, ExecutionState::Failed, Some("sink store unreachable".into()));
                    return (snaps, true);
                }
                let epoch = *w.sink_epochs.entry(task).or_insert(attempt);
                if attempt < epoch {
                    w.tr(&format!("tm{tm}"), "fenced", format!("{task}{attempt}: producer fenced by {epoch}"));
                    report(
                        w,
                        tm,
                        task,
                        attempt,
                        ExecutionState::Failed,
                        Some("producer fenced by a newer attempt".into()),
                    );
                    return (snaps, true);
                }
                w.sink_epochs.insert(task, attempt);
                let commit = if let SinkOutput::Commit { txn } = &op { Some(*txn) } else { None };
                if let Err(e) = w.txn_store.apply(now, op) {
                    w.sink_anomalies.push(format!("t={now} {task}: {e:?}"));
                }
                if let Some(txn) = commit {
                    w.tr(&tm_node(tm), "commit", format!("{task} txn={txn:?}"));
                }
            }
            TaskOutput::CommitOffsets { offsets } => {
                let accepted = w.faults.broker_up;
                // Which checkpoint's notification is this? The latest completed one (None for
                // a commit that happens outside a completion).
                let checkpoint = w.checkpoints.values().rev().find(|r| r.outcome == "COMPLETED").map(|r| r.id);
                for (p, o) in &offsets {
                    w.offset_commits.push(OffsetCommit {
                        time_ms: now,
                        task,
                        partition: *p,
                        offset: *o,
                        accepted,
                        checkpoint,
                        periodic: false,
                    });
                    if accepted {
                        w.committed_offsets.insert(*p, *o);
                    }
                }
                w.tr(
                    "broker",
                    "commit",
                    format!("{task} {offsets:?} {}", if accepted { "ok" } else { "FAILED (broker down)" }),
                );
            }
            TaskOutput::Failed { cause } => {
                let name = w.graph.tasks[task.0 as usize].name.clone();
                w.tr(&tm_node(tm), "exception", format!("{name}: {cause}"));
                report(w, tm, task, attempt, ExecutionState::Failed, Some(cause));
                return (snaps, true);
            }
        }
    }
    // The recovery commits of a restored task reached the sink store: it acted on the
    // completion of the checkpoint it was restored from.
    if let Some(id) = w.restored_from.remove(&key) {
        w.saw_completion(task, id);
    }
    (snaps, false)
}

/// Moves buffered outputs into the channels as far as credit allows (partial buffers too).
/// Returns whether the task is backpressured (a full record buffer could not be sent). `now`:
/// the caller's time, read in the same poll (virtual time does not move within a poll).
fn flush(
    w: &mut World,
    outbox: &mut Outbox,
    attempt: Attempt,
    task: TaskId,
    buffer_records: usize,
    capacity: usize,
    now: u64,
) -> bool {
    let latency = w.spec.cluster.data_latency_ms + w.faults.slow_links.get(&task).copied().unwrap_or(0);
    let buffer_timeout_ms = w.spec.cluster.buffer_timeout_ms;
    let mut blocked = false;
    for (i, &to) in outbox.targets.iter().enumerate() {
        let buf = &mut outbox.bufs[i];
        // The first buffer sent now arrives first (FIFO): the receiver wakes then.
        let mut first_at: Option<u64> = None;
        loop {
            match buf.front() {
                None => break,
                Some(OutItem::Records(chunk, since)) => {
                    let n = chunk.len();
                    // A partly filled buffer with nothing behind it waits for more records
                    // until the buffer timeout (Flink's output flusher); an event behind it, a
                    // full buffer or a timeout of 0 sends it.
                    if n < buffer_records && buf.len() == 1 && now < since + buffer_timeout_ms {
                        break;
                    }
                    let ch = w.channels.entry((attempt.0, task, to)).or_default();
                    if ch.record_buffers >= capacity {
                        // A full buffer, or more behind this one, waits for credit.
                        if n >= buffer_records || buf.len() > 1 {
                            blocked = true;
                        }
                        break;
                    }
                    let Some(OutItem::Records(recs, _)) = buf.pop_front() else { unreachable!("front is a chunk") };
                    w.item_seq += 1;
                    let seq = w.item_seq;
                    let at = (now + latency).max(ch.last_deliver_ms);
                    ch.last_deliver_ms = at;
                    ch.record_buffers += 1;
                    ch.queue.push_back((at, seq, Item::Records(recs)));
                    first_at = first_at.or(Some(at));
                }
                Some(OutItem::Event(_)) => {
                    let Some(OutItem::Event(el)) = buf.pop_front() else { unreachable!("front is an event") };
                    w.item_seq += 1;
                    let seq = w.item_seq;
                    let ch = w.channels.entry((attempt.0, task, to)).or_default();
                    let at = (now + latency).max(ch.last_deliver_ms);
                    ch.last_deliver_ms = at;
                    ch.queue.push_back((at, seq, Item::Event(el, 0)));
                    first_at = first_at.or(Some(at));
                }
            }
        }
        if let Some(at) = first_at {
            w.wake_at(Sleeper::Task(to, attempt), at);
        }
    }
    blocked
}

enum Take {
    Records(u64),
    Event,
    WaitUntil(Option<u64>),
}

/// Takes the next due item from an unblocked input channel, in arrival order.
fn take_input(w: &mut World, t: &mut Task, tm: u32, key: (TaskId, Attempt), inputs: &[TaskId], now: u64) -> Take {
    let (task, attempt) = key;
    let mut best: Option<(u64, u64, usize)> = None;
    let mut next_due: Option<u64> = None;
    for (i, &from) in inputs.iter().enumerate() {
        if t.is_blocked(ChannelId(i as u32)) {
            continue;
        }
        if let Some(ch) = w.channels.get(&(attempt.0, from, task)) {
            if let Some(&(at, seq, _)) = ch.queue.front() {
                if at <= now {
                    if best.is_none_or(|(a, s, _)| (at, seq) < (a, s)) {
                        best = Some((at, seq, i));
                    }
                } else {
                    next_due = Some(next_due.map_or(at, |d: u64| d.min(at)));
                }
            }
        }
    }
    let Some((_, _, i)) = best else { return Take::WaitUntil(next_due) };
    let from = inputs[i];
    let ch = w.channels.get_mut(&(attempt.0, from, task)).expect("channel exists");
    let (_, _, item) = ch.queue.pop_front().expect("front exists");
    if matches!(item, Item::Records(_)) {
        ch.record_buffers -= 1;
    }
    match item {
        Item::Records(recs) => {
            let n = recs.len() as u64;
            let counters = w.counters.entry(tm).or_default();
            for r in recs {
                t.handle_input(now, ChannelId(i as u32), StreamElement::Record(r), 0, counters);
                if t.has_failed() {
                    break;
                }
            }
            w.notify_task((from, attempt));
            Take::Records(n)
        }
        Item::Event(el, overtaken) => {
            let barrier_anchors = w.anchored.iter().any(|(at, _)| matches!(at, FaultAt::BarrierAt { .. }));
            if let (StreamElement::Barrier(b), true) = (&el, barrier_anchors) {
                let (vi, sub) = w.graph.task_vertex[task.0 as usize];
                let ops: Vec<String> =
                    w.graph.vertices[vi].ops.iter().map(|&o| format!("{}[{sub}]", w.spec.operators[o].name)).collect();
                for o in ops {
                    w.fire_anchor(&FaultAt::BarrierAt { checkpoint: b.id.0, task: o });
                }
            }
            let counters = w.counters.entry(tm).or_default();
            t.handle_input(now, ChannelId(i as u32), el, overtaken, counters);
            Take::Event
        }
    }
}

/// Whether a log source task has read every input before `after` (input order) in its
/// partitions: the next record of each owned partition, if any, is at or beyond it.
fn log_source_at_gate(w: &World, t: &Task, after: u64) -> bool {
    t.fetch_positions().is_some_and(|m| {
        m.iter().all(|(p, o)| {
            w.log
                .records
                .get(p.0 as usize)
                .and_then(|r| r.get(o.0 as usize))
                .is_none_or(|r| r.lineage.input_seq >= after)
        })
    })
}

/// Whether a log source task has read every owned partition to the end of the scenario's
/// records (the stopping offsets of a bounded source).
fn log_source_at_end(w: &World, t: &Task) -> bool {
    t.fetch_positions()
        .is_some_and(|m| m.iter().all(|(p, o)| o.0 as usize >= w.log.records.get(p.0 as usize).map_or(0, |r| r.len())))
}

enum Fetch {
    Records(u64),
    WaitUntil(Option<u64>),
}

/// A log source reads from the broker: visible records (appended at or before now) of its
/// partitions, merged in append order, up to `max` records.
///
/// Runs of consecutive records from one partition are handed to the task as slices of the log
/// (no copy): the run ends where another partition's visible head comes first.
fn fetch_and_process(w: &mut World, t: &mut Task, tm: u32, now: u64, max: usize, limit: Option<u64>) -> Fetch {
    if !w.faults.broker_up {
        return Fetch::WaitUntil(Some(now + 100));
    }
    let mut cursor: Vec<(usize, usize)> =
        t.fetch_positions().map(|m| m.iter().map(|(p, o)| (p.0 as usize, o.0 as usize)).collect()).unwrap_or_default();
    let log = &w.log;
    let counters = w.counters.entry(tm).or_default();
    let visible_seq = |p: usize, off: usize| -> Option<u64> {
        let at = *log.at.get(p)?.get(off)?;
        let seq = log.records[p][off].lineage.input_seq;
        (at <= now && limit.is_none_or(|l| seq < l)).then_some(seq)
    };
    let mut total = 0;
    while total < max {
        // The visible head that comes first, and the first of the others.
        let mut best: Option<(u64, usize)> = None;
        let mut second: Option<u64> = None;
        for (ci, &(p, off)) in cursor.iter().enumerate() {
            let Some(seq) = visible_seq(p, off) else { continue };
            match best {
                Some((b, _)) if seq >= b => second = Some(second.map_or(seq, |s: u64| s.min(seq))),
                _ => {
                    if let Some((b, _)) = best {
                        second = Some(second.map_or(b, |s: u64| s.min(b)));
                    }
                    best = Some((seq, ci));
                }
            }
        }
        let Some((_, ci)) = best else { break };
        let (p, off) = cursor[ci];
        let mut end = off;
        while total + (end - off) < max && visible_seq(p, end).is_some_and(|s| second.is_none_or(|o| s < o)) {
            end += 1;
        }
        t.handle_log_records(now, &log.records[p][off..end], counters);
        cursor[ci].1 = end;
        total += end - off;
    }
    if total == 0 {
        // Nothing visible: wake up when the first owned partition's next record appears.
        // Records behind a closed checkpoint gate are not waited for: the gate's opening (a
        // completion notification) wakes the task.
        let next_at = cursor
            .iter()
            .filter(|&&(p, off)| {
                limit
                    .is_none_or(|l| log.records.get(p).and_then(|v| v.get(off)).is_none_or(|r| r.lineage.input_seq < l))
            })
            .filter_map(|&(p, off)| log.at.get(p).and_then(|v| v.get(off)).copied())
            .min();
        return Fetch::WaitUntil(next_at);
    }
    w.read_inputs += total as u64;
    Fetch::Records(total as u64)
}

// ------------------------------------------------------------------ client

async fn client_main(s: Shared) {
    s.with(|w| w.alive.insert(CLIENT, true));
    let (t0, spec) = s.with(|w| (w.t0, w.spec.clone()));
    let mut events: Vec<(u64, u8, usize)> = Vec::new();
    let session = spec.input_options.socket_connected_clock || spec.input_options.socket_buffer_unread;
    if let InputSpec::Lines(lines) = &spec.input {
        if session {
            madsim::task::spawn_local(socket_server(s.clone(), spec.clone()));
        } else {
            for (i, (at, _)) in lines.iter().enumerate() {
                events.push((*at, 0, i));
            }
        }
    }
    for (i, a) in spec.actions.iter().enumerate() {
        events.push((a.at_ms, 1, i));
    }
    events.sort();
    if !session && spec.input_options.bounded && matches!(&spec.input, InputSpec::Lines(l) if l.is_empty()) {
        s.with(close_socket);
    }
    for (at, kind, i) in events {
        sleep_until(t0 + Duration::from_millis(at)).await;
        s.with(|w| {
            if kind == 0 {
                let InputSpec::Lines(lines) = &spec.input else { return };
                let line = lines[i].1.clone();
                match w.socket_reader {
                    Some(key) if w.task_mail.contains_key(&key) => {
                        w.tr("client", "input", format!("#{i} {line:?}"));
                        w.task_mail
                            .get_mut(&key)
                            .expect("reader mailbox")
                            .push_back(TaskMail::Line { line, input_seq: i as u64 });
                        w.notify_task(key);
                    }
                    _ => {
                        w.tr("client", "input-lost", format!("#{i} {line:?}: no source is reading the socket"));
                        w.lost_inputs.push(i as u64);
                    }
                }
                if spec.input_options.bounded && i + 1 == lines.len() {
                    close_socket(w);
                }
            } else {
                let a = spec.actions[i].kind.clone();
                w.tr("client", "action", format!("{a:?}"));
                w.send(CLIENT, JM, Msg::Action(a));
            }
        });
    }
    std::future::pending::<()>().await;
}

/// The line server of a socket source with a session choice (`socket_clock = "connected"` or
/// `unread_lines = "buffer"`): it writes only to a connected reader. With the connected clock a
/// line's time is measured on a clock that runs only while a reader is connected; otherwise
/// on the job's clock, and lines due while nobody reads wait for the next reader. Checked every
/// millisecond while lines remain.
async fn socket_server(s: Shared, spec: Arc<JobSpec>) {
    let InputSpec::Lines(lines) = &spec.input else { return };
    let connected_clock = spec.input_options.socket_connected_clock;
    let mut script_ms: u64 = 0;
    let mut last_ms = s.with(|w| w.now());
    let mut next = 0;
    while next < lines.len() {
        s.with(|w| {
            let now = w.now();
            let reader = w.socket_reader.filter(|k| w.task_mail.contains_key(k));
            if reader.is_some() {
                script_ms += now - last_ms;
            }
            last_ms = now;
            let Some(key) = reader else { return };
            let clock = if connected_clock { script_ms } else { now };
            while next < lines.len() && lines[next].0 <= clock {
                let line = lines[next].1.clone();
                w.tr("client", "input", format!("#{next} {line:?}"));
                w.task_mail
                    .get_mut(&key)
                    .expect("reader mailbox")
                    .push_back(TaskMail::Line { line, input_seq: next as u64 });
                next += 1;
                w.notify_task(key);
            }
        });
        if next < lines.len() {
            sleep(Duration::from_millis(1)).await;
        }
    }
    if spec.input_options.bounded {
        s.with(close_socket);
    }
}

/// The socket server closes the connection after its last line: the reading source ends
/// (Flink's `SocketTextStreamFunction` returns when the stream ends and it may not retry).
fn close_socket(w: &mut World) {
    w.socket_closed = true;
    w.tr("client", "socket-closed", "the server closed the connection".to_string());
    if let Some(key) = w.socket_reader {
        if let Some(q) = w.task_mail.get_mut(&key) {
            q.push_back(TaskMail::EndOfInput);
            w.notify_task(key);
        }
    }
}

// ------------------------------------------------------------------ chaos

async fn chaos_main(s: Shared, handle: Handle, jm_node: madsim::task::NodeId, tm_nodes: Vec<madsim::task::NodeId>) {
    let (t0, clock, spec, notify) = s.with(|w| (w.t0, w.clock.clone(), w.spec.clone(), w.chaos_notify.clone()));
    // (time, start?, fault index)
    let mut timeline: BTreeSet<(u64, bool, usize)> = BTreeSet::new();
    for (i, f) in spec.faults.iter().enumerate() {
        if let FaultAt::Time(at) = f.at {
            timeline.insert((at, true, i));
        }
    }
    loop {
        let now = clock.now();
        // Anchored faults that fired become timed faults starting now.
        let fired: Vec<usize> = s.with(|w| w.fired_faults.drain(..).collect());
        for i in fired {
            timeline.insert((now, true, i));
        }
        while let Some(&(at, start, i)) = timeline.iter().next() {
            if at > now {
                break;
            }
            timeline.remove(&(at, start, i));
            let f = &spec.faults[i];
            if start {
                if let Some(d) = f.duration_ms {
                    timeline.insert((now + d, false, i));
                }
            }
            apply_fault(&s, &handle, jm_node, &tm_nodes, &f.kind, start, now);
            if !start || f.duration_ms.is_none() {
                s.with(|w| w.last_fault_end_ms = w.last_fault_end_ms.max(now));
            }
        }
        let next = timeline.iter().next().map(|(at, _, _)| *at);
        tokio_select_sleep_or_notify(&notify, &clock, next.map(|n| t0 + Duration::from_millis(n))).await;
    }
}

fn apply_fault(
    s: &Shared,
    handle: &Handle,
    jm_node: madsim::task::NodeId,
    tm_nodes: &[madsim::task::NodeId],
    kind: &FaultKind,
    start: bool,
    now: u64,
) {
    let verb = if start { "start" } else { "end" };
    s.with(|w| w.tr("chaos", "fault", format!("{verb} {kind:?}")));
    match kind {
        FaultKind::TaskFailure { task } => {
            if start {
                s.with(|w| {
                    if let Some(t) = w.graph.find_task(&w.spec, task) {
                        w.faults.failing_tasks.insert(t);
                        let keys: Vec<_> = w.task_notify.keys().filter(|k| k.0 == t).copied().collect();
                        for k in keys {
                            w.notify_task(k);
                        }
                    }
                });
            }
        }
        FaultKind::TmCrash { tm, restart_after_ms } => {
            // Crashing a process that is already down is a no-op (a second kill would schedule
            // a second restart, which would "crash" the restarted process without a fault).
            let down = s.with(|w| {
                let down = !w.alive.get(&tm_addr(*tm)).copied().unwrap_or(false);
                if start && down {
                    w.tr(&format!("tm{tm}"), "crash", "ignored: already down".into());
                }
                down
            });
            if start && !down {
                if let Some(&node) = tm_nodes.get(*tm as usize) {
                    handle.kill(node);
                    s.with(|w| {
                        w.alive.insert(tm_addr(*tm), false);
                        clear_inbox(w, tm_addr(*tm));
                        // The crashed process's tasks are gone: forget their mailboxes.
                        let dead: Vec<_> = w
                            .task_notify
                            .keys()
                            .filter(|k| w.graph.tasks[k.0 .0 as usize].tm == TmId(*tm))
                            .copied()
                            .collect();
                        for k in dead {
                            cleanup_task(w, k);
                        }
                        w.counters.remove(tm);
                        w.tr(&tm_node(*tm), "crash", format!("restart in {restart_after_ms} ms"));
                    });
                    let h = handle.clone();
                    let delay = *restart_after_ms;
                    madsim::task::spawn_local(async move {
                        sleep(Duration::from_millis(delay.max(1))).await;
                        h.restart(node);
                    });
                    let _ = now;
                }
            }
        }
        FaultKind::JmCrash { restart_after_ms } => {
            let down = s.with(|w| {
                let down = !w.alive.get(&JM).copied().unwrap_or(false);
                if start && down {
                    w.tr("jm", "crash", "ignored: already down".into());
                }
                // A globally terminal job is done: a new JobManager does not recover it (Flink's
                // JobResultStore), so the crash has nothing to suspend.
                let done = w.status.is_globally_terminal();
                if start && !down && done {
                    w.tr("jm", "crash", format!("ignored: the job is already {}", w.status));
                }
                down || done
            });
            if start && !down {
                handle.kill(jm_node);
                s.with(|w| {
                    w.alive.insert(JM, false);
                    clear_inbox(w, JM);
                    // The job of the lost JobManager is suspended; a new JobManager recovers it.
                    w.status = JobStatus::Suspended;
                    w.status_timeline.push((now, JobStatus::Suspended));
                    // Its pending checkpoints die with it (the job is suspended: Flink's
                    // CHECKPOINT_COORDINATOR_SUSPEND); the new JobManager never finishes them.
                    for row in w.checkpoints.values_mut().filter(|r| r.end_ms.is_none()) {
                        row.end_ms = Some(now);
                        row.outcome = "CHECKPOINT_COORDINATOR_SUSPEND".into();
                    }
                    w.tr("jm", "crash", format!("restart in {restart_after_ms} ms; TaskManagers cancel their tasks"));
                    // TaskManagers lose their leader and cancel every task.
                    let keys: Vec<_> = w.task_notify.keys().copied().collect();
                    for k in keys {
                        w.cancelled.insert(k);
                        w.notify_task(k);
                    }
                });
                let h = handle.clone();
                let delay = *restart_after_ms;
                madsim::task::spawn_local(async move {
                    sleep(Duration::from_millis(delay.max(1))).await;
                    h.restart(jm_node);
                });
            }
        }
        FaultKind::Partition { a, b, both } => s.with(|w| {
            let (Some(x), Some(y)) = (parse_node(a), parse_node(b)) else { return };
            if start {
                w.faults.partitions.push((x, y, *both));
            } else {
                w.faults.partitions.retain(|p| *p != (x, y, *both));
            }
        }),
        FaultKind::MessageLoss { rate } => s.with(|w| w.faults.loss_rate = if start { *rate } else { 0.0 }),
        FaultKind::ControlDelay { extra_ms } => {
            s.with(|w| w.faults.control_extra_ms = if start { *extra_ms } else { 0 })
        }
        FaultKind::SlowLink { task, extra_ms } => s.with(|w| {
            if let Some(t) = w.graph.find_task(&w.spec, task) {
                if start {
                    w.faults.slow_links.insert(t, *extra_ms);
                } else {
                    w.faults.slow_links.remove(&t);
                }
            }
        }),
        FaultKind::SlowSnapshot { task, sync_ms, async_ms } => s.with(|w| {
            if let Some(t) = w.graph.find_task(&w.spec, task) {
                if start {
                    w.faults.slow_snapshots.insert(t, (*sync_ms, *async_ms));
                } else {
                    w.faults.slow_snapshots.remove(&t);
                }
            }
        }),
        FaultKind::StorageFailure => s.with(|w| w.faults.storage_up = !start),
        FaultKind::StorageSlow { extra_ms } => {
            s.with(|w| w.faults.storage_extra_ms = if start { *extra_ms } else { 0 })
        }
        FaultKind::BrokerOutage => s.with(|w| w.faults.broker_up = !start),
        FaultKind::SinkStoreOutage => s.with(|w| w.faults.sink_store_up = !start),
        FaultKind::SlowOperator { operator, records_per_s } => s.with(|w| {
            let Some(op) = w.spec.operators.iter().position(|o| &o.name == operator) else { return };
            let Some(vi) = w.graph.vertices.iter().position(|v| v.ops.contains(&op)) else { return };
            for t in w.graph.vertex_tasks(vi) {
                if start {
                    w.faults.slow_ops.insert(t, *records_per_s);
                } else {
                    w.faults.slow_ops.remove(&t);
                }
            }
        }),
    }
    // Wake everything so the new fault state is seen.
    s.with(|w| {
        let keys: Vec<_> = w.task_notify.keys().copied().collect();
        for k in keys {
            w.notify_task(k);
        }
        if let Some(n) = w.node_notify.get(&JM) {
            n.notify_one();
        }
    });
}
