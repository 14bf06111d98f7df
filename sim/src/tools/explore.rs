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
//! | `tick` | virtual time jumps to the earliest timer (periodic trigger, restart delay, timeouts, the next record's append time) |
//! | `fail:tN` | task N throws |
//!
//! The search is breadth-first, level by level, so the first violation found has a path of
//! minimal length. Visited states are deduplicated by a fingerprint of the whole state;
//! observations are kept per task, so two orders of independent deliveries (to different tasks)
//! that reach the same state are explored once — the partial-order reduction this explorer
//! relies on. At each state the safety checkers of a simulation run (exactly-once,
//! at-least-once, state, offsets, coordinator, restart) judge the run so far; a state with no
//! choice left whose job or tasks are still in a transitional status (and whose timers were not
//! cut by the tick bound) is a liveness violation: no delivery can ever move it on.
//!
//! Not modelled here (the world has them): TaskManager loss and heartbeats, JobManager
//! failover, processing cost and credits, socket sources.

use crate::check::{self, Verdict};
use crate::graph::Graph;
use crate::reference::{self, Reference};
use crate::spec::{InputSpec, JobSpec};
use crate::trace::Trace;
use crate::world::{build_log, BrokerLog, CheckpointRow, OffsetCommit, OutputRow, RunResult};
use ckptsim::coordinator::CoordinatorOutput;
use ckptsim::ids::{Attempt, ChannelId, CheckpointId, Offset, PartitionId, TaskId};
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
use std::sync::Arc;

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
    /// Distinct states before the search gives up (not exhausted).
    pub max_states: u64,
    /// Partial-order reduction (see `Explorer::reduce`); off explores every enabled choice.
    pub reduce: bool,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds { max_depth: 60, max_failures: 1, max_ticks: 4, max_losses: 0, max_states: 300_000, reduce: true }
    }
}

/// One step of a path (see the module doc for the text form).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Choice {
    Fetch(TaskId),
    Data { attempt: u32, to: TaskId, ch: u32 },
    ToTask(TaskId),
    ToJm(TaskId),
    Lose(TaskId),
    Tick,
    Fail(TaskId),
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
            ["fetch", t] => Ok(Choice::Fetch(task(t)?)),
            ["to-task", t] => Ok(Choice::ToTask(task(t)?)),
            ["to-jm", t] => Ok(Choice::ToJm(task(t)?)),
            ["lose", t] => Ok(Choice::Lose(task(t)?)),
            ["fail", t] => Ok(Choice::Fail(task(t)?)),
            ["data", a, t, c] => Ok(Choice::Data { attempt: num(a)?, to: task(t)?, ch: num(c)? }),
            _ => {
                Err(format!("unknown step `{s}` (fetch:tN, data:A:tN:C, to-task:tN, to-jm:tN, lose:tN, tick, fail:tN)"))
            }
        }
    }
}

/// A JobManager → task message.
#[derive(Clone, Debug)]
enum Ctl {
    Deploy { attempt: Attempt, restore: Option<Arc<CompletedCheckpoint>> },
    Cancel { attempt: Attempt },
    Trigger { attempt: Attempt, barrier: Barrier },
    NotifyComplete { attempt: Attempt, id: CheckpointId },
    NotifyAborted { attempt: Attempt, id: CheckpointId },
}

/// A task → JobManager message.
#[derive(Clone, Debug)]
enum Up {
    State { attempt: Attempt, state: ExecutionState, cause: Option<String> },
    Ack { attempt: Attempt, id: CheckpointId, snapshot: TaskSnapshot },
    Decline { attempt: Attempt, id: CheckpointId, reason: CheckpointFailureReason },
}

/// What the checkers read, kept per task where the order across tasks does not matter.
#[derive(Clone, Debug)]
struct Obs {
    status: JobStatus,
    status_timeline: Vec<(u64, JobStatus)>,
    restart_schedule: Vec<(u64, u32, u64)>,
    restarts: u32,
    /// The JobManager's restart decisions as the world traces them (`#N restart at … (backoff
    /// … ms): cause` / `#N restart suppressed: cause`): the restart and tolerable-failure
    /// checkers read them.
    failures: Vec<(u64, String)>,
    checkpoints: BTreeMap<CheckpointId, CheckpointRow>,
    print_rows: BTreeMap<TaskId, Vec<OutputRow>>,
    sink_anomalies: Vec<String>,
    offset_commits: BTreeMap<TaskId, Vec<OffsetCommit>>,
    completed_offsets: BTreeMap<CheckpointId, BTreeMap<PartitionId, Offset>>,
    completed_in_flight: BTreeMap<CheckpointId, BTreeSet<u64>>,
    completion_seen: BTreeMap<TaskId, CheckpointId>,
    retained: Vec<CheckpointId>,
    read_inputs: u64,
}

