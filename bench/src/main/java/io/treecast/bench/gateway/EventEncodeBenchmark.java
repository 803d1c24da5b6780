package io.treecast.bench.gateway;

import io.netty.buffer.ByteBuf;
import io.treecast.bench.load.Workload;
import io.treecast.fastpath.EventKind;
import io.treecast.fastpath.EventView;
import io.treecast.fastpath.TreePath;
import io.treecast.gateway.internal.GatewayBench;
import io.treecast.proto.Value;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What the dispatcher does per subscriber and update of {@code treecast bench}'s load: encode a one-change UPDATE
 * event (a path of the load's tree, an int value) into a pooled buffer with room for the RSocket header, as
 * DirectStream does for a subscription with one Event per frame. The frame is released right away (the socket write
 * is not measured).
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar EventEncodeBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EventEncodeBenchmark {
    private static final int EVENTS = 1 << 16;

    private GatewayBench gateway;
    private OneChange[] events;
    private int next;

    /** An UPDATE of one leaf, as the engine hands it to a subscriber. */
    private static final class OneChange implements EventView {
        final long seq;
        final TreePath path;
        final byte[] value;

        OneChange(long seq, TreePath path, byte[] value) {
            this.seq = seq;
            this.path = path;
            this.value = value;
        }

        @Override public EventKind kind() { return EventKind.UPDATE; }
        @Override public long seq() { return seq; }
        @Override public boolean conflated() { return false; }
        @Override public int size() { return 1; }
        @Override public TreePath path(int i) { return path; }
        @Override public boolean isDelete(int i) { return false; }
        @Override public byte[] value(int i) { return value; }
        @Override public long changeSeq(int i) { return seq; }
    }

    @Setup
    public void setup() {
        gateway = new GatewayBench();
        Workload w = new Workload(100_000, List.of(), 20);
        SplittableRandom random = new SplittableRandom(0x5EED);
        events = new OneChange[EVENTS];
        long intended = System.nanoTime();
        for (int i = 0; i < EVENTS; i++) {
            intended += 20_000;
            events[i] = new OneChange(5_000_000L + i, w.treePath(random.nextInt(w.leaves())),
                    Value.newBuilder().setIntValue(intended).build().toByteArray());
        }
    }

    /** Size, allocate, encode one event frame, release it. */
    @Benchmark
    public int encodeEventFrame() {
        int i = next;
        next = (i + 1) & (EVENTS - 1);
        ByteBuf frame = gateway.encodeEventFrame(events[i]);
        int n = frame.readableBytes();
        frame.release();
        return n;
    }
}
