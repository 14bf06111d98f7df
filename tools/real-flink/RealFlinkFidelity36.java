// RealFlinkFidelity36 (session 36): jobs of shapes ckptsim accepts that no real Flink run had
// checked yet (docs/real-flink.md, "Session 36"):
//
//  * session 35's late-fed shapes: an event-time window's late side output keyed again into an
//    interval join with a second source, then map (l + r) -> filter (even) -> keyBy -> sum ->
//    map (2n) (late-join-then-sum); the same side output into a 2 s tumbling max / min window
//    (late-window-max, late-window-min);
//  * exponential-delay restarts with jitter > 0 (restart-timing-exponential-jitter): Flink draws
//    each restart's jitter at random, so each failure's row says whether the measured delay lies
//    in the strategy's bounds, not the delay itself.
//
// Registered by RealFlinkLifecycle#register; the fixtures are written by RealFlinkJobs#main.
// Our own code, written for ckptsim; it compiles against 1.20.3 and 2.3.0 unchanged.

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.co.ProcessJoinFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

public class RealFlinkFidelity36 {

    // ------------------------------------------------------------------ late-fed shapes

    /** The keyed numbers "key n@ts" of the first window, in arrival order (the scenarios' Source
     *  records, 1 s apart there). Per-element watermarks, bound 100 ms; tumbling 1 s windows with
     *  200 ms allowed lateness. Late (side output): k0 5@900, k0 9@700, k1 7@1950, k2 4@2900,
     *  k2 1@2100, k1 8@2200, k0 6@3800; k0 3@3500 is within the allowed lateness (a late firing). */
    static final String[] NUMBERS = {
        "k0 4@500", "k1 3@1300", "k0 5@900", "k0 9@700", "k2 6@2400", "k1 2@2500", "k1 7@1950",
        "k0 1@3300", "k2 4@2900", "k2 1@2100", "k0 2@4200", "k0 3@3500", "k1 8@2200", "k2 5@5000",
        "k0 6@3800", "k1 1@5200"
    };

    /** The join's other side, bound 10 s (its watermark stays below every late element until it
     *  ends); the last element ("!": after a pause, so the side stays open until the numbers have
     *  all gone through) joins nothing. */
    static final String[] OTHER = {"k0 1@1000", "k2 3@2000", "k1 1@3000", "k0 2@4000", "!z 0@4000"};

    /** The pause before OTHER's last element: longer than the numbers take (16 x PACE_MS). */
    static final long OTHER_PAUSE_MS = 12_000;

    /** Each number waits this long before it is emitted, so both window subtasks have taken a
     *  watermark before the next element: the second window's min over its two input channels
     *  is then the source's watermark, and which late elements it drops is fixed. */
    static final long PACE_MS = 250;

    static final class Pace implements MapFunction<String, String> {
        @Override
        public String map(String s) throws InterruptedException {
            Thread.sleep(PACE_MS);
            return s;
        }
    }

    /** "key n@ts" -> (key, n). */
    static Tuple2<String, Long> parse(String s) {
        String body = s.substring(0, s.indexOf('@'));
        int space = body.indexOf(' ');
        return Tuple2.of(body.substring(0, space), Long.parseLong(body.substring(space + 1)));
    }

    static DataStream<Tuple2<String, Long>> numbers(StreamExecutionEnvironment env) {
        return eventSource(env, NUMBERS, new Pace(), 100);
    }

