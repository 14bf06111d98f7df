//! Job graphs end to end below the scenario files: chaining by Flink's rules, input gates and output edges of the world's graph, the reference per sink, and validation of graph shapes.

use ckptsim_sim::load::load_spec;
use ckptsim_sim::world::graph::{EdgeKind, Graph};
use std::path::Path;

fn spec(name: &str) -> ckptsim_sim::spec::JobSpec {
    load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/graphs").join(name)).expect("loads")
}

fn vertex_names(g: &Graph) -> Vec<String> {
    g.vertices.iter().map(|v| v.name.clone()).collect()
}

#[test]
fn a_join_starts_a_task_and_its_sink_chains_to_it() {
    let s = spec("join-2pc.toml");
    assert!(s.is_graph());
    let g = Graph::build(&s);
    assert_eq!(vertex_names(&g), ["Source: Orders", "Source: Payments", "Join -> Sink: Sink"]);
    // The join's two gates: Orders (parallelism 2, hash) and Payments (parallelism 1, hash).
    let join0 = g.vertex_tasks(2)[0];
    assert_eq!(g.channels_per_gate(join0), [2, 1]);
    assert_eq!(g.in_edges[2], [(0, EdgeKind::Hash), (1, EdgeKind::Hash)]);
    assert_eq!(g.inputs_of(join0).len(), 3);
    assert_eq!(g.source_tasks().len(), 3);
    // Each source reads its own topic of the one log.
    let topics: Vec<_> = s.operators.iter().filter_map(|o| o.topic).collect();
    assert_eq!(topics, [(0, 2), (2, 1)]);
}

#[test]
fn a_branching_operator_feeds_two_vertices_and_chains_into_neither() {
    let s = spec("branch-two-sinks.toml");
    let g = Graph::build(&s);
    assert_eq!(vertex_names(&g), ["Source: Source -> ToPair", "Sum -> Sink: Committed", "Sink: Audit"]);
    assert_eq!(g.out_edges[0], [(1, 0), (2, 0)]);
    // Every ToPair subtask sends to both Sum subtasks (hash) and the one Audit subtask.
    assert_eq!(g.outputs_of(g.vertex_tasks(0)[1]).len(), 3);
}

#[test]
fn each_sink_is_checked_against_the_inputs_reaching_it() {
    let s = spec("branch-two-sinks.toml");
    let committed = ckptsim_sim::check::graph::compute_graph(&s, Some(4));
    let audit = ckptsim_sim::check::graph::compute_graph(&s, Some(5));
    assert_eq!(committed.producing_inputs.values().sum::<usize>(), 300);
    assert_eq!(audit.producing_inputs.values().sum::<usize>(), 300);
    assert!(!committed.per_key.is_empty(), "the keyed path");
    assert!(audit.per_key.is_empty(), "the print branch has no key_by");
    // A join before a keyed sink: only final values are comparable.
    let j = ckptsim_sim::check::graph::compute_graph(&spec("join-2pc.toml"), None);
    assert!(j.order_free);
    assert_eq!(j.producing_inputs.values().sum::<usize>(), 600);
}

#[test]
fn a_line_is_not_a_graph() {
    let s = load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/seeds/004-wordcount-restore.toml"))
        .expect("loads");
    assert!(!s.is_graph());
}

