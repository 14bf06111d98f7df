//! AlternatingCheckpointsTest's barrier-announcement and aligned-timeout cases replayed on `BarrierHandler` behind a small model of an input gate.
//!
//! Flink's tests push buffers into input channels (`RemoteInputChannel.onBuffer` makes an
//! `EventAnnouncement` for every aligned-with-timeout barrier it receives, as a priority event)
//! and poll the gate, asserting only the kind of each polled element (`assertAnnouncement`,
//! `assertBarrier`, `assertData`). The gate here does the same with the handler's
//! `PrioritizeBarriers` standing for `convertToPriorityEvent`: a barrier still queued moves to
//! the priority queue, carrying the number of records it overtook.
//!
//! Script tokens, in order:
//! * `R<ch>` a record arrives; `B<ch>:<id>` an aligned-with-timeout barrier arrives on a remote
//!   channel (queued, and announced as a priority event); `L<ch>:<id>` the same on a local/test
//!   channel (no announcement); `U<ch>:<id>` an unaligned priority barrier from upstream
//!   (overtakes the records queued on the channel); `A<ch>:<id>` a bare announcement;
//!   `C<ch>:<id>` a cancel marker (priority); `E<ch>` end of partition; `K<id>` create barrier
//!   `id` now (its timestamp; otherwise its first use creates it);
//! * `+<ms>` advance the clock and run due timers; `~<ms>` advance without running them;
//!   `!` run due timers;
//! * `Pa` / `Pb` / `Pd` / `Pe` / `Pc` poll one element and expect an announcement / barrier /
//!   record / end of partition / cancel marker; `*` poll until nothing is available (Flink's
//!   `send` helper);
//! * `#<n>` expect `n` checkpoints triggered so far; `?<id>` expect `id` pending.
//!
//! The clock starts at 100 ms (the test's `ManualClock`); the handler's timer is due at
//! `timestamp + timeout + 1` (semantics §3.4), Flink's at `timestamp + timeout`: every test
//! advances by more than the timeout.

use crate::common::{case_name, flink, run_table, Flink, F23};
use ckptsim::barrier::{BarrierHandler, HandlerKind, HandlerOutput};
use ckptsim::record::{Alignment, Barrier, CheckpointKind};
use ckptsim::{ChannelId, CheckpointId, Profile, Variant};
use std::collections::{BTreeMap, VecDeque};

const ALTERNATING: &str = "AlternatingCheckpointsTest";
const MAX: u64 = i32::MAX as u64;

struct Case {
    flink: Flink,
    channels: u32,
    timeout_ms: u64,
    script: &'static str,
    /// Triggers (`<id>a` aligned, `<id>u` unaligned) and aborts (`-<id>`), in order.
    sequence: &'static str,
    /// Records persisted as in-flight channel state per channel at the end (unlisted: 0).
    inflight: Option<&'static [(u32, u32)]>,
    /// Every channel unblocked at the end.
    unblocked_at_end: bool,
}

fn case(m: &'static str, channels: u32, timeout_ms: u64, script: &'static str, sequence: &'static str) -> Case {
    Case {
        flink: flink(ALTERNATING, m, "2.x"),
        channels,
        timeout_ms,
        script,
        sequence,
        inflight: None,
        unblocked_at_end: false,
    }
}

