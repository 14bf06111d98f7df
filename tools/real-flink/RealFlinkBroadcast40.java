// RealFlinkBroadcast40 (session 40): event-time timers in a KeyedBroadcastProcessFunction
// (Flink's CoBroadcastWithKeyedOperator#onEventTime), across a failure and a 2 -> 3 -> 1
// rescale from savepoints (docs/real-flink.md, "Session 40"):
//
//  * broadcast-timers-failure, broadcast-timers-2-3-1: session 39's counting rule function
//    (a word w prints (w,rule,count), a rule for k clears k's count through applyToKeyedState)
//    where every word at timestamp t also registers an event-time timer at t + 1500 ms
//    (ctx.timerService().registerEventTimeTimer); onTimer prints `timer@T (k,rule,count)`: the
//    rule and the count the key holds when the timer fires (ReadOnlyContext of OnTimerContext).
//
// One gated source (RealFlinkGatedSource, p1) carries both inputs, "r:k m" (a broadcast element
// (k, m)) and "w:k@t" (a word at event time t), paced 250 ms a record. Each side gets its own
// per-element watermarks after its filter (RealFlinkJobs.events): a word's side the largest word
// timestamp - 1, the rule side RULE_TS - 1 from its first rule on (every rule is stamped
// RULE_TS), so the operator's combined watermark (min of both inputs) is the words' watermark
// once a rule arrived and MIN before. The timers are keyed state of the keyed backend: they are
// snapshotted per key group, restored after the failure, and moved with their key group on
// rescale (`flink` to the new subtask 3 at p3). A word before the watermark (late: `w:flink@3500`
// in the second job) still registers its timer; Flink keeps one timer per (key, timestamp), so
// its timer at 5000 fires once. Each subtask's first word prints `state ...`, the broadcast state
// it holds then. Registered by RealFlinkFidelity36#register. Our own code, written for ckptsim;
// it compiles against 1.20.3 and 2.3.0 unchanged.

import java.util.Map;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

public class RealFlinkBroadcast40 {

    /** A timer at a word's timestamp + DELAY_MS. */
    static final long DELAY_MS = 1500;

    /** Every rule's timestamp: its side's watermark stays above every word's (2^40). */
    static final long RULE_TS = 1L << 40;

    /** p2; BOOM after 8 records (the source first waits for a checkpoint holding them). At p2
     *  `a` is subtask 2's key, `b` and `c` subtask 1's. */
    static final String[] FAILURE = {
        "r:a 2", "w:a@1000", "w:b@1500", "w:a@2000", "r:b 3", "w:c@2600", "w:b@3100", "r:a 4",
        "BOOM", "r:b 5", "w:a@3700", "w:b@4200", "w:c@4700", "r:c 7", "w:a@5300"
    };

    /** Stops after records 7 and 14. At p3 `flink` is subtask 3's key (its count and timer move
     *  there), `a` and `c` subtask 2's, `b` subtask 1's. `w:flink@3500` is behind the watermark
     *  (4399) and registers the timer at 5000 again. */
    static final String[] RESCALE = {
        "r:a 2", "w:a@1000", "w:b@1200", "w:flink@1400", "r:b 3", "w:a@2600", "w:b@2800",
        "r:c 1", "w:c@3000", "w:flink@3500", "r:a 5", "w:a@4200", "w:b@4400", "w:flink@3500",
        "r:b 6", "w:c@5100", "w:a@5700", "w:flink@6000"
    };

    /** RealFlinkBroadcast39's counting rules with a timer per word. */
    static final class TimedCountingRules extends KeyedBroadcastProcessFunction<String, String, Tuple2<String, Long>, String> {
        private transient boolean reported;

        @Override
        public void processBroadcastElement(Tuple2<String, Long> rule, Context ctx, Collector<String> out) throws Exception {
            ctx.getBroadcastState(RealFlinkBroadcast39.RULES).put(rule.f0, rule.f1);
            ctx.applyToKeyedState(RealFlinkBroadcast39.SEEN, (key, state) -> {
                if (key.equals(rule.f0)) {
                    state.clear();
                }
            });
        }

        @Override
        public void processElement(String w, ReadOnlyContext ctx, Collector<String> out) throws Exception {
            if (!reported) {
                reported = true;
                out.collect("state " + RealFlinkBroadcast39.shown(ctx.getBroadcastState(RealFlinkBroadcast39.RULES)));
            }
            ValueState<Long> seen = getRuntimeContext().getState(RealFlinkBroadcast39.SEEN);
            long n = RealFlinkBroadcast39.valueOr0(seen.value()) + 1;
            seen.update(n);
            ctx.timerService().registerEventTimeTimer(ctx.timestamp() + DELAY_MS);
            long m = RealFlinkBroadcast39.valueOr0(ctx.getBroadcastState(RealFlinkBroadcast39.RULES).get(w));
            out.collect("(" + w + "," + m + "," + n + ")");
        }

        @Override
        public void onTimer(long timestamp, OnTimerContext ctx, Collector<String> out) throws Exception {
            String k = ctx.getCurrentKey();
            long m = RealFlinkBroadcast39.valueOr0(ctx.getBroadcastState(RealFlinkBroadcast39.RULES).get(k));
            long n = RealFlinkBroadcast39.valueOr0(getRuntimeContext().getState(RealFlinkBroadcast39.SEEN).value());
            out.collect("timer@" + timestamp + " (" + k + "," + m + "," + n + ")");
        }
    }

    static void timers(StreamExecutionEnvironment env, String ident) {
        DataStream<String> input = RealFlinkBroadcast39.input(env);
        DataStream<String> words = input.filter(s -> s.startsWith("w:"))
            .setParallelism(1)
            .map(s -> s.substring(2))
            .setParallelism(1)
            .assignTimestampsAndWatermarks(RealFlinkJobs.events(0))
            .setParallelism(1)
            .map(RealFlinkJobs::keyOf)
            .setParallelism(1);
        WatermarkStrategy<String> ruleTime = WatermarkStrategy
            .<String>forGenerator(ctx -> new RealFlinkJobs.PerEventBounded(0))
            .withTimestampAssigner((s, prev) -> RULE_TS);
        BroadcastStream<Tuple2<String, Long>> rules = input.filter(s -> s.startsWith("r:"))
            .setParallelism(1)
            .assignTimestampsAndWatermarks(ruleTime)
            .setParallelism(1)
            .map(s -> {
                String[] kv = s.substring(2).split(" ");
                return Tuple2.of(kv[0], Long.parseLong(kv[1]));
            })
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1)
            .broadcast(RealFlinkBroadcast39.RULES);
        RealFlinkBroadcast39.print(
            words.keyBy(w -> w).connect(rules).process(new TimedCountingRules()).uid("rules").name("Rules"), ident);
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("broadcast-timers-2-3-1", () -> RealFlinkLifecycle.rescale231(RESCALE, 7, 14, RealFlinkBroadcast40::timers));
        m.put("broadcast-timers-failure", () -> RealFlinkBroadcast39.failure("broadcast-timers-failure", FAILURE, RealFlinkBroadcast40::timers));
    }
}
