//! CheckpointBarrierTrackerTest and AlignedCheckpointsTest sequences replayed on `BarrierHandler`.
//!
//! A script is Flink's `BufferOrEvent` sequence without the data buffers (they never change
//! which checkpoint is triggered or aborted): `B<ch>:<id>` barrier, `C<ch>:<id>` cancel marker,
//! `E<ch>` end of partition. The clock advances one second per event (as the tests with a
//! ManualClock do). The expectation is Flink's `CheckpointSequenceValidator`: the triggered
//! ids in order, negative for an abort.

use crate::common::{case_name, flink, profile_name, run_table, Flink, F111, F23};
use ckptsim::barrier::{BarrierHandler, HandlerKind, HandlerOutput};
use ckptsim::reason::CheckpointFailureReason as R;
use ckptsim::record::{Alignment, Barrier, CheckpointKind};
use ckptsim::{ChannelId, CheckpointId, Profile, Variant};

struct Case {
    flink: Flink,
    profiles: Vec<Profile>,
    kind: HandlerKind,
    channels: u32,
    script: &'static str,
    /// Triggered ids in order; negative = aborted.
    sequence: &'static [i64],
    /// Every abort must carry this reason.
    abort_reason: Option<R>,
    /// Channels blocked after the whole script.
    blocked_at_end: Option<&'static [u32]>,
    /// Blocked channels after the n-th event (0-based).
    blocked_after: &'static [(usize, &'static [u32])],
    /// Open channels at the end.
    open_at_end: Option<u32>,
    /// `pending_checkpoint()` at the end (the newest tracked one for the tracker).
    pending_at_end: Option<Option<u64>>,
    /// Alignment duration (ms) of the last trigger.
    last_alignment_ms: Option<u64>,
    /// Unaligned: the events (0-based, records `R<ch>` included) whose record is persisted as
    /// in-flight channel state (Flink's `assertInflightData`).
    inflight: Option<&'static [usize]>,
    /// Compare only the triggered ids (the test asserts only those, and `last_abort`).
    only_triggers: bool,
    /// The last aborted id (Flink's `getLastCanceledCheckpointId`).
    last_abort: Option<u64>,
    /// `BarrierHandler::metrics()` at the end (Flink's `testMetrics` cases).
    metrics_at_end: Option<MetricsWant>,
    /// Events (0-based) after which `getAlignmentDurationNanos()` is 0 (an alignment that was
    /// reset by an abort, or a single channel's).
    alignment_zero_after: &'static [usize],
    /// Unaligned checkpoints whose in-flight data failed (`HandlerOutput::InFlightDataFailed`),
    /// in order: not a `notifyAbort` (Flink's validator never sees them); each carries a decline
    /// with `CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER` under flink-2.3
    /// (`AsyncCheckpointRunnable` keeps the underlying reason) and none under flink-1.11.
    in_flight_failed: &'static [u64],
    /// Only whether anything was triggered and whether anything was aborted (Flink's
    /// `UnalignedCheckpointsCancellationTest` invokable records just these two flags).
    flags: Option<(bool, bool)>,
}

/// What Flink's metrics tests read: `getCheckpointStartDelayNanos`, the alignment duration and
/// bytes-processed futures handed to `triggerCheckpointOnBarrier` (bytes are `records × bufferSize`
/// there: every buffer has the same size), and `getAlignmentDurationNanos`.
#[derive(Debug, PartialEq, Eq)]
struct MetricsWant {
    start_delay_ms: u64,
    last_alignment_ms: Option<u64>,
    last_records: Option<u64>,
    alignment_duration_ms: u64,
}

const TRACKER: &str = "CheckpointBarrierTrackerTest";
const ALIGNED: &str = "AlignedCheckpointsTest";
const UNALIGNED: &str = "UnalignedCheckpointsTest";

fn base(
    flink: Flink,
    profiles: Vec<Profile>,
    kind: HandlerKind,
    channels: u32,
    script: &'static str,
    sequence: &'static [i64],
) -> Case {
    Case {
        flink,
        profiles,
        kind,
        channels,
        script,
        sequence,
        abort_reason: None,
        blocked_at_end: None,
        blocked_after: &[],
        open_at_end: None,
        pending_at_end: None,
        last_alignment_ms: None,
        inflight: None,
        only_triggers: false,
        last_abort: None,
        metrics_at_end: None,
        alignment_zero_after: &[],
        in_flight_failed: &[],
        flags: None,
    }
}

fn both() -> Vec<Profile> {
    vec![F111, F23]
}

