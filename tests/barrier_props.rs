//! Property tests of the barrier handlers: a model host drives random interleavings of records, barriers, cancel markers and end of partition.
//!
//! Each case generates, per input channel, the stream an upstream task sends: records tagged
//! `(channel, seq)`, and for every checkpoint id (the same ids in the same order on every
//! channel) either its barrier or a cancel marker, possibly cut short by an end of partition.
//! Elements *arrive* from upstream into the channel's input queue (unaligned barriers and
//! barriers of a checkpoint the handler prioritized may jump the queued records, counting the
//! records they overtook) and are *taken* from non-blocked channels in an order chosen by the
//! case; the clock ticks and the JobManager occasionally aborts a checkpoint. A toy operator's
//! state is the set of record tags it processed; snapshots copy it and unaligned checkpoints
//! collect the records the handler says to persist.
//!
//! Checked for every case:
//! * aligned snapshots hold exactly the records that preceded the checkpoint's barrier on every
//!   channel (its *cut*); unaligned snapshot state and persisted in-flight records are disjoint
//!   and together equal the cut; at-least-once snapshots contain the cut;
//! * restoring a snapshot and replaying its in-flight records, then every record after the
//!   barriers, yields every record exactly once (exactly-once kinds) or at least once (tracker);
//! * the tracker never blocks; no record is processed twice and every record is processed by the
//!   end; every unaligned trigger ends in exactly one channel-state completion or abort; no
//!   checkpoint is aborted twice or triggered twice; nothing stays blocked or pending.
//!
//! `PROPTEST_CASES` raises the number of cases (default 256 per kind and profile). Failing cases
//! are saved to `proptest-regressions/barrier_props.txt` and replayed first.

use ckptsim::barrier::{BarrierHandler, HandlerKind, HandlerOutput};
use ckptsim::record::{Alignment, Barrier, CheckpointKind};
use ckptsim::{ChannelId, CheckpointId, Profile, Variant};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A record's identity: (channel, sequence number on that channel).
type Tag = (u32, u32);

#[derive(Clone, Debug, PartialEq)]
enum Elem {
    Record(Tag),
    Barrier(Barrier),
    Cancel(CheckpointId),
    End,
}

/// What one upstream channel carries, before it is laid out as a stream.
#[derive(Clone, Debug)]
struct ChannelSpec {
    /// Records before checkpoint 1's marker, between markers, and after the last one.
    records: Vec<u8>,
    /// Per checkpoint: a cancel marker instead of the barrier.
    cancelled: Vec<bool>,
    /// Per checkpoint: the upstream task timed out of alignment and forwards an aligned-with-timeout
    /// barrier as unaligned (it may then overtake records).
    converted: Vec<bool>,
    /// End of partition after this many segments of records (the later markers never come).
    end_after: Option<u8>,
}

#[derive(Clone, Debug)]
struct CheckpointSpec {
    /// For Alternating: savepoint, unaligned, or aligned with timeout. Aligned kind: savepoint
    /// or checkpoint (both aligned).
    choice: u8,
    /// JobManager timestamp gap from the previous checkpoint.
    gap_ms: u64,
    timeout_ms: u64,
}

#[derive(Clone, Debug)]
enum Action {
    /// The next upstream element of a channel arrives in its input queue, with priority if it is
    /// a barrier allowed to overtake and `priority` is set.
    Arrive {
        ch: u8,
        priority: bool,
    },
    /// The host takes the next element from a channel (skipped when blocked or empty).
    Take {
        ch: u8,
    },
    Tick {
        dt_ms: u8,
    },
    /// The JobManager aborts a checkpoint (`notifyCheckpointAborted`).
    JmAbort {
        id: u8,
    },
}

#[derive(Clone, Debug)]
struct Case {
    kind: HandlerKind,
    profile: Profile,
    variant: Variant,
    channels: Vec<ChannelSpec>,
    checkpoints: Vec<CheckpointSpec>,
    actions: Vec<Action>,
}

