package io.treecast.fastpath;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LatencyHistogramTest {

    @Test
    void quantilesOfAUniformSpreadAreWithinOnePercent() {
        LatencyHistogram h = new LatencyHistogram();
        for (long micros = 1; micros <= 10_000; micros++) {
            h.record(micros * 1000);
        }
        LatencyHistogram.Snapshot s = h.snapshot();
        assertThat(s.count()).isEqualTo(10_000);
        assertThat((double) s.valueAtQuantile(0.5)).isCloseTo(5_000_000, within(5_000_000 * 0.01));
        assertThat((double) s.valueAtQuantile(0.99)).isCloseTo(9_900_000, within(9_900_000 * 0.01));
        assertThat((double) s.valueAtQuantile(0.999)).isCloseTo(9_990_000, within(9_990_000 * 0.01));
        assertThat((double) s.max()).isCloseTo(10_000_000, within(10_000_000 * 0.01));
        assertThat((double) s.sum()).isCloseTo(1000.0 * 10_000 * 10_001 / 2, within(1000.0 * 10_000 * 10_001 / 2 * 0.01));
    }

    @Test
    void countAtOrBelowGrowsWithTheLimitAndEndsAtTheTotal() {
        LatencyHistogram h = new LatencyHistogram();
        for (long v = 0; v < 5_000; v += 3) {
            h.record(v * 997);
        }
        LatencyHistogram.Snapshot s = h.snapshot();
        long previous = 0;
        for (long limit = 0; limit < 6_000_000; limit += 12_345) {
            long n = s.countAtOrBelow(limit);
            assertThat(n).isGreaterThanOrEqualTo(previous);
            previous = n;
        }
        assertThat(s.countAtOrBelow(Long.MAX_VALUE)).isEqualTo(s.count());
        assertThat(s.countAtOrBelow(-1)).isZero();
    }

    @Test
    void minusKeepsOnlyTheValuesRecordedBetweenTwoSnapshots() {
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < 1000; i++) {
            h.record(10_000_000);
        }
        LatencyHistogram.Snapshot before = h.snapshot();
        for (int i = 0; i < 100; i++) {
            h.record(1_000);
        }
        LatencyHistogram.Snapshot window = h.snapshot().minus(before);
        assertThat(window.count()).isEqualTo(100);
        assertThat((double) window.sum()).isCloseTo(100_000, within(100_000 * 0.01));
        assertThat(window.valueAtQuantile(0.999)).isLessThan(1_020);
        assertThat((double) window.max()).as("max stays the all-time max").isCloseTo(10_000_000, within(100_000.0));
        assertThat(LatencyHistogram.Snapshot.empty().valueAtQuantile(0.99)).isZero();
    }

    @Test
    void negativeDurationsCountAsZeroAndHugeOnesAsTheHighest() {
        LatencyHistogram h = new LatencyHistogram();
        h.record(-5);
        h.record(Long.MAX_VALUE);
        LatencyHistogram.Snapshot s = h.snapshot();
        assertThat(s.countAtOrBelow(0)).isEqualTo(1);
        assertThat((double) s.max()).isCloseTo(LatencyHistogram.HIGHEST_NANOS, within(LatencyHistogram.HIGHEST_NANOS * 0.01));
    }

    @Test
    void concurrentRecordersLoseNoValueWhileSnapshotsAreTaken() throws Exception {
        LatencyHistogram h = new LatencyHistogram();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int t = 0; t < 4; t++) {
                pool.execute(() -> {
                    for (int i = 0; i < 100_000; i++) {
                        h.record(i);
                    }
                });
            }
            for (int i = 0; i < 100; i++) {
                assertThat(h.snapshot().count()).isBetween(0L, 400_000L);
            }
        } finally {
            pool.shutdown();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        }
        assertThat(h.count()).isEqualTo(400_000);
        assertThat(h.snapshot().count()).isEqualTo(400_000);
    }
}
