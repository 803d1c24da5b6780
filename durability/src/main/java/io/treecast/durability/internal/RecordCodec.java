package io.treecast.durability.internal;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.treecast.proto.Watermark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Encodes and decodes the topic's records (proto/src/main/proto/treecast/v1/journal.proto) without building
 * message objects: the engine's value bytes already are an encoded {@code Value}, so they are copied into field 1 of
 * {@code LeafRecord} as they are, and read back the same way.
 */
public final class RecordCodec {
    /** Header of a tombstone: the seq of the batch that deleted the leaf, 8 bytes big-endian. */
    public static final String SEQ_HEADER = "treecast.seq";
    /** Keys of watermark records start with NUL, which no valid path contains. */
    public static final String WATERMARK_KEY_PREFIX = "\u0000treecast.hwm/";

    // protobuf tag = field number << 3 | wire type
    private static final int VALUE_TAG = 1 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int SEQ_TAG = 2 << 3 | WireFormat.WIRETYPE_VARINT;
    private static final int TIME_TAG = 3 << 3 | WireFormat.WIRETYPE_VARINT;
    private static final int TREE_TAG = 4 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

    private RecordCodec() {
    }

    /** {@code LeafRecord{value, seq, time_micros, tree}} with {@code encodedValue} written raw as field 1. */
    public static byte[] leafRecord(byte[] encodedValue, long seq, long timeMicros, byte[] treeUtf8) {
        int size = CodedOutputStream.computeTagSize(1) + CodedOutputStream.computeUInt32SizeNoTag(encodedValue.length)
                + encodedValue.length
                + CodedOutputStream.computeInt64Size(2, seq)
                + CodedOutputStream.computeInt64Size(3, timeMicros)
                + CodedOutputStream.computeTagSize(4) + CodedOutputStream.computeUInt32SizeNoTag(treeUtf8.length)
                + treeUtf8.length;
        byte[] out = new byte[size];
        CodedOutputStream cos = CodedOutputStream.newInstance(out);
        try {
            cos.writeUInt32NoTag(VALUE_TAG);
            cos.writeUInt32NoTag(encodedValue.length);
            cos.writeRawBytes(encodedValue);
            cos.writeUInt32NoTag(SEQ_TAG);
            cos.writeInt64NoTag(seq);
            cos.writeUInt32NoTag(TIME_TAG);
            cos.writeInt64NoTag(timeMicros);
            cos.writeUInt32NoTag(TREE_TAG);
            cos.writeUInt32NoTag(treeUtf8.length);
            cos.writeRawBytes(treeUtf8);
            cos.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException("LeafRecord size miscomputed (a bug)", e);
        }
        return out;
    }

    /** The seq header value of a tombstone. */
    public static byte[] seqHeader(long seq) {
        byte[] b = new byte[8];
        for (int i = 7; i >= 0; i--) {
            b[i] = (byte) seq;
            seq >>>= 8;
        }
        return b;
    }

    /** Reads a seq header value; -1 when it is missing or not 8 bytes. */
    public static long readSeqHeader(byte[] b) {
        if (b == null || b.length != 8) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    /** Key of the watermark record of {@code tree} on {@code partition}. */
    public static byte[] watermarkKey(String tree, int partition) {
        return (WATERMARK_KEY_PREFIX + tree + "/" + partition).getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] watermark(long seq, String tree) {
        return Watermark.newBuilder().setSeq(seq).setTree(tree).build().toByteArray();
    }

    /** The parts of a LeafRecord recovery needs: the raw encoded value and the seq. */
    public static final class DecodedLeaf {
        public byte[] value;
        public long seq;
    }

    /** Decodes a LeafRecord into {@code into}; unknown fields (added later) are skipped. */
    public static DecodedLeaf decodeLeaf(byte[] record, DecodedLeaf into) {
        into.value = null;
        into.seq = -1;
        CodedInputStream in = CodedInputStream.newInstance(record);
        try {
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    return into;
                } else if (tag == VALUE_TAG) {
                    into.value = in.readByteArray();
                } else if (tag == SEQ_TAG) {
                    into.seq = in.readInt64();
                } else if (!in.skipField(tag)) {
                    return into;
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("not a treecast.v1.LeafRecord: " + e.getMessage(), e);
        }
    }
}
