// RealFlinkLifecycle: the session-33 jobs of scenarios/real-flink/ about a job's life rather
// than its operators: restart strategies (fixed-delay, failure-rate, exponential-delay) with
// N injected failures before the exactly-once sink of RealFlinkTwoPc, a keyed running count
// stopped with a savepoint and rescaled 2 -> 3 -> 1, and a retained checkpoint
// (RETAIN_ON_CANCELLATION) resumed by a new job after a cancel. The input stops at a known
// place (RealFlinkGatedSource waits at a gate), so what a savepoint or checkpoint holds is
// fixed by the input, not by timing. Our own code, written for ckptsim (docs/real-flink.md).

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

public class RealFlinkLifecycle {

    // ------------------------------------------------------------------ restart strategies

    /** One failure at BOOM1 and one at BOOM2: below fixed-delay's 3 attempts. */
    static final String[] TWO_FAILURES = {"a", "b", "BOOM1", "c", "a", "BOOM2", "b", "a", "d"};

    /** Three failures (BOOM1..3). */
    static final String[] THREE_FAILURES = {"a", "b", "BOOM1", "c", "a", "BOOM2", "b", "a", "BOOM3", "d", "a"};

    static Map<String, String> fixedDelay(int attempts, long delayMs) {
        Map<String, String> m = new HashMap<>();
        m.put("restart-strategy.type", "fixed-delay");
        m.put("restart-strategy.fixed-delay.attempts", Integer.toString(attempts));
        m.put("restart-strategy.fixed-delay.delay", delayMs + " ms");
        return m;
    }

    static Map<String, String> failureRate(int maxFailures, long intervalMs, long delayMs) {
        Map<String, String> m = new HashMap<>();
        m.put("restart-strategy.type", "failure-rate");
        m.put("restart-strategy.failure-rate.max-failures-per-interval", Integer.toString(maxFailures));
        m.put("restart-strategy.failure-rate.failure-rate-interval", intervalMs + " ms");
        m.put("restart-strategy.failure-rate.delay", delayMs + " ms");
        return m;
    }

    static Map<String, String> exponentialDelay(int attempts) {
        Map<String, String> m = new HashMap<>();
        m.put("restart-strategy.type", "exponential-delay");
        m.put("restart-strategy.exponential-delay.initial-backoff", "100 ms");
        m.put("restart-strategy.exponential-delay.max-backoff", "1 s");
        m.put("restart-strategy.exponential-delay.backoff-multiplier", "2.0");
        m.put("restart-strategy.exponential-delay.reset-backoff-threshold", "1 h");
        m.put("restart-strategy.exponential-delay.jitter-factor", "0.0");
        m.put("restart-strategy.exponential-delay.attempts-before-reset-backoff", Integer.toString(attempts));
        return m;
    }

    // ------------------------------------------------------------------ the gated keyed count

    /** The input of the rescale and retained jobs; the gates are after records 6 and 12. */
    static final String[] COUNT_INPUT = {
        "a", "b", "c", "a", "d", "e",
        "b", "a", "f", "c", "hello", "a",
        "world", "b", "a", "flink", "d", "e"
    };

    /** What RealFlinkGatedSource reads. */
    static volatile String[] input = COUNT_INPUT;
    /** The source waits before each "BOOM..." record until a checkpoint holding every record
     *  before it completed (the restart jobs). */
    static volatile boolean checkpointBeforeBoom;
    /** The source emits records before this index, then waits (RealFlinkGatedSource). */
    static volatile int gate = Integer.MAX_VALUE;
    /** The offset at which the source last waited at the gate (-1: not yet). */
    static volatile int reached = -1;
    /** The highest source offset a completed checkpoint holds (-1: none yet). */
    static volatile int completedAt = -1;

    /** The gated source's input and mode for the next job; no gate, nothing seen yet. */
    static void useInput(String[] words, boolean boomWaits) {
        input = words;
        checkpointBeforeBoom = boomWaits;
        gate = Integer.MAX_VALUE;
        reached = -1;
        completedAt = -1;
    }

