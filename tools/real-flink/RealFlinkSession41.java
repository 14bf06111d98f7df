// RealFlinkSession41 (session 41): event-time session windows (EventTimeSessionWindows.withGap,
// WindowOperator's merging branch, MergingWindowSet) with allowed lateness and a late side output,
// alone, across a failure and across a 2 -> 3 -> 1 rescale from savepoints (docs/real-flink.md,
// "Session 41"):
//
//  * session-windows: keyed numbers "k n@ts" -> per-element watermarks (bound 300 ms) -> keyBy ->
//    session windows, gap 1 s, allowed lateness 1 s, late side output -> sum(1) ->
//    print("sessions"); the side output -> print("late"). Out-of-order elements bridge two
//    sessions of a key into one (a 4@2000 between a 1@1000 and a 2@3000); a late element whose own
//    window is late merges into a fired session that is not (c 2@4000 into c's [5000, 6000)) and
//    fires the merged session again at once; elements late alone go to the side output.
//  * session-windows-failure: the same with a failure after record 8 (the gated source waits for a
//    checkpoint holding records 1-8, a map throws once at BOOM; fixed-delay 1 x 200 ms): the
//    restored job starts its watermark at Long.MIN_VALUE again, so b 4@1500, late before, now opens
//    a session of its own.
//  * session-windows-2-3-1: the same input, stopped with a savepoint after records 5 and 10, at
//    p2, p3, p1: the sessions' contents, their merging window sets and timers move with their key
//    groups; each new job's watermark starts at Long.MIN_VALUE.
//
// One gated source (RealFlinkGatedSource, p1, 250 ms a record) carries the input. Registered by
// RealFlinkFidelity36#register. Our own code, written for ckptsim; it compiles against 1.20.3
// and 2.3.0 unchanged.

import java.time.Duration;
import java.util.Map;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.util.OutputTag;

public class RealFlinkSession41 {

    static final long GAP_MS = 1000;
    static final long LATENESS_MS = 1000;
    static final long BOUND_MS = 300;

    /** The numbers, in arrival order (the scenario's records, 1 s apart there). */
    static final String[] INPUT = {
        "a 1@1000", "a 2@3000", "a 4@2000", "b 1@3500", "a 8@4600", "a 16@3900", "c 1@5000",
        "b 2@3000", "b 4@1500", "d 5@6500", "a 32@4800", "c 2@4000", "e 1@8000", "a 64@5000"
    };

    /** INPUT with BOOM after record 8. */
    static final String[] FAILURE = {
        "a 1@1000", "a 2@3000", "a 4@2000", "b 1@3500", "a 8@4600", "a 16@3900", "c 1@5000",
        "b 2@3000", "BOOM", "b 4@1500", "d 5@6500", "a 32@4800", "c 2@4000", "e 1@8000", "a 64@5000"
    };

    static void sessions(StreamExecutionEnvironment env, String ident) {
        DataStream<Tuple2<String, Long>> numbers = RealFlinkBroadcast39.input(env)
            .filter(s -> !s.startsWith("BOOM"))
            .setParallelism(1)
            .assignTimestampsAndWatermarks(RealFlinkJobs.events(BOUND_MS))
            .setParallelism(1)
            .map(RealFlinkFidelity36::parse)
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1);
        OutputTag<Tuple2<String, Long>> late = RealFlinkGraph38.lateTag("late");
        SingleOutputStreamOperator<Tuple2<String, Long>> sums = numbers
            .keyBy(t -> t.f0)
            .window(EventTimeSessionWindows.withGap(Duration.ofMillis(GAP_MS)))
            .allowedLateness(Duration.ofMillis(LATENESS_MS))
            .sideOutputLateData(late)
            .sum(1)
            .uid("sessions");
        sums.print(ident == null ? "sessions" : ident).uid("print");
        sums.getSideOutput(late).print(ident == null ? "late" : ident).uid("print-late");
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("session-windows", () -> RealFlinkBroadcast39.failure("session-windows", INPUT, RealFlinkSession41::sessions));
        m.put("session-windows-failure", () -> RealFlinkBroadcast39.failure("session-windows-failure", FAILURE, RealFlinkSession41::sessions));
        m.put("session-windows-2-3-1", () -> RealFlinkLifecycle.rescale231(INPUT, 5, 10, RealFlinkSession41::sessions));
    }
}
