package io.treecast.fastpath;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Guarantees 2 (snapshot then live) and 3 (resume) on the threaded engine, for random histories. */
class GuaranteePropertiesTest {
    private static final String[] PATTERNS = {"**", "a/**", "*/b", "{a,b}/*/c", "**/c"};

    @Provide
    Arbitrary<List<Batch>> histories() {
        Arbitrary<String> path = Arbitraries.of("a", "b", "c").list().ofMinSize(1).ofMaxSize(3).map(l -> String.join("/", l));
        Arbitrary<Change> change = Combinators.combine(path, Arbitraries.integers().between(0, 99), Arbitraries.integers().between(0, 4))
                .as((p, v, kind) -> kind == 0 ? Change.delete(TreePath.parse(p)) : Change.set(TreePath.parse(p), ("" + v).getBytes(UTF_8)));
        return change.list().ofMinSize(1).ofMaxSize(3).map(Batch::of).list().ofMinSize(1).ofMaxSize(60);
    }

    private static Map<String, String> expected(Engine engine, String pattern) throws Exception {
        Map<String, String> m = new HashMap<>();
        for (Leaf l : engine.get(PathPattern.parse(pattern)).get().leaves()) {
            m.put(l.path().toString(), new String(l.value(), UTF_8));
        }
        return m;
    }

    @Property(tries = 25)
    void snapshotPlusEventsReconstructsTheEngineStateForRandomInterleavings(@ForAll("histories") List<Batch> history,
                                                                            @ForAll @IntRange(min = 0, max = 59) int subscribeAt,
                                                                            @ForAll @IntRange(min = 0, max = 4) int patternIndex,
                                                                            @ForAll @IntRange(min = -1, max = 2) int dispatcherThreads,
                                                                            @ForAll @IntRange(min = 1, max = 4) int eventsPerDelivery) throws Exception {
        String pattern = PATTERNS[patternIndex];
        // 0 dispatcher threads: the writer delivers; -1: two single-thread executors deliver (as a gateway's event
        // loops do); several events per delivery: grouped hand-over
        List<java.util.concurrent.ScheduledExecutorService> loops = dispatcherThreads >= 0 ? List.of()
                : List.of(java.util.concurrent.Executors.newSingleThreadScheduledExecutor(),
                        java.util.concurrent.Executors.newSingleThreadScheduledExecutor());
        try (Engine engine = Engine.start(EngineConfig.builder().snapshotChunkLeaves(3).defaultOutboxCapacity(8)
                .dispatcherThreads(Math.max(0, dispatcherThreads)).dispatchExecutors(loops).build())) {
            List<Recorder> recorders = new ArrayList<>();
            for (int i = 0; i < history.size(); i++) {
                if (i == Math.min(subscribeAt, history.size() - 1) || i == 0) {
                    Recorder r = new Recorder();
                    engine.subscribe(SubscribeOptions.of(PathPattern.parse(pattern)).withSnapshot(true)
                            .withEventsPerDelivery(eventsPerDelivery)
                            .withDispatchOn(loops.isEmpty() ? null : loops.get(i % 2)), r).request(Long.MAX_VALUE);
                    recorders.add(r);
                }
                // fire-and-forget: batches race with the subscriptions' snapshot walks
                while (engine.offer(history.get(i)) != OfferResult.ACCEPTED) {
                    Thread.onSpinWait();
                }
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(engine.currentSeq()).isEqualTo(history.size()));
            Map<String, String> want = expected(engine, pattern);
            for (Recorder r : recorders) {
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> { assertThat(r.snapshotDone).as("r.snapshotDone").isTrue(); assertThat(r.values()).isEqualTo(want); });
                List<Recorder.Ev> evs = r.events();
                long last = -1;
                for (Recorder.Ev e : evs) {
                    if (e.kind() == EventKind.UPDATE) {
                        assertThat(e.seq()).isGreaterThan(last);
                        last = e.seq();
                    }
                }
            }
        } finally {
            loops.forEach(java.util.concurrent.ExecutorService::shutdownNow);
        }
    }

    @Property(tries = 15)
    void resumeReturnsExactlyTheMatchingEventsAfterTheResumePoint(@ForAll("histories") List<Batch> history,
                                                                   @ForAll @IntRange(min = 0, max = 60) int resumeAt,
                                                                   @ForAll @IntRange(min = 0, max = 4) int patternIndex) {
        String pattern = PATTERNS[patternIndex];
        try (Engine engine = Engine.start(EngineConfig.builder().build())) {
            Recorder reference = new Recorder();
            engine.subscribe(SubscribeOptions.of(PathPattern.parse(pattern)).withPolicy(Policy.STRICT).withOutboxCapacity(4096), reference)
                    .request(Long.MAX_VALUE);
            await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
            AtomicLong acked = new AtomicLong();
            for (Batch b : history) {
                engine.offer(b, AckMode.APPLIED, new AckListener() {
                    public void onAck(long seq) { acked.set(seq); }
                    public void onError(ErrorCode code, String message) { }
                });
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(acked.get()).isEqualTo(history.size()));
            long r = Math.min(resumeAt, history.size());
            Recorder resumed = new Recorder();
            engine.subscribe(SubscribeOptions.of(PathPattern.parse(pattern)).withResumeAfter(r), resumed).request(Long.MAX_VALUE);
            List<String> want = new ArrayList<>();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                want.clear();
                for (Recorder.Ev e : reference.events()) {
                    if (e.seq() > r) {
                        want.add(e.toString());
                    }
                }
                List<String> got = new ArrayList<>();
                resumed.events().forEach(e -> got.add(e.toString()));
                assertThat(got).isEqualTo(want);
                assertThat(reference.endCode).isNull();
            });
            assertThat(resumed.events()).allMatch(e -> e.kind() == EventKind.UPDATE && e.seq() > r);
        }
    }
}