fn cases() -> Vec<Case> {
    // testTimeoutBarrierOnTwoChannels (testTimeoutAlignment*): two records and the barrier on
    // channel 0, one and the barrier on channel 1; the first announcement starts the clock; the
    // time-out moves both barriers ahead of the records, which follow as in-flight data.
    vec![
        case("testSwitchToUnalignedByUpstream", 2, MAX, "A0:1 * #0 U1:1 * #1", "1u"),
        case("testAlignedAfterTimedOut", 1, 100, "B0:1 Pa +101 Pb #1 B0:2 Pa Pb #2", "1u 2a"),
        case("testAlignedNeverTimeoutableCheckpoint", 2, MAX, "L0:1 * R1 * #0 L1:1 * #1", "1a"),
        Case {
            inflight: Some(&[(0, 2), (1, 1)]),
            ..case("testTimeoutAlignment", 2, 10, "R0 R0 B0:1 R1 B1:1 #0 Pa +20 Pa Pb Pb #1 Pd Pd Pd", "1u")
        },
        Case {
            inflight: Some(&[(0, 2), (1, 1)]),
            ..case(
                "testTimeoutAlignmentAfterProcessingBarrier",
                3,
                MAX,
                "B2:1 * #0 R0 R0 B0:1 R1 B1:1 #0 Pa +4294967294 Pa Pb Pb #1 Pd Pd Pd",
                "1u",
            )
        },
        case("testTimeoutAlignmentOnFirstBarrier", 2, 100, "B0:1 B1:1 #0 Pa Pa #0 +400 Pb #1", "1u"),
        case("testTimeoutAlignmentBeforeFirstBarrier", 2, 100, "K1 +101 L0:1 Pb #1", "1u"),
        case(
            "testTimeoutAlignmentWhenLocalBarrierFirst",
            3,
            100,
            "L0:1 B1:1 B2:1 Pa Pa Pb Pb Pb #1 +101 L0:2 Pb #1 +101 B1:2 Pa Pb #2",
            "1a 2u",
        ),
        Case {
            inflight: Some(&[(1, 1)]),
            ..case(
                "testActiveTimeoutAfterLocalBarrierPassiveTimeout",
                2,
                10,
                "L0:1 R0 Pb R1 B1:1 #0 ~11 Pa ! Pb #1 Pd Pd",
                "1u",
            )
        },
        case(
            "testTimeoutAlignmentOnAnnouncementForSecondCheckpoint",
            2,
            100,
            "B0:1 B1:1 #0 Pa Pa Pb Pb #1 R0 B0:2 R1 B1:2 #1 Pa Pa #1 +400 Pb #2",
            "1a 2u",
        ),
        case("testPassiveTimeoutAlignmentOnAnnouncement", 2, 100, "B0:1 #0 Pa Pb ~400 B1:1 Pa Pb #1", "1a"),
        case("testActiveTimeoutAlignmentOnFirstBarrier", 2, 100, "B0:1 * +101", "1u"),
        Case {
            unblocked_at_end: true,
            ..case("testAllChannelsUnblockedAfterAlignmentTimeout", 2, 100, "A0:1 * L0:1 * +101 A1:1 * L1:1 * #1", "1u")
        },
        case("testNoActiveTimeoutAlignmentAfterLastBarrier", 2, 100, "L0:1 * L1:1 * +101", "1a"),
        case("testNoActiveTimeoutAlignmentAfterAbort", 2, 100, "L0:1 * C0:1 * C1:1 * +101 #0", "-1"),
        Case {
            inflight: Some(&[(0, 2), (1, 1)]),
            ..case(
                "testActiveTimeoutAlignmentOnAnnouncement",
                2,
                10,
                "R0 R0 B0:1 R1 B1:1 #0 Pa Pa +11 Pb Pb #1 Pd Pd Pd",
                "1u",
            )
        },
        Case {
            inflight: Some(&[(0, 2), (1, 1)]),
            ..case(
                "testActiveTimeoutAfterAnnouncementPassiveTimeout",
                2,
                10,
                "R0 R0 B0:1 R1 B1:1 #0 Pa ~11 Pa ! Pb Pb #1 Pd Pd Pd",
                "1u",
            )
        },
        Case {
            inflight: Some(&[(0, 1), (1, 1)]),
            ..case(
                "testActiveTimeoutBeforeFirstAnnouncementPassiveTimeout",
                2,
                10,
                "R0 B0:1 R1 B1:1 #0 ~11 Pa ! Pa Pb Pb #1 Pd Pd",
                "1u",
            )
        },
        Case {
            inflight: Some(&[(1, 1)]),
            ..case(
                "testActiveTimeoutAfterBarrierPassiveTimeout",
                2,
                10,
                "R0 R0 B0:1 #0 Pa Pd Pd ~11 Pb ! R1 B1:1 Pa Pb #1 Pd",
                "1u",
            )
        },
        // Flink counts the two records the upstream's unaligned barrier overtook as input
        // channel state at once; so does the model since session 28 (before, it persisted them
        // as they were taken, the two `Pd`).
        Case {
            inflight: Some(&[(1, 2)]),
            ..case("testTimeoutAlignmentOnUnalignedCheckpoint", 3, MAX, "B0:1 Pa Pb R1 R1 U1:1 Pb #1 Pd Pd", "1u")
        },
        case(
            "testTimeoutAlignmentAfterReceivedEndOfPartition",
            3,
            100,
            "B0:1 Pa Pb ~101 R1 E1 Pd Pe R2 E2 Pd Pe #1",
            "1u",
        ),
        case("testStartNewCheckpointViaAnnouncement", 3, 10_000, "B0:1 E1 Pa Pe ?1 Pb B2:1 Pa Pb #1", "1a"),
    ]
}

