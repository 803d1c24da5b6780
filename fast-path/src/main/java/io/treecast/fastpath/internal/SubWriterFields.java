package io.treecast.fastpath.internal;

import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.Policy;

/**
 * The fields of a {@link Sub} the writer reads and writes for every batch it enqueues, declared apart so that the JVM
 * lays them out together at the start of the object (a superclass's fields come first): ~90 bytes, one or two cache
 * lines, where spread over the whole subscription they took four. Nothing here is written by a dispatcher per
 * delivery ({@link Sub#head} and the other consumer fields come after {@link SubFixedFields}' set-once fields), so
 * the writer's line is not pulled away from it by each event the dispatcher takes.
 *
 * <p>Holds no behaviour: see {@link Sub} and {@code EngineCore.onMatch}.
 */
abstract class SubWriterFields {
    /** The seq of the batch this subscription last got or is collecting (writer). */
    long stamp = -1;
    /** The writer's producer position; {@link #tail} publishes it. */
    long tailLocal;
    /**
     * {@link Sub#head} as the writer last read it (at most the real one, so the outbox looks at least as full as it
     * is): the writer reads the dispatcher's line only when the outbox looks full by this, or near its byte bound.
     */
    long headSeen;
    /**
     * The bytes ({@code Batch.bytes()}) this outbox may pin ({@code engine.outbox-max-bytes}): batches it holds stay
     * in memory after they leave the replay ring. Past it the outbox counts as full. {@link #bytesIn} (writer) minus
     * {@link Sub#bytesOut} (dispatcher, published with release; the writer reads it only when near the bound and keeps
     * what it read in {@link #bytesOutSeen}) is what the outbox holds.
     */
    final long maxBytes;
    long bytesIn;
    long bytesOutSeen;
    /** Producer position (writer writes, dispatcher reads). */
    volatile long tail;
    // outbox: a ring of (seq, applied-changes ref); capacity logical, arrays a power of two that start small and
    // double as the outbox fills (up to the capacity), each growth reserved from the engine's slot budget. Written by
    // the writer (a growth publishes new arrays with release), read by the dispatcher with acquire and indexed by each
    // array's own length: every array generation holds the entries between head and tail
    long[] outSeq;
    Object[] outRef;
    /** The writer's mask of the current ring (the dispatcher uses each array's length instead). */
    int mask;
    /**
     * Where the outbox counts as full when a batch comes: the capacity under STRICT (the subscription ends), the
     * conflation high mark under CONFLATE (it starts conflating).
     */
    final int fullAt;
    int dispatcherIndex;
    volatile ErrorCode endCode;
    /** {@code policy == STRICT}. */
    final boolean strict;
    volatile boolean cancelled;
    volatile boolean conflating;
    boolean stampConflated;

    SubWriterFields(Policy policy, int capacity, int highMark, long maxBytes, int ringLength) {
        this.strict = policy == Policy.STRICT;
        this.fullAt = strict ? capacity : highMark;
        this.maxBytes = maxBytes;
        this.outSeq = new long[ringLength];
        this.outRef = new Object[ringLength];
        this.mask = ringLength - 1;
    }
}
