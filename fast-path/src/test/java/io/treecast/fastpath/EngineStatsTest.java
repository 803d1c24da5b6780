package io.treecast.fastpath;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The figures the metrics read: writer liveness and busy time, tree bytes, policies, outboxes, apply stamps. */
class EngineStatsTest {
    private Engine engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private long offerAcked(Batch b) {
        AtomicLong seq = new AtomicLong(-1);
        engine.offer(b, AckMode.APPLIED, new AckListener() {
            public void onAck(long s) { seq.set(s); }
            public void onError(ErrorCode code, String message) { seq.set(-2); }
        });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(seq.get()).isNotEqualTo(-1));
        return seq.get();
    }

    private static Change set(String path, String v) {
        return Change.set(TreePath.parse(path), v.getBytes(UTF_8));
    }

    @Test
    void writerIsAliveWhileTheEngineRunsAndNotAfterClose() {
        engine = Engine.start(EngineConfig.builder().build());
        assertThat(engine.stats().writerAlive()).isTrue();
        engine.close();
        assertThat(engine.stats().writerAlive()).isFalse();
    }

    @Test
    void treeValueBytesFollowSetsReplacementsAndSubtreeDeletes() {
        engine = Engine.start(EngineConfig.builder().build());
        offerAcked(Batch.of(set("a/b", "12345"), set("a/c", "123")));
        assertThat(engine.stats().treeValueBytes()).isEqualTo(8);
        offerAcked(Batch.of(set("a/b", "1")));
        assertThat(engine.stats().treeValueBytes()).isEqualTo(4);
        offerAcked(Batch.of(set("a/c/d", "12")));   // the leaf a/c becomes an inner node
        assertThat(engine.stats().treeValueBytes()).isEqualTo(3);
        offerAcked(Batch.of(Change.delete(TreePath.parse("a"))));
        assertThat(engine.stats().treeValueBytes()).isZero();
        assertThat(engine.stats().writerBusyNanos()).isPositive();
    }

    @Test
    void strictSubscriptionsAndOutboxDepthsAreCounted() {
        engine = Engine.start(EngineConfig.builder().build());
        Recorder strict = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("s/**")).withPolicy(Policy.STRICT).withOutboxCapacity(8), strict);
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("s/**")), new Recorder());
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(2));
        for (int i = 0; i < 5; i++) {
            offerAcked(Batch.of(set("s/" + i, "v")));
        }
        // nothing was requested: the events wait in the outboxes
        EngineStats s = engine.stats();
        assertThat(s.strictSubscriptions()).isEqualTo(1);
        assertThat(s.outboxDepthMax()).isEqualTo(5);
        assertThat(s.outboxDepthTotal()).isEqualTo(10);
        assertThat(s.outboxesOverHalf()).isEqualTo(1);
        // 5 of 8 is in the third quarter, 5 of 1024 in the first
        assertThat(s.outboxesByFill()).containsExactly(1, 0, 1, 0);
    }

    @Test
    void liveUpdatesCarryTheTimeTheirBatchWasApplied() {
        engine = Engine.start(EngineConfig.builder().build());
        AtomicLong stamp = new AtomicLong(-1);
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("t/*")), new EventHandler() {
            public void onEvent(EventView e) {
                stamp.set(e.appliedNanos());
            }

            public void onEnd(ErrorCode code, String message, long lastSeq) {
            }
        }).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        long before = System.nanoTime();
        offerAcked(Batch.of(set("t/x", "1")));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(stamp.get()).isNotEqualTo(-1));
        assertThat(stamp.get()).isBetween(before, System.nanoTime());
    }
}
