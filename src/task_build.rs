//! A task's construction and restore (child module of `task.rs`; after Flink's `StreamTask` constructor and `restoreInternal`, the `OperatorChain` it builds, and `initializeState` of each operator): head, chain and tail from a `TaskSpec`, restored from the chosen checkpoint, in-flight records replayed.

use super::*;

/// What the chosen checkpoint holds for one task: its own snapshot and the checkpoint itself.
#[derive(Clone, Copy)]
struct Restore<'a> {
    checkpoint: Option<&'a CompletedCheckpoint>,
    own: Option<&'a TaskSnapshot>,
}

impl Task {
    /// Creates the attempt and restores it from `restore` (the completed checkpoint the
    /// JobManager chose), replaying restored in-flight records first. `committed`/`log_end`
    /// are the broker's group offsets and log ends (log sources only).
    pub fn new(
        mut spec: TaskSpec,
        now_ms: u64,
        restore: Option<&CompletedCheckpoint>,
        committed: &BTreeMap<PartitionId, Offset>,
        log_end: &BTreeMap<PartitionId, Offset>,
        counters: &mut SurvivingCounters,
    ) -> Task {
        let own = restore.and_then(|cp| cp.tasks.get(&spec.task));
        let from = Restore { checkpoint: restore, own };
        let variant = spec.variant;
        let head = build_head(&spec, from, committed, log_end);
        let finish = FinishedRestore::classify(&spec, restore);
        // A subtask FINISHED at the trigger in a vertex not fully finished: Flink stored no state
        // for it (`FinishedOperatorSubtaskState`), so its operators start empty (its source keeps
        // its positions: Flink's reader gets no split back, the enumerator still holds them).
        let own_state = own.filter(|_| !finish.empty_state);
        let multi = build_multi_input(&spec, own_state);
        let mut chain = std::mem::take(&mut spec.chain);
        let dormant = finish.deployed_finished;
        // initializeState with restored state: an injector may throw (the task fails at once).
        let restore_failure = if restore.is_some() && !dormant {
            chain.iter().find_map(|op| {
                op.operator
                    .lifecycle_failure(LifecycleHook::Restore, counters, &op.instance)
                    .map(|m| format!("{}: {m}", op.instance))
            })
        } else {
            None
        };
        restore_chain(&mut chain, &spec, Restore { own: own_state, ..from });
        if let Some(plant) = window_plant(spec.variant) {
            chain.iter_mut().filter_map(|op| op.operator.event_window_mut()).for_each(plant);
        }
        if spec.variant == Variant::FailOnceFlagPerAttempt {
            chain.iter_mut().for_each(|op| op.operator.plant_once_flag_per_attempt());
        }
        let restored_lists = restored_lists(&chain, own_state);
        let restored_windows = restored_windows(&chain, own_state);
        let restored_head_lists =
            own_state.and(multi.as_ref()).and_then(|m| m.operator.broadcast_process()).map(|b| b.parts());
        let tail = build_tail(&spec, chain.len(), own_state, dormant);
        let processing = chain.iter().any(|op| {
            op.operator.event_window().is_some_and(|w| w.spec().time == crate::window::WindowTime::Processing)
        });
        let end = initial_end_of_input(&spec, from, finish);
        let mut event_time = initial_event_time(&spec, own, processing);
        // A window of the spec marked to record its assignments (before the in-flight replay below).
        // A join marked to record its judgments (session 29) counts them the same way.
        event_time.assignments =
            chain.iter().any(|op| op.operator.event_window().is_some_and(|w| w.records_assignments()))
                || matches!(&spec.head, HeadSpec::MultiInputs { gates, .. } if gates.record_join);
        let mut task = Task {
            spec_task: spec.task,
            name: spec.name,
            attempt: spec.attempt,
            padding_bytes: spec.padding_bytes,
            head,
            chain,
            tail,
            open_unaligned: None,
            announcements: false,
            output_timer: Default::default(),
            failed: false,
            restored_lists,
            restored_windows,
            restored_head_lists,
            scratch_a: Vec::with_capacity(16),
            scratch_b: Vec::with_capacity(16),
            outputs: VecDeque::new(),
            records_in: 0,
            recovered_channel_records: own_state
                .map_or(0, |snap| snap.in_flight.values().map(|records| records.len() as u64).sum()),
            sink_ops: 0,
            end,
            event_time,
            multi,
        };
        task.drain_sink();
        if let Some(cause) = restore_failure {
            task.fail(cause);
            task.invariants();
            return task;
        }
        // Unaligned restore: in-flight records are replayed before any new input (§3.3).
        if let Some(snap) = own_state.filter(|_| variant != Variant::DropChannelStateOnRestore) {
            // The planted `channel-state-first-gate-only`: a multi-gate task replays its first
            // gate's channels only.
            let first_gate_only = match &spec.head {
                HeadSpec::MultiInputs { gates, .. } if variant == Variant::ChannelStateFirstGateOnly => Some(gates),
                _ => None,
            };
            let replayed = |ch: &ChannelId| first_gate_only.is_none_or(|g| g.gate_of.get(ch.0 as usize) == Some(&0));
            for (ch, records) in snap.in_flight.iter().filter(|(ch, _)| replayed(ch)) {
                for r in records {
                    task.process_from(now_ms, *ch, r.clone(), counters);
                }
            }
        }
        task.invariants();
        task
    }
}

