package io.treecast.fastpath;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * engine.outbox-budget-slots: outboxes start at 16 slots and double as they fill; all of them together, and the
 * pending maps of conflating subscriptions, stay within the budget.
 */
class OutboxBudgetTest extends OneEngine {

    private void publish(int from, int to, int leaves) {
        for (int i = from; i <= to; i++) {
            Batch b = Batch.of(Change.set(TreePath.parse("k/" + (i % leaves)), ("v" + i).getBytes(UTF_8)));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engine.offer(b)).isEqualTo(OfferResult.ACCEPTED));
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engine.currentSeq()).isEqualTo(to));
    }

    @Test
    void aHugeOutboxCapacityReservesOnlyAFirstRingAndASubscribeBeyondTheBudgetIsRefused() {
        engine = Engine.start(EngineConfig.builder().outboxBudgetSlots(1_000).build());
        List<Subscription> subs = new ArrayList<>();
        for (int i = 0; i < 62; i++) {
            subs.add(engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")).withOutboxCapacity(1 << 20), new Recorder()));
        }
        assertThat(engine.stats().outboxSlotsUsed()).isEqualTo(62 * 16);

        TreecastException refused = catchThrowableOfType(TreecastException.class, () ->
                engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")).withOutboxCapacity(1 << 20), new Recorder()));
        assertThat(refused.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        assertThat(refused.getMessage()).isEqualTo("the outboxes of all subscriptions already use 992 of the server's budget of "
                + "1000 slots (engine.outbox-budget-slots), so this subscription cannot get one: nothing was subscribed; "
                + "retry later, cancel subscriptions that do not read, or raise engine.outbox-budget-slots");
        assertThat(engine.stats().subscriptions()).isEqualTo(62);

        // a cancelled subscription gives its slots back, and the engine serves new ones
        subs.get(0).cancel();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engine.stats().outboxSlotsUsed()).isEqualTo(61 * 16));
        Recorder late = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")), late).request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(62));
        publish(1, 3, 10);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(late.lastSeq).isEqualTo(3));
    }

    @Test
    void aRingGrowsByDoublingAsItFillsAndDeliversEverythingInOrder() {
        engine = Engine.start(EngineConfig.builder().build());
        Recorder slow = new Recorder();
        Subscription sub = engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")).withPolicy(Policy.STRICT)
                .withOutboxCapacity(1024), slow);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        assertThat(engine.stats().outboxSlotsUsed()).isEqualTo(16);
        publish(1, 100, 10);
        assertThat(engine.stats().outboxSlotsUsed()).isEqualTo(128);
        sub.request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(slow.lastSeq).isEqualTo(100));
        assertThat(slow.events()).extracting(Recorder.Ev::seq).containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(1, 100).boxed().toList());
        sub.cancel();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engine.stats().outboxSlotsUsed()).isEqualTo(0));
    }

    @Test
    void aStrictSubscriptionWhoseRingCannotGrowEndsAsASlowConsumerNamingTheBudgetWhileOthersCarryOn() {
        engine = Engine.start(EngineConfig.builder().outboxBudgetSlots(48).build());
        Recorder stuck = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")).withPolicy(Policy.STRICT).withOutboxCapacity(1024), stuck);
        Recorder reader = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")).withOutboxCapacity(16), reader).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(2));
        publish(1, 40, 10);

        // 16 + 16 slots to start; the stuck ring grew to 32 (48 in all) and could not double again
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(stuck.endCode).isNotNull());
        assertThat(stuck.endCode).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(stuck.endMessage).isEqualTo("subscription 1 to 'k/*' ended: its outbox of 32 events (of 1024 asked) is full, "
                + "and the outboxes of all subscriptions already use the server's budget of 48 slots (engine.outbox-budget-slots); "
                + "read events faster or subscribe with a smaller outbox_capacity, or raise engine.outbox-budget-slots; "
                + "resubscribe with resume_after = 0");
        assertThat(engine.stats().budgetEnds()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(reader.lastSeq).isEqualTo(40));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engine.stats().outboxSlotsUsed()).isEqualTo(16));
        assertThat(reader.values()).hasSize(10);
    }

    @Test
    void aConflateSubscriptionWhoseRingCannotGrowConflatesOneValuePerLeaf() {
        // the ring may grow to 256 (256 slots), then the budget leaves room for one chunk of 16 pending leaves (64)
        engine = Engine.start(EngineConfig.builder().outboxBudgetSlots(256 + 64).build());
        Recorder slow = new Recorder();
        Subscription sub = engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")).withOutboxCapacity(1024), slow);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        publish(1, 2_000, 10);
        assertThat(engine.stats().outboxSlotsUsed()).isEqualTo(256 + 64);
        assertThat(engine.stats().conflatedChanges()).isGreaterThan(1_000);

        sub.request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(slow.lastSeq).isEqualTo(2_000));
        assertThat(slow.endCode).isNull();
        assertThat(slow.count).isLessThanOrEqualTo(256 + 1);
        for (int leaf = 0; leaf < 10; leaf++) {
            int last = 2_000 - ((2_000 - leaf) % 10);
            assertThat(slow.values()).containsEntry("k/" + leaf, "v" + last);
        }
    }

    @Test
    void aConflatingSubscriptionWhosePendingLeavesPassTheBudgetEndsAsASlowConsumerNamingTheBudget() {
        engine = Engine.start(EngineConfig.builder().outboxBudgetSlots(256 + 64).build());
        Recorder slow = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")).withOutboxCapacity(1024), slow);
        Recorder reader = new Recorder();
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        // distinct leaves: the 17th pending leaf needs a second chunk the budget does not have
        publish(1, 256 + 17, 1_000);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(slow.endCode).isNotNull());
        assertThat(slow.endCode).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(slow.endMessage).contains("it fell behind and holds the newest change of 17 leaves")
                .contains("(engine.outbox-budget-slots)").endsWith("resume_after = 0");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engine.stats().outboxSlotsUsed()).isEqualTo(0));
        // the engine carries on
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")), reader).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        publish(274, 280, 1_000);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(reader.lastSeq).isEqualTo(280));
    }

    @Test
    void aStrictOutboxThatWouldPinMoreThanItsBytesEndsAsASlowConsumerNamingTheKey() {
        // 3 + 100 + 32 = 135 bytes a batch: 7 fit in 1,000 bytes, the 8th does not
        engine = Engine.start(EngineConfig.builder().outboxMaxBytes(1_000).build());
        Recorder stuck = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")).withPolicy(Policy.STRICT), stuck);
        Recorder reader = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")).withPolicy(Policy.STRICT), reader).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(2));
        for (int i = 1; i <= 20; i++) {
            assertThat(engine.offer(Batch.of(Change.set(TreePath.parse("k/" + (i % 10)), new byte[100])))).isEqualTo(OfferResult.ACCEPTED);
            long seq = i;
            // one batch at a time, so that the reader's outbox never holds more than one (a burst may fill any outbox)
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(reader.lastSeq).isEqualTo(seq));
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(stuck.endCode).isNotNull());
        assertThat(stuck.endCode).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(stuck.endMessage).isEqualTo("subscription 1 to 'k/*' ended: its outbox holds 945 bytes of batches and the next "
                + "would pass its limit of 1000 bytes (engine.outbox-max-bytes); read events faster or subscribe with a smaller "
                + "outbox_capacity, or raise engine.outbox-max-bytes; resubscribe with resume_after = 0");
        assertThat(reader.endCode).isNull();
        assertThat(reader.events()).hasSize(20);
    }

    @Test
    void aConflateOutboxThatWouldPinMoreThanItsBytesConflatesAndDeliversTheNewestValues() {
        engine = Engine.start(EngineConfig.builder().outboxMaxBytes(1_000).build());
        Recorder slow = new Recorder();
        Subscription sub = engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")), slow);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        publish(1, 500, 10);
        assertThat(engine.stats().conflatedChanges()).isGreaterThan(400);
        sub.request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(slow.lastSeq).isEqualTo(500));
        assertThat(slow.endCode).isNull();
        // a batch counts at least 37 bytes ("k/0" + "v1" + 32): at most 27 of them in 1,000 bytes, then one conflated event
        assertThat(slow.count).isLessThanOrEqualTo(27 + 1);
        for (int leaf = 0; leaf < 10; leaf++) {
            assertThat(slow.values()).containsEntry("k/" + leaf, "v" + (500 - ((500 - leaf) % 10)));
        }
    }

    @Test
    void aStrictSubscriptionThatAsksForNoCapacityRidesOutAStallOfASecondAt50000EventsPerSecond() {
        // the defaults: bounded by bytes (64 MiB per outbox, 256 MiB for all), not by the 16,384 events a CONFLATE one gets
        engine = Engine.start(EngineConfig.builder().build());
        Recorder stalled = new Recorder();
        Subscription sub = engine.subscribe(SubscribeOptions.of(PathPattern.parse("**")).withPolicy(Policy.STRICT), stalled);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        for (int i = 1; i <= 50_000; i++) {
            Batch b = Batch.of(Change.set(TreePath.parse("k/" + i), ("v" + i).getBytes(UTF_8)));
            while (engine.offer(b) != OfferResult.ACCEPTED) {
                Thread.yield(); // the inbound queue is full for a moment: the writer drains it
            }
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(engine.currentSeq()).isEqualTo(50_000));
        assertThat(stalled.endCode).as("ended with %s", stalled.endMessage).isNull();
        // what it holds, as engine.outbox-budget-bytes counts it: "k/N" + "vN" + 32 bytes a batch
        assertThat(engine.stats().outboxBytes()).isGreaterThan(50_000L * 36).isLessThan(50_000L * 50);

        sub.request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(stalled.lastSeq).isEqualTo(50_000));
        assertThat(stalled.events()).extracting(Recorder.Ev::seq).containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(1, 50_000).boxed().toList());
        assertThat(stalled.endCode).isNull();
    }

    @Test
    void aConflateSubscriptionThatAsksForNoCapacityStillConflatesPastItsCountSoWhatItSeesStaysFresh() {
        engine = Engine.start(EngineConfig.builder().defaultOutboxCapacity(64).build());
        Recorder slow = new Recorder();
        Subscription sub = engine.subscribe(SubscribeOptions.of(PathPattern.parse("k/*")), slow);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        publish(1, 1_000, 10);
        assertThat(engine.stats().conflatedChanges()).isGreaterThan(900);
        sub.request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(slow.lastSeq).isEqualTo(1_000));
        assertThat(slow.count).isLessThanOrEqualTo(64 + 1);
    }

    /** Publishes one 100-byte value under {@code prefix} and waits until it is applied: 135 bytes a batch ("a/0" + 100 + 32). */
    private void publishBig(String prefix, int n) {
        for (int i = 0; i < n; i++) {
            Batch b = Batch.of(Change.set(TreePath.parse(prefix + "/" + (i % 10)), new byte[100]));
            long before = engine.currentSeq();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engine.offer(b)).isEqualTo(OfferResult.ACCEPTED));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engine.currentSeq()).isGreaterThan(before));
        }
    }

    @Test
    void whenAllOutboxesTogetherPassTheirByteBudgetTheStrictOneHoldingMoreThanItsShareEndsAndTheOthersCarryOn() {
        // 10,000 bytes for all outboxes; each outbox alone may hold 64 MiB: only the shared budget can end the stuck one
        engine = Engine.start(EngineConfig.builder().outboxBudgetBytes(10_000).build());
        Recorder stuck = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("a/*")).withPolicy(Policy.STRICT), stuck);
        Recorder reader = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("{a,b}/*")).withPolicy(Policy.STRICT), reader).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(2));
        publishBig("a", 120); // 16,200 bytes for the stuck outbox: past the budget
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(stuck.endCode).isNotNull());
        assertThat(stuck.endCode).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(stuck.endMessage).matches("subscription 1 to 'a/\\*' ended: its outbox holds \\d+ bytes of batches while the "
                + "outboxes of all subscriptions hold more than the server's budget of 10000 bytes \\(engine.outbox-budget-bytes\\), "
                + "and this one more than its share of 5000; read events faster or subscribe with a smaller outbox_capacity, "
                + "or raise engine.outbox-budget-bytes; resubscribe with resume_after = \\d+");
        assertThat(stuck.count).as("it got nothing: it never asked").isZero();
        assertThat(engine.stats().budgetEnds()).isEqualTo(1);

        publishBig("b", 200); // the reader, which reads, gets everything; the budget no longer holds the stuck one's batches
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(reader.lastSeq).isEqualTo(320));
        assertThat(reader.events()).extracting(Recorder.Ev::seq).containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(1, 320).boxed().toList());
        assertThat(reader.endCode).isNull();
    }

    @Test
    void whenAllOutboxesTogetherPassTheirByteBudgetTheConflateOneHoldingMoreThanItsShareConflatesAndLaterGetsTheNewestValues() {
        engine = Engine.start(EngineConfig.builder().outboxBudgetBytes(10_000).build());
        Recorder slow = new Recorder();
        Subscription sub = engine.subscribe(SubscribeOptions.of(PathPattern.parse("a/*")), slow);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        publishBig("a", 300);
        assertThat(engine.stats().conflatedChanges()).isGreaterThan(100);
        sub.request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(slow.lastSeq).isEqualTo(300));
        assertThat(slow.endCode).isNull();
        assertThat(slow.count).as("at most the budget's worth of 135-byte batches, then conflated events").isLessThan(150);
        assertThat(slow.values()).hasSize(10);
    }

    @Test
    void onceTheHogEndedAnotherSubscriptionThatIsBehindButFitsTheBudgetCarriesOn() {
        engine = Engine.start(EngineConfig.builder().outboxBudgetBytes(10_000).build());
        Recorder hog = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("a/*")).withPolicy(Policy.STRICT), hog);
        Recorder behind = new Recorder();
        Subscription behindSub = engine.subscribe(SubscribeOptions.of(PathPattern.parse("b/*")).withPolicy(Policy.STRICT), behind);
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(2));
        publishBig("b", 30); // 4,050 bytes, under its share of 5,000 while the hog passes the budget
        publishBig("a", 120); // the hog passes the budget and ends
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(hog.endCode).isEqualTo(ErrorCode.SLOW_CONSUMER));
        publishBig("b", 20); // 6,750 bytes now, more than half the budget: all outboxes together hold less than it
        assertThat(behind.endCode).as("ended with %s", behind.endMessage).isNull();
        behindSub.request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(behind.count).isEqualTo(50));
        assertThat(behind.endCode).isNull();
        assertThat(engine.stats().budgetEnds()).isEqualTo(1);
    }
}