/// The whole system at one point of a path.
#[derive(Clone, Debug)]
struct Sys {
    now_ms: u64,
    jm: JobMaster,
    tasks: BTreeMap<TaskId, Task>,
    /// (attempt, downstream task, input channel) → elements with the records a priority
    /// barrier overtook.
    data: BTreeMap<(u32, TaskId, u32), VecDeque<(StreamElement, u32)>>,
    to_task: BTreeMap<TaskId, VecDeque<Ctl>>,
    to_jm: BTreeMap<TaskId, VecDeque<Up>>,
    committed_offsets: BTreeMap<PartitionId, Offset>,
    store: TxnStore,
    counters: BTreeMap<u32, SurvivingCounters>,
    sink_epochs: BTreeMap<TaskId, Attempt>,
    restored_from: BTreeMap<TaskId, CheckpointId>,
    obs: Obs,
    failures: u32,
    ticks: u32,
    losses: u32,
    /// The virtual time of the last timer firing: a timer still due at that same time (a
    /// deadline a machine keeps reporting while it waits for something else) does not fire
    /// again until time or something else moves.
    ticked_at: Option<u64>,
}

/// FNV-1a over formatted text: a state's fingerprint without building the text.
struct Fingerprint(u64);

impl fmt::Write for Fingerprint {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        Ok(())
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
            o.sink_anomalies.len() as u64,
            o.offset_commits.values().map(|v| v.len() as u64).sum(),
            o.completion_seen.values().map(|c| c.0).sum(),
            self.store.committed().len() as u64,
            self.store.open_txns().len() as u64 + o.retained.len() as u64 * 1000,
        ]
    }

    fn fingerprint(&self) -> u64 {
        let mut h = Fingerprint(0xcbf2_9ce4_8422_2325);
        // Formatting into the hasher cannot fail.
        let _ = write!(
            h,
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}|{}|{:?}",
            self.now_ms,
            self.jm,
            self.tasks,
            self.data,
            self.to_task,
            self.to_jm,
            self.committed_offsets,
            self.store,
            self.counters,
            self.sink_epochs,
            self.restored_from,
            self.obs,
            self.failures,
            self.ticks,
            self.losses,
            self.ticked_at
        );
        h.0
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
    /// True when every state within the bounds was visited.
    pub exhausted: bool,
    pub elapsed_s: f64,
    pub violation: Option<Violation>,
}

/// A counterexample: the shortest path found to a state a checker rejects.
#[derive(Clone, Debug)]
pub struct Violation {
    pub path: Vec<Choice>,
    /// The checker that failed (`liveness` for a state no delivery can move on).
    pub checker: String,
    pub anomaly: String,
}

/// The fixed parts of an exploration: job, graph, log, reference, bounds.
pub struct Explorer<'a> {
    spec: &'a JobSpec,
    graph: Graph,
    log: BrokerLog,
    log_end: BTreeMap<PartitionId, Offset>,
    reference: Reference,
    /// Per task, per output channel: (downstream task, its input channel).
    outs: Vec<Vec<(TaskId, u32)>>,
    bounds: Bounds,
}

impl<'a> Explorer<'a> {
    pub fn new(spec: &'a JobSpec, bounds: Bounds) -> Self {
        let graph = Graph::build(spec);
        let log = build_log(spec);
        let log_end =
            log.records.iter().enumerate().map(|(p, v)| (PartitionId(p as u32), Offset(v.len() as u64))).collect();
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
        let reference = reference::compute(spec);
        Explorer { spec, graph, log, log_end, reference, outs, bounds }
    }

    fn initial(&self) -> Sys {
        // A fixed random value: the explorer enumerates orders, not draws.
        let params = self.spec.job_params(self.graph.tasks.clone(), 0);
        let mut sys = Sys {
            now_ms: 0,
            jm: JobMaster::new(params),
            tasks: BTreeMap::new(),
            data: BTreeMap::new(),
            to_task: BTreeMap::new(),
            to_jm: BTreeMap::new(),
            committed_offsets: BTreeMap::new(),
            store: TxnStore::new(self.spec.operators.last().map(|o| o.sink_store).unwrap_or_default()),
            counters: BTreeMap::new(),
            sink_epochs: BTreeMap::new(),
            restored_from: BTreeMap::new(),
            obs: Obs {
                status: JobStatus::Created,
                status_timeline: vec![(0, JobStatus::Created)],
                restart_schedule: vec![],
                restarts: 0,
                failures: vec![],
                checkpoints: BTreeMap::new(),
                print_rows: BTreeMap::new(),
                sink_anomalies: vec![],
                offset_commits: BTreeMap::new(),
                completed_offsets: BTreeMap::new(),
                completed_in_flight: BTreeMap::new(),
                completion_seen: BTreeMap::new(),
                retained: vec![],
                read_inputs: 0,
            },
            failures: 0,
            ticks: 0,
            losses: 0,
            ticked_at: None,
        };
        sys.jm.start(0, None);
        self.route_jm(&mut sys);
        sys
    }

