package io.treecast.gateway.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.rsocket.ConnectionSetupPayload;
import io.rsocket.RSocket;
import io.rsocket.SocketAcceptor;
import io.rsocket.metadata.WellKnownMimeType;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.ErrorCode;
import io.treecast.gateway.internal.security.Access;
import io.treecast.gateway.internal.security.Identity;
import io.treecast.gateway.internal.security.SecurityPolicy;
import io.treecast.proto.Setup;
import reactor.core.publisher.Mono;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * State shared by every connection of one server: the engine, the limits, the connection count, and the SETUP
 * checks (MIME types, token, connection limit). Each accepted connection gets its own {@link ConnectionHandler}.
 */
public final class Gateway implements SocketAcceptor {
    public static final String DATA_MIME = "application/x-protobuf";
    private static final String COMPOSITE_MIME = WellKnownMimeType.MESSAGE_RSOCKET_COMPOSITE_METADATA.getString();

    final Engine engine;
    final RequestDecoder decoder;
    final int maxSubscriptionsPerConnection;
    /** limits.max-frame-bytes: the largest request payload (data + metadata) accepted. */
    final int maxPayloadBytes;
    /** How long tree.update with ACK_DURABLE waits for the journal's watermark before it answers TIMEOUT. */
    final java.time.Duration durableAckTimeout;
    private final int maxConnections;
    private final AtomicInteger connections = new AtomicInteger();
    private final Set<RSocket> peers = ConcurrentHashMap.newKeySet();
    /** Connections are named in logs by their number and the client_name of their SETUP. */
    private final AtomicLong connectionNumbers = new AtomicLong();
    /**
     * The name of the connection being accepted on this thread: RSocket builds a connection's request interceptor
     * ({@link ErrorCounter}) right after {@link #accept} returned, on the same thread, and gives it no other way to
     * know which connection it serves.
     */
    private static final ThreadLocal<String> ACCEPTING = new ThreadLocal<>();
    final io.treecast.gateway.GatewayStats stats;
    final AtomicInteger activeStreams = new AtomicInteger();
    /** tree.get answers being prepared, all connections (limits.max-gets-in-flight). */
    final AtomicInteger getsInFlight = new AtomicInteger();
    volatile int maxGetsInFlight = 2;
    /** tree.children listings being prepared, all connections (limits.max-listings-in-flight). */
    final AtomicInteger listingsInFlight = new AtomicInteger();
    volatile int maxListingsInFlight = 8;
    /** Requests refused (bad input, back-pressure) that had no answer channel: fire-and-forget. */
    final AtomicLong rejected = new AtomicLong();
    /** Times a connection stopped reading because the engine's inbound queue was full ({@link FnfReader#hold}). */
    final AtomicLong publishPauses = new AtomicLong();
    private volatile boolean closing;
    /** An edge node's core (writes are forwarded to it), or null on a core. */
    volatile io.treecast.gateway.Upstream upstream;
    /** upstream.resume-wait-ms: how long a resume ahead of this edge waits for it. */
    volatile java.time.Duration resumeWait = java.time.Duration.ofSeconds(5);
    private HygieneLimits hygiene = HygieneLimits.none();
    /** Open connections per client IP address, for limits.max-connections-per-ip; an entry goes with its last connection. */
    private final ConcurrentHashMap<java.net.InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();

    /** Ends connections whose credential expires (one daemon thread for the whole JVM; it only schedules). */
    private static final java.util.concurrent.ScheduledThreadPoolExecutor EXPIRY = expiryTimer();