impl Case {
    fn barrier(&self, index: usize) -> Barrier {
        let spec = &self.checkpoints[index];
        let timestamp_ms = self.checkpoints[..=index].iter().map(|c| c.gap_ms).sum();
        let id = CheckpointId(index as u64 + 1);
        let (kind, alignment) = match self.kind {
            HandlerKind::AtLeastOnce => (CheckpointKind::Checkpoint, Alignment::AtLeastOnce),
            HandlerKind::Aligned => match spec.choice % 4 {
                0 => (CheckpointKind::Savepoint, Alignment::Aligned),
                _ => (CheckpointKind::Checkpoint, Alignment::Aligned),
            },
            HandlerKind::Alternating => match spec.choice % 4 {
                0 => (CheckpointKind::Savepoint, Alignment::Aligned),
                1 => (CheckpointKind::Checkpoint, Alignment::Unaligned),
                _ => (CheckpointKind::Checkpoint, Alignment::AlignedWithTimeout { timeout_ms: spec.timeout_ms }),
            },
        };
        Barrier { id, timestamp_ms, kind, alignment, stop: None }
    }

    /// The streams the upstream tasks send, one per channel.
    fn streams(&self) -> Vec<Vec<Elem>> {
        let k = self.checkpoints.len();
        self.channels
            .iter()
            .enumerate()
            .map(|(c, spec)| {
                let c = c as u32;
                let mut seq = 0;
                let mut stream = Vec::new();
                for segment in 0..=k {
                    for _ in 0..spec.records[segment] {
                        stream.push(Elem::Record((c, seq)));
                        seq += 1;
                    }
                    if spec.end_after == Some(segment as u8) {
                        stream.push(Elem::End);
                        break;
                    }
                    if segment < k {
                        stream.push(if spec.cancelled[segment] {
                            Elem::Cancel(CheckpointId(segment as u64 + 1))
                        } else {
                            let mut barrier = self.barrier(segment);
                            if spec.converted[segment]
                                && matches!(barrier.alignment, Alignment::AlignedWithTimeout { .. })
                            {
                                barrier.alignment = Alignment::Unaligned;
                            }
                            Elem::Barrier(barrier)
                        });
                    }
                }
                stream
            })
            .collect()
    }
}

/// An element in a task's input queue.
#[derive(Clone, Debug)]
struct Queued {
    elem: Elem,
    /// Records this barrier jumped over (priority delivery).
    overtaken: u32,
    /// Inserted with priority: later priority elements queue behind it.
    priority: bool,
}

/// What a run exercised, to show the properties are not checked vacuously.
#[derive(Clone, Debug, Default)]
struct Coverage {
    aligned_snapshots: u32,
    unaligned_snapshots: u32,
    at_least_once_snapshots: u32,
    switched_to_unaligned: u32,
    overtaken_barriers: u32,
    persisted_records: u32,
    aborts: u32,
}

struct Model {
    kind: HandlerKind,
    profile: Profile,
    streams: Vec<Vec<Elem>>,
    upstream: Vec<VecDeque<Elem>>,
    queues: Vec<VecDeque<Queued>>,
    handler: BarrierHandler,
    now_ms: u64,
    prioritized: BTreeSet<CheckpointId>,
    processed: BTreeMap<Tag, u32>,
    snapshots: BTreeMap<CheckpointId, BTreeSet<Tag>>,
    in_flight: BTreeMap<CheckpointId, Vec<Tag>>,
    /// Unaligned checkpoints triggered and neither complete nor aborted yet.
    open_unaligned: BTreeSet<CheckpointId>,
    triggered: BTreeSet<CheckpointId>,
    aborted: BTreeSet<CheckpointId>,
    coverage: Coverage,
}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

impl Model {
    fn new(case: &Case) -> Self {
        let streams = case.streams();
        let n = streams.len();
        Model {
            kind: case.kind,
            profile: case.profile,
            upstream: streams.iter().map(|s| s.iter().cloned().collect()).collect(),
            queues: vec![VecDeque::new(); n],
            handler: BarrierHandler::new(case.kind, n as u32, case.profile, case.variant),
            streams,
            now_ms: 0,
            prioritized: BTreeSet::new(),
            processed: BTreeMap::new(),
            snapshots: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            open_unaligned: BTreeSet::new(),
            triggered: BTreeSet::new(),
            aborted: BTreeSet::new(),
            coverage: Coverage::default(),
        }
    }