    /// The next record a log source task would read: (partition, offset), the one appended
    /// first among its partitions' heads, and whether it is visible now.
    fn next_record(&self, sys: &Sys, t: &Task) -> Option<(usize, usize, bool)> {
        let pos = t.fetch_positions()?;
        pos.iter()
            .filter_map(|(p, o)| {
                let (p, o) = (p.0 as usize, o.0 as usize);
                let at = *self.log.at.get(p)?.get(o)?;
                Some((self.log.records[p][o].lineage.input_seq, p, o, at <= sys.now_ms))
            })
            .min()
            .map(|(_, p, o, visible)| (p, o, visible))
    }

    /// The choices explored from `sys`: every enabled one, reduced to one task's persistent
    /// set where that is sound (see [`Explorer::reduce`]).
    fn choices(&self, sys: &Sys) -> Vec<Choice> {
        let all = self.enabled(sys);
        if self.bounds.reduce {
            self.reduce(all)
        } else {
            all
        }
    }

    /// Partial-order reduction and the explorer's time model. A task's own steps (taking the
    /// head of one of its input channels, receiving a JobManager message, reading a record)
    /// touch only that task, the tails of queues others read from the head, and per-task
    /// observations: they commute with every step of another task and of the JobManager. So
    /// when some task has a channel or JobManager message waiting, exploring only the steps of
    /// that task and of the tasks upstream of it (whose outputs can queue up behind the heads
    /// it takes), with their failures and message losses, reaches every state of this time
    /// model that the full set reaches. Unaligned barriers are the exception
    /// (they overtake queued records: an upstream step changes the head a downstream step
    /// takes), so there the full set is kept. Time model ("eager delivery"): timers fire only
    /// when no channel element and no JobManager message to a task is waiting, as if delivery
    /// and processing took no virtual time; sources read at any pace (a timer may fire before a
    /// visible record is read), and messages to the JobManager and failures interleave freely;
    /// of several sources with records to read, only the first one's read is explored at a time.
    fn reduce(&self, all: Vec<Choice>) -> Vec<Choice> {
        let cfg = &self.spec.checkpoint;
        let overtaking = cfg.mode == ckptsim::config::CheckpointingMode::ExactlyOnce && cfg.unaligned;
        let busy = all.iter().find_map(|c| match c {
            Choice::ToTask(t) | Choice::Data { to: t, .. } => Some(*t),
            _ => None,
        });
        match busy {
            Some(t) if !overtaking => {
                // The task and everything upstream of it: an upstream step can put a new
                // element behind the head of one of the task's channels, which the task may
                // take before or after its other steps.
                let mut group = BTreeSet::from([t]);
                let mut stack = vec![t];
                while let Some(x) = stack.pop() {
                    for u in self.graph.inputs_of(x) {
                        if group.insert(u) {
                            stack.push(u);
                        }
                    }
                }
                all.into_iter()
                    .filter(|c| match c {
                        Choice::Fetch(x) | Choice::ToTask(x) | Choice::Lose(x) | Choice::Fail(x) => group.contains(x),
                        Choice::Data { to, .. } => group.contains(to),
                        Choice::ToJm(_) | Choice::Tick => false,
                    })
                    .collect()
            }
            Some(_) => all.into_iter().filter(|c| *c != Choice::Tick).collect(),
            None => {
                // Reads of different sources commute with each other and with the JobManager's
                // steps: only the first reading task's read is explored here (a timer may still
                // come first, and the others read later).
                let reader = all.iter().find_map(|c| if let Choice::Fetch(t) = c { Some(*t) } else { None });
                all.into_iter().filter(|c| !matches!(c, Choice::Fetch(x) if Some(*x) != reader)).collect()
            }
        }
    }

    /// Every choice enabled in `sys`, in a fixed order.
    fn enabled(&self, sys: &Sys) -> Vec<Choice> {
        let b = &self.bounds;
        let mut out = Vec::new();
        for (t, task) in &sys.tasks {
            if self.next_record(sys, task).is_some_and(|(_, _, visible)| visible) {
                out.push(Choice::Fetch(*t));
            }
        }
        for ((attempt, to, ch), q) in &sys.data {
            let live = sys.tasks.get(to).is_some_and(|t| t.attempt().0 == *attempt);
            if !q.is_empty() && live && !sys.tasks[to].is_blocked(ChannelId(*ch)) {
                out.push(Choice::Data { attempt: *attempt, to: *to, ch: *ch });
            }
        }
        for (t, q) in &sys.to_task {
            if !q.is_empty() {
                out.push(Choice::ToTask(*t));
                if sys.losses < b.max_losses {
                    out.push(Choice::Lose(*t));
                }
            }
        }
        for (t, q) in &sys.to_jm {
            if !q.is_empty() {
                out.push(Choice::ToJm(*t));
            }
        }
        if sys.ticks < b.max_ticks && self.next_timer(sys).is_some() {
            out.push(Choice::Tick);
        }
        if sys.failures < b.max_failures {
            for t in sys.tasks.keys() {
                out.push(Choice::Fail(*t));
            }
        }
        out
    }

