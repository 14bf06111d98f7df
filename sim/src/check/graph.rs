//! Checking job graphs (semantics §14): the fault-free reference folded through the graph, and every sink checked against the inputs that reach it through the graph.

use super::*;
use crate::check::joins::JoinedRef;
use crate::world::graph::Graph;
use ckptsim::operator::{Operator, OperatorContext, OperatorKind, SurvivingCounters, FLAT_MAP_SUB_BITS};
use ckptsim::record::{Lineage, Record};
use ckptsim::two_input::{InputOperator, InputOperatorSpec};

/// One operator instance of the reference fold.
enum RefOp {
    Pass,
    One(Box<Operator>),
    Multi(Box<InputOperator>),
}

/// Folds the input through the graph once, in input order, without failure injectors: each
/// input starts at the source whose topic holds its partition and goes to every consumer of
/// every operator it reaches (a broadcast makes one copy per downstream subtask, lineage
/// `sub << FLAT_MAP_SUB_BITS | c`, as the task does). `only_sink`: collect that sink's output
/// only (None: every sink's). One instance per operator computes what any parallelism would:
/// keyed state is per key.
pub fn compute_graph(spec: &JobSpec, only_sink: Option<usize>) -> Reference {
    let ops = &spec.operators;
    let n = ops.len();
    let mut inst = reference_ops(spec);
    let consumers = consumers_of(spec);
    let sinks: BTreeSet<usize> = match only_sink {
        Some(s) => [s].into_iter().collect(),
        None => (0..n).filter(|o| ops[*o].kind.is_sink()).collect(),
    };
    let mut up: BTreeSet<usize> = BTreeSet::new();
    for s in &sinks {
        up.extend(spec.upstream_of(*s));
    }
    let keyed = up.iter().any(|o| matches!(ops[*o].kind, OpKind::KeyBy));
    let multi = up.iter().any(|o| ops[*o].kind.is_multi_input());
    let stateful = up.iter().any(|o| order_sensitive(&ops[*o].kind));
    let inputs = reference_inputs(spec);
    let mut counters = SurvivingCounters::default();
    let mut arrivals = super::order::Arrivals::new(spec, &up);
    let mut out = Reference {
        order_free: multi && stateful,
        key_split: keyed && super::order::keys_reordered(spec, only_sink),
        ..Reference::default()
    };
    out.joined = joined_reference(spec, &up, stateful);
    // One input on several paths (`s.union(s)`): the gate in each copy's lineage, as the task
    // tags it, and the copies the sink gets per input.
    let tagged: Vec<bool> = (0..n).map(|o| spec.paths_meet(o)).collect();
    if out.joined.is_none() && up.iter().any(|o| tagged[*o]) {
        out.path_copies = Some(BTreeMap::new());
    }
    let mut lineages = crate::check::joins::JoinLineages::for_spec(spec);
    let timestamps = &spec.input_options.timestamps;
    let mut work: Vec<(usize, u32, Record)> = Vec::new();
    let mut produced = Vec::new();
    // Inputs in order, then `MAX_WATERMARK` through the multi-input heads in topological order
    // (an event-time join's windows fire at the end of input; nothing is late in the
    // reference: it never advances the watermark before).
    let flush: Vec<usize> = topological(spec).into_iter().filter(|o| matches!(inst[*o], RefOp::Multi(_))).collect();
    let n_inputs = inputs.len();
    let mut inputs = inputs.into_iter();
    for step in 0..n_inputs + flush.len() {
        work.clear();
        let seq = if step < n_inputs {
            let (seq, src, value) = inputs.next().expect("one input per step");
            let mut rec = Record::new(value, Lineage { input_seq: seq, sub: 0 });
            rec.timestamp = timestamps.get(seq as usize).copied();
            work.push((src, 0, rec));
            seq
        } else {
            let op = flush[step - n_inputs];
            let RefOp::Multi(m) = &mut inst[op] else { unreachable!("flush lists multi-input heads") };
            let mut fired = Vec::new();
            m.process_watermark(ckptsim::watermark::Watermark::MAX, &mut fired);
            for r in &fired {
                lineages.emitted(op, r);
            }
            for r in fired.into_iter().rev() {
                for &(c, k) in consumers[op].iter().rev() {
                    work.push((c, k, r.clone()));
                }
            }
            u64::MAX
        };
        while let Some((op, side, mut rec)) = work.pop() {
            produced.clear();
            let mut ctx = OperatorContext { now_ms: 0, counters: &mut counters, instance: "reference" };
            match &mut inst[op] {
                // Without injectors no user exception can happen; a parse failure drops the record.
                RefOp::One(o) => {
                    arrivals.enter(op, &rec);
                    let _ = o.process(&mut ctx, rec, &mut produced);
                }
                RefOp::Multi(m) => {
                    if tagged[op] {
                        rec.lineage = ckptsim::two_input::path_lineage(rec.lineage, side);
                    }
                    lineages.feed(op, side, &rec);
                    let _ = m.process(&mut ctx, side, rec, &mut produced);
                    for r in &produced {
                        lineages.emitted(op, r);
                    }
                }
                RefOp::Pass => produced.push(rec),
            }
            if ops[op].kind.is_sink() {
                if sinks.contains(&op) {
                    sink_output(&mut out, &mut produced, seq, keyed);
                }
                continue;
            }
            downstream(spec, &consumers[op], op, &mut produced, &mut work);
        }
    }
    if let Some(j) = &mut out.joined {
        j.lineages = lineages;
    }
    out.order_free |= arrivals.interleaved();
    out.final_depends_on_order = out.order_free && super::order::final_depends_on_order(spec, &up);
    out
}

