//! Bounded exhaustive exploration: the sans-IO core (JobMaster, coordinator, tasks, sources, sinks) driven directly, every order of deliverable messages and every failure point up to bounds, checked by the same checkers as a simulation run.
//!
//! A *state* is the whole system: the [`JobMaster`] (with its coordinator, restart strategy
//! and checkpoint store), every live task attempt, the data channels (FIFO per channel), the
//! control links JobManager → task and task → JobManager (FIFO per link, as Flink's RPC between
//! two endpoints), the broker's committed offsets, the transactional sink store and what the
//! checkers need to see. A *choice* moves it one step:
//!
//! | choice | what happens |
//! |---|---|
//! | `fetch:tN` | source task N reads the next visible record of its partitions |
//! | `data:A:tN:C` | task N takes the head of its input channel C (attempt A) |
//! | `to-task:tN` | the next JobManager message to task N arrives (deploy, trigger, notify, cancel) |
//! | `to-jm:tN` | task N's next message arrives at the JobManager (state update, ack, decline) |
//! | `lose:tN` | the next JobManager message to task N is lost |
//! | `lose-ack:tN` | (`--ack-losses`) task N's next message to the JobManager, an acknowledgement or a decline, is lost (Flink sends these RPCs once) |
//! | `trigger` / `savepoint` | (`--requests`, with a `trigger-checkpoint` / `savepoint` action in the scenario) a manual checkpoint / savepoint is requested from the coordinator (not periodic: the min pause does not hold it) |
//! | `tick` | virtual time jumps to the earliest timer (periodic trigger, restart delay, timeouts, the next record's append time) |
//! | `fail:tN` | task N throws |
//! | `crash-tm:N` | TaskManager N's process dies: its tasks are gone, messages on their way to them are lost, its per-process counters reset |
//! | `tm-lost:N` | the JobManager notices the crashed TaskManager N (heartbeat timeout): its executions fail; a replacement process offers the same slots |
//! | `zombie:tN:I` | message I of those task N's ended attempts sent (and the JobManager took) arrives again, late: the JobManager must ignore it (`--zombies`) |
//! | `stop` | (`--stops`, with a `stop-with-savepoint` action in the scenario) the JobManager stops periodic checkpoints and triggers the synchronous savepoint; its barriers, acks and notifications are then explored like any checkpoint's, and once it completed the sources finish (EndOfPartition downstream, FINISHED) and the job ends FINISHED |
//! | `rescale` | (`--rescales`, with a `rescale` action in the scenario) the job is cancelled with its latest completed checkpoint retained, and a new job (new epoch, the action's parallelisms, its own graph) starts from it, cut by the core's `rescale::assign` through the world's hand-off (`world::hand_off`) |
//! | `jm-failover` | the JobManager dies and a new leader takes over (HA): the job is suspended, pending checkpoints die, TaskManagers fail the old leader's tasks, everything in flight of the old epoch is fenced, and the new JobMaster recovers the latest completed checkpoint and the checkpoint id counter |
//!
//! The search is breadth-first, level by level, so the first violation found has a path of
//! minimal length. Visited states are deduplicated by a fingerprint of the whole state;
//! observations are kept per task, so two orders of independent deliveries (to different tasks)
//! that reach the same state are explored once — the partial-order reduction this explorer
//! relies on (with unaligned checkpoints a task that may send a barrier next also brings its
//! downstream tasks into the explored group: priority barriers overtake queued records). At each
//! state the safety checkers of a simulation run (exactly-once, at-least-once, state, offsets,
//! coordinator, restart) judge the run so far, and a rule only the explorer can pose: once every
//! input is read and delivered, each key's last printed value is the reference's final value
//! (`judge.rs`, `quiescent_state`; it sees a restore that lost an update); a state with no
//! choice left whose job or tasks are still in a transitional status (and whose timers were not
//! cut by the tick bound) is a liveness violation: no delivery can ever move it on.
//!
//! Attempts are namespaced by JobManager epoch: the explorer's attempt is
//! `(epoch - 1) * EPOCH_STRIDE + ` the JobMaster's own attempt, so a new leader's attempts never
//! collide with the old leader's (and the first epoch's numbers are the JobMaster's).
//!
//! Not modelled here (the world has them): heartbeats as timers (a crashed TaskManager is
//! noticed by the `tm-lost` step at any point), a JobManager that is down for a while (failover
//! is one step), zombie tasks of an old leader (TaskManagers fail them at once), processing cost
//! and credits, socket sources.

use crate::check::{self, Verdict};
use crate::graph::Graph;
use crate::reference::{self, Reference};
use crate::spec::{InputSpec, JobSpec};
use crate::trace::{EventData, Trace};
use crate::world::{build_log, BrokerLog, CheckpointRow, OffsetCommit, OutputRow, RunResult};
use ckptsim::coordinator::CoordinatorOutput;
use ckptsim::ids::{Attempt, ChannelId, CheckpointId, Offset, PartitionId, TaskId, TmId};
use ckptsim::job::{JobMaster, JobOutput};
use ckptsim::operator::SurvivingCounters;
use ckptsim::reason::CheckpointFailureReason;
use ckptsim::record::{Barrier, StreamElement};
use ckptsim::sink::TxnStore;
use ckptsim::state::{OperatorState, TaskSnapshot};
use ckptsim::status::{ExecutionState, JobStatus};
use ckptsim::store::CompletedCheckpoint;
use ckptsim::task::{Task, TaskOutput};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::{self, Write as _};
use std::rc::Rc;
use std::sync::Arc;

mod judge;
mod part;
mod sleep;
mod step;

use part::Part;

use judge::checkpoint_row;

/// Attempts of JobManager epoch E are numbered from `(E - 1) * EPOCH_STRIDE` (as the world does).
pub const EPOCH_STRIDE: u32 = crate::world::EPOCH_STRIDE;

