//! Newtype identifiers shared by every state machine: checkpoints, tasks, channels, partitions, offsets, attempts.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_newtype {
    ($(#[$m:meta])* $name:ident($inner:ty), $fmt:literal) => {
        $(#[$m])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, $fmt, self.0)
            }
        }
    };
}

id_newtype!(
    /// A checkpoint or savepoint id. Allocated by the coordinator from 1, strictly increasing,
    /// never reused (semantics §1.8).
    CheckpointId(u64),
    "{}"
);
id_newtype!(
    /// A task (one subtask of one job vertex) by its index in the job graph's task list.
    TaskId(u32),
    "t{}"
);
id_newtype!(
    /// An input channel of a task, by index (0..number of inputs).
    ChannelId(u32),
    "ch{}"
);
id_newtype!(
    /// A partition of the Kafka-like log.
    PartitionId(u32),
    "p{}"
);
id_newtype!(
    /// A position in a partition of the log. Offsets start at 0.
    Offset(u64),
    "@{}"
);
id_newtype!(
    /// An execution attempt number of a task: 0 on the first deployment, +1 on every redeploy.
    /// Messages from an older attempt are discarded.
    Attempt(u32),
    "#{}"
);
id_newtype!(
    /// A TaskManager node by index.
    TmId(u32),
    "tm{}"
);

impl CheckpointId {
    /// The id before any checkpoint: handlers start with `current = -1` in Flink; here 0 plays
    /// that role because real ids start at 1.
    pub const NONE: CheckpointId = CheckpointId(0);
    /// The first id the coordinator hands out (Flink's checkpoint id counter starts at 1).
    pub const FIRST: CheckpointId = CheckpointId(1);

    /// The following id.
    pub fn next(self) -> CheckpointId {
        CheckpointId(self.0 + 1)
    }
}

impl Offset {
    /// The offset after this one (the next record to read).
    pub fn next(self) -> Offset {
        Offset(self.0 + 1)
    }
}
