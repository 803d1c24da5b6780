package io.treecast.client.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.RSocketErrorException;
import io.rsocket.core.RSocketConnector;
import io.rsocket.frame.decoder.PayloadDecoder;
import io.rsocket.metadata.CompositeMetadataCodec;
import io.rsocket.metadata.TaggingMetadataCodec;
import io.rsocket.metadata.WellKnownMimeType;
import io.rsocket.transport.ClientTransport;
import io.rsocket.transport.netty.client.TcpClientTransport;
import io.rsocket.transport.netty.client.WebsocketClientTransport;
import io.rsocket.util.DefaultPayload;
import io.treecast.client.ClientOptions;
import io.treecast.client.TreecastClientException;
import io.treecast.proto.Setup;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.LoopResources;
import reactor.netty.tcp.TcpClient;

import java.net.URI;
import java.util.List;

/**
 * One logical connection to a server: connects lazily, and again after the previous connection closed (so a
 * mirror can resume). Every connection runs on the clients' own event loops ({@link ClientLoops}): no thread per connection.
 */
public final class ClientConnection {
    public static final String UPDATE = "tree.update";
    public static final String PUBLISH = "tree.publish";
    public static final String INGEST = "tree.ingest";
    public static final String SUBSCRIBE = "tree.subscribe";
    public static final String GET = "tree.get";
    public static final String CHILDREN = "tree.children";
    private static final int FRAGMENT_MTU = 64 * 1024;
    private static final int MAX_FRAME = 0xFF_FFFF;

    private final URI uri;
    private final ClientOptions options;
    private final Object lock = new Object();
    private Mono<Live> current;
    /** The connection while it is open: lets hot calls skip the connect-or-reuse chain. */
    private volatile Live open;
    private volatile boolean closed;

    /**
     * One connected RSocket, with the writer of its fire-and-forget frames when the direct path runs on it (TCP and
     * TLS with rsocket-java's requester; null on WebSocket or with {@code -Dtreecast.client.rsocket-fnf=true}).
     */
    public static final class Live {
        private final RSocket rsocket;
        private final FnfWriter writer;

        Live(RSocket rsocket, FnfWriter writer) {
            this.rsocket = rsocket;
            this.writer = writer;
        }

        public RSocket rsocket() {
            return rsocket;
        }

        /** The direct fire-and-forget writer, or null: then publish through {@link #rsocket()}. */
        public FnfWriter writer() {
            return writer;
        }
    }

    public ClientConnection(URI uri, ClientOptions options) {
        this.uri = uri;
        this.options = options;
        transport(null, null); // validates the URI now
    }

    /** The options this connection was made with. */
    public ClientOptions options() {
        return options;
    }

    public URI uri() {
        return uri;
    }

    /** The live RSocket, connecting when there is none (or the last one closed). */
    public Mono<RSocket> rsocket() {
        return Mono.defer(() -> {
            Live l = openLiveOrNull();
            if (l != null) {
                return Mono.just(l.rsocket); // the common case: no lock, no connect-or-reuse chain
            }
            return connecting().map(Live::rsocket);
        });
    }

    /** The live connection with its direct writer, connecting when there is none (or the last one closed). */
    public Mono<Live> live() {
        return Mono.defer(() -> {
            Live l = openLiveOrNull();
            return l != null ? Mono.just(l) : connecting();
        });
    }

    private Mono<Live> connecting() {
        if (closed) {
            return Mono.error(new TreecastClientException(TreecastClientException.Code.CLOSED, "the client is closed: create a new one", null));
        }
        Mono<Live> c;
        synchronized (lock) {
            if (current == null) {
                current = connect();
            }
            c = current;
        }
        return c.flatMap(l -> {
            if (!l.rsocket.isDisposed()) {
                return Mono.just(l);
            }
            forget(c);
            return live();
        });
    }

    /** The connected RSocket, or null when there is none yet or it closed (then use {@link #rsocket()}). */
    public RSocket openOrNull() {
        Live l = openLiveOrNull();
        return l == null ? null : l.rsocket;
    }