    private static java.util.concurrent.ScheduledThreadPoolExecutor expiryTimer() {
        java.util.concurrent.ScheduledThreadPoolExecutor timer = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "treecast-credential-expiry");
            t.setDaemon(true);
            return t;
        });
        // a connection that closes before its token expires takes its timer task along (tokens may live for days)
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }
    private volatile SecurityPolicy security;
    /** Connections, kept only while rules are in force, to apply reloaded rules to their open streams. */
    private final Set<ConnectionHandler> handlers = ConcurrentHashMap.newKeySet();

    /** Replaces the authentication and access rules (before the first connection). */
    public Gateway security(SecurityPolicy policy) {
        this.security = policy;
        return this;
    }

    public SecurityPolicy security() {
        return security;
    }

    /** Whether open subscriptions are tracked, to be checked again when the rules file changes. */
    boolean tracksStreams() {
        return security.reloadable();
    }

    /**
     * The rules or tokens were reloaded: every connection takes its principal's new rules, loses the subscriptions
     * they no longer allow (FORBIDDEN), and a connection whose token was withdrawn is closed (UNAUTHORIZED).
     */
    public void credentialsChanged() {
        SecurityPolicy policy = security;
        for (ConnectionHandler h : handlers) {
            if (!policy.stillValid(h.identity)) {
                h.endConnection(ErrorCode.UNAUTHORIZED, "the token of principal '" + h.identity.principal
                        + "' was withdrawn from the server's tokens file: reconnect with a valid token");
                continue;
            }
            h.rulesChanged(policy);
        }
    }

    public Gateway(Engine engine, int maxValueBytes, int maxBatchChanges, int maxBatchBytes, int maxConnections,
                   int maxSubscriptionsPerConnection, List<String> tokens, java.time.Duration durableAckTimeout,
                   io.treecast.gateway.GatewayStats stats, int maxPayloadBytes) {
        this.engine = engine;
        this.maxPayloadBytes = maxPayloadBytes;
        this.stats = stats;
        this.durableAckTimeout = durableAckTimeout;
        this.decoder = new RequestDecoder(maxValueBytes, maxBatchChanges, maxBatchBytes);
        this.maxConnections = maxConnections;
        this.maxSubscriptionsPerConnection = maxSubscriptionsPerConnection;
        this.security = SecurityPolicy.load(tokens, null, null, null);
    }

    /** Sets the connection hygiene limits (keep-alive bounds, per-IP connections); before the first connection. */
    public Gateway hygiene(HygieneLimits limits) {
        this.hygiene = limits;
        return this;
    }

    public HygieneLimits hygiene() {
        return hygiene;
    }

    @Override
    public Mono<RSocket> accept(ConnectionSetupPayload setup, RSocket peer) {
        return accept(setup, peer, null);
    }

    /**
     * As {@link #accept(ConnectionSetupPayload, RSocket)}, with the listener's channels (subscription frames are then
     * written directly). Never throws: rsocket-java retains the SETUP frame before it calls this and releases it only
     * when the returned Mono ends, so a SETUP too short for the fields read here (a throw) pinned its frame and the
     * read buffer under it (ProtocolFuzzIT, seed 45839457842761, connection 10).
     */
    Mono<RSocket> accept(ConnectionSetupPayload setup, RSocket peer, ChannelDirectory channelsOrNull) {
        try {
            return acceptWhole(setup, peer, channelsOrNull);
        } catch (RuntimeException truncated) {
            return Mono.error(refused(ErrorCode.MALFORMED, "the SETUP frame ends before its fields do (its MIME types,"
                    + " resume token, metadata or data are cut short): send an RSocket 1.0 SETUP frame (see proto/README.md)"));
        }
    }

    private Mono<RSocket> acceptWhole(ConnectionSetupPayload setup, RSocket peer, ChannelDirectory channelsOrNull) {
        if (closing) {
            return Mono.error(refused(ErrorCode.SHUTTING_DOWN, "the server is shutting down: connect to another instance or retry after the restart"));
        }
        if (!DATA_MIME.equals(setup.dataMimeType())) {
            return Mono.error(refused(ErrorCode.INVALID_REQUEST, "data MIME type is \"" + setup.dataMimeType()
                    + "\": set it to " + DATA_MIME + " in the SETUP frame"));
        }
        if (!COMPOSITE_MIME.equals(setup.metadataMimeType())) {
            return Mono.error(refused(ErrorCode.INVALID_REQUEST, "metadata MIME type is \"" + setup.metadataMimeType()
                    + "\": set it to " + COMPOSITE_MIME + " in the SETUP frame"));
        }
        long keepAlive = setup.keepAliveInterval();
        HygieneLimits h = hygiene;
        // (an interval below limits.min-keepalive-ms never gets here: ConnectionGuard refuses it before RSocket reads it)
        if (keepAlive >= h.idleTimeoutMillis || keepAlive >= h.maxKeepAliveLifetimeMillis) {
            boolean idle = h.idleTimeoutMillis <= h.maxKeepAliveLifetimeMillis;
            long bound = idle ? h.idleTimeoutMillis : h.maxKeepAliveLifetimeMillis;
            return Mono.error(refused(ErrorCode.INVALID_REQUEST, "the SETUP keep-alive interval is " + keepAlive
                    + " ms, but the server closes a connection that is silent for " + bound + " ms ("
                    + (idle ? "limits.idle-timeout-ms" : "limits.max-keepalive-lifetime-ms")
                    + "): use a keep-alive interval well below it (20000 ms is usual)"));
        }
        // parsed whether or not tokens are required: a client that sends garbage here would otherwise only learn of
        // it once the server turns auth on
        Setup parsed;
        try {
            parsed = setup.data().isReadable() ? Setup.parseFrom(setup.data().nioBuffer()) : Setup.getDefaultInstance();
        } catch (InvalidProtocolBufferException e) {
            return Mono.error(refused(ErrorCode.MALFORMED, "the SETUP data is not a valid protobuf treecast.v1.Setup: "
                    + "encode {token, client_name} with the schema in proto/, or send no data"));
        }
        java.net.SocketAddress remote = remoteAddress(peer);
        SecurityPolicy policy = security;
        Identity identity;
        Access access;
        try {
            identity = policy.authenticate(parsed.getToken(), channelsOrNull == null ? null : channelsOrNull.certificatePrincipal(remote));
            access = policy.accessFor(identity);
        } catch (io.treecast.fastpath.TreecastException e) {
            return Mono.error(refused(e.code(), e.getMessage()));
        }
        if (connections.incrementAndGet() > maxConnections) {
            connections.decrementAndGet();
            return Mono.error(refused(ErrorCode.TOO_MANY_CONNECTIONS, "the server already has " + maxConnections
                    + " connections (limits.max-connections): share connections between clients, or retry later"));
        }
        java.net.InetAddress ip = remote instanceof java.net.InetSocketAddress ? ((java.net.InetSocketAddress) remote).getAddress() : null;
        AtomicInteger fromIp = null;
        if (ip != null && h.maxConnectionsPerIp > 0) {
            // compute: the count and the entry's removal at zero (releaseIp) are atomic per address
            fromIp = perIp.compute(ip, (a, n) -> {
                AtomicInteger c = n == null ? new AtomicInteger() : n;
                c.incrementAndGet();
                return c;
            });
            if (fromIp.get() > h.maxConnectionsPerIp) {
                releaseIp(ip, fromIp);
                connections.decrementAndGet();
                return Mono.error(refused(ErrorCode.TOO_MANY_CONNECTIONS, "the server already has " + h.maxConnectionsPerIp
                        + " connections from " + ip.getHostAddress() + " (limits.max-connections-per-ip): share connections "
                        + "between clients, close idle ones, or retry later"));
            }
        }
        final AtomicInteger ipCount = fromIp;
        peers.add(peer);
        // client_name is the client's own text: escaped and cut so that it cannot forge or flood log lines
        String name = "connection " + connectionNumbers.incrementAndGet() + (remote == null ? "" : " from " + remote)
                + (parsed.getClientName().isEmpty() ? "" : " (client " + LogText.escape(parsed.getClientName()) + ")");
        ACCEPTING.set(name);
        stats.connected();
        peer.onClose().doFinally(s -> {
            peers.remove(peer);
            connections.decrementAndGet();
            if (ipCount != null) {
                releaseIp(ip, ipCount);
            }
            // a client that goes away closes its connection "with an error": that is normal, not worth an ERROR log
        }).subscribe(null, closedAbruptly -> { });
        ConnectionHandler handler = new ConnectionHandler(this, channelsOrNull == null ? null : channelsOrNull.writer(remote), identity, access);
        if (tracksStreams()) {
            handlers.add(handler);
            peer.onClose().doFinally(s -> handlers.remove(handler)).subscribe(null, e -> { });
        }
        if (identity.expiresAtMillis > 0) {
            long delay = Math.max(0, identity.expiresAtMillis - System.currentTimeMillis());
            java.util.concurrent.ScheduledFuture<?> expiry = EXPIRY.schedule(() -> handler.endConnection(ErrorCode.UNAUTHORIZED,
                    "the token of principal '" + identity.principal + "' expired at " + java.time.Instant.ofEpochMilli(identity.expiresAtMillis)
                            + ": reconnect with a new token"), delay, java.util.concurrent.TimeUnit.MILLISECONDS);
            peer.onClose().doFinally(s -> expiry.cancel(false)).subscribe(null, e -> { });
        }
        return Mono.just(handler);
    }

    /**
     * What every connection of a listener gets around its responder, for {@code RSocketServer.interceptors}: the
     * error counter, the {@link ConnectionGuard} (and, on TCP, the {@link FnfReader} it brings), the rate limit.
     */
    public java.util.function.Consumer<io.rsocket.plugins.InterceptorRegistry> interceptors(HygieneLimits limits, ChannelDirectory channels) {
        return registry -> {
            registry.forRequestsInResponder(responder -> new ErrorCounter(this));
            // before RSocket reads a frame: reassembly budget, lifetime cap, keep-alive answer rate
            registry.forConnection(ConnectionGuard.interceptor(limits, () -> stats.error(ErrorCode.INVALID_REQUEST), channels));
            boolean rateLimited = limits.maxUpdatesPerSecond > 0 || limits.maxBytesPerSecond > 0;
            // the one responder interceptor: it builds the outermost responder, so it is also where the connection's
            // FnfReader learns what to call. A responder interceptor or lease added here must be added to
            // FnfReader's path too (it calls this responder directly, not through rsocket-java)
            registry.forResponder((io.rsocket.plugins.RSocketInterceptor) handler -> {
                RSocket outermost = rateLimited
                        ? new RateLimitedResponder(handler, this, limits.maxUpdatesPerSecond, limits.maxBytesPerSecond) : handler;
                if (handler instanceof ConnectionHandler) {
                    ((ConnectionHandler) handler).acceptDirectPublishes(outermost);
                }
                return outermost;
            });
        };
    }

    private void releaseIp(java.net.InetAddress ip, AtomicInteger count) {
        perIp.computeIfPresent(ip, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /** Open connections from {@code ip} (0 when none or when the per-IP limit is off). */
    public int connectionsFrom(java.net.InetAddress ip) {
        AtomicInteger n = perIp.get(ip);
        return n == null ? 0 : Math.max(0, n.get());
    }

    private io.rsocket.exceptions.RejectedSetupException refused(ErrorCode code, String message) {
        stats.error(code);
        return Errors.rejectedSetup(code, message);
    }

    /**
     * The client's address, or null when unknown. rsocket-java offers a connection's address to its acceptor only
     * through its requester's {@code getDuplexConnection()}, declared in a package-private class; this runs once per
     * connection, and any failure (another rsocket version) just leaves the address out of the logs.
     */
    private static java.net.SocketAddress remoteAddress(RSocket peer) {
        try {
            java.lang.reflect.Method m = peer.getClass().getMethod("getDuplexConnection");
            m.setAccessible(true);
            Object connection = m.invoke(peer);
            return connection instanceof io.rsocket.DuplexConnection
                    ? ((io.rsocket.DuplexConnection) connection).remoteAddress() : null;
        } catch (ReflectiveOperationException | RuntimeException unknown) {
            return null;
        }
    }

    /** The name of the connection just accepted on this thread, once (see {@link #ACCEPTING}); null if none. */
    static String takeAcceptedName() {
        String name = ACCEPTING.get();
        ACCEPTING.remove();
        return name;
    }

    /** Makes this gateway an edge's: writes go to {@code core}, resumes ahead of the edge wait up to {@code resumeWait}. */
    public void upstream(io.treecast.gateway.Upstream core, java.time.Duration resumeWait) {
        this.upstream = core;
        this.resumeWait = resumeWait;
    }

    /** limits.max-gets-in-flight: tree.get answers prepared at once, server-wide. */
    public void maxGetsInFlight(int n) {
        this.maxGetsInFlight = n;
    }

    /** limits.max-listings-in-flight: tree.children listings prepared at once, server-wide. */
    public void maxListingsInFlight(int n) {
        this.maxListingsInFlight = n;
    }

    /** New connections are refused with SHUTTING_DOWN from now on. */
    public void beginClose() {
        closing = true;
    }

    /** Closes every connection. */
    public void disconnectAll() {
        for (RSocket peer : peers) {
            peer.dispose();
        }
    }

    public int connections() {
        return connections.get();
    }

    public io.treecast.gateway.GatewayStats stats() {
        return stats;
    }

    public int activeStreams() {
        return activeStreams.get();
    }

    public long rejectedWithoutAnswer() {
        return rejected.get();
    }

    public long publishPauses() {
        return publishPauses.get();
    }
}
