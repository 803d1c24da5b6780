package io.treecast.bench.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.treecast.bench.load.Workload;
import io.treecast.fastpath.AckListener;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineStats;
import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.OfferResult;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.SubscribeOptions;
import io.treecast.fastpath.Subscription;
import io.treecast.fastpath.TreeSnapshot;
import io.treecast.gateway.internal.GatewayBench;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A whole {@code tree.publish} REQUEST_FNF frame, from the bytes the socket hands over to {@code engine.offer}:
 * rsocket-java's frame decoder, then either the gateway's {@code FnfReader} ({@code direct = true}) or rsocket-java's
 * receive path, multiplexer and responder ({@code false}, what {@code -Dtreecast.server.rsocket-fnf=true} does), then
 * the same responder chain (route, decode, access, stats) into an engine that drops the batch. The frames are
 * {@link InboundPublishBenchmark}'s (one change, a random leaf of the load's tree). Run with {@code -prof gc}: with
 * {@code direct} the bytes per op should be {@link InboundPublishBenchmark}'s (what the engine keeps), no more.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar InboundFrameBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class InboundFrameBenchmark {
    @Param({"true", "false"})
    boolean direct;

    private static final int LEAVES = 100_000;
    private static final int FRAMES = 1 << 16;

    private GatewayBench.InboundConnection connection;
    private ByteBuf all;
    private int[] offsets;
    private int[] lengths;
    private int next;

    @Setup(Level.Trial)
    public void setup() {
        connection = GatewayBench.inbound(new DroppingEngine(), direct);
        // the composite metadata every client sends: one routing entry, "tree.publish"
        io.netty.buffer.CompositeByteBuf composite = PooledByteBufAllocator.DEFAULT.compositeBuffer();
        io.rsocket.metadata.CompositeMetadataCodec.encodeAndAddMetadata(composite, PooledByteBufAllocator.DEFAULT,
                io.rsocket.metadata.WellKnownMimeType.MESSAGE_RSOCKET_ROUTING,
                io.rsocket.metadata.TaggingMetadataCodec.createRoutingMetadata(PooledByteBufAllocator.DEFAULT,
                        List.of("tree.publish")).getContent());
        byte[] metadata = ByteBufUtil.getBytes(composite);
        composite.release();
        Workload w = new Workload(LEAVES, List.of(), 20);
        SplittableRandom random = new SplittableRandom(0x5EED);
        all = PooledByteBufAllocator.DEFAULT.directBuffer();
        offsets = new int[FRAMES];
        lengths = new int[FRAMES];
        for (int i = 0; i < FRAMES; i++) {
            byte[] data = Batch.newBuilder()
                    .addChanges(Change.newBuilder().setPath(w.path(random.nextInt(LEAVES))).setSet(Value.newBuilder().setIntValue(i)))
                    .build().toByteArray();
            offsets[i] = all.writerIndex();
            int length = 4 + 2 + 3 + metadata.length + data.length;
            all.writeMedium(length);
            all.writeInt(2 * i + 1); // a client's stream ids are odd
            all.writeShort(0x05 << 10 | 0b01_0000_0000); // REQUEST_FNF, metadata
            all.writeMedium(metadata.length);
            all.writeBytes(metadata);
            all.writeBytes(data);
            lengths[i] = all.writerIndex() - offsets[i];
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        long rejected = connection.rejected();
        connection.close();
        all.release();
        if (rejected != 0) {
            throw new IllegalStateException(rejected + " publishes were refused: the benchmark measures something else");
        }
        if (direct != (connection.directPublishes() > 0)) {
            throw new IllegalStateException("direct = " + direct + " but " + connection.directPublishes() + " publishes were read directly");
        }
    }

    /** One whole publish frame through the connection's inbound path. */
    @Benchmark
    public void readPublishFrame() {
        int i = next;
        next = (i + 1) & (FRAMES - 1);
        connection.read(all.retainedSlice(offsets[i], lengths[i]));
    }

    /** Takes every batch and keeps none: the benchmark measures the gateway, not the engine. */
    private static final class DroppingEngine implements Engine {
        @Override public OfferResult offer(io.treecast.fastpath.Batch batch) { return OfferResult.ACCEPTED; }
        @Override public OfferResult offer(io.treecast.fastpath.Batch batch, AckMode mode, AckListener listener) { return OfferResult.ACCEPTED; }
        @Override public Subscription subscribe(SubscribeOptions options, EventHandler handler) { throw new UnsupportedOperationException(); }
        @Override public CompletableFuture<TreeSnapshot> get(PathPattern pattern) { throw new UnsupportedOperationException(); }
        @Override public long currentSeq() { return 0; }
        @Override public long durableSeq() { return 0; }
        @Override public boolean degraded() { return false; }
        @Override public EngineStats stats() { throw new UnsupportedOperationException(); }
        @Override public void close() { }
    }
}
