package io.treecast.observability;

/** A durability probe whose Kafka can be switched off by the test. */
final class FakeDurability implements DurabilityProbe {
    volatile boolean reachable = true;

    @Override
    public boolean kafkaReachable() {
        return reachable;
    }

    @Override
    public boolean journalHealthy() {
        return reachable;
    }

    @Override
    public long durableSeq() {
        return 7;
    }

    @Override
    public long recordsSent() {
        return 11;
    }

    @Override
    public long producerErrors() {
        return 0;
    }

    @Override
    public String stateStoreState() {
        return "RUNNING";
    }

    @Override
    public long stateStoreLag() {
        return 0;
    }

    @Override
    public int stateStoreChildServing() {
        return 1;
    }

    @Override
    public long stateStoreChildRestarts() {
        return 2;
    }

    @Override
    public long recoveryMillis() {
        return 1500;
    }

    @Override
    public long recoveryRecords() {
        return 10;
    }
}
