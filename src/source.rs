//! Sources: a Kafka-like partitioned-log source with checkpointed offsets and offset commits (semantics §5), and a non-replayable socket-like line source.
//!
//! [`LogSource`] is one subtask of a Kafka source. Its state is an offset per owned partition,
//! stored as union list state: on restore every subtask sees the states of all subtasks and
//! keeps the partitions it owns (`rescale::kafka_split_owner`: round robin from the start index
//! of the topic's name). What the state holds depends on the profile (§9): 1.11's `FlinkKafkaConsumer` stores the **last read** offset and commits
//! `offset + 1`; 2.x's `KafkaSource` stores the **next** offset to read and commits it as-is.
//! Both commit "next to read" to the broker, and only when a checkpoint completes.
//!
//! Offset auto-commit: with checkpointing on (the default assumed by [`LogSource::new`]), offsets
//! are committed only on `notify_checkpoint_complete`. With checkpointing off, the host calls
//! [`LogSource::enable_auto_commit`] when the profile says the consumer auto-commits
//! ([`Profile::kafka_auto_commits_without_checkpointing`](crate::profile::Profile::kafka_auto_commits_without_checkpointing)); commits then come from
//! [`LogSource::handle_timeout`] every interval and snapshots record no pending commits (§5.1
//! commit mode `KAFKA_PERIODIC`).
//!
//! [`LineSource`] is a socket: nothing is checkpointed, and lines read before a failure are gone.

mod line;
mod log;

pub use line::LineSource;
pub use log::LogSource;

use crate::ids::Offset;
use serde::{Deserialize, Serialize};
use std::fmt;

/// 1.11's state for a partition of which nothing was read yet: Java's `-1` (last read = start - 1
/// with start 0). `NOTHING_READ + 1` wraps to offset 0, as `-1 + 1` does in Java. It is a
/// negative "sentinel" for the commit filter: never committed.
pub const NOTHING_READ: Offset = Offset(u64::MAX);

/// 2.x's state for a split started from the committed group offset (`group-offsets`,
/// `OffsetsInitializer.committedOffsets`) that has emitted no record yet: Flink's
/// `KafkaPartitionSplit.COMMITTED_OFFSET` (`-3`), a marker the reader resolves to the group's
/// committed offset when it seeks, kept in the split state (and so in a checkpoint) until a record
/// is emitted (`KafkaRecordEmitter` sets the current offset). `KafkaSourceReader#snapshotState`
/// commits no offset for it, and a restore resolves it again, to the group's committed offset at
/// the restore. Never a position: readers of a checkpoint's offsets skip it.
pub const COMMITTED_MARKER: Offset = Offset(u64::MAX - 2);

/// Kafka's default `auto.commit.interval.ms`.
pub const DEFAULT_AUTO_COMMIT_INTERVAL_MS: u64 = 5_000;

/// Where a partition starts when there is no checkpointed offset for it and no restore.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StartupMode {
    /// The consumer group's committed offset; partitions without one start at the earliest
    /// offset (a fixed choice here; Kafka's `auto.offset.reset` would decide).
    #[default]
    GroupOffsets,
    /// Every partition from offset 0.
    Earliest,
    /// The log end at initialization (only records written afterwards are read).
    Latest,
}

impl StartupMode {
    /// Every startup mode.
    pub const ALL: [StartupMode; 3] = [StartupMode::GroupOffsets, StartupMode::Earliest, StartupMode::Latest];
    /// The scenario names of the startup modes (`startup = "..."`), in [`StartupMode::ALL`]
    /// order: the serde names (kebab-case).
    pub fn names() -> Vec<&'static str> {
        crate::names::variant_names(&StartupMode::ALL)
    }

    /// The scenario name of this mode.
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }

    /// The mode of a scenario name; `None` for any other.
    pub fn parse(s: &str) -> Option<StartupMode> {
        crate::names::by_name(&StartupMode::ALL, s)
    }
}

impl fmt::Display for StartupMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;
