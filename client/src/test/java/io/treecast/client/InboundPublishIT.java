package io.treecast.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.rsocket.RSocket;
import io.rsocket.core.RSocketConnector;
import io.rsocket.metadata.CompositeMetadataCodec;
import io.rsocket.metadata.TaggingMetadataCodec;
import io.rsocket.metadata.WellKnownMimeType;
import io.rsocket.transport.netty.client.TcpClientTransport;
import io.rsocket.util.DefaultPayload;
import io.treecast.fastpath.ErrorCode;
import io.treecast.gateway.GatewayStats;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import io.treecast.proto.Setup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.netty.tcp.TcpClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The server reads whole publish frames off the wire itself (the gateway's {@code FnfReader}, not rsocket-java's
 * responder), with the checks and counters of the responder path: a publisher's updates arrive in order and the
 * direct path took them; a publish the access rules forbid, one over the connection's rate and a malformed batch are
 * counted as refused (and OVERLOADED counted as before) while the connection and another client carry on; a
 * publish larger than a frame (fragmented by the client) still goes through rsocket-java, in order with the others.
 * The gateway cannot use the Java client in its own tests (the client depends on it), hence this test lives here.
 */
@ExtendWith(NoLeaks.class)
class InboundPublishIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int RATE = 200;
    @TempDir
    static Path dir;
    private static TreecastServer server;
    private static TreecastClient writer;

    @BeforeAll
    static void start() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), """
                writer writer-token-0123456789
                alice  alice-token-0123456789
                """);
        Path rules = Files.writeString(dir.resolve("rules.yaml"), """
                principals:
                  writer:
                    read:  { allow: ["**"] }
                    write: { allow: ["**"] }
                  alice:
                    read:  { allow: ["**"] }
                    write: { allow: ["alice/**"] }
                """);
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("auth.tokens-file", tokens.toString()).set("auth.rules-file", rules.toString())
                .set("limits.max-updates-per-second-per-connection", String.valueOf(RATE))
                .set("limits.max-value-bytes", "200000").build(), null);
        writer = connect("writer-token-0123456789");
    }

    @AfterAll
    static void stop() {
        if (writer != null) {
            writer.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static TreecastClient connect(String token) {
        return TreecastClient.connect(server.tcpUri(), ClientOptions.defaults().token(token));
    }

    @Test
    void publishesArriveInOrderThroughTheDirectPathFromTheFirstFrameAfterSetup() {
        List<Long> seen = new CopyOnWriteArrayList<>();
        ClientSubscription sub = writer.subscribe(SubscribeSpec.pattern("order/**").policy(Policy.STRICT),
                e -> e.changes().forEach(c -> seen.add(c.value().asLong())), e -> { });
        writer.get("order/**"); // the subscription is registered before the first publish
        long direct = stats().directPublishes();
        int n = 150; // under the rate limit of one connection
        try (TreecastClient publisher = connect("writer-token-0123456789")) {
            for (long i = 0; i < n; i++) {
                long v = i;
                publisher.reactive().publish(ChangeBatch.of(b -> b.set("order/x", v))).subscribe();
            }
            await().atMost(WAIT).until(() -> seen.size() == n);
        } finally {
            sub.cancel();
        }
        assertThat(seen).isSorted().startsWith(0L).endsWith(n - 1L);
        assertThat(stats().directPublishes() - direct).as("publishes read off the wire").isEqualTo(n);
    }

    @Test
    void forbiddenOverTheRateAndMalformedPublishesAreRefusedAndCountedWhileTheConnectionCarriesOn() {
        long rejected = server.rejectedWithoutAnswer();
        long overloaded = stats().errors(ErrorCode.OVERLOADED);
        long direct = stats().directPublishes();
        try (TreecastClient alice = connect("alice-token-0123456789")) {
            alice.publish(b -> b.set("writer/x", 1L)); // not hers to write
            alice.publish(b -> b.set("alice/ok", 1L));
            await().atMost(WAIT).until(() -> writer.get("alice/ok").toMap().containsKey("alice/ok"));
            assertThat(writer.get("writer/**").leaves()).isEmpty();
            assertThat(server.rejectedWithoutAnswer() - rejected).isEqualTo(1);
        }
        RSocket raw = rawConnection("writer-token-0123456789");
        try {
            raw.fireAndForget(DefaultPayload.create(new byte[]{(byte) 0xFF, (byte) 0xFF, 0x01}, PUBLISH)).block(WAIT);
            raw.fireAndForget(DefaultPayload.create(io.treecast.proto.Batch.newBuilder()
                    .addChanges(io.treecast.proto.Change.newBuilder().setPath("raw/ok")
                            .setSet(io.treecast.proto.Value.newBuilder().setIntValue(1))).build().toByteArray(), PUBLISH)).block(WAIT);
            await().atMost(WAIT).until(() -> writer.get("raw/ok").toMap().containsKey("raw/ok"));
            assertThat(server.rejectedWithoutAnswer() - rejected).as("the malformed batch").isEqualTo(2);

            // a burst far over the connection's rate: what the window refuses is counted as refused and OVERLOADED
            int burst = 3 * RATE;
            Flux.range(0, burst).concatMap(i -> raw.fireAndForget(DefaultPayload.create(io.treecast.proto.Batch.newBuilder()
                    .addChanges(io.treecast.proto.Change.newBuilder().setPath("rate/" + i)
                            .setSet(io.treecast.proto.Value.newBuilder().setIntValue(i))).build().toByteArray(), PUBLISH)))
                    .blockLast(WAIT);
            await().atMost(WAIT).until(() -> writer.get("rate/**").leaves().size()
                    + (server.rejectedWithoutAnswer() - rejected - 2) == burst);
            long refused = server.rejectedWithoutAnswer() - rejected - 2;
            assertThat(refused).isPositive();
            assertThat(stats().errors(ErrorCode.OVERLOADED) - overloaded).isEqualTo(refused);
        } finally {
            raw.dispose();
        }
        assertThat(stats().directPublishes() - direct).as("every one of them was read off the wire")
                .isEqualTo(2 + 2 + 3L * RATE);
        writer.publish(b -> b.set("after/refusals", 1L)); // another client carries on
        await().atMost(WAIT).until(() -> writer.get("after/**").toMap().containsKey("after/refusals"));
    }

    @Test
    void aPublishLargerThanAFrameGoesThroughRsocketJavaInOrderWithTheOthers() {
        List<String> seen = new CopyOnWriteArrayList<>();
        ClientSubscription sub = writer.subscribe(SubscribeSpec.pattern("big/**").policy(Policy.STRICT),
                e -> e.changes().forEach(c -> seen.add(c.value().asString())), e -> { });
        writer.get("big/**");
        String big = "x".repeat(150_000); // three fragments at the client's 64 KiB
        long direct = stats().directPublishes();
        writer.publish(b -> b.set("big/v", "before"));
        writer.publish(b -> b.set("big/v", big));
        writer.publish(b -> b.set("big/v", "after"));
        try {
            await().atMost(WAIT).until(() -> seen.size() == 3);
        } finally {
            sub.cancel();
        }
        assertThat(seen).containsExactly("before", big, "after");
        assertThat(stats().directPublishes() - direct).as("the small ones only").isEqualTo(2);
    }

    private static GatewayStats stats() {
        return server.stats();
    }

    /** The composite metadata of tree.publish, as every client sends it. */
    private static final byte[] PUBLISH = publishMetadata();

    private static byte[] publishMetadata() {
        CompositeByteBuf composite = ByteBufAllocator.DEFAULT.compositeBuffer();
        try {
            ByteBuf routing = TaggingMetadataCodec.createRoutingMetadata(ByteBufAllocator.DEFAULT, List.of("tree.publish")).getContent();
            CompositeMetadataCodec.encodeAndAddMetadata(composite, ByteBufAllocator.DEFAULT, WellKnownMimeType.MESSAGE_RSOCKET_ROUTING, routing);
            return ByteBufUtil.getBytes(composite);
        } finally {
            composite.release();
        }
    }

    /** rsocket-java's own requester: whole REQUEST_FNF frames with any data, including data that is no Batch. */
    private static RSocket rawConnection(String token) {
        return RSocketConnector.create()
                .dataMimeType("application/x-protobuf")
                .metadataMimeType(WellKnownMimeType.MESSAGE_RSOCKET_COMPOSITE_METADATA.getString())
                .setupPayload(DefaultPayload.create(Setup.newBuilder().setToken(token).build().toByteArray()))
                .connect(TcpClientTransport.create(TcpClient.newConnection().host("127.0.0.1").port(server.tcpAddress().getPort())))
                .block(WAIT);
    }
}
