package io.treecast.fastpath.internal;

import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.Policy;
import io.treecast.fastpath.Subscription;
import io.treecast.fastpath.TreecastException;


/**
 * One subscription: its bounded SPSC outbox (writer produces, one dispatcher consumes) and the state each side
 * owns. Fields are grouped by owner; only the volatile/atomic ones cross threads. The layout is chosen through the
 * superclasses (the JVM lays a superclass's fields out before its subclass's): what the writer touches per enqueue
 * first ({@link SubWriterFields}), then fields that are set once or rarely ({@link SubFixedFields}), then what the
 * dispatcher writes per delivery (here), so that an enqueue touches one or two cache lines instead of four and the
 * writer and the dispatcher do not write the same line.
 */
final class Sub extends SubFixedFields implements Subscription {
    /** Callbacks into the engine that owns this subscription. */
    public interface Owner {
        void cancel(Sub sub);

        void wake(Sub sub);
    }

    /** The ring's first length: a subscriber asking for a million events costs nothing until it falls behind. */
    static final int INITIAL_SLOTS = 16;

    /** Whether the writer records per-change matches (in {@link #outMatched}) for an entry of {@code changes} changes. */
    static boolean tracksMatches(int changes) {
        return changes > 1 && changes <= 64;
    }

    // ---- dispatcher-owned (written per delivery: kept off the writer's lines)
    /** Events of the open delivery; dispatcher thread only. */
    int inDelivery;
    /**
     * Consumer position (dispatcher writes, the writer reads it only when the outbox looks full by the position it
     * read last, {@link #headSeen}); a field, not an AtomicLong, to save a cache miss.
     */
    volatile long head;
    /** What the dispatcher took out, in {@code Batch.bytes()} (published with release, see {@link #maxBytes}). */
    volatile long bytesOut;
    /** The dispatcher's own running {@link #bytesOut}. */
    long bytesOutLocal;
    /** The seq a resume would start after (what the dispatcher tells onEnd). */
    long lastDelivered;
    /** Live changes up to this seq were delivered already (by the snapshot or the replay). */
    long after;

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
        this(id, pattern, handler, policy, snapshot, resumeAfter, capacity, Long.MAX_VALUE, conflateHighMarkPercent, internal, owner);
    }

    public Sub(long id, PathPattern pattern, EventHandler handler, Policy policy, boolean snapshot, long resumeAfter,
               int capacity, long maxBytes, int conflateHighMarkPercent, boolean internal, Owner owner) {
        super(id, pattern, handler, policy, snapshot, resumeAfter, capacity, highMark(capacity, conflateHighMarkPercent),
                maxBytes, internal, owner, initialLength(capacity));
    }

    private static int highMark(int capacity, int conflateHighMarkPercent) {
        return Math.max(1, (int) ((long) capacity * conflateHighMarkPercent / 100));
    }

    /** The ring length a subscription of {@code capacity} events starts with (what subscribing reserves). */
    static int initialLength(int capacity) {
        return Math.min(INITIAL_SLOTS, Integer.highestOneBit(Math.max(1, capacity - 1)) << 1);
    }

    /**
     * Writer: doubles the ring when it is full and may still grow, reserving the new slots from {@code budget}.
     * Entries between head and tail keep their positions (each at {@code pos & (length - 1)}). Returns false when
     * the ring is at its length limit or the budget refuses.
     */
    boolean grow(SlotBudget budget) {
        int len = mask + 1;
        if (len >= maxLength) {
            return false;
        }
        int next = len << 1;
        // the old arrays become garbage once the dispatcher moves on: the ring's reservation becomes its new length
        if (!budget.tryReserve(next - len)) {
            return false;
        }
        reservedSlots += next - len;
        long[] seqs = new long[next];
        Object[] refs = new Object[next];
        long[] matched = new long[next];
        int nextMask = next - 1;
        for (long p = headAcquire(); p < tailLocal; p++) {
            int from = (int) (p & mask);
            int to = (int) (p & nextMask);
            seqs[to] = outSeq[from];
            refs[to] = outRef[from];
            matched[to] = outMatched[from];
        }
        OUT_SEQ.setRelease(this, seqs);
        OUT_REF.setRelease(this, refs);
        OUT_MATCHED.setRelease(this, matched);
        mask = nextMask;
        return true;
    }

    /** Dispatcher: counts {@code bytes} of entries taken out of the outbox and publishes the total to the writer. */
    void tookOut(long bytes) {
        bytesOutLocal += bytes;
        BYTES_OUT.setRelease(this, bytesOutLocal);
    }

    long bytesOutAcquire() {
        return (long) BYTES_OUT.getAcquire(this);
    }

    /** Dispatcher: the seq of the outbox entry at position {@code pos} (between head and an acquired tail). */
    long entrySeq(long pos) {
        long[] a = (long[]) OUT_SEQ.getAcquire(this);
        return a[(int) (pos & (a.length - 1))];
    }

    /** Dispatcher: the applied-changes ref of the outbox entry at {@code pos}. */
    Object entryRef(long pos) {
        Object[] a = (Object[]) OUT_REF.getAcquire(this);
        return a[(int) (pos & (a.length - 1))];
    }

    /** Dispatcher: the matched-changes mask of the outbox entry at {@code pos} (see {@link #outMatched}). */
    long entryMatched(long pos) {
        long[] a = (long[]) OUT_MATCHED.getAcquire(this);
        return a[(int) (pos & (a.length - 1))];
    }

    /**
     * Dispatcher, for the entry at {@code pos} it has read and not yet released: forgets its ref, so that a large
     * ring that drained does not keep old batches alive until it wraps around (what {@link #maxBytes} counts is
     * then all it pins). The writer writes this slot again only after head passes it.
     */
    void forgetEntry(long pos) {
        Object[] a = (Object[]) OUT_REF.getAcquire(this);
        a[(int) (pos & (a.length - 1))] = null;
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
    private static final java.lang.invoke.VarHandle OUT_SEQ;
    private static final java.lang.invoke.VarHandle OUT_REF;
    private static final java.lang.invoke.VarHandle OUT_MATCHED;
    private static final java.lang.invoke.VarHandle BYTES_OUT;

    static {
        try {
            java.lang.invoke.MethodHandles.Lookup l = java.lang.invoke.MethodHandles.lookup();
            HEAD = l.findVarHandle(Sub.class, "head", long.class);
            TAIL = l.findVarHandle(SubWriterFields.class, "tail", long.class);
            OUT_SEQ = l.findVarHandle(SubWriterFields.class, "outSeq", long[].class);
            OUT_REF = l.findVarHandle(SubWriterFields.class, "outRef", Object[].class);
            OUT_MATCHED = l.findVarHandle(SubFixedFields.class, "outMatched", long[].class);
            BYTES_OUT = l.findVarHandle(Sub.class, "bytesOut", long.class);
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
