package io.treecast.client;

import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@ExtendWith(NoLeaks.class)
class ClientIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TreecastServer server;

    @BeforeAll
    static void start() {
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0")
                .set("limits.max-value-bytes", "1024").build(), null);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void typedValuesRoundTripThroughSetAndGet() {
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            long s1 = client.set("t/str", "héllo");
            client.set("t/long", -42L);
            client.set("t/double", 1.0842);
            client.set("t/bool", true);
            long s5 = client.set("t/bytes", new byte[] {1, 2, 3});
            assertThat(s5).isGreaterThan(s1);
            Snapshot snap = client.get("t/*");
            assertThat(snap.seq()).isGreaterThanOrEqualTo(s5);
            var m = snap.toMap();
            assertThat(m.get("t/str").asString()).isEqualTo("héllo");
            assertThat(m.get("t/long").asLong()).isEqualTo(-42L);
            assertThat(m.get("t/double").asDouble()).isEqualTo(1.0842);
            assertThat(m.get("t/bool").asBoolean()).isTrue();
            assertThat(m.get("t/bytes").asBytes()).containsExactly(1, 2, 3);
            client.delete("t");
            assertThat(client.get("t/**").leaves()).isEmpty();
        }
    }

    @Test
    void updateIsAtomicAndSubscribersSeeItAsOneEvent() {
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            client.set("u/z", 0L);
            List<TreeEvent> events = new CopyOnWriteArrayList<>();
            ClientSubscription sub = client.subscribe("u/**", o -> o.snapshot().policy(Policy.STRICT), events::add);
            await().atMost(WAIT).untilAsserted(() -> assertThat(events).anyMatch(e -> e.kind() == TreeEvent.Kind.SNAPSHOT_END));
            long seq = client.update(b -> b.set("u/x", 1).set("u/y", "s").delete("u/z"), AckMode.APPLIED);
            await().atMost(WAIT).untilAsserted(() -> assertThat(events).anyMatch(e -> e.seq() == seq));
            TreeEvent e = events.stream().filter(ev -> ev.seq() == seq).findFirst().orElseThrow();
            assertThat(e.kind()).isEqualTo(TreeEvent.Kind.UPDATE);
            assertThat(e.changes()).extracting(LeafChange::path).containsExactly("u/x", "u/y", "u/z");
            assertThat(e.changes().get(2).isDelete()).isTrue();
            assertThat(e.changes()).allSatisfy(c -> assertThat(c.seq()).isEqualTo(seq));
            sub.cancel();
        }
    }

    @Test
    void childrenListsOneLevelSortedAndPagesInBothFlavours() {
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            long seq = client.update(b -> b.set("kids/b/x", 1).set("kids/a", "leaf").set("kids/c/y/z", true).set("kids/d", 2.5));
            Children all = client.children("kids");
            assertThat(all.children()).containsExactly(new Children.Child("a", true), new Children.Child("b", false),
                    new Children.Child("c", false), new Children.Child("d", true));
            assertThat(all.more()).isFalse();
            assertThat(all.nextAfter()).isNull();
            assertThat(all.seq()).isGreaterThanOrEqualTo(seq);
            Children first = client.children("kids", 2, "");
            assertThat(first.children()).extracting(Children.Child::name).containsExactly("a", "b");
            assertThat(first.more()).isTrue();
            Children rest = client.reactive().children("kids", 2, first.nextAfter()).block(WAIT);
            assertThat(rest.children()).extracting(Children.Child::name).containsExactly("c", "d");
            assertThat(rest.more()).isFalse();
            assertThat(client.children("").children()).extracting(Children.Child::name).contains("kids");
            assertThat(client.children("kids/a").children()).as("a leaf has no children").isEmpty();
            assertThat(client.children("no/such/node").children()).isEmpty();
        }
    }

    @Test
    void childrenOfABadPathOrWithTooLargeALimitIsRefusedWithItsCodeAndMessageAndTheClientCarriesOn() {
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            assertThatThrownBy(() -> client.children("kids//b"))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> {
                        assertThat(e.code()).isEqualTo(TreecastClientException.Code.INVALID_PATH);
                        assertThat(e.reason()).isEqualTo("path 'kids//b' has an empty segment 2 (a double '/'): remove the extra slash");
                    });
            assertThatThrownBy(() -> client.reactive().children("kids", 10_001, "").block(WAIT))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> {
                        assertThat(e.code()).isEqualTo(TreecastClientException.Code.INVALID_REQUEST);
                        assertThat(e.reason()).isEqualTo("limit 10001 is too large: ask for 1..10000 children (0 = 1000) "
                                + "and page on with after = the last name");
                    });
            assertThatThrownBy(() -> client.children("kids", -1, ""))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("limit -1 is negative");
            client.set("carries/on", 1L);
            assertThat(client.children("carries").children()).containsExactly(new Children.Child("on", true));
        }
    }

    @Test
    void serverErrorsSurfaceWithTheirCodeAndTheClientCarriesOn() {
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            assertThatThrownBy(() -> client.set("bad//path", 1L))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> {
                        assertThat(e.code()).isEqualTo(TreecastClientException.Code.INVALID_PATH);
                        assertThat(e.reason()).contains("bad//path");
                    });
            assertThatThrownBy(() -> client.update(b -> b.set("big/v", new byte[2000]), AckMode.APPLIED))
                    .isInstanceOfSatisfying(TreecastClientException.class, e ->
                            assertThat(e.code()).isEqualTo(TreecastClientException.Code.VALUE_TOO_LARGE));
            assertThatThrownBy(() -> client.update(b -> b.set("d/x", 1), AckMode.DURABLE))
                    .isInstanceOfSatisfying(TreecastClientException.class, e ->
                            assertThat(e.code()).isEqualTo(TreecastClientException.Code.UNAVAILABLE));
            assertThatThrownBy(() -> client.get("a/{b"))
                    .isInstanceOfSatisfying(TreecastClientException.class, e ->
                            assertThat(e.code()).isEqualTo(TreecastClientException.Code.INVALID_PATTERN));
            assertThat(client.set("ok/x", 1L)).isPositive();
        }
    }

    @Test
    void ingestStreamsBatchesAndAcksEachInOrder() {
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            List<IngestAck> acks = client.reactive().ingest(Flux.range(0, 500).map(i -> i == 7
                            ? ChangeBatch.of(b -> b.set("ing//bad", 1))
                            : ChangeBatch.of(b -> b.set("ing/k" + (i % 50), (long) i))))
                    .collectList().block(WAIT);
            assertThat(acks).hasSize(500);
            assertThat(acks.get(7).errorCode()).isEqualTo(TreecastClientException.Code.INVALID_PATH);
            List<Long> seqs = new ArrayList<>();
            acks.stream().filter(a -> !a.isError()).forEach(a -> seqs.add(a.seq()));
            assertThat(seqs).hasSize(499).isSorted();
            assertThat(client.get("ing/k49").toMap().get("ing/k49").asLong()).isEqualTo(499L);
        }
    }

    @Test
    void publishIsFireAndForgetAndWorksOverWebSocket() {
        try (TreecastClient client = TreecastClient.connect(server.webSocketUri())) {
            client.publish(b -> b.set("ws/p", "fire"));
            await().atMost(WAIT).untilAsserted(() -> assertThat(client.get("ws/p").leaves().size()).isEqualTo(1));
            assertThat(client.get("ws/p").toMap().get("ws/p").asString()).isEqualTo("fire");
        }
    }

    @Test
    void resumeAfterDeliversExactlyTheLaterEvents() {
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            long s1 = client.set("r/a", 1L);
            long s2 = client.set("r/a", 2L);
            long s3 = client.set("r/b", 3L);
            List<TreeEvent> events = client.reactive().subscribe(SubscribeSpec.pattern("r/*").resumeAfter(s1))
                    .take(2).collectList().block(WAIT);
            assertThat(events).extracting(TreeEvent::seq).containsExactly(s2, s3);
        }
    }

    @Test
    void aBurstArrivesWholeAndInOrderWhetherEventsTravelSeveralPerFrameOrOneEach() {
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            long first = 0;
            for (int i = 0; i < 300; i++) {
                long seq = client.set("burst/k" + (i % 7), (long) i);
                first = first == 0 ? seq : first;
            }
            for (int perFrame : new int[] {64, 1}) {
                // the 300 events are ready at once: with 64 per frame they travel in few frames, with 1 in 300
                List<TreeEvent> events = client.reactive()
                        .subscribe(SubscribeSpec.pattern("burst/*").resumeAfter(first - 1).eventsPerFrame(perFrame))
                        .take(300).collectList().block(WAIT);
                assertThat(events).extracting(TreeEvent::seq).as("%d per frame", perFrame).isSorted().doesNotHaveDuplicates()
                        .hasSize(300).startsWith(first);
                assertThat(events.get(299).changes()).singleElement()
                        .satisfies(c -> assertThat(c.value().asLong()).isEqualTo(299L));
            }
        }
    }

    @Test
    void manyClientsShareTheEventLoopsInsteadOfAThreadEach() {
        List<TreecastClient> clients = new ArrayList<>();
        try {
            clients.add(TreecastClient.connect(server.tcpUri()));
            int before = Thread.activeCount();
            for (int i = 0; i < 50; i++) {
                clients.add(TreecastClient.connect(server.tcpUri()));
            }
            for (TreecastClient c : clients) {
                c.set("many/x", 1L);
            }
            assertThat(Thread.activeCount() - before).isLessThan(10);
        } finally {
            clients.forEach(TreecastClient::close);
        }
    }

    @Test
    void unreachableServerFailsWithConnection() {
        Throwable t = catchThrowable(() ->
                TreecastClient.connect("tcp://127.0.0.1:1", ClientOptions.defaults().connectTimeout(Duration.ofSeconds(5))));
        assertThat(t).isInstanceOfSatisfying(TreecastClientException.class, e ->
                assertThat(e.code()).isEqualTo(TreecastClientException.Code.CONNECTION));
        assertThatThrownBy(() -> TreecastClient.connect("http://x:1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("use tcp://host:port, tls://host:port, ws://host:port/rsocket or wss://host:port/rsocket");
    }

    @Test
    void aClosedClientRefusesCallsWithClosedAndItsMirrorStops() throws Exception {
        TreecastClient client = TreecastClient.connect(server.tcpUri());
        client.set("closed/x", 1L);
        Mirror mirror = client.mirror("closed/**");
        assertThat(mirror.awaitReady(WAIT)).isTrue();
        client.close();
        assertThatThrownBy(() -> client.set("closed/y", 1L)).isInstanceOfSatisfying(TreecastClientException.class, e ->
                assertThat(e.code()).isEqualTo(TreecastClientException.Code.CLOSED));
        assertThat(mirror.get("closed/x").asLong()).isEqualTo(1L);
        await().atMost(WAIT).untilAsserted(() -> assertThat(mirror.isRunning()).as("mirror.isRunning()").isFalse());
        assertThat(mirror.failure().code()).isEqualTo(TreecastClientException.Code.CLOSED);
        mirror.close();
    }

    @Test
    void mirrorOfAnInvalidPatternStopsWithInvalidPattern() {
        try (TreecastClient client = TreecastClient.connect(server.tcpUri()); Mirror mirror = client.mirror("a/{b")) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(mirror.isRunning()).as("mirror.isRunning()").isFalse());
            assertThat(mirror.failure().code()).isEqualTo(TreecastClientException.Code.INVALID_PATTERN);
            assertThat(mirror.isReady()).isFalse();
            assertThat(client.set("still/ok", 1L)).isPositive();
        }
    }

    @Test
    void slowConsumerNamesTheLastSeqTheApplicationReceivedAlsoWithEventsReadAhead() {
        try (TreecastClient publisher = TreecastClient.connect(server.tcpUri());
             TreecastClient slow = TreecastClient.connect(server.tcpUri())) {
            // the application asks for one event (the snapshot's end: the subscription is live once it arrives) and
            // for nothing more; the client reads frames of up to 64 events ahead of it
            StalledReader reader = new StalledReader();
            slow.reactive().subscribe(SubscribeSpec.pattern("gap/**").snapshot().policy(Policy.STRICT).outboxCapacity(16))
                    .subscribe(reader);
            List<TreeEvent> got = reader.got;
            java.util.concurrent.atomic.AtomicReference<Throwable> end = reader.end;
            await().atMost(WAIT).untilAsserted(() -> assertThat(got.size()).isEqualTo(1));
            assertThat(got.get(0).kind()).isEqualTo(TreeEvent.Kind.SNAPSHOT_END);
            for (int i = 0; i < 3000 && end.get() == null; i++) {
                publisher.set("gap/k" + (i % 10), (long) i);
            }
            await().atMost(WAIT).untilAsserted(() -> assertThat(end.get()).isNotNull());
            TreecastClientException e = (TreecastClientException) end.get();
            assertThat(e.code()).isEqualTo(TreecastClientException.Code.SLOW_CONSUMER);
            // resuming after lastSeq must not skip anything the application has not seen
            assertThat(e.lastSeq()).isEqualTo(got.get(got.size() - 1).seq());
        }
    }

    @Test
    void theReadAheadByteBoundStopsRequestsSoTheServerSeesBackPressure() {
        // a frame window far larger than the events published: only the byte bound (2 KiB, a few dozen small
        // frames) can stop the client asking, and then the server's STRICT outbox of 16 overflows
        try (TreecastClient publisher = TreecastClient.connect(server.tcpUri());
             TreecastClient bounded = TreecastClient.connect(server.tcpUri(),
                     ClientOptions.defaults().readAheadFrames(100_000).readAheadBytes(2048))) {
            StalledReader reader = new StalledReader(); // the snapshot's end, then nothing: the application stalls
            bounded.reactive().subscribe(SubscribeSpec.pattern("bound/**").snapshot().policy(Policy.STRICT).outboxCapacity(16))
                    .subscribe(reader);
            List<TreeEvent> got = reader.got;
            java.util.concurrent.atomic.AtomicReference<Throwable> end = reader.end;
            await().atMost(WAIT).untilAsserted(() -> assertThat(got).hasSize(1));
            for (int i = 0; i < 3000 && end.get() == null; i++) {
                publisher.set("bound/k" + (i % 10), (long) i);
            }
            await().atMost(WAIT).untilAsserted(() -> assertThat(end.get()).isInstanceOf(TreecastClientException.class));
            TreecastClientException e = (TreecastClientException) end.get();
            assertThat(e.code()).isEqualTo(TreecastClientException.Code.SLOW_CONSUMER);
            assertThat(e.lastSeq()).isEqualTo(got.get(0).seq());
            assertThat(publisher.set("bound/after", 1L)).isPositive(); // the server and its other clients carry on
        }
    }
}
