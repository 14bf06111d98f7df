//! Coverage of a run: which protocol phase each fault struck in (per barrier-handler kind) and which named protocol situations occurred; the fixed matrix `sweep --coverage` prints.
//!
//! The matrix is fixed and documented (`scenarios/README.md`, *Coverage*):
//!
//! * **strike cells** `handler × fault kind × phase`: when a fault starts (its `chaos fault
//!   start` trace line), every [`Phase`] active at that millisecond is hit for the run's
//!   [`Handler`]; [`Phase::Idle`] when none is. Phases come from typed run fields (job status
//!   timeline, task transitions, checkpoint rows, snapshot spans), not from trace text.
//! * **situation cells** [`Situation`]: Antithesis-style "sometimes" assertions, each named and
//!   extracted from the run result (typed fields) or, where the run keeps no typed record yet,
//!   from the trace's event kind and detail (the `restructure` branch is turning the trace into
//!   typed events; only [`observe`] reads it).
//!
//! A cell is *reachable* for a set of scenarios unless [`unreachable()`] gives a reason: a
//! structural one (at-least-once has no sink store), or one of the scenario set (no scenario
//! can draw that fault kind, no bounded source, no restore-retained action; an unaligned handler
//! aligns only a savepoint's barriers, so its `aligning` phase needs a scenario that takes one).

use crate::spec::{ActionSpec, FaultKind, FaultName, JobSpec, OpKind};
use crate::trace::EventData;
use crate::world::{RunResult, SnapshotResult, EPOCH_STRIDE};
use ckptsim::config::CheckpointingMode;
use ckptsim::reason::{CheckpointFailureReason, FailureCause};
use ckptsim::status::{ExecutionState, JobStatus};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The barrier handler a run's checkpoint configuration selects.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Handler {
    /// Exactly-once, aligned barriers.
    Aligned,
    /// Exactly-once, unaligned barriers.
    Unaligned,
    /// Aligned barriers switching to unaligned after `aligned_checkpoint_timeout_ms`.
    AlignedTimeout,
    /// At-least-once (barriers tracked, not aligned).
    AtLeastOnce,
}

impl Handler {
    /// Every handler, in matrix row order.
    pub const ALL: [Handler; 4] = [Handler::Aligned, Handler::Unaligned, Handler::AlignedTimeout, Handler::AtLeastOnce];

    /// The handler's name in the matrix (`aligned`, `unaligned`, `aligned-timeout`, `at-least-once`).
    pub fn name(self) -> &'static str {
        match self {
            Handler::Aligned => "aligned",
            Handler::Unaligned => "unaligned",
            Handler::AlignedTimeout => "aligned-timeout",
            Handler::AtLeastOnce => "at-least-once",
        }
    }

    /// The handler of `spec`'s checkpoint configuration.
    pub fn of(spec: &JobSpec) -> Handler {
        let cp = &spec.checkpoint;
        if cp.mode == CheckpointingMode::AtLeastOnce {
            Handler::AtLeastOnce
        } else if cp.unaligned && cp.aligned_timeout_ms > 0 {
            Handler::AlignedTimeout
        } else if cp.unaligned {
            Handler::Unaligned
        } else {
            Handler::Aligned
        }
    }
}

/// The fault kinds of the matrix: the scenario format's `kind` names, all but the last
/// (`input-burst` adds input, it strikes no protocol phase).
pub const FAULT_KINDS: &[FaultName] = match FaultName::ALL.split_last() {
    Some((_, kinds)) => kinds,
    None => &[],
};

/// The matrix kind of a fault ([`FaultKind::fault_name`]).
pub fn fault_name(kind: &FaultKind) -> FaultName {
    kind.fault_name()
}

/// What the protocol was doing when a fault struck. Several can be active at once.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Job running, no checkpoint pending, no task deploying.
    Idle,
    /// A checkpoint triggered and not yet completed or aborted (barriers travelling, acks
    /// awaited, completion).
    Pending,
    /// A task received a checkpoint's first barrier and waits for the others (aligned,
    /// at-least-once tracking, or aligned with a timeout before it switches).
    Aligning,
    /// A task takes the synchronous part of its snapshot.
    SyncSnapshot,
    /// A task uploads its snapshot (asynchronous part).
    AsyncUpload,
    /// The job is restarting, failing or cancelling (tasks being cancelled, restart backoff).
    Restarting,
    /// A task is scheduled, deploying or restoring its state (initializing).
    Deploying,
}

