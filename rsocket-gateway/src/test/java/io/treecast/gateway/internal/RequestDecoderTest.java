package io.treecast.gateway.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.netty.buffer.Unpooled;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.TreecastException;
import io.treecast.proto.Batch;
import io.treecast.proto.Delete;
import io.treecast.proto.Value;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class RequestDecoderTest {
    private final RequestDecoder decoder = new RequestDecoder(64 * 1024, 1024, 1 << 20);

    @Test
    void decodesRandomBatchesToTheChangesTheGeneratedClassesDescribe() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 2_000; i++) {
            Batch proto = randomBatch(random);
            RequestDecoder.DecodedBatch decoded = decoder.batch(Unpooled.wrappedBuffer(proto.toByteArray()));
            assertThat(decoded.ack).isEqualTo(proto.getAckValue() == 1 ? AckMode.DURABLE : AckMode.APPLIED);
            assertThat(decoded.batch.size()).isEqualTo(proto.getChangesCount());
            for (int c = 0; c < proto.getChangesCount(); c++) {
                io.treecast.proto.Change want = proto.getChanges(c);
                Change got = decoded.batch.change(c);
                assertThat(got.path().toString()).isEqualTo(want.getPath());
                if (want.hasDelete()) {
                    assertThat(got.value()).isNull();
                } else {
                    assertThat(got.value()).isEqualTo(want.getSet().toByteArray());
                }
            }
        }
    }

    @Test
    void storesWhatTheGeneratedClassesWouldForAValueWithUnknownFieldsOrTwoSets() throws IOException {
        // Value{int_value=5} followed by an unknown field 9: not the one-field form, so it goes through Value
        byte[] withUnknown = concat(Value.newBuilder().setIntValue(5).build().toByteArray(), new byte[] {(byte) (9 << 3), 1});
        // `set` twice: protobuf merges the two Values, the later kind wins
        ByteArrayOutputStream change = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(change);
        c.writeString(1, "a/b");
        c.writeBytes(2, ByteString.copyFrom(withUnknown));
        c.writeMessage(2, Value.newBuilder().setStringValue("later").build());
        c.flush();
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        CodedOutputStream b = CodedOutputStream.newInstance(batch);
        b.writeBytes(1, ByteString.copyFrom(change.toByteArray()));
        b.flush();
        Change got = decoder.batch(Unpooled.wrappedBuffer(batch.toByteArray())).batch.change(0);
        assertThat(got.value()).isEqualTo(Batch.parseFrom(batch.toByteArray()).getChanges(0).getSet().toByteArray());
        assertThat(Value.parseFrom(got.value()).getStringValue()).isEqualTo("later");

        byte[] single = Batch.newBuilder().addChanges(io.treecast.proto.Change.newBuilder().setPath("a")
                .setSet(Value.parseFrom(withUnknown))).build().toByteArray();
        assertThat(decoder.batch(Unpooled.wrappedBuffer(single)).batch.change(0).value())
                .isEqualTo(Batch.parseFrom(single).getChanges(0).getSet().toByteArray());
    }

    @Test
    void theEventLoopsReusedReaderDecodesEachBatchAfreshAfterAMergedOrFailedOne() throws IOException {
        byte[] publish = Batch.newBuilder().addChanges(io.treecast.proto.Change.newBuilder().setPath("a/b")
                .setSet(Value.newBuilder().setIntValue(7))).build().toByteArray();
        // a change whose `set` comes twice (the reader gathers them), then a truncated batch, on the same thread
        ByteArrayOutputStream change = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(change);
        c.writeString(1, "x/y");
        c.writeMessage(2, Value.newBuilder().setIntValue(1).build());
        c.writeMessage(2, Value.newBuilder().setStringValue("merged").build());
        c.flush();
        ByteArrayOutputStream merged = new ByteArrayOutputStream();
        CodedOutputStream m = CodedOutputStream.newInstance(merged);
        m.writeBytes(1, ByteString.copyFrom(change.toByteArray()));
        m.writeEnum(2, 1);
        m.flush();
        RequestDecoder.DecodedBatch first = decoder.batch(Unpooled.wrappedBuffer(merged.toByteArray()));
        assertThat(first.ack).isEqualTo(AckMode.DURABLE);
        assertThat(Value.parseFrom(first.batch.change(0).value()).getStringValue()).isEqualTo("merged");
        TreecastException broken = catchThrowableOfType(TreecastException.class,
                () -> decoder.publish(Unpooled.wrappedBuffer(publish, 0, publish.length - 1)));
        assertThat(broken.code()).isEqualTo(ErrorCode.MALFORMED);

        io.treecast.fastpath.Batch next = decoder.publish(Unpooled.wrappedBuffer(publish));
        assertThat(next.size()).isEqualTo(1);
        assertThat(next.change(0).path()).hasToString("a/b");
        assertThat(next.change(0).value()).isEqualTo(Value.newBuilder().setIntValue(7).build().toByteArray());
        RequestDecoder.DecodedBatch again = decoder.batch(Unpooled.wrappedBuffer(publish));
        assertThat(again.ack).isEqualTo(AckMode.APPLIED);
        assertThat(again.batch.change(0).value()).isEqualTo(next.change(0).value()).isNotSameAs(next.change(0).value());
    }

    @Test
    void refusesStructurallyBrokenBatchesAsMalformed() {
        byte[] whole = Batch.newBuilder().addChanges(io.treecast.proto.Change.newBuilder().setPath("a/b")
                .setSet(Value.newBuilder().setStringValue("v"))).build().toByteArray();
        for (int cut = 1; cut < whole.length; cut++) {
            io.netty.buffer.ByteBuf prefix = Unpooled.wrappedBuffer(whole, 0, cut);
            TreecastException e = catchThrowableOfType(TreecastException.class, () -> decoder.batch(prefix));
            assertThat(e).as("prefix of %d bytes", cut).isNotNull();
            // a prefix is either broken inside a field or a valid batch with an incomplete change
            assertThat(e.code()).isIn(ErrorCode.MALFORMED, ErrorCode.INVALID_VALUE, ErrorCode.INVALID_BATCH);
        }
        TreecastException zeroTag = catchThrowableOfType(TreecastException.class,
                () -> decoder.batch(Unpooled.wrappedBuffer(new byte[] {0, 0})));
        assertThat(zeroTag.code()).isEqualTo(ErrorCode.MALFORMED);
        assertThat(zeroTag.getMessage()).contains("not a valid protobuf treecast.v1.Batch");
    }

    @Test
    void refusesAPathOrStringValueThatIsNotUtf8() throws IOException {
        byte[] badUtf8 = {(byte) 0xC3, (byte) 0x28};
        // the generated builders refuse to write such strings, so the bytes are written by hand
        byte[] badPath = batchOfOneChange(badUtf8, Value.newBuilder().setIntValue(1).build().toByteArray());
        TreecastException e = catchThrowableOfType(TreecastException.class, () -> decoder.batch(Unpooled.wrappedBuffer(badPath)));
        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED);
        assertThat(e.getMessage()).contains("UTF-8");

        ByteArrayOutputStream value = new ByteArrayOutputStream();
        CodedOutputStream v = CodedOutputStream.newInstance(value);
        v.writeByteArray(1, badUtf8);
        v.flush();
        byte[] badValue = batchOfOneChange("a".getBytes(java.nio.charset.StandardCharsets.UTF_8), value.toByteArray());
        assertThat(catchThrowableOfType(TreecastException.class, () -> decoder.batch(Unpooled.wrappedBuffer(badValue))).code())
                .isEqualTo(ErrorCode.MALFORMED);
    }

    private static byte[] batchOfOneChange(byte[] path, byte[] value) throws IOException {
        ByteArrayOutputStream change = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(change);
        c.writeByteArray(1, path);
        c.writeByteArray(2, value);
        c.flush();
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        CodedOutputStream b = CodedOutputStream.newInstance(batch);
        b.writeByteArray(1, change.toByteArray());
        b.flush();
        return batch.toByteArray();
    }

    @Test
    void checksTheValueLimitOnTheCanonicalSize() {
        RequestDecoder small = new RequestDecoder(10, 1024, 1 << 20);
        byte[] fits = Batch.newBuilder().addChanges(io.treecast.proto.Change.newBuilder().setPath("a")
                .setSet(Value.newBuilder().setStringValue("12345678"))).build().toByteArray(); // 10 bytes
        assertThat(small.batch(Unpooled.wrappedBuffer(fits)).batch.size()).isEqualTo(1);
        byte[] tooBig = Batch.newBuilder().addChanges(io.treecast.proto.Change.newBuilder().setPath("a")
                .setSet(Value.newBuilder().setStringValue("123456789"))).build().toByteArray(); // 11 bytes
        TreecastException e = catchThrowableOfType(TreecastException.class, () -> small.batch(Unpooled.wrappedBuffer(tooBig)));
        assertThat(e.code()).isEqualTo(ErrorCode.VALUE_TOO_LARGE);
        assertThat(e.getMessage()).contains("11 bytes, more than the limit of 10");
    }

    private static Batch randomBatch(SplittableRandom r) {
        Batch.Builder b = Batch.newBuilder().setAckValue(r.nextInt(2));
        int n = 1 + r.nextInt(5);
        for (int i = 0; i < n; i++) {
            io.treecast.proto.Change.Builder c = io.treecast.proto.Change.newBuilder()
                    .setPath("m" + r.nextInt(50) + "/ü" + r.nextInt(50) + "/x" + i);
            if (r.nextInt(5) == 0) {
                c.setDelete(Delete.getDefaultInstance());
            } else {
                switch (r.nextInt(5)) {
                    case 0: c.setSet(Value.newBuilder().setStringValue("é" + r.nextInt())); break;
                    case 1: c.setSet(Value.newBuilder().setIntValue(r.nextLong())); break;
                    case 2: c.setSet(Value.newBuilder().setDoubleValue(r.nextDouble())); break;
                    case 3: c.setSet(Value.newBuilder().setBoolValue(r.nextBoolean())); break;
                    default: c.setSet(Value.newBuilder().setBytesValue(ByteString.copyFrom(new byte[r.nextInt(9)])));
                }
            }
            b.addChanges(c);
        }
        return b.build();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
