package io.treecast.observability.internal;

/**
 * Decides whether the engine's writer thread is stuck: alive, but no duty cycle has finished (neither the
 * applied-batch count nor its busy time moved) for a while although batches wait in its inbound queue. An alive
 * thread that is blocked (a handler that never returns, a livelock) is invisible to {@code writerAlive}; the
 * server then accepts writes it never applies, and {@code /health} must say so.
 *
 * <p>Fed by the monitor thread once a period; {@link #stuckForNanos} may be read from any thread.
 */
public final class WriterWatchdog {
    private final long stuckAfterNanos;
    private long lastBatches = Long.MIN_VALUE;
    private long lastBusyNanos = Long.MIN_VALUE;
    private long progressAtNanos;
    private volatile long stuckForNanos;
    private volatile long waiting;

    /** @param stuckAfterNanos how long without progress, with work queued, counts as stuck */
    public WriterWatchdog(long stuckAfterNanos) {
        this.stuckAfterNanos = stuckAfterNanos;
    }

    /**
     * One sample of the writer's counters at {@code nowNanos}.
     *
     * @return whether the writer is stuck now
     */
    public synchronized boolean observe(long nowNanos, long inboundDepth, long batchesApplied, long busyNanos) {
        if (inboundDepth <= 0 || batchesApplied != lastBatches || busyNanos != lastBusyNanos) {
            // idle with nothing to do, or it finished a cycle since the last sample: it is not stuck
            lastBatches = batchesApplied;
            lastBusyNanos = busyNanos;
            progressAtNanos = nowNanos;
            stuckForNanos = 0;
            waiting = inboundDepth;
            return false;
        }
        waiting = inboundDepth;
        long stuck = nowNanos - progressAtNanos;
        stuckForNanos = stuck >= stuckAfterNanos ? stuck : 0;
        return stuckForNanos > 0;
    }

    /** How long the writer has been stuck (past the threshold), or 0. */
    public long stuckForNanos() {
        return stuckForNanos;
    }

    /** Batches waiting in the inbound queue at the last sample. */
    public long waiting() {
        return waiting;
    }

    public long stuckAfterNanos() {
        return stuckAfterNanos;
    }
}