/// The task's head: the barrier handler of its input channels, or its source.
fn build_head(
    spec: &TaskSpec,
    from: Restore<'_>,
    committed: &BTreeMap<PartitionId, Offset>,
    log_end: &BTreeMap<PartitionId, Offset>,
) -> Head {
    match &spec.head {
        HeadSpec::Inputs { inputs, handler } => {
            Head::Inputs(BarrierHandler::new(*handler, *inputs, spec.profile, spec.variant))
        }
        HeadSpec::LogSource { partitions, topic, startup } => {
            Head::Log(build_log_source(spec, from, (topic, 0..*partitions), *startup, committed, log_end))
        }
        HeadSpec::LogTopic { first_partition, partitions, topic, startup } => {
            let range = *first_partition..first_partition + partitions;
            Head::Log(build_log_source(spec, from, (topic, range), *startup, committed, log_end))
        }
        HeadSpec::LineSource => Head::Line(LineSource::default()),
        HeadSpec::MultiInputs { gates, handler } => {
            let channels = if spec.variant == Variant::SnapshotAfterFirstGate {
                gates.first_gate_channels()
            } else {
                gates.num_channels()
            };
            Head::Inputs(BarrierHandler::new(*handler, channels, spec.profile, spec.variant))
        }
    }
}

/// A log source reading `topic` (its name, its partitions' range in the broker's log),
/// restored from the checkpoint's source states of every subtask of the vertex (2.x: splits as
/// list state).
fn build_log_source(
    spec: &TaskSpec,
    from: Restore<'_>,
    topic: (&str, std::ops::Range<u32>),
    startup: StartupMode,
    committed: &BTreeMap<PartitionId, Offset>,
    log_end: &BTreeMap<PartitionId, Offset>,
) -> LogSource {
    let (name, range) = topic;
    let partitions = range.end - range.start;
    let mut s = LogSource::new(spec.subtask, spec.parallelism, partitions, spec.profile, startup, spec.variant);
    s.set_first_partition(range.start);
    s.set_topic(name);
    let union: Option<Vec<&OperatorState>> = from.checkpoint.map(|cp| {
        spec.vertex_peers.iter().filter_map(|t| cp.tasks.get(t)).filter_map(|snap| snap.operators.first()).collect()
    });
    if let Some(states) = union.as_deref().filter(|_| crate::rescale::source_state_is_split(spec.profile)) {
        // 2.x: the splits are operator list state, split round robin (§12.3).
        let own_state = from.own.and_then(|snap| snap.operators.first());
        let mut mine = crate::rescale::restored_source_partitions(
            own_state,
            states,
            (name, range),
            spec.subtask,
            spec.parallelism,
        );
        if spec.variant == Variant::SourceSplitsBySubtask {
            // The planted `source-splits-by-subtask`: the hand-off (the world's rescale) gave
            // this subtask old subtask `i`'s splits only. The enumerator's own checkpointed
            // state still lists every partition it assigned (`KafkaSourceEnumState`: the
            // whole topic, assigned at the first start), so it assigns none of the dropped
            // splits' partitions as new (`KafkaSourceEnumerator#getPartitionChange`): they stay
            // unread.
            let held: Vec<PartitionId> = match own_state {
                Some(OperatorState::SourceOffsets(m)) => m.keys().copied().collect(),
                _ => Vec::new(),
            };
            mine.retain(|p| held.contains(p));
        }
        s.assign_partitions(mine);
    }
    s.initialize(union.as_deref(), committed, log_end);
    s
}

