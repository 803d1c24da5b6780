package io.treecast.fastpath.internal;

import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.Policy;
import io.treecast.fastpath.Subscription;
import io.treecast.fastpath.TreePath;
import io.treecast.fastpath.TreecastException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One subscription: its bounded SPSC outbox (writer produces, one dispatcher consumes) and the state each side
 * owns. Fields are grouped by owner; only the volatile/atomic ones cross threads.
 */
public final class Sub implements Subscription {
    /** Callbacks into the engine that owns this subscription. */
    public interface Owner {
        void cancel(Sub sub);

        void wake(Sub sub);
    }

    final long id;
    final PathPattern pattern;
    final EventHandler handler;
    final Policy policy;
    final boolean snapshot;
    final long resumeAfter;
    final boolean internal;
    final Owner owner;

    /** Events handed over as one delivery at most (one unit of demand); set before the sub is registered. */
    int eventsPerDelivery = 1;
    /** Events of the open delivery; dispatcher thread only. */
    int inDelivery;

    // ---- outbox: a ring of (seq, applied-changes ref); capacity logical, arrays a power of two
    final int capacity;
    final int highMark;
    final int lowMark;
    final long[] outSeq;
    final Object[] outRef;
    /**
     * Which changes of an entry of 2..64 changes this subscription matched (bit i: change i), as the writer found
     * them while fanning the batch out. Not written (stale) for other entries: one change, more than 64, conflated.
     */
    final long[] outMatched;

    /** Whether the writer records per-change matches (in {@link #outMatched}) for an entry of {@code changes} changes. */
    static boolean tracksMatches(int changes) {
        return changes > 1 && changes <= 64;
    }
    final int mask;
    /** Consumer position (dispatcher writes, writer reads); a field, not an AtomicLong, to save a cache miss per enqueue. */
    volatile long head;
    /** Producer position (writer writes, dispatcher reads). */
    volatile long tail;

    // ---- crossing threads
    final AtomicLong demand = new AtomicLong();
    /** The seq at which the writer put this subscription into the index; -1 until then. */
    volatile long s0 = -1;
    volatile boolean conflating;
    volatile ErrorCode endCode;
    volatile boolean cancelled;

    // ---- writer-owned
    long tailLocal;
    long stamp = -1;
    boolean stampConflated;
    LinkedHashMap<TreePath, Pending> pending;
    int dispatcherIndex;

    // ---- dispatcher-owned
    int phase;
    long lastDelivered;
    long after;
    long replayCursor;
    boolean pendingReset;
    ArrayDeque<Object[]> frames;
    HashMap<TreePath, Pending> snapshotMap;
    long maxSeen;
    long p;
    long[] heldSeq = new long[0];
    Object[] heldRef = new Object[0];
    int heldCount;
    int heldIndex;
    ArrayList<TreePath> snapshotPaths;
    int emitIndex;
    boolean resetEmitted;
    /** The snapshot store's pending answer while a too-old resume is caught up from it. */
    java.util.concurrent.CompletableFuture<io.treecast.fastpath.SnapshotStore.Result> storeReply;

    /** A leaf's pending value (null: delete) and the seq of the change that made it. */
    static final class Pending {
        final long seq;
        final byte[] value;

        Pending(long seq, byte[] value) {
            this.seq = seq;
            this.value = value;
        }
    }

    public Sub(long id, PathPattern pattern, EventHandler handler, Policy policy, boolean snapshot, long resumeAfter,
               int capacity, int conflateHighMarkPercent, boolean internal, Owner owner) {
        this.id = id;
        this.pattern = pattern;
        this.handler = handler;
        this.policy = policy;
        this.snapshot = snapshot;
        this.resumeAfter = resumeAfter;
        this.internal = internal;
        this.owner = owner;
        this.capacity = capacity;
        this.highMark = Math.max(1, (int) ((long) capacity * conflateHighMarkPercent / 100));
        this.lowMark = highMark / 2;
        int len = Integer.highestOneBit(Math.max(1, capacity - 1)) << 1;
        this.outSeq = new long[len];
        this.outRef = new Object[len];
        this.outMatched = new long[len];
        this.mask = len - 1;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public PathPattern pattern() {
        return pattern;
    }

    @Override
    public void request(long n) {
        if (n <= 0) {
            throw new TreecastException(ErrorCode.INVALID_REQUEST, "request(n) needs n > 0, was " + n + ": ask for at least one event");
        }
        long cur;
        long next;
        do {
            cur = demand.get();
            next = cur + n < 0 ? Long.MAX_VALUE : cur + n;
        } while (!demand.compareAndSet(cur, next));
        owner.wake(this);
    }

    @Override
    public void cancel() {
        if (!cancelled) {
            cancelled = true;
            owner.cancel(this);
        }
    }

    private static final java.lang.invoke.VarHandle HEAD;
    private static final java.lang.invoke.VarHandle TAIL;

    static {
        try {
            java.lang.invoke.MethodHandles.Lookup l = java.lang.invoke.MethodHandles.lookup();
            HEAD = l.findVarHandle(Sub.class, "head", long.class);
            TAIL = l.findVarHandle(Sub.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    long headAcquire() {
        return (long) HEAD.getAcquire(this);
    }

    void headRelease(long v) {
        HEAD.setRelease(this, v);
    }

    long tailAcquire() {
        return (long) TAIL.getAcquire(this);
    }

    void tailRelease(long v) {
        TAIL.setRelease(this, v);
    }

    /** Events waiting in the outbox (approximate from other threads). */
    int outboxSize() {
        return (int) (tailAcquire() - headAcquire());
    }

    @Override
    public String toString() {
        return "subscription " + id + " to '" + pattern + "'";
    }
}
