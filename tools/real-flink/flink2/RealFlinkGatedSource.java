// RealFlinkGatedSource (Flink 2.x): the source of the lifecycle jobs (RealFlinkLifecycle.java).
// It emits RealFlinkLifecycle.input from its checkpointed offset up to the gate, then waits: a
// stop-with-savepoint or a checkpoint taken while it waits holds exactly the records before the
// gate. With checkpointBeforeBoom it also waits before each "BOOM..." record until a checkpoint
// holding every record before it has completed (the restart jobs: what a failure leaves
// committed is then fixed by the input). Past the last record it returns (end of input).
// A non-parallel SourceFunction whose offset is operator list state; 2.x keeps the API in its legacy package (org.apache.flink.streaming.api.functions.source.legacy).
// Our own code, written for ckptsim.

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.source.legacy.RichSourceFunction;

public class RealFlinkGatedSource extends RichSourceFunction<String> implements CheckpointedFunction, CheckpointListener {
    private volatile boolean running = true;
    private transient ListState<Integer> offsetState;
    private int offset;
    /** The offset each checkpoint of this attempt took, by checkpoint id. */
    private final Map<Long, Integer> taken = Collections.synchronizedMap(new TreeMap<>());

    /** The source of a lifecycle job: parallelism 1, uid "source". */
    public static DataStream<String> of(StreamExecutionEnvironment env) {
        return env.addSource(new RealFlinkGatedSource()).setParallelism(1).uid("source").name("Words");
    }

    @Override
    public void run(SourceContext<String> ctx) throws Exception {
        String[] input = RealFlinkLifecycle.input;
        while (running) {
            if (offset >= input.length) {
                return;
            }
            boolean boomWaits = RealFlinkLifecycle.checkpointBeforeBoom && input[offset].startsWith("BOOM")
                && RealFlinkLifecycle.completedAt < offset;
            // Session 35: a record may also wait for its due time (RealFlinkRestartTiming).
            if (offset >= RealFlinkLifecycle.gate || boomWaits || !RealFlinkRestartTiming.isDue(offset)) {
                RealFlinkLifecycle.reached = offset;
                Thread.sleep(5);
                continue;
            }
            synchronized (ctx.getCheckpointLock()) {
                ctx.collect(input[offset]);
                offset++;
            }
        }
    }

    @Override
    public void cancel() {
        running = false;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext c) throws Exception {
        offsetState.update(Collections.singletonList(offset));
        taken.put(c.getCheckpointId(), offset);
    }

    @Override
    public void initializeState(FunctionInitializationContext c) throws Exception {
        offsetState = c.getOperatorStateStore().getListState(new ListStateDescriptor<>("offset", Types.INT));
        for (Integer o : offsetState.get()) {
            offset = o;
        }
    }

    @Override
    public void notifyCheckpointComplete(long id) {
        Integer o = taken.get(id);
        if (o != null) {
            RealFlinkLifecycle.completedAt = Math.max(RealFlinkLifecycle.completedAt, o);
        }
    }
}
