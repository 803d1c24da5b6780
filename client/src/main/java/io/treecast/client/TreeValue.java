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
    /** STRING: the String; BYTES: the byte[]; otherwise null (the value is in {@link #bits}, never boxed). */
    private final Object value;
    /** INT: the value; DOUBLE: its raw bits; BOOL: 1 or 0. Primitive, so a decoded number costs no box. */
    private final long bits;

    private TreeValue(Kind kind, Object value, long bits) {
        this.kind = kind;
        this.value = value;
        this.bits = bits;
    }

    public static TreeValue of(String v) { return new TreeValue(Kind.STRING, Objects.requireNonNull(v, "value"), 0); }
    public static TreeValue of(long v) { return new TreeValue(Kind.INT, null, v); }
    public static TreeValue of(double v) { return new TreeValue(Kind.DOUBLE, null, Double.doubleToRawLongBits(v)); }
    public static TreeValue of(boolean v) { return new TreeValue(Kind.BOOL, null, v ? 1 : 0); }
    /** Copies {@code v}. */
    public static TreeValue of(byte[] v) { return new TreeValue(Kind.BYTES, Objects.requireNonNull(v, "value").clone(), 0); }

    public Kind kind() { return kind; }

    /** The string; for other kinds, their text form. */
    public String asString() {
        switch (kind) {
            case STRING: return (String) value;
            case INT: return Long.toString(bits);
            case DOUBLE: return Double.toString(Double.longBitsToDouble(bits));
            case BOOL: return Boolean.toString(bits != 0);
            default: return Arrays.toString((byte[]) value);
        }
    }

    /** The integer. @throws IllegalStateException when the value is not an INT */
    public long asLong() {
        expect(Kind.INT);
        return bits;
    }

    /** The double (an INT is widened). @throws IllegalStateException for other kinds */
    public double asDouble() {
        if (kind == Kind.INT) {
            return bits;
        }
        expect(Kind.DOUBLE);
        return Double.longBitsToDouble(bits);
    }

    public boolean asBoolean() {
        expect(Kind.BOOL);
        return bits != 0;
    }

    /** A copy of the bytes. */
    public byte[] asBytes() {
        expect(Kind.BYTES);
        return ((byte[]) value).clone();
    }

    private void expect(Kind k) {
        if (kind != k) {
            throw new IllegalStateException("value is " + kind + ", not " + k + ": " + asString());
        }
    }

    /** Bytes of the encoded {@code treecast.v1.Value}: its one field, always present (it is a oneof). */
    int encodedSize() {
        switch (kind) {
            case STRING: {
                int n = io.netty.buffer.ByteBufUtil.utf8Bytes((String) value);
                return 1 + ProtoWriter.varintSize(n) + n;
            }
            case INT: return 1 + ProtoWriter.varintSize(ProtoWriter.zigZag(bits));
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
                ProtoWriter.writeVarint(out, ProtoWriter.zigZag(bits));
                return;
            case DOUBLE:
                out.writeByte(0x19);
                out.writeLongLE(bits);
                return;
            case BOOL:
                out.writeByte(0x20).writeByte((int) bits);
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
            case INT: return Value.newBuilder().setIntValue(bits).build();
            case DOUBLE: return Value.newBuilder().setDoubleValue(Double.longBitsToDouble(bits)).build();
            case BOOL: return Value.newBuilder().setBoolValue(bits != 0).build();
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
            case BYTES_VALUE: return new TreeValue(Kind.BYTES, v.getBytesValue().toByteArray(), 0);
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
        switch (kind) {
            case STRING: return value.equals(t.value);
            case BYTES: return Arrays.equals((byte[]) value, (byte[]) t.value);
            // as Double.equals: NaN equals NaN, 0.0 does not equal -0.0
            case DOUBLE: return Double.doubleToLongBits(Double.longBitsToDouble(bits))
                    == Double.doubleToLongBits(Double.longBitsToDouble(t.bits));
            default: return bits == t.bits;
        }
    }

    /** As before values were unboxed: the hash of the String, Long, Double, Boolean or the bytes. */
    @Override
    public int hashCode() {
        switch (kind) {
            case STRING: return value.hashCode();
            case INT: return Long.hashCode(bits);
            case DOUBLE: return Double.hashCode(Double.longBitsToDouble(bits));
            case BOOL: return Boolean.hashCode(bits != 0);
            default: return Arrays.hashCode((byte[]) value);
        }
    }

    @Override
    public String toString() {
        return asString();
    }
}