/// Issue 17's union job under task failures: the print sink shows Flink's at-least-once
/// duplicates (the same input printed by two attempts, never twice by one), while the sums
/// committed by the two-phase-commit sink are exactly once: each input once, and each key's
/// last committed sum is the fault-free total over both sources.
#[test]
fn a_union_under_failures_prints_duplicates_and_commits_exact_sums() {
    use ckptsim::record::Value;
    use std::collections::BTreeMap;
    let s = spec("union-print.toml");
    let o = ckptsim_sim::outcome::run(&s, s.default_seed);
    assert!(o.passed(), "{:?}", o.verdicts);
    assert!(o.run.restores.iter().any(|r| r.checkpoint.is_some()), "no restore from a checkpoint");
    let mut printed: BTreeMap<(u64, u32), Vec<u32>> = BTreeMap::new();
    for r in &o.run.print_rows {
        printed.entry((r.lineage.input_seq, r.lineage.sub)).or_default().push(r.attempt.0);
    }
    let dups: Vec<&Vec<u32>> = printed.values().filter(|a| a.len() > 1).collect();
    assert!(dups.len() >= 10, "only {} inputs printed twice", dups.len());
    for attempts in &dups {
        let mut a = (*attempts).clone();
        a.dedup();
        assert_eq!(a.len(), attempts.len(), "printed twice by one attempt: {attempts:?}");
    }
    let mut committed: BTreeMap<u64, usize> = BTreeMap::new();
    let mut last: BTreeMap<Value, Value> = BTreeMap::new();
    for r in &o.run.committed {
        *committed.entry(r.lineage.input_seq).or_default() += 1;
        last.insert(ckptsim::operator::key_of(&r.value), r.value);
    }
    assert!(committed.values().all(|n| *n == 1), "an input committed twice");
    let sums = s.operators.iter().position(|o| o.name == "Sums").expect("the 2PC sink");
    let reference = ckptsim_sim::check::graph::compute_graph(&s, Some(sums));
    assert!(!reference.final_per_key.is_empty());
    assert_eq!(last, reference.final_per_key, "each key's last committed sum is the fault-free total");
}

/// Swarm draws name tasks, never the broadcast partitioning (it was taken for a task:
/// `TaskFailure { task: "broadcast[0]" }` on seed 7, a fault striking nothing).
#[test]
fn swarm_never_targets_a_broadcast_edge() {
    let s = spec("broadcast-unaligned-2pc.toml");
    let mut copies = 0;
    for seed in 1..=200 {
        let (_, what) = ckptsim_sim::swarm::draw(&s, seed);
        assert!(!what.to_lowercase().contains("broadcast["), "seed {seed}: {what}");
        copies += usize::from(what.contains("\"Copy["));
    }
    assert!(copies >= 20, "only {copies} draws target a Copy subtask");
}

/// A self-join (one source into both input gates of a window join, Flink's two `StreamEdge`s):
/// each producer subtask has one channel per gate to each join subtask, the producer's outputs
/// and the consumer's inputs name the same gates, and a run keeps the two channels of a pair
/// apart (two cuts per pair and snapshot, the joined rows exactly once).
#[test]
fn a_self_join_has_one_channel_per_input_gate() {
    use ckptsim_sim::world::graph::Link;
    let s = spec("self-window-join-2pc.toml");
    let g = Graph::build(&s);
    assert_eq!(vertex_names(&g), ["Source: Words", "Join -> Sink: Sink"]);
    assert_eq!(g.in_edges[1], [(0, EdgeKind::Hash), (0, EdgeKind::Hash)]);
    let (w, j) = (g.vertex_tasks(0), g.vertex_tasks(1));
    let link = |task, gate| Link { task, gate };
    assert_eq!(g.input_links(j[0]), [link(w[0], 0), link(w[1], 0), link(w[0], 1), link(w[1], 1)]);
    assert_eq!(g.output_links(w[1]), [link(j[0], 0), link(j[1], 0), link(j[0], 1), link(j[1], 1)]);
    // Producer subtask `pi`'s outputs (j0 gate 0, j1 gate 0, j0 gate 1, j1 gate 1) enter input
    // channels pi, pi, 2 + pi, 2 + pi of their consumers: the two gates are two channels.
    for (pi, &p) in w.iter().enumerate() {
        let chans: Vec<u32> = g
            .output_links(p)
            .into_iter()
            .map(|d| g.input_channel(d.task, link(p, d.gate)).expect("an output is an input"))
            .collect();
        let pi = pi as u32;
        assert_eq!(chans, [pi, pi, 2 + pi, 2 + pi]);
    }
    let o = ckptsim_sim::outcome::run(&s, s.default_seed);
    let verdict = |name: &str| o.verdicts.iter().find(|v| v.checker == name).expect("a verdict").clone();
    let (eo, al) = (verdict("exactly-once"), verdict("alignment"));
    assert_eq!(eo.passed, Some(true), "{:?}", eo.anomalies);
    assert_eq!(al.passed, Some(true), "{:?}", al.anomalies);
    // 2 join subtasks x 14 checkpoints, 4 channels each (2 producers x 2 gates). 14, not the 17
    // of zero failover latencies: the job starts after its seed's first-start latency (300-900
    // ms) and later deploys, so fewer periodic checkpoints fit before the end, as in Flink.
    let completed = o.run.checkpoints.iter().filter(|c| c.outcome == "COMPLETED").count();
    assert_eq!(completed, 14, "{:?}", o.run.checkpoints);
    assert!(al.summary.contains("28 snapshots, 112 channel cuts"), "{}", al.summary);
}

