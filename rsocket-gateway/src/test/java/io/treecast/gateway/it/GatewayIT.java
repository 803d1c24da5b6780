package io.treecast.gateway.it;

import io.rsocket.Payload;
import io.rsocket.exceptions.ApplicationErrorException;
import io.rsocket.util.DefaultPayload;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import io.treecast.proto.Ack;
import io.treecast.proto.AckMode;
import io.treecast.proto.Batch;
import io.treecast.proto.Change;
import io.treecast.proto.Event;
import io.treecast.proto.Get;
import io.treecast.proto.Policy;
import io.treecast.proto.Snapshot;
import io.treecast.proto.Subscribe;
import io.treecast.proto.Value;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Every route and every edge validation over a real TCP socket (a few over WebSocket). */
@ExtendWith(NoLeaks.class)
class GatewayIT {
    private static TreecastServer server;
    private static final AtomicLong counter = new AtomicLong();
    private RawClient client;

    @BeforeAll
    static void startServer() {
        server = TreecastServer.start(ServerConfig.builder()
                .set("tcp.port", "0").set("websocket.port", "0")
                .set("limits.max-value-bytes", "64")
                .set("limits.max-batch-changes", "4")
                .set("limits.max-batch-bytes", "512")
                .set("limits.max-subscriptions-per-connection", "3")
                .set("engine.default-outbox-capacity", "1024").set("engine.max-outbox-capacity", "4096")
                .build(), null);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void connect() {
        client = RawClient.tcp(server);
    }

    @AfterEach
    void disconnect() {
        client.close();
    }

    /** Guarantee 7: after an error the same connection and a new one still read and write. */
    private void assertStillServes(RawClient c) {
        for (RawClient each : List.of(c, RawClient.tcp(server))) {
            String path = "health/n" + counter.incrementAndGet();
            long seq = each.update(RawClient.set(path, 7));
            Snapshot s = each.get(path);
            assertThat(s.getLeavesList()).singleElement().satisfies(l -> {
                assertThat(l.getPath()).isEqualTo(path);
                assertThat(l.getSeq()).isEqualTo(seq);
                assertThat(l.getSet().getIntValue()).isEqualTo(7);
            });
            if (each != c) {
                each.close();
            }
        }
    }

    private static void assertError(Throwable t, String code, String fragment) {
        assertThat(t).isInstanceOf(ApplicationErrorException.class);
        assertThat(t.getMessage()).startsWith(code + ": ").contains(fragment);
    }

    private Throwable requestResponseError(String route, byte[] data) {
        return org.assertj.core.api.Assertions.catchThrowable(() ->
                client.rsocket.requestResponse(DefaultPayload.create(data, RawClient.route(route))).block(RawClient.WAIT));
    }

    @Test
    void updateAnswersTheSeqAndGetReturnsTheLeafAtThatSeq() {
        long seq = client.update(RawClient.set("a/b/c", Value.newBuilder().setStringValue("hello").build()));
        assertThat(seq).isPositive();
        Snapshot s = client.get("a/**");
        assertThat(s.getSeq()).isGreaterThanOrEqualTo(seq);
        assertThat(s.getLeavesList()).extracting(Change::getPath).contains("a/b/c");
        assertThat(s.getLeavesList()).filteredOn(l -> l.getPath().equals("a/b/c"))
                .singleElement().satisfies(l -> assertThat(l.getSet().getStringValue()).isEqualTo("hello"));
    }

    @Test
    void subscribeSendsTheSnapshotThenEveryBatchWholeAndInOrder() {
        client.update(RawClient.set("sub1/x", 1));
        List<Event> events = new CopyOnWriteArrayList<>();
        Disposable d = client.subscribe(Subscribe.newBuilder().setPattern("sub1/**").setSnapshot(true).build()).subscribe(events::add);
        try {
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(events).anyMatch(e -> e.getKind() == Event.Kind.SNAPSHOT_END));
            long s2 = client.update(Batch.newBuilder()
                    .addChanges(Change.newBuilder().setPath("sub1/y").setSet(Value.newBuilder().setBoolValue(true)))
                    .addChanges(Change.newBuilder().setPath("other/z").setSet(Value.newBuilder().setBoolValue(true)))
                    .addChanges(Change.newBuilder().setPath("sub1/x").setSet(Value.newBuilder().setIntValue(2))).build());
            long s3 = client.update(RawClient.delete("sub1"));
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(events).anyMatch(e -> e.getSeq() == s3));
            List<Event> updates = events.stream().filter(e -> e.getKind() == Event.Kind.UPDATE).toList();
            assertThat(updates).extracting(Event::getSeq).containsExactly(s2, s3);
            assertThat(updates.get(0).getChangesList()).extracting(Change::getPath).containsExactly("sub1/y", "sub1/x");
            assertThat(updates.get(1).getChangesList()).allSatisfy(c -> assertThat(c.hasDelete()).isTrue());
            Event snap = events.stream().filter(e -> e.getKind() == Event.Kind.SNAPSHOT).findFirst().orElseThrow();
            assertThat(snap.getChangesList()).extracting(Change::getPath).containsExactly("sub1/x");
        } finally {
            d.dispose();
        }
    }

    @Test
    void subscriptionSendsNoMoreThanRequested() {
        for (int i = 0; i < 5; i++) {
            client.update(RawClient.set("demand/k" + i, i));
        }
        List<Event> events = new CopyOnWriteArrayList<>();
        List<org.reactivestreams.Subscription> subs = new CopyOnWriteArrayList<>();
        client.subscribe(Subscribe.newBuilder().setPattern("demand/**").setResumeAfter(0).build())
                .subscribe(new reactor.core.publisher.BaseSubscriber<Event>() {
                    @Override
                    protected void hookOnSubscribe(org.reactivestreams.Subscription s) {
                        subs.add(s);
                        s.request(2);
                    }

                    @Override
                    protected void hookOnNext(Event e) {
                        events.add(e);
                    }
                });
        await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(events.size()).isEqualTo(2));
        assertStillServes(client); // time passes, with traffic; the stream must still hold at 2
        assertThat(events).hasSize(2);
        subs.get(0).request(1);
        await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(events.size()).isEqualTo(3));
        subs.get(0).cancel();
    }

    @Test
    void invalidPathIsRefusedWithInvalidPath() {
        assertError(requestResponseError("tree.update", RawClient.set("a//b", 1).toByteArray()), "INVALID_PATH", "a//b");
        assertError(requestResponseError("tree.update", RawClient.set("a/*/b", 1).toByteArray()), "INVALID_PATH", "a/*/b");
        assertStillServes(client);
    }

    @Test
    void invalidPatternIsRefusedOnSubscribeAndGet() {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() ->
                client.subscribe(Subscribe.newBuilder().setPattern("a/{b").build()).blockFirst(RawClient.WAIT));
        assertError(t, "INVALID_PATTERN", "a/{b");
        assertError(requestResponseError("tree.get", Get.newBuilder().setPattern("x//y").build().toByteArray()), "INVALID_PATTERN", "x//y");
        assertStillServes(client);
    }

    @Test
    void valueWithoutKindIsInvalidValue() {
        Batch b = Batch.newBuilder().addChanges(Change.newBuilder().setPath("v/x").setSet(Value.getDefaultInstance())).build();
        assertError(requestResponseError("tree.update", b.toByteArray()), "INVALID_VALUE", "sets a Value with no kind");
        Batch noOp = Batch.newBuilder().addChanges(Change.newBuilder().setPath("v/x")).build();
        assertError(requestResponseError("tree.update", noOp.toByteArray()), "INVALID_VALUE", "neither a set nor a delete");
        assertStillServes(client);
    }

    @Test
    void valueOverTheLimitIsValueTooLarge() {
        Batch b = RawClient.set("v/big", Value.newBuilder().setBytesValue(ByteString.copyFrom(new byte[100])).build());
        assertError(requestResponseError("tree.update", b.toByteArray()), "VALUE_TOO_LARGE", "more than the limit of 64 (limits.max-value-bytes)");
        assertStillServes(client);
    }

    @Test
    void batchOverTheChangeLimitAndEmptyBatchAreInvalidBatch() {
        Batch.Builder b = Batch.newBuilder();
        for (int i = 0; i < 5; i++) {
            b.addChanges(RawClient.set("b/k" + i, i).getChanges(0));
        }
        assertError(requestResponseError("tree.update", b.build().toByteArray()), "INVALID_BATCH", "5 changes, more than the limit of 4");
        assertError(requestResponseError("tree.update", Batch.getDefaultInstance().toByteArray()), "INVALID_BATCH", "no changes");
        assertStillServes(client);
    }

    @Test
    void malformedProtobufIsMalformed() {
        byte[] garbage = {(byte) 0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02};
        assertError(requestResponseError("tree.update", garbage), "MALFORMED", "not a valid protobuf treecast.v1.Batch");
        assertError(requestResponseError("tree.get", garbage), "MALFORMED", "treecast.v1.Get");
        assertStillServes(client);
    }

    @Test
    void unknownRouteAndMissingRouteAreUnknownRoute() {
        assertError(requestResponseError("tree.upsert", RawClient.set("a/b", 1).toByteArray()), "UNKNOWN_ROUTE", "there is no route \"tree.upsert\"");
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() ->
                client.rsocket.requestResponse(DefaultPayload.create(RawClient.set("a/b", 1).toByteArray())).block(RawClient.WAIT));
        assertError(t, "UNKNOWN_ROUTE", "the request has no route");
        assertStillServes(client);
    }

    @Test
    void routeCalledWithTheWrongInteractionIsWrongInteraction() {
        Throwable asStream = org.assertj.core.api.Assertions.catchThrowable(() -> client.rsocket
                .requestStream(RawClient.payload("tree.get", Get.newBuilder().setPattern("a").build())).blockFirst(RawClient.WAIT));
        assertError(asStream, "WRONG_INTERACTION", "route tree.get is request-response, it was called as request-stream");
        assertError(requestResponseError("tree.subscribe", Subscribe.newBuilder().setPattern("a").build().toByteArray()),
                "WRONG_INTERACTION", "route tree.subscribe is request-stream");
        assertStillServes(client);
    }

    @Test
    void subscriptionsPastThePerConnectionLimitAreRefused() {
        List<Disposable> open = new CopyOnWriteArrayList<>();
        List<Event> firsts = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 3; i++) {
            open.add(client.subscribe(Subscribe.newBuilder().setPattern("lim/**").setSnapshot(true).build()).subscribe(firsts::add));
        }
        await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(firsts.stream().filter(e -> e.getKind() == Event.Kind.SNAPSHOT_END).count()).isEqualTo(3));
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() ->
                client.subscribe(Subscribe.newBuilder().setPattern("lim/**").build()).blockFirst(RawClient.WAIT));
        assertError(t, "TOO_MANY_SUBSCRIPTIONS", "already has 3 subscriptions (limits.max-subscriptions-per-connection)");
        open.get(0).dispose();
        await().atMost(RawClient.WAIT).untilAsserted(() -> {
            Event e = client.subscribe(Subscribe.newBuilder().setPattern("lim/**").setSnapshot(true).build()).blockFirst(RawClient.WAIT);
            assertThat(e).isNotNull();
        });
        open.forEach(Disposable::dispose);
        assertStillServes(client);
    }

    @Test
    void severalEventsPerFrameArriveLengthDelimitedInSeqOrderAndRequestNCountsFrames() {
        long first = 0;
        for (int i = 0; i < 40; i++) {
            long seq = client.update(RawClient.set("frames/k" + i, i));
            first = first == 0 ? seq : first;
        }
        List<List<Event>> frames = new CopyOnWriteArrayList<>();
        List<org.reactivestreams.Subscription> subs = new CopyOnWriteArrayList<>();
        client.subscribeFrames(Subscribe.newBuilder().setPattern("frames/**").setResumeAfter(first - 1).setMaxEventsPerFrame(16).build())
                .subscribe(new reactor.core.publisher.BaseSubscriber<List<Event>>() {
                    @Override
                    protected void hookOnSubscribe(org.reactivestreams.Subscription s) {
                        subs.add(s);
                        s.request(2);
                    }

                    @Override
                    protected void hookOnNext(List<Event> events) {
                        frames.add(events);
                    }
                });
        // the 40 events are all ready when the subscription starts: two frames of 16
        await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(frames.size()).isEqualTo(2));
        assertStillServes(client);
        assertThat(frames).extracting(List::size).containsExactly(16, 16);
        subs.get(0).request(10);
        await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(frames.stream().mapToInt(List::size).sum()).isEqualTo(40));
        List<Long> seqs = frames.stream().flatMap(List::stream).map(Event::getSeq).toList();
        assertThat(seqs).isSorted().doesNotHaveDuplicates().hasSize(40).startsWith(first);
        // a later event is sent at once, in a frame of its own
        long late = client.update(RawClient.set("frames/late", 1));
        await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(frames.get(frames.size() - 1).get(0).getSeq()).isEqualTo(late));
        assertThat(frames.get(frames.size() - 1)).hasSize(1);
        subs.get(0).cancel();
    }

    @Test
    void eventsPerFrameAboveTheMaximumIsInvalidRequest() {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() ->
                client.subscribe(Subscribe.newBuilder().setPattern("a/**").setMaxEventsPerFrame(5000).build()).blockFirst(RawClient.WAIT));
        assertError(t, "INVALID_REQUEST", "max_events_per_frame 5000 is too large: ask for 1..1024");
        assertStillServes(client);
    }

    @Test
    void outboxLargerThanTheMaximumIsInvalidRequest() {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() ->
                client.subscribe(Subscribe.newBuilder().setPattern("a/**").setOutboxCapacity(1 << 20).build()).blockFirst(RawClient.WAIT));
        assertThat(t.getMessage()).startsWith("INVALID_REQUEST: ");
        assertStillServes(client);
    }

    @Test
    void durableAckWithoutAJournalIsUnavailable() {
        Batch b = RawClient.set("d/x", 1).toBuilder().setAck(AckMode.ACK_DURABLE).build();
        Throwable t = requestResponseError("tree.update", b.toByteArray());
        assertThat(t.getMessage()).startsWith("UNAVAILABLE: ");
        assertStillServes(client);
    }

    @Test
    void ingestAcksEveryBatchInOrderAndABadBatchGetsAnErrorAckWithoutEndingTheStream() {
        List<Payload> batches = List.of(
                RawClient.payload("tree.ingest", RawClient.set("ing/a", 1)),
                DefaultPayload.create(RawClient.set("ing//bad", 2).toByteArray()),
                DefaultPayload.create(RawClient.set("ing/c", 3).toByteArray()));
        List<Ack> acks = client.rsocket.requestChannel(Flux.fromIterable(batches))
                .map(p -> RawClient.parse(p, Ack.parser())).collectList().block(RawClient.WAIT);
        assertThat(acks).hasSize(3);
        assertThat(acks.get(0).getSeq()).isPositive();
        assertThat(acks.get(1).getError().getCode()).isEqualTo("INVALID_PATH");
        assertThat(acks.get(1).getError().getMessage()).contains("ing//bad");
        assertThat(acks.get(2).getSeq()).isGreaterThan(acks.get(0).getSeq());
        assertThat(client.get("ing/*").getLeavesList()).extracting(Change::getPath).containsExactlyInAnyOrder("ing/a", "ing/c");
        assertStillServes(client);
    }

    @Test
    void badPublishIsDroppedAndCountedWhileGoodOnesApply() {
        long before = server.rejectedWithoutAnswer();
        client.rsocket.fireAndForget(RawClient.payload("tree.publish", RawClient.set("pub//bad", 1))).block(RawClient.WAIT);
        client.rsocket.fireAndForget(RawClient.payload("tree.publish", RawClient.set("pub/good", 1))).block(RawClient.WAIT);
        await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(client.get("pub/good").getLeavesCount()).isEqualTo(1));
        assertThat(server.rejectedWithoutAnswer()).isEqualTo(before + 1);
        assertStillServes(client);
    }

    @Test
    void webSocketCarriesTheSameProtocolAndErrors() {
        try (RawClient ws = RawClient.ws(server)) {
            long seq = ws.update(RawClient.set("ws/x", 5));
            assertThat(ws.get("ws/*").getLeaves(0).getSeq()).isEqualTo(seq);
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(() ->
                    ws.rsocket.requestResponse(RawClient.payload("tree.update", RawClient.set("ws//x", 1))).block(RawClient.WAIT));
            assertError(t, "INVALID_PATH", "ws//x");
            Event first = ws.subscribe(Subscribe.newBuilder().setPattern("ws/*").setSnapshot(true).setPolicy(Policy.STRICT).build())
                    .blockFirst(RawClient.WAIT);
            assertThat(first.getKind()).isEqualTo(Event.Kind.SNAPSHOT);
            long again = ws.update(RawClient.set("ws/y", 6));
            assertThat(again).isGreaterThan(seq);
        }
        assertStillServes(client);
    }

    @Test
    void strictSubscriberThatFallsBehindEndsWithSlowConsumerAndTheLastSeq() {
        java.util.concurrent.atomic.AtomicReference<Throwable> end = new java.util.concurrent.atomic.AtomicReference<>();
        List<Event> got = new CopyOnWriteArrayList<>();
        client.subscribe(Subscribe.newBuilder().setPattern("slow/**").setPolicy(Policy.STRICT).setOutboxCapacity(4).build())
                .subscribe(new reactor.core.publisher.BaseSubscriber<Event>() {
                    @Override
                    protected void hookOnSubscribe(org.reactivestreams.Subscription s) {
                        s.request(1);
                    }

                    @Override
                    protected void hookOnNext(Event e) {
                        got.add(e);
                    }

                    @Override
                    protected void hookOnError(Throwable t) {
                        end.set(t);
                    }
                });
        try (RawClient writer = RawClient.tcp(server)) {
            for (int i = 0; i < 50 && end.get() == null; i++) {
                writer.update(RawClient.set("slow/k", i));
            }
        }
        await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(end.get()).isNotNull());
        assertThat(end.get().getMessage()).startsWith("SLOW_CONSUMER: ").matches("(?s).*last seq \\d+$");
        long lastSeq = Long.parseLong(end.get().getMessage().replaceAll("(?s).*last seq (\\d+)$", "$1"));
        assertThat(got).isNotEmpty();
        assertThat(lastSeq).isEqualTo(got.get(got.size() - 1).getSeq());
        assertStillServes(client);
    }

    @Test
    void batchOverTheByteLimitIsInvalidBatch() {
        Batch.Builder b = Batch.newBuilder();
        for (int i = 0; i < 4; i++) {
            b.addChanges(RawClient.set("bytes/" + "p".repeat(100) + i,
                    Value.newBuilder().setBytesValue(ByteString.copyFrom(new byte[50])).build()).getChanges(0));
        }
        int size = b.build().getSerializedSize();
        assertError(requestResponseError("tree.update", b.build().toByteArray()), "INVALID_BATCH",
                "the batch is " + size + " bytes, more than the limit of 512 (limits.max-batch-bytes)");
        assertStillServes(client);
    }

    @Test
    void metadataThatIsNotCompositeMetadataIsMalformed() {
        byte[] garbage = {0x05, 'h', 'e', 'l', 'l', 'o', 0x00, 0x00, 0x7f, 0x01};
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() ->
                client.rsocket.requestResponse(DefaultPayload.create(RawClient.set("a/b", 1).toByteArray(), garbage)).block(RawClient.WAIT));
        assertThat(t).isInstanceOf(ApplicationErrorException.class);
        assertError(t, "MALFORMED", "the metadata is not valid composite metadata");
        assertStillServes(client);
    }

    @Test
    void channelOnARequestResponseRouteIsWrongInteraction() {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> client.rsocket
                .requestChannel(Flux.just(RawClient.payload("tree.update", RawClient.set("ch/x", 1)),
                        DefaultPayload.create(RawClient.set("ch/y", 2).toByteArray())))
                .blockLast(RawClient.WAIT));
        assertError(t, "WRONG_INTERACTION", "route tree.update is request-response, it was called as request-channel");
        assertThat(client.get("ch/*").getLeavesCount()).isZero();
        assertStillServes(client);
    }
}
