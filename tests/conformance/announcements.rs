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
//!   `id` now (its timestamp; otherwise its first use creates it), `K<id>-<ms>` created `ms`
//!   before now; `N<ch>:<id>` an aligned checkpoint barrier without timeout and `S<ch>:<id>` a
//!   savepoint barrier (`alignedNoTimeout`: never announced);
//! * `+<ms>` advance the clock and run due timers; `~<ms>` advance without running them;
//!   `!` run due timers;
//! * `Pa` / `Pb` / `Pd` / `Pe` / `Pc` poll one element and expect an announcement / barrier /
//!   record / end of partition / cancel marker; `*` poll until nothing is available (Flink's
//!   `send` helper);
//! * `#<n>` expect `n` checkpoints triggered so far; `?<id>` expect `id` pending (`?-`: none);
//!   `=<ch>,<ch>` expect exactly these channels blocked (`=` alone: none);
//!   `M<id>/<start>/<min>/<delay>/<records>` Flink's `assertMetrics`: latest alignment of `id`,
//!   its duration at least `min` ms and at most the time since `start` (ms on the clock), a
//!   start delay of at least `delay` ms, `records` records processed during the last alignment.
//!
//! The model's checkpoint ids start at 1 (0 is `CheckpointId::NONE`): a test whose ids start
//! at 0 is posed with every id one higher.
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
    .into_iter()
    .chain(session43_cases())
    .collect()
}

/// Session 43: the rest of `AlternatingCheckpointsTest` (the `SingleCheckpointBarrierHandler`
/// tests of 2.x; Flink has no class named `SingleCheckpointBarrierHandlerTest`). Flink's
/// `TestInputChannel` never blocks by itself (the tests set `setBlocked(true)` where a real
/// channel would block on an aligned barrier, and assert it resumed); the model's handler blocks
/// the channel of every aligned barrier, so where a test asserts a channel that delivered an
/// aligned checkpoint barrier is not blocked, the case expects it blocked and asserts what the
/// test is about: the other channel resumed.
fn session43_cases() -> Vec<Case> {
    vec![
        // A savepoint (1) aligning on channel 0, a record queued behind it, then an unaligned
        // barrier of 2 on channel 1: 1 is subsumed, channel 0 resumes, its record is channel
        // state of 2 (the test asserts the channel state writer got input).
        Case {
            inflight: Some(&[(0, 1)]),
            ..case("testChannelResetOnNewBarrier", 2, MAX, "S0:1 * R0 U1:2 * ?2", "-1 2u")
        },
        // `testBarrierHandling(CHECKPOINT)`: unaligned, triggered at the first barrier.
        case("testCheckpointHandling", 2, MAX, "U0:123 * #1 U1:123 * #1 ?-", "123u"),
        // `testBarrierHandling(SAVEPOINT)`: aligned, triggered at the second, both resumed.
        Case {
            unblocked_at_end: true,
            ..case("testSavepointHandling", 2, MAX, "S0:123 * #0 =0 S1:123 * #1 =", "123a")
        },
        case("testAlternation", 123, MAX, alternation_script(), alternation_sequence()),
        // Four barriers, each on the other channel (savepoints on 0, checkpoints on 1): each
        // new id subsumes the pending one and resumes its channel; none completes.
        case("testPreviousHandlerReset", 2, MAX, "S0:1 * =0 ?1 N1:2 * =1 ?2 S0:3 * =0 ?3 N1:4 * =1 ?4 #0", "-1 -2 -3"),
        // One barrier of two: pending, its all-barriers future not done.
        case("testHasInflightDataBeforeProcessBarrier", 2, MAX, "N0:1 * ?1 #0 =0", ""),
        // An older savepoint's barrier after checkpoint 10 started: the latest id stays 10, the
        // savepoint's channel is resumed (not blocked), nothing is aborted or triggered.
        case("testOutOfOrderBarrier", 2, MAX, "N0:10 * S1:5 * ?10 =0", ""),
        // One channel: each barrier starts and ends its alignment at once (0 ms, 0 records);
        // the start delay is from the barrier's creation (10 ms, 5 ms before it was taken).
        case(
            "testMetricsSingleChannel",
            1,
            MAX,
            "K1-10 R0 * N0:1 * R0 * +6 M1/100/0/10/0 K2-5 R0 * S0:2 * R0 * +5 M2/106/0/5/0",
            "1a 2a",
        ),
    ]
}

