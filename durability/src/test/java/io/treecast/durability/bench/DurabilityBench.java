package io.treecast.durability.bench;

import io.treecast.durability.Durability;
import io.treecast.durability.DurabilityConfig;
import io.treecast.durability.internal.EmbeddedKafka;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineConfig;
import io.treecast.fastpath.OfferResult;
import io.treecast.fastpath.TreePath;
import io.treecast.proto.Value;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Durability figures for BENCHMARKS.md, against a real embedded broker (not a unit test: run by hand, see
 * durability/README.md):
 * <ol>
 *   <li>journal throughput: offer {@code rate} single-leaf updates/s for {@code seconds}, print the journal backlog
 *       (applied minus durable seqs) every second;</li>
 *   <li>recovery: write {@code leaves} leaves, close everything, start a new engine and time until it serves.</li>
 * </ol>
 * Arguments: {@code [leaves=1000000] [rate=200000] [seconds=20] [dataDir]}.
 */
public final class DurabilityBench {
    private DurabilityBench() {
    }

    public static void main(String[] args) throws Exception {
        int leaves = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        Path dataDir = args.length > 3 ? Path.of(args[3]) : Files.createTempDirectory("treecast-bench");
        stateDir = dataDir.resolve("treecast");
        try (EmbeddedKafka kafka = new EmbeddedKafka(dataDir, "768m", Duration.ofSeconds(120), Duration.ofSeconds(30))) {
            kafka.start();
            if (seconds > 0) {
                throughput(kafka.bootstrapServers(), rate, seconds);
            }
            if (leaves > 0) {
                recovery(kafka.bootstrapServers(), leaves);
            }
        }
        // a Kafka Streams thread that missed its close window must not keep the benchmark's JVM alive
        System.exit(0);
    }

    /** The Kafka Streams state competes for the same two cores; on only with -Dtreecast.bench.state=true. */
    private static final boolean STATE = Boolean.getBoolean("treecast.bench.state");
    private static Path stateDir;

    private static DurabilityConfig config(String bootstrap, String topic) {
        return DurabilityConfig.builder().bootstrapServers(bootstrap).topic(topic).treeId("bench")
                .stateStore(STATE).dataDir(stateDir).build();
    }

    private static Engine engine(Durability d) {
        return Engine.start(EngineConfig.builder().treeId(d.config().treeId())
                .journalCapacity(d.config().journalCapacity()).journal(d.journal()).build());
    }

    private static void throughput(String bootstrap, int rate, int seconds) {
        byte[][] values = new byte[1024][];
        for (int i = 0; i < values.length; i++) {
            values[i] = Value.newBuilder().setDoubleValue(1.0 + i / 10_000.0).build().toByteArray();
        }
        TreePath[] paths = new TreePath[10_000];
        for (int i = 0; i < paths.length; i++) {
            paths[i] = TreePath.parse("markets/eu/fx/P" + i + "/bid");
        }
        try (Durability d = Durability.start(config(bootstrap, "bench.throughput"))) {
            Engine engine = engine(d);
            try {
                System.out.printf("journal throughput: offering %,d single-leaf updates/s for %d s%n", rate, seconds);
                System.out.println("  t(s)  applied/s   durable/s   backlog(seqs)  backpressured");
                long start = System.nanoTime();
                long sent = 0;
                long backpressured = 0;
                long lastSeq = engine.currentSeq();
                long lastDurable = engine.durableSeq();
                long nextReport = start + 1_000_000_000L;
                long end = start + seconds * 1_000_000_000L;
                while (true) {
                    long now = System.nanoTime();
                    if (now >= end) {
                        break;
                    }
                    long due = (now - start) * rate / 1_000_000_000L;
                    while (sent < due) {
                        int k = (int) (sent % paths.length);
                        if (engine.offer(Batch.of(Change.set(paths[k], values[(int) (sent & 1023)]))) == OfferResult.ACCEPTED) {
                            sent++;
                        } else {
                            backpressured++;
                            break;
                        }
                    }
                    if (now >= nextReport) {
                        long seq = engine.currentSeq();
                        long durable = engine.durableSeq();
                        System.out.printf("  %4d  %,10d  %,10d  %,13d  %,d%n", (now - start) / 1_000_000_000L,
                                seq - lastSeq, durable - lastDurable, seq - durable, backpressured);
                        lastSeq = seq;
                        lastDurable = durable;
                        nextReport += 1_000_000_000L;
                    }
                    LockSupport.parkNanos(200_000);
                }
                long t0 = System.nanoTime();
                while (engine.durableSeq() < engine.currentSeq()) {
                    LockSupport.parkNanos(1_000_000);
                }
                System.out.printf("  offered %,d, applied up to seq %,d; backlog drained %d ms after the load stopped%n",
                        sent, engine.currentSeq(), (System.nanoTime() - t0) / 1_000_000);
            } finally {
                engine.close();
            }
        }
    }

    private static void recovery(String bootstrap, int leaves) {
        String topic = "bench.recovery";
        byte[] value = Value.newBuilder().setDoubleValue(1.0842).build().toByteArray();
        try (Durability d = Durability.start(config(bootstrap, topic))) {
            Engine engine = engine(d);
            try {
                long t0 = System.nanoTime();
                Change[] changes = new Change[100];
                for (int i = 0; i < leaves; i += changes.length) {
                    for (int j = 0; j < changes.length; j++) {
                        int n = i + j;
                        changes[j] = Change.set(TreePath.parse("r/" + (n % 1000) + "/" + (n / 1000 % 1000) + "/leaf" + n), value);
                    }
                    Batch b = Batch.of(changes);
                    while (engine.offer(b) != OfferResult.ACCEPTED) {
                        LockSupport.parkNanos(100_000);
                    }
                }
                while (engine.durableSeq() < engine.currentSeq()) {
                    LockSupport.parkNanos(1_000_000);
                }
                System.out.printf("recovery: wrote %,d leaves durably in %d ms%n", leaves, (System.nanoTime() - t0) / 1_000_000);
            } finally {
                engine.close();
            }
        }
        long t0 = System.nanoTime();
        try (Durability d = Durability.start(config(bootstrap, topic))) {
            long t1 = System.nanoTime();
            Engine engine = engine(d);
            long t2 = System.nanoTime();
            try {
                System.out.printf("recovery: %,d leaves -> serving in %d ms (Durability.start %d ms, Engine.start incl. "
                                + "recovery %d ms), engine stats: %s%n", leaves, (t2 - t0) / 1_000_000,
                        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, engine.stats());
            } finally {
                engine.close();
            }
        }
    }
}
