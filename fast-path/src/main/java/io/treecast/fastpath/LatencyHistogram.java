package io.treecast.fastpath;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A histogram of durations in nanoseconds that any number of threads record into without a lock and without
 * allocating: a fixed array of log-linear buckets (8 per power of two, so a bucket is at most 12.5% wide), each
 * an atomic counter. Readers take a {@link Snapshot} (which allocates, off the hot path) and compute quantiles or
 * cumulative counts from it; the snapshot is not atomic with respect to concurrent recording, which is fine for
 * metrics.
 *
 * <pre>{@code
 * LatencyHistogram h = new LatencyHistogram();
 * h.record(System.nanoTime() - startNanos);          // any thread, no lock, no allocation
 * LatencyHistogram.Snapshot s = h.snapshot();         // a metrics scrape
 * long p99 = s.valueAtQuantile(0.99);
 * long underOneMs = s.countAtOrBelow(1_000_000);
 * }</pre>
 */
public final class LatencyHistogram {
    private static final int SUB_BITS = 3;
    private static final int SUB = 1 << SUB_BITS;
    /** Buckets for every non-negative long: values below 8 exactly, then 8 per power of two up to 2^63. */
    static final int BUCKETS = (64 - SUB_BITS) * SUB;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong sum = new AtomicLong();
    private final AtomicLong max = new AtomicLong();

    /** Records one duration; negative values (a clock step) count as 0. */
    public void record(long nanos) {
        long v = nanos < 0 ? 0 : nanos;
        counts.getAndIncrement(index(v));
        count.getAndIncrement();
        sum.getAndAdd(v);
        long m = max.get();
        while (v > m && !max.compareAndSet(m, v)) {
            m = max.get();
        }
    }

    static int index(long v) {
        if (v < SUB) {
            return (int) v;
        }
        int e = 63 - Long.numberOfLeadingZeros(v);
        int sub = (int) (v >>> (e - SUB_BITS)) & (SUB - 1);
        return (e - SUB_BITS + 1) * SUB + sub;
    }

    /** The smallest value of bucket {@code i}. */
    static long lowerBound(int i) {
        if (i < SUB) {
            return i;
        }
        int e = i / SUB + SUB_BITS - 1;
        return (long) (SUB + i % SUB) << (e - SUB_BITS);
    }

    /** The largest value of bucket {@code i}. */
    static long upperBound(int i) {
        return i + 1 >= BUCKETS ? Long.MAX_VALUE : lowerBound(i + 1) - 1;
    }

    /** Values recorded so far. */
    public long count() {
        return count.get();
    }

    /** A copy of the counts now (allocates; call it from a metrics thread, not a hot path). */
    public Snapshot snapshot() {
        long[] c = new long[BUCKETS];
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            c[i] = counts.get(i);
            total += c[i];
        }
        return new Snapshot(c, total, sum.get(), max.get());
    }

    /** Counts of one moment; {@link #minus} gives the values recorded between two snapshots. */
    public static final class Snapshot {
        private final long[] counts;
        private final long count;
        private final long sum;
        private final long max;

        Snapshot(long[] counts, long count, long sum, long max) {
            this.counts = counts;
            this.count = count;
            this.sum = sum;
            this.max = max;
        }

        /** An empty snapshot (no values). */
        public static Snapshot empty() {
            return new Snapshot(new long[BUCKETS], 0, 0, 0);
        }

        public long count() {
            return count;
        }

        /** Sum of the recorded values in nanoseconds. */
        public long sum() {
            return sum;
        }

        /** The largest value recorded since the histogram was created (not windowed by {@link #minus}). */
        public long max() {
            return max;
        }

        /** The values recorded after {@code earlier} and up to this snapshot. */
        public Snapshot minus(Snapshot earlier) {
            long[] c = new long[BUCKETS];
            long total = 0;
            for (int i = 0; i < BUCKETS; i++) {
                c[i] = Math.max(0, counts[i] - earlier.counts[i]);
                total += c[i];
            }
            return new Snapshot(c, total, Math.max(0, sum - earlier.sum), max);
        }

        /**
         * The value below which a fraction {@code q} of the values lie, interpolated inside its bucket (so within
         * 12.5% of the true value); 0 when empty.
         */
        public long valueAtQuantile(double q) {
            if (count == 0) {
                return 0;
            }
            double rank = Math.max(1, Math.ceil(Math.min(1.0, Math.max(0.0, q)) * count));
            long seen = 0;
            for (int i = 0; i < BUCKETS; i++) {
                long c = counts[i];
                if (c == 0) {
                    continue;
                }
                if (seen + c >= rank) {
                    long lo = lowerBound(i);
                    long hi = upperBound(i);
                    double within = (rank - seen) / c;
                    return lo + (long) ((hi - lo) * within);
                }
                seen += c;
            }
            return max;
        }

        /**
         * How many values are at most {@code nanos}; values in the bucket that holds {@code nanos} are counted in
         * proportion to where it falls in the bucket, so the result grows with {@code nanos} (a Prometheus
         * histogram needs that).
         */
        public long countAtOrBelow(long nanos) {
            if (nanos < 0) {
                return 0;
            }
            int b = index(nanos);
            long n = 0;
            for (int i = 0; i < b; i++) {
                n += counts[i];
            }
            long lo = lowerBound(b);
            long hi = upperBound(b);
            long c = counts[b];
            if (c > 0) {
                n += hi == lo ? c : Math.round(c * ((double) (nanos - lo + 1) / (hi - lo + 1)));
            }
            return n;
        }
    }
}
