//! The run trace: one line per event (virtual time, node, event), hashed for determinism checks and mirrored to `tracing`.

use ckptsim::ids::{Attempt, CheckpointId, TaskId};
use ckptsim::reason::CheckpointFailureReason;
use ckptsim::status::{ExecutionState, JobStatus};

/// One traced event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// Virtual time of the event.
    pub time_ms: u64,
    /// The node that observed it: `jm`, `tm0`, `broker`, `storage`, `sink-store`, `client`, `world`.
    pub node: String,
    /// Event kind, one word (`job`, `task`, `trigger`, `ack`, `complete`, `abort`, `fault`, ...).
    pub kind: &'static str,
    /// The rest of the line (`id=3 ...`).
    pub detail: String,
    /// The typed fields of the event, for the tools that read them (the report, the Chrome
    /// trace). For the fully typed kinds `detail` is rendered from them ([`EventData::detail`]).
    /// Neither the text trace nor the hash reads this field: they render `detail`. The tools
    /// and checkers decide on this field only; `kind` and `detail` are what they print.
    pub data: EventData,
}

/// The typed fields of a run event. `None`: the event is text only (its `detail`).
#[derive(Clone, Debug, Hash, Default, PartialEq, Eq)]
pub enum EventData {
    /// Only the text: no typed fields yet.
    #[default]
    None,
    /// A JobManager started (`epoch` 1 is the first); `restore`: the checkpoint it recovers from.
    JmStart {
        /// The JobManager's epoch (1, 2, ... per HA leadership).
        epoch: u64,
        /// The latest completed checkpoint it recovered, if any.
        restore: Option<CheckpointId>,
    },
    /// The JobManager restored the job (a new attempt) from a checkpoint, or from nothing.
    Restore {
        /// The job's new attempt.
        attempt: Attempt,
        /// The checkpoint restored (`None`: from nothing).
        checkpoint: Option<CheckpointId>,
    },
    /// A fault phase starts (`start`) or ends; `label` names the fault and its parameters.
    Fault {
        /// True when the fault strikes, false when it is lifted.
        start: bool,
        /// The fault's Debug rendering, e.g. `TaskFailure { task: "Sum[0]" }`.
        label: String,
        /// The fault's kind (its scenario name `task-failure`, `tm-crash`, ... by `Display`).
        kind: crate::spec::FaultName,
    },
    /// A TaskManager process started; incarnation 1 is its first.
    TmStart {
        /// 1 for the first start, 2 after its first restart, ...
        incarnation: u64,
    },
    /// A job failure the restart strategy judged: the JobMaster's failure number (1 again with
    /// a new JobMaster) and the backoff of the restart it scheduled, `None` when it allowed no
    /// restart (the job fails for good); `cause` what failed (the `detail` text renders it).
    Failure {
        /// The JobMaster's failure number (1 for its first).
        failure: u32,
        /// Backoff before the scheduled restart, ms; `None`: no restart allowed.
        backoff_ms: Option<u64>,
        /// What failed.
        cause: ckptsim::reason::FailureCause,
    },
    /// Task `task` (attempt `attempt`) processed a record of input `input_seq` after the barrier
    /// of the stop-with-savepoint's synchronous `savepoint` it stopped at (a protocol bug: the
    /// `stop` checker names it).
    RecordAfterStop {
        /// The task that processed the record.
        task: TaskId,
        /// Its attempt.
        attempt: Attempt,
        /// The stop's synchronous savepoint.
        savepoint: CheckpointId,
        /// The input number the record derives from.
        input_seq: u64,
    },
    /// An event about one task (exception, injected fault, snapshot, decline, sink); the
    /// `detail` text says what happened.
    Task {
        /// The task the event is about.
        task: TaskId,
    },
    /// The coordinator triggered checkpoint (or savepoint) `id`; the `detail` text has its kind
    /// and alignment.
    Trigger {
        /// The checkpoint or savepoint id.
        id: CheckpointId,
    },
    /// The JobManager moved an execution of task `task` (named `name`) from `from` to `to`;
    /// `attempt` is the JobMaster's own attempt number (it starts again with a new JobManager).
    Transition {
        /// The task.
        task: TaskId,
        /// The task's name in the job graph of the moment (`Sum[0]`).
        name: String,
        /// The JobMaster's attempt number of the execution.
        attempt: Attempt,
        /// The state it left.
        from: ExecutionState,
        /// The state it entered.
        to: ExecutionState,
    },
    /// The job's status changed; the `detail` text adds the cause, if any.
    Job {
        /// The status it left.
        from: JobStatus,
        /// The status it entered.
        to: JobStatus,
    },
    /// A re-tuning request reached the JobManager.
    Retune {
        /// What it asked for.
        request: ckptsim::config::Retune,
        /// Why the JobManager refused it; `None`: accepted.
        rejected: Option<String>,
    },
    /// The coordinator aborted checkpoint (or savepoint) `id`.
    Abort {
        /// The checkpoint id.
        id: CheckpointId,
        /// Why.
        reason: CheckpointFailureReason,
    },
    /// The coordinator discarded a checkpoint's state (subsumed, or at the job's end), as the
    /// completed-checkpoint store decided (`CoordinatorOutput::Discarded`): the `retention`
    /// checker's rule that a job discards only what it owns (session 29).
    Discarded {
        /// The checkpoint id.
        id: CheckpointId,
    },
    /// The coordinator refused a trigger request; the `detail` text names the request and why.
    Rejected,
    /// The coordinator's tolerable-failure threshold was exceeded: the job must fail.
    Tolerable {
        /// The checkpoint that failed last, if it had an id.
        id: Option<CheckpointId>,
        /// Its failure reason.
        reason: CheckpointFailureReason,
    },
    /// The JobManager declared TaskManager `tm` lost (heartbeat timeout).
    TmLost {
        /// The TaskManager's index.
        tm: u32,
    },
    /// A crash fault reached the node: it restarts `restart_after_ms` later, or (`None`) the
    /// crash was ignored (the process was down, or the job over); the `detail` text says which.
    Crash {
        /// Delay before the process restarts, ms; `None`: nothing crashed.
        restart_after_ms: Option<u64>,
    },
    /// A control message was dropped (a partition, a process gone) or lost; the `detail` text
    /// names the link and the message.
    Dropped {
        /// The message's kind (`notify-complete`, `trigger`, `heartbeat`, ...).
        message: &'static str,
    },
    /// The client handed socket line `seq` to the reading source.
    Input {
        /// The line's position in the scenario's input.
        seq: u64,
        /// The line.
        line: String,
    },
    /// The client had socket line `seq` to send and no source was reading the socket.
    InputLost {
        /// The line's position in the scenario's input.
        seq: u64,
        /// The line.
        line: String,
    },
    /// The socket server closed the connection after its last line.
    SocketClosed,
    /// The client sent a user action to the JobManager.
    Action {
        /// The action's Debug rendering, e.g. `Savepoint`.
        label: String,
    },
    /// Task `task` took its snapshot of a checkpoint; the `detail` text has id, size, alignment.
    Snapshot {
        /// The task.
        task: TaskId,
    },
    /// An injected task failure (the `task-failure` fault) made task `task` throw.
    Injected {
        /// The task.
        task: TaskId,
    },
    /// Task `task` threw; the `detail` text has the cause.
    Exception {
        /// The task.
        task: TaskId,
    },
    /// Task `task` declined checkpoint `id`.
    Decline {
        /// The task.
        task: TaskId,
        /// The checkpoint.
        id: CheckpointId,
        /// Why.
        reason: CheckpointFailureReason,
    },
    /// Task `task` found the sink store unreachable (and fails).
    SinkUnreachable {
        /// The task.
        task: TaskId,
    },
    /// Task `task` did not stop within `task.cancellation.timeout`: its TaskManager exits.
    Watchdog {
        /// The task.
        task: TaskId,
    },
    /// A bounded log source read every partition it owns to its stopping offsets.
    EndOfInput,
    /// A zombie producer was fenced by the sink store.
    Fenced,
    /// A two-phase-commit sink committed transaction `txn`.
    Commit {
        /// The transaction (its `attempt` is the world attempt that opened it).
        txn: ckptsim::state::TxnId,
    },
}