impl Phase {
    /// Every phase, in matrix column order.
    pub const ALL: [Phase; 7] = [
        Phase::Idle,
        Phase::Pending,
        Phase::Aligning,
        Phase::SyncSnapshot,
        Phase::AsyncUpload,
        Phase::Restarting,
        Phase::Deploying,
    ];

    /// The phase's column name in the matrix.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Pending => "pending",
            Phase::Aligning => "aligning",
            Phase::SyncSnapshot => "sync",
            Phase::AsyncUpload => "async",
            Phase::Restarting => "restarting",
            Phase::Deploying => "deploying",
        }
    }
}

/// Named protocol situations a run may reach ("sometimes" assertions).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Situation {
    /// A checkpoint completed.
    CheckpointCompleted,
    /// Two checkpoints were pending at the same time.
    ConcurrentCheckpoints,
    /// The coordinator rejected a trigger request (too many pending, min pause, not all tasks
    /// running, ...).
    TriggerRejected,
    /// A pending checkpoint expired (checkpoint timeout).
    CheckpointExpired,
    /// A pending checkpoint was aborted because a task declined it.
    CheckpointDeclined,
    /// Pending checkpoints were aborted by a failover (coordinator suspended).
    AbortedByFailover,
    /// A task aborted its alignment on a cancellation barrier (cancel marker during alignment).
    CancelMarkerDuringAlignment,
    /// A task's alignment was overtaken by a newer checkpoint's barrier (declined, subsumed).
    AlignmentSubsumed,
    /// A task's upload failed (storage down) and it declined the checkpoint.
    UploadFailed,
    /// A task's snapshot was abandoned by cancellation before its upload finished.
    SnapshotAbandoned,
    /// An aligned checkpoint with a timeout switched to unaligned.
    AlignmentTimeoutSwitched,
    /// A completed checkpoint holds in-flight channel state.
    InFlightStateCompleted,
    /// A restart restored the newest completed checkpoint.
    RestoreFromCheckpoint,
    /// A restart found no completed checkpoint and started the tasks empty.
    RestartWithoutCheckpoint,
    /// A new JobManager recovered the job (HA failover).
    JobManagerFailoverRestore,
    /// A new job started from a retained checkpoint of an ended one.
    RestoreFromRetained,
    /// A two-phase-commit transaction of an earlier attempt was committed after a restore.
    CommitAfterRestore,
    /// A checkpoint completion notification was lost or dropped.
    NotificationLost,
    /// The restart strategy refused a restart (the job fails).
    RestartSuppressed,
    /// The checkpoint failure manager failed the job (tolerable failures exceeded).
    TolerableFailuresExceeded,
    /// The JobManager declared a TaskManager lost (heartbeat timeout or new incarnation).
    TaskManagerLost,
    /// A TaskManager was declared lost while a checkpoint was pending.
    TaskManagerLostWithPendingCheckpoint,
    /// The broker refused an offset commit (outage).
    OffsetCommitRefused,
    /// The sink store fenced a zombie producer.
    ProducerFenced,
    /// A sink operation found the sink store unreachable.
    SinkStoreUnreachable,
    /// A source reached the end of its input while a checkpoint was pending.
    SourceEndDuringCheckpoint,
    /// The job finished.
    JobFinished,
}

impl Situation {
    /// Every named situation, in report order.
    pub const ALL: [Situation; 27] = [
        Situation::CheckpointCompleted,
        Situation::ConcurrentCheckpoints,
        Situation::TriggerRejected,
        Situation::CheckpointExpired,
        Situation::CheckpointDeclined,
        Situation::AbortedByFailover,
        Situation::CancelMarkerDuringAlignment,
        Situation::AlignmentSubsumed,
        Situation::UploadFailed,
        Situation::SnapshotAbandoned,
        Situation::AlignmentTimeoutSwitched,
        Situation::InFlightStateCompleted,
        Situation::RestoreFromCheckpoint,
        Situation::RestartWithoutCheckpoint,
        Situation::JobManagerFailoverRestore,
        Situation::RestoreFromRetained,
        Situation::CommitAfterRestore,
        Situation::NotificationLost,
        Situation::RestartSuppressed,
        Situation::TolerableFailuresExceeded,
        Situation::TaskManagerLost,
        Situation::TaskManagerLostWithPendingCheckpoint,
        Situation::OffsetCommitRefused,
        Situation::ProducerFenced,
        Situation::SinkStoreUnreachable,
        Situation::SourceEndDuringCheckpoint,
        Situation::JobFinished,
    ];