    /// The earliest timer: the JobManager's, a task's, or a record's append time. Right after a
    /// firing at the current time, only timers later than now count (a deadline a machine keeps
    /// reporting while it waits for something else fires once per point in time).
    fn next_timer(&self, sys: &Sys) -> Option<u64> {
        let fired_now = sys.ticked_at == Some(sys.now_ms);
        let due = |at: &u64| !fired_now || *at > sys.now_ms;
        let jm = sys.jm.poll_timeout().filter(due);
        let tasks = sys.tasks.values().filter_map(|t| t.poll_timeout()).filter(due).min();
        let records = sys
            .tasks
            .values()
            .filter_map(|t| self.next_record(sys, t))
            .filter(|(_, _, visible)| !visible)
            .map(|(p, o, _)| self.log.at[p][o])
            .min();
        [jm, tasks, records].into_iter().flatten().min()
    }

    /// Applies `c` to `sys`; false when the choice is not enabled there (a replayed path).
    fn apply(&self, sys: &mut Sys, c: Choice) -> bool {
        if c != Choice::Tick {
            sys.ticked_at = None;
        }
        match c {
            Choice::Fetch(t) => {
                let Some(task) = sys.tasks.get(&t) else { return false };
                let Some((p, o, true)) = self.next_record(sys, task) else { return false };
                let tm = self.graph.tasks[t.0 as usize].tm.0;
                let task = sys.tasks.get_mut(&t).expect("live task");
                task.handle_log_records(
                    sys.now_ms,
                    &self.log.records[p][o..o + 1],
                    sys.counters.entry(tm).or_default(),
                );
                sys.obs.read_inputs += 1;
                self.drain(sys, t);
            }
            Choice::Data { attempt, to, ch } => {
                let live = sys.tasks.get(&to).is_some_and(|t| t.attempt().0 == attempt && !t.is_blocked(ChannelId(ch)));
                let Some((el, overtaken)) = sys.data.get_mut(&(attempt, to, ch)).and_then(|q| q.pop_front()) else {
                    return false;
                };
                if !live {
                    return false;
                }
                let tm = self.graph.tasks[to.0 as usize].tm.0;
                let task = sys.tasks.get_mut(&to).expect("live task");
                task.handle_input(sys.now_ms, ChannelId(ch), el, overtaken, sys.counters.entry(tm).or_default());
                self.drain(sys, to);
            }
            Choice::ToTask(t) => {
                let Some(m) = sys.to_task.get_mut(&t).and_then(|q| q.pop_front()) else { return false };
                self.deliver_to_task(sys, t, m);
            }
            Choice::Lose(t) => {
                if sys.to_task.get_mut(&t).and_then(|q| q.pop_front()).is_none() {
                    return false;
                }
                sys.losses += 1;
            }
            Choice::ToJm(t) => {
                let Some(m) = sys.to_jm.get_mut(&t).and_then(|q| q.pop_front()) else { return false };
                let now = sys.now_ms;
                match m {
                    Up::State { attempt, state, cause } => sys.jm.handle_task_state(now, t, attempt, state, cause),
                    Up::Ack { attempt, id, snapshot } => sys.jm.handle_ack(now, t, attempt, id, snapshot),
                    Up::Decline { attempt, id, reason } => sys.jm.handle_decline(now, t, attempt, id, reason),
                }
                self.route_jm(sys);
            }
            Choice::Tick => {
                let Some(at) = self.next_timer(sys) else { return false };
                sys.ticks += 1;
                sys.now_ms = sys.now_ms.max(at);
                sys.ticked_at = Some(sys.now_ms);
                let now = sys.now_ms;
                if sys.jm.poll_timeout().is_some_and(|d| d <= now) {
                    sys.jm.handle_timeout(now);
                    self.route_jm(sys);
                }
                let due: Vec<TaskId> = sys
                    .tasks
                    .iter()
                    .filter(|(_, t)| t.poll_timeout().is_some_and(|d| d <= now))
                    .map(|(id, _)| *id)
                    .collect();
                for t in due {
                    if let Some(task) = sys.tasks.get_mut(&t) {
                        task.handle_timeout(now);
                        self.drain(sys, t);
                    }
                }
            }
            Choice::Fail(t) => {
                let Some(task) = sys.tasks.remove(&t) else { return false };
                sys.failures += 1;
                let cause = Some("injected task failure".to_string());
                sys.to_jm.entry(t).or_default().push_back(Up::State {
                    attempt: task.attempt(),
                    state: ExecutionState::Failed,
                    cause,
                });
            }
        }
        true
    }

