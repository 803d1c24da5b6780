package io.treecast.e2e;

import io.treecast.client.AckMode;
import io.treecast.client.ClientSubscription;
import io.treecast.client.LeafChange;
import io.treecast.client.Policy;
import io.treecast.client.Snapshot;
import io.treecast.client.SubscribeSpec;
import io.treecast.client.TreeEvent;
import io.treecast.client.TreeValue;
import io.treecast.client.TreecastClient;
import io.treecast.client.TreecastClientException;
import io.treecast.proto.LeafRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The seven guarantees of DESIGN.md, checked from the outside: the packaged server as its own process with real
 * Kafka ({@link KafkaFixture}), the public client over TCP and over WebSocket. One server for the class; every
 * test writes under its own prefix and depends on no other test having run (or not) before it: the restart test
 * restarts the server on the same ports, and compares only what it reads before and after.
 */
@ExtendWith(ServerLogOnFailure.class)
class GuaranteesIT {
    /** Small, so that a resume point falls out of the replay ring after a few thousand batches. */
    private static final int REPLAY_RING = 1024;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String TOPIC = "treecast.leaves";

    @TempDir
    static Path dataDir;
    private static KafkaFixture kafka;
    private static ServerProcess server;

    @BeforeAll
    static void startServer() throws Exception {
        kafka = KafkaFixture.start(dataDir);
        List<String> args = new ArrayList<>(kafka.serverArgs());
        args.addAll(List.of("--set", "engine.replay-ring-capacity=" + REPLAY_RING));
        server = ServerProcess.start("guarantees", args);
    }

    @AfterAll
    static void stopServer() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    private static java.util.Optional<ProcessHandle> stateStoreChild() {
        // /proc's command line: ProcessHandle.Info may leave the arguments of a long command line out
        return server.descendants().stream().filter(p -> {
            try {
                return new String(java.nio.file.Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
                        StandardCharsets.UTF_8).contains("-Dtreecast.child=state-store");
            } catch (java.io.IOException ended) {
                return false;
            }
        }).findFirst();
    }

    private static TreecastClient connect(String transport) {
        return TreecastClient.connect(server.url(transport));
    }

    private static ClientSubscription subscribe(TreecastClient client, SubscribeSpec spec, Recorder recorder) {
        return client.subscribe(spec, recorder, recorder::ended);
    }

