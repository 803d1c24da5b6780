package io.treecast.durability.it;

import io.treecast.fastpath.BackgroundPriority;
import io.treecast.durability.internal.RecordCodec;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.TreePath;
import io.treecast.proto.LeafRecord;
import io.treecast.proto.Watermark;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The journal, recovery and compaction against one real embedded broker shared by the class. */
class JournalIT {
    @RegisterExtension
    static final BrokerPerClass broker = new BrokerPerClass();

    @Test
    void everyAppliedChangeLandsInTheTopicAndAPlainConsumerDecodesItWithTheSchema() throws Exception {
        long lastSeq;
        long subtreeDeleteSeq;
        try (Stack s = Stack.start(broker.kafka().bootstrapServers(), "analytics")) {
            for (int i = 0; i < 50; i++) {
                s.set("fx/eu/EURUSD" + i + "/bid", "v" + i);
            }
            s.apply(Batch.of(Change.set(TreePath.parse("fx/us/USDJPY/bid"), Stack.value("151.2")),
                    Change.set(TreePath.parse("fx/us/USDJPY/ask"), Stack.value("151.3"))), AckMode.APPLIED)
                    .get(30, TimeUnit.SECONDS);
            subtreeDeleteSeq = s.delete("fx/us");
            lastSeq = s.set("fx/eu/EURUSD0/bid", "v0-new");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(s.engine.durableSeq()).isGreaterThanOrEqualTo(s.engine.currentSeq()));
        }

