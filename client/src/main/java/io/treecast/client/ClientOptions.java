package io.treecast.client;

import java.time.Duration;

/**
 * How a {@link TreecastClient} connects. Immutable; each method returns a copy.
 *
 * <pre>{@code
 * TreecastClient client = TreecastClient.connect("tcp://127.0.0.1:7070",
 *         ClientOptions.defaults().token("s3cret").clientName("pricer-1").requestTimeout(Duration.ofSeconds(5)));
 * }</pre>
 */
public final class ClientOptions {
    /** The default of {@link #readAheadFrames(int)}. */
    public static final int DEFAULT_READ_AHEAD_FRAMES = 512;
    /** The default of {@link #readAheadBytes(int)}: 4 MiB. */
    public static final int DEFAULT_READ_AHEAD_BYTES = 4 << 20;
    /** The most {@link #readAheadFrames(int)} allows. */
    public static final int MAX_READ_AHEAD_FRAMES = 1 << 20;
    /** The most {@link #readAheadBytes(int)} allows: 1 GiB. */
    public static final int MAX_READ_AHEAD_BYTES = 1 << 30;
    /**
     * A JVM system property, read when a client connects: {@code -Dtreecast.client.publish-linger-us=N} (0..10000,
     * default 0) has a TCP connection write the publishes of a burst N microseconds after the first one, in one send,
     * instead of each at once: less CPU per publish on both sides at high rates, up to N µs more latency. A value out of
     * range fails the connect. See client/README.md.
     */
    public static final String PUBLISH_LINGER_PROPERTY = "treecast.client.publish-linger-us";
    /**
     * A JVM system property: {@code -Dtreecast.client.event-loops=N} (1..256, default 1) is the number of Netty event
     * loop threads that all Treecast client connections of the JVM share. Read when the first client connects; later
     * changes do not resize the loops, but a value out of range fails every connect. See client/README.md.
     */
    public static final String EVENT_LOOPS_PROPERTY = "treecast.client.event-loops";
    /** The default of {@link #EVENT_LOOPS_PROPERTY}: one loop reads well over 100,000 events/s, at the least CPU per event. */
    public static final int DEFAULT_EVENT_LOOPS = 1;
    /** The most {@link #EVENT_LOOPS_PROPERTY} allows. */
    public static final int MAX_EVENT_LOOPS = 256;
    /** The default of {@link #publishBufferBytes(int)}: 16 MiB. */
    public static final int DEFAULT_PUBLISH_BUFFER_BYTES = 16 << 20;
    /** The most {@link #publishBufferBytes(int)} allows: 1 GiB. */
    public static final int MAX_PUBLISH_BUFFER_BYTES = 1 << 30;
    /** The most {@link #PUBLISH_LINGER_PROPERTY} allows, in microseconds. */
    public static final int MAX_PUBLISH_LINGER_MICROS = 10_000;

    private final String token;
    private final String clientName;
    private final Duration requestTimeout;
    private final Duration connectTimeout;
    private final java.nio.file.Path caFile;
    private final java.nio.file.Path certFile;
    private final java.nio.file.Path keyFile;
    private final int readAheadFrames;
    private final int readAheadBytes;
    private final int publishBufferBytes;

    private ClientOptions(String token, String clientName, Duration requestTimeout, Duration connectTimeout,
                          java.nio.file.Path caFile, java.nio.file.Path certFile, java.nio.file.Path keyFile,
                          int readAheadFrames, int readAheadBytes, int publishBufferBytes) {
        this.token = token;
        this.clientName = clientName;
        this.requestTimeout = requestTimeout;
        this.connectTimeout = connectTimeout;
        this.caFile = caFile;
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.readAheadFrames = readAheadFrames;
        this.readAheadBytes = readAheadBytes;
        this.publishBufferBytes = publishBufferBytes;
    }

    /**
     * For {@code tls://} and {@code wss://} URLs: trust the server certificates signed by the CA certificates in
     * this PEM file (by default, the JDK's trusted authorities). The server's certificate must name the URL's host.
     *
     * <pre>{@code TreecastClient.connect("tls://broker:7070", ClientOptions.defaults().caFile(Path.of("ca.pem")));}</pre>
     */
    public ClientOptions caFile(java.nio.file.Path pemFile) {
        return new ClientOptions(token, clientName, requestTimeout, connectTimeout, pemFile, certFile, keyFile, readAheadFrames, readAheadBytes, publishBufferBytes);
    }

