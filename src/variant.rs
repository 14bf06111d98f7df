//! Deliberately broken protocol variants for the negative suite (FoundationDB's "buggify" by name).
//!
//! Every state machine takes a [`Variant`] at construction and behaves correctly unless the
//! variant names a bug in that machine. A scenario under `scenarios/negative/` selects one and
//! expects a named checker to catch it; `cargo test` fails if any variant goes uncaught.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// The correct protocol.
    #[default]
    Correct,
    /// Source commits offsets to the broker at snapshot time instead of on checkpoint completion.
    CommitOffsetsOnSnapshot,
    /// On restart, restore from the latest *pending* (triggered, not completed) checkpoint's
    /// partial state instead of the latest completed checkpoint.
    RestoreFromPending,
    /// Aligned barrier handler never blocks a channel after its barrier arrived.
    AlignedNoBlock,
    /// Two-phase-commit sink commits its transaction at pre-commit (snapshot) time.
    TwoPcCommitOnPrecommit,
    /// Fixed-delay restart strategy allows one restart more than configured.
    FixedDelayOffByOne,
    /// The request decider ignores min pause between checkpoints.
    IgnoreMinPause,
    /// An unaligned restore drops the in-flight channel state instead of replaying it first.
    DropChannelStateOnRestore,
    /// The JobMaster never re-sends a cancel whose RPC was lost (Flink retries it, and fails the
    /// execution when every call failed): the hang of `message-loss` seed 74 before the retries.
    NoCancelRetry,
    /// A restored event-time window operator starts empty: the window contents and timers in
    /// the checkpoint are ignored (Flink restores them from keyed state and the timer service's
    /// snapshot, `InternalTimeServiceManagerImpl`).
    WindowStateNotRestored,
}

impl Variant {
    pub const ALL: [Variant; 10] = [
        Variant::Correct,
        Variant::CommitOffsetsOnSnapshot,
        Variant::RestoreFromPending,
        Variant::AlignedNoBlock,
        Variant::TwoPcCommitOnPrecommit,
        Variant::FixedDelayOffByOne,
        Variant::IgnoreMinPause,
        Variant::DropChannelStateOnRestore,
        Variant::NoCancelRetry,
        Variant::WindowStateNotRestored,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Correct => "correct",
            Variant::CommitOffsetsOnSnapshot => "commit-offsets-on-snapshot",
            Variant::RestoreFromPending => "restore-from-pending",
            Variant::AlignedNoBlock => "aligned-no-block",
            Variant::TwoPcCommitOnPrecommit => "two-pc-commit-on-precommit",
            Variant::FixedDelayOffByOne => "fixed-delay-off-by-one",
            Variant::IgnoreMinPause => "ignore-min-pause",
            Variant::DropChannelStateOnRestore => "drop-channel-state-on-restore",
            Variant::NoCancelRetry => "no-cancel-retry",
            Variant::WindowStateNotRestored => "window-state-not-restored",
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
