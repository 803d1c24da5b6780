package io.treecast.observability;

import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineConfig;
import io.treecast.gateway.GatewayStats;
import io.treecast.observability.internal.Served;

/** A real engine and real gateway counters without sockets, for unit tests of the metrics and health checks. */
final class FakeServer implements Served, AutoCloseable {
    final Engine engine = Engine.start(EngineConfig.builder().build());
    final GatewayStats stats = new GatewayStats();
    volatile boolean listening = true;
    volatile boolean edge;
    volatile long upstreamLostNanos;
    volatile String upstreamFailure;

    @Override
    public boolean isEdge() {
        return edge;
    }

    @Override
    public long upstreamLostNanos() {
        return upstreamLostNanos;
    }

    @Override
    public String upstreamFailure() {
        return upstreamFailure;
    }

    @Override
    public Engine engine() {
        return engine;
    }

    @Override
    public GatewayStats stats() {
        return stats;
    }

    @Override
    public int connections() {
        return 3;
    }

    @Override
    public long rejectedWithoutAnswer() {
        return 0;
    }

    @Override
    public boolean listening() {
        return listening;
    }

    @Override
    public void close() {
        engine.close();
    }
}
