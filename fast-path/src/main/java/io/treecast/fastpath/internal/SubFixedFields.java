package io.treecast.fastpath.internal;

import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.Policy;
import io.treecast.fastpath.TreePath;

import java.util.LinkedHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fields of a {@link Sub} that are set once or change rarely (a growth, conflation, the end), laid out between the
 * writer's per-enqueue fields ({@link SubWriterFields}) and the dispatcher's per-delivery ones ({@link Sub}): ~100
 * bytes that keep those two groups off each other's cache lines. Holds no behaviour.
 */
abstract class SubFixedFields extends SubWriterFields {
    final long id;
    final long resumeAfter;
    /** The seq at which the writer put this subscription into the index; -1 until then. */
    volatile long s0 = -1;
    /** Slots reserved from the engine's budget for the ring (writer-owned once registered). */
    long reservedSlots;
    final PathPattern pattern;
    final EventHandler handler;
    final Policy policy;
    final Sub.Owner owner;
    final AtomicLong demand = new AtomicLong();
    /** Outbox entries moved aside during a catch-up, delivered first once live (dispatcher). */
    final HeldEntries held = new HeldEntries();
    /**
     * Which changes of an entry of 2..64 changes this subscription matched (bit i: change i), as the writer found
     * them while fanning the batch out. Not written (stale) for other entries: one change, more than 64, conflated.
     */
    long[] outMatched;
    /** The newest change per leaf while conflating (writer). */
    LinkedHashMap<TreePath, Sub.Pending> pending;
    /** Why the writer ended this subscription when {@link #endCode} is RESOURCE_EXHAUSTED; set before endCode. */
    volatile String endReason;
    /** Its way to live while it has one (a snapshot, a resume); null once live (dispatcher). */
    CatchUp catchUp;
    /** The dispatcher's phase of this subscription; changes a few times in its life. */
    Phase phase = Phase.INIT;
    final int capacity;
    final int highMark;
    final int lowMark;
    /** The longest the ring may grow: the capacity rounded up to a power of two. */
    final int maxLength;
    /** Its number in the subscription index while indexed, -1 otherwise (writer thread). */
    int indexId = -1;
    /** Pending leaves reserved from the budget for conflation (writer-owned), see {@code EngineCore.PENDING_SLOTS}. */
    int pendingReserved;
    /** Events handed over as one delivery at most (one unit of demand); set before the sub is registered. */
    int eventsPerDelivery = 1;
    final boolean snapshot;
    final boolean internal;

    SubFixedFields(long id, PathPattern pattern, EventHandler handler, Policy policy, boolean snapshot, long resumeAfter,
                   int capacity, int highMark, long maxBytes, boolean internal, Sub.Owner owner, int ringLength) {
        super(policy, capacity, highMark, maxBytes, ringLength);
        this.id = id;
        this.pattern = pattern;
        this.handler = handler;
        this.policy = policy;
        this.snapshot = snapshot;
        this.resumeAfter = resumeAfter;
        this.internal = internal;
        this.owner = owner;
        this.capacity = capacity;
        this.highMark = highMark;
        this.lowMark = highMark / 2;
        this.maxLength = Integer.highestOneBit(Math.max(1, capacity - 1)) << 1;
        this.outMatched = new long[ringLength];
        this.reservedSlots = ringLength;
    }
}
