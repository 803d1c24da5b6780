package io.treecast.fastpath;

/**
 * The engine's side of the journal port, handed to {@link Journal#start}. The journal's own thread polls applied
 * batches in seq order and reports back the durable watermark. Only that one thread may call {@link #poll}.
 */
public interface JournalFeed {
    /**
     * Hands up to {@code limit} applied batches, oldest first, to {@code consumer}; returns how many. Each batch is
     * given as an {@link EventView} of kind UPDATE whose changes are leaf-level (a subtree delete arrives as one
     * delete per leaf). The view is valid only during the call.
     */
    int poll(Consumer consumer, int limit);

    /** Every seq &lt;= {@code seq} is durable; completes DURABLE acks and frees journal capacity. */
    void markDurable(long seq);

    /** Receives applied batches from {@link #poll}. */
    @FunctionalInterface
    interface Consumer {
        /** One applied batch; {@code appliedAtMicros} is when the writer applied it (microseconds since epoch). */
        void onBatch(EventView batch, long appliedAtMicros);
    }
}