/// How far the search goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Longest path (number of choices).
    pub max_depth: u32,
    /// Injected task failures on one path.
    pub max_failures: u32,
    /// Timer firings on one path (bounds the checkpoints triggered and restarts run).
    pub max_ticks: u32,
    /// Lost JobManager → task messages on one path.
    pub max_losses: u32,
    /// TaskManager process crashes on one path.
    pub max_tm_crashes: u32,
    /// JobManager failovers on one path.
    pub max_jm_failovers: u32,
    /// Late re-deliveries of an ended attempt's messages to the JobManager on one path.
    pub max_zombies: u32,
    /// Rescales on one path: the job is cancelled and the scenario's `rescale` action starts a
    /// new job with its parallelisms from the latest completed checkpoint (at most 1).
    pub max_rescales: u32,
    /// Stop-with-savepoint requests on one path (the scenario's `stop-with-savepoint` action
    /// gives the mode; at most 1).
    pub max_stops: u32,
    /// Lost acknowledgements and declines (task → JobManager checkpoint RPCs) on one path.
    pub max_ack_losses: u32,
    /// Manual checkpoint and savepoint requests (the scenario's `trigger-checkpoint` and
    /// `savepoint` actions) on one path.
    pub max_requests: u32,
    /// Distinct states before the search gives up (not exhausted).
    pub max_states: u64,
    /// Partial-order reduction (see `Explorer::reduce`); off explores every enabled choice.
    pub reduce: bool,
    /// Sleep sets on top of it (`sleep.rs`): a child is not generated through a choice whose
    /// result another path reaches by the same steps in another order.
    pub sleep: Sleep,
}

/// Which sleep sets the search uses (`sleep.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sleep {
    /// None: every reduced choice of a state is applied.
    #[default]
    Off,
    /// An earlier sibling's choice sleeps when independent and still among the reduced choices
    /// after it: every state of the reduced search is reached, at the same depth.
    Siblings,
    /// Godefroid's sleep sets (siblings' and the parent's sleeping choices, independence only):
    /// fewer children, but on top of this reduction some states are not reached.
    Inherit,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_depth: 60,
            max_failures: 1,
            max_ticks: 4,
            max_losses: 0,
            max_tm_crashes: 0,
            max_jm_failovers: 0,
            max_zombies: 0,
            max_rescales: 0,
            max_stops: 0,
            max_ack_losses: 0,
            max_requests: 0,
            max_states: 300_000,
            reduce: true,
            sleep: Sleep::Off,
        }
    }
}

/// One step of a path (see the module doc for the text form).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Choice {
    /// `fetch:tN`: source task N reads the next visible record of its partitions.
    Fetch(TaskId),
    /// `data:A:tN:C`: task `to` takes the head of its input channel `ch`.
    Data {
        /// The explorer's attempt number of the channel's sender (epoch-namespaced).
        attempt: u32,
        /// The receiving task.
        to: TaskId,
        /// The receiving task's input channel.
        ch: u32,
    },
    /// `to-task:tN`: the next JobManager message to task N arrives.
    ToTask(TaskId),
    /// `to-jm:tN`: task N's next message arrives at the JobManager.
    ToJm(TaskId),
    /// `lose:tN`: the next JobManager message to task N is lost.
    Lose(TaskId),
    /// `tick`: virtual time jumps to the earliest timer.
    Tick,
    /// `fail:tN`: task N throws.
    Fail(TaskId),
    /// `crash-tm:N`: TaskManager N's process dies.
    CrashTm(TmId),
    /// `tm-lost:N`: the JobManager notices the crashed TaskManager N.
    TmLost(TmId),
    /// `jm-failover`: the JobManager dies and a new leader recovers the job.
    JmFailover,
    /// `rescale`: the job is cancelled and a new one with the scenario's `rescale` parallelisms
    /// starts from the latest completed checkpoint.
    Rescale,
    /// `stop`: stop-with-savepoint (the scenario's action): a synchronous savepoint is triggered.
    Stop,
    /// `lose-ack:tN`: task N's next message to the JobManager (an ack or a decline) is lost.
    LoseAck(TaskId),
    /// `trigger`: a manual checkpoint is requested (the scenario's `trigger-checkpoint` action).
    Trigger,
    /// `savepoint`: a savepoint is requested (the scenario's `savepoint` action).
    Savepoint,
    /// `zombie:tN:I`: message `idx` that task `to`'s ended attempts sent arrives again, late.
    Zombie {
        /// The task whose ended attempts sent the message.
        to: TaskId,
        /// The message's index among those the JobManager took from ended attempts.
        idx: u32,
    },
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Choice::Fetch(t) => write!(f, "fetch:t{}", t.0),
            Choice::Data { attempt, to, ch } => write!(f, "data:{attempt}:t{}:{ch}", to.0),
            Choice::ToTask(t) => write!(f, "to-task:t{}", t.0),
            Choice::ToJm(t) => write!(f, "to-jm:t{}", t.0),
            Choice::Lose(t) => write!(f, "lose:t{}", t.0),
            Choice::Tick => f.write_str("tick"),
            Choice::Fail(t) => write!(f, "fail:t{}", t.0),
            Choice::CrashTm(tm) => write!(f, "crash-tm:{}", tm.0),
            Choice::TmLost(tm) => write!(f, "tm-lost:{}", tm.0),
            Choice::JmFailover => f.write_str("jm-failover"),
            Choice::Rescale => f.write_str("rescale"),
            Choice::Stop => f.write_str("stop"),
            Choice::LoseAck(t) => write!(f, "lose-ack:t{}", t.0),
            Choice::Trigger => f.write_str("trigger"),
            Choice::Savepoint => f.write_str("savepoint"),
            Choice::Zombie { to, idx } => write!(f, "zombie:t{}:{idx}", to.0),
        }
    }
}

