package io.treecast.durability.internal;

import io.treecast.fastpath.LeafVisitor;
import io.treecast.fastpath.TreePath;
import io.treecast.proto.Watermark;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Rebuilds the tree from the compacted topic: reads every partition from the beginning up to the end offsets taken
 * at the start, keeps per leaf the record with the highest seq (a tombstone deletes), and hands the surviving leaves
 * to the engine in seq order, so that a set below a former leaf, or a set replacing a former subtree, lands the way
 * it did originally. Also returns the highest seq seen anywhere (leaf records, tombstone headers, watermarks).
 */
public final class TopicRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(TopicRecovery.class);

    /** What recovery found. */
    public record Result(long maxSeq, boolean topicHadRecords, int leaves, long records, long millis) {
    }

    private TopicRecovery() {
    }

    public static Result run(String bootstrapServers, String topic, String tree, Duration timeout, LeafVisitor into) {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "treecast-recovery-" + tree);
        p.setProperty(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "100000");
        p.setProperty(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(64 * 1024 * 1024));
        p.setProperty(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(16 * 1024 * 1024));
        p.setProperty(ConsumerConfig.RECEIVE_BUFFER_CONFIG, String.valueOf(4 * 1024 * 1024));
        p.setProperty(ConsumerConfig.CHECK_CRCS_CONFIG, "false");
        p.setProperty(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(Math.max(1000, timeout.toMillis())));
        String hwmPrefix = RecordCodec.WATERMARK_KEY_PREFIX + tree + "/";

        Map<String, Entry> latest = new HashMap<>(1 << 16);
        long maxSeq = 0;
        long records = 0;
        boolean any = false;
        RecordCodec.DecodedLeaf decoded = new RecordCodec.DecodedLeaf();
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist; recovery needs it (Durability.start creates it)");
            }
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo info : infos) {
                parts.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(parts, timeout));
            end.entrySet().removeIf(e -> consumer.position(e.getKey(), timeout) >= e.getValue());
            while (!end.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("recovery from topic " + topic + " did not finish within " + timeout
                            + " (" + records + " records read); raise durability setting recoveryTimeout");
                }
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    Long stop = end.get(new TopicPartition(r.topic(), r.partition()));
                    if (stop == null || r.offset() >= stop) {
                        continue;
                    }
                    records++;
                    any = true;
                    byte[] keyBytes = r.key();
                    if (keyBytes == null || keyBytes.length == 0) {
                        continue;
                    }
                    String key = new String(keyBytes, StandardCharsets.UTF_8);
                    if (keyBytes[0] == 0) {
                        if (key.startsWith(hwmPrefix) && r.value() != null) {
                            maxSeq = Math.max(maxSeq, Watermark.parseFrom(r.value()).getSeq());
                        }
                        continue;
                    }
                    long seq;
                    byte[] value;
                    if (r.value() == null) {
                        Header h = r.headers().lastHeader(RecordCodec.SEQ_HEADER);
                        seq = RecordCodec.readSeqHeader(h == null ? null : h.value());
                        value = null;
                    } else {
                        RecordCodec.decodeLeaf(r.value(), decoded);
                        seq = decoded.seq;
                        value = decoded.value;
                    }
                    maxSeq = Math.max(maxSeq, seq);
                    Entry e = latest.get(key);
                    if (e == null) {
                        latest.put(key, new Entry(key, seq, value));
                    } else if (seq >= e.seq) {
                        e.seq = seq;
                        e.value = value;
                    }
                }
                // every remaining partition, not only those that returned records: compaction may have emptied
                // the tail of a partition, whose position then moves to its end without a record
                end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException("a watermark record of topic " + topic + " is not a treecast.v1.Watermark", e);
        }
        long read = System.nanoTime();

        Entry[] live = new Entry[latest.size()];
        int n = 0;
        for (Entry e : latest.values()) {
            if (e.value != null) {
                live[n++] = e;
            }
        }
        latest = null;
        Arrays.sort(live, 0, n, (a, b) -> Long.compare(a.seq, b.seq));
        int skipped = 0;
        for (int i = 0; i < n; i++) {
            Entry e = live[i];
            TreePath path;
            try {
                path = TreePath.parse(e.key);
            } catch (RuntimeException invalid) {
                // a key some other writer put there; our writer only writes valid paths
                skipped++;
                continue;
            }
            into.leaf(path, e.value, e.seq);
        }
        if (skipped > 0) {
            LOG.warn("recovery skipped {} records of topic {} whose key is not a valid path", skipped, topic);
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        LOG.info("recovered {} leaves from {} records of topic {} in {} ms (read {} ms), highest seq {}",
                n - skipped, records, topic, millis, (read - t0) / 1_000_000, maxSeq);
        return new Result(maxSeq, any, n - skipped, records, millis);
    }

    private static final class Entry {
        final String key;
        long seq;
        byte[] value;

        Entry(String key, long seq, byte[] value) {
            this.key = key;
            this.seq = seq;
            this.value = value;
        }
    }
}