/// Session 23: every chainable consumer of a producer is chained (Flink's `createChain`), so the
/// source's vertex runs a tree: two print sinks and a map inside one task, the map's keyed edge
/// a network output of the chain. Each print sink's rows are its own (the uppercase branch's
/// rows only under `Shout`): the checkers read a row's sink index, not only its task.
#[test]
fn a_forward_fan_out_is_one_task_running_a_tree() {
    let s = spec("chained-fan-out-two-prints-unaligned.toml");
    let g = Graph::build(&s);
    assert_eq!(
        vertex_names(&g),
        ["Source: Source -> (Upper -> Sink: Shout, Sink: Echo, ToPair)", "Sum -> Sink: Committed"]
    );
    assert!(!g.is_line(&s, 0) && g.is_line(&s, 1));
    // The only network edge leaves from ToPair, inside the tree.
    let to_pair = s.operators.iter().position(|o| o.name == "ToPair").expect("ToPair");
    assert_eq!(g.out_edges[0], [(1, 0)]);
    assert_eq!(g.vertices[1].input_ops, [to_pair]);
    let t = g.task_spec(&s, g.vertex_tasks(0)[0], ckptsim::Attempt(0), &Default::default(), 0);
    assert!(matches!(t.tail, ckptsim::task::TailSpec::Tree(_)));
    let o = ckptsim_sim::outcome::run(&s, s.default_seed);
    assert!(o.passed(), "{:?}", o.verdicts);
    let upper = |r: &ckptsim_sim::world::OutputRow| r.value.to_string().chars().any(|c| c.is_ascii_uppercase());
    let by_sink: Vec<(u32, bool)> = o.run.print_rows.iter().map(|r| (r.sink, upper(&r))).collect();
    assert!(by_sink.iter().any(|(k, _)| *k == 1), "both print sinks printed");
    assert!(by_sink.iter().all(|&(k, up)| (k == 0) == up), "sink 0 is Shout (uppercase), sink 1 is Echo");
}

/// The print and two-phase-commit branches of one source chained into one task: no channel
/// between the source and either sink, the 2PC sink exactly once, the print sink at least once.
#[test]
fn a_print_and_a_2pc_sink_chain_onto_one_source() {
    let s = spec("chained-fan-out-print-2pc.toml");
    let g = Graph::build(&s);
    assert_eq!(vertex_names(&g), ["Source: Source -> (ToPair -> Sink: Committed, Sink: Audit)"]);
    assert!(g.out_edges[0].is_empty());
    let o = ckptsim_sim::outcome::run(&s, s.default_seed);
    assert!(o.passed(), "{:?}", o.verdicts);
    assert_eq!(o.run.committed.len(), 300);
}

