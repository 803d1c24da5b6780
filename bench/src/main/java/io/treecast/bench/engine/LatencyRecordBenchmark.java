package io.treecast.bench.engine;

import io.treecast.fastpath.LatencyHistogram;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What the gateway pays per delivered event for the delivery latency metric: one {@code System.nanoTime()} and
 * one {@link LatencyHistogram#record} (HdrHistogram's Recorder). Run with {@code -prof gc} to see that it allocates nothing; the two-thread
 * variant shows the cost when two dispatcher threads record into the same histogram.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LatencyRecordBenchmark {
    private final LatencyHistogram histogram = new LatencyHistogram();
    private final long appliedNanos = System.nanoTime();

    @Benchmark
    public void nanoTimeAndRecord() {
        histogram.record(System.nanoTime() - appliedNanos);
    }

    @Benchmark
    @Threads(2)
    public void nanoTimeAndRecordFromTwoThreads() {
        histogram.record(System.nanoTime() - appliedNanos);
    }
}
