package io.treecast.durability.it;

import io.treecast.durability.DurabilityConfig;
import io.treecast.durability.TreeState;
import io.treecast.durability.internal.RecordCodec;
import io.treecast.proto.Value;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The Kafka Streams state store, fed by records in the topic's documented format. */
class TreeStateIT {
    @RegisterExtension
    static final BrokerPerClass broker = new BrokerPerClass();

    @ParameterizedTest
    @EnumSource(DurabilityConfig.StateStoreKind.class)
    void storeServesSubtreesByPrefixScanAndKnowsUpToWhichSeqItIsComplete(DurabilityConfig.StateStoreKind kind,
                                                                          @TempDir Path stateDir) throws Exception {
        String topic = "state-" + kind.name().toLowerCase(java.util.Locale.ROOT);
        seedSixRecords(topic, "st");
        DurabilityConfig config = DurabilityConfig.builder().bootstrapServers(broker.kafka().bootstrapServers()).topic(topic)
                .treeId("st").stateStoreKind(kind).build();
        try (TreeState state = TreeState.start(config, broker.kafka().bootstrapServers(), 2, stateDir)) {
            assertThat(state.awaitComplete(6, Duration.ofSeconds(90))).as("state complete up to seq 6").isTrue();
            assertThat(state.completeSeq()).isEqualTo(6);
            assertSixRecordsServed(state);
        }
    }

    @Test
    void aMemoryStoreStartedAgainRebuildsTheWholeTreeFromTheTopic(@TempDir Path stateDir) throws Exception {
        String topic = "state-memory-restart";
        seedSixRecords(topic, "st");
        DurabilityConfig config = DurabilityConfig.builder().bootstrapServers(broker.kafka().bootstrapServers()).topic(topic)
                .treeId("st").stateStoreKind(DurabilityConfig.StateStoreKind.MEMORY).build();
        try (TreeState state = TreeState.start(config, broker.kafka().bootstrapServers(), 2, stateDir)) {
            assertThat(state.awaitComplete(6, Duration.ofSeconds(90))).as("first start complete up to seq 6").isTrue();
        }
        // nothing was kept on disk: the second start has only the topic to read, from its first offset
        try (TreeState state = TreeState.start(config, broker.kafka().bootstrapServers(), 2, stateDir)) {
            assertThat(state.awaitComplete(6, Duration.ofSeconds(90))).as("second start complete up to seq 6").isTrue();
            assertSixRecordsServed(state);
        }
    }

    /** Five leaf records (a/x/1 twice), a delete of a/x/2 and both partitions' watermarks at seq 6. */
    private static void seedSixRecords(String topic, String treeId) throws Exception {
        Properties ap = new Properties();
        ap.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.kafka().bootstrapServers());
        try (Admin admin = Admin.create(ap)) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        byte[] tree = treeId.getBytes(StandardCharsets.UTF_8);
        Properties pp = new Properties();
        pp.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.kafka().bootstrapServers());
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
            leaf(p, topic, "a/x/1", "one", 1, tree);
            leaf(p, topic, "a/x/2", "two", 2, tree);
            leaf(p, topic, "a/xy", "not under a/x/", 3, tree);
            leaf(p, topic, "b/1", "b", 4, tree);
            leaf(p, topic, "a/x/1", "one again", 5, tree);
            RecordHeaders h = new RecordHeaders();
            h.add(RecordCodec.SEQ_HEADER, RecordCodec.seqHeader(6));
            p.send(new ProducerRecord<>(topic, null, null, "a/x/2".getBytes(StandardCharsets.UTF_8), null, h));
            for (int part = 0; part < 2; part++) {
                p.send(new ProducerRecord<>(topic, part, RecordCodec.watermarkKey(treeId, part), RecordCodec.watermark(6, treeId)));
            }
            p.flush();
        }
    }

    private static void assertSixRecordsServed(TreeState state) {
        Map<String, String> subtree = new TreeMap<>();
        state.scan("a/x/", (path, r) -> subtree.put(path, r.getValue().getStringValue() + "@" + r.getSeq()));
        assertThat(subtree).containsExactly(Map.entry("a/x/1", "one again@5"));

        Map<String, String> all = new TreeMap<>();
        assertThat(state.scan("", (path, r) -> all.put(path, r.getValue().getStringValue()))).isEqualTo(3);
        assertThat(all).containsOnlyKeys("a/x/1", "a/xy", "b/1");
    }

    @Test
    void aStateDirectoryLeftByTheEarlierKTableStoreIsRebuiltFromTheTopicInsteadOfTrustingItsCheckpoint(@TempDir Path stateDir)
            throws Exception {
        String topic = "state-older-layout";
        Properties ap = new Properties();
        ap.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.kafka().bootstrapServers());
        try (Admin admin = Admin.create(ap)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        byte[] tree = "old".getBytes(StandardCharsets.UTF_8);
        Properties pp = new Properties();
        pp.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.kafka().bootstrapServers());
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
            leaf(p, topic, "a/1", "one", 1, tree);
            leaf(p, topic, "a/2", "two", 2, tree);
            p.send(new ProducerRecord<>(topic, 0, RecordCodec.watermarkKey("old", 0), RecordCodec.watermark(2, "old")));
            p.flush();
        }
        // what an earlier build left: the KTable's store and a checkpoint claiming the whole partition was read
        Path task = stateDir.resolve(TreeState.applicationId("old")).resolve("0_0");
        java.nio.file.Files.createDirectories(task.resolve("rocksdb").resolve("treecast-leaves"));
        java.nio.file.Files.writeString(task.resolve(".checkpoint"), "0\n1\n" + topic + " 0 3\n");

        DurabilityConfig config = DurabilityConfig.builder().bootstrapServers(broker.kafka().bootstrapServers()).topic(topic)
                .treeId("old").build();
        try (TreeState state = TreeState.start(config, broker.kafka().bootstrapServers(), 1, stateDir)) {
            assertThat(state.awaitComplete(2, Duration.ofSeconds(90))).as("state complete up to seq 2").isTrue();
            Map<String, String> all = new TreeMap<>();
            state.scan("", (path, r) -> all.put(path, r.getValue().getStringValue()));
            assertThat(all).containsExactly(Map.entry("a/1", "one"), Map.entry("a/2", "two"));
        }
    }

    private static void leaf(KafkaProducer<byte[], byte[]> p, String topic, String path, String value, long seq, byte[] tree) {
        byte[] v = Value.newBuilder().setStringValue(value).build().toByteArray();
        p.send(new ProducerRecord<>(topic, path.getBytes(StandardCharsets.UTF_8), RecordCodec.leafRecord(v, seq, 1L, tree)));
    }

}