    /** The open connection, or null when there is none yet or it closed (then use {@link #live()}). */
    public Live openLiveOrNull() {
        Live l = open;
        return l != null && !l.rsocket.isDisposed() && !closed ? l : null;
    }

    private void forget(Mono<Live> c) {
        synchronized (lock) {
            if (current == c) {
                current = null;
            }
        }
    }

    private Mono<Live> connect() {
        long lingerNanos;
        LoopResources loops;
        try {
            // checked before a socket is opened, so a bad value leaks none
            lingerNanos = FnfWriter.lingerNanos();
            loops = ClientLoops.shared();
        } catch (IllegalArgumentException badProperty) {
            return Mono.error(badProperty);
        }
        Setup setup = Setup.newBuilder().setToken(options.token()).setClientName(options.clientName()).build();
        java.util.concurrent.atomic.AtomicReference<Mono<Live>> self = new java.util.concurrent.atomic.AtomicReference<>();
        ChannelTap tap = new ChannelTap();
        self.set(RSocketConnector.create()
                .dataMimeType("application/x-protobuf")
                .metadataMimeType(WellKnownMimeType.MESSAGE_RSOCKET_COMPOSITE_METADATA.getString())
                .setupPayload(DefaultPayload.create(setup.toByteArray()))
                .fragment(FRAGMENT_MTU)
                .payloadDecoder(PayloadDecoder.ZERO_COPY)
                .connect(transport(tap, loops))
                .timeout(options.connectTimeout())
                .onErrorMap(ClientConnection::map)
                .map(r -> {
                    Live l = new Live(r, FnfWriter.attach(tap.channel, r, FRAGMENT_MTU, tap.watch, lingerNanos,
                            options.publishBufferBytes()));
                    open = l;
                    // onClose errors when the server goes away: the streams of this connection report that, so the
                    // error is consumed here (an unhandled one is logged by Reactor as ErrorCallbackNotImplemented)
                    r.onClose().doFinally(s -> forget(self.get())).subscribe(null, e -> { });
                    return l;
                })
                .doOnError(e -> forget(self.get()))
                .cache());
        return self.get();
    }

    /** The Netty channel of one TCP or WebSocket connection attempt, caught as it is made (before rsocket-java sends SETUP). */
    private static final class ChannelTap {
        volatile io.netty.channel.Channel channel;
        volatile FnfWriter.FirstWriteWatch watch;
        /** Set before the connection is made: the watch then waits for the first WebSocket message. */
        volatile boolean webSocket;

        void init(io.netty.channel.Channel ch) {
            watch = FnfWriter.watch(ch, webSocket);
            channel = ch;
        }
    }

