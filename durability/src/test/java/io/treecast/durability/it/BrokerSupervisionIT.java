package io.treecast.durability.it;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.treecast.durability.DataDirLockedException;
import io.treecast.durability.Durability;
import io.treecast.durability.DurabilityConfig;
import io.treecast.durability.internal.EmbeddedKafka;
import io.treecast.durability.internal.RecordCodec;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.AckListener;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineConfig;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.OfferResult;
import io.treecast.fastpath.TreePath;
import io.treecast.proto.Value;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Faults of Treecast's own parts with the real embedded broker (a child JVM) as the server runs it: a second
 * durability on the same data dir, and the broker's JVM killed with SIGKILL under load.
 */
class BrokerSupervisionIT {

    private static DurabilityConfig embedded(Path dataDir, String topic) {
        return DurabilityConfig.builder().mode(DurabilityConfig.Mode.EMBEDDED).dataDir(dataDir).topic(topic)
                .partitions(4).treeId("sv").journalCapacity(1 << 16).stateStore(false).brokerHeap("384m")
                .startTimeout(Duration.ofSeconds(120)).kafkaLostAfter(Duration.ofMillis(1500)).build();
    }

    private static Engine engine(Durability d) {
        return Engine.start(EngineConfig.builder().treeId(d.config().treeId())
                .journalCapacity(d.config().journalCapacity()).journal(d.journal()).build());
    }

    private static byte[] value(long v) {
        return Value.newBuilder().setIntValue(v).build().toByteArray();
    }

    @Test
    void aSecondDurabilityOnTheSameDataDirIsRefusedBeforeItTouchesAnythingAndTheFirstKeepsJournaling(@TempDir Path dataDir)
            throws Exception {
        try (Durability first = Durability.start(embedded(dataDir, "lock"));
             Engine engine = engine(first)) {
            long before = Files.size(dataDir.resolve("kafka-broker.log"));
            assertThatThrownBy(() -> Durability.start(embedded(dataDir, "lock")))
                    .isInstanceOf(DataDirLockedException.class)
                    .hasMessageContaining("directory " + dataDir.toAbsolutePath().normalize()
                            + " is in use by another Treecast process (pid " + ProcessHandle.current().pid() + ")")
                    .hasMessageContaining("durability.data-dir");
            assertThat(Files.size(dataDir.resolve("kafka-broker.log"))).as("no second broker wrote to the log")
                    .isEqualTo(before);

            OfferResult r = engine.offer(Batch.of(Change.set(TreePath.parse("lock/a"), value(1))));
            assertThat(r).isEqualTo(OfferResult.ACCEPTED);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(engine.durableSeq()).isGreaterThanOrEqualTo(engine.currentSeq()));
            assertThat(first.journal().healthy()).isTrue();
        }
        // released at close: the next start on the same dir is fine
        try (Durability again = Durability.start(embedded(dataDir, "lock"))) {
            assertThat(again.kafkaReachable()).isTrue();
        }
    }

    @Test
    void aBrokerKilledWithSigkillUnderLoadIsRestartedAndEveryAcknowledgedUpdateReachesTheTopic(@TempDir Path dataDir)
            throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger embeddedLog = (Logger) LoggerFactory.getLogger(EmbeddedKafka.class);
        embeddedLog.addAppender(log);
        Map<String, Long> acked = new ConcurrentHashMap<>();
        AtomicLong refused = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        String topic = "supervised";
        try (Durability durability = Durability.start(embedded(dataDir, topic));
             Engine engine = engine(durability)) {
            long firstPid = durability.brokerPid();
            // a modest load: ~2,000 updates/s over 200 leaves, each leaf's value growing
            Thread writer = new Thread(() -> {
                for (long i = 0; !stop.get(); i++) {
                    String path = "sv/n" + (i % 200);
                    long v = i;
                    engine.offer(Batch.of(Change.set(TreePath.parse(path), value(v))), AckMode.APPLIED, new AckListener() {
                        @Override
                        public void onAck(long seq) {
                            acked.merge(path, v, Math::max);
                        }

                        @Override
                        public void onError(ErrorCode code, String message) {
                            refused.incrementAndGet();
                        }
                    });
                    LockSupport.parkNanos(500_000);
                }
            }, "sv-writer");
            writer.start();
            try {
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> { assertThat(acked.size()).isEqualTo(200); assertThat(engine.durableSeq()).isGreaterThan(1000); });

                ProcessHandle.of(firstPid).orElseThrow().destroyForcibly(); // kill -9 of the broker's JVM

                await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> { assertThat(durability.brokerRestarts()).isGreaterThanOrEqualTo(1); assertThat(durability.brokerPid()).isGreaterThan(0); assertThat(durability.brokerPid()).isNotEqualTo(firstPid); });
                long afterRestart = engine.currentSeq();
                await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(engine.durableSeq()).isGreaterThan(afterRestart + 1000));
            } finally {
                stop.set(true);
                writer.join(10_000);
            }
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(engine.durableSeq()).isGreaterThanOrEqualTo(engine.currentSeq()));
            assertThat(durability.journal().healthy()).isTrue();

            Map<String, Long> inTopic = new HashMap<>();
            RecordCodec.DecodedLeaf d = new RecordCodec.DecodedLeaf();
            for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(durability.bootstrapServers(), topic)) {
                String key = new String(r.key(), StandardCharsets.UTF_8);
                if (r.value() == null || key.startsWith(RecordCodec.WATERMARK_KEY_PREFIX)) {
                    continue;
                }
                long v = Value.parseFrom(RecordCodec.decodeLeaf(r.value(), d).value).getIntValue();
                inTopic.merge(key, v, Math::max);
            }
            assertThat(inTopic).as("the newest value of every leaf in the topic, after the broker's kill -9")
                    .isEqualTo(Map.copyOf(acked));
        } finally {
            embeddedLog.detachAppender(log);
        }
        assertThat(log.list).filteredOn(e -> e.getFormattedMessage().contains("exited with code 137 (killed by signal 9, SIGKILL)"))
                .as("one line per restart, with why").hasSize(1)
                .allSatisfy(e -> assertThat(e.getFormattedMessage()).contains("restarting it in 1000 ms (restart 1)"));
        assertThat(log.list).noneMatch(e -> e.getFormattedMessage().contains("did not stop within"));
        System.out.printf("updates refused while the broker restarted: %d%n", refused.get());
    }
}