/// Several input gates: the gates and the restored head operator (None for other heads).
fn build_multi_input(spec: &TaskSpec, own: Option<&TaskSnapshot>) -> Option<MultiInput> {
    let HeadSpec::MultiInputs { gates, .. } = &spec.head else { return None };
    let mut operator = InputOperator::new(gates.operator.clone());
    // The planted `broadcast-state-not-restored`: a broadcast process restores on subtask 0 only.
    let planted = spec.variant == Variant::BroadcastStateNotRestored
        && spec.subtask > 0
        && matches!(gates.operator, crate::two_input::InputOperatorSpec::BroadcastProcess { .. });
    if let Some(st) = own.and_then(|snap| snap.operators.first()).filter(|_| !planted) {
        operator.restore(st);
        // The planted `broadcast-keyed-state-not-restored`: the keyed side's state starts empty.
        if spec.variant == Variant::BroadcastKeyedStateNotRestored {
            operator.broadcast_process_mut().into_iter().for_each(|b| b.plant_drop_keyed());
        }
        // The planted `broadcast-timers-not-restored` (session 40): the keyed side's timers too.
        if spec.variant == Variant::BroadcastTimersNotRestored {
            operator.broadcast_process_mut().into_iter().for_each(|b| b.plant_drop_timers());
        }
    }
    if gates.record_join {
        operator.record_join_judgments();
    }
    operator.side_output_late(join_late_sides(&spec.tail));
    if spec.variant == Variant::LateEmittedToBoth {
        operator.plant_late_to_both();
    }
    if spec.variant == Variant::IntervalJoinLowerExclusive {
        operator.plant_lower_exclusive();
    }
    if spec.variant == Variant::IntervalJoinUpperExclusive {
        operator.plant_upper_exclusive();
    }
    Some(MultiInput {
        gates: gates.clone(),
        operator,
        first_gate_only: spec.variant == Variant::SnapshotAfterFirstGate,
        snapshot_without_right: spec.variant == Variant::JoinSnapshotWithoutRight,
        later_gates_lost: spec.variant == Variant::LaterGateLostOnRestore && gates.tag_paths && own.is_some(),
    })
}

/// `initializeState` of each chained operator from the task's own snapshot (state index i + 1:
/// index 0 is the head's); union list state gets every subtask's entries.
fn restore_chain(chain: &mut [ChainedOperator], spec: &TaskSpec, from: Restore<'_>) {
    let Some(snap) = from.own else { return };
    let variant = spec.variant;
    for (i, op) in chain.iter_mut().enumerate() {
        let Some(st) = snap.operators.get(i + 1) else { continue };
        if variant == Variant::WindowStateNotRestored && matches!(st, OperatorState::EventWindow(_)) {
            continue;
        }
        if variant == Variant::AggregateStateNotRestored && matches!(st, OperatorState::Keyed(_)) {
            continue;
        }
        // The planted `side-window-state-not-restored`: a window on a late side branch (marked by
        // the host to record its assignments) starts empty.
        if variant == Variant::SideWindowStateNotRestored
            && matches!(st, OperatorState::EventWindow(_))
            && op.operator.event_window_mut().is_some_and(|w| w.records_assignments())
        {
            continue;
        }
        if let (Variant::WindowTimersNotRestored, OperatorState::EventWindow(w), Some(window)) =
            (variant, st, op.operator.event_window_mut())
        {
            // The planted bug: the windows' contents without their timers.
            window.plant_restore_without_timers(w);
            continue;
        }
        if let (OperatorState::SharedList { mode: ListMode::Union, .. }, Some(cp)) = (st, from.checkpoint) {
            // Union list state: every subtask restores every subtask's entries.
            if variant != Variant::UnionListAsSplit {
                let entries = crate::rescale::union_entries(cp, &spec.vertex_peers, i + 1);
                op.operator.restore(&OperatorState::SharedList { mode: ListMode::Union, entries });
                continue;
            }
        }
        op.operator.restore(st);
    }
}

/// What `initializeState` restored into each chained user operator with list state, read back
/// before replayed in-flight records change it. Empty without a restore.
fn restored_lists(chain: &[ChainedOperator], own: Option<&TaskSnapshot>) -> Vec<(usize, Vec<Value>)> {
    match own {
        Some(_) => chain
            .iter()
            .enumerate()
            .filter_map(|(i, op)| op.operator.user().filter(|u| u.has_list_state()).map(|u| (i, u.snapshot_list())))
            .collect(),
        None => Vec::new(),
    }
}