    /**
     * The transport for {@link #uri}, on {@code loops} (null: only to validate the URI); {@code tap} (when not null)
     * gets the channel as it connects.
     */
    private ClientTransport transport(ChannelTap tap, LoopResources loops) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        String host = uri.getHost() == null ? "127.0.0.1" : uri.getHost();
        switch (scheme) {
            case "tcp":
            case "tls": {
                int port = uri.getPort() < 0 ? 7070 : uri.getPort();
                // newConnection(): not pooled (a pool would cap connections per address); on the clients' own loops
                TcpClient client = TcpClient.newConnection().host(host).port(port);
                if (loops != null) {
                    client = client.runOn(loops);
                }
                if (tap != null && FnfWriter.available()) {
                    client = client.doOnChannelInit((observer, ch, remote) -> tap.init(ch));
                }
                if (scheme.equals("tls")) {
                    io.netty.handler.ssl.SslContext ssl = sslContext();
                    client = client.secure(spec -> spec.sslContext(ssl));
                }
                return TcpClientTransport.create(client, MAX_FRAME);
            }
            case "ws":
            case "wss": {
                int port = uri.getPort() < 0 ? 7071 : uri.getPort();
                String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/rsocket" : uri.getRawPath();
                HttpClient client = HttpClient.newConnection().host(host).port(port);
                if (loops != null) {
                    client = client.runOn(loops);
                }
                if (tap != null && FnfWriter.available()) {
                    tap.webSocket = true;
                    client = client.doOnChannelInit((observer, ch, remote) -> tap.init(ch));
                }
                if (scheme.equals("wss")) {
                    io.netty.handler.ssl.SslContext ssl = sslContext();
                    client = client.secure(spec -> spec.sslContext(ssl));
                }
                return WebsocketClientTransport.create(client, path)
                        .webSocketSpec(spec -> spec.maxFramePayloadLength(MAX_FRAME));
            }
            default:
                throw new IllegalArgumentException("unsupported URI " + uri + ": use tcp://host:port, tls://host:port, ws://host:port/rsocket or wss://host:port/rsocket");
        }
    }

    /** The client TLS context: the CA file's authorities (else the JDK's), and the client certificate if given. */
    private io.netty.handler.ssl.SslContext sslContext() {
        try {
            io.netty.handler.ssl.SslContextBuilder b = io.netty.handler.ssl.SslContextBuilder.forClient();
            if (options.caFile() != null) {
                b.trustManager(options.caFile().toFile());
            }
            if (options.certFile() != null && options.keyFile() != null) {
                b.keyManager(options.certFile().toFile(), options.keyFile().toFile());
            }
            return b.build();
        } catch (javax.net.ssl.SSLException | RuntimeException e) {
            throw new IllegalArgumentException("cannot set up TLS for " + uri + " (CA file " + options.caFile() + ", client certificate "
                    + options.certFile() + "): " + e.getMessage(), e);
        }
    }

    public void close() {
        closed = true;
        Mono<Live> c;
        synchronized (lock) {
            c = current;
            current = null;
        }
        if (c != null) {
            c.subscribe(l -> l.rsocket.dispose(), e -> { });
        }
    }

    /** The composite metadata naming {@code route}, encoded once per route. */
    public static byte[] routeMetadata(String route) {
        CompositeByteBuf composite = ByteBufAllocator.DEFAULT.compositeBuffer();
        try {
            ByteBuf routing = TaggingMetadataCodec.createRoutingMetadata(ByteBufAllocator.DEFAULT, List.of(route)).getContent();
            CompositeMetadataCodec.encodeAndAddMetadata(composite, ByteBufAllocator.DEFAULT, WellKnownMimeType.MESSAGE_RSOCKET_ROUTING, routing);
            return ByteBufUtil.getBytes(composite);
        } finally {
            composite.release();
        }
    }

    /** Reads a response payload's data and releases the payload. */
    public static byte[] take(Payload p) {
        try {
            return ByteBufUtil.getBytes(p.data());
        } finally {
            p.release();
        }
    }

    /** Maps any failure to a {@link TreecastClientException} with the server's code. */
    public static TreecastClientException map(Throwable t) {
        if (t instanceof TreecastClientException) {
            return (TreecastClientException) t;
        }
        if (t instanceof RSocketErrorException) {
            String text = t.getMessage() == null ? "" : t.getMessage();
            int colon = text.indexOf(": ");
            if (colon > 0) {
                try {
                    TreecastClientException.Code code = TreecastClientException.Code.valueOf(text.substring(0, colon));
                    return new TreecastClientException(code, text.substring(colon + 2), t);
                } catch (IllegalArgumentException notOurs) {
                    // fall through
                }
            }
            if (t instanceof io.rsocket.exceptions.ConnectionErrorException || t instanceof io.rsocket.exceptions.ConnectionCloseException) {
                return new TreecastClientException(TreecastClientException.Code.CONNECTION, text, t);
            }
            return new TreecastClientException(TreecastClientException.Code.UNKNOWN, text, t);
        }
        if (t instanceof java.nio.channels.ClosedChannelException || t instanceof java.io.IOException
                || t instanceof java.util.concurrent.TimeoutException || t instanceof java.util.concurrent.CancellationException) {
            return new TreecastClientException(TreecastClientException.Code.CONNECTION,
                    "connection to the server failed or was lost (" + t + ")", t);
        }
        return new TreecastClientException(TreecastClientException.Code.CONNECTION, String.valueOf(t), t);
    }
}
