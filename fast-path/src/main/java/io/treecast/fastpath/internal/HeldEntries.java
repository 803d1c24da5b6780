package io.treecast.fastpath.internal;

import java.util.Arrays;

/**
 * Outbox entries a subscription's dispatcher moved aside while it catches up (a snapshot, a store catch-up), so that
 * the outbox does not fill meanwhile: those up to P are merged into the snapshot, the rest are delivered first once
 * the subscription is live. Dispatcher thread only.
 */
final class HeldEntries {
    private static final long[] NO_SEQS = new long[0];
    private static final Object[] NO_REFS = new Object[0];
    /** Empty (shared) until a catch-up holds something: most subscriptions never do. */
    private long[] seqs = NO_SEQS;
    private Object[] refs = NO_REFS;
    private int count;
    /** The next one to deliver once live. */
    private int index;

    int count() {
        return count;
    }

    /**
     * Moves entries from {@code s}'s outbox until {@code limit} are held: while a walk (or the store) is slow at most
     * the outbox capacity is held; past that the entries stay in the outbox, which then fills and its policy applies
     * (STRICT: SLOW_CONSUMER; CONFLATE: one pending change per leaf, merged into the snapshot as usual). So a
     * snapshot holds at most twice the outbox.
     */
    void take(Sub s, int limit) {
        long h = s.headAcquire();
        long t = s.tailAcquire();
        long bytes = 0;
        while (h < t && count < limit) {
            if (count == seqs.length) {
                int n = Math.max(16, count * 2);
                seqs = Arrays.copyOf(seqs, n);
                refs = Arrays.copyOf(refs, n);
            }
            Object ref = s.entryRef(h);
            seqs[count] = s.entrySeq(h);
            refs[count] = ref;
            s.forgetEntry(h);
            count++;
            bytes += Applied.bytes(ref);
            h++;
        }
        if (bytes > 0) {
            s.tookOut(bytes); // held aside, bounded by the capacity: out of the outbox's byte count
        }
        s.headRelease(h);
    }

    /** The highest seq held (0 when none). */
    long maxSeq() {
        long max = 0;
        for (int i = 0; i < count; i++) {
            max = Math.max(max, seqs[i]);
        }
        return max;
    }

    /**
     * Hands the entries up to {@code p} and the conflated ones (which may carry changes up to P whatever their own
     * seq) to {@code build}, to be merged into the snapshot at P; keeps those after {@code p}.
     */
    void handUpTo(long p, SnapshotBuild build) {
        long[] mergeSeq = new long[count];
        Object[] mergeRef = new Object[count];
        int merge = 0;
        for (int k = 0; k < count; k++) {
            if (seqs[k] <= p || refs[k] instanceof Conflated) {
                mergeSeq[merge] = seqs[k];
                mergeRef[merge] = refs[k];
                merge++;
            }
        }
        build.heldSeq = mergeSeq;
        build.heldRef = mergeRef;
        build.heldCount = merge;
        retain(p, false);
    }

    /**
     * Drops the entries up to {@code p}; a conflated one stays when {@code keepConflated} (its changes after P are
     * still due; the live filter drops those up to P).
     */
    void retain(long p, boolean keepConflated) {
        int keep = 0;
        for (int k = 0; k < count; k++) {
            if (seqs[k] > p || (keepConflated && refs[k] instanceof Conflated)) {
                seqs[keep] = seqs[k];
                refs[keep] = refs[k];
                keep++;
            }
        }
        Arrays.fill(refs, keep, count, null);
        count = keep;
        index = 0;
    }

    /** Whether an entry is left to deliver. */
    boolean hasNext() {
        return index < count;
    }

    long nextSeq() {
        return seqs[index];
    }

    /** The next entry's ref; the entry is then delivered ({@link #hasNext} moves on). */
    Object takeNext() {
        Object ref = refs[index];
        refs[index] = null;
        index++;
        return ref;
    }

    /** Once every entry was delivered, the arrays are reused from the start. */
    void compact() {
        if (index > 0 && index == count) {
            index = 0;
            count = 0;
        }
    }
}
