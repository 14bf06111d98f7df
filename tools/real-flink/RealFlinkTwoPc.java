// RealFlinkTwoPc: the exactly-once job of scenarios/real-flink/exactly-once-failure.toml on real
// Flink 1.x (TwoPhaseCommitSinkFunction was removed in 2.0, so scripts/real-flink.sh compiles
// this file for 1.x only and RealFlinkJobs finds it by name). Our own code, written for ckptsim.

import java.util.ArrayList;
import java.util.Map;
import java.util.UUID;

import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.typeutils.base.VoidSerializer;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.typeutils.runtime.kryo.KryoSerializer;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.TwoPhaseCommitSinkFunction;

public class RealFlinkTwoPc {
    /** One transaction: its id and rows. */
    public static final class Txn {
        public String id = UUID.randomUUID().toString();
        public ArrayList<String> rows = new ArrayList<>();
    }

    /** A two-phase-commit sink into the in-JVM store COMMITTED (commit is idempotent by txn id). */
    static final class StoreSink extends TwoPhaseCommitSinkFunction<Tuple2<String, Long>, Txn, Void> {
        StoreSink() {
            super(new KryoSerializer<>(Txn.class, new ExecutionConfig()), VoidSerializer.INSTANCE);
        }

        @Override
        protected void invoke(Txn txn, Tuple2<String, Long> v, Context ctx) {
            txn.rows.add(v.toString());
        }

        @Override
        protected Txn beginTransaction() {
            return new Txn();
        }

        @Override
        protected void preCommit(Txn txn) {}

        @Override
        protected void commit(Txn txn) {
            if (RealFlinkJobs.COMMITTED_TXNS.add(txn.id)) {
                RealFlinkJobs.COMMITTED.addAll(txn.rows);
            }
        }

        @Override
        protected void abort(Txn txn) {}
    }

    /** Session 35: `stream` into the store's exactly-once sink at `parallelism` (uid "store"), for
     *  jobs of other files that must compile against 1.x and 2.x (RealFlinkDrainTwoPc). */
    static void attach(org.apache.flink.streaming.api.datastream.DataStream<Tuple2<String, Long>> stream, int parallelism) {
        stream.addSink(new StoreSink()).setParallelism(parallelism).uid("store").name("Store");
    }

    public static void run() throws Exception {
        runWith("exactly-once-failure", RealFlinkJobs.EO_WORDS, RealFlinkLifecycle.fixedDelay(3, 200), false);
    }

    /** The exactly-once job on `words` with the restart strategy of `options` (Flink's
     *  restart-strategy.* keys). `lifecycle` (RealFlinkLifecycle's restart jobs): the words come
     *  from RealFlinkGatedSource, which waits before each BOOM until a checkpoint holding every
     *  record before it completed, and the job's terminal status is reported too (`status>
     *  FINISHED`, or `status> FAILED` when the restart strategy gave up). */
    public static void runWith(String name, String[] words, Map<String, String> options, boolean lifecycle)
            throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(Configuration.fromMap(options));
        env.setParallelism(2);
        env.enableCheckpointing(100);
        if (lifecycle) {
            RealFlinkLifecycle.useInput(words, true);
        }
        (lifecycle ? RealFlinkGatedSource.of(env) : env.fromData(words))
            .map(new RealFlinkJobs.FailOnce())
            .setParallelism(1)
            .keyBy(t -> t.f0)
            .sum(1)
            .addSink(new StoreSink());
        String terminal = "FINISHED";
        try {
            env.execute(name);
        } catch (Exception e) {
            if (!lifecycle) {
                throw e;
            }
            terminal = "FAILED";
        }
        RealFlinkJobs.reportExactlyOnce();
        if (lifecycle) {
            System.out.println("status> " + terminal);
        }
    }
}
