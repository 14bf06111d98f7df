// RealFlinkGraph38 (session 38): session 37's graph shapes on real Flink, and the two shapes
// with a window before a late-fed join (docs/real-flink.md, "Session 38"), on the input of
// RealFlinkFidelity36 (NUMBERS, OTHER, the first window with its late side output):
//
//  * late-sum-into-join-at-least-once-failure: RealFlinkGraph37's late-sum-into-join-failure with
//    AT_LEAST_ONCE checkpoints (scenarios/eventtime/late-sum-into-join-at-least-once-2pc.toml);
//  * late-count-into-join-at-least-once-failure: late-count-into-join across the failure of
//    FAILURE_INPUT, AT_LEAST_ONCE checkpoints, print sinks
//    (late-count-into-join-at-least-once-print.toml);
//  * late-join-then-sum-print-failure: RealFlinkFidelity36's late-join-then-sum-failure with a
//    print sink instead of the store (late-join-then-sum-print.toml);
//  * late-window-into-join: the late side output -> keyBy -> a 2 s tumbling sum (a second window,
//    on the side branch) joined over 2 s windows with the first window's own results; -failure:
//    across a failure;
//  * late-windows-join: two windows over the same numbers (1 s sum, 200 ms allowed lateness; 2 s
//    max), each with a late side output, their late elements joined over 4 s windows; -failure
//    (session 40): across a failure (SIDES_FAILURE_INPUT, as late-window-into-join-failure).
// A failure job's BOOM record starts with "BOOM": RealFlinkGatedSource waits before it until a
// checkpoint holding every record before it completed, so no record comes between the restored
// checkpoint and the failure, and a print sink prints nothing twice.
//
// Registered by RealFlinkFidelity36#register; the fixtures are written by RealFlinkJobs#main.
// Our own code, written for ckptsim; it compiles against 1.20.3 and 2.3.0 unchanged.

import java.time.Duration;
import java.util.Map;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.OutputTag;

public class RealFlinkGraph38 {

    /** p2, fixed-delay 1 x 200 ms, checkpoints every 100 ms in `mode` (checked: written to
     *  stderr), FAILURE_INPUT from the gated source paced 250 ms a record, the map chained to it
     *  throwing once at BOOM; the source's stream. */
    static DataStream<String> failureInput(StreamExecutionEnvironment env, CheckpointingMode mode) {
        env.enableCheckpointing(100);
        env.getCheckpointConfig().setCheckpointingConsistencyMode(mode);
        System.err.println("checkpointing mode " + env.getCheckpointConfig().getCheckpointingConsistencyMode());
        return RealFlinkGatedSource.of(env).map(new RealFlinkFidelity36.PaceAndFailOnce()).setParallelism(1);
    }

    static StreamExecutionEnvironment failureEnv() {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(RealFlinkFidelity36.FAILURE_INPUT, true);
        return RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
    }

    /** late-sum-into-join-failure (RealFlinkGraph37) with at-least-once checkpoints
     *  (CheckpointBarrierTracker instead of the aligner): the records come 250 ms apart, so each
     *  barrier passes every channel before the next record and the cut is the aligned one. */
    static void lateSumIntoJoinAtLeastOnceFailure() throws Exception {
        StreamExecutionEnvironment env = failureEnv();
        DataStream<String> input = failureInput(env, CheckpointingMode.AT_LEAST_ONCE);
        DataStream<Tuple2<String, Long>> late = RealFlinkFidelity36.lateOf(RealFlinkFidelity36.sideOf(input, false, 100));
        RealFlinkTwoPc.attach(RealFlinkGraph37.sumIntoJoin(late, RealFlinkFidelity36.sideOf(input, true, 10_000)), 2);
        env.execute("late-sum-into-join-at-least-once-failure");
        RealFlinkJobs.reportExactlyOnce();
    }

    /** late-count-into-join across the failure, at-least-once checkpoints: the late side output
     *  -> (k, 1) -> keyBy -> sum (a running count) -> 2 s window join with the other side ->
     *  print("joined") of `left|right`; the first window's results on print("sums"). */
    static void lateCountIntoJoinAtLeastOnceFailure() throws Exception {
        StreamExecutionEnvironment env = failureEnv();
        DataStream<String> input = failureInput(env, CheckpointingMode.AT_LEAST_ONCE);
        DataStream<Tuple2<String, Long>> counts = RealFlinkFidelity36.lateOf(RealFlinkFidelity36.sideOf(input, false, 100))
            .map(t -> Tuple2.of(t.f0, 1L))
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .keyBy(t -> t.f0)
            .sum(1);
        RealFlinkGraph37.windowJoin(counts, RealFlinkFidelity36.sideOf(input, true, 10_000), 2000, new RealFlinkGraph37.Pair())
            .print("joined");
        env.execute("late-count-into-join-at-least-once-failure");
    }

    /** late-join-then-sum-failure (RealFlinkFidelity36) into print("joined") instead of the store
     *  (exactly-once checkpoints, as the scenario). */
    static void lateJoinThenSumPrintFailure() throws Exception {
        StreamExecutionEnvironment env = failureEnv();
        DataStream<String> input = failureInput(env, CheckpointingMode.EXACTLY_ONCE);
        DataStream<Tuple2<String, Long>> late = RealFlinkFidelity36.lateOf(RealFlinkFidelity36.sideOf(input, false, 100));
        RealFlinkFidelity36.joinThenSum(late, RealFlinkFidelity36.sideOf(input, true, 10_000)).print("joined");
        env.execute("late-join-then-sum-print-failure");
    }