/// Whether an operator's outputs depend on the order of its inputs: keyed state, and a keyed
/// broadcast process, whose rows depend on how its two inputs interleave (session 38).
fn order_sensitive(kind: &OpKind) -> bool {
    matches!(kind, OpKind::Aggregate(_) | OpKind::CountWindow { .. } | OpKind::Join | OpKind::BroadcastProcess { .. })
}

/// The inputs in order: (sequence number, the source that reads it, its value).
fn reference_inputs(spec: &JobSpec) -> Vec<(u64, usize, Value)> {
    let ops = &spec.operators;
    let n = ops.len();
    let sources: Vec<usize> = (0..n).filter(|o| ops[*o].kind.is_source()).collect();
    let source_of = |p: u32| -> usize { spec.source_of_partition(p).unwrap_or(0) };
    let mut interner = crate::reference::Interner::default();
    let inputs: Box<dyn Iterator<Item = (usize, std::borrow::Cow<'_, str>)>> = match &spec.input {
        InputSpec::Lines(l) => Box::new(l.iter().map(|(_, s)| (sources[0], std::borrow::Cow::Borrowed(s.as_str())))),
        InputSpec::Log { records, .. } => Box::new(records.iter().map(|(_, p, v)| (source_of(p), v))),
    };
    // Collected: the graph reference also flushes the multi-input heads after the last input.
    inputs.enumerate().map(|(i, (src, s))| (i as u64, src, interner.value(&s))).collect()
}

/// The joined-rows reference, when an event-time join is upstream of the sinks (`up`).
fn joined_reference(spec: &JobSpec, up: &BTreeSet<usize>, stateful: bool) -> Option<JoinedRef> {
    let ops = &spec.operators;
    let event_joins: Vec<usize> = up.iter().copied().filter(|o| matches!(ops[*o].kind, OpKind::EventJoin(_))).collect();
    (!event_joins.is_empty()).then(|| JoinedRef {
        exact_values: !stateful,
        windowed: event_joins.iter().any(
            |o| matches!(ops[*o].kind, OpKind::EventJoin(j) if !matches!(j, ckptsim::join::JoinSpec::Interval { .. })),
        ),
        per_window: event_joins
            .iter()
            .any(|o| matches!(ops[*o].kind, OpKind::EventJoin(ckptsim::join::JoinSpec::SlidingWindow { .. }))),
        surely_on_time: crate::check::joins::surely_on_time(spec),
        ..JoinedRef::default()
    })
}

/// One reference instance per operator (`Pass` for sources, partitioners and sinks).
fn reference_ops(spec: &JobSpec) -> Vec<RefOp> {
    spec.operators
        .iter()
        .map(|o| match &o.kind {
            OpKind::Map(u) => RefOp::One(Box::new(Operator::new(OperatorKind::Map(*u), vec![]))),
            OpKind::FlatMap(u) => RefOp::One(Box::new(Operator::new(OperatorKind::FlatMap(*u), vec![]))),
            OpKind::Filter(u) => RefOp::One(Box::new(Operator::new(OperatorKind::Filter(*u), vec![]))),
            OpKind::Aggregate(a) => RefOp::One(Box::new(Operator::new(OperatorKind::KeyedAggregate(*a), vec![]))),
            OpKind::CountWindow { size } => {
                RefOp::One(Box::new(Operator::new(OperatorKind::CountWindow { size: *size }, vec![])))
            }
            OpKind::Union => RefOp::Multi(Box::new(InputOperator::new(InputOperatorSpec::Union))),
            OpKind::Connect(a, b) => {
                RefOp::Multi(Box::new(InputOperator::new(InputOperatorSpec::CoMap { first: *a, second: *b })))
            }
            OpKind::Join => RefOp::Multi(Box::new(InputOperator::new(InputOperatorSpec::Join))),
            OpKind::EventJoin(j) => RefOp::Multi(Box::new(InputOperator::new(InputOperatorSpec::EventJoin(*j)))),
            OpKind::BroadcastProcess { report, function, timer_delay_ms } => {
                RefOp::Multi(Box::new(InputOperator::new(InputOperatorSpec::BroadcastProcess {
                    report: *report,
                    function: *function,
                    timer_delay_ms: *timer_delay_ms,
                })))
            }
            _ => RefOp::Pass,
        })
        .collect()
}

/// Consumers of each operator: (consumer, input position).
fn consumers_of(spec: &JobSpec) -> Vec<Vec<(usize, u32)>> {
    let n = spec.operators.len();
    let mut consumers: Vec<Vec<(usize, u32)>> = vec![Vec::new(); n];
    // A late side output carries nothing in the fault-free fold (`side_output.rs` judges it).
    for c in 0..n {
        for (k, i) in spec.op_inputs(c).into_iter().enumerate().filter(|(k, _)| !spec.reads_late(c, *k)) {
            consumers[i].push((c, k as u32));
        }
    }
    consumers
}

