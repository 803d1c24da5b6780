package io.treecast.fastpath;

/** How the writer and dispatcher threads wait when there is no work. */
public enum IdleStrategyKind {
    /** Spin, then yield, then park with growing pauses. Default: kind to shared machines. */
    BACKOFF,
    /** Never give up the core: lowest latency, for dedicated cores only. */
    BUSY_SPIN,
    /** {@link Thread#yield()} between polls. */
    YIELD
}
