// RealFlinkSession42 (session 42): event-time session windows where users put them, beyond a
// line: after a union of two streams, each with its own watermark strategy, with functions after
// the window and two sinks reading it (docs/real-flink.md, "Session 42"):
//
//  * session-union-branches: "A:k n@ts" and "B:k n@ts" lines from one gated source, split by
//    their tag into two streams, each with per-element watermarks (A bound 300 ms, B bound 500 ms)
//    -> union -> keyBy -> session windows, gap 1 s -> sum(1); the sums -> map (k, 2n) ->
//    print("doubled") and the sums -> filter (even n) -> print("evens"). Sessions merge across
//    the two streams (a 4@1800 from B bridges a 1@1000 from A and a 2@2500 from B); the window's
//    watermark is the minimum of the two streams', so a session fires only once both passed it.
//  * session-union-branches-failure: the same with a failure after record 8 (the gated source
//    waits for a checkpoint holding records 1-8, a map throws once at BOOM; fixed-delay 1 x
//    200 ms): both watermark generators start again at Long.MIN_VALUE.
//  * session-union-branches-2-3-1: the same input, stopped with a savepoint after records 5 and
//    10, at p2, p3, p1.
//
// One gated source (RealFlinkGatedSource, p1, 250 ms a record) carries the input, so every
// element and watermark reaches the window before the next one (the scenarios' two log sources
// read the A and B records 1 s apart, in this order). Registered by RealFlinkFidelity36#register.
// Our own code, written for ckptsim; it compiles against 1.20.3 and 2.3.0 unchanged.

import java.time.Duration;
import java.util.Map;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;

public class RealFlinkSession42 {

    static final long GAP_MS = 1000;

    /** The tagged numbers, in arrival order (the scenarios' records, 1 s apart there). */
    static final String[] INPUT = {
        "A:a 1@1000", "B:a 2@2500", "A:b 1@1200", "B:a 4@1800", "A:a 8@3000", "B:c 5@3300", "A:b 3@3600",
        "B:c 6@4000", "A:a 16@6000", "B:b 10@4500", "A:c 7@5500", "B:a 32@6500", "A:c 63@6000", "B:d 2@9000"
    };

    /** INPUT with BOOM after record 8. */
    static final String[] FAILURE = {
        "A:a 1@1000", "B:a 2@2500", "A:b 1@1200", "B:a 4@1800", "A:a 8@3000", "B:c 5@3300", "A:b 3@3600",
        "B:c 6@4000", "BOOM", "A:a 16@6000", "B:b 10@4500", "A:c 7@5500", "B:a 32@6500", "A:c 63@6000",
        "B:d 2@9000"
    };

    /** The lines tagged `tag`, untagged, with per-element watermarks of `boundMs`. */
    static DataStream<Tuple2<String, Long>> stream(DataStream<String> input, String tag, long boundMs) {
        return input.filter(s -> s.startsWith(tag + ":"))
            .setParallelism(1)
            .map(s -> s.substring(tag.length() + 1))
            .setParallelism(1)
            .assignTimestampsAndWatermarks(RealFlinkJobs.events(boundMs))
            .setParallelism(1)
            .map(RealFlinkFidelity36::parse)
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1);
    }

    static void sessions(StreamExecutionEnvironment env, String ident) {
        DataStream<String> input = RealFlinkBroadcast39.input(env).filter(s -> !s.startsWith("BOOM")).setParallelism(1);
        SingleOutputStreamOperator<Tuple2<String, Long>> sums = stream(input, "A", 300)
            .union(stream(input, "B", 500))
            .keyBy(t -> t.f0)
            .window(EventTimeSessionWindows.withGap(Duration.ofMillis(GAP_MS)))
            .sum(1)
            .uid("sessions");
        sums.map(t -> Tuple2.of(t.f0, 2 * t.f1))
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .uid("double")
            .print(ident == null ? "doubled" : ident)
            .uid("print-doubled");
        sums.filter(t -> t.f1 % 2 == 0)
            .uid("even")
            .print(ident == null ? "evens" : ident)
            .uid("print-evens");
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("session-union-branches",
            () -> RealFlinkBroadcast39.failure("session-union-branches", INPUT, RealFlinkSession42::sessions));
        m.put("session-union-branches-failure",
            () -> RealFlinkBroadcast39.failure("session-union-branches-failure", FAILURE, RealFlinkSession42::sessions));
        m.put("session-union-branches-2-3-1",
            () -> RealFlinkLifecycle.rescale231(INPUT, 5, 10, RealFlinkSession42::sessions));
    }
}