    /// The situation's kebab-case name (in `sweep --coverage` output).
    pub fn name(self) -> &'static str {
        match self {
            Situation::CheckpointCompleted => "checkpoint-completed",
            Situation::ConcurrentCheckpoints => "concurrent-checkpoints",
            Situation::TriggerRejected => "trigger-rejected",
            Situation::CheckpointExpired => "checkpoint-expired",
            Situation::CheckpointDeclined => "checkpoint-declined",
            Situation::AbortedByFailover => "aborted-by-failover",
            Situation::CancelMarkerDuringAlignment => "cancel-marker-during-alignment",
            Situation::AlignmentSubsumed => "alignment-subsumed",
            Situation::UploadFailed => "upload-failed",
            Situation::SnapshotAbandoned => "snapshot-abandoned",
            Situation::AlignmentTimeoutSwitched => "alignment-timeout-switched",
            Situation::InFlightStateCompleted => "in-flight-state-completed",
            Situation::RestoreFromCheckpoint => "restore-from-checkpoint",
            Situation::RestartWithoutCheckpoint => "restart-without-checkpoint",
            Situation::JobManagerFailoverRestore => "jm-failover-restore",
            Situation::RestoreFromRetained => "restore-from-retained",
            Situation::CommitAfterRestore => "commit-after-restore",
            Situation::NotificationLost => "notification-lost",
            Situation::RestartSuppressed => "restart-suppressed",
            Situation::TolerableFailuresExceeded => "tolerable-failures-exceeded",
            Situation::TaskManagerLost => "tm-lost",
            Situation::TaskManagerLostWithPendingCheckpoint => "tm-lost-with-pending-checkpoint",
            Situation::OffsetCommitRefused => "offset-commit-refused",
            Situation::ProducerFenced => "producer-fenced",
            Situation::SinkStoreUnreachable => "sink-store-unreachable",
            Situation::SourceEndDuringCheckpoint => "source-end-during-checkpoint",
            Situation::JobFinished => "job-finished",
        }
    }
}

/// One cell of the coverage matrix.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cell {
    /// A fault of kind `FAULT_KINDS[fault]` struck while `phase` was active, under `handler`.
    Strike {
        /// The run's barrier handler.
        handler: Handler,
        /// Index into `FAULT_KINDS`.
        fault: usize,
        /// The protocol phase active when the fault struck.
        phase: Phase,
    },
    /// A named situation ("sometimes" assertion) occurred in the run.
    Situation(Situation),
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Strike { handler, fault, phase } => {
                write!(f, "{}/{}/{}", handler.name(), FAULT_KINDS[*fault], phase.name())
            }
            Cell::Situation(s) => write!(f, "situation/{}", s.name()),
        }
    }
}

/// Every cell of the matrix, in order.
pub fn all_cells() -> Vec<Cell> {
    let mut out = Vec::new();
    for handler in Handler::ALL {
        for fault in 0..FAULT_KINDS.len() {
            for phase in Phase::ALL {
                out.push(Cell::Strike { handler, fault, phase });
            }
        }
    }
    out.extend(Situation::ALL.into_iter().map(Cell::Situation));
    out
}

/// Time intervals `[from, to]` during which each phase (other than idle) was active. Closed: a
/// phase that ends in the millisecond of a strike counts as active at the strike (the world's
/// clock is in whole milliseconds, and a strike often ends the phase it struck in the same
/// millisecond: a JobManager crash ends the restart, a task failure abandons the upload).
pub type PhaseIntervals = BTreeMap<Phase, Vec<(u64, u64)>>;

