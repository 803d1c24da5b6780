package io.treecast.client;

import io.treecast.fastpath.AckListener;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.OfferResult;
import io.treecast.fastpath.TreePath;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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

    @Test
    void aFullServerSlowsThePublisherUntilItsBoundedBufferRefusesAndNothingAcceptedIsLost() throws Exception {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("engine.inbound-queue-capacity", "256").build(), null);
        CountDownLatch writerHeld = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ClientOptions options = ClientOptions.defaults().publishBufferBytes(64 * 1024).requestTimeout(Duration.ofMillis(300));
        try (TreecastClient publisher = TreecastClient.connect(server.tcpUri(), options);
             TreecastClient reader = TreecastClient.connect(server.tcpUri())) {
            assertThat(publisher.publishesDirect()).isTrue();
            assertThat(server.engine().offer(set("hold/it"), AckMode.APPLIED, holdingWriter(writerHeld, release))).isEqualTo(OfferResult.ACCEPTED);
            assertThat(writerHeld.await(10, TimeUnit.SECONDS)).isTrue();
            int filled = 0;
            while (server.engine().offer(set("fill/" + filled)) == OfferResult.ACCEPTED) {
                filled++; // a queue of 256 (not 2): once released, the backlog drains 256 publishes per retry, not 2
            }
            assertThat(filled).isEqualTo(256);
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
            assertThat(server.publishPauses()).as("the server paused the connection").isPositive();

            release.countDown();
            long last = accepted;
            await().atMost(WAIT).until(() -> reader.get("bp/k").toMap().get("bp/k") != null
                    && reader.get("bp/k").toMap().get("bp/k").asLong() == last);
            assertThat(server.rejectedWithoutAnswer()).as("no publish dropped").isEqualTo(droppedBefore);
            assertThat(reader.get("bp/never").leaves()).as("the refused publish was not sent").isEmpty();
            // the publisher carries on once the buffer drained
            publisher.publish(b -> b.set("bp/k", last + 1));
            await().atMost(WAIT).until(() -> reader.get("bp/k").toMap().get("bp/k").asLong() == last + 1);
        } finally {
            release.countDown();
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

    private static Batch set(String path) {
        return Batch.of(Change.set(TreePath.parse(path), io.treecast.proto.Value.newBuilder().setIntValue(1).build().toByteArray()));
    }

    /** Holds the writer thread in its ack callback until {@code release}: the inbound queue then fills. */
    private static AckListener holdingWriter(CountDownLatch held, CountDownLatch release) {
        return new AckListener() {
            @Override
            public void onAck(long seq) {
                held.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS); // bounded: the test never hangs the writer for good
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onError(ErrorCode code, String message) {
                held.countDown();
            }
        };
    }
}
