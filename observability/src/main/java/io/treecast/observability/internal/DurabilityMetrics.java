package io.treecast.observability.internal;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.treecast.observability.DurabilityProbe;

import java.util.List;

/**
 * Kafka and journal figures. "Kafka reachable" comes from the readiness monitor's last check (the check asks the
 * cluster and may block), the rest straight from the probe at scrape time. Not bound when running in memory.
 */
public final class DurabilityMetrics implements MeterBinder {
    /** The Kafka Streams states, each published as a 0/1 gauge so that a dashboard can show the current one. */
    static final List<String> STREAMS_STATES = List.of("CREATED", "REBALANCING", "RUNNING", "PENDING_SHUTDOWN",
            "NOT_RUNNING", "PENDING_ERROR", "ERROR");

    private final DurabilityProbe probe;
    private final Health health;

    public DurabilityMetrics(DurabilityProbe probe, Health health) {
        this.probe = probe;
        this.health = health;
    }

    @Override
    public void bindTo(MeterRegistry r) {
        Gauge.builder("treecast.kafka.reachable", health, h -> h.kafkaReachable() ? 1 : 0)
                .description("1 when the last check (once a second) reached the Kafka cluster").register(r);
        Gauge.builder("treecast.journal.healthy", probe, p -> p.journalHealthy() ? 1 : 0)
                .description("1 while Kafka acknowledges the journal's records").register(r);
        Gauge.builder("treecast.journal.durable.seq", probe, DurabilityProbe::durableSeq)
                .description("Highest seq Kafka acknowledged together with every seq below it").register(r);
        FunctionCounter.builder("treecast.journal.records.sent", probe, p -> Math.max(0, p.recordsSent()))
                .description("Records handed to the Kafka producer: leaves, tombstones and seq watermarks").register(r);
        FunctionCounter.builder("treecast.journal.producer.errors", probe, p -> Math.max(0, p.producerErrors()))
                .description("Records Kafka refused for good").register(r);
        Gauge.builder("treecast.state.store.lag", probe, p -> p.stateStoreLag() < 0 ? Double.NaN : p.stateStoreLag())
                .description("Records the Kafka Streams state store has still to read (NaN when there is no store)").register(r);
        Gauge.builder("treecast.state.store.child.serving", probe, p -> p.stateStoreChildServing() < 0 ? Double.NaN : p.stateStoreChildServing())
                .description("1 while the state store's child JVM serves queries, 0 while it starts or restarts (NaN when the store does not run in a child)").register(r);
        FunctionCounter.builder("treecast.state.store.child.restarts", probe, p -> Math.max(0, p.stateStoreChildRestarts()))
                .description("Restarts of the state store's child JVM after it exited on its own").register(r);
        Gauge.builder("treecast.recovery.duration", probe, p -> p.recoveryMillis() < 0 ? Double.NaN : p.recoveryMillis() / 1000.0)
                .description("How long rebuilding the tree from the topic took at start").baseUnit("seconds").register(r);
        Gauge.builder("treecast.recovery.records", probe, p -> p.recoveryMillis() < 0 ? Double.NaN : p.recoveryRecords())
                .description("Records read from the topic to rebuild the tree at start").register(r);
        for (String state : STREAMS_STATES) {
            Gauge.builder("treecast.state.store.state", probe, p -> state.equals(p.stateStoreState()) ? 1 : 0)
                    .description("1 for the Kafka Streams state store's current state").tag("state", state).register(r);
        }
    }
}
