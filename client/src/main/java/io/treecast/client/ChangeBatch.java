package io.treecast.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.treecast.client.internal.ProtoWriter;
import io.treecast.proto.Batch;
import io.treecast.proto.Change;
import io.treecast.proto.Delete;

import java.util.ArrayList;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The changes of one atomic batch, built with a small DSL. The server validates paths and values; nothing is
 * checked here except that the batch is not empty.
 *
 * <pre>{@code
 * ChangeBatch b = ChangeBatch.of(x -> x.set("fx/EURUSD/bid", 1.0842).set("fx/EURUSD/ask", 1.0844).delete("fx/old"));
 * client.update(b, AckMode.APPLIED);
 * }</pre>
 */
public final class ChangeBatch {
    /** Paths and values in order; a null value is a delete. Encoded straight to protobuf bytes when sent. */
    private final ArrayList<String> paths = new ArrayList<>(4);
    private final ArrayList<TreeValue> values = new ArrayList<>(4);

    /** An empty batch to fill with {@link #set} and {@link #delete}. */
    public static ChangeBatch create() {
        return new ChangeBatch();
    }

    /** A batch filled by {@code spec}. */
    public static ChangeBatch of(Consumer<ChangeBatch> spec) {
        ChangeBatch b = new ChangeBatch();
        spec.accept(b);
        return b;
    }

    public ChangeBatch set(String path, TreeValue value) {
        paths.add(Objects.requireNonNull(path, "path"));
        values.add(Objects.requireNonNull(value, "value"));
        return this;
    }

    public ChangeBatch set(String path, String value) { return set(path, TreeValue.of(value)); }
    public ChangeBatch set(String path, long value) { return set(path, TreeValue.of(value)); }
    public ChangeBatch set(String path, double value) { return set(path, TreeValue.of(value)); }
    public ChangeBatch set(String path, boolean value) { return set(path, TreeValue.of(value)); }
    public ChangeBatch set(String path, byte[] value) { return set(path, TreeValue.of(value)); }

    /** Deletes a leaf, or every leaf under an inner node. */
    public ChangeBatch delete(String path) {
        paths.add(Objects.requireNonNull(path, "path"));
        values.add(null);
        return this;
    }

    /** Number of changes so far. */
    public int size() {
        return paths.size();
    }

    /** The protobuf {@code Batch} with {@code ack}. */
    public Batch toProto(AckMode ack) {
        Batch.Builder b = Batch.newBuilder();
        for (int i = 0; i < paths.size(); i++) {
            TreeValue v = values.get(i);
            Change.Builder c = Change.newBuilder().setPath(paths.get(i));
            if (v == null) {
                c.setDelete(Delete.getDefaultInstance());
            } else {
                c.setSet(v.toProto());
            }
            b.addChanges(c);
        }
        return b.setAck(ack == AckMode.DURABLE ? io.treecast.proto.AckMode.ACK_DURABLE : io.treecast.proto.AckMode.ACK_APPLIED).build();
    }

    /**
     * The encoded {@code treecast.v1.Batch}, byte for byte what {@code toProto(ack).toByteArray()} gives, written
     * straight into one exactly sized buffer of {@code alloc} (no protobuf builders, no intermediate arrays).
     * The caller owns the buffer.
     */
    ByteBuf encode(ByteBufAllocator alloc, AckMode ack) {
        int size = encodedSize(ack);
        ByteBuf out = alloc.buffer(size, size);
        writeTo(out, ack);
        return out;
    }

    /** Bytes of the encoded {@code treecast.v1.Batch} with {@code ack}: what {@link #writeTo} writes. */
    int encodedSize(AckMode ack) {
        int n = paths.size();
        int size = ack == AckMode.DURABLE ? 2 : 0;
        for (int i = 0; i < n; i++) {
            TreeValue v = values.get(i);
            int change = changeSize(ByteBufUtil.utf8Bytes(paths.get(i)), v == null ? -1 : v.encodedSize());
            size += 1 + ProtoWriter.varintSize(change) + change;
        }
        return size;
    }

    /**
     * Writes the encoded {@code treecast.v1.Batch} at {@code out}'s writer index ({@link #encodedSize} bytes): the
     * body of a request frame whose header the caller wrote before it.
     */
    void writeTo(ByteBuf out, AckMode ack) {
        int n = paths.size();
        for (int i = 0; i < n; i++) {
            String path = paths.get(i);
            TreeValue v = values.get(i);
            int pathBytes = ByteBufUtil.utf8Bytes(path);
            int valueBytes = v == null ? -1 : v.encodedSize();
            out.writeByte(0x0A); // Batch.changes
            ProtoWriter.writeVarint(out, changeSize(pathBytes, valueBytes));
            out.writeByte(0x0A); // Change.path
            ProtoWriter.writeVarint(out, pathBytes);
            ByteBufUtil.reserveAndWriteUtf8(out, path, pathBytes); // writeUtf8 would reserve 3 bytes a char
            if (v == null) {
                out.writeByte(0x1A).writeByte(0); // Change.delete: an empty message
            } else {
                out.writeByte(0x12); // Change.set
                ProtoWriter.writeVarint(out, valueBytes);
                v.writeTo(out);
            }
        }
        if (ack == AckMode.DURABLE) {
            out.writeByte(0x10).writeByte(1); // Batch.ack = ACK_DURABLE
        }
    }

    /** Bytes of an encoded Change: its path, then its set Value ({@code valueBytes}) or, when negative, a delete. */
    private static int changeSize(int pathBytes, int valueBytes) {
        int size = 1 + ProtoWriter.varintSize(pathBytes) + pathBytes;
        if (valueBytes < 0) {
            return size + 2;
        }
        return size + 1 + ProtoWriter.varintSize(valueBytes) + valueBytes;
    }
}