impl EventData {
    /// The `detail` text of a fully typed event (the trace line after node and kind); `None`
    /// for the kinds whose text carries more than their fields.
    pub fn detail(&self) -> Option<String> {
        match self {
            EventData::JmStart { epoch, restore } => Some(format!("epoch={epoch} restore={:?}", restore.map(|c| c.0))),
            EventData::Restore { attempt, checkpoint } => {
                Some(format!("attempt {attempt} from checkpoint {:?}", checkpoint.map(|c| c.0)))
            }
            EventData::Fault { start, label, .. } => Some(format!("{} {label}", if *start { "start" } else { "end" })),
            EventData::TmStart { incarnation } => Some(format!("incarnation={incarnation}")),
            EventData::RecordAfterStop { task, attempt, savepoint, input_seq } => Some(format!(
                "task={} {attempt} processed input #{input_seq} after the barrier of stop savepoint {}",
                task.0, savepoint.0
            )),
            EventData::Transition { name, attempt, from, to, .. } => {
                let mut s = String::with_capacity(name.len() + 32);
                s.push_str(name);
                s.push_str(" #");
                s.push_str(&attempt.0.to_string());
                s.push(' ');
                s.push_str(from.name());
                s.push_str(" -> ");
                s.push_str(to.name());
                Some(s)
            }
            EventData::Retune { request, rejected: None } => Some(format!("retune {request:?} accepted")),
            EventData::Retune { request, rejected: Some(e) } => Some(format!("retune {request:?} rejected: {e}")),
            EventData::Abort { id, reason } => Some(format!("id={id} {reason}")),
            EventData::Discarded { id } => {
                // One per completed checkpoint: written without the formatting machinery.
                let mut s = String::with_capacity(24);
                s.push_str("id=");
                crate::scenario::text::push_decimal(&mut s, id.0);
                Some(s)
            }
            EventData::Tolerable { id, reason } => Some(format!("threshold exceeded: {:?} {reason}", id.map(|i| i.0))),
            EventData::TmLost { tm } => Some(format!("tm{tm} heartbeat timeout")),
            EventData::Input { seq, line } => Some(format!("#{seq} {line:?}")),
            EventData::InputLost { seq, line } => Some(format!("#{seq} {line:?}: no source is reading the socket")),
            EventData::SocketClosed => Some("the server closed the connection".to_string()),
            EventData::Action { label } => Some(label.clone()),
            EventData::Decline { task, id, reason } => Some(format!("{task} id={id} {reason}")),
            EventData::SinkUnreachable { task } => Some(format!("{task} sink store unreachable")),
            EventData::None
            | EventData::Failure { .. }
            | EventData::Task { .. }
            | EventData::Trigger { .. }
            | EventData::Job { .. }
            | EventData::Rejected
            | EventData::Crash { .. }
            | EventData::Dropped { .. }
            | EventData::Snapshot { .. }
            | EventData::Injected { .. }
            | EventData::Exception { .. }
            | EventData::Watchdog { .. }
            | EventData::EndOfInput
            | EventData::Fenced
            | EventData::Commit { .. } => None,
        }
    }

