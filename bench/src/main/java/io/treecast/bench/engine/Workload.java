package io.treecast.bench.engine;

import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.TreePath;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The shape used by every engine benchmark: markets/&lt;region&gt;/&lt;class&gt;/&lt;instrument&gt;/&lt;field&gt;, and a
 * realistic mix of wildcard subscriptions (mostly one instrument, some cross-region, a few broad ones).
 */
final class Workload {
    static final String[] REGIONS = {"eu", "us", "asia", "latam"};
    static final String[] CLASSES = {"fx", "rates", "equity", "credit"};
    static final String[] FIELDS = {"bid", "ask", "last", "volume"};
    static final int INSTRUMENTS = 250;

    private Workload() {
    }

    static TreePath leaf(int region, int cls, int instrument, int field) {
        return TreePath.parse("markets/" + REGIONS[region] + "/" + CLASSES[cls] + "/I" + instrument + "/" + FIELDS[field]);
    }

    static int leafCount() {
        return REGIONS.length * CLASSES.length * INSTRUMENTS * FIELDS.length;
    }

    /** Every leaf once, in a shuffled order, each as its own one-change batch (or {@code perBatch} changes). */
    static Batch[] updates(int count, int perBatch, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] value = new byte[16];
        Batch[] out = new Batch[count];
        for (int b = 0; b < count; b++) {
            Change[] changes = new Change[perBatch];
            for (int c = 0; c < perBatch; c++) {
                changes[c] = Change.set(leaf(rnd.nextInt(REGIONS.length), rnd.nextInt(CLASSES.length), rnd.nextInt(INSTRUMENTS),
                        rnd.nextInt(FIELDS.length)), value);
            }
            out[b] = Batch.of(changes);
        }
        return out;
    }

    /** {@code n} patterns: 70% one instrument, 20% cross-region, 9% one field anywhere, ~1% broad. */
    static List<PathPattern> patterns(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<PathPattern> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(1000);
            String r = REGIONS[rnd.nextInt(REGIONS.length)];
            String c = CLASSES[rnd.nextInt(CLASSES.length)];
            String instr = "I" + rnd.nextInt(INSTRUMENTS);
            String p;
            if (kind < 700) {
                p = "markets/" + r + "/" + c + "/" + instr + "/*";
            } else if (kind < 900) {
                p = "markets/*/" + c + "/" + instr + "/{bid,ask}";
            } else if (kind < 990) {
                p = "**/" + instr + "/bid";
            } else if (kind < 999) {
                p = "markets/" + r + "/" + c + "/**";
            } else {
                p = "markets/**/last";
            }
            out.add(PathPattern.parse(p));
        }
        return out;
    }
}
