// RealFlinkDrainTwoPc: session 35's stop-with-savepoint jobs into a two-phase-commit sink
// (scenarios/real-flink/stop-{drain,no-drain}-2pc.toml). The event-time window job of
// RealFlinkOperatorState#stopWindow with its print sink replaced by the store's exactly-once sink
// (RealFlinkTwoPc: TwoPhaseCommitSinkFunction in 1.x, a Sink V2 committer in 2.x), checkpoints
// every hour, so the stop's synchronous savepoint is the only checkpoint of the first job: its
// transaction is the job's final one. After each job the rows it committed are reported as
// `first:committed> row` / `second:committed> row`, so what the final transaction held and in
// which job it committed are compared. Our own code, written for ckptsim (docs/real-flink.md).

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;

public class RealFlinkDrainTwoPc {

    /** source (p1) -> per-element bounded-out-of-orderness watermarks (500 ms) -> (key, 1) ->
     *  keyBy -> tumbling 1 s event-time sum (p2) -> the store's 2PC sink (p2); the `ident` is
     *  not used by the sink (the driver labels each job's commits). */
    static void pipeline(StreamExecutionEnvironment env, String ident) {
        env.enableCheckpointing(3_600_000);
        RealFlinkTwoPc.attach(
            RealFlinkGatedSource.of(env)
                .assignTimestampsAndWatermarks(RealFlinkJobs.events(500))
                .setParallelism(1)
                .uid("watermarks")
                .map(s -> Tuple2.of(RealFlinkJobs.keyOf(s), 1L))
                .returns(Types.TUPLE(Types.STRING, Types.LONG))
                .setParallelism(1)
                .uid("to-pair")
                .keyBy(t -> t.f0)
                .window(TumblingEventTimeWindows.of(Duration.ofMillis(1000)))
                .sum(1)
                .uid("window")
                .name("Window"),
            2);
    }

    /** The rows committed since the last call, as `ident:committed> row`; empties the store. */
    static void reportCommitted(String ident) {
        for (String row : RealFlinkJobs.COMMITTED) {
            System.out.println(ident + ":committed> " + row);
        }
        RealFlinkJobs.COMMITTED.clear();
    }

    /** The window job until record 4 (RealFlinkOperatorState.DRAIN_INPUT), `flink stop` with or
     *  without --drain; a second job from the savepoint (same parallelism) reads the rest and
     *  finishes. */
    static void stop(boolean drain) throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(RealFlinkOperatorState.DRAIN_INPUT, false);
        Path dir = Files.createTempDirectory("ckptsim-savepoints");
        String first = RealFlinkLifecycle.runAndStop(2, null, "first", 4, dir, drain, RealFlinkDrainTwoPc::pipeline);
        reportCommitted("first");
        RealFlinkLifecycle.gate = Integer.MAX_VALUE;
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, first, Map.of());
        pipeline(env, "second");
        env.execute("second");
        reportCommitted("second");
        System.out.println("restarts> " + RealFlinkJobs.MAX_ATTEMPT.get());
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("stop-drain-2pc", () -> stop(true));
        m.put("stop-no-drain-2pc", () -> stop(false));
    }
}
