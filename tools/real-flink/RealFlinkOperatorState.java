// RealFlinkOperatorState: the session-34 jobs of scenarios/real-flink/ about what a savepoint
// carries into the next job: operator list state (CheckpointedFunction#initializeState with
// OperatorStateStore#getListState, split round robin, and #getUnionListState, every subtask
// gets all) restored at parallelism 2 -> 3 -> 1, and stop-with-savepoint with and without
// --drain on an event-time window, each resumed by a second job. The gated source
// (RealFlinkGatedSource, driven by RealFlinkLifecycle) fixes what each savepoint holds.
// Our own code, written for ckptsim (docs/real-flink.md).

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.Collector;

public class RealFlinkOperatorState {

    // ------------------------------------------------------------------ operator list state

    /** The list-state jobs' input; gates after records 7 and 13. Keyed by the word, so which
     *  subtask sees which word is fixed (KeyGroupRangeAssignment): at p2 b, c, e go to subtask
     *  0 and a, d to 1; at p3 b, e, f, hello to 0, a, c, d, world to 1, flink to 2. Every
     *  subtask of every job gets a record (and so reports what it restored). */
    static final String[] LIST_INPUT = {
        "a", "b", "c", "a", "d", "e", "b",
        "f", "a", "flink", "c", "hello", "world",
        "d", "e"
    };

    /** Keeps every word it sees in operator list state (split: getListState, or union:
     *  getUnionListState), after the entries it restored; at its first record emits
     *  "restored [w, ...]": the entries initializeState handed it, sorted. */
    public static final class ListReport extends RichFlatMapFunction<String, String> implements CheckpointedFunction {
        private final boolean union;
        private transient ListState<String> words;
        private transient List<String> restored;
        private transient boolean reported;

        ListReport(boolean union) {
            this.union = union;
        }

        @Override
        public void initializeState(FunctionInitializationContext c) throws Exception {
            ListStateDescriptor<String> d = new ListStateDescriptor<>("words", Types.STRING);
            words = union ? c.getOperatorStateStore().getUnionListState(d) : c.getOperatorStateStore().getListState(d);
            restored = new ArrayList<>();
            for (String w : words.get()) {
                restored.add(w);
            }
            Collections.sort(restored);
        }

        @Override
        public void flatMap(String w, Collector<String> out) throws Exception {
            if (!reported) {
                reported = true;
                out.collect("restored " + restored);
            }
            words.add(w);
        }

        @Override
        public void snapshotState(FunctionSnapshotContext c) {
            // the list state is kept current by flatMap
        }
    }

    static RealFlinkLifecycle.Pipeline listPipeline(boolean union) {
        return (env, ident) -> RealFlinkGatedSource.of(env)
            .keyBy(w -> w)
            .flatMap(new ListReport(union))
            .uid("list")
            .name("List")
            .print(ident)
            .uid("print");
    }

    /** p2 until record 7, stop with a savepoint; p3 from it until record 13, stop; p1 to the end. */
    static void listState(boolean union) throws Exception {
        RealFlinkLifecycle.useInput(LIST_INPUT, false);
        Path dir = Files.createTempDirectory("ckptsim-savepoints");
        RealFlinkLifecycle.Pipeline p = listPipeline(union);
        String first = RealFlinkLifecycle.runAndStop(2, null, "first", 7, dir, false, p);
        String second = RealFlinkLifecycle.runAndStop(3, first, "second", 13, dir, false, p);
        RealFlinkLifecycle.gate = Integer.MAX_VALUE;
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(1, second, Map.of());
        p.build(env, "third");
        env.execute("third");
    }

    // ------------------------------------------------------------------ stop --drain

    /** "key@ts"; the gate after record 4 (whose watermark 2199 has fired window [1000, 2000)). */
    static final String[] DRAIN_INPUT = {
        "a@1000", "b@1500", "a@2200", "c@2700",
        "b@2500", "a@2600", "a@3100", "c@4000"
    };

    /** source (p1) -> per-element bounded-out-of-orderness watermarks (500 ms, as
     *  RealFlinkJobs#events) -> (key, 1) -> keyBy -> tumbling 1 s event-time sum (p2) -> print. */
    static void windowPipeline(StreamExecutionEnvironment env, String ident) {
        RealFlinkGatedSource.of(env)
            .assignTimestampsAndWatermarks(RealFlinkJobs.events(500))
            .setParallelism(1)
            .uid("watermarks")
            .map(s -> Tuple2.of(RealFlinkJobs.keyOf(s), 1L))
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1)
            .uid("to-pair")
            .keyBy(t -> t.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofMillis(1000)))
            .sum(1)
            .uid("window")
            .name("Window")
            .print(ident)
            .uid("print");
    }

    /** The window job until record 4, `flink stop` with or without --drain; a second job from
     *  the savepoint (same parallelism) reads the rest and finishes. */
    static void stopWindow(boolean drain) throws Exception {
        RealFlinkLifecycle.useInput(DRAIN_INPUT, false);
        Path dir = Files.createTempDirectory("ckptsim-savepoints");
        String first =
            RealFlinkLifecycle.runAndStop(2, null, "first", 4, dir, drain, RealFlinkOperatorState::windowPipeline);
        RealFlinkLifecycle.gate = Integer.MAX_VALUE;
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, first, Map.of());
        windowPipeline(env, "second");
        env.execute("second");
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("list-state-split-2-3-1", () -> listState(false));
        m.put("list-state-union-2-3-1", () -> listState(true));
        m.put("stop-drain-window", () -> stopWindow(true));
        m.put("stop-no-drain-window", () -> stopWindow(false));
    }
}
