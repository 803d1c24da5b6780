package io.treecast.fastpath.internal;

import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.Policy;
import io.treecast.fastpath.TreePath;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A leaf's remembered match list answers exactly as the subscription index would, within its byte budget. */
class LeafMatchesTest {
    private static final String[] PATTERNS = {"**", "a/**", "*/b", "a/{b,c}", "**/c", "b/*/a", "*", "a/b/c", "**/b/**"};

    private static Sub sub(long id, String pattern) {
        return new Sub(id, PathPattern.parse(pattern), (EventHandler) null, Policy.CONFLATE, false, -1, 16, 100, false, null);
    }

    /** One step: set (0), delete (1), subscribe (2) or unsubscribe (3), with a path / pattern / subscription pick. */
    record Op(int kind, String path, int pick) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<String> path = Arbitraries.of("a", "b", "c").list().ofMinSize(1).ofMaxSize(3).map(l -> String.join("/", l));
        Arbitrary<Op> op = net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 9), path, Arbitraries.integers().between(0, 99))
                .as((k, p, pick) -> new Op(k < 5 ? 0 : k < 7 ? 1 : k < 9 ? 2 : 3, p, pick));
        return op.list().ofMinSize(1).ofMaxSize(120);
    }

    @Property(tries = 300)
    void rememberedAnswersEqualTheIndexAndStayWithinTheBudget(@ForAll("ops") List<Op> ops,
                                                               @ForAll("budgets") long budget) {
        Tree tree = new Tree();
        SubscriptionIndex index = new SubscriptionIndex();
        LeafMatches cache = new LeafMatches(index, budget);
        tree.matchCache(cache);
        List<Sub> live = new ArrayList<>();
        long seq = 0;
        long ids = 0;
        for (Op op : ops) {
            TreePath p = TreePath.parse(op.path());
            switch (op.kind()) {
                case 0 -> {
                    Tree.Node leaf = tree.set(p, new byte[]{1}, ++seq, new ArrayList<>());
                    // twice: the first may walk the index and remember, the second replays what was remembered
                    for (int round = 0; round < 2; round++) {
                        List<Sub> remembered = new ArrayList<>();
                        cache.match(leaf, p, remembered::add);
                        List<Sub> walked = new ArrayList<>();
                        index.match(p, walked::add);
                        assertThat(remembered).as("round %d for %s", round, p).containsExactlyElementsOf(walked);
                    }
                }
                case 1 -> tree.delete(p, ++seq, new ArrayList<>());
                case 2 -> {
                    Sub s = sub(ids++, PATTERNS[op.pick() % PATTERNS.length]);
                    index.add(s);
                    live.add(s);
                }
                default -> {
                    if (!live.isEmpty()) {
                        index.remove(live.remove(op.pick() % live.size()));
                    }
                }
            }
            assertThat(cache.bytes()).as("remembered bytes").isEqualTo(bytesHeld(tree.root())).isLessThanOrEqualTo(budget);
        }
    }

    @Provide
    Arbitrary<Long> budgets() {
        return Arbitraries.of(0L, 40L, 1L << 20);
    }

    @Test
    void deletingEveryLeafReleasesEveryRememberedByte() {
        Tree tree = new Tree();
        SubscriptionIndex index = new SubscriptionIndex();
        LeafMatches cache = new LeafMatches(index, 1 << 20);
        tree.matchCache(cache);
        index.add(sub(1, "**"));
        index.add(sub(2, "a/*"));
        for (String p : List.of("a/x", "a/y", "b/z")) {
            TreePath path = TreePath.parse(p);
            cache.match(tree.set(path, new byte[]{1}, 1, new ArrayList<>()), path, s -> { });
        }
        // a/x and a/y match both (16 + 8 bytes each), b/z only '**' (16 + 4)
        assertThat(cache.bytes()).isEqualTo(24 + 24 + 20);

        tree.delete(TreePath.parse("a"), 2, new ArrayList<>());
        assertThat(cache.bytes()).isEqualTo(20);
        tree.delete(TreePath.parse("b/z"), 3, new ArrayList<>());
        assertThat(cache.bytes()).isZero();
    }

    @Test
    void anUnsubscribedSubscriptionIsNeitherReportedNorReferenced() {
        Tree tree = new Tree();
        SubscriptionIndex index = new SubscriptionIndex();
        LeafMatches cache = new LeafMatches(index, 1 << 20);
        tree.matchCache(cache);
        Sub gone = sub(1, "a/**");
        Sub stays = sub(2, "**");
        index.add(gone);
        index.add(stays);
        TreePath path = TreePath.parse("a/b");
        Tree.Node leaf = tree.set(path, new byte[]{1}, 1, new ArrayList<>());
        cache.match(leaf, path, s -> { });

        index.remove(gone);
        List<Sub> reported = new ArrayList<>();
        cache.match(leaf, path, reported::add);

        assertThat(reported).containsExactly(stays);
        assertThat(leaf.matches).as("remembered by number, never by reference").containsExactly(stays.indexId);
    }

    private static long bytesHeld(Tree.Node n) {
        long b = n.matches == null ? 0 : 16 + 4L * n.matches.length;
        Tree.Node[] t = n.childTable();
        if (t != null) {
            for (Tree.Node c : t) {
                if (c != null && c != Tree.TOMBSTONE) {
                    b += bytesHeld(c);
                }
            }
        }
        return b;
    }
}
