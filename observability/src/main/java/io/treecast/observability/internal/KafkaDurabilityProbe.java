package io.treecast.observability.internal;

import io.treecast.durability.Durability;
import io.treecast.durability.TreeState;
import io.treecast.observability.DurabilityProbe;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@link DurabilityProbe} over the durability module's public getters.
 *
 * <p>The state store's lag needs the brokers' end offsets, and Kafka Streams waits for them without a bound of ours
 * while Kafka is away (and warns with a stack trace each time it gives up). So the monitor thread never asks for it:
 * {@link #refresh()} hands the question to a daemon thread of its own ({@code treecast-state-lag}, one question at a
 * time, gone when idle) and the metric shows the last answer; the lag is unknown (-1) while Kafka is unreachable, the
 * journal reports it lost, or a question has waited longer than {@link #LAG_STALE_NANOS}.
 */
public final class KafkaDurabilityProbe implements DurabilityProbe {
    static final long LAG_STALE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Durability durability;
    /** The state store's lag as of the last answer on the lag thread: asking for it calls the brokers. */
    private volatile long lag = -1;
    /** When the lag thread started its current question; 0 when it has none. */
    private volatile long lagAskedNanos;
    private volatile boolean lastReachable = true;
    private volatile boolean lastJournalHealthy = true;
    private final ThreadPoolExecutor lagThread = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "treecast-state-lag");
                t.setDaemon(true);
                return t;
            });

    public KafkaDurabilityProbe(Durability durability) {
        this.durability = durability;
    }

    @Override
    public boolean kafkaReachable() {
        boolean reachable = durability.kafkaReachable();
        lastReachable = reachable;
        return reachable;
    }

    @Override
    public boolean journalHealthy() {
        boolean healthy = durability.journal().healthy();
        lastJournalHealthy = healthy;
        return healthy;
    }

    @Override
    public long durableSeq() {
        return durability.durableSeq();
    }

    @Override
    public long recordsSent() {
        return durability.recordsSent();
    }

    @Override
    public long producerErrors() {
        return durability.producerErrors();
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
        if (state == null) {
            lag = -1;
            return;
        }
        long asked = lagAskedNanos;
        if (asked != 0) {
            // the last question still waits for Kafka: its answer would be stale anyway
            if (System.nanoTime() - asked > LAG_STALE_NANOS) {
                lag = -1;
            }
            return;
        }
        if (!lastReachable || !lastJournalHealthy) {
            // Kafka is away: asking would only wait (and make Kafka Streams warn); unknown until it is back
            lag = -1;
            return;
        }
        lagAskedNanos = System.nanoTime();
        try {
            lagThread.execute(() -> {
                try {
                    lag = state.lag();
                } finally {
                    lagAskedNanos = 0;
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException busy) {
            lagAskedNanos = 0; // the thread is still finishing its last question; ask on the next refresh
        }
    }

    @Override
    public int stateStoreChildServing() {
        if (!hasStateChild()) {
            return -1;
        }
        return durability.stateStoreChildUri() != null ? 1 : 0;
    }

    @Override
    public long stateStoreChildRestarts() {
        return hasStateChild() ? durability.stateStoreChildRestarts() : -1;
    }

    private boolean hasStateChild() {
        return durability.config().stateStore() && !durability.config().stateStoreChild().isEmpty();
    }

    @Override
    public long recoveryMillis() {
        return durability.recoveryMillis();
    }

    @Override
    public long recoveryRecords() {
        return durability.recoveryRecords();
    }
}
