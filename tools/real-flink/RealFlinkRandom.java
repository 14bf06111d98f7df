// RealFlinkRandom: the randomized differential campaign's driver (docs/real-flink-random.md).
// Builds one small job per spec file (tests/real-flink-random/specs/r*.spec, written by
// tests/real-flink-random/gen.py) and runs it on a REAL Flink MiniCluster; tests/real_flink_random.rs
// builds the same job as a ckptsim scenario from the same spec and compares the outputs.
//
// Usage: java -cp "$FLINK_LIB/*:." RealFlinkRandom OUT_DIR REPEATS SPEC...
// Each job runs REPEATS times and must print the same sorted rows every time (else the program
// fails: a timing-dependent job is not a fixture); OUT_DIR/<name>.out gets a header and the rows.
// Rows are the print sinks' lines: `out[:i]> row` (results) and `late[:i]> row` (the late side
// output), Flink's PrintSinkOutputWriter prefix with an identifier. Event-time rows end in
// `@<timestamp>` (a ProcessFunction before the sink appends ctx.timestamp()).
// Compiled with RealFlinkJobs.java (its watermark generator and helpers). Our own code.

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.JoinFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.datastream.WindowedStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.co.CoMapFunction;
import org.apache.flink.streaming.api.functions.co.ProcessJoinFunction;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.WindowAssigner;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

public class RealFlinkRandom {

