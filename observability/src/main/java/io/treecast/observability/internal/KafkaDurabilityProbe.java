package io.treecast.observability.internal;

import io.treecast.durability.Durability;
import io.treecast.durability.internal.KafkaJournal;
import io.treecast.observability.DurabilityProbe;

/** {@link DurabilityProbe} over the durability module's public getters. */
public final class KafkaDurabilityProbe implements DurabilityProbe {
    private final Durability durability;
    /** The journal's own counters; the durability module exposes its journal only as the engine's port. */
    private final KafkaJournal journal;

    public KafkaDurabilityProbe(Durability durability) {
        this.durability = durability;
        this.journal = durability.journal() instanceof KafkaJournal ? (KafkaJournal) durability.journal() : null;
    }

    @Override
    public boolean kafkaReachable() {
        return durability.kafkaReachable();
    }

    @Override
    public boolean journalHealthy() {
        return durability.journal().healthy();
    }

    @Override
    public long durableSeq() {
        return durability.durableSeq();
    }

    @Override
    public long recordsSent() {
        return journal == null ? -1 : journal.recordsSent();
    }

    @Override
    public long producerErrors() {
        return journal == null ? -1 : journal.producerErrors();
    }

    @Override
    public String stateStoreState() {
        return null;
    }

    @Override
    public long stateStoreLag() {
        return -1;
    }
}