    /** Guarantee 1: seq order, and each batch's matching part in one event, never split, never mixed. */
    @ParameterizedTest(name = "over {0}")
    @ValueSource(strings = {"tcp", "ws"})
    void everySubscriberSeesWholeBatchesInSeqOrder(String transport) {
        String p = "g1-" + transport;
        try (TreecastClient client = connect(transport)) {
            Recorder events = new Recorder();
            try (ClientSubscription sub = subscribe(client,
                    SubscribeSpec.pattern(p + "/{a,b}/*").snapshot().policy(Policy.STRICT).outboxCapacity(8192), events)) {
                events.awaitSnapshotEnd(WAIT);
                List<Long> seqs = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    int n = i;
                    seqs.add(client.update(b -> b.set(p + "/a/k" + (n % 7), n).set(p + "/c/k" + n, n).set(p + "/b/k" + (n % 5), n)));
                }
                long last = seqs.get(seqs.size() - 1);
                events.awaitSeq(last, WAIT);

                List<TreeEvent> updates = events.updates();
                assertThat(updates).extracting(TreeEvent::seq).containsExactlyElementsOf(seqs);
                for (int i = 0; i < updates.size(); i++) {
                    TreeEvent e = updates.get(i);
                    assertThat(e.conflated()).isFalse();
                    assertThat(e.changes()).as("the matching part of batch %d, whole and in batch order", i)
                            .extracting(LeafChange::path).containsExactly(p + "/a/k" + (i % 7), p + "/b/k" + (i % 5));
                    long value = i;
                    assertThat(e.changes()).allSatisfy(c -> {
                        assertThat(c.value().asLong()).isEqualTo(value);
                        assertThat(c.seq()).isEqualTo(e.seq());
                    });
                }
                assertThat(events.end()).isNull();
            }
        }
    }

    /** Guarantee 2: snapshot + live events with the per-leaf rule = the server's state, under concurrent writes. */
    @ParameterizedTest(name = "over {0}")
    @ValueSource(strings = {"tcp", "ws"})
    void snapshotThenLiveEventsGiveExactlyTheServersState(String transport) throws Exception {
        String p = "g2-" + transport;
        try (TreecastClient writer = connect(transport); TreecastClient reader = connect(transport)) {
            for (int i = 0; i < 200; i += 10) {
                int from = i;
                writer.update(b -> {
                    for (int j = from; j < from + 10; j++) {
                        b.set(p + "/n" + (j % 20) + "/leaf" + j, j);
                    }
                });
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong lastSeq = new AtomicLong();
            AtomicLong writes = new AtomicLong();
            AtomicReference<Throwable> writerFailure = new AtomicReference<>();
            Thread writing = new Thread(() -> {
                Random random = new Random(42);
                try {
                    while (!stop.get()) {
                        int op = random.nextInt(20);
                        long seq;
                        if (op == 0) {
                            seq = writer.delete(p + "/n" + random.nextInt(20)); // a whole subtree
                        } else if (op < 4) {
                            seq = writer.delete(p + "/n" + random.nextInt(20) + "/leaf" + random.nextInt(400));
                        } else {
                            int a = random.nextInt(400);
                            int b = random.nextInt(400);
                            long v = random.nextLong();
                            seq = writer.update(batch -> batch.set(p + "/n" + (a % 20) + "/leaf" + a, v)
                                    .set(p + "/n" + (b % 20) + "/leaf" + b, "s" + v));
                        }
                        lastSeq.set(seq);
                        writes.incrementAndGet();
                    }
                } catch (Throwable t) {
                    writerFailure.set(t);
                }
            }, "g2-writer");
            writing.start();
            Recorder events = new Recorder();
            try {
                await().atMost(WAIT).untilAsserted(() -> assertThat(writes.get()).isGreaterThanOrEqualTo(50));
                try (ClientSubscription sub = subscribe(reader, SubscribeSpec.pattern(p + "/**").snapshot(), events)) {
                    long afterSubscribe = writes.get();
                    events.awaitSnapshotEnd(WAIT);
                    await().atMost(WAIT).untilAsserted(() -> assertThat(writes.get()).as("writes").isGreaterThanOrEqualTo(afterSubscribe + 300));
                    stop.set(true);
                    writing.join(WAIT.toMillis());
                    assertThat(writerFailure.get()).isNull();
                    // the random writer's last batch may delete a leaf that is not there: it gets a seq but changes
                    // nothing, so no subscriber sees it. One more set is seen, and marks the end of the writes.
                    long last = writer.set(p + "/n0/last", 1);
                    assertThat(last).isGreaterThan(lastSeq.get());
                    events.awaitSeq(last, WAIT);

                    Snapshot server = reader.get(p + "/**");
                    assertThat(server.seq()).isGreaterThanOrEqualTo(last);
                    assertThat(events.state()).as("no missed change, no stale leaf, no phantom leaf")
                            .containsExactlyInAnyOrderEntriesOf(server.toMap());
                    assertThat(events.end()).isNull();
                }
            } finally {
                stop.set(true);
                writing.join(WAIT.toMillis());
            }
        }
    }

    /** Guarantee 3: resume_after S gives exactly the matching events after S, the same ones an unbroken stream got. */
    @ParameterizedTest(name = "over {0}")
    @ValueSource(strings = {"tcp", "ws"})
    void resumeAfterGivesExactlyTheEventsAfterThatSeq(String transport) {
        String p = "g3-" + transport;
        try (TreecastClient client = connect(transport); TreecastClient other = connect(transport)) {
            Recorder unbroken = new Recorder();
            try (ClientSubscription ref = subscribe(other, SubscribeSpec.pattern(p + "/**").snapshot().policy(Policy.STRICT), unbroken)) {
                unbroken.awaitSnapshotEnd(WAIT);
                long resumePoint = 0;
                for (int i = 0; i < 50; i++) {
                    int n = i;
                    long seq = client.update(b -> b.set(p + "/k" + (n % 9), n).set("elsewhere/g3/" + n, n));
                    if (i == 24) {
                        resumePoint = seq;
                    }
                }
                Recorder resumed = new Recorder();
                long s = resumePoint;
                try (ClientSubscription sub = subscribe(client, SubscribeSpec.pattern(p + "/**").resumeAfter(s).policy(Policy.STRICT), resumed)) {
                    long last = 0;
                    for (int i = 50; i < 100; i++) {
                        int n = i;
                        last = client.update(b -> b.set(p + "/k" + (n % 9), n));
                    }
                    long end = last;
                    resumed.awaitSeq(end, WAIT);
                    unbroken.awaitSeq(end, WAIT);
                    List<TreeEvent> expected = unbroken.updates().stream().filter(e -> e.seq() > s).toList();
                    assertThat(expected).hasSize(75);
                    assertThat(resumed.events()).as("no RESET, no snapshot, no gap, no duplicate").containsExactlyElementsOf(expected);
                }
            }
        }
    }

    /** Guarantee 3, the other half: a resume point older than the replay ring gets an explicit RESET, never a gap. */
    @ParameterizedTest(name = "over {0}")
    @ValueSource(strings = {"tcp", "ws"})
    void resumeFromBeforeTheReplayRingGetsAResetAndAFreshSnapshot(String transport) {
        String p = "g3old-" + transport;
        try (TreecastClient client = connect(transport)) {
            long old = client.set(p + "/first", 1L);
            client.set(p + "/gone", 1L);
            client.delete(p + "/gone");
            for (int i = 0; i < REPLAY_RING + 200; i++) {
                int n = i;
                client.publish(b -> b.set("elsewhere/g3old/" + transport + "/" + (n % 100), n));
            }
            client.set(p + "/second", 2L);
            Recorder resumed = new Recorder();
            try (ClientSubscription sub = subscribe(client, SubscribeSpec.pattern(p + "/**").resumeAfter(old), resumed)) {
                resumed.awaitSnapshotEnd(WAIT);
                long last = client.set(p + "/third", 3L);
                resumed.awaitSeq(last, WAIT);
                assertThat(resumed.events().get(0).kind()).isEqualTo(TreeEvent.Kind.RESET);
                assertThat(resumed.state()).containsExactlyInAnyOrderEntriesOf(client.get(p + "/**").toMap())
                        .containsOnlyKeys(p + "/first", p + "/second", p + "/third");
            }
        }
    }

    /**
     * Guarantee 4: a subscriber that stops reading (demand 1, tiny outbox) neither blocks the publisher nor delays the
     * fast subscribers, which get every batch in order. STRICT ends it with SLOW_CONSUMER and the last seq it got;
     * CONFLATE keeps it alive and, once it reads again, its view converges to the server's.
     */
    @ParameterizedTest(name = "{1} slow subscriber over {0}")
    @CsvSource({"tcp,STRICT", "tcp,CONFLATE", "ws,STRICT", "ws,CONFLATE"})
    void slowSubscriberNeverSlowsThePublisherOrTheFastSubscribers(String transport, Policy policy) {
        String p = "g4-" + transport + "-" + policy;
        String otherTransport = transport.equals("tcp") ? "ws" : "tcp";
        try (TreecastClient publisher = connect(transport);
             TreecastClient slowClient = connect(transport);
             TreecastClient fastClient = connect(transport);
             TreecastClient fastElsewhere = connect(otherTransport)) {
            Recorder fast = new Recorder();
            Recorder fastOther = new Recorder();
            Recorder slow = new Recorder();
            AtomicReference<Subscription> slowDemand = new AtomicReference<>();
            AtomicReference<Throwable> slowEnd = new AtomicReference<>();
            // one event per frame, so that the RSocket demand is exactly the subscriber's (no frames read ahead)
            slowClient.reactive().subscribe(SubscribeSpec.pattern(p + "/**").policy(policy).outboxCapacity(16).eventsPerFrame(1))
                    .subscribe(new BaseSubscriber<TreeEvent>() {
                        @Override
                        protected void hookOnSubscribe(Subscription s) {
                            slowDemand.set(s);
                            s.request(1); // one event, then nothing until the test asks for more
                        }

                        @Override
                        protected void hookOnNext(TreeEvent e) {
                            slow.accept(e);
                        }

                        @Override
                        protected void hookOnError(Throwable t) {
                            slowEnd.set(t);
                        }
                    });
            try (ClientSubscription a = subscribe(fastClient, SubscribeSpec.pattern(p + "/**").snapshot().policy(Policy.STRICT).outboxCapacity(16384), fast);
                 ClientSubscription b = subscribe(fastElsewhere, SubscribeSpec.pattern(p + "/**").snapshot().policy(Policy.STRICT).outboxCapacity(16384), fastOther)) {
                fast.awaitSnapshotEnd(WAIT);
                fastOther.awaitSnapshotEnd(WAIT);
                List<Long> seqs = new ArrayList<>();
                // the slow subscription has no snapshot to wait for: write until its single requested event arrives
                await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                    seqs.add(publisher.set(p + "/k0", -1L));
                    assertThat(slow.events()).as("events the slow subscription got").isNotEmpty();
                });

                for (int i = 0; i < 2000; i++) {
                    int n = i;
                    seqs.add(publisher.update(batch -> batch.set(p + "/k" + (n % 50), n))); // every ack comes back
                }
                long last = seqs.get(seqs.size() - 1);
                fast.awaitSeq(last, WAIT);
                fastOther.awaitSeq(last, WAIT);
                for (Recorder r : List.of(fast, fastOther)) {
                    assertThat(r.updates()).extracting(TreeEvent::seq).containsExactlyElementsOf(seqs);
                    assertThat(r.updates()).noneMatch(TreeEvent::conflated);
                    assertThat(r.end()).isNull();
                }

                if (policy == Policy.STRICT) {
                    await().atMost(WAIT).untilAsserted(() -> assertThat(slowEnd.get()).as("how the slow stream ended; it got %s", slow).isNotNull());
                    assertThat(slowEnd.get()).isInstanceOf(TreecastClientException.class);
                    TreecastClientException end = (TreecastClientException) slowEnd.get();
                    assertThat(end.code()).isEqualTo(TreecastClientException.Code.SLOW_CONSUMER);
                    List<TreeEvent> got = slow.events();
                    assertThat(end.lastSeq()).as("the last seq it was sent, to resume from").isEqualTo(got.get(got.size() - 1).seq());
                } else {
                    assertThat(slowEnd.get()).as("CONFLATE never ends a slow subscriber").isNull();
                    slowDemand.get().request(Long.MAX_VALUE);
                    slow.awaitSeq(last, WAIT);
                    List<TreeEvent> updates = slow.updates();
                    assertThat(updates).extracting(TreeEvent::seq).isSorted().doesNotHaveDuplicates();
                    assertThat(updates).as("far fewer events than batches, marked conflated").hasSizeLessThan(seqs.size())
                            .anyMatch(TreeEvent::conflated);
                    assertThat(slow.state()).containsExactlyInAnyOrderEntriesOf(publisher.get(p + "/**").toMap());
                }
            } finally {
                Subscription s = slowDemand.get();
                if (s != null) {
                    s.cancel();
                }
            }
        }
    }

    /** Guarantee 5: a DURABLE ack means the change is in the compacted topic, one record per change, in seq order. */
    @ParameterizedTest(name = "over {0}")
    @ValueSource(strings = {"tcp", "ws"})
    void durableAckMeansEveryChangeIsInTheCompactedTopicInSeqOrder(String transport) throws Exception {
        String p = "g5-" + transport;
        String x = p + "/x";
        String y = p + "/y";
        try (TreecastClient client = connect(transport)) {
            long s1 = client.update(b -> b.set(x, 1L), AckMode.DURABLE);
            long s2 = client.update(b -> b.set(x, 2L), AckMode.DURABLE);
            long s3 = client.update(b -> b.delete(x).set(y, "why"), AckMode.DURABLE);

            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, server.bootstrapServers());
            props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            List<ConsumerRecord<byte[], byte[]>> ofX = new ArrayList<>();
            List<ConsumerRecord<byte[], byte[]>> ofY = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
                List<TopicPartition> partitions = consumer.partitionsFor(TOPIC, WAIT).stream()
                        .map(i -> new TopicPartition(TOPIC, i.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                await().atMost(WAIT).untilAsserted(() -> {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        String key = new String(r.key(), StandardCharsets.UTF_8);
                        if (key.equals(x)) {
                            ofX.add(r);
                        } else if (key.equals(y)) {
                            ofY.add(r);
                        }
                    }
                    assertThat(ofX).as("records of %s in the topic", x).hasSizeGreaterThanOrEqualTo(3);
                    assertThat(ofY).as("records of %s in the topic", y).isNotEmpty();
                });
            }
            assertThat(ofX).hasSize(3);
            assertThat(LeafRecord.parseFrom(ofX.get(0).value()).getSeq()).isEqualTo(s1);
            assertThat(LeafRecord.parseFrom(ofX.get(0).value()).getValue().getIntValue()).isEqualTo(1L);
            assertThat(LeafRecord.parseFrom(ofX.get(1).value()).getSeq()).isEqualTo(s2);
            assertThat(ofX.get(2).value()).as("a delete is a tombstone").isNull();
            Header seqHeader = ofX.get(2).headers().lastHeader("treecast.seq");
            assertThat(seqHeader).isNotNull();
            assertThat(ByteBuffer.wrap(seqHeader.value()).getLong()).isEqualTo(s3);
            assertThat(ofY).singleElement().satisfies(r -> {
                LeafRecord leaf = LeafRecord.parseFrom(r.value());
                assertThat(leaf.getSeq()).isEqualTo(s3);
                assertThat(leaf.getValue().getStringValue()).isEqualTo("why");
            });
        }
    }

    /**
     * Guarantee 7: each bad request gets its own code and a message naming the problem; the same connection, a
     * subscriber of the same subtree and the data are untouched.
     */
    @ParameterizedTest(name = "over {0}")
    @ValueSource(strings = {"tcp", "ws"})
    void badInputGetsItsCodeAndLeavesTheConnectionOtherClientsAndDataAlone(String transport) {
        String p = "g7-" + transport;
        try (TreecastClient client = connect(transport); TreecastClient watcherClient = connect(transport)) {
            Recorder watcher = new Recorder();
            try (ClientSubscription sub = subscribe(watcherClient, SubscribeSpec.pattern(p + "/**").snapshot().policy(Policy.STRICT), watcher)) {
                watcher.awaitSnapshotEnd(WAIT);
                long first = client.set(p + "/ok", 1L);

                assertRefused(() -> client.set(p + "//bad", 1L), TreecastClientException.Code.INVALID_PATH, p + "//bad");
                assertRefused(() -> client.set(p + "/a*b", 1L), TreecastClientException.Code.INVALID_PATH, p + "/a*b");
                assertRefused(() -> client.get(p + "/{x"), TreecastClientException.Code.INVALID_PATTERN, p + "/{x");
                assertRefused(() -> client.set(p + "/big", new byte[70_000]), TreecastClientException.Code.VALUE_TOO_LARGE,
                        "limits.max-value-bytes");
                assertRefused(() -> client.update(b -> {
                    b.set(p + "/ok", 99L);
                    for (int i = 0; i < 1100; i++) {
                        b.set(p + "/many/" + i, i);
                    }
                }), TreecastClientException.Code.INVALID_BATCH, "limits.max-batch-changes");
                AtomicReference<TreecastClientException> refused = new AtomicReference<>();
                client.subscribe(SubscribeSpec.pattern("a/**/b/**/c/**/d/**/e/**"), e -> { }, refused::set);
                await().atMost(WAIT).untilAsserted(() -> assertThat(refused.get()).isNotNull());
                assertThat(refused.get().code()).isEqualTo(TreecastClientException.Code.INVALID_PATTERN);

                long second = client.set(p + "/ok", 2L);
                watcher.awaitSeq(second, WAIT);
                assertThat(watcher.updates()).as("the watcher saw the two good writes and nothing of the bad ones")
                        .extracting(TreeEvent::seq).containsExactly(first, second);
                assertThat(client.get(p + "/**").toMap()).containsExactly(Map.entry(p + "/ok", TreeValue.of(2L)));
                assertThat(watcher.end()).isNull();
            }
        }
    }

    private static void assertRefused(Runnable call, TreecastClientException.Code code, String inMessage) {
        TreecastClientException e = catchThrowableOfType(TreecastClientException.class, call::run);
        assertThat(e).as("refused with %s", code).isNotNull();
        assertThat(e.code()).isEqualTo(code);
        assertThat(e.reason()).contains(inMessage);
    }

    /**
     * Guarantee 6: after a restart the tree is back before the first write, and seq continues above every seq issued.
     * One restart for both transports (a durable start costs seconds): written over each before, read over each after.
     */
    @Test
    void restartRebuildsTheTreeFromKafkaAndSeqContinuesAboveEverySeqIssued() throws Exception {
        long lastIssued = 0;
        for (String transport : List.of("tcp", "ws")) {
            String p = "g6-" + transport;
            try (TreecastClient client = connect(transport)) {
                client.update(b -> b.set(p + "/a", 1L).set(p + "/b", "bee").set(p + "/c/d", true), AckMode.DURABLE);
                client.update(b -> b.delete(p + "/c"), AckMode.DURABLE);
                client.update(b -> b.set(p + "/a", 2.5), AckMode.DURABLE);
                lastIssued = client.set(p + "/applied-only", "not waited for"); // APPLIED: the graceful stop flushes it
            }
        }
        Snapshot before;
        try (TreecastClient client = connect("tcp")) {
            before = client.get("**");
        }
        // the state store's child JVM (durability.state-store-process=child, the default) starts after recovery
        await().atMost(WAIT).until(() -> stateStoreChild().isPresent());
        ProcessHandle stateChild = stateStoreChild().orElseThrow();
        assertThat(server.stop()).as("SIGTERM is a graceful stop: exit 143 (128 + SIGTERM) after the shutdown hook").isIn(0, 143);
        assertThat(server.logText()).contains("Treecast stopped")
                .contains("state store child (pid " + stateChild.pid() + ") stopped in");
        assertThat(stateChild.isAlive()).as("the graceful stop stopped the state store child").isFalse();
        server.restart();
        for (String transport : List.of("tcp", "ws")) {
            String p = "g6-" + transport;
            try (TreecastClient client = connect(transport)) {
                Snapshot after = client.get("**");
                assertThat(after.toMap()).as("every leaf of every test so far, nothing more").isEqualTo(before.toMap());
                assertThat(after.toMap()).containsEntry(p + "/a", TreeValue.of(2.5)).doesNotContainKey(p + "/c/d")
                        .containsEntry(p + "/applied-only", TreeValue.of("not waited for"));
            }
        }
        for (String transport : List.of("tcp", "ws")) {
            try (TreecastClient client = connect(transport)) {
                assertThat(client.set("g6-" + transport + "/after", 1L)).isGreaterThan(lastIssued).isGreaterThan(before.seq());
            }
        }
    }

}