/// `testAlternation`: 123 barriers on each of 123 channels, checkpoints and savepoints by turns
/// (Flink's ids 0..122, even ids checkpoints: here 1..=123, odd ids checkpoints).
fn alternation_script() -> &'static str {
    let mut s = String::new();
    for id in 1..=123u32 {
        let tag = if id % 2 == 1 { 'N' } else { 'S' };
        for ch in 0..123 {
            s.push_str(&format!("{tag}{ch}:{id} * "));
        }
    }
    Box::leak(s.into_boxed_str())
}

fn alternation_sequence() -> &'static str {
    let ids: Vec<String> = (1..=123).map(|id| format!("{id}a")).collect();
    Box::leak(ids.join(" ").into_boxed_str())
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
            let savepoint = tag == "S";
            Barrier {
                id: CheckpointId(id),
                timestamp_ms: ts,
                kind: if savepoint { CheckpointKind::Savepoint } else { CheckpointKind::Checkpoint },
                alignment: alignment.unwrap_or(Alignment::AlignedWithTimeout { timeout_ms }),
                stop: None,
            }
        };
        match tag {
            "R" => r.gate.push(rest.parse().expect("channel"), Item::Record),
            "E" => r.gate.push(rest.parse().expect("channel"), Item::End),
            "K" => {
                let (id, ago) = rest.split_once('-').unwrap_or((rest, "0"));
                barrier(id.parse().expect("id"), None, r.now - ago.parse::<u64>().expect("ms"));
            }
            "N" | "S" => {
                let (ch, id) = parse_ch_id(rest);
                let b = barrier(id, Some(Alignment::Aligned), r.now);
                r.gate.push(ch, Item::Barrier(b));
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
                let want = (rest != "-").then(|| CheckpointId(rest.parse().expect("id")));
                if r.h.pending_checkpoint() != want {
                    return Err(at(format!("pending {:?}, Flink {want:?}", r.h.pending_checkpoint())));
                }
            }
            "=" => {
                let want: Vec<u32> =
                    rest.split(',').filter(|c| !c.is_empty()).map(|c| c.parse().expect("channel")).collect();
                let blocked: Vec<u32> = (0..case.channels).filter(|c| r.h.is_blocked(ChannelId(*c))).collect();
                if blocked != want {
                    return Err(at(format!("blocked {blocked:?}, expected {want:?}")));
                }
            }
            "M" => check_metrics(&r, rest).map_err(at)?,
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

/// `M<id>/<start>/<min>/<delay>/<records>`: Flink's `assertMetrics` (see the module docs).
fn check_metrics(r: &Run, args: &str) -> Result<(), String> {
    let v: Vec<u64> = args.split('/').map(|x| x.parse().expect("M<id>/<start>/<min>/<delay>/<records>")).collect();
    let [id, start, min, delay, records] = v[..] else { panic!("M takes five numbers") };
    let m = r.h.metrics();
    let max = r.now - start;
    let ok = m.alignment_checkpoint == Some(CheckpointId(id))
        && (min..=max).contains(&m.alignment_duration_ms)
        && m.checkpoint_start_delay_ms >= delay
        && m.last_records_processed_during_alignment == Some(records);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "metrics {m:?}, Flink: checkpoint {id}, alignment {min}..={max} ms, delay >= {delay} ms, {records} records"
        ))
    }
}

#[test]
fn barrier_announcements() {
    let all = cases();
    run_table("barrier announcements", &all, |c| case_name(&c.flink, F23), |c| run(c, F23));
}

/// Session 43 (core fix): a cancel marker of a checkpoint that is only announced is ignored
/// (2.x's `SingleCheckpointBarrierHandler.processCancellationBarrier` acts on the current id
/// only while `alignedChannels` is not empty). Channel 1's marker is taken after channel 0's
/// announcement and before its barrier: checkpoint 1 stays pending, its barrier begins the
/// alignment, and its clock times it out into an unaligned trigger. Before the fix the model
/// aborted 1 at the marker (declined, a cancel marker sent downstream) and its barrier was
/// obsolete.
#[test]
fn a_cancel_marker_of_an_announced_checkpoint_is_ignored() {
    let c = case(
        "(SingleCheckpointBarrierHandler.processCancellationBarrier)",
        2,
        100,
        "R0 B0:1 C1:1 Pa Pc ?1 Pd Pb ?1 =0 #0 +101 #1 =",
        "1u",
    );
    run(&c, F23).unwrap();
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
