// RealFlinkSession43 (session 43): event-time session windows in two more shapes users write
// (docs/real-flink.md, "Session 43"), each alone, across a failure and across a 2 -> 3 -> 1 rescale
// from savepoints:
//
//  * session-then-sum: keyed numbers "k n@ts" -> per-element watermarks (bound 300 ms) -> keyBy ->
//    session windows, gap 1 s, allowed lateness 1 s, late side output -> sum(1) -> keyBy ->
//    sum(1) -> print("totals") (each key's running total over its session results, a late
//    firing of a merged session adding the whole merged session again); the side output ->
//    print("late"). The input of RealFlinkSession41.
//  * session-beside-tumbling: the same numbers -> keyBy -> session windows, gap 1 s -> sum(1) ->
//    print("sessions"), and the numbers -> keyBy -> tumbling windows of 2 s -> max(1) ->
//    print("tumbling"): two windows over one input, each on its own branch.
//
// The failure jobs read BOOM after record 8 (the gated source waits for a checkpoint holding
// records 1-8, a map throws once at BOOM; fixed-delay 1 x 200 ms); the 2-3-1 jobs stop with a
// savepoint after records 5 and 10. One gated source (RealFlinkGatedSource, p1, 250 ms a record)
// carries the input. Registered by RealFlinkFidelity36#register. Our own code, written for
// ckptsim; it compiles against 1.20.3 and 2.3.0 unchanged.

import java.time.Duration;
import java.util.Map;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.OutputTag;

public class RealFlinkSession43 {

    static final long GAP_MS = 1000;
    static final long LATENESS_MS = 1000;
    static final long TUMBLE_MS = 2000;

    /** The timestamped pairs of RealFlinkSession41's input, BOOM lines left out. */
    static DataStream<Tuple2<String, Long>> numbers(StreamExecutionEnvironment env) {
        return RealFlinkBroadcast39.input(env)
            .filter(s -> !s.startsWith("BOOM"))
            .setParallelism(1)
            .assignTimestampsAndWatermarks(RealFlinkJobs.events(RealFlinkSession41.BOUND_MS))
            .setParallelism(1)
            .map(RealFlinkFidelity36::parse)
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1);
    }

    static void thenSum(StreamExecutionEnvironment env, String ident) {
        OutputTag<Tuple2<String, Long>> late = RealFlinkGraph38.lateTag("late");
        SingleOutputStreamOperator<Tuple2<String, Long>> sums = numbers(env)
            .keyBy(t -> t.f0)
            .window(EventTimeSessionWindows.withGap(Duration.ofMillis(GAP_MS)))
            .allowedLateness(Duration.ofMillis(LATENESS_MS))
            .sideOutputLateData(late)
            .sum(1)
            .uid("sessions");
        sums.keyBy(t -> t.f0)
            .sum(1)
            .uid("totals")
            .print(ident == null ? "totals" : ident)
            .uid("print-totals");
        sums.getSideOutput(late).print(ident == null ? "late" : ident).uid("print-late");
    }

    static void besideTumbling(StreamExecutionEnvironment env, String ident) {
        DataStream<Tuple2<String, Long>> numbers = numbers(env);
        numbers.keyBy(t -> t.f0)
            .window(EventTimeSessionWindows.withGap(Duration.ofMillis(GAP_MS)))
            .sum(1)
            .uid("sessions")
            .print(ident == null ? "sessions" : ident)
            .uid("print-sessions");
        numbers.keyBy(t -> t.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofMillis(TUMBLE_MS)))
            .max(1)
            .uid("tumbling")
            .print(ident == null ? "tumbling" : ident)
            .uid("print-tumbling");
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        String[] input = RealFlinkSession41.INPUT;
        String[] failure = RealFlinkSession41.FAILURE;
        m.put("session-then-sum", () -> RealFlinkBroadcast39.failure("session-then-sum", input, RealFlinkSession43::thenSum));
        m.put("session-then-sum-failure",
            () -> RealFlinkBroadcast39.failure("session-then-sum-failure", failure, RealFlinkSession43::thenSum));
        m.put("session-then-sum-2-3-1", () -> RealFlinkLifecycle.rescale231(input, 5, 10, RealFlinkSession43::thenSum));
        m.put("session-beside-tumbling",
            () -> RealFlinkBroadcast39.failure("session-beside-tumbling", input, RealFlinkSession43::besideTumbling));
        m.put("session-beside-tumbling-failure",
            () -> RealFlinkBroadcast39.failure("session-beside-tumbling-failure", failure, RealFlinkSession43::besideTumbling));
        m.put("session-beside-tumbling-2-3-1",
            () -> RealFlinkLifecycle.rescale231(input, 5, 10, RealFlinkSession43::besideTumbling));
    }
}
