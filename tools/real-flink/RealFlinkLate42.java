// RealFlinkLate42 (session 42, late42): an interval join's and an event-time window's late side
// outputs in one job (docs/real-flink.md, "Session 42 (late42)"), compared with
// scenarios/real-flink/join-and-window-late.toml and -failure.toml by tests/real_flink.rs:
//
//  * join-and-window-late: Orders and Payments ("l:" / "r:" of one gated input, paced, each with
//    per-element watermarks, bound 200 ms) -> keyBy -> intervalJoin.between(-400 ms, +600 ms)
//    with both late side outputs (RealFlinkLateJoin's rows), and beside it Orders -> (key, 1) ->
//    keyBy -> a tumbling 500 ms event-time window sum with its own late side output ->
//    print("counts") and print("late-window") of "(key,n)@ts". The window's watermark is Orders'
//    alone, the join's the minimum of both inputs': l:b@1300 is late at the window and joins at
//    the join, l:a@1600 the reverse, l:b@1400 is late at both;
//  * join-and-window-late-failure: the same with "BOOM@1000" before l:b@1400: the gated source
//    waits before it for a checkpoint holding every record before it, the map after the source
//    throws once there (fixed-delay 1 x 200 ms, checkpoints every 100 ms); no watermark is
//    restored, so l:b@1400 and r:b@1300 are on time after the restore in both operators;
//  * late-windows-union: RealFlinkGraph38's two windows over the numbers (1 s sum with 200 ms
//    allowed lateness, 2 s max), each with a late side output, the two late outputs unioned
//    (the first as it is, the second doubled) into one print("late") (two late side branches
//    in one union; scenarios/real-flink/late-windows-union.toml); -failure: across the failure
//    of late-windows-join-failure (RealFlinkGraph37.SIDES_FAILURE_INPUT).
//
// Registered by RealFlinkFidelity36#register; the fixtures are written by RealFlinkJobs#main.
// Our own code, written for ckptsim; it compiles against 1.20.3 and 2.3.0 unchanged.

import java.time.Duration;
import java.util.Map;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

public class RealFlinkLate42 {

    /** One input for both sides, "l:" (Orders) or "r:" (Payments) then "key@ts", in arrival
     *  order (RealFlinkGraph37.BOTH_LATE_INPUT with l:b@1300 after l:c@2000 and l:b@1400 after
     *  l:a@1600). */
    static final String[] INPUT = {
        "l:a@1000", "r:b@1000", "r:a@1500", "l:b@1250", "l:c@2000", "l:b@1300", "r:c@2100",
        "l:a@1600", "l:b@1400", "r:b@1300", "l:a@3000", "r:a@3200"
    };

    /** INPUT with "BOOM@1000" before l:b@1400 (unmarked: it reaches neither side). */
    static final String[] FAILURE_INPUT = {
        "l:a@1000", "r:b@1000", "r:a@1500", "l:b@1250", "l:c@2000", "l:b@1300", "r:c@2100",
        "l:a@1600", "BOOM@1000", "l:b@1400", "r:b@1300", "l:a@3000", "r:a@3200"
    };

    /** "(key,n)@ts": a window result or late element with its own event timestamp. */
    static final class PairWithTimestamp extends ProcessFunction<Tuple2<String, Long>, String> {
        @Override
        public void processElement(Tuple2<String, Long> t, Context ctx, Collector<String> out) {
            out.collect(t + "@" + ctx.timestamp());
        }
    }

    /** Orders -> (key, 1) -> keyBy -> tumbling 500 ms sum with a late side output ->
     *  print("counts"), print("late-window"). */
    static void windowWithLateSide(DataStream<String> orders) {
        OutputTag<Tuple2<String, Long>> late = new OutputTag<>("late-window", Types.TUPLE(Types.STRING, Types.LONG));
        SingleOutputStreamOperator<Tuple2<String, Long>> counts = orders
            .map(s -> Tuple2.of(RealFlinkJobs.keyOf(s), 1L))
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1)
            .keyBy(t -> t.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofMillis(500)))
            .sideOutputLateData(late)
            .sum(1);
        counts.process(new PairWithTimestamp()).print("counts");
        counts.getSideOutput(late).process(new PairWithTimestamp()).print("late-window");
    }

    /** INPUT (or FAILURE_INPUT: fixed-delay 1 x 200 ms) from the gated source, paced, checkpoints
     *  every 100 ms -> the interval join with both late sides and the window beside it; p2. */
    static void joinAndWindowLate(boolean failure) throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(failure ? FAILURE_INPUT : INPUT, failure);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        env.enableCheckpointing(100);
        DataStream<String> input =
            RealFlinkGatedSource.of(env).map(new RealFlinkGraph37.PaceAndFailOnBoom()).setParallelism(1);
        DataStream<String> orders = RealFlinkGraph37.marked(input, "l:");
        RealFlinkLateJoin.printJoinWithLateSides(orders, RealFlinkGraph37.marked(input, "r:"));
        windowWithLateSide(orders);
        env.execute(failure ? "join-and-window-late-failure" : "join-and-window-late");
    }

    /** The two windows of RealFlinkGraph38#windowsJoin over `numbers` (results -> print("sums"),
     *  print("maxes")), their late outputs unioned: the first's as it is, the second's doubled
     *  (k, 2n) -> print("late"). */
    static void windowsUnion(DataStream<Tuple2<String, Long>> numbers) {
        OutputTag<Tuple2<String, Long>> late = RealFlinkGraph38.lateTag("late");
        OutputTag<Tuple2<String, Long>> lateMax = RealFlinkGraph38.lateTag("late-max");
        SingleOutputStreamOperator<Tuple2<String, Long>> sums = RealFlinkGraph38.firstWindow(numbers, late);
        SingleOutputStreamOperator<Tuple2<String, Long>> maxes = numbers
            .keyBy(t -> t.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofMillis(2000)))
            .sideOutputLateData(lateMax)
            .max(1);
        maxes.print("maxes");
        DataStream<Tuple2<String, Long>> first = sums.getSideOutput(late)
            .map(t -> t)
            .returns(Types.TUPLE(Types.STRING, Types.LONG));
        first.union(RealFlinkGraph37.doubled(maxes.getSideOutput(lateMax))).print("late");
    }

    static void lateWindowsUnion() throws Exception {
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        windowsUnion(RealFlinkFidelity36.numbers(env));
        env.execute("late-windows-union");
    }

    /** late-windows-union across the failure of RealFlinkGraph38#lateWindowsJoinFailure. */
    static void lateWindowsUnionFailure() throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(RealFlinkGraph37.SIDES_FAILURE_INPUT, true);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        windowsUnion(RealFlinkFidelity36.sideOf(
            RealFlinkGraph38.failureInput(env, org.apache.flink.core.execution.CheckpointingMode.EXACTLY_ONCE), false, 100));
        env.execute("late-windows-union-failure");
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("late-windows-union", RealFlinkLate42::lateWindowsUnion);
        m.put("late-windows-union-failure", RealFlinkLate42::lateWindowsUnionFailure);
        m.put("join-and-window-late", () -> joinAndWindowLate(false));
        m.put("join-and-window-late-failure", () -> joinAndWindowLate(true));
    }
}