    fn all_records(&self) -> Vec<Tag> {
        self.streams
            .iter()
            .flatten()
            .filter_map(|e| match e {
                Elem::Record(t) => Some(*t),
                _ => None,
            })
            .collect()
    }

    /// Records that precede checkpoint `id` on every channel: those before its barrier, or all
    /// of a channel's records if it ended before the barrier. `None` if some channel cancelled it.
    fn cut(&self, id: CheckpointId) -> Option<BTreeSet<Tag>> {
        let mut cut = BTreeSet::new();
        for stream in &self.streams {
            for e in stream {
                match e {
                    Elem::Record(t) => {
                        cut.insert(*t);
                    }
                    Elem::Barrier(b) if b.id == id => break,
                    Elem::Cancel(c) if *c == id => return None,
                    _ => {}
                }
            }
        }
        Some(cut)
    }

    /// Restore from `state`, replay `in_flight`, then every record after the cut: how often
    /// each record is applied.
    fn restore_and_replay(&self, state: &BTreeSet<Tag>, in_flight: &[Tag], cut: &BTreeSet<Tag>) -> BTreeMap<Tag, u32> {
        let mut applied: BTreeMap<Tag, u32> = BTreeMap::new();
        for t in state.iter().chain(in_flight) {
            *applied.entry(*t).or_default() += 1;
        }
        for t in self.all_records().into_iter().filter(|t| !cut.contains(t)) {
            *applied.entry(t).or_default() += 1;
        }
        applied
    }

    fn check_exactly_once_replay(
        &self,
        id: CheckpointId,
        state: &BTreeSet<Tag>,
        in_flight: &[Tag],
        cut: &BTreeSet<Tag>,
    ) -> Result<(), String> {
        let applied = self.restore_and_replay(state, in_flight, cut);
        for t in self.all_records() {
            let n = applied.get(&t).copied().unwrap_or(0);
            ensure!(n == 1, "restoring checkpoint {id} and replaying applies record {t:?} {n} times");
        }
        Ok(())
    }

    fn on_trigger(&mut self, barrier: Barrier, unaligned: bool) -> Result<(), String> {
        let id = barrier.id;
        ensure!(self.triggered.insert(id), "checkpoint {id} triggered twice");
        ensure!(!self.aborted.contains(&id), "checkpoint {id} triggered after its abort");
        let state: BTreeSet<Tag> = self.processed.keys().copied().collect();
        self.snapshots.insert(id, state.clone());
        if unaligned {
            ensure!(self.kind == HandlerKind::Alternating, "{:?} handler triggered {id} unaligned", self.kind);
            ensure!(barrier.kind == CheckpointKind::Checkpoint, "savepoint {id} triggered unaligned");
            self.open_unaligned.insert(id);
            self.in_flight.insert(id, Vec::new());
            return Ok(());
        }
        let cut = self.cut(id).ok_or_else(|| format!("checkpoint {id} triggered although a channel cancelled it"))?;
        if self.kind == HandlerKind::AtLeastOnce {
            ensure!(
                state.is_superset(&cut),
                "at-least-once snapshot {id} misses {:?}",
                cut.difference(&state).collect::<Vec<_>>()
            );
            let applied = self.restore_and_replay(&state, &[], &cut);
            for t in self.all_records() {
                ensure!(applied.get(&t).copied().unwrap_or(0) >= 1, "restoring {id} loses record {t:?}");
            }
            self.coverage.at_least_once_snapshots += 1;
        } else {
            ensure!(
                state == cut,
                "aligned snapshot {id}: extra {:?}, missing {:?}",
                state.difference(&cut).collect::<Vec<_>>(),
                cut.difference(&state).collect::<Vec<_>>()
            );
            self.check_exactly_once_replay(id, &state, &[], &cut)?;
            self.coverage.aligned_snapshots += 1;
        }
        Ok(())
    }

