package io.treecast.fastpath;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A resume older than the replay ring is caught up from the {@link SnapshotStore}: RESET, the store's leaves
 * brought up to date with the ring, then live, with the exact state and no duplicate event.
 */
class SnapshotStoreResumeTest {
    private static final int RING = 64;

    private Engine engine;
    /** Every applied change, in seq order: the truth the fake store answers from. */
    private final List<Leaf> history = new ArrayList<>();

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

    /** A store that answers only when the test says so, complete up to a chosen seq, optionally with newer changes. */
    private final class ControlledStore implements SnapshotStore {
        final AtomicInteger asked = new AtomicInteger();
        final AtomicReference<CompletableFuture<Result>> reply = new AtomicReference<>();
        final AtomicReference<PathPattern> pattern = new AtomicReference<>();

        @Override
        public CompletableFuture<Result> snapshot(PathPattern p) {
            asked.incrementAndGet();
            pattern.set(p);
            CompletableFuture<Result> f = new CompletableFuture<>();
            reply.set(f);
            return f;
        }

        /** Answers with the state at {@code complete}, plus the changes with seq in (complete, alsoUpTo]. */
        void answer(long complete, long alsoUpTo) {
            answer(complete, alsoUpTo, List.of());
        }

        void answer(long complete, long alsoUpTo, List<Leaf> extra) {
            Map<TreePath, Leaf> state = new HashMap<>();
            for (Leaf l : history) {
                if (l.seq() <= alsoUpTo) {
                    if (l.value() == null) {
                        state.remove(l.path());
                    } else {
                        state.put(l.path(), l);
                    }
                }
            }
            List<Leaf> leaves = new ArrayList<>(extra);
            for (Leaf l : state.values()) {
                if (pattern.get().matches(l.path())) {
                    leaves.add(l);
                }
            }
            reply.get().complete(new Result(complete, leaves));
        }
    }