/// A keyed edge that is a network output of a chain tree (`ToPair`'s `key_by` inside the
/// source's tree) routes by the key groups of the vertex it enters: with `Sum`'s max
/// parallelism 32, each key reaches the subtask Flink's
/// `KeyGroupRangeAssignment.assignKeyToParallelOperator(key, 32, 2)` names. Before session 24
/// only a line's single keyed edge was re-routed; a tree's kept 128 key groups, so some key
/// printed on the other subtask than Flink's.
#[test]
fn a_keyed_edge_in_a_tree_routes_by_the_downstream_max_parallelism() {
    use ckptsim::key_group::assign_key_to_parallel_operator;
    use ckptsim::operator::{key_group_route, key_of};
    let mut s = spec("chained-fan-out-two-prints-unaligned.toml");
    s.faults.clear();
    let sum = s.operators.iter().position(|o| o.name == "Sum").expect("Sum");
    s.operators[sum].max_parallelism = Some(32);
    let committed = s.operators.iter().position(|o| o.name == "Committed").expect("Committed");
    s.operators[committed].kind = ckptsim_sim::spec::OpKind::PrintSink;
    let g = Graph::build(&s);
    assert!(!g.is_line(&s, 0), "the keyed edge leaves a tree");
    let sum_tasks = g.vertex_tasks(1);
    let o = ckptsim_sim::outcome::run(&s, s.default_seed);
    let (mut rows, mut moved) = (0, 0);
    for r in o.run.print_rows.iter().filter(|r| sum_tasks.contains(&r.task)) {
        let key = key_of(&r.value);
        let flink = assign_key_to_parallel_operator(&key, 32, 2);
        assert_eq!(r.task, sum_tasks[flink as usize], "key {key} printed by {:?}", r.task);
        rows += 1;
        moved += usize::from(key_group_route(&key, 2) != flink);
    }
    assert!(rows > 100, "only {rows} rows after Sum");
    assert!(moved > 0, "no key routes differently with 32 key groups than with 128: the test shows nothing");
}

/// Session 25: the world, the floor (`ckptsim bench`) and the explorer build task specs with
/// one function (`Graph::task_spec`, which routes keyed edges by `key_routing.rs`). The job of
/// `rescale/keyed-tree-max-parallelism-7-2-3-2pc.toml` without its actions (the keyed edge
/// leaves a chain tree into `Sum` at max parallelism 7, parallelism 2): the world prints each
/// key from the subtask Flink's `assignKeyToParallelOperator(key, 7, 2)` names, and the floor
/// prints as many rows from each of the sum's tasks as the world. Before, the floor routed the
/// edge by 128 key groups: its rows per task were those of `by_128` below, not the world's.
#[test]
fn world_and_floor_route_a_keyed_edge_by_the_downstream_max_parallelism() {
    use ckptsim::key_group::assign_key_to_parallel_operator;
    use ckptsim::operator::{key_group_route, key_of};
    use std::collections::BTreeMap;
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/rescale/keyed-tree-max-parallelism-7-2-3-2pc.toml");
    let mut s = load_spec(&path).expect("loads");
    s.actions.clear();
    let committed = s.operators.iter().position(|o| o.name == "Committed").expect("Committed");
    s.operators[committed].kind = ckptsim_sim::spec::OpKind::PrintSink;
    let g = Graph::build(&s);
    assert!(!g.is_line(&s, 0), "the keyed edge leaves a tree");
    let sum_tasks = g.vertex_tasks(1);
    let o = ckptsim_sim::outcome::run(&s, s.default_seed);
    let (mut world, mut by_128) = (BTreeMap::new(), BTreeMap::new());
    for r in o.run.print_rows.iter().filter(|r| sum_tasks.contains(&r.task)) {
        let key = key_of(&r.value);
        let flink = assign_key_to_parallel_operator(&key, 7, 2);
        assert_eq!(r.task, sum_tasks[flink as usize], "key {key} printed by {:?}", r.task);
        *world.entry(r.task).or_insert(0u64) += 1;
        *by_128.entry(sum_tasks[key_group_route(&key, 2) as usize]).or_insert(0u64) += 1;
    }
    assert_eq!(world.values().sum::<u64>(), 400, "{world:?}");
    assert_ne!(world, by_128, "128 key groups would print as many rows per task: the test shows nothing");
    let floor = ckptsim_sim::floor::run(&s);
    let floor: BTreeMap<_, _> = floor.printed_by_task.into_iter().filter(|(t, _)| sum_tasks.contains(t)).collect();
    assert_eq!(floor, world, "rows per Sum task: floor vs world");
}

fn eventtime(name: &str) -> ckptsim_sim::spec::JobSpec {
    load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/eventtime").join(name)).expect("loads")
}

