package io.treecast.gateway.it;

import io.rsocket.Payload;
import io.rsocket.exceptions.ApplicationErrorException;
import io.rsocket.util.DefaultPayload;
import io.treecast.gateway.GatewayStats;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import io.treecast.proto.Batch;
import io.treecast.proto.Change;
import io.treecast.proto.Child;
import io.treecast.proto.Children;
import io.treecast.proto.ListChildren;
import io.treecast.proto.Value;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Route tree.children: one level of the tree at a time, sorted and paged, its bad inputs and its budgets. */
@ExtendWith(NoLeaks.class)
class ChildrenListingIT {
    /** limits.max-listings-in-flight of this class's server: above the 4 a connection may have, so both show. */
    private static final int SERVER_LISTINGS = 6;
    private static final String SERVER_BUSY = "OVERLOADED: the server is already preparing " + SERVER_LISTINGS
            + " tree.children listings (limits.max-listings-in-flight): retry shortly";
    private static TreecastServer server;
    private static RawClient client;

    @BeforeAll
    static void start() {
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0")
                .set("limits.max-listings-in-flight", String.valueOf(SERVER_LISTINGS)).build(), null);
        client = RawClient.tcp(server);
        Batch.Builder b = Batch.newBuilder();
        for (String p : List.of("t/b/x", "t/a", "t/c/y/z", "t/d", "u/v")) {
            b.addChanges(Change.newBuilder().setPath(p).setSet(Value.newBuilder().setIntValue(1)));
        }
        client.update(b.build());
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static Children list(ListChildren request) {
        Payload p = client.rsocket.requestResponse(RawClient.payload("tree.children", request)).block(RawClient.WAIT);
        return RawClient.parse(p, Children.parser());
    }

    private static List<String> names(Children c) {
        return c.getChildrenList().stream().map(ch -> ch.getName() + (ch.getLeaf() ? "" : "/")).toList();
    }

    @Test
    void listsTheDirectChildrenSortedWithLeavesAndInnerNodesTold() {
        Children t = list(ListChildren.newBuilder().setPath("t").build());
        assertThat(names(t)).containsExactly("a", "b/", "c/", "d");
        assertThat(t.getMore()).isFalse();
        assertThat(t.getSeq()).isPositive();
        assertThat(names(list(ListChildren.newBuilder().build()))).contains("t/", "u/");
    }

    @Test
    void pagesWithLimitAndAfter() {
        Children first = list(ListChildren.newBuilder().setPath("t").setLimit(2).build());
        assertThat(names(first)).containsExactly("a", "b/");
        assertThat(first.getMore()).isTrue();
        Children rest = list(ListChildren.newBuilder().setPath("t").setLimit(2).setAfter("b").build());
        assertThat(names(rest)).containsExactly("c/", "d");
        assertThat(rest.getMore()).isFalse();
    }

    @Test
    void aLeafOrAMissingNodeHasNoChildren() {
        assertThat(list(ListChildren.newBuilder().setPath("t/a").build()).getChildrenList()).isEmpty();
        assertThat(list(ListChildren.newBuilder().setPath("no/such/node").build()).getChildrenList()).isEmpty();
    }

    @Test
    void aConnectionGetsAtMostFourListingsAtOnceTheRestAreOverloadedAndItCarriesOn() {
        Batch.Builder wide = Batch.newBuilder();
        for (int i = 0; i < 1000; i++) {
            wide.addChanges(Change.newBuilder().setPath("wide/k" + i).setSet(Value.newBuilder().setIntValue(i)));
        }
        client.update(wide.build());
        // 64 listings sent at once: each takes a scheduler hop and a walk of 1000 children, so they overlap
        List<Object> answers = reactor.core.publisher.Flux.range(0, 64)
                .flatMap(i -> client.rsocket.requestResponse(RawClient.payload("tree.children",
                                ListChildren.newBuilder().setPath("wide").build()))
                        .map(p -> (Object) RawClient.parse(p, Children.parser()).getChildrenCount())
                        .onErrorResume(e -> reactor.core.publisher.Mono.just(e.getMessage())), 64)
                .collectList().block(RawClient.WAIT);
        assertThat(answers).hasSize(64).allSatisfy(a -> assertThat(a).satisfiesAnyOf(
                count -> assertThat(count).isEqualTo(1000),
                message -> assertThat(message).isEqualTo("OVERLOADED: this connection already has 4 tree.children listings "
                        + "being prepared: wait for one before asking again")));
        assertThat(answers).contains("OVERLOADED: this connection already has 4 tree.children listings being prepared: wait for one before asking again");
        assertThat(list(ListChildren.newBuilder().setPath("wide").setLimit(1).build()).getMore()).isTrue();
    }