impl std::str::FromStr for Choice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let task = |x: &str| -> Result<TaskId, String> {
            x.strip_prefix('t')
                .and_then(|n| n.parse().ok())
                .map(TaskId)
                .ok_or_else(|| format!("bad task `{x}` in `{s}`"))
        };
        let num = |x: &str| -> Result<u32, String> { x.parse().map_err(|_| format!("bad number `{x}` in `{s}`")) };
        let parts: Vec<&str> = s.trim().split(':').collect();
        match parts.as_slice() {
            ["tick"] => Ok(Choice::Tick),
            ["jm-failover"] => Ok(Choice::JmFailover),
            ["rescale"] => Ok(Choice::Rescale),
            ["stop"] => Ok(Choice::Stop),
            ["trigger"] => Ok(Choice::Trigger),
            ["savepoint"] => Ok(Choice::Savepoint),
            ["lose-ack", t] => Ok(Choice::LoseAck(task(t)?)),
            ["crash-tm", n] => Ok(Choice::CrashTm(TmId(num(n)?))),
            ["tm-lost", n] => Ok(Choice::TmLost(TmId(num(n)?))),
            ["fetch", t] => Ok(Choice::Fetch(task(t)?)),
            ["to-task", t] => Ok(Choice::ToTask(task(t)?)),
            ["to-jm", t] => Ok(Choice::ToJm(task(t)?)),
            ["lose", t] => Ok(Choice::Lose(task(t)?)),
            ["fail", t] => Ok(Choice::Fail(task(t)?)),
            ["zombie", t, i] => Ok(Choice::Zombie { to: task(t)?, idx: num(i)? }),
            ["data", a, t, c] => Ok(Choice::Data { attempt: num(a)?, to: task(t)?, ch: num(c)? }),
            _ => {
                Err(format!("unknown step `{s}` (fetch:tN, data:A:tN:C, to-task:tN, to-jm:tN, lose:tN, lose-ack:tN, trigger, savepoint, tick, fail:tN, crash-tm:N, tm-lost:N, jm-failover, rescale, stop, zombie:tN:I)"))
            }
        }
    }
}

/// A JobManager → task message.
#[derive(Clone, Debug, Hash)]
enum Ctl {
    Deploy { attempt: Attempt, restore: Option<Arc<CompletedCheckpoint>> },
    Cancel { attempt: Attempt },
    Trigger { attempt: Attempt, barrier: Barrier },
    NotifyComplete { attempt: Attempt, id: CheckpointId },
    NotifyAborted { attempt: Attempt, id: CheckpointId },
}

/// A task → JobManager message.
#[derive(Clone, Debug, Hash)]
enum Up {
    State { attempt: Attempt, state: ExecutionState, cause: Option<String> },
    Ack { attempt: Attempt, id: CheckpointId, snapshot: TaskSnapshot },
    Decline { attempt: Attempt, id: CheckpointId, reason: CheckpointFailureReason },
}

impl Up {
    fn attempt(&self) -> Attempt {
        match self {
            Up::State { attempt, .. } | Up::Ack { attempt, .. } | Up::Decline { attempt, .. } => *attempt,
        }
    }
}

/// A job master that reports its queue and store changes, as the world's do
/// (`world/jobmanager.rs`).
fn reporting(mut jm: JobMaster) -> JobMaster {
    jm.report_queue_changes();
    jm.report_store_changes();
    jm
}

/// What the checkers read, kept per task where the order across tasks does not matter.
#[derive(Clone, Debug, Hash)]
struct Obs {
    status: JobStatus,
    status_timeline: Vec<(u64, JobStatus)>,
    restart_schedule: Vec<(u64, u32, u64)>,
    restarts: u32,
    /// The JobManager's restart decisions as the world traces them (`#N restart at … (backoff
    /// … ms): cause` / `#N restart suppressed: cause`): the restart and tolerable-failure
    /// checkers read them.
    failures: Vec<(u64, String, EventData)>,
    /// Checkpoint triggers in order (the coordinator checker reads them: ids are never reused,
    /// across JobManager leaders too).
    triggers: Vec<(u64, CheckpointId)>,
    checkpoints: BTreeMap<CheckpointId, CheckpointRow>,
    /// The millisecond of the last checkpoint outcome and how many were recorded in it
    /// (`next_end_seq`).
    end_seq: (u64, u32),
    print_rows: BTreeMap<TaskId, Vec<OutputRow>>,
    /// Records an event-time window sent to its late side output.
    late_records: Vec<OutputRow>,
    /// User operators' list state as a checkpoint stored it and as each restore gave it.
    restored_lists: Vec<crate::world::ListRestore>,
    /// New jobs started from a checkpoint (the rescale step's).
    restores: Vec<crate::world::RestoreRecord>,
    /// The rescales that started a new job (the checkers read a rescaled job's tasks by them).
    rescales: Vec<crate::world::RescaleRecord>,
    /// Per attempt, the keyed state the job's last keyed operator restored.
    restored_keyed: BTreeMap<Attempt, BTreeMap<ckptsim::record::Value, ckptsim::record::Value>>,
    sink_anomalies: Vec<String>,
    offset_commits: BTreeMap<TaskId, Vec<OffsetCommit>>,
    completed_offsets: BTreeMap<CheckpointId, BTreeMap<PartitionId, Offset>>,
    completed_in_flight: BTreeMap<CheckpointId, BTreeSet<u64>>,
    completion_seen: BTreeMap<TaskId, CheckpointId>,
    retained: Vec<CheckpointId>,
    read_inputs: u64,
    /// Late messages of ended attempts that changed the JobMaster (it must ignore them).
    zombie_anomalies: Vec<String>,
    /// The stop-with-savepoint requests (the `stop` step), as the world records them.
    stops: Vec<crate::world::StopRecord>,
    /// Records a task processed after its stop's savepoint barrier: (time, task, attempt, the
    /// core's report), traced as the world traces them for the `stop` checker.
    after_stop: Vec<(u64, TaskId, Attempt, ckptsim::task::RecordAfterStop)>,
    /// Job masters created on this path (the first job's, a new leader's, a rescaled job's):
    /// the `epoch` of the queue and store reports, each coordinator's queue and store start
    /// empty.
    coordinators: u32,
    /// Every change of the decider's queue (`CoordinatorOutput::Queue`), as the world records
    /// them: the `coordinator` checker replays the queue.
    requests: Vec<crate::world::RequestEvent>,
    /// Every change of the completed-checkpoint store (`CoordinatorOutput::Stored`): the
    /// `retention` checker replays the store after every completion.
    stores: Vec<crate::world::StoreEvent>,
}

