// RealFlinkJobs: the job shapes of scenarios/real-flink/*.toml run on a REAL Flink (a local
// MiniCluster, StreamExecutionEnvironment), with the same explicit, bounded inputs, so that
// ckptsim's output can be compared with Flink's (tests/real_flink.rs, docs/real-flink.md).
//
// The exactly-once job is RealFlinkTwoPc.java (Flink 1.x only), found by name when compiled.
// Usage: java -cp "$FLINK_LIB/*:." RealFlinkJobs OUT_DIR REPEATS [JOB...]
// Each job runs REPEATS times; its sorted sink output (a multiset per sink and subtask, written
// as Flink's print sink writes it: "[ident:]i> row") must be the same every time, else the
// program fails (a timing-dependent shape is not a fixture). Then OUT_DIR/<job>.out is written
// with a header naming the Flink and Java versions. Our own code, written for ckptsim.

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.co.ProcessJoinFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

public class RealFlinkJobs {

    // ------------------------------------------------------------------ inputs (shared with the .toml files)

    /** Words of the keyed word count (scenarios/real-flink/wordcount-p*.toml), one record each. */
    static final String[] WORDS = {
        "hello", "world", "a", "b", "a", "hello", "c", "flink", "a", "world", "b", "d", "a", "e", "hello", "f"
    };

    /** Event-time input "key@ts" of the tumbling and sliding windows, in arrival order. */
    static final String[] EVENTS = {
        "a@1000", "b@1500", "a@2200", "a@900", "b@2500", "a@1900", "b@3100", "a@2600", "c@4000", "b@2999",
        "a@5200"
    };

    /** The two sources of the union. */
    static final String[] CLICKS = {"a", "b", "c", "a", "d", "a", "e"};
    static final String[] VIEWS = {"b", "a", "c", "c", "f", "b"};

    /** The interval join's two sides, "key@ts". */
    static final String[] ORDERS = {"a@1000", "b@1200", "a@2000", "c@2500", "b@3000", "a@4000"};
    static final String[] PAYMENTS = {"b@1000", "a@1500", "a@1300", "c@3000", "b@3400", "a@4800"};

    // ------------------------------------------------------------------ helpers

    /** Punctuated bounded-out-of-orderness: after each element, max timestamp - bound - 1 (what
     *  Flink's BoundedOutOfOrdernessWatermarks emits periodically, emitted per element so the
     *  output does not depend on the 200 ms timer's phase against a source that emits at once). */
    static final class PerEventBounded implements WatermarkGenerator<String> {
        private final long bound;
        private long max;

        PerEventBounded(long bound) {
            this.bound = bound;
            this.max = Long.MIN_VALUE + bound + 1;
        }

        @Override
        public void onEvent(String e, long ts, WatermarkOutput out) {
            max = Math.max(max, ts);
            out.emitWatermark(new Watermark(max - bound - 1));
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput out) {}
    }

    static WatermarkStrategy<String> events(long bound) {
        return WatermarkStrategy.<String>forGenerator(ctx -> new PerEventBounded(bound))
            .withTimestampAssigner((s, prev) -> Long.parseLong(s.substring(s.indexOf('@') + 1)));
    }

    static String keyOf(String s) {
        int at = s.indexOf('@');
        return at < 0 ? s : s.substring(0, at);
    }

    static DataStream<Tuple2<String, Long>> pairs(DataStream<String> in, int parallelism) {
        return in.map(s -> Tuple2.of(keyOf(s), 1L))
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(parallelism)
            .name("ToPair");
    }