    @Test
    void listingsAreCountedUnderTheirRouteInTheGatewayStats() {
        long before = server.stats().requests(GatewayStats.Route.CHILDREN);
        list(ListChildren.newBuilder().setPath("t").build());
        catchThrowable(() -> list(ListChildren.newBuilder().setPath("t//a").build()));
        // counted once the route is known, refused ones too, as every route is
        assertThat(server.stats().requests(GatewayStats.Route.CHILDREN)).isEqualTo(before + 2);
    }

    @Test
    void theServerPreparesAtMostMaxListingsInFlightAcrossConnectionsTheRestAreOverloadedAndEveryoneCarriesOn() {
        Batch.Builder b = Batch.newBuilder();
        for (int i = 0; i < 1000; i++) {
            b.addChanges(Change.newBuilder().setPath("broad/n" + i).setSet(Value.newBuilder().setIntValue(i)));
        }
        client.update(b.build());
        List<RawClient> others = new java.util.ArrayList<>();
        try {
            for (int c = 0; c < 8; c++) {
                others.add(RawClient.tcp(server));
            }
            // 8 connections with 4 listings each, never more than a connection may have: any OVERLOADED is the server's
            // bound. A round whose walks happen not to overlap refuses nothing, so rounds go on until one does
            List<Object> refused = new java.util.concurrent.CopyOnWriteArrayList<>();
            org.awaitility.Awaitility.await().atMost(RawClient.WAIT).pollInterval(java.time.Duration.ofMillis(1)).until(() -> {
                List<Object> answers = reactor.core.publisher.Flux.fromIterable(others)
                        .flatMap(o -> reactor.core.publisher.Flux.range(0, 4).flatMap(i -> o.rsocket.requestResponse(
                                        RawClient.payload("tree.children", ListChildren.newBuilder().setPath("broad").setLimit(1000).build()))
                                .map(p -> (Object) RawClient.parse(p, Children.parser()).getChildrenCount())
                                .onErrorResume(e -> reactor.core.publisher.Mono.just(e.getMessage()))))
                        .collectList().block(RawClient.WAIT);
                assertThat(answers).hasSize(32).allSatisfy(a -> assertThat(a).satisfiesAnyOf(
                        count -> assertThat(count).isEqualTo(1000),
                        message -> assertThat(message).isEqualTo(SERVER_BUSY)));
                answers.stream().filter(SERVER_BUSY::equals).forEach(refused::add);
                return !refused.isEmpty();
            });
            // every slot was given back: each connection, and one that was not part of it, lists and gets again
            for (RawClient o : others) {
                assertThat(RawClient.parse(o.rsocket.requestResponse(RawClient.payload("tree.children",
                        ListChildren.newBuilder().setPath("broad").setLimit(2).build())).block(RawClient.WAIT), Children.parser())
                        .getChildrenList()).extracting(Child::getName).containsExactly("n0", "n1");
            }
            assertThat(names(list(ListChildren.newBuilder().setPath("u").build()))).containsExactly("v");
            assertThat(client.get("broad/n99").getLeavesCount()).isEqualTo(1);
        } finally {
            others.forEach(RawClient::close);
        }
    }

    @Test
    void badPathAndTooLargeLimitAreRefusedWithTheirCodesAndTheConnectionCarriesOn() {
        Throwable badPath = catchThrowable(() -> client.rsocket.requestResponse(RawClient.payload("tree.children",
                ListChildren.newBuilder().setPath("t//a").build())).block(RawClient.WAIT));
        assertThat(badPath).isInstanceOf(ApplicationErrorException.class);
        assertThat(badPath.getMessage()).startsWith("INVALID_PATH: ").contains("t//a");
        Throwable tooMany = catchThrowable(() -> client.rsocket.requestResponse(RawClient.payload("tree.children",
                ListChildren.newBuilder().setLimit(10_001).build())).block(RawClient.WAIT));
        assertThat(tooMany).isInstanceOf(ApplicationErrorException.class);
        assertThat(tooMany.getMessage()).startsWith("INVALID_REQUEST: limit 10001 is too large").contains("after");
        Throwable garbage = catchThrowable(() -> client.rsocket.requestResponse(DefaultPayload.create(
                new byte[]{(byte) 0xff, (byte) 0xff}, RawClient.route("tree.children"))).block(RawClient.WAIT));
        assertThat(garbage.getMessage()).startsWith("MALFORMED: ").contains("treecast.v1.ListChildren");
        Throwable asStream = catchThrowable(() -> client.rsocket.requestStream(RawClient.payload("tree.children",
                ListChildren.getDefaultInstance())).blockFirst(RawClient.WAIT));
        assertThat(asStream.getMessage()).isEqualTo("WRONG_INTERACTION: route tree.children is request-response, it was called as request-stream: call it as request-response");
        assertThat(names(list(ListChildren.newBuilder().setPath("u").build()))).containsExactly("v");
    }
}