    /// The task a per-task event is about (the report's task lanes and triage pick events by
    /// it): the task events of a TaskManager and the JobManager's task transitions. `None`
    /// for job-level events, including the few that carry a task only to render their text.
    pub fn task(&self) -> Option<TaskId> {
        match self {
            EventData::Task { task }
            | EventData::Snapshot { task }
            | EventData::Injected { task }
            | EventData::Exception { task }
            | EventData::Decline { task, .. }
            | EventData::SinkUnreachable { task }
            | EventData::Watchdog { task }
            | EventData::RecordAfterStop { task, .. }
            | EventData::Transition { task, .. } => Some(*task),
            _ => None,
        }
    }

    /// Whether a TaskManager's event about a task is a mark on the report's task lane: every
    /// per-task event but snapshots (drawn as phases), records after a stop and transitions.
    pub fn is_task_mark(&self) -> bool {
        matches!(
            self,
            EventData::Task { .. }
                | EventData::Injected { .. }
                | EventData::Exception { .. }
                | EventData::Decline { .. }
                | EventData::SinkUnreachable { .. }
                | EventData::Watchdog { .. }
                | EventData::Discarded { .. }
        )
    }

    /// The events a lean trace keeps whole ([`Trace::is_essential`]).
    fn is_essential(&self) -> bool {
        matches!(
            self,
            EventData::JmStart { .. }
                | EventData::Restore { .. }
                | EventData::Fault { .. }
                | EventData::TmStart { .. }
                | EventData::Failure { .. }
                | EventData::RecordAfterStop { .. }
                | EventData::Retune { .. }
                | EventData::Injected { .. }
                | EventData::Exception { .. }
                | EventData::Watchdog { .. }
        )
    }
}

