// RealFlinkLateJoin (session 34, graph34): an interval join with both late side outputs
// (IntervalJoined#sideOutputLeftLateData / #sideOutputRightLateData, Flink 1.15 on) run on a
// REAL Flink, compared with scenarios/real-flink/interval-join-late.toml by tests/real_flink.rs
// (docs/real-flink.md). The same source compiles against 1.20.3 and 2.3.0.
//
// Usage: java -cp "$FLINK_LIB/*:." RealFlinkLateJoin OUT_DIR REPEATS [JOB...]
// (scripts/real-flink.sh runs it after RealFlinkJobs, with the jobs named here). Each job runs
// REPEATS times through RealFlinkJobs.capture and must print the same sorted rows every time;
// OUT_DIR/<job>.out is written in RealFlinkJobs' fixture format. Our own code, written for ckptsim.
//
// Which elements are late in a two-source job is timing in Flink (the join's watermark is the
// minimum of its two inputs'): here each source pauses before its late element, long enough
// for the other source's earlier elements and watermarks to reach the join, so the late
// elements are late in every run (see docs/real-flink.md, "Session 34").

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.co.ProcessJoinFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

public class RealFlinkLateJoin {

    /** The left side, "key@ts" in arrival order; "!" marks an element that the source sends
     *  only after a pause (PAUSE_LEFT_MS), when both inputs' watermarks have passed it. */
    static final String[] ORDERS = {"a@1000", "b@1200", "a@2000", "c@2500", "!a@1100", "a@4000"};
    /** The right side; its marked element comes after the longer PAUSE_RIGHT_MS. */
    static final String[] PAYMENTS = {"b@1000", "a@1500", "c@3000", "!b@1300", "a@4300"};

    static final long PAUSE_LEFT_MS = 2500;
    static final long PAUSE_RIGHT_MS = 5000;

    /** Sleeps `pauseMs` before a marked element and strips the mark (chained with the source
     *  at parallelism 1, ahead of the watermark generator: the source's stream waits). */
    static final class PauseAtMark implements MapFunction<String, String> {
        private final long pauseMs;

        PauseAtMark(long pauseMs) {
            this.pauseMs = pauseMs;
        }

        @Override
        public String map(String s) throws InterruptedException {
            if (s.startsWith("!")) {
                Thread.sleep(pauseMs);
                return s.substring(1);
            }
            return s;
        }
    }

    /** "key@ts" of a late element (its own event timestamp), as ckptsim renders a print row
     *  with `@<timestamp>`. */
    static final class WithTimestamp extends ProcessFunction<String, String> {
        @Override
        public void processElement(String s, Context ctx, Collector<String> out) {
            out.collect(RealFlinkJobs.keyOf(s) + "@" + ctx.timestamp());
        }
    }

    static DataStream<String> side(StreamExecutionEnvironment env, String[] input, long pauseMs) {
        return env.fromData(input)
            .map(new PauseAtMark(pauseMs))
            .setParallelism(1)
            .assignTimestampsAndWatermarks(RealFlinkJobs.events(200))
            .setParallelism(1);
    }

    /** `left` and `right` keyed by their key -> intervalJoin.between(-400 ms, +600 ms) with both
     *  late side outputs -> print() of "left|right@ts", print("late-left") and print("late-right")
     *  of "key@ts" (also RealFlinkGraph37's interval-join-both-late jobs). */
    static void printJoinWithLateSides(DataStream<String> left, DataStream<String> right) {
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
                    out.collect(RealFlinkJobs.keyOf(l) + "|" + RealFlinkJobs.keyOf(r) + "@" + ctx.getTimestamp());
                }
            });
        joined.print();
        joined.getSideOutput(lateLeft).process(new WithTimestamp()).print("late-left");
        joined.getSideOutput(lateRight).process(new WithTimestamp()).print("late-right");
    }

    /** Two keyed event-time sources (bound 200 ms) -> intervalJoin.between(-400 ms, +600 ms)
     *  with both late side outputs -> print() of "left|right@ts", print("late-left") and
     *  print("late-right") of "key@ts"; parallelism 2. */
    static void intervalJoinLate() throws Exception {
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        printJoinWithLateSides(side(env, ORDERS, PAUSE_LEFT_MS), side(env, PAYMENTS, PAUSE_RIGHT_MS));
        env.execute("interval-join-late");
    }

    static Map<String, RealFlinkJobs.Job> jobs() {
        Map<String, RealFlinkJobs.Job> m = new LinkedHashMap<>();
        m.put("interval-join-late", RealFlinkLateJoin::intervalJoinLate);
        return m;
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

    /** RealFlinkJobs' fixture format, for the jobs of this file. */
    static void writeFixtures(String[] args) throws Exception {
        Path out = Paths.get(args[0]);
        int repeats = Integer.parseInt(args[1]);
        Map<String, RealFlinkJobs.Job> all = jobs();
        List<String> names = args.length > 2 ? Arrays.asList(args).subList(2, args.length) : new ArrayList<>(all.keySet());
        String header = "# real Flink " + EnvironmentInformation.getVersion() + ", java "
            + System.getProperty("java.version") + "; rows sorted: a multiset per sink and subtask";
        for (String name : names) {
            RealFlinkJobs.Job job = all.get(name);
            if (job == null) {
                throw new IllegalArgumentException("unknown job " + name + "; known: " + all.keySet());
            }
            List<String> first = RealFlinkJobs.capture(job);
            for (int i = 1; i < repeats; i++) {
                List<String> again = RealFlinkJobs.capture(job);
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