#[derive(Clone, Debug)]
enum Item {
    Record,
    Barrier(Barrier),
    Cancel(CheckpointId),
    End,
}

#[derive(Clone, Debug)]
enum Priority {
    Announcement(u32, Barrier),
    Barrier(u32, Barrier, u32),
}

/// The input gate: FIFO channels, channels with data in the order they got it, priority events.
struct Gate {
    queues: Vec<VecDeque<Item>>,
    available: VecDeque<u32>,
    priority: VecDeque<Priority>,
}

impl Gate {
    fn push(&mut self, ch: u32, item: Item) {
        if self.queues[ch as usize].is_empty() && !self.available.contains(&ch) {
            self.available.push_back(ch);
        }
        self.queues[ch as usize].push_back(item);
    }

    /// `convertToPriorityEvent` for every channel still holding `id`'s barrier.
    fn prioritize(&mut self, id: CheckpointId) {
        for (ch, q) in self.queues.iter_mut().enumerate() {
            let Some(pos) = q.iter().position(|i| matches!(i, Item::Barrier(b) if b.id == id)) else { continue };
            let ahead = q.iter().take(pos).filter(|i| matches!(i, Item::Record)).count() as u32;
            let Some(Item::Barrier(b)) = q.remove(pos) else { unreachable!() };
            self.priority.push_back(Priority::Barrier(ch as u32, b, ahead));
        }
    }
}

struct Run {
    h: BarrierHandler,
    gate: Gate,
    now: u64,
    seq: Vec<String>,
    triggers: usize,
    inflight: BTreeMap<u32, u32>,
}

impl Run {
    fn drain(&mut self) {
        while let Some(o) = self.h.poll_output() {
            match o {
                HandlerOutput::Trigger { barrier, unaligned, .. } => {
                    self.triggers += 1;
                    self.seq.push(format!("{}{}", barrier.id.0, if unaligned { "u" } else { "a" }));
                }
                HandlerOutput::Abort { id, .. } => self.seq.push(format!("-{}", id.0)),
                HandlerOutput::ChannelStateComplete { .. } => {}
                HandlerOutput::PersistOvertaken { channel, records, .. } => {
                    *self.inflight.entry(channel.0).or_default() += records;
                }
                // Not a `notifyAbort`: Flink's test invokable never sees it; named so a case that
                // produces it shows it.
                HandlerOutput::InFlightDataFailed { id, .. } => self.seq.push(format!("failed {}", id.0)),
                HandlerOutput::PrioritizeBarriers { id } => self.gate.prioritize(id),
            }
        }
    }

    fn timers(&mut self) {
        while self.h.poll_timeout().is_some_and(|d| d <= self.now) {
            self.h.handle_timeout(self.now);
            self.drain();
        }
    }

