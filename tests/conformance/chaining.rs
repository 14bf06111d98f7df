//! Operator chaining (issue 17): Flink's `StreamingJobGraphGeneratorTest` expectations about which operators share a job vertex (`isChainable`), posed to the world's `Graph::build` on scenario graphs of the same shape.
//!
//! Flink's rule (1.11 `StreamingJobGraphGenerator#isChainable`, 2.x `isChainableInput` with the
//! same conditions for these shapes): the consumer has exactly one input edge, both share a slot
//! sharing group, the consumer's chaining strategy is ALWAYS and the producer's HEAD or ALWAYS
//! (a source is HEAD: it heads a chain, never joins one), the edge's partitioner is forward and
//! both have the same parallelism. A union is not an operator in Flink (its consumer gets one
//! edge per input, so it heads its vertex); the model's `union` operator heads the vertex and
//! its consumer chains onto it: the same vertices, one operator more in the chain.
//!
//! A producer whose output feeds several consumers chains every chainable one
//! (`StreamingJobGraphGenerator#createChain` walks every out-edge; session 23): the chain is a
//! tree (`testInputOutputFormat`: a source with two sinks is one vertex, named
//! `createChainedName`'s way, `Source: S -> (Sink: A, Sink: B)`;
//! `testBlockingConnectionsBetweenChainsEnabled`: a filter chains the forward map beside a
//! rescaled print). Each row also asserts the chain contents: the operators of each vertex in
//! chain order, and whether its tasks run a tree.

use crate::common::{case_name, flink, run_table, Flink, F111, F23};
use ckptsim::task::TailSpec;
use ckptsim::Profile;
use ckptsim_sim::graph::{EdgeKind, Graph};

const SJGGT: &str = "StreamingJobGraphGeneratorTest";

struct Case {
    flink: Flink,
    profile: Profile,
    /// The scenario's `[[operators]]` tables (after the header) and its `[input]`/`[inputs.*]`.
    ops: &'static str,
    /// Expected vertices in topological order: (display name, parallelism).
    want: &'static [(&'static str, u32)],
    /// Expected input edge of each vertex (None for a source).
    edges: &'static [Option<EdgeKind>],
    /// Expected chain contents, when the row poses them: per vertex its operators in chain
    /// order (by name) and whether its chain is a tree.
    chains: &'static [(&'static [&'static str], bool)],
}

fn header(profile: Profile) -> String {
    format!(
        "name = \"chaining\"\nprofile = \"{}\"\nseed = 1\nstop_at_ms = 5000\n[checkpoint]\ninterval_ms = 1000\n[cluster]\ntask_managers = 2\n",
        crate::common::profile_name(profile)
    )
}

