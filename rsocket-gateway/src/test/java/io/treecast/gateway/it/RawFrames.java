package io.treecast.gateway.it;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.rsocket.frame.ErrorFrameCodec;
import io.rsocket.frame.FrameHeaderCodec;
import io.rsocket.frame.FrameType;
import io.rsocket.frame.KeepAliveFrameCodec;
import io.rsocket.frame.SetupFrameCodec;
import io.rsocket.metadata.WellKnownMimeType;
import io.treecast.gateway.TreecastServer;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A plain TCP socket that writes RSocket frames byte by byte as a hostile client would (any keep-alive, partial
 * frames, unfinished fragments) and reads the server's frames back. No RSocket library logic in between. Its static
 * helpers build frames by hand (RSocket 1.0 layout: a 3-byte length, stream id, 6-bit type and 10-bit flags, then
 * the fields) for tests on a plain {@link Socket}: a client that never reads, several frames in one write.
 */
final class RawFrames implements AutoCloseable {
    static final int REQUEST_RESPONSE = 0x04;
    static final int REQUEST_FNF = 0x05;
    static final int PAYLOAD = 0x0A;
    static final int FLAG_METADATA = 0x100;
    /** More fragments of this payload follow. */
    static final int FLAG_FOLLOWS = 0x80;
    /** PAYLOAD: this frame carries a payload (NEXT). */
    static final int FLAG_NEXT = 0x20;

