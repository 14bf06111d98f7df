// RealFlinkGraph37 (session 37): session 36's graph shapes, which no real Flink run had checked
// yet (docs/real-flink.md, "Session 37"), on the input of RealFlinkFidelity36 (NUMBERS, OTHER,
// the first window with its late side output):
//
//  * late-sum-into-join: the late side output -> keyBy -> sum -> map(2n) -> keyBy -> intervalJoin
//    with the second source (scenarios/eventtime/late-sum-into-join-2pc.toml); -failure: across
//    a failure, into the two-phase-commit store;
//  * late-count-into-join: the late side output -> keyBy -> running count -> keyBy -> 2 s window
//    join with the second source (late-count-into-join-print.toml);
//  * late-sides-join: the late side output read by two branches (one doubling) -> 4 s window join
//    (late-sides-join-2pc.toml); -failure: across a failure, (k, l + r) into the store;
//  * late-self-join: the late side output joined with itself over 2 s windows
//    (late-self-join-print.toml);
//  * late-sides-interval-join: the two late branches into an interval join (its watermark is the
//    window's, so every late element is late there too and is dropped);
//  * interval-join-both-late: an interval join with a late element in each input and both late
//    side outputs on print sinks (scenarios/graphs/interval-join-late-print.toml); -failure: a
//    failure just before the two late elements: the watermark is not restored, so after the
//    restore both are on time and join the restored buffers instead.
// A failure job's BOOM record starts with "BOOM": RealFlinkGatedSource waits before such a record
// until a checkpoint holding every record before it completed (a first version marked it
// "l:BOOM" and restored from whichever checkpoint had completed: rows differed between runs).
//
// Registered by RealFlinkFidelity36#register; the fixtures are written by RealFlinkJobs#main.
// Our own code, written for ckptsim; it compiles against 1.20.3 and 2.3.0 unchanged.

import java.time.Duration;
import java.util.Map;

import org.apache.flink.api.common.functions.JoinFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.co.ProcessJoinFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.Collector;

public class RealFlinkGraph37 {

    /** RealFlinkFidelity36.FAILURE_INPUT without the other side: NUMBERS with "BOOM 0@3000"
     *  after k2 4@2900 (the gated source waits before it for a checkpoint holding every record
     *  before it). */
    static final String[] SIDES_FAILURE_INPUT = {
        "k0 4@500", "k1 3@1300", "k0 5@900", "k0 9@700", "k2 6@2400", "k1 2@2500", "k1 7@1950",
        "k0 1@3300", "k2 4@2900", "BOOM 0@3000", "k2 1@2100", "k0 2@4200", "k0 3@3500", "k1 8@2200",
        "k2 5@5000", "k0 6@3800", "k1 1@5200"
    };

    /** (k, n) -> (k, 2n). */
    static DataStream<Tuple2<String, Long>> doubled(DataStream<Tuple2<String, Long>> s) {
        return s.map(t -> Tuple2.of(t.f0, 2 * t.f1)).returns(Types.TUPLE(Types.STRING, Types.LONG));
    }

    /** late -> keyBy -> sum -> map(2n) -> keyBy -> intervalJoin(other).between(-1.5 s, +1.5 s)
     *  -> (k, l + r). The sum (StreamGroupedReduceOperator) keeps each element's timestamp. */
    static DataStream<Tuple2<String, Long>> sumIntoJoin(DataStream<Tuple2<String, Long>> late,
            DataStream<Tuple2<String, Long>> other) {
        return RealFlinkFidelity36.joinSummed(doubled(late.keyBy(t -> t.f0).sum(1)), other);
    }

    static void lateSumIntoJoin() throws Exception {
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        DataStream<Tuple2<String, Long>> other = RealFlinkFidelity36.otherSource(env);
        sumIntoJoin(RealFlinkFidelity36.lateOfWindow(env), other).print("joined");
        env.execute("late-sum-into-join");
    }