/// One data channel's queue: stream elements, each with the number of records a priority barrier
/// overtook (copy-on-write, `part.rs`).
type DataQueue = Part<VecDeque<(StreamElement, u32)>>;

/// The whole system at one point of a path.
#[derive(Clone, Debug)]
struct Sys {
    now_ms: u64,
    jm: Part<JobMaster>,
    tasks: BTreeMap<TaskId, Part<Task>>,
    /// (attempt, downstream task, input channel) → elements with the records a priority
    /// barrier overtook. Each queue (and each link below) is a copy-on-write part: a child
    /// state shares its parent's queues and copies only the ones its step changes.
    data: BTreeMap<(u32, TaskId, u32), DataQueue>,
    to_task: BTreeMap<TaskId, Part<VecDeque<Ctl>>>,
    to_jm: BTreeMap<TaskId, Part<VecDeque<Up>>>,
    committed_offsets: BTreeMap<PartitionId, Offset>,
    store: TxnStore,
    counters: BTreeMap<u32, SurvivingCounters>,
    sink_epochs: BTreeMap<TaskId, Attempt>,
    restored_from: BTreeMap<TaskId, CheckpointId>,
    obs: Part<Obs>,
    failures: u32,
    ticks: u32,
    losses: u32,
    tm_crashes: u32,
    jm_failovers: u32,
    /// The JobManager epoch (1 for the first leader).
    epoch: u32,
    /// TaskManagers whose process crashed and that the JobManager has not noticed yet.
    crashed_tms: BTreeSet<TmId>,
    /// The HA store: the latest completed checkpoint and the checkpoint id counter, which a
    /// new JobManager recovers.
    ha_latest: Option<Arc<CompletedCheckpoint>>,
    ha_next_id: CheckpointId,
    /// The virtual time of the last timer firing: a timer still due at that same time (a
    /// deadline a machine keeps reporting while it waits for something else) does not fire
    /// again until time or something else moves.
    ticked_at: Option<u64>,
    /// With `--zombies`: per task, the messages the JobManager of this epoch took from it, which
    /// a zombie may deliver again once their attempt has ended.
    delivered_up: BTreeMap<TaskId, Vec<Up>>,
    /// Zombie deliveries on this path (not in the fingerprint: a zombie delivery the JobMaster
    /// ignores leaves the state as it was, which the search has seen).
    zombies: u32,
    /// Which job runs: 0 the scenario's, 1 the rescaled one (`Explorer::jobs`).
    job: usize,
    /// Rescales on this path.
    rescales: u32,
    /// The rescale's new job was refused (its state assignment failed): it is FAILED, nothing
    /// runs.
    rescale_refused: bool,
    /// Stop-with-savepoint requests on this path.
    stops: u32,
    /// A stop's synchronous savepoint requested at this time has not completed or failed yet.
    stop_pending_since: Option<u64>,
    /// The stop's savepoint completed: a failover after it fails the stop.
    stop_completed: bool,
    /// The acknowledgements each pending checkpoint awaits, as the JobManager saw them (the
    /// world's `acks.rs` record, fed from the same JobMaster outputs): a completed checkpoint's
    /// row carries them for the `coordinator` checker's acknowledgement rule.
    acks: Part<crate::world::AckWatch>,
    /// Lost acknowledgements and declines on this path.
    ack_losses: u32,
    /// Manual checkpoint and savepoint requests on this path.
    requests: u32,
}

impl Sys {
    /// A new job's sinks have seen no completion yet (the commit horizon starts over).
    fn completion_seen_reset(&mut self) {
        if !self.obs.completion_seen.is_empty() {
            self.obs.make_mut().completion_seen.clear();
        }
    }
}

/// A state's fingerprint: the machines' derived `Hash` fed word by word into an FNV-style
/// multiply-rotate step (integers are one step each; byte strings eight bytes a step).
/// Deterministic (no random keys) and computed without formatting any text.
struct Fingerprint(u64);

impl Fingerprint {
    fn new() -> Self {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }

    fn word(&mut self, w: u64) {
        // A word's high bytes would only reach the top bits: the rotation brings them down.
        self.0 ^= w;
        self.0 = self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
}

impl std::hash::Hasher for Fingerprint {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().expect("eight bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // The length in the top byte (a remainder has at most seven bytes, so the top
            // byte is free): "a\0" and "a" differ.
            let mut w = (rest.len() as u64) << 56;
            for (i, b) in rest.iter().enumerate() {
                w |= (*b as u64) << (8 * i);
            }
            self.word(w);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.word(i as u64);
    }

    fn write_u16(&mut self, i: u16) {
        self.word(i as u64);
    }

    fn write_u32(&mut self, i: u32) {
        self.word(i as u64);
    }