    fn on_channel_state_complete(&mut self, id: CheckpointId) -> Result<(), String> {
        ensure!(
            self.open_unaligned.remove(&id),
            "channel state of {id} completed but {id} is not an open unaligned checkpoint"
        );
        let cut = self
            .cut(id)
            .ok_or_else(|| format!("unaligned checkpoint {id} completed although a channel cancelled it"))?;
        let state = &self.snapshots[&id];
        let in_flight = &self.in_flight[&id];
        let persisted: BTreeSet<Tag> = in_flight.iter().copied().collect();
        ensure!(persisted.len() == in_flight.len(), "checkpoint {id} persisted a record twice: {in_flight:?}");
        ensure!(
            state.is_disjoint(&persisted),
            "checkpoint {id}: state and in-flight overlap on {:?}",
            state.intersection(&persisted).collect::<Vec<_>>()
        );
        let union: BTreeSet<Tag> = state.union(&persisted).copied().collect();
        ensure!(
            union == cut,
            "unaligned checkpoint {id}: state ∪ in-flight has extra {:?}, misses {:?}",
            union.difference(&cut).collect::<Vec<_>>(),
            cut.difference(&union).collect::<Vec<_>>()
        );
        self.check_exactly_once_replay(id, state, in_flight, &cut)?;
        self.coverage.unaligned_snapshots += 1;
        Ok(())
    }

    /// Moves `id`'s barrier to the front of every input queue holding it (behind earlier
    /// priority elements), counting the records it jumps.
    fn prioritize(&mut self, id: CheckpointId) {
        self.prioritized.insert(id);
        for queue in &mut self.queues {
            let Some(pos) = queue.iter().position(|q| matches!(&q.elem, Elem::Barrier(b) if b.id == id)) else {
                continue;
            };
            if queue[pos].priority {
                continue;
            }
            let mut queued = queue.remove(pos).expect("position exists");
            let front = queue.iter().take_while(|q| q.priority).count();
            queued.overtaken = queue.range(front..pos).filter(|q| matches!(q.elem, Elem::Record(_))).count() as u32;
            queued.priority = true;
            queue.insert(front, queued);
        }
    }

    fn drain_outputs(&mut self) -> Result<(), String> {
        while let Some(output) = self.handler.poll_output() {
            match output {
                HandlerOutput::Trigger { barrier, unaligned, .. } => self.on_trigger(barrier, unaligned)?,
                HandlerOutput::Abort { id, .. } => {
                    ensure!(self.aborted.insert(id), "checkpoint {id} aborted twice");
                    ensure!(
                        !self.triggered.contains(&id) || self.open_unaligned.contains(&id),
                        "checkpoint {id} aborted after an aligned trigger or a completed channel state"
                    );
                    self.open_unaligned.remove(&id);
                    self.coverage.aborts += 1;
                }
                HandlerOutput::InFlightDataFailed { id, decline } => {
                    ensure!(
                        self.open_unaligned.remove(&id),
                        "in-flight data of {id} failed but {id} is not an open unaligned checkpoint"
                    );
                    ensure!(!self.aborted.contains(&id), "in-flight data of {id} failed after its abort");
                    ensure!(
                        decline.is_some() == (self.profile == Profile::Flink23),
                        "in-flight data of {id} failed with decline {decline:?} under {:?}",
                        self.profile
                    );
                    self.coverage.aborts += 1;
                }
                HandlerOutput::PersistOvertaken { id, channel, records } => {
                    ensure!(self.open_unaligned.contains(&id), "overtaken records persisted for {id}, not open");
                    // The records the barrier just taken from `channel` jumped over: the next
                    // ones queued there, persisted now, processed later.
                    let tags: Vec<Tag> = (self.queues[channel.0 as usize].iter())
                        .filter_map(|q| if let Elem::Record(t) = q.elem { Some(t) } else { None })
                        .take(records as usize)
                        .collect();
                    ensure!(tags.len() == records as usize, "{channel} holds fewer than {records} overtaken records");
                    self.coverage.persisted_records += records;
                    self.in_flight
                        .get_mut(&id)
                        .expect("open unaligned checkpoints have an in-flight list")
                        .extend(tags);
                }
                HandlerOutput::ChannelStateComplete { id } => self.on_channel_state_complete(id)?,
                HandlerOutput::PrioritizeBarriers { id } => {
                    ensure!(self.kind == HandlerKind::Alternating, "{:?} handler prioritized {id}", self.kind);
                    ensure!(self.open_unaligned.contains(&id), "prioritized {id} without an unaligned trigger");
                    self.coverage.switched_to_unaligned += 1;
                    self.prioritize(id);
                }
            }
        }
        Ok(())
    }

