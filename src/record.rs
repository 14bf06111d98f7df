//! Stream elements: records with their lineage and optional event timestamp, checkpoint barriers and their options, cancel markers, end of partition, watermarks and watermark status.

use crate::ids::{CheckpointId, Offset, PartitionId};
use crate::variant::Variant;
use crate::watermark::{Watermark, WatermarkStatus};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// A record's payload. Cheap to clone (strings are shared).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Value {
    /// An integer (a count, a sum, a generated number).
    Int(i64),
    /// A string (a word, a log record's value, a key `k3`).
    Str(Arc<str>),
    /// A (key, count) tuple such as word count's `(a,1)`.
    Pair(Arc<str>, i64),
}

impl Value {
    /// A [`Value::Str`] of `s`.
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    /// An approximation of the serialized size, used for state and buffer sizes.
    pub fn size_bytes(&self) -> u64 {
        match self {
            Value::Int(_) => 8,
            Value::Str(s) => 4 + s.len() as u64,
            Value::Pair(s, _) => 12 + s.len() as u64,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => f.write_str(s),
            Value::Pair(k, v) => write!(f, "({k},{v})"),
        }
    }
}

/// Where a record came from: the input it derives from. Every record produced from an input
/// carries that input's lineage, so checkers can explain duplicates (which input was replayed)
/// and losses (which input never reached the output).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Lineage {
    /// Sequence number of the input record in the scenario's input (0-based, unique per run).
    pub input_seq: u64,
    /// Position among the records one input produced (flat_map); 0 otherwise.
    pub sub: u32,
}

/// A record flowing through the job.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The payload.
    pub value: Value,
    /// The input it derives from.
    pub lineage: Lineage,
    /// The event timestamp in ms (Flink's `StreamRecord` timestamp), `None` without event time.
    /// Map/filter/flat_map and running aggregates keep their input's; an event-time window's
    /// result carries its window's `maxTimestamp` (see `window.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
}

impl Record {
    /// A record without an event timestamp.
    pub fn new(value: Value, lineage: Lineage) -> Record {
        Record { value, lineage, timestamp: None }
    }
}

/// How a barrier is to be handled (Flink's `CheckpointOptions` alignment type, §3.4).
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub enum Alignment {
    /// AT_LEAST_ONCE mode: the barrier tracker, never blocks.
    AtLeastOnce,
    /// Aligned exactly-once.
    Aligned,
    /// Unaligned from the first barrier.
    Unaligned,
    /// Starts aligned; switches to unaligned for this checkpoint once
    /// `now - barrier.timestamp_ms > timeout_ms`.
    AlignedWithTimeout {
        /// `execution.checkpointing.aligned-checkpoint-timeout`, ms.
        timeout_ms: u64,
    },
    /// An unaligned (or aligned-with-timeout) checkpoint's barrier on an edge into a task whose
    /// inputs always align (semantics §14, forced alignment): it travels in-band and the task aligns it, with no
    /// timeout (Flink's `AlignmentType.FORCED_ALIGNED`, made by
    /// `CheckpointOptions#withUnalignedUnsupported` in `RecordWriterOutput#broadcastEvent`).
    /// The task forwards its barrier downstream with the original alignment again
    /// ([`Alignment::with_unaligned_supported`]).
    ForcedAligned {
        /// The aligned-checkpoint timeout the original alignment had, ms (`None`: unaligned).
        timeout_ms: Option<u64>,
    },
}

/// A periodic (or explicitly triggered) checkpoint, or a savepoint (Flink's
/// `CheckpointType` / `SavepointType`): a savepoint is always aligned and never subsumed.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckpointKind {
    /// A checkpoint the coordinator triggered (periodic or on request).
    Checkpoint,
    /// A savepoint (user-triggered, or the synchronous one of a stop-with-savepoint).
    Savepoint,
}

/// A checkpoint barrier as injected by a source.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct Barrier {
    /// The checkpoint it belongs to.
    pub id: CheckpointId,
    /// The JobManager's trigger timestamp; the aligned-checkpoint timeout is measured from it.
    pub timestamp_ms: u64,
    /// Checkpoint or savepoint.
    pub kind: CheckpointKind,
    /// How the tasks handle it (aligned, unaligned, ...).
    pub alignment: Alignment,
    /// `Some` for the synchronous savepoint of a stop-with-savepoint (Flink 1.11's
    /// `CheckpointType.SYNC_SAVEPOINT`, 2.x's `SavepointType.suspend()` / `terminate()`): a task
    /// that snapshots it processes no input after it and finishes once it is notified
    /// (`task_stop.rs`, semantics §12.6).
    #[serde(default)]
    pub stop: Option<StopMode>,
}

