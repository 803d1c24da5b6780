package io.treecast.fastpath;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class JournalPortTest {

    /** An in-memory journal on its own thread; the test decides how far it may report durability. */
    static final class MemoryJournal implements Journal {
        final List<String> records = new ArrayList<>();
        final List<Long> seqs = new ArrayList<>();
        volatile long allowDurableUpTo = Long.MAX_VALUE;
        volatile boolean healthy = true;
        private volatile boolean running = true;
        private Thread thread;

        @Override
        public long recover(LeafVisitor into) {
            into.leaf(TreePath.parse("r/x"), "old".getBytes(UTF_8), 40);
            into.leaf(TreePath.parse("r/y"), "older".getBytes(UTF_8), 7);
            return 41;
        }

        @Override
        public void start(JournalFeed feed) {
            thread = new Thread(() -> {
                long polled = 0;
                while (running) {
                    long[] last = {polled};
                    feed.poll((batch, at) -> {
                        synchronized (records) {
                            seqs.add(batch.seq());
                            for (int i = 0; i < batch.size(); i++) {
                                records.add(batch.seq() + ":" + batch.path(i) + "=" + (batch.isDelete(i) ? "<del>" : new String(batch.value(i), UTF_8)));
                            }
                        }
                        last[0] = batch.seq();
                    }, 64);
                    polled = last[0];
                    if (polled > 0) {
                        feed.markDurable(Math.min(polled, allowDurableUpTo));
                    }
                    Thread.onSpinWait();
                    Thread.yield();
                }
            }, "memory-journal");
            thread.start();
        }

        @Override
        public boolean healthy() {
            return healthy;
        }

        @Override
        public void close() {
            running = false;
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Engine engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    static Change set(String p, String v) {
        return Change.set(TreePath.parse(p), v.getBytes(UTF_8));
    }

    static final class Ack implements AckListener {
        final AtomicLong seq = new AtomicLong(-1);
        final AtomicReference<ErrorCode> code = new AtomicReference<>();
        volatile String message;

        public void onAck(long s) { seq.set(s); }

        public void onError(ErrorCode c, String m) { message = m; code.set(c); }
    }

    @Test
    void recoveryFillsTheTreeAndSeqContinuesAboveTheHighWaterMark() throws Exception {
        MemoryJournal j = new MemoryJournal();
        engine = Engine.start(EngineConfig.builder().journal(j).build());
        assertThat(engine.currentSeq()).isEqualTo(41);
        TreeSnapshot s = engine.get(PathPattern.parse("r/*")).get();
        assertThat(s.leaves()).extracting(l -> l.path() + "@" + l.seq()).containsExactlyInAnyOrder("r/x@40", "r/y@7");
        Ack ack = new Ack();
        engine.offer(Batch.of(set("r/z", "1")), AckMode.APPLIED, ack);
        await().untilAsserted(() -> assertThat(ack.seq.get()).isEqualTo(42));
    }

    @Test
    void journalReceivesEveryBatchInSeqOrderAsLeafLevelChangesAndDurableAcksWaitForTheWatermark() {
        MemoryJournal j = new MemoryJournal();
        j.allowDurableUpTo = 42;
        engine = Engine.start(EngineConfig.builder().journal(j).build());
        Ack first = new Ack();
        Ack second = new Ack();
        engine.offer(Batch.of(set("m/a", "1"), set("m/b", "2")), AckMode.DURABLE, first);
        engine.offer(Batch.of(Change.delete(TreePath.parse("m"))), AckMode.DURABLE, second);
        await().untilAsserted(() -> assertThat(first.seq.get()).isEqualTo(42));
        await().untilAsserted(() -> { assertThat(engine.durableSeq()).isEqualTo(42); assertThat(engine.currentSeq()).isEqualTo(43); });
        assertThat(second.seq.get()).isEqualTo(-1);
        j.allowDurableUpTo = Long.MAX_VALUE;
        await().untilAsserted(() -> assertThat(second.seq.get()).isEqualTo(43));
        synchronized (j.records) {
            assertThat(j.seqs).containsExactly(42L, 43L);
            assertThat(j.records).containsExactly("42:m/a=1", "42:m/b=2", "43:m/a=<del>", "43:m/b=<del>");
        }
    }

    @Test
    void fullJournalBacklogRefusesBatchesWithUnavailableAndReportsDegraded() {
        MemoryJournal j = new MemoryJournal();
        j.allowDurableUpTo = 41;
        engine = Engine.start(EngineConfig.builder().journal(j).journalCapacity(4).build());
        List<Ack> acks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Ack a = new Ack();
            acks.add(a);
            engine.offer(Batch.of(set("b/" + i, "v")), AckMode.APPLIED, a);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(acks).allMatch(a -> a.seq.get() > 0 || a.code.get() != null));
        assertThat(acks.subList(0, 4)).allMatch(a -> a.seq.get() > 0);
        assertThat(acks.get(4).code.get()).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(acks.get(4).message).contains("journal backlog full: 4 batches not yet durable").contains("Kafka");
        assertThat(engine.stats().rejectedBatches()).isEqualTo(2);
        assertThat(engine.degraded()).isTrue();
        j.allowDurableUpTo = Long.MAX_VALUE;
        await().untilAsserted(() -> assertThat(engine.degraded()).as("engine.degraded()").isFalse());
        Ack later = new Ack();
        engine.offer(Batch.of(set("b/late", "v")), AckMode.APPLIED, later);
        await().untilAsserted(() -> assertThat(later.seq.get()).isEqualTo(46));
    }

    @Test
    void unhealthyJournalMakesTheEngineDegraded() {
        MemoryJournal j = new MemoryJournal();
        engine = Engine.start(EngineConfig.builder().journal(j).build());
        assertThat(engine.degraded()).isFalse();
        j.healthy = false;
        assertThat(engine.degraded()).isTrue();
    }

    @Test
    void journalBacklogPastItsByteBudgetRefusesBatchesWithUnavailableNamingTheKeyAndRecovers() {
        MemoryJournal j = new MemoryJournal();
        j.allowDurableUpTo = 41;
        // 1 KiB values: the byte budget (8 KiB) is reached long before the batch count (1024)
        engine = Engine.start(EngineConfig.builder().journal(j).journalCapacity(1024).journalBytes(8 * 1024).build());
        String value = "v".repeat(1024);
        List<Ack> acks = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Ack a = new Ack();
            acks.add(a);
            engine.offer(Batch.of(set("heavy/" + i, value)), AckMode.APPLIED, a);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(acks).allMatch(a -> a.seq.get() > 0 || a.code.get() != null));
        long applied = acks.stream().filter(a -> a.seq.get() > 0).count();
        assertThat(applied).isBetween(7L, 9L); // ~1 KiB and a few bytes each: the 8th or 9th reaches 8 KiB
        Ack refused = acks.get(19);
        assertThat(refused.code.get()).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(refused.message).contains("journal backlog full").contains("engine.journal-bytes (8192)")
                .contains("nothing was applied");
        // once Kafka confirms, the room is back
        j.allowDurableUpTo = Long.MAX_VALUE;
        await().untilAsserted(() -> assertThat(engine.durableSeq()).isEqualTo(engine.currentSeq()));
        Ack later = new Ack();
        engine.offer(Batch.of(set("heavy/late", value)), AckMode.APPLIED, later);
        await().untilAsserted(() -> assertThat(later.seq.get()).isGreaterThan(0));
    }
}