/// The intervals of every non-idle phase of a run, from its typed fields.
pub fn phase_intervals(run: &RunResult) -> PhaseIntervals {
    let end = run.stop_at_ms.max(1);
    let mut out: PhaseIntervals = BTreeMap::new();
    // Job status: restarting, failing, cancelling.
    for (i, &(t, status)) in run.status_timeline.iter().enumerate() {
        let until = run.status_timeline.get(i + 1).map(|x| x.0).unwrap_or(end);
        if matches!(status, JobStatus::Restarting | JobStatus::Failing | JobStatus::Cancelling) && until > t {
            out.entry(Phase::Restarting).or_default().push((t, until));
        }
    }
    // Tasks scheduled, deploying or initializing (per task name, in order).
    let mut since: BTreeMap<&str, u64> = BTreeMap::new();
    for (t, name, _from, to) in &run.task_transitions {
        let deploying =
            matches!(to, ExecutionState::Scheduled | ExecutionState::Deploying | ExecutionState::Initializing);
        match (deploying, since.get(name.as_str()).copied()) {
            (true, None) => {
                since.insert(name, *t);
            }
            (false, Some(from)) => {
                since.remove(name.as_str());
                if *t > from {
                    out.entry(Phase::Deploying).or_default().push((from, *t));
                }
            }
            _ => {}
        }
    }
    for (_, from) in since {
        out.entry(Phase::Deploying).or_default().push((from, end));
    }
    for row in &run.checkpoints {
        let until = row.end_ms.unwrap_or(end);
        if until > row.trigger_ms {
            out.entry(Phase::Pending).or_default().push((row.trigger_ms, until));
        }
    }
    for span in &run.snapshot_spans {
        if span.sync_start_ms > span.align_start_ms {
            out.entry(Phase::Aligning).or_default().push((span.align_start_ms, span.sync_start_ms));
        }
        let sync_end = span.sync_end_ms.unwrap_or(end);
        if sync_end > span.sync_start_ms {
            out.entry(Phase::SyncSnapshot).or_default().push((span.sync_start_ms, sync_end));
        }
        if span.sync_end_ms.is_some() {
            let until = span.upload_end_ms.unwrap_or(end);
            if until > sync_end {
                out.entry(Phase::AsyncUpload).or_default().push((sync_end, until));
            }
        }
    }
    out
}

/// The phases active at `t` ([`Phase::Idle`] alone when none is).
pub fn phases_at(intervals: &PhaseIntervals, t: u64) -> Vec<Phase> {
    let active: Vec<Phase> =
        intervals.iter().filter(|(_, spans)| spans.iter().any(|&(a, b)| a <= t && t <= b)).map(|(p, _)| *p).collect();
    if active.is_empty() {
        vec![Phase::Idle]
    } else {
        active
    }
}

/// Every cell a run hit. `spec` is the job the run executed (after any swarm draw).
pub fn observe(spec: &JobSpec, run: &RunResult) -> BTreeSet<Cell> {
    let handler = Handler::of(spec);
    let intervals = phase_intervals(run);
    let pending_at = |t: u64| intervals.get(&Phase::Pending).is_some_and(|v| v.iter().any(|&(a, b)| a <= t && t <= b));
    let mut cells = BTreeSet::new();
    let mut situations = BTreeSet::new();
    let mut hit = |s: Situation| {
        situations.insert(s);
    };
    // Typed fields.
    row_situations(handler, run, &intervals, &mut hit);
    // The trace's typed events, for what the run keeps no other record of.
    let mut epoch = 0u64;
    let mut local_attempt = 0u64;
    for e in run.trace.events() {
        match &e.data {
            EventData::Fault { start: true, kind, .. } => {
                let fault = FAULT_KINDS.iter().position(|k| k == kind).filter(|_| strike_has_effect(spec, *kind));
                if let Some(fault) = fault {
                    for phase in phases_at(&intervals, e.time_ms) {
                        cells.insert(Cell::Strike { handler, fault, phase });
                    }
                }
            }
            EventData::Rejected => hit(Situation::TriggerRejected),
            EventData::Abort { reason, .. } => {
                if *reason == CheckpointFailureReason::CheckpointExpired {
                    hit(Situation::CheckpointExpired);
                } else if *reason == CheckpointFailureReason::CheckpointCoordinatorSuspend {
                    hit(Situation::AbortedByFailover);
                } else if is_decline(*reason) {
                    hit(Situation::CheckpointDeclined);
                }
            }
            EventData::Decline { reason, .. } => {
                if *reason == CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier {
                    hit(Situation::CancelMarkerDuringAlignment);
                } else if *reason == CheckpointFailureReason::CheckpointDeclinedSubsumed {
                    hit(Situation::AlignmentSubsumed);
                }
            }
            EventData::Dropped { message: "notify-complete" } => hit(Situation::NotificationLost),
            EventData::Failure { backoff_ms, cause, .. } => {
                if backoff_ms.is_none() {
                    hit(Situation::RestartSuppressed);
                }
                if tolerable_cause(cause) {
                    hit(Situation::TolerableFailuresExceeded);
                }
            }
            EventData::TmLost { .. } => {
                hit(Situation::TaskManagerLost);
                if pending_at(e.time_ms) {
                    hit(Situation::TaskManagerLostWithPendingCheckpoint);
                }
            }
            EventData::Fenced => hit(Situation::ProducerFenced),
            EventData::SinkUnreachable { .. } => hit(Situation::SinkStoreUnreachable),
            EventData::EndOfInput if pending_at(e.time_ms) => hit(Situation::SourceEndDuringCheckpoint),
            EventData::JmStart { .. } => {
                epoch += 1;
                local_attempt = 0;
            }
            EventData::Transition { attempt, .. } => local_attempt = local_attempt.max(attempt.0 as u64),
            EventData::Commit { txn } => {
                let a = u64::from(txn.attempt);
                let stride = u64::from(EPOCH_STRIDE);
                if (a / stride, a % stride) < (epoch, local_attempt) {
                    hit(Situation::CommitAfterRestore);
                }
            }
            _ => {}
        }
    }
    cells.extend(situations.into_iter().map(Cell::Situation));
    cells
}

