//! The output side of the aligned-checkpoint timeout (semantics §3.4, flink-2.3): the timer a task arms when it forwards an aligned-with-timeout barrier, after which the host converts that barrier, if it is still in the task's output buffers, into an unaligned priority barrier.
//!
//! Flink's `SubtaskCheckpointCoordinatorImpl.registerAlignmentTimer` arms one timer per
//! forwarded barrier whose options are timeoutable; it fires `timeout − (now − barrier
//! timestamp)` later (never before now) and calls `alignedBarrierTimeout(id)` on every output
//! (`PipelinedSubpartition.alignedBarrierTimeout`): a barrier of `id` still queued in a
//! subpartition is replaced by its unaligned copy (`CheckpointBarrier.asUnaligned`) at the
//! head of the queue, and the data buffers it overtakes become output channel state of `id`
//! (`ChannelStateWriter.addOutputData`). A barrier already sent to the receiver is out of
//! reach: there the receiving task's own timer (or its announcement) converts it.
//!
//! The model judges the time-out like the barrier handler does, against the JobManager's
//! trigger timestamp with a strict test: the timer is due at `timestamp + timeout + 1`. Arming
//! a new barrier replaces the previous timer, as Flink cancels it first. The timer only says
//! *when*; finding the barrier in the output buffers is the host's part
//! ([`TaskOutput::ConvertBarrier`](crate::task::TaskOutput::ConvertBarrier)).

use crate::ids::CheckpointId;
use crate::record::{Alignment, Barrier};

/// The output-side alignment timer of one task.
#[derive(Clone, Debug, Hash, Default, PartialEq, Eq)]
pub struct OutputAlignmentTimer {
    /// The barrier's id and when the timer is due (ms).
    armed: Option<(CheckpointId, u64)>,
}

impl OutputAlignmentTimer {
    /// The task forwarded `barrier` into its output buffers (`priority`: as an unaligned
    /// barrier that overtook them). Any earlier timer is cancelled; a new one is armed only for
    /// an aligned-with-timeout barrier forwarded aligned.
    pub fn on_forwarded(&mut self, barrier: &Barrier, priority: bool) {
        self.armed = match barrier.alignment {
            Alignment::AlignedWithTimeout { timeout_ms } if !priority => {
                Some((barrier.id, barrier.timestamp_ms.saturating_add(timeout_ms).saturating_add(1)))
            }
            _ => None,
        };
    }

    /// When the timer is due, if armed.
    pub fn deadline_ms(&self) -> Option<u64> {
        self.armed.map(|(_, at)| at)
    }

    /// Fires the timer if it is due at `now_ms`: the id whose barrier the host must convert.
    pub fn fire(&mut self, now_ms: u64) -> Option<CheckpointId> {
        match self.armed {
            Some((id, at)) if at <= now_ms => {
                self.armed = None;
                Some(id)
            }
            _ => None,
        }
    }

    /// Panics unless an armed timer names a real checkpoint and a positive deadline.
    pub fn invariants(&self) {
        if let Some((id, at)) = self.armed {
            assert!(id > CheckpointId::NONE && at > 0, "an armed timer names a real checkpoint and a deadline");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::CheckpointKind;

    fn barrier(id: u64, ts: u64, alignment: Alignment) -> Barrier {
        Barrier { id: CheckpointId(id), timestamp_ms: ts, kind: CheckpointKind::Checkpoint, alignment, stop: None }
    }

    #[test]
    fn armed_only_for_aligned_with_timeout_barriers_forwarded_aligned() {
        let mut t = OutputAlignmentTimer::default();
        t.on_forwarded(&barrier(1, 100, Alignment::Aligned), false);
        assert_eq!(t.deadline_ms(), None);
        t.on_forwarded(&barrier(2, 100, Alignment::AlignedWithTimeout { timeout_ms: 50 }), true);
        assert_eq!(t.deadline_ms(), None, "a barrier that already overtook the buffers needs no timer");
        t.on_forwarded(&barrier(3, 100, Alignment::AlignedWithTimeout { timeout_ms: 50 }), false);
        assert_eq!(t.deadline_ms(), Some(151), "due at timestamp + timeout + 1 (strict test)");
        assert_eq!(t.fire(150), None);
        assert_eq!(t.fire(151), Some(CheckpointId(3)));
        assert_eq!(t.fire(500), None, "fires once");
    }

    #[test]
    fn a_newer_barrier_replaces_the_timer() {
        let mut t = OutputAlignmentTimer::default();
        t.on_forwarded(&barrier(1, 100, Alignment::AlignedWithTimeout { timeout_ms: 50 }), false);
        t.on_forwarded(&barrier(2, 120, Alignment::Unaligned), true);
        assert_eq!(t.fire(1_000), None, "Flink cancels the previous timer when it forwards the next barrier");
        t.on_forwarded(&barrier(3, 120, Alignment::AlignedWithTimeout { timeout_ms: 50 }), false);
        assert_eq!(t.fire(1_000), Some(CheckpointId(3)));
    }

    /// No public call arms a timer without a checkpoint or a deadline, so an empty checker
    /// would pass every other test (the mutation score's `invariants` → `()`).
    #[test]
    fn invariants_catch_a_corrupt_state() {
        let reported = |armed| {
            let t = OutputAlignmentTimer { armed };
            std::panic::catch_unwind(|| t.invariants()).is_err()
        };
        assert!(reported(Some((CheckpointId::NONE, 151))), "a timer for no checkpoint");
        assert!(reported(Some((CheckpointId(3), 0))), "a timer without a deadline");
        assert!(!reported(Some((CheckpointId(3), 151))), "a legal timer");
        assert!(!reported(None), "no timer");
    }
}
