package io.treecast.durability.it;

import io.treecast.durability.internal.RecordCodec;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.TreePath;
import io.treecast.proto.LeafRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/** Kafka crashes under load: the engine keeps serving up to its journal bound, then refuses; nothing is lost. */
class KafkaOutageIT {
    private static final int JOURNAL_CAPACITY = 512;

    @RegisterExtension
    static final BrokerPerClass broker = new BrokerPerClass();

    @Test
    void writesContinueUpToTheJournalBoundThenAreRefusedAndNothingIsLostWhenKafkaReturns() throws Exception {
        String topic = "outage";
        Map<String, String> treeBeforeClose;
        long lastIssued;
        try (Stack s = Stack.start(broker.kafka().bootstrapServers(), topic,
                b -> b.journalCapacity(JOURNAL_CAPACITY).kafkaLostAfter(Duration.ofMillis(1500)), b -> { })) {
            for (int i = 0; i < 100; i++) {
                s.set("o/before/" + i, "b" + i);
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(s.engine.durableSeq()).isGreaterThanOrEqualTo(s.engine.currentSeq()));
            assertThat(s.durability.journal().healthy()).isTrue();

            broker.kafka().kill();

            int applied = 0;
            Stack.Refused refused = null;
            for (int i = 0; i < 100_000 && refused == null; i++) {
                try {
                    s.apply(Batch.of(Change.set(TreePath.parse("o/during/" + i), Stack.value("d" + i))), AckMode.APPLIED)
                            .get(30, TimeUnit.SECONDS);
                    applied++;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof Stack.Refused r)) {
                        throw e;
                    }
                    refused = r;
                }
            }
            if (refused == null) {
                fail("100,000 writes were applied with Kafka down; the journal bound of " + JOURNAL_CAPACITY + " never held");
            }
            assertThat(refused.code).isEqualTo(ErrorCode.UNAVAILABLE);
            assertThat(refused.getMessage()).hasSizeGreaterThan("UNAVAILABLE: ".length() + 10);
            assertThat(applied).as("writes applied from memory while Kafka was down")
                    .isGreaterThanOrEqualTo(JOURNAL_CAPACITY / 2).isLessThanOrEqualTo(JOURNAL_CAPACITY + 1);
            assertThat(s.tree()).containsKey("o/during/" + (applied - 1));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(s.durability.journal().healthy()).as("s.durability.journal().healthy()").isFalse());
            assertThat(s.engine.degraded()).isTrue();

            broker.kafka().start();

            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(s.engine.durableSeq()).isGreaterThanOrEqualTo(s.engine.currentSeq()));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> { assertThat(s.durability.journal().healthy()).as("s.durability.journal().healthy()").isTrue(); assertThat(s.engine.degraded()).as("s.engine.degraded()").isFalse(); });
            s.set("o/after", "kafka is back");
            treeBeforeClose = s.tree();
            lastIssued = s.engine.currentSeq();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(s.engine.durableSeq()).isGreaterThanOrEqualTo(lastIssued));
        }

        // no duplicates from the producer's retries: per key, every record's seq is newer than the one before
        Map<String, Long> lastSeqPerKey = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(broker.kafka().bootstrapServers(), topic)) {
            String key = new String(r.key(), StandardCharsets.UTF_8);
            if (key.startsWith(RecordCodec.WATERMARK_KEY_PREFIX) || r.value() == null) {
                continue;
            }
            long seq = LeafRecord.parseFrom(r.value()).getSeq();
            Long prev = lastSeqPerKey.put(key, seq);
            assertThat(prev == null || prev < seq).as("record of %s at seq %d follows seq %s", key, seq, prev).isTrue();
        }

        try (Stack s = Stack.start(broker.kafka().bootstrapServers(), topic, b -> b.journalCapacity(JOURNAL_CAPACITY), b -> { })) {
            assertThat(s.tree()).isEqualTo(treeBeforeClose);
            assertThat(s.engine.currentSeq()).isGreaterThan(lastIssued);
        }
    }
}