/// The situations a run's typed rows show (checkpoints, snapshots, restores, offset commits,
/// the final status), each passed to `hit`.
fn row_situations(handler: Handler, run: &RunResult, intervals: &PhaseIntervals, hit: &mut impl FnMut(Situation)) {
    if run.checkpoints.iter().any(|r| r.outcome == "COMPLETED") {
        hit(Situation::CheckpointCompleted);
    }
    if let Some(p) = intervals.get(&Phase::Pending) {
        if p.iter().enumerate().any(|(i, a)| p[i + 1..].iter().any(|b| a.0 < b.1 && b.0 < a.1)) {
            hit(Situation::ConcurrentCheckpoints);
        }
    }
    if run.snapshot_spans.iter().any(|s| s.result == SnapshotResult::Declined) {
        hit(Situation::UploadFailed);
    }
    if run.snapshot_spans.iter().any(|s| s.result == SnapshotResult::Abandoned) {
        hit(Situation::SnapshotAbandoned);
    }
    if handler == Handler::AlignedTimeout && run.snapshot_spans.iter().any(|s| s.unaligned) {
        hit(Situation::AlignmentTimeoutSwitched);
    }
    if run.completed_in_flight.values().any(|s| !s.is_empty()) {
        hit(Situation::InFlightStateCompleted);
    }
    for r in &run.restores {
        use crate::world::RestoreCause;
        if matches!(r.cause, RestoreCause::JobManagerFailover { .. }) {
            hit(Situation::JobManagerFailoverRestore);
        } else if matches!(
            r.cause,
            RestoreCause::Retained { .. }
                | RestoreCause::Rescaled { from: crate::scenario::RescaleFrom::RetainedCheckpoint, .. }
        ) {
            hit(Situation::RestoreFromRetained);
        } else if r.checkpoint.is_some() {
            hit(Situation::RestoreFromCheckpoint);
        } else {
            hit(Situation::RestartWithoutCheckpoint);
        }
    }
    if run.offset_commits.iter().any(|c| !c.accepted) {
        hit(Situation::OffsetCommitRefused);
    }
    if run.final_status == JobStatus::Finished {
        hit(Situation::JobFinished);
    }
}

/// A decline of any kind (the reasons whose Flink name has `DECLINED` in it).
fn is_decline(reason: CheckpointFailureReason) -> bool {
    use CheckpointFailureReason::*;
    matches!(
        reason,
        CheckpointDeclined
            | CheckpointDeclinedTaskNotReady
            | CheckpointDeclinedTaskClosing
            | CheckpointDeclinedOnCancellationBarrier
            | CheckpointDeclinedSubsumed
            | CheckpointDeclinedInputEndOfStream
    )
}