    /**
     * For servers that ask for client certificates (mutual TLS; the certificate's CN then names the principal): the
     * client's PEM certificate chain and its unencrypted PKCS#8 PEM key.
     */
    public ClientOptions clientCertificate(java.nio.file.Path certPemFile, java.nio.file.Path keyPemFile) {
        return new ClientOptions(token, clientName, requestTimeout, connectTimeout, caFile, certPemFile, keyPemFile, readAheadFrames, readAheadBytes, publishBufferBytes);
    }

    /** The CA file for TLS, or null (the JDK's trusted authorities). */
    public java.nio.file.Path caFile() { return caFile; }
    /** The client certificate file, or null. */
    public java.nio.file.Path certFile() { return certFile; }
    /** The client key file, or null. */
    public java.nio.file.Path keyFile() { return keyFile; }

    /**
     * No token, no name, 30 s for blocking calls, 10 s to connect, read-ahead 512 frames bounded by 4 MiB per
     * subscription, 16 MiB of publishes waiting for the socket per connection.
     */
    public static ClientOptions defaults() {
        return new ClientOptions("", "", Duration.ofSeconds(30), Duration.ofSeconds(10), null, null, null,
                DEFAULT_READ_AHEAD_FRAMES, DEFAULT_READ_AHEAD_BYTES, DEFAULT_PUBLISH_BUFFER_BYTES);
    }

    /** The token sent in the SETUP frame (when the server has {@code auth.tokens}). */
    public ClientOptions token(String token) {
        return new ClientOptions(token, clientName, requestTimeout, connectTimeout, caFile, certFile, keyFile, readAheadFrames, readAheadBytes, publishBufferBytes);
    }

    /** A name that shows up in the server's logs and metrics. */
    public ClientOptions clientName(String name) {
        return new ClientOptions(token, name, requestTimeout, connectTimeout, caFile, certFile, keyFile, readAheadFrames, readAheadBytes, publishBufferBytes);
    }

    /** How long a blocking call waits for its answer. */
    public ClientOptions requestTimeout(Duration timeout) {
        return new ClientOptions(token, clientName, timeout, connectTimeout, caFile, certFile, keyFile, readAheadFrames, readAheadBytes, publishBufferBytes);
    }

    public ClientOptions connectTimeout(Duration timeout) {
        return new ClientOptions(token, clientName, requestTimeout, timeout, caFile, certFile, keyFile, readAheadFrames, readAheadBytes, publishBufferBytes);
    }

    public String token() { return token; }
    public String clientName() { return clientName; }
    public Duration requestTimeout() { return requestTimeout; }
    public Duration connectTimeout() { return connectTimeout; }

    /**
     * How many frames of a subscription the client asks the server for ahead of what it has handed to the
     * application (RSocket request-n credit; default {@value #DEFAULT_READ_AHEAD_FRAMES}, 1..{@value #MAX_READ_AHEAD_FRAMES}).
     * A frame holds up to {@link SubscribeSpec#eventsPerFrame(int)} events that the server had ready together. More
     * credit lets the server keep writing while this client's event loop is busy elsewhere: at 50,000 updates/s with 20
     * subscribers in one JVM, 512 frames gave a p99 of 6-7 ms where 32 gave 9 ms, at the same CPU. With
     * {@code eventsPerFrame(1)} demand is passed on one for one and this does not apply.
     *
     * <pre>{@code ClientOptions.defaults().readAheadFrames(2048).readAheadBytes(16 << 20);}</pre>
     *
     * @throws IllegalArgumentException when {@code frames} is not 1..{@value #MAX_READ_AHEAD_FRAMES}
     */
    public ClientOptions readAheadFrames(int frames) {
        if (frames < 1 || frames > MAX_READ_AHEAD_FRAMES) {
            throw new IllegalArgumentException("read-ahead frames must be 1.." + MAX_READ_AHEAD_FRAMES + ", was " + frames
                    + ": it is how many frames of a subscription the client asks for ahead (default "
                    + DEFAULT_READ_AHEAD_FRAMES + ")");
        }
        return new ClientOptions(token, clientName, requestTimeout, connectTimeout, caFile, certFile, keyFile, frames, readAheadBytes, publishBufferBytes);
    }

