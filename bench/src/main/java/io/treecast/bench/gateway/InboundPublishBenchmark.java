package io.treecast.bench.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.treecast.bench.load.Workload;
import io.treecast.gateway.internal.GatewayBench;
import io.treecast.proto.AckMode;
import io.treecast.proto.Batch;
import io.treecast.proto.Change;
import io.treecast.proto.Value;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What the server's event loop does with one {@code tree.publish} fire-and-forget frame before the engine gets it:
 * match the route in the metadata, then decode and validate the {@code Batch} into the engine's {@code Batch}
 * ({@code RequestDecoder.batch}, which finds the path in the thread's path cache or parses it). The frames are what
 * {@code treecast bench} publishes: one change per batch, a random leaf of the load's tree
 * ({@code treecast-bench/markets/<region>/<class>/i<n>/<field>}), an int value (the intended send time in ns), in
 * pooled direct buffers as the transport hands them over. Run with {@code -prof gc}: every byte per op above the
 * engine's own copy (the value, the Change, the Batch) is a per-update allocation to cut.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar InboundPublishBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class InboundPublishBenchmark {
    /** 100,000: the load's tree, more paths than stay in a cache line's reach; 1,000: a few hot leaves. */
    @Param({"100000", "1000"})
    int leaves;

    /** Frames cycled through; more than the leaves, so that the leaves come in random order, as under load. */
    private static final int FRAMES = 1 << 18;

    private GatewayBench gateway;
    private ByteBuf metadata;
    private ByteBuf all;
    private ByteBuf[] frames;
    private int next;

    @Setup(Level.Trial)
    public void setup() {
        gateway = new GatewayBench();
        // the composite metadata the client sends: one routing entry, "tree.publish"
        metadata = PooledByteBufAllocator.DEFAULT.directBuffer();
        io.netty.buffer.CompositeByteBuf composite = PooledByteBufAllocator.DEFAULT.compositeBuffer();
        io.rsocket.metadata.CompositeMetadataCodec.encodeAndAddMetadata(composite, PooledByteBufAllocator.DEFAULT,
                io.rsocket.metadata.WellKnownMimeType.MESSAGE_RSOCKET_ROUTING,
                io.rsocket.metadata.TaggingMetadataCodec.createRoutingMetadata(PooledByteBufAllocator.DEFAULT,
                        List.of("tree.publish")).getContent());
        metadata.writeBytes(composite);
        composite.release();
        Workload w = new Workload(leaves, List.of(), 20);
        SplittableRandom random = new SplittableRandom(0x5EED);
        byte[][] encoded = new byte[FRAMES][];
        int total = 0;
        long intended = System.nanoTime();
        for (int i = 0; i < FRAMES; i++) {
            String path = w.path(random.nextInt(leaves));
            intended += 20_000; // 50,000/s
            encoded[i] = Batch.newBuilder().setAck(AckMode.ACK_APPLIED)
                    .addChanges(Change.newBuilder().setPath(path).setSet(Value.newBuilder().setIntValue(intended)))
                    .build().toByteArray();
            total += encoded[i].length;
        }
        // one pooled direct buffer, each frame's data a slice of it: what the transport's frame decoder hands over
        all = PooledByteBufAllocator.DEFAULT.directBuffer(total, total);
        frames = new ByteBuf[FRAMES];
        for (int i = 0; i < FRAMES; i++) {
            int at = all.writerIndex();
            all.writeBytes(encoded[i]);
            frames[i] = all.slice(at, encoded[i].length);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        all.release();
        metadata.release();
    }

    /** Route + decode of one publish frame: the event loop's share of an update before {@code engine.offer}. */
    @Benchmark
    public Object decodePublish() {
        int i = next;
        next = (i + 1) & (FRAMES - 1);
        return gateway.decodePublish(metadata, frames[i]);
    }
}
