package io.treecast.gateway;

import io.rsocket.Closeable;
import io.rsocket.core.RSocketServer;
import io.rsocket.frame.decoder.PayloadDecoder;
import io.rsocket.transport.netty.server.CloseableChannel;
import io.rsocket.transport.netty.server.TcpServerTransport;
import io.rsocket.transport.netty.server.WebsocketRouteTransport;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.Journal;
import io.treecast.gateway.internal.ChannelDirectory;
import io.treecast.gateway.internal.Gateway;
import io.treecast.gateway.internal.HygieneLimits;
import io.treecast.gateway.internal.InboundTimeouts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.http.server.HttpServer;
import reactor.netty.tcp.TcpServer;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The Treecast server: one {@link Engine} behind RSocket over TCP and (optionally) WebSocket.
 *
 * <pre>{@code
 * ServerConfig config = ServerConfig.load(Path.of("treecast.yaml"), System.getenv(), Map.of());
 * try (TreecastServer server = TreecastServer.start(config, null)) {   // null journal: in memory
 *     System.out.println(server.tcpAddress());
 *     server.awaitClose();                                             // until close() from another thread
 * }
 * }</pre>
 *
 * Threading: connections run on reactor-netty's shared event loops; the engine has its own writer and dispatcher
 * threads. Nothing on an event loop blocks. All methods are thread-safe.
 */
