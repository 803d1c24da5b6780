package io.treecast.client;

import io.treecast.client.internal.ProtoWriter;

import com.google.protobuf.ByteString;
import io.treecast.proto.Value;

import java.util.Arrays;
import java.util.Objects;

/**
 * A leaf's value: a string, a signed 64-bit integer, a double, a boolean or bytes. Immutable.
 *
 * <pre>{@code
 * TreeValue v = TreeValue.of(1.0842);
 * v.kind();        // DOUBLE
 * v.asDouble();    // 1.0842
 * v.toString();    // "1.0842"
 * }</pre>
 */
public final class TreeValue {
    /** The kind of a value, as in the protobuf {@code Value} oneof. */
    public enum Kind { STRING, INT, DOUBLE, BOOL, BYTES }

    private final Kind kind;
    private final Object value;

    private TreeValue(Kind kind, Object value) {
        this.kind = kind;
        this.value = value;
    }

    public static TreeValue of(String v) { return new TreeValue(Kind.STRING, Objects.requireNonNull(v, "value")); }
    public static TreeValue of(long v) { return new TreeValue(Kind.INT, v); }
    public static TreeValue of(double v) { return new TreeValue(Kind.DOUBLE, v); }
    public static TreeValue of(boolean v) { return new TreeValue(Kind.BOOL, v); }
    /** Copies {@code v}. */
    public static TreeValue of(byte[] v) { return new TreeValue(Kind.BYTES, Objects.requireNonNull(v, "value").clone()); }

    public Kind kind() { return kind; }

    /** The string; for other kinds, their text form. */
    public String asString() {
        return kind == Kind.BYTES ? Arrays.toString((byte[]) value) : String.valueOf(value);
    }

    /** The integer. @throws IllegalStateException when the value is not an INT */
    public long asLong() { return (Long) expect(Kind.INT); }
    /** The double (an INT is widened). @throws IllegalStateException for other kinds */
    public double asDouble() {
        if (kind == Kind.INT) {
            return (Long) value;
        }
        return (Double) expect(Kind.DOUBLE);
    }
    public boolean asBoolean() { return (Boolean) expect(Kind.BOOL); }
    /** A copy of the bytes. */
    public byte[] asBytes() { return ((byte[]) expect(Kind.BYTES)).clone(); }

    private Object expect(Kind k) {
        if (kind != k) {
            throw new IllegalStateException("value is " + kind + ", not " + k + ": " + asString());
        }
        return value;
    }

    /** Bytes of the encoded {@code treecast.v1.Value}: its one field, always present (it is a oneof). */
    int encodedSize() {
        switch (kind) {
            case STRING: {
                int n = io.netty.buffer.ByteBufUtil.utf8Bytes((String) value);
                return 1 + ProtoWriter.varintSize(n) + n;
            }
            case INT: return 1 + ProtoWriter.varintSize(ProtoWriter.zigZag((Long) value));
            case DOUBLE: return 9;
            case BOOL: return 2;
            default: {
                int n = ((byte[]) value).length;
                return 1 + ProtoWriter.varintSize(n) + n;
            }
        }
    }

    /** Writes the encoded {@code treecast.v1.Value} (see {@link #encodedSize()}). */
    void writeTo(io.netty.buffer.ByteBuf out) {
        switch (kind) {
            case STRING: {
                String s = (String) value;
                out.writeByte(0x0A);
                int n = io.netty.buffer.ByteBufUtil.utf8Bytes(s);
                ProtoWriter.writeVarint(out, n);
                io.netty.buffer.ByteBufUtil.reserveAndWriteUtf8(out, s, n);
                return;
            }
            case INT:
                out.writeByte(0x10);
                ProtoWriter.writeVarint(out, ProtoWriter.zigZag((Long) value));
                return;
            case DOUBLE:
                out.writeByte(0x19);
                out.writeLongLE(Double.doubleToRawLongBits((Double) value));
                return;
            case BOOL:
                out.writeByte(0x20).writeByte((Boolean) value ? 1 : 0);
                return;
            default: {
                byte[] b = (byte[]) value;
                out.writeByte(0x2A);
                ProtoWriter.writeVarint(out, b.length);
                out.writeBytes(b);
            }
        }
    }

    /** The protobuf form. */
    public Value toProto() {
        switch (kind) {
            case STRING: return Value.newBuilder().setStringValue((String) value).build();
            case INT: return Value.newBuilder().setIntValue((Long) value).build();
            case DOUBLE: return Value.newBuilder().setDoubleValue((Double) value).build();
            case BOOL: return Value.newBuilder().setBoolValue((Boolean) value).build();
            default: return Value.newBuilder().setBytesValue(ByteString.copyFrom((byte[]) value)).build();
        }
    }

    /** From the protobuf form. @throws IllegalArgumentException when no kind is set */
    public static TreeValue fromProto(Value v) {
        switch (v.getKindCase()) {
            case STRING_VALUE: return of(v.getStringValue());
            case INT_VALUE: return of(v.getIntValue());
            case DOUBLE_VALUE: return of(v.getDoubleValue());
            case BOOL_VALUE: return of(v.getBoolValue());
            case BYTES_VALUE: return new TreeValue(Kind.BYTES, v.getBytesValue().toByteArray());
            default: throw new IllegalArgumentException("a Value with no kind set");
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TreeValue)) {
            return false;
        }
        TreeValue t = (TreeValue) o;
        if (kind != t.kind) {
            return false;
        }
        return kind == Kind.BYTES ? Arrays.equals((byte[]) value, (byte[]) t.value) : value.equals(t.value);
    }

    @Override
    public int hashCode() {
        return kind == Kind.BYTES ? Arrays.hashCode((byte[]) value) : value.hashCode();
    }

    @Override
    public String toString() {
        return asString();
    }
}
