// RealFlinkTwoPc (Flink 2.x): the exactly-once job of scenarios/real-flink/exactly-once-failure.toml
// on real Flink 2.x, whose TwoPhaseCommitSinkFunction is gone: the same store behind a Sink V2
// (a CommittingSinkWriter and a Committer), the restart strategy from the configuration.
// scripts/real-flink.sh compiles this file instead of ../RealFlinkTwoPc.java for 2.x.
// Our own code, written for ckptsim.

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

public class RealFlinkTwoPc {
    /** One transaction: its id and rows. */
    public static final class Txn {
        public String id = UUID.randomUUID().toString();
        public List<String> rows = new ArrayList<>();
    }

    static final class TxnSerializer implements SimpleVersionedSerializer<Txn> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(Txn t) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(b);
            out.writeUTF(t.id);
            out.writeInt(t.rows.size());
            for (String r : t.rows) {
                out.writeUTF(r);
            }
            out.flush();
            return b.toByteArray();
        }

        @Override
        public Txn deserialize(int version, byte[] bytes) throws IOException {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            Txn t = new Txn();
            t.id = in.readUTF();
            for (int n = in.readInt(); n > 0; n--) {
                t.rows.add(in.readUTF());
            }
            return t;
        }
    }

    /** Sink V2 into the in-JVM store COMMITTED (commit is idempotent by txn id). */
    static final class StoreSink implements Sink<Tuple2<String, Long>>, SupportsCommitter<Txn> {
        @Override
        public SinkWriter<Tuple2<String, Long>> createWriter(WriterInitContext ctx) {
            return new CommittingSinkWriter<Tuple2<String, Long>, Txn>() {
                private Txn open = new Txn();

                @Override
                public void write(Tuple2<String, Long> v, Context c) {
                    open.rows.add(v.toString());
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public Collection<Txn> prepareCommit() {
                    List<Txn> out = new ArrayList<>();
                    if (!open.rows.isEmpty()) {
                        out.add(open);
                    }
                    open = new Txn();
                    return out;
                }

                @Override
                public void close() {}
            };
        }

        @Override
        public Committer<Txn> createCommitter(CommitterInitContext ctx) {
            return new Committer<Txn>() {
                @Override
                public void commit(Collection<CommitRequest<Txn>> requests) {
                    for (CommitRequest<Txn> r : requests) {
                        Txn t = r.getCommittable();
                        if (RealFlinkJobs.COMMITTED_TXNS.add(t.id)) {
                            RealFlinkJobs.COMMITTED.addAll(t.rows);
                        }
                    }
                }

                @Override
                public void close() {}
            };
        }

        @Override
        public SimpleVersionedSerializer<Txn> getCommittableSerializer() {
            return new TxnSerializer();
        }
    }

    /** Session 35: `stream` into the store's exactly-once sink at `parallelism` (uid "store"), for
     *  jobs of other files that must compile against 1.x and 2.x (RealFlinkDrainTwoPc). */
    static void attach(org.apache.flink.streaming.api.datastream.DataStream<Tuple2<String, Long>> stream, int parallelism) {
        stream.sinkTo(new StoreSink()).setParallelism(parallelism).uid("store").name("Store");
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
            .sinkTo(new StoreSink());
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
