package io.treecast.durability.internal;


import io.treecast.durability.DurabilityConfig;
import io.treecast.fastpath.EventView;
import io.treecast.fastpath.Journal;
import io.treecast.fastpath.JournalFeed;
import io.treecast.fastpath.LeafVisitor;
import io.treecast.fastpath.RecordVisitor;
import io.treecast.fastpath.BackgroundPriority;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine's {@link Journal} on a compacted Kafka topic. One thread ({@code treecast-journal-<tree>}) polls the
 * engine's feed and hands one record per leaf change to an idempotent producer ({@code acks=all}); the producer's
 * I/O thread reports acknowledgements back through per-batch counters, and the journal thread advances the durable
 * watermark over the contiguous prefix of fully acknowledged batches. While Kafka is away the producer buffers (and
 * retries without end, so nothing is dropped); when its buffer is full the journal thread waits, the engine's
 * journal ring fills and the engine refuses writes: that is the configured bound.
 *
 * <p>A stop waits up to {@code closeTimeout} for Kafka to acknowledge what was applied; what it did not acknowledge
 * by then (Kafka unreachable) is kept in {@link JournalBacklog}'s file in the data dir, which the next
 * {@link #recover} replays into the tree and writes to the topic before the engine serves.
 */
public final class KafkaJournal implements Journal {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaJournal.class);
    private static final long WATERMARK_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long IDLE_NAP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final DurabilityConfig config;
    private final String bootstrapServers;
    private final String topic;
    private final String tree;
    private final byte[] treeUtf8;
    private final KafkaProducer<byte[], byte[]> producer;
    private final int partitions;
    private final long lostAfterNanos;

    private final ArrayDeque<BatchAck> pending = new ArrayDeque<>();
    private final AtomicLong lastAckNanos = new AtomicLong(System.nanoTime());
    private final AtomicInteger watermarksOutstanding = new AtomicInteger();
    private final AtomicLong failedRecords = new AtomicLong();
    private final AtomicLong recordsSent = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean reportedHealthy = new java.util.concurrent.atomic.AtomicBoolean(true);
    private volatile boolean threadFailed;
    private volatile boolean running;
    private volatile long durableSeq;
    private volatile TopicRecovery.Result recovery;
    private volatile long sentSeq;
    private volatile Thread thread;
    /** When the journal thread entered {@code send} (0: not in it); a send blocks while Kafka is away. */
    private volatile long inSendSinceNanos;
    /** When the oldest record not yet acknowledged was sent (0: none outstanding). */
    private volatile long oldestOutstandingNanos;
    private volatile long watermarkRoundSentNanos;
    private volatile boolean stopRequested;
    /** The journal thread is parked for lack of work (acknowledgements then wake it to report durability). */
    private volatile boolean idle;
    /** Set by close(): records the producer fails from now on are kept in the backlog file, not reported as refused. */
    private volatile boolean closing;
    private boolean closed;
    private JournalFeed feed;

    public KafkaJournal(DurabilityConfig config, String bootstrapServers, int partitions) {
        this.config = config;
        this.bootstrapServers = bootstrapServers;
        this.topic = config.topic();
        this.tree = config.treeId();
        this.treeUtf8 = tree.getBytes(StandardCharsets.UTF_8);
        this.partitions = partitions;
        this.lostAfterNanos = config.kafkaLostAfter().toNanos();
        this.producer = new KafkaProducer<>(producerProperties(config, bootstrapServers), new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    /** The journal's producer settings (also used by the benchmark that measures Kafka alone). */
    public static Properties producerProperties(DurabilityConfig config, String bootstrapServers) {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.setProperty(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, config.compression());
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, String.valueOf(config.lingerMs()));
        p.setProperty(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(config.batchSizeBytes()));
        p.setProperty(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(config.producerBufferBytes()));
        // never give a record up: while Kafka is away records wait (bounded by buffer.memory, then by the engine)
        p.setProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(Integer.MAX_VALUE));
        p.setProperty(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.setProperty(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "500");
        p.setProperty(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        // send() waits for metadata and for buffer space as long as Kafka is away instead of failing the record
        // (a failed record would have to be re-sent behind newer records of the same key); close() wakes it up
        p.setProperty(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(Long.MAX_VALUE));
        p.setProperty(ProducerConfig.CLIENT_ID_CONFIG, "treecast-journal-" + config.treeId());
        return p;
    }

    /**
     * Reads the topic into {@code into} and returns the seq to continue above: the highest seq found plus the
     * journal capacity (batches the engine may have issued, and shown to subscribers, that never became durable),
     * and records that start point as a watermark before returning so that a crash before the next write still
     * moves later restarts above it. An empty topic returns 0.
     */
    @Override
    public long recover(LeafVisitor visitor) {
        if (!(visitor instanceof RecordVisitor into)) {
            // deletes and out-of-order paths need the engine's RecordVisitor; a plain LeafVisitor cannot take them
            throw new IllegalArgumentException("KafkaJournal recovers into a RecordVisitor (the engine passes one), not "
                    + visitor.getClass().getName());
        }
        TopicRecovery.Result r = TopicRecovery.run(bootstrapServers, topic, tree, config.recoveryTimeout(), into);
        recovery = r;
        Path backlogFile = JournalBacklog.file(config.dataDir(), tree);
        JournalBacklog.Contents backlog = Files.exists(backlogFile) ? replayBacklog(backlogFile, into) : null;
        long maxSeq = Math.max(r.maxSeq(), backlog == null ? 0 : backlog.maxSeq());
        boolean hadRecords = r.topicHadRecords() || (backlog != null && !backlog.entries().isEmpty());
        long start = hadRecords ? maxSeq + config.journalCapacity() : 0;
        if (hadRecords) {
            LOG.info("seq continues above {} (highest recovered seq {} + journal capacity {})", start, maxSeq,
                    config.journalCapacity());
        }
        writeWatermarksSync(start);
        if (backlog != null) {
            try {
                Files.delete(backlogFile);
            } catch (IOException e) {
                // harmless: replaying it again at the next start re-applies the same records with the same seqs
                LOG.warn("could not delete {} after journaling it ({}); the next start replays it again", backlogFile,
                        e.toString());
            }
        }
        durableSeq = start;
        sentSeq = start;
        return start;
    }

    /**
     * Puts the backlog kept at the last stop into the tree after the topic (its seqs are above the topic's for the
     * same leaves, so it wins, in seq order) and writes it to the topic, waiting for Kafka's acknowledgement, so that
     * the file may be deleted.
     */
    private JournalBacklog.Contents replayBacklog(Path file, RecordVisitor into) {
        JournalBacklog.Contents c;
        try {
            c = JournalBacklog.read(file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the journal backlog kept at the last stop: " + e.getMessage()
                    + "; move the file away to start without it (the updates in it are then lost)", e);
        }
        if (!c.topic().equals(topic) || !c.tree().equals(tree)) {
            throw new IllegalStateException("the journal backlog " + file + " belongs to topic " + c.topic()
                    + ", tree " + c.tree() + ", not to topic " + topic + ", tree " + tree
                    + ": start with that topic and tree to journal it, or move the file away");
        }
        RecordCodec.DecodedLeaf decoded = new RecordCodec.DecodedLeaf();
        List<Future<RecordMetadata>> acks = new ArrayList<>(c.entries().size());
        for (JournalBacklog.Entry e : c.entries()) {
            byte[] value = e.value() == null ? null : RecordCodec.decodeLeaf(e.value(), decoded).value;
            into.record(e.key(), value, e.seq());
            acks.add(producer.send(toRecord(e)));
        }
        producer.flush();
        try {
            for (Future<RecordMetadata> f : acks) {
                f.get(config.recoveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (Exception ex) {
            throw new IllegalStateException("could not write the journal backlog kept at the last stop (" + file
                    + ") to topic " + topic + " at " + bootstrapServers + " within " + config.recoveryTimeout()
                    + ": " + ex.getMessage() + "; it stays there for the next start", ex);
        }
        LOG.info("replayed the journal backlog kept at the last stop: {} records up to seq {} from {}, now in topic {}",
                c.entries().size(), c.maxSeq(), file, topic);
        return c;
    }

    private ProducerRecord<byte[], byte[]> toRecord(JournalBacklog.Entry e) {
        if (e.value() == null) {
            RecordHeaders headers = new RecordHeaders();
            headers.add(RecordCodec.SEQ_HEADER, RecordCodec.seqHeader(e.seq()));
            return new ProducerRecord<>(topic, null, null, e.key(), null, headers);
        }
        return new ProducerRecord<>(topic, e.key(), e.value());
    }

    private void writeWatermarksSync(long seq) {
        try {
            java.util.List<java.util.concurrent.Future<RecordMetadata>> acks = new java.util.ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                acks.add(producer.send(new ProducerRecord<>(topic, p, RecordCodec.watermarkKey(tree, p),
                        RecordCodec.watermark(seq, tree))));
            }
            producer.flush();
            for (var f : acks) {
                f.get(config.recoveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not write the seq watermark to topic " + topic
                    + " at " + bootstrapServers + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void start(JournalFeed feed) {
        if (thread != null) {
            throw new IllegalStateException("the journal was already started");
        }
        this.feed = feed;
        running = true;
        Thread t = new Thread(this::run, "treecast-journal-" + tree);
        t.setDaemon(true);
        thread = t;
        t.start();
        Runnable after = afterStart;
        if (after != null) {
            after.run();
        }
    }

    private volatile Runnable afterStart;

    /**
     * Runs {@code action} once the engine has recovered and started the journal (on the engine's start thread), e.g.
     * to start work that would otherwise compete with recovery for the CPU.
     */
    public void afterStart(Runnable action) {
        this.afterStart = action;
    }

    /**
     * False while Kafka looks lost: records outstanding (or a send blocked) for longer than
     * {@code kafkaLostAfter} with no acknowledgement in that time, a record refused for good, or the journal thread
     * stopped. Thread-safe; logs each change of state once.
     */
    @Override
    public boolean healthy() {
        long now = System.nanoTime();
        long lastAck = lastAckNanos.get();
        long oldest = oldestOutstandingNanos;
        long inSend = inSendSinceNanos;
        long wm = watermarksOutstanding.get() > 0 ? watermarkRoundSentNanos : 0;
        boolean silent = now - lastAck > lostAfterNanos;
        boolean waiting = (oldest != 0 && now - oldest > lostAfterNanos)
                || (inSend != 0 && now - inSend > lostAfterNanos)
                || (wm != 0 && now - wm > lostAfterNanos);
        boolean ok = !(silent && waiting) && failedRecords.get() == 0 && !threadFailed;
        if (reportedHealthy.compareAndSet(!ok, ok)) {
            if (ok) {
                LOG.info("Kafka regained: journal of tree {} is draining to {} (durable seq {}, sent seq {})",
                        tree, topic, durableSeq, sentSeq);
            } else {
                LOG.warn("Kafka lost: no acknowledgement from {} for {} ms; the journal buffers (durable seq {}, "
                                + "sent seq {}) and the engine refuses writes once its journal bound is full",
                        bootstrapServers, TimeUnit.NANOSECONDS.toMillis(now - lastAck), durableSeq, sentSeq);
            }
        }
        return ok;
    }

    /** The highest seq Kafka has acknowledged together with every seq below it. */
    public long durableSeq() {
        return durableSeq;
    }

    /** The highest seq handed to the producer. */
    public long sentSeq() {
        return sentSeq;
    }

    /** Leaf records handed to the producer since start. */
    public long recordsSent() {
        return recordsSent.get();
    }

    /** What the last {@link #recover} read (records, leaves, milliseconds), or null before it ran; for metrics. */
    public TopicRecovery.Result lastRecovery() {
        return recovery;
    }

    /** Records Kafka refused for good since start (each one stops the durable watermark before it); for metrics. */
    public long producerErrors() {
        return failedRecords.get();
    }

    /** Applied batches handed to the producer but not yet acknowledged. */
    public long backlogSeqs() {
        return sentSeq - durableSeq;
    }

    private void run() {
        BackgroundPriority.lowerCurrentThread(config.nice());
        JournalFeed.Consumer consumer = this::onBatch;
        try {
            while (running) {
                int n = feed.poll(consumer, config.pollLimit());
                advanceWatermark();
                maybeWriteWatermarks();
                healthy();
                if (n == 0) {
                    // a fixed nap, not a short backoff: waking every 20-40 us to hand over one batch cost a context
                    // switch per update at 50,000/s; the producer lingers 5 ms anyway, so 1 ms here barely shows in
                    // a DURABLE ack, and acknowledgements still wake a napping thread at once
                    idle = true;
                    LockSupport.parkNanos(this, IDLE_NAP_NANOS);
                    idle = false;
                }
            }
            // drain what the engine applied before close, within the close bound
            long deadline = System.nanoTime() + config.closeTimeout().toNanos();
            while (!stopRequested && System.nanoTime() < deadline && feed.poll(consumer, config.pollLimit()) > 0) {
                advanceWatermark();
            }
            while (!pending.isEmpty() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(this, 1_000_000);
                advanceWatermark();
            }
        } catch (Throwable t) {
            LOG.error("the journal thread of tree {} stopped on an unexpected error; the engine will fill its journal "
                    + "bound and refuse writes with UNAVAILABLE", tree, t);
            threadFailed = true;
            healthy();
        }
    }

    private void onBatch(EventView batch, long appliedAtMicros) {
        BatchAck ack = toRecords(batch, appliedAtMicros);
        ack.sentNanos = System.nanoTime();
        // in the pending queue before the first send: a stop that interrupts the batch still finds all of it
        pending.addLast(ack);
        for (ProducerRecord<byte[], byte[]> rec : ack.records) {
            if (!send(rec, ack)) {
                return;
            }
        }
        sentSeq = ack.seq;
    }

    /**
     * The batch's records as they go to the topic, kept with the batch until Kafka acknowledged all of them, so that
     * a stop with Kafka unreachable can keep them in the backlog file.
     */
    private BatchAck toRecords(EventView batch, long appliedAtMicros) {
        long seq = batch.seq();
        int size = batch.size();
        BatchAck ack = new BatchAck(seq, size, Thread.currentThread());
        for (int i = 0; i < size; i++) {
            long changeSeq = batch.changeSeq(i);
            if (changeSeq <= 0) {
                changeSeq = seq;
            }
            byte[] key = batch.path(i).utf8();
            ProducerRecord<byte[], byte[]> rec;
            if (batch.isDelete(i)) {
                RecordHeaders headers = new RecordHeaders();
                headers.add(RecordCodec.SEQ_HEADER, RecordCodec.seqHeader(changeSeq));
                rec = new ProducerRecord<>(topic, null, null, key, null, headers);
            } else {
                rec = new ProducerRecord<>(topic, key,
                        RecordCodec.leafRecord(batch.value(i), changeSeq, appliedAtMicros, treeUtf8));
            }
            ack.records[i] = rec;
            ack.seqs[i] = changeSeq;
        }
        return ack;
    }

    /** Hands one record to the producer, waiting while Kafka is away; false when the journal is closing. */
    private boolean send(ProducerRecord<byte[], byte[]> rec, Callback callback) {
        inSendSinceNanos = System.nanoTime();
        try {
            producer.send(rec, callback);
            recordsSent.incrementAndGet();
            return true;
        } catch (KafkaException | IllegalStateException e) {
            // IllegalStateException: the producer was closed before this send began
            if (!running) {
                // close() woke us up: what was not handed over is not durable, and never reported as such
                stopRequested = true;
                return false;
            }
            throw e;
        } finally {
            inSendSinceNanos = 0;
        }
    }

    private void advanceWatermark() {
        long durable = -1;
        BatchAck head;
        while ((head = pending.peekFirst()) != null && head.get() == 0) {
            durable = head.seq;
            pending.pollFirst();
        }
        if (durable > durableSeq) {
            durableSeq = durable;
            feed.markDurable(durable);
        }
        head = pending.peekFirst();
        oldestOutstandingNanos = head == null ? 0 : head.sentNanos;
    }

    /**
     * Writes the watermark of every partition once a period, also when nothing new was sent: the rewrite of an
     * unchanged seq is the journal's heartbeat (a handful of records per second on compacted keys), without which an
     * idle journal would never notice that Kafka is gone. One round at a time: while Kafka is away the round stays
     * outstanding and {@link #healthy()} reports it once it is older than {@code kafkaLostAfter}.
     */
    private void maybeWriteWatermarks() {
        long now = System.nanoTime();
        long seq = sentSeq;
        if (watermarksOutstanding.get() > 0 || now - watermarkRoundSentNanos < WATERMARK_PERIOD_NANOS) {
            return;
        }
        watermarkRoundSentNanos = now;
        byte[] value = RecordCodec.watermark(seq, tree);
        Callback cb = (md, e) -> {
            if (e == null) {
                lastAckNanos.set(System.nanoTime());
            }
            watermarksOutstanding.decrementAndGet();
        };
        for (int p = 0; p < partitions; p++) {
            watermarksOutstanding.incrementAndGet();
            if (!send(new ProducerRecord<>(topic, p, RecordCodec.watermarkKey(tree, p), value), cb)) {
                watermarksOutstanding.decrementAndGet();
                return;
            }
        }
    }

    /**
     * Waits up to {@code closeTimeout} for Kafka to acknowledge every applied batch; what it did not (Kafka
     * unreachable, or slower than the bound) is written to the backlog file that the next {@link #recover} replays.
     */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            t = thread;
            if (closed) {
                return;
            }
            closed = true;
            running = false;
            closing = true;
        }
        boolean threadEnded = true;
        if (t != null) {
            LockSupport.unpark(t);
            join(t, config.closeTimeout().toMillis() + 500);
            if (t.isAlive()) {
                // blocked in send() because Kafka is away: closing the producer wakes it up
                producer.close(Duration.ZERO);
                join(t, 5_000);
            }
            threadEnded = !t.isAlive();
        }
        int keptBatches = 0;
        int keptRecords = 0;
        if (t != null && threadEnded) {
            // the journal thread has ended (join: its pending queue and the feed are ours now)
            List<JournalBacklog.Entry> backlog = unjournaled();
            if (!backlog.isEmpty()) {
                producer.close(Duration.ZERO); // what it still holds is in the file now: do not wait for Kafka
                keptRecords = backlog.size();
                keptBatches = keptBatchCount;
                Path file = JournalBacklog.file(config.dataDir(), tree);
                try {
                    JournalBacklog.write(file, topic, tree, backlog);
                    LOG.warn("Kafka did not acknowledge {} applied batches ({} records, seq {} to {}) within {}: kept "
                                    + "in {}; the next start replays them before it serves", keptBatches, keptRecords,
                            durableSeq + 1, backlog.get(backlog.size() - 1).seq(), config.closeTimeout(), file);
                } catch (IOException | RuntimeException e) {
                    LOG.error("could not keep the {} records Kafka did not acknowledge (seq above {}) in {}: they are "
                            + "lost at this stop", keptRecords, durableSeq, file, e);
                }
            }
        } else if (t != null) {
            LOG.error("the journal thread of tree {} did not end within its bound; the updates above durable seq {} "
                    + "that Kafka did not acknowledge are lost at this stop", tree, durableSeq);
        }
        producer.close(config.closeTimeout());
        LOG.info("journal of tree {} closed: durable seq {}, sent seq {}{}", tree, durableSeq, sentSeq,
                keptBatches > 0 ? " (Kafka did not acknowledge the rest: " + keptBatches
                        + " batches kept in the backlog file)" : "");
    }

    private int keptBatchCount;

    /**
     * Every record of every applied batch Kafka has not wholly acknowledged, in seq order: the batches still pending
     * (sent, or being sent when the stop came) and those the journal never took from the feed. Called after the
     * journal thread ended.
     */
    private List<JournalBacklog.Entry> unjournaled() {
        List<JournalBacklog.Entry> out = new ArrayList<>();
        int batches = 0;
        for (BatchAck ack : pending) {
            if (ack.get() != 0) {
                batches++;
                ack.addTo(out);
            }
        }
        pending.clear();
        if (feed != null) {
            int[] n = {0};
            JournalFeed.Consumer keep = (batch, appliedAtMicros) -> {
                toRecords(batch, appliedAtMicros).addTo(out);
                n[0]++;
            };
            try {
                while (feed.poll(keep, Integer.MAX_VALUE) > 0) {
                    // drains the feed: the writer has stopped (the engine closes its journal after its writer)
                }
            } catch (RuntimeException e) {
                // only after the journal thread failed inside a batch (it left that slot of the feed half-taken)
                LOG.error("could not take the rest of the engine's journal feed after the journal thread failed; the "
                        + "batches after seq {} that were in it are lost at this stop", n[0] == 0 ? durableSeq
                        : out.get(out.size() - 1).seq(), e);
            }
            batches += n[0];
        }
        keptBatchCount = batches;
        return out;
    }

    private static void join(Thread t, long millis) {
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Counts the outstanding records of one batch; the producer's I/O thread counts down, the journal thread reads.
     * A failed record keeps the count above zero, so the watermark never passes a batch that is not wholly durable.
     */
    private final class BatchAck extends AtomicInteger implements Callback {
        private static final long serialVersionUID = 1L;
        final long seq;
        long sentNanos;
        final Thread journalThread;
        /** The batch's records and their seqs, kept until Kafka acknowledged them all (for the backlog file). */
        final ProducerRecord<byte[], byte[]>[] records;
        final long[] seqs;

        @SuppressWarnings("unchecked")
        BatchAck(long seq, int records, Thread journalThread) {
            super(records);
            this.seq = seq;
            this.journalThread = journalThread;
            this.records = new ProducerRecord[records];
            this.seqs = new long[records];
        }

        void addTo(List<JournalBacklog.Entry> out) {
            for (int i = 0; i < records.length; i++) {
                out.add(new JournalBacklog.Entry(seqs[i], records[i].key(), records[i].value()));
            }
        }

        @Override
        public void onCompletion(RecordMetadata metadata, Exception exception) {
            if (exception == null) {
                lastAckNanos.set(System.nanoTime());
                // wake the journal thread only when it sleeps: a busy one sees the count on its next turn
                if (decrementAndGet() == 0 && idle) {
                    LockSupport.unpark(journalThread);
                }
            } else if (closing) {
                // the stop closed the producer: this batch goes to the backlog file
            } else if (failedRecords.getAndIncrement() == 0) {
                LOG.error("Kafka refused a record of batch seq {} of tree {}; the durable watermark stops before it "
                        + "and the journal reports itself unhealthy", seq, tree, exception);
            }
        }
    }
}
