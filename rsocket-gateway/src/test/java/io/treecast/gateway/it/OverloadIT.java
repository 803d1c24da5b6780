package io.treecast.gateway.it;

import io.rsocket.util.DefaultPayload;
import io.treecast.gateway.HeldWriter;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * A full inbound queue answers OVERLOADED to a request, applies nothing of it, and the server carries on once the
 * writer catches up; a publish (fire-and-forget, no answer to carry an error) is not dropped: its connection stops
 * reading until the engine takes it, then everything it sent after it follows in order. The writer is held
 * deterministically: an ack listener that waits runs on the writer thread.
 */
@ExtendWith(NoLeaks.class)
class OverloadIT {


    @Test
    void aFullInboundQueueIsOverloadedAndTheServerRecovers() throws Exception {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("engine.inbound-queue-capacity", "2").build(), null);
        try (RawClient client = RawClient.tcp(server); RawClient other = RawClient.tcp(server);
             HeldWriter held = HeldWriter.hold(server.engine())) {
            assertThat(held.fillQueue()).as("the queue of two").isEqualTo(2);

            Throwable t = catchThrowable(() -> client.update(RawClient.set("refused/x", 5)));
            assertThat(t.getMessage()).startsWith("OVERLOADED: ").contains("nothing was applied")
                    .contains("engine.inbound-queue-capacity");
            // a publish has no answer to carry OVERLOADED: instead of dropping it, its connection pauses
            long droppedBefore = server.rejectedWithoutAnswer();
            client.rsocket.fireAndForget(DefaultPayload.create(RawClient.set("held/y", 6).toByteArray(),
                    RawClient.route("tree.publish"))).block(RawClient.WAIT);
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(server.publishPauses()).isPositive());
            held.release();
            // the writer drains the two queued batches first: until then the queue of two is still full
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(server.engine().stats().inboundDepth()).isZero());
            // both connections carry on, the queued batches and the held publish applied, the refused request not
            assertThat(client.update(RawClient.set("after/x", 7))).isPositive();
            assertThat(other.get("fill/*").getLeavesCount()).isEqualTo(2);
            assertThat(other.get("refused/*").getLeavesCount()).isZero();
            assertThat(other.get("held/*").getLeavesCount()).isEqualTo(1);
            assertThat(server.rejectedWithoutAnswer()).as("nothing dropped").isEqualTo(droppedBefore);
            assertThat(other.update(RawClient.set("after/y", 8))).isPositive();
        } finally {
            server.close();
        }
    }

    @Test
    void publishesAFullQueueCannotTakeWaitAndEverythingTheConnectionSentAfterThemFollowsInOrder() throws Exception {
        publishesWaitInOrder(false);
    }

    /** The same over WebSocket, where publishes come through rsocket-java and wait in {@code HeldPublishes}. */
    @Test
    void webSocketPublishesAFullQueueCannotTakeWaitInLineAndFollowInOrder() throws Exception {
        publishesWaitInOrder(true);
    }

    /**
     * A request that arrives while publishes of its connection wait is refused OVERLOADED rather than applied before
     * them. Deterministic: a fragmented publish (reassembled by rsocket-java, so held in {@code HeldPublishes}) and the
     * request travel in one socket write, so the server reads both before it stops reading the connection.
     */
    @Test
    void aRequestReadWhilePublishesOfItsConnectionWaitIsRefusedOverloadedInsteadOfOvertakingThem() throws Exception {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("engine.inbound-queue-capacity", "2").build(), null);
        try (java.net.Socket raw = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), server.tcpAddress().getPort());
             RawClient other = RawClient.tcp(server)) {
            raw.setSoTimeout(30_000);
            raw.getOutputStream().write(RawFrames.setupFrame());
            long droppedBefore = server.rejectedWithoutAnswer();
            try (HeldWriter held = HeldWriter.hold(server.engine())) {
                assertThat(held.fillQueue()).isEqualTo(2);
                byte[] publish = RawClient.set("frag/x", 5).toByteArray();
                java.io.ByteArrayOutputStream both = new java.io.ByteArrayOutputStream();
                both.writeBytes(RawFrames.fragmentedFireAndForget(1, RawClient.route("tree.publish"), publish, 3));
                both.writeBytes(RawFrames.request(RawFrames.REQUEST_RESPONSE, 3, RawClient.route("tree.update"),
                        RawClient.set("frag/after", 6).toByteArray()));
                raw.getOutputStream().write(both.toByteArray());
                raw.getOutputStream().flush();
                assertThat(RawFrames.readErrorOf(raw, 3)).startsWith("OVERLOADED: ")
                        .contains("publishes this connection sent before this request wait for room");
                assertThat(server.publishPauses()).isPositive();
            }
            // released: the held publish is applied, the refused request is not, and nothing was dropped
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(other.get("frag/x").getLeavesCount()).isEqualTo(1));
            assertThat(other.get("frag/after").getLeavesCount()).isZero();
            assertThat(server.rejectedWithoutAnswer()).isEqualTo(droppedBefore);
            // the connection reads again: the same request now is applied
            raw.getOutputStream().write(RawFrames.request(RawFrames.REQUEST_RESPONSE, 5, RawClient.route("tree.update"),
                    RawClient.set("frag/after", 7).toByteArray()));
            assertThat(RawFrames.readErrorOf(raw, 5)).isEqualTo("answered");
            assertThat(other.get("frag/after").getLeavesCount()).isEqualTo(1);
        } finally {
            server.close();
        }
    }

    private static void publishesWaitInOrder(boolean webSocket) throws Exception {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0")
                .set("websocket.enabled", String.valueOf(webSocket)).set("websocket.port", "0")
                .set("engine.inbound-queue-capacity", "2").build(), null);
        try (RawClient publisher = webSocket ? RawClient.ws(server) : RawClient.tcp(server); RawClient reader = RawClient.tcp(server)) {
            // a STRICT subscriber sees every publish of the leaf, in the order applied; live before the writer is held
            java.util.List<io.treecast.proto.Event> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            java.util.concurrent.CountDownLatch live = new java.util.concurrent.CountDownLatch(1);
            reactor.core.Disposable watch = reader.subscribe(io.treecast.proto.Subscribe.newBuilder().setPattern("order/*")
                    .setSnapshot(true).setPolicy(io.treecast.proto.Policy.STRICT).setOutboxCapacity(4096).build())
                    .subscribe(e -> {
                        if (e.getKind() == io.treecast.proto.Event.Kind.SNAPSHOT_END) {
                            live.countDown();
                        } else if (e.getKind() == io.treecast.proto.Event.Kind.UPDATE) {
                            seen.add(e);
                        }
                    });
            assertThat(live.await(10, TimeUnit.SECONDS)).isTrue();
            long droppedBefore = server.rejectedWithoutAnswer();
            int publishes = 500;
            java.util.concurrent.CompletableFuture<io.rsocket.Payload> lastUpdate;
            try (HeldWriter held = HeldWriter.hold(server.engine())) {
                assertThat(held.fillQueue()).isEqualTo(2);
                // 500 publishes of one leaf, then a request on the same connection: all must wait behind the first
                for (int i = 1; i <= publishes; i++) {
                    publisher.rsocket.fireAndForget(DefaultPayload.create(RawClient.set("order/k", i).toByteArray(),
                            RawClient.route("tree.publish"))).block(RawClient.WAIT);
                }
                lastUpdate = publisher.rsocket.requestResponse(RawClient.payload("tree.update", RawClient.set("order/last", 1))).toFuture();
                await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(server.publishPauses()).isPositive());
                if (webSocket && lastUpdate.isDone()) {
                    // read in the same socket read as held publishes: refused at once rather than passing them
                    assertThat(catchThrowable(lastUpdate::join)).hasMessageContaining("OVERLOADED: ")
                            .hasMessageContaining("publishes this connection sent before this request wait for room");
                } else {
                    assertThat(lastUpdate).as("a request sent after a held publish waits behind it").isNotDone();
                }
            }
            // released: every publish applied, once each, in the order sent
            await().atMost(RawClient.WAIT).until(() -> seen.stream().filter(e -> e.getChanges(0).getPath().equals("order/k")).count() == publishes);
            List<Long> values = seen.stream().filter(e -> e.getChanges(0).getPath().equals("order/k"))
                    .map(e -> e.getChanges(0).getSet().getIntValue()).toList();
            assertThat(values).as("in order, none lost, none twice").isEqualTo(java.util.stream.LongStream.rangeClosed(1, publishes).boxed().toList());
            assertThat(server.rejectedWithoutAnswer()).as("no publish dropped").isEqualTo(droppedBefore);
            long lastPublishSeq = seen.stream().filter(e -> e.getChanges(0).getPath().equals("order/k")).mapToLong(io.treecast.proto.Event::getSeq).max().orElseThrow();
            // the request was handled after them: applied with a later seq, or refused with OVERLOADED because the queue
            // of two was full again at its turn (a request, unlike a publish, gets its error as an answer)
            try {
                long seq = RawClient.parse(lastUpdate.get(10, TimeUnit.SECONDS), io.treecast.proto.Ack.parser()).getSeq();
                assertThat(seq).as("applied after every publish sent before it").isGreaterThan(lastPublishSeq);
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).hasMessageStartingWith("OVERLOADED: ");
            }
            // the connection reads again: a publish now is applied at once
            publisher.rsocket.fireAndForget(DefaultPayload.create(RawClient.set("order/k", publishes + 1).toByteArray(),
                    RawClient.route("tree.publish"))).block(RawClient.WAIT);
            await().atMost(RawClient.WAIT).untilAsserted(() ->
                    assertThat(reader.get("order/k").getLeaves(0).getSet().getIntValue()).isEqualTo(publishes + 1));
            watch.dispose();
        } finally {
            server.close();
        }
    }
}
