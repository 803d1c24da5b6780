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
import io.treecast.proto.Value;

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

    public DecodedBatch batch(ByteBuf data) {
        int bytes = data.readableBytes();
        if (bytes > maxBatchBytes) {
            throw new TreecastException(ErrorCode.INVALID_BATCH, "the batch is " + bytes + " bytes, more than the limit of "
                    + maxBatchBytes + " (limits.max-batch-bytes): split it into smaller batches");
        }
        io.treecast.proto.Batch proto;
        try {
            proto = io.treecast.proto.Batch.parseFrom(data.nioBuffer());
        } catch (InvalidProtocolBufferException e) {
            throw malformed("Batch", e);
        }
        int n = proto.getChangesCount();
        if (n == 0) {
            throw new TreecastException(ErrorCode.INVALID_BATCH, "the batch has no changes: send at least one set or delete");
        }
        if (n > maxBatchChanges) {
            throw new TreecastException(ErrorCode.INVALID_BATCH, "the batch has " + n + " changes, more than the limit of "
                    + maxBatchChanges + " (limits.max-batch-changes): split it into smaller batches");
        }
        io.treecast.fastpath.AckMode ack;
        switch (proto.getAck()) {
            case ACK_APPLIED:
                ack = io.treecast.fastpath.AckMode.APPLIED;
                break;
            case ACK_DURABLE:
                ack = io.treecast.fastpath.AckMode.DURABLE;
                break;
            default:
                throw new TreecastException(ErrorCode.INVALID_REQUEST, "unknown ack mode " + proto.getAckValue()
                        + ": use ACK_APPLIED (0) or ACK_DURABLE (1)");
        }
        Change[] changes = new Change[n];
        for (int i = 0; i < n; i++) {
            io.treecast.proto.Change c = proto.getChanges(i);
            TreePath path = TreePath.parse(c.getPath());
            switch (c.getOpCase()) {
                case SET: {
                    Value v = c.getSet();
                    if (v.getKindCase() == Value.KindCase.KIND_NOT_SET) {
                        throw new TreecastException(ErrorCode.INVALID_VALUE, "change " + (i + 1) + " (" + c.getPath()
                                + ") sets a Value with no kind: set one of string_value, int_value, double_value, bool_value, bytes_value");
                    }
                    int size = v.getSerializedSize();
                    if (size > maxValueBytes) {
                        throw new TreecastException(ErrorCode.VALUE_TOO_LARGE, "change " + (i + 1) + " (" + c.getPath()
                                + ") has a value of " + size + " bytes, more than the limit of " + maxValueBytes
                                + " (limits.max-value-bytes): store large data elsewhere and publish a reference");
                    }
                    changes[i] = Change.set(path, v.toByteArray());
                    break;
                }
                case DELETE:
                    changes[i] = Change.delete(path);
                    break;
                default:
                    throw new TreecastException(ErrorCode.INVALID_VALUE, "change " + (i + 1) + " (" + c.getPath()
                            + ") is neither a set nor a delete: set field `set` (a Value) or `delete`");
            }
        }
        return new DecodedBatch(Batch.of(changes), ack);
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
        return options.withOutboxCapacity(outbox);
    }

    public PathPattern get(ByteBuf data) {
        try {
            return PathPattern.parse(Get.parseFrom(data.nioBuffer()).getPattern());
        } catch (InvalidProtocolBufferException e) {
            throw malformed("Get", e);
        }
    }

    private static TreecastException malformed(String message, InvalidProtocolBufferException e) {
        return new TreecastException(ErrorCode.MALFORMED, "the payload is not a valid protobuf treecast.v1." + message
                + " (" + e.getMessage() + "): encode the request with the schema in proto/");
    }
}
