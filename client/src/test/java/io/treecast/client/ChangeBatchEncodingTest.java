package io.treecast.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The hand-written Batch encoder writes exactly the bytes of the generated protobuf encoding. */
class ChangeBatchEncodingTest {

    private static byte[] encoded(ChangeBatch b, AckMode ack) {
        ByteBuf buf = b.encode(UnpooledByteBufAllocator.DEFAULT, ack);
        try {
            assertThat(buf.writableBytes()).as("exactly sized").isZero();
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void everyValueKindAndDeleteEncodesAsTheGeneratedCodeDoes() {
        ChangeBatch b = ChangeBatch.create()
                .set("a/string", "héllo ✓")
                .set("a/empty", "")
                .set("a/int", 42L).set("a/zero", 0L).set("a/negative", -7L).set("a/min", Long.MIN_VALUE).set("a/max", Long.MAX_VALUE)
                .set("a/double", 1.0842).set("a/negzero", -0.0).set("a/nan", Double.NaN)
                .set("a/true", true).set("a/false", false)
                .set("a/bytes", new byte[]{0, 1, (byte) 0xFF}).set("a/nobytes", new byte[0])
                .set("ünïcode/päth/€", 1L)
                .delete("a/gone");
        for (AckMode ack : AckMode.values()) {
            assertThat(encoded(b, ack)).isEqualTo(b.toProto(ack).toByteArray());
        }
    }

    @Test
    void randomBatchesEncodeAsTheGeneratedCodeDoes() {
        SplittableRandom r = new SplittableRandom(7);
        for (int round = 0; round < 500; round++) {
            ChangeBatch b = ChangeBatch.create();
            int n = 1 + r.nextInt(20);
            for (int i = 0; i < n; i++) {
                String path = "p/" + Long.toString(r.nextLong(), 36) + "/" + "x".repeat(r.nextInt(200));
                switch (r.nextInt(6)) {
                    case 0: b.set(path, "v".repeat(r.nextInt(300))); break;
                    case 1: b.set(path, r.nextLong()); break;
                    case 2: b.set(path, r.nextDouble()); break;
                    case 3: b.set(path, r.nextBoolean()); break;
                    case 4: b.set(path, new byte[r.nextInt(400)]); break;
                    default: b.delete(path);
                }
            }
            AckMode ack = r.nextBoolean() ? AckMode.APPLIED : AckMode.DURABLE;
            assertThat(encoded(b, ack)).isEqualTo(b.toProto(ack).toByteArray());
        }
    }
}
