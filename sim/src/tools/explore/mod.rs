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
//! | `to-jm:tN` | task N's next message arrives at the JobManager (state update, ack, decline; flink-2.3: the failed answer to a trigger RPC for an attempt the TaskManager does not run, which aborts the checkpoint) |
//! | `lose:tN` | the next JobManager message to task N is lost |
//! | `lose-ack:tN` | (`--ack-losses`) task N's next message to the JobManager, an acknowledgement or a decline, is lost (Flink sends these RPCs once) |
//! | `trigger` / `savepoint` | (`--requests`, with a `trigger-checkpoint` / `savepoint` action in the scenario) a manual checkpoint / savepoint is requested from the coordinator (not periodic: the min pause does not hold it) |
//! | `retune` | (`--requests`, with a `retune` action in the scenario; session 43) the scenario's first re-tune reaches the JobManager while the job runs (`JobMaster::retune`), traced when accepted |
//! | `tick` | virtual time jumps to the earliest timer (periodic trigger, restart delay, timeouts, the next record's append time, a source's watermark emission, a processing-time window's timer) and every due one fires |
//! | `fail:tN` | task N throws |
//! | `crash-tm:N` | TaskManager N's process dies: its tasks are gone, messages on their way to them are lost, its per-process counters reset |
//! | `tm-lost:N` | the JobManager notices the crashed TaskManager N (heartbeat timeout): its executions fail; a replacement process offers the same slots. Enabled only while the JobManager's heartbeat monitor watches N |
//! | `hb-timeout:N` | (`--hb-timeouts`) TaskManager N's heartbeats stay away longer than the timeout both ways while its process lives (a partition, a long pause): the JobManager judges it lost (its executions fail) and stops watching it, and N fails the tasks of the leader it lost; the monitor watches N again once the JobMaster deploys to it (`JobMaster.registerTaskManager`) |
//! | `tm-hb-timeout:N` | (`--tm-hb-timeouts`) the live TaskManager N hears no heartbeat from the JobManager for the timeout while the JobManager still hears N (a one-way partition JobManager → N, the world's `direction = "one-way"`): N judges the leader lost and fails its tasks (Flink `TaskExecutor`'s `JobManagerHeartbeatListener#notifyHeartbeatTimeout` → `disconnectJobManagerConnection`); their FAILED updates reach the JobManager, which still watches N, as the world's heartbeat loop does (`world/taskmanager.rs` `heartbeat_tick`) |
//! | `jm-hb-timeout:N` | (`--jm-hb-timeouts`) the JobManager hears no heartbeat from the live TaskManager N for the timeout while N still hears it (a one-way partition N → JobManager healed before N's own timeout): the JobManager judges N lost (`JobMaster::handle_tm_lost`: its executions FAILED, a cancel to each, the restart strategy) while N's tasks run on until those cancels reach them; nothing is dropped and the monitor watches N again (its next heartbeat re-registers it, the world's `heartbeat`) |
//! | `slow-upload:tN` | (`--slow-uploads`) the acknowledgement at the head of task N's link to the JobManager waits for its snapshot's asynchronous part (Flink's `AsyncCheckpointRunnable` acknowledges once the upload finished), while the task runs on and sends newer messages past it |
//! | `upload:tN` | task N's oldest slow upload finished: its acknowledgement joins the tail of N's link to the JobManager; a task attempt that ends takes its unsent acknowledgements with it |
//! | `late-tick` | (`--late-ticks`) `tick` while deliveries are pending: the earliest timer fires before the messages on their way arrive (a network delay past it); counted as a tick too. Plain `tick` fires only once nothing waits (eager delivery, `Explorer::reduce`) |
//! | `zombie:tN:I` | message I of those task N's ended attempts sent (and the JobManager took) arrives again, late: the JobManager must ignore it (`--zombies`) |
//! | `stop` | (`--stops`, with a `stop-with-savepoint` action in the scenario) the JobManager stops periodic checkpoints and triggers the synchronous savepoint; its barriers, acks and notifications are then explored like any checkpoint's, and once it completed the sources finish (EndOfPartition downstream, FINISHED) and the job ends FINISHED |
//! | `cancel` | (`--cancels`, with a `cancel` action and no `rescale` in the scenario) the user cancels the job (`JobMaster::cancel`: CANCELLING, a cancel to every task); the tasks' CANCELED updates are then explored like any message, and once every task is terminal the job is CANCELED and its store keeps what the retention policy keeps |
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
//! cut by the tick bound) is a liveness violation: no delivery can ever move it on; so is a
//! pending checkpoint that a RUNNING task never acknowledged once every message and channel
//! element was delivered with nothing lost (`judge.rs`, `stuck_checkpoint`: only its expiry
//! can end it).
//!
//! Under `failover_strategy = "region"` (the default) a job of several pipelined regions
//! restarts one region at a time, as the JobMaster decides (`JobOutput::RegionRestored`): only
//! that region's tasks are cancelled and redeployed from the latest completed checkpoint, a
//! deployment drops only its own task's older channels (`route.rs` `drop_older_attempts`), and
//! the other regions run on; the restores are recorded for the `restart` checker's region rules
//! (`Obs::region_restores`).
//!
//! Attempts are namespaced by JobManager epoch: the explorer's attempt is
//! `(epoch - 1) * EPOCH_STRIDE + ` the JobMaster's own attempt, so a new leader's attempts never
//! collide with the old leader's (and the first epoch's numbers are the JobMaster's).
//!
//! Not modelled here (the world has them): heartbeats as timers (a crashed TaskManager is
//! noticed by the `tm-lost` step, and a live one judged lost by `hb-timeout`, at any point
//! of the path rather than a heartbeat timeout after its last heartbeat), a JobManager that is down for a while (failover
//! is one step), zombie tasks of an old leader (TaskManagers fail them at once), processing cost
//! and credits, socket sources.

