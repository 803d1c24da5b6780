package io.treecast.gateway.it;

import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import io.treecast.proto.Batch;
import io.treecast.proto.Change;
import io.treecast.proto.Event;
import io.treecast.proto.Policy;
import io.treecast.proto.Subscribe;
import io.treecast.proto.Value;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A subscriber that asks for everything (request-n 2^31-1) and then never reads its socket must not make the server
 * buffer without bound: its connection's send backlog stops at {@code limits.max-send-queue-bytes}, after which its
 * outbox policy decides (STRICT ends it with SLOW_CONSUMER once its outbox holds engine.outbox-max-bytes, CONFLATE
 * keeps one value per leaf). Meanwhile a healthy
 * subscriber on another connection gets every event, in order.
 */
@ExtendWith(NoLeaks.class)
class SendBudgetIT {
    private static final int VALUE_BYTES = 1024;
    private static final int UPDATES = 30_000; // ~30 MiB of values: far more than the budget, the outbox and the socket buffers

    private static TreecastServer server() {
        return TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("limits.max-send-queue-bytes", "262144").set("engine.default-outbox-capacity", "256")
                // a STRICT outbox that asks for no capacity is bounded by bytes: 16 MiB here, about half of what is sent
                .set("engine.outbox-max-bytes", String.valueOf(16 << 20)).build(), null);
    }

    @Test
    void aStrictSubscriberThatNeverReadsEndsSlowConsumerInsteadOfBeingBufferedForever() throws Exception {
        TreecastServer server = server();
        try (Socket hostile = nonReadingSubscriber(server, Policy.STRICT, "big/**");
             RawClient publisher = RawClient.tcp(server); RawClient healthy = RawClient.tcp(server)) {
            List<Event> seen = new CopyOnWriteArrayList<>();
            var live = liveSubscription(healthy, seen);
            try {
                publish(publisher, UPDATES);
                await().atMost(RawClient.WAIT.multipliedBy(3)).untilAsserted(() -> assertThat(changes(seen)).isGreaterThanOrEqualTo(UPDATES));
                // every event, in seq order, for the subscriber that reads
                for (int i = 1; i < seen.size(); i++) {
                    assertThat(seen.get(i).getSeq()).isGreaterThan(seen.get(i - 1).getSeq());
                }
                // the one that did not read is ended; reading its socket now shows the end after what was sent
                String error = RawFrames.readUntilError(hostile);
                assertThat(error).startsWith("SLOW_CONSUMER: ").contains("(engine.outbox-max-bytes)").contains("last seq ");
                assertThat(publisher.update(RawClient.set("after/ok", 1))).isPositive();
            } finally {
                live.dispose();
            }
        } finally {
            server.close();
        }
    }

    @Test
    void aConflatingSubscriberThatNeverReadsHoldsNoMoreThanItsBudgetOfServerMemory() throws Exception {
        TreecastServer server = server();
        try (Socket hostile = nonReadingSubscriber(server, Policy.CONFLATE, "big/**");
             RawClient publisher = RawClient.tcp(server); RawClient healthy = RawClient.tcp(server)) {
            List<Event> seen = new CopyOnWriteArrayList<>();
            var live = liveSubscription(healthy, seen);
            try {
                publish(publisher, UPDATES);
                await().atMost(RawClient.WAIT.multipliedBy(3)).untilAsserted(() -> assertThat(changes(seen)).isGreaterThanOrEqualTo(UPDATES));
                // ~30 MiB went to the subscriber that reads; the one that does not holds at most its send budget
                // (256 KiB) and about one frame (100 KiB here), not the 30 MiB it asked for
                assertThat(server.maxSendBacklogBytes()).isLessThanOrEqualTo(256 * 1024 + 2 * 110 * 1024);
                assertThat(hostile.isClosed()).isFalse();
            } finally {
                live.dispose();
            }
        } finally {
            server.close();
        }
    }

    @Test
    void tree_getAnswersThatAreNeverReadStopAtTheBudgetAndLaterGetsAreOverloaded() throws Exception {
        TreecastServer server = server();
        try (RawClient publisher = RawClient.tcp(server); RawClient healthy = RawClient.tcp(server)) {
            publish(publisher, 2_000); // 1,000 leaves of 1 KiB: each answer ~1 MiB, four times the budget
            try (Socket hostile = connectNonReading(server)) {
                byte[] get = io.treecast.proto.Get.newBuilder().setPattern("**").build().toByteArray();
                for (int i = 0; i < 20; i++) {
                    hostile.getOutputStream().write(RawFrames.request(0x04, 1 + 2 * i, RawClient.route("tree.get"), get));
                }
                hostile.getOutputStream().flush();
                await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(server.stats().requests(io.treecast.gateway.GatewayStats.Route.GET)).isGreaterThanOrEqualTo(20));
                await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(server.stats().errors(io.treecast.fastpath.ErrorCode.OVERLOADED)).isGreaterThanOrEqualTo(10));
                // the answers held for the client are a few, not twenty
                assertThat(server.maxSendBacklogBytes()).isLessThan(6L << 20);
                assertThat(healthy.get("big/*").getLeavesCount()).isEqualTo(1000);
                String error = RawFrames.readUntilError(hostile);
                assertThat(error).startsWith("OVERLOADED: ").containsAnyOf("limits.max-send-queue-bytes", "tree.get answer being prepared", "limits.max-gets-in-flight");
            }
        } finally {
            server.close();
        }
    }

    @Test
    void tree_childrenIsOverloadedWhileTheConnectionsSendBacklogIsOverTheBudgetAndOthersCarryOn() throws Exception {
        TreecastServer server = server();
        try (RawClient publisher = RawClient.tcp(server); RawClient healthy = RawClient.tcp(server)) {
            // 500 children with 200-byte names: each listing answers ~100 KiB
            String name = "n".repeat(196);
            for (int i = 0; i < 500; i += 100) {
                Batch.Builder b = Batch.newBuilder();
                for (int k = i; k < i + 100; k++) {
                    b.addChanges(Change.newBuilder().setPath("long/" + name + String.format("%04d", k)).setSet(Value.newBuilder().setIntValue(k)));
                }
                publisher.update(b.build());
            }
            byte[] list = io.treecast.proto.ListChildren.newBuilder().setPath("long").setLimit(1000).build().toByteArray();
            try (Socket hostile = connectNonReading(server)) {
                int[] streamId = {1};
                // it asks and never reads: the answers fill the sockets' buffers, then the server's send backlog...
                await().atMost(RawClient.WAIT).pollDelay(java.time.Duration.ZERO).pollInterval(java.time.Duration.ofMillis(20)).until(() -> {
                    hostile.getOutputStream().write(RawFrames.request(0x04, streamId[0], RawClient.route("tree.children"), list));
                    hostile.getOutputStream().flush();
                    streamId[0] += 2;
                    return server.maxSendBacklogBytes() > 256 * 1024;
                });
                // ...which stays over the budget once the kernel's buffers are full too
                await().atMost(RawClient.WAIT).during(java.time.Duration.ofMillis(300)).until(() -> server.maxSendBacklogBytes() > 256 * 1024);
                hostile.getOutputStream().write(RawFrames.request(0x04, streamId[0], RawClient.route("tree.children"), list));
                hostile.getOutputStream().flush();
                assertThat(RawFrames.readErrorOf(hostile, streamId[0])).startsWith("OVERLOADED: this connection has ")
                        .endsWith(" bytes of answers and events not yet read, more than limits.max-send-queue-bytes (262144): "
                                + "read what was sent before asking again");
                // the server and its other clients carry on, meanwhile
                assertThat(RawClient.parse(healthy.rsocket.requestResponse(RawClient.payload("tree.children",
                        io.treecast.proto.ListChildren.newBuilder().setPath("long").setLimit(3).build())).block(RawClient.WAIT),
                        io.treecast.proto.Children.parser()).getChildrenCount()).isEqualTo(3);
                assertThat(publisher.update(RawClient.set("after/ok", 1))).isPositive();
            }
        } finally {
            server.close();
        }
    }

    /**
     * The subscriber that reads, live before anything is published: it asks for the (empty) snapshot and waits for
     * its end, so no update can be applied before the subscription is registered and then be missing from the count
     * (CI once saw 29,900 of 30,000: the first batch of 100 applied before the subscribe). Collects the UPDATE events.
     */
    private static reactor.core.Disposable liveSubscription(RawClient healthy, List<Event> seen) throws InterruptedException {
        java.util.concurrent.CountDownLatch registered = new java.util.concurrent.CountDownLatch(1);
        reactor.core.Disposable d = healthy.subscribe(Subscribe.newBuilder().setPattern("big/**").setPolicy(Policy.CONFLATE)
                .setOutboxCapacity(65_536).setSnapshot(true).build()).subscribe(e -> {
                    if (e.getKind() == Event.Kind.SNAPSHOT_END) {
                        registered.countDown();
                    } else if (e.getKind() == Event.Kind.UPDATE) {
                        seen.add(e);
                    }
                });
        assertThat(registered.await(RawClient.WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
                .as("the subscription is live").isTrue();
        return d;
    }

    private static long changes(List<Event> events) {
        return events.stream().mapToLong(Event::getChangesCount).sum();
    }

    private static void publish(RawClient publisher, int updates) {
        String value = "x".repeat(VALUE_BYTES);
        for (int i = 0; i < updates; i += 100) {
            Batch.Builder b = Batch.newBuilder();
            for (int k = i; k < i + 100 && k < updates; k++) {
                b.addChanges(Change.newBuilder().setPath("big/" + (k % 1000)).setSet(Value.newBuilder().setStringValue(value)));
            }
            // one change per event would be the worst case; batches of 100 keep the test fast and the bytes the same
            publisher.update(b.build());
        }
    }

    /** A raw RSocket connection after its SETUP, with a small receive window; the test decides when it reads. */
    private static Socket connectNonReading(TreecastServer server) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096); // before connect: the window stays small
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.tcpAddress().getPort()));
        s.setSoTimeout(30_000);
        s.getOutputStream().write(RawFrames.setupFrame());
        return s;
    }

    /** A raw RSocket connection: SETUP, then one tree.subscribe with request-n 2^31-1; it never reads. */
    private static Socket nonReadingSubscriber(TreecastServer server, Policy policy, String pattern) throws IOException {
        Socket s = connectNonReading(server);
        byte[] subscribe = Subscribe.newBuilder().setPattern(pattern).setPolicy(policy).build().toByteArray();
        s.getOutputStream().write(RawFrames.requestStream(1, Integer.MAX_VALUE, RawClient.route("tree.subscribe"), subscribe));
        s.getOutputStream().flush();
        return s;
    }
}
