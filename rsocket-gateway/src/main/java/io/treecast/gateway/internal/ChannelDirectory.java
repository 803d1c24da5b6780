package io.treecast.gateway.internal;

import io.netty.channel.Channel;
import io.rsocket.ConnectionSetupPayload;
import io.rsocket.RSocket;
import io.rsocket.SocketAcceptor;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;

import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The channels of one listener (TCP or WebSocket), by the client's address, so that an RSocket connection accepted
 * by {@link Gateway} finds the Netty channel it runs on and gets a {@link FrameWriter} for its subscriptions.
 * rsocket-java hands its acceptor only the connection's remote address; one directory per listener keeps that
 * address unique.
 *
 * <pre>{@code
 * ChannelDirectory tcp = new ChannelDirectory(false, 4 << 20);
 * TcpServer.create().doOnConnection(tcp::onConnection) ... RSocketServer.create(tcp.acceptor(gateway))
 * }</pre>
 */
public final class ChannelDirectory {
    private final boolean webSocket;
    private final long sendBudgetBytes;
    private final Map<SocketAddress, FrameWriter> writers = new ConcurrentHashMap<>();

    public ChannelDirectory(boolean webSocket, long sendBudgetBytes) {
        this.webSocket = webSocket;
        this.sendBudgetBytes = sendBudgetBytes;
    }

    /** For reactor-netty's {@code doOnConnection}: registers the new channel until it closes. */
    public void onConnection(Connection connection) {
        Channel channel = connection.channel();
        SocketAddress remote = channel.remoteAddress();
        if (remote == null) {
            return;
        }
        FrameWriter writer = FrameWriter.attach(channel, webSocket, sendBudgetBytes);
        writers.put(remote, writer);
        channel.closeFuture().addListener(f -> writers.remove(remote, writer));
    }

    /**
     * Waits, until {@code deadlineNanos} at most, for every open channel of this listener to have written to its
     * socket everything handed to it so far: the frames of {@link FrameWriter}'s queue and what rsocket-java wrote
     * on the event loop (a stream's final ERROR frame goes that way). A graceful close calls this before it closes
     * the connections, so a client sees SHUTTING_DOWN rather than a dropped connection. Returns whether all flushed.
     */
    public boolean awaitFlushed(long deadlineNanos) {
        java.util.List<java.util.concurrent.CountDownLatch> pending = new java.util.ArrayList<>();
        for (FrameWriter w : writers.values()) {
            Channel channel = w.channel();
            if (!channel.isActive()) {
                continue;
            }
            java.util.concurrent.CountDownLatch flushed = new java.util.concurrent.CountDownLatch(1);
            pending.add(flushed);
            // after every frame queued before now, then one more event-loop hop for what that pass made rsocket write
            w.enqueue(() -> channel.eventLoop().execute(() -> checkFlushed(channel, flushed, deadlineNanos)));
        }
        try {
            for (java.util.concurrent.CountDownLatch flushed : pending) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0 || !flushed.await(left, java.util.concurrent.TimeUnit.NANOSECONDS)) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** On the channel's event loop: flushes, and counts down once the socket took every byte (or the channel closed). */
    private static void checkFlushed(Channel channel, java.util.concurrent.CountDownLatch flushed, long deadlineNanos) {
        channel.flush();
        io.netty.channel.ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        if (!channel.isActive() || out == null || out.totalPendingWriteBytes() == 0 || System.nanoTime() >= deadlineNanos) {
            flushed.countDown();
        } else {
            channel.eventLoop().schedule(() -> checkFlushed(channel, flushed, deadlineNanos), 1, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The rsocket-java connection of one of this listener's channels is being set up and {@code guard} guards it:
     * on TCP, a {@link FnfReader} goes into the channel's pipeline, to read its publishes once it is accepted.
     */
    void guarded(ConnectionGuard guard) {
        FrameWriter w = webSocket ? null : writer(guard.remoteAddress());
        if (w != null) {
            FnfReader.install(w.channel(), guard);
        }
    }

    /** The writer of the channel connected from {@code remote}, or null. */
    FrameWriter writer(SocketAddress remote) {
        return remote == null ? null : writers.get(remote);
    }

    /**
     * The principal named by the verified client certificate of the connection from {@code remote} (mutual TLS):
     * the certificate subject's common name (CN), else its whole subject; null without TLS or certificate.
     */
    String certificatePrincipal(SocketAddress remote) {
        FrameWriter w = writer(remote);
        if (w == null) {
            return null;
        }
        io.netty.handler.ssl.SslHandler ssl = w.channel().pipeline().get(io.netty.handler.ssl.SslHandler.class);
        if (ssl == null) {
            return null;
        }
        try {
            java.security.cert.Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof java.security.cert.X509Certificate)) {
                return null;
            }
            return commonName(((java.security.cert.X509Certificate) chain[0]).getSubjectX500Principal());
        } catch (javax.net.ssl.SSLPeerUnverifiedException noCertificate) {
            return null;
        }
    }

    static String commonName(javax.security.auth.x500.X500Principal subject) {
        try {
            for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(subject.getName()).getRdns()) {
                if ("CN".equalsIgnoreCase(rdn.getType())) {
                    return String.valueOf(rdn.getValue());
                }
            }
        } catch (javax.naming.InvalidNameException e) {
            // fall back to the whole subject
        }
        return subject.getName();
    }

    /** Bytes of subscription frames waiting for their sockets, over every connection of this listener. */
    public long sendBacklogBytes() {
        long sum = 0;
        for (FrameWriter w : writers.values()) {
            sum += w.backlogBytes();
        }
        return sum;
    }

    /** The largest send backlog of one connection of this listener. */
    public long maxSendBacklogBytes() {
        long max = 0;
        for (FrameWriter w : writers.values()) {
            max = Math.max(max, w.backlogBytes());
        }
        return max;
    }

    /** The acceptor of this listener: the gateway's SETUP checks, with this listener's channels. */
    public SocketAcceptor acceptor(Gateway gateway) {
        return new SocketAcceptor() {
            @Override
            public Mono<RSocket> accept(ConnectionSetupPayload setup, RSocket peer) {
                return gateway.accept(setup, peer, ChannelDirectory.this);
            }
        };
    }
}
