package io.treecast.bench.engine;

import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.TreePath;
import io.treecast.fastpath.internal.CoreBench;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Matching cost of one path against the index: 20 matching subscriptions plus N that do not match but share
 * the trie's shape (same first segment, '*' and '**' edges). The cost should not grow with N.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MatchBenchmark {
    @Param({"100", "100000"})
    int nonMatching;

    private final CoreBench.Index index = new CoreBench.Index();
    private TreePath[] paths;
    private int next;

    @Setup
    public void setup() {
        String[] matching = {"markets/eu/fx/I7/bid", "markets/eu/fx/I7/*", "markets/*/fx/I7/{bid,ask}", "**/I7/bid", "markets/eu/**",
                "markets/**", "**/bid", "*/eu/*/*/bid", "markets/{eu,us}/fx/**", "markets/eu/fx/*/bid"};
        for (int k = 0; k < 2; k++) {
            for (String m : matching) {
                index.add(PathPattern.parse(m));
            }
        }
        for (int i = 0; i < nonMatching; i++) {
            String p;
            switch (i % 4) {
                case 0: p = "markets/eu/fx/X" + i + "/*"; break;
                case 1: p = "markets/*/fx/X" + i + "/{bid,ask}"; break;
                case 2: p = "**/X" + i + "/bid"; break;
                default: p = "other" + i + "/**"; break;
            }
            index.add(PathPattern.parse(p));
        }
        paths = new TreePath[] {TreePath.parse("markets/eu/fx/I7/bid"), TreePath.parse("markets/eu/fx/I8/bid"),
                TreePath.parse("markets/us/fx/I7/ask"), TreePath.parse("markets/eu/rates/I7/bid")};
    }

    @Benchmark
    public int match() {
        int i = next;
        next = (i + 1) & 3;
        return index.match(paths[i]);
    }
}
