package io.treecast.gateway.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.treecast.fastpath.TreePath;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a {@code treecast.v1.Batch} straight from the request's buffer, one change at a time, without the generated
 * classes (which built a builder, a message, a nested Value and a re-serialized copy of it per change: a fifth of
 * the server's event-loop time at 30,000 publishes/s). Follows protobuf's rules: fields in any order, unknown
 * fields skipped, the last {@code path} and the last of {@code set}/{@code delete} of a change win, and repeated
 * {@code set}s merge (gathered once, in linear time: proto/README.md "Decoding"). A value that is exactly one known field
 * (what every client writes) is copied as it is; anything else goes through the generated {@code Value} class so
 * that the engine only ever stores canonical bytes.
 *
 * <pre>{@code
 * BatchReader r = new BatchReader(buf);
 * while (r.nextChange()) { use(r.path(), r.isDelete() ? null : r.valueBytes()); }   // path(): a TreePath
 * int ack = r.ack();
 * }</pre>
 *
 * Structural errors throw {@link InvalidProtocolBufferException}; what the values mean is for the caller to check.
 */
final class BatchReader {
    private static final int VARINT = 0;
    private static final int FIXED64 = 1;
    private static final int LENGTH_DELIMITED = 2;
    private static final int FIXED32 = 5;
    private static final byte[] NO_BYTES = new byte[0];

    /**
     * The publish path's reader of each event loop, reused for every batch it decodes ({@link #reuse}): no reader
     * object per publish.
     */
    private static final io.netty.util.concurrent.FastThreadLocal<BatchReader> PER_THREAD = new io.netty.util.concurrent.FastThreadLocal<>() {
        @Override
        protected BatchReader initialValue() {
            return new BatchReader(null, 1);
        }
    };
    /** A reused reader keeps a merge buffer up to this size; a larger one (a rare, hostile batch) goes. */
    private static final int KEPT_MERGE_BYTES = 64 * 1024;

    private ByteBuf in;
    private int end;
    private int pos;
    private int changes = -1;
    private int ack;
    // the current change
    private TreePath path;
    private int pathStart;
    private int pathLength;
    private int valueStart;
    private int valueLength;
    /**
     * When {@code set} appeared more than once, protobuf merges the Values: their encodings are gathered here, in
     * order, and parsed together. The buffer grows by doubling and is reused for the reader's later changes, so a
     * change whose {@code set} is repeated k times costs O(its length), not O(k x its length) (1 MiB of repeated
     * {@code set} took 16 s of an event loop when every occurrence copied what was gathered before).
     */
    private byte[] merged = NO_BYTES;
    private int mergedLength;
    private boolean merging;
    /** Bytes copied into {@link #merged} since the reader was made: what proves the merge linear in tests. */
    private long mergeCopies;
    private boolean delete;
    private boolean hasOp;

    /** 1 for a Batch's changes, 3 for an Event's. */
    private final int changeField;
    /** An Event's kind and seq (fields 1 and 2); unused for a Batch. */
    private int eventKind;
    private long eventSeq;

    BatchReader(ByteBuf in) {
        this(in, 1);
    }

    private BatchReader(ByteBuf in, int changeField) {
        this.changeField = changeField;
        if (in != null) {
            reset(in);
        }
    }

    /**
     * The calling thread's reader of Batches, reset to read {@code in}: what the publish path uses on an event loop.
     * Valid until the thread's next call; the paths and values it returned are the caller's (the reader keeps none).
     */
    static BatchReader reuse(ByteBuf in) {
        return PER_THREAD.get().reset(in);
    }

    private BatchReader reset(ByteBuf in) {
        this.in = in;
        this.pos = in.readerIndex();
        this.end = pos + in.readableBytes();
        this.changes = -1;
        this.ack = 0;
        this.path = null;
        this.merging = false;
        this.mergedLength = 0;
        if (merged.length > KEPT_MERGE_BYTES) {
            merged = NO_BYTES;
        }
        this.delete = false;
        this.hasOp = false;
        this.eventKind = 0;
        this.eventSeq = 0;
        return this;
    }

    /**
     * Reads a {@code treecast.v1.Event} instead (an edge node reading its core's stream): its changes the same way,
     * its kind and seq from {@link #eventKind()} and {@link #eventSeq()}.
     */
    static BatchReader ofEvent(ByteBuf in) {
        return new BatchReader(in, 3);
    }

    /** An Event's kind number (0 UPDATE, 1 SNAPSHOT, 2 SNAPSHOT_END, 3 RESET). */
    int eventKind() throws InvalidProtocolBufferException {
        changeCount();
        return eventKind;
    }

    /** An Event's seq. */
    long eventSeq() throws InvalidProtocolBufferException {
        changeCount();
        return eventSeq;
    }

    /** The number of changes; reads the whole batch once (and its ack mode) without decoding the changes. */
    int changeCount() throws InvalidProtocolBufferException {
        if (changes < 0) {
            int save = pos;
            int n = 0;
            while (pos < end) {
                long tag = tag(end);
                int field = (int) (tag >>> 3);
                int wire = (int) tag & 7;
                if (field == changeField && wire == LENGTH_DELIMITED) {
                    n++;
                    skipBytes(end);
                } else if (field == 2 && wire == VARINT) {
                    long v = varint(end);
                    ack = (int) v;
                    eventSeq = v;
                } else if (field == 1 && wire == VARINT && changeField != 1) {
                    eventKind = (int) varint(end);
                } else {
                    skip(wire, end);
                }
            }
            pos = save;
            changes = n;
        }
        return changes;
    }

    /** The ack mode's number (0 = ACK_APPLIED). */
    int ack() throws InvalidProtocolBufferException {
        changeCount();
        return ack;
    }

    /** Moves to the next change; false when there is none. */
    boolean nextChange() throws InvalidProtocolBufferException {
        while (pos < end) {
            long tag = tag(end);
            if ((int) (tag >>> 3) == changeField && ((int) tag & 7) == LENGTH_DELIMITED) {
                int len = length(end);
                readChange(pos + len);
                return true;
            }
            skip((int) tag & 7, end);
        }
        return false;
    }

    /**
     * The current change's path, parsed and validated ({@link TreePath#parse}), from the thread's {@link PathCache}
     * when it was seen recently.
     *
     * @throws io.treecast.fastpath.TreecastException INVALID_PATH
     */
    TreePath path() throws InvalidProtocolBufferException {
        if (path == null) {
            PathCache cache = PathCache.current();
            path = cache.get(in, pathStart, pathLength);
            if (path == null) {
                path = TreePath.parse(utf8(pathStart, pathLength));
                cache.put(path);
            }
        }
        return path;
    }

    /** Neither {@code set} nor {@code delete} was present. */
    boolean hasOp() {
        return hasOp;
    }

    boolean isDelete() {
        return delete;
    }

    /** The canonical bytes of the {@code set} Value; null when it has no kind set. */
    byte[] valueBytes() throws InvalidProtocolBufferException {
        if (!merging && isOneKnownField(valueStart, valueStart + valueLength)) {
            return bytes(valueStart, valueLength);
        }
        io.treecast.proto.Value v = merging
                ? io.treecast.proto.Value.parseFrom(java.nio.ByteBuffer.wrap(merged, 0, mergedLength))
                : io.treecast.proto.Value.parseFrom(bytes(valueStart, valueLength));
        return v.getKindCase() == io.treecast.proto.Value.KindCase.KIND_NOT_SET ? null : v.toByteArray();
    }

    private void readChange(int changeEnd) throws InvalidProtocolBufferException {
        path = null;
        pathStart = pos;
        pathLength = 0;
        hasOp = false;
        delete = false;
        merging = false;
        valueLength = 0;
        while (pos < changeEnd) {
            long tag = tag(changeEnd);
            int field = (int) (tag >>> 3);
            int wire = (int) tag & 7;
            if (field == 1 && wire == LENGTH_DELIMITED) {
                int len = length(changeEnd);
                pathStart = pos;
                pathLength = len;
                pos += len;
            } else if (field == 2 && wire == LENGTH_DELIMITED) {
                int len = length(changeEnd);
                if (hasOp && !delete) {
                    // a later Value for the same change merges with the earlier ones (a oneof switching back
                    // from `delete` starts afresh, as protobuf does)
                    if (!merging) {
                        merging = true;
                        mergedLength = 0;
                        gather(valueStart, valueLength);
                    }
                    gather(pos, len);
                } else {
                    merging = false;
                }
                valueStart = pos;
                valueLength = len;
                hasOp = true;
                delete = false;
                pos += len;
            } else if (field == 3 && wire == LENGTH_DELIMITED) {
                skipBytes(changeEnd);
                hasOp = true;
                delete = true;
                merging = false;
            } else {
                skip(wire, changeEnd);
            }
        }
    }

    /** Appends {@code len} bytes at {@code at} to {@link #merged}, doubling it when full (amortized O(len)). */
    private void gather(int at, int len) {
        int need = mergedLength + len;
        if (need > merged.length) {
            merged = Arrays.copyOf(merged, Math.max(need, Math.max(64, merged.length * 2)));
            mergeCopies += mergedLength;
        }
        in.getBytes(at, merged, mergedLength, len);
        mergedLength = need;
        mergeCopies += len;
    }

    /** Bytes copied to gather merged Values so far, growth included (tests: the work is linear in the input). */
    long mergeCopies() {
        return mergeCopies;
    }

    /** A value every client writes: exactly one field of Value's oneof, with its own wire type, and nothing else. */
    private boolean isOneKnownField(int from, int to) {
        if (from >= to) {
            return false;
        }
        int save = pos;
        try {
            pos = from;
            long tag = tag(to);
            int field = (int) (tag >>> 3);
            int wire = (int) tag & 7;
            boolean known = (field == 1 || field == 5) && wire == LENGTH_DELIMITED
                    || (field == 2 || field == 4) && wire == VARINT
                    || field == 3 && wire == FIXED64;
            if (!known || varintSize(tag) != pos - from) {
                return false; // also refuses an over-long tag encoding, which the canonical form would shorten
            }
            int contentStart = pos;
            skip(wire, to);
            if (field == 1 && !ascii(contentStart, to)) {
                return false; // the generated class checks that the string is valid UTF-8
            }
            return pos == to;
        } catch (InvalidProtocolBufferException e) {
            return false; // the generated class reports it with its own message
        } finally {
            pos = save;
        }
    }

    private boolean ascii(int from, int to) {
        for (int i = from; i < to; i++) {
            if (in.getByte(i) < 0) {
                return false;
            }
        }
        return true;
    }

    private String utf8(int at, int len) throws InvalidProtocolBufferException {
        String s = in.toString(at, len, StandardCharsets.UTF_8);
        if (!ascii(at, at + len) && !Arrays.equals(s.getBytes(StandardCharsets.UTF_8), bytes(at, len))) {
            // the decoder replaced a malformed sequence; protobuf refuses such a string field
            throw new InvalidProtocolBufferException("Protocol message had invalid UTF-8.");
        }
        return s;
    }

    private byte[] bytes(int at, int len) {
        byte[] b = new byte[len];
        in.getBytes(at, b);
        return b;
    }

    private void skip(int wire, int limit) throws InvalidProtocolBufferException {
        switch (wire) {
            case VARINT:
                varint(limit);
                return;
            case FIXED64:
                need(8, limit);
                pos += 8;
                return;
            case LENGTH_DELIMITED:
                skipBytes(limit);
                return;
            case FIXED32:
                need(4, limit);
                pos += 4;
                return;
            default:
                throw new InvalidProtocolBufferException("Protocol message tag had invalid wire type.");
        }
    }

    private void skipBytes(int limit) throws InvalidProtocolBufferException {
        int len = length(limit); // not `pos += length(..)`: that adds to pos as it was before the prefix
        pos += len;
    }

    private void need(int bytes, int limit) throws InvalidProtocolBufferException {
        if (limit - pos < bytes) {
            throw truncated();
        }
    }

    private int length(int limit) throws InvalidProtocolBufferException {
        long len = varint(limit);
        if (len < 0 || len > limit - pos) {
            throw len < 0 ? new InvalidProtocolBufferException("CodedInputStream encountered an embedded string or message which claimed to have negative size.")
                    : truncated();
        }
        return (int) len;
    }

    private long tag(int limit) throws InvalidProtocolBufferException {
        long tag = varint(limit);
        if ((tag >>> 3) == 0) {
            throw new InvalidProtocolBufferException("Protocol message contained an invalid tag (zero).");
        }
        return tag;
    }

    private long varint(int limit) throws InvalidProtocolBufferException {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= limit) {
                throw truncated();
            }
            byte b = in.getByte(pos++);
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw new InvalidProtocolBufferException("CodedInputStream encountered a malformed varint.");
    }

    private static int varintSize(long v) {
        return v < 0 ? 10 : (63 - Long.numberOfLeadingZeros(v | 1)) / 7 + 1;
    }

    private static InvalidProtocolBufferException truncated() {
        return new InvalidProtocolBufferException("While parsing a protocol message, the input ended unexpectedly in the middle of a field.");
    }
}