    fn deliver_to_task(&self, sys: &mut Sys, t: TaskId, m: Ctl) {
        let now = sys.now_ms;
        let current = sys.tasks.get(&t).map(|x| x.attempt());
        match m {
            Ctl::Deploy { attempt, restore } => {
                let tm = self.graph.tasks[t.0 as usize].tm.0;
                let tspec = self.graph.task_spec(self.spec, t, attempt);
                let counters = sys.counters.entry(tm).or_default();
                let task = Task::new(tspec, now, restore.as_deref(), &sys.committed_offsets, &self.log_end, counters);
                if let Some(cp) = &restore {
                    sys.restored_from.insert(t, cp.id);
                }
                sys.data.retain(|k, _| k.0 >= attempt.0);
                sys.tasks.insert(t, task);
                let up = sys.to_jm.entry(t).or_default();
                if self.spec.profile.has_initializing_state() {
                    up.push_back(Up::State { attempt, state: ExecutionState::Initializing, cause: None });
                }
                up.push_back(Up::State { attempt, state: ExecutionState::Running, cause: None });
                self.drain(sys, t);
            }
            Ctl::Cancel { attempt } => {
                // The task is cancelled at once here, so its CANCELED update is the cancel RPC's
                // answer too (the JobMaster stops retrying once the execution leaves CANCELING);
                // a separate acknowledgement would only lengthen every path.
                if current == Some(attempt) {
                    let task = sys.tasks.get_mut(&t).expect("live task");
                    task.close();
                    self.drain(sys, t);
                    sys.tasks.remove(&t);
                }
                // A cancel for an attempt the TaskManager does not run is answered CANCELED.
                sys.to_jm.entry(t).or_default().push_back(Up::State {
                    attempt,
                    state: ExecutionState::Canceled,
                    cause: None,
                });
            }
            Ctl::Trigger { attempt, barrier } if current == Some(attempt) => {
                sys.tasks.get_mut(&t).expect("live task").handle_trigger(now, barrier);
                self.drain(sys, t);
            }
            Ctl::NotifyComplete { attempt, id } if current == Some(attempt) => {
                sys.tasks.get_mut(&t).expect("live task").handle_notify_complete(now, id);
                if self.drain(sys, t) {
                    let seen = sys.obs.completion_seen.entry(t).or_insert(id);
                    *seen = (*seen).max(id);
                }
            }
            Ctl::NotifyAborted { attempt, id } if current == Some(attempt) => {
                sys.tasks.get_mut(&t).expect("live task").handle_notify_aborted(now, id);
                self.drain(sys, t);
            }
            // Messages for an attempt that no longer runs are dropped by the TaskManager.
            Ctl::Trigger { .. } | Ctl::NotifyComplete { .. } | Ctl::NotifyAborted { .. } => {}
        }
    }

