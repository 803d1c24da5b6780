package io.treecast.e2e;

import java.io.IOException;
import java.time.Duration;

/**
 * A connection to the server that sends bytes as the test wrote them and reads frames back, with no RSocket library
 * in between: {@link RawSocket} over TCP, {@link RawWebSocket} over WebSocket. Frames are written in the TCP layout
 * (a 3-byte length, then the frame), so one fuzzer or hostile client serves both transports.
 */
public interface RawFrameChannel extends AutoCloseable {
    /** Sends {@code bytes}: on TCP as they are; on WebSocket the frame after its 3-byte length, as one binary message. */
    RawFrameChannel send(byte[] bytes) throws IOException;

    /** The next frame, or {@code null} when the server closed the connection; a timeout throws {@link java.net.SocketTimeoutException}. */
    RawSocket.Frame read() throws IOException;

    /** How long {@link #read()} waits for a frame. */
    RawFrameChannel readTimeout(Duration timeout) throws IOException;

    /** Whether the transport carries frames with their 3-byte length (TCP), so a lying length can desynchronise it. */
    boolean lengthPrefixed();

    @Override
    void close() throws IOException;
}
