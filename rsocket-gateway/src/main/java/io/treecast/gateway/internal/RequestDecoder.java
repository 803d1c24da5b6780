package io.treecast.gateway.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.Policy;
import io.treecast.fastpath.SubscribeOptions;
import io.treecast.fastpath.TreePath;
import io.treecast.fastpath.TreecastException;
import io.treecast.proto.Get;
import io.treecast.proto.Subscribe;

/**
 * Decodes and validates requests once, at the edge, so the engine only ever receives valid commands. Every
 * failure is a {@link TreecastException} with the code and a message saying what to change.
 */
public final class RequestDecoder {
    private final int maxValueBytes;
    private final int maxBatchChanges;
    private final int maxBatchBytes;

    public RequestDecoder(int maxValueBytes, int maxBatchChanges, int maxBatchBytes) {
        this.maxValueBytes = maxValueBytes;
        this.maxBatchChanges = maxBatchChanges;
        this.maxBatchBytes = maxBatchBytes;
    }

    /** A decoded batch and the ack mode it asked for. */
    public static final class DecodedBatch {
        public final Batch batch;
        public final io.treecast.fastpath.AckMode ack;

        DecodedBatch(Batch batch, io.treecast.fastpath.AckMode ack) {
            this.batch = batch;
            this.ack = ack;
        }
    }

    /** Decodes and validates a {@code treecast.v1.Batch} (tree.update, tree.ingest): the engine's batch and its ack mode. */
    public DecodedBatch batch(ByteBuf data) {
        BatchReader r = reader(data);
        try {
            Batch batch = batch(r);
            return new DecodedBatch(batch, r.ack() == io.treecast.proto.AckMode.ACK_DURABLE_VALUE
                    ? io.treecast.fastpath.AckMode.DURABLE : io.treecast.fastpath.AckMode.APPLIED);
        } catch (InvalidProtocolBufferException e) {
            throw malformed("Batch", e);
        }
    }

    /**
     * Decodes and validates a {@code treecast.v1.Batch} published fire-and-forget (tree.publish), which has no ack
     * to wait for: the same checks and errors as {@link #batch}, without the wrapper object, so that the event loop
     * allocates per publish only what the engine keeps (the values, the changes, the batch).
     */
    public Batch publish(ByteBuf data) {
        try {
            return batch(reader(data));
        } catch (InvalidProtocolBufferException e) {
            throw malformed("Batch", e);
        }
    }

    private BatchReader reader(ByteBuf data) {
        int bytes = data.readableBytes();
        if (bytes > maxBatchBytes) {
            throw new TreecastException(ErrorCode.INVALID_BATCH, "the batch is " + bytes + " bytes, more than the limit of "
                    + maxBatchBytes + " (limits.max-batch-bytes): split it into smaller batches");
        }
        return BatchReader.reuse(data);
    }

    private Batch batch(BatchReader r) throws InvalidProtocolBufferException {
        int n = r.changeCount();
        if (n == 0) {
            throw new TreecastException(ErrorCode.INVALID_BATCH, "the batch has no changes: send at least one set or delete");
        }
        if (n > maxBatchChanges) {
            throw new TreecastException(ErrorCode.INVALID_BATCH, "the batch has " + n + " changes, more than the limit of "
                    + maxBatchChanges + " (limits.max-batch-changes): split it into smaller batches");
        }
        int ack = r.ack();
        if (ack != io.treecast.proto.AckMode.ACK_APPLIED_VALUE && ack != io.treecast.proto.AckMode.ACK_DURABLE_VALUE) {
            throw new TreecastException(ErrorCode.INVALID_REQUEST, "unknown ack mode " + ack
                    + ": use ACK_APPLIED (0) or ACK_DURABLE (1)");
        }
        if (n == 1) {
            return Batch.of(change(r, 0)); // the common publish: no array to copy
        }
        Change[] changes = new Change[n];
        for (int i = 0; i < n; i++) {
            changes[i] = change(r, i);
        }
        return Batch.of(changes);
    }