/// A job failure on the tolerable-failure threshold: directly, or as the failure that struck
/// after a stop's synchronous savepoint (2.x wraps it; the core keeps the wrapped cause typed).
fn tolerable_cause(cause: &FailureCause) -> bool {
    match cause {
        FailureCause::TolerableCheckpointFailures { .. } => true,
        FailureCause::StoppingAfterSavepoint { failure, .. } => tolerable_cause(failure),
        _ => false,
    }
}

/// Whether a fault of kind `name` does anything to `spec`'s job: a broker outage needs a log
/// source, a sink-store outage a two-phase-commit sink (a print sink never calls the store).
/// Strikes without effect are not counted.
pub fn strike_has_effect(spec: &JobSpec, name: FaultName) -> bool {
    match name {
        FaultName::BrokerOutage => has_log_source(spec),
        FaultName::SinkStoreOutage => spec.operators.iter().any(|o| o.kind == OpKind::TwoPhaseCommitSink),
        _ => true,
    }
}

/// Why `cell` cannot be hit by any run of `specs` (swarm-drawn or not), or None.
pub fn unreachable(cell: Cell, specs: &[JobSpec]) -> Option<&'static str> {
    match cell {
        Cell::Strike { handler, fault, phase } => {
            // An unaligned handler snapshots a checkpoint at its first barrier, but a savepoint's
            // barriers are always aligned (Flink's `CheckpointOptions#forConfig` gives a
            // savepoint aligned options; the core's `barrier.rs`): it aligns only in a job that
            // takes a savepoint, under a fault that job can have.
            if matches!(handler, Handler::Unaligned) && phase == Phase::Aligning {
                let name = FAULT_KINDS[fault];
                if !specs.iter().any(|s| takes_savepoints(s) && fault_possible(s, name)) {
                    return Some(
                        "an unaligned handler aligns only a savepoint's barriers, and no scenario of the set that takes a savepoint (stop-with-savepoint, savepoint) has or can draw this fault kind",
                    );
                }
            }
            if handler == Handler::AtLeastOnce && FAULT_KINDS[fault] == FaultName::SinkStoreOutage {
                return Some(
                    "only a two-phase-commit sink uses the sink store, and the swarm draws at-least-once only with a print sink: Flink runs a two-phase-commit sink under at-least-once checkpoints, but its output is then at-least-once, which the exactly-once checker (it judges every two-phase-commit sink) would report",
                );
            }
            let name = FAULT_KINDS[fault];
            if !specs.iter().any(|s| fault_possible(s, name)) {
                return Some("no scenario of the set has or can draw this fault kind");
            }
            None
        }
        Cell::Situation(s) => match s {
            Situation::RestoreFromRetained if !specs.iter().any(has_restore_retained) => {
                Some("no scenario of the set has a restore-retained action or a rescale from the retained checkpoint")
            }
            Situation::SourceEndDuringCheckpoint | Situation::JobFinished
                if !specs.iter().any(|s| s.input_options.bounded) =>
            {
                Some("no scenario of the set has a bounded source")
            }
            Situation::JobManagerFailoverRestore if !specs.iter().any(|s| fault_possible(s, FaultName::JmCrash)) => {
                Some("no scenario of the set has a jm-crash fault (the swarm never draws one)")
            }
            Situation::OffsetCommitRefused if !specs.iter().any(has_log_source) => {
                Some("no scenario of the set has a log source")
            }
            _ => None,
        },
    }
}

/// Whether `spec` takes a savepoint (a `savepoint` or `stop-with-savepoint` action), whose
/// barriers an unaligned handler aligns.
pub fn takes_savepoints(spec: &JobSpec) -> bool {
    spec.actions.iter().any(|a| matches!(a.kind, ActionSpec::Savepoint | ActionSpec::StopWithSavepoint { .. }))
}

/// Whether `spec` starts a new job from a retained checkpoint: a `restore-retained` action, or a
/// `rescale` from the retained checkpoint (both are `situation/restore-from-retained`).
pub fn has_restore_retained(spec: &JobSpec) -> bool {
    spec.actions.iter().any(|a| match &a.kind {
        ActionSpec::RestoreRetained => true,
        ActionSpec::Rescale(r) => r.from == crate::scenario::RescaleFrom::RetainedCheckpoint,
        _ => false,
    })
}

fn has_log_source(spec: &JobSpec) -> bool {
    spec.operators.iter().any(|o| matches!(o.kind, OpKind::LogSource { .. }))
}