    fn check_blocking(&self) -> Result<(), String> {
        if self.kind == HandlerKind::AtLeastOnce {
            for c in 0..self.queues.len() as u32 {
                ensure!(!self.handler.is_blocked(ChannelId(c)), "the tracker blocked channel {c}");
            }
        }
        Ok(())
    }

    fn arrive(&mut self, c: usize, priority: bool) {
        let Some(elem) = self.upstream[c].pop_front() else {
            return;
        };
        let may_overtake = match &elem {
            Elem::Barrier(b) => {
                self.kind == HandlerKind::Alternating
                    && b.kind == CheckpointKind::Checkpoint
                    && (b.alignment == Alignment::Unaligned || self.prioritized.contains(&b.id))
            }
            _ => false,
        };
        let queue = &mut self.queues[c];
        if priority && may_overtake {
            let front = queue.iter().take_while(|q| q.priority).count();
            let overtaken = queue.range(front..).filter(|q| matches!(q.elem, Elem::Record(_))).count() as u32;
            queue.insert(front, Queued { elem, overtaken, priority: true });
        } else {
            queue.push_back(Queued { elem, overtaken: 0, priority: false });
        }
    }

    /// Takes the next element from channel `c` if it is not blocked. Returns whether it did.
    fn take(&mut self, c: usize) -> Result<bool, String> {
        let ch = ChannelId(c as u32);
        if self.handler.is_blocked(ch) {
            return Ok(false);
        }
        let Some(queued) = self.queues[c].pop_front() else {
            return Ok(false);
        };
        let now = self.now_ms;
        match queued.elem {
            Elem::Record(tag) => {
                let persist = self.handler.handle_record(now, ch);
                let n = self.processed.entry(tag).or_default();
                *n += 1;
                ensure!(*n == 1, "record {tag:?} processed twice");
                if let Some(id) = persist {
                    ensure!(
                        self.open_unaligned.contains(&id),
                        "record {tag:?} persisted for {id}, which is not an open unaligned checkpoint"
                    );
                    self.in_flight.get_mut(&id).expect("open unaligned checkpoints have an in-flight list").push(tag);
                    self.coverage.persisted_records += 1;
                }
            }
            Elem::Barrier(b) => {
                if queued.overtaken > 0 {
                    self.coverage.overtaken_barriers += 1;
                }
                self.handler.handle_barrier(now, ch, b, queued.overtaken);
            }
            Elem::Cancel(id) => self.handler.handle_cancel_marker(now, ch, id),
            Elem::End => self.handler.handle_end_of_partition(now, ch),
        }
        self.drain_outputs()?;
        self.check_blocking()?;
        Ok(true)
    }

    fn fire_timer_if_due(&mut self) -> Result<(), String> {
        if self.handler.poll_timeout().is_some_and(|t| t <= self.now_ms) {
            self.handler.handle_timeout(self.now_ms);
            self.drain_outputs()?;
        }
        Ok(())
    }

    fn run(&mut self, case: &Case) -> Result<(), String> {
        let n = self.queues.len();
        for action in &case.actions {
            match *action {
                Action::Arrive { ch, priority } => self.arrive(ch as usize % n, priority),
                Action::Take { ch } => {
                    self.take(ch as usize % n)?;
                }
                Action::Tick { dt_ms } => {
                    self.now_ms += dt_ms as u64;
                    self.fire_timer_if_due()?;
                }
                Action::JmAbort { id } => {
                    let id = CheckpointId(id as u64 % (case.checkpoints.len() as u64 + 1) + 1);
                    self.handler.handle_checkpoint_aborted(self.now_ms, id);
                    self.drain_outputs()?;
                }
            }
            self.check_blocking()?;
        }
        // Deliver everything that is left; only an armed timer may be waited for.
        let budget = 10 * (self.streams.iter().map(Vec::len).sum::<usize>() + 10);
        for _ in 0..budget {
            for c in 0..n {
                while !self.upstream[c].is_empty() {
                    self.arrive(c, false);
                }
            }
            let mut took = false;
            for c in 0..n {
                if self.take(c)? {
                    took = true;
                    break;
                }
            }
            if took {
                continue;
            }
            if self.queues.iter().all(VecDeque::is_empty) {
                return self.check_end();
            }
            let Some(deadline) = self.handler.poll_timeout() else {
                return Err(format!(
                    "deadlock: every non-empty channel is blocked ({:?}) and no timer is armed",
                    (0..n).filter(|&c| self.handler.is_blocked(ChannelId(c as u32))).collect::<Vec<_>>()
                ));
            };
            self.now_ms = self.now_ms.max(deadline);
            self.fire_timer_if_due()?;
        }
        Err("the host loop did not finish".to_string())
    }