    fn write_u64(&mut self, i: u64) {
        self.word(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.word(i as u64);
    }

    fn write_i64(&mut self, i: i64) {
        self.word(i as u64);
    }

    fn write_isize(&mut self, i: isize) {
        self.word(i as u64);
    }
}

impl Sys {
    /// A cheap summary of everything the safety checkers read: equal before and after a step
    /// means their verdict cannot have changed.
    fn observed(&self) -> [u64; 10] {
        let o = &self.obs;
        [
            self.now_ms,
            o.status_timeline.len() as u64,
            o.restart_schedule.len() as u64 + o.restarts as u64 + o.failures.len() as u64,
            o.checkpoints.values().filter(|r| r.end_ms.is_some()).count() as u64 + o.checkpoints.len() as u64 * 1000,
            o.print_rows.values().map(|v| v.len() as u64).sum(),
            o.sink_anomalies.len() as u64 + o.zombie_anomalies.len() as u64 + o.after_stop.len() as u64 * 1000,
            o.offset_commits.values().map(|v| v.len() as u64).sum(),
            o.completion_seen.values().map(|c| c.0).sum(),
            self.store.committed().len() as u64,
            self.store.open_txns().len() as u64 + o.retained.len() as u64 * 1000 + o.stops.len() as u64 * 1_000_000,
        ]
    }

    /// The fingerprint of the same state with every part copied afresh (no cached part
    /// fingerprint): equal to [`Sys::fingerprint`] unless a part changed without `make_mut`.
    fn fresh_fingerprint(&self) -> u64 {
        let mut fresh = self.clone();
        fresh.jm = self.jm.fresh();
        fresh.obs = self.obs.fresh();
        fresh.acks = self.acks.fresh();
        for task in fresh.tasks.values_mut() {
            *task = task.fresh();
        }
        for q in fresh.data.values_mut() {
            *q = q.fresh();
        }
        for q in fresh.to_task.values_mut() {
            *q = q.fresh();
        }
        for q in fresh.to_jm.values_mut() {
            *q = q.fresh();
        }
        fresh.fingerprint()
    }

    /// The whole state's fingerprint: the JobMaster's and each task's cached part fingerprints
    /// (`part.rs`) and the formatted rest.
    fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = Fingerprint::new();
        h.word(self.jm.fp());
        for (t, task) in &self.tasks {
            h.word(t.0 as u64);
            h.word(task.fp());
        }
        h.word(self.obs.fp());
        h.word(self.acks.fp());
        self.now_ms.hash(&mut h);
        self.tasks.len().hash(&mut h);
        // Each queue by its cached fingerprint (the queue's derived `Hash`), in key order.
        self.data.len().hash(&mut h);
        for (k, q) in &self.data {
            k.hash(&mut h);
            h.word(q.fp());
        }
        self.to_task.len().hash(&mut h);
        for (k, q) in &self.to_task {
            k.hash(&mut h);
            h.word(q.fp());
        }
        self.to_jm.len().hash(&mut h);
        for (k, q) in &self.to_jm {
            k.hash(&mut h);
            h.word(q.fp());
        }
        self.committed_offsets.hash(&mut h);
        self.store.hash(&mut h);
        self.counters.hash(&mut h);
        self.sink_epochs.hash(&mut h);
        self.restored_from.hash(&mut h);
        (self.failures, self.ticks, self.losses, self.ticked_at).hash(&mut h);
        (self.tm_crashes, self.jm_failovers, self.epoch).hash(&mut h);
        self.crashed_tms.hash(&mut h);
        (self.ha_latest.as_ref().map(|c| c.id), self.ha_next_id).hash(&mut h);
        if !self.delivered_up.is_empty() {
            h.word(1);
            self.delivered_up.hash(&mut h);
        }
        if self.rescales > 0 {
            h.word(2);
            (self.job, self.rescales, self.rescale_refused).hash(&mut h);
        }
        if self.stops > 0 {
            h.word(3);
            (self.stops, self.stop_pending_since, self.stop_completed).hash(&mut h);
        }
        if self.ack_losses > 0 || self.requests > 0 {
            h.word(4);
            (self.ack_losses, self.requests).hash(&mut h);
        }
        h.finish()
    }
}

/// The visited states by fingerprint. A fingerprint is a hash already, so the map takes it as
/// its own hash ([`FpHasher`]) instead of hashing it again, and looks it up in one probe instead
/// of a B-tree's descent (session 11: the B-tree was a twentieth of the search). `IndexMap`
/// keeps insertion order, and the search never iterates it: only `get_mut`, `insert` and `len`.
type Visited = indexmap::IndexMap<u64, Vec<Choice>, std::hash::BuildHasherDefault<FpHasher>>;

/// The identity hasher of [`Visited`]: a `u64` key is its own hash.
#[derive(Default)]
struct FpHasher(u64);

impl std::hash::Hasher for FpHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}

/// The last step of a path, linked to the step before it: children share their parent's
/// path instead of copying it.
struct PathStep {
    choice: Choice,
    parent: Option<Rc<PathStep>>,
}

impl PathStep {
    /// The whole path ending in `last`, first step first.
    fn path(last: &Option<Rc<PathStep>>) -> Vec<Choice> {
        let mut out = Vec::new();
        let mut at = last.as_deref();
        while let Some(step) = at {
            out.push(step.choice);
            at = step.parent.as_deref();
        }
        out.reverse();
        out
    }
}

/// A state waiting in the breadth-first frontier.
struct Node {
    sys: Sys,
    /// The last step of its path (shared with its siblings).
    path: Option<Rc<PathStep>>,
    /// Whether that step changed what the checkers read.
    changed: bool,
    /// Choices not taken from here (sorted): `sleep.rs`.
    sleep: Vec<Choice>,
    /// A visited state expanded again: only these choices (it was judged when first seen).
    only: Option<Vec<Choice>>,
}

/// A checker's verdict on a state: `Some((checker, anomaly))` when it fails.
pub type Judgement = Option<(String, String)>;

