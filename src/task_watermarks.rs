//! A source task's periodic watermark emission (Flink's `WatermarkStrategy` on a source, emitted every `autoWatermarkInterval`): configuring it, its timer, and what fires on it.

use super::*;

impl Task {
    /// Gives a source task a watermark strategy (`WatermarkStrategy` on the source, one
    /// generator per split): a log source's splits are its partitions, a line source has one.
    /// The first periodic emission is due `auto_watermark_interval_ms` after `now_ms`. Panics on
    /// a task with input channels or an invalid strategy (validate user input first).
    pub fn configure_watermarks(&mut self, now_ms: u64, strategy: WatermarkStrategy) {
        let splits: Vec<PartitionId> = match &self.head {
            Head::Log(s) => s.positions().keys().copied().collect(),
            Head::Line(_) => vec![PartitionId(0)],
            Head::Inputs(_) => panic!("{}: a watermark strategy belongs on a source", self.name),
        };
        let profile = if self.event_time.idle_without_flush { Profile::Flink111 } else { self.end.profile };
        let mut source = SourceWatermarks::for_profile(strategy, &splits, now_ms, profile);
        if self.event_time.watermark_without_minus_one {
            source = source.with_watermark_without_minus_one();
        }
        if self.event_time.idle_never_resumes {
            source = source.with_idle_splits_never_resuming();
        }
        self.event_time.source = Some(if self.event_time.idleness_ignores_activity {
            source.with_idleness_ignoring_activity()
        } else {
            source
        });
        self.invariants();
    }

    /// When the source's periodic watermark emission is due (None: no watermark strategy).
    pub fn watermark_deadline(&self) -> Option<u64> {
        if self.end.stop.is_some() {
            return None;
        }
        self.event_time.source.as_ref().map(|s| s.poll_timeout()).filter(|t| *t != u64::MAX)
    }

    /// The periodic watermark emission timer of a source task: the generators emit, and a new
    /// watermark fires the chain's timers and goes downstream.
    pub fn handle_watermark_timer(&mut self, now_ms: u64, counters: &mut SurvivingCounters) {
        if self.failed || self.end.ended || self.end.stop.is_some() {
            return;
        }
        if let Some(s) = &mut self.event_time.source {
            s.handle_timeout(now_ms);
            self.drain_source_watermarks(now_ms, counters);
        }
        self.invariants();
    }
}
