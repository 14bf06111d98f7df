// RealFlinkBroadcast39 (session 39): the broadcast-process family beyond session 37's job, each
// across a failure and a 2 -> 3 -> 1 rescale from savepoints (docs/real-flink.md, "Session 39"):
//
//  * broadcast-nonkeyed-*: a non-keyed BroadcastProcessFunction (Flink's
//    CoBroadcastWithNonKeyedOperator) over a rebalanced word stream; which subtask prints a row
//    is the rebalance's random start, so the rows print as `ident:any> row` (compared without
//    their subtask);
//  * broadcast-keyed-state-*: a KeyedBroadcastProcessFunction with a per-key ValueState `seen`
//    beside the broadcast state; a rule for k clears k's count through ctx.applyToKeyedState;
//  * broadcast-two-states-*: two MapStateDescriptors ("rules", "limits") on one broadcast
//    stream, each snapshotted and repartitioned on its own.
//
// One gated source (RealFlinkGatedSource, p1) carries both inputs, "r:k m" (a broadcast
// element (k, m); "r:max:k m" a limit in the two-state job) and "w:k" (a word), paced 250 ms a
// record, so every subtask has taken a broadcast element before the next record arrives. Each
// subtask's first word prints `state ...`, the broadcast state(s) it holds then (after a
// restore: what it restored). Registered by RealFlinkFidelity36#register. Our own code, written
// for ckptsim; it compiles against 1.20.3 and 2.3.0 unchanged.

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

public class RealFlinkBroadcast39 {

    static final MapStateDescriptor<String, Long> RULES = new MapStateDescriptor<>("rules", Types.STRING, Types.LONG);
    static final MapStateDescriptor<String, Long> LIMITS = new MapStateDescriptor<>("limits", Types.STRING, Types.LONG);
    static final ValueStateDescriptor<Long> SEEN = new ValueStateDescriptor<>("seen", Types.LONG);

    /** Session 37's inputs for the non-keyed job (p2 until record 7, p3 until 14, p1 after;
     *  BOOM after 8 records, the source first waits for a checkpoint holding them). */
    static final String[] NONKEYED_RESCALE = RealFlinkBroadcastProcess37.RESCALE_INPUT;
    static final String[] NONKEYED_FAILURE = RealFlinkBroadcastProcess37.FAILURE_INPUT;

    /** At p3 "flink" is subtask 2's key: its count moved there with its key group. */
    static final String[] KEYED_RESCALE = {
        "r:a 2", "w:a", "w:b", "w:a", "r:b 3", "w:b", "w:flink",
        "w:a", "w:b", "w:flink", "r:a 5", "w:a", "w:c", "w:flink",
        "w:a", "w:b", "w:c", "w:flink"
    };

    static final String[] KEYED_FAILURE = {
        "r:a 2", "w:a", "w:a", "w:b", "r:b 3", "w:b", "r:a 4", "w:a",
        "BOOM", "w:a", "w:b", "r:b 5", "w:b", "w:c"
    };

    static final String[] TWO_RESCALE = {
        "r:a 2", "r:max:b 4", "w:a", "w:b", "r:b 3", "w:b", "w:c",
        "r:max:a 8", "w:a", "w:b", "w:flink", "w:c", "r:c 1", "w:c",
        "w:a", "w:b", "w:c", "w:flink"
    };

    static final String[] TWO_FAILURE = {
        "r:a 2", "r:max:a 9", "w:a", "w:b", "r:max:b 1", "r:b 3", "w:b", "w:a",
        "BOOM", "r:max:a 7", "w:a", "w:b", "w:c"
    };

    /** `[k=m, ...]`, sorted. */
    static String shown(ReadOnlyBroadcastState<String, Long> state) throws Exception {
        List<String> entries = new ArrayList<>();
        for (Map.Entry<String, Long> e : state.immutableEntries()) {
            entries.add(e.getKey() + "=" + e.getValue());
        }
        Collections.sort(entries);
        return entries.toString();
    }

    static long valueOr0(Long m) {
        return m == null ? 0 : m;
    }

    /** Non-keyed: rules write the broadcast state; words read it. */
    static final class NonKeyedRules extends BroadcastProcessFunction<String, Tuple2<String, Long>, String> {
        private transient boolean reported;

        @Override
        public void processBroadcastElement(Tuple2<String, Long> rule, Context ctx, Collector<String> out) throws Exception {
            ctx.getBroadcastState(RULES).put(rule.f0, rule.f1);
        }

        @Override
        public void processElement(String w, ReadOnlyContext ctx, Collector<String> out) throws Exception {
            if (!reported) {
                reported = true;
                out.collect("state " + shown(ctx.getBroadcastState(RULES)));
            }
            out.collect("(" + w + "," + valueOr0(ctx.getBroadcastState(RULES).get(w)) + ")");
        }
    }

    /** Keyed with a per-key count: a word prints (w, rule, count since w's last rule); a rule
     *  for k clears k's count on every subtask's keys (applyToKeyedState). */
    static final class CountingRules extends KeyedBroadcastProcessFunction<String, String, Tuple2<String, Long>, String> {
        private transient boolean reported;

        @Override
        public void processBroadcastElement(Tuple2<String, Long> rule, Context ctx, Collector<String> out) throws Exception {
            ctx.getBroadcastState(RULES).put(rule.f0, rule.f1);
            ctx.applyToKeyedState(SEEN, (key, state) -> {
                if (key.equals(rule.f0)) {
                    state.clear();
                }
            });
        }

