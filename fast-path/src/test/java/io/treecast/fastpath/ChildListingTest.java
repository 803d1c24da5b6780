package io.treecast.fastpath;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** {@link Engine#children}: one level of the live tree, sorted, paged, after sets, replacements and deletes. */
class ChildListingTest {
    private Engine engine = Engine.start(EngineConfig.builder().build());

    @AfterEach
    void close() {
        engine.close();
    }

    private long apply(Change... changes) {
        AtomicLong seq = new AtomicLong(-1);
        engine.offer(Batch.of(changes), AckMode.APPLIED, new AckListener() {
            public void onAck(long s) { seq.set(s); }
            public void onError(ErrorCode code, String message) { seq.set(-2); }
        });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(seq.get()).isNotEqualTo(-1));
        return seq.get();
    }

    private static Change set(String path) {
        return Change.set(TreePath.parse(path), "v".getBytes(UTF_8));
    }

    private static List<String> names(ChildListing l) {
        return l.children().stream().map(c -> c.name() + (c.leaf() ? "" : "/")).toList();
    }

    @Test
    void listsOneLevelSortedTellingLeavesFromInnerNodes() {
        long seq = apply(set("m/z"), set("m/a/x"), set("m/k"), set("n"));
        ChildListing m = engine.children(TreePath.parse("m"), "", 10);
        assertThat(names(m)).containsExactly("a/", "k", "z");
        assertThat(m.more()).isFalse();
        assertThat(m.seq()).isEqualTo(seq);
        assertThat(names(engine.children(null, "", 10))).containsExactly("m/", "n");
    }

    @Test
    void pagesInNameOrderWhateverTheTableOrder() {
        Change[] many = new Change[300];
        for (int i = 0; i < many.length; i++) {
            many[i] = set("p/k" + String.format("%03d", (i * 7) % 300));
        }
        apply(many);
        String after = "";
        List<String> all = new java.util.ArrayList<>();
        ChildListing page;
        do {
            page = engine.children(TreePath.parse("p"), after, 64);
            assertThat(page.children()).hasSizeLessThanOrEqualTo(64);
            all.addAll(names(page));
            after = page.children().get(page.children().size() - 1).name();
        } while (page.more());
        assertThat(all).hasSize(300).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void followsReplacementsAndDeletes() {
        apply(set("r/a/deep"), set("r/b"));
        apply(set("r/a"), Change.delete(TreePath.parse("r/b")));   // a subtree replaced by a leaf; a leaf deleted
        assertThat(names(engine.children(TreePath.parse("r"), "", 10))).containsExactly("a");
        apply(Change.delete(TreePath.parse("r")));
        assertThat(engine.children(TreePath.parse("r"), "", 10).children()).isEmpty();
        assertThat(engine.children(TreePath.parse("no/such"), "", 10).children()).isEmpty();
    }

    @Test
    void aLimitBelowOneIsAProgrammingError() {
        assertThatThrownBy(() -> engine.children(null, "", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("limit must be at least 1, was 0");
    }
}
