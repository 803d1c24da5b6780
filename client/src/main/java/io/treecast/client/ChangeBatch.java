package io.treecast.client;

import io.treecast.proto.Batch;
import io.treecast.proto.Change;
import io.treecast.proto.Delete;

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
    private final Batch.Builder proto = Batch.newBuilder();

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
        proto.addChanges(Change.newBuilder().setPath(path).setSet(value.toProto()));
        return this;
    }

    public ChangeBatch set(String path, String value) { return set(path, TreeValue.of(value)); }
    public ChangeBatch set(String path, long value) { return set(path, TreeValue.of(value)); }
    public ChangeBatch set(String path, double value) { return set(path, TreeValue.of(value)); }
    public ChangeBatch set(String path, boolean value) { return set(path, TreeValue.of(value)); }
    public ChangeBatch set(String path, byte[] value) { return set(path, TreeValue.of(value)); }

    /** Deletes a leaf, or every leaf under an inner node. */
    public ChangeBatch delete(String path) {
        proto.addChanges(Change.newBuilder().setPath(path).setDelete(Delete.getDefaultInstance()));
        return this;
    }

    /** Number of changes so far. */
    public int size() {
        return proto.getChangesCount();
    }

    /** The protobuf {@code Batch} with {@code ack}. */
    public Batch toProto(AckMode ack) {
        // build() does not consume the builder (later changes copy the list), so no clone is needed
        return proto.setAck(ack == AckMode.DURABLE ? io.treecast.proto.AckMode.ACK_DURABLE : io.treecast.proto.AckMode.ACK_APPLIED).build();
    }
}