fn cases() -> Vec<Case> {
    use HandlerKind::{Aligned, Alternating, AtLeastOnce};
    let u = |m: &'static str| flink(UNALIGNED, m, "1.12-2.x");
    let t = |m: &'static str| flink(TRACKER, m, "1.11-2.x");
    // Tests that set `setEnableCheckpointAfterTasksFinished(true)` (1.14+): profile 2.3 only.
    let t2 = |m: &'static str| flink(TRACKER, m, "2.x");
    let a = |m: &'static str| flink(ALIGNED, m, "1.12-1.13");
    // `testMetrics` with bytes processed during alignment (1.12 on; read in its 2.x form).
    let a2 = |m: &'static str| flink(ALIGNED, m, "1.12-2.x");
    vec![
        // UnalignedCheckpointsTest: barriers delivered in order (no overtaking); the checkpoint
        // starts at the first barrier; records that arrive on a channel before its barrier are
        // in-flight data. `createInputGate(n, handler, false)` disables checkpoints after tasks
        // finish (an end of partition aborts): flink-1.11 there.
        Case {
            inflight: Some(&[7, 31, 32, 33, 37]),
            ..base(
                u("testMultiChannelWithBarriers"),
                both(),
                Alternating,
                3,
                "R0 R2 R0 B1:1 B2:1 R2 R1 R0 B0:1 \
                 R0 R0 R1 R1 R2 B0:2 B1:2 B2:2 \
                 R2 R2 B2:3 R2 R2 B0:3 B1:3 \
                 B1:4 B2:4 B0:4 \
                 R0 R2 R0 B1:5 R2 R0 R2 R1 B2:5 R1 R0 R2 R1 B0:5 \
                 R0 E0 E1 E2",
                &[1, 2, 3, 4, 5],
            )
        },
        // Flink notifies the cancelled ids 2 and 3 only; the pending unaligned 1 fails its
        // in-flight data (session 15: the whole sequence is compared, not the triggers only).
        Case {
            last_abort: Some(3),
            inflight: Some(&[]),
            in_flight_failed: &[1],
            ..base(
                u("testMissingCancellationBarriers"),
                both(),
                Alternating,
                2,
                "B0:1 C0:2 C0:3 C1:3 R0 E0 E1",
                &[1, -2, -3],
            )
        },
        // Session 15 re-survey (UnalignedCheckpointsTest, 2.x form). `testEndOfStreamWithPendingCheckpoint`
        // builds its handler with checkpoints after tasks finish disabled: an end of partition
        // aborts the pending checkpoint (flink-1.11 here); one channel stays open.
        Case {
            open_at_end: Some(1),
            pending_at_end: Some(None),
            last_abort: Some(1),
            abort_reason: Some(R::CheckpointDeclinedInputEndOfStream),
            ..base(u("testEndOfStreamWithPendingCheckpoint"), vec![F111], Alternating, 2, "B0:1 E0", &[1, -1])
        },
        // Checkpoints after tasks finish on (2.3): the ended channels count as aligned; the
        // record on channel 0 before its barrier is the only in-flight data; nothing aborted.
        Case {
            inflight: Some(&[1]),
            open_at_end: Some(0),
            ..base(
                flink(UNALIGNED, "testTriggerCheckpointsWithEndOfPartition", "2.x"),
                vec![F23],
                Alternating,
                3,
                "B1:1 R0 B0:1 R1 E2 E0 E1",
                &[1],
            )
        },
        // Channel 0 ended before checkpoint 3 started: 3 completes with channel 2's barrier
        // (channel 1 ended meanwhile), only channel 2's record before it is in flight; then
        // checkpoint 4 on the last open channel triggers and completes at once.
        Case {
            inflight: Some(&[3]),
            ..base(
                flink(UNALIGNED, "testTriggerCheckpointsAfterReceivedEndOfPartition", "2.x"),
                vec![F23],
                Alternating,
                3,
                "E0 B1:3 R1 R2 E1 B2:3 R2 B2:4 E2",
                &[3, 4],
            )
        },
        // One channel: every barrier triggers and completes at once; markers of newer ids
        // abort them (4, 6); no in-flight data.
        Case {
            inflight: Some(&[]),
            last_abort: Some(6),
            abort_reason: Some(R::CheckpointDeclinedOnCancellationBarrier),
            ..base(
                u("testSingleChannelAbortCheckpoint"),
                both(),
                Alternating,
                1,
                "R0 B0:1 R0 B0:2 C0:4 B0:5 R0 C0:6 R0 E0",
                &[1, 2, -4, 5, -6],
            )
        },
        // Six sequences on three channels: 1 completes, 2 is cancelled on its last channel, 3
        // completes, 4 and 6 are cancelled before any barrier (never started), 5 completes; the
        // records before each barrier arrive before the checkpoint starts: no in-flight data.
        Case {
            inflight: Some(&[]),
            last_abort: Some(6),
            abort_reason: Some(R::CheckpointDeclinedOnCancellationBarrier),
            ..base(
                u("testMultiChannelAbortCheckpoint"),
                both(),
                Alternating,
                3,
                "R0 R2 R0 B1:1 B2:1 R2 R1 B0:1 R0 R2 \
                 B0:2 B2:2 R0 R2 C1:2 \
                 R2 R1 B1:3 B2:3 B0:3 \
                 R0 R1 C1:4 B2:4 R0 B0:4 \
                 R0 R1 R2 B2:5 B1:5 B0:5 R0 R1 \
                 C1:6 C2:6 B0:6 R0 E0 E1 E2",
                &[1, 2, -2, 3, -4, 5, -6],
            )
        },
        // Session 15: the no-barrier and single-channel sequences (orders kept, nothing
        // triggered or persisted without a barrier; one channel triggers every barrier at once).
        Case {
            inflight: Some(&[]),
            blocked_at_end: Some(&[]),
            ..base(u("testSingleChannelNoBarriers"), both(), Alternating, 1, "R0 R0 R0 E0", &[])
        },
        Case {
            inflight: Some(&[]),
            blocked_at_end: Some(&[]),
            ..base(
                u("testMultiChannelNoBarriers"),
                both(),
                Alternating,
                4,
                "R2 R2 R0 R1 R0 E0 R3 R1 E3 R1 E1 R2 E2",
                &[],
            )
        },
        Case {
            inflight: Some(&[]),
            ..base(
                u("testSingleChannelWithBarriers"),
                both(),
                Alternating,
                1,
                "R0 R0 R0 B0:1 R0 R0 R0 R0 B0:2 B0:3 R0 R0 B0:4 B0:5 B0:6 R0 E0",
                &[1, 2, 3, 4, 5, 6],
            )
        },
        Case {
            blocked_at_end: Some(&[]),
            ..base(t("testSingleChannelNoBarriers"), both(), AtLeastOnce, 1, "R0 R0 R0", &[])
        },
        // AlignedCheckpointsTest (2.x, JUnit 5 form): no barriers, nothing blocked, and
        // `getAlignmentDurationNanos()` is 0 at the end.
        Case {
            blocked_at_end: Some(&[]),
            alignment_zero_after: &[3],
            ..base(a2("testSingleChannelNoBarriers"), both(), Aligned, 1, "R0 R0 R0 E0", &[])
        },
        Case {
            blocked_at_end: Some(&[]),
            alignment_zero_after: &[12],
            ..base(
                a2("testMultiChannelNoBarriers"),
                both(),
                Aligned,
                4,
                "R2 R2 R0 R1 R0 E0 R3 R1 E3 R1 E1 R2 E2",
                &[],
            )
        },
        Case {
            blocked_at_end: Some(&[]),
            ..base(t("testMultiChannelNoBarriers"), both(), AtLeastOnce, 4, "R2 R2 R0 R1 R0 R3 R1 R1 R2", &[])
        },
        // SingleCheckpointBarrierHandler.processCancellationBarrier after processBarrier
        // (DEFAULT_CHECKPOINT_ID written as 1, two channels, the markers on channel 1): the
        // pending checkpoint ends; the aborted and latest id is the cancelled one (Flink draws
        // it at random from {DEFAULT, DEFAULT + 1}: both are cases); a second, newer marker
        // aborts that id too.
        Case {
            pending_at_end: Some(None),
            last_abort: Some(2),
            ..base(
                u("testProcessCancellationBarrierAfterProcessBarrier (cancel current)"),
                both(),
                Alternating,
                2,
                "B0:1 C1:1 C1:2",
                &[1, -1, -2],
            )
        },
        // The newer marker 2 ends the pending unaligned checkpoint 1, but Flink's `abortInternal`
        // notifies only the cancelled ids (2, then 3); checkpoint 1's in-flight data fails
        // instead (`in_flight_failed`: declined in 2.x through its failed future, nothing in
        // 1.11). Session 15: before, the model also notified an abort of 1.
        Case {
            pending_at_end: Some(None),
            last_abort: Some(3),
            in_flight_failed: &[1],
            ..base(
                u("testProcessCancellationBarrierAfterProcessBarrier (cancel next)"),
                both(),
                Alternating,
                2,
                "B0:1 C1:2 C1:3",
                &[1, -2, -3],
            )
        },
        // CheckpointedInputGateTest.testPersisting (FLINK-21104, 2.x): the newer barrier 2
        // arrives first on channel 0, the obsolete barrier 1 (cancelled upstream, never
        // triggered here) later on channels 1 and 2: 2 is triggered once, 1 is neither
        // triggered nor aborted, and the obsolete barriers do not disturb 2's alignment.
        Case {
            pending_at_end: Some(None),
            ..base(
                flink("CheckpointedInputGateTest", "testPersisting", "1.13-2.x"),
                vec![F23],
                Alternating,
                3,
                "R0 B0:2 R0 R1 B1:1 R1 R2 R0 R1 R2 B1:2 R1 B2:1 R2 B2:2 R2",
                &[2],
            )
        },
        // A cancel marker before the barrier: aborted at once, the later barrier triggers nothing.
        Case {
            pending_at_end: Some(None),
            last_abort: Some(1),
            ..base(
                u("testProcessCancellationBarrierBeforeProcessAndReceiveBarrier"),
                both(),
                Alternating,
                1,
                "C0:1 B0:1",
                &[-1],
            )
        },
        Case {
            inflight: Some(&[]),
            ..base(
                u("testEarlyCleanup"),
                vec![F111],
                Alternating,
                3,
                "R0 R1 R2 B1:1 B2:1 B0:1 R2 R1 R0 B1:2 R1 R1 E1 R0 R2 B2:2 R2 E2 R0 E0",
                &[1, 2, -2],
            )
        },
        Case {
            inflight: Some(&[]),
            ..base(
                u("testMultiChannelTrailingInflightData"),
                vec![F111],
                Alternating,
                3,
                "R0 R1 R2 B1:1 B2:1 B0:1 R2 R1 R0 B1:2 R1 R1 E1 R0 R2 B2:2 R2 E2 R0 E0",
                &[1, 2, -2],
            )
        },
        Case {
            inflight: Some(&[11]),
            ..base(
                u("testStartAlignmentWithClosedChannels"),
                both(),
                Alternating,
                4,
                "E2 E1 R0 R0 R3 B3:2 B0:2 R3 R0 B3:3 R3 R0 B0:3 B0:4 B3:4 R0 R0 R3 E0 R3 B3:5 R3 E3",
                &[2, 3, 4, 5],
            )
        },
        Case {
            only_triggers: true,
            inflight: Some(&[10]),
            ..base(
                u("testEndOfStreamWhileCheckpoint"),
                both(),
                Alternating,
                3,
                "B0:1 B1:1 B2:1 R0 R0 R2 B2:2 B0:2 R0 R2 R1 E2 E1 R0 E0",
                &[1, 2],
            )
        },
        base(t("testSingleChannelWithBarriers"), both(), AtLeastOnce, 1, "B0:1 B0:2 B0:3 B0:4 B0:5 B0:6", &[1, 2, 3, 4, 5, 6]),
        base(t("testSingleChannelWithSkippedBarriers"), both(), AtLeastOnce, 1, "B0:1 B0:3 B0:4 B0:6 B0:7 B0:10", &[1, 3, 4, 6, 7, 10]),
        base(
            t("testMultiChannelWithBarriers"),
            both(),
            AtLeastOnce,
            3,
            "B1:1 B2:1 B0:1 B0:2 B1:2 B2:2 B2:3 B0:3 B1:3 B1:4 B2:4 B0:4",
            &[1, 2, 3, 4],
        ),
        base(
            t("testMultiChannelSkippingCheckpoints"),
            both(),
            AtLeastOnce,
            3,
            "B1:1 B2:1 B0:1 B0:2 B1:2 B2:2 B2:3 B0:4 B1:4 B2:4",
            &[1, 2, 4],
        ),
        base(
            t("testCompleteCheckpointsOnLateBarriers"),
            both(),
            AtLeastOnce,
            3,
            "B1:2 B0:2 B2:2 B1:3 B2:3 B2:4 B1:4 B0:3 B0:4 B1:5 B0:5 B2:5 B1:6 B0:6 B1:7 B2:7 B2:8 B1:8 B1:9 B0:7 B2:9 B2:10 B0:8 B0:9 B0:10 B1:10",
            &[2, 3, 4, 5, 7, 8, 9, 10],
        ),
        Case {
            abort_reason: Some(R::CheckpointDeclinedOnCancellationBarrier),
            ..base(t("testSingleChannelAbortCheckpoint"), both(), AtLeastOnce, 1, "B0:1 B0:2 C0:4 B0:5 C0:6", &[1, 2, -4, 5, -6])
        },
        Case {
            abort_reason: Some(R::CheckpointDeclinedOnCancellationBarrier),
            ..base(
                t("testMultiChannelAbortCheckpoint"),
                both(),
                AtLeastOnce,
                3,
                "B1:1 B2:1 B0:1 B0:2 B2:2 C1:2 B1:3 B2:3 B0:3 C1:4 B2:4 B0:4 B2:5 B1:5 B0:5 C1:6 C2:6 B0:6",
                &[1, -2, 3, -4, 5, -6],
            )
        },
        base(t("testInterleavedCancellationBarriers"), both(), AtLeastOnce, 3, "B0:1 C0:2 C1:1 C1:2 C2:1 C2:2", &[-1, -2]),
        Case {
            last_alignment_ms: Some(2_000),
            ..base(t("testNextFirstCheckpointBarrierOvertakesCancellationBarrier"), both(), AtLeastOnce, 2, "B1:1 B1:2 C0:1 B0:2", &[-1, 2])
        },
        Case {
            last_alignment_ms: Some(2_000),
            // The tracker measures the newest checkpoint only: checkpoint 2 started its
            // alignment (resetting 1's), so 1 completing later completes nothing, 2's is 2 s.
            metrics_at_end: Some(MetricsWant {
                start_delay_ms: 2_000,
                last_alignment_ms: Some(2_000),
                last_records: Some(0),
                alignment_duration_ms: 2_000,
            }),
            ..base(t("testTwoLastBarriersOneByOne"), both(), AtLeastOnce, 2, "B1:1 B1:2 B0:1 B0:2", &[1, 2])
        },
        Case {
            open_at_end: Some(2),
            pending_at_end: Some(Some(5)),
            ..base(t2("testTriggerCheckpointsWithEndOfPartition"), vec![F23], AtLeastOnce, 3, "B0:1 B0:2 B1:2 B0:3 B0:4 B1:4 B1:5 E2", &[4])
        },
        base(t2("testDeduplicateChannelsWithBothBarrierAndEndOfPartition"), vec![F23], AtLeastOnce, 3, "B0:2 B1:2 E1 B2:2", &[2]),
        base(t2("testTriggerCheckpointsAfterReceivedEndOfPartition"), vec![F23], AtLeastOnce, 3, "E2 B0:5 B0:6 B1:6 E1 B0:7", &[6, 7]),
        Case {
            pending_at_end: Some(None),
            ..base(t2("testNoFastPathWithChannelFinishedDuringCheckpoints"), vec![F23], AtLeastOnce, 2, "B0:1 E0 B1:1", &[1])
        },
        Case {
            open_at_end: Some(2),
            pending_at_end: Some(Some(5)),
            ..base(t2("testCompleteAndRemoveAbortedCheckpointWithEndOfPartition"), vec![F23], AtLeastOnce, 3, "C0:4 B1:4 B1:5 E2", &[-4])
        },
        base(t2("testAbortCheckpointsAfterEndOfPartitionReceived"), vec![F23], AtLeastOnce, 3, "E2 B0:5 B0:6 C1:6 E1 C0:7", &[-5, -6, -7]),
        Case {
            pending_at_end: Some(None),
            ..base(t2("testNoFastPathWithChannelFinishedDuringCheckpointsCancel"), vec![F23], AtLeastOnce, 2, "B0:1 E0 C1:1", &[-1])
        },
        // AlignedCheckpointsTest (SingleCheckpointBarrierHandler.aligned).
        base(a("testSingleChannelWithBarriers"), both(), Aligned, 1, "B0:1 B0:2 B0:3 B0:4 B0:5 B0:6 E0", &[1, 2, 3, 4, 5, 6]),
        Case {
            blocked_at_end: Some(&[]),
            blocked_after: &[(0, &[1]), (1, &[1, 2]), (2, &[]), (3, &[0]), (4, &[0, 1]), (5, &[]), (6, &[2]), (7, &[0, 2])],
            ..base(
                a("testMultiChannelWithBarriers"),
                both(),
                Aligned,
                3,
                "B1:1 B2:1 B0:1 B0:2 B1:2 B2:2 B2:3 B0:3 B1:3 B1:4 B2:4 B0:4 E0 E1 E2",
                &[1, 2, 3, 4],
            )
        },
        // With end of partition aborting the pending checkpoint (1.11 rule; 2.x counts it as aligned).
        Case {
            blocked_after: &[(2, &[]), (4, &[0, 1]), (5, &[2]), (6, &[0, 2]), (7, &[1]), (8, &[])],
            ..base(
                a("testMultiChannelJumpingOverCheckpoint"),
                vec![F111],
                Aligned,
                3,
                "B1:1 B2:1 B0:1 B1:2 B0:2 B2:3 B0:3 B1:4 E0 E2 E1",
                &[1, -2, -3, -4],
            )
        },
        Case {
            blocked_at_end: Some(&[]),
            abort_reason: Some(R::CheckpointDeclinedOnCancellationBarrier),
            ..base(a("testMissingCancellationBarriers"), both(), Aligned, 2, "B0:1 C1:3 C0:2 C0:3", &[-3])
        },
        Case {
            blocked_at_end: Some(&[]),
            blocked_after: &[(3, &[]), (5, &[]), (7, &[])],
            ..base(a("testStartAlignmentWithClosedChannels"), both(), Aligned, 4, "E2 E1 B3:2 B0:2 B0:3 B3:3 E0 B3:4 E3", &[2, 3, 4])
        },
        Case {
            blocked_after: &[(5, &[])],
            abort_reason: Some(R::CheckpointDeclinedInputEndOfStream),
            ..base(a("testEndOfStreamWhileCheckpoint"), vec![F111], Aligned, 3, "B0:1 B1:1 B2:1 B2:2 B0:2 E1 E2 E0", &[1, -2])
        },
        // The 2.x form (checkpoints after tasks finish on, records kept): the test asserts the
        // blocked channels (2, then 0 and 2, none after the first end of partition); the ended
        // channel 1 counts as aligned there, so checkpoint 2 triggers at `E1`
        // (`SingleCheckpointBarrierHandler.processEndOfPartition` -> `markCheckpointAlignedAndTransformState`;
        // the test's invokable does not validate ids, the sequence is read from that code).
        Case {
            blocked_after: &[(6, &[2]), (7, &[0, 2]), (9, &[])],
            ..base(
                a2("testEndOfStreamWhileCheckpoint"),
                vec![F23],
                Aligned,
                3,
                "B0:1 B1:1 B2:1 R0 R0 R2 B2:2 B0:2 R1 E1 E2 R0 E0",
                &[1, 2],
            )
        },
        Case {
            abort_reason: Some(R::CheckpointDeclinedOnCancellationBarrier),
            blocked_at_end: Some(&[]),
            alignment_zero_after: &[0, 2, 3, 4],
            ..base(a("testSingleChannelAbortCheckpoint"), both(), Aligned, 1, "B0:1 B0:2 C0:4 B0:5 C0:6", &[1, 2, -4, 5, -6])
        },
        Case {
            abort_reason: Some(R::CheckpointDeclinedOnCancellationBarrier),
            blocked_at_end: Some(&[]),
            blocked_after: &[(0, &[1]), (1, &[1, 2]), (3, &[0]), (4, &[0, 2]), (5, &[]), (9, &[]), (10, &[]), (11, &[])],
            alignment_zero_after: &[9, 16],
            ..base(
                a("testMultiChannelAbortCheckpoint"),
                both(),
                Aligned,
                3,
                "B1:1 B2:1 B0:1 B0:2 B2:2 C1:2 B1:3 B2:3 B0:3 C1:4 B2:4 B0:4 B2:5 B1:5 B0:5 C1:6 C2:6 B0:6",
                &[1, -2, 3, -4, 5, -6],
            )
        },
        // The metrics cases (session 14): Flink sleeps 10 ms between the barrier's creation
        // and its arrival and between the first and the last barrier, and asserts bounds
        // (`>= sleepTime`, `<= elapsed`); here the clock is one second per event and every
        // barrier was created at 0, so the values are exact: start delay = the first barrier's
        // time, alignment = first to last barrier, records = those taken in between.
        Case {
            metrics_at_end: Some(MetricsWant {
                start_delay_ms: 4_000,
                last_alignment_ms: Some(5_000),
                last_records: Some(3),
                alignment_duration_ms: 5_000,
            }),
            ..base(
                a2("testMetrics"),
                both(),
                Aligned,
                3,
                "R0 R1 R2 B1:1 R0 R2 B0:1 R2 B2:1 R0 R1 R2 E0 E1 E2",
                &[1],
            )
        },
        Case {
            metrics_at_end: Some(MetricsWant {
                start_delay_ms: 4_000,
                last_alignment_ms: Some(5_000),
                last_records: Some(3),
                alignment_duration_ms: 5_000,
            }),
            ..base(
                t2("testMetrics"),
                vec![F23],
                AtLeastOnce,
                3,
                "R0 R1 R2 B1:1 R0 R2 B0:1 R2 B2:1 R0 R1 R2 E0 E1 E2",
                &[1],
            )
        },
        Case {
            metrics_at_end: Some(MetricsWant {
                start_delay_ms: 2_000,
                last_alignment_ms: Some(0),
                last_records: Some(0),
                alignment_duration_ms: 0,
            }),
            ..base(t2("testSingleChannelMetrics"), vec![F23], AtLeastOnce, 1, "R0 B0:1 R0 E0", &[1])
        },
        // Unaligned: the checkpoint triggers at the first barrier; its alignment (and the
        // records counted) runs on to the last barrier, and completes the futures the trigger
        // was handed: 6 records (two on each channel between B1 and B2).
        Case {
            metrics_at_end: Some(MetricsWant {
                start_delay_ms: 4_000,
                last_alignment_ms: Some(8_000),
                last_records: Some(6),
                alignment_duration_ms: 8_000,
            }),
            ..base(
                u("testMetrics"),
                both(),
                Alternating,
                3,
                "R0 R1 R2 B1:1 R0 R1 R2 B0:1 R0 R1 R2 B2:1 R0 R1 R2 E0 E1 E2",
                &[1],
            )
        },
    ]
}