        Map<String, LeafRecord> latest = new HashMap<>();
        Map<String, Long> tombstones = new HashMap<>();
        int watermarks = 0;
        for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(broker.kafka().bootstrapServers(), "analytics")) {
            String key = new String(r.key(), StandardCharsets.UTF_8);
            if (key.startsWith(RecordCodec.WATERMARK_KEY_PREFIX)) {
                assertThat(Watermark.parseFrom(r.value()).getTree()).isEqualTo("it");
                watermarks++;
            } else if (r.value() == null) {
                Header h = r.headers().lastHeader("treecast.seq");
                assertThat(h).as("tombstone of %s carries its seq", key).isNotNull();
                tombstones.put(key, RecordCodec.readSeqHeader(h.value()));
            } else {
                LeafRecord rec = LeafRecord.parseFrom(r.value());
                assertThat(rec.getTree()).isEqualTo("it");
                assertThat(rec.getTimeMicros()).isPositive();
                LeafRecord before = latest.put(key, rec);
                assertThat(before == null || before.getSeq() < rec.getSeq()).as("per-key seq order of %s", key).isTrue();
            }
        }
        assertThat(watermarks).isPositive();
        assertThat(latest).hasSize(52);
        assertThat(latest.get("fx/eu/EURUSD7/bid").getValue().getStringValue()).isEqualTo("v7");
        assertThat(latest.get("fx/eu/EURUSD0/bid").getValue().getStringValue()).isEqualTo("v0-new");
        assertThat(latest.get("fx/eu/EURUSD0/bid").getSeq()).isEqualTo(lastSeq);
        assertThat(latest.get("fx/us/USDJPY/ask").getValue().getStringValue()).isEqualTo("151.3");
        assertThat(tombstones).containsOnlyKeys("fx/us/USDJPY/bid", "fx/us/USDJPY/ask")
                .containsValues(subtreeDeleteSeq);
    }

    @Test
    void journalKafkaClientAndStateThreadsRunTheConfiguredNiceStepsBelowTheEngine(@TempDir Path dataDir) throws Exception {
        int engineNice = BackgroundPriority.currentNice();
        assumeTrue(engineNice != Integer.MIN_VALUE && engineNice <= 12, "needs Linux and room below this thread's nice value");
        try (Stack s = Stack.start(broker.kafka().bootstrapServers(), "priorities", b -> b.nice(7).stateStore(true).dataDir(dataDir),
                b -> { })) {
            s.apply(Batch.of(Change.set(TreePath.parse("p/1"), Stack.value("x"))), AckMode.DURABLE).get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(s.durability.treeState().running()).as("s.durability.treeState().running()").isTrue());

            Map<String, Integer> nice = threadNiceByName();
            assertThat(nice).as("engine threads keep the caller's priority")
                    .containsEntry("treecast-writer", engineNice);
            assertThat(nice).as("durability threads (names cut to 15 characters by Linux)")
                    .containsEntry("treecast-journa", engineNice + 7)
                    .containsEntry("kafka-producer-", engineNice + 7)
                    .containsEntry("treecast-state-", engineNice + 7);
        }
    }

    /** This process's threads, by their (15-character) Linux name, with the highest nice value seen per name. */
    private static Map<String, Integer> threadNiceByName() throws java.io.IOException {
        Map<String, Integer> out = new HashMap<>();
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path task : (Iterable<java.nio.file.Path>) tasks::iterator) {
                try {
                    String name = java.nio.file.Files.readString(task.resolve("comm")).trim();
                    int nice = BackgroundPriority.niceInStatLine(java.nio.file.Files.readString(task.resolve("stat")));
                    out.merge(name, nice, Math::max);
                } catch (java.nio.file.NoSuchFileException ended) {
                    // the thread ended while we listed
                }
            }
        }
        return out;
    }

    @Test
    void durableAckCompletesOnlyOnceTheRecordIsInKafka() throws Exception {
        try (Stack s = Stack.start(broker.kafka().bootstrapServers(), "durable-acks")) {
            for (int i = 0; i < 10; i++) {
                String key = "d/k" + i;
                long seq = s.apply(Batch.of(Change.set(TreePath.parse(key), Stack.value("x" + i))), AckMode.DURABLE)
                        .get(30, TimeUnit.SECONDS);
                assertThat(s.engine.durableSeq()).isGreaterThanOrEqualTo(seq);
                // read the log right after the ack, without waiting: the record must already be there
                assertThat(TopicReader.readAll(broker.kafka().bootstrapServers(), "durable-acks")).anySatisfy(r -> {
                    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(key);
                    assertThat(LeafRecord.parseFrom(r.value()).getSeq()).isEqualTo(seq);
                });
            }
        }
    }

    @Test
    void restartRebuildsTheIdenticalTreeAndSeqContinuesAboveTheLastIssued() throws Exception {
        Map<String, String> before;
        long lastIssued;
        try (Stack s = Stack.start(broker.kafka().bootstrapServers(), "restart")) {
            for (int i = 0; i < 200; i++) {
                s.set("r/" + (i % 7) + "/leaf" + i, "v" + i);
            }
            s.delete("r/3");
            s.set("r/5/leaf5", "overwritten");
            s.set("r/6/leaf6", "now-a-leaf");
            s.set("r/6/leaf6/below", "leaf6 became inner");
            s.set("r/4", "subtree replaced by a leaf");
            before = s.tree();
            lastIssued = s.engine.currentSeq();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(s.engine.durableSeq()).isGreaterThanOrEqualTo(lastIssued));
        }
        assertThat(before).containsKey("r/6/leaf6/below").doesNotContainKey("r/6/leaf6").containsKey("r/4")
                .doesNotContainKey("r/3/leaf3");

        try (Stack s = Stack.start(broker.kafka().bootstrapServers(), "restart")) {
            assertThat(s.tree()).isEqualTo(before);
            assertThat(s.engine.currentSeq()).isGreaterThan(lastIssued);
            assertThat(s.set("r/after", "restart")).isGreaterThan(lastIssued);
        }
    }

    @Test
    void deletedLeavesStayDeletedAfterCompactionRemovedTheirTombstonesAndSeqStillGrows() throws Exception {
        String topic = "compacted";
        java.util.function.Consumer<io.treecast.durability.DurabilityConfig.Builder> smallSegments = b -> b
                .partitions(1)
                .topicConfig("segment.ms", "200")
                .topicConfig("min.cleanable.dirty.ratio", "0.01")
                .topicConfig("delete.retention.ms", "0")
                .topicConfig("min.compaction.lag.ms", "0");
        long lastIssued;
        try (Stack s = Stack.start(broker.kafka().bootstrapServers(), topic, smallSegments, b -> { })) {
            for (int i = 0; i < 20; i++) {
                s.set("c/gone/" + i, "doomed" + i);
                s.set("c/keep/" + i, "kept" + i);
            }
            s.delete("c/gone");
            int[] filler = {0};
            // the cleaner never touches the active segment: keep writing so that segments roll and get cleaned
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                s.set("c/filler", "f" + filler[0]++);
                assertThat(TopicReader.readAll(broker.kafka().bootstrapServers(), topic).stream()
                        .map(r -> new String(r.key(), StandardCharsets.UTF_8)).toList())
                        .noneMatch(k -> k.startsWith("c/gone/"));
            });
            lastIssued = s.engine.currentSeq();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(s.engine.durableSeq()).isGreaterThanOrEqualTo(lastIssued));
        }

        try (Stack s = Stack.start(broker.kafka().bootstrapServers(), topic, smallSegments, b -> { })) {
            Map<String, String> tree = s.tree();
            assertThat(tree.keySet()).noneMatch(k -> k.startsWith("c/gone/"));
            assertThat(tree).containsEntry("c/keep/7", tree.get("c/keep/7")).hasSize(21);
            assertThat(tree.get("c/keep/7")).startsWith("kept7@");
            assertThat(s.set("c/after", "restart")).isGreaterThan(lastIssued);
        }
    }
}