        @Override
        public void processElement(String w, ReadOnlyContext ctx, Collector<String> out) throws Exception {
            if (!reported) {
                reported = true;
                out.collect("state " + shown(ctx.getBroadcastState(RULES)));
            }
            ValueState<Long> seen = getRuntimeContext().getState(SEEN);
            long n = valueOr0(seen.value()) + 1;
            seen.update(n);
            out.collect("(" + w + "," + valueOr0(ctx.getBroadcastState(RULES).get(w)) + "," + n + ")");
        }
    }

    /** Keyed with two broadcast states: "max:k" elements go to `limits`, the others to `rules`;
     *  a word prints (w, rule, limit). */
    static final class TwoStates extends KeyedBroadcastProcessFunction<String, String, Tuple2<String, Long>, String> {
        private transient boolean reported;

        @Override
        public void processBroadcastElement(Tuple2<String, Long> rule, Context ctx, Collector<String> out) throws Exception {
            if (rule.f0.startsWith("max:")) {
                BroadcastState<String, Long> limits = ctx.getBroadcastState(LIMITS);
                limits.put(rule.f0.substring(4), rule.f1);
            } else {
                ctx.getBroadcastState(RULES).put(rule.f0, rule.f1);
            }
        }

        @Override
        public void processElement(String w, ReadOnlyContext ctx, Collector<String> out) throws Exception {
            if (!reported) {
                reported = true;
                out.collect("state rules " + shown(ctx.getBroadcastState(RULES)) + " limits " + shown(ctx.getBroadcastState(LIMITS)));
            }
            long m = valueOr0(ctx.getBroadcastState(RULES).get(w));
            long x = valueOr0(ctx.getBroadcastState(LIMITS).get(w));
            out.collect("(" + w + "," + m + "," + x + ")");
        }
    }

    /** Prints `ident:any> row` (the subtask is the rebalance's random start: not compared). */
    static final class PrintAny implements MapFunction<String, String> {
        private final String ident;

        PrintAny(String ident) {
            this.ident = ident;
        }

        @Override
        public String map(String s) {
            System.out.println(ident + ":any> " + s);
            return s;
        }
    }

    static DataStream<String> input(StreamExecutionEnvironment env) {
        return RealFlinkGatedSource.of(env).map(new RealFlinkGraph37.PaceAndFailOnBoom()).setParallelism(1);
    }

    static BroadcastStream<Tuple2<String, Long>> rules(DataStream<String> input, MapStateDescriptor<?, ?>... states) {
        return input.filter(s -> s.startsWith("r:"))
            .setParallelism(1)
            .map(s -> {
                String[] kv = s.substring(2).split(" ");
                return Tuple2.of(kv[0], Long.parseLong(kv[1]));
            })
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1)
            .broadcast(states);
    }

    static DataStream<String> words(DataStream<String> input) {
        return input.filter(s -> s.startsWith("w:")).setParallelism(1).map(s -> s.substring(2)).setParallelism(1);
    }

    static void print(DataStream<String> out, String ident) {
        if (ident == null) {
            out.print().uid("print");
        } else {
            out.print(ident).uid("print");
        }
    }

    static void nonKeyed(StreamExecutionEnvironment env, String ident) {
        DataStream<String> input = input(env);
        words(input).rebalance()
            .connect(rules(input, RULES))
            .process(new NonKeyedRules())
            .uid("rules")
            .name("Rules")
            .map(new PrintAny(ident == null ? "Out" : ident))
            .uid("print-any")
            .filter(s -> false)
            .uid("none")
            .print()
            .uid("print");
    }

    static void keyedState(StreamExecutionEnvironment env, String ident) {
        DataStream<String> input = input(env);
        print(words(input).keyBy(w -> w).connect(rules(input, RULES)).process(new CountingRules()).uid("rules").name("Rules"), ident);
    }

    static void twoStates(StreamExecutionEnvironment env, String ident) {
        DataStream<String> input = input(env);
        print(words(input).keyBy(w -> w).connect(rules(input, RULES, LIMITS)).process(new TwoStates()).uid("rules").name("Rules"), ident);
    }

    static void failure(String name, String[] input, RealFlinkLifecycle.Pipeline pipeline) throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(input, true);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        env.enableCheckpointing(100);
        pipeline.build(env, null);
        env.execute(name);
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("broadcast-nonkeyed-2-3-1", () -> RealFlinkLifecycle.rescale231(NONKEYED_RESCALE, 7, 14, RealFlinkBroadcast39::nonKeyed));
        m.put("broadcast-nonkeyed-failure", () -> failure("broadcast-nonkeyed-failure", NONKEYED_FAILURE, RealFlinkBroadcast39::nonKeyed));
        m.put("broadcast-keyed-state-2-3-1", () -> RealFlinkLifecycle.rescale231(KEYED_RESCALE, 7, 14, RealFlinkBroadcast39::keyedState));
        m.put("broadcast-keyed-state-failure", () -> failure("broadcast-keyed-state-failure", KEYED_FAILURE, RealFlinkBroadcast39::keyedState));
        m.put("broadcast-two-states-2-3-1", () -> RealFlinkLifecycle.rescale231(TWO_RESCALE, 7, 14, RealFlinkBroadcast39::twoStates));
        m.put("broadcast-two-states-failure", () -> failure("broadcast-two-states-failure", TWO_FAILURE, RealFlinkBroadcast39::twoStates));
    }
}
