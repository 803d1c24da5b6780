package io.treecast.observability;

import io.treecast.durability.Durability;

/**
 * What the durability metrics and the readiness check read. {@link #of(Durability)} adapts the real durability
 * module; tests give their own. Every method but {@link #kafkaReachable()} is cheap and non-blocking.
 *
 * <pre>{@code
 * TreecastMetrics metrics = TreecastMetrics.create(Duration.ofSeconds(30));
 * metrics.attach(server, DurabilityProbe.of(durability));    // or null when running in memory
 * }</pre>
 */
public interface DurabilityProbe {
    /** Asks the cluster for its nodes; may block up to about a second, so only the monitor thread calls it. */
    boolean kafkaReachable();

    /** The journal's own view: false while Kafka does not acknowledge, after a refused record, or a dead journal thread. */
    boolean journalHealthy();

    /** The highest seq Kafka acknowledged together with every seq below it. */
    long durableSeq();

    /** Records handed to the Kafka producer since start (leaves, tombstones, seq watermarks), or -1 when unknown. */
    long recordsSent();

    /** Records Kafka refused for good (each one stops the durable watermark), or -1 when unknown. */
    long producerErrors();

    /** The Kafka Streams state store's state ({@code RUNNING}, {@code REBALANCING}, ...), or null when there is none. */
    String stateStoreState();

    /** Records the state store still has to read to catch up with the topic, or -1 when unknown. Cheap: see {@link #refresh()}. */
    long stateStoreLag();

    /**
     * 1 while the state store's child JVM serves queries, 0 while it starts or restarts, -1 when the store does not run
     * in a child ({@code durability.state-store-process=in-process}, or no store).
     */
    default int stateStoreChildServing() {
        return -1;
    }

    /** Restarts of the state store's child JVM after it exited on its own, or -1 when the store does not run in a child. */
    default long stateStoreChildRestarts() {
        return -1;
    }

    /** How long the recovery of the tree at start took, in milliseconds, or -1 before it ran. */
    default long recoveryMillis() {
        return -1;
    }

    /** Records the recovery at start read from the topic, or -1 before it ran. */
    default long recoveryRecords() {
        return -1;
    }

    /** Refreshes figures that need a call to Kafka (the state store lag); the monitor thread calls it once a second. */
    default void refresh() {
    }

    /** The real durability module; metrics read its journal and admin client. */
    static DurabilityProbe of(Durability durability) {
        return new io.treecast.observability.internal.KafkaDurabilityProbe(durability);
    }
}