    /**
     * The bound on the bytes of one subscription's frames that the client holds or has asked for: received but not
     * yet handed to the application, plus those asked for and not yet received counted at the recent average frame
     * size (default {@value #DEFAULT_READ_AHEAD_BYTES}, 4 MiB; 1..{@value #MAX_READ_AHEAD_BYTES}). At the bound the
     * client simply stops asking for more frames: that is back-pressure to the server, whose outbox for the
     * subscription then fills and whose policy applies (CONFLATE conflates, STRICT ends the stream with SLOW_CONSUMER).
     * It asks again once the application has taken enough. With nothing held it always asks for one frame, so a frame
     * larger than the bound still gets through. Counted as bytes on the wire (decoded events take a few times more, one
     * frame at a time). 200 ms of a {@code **} subscriber at 50,000 single-leaf updates/s is about 0.6 MiB; the default
     * also holds a full window of full frames (512 × 64 small events).
     *
     * <pre>{@code ClientOptions.defaults().readAheadBytes(512 * 1024);   // many subscriptions, small memory}</pre>
     *
     * @throws IllegalArgumentException when {@code bytes} is not 1..{@value #MAX_READ_AHEAD_BYTES}
     */
    public ClientOptions readAheadBytes(int bytes) {
        if (bytes < 1 || bytes > MAX_READ_AHEAD_BYTES) {
            throw new IllegalArgumentException("read-ahead bytes must be 1.." + MAX_READ_AHEAD_BYTES + " (1 GiB), was " + bytes
                    + ": it bounds what the client holds of a subscription not yet taken by the application (default "
                    + DEFAULT_READ_AHEAD_BYTES + ")");
        }
        return new ClientOptions(token, clientName, requestTimeout, connectTimeout, caFile, certFile, keyFile, readAheadFrames, bytes, publishBufferBytes);
    }

    /** Frames asked for ahead per subscription (see {@link #readAheadFrames(int)}). */
    public int readAheadFrames() { return readAheadFrames; }
    /** Bytes held per subscription at most, about (see {@link #readAheadBytes(int)}). */
    public int readAheadBytes() { return readAheadBytes; }

    /**
     * The bound on the bytes of publishes one connection holds that the socket has not taken yet (default
     * {@value #DEFAULT_PUBLISH_BUFFER_BYTES}, 16 MiB; 1..{@value #MAX_PUBLISH_BUFFER_BYTES}). Publishing is
     * fire-and-forget, so a publisher faster than the server reads (a server whose inbound queue is full stops reading
     * the connection rather than drop what it sent) would otherwise make the client buffer without end. At the bound
     * {@link TreecastClient#publish} waits for room, up to {@link #requestTimeout()}, then throws OVERLOADED; {@code
     * reactive().publish} fails with OVERLOADED at once, as it must not block. Nothing of a refused publish was sent;
     * everything accepted before it still goes out, in order. One publish larger than the bound still goes when the
     * buffer is below it. Applies to TCP, TLS and WebSocket connections that publish directly (see
     * {@link TreecastClient#publishesDirect()}; the fallback through rsocket-java, {@code -Dtreecast.client.rsocket-fnf=true}, is unbounded).
     *
     * <pre>{@code ClientOptions.defaults().publishBufferBytes(1 << 20).requestTimeout(Duration.ofSeconds(2));}</pre>
     *
     * @throws IllegalArgumentException when {@code bytes} is not 1..{@value #MAX_PUBLISH_BUFFER_BYTES}
     */
    public ClientOptions publishBufferBytes(int bytes) {
        if (bytes < 1 || bytes > MAX_PUBLISH_BUFFER_BYTES) {
            throw new IllegalArgumentException("publish buffer bytes must be 1.." + MAX_PUBLISH_BUFFER_BYTES + " (1 GiB), was " + bytes
                    + ": it bounds the publishes a connection holds that its socket has not taken yet (default "
                    + DEFAULT_PUBLISH_BUFFER_BYTES + ")");
        }
        return new ClientOptions(token, clientName, requestTimeout, connectTimeout, caFile, certFile, keyFile, readAheadFrames, readAheadBytes, bytes);
    }

    /** Bytes of publishes a connection holds for its socket at most (see {@link #publishBufferBytes(int)}). */
    public int publishBufferBytes() { return publishBufferBytes; }
}