/// What one exploration found.
#[derive(Clone, Debug)]
pub struct ExploreReport {
    /// States expanded (choices applied to them).
    pub states_expanded: u64,
    /// Distinct states seen.
    pub distinct_states: u64,
    /// Deepest level reached.
    pub depth_reached: u32,
    /// States with no choice left.
    pub terminal_states: u64,
    /// Children generated (choices applied), re-expansions included.
    pub children: u64,
    /// Visited states expanded again because a later visit slept on fewer choices.
    pub reexpanded: u64,
    /// True when every state within the bounds was visited.
    pub exhausted: bool,
    /// Wall-clock seconds the search took.
    pub elapsed_s: f64,
    /// The first (shortest) counterexample found, if any.
    pub violation: Option<Violation>,
}

/// A counterexample: the shortest path found to a state a checker rejects.
#[derive(Clone, Debug)]
pub struct Violation {
    /// The choices from the initial state to the rejected one.
    pub path: Vec<Choice>,
    /// The checker that failed (`liveness` for a state no delivery can move on).
    pub checker: String,
    /// The checker's message for the rejected state.
    pub anomaly: String,
}

/// One job's fixed parts: its program, graph and channel wiring (the scenario's job, and with
/// `--rescales` the rescaled one: `Sys::job` says which one a state runs).
struct JobCtx {
    spec: JobSpec,
    graph: Graph,
    /// Per task, per output channel: (downstream task, its input channel).
    outs: Vec<Vec<(TaskId, u32)>>,
    /// Per task: every task upstream of it (transitively).
    upstream: Vec<Vec<TaskId>>,
}

impl JobCtx {
    fn new(spec: JobSpec) -> Self {
        let graph = Graph::build(&spec);
        let outs = graph
            .tasks
            .iter()
            .map(|t| {
                graph
                    .outputs_of(t.id)
                    .into_iter()
                    .map(|d| {
                        let ch = graph.inputs_of(d).iter().position(|u| *u == t.id).expect("an output is an input");
                        (d, ch as u32)
                    })
                    .collect()
            })
            .collect();
        let upstream = graph
            .tasks
            .iter()
            .map(|t| {
                let mut seen = BTreeSet::new();
                let mut stack = vec![t.id];
                while let Some(x) = stack.pop() {
                    for u in graph.inputs_of(x) {
                        if seen.insert(u) {
                            stack.push(u);
                        }
                    }
                }
                seen.into_iter().collect()
            })
            .collect();
        JobCtx { spec, graph, outs, upstream }
    }
}

/// The fixed parts of an exploration: job(s), log, reference, bounds.
pub struct Explorer<'a> {
    /// The scenario's job as written: what the checkers judge against (as in the world, a
    /// rescaled job is described to them by its `RescaleRecord`).
    spec: &'a JobSpec,
    /// The scenario's job and, when it has a `rescale` action and `--rescales` allows one, the
    /// rescaled job.
    jobs: Vec<JobCtx>,
    /// The scenario's `rescale` action (the new parallelisms), if any.
    rescale: Option<crate::scenario::RescaleSpec>,
    /// The scenario's `stop-with-savepoint` action (its mode), if any: the `stop` step's.
    stop: Option<ckptsim::record::StopMode>,
    /// Whether the scenario has a `trigger-checkpoint` / a `savepoint` action: the `trigger` /
    /// `savepoint` steps (`--requests`).
    manual_trigger: bool,
    manual_savepoint: bool,
    log: BrokerLog,
    log_end: BTreeMap<PartitionId, Offset>,
    reference: Reference,
    bounds: Bounds,
}

impl<'a> Explorer<'a> {
    /// Prepares the exploration of `spec` within `bounds`: chains the job graph, builds the
    /// broker log and the fault-free reference (the search itself runs in [`Explorer::explore`]).
    pub fn new(spec: &'a JobSpec, bounds: Bounds) -> Self {
        let log = build_log(spec);
        let log_end = (0..log.partitions()).map(|p| (PartitionId(p as u32), Offset(log.len(p) as u64))).collect();
        let reference = reference::compute(spec);
        let rescale = spec.actions.iter().find_map(|a| match &a.kind {
            crate::spec::ActionSpec::Rescale(r) => Some(r.clone()),
            _ => None,
        });
        let stop = spec.actions.iter().find_map(|a| match a.kind {
            crate::spec::ActionSpec::StopWithSavepoint { drain: true } => Some(ckptsim::record::StopMode::Drain),
            crate::spec::ActionSpec::StopWithSavepoint { drain: false } => Some(ckptsim::record::StopMode::NoDrain),
            _ => None,
        });
        let manual_trigger = spec.actions.iter().any(|a| matches!(a.kind, crate::spec::ActionSpec::TriggerCheckpoint));
        let manual_savepoint = spec.actions.iter().any(|a| matches!(a.kind, crate::spec::ActionSpec::Savepoint));
        let mut jobs = vec![JobCtx::new(spec.clone())];
        if let Some(r) = rescale.as_ref().filter(|_| bounds.max_rescales > 0) {
            jobs.push(JobCtx::new(crate::world::rescaled_spec(spec, r)));
        }
        Explorer { spec, jobs, rescale, stop, manual_trigger, manual_savepoint, log, log_end, reference, bounds }
    }

    /// The job state `sys` runs (the scenario's, or the rescaled one).
    fn job(&self, sys: &Sys) -> &JobCtx {
        &self.jobs[sys.job]
    }