fn check(c: &Case) -> Result<(), String> {
    let text = header(c.profile) + c.ops;
    let sc = ckptsim_sim::scenario::parse("chaining.toml", &text).map_err(|e| format!("does not load: {e}"))?;
    let spec = ckptsim_sim::load::to_spec(&sc, "chaining.toml");
    let g = Graph::build(&spec);
    let got: Vec<(String, u32)> = g.vertices.iter().map(|v| (v.name.clone(), v.parallelism)).collect();
    let want: Vec<(String, u32)> = c.want.iter().map(|(n, p)| (n.to_string(), *p)).collect();
    if got != want {
        return Err(format!("vertices: got {got:?}, Flink {want:?}"));
    }
    let edges: Vec<Option<EdgeKind>> = g.vertices.iter().map(|v| v.input).collect();
    if edges != c.edges {
        return Err(format!("input edges: got {edges:?}, Flink {:?}", c.edges));
    }
    if c.chains.is_empty() {
        return Ok(());
    }
    let chains: Vec<(Vec<String>, bool)> = (0..g.vertices.len())
        .map(|vi| {
            let names = g.vertices[vi].ops.iter().map(|o| spec.operators[*o].name.clone()).collect();
            let tree = matches!(
                g.task_spec(&spec, g.vertex_tasks(vi)[0], ckptsim::Attempt(0), &Default::default(), 0).tail,
                TailSpec::Tree(_)
            );
            (names, tree)
        })
        .collect();
    let want: Vec<(Vec<String>, bool)> =
        c.chains.iter().map(|(ops, tree)| (ops.iter().map(|o| o.to_string()).collect(), *tree)).collect();
    if chains != want {
        return Err(format!("chains: got {chains:?}, Flink {want:?}"));
    }
    Ok(())
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for profile in [F111, F23] {
        let version = if profile == F111 { "1.11" } else { "2.x" };
        // env.setParallelism(1): fromElements -> map -> keyBy -> map -> sink: the keyBy edge
        // (hash partitioner) splits the chain even at parallelism 1: two vertices.
        v.push(Case {
            flink: flink(SJGGT, "testParallelismOneNotChained", version),
            profile,
            ops: concat!(
                "[[operators]]\nkind = \"log-source\"\nname = \"Src\"\nparallelism = 1\nstartup = \"earliest\"\n",
                "[[operators]]\nkind = \"map\"\nname = \"Pair\"\nparallelism = 1\nfunction = \"to_pair_one\"\n",
                "[[operators]]\nkind = \"key_by\"\n",
                "[[operators]]\nkind = \"sum\"\nname = \"Sum\"\nparallelism = 1\n",
                "[[operators]]\nkind = \"print-sink\"\nname = \"Out\"\nparallelism = 1\n",
                "\n[input]\npartitions = 2\ngenerator = { count = 10, rate_per_s = 10, keys = 2, start_ms = 100 }\n",
            ),
            want: &[("Source: Src -> Pair", 1), ("Sum -> Sink: Out", 1)],
            edges: &[None, Some(EdgeKind::Hash)],
            chains: &[],
        });
        // env.setParallelism(2), a non-parallel source (fromElements, parallelism 1) -> map ->
        // print: the source is alone (parallelism differs: a rebalance edge), map and print
        // chain (chain start at the map, chain end at the print).
        v.push(Case {
            flink: flink(SJGGT, "testChainStartEndSetting", version),
            profile,
            ops: concat!(
                "[[operators]]\nkind = \"log-source\"\nname = \"Src\"\nparallelism = 1\nstartup = \"earliest\"\n",
                "[[operators]]\nkind = \"map\"\nname = \"Id\"\nparallelism = 2\nfunction = \"identity\"\n",
                "[[operators]]\nkind = \"print-sink\"\nname = \"Print\"\nparallelism = 2\n",
                "\n[input]\npartitions = 2\ngenerator = { count = 10, rate_per_s = 10, keys = 2, start_ms = 100 }\n",
            ),
            want: &[("Source: Src", 1), ("Id -> Sink: Print", 2)],
            edges: &[None, Some(EdgeKind::Rebalance)],
            chains: &[],
        });
        // source -> map -> filter chained (CHAIN(Source -> Map -> Filter)), then keyBy -> reduce
        // -> sink chained: two vertices.
        v.push(Case {
            flink: flink(SJGGT, "testResourcesForChainedSourceSink (the two chains)", version),
            profile,
            ops: concat!(
                "[[operators]]\nkind = \"log-source\"\nname = \"Src\"\nparallelism = 2\nstartup = \"earliest\"\n",
                "[[operators]]\nkind = \"filter\"\nname = \"NonEmpty\"\nparallelism = 2\nfunction = \"drop_empty\"\n",
                "[[operators]]\nkind = \"map\"\nname = \"Pair\"\nparallelism = 2\nfunction = \"to_pair_one\"\n",
                "[[operators]]\nkind = \"key_by\"\n",
                "[[operators]]\nkind = \"sum\"\nname = \"Reduce\"\nparallelism = 2\n",
                "[[operators]]\nkind = \"two-phase-commit-sink\"\nname = \"Out\"\nparallelism = 2\n",
                "\n[input]\npartitions = 2\ngenerator = { count = 10, rate_per_s = 10, keys = 2, start_ms = 100 }\n",
            ),
            want: &[("Source: Src -> NonEmpty -> Pair", 2), ("Reduce -> Sink: Out", 2)],
            edges: &[None, Some(EdgeKind::Hash)],
            chains: &[],
        });
        // fromElements -(forward)-> map (parallelism 1) -(rescale)-> print (parallelism 2): the
        // forward edge chains source and map, the non-forward one does not (the model has
        // rebalance where Flink's test names rescale; both are not forward).
        v.push(Case {
            flink: flink(SJGGT, "testShuffleModeUndefined (rebalance for rescale)", version),
            profile,
            ops: concat!(
                "[[operators]]\nkind = \"log-source\"\nname = \"Src\"\nparallelism = 1\nstartup = \"earliest\"\n",
                "[[operators]]\nkind = \"map\"\nname = \"Id\"\nparallelism = 1\nfunction = \"identity\"\n",
                "[[operators]]\nkind = \"rebalance\"\n",
                "[[operators]]\nkind = \"print-sink\"\nname = \"Print\"\nparallelism = 2\n",
                "\n[input]\npartitions = 2\ngenerator = { count = 10, rate_per_s = 10, keys = 2, start_ms = 100 }\n",
            ),
            want: &[("Source: Src -> Id", 1), ("Sink: Print", 2)],
            edges: &[None, Some(EdgeKind::Rebalance)],
            chains: &[],
        });
        // `isChainable`: a rebalance edge between operators of the same parallelism is not
        // forward: no chain (the partitioner condition alone).
        v.push(Case {
            flink: flink(SJGGT, "isChainable: forward partitioner required (rebalance, same parallelism)", version),
            profile,
            ops: concat!(
                "[[operators]]\nkind = \"log-source\"\nname = \"Src\"\nparallelism = 2\nstartup = \"earliest\"\n",
                "[[operators]]\nkind = \"rebalance\"\n",
                "[[operators]]\nkind = \"map\"\nname = \"Id\"\nparallelism = 2\nfunction = \"identity\"\n",
                "[[operators]]\nkind = \"print-sink\"\nname = \"Print\"\nparallelism = 2\n",
                "\n[input]\npartitions = 2\ngenerator = { count = 10, rate_per_s = 10, keys = 2, start_ms = 100 }\n",
            ),
            want: &[("Source: Src", 2), ("Id -> Sink: Print", 2)],
            edges: &[None, Some(EdgeKind::Rebalance)],
            chains: &[],
        });
        // `isChainable`: `downStreamVertex.getInEdges().size() == 1`: a two-input operator
        // (connect's co-map) never joins its inputs' chains, but heads a chain its forward
        // consumer joins; each source is its own vertex.
        v.push(Case {
            flink: flink(SJGGT, "isChainable: a two-input operator heads its chain (connect)", version),
            profile,
            ops: concat!(
                "[[operators]]\nkind = \"log-source\"\nname = \"A\"\nparallelism = 2\nstartup = \"earliest\"\n",
                "[[operators]]\nkind = \"log-source\"\nname = \"B\"\nparallelism = 2\nstartup = \"earliest\"\n",
                "[[operators]]\nkind = \"connect\"\nname = \"Co\"\nparallelism = 2\ninputs = [\"A\", \"B\"]\n",
                "function = \"uppercase\"\nsecond_function = \"identity\"\n",
                "[[operators]]\nkind = \"print-sink\"\nname = \"Print\"\nparallelism = 2\ninputs = [\"Co\"]\n",
                "\n[inputs.A]\npartitions = 2\ngenerator = { count = 10, rate_per_s = 10, keys = 2, start_ms = 100 }\n",
                "\n[inputs.B]\npartitions = 2\ngenerator = { count = 10, rate_per_s = 10, keys = 2, start_ms = 100 }\n",
            ),
            want: &[("Source: A", 2), ("Source: B", 2), ("Co -> Sink: Print", 2)],
            edges: &[None, None, Some(EdgeKind::Forward)],
            chains: &[],
        });
        // A union's consumer has one edge per input in Flink, so it heads its vertex; in the
        // model the union operator heads it and the consumer chains onto it.
        v.push(Case {
            flink: flink(SJGGT, "isChainable: a union's consumer heads its chain", version),
            profile,
            ops: concat!(
                "[[operators]]\nkind = \"log-source\"\nname = \"A\"\nparallelism = 2\nstartup = \"earliest\"\n",
                "[[operators]]\nkind = \"log-source\"\nname = \"B\"\nparallelism = 2\nstartup = \"earliest\"\n",
                "[[operators]]\nkind = \"union\"\nname = \"U\"\nparallelism = 2\ninputs = [\"A\", \"B\"]\n",
                "[[operators]]\nkind = \"map\"\nname = \"Up\"\nparallelism = 2\nfunction = \"uppercase\"\ninputs = [\"U\"]\n",
                "[[operators]]\nkind = \"print-sink\"\nname = \"Print\"\nparallelism = 2\ninputs = [\"Up\"]\n",
                "\n[inputs.A]\npartitions = 2\ngenerator = { count = 10, rate_per_s = 10, keys = 2, start_ms = 100 }\n",
                "\n[inputs.B]\npartitions = 2\ngenerator = { count = 10, rate_per_s = 10, keys = 2, start_ms = 100 }\n",
            ),
            want: &[("Source: A", 2), ("Source: B", 2), ("U -> Up -> Sink: Print", 2)],
            edges: &[None, None, Some(EdgeKind::Forward)],
            chains: &[],
        });
        // A source with two sinks (forward, same parallelism): one vertex whose chain is a tree,
        // the source's output fanned out to both sinks inside the task.
        v.push(Case {
            flink: flink(SJGGT, "testInputOutputFormat", version),
            profile,
            ops: concat!(
                "[[operators]]\nkind = \"log-source\"\nname = \"source\"\nparallelism = 2\nstartup = \"earliest\"\n",
                "[[operators]]\nkind = \"print-sink\"\nname = \"sink1\"\nparallelism = 2\ninputs = [\"source\"]\n",
                "[[operators]]\nkind = \"print-sink\"\nname = \"sink2\"\nparallelism = 2\ninputs = [\"source\"]\n",
                "\n[input]\npartitions = 2\ngenerator = { count = 10, rate_per_s = 10, keys = 2, start_ms = 100 }\n",
            ),
            want: &[("Source: source -> (Sink: sink1, Sink: sink2)", 2)],
            edges: &[None],
            chains: &[(&["source", "sink1", "sink2"], true)],
        });
        // fromElements -(rescale)-> filter -(forward)-> map, filter -(rescale)-> print
        // (parallelism 1): three vertices, the filter chains the map beside its network output
        // to the print. (Flink's map has no consumer; the model's graph needs a sink after it,
        // which chains onto the map.)
        v.push(Case {
            flink: flink(SJGGT, "testBlockingConnectionsBetweenChainsEnabled", version),
            profile,
            ops: concat!(
                "[[operators]]\nkind = \"log-source\"\nname = \"Src\"\nparallelism = 1\nstartup = \"earliest\"\n",
                "[[operators]]\nkind = \"rebalance\"\nname = \"r1\"\ninputs = [\"Src\"]\n",
                "[[operators]]\nkind = \"filter\"\nname = \"Filter\"\nparallelism = 2\nfunction = \"drop_empty\"\ninputs = [\"r1\"]\n",
                "[[operators]]\nkind = \"map\"\nname = \"Map\"\nparallelism = 2\nfunction = \"identity\"\ninputs = [\"Filter\"]\n",
                "[[operators]]\nkind = \"print-sink\"\nname = \"MapOut\"\nparallelism = 2\ninputs = [\"Map\"]\n",
                "[[operators]]\nkind = \"rebalance\"\nname = \"r2\"\ninputs = [\"Filter\"]\n",
                "[[operators]]\nkind = \"print-sink\"\nname = \"Print\"\nparallelism = 1\ninputs = [\"r2\"]\n",
                "\n[input]\npartitions = 2\ngenerator = { count = 10, rate_per_s = 10, keys = 2, start_ms = 100 }\n",
            ),
            want: &[("Source: Src", 1), ("Filter -> Map -> Sink: MapOut", 2), ("Sink: Print", 1)],
            edges: &[None, Some(EdgeKind::Rebalance), Some(EdgeKind::Rebalance)],
            chains: &[(&["Src"], false), (&["Filter", "Map", "MapOut"], true), (&["Print"], false)],
        });
        // `createChain` chains every chainable out-edge, in the order declared: a source with a
        // print sink and a two-phase-commit sink, both forward: one vertex; a map chained after
        // the source with a keyed consumer keeps that edge as a network output of the chain.
        v.push(Case {
            flink: flink(SJGGT, "createChain: every chainable out-edge chained, the rest network outputs", version),
            profile,
            ops: concat!(
                "[[operators]]\nkind = \"log-source\"\nname = \"Src\"\nparallelism = 2\nstartup = \"earliest\"\n",
                "[[operators]]\nkind = \"map\"\nname = \"Pair\"\nparallelism = 2\nfunction = \"to_pair_one\"\ninputs = [\"Src\"]\n",
                "[[operators]]\nkind = \"print-sink\"\nname = \"Raw\"\nparallelism = 2\ninputs = [\"Src\"]\n",
                "[[operators]]\nkind = \"two-phase-commit-sink\"\nname = \"Pairs\"\nparallelism = 2\ninputs = [\"Pair\"]\n",
                "[[operators]]\nkind = \"key_by\"\nname = \"k\"\ninputs = [\"Pair\"]\n",
                "[[operators]]\nkind = \"sum\"\nname = \"Sum\"\nparallelism = 2\ninputs = [\"k\"]\n",
                "[[operators]]\nkind = \"print-sink\"\nname = \"Sums\"\nparallelism = 2\ninputs = [\"Sum\"]\n",
                "\n[input]\npartitions = 2\ngenerator = { count = 10, rate_per_s = 10, keys = 2, start_ms = 100 }\n",
            ),
            want: &[("Source: Src -> (Pair -> Sink: Pairs, Sink: Raw)", 2), ("Sum -> Sink: Sums", 2)],
            edges: &[None, Some(EdgeKind::Hash)],
            chains: &[(&["Src", "Pair", "Pairs", "Raw"], true), (&["Sum", "Sums"], false)],
        });
    }
    v
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, crate::common::profile_name(c.profile))).collect()
}

#[test]
fn chaining() {
    run_table(SJGGT, &cases(), |c| case_name(&c.flink, c.profile), check);
}
