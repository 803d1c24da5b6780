package io.treecast.bench.engine;

import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineConfig;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.EventKind;
import io.treecast.fastpath.EventView;
import io.treecast.fastpath.IdleStrategyKind;
import io.treecast.fastpath.OfferResult;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.Policy;
import io.treecast.fastpath.SubscribeOptions;
import io.treecast.fastpath.TreePath;
import org.HdrHistogram.Histogram;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Latency from the intended offer time to the subscriber's handler (enqueue -> outbox -> dispatcher), at a fixed
 * offered rate of one-leaf batches, with coordinated omission avoided: each value carries the time it was
 * <em>meant</em> to be sent. Optionally, halfway through, a second subscription asks for a snapshot of
 * 100,000 leaves, to show that serving it does not stall the writer or the other subscription.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.treecast.bench.engine.LatencyUnderSnapshot [rate/s] [seconds] [snapshot true|false]</pre>
 */
public final class LatencyUnderSnapshot {
    private LatencyUnderSnapshot() {
    }

    public static void main(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 500_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        boolean snapshot = args.length > 2 && Boolean.parseBoolean(args[2]);
        IdleStrategyKind idle = args.length > 3 ? IdleStrategyKind.valueOf(args[3]) : IdleStrategyKind.BACKOFF;
        Histogram hist = new Histogram(60_000_000_000L, 3);
        AtomicLong received = new AtomicLong();
        try (Engine engine = Engine.start(EngineConfig.builder().idleStrategy(idle).build())) {
            byte[] filler = new byte[8];
            for (int i = 0; i < 100_000; i += 1000) {
                Change[] cs = new Change[1000];
                for (int k = 0; k < 1000; k++) {
                    cs[k] = Change.set(TreePath.parse("bulk/b" + ((i + k) / 1000) + "/l" + ((i + k) % 1000)), filler);
                }
                while (engine.offer(Batch.of(cs)) != OfferResult.ACCEPTED) {
                    Thread.onSpinWait();
                }
            }
            // subscribe() registers asynchronously (at the writer's next duty cycle): let the prefill drain first so
            // that the measured stream starts after the registration
            while (engine.currentSeq() < 100) {
                Thread.onSpinWait();
            }
            long warmupEnd = System.nanoTime() + 2_000_000_000L;
            // STRICT with a large outbox: every change is delivered (CONFLATE would drop superseded ones by design)
            engine.subscribe(SubscribeOptions.of(PathPattern.parse("markets/**")).withPolicy(Policy.STRICT).withOutboxCapacity(1 << 20),
                    new EventHandler() {
                @Override
                public void onEvent(EventView e) {
                    long now = System.nanoTime();
                    for (int i = 0; i < e.size(); i++) {
                        long intended = ByteBuffer.wrap(e.value(i)).getLong();
                        if (intended > warmupEnd) {
                            hist.recordValue(Math.max(0, now - intended));
                        }
                        received.incrementAndGet();
                    }
                }

                @Override
                public void onEnd(ErrorCode code, String message, long lastSeq) {
                    System.out.println("subscription ended: " + code + " " + message);
                }
            }).request(Long.MAX_VALUE);
            TreePath[] paths = new TreePath[1024];
            for (int i = 0; i < paths.length; i++) {
                paths[i] = TreePath.parse("markets/eu/fx/I" + i + "/bid");
            }
            long start = System.nanoTime();
            long intervalNs = 1_000_000_000L / rate;
            long total = (long) rate * (seconds + 2);
            boolean snapshotAsked = !snapshot;
            long[] snapshotDoneAt = {0};
            long snapshotAskedAt = 0;
            long backPressured = 0;
            for (long n = 0; n < total; n++) {
                long intended = start + n * intervalNs;
                while (System.nanoTime() < intended) {
                    Thread.onSpinWait();
                }
                if (!snapshotAsked && n > total / 2) {
                    snapshotAsked = true;
                    snapshotAskedAt = System.nanoTime();
                    engine.subscribe(SubscribeOptions.of(PathPattern.parse("bulk/**")).withSnapshot(true), new EventHandler() {
                        @Override
                        public void onEvent(EventView e) {
                            if (e.kind() == EventKind.SNAPSHOT_END) {
                                snapshotDoneAt[0] = System.nanoTime();
                            }
                        }

                        @Override
                        public void onEnd(ErrorCode code, String message, long lastSeq) {
                        }
                    }).request(Long.MAX_VALUE);
                }
                byte[] v = ByteBuffer.allocate(8).putLong(intended).array();
                Batch b = Batch.of(Change.set(paths[(int) (n & 1023)], v));
                while (engine.offer(b) != OfferResult.ACCEPTED) {
                    backPressured++;
                    Thread.onSpinWait();
                }
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (received.get() < total && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
            }
            System.out.printf("rate=%d/s seconds=%d idle=%s snapshot=%s sent=%d received=%d undelivered=%d backPressuredSpins=%d%n",
                    rate, seconds, idle, snapshot, total, received.get(), total - received.get(), backPressured);
            System.out.printf("latency intended-send -> handler (us): p50=%.1f p90=%.1f p99=%.1f p99.9=%.1f max=%.1f count=%d%n",
                    hist.getValueAtPercentile(50) / 1e3, hist.getValueAtPercentile(90) / 1e3, hist.getValueAtPercentile(99) / 1e3,
                    hist.getValueAtPercentile(99.9) / 1e3, hist.getMaxValue() / 1e3, hist.getTotalCount());
            if (snapshot) {
                System.out.printf("snapshot of 100000 leaves served in %.1f ms while the above was measured%n",
                        (snapshotDoneAt[0] - snapshotAskedAt) / 1e6);
            }
        }
    }
}
