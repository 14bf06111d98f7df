// RealFlinkBroadcastState: session 35's broadcast operator state job
// (scenarios/real-flink/broadcast-state-2-3-1.toml). The list-state jobs of RealFlinkOperatorState
// with the state taken by OperatorStateStore#getBroadcastState (a MapStateDescriptor, the state a
// BroadcastProcessFunction's broadcast side keeps) instead of a list: every subtask keeps the
// words *it* saw, so the copies differ and what each new subtask restores shows which old
// subtask's copy it got (RoundRobinOperatorStateRepartitioner#repartitionBroadcastState: new
// subtask i takes old subtask i % p_old's). Parallelism 2 -> 3 -> 1 from savepoints, the same
// input and gates as list-state-split-2-3-1. Job broadcast-state-failure: the same operator at
// parallelism 2 across one injected failure (a full restart): each subtask restores its own copy.
// Our own code, written for ckptsim (docs/real-flink.md).

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

public class RealFlinkBroadcastState {

    /** Keeps every word it sees in broadcast state (entry n -> the n-th word, after the entries
     *  it restored); at its first record emits "restored [w, ...]": the restored words, sorted. */
    public static final class BroadcastReport extends RichFlatMapFunction<String, String> implements CheckpointedFunction {
        private transient BroadcastState<Integer, String> words;
        private transient List<String> restored;
        private transient boolean reported;

        @Override
        public void initializeState(FunctionInitializationContext c) throws Exception {
            words = c.getOperatorStateStore()
                .getBroadcastState(new MapStateDescriptor<>("words", Types.INT, Types.STRING));
            restored = new ArrayList<>();
            for (Map.Entry<Integer, String> e : words.entries()) {
                restored.add(e.getValue());
            }
            Collections.sort(restored);
        }

        @Override
        public void flatMap(String w, Collector<String> out) throws Exception {
            if (!reported) {
                reported = true;
                out.collect("restored " + restored);
            }
            int next = 0;
            for (Map.Entry<Integer, String> e : words.entries()) {
                next = Math.max(next, e.getKey() + 1);
            }
            words.put(next, w);
        }

        @Override
        public void snapshotState(FunctionSnapshotContext c) {
            // the broadcast state is kept current by flatMap
        }
    }

    static void pipeline(StreamExecutionEnvironment env, String ident) {
        RealFlinkGatedSource.of(env)
            .keyBy(w -> w)
            .flatMap(new BroadcastReport())
            .uid("list")
            .name("List")
            .print(ident)
            .uid("print");
    }

    /** p2 until record 7, stop with a savepoint; p3 from it until record 13, stop; p1 to the end. */
    static void rescale() throws Exception {
        RealFlinkLifecycle.rescale231(RealFlinkOperatorState.LIST_INPUT, 7, 13, RealFlinkBroadcastState::pipeline);
    }

    /** Throws at the first "BOOM" of a run (RealFlinkJobs.THROWN), else passes the word on. */
    static final class FailOnceWord implements MapFunction<String, String> {
        @Override
        public String map(String s) throws InterruptedException {
            if (s.equals("BOOM") && RealFlinkJobs.THROWN.add(s)) {
                throw new RuntimeException("injected failure at " + s);
            }
            return s;
        }
    }

    /** The failure job's input: BOOM after 7 words (the source first waits for a checkpoint
     *  holding all 7: the restart restores exactly them and replays from BOOM). */
    static final String[] FAILURE_INPUT = {"a", "b", "c", "a", "d", "e", "b", "BOOM", "f", "a", "c", "d", "e"};

    /** p2 with checkpoints every 100 ms and fixed-delay 1 x 200 ms: the chained map throws once
     *  at BOOM, every task restarts from the checkpoint taken while the source waited before it. */
    static void failure() throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(FAILURE_INPUT, true);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        env.enableCheckpointing(100);
        RealFlinkGatedSource.of(env)
            .map(new FailOnceWord())
            .setParallelism(1)
            .keyBy(w -> w)
            .flatMap(new BroadcastReport())
            .uid("list")
            .name("List")
            .print()
            .uid("print");
        env.execute("broadcast-state-failure");
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("broadcast-state-2-3-1", RealFlinkBroadcastState::rescale);
        m.put("broadcast-state-failure", RealFlinkBroadcastState::failure);
    }
}