use crate::check::{self, Verdict};
use crate::graph::Graph;
use crate::reference::{self, Reference};
use crate::spec::{InputSpec, JobSpec};
use crate::trace::{EventData, Trace};
use crate::world::{
    build_log_until, BarrierProtocol, BrokerLog, CheckpointRow, Handed, OffsetCommit, OutputRow, RetryCall, RunResult,
    StepMark,
};
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
use ckptsim::watermark::{WatermarkEvent, WatermarkStatus};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::{self, Write as _};
use std::rc::Rc;
use std::sync::Arc;

mod anchors;
mod choices;
mod cuts;
mod directed;
mod exhaust;
mod fingerprint;
mod gates;
mod job;
mod judge;
mod part;
mod route;
mod search;
mod sleep;
mod step;
mod vecmap;
mod visited;

pub use exhaust::ExhaustOptions;
pub use visited::{VisitedKind, VisitedStats, COMPACT_MAX_SLOTS, COMPACT_MAX_STATES, EXACT_UP_TO_STATES};

use fingerprint::{Fingerprint, Visited};
use job::JobCtx;

use part::{Part, Shared};
use vecmap::VecMap;

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
    /// User cancels on one path (the scenario's `cancel` action without a `rescale`; at most 1).
    pub max_cancels: u32,
    /// Lost acknowledgements and declines (task → JobManager checkpoint RPCs) on one path.
    pub max_ack_losses: u32,
    /// Manual checkpoint and savepoint requests (the scenario's `trigger-checkpoint` and
    /// `savepoint` actions) on one path.
    pub max_requests: u32,
    /// Heartbeat timeouts of a live TaskManager (a false alarm: `hb-timeout:N`) on one path.
    pub max_hb_timeouts: u32,
    /// TaskManager-side heartbeat timeouts (a live TaskManager judges the JobManager lost and
    /// fails its tasks: `tm-hb-timeout:N`) on one path.
    pub max_tm_hb_timeouts: u32,
    /// JobManager-side heartbeat timeouts of a live TaskManager (the JobManager judges it lost,
    /// its tasks run on until the cancels reach them: `jm-hb-timeout:N`) on one path.
    pub max_jm_hb_timeouts: u32,
    /// Timer firings while deliveries are pending (`late-tick`, counted as ticks too) on one
    /// path: with the reduction, a `tick` otherwise fires only once nothing waits.
    pub max_late_ticks: u32,
    /// Timer firings while a task's message to the JobManager is on its way (its RPC delayed
    /// past the timer: a RUNNING update past the deployment timeout, an acknowledgement past the
    /// next trigger or the expiry) on one path (`--jm-late-ticks`, session 35). None (the
    /// default): unbounded, the time model of sessions 10–34, where only JobManager → task
    /// messages and channel elements hold a `tick` back. Some(0): every message arrives before
    /// the next timer, both ways.
    pub max_jm_late_ticks: Option<u32>,
    /// Once a path's ticks are spent, forget what only bounds or gates later timer firings
    /// (the late-tick counters and the mark of the last firing; `Explorer::forget_spent`,
    /// session 36): states that differ only there are one state. On by default; off
    /// (`--keep-spent`) is the reference the soundness test compares with.
    pub forget_spent: bool,
    /// With `--exhaust` under a `--jm-late-ticks` bound: a state seen with a lower counter
    /// subsumes the same state with a higher one (`Explorer::first_visit`, session 36): the
    /// higher counter's paths are a subset of the lower one's. On by default; off
    /// (`--no-subsume`) is the reference the soundness test compares with.
    pub subsume_late: bool,
    /// Slow snapshot uploads on one path (`slow-upload:tN`, session 34): a task's
    /// acknowledgement waits for its asynchronous part while the task goes on, so a newer
    /// checkpoint's acknowledgement may overtake it (`upload:tN` sends it).
    pub max_slow_uploads: u32,
    /// Distinct states before the search gives up (not exhausted).
    pub max_states: u64,
    /// Partial-order reduction (see `Explorer::reduce`); off explores every enabled choice.
    pub reduce: bool,
    /// With `reduce`: a busy task's group takes in only the upstream tasks that feed one of its
    /// empty channels or have a deployment queued (`Explorer::feeders`, session 21), not every
    /// task upstream of it. Off (the default): the reduction of sessions 10–20, whose breadth-first
    /// counterexamples are minimal (`commit-offsets-on-snapshot` takes 10 steps with feeder groups, 9 without).
    pub reduce_feeders: bool,
    /// With `reduce`: a busy group's persistent set keeps every JobManager delivery and lost
    /// acknowledgement (`to-jm`, `lose-ack`; session 27). Off (the default), they wait until no
    /// task is busy; but a JobManager delivery queues messages (aborts, cancels, deployments,
    /// notifications) that a group task then takes before or after its channel heads, so it is
    /// dependent on the group's steps through the steps it enables, and the default reduction
    /// misses terminal states of its own time model (`docs/explore.md`, *Session 27*).
    pub jm_in_group: bool,
    /// With `reduce`: the reduction of sessions 10–27 instead of the sound default
    /// (`--fast-reduce`, `Explorer::reduce_fast`): fewer states, so planted bugs are found
    /// sooner, but its set is not persistent once failures are explored and an "exhausted"
    /// verdict may miss terminal states (session 28, issue 20). `jm_in_group` applies to it
    /// only; the default already keeps every JobManager step in a busy group's set.
    pub fast_reduce: bool,
    /// With `reduce` (the sound default): a busy task's set may leave every JobManager step
    /// out where that set is persistent too (`--jm-out`, `Explorer::group_without_jm`, session
    /// 29): the same terminal states with fewer states, but breadth-first counterexamples may
    /// be longer than the unreduced search's (`cancel-marker-ignored` 19 steps, 18 without).
    /// Off (the default): session 28's rule, every JobManager step in every busy set.
    pub jm_left_out: bool,
    /// Without `reduce`: `tick` only once nothing waits (no channel element, no JobManager
    /// message to a task), the reduced search's time model (eager delivery), so the
    /// unreduced search is the reference the reduction is measured against. Off: without
    /// `reduce` a timer fires at any step.
    pub eager_ticks: bool,
    /// Sleep sets on top of it (`sleep.rs`): a child is not generated through a choice whose
    /// result another path reaches by the same steps in another order.
    pub sleep: Sleep,
    /// With sleep sets: two JobManager deliveries (`to-jm` of different tasks, or `to-jm` and
    /// `tick`) that the static relation calls dependent are independent at a state where both
    /// orders, applied, reach the same state and neither disables the other
    /// (`Explorer::commute_by_execution`, session 22).
    pub jm_commute: bool,
}

