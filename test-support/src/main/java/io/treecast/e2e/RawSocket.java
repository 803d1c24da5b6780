package io.treecast.e2e;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * RSocket over TCP written byte by byte on a plain {@link Socket}, no RSocket library: so a test can send what no
 * library would (a request before SETUP, a truncated frame, an unknown frame type, metadata that lies about its
 * length) and read exactly what the server answers. Frame layout from the RSocket 1.0 spec: a 3-byte length, then
 * stream id (4), type (6 bits) and flags (10 bits), then the frame's fields.
 */
public final class RawSocket implements RawFrameChannel {
    public static final int SETUP = 0x01;
    public static final int REQUEST_RESPONSE = 0x04;
    public static final int REQUEST_FNF = 0x05;
    public static final int REQUEST_STREAM = 0x06;
    public static final int PAYLOAD = 0x0A;
    public static final int ERROR = 0x0B;
    public static final int KEEPALIVE = 0x03;
    public static final int FLAG_METADATA = 0x100;
    /** More fragments of this payload follow. */
    public static final int FLAG_FOLLOWS = 0x80;
    public static final String COMPOSITE_METADATA = "message/x.rsocket.composite-metadata.v0";
    public static final String PROTOBUF = "application/x-protobuf";
    /** RSocket error codes (spec) that the tests meet. */
    public static final int INVALID_SETUP = 0x001;
    public static final int REJECTED_SETUP = 0x003;
    public static final int CONNECTION_ERROR = 0x101;
    public static final int APPLICATION_ERROR = 0x201;

    /** One frame read back: for ERROR, {@code code} and the UTF-8 {@code message}; for PAYLOAD, its data. */
    public record Frame(int streamId, int type, int flags, int code, String message, byte[] data) {
        boolean isError() {
            return type == ERROR;
        }

