package io.treecast.client.internal;

import io.netty.buffer.ByteBuf;

/** The few protobuf wire primitives the client writes by hand (varints, zig-zag), shared by its encoders. */
public final class ProtoWriter {
    private ProtoWriter() {
    }

    /** Bytes of {@code v} as a protobuf varint (negative values take 10). */
    public static int varintSize(long v) {
        if (v < 0) {
            return 10;
        }
        int n = 1;
        while (v >= 0x80) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    public static void writeVarint(ByteBuf out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }

    /** sint64's zig-zag mapping: small magnitudes, positive or negative, get short varints. */
    public static long zigZag(long v) {
        return (v << 1) ^ (v >> 63);
    }
}
