package io.treecast.durability.internal;

import io.treecast.fastpath.RecordVisitor;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Rebuilds the tree from the compacted topic: reader threads read every partition from the beginning up to the end
 * offsets taken at the start and hand each record (a tombstone as a {@code null} value) to the engine's
 * {@link RecordVisitor} while they still fetch. A key lives in one partition and a partition is read in order, so
 * each path's records arrive in seq order; the engine resolves the rest (README "Recovery"). Also returns the highest
 * seq seen anywhere (leaf records, tombstone headers, watermarks).
 */
public final class TopicRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(TopicRecovery.class);

    /** What recovery found. */
    public record Result(long maxSeq, boolean topicHadRecords, int leaves, long records, long millis) {
    }

    private TopicRecovery() {
    }

    /**
     * Recovers into the engine: reader threads fetch and decode; the calling thread hands each record to
     * {@code into} as it arrives, with no per-key map, no sort and no {@link io.treecast.fastpath.TreePath} per
     * record, so reading and loading overlap. Bounded hand-over: at most {@code QUEUED_CHUNKS} chunks wait.
     */
    public static Result run(String bootstrapServers, String topic, String tree, Duration timeout, RecordVisitor into) {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        List<TopicPartition> parts = partitions(bootstrapServers, topic, tree, timeout);
        int threads = readerThreads(parts);
        BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
        Reader[] readers = new Reader[threads];
        Thread[] helpers = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            readers[i] = new Reader(bootstrapServers, topic, tree, timeout, deadline, share(parts, i, threads), queue);
            helpers[i] = new Thread(readers[i], "treecast-recovery-" + i);
            helpers[i].setDaemon(true);
        }
        for (Thread h : helpers) {
            h.start();
        }
        long live = 0;
        long skipped = 0;
        int finished = 0;
        long loadingNanos = 0;
        try {
            while (finished < threads) {
                long left = deadline - System.nanoTime();
                Chunk c = left <= 0 ? null : queue.poll(left, TimeUnit.NANOSECONDS);
                long chunkStart = System.nanoTime();
                if (c == null) {
                    throw new IllegalStateException("recovery from topic " + topic + " did not finish within " + timeout
                            + "; raise durability setting recoveryTimeout");
                }
                if (c == Chunk.END) {
                    finished++;
                    continue;
                }
                for (int i = 0; i < c.n; i++) {
                    if (!into.record(c.keys[i], c.values[i], c.seqs[i])) {
                        skipped++;
                    } else if (c.values[i] != null) {
                        live++;
                    }
                }
                loadingNanos += System.nanoTime() - chunkStart;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while recovering from topic " + topic, e);
        } finally {
            for (Reader r : readers) {
                r.stop = true;
            }
            queue.clear();
        }
        long maxSeq = 0;
        long records = 0;
        for (Reader r : readers) {
            if (r.failure != null) {
                throw r.failure instanceof RuntimeException re ? re
                        : new IllegalStateException("recovery from topic " + topic + " failed: " + r.failure, r.failure);
            }
            maxSeq = Math.max(maxSeq, r.maxSeq);
            records += r.records;
        }
        if (skipped > 0) {
            LOG.warn("recovery skipped {} records of topic {} whose key is not a valid path", skipped, topic);
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        LOG.info("recovered from {} records of topic {} in {} ms ({} readers feeding the engine as they read; {} leaf "
                + "records applied; the engine's thread spent {} ms loading, the rest waiting for the readers), highest "
                + "seq {}", records, topic, millis, threads, live, loadingNanos / 1_000_000, maxSeq);
        return new Result(maxSeq, records > 0, (int) Math.min(Integer.MAX_VALUE, live), records, millis);
    }

    private static List<TopicPartition> partitions(String bootstrapServers, String topic, String tree, Duration timeout) {
        List<TopicPartition> parts = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrapServers, tree, timeout)) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist; recovery needs it (Durability.start creates it)");
            }
            for (PartitionInfo info : infos) {
                parts.add(new TopicPartition(topic, info.partition()));
            }
        }
        return parts;
    }

    private static int readerThreads(List<TopicPartition> parts) {
        return Math.max(1, Math.min(parts.size(), Integer.getInteger("treecast.recovery.readers",
                Math.min(2, Runtime.getRuntime().availableProcessors()))));
    }

    private static List<TopicPartition> share(List<TopicPartition> parts, int reader, int readers) {
        List<TopicPartition> mine = new ArrayList<>();
        for (int j = reader; j < parts.size(); j += readers) {
            mine.add(parts.get(j));
        }
        return mine;
    }

    private static final int QUEUED_CHUNKS = 64;
    private static final int CHUNK_RECORDS = 4096;

    /** Records on their way from a reader to the loading thread. */
    private static final class Chunk {
        static final Chunk END = new Chunk(0);
        final byte[][] keys;
        final byte[][] values;
        final long[] seqs;
        int n;

        Chunk(int size) {
            keys = new byte[size][];
            values = new byte[size][];
            seqs = new long[size];
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrapServers, String tree, Duration timeout) {
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
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Reads some partitions from the beginning to their end offsets at start and hands their records on in chunks. */
    private static final class Reader implements Runnable {
        private final String bootstrapServers;
        private final String topic;
        private final String tree;
        private final Duration timeout;
        private final long deadline;
        private final List<TopicPartition> parts;
        private final BlockingQueue<Chunk> sink;
        long maxSeq;
        long records;
        volatile Throwable failure;
        private Chunk chunk;
        volatile boolean stop;

        Reader(String bootstrapServers, String topic, String tree, Duration timeout, long deadline,
               List<TopicPartition> parts, BlockingQueue<Chunk> sink) {
            this.bootstrapServers = bootstrapServers;
            this.topic = topic;
            this.tree = tree;
            this.timeout = timeout;
            this.deadline = deadline;
            this.parts = parts;
            this.sink = sink;
        }

        @Override
        public void run() {
            try {
                read();
                flush();
            } catch (Throwable t) {
                failure = t;
            } finally {
                try {
                    // never lost: the loading thread counts one END per reader
                    while (!stop && !sink.offer(Chunk.END, 100, TimeUnit.MILLISECONDS)) {
                        // the loader is busy; wait
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private void emit(byte[] key, byte[] value, long seq) throws InterruptedException {
            if (chunk == null) {
                chunk = new Chunk(CHUNK_RECORDS);
            }
            chunk.keys[chunk.n] = key;
            chunk.values[chunk.n] = value;
            chunk.seqs[chunk.n] = seq;
            if (++chunk.n == CHUNK_RECORDS) {
                flush();
            }
        }

        private void flush() throws InterruptedException {
            if (chunk != null && chunk.n > 0) {
                while (!sink.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
                    if (stop) {
                        throw new IllegalStateException("recovery stopped");
                    }
                }
            }
            chunk = null;
        }

        private void read() throws com.google.protobuf.InvalidProtocolBufferException, InterruptedException {
            String hwmPrefix = RecordCodec.WATERMARK_KEY_PREFIX + tree + "/";
            RecordCodec.DecodedLeaf decoded = new RecordCodec.DecodedLeaf();
            try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrapServers, tree, timeout)) {
                consumer.assign(parts);
                consumer.seekToBeginning(parts);
                Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(parts, timeout));
                end.entrySet().removeIf(e -> consumer.position(e.getKey(), timeout) >= e.getValue());
                while (!end.isEmpty()) {
                    if (stop) {
                        throw new IllegalStateException("recovery stopped");
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("recovery from topic " + topic + " did not finish within "
                                + timeout + " (" + records + " records read by one reader); raise durability setting "
                                + "recoveryTimeout");
                    }
                    ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(200));
                    for (TopicPartition tp : batch.partitions()) {
                        Long stopOffset = end.get(tp);
                        long stop = stopOffset == null ? -1 : stopOffset;
                        for (ConsumerRecord<byte[], byte[]> r : batch.records(tp)) {
                            if (r.offset() >= stop) {
                                break;
                            }
                            records++;
                            byte[] keyBytes = r.key();
                            if (keyBytes == null || keyBytes.length == 0) {
                                continue;
                            }
                            if (keyBytes[0] == 0) {
                                // a watermark (its key starts with a NUL byte, which no path can)
                                String key = new String(keyBytes, StandardCharsets.UTF_8);
                                if (key.startsWith(hwmPrefix) && r.value() != null) {
                                    maxSeq = Math.max(maxSeq, Watermark.parseFrom(r.value()).getSeq());
                                }
                            } else if (r.value() == null) {
                                Header h = r.headers().lastHeader(RecordCodec.SEQ_HEADER);
                                long seq = RecordCodec.readSeqHeader(h == null ? null : h.value());
                                maxSeq = Math.max(maxSeq, seq);
                                emit(keyBytes, null, seq);
                            } else {
                                RecordCodec.decodeLeaf(r.value(), decoded);
                                maxSeq = Math.max(maxSeq, decoded.seq);
                                emit(keyBytes, decoded.value, decoded.seq);
                            }
                        }
                    }
                    // every remaining partition, not only those that returned records: compaction may have emptied
                    // the tail of a partition, whose position then moves to its end without a record
                    end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
                }
            }
        }
    }
}