    /** A spec file: `key = value` lines, `#` comments. */
    static Map<String, String> readSpec(Path path) throws Exception {
        Map<String, String> spec = new LinkedHashMap<>();
        for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf(" = ");
            spec.put(line.substring(0, eq).trim(), line.substring(eq + 3).trim());
        }
        return spec;
    }

    static long num(Map<String, String> spec, String key) {
        String v = spec.get(key);
        if (v == null) {
            throw new IllegalArgumentException("spec " + spec.get("name") + " lacks " + key);
        }
        return Long.parseLong(v);
    }

    static String[] records(Map<String, String> spec, String key) {
        return spec.get(key).split(" ");
    }

    /** "k:n[@ts]" -> (k, n). */
    static Tuple2<String, Long> pair(String s) {
        int at = s.indexOf('@');
        String kv = at < 0 ? s : s.substring(0, at);
        int colon = kv.lastIndexOf(':');
        return Tuple2.of(kv.substring(0, colon), Long.parseLong(kv.substring(colon + 1)));
    }

    static SingleOutputStreamOperator<Tuple2<String, Long>> pairs(DataStream<String> in, int parallelism) {
        return in.map(RealFlinkRandom::pair).returns(Types.TUPLE(Types.STRING, Types.LONG)).setParallelism(parallelism);
    }

    /** Appends "@" + the element's timestamp (a window result's maxTimestamp, a late element's own). */
    static <T> SingleOutputStreamOperator<String> stamped(DataStream<T> in) {
        return in.process(new ProcessFunction<T, String>() {
            @Override
            public void processElement(T v, Context ctx, Collector<String> out) {
                out.collect(v + "@" + ctx.timestamp());
            }
        }).returns(Types.STRING);
    }

    /** A window's count: (key, number of elements), the elements themselves unchanged (a late
     *  element reaches the side output as it came). */
    static final class Count implements AggregateFunction<Tuple2<String, Long>, Tuple2<String, Long>, Tuple2<String, Long>> {
        @Override
        public Tuple2<String, Long> createAccumulator() {
            return Tuple2.of(null, 0L);
        }

        @Override
        public Tuple2<String, Long> add(Tuple2<String, Long> v, Tuple2<String, Long> acc) {
            return Tuple2.of(v.f0, acc.f1 + 1);
        }

        @Override
        public Tuple2<String, Long> getResult(Tuple2<String, Long> acc) {
            return acc;
        }

        @Override
        public Tuple2<String, Long> merge(Tuple2<String, Long> a, Tuple2<String, Long> b) {
            return Tuple2.of(a.f0 != null ? a.f0 : b.f0, a.f1 + b.f1);
        }
    }

    static StreamExecutionEnvironment env(Map<String, String> spec) {
        // -Drealflink.backend=rocksdb: the same job on RocksDB (serialized state) instead of the
        // default heap state backend (docs/real-flink-random.md: sliding-window max/min).
        // failure = boom (session 41): checkpoints every 100 ms, fixed-delay 1 x 200 ms.
        boolean failure = spec.containsKey("failure");
        Map<String, String> options = failure ? RealFlinkLifecycle.fixedDelay(1, 200) : new LinkedHashMap<>();
        options.put("state.backend.type", System.getProperty("realflink.backend", "hashmap"));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(Configuration.fromMap(options));
        if (failure) {
            env.enableCheckpointing(100);
        }
        env.setParallelism((int) num(spec, "parallelism"));
        long mp = num(spec, "max_parallelism");
        if (mp > 0) {
            env.setMaxParallelism((int) mp);
        }
        return env;
    }

    // ------------------------------------------------------------------ shapes

    /** keyed / union: words "k:n" -> (k, n) -> keyBy -> running sum | count | max | min -> print.
     *  mixed-union (session 41): the first source has event time ("k:n@ts", a watermark after
     *  each element), the second none, unioned. */
    static void keyed(Map<String, String> spec) throws Exception {
        StreamExecutionEnvironment env = env(spec);
        keyedJob(env, spec, null);
        env.execute(spec.get("name"));
    }

    /** The keyed / union / mixed-union job on `env`; its print sink is `out`, or `out-<ident>` in
     *  a job of a 2 -> 3 -> 1 rescale (session 42: the map at map_parallelism 2 follows the job's
     *  parallelism; uids fixed, so each restore finds every operator's state). */
    static void keyedJob(StreamExecutionEnvironment env, Map<String, String> spec, String ident) {
        boolean rescale = spec.containsKey("rescale");
        int mapP = rescale && num(spec, "map_parallelism") > 1 ? env.getParallelism() : (int) num(spec, "map_parallelism");
        DataStream<String> src = spec.get("shape").equals("mixed-union") ? eventSource(env, spec, "input", "bound")
            : input(env, spec);
        if (!spec.get("shape").equals("keyed")) {
            src = src.union(env.fromData(records(spec, "input2")));
        }
        SingleOutputStreamOperator<Tuple2<String, Long>> in = pairs(src, mapP).uid("to-pair");
        String agg = spec.get("agg");
        if (agg.equals("count")) {
            in = in.map(t -> Tuple2.of(t.f0, 1L)).returns(Types.TUPLE(Types.STRING, Types.LONG))
                .setParallelism(mapP).uid("to-one");
        }
        KeyedStream<Tuple2<String, Long>, String> keyed = in.keyBy(t -> t.f0);
        SingleOutputStreamOperator<Tuple2<String, Long>> out = agg.equals("max") ? keyed.max(1)
            : agg.equals("min") ? keyed.min(1) : keyed.sum(1);
        out.uid("agg").print(ident("out", ident)).uid("print");
    }

    /** A print identifier: `sink`, or `sink-<ident>` in a job of a rescale (session 42). */
    static String ident(String sink, String ident) {
        return ident == null ? sink : sink + "-" + ident;
    }

    static WindowAssigner<Object, TimeWindow> assigner(Map<String, String> spec) {
        return assigner(spec, "");
    }

    /** The window of the keys `size`, `slide`, `offset` with `suffix` ("2": a second window). */
    static WindowAssigner<Object, TimeWindow> assigner(Map<String, String> spec, String suffix) {
        if ("session".equals(spec.get("window" + suffix))) {
            // Session 42: EventTimeSessionWindows (a merging assigner).
            @SuppressWarnings({"unchecked", "rawtypes"})
            WindowAssigner<Object, TimeWindow> session = (WindowAssigner) EventTimeSessionWindows.withGap(Duration.ofMillis(num(spec, "gap" + suffix)));
            return session;
        }
        Duration size = Duration.ofMillis(num(spec, "size" + suffix));
        Duration offset = Duration.ofMillis(spec.containsKey("offset" + suffix) ? num(spec, "offset" + suffix) : 0);
        long slide = num(spec, "slide" + suffix);
        return slide == 0 ? TumblingEventTimeWindows.of(size, offset)
            : SlidingEventTimeWindows.of(size, Duration.ofMillis(slide), offset);
    }

    /** window: events "k:n@ts" (one source, a watermark after each) -> keyBy -> event-time window
     *  (tumbling | sliding, offset, allowed lateness) sum | count | max | min -> print; late
     *  elements dropped or to print("late"). */
    static void window(Map<String, String> spec) throws Exception {
        StreamExecutionEnvironment env = env(spec);
        windowJob(env, spec, null);
        env.execute(spec.get("name"));
    }

    /** The window job (session 42: also the session shape, and a job of a 2 -> 3 -> 1 rescale:
     *  print identifiers `out-<ident>`, `late-<ident>`; uids fixed). */
    static void windowJob(StreamExecutionEnvironment env, Map<String, String> spec, String ident) {
        DataStream<String> src = eventSource(env, spec, "input", "bound");
        OutputTag<Tuple2<String, Long>> late = new OutputTag<>("late", Types.TUPLE(Types.STRING, Types.LONG));
        WindowedStream<Tuple2<String, Long>, String, TimeWindow> w = pairs(src, 1).uid("to-pair").keyBy(t -> t.f0)
            .window(assigner(spec)).allowedLateness(Duration.ofMillis(num(spec, "lateness")));
        boolean side = spec.get("late").equals("side");
        if (side) {
            w = w.sideOutputLateData(late);
        }
        String agg = spec.get("agg");
        SingleOutputStreamOperator<Tuple2<String, Long>> out = agg.equals("count") ? w.aggregate(new Count())
            : agg.equals("max") ? w.max(1) : agg.equals("min") ? w.min(1) : w.sum(1);
        out.uid("window");
        stamped(out).uid("stamp").print(ident("out", ident)).uid("print");
        if (side) {
            stamped(out.getSideOutput(late)).uid("stamp-late").print(ident("late", ident)).uid("print-late");
        }
    }

    /** A window's sum | count | max | min of (key, n). */
    static SingleOutputStreamOperator<Tuple2<String, Long>> aggregate(WindowedStream<Tuple2<String, Long>, String, TimeWindow> w, String agg) {
        return agg.equals("count") ? w.aggregate(new Count()) : agg.equals("max") ? w.max(1) : agg.equals("min") ? w.min(1) : w.sum(1);
    }

    /** A keyed running sum | count | max | min of (key, n) (count: each n as 1, summed). */
    static SingleOutputStreamOperator<Tuple2<String, Long>> running(DataStream<Tuple2<String, Long>> in, String agg) {
        if (agg.equals("count")) {
            in = in.map(t -> Tuple2.of(t.f0, 1L)).returns(Types.TUPLE(Types.STRING, Types.LONG));
        }
        KeyedStream<Tuple2<String, Long>, String> keyed = in.keyBy(t -> t.f0);
        return agg.equals("max") ? keyed.max(1) : agg.equals("min") ? keyed.min(1) : keyed.sum(1);
    }

    /** windows-in-a-row (session 41): events -> keyBy -> window (p) -> keyBy -> window (p2) ->
     *  "@maxTimestamp" -> print (p2). */
    static void windowsInARow(Map<String, String> spec) throws Exception {
        StreamExecutionEnvironment env = env(spec);
        int p2 = (int) num(spec, "parallelism2");
        DataStream<Tuple2<String, Long>> first = aggregate(pairs(eventSource(env, spec, "input", "bound"), 1)
            .keyBy(t -> t.f0).window(assigner(spec, "")), spec.get("agg"));
        DataStream<Tuple2<String, Long>> second = aggregate(first.keyBy(t -> t.f0).window(assigner(spec, "2")), spec.get("agg2"))
            .setParallelism(p2);
        stamped(second).setParallelism(p2).print("out").setParallelism(p2);
        env.execute(spec.get("name"));
    }

    /** window-late (session 41): events -> keyBy -> window (allowed lateness) with the late side
     *  output; late_path union: the results and the late elements in one print("out"); agg: the
     *  results to print("out"), the late elements keyed again into a running aggregate to
     *  print("late"); every row "@" + its timestamp. */
    static void windowLate(Map<String, String> spec) throws Exception {
        StreamExecutionEnvironment env = env(spec);
        OutputTag<Tuple2<String, Long>> late = new OutputTag<>("late", Types.TUPLE(Types.STRING, Types.LONG));
        WindowedStream<Tuple2<String, Long>, String, TimeWindow> w = pairs(eventSource(env, spec, "input", "bound"), 1)
            .keyBy(t -> t.f0).window(assigner(spec)).allowedLateness(Duration.ofMillis(num(spec, "lateness")))
            .sideOutputLateData(late);
        SingleOutputStreamOperator<Tuple2<String, Long>> out = aggregate(w, spec.get("agg"));
        if (spec.get("late_path").equals("union")) {
            stamped(out.union(out.getSideOutput(late))).print("out");
        } else {
            stamped(out).print("out");
            stamped(running(out.getSideOutput(late), spec.get("late_agg"))).print("late");
        }
        env.execute(spec.get("name"));
    }

    /** rebalance-window (session 41): events -> (k, n) (1) -> rebalance -> identity map
     *  (map_parallelism) -> keyBy -> window -> "@maxTimestamp" -> print. */
    static void rebalanceWindow(Map<String, String> spec) throws Exception {
        StreamExecutionEnvironment env = env(spec);
        DataStream<Tuple2<String, Long>> spread = pairs(eventSource(env, spec, "input", "bound"), 1).rebalance()
            .map(t -> t).returns(Types.TUPLE(Types.STRING, Types.LONG)).setParallelism((int) num(spec, "map_parallelism"));
        WindowedStream<Tuple2<String, Long>, String, TimeWindow> w = spread.keyBy(t -> t.f0).window(assigner(spec))
            .allowedLateness(Duration.ofMillis(num(spec, "lateness")));
        stamped(aggregate(w, spec.get("agg"))).print("out");
        env.execute(spec.get("name"));
    }

    /** named-states (session 41): words "k:n" -> (k, n) (1) -> keyBy -> RealFlinkNamedStates36's
     *  operator: (key,count,sum,[n1, n2]) after each record -> print. */
    static void namedStates(Map<String, String> spec) throws Exception {
        StreamExecutionEnvironment env = env(spec);
        pairs(env.fromData(records(spec, "input")), 1).keyBy(t -> t.f0)
            .flatMap(new RealFlinkNamedStates36.NamedStates()).print("out");
        env.execute(spec.get("name"));
    }

    /** The records of `input`; with `failure = boom` (session 41) from RealFlinkGatedSource,
     *  which waits before "BOOM:0" until a checkpoint holding every record before it completed,
     *  and a map chained to it that throws once at that record (the job restarts from that
     *  checkpoint: what is printed is fixed by the input). */
    static DataStream<String> input(StreamExecutionEnvironment env, Map<String, String> spec) {
        if (spec.containsKey("rescale")) {
            // Session 42: the gated source of RealFlinkLifecycle#rescale231 (its input and gates).
            return RealFlinkGatedSource.of(env);
        }
        if (!spec.containsKey("failure")) {
            return env.fromData(records(spec, "input"));
        }
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(records(spec, "input"), true);
        return RealFlinkGatedSource.of(env).map(new RealFlinkNamedStates36.FailOnceAtBoom()).setParallelism(1);
    }

    static DataStream<String> eventSource(StreamExecutionEnvironment env, Map<String, String> spec, String input, String bound) {
        return (input.equals("input") ? input(env, spec) : env.fromData(records(spec, input)))
            .assignTimestampsAndWatermarks(RealFlinkJobs.events(num(spec, bound))).setParallelism(1).uid("watermarks-" + input);
    }

    /** interval-join: two event-time sources of keys "k@ts" -> keyBy each -> intervalJoin
     *  between(lower, upper), bounds exclusive or not -> "l|r@ts" -> print. */
    static void intervalJoin(Map<String, String> spec) throws Exception {
        StreamExecutionEnvironment env = env(spec);
        var joined = eventSource(env, spec, "input", "bound").keyBy(RealFlinkJobs::keyOf)
            .intervalJoin(eventSource(env, spec, "input2", "bound2").keyBy(RealFlinkJobs::keyOf))
            .between(Duration.ofMillis(num(spec, "lower")), Duration.ofMillis(num(spec, "upper")));
        if (spec.get("lower_exclusive").equals("true")) {
            joined = joined.lowerBoundExclusive();
        }
        if (spec.get("upper_exclusive").equals("true")) {
            joined = joined.upperBoundExclusive();
        }
        joined.process(new ProcessJoinFunction<String, String, String>() {
            @Override
            public void processElement(String l, String r, Context ctx, Collector<String> out) {
                out.collect(RealFlinkJobs.keyOf(l) + "|" + RealFlinkJobs.keyOf(r) + "@" + ctx.getTimestamp());
            }
        }).print("out");
        env.execute(spec.get("name"));
    }

    /** window-join: the two sources -> join.where.equalTo over tumbling | sliding event-time
     *  windows -> "l|r" -> "@maxTimestamp" -> print. */
    static void windowJoin(Map<String, String> spec) throws Exception {
        StreamExecutionEnvironment env = env(spec);
        DataStream<String> joined = eventSource(env, spec, "input", "bound")
            .join(eventSource(env, spec, "input2", "bound2"))
            .where(RealFlinkJobs::keyOf)
            .equalTo(RealFlinkJobs::keyOf)
            .window(assigner(spec))
            .apply(new JoinFunction<String, String, String>() {
                @Override
                public String join(String l, String r) {
                    return RealFlinkJobs.keyOf(l) + "|" + RealFlinkJobs.keyOf(r);
                }
            });
        stamped(joined).print("out");
        env.execute(spec.get("name"));
    }

    // ------------------------------------------------------------------ session 43 shapes

    /** keyBy -> the window of the keys with `suffix` and its allowed lateness; its late elements
     *  to `late` unless null. */
    static WindowedStream<Tuple2<String, Long>, String, TimeWindow> windowOf(DataStream<Tuple2<String, Long>> in,
            Map<String, String> spec, String suffix, OutputTag<Tuple2<String, Long>> late) {
        WindowedStream<Tuple2<String, Long>, String, TimeWindow> w = in.keyBy(t -> t.f0).window(assigner(spec, suffix))
            .allowedLateness(Duration.ofMillis(num(spec, "lateness" + suffix)));
        return late == null ? w : w.sideOutputLateData(late);
    }

    /** A late-element tag when the spec's `late` + suffix is `side`, else null. */
    static OutputTag<Tuple2<String, Long>> lateTag(Map<String, String> spec, String suffix) {
        return spec.get("late" + suffix).equals("side") ? new OutputTag<>("late" + suffix, Types.TUPLE(Types.STRING, Types.LONG)) : null;
    }

    /** windows-beside (session 43): events -> (k, n) -> keyBy -> window 1 and, beside it,
     *  keyBy -> window 2 (each its own parameters, allowed lateness and late side output) ->
     *  print("out") and print("out2"); late elements to print("late") / print("late2"). */
    static void windowsBeside(Map<String, String> spec) throws Exception {
        StreamExecutionEnvironment env = env(spec);
        DataStream<Tuple2<String, Long>> in = pairs(eventSource(env, spec, "input", "bound"), 1);
        OutputTag<Tuple2<String, Long>> late1 = lateTag(spec, "");
        OutputTag<Tuple2<String, Long>> late2 = lateTag(spec, "2");
        SingleOutputStreamOperator<Tuple2<String, Long>> out1 = aggregate(windowOf(in, spec, "", late1), spec.get("agg"));
        SingleOutputStreamOperator<Tuple2<String, Long>> out2 = aggregate(windowOf(in, spec, "2", late2), spec.get("agg2"));
        stamped(out1).print("out");
        stamped(out2).print("out2");
        if (late1 != null) {
            stamped(out1.getSideOutput(late1)).print("late");
        }
        if (late2 != null) {
            stamped(out2.getSideOutput(late2)).print("late2");
        }
        env.execute(spec.get("name"));
    }

    /** join-window (session 43): two event-time sources of "k:n@ts" -> (k, n) -> keyBy each ->
     *  intervalJoin between(lower, upper) -> (k, a + b) at max(tl, tr) -> keyBy -> window ->
     *  "@maxTimestamp" -> print("out"). */
    static void joinWindow(Map<String, String> spec) throws Exception {
        StreamExecutionEnvironment env = env(spec);
        var joined = pairs(eventSource(env, spec, "input", "bound"), 1).keyBy(t -> t.f0)
            .intervalJoin(pairs(eventSource(env, spec, "input2", "bound2"), 1).keyBy(t -> t.f0))
            .between(Duration.ofMillis(num(spec, "lower")), Duration.ofMillis(num(spec, "upper")));
        if (spec.get("lower_exclusive").equals("true")) {
            joined = joined.lowerBoundExclusive();
        }
        if (spec.get("upper_exclusive").equals("true")) {
            joined = joined.upperBoundExclusive();
        }
        DataStream<Tuple2<String, Long>> sums = joined.process(new ProcessJoinFunction<Tuple2<String, Long>, Tuple2<String, Long>, Tuple2<String, Long>>() {
            @Override
            public void processElement(Tuple2<String, Long> l, Tuple2<String, Long> r, Context ctx, Collector<Tuple2<String, Long>> out) {
                out.collect(Tuple2.of(l.f0, l.f1 + r.f1));
            }
        }).returns(Types.TUPLE(Types.STRING, Types.LONG));
        stamped(aggregate(sums.keyBy(t -> t.f0).window(assigner(spec)), spec.get("agg"))).print("out");
        env.execute(spec.get("name"));
    }

    /** A co-map side's function of a raw record: identity or upper case (Locale.ROOT). */
    static String apply(String function, String s) {
        return switch (function) {
            case "identity" -> s;
            case "uppercase" -> s.toUpperCase(Locale.ROOT);
            default -> throw new IllegalArgumentException("unknown function " + function);
        };
    }

    /** connect-keyed (session 43): two plain sources of "k:1" -> connect -> co-map (`function`,
     *  `function2`) at map_parallelism -> (k, 1) -> keyBy -> running sum | count -> print("out"). */
    static void connectKeyed(Map<String, String> spec) throws Exception {
        StreamExecutionEnvironment env = env(spec);
        int mapP = (int) num(spec, "map_parallelism");
        String f1 = spec.get("function");
        String f2 = spec.get("function2");
        DataStream<String> mapped = env.fromData(records(spec, "input")).connect(env.fromData(records(spec, "input2")))
            .map(new CoMapFunction<String, String, String>() {
                @Override
                public String map1(String s) {
                    return apply(f1, s);
                }

                @Override
                public String map2(String s) {
                    return apply(f2, s);
                }
            }).returns(Types.STRING).setParallelism(mapP);
        running(pairs(mapped, mapP), spec.get("agg")).print("out");
        env.execute(spec.get("name"));
    }

    /** window-functions (session 43): events -> (k, n) -> `before` (none | filter even n | n
     *  doubled) -> keyBy -> window (late dropped or to print("late")) -> `after` (none | doubled |
     *  even results only) -> "@maxTimestamp" -> print("out"). */
    static void windowFunctions(Map<String, String> spec) throws Exception {
        StreamExecutionEnvironment env = env(spec);
        DataStream<Tuple2<String, Long>> in = function(pairs(eventSource(env, spec, "input", "bound"), 1), spec.get("before"));
        OutputTag<Tuple2<String, Long>> late = lateTag(spec, "");
        SingleOutputStreamOperator<Tuple2<String, Long>> out = aggregate(windowOf(in, spec, "", late), spec.get("agg"));
        stamped(function(out, spec.get("after"))).print("out");
        if (late != null) {
            stamped(out.getSideOutput(late)).print("late");
        }
        env.execute(spec.get("name"));
    }

    /** A function of (k, n) at the stream's parallelism: none, `even` (a filter) or `double`. */
    static DataStream<Tuple2<String, Long>> function(SingleOutputStreamOperator<Tuple2<String, Long>> in, String f) {
        return switch (f) {
            case "none" -> in;
            case "even" -> in.filter(t -> t.f1 % 2 == 0).setParallelism(in.getParallelism());
            case "double" -> in.map(t -> Tuple2.of(t.f0, 2 * t.f1)).returns(Types.TUPLE(Types.STRING, Types.LONG))
                .setParallelism(in.getParallelism());
            default -> throw new IllegalArgumentException("unknown function " + f);
        };
    }

    /** rescale = 2-3-1 (session 42): the keyed or window job on the gated source at parallelism 2
     *  until record gate1, stopped with a savepoint (no drain); from it at 3 until record gate2,
     *  stopped; from that at 1 to the end of input. Print identifiers `out-first`, `out-second`,
     *  `out-third` (and `late-...`): the rows of each job apart. */
    static void rescale(Map<String, String> spec) throws Exception {
        long mp = num(spec, "max_parallelism");
        boolean keyed = spec.get("shape").equals("keyed");
        RealFlinkLifecycle.rescale231(records(spec, "input"), (int) num(spec, "gate1"), (int) num(spec, "gate2"),
            (env, ident) -> {
                if (mp > 0) {
                    env.setMaxParallelism((int) mp);
                }
                if (keyed) {
                    keyedJob(env, spec, ident);
                } else {
                    windowJob(env, spec, ident);
                }
            });
    }

    static void run(Map<String, String> spec) throws Exception {
        if (spec.containsKey("rescale")) {
            rescale(spec);
            return;
        }
        switch (spec.get("shape")) {
            case "keyed", "union", "mixed-union" -> keyed(spec);
            case "windows-in-a-row" -> windowsInARow(spec);
            case "window-late" -> windowLate(spec);
            case "rebalance-window" -> rebalanceWindow(spec);
            case "named-states" -> namedStates(spec);
            case "window", "session" -> window(spec);
            case "windows-beside" -> windowsBeside(spec);
            case "join-window" -> joinWindow(spec);
            case "connect-keyed" -> connectKeyed(spec);
            case "window-functions" -> windowFunctions(spec);
            case "interval-join" -> intervalJoin(spec);
            case "window-join" -> windowJoin(spec);
            default -> throw new IllegalArgumentException("unknown shape " + spec.get("shape"));
        }
    }

    /** Runs the job with System.out captured; the print sinks' lines, sorted. */
    static List<String> capture(Map<String, String> spec) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            run(spec);
        } finally {
            System.out.flush();
            System.setOut(old);
        }
        List<String> rows = new ArrayList<>();
        for (String line : buf.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.matches("^(out|late)2?(-(first|second|third))?(:[0-9]+)?> .*")) {
                rows.add(line);
            }
        }
        Collections.sort(rows);
        return rows;
    }

    public static void main(String[] args) {
        // A MiniCluster's threads keep the JVM alive after an exception: exit either way.
        try {
            Path out = Paths.get(args[0]);
            int repeats = Integer.parseInt(args[1]);
            String backend = System.getProperty("realflink.backend", "hashmap");
            String header = "# real Flink " + EnvironmentInformation.getVersion() + ", java "
                + System.getProperty("java.version")
                + (backend.equals("hashmap") ? "" : ", state backend " + backend)
                + "; rows sorted: a multiset per sink and subtask";
            // A spec that fails (an exception, or runs that differ) writes no fixture and is
            // named; the others still run, and the program exits 1 at the end.
            int failed = 0;
            for (int a = 2; a < args.length; a++) {
                Map<String, String> spec = readSpec(Paths.get(args[a]));
                String name = spec.get("name");
                try {
                    List<String> first = capture(spec);
                    for (int i = 1; i < repeats; i++) {
                        List<String> again = capture(spec);
                        if (!again.equals(first)) {
                            throw new IllegalStateException(name + ": run " + (i + 1) + " differs: " + first + " vs " + again);
                        }
                    }
                    List<String> lines = new ArrayList<>();
                    lines.add(header);
                    lines.add("# job " + name + " (" + args[a] + "), " + repeats + " identical runs");
                    lines.addAll(first);
                    Files.write(out.resolve(name + ".out"), lines, StandardCharsets.UTF_8);
                    System.out.println(name + ": " + first.size() + " rows");
                } catch (Exception e) {
                    failed++;
                    System.out.println(name + ": FAILED");
                    e.printStackTrace();
                }
            }
            if (failed > 0) {
                System.out.println(failed + " specs failed");
                System.exit(1);
            }
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }
}
