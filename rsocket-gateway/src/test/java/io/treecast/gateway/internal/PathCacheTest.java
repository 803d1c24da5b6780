package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.treecast.fastpath.TreePath;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class PathCacheTest {

    private static ByteBuf bytes(String s) {
        return Unpooled.wrappedBuffer(("xx" + s).getBytes(StandardCharsets.UTF_8)); // at an offset, as in a frame
    }

    @Test
    void returnsTheCachedPathOnlyForExactlyItsBytes() {
        PathCache cache = new PathCache();
        TreePath p = TreePath.parse("markets/eu/fx/EURUSD/bid");
        cache.put(p);
        ByteBuf same = bytes("markets/eu/fx/EURUSD/bid");
        assertThat(cache.get(same, 2, same.readableBytes() - 2)).isSameAs(p);
        ByteBuf other = bytes("markets/eu/fx/EURUSD/ask");
        assertThat(cache.get(other, 2, other.readableBytes() - 2)).isNull();
        ByteBuf prefix = bytes("markets/eu/fx/EURUSD/bi");
        assertThat(cache.get(prefix, 2, prefix.readableBytes() - 2)).isNull();
    }

    @Test
    void aSlotHoldsTheLastPathThatHashedToIt() {
        PathCache cache = new PathCache();
        // "Aa" and "BB" have the same String-style hash, so they share a slot
        TreePath aa = TreePath.parse("Aa");
        TreePath bb = TreePath.parse("BB");
        cache.put(aa);
        cache.put(bb);
        assertThat(cache.get(bytes("Aa"), 2, 2)).isNull();
        assertThat(cache.get(bytes("BB"), 2, 2)).isSameAs(bb);
    }

    @Test
    void theDecoderReusesTheParsedPathOfARepeatedPublish() {
        RequestDecoder decoder = new RequestDecoder(1024, 16, 1 << 16);
        byte[] batch = io.treecast.proto.Batch.newBuilder().addChanges(io.treecast.proto.Change.newBuilder()
                .setPath("a/b/c").setSet(io.treecast.proto.Value.newBuilder().setIntValue(1))).build().toByteArray();
        TreePath first = decoder.batch(Unpooled.wrappedBuffer(batch)).batch.change(0).path();
        TreePath second = decoder.batch(Unpooled.wrappedBuffer(batch)).batch.change(0).path();
        assertThat(second).isSameAs(first).hasToString("a/b/c");
    }
}
