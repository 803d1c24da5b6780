package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.treecast.fastpath.AckListener;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineStats;
import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.OfferResult;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.SubscribeOptions;
import io.treecast.fastpath.Subscription;
import io.treecast.fastpath.TreeSnapshot;
import io.treecast.gateway.NoLeaks;
import io.treecast.proto.Change;
import io.treecast.proto.Value;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which frames {@link FnfReader} takes off the wire and which it leaves to rsocket-java, on the server's own inbound
 * path without a socket ({@link GatewayBench#inbound}): only whole publishes on odd streams with the usual metadata
 * are taken; the rest reach the same responder through rsocket-java with the same outcome, in arrival order.
 */
@ExtendWith(NoLeaks.class)
class FnfReaderTest {
    private static final int REQUEST_FNF = 0x05 << 10;
    private static final int METADATA = 0b01_0000_0000;
    private static final byte[] PUBLISH = FnfReader.publishMetadata();
    private final List<String> applied = new ArrayList<>();

    @Test
    void onlyWholePublishesWithTheUsualMetadataAreTakenAndEveryFrameKeepsItsOrderAndOutcome() {
        try (GatewayBench.InboundConnection c = GatewayBench.inbound(new RecordingEngine(), true)) {
            c.read(frame(1, REQUEST_FNF | METADATA, PUBLISH, batch("a/1")));
            assertThat(c.directPublishes()).isEqualTo(1);

            // the route with a second, unknown metadata entry: rsocket-java hands it over, the route still matches
            byte[] longer = concat(PUBLISH, new byte[]{(byte) 0x80 | 0x05, 0, 0, 0}); // + an empty application/json entry
            c.read(frame(3, REQUEST_FNF | METADATA, longer, batch("a/2")));
            // no metadata: rsocket-java hands it over and the handler refuses it (no route)
            c.read(frame(5, REQUEST_FNF, new byte[0], batch("a/3")));
            c.read(frame(7, REQUEST_FNF | METADATA, PUBLISH, batch("a/4")));
            assertThat(c.directPublishes()).isEqualTo(2);
            assertThat(c.rejected()).isEqualTo(1);
            assertThat(applied).containsExactly("a/1", "a/2", "a/4");

            // an even stream id: the guard closes the connection (MALFORMED) and nothing more is applied
            c.read(frame(8, REQUEST_FNF | METADATA, PUBLISH, batch("a/5")));
            c.read(frame(9, REQUEST_FNF | METADATA, PUBLISH, batch("a/6")));
            assertThat(applied).containsExactly("a/1", "a/2", "a/4");
            assertThat(c.directPublishes()).isEqualTo(2);
        }
    }

    private static byte[] batch(String path) {
        return io.treecast.proto.Batch.newBuilder().addChanges(Change.newBuilder().setPath(path)
                .setSet(Value.newBuilder().setIntValue(1))).build().toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A whole frame with its TCP length prefix; metadata only with the metadata flag. */
    private static ByteBuf frame(int streamId, int typeAndFlags, byte[] metadata, byte[] data) {
        boolean hasMetadata = (typeAndFlags & METADATA) != 0;
        ByteBuf f = ByteBufAllocator.DEFAULT.buffer();
        f.writeMedium(4 + 2 + (hasMetadata ? 3 + metadata.length : 0) + data.length);
        f.writeInt(streamId);
        f.writeShort(typeAndFlags);
        if (hasMetadata) {
            f.writeMedium(metadata.length);
            f.writeBytes(metadata);
        }
        f.writeBytes(data);
        return f;
    }

    /** Records the first path of each batch offered. */
    private final class RecordingEngine implements Engine {
        @Override
        public OfferResult offer(Batch batch) {
            applied.add(batch.change(0).path().toString());
            return OfferResult.ACCEPTED;
        }

        @Override
        public OfferResult offer(Batch batch, AckMode mode, AckListener listener) {
            return offer(batch);
        }

        @Override public Subscription subscribe(SubscribeOptions options, EventHandler handler) { throw new UnsupportedOperationException(); }
        @Override public CompletableFuture<TreeSnapshot> get(PathPattern pattern) { throw new UnsupportedOperationException(); }
        @Override public long currentSeq() { return 0; }
        @Override public long durableSeq() { return 0; }
        @Override public boolean degraded() { return false; }
        @Override public EngineStats stats() { throw new UnsupportedOperationException(); }
        @Override public void close() { }
    }
}