/// Whether a run of `spec`, plain or swarm-drawn, can have a fault of kind `name`: the
/// scenario has one, or the swarm draws it (every kind the swarm knows, the broker outage
/// only with a log source, the sink-store outage only with a two-phase-commit sink, which the
/// swarm may also switch to).
pub fn fault_possible(spec: &JobSpec, name: FaultName) -> bool {
    if spec.faults.iter().any(|f| fault_name(&f.kind) == name) {
        return true;
    }
    match name {
        FaultName::JmCrash | FaultName::StorageSlow => false,
        FaultName::BrokerOutage => has_log_source(spec),
        FaultName::SinkStoreOutage => spec.operators.iter().any(|o| o.kind.is_sink()),
        _ => true,
    }
}

/// Where a cell was first hit, and how often.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Runs that hit the cell.
    pub count: u64,
    /// The scenario of the first run that hit it.
    pub first_scenario: String,
    /// That run's seed.
    pub first_seed: u64,
}

/// The cells hit by a set of runs.
#[derive(Clone, Debug, Default)]
pub struct CoverageMap {
    /// Every cell hit at least once.
    pub hits: BTreeMap<Cell, Hit>,
}

impl CoverageMap {
    /// Adds one run's cells; returns how many were new.
    pub fn add(&mut self, cells: &BTreeSet<Cell>, scenario: &str, seed: u64) -> usize {
        let mut new = 0;
        for c in cells {
            match self.hits.get_mut(c) {
                Some(h) => h.count += 1,
                None => {
                    new += 1;
                    self.hits.insert(*c, Hit { count: 1, first_scenario: scenario.to_string(), first_seed: seed });
                }
            }
        }
        new
    }

    /// (hit reachable cells, reachable cells) for `specs`.
    pub fn reachable_hit(&self, specs: &[JobSpec]) -> (usize, usize) {
        let reachable: Vec<Cell> = all_cells().into_iter().filter(|c| unreachable(*c, specs).is_none()).collect();
        (reachable.iter().filter(|c| self.hits.contains_key(c)).count(), reachable.len())
    }