/// How a stop-with-savepoint ends the sources (Flink's `StopMode`): without drain the
/// event-time state stays in the savepoint; with drain (`flink stop --drain`) the sources emit
/// `MAX_WATERMARK` before the savepoint's barrier, so every event-time timer fires into it.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopMode {
    /// `flink stop`: event-time state stays in the savepoint.
    NoDrain,
    /// `flink stop --drain`: every event-time timer fires before the savepoint.
    Drain,
}

impl Alignment {
    /// `CheckpointOptions.forConfig` (§3.4): what alignment a checkpoint of this kind gets.
    pub fn for_config(exactly_once: bool, unaligned: bool, aligned_timeout_ms: u64, kind: CheckpointKind) -> Alignment {
        if !exactly_once {
            Alignment::AtLeastOnce
        } else if kind == CheckpointKind::Savepoint || !unaligned {
            Alignment::Aligned
        } else if aligned_timeout_ms == 0 {
            Alignment::Unaligned
        } else {
            Alignment::AlignedWithTimeout { timeout_ms: aligned_timeout_ms }
        }
    }

    /// The alignment on an edge that does not support unaligned checkpoints (Flink's
    /// `CheckpointOptions#withUnalignedUnsupported`): unaligned and aligned-with-timeout become
    /// [`Alignment::ForcedAligned`]; any other stays.
    pub fn with_unaligned_unsupported(self) -> Alignment {
        match self {
            Alignment::Unaligned => Alignment::ForcedAligned { timeout_ms: None },
            Alignment::AlignedWithTimeout { timeout_ms } => Alignment::ForcedAligned { timeout_ms: Some(timeout_ms) },
            other => other,
        }
    }

    /// The reverse (`CheckpointOptions#withUnalignedSupported`, applied by
    /// `SubtaskCheckpointCoordinatorImpl#checkpointState` before the barrier goes on):
    /// a forced-aligned barrier leaves the task as the unaligned or aligned-with-timeout
    /// barrier it was.
    pub fn with_unaligned_supported(self) -> Alignment {
        match self {
            Alignment::ForcedAligned { timeout_ms: None } => Alignment::Unaligned,
            Alignment::ForcedAligned { timeout_ms: Some(timeout_ms) } => Alignment::AlignedWithTimeout { timeout_ms },
            other => other,
        }
    }
}

/// How a barrier a task forwards enters one of its output channels (Flink's
/// `RecordWriterOutput#broadcastEvent`): into a task whose inputs always align (a broadcast or
/// pointwise input edge, `StreamGraphGenerator` marks all its input edges as not supporting
/// unaligned checkpoints, semantics §14, forced alignment) it goes in-band, forced aligned; elsewhere as the
/// task emitted it (`priority`: ahead of the queued records). Returns the barrier and whether
/// it goes with priority. The planted [`Variant::UnalignedIntoAlwaysAligned`] ignores the
/// consumer's flag (the model before session 15).
pub fn barrier_into(
    barrier: Barrier,
    priority: bool,
    consumer_always_aligns: bool,
    variant: Variant,
) -> (Barrier, bool) {
    if !consumer_always_aligns || variant == Variant::UnalignedIntoAlwaysAligned {
        return (barrier, priority);
    }
    (Barrier { alignment: barrier.alignment.with_unaligned_unsupported(), ..barrier }, false)
}

/// What travels on a data channel between tasks.
#[derive(Clone, Debug, Hash, PartialEq, Serialize, Deserialize)]
pub enum StreamElement {
    /// A data record.
    Record(Record),
    /// A checkpoint barrier.
    Barrier(Barrier),
    /// Flink's `CancelCheckpointMarker`: the checkpoint was aborted upstream; stop aligning it.
    CancelMarker(CheckpointId),
    /// The sender's input ended: no element follows on this channel.
    EndOfPartition,
    /// The sender reached the end of its data (2.x, FLIP-147: `EndOfData` with
    /// `StopMode.DRAIN`, sent by `StreamTask.endData` before the task waits for its final
    /// checkpoint): no record follows on this channel, but barriers still do, until the sender
    /// finishes and sends EndOfPartition.
    EndOfData,
    /// An event-time watermark (semantics §11); broadcast to every downstream channel.
    Watermark(Watermark),
    /// The sender's watermark status changed (IDLE / ACTIVE).
    WatermarkStatus(WatermarkStatus),
}

/// A record in the Kafka-like log: its position and payload.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    /// The partition it was appended to.
    pub partition: PartitionId,
    /// Its position in the partition.
    pub offset: Offset,
    /// The payload.
    pub value: Value,
    /// Its input sequence number (the run's input order).
    pub lineage: Lineage,
    /// The record's timestamp in the log (Kafka's record timestamp): the event timestamp a
    /// source with a watermark strategy gives the record; `None` for logs without timestamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
}
