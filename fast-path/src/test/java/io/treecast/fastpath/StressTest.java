package io.treecast.fastpath;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Several producers and consumers at once: STRICT sees every matching batch in order, CONFLATE converges. */
class StressTest {
    private static final int PRODUCERS = 3;
    private static final int BATCHES = 3_000;

    @Test
    void strictSeesEveryMatchingBatchInSeqOrderAndConflateConvergesUnderConcurrentProducers() throws Exception {
        try (Engine engine = Engine.start(EngineConfig.builder().dispatcherThreads(2).inboundQueueCapacity(1024).build())) {
            List<Recorder> strict = new ArrayList<>();
            List<Recorder> conflate = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                Recorder r = new Recorder();
                engine.subscribe(SubscribeOptions.of(PathPattern.parse("p" + p + "/**")).withPolicy(Policy.STRICT)
                        .withOutboxCapacity(BATCHES + 16), r).request(Long.MAX_VALUE);
                strict.add(r);
            }
            for (int c = 0; c < 2; c++) {
                Recorder r = new Recorder();
                engine.subscribe(SubscribeOptions.of(PathPattern.parse("*/k/{0,1,2}")).withOutboxCapacity(8).withSnapshot(c == 1), r)
                        .request(Long.MAX_VALUE);
                conflate.add(r);
            }
            await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(PRODUCERS + 2));
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                int id = p;
                Thread t = new Thread(() -> {
                    for (int i = 0; i < BATCHES; i++) {
                        Batch b = Batch.of(Change.set(TreePath.parse("p" + id + "/k/" + (i % 5)), ("" + i).getBytes(UTF_8)),
                                Change.set(TreePath.parse("p" + id + "/n"), ("" + i).getBytes(UTF_8)));
                        while (engine.offer(b) != OfferResult.ACCEPTED) {
                            Thread.onSpinWait();
                        }
                    }
                }, "producer-" + p);
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join(60_000);
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(engine.currentSeq()).isEqualTo((long) PRODUCERS * BATCHES));
            for (Recorder r : strict) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(r.count == BATCHES || r.endCode != null).as("all %d batches (saw %d) or an end (%s)", BATCHES, r.count, r.endCode).isTrue());
                assertThat(r.endCode).isNull();
                List<Recorder.Ev> evs = r.events();
                for (int i = 1; i < evs.size(); i++) {
                    assertThat(evs.get(i).seq()).isGreaterThan(evs.get(i - 1).seq());
                    assertThat(evs.get(i).changes()).hasSize(2);
                }
            }
            Map<String, String> want = new HashMap<>();
            for (Leaf l : engine.get(PathPattern.parse("*/k/{0,1,2}")).get().leaves()) {
                want.put(l.path().toString(), new String(l.value(), UTF_8));
            }
            assertThat(want).hasSize(PRODUCERS * 3);
            for (Recorder r : conflate) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(r.values()).isEqualTo(want));
            }
        }
    }
}