        @Override
        public String toString() {
            return isError() ? "ERROR(stream " + streamId + ", 0x" + Integer.toHexString(code) + ", " + message + ")"
                    : "frame(type 0x" + Integer.toHexString(type) + ", stream " + streamId + ", " + data.length + " bytes)";
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private RawSocket(int port, int receiveBufferBytes) throws IOException {
        socket = new Socket();
        if (receiveBufferBytes > 0) {
            socket.setReceiveBufferSize(receiveBufferBytes); // before connect: the TCP window stays that small
        }
        socket.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    public static RawSocket connect(int port) throws IOException {
        return new RawSocket(port, 0);
    }

    /** A connection whose receive buffer is {@code receiveBufferBytes}: a client that reads nothing holds little. */
    public static RawSocket connect(int port, int receiveBufferBytes) throws IOException {
        return new RawSocket(port, receiveBufferBytes);
    }

    /** How long {@link #read()} waits for a byte before it throws {@link SocketTimeoutException}. */
    @Override
    public RawSocket readTimeout(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        return this;
    }

    /** A SETUP as Treecast wants it: composite metadata, protobuf data, an empty {@code Setup} message. */
    public RawSocket setup() throws IOException {
        return send(setupFrame(1, COMPOSITE_METADATA, PROTOBUF, new byte[0]));
    }

    @Override
    public boolean lengthPrefixed() {
        return true;
    }

    @Override
    public RawSocket send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** The next frame, or {@code null} when the server closed (or reset) the connection. */
    @Override
    public Frame read() throws IOException {
        int length;
        byte[] f;
        try {
            length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
            f = new byte[length];
            in.readFully(f);
        } catch (EOFException | java.net.SocketException closed) {
            return null;
        }
        return parse(f);
    }

    /** One frame's bytes (without the length) as a {@link Frame}. */
    static Frame parse(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f);
        int streamId = b.getInt() & 0x7fff_ffff;
        int typeAndFlags = b.getShort() & 0xffff;
        int type = typeAndFlags >>> 10;
        int flags = typeAndFlags & 0x3ff;
        if (type == ERROR) {
            int code = b.getInt();
            return new Frame(streamId, type, flags, code, StandardCharsets.UTF_8.decode(b).toString(), new byte[0]);
        }
        if ((flags & FLAG_METADATA) != 0 && b.remaining() >= 3) {
            int mdLength = ((b.get() & 0xff) << 16) | ((b.get() & 0xff) << 8) | (b.get() & 0xff);
            b.position(b.position() + mdLength);
        }
        byte[] data = new byte[b.remaining()];
        b.get(data);
        return new Frame(streamId, type, flags, 0, "", data);
    }

    /** Whether the server closes the connection (rather than answering) within {@code timeout}. */
    public boolean closedByServerWithin(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        try {
            InputStream raw = socket.getInputStream();
            while (true) {
                if (raw.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    // ---- frames, as bytes -------------------------------------------------------------------------------------

    public static byte[] frame(int streamId, int type, int flags, byte[] body) {
        ByteBuffer f = ByteBuffer.allocate(3 + 6 + body.length);
        int length = 6 + body.length;
        f.put((byte) (length >>> 16)).put((byte) (length >>> 8)).put((byte) length);
        f.putInt(streamId).putShort((short) ((type << 10) | flags)).put(body);
        return f.array();
    }

    public static byte[] setupFrame(int majorVersion, String metadataMime, String dataMime, byte[] data) {
        return setupFrame(majorVersion, 30_000, 90_000, metadataMime, dataMime, data);
    }

    /** A Treecast SETUP (composite metadata, protobuf, no data) with this keep-alive interval and max lifetime. */
    public static byte[] setupFrame(int keepAliveMillis, int maxLifetimeMillis) {
        return setupFrame(1, keepAliveMillis, maxLifetimeMillis, COMPOSITE_METADATA, PROTOBUF, new byte[0]);
    }

    public static byte[] setupFrame(int majorVersion, int keepAliveMillis, int maxLifetimeMillis, String metadataMime,
                             String dataMime, byte[] data) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        ByteBuffer fixed = ByteBuffer.allocate(12).putShort((short) majorVersion).putShort((short) 0)
                .putInt(keepAliveMillis).putInt(maxLifetimeMillis);
        body.writeBytes(fixed.array());
        body.write(metadataMime.length());
        body.writeBytes(metadataMime.getBytes(StandardCharsets.US_ASCII));
        body.write(dataMime.length());
        body.writeBytes(dataMime.getBytes(StandardCharsets.US_ASCII));
        body.writeBytes(data);
        return frame(0, SETUP, 0, body.toByteArray());
    }

    /** A request frame of {@code type} with optional metadata (null = none); REQUEST_STREAM gets initial demand 16. */
    public static byte[] request(int type, int streamId, byte[] metadata, byte[] data) {
        return request(type, streamId, 16, metadata, data);
    }

    /** As {@link #request(int, int, byte[], byte[])}; a REQUEST_STREAM asks for {@code initialN} events. */
    public static byte[] request(int type, int streamId, int initialN, byte[] metadata, byte[] data) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (type == REQUEST_STREAM) {
            body.writeBytes(ByteBuffer.allocate(4).putInt(initialN).array());
        }
        int flags = 0;
        if (metadata != null) {
            flags |= FLAG_METADATA;
            body.write(metadata.length >>> 16);
            body.write(metadata.length >>> 8);
            body.write(metadata.length);
            body.writeBytes(metadata);
        }
        body.writeBytes(data);
        return frame(streamId, type, flags, body.toByteArray());
    }

    /** Composite metadata with one routing entry (well-known MIME id 0x7E) naming {@code route}. */
    public static byte[] route(String route) {
        byte[] tag = route.getBytes(StandardCharsets.UTF_8);
        int contentLength = 1 + tag.length;
        ByteBuffer b = ByteBuffer.allocate(4 + contentLength);
        b.put((byte) (0x80 | 0x7E));
        b.put((byte) (contentLength >>> 16)).put((byte) (contentLength >>> 8)).put((byte) contentLength);
        b.put((byte) tag.length).put(tag);
        return b.array();
    }
}
