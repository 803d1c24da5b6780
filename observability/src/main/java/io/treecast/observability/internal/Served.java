package io.treecast.observability.internal;

import io.treecast.fastpath.Engine;
import io.treecast.gateway.GatewayStats;
import io.treecast.gateway.TreecastServer;

/** What the metrics and health checks read of a running server; a seam so that unit tests need no sockets. */
public interface Served {
    Engine engine();

    GatewayStats stats();

    int connections();

    long rejectedWithoutAnswer();

    boolean listening();

    /** Times a connection stopped reading because the engine's inbound queue was full (0 when not known). */
    default long publishPauses() {
        return 0;
    }

    /** Bytes of subscription frames waiting for clients' sockets (0 when not known). */
    default long sendBacklogBytes() {
        return 0;
    }

    /** The largest send backlog of one connection, in bytes (0 when not known). */
    default long maxSendBacklogBytes() {
        return 0;
    }

    /** How long the least recently heard event loop of the server has been silent, in ns (0 when not known). */
    default long eventLoopSilenceNanos() {
        return 0;
    }

    /** Whether the server is an edge node (it follows a core). */
    default boolean isEdge() {
        return false;
    }

    /** An edge: ns since it lost its core's stream (0 while connected). */
    default long upstreamLostNanos() {
        return 0;
    }

    /** An edge: why it stopped following its core for good, or null. */
    default String upstreamFailure() {
        return null;
    }

    static Served of(TreecastServer server) {
        return new Served() {
            public Engine engine() { return server.engine(); }
            public GatewayStats stats() { return server.stats(); }
            public int connections() { return server.connections(); }
            public long rejectedWithoutAnswer() { return server.rejectedWithoutAnswer(); }
            public long publishPauses() { return server.publishPauses(); }
            public boolean listening() { return server.listening(); }
            public long eventLoopSilenceNanos() { return server.eventLoopSilenceNanos(); }
            public long sendBacklogBytes() { return server.sendBacklogBytes(); }
            public long maxSendBacklogBytes() { return server.maxSendBacklogBytes(); }
            public boolean isEdge() { return server.isEdge(); }
            public long upstreamLostNanos() { return server.upstreamLostNanos(); }
            public String upstreamFailure() { return server.upstreamFailure(); }
        };
    }
}