impl Bounds {
    /// The default bounds with `fast_reduce`: the session 10–27 reduction, which the tests that
    /// pin its counts and counterexample lengths use.
    pub fn fast() -> Self {
        Bounds { fast_reduce: true, ..Bounds::default() }
    }
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
            max_cancels: 0,
            max_ack_losses: 0,
            max_requests: 0,
            max_hb_timeouts: 0,
            max_tm_hb_timeouts: 0,
            max_jm_hb_timeouts: 0,
            max_late_ticks: 0,
            max_jm_late_ticks: None,
            forget_spent: true,
            subsume_late: true,
            max_slow_uploads: 0,
            max_states: 300_000,
            reduce: true,
            reduce_feeders: false,
            jm_in_group: false,
            fast_reduce: false,
            jm_left_out: false,
            eager_ticks: false,
            sleep: Sleep::Off,
            jm_commute: false,
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
    /// `hb-timeout:N`: the heartbeats of the live TaskManager N time out both ways.
    HbTimeout(TmId),
    /// `tm-hb-timeout:N`: the live TaskManager N judges the JobManager lost (no heartbeat from
    /// it for the timeout) and fails its tasks; the JobManager still watches N.
    TmHbTimeout(TmId),
    /// `jm-hb-timeout:N`: the JobManager judges the live TaskManager N lost (no heartbeat from
    /// it for the timeout) while N still runs its tasks and hears the JobManager.
    JmHbTimeout(TmId),
    /// `late-tick`: virtual time jumps to the earliest timer while deliveries are pending.
    LateTick,
    /// `jm-failover`: the JobManager dies and a new leader recovers the job.
    JmFailover,
    /// `rescale`: the job is cancelled and a new one with the scenario's `rescale` parallelisms
    /// starts from the latest completed checkpoint.
    Rescale,
    /// `stop`: stop-with-savepoint (the scenario's action): a synchronous savepoint is triggered.
    Stop,
    /// `cancel`: the user cancels the job (the scenario's `cancel` action without a `rescale`).
    Cancel,
    /// `lose-ack:tN`: task N's next message to the JobManager (an ack or a decline) is lost.
    LoseAck(TaskId),
    /// `trigger`: a manual checkpoint is requested (the scenario's `trigger-checkpoint` action).
    Trigger,
    /// `savepoint`: a savepoint is requested (the scenario's `savepoint` action).
    Savepoint,
    /// `retune`: the scenario's first `retune` action reaches the JobManager (session 43;
    /// bounded by `--requests` with the manual requests).
    Retune,
    /// `slow-upload:tN`: the acknowledgement at the head of task N's link to the JobManager
    /// waits for its snapshot's slow asynchronous part (`--slow-uploads`).
    SlowUpload(TaskId),
    /// `upload:tN`: task N's oldest slow upload finished: its acknowledgement is sent, behind
    /// what the task sent meanwhile.
    Upload(TaskId),
    /// `zombie:tN:I`: message `idx` that task `to`'s ended attempts sent arrives again, late.
    Zombie {
        /// The task whose ended attempts sent the message.
        to: TaskId,
        /// The message's index among those the JobManager took from ended attempts.
        idx: u32,
    },
}