    fn check_end(&self) -> Result<(), String> {
        for t in self.all_records() {
            let n = self.processed.get(&t).copied().unwrap_or(0);
            ensure!(n == 1, "record {t:?} processed {n} times by the end");
        }
        ensure!(
            self.open_unaligned.is_empty(),
            "unaligned checkpoints never completed or aborted: {:?}",
            self.open_unaligned
        );
        for c in 0..self.queues.len() as u32 {
            ensure!(!self.handler.is_blocked(ChannelId(c)), "channel {c} still blocked at the end");
        }
        if self.kind != HandlerKind::AtLeastOnce {
            ensure!(
                self.handler.pending_checkpoint().is_none(),
                "checkpoint {:?} still pending at the end",
                self.handler.pending_checkpoint()
            );
        }
        let ended = self.streams.iter().filter(|s| s.last() == Some(&Elem::End)).count() as u32;
        ensure!(self.handler.num_open_channels() == self.streams.len() as u32 - ended, "open channel count");
        Ok(())
    }
}

fn run_case(case: &Case) -> Result<Coverage, String> {
    let mut model = Model::new(case);
    model.run(case)?;
    Ok(model.coverage)
}

fn channel_spec(k: usize) -> impl Strategy<Value = ChannelSpec> {
    (
        prop::collection::vec(0u8..4, k + 1),
        prop::collection::vec(prop::bool::weighted(0.1), k),
        prop::collection::vec(prop::bool::weighted(0.15), k),
        prop::option::weighted(0.3, 0..=k as u8),
    )
        .prop_map(|(records, cancelled, converted, end_after)| ChannelSpec {
            records,
            cancelled,
            converted,
            end_after,
        })
}

fn checkpoint_spec() -> impl Strategy<Value = CheckpointSpec> {
    (any::<u8>(), 0u64..10, 0u64..20).prop_map(|(choice, gap_ms, timeout_ms)| CheckpointSpec {
        choice,
        gap_ms,
        timeout_ms,
    })
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        40 => (any::<u8>(), any::<bool>()).prop_map(|(ch, priority)| Action::Arrive { ch, priority }),
        50 => any::<u8>().prop_map(|ch| Action::Take { ch }),
        15 => (0u8..8).prop_map(|dt_ms| Action::Tick { dt_ms }),
        1 => any::<u8>().prop_map(|id| Action::JmAbort { id }),
    ]
}

fn case_strategy(kind: HandlerKind, profile: Profile, variant: Variant) -> impl Strategy<Value = Case> {
    (1usize..=4, 0usize..=4).prop_flat_map(move |(channels, k)| {
        (
            prop::collection::vec(channel_spec(k), channels),
            prop::collection::vec(checkpoint_spec(), k),
            prop::collection::vec(action(), 0..160),
        )
            .prop_map(move |(channels, checkpoints, actions)| Case {
                kind,
                profile,
                variant,
                channels,
                checkpoints,
                actions,
            })
    })
}

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(256);
    Config {
        cases,
        // Relative to the package root, where cargo runs integration tests.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/barrier_props.txt"))),
        ..Config::default()
    }
}

macro_rules! property {
    ($name:ident, $kind:expr, $profile:expr) => {
        proptest! {
            #![proptest_config(config())]
            #[test]
            fn $name(case in case_strategy($kind, $profile, Variant::Correct)) {
                run_case(&case).map_err(TestCaseError::fail)?;
            }
        }
    };
}

