package io.treecast.fastpath;

/**
 * The durability port: {@code fast-path} defines it, {@code durability} implements it (Kafka). The engine calls
 * {@link #recover} once before it accepts writes, then {@link #start} once; the journal consumes the feed on its
 * own thread(s) and never blocks the writer. While the journal lags, up to the engine's journal capacity of
 * batches wait; past that the engine refuses new batches with {@link ErrorCode#UNAVAILABLE}.
 */
public interface Journal extends AutoCloseable {
    /**
     * Puts every durable leaf into the tree through {@code into} (on the calling thread, before the engine
     * starts) and returns the highest seq ever issued, so that seq continues above it.
     */
    long recover(LeafVisitor into);

    /** Starts consuming {@code feed} on the journal's own thread. */
    void start(JournalFeed feed);

    /** Whether the journal currently reaches its store (false: the engine reports itself degraded). */
    boolean healthy();

    /** Flushes what it can within a short bound and stops its threads. */
    @Override
    void close();
}