/// A sink's records of input `seq` into the reference: joined rows per pair, else the input
/// counted as producing; per key the sequence and final value when `keyed`.
fn sink_output(out: &mut Reference, produced: &mut Vec<Record>, seq: u64, keyed: bool) {
    for r in produced.drain(..) {
        if let Some(j) = &mut out.joined {
            // Joined rows are judged per pair (`joins.rs`), not per input.
            j.rows.insert((r.lineage.input_seq, r.lineage.sub), r.value.clone());
        } else {
            // The flush at the end of input (`seq` u64::MAX): a row a timer emits there is its
            // registering input's (session 40: a broadcast process's timers).
            out.producing_inputs.add(if seq == u64::MAX { r.lineage.input_seq } else { seq });
        }
        if let Some(c) = &mut out.path_copies {
            c.entry(seq).or_default().push(r.lineage.sub);
        }
        if keyed {
            let k = key_of(&r.value);
            out.per_key.entry(k.clone()).or_default().push(r.value.clone());
            out.final_per_key.insert(k, r.value.clone());
        }
        out.key_inputs.entry(key_of(&r.value)).or_default().push(r.lineage.input_seq);
    }
}

/// Pushes `op`'s records to its consumers, depth first, consumers in position order (pushed
/// in reverse); a broadcast makes one copy per downstream subtask.
fn downstream(
    spec: &JobSpec,
    consumers: &[(usize, u32)],
    op: usize,
    produced: &mut Vec<Record>,
    work: &mut Vec<(usize, u32, Record)>,
) {
    let ops = &spec.operators;
    for r in produced.drain(..).rev() {
        for &(c, k) in consumers.iter().rev() {
            if matches!(ops[op].kind, OpKind::Broadcast) {
                for copy in (0..ops[c].parallelism).rev() {
                    let mut x = r.clone();
                    x.lineage.sub = (x.lineage.sub << FLAT_MAP_SUB_BITS) | copy;
                    work.push((c, k, x));
                }
            } else {
                work.push((c, k, r.clone()));
            }
        }
    }
}

