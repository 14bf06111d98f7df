// RealFlinkTwoPc: the exactly-once job of scenarios/real-flink/exactly-once-failure.toml on real
// Flink 1.x (TwoPhaseCommitSinkFunction was removed in 2.0, so scripts/real-flink.sh compiles
// this file for 1.x only and RealFlinkJobs finds it by name). Our own code, written for ckptsim.

import java.util.ArrayList;
import java.util.UUID;

import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.restartstrategy.RestartStrategies;
import org.apache.flink.api.common.typeutils.base.VoidSerializer;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.typeutils.runtime.kryo.KryoSerializer;
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

    public static void run() throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        StreamExecutionEnvironment env = RealFlinkJobs.env(2);
        env.enableCheckpointing(100);
        env.setRestartStrategy(RestartStrategies.fixedDelayRestart(3, 200));
        env.fromData(RealFlinkJobs.EO_WORDS)
            .map(new RealFlinkJobs.FailOnce())
            .setParallelism(1)
            .keyBy(t -> t.f0)
            .sum(1)
            .addSink(new StoreSink());
        env.execute("exactly-once-failure");
        RealFlinkJobs.reportExactlyOnce();
    }

}