fn run(case: &Case, profile: Profile) -> Result<(), String> {
    let mut h = BarrierHandler::new(case.kind, case.channels, profile, Variant::Correct);
    let alignment = match case.kind {
        HandlerKind::AtLeastOnce => Alignment::AtLeastOnce,
        HandlerKind::Aligned => Alignment::Aligned,
        HandlerKind::Alternating => Alignment::Unaligned,
    };
    let mut inflight: Vec<usize> = Vec::new();
    let mut last_abort = None;
    let mut seq: Vec<i64> = Vec::new();
    let mut last_alignment = None;
    let mut in_flight_failed: Vec<u64> = Vec::new();
    for (n, token) in case.script.split_whitespace().enumerate() {
        let now = (n as u64 + 1) * 1_000;
        let (tag, rest) = token.split_at(1);
        let (ch, id) = match rest.split_once(':') {
            Some((c, i)) => (ChannelId(c.parse().unwrap()), Some(CheckpointId(i.parse().unwrap()))),
            None => (ChannelId(rest.parse().unwrap()), None),
        };
        match tag {
            "B" => {
                let barrier = Barrier {
                    id: id.unwrap(),
                    timestamp_ms: 0,
                    kind: CheckpointKind::Checkpoint,
                    alignment,
                    stop: None,
                };
                h.handle_barrier(now, ch, barrier, 0)
            }
            "C" => h.handle_cancel_marker(now, ch, id.unwrap()),
            "E" => h.handle_end_of_partition(now, ch),
            "R" => {
                if h.is_blocked(ch) {
                    return Err(format!("event {n} `{token}`: a record on a blocked channel"));
                }
                if h.handle_record(now, ch).is_some() {
                    inflight.push(n);
                }
            }
            other => panic!("unknown token {other}"),
        }
        while let Some(o) = h.poll_output() {
            match o {
                HandlerOutput::Trigger { barrier, alignment_ms, .. } => {
                    seq.push(barrier.id.0 as i64);
                    last_alignment = Some(alignment_ms);
                }
                HandlerOutput::Abort { id, reason } => {
                    seq.push(-(id.0 as i64));
                    last_abort = Some(id.0);
                    if let Some(want) = case.abort_reason {
                        if reason != want {
                            return Err(format!("event {n} `{token}`: abort {id} with {reason}, Flink {want}"));
                        }
                    }
                }
                HandlerOutput::ChannelStateComplete { .. } if case.kind == HandlerKind::Alternating => {}
                HandlerOutput::InFlightDataFailed { id, decline } if case.kind == HandlerKind::Alternating => {
                    let want = (profile == F23).then_some(R::CheckpointDeclinedOnCancellationBarrier);
                    if decline != want {
                        return Err(format!(
                            "event {n} `{token}`: in-flight data of {id} failed with {decline:?}, Flink {want:?}"
                        ));
                    }
                    in_flight_failed.push(id.0);
                }
                other => return Err(format!("event {n} `{token}`: unexpected {other}")),
            }
        }
        if case.alignment_zero_after.contains(&n) && h.metrics().alignment_duration_ms != 0 {
            return Err(format!(
                "after event {n} `{token}`: alignment duration {} ms, Flink 0",
                h.metrics().alignment_duration_ms
            ));
        }
        for (at, want) in case.blocked_after {
            if *at == n {
                let blocked: Vec<u32> = (0..case.channels).filter(|c| h.is_blocked(ChannelId(*c))).collect();
                if blocked != *want {
                    return Err(format!("after event {n} `{token}`: blocked {blocked:?}, Flink {want:?}"));
                }
            }
        }
    }
    if let Some((trigger, abort)) = case.flags {
        let got = (seq.iter().any(|&i| i > 0), seq.iter().any(|&i| i < 0));
        return if got == (trigger, abort) {
            Ok(())
        } else {
            Err(format!("(triggered, aborted) {got:?} (sequence {seq:?}), Flink {:?}", (trigger, abort)))
        };
    }
    if in_flight_failed != case.in_flight_failed {
        return Err(format!("in-flight data failed for {in_flight_failed:?}, expected {:?}", case.in_flight_failed));
    }
    if case.only_triggers {
        seq.retain(|id| *id > 0);
    }
    if let Some(want) = case.inflight {
        if inflight != want {
            return Err(format!("in-flight records at events {inflight:?}, Flink {want:?}"));
        }
    }
    if case.last_abort.is_some() && last_abort != case.last_abort {
        return Err(format!("last aborted {last_abort:?}, Flink {:?}", case.last_abort));
    }
    if seq != case.sequence {
        return Err(format!("checkpoint sequence {seq:?}, Flink {:?}", case.sequence));
    }
    if let Some(want) = case.blocked_at_end {
        let blocked: Vec<u32> = (0..case.channels).filter(|c| h.is_blocked(ChannelId(*c))).collect();
        if blocked != want {
            return Err(format!("blocked at the end {blocked:?}, Flink {want:?}"));
        }
    }
    if let Some(want) = case.open_at_end {
        if h.num_open_channels() != want {
            return Err(format!("{} open channels, Flink {want}", h.num_open_channels()));
        }
    }
    if let Some(want) = case.pending_at_end {
        let got = h.pending_checkpoint().map(|c| c.0);
        if got != want {
            return Err(format!("pending {got:?}, Flink {want:?}"));
        }
    }
    if let Some(want) = &case.metrics_at_end {
        let m = h.metrics();
        let got = MetricsWant {
            start_delay_ms: m.checkpoint_start_delay_ms,
            last_alignment_ms: m.last_alignment_duration_ms,
            last_records: m.last_records_processed_during_alignment,
            alignment_duration_ms: m.alignment_duration_ms,
        };
        if got != *want {
            return Err(format!("metrics {got:?}, Flink {want:?}"));
        }
    }
    if let Some(want) = case.last_alignment_ms {
        if last_alignment != Some(want) {
            return Err(format!("last alignment {last_alignment:?} ms, Flink {want} ms"));
        }
    }
    Ok(())
}

