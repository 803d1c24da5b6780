package io.treecast.fastpath.internal;

import io.treecast.fastpath.JournalFeed;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The journal feed: an SPSC ring from the writer to the journal thread of (seq, applied changes, appliedAtMicros),
 * with a running byte total per slot so that the bytes not yet durable ({@code engine.journal-bytes}) are one
 * subtraction on the writer. The journal marks what Kafka acknowledged with {@link #markDurable}, which moves the
 * engine's durable watermark.
 */
final class JournalFeedRing implements JournalFeed {
    private final long[] seqs;
    private final Object[] refs;
    private final long[] micros;
    /**
     * Writer only: the bytes of every batch appended so far, and that running total as of each slot's seq, so
     * the bytes not yet durable are one subtraction (engine.journal-bytes) however far the watermark moved.
     */
    private final long[] cumulativeBytes;
    private long totalBytes;
    private long firstSeq = -1;
    private final int mask;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();
    private final EventBuffer view = new EventBuffer();
    /** The engine's durable watermark, raised by the journal thread. */
    private final AtomicLong durable;

    JournalFeedRing(int capacity, AtomicLong durable) {
        this.durable = durable;
        int len = Integer.highestOneBit(Math.max(1, capacity - 1)) << 1;
        seqs = new long[len];
        refs = new Object[len];
        micros = new long[len];
        cumulativeBytes = new long[len];
        mask = len - 1;
    }

    /**
     * Bytes of the batches after {@code durableSeq} (writer thread). Valid while fewer than the ring's length are
     * not durable, which the batch-count check before it guarantees.
     */
    long bytesNotDurable(long durableSeq) {
        if (firstSeq < 0 || durableSeq < firstSeq) {
            return totalBytes;
        }
        return totalBytes - cumulativeBytes[(int) (durableSeq & mask)];
    }

    void append(long seq, Object ref, long at, long bytes) {
        if (firstSeq < 0) {
            firstSeq = seq;
        }
        totalBytes += bytes;
        cumulativeBytes[(int) (seq & mask)] = totalBytes;
        long t = tail.get();
        if (t - head.get() > mask) {
            // cannot happen while backlog < capacity is checked first; refuse loudly rather than overwrite
            throw new IllegalStateException("journal feed invariant broken: ring full at seq " + seq);
        }
        int i = (int) (t & mask);
        seqs[i] = seq;
        refs[i] = ref;
        micros[i] = at;
        tail.lazySet(t + 1);
    }

    @Override
    public int poll(JournalFeed.Consumer consumer, int limit) {
        long h = head.get();
        long t = tail.get();
        int n = 0;
        while (h < t && n < limit) {
            int i = (int) (h & mask);
            view.fill(seqs[i], refs[i], null, seqs[i] - 1);
            refs[i] = null;
            consumer.onBatch(view, micros[i]);
            h++;
            n++;
            head.lazySet(h);
        }
        return n;
    }

    @Override
    public void markDurable(long seq) {
        durable.accumulateAndGet(seq, Math::max);
    }
}
