package io.treecast.observability.internal;

import io.treecast.durability.Durability;
import io.treecast.durability.TreeState;
import io.treecast.durability.internal.KafkaJournal;
import io.treecast.durability.internal.TopicRecovery;
import io.treecast.observability.DurabilityProbe;

/** {@link DurabilityProbe} over the durability module's public getters. */
public final class KafkaDurabilityProbe implements DurabilityProbe {
    private final Durability durability;
    /** The journal's own counters; the durability module exposes its journal only as the engine's port. */
    private final KafkaJournal journal;
    /** The state store's lag as of the last {@link #refresh()}: asking for it calls the brokers. */
    private volatile long lag = -1;

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
        TreeState state = durability.treeState();
        return state == null ? null : state.state();
    }

    @Override
    public long stateStoreLag() {
        return lag;
    }

    @Override
    public void refresh() {
        TreeState state = durability.treeState();
        lag = state == null ? -1 : state.lag();
    }

    @Override
    public long recoveryMillis() {
        TopicRecovery.Result r = journal == null ? null : journal.lastRecovery();
        return r == null ? -1 : r.millis();
    }

    @Override
    public long recoveryRecords() {
        TopicRecovery.Result r = journal == null ? null : journal.lastRecovery();
        return r == null ? -1 : r.records();
    }
}
