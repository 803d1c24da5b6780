package io.treecast.fastpath.internal;

import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.TreePath;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** engine.replay-ring-bytes: the ring keeps the newest batches whose bytes fit, whatever its capacity in batches. */
class ReplayRingBytesTest {
    private static EngineCore ring(int capacity, long bytes) {
        return new EngineCore(capacity, bytes, Long.MAX_VALUE, Long.MAX_VALUE, new SlotBudget(Long.MAX_VALUE), 0);
    }

    private static Batch batch(String path, int valueBytes) {
        return Batch.of(Change.set(TreePath.parse(path), new byte[valueBytes]));
    }

    @Test
    void theOldestBatchesLeaveTheRingWhenItsBytesPassTheBudget() {
        // each batch: 3 path bytes + 100 value bytes + 32 per change = 135 bytes; 1,000 bytes hold 7 of them
        EngineCore core = ring(1024, 1_000);
        assertThat(batch("k/1", 100).bytes()).isEqualTo(135);
        for (int i = 1; i <= 50; i++) {
            core.apply(batch("k/" + (i % 10), 100));
            assertThat(core.ringBytesHeld()).isLessThanOrEqualTo(1_000);
        }
        assertThat(core.ringBytesHeld()).isEqualTo(7 * 135);
        for (long s = 44; s <= 50; s++) {
            assertThat(core.readRing(s)).as("seq %d", s).isNotNull();
        }
        for (long s = 1; s <= 43; s++) {
            assertThat(core.readRing(s)).as("seq %d", s).isNull();
            assertThat(core.appliedNanos(s)).isZero();
        }
    }

    @Test
    void expandedBatchesAreCountedByTheLeafLevelChangesTheRingHolds() {
        EngineCore core = ring(1024, 10_000);
        core.apply(Batch.of(Change.set(TreePath.parse("a/x"), new byte[10]), Change.set(TreePath.parse("a/y"), new byte[10])));
        long before = core.ringBytesHeld();
        // replacing the subtree: two implied deletes (3 + 32 bytes each) and the set (1 + 5 + 32)
        core.apply(Batch.of(Change.set(TreePath.parse("a"), new byte[5])));
        assertThat(core.ringBytesHeld() - before).isEqualTo(2 * 35 + 38);
    }

    @Test
    void aBatchLargerThanTheBudgetStaysAloneAsTheNewestEntry() {
        EngineCore core = ring(16, 100);
        core.apply(batch("a", 10));
        core.apply(batch("b", 10));
        core.apply(batch("c", 500));
        assertThat(core.readRing(3)).isNotNull();
        assertThat(core.readRing(2)).isNull();
        assertThat(core.readRing(1)).isNull();
        core.apply(batch("d", 10));
        assertThat(core.readRing(4)).isNotNull();
        assertThat(core.readRing(3)).isNull();
        assertThat(core.ringBytesHeld()).isEqualTo(43);
    }

    @Test
    void theCapacityInBatchesStillBoundsTheRingAndItsByteCount() {
        EngineCore core = ring(4, Long.MAX_VALUE);
        for (int i = 0; i < 10; i++) {
            core.apply(batch("a", 10));
        }
        assertThat(core.ringBytesHeld()).isEqualTo(4 * 43);
        assertThat(core.readRing(6)).isNull();
        assertThat(core.readRing(7)).isNotNull();
    }
}