    /// Moves task `t`'s outputs into channels, links, the sink store and the broker. False
    /// when the task failed (it is gone, its FAILED update is on its way).
    fn drain(&self, sys: &mut Sys, t: TaskId) -> bool {
        let now = sys.now_ms;
        let Some(attempt) = sys.tasks.get(&t).map(|x| x.attempt()) else { return false };
        while let Some(out) = sys.tasks.get_mut(&t).and_then(|x| x.poll_output()) {
            match out {
                TaskOutput::Emit { channel, record } => {
                    let (to, ch) = self.outs[t.0 as usize][channel as usize];
                    sys.data.entry((attempt.0, to, ch)).or_default().push_back((StreamElement::Record(record), 0));
                }
                TaskOutput::EmitBarrier { barrier, priority } => {
                    for &(to, ch) in &self.outs[t.0 as usize] {
                        let q = sys.data.entry((attempt.0, to, ch)).or_default();
                        if priority {
                            let overtaken = q.iter().filter(|(e, _)| matches!(e, StreamElement::Record(_))).count();
                            q.push_front((StreamElement::Barrier(barrier), overtaken as u32));
                        } else {
                            q.push_back((StreamElement::Barrier(barrier), 0));
                        }
                    }
                }
                TaskOutput::EmitCancelMarker { id } => {
                    for &(to, ch) in &self.outs[t.0 as usize] {
                        sys.data
                            .entry((attempt.0, to, ch))
                            .or_default()
                            .push_back((StreamElement::CancelMarker(id), 0));
                    }
                }
                TaskOutput::Snapshot { id, snapshot, alignment_ms, unaligned } => {
                    let row = checkpoint_row(&mut sys.obs, id);
                    row.alignment_ms = row.alignment_ms.max(alignment_ms);
                    row.unaligned |= unaligned;
                    sys.to_jm.entry(t).or_default().push_back(Up::Ack { attempt, id, snapshot });
                }
                TaskOutput::Decline { id, reason } => {
                    sys.to_jm.entry(t).or_default().push_back(Up::Decline { attempt, id, reason });
                }
                TaskOutput::PrioritizeBarriers { id } => {
                    let inputs = self.graph.inputs_of(t).len() as u32;
                    for ch in 0..inputs {
                        let Some(q) = sys.data.get_mut(&(attempt.0, t, ch)) else { continue };
                        let Some(pos) =
                            q.iter().position(|(e, _)| matches!(e, StreamElement::Barrier(b) if b.id == id))
                        else {
                            continue;
                        };
                        let overtaken =
                            q.iter().take(pos).filter(|(e, _)| matches!(e, StreamElement::Record(_))).count();
                        let (el, _) = q.remove(pos).expect("barrier position");
                        let tm = self.graph.tasks[t.0 as usize].tm.0;
                        let task = sys.tasks.get_mut(&t).expect("live task");
                        task.handle_input(
                            now,
                            ChannelId(ch),
                            el,
                            overtaken as u32,
                            sys.counters.entry(tm).or_default(),
                        );
                    }
                }
                TaskOutput::PrintRow { record } => sys.obs.print_rows.entry(t).or_default().push(OutputRow {
                    time_ms: now,
                    task: t,
                    attempt,
                    value: record.value,
                    lineage: record.lineage,
                    timestamp: record.timestamp,
                }),
                TaskOutput::Sink(op) => {
                    // The store fences producers of older attempts (Kafka's transactional epochs).
                    let epoch = *sys.sink_epochs.entry(t).or_insert(attempt);
                    if attempt < epoch {
                        return self.fail_from_output(sys, t, attempt, "producer fenced by a newer attempt");
                    }
                    sys.sink_epochs.insert(t, attempt);
                    if let Err(e) = sys.store.apply(now, op) {
                        sys.obs.sink_anomalies.push(format!("t={now} {t}: {e:?}"));
                    }
                }
                TaskOutput::CommitOffsets { offsets } => {
                    let checkpoint =
                        sys.obs.checkpoints.values().rev().find(|r| r.outcome == "COMPLETED").map(|r| r.id);
                    for (p, o) in &offsets {
                        sys.obs.offset_commits.entry(t).or_default().push(OffsetCommit {
                            time_ms: now,
                            task: t,
                            partition: *p,
                            offset: *o,
                            accepted: true,
                            checkpoint,
                            periodic: false,
                        });
                        sys.committed_offsets.insert(*p, *o);
                    }
                }
                TaskOutput::Failed { cause } => return self.fail_from_output(sys, t, attempt, &cause),
                // Event time (eventtime branch): not wired into this host yet.
                TaskOutput::EmitWatermark { .. }
                | TaskOutput::EmitWatermarkStatus { .. }
                | TaskOutput::LateRecord { .. } => {}
            }
        }
        if let Some(id) = sys.restored_from.remove(&t) {
            let seen = sys.obs.completion_seen.entry(t).or_insert(id);
            *seen = (*seen).max(id);
        }
        true
    }

    fn fail_from_output(&self, sys: &mut Sys, t: TaskId, attempt: Attempt, cause: &str) -> bool {
        sys.tasks.remove(&t);
        sys.to_jm.entry(t).or_default().push_back(Up::State {
            attempt,
            state: ExecutionState::Failed,
            cause: Some(cause.to_string()),
        });
        false
    }

