package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.treecast.fastpath.EventKind;
import io.treecast.fastpath.EventView;
import io.treecast.fastpath.Leaf;
import io.treecast.fastpath.TreeSnapshot;

import java.util.List;

/**
 * Hand-written protobuf encoding of the hot messages ({@code Event}, {@code Snapshot}, {@code Ack}) straight into
 * one exactly sized pooled buffer, byte-identical to what the generated classes write (fields in number order,
 * proto3 defaults omitted). The leaf values are already encoded {@code Value} messages and are copied raw.
 * No object is created per event except the returned buffer.
 */
public final class WireEncoder {
    // tags: (field << 3) | wire type
    private static final int EVENT_KIND = 1 << 3;
    private static final int EVENT_SEQ = 2 << 3;
    private static final int EVENT_CHANGES = (3 << 3) | 2;
    private static final int EVENT_CONFLATED = 4 << 3;
    private static final int CHANGE_PATH = (1 << 3) | 2;
    private static final int CHANGE_SET = (2 << 3) | 2;
    private static final int CHANGE_DELETE = (3 << 3) | 2;
    private static final int CHANGE_SEQ = 4 << 3;
    private static final int SNAPSHOT_SEQ = 1 << 3;
    private static final int SNAPSHOT_LEAVES = (2 << 3) | 2;
    private static final int ACK_SEQ = 1 << 3;

    private WireEncoder() {
    }

    /** Encodes {@code e} as a {@code treecast.v1.Event}. */
    public static ByteBuf event(ByteBufAllocator alloc, EventView e) {
        int size = eventSize(e);
        ByteBuf out = alloc.buffer(size, size);
        writeEvent(out, e);
        return out;
    }

    /**
     * Appends {@code e} to {@code out} as one element of a length-delimited stream of Events (its size as a varint,
     * then the Event), for subscriptions that take several events per frame. {@code out} grows as needed.
     */
    public static void appendDelimitedEvent(ByteBuf out, EventView e) {
        int size = eventSize(e);
        out.ensureWritable(varintSize(size) + size);
        writeVarint(out, size);
        writeEvent(out, e);
    }

    /** The encoded size of {@code e} as a {@code treecast.v1.Event}. */
    static int eventSize(EventView e) {
        int kind = e.kind().ordinal(); // EventKind and Event.Kind share their order
        long seq = e.seq();
        boolean conflated = e.conflated();
        // a plain UPDATE carries the seq once, on the event; conflated and snapshot changes carry their own
        boolean perChangeSeq = e.kind() != EventKind.UPDATE || conflated;
        int n = e.size();
        int size = 0;
        if (kind != 0) {
            size += 1 + varintSize(kind);
        }
        if (seq != 0) {
            size += 1 + varintSize(seq);
        }
        for (int i = 0; i < n; i++) {
            int len = changeSize(e.path(i).utf8(), e.value(i), perChangeSeq ? e.changeSeq(i) : 0);
            size += 1 + varintSize(len) + len;
        }
        if (conflated) {
            size += 2;
        }
        return size;
    }

    static void writeEvent(ByteBuf out, EventView e) {
        int kind = e.kind().ordinal();
        long seq = e.seq();
        boolean conflated = e.conflated();
        boolean perChangeSeq = e.kind() != EventKind.UPDATE || conflated;
        int n = e.size();
        if (kind != 0) {
            out.writeByte(EVENT_KIND);
            writeVarint(out, kind);
        }
        if (seq != 0) {
            out.writeByte(EVENT_SEQ);
            writeVarint(out, seq);
        }
        for (int i = 0; i < n; i++) {
            byte[] path = e.path(i).utf8();
            byte[] value = e.value(i);
            long cseq = perChangeSeq ? e.changeSeq(i) : 0;
            out.writeByte(EVENT_CHANGES);
            writeVarint(out, changeSize(path, value, cseq));
            writeChange(out, path, value, cseq);
        }
        if (conflated) {
            out.writeByte(EVENT_CONFLATED);
            out.writeByte(1);
        }
    }

    /** A {@code Children} answer (route tree.children; off the hot path, so through the generated classes). */
    public static byte[] children(io.treecast.fastpath.ChildListing listing) {
        io.treecast.proto.Children.Builder b = io.treecast.proto.Children.newBuilder().setSeq(listing.seq()).setMore(listing.more());
        for (io.treecast.fastpath.ChildListing.Child c : listing.children()) {
            b.addChildren(io.treecast.proto.Child.newBuilder().setName(c.name()).setLeaf(c.leaf()));
        }
        return b.build().toByteArray();
    }

    /** Encodes a {@code treecast.v1.Snapshot}: seq, then every leaf as a {@code set} with its own seq. */
    public static ByteBuf snapshot(ByteBufAllocator alloc, TreeSnapshot snapshot) {
        List<Leaf> leaves = snapshot.leaves();
        int size = snapshot.seq() != 0 ? 1 + varintSize(snapshot.seq()) : 0;
        for (int i = 0; i < leaves.size(); i++) {
            Leaf l = leaves.get(i);
            int len = changeSize(l.path().utf8(), l.value(), l.seq());
            size += 1 + varintSize(len) + len;
        }
        ByteBuf out = alloc.buffer(size, size);
        if (snapshot.seq() != 0) {
            out.writeByte(SNAPSHOT_SEQ);
            writeVarint(out, snapshot.seq());
        }
        for (int i = 0; i < leaves.size(); i++) {
            Leaf l = leaves.get(i);
            out.writeByte(SNAPSHOT_LEAVES);
            writeVarint(out, changeSize(l.path().utf8(), l.value(), l.seq()));
            writeChange(out, l.path().utf8(), l.value(), l.seq());
        }
        return out;
    }

    /** Encodes a successful {@code treecast.v1.Ack}. */
    public static ByteBuf ack(ByteBufAllocator alloc, long seq) {
        int size = seq != 0 ? 1 + varintSize(seq) : 0;
        ByteBuf out = alloc.buffer(size, size);
        if (seq != 0) {
            out.writeByte(ACK_SEQ);
            writeVarint(out, seq);
        }
        return out;
    }

    private static int changeSize(byte[] path, byte[] value, long seq) {
        int size = 0;
        if (path.length != 0) {
            size += 1 + varintSize(path.length) + path.length;
        }
        size += value != null ? 1 + varintSize(value.length) + value.length : 2;
        if (seq != 0) {
            size += 1 + varintSize(seq);
        }
        return size;
    }

    private static void writeChange(ByteBuf out, byte[] path, byte[] value, long seq) {
        if (path.length != 0) {
            out.writeByte(CHANGE_PATH);
            writeVarint(out, path.length);
            out.writeBytes(path);
        }
        if (value != null) {
            out.writeByte(CHANGE_SET);
            writeVarint(out, value.length);
            out.writeBytes(value);
        } else {
            out.writeByte(CHANGE_DELETE);
            out.writeByte(0);
        }
        if (seq != 0) {
            out.writeByte(CHANGE_SEQ);
            writeVarint(out, seq);
        }
    }

    static int varintSize(long v) {
        if (v < 0) {
            return 10;
        }
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    static void writeVarint(ByteBuf out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }
}
