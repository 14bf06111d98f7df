// RealFlinkNamedStates36 (session 36): several named keyed states in one operator, across a
// failure and a 2 -> 3 -> 1 rescale from savepoints (scenarios/real-flink/named-states-*.toml,
// docs/real-flink.md "Session 36"). The operator keeps, per key, two value states (`count`,
// `sum`) and a list state (`values`) and prints (key,count,sum,[values]) after each record, so
// a state that is not restored, or restored elsewhere than its key's new subtask, shows in the
// rows. Registered by RealFlinkFidelity36#register. Our own code, written for ckptsim; it
// compiles against 1.20.3 and 2.3.0 unchanged.

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

public class RealFlinkNamedStates36 {

    /** "key n" records; the gates of the rescale job are after records 6 and 12. */
    static final String[] INPUT = {
        "a 4", "b 1", "a 5", "c 2", "b 3", "a 1",
        "d 7", "b 2", "a 3", "c 1", "e 6", "a 2",
        "b 4", "d 1", "a 6", "c 5", "e 2", "f 3"
    };

    /** The failure job's input: BOOM after 7 records (the source first waits for a checkpoint
     *  holding all 7: the restart restores exactly them and replays from BOOM). */
    static final String[] FAILURE_INPUT = {
        "a 4", "b 1", "a 5", "c 2", "b 3", "a 1", "d 7", "BOOM 0", "b 2", "a 3", "c 1", "e 6", "a 2"
    };

    /** Per key: value states count and sum, list state values; emits (key,count,sum,[values]). */
    static final class NamedStates extends RichFlatMapFunction<Tuple2<String, Long>, String> {
        private transient ValueState<Long> count;
        private transient ValueState<Long> sum;
        private transient ListState<Long> values;

        @Override
        public void open(OpenContext c) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
            sum = getRuntimeContext().getState(new ValueStateDescriptor<>("sum", Types.LONG));
            values = getRuntimeContext().getListState(new ListStateDescriptor<>("values", Types.LONG));
        }

        @Override
        public void flatMap(Tuple2<String, Long> t, Collector<String> out) throws Exception {
            long n = (count.value() == null ? 0 : count.value()) + 1;
            long s = (sum.value() == null ? 0 : sum.value()) + t.f1;
            count.update(n);
            sum.update(s);
            values.add(t.f1);
            List<Long> all = new ArrayList<>();
            for (Long v : values.get()) {
                all.add(v);
            }
            out.collect("(" + t.f0 + "," + n + "," + s + "," + all + ")");
        }
    }

    /** Throws at the first "BOOM..." of a run (RealFlinkJobs.THROWN), else passes it on. */
    static final class FailOnceAtBoom implements MapFunction<String, String> {
        @Override
        public String map(String s) {
            if (s.startsWith("BOOM") && RealFlinkJobs.THROWN.add(s)) {
                throw new RuntimeException("injected failure at " + s);
            }
            return s;
        }
    }

    /** "key n" -> (key, n). */
    static Tuple2<String, Long> parse(String s) {
        int space = s.indexOf(' ');
        return Tuple2.of(s.substring(0, space), Long.parseLong(s.substring(space + 1)));
    }

    /** gated source (p1) -> (key, n) (p1) -> keyBy -> NamedStates -> print(ident); uids fixed. */
    static void pipeline(StreamExecutionEnvironment env, String ident) {
        RealFlinkGatedSource.of(env)
            .map(RealFlinkNamedStates36::parse)
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1)
            .uid("to-pair")
            .keyBy(t -> t.f0)
            .flatMap(new NamedStates())
            .uid("named")
            .name("Named")
            .print(ident)
            .uid("print");
    }

    /** p2 until record 6, stop with a savepoint; p3 from it until record 12, stop; p1 to the end. */
    static void rescale() throws Exception {
        RealFlinkLifecycle.rescale231(INPUT, 6, 12, RealFlinkNamedStates36::pipeline);
    }

    /** p2, checkpoints every 100 ms, fixed-delay 1 x 200 ms: the map chained to the source throws
     *  once at BOOM; every task restarts from the checkpoint taken while the source waited. */
    static void failure() throws Exception {
        RealFlinkJobs.resetExactlyOnce();
        RealFlinkLifecycle.useInput(FAILURE_INPUT, true);
        StreamExecutionEnvironment env = RealFlinkLifecycle.env(2, null, RealFlinkLifecycle.fixedDelay(1, 200));
        env.enableCheckpointing(100);
        RealFlinkGatedSource.of(env)
            .map(new FailOnceAtBoom())
            .setParallelism(1)
            .map(RealFlinkNamedStates36::parse)
            .returns(Types.TUPLE(Types.STRING, Types.LONG))
            .setParallelism(1)
            .keyBy(t -> t.f0)
            .flatMap(new NamedStates())
            .print();
        env.execute("named-states-failure");
    }

    static void register(Map<String, RealFlinkJobs.Job> m) {
        m.put("named-states-2-3-1", RealFlinkNamedStates36::rescale);
        m.put("named-states-failure", RealFlinkNamedStates36::failure);
    }
}