    fn route_jm(&self, sys: &mut Sys) {
        let now = sys.now_ms;
        while let Some(out) = sys.jm.poll_output() {
            match out {
                JobOutput::Deploy { task, attempt, restore, .. } => {
                    sys.to_task.entry(task).or_default().push_back(Ctl::Deploy { attempt, restore })
                }
                JobOutput::Cancel { task, attempt, .. } => {
                    sys.to_task.entry(task).or_default().push_back(Ctl::Cancel { attempt })
                }
                JobOutput::Trigger { task, attempt, barrier, .. } => {
                    sys.to_task.entry(task).or_default().push_back(Ctl::Trigger { attempt, barrier })
                }
                JobOutput::NotifyComplete { task, attempt, id, .. } => {
                    sys.to_task.entry(task).or_default().push_back(Ctl::NotifyComplete { attempt, id })
                }
                JobOutput::NotifyAborted { task, attempt, id, .. } => {
                    sys.to_task.entry(task).or_default().push_back(Ctl::NotifyAborted { attempt, id })
                }
                JobOutput::JobStatusChanged { to, .. } => {
                    sys.obs.status = to;
                    sys.obs.status_timeline.push((now, to));
                }
                JobOutput::TaskStateChanged { .. } | JobOutput::CancelGaveUp { .. } => {}
                JobOutput::RestartScheduled { at_ms, backoff_ms, failure, cause } => {
                    sys.obs.restart_schedule.push((now, failure, backoff_ms));
                    sys.obs
                        .failures
                        .push((now, format!("#{failure} restart at {at_ms} (backoff {backoff_ms} ms): {cause}")));
                }
                JobOutput::RestartSuppressed { failure, cause } => {
                    sys.obs.failures.push((now, format!("#{failure} restart suppressed: {cause}")))
                }
                JobOutput::Restored { .. } => sys.obs.restarts += 1,
                JobOutput::Terminated { retained, .. } => sys.obs.retained = retained.iter().map(|c| c.id).collect(),
                JobOutput::Checkpoint(c) => match c {
                    CoordinatorOutput::Trigger { id, timestamp_ms, kind, .. } => {
                        let row = checkpoint_row(&mut sys.obs, id);
                        row.trigger_ms = timestamp_ms;
                        row.savepoint = kind == ckptsim::record::CheckpointKind::Savepoint;
                    }
                    CoordinatorOutput::Completed(cp) => {
                        let offsets = self.source_offsets(&cp);
                        sys.obs.completed_offsets.insert(cp.id, offsets);
                        let in_flight = crate::world::in_flight_inputs(&cp);
                        if !in_flight.is_empty() {
                            sys.obs.completed_in_flight.insert(cp.id, in_flight);
                        }
                        let row = checkpoint_row(&mut sys.obs, cp.id);
                        row.end_ms = Some(now);
                        row.outcome = "COMPLETED".into();
                        row.size_bytes = cp.size_bytes;
                    }
                    CoordinatorOutput::Aborted { id, reason, trigger_ms, kind } => {
                        let row = checkpoint_row(&mut sys.obs, id);
                        row.trigger_ms = trigger_ms;
                        row.savepoint = kind == ckptsim::record::CheckpointKind::Savepoint;
                        if row.end_ms.is_none() {
                            row.end_ms = Some(now);
                            row.outcome = reason.name().to_string();
                        }
                    }
                    _ => {}
                },
            }
        }
    }

    /// The source offsets (next to read) a completed checkpoint holds.
    fn source_offsets(&self, cp: &CompletedCheckpoint) -> BTreeMap<PartitionId, Offset> {
        let mut out = BTreeMap::new();
        for t in self.graph.vertex_tasks(0) {
            if let Some(OperatorState::SourceOffsets(m)) = cp.tasks.get(&t).and_then(|s| s.operators.first()) {
                for (p, o) in m {
                    let last_read = self.spec.profile.kafka_state_is_last_read();
                    out.insert(*p, if last_read { Offset(o.0.wrapping_add(1)) } else { *o });
                }
            }
        }
        out
    }

    /// The run so far as the checkers read it.
    fn run_result(&self, sys: &Sys) -> RunResult {
        let mut trace = Trace::default();
        for (t, detail) in &sys.obs.failures {
            trace.push(*t, "jm", "failure", detail.clone());
        }
        let sink_op = self.spec.operators.len().saturating_sub(1);
        let sink_tasks = self
            .graph
            .vertices
            .iter()
            .position(|v| v.ops.contains(&sink_op))
            .map(|vi| self.graph.vertex_tasks(vi))
            .unwrap_or_default();
        let mut checkpoints: Vec<CheckpointRow> = sys.obs.checkpoints.values().cloned().collect();
        for row in &mut checkpoints {
            if row.end_ms.is_none() {
                row.outcome = "PENDING".into();
            }
        }
        RunResult {
            seed: 0,
            trace,
            final_status: sys.obs.status,
            restarts: sys.obs.restarts,
            status_timeline: sys.obs.status_timeline.clone(),
            restart_schedule: sys.obs.restart_schedule.clone(),
            checkpoints,
            print_rows: sys.obs.print_rows.values().flatten().cloned().collect(),
            late_records: vec![],
            committed: sys
                .store
                .committed()
                .iter()
                .map(|(t, r)| OutputRow {
                    time_ms: *t,
                    task: TaskId(0),
                    attempt: Attempt(0),
                    value: r.value.clone(),
                    lineage: r.lineage,
                    timestamp: r.timestamp,
                })
                .collect(),
            sink_anomalies: sys.obs.sink_anomalies.clone(),
            open_txns_at_end: sys.store.open_txns().len(),
            sink_commit_horizon: sink_tasks.iter().map(|t| sys.obs.completion_seen.get(t).copied()).min().flatten(),
            offset_commits: sys.obs.offset_commits.values().flatten().cloned().collect(),
            completed_offsets: sys.obs.completed_offsets.clone(),
            lost_inputs: vec![],
            socket_reads: vec![],
            socket_marks: vec![],
            lost_final_states: vec![],
            live_at_end: Default::default(),
            read_inputs: sys.obs.read_inputs,
            retained: sys.obs.retained.clone(),
            last_fault_end_ms: sys.now_ms,
            // Inputs appended after now are not due yet.
            stop_at_ms: sys.now_ms + 1,
            tm_count: self.spec.cluster.task_managers,
            task_names: self.graph.tasks.iter().map(|t| t.name.clone()).collect(),
            task_transitions: vec![],
            final_checkpoint_config: self.spec.checkpoint.clone(),
            retunes: vec![],
            restart_description: String::new(),
            snapshot_spans: vec![],
            restores: vec![],
            completed_in_flight: sys.obs.completed_in_flight.clone(),
        }
    }

