package io.treecast.fastpath;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A large snapshot is built off the dispatcher (the snapshot worker) while live updates flow through the same
 * dispatcher: the live subscription gets every batch once, in seq order, and the snapshot subscription the exact
 * state at P followed by every change after P (guarantee 2), also when it is cancelled halfway.
 */
class SnapshotIsolationTest {
    private static final int LEAVES = 20_000;
    private static final int UPDATES = 3_000;
    private Engine engine;

    @BeforeAll
    static void pollOften() {
        org.awaitility.Awaitility.setDefaultPollInterval(Duration.ofMillis(2));
    }

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private static Change set(String path, String v) {
        return Change.set(TreePath.parse(path), v.getBytes(UTF_8));
    }

    private void offer(Batch b) {
        while (engine.offer(b) != OfferResult.ACCEPTED) {
            Thread.onSpinWait();
        }
    }

    /** Fills bulk/b{0..199}/l{0..99}; returns the seq after the prefill. */
    private long prefill() {
        for (int i = 0; i < LEAVES; i += 1000) {
            List<Change> cs = new ArrayList<>();
            for (int k = i; k < i + 1000; k++) {
                cs.add(set("bulk/b" + (k / 100) + "/l" + (k % 100), "v" + k));
            }
            offer(Batch.of(cs.toArray(new Change[0])));
        }
        long prefilled = LEAVES / 1000;
        await().until(() -> engine.currentSeq() == prefilled);
        return prefilled;
    }

    @Test
    void aLargeSnapshotServedWhileUpdatesFlowKeepsEveryStreamInOrderWithNothingLost() throws Exception {
        engine = Engine.start(EngineConfig.builder().dispatcherThreads(1).build());
        Recorder live = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("live/**")).withPolicy(Policy.STRICT).withOutboxCapacity(1 << 16), live)
                .request(Long.MAX_VALUE);
        // the writer registers a subscription at its next cycle: once the prefill is applied, the live one is in
        long prefilled = prefill();
        Recorder snap = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("bulk/**")).withSnapshot(true).withPolicy(Policy.STRICT)
                .withOutboxCapacity(1 << 16), snap).request(Long.MAX_VALUE);
        // every batch changes a live leaf and its own prefilled bulk leaf, every fifth deletes it: they race with the
        // snapshot's walk (each changes the bulk tree, so each is an event of the snapshot subscription after P)
        for (int n = 0; n < UPDATES; n++) {
            List<Change> cs = new ArrayList<>();
            cs.add(set("live/x" + (n % 10), "" + n));
            String bulk = "bulk/b" + (n % 200) + "/l" + (n / 200);
            cs.add(n % 5 == 0 ? Change.delete(TreePath.parse(bulk)) : set(bulk, "u" + n));
            offer(Batch.of(cs.toArray(new Change[0])));
        }
        long last = prefilled + UPDATES;
        await().atMost(Duration.ofSeconds(20)).until(() -> live.count == UPDATES && snap.snapshotDone && snap.lastSeq == last);

        assertThat(live.endCode).isNull();
        assertThat(live.events()).extracting(Recorder.Ev::seq)
                .containsExactlyElementsOf(LongStream.rangeClosed(prefilled + 1, last).boxed().toList());

        Map<String, String> want = new HashMap<>();
        for (Leaf l : engine.get(PathPattern.parse("bulk/**")).get().leaves()) {
            want.put(l.path().toString(), new String(l.value(), UTF_8));
        }
        assertThat(want).hasSizeGreaterThan(LEAVES / 2);
        assertThat(snap.endCode).isNull();
        assertThat(snap.values()).isEqualTo(want);
        List<Recorder.Ev> evs = snap.events();
        int end = 0;
        while (evs.get(end).kind() != EventKind.SNAPSHOT_END) {
            assertThat(evs.get(end).kind()).isEqualTo(EventKind.SNAPSHOT);
            end++;
        }
        long p = evs.get(end).seq();
        List<Long> after = evs.subList(end + 1, evs.size()).stream().map(Recorder.Ev::seq).toList();
        // STRICT: every batch after P, once, in seq order (each batch touches one bulk leaf)
        assertThat(after).containsExactlyElementsOf(LongStream.rangeClosed(p + 1, last).boxed().toList());
        List<TreePath> snapshotPaths = new ArrayList<>();
        evs.subList(0, end).forEach(e -> e.changes().forEach(l -> snapshotPaths.add(l.path())));
        assertThat(snapshotPaths).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void aSnapshotSubscriptionCancelledAtOnceEndsQuietlyAndTheNextSnapshotIsServed() throws Exception {
        engine = Engine.start(EngineConfig.builder().dispatcherThreads(1).build());
        prefill();
        Recorder cancelled = new Recorder();
        Subscription sub = engine.subscribe(SubscribeOptions.of(PathPattern.parse("bulk/**")).withSnapshot(true), cancelled);
        sub.request(Long.MAX_VALUE);
        sub.cancel();
        Recorder next = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("bulk/b7/*")).withSnapshot(true), next).request(Long.MAX_VALUE);
        await().until(() -> next.snapshotDone);
        assertThat(next.values()).hasSize(100).containsEntry("bulk/b7/l3", "v703");
        await().until(() -> engine.stats().subscriptions() == 1);
        assertThat(cancelled.endCode).isNull();
    }
}
