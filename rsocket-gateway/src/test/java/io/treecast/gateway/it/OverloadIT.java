package io.treecast.gateway.it;

import io.rsocket.util.DefaultPayload;
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

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * A full inbound queue answers OVERLOADED, applies nothing of the refused request, and the server carries on once
 * the writer catches up. The writer is held deterministically: an ack listener that waits runs on the writer thread.
 */
@ExtendWith(NoLeaks.class)
class OverloadIT {

    private static Batch set(String path) {
        return Batch.of(Change.set(TreePath.parse(path), io.treecast.proto.Value.newBuilder().setIntValue(1).build().toByteArray()));
    }

    @Test
    void aFullInboundQueueIsOverloadedAndTheServerRecovers() throws Exception {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("engine.inbound-queue-capacity", "2").build(), null);
        CountDownLatch writerHeld = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (RawClient client = RawClient.tcp(server); RawClient other = RawClient.tcp(server)) {
            assertThat(server.engine().offer(set("hold/it"), AckMode.APPLIED, new AckListener() {
                @Override
                public void onAck(long seq) {
                    writerHeld.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS); // bounded: the test never hangs the writer for good
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }

                @Override
                public void onError(ErrorCode code, String message) {
                    writerHeld.countDown();
                }
            })).isEqualTo(OfferResult.ACCEPTED);
            assertThat(writerHeld.await(10, TimeUnit.SECONDS)).isTrue();
            // the writer is held: two batches fill the queue of two
            assertThat(server.engine().offer(set("fill/a"))).isEqualTo(OfferResult.ACCEPTED);
            assertThat(server.engine().offer(set("fill/b"))).isEqualTo(OfferResult.ACCEPTED);

            Throwable t = catchThrowable(() -> client.update(RawClient.set("refused/x", 5)));
            assertThat(t.getMessage()).startsWith("OVERLOADED: ").contains("nothing was applied")
                    .contains("engine.inbound-queue-capacity");
            long droppedBefore = server.rejectedWithoutAnswer();
            client.rsocket.fireAndForget(DefaultPayload.create(RawClient.set("refused/y", 6).toByteArray(),
                    RawClient.route("tree.publish"))).block(RawClient.WAIT);
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(server.rejectedWithoutAnswer()).isGreaterThan(droppedBefore));

            release.countDown();
            // the writer drains the two queued batches first: until then the queue of two is still full
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(server.engine().stats().inboundDepth()).isZero());
            // both connections carry on, the queued batches applied, the refused ones not
            assertThat(client.update(RawClient.set("after/x", 7))).isPositive();
            assertThat(other.get("fill/*").getLeavesCount()).isEqualTo(2);
            assertThat(other.get("refused/*").getLeavesCount()).isZero();
            assertThat(other.update(RawClient.set("after/y", 8))).isPositive();
        } finally {
            release.countDown();
            server.close();
        }
    }
}