    fn initial(&self) -> Sys {
        // A fixed random value: the explorer enumerates orders, not draws.
        let job = &self.jobs[0];
        let params = job.spec.job_params(job.graph.tasks.clone(), 0);
        let mut sys = Sys {
            now_ms: 0,
            jm: Part::new(reporting(JobMaster::new(params))),
            tasks: BTreeMap::new(),
            data: BTreeMap::new(),
            to_task: BTreeMap::new(),
            to_jm: BTreeMap::new(),
            committed_offsets: BTreeMap::new(),
            store: TxnStore::new(self.spec.operators.last().map(|o| o.sink_store).unwrap_or_default()),
            counters: BTreeMap::new(),
            sink_epochs: BTreeMap::new(),
            restored_from: BTreeMap::new(),
            obs: Part::new(Obs {
                status: JobStatus::Created,
                status_timeline: vec![(0, JobStatus::Created)],
                restart_schedule: vec![],
                restarts: 0,
                failures: vec![],
                triggers: vec![],
                checkpoints: BTreeMap::new(),
                end_seq: (0, 0),
                print_rows: BTreeMap::new(),
                late_records: vec![],
                restored_lists: vec![],
                restored_keyed: BTreeMap::new(),
                rescales: vec![],
                restores: vec![],
                sink_anomalies: vec![],
                offset_commits: BTreeMap::new(),
                completed_offsets: BTreeMap::new(),
                completed_in_flight: BTreeMap::new(),
                completion_seen: BTreeMap::new(),
                retained: vec![],
                read_inputs: 0,
                zombie_anomalies: vec![],
                stops: vec![],
                after_stop: vec![],
                coordinators: 1,
                requests: vec![],
                stores: vec![],
            }),
            failures: 0,
            ticks: 0,
            losses: 0,
            tm_crashes: 0,
            jm_failovers: 0,
            epoch: 1,
            crashed_tms: BTreeSet::new(),
            ha_latest: None,
            ha_next_id: CheckpointId(1),
            ticked_at: None,
            delivered_up: BTreeMap::new(),
            zombies: 0,
            job: 0,
            rescales: 0,
            rescale_refused: false,
            stops: 0,
            stop_pending_since: None,
            stop_completed: false,
            acks: Part::new(crate::world::AckWatch::default()),
            ack_losses: 0,
            requests: 0,
        };
        sys.jm.make_mut().start(0, None);
        self.route_jm(&mut sys);
        sys
    }

    /// Breadth-first search within the bounds; stops at the first (shortest) violation.
    pub fn explore(&self) -> ExploreReport {
        let wall = std::time::Instant::now();
        let init = self.initial();
        // Each visited state's fingerprint with the sleep set it was expanded with (sorted):
        // a later visit that sleeps on fewer choices expands it again with the difference.
        let mut visited: Visited = Visited::default();
        visited.insert(init.fingerprint(), Vec::new());
        let mut frontier: Vec<Node> =
            vec![Node { sys: init, path: None, changed: true, sleep: Vec::new(), only: None }];
        let mut report = ExploreReport {
            states_expanded: 0,
            distinct_states: 1,
            depth_reached: 0,
            terminal_states: 0,
            children: 0,
            reexpanded: 0,
            exhausted: false,
            elapsed_s: 0.0,
            violation: None,
        };
        let mut cut = false;
        // Every state of a level has a path of the level's length.
        let mut level: u32 = 0;
        'levels: while !frontier.is_empty() {
            let mut next = Vec::with_capacity(frontier.len() * 2);
            for Node { sys, path, changed, sleep, only } in frontier {
                let choices = self.choices(&sys);
                let terminal = choices.is_empty();
                if only.is_none() {
                    let verdict =
                        if changed || terminal { self.judge(&sys, terminal) } else { self.quiescent_state(&sys) };
                    if let Some((checker, anomaly)) = verdict {
                        report.violation = Some(Violation { path: PathStep::path(&path), checker, anomaly });
                        break 'levels;
                    }
                    if terminal {
                        report.terminal_states += 1;
                        continue;
                    }
                } else {
                    report.reexpanded += 1;
                }
                if level >= self.bounds.max_depth {
                    cut = true;
                    continue;
                }
                report.states_expanded += 1;
                let before = sys.observed();
                // Choices taken here so far, with the choices of the state each led to (computed
                // when a later sibling first asks): a later sibling's child sleeps on those
                // independent of its own step.
                let mut done: Vec<(Choice, Option<Sys>, Option<Vec<Choice>>)> = Vec::new();
                for c in choices {
                    if sleep.binary_search(&c).is_ok() || only.as_ref().is_some_and(|o| o.binary_search(&c).is_err()) {
                        continue;
                    }
                    let mut s2 = sys.clone();
                    let applied = self.apply(&mut s2, c);
                    debug_assert!(applied, "an enabled choice applies");
                    report.children += 1;
                    let mut child_sleep: Vec<Choice> = Vec::new();
                    if self.bounds.sleep == Sleep::Inherit {
                        child_sleep.extend(sleep.iter().copied().filter(|t| self.independent(&sys, *t, c)));
                        child_sleep.extend(done.iter().map(|d| d.0).filter(|t| self.independent(&sys, *t, c)));
                        child_sleep.sort_unstable();
                        done.push((c, None, None));
                    } else if self.bounds.sleep == Sleep::Siblings {
                        for (t, st, st_choices) in done.iter_mut() {
                            // t sleeps after c only if the search takes c after t (c is one of
                            // the reduced choices there): then that path reaches this state's
                            // child through t.
                            if self.independent(&sys, *t, c)
                                && st_choices
                                    .get_or_insert_with(|| st.as_ref().map(|st| self.choices(st)).unwrap_or_default())
                                    .contains(&c)
                            {
                                child_sleep.push(*t);
                            }
                        }
                        child_sleep.sort_unstable();
                        done.push((c, Some(s2.clone()), None));
                    }
                    let fp = s2.fingerprint();
                    let (child_sleep, child_only) = match visited.get_mut(&fp) {
                        None => {
                            visited.insert(fp, child_sleep.clone());
                            if visited.len() as u64 > self.bounds.max_states {
                                cut = true;
                                break 'levels;
                            }
                            (child_sleep, None)
                        }
                        Some(stored) => {
                            // Seen before: expand again only with the choices it slept on then
                            // and does not sleep on now.
                            let missing = sleep::minus(stored, &child_sleep);
                            if missing.is_empty() {
                                continue;
                            }
                            *stored = sleep::intersect(stored, &child_sleep);
                            (stored.clone(), Some(missing))
                        }
                    };
                    let p2 = Some(Rc::new(PathStep { choice: c, parent: path.clone() }));
                    let changed = s2.observed() != before;
                    next.push(Node { sys: s2, path: p2, changed, sleep: child_sleep, only: child_only });
                }
            }
            level += 1;
            report.distinct_states = visited.len() as u64;
            if !next.is_empty() {
                report.depth_reached += 1;
            }
            frontier = next;
        }
        report.distinct_states = visited.len() as u64;
        report.exhausted = report.violation.is_none() && !cut;
        report.elapsed_s = wall.elapsed().as_secs_f64();
        report
    }

    /// Replays `path` from the initial state: one line per step with what the system looked like
    /// after it, then the judgement of the final state. Err names the first step that is not
    /// enabled.
    pub fn replay(&self, path: &[Choice]) -> Result<(Vec<String>, Judgement), String> {
        let mut sys = self.initial();
        let mut lines = Vec::new();
        for (i, c) in path.iter().enumerate() {
            if !self.choices(&sys).contains(c) || !self.apply(&mut sys, *c) {
                return Err(format!("step {} ({c}) is not enabled in the replayed state", i + 1));
            }
            // The search trusts cached part fingerprints: a replay checks them at every step.
            if sys.fingerprint() != sys.fresh_fingerprint() {
                return Err(format!("step {} ({c}): a cached part fingerprint is stale", i + 1));
            }
            let next = self.next_timer(&sys).map_or("-".to_string(), |t| t.to_string());
            let tasks: Vec<String> = sys
                .jm
                .tasks()
                .iter()
                .map(|info| format!("{}={}", info.id, sys.jm.execution(info.id).1.name()))
                .collect();
            lines.push(format!(
                "{:>4} t={:<6} {:<16} job {:<11} next timer {next:<6} {}",
                i + 1,
                sys.now_ms,
                c.to_string(),
                sys.jm.status().to_string(),
                tasks.join(" ")
            ));
        }
        let terminal = self.choices(&sys).is_empty();
        Ok((lines, self.judge(&sys, terminal)))
    }
}