/// The time and checkpoint id of a trigger or a discard, as every trace keeps them
/// ([`Trace::triggers`], [`Trace::discards`]): one a checkpoint each, 720,000 in the virtual hour
/// at a 10 ms interval, so a lean trace keeps these 16 bytes instead of the whole event (a
/// [`TraceEvent`] with its two heap strings was ~200 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    /// Virtual time of the event.
    pub time_ms: u64,
    /// The checkpoint triggered or discarded.
    pub id: CheckpointId,
}

impl TraceEvent {
    /// `000012.345 jm        complete  id=3 ...`
    pub fn line(&self) -> String {
        let mut s = String::with_capacity(48 + self.detail.len());
        self.write_line(&mut s);
        s
    }

    /// Appends [`TraceEvent::line`] to `out`: `{:>7}.{:03} {:<10} {:<10} {}` of (seconds,
    /// milliseconds, node, kind, detail), written by hand (the trace of every seed is hashed,
    /// and the formatting machinery was a tenth of a seed's cost).
    pub fn write_line(&self, out: &mut String) {
        fn pad_to(out: &mut String, text: &str, width: usize) {
            out.push_str(text);
            for _ in text.chars().count()..width {
                out.push(' ');
            }
        }
        let mut digits = [b' '; 20];
        let mut i = digits.len();
        let mut secs = self.time_ms / 1000;
        loop {
            i -= 1;
            digits[i] = b'0' + (secs % 10) as u8;
            secs /= 10;
            if secs == 0 {
                break;
            }
        }
        let start = i.min(digits.len() - 7);
        out.push_str(std::str::from_utf8(&digits[start..]).expect("ascii digits"));
        let ms = self.time_ms % 1000;
        out.push('.');
        out.push((b'0' + (ms / 100) as u8) as char);
        out.push((b'0' + (ms / 10 % 10) as u8) as char);
        out.push((b'0' + (ms % 10) as u8) as char);
        out.push(' ');
        pad_to(out, &self.node, 10);
        out.push(' ');
        pad_to(out, self.kind, 10);
        out.push(' ');
        out.push_str(&self.detail);
    }
}

/// The append-only trace of one run. Every event streams into the hash as it is pushed; the
/// events themselves are kept whole ([`Trace::default`], [`Trace::full`]) or, in a lean trace
/// ([`Trace::lean`]), only the few the checkers and the verdict read ([`Trace::is_essential`]):
/// a long run's memory then no longer grows with its events.
#[derive(Clone, Debug)]
pub struct Trace {
    events: Vec<TraceEvent>,
    /// Every trigger ([`EventData::Trigger`]), in order, in a full and a lean trace alike.
    triggers: Vec<Mark>,
    /// Every discard ([`EventData::Discarded`]), in order, in a full and a lean trace alike.
    discards: Vec<Mark>,
    keep_all: bool,
    count: u64,
    hasher: Hasher64,
    /// The text buffer of the last event not kept, emptied, for the next event's detail
    /// ([`Trace::detail_buffer`]): a lean run writes most details into one reused buffer.
    spare: String,
}

impl Default for Trace {
    fn default() -> Self {
        Trace::full()
    }
}

impl Trace {
    /// A trace that keeps every event (for `--trace`, reports, Chrome traces, coverage, triage).
    pub fn full() -> Self {
        Trace {
            events: Vec::new(),
            triggers: Vec::new(),
            discards: Vec::new(),
            keep_all: true,
            count: 0,
            hasher: Hasher64::new(),
            spare: String::new(),
        }
    }

