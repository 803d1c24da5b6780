package io.treecast.bench.load;

import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.TreePath;

import java.util.ArrayList;
import java.util.List;

/**
 * The tree ({@code treecast-bench/markets/<region>/<class>/<instrument>/<field>}: under its own root, so a run against
 * a live server touches nothing else and removes what it wrote) and the subscribers' patterns, with, for each
 * leaf, a bit mask of the subscribers whose pattern matches it: publishers add it to per-subscriber expected counts
 * without matching anything on the hot path.
 */
public final class Workload {
    /** The first segment of every path the load generator writes; the run deletes it at the end. */
    public static final String ROOT = "treecast-bench";

    static final String[] REGIONS = {"eu", "us", "asia", "latam"};
    static final String[] CLASSES = {"fx", "eq", "rates", "cmdty", "crypto"};
    static final String[] FIELDS = {"bid", "ask", "last", "volume", "ts"};

    private final String[] paths;
    private final TreePath[] treePaths;
    private final List<String> patterns;
    private final PathPattern[] parsed;
    private final long[] masks;

    /** {@code leaves} leaves and the given patterns (empty: the default mix for {@code subscribers}). */
    public Workload(int leaves, List<String> patterns, int subscribers) {
        this.patterns = patterns.isEmpty() ? defaultPatterns(subscribers) : List.copyOf(patterns);
        this.parsed = new PathPattern[this.patterns.size()];
        for (int i = 0; i < parsed.length; i++) {
            parsed[i] = PathPattern.parse(this.patterns.get(i));
        }
        int perInstrument = FIELDS.length;
        int groups = REGIONS.length * CLASSES.length;
        int instruments = (leaves + groups * perInstrument - 1) / (groups * perInstrument);
        paths = new String[leaves];
        treePaths = new TreePath[leaves];
        masks = new long[leaves];
        // Spread leaves over every region and class first, so every pattern in the mix sees traffic.
        int n = 0;
        outer:
        for (int inst = 0; inst < instruments; inst++) {
            for (String field : FIELDS) {
                for (String region : REGIONS) {
                    for (String cls : CLASSES) {
                        if (n == leaves) {
                            break outer;
                        }
                        paths[n] = ROOT + "/markets/" + region + "/" + cls + "/i" + inst + "/" + field;
                        treePaths[n] = TreePath.parse(paths[n]);
                        long m = 0;
                        for (int s = 0; s < parsed.length; s++) {
                            if (parsed[s].matches(treePaths[n])) {
                                m |= 1L << s;
                            }
                        }
                        masks[n] = m;
                        n++;
                    }
                }
            }
        }
    }

    /**
     * The default mix: the firehose {@code **} first, then mid-path {@code **}, {@code *} and {@code {a,b}}
     * patterns of different breadth.
     */
    public static List<String> defaultPatterns(int subscribers) {
        List<String> out = new ArrayList<>();
        out.add(ROOT + "/**");
        int i = 0;
        while (out.size() < subscribers) {
            // i % 5 picks the shape, i / 5 the region/class/field, so the first 20 are all different.
            int k = i / 5;
            String r = REGIONS[k % REGIONS.length];
            String r2 = REGIONS[(k + 1) % REGIONS.length];
            String c = CLASSES[k % CLASSES.length];
            String f = FIELDS[k % FIELDS.length];
            switch (i % 5) {
                case 0: out.add(ROOT + "/markets/" + r + "/**"); break;
                case 1: out.add(ROOT + "/markets/*/" + c + "/*/" + f); break;
                case 2: out.add(ROOT + "/markets/{" + r + "," + r2 + "}/" + c + "/**"); break;
                case 3: out.add(ROOT + "/**/" + f); break;
                default: out.add(ROOT + "/markets/" + r + "/*/*/{bid,ask}"); break;
            }
            i++;
        }
        return out;
    }

    public int leaves() { return paths.length; }
    public String path(int leaf) { return paths[leaf]; }
    public TreePath treePath(int leaf) { return treePaths[leaf]; }
    /** Bit s set when subscriber s's pattern matches the leaf. */
    public long mask(int leaf) { return masks[leaf]; }
    public List<String> patterns() { return patterns; }
    public PathPattern pattern(int subscriber) { return parsed[subscriber]; }
}
