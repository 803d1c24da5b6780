package io.treecast.bench.engine;

import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.TreePath;
import io.treecast.fastpath.internal.CoreBench;

import java.lang.management.ManagementFactory;

/**
 * Heap per leaf at 1,000,000 leaves of the shape markets/&lt;region&gt;/&lt;class&gt;/&lt;instrument&gt;/&lt;field&gt;:
 * used heap after GC with the tree built, minus before, divided by the number of leaves. Every leaf shares one
 * value array, so the figure is the engine's own cost beyond the value bytes. The replay ring is kept small
 * (1024 batches) so that it does not hold the batches alive; its cost is separate (config).
 *
 * <pre>java -cp bench/target/benchmarks.jar io.treecast.bench.engine.HeapPerLeaf [leaves]</pre>
 */
public final class HeapPerLeaf {
    private HeapPerLeaf() {
    }

    public static void main(String[] args) {
        int leaves = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        byte[] value = new byte[8];
        long before = usedAfterGc();
        CoreBench core = new CoreBench(1024);
        int fields = 4;
        int instruments = leaves / (10 * 10 * fields);
        Change[] buf = new Change[1000];
        int n = 0;
        int made = 0;
        for (int r = 0; r < 10 && made < leaves; r++) {
            for (int c = 0; c < 10 && made < leaves; c++) {
                for (int i = 0; i < instruments && made < leaves; i++) {
                    for (int f = 0; f < fields && made < leaves; f++) {
                        buf[n++] = Change.set(TreePath.parse("markets/r" + r + "/c" + c + "/I" + i + "/f" + f), value);
                        made++;
                        if (n == buf.length) {
                            core.apply(Batch.of(buf));
                            n = 0;
                        }
                    }
                }
            }
        }
        if (n > 0) {
            core.apply(Batch.of(java.util.Arrays.copyOf(buf, n)));
        }
        // flush the ring of the batches (and their TreePaths) so that only the tree remains reachable
        for (int i = 0; i < 1024; i++) {
            core.apply(Batch.of(Change.set(TreePath.parse("markets/r0/c0/I0/f0"), value)));
        }
        long after = usedAfterGc();
        System.out.printf("leaves=%d heapBefore=%d heapAfter=%d bytesPerLeaf=%.1f (value bytes excluded: one shared 8-byte value)%n",
                core.leafCount(), before, after, (after - before) / (double) core.leafCount());
        if (core.seq() < 0) {
            System.out.println(core);
        }
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
