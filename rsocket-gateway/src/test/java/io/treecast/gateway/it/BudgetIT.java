package io.treecast.gateway.it;

import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import io.treecast.proto.Batch;
import io.treecast.proto.Event;
import io.treecast.proto.Subscribe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.Disposable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/** The engine's memory budgets as a client meets them over RSocket: the code, the message, and a server that carries on. */
@ExtendWith(NoLeaks.class)
class BudgetIT {

    @Test
    void aBatchPastMaxLeavesIsRefusedWithResourceExhaustedAndTheOtherClientsCarryOn() {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("engine.max-leaves", "3").build(), null);
        try (RawClient hog = RawClient.tcp(server); RawClient other = RawClient.tcp(server)) {
            List<Event> seen = new CopyOnWriteArrayList<>();
            Disposable watch = other.subscribe(Subscribe.newBuilder().setPattern("**").build()).subscribe(seen::add);
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(server.engine().stats().subscriptions()).isEqualTo(1));
            hog.update(RawClient.set("a", 1));
            hog.update(RawClient.set("b", 2));
            hog.update(RawClient.set("c", 3));

            Batch twoNew = RawClient.set("d", 4).toBuilder().addChanges(RawClient.set("e", 5).getChanges(0)).build();
            Throwable t = catchThrowable(() -> hog.update(twoNew));
            assertThat(t.getMessage()).startsWith("RESOURCE_EXHAUSTED: the tree holds 3 leaves and this batch would add up to 2 "
                    + "(first: d), more than the budget of 3 leaves (engine.max-leaves): nothing was applied;");
            assertThat(other.get("**").getLeavesCount()).isEqualTo(3);

            // the same connection goes on: an overwrite and a delete pass, and the freed room is usable
            assertThat(hog.update(RawClient.set("a", 10))).isEqualTo(4);
            assertThat(hog.update(RawClient.delete("b"))).isEqualTo(5);
            assertThat(other.update(RawClient.set("d", 4))).isEqualTo(6);
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(seen.size()).isEqualTo(6));
            assertThat(seen).extracting(Event::getSeq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
            watch.dispose();
        } finally {
            server.close();
        }
    }

    @Test
    void subscribesPastTheOutboxBudgetAreRefusedWithResourceExhaustedWhateverTheyAskFor() {
        // 64 slots: four subscriptions of 16, whatever outbox_capacity they ask for
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("engine.outbox-budget-slots", "64").build(), null);
        try (RawClient client = RawClient.tcp(server); RawClient other = RawClient.tcp(server)) {
            List<Disposable> open = new ArrayList<>();
            List<Event> firsts = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 4; i++) {
                open.add(client.subscribe(Subscribe.newBuilder().setPattern("x/**").setOutboxCapacity(1 << 20).build())
                        .subscribe(firsts::add));
            }
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(server.engine().stats().subscriptions()).isEqualTo(4));
            assertThat(server.engine().stats().outboxSlotsUsed()).isEqualTo(64);

            Throwable t = catchThrowable(() ->
                    other.subscribe(Subscribe.newBuilder().setPattern("x/**").setOutboxCapacity(1 << 20).build()).blockFirst(RawClient.WAIT));
            assertThat(t.getMessage()).isEqualTo("RESOURCE_EXHAUSTED: the outboxes of all subscriptions already use 64 of the "
                    + "server's budget of 64 slots (engine.outbox-budget-slots), so this subscription cannot get one: nothing was "
                    + "subscribed; retry later, cancel subscriptions that do not read, or raise engine.outbox-budget-slots");
            Throwable get = catchThrowable(() -> other.get("x/**"));
            assertThat(get.getMessage()).startsWith("RESOURCE_EXHAUSTED: ").contains("(engine.outbox-budget-slots)");

            // the open subscriptions carry on; cancelling one makes room for a new one
            other.update(RawClient.set("x/1", 1));
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(firsts.size()).isEqualTo(4));
            open.remove(0).dispose();
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(server.engine().stats().outboxSlotsUsed()).isEqualTo(48));
            assertThat(other.get("x/**").getLeavesCount()).isEqualTo(1);
            open.forEach(Disposable::dispose);
        } finally {
            server.close();
        }
    }

    @Test
    void aMebibyteOfRepeatedSetIsDecodedAsProtobufMergesItAndTheConnectionCarriesOn() throws Exception {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .build(), null);
        try (RawClient client = RawClient.tcp(server); RawClient other = RawClient.tcp(server)) {
            java.io.ByteArrayOutputStream change = new java.io.ByteArrayOutputStream();
            com.google.protobuf.CodedOutputStream c = com.google.protobuf.CodedOutputStream.newInstance(change);
            c.writeString(1, "merged/leaf");
            for (int i = 0; change.size() < (1 << 20); i++) {
                c.writeMessage(2, io.treecast.proto.Value.newBuilder().setIntValue(i).build());
                c.flush();
            }
            c.writeMessage(2, io.treecast.proto.Value.newBuilder().setStringValue("last").build());
            c.flush();
            // written by hand: the generated classes would merge the repetitions before sending
            java.io.ByteArrayOutputStream batch = new java.io.ByteArrayOutputStream();
            com.google.protobuf.CodedOutputStream b = com.google.protobuf.CodedOutputStream.newInstance(batch);
            b.writeByteArray(1, change.toByteArray());
            b.flush();
            assertThat(batch.size()).isGreaterThan(1 << 20);

            io.rsocket.Payload answer = client.rsocket.requestResponse(io.rsocket.util.DefaultPayload.create(batch.toByteArray(),
                    RawClient.route("tree.update"))).block(RawClient.WAIT);
            assertThat(RawClient.parse(answer, io.treecast.proto.Ack.parser()).getSeq()).isPositive();
            assertThat(other.get("merged/*").getLeaves(0).getSet().getStringValue()).isEqualTo("last");
            assertThat(client.update(RawClient.set("after/x", 1))).isPositive();
        } finally {
            server.close();
        }
    }
}