    /** `data` paced by `pace`, event time with `boundMs` out-of-orderness, parsed to (key, n); parallelism 1. */
    static DataStream<Tuple2<String, Long>> eventSource(StreamExecutionEnvironment env, String[] data,
            MapFunction<String, String> pace, long boundMs) {
        return env.fromData(data)
            .map(pace)
            .setParallelism(1)
            .assignTimestampsAndWatermarks(RealFlinkJobs.events(boundMs))
            .setParallelism(1)
            .map(RealFlinkFidelity36::parse)
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1);
    }

    /** numbers -> keyBy -> tumbling 1 s sum, allowed lateness 200 ms, late side output (p2) ->
     *  print("sums"); the side output. */
    static DataStream<Tuple2<String, Long>> lateOfWindow(StreamExecutionEnvironment env) {
        return lateOf(numbers(env));
    }

    /** `numbers` -> keyBy -> tumbling 1 s sum, allowed lateness 200 ms, late side output (p2) ->
     *  print("sums"); the side output. */
    static DataStream<Tuple2<String, Long>> lateOf(DataStream<Tuple2<String, Long>> numbers) {
        OutputTag<Tuple2<String, Long>> late = RealFlinkGraph38.lateTag("late");
        return RealFlinkGraph38.firstWindow(numbers, late).getSideOutput(late);
    }

    /** The second source of the late-fed joins: OTHER, held back at its mark, event time. */
    static DataStream<Tuple2<String, Long>> otherSource(StreamExecutionEnvironment env) {
        return eventSource(env, OTHER, new RealFlinkLateJoin.PauseAtMark(OTHER_PAUSE_MS), 10_000);
    }

    /** late -> keyBy -> intervalJoin(other).between(-1.5 s, +1.5 s) -> (k, l + r). */
    static DataStream<Tuple2<String, Long>> joinSummed(DataStream<Tuple2<String, Long>> late,
            DataStream<Tuple2<String, Long>> other) {
        return late.keyBy(t -> t.f0)
            .intervalJoin(other.keyBy(t -> t.f0))
            .between(Duration.ofMillis(-1500), Duration.ofMillis(1500))
            .process(new ProcessJoinFunction<Tuple2<String, Long>, Tuple2<String, Long>, Tuple2<String, Long>>() {
                @Override
                public void processElement(Tuple2<String, Long> l, Tuple2<String, Long> r, Context ctx,
                        Collector<Tuple2<String, Long>> out) {
                    out.collect(Tuple2.of(l.f0, l.f1 + r.f1));
                }
            })
            .returns(Types.TUPLE(Types.STRING, Types.LONG));
    }

    /** joinSummed, then filter(even). */
    static DataStream<Tuple2<String, Long>> joinEven(DataStream<Tuple2<String, Long>> late,
            DataStream<Tuple2<String, Long>> other) {
        return joinSummed(late, other).filter(t -> t.f1 % 2 == 0);
    }

    /** The late side output -> keyBy -> intervalJoin(other).between(-1.5 s, +1.5 s) -> (k, l + r)
     *  -> filter(even) -> keyBy -> sum -> map(2n) -> print("joined"). */
    static void lateJoinThenSum() throws Exception {
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        DataStream<Tuple2<String, Long>> other = otherSource(env);
        joinThenSum(lateOfWindow(env), other)
            .print("joined");
        env.execute("late-join-then-sum");
    }

    /** Prints `ident:any> row` (the fixture's row of a sink whose subtask is not compared) and
     *  passes the row on; what follows drops it. */
    static final class PrintAnySubtask implements MapFunction<Tuple2<String, Long>, Tuple2<String, Long>> {
        private final String ident;

        PrintAnySubtask(String ident) {
            this.ident = ident;
        }

        @Override
        public Tuple2<String, Long> map(Tuple2<String, Long> t) {
            System.out.println(ident + ":any> " + t);
            return t;
        }
    }

    /** late-join-then-sum's join, then filter(even) -> flatMap(2n) -> rebalance -> print("joined")
     *  at parallelism 3 (session 35's late-join-then-flat-map-print): which subtask prints a row
     *  is the rebalance's random start, so only the rows are compared, not their subtasks
     *  (`joined:any> row`, PrintAnySubtask). */
    static void lateJoinThenFlatMap() throws Exception {
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        DataStream<Tuple2<String, Long>> other = otherSource(env);
        joinEven(lateOfWindow(env), other)
            .flatMap((Tuple2<String, Long> t, Collector<Tuple2<String, Long>> out) -> out.collect(Tuple2.of(t.f0, 2 * t.f1)))
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .rebalance()
            .map(new PrintAnySubtask("joined"))
            .setParallelism(3)
            .filter(t -> false)
            .setParallelism(3)
            .print();
        env.execute("late-join-then-flat-map");
    }

    /** The late side output -> keyBy -> tumbling 2 s max(1) or min(1) -> print("late-max" /
     *  "late-min"). */
    static void lateWindow(boolean max) throws Exception {
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        var windowed = lateOfWindow(env).keyBy(t -> t.f0).window(TumblingEventTimeWindows.of(Duration.ofMillis(2000)));
        (max ? windowed.max(1) : windowed.min(1)).print(max ? "late-max" : "late-min");
        env.execute(max ? "late-window-max" : "late-window-min");
    }

    // ------------------------------------------------------------------ the late-fed join across a failure

    /** One gated input (RealFlinkGatedSource) for both sides: the other side's elements ("o:"),
     *  then NUMBERS with "BOOM 0@3000" after k2 4@2900 (the source waits before it until a
     *  checkpoint holding every record before it completed), then the other side's last element. */
    static final String[] FAILURE_INPUT = {
        "o:k0 1@1000", "o:k2 3@2000", "o:k1 1@3000", "o:k0 2@4000",
        "k0 4@500", "k1 3@1300", "k0 5@900", "k0 9@700", "k2 6@2400", "k1 2@2500", "k1 7@1950",
        "k0 1@3300", "k2 4@2900", "BOOM 0@3000", "k2 1@2100", "k0 2@4200", "k0 3@3500", "k1 8@2200",
        "k2 5@5000", "k0 6@3800", "k1 1@5200",
        "o:z 0@4000"
    };

    /** Paces the input (PACE_MS a record) and throws at the first "BOOM" of a run; notes the
     *  attempt number (the `restarts>` row). */
    static final class PaceAndFailOnce extends org.apache.flink.api.common.functions.RichMapFunction<String, String> {
        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext c) {
            RealFlinkJobs.MAX_ATTEMPT.accumulateAndGet(getRuntimeContext().getTaskInfo().getAttemptNumber(), Math::max);
        }

        @Override
        public String map(String s) throws InterruptedException {
            Thread.sleep(PACE_MS);
            if (s.startsWith("BOOM") && RealFlinkJobs.THROWN.add(s)) {
                throw new RuntimeException("injected failure at " + s);
            }
            return s;
        }
    }

    /** The elements of one side of FAILURE_INPUT ("o:" prefix or none), with their watermarks. */
    static DataStream<Tuple2<String, Long>> sideOf(DataStream<String> input, boolean other, long boundMs) {
        return input.filter(s -> s.startsWith("o:") == other)
            .setParallelism(1)
            .map(s -> other ? s.substring(2) : s)
            .setParallelism(1)
            .assignTimestampsAndWatermarks(RealFlinkJobs.events(boundMs))
            .setParallelism(1)
            .map(RealFlinkFidelity36::parse)
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1);
    }

    /** late-join-then-sum with a failure: one gated source for both sides, the map chained to it
     *  throws once at BOOM (fixed-delay 1 x 200 ms, checkpoints every 100 ms), the joined sums go
     *  to the two-phase-commit store (`committed> row`, `restarts> 1`); the first window's results
     *  are printed (print("sums")): the source's wait before BOOM leaves nothing between the
     *  restored checkpoint and the failure, so no print row comes twice. */
    static void lateJoinThenSumFailure() throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(FAILURE_INPUT, true);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        env.enableCheckpointing(100);
        DataStream<String> input = RealFlinkGatedSource.of(env).map(new PaceAndFailOnce()).setParallelism(1);
        RealFlinkTwoPc.attach(joinThenSum(lateOf(sideOf(input, false, 100)), sideOf(input, true, 10_000)), 2);
        env.execute("late-join-then-sum-failure");
        RealFlinkJobs.reportExactlyOnce();
    }

    /** late -> keyBy -> intervalJoin(other).between(-1.5 s, +1.5 s) -> (k, l + r) -> filter(even)
     *  -> keyBy -> sum -> map(2n). */
    static DataStream<Tuple2<String, Long>> joinThenSum(DataStream<Tuple2<String, Long>> late,
            DataStream<Tuple2<String, Long>> other) {
        return joinEven(late, other)
            .keyBy(t -> t.f0)
            .sum(1)
            .map(t -> Tuple2.of(t.f0, 2 * t.f1))
            .returns(Types.TUPLE(Types.STRING, Types.LONG));
    }

    // ------------------------------------------------------------------ exponential-delay jitter

    /** exponential-delay 2 s x2 up to 8 s, jitter 0.5, 3 attempts, reset after 1 h: failures due
     *  at 3, 12, 24 and 38 s. */
    static final String[] JITTER_WORDS = {
        "a", "b", "BOOM1", "c", "a", "BOOM2", "b", "a", "BOOM3", "c", "BOOM4", "d"
    };
    static final long[] JITTER_DUE = {1000, 2000, 3000, 4000, 9000, 12000, 13000, 20000, 24000, 30000, 38000, 39000};

    /** Each restart's backoff bounds, ms: max(initial, min(raw +- floor(raw * jitter), max)) with
     *  raw = 2000 * 2^k (ExponentialDelayRestartBackoffTimeStrategy#calculateJitterBackoffMS). */
    static final long[][] JITTER_BOUNDS = {{2000, 3000}, {2000, 6000}, {4000, 8000}};

    /** What Flink adds to a backoff before the restarted attempt opens (redeploy): measured
     *  20 to 700 ms on this machine (session 35). A measured delay up to hi + this is "in". */
    static final long REDEPLOY_ALLOWANCE_MS = 1500;

    static Map<String, String> jitter() {
        Map<String, String> m = new HashMap<>();
        m.put("restart-strategy.type", "exponential-delay");
        m.put("restart-strategy.exponential-delay.initial-backoff", "2 s");
        m.put("restart-strategy.exponential-delay.max-backoff", "8 s");
        m.put("restart-strategy.exponential-delay.backoff-multiplier", "2.0");
        m.put("restart-strategy.exponential-delay.reset-backoff-threshold", "1 h");
        m.put("restart-strategy.exponential-delay.jitter-factor", "0.5");
        m.put("restart-strategy.exponential-delay.attempts-before-reset-backoff", "3");
        return m;
    }

    /** The exactly-once job of RealFlinkRestartTiming with the jitter strategy; per failure
     *  `failure> BOOMk restart in [lo, hi] ms` (the measured delay from the throw to the next
     *  attempt's open is at least lo and at most hi plus the redeploy allowance), `failure> BOOMk
     *  restart after N ms, outside [lo, hi]` or `failure> BOOMk no restart`. */
    static void jitterJob() throws Exception {
        String name = "restart-timing-exponential-jitter";
        RealFlinkRestartTiming.FAILURES.clear();
        RealFlinkRestartTiming.OPENED.clear();
        RealFlinkRestartTiming.startMs = 0;
        RealFlinkRestartTiming.dueMs = JITTER_DUE;
        try {
            RealFlinkTwoPc.runWith(name, JITTER_WORDS, jitter(), true);
        } finally {
            RealFlinkRestartTiming.dueMs = null;
        }
        for (int k = 0; k < RealFlinkRestartTiming.FAILURES.size(); k++) {
            String value = (String) RealFlinkRestartTiming.FAILURES.get(k)[0];
            long thrownMs = (Long) RealFlinkRestartTiming.FAILURES.get(k)[1];
            Long openMs = RealFlinkRestartTiming.OPENED.get(k + 1);
            if (openMs == null || k >= JITTER_BOUNDS.length) {
                System.out.println("failure> " + value + (openMs == null ? " no restart" : " restart beyond the bounds"));
                System.err.println(name + ": " + value + " at " + (thrownMs - RealFlinkRestartTiming.startMs) + " ms, no restart");
                continue;
            }
            long gapMs = openMs - thrownMs;
            long lo = JITTER_BOUNDS[k][0];
            long hi = JITTER_BOUNDS[k][1];
            boolean in = gapMs >= lo && gapMs <= hi + REDEPLOY_ALLOWANCE_MS;
            System.out.println("failure> " + value + (in ? " restart in [" + lo + ", " + hi + "] ms"
                : " restart after " + gapMs + " ms, outside [" + lo + ", " + hi + "]"));
            System.err.println(name + ": " + value + " at " + (thrownMs - RealFlinkRestartTiming.startMs)
                + " ms, restart " + gapMs + " ms later");
        }
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("late-join-then-sum", RealFlinkFidelity36::lateJoinThenSum);
        m.put("late-join-then-sum-failure", RealFlinkFidelity36::lateJoinThenSumFailure);
        m.put("late-join-then-flat-map", RealFlinkFidelity36::lateJoinThenFlatMap);
        m.put("late-window-max", () -> lateWindow(true));
        m.put("late-window-min", () -> lateWindow(false));
        m.put("restart-timing-exponential-jitter", RealFlinkFidelity36::jitterJob);
        RealFlinkNamedStates36.register(m);
        RealFlinkGraph37.register(m);
        RealFlinkBroadcastProcess37.register(m);
        RealFlinkBroadcast39.register(m);
        RealFlinkBroadcast40.register(m);
        RealFlinkGraph38.register(m);
        RealFlinkSession41.register(m);
        RealFlinkLate42.register(m);
        RealFlinkSession43.register(m);
        RealFlinkLate43.register(m);
        RealFlinkSession42.register(m);
    }
}
