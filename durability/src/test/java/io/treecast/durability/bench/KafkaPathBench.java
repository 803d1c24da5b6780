package io.treecast.durability.bench;

import io.treecast.durability.DurabilityConfig;
import io.treecast.durability.internal.EmbeddedKafka;
import io.treecast.durability.internal.KafkaJournal;
import io.treecast.durability.internal.RecordCodec;
import io.treecast.durability.internal.TopicRecovery;
import io.treecast.fastpath.RecordVisitor;
import io.treecast.fastpath.TreePath;
import io.treecast.proto.Value;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The Kafka side of the durability figures, without the engine: the journal's producer settings and record format
 * against the embedded broker, and the topic-reading half of recovery. Run by hand (see BENCHMARKS.md).
 * Arguments: {@code [rate=200000] [seconds=15] [leaves=1000000]}.
 */
public final class KafkaPathBench {
    private KafkaPathBench() {
    }

    public static void main(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        int leaves = args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000;
        Path dataDir = Files.createTempDirectory("treecast-kafka-bench");
        try (EmbeddedKafka kafka = new EmbeddedKafka(dataDir, "768m", Duration.ofSeconds(120), Duration.ofSeconds(30))) {
            kafka.start();
            String bootstrap = kafka.bootstrapServers();
            createTopic(bootstrap, "bench.paced");
            createTopic(bootstrap, "bench.recovery");
            DurabilityConfig config = DurabilityConfig.builder().bootstrapServers(bootstrap).treeId("bench").build();
            paced(bootstrap, config, rate, seconds);
            recovery(bootstrap, config, leaves);
        }
    }

    private static void createTopic(String bootstrap, String topic) throws Exception {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, 8, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    /** Offers {@code rate} leaf records/s (keys cycling over 10,000 leaves) and prints the unacknowledged backlog. */
    private static void paced(String bootstrap, DurabilityConfig config, int rate, int seconds) {
        byte[][] keys = new byte[10_000][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = ("markets/eu/fx/P" + i + "/bid").getBytes(StandardCharsets.UTF_8);
        }
        byte[] tree = "bench".getBytes(StandardCharsets.UTF_8);
        AtomicLong acked = new AtomicLong();
        Callback cb = (md, e) -> {
            if (e == null) {
                acked.incrementAndGet();
            }
        };
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaJournal.producerProperties(config, bootstrap),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            System.out.printf("journal producer, paced: offering %,d leaf records/s for %d s (%s)%n", rate, seconds,
                    "acks=all, idempotent, lz4, linger 5 ms, batch 256 KiB");
            System.out.println("  t(s)     sent/s    acked/s  backlog(records)");
            long start = System.nanoTime();
            long sent = 0;
            long lastSent = 0;
            long lastAcked = 0;
            long nextReport = start + 1_000_000_000L;
            long end = start + seconds * 1_000_000_000L;
            while (true) {
                long now = System.nanoTime();
                if (now >= end) {
                    break;
                }
                long due = (now - start) * rate / 1_000_000_000L;
                while (sent < due) {
                    byte[] v = Value.newBuilder().setDoubleValue(1.0 + (sent & 1023) / 10_000.0).build().toByteArray();
                    producer.send(new ProducerRecord<>("bench.paced", keys[(int) (sent % keys.length)],
                            RecordCodec.leafRecord(v, sent + 1, System.currentTimeMillis() * 1000, tree)), cb);
                    sent++;
                }
                if (now >= nextReport) {
                    long a = acked.get();
                    System.out.printf("  %4d  %,9d  %,9d  %,16d%n", (now - start) / 1_000_000_000L, sent - lastSent,
                            a - lastAcked, sent - a);
                    lastSent = sent;
                    lastAcked = a;
                    nextReport += 1_000_000_000L;
                }
                LockSupport.parkNanos(200_000);
            }
            long t0 = System.nanoTime();
            producer.flush();
            System.out.printf("  sent %,d in %d s (%,d/s); backlog drained %d ms after the load stopped%n", sent, seconds,
                    sent / seconds, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** Writes {@code leaves} distinct leaves plus watermarks, then times the topic-reading half of recovery. */
    private static void recovery(String bootstrap, DurabilityConfig config, int leaves) {
        byte[] tree = "bench".getBytes(StandardCharsets.UTF_8);
        byte[] v = Value.newBuilder().setDoubleValue(1.0842).build().toByteArray();
        long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaJournal.producerProperties(config, bootstrap),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int n = 0; n < leaves; n++) {
                String path = "r/" + (n % 1000) + "/" + (n / 1000 % 1000) + "/leaf" + n;
                while (true) {
                    try {
                        producer.send(new ProducerRecord<>("bench.recovery", path.getBytes(StandardCharsets.UTF_8),
                                RecordCodec.leafRecord(v, n / 100 + 1, 1L, tree)));
                        break;
                    } catch (org.apache.kafka.common.errors.TimeoutException bufferFull) {
                        // the journal waits the same way when the producer buffer is full
                    }
                }
            }
            for (int p = 0; p < 8; p++) {
                producer.send(new ProducerRecord<>("bench.recovery", p, RecordCodec.watermarkKey("bench", p),
                        RecordCodec.watermark(leaves / 100, "bench")));
            }
            producer.flush();
        }
        System.out.printf("recovery: wrote %,d leaves in %d ms%n", leaves, (System.nanoTime() - t0) / 1_000_000);
        for (int run = 1; run <= 3; run++) {
            long[] count = {0};
            long r0 = System.nanoTime();
            TopicRecovery.Result r = TopicRecovery.run(bootstrap, "bench.recovery", "bench", Duration.ofSeconds(120),
                    new RecordVisitor() {
                        @Override
                        public boolean record(byte[] utf8Path, byte[] value, long seq) {
                            count[0]++;
                            return true;
                        }

                        @Override
                        public void leaf(TreePath path, byte[] value, long seq) {
                            throw new UnsupportedOperationException("recovery hands on records");
                        }
                    });
            System.out.printf("recovery run %d: read %,d records -> %,d handed on as read in %d ms (highest seq %,d)%n",
                    run, r.records(), count[0], (System.nanoTime() - r0) / 1_000_000, r.maxSeq());
        }
    }
}
