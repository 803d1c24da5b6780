package io.treecast.observability.internal;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineStats;

import java.util.function.ToDoubleFunction;

/**
 * The engine's counters and gauges, read from {@link Engine#stats()} when Prometheus scrapes: nothing is recorded
 * on the engine's threads. Every name is documented in observability/README.md.
 */
public final class EngineMetrics implements MeterBinder {
    /** Heap per leaf beyond its value, measured by bench/HeapPerLeaf (BENCHMARKS.md): nodes, tables, path strings. */
    static final long HEAP_PER_LEAF_BYTES = 75;

    private final Engine engine;
    private final StatsCache cache;

    public EngineMetrics(Engine engine) {
        this.engine = engine;
        this.cache = new StatsCache(engine, 200_000_000L);
    }

    @Override
    public void bindTo(MeterRegistry r) {
        counter(r, "treecast.engine.batches.applied", "Batches applied (each got a seq)", s -> s.batchesApplied());
        counter(r, "treecast.engine.changes.applied", "Leaf-level changes applied", s -> s.changesApplied());
        counter(r, "treecast.engine.batches.rejected", "Batches refused on the writer (journal backlog full, durability off)", s -> s.rejectedBatches());
        counter(r, "treecast.engine.events.delivered", "Events handed to subscription handlers (snapshot, update, reset)", s -> s.eventsDelivered());
        counter(r, "treecast.engine.conflated.changes", "Changes dropped by conflation (a newer value of the leaf superseded them)", s -> s.conflatedChanges());
        counter(r, "treecast.engine.slow.consumer.ends", "STRICT subscriptions ended with SLOW_CONSUMER", s -> s.slowConsumerEnds());
        counter(r, "treecast.engine.resets", "RESET events sent (resume point too old or ahead)", s -> s.resets());
        counter(r, "treecast.engine.loop.errors", "Throwables caught in the writer or dispatcher loops", s -> s.loopErrors());
        FunctionCounter.builder("treecast.engine.resumes", cache, c -> c.get().resumesFromRing())
                .description("Resumes served without a full snapshot, by source").tag("source", "ring").register(r);
        FunctionCounter.builder("treecast.engine.resumes", cache, c -> c.get().resumesFromStore())
                .description("Resumes served without a full snapshot, by source").tag("source", "store").register(r);
        FunctionCounter.builder("treecast.engine.writer.busy", cache, c -> c.get().writerBusyNanos() / 1e9)
                .description("Seconds the writer thread spent in duty cycles that did work; its rate is the busy ratio")
                .baseUnit("seconds").register(r);

        gauge(r, "treecast.engine.seq", "The last seq applied", s -> s.seq());
        gauge(r, "treecast.engine.leaves", "Leaves in the tree", s -> s.leaves());
        gauge(r, "treecast.engine.inbound.depth", "Batches waiting in the writer's inbound queue", s -> s.inboundDepth());
        gauge(r, "treecast.engine.journal.backlog", "Applied batches not yet durable: seq minus the durable watermark (0 in memory)", s -> s.journalBacklog());
        gauge(r, "treecast.engine.outbox.depth.max", "Events waiting in the fullest subscriber outbox", s -> s.outboxDepthMax());
        gauge(r, "treecast.engine.outbox.events", "Events waiting in all subscriber outboxes together", s -> s.outboxDepthTotal());
        Gauge.builder("treecast.engine.outbox.bytes", cache, c -> c.get().outboxBytes())
                .description("Bytes of batches all subscriber outboxes hold (what engine.outbox-budget-bytes bounds)")
                .baseUnit("bytes").register(r);
        gauge(r, "treecast.engine.outboxes.over.half", "Subscriber outboxes more than half full", s -> s.outboxesOverHalf());
        String[] quarters = {"0-25%", "25-50%", "50-75%", "75-100%"};
        for (int q = 0; q < quarters.length; q++) {
            int quarter = q;
            Gauge.builder("treecast.engine.outboxes", cache, c -> c.get().outboxesByFill()[quarter])
                    .description("Subscriber outboxes by how full they are (share of their capacity)")
                    .tag("fill", quarters[q]).register(r);
        }
        gauge(r, "treecast.engine.writer.alive", "1 while the writer thread runs", s -> s.writerAlive() ? 1 : 0);
        Gauge.builder("treecast.engine.subscriptions", cache, c -> c.get().subscriptions() - c.get().strictSubscriptions())
                .description("Live subscriptions, by outbox policy").tag("policy", "conflate").register(r);
        Gauge.builder("treecast.engine.subscriptions", cache, c -> c.get().strictSubscriptions())
                .description("Live subscriptions, by outbox policy").tag("policy", "strict").register(r);
        Gauge.builder("treecast.engine.tree.memory", cache, c -> c.get().treeValueBytes() + HEAP_PER_LEAF_BYTES * c.get().leaves())
                .description("Estimated heap held by the tree: value bytes plus " + HEAP_PER_LEAF_BYTES + " bytes per leaf of structure")
                .baseUnit("bytes").register(r);
        Gauge.builder("treecast.engine.degraded", engine, e -> e.degraded() ? 1 : 0)
                .description("1 while the journal is unhealthy or its backlog is past half its capacity").register(r);
    }

    private void counter(MeterRegistry r, String name, String help, ToDoubleFunction<EngineStats> f) {
        FunctionCounter.builder(name, cache, c -> f.applyAsDouble(c.get())).description(help).register(r);
    }

    private void gauge(MeterRegistry r, String name, String help, ToDoubleFunction<EngineStats> f) {
        Gauge.builder(name, cache, c -> f.applyAsDouble(c.get())).description(help).register(r);
    }
}