    /** late-sum-into-join across a failure (RealFlinkFidelity36.FAILURE_INPUT: one gated source
     *  for both sides, the map chained to it throws once at BOOM), into the two-phase-commit store. */
    static void lateSumIntoJoinFailure() throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(RealFlinkFidelity36.FAILURE_INPUT, true);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        env.enableCheckpointing(100);
        DataStream<String> input =
            RealFlinkGatedSource.of(env).map(new RealFlinkFidelity36.PaceAndFailOnce()).setParallelism(1);
        DataStream<Tuple2<String, Long>> late = RealFlinkFidelity36.lateOf(RealFlinkFidelity36.sideOf(input, false, 100));
        RealFlinkTwoPc.attach(sumIntoJoin(late, RealFlinkFidelity36.sideOf(input, true, 10_000)), 2);
        env.execute("late-sum-into-join-failure");
        RealFlinkJobs.reportExactlyOnce();
    }

    /** `left` and `right` keyed by their key, joined over tumbling `sizeMs` event-time windows. */
    static <T> DataStream<T> windowJoin(DataStream<Tuple2<String, Long>> left, DataStream<Tuple2<String, Long>> right,
            long sizeMs, JoinFunction<Tuple2<String, Long>, Tuple2<String, Long>, T> f) {
        return left.join(right)
            .where(t -> t.f0)
            .equalTo(t -> t.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofMillis(sizeMs)))
            .apply(f);
    }

    /** A joined pair as ckptsim's window join renders it: `left|right`. */
    static final class Pair implements JoinFunction<Tuple2<String, Long>, Tuple2<String, Long>, String> {
        @Override
        public String join(Tuple2<String, Long> l, Tuple2<String, Long> r) {
            return l + "|" + r;
        }
    }

    /** A joined pair summed: (k, l + r) (ckptsim's `sum_joined`). */
    static final class Summed implements JoinFunction<Tuple2<String, Long>, Tuple2<String, Long>, Tuple2<String, Long>> {
        @Override
        public Tuple2<String, Long> join(Tuple2<String, Long> l, Tuple2<String, Long> r) {
            return Tuple2.of(l.f0, l.f1 + r.f1);
        }
    }

    /** late -> keyBy -> running count (a keyed sum of ones: StreamGroupedReduceOperator) -> keyBy
     *  -> 2 s window join with the other source -> print("joined"). */
    static void lateCountIntoJoin() throws Exception {
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        DataStream<Tuple2<String, Long>> other = RealFlinkFidelity36.otherSource(env);
        DataStream<Tuple2<String, Long>> counts = RealFlinkFidelity36.lateOfWindow(env)
            .map(t -> Tuple2.of(t.f0, 1L))
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .keyBy(t -> t.f0)
            .sum(1);
        windowJoin(counts, other, 2000, new Pair()).print("joined");
        env.execute("late-count-into-join");
    }

    /** The late side output read by two branches, the second doubled -> 4 s window join ->
     *  print("joined"). */
    static void lateSidesJoin() throws Exception {
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        DataStream<Tuple2<String, Long>> late = RealFlinkFidelity36.lateOfWindow(env);
        windowJoin(late, doubled(late), 4000, new Pair()).print("joined");
        env.execute("late-sides-join");
    }

    /** late-sides-join across a failure (SIDES_FAILURE_INPUT), (k, l + r) into the store. */
    static void lateSidesJoinFailure() throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(SIDES_FAILURE_INPUT, true);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        env.enableCheckpointing(100);
        DataStream<String> input =
            RealFlinkGatedSource.of(env).map(new RealFlinkFidelity36.PaceAndFailOnce()).setParallelism(1);
        DataStream<Tuple2<String, Long>> late = RealFlinkFidelity36.lateOf(RealFlinkFidelity36.sideOf(input, false, 100));
        RealFlinkTwoPc.attach(windowJoin(late, doubled(late), 4000, new Summed()), 2);
        env.execute("late-sides-join-failure");
        RealFlinkJobs.reportExactlyOnce();
    }

    /** The late side output joined with itself over 2 s windows -> print("joined"). */
    static void lateSelfJoin() throws Exception {
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        DataStream<Tuple2<String, Long>> late = RealFlinkFidelity36.lateOfWindow(env);
        windowJoin(late, late, 2000, new Pair()).print("joined");
        env.execute("late-self-join");
    }

    /** The two late branches (one doubled) -> intervalJoin(-1.5 s, +1.5 s) -> print("joined"):
     *  the join's watermark is the window's, so each late element is late at the join as well
     *  (IntervalJoinOperator#isLate: timestamp < watermark) and nothing joins. */
    static void lateSidesIntervalJoin() throws Exception {
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        DataStream<Tuple2<String, Long>> late = RealFlinkFidelity36.lateOfWindow(env);
        late.keyBy(t -> t.f0)
            .intervalJoin(doubled(late).keyBy(t -> t.f0))
            .between(Duration.ofMillis(-1500), Duration.ofMillis(1500))
            .process(new ProcessJoinFunction<Tuple2<String, Long>, Tuple2<String, Long>, String>() {
                @Override
                public void processElement(Tuple2<String, Long> l, Tuple2<String, Long> r, Context ctx,
                        Collector<String> out) {
                    out.collect(l + "|" + r);
                }
            })
            .print("joined");
        env.execute("late-sides-interval-join");
    }

    // ------------------------------------------------------------------ late in both inputs

    /** One gated input for both sides of the interval join, "l:" (orders) or "r:" (payments)
     *  then "key@ts", in arrival order. After r:c@2100 the join's watermark is min(1799, 1899):
     *  l:a@1600 and r:b@1300 are late; l:b@1250 (cleanup at 1850) and r:a@1500 (1900) are still
     *  buffered. */
    static final String[] BOTH_LATE_INPUT = {
        "l:a@1000", "r:b@1000", "r:a@1500", "l:b@1250", "l:c@2000", "r:c@2100",
        "l:a@1600", "r:b@1300", "l:a@3000", "r:a@3200"
    };

    /** BOTH_LATE_INPUT with "BOOM@1000" before the two late elements: the gated source waits
     *  before it (a record starting with "BOOM") for a checkpoint holding every record before it;
     *  unmarked, it reaches neither side. The restored join starts without a watermark, so
     *  l:a@1600 and r:b@1300 are on time and join r:a@1500, l:b@1250. */
    static final String[] BOTH_LATE_FAILURE_INPUT = {
        "l:a@1000", "r:b@1000", "r:a@1500", "l:b@1250", "l:c@2000", "r:c@2100",
        "BOOM@1000", "l:a@1600", "r:b@1300", "l:a@3000", "r:a@3200"
    };

    /** Paces the input (PACE_MS a record) and throws at the first "BOOM" of a run. */
    static final class PaceAndFailOnBoom implements MapFunction<String, String> {
        @Override
        public String map(String s) throws InterruptedException {
            Thread.sleep(RealFlinkFidelity36.PACE_MS);
            if (s.startsWith("BOOM") && RealFlinkJobs.THROWN.add(s)) {
                throw new RuntimeException("injected failure at " + s);
            }
            return s;
        }
    }

    /** The elements of `input` marked `mark`, unmarked, with per-element watermarks (bound 200 ms). */
    static DataStream<String> marked(DataStream<String> input, String mark) {
        return input.filter(s -> s.startsWith(mark))
            .setParallelism(1)
            .map(s -> s.substring(mark.length()))
            .setParallelism(1)
            .assignTimestampsAndWatermarks(RealFlinkJobs.events(200))
            .setParallelism(1);
    }

    /** BOTH_LATE_INPUT (or its failure form: fixed-delay 1 x 200 ms, checkpoints every 100 ms)
     *  -> the two sides -> keyBy -> intervalJoin.between(-400 ms, +600 ms) with both late side
     *  outputs -> print() of "left|right@ts", print("late-left"), print("late-right") of "key@ts"
     *  (RealFlinkLateJoin's rows). */
    static void intervalJoinBothLate(boolean failure) throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(failure ? BOTH_LATE_FAILURE_INPUT : BOTH_LATE_INPUT, failure);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        env.enableCheckpointing(100);
        DataStream<String> input = RealFlinkGatedSource.of(env).map(new PaceAndFailOnBoom()).setParallelism(1);
        RealFlinkLateJoin.printJoinWithLateSides(marked(input, "l:"), marked(input, "r:"));
        env.execute(failure ? "interval-join-both-late-failure" : "interval-join-both-late");
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("late-sum-into-join", RealFlinkGraph37::lateSumIntoJoin);
        m.put("late-sum-into-join-failure", RealFlinkGraph37::lateSumIntoJoinFailure);
        m.put("late-count-into-join", RealFlinkGraph37::lateCountIntoJoin);
        m.put("late-sides-join", RealFlinkGraph37::lateSidesJoin);
        m.put("late-sides-join-failure", RealFlinkGraph37::lateSidesJoinFailure);
        m.put("late-self-join", RealFlinkGraph37::lateSelfJoin);
        m.put("late-sides-interval-join", RealFlinkGraph37::lateSidesIntervalJoin);
        m.put("interval-join-both-late", () -> intervalJoinBothLate(false));
        m.put("interval-join-both-late-failure", () -> intervalJoinBothLate(true));
    }
}