    /** The next change of {@code r}, the {@code i}-th (0-based, for the messages), validated. */
    private Change change(BatchReader r, int i) throws InvalidProtocolBufferException {
        r.nextChange();
        TreePath path = r.path();
        if (!r.hasOp()) {
            throw new TreecastException(ErrorCode.INVALID_VALUE, "change " + (i + 1) + " (" + path
                    + ") is neither a set nor a delete: set field `set` (a Value) or `delete`");
        }
        if (r.isDelete()) {
            return Change.delete(path);
        }
        byte[] value = r.valueBytes();
        if (value == null) {
            throw new TreecastException(ErrorCode.INVALID_VALUE, "change " + (i + 1) + " (" + path
                    + ") sets a Value with no kind: set one of string_value, int_value, double_value, bool_value, bytes_value");
        }
        if (value.length > maxValueBytes) {
            throw new TreecastException(ErrorCode.VALUE_TOO_LARGE, "change " + (i + 1) + " (" + path
                    + ") has a value of " + value.length + " bytes, more than the limit of " + maxValueBytes
                    + " (limits.max-value-bytes): store large data elsewhere and publish a reference");
        }
        return Change.set(path, value);
    }

    public SubscribeOptions subscribe(ByteBuf data) {
        Subscribe proto;
        try {
            proto = Subscribe.parseFrom(data.nioBuffer());
        } catch (InvalidProtocolBufferException e) {
            throw malformed("Subscribe", e);
        }
        SubscribeOptions options = SubscribeOptions.of(PathPattern.parse(proto.getPattern())).withSnapshot(proto.getSnapshot());
        if (proto.hasResumeAfter()) {
            options = options.withResumeAfter(proto.getResumeAfter());
        }
        switch (proto.getPolicy()) {
            case CONFLATE:
                options = options.withPolicy(Policy.CONFLATE);
                break;
            case STRICT:
                options = options.withPolicy(Policy.STRICT);
                break;
            default:
                throw new TreecastException(ErrorCode.INVALID_REQUEST, "unknown policy " + proto.getPolicyValue()
                        + ": use CONFLATE (0) or STRICT (1)");
        }
        int outbox = proto.getOutboxCapacity();
        if (outbox < 0) {
            throw new TreecastException(ErrorCode.INVALID_REQUEST, "outbox_capacity " + Integer.toUnsignedString(outbox)
                    + " is too large: ask for at most the server's engine.max-outbox-capacity, or 0 for the default");
        }
        int perFrame = proto.getMaxEventsPerFrame();
        if (perFrame < 0 || perFrame > SubscribeOptions.MAX_EVENTS_PER_DELIVERY) {
            throw new TreecastException(ErrorCode.INVALID_REQUEST, "max_events_per_frame " + Integer.toUnsignedString(perFrame)
                    + " is too large: ask for 1.." + SubscribeOptions.MAX_EVENTS_PER_DELIVERY + ", or 0 for one Event per payload");
        }
        return options.withOutboxCapacity(outbox).withEventsPerDelivery(Math.max(1, perFrame));
    }

    public PathPattern get(ByteBuf data) {
        try {
            return PathPattern.parse(Get.parseFrom(data.nioBuffer()).getPattern());
        } catch (InvalidProtocolBufferException e) {
            throw malformed("Get", e);
        }
    }

    /** Default and maximum {@code ListChildren.limit}: an answer stays small whatever the node. */
    public static final int DEFAULT_CHILDREN = 1000;
    public static final int MAX_CHILDREN = 10_000;

    /** A decoded {@code ListChildren}: the node (null = the root), the name to start after, the page size. */
    public record ChildrenRequest(io.treecast.fastpath.TreePath pathOrNull, String after, int limit) {
    }

    public ChildrenRequest children(ByteBuf data) {
        io.treecast.proto.ListChildren proto;
        try {
            proto = io.treecast.proto.ListChildren.parseFrom(data.nioBuffer());
        } catch (InvalidProtocolBufferException e) {
            throw malformed("ListChildren", e);
        }
        int limit = proto.getLimit();
        if (limit < 0 || limit > MAX_CHILDREN) {
            throw new TreecastException(ErrorCode.INVALID_REQUEST, "limit " + Integer.toUnsignedString(limit)
                    + " is too large: ask for 1.." + MAX_CHILDREN + " children (0 = " + DEFAULT_CHILDREN
                    + ") and page on with after = the last name");
        }
        String path = proto.getPath();
        return new ChildrenRequest(path.isEmpty() ? null : io.treecast.fastpath.TreePath.parse(path), proto.getAfter(),
                limit == 0 ? DEFAULT_CHILDREN : limit);
    }

    private static TreecastException malformed(String message, InvalidProtocolBufferException e) {
        return new TreecastException(ErrorCode.MALFORMED, "the payload is not a valid protobuf treecast.v1." + message
                + " (" + e.getMessage() + "): encode the request with the schema in proto/");
    }
}
