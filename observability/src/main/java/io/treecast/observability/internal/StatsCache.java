package io.treecast.observability.internal;

import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineStats;

/**
 * One {@link EngineStats} per scrape instead of one per meter: {@code Engine.stats()} walks every subscription,
 * so the meters of one scrape share a copy that is at most {@code maxAgeNanos} old. Called on scrape threads only.
 */
public final class StatsCache {
    private final Engine engine;
    private final long maxAgeNanos;
    private EngineStats stats;
    private long takenAt;

    public StatsCache(Engine engine, long maxAgeNanos) {
        this.engine = engine;
        this.maxAgeNanos = maxAgeNanos;
    }

    public synchronized EngineStats get() {
        long now = System.nanoTime();
        if (stats == null || now - takenAt > maxAgeNanos) {
            stats = engine.stats();
            takenAt = now;
        }
        return stats;
    }
}