/// Session 24: a late side output read forward at the window's parallelism chains into the
/// window's task, as Flink's (`StreamingJobGraphGenerator#isChainable` reads no `OutputTag`;
/// `OperatorChain` gives the consumer a `ChainingOutput` with the late tag, which takes only
/// the window's late elements). The branch is a late hop of the window's tree; a `rebalance` or
/// another parallelism keeps the side edge a network edge.
#[test]
fn a_forward_late_side_output_chains_into_the_window_task() {
    use ckptsim::task::{ChainHop, TailSpec};
    let s = eventtime("late-side-branch-2pc.toml");
    let g = Graph::build(&s);
    assert_eq!(vertex_names(&g), ["Source: Source -> ToPair", "Window -> (Sink: Sums, LateDoubled -> Sink: LateSink)"]);
    assert!(!g.is_line(&s, 1));
    assert!(g.out_edges[1].is_empty(), "no network edge leaves the window's task");
    let t = g.task_spec(&s, g.vertex_tasks(1)[0], ckptsim::Attempt(0), &Default::default(), 0);
    let TailSpec::Tree(tree) = &t.tail else { panic!("the window's task runs a tree: {:?}", t.tail) };
    let late: Vec<&ChainHop> = tree.hops.iter().flatten().filter(|h| matches!(h, ChainHop::LateOp(..))).collect();
    assert_eq!(late.len(), 1, "one late hop, to LateDoubled: {:?}", tree.hops);
    let o = ckptsim_sim::outcome::run(&s, s.default_seed);
    assert!(o.passed(), "{:?}", o.verdicts);
    assert!(!o.run.late_records.is_empty() && !o.run.committed.is_empty());
    // Print sink directly on the side output of a chained window: a late end, not an operator.
    let n = eventtime("late-not-both-2pc.toml");
    assert_eq!(
        vertex_names(&Graph::build(&n)),
        ["Source: Source -> ToPair", "Window -> (Sink: Sums, LateDoubled -> Sink: LatePrint)"]
    );
    // A sink straight on the side output of a window whose results leave on a network edge:
    // the tree's late end.
    let c = eventtime("late-side-branch-chained-sink.toml");
    let cg = Graph::build(&c);
    assert_eq!(vertex_names(&cg)[1..], ["Window -> Sink: LatePrint", "Sink: Sums"]);
    let t = cg.task_spec(&c, cg.vertex_tasks(1)[1], ckptsim::Attempt(0), &Default::default(), 0);
    let TailSpec::Tree(tree) = &t.tail else { panic!("a tree: {:?}", t.tail) };
    assert!(tree.hops.iter().flatten().any(|h| matches!(h, ChainHop::LateEnd(..))), "{:?}", tree.hops);
    // Not chainable: a rebalance, or another parallelism.
    let p = Graph::build(&eventtime("late-side-branch-print.toml"));
    assert_eq!(vertex_names(&p)[1..], ["Window -> Sink: Sums", "LateDoubled -> LateEven -> Sink: LatePrint"]);
    let u = Graph::build(&eventtime("late-side-branch-unaligned-2pc.toml"));
    assert_eq!(vertex_names(&u)[1..], ["Window -> Sink: Sums", "LateDoubled -> Sink: LateSink"]);
}