/// The planted variants that change every window operator of the chain, as the change.
fn window_plant(variant: Variant) -> Option<fn(&mut crate::window::EventWindowOperator)> {
    match variant {
        Variant::LateEmittedToBoth => Some(crate::window::EventWindowOperator::plant_late_to_both),
        Variant::TimerAtWatermarkNotFired => Some(crate::window::EventWindowOperator::plant_strict_timers),
        Variant::WindowEndInclusive => Some(crate::window::EventWindowOperator::plant_end_inclusive),
        Variant::SlidingWindowsFloorCount => Some(crate::window::EventWindowOperator::plant_sliding_floor),
        Variant::WindowLateBoundExclusive => Some(crate::window::EventWindowOperator::plant_late_bound_exclusive),
        Variant::AllowedLateNotFired => Some(crate::window::EventWindowOperator::plant_allowed_late_silent),
        Variant::SessionMergeLosesContents => Some(crate::window::EventWindowOperator::plant_merge_drops),
        _ => None,
    }
}

/// What each chained window operator holds right after the restore (session 40): (chain index,
/// contents and timers); empty without restored state.
fn restored_windows(
    chain: &[ChainedOperator],
    own: Option<&TaskSnapshot>,
) -> Vec<(usize, crate::window::EventWindowState)> {
    match own {
        Some(_) => chain
            .iter()
            .enumerate()
            .filter_map(|(i, op)| op.operator.event_window().map(|w| (i, w.snapshot())))
            .collect(),
        None => Vec::new(),
    }
}

/// The sides of the head's interval join whose late side output the task's chain consumes
/// (session 34): a network edge with that side's tag, or a hop of the head (node 0) with it.
/// Flink sends a late element to its side's `OutputTag` when one is set; a tag no one reads
/// reaches no output, so an unread side is the same as a dropped one.
fn join_late_sides(tail: &TailSpec) -> [bool; 2] {
    let mut sides = [false; 2];
    let mut mark = |tag: Option<LateTag>| {
        if let Some(LateTag::Join(s)) = tag {
            sides[s.min(1) as usize] = true;
        }
    };
    match tail {
        TailSpec::Tagged(ps) => ps.iter().for_each(|(_, tag)| mark(*tag)),
        TailSpec::Tree(tree) => {
            for e in &tree.ends {
                if let ChainEnd::Edge(_, tag) = e {
                    mark(*tag);
                }
            }
            for hop in tree.hops.first().into_iter().flatten() {
                if let ChainHop::LateOp(_, tag) | ChainHop::LateEnd(_, tag) = hop {
                    mark(Some(*tag));
                }
            }
        }
        _ => {}
    }
    sides
}

/// Several output edges, each `(partitioner, late side output)`, channels numbered in order.
fn multi_tail(edges: impl Iterator<Item = (Partitioner, Option<LateTag>)>) -> Tail {
    let mut first = 0;
    Tail::Multi(
        edges
            .map(|(p, late)| {
                let e = (p.clone(), first, p.round_robin_start(), late);
                first += p.num_channels();
                e
            })
            .collect(),
    )
}

/// The task's tail: its output edges, or its sink (a 2PC sink restored from the last state).
fn build_tail(spec: &TaskSpec, chain_len: usize, own: Option<&TaskSnapshot>, dormant: bool) -> Tail {
    match &spec.tail {
        TailSpec::Output(p) => Tail::Output { partitioner: p.clone(), next_rr: p.round_robin_start() },
        TailSpec::Outputs(ps) => multi_tail(ps.iter().map(|p| (p.clone(), None))),
        TailSpec::Tagged(ps) => multi_tail(ps.iter().cloned()),
        TailSpec::PrintSink => Tail::Print(PrintSink::default()),
        TailSpec::TwoPhaseCommitSink => Tail::TwoPc(two_pc_sink(spec, own, dormant)),
        TailSpec::Tree(tree) => Tail::Tree(tree_tail(spec, tree, chain_len, own, dormant)),
    }
}