    static StreamExecutionEnvironment env(int parallelism, String restorePath, Map<String, String> options) {
        Map<String, String> m = new HashMap<>(options);
        if (restorePath != null) {
            // 1.x's key and 2.x's (each ignores the other's).
            m.put("execution.savepoint.path", restorePath);
            m.put("execution.state-recovery.path", restorePath);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(Configuration.fromMap(m));
        env.setParallelism(parallelism);
        return env;
    }

    /** source (p1) -> (w, 1) (p1, chained) -> keyBy -> sum -> print(ident); uids fixed, so a
     *  restore at another parallelism finds every operator's state. */
    static void countPipeline(StreamExecutionEnvironment env, String ident) {
        RealFlinkGatedSource.of(env)
            .map(w -> Tuple2.of(w, 1L))
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1)
            .uid("to-pair")
            .name("ToPair")
            .keyBy(t -> t.f0)
            .sum(1)
            .uid("sum")
            .name("Sum")
            .print(ident)
            .uid("print");
    }

    static void waitFor(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** A job's shape on a gated source: adds its operators to `env`, printing with `ident`. */
    interface Pipeline {
        void build(StreamExecutionEnvironment env, String ident);
    }

    /** Runs the count at `parallelism` (restored from `restorePath` if set) until the source
     *  waits at `stopGate`, then `flink stop` (a synchronous savepoint, no drain); its path. */
    static String runAndStop(int parallelism, String restorePath, String ident, int stopGate, Path dir)
            throws Exception {
        return runAndStop(parallelism, restorePath, ident, stopGate, dir, false, RealFlinkLifecycle::countPipeline);
    }

    /** Runs `pipeline` at `parallelism` (restored from `restorePath` if set) until the source
     *  waits at `stopGate`, then `flink stop` (`drain`: `flink stop --drain`, MAX_WATERMARK and
     *  end of input before the synchronous savepoint); the savepoint's path. */
    static String runAndStop(int parallelism, String restorePath, String ident, int stopGate, Path dir,
            boolean drain, Pipeline pipeline) throws Exception {
        gate = stopGate;
        reached = -1;
        StreamExecutionEnvironment env = env(parallelism, restorePath, Map.of());
        pipeline.build(env, ident);
        JobClient client = env.executeAsync(ident);
        waitFor(() -> reached == stopGate, "the source at gate " + stopGate);
        // A stop refused before its trigger (a task of the restored job not RUNNING yet: "Not
        // all required tasks are currently running") leaves the job running: ask again.
        for (int tries = 1; ; tries++) {
            try {
                String path =
                    client.stopWithSavepoint(drain, dir.toUri().toString(), SavepointFormatType.CANONICAL).get();
                client.getJobExecutionResult().get();
                return path;
            } catch (ExecutionException e) {
                if (tries == 100) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    /** `pipeline` on `input` at p2 until record `firstGate`, stop with a savepoint; at p3 from it
     *  until record `secondGate`, stop; at p1 from that to the end of input (print idents
     *  "first", "second", "third"). */
    static void rescale231(String[] input, int firstGate, int secondGate, Pipeline pipeline) throws Exception {
        useInput(input, false);
        Path dir = Files.createTempDirectory("ckptsim-savepoints");
        String first = runAndStop(2, null, "first", firstGate, dir, false, pipeline);
        String second = runAndStop(3, first, "second", secondGate, dir, false, pipeline);
        gate = Integer.MAX_VALUE;
        StreamExecutionEnvironment env = env(1, second, Map.of());
        pipeline.build(env, "third");
        env.execute("third");
    }

    /** Rescaling from savepoints: p2 until record 6, stop with a savepoint; p3 from it until
     *  record 12, stop; p1 from that to the end of input (FINISHED). */
    static void rescale() throws Exception {
        useInput(COUNT_INPUT, false);
        Path dir = Files.createTempDirectory("ckptsim-savepoints");
        String first = runAndStop(2, null, "first", 6, dir);
        String second = runAndStop(3, first, "second", 12, dir);
        gate = Integer.MAX_VALUE;
        StreamExecutionEnvironment env = env(1, second, Map.of());
        countPipeline(env, "third");
        env.execute("third");
    }

    /** The newest retained checkpoint under `dir` (<dir>/<job id>/chk-N/_metadata). */
    static String newestCheckpoint(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().equals("_metadata"))
                .map(Path::getParent)
                .filter(p -> p.getFileName().toString().startsWith("chk-"))
                .max((a, b) -> Long.compare(chk(a), chk(b)))
                .orElseThrow(() -> new IllegalStateException("no retained checkpoint under " + dir))
                .toUri()
                .toString();
        }
    }

    static long chk(Path p) {
        return Long.parseLong(p.getFileName().toString().substring(4));
    }

    /** Retained checkpoint: p2, checkpoints every 100 ms retained on cancellation; once a
     *  checkpoint holding the first 6 records completed, cancel; a new job from the newest
     *  retained checkpoint reads the rest (FINISHED). */
    static void retained() throws Exception {
        useInput(COUNT_INPUT, false);
        Path dir = Files.createTempDirectory("ckptsim-checkpoints");
        Map<String, String> options = new HashMap<>();
        options.put("execution.checkpointing.interval", "100 ms");
        options.put("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        options.put("state.checkpoints.dir", dir.toUri().toString());
        options.put("execution.checkpointing.dir", dir.toUri().toString());
        gate = 6;
        completedAt = -1;
        StreamExecutionEnvironment env = env(2, null, options);
        countPipeline(env, "first");
        JobClient client = env.executeAsync("first");
        waitFor(() -> completedAt == 6, "a completed checkpoint at record 6");
        client.cancel().get();
        try {
            client.getJobExecutionResult().get();
        } catch (ExecutionException expected) {
            // the job was cancelled
        }
        gate = Integer.MAX_VALUE;
        StreamExecutionEnvironment again = env(2, newestCheckpoint(dir), options);
        countPipeline(again, "second");
        again.execute("second");
    }

    // ------------------------------------------------------------------ registration

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("restart-fixed-delay-finish",
            () -> RealFlinkTwoPc.runWith("restart-fixed-delay-finish", TWO_FAILURES, fixedDelay(3, 200), true));
        m.put("restart-fixed-delay-fail",
            () -> RealFlinkTwoPc.runWith("restart-fixed-delay-fail", THREE_FAILURES, fixedDelay(2, 200), true));
        m.put("restart-failure-rate",
            () -> RealFlinkTwoPc.runWith("restart-failure-rate", THREE_FAILURES, failureRate(2, 60_000, 200), true));
        m.put("restart-failure-rate-spread",
            () -> RealFlinkTwoPc.runWith("restart-failure-rate-spread", THREE_FAILURES, failureRate(1, 500, 200), true));
        m.put("restart-exponential-delay",
            () -> RealFlinkTwoPc.runWith("restart-exponential-delay", THREE_FAILURES, exponentialDelay(2), true));
        m.put("rescale-savepoint-2-3-1", RealFlinkLifecycle::rescale);
        m.put("retained-resume", RealFlinkLifecycle::retained);
        // Session 34: operator list state (split, union) across 2 -> 3 -> 1, stop --drain.
        RealFlinkOperatorState.register(m);
        // Session 35: when restarts happen and when the job fails for good.
        RealFlinkRestartTiming.register(m);
        // Session 35: stop-with-savepoint (with and without --drain) into a two-phase-commit sink.
        RealFlinkDrainTwoPc.register(m);
        // Session 35: broadcast operator state (getBroadcastState) across 2 -> 3 -> 1.
        RealFlinkBroadcastState.register(m);
        // Session 36: late-fed joins and windows, exponential-delay jitter (RealFlinkFidelity36.java).
        RealFlinkFidelity36.register(m);
    }
}
