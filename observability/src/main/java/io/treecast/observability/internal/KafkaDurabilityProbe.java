package io.treecast.observability.internal;

import io.treecast.durability.Durability;
import io.treecast.observability.DurabilityProbe;

/** {@link DurabilityProbe} over the durability module's public getters. */
public final class KafkaDurabilityProbe implements DurabilityProbe {
    private final Durability durability;

    public KafkaDurabilityProbe(Durability durability) {
        this.durability = durability;
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
        return -1;
    }

    @Override
    public long producerErrors() {
        return -1;
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
