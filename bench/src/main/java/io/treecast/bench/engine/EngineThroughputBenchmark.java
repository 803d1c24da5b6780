package io.treecast.bench.engine;

import io.treecast.fastpath.Batch;
import io.treecast.fastpath.PathPattern;
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

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Apply + match + enqueue on one thread (the writer's work) with N mixed wildcard subscriptions registered.
 * Each invocation applies one batch of {@code changesPerBatch} leaf updates of existing leaves; the outboxes it
 * filled are drained right after (a dispatcher's consumption), so they never reach the conflation mark.
 * Leaf updates/s = ops/s x changesPerBatch.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EngineThroughputBenchmark {
    @Param({"10000"})
    int subscriptions;

    @Param({"1", "10"})
    int changesPerBatch;

    private CoreBench core;
    private int batches;
    private int next;

    @Setup
    public void setup() {
        core = new CoreBench(1 << 16);
        // create every leaf first: the measured updates change existing leaves (the steady state)
        for (Batch b : Workload.updates(Workload.leafCount() * 4, 1, 7)) {
            core.apply(b);
        }
        List<PathPattern> patterns = Workload.patterns(subscriptions, 42);
        for (PathPattern pattern : patterns) {
            core.subscribe(pattern, 1024);
        }
        Batch[] prepared = Workload.updates(8192, changesPerBatch, 11);
        batches = prepared.length;
        double reached = core.prepare(prepared);
        System.out.printf("%n%d subscriptions, %.1f matching subscriptions per batch on average%n", subscriptions, reached);
    }

    @Benchmark
    public Object applyMatchEnqueue() {
        int i = next;
        next = (i + 1) & (batches - 1);
        return core.applyAndDrain(i);
    }
}
