package io.treecast.gateway.it;

import io.rsocket.util.DefaultPayload;
import io.treecast.gateway.HeldWriter;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

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
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("engine.inbound-queue-capacity", "2").build(), null);
        try (RawClient publisher = RawClient.tcp(server); RawClient reader = RawClient.tcp(server);
             HeldWriter held = HeldWriter.hold(server.engine())) {
            assertThat(held.fillQueue()).isEqualTo(2);
            long droppedBefore = server.rejectedWithoutAnswer();

            // 500 publishes of one leaf, then a request on the same connection: all must wait behind the first
            int publishes = 500;
            for (int i = 1; i <= publishes; i++) {
                publisher.rsocket.fireAndForget(DefaultPayload.create(RawClient.set("order/k", i).toByteArray(),
                        RawClient.route("tree.publish"))).block(RawClient.WAIT);
            }
            java.util.concurrent.CompletableFuture<io.rsocket.Payload> lastUpdate = publisher.rsocket
                    .requestResponse(RawClient.payload("tree.update", RawClient.set("order/last", 1))).toFuture();
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(server.publishPauses()).isPositive());
            assertThat(lastUpdate).as("a request read after a held publish waits behind it").isNotDone();

            held.release();
            long lastSeq = RawClient.parse(lastUpdate.get(10, TimeUnit.SECONDS), io.treecast.proto.Ack.parser()).getSeq();
            io.treecast.proto.Snapshot s = reader.get("order/*");
            java.util.Map<String, io.treecast.proto.Change> leaves = new java.util.HashMap<>();
            s.getLeavesList().forEach(c -> leaves.put(c.getPath(), c));
            assertThat(leaves.get("order/k").getSet().getIntValue()).as("the last publish won").isEqualTo(publishes);
            assertThat(leaves.get("order/k").getSeq()).as("every publish applied before the request sent after them").isLessThan(lastSeq);
            assertThat(server.rejectedWithoutAnswer()).as("no publish dropped").isEqualTo(droppedBefore);
            // the connection reads again: a publish now is applied at once
            publisher.rsocket.fireAndForget(DefaultPayload.create(RawClient.set("order/k", publishes + 1).toByteArray(),
                    RawClient.route("tree.publish"))).block(RawClient.WAIT);
            await().atMost(RawClient.WAIT).untilAsserted(() ->
                    assertThat(reader.get("order/k").getLeaves(0).getSet().getIntValue()).isEqualTo(publishes + 1));
        } finally {
            server.close();
        }
    }
}