/// The operators in an order where every operator comes after its inputs (Kahn, smallest
/// index first).
pub(super) fn topological(spec: &JobSpec) -> Vec<usize> {
    let n = spec.operators.len();
    let mut indegree: Vec<usize> = (0..n).map(|o| spec.op_inputs(o).len()).collect();
    let mut ready: BTreeSet<usize> = (0..n).filter(|o| indegree[*o] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(o) = ready.pop_first() {
        order.push(o);
        for (c, deg) in indegree.iter_mut().enumerate() {
            for i in spec.op_inputs(c) {
                if i == o {
                    *deg -= 1;
                    if *deg == 0 {
                        ready.insert(c);
                    }
                }
            }
        }
    }
    order
}

/// The view of one sink: other sinks take its kind (so `sink_kind` names it), and a `key_by`
/// that does not lead to it is a plain partitioning (so `is_keyed` is about its inputs). Behind
/// a union or connect with a late side output on one gate (`JobSpec::mixed_of`, session 27)
/// the view is of the sink's other rows (`split_by_gate`): that gate is cut, the operator left
/// with one input a map (a union's identity, a connect's function of the other gate), and an
/// event-time window no longer upstream an identity map (its results reach another sink).
fn sink_view(spec: &JobSpec, sink: usize) -> JobSpec {
    let mut s = spec.clone();
    if let Some((m, gate, _)) = spec.mixed_of(sink) {
        let mut ins = spec.op_inputs(m);
        ins.remove(gate as usize);
        let o = &mut s.operators[m];
        o.late_gate = None;
        if ins.len() == 1 {
            o.kind = match o.kind {
                OpKind::Connect(a, b) => OpKind::Map(if gate == 0 { b } else { a }),
                _ => OpKind::Map(ckptsim::operator::Udf::Identity),
            };
        }
        o.inputs = ins;
        let up = s.upstream_of(sink);
        for (i, o) in s.operators.iter_mut().enumerate() {
            if !up.contains(&i) && matches!(o.kind, OpKind::EventWindow(_)) {
                o.kind = OpKind::Map(ckptsim::operator::Udf::Identity);
            }
        }
    }
    // Session 42: a sink behind an interval join with a late side output and no event-time
    // window sees the job's windows (beside the join, each with its own sink and late side
    // output) as identity maps, so the delivery checkers judge the join's rows as in a job
    // without them (a window anywhere in the view makes them skip, `windows::WINDOWED`). Until
    // session 42 such a job was refused, so no other sink's view changes.
    if behind_late_interval_join(spec, sink) {
        let up = spec.upstream_of(sink);
        if !up.iter().any(|o| matches!(spec.operators[*o].kind, OpKind::EventWindow(_))) {
            for o in s.operators.iter_mut().filter(|o| matches!(o.kind, OpKind::EventWindow(_))) {
                o.kind = OpKind::Map(ckptsim::operator::Udf::Identity);
            }
        }
    }
    let up = s.upstream_of(sink);
    let kind = spec.operators[sink].kind.clone();
    for (i, o) in s.operators.iter_mut().enumerate() {
        if o.kind.is_sink() {
            o.kind = kind.clone();
        } else if matches!(o.kind, OpKind::KeyBy) && !up.contains(&i) {
            o.kind = OpKind::Rebalance;
        }
    }
    s
}

/// Whether an interval join one of whose late side outputs some operator reads (session 34)
/// stands upstream of `sink`.
fn behind_late_interval_join(spec: &JobSpec, sink: usize) -> bool {
    let interval =
        |j: usize| matches!(spec.operators[j].kind, OpKind::EventJoin(ckptsim::join::JoinSpec::Interval { .. }));
    let read =
        |j: usize| (0..spec.operators.len()).any(|c| spec.operators[c].late_side.is_some() && spec.op_inputs(c) == [j]);
    spec.upstream_of(sink).into_iter().any(|j| j != sink && interval(j) && read(j))
}

/// [`run_view`] of `sink`; behind a union or connect with a late side output on one gate
/// (`JobSpec::mixed_of`, session 27) split by that gate ([`split_by_gate`]): the other rows,
/// and the late rows with the window whose side output they are.
fn sink_rows(
    run: &RunResult,
    graphs: &[(u64, Graph)],
    spec: &JobSpec,
    sink: usize,
) -> (RunResult, Option<(RunResult, usize)>) {
    let rows = run_view(run, graphs, spec, sink);
    match spec.mixed_of(sink) {
        Some((m, gate, window)) => {
            // Session 43: a union of the late side output with two or more other inputs keeps
            // them in the sink's view, which tags the other rows by their gates when paths meet.
            let retag = spec.op_inputs(m).len() > 2 && sink_view(spec, sink).paths_meet(m);
            let (main, late) = split_by_gate(rows, gate, retag);
            (main, Some((late, window)))
        }
        None => (rows, None),
    }
}

/// A sink's rows behind a union or connect that tags each record with its input gate
/// (`ckptsim::two_input::path_lineage`; only map, filter and partitionings after it keep the
/// gate in a row's lowest `FLAT_MAP_SUB_BITS` of `sub`): (the rows of every other gate, the
/// rows of `gate`), the tag taken off, so each part reads as the rows of a job without that
/// operator (the view's fold, the late side branch's rules). `retag` (session 43): the other
/// rows keep their tag, renumbered as the gates of the view's union without `gate` (which tags
/// them too: its inputs' paths meet).
fn split_by_gate(rows: RunResult, gate: u32, retag: bool) -> (RunResult, RunResult) {
    let mask = (1u32 << FLAT_MAP_SUB_BITS) - 1;
    let split = |all: &Rows| {
        let (mut main, mut late) = (Rows::new(), Rows::new());
        for mut r in all.iter() {
            let (late_row, at) = (r.lineage.sub & mask == gate, r.lineage.sub & mask);
            r.lineage.sub >>= FLAT_MAP_SUB_BITS;
            if retag && !late_row {
                let renumbered = if at > gate { at - 1 } else { at };
                r.lineage.sub = (r.lineage.sub << FLAT_MAP_SUB_BITS) | renumbered;
            }
            if late_row {
                late.push(r);
            } else {
                main.push(r);
            }
        }
        (main, late)
    };
    let (committed, late_committed) = split(&rows.committed);
    let (print_rows, late_printed) = split(&rows.print_rows);
    let mut main = rows;
    let mut late = main.clone();
    (main.committed, main.print_rows) = (committed, print_rows);
    (late.committed, late.print_rows) = (late_committed, late_printed);
    (main, late)
}

/// `run` with only this sink's output rows: a printed row belongs to the sink when its task
/// is one of the sink's tasks in the graph of the job its attempt ran in.
fn run_view(run: &RunResult, graphs: &[(u64, Graph)], spec: &JobSpec, sink: usize) -> RunResult {
    // A chain that is a tree may hold several sinks: a row is the sink's when its task is one of
    // the sink's and it came from the sink's place among the chain's print sinks.
    let tasks = crate::world::graph::print_sink_rows(graphs, spec, sink);
    let stride = u64::from(crate::world::EPOCH_STRIDE);
    let mut r = run.clone();
    // The committed rows are the one two-phase-commit sink's (a job has at most one).
    if !matches!(spec.operators[sink].kind, OpKind::TwoPhaseCommitSink) {
        r.committed.clear();
    }
    r.print_rows.retain(|row| {
        let epoch = u64::from(row.attempt.0) / stride;
        tasks
            .iter()
            .rev()
            .find(|(first, _, _)| *first <= epoch)
            .is_some_and(|(_, t, index)| t.contains(&row.task) && row.sink == *index)
    });
    r
}

/// Every checker on a job graph: the delivery and state checkers once per sink, against that
/// sink's reference and rows (anomalies prefixed `sink NAME:` when there are several sinks);
/// the others once.
pub fn check_graph(spec: &JobSpec, run: &RunResult) -> Vec<Verdict> {
    check_graph_with(spec, run, &GraphParts::new(spec))
}

/// What [`check_graph`] computes from the job alone, whatever the run: the physical plan and,
/// per sink, its view of the job and its fault-free reference. The explorer judges thousands
/// of states of one job and computes them once (session 25: a third of `--exhaust`'s CPU on
/// `two-source-two-sink` was these, recomputed per judged state).
pub struct GraphParts {
    /// The plan of epoch 0 (`graphs_by_epoch` of a run without a rescale).
    graphs: Vec<(u64, Graph)>,
    /// Per sink: its operator index, [`sink_view`] and [`compute_graph`]`(spec, Some(sink))`.
    sinks: Vec<(usize, JobSpec, Reference)>,
}

impl GraphParts {
    /// The parts of `spec` (a graph job).
    pub fn new(spec: &JobSpec) -> Self {
        let sinks = (0..spec.operators.len()).filter(|o| spec.operators[*o].kind.is_sink());
        GraphParts {
            graphs: vec![(0, Graph::build(spec))],
            sinks: sinks
                .map(|s| {
                    let view = sink_view(spec, s);
                    // Behind a union with a late side output: the fold of the view, the sink's
                    // other rows only (`split_by_gate`).
                    let reference = compute_graph(if spec.mixed_of(s).is_some() { &view } else { spec }, Some(s));
                    (s, view, reference)
                })
                .collect(),
        }
    }

    /// The fault-free reference of sink operator `sink` alone (its own inputs' fold), if it is
    /// a sink of the job: what a sink of a job whose pipelines are independent can print.
    pub fn sink_reference(&self, sink: usize) -> Option<&Reference> {
        self.sinks.iter().find(|(s, _, _)| *s == sink).map(|(_, _, r)| r)
    }
}

/// [`check_graph`] with `parts` computed before from the same `spec` (equal verdicts: the
/// parts are functions of `spec` alone; a run with a rescale gets its plans built afresh).
pub fn check_graph_with(spec: &JobSpec, run: &RunResult, parts: &GraphParts) -> Vec<Verdict> {
    let built;
    let graphs: &[(u64, Graph)] = if run.rescales.iter().all(|r| r.error.is_some()) {
        &parts.graphs
    } else {
        built = graphs_by_epoch(spec, run);
        &built
    };
    let mut per_checker: BTreeMap<&'static str, Vec<(String, Verdict)>> = BTreeMap::new();
    for (s, view, reference) in &parts.sinks {
        let s = *s;
        let name = spec.operators[s].name.clone();
        let (rows, late_rows) = sink_rows(run, graphs, spec, s);
        let printed = matches!(spec.operators[s].kind, OpKind::PrintSink);
        // A broadcast upstream: the fan-out per job (`broadcast_fanout.rs`), part of the
        // delivery checker of the sink's kind.
        let with_fan_out = |v: Verdict| {
            let mut anomalies = v.anomalies.clone();
            let judged = super::broadcast_fanout::fan_out(spec, &rows, graphs, s, printed, &mut anomalies);
            if v.passed.is_none() || judged == 0 {
                return v;
            }
            Verdict::from(v.checker, anomalies, format!("{}; broadcast fan-out of {judged} inputs", v.summary))
        };
        // A sink behind a window's late side output (`W.late`): judged against the late
        // elements the run recorded (`side_output.rs`); no fault-free fold says which they are.
        // A window on the side branch (session 28): its results are judged by the `windows`
        // checker against the run's record of which elements it took (`windows_late.rs`).
        // A join fed by a late side output (session 29): against the run's record of what the
        // join took, dropped and emitted (`joins_late.rs`).
        // A union of two late side branches (session 42): each row told apart by its gate and
        // judged as that gate's side branch, against its own side output's record.
        if let Some(union) = spec.late_union_of(s) {
            let all = run_view(run, graphs, spec, s);
            for (gate, v) in late_union_verdicts(spec, run, &all, s, union) {
                per_checker.entry(v.checker).or_default().push((format!("{name} ({gate})"), v));
            }
            let why = "union of late side branches: judged by its delivery checker";
            per_checker.entry("liveness").or_default().push((name.clone(), Verdict::skip("liveness", why)));
            continue;
        }
        if let Some(join) = spec.late_join_of(s) {
            let [eo, alo, st] = super::joins::late_join(spec, run, &rows, graphs, (join, s));
            let why = "join after a late side output: judged by its delivery checker";
            for v in [eo, alo, st, Verdict::skip("liveness", why)] {
                per_checker.entry(v.checker).or_default().push((name.clone(), v));
            }
            continue;
        }
        if spec.late_branch_of(s).is_some() && late_fed_window_of(spec, s).is_some() {
            let why = "window after a late side output: judged by the windows checker";
            for c in ["exactly-once", "at-least-once", "state", "liveness"] {
                per_checker.entry(c).or_default().push((name.clone(), Verdict::skip(c, why)));
            }
            continue;
        }
        if let Some(w) = spec.late_branch_of(s) {
            let [eo, alo, st] = super::side_output::late_branch(spec, run, &rows, s, w);
            let why = "late side branch: judged by its delivery checker";
            for v in [eo, alo, st, Verdict::skip("liveness", why)] {
                per_checker.entry(v.checker).or_default().push((name.clone(), v));
            }
            continue;
        }
        // Behind a union or connect with a late side output (session 27): the rows that came
        // through its late gate judged as a late side branch's, the others below.
        if let Some((late_rows, w)) = late_rows {
            let [eo, alo, st] = super::side_output::late_branch(spec, run, &late_rows, s, w);
            for v in [eo, alo, st] {
                per_checker.entry(v.checker).or_default().push((format!("{name} (late side output rows)"), v));
            }
        }
        let (eo, alo) = (exactly_once(view, &rows, reference), at_least_once(view, &rows, reference));
        let (eo, alo) = if printed { (eo, with_fan_out(alo)) } else { (with_fan_out(eo), alo) };
        let eo = super::side_output::with_join_late_in_both(spec, run, &rows, s, eo);
        let alo = super::side_output::with_join_late_in_both(spec, run, &rows, s, alo);
        for v in [eo, alo, state(view, &rows, reference), liveness_with(view, &rows, reference)] {
            per_checker.entry(v.checker).or_default().push((name.clone(), v));
        }
    }
    let merged = |name: &'static str, per_checker: &mut BTreeMap<&'static str, Vec<(String, Verdict)>>| {
        merge(name, per_checker.remove(name).unwrap_or_default())
    };
    vec![
        merged("exactly-once", &mut per_checker),
        merged("at-least-once", &mut per_checker),
        merged("state", &mut per_checker),
        offsets(spec, run),
        coordinator(spec, run),
        restart(spec, run),
        merged("liveness", &mut per_checker),
        tolerable_failure(spec, run),
        retention(spec, run),
        alignment(spec, run),
        window_verdict(spec, run, graphs),
        super::stop::stop(spec, run),
        barriers(spec, run),
    ]
}

/// The `exactly-once`, `at-least-once` and `state` verdicts of sink `sink` behind a union all of
/// whose inputs carry late side outputs (session 42, `JobSpec::late_union_of`: `(union, the
/// operator whose side output each gate carries)`), each named by its gate. The union tags each
/// record with its gate (`ckptsim::two_input::path_lineage`; only map, filter and partitionings
/// after it, validation), so `all` (the sink's rows) splits by gate ([`split_by_gate`]); each
/// part is judged by the late side branch's rules (`side_output::late_branch`) in a view where
/// the union reads that gate alone (an identity map), against that side output's own record
/// (`RunResult::late_records` per sending operator). Not judged: anything across the gates
/// (Flink gives no order between a union's inputs).
fn late_union_verdicts(
    spec: &JobSpec,
    run: &RunResult,
    all: &RunResult,
    sink: usize,
    (union, senders): (usize, Vec<usize>),
) -> Vec<(String, Verdict)> {
    let ins = spec.op_inputs(union);
    let mut out = Vec::new();
    for (gate, sender) in senders.into_iter().enumerate() {
        let mut view = spec.clone();
        let o = &mut view.operators[union];
        o.late_input = o.late_gate == Some(gate as u32);
        o.late_gate = None;
        o.kind = OpKind::Map(ckptsim::operator::Udf::Identity);
        o.inputs = vec![ins[gate]];
        let (_, part) = split_by_gate(all.clone(), gate as u32, false);
        let label = format!("gate {gate}: `{}` late side output", spec.operators[sender].name);
        for v in super::side_output::late_branch(&view, run, &part, sink, sender) {
            out.push((label.clone(), v));
        }
    }
    out
}

/// The window on `sink`'s side branch, if one (a window fed by a late side output).
fn late_fed_window_of(spec: &JobSpec, sink: usize) -> Option<usize> {
    spec.upstream_of(sink).into_iter().find(|o| spec.late_fed_window(*o).is_some())
}

/// The `windows` checker on a job graph: the first window's verdict ([`first_window_verdict`])
/// with the verdict of each window fed by a late side output (session 28, `windows_late.rs`).
fn window_verdict(spec: &JobSpec, run: &RunResult, graphs: &[(u64, Graph)]) -> Verdict {
    let late_fed: Vec<usize> = (0..spec.operators.len()).filter(|o| spec.late_fed_window(*o).is_some()).collect();
    if late_fed.is_empty() && root_windows(spec).len() < 2 {
        return first_window_verdict(spec, run, graphs);
    }
    // The first window judged in a view where the side branch's windows are identity maps
    // (their results reach other sinks; `window_stages` must not see them as a later stage).
    let mut view = spec.clone();
    for o in &late_fed {
        view.operators[*o].kind = OpKind::Map(ckptsim::operator::Udf::Identity);
    }
    let v = if root_windows(&view).len() < 2 {
        first_window_verdict(&view, run, graphs)
    } else {
        beside(&view, run, graphs)
    };
    let (mut anomalies, mut summary) = (v.anomalies.clone(), vec![v.summary.clone()]);
    let mut applied = v.passed.is_some();
    for at in late_fed {
        let Some(first) = spec.late_fed_window(at) else { continue };
        // Session 39: its results may also reach a join (`joins_window.rs`): the sink it feeds
        // straight is the one judged here.
        let sinks = (0..spec.operators.len()).filter(|s| spec.operators[*s].kind.is_sink());
        let reached: Vec<usize> = sinks.filter(|s| spec.upstream_of(*s).contains(&at)).collect();
        let Some(sink) = reached.iter().copied().find(|s| spec.op_inputs(*s) == [at]).or(reached.first().copied())
        else {
            continue;
        };
        let (rows, _) = sink_rows(run, graphs, spec, sink);
        match super::windows::late_window(spec, run, &rows, (first, at, sink)) {
            Ok((found, s)) => {
                applied = true;
                anomalies.extend(found);
                summary.push(s);
            }
            Err(why) => summary.push(why.to_owned()),
        }
    }
    if !applied {
        return Verdict::skip(v.checker, &summary.join("; "));
    }
    Verdict::from(v.checker, anomalies, summary.join("; "))
}

/// The windows of `spec` fed by no window (the first window; session 40: a second window beside
/// it over the same input, `late-windows-join`), in file order.
fn root_windows(spec: &JobSpec) -> Vec<usize> {
    let windows = spec.window_stages();
    windows.iter().copied().filter(|&w| !spec.upstream_of(w).iter().any(|u| *u != w && windows.contains(u))).collect()
}

/// The `windows` checker on windows beside each other (session 40: two windows over one input,
/// each with its own sink and late side output): each window fed by no window judged as the
/// first window of a view where the others (and the windows after them) are identity maps, its
/// late elements against its own reference (`late-misjudged`, `late-in-both`); the watermark
/// valves once, each window's late elements against its own assigner and lateness
/// (`windows_valve.rs`).
fn beside(spec: &JobSpec, run: &RunResult, graphs: &[(u64, Graph)]) -> Verdict {
    let roots = root_windows(spec);
    let (mut anomalies, mut summary, mut applied) = (Vec::new(), Vec::new(), false);
    for &r in &roots {
        let mut view = spec.clone();
        for o in spec.window_stages().into_iter().filter(|o| !spec.upstream_of(*o).contains(&r)) {
            view.operators[o].kind = OpKind::Map(ckptsim::operator::Udf::Identity);
        }
        let v = window_verdict_of(&view, run, graphs, false);
        applied |= v.passed.is_some();
        anomalies.extend(v.anomalies);
        summary.push(format!("window `{}`: {}", spec.operators[r].name, v.summary));
    }
    let v = if applied {
        Verdict::from("windows", anomalies, summary.join("; "))
    } else {
        Verdict::skip("windows", &summary.join("; "))
    };
    super::windows::with_valves(spec, run, v)
}

/// The `windows` checker on a job graph: against the rows of the sink the event-time window
/// feeds (its results kept as they are on the way), with that sink's view of the job.
fn first_window_verdict(spec: &JobSpec, run: &RunResult, graphs: &[(u64, Graph)]) -> Verdict {
    window_verdict_of(spec, run, graphs, true)
}

/// [`first_window_verdict`], with the watermark valves judged when `valves`.
fn window_verdict_of(spec: &JobSpec, run: &RunResult, graphs: &[(u64, Graph)], valves: bool) -> Verdict {
    let Some(at) = spec.operators.iter().position(|o| matches!(o.kind, OpKind::EventWindow(_))) else {
        return if valves { windows(spec, run) } else { super::windows::windows_unvalved(spec, run) };
    };
    // The first sink its results reach (behind a union with its late side output: in the
    // sink's view, which cuts the side output's gate).
    let mut reached = (0..spec.operators.len())
        .filter(|s| {
            spec.operators[*s].kind.is_sink() && spec.late_branch_of(*s).is_none() && spec.late_union_of(*s).is_none()
        })
        .map(|s| (s, sink_view(spec, s)))
        .filter(|(s, view)| view.upstream_of(*s).contains(&at));
    let Some((sink, view)) = reached.next() else {
        return Verdict::skip("windows", "the event-time window reaches no sink");
    };
    // Session 42: a session window's results into several sinks, each judged.
    if matches!(&spec.operators[at].kind, OpKind::EventWindow(w) if w.assigner.is_merging()) {
        let more: Vec<(usize, JobSpec)> = reached.collect();
        if !more.is_empty() {
            return session_sinks(spec, run, graphs, at, std::iter::once((sink, view)).chain(more).collect(), valves);
        }
    }
    let (rows, _) = sink_rows(run, graphs, spec, sink);
    let v = if valves { windows(&view, &rows) } else { super::windows::windows_unvalved(&view, &rows) };
    // Not both (session 23): no element in its window's committed result and the side output.
    let sunk = if matches!(spec.operators[sink].kind, OpKind::PrintSink) { &rows.print_rows } else { &rows.committed };
    let Some((both, judged)) = super::side_output::late_in_both(&view, run, at, sink, sunk) else {
        return v;
    };
    if v.passed.is_none() {
        return v;
    }
    let mut anomalies = v.anomalies.clone();
    anomalies.extend(both);
    Verdict::from(
        v.checker,
        anomalies,
        format!("{}; {judged} results in the sink hold no element of the late side output", v.summary),
    )
}

/// Session 42: a session window whose results reach several sinks (branches of functions after
/// it): each sink judged against the window in its own view, where the other sinks the window
/// feeds are identity maps (so `windows_chain::chain` finds the judged sink); the watermark
/// valves and restores once; the late side output's rules with the first sink.
fn session_sinks(
    spec: &JobSpec,
    run: &RunResult,
    graphs: &[(u64, Graph)],
    at: usize,
    sinks: Vec<(usize, JobSpec)>,
    valves: bool,
) -> Verdict {
    let all: Vec<usize> = sinks.iter().map(|(s, _)| *s).collect();
    let (mut anomalies, mut summary, mut applied) = (Vec::new(), Vec::new(), false);
    for (k, (sink, mut view)) in sinks.into_iter().enumerate() {
        for o in all.iter().filter(|o| **o != sink) {
            view.operators[*o].kind = OpKind::Map(ckptsim::operator::Udf::Identity);
        }
        let (rows, _) = sink_rows(run, graphs, spec, sink);
        let v = super::windows::windows_unvalved(&view, &rows);
        let mut v_anomalies = v.anomalies;
        if k == 0 && v.passed.is_some() {
            let sunk =
                if matches!(spec.operators[sink].kind, OpKind::PrintSink) { &rows.print_rows } else { &rows.committed };
            if let Some((both, _)) = super::side_output::late_in_both(&view, run, at, sink, sunk) {
                v_anomalies.extend(both);
            }
        }
        applied |= v.passed.is_some();
        let name = &spec.operators[sink].name;
        anomalies.extend(v_anomalies.into_iter().map(|a| Finding { text: format!("sink {name}: {}", a.text), ..a }));
        summary.push(format!("sink {name}: {}", v.summary));
    }
    let v = if applied {
        Verdict::from("windows", anomalies, summary.join("; "))
    } else {
        Verdict::skip("windows", &summary.join("; "))
    };
    if valves {
        super::windows::with_valves(spec, run, v)
    } else {
        v
    }
}

/// One verdict from a checker's verdicts per sink.
fn merge(checker: &'static str, verdicts: Vec<(String, Verdict)>) -> Verdict {
    if verdicts.len() == 1 {
        return verdicts.into_iter().next().map(|(_, v)| v).expect("one verdict");
    }
    let applied: Vec<&(String, Verdict)> = verdicts.iter().filter(|(_, v)| v.passed.is_some()).collect();
    if applied.is_empty() {
        let why: Vec<String> = verdicts.iter().map(|(s, v)| format!("sink {s}: {}", v.summary)).collect();
        return Verdict::skip(checker, &why.join("; "));
    }
    let mut anomalies: Vec<Finding> = Vec::new();
    for (s, v) in &applied {
        for a in &v.anomalies {
            // The sink's name goes before the line; its kind, moment and records stay.
            let line = Finding { text: format!("sink {s}: {a}"), ..a.clone() };
            if !anomalies.contains(&line) {
                anomalies.push(line);
            }
        }
    }
    let summary: Vec<String> = applied.iter().map(|(s, v)| format!("sink {s}: {}", v.summary)).collect();
    Verdict::from(checker, anomalies, summary.join("; "))
}

/// Order-free keyed state (a union or two-input operator before keyed state): the committed
/// values of a key follow no single reference order, but once every input of that key that
/// produces output was committed *under that key* (as many times as the reference has it
/// there: once per path), the key's last committed value must be the
/// reference's final value (a join's `left * right`, a sum's total); with the key spread over
/// several sink subtasks, one of its committed values. Per key, not per input: one input may
/// reach several keys through different paths (a co-map's `uppercase` and `identity` copies of
/// one word), each on its own sink subtask, and a completed checkpoint's transaction on one of
/// them may still wait for its commit (the notification lost, the job not yet restored) while
/// the other committed: the input then has a committed row, but not under every key.
pub(super) fn order_free_final_values(rows: &Rows, reference: &Reference, anomalies: &mut Vec<Finding>) {
    // A final value that depends on the order too (a count window's last window): no rule.
    if reference.final_depends_on_order {
        return;
    }
    let inputs_of_key = &reference.key_inputs;
    let mut last: BTreeMap<Value, Value> = BTreeMap::new();
    // Per key, how many rows of each input were committed under it: linear in the rows,
    // whatever the keys. Counted, not only seen: an input reaches a key once per path (a
    // self-union's two copies of one record, session 24), and with one copy committed and the
    // other still in an open transaction (an unaligned checkpoint's channel state) the key's
    // last value is not yet its final one.
    let mut committed: BTreeMap<Value, BTreeMap<u64, usize>> = BTreeMap::new();
    for r in rows {
        let k = key_of(&r.value);
        *committed.entry(k.clone()).or_default().entry(r.lineage.input_seq).or_default() += 1;
        last.insert(k, r.value.clone());
    }
    for (k, seqs) in inputs_of_key {
        let Some(committed) = committed.get(k) else { continue };
        let mut wanted: BTreeMap<u64, usize> = BTreeMap::new();
        for s in seqs {
            *wanted.entry(*s).or_default() += 1;
        }
        if !wanted.iter().all(|(s, n)| committed.get(s).is_some_and(|c| c >= n)) {
            continue;
        }
        let want = reference.final_per_key.get(k);
        // Spread over several sink subtasks (`order.rs`), the final value is among the key's
        // committed values but not necessarily the last one committed.
        let reached = if reference.key_split {
            want.is_some_and(|w| rows.iter().any(|r| &r.value == w))
        } else {
            want == last.get(k)
        };
        if !reached {
            anomalies.push(Finding::named(format!(
                "final state wrong: key {k} emitted last {} with every input delivered, reference {}",
                last.get(k).map_or("nothing".to_string(), |v| v.to_string()),
                want.map_or("nothing".to_string(), |v| v.to_string())
            )));
        }
    }
}
