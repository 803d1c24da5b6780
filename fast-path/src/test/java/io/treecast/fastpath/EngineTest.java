package io.treecast.fastpath;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import org.junit.jupiter.api.BeforeAll;

class EngineTest {
    private Engine engine;

    @BeforeAll
    static void pollOften() {
        // a bounded wait on a condition, checked often: these tests wait for engine threads, not for time
        org.awaitility.Awaitility.setDefaultPollInterval(Duration.ofMillis(2));
    }

    private Engine start(EngineConfig.Builder b) {
        engine = Engine.start(b.build());
        return engine;
    }

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    static Change set(String path, String v) {
        return Change.set(TreePath.parse(path), v.getBytes(UTF_8));
    }

    static Change del(String path) {
        return Change.delete(TreePath.parse(path));
    }

    private long offerAcked(Batch b) {
        AtomicLong seq = new AtomicLong(-1);
        assertThat(engine.offer(b, AckMode.APPLIED, new AckListener() {
            public void onAck(long s) { seq.set(s); }
            public void onError(ErrorCode code, String message) { seq.set(-2); }
        })).isEqualTo(OfferResult.ACCEPTED);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(seq.get()).isNotEqualTo(-1));
        return seq.get();
    }

    private Map<String, String> get(String pattern) throws Exception {
        TreeSnapshot s = engine.get(PathPattern.parse(pattern)).get();
        Map<String, String> m = new java.util.HashMap<>();
        for (Leaf l : s.leaves()) {
            m.put(l.path().toString(), new String(l.value(), UTF_8));
        }
        return m;
    }

    @Test
    void eachBatchGetsTheNextSeqAndGetReadsTheTree() throws Exception {
        start(EngineConfig.builder());
        assertThat(offerAcked(Batch.of(set("a/b", "1"), set("a/c", "2")))).isEqualTo(1);
        assertThat(offerAcked(Batch.of(set("x/y", "3")))).isEqualTo(2);
        assertThat(engine.currentSeq()).isEqualTo(2);
        assertThat(get("a/*")).containsExactlyInAnyOrderEntriesOf(Map.of("a/b", "1", "a/c", "2"));
        assertThat(get("**")).hasSize(3);
        assertThat(engine.get(PathPattern.parse("**")).get().seq()).isEqualTo(2);
    }

    @Test
    void deleteOfInnerNodeRemovesEverySubscribedLeaf() throws Exception {
        start(EngineConfig.builder());
        Recorder r = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("m/**")), r).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        offerAcked(Batch.of(set("m/eu/a", "1"), set("m/eu/b", "2"), set("m/us/c", "3")));
        offerAcked(Batch.of(del("m/eu")));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(r.count).isEqualTo(2));
        Recorder.Ev ev = r.events().get(1);
        assertThat(ev.seq()).isEqualTo(2);
        assertThat(ev.changes()).extracting(l -> l.path().toString()).containsExactlyInAnyOrder("m/eu/a", "m/eu/b");
        assertThat(ev.changes()).allMatch(l -> l.value() == null);
        assertThat(r.values()).containsOnlyKeys("m/us/c");
        assertThat(get("**")).containsOnlyKeys("m/us/c");
    }

    @Test
    void setOnAPathThroughALeafReplacesTheLeafAndSetOnAnInnerNodeReplacesTheSubtree() throws Exception {
        start(EngineConfig.builder());
        Recorder r = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("**")), r).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        offerAcked(Batch.of(set("a/b", "1")));
        offerAcked(Batch.of(set("a/b/c", "2")));
        assertThat(get("**")).isEqualTo(Map.of("a/b/c", "2"));
        offerAcked(Batch.of(set("a", "3")));
        assertThat(get("**")).isEqualTo(Map.of("a", "3"));
        await().untilAsserted(() -> assertThat(r.count).isEqualTo(3));
        assertThat(r.values()).isEqualTo(Map.of("a", "3"));
        assertThat(engine.stats().leaves()).isEqualTo(1);
    }

    @Test
    void deletingAMissingPathChangesNothingButStillGetsASeq() throws Exception {
        start(EngineConfig.builder());
        Recorder r = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("**")), r).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        assertThat(offerAcked(Batch.of(del("no/such")))).isEqualTo(1);
        assertThat(offerAcked(Batch.of(set("a", "1")))).isEqualTo(2);
        await().untilAsserted(() -> assertThat(r.count).isEqualTo(1));
        assertThat(r.events().get(0).seq()).isEqualTo(2);
    }

    @Test
    void handlerGetsNothingBeforeRequestAndNeverMoreThanRequested() {
        start(EngineConfig.builder());
        Recorder r = new Recorder();
        Subscription sub = engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")), r);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        for (int i = 0; i < 5; i++) {
            offerAcked(Batch.of(set("k/" + i, "v")));
        }
        assertThat(r.count).isZero();
        sub.request(2);
        await().untilAsserted(() -> assertThat(r.count).isEqualTo(2));
        sub.request(10);
        await().untilAsserted(() -> assertThat(r.count).isEqualTo(5));
        assertThat(r.events()).extracting(Recorder.Ev::seq).containsExactly(1L, 2L, 3L, 4L, 5L);
    }

    @Test
    void eventsReadyTogetherComeAsOneDeliveryAndDemandCountsDeliveries() {
        start(EngineConfig.builder());
        List<Integer> deliveries = new java.util.concurrent.CopyOnWriteArrayList<>();
        Recorder r = new Recorder() {
            private int inDelivery;

            @Override
            public synchronized void onEvent(EventView e) {
                super.onEvent(e);
                inDelivery++;
            }

            @Override
            public synchronized void onDeliveryEnd() {
                deliveries.add(inDelivery);
                inDelivery = 0;
            }
        };
        Subscription sub = engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")).withEventsPerDelivery(4), r);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        for (int i = 0; i < 10; i++) {
            offerAcked(Batch.of(set("k/" + i, "v")));
        }
        // ten events wait; two units of demand are two deliveries of at most four events
        sub.request(2);
        await().untilAsserted(() -> assertThat(deliveries.size()).isEqualTo(2));
        assertThat(deliveries).containsExactly(4, 4);
        sub.request(5);
        await().untilAsserted(() -> assertThat(r.count).isEqualTo(10));
        await().untilAsserted(() -> assertThat(deliveries.size()).isEqualTo(3));
        // the last two are sent as soon as they are ready, not held back to fill a delivery
        assertThat(deliveries).containsExactly(4, 4, 2);
        assertThat(r.events()).extracting(Recorder.Ev::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        offerAcked(Batch.of(set("k/x", "v")));
        await().untilAsserted(() -> assertThat(deliveries.size()).isEqualTo(4));
        assertThat(deliveries.get(3)).isEqualTo(1);
    }

    @Test
    void withNoDispatcherThreadsTheWriterDeliversHonoursDemandAndEndsSubscriptionsOnClose() {
        long dispatchersBefore = dispatcherThreadCount();
        start(EngineConfig.builder().dispatcherThreads(0));
        assertThat(dispatcherThreadCount()).isEqualTo(dispatchersBefore);
        Recorder r = new Recorder();
        Subscription sub = engine.subscribe(SubscribeOptions.of(PathPattern.parse("w/*")).withSnapshot(true), r);
        sub.request(1);
        await().untilAsserted(() -> assertThat(r.snapshotDone).as("r.snapshotDone").isTrue());
        for (int i = 0; i < 3; i++) {
            offerAcked(Batch.of(set("w/" + i, "v")));
        }
        // demand arrives from another thread and must wake the writer, which delivers
        sub.request(2);
        await().untilAsserted(() -> assertThat(r.count).isEqualTo(3));
        assertThat(r.events()).extracting(Recorder.Ev::seq).containsExactly(0L, 1L, 2L);
        sub.request(10);
        await().untilAsserted(() -> assertThat(r.count).isEqualTo(4));
        engine.close();
        await().untilAsserted(() -> assertThat(r.endCode).isEqualTo(ErrorCode.SHUTTING_DOWN));
    }

    @Test
    void onDispatchExecutorsEachSubscriptionIsDeliveredOnTheExecutorItNamesAndEndsOnClose() throws Exception {
        java.util.concurrent.ScheduledExecutorService a = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(t -> new Thread(t, "loop-a"));
        java.util.concurrent.ScheduledExecutorService b = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(t -> new Thread(t, "loop-b"));
        try {
            long dispatchersBefore = dispatcherThreadCount();
            start(EngineConfig.builder().dispatchExecutors(List.of(a, b)));
            assertThat(dispatcherThreadCount()).isEqualTo(dispatchersBefore);
            java.util.Set<String> threadsA = java.util.concurrent.ConcurrentHashMap.newKeySet();
            java.util.Set<String> threadsB = java.util.concurrent.ConcurrentHashMap.newKeySet();
            Recorder ra = new Recorder() {
                @Override
                public synchronized void onEvent(EventView e) {
                    threadsA.add(Thread.currentThread().getName());
                    super.onEvent(e);
                }
            };
            Recorder rb = new Recorder() {
                @Override
                public synchronized void onEvent(EventView e) {
                    threadsB.add(Thread.currentThread().getName());
                    super.onEvent(e);
                }
            };
            Subscription sa = engine.subscribe(SubscribeOptions.of(PathPattern.parse("e/*")).withSnapshot(true).withDispatchOn(a), ra);
            Subscription sb = engine.subscribe(SubscribeOptions.of(PathPattern.parse("e/**")).withDispatchOn(b), rb);
            sa.request(1);
            await().untilAsserted(() -> assertThat(ra.snapshotDone).as("ra.snapshotDone").isTrue());
            sb.request(Long.MAX_VALUE);
            await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(2));
            for (int i = 0; i < 3; i++) {
                offerAcked(Batch.of(set("e/" + i, "v")));
            }
            // demand from this thread reaches the executor's dispatcher, which delivers exactly what was asked
            sa.request(2);
            await().untilAsserted(() -> assertThat(ra.count).isEqualTo(3));
            await().untilAsserted(() -> assertThat(rb.count).isEqualTo(3));
            assertThat(ra.events()).extracting(Recorder.Ev::seq).containsExactly(0L, 1L, 2L);
            assertThat(rb.events()).extracting(Recorder.Ev::seq).containsExactly(1L, 2L, 3L);
            assertThat(threadsA).containsExactly("loop-a");
            assertThat(threadsB).containsExactly("loop-b");
            engine.close();
            assertThat(ra.endCode).isEqualTo(ErrorCode.SHUTTING_DOWN);
            assertThat(rb.endCode).isEqualTo(ErrorCode.SHUTTING_DOWN);
        } finally {
            a.shutdownNow();
            b.shutdownNow();
        }
    }

    private static long dispatcherThreadCount() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("treecast-dispatcher")).count();
    }

    @Test
    void aSubscriberGetsExactlyItsMatchingChangesOfABatchInBatchOrder() {
        start(EngineConfig.builder());
        Recorder fx = new Recorder();
        Recorder all = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("fx/*")), fx).request(Long.MAX_VALUE);
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("**")), all).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(2));
        long seq = offerAcked(Batch.of(set("fx/a", "1"), set("eq/b", "2"), set("fx/c", "3"), set("eq/d", "4"), set("fx/a", "5")));
        await().untilAsserted(() -> { assertThat(fx.count).isEqualTo(1); assertThat(all.count).isEqualTo(1); });
        assertThat(fx.events().get(0).seq()).isEqualTo(seq);
        assertThat(fx.events().get(0).changes()).extracting(l -> l.path().toString() + "=" + new String(l.value(), UTF_8))
                .containsExactly("fx/a=1", "fx/c=3", "fx/a=5");
        assertThat(all.events().get(0).changes()).hasSize(5);
    }

    @Test
    void eventsPerDeliveryOutsideItsRangeIsRefused() {
        assertThatThrownBy(() -> SubscribeOptions.of(PathPattern.parse("a")).withEventsPerDelivery(0))
                .hasMessageContaining("events per delivery must be 1..1024, was 0");
        assertThatThrownBy(() -> SubscribeOptions.of(PathPattern.parse("a")).withEventsPerDelivery(1025))
                .hasMessageContaining("was 1025");
    }

    @Test
    void snapshotThenLiveReconstructsTheState() {
        start(EngineConfig.builder().snapshotChunkLeaves(2));
        offerAcked(Batch.of(set("p/a", "1"), set("p/b", "2"), set("p/c", "3"), set("q/d", "4")));
        Recorder r = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("p/*")).withSnapshot(true), r).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(r.snapshotDone).as("r.snapshotDone").isTrue());
        offerAcked(Batch.of(set("p/a", "9"), del("p/b")));
        await().untilAsserted(() -> assertThat(r.values()).isEqualTo(Map.of("p/a", "9", "p/c", "3")));
        List<Recorder.Ev> evs = r.events();
        assertThat(evs.get(0).kind()).isEqualTo(EventKind.SNAPSHOT);
        assertThat(evs.get(0).changes()).hasSize(2);
        assertThat(evs.get(1).kind()).isEqualTo(EventKind.SNAPSHOT);
        assertThat(evs.get(2).kind()).isEqualTo(EventKind.SNAPSHOT_END);
        assertThat(evs.get(2).seq()).isEqualTo(1);
    }

    @Test
    void resumeFromTheRingDeliversExactlyTheEventsAfterTheResumePoint() {
        start(EngineConfig.builder());
        for (int i = 1; i <= 6; i++) {
            offerAcked(Batch.of(set("r/" + (i % 2 == 0 ? "even" : "odd"), "" + i)));
        }
        Recorder r = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("r/even")).withResumeAfter(2), r).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(r.count).isEqualTo(2));
        offerAcked(Batch.of(set("r/even", "8")));
        await().untilAsserted(() -> assertThat(r.count).isEqualTo(3));
        assertThat(r.events()).extracting(Recorder.Ev::seq).containsExactly(4L, 6L, 7L);
        assertThat(engine.stats().resumesFromRing()).isEqualTo(1);
    }

    @Test
    void resumeOlderThanTheRingGetsResetThenSnapshot() {
        start(EngineConfig.builder().replayRingCapacity(4));
        for (int i = 1; i <= 10; i++) {
            offerAcked(Batch.of(set("r/x", "" + i)));
        }
        Recorder r = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("r/*")).withResumeAfter(2), r).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(r.snapshotDone).as("r.snapshotDone").isTrue());
        List<Recorder.Ev> evs = r.events();
        assertThat(evs.get(0).kind()).isEqualTo(EventKind.RESET);
        assertThat(evs.get(evs.size() - 1).kind()).isEqualTo(EventKind.SNAPSHOT_END);
        assertThat(r.values()).isEqualTo(Map.of("r/x", "10"));
        assertThat(engine.stats().resets()).isEqualTo(1);
    }

    @Test
    void resumeAheadOfTheEngineGetsReset() {
        start(EngineConfig.builder());
        offerAcked(Batch.of(set("r/x", "1")));
        Recorder r = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("r/*")).withResumeAfter(99), r).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(r.snapshotDone).as("r.snapshotDone").isTrue());
        assertThat(r.events().get(0).kind()).isEqualTo(EventKind.RESET);
    }

    @Test
    void strictSubscriptionWhoseOutboxFillsEndsWithSlowConsumerAndOthersKeepFlowing() {
        start(EngineConfig.builder());
        Recorder slow = new Recorder();
        Recorder fast = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("s/*")).withPolicy(Policy.STRICT).withOutboxCapacity(4), slow);
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("s/*")), fast).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(2));
        for (int i = 0; i < 10; i++) {
            offerAcked(Batch.of(set("s/" + i, "v")));
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(slow.endCode).isNotNull());
        assertThat(slow.endCode).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(slow.endMessage).contains("outbox of 4 events").contains("STRICT").contains("resume_after");
        assertThat(slow.count).isZero();
        await().untilAsserted(() -> assertThat(fast.count).isEqualTo(10));
        assertThat(engine.stats().slowConsumerEnds()).isEqualTo(1);
    }

    @Test
    void conflatingSubscriptionKeepsOnlyTheNewestValuePerLeafAndConverges() {
        start(EngineConfig.builder().conflateHighMarkPercent(50));
        Recorder r = new Recorder();
        Subscription sub = engine.subscribe(SubscribeOptions.of(PathPattern.parse("c/*")).withOutboxCapacity(4), r);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        for (int i = 0; i < 50; i++) {
            offerAcked(Batch.of(set("c/" + (i % 3), "" + i)));
        }
        sub.request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(r.values()).isEqualTo(Map.of("c/0", "48", "c/1", "49", "c/2", "47")));
        assertThat(r.events()).anyMatch(Recorder.Ev::conflated);
        assertThat(r.count).isLessThan(50);
        assertThat(engine.stats().conflatedChanges()).isPositive();
        List<Recorder.Ev> evs = r.events();
        for (int i = 1; i < evs.size(); i++) {
            assertThat(evs.get(i).seq()).isGreaterThan(evs.get(i - 1).seq());
        }
    }

    @Test
    void durableAckWithoutJournalIsRefusedWithAClearMessage() {
        start(EngineConfig.builder());
        AtomicReference<String> err = new AtomicReference<>();
        AtomicReference<ErrorCode> code = new AtomicReference<>();
        engine.offer(Batch.of(set("a", "1")), AckMode.DURABLE, new AckListener() {
            public void onAck(long seq) { }
            public void onError(ErrorCode c, String message) { code.set(c); err.set(message); }
        });
        await().untilAsserted(() -> assertThat(err.get()).isNotNull());
        assertThat(code.get()).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(err.get()).contains("durability is off").contains("use ack APPLIED");
    }

    @Test
    void subscriptionLimitsAreEnforcedWithCodes() {
        start(EngineConfig.builder().maxSubscriptions(1).defaultOutboxCapacity(1024).maxOutboxCapacity(2048));
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("a")), new Recorder());
        assertThatThrownBy(() -> engine.subscribe(SubscribeOptions.of(PathPattern.parse("b")), new Recorder()))
                .isInstanceOfSatisfying(TreecastException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.TOO_MANY_SUBSCRIPTIONS);
                    assertThat(e.getMessage()).contains("maximum of 1");
                });
        assertThatThrownBy(() -> engine.subscribe(SubscribeOptions.of(PathPattern.parse("b")).withOutboxCapacity(4096), new Recorder()))
                .isInstanceOfSatisfying(TreecastException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
                    assertThat(e.getMessage()).contains("4096").contains("2048");
                });
    }

    @Test
    void fullInboundQueueBackPressuresAndClosedEngineRefuses() {
        start(EngineConfig.builder().inboundQueueCapacity(2));
        OfferResult last = OfferResult.ACCEPTED;
        for (int i = 0; i < 100_000 && last == OfferResult.ACCEPTED; i++) {
            last = engine.offer(Batch.of(set("a/" + (i % 100), "v")));
        }
        assertThat(last).isEqualTo(OfferResult.BACK_PRESSURED);
        Recorder r = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("z")), r).request(1);
        engine.close();
        assertThat(engine.offer(Batch.of(set("a", "1")))).isEqualTo(OfferResult.CLOSED);
        assertThat(r.endCode).isEqualTo(ErrorCode.SHUTTING_DOWN);
        assertThatThrownBy(() -> engine.subscribe(SubscribeOptions.of(PathPattern.parse("b")), new Recorder()))
                .isInstanceOfSatisfying(TreecastException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SHUTTING_DOWN));
    }

    @Test
    void cancelStopsDeliveryAndFreesTheSlot() {
        start(EngineConfig.builder().maxSubscriptions(1));
        Recorder r = new Recorder();
        Subscription s = engine.subscribe(SubscribeOptions.of(PathPattern.parse("a")), r);
        s.request(Long.MAX_VALUE);
        s.cancel();
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(0));
        offerAcked(Batch.of(set("a", "1")));
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("b")), new Recorder());
        assertThat(r.count).isZero();
        assertThat(r.endCode).isNull();
    }

    @Test
    void aThrowingHandlerOrListenerIsCountedAndTheEngineKeepsServingOthers() {
        start(EngineConfig.builder());
        Recorder good = new Recorder();
        Recorder[] badEnd = {new Recorder()};
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("t/*")), new EventHandler() {
            public void onEvent(EventView e) { throw new IllegalStateException("handler bug"); }
            public void onEnd(ErrorCode code, String message, long lastSeq) { badEnd[0].onEnd(code, message, lastSeq); }
        }).request(Long.MAX_VALUE);
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("t/*")), good).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(2));
        engine.offer(Batch.of(set("t/a", "1")), AckMode.APPLIED, new AckListener() {
            public void onAck(long seq) { throw new IllegalStateException("listener bug"); }
            public void onError(ErrorCode code, String message) { }
        });
        offerAcked(Batch.of(set("t/b", "2")));
        await().untilAsserted(() -> { assertThat(badEnd[0].endCode).isNotNull(); assertThat(good.count).isEqualTo(2); });
        assertThat(badEnd[0].endCode).isEqualTo(ErrorCode.INTERNAL);
        assertThat(badEnd[0].endMessage).contains("handler bug").contains("resubscribe");
        await().untilAsserted(() -> assertThat(engine.stats().loopErrors()).isEqualTo(2));
        assertThat(good.values()).containsOnlyKeys("t/a", "t/b");
    }
}