    /// The matrix as text: per handler a fault × phase grid (`count@first seed`, `.` never hit,
    /// `-` unreachable), the situations, the reachable cells never hit, and the percentage.
    pub fn render(&self, specs: &[JobSpec]) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        for handler in Handler::ALL {
            let _ = write!(s, "\n{:<18}", handler.name());
            for p in Phase::ALL {
                let _ = write!(s, " {:>11}", p.name());
            }
            s.push('\n');
            for (fault, name) in FAULT_KINDS.iter().enumerate() {
                let _ = write!(s, "  {name:<16}");
                for phase in Phase::ALL {
                    let c = Cell::Strike { handler, fault, phase };
                    let text = match (self.hits.get(&c), unreachable(c, specs)) {
                        (Some(h), _) => format!("{}@{}", h.count, h.first_seed),
                        (None, Some(_)) => "-".to_string(),
                        (None, None) => ".".to_string(),
                    };
                    let _ = write!(s, " {text:>11}");
                }
                s.push('\n');
            }
        }
        s.push_str("\nsituations\n");
        for sit in Situation::ALL {
            let c = Cell::Situation(sit);
            let text = match (self.hits.get(&c), unreachable(c, specs)) {
                (Some(h), _) => format!("{} runs, first {} seed {}", h.count, h.first_scenario, h.first_seed),
                (None, Some(why)) => format!("unreachable: {why}"),
                (None, None) => "never hit".to_string(),
            };
            let _ = writeln!(s, "  {:<32} {text}", sit.name());
        }
        let missed: Vec<String> = all_cells()
            .into_iter()
            .filter(|c| !self.hits.contains_key(c) && unreachable(*c, specs).is_none())
            .map(|c| c.to_string())
            .collect();
        let (hit, reachable) = self.reachable_hit(specs);
        let _ = writeln!(
            s,
            "\ncoverage: {hit}/{reachable} reachable cells hit ({:.1}%); {} cells in the matrix, {} unreachable",
            100.0 * hit as f64 / reachable.max(1) as f64,
            all_cells().len(),
            all_cells().len() - reachable
        );
        if !missed.is_empty() {
            let _ = writeln!(s, "reachable, never hit ({}): {}", missed.len(), missed.join(" "));
        }
        s
    }

    /// One JSON object per hit cell, then a summary object.
    pub fn json_lines(&self, specs: &[JobSpec]) -> Vec<String> {
        let mut out: Vec<String> = self
            .hits
            .iter()
            .map(|(c, h)| {
                serde_json::json!({
                    "kind": "coverage-cell", "cell": c.to_string(), "count": h.count,
                    "first_scenario": h.first_scenario, "first_seed": h.first_seed,
                })
                .to_string()
            })
            .collect();
        let (hit, reachable) = self.reachable_hit(specs);
        out.push(
            serde_json::json!({
                "kind": "coverage", "hit": hit, "reachable": reachable, "cells": all_cells().len(),
            })
            .to_string(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_kind_names_are_the_matrix_kinds_in_order() {
        let t = || "Sum[1]".to_string();
        let kinds = [
            FaultKind::TaskFailure { task: t() },
            FaultKind::TmCrash { tm: 0, restart_after_ms: 1 },
            FaultKind::JmCrash { restart_after_ms: 1 },
            FaultKind::Partition { a: "jm".into(), b: "tm0".into(), both: true },
            FaultKind::MessageLoss { rate: 0.5, messages: Vec::new(), target: None, peer: None },
            FaultKind::ControlDelay { extra_ms: 1, target: None },
            FaultKind::SlowLink { task: t(), extra_ms: 1 },
            FaultKind::SlowSnapshot { task: t(), sync_ms: 1, async_ms: 1 },
            FaultKind::StorageFailure,
            FaultKind::StorageSlow { extra_ms: 1 },
            FaultKind::BrokerOutage,
            FaultKind::SinkStoreOutage,
            FaultKind::SlowOperator { operator: "Sum".into(), records_per_s: 1 },
        ];
        let names: Vec<FaultName> = kinds.iter().map(fault_name).collect();
        assert_eq!(names, FAULT_KINDS, "one name per kind, as the scenario format spells them");
    }

    #[test]
    fn phases_at_is_idle_only_outside_every_interval() {
        let mut iv = PhaseIntervals::new();
        iv.insert(Phase::Pending, vec![(10, 20)]);
        iv.insert(Phase::Aligning, vec![(12, 14)]);
        assert_eq!(phases_at(&iv, 9), vec![Phase::Idle]);
        assert_eq!(phases_at(&iv, 12), vec![Phase::Pending, Phase::Aligning]);
        assert_eq!(phases_at(&iv, 14), vec![Phase::Pending, Phase::Aligning]);
        assert_eq!(phases_at(&iv, 15), vec![Phase::Pending]);
        assert_eq!(phases_at(&iv, 20), vec![Phase::Pending]);
        assert_eq!(phases_at(&iv, 21), vec![Phase::Idle]);
    }

    #[test]
    fn a_tolerable_failure_counts_wrapped_after_a_stop_by_its_type_not_its_words() {
        use ckptsim::reason::CheckpointFailureReason;
        use ckptsim::CheckpointId;
        let tolerable = FailureCause::TolerableCheckpointFailures {
            reason: CheckpointFailureReason::CheckpointExpired,
            checkpoint: Some(CheckpointId(4)),
        };
        assert!(tolerable_cause(&tolerable));
        let wrapped = |failure: FailureCause| FailureCause::StoppingAfterSavepoint {
            savepoint: CheckpointId(3),
            failure: Box::new(failure),
        };
        assert!(tolerable_cause(&wrapped(tolerable.clone())));
        // A task failure whose message happens to name the threshold is not one.
        let task = FailureCause::Task { task: "Sum[0]".into(), message: "tolerable failure threshold".into() };
        assert!(!tolerable_cause(&task));
        assert!(!tolerable_cause(&wrapped(task)));
        assert!(!tolerable_cause(&wrapped(FailureCause::TaskManagerLost { tm: ckptsim::TmId(1) })));
        // The wrapper prints the wrapped cause as before (the trace's text is unchanged).
        assert!(wrapped(tolerable.clone()).to_string().ends_with(&tolerable.to_string()));
    }

    #[test]
    fn the_matrix_has_a_fixed_size() {
        assert_eq!(all_cells().len(), 4 * 13 * 7 + 27);
    }
}
