package io.treecast.fastpath;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A resume is served from the ring only while its batches are within the ring's byte budget; older ones RESET. */
class ReplayRingBudgetTest extends OneEngine {

    @Test
    void aResumeOlderThanTheRingsByteBudgetGetsResetAndASnapshotWhileARecentOneIsReplayed() {
        // 135 bytes a batch (3 + 100 + 32): 20 batches fit in 2,700 bytes although the ring has 1,024 slots
        engine = Engine.start(EngineConfig.builder().replayRingCapacity(1024).replayRingBytes(2_700).build());
        Recorder all = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")), all).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        for (int i = 1; i <= 100; i++) {
            engine.offer(Batch.of(Change.set(TreePath.parse("k/" + (i % 10)), new byte[100])));
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engine.currentSeq()).isEqualTo(100));

        Recorder recent = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")).withResumeAfter(85), recent).request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(recent.lastSeq).isEqualTo(100));
        assertThat(recent.events()).extracting(Recorder.Ev::kind).containsOnly(EventKind.UPDATE);
        assertThat(recent.events()).extracting(Recorder.Ev::seq).containsExactly(86L, 87L, 88L, 89L, 90L, 91L, 92L, 93L,
                94L, 95L, 96L, 97L, 98L, 99L, 100L);
        assertThat(engine.stats().resumesFromRing()).isEqualTo(1);

        Recorder old = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")).withResumeAfter(50), old).request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(old.snapshotDone).as("old.snapshotDone").isTrue());
        assertThat(old.events().get(0).kind()).isEqualTo(EventKind.RESET);
        assertThat(old.values()).hasSize(10);
        assertThat(engine.stats().resets()).isEqualTo(1);
        assertThat(all.lastSeq).isEqualTo(100);
    }
}