property!(aligned_flink_1_11, HandlerKind::Aligned, Profile::Flink111);
property!(aligned_flink_2_3, HandlerKind::Aligned, Profile::Flink23);
property!(at_least_once_flink_1_11, HandlerKind::AtLeastOnce, Profile::Flink111);
property!(at_least_once_flink_2_3, HandlerKind::AtLeastOnce, Profile::Flink23);
property!(alternating_flink_1_11, HandlerKind::Alternating, Profile::Flink111);
property!(alternating_flink_2_3, HandlerKind::Alternating, Profile::Flink23);

/// Generates `n` cases deterministically and sums what they exercised.
fn coverage_of(kind: HandlerKind, profile: Profile, n: u32) -> Coverage {
    let mut runner = TestRunner::deterministic();
    let strategy = case_strategy(kind, profile, Variant::Correct);
    let mut total = Coverage::default();
    for _ in 0..n {
        let case = strategy.new_tree(&mut runner).expect("strategy generates").current();
        let c = run_case(&case).unwrap_or_else(|e| panic!("{e}\n{case:#?}"));
        total.aligned_snapshots += c.aligned_snapshots;
        total.unaligned_snapshots += c.unaligned_snapshots;
        total.at_least_once_snapshots += c.at_least_once_snapshots;
        total.switched_to_unaligned += c.switched_to_unaligned;
        total.overtaken_barriers += c.overtaken_barriers;
        total.persisted_records += c.persisted_records;
        total.aborts += c.aborts;
    }
    total
}

#[test]
fn generated_cases_exercise_every_property() {
    let aligned = coverage_of(HandlerKind::Aligned, Profile::Flink23, 200);
    assert!(aligned.aligned_snapshots > 0 && aligned.aborts > 0, "{aligned:?}");
    let tracker = coverage_of(HandlerKind::AtLeastOnce, Profile::Flink111, 200);
    assert!(tracker.at_least_once_snapshots > 0 && tracker.aborts > 0, "{tracker:?}");
    let alternating = coverage_of(HandlerKind::Alternating, Profile::Flink23, 200);
    assert!(
        alternating.aligned_snapshots > 0
            && alternating.unaligned_snapshots > 0
            && alternating.switched_to_unaligned > 0
            && alternating.overtaken_barriers > 0
            && alternating.persisted_records > 0
            && alternating.aborts > 0,
        "{alternating:?}"
    );
}

/// The negative suite's aligned-no-block bug must be caught by these properties.
#[test]
fn the_no_block_variant_is_caught() {
    // By hand: ch0 = [B1, r], ch1 = [r, B1]; taking ch0's record after its barrier puts a
    // post-barrier record into snapshot 1.
    let case = Case {
        kind: HandlerKind::Aligned,
        profile: Profile::Flink23,
        variant: Variant::AlignedNoBlock,
        channels: vec![
            ChannelSpec { records: vec![0, 1], cancelled: vec![false], converted: vec![false], end_after: None },
            ChannelSpec { records: vec![1, 0], cancelled: vec![false], converted: vec![false], end_after: None },
        ],
        checkpoints: vec![CheckpointSpec { choice: 1, gap_ms: 0, timeout_ms: 0 }],
        actions: vec![
            Action::Arrive { ch: 0, priority: false },
            Action::Arrive { ch: 0, priority: false },
            Action::Take { ch: 0 },
            Action::Take { ch: 0 },
        ],
    };
    let err = run_case(&case).expect_err("the no-block bug breaks the aligned cut");
    assert!(err.contains("aligned snapshot 1: extra [(0, 0)]"), "{err}");

    // And a search finds it on its own.
    let mut runner = TestRunner::new_with_rng(
        Config { cases: 512, failure_persistence: None, ..Config::default() },
        proptest::test_runner::TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha),
    );
    let found = runner.run(&case_strategy(HandlerKind::Aligned, Profile::Flink23, Variant::AlignedNoBlock), |case| {
        run_case(&case).map(|_| ()).map_err(TestCaseError::fail)
    });
    assert!(found.is_err(), "proptest did not find the aligned-no-block bug");
}