    /// A trace that hashes every event but keeps only the essential ones
    /// ([`Trace::is_essential`]); its [`Trace::hash`] and [`Trace::len`] equal a full trace's.
    pub fn lean() -> Self {
        Trace { keep_all: false, ..Trace::full() }
    }

    /// Whether every event is kept ([`Trace::events`] is the whole run).
    pub fn is_full(&self) -> bool {
        self.keep_all
    }

    /// The events a lean trace keeps whole: the ones the checkers, signatures and the verdict's
    /// output table read — job failures ([`EventData::Failure`]), task exceptions, fault
    /// phases and injected task failures, TaskManager cancellation watchdogs (read by
    /// liveness), JobManager and TaskManager starts, restores, re-tunes (read by the
    /// coordinator checker) and records after a stop. All are rare: a few per fault or action.
    /// Triggers and discards, one per checkpoint, are kept as [`Mark`]s only
    /// ([`Trace::triggers`], [`Trace::discards`]).
    pub fn is_essential(data: &EventData) -> bool {
        data.is_essential()
    }

    /// How many events were pushed (kept or not).
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// True when no event was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends one event (and logs it at `debug` under target `ckptsim::trace`).
    pub fn push(&mut self, time_ms: u64, node: &str, kind: &'static str, detail: String) {
        self.push_data(time_ms, node, kind, detail, EventData::None);
    }

    /// Appends one event with typed fields (see [`TraceEvent::data`]).
    pub fn push_data(&mut self, time_ms: u64, node: &str, kind: &'static str, detail: String, data: EventData) {
        tracing::debug!(target: "ckptsim::trace", "{:>7}.{:03} {:<10} {:<10} {}", time_ms / 1000, time_ms % 1000, node, kind, detail);
        self.count += 1;
        self.hasher.event(time_ms, node, kind, &detail);
        match data {
            EventData::Trigger { id } => self.triggers.push(Mark { time_ms, id }),
            EventData::Discarded { id } => self.discards.push(Mark { time_ms, id }),
            _ => {}
        }
        if self.keep_all || data.is_essential() {
            self.events.push(TraceEvent { time_ms, node: node.to_string(), kind, detail, data });
        } else if detail.capacity() > self.spare.capacity() {
            self.spare = detail;
            self.spare.clear();
        }
    }

    /// An empty buffer of at least `capacity` bytes to write the next event's detail into:
    /// the text of the last event this trace hashed and did not keep, when there is one (a
    /// lean trace keeps a few events in a hundred, so most details reuse one allocation).
    pub fn detail_buffer(&mut self, capacity: usize) -> String {
        let mut s = std::mem::take(&mut self.spare);
        s.reserve(capacity);
        s
    }

    /// Every trigger so far ([`EventData::Trigger`]), in order: kept by a lean trace too.
    pub fn triggers(&self) -> &[Mark] {
        &self.triggers
    }

    /// Every discard so far ([`EventData::Discarded`]), in order: kept by a lean trace too.
    pub fn discards(&self) -> &[Mark] {
        &self.discards
    }

    /// Every event so far, in order (a lean trace: only the essential ones; its triggers and
    /// discards are in [`Trace::triggers`] and [`Trace::discards`]).
    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }

    /// The whole trace, one [`TraceEvent::line`] per kept event (all of them unless lean).
    pub fn text(&self) -> String {
        let mut s = String::new();
        for e in &self.events {
            e.write_line(&mut s);
            s.push('\n');
        }
        s
    }

    /// A 64-bit hash of every event's fields (time, node, kind, detail), taken 8 bytes at a time:
    /// equal hashes ⇔ (with overwhelming likelihood) equal traces. Each field is length-prefixed,
    /// so moving text between fields changes the hash. (Hashing the formatted text byte by byte
    /// was 7% of a seed's cost.) The hash is fed as events are pushed, so it covers every
    /// event of a lean trace too.
    pub fn hash(&self) -> u64 {
        self.hasher.finish()
    }
}

