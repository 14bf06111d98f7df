// RealFlinkLate43 (session 43, late43): unions of a late side output beside other inputs
// (docs/real-flink.md, "Session 43 — late43"), compared with scenarios/real-flink/late-union-of-three.toml,
// join-late-union.toml and their -failure.toml by tests/real_flink.rs:
//
//  * late-union-of-three: RealFlinkFidelity36's numbers -> RealFlinkGraph38's first window (1 s
//    sum, 200 ms allowed lateness, late side output) -> print("sums"); its late elements unioned
//    with two other inputs, the numbers doubled and the numbers with an even value (both read
//    the source's stream) -> print("mixed") at parallelism 1 (a union of a late side output
//    with two other inputs); -failure: across the failure of late-windows-join-failure
//    (RealFlinkGraph37.SIDES_FAILURE_INPUT, the gated source, fixed-delay 1 x 200 ms);
//  * join-late-union: RealFlinkLate42's Orders and Payments -> keyBy -> intervalJoin.between(-400
//    ms, +600 ms) with both late side outputs -> print() of "l|r@ts"; the left late elements'
//    keys unioned with the Orders' keys -> print("mixed") of "key@ts" at parallelism 1, the right
//    late elements -> print("late-right") (a union fed by an interval join's late branch);
//    -failure: across RealFlinkLate42's failure (BOOM before l:b@1400, no watermark restored).
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
import org.apache.flink.streaming.api.functions.co.ProcessJoinFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

public class RealFlinkLate43 {

    /** The first window over `numbers` with its late side output; the late elements, the
     *  numbers doubled and the even numbers in one union -> print("mixed"), parallelism 1. */
    static void unionOfThree(DataStream<Tuple2<String, Long>> numbers) {
        OutputTag<Tuple2<String, Long>> late = RealFlinkGraph38.lateTag("late");
        SingleOutputStreamOperator<Tuple2<String, Long>> sums = RealFlinkGraph38.firstWindow(numbers, late);
        DataStream<Tuple2<String, Long>> doubled = numbers
            .map(t -> Tuple2.of(t.f0, 2 * t.f1))
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1);
        DataStream<Tuple2<String, Long>> evens = numbers.filter(t -> t.f1 % 2 == 0).setParallelism(1);
        sums.getSideOutput(late).union(doubled, evens).print("mixed").setParallelism(1);
    }

    static void lateUnionOfThree() throws Exception {
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        unionOfThree(RealFlinkFidelity36.numbers(env));
        env.execute("late-union-of-three");
    }

    /** late-union-of-three across the failure of RealFlinkGraph38#lateWindowsJoinFailure. */
    static void lateUnionOfThreeFailure() throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(RealFlinkGraph37.SIDES_FAILURE_INPUT, true);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        unionOfThree(RealFlinkFidelity36.sideOf(
            RealFlinkGraph38.failureInput(env, org.apache.flink.core.execution.CheckpointingMode.EXACTLY_ONCE), false, 100));
        env.execute("late-union-of-three-failure");
    }

    /** "row@ts": a row with its own event timestamp. */
    static final class WithTs extends ProcessFunction<String, String> {
        @Override
        public void processElement(String s, Context ctx, Collector<String> out) {
            out.collect(s + "@" + ctx.timestamp());
        }
    }

    /** `left` and `right` keyed -> intervalJoin.between(-400 ms, +600 ms) with both late side
     *  outputs -> print() of "l|r@ts"; the left late elements' keys unioned with `left`'s keys ->
     *  print("mixed") of "key@ts" at parallelism 1; the right late elements -> print("late-right")
     *  of "key@ts". */
    static void joinLateUnion(DataStream<String> left, DataStream<String> right) {
        OutputTag<String> lateLeft = new OutputTag<String>("late-left") {};
        OutputTag<String> lateRight = new OutputTag<String>("late-right") {};
        SingleOutputStreamOperator<String> joined = left
            .keyBy(RealFlinkJobs::keyOf)
            .intervalJoin(right.keyBy(RealFlinkJobs::keyOf))
            .between(Duration.ofMillis(-400), Duration.ofMillis(600))
            .sideOutputLeftLateData(lateLeft)
            .sideOutputRightLateData(lateRight)
            .process(new ProcessJoinFunction<String, String, String>() {
                @Override
                public void processElement(String l, String r, Context ctx, Collector<String> out) {
                    out.collect(RealFlinkJobs.keyOf(l) + "|" + RealFlinkJobs.keyOf(r));
                }
            });
        joined.process(new WithTs()).print();
        DataStream<String> lateKeys = joined.getSideOutput(lateLeft).map(RealFlinkJobs::keyOf).returns(Types.STRING);
        DataStream<String> leftKeys = left.map(RealFlinkJobs::keyOf).returns(Types.STRING).setParallelism(1);
        leftKeys.union(lateKeys).process(new WithTs()).setParallelism(1).print("mixed").setParallelism(1);
        joined.getSideOutput(lateRight).process(new RealFlinkLateJoin.WithTimestamp()).print("late-right");
    }

    /** RealFlinkLate42's INPUT (or FAILURE_INPUT: fixed-delay 1 x 200 ms) from the gated source,
     *  paced, checkpoints every 100 ms -> joinLateUnion; p2. */
    static void joinLateUnion(boolean failure) throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(failure ? RealFlinkLate42.FAILURE_INPUT : RealFlinkLate42.INPUT, failure);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        env.enableCheckpointing(100);
        DataStream<String> input =
            RealFlinkGatedSource.of(env).map(new RealFlinkGraph37.PaceAndFailOnBoom()).setParallelism(1);
        joinLateUnion(RealFlinkGraph37.marked(input, "l:"), RealFlinkGraph37.marked(input, "r:"));
        env.execute(failure ? "join-late-union-failure" : "join-late-union");
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("late-union-of-three", RealFlinkLate43::lateUnionOfThree);
        m.put("late-union-of-three-failure", RealFlinkLate43::lateUnionOfThreeFailure);
        m.put("join-late-union", () -> joinLateUnion(false));
        m.put("join-late-union-failure", () -> joinLateUnion(true));
    }
}