/// A 2PC sink restored from the snapshot's last operator state (or deployed finished).
fn two_pc_sink(spec: &TaskSpec, own: Option<&TaskSnapshot>, dormant: bool) -> TwoPhaseCommitSink {
    let mut s = TwoPhaseCommitSink::new(spec.subtask, spec.attempt.0, spec.variant);
    if dormant {
        s.deploy_finished();
    } else {
        s.initialize(own.and_then(|snap| snap.operators.last()));
    }
    s
}

/// The tail of a chain that is a tree: its network edges numbered in order, its print sinks
/// numbered in order, its 2PC sink restored. Panics on a malformed tree (a hop backwards or out
/// of range, an operator reached by no hop or by two, two 2PC sinks): the host's graph is wrong.
fn tree_tail(
    spec: &TaskSpec,
    tree: &ChainTree,
    chain_len: usize,
    own: Option<&TaskSnapshot>,
    dormant: bool,
) -> TreeTail {
    assert_eq!(tree.hops.len(), chain_len + 1, "{}: one hop list per node", spec.name);
    let mut reached = vec![0u32; chain_len];
    for (node, hops) in tree.hops.iter().enumerate() {
        for hop in hops {
            match *hop {
                ChainHop::Op(j) | ChainHop::LateOp(j, _) => {
                    assert!(j < chain_len && j + 1 > node, "{}: hop {hop:?} from node {node}", spec.name);
                    reached[j] += 1;
                }
                ChainHop::End(e) | ChainHop::LateEnd(e, _) => assert!(e < tree.ends.len(), "{}: no end {e}", spec.name),
            }
        }
    }
    assert!(reached.iter().all(|n| *n == 1), "{}: every chained operator has one input", spec.name);
    let two_pc = tree.ends.iter().filter(|e| matches!(e, ChainEnd::TwoPhaseCommitSink)).count();
    assert!(two_pc <= 1, "{}: at most one two-phase-commit sink", spec.name);
    let (mut first, mut prints) = (0, 0);
    let ends = tree
        .ends
        .iter()
        .map(|e| match e {
            ChainEnd::Edge(p, late) => {
                let edge = (p.clone(), first, p.round_robin_start(), *late);
                first += p.num_channels();
                TreeEnd::Edge(edge)
            }
            ChainEnd::PrintSink => {
                prints += 1;
                TreeEnd::Print(PrintSink::default(), prints - 1)
            }
            ChainEnd::TwoPhaseCommitSink => TreeEnd::TwoPc(two_pc_sink(spec, own, dormant)),
        })
        .collect();
    TreeTail { hops: tree.hops.clone(), ends }
}

/// The attempt's end-of-input state: what it was restored from (FLIP-147's finished-on-restore
/// and dormant tasks, [`FinishedRestore`]) and the planted variants that change the end.
fn initial_end_of_input(spec: &TaskSpec, from: Restore<'_>, finish: FinishedRestore) -> EndOfInput {
    EndOfInput {
        last_completed: from.checkpoint.map(|cp| cp.id),
        // Acknowledges as finished from the start (also under the planted
        // `partly-finished-restored-as-finished`, as the model did before session 17).
        restored_finished: finish.vertex_finished
            || (finish.entry_finished && spec.variant == Variant::PartlyFinishedRestoredAsFinished),
        restored_entry_finished: finish.entry_finished,
        vertex_finished: finish.vertex_finished,
        chain_ended: finish.chain_ended,
        dormant: finish.deployed_finished,
        from_finished_task: finish.from_finished_task,
        profile: spec.profile,
        emits_after_stop: spec.variant == Variant::SourceEmitsAfterStop,
        drain_without_end_of_data: spec.variant == Variant::DrainWithoutEndOfData,
        abort_after_notification: spec.variant == Variant::StopAbortedAfterNotification,
        without_final_checkpoint: spec.variant == Variant::FinishWithoutFinalCheckpoint,
        finish_at_final_snapshot: spec.variant == Variant::FinishBeforeFinalNotify,
        ..EndOfInput::default()
    }
}

