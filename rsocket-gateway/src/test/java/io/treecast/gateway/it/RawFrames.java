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

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * A plain TCP socket that writes RSocket frames byte by byte as a hostile client would (any keep-alive, partial
 * frames, unfinished fragments) and reads the server's frames back. No RSocket library logic in between.
 */
final class RawFrames implements AutoCloseable {
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
}
