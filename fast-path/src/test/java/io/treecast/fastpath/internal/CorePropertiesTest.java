package io.treecast.fastpath.internal;

import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.TreePath;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

/** The engine's tree against a map model, and the applied (journal) changes against the tree. */
class CorePropertiesTest {

    @Provide
    Arbitrary<List<List<Change>>> batches() {
        Arbitrary<String> path = Arbitraries.of("a", "b").list().ofMinSize(1).ofMaxSize(4).map(l -> String.join("/", l));
        Arbitrary<Change> change = Combinators.combine(path, Arbitraries.integers().between(0, 9), Arbitraries.integers().between(0, 3))
                .as((p, v, kind) -> kind == 0 ? Change.delete(TreePath.parse(p)) : Change.set(TreePath.parse(p), ("" + v).getBytes(UTF_8)));
        return change.list().ofMinSize(1).ofMaxSize(4).list().ofMinSize(1).ofMaxSize(40);
    }

    static void model(Map<String, String> m, Change c) {
        String p = c.path().toString();
        m.keySet().removeIf(k -> k.startsWith(p + "/") || k.equals(p) || (!c.isDelete() && p.startsWith(k + "/")));
        if (!c.isDelete()) {
            m.put(p, new String(c.value(), UTF_8));
        }
    }

    static Map<String, String> contents(Tree tree) {
        Map<String, String> m = new HashMap<>();
        walk(tree.root(), m);
        return m;
    }

    private static void walk(Tree.Node n, Map<String, String> m) {
        if (n.value() != null) {
            m.put(Tree.pathOf(n).toString(), new String(n.value(), UTF_8));
        }
        Tree.Node[] t = n.childTable();
        if (t != null) {
            for (Tree.Node c : t) {
                if (c != null && c != Tree.TOMBSTONE) {
                    walk(c, m);
                }
            }
        }
        if (n.parent() != null) {
            assertThat(n.value() != null || t != null).as("inner node %s without children must vanish", Tree.pathOf(n)).isTrue();
        }
    }

    @Property(tries = 200)
    void treeMatchesAMapModelAndAppliedChangesReplayToTheSameState(@ForAll("batches") List<List<Change>> batches) {
        EngineCore core = new EngineCore(64, 0);
        Map<String, String> model = new HashMap<>();
        Map<String, String> journal = new HashMap<>();
        long seq = 0;
        for (List<Change> b : batches) {
            Object applied = core.apply(Batch.of(b));
            assertThat(core.seq()).isEqualTo(++seq);
            b.forEach(c -> model(model, c));
            for (int i = 0; i < Applied.size(applied); i++) {
                Change c = Applied.change(applied, i);
                // leaf-level: a plain map put/remove must be enough to follow the tree
                if (c.isDelete()) {
                    assertThat(journal).as("applied delete of a leaf that exists").containsKey(c.path().toString());
                    journal.remove(c.path().toString());
                } else {
                    journal.put(c.path().toString(), new String(c.value(), UTF_8));
                }
            }
            assertThat(contents(core.tree())).isEqualTo(model);
            assertThat(journal).isEqualTo(model);
            assertThat(core.tree().leafCount()).isEqualTo(model.size());
        }
    }
}
