package io.treecast.fastpath;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A histogram of durations in nanoseconds that any number of threads record into without a lock and without
 * allocating. Each recording thread has its own HdrHistogram {@link SingleWriterRecorder} (fixed-size counts with 2
 * significant digits, so a value is known within 1%): a shared recorder made every event loop's record a few
 * contended atomic increments on the same cache lines. Each thread that ever records keeps its shard (~100 KB) for
 * the histogram's life, so record from a fixed set of long-lived threads (event loops, dispatchers). Readers take a {@link Snapshot} (which allocates, off the hot path) and
 * compute quantiles or cumulative counts from it; readers are serialised among themselves, never with writers.
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
    /** Durations above this (ten minutes) count as this: the counts have a fixed size so recording never allocates. */
    public static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(10);
    private static final int DIGITS = 2;

    private final CopyOnWriteArrayList<Shard> shards = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Shard> mine = ThreadLocal.withInitial(this::newShard);
    /** Everything recorded up to the last snapshot; guarded by this. */
    private final Histogram total = new Histogram(1, HIGHEST_NANOS, DIGITS);

    /** One recording thread's recorder, and the interval histogram it hands back to be reused (guarded by the histogram). */
    private static final class Shard {
        final SingleWriterRecorder recorder = new SingleWriterRecorder(1, HIGHEST_NANOS, DIGITS);
        Histogram interval;
    }

    private Shard newShard() {
        Shard s = new Shard();
        shards.add(s);
        return s;
    }

    /** Records one duration; negative values (a clock step) count as 0. */
    public void record(long nanos) {
        mine.get().recorder.recordValue(nanos < 0 ? 0 : Math.min(nanos, HIGHEST_NANOS));
    }

    /** Values recorded so far (takes a snapshot's lock; not for a hot path). */
    public synchronized long count() {
        drain();
        return total.getTotalCount();
    }

    /** A copy of the counts now (allocates; call it from a metrics thread, not a hot path). */
    public synchronized Snapshot snapshot() {
        drain();
        return new Snapshot(total.copy(), total.getTotalCount() == 0 ? 0 : total.getMaxValue());
    }

    private void drain() {
        for (Shard s : shards) {
            s.interval = s.recorder.getIntervalHistogram(s.interval);
            total.add(s.interval);
        }
    }

    /** Counts of one moment; {@link #minus} gives the values recorded between two snapshots. */
    public static final class Snapshot {
        private final Histogram counts;
        private final long max;

        Snapshot(Histogram counts, long max) {
            this.counts = counts;
            this.max = max;
        }

        /** An empty snapshot (no values). */
        public static Snapshot empty() {
            return new Snapshot(new Histogram(1, HIGHEST_NANOS, DIGITS), 0);
        }

        public long count() {
            return counts.getTotalCount();
        }

        /** Sum of the recorded values in nanoseconds (within 1%: each value counts as the middle of its bucket). */
        public long sum() {
            return count() == 0 ? 0 : Math.round(counts.getMean() * count());
        }

        /** The largest value recorded since the histogram was created (not windowed by {@link #minus}), within 1%. */
        public long max() {
            return max;
        }

        /** The values recorded after {@code earlier} and up to this snapshot. */
        public Snapshot minus(Snapshot earlier) {
            Histogram window = counts.copy();
            window.subtract(earlier.counts);
            return new Snapshot(window, max);
        }

        /** The value below which a fraction {@code q} of the values lie, within 1%; 0 when empty. */
        public long valueAtQuantile(double q) {
            if (count() == 0) {
                return 0;
            }
            return counts.getValueAtPercentile(Math.min(1.0, Math.max(0.0, q)) * 100.0);
        }

        /**
         * How many values are at most {@code nanos} (a value within 1% above it may count too); grows with
         * {@code nanos}, as a Prometheus histogram needs.
         */
        public long countAtOrBelow(long nanos) {
            if (nanos < 0 || count() == 0) {
                return 0;
            }
            return counts.getCountBetweenValues(0, Math.min(nanos, HIGHEST_NANOS));
        }
    }
}
