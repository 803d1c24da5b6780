package io.treecast.fastpath;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** engine.max-leaves and engine.max-tree-bytes: a batch that would grow the tree past them is refused whole. */
class TreeBudgetTest extends OneEngine {

    private static Change set(String path, String v) {
        return Change.set(TreePath.parse(path), v.getBytes(UTF_8));
    }

    private static Change del(String path) {
        return Change.delete(TreePath.parse(path));
    }

    /** The ack's seq, or the error as "CODE: message". */
    private Object offer(Change... changes) {
        AtomicReference<Object> result = new AtomicReference<>();
        assertThat(engine.offer(Batch.of(changes), AckMode.APPLIED, new AckListener() {
            public void onAck(long s) { result.set(s); }
            public void onError(ErrorCode code, String message) { result.set(code + ": " + message); }
        })).isEqualTo(OfferResult.ACCEPTED);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(result.get()).isNotNull());
        return result.get();
    }

    private Map<String, String> tree() throws Exception {
        Map<String, String> m = new java.util.HashMap<>();
        for (Leaf l : engine.get(PathPattern.parse("**")).get().leaves()) {
            m.put(l.path().toString(), new String(l.value(), UTF_8));
        }
        return m;
    }

    @Test
    void aBatchThatWouldPassMaxLeavesIsRefusedWholeAndChangesNothing() throws Exception {
        engine = Engine.start(EngineConfig.builder().maxLeaves(3).build());
        Recorder watcher = new Recorder();
        engine.subscribe(SubscribeOptions.of(PathPattern.parse("**")), watcher).request(Long.MAX_VALUE);
        await().untilAsserted(() -> assertThat(offer(set("a", "1"))).isEqualTo(1L));
        assertThat(offer(set("b", "2"), set("c", "3"))).isEqualTo(2L);

        // an overwrite and one new leaf: refused whole, the overwrite too
        Object refused = offer(set("a", "9"), set("d/e", "4"));
        assertThat(refused).asString()
                .startsWith("RESOURCE_EXHAUSTED: the tree holds 3 leaves and this batch would add up to 1 (first: d/e), "
                        + "more than the budget of 3 leaves (engine.max-leaves): nothing was applied;")
                .contains("raise engine.max-leaves");
        assertThat(tree()).containsExactlyInAnyOrderEntriesOf(Map.of("a", "1", "b", "2", "c", "3"));
        assertThat(engine.currentSeq()).isEqualTo(2);
        assertThat(engine.stats().rejectedBatches()).isEqualTo(1);

        // the engine carries on: overwrites that do not grow and deletes pass, and the room a delete frees is usable
        assertThat(offer(set("a", "8"))).isEqualTo(3L);
        assertThat(offer(del("b"))).isEqualTo(4L);
        assertThat(offer(set("d/e", "4"))).isEqualTo(5L);
        assertThat(tree()).containsExactlyInAnyOrderEntriesOf(Map.of("a", "8", "c", "3", "d/e", "4"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(watcher.lastSeq).isEqualTo(5));
        assertThat(watcher.events()).extracting(Recorder.Ev::seq).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(watcher.values()).isEqualTo(tree());
    }

    @Test
    void aBatchThatWouldPassMaxTreeBytesIsRefusedWholeWhileShrinkingOverwritesPass() throws Exception {
        // "k" = 1 path byte + 96 per node: 100 bytes of value make the leaf count 197 bytes
        String hundred = "x".repeat(100);
        engine = Engine.start(EngineConfig.builder().maxTreeBytes(400).build());
        assertThat(offer(set("k", hundred))).isEqualTo(1L);
        assertThat(offer(set("j", hundred))).isEqualTo(2L);
        Object refused = offer(set("i", "1"));
        assertThat(refused).asString()
                .startsWith("RESOURCE_EXHAUSTED: the tree holds 394 bytes (values, paths and nodes) and this batch would add up to 98, "
                        + "more than the budget of 400 bytes (engine.max-tree-bytes): nothing was applied;");
        // a value that grows an existing leaf is refused too
        assertThat(offer(set("k", hundred + "1234567"))).asString().startsWith("RESOURCE_EXHAUSTED:").contains("would add up to 7,");
        assertThat(tree()).containsOnlyKeys("k", "j");
        // shrinking makes room
        assertThat(offer(set("k", "small"))).isEqualTo(3L);
        assertThat(offer(set("i", "1"))).isEqualTo(4L);
        assertThat(tree()).containsExactlyInAnyOrderEntriesOf(Map.of("k", "small", "j", hundred, "i", "1"));
    }

    @Test
    void deletesPassEvenWhenTheTreeIsOverItsBudgetAndFreeRoom() throws Exception {
        engine = Engine.start(EngineConfig.builder().maxLeaves(2).build());
        assertThat(offer(set("m/a", "1"), set("m/b", "2"))).isEqualTo(1L);
        assertThat(offer(set("z", "3"))).asString().startsWith("RESOURCE_EXHAUSTED:");
        // a subtree delete frees both leaves; then a batch of two new leaves fits again
        assertThat(offer(del("m"))).isEqualTo(2L);
        assertThat(offer(set("z", "3"), set("y", "4"))).isEqualTo(3L);
        assertThat(tree()).containsOnlyKeys("z", "y");
    }
}