impl Choice {
    /// Session 41: a step after which a notification the coordinator sent may not have reached
    /// every running task (a lost message of either way, a failure, a crash or a heartbeat
    /// verdict, a failover, a zombie, a rescale, a slow upload): the faults the world's
    /// `RunResult::last_fault_end_ms`, lost notifications and restores stand for.
    pub(super) fn is_fault(self) -> bool {
        !matches!(
            self,
            Choice::Fetch(_)
                | Choice::Data { .. }
                | Choice::ToTask(_)
                | Choice::ToJm(_)
                | Choice::Tick
                | Choice::LateTick
                | Choice::Trigger
                | Choice::Savepoint
                | Choice::Retune
                | Choice::Upload(_)
                | Choice::Stop
                | Choice::Cancel
        )
    }
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
            Choice::HbTimeout(tm) => write!(f, "hb-timeout:{}", tm.0),
            Choice::TmHbTimeout(tm) => write!(f, "tm-hb-timeout:{}", tm.0),
            Choice::JmHbTimeout(tm) => write!(f, "jm-hb-timeout:{}", tm.0),
            Choice::LateTick => f.write_str("late-tick"),
            Choice::JmFailover => f.write_str("jm-failover"),
            Choice::Rescale => f.write_str("rescale"),
            Choice::Stop => f.write_str("stop"),
            Choice::Cancel => f.write_str("cancel"),
            Choice::LoseAck(t) => write!(f, "lose-ack:t{}", t.0),
            Choice::Trigger => f.write_str("trigger"),
            Choice::Savepoint => f.write_str("savepoint"),
            Choice::Retune => f.write_str("retune"),
            Choice::SlowUpload(t) => write!(f, "slow-upload:t{}", t.0),
            Choice::Upload(t) => write!(f, "upload:t{}", t.0),
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
            ["late-tick"] => Ok(Choice::LateTick),
            ["jm-failover"] => Ok(Choice::JmFailover),
            ["rescale"] => Ok(Choice::Rescale),
            ["stop"] => Ok(Choice::Stop),
            ["cancel"] => Ok(Choice::Cancel),
            ["trigger"] => Ok(Choice::Trigger),
            ["savepoint"] => Ok(Choice::Savepoint),
            ["retune"] => Ok(Choice::Retune),
            ["lose-ack", t] => Ok(Choice::LoseAck(task(t)?)),
            ["slow-upload", t] => Ok(Choice::SlowUpload(task(t)?)),
            ["upload", t] => Ok(Choice::Upload(task(t)?)),
            ["crash-tm", n] => Ok(Choice::CrashTm(TmId(num(n)?))),
            ["tm-lost", n] => Ok(Choice::TmLost(TmId(num(n)?))),
            ["hb-timeout", n] => Ok(Choice::HbTimeout(TmId(num(n)?))),
            ["tm-hb-timeout", n] => Ok(Choice::TmHbTimeout(TmId(num(n)?))),
            ["jm-hb-timeout", n] => Ok(Choice::JmHbTimeout(TmId(num(n)?))),
            ["fetch", t] => Ok(Choice::Fetch(task(t)?)),
            ["to-task", t] => Ok(Choice::ToTask(task(t)?)),
            ["to-jm", t] => Ok(Choice::ToJm(task(t)?)),
            ["lose", t] => Ok(Choice::Lose(task(t)?)),
            ["fail", t] => Ok(Choice::Fail(task(t)?)),
            ["zombie", t, i] => Ok(Choice::Zombie { to: task(t)?, idx: num(i)? }),
            ["data", a, t, c] => Ok(Choice::Data { attempt: num(a)?, to: task(t)?, ch: num(c)? }),
            _ => {
                Err(format!("unknown step `{s}` (fetch:tN, data:A:tN:C, to-task:tN, to-jm:tN, lose:tN, lose-ack:tN, slow-upload:tN, upload:tN, trigger, savepoint, tick, fail:tN, crash-tm:N, tm-lost:N, jm-failover, rescale, stop, cancel, zombie:tN:I)"))
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
    State {
        attempt: Attempt,
        state: ExecutionState,
        cause: Option<String>,
    },
    Ack {
        attempt: Attempt,
        id: CheckpointId,
        snapshot: TaskSnapshot,
    },
    Decline {
        attempt: Attempt,
        id: CheckpointId,
        reason: CheckpointFailureReason,
    },
    /// flink-2.3: the TaskManager's failed answer to a trigger RPC for an attempt it does not
    /// run (`world/taskmanager.rs` `trigger_task`).
    TriggerFailed {
        attempt: Attempt,
        id: CheckpointId,
    },
    /// 2.x: the task's input ended and its operators finished (`notifyEndOfData`).
    EndOfData {
        attempt: Attempt,
    },
}

impl Up {
    fn attempt(&self) -> Attempt {
        match self {
            Up::State { attempt, .. }
            | Up::Ack { attempt, .. }
            | Up::Decline { attempt, .. }
            | Up::TriggerFailed { attempt, .. }
            | Up::EndOfData { attempt } => *attempt,
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
    late_records: crate::world::LateRecords,
    /// Per window task snapshot, how many late elements its attempt had sent on a late side
    /// edge before the cut (`Task::take_late_cuts`, as the world records them).
    late_snapshots: crate::world::LateSnapshots,
    /// Per snapshot of a window fed by a late side edge, how many of its window assignments
    /// came before the cut (`Task::take_assignment_cuts`, as the world records them): the
    /// `late-window-*` rules (session 30; before, the explorer recorded none and those rules
    /// judged nothing on an explored path).
    assignment_snapshots: Vec<crate::world::LateSnapshot>,
    /// A late-fed join's verdicts (`TaskOutput::JoinJudged`), as the world records them: the
    /// `late-join-*` rules (session 30).
    join_judgments: Vec<crate::world::JoinRow>,
    /// Which checkpoint each attempt of a late-fed join's task restored, as the world records
    /// them (`RunResult::join_restores`): the join replay rule judges only attempts it knows the
    /// deployment of (session 31).
    join_restores: Vec<(TaskId, Attempt, Option<CheckpointId>)>,
    window_assignments: Vec<crate::world::AssignmentRow>,
    quiesced_windows: Vec<crate::world::QuiescedRow>,
    /// User operators' list state as a checkpoint stored it and as each restore gave it.
    restored_lists: Vec<crate::world::ListRestore>,
    /// New jobs started from a checkpoint (the rescale step's).
    restores: Vec<crate::world::RestoreRecord>,
    /// The rescales that started a new job (the checkers read a rescaled job's tasks by them).
    rescales: Vec<crate::world::RescaleRecord>,
    /// The regional restarts (semantics §1.7): time, the JobMaster's attempt and the restored
    /// tasks, as the world records them (`RunResult::region_restores`): the `restart`
    /// checker's region rules.
    region_restores: Vec<(u64, Attempt, Vec<TaskId>)>,
    /// Per attempt, the keyed state the job's last keyed operator restored.
    restored_keyed: BTreeMap<Attempt, BTreeMap<ckptsim::record::Value, ckptsim::record::Value>>,
    sink_anomalies: Vec<crate::world::SinkAnomaly>,
    /// Offset commits per (job, source task): a task's commits in order, the scenario's job
    /// (0) before the rescaled one (1), so the flattened rows keep each partition's commits in
    /// the order they were made across a rescale (`RestoreRecord::commits_before` counts job
    /// 0's).
    offset_commits: BTreeMap<(usize, TaskId), Vec<OffsetCommit>>,
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
    /// Each task's snapshot of its stop's synchronous savepoint and what the core said of its
    /// operators then, as the world records them (`world/task_outputs.rs`): the `stop`
    /// checker's drain rule.
    stop_snapshots: Vec<crate::world::StopSnapshot>,
    /// Notifications handled by tasks stopped at a synchronous savepoint, as the world records
    /// them (`StopNotice::deliver`): the `stop` checker's abort rule.
    stop_notices: Vec<crate::world::StopNotice>,
    /// Session 41: one millisecond past the path's last fault step (a lost message, a failure,
    /// a crash, a heartbeat timeout, a failover, a zombie, a rescale), recorded only in a job
    /// [`Explorer::watches_aborts`] (elsewhere it stays 0 and splits no state): from then on a
    /// notification the coordinator sends surely reaches every running task, which the 2.x
    /// made-up commit horizon (`check/abort_made_up.rs`) asks of an abort (`judge.rs`
    /// `abort_made_up`).
    fault_since_ms: u64,
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
    /// The checkpoints the store discarded (`CoordinatorOutput::Discarded`), with the time, as
    /// the world traces them (`storage discard`): the `retention` rule `discarded-not-owned`.
    discards: Vec<(u64, CheckpointId)>,
    /// Failed trigger RPC answers the JobMaster took for a current attempt (flink-2.3), as the
    /// world records them: the `coordinator` checker wants their checkpoint ended on arrival.
    failed_triggers: Vec<crate::world::FailedTrigger>,
    /// The sources' reads and watermark emissions when a source marks idle splits, as the
    /// world records them (`world/task_outputs.rs`): the `windows` checker's idle-flush rule.
    source_event_time: Vec<crate::world::SourceEventTime>,
    /// Snapshots of attempts restored as finished (2.x), as the world records them: the
    /// `restart` checker's finished-on-restore rule.
    finished_restores: Vec<crate::world::FinishedRestoreSnapshot>,
    /// Per task attempt, the watermarks and statuses it took (with its watermark and status
    /// after each) and the event-time windows it fired, as the world records them for a job with
    /// event time (`world/data_plane.rs`): the `windows` checker's valve rule
    /// (`check/windows_valve.rs`). Kept per attempt: the rule judges each attempt alone, so the
    /// order of two tasks' steps is not state.
    valve_steps: BTreeMap<(TaskId, Attempt), Vec<crate::world::ValveStep>>,
    /// Records appended before a fresh `latest` start resolved its end, never read (the world's
    /// `RunResult::lost_inputs` rule, `world::inputs_before_latest`).
    lost_inputs: Vec<u64>,
    /// Records a later fresh `latest` start skipped, which an earlier attempt may have read
    /// (`RunResult::latest_skipped_on_restart`).
    latest_skipped_on_restart: Vec<u64>,
    /// The coordinator's completion notifications, one per checkpoint (time, id), as the world
    /// records them (`world/jobmanager.rs`): the `coordinator` checker's notification rule
    /// (`check/notifications.rs`, session 38).
    notified_complete: Vec<(u64, CheckpointId)>,
    /// Checkpoint gates passed (`gates.rs`): time, task, attempt, arrival time, last snapshot
    /// at the arrival, the gate's input (`RunResult::gate_passes`, session 38).
    gate_passes: Vec<(u64, TaskId, Attempt, u64, Option<CheckpointId>, u64)>,
    /// Each arrival of a source attempt at a triggering gate, as the world records them
    /// (`RunResult::gate_waits`): the `coordinator` checker's gate-request rule (session 39).
    gate_waits: Vec<crate::world::GateWait>,
    /// The scenario's anchored faults that struck (`anchors.rs`), traced as the world traces a
    /// fault's start: the `restart` checker's fault rule (session 38).
    faults: Vec<(u64, String, EventData)>,
    /// The `retune` steps taken (time, request), traced as the world's JobManager traces an
    /// accepted re-tune (session 43: the `coordinator` and `tolerable-failure` checkers read the
    /// configuration in force at each checkpoint from them).
    retunes: Vec<(u64, ckptsim::config::Retune)>,
    /// The retried calls as the world records them (`RunResult::retry_calls`: cancel RPCs,
    /// CANCELING entered and left, CANCELED and FAILED reports, commit requests and refusals),
    /// per task attempt, the rows the `restart` checker's retry-count rule can still read
    /// (`check/retry_counts.rs` `read_later`, `settle`; session 40). Kept per attempt: the rule
    /// judges each attempt's rows alone, so the order of two attempts' rows is not state.
    retry_calls: BTreeMap<(TaskId, Attempt), Vec<crate::world::RetryCall>>,
}

/// One data channel's queue: stream elements, each with the number of records a priority barrier
/// overtook (copy-on-write, `part.rs`).
type DataQueue = Part<VecDeque<(StreamElement, u32)>>;

/// The whole system at one point of a path.
#[derive(Clone, Debug)]
struct Sys {
    now_ms: u64,
    jm: Part<JobMaster>,
    tasks: Shared<VecMap<TaskId, Part<Task>>>,
    /// (attempt, downstream task, input channel) → elements with the records a priority
    /// barrier overtook. Each queue (and each link below) is a copy-on-write part: a child
    /// state shares its parent's queues and copies only the ones its step changes.
    data: Shared<VecMap<(u32, TaskId, u32), DataQueue>>,
    to_task: Shared<VecMap<TaskId, Part<VecDeque<Ctl>>>>,
    to_jm: Shared<VecMap<TaskId, Part<VecDeque<Up>>>>,
    committed_offsets: Shared<BTreeMap<PartitionId, Offset>>,
    store: Shared<TxnStore>,
    counters: Shared<BTreeMap<u32, SurvivingCounters>>,
    sink_epochs: Shared<BTreeMap<TaskId, Attempt>>,
    restored_from: Shared<BTreeMap<TaskId, CheckpointId>>,
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
    /// TaskManagers the JobManager's heartbeat monitor judged lost (`hb-timeout:N`) and has not
    /// watched again since (a deployment to one re-arms it, as the world's `rearm`): a crash
    /// of one of these is never noticed (`tm-lost:N` is not enabled).
    hb_lost: BTreeSet<TmId>,
    /// Heartbeat timeouts of a live TaskManager on this path.
    hb_timeouts: u32,
    /// TaskManager-side heartbeat timeouts (`tm-hb-timeout:N`) on this path.
    tm_hb_timeouts: u32,
    /// JobManager-side heartbeat timeouts (`jm-hb-timeout:N`) on this path.
    jm_hb_timeouts: u32,
    /// Timer firings while deliveries were pending (`late-tick`) on this path.
    late_ticks: u32,
    /// Timer firings while a message to the JobManager was on its way, counted only under a
    /// `--jm-late-ticks` bound (`Bounds::max_jm_late_ticks`): unbounded, it stays 0.
    jm_late_ticks: u32,
    /// Per (JobManager epoch, partition), the log end a 2.x `latest` source's enumerator
    /// resolved at the epoch's first deployment (`route.rs` `latest_ends`; empty without a
    /// `latest` source).
    latest_resolved: BTreeMap<(u32, PartitionId), Offset>,
    /// Per `latest` partition, the highest end a fresh (not restored) start resolved so far
    /// (`route.rs` `skip_before_latest`, the world's `latest_floor`): the records below it
    /// that no earlier start passed are the run's lost inputs.
    latest_floor: BTreeMap<PartitionId, Offset>,
    /// The HA store: the latest completed checkpoint and the checkpoint id counter, which a
    /// new JobManager recovers.
    ha_latest: Option<Arc<CompletedCheckpoint>>,
    /// Under the planted `ha-recovers-previous` only (else None): the completed checkpoint
    /// before `ha_latest`, which the plant's new JobManager recovers instead.
    ha_previous: Option<Arc<CompletedCheckpoint>>,
    ha_next_id: CheckpointId,
    /// The virtual time of the last timer firing: a timer still due at that same time (a
    /// deadline a machine keeps reporting while it waits for something else) does not fire
    /// again until time or something else moves.
    ticked_at: Option<u64>,
    /// With `--zombies`: per task, the messages the JobManager of this epoch took from it, which
    /// a zombie may deliver again once their attempt has ended.
    delivered_up: Shared<BTreeMap<TaskId, Vec<Up>>>,
    /// Zombie deliveries on this path (not in the fingerprint: a zombie delivery the JobMaster
    /// ignores leaves the state as it was, which the search has seen).
    zombies: u32,
    /// Which job runs: 0 the scenario's, 1 the rescaled one (`Explorer::jobs`).
    job: usize,
    /// Rescales on this path.
    rescales: u32,
    /// The vertices the rescale's new job adopted (`Rescaled::vertices`: its effective max
    /// parallelisms, which its keyed edges route by, `key_routing.rs`); empty before. Not in
    /// the fingerprint: it follows from the two programs, which `job` names.
    rescaled: Arc<crate::key_routing::EffectiveVertices>,
    /// The rescale's new job was refused (its state assignment failed): it is FAILED, nothing
    /// runs.
    rescale_refused: bool,
    /// Stop-with-savepoint requests on this path.
    stops: u32,
    /// A stop's synchronous savepoint requested at this time has not completed or failed yet.
    stop_pending_since: Option<u64>,
    /// The stop's savepoint completed: a failover after it fails the stop.
    stop_completed: bool,
    /// User cancels on this path.
    cancels: u32,
    /// The acknowledgements each pending checkpoint awaits, as the JobManager saw them (the
    /// world's `acks.rs` record, fed from the same JobMaster outputs): a completed checkpoint's
    /// row carries them for the `coordinator` checker's acknowledgement rule.
    acks: Part<crate::world::AckWatch>,
    /// Lost acknowledgements and declines on this path.
    ack_losses: u32,
    /// Manual checkpoint and savepoint requests on this path.
    requests: u32,
    /// Slow snapshot uploads on this path (`slow-upload:tN`).
    slow_uploads: u32,
    /// Per task, the acknowledgements whose slow asynchronous part has not finished, oldest
    /// first (`upload:tN` sends the first). Gone with the attempt that took the snapshot.
    uploading: BTreeMap<TaskId, VecDeque<Up>>,
    /// The channel cuts of this path (`cuts.rs`): the `alignment` checker's record.
    cuts: Part<cuts::Cuts>,
    /// Task attempts that reported their end of data to the JobMaster (2.x, bounded input).
    end_of_data: BTreeSet<(TaskId, Attempt)>,
    /// Per log source task, its checkpoint gate state (`gates.rs`; empty without gates).
    gates: BTreeMap<TaskId, gates::GateAt>,
    /// Triggering gates' checkpoint requests followed through the coordinator (the core's
    /// `GateRequests`, as the world's `world/gates.rs` drives it; session 39).
    gate_requests: ckptsim::checkpoint_gate::GateRequests,
    /// The scenario's anchored faults (by index) that fired on this path (`anchors.rs`).
    anchors_fired: BTreeSet<usize>,
}

impl Sys {
    /// A new job's sinks have seen no completion yet (the commit horizon starts over).
    fn completion_seen_reset(&mut self) {
        if !self.obs.completion_seen.is_empty() {
            self.obs.make_mut().completion_seen.clear();
        }
    }
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
    /// A digest of the set of terminal states (the wrapping sum of their fingerprints, each
    /// distinct one once): two exhausted searches with equal digests ended in the same terminal
    /// states. Kept by breadth-first search and `--exhaust`; `--dfs` adds a terminal state
    /// again when it reaches it again at a smaller depth.
    pub terminal_digest: u64,
    /// The fingerprints of the terminal states, sorted, each once: kept by breadth-first
    /// search only (the soundness test compares these sets, `sim/tests/explore_sound.rs`).
    pub terminals: Vec<u64>,
    /// Children generated (choices applied), re-expansions included.
    pub children: u64,
    /// Visited states expanded again because a later visit slept on fewer choices.
    pub reexpanded: u64,
    /// True when every state within the bounds was visited.
    pub exhausted: bool,
    /// Wall-clock seconds the search took.
    pub elapsed_s: f64,
    /// `--exhaust`'s visited set: its size and the probability it merged two states.
    pub visited: Option<VisitedStats>,
    /// The first (shortest) counterexample found, if any.
    pub violation: Option<Violation>,
}

impl ExploreReport {
    /// A search's report before its first step: `distinct_states` states seen (the initial
    /// state, or none for random walks, which count states as they visit them).
    pub(crate) fn starting(distinct_states: u64) -> Self {
        ExploreReport {
            states_expanded: 0,
            distinct_states,
            depth_reached: 0,
            terminal_states: 0,
            terminal_digest: 0,
            terminals: Vec::new(),
            children: 0,
            reexpanded: 0,
            exhausted: false,
            elapsed_s: 0.0,
            visited: None,
            violation: None,
        }
    }
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
    /// Whether the scenario has a `cancel` action and no `rescale`: the `cancel` step's
    /// (`--cancels`).
    cancel: bool,
    /// Whether the scenario has a `trigger-checkpoint` / a `savepoint` action: the `trigger` /
    /// `savepoint` steps (`--requests`).
    manual_trigger: bool,
    manual_savepoint: bool,
    /// The scenario's first `retune` action: the `retune` step's request (`--requests`).
    retune: Option<ckptsim::config::Retune>,
    log: BrokerLog,
    log_end: BTreeMap<PartitionId, Offset>,
    reference: Reference,
    /// A graph job's checker parts that depend on the job alone (its plan, each sink's view
    /// and reference), computed once instead of per judged state.
    graph_parts: Option<crate::check::graph::GraphParts>,
    bounds: Bounds,
    /// The checkers' passing verdicts by what they read (`judge.rs`, session 29).
    judged: judge::JudgeCache,
}

/// Whether `spec` is within what the explorer models (log source, no faults or actions).
pub fn supported(spec: &JobSpec) -> Result<(), String> {
    if !matches!(spec.input, InputSpec::Log { .. }) {
        return Err("explore needs a partitioned-log source (socket input is not modelled)".into());
    }
    if spec.kafka != crate::spec::KafkaSpec::default() {
        return Err("explore models the default [kafka] commit mode only (commit on checkpoint)".into());
    }
    if !anchors::modelled(spec) {
        return Err("explore enumerates its own failures: of [[faults]] only a `task-failure` anchored to `on = \"input-N-read\"` is read; remove the others from the scenario".into());
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
    // Session 43: a `retune` is the `retune` step (`--requests` too; the first one's request).
    let requests =
        count(|k| matches!(k, ActionKind::TriggerCheckpoint | ActionKind::Savepoint | ActionKind::Retune(_)));
    let others = spec.actions.len() - requests;
    let other = others - rescales - stops - cancels;
    let alone_stop = rescales == 0 && cancels == 0 && stops == 1;
    // A `cancel` without a `rescale` is the `cancel` step (`--cancels`), at any point.
    let alone_cancel = rescales == 0 && stops == 0 && cancels == 1;
    if other > 0 || rescales > 1 || stops > 1 || (rescales == 0 && others > 0 && !alone_stop && !alone_cancel) {
        return Err("explore enumerates its own steps: of [[actions]] only one `rescale` (with the `cancel` or `stop-with-savepoint` before it, as the `rescale` step's parallelisms), one `stop-with-savepoint` (the `stop` step's mode), one `cancel` (the `cancel` step) and `trigger-checkpoint` / `savepoint` / `retune` actions (the `trigger` / `savepoint` / `retune` steps) are read".into());
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
            let _ = writeln!(s, "exhausted: no violation within the bounds{}", visited_note(r));
        }
        None => {
            let _ = writeln!(
                s,
                "not exhausted (depth or state bound reached): no violation found so far{}",
                visited_note(r)
            );
        }
    }
    s
}

/// `--exhaust`'s visited set after a result line: the table and the probability that two
/// different states were merged (so that one of them and what only it leads to was not
/// explored), an upper bound taking fingerprints as uniform random values.
fn visited_note(r: &ExploreReport) -> String {
    let Some(v) = &r.visited else { return String::new() };
    let table = format!("{} slots of {} B, {} MB", v.slots, v.slot_bytes, (v.slots * v.slot_bytes) >> 20);
    let how = match v.kind {
        "compact" => format!(
            "n(n-1)/2^65 for the 64-bit fingerprints + {} compared slots / 2^32 for hash compaction",
            v.compared
        ),
        _ => "n(n-1)/2^65 for the 64-bit fingerprints".to_string(),
    };
    format!("; visited set {} ({table}): omission probability <= {:.3e} ({how})", v.kind, v.omission)
}