public final class TreecastServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TreecastServer.class);
    /** Outgoing frames are fragmented at this size so that one big snapshot never blocks a connection's other streams. */
    public static final int FRAGMENT_MTU = 64 * 1024;
    private static final int TRANSPORT_MAX_FRAME = 0xFF_FFFF; // the RSocket TCP length prefix is 3 bytes

    private final ServerConfig config;
    private final Engine engine;
    private final Gateway gateway;
    private final CloseableChannel tcp;
    private final Closeable ws;
    private final InetSocketAddress wsAddress;
    private final java.util.List<ChannelDirectory> channels;
    /** Stamps from every server event loop, so /health can tell a loop held by a task that never returns. */
    private final io.treecast.gateway.internal.EventLoopHeartbeat tcpHeartbeat =
            io.treecast.gateway.internal.EventLoopHeartbeat.start(reactor.netty.tcp.TcpResources.get().onServer(true));
    private final io.treecast.gateway.internal.EventLoopHeartbeat wsHeartbeat =
            io.treecast.gateway.internal.EventLoopHeartbeat.start(reactor.netty.http.HttpResources.get().onServer(true));
    private final CountDownLatch closed = new CountDownLatch(1);
    private ServerSecurity security;
    private boolean ownsSecurity;
    private volatile boolean closing;
    /** Run once, at the end of {@link #close()} (e.g. the edge's connection to its core). */
    private final java.util.List<Runnable> onClose = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** An edge node's follower of its core, or null on a core. */
    private volatile io.treecast.gateway.internal.UpstreamFollower follower;

    private TreecastServer(ServerConfig config, Engine engine, Gateway gateway, CloseableChannel tcp, Closeable ws,
                           InetSocketAddress wsAddress, java.util.List<ChannelDirectory> channels) {
        this.channels = channels;
        this.config = config;
        this.engine = engine;
        this.gateway = gateway;
        this.tcp = tcp;
        this.ws = ws;
        this.wsAddress = wsAddress;
    }

    /**
     * Starts the engine (recovering from {@code journalOrNull} when given), then binds TCP and WebSocket and
     * logs one line with the addresses.
     *
     * @param journalOrNull the durable journal, or {@code null} to run in memory (DURABLE acks then fail with UNAVAILABLE)
     */
    public static TreecastServer start(ServerConfig config, Journal journalOrNull) {
        return start(config, journalOrNull, null);
    }

    /**
     * As {@link #start(ServerConfig, Journal)}, and subscribers whose {@code resume_after} left the replay ring are
     * caught up from {@code storeOrNull} (the durability module's Kafka Streams state) instead of the live tree.
     *
     * <pre>{@code
     * TreecastServer server = TreecastServer.start(config, durability.journal(), durability.treeState());
     * }</pre>
     */
    public static TreecastServer start(ServerConfig config, Journal journalOrNull, io.treecast.fastpath.SnapshotStore storeOrNull) {
        return startOwningSecurity(config, journalOrNull, storeOrNull, null);
    }

    /**
     * As {@link #start(ServerConfig, Journal, io.treecast.fastpath.SnapshotStore)}; with an {@code upstreamOrNull} the
     * server is an edge node: its engine follows the core's whole tree under the core's seqs (it has no journal of
     * its own), it serves subscriptions and gets itself, and forwards every write to the core, whose answer the
     * client gets. Configured by {@code upstream.*} ({@link ServerConfig#upstreamUrl()}).
     *
     * <pre>{@code
     * TreecastServer edge = TreecastServer.start(config, null, null, Upstream.of(url, coreConnection::rsocket));
     * }</pre>
     */
    public static TreecastServer start(ServerConfig config, Journal journalOrNull, io.treecast.fastpath.SnapshotStore storeOrNull,
                                       Upstream upstreamOrNull) {
        return startOwningSecurity(config, journalOrNull, storeOrNull, upstreamOrNull);
    }

    private static TreecastServer startOwningSecurity(ServerConfig config, Journal journalOrNull,
                                                      io.treecast.fastpath.SnapshotStore storeOrNull, Upstream upstreamOrNull) {
        ServerSecurity security = ServerSecurity.load(config);
        try {
            TreecastServer server = start(config, journalOrNull, storeOrNull, security, upstreamOrNull);
            server.ownsSecurity = true;
            return server;
        } catch (RuntimeException e) {
            security.close();
            throw e;
        }
    }

    /**
     * As {@link #start(ServerConfig, Journal, io.treecast.fastpath.SnapshotStore)} with credentials, rules and TLS
     * already loaded (and shared with the metrics port); the caller closes {@code security} after the server.
     */
    public static TreecastServer start(ServerConfig config, Journal journalOrNull, io.treecast.fastpath.SnapshotStore storeOrNull,
                                       ServerSecurity security) {
        return start(config, journalOrNull, storeOrNull, security, null);
    }

    /**
     * The full form: security loaded by the caller (who closes it after the server), and an edge node when
     * {@code upstreamOrNull} is given (see {@link #start(ServerConfig, Journal, io.treecast.fastpath.SnapshotStore, Upstream)}).
     */
    public static TreecastServer start(ServerConfig config, Journal journalOrNull, io.treecast.fastpath.SnapshotStore storeOrNull,
                                       ServerSecurity security, Upstream upstreamOrNull) {
        if (upstreamOrNull != null && journalOrNull != null) {
            throw new IllegalArgumentException("an edge node (upstream " + upstreamOrNull.address() + ") has no journal: the core keeps the durable copy");
        }
        java.util.List<java.util.concurrent.ScheduledExecutorService> loops = config.deliverOnEventLoops()
                ? eventLoops(config.webSocketEnabled()) : java.util.List.of();
        Engine engine = Engine.start(upstreamOrNull == null ? config.engineConfig(journalOrNull, storeOrNull, loops)
                : config.followerEngineConfig(storeOrNull, loops));
        CloseableChannel tcp = null;
        try {
            Gateway gateway = new Gateway(engine, config.maxValueBytes(), config.maxBatchChanges(), config.maxBatchBytes(),
                    config.maxConnections(), config.maxSubscriptionsPerConnection(), config.authTokens(),
                    java.time.Duration.ofMillis(config.durabilityAckTimeoutMillis()), new GatewayStats(), config.maxFrameBytes());
            HygieneLimits hygiene = hygieneLimits(config);
            gateway.hygiene(hygiene);
            gateway.security(security.policy());
            security.onCredentialsChanged(gateway::credentialsChanged);
            io.netty.handler.ssl.SslContext sslContext = security.sslContext();
            boolean tls = sslContext != null;
            gateway.maxGetsInFlight(config.maxGetsInFlight());
            gateway.maxListingsInFlight(config.maxListingsInFlight());
            if (upstreamOrNull != null) {
                gateway.upstream(upstreamOrNull, Duration.ofMillis(config.upstreamResumeWaitMillis()));
            }
            // one directory per listener: subscription frames are written straight to each connection's channel
            ChannelDirectory tcpChannels = new ChannelDirectory(false, config.maxSendQueueBytes());
            TcpServer tcpServer = TcpServer.create().host(config.tcpHost()).port(config.tcpPort());
            if (sslContext != null) {
                tcpServer = tcpServer.secure(spec -> spec.sslContext(sslContext));
            }
            tcp = rsocketServer(config, gateway, hygiene, tcpChannels).bindNow(TcpServerTransport.create(
                    tcpServer
                            // first in the pipeline, before the frame decoder: it must see the bytes of unfinished frames
                            .doOnConnection(c -> {
                                c.addHandlerFirst("treecast-inbound-timeouts",
                                        new InboundTimeouts(config.idleTimeoutMillis(), config.frameReadTimeoutMillis(), true));
                                tcpChannels.onConnection(c);
                            }),
                    TRANSPORT_MAX_FRAME));
            Closeable ws = null;
            InetSocketAddress wsAddress = null;
            java.util.List<ChannelDirectory> channels = new java.util.ArrayList<>(java.util.List.of(tcpChannels));
            if (config.webSocketEnabled()) {
                ChannelDirectory wsChannels = new ChannelDirectory(true, config.maxSendQueueBytes());
                HttpServer httpServer = HttpServer.create().host(config.tcpHost()).port(config.webSocketPort());
                if (sslContext != null) {
                    httpServer = httpServer.secure(spec -> spec.sslContext(sslContext));
                }
                WebsocketRouteTransport transport = new WebsocketRouteTransport(
                        httpServer
                                .doOnChannelInit((observer, channel, address) -> channel.pipeline().addFirst("treecast-inbound-timeouts",
                                        new InboundTimeouts(config.idleTimeoutMillis(), config.frameReadTimeoutMillis(), false)))
                                .doOnConnection(wsChannels::onConnection),
                        routes -> { },
                        config.webSocketPath())
                        .webSocketSpec(spec -> spec.maxFramePayloadLength(TRANSPORT_MAX_FRAME));
                ws = rsocketServer(config, gateway, hygiene, wsChannels).bindNow(transport);
                channels.add(wsChannels);
                wsAddress = ws instanceof CloseableChannel ? ((CloseableChannel) ws).address() : null;
            }
            TreecastServer server = new TreecastServer(config, engine, gateway, tcp, ws, wsAddress, java.util.List.copyOf(channels));
            server.security = security;
            if (upstreamOrNull != null) {
                server.follower = new io.treecast.gateway.internal.UpstreamFollower(engine, upstreamOrNull, config.upstreamOutboxCapacity());
                server.follower.start();
            }
            LOG.info("Treecast listening on rsocket+{}://{}:{}{}, in {} mode{}", tls ? "tls" : "tcp", tcp.address().getHostString(), tcp.address().getPort(),
                    wsAddress == null ? "" : " and " + (tls ? "wss" : "ws") + "://" + wsAddress.getHostString() + ":" + wsAddress.getPort() + config.webSocketPath(),
                    upstreamOrNull != null ? "edge (following " + upstreamOrNull.address() + ")"
                            : journalOrNull == null ? "memory" : "durable",
                    (gateway.security().credentialsRequired() ? ", credentials required" : "") + (gateway.security().hasRules() ? ", access rules from " + config.authRulesFile() : "")
                    + (tls && !"none".equals(security.clientAuth()) ? ", client certificates " + security.clientAuth() + "d" : ""));
            return server;
        } catch (RuntimeException e) {
            if (tcp != null) {
                tcp.dispose();
            }
            engine.close();
            throw e;
        }
    }

    /**
     * The event loops the TCP (and WebSocket) listeners run their connections on: reactor-netty's shared
     * {@code TcpResources} and {@code HttpResources}, which outlive every server in the process. Delivering a
     * subscription's events on its connection's loop ({@code engine.deliver-on}) saves a thread hand-off per update:
     * on a small virtual machine each wake-up of a parked thread costs tens of core-microseconds.
     */
    private static java.util.List<java.util.concurrent.ScheduledExecutorService> eventLoops(boolean webSocket) {
        java.util.List<java.util.concurrent.ScheduledExecutorService> loops = new java.util.ArrayList<>();
        java.util.List<reactor.netty.resources.LoopResources> resources = new java.util.ArrayList<>();
        resources.add(reactor.netty.tcp.TcpResources.get());
        if (webSocket) {
            resources.add(reactor.netty.http.HttpResources.get());
        }
        for (reactor.netty.resources.LoopResources r : resources) {
            for (io.netty.util.concurrent.EventExecutor e : r.onServer(reactor.netty.resources.LoopResources.DEFAULT_NATIVE)) {
                if (!loops.contains(e)) {
                    loops.add(e);
                }
            }
        }
        return loops;
    }

    /** The credentials, rules and TLS material in force (shared with the metrics port). */
    public ServerSecurity security() {
        return security;
    }

    private static RSocketServer rsocketServer(ServerConfig config, Gateway gateway, HygieneLimits hygiene, ChannelDirectory channels) {
        return RSocketServer.create(channels.acceptor(gateway))
                .interceptors(gateway.interceptors(hygiene, channels))
                // a connection must send its SETUP within the idle timeout
                .maxTimeToFirstFrame(Duration.ofMillis(config.idleTimeoutMillis()))
                .fragment(FRAGMENT_MTU)
                // RSocket refuses a payload limit below the transport's frame length (16 MiB - 1): a smaller
                // limits.max-frame-bytes is enforced per request by the gateway, with a Treecast error code
                .maxInboundPayloadSize(Math.max(config.maxFrameBytes(), TRANSPORT_MAX_FRAME))
                .payloadDecoder(PayloadDecoder.ZERO_COPY);
    }

    /** The connection hygiene limits of {@code config} (keep-alive, timeouts, reassembly, per-IP, rates). */
    static HygieneLimits hygieneLimits(ServerConfig config) {
        return new HygieneLimits(config.minKeepAliveMillis(), config.maxKeepAliveLifetimeMillis(), config.idleTimeoutMillis(),
                config.frameReadTimeoutMillis(), config.maxReassemblyBytes(), config.maxConnectionsPerIp(),
                config.maxUpdatesPerSecondPerConnection(), config.maxBytesPerSecondPerConnection());
    }

    /** The bound TCP address (the real port when configured with port 0). */
    public InetSocketAddress tcpAddress() {
        return tcp.address();
    }

    /** The bound WebSocket address, or {@code null} when {@code websocket.enabled} is false. */
    public InetSocketAddress webSocketAddress() {
        return wsAddress;
    }

    /** The WebSocket URI clients connect to, e.g. {@code ws://127.0.0.1:7071/rsocket}, or {@code null}. */
    public String webSocketUri() {
        return wsAddress == null ? null : (security.tls() ? "wss://" : "ws://") + wsAddress.getHostString() + ":" + wsAddress.getPort() + config.webSocketPath();
    }

    /** The TCP URI clients connect to, e.g. {@code tcp://127.0.0.1:7070}. */
    public String tcpUri() {
        return (security.tls() ? "tls://" : "tcp://") + tcp.address().getHostString() + ":" + tcp.address().getPort();
    }

    public Engine engine() {
        return engine;
    }

    public ServerConfig config() {
        return config;
    }

    /** Open connections right now. */
    public int connections() {
        return gateway.connections();
    }

    /** The gateway's counters (requests by route, errors by code, delivery latency), for metrics. */
    public GatewayStats stats() {
        return gateway.stats();
    }

    /** Whether both listeners are bound and {@link #close()} has not begun. */
    public boolean listening() {
        return !closing && !tcp.isDisposed() && (ws == null || !ws.isDisposed());
    }

    /**
     * Bytes of subscription frames waiting for clients' sockets, over all connections: bounded per connection by
     * {@code limits.max-send-queue-bytes} (plus about one frame), whatever the clients' request-n.
     */
    public long sendBacklogBytes() {
        long sum = 0;
        for (ChannelDirectory c : channels) {
            sum += c.sendBacklogBytes();
        }
        return sum;
    }

    /** The largest send backlog of a single connection, in bytes. */
    public long maxSendBacklogBytes() {
        long max = 0;
        for (ChannelDirectory c : channels) {
            max = Math.max(max, c.maxSendBacklogBytes());
        }
        return max;
    }

    /**
     * How long the least recently heard of the server's event loops has not run its heartbeat timer, in ns (about
     * 250 ms when all run): a loop held by a task that never returns makes this grow.
     */
    public long eventLoopSilenceNanos() {
        return Math.max(tcpHeartbeat.longestSilenceNanos(), wsHeartbeat.longestSilenceNanos());
    }

    /** Fire-and-forget requests refused so far (they have no answer frame to carry the error). */
    public long rejectedWithoutAnswer() {
        return gateway.rejectedWithoutAnswer();
    }

    /**
     * Times a TCP connection stopped reading because the engine's inbound queue was full: its publish waited (nothing
     * was dropped) and TCP flow control slowed its publisher until the engine took it.
     */
    public long publishPauses() {
        return gateway.publishPauses();
    }

    /**
     * Closes every client connection now (their streams end, their clients see the connection drop) while the
     * server keeps listening and keeps its state: for operators rebalancing clients, and for tests of
     * reconnect-and-resume.
     */
    public void dropConnections() {
        gateway.disconnectAll();
    }

    /** Runs {@code action} at the end of {@link #close()}, e.g. to close what the server was started with. */
    public void onClose(Runnable action) {
        onClose.add(action);
    }

    /** Whether this server is an edge node (it follows a core). */
    public boolean isEdge() {
        return follower != null;
    }

    /**
     * An edge node: the last core seq it applied (its engine's {@code currentSeq()} follows), -1 on a core. With
     * {@link #upstreamConnected()} it is what an edge's readiness means: it serves the core's state up to this seq.
     */
    public long upstreamSeq() {
        io.treecast.gateway.internal.UpstreamFollower f = follower;
        return f == null ? -1 : f.lastSeq();
    }

    /** An edge node: whether its stream from the core is open (false on a core). */
    public boolean upstreamConnected() {
        io.treecast.gateway.internal.UpstreamFollower f = follower;
        return f != null && f.connected();
    }

    /** An edge node: nanoseconds since it lost its stream from the core (or started without one); 0 while connected, and on a core. */
    public long upstreamLostNanos() {
        io.treecast.gateway.internal.UpstreamFollower f = follower;
        return f == null ? 0 : f.lostForNanos();
    }

    /** An edge node: why it stopped following its core for good (its seq went back), or null. */
    public String upstreamFailure() {
        io.treecast.gateway.internal.UpstreamFollower f = follower;
        return f == null ? null : f.failure();
    }

    /** Blocks until {@link #close()} has finished (e.g. from a shutdown hook). */
    public void awaitClose() throws InterruptedException {
        closed.await();
    }

    /**
     * Graceful shutdown: refuse new connections, close the engine (queued batches are applied, every subscription
     * ends with SHUTTING_DOWN), wait up to {@code shutdown.drain-timeout-ms} for those streams to be sent, then
     * close the listeners and every connection. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        try {
            gateway.beginClose();
            io.treecast.gateway.internal.UpstreamFollower f = follower;
            if (f != null) {
                f.close();
            }
            tcp.dispose();
            if (ws != null) {
                ws.dispose();
            }
            engine.close();
            long deadline = System.nanoTime() + Duration.ofMillis(config.shutdownDrainTimeoutMillis()).toNanos();
            while (gateway.activeStreams() > 0 && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
            }
            // a stream's SHUTTING_DOWN is sent once it ended here: let the sockets take it before they close
            for (ChannelDirectory c : channels) {
                c.awaitFlushed(deadline);
            }
            gateway.disconnectAll();
            tcp.onClose().block(Duration.ofSeconds(5));
            if (ws != null) {
                ws.onClose().block(Duration.ofSeconds(5));
            }
            if (ownsSecurity) {
                security.close();
            }
            tcpHeartbeat.close();
            wsHeartbeat.close();
            for (Runnable action : onClose) {
                action.run();
            }
            LOG.info("Treecast stopped");
        } finally {
            closed.countDown();
        }
    }
}
