//! Flink's `WatermarkOutputMultiplexer` with its `CombinedWatermarkStatus`: per-split watermark outputs (immediate or deferred) combined into one source output, per profile.
//!
//! Every split (Flink: "output id") has a partial watermark and an idle flag. The combination is
//! the minimum over the splits that are not idle, emitted to the underlying output only when it
//! advances. What happens when *every* split is idle differs by version
//! ([`Profile::source_flushes_max_when_all_splits_idle`], semantics §11.1):
//!
//! * 1.11: the underlying output is marked IDLE; the watermark stays where it was, and the output
//!   becomes active again only with the next watermark that advances.
//! * 2.x: the maximum watermark over all splits is flushed first (so that the order in which the
//!   splits went idle does not decide the result), then the output is marked IDLE once; as soon
//!   as one split is active again the output is marked ACTIVE, even when its watermark does not
//!   advance the combined one. Removing the last split leaves the output IDLE.
//!
//! The calls to the underlying output are queued as [`MuxCall`]s; `SourceWatermarks` forwards
//! them through its monotone output, the conformance suite records them as Flink's
//! `TestingWatermarkOutput` does.

use super::Watermark;
use crate::profile::Profile;
use std::collections::{BTreeMap, VecDeque};
use thiserror::Error;

/// A split's output in a multiplexer (Flink registers outputs under string ids; a source's are
/// its partitions).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MuxOutputId(pub u64);

/// A call of the multiplexer on its underlying output (Flink's `WatermarkOutput`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum MuxCall {
    /// `emitWatermark`: the combined watermark advanced.
    Watermark(Watermark),
    /// `markIdle`.
    MarkIdle,
    /// `markActive` (2.x): a split is active again.
    MarkActive,
}

/// A call the multiplexer refuses (Flink: `IllegalStateException` / `IllegalArgumentException`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Error)]
pub enum MuxError {
    /// `registerNewOutput` of an id already registered ("Already contains an output for ID").
    #[error("output {0:?} is already registered")]
    AlreadyRegistered(MuxOutputId),
    /// `getImmediateOutput` / `getDeferredOutput` of an unknown id ("no output registered under id").
    #[error("no output registered under {0:?}")]
    Unknown(MuxOutputId),
}

/// Whether an update of a split reaches the combination at once (immediate) or only at the next
/// [`WatermarkMultiplexer::on_periodic_emit`] (deferred).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum MuxMode {
    /// `getImmediateOutput`.
    Immediate,
    /// `getDeferredOutput`.
    Deferred,
}

/// `CombinedWatermarkStatus.PartialWatermark`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
struct Partial {
    watermark: Watermark,
    idle: bool,
}

impl Partial {
    /// `setWatermark`: clears idleness; true when the watermark advanced.
    fn set_watermark(&mut self, wm: Watermark) -> bool {
        self.idle = false;
        let advanced = wm > self.watermark;
        self.watermark = self.watermark.max(wm);
        advanced
    }
}

/// Flink's `WatermarkOutputMultiplexer` (see the module documentation).
#[derive(Clone, Debug, Hash)]
pub struct WatermarkMultiplexer {
    flush_max_when_idle: bool,
    outputs: BTreeMap<MuxOutputId, Partial>,
    /// `CombinedWatermarkStatus.combinedWatermark`.
    combined: Watermark,
    /// `CombinedWatermarkStatus.idle`: every split is idle (2.x: or the last one was removed).
    idle: bool,
    /// 2.x `underlyingOutputIsIdle`: the underlying output was marked idle and not woken since.
    reported_idle: bool,
    calls: VecDeque<MuxCall>,
}

impl WatermarkMultiplexer {
    /// An empty multiplexer behaving as `profile`'s Flink does.
    pub fn for_profile(profile: Profile) -> WatermarkMultiplexer {
        WatermarkMultiplexer {
            flush_max_when_idle: profile.source_flushes_max_when_all_splits_idle(),
            outputs: BTreeMap::new(),
            combined: Watermark::MIN,
            idle: false,
            reported_idle: false,
            calls: VecDeque::new(),
        }
    }

    /// `registerNewOutput`: a new split at `Long.MIN_VALUE`, active.
    pub fn register(&mut self, id: MuxOutputId) -> Result<(), MuxError> {
        if self.outputs.contains_key(&id) {
            return Err(MuxError::AlreadyRegistered(id));
        }
        self.outputs.insert(id, Partial { watermark: Watermark::MIN, idle: false });
        Ok(())
    }