/// Session 32: `lower_exclusive` / `upper_exclusive` move the interval join's bounds a
/// millisecond inward, as `IntervalJoinOperator`'s constructor does (`lowerBound + 1`,
/// `upperBound - 1`), so a partner exactly at a bound is out: `between(-200, 300)` with both
/// exclusive pairs the keys whose right element is a millisecond inside (b, c, g) and not those
/// at the bounds (a, d, f), which the inclusive join pairs. `emit` writes the moved bounds back
/// as inclusive ones, and the exclusive flags where the moved bounds crossed (`between(0, 0)`
/// with an exclusive bound, which Flink accepts and which joins nothing).
#[test]
fn exclusive_interval_bounds_move_inward_and_leave_the_boundary_partners_out() {
    use ckptsim::join::JoinSpec;
    use ckptsim_sim::spec::OpKind;
    let s = eventtime("interval-join-exclusive-output.toml");
    let join = s.operators.iter().position(|o| o.name == "Join").expect("the join");
    assert_eq!(s.operators[join].kind, OpKind::EventJoin(JoinSpec::Interval { lower_ms: -199, upper_ms: 299 }));
    let rows = |s: &ckptsim_sim::spec::JobSpec| {
        let run = ckptsim_sim::outcome::run(s, s.default_seed).run;
        let mut v = ckptsim_sim::outcome::output_values(s, &run);
        v.sort();
        v
    };
    let o = ckptsim_sim::outcome::run(&s, s.default_seed);
    assert!(o.passed(), "{:?}", o.verdicts);
    assert_eq!(rows(&s), ["(b,1)|b", "(c,1)|c", "(g,1)|g"]);
    let mut inclusive = s.clone();
    inclusive.operators[join].kind = OpKind::EventJoin(JoinSpec::Interval { lower_ms: -200, upper_ms: 300 });
    assert_eq!(rows(&inclusive), ["(a,1)|a", "(b,1)|b", "(c,1)|c", "(d,1)|d", "(f,1)|f", "(g,1)|g"]);
    // Round trips through `emit`, including bounds that crossed.
    let dir = std::env::temp_dir().join(format!("ckptsim-exclusive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (lower_ms, upper_ms, flags) in
        [(-199, 299, ""), (1, 0, "lower_exclusive = true"), (1, -1, "upper_exclusive = true"), (5, 5, "")]
    {
        let mut t = s.clone();
        t.operators[join].kind = OpKind::EventJoin(JoinSpec::Interval { lower_ms, upper_ms });
        let text = ckptsim_sim::emit::to_toml(&t, "# exclusive bounds");
        assert_eq!(text.contains("lower_exclusive"), lower_ms > upper_ms, "{text}");
        assert!(text.contains(flags), "{text}");
        let file = dir.join(format!("{lower_ms}_{upper_ms}.toml"));
        std::fs::write(&file, &text).expect("write");
        let back = load_spec(&file).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back.operators[join].kind, t.operators[join].kind, "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Session 33: a sliding window join (`JoinedStreams` over `SlidingEventTimeWindows.of(2 s,
/// 1 s)`) joins a pair once in every window the two share, each row at its window's
/// `maxTimestamp`, and names each row by (pair, window): the same pair's rows in two windows are
/// two lineages, so the delivery checkers count them apart. An element whose first window is
/// late when it arrives (`a@1800` after the watermark passed 1999) joins in its second window
/// only; a tumbling 2 s join of the same input drops it. `emit` writes `slide_ms` back.
#[test]
fn a_sliding_window_join_pairs_per_window_and_skips_only_late_windows() {
    use ckptsim::join::JoinSpec;
    use ckptsim_sim::spec::OpKind;
    let s =
        load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/graphs/sliding-window-join-output.toml"))
            .expect("loads");
    let join = s.operators.iter().position(|o| o.name == "Join").expect("the join");
    assert_eq!(s.operators[join].kind, OpKind::EventJoin(JoinSpec::SlidingWindow { size_ms: 2000, slide_ms: 1000 }));
    let o = ckptsim_sim::outcome::run(&s, s.default_seed);
    assert!(o.passed(), "{:?}", o.verdicts);
    let rows = |run: &ckptsim_sim::world::RunResult| {
        let mut v: Vec<(String, i64)> =
            run.print_rows.iter().map(|r| (r.value.to_string(), r.timestamp.expect("a window's row"))).collect();
        v.sort();
        v
    };
    let want = |spec: &[(&str, i64, usize)]| {
        let mut v: Vec<(String, i64)> =
            spec.iter().flat_map(|(v, t, n)| std::iter::repeat_n((v.to_string(), *t), *n)).collect();
        v.sort();
        v
    };
    let a = "(a,1)|a";
    let b = "(b,1)|b";
    assert_eq!(
        rows(&o.run),
        want(&[
            (a, 999, 1),
            (b, 999, 1),
            (a, 1999, 4),
            (b, 1999, 1),
            (a, 2999, 6),
            (a, 3999, 1),
            (b, 3999, 1),
            (b, 4999, 1)
        ])
    );
    let lineages: std::collections::BTreeSet<_> = o.run.print_rows.iter().map(|r| r.lineage).collect();
    assert_eq!(lineages.len(), o.run.print_rows.len(), "every (pair, window) row has its own lineage");
    // The same input as a tumbling 2 s join: `a@1800`'s one window [0, 2000) is late, so it is
    // dropped; windows ending 1999 and 3999 only.
    let mut tumbling = s.clone();
    tumbling.operators[join].kind = OpKind::EventJoin(JoinSpec::Window { size_ms: 2000 });
    let t = ckptsim_sim::outcome::run(&tumbling, tumbling.default_seed);
    assert_eq!(rows(&t.run), want(&[(a, 1999, 4), (b, 1999, 1), (a, 3999, 1), (b, 3999, 1)]));
    let text = ckptsim_sim::emit::to_toml(&s, "# sliding window join");
    assert!(text.contains("slide_ms = 1000"), "{text}");
    let dir = std::env::temp_dir().join(format!("ckptsim-sliding-join-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("sliding.toml");
    std::fs::write(&file, &text).expect("write");
    let back = load_spec(&file).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back.operators[join].kind, s.operators[join].kind);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Session 33: every log source's head names the topic it reads (`topic`, else `input-topic`,
/// `input-topic-2`, ... in source order), whose name places the partitions on the readers
/// (Flink's `getSplitOwner`); each `rebalance` edge of each task attempt starts where the
/// run's seed draws (`RebalancePartitioner#setup`), the same draw for the same seed.
#[test]
fn sources_name_their_topics_and_rebalance_starts_are_seeded_per_attempt() {
    use ckptsim::task::{HeadSpec, Partitioner, TailSpec};
    let text = r#"
name = "topics-and-rebalance"
stop_at_ms = 1000
[[operators]]
kind = "log-source"
name = "A"
parallelism = 3
[[operators]]
kind = "log-source"
name = "B"
parallelism = 3
[[operators]]
kind = "log-source"
name = "C"
parallelism = 3
topic = "orders"
[[operators]]
kind = "union"
inputs = ["A", "B", "C"]
parallelism = 3
[[operators]]
kind = "rebalance"
[[operators]]
kind = "print-sink"
parallelism = 4
[inputs.A]
partitions = 3
records = [{ at_ms = 1, value = "a" }]
[inputs.B]
partitions = 3
records = [{ at_ms = 1, value = "b" }]
[inputs.C]
partitions = 3
records = [{ at_ms = 1, value = "c" }]
"#;
    let sc = ckptsim_sim::scenario::parse("topics-and-rebalance.toml", text).expect("valid");
    let s = ckptsim_sim::load::to_spec(&sc, "topics-and-rebalance.toml");
    let g = Graph::build(&s);
    let topic = |v: usize| match g.task_spec(&s, g.vertex_tasks(v)[0], ckptsim::Attempt(0), &Default::default(), 0).head
    {
        HeadSpec::LogTopic { topic, .. } | HeadSpec::LogSource { topic, .. } => topic,
        other => panic!("not a source: {other:?}"),
    };
    assert_eq!([topic(0), topic(1), topic(2)], ["input-topic", "input-topic-2", "orders"]);
    let union = g.vertices.iter().position(|v| v.ops.contains(&3)).expect("the union's vertex");
    let starts = |seed: u64, attempt: u32| -> Vec<u32> {
        g.vertex_tasks(union)
            .into_iter()
            .map(|t| match g.task_spec(&s, t, ckptsim::Attempt(attempt), &Default::default(), seed).tail {
                TailSpec::Output(Partitioner::Rebalance { channels: 4, start }) => start,
                other => panic!("not a rebalance over 4: {other:?}"),
            })
            .collect()
    };
    assert_eq!(starts(1, 0), starts(1, 0), "deterministic per seed");
    let drawn: std::collections::BTreeSet<Vec<u32>> = (0..8).map(|seed| starts(seed, 0)).collect();
    assert!(drawn.len() > 1, "other seeds draw other starts: {drawn:?}");
    assert!((0..8).any(|a| starts(1, a) != starts(1, 0)), "a new attempt draws again");
}