    private long write(String path, String value) {
        TreePath p = TreePath.parse(path);
        byte[] v = value == null ? null : value.getBytes(UTF_8);
        AtomicLong seq = new AtomicLong(-1);
        Change c = v == null ? Change.delete(p) : Change.set(p, v);
        engine.offer(Batch.of(c), AckMode.APPLIED, new AckListener() {
            public void onAck(long s) { seq.set(s); }
            public void onError(ErrorCode code, String message) { seq.set(-2); }
        });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(seq.get()).isNotEqualTo(-1));
        assertThat(seq.get()).isPositive();
        history.add(new Leaf(p, v, seq.get()));
        return seq.get();
    }

    /** Sets and deletes on r/0..r/9 (and an unmatched path) so that both kinds cross every boundary. */
    private void writeMany(int n, int salt) {
        for (int i = 0; i < n; i++) {
            int k = (i * 7 + salt) % 10;
            write("r/" + k, (i + salt) % 5 == 0 ? null : "v" + salt + "-" + i);
            if (i % 9 == 0) {
                write("other/" + k, "x");
            }
        }
    }

    private Map<String, String> engineState(String pattern) throws Exception {
        Map<String, String> m = new HashMap<>();
        for (Leaf l : engine.get(PathPattern.parse(pattern)).get().leaves()) {
            m.put(l.path().toString(), new String(l.value(), UTF_8));
        }
        return m;
    }

    private static void assertNoDuplicateOrStaleEvents(List<Recorder.Ev> events, long p) {
        long last = p;
        for (Recorder.Ev e : events) {
            if (e.kind() == EventKind.UPDATE) {
                assertThat(e.seq()).as("updates after the snapshot come once each, in seq order, after P").isGreaterThan(last);
                last = e.seq();
            }
        }
    }

    @Test
    void resumeOlderThanTheRingIsCaughtUpFromTheStoreThenTheRingThenLive() throws Exception {
        ControlledStore store = new ControlledStore();
        engine = Engine.start(EngineConfig.builder().replayRingCapacity(RING).snapshotStore(store).build());
        writeMany(200, 1);
        long storeComplete = engine.currentSeq() - 20;

        Recorder r = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("r/*")).withResumeAfter(5), r).request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(store.reply.get()).isNotNull());
        // writes while the store is being read: they reach the outbox and the ring, and must appear exactly once
        writeMany(15, 2);
        // the store already saw a few newer records (other partitions), including deletes
        store.answer(storeComplete, storeComplete + 12);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(r.snapshotDone).as("r.snapshotDone").isTrue());
        writeMany(30, 3);
        long last = engine.currentSeq();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engineState("r/*")).isEqualTo(r.values()));

        List<Recorder.Ev> events = r.events();
        assertThat(events.get(0).kind()).isEqualTo(EventKind.RESET);
        Recorder.Ev end = events.stream().filter(e -> e.kind() == EventKind.SNAPSHOT_END).findFirst().orElseThrow();
        assertThat(end.seq()).isGreaterThan(storeComplete);
        assertNoDuplicateOrStaleEvents(events, end.seq());
        assertThat(store.asked).hasValue(1);
        assertThat(engine.stats().resets()).isEqualTo(1);
        assertThat(engine.stats().resumesFromStore()).isEqualTo(1);
        assertThat(engine.currentSeq()).isEqualTo(last);
    }

    @Test
    void snapshotFromTheStoreIsExactlyTheStateAtItsSeq() throws Exception {
        ControlledStore store = new ControlledStore();
        engine = Engine.start(EngineConfig.builder().replayRingCapacity(RING).snapshotStore(store).build());
        writeMany(150, 4);
        Recorder r = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("r/*")).withResumeAfter(3), r).request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(store.reply.get()).isNotNull());
        long s = engine.currentSeq() - 30;
        store.answer(s, s + 25);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(r.snapshotDone).as("r.snapshotDone").isTrue());

        List<Recorder.Ev> events = r.events();
        long p = events.get(events.size() - 1).seq();
        Map<String, String> expected = new HashMap<>();
        for (Leaf l : history) {
            if (l.seq() <= p && l.path().toString().startsWith("r/")) {
                if (l.value() == null) {
                    expected.remove(l.path().toString());
                } else {
                    expected.put(l.path().toString(), new String(l.value(), UTF_8));
                }
            }
        }
        Map<String, String> snapshot = new HashMap<>();
        for (Recorder.Ev e : events) {
            if (e.kind() == EventKind.SNAPSHOT) {
                assertThat(e.seq()).isEqualTo(p);
                e.changes().forEach(l -> snapshot.put(l.path().toString(), new String(l.value(), UTF_8)));
            }
        }
        assertThat(snapshot).isEqualTo(expected);
    }

    @Test
    void theSnapshotIsTheStoresNotTheLiveTrees() {
        ControlledStore store = new ControlledStore();
        engine = Engine.start(EngineConfig.builder().replayRingCapacity(RING).snapshotStore(store).build());
        writeMany(100, 11);
        Recorder r = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("r/*")).withResumeAfter(1), r).request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(store.reply.get()).isNotNull());
        long s = engine.currentSeq() - 10;
        // a leaf only the store holds proves where the snapshot came from
        store.answer(s, s, List.of(new Leaf(TreePath.parse("r/stored"), "s".getBytes(UTF_8), 1)));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(r.snapshotDone).as("r.snapshotDone").isTrue());
        assertThat(r.values()).containsEntry("r/stored", "s");
    }

    @Test
    void storeTooFarBehindTheRingFallsBackToTheLiveTree() throws Exception {
        ControlledStore store = new ControlledStore();
        engine = Engine.start(EngineConfig.builder().replayRingCapacity(RING).snapshotStore(store).build());
        writeMany(200, 5);
        Recorder r = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("r/*")).withResumeAfter(2), r).request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(store.reply.get()).isNotNull());
        writeMany(10, 6);
        store.answer(10, 10);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(r.snapshotDone).as("r.snapshotDone").isTrue());
        writeMany(10, 7);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engineState("r/*")).isEqualTo(r.values()));
        assertThat(r.events().get(0).kind()).isEqualTo(EventKind.RESET);
        assertThat(engine.stats().resumesFromStore()).isZero();
    }

    @Test
    void storeThatFailsFallsBackToTheLiveTree() throws Exception {
        ControlledStore store = new ControlledStore();
        engine = Engine.start(EngineConfig.builder().replayRingCapacity(RING).snapshotStore(store).build());
        writeMany(100, 8);
        Recorder r = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("r/*")).withResumeAfter(1), r).request(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(store.reply.get()).isNotNull());
        writeMany(5, 9);
        store.reply.get().completeExceptionally(new IllegalStateException("store is rebalancing"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(r.snapshotDone).as("r.snapshotDone").isTrue());
        writeMany(5, 10);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engineState("r/*")).isEqualTo(r.values()));
    }
}