/// `UnalignedCheckpointsCancellationTest` (1.12-2.x, `SingleCheckpointBarrierHandler` for
/// unaligned checkpoints) and its 1.11 form `CheckpointBarrierUnalignerCancellationTest`: every
/// parameter row (barriers and cancel markers of checkpoints 10 and 20 on channel 0 of one or
/// two channels) and whether the invokable saw a trigger and an abort. The forms differ in one
/// row: a cancel marker of the checkpoint whose only barrier was already received aborts it in
/// 1.11 (`setCancelledCheckpointId`: `numBarriersReceived` is still 1) and not in 2.x (the
/// checkpoint is complete at the handler); 2.x adds the same row with two channels.
fn cancellation_cases() -> Vec<Case> {
    const V2_ROWS: [(bool, bool, &str, u32); 13] = [
        (false, true, "C0:10 C0:20", 1),
        (false, true, "C0:20 C0:10", 1),
        (false, true, "C0:10 B0:10", 1),
        (true, true, "C0:10 B0:20", 1),
        (false, true, "C0:20 B0:10", 1),
        (true, false, "B0:10 B0:10", 1),
        (true, false, "B0:10 B0:20", 1),
        (true, true, "B0:10 B0:20", 2),
        (true, false, "B0:20 B0:10", 1),
        (true, false, "B0:10 C0:10", 1),
        (true, true, "B0:10 C0:10", 2),
        (true, true, "B0:10 C0:20", 1),
        (true, false, "B0:20 C0:10", 1),
    ];
    const V1_ROWS: [(bool, bool, &str, u32); 12] = [
        (false, true, "C0:10 C0:20", 1),
        (false, true, "C0:20 C0:10", 1),
        (false, true, "C0:10 B0:10", 1),
        (true, true, "C0:10 B0:20", 1),
        (false, true, "C0:20 B0:10", 1),
        (true, false, "B0:10 B0:10", 1),
        (true, false, "B0:10 B0:20", 1),
        (true, true, "B0:10 B0:20", 2),
        (true, false, "B0:20 B0:10", 1),
        (true, true, "B0:10 C0:10", 1),
        (true, true, "B0:10 C0:20", 1),
        (true, false, "B0:20 C0:10", 1),
    ];
    let name = |script: &str, channels: u32| -> &'static str {
        let events = script.replace("B0:", "checkpoint(").replace("C0:", "cancel(").replace(' ', "), ");
        Box::leak(format!("test [{events})], numChannels {channels}").into_boxed_str())
    };
    let mut v = Vec::new();
    for (class, version, profile, rows) in [
        ("UnalignedCheckpointsCancellationTest", "1.12-2.x", F23, &V2_ROWS[..]),
        ("CheckpointBarrierUnalignerCancellationTest", "1.11", F111, &V1_ROWS[..]),
    ] {
        for &(trigger, abort, script, channels) in rows {
            v.push(Case {
                flags: Some((trigger, abort)),
                ..base(
                    flink(class, name(script, channels), version),
                    vec![profile],
                    HandlerKind::Alternating,
                    channels,
                    script,
                    &[],
                )
            });
        }
    }
    v
}

#[test]
fn barrier_handlers() {
    let mut all = cases();
    all.extend(cancellation_cases());
    let runs: Vec<(usize, Profile)> =
        all.iter().enumerate().flat_map(|(i, c)| c.profiles.iter().map(move |p| (i, *p))).collect();
    run_table("barrier handlers", &runs, |(i, p)| case_name(&all[*i].flink, *p), |(i, p)| run(&all[*i], *p));
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases()
        .iter()
        .chain(cancellation_cases().iter())
        .flat_map(|c| c.profiles.iter().map(move |p| (c.flink, profile_name(*p))))
        .collect()
}
