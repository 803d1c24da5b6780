package io.treecast.client;

import io.treecast.gateway.HeldWriter;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * A publisher faster than the server can take is slowed, not thinned: the server whose inbound queue is full stops
 * reading the connection (nothing dropped), the client's bounded publish buffer fills, and then {@code publish} waits
 * and ends with OVERLOADED while {@code reactive().publish} fails at once. Everything accepted before arrives, in
 * order, once the server catches up. The server's writer is held deterministically by an ack listener that waits.
 */
@ExtendWith(NoLeaks.class)
class PublishBackPressureIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** Over TCP and over WebSocket (where the server holds the publishes in line and stops reading, too). */
    @org.junit.jupiter.params.ParameterizedTest(name = "over {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"tcp", "ws"})
    void aFullServerSlowsThePublisherUntilItsBoundedBufferRefusesAndNothingAcceptedIsLost(String transport) throws Exception {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0")
                .set("websocket.enabled", String.valueOf(transport.equals("ws")))
                .set("engine.inbound-queue-capacity", "256").build(), null);
        ClientOptions options = ClientOptions.defaults().publishBufferBytes(64 * 1024).requestTimeout(Duration.ofMillis(300));
        String uri = transport.equals("ws") ? server.webSocketUri() : server.tcpUri();
        try (TreecastClient publisher = TreecastClient.connect(uri, options);
             TreecastClient reader = TreecastClient.connect(server.tcpUri());
             HeldWriter held = HeldWriter.hold(server.engine())) {
            assertThat(publisher.publishesDirect()).isTrue();
            // a queue of 256 (not 2): once released, the backlog drains 256 publishes per retry, not 2
            assertThat(held.fillQueue()).isEqualTo(256);
            long droppedBefore = server.rejectedWithoutAnswer();

            // publish until the bounded buffer refuses: the server stopped reading, the sockets' buffers fill first
            // (megabytes on loopback: 2 KiB per publish fills them in a few thousand)
            byte[] pad = new byte[2048];
            long accepted = 0;
            TreecastClientException refused = null;
            for (long i = 1; i <= 1_000_000 && refused == null; i++) {
                long v = i;
                try {
                    publisher.publish(b -> b.set("bp/pad", pad).set("bp/k", v));
                    accepted = i;
                } catch (TreecastClientException e) {
                    refused = e;
                }
            }
            assertThat(refused).as("the publish buffer's bound was reached").isNotNull();
            assertThat(refused.code()).isEqualTo(TreecastClientException.Code.OVERLOADED);
            assertThat(refused.getMessage()).contains("at its bound of 65536 (ClientOptions.publishBufferBytes)")
                    .contains("waited").contains("nothing of this publish was sent");
            TreecastClientException reactive = catchThrowableOfType(TreecastClientException.class,
                    () -> publisher.reactive().publish(ChangeBatch.of(b -> b.set("bp/never", 1L))).block(WAIT));
            assertThat(reactive.code()).as("the non-blocking publish fails at once").isEqualTo(TreecastClientException.Code.OVERLOADED);
            // on an event loop (Reactor's non-blocking threads) even the blocking publish does not wait: that loop may
            // be the one that must drain the socket
            java.util.concurrent.CompletableFuture<Throwable> onLoop = new java.util.concurrent.CompletableFuture<>();
            reactor.core.scheduler.Schedulers.parallel().schedule(() -> {
                try {
                    publisher.publish(b -> b.set("bp/never", 1L));
                    onLoop.complete(null);
                } catch (Throwable t) {
                    onLoop.complete(t);
                }
            });
            assertThat(onLoop.get(10, java.util.concurrent.TimeUnit.SECONDS)).isInstanceOf(TreecastClientException.class)
                    .hasMessageContaining("ClientOptions.publishBufferBytes")
                    .hasMessageNotContaining("waited");
            assertThat(server.publishPauses()).as("the server paused the connection").isPositive();

            held.release();
            long last = accepted;
            await().atMost(WAIT).until(() -> reader.get("bp/k").toMap().get("bp/k") != null
                    && reader.get("bp/k").toMap().get("bp/k").asLong() == last);
            assertThat(server.rejectedWithoutAnswer()).as("no publish dropped").isEqualTo(droppedBefore);
            assertThat(reader.get("bp/never").leaves()).as("the refused publish was not sent").isEmpty();
            // the publisher carries on once the buffer drained
            publisher.publish(b -> b.set("bp/k", last + 1));
            await().atMost(WAIT).until(() -> reader.get("bp/k").toMap().get("bp/k").asLong() == last + 1);
        } finally {
            server.close();
        }
    }

    @Test
    void aPublishBufferBoundOutOfRangeIsRefusedNamingTheOption() {
        for (int bad : new int[]{0, -1}) {
            IllegalArgumentException e = catchThrowableOfType(IllegalArgumentException.class,
                    () -> ClientOptions.defaults().publishBufferBytes(bad));
            assertThat(e).hasMessageContaining("publish buffer bytes must be 1..1073741824 (1 GiB), was " + bad);
        }
        assertThat(ClientOptions.defaults().publishBufferBytes()).isEqualTo(ClientOptions.DEFAULT_PUBLISH_BUFFER_BYTES);
    }
}