    /// Polls one element into the handler; its kind, or None when nothing is available.
    fn poll(&mut self) -> Option<char> {
        let now = self.now;
        if let Some(p) = self.gate.priority.pop_front() {
            let kind = match &p {
                Priority::Announcement(ch, b) => {
                    if !self.h.is_blocked(ChannelId(*ch)) {
                        self.h.handle_announcement(now, ChannelId(*ch), *b);
                    }
                    'a'
                }
                Priority::Barrier(ch, b, overtaken) => {
                    self.h.handle_barrier(now, ChannelId(*ch), *b, *overtaken);
                    'b'
                }
            };
            // The channel had data behind its priority event: it goes to the back of the queue.
            let ch = match p {
                Priority::Announcement(ch, _) | Priority::Barrier(ch, _, _) => ch,
            };
            if let Some(pos) = self.gate.available.iter().position(|&c| c == ch) {
                self.gate.available.remove(pos);
                self.gate.available.push_back(ch);
            }
            self.drain();
            return Some(kind);
        }
        let n = self.gate.available.len();
        for _ in 0..n {
            let ch = self.gate.available.pop_front()?;
            if self.h.is_blocked(ChannelId(ch)) {
                self.gate.available.push_back(ch);
                continue;
            }
            // A channel whose only element was prioritized has nothing left here.
            let Some(item) = self.gate.queues[ch as usize].pop_front() else { continue };
            if !self.gate.queues[ch as usize].is_empty() {
                self.gate.available.push_back(ch);
            }
            let kind = match item {
                Item::Record => {
                    if self.h.handle_record(now, ChannelId(ch)).is_some() {
                        *self.inflight.entry(ch).or_default() += 1;
                    }
                    'd'
                }
                Item::Barrier(b) => {
                    self.h.handle_barrier(now, ChannelId(ch), b, 0);
                    'b'
                }
                Item::Cancel(id) => {
                    self.h.handle_cancel_marker(now, ChannelId(ch), id);
                    'c'
                }
                Item::End => {
                    self.h.handle_end_of_partition(now, ChannelId(ch));
                    'e'
                }
            };
            self.drain();
            return Some(kind);
        }
        None
    }
}

