package io.treecast.durability.it;

import io.treecast.durability.internal.JournalBacklog;
import io.treecast.durability.internal.RecordCodec;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.TreePath;
import io.treecast.proto.Value;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A stop while Kafka is unreachable: the applied batches Kafka never acknowledged are kept in the data dir's backlog
 * file, and the next start replays them before it serves, so no applied value is lost and no leaf goes back to an
 * older value or seq.
 */
class StopWithKafkaDownIT {
    @RegisterExtension
    static final BrokerPerClass broker = new BrokerPerClass();

    @Test
    void aStopWithKafkaDownKeepsEveryAppliedUpdateAndTheNextStartServesThemWithSeqAbove(@TempDir Path dataDir)
            throws Exception {
        String topic = "stop-down";
        Map<String, String> seen = new TreeMap<>(); // path -> value@seq, the view a subscriber had at the stop
        long lastApplied;
        try (Stack s = Stack.start(broker.kafka().bootstrapServers(), topic,
                b -> b.dataDir(dataDir).closeTimeout(Duration.ofSeconds(2)).kafkaLostAfter(Duration.ofMillis(1500)),
                b -> { })) {
            for (int i = 0; i < 50; i++) {
                s.set("sd/k" + i, "before-" + i);
            }
            s.delete("sd/k49");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(s.engine.durableSeq()).isGreaterThanOrEqualTo(s.engine.currentSeq()));

            broker.kafka().kill(); // and not restarted: Kafka stays unreachable through the stop

            for (int i = 0; i < 40; i++) {
                s.set("sd/k" + i, "during-" + i);
            }
            for (int i = 0; i < 300; i++) {
                s.set("sd/new/n" + i, "new-" + i);
            }
            s.delete("sd/k0");
            lastApplied = s.engine.currentSeq();
            assertThat(s.engine.durableSeq()).as("Kafka acknowledged none of these").isLessThan(lastApplied);
            seen.putAll(s.tree());
        }
        Path backlog = JournalBacklog.file(dataDir, "it");
        assertThat(backlog).as("the unjournaled backlog kept at the stop").exists();
        assertThat(JournalBacklog.read(backlog).maxSeq()).isEqualTo(lastApplied);

        broker.kafka().start();
        try (Stack s = Stack.start(broker.kafka().bootstrapServers(), topic, b -> b.dataDir(dataDir), b -> { })) {
            Map<String, String> now = s.tree();
            assertThat(now).as("every applied value, at the seq a subscriber saw").isEqualTo(seen);
            assertThat(now).doesNotContainKey("sd/k0").doesNotContainKey("sd/k49")
                    .containsEntry("sd/k1", seen.get("sd/k1")).containsKey("sd/new/n299");
            assertThat(now.get("sd/k1")).startsWith("during-1@");
            assertThat(backlog).as("deleted once its records are in the topic").doesNotExist();
            long next = s.set("sd/after", "x");
            assertThat(next).as("seq continues above every seq issued before the stop").isGreaterThan(lastApplied);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(s.engine.durableSeq()).isGreaterThanOrEqualTo(next));
        }

        // and the topic itself holds them: a third start from the topic alone (no backlog file) sees the same tree
        Map<String, String> fromTopic = new HashMap<>();
        RecordCodec.DecodedLeaf d = new RecordCodec.DecodedLeaf();
        for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(broker.kafka().bootstrapServers(), topic)) {
            String key = new String(r.key(), StandardCharsets.UTF_8);
            if (key.startsWith(RecordCodec.WATERMARK_KEY_PREFIX)) {
                continue;
            }
            if (r.value() == null) {
                fromTopic.remove(key);
            } else {
                RecordCodec.decodeLeaf(r.value(), d);
                fromTopic.put(key, Value.parseFrom(d.value).getStringValue() + "@" + d.seq);
            }
        }
        fromTopic.remove("sd/after");
        assertThat(new TreeMap<>(fromTopic)).isEqualTo(seen);
        assertThat(Files.exists(backlog)).isFalse();
    }
}