    static StreamExecutionEnvironment env(int parallelism) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(parallelism);
        return env;
    }

    // ------------------------------------------------------------------ jobs

    static void wordcount(int p) throws Exception {
        StreamExecutionEnvironment env = env(p);
        pairs(env.fromData(WORDS), p).keyBy(t -> t.f0).sum(1).print();
        env.execute("wordcount-p" + p);
    }

    static void tumbling(boolean side) throws Exception {
        StreamExecutionEnvironment env = env(2);
        DataStream<String> src = env.fromData(EVENTS).assignTimestampsAndWatermarks(events(500)).setParallelism(1);
        OutputTag<Tuple2<String, Long>> late = new OutputTag<>("late", Types.TUPLE(Types.STRING, Types.LONG));
        var windowed = pairs(src, 1).keyBy(t -> t.f0).window(TumblingEventTimeWindows.of(Duration.ofMillis(1000)));
        if (side) {
            windowed = windowed.sideOutputLateData(late);
        }
        SingleOutputStreamOperator<Tuple2<String, Long>> sums = windowed.sum(1);
        sums.print();
        if (side) {
            sums.getSideOutput(late).print("late");
        }
        env.execute(side ? "tumbling-late-side" : "tumbling-drop");
    }

    static void sliding() throws Exception {
        StreamExecutionEnvironment env = env(2);
        DataStream<String> src = env.fromData(EVENTS).assignTimestampsAndWatermarks(events(500)).setParallelism(1);
        pairs(src, 1).keyBy(t -> t.f0)
            .window(SlidingEventTimeWindows.of(Duration.ofMillis(2000), Duration.ofMillis(1000)))
            .sum(1)
            .print();
        env.execute("sliding");
    }

    static void union() throws Exception {
        StreamExecutionEnvironment env = env(2);
        DataStream<String> clicks = env.fromData(CLICKS);
        DataStream<String> views = env.fromData(VIEWS);
        pairs(clicks.union(views), 2).keyBy(t -> t.f0).sum(1).print();
        env.execute("union-sum");
    }

    static void intervalJoin() throws Exception {
        StreamExecutionEnvironment env = env(2);
        DataStream<String> orders = env.fromData(ORDERS).assignTimestampsAndWatermarks(events(200)).setParallelism(1);
        DataStream<String> payments =
            env.fromData(PAYMENTS).assignTimestampsAndWatermarks(events(200)).setParallelism(1);
        orders.keyBy(RealFlinkJobs::keyOf)
            .intervalJoin(payments.keyBy(RealFlinkJobs::keyOf))
            .between(Duration.ofMillis(-400), Duration.ofMillis(600))
            .process(new ProcessJoinFunction<String, String, String>() {
                @Override
                public void processElement(String l, String r, Context ctx, Collector<String> out) {
                    out.collect(keyOf(l) + "|" + keyOf(r) + "@" + ctx.getTimestamp());
                }
            })
            .print();
        env.execute("interval-join");
    }

    /** Session 33 (graph33): a sliding window join of the interval join's two sides. */
    static void slidingWindowJoin() throws Exception {
        StreamExecutionEnvironment env = env(2);
        DataStream<String> orders = env.fromData(ORDERS).assignTimestampsAndWatermarks(events(200)).setParallelism(1);
        DataStream<String> payments =
            env.fromData(PAYMENTS).assignTimestampsAndWatermarks(events(200)).setParallelism(1);
        // JoinedStreams over SlidingEventTimeWindows (2 s, every 1 s): a pair joins once in each
        // window the two share; a row's timestamp is its window's maxTimestamp.
        orders.join(payments)
            .where(RealFlinkJobs::keyOf)
            .equalTo(RealFlinkJobs::keyOf)
            .window(SlidingEventTimeWindows.of(Duration.ofMillis(2000), Duration.ofMillis(1000)))
            .apply(new org.apache.flink.api.common.functions.JoinFunction<String, String, String>() {
                @Override
                public String join(String l, String r) {
                    return keyOf(l) + "|" + keyOf(r);
                }
            })
            .process(new org.apache.flink.streaming.api.functions.ProcessFunction<String, String>() {
                @Override
                public void processElement(String row, Context ctx, Collector<String> out) {
                    out.collect(row + "@" + ctx.timestamp());
                }
            })
            .print();
        env.execute("sliding-window-join");
    }

    // ---- the exactly-once job (RealFlinkTwoPc.java, 1.x; flink2/RealFlinkTwoPc.java, 2.x): its
    // input, the failing map and the committed store, shared by both versions

    /** The input: the map throws once, at its first "BOOM". */
    static final String[] EO_WORDS = {
        "a", "b", "c", "a", "d", "BOOM", "b", "a", "e", "c", "a", "f"
    };

    static final Set<String> COMMITTED_TXNS = ConcurrentHashMap.newKeySet();
    static final ConcurrentLinkedQueue<String> COMMITTED = new ConcurrentLinkedQueue<>();
    static final AtomicInteger MAX_ATTEMPT = new AtomicInteger();
    /** The "BOOM..." values the map has thrown at (each once per run of the job). */
    static final Set<String> THROWN = ConcurrentHashMap.newKeySet();

    /** Throws at the first occurrence of each value starting with "BOOM" (once per JVM run of
     *  the job), else (word, 1). */
    public static final class FailOnce extends RichMapFunction<String, Tuple2<String, Long>> {
        @Override
        public void open(OpenContext c) {
            MAX_ATTEMPT.accumulateAndGet(getRuntimeContext().getTaskInfo().getAttemptNumber(), Math::max);
            RealFlinkRestartTiming.opened(getRuntimeContext().getTaskInfo().getAttemptNumber());
        }

        @Override
        public Tuple2<String, Long> map(String s) throws InterruptedException {
            // 150 ms a record: checkpoints (every 100 ms) complete before BOOM, so the restart
            // restores keyed sums and the sink's transactions from a checkpoint (seen once with a
            // debug print: attempt 1 resumed at BOOM; with 30 ms it restarted from the first
            // record). Which checkpoint is timing; the committed multiset is not.
            Thread.sleep(150);
            if (s.startsWith("BOOM") && THROWN.add(s)) {
                // 400 ms more: the checkpoint taken just before this record completes and its
                // notification commits the sink's transaction before the failure (a failure
                // the restart strategy does not restart leaves exactly that committed).
                Thread.sleep(400);
                RealFlinkRestartTiming.failed(s);
                throw new RuntimeException("injected failure at " + s);
            }
            return Tuple2.of(s, 1L);
        }
    }

    /** Empties the store before a run. */
    static void resetExactlyOnce() {
        COMMITTED_TXNS.clear();
        COMMITTED.clear();
        MAX_ATTEMPT.set(0);
        THROWN.clear();
    }

    /** Prints the committed rows and the restarts (captured like print rows). */
    static void reportExactlyOnce() {
        for (String row : COMMITTED) {
            System.out.println("committed> " + row);
        }
        System.out.println("restarts> " + MAX_ATTEMPT.get());
    }

    // ------------------------------------------------------------------ driver

    interface Job {
        void run() throws Exception;
    }

    static Map<String, Job> jobs() {
        Map<String, Job> m = new LinkedHashMap<>();
        m.put("wordcount-p2", () -> wordcount(2));
        m.put("wordcount-p3", () -> wordcount(3));
        m.put("tumbling-drop", () -> tumbling(false));
        m.put("tumbling-late-side", () -> tumbling(true));
        m.put("sliding", RealFlinkJobs::sliding);
        m.put("union-sum", RealFlinkJobs::union);
        m.put("interval-join", RealFlinkJobs::intervalJoin);
        m.put("sliding-window-join", RealFlinkJobs::slidingWindowJoin);
        // Flink 1.x only (TwoPhaseCommitSinkFunction is gone in 2.0): compiled when present.
        try {
            Class<?> c = Class.forName("RealFlinkTwoPc");
            m.put("exactly-once-failure", () -> c.getMethod("run").invoke(null));
        } catch (ClassNotFoundException e) {
            // not compiled for this version
        }
        // Session 33: restart strategies, rescaling from a savepoint, a retained checkpoint
        // (RealFlinkLifecycle.java).
        RealFlinkLifecycle.register(m);
        return m;
    }

    /** Runs `job` with System.out captured; the print sinks' and the report's lines, sorted. */
    static List<String> capture(Job job) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            job.run();
        } finally {
            System.out.flush();
            System.setOut(old);
        }
        List<String> rows = new ArrayList<>();
        for (String line : buf.toString(StandardCharsets.UTF_8).split("\n")) {
            // `ident:committed> row`: session 35's per-job committed rows (RealFlinkDrainTwoPc).
            if (line.matches("^([A-Za-z_-]+:)?[0-9]+> .*|^([A-Za-z_-]+:)?[a-z]+> .*")) {
                rows.add(line);
            }
        }
        Collections.sort(rows);
        return rows;
    }

    public static void main(String[] args) {
        // A MiniCluster's threads keep the JVM alive after an exception: exit either way.
        try {
            writeFixtures(args);
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }

    static void writeFixtures(String[] args) throws Exception {
        Path out = Paths.get(args[0]);
        int repeats = Integer.parseInt(args[1]);
        Map<String, Job> all = jobs();
        List<String> names = args.length > 2 ? Arrays.asList(args).subList(2, args.length) : new ArrayList<>(all.keySet());
        String header = "# real Flink " + EnvironmentInformation.getVersion() + ", java "
            + System.getProperty("java.version") + "; rows sorted: a multiset per sink and subtask";
        for (String name : names) {
            Job job = all.get(name);
            if (job == null) {
                throw new IllegalArgumentException("unknown job " + name + "; known: " + all.keySet());
            }
            List<String> first = capture(job);
            for (int i = 1; i < repeats; i++) {
                List<String> again = capture(job);
                if (!again.equals(first)) {
                    throw new IllegalStateException(name + ": run " + (i + 1) + " differs: " + first + " vs " + again);
                }
            }
            List<String> lines = new ArrayList<>();
            lines.add(header);
            lines.add("# job " + name + ", " + repeats + " identical runs");
            lines.addAll(first);
            Files.write(out.resolve(name + ".out"), lines, StandardCharsets.UTF_8);
            System.out.println(name + ": " + first.size() + " rows");
        }
    }
}
