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
    void aSetHoldsTheLastFourPathsThatHashedToItAndDropsTheOldest() {
        PathCache cache = new PathCache();
        // five paths of one set (the low 16 bits of the hash pick it among 65,536)
        java.util.List<String> same = new java.util.ArrayList<>();
        int set = -1;
        for (int i = 0; same.size() < 5; i++) {
            String s = "p/i" + i;
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            int h = PathCache.hash(b, b.length) & 0xFFFF;
            if (set < 0) {
                set = h;
            }
            if (h == set) {
                same.add(s);
            }
        }
        for (String s : same) {
            cache.put(TreePath.parse(s));
        }
        ByteBuf oldest = bytes(same.get(0));
        assertThat(cache.get(oldest, 2, oldest.readableBytes() - 2)).isNull();
        for (String s : same.subList(1, 5)) {
            ByteBuf b = bytes(s);
            assertThat(cache.get(b, 2, b.readableBytes() - 2)).as(s).hasToString(s);
        }
    }

    @Test
    void theHashSpreadsATreeOf100000LeavesSoThatNearlyAllFitTheirSet() {
        // a set keeps four paths: what the load's paths hash to decides how many the cache can hold at once
        int[] perSet = new int[1 << 16];
        for (int i = 0; i < 100_000; i++) {
            byte[] b = ("treecast-bench/markets/eu/fx/i" + i / 5 + "/" + (i % 5)).getBytes(StandardCharsets.UTF_8);
            perSet[PathCache.hash(b, b.length) & 0xFFFF]++;
        }
        int held = 0;
        for (int n : perSet) {
            held += Math.min(n, 4);
        }
        assertThat(held).isGreaterThan(95_000);
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
