// RealFlinkBroadcastProcess37 (session 37): a KeyedBroadcastProcessFunction with a broadcast
// input (`words.keyBy(..).connect(rules.broadcast(RULES)).process(..)`, Flink's
// CoBroadcastWithKeyedOperator), whose broadcast side writes a MapState broadcast state
// (ctx.getBroadcastState) the keyed side reads. Measured on real Flink across a failure and a
// 2 -> 3 -> 1 rescale from savepoints (docs/real-flink.md, "Session 37"). ckptsim does not model
// this operator yet (docs/conformance.md, "Session 37"): these jobs are its target, their
// fixtures not yet compared by tests/real_flink.rs.
//
// One gated source (RealFlinkGatedSource, p1) carries both inputs, "r:k m" (a rule: k -> m) and
// "w:k" (a word), paced 250 ms a record, so every subtask has taken a rule before the next
// record arrives: the order of the two inputs at each subtask is the input's. Each word prints
// `(k,m)` with the rule its subtask holds for k (0: none); each subtask's first word prints
// `state [k=m, ...]`, the broadcast state it holds then (after a restore: what it restored).
// Registered by RealFlinkFidelity36#register. Our own code, written for ckptsim; it compiles
// against 1.20.3 and 2.3.0 unchanged.

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

public class RealFlinkBroadcastProcess37 {

    static final MapStateDescriptor<String, Long> RULES = new MapStateDescriptor<>("rules", Types.STRING, Types.LONG);

    /** p2 until record 7, stop with a savepoint; p3 from it until record 14; p1 to the end.
     *  At p3 "flink" is subtask 2's key (murmur hash of String#hashCode, key group * 3 / 128),
     *  so the new subtask shows the copy it restored. */
    static final String[] RESCALE_INPUT = {
        "r:a 2", "r:b 3", "w:a", "w:b", "w:c", "r:c 4", "w:c",
        "r:a 5", "w:a", "w:b", "w:flink", "w:d", "w:c", "r:d 6",
        "w:d", "w:a", "w:b", "w:c"
    };

    /** BOOM after 8 records (the source first waits for a checkpoint holding them). */
    static final String[] FAILURE_INPUT = {
        "r:a 2", "r:b 3", "w:a", "w:b", "w:c", "r:c 4", "w:c", "w:a",
        "BOOM", "r:a 5", "w:a", "w:b", "w:c", "w:d"
    };

    /** Rules write the broadcast state; words read it. */
    static final class ApplyRules extends KeyedBroadcastProcessFunction<String, String, Tuple2<String, Long>, String> {
        private transient boolean reported;

        @Override
        public void processBroadcastElement(Tuple2<String, Long> rule, Context ctx, Collector<String> out) throws Exception {
            ctx.getBroadcastState(RULES).put(rule.f0, rule.f1);
        }

        @Override
        public void processElement(String w, ReadOnlyContext ctx, Collector<String> out) throws Exception {
            if (!reported) {
                reported = true;
                List<String> entries = new ArrayList<>();
                for (Map.Entry<String, Long> e : ctx.getBroadcastState(RULES).immutableEntries()) {
                    entries.add(e.getKey() + "=" + e.getValue());
                }
                Collections.sort(entries);
                out.collect("state " + entries);
            }
            Long m = ctx.getBroadcastState(RULES).get(w);
            out.collect("(" + w + "," + (m == null ? 0 : m) + ")");
        }
    }

    static void pipeline(StreamExecutionEnvironment env, String ident) {
        DataStream<String> input = RealFlinkGatedSource.of(env).map(new RealFlinkGraph37.PaceAndFailOnBoom()).setParallelism(1);
        BroadcastStream<Tuple2<String, Long>> rules = input.filter(s -> s.startsWith("r:"))
            .setParallelism(1)
            .map(s -> {
                String[] kv = s.substring(2).split(" ");
                return Tuple2.of(kv[0], Long.parseLong(kv[1]));
            })
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1)
            .broadcast(RULES);
        var out = input.filter(s -> s.startsWith("w:"))
            .setParallelism(1)
            .map(s -> s.substring(2))
            .setParallelism(1)
            .keyBy(w -> w)
            .connect(rules)
            .process(new ApplyRules())
            .uid("rules")
            .name("Rules");
        if (ident == null) {
            out.print().uid("print");
        } else {
            out.print(ident).uid("print");
        }
    }

    static void rescale() throws Exception {
        RealFlinkLifecycle.rescale231(RESCALE_INPUT, 7, 14, RealFlinkBroadcastProcess37::pipeline);
    }

    static void failure() throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(FAILURE_INPUT, true);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        env.enableCheckpointing(100);
        pipeline(env, null);
        env.execute("broadcast-process-failure");
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("broadcast-process-2-3-1", RealFlinkBroadcastProcess37::rescale);
        m.put("broadcast-process-failure", RealFlinkBroadcastProcess37::failure);
    }
}
