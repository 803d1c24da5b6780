package io.treecast.client;

import io.treecast.client.internal.FnfWriter;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.Disposable;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The direct publish path on TCP ({@link FnfWriter}): the frames it writes are the ones rsocket-java writes, the
 * server applies them in each publisher's order, and its stream ids never collide with the connection's other
 * streams. A raw socket stands in for the server where the bytes on the wire are the point (the client sends
 * SETUP and needs no answer to publish).
 */
@ExtendWith(NoLeaks.class)
class DirectPublishIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int SETUP = 0x01;
    private static final int REQUEST_RESPONSE = 0x04;
    private static final int REQUEST_FNF = 0x05;
    private static final int REQUEST_STREAM = 0x06;
    private static final int PAYLOAD = 0x0A;
    private static TreecastServer server;

    @BeforeAll
    static void start() {
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0").build(), null);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theDirectPathIsTakenOnThePinnedRsocketVersion() {
        assertThat(FnfWriter.available()).as("rsocket-java's stream id supplier found by reflection").isTrue();
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            assertThat(client.publishesDirect()).isTrue();
        }
        try (TreecastClient ws = TreecastClient.connect(server.webSocketUri())) {
            assertThat(ws.publishesDirect()).as("WebSocket publishes directly too").isTrue();
        }
    }

    @Test
    void overWebSocketSmallAndFragmentedPublishesArriveIntactAndInOrder() {
        // three values of 60,000 bytes (each under limits.max-value-bytes): a batch over two MTUs, so a REQUEST_FNF
        // with FOLLOWS and two PAYLOAD messages
        byte[][] big = new byte[3][60_000];
        for (int k = 0; k < big.length; k++) {
            for (int i = 0; i < big[k].length; i++) {
                big[k][i] = (byte) (i * 31 + k);
            }
        }
        try (TreecastClient ws = TreecastClient.connect(server.webSocketUri())) {
            assertThat(ws.publishesDirect()).isTrue();
            long droppedBefore = server.rejectedWithoutAnswer();
            for (long i = 1; i <= 200; i++) {
                long v = i;
                ws.publish(b -> b.set("wsdirect/n", v));
            }
            ws.publish(b -> b.set("wsdirect/big0", big[0]).set("wsdirect/big1", big[1]).set("wsdirect/big2", big[2]));
            ws.reactive().publish(ChangeBatch.of(b -> b.set("wsdirect/r", 1.5))).block(WAIT);
            // publishes of one connection are applied in the order sent: the last one's arrival means all arrived
            await().atMost(WAIT).untilAsserted(() -> assertThat(ws.get("wsdirect/**").toMap()).containsKeys("wsdirect/r"));
            Map<String, TreeValue> state = ws.get("wsdirect/**").toMap();
            assertThat(state.get("wsdirect/n").asLong()).isEqualTo(200L);
            for (int k = 0; k < big.length; k++) {
                assertThat(state.get("wsdirect/big" + k).asBytes()).as("value %d", k).isEqualTo(big[k]);
            }
            assertThat(server.rejectedWithoutAnswer()).as("nothing refused").isEqualTo(droppedBefore);
        }
    }

    @Test
    void framesAreByteForByteWhatRsocketJavaSendsIncludingFragments() throws IOException {
        try (ServerSocket capture = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            String uri = "tcp://127.0.0.1:" + capture.getLocalPort();
            List<byte[]> viaRsocket;
            List<byte[]> direct;
            System.setProperty(FnfWriter.RSOCKET_FNF_PROPERTY, "true");
            try (TreecastClient old = TreecastClient.connect(uri)) {
                assertThat(old.publishesDirect()).as("the property turns the direct path off").isFalse();
                viaRsocket = publishSamplesAndCapture(old, capture);
            } finally {
                System.clearProperty(FnfWriter.RSOCKET_FNF_PROPERTY);
            }
            try (TreecastClient client = TreecastClient.connect(uri)) {
                assertThat(client.publishesDirect()).isTrue();
                direct = publishSamplesAndCapture(client, capture);
            }
            assertThat(direct).hasSize(viaRsocket.size());
            for (int i = 0; i < direct.size(); i++) {
                assertThat(direct.get(i)).as("frame %d", i).isEqualTo(viaRsocket.get(i));
            }
            // one plain frame, a REQUEST_FNF with FOLLOWS and two PAYLOAD fragments, then the reactive publish's frame
            assertThat(direct).extracting(DirectPublishIT::type).containsExactly(REQUEST_FNF, REQUEST_FNF, PAYLOAD, PAYLOAD, REQUEST_FNF);
            assertThat(direct).extracting(DirectPublishIT::streamId).containsExactly(1, 3, 3, 3, 5);
        }
    }

    /** Publishes a small batch, one over two MTUs (three fragments) and a reactive one; returns the frames after SETUP. */
    private static List<byte[]> publishSamplesAndCapture(TreecastClient client, ServerSocket capture) throws IOException {
        client.publish(b -> b.set("wire/a", "héllo").set("wire/n", -7L).delete("wire/old"));
        byte[] big = new byte[150_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        client.publish(b -> b.set("wire/big", big));
        client.reactive().publish(ChangeBatch.of(b -> b.set("wire/r", 1.5))).block(WAIT);
        try (Socket s = capture.accept()) {
            s.setSoTimeout((int) WAIT.toMillis());
            DataInputStream in = new DataInputStream(s.getInputStream());
            assertThat(type(readFrame(in))).isEqualTo(SETUP);
            List<byte[]> frames = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                frames.add(readFrame(in));
            }
            return frames;
        }
    }

    @Test
    void streamIdsNeverCollideWithTheConnectionsOtherStreams() throws IOException {
        try (ServerSocket capture = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
             TreecastClient client = TreecastClient.connect("tcp://127.0.0.1:" + capture.getLocalPort())) {
            List<Disposable> pending = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                client.publish(b -> b.set("ids/p", 1L));
                pending.add(client.reactive().subscribe(SubscribeSpec.pattern("ids/**")).subscribe(e -> { }, e -> { }));
                client.publish(b -> b.set("ids/q", 2L));
                pending.add(client.reactive().get("ids/**").subscribe(x -> { }, e -> { }));
            }
            try (Socket s = capture.accept()) {
                s.setSoTimeout((int) WAIT.toMillis());
                DataInputStream in = new DataInputStream(s.getInputStream());
                assertThat(type(readFrame(in))).isEqualTo(SETUP);
                Set<Integer> ids = new HashSet<>();
                Map<Integer, Integer> types = new ConcurrentHashMap<>();
                for (int i = 0; i < 40; i++) {
                    byte[] f = readFrame(in);
                    assertThat(ids.add(streamId(f))).as("stream id %d used once", streamId(f)).isTrue();
                    types.merge(type(f), 1, Integer::sum);
                }
                assertThat(types).containsEntry(REQUEST_FNF, 20).containsEntry(REQUEST_STREAM, 10).containsEntry(REQUEST_RESPONSE, 10);
            } finally {
                pending.forEach(Disposable::dispose);
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "over {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"tcp", "ws"})
    void concurrentPublishersAreAppliedInEachThreadsOrderBesideGetsAndSubscriptionsOnTheSameConnection(String transport) throws Exception {
        int threads = 4;
        int perThread = 1_000;
        try (TreecastClient client = TreecastClient.connect(transport.equals("ws") ? server.webSocketUri() : server.tcpUri())) {
            assertThat(client.publishesDirect()).isTrue();
            Map<String, List<Long>> seen = new ConcurrentHashMap<>();
            AtomicReference<TreecastClientException> ended = new AtomicReference<>();
            ClientSubscription sub = client.subscribe(SubscribeSpec.pattern("order/**").policy(Policy.STRICT).outboxCapacity(65_536),
                    e -> e.changes().forEach(c -> seen.computeIfAbsent(c.path(), k -> new CopyOnWriteArrayList<>()).add(c.value().asLong())),
                    ended::set);
            client.get("order/**"); // the subscription is registered before the first publish
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String path = "order/t" + t;
                workers.add(new Thread(() -> {
                    for (long k = 0; k < perThread; k++) {
                        long v = k;
                        client.publish(b -> b.set(path, v));
                    }
                }, "publisher-" + t));
            }
            workers.add(new Thread(() -> {
                try {
                    for (int i = 0; i < 20; i++) {
                        client.set("other/k", (long) i);
                        assertThat(client.get("other/k").toMap().get("other/k").asLong()).isEqualTo(i);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "requests"));
            workers.forEach(Thread::start);
            for (Thread w : workers) {
                w.join(WAIT.toMillis());
            }
            assertThat(failures).isEmpty();
            await().atMost(WAIT).until(() -> ended.get() != null
                    || seen.values().stream().mapToInt(List::size).sum() == threads * perThread);
            assertThat(ended.get()).isNull();
            for (int t = 0; t < threads; t++) {
                List<Long> values = seen.get("order/t" + t);
                assertThat(values).as("thread %d", t).hasSize(perThread).isSorted();
                assertThat(values.get(perThread - 1)).isEqualTo(perThread - 1L);
            }
            sub.cancel();
        }
    }

    @Test
    void publishesThatLingerOnTheEventLoopAllArriveInOrder() throws Exception {
        int updates = 3_000;
        System.setProperty(ClientOptions.PUBLISH_LINGER_PROPERTY, "500");
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            assertThat(client.publishesDirect()).isTrue();
            List<Long> seen = new CopyOnWriteArrayList<>();
            AtomicReference<TreecastClientException> ended = new AtomicReference<>();
            ClientSubscription sub = client.subscribe(SubscribeSpec.pattern("linger/k").policy(Policy.STRICT).outboxCapacity(65_536),
                    e -> e.changes().forEach(c -> seen.add(c.value().asLong())), ended::set);
            client.get("linger/**"); // the subscription is registered before the first publish
            for (long k = 0; k < updates; k++) {
                long v = k;
                client.publish(b -> b.set("linger/k", v));
                if (k % 500 == 0) {
                    Thread.sleep(2); // a pause longer than the linger: the next publish starts a new burst
                }
            }
            await().atMost(WAIT).until(() -> ended.get() != null || seen.size() == updates);
            assertThat(ended.get()).isNull();
            assertThat(seen).hasSize(updates).isSorted().doesNotHaveDuplicates();
            sub.cancel();
        } finally {
            System.clearProperty(ClientOptions.PUBLISH_LINGER_PROPERTY);
        }
    }

    @Test
    void aLingerOutOfRangeOrNotANumberIsRefusedAtConnectNamingTheProperty() throws Exception {
        // A bare listener stands in for the server's address: it counts every socket a client opens, so "refused
        // before a socket opens" does not depend on when the real server registers or forgets other tests' clients.
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout(200);
            String target = "tcp://127.0.0.1:" + listener.getLocalPort();
            try {
                for (String bad : List.of("20000", "-1", "1ms")) {
                    System.setProperty(ClientOptions.PUBLISH_LINGER_PROPERTY, bad);
                    assertThatThrownBy(() -> TreecastClient.connect(target).close())
                            .hasMessageContaining("treecast.client.publish-linger-us = " + bad + ": must be 0..10000 (microseconds)");
                }
            } finally {
                System.clearProperty(ClientOptions.PUBLISH_LINGER_PROPERTY);
            }
            assertThatThrownBy(listener::accept).as("checked before a socket is opened")
                    .isInstanceOf(java.net.SocketTimeoutException.class);
        }
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            assertThat(client.publishesDirect()).as("the next connect, without it, publishes directly").isTrue();
        }
    }

    @Test
    void publishAfterCloseFailsWithClosed() {
        TreecastClient client = TreecastClient.connect(server.tcpUri());
        client.publish(b -> b.set("closed/p", 1L));
        client.close();
        TreecastClientException blocking = catchThrowableOfType(() -> client.publish(b -> b.set("closed/p", 2L)), TreecastClientException.class);
        assertThat(blocking.code()).isEqualTo(TreecastClientException.Code.CLOSED);
        assertThat(blocking.reason()).isEqualTo("the client is closed: create a new one");
        TreecastClientException reactive = catchThrowableOfType(
                () -> client.reactive().publish(ChangeBatch.of(b -> b.set("closed/p", 3L))).block(WAIT), TreecastClientException.class);
        assertThat(reactive.code()).isEqualTo(TreecastClientException.Code.CLOSED);
        try (TreecastClient other = TreecastClient.connect(server.tcpUri())) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(other.get("closed/p").toMap().get("closed/p").asLong()).isEqualTo(1L));
        }
    }

    /** One RSocket frame from a TCP stream: the 3-byte length, then that many bytes (returned without the length). */
    private static byte[] readFrame(DataInputStream in) throws IOException {
        int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
        byte[] frame = new byte[length];
        in.readFully(frame);
        return frame;
    }

    private static int streamId(byte[] frame) {
        return ((frame[0] & 0xFF) << 24) | ((frame[1] & 0xFF) << 16) | ((frame[2] & 0xFF) << 8) | (frame[3] & 0xFF);
    }

    private static int type(byte[] frame) {
        return (frame[4] & 0xFF) >>> 2;
    }
}
