//! A task's operator chain at work (child module of `task.rs`; after Flink's `OperatorChain`, its `ChainingOutput`s and the tail's `RecordWriterOutput` with a `ChannelSelector` per edge): one record through the chained operators, then to the output edges or the sink; failures of user code.

use super::*;

impl Task {
    /// Runs one record through the chain and the tail.
    pub(super) fn process(&mut self, now_ms: u64, record: Record, counters: &mut SurvivingCounters) {
        self.note_if_stopped(record.lineage);
        self.records_in += 1;
        self.end.dirty = true;
        let mut cur = std::mem::take(&mut self.scratch_a);
        cur.clear();
        cur.push(record);
        self.run_chain(now_ms, 0, cur, counters);
    }

    /// Runs `cur` through the chain from operator `start` on, then the tail.
    pub(super) fn run_chain(
        &mut self,
        now_ms: u64,
        start: usize,
        mut cur: Vec<Record>,
        counters: &mut SurvivingCounters,
    ) {
        if matches!(self.tail, Tail::Tree(_)) {
            self.run_tree(now_ms, start, cur, counters);
            return;
        }
        let mut next = std::mem::take(&mut self.scratch_b);
        let mut failure = None;
        'chain: for op in &mut self.chain[start..] {
            next.clear();
            for r in cur.drain(..) {
                let mut ctx = OperatorContext { now_ms, counters, instance: &op.instance };
                if let Err(e) = op.operator.process(&mut ctx, r, &mut next) {
                    failure = Some(e.to_string());
                    break 'chain;
                }
            }
            std::mem::swap(&mut cur, &mut next);
        }
        let late = self.take_chain_side_effects(now_ms, counters, failure.is_some());
        if let Some(cause) = failure.or(late.err()) {
            self.failed = true;
            self.outputs.push_back(TaskOutput::Failed { cause });
            cur.clear();
            next.clear();
            self.scratch_a = cur;
            self.scratch_b = next;
            return;
        }
        for r in cur.drain(..) {
            match &mut self.tail {
                Tail::Output { partitioner, next_rr } => route(partitioner, next_rr, 0, r, &mut self.outputs),
                Tail::Multi(edges) => {
                    for (partitioner, first, next_rr, _) in edges.iter_mut().filter(|e| e.3.is_none()) {
                        route(partitioner, next_rr, *first, r.clone(), &mut self.outputs);
                    }
                }
                Tail::Print(s) => {
                    let record = s.invoke(r);
                    self.outputs.push_back(TaskOutput::PrintRow { record, sink: 0 });
                }
                Tail::TwoPc(s) => s.invoke(r),
                Tail::Tree(_) => unreachable!("a tree runs in run_tree"),
            }
        }
        self.scratch_a = cur;
        self.scratch_b = next;
        self.drain_sink();
    }

    /// After a pass through the chain: the window's late elements (to the late side outputs,
    /// network and chained; not through chained user code once the pass `failed`) and the
    /// processing-time window assignments it recorded, taken for the checkers (a line and a
    /// tree alike). `Err`: a consumer chained onto a late side output threw.
    fn take_chain_side_effects(
        &mut self,
        now_ms: u64,
        counters: &mut SurvivingCounters,
        failed: bool,
    ) -> Result<(), String> {
        let late =
            if self.event_time.current.is_some() { self.take_late_records(now_ms, counters, !failed) } else { Ok(()) };
        if self.event_time.processing || self.event_time.assignments {
            self.take_window_assignments();
        }
        late
    }

    /// The hops of `node` that take only its late side output `tag` ([`ChainHop::LateOp`],
    /// [`ChainHop::LateEnd`]), as the hops that run them; none in a line.
    pub(super) fn late_hops(&self, node: usize, tag: LateTag) -> Vec<ChainHop> {
        let Tail::Tree(t) = &self.tail else { return Vec::new() };
        t.hops[node]
            .iter()
            .filter_map(|h| match *h {
                ChainHop::LateOp(j, t) if t == tag => Some(ChainHop::Op(j)),
                ChainHop::LateEnd(e, t) if t == tag => Some(ChainHop::End(e)),
                ChainHop::LateOp(..) | ChainHop::LateEnd(..) => None,
                ChainHop::Op(_) | ChainHop::End(_) => None,
            })
            .collect()
    }

    /// A chain that is a tree: `cur`, the records node `node` emitted (0: the head, `i + 1`:
    /// chained operator `i`), through each of the node's hops, then the tail's bookkeeping as
    /// for a line.
    fn run_tree(&mut self, now_ms: u64, node: usize, cur: Vec<Record>, counters: &mut SurvivingCounters) {
        let failure = self.tree_emit(now_ms, node, cur, counters).err();
        let late = self.take_chain_side_effects(now_ms, counters, failure.is_some());
        if let Some(cause) = failure.or(late.err()) {
            self.failed = true;
            self.outputs.push_back(TaskOutput::Failed { cause });
            return;
        }
        self.drain_sink();
    }

    /// The records `node` emitted to its hops (Flink's `BroadcastingOutputCollector`: each
    /// record to every output in order, through each one's whole subtree, before the next
    /// record; one hop takes them all at once, which is the same per output). `Err`: user code
    /// threw, nothing more runs.
    fn tree_emit(
        &mut self,
        now_ms: u64,
        node: usize,
        cur: Vec<Record>,
        counters: &mut SurvivingCounters,
    ) -> Result<(), String> {
        let hops = match &self.tail {
            Tail::Tree(t) => t.hops[node].len(),
            _ => unreachable!("tree_emit on a tree"),
        };
        let hop = |t: &Tail, k: usize| match t {
            Tail::Tree(t) => t.hops[node][k],
            _ => unreachable!("tree_emit on a tree"),
        };
        if hops == 1 {
            return self.tree_hop(now_ms, hop(&self.tail, 0), cur, counters);
        }
        for r in cur {
            for k in 0..hops {
                self.tree_hop(now_ms, hop(&self.tail, k), vec![r.clone()], counters)?;
            }
        }
        Ok(())
    }

    /// `cur` through one hop: a chained operator and on through its own hops, or an end (an
    /// output edge's partitioner, a sink); a hop of the late side output takes none of them
    /// (its elements come through `take_late_records`).
    pub(super) fn tree_hop(
        &mut self,
        now_ms: u64,
        hop: ChainHop,
        cur: Vec<Record>,
        counters: &mut SurvivingCounters,
    ) -> Result<(), String> {
        match hop {
            ChainHop::Op(j) => {
                let mut next = Vec::new();
                let op = &mut self.chain[j];
                for r in cur {
                    let mut ctx = OperatorContext { now_ms, counters, instance: &op.instance };
                    op.operator.process(&mut ctx, r, &mut next).map_err(|e| e.to_string())?;
                }
                if next.is_empty() {
                    return Ok(());
                }
                self.tree_emit(now_ms, j + 1, next, counters)
            }
            ChainHop::LateOp(..) | ChainHop::LateEnd(..) => Ok(()),
            ChainHop::End(e) => {
                let Tail::Tree(t) = &mut self.tail else { unreachable!("tree_hop on a tree") };
                for r in cur {
                    match &mut t.ends[e] {
                        // A late side-output edge takes only late elements (`take_late_records`).
                        TreeEnd::Edge((_, _, _, Some(_))) => {}
                        TreeEnd::Edge((partitioner, first, next_rr, None)) => {
                            route(partitioner, next_rr, *first, r, &mut self.outputs)
                        }
                        TreeEnd::Print(s, sink) => {
                            let record = s.invoke(r);
                            self.outputs.push_back(TaskOutput::PrintRow { record, sink: *sink });
                        }
                        TreeEnd::TwoPc(s) => s.invoke(r),
                    }
                }
                Ok(())
            }
        }
    }

    /// An injector of a chained operator that fires at `hook` (no counters: these hooks are
    /// keyed by checkpoint id, which is never reused).
    pub(super) fn lifecycle_failure(&self, hook: LifecycleHook) -> Option<String> {
        // Asked at every snapshot and notification: a chain without injectors answers at once.
        if self.end.dormant || !self.chain.iter().any(|op| op.operator.has_injectors()) {
            return None;
        }
        let mut none = SurvivingCounters::default();
        self.chain.iter().find_map(|op| {
            op.operator.lifecycle_failure(hook, &mut none, &op.instance).map(|m| format!("{}: {m}", op.instance))
        })
    }

    /// User code threw outside record processing: the task fails (once).
    pub(super) fn fail(&mut self, cause: String) {
        if !self.failed {
            self.failed = true;
            self.outputs.push_back(TaskOutput::Failed { cause });
        }
    }

    pub(super) fn drain_sink(&mut self) {
        if let Some(s) = self.tail.two_pc() {
            while let Some(op) = s.poll_output() {
                self.sink_ops += 1;
                self.outputs.push_back(TaskOutput::Sink(op));
            }
        }
    }

    /// [`Self::drain_sink`], but ahead of the outputs already queued (in the sink's order): a
    /// Sink V2 retry of a refused commit is committed before the committables of later
    /// checkpoints queued behind it, as `CommitterOperator#commitAndEmitCheckpoints` commits
    /// one checkpoint's committables fully (retries included) before the next checkpoint's.
    pub(super) fn drain_sink_ahead(&mut self) {
        let queued = self.outputs.len();
        self.drain_sink();
        let drained = self.outputs.len() - queued;
        self.outputs.rotate_right(drained);
    }
}

/// Routes one record through one output edge whose channels start at `first`.
pub(super) fn route(
    partitioner: &Partitioner,
    next_rr: &mut u32,
    first: u32,
    r: Record,
    outputs: &mut VecDeque<TaskOutput>,
) {
    let channel = match *partitioner {
        Partitioner::Forward => 0,
        Partitioner::Rebalance { channels, .. } => {
            // `RebalancePartitioner#selectChannel`: advance, then send.
            *next_rr = (*next_rr + 1) % channels;
            *next_rr
        }
        Partitioner::Hash { channels } => key_group_route(&key_of(&r.value), channels),
        Partitioner::KeyGroups { channels, max_parallelism } => {
            crate::key_group::assign_key_to_parallel_operator(&key_of(&r.value), max_parallelism, channels)
        }
        Partitioner::Broadcast { channels } => {
            for c in 0..channels {
                let mut copy = r.clone();
                copy.lineage.sub = (copy.lineage.sub << crate::operator::FLAT_MAP_SUB_BITS) | c;
                outputs.push_back(TaskOutput::Emit { channel: first + c, record: copy });
            }
            return;
        }
    };
    outputs.push_back(TaskOutput::Emit { channel: first + channel, record: r });
}