fn run(case: &Case, profile: Profile) -> Result<(), String> {
    let mut r = Run {
        h: BarrierHandler::new(HandlerKind::Alternating, case.channels, profile, Variant::Correct),
        gate: Gate {
            queues: (0..case.channels).map(|_| VecDeque::new()).collect(),
            available: VecDeque::new(),
            priority: VecDeque::new(),
        },
        now: 100,
        seq: Vec::new(),
        triggers: 0,
        inflight: BTreeMap::new(),
    };
    let mut created: BTreeMap<u64, u64> = BTreeMap::new();
    let timeout_ms = case.timeout_ms;
    for (n, token) in case.script.split_whitespace().enumerate() {
        let at = |what: String| format!("token {n} `{token}`: {what}");
        let (tag, rest) = token.split_at(1);
        let parse_ch_id = |rest: &str| -> (u32, u64) {
            let (c, i) = rest.split_once(':').expect("<ch>:<id>");
            (c.parse().expect("channel"), i.parse().expect("id"))
        };
        let mut barrier = |id: u64, alignment: Option<Alignment>, now: u64| {
            let ts = *created.entry(id).or_insert(now);
            Barrier {
                id: CheckpointId(id),
                timestamp_ms: ts,
                kind: CheckpointKind::Checkpoint,
                alignment: alignment.unwrap_or(Alignment::AlignedWithTimeout { timeout_ms }),
                stop: None,
            }
        };
        match tag {
            "R" => r.gate.push(rest.parse().expect("channel"), Item::Record),
            "E" => r.gate.push(rest.parse().expect("channel"), Item::End),
            "K" => {
                barrier(rest.parse().expect("id"), None, r.now);
            }
            "B" | "L" => {
                let (ch, id) = parse_ch_id(rest);
                let b = barrier(id, None, r.now);
                r.gate.push(ch, Item::Barrier(b));
                if tag == "B" {
                    r.gate.priority.push_back(Priority::Announcement(ch, b));
                }
            }
            "A" => {
                let (ch, id) = parse_ch_id(rest);
                let b = barrier(id, None, r.now);
                r.gate.priority.push_back(Priority::Announcement(ch, b));
            }
            "U" => {
                let (ch, id) = parse_ch_id(rest);
                let b = barrier(id, Some(Alignment::Unaligned), r.now);
                let q = &mut r.gate.queues[ch as usize];
                let overtaken = q.iter().filter(|i| matches!(i, Item::Record)).count() as u32;
                r.gate.priority.push_back(Priority::Barrier(ch, b, overtaken));
            }
            // The model's cancel markers travel in order, like its barriers (Flink sends them
            // as priority events: the same decisions here, a blocked channel's marker waits).
            "C" => {
                let (ch, id) = parse_ch_id(rest);
                r.gate.push(ch, Item::Cancel(CheckpointId(id)));
            }
            "+" | "~" => {
                r.now += rest.parse::<u64>().expect("ms");
                if tag == "+" {
                    r.timers();
                }
            }
            "!" => r.timers(),
            "*" => while r.poll().is_some() {},
            "P" => {
                let want = rest.chars().next().expect("P<kind>");
                match r.poll() {
                    Some(got) if got == want => {}
                    got => return Err(at(format!("polled {got:?}, Flink asserts `{want}`"))),
                }
            }
            "#" => {
                let want: usize = rest.parse().expect("count");
                if r.triggers != want {
                    return Err(at(format!(
                        "{} checkpoints triggered, Flink {want} (so far: {:?})",
                        r.triggers, r.seq
                    )));
                }
            }
            "?" => {
                let want = CheckpointId(rest.parse().expect("id"));
                if r.h.pending_checkpoint() != Some(want) {
                    return Err(at(format!("pending {:?}, Flink {want} (during alignment)", r.h.pending_checkpoint())));
                }
            }
            other => panic!("unknown token {other}"),
        }
    }
    let seq = r.seq.join(" ");
    if seq != case.sequence {
        return Err(format!("checkpoint sequence `{seq}`, Flink `{}`", case.sequence));
    }
    if let Some(want) = case.inflight {
        let want: BTreeMap<u32, u32> = want.iter().copied().collect();
        if r.inflight != want {
            return Err(format!("in-flight records per channel {:?}, expected {want:?}", r.inflight));
        }
    }
    if case.unblocked_at_end {
        let blocked: Vec<u32> = (0..case.channels).filter(|c| r.h.is_blocked(ChannelId(*c))).collect();
        if !blocked.is_empty() {
            return Err(format!("channels {blocked:?} still blocked"));
        }
    }
    Ok(())
}

#[test]
fn barrier_announcements() {
    let all = cases();
    run_table("barrier announcements", &all, |c| case_name(&c.flink, F23), |c| run(c, F23));
}

/// flink-1.11 has no aligned-checkpoint timeout, so no announcements: an announcement given to
/// its handler changes nothing (the same script without announcements gives the same result).
#[test]
fn announcements_do_not_exist_in_1_11() {
    let mut h = BarrierHandler::new(HandlerKind::Alternating, 2, Profile::Flink111, Variant::Correct);
    let b = Barrier {
        id: CheckpointId(1),
        timestamp_ms: 0,
        kind: CheckpointKind::Checkpoint,
        alignment: Alignment::AlignedWithTimeout { timeout_ms: 10 },
        stop: None,
    };
    h.handle_announcement(5, ChannelId(0), b);
    assert_eq!(h.poll_output(), None);
    assert_eq!(h.pending_checkpoint(), None, "an announcement starts nothing in 1.11");
    assert_eq!(h.poll_timeout(), None);
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, "flink-2.3")).collect()
}