/// A small word-at-a-time hasher (multiply-xorshift mixing, a final avalanche); deterministic
/// across runs and platforms, unlike `std`'s randomly keyed `DefaultHasher`.
#[derive(Clone, Debug)]
struct Hasher64(u64);

impl Hasher64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;

    fn new() -> Self {
        Hasher64(0xcbf2_9ce4_8422_2325)
    }

    /// One event's fields, each length-prefixed.
    fn event(&mut self, time_ms: u64, node: &str, kind: &str, detail: &str) {
        self.word(time_ms);
        self.bytes(node.as_bytes());
        self.bytes(kind.as_bytes());
        self.bytes(detail.as_bytes());
    }

    fn word(&mut self, x: u64) {
        self.0 = (self.0 ^ x).wrapping_mul(Self::K);
        self.0 ^= self.0 >> 29;
    }

    fn bytes(&mut self, b: &[u8]) {
        self.word(b.len() as u64);
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().expect("8-byte chunk")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.word(u64::from_le_bytes(last));
        }
    }

    fn finish(&self) -> u64 {
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::{Trace, TraceEvent};
    use ckptsim::ids::TaskId;

    #[test]
    fn hand_written_line_matches_the_format_string() {
        for (time_ms, node, kind, detail) in [
            (0, "jm", "job", "CREATED -> RUNNING"),
            (12_345, "tm0", "snapshot", "x"),
            (9_999_999_999, "sink-store", "commit", ""),
            (123_456_789_012_345, "a-very-long-node-name", "kind-longer-than-10", "détail ü"),
            (1_000, "nöde", "k", "d"),
        ] {
            let e =
                TraceEvent { time_ms, node: node.into(), kind, detail: detail.into(), data: super::EventData::None };
            let want = format!("{:>7}.{:03} {:<10} {:<10} {}", time_ms / 1000, time_ms % 1000, node, kind, detail);
            assert_eq!(e.line(), want);
        }
    }

    #[test]
    fn lean_trace_hashes_and_counts_every_event_but_keeps_only_essential_ones() {
        let (mut full, mut lean) = (Trace::full(), Trace::lean());
        for t in [&mut full, &mut lean] {
            t.push(0, "jm", "job", "CREATED -> RUNNING".into());
            t.push_data(5, "tm0", "snapshot", "Sum[0] id=1".into(), super::EventData::Task { task: TaskId(1) });
            t.push_data(
                7,
                "jm",
                "failure",
                "#1 restart".into(),
                super::EventData::Failure {
                    failure: 1,
                    backoff_ms: Some(1000),
                    cause: ckptsim::reason::FailureCause::TaskManagerLost { tm: ckptsim::ids::TmId(0) },
                },
            );
            t.push_data(8, "tm0", "exception", "Sum[0] throws".into(), super::EventData::Exception { task: TaskId(1) });
            t.push_data(
                9,
                "jm",
                "jm-start",
                "epoch=2 restore=None".into(),
                super::EventData::TmStart { incarnation: 2 },
            );
        }
        assert_eq!(full.hash(), lean.hash());
        assert_eq!((full.len(), lean.len()), (5, 5));
        assert_eq!(full.events().len(), 5);
        let kinds: Vec<&str> = lean.events().iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["failure", "exception", "jm-start"]);
        assert!(full.is_full() && !lean.is_full());
    }

    #[test]
    fn triggers_and_discards_are_kept_as_marks_by_full_and_lean_traces() {
        use super::{EventData, Mark};
        use ckptsim::ids::CheckpointId;
        let (mut full, mut lean) = (Trace::full(), Trace::lean());
        for t in [&mut full, &mut lean] {
            t.push_data(
                10,
                "jm",
                "trigger",
                "id=1 Checkpoint Aligned".into(),
                EventData::Trigger { id: CheckpointId(1) },
            );
            t.push(11, "jm", "job", "RUNNING -> RESTARTING".into());
            t.push_data(
                12,
                "jm",
                "trigger",
                "id=2 Savepoint Aligned".into(),
                EventData::Trigger { id: CheckpointId(2) },
            );
            t.push_data(20, "storage", "discard", "id=1".into(), EventData::Discarded { id: CheckpointId(1) });
        }
        let triggers = [Mark { time_ms: 10, id: CheckpointId(1) }, Mark { time_ms: 12, id: CheckpointId(2) }];
        let discards = [Mark { time_ms: 20, id: CheckpointId(1) }];
        for t in [&full, &lean] {
            assert_eq!(t.triggers(), triggers);
            assert_eq!(t.discards(), discards);
            assert_eq!(t.len(), 4);
        }
        assert_eq!(full.hash(), lean.hash(), "the marks' text is hashed as a full trace hashes it");
        assert_eq!(full.events().len(), 4, "a full trace keeps them whole too");
        assert!(lean.events().is_empty(), "a lean trace keeps only their marks");
        assert!(full.text().contains("trigger    id=2 Savepoint Aligned"));
    }

    #[test]
    fn a_lean_trace_reuses_the_detail_of_an_event_it_did_not_keep() {
        let mut lean = Trace::lean();
        let mut detail = lean.detail_buffer(64);
        detail.push_str("Sum[0] id=1");
        let at = detail.as_ptr();
        lean.push_data(5, "tm0", "snapshot", detail, super::EventData::Task { task: TaskId(1) });
        let again = lean.detail_buffer(8);
        assert!(again.is_empty() && again.capacity() >= 64, "the dropped detail's buffer, emptied");
        assert_eq!(again.as_ptr(), at, "the same allocation");
        // A kept event keeps its text: the next buffer is another one.
        let mut kept = again;
        kept.push_str("#1 restart");
        let failure = super::EventData::Failure {
            failure: 1,
            backoff_ms: None,
            cause: ckptsim::reason::FailureCause::TaskManagerLost { tm: ckptsim::ids::TmId(0) },
        };
        lean.push_data(7, "jm", "failure", kept, failure);
        assert_eq!(lean.events()[0].detail, "#1 restart");
        let next = lean.detail_buffer(8);
        assert_ne!(next.as_ptr(), at);
        // The buffer never changes what is hashed: the same events pushed with fresh strings.
        let mut fresh = Trace::lean();
        fresh.push_data(5, "tm0", "snapshot", "Sum[0] id=1".into(), super::EventData::Task { task: TaskId(1) });
        let failure = super::EventData::Failure {
            failure: 1,
            backoff_ms: None,
            cause: ckptsim::reason::FailureCause::TaskManagerLost { tm: ckptsim::ids::TmId(0) },
        };
        fresh.push_data(7, "jm", "failure", "#1 restart".into(), failure);
        assert_eq!(lean.hash(), fresh.hash());
    }

    #[test]
    fn hash_tells_traces_apart_and_is_stable() {
        let trace = |events: &[(u64, &str, &'static str, &str)]| {
            let mut t = Trace::default();
            for &(at, node, kind, detail) in events {
                t.push(at, node, kind, detail.into());
            }
            t.hash()
        };
        let base = [(0, "jm", "job", "CREATED -> RUNNING"), (1_000, "tm0", "snapshot", "Sum[0] id=1")];
        let h = trace(&base);
        assert_eq!(h, trace(&base), "same events, same hash");
        // Each of these differs from `base` in one way; all hashes must differ.
        let variants: [&[(u64, &str, &'static str, &str)]; 6] = [
            &[(0, "jm", "job", "CREATED -> RUNNING"), (1_001, "tm0", "snapshot", "Sum[0] id=1")],
            &[(0, "jm", "job", "CREATED -> RUNNING"), (1_000, "tm1", "snapshot", "Sum[0] id=1")],
            &[(0, "jm", "job", "CREATED -> RUNNING"), (1_000, "tm0", "snapshot", "Sum[0] id=2")],
            &[(0, "jm", "job", "CREATED -> RUNNING")],
            // Text moved across a field boundary.
            &[(0, "jmj", "ob", "CREATED -> RUNNING"), (1_000, "tm0", "snapshot", "Sum[0] id=1")],
            &[(1_000, "tm0", "snapshot", "Sum[0] id=1"), (0, "jm", "job", "CREATED -> RUNNING")],
        ];
        let mut seen = std::collections::BTreeSet::from([h]);
        for v in variants {
            assert!(seen.insert(trace(v)), "collision for {v:?}");
        }
    }
}
