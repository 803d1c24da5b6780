package io.treecast.gateway.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.SubscribeOptions;
import io.treecast.fastpath.TreecastException;
import io.treecast.proto.Batch;
import io.treecast.proto.Value;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Legal protobuf that repeats singular fields many times (issue 12: 1 MiB of repeated {@code set} took 16 s of an
 * event loop). Each input is about 1 MiB; the decoder must give what protobuf specifies and do work linear in the
 * input, which {@link BatchReader#mergeCopies()} counts (no timing).
 */
class RepeatedFieldDecodingTest {
    private static final int MIB = 1 << 20;
    private final RequestDecoder decoder = new RequestDecoder(64 * 1024, 1024, 4 * MIB);

    @Test
    void aMebibyteOfRepeatedSetMergesToWhatProtobufMakesOfItWithLinearWork() throws IOException {
        ByteArrayOutputStream change = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(change);
        c.writeString(1, "a/b");
        int sets = 0;
        while (change.size() < MIB) {
            c.writeMessage(2, Value.newBuilder().setIntValue(sets++).build());
            c.flush();
        }
        c.writeMessage(2, Value.newBuilder().setStringValue("last").build());
        c.flush();
        byte[] batch = batchOf(change.toByteArray());

        BatchReader reader = new BatchReader(Unpooled.wrappedBuffer(batch));
        assertThat(reader.nextChange()).isTrue();
        byte[] value = reader.valueBytes();
        assertThat(reader.mergeCopies()).as("bytes copied for %d repeated sets", sets).isLessThanOrEqualTo(3L * batch.length);
        assertThat(value).isEqualTo(Batch.parseFrom(batch).getChanges(0).getSet().toByteArray());
        assertThat(Value.parseFrom(value).getStringValue()).isEqualTo("last");

        RequestDecoder.DecodedBatch decoded = decoder.batch(Unpooled.wrappedBuffer(batch));
        assertThat(decoded.batch.size()).isEqualTo(1);
        assertThat(decoded.batch.change(0).path().toString()).isEqualTo("a/b");
        assertThat(decoded.batch.change(0).value()).isEqualTo(value);
    }

    @Test
    void repeatedSetsWhoseUnknownFieldsAddUpAreRefusedByTheValueLimit() throws IOException {
        // every occurrence adds an unknown field that the canonical Value keeps: the merge is as large as the input
        ByteArrayOutputStream change = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(change);
        c.writeString(1, "a");
        byte[] withUnknown = {(byte) (2 << 3), 4, (byte) (9 << 3), 1};
        while (change.size() < MIB) {
            c.writeByteArray(2, withUnknown);
            c.flush();
        }
        TreecastException e = catchThrowableOfType(TreecastException.class,
                () -> decoder.batch(Unpooled.wrappedBuffer(batchOf(change.toByteArray()))));
        assertThat(e.code()).isEqualTo(ErrorCode.VALUE_TOO_LARGE);
        assertThat(e.getMessage()).contains("change 1 (a) has a value of").contains("(limits.max-value-bytes)");
    }

    @Test
    void alternatingSetAndDeleteEndsWithTheLastOneAsProtobufSwitchesTheOneof() throws IOException {
        for (boolean endWithDelete : new boolean[] {true, false}) {
            ByteArrayOutputStream change = new ByteArrayOutputStream();
            CodedOutputStream c = CodedOutputStream.newInstance(change);
            c.writeString(1, "x/y");
            int i = 0;
            while (change.size() < MIB) {
                c.writeMessage(2, Value.newBuilder().setIntValue(i++).build());
                c.writeMessage(3, io.treecast.proto.Delete.getDefaultInstance());
                c.flush();
            }
            if (!endWithDelete) {
                c.writeMessage(2, Value.newBuilder().setBoolValue(true).build());
                c.writeMessage(2, Value.newBuilder().setIntValue(7).build());
                c.flush();
            }
            byte[] batch = batchOf(change.toByteArray());
            BatchReader reader = new BatchReader(Unpooled.wrappedBuffer(batch));
            reader.nextChange();
            assertThat(reader.mergeCopies()).isLessThanOrEqualTo(3L * batch.length);
            io.treecast.fastpath.Change got = decoder.batch(Unpooled.wrappedBuffer(batch)).batch.change(0);
            io.treecast.proto.Change want = Batch.parseFrom(batch).getChanges(0);
            assertThat(got.isDelete()).isEqualTo(endWithDelete).isEqualTo(want.hasDelete());
            if (!endWithDelete) {
                assertThat(got.value()).isEqualTo(want.getSet().toByteArray());
                assertThat(Value.parseFrom(got.value()).getIntValue()).isEqualTo(7);
            }
        }
    }

    @Test
    void aMebibyteOfRepeatedPathsKeepsTheLastPath() throws IOException {
        ByteArrayOutputStream change = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(change);
        int i = 0;
        while (change.size() < MIB) {
            c.writeString(1, "p/" + i++);
            c.flush();
        }
        c.writeString(1, "the/last/path");
        c.writeMessage(2, Value.newBuilder().setIntValue(1).build());
        c.flush();
        RequestDecoder.DecodedBatch decoded = decoder.batch(Unpooled.wrappedBuffer(batchOf(change.toByteArray())));
        assertThat(decoded.batch.change(0).path().toString()).isEqualTo("the/last/path");
    }

    @Test
    void aMebibyteOfChangesIsCountedAndRefusedBeforeAnyIsDecoded() throws IOException {
        byte[] one = io.treecast.proto.Change.newBuilder().setPath("a")
                .setDelete(io.treecast.proto.Delete.getDefaultInstance()).build().toByteArray();
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        CodedOutputStream b = CodedOutputStream.newInstance(batch);
        int n = 0;
        while (batch.size() < MIB) {
            b.writeByteArray(1, one);
            b.flush();
            n++;
        }
        TreecastException e = catchThrowableOfType(TreecastException.class,
                () -> decoder.batch(Unpooled.wrappedBuffer(batch.toByteArray())));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_BATCH);
        assertThat(e.getMessage()).isEqualTo("the batch has " + n + " changes, more than the limit of 1024"
                + " (limits.max-batch-changes): split it into smaller batches");
    }

    @Test
    void aMebibyteOfRepeatedAckAndUnknownFieldsIsSkippedInOnePass() throws IOException {
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        CodedOutputStream b = CodedOutputStream.newInstance(batch);
        b.writeMessage(1, io.treecast.proto.Change.newBuilder().setPath("k")
                .setSet(Value.newBuilder().setIntValue(3)).build());
        int i = 0;
        while (batch.size() < MIB) {
            b.writeEnum(2, i++ % 2);
            b.writeBytes(15, ByteString.copyFromUtf8("unknown"));
            b.writeFixed64(16, i);
            b.flush();
        }
        b.writeEnum(2, 1);
        b.flush();
        RequestDecoder.DecodedBatch decoded = decoder.batch(Unpooled.wrappedBuffer(batch.toByteArray()));
        assertThat(decoded.ack).isEqualTo(AckMode.DURABLE);
        assertThat(decoded.batch.size()).isEqualTo(1);
    }

    @Test
    void subscribeAndGetWithAMebibyteOfRepeatedFieldsKeepTheLastOfEach() throws IOException {
        ByteArrayOutputStream sub = new ByteArrayOutputStream();
        CodedOutputStream s = CodedOutputStream.newInstance(sub);
        int i = 0;
        while (sub.size() < MIB) {
            s.writeString(1, "p" + i++ + "/**");
            s.writeBool(2, i % 2 == 0);
            s.writeInt64(3, i);
            s.writeEnum(4, i % 2);
            s.writeUInt32(5, i);
            s.writeUInt32(6, 1 + i % 7);
            s.flush();
        }
        s.writeString(1, "last/*");
        s.writeBool(2, true);
        s.writeInt64(3, 42);
        s.writeEnum(4, 1);
        s.writeUInt32(5, 64);
        s.writeUInt32(6, 8);
        s.flush();
        SubscribeOptions options = decoder.subscribe(Unpooled.wrappedBuffer(sub.toByteArray()));
        assertThat(options.pattern().toString()).isEqualTo("last/*");
        assertThat(options.snapshot()).isTrue();
        assertThat(options.resumeAfter()).isEqualTo(42);
        assertThat(options.policy()).isEqualTo(io.treecast.fastpath.Policy.STRICT);
        assertThat(options.outboxCapacity()).isEqualTo(64);
        assertThat(options.eventsPerDelivery()).isEqualTo(8);

        ByteArrayOutputStream get = new ByteArrayOutputStream();
        CodedOutputStream g = CodedOutputStream.newInstance(get);
        while (get.size() < MIB) {
            g.writeString(1, "g" + i++);
            g.flush();
        }
        g.writeString(1, "final/**");
        g.flush();
        ByteBuf getBuf = Unpooled.wrappedBuffer(get.toByteArray());
        assertThat(decoder.get(getBuf).toString()).isEqualTo("final/**");
    }

    private static byte[] batchOf(byte[] change) throws IOException {
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        CodedOutputStream b = CodedOutputStream.newInstance(batch);
        b.writeByteArray(1, change);
        b.flush();
        return batch.toByteArray();
    }
}
