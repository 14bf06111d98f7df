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
//! Not posed here (`docs/fidelity-audit.md`, *Chaining*): a producer whose output feeds several
//! consumers chains every chainable one in Flink (`testInputOutputFormat`: a source with two
//! sinks is one vertex; `testBlockingConnectionsBetweenChainsEnabled`: a filter chains the
//! forward map beside a rescaled print); the model's task holds one chain, not a tree, so such a
//! producer chains none of its consumers.

use crate::common::{case_name, flink, run_table, Flink, F111, F23};
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