    final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    RawFrames(TreecastServer server) throws IOException {
        socket = new Socket("127.0.0.1", server.tcpAddress().getPort());
        socket.setSoTimeout((int) RawClient.WAIT.toMillis());
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** A SETUP frame with these keep-alive settings, the Treecast MIME types and no data. */
    static byte[] setup(int keepAliveMillis, int maxLifetimeMillis) {
        ByteBuf f = SetupFrameCodec.encode(ByteBufAllocator.DEFAULT, false, keepAliveMillis, maxLifetimeMillis,
                WellKnownMimeType.MESSAGE_RSOCKET_COMPOSITE_METADATA.getString(), "application/x-protobuf",
                io.rsocket.util.EmptyPayload.INSTANCE);
        return bytes(f);
    }

    static byte[] keepAlive(boolean respond) {
        return bytes(KeepAliveFrameCodec.encode(ByteBufAllocator.DEFAULT, respond, 0, Unpooled.EMPTY_BUFFER));
    }

    /** A REQUEST_RESPONSE header with the FOLLOWS flag and {@code bodyBytes} bytes of data: the first of many fragments. */
    static byte[] firstFragment(int streamId, int bodyBytes) {
        ByteBuf f = FrameHeaderCodec.encode(ByteBufAllocator.DEFAULT, streamId, FrameType.REQUEST_RESPONSE, FrameHeaderCodec.FLAGS_F);
        f.writeZero(bodyBytes);
        return bytes(f);
    }

    static byte[] bytes(ByteBuf f) {
        try {
            return ByteBufUtil.getBytes(f);
        } finally {
            f.release();
        }
    }

    /** Writes one frame with its 3-byte length prefix. */
    void send(byte[] frame) throws IOException {
        out.write(new byte[] {(byte) (frame.length >>> 16), (byte) (frame.length >>> 8), (byte) frame.length});
        out.write(frame);
        out.flush();
    }

    /** Writes raw bytes (e.g. a length prefix alone). */
    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next frame from the server (without its length prefix), or null at the end of the stream. */
    ByteBuf read() throws IOException {
        int length;
        try {
            int b0 = in.read();
            if (b0 < 0) {
                return null;
            }
            length = (b0 << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
        } catch (EOFException | java.net.SocketException e) {
            return null;
        }
        byte[] frame = new byte[length];
        try {
            in.readFully(frame);
        } catch (EOFException | java.net.SocketException e) {
            return null;
        }
        return Unpooled.wrappedBuffer(frame);
    }

    /** Reads until the server closes the connection; what it sent on the way, counted. */
    Seen readUntilClosed() throws IOException {
        Seen seen = new Seen();
        ByteBuf f;
        try {
            while ((f = read()) != null) {
                FrameType type = FrameHeaderCodec.nativeFrameType(f);
                if (type == FrameType.KEEPALIVE) {
                    seen.keepAlives++;
                } else if (type == FrameType.ERROR && FrameHeaderCodec.streamId(f) == 0) {
                    seen.errorCode = ErrorFrameCodec.errorCode(f);
                    seen.errorMessage = ErrorFrameCodec.dataUtf8(f);
                }
                seen.frames++;
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not close the connection within " + RawClient.WAIT, e);
        }
        return seen;
    }

    /** What a connection received before it was closed. */
    static final class Seen {
        int frames;
        int keepAlives;
        int errorCode;
        String errorMessage;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    // Frames built by hand, for tests that write several in one socket write or read a plain Socket

    /** Reads frames until an ERROR frame; returns its message. */
    static String readUntilError(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        while (true) {
            int length;
            try {
                length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
            } catch (EOFException closed) {
                return "connection closed without an error frame";
            }
            byte[] f = new byte[length];
            in.readFully(f);
            ByteBuffer b = ByteBuffer.wrap(f);
            b.getInt();
            int type = (b.getShort() & 0xffff) >>> 10;
            if (type == 0x0B) {
                b.getInt();
                return StandardCharsets.UTF_8.decode(b).toString();
            }
        }
    }

    /**
     * Reads frames (buffered: the answers before it may be megabytes) until the answer of stream {@code streamId}: its
     * ERROR frame's message, or "answered" for its last PAYLOAD frame.
     */
    static String readErrorOf(Socket s, int streamId) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(s.getInputStream(), 1 << 16));
        while (true) {
            int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
            byte[] f = new byte[length];
            in.readFully(f);
            ByteBuffer b = ByteBuffer.wrap(f);
            int stream = b.getInt();
            int typeAndFlags = b.getShort() & 0xffff;
            if (stream == streamId && typeAndFlags >>> 10 == 0x0B) {
                b.getInt();
                return StandardCharsets.UTF_8.decode(b).toString();
            }
            if (stream == streamId && typeAndFlags >>> 10 == 0x0A && (typeAndFlags & 0x80) == 0) {
                return "answered";
            }
        }
    }

    static byte[] frame(int streamId, int type, int flags, byte[] body) {
        ByteBuffer f = ByteBuffer.allocate(3 + 6 + body.length);
        int length = 6 + body.length;
        f.put((byte) (length >>> 16)).put((byte) (length >>> 8)).put((byte) length);
        f.putInt(streamId).putShort((short) ((type << 10) | flags)).put(body);
        return f.array();
    }

    static byte[] setupFrame() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(ByteBuffer.allocate(12).putShort((short) 1).putShort((short) 0).putInt(30_000).putInt(90_000).array());
        String md = "message/x.rsocket.composite-metadata.v0";
        String data = "application/x-protobuf";
        body.write(md.length());
        body.writeBytes(md.getBytes(StandardCharsets.US_ASCII));
        body.write(data.length());
        body.writeBytes(data.getBytes(StandardCharsets.US_ASCII));
        return frame(0, 0x01, 0, body.toByteArray());
    }

    static byte[] request(int type, int streamId, byte[] metadata, byte[] data) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(metadata.length >>> 16);
        body.write(metadata.length >>> 8);
        body.write(metadata.length);
        body.writeBytes(metadata);
        body.writeBytes(data);
        return frame(streamId, type, 0x100, body.toByteArray());
    }

    static byte[] requestStream(int streamId, int initialN, byte[] metadata, byte[] data) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(ByteBuffer.allocate(4).putInt(initialN).array());
        body.write(metadata.length >>> 16);
        body.write(metadata.length >>> 8);
        body.write(metadata.length);
        body.writeBytes(metadata);
        body.writeBytes(data);
        return frame(streamId, 0x06, 0x100, body.toByteArray());
    }

    /**
     * A fire-and-forget request in two fragments: REQUEST_FNF with the metadata and the first {@code split} bytes of
     * {@code data} (FOLLOWS), then a PAYLOAD (NEXT) with the rest. The server reassembles it through rsocket-java.
     */
    static byte[] fragmentedFireAndForget(int streamId, byte[] metadata, byte[] data, int split) {
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        first.write(metadata.length >>> 16);
        first.write(metadata.length >>> 8);
        first.write(metadata.length);
        first.writeBytes(metadata);
        first.write(data, 0, split);
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.writeBytes(frame(streamId, REQUEST_FNF, FLAG_METADATA | FLAG_FOLLOWS, first.toByteArray()));
        both.writeBytes(frame(streamId, PAYLOAD, FLAG_NEXT, java.util.Arrays.copyOfRange(data, split, data.length)));
        return both.toByteArray();
    }
}