/// The attempt's event-time state: a fresh input valve (tasks with input channels) and the
/// planted variants of event and processing time.
fn initial_event_time(spec: &TaskSpec, own: Option<&TaskSnapshot>, processing: bool) -> EventTime {
    let variant = spec.variant;
    EventTime {
        // The valve starts at Long.MIN_VALUE on every deployment, restored or not.
        valve: match &spec.head {
            HeadSpec::Inputs { inputs, .. } => Some(InputValve::one(*inputs)),
            HeadSpec::MultiInputs { gates, .. } => {
                Some(InputValve::for_gates(&gates.gate_of, gates.operator.is_two_input_operator(), spec.profile))
            }
            _ => None,
        }
        .map(|v| match variant {
            Variant::IdleInputHoldsWatermark => v.with_idle_channels_held(),
            Variant::ResumedChannelAlignedAtOnce => v.with_resumed_channels_aligned(),
            Variant::ValveTakesMax => v.with_max_over_channels(),
            _ => v,
        }),
        idle_without_flush: variant == Variant::SourceIdleWithoutFlush,
        watermark_first: variant == Variant::WatermarkBeforeWindowResults,
        idleness_ignores_activity: variant == Variant::IdlenessIgnoresActivity,
        watermark_without_minus_one: variant == Variant::WatermarkWithoutMinusOne,
        end_without_max_watermark: variant == Variant::EndOfInputWithoutMaxWatermark,
        idle_never_resumes: variant == Variant::IdleSplitNeverResumes,
        processing,
        drop_due_once: processing && own.is_some() && variant == Variant::RestoredDueTimersDropped,
        late_lost: own.is_some() && variant == Variant::LateSideOutputLostOnRestore,
        ..EventTime::default()
    }
}

/// How a 2.x task restored from an entry marked finished is deployed (FLIP-147), read from the
/// restored checkpoint alone. Flink (`DefaultCheckpointPlan#fulfillFinishedTaskStatus`,
/// `TaskStateAssignment#isFullyFinished`, `StateAssignmentOperation
/// #assignTaskStateToExecutionJobVertices`) deploys a subtask as finished
/// (`TaskStateSnapshot.FINISHED_ON_RESTORE`) only when its whole vertex is finished in the
/// checkpoint: every subtask FINISHED at the trigger, or deployed as finished itself
/// (`FullyFinishedOperatorState`). A FINISHED subtask of a vertex that was still partly running
/// gets `FinishedOperatorSubtaskState` (no state) and runs a regular chain from empty state; a
/// subtask restored from its own final checkpoint's snapshot (taken after `finish`, stored with
/// its state) runs a regular chain with that state. Both run `endInput` / `finish` again.
#[derive(Clone, Copy, Debug, Default)]
struct FinishedRestore {
    /// The task's own entry is marked finished (either kind).
    entry_finished: bool,
    /// The entry was filled in for a task FINISHED at the trigger.
    from_finished_task: bool,
    /// Every subtask of the vertex has such an entry: Flink deploys it as finished.
    vertex_finished: bool,
    /// Deployed as finished (`FinishedOperatorChain`): `vertex_finished` unless a plant.
    deployed_finished: bool,
    /// Its chain counts as ended (no second `endInput` / `finish`).
    chain_ended: bool,
    /// Its operators start empty (`FinishedOperatorSubtaskState` of a partly finished vertex).
    empty_state: bool,
}

impl FinishedRestore {
    fn classify(spec: &TaskSpec, restore: Option<&CompletedCheckpoint>) -> FinishedRestore {
        let Some(cp) = restore.filter(|_| spec.profile.checkpoints_after_tasks_finish()) else {
            return FinishedRestore::default();
        };
        let own = cp.tasks.get(&spec.task);
        let entry_finished = own.is_some_and(|s| s.finished);
        let from_finished_task = own.is_some_and(|s| s.finished && s.from_finished_task);
        let vertex_finished = from_finished_task
            && spec.vertex_peers.iter().all(|t| cp.tasks.get(t).is_some_and(|s| s.finished && s.from_finished_task));
        let empty_state = from_finished_task && !vertex_finished;
        match spec.variant {
            // The model before session 17: every entry marked finished is deployed finished
            // (an entry of a task FINISHED at the trigger dormant), whatever its vertex.
            Variant::PartlyFinishedRestoredAsFinished => FinishedRestore {
                entry_finished,
                from_finished_task,
                vertex_finished,
                deployed_finished: from_finished_task,
                chain_ended: entry_finished,
                empty_state: false,
            },
            Variant::FinishedOnRestoreRunsAgain => FinishedRestore {
                entry_finished,
                from_finished_task,
                vertex_finished,
                deployed_finished: false,
                chain_ended: false,
                empty_state,
            },
            _ => FinishedRestore {
                entry_finished,
                from_finished_task,
                vertex_finished,
                deployed_finished: vertex_finished,
                chain_ended: vertex_finished,
                empty_state,
            },
        }
    }
}