/// Whether `spec` is within what the explorer models (log source, no faults or actions).
pub fn supported(spec: &JobSpec) -> Result<(), String> {
    if !matches!(spec.input, InputSpec::Log { .. }) {
        return Err("explore needs a partitioned-log source (socket input is not modelled)".into());
    }
    if spec.input_options.bounded || !spec.input_options.gates.is_empty() {
        return Err("explore does not model bounded input or checkpoint gates yet".into());
    }
    if spec.kafka != crate::spec::KafkaSpec::default() {
        return Err("explore models the default [kafka] commit mode only (commit on checkpoint)".into());
    }
    if !spec.faults.is_empty() {
        return Err("explore enumerates its own failures: remove [[faults]] from the scenario".into());
    }
    // A rescale is explored as one step (`--rescales`): the scenario's `rescale` action gives
    // the new parallelisms, and the cancel or stop that ends the job before it is that step's
    // first half. A `stop-with-savepoint` is also the `stop` step (`--stops`), at any point.
    // Every other action is a time the explorer does not follow.
    use crate::spec::ActionSpec as ActionKind;
    let count = |f: fn(&ActionKind) -> bool| spec.actions.iter().filter(|a| f(&a.kind)).count();
    let rescales = count(|k| matches!(k, ActionKind::Rescale(_)));
    let stops = count(|k| matches!(k, ActionKind::StopWithSavepoint { .. }));
    let cancels = count(|k| matches!(k, ActionKind::Cancel));
    // Manual checkpoints and savepoints are the `trigger` and `savepoint` steps (`--requests`),
    // at any point while the job runs; any number of them stands for the step's kind.
    let requests = count(|k| matches!(k, ActionKind::TriggerCheckpoint | ActionKind::Savepoint));
    let others = spec.actions.len() - requests;
    let other = others - rescales - stops - cancels;
    let alone_stop = rescales == 0 && cancels == 0 && stops == 1;
    if other > 0 || rescales > 1 || stops > 1 || (rescales == 0 && others > 0 && !alone_stop) {
        return Err("explore enumerates its own steps: of [[actions]] only one `rescale` (with the `cancel` or `stop-with-savepoint` before it, as the `rescale` step's parallelisms), one `stop-with-savepoint` (the `stop` step's mode) and `trigger-checkpoint` / `savepoint` actions (the `trigger` / `savepoint` steps) are read".into());
    }
    Ok(())
}

/// Renders a report as the lines `ckptsim explore` prints.
pub fn render(r: &ExploreReport) -> String {
    let mut s = String::new();
    let rate = if r.elapsed_s > 0.0 { r.states_expanded as f64 / r.elapsed_s } else { 0.0 };
    let _ = writeln!(
        s,
        "explored {} states ({} distinct, {} terminal, {} children, {} expanded again), depth {}, {:.2} s, {:.0} states/s",
        r.states_expanded,
        r.distinct_states,
        r.terminal_states,
        r.children,
        r.reexpanded,
        r.depth_reached,
        r.elapsed_s,
        rate
    );
    match &r.violation {
        Some(v) => {
            let _ = writeln!(s, "VIOLATION {} after {} steps: {}", v.checker, v.path.len(), v.anomaly);
            let _ = writeln!(s, "path: {}", v.path.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" "));
        }
        None if r.exhausted => {
            let _ = writeln!(s, "exhausted: no violation within the bounds");
        }
        None => {
            let _ = writeln!(s, "not exhausted (depth or state bound reached): no violation found so far");
        }
    }
    s
}
