package io.treecast.fastpath;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A durable copy of the tree that can serve snapshots (implemented by {@code durability/} with its Kafka Streams
 * store). When a subscriber's {@code resume_after} has left the replay ring, the engine catches it up from here:
 * the store's leaves complete up to {@link Result#completeSeq S}, then the ring's batches after S, then live; so
 * the store must run at most a replay ring behind the engine, otherwise the engine falls back to a snapshot of
 * its own tree.
 *
 * <pre>{@code
 * Engine engine = Engine.start(EngineConfig.builder()
 *         .journal(durability.journal())
 *         .snapshotStore(treeState)            // omit: too-old resumes get RESET + a snapshot of the live tree
 *         .build());
 * }</pre>
 *
 * Called from a dispatcher thread, which must not block: do the reading on the store's own thread.
 */
public interface SnapshotStore {
    /**
     * Starts reading every stored leaf that matches {@code pattern} and returns at once. The future completes
     * with the leaves and the seq S up to which the store was complete before it started reading: every change
     * with seq &lt;= S is reflected; changes after S may be reflected too, each leaf carrying its own seq. It
     * completes exceptionally when the store cannot answer (the engine then uses its own tree).
     */
    CompletableFuture<Result> snapshot(PathPattern pattern);

    /**
     * What the store held for a pattern.
     *
     * @param completeSeq every change with seq &lt;= this is in {@code leaves} (or superseded there)
     * @param leaves      the matching leaves, any order, each with the seq that set it
     */
    record Result(long completeSeq, List<Leaf> leaves) {
    }
}