    // ------------------------------------------------------------------ a window before the join

    /** `numbers` -> keyBy -> tumbling 1 s sum, allowed lateness 200 ms, late side output `late`
     *  (p2) -> print("sums"); the window's results (RealFlinkFidelity36#lateOf: its side output). */
    static SingleOutputStreamOperator<Tuple2<String, Long>> firstWindow(DataStream<Tuple2<String, Long>> numbers,
            OutputTag<Tuple2<String, Long>> late) {
        SingleOutputStreamOperator<Tuple2<String, Long>> sums = numbers
            .keyBy(t -> t.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofMillis(1000)))
            .allowedLateness(Duration.ofMillis(200))
            .sideOutputLateData(late)
            .sum(1);
        sums.print("sums");
        return sums;
    }

    static OutputTag<Tuple2<String, Long>> lateTag(String id) {
        return new OutputTag<>(id, Types.TUPLE(Types.STRING, Types.LONG));
    }

    /** `numbers` -> the first window; its late side output -> keyBy -> tumbling 2 s sum (no
     *  allowed lateness: a late element of its own is dropped) -> print("late-sums"); joined with
     *  the first window's results over 2 s windows -> print("joined") of `result|late sum`. A
     *  window result's timestamp is its window's maxTimestamp (WindowOperator#emitWindowContents). */
    static void windowIntoJoin(DataStream<Tuple2<String, Long>> numbers) {
        OutputTag<Tuple2<String, Long>> late = lateTag("late");
        SingleOutputStreamOperator<Tuple2<String, Long>> sums = firstWindow(numbers, late);
        DataStream<Tuple2<String, Long>> lateSums = sums.getSideOutput(late)
            .keyBy(t -> t.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofMillis(2000)))
            .sum(1);
        lateSums.print("late-sums");
        RealFlinkGraph37.windowJoin(sums, lateSums, 2000, new RealFlinkGraph37.Pair()).print("joined");
    }

    static void lateWindowIntoJoin() throws Exception {
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        windowIntoJoin(RealFlinkFidelity36.numbers(env));
        env.execute("late-window-into-join");
    }

    /** late-window-into-join across a failure: RealFlinkGraph37.SIDES_FAILURE_INPUT (the
     *  numbers with "BOOM 0@3000" after k2 4@2900) from the gated source, fixed-delay 1 x 200 ms,
     *  checkpoints every 100 ms. The watermark is not restored: after the restore k2 1@2100 is on
     *  time in the first window, so the late window of k2 never sees it. */
    static void lateWindowIntoJoinFailure() throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(RealFlinkGraph37.SIDES_FAILURE_INPUT, true);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        windowIntoJoin(RealFlinkFidelity36.sideOf(failureInput(env, CheckpointingMode.EXACTLY_ONCE), false, 100));
        env.execute("late-window-into-join-failure");
    }

    /** Two windows over the numbers: the first (1 s sum, 200 ms allowed lateness) and a second
     *  (tumbling 2 s max, no allowed lateness) -> print("maxes"), each with a late side output;
     *  the two late outputs joined over 4 s windows -> print("joined") of `first|second`. */
    static void lateWindowsJoin() throws Exception {
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        windowsJoin(RealFlinkFidelity36.numbers(env));
        env.execute("late-windows-join");
    }

    /** late-windows-join across a failure (session 40): RealFlinkGraph37.SIDES_FAILURE_INPUT
     *  (the numbers with "BOOM 0@3000" after k2 4@2900) from the gated source, fixed-delay
     *  1 x 200 ms, checkpoints every 100 ms, as late-window-into-join-failure. */
    static void lateWindowsJoinFailure() throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(RealFlinkGraph37.SIDES_FAILURE_INPUT, true);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        windowsJoin(RealFlinkFidelity36.sideOf(failureInput(env, CheckpointingMode.EXACTLY_ONCE), false, 100));
        env.execute("late-windows-join-failure");
    }

    /** The two windows of late-windows-join over `numbers`, their late outputs joined. */
    static void windowsJoin(DataStream<Tuple2<String, Long>> numbers) {
        OutputTag<Tuple2<String, Long>> late = lateTag("late");
        OutputTag<Tuple2<String, Long>> lateMax = lateTag("late-max");
        SingleOutputStreamOperator<Tuple2<String, Long>> sums = firstWindow(numbers, late);
        SingleOutputStreamOperator<Tuple2<String, Long>> maxes = numbers
            .keyBy(t -> t.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofMillis(2000)))
            .sideOutputLateData(lateMax)
            .max(1);
        maxes.print("maxes");
        RealFlinkGraph37.windowJoin(sums.getSideOutput(late), maxes.getSideOutput(lateMax), 4000, new RealFlinkGraph37.Pair())
            .print("joined");
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("late-sum-into-join-at-least-once-failure", RealFlinkGraph38::lateSumIntoJoinAtLeastOnceFailure);
        m.put("late-count-into-join-at-least-once-failure", RealFlinkGraph38::lateCountIntoJoinAtLeastOnceFailure);
        m.put("late-join-then-sum-print-failure", RealFlinkGraph38::lateJoinThenSumPrintFailure);
        m.put("late-window-into-join", RealFlinkGraph38::lateWindowIntoJoin);
        m.put("late-window-into-join-failure", RealFlinkGraph38::lateWindowIntoJoinFailure);
        m.put("late-windows-join", RealFlinkGraph38::lateWindowsJoin);
        m.put("late-windows-join-failure", RealFlinkGraph38::lateWindowsJoinFailure);
    }
}
