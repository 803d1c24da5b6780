package io.treecast.observability;

import io.treecast.observability.internal.WriterWatchdog;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** When the engine's writer counts as stuck: alive, work queued, and no duty cycle finished for the threshold. */
class WriterWatchdogTest {
    private static final long S = 1_000_000_000L;
    private final WriterWatchdog dog = new WriterWatchdog(10 * S);

    @Test
    void workQueuedAndNoCycleFinishedPastTheThresholdIsStuck() {
        assertThat(dog.observe(0, 5, 100, 7_000)).isFalse();
        assertThat(dog.observe(9 * S, 5, 100, 7_000)).isFalse();
        assertThat(dog.observe(10 * S, 8, 100, 7_000)).isTrue();
        assertThat(dog.stuckForNanos()).isEqualTo(10 * S);
        assertThat(dog.waiting()).isEqualTo(8);
    }

    @Test
    void anIdleWriterWithNothingQueuedIsNeverStuck() {
        for (long t = 0; t <= 60; t++) {
            assertThat(dog.observe(t * S, 0, 100, 7_000)).isFalse();
        }
        assertThat(dog.stuckForNanos()).isZero();
    }

    @Test
    void aWriterThatFinishesCyclesUnderASteadyBacklogIsNotStuck() {
        for (long t = 0; t <= 60; t++) {
            // the queue never empties (a heavy publisher) but batches keep being applied
            assertThat(dog.observe(t * S, 60_000, 100 + t, 7_000 + t)).isFalse();
        }
    }

    @Test
    void busyTimeAloneCountsAsProgress() {
        // a cycle that applied nothing countable (e.g. only subscriptions' work) still shows the thread runs
        dog.observe(0, 5, 100, 7_000);
        assertThat(dog.observe(11 * S, 5, 100, 8_000)).isFalse();
    }

    @Test
    void progressEndsTheStuckVerdict() {
        dog.observe(0, 5, 100, 7_000);
        assertThat(dog.observe(20 * S, 5, 100, 7_000)).isTrue();
        assertThat(dog.observe(21 * S, 5, 101, 7_500)).isFalse();
        assertThat(dog.stuckForNanos()).isZero();
        // and the clock starts again from the last progress
        assertThat(dog.observe(30 * S, 5, 101, 7_500)).isFalse();
        assertThat(dog.observe(31 * S, 5, 101, 7_500)).isTrue();
    }
}