    /// The first safety anomaly of the run so far, or a liveness one for a stuck terminal state.
    fn judge(&self, sys: &Sys, terminal: bool) -> Judgement {
        let run = self.run_result(sys);
        let verdicts: Vec<Verdict> = check::check_all(self.spec, &run, &self.reference);
        for v in verdicts.iter().filter(|v| v.checker != "liveness") {
            if v.passed == Some(false) {
                return Some((v.checker.to_string(), v.anomalies.first().cloned().unwrap_or_default()));
            }
        }
        if terminal && sys.ticks < self.bounds.max_ticks {
            if let Some(why) = self.stuck(sys) {
                return Some(("liveness".into(), why));
            }
        }
        None
    }

    /// Why a state with no choice left cannot make progress, if it cannot.
    fn stuck(&self, sys: &Sys) -> Option<String> {
        let status = sys.jm.status();
        let settled =
            matches!(status, JobStatus::Running | JobStatus::Finished | JobStatus::Failed | JobStatus::Canceled);
        if !settled {
            return Some(format!("job stuck in {status}: no delivery or timer can move it on"));
        }
        if status == JobStatus::Running {
            for info in sys.jm.tasks() {
                let (attempt, state) = sys.jm.execution(info.id);
                if !matches!(state, ExecutionState::Running | ExecutionState::Finished) {
                    return Some(format!(
                        "task {} attempt {attempt} stuck in {} while the job runs",
                        info.name,
                        state.name()
                    ));
                }
            }
        }
        None
    }

    /// Breadth-first search within the bounds; stops at the first (shortest) violation.
    pub fn explore(&self) -> ExploreReport {
        let wall = std::time::Instant::now();
        let init = self.initial();
        let mut visited: BTreeSet<u64> = BTreeSet::new();
        visited.insert(init.fingerprint());
        // Each state carries whether its last step changed what the checkers read.
        let mut frontier: Vec<(Sys, Vec<Choice>, bool)> = vec![(init, vec![], true)];
        let mut report = ExploreReport {
            states_expanded: 0,
            distinct_states: 1,
            depth_reached: 0,
            terminal_states: 0,
            exhausted: false,
            elapsed_s: 0.0,
            violation: None,
        };
        let mut cut = false;
        'levels: while !frontier.is_empty() {
            let mut next = Vec::new();
            for (sys, path, changed) in frontier {
                let choices = self.choices(&sys);
                let terminal = choices.is_empty();
                let verdict = if changed || terminal { self.judge(&sys, terminal) } else { None };
                if let Some((checker, anomaly)) = verdict {
                    report.violation = Some(Violation { path, checker, anomaly });
                    break 'levels;
                }
                if terminal {
                    report.terminal_states += 1;
                    continue;
                }
                if path.len() as u32 >= self.bounds.max_depth {
                    cut = true;
                    continue;
                }
                report.states_expanded += 1;
                let before = sys.observed();
                for c in choices {
                    let mut s2 = sys.clone();
                    let applied = self.apply(&mut s2, c);
                    debug_assert!(applied, "an enabled choice applies");
                    if visited.insert(s2.fingerprint()) {
                        if visited.len() as u64 > self.bounds.max_states {
                            cut = true;
                            break 'levels;
                        }
                        let mut p2 = path.clone();
                        p2.push(c);
                        let changed = s2.observed() != before;
                        next.push((s2, p2, changed));
                    }
                }
            }
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

fn checkpoint_row(obs: &mut Obs, id: CheckpointId) -> &mut CheckpointRow {
    obs.checkpoints.entry(id).or_insert(CheckpointRow {
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
    if !spec.faults.is_empty() || !spec.actions.is_empty() {
        return Err("explore enumerates its own failures: remove [[faults]] and [[actions]] from the scenario".into());
    }
    Ok(())
}

/// Renders a report as the lines `ckptsim explore` prints.
pub fn render(r: &ExploreReport) -> String {
    let mut s = String::new();
    let rate = if r.elapsed_s > 0.0 { r.states_expanded as f64 / r.elapsed_s } else { 0.0 };
    let _ = writeln!(
        s,
        "explored {} states ({} distinct, {} terminal), depth {}, {:.2} s, {:.0} states/s",
        r.states_expanded, r.distinct_states, r.terminal_states, r.depth_reached, r.elapsed_s, rate
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
