package io.treecast.fastpath.internal;

import io.treecast.fastpath.Change;
import io.treecast.fastpath.TreePath;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Recovery's record loader rebuilds the tree from journal records fed per path in order, paths in any order. */
class TreeLoadRecordTest {

    private record Rec(String path, byte[] value, long seq) {
    }

    private static Map<String, String> leaves(Tree t) {
        Map<String, String> out = new TreeMap<>();
        collect(t.root(), out);
        return out;
    }

    private static void collect(Tree.Node n, Map<String, String> out) {
        if (n.value() != null) {
            out.put(Tree.pathOf(n).toString(), new String(n.value(), StandardCharsets.UTF_8) + "@" + n.seqAcquire());
        }
        Tree.Node[] t = n.childTable();
        if (t != null) {
            for (Tree.Node c : t) {
                if (c != null && c != Tree.TOMBSTONE) {
                    collect(c, out);
                }
            }
        }
    }

    /** Applies random sets and deletes in seq order, writing the leaf-level records the journal would write. */
    private static Map<String, List<Rec>> history(Tree truth, Random rnd, int batches) {
        String[] segs = {"a", "b", "ü"};
        Map<String, List<Rec>> perPath = new LinkedHashMap<>();
        for (long seq = 1; seq <= batches; seq++) {
            int depth = 1 + rnd.nextInt(3);
            StringBuilder p = new StringBuilder();
            for (int i = 0; i < depth; i++) {
                p.append(i == 0 ? "" : "/").append(segs[rnd.nextInt(segs.length)]);
            }
            TreePath path = TreePath.parse(p.toString());
            List<Change> implied = new ArrayList<>();
            if (rnd.nextInt(4) == 0) {
                if (truth.delete(path, seq, implied)) {
                    implied.add(Change.delete(path));
                }
            } else {
                byte[] v = ("v" + seq).getBytes(StandardCharsets.UTF_8);
                truth.set(path, v, seq, implied);
                implied.add(Change.set(path, v));
            }
            for (Change c : implied) {
                perPath.computeIfAbsent(c.path().toString(), k -> new ArrayList<>()).add(new Rec(c.path().toString(), c.value(), seq));
            }
        }
        return perPath;
    }

    /** Interleaves the per-path record lists at random, keeping each path's own order (as partitions do). */
    private static List<Rec> interleave(Map<String, List<Rec>> perPath, Random rnd) {
        List<List<Rec>> queues = new ArrayList<>();
        perPath.values().forEach(l -> queues.add(new ArrayList<>(l)));
        List<Rec> out = new ArrayList<>();
        while (!queues.isEmpty()) {
            int i = rnd.nextInt(queues.size());
            out.add(queues.get(i).remove(0));
            if (queues.get(i).isEmpty()) {
                queues.remove(i);
            }
        }
        return out;
    }

    @Test
    void recordsFedPerPathInOrderButPathsInAnyOrderRebuildTheExactTree() {
        for (int run = 0; run < 300; run++) {
            Random rnd = new Random(run);
            Tree truth = new Tree();
            Map<String, List<Rec>> perPath = history(truth, rnd, 1 + rnd.nextInt(60));
            Tree loaded = new Tree();
            Tree.SegmentCache segments = new Tree.SegmentCache();
            for (Rec r : interleave(perPath, rnd)) {
                assertThat(loaded.loadRecord(r.path().getBytes(StandardCharsets.UTF_8), r.value(), r.seq(), segments)).isTrue();
            }
            assertThat(leaves(loaded)).as("run %d", run).isEqualTo(leaves(truth));
            assertThat(loaded.leafCount()).isEqualTo(truth.leafCount());
            // the tree budget's count is kept exact by every path that adds or removes leaves and nodes
            assertThat(truth.bytes()).as("run %d", run).isEqualTo(countedBytes(truth.root()));
            assertThat(loaded.bytes()).as("run %d", run).isEqualTo(countedBytes(loaded.root()));
        }
    }

    /** What {@link Tree#bytes()} should be, counted by walking: values, leaf paths' UTF-8 and 96 B per node. */
    private static long countedBytes(Tree.Node n) {
        long b = 0;
        if (n.parent() != null) {
            b += Tree.NODE_BYTES;
        }
        if (n.value() != null) {
            b += n.value().length + Tree.pathOf(n).utf8().length;
        }
        Tree.Node[] t = n.childTable();
        if (t != null) {
            for (Tree.Node c : t) {
                if (c != null && c != Tree.TOMBSTONE) {
                    b += countedBytes(c);
                }
            }
        }
        return b;
    }

    @Test
    void whenOnlyTheNewestRecordPerPathSurvivedTheHigherSeqWinsBetweenALeafAndALeafBelowIt() {
        // a crash can leave a/b's set without a's tombstone (they were in different partitions)
        Tree t = new Tree();
        Tree.SegmentCache segments = new Tree.SegmentCache();
        t.loadRecord(bytes("a/b"), bytes("new"), 9, segments);
        t.loadRecord(bytes("a"), bytes("old"), 5, segments);
        t.loadRecord(bytes("x"), bytes("newer"), 12, segments);
        t.loadRecord(bytes("x/y"), bytes("older"), 7, segments);
        t.loadRecord(bytes("x/z"), bytes("newest"), 14, segments);
        assertThat(leaves(t)).isEqualTo(Map.of("a/b", "new@9", "x/z", "newest@14"));
    }

    @Test
    void invalidKeysAreRefusedAndChangeNothing() {
        Tree t = new Tree();
        Tree.SegmentCache segments = new Tree.SegmentCache();
        for (String bad : new String[] {"", "a//b", "/a", "a/", "a/*", "a/{b}", "a,b", "a\u0001b"}) {
            assertThat(t.loadRecord(bytes(bad), bytes("v"), 1, segments)).as(bad).isFalse();
        }
        assertThat(t.loadRecord(bytes("grüße/ok"), bytes("v"), 2, segments)).isTrue();
        assertThat(leaves(t)).isEqualTo(Map.of("grüße/ok", "v@2"));
        assertThat(new HashMap<>(leaves(t))).hasSize(1);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
