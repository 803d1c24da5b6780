package io.treecast.bench.engine;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The same work as {@link EngineThroughputBenchmark} (apply + match + enqueue + drain, 10,000 subscriptions),
 * measured in <em>CPU time of the benchmark thread</em> rather than wall time: on a shared machine where the
 * thread gets a fraction of a core, this is the figure that says what one dedicated core would do.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.treecast.bench.engine.CpuCostPerUpdate [changesPerBatch] [ops]</pre>
 */
public final class CpuCostPerUpdate {
    private CpuCostPerUpdate() {
    }

    public static void main(String[] args) {
        int perBatch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int ops = args.length > 1 ? Integer.parseInt(args[1]) : 2_000_000;
        EngineThroughputBenchmark b = new EngineThroughputBenchmark();
        b.subscriptions = 10_000;
        b.changesPerBatch = perBatch;
        b.setup();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Object sink = null;
        for (int round = 0; round < 5; round++) {
            long cpu0 = mx.getCurrentThreadCpuTime();
            long wall0 = System.nanoTime();
            for (int i = 0; i < ops; i++) {
                sink = b.applyMatchEnqueue();
            }
            long cpu = mx.getCurrentThreadCpuTime() - cpu0;
            long wall = System.nanoTime() - wall0;
            System.out.printf("round %d: %.0f ns CPU per batch of %d -> %.0f leaf updates/s per core (wall: %.0f/s)%n",
                    round, cpu / (double) ops, perBatch, 1e9 * ops * perBatch / cpu, 1e9 * ops * perBatch / wall);
        }
        if (sink == null) {
            System.out.println();
        }
    }
}
