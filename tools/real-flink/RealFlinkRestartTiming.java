// RealFlinkRestartTiming: session 35's restart-strategy timing jobs (scenarios/real-flink/
// restart-timing-*.toml). The exactly-once job of RealFlinkTwoPc on RealFlinkGatedSource, whose
// records are now also *due* at chosen times (record i is not emitted before DUE_MS[i] after the
// source's first start), so the injected failures (the map throws at the first occurrence of each
// BOOM value) happen at chosen times and the restart strategy decides on real spacings. The map
// notes when it throws and when each attempt opens; each failure becomes a row
// `failure> BOOMk restart after N s` (N = whole seconds from the throw to the next attempt's open:
// the backoff plus Flink's redeploy, which stays well below a second) or `failure> BOOMk no restart`.
// Our own code, written for ckptsim (docs/real-flink.md).

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

public class RealFlinkRestartTiming {

    /** When each record of the input is due, ms after the source's first start; null: no schedule. */
    static volatile long[] dueMs;
    /** The source's first start (0: not started yet). */
    static volatile long startMs;
    /** (BOOM value, time it was thrown at), in throw order. */
    static final List<Object[]> FAILURES = new ArrayList<>();
    /** Attempt number -> the first time the failing map opened in it. */
    static final Map<Integer, Long> OPENED = new ConcurrentHashMap<>();

    /** Whether the record at `offset` may be emitted now (RealFlinkGatedSource asks). */
    static boolean isDue(int offset) {
        long[] due = dueMs;
        if (due == null) {
            return true;
        }
        long now = System.currentTimeMillis();
        if (startMs == 0) {
            startMs = now;
        }
        return now - startMs >= due[offset];
    }

    /** The failing map opened in `attempt` (RealFlinkJobs.FailOnce#open). */
    static void opened(int attempt) {
        OPENED.putIfAbsent(attempt, System.currentTimeMillis());
    }

    /** The failing map throws at `value` (RealFlinkJobs.FailOnce#map). */
    static void failed(String value) {
        synchronized (FAILURES) {
            FAILURES.add(new Object[] {value, System.currentTimeMillis()});
        }
    }

    /** Runs the exactly-once job on `words` due at `due` with the restart strategy of
     *  `options`; adds a `failure>` row per injected failure to its report. */
    static void run(String name, String[] words, long[] due, Map<String, String> options) throws Exception {
        if (words.length != due.length) {
            throw new IllegalArgumentException(name + ": " + words.length + " words, " + due.length + " due times");
        }
        FAILURES.clear();
        OPENED.clear();
        startMs = 0;
        dueMs = due;
        try {
            RealFlinkTwoPc.runWith(name, words, options, true);
        } finally {
            dueMs = null;
        }
        // Attempt k + 1 is the restart after the k-th failure (a full restart: one region).
        for (int k = 0; k < FAILURES.size(); k++) {
            String value = (String) FAILURES.get(k)[0];
            long thrownMs = (Long) FAILURES.get(k)[1];
            Long openMs = OPENED.get(k + 1);
            if (openMs == null) {
                System.out.println("failure> " + value + " no restart");
                System.err.println(name + ": " + value + " at " + (thrownMs - startMs) + " ms, no restart");
            } else {
                long gapMs = openMs - thrownMs;
                System.out.println("failure> " + value + " restart after " + gapMs / 1000 + " s");
                System.err.println(name + ": " + value + " at " + (thrownMs - startMs) + " ms, restart "
                    + gapMs + " ms later");
            }
        }
    }

    // ------------------------------------------------------------------ the jobs

    /** fixed-delay, 2 attempts, 2 s: failures at 3, 7, 11 s: restarts 2 s after the first two, FAILED at the third. */
    static final String[] FIXED_WORDS = {"a", "b", "BOOM1", "c", "a", "b", "BOOM2", "a", "c", "b", "BOOM3", "d", "a"};
    static final long[] FIXED_DUE = {1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000, 13000};

    /** failure-rate, at most 2 per 8 s, 1 s delay: failures at 3, 12, 15, 18 s. The third finds the
     *  first 12 s back (restart); the fourth finds the second 6 s back (FAILED). */
    static final String[] RATE_WORDS = {"a", "b", "BOOM1", "c", "a", "b", "BOOM2", "a", "c", "BOOM3", "b", "BOOM4", "d", "a"};
    static final long[] RATE_DUE = {1000, 2000, 3000, 4000, 6000, 9000, 12000, 13000, 14000, 15000, 16000, 18000, 19000, 20000};

    /** exponential-delay 1 s x2 up to 4 s, reset after 6 s quiet, jitter 0, 4 attempts: failures
     *  at 3, 6, 10, 17, 29 s back off 1, 2, 4, 4 (capped), then 1 s (8 s after the restart
     *  scheduled for 21 s: reset, the attempt count starts over, so the 5th failure restarts). */
    static final String[] EXPO_WORDS = {
        "a", "b", "BOOM1", "c", "a", "BOOM2", "b", "BOOM3", "a", "c", "BOOM4", "b", "a", "BOOM5", "d", "a"
    };
    static final long[] EXPO_DUE = {
        1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 15000, 17000, 20000, 25000, 29000, 30000, 31000
    };

    static Map<String, String> exponential() {
        Map<String, String> m = new java.util.HashMap<>();
        m.put("restart-strategy.type", "exponential-delay");
        m.put("restart-strategy.exponential-delay.initial-backoff", "1 s");
        m.put("restart-strategy.exponential-delay.max-backoff", "4 s");
        m.put("restart-strategy.exponential-delay.backoff-multiplier", "2.0");
        m.put("restart-strategy.exponential-delay.reset-backoff-threshold", "6 s");
        m.put("restart-strategy.exponential-delay.jitter-factor", "0.0");
        m.put("restart-strategy.exponential-delay.attempts-before-reset-backoff", "4");
        return m;
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("restart-timing-fixed-delay",
            () -> run("restart-timing-fixed-delay", FIXED_WORDS, FIXED_DUE, RealFlinkLifecycle.fixedDelay(2, 2000)));
        m.put("restart-timing-failure-rate",
            () -> run("restart-timing-failure-rate", RATE_WORDS, RATE_DUE, RealFlinkLifecycle.failureRate(2, 8000, 1000)));
        m.put("restart-timing-exponential-delay",
            () -> run("restart-timing-exponential-delay", EXPO_WORDS, EXPO_DUE, exponential()));
    }
}
