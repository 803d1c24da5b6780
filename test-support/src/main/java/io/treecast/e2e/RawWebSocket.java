package io.treecast.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * RSocket over WebSocket by hand, as {@link RawSocket} is over TCP: each frame one binary message, no RSocket library.
 * {@link #send} takes frames in the TCP layout and drops their 3-byte length (a WebSocket message carries its own), so
 * the same bytes a TCP test writes go over WebSocket; what cannot be said there (a length that lies) is left out.
 *
 * <pre>{@code
 * try (RawWebSocket ws = RawWebSocket.connect(server.wsUrl())) {
 *     ws.send(RawSocket.setupFrame(30_000, 90_000));
 *     RawSocket.Frame answer = ws.read();
 * }
 * }</pre>
 */
public final class RawWebSocket implements RawFrameChannel {
    /** What the listener saw, in order: a frame's bytes, or {@link #CLOSED}. */
    private static final byte[] CLOSED = new byte[0];
    /** One client (one selector thread) for every connection: a client per connection left hundreds of threads behind. */
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    private final WebSocket socket;
    private Duration readTimeout = Duration.ofSeconds(10);
    private boolean closed;

    private RawWebSocket(String url) throws IOException {
        try {
            socket = CLIENT.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(URI.create(url), new Collector()).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("WebSocket connect to " + url + " failed", e);
        }
    }

    /** Connects to {@code url} (ws://host:port/path). */
    public static RawWebSocket connect(String url) throws IOException {
        return new RawWebSocket(url);
    }

    @Override
    public boolean lengthPrefixed() {
        return false;
    }

    @Override
    public RawWebSocket readTimeout(Duration timeout) {
        readTimeout = timeout;
        return this;
    }

    @Override
    public RawWebSocket send(byte[] bytes) throws IOException {
        byte[] frame = Arrays.copyOfRange(bytes, Math.min(3, bytes.length), bytes.length);
        try {
            socket.sendBinary(ByteBuffer.wrap(frame), true).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("the WebSocket is closed or stuck", e);
        }
        return this;
    }

    @Override
    public RawSocket.Frame read() throws IOException {
        if (closed) {
            return null;
        }
        byte[] next;
        try {
            next = received.poll(readTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        if (next == null) {
            throw new SocketTimeoutException("no frame and no close within " + readTimeout);
        }
        if (next == CLOSED) {
            closed = true;
            return null;
        }
        return RawSocket.parse(next);
    }

    @Override
    public void close() {
        socket.abort();
    }

    /** Puts each whole binary message (they may come in parts) and the end of the connection on the queue. */
    private final class Collector implements WebSocket.Listener {
        private final ByteArrayOutputStream parts = new ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            parts.writeBytes(b);
            if (last) {
                received.add(parts.toByteArray());
                parts.reset();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            ws.request(1); // the server sends binary only; text would be a server bug the frames' checks then show
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            received.add(CLOSED);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            received.add(CLOSED);
        }
    }
}