    /// `unregisterOutput`: true if the split was registered. Nothing is emitted at once; in 2.x
    /// removing the last split makes the combination idle (reported at the next update).
    pub fn unregister(&mut self, id: MuxOutputId) -> bool {
        let removed = self.outputs.remove(&id).is_some();
        if removed && self.outputs.is_empty() && self.flush_max_when_idle {
            self.idle = true;
        }
        removed
    }

    /// Whether `id` is registered.
    pub fn is_registered(&self, id: MuxOutputId) -> bool {
        self.outputs.contains_key(&id)
    }

    /// `emitWatermark` on the split's immediate or deferred output.
    pub fn emit_watermark(&mut self, id: MuxOutputId, mode: MuxMode, wm: Watermark) -> Result<(), MuxError> {
        let combined = self.combined;
        let advanced = self.partial(id)?.set_watermark(wm);
        if mode == MuxMode::Immediate && advanced && wm > combined {
            self.update();
        }
        Ok(())
    }

    /// `markIdle` on the split's immediate or deferred output.
    pub fn mark_idle(&mut self, id: MuxOutputId, mode: MuxMode) -> Result<(), MuxError> {
        self.partial(id)?.idle = true;
        if mode == MuxMode::Immediate {
            self.update();
        }
        Ok(())
    }

    /// `markActive` on the split's immediate or deferred output.
    pub fn mark_active(&mut self, id: MuxOutputId, mode: MuxMode) -> Result<(), MuxError> {
        self.partial(id)?.idle = false;
        if mode == MuxMode::Immediate {
            self.update();
        }
        Ok(())
    }

    /// `onPeriodicEmit`: combine the deferred updates.
    pub fn on_periodic_emit(&mut self) {
        self.update();
    }

    /// The next call on the underlying output.
    pub fn poll_call(&mut self) -> Option<MuxCall> {
        self.calls.pop_front()
    }

    /// The combined watermark (`getCombinedWatermark`).
    pub fn combined(&self) -> Watermark {
        self.combined
    }

    /// Whether the combination is idle (`CombinedWatermarkStatus.isIdle`).
    pub fn is_idle(&self) -> bool {
        self.idle
    }

    fn partial(&mut self, id: MuxOutputId) -> Result<&mut Partial, MuxError> {
        self.outputs.get_mut(&id).ok_or(MuxError::Unknown(id))
    }

    /// `updateCombinedWatermark` of the multiplexer and of `CombinedWatermarkStatus`.
    fn update(&mut self) {
        // Without splits nothing is combined (a Long.MAX_VALUE minimum must not go out); the
        // idle flag stays as it was.
        let advanced = if self.outputs.is_empty() {
            false
        } else {
            let active = self.outputs.values().filter(|p| !p.idle).map(|p| p.watermark).min();
            self.idle = active.is_none();
            let candidate = match active {
                Some(min) => Some(min),
                None if self.flush_max_when_idle => self.outputs.values().map(|p| p.watermark).max(),
                None => None,
            };
            match candidate {
                Some(wm) if wm > self.combined => {
                    self.combined = wm;
                    true
                }
                _ => false,
            }
        };
        if self.flush_max_when_idle {
            if advanced {
                self.reported_idle = false;
                self.calls.push_back(MuxCall::Watermark(self.combined));
            }
            if self.idle && !self.reported_idle {
                self.reported_idle = true;
                self.calls.push_back(MuxCall::MarkIdle);
            } else if !self.idle && self.reported_idle {
                self.reported_idle = false;
                self.calls.push_back(MuxCall::MarkActive);
            }
        } else if advanced {
            self.calls.push_back(MuxCall::Watermark(self.combined));
        } else if self.idle && !self.outputs.is_empty() {
            self.calls.push_back(MuxCall::MarkIdle);
        }
        self.invariants();
    }

    /// Corrupts the state for the invariant tests: idle whatever the splits are.
    #[cfg(test)]
    pub(crate) fn force_idle_for_test(&mut self) {
        self.idle = true;
    }

    /// Panics if the combination is idle while a split is active.
    pub fn invariants(&self) {
        assert!(!self.idle || self.outputs.values().all(|p| p.idle), "combined idle while a split is active");
    }
}
