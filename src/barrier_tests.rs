//! Unit tests of `barrier.rs` (a sibling file: the module stays readable at its own size).

//! Data-driven vectors: each case is a script of events and the expected rendering, one line
//! per event: `event -> outputs [blocked channels] (timer deadline)`.
//!
//! Events: `B<ch>:<id>` barrier (suffixes: `u` unaligned, `a` aligned, `t<ms>` aligned with
//! timeout, `s` savepoint, `@<ts>` JobManager timestamp, `+<n>` overtaken records; the default
//! alignment follows the handler kind, Alternating defaults to unaligned), `C<ch>:<id>` cancel
//! marker, `E<ch>` end of partition, `R<ch>` record (`persist <id>` when it is in-flight
//! state), `T<ms>` advance the clock and fire the timer, `W<ms>` advance the clock only,
//! `A<id>` the JobManager aborted `id`.

use super::*;
use crate::record::Alignment;
use HandlerKind::{Aligned, Alternating, AtLeastOnce};

const F111: Profile = Profile::Flink111;
const F23: Profile = Profile::Flink23;

fn number(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> u64 {
    let mut digits = String::new();
    while let Some(c) = chars.peek().filter(|c| c.is_ascii_digit()) {
        digits.push(*c);
        chars.next();
    }
    digits.parse().unwrap_or_else(|_| panic!("expected a number"))
}

fn parse_barrier(kind: HandlerKind, rest: &str) -> (ChannelId, Barrier, u32) {
    let mut chars = rest.chars().peekable();
    let ch = ChannelId(number(&mut chars) as u32);
    assert_eq!(chars.next(), Some(':'), "barrier token needs `ch:id`");
    let id = CheckpointId(number(&mut chars));
    let mut barrier = Barrier {
        id,
        timestamp_ms: 0,
        kind: CheckpointKind::Checkpoint,
        alignment: match kind {
            Aligned => Alignment::Aligned,
            AtLeastOnce => Alignment::AtLeastOnce,
            Alternating => Alignment::Unaligned,
        },
        stop: None,
    };
    let mut overtaken = 0;
    while let Some(c) = chars.next() {
        match c {
            'u' => barrier.alignment = Alignment::Unaligned,
            'a' => barrier.alignment = Alignment::Aligned,
            't' => barrier.alignment = Alignment::AlignedWithTimeout { timeout_ms: number(&mut chars) },
            'f' => barrier.alignment = Alignment::Unaligned.with_unaligned_unsupported(),
            'g' => {
                let timeout_ms = number(&mut chars);
                barrier.alignment = Alignment::AlignedWithTimeout { timeout_ms }.with_unaligned_unsupported();
            }
            's' => {
                barrier.kind = CheckpointKind::Savepoint;
                barrier.alignment = Alignment::Aligned;
            }
            '@' => barrier.timestamp_ms = number(&mut chars),
            '+' => overtaken = number(&mut chars) as u32,
            other => panic!("unknown barrier suffix {other:?}"),
        }
    }
    (ch, barrier, overtaken)
}

fn channel_and_id(rest: &str) -> (ChannelId, CheckpointId) {
    let (ch, id) = rest.split_once(':').expect("`ch:id`");
    (ChannelId(ch.parse().unwrap()), CheckpointId(id.parse().unwrap()))
}

fn run(kind: HandlerKind, profile: Profile, variant: Variant, channels: u32, script: &str) -> String {
    run_keeping(kind, profile, variant, channels, script).0
}

/// [`run`], also returning the handler after the script (for what the rendering does not show).
fn run_keeping(
    kind: HandlerKind,
    profile: Profile,
    variant: Variant,
    channels: u32,
    script: &str,
) -> (String, BarrierHandler) {
    let mut h = BarrierHandler::new(kind, channels, profile, variant);
    let mut now_ms = 0;
    let mut out = String::new();
    for token in script.split_whitespace() {
        let (tag, rest) = token.split_at(1);
        let mut rendered: Vec<String> = Vec::new();
        match tag {
            "B" => {
                let (ch, barrier, overtaken) = parse_barrier(kind, rest);
                h.handle_barrier(now_ms, ch, barrier, overtaken);
            }
            "C" => {
                let (ch, id) = channel_and_id(rest);
                h.handle_cancel_marker(now_ms, ch, id);
            }
            "E" => h.handle_end_of_partition(now_ms, ChannelId(rest.parse().unwrap())),
            "R" => {
                if let Some(id) = h.handle_record(now_ms, ChannelId(rest.parse().unwrap())) {
                    rendered.push(format!("persist {id}"));
                }
            }
            "T" => {
                now_ms = rest.parse().unwrap();
                h.handle_timeout(now_ms);
            }
            "W" => now_ms = rest.parse().unwrap(),
            "A" => h.handle_checkpoint_aborted(now_ms, CheckpointId(rest.parse().unwrap())),
            other => panic!("unknown event {other:?}"),
        }
        while let Some(o) = h.poll_output() {
            rendered.push(o.to_string());
        }
        let mut line =
            format!("{token} -> {}", if rendered.is_empty() { "-".to_string() } else { rendered.join(", ") });
        let blocked: Vec<String> =
            (0..channels).filter(|&c| h.is_blocked(ChannelId(c))).map(|c| c.to_string()).collect();
        if !blocked.is_empty() {
            line.push_str(&format!(" [blocked {}]", blocked.join(" ")));
        }
        if let Some(t) = h.poll_timeout() {
            line.push_str(&format!(" (timer {t})"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    (out, h)
}

fn normalize(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

fn check_variant(kind: HandlerKind, profile: Profile, variant: Variant, channels: u32, script: &str, expected: &str) {
    let actual = run(kind, profile, variant, channels, script);
    assert_eq!(
        normalize(&actual),
        normalize(expected),
        "\n{kind:?} {profile} {channels} channel(s), script `{script}`; actual:\n{actual}"
    );
}

fn check(kind: HandlerKind, profile: Profile, channels: u32, script: &str, expected: &str) {
    check_variant(kind, profile, Variant::Correct, channels, script, expected);
}

// --- §3.1 aligned ------------------------------------------------------------------------

#[test]
fn aligned_blocks_each_channel_until_every_barrier_is_in() {
    for profile in Profile::ALL {
        check(
            Aligned,
            profile,
            2,
            "B0:1 R1 W5 B1:1 R0",
            "B0:1 -> - [blocked 0]
             R1 -> - [blocked 0]
             W5 -> - [blocked 0]
             B1:1 -> trigger 1 align=5ms
             R0 -> -",
        );
    }
}

#[test]
fn aligned_single_channel_triggers_each_new_id_immediately() {
    check(
        Aligned,
        F23,
        1,
        "B0:1 R0 W3 B0:2",
        "B0:1 -> trigger 1
         R0 -> -
         W3 -> -
         B0:2 -> trigger 2",
    );
}

#[test]
fn aligned_obsolete_barriers_are_ignored() {
    // B2:1 arrives after checkpoint 2 started (ch1 never carried 1): obsolete, not blocking.
    check(
        Aligned,
        F23,
        3,
        "B0:1 B1:2 B2:1 B0:2 B2:2 B0:3 B1:3 B2:3",
        "B0:1 -> - [blocked 0]
         B1:2 -> abort 1 CHECKPOINT_DECLINED_SUBSUMED [blocked 1]
         B2:1 -> - [blocked 1]
         B0:2 -> - [blocked 0 1]
         B2:2 -> trigger 2
         B0:3 -> - [blocked 0]
         B1:3 -> - [blocked 0 1]
         B2:3 -> trigger 3",
    );
}

#[test]
fn aligned_newer_barrier_subsumes_and_unblocks() {
    check(
        Aligned,
        F111,
        2,
        "B0:1 B1:2 R0 B0:2",
        "B0:1 -> - [blocked 0]
         B1:2 -> abort 1 CHECKPOINT_DECLINED_SUBSUMED [blocked 1]
         R0 -> - [blocked 1]
         B0:2 -> trigger 2",
    );
}

#[test]
fn aligned_cancel_marker_aborts_current_and_later_barriers_are_obsolete() {
    check(
        Aligned,
        F23,
        3,
        "B0:1 C1:1 B2:1 R0 C0:1",
        "B0:1 -> - [blocked 0]
         C1:1 -> abort 1 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
         B2:1 -> -
         R0 -> -
         C0:1 -> -",
    );
}

#[test]
fn aligned_cancel_marker_for_future_id_drops_the_current_one_silently() {
    check(
        Aligned,
        F23,
        3,
        "B0:1 C1:2 B2:1 B2:2 B0:2 B0:3 B1:3 B2:3",
        "B0:1 -> - [blocked 0]
         C1:2 -> abort 2 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
         B2:1 -> -
         B2:2 -> -
         B0:2 -> -
         B0:3 -> - [blocked 0]
         B1:3 -> - [blocked 0 1]
         B2:3 -> trigger 3",
    );
}

#[test]
fn duplicate_cancel_markers_are_reported_once() {
    for kind in [Aligned, AtLeastOnce, Alternating] {
        check(
            kind,
            F23,
            3,
            "C0:1 C1:1 C2:1",
            "C0:1 -> abort 1 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
             C1:1 -> -
             C2:1 -> -",
        );
    }
}

#[test]
fn aligned_end_of_partition_aborts_in_1_11() {
    check(
        Aligned,
        F111,
        3,
        "B0:1 E2 B1:1 B0:2 B1:2",
        "B0:1 -> - [blocked 0]
         E2 -> abort 1 CHECKPOINT_DECLINED_INPUT_END_OF_STREAM
         B1:1 -> -
         B0:2 -> - [blocked 0]
         B1:2 -> trigger 2",
    );
}

#[test]
fn aligned_end_of_partition_counts_as_aligned_in_2_3() {
    check(
        Aligned,
        F23,
        3,
        "B0:1 E2 B1:1",
        "B0:1 -> - [blocked 0]
         E2 -> - [blocked 0]
         B1:1 -> trigger 1",
    );
    check(Aligned, F23, 2, "B0:1 W4 E1", "B0:1 -> - [blocked 0]\nW4 -> - [blocked 0]\nE1 -> trigger 1 align=4ms");
}

#[test]
fn aligned_checkpoint_started_after_a_channel_closed_needs_only_open_channels() {
    // 1.11's completion test `barriers + closed == total`; 2.3's target = open channels.
    for profile in Profile::ALL {
        check(
            Aligned,
            profile,
            3,
            "E2 B0:1 B1:1",
            "E2 -> -
             B0:1 -> - [blocked 0]
             B1:1 -> trigger 1",
        );
    }
}

#[test]
fn aligned_no_block_variant_never_blocks() {
    check_variant(
        Aligned,
        F23,
        Variant::AlignedNoBlock,
        2,
        "B0:1 R0 B1:1",
        "B0:1 -> -
         R0 -> -
         B1:1 -> trigger 1",
    );
}

// --- §3.2 tracker ------------------------------------------------------------------------

#[test]
fn tracker_never_blocks_and_triggers_on_the_last_barrier() {
    check(
        AtLeastOnce,
        F23,
        2,
        "B0:1 R0 W7 B1:1 B0:2",
        "B0:1 -> -
         R0 -> -
         W7 -> -
         B1:1 -> trigger 1 align=7ms
         B0:2 -> -",
    );
}

#[test]
fn tracker_completion_drops_older_incomplete_checkpoints_silently() {
    check(
        AtLeastOnce,
        F23,
        2,
        "B0:1 B0:2 B0:3 B1:2 B1:1 B1:3",
        "B0:1 -> -
         B0:2 -> -
         B0:3 -> -
         B1:2 -> trigger 2
         B1:1 -> -
         B1:3 -> trigger 3",
    );
}

#[test]
fn tracker_incomplete_checkpoint_survives_a_later_barrier() {
    check(
        AtLeastOnce,
        F111,
        2,
        "B0:1 B0:2 B1:1 B1:2",
        "B0:1 -> -
         B0:2 -> -
         B1:1 -> trigger 1
         B1:2 -> trigger 2",
    );
}

#[test]
fn tracker_tracks_at_most_50_checkpoints() {
    let ids = 1..=(MAX_TRACKED_CHECKPOINTS as u64 + 1);
    let mut script: Vec<String> = ids.clone().map(|i| format!("B0:{i}")).collect();
    let mut expected: Vec<String> = ids.map(|i| format!("B0:{i} -> -")).collect();
    // Checkpoint 1 was dropped when 51 arrived; 2 is still tracked.
    script.extend(["B1:1".to_string(), "B1:2".to_string()]);
    expected.extend(["B1:1 -> -".to_string(), "B1:2 -> trigger 2".to_string()]);
    check(AtLeastOnce, F23, 2, &script.join(" "), &expected.join("\n"));
}

#[test]
fn tracker_counts_barriers_in_1_11_and_distinct_channels_in_2_3() {
    let script = "B0:1 B0:1 B1:1";
    check(
        AtLeastOnce,
        F111,
        2,
        script,
        "B0:1 -> -
         B0:1 -> trigger 1
         B1:1 -> -",
    );
    check(
        AtLeastOnce,
        F23,
        2,
        script,
        "B0:1 -> -
         B0:1 -> -
         B1:1 -> trigger 1",
    );
}

#[test]
fn tracker_cancel_marker_aborts_older_entries_and_keeps_counting() {
    check(
        AtLeastOnce,
        F23,
        3,
        "B0:1 B0:2 C1:2 B2:1 B2:2 B0:3 B1:3 B2:3",
        "B0:1 -> -
         B0:2 -> -
         C1:2 -> abort 1 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER, abort 2 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
         B2:1 -> -
         B2:2 -> -
         B0:3 -> -
         B1:3 -> -
         B2:3 -> trigger 3",
    );
}

#[test]
fn tracker_cancel_marker_for_future_id() {
    check(
        AtLeastOnce,
        F23,
        2,
        "C0:4 B1:4 B1:5 B0:5",
        "C0:4 -> abort 4 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
         B1:4 -> -
         B1:5 -> -
         B0:5 -> trigger 5",
    );
}

#[test]
fn tracker_end_of_partition_per_profile() {
    check(
        AtLeastOnce,
        F111,
        2,
        "B0:1 E1 B0:2",
        "B0:1 -> -\nE1 -> abort 1 CHECKPOINT_DECLINED_INPUT_END_OF_STREAM\nB0:2 -> trigger 2",
    );
    check(AtLeastOnce, F23, 2, "B0:1 E1 B0:2", "B0:1 -> -\nE1 -> trigger 1\nB0:2 -> trigger 2");
    // 2.3: the finished channel completes the newest checkpoint waiting only for it.
    check(
        AtLeastOnce,
        F23,
        3,
        "B0:1 B1:1 B0:2 B1:2 E2",
        "B0:1 -> -
         B1:1 -> -
         B0:2 -> -
         B1:2 -> -
         E2 -> trigger 2",
    );
}

// --- §3.3 unaligned ----------------------------------------------------------------------

/// Semantics §14, forced alignment: a forced-aligned barrier (an unaligned checkpoint's barrier on an edge into a
/// task whose inputs always align) is aligned by the alternating handler: the channel blocks, no
/// record is persisted, the trigger is aligned. One from an aligned-with-timeout checkpoint never
/// times out (`CheckpointOptions#isTimeoutable` is false for FORCED_ALIGNED).
#[test]
fn forced_aligned_barriers_align_without_channel_state_or_timeout() {
    check(
        Alternating,
        F23,
        2,
        "R1 B0:1f R1 B1:1f R0",
        "R1 -> -
         B0:1f -> - [blocked 0]
         R1 -> - [blocked 0]
         B1:1f -> trigger 1
         R0 -> -",
    );
    check(
        Alternating,
        F23,
        2,
        "B0:1g5 W50 R1 B1:1g5",
        "B0:1g5 -> - [blocked 0]
         W50 -> - [blocked 0]
         R1 -> - [blocked 0]
         B1:1g5 -> trigger 1 align=50ms",
    );
}

#[test]
fn unaligned_triggers_on_first_barrier_and_persists_records_before_each_barrier() {
    check(
        Alternating,
        F23,
        2,
        "R1 B0:1 R1 R0 R1 B1:1 R1",
        "R1 -> -
         B0:1 -> trigger 1 unaligned
         R1 -> persist 1
         R0 -> -
         R1 -> persist 1
         B1:1 -> complete 1
         R1 -> -",
    );
}

/// The records a priority barrier overtook are persisted when the barrier is taken (Flink's
/// `RemoteInputChannel#checkpointStarted` spills them at once), so the channel state is
/// complete at the last barrier and the overtaken records, processed afterwards, are not
/// persisted again (session 28; before, the handler waited in `WaitingForOvertakenRecords`
/// until the task had processed them).
#[test]
fn unaligned_overtaken_records_are_persisted_when_their_barrier_is_taken() {
    for profile in [F111, F23] {
        check(
            Alternating,
            profile,
            2,
            "B0:1+2 B1:1 R1 R0 R0 R0",
            "B0:1+2 -> trigger 1 unaligned, persist 1 ch0 overtaken=2
             B1:1 -> complete 1
             R1 -> -
             R0 -> -
             R0 -> -
             R0 -> -",
        );
    }
    // The last barrier overtook records: acknowledged on its arrival, none of them processed.
    check(
        Alternating,
        F23,
        2,
        "B0:1 R1 B1:1+3 R1 R1",
        "B0:1 -> trigger 1 unaligned
         R1 -> persist 1
         B1:1+3 -> persist 1 ch1 overtaken=3, complete 1
         R1 -> -
         R1 -> -",
    );
    check(
        Alternating,
        F23,
        1,
        "B0:1+1 R0",
        "B0:1+1 -> trigger 1 unaligned, persist 1 ch0 overtaken=1, complete 1\nR0 -> -",
    );
    check(Alternating, F23, 1, "B0:1 R0", "B0:1 -> trigger 1 unaligned, complete 1\nR0 -> -");
}

#[test]
fn unaligned_checkpoint_can_be_aborted_after_its_snapshot() {
    check(
        Alternating,
        F23,
        2,
        "B0:1 B1:2 R0 B0:2",
        "B0:1 -> trigger 1 unaligned
         B1:2 -> abort 1 CHECKPOINT_DECLINED_SUBSUMED, trigger 2 unaligned
         R0 -> persist 2
         B0:2 -> complete 2",
    );
    // A cancel marker of a newer id: only 2 is aborted (`notifyAbort(cancelledId)`); 1's
    // in-flight data fails, declined in 2.x (its failed future), silently in 1.11.
    check(
        Alternating,
        F23,
        3,
        "B0:1 C1:2 B2:1",
        "B0:1 -> trigger 1 unaligned
         C1:2 -> in-flight data failed 1 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER, abort 2 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
         B2:1 -> -",
    );
    check(
        Alternating,
        F111,
        3,
        "B0:1 C1:2 B2:1",
        "B0:1 -> trigger 1 unaligned
         C1:2 -> in-flight data failed 1, abort 2 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
         B2:1 -> -",
    );
    // A newer checkpoint starts before the older one's overtaken records were processed: the
    // older one completed at its last barrier; the record belongs to both cuts (persisted by 1
    // with its barrier, by 2 when taken before channel 0's barrier of 2).
    check(
        Alternating,
        F23,
        2,
        "B0:1+1 B1:1 B1:2 R0 B0:2",
        "B0:1+1 -> trigger 1 unaligned, persist 1 ch0 overtaken=1
         B1:1 -> complete 1
         B1:2 -> trigger 2 unaligned
         R0 -> persist 2
         B0:2 -> complete 2",
    );
}

#[test]
fn unaligned_end_of_partition_per_profile() {
    check(
        Alternating,
        F111,
        2,
        "B0:1 E1",
        "B0:1 -> trigger 1 unaligned\nE1 -> abort 1 CHECKPOINT_DECLINED_INPUT_END_OF_STREAM",
    );
    check(Alternating, F23, 2, "B0:1 E1", "B0:1 -> trigger 1 unaligned\nE1 -> complete 1");
}

#[test]
fn savepoints_are_always_aligned() {
    check(
        Alternating,
        F23,
        2,
        "B0:1s R1 B1:1s B0:2 B1:2",
        "B0:1s -> - [blocked 0]
         R1 -> - [blocked 0]
         B1:1s -> trigger 1 savepoint
         B0:2 -> trigger 2 unaligned
         B1:2 -> complete 2",
    );
}

// --- §3.4 aligned with timeout -----------------------------------------------------------

#[test]
fn timeout_is_strict() {
    check(
        Alternating,
        F23,
        2,
        "B0:1t100@0 R1 T100 T101 B1:1t100@0+2 R0 R1 R1",
        "B0:1t100@0 -> - [blocked 0] (timer 101)
         R1 -> - [blocked 0] (timer 101)
         T100 -> - [blocked 0] (timer 101)
         T101 -> trigger 1 unaligned, prioritize 1
         B1:1t100@0+2 -> persist 1 ch1 overtaken=2, complete 1
         R0 -> -
         R1 -> -
         R1 -> -",
    );
}

#[test]
fn timeout_is_measured_from_the_barrier_timestamp_not_local_arrival() {
    check(
        Alternating,
        F23,
        2,
        "W50 B0:1t100@0 T101 B1:1t100@0",
        "W50 -> -
         B0:1t100@0 -> - [blocked 0] (timer 101)
         T101 -> trigger 1 unaligned, prioritize 1
         B1:1t100@0 -> complete 1",
    );
    // Already timed out when the first barrier arrives: unaligned at once.
    check(
        Alternating,
        F23,
        2,
        "W101 B0:1t100@0 R1 B1:1t100@0",
        "W101 -> -
         B0:1t100@0 -> trigger 1 unaligned, prioritize 1
         R1 -> persist 1
         B1:1t100@0 -> complete 1",
    );
    // A single channel completes the alignment before the timeout is looked at.
    check(Alternating, F23, 1, "W500 B0:1t100@0", "W500 -> -\nB0:1t100@0 -> trigger 1");
}

#[test]
fn timeout_is_checked_on_barriers_and_end_of_partition() {
    check(
        Alternating,
        F23,
        3,
        "B0:1t10@0 W11 B1:1t10@0 B2:1t10@0",
        "B0:1t10@0 -> - [blocked 0] (timer 11)
         W11 -> - [blocked 0] (timer 11)
         B1:1t10@0 -> trigger 1 unaligned, prioritize 1
         B2:1t10@0 -> complete 1",
    );
    check(
        Alternating,
        F23,
        3,
        "B0:1t10@0 W11 E1 B2:1t10@0",
        "B0:1t10@0 -> - [blocked 0] (timer 11)
         W11 -> - [blocked 0] (timer 11)
         E1 -> trigger 1 unaligned, prioritize 1
         B2:1t10@0 -> complete 1",
    );
}

#[test]
fn timeout_switch_is_for_one_checkpoint_only() {
    check(
        Alternating,
        F23,
        2,
        "B0:1t10@0 T11 B1:1t10@0 B0:2t10@20 R1 B1:2t10@20",
        "B0:1t10@0 -> - [blocked 0] (timer 11)
         T11 -> trigger 1 unaligned, prioritize 1
         B1:1t10@0 -> complete 1
         B0:2t10@20 -> - [blocked 0] (timer 31)
         R1 -> - [blocked 0] (timer 31)
         B1:2t10@20 -> trigger 2",
    );
}

#[test]
fn barrier_converted_to_unaligned_upstream_switches_the_checkpoint() {
    check(
        Alternating,
        F23,
        3,
        "B0:1t100@0 B1:1u+2 R1 R1 R2 B2:1t100@0",
        "B0:1t100@0 -> - [blocked 0] (timer 101)
         B1:1u+2 -> trigger 1 unaligned, prioritize 1, persist 1 ch1 overtaken=2
         R1 -> -
         R1 -> -
         R2 -> persist 1
         B2:1t100@0 -> complete 1",
    );
    // Unaligned first: later aligned barriers of the same checkpoint do not block.
    check(
        Alternating,
        F23,
        3,
        "B0:1u B1:1t100@0 R1 R2 B2:1t100@0",
        "B0:1u -> trigger 1 unaligned
         B1:1t100@0 -> -
         R1 -> -
         R2 -> persist 1
         B2:1t100@0 -> complete 1",
    );
}

#[test]
fn aligned_timeout_does_not_exist_in_1_11() {
    check(Alternating, F111, 2, "B0:1t100@0 B1:1t100@0", "B0:1t100@0 -> trigger 1 unaligned\nB1:1t100@0 -> complete 1");
}

// --- JobManager abort --------------------------------------------------------------------

#[test]
fn job_manager_abort_of_the_pending_checkpoint() {
    check(
        Aligned,
        F23,
        2,
        "B0:1 A1 B1:1 A1",
        "B0:1 -> - [blocked 0]
         A1 -> abort 1 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
         B1:1 -> -
         A1 -> -",
    );
    check(
        AtLeastOnce,
        F23,
        2,
        "B0:1 A1 B1:1 B0:2 B1:2",
        "B0:1 -> -
         A1 -> abort 1 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
         B1:1 -> -
         B0:2 -> -
         B1:2 -> trigger 2",
    );
    // Unaligned, complete at its last barrier (the overtaken record persisted with it): a
    // later abort from the JobManager finds nothing to abort.
    check(
        Alternating,
        F23,
        2,
        "B0:1+1 B1:1 A1 R0",
        "B0:1+1 -> trigger 1 unaligned, persist 1 ch0 overtaken=1
         B1:1 -> complete 1
         A1 -> -
         R0 -> -",
    );
}

#[test]
fn job_manager_abort_before_the_first_barrier_makes_its_barriers_obsolete() {
    for kind in [Aligned, AtLeastOnce, Alternating] {
        check(
            kind,
            F23,
            2,
            "A2 B0:1 B1:1 B0:2 B1:2",
            &format!(
                "A2 -> -
                 B0:1 -> {}
                 B1:1 -> {}
                 B0:2 -> abort 2 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
                 B1:2 -> -",
                match kind {
                    Aligned => "- [blocked 0]",
                    AtLeastOnce => "-",
                    Alternating => "trigger 1 unaligned",
                },
                match kind {
                    Aligned | AtLeastOnce => "trigger 1",
                    Alternating => "complete 1",
                }
            ),
        );
    }
    // Completed and unknown ids are ignored.
    check(Aligned, F23, 1, "B0:1 A1", "B0:1 -> trigger 1\nA1 -> -");
}

#[test]
fn handler_kind_follows_mode_and_unaligned() {
    assert_eq!(handler_kind(CheckpointingMode::ExactlyOnce, false), Aligned);
    assert_eq!(handler_kind(CheckpointingMode::ExactlyOnce, true), Alternating);
    assert_eq!(handler_kind(CheckpointingMode::AtLeastOnce, false), AtLeastOnce);
}

#[test]
#[should_panic(expected = "blocked channel")]
fn taking_from_a_blocked_channel_is_a_host_bug() {
    run(Aligned, F23, Variant::Correct, 2, "B0:1 R0");
}

/// The state names after each event: `SingleCheckpointBarrierHandler`'s barrier handler states
/// (`WaitingForFirstBarrier`, `CollectingBarriers`, `CollectingBarriersUnaligned`) and the
/// tracker's two.
#[test]
fn state_names_follow_the_handler() {
    // (kind, channels, events, state name before any event and after each)
    let table: &[(HandlerKind, u32, &[&str], &[&str])] = &[
        (Aligned, 2, &["B0:1", "B1:1"], &["WaitingForFirstBarrier", "CollectingBarriers", "WaitingForFirstBarrier"]),
        (AtLeastOnce, 2, &["B0:1", "B1:1"], &["WaitingForFirstBarrier", "TrackingBarriers", "WaitingForFirstBarrier"]),
        (
            Alternating,
            2,
            &["B0:1", "B1:1"],
            &["WaitingForFirstBarrier", "CollectingBarriersUnaligned", "WaitingForFirstBarrier"],
        ),
        // Overtaken records do not keep a checkpoint open (persisted with their barrier).
        (Alternating, 1, &["B0:1+1"], &["WaitingForFirstBarrier", "WaitingForFirstBarrier"]),
    ];
    for &(kind, channels, events, want) in table {
        let mut h = BarrierHandler::new(kind, channels, F23, Variant::Correct);
        let mut got = vec![h.state_name()];
        for event in events {
            let (ch, barrier, overtaken) = parse_barrier(kind, &event[1..]);
            h.handle_barrier(0, ch, barrier, overtaken);
            got.push(h.state_name());
        }
        assert_eq!(got, want, "{kind:?} over {channels} channels: {events:?}");
    }
}

#[test]
#[should_panic(expected = "clock ran backwards")]
fn a_clock_running_backwards_is_a_host_bug() {
    let mut h = BarrierHandler::new(Aligned, 2, F23, Variant::Correct);
    h.handle_record(10, ChannelId(0));
    h.handle_record(5, ChannelId(1));
}

/// The invariants are a checker: a closed channel the handler does not have, or more closed
/// channels than it has, is reported.
#[test]
fn invariants_catch_a_corrupt_state() {
    // Channel 2 of a two-channel handler is the first unknown one (ids run 0..n).
    let unknown_closed_caught = [7, 2].map(|ch| {
        let mut h = BarrierHandler::new(Aligned, 2, F23, Variant::Correct);
        h.env.closed.insert(ChannelId(ch));
        std::panic::catch_unwind(|| h.invariants()).is_err()
    });
    let mut t = BarrierHandler::new(AtLeastOnce, 1, F23, Variant::Correct);
    t.env.closed.extend([ChannelId(0), ChannelId(1)]);
    let too_many_closed_caught = std::panic::catch_unwind(|| t.invariants()).is_err();
    assert_eq!(
        (unknown_closed_caught, too_many_closed_caught),
        ([true, true], true),
        "(unknown closed channel 7 and 2 of 2, 2 closed of 1)"
    );
}

/// An event on a channel the handler does not have is a host bug, named as such: channel ids
/// run `0..num_channels`, so channel 2 of a two-channel handler is already unknown.
#[test]
fn an_unknown_channel_is_a_host_bug() {
    for kind in [Aligned, AtLeastOnce, Alternating] {
        let caught = std::panic::catch_unwind(|| run(kind, F23, Variant::Correct, 2, "R2"));
        let message = caught.expect_err("an event on channel 2 of 2 must panic");
        let text = message.downcast_ref::<String>().map(String::as_str).unwrap_or("");
        assert!(text.contains("record on unknown channel ch2"), "{kind:?}: {text}");
    }
}

/// An aligned-with-timeout checkpoint that times out is triggered with its barrier turned
/// unaligned (Flink: the timed-out checkpoint's options become unaligned, `CheckpointOptions.toUnaligned`),
/// so the snapshot and the barrier forwarded downstream are unaligned, not only the flag.
#[test]
fn timed_out_checkpoint_triggers_with_an_unaligned_barrier() {
    let mut h = BarrierHandler::new(Alternating, 2, F23, Variant::Correct);
    let (ch, barrier, overtaken) = parse_barrier(Alternating, "0:1t100@0");
    h.handle_barrier(0, ch, barrier, overtaken);
    h.handle_timeout(101);
    let mut triggered = Vec::new();
    while let Some(out) = h.poll_output() {
        if let HandlerOutput::Trigger { barrier, unaligned, .. } = out {
            triggered.push((barrier.id, barrier.alignment, unaligned));
        }
    }
    assert_eq!(triggered, vec![(CheckpointId(1), Alignment::Unaligned, true)]);
}

// --- Mutation-score tests (issue 14, session 7) ------------------------------------------

/// The JobManager's aborts of checkpoints whose first barrier is still to come are remembered
/// for the newest [`MAX_TRACKED_CHECKPOINTS`] ids only (the bound the tracker uses for
/// `CheckpointBarrierTracker.MAX_CHECKPOINTS_TO_TRACK`): after 51 such aborts (ids 2..=52) the
/// oldest, 2, is forgotten and its barriers start a checkpoint as usual, while 3, the oldest
/// remembered, is aborted by its first barrier. Every handler kind.
#[test]
fn job_manager_aborts_ahead_are_remembered_for_the_newest_50_ids() {
    let aborts: Vec<String> = (2..=2 + MAX_TRACKED_CHECKPOINTS as u64).map(|id| format!("A{id}")).collect();
    for kind in [Aligned, AtLeastOnce, Alternating] {
        let script = format!("{} B0:2 B1:2 B0:3", aborts.join(" "));
        let out = run(kind, F23, Variant::Correct, 2, &script);
        let tail: Vec<&str> = out.lines().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
        let second = match kind {
            Aligned | AtLeastOnce => "B1:2 -> trigger 2",
            Alternating => "B1:2 -> complete 2",
        };
        assert_eq!(tail[1], second, "{kind:?}: checkpoint 2 was forgotten, so it completes:\n{out}");
        assert_eq!(
            tail[2], "B0:3 -> abort 3 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER",
            "{kind:?}: checkpoint 3 is still remembered as aborted:\n{out}"
        );
    }
}

/// The alignment time is measured from the first barrier's arrival, not from the start of the
/// run (Flink's `CheckpointBarrierHandler.markAlignmentEnd`: now minus the start of alignment).
#[test]
fn alignment_time_runs_from_the_first_barrier() {
    check(
        Aligned,
        F23,
        2,
        "W10 B0:1 W15 B1:1",
        "W10 -> -
         B0:1 -> - [blocked 0]
         W15 -> - [blocked 0]
         B1:1 -> trigger 1 align=5ms",
    );
    // The tracker the same (`CheckpointBarrierTracker` marks the alignment start on the first
    // barrier of a checkpoint and the end on its last).
    check(
        AtLeastOnce,
        F23,
        2,
        "W10 B0:1 W15 B1:1",
        "W10 -> -
         B0:1 -> -
         W15 -> -
         B1:1 -> trigger 1 align=5ms",
    );
}

/// An aligned-with-timeout barrier (flink-2.3) built for the direct calls below.
fn timeout_barrier(id: u64, timestamp_ms: u64, timeout_ms: u64) -> Barrier {
    Barrier {
        id: CheckpointId(id),
        timestamp_ms,
        kind: CheckpointKind::Checkpoint,
        alignment: Alignment::AlignedWithTimeout { timeout_ms },
        stop: None,
    }
}

fn drain(h: &mut BarrierHandler) -> Vec<HandlerOutput> {
    std::iter::from_fn(|| h.poll_output()).collect()
}

/// With one input channel nothing is aligned: the alignment time is 0 (Flink's
/// `markCheckpointAlignedAndTransformState` calls `markAlignmentStartAndEnd` when the target is
/// one channel) even when an announcement started the checkpoint (and its clock) well before
/// its barrier was taken.
#[test]
fn one_channel_has_no_alignment_time_even_after_an_announcement() {
    let mut h = BarrierHandler::new(Alternating, 1, F23, Variant::Correct);
    let barrier = timeout_barrier(1, 0, 100);
    h.handle_announcement(0, ChannelId(0), barrier);
    assert_eq!(h.state_name(), "WaitingForFirstBarrierAnnounced");
    h.handle_barrier(50, ChannelId(0), barrier, 0);
    assert_eq!(drain(&mut h), vec![HandlerOutput::Trigger { barrier, unaligned: false, alignment_ms: 0 }]);
}

/// The alignment time runs from the first barrier taken, not from the announcement that started
/// the checkpoint (Flink's `SingleCheckpointBarrierHandler.processBarrier` calls
/// `markAlignmentStart` when the first barrier arrives; an announcement only starts the
/// checkpoint): announced at 0, barriers at 40 and 70, the alignment took 30 ms (not 70).
#[test]
fn alignment_time_runs_from_the_first_barrier_not_the_announcement() {
    let mut h = BarrierHandler::new(Alternating, 2, F23, Variant::Correct);
    let barrier = timeout_barrier(1, 0, 1_000);
    h.handle_announcement(0, ChannelId(0), barrier);
    h.handle_announcement(5, ChannelId(1), barrier);
    h.handle_barrier(40, ChannelId(1), barrier, 0);
    assert_eq!(drain(&mut h), vec![], "one of two barriers: aligning");
    h.handle_barrier(70, ChannelId(0), barrier, 0);
    assert_eq!(drain(&mut h), vec![HandlerOutput::Trigger { barrier, unaligned: false, alignment_ms: 30 }]);
}

/// A checkpoint that timed out before any of its barriers was taken (Flink's
/// `AlternatingWaitingForFirstBarrierUnaligned`) is triggered with its barrier turned
/// unaligned (`CheckpointOptions.toUnaligned`), whether its first barrier arrives or, in 2.3,
/// every channel ends first (then nothing is in flight and its channel state is complete).
#[test]
fn checkpoint_timed_out_before_its_first_barrier_triggers_with_an_unaligned_barrier() {
    let barrier = timeout_barrier(1, 0, 100);
    let unaligned = Barrier { alignment: Alignment::Unaligned, ..barrier };
    let mut h = BarrierHandler::new(Alternating, 2, F23, Variant::Correct);
    h.handle_announcement(0, ChannelId(0), barrier);
    h.handle_timeout(101);
    assert_eq!(drain(&mut h), vec![HandlerOutput::PrioritizeBarriers { id: CheckpointId(1) }]);
    assert_eq!(h.state_name(), "WaitingForFirstBarrierUnaligned");
    h.handle_barrier(101, ChannelId(0), barrier, 0);
    assert_eq!(drain(&mut h), vec![HandlerOutput::Trigger { barrier: unaligned, unaligned: true, alignment_ms: 0 }]);

    let mut h = BarrierHandler::new(Alternating, 2, F23, Variant::Correct);
    h.handle_announcement(0, ChannelId(0), barrier);
    h.handle_timeout(101);
    drain(&mut h);
    h.handle_end_of_partition(102, ChannelId(1));
    assert_eq!(drain(&mut h), vec![], "one of two channels ended: still waiting");
    h.handle_end_of_partition(103, ChannelId(0));
    assert_eq!(
        drain(&mut h),
        vec![
            HandlerOutput::Trigger { barrier: unaligned, unaligned: true, alignment_ms: 0 },
            HandlerOutput::ChannelStateComplete { id: CheckpointId(1) },
        ]
    );
}

/// Flink's `processCancellationBarrier` aborts only a newer checkpoint or the one being
/// collected; a marker of an older id (and likewise the JobManager's abort of an older id) leaves
/// the pending checkpoint alone. A newer marker after an unaligned checkpoint got all its
/// barriers aborts only the newer one: the older one completed at its last barrier, with the
/// records its barriers overtook as channel state (persisted when they were taken; until
/// session 28 it waited for them to be processed, and the marker had to spare it).
#[test]
fn older_cancellations_leave_the_pending_checkpoint_and_newer_ones_spare_a_finished_alignment() {
    for kind in [Aligned, Alternating] {
        let first = match kind {
            Aligned => "- [blocked 0]",
            _ => "trigger 2 unaligned",
        };
        let last = match kind {
            Aligned => "trigger 2",
            _ => "complete 2",
        };
        let still = match kind {
            Aligned => "- [blocked 0]",
            _ => "-",
        };
        check(kind, F23, 2, "B0:2 C1:1 B1:2", &format!("B0:2 -> {first}\nC1:1 -> {still}\nB1:2 -> {last}"));
        check(kind, F23, 2, "B0:2 A1 B1:2", &format!("B0:2 -> {first}\nA1 -> {still}\nB1:2 -> {last}"));
    }
    check(
        Alternating,
        F23,
        2,
        "B0:1+1 B1:1 C1:2 R0 B0:2",
        "B0:1+1 -> trigger 1 unaligned, persist 1 ch0 overtaken=1
         B1:1 -> complete 1
         C1:2 -> abort 2 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
         R0 -> -
         B0:2 -> -",
    );
}

/// A cancel marker of an id the JobManager had already aborted ahead reports it once, and the
/// newer ids remembered as aborted stay remembered.
#[test]
fn a_cancel_marker_keeps_the_newer_job_manager_aborts() {
    for kind in [Aligned, AtLeastOnce, Alternating] {
        check(
            kind,
            F23,
            2,
            "A2 A3 C0:2 B1:2 B0:3 B1:3",
            "A2 -> -
             A3 -> -
             C0:2 -> abort 2 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
             B1:2 -> -
             B0:3 -> abort 3 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
             B1:3 -> -",
        );
    }
}

/// The single-checkpoint machine's own invariants are a checker: a completed id above the
/// current one, a blocked channel with no checkpoint pending, an aborted-ahead id that is not
/// ahead are each reported.
#[test]
fn single_machine_invariants_catch_a_corrupt_state() {
    let corrupt: [fn(&mut Single); 3] = [
        |s| s.last_done = CheckpointId(5),
        |s| {
            s.blocked.insert(ChannelId(0));
        },
        |s| {
            s.jm_aborted.insert(CheckpointId::NONE);
        },
    ];
    for (i, corrupt) in corrupt.iter().enumerate() {
        let mut h = BarrierHandler::new(Aligned, 2, F23, Variant::Correct);
        let Machine::Single(s) = &mut h.machine else { unreachable!() };
        corrupt(s);
        assert!(std::panic::catch_unwind(|| h.invariants()).is_err(), "corruption {i} not reported");
    }
}

/// The tracker's one-channel fast path (`CheckpointBarrierTracker.processBarrier` with a single
/// input channel) still honours every id the JobManager aborted ahead, not only the first.
#[test]
fn tracker_fast_path_honours_every_job_manager_abort_ahead() {
    check(
        AtLeastOnce,
        F23,
        1,
        "A2 A3 B0:1 B0:2 B0:3 B0:4",
        "A2 -> -
         A3 -> -
         B0:1 -> trigger 1
         B0:2 -> abort 2 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
         B0:3 -> abort 3 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
         B0:4 -> trigger 4",
    );
}

/// `CheckpointBarrierTracker.processCancellationBarrier` removes only the entries *older* than
/// the cancelled id; the cancelled one stays tracked (aborted) until all its barriers and
/// markers are counted.
#[test]
fn tracker_keeps_counting_the_cancelled_checkpoint() {
    let mut h = BarrierHandler::new(AtLeastOnce, 3, F23, Variant::Correct);
    let (ch, barrier, _) = parse_barrier(AtLeastOnce, "0:1");
    h.handle_barrier(0, ch, barrier, 0);
    h.handle_cancel_marker(0, ChannelId(1), CheckpointId(1));
    assert_eq!(h.pending_checkpoint(), Some(CheckpointId(1)), "2 of 3 counted: still tracked");
    assert_eq!(h.state_name(), "TrackingBarriers");
    h.handle_barrier(0, ChannelId(2), barrier, 0);
    assert_eq!(h.pending_checkpoint(), None, "3 of 3 counted: removed");
    let outputs = drain(&mut h);
    assert_eq!(
        outputs,
        vec![HandlerOutput::Abort {
            id: CheckpointId(1),
            reason: CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier
        }]
    );
}

/// The tracker's invariants are a checker: a complete entry still tracked, ids out of order,
/// an entry above the latest pending id, an entry counting a channel that does not exist are
/// each reported.
#[test]
fn tracker_invariants_catch_a_corrupt_state() {
    let corrupt: [fn(&mut Tracker); 4] = [
        |t| {
            t.pending[0].channels.extend([ChannelId(1), ChannelId(2)]);
            t.pending[0].arrivals = 3;
        },
        |t| {
            let copy = t.pending[0].clone();
            t.pending.push_back(copy);
        },
        |t| t.latest_pending = CheckpointId::NONE,
        // Channel 3 of a three-channel handler does not exist (ids run 0..n).
        |t| {
            t.pending[0].channels.insert(ChannelId(3));
        },
    ];
    for (i, corrupt) in corrupt.iter().enumerate() {
        for profile in [F111, F23] {
            let mut h = BarrierHandler::new(AtLeastOnce, 3, profile, Variant::Correct);
            let (ch, barrier, _) = parse_barrier(AtLeastOnce, "0:1");
            h.handle_barrier(0, ch, barrier, 0);
            let Machine::Tracker(t) = &mut h.machine else { unreachable!() };
            corrupt(t);
            assert!(std::panic::catch_unwind(|| h.invariants()).is_err(), "corruption {i} not reported in {profile}");
        }
    }
}

/// Announcements of obsolete checkpoints are ignored (`SingleCheckpointBarrierHandler`
/// `processBarrierAnnouncement` only acts on the current or a newer id): an older id's
/// announcement does not prioritize anything while a newer checkpoint runs unaligned, and a
/// late announcement of the checkpoint just completed changes nothing.
#[test]
fn announcements_of_obsolete_checkpoints_are_ignored() {
    let mut h = BarrierHandler::new(Alternating, 2, F23, Variant::Correct);
    h.handle_announcement(0, ChannelId(0), timeout_barrier(2, 0, 100));
    h.handle_timeout(101);
    assert_eq!(drain(&mut h), vec![HandlerOutput::PrioritizeBarriers { id: CheckpointId(2) }]);
    h.handle_announcement(102, ChannelId(1), timeout_barrier(1, 0, 100));
    assert_eq!(drain(&mut h), vec![], "checkpoint 1 is older than the pending 2");
    assert_eq!(h.state_name(), "WaitingForFirstBarrierUnaligned");

    let mut h = BarrierHandler::new(Alternating, 2, F23, Variant::Correct);
    let barrier = timeout_barrier(1, 0, 100);
    h.handle_announcement(0, ChannelId(0), barrier);
    h.handle_barrier(1, ChannelId(0), barrier, 0);
    h.handle_barrier(2, ChannelId(1), barrier, 0);
    assert_eq!(drain(&mut h).len(), 1, "one trigger");
    h.handle_announcement(3, ChannelId(1), barrier);
    assert_eq!(drain(&mut h), vec![]);
    assert_eq!((h.state_name(), h.pending_checkpoint()), ("WaitingForFirstBarrier", None));
}

/// Session 43: a cancel marker of a checkpoint that is only announced (no barrier taken, no
/// channel ended) is ignored, as 2.x's `SingleCheckpointBarrierHandler.processCancellationBarrier`
/// ignores the current id while `alignedChannels` is empty. The checkpoint stays pending: its
/// first barrier begins the alignment, and its clock (started with the announcement) still
/// times it out into an unaligned trigger. Likewise after a time-out before the first barrier;
/// once a channel ended (2.3: aligned), the marker aborts it.
#[test]
fn a_cancel_marker_of_an_announced_checkpoint_is_ignored() {
    let barrier = timeout_barrier(1, 0, 100);
    let mut h = BarrierHandler::new(Alternating, 2, F23, Variant::Correct);
    h.handle_announcement(0, ChannelId(0), barrier);
    h.handle_cancel_marker(1, ChannelId(1), CheckpointId(1));
    assert_eq!(drain(&mut h), vec![], "announced only: the marker is ignored");
    assert_eq!(h.pending_checkpoint(), Some(CheckpointId(1)));
    h.handle_barrier(2, ChannelId(0), barrier, 0);
    assert_eq!((drain(&mut h), h.is_blocked(ChannelId(0))), (vec![], true), "the barrier begins the alignment");
    h.handle_timeout(101);
    let unaligned = Barrier { alignment: Alignment::Unaligned, ..barrier };
    assert_eq!(
        drain(&mut h),
        vec![
            HandlerOutput::Trigger { barrier: unaligned, unaligned: true, alignment_ms: 0 },
            HandlerOutput::PrioritizeBarriers { id: CheckpointId(1) },
        ]
    );

    let mut h = BarrierHandler::new(Alternating, 3, F23, Variant::Correct);
    h.handle_announcement(0, ChannelId(0), barrier);
    h.handle_timeout(101);
    drain(&mut h);
    h.handle_cancel_marker(102, ChannelId(1), CheckpointId(1));
    assert_eq!(drain(&mut h), vec![], "timed out before any barrier: still ignored");
    assert_eq!(h.state_name(), "WaitingForFirstBarrierUnaligned");
    h.handle_end_of_partition(103, ChannelId(2));
    h.handle_cancel_marker(104, ChannelId(1), CheckpointId(1));
    let abort = HandlerOutput::Abort {
        id: CheckpointId(1),
        reason: CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier,
    };
    assert_eq!(drain(&mut h), vec![abort], "an ended channel counts as aligned");
    assert_eq!(h.pending_checkpoint(), None);
}

// --- Mutation-score tests (issue 14, session 8) ------------------------------------------

/// Runs `script` on the tracker, checks its rendering and what it still tracks afterwards
/// (Flink's `CheckpointBarrierTracker.getLatestCheckpointId` / `isCheckpointPending`: the
/// newest pending entry, `None` when nothing is pending).
fn check_tracked(profile: Profile, channels: u32, script: &str, expected: &str, tracked: Option<u64>) {
    let (actual, h) = run_keeping(AtLeastOnce, profile, Variant::Correct, channels, script);
    assert_eq!(normalize(&actual), normalize(expected), "\n{profile} {channels} channel(s), script `{script}`");
    assert_eq!(h.pending_checkpoint(), tracked.map(CheckpointId), "{profile}: tracked after `{script}`");
    let state = if tracked.is_some() { "TrackingBarriers" } else { "WaitingForFirstBarrier" };
    assert_eq!(h.state_name(), state, "{profile}: state after `{script}`");
}

/// The tracker's one-channel fast path is taken only for ids newer than every tracked one
/// (the case `CheckpointBarrierTracker.processBarrier` / `processCancellationBarrier` spell
/// out): a barrier on channel 0 of two starts checkpoint 5, channel 0 ends, then channel 1's
/// barrier (or cancel marker) of 5 arrives with one channel open. It must complete (or
/// cancel) the pending entry, with the alignment time from the first barrier, and leave
/// nothing tracked, instead of triggering afresh beside a stale entry.
#[test]
fn tracker_fast_path_is_for_new_ids_only() {
    check_tracked(
        F23,
        2,
        "B0:5 W5 E0 W9 B1:5",
        "B0:5 -> -
         W5 -> -
         E0 -> -
         W9 -> -
         B1:5 -> trigger 5 align=9ms",
        None,
    );
    check_tracked(
        F23,
        2,
        "B0:5 E0 C1:5",
        "B0:5 -> -
         E0 -> -
         C1:5 -> abort 5 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER",
        None,
    );
}

/// With two open channels a cancel marker of a new id is reported aborted *and* tracked as an
/// aborted entry (`processCancellationBarrier` adds `abortedMarker` first), so the other
/// channel's barrier of that id is absorbed and cannot start the checkpoint again: when the
/// first channel then ends (2.3 counts it as aligned), nothing triggers.
#[test]
fn tracker_cancel_marker_of_a_new_id_is_tracked_until_all_channels_counted() {
    check_tracked(F23, 2, "C0:4", "C0:4 -> abort 4 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER", Some(4));
    check_tracked(
        F23,
        2,
        "C0:4 B1:4 E0",
        "C0:4 -> abort 4 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER
         B1:4 -> -
         E0 -> -",
        None,
    );
}

/// 1.11's end of partition drops every tracked entry but not the highest id seen
/// (`latestPendingCheckpointID` is untouched), so the dropped checkpoint's remaining barriers
/// and cancel markers are trailing: they start nothing and report nothing again.
#[test]
fn tracker_1_11_end_of_partition_keeps_the_latest_id() {
    check_tracked(
        F111,
        3,
        "B0:1 E2 B1:1",
        "B0:1 -> -
         E2 -> abort 1 CHECKPOINT_DECLINED_INPUT_END_OF_STREAM
         B1:1 -> -",
        None,
    );
    check_tracked(
        F111,
        3,
        "B0:1 E2 C1:1",
        "B0:1 -> -
         E2 -> abort 1 CHECKPOINT_DECLINED_INPUT_END_OF_STREAM
         C1:1 -> -",
        None,
    );
}

/// The open-channel count the host reads (a task's input is over when it reaches 0) counts
/// down with each end of partition, for every handler kind.
#[test]
fn open_channels_count_down_with_each_end_of_partition() {
    for kind in [Aligned, AtLeastOnce, Alternating] {
        let mut h = BarrierHandler::new(kind, 3, F23, Variant::Correct);
        let mut open = vec![h.num_open_channels()];
        for ch in [1, 0, 2] {
            h.handle_end_of_partition(0, ChannelId(ch));
            open.push(h.num_open_channels());
        }
        assert_eq!(open, [3, 2, 1, 0], "{kind:?}");
    }
}

/// A cancel marker of a checkpoint the tracker no longer tracks (dropped beyond the 50 it
/// keeps, or by 1.11's end of partition) while a newer one is tracked is trailing
/// (`CheckpointBarrierTracker.processCancellationBarrier` acts only on the entry of that very
/// id or on a new id): it reports nothing and leaves the newer entry to complete.
#[test]
fn tracker_trailing_cancel_marker_of_a_forgotten_checkpoint_leaves_newer_entries_alone() {
    let ids = 1..=(MAX_TRACKED_CHECKPOINTS as u64 + 1);
    let mut script: Vec<String> = ids.clone().map(|i| format!("B0:{i}")).collect();
    let mut expected: Vec<String> = ids.map(|i| format!("B0:{i} -> -")).collect();
    // Checkpoint 1 was dropped when 51 arrived; channel 1's marker of 1 is trailing.
    script.extend(["C1:1".to_string(), "B1:2".to_string()]);
    expected.extend(["C1:1 -> -".to_string(), "B1:2 -> trigger 2".to_string()]);
    check(AtLeastOnce, F23, 2, &script.join(" "), &expected.join("\n"));
    check(
        AtLeastOnce,
        F111,
        3,
        "B0:1 E2 B0:2 C1:1 B1:2",
        "B0:1 -> -
         E2 -> abort 1 CHECKPOINT_DECLINED_INPUT_END_OF_STREAM
         B0:2 -> -
         C1:1 -> -
         B1:2 -> trigger 2",
    );
}

/// Semantics §14, forced alignment: `barrier_into` sends an unaligned barrier into a task whose inputs always
/// align in-band and forced aligned, elsewhere unchanged; the planted variant does not; the task
/// forwards it with the alignment it had (`with_unaligned_supported` undoes the conversion).
#[test]
fn barrier_into_an_always_aligned_task_is_in_band_and_forced_aligned() {
    use crate::record::barrier_into;
    let b = Barrier {
        id: CheckpointId(3),
        timestamp_ms: 7,
        kind: CheckpointKind::Checkpoint,
        alignment: Alignment::Unaligned,
        stop: None,
    };
    let (into, priority) = barrier_into(b, true, true, Variant::Correct);
    assert_eq!((into.alignment, priority), (Alignment::ForcedAligned { timeout_ms: None }, false));
    assert_eq!(into.alignment.with_unaligned_supported(), Alignment::Unaligned);
    assert_eq!(barrier_into(b, true, false, Variant::Correct), (b, true));
    assert_eq!(barrier_into(b, true, true, Variant::UnalignedIntoAlwaysAligned), (b, true));
    let t = Barrier { alignment: Alignment::AlignedWithTimeout { timeout_ms: 20 }, ..b };
    let (into, priority) = barrier_into(t, false, true, Variant::Correct);
    assert_eq!((into.alignment, priority), (Alignment::ForcedAligned { timeout_ms: Some(20) }, false));
    assert_eq!(into.alignment.with_unaligned_supported(), Alignment::AlignedWithTimeout { timeout_ms: 20 });
    for a in [Alignment::Aligned, Alignment::AtLeastOnce] {
        let plain = Barrier { alignment: a, ..b };
        assert_eq!(barrier_into(plain, false, true, Variant::Correct), (plain, false));
    }
}
