package io.treecast.client.internal;

import io.netty.buffer.ByteBuf;
import io.treecast.client.LeafChange;
import io.treecast.client.TreeEvent;
import io.treecast.client.TreeValue;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Hand-written protobuf decoding of the messages a subscriber receives most ({@code Event}, {@code Snapshot})
 * straight from the frame's buffer into the client's types. The generated classes build a builder, a message and a
 * list per change before we copy them into ours; on a busy subscription that was most of the client's CPU.
 * Follows protobuf's rules: fields in any order, unknown fields skipped, the last of a repeated scalar wins.
 * Anything truncated or of the wrong wire type is {@link MalformedException}.
 */
final class WireDecoder {
    private static final int VARINT = 0;
    private static final int FIXED64 = 1;
    private static final int LENGTH_DELIMITED = 2;
    private static final int FIXED32 = 5;

    /** The message's bytes: copied out of the frame once (array loops beat a bounds-checked getByte per byte). */
    private final byte[] in;
    private int pos;
    private int end;

    private WireDecoder(byte[] in, int pos, int end) {
        this.in = in;
        this.pos = pos;
        this.end = end;
    }

    private static WireDecoder over(ByteBuf buf) {
        byte[] bytes = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), bytes);
        return new WireDecoder(bytes, 0, bytes.length);
    }

    /** Thrown for bytes that are not the expected message; the caller turns it into the client's MALFORMED. */
    static final class MalformedException extends RuntimeException {
        MalformedException(String message) {
            super(message, null, false, false);
        }
    }

    /** Decodes the readable bytes of {@code in} as a {@code treecast.v1.Event} (does not move its reader index). */
    static TreeEvent event(ByteBuf in) {
        WireDecoder r = over(in);
        return r.event();
    }

    /** Decodes the Event from here to {@code end}. */
    private TreeEvent event() {
        int kind = 0;
        long seq = 0;
        boolean conflated = false;
        // changes are decoded after the loop: a plain UPDATE's changes take the event's seq, which may come last
        int firstChange = -1;
        int changes = 0;
        while (pos < end) {
            int at = pos;
            long tag = varint();
            int field = (int) (tag >>> 3);
            int wire = (int) tag & 7;
            if (field == 1 && wire == VARINT) {
                kind = (int) varint();
            } else if (field == 2 && wire == VARINT) {
                seq = varint();
            } else if (field == 3 && wire == LENGTH_DELIMITED) {
                if (firstChange < 0) {
                    firstChange = at;
                }
                changes++;
                skipBytes();
            } else if (field == 4 && wire == VARINT) {
                conflated = varint() != 0;
            } else {
                skip(wire);
            }
        }
        List<LeafChange> list = List.of();
        if (changes > 0) {
            pos = firstChange;
            list = changes(3, changes, seq);
        }
        return new TreeEvent(kind(kind), seq, list, conflated);
    }

    /** Decodes {@code in} as a length-delimited stream of Events (a frame of a subscription with several per frame). */
    static List<TreeEvent> delimitedEvents(ByteBuf in) {
        WireDecoder r = over(in);
        if (r.pos == r.end) {
            throw new MalformedException("an empty frame: it must hold at least one event");
        }
        List<TreeEvent> out = new java.util.ArrayList<>(4);
        int frameEnd = r.end;
        while (r.pos < frameEnd) {
            int len = r.length();
            int next = r.pos + len;
            r.end = next; // one decoder walks the whole frame, one event's bounds at a time
            out.add(r.event());
            r.pos = next;
            r.end = frameEnd;
        }
        return out;
    }

    /** Decodes {@code in} as a {@code treecast.v1.Snapshot}: its seq and its leaves. */
    static io.treecast.client.Snapshot snapshot(ByteBuf in) {
        WireDecoder r = over(in);
        long seq = 0;
        int first = -1;
        int leaves = 0;
        while (r.pos < r.end) {
            int at = r.pos;
            long tag = r.varint();
            int field = (int) (tag >>> 3);
            int wire = (int) tag & 7;
            if (field == 1 && wire == VARINT) {
                seq = r.varint();
            } else if (field == 2 && wire == LENGTH_DELIMITED) {
                if (first < 0) {
                    first = at;
                }
                leaves++;
                r.skipBytes();
            } else {
                r.skip(wire);
            }
        }
        List<LeafChange> list = List.of();
        if (leaves > 0) {
            r.pos = first;
            list = r.changes(2, leaves, seq);
        }
        return new io.treecast.client.Snapshot(seq, list);
    }

    private static TreeEvent.Kind kind(int k) {
        switch (k) {
            case 1: return TreeEvent.Kind.SNAPSHOT;
            case 2: return TreeEvent.Kind.SNAPSHOT_END;
            case 3: return TreeEvent.Kind.RESET;
            default: return TreeEvent.Kind.UPDATE; // proto3: an unknown enum value reads as the default
        }
    }

    /** The {@code count} Change messages of field {@code changeField} from here to the end; other fields skipped. */
    private List<LeafChange> changes(int changeField, int count, long defaultSeq) {
        LeafChange[] out = new LeafChange[count];
        int n = 0;
        while (pos < end && n < count) {
            long tag = varint();
            int wire = (int) tag & 7;
            if ((int) (tag >>> 3) == changeField && wire == LENGTH_DELIMITED) {
                int len = length();
                int outerEnd = end;
                end = pos + len;
                out[n++] = change(defaultSeq);
                end = outerEnd;
            } else {
                skip(wire);
            }
        }
        return List.of(out);
    }

    /** One Change, from here to {@code end}. */
    private LeafChange change(long defaultSeq) {
        String path = "";
        TreeValue value = null;
        long seq = 0;
        while (pos < end) {
            long tag = varint();
            int field = (int) (tag >>> 3);
            int wire = (int) tag & 7;
            if (field == 1 && wire == LENGTH_DELIMITED) {
                path = string();
            } else if (field == 2 && wire == LENGTH_DELIMITED) {
                int len = length();
                int outerEnd = end;
                end = pos + len;
                value = value();
                end = outerEnd;
            } else if (field == 3 && wire == LENGTH_DELIMITED) {
                skipBytes();
                value = null; // delete: the last of set/delete wins, as in protobuf's oneof
            } else if (field == 4 && wire == VARINT) {
                seq = varint();
            } else {
                skip(wire);
            }
        }
        return new LeafChange(path, value, seq != 0 ? seq : defaultSeq);
    }

    /** One Value, from here to {@code end}. */
    private TreeValue value() {
        TreeValue v = null;
        while (pos < end) {
            long tag = varint();
            int field = (int) (tag >>> 3);
            int wire = (int) tag & 7;
            if (field == 1 && wire == LENGTH_DELIMITED) {
                v = TreeValue.of(string());
            } else if (field == 2 && wire == VARINT) {
                long raw = varint();
                v = TreeValue.of((raw >>> 1) ^ -(raw & 1)); // sint64 is zig-zag encoded
            } else if (field == 3 && wire == FIXED64) {
                need(8);
                v = TreeValue.of(Double.longBitsToDouble(fixed64()));
                pos += 8;
            } else if (field == 4 && wire == VARINT) {
                v = TreeValue.of(varint() != 0);
            } else if (field == 5 && wire == LENGTH_DELIMITED) {
                int len = length();
                v = TreeValue.of(java.util.Arrays.copyOfRange(in, pos, pos + len));
                pos += len;
            } else {
                skip(wire);
            }
        }
        if (v == null) {
            throw new MalformedException("a Value with no kind set");
        }
        return v;
    }

    /** A length-prefixed UTF-8 string field's content. */
    private String string() {
        int len = length();
        String s = new String(in, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    private long fixed64() {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (in[pos + i] & 0xFF); // little-endian
        }
        return v;
    }

    private void skip(int wire) {
        switch (wire) {
            case VARINT:
                varint();
                return;
            case FIXED64:
                need(8);
                pos += 8;
                return;
            case LENGTH_DELIMITED:
                skipBytes();
                return;
            case FIXED32:
                need(4);
                pos += 4;
                return;
            default:
                throw new MalformedException("wire type " + wire + " is not valid here");
        }
    }

    private void skipBytes() {
        int len = length(); // not `pos += length()`: that would add to pos as it was before the length prefix
        pos += len;
    }

    private void need(int bytes) {
        if (end - pos < bytes) {
            throw new MalformedException("the message is truncated");
        }
    }

    /** A length prefix, checked against what is left of the enclosing message. */
    private int length() {
        long len = varint();
        if (len < 0 || len > end - pos) {
            throw new MalformedException("a length of " + len + " runs past the end of the message");
        }
        return (int) len;
    }

    private long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw new MalformedException("the message is truncated inside a varint");
            }
            byte b = in[pos++];
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw new MalformedException("a varint is longer than 10 bytes");
    }
}
