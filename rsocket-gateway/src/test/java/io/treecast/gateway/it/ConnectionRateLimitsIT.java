package io.treecast.gateway.it;

import io.rsocket.Payload;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import io.treecast.proto.Ack;
import io.treecast.proto.Value;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * Per-IP connection limit (TOO_MANY_CONNECTIONS at SETUP) and per-connection update and byte rates (OVERLOADED);
 * a connection over its rate does not slow down another connection.
 */
@ExtendWith(NoLeaks.class)
class ConnectionRateLimitsIT {
    private TreecastServer server;

    private void start(ServerConfig.Builder b) {
        server = TreecastServer.start(b.set("tcp.port", "0").set("websocket.enabled", "false").build(), null);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void connectionsFromOneAddressPastTheLimitAreRefusedAndASlotFreesWhenOneCloses() {
        start(ServerConfig.builder().set("limits.max-connections-per-ip", "2"));
        try (RawClient a = RawClient.tcp(server); RawClient b = RawClient.tcp(server)) {
            a.update(RawClient.set("ip/a", 1));
            b.update(RawClient.set("ip/b", 1));
            try (RawClient c = RawClient.tcp(server)) {
                Throwable t = catchThrowable(() -> c.update(RawClient.set("ip/c", 1)));
                assertThat(t).isInstanceOf(io.rsocket.exceptions.RejectedSetupException.class);
                assertThat(t.getMessage()).startsWith("TOO_MANY_CONNECTIONS: ").contains("127.0.0.1").contains("limits.max-connections-per-ip");
            }
            assertThat(a.update(RawClient.set("ip/a", 2))).isPositive();
            b.close();
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(server.connections()).isEqualTo(1));
            try (RawClient d = RawClient.tcp(server)) {
                assertThat(d.update(RawClient.set("ip/d", 1))).isPositive();
            }
        }
    }

    @Test
    void updatesPastTheRateAreOverloadedAndAnotherConnectionIsNotSlowed() {
        start(ServerConfig.builder().set("limits.max-updates-per-second-per-connection", "5"));
        try (RawClient fast = RawClient.tcp(server); RawClient control = RawClient.tcp(server)) {
            Throwable refused = null;
            // 5 a second: well before 1,000 updates one of them is refused, however slow this machine is
            for (int i = 0; i < 1000 && refused == null; i++) {
                int n = i;
                refused = catchThrowable(() -> fast.update(RawClient.set("r/fast", n)));
            }
            assertThat(refused).isInstanceOf(io.rsocket.exceptions.ApplicationErrorException.class);
            assertThat(refused.getMessage()).startsWith("OVERLOADED: ").contains("limits.max-updates-per-second-per-connection");
            assertThat(control.update(RawClient.set("r/control", 1))).isPositive();
            // the window moves on: the same connection is served again later
            await().atMost(RawClient.WAIT).ignoreExceptions().untilAsserted(() -> assertThat(fast.update(RawClient.set("r/fast", -1))).isGreaterThan(0));
        }
    }

    @Test
    void bytesPastTheRateAreOverloaded() {
        start(ServerConfig.builder().set("limits.max-bytes-per-second-per-connection", "20000"));
        try (RawClient fast = RawClient.tcp(server); RawClient control = RawClient.tcp(server)) {
            Value v = Value.newBuilder().setBytesValue(ByteString.copyFrom(new byte[4000])).build();
            Throwable refused = null;
            for (int i = 0; i < 1000 && refused == null; i++) {
                refused = catchThrowable(() -> fast.update(RawClient.set("r/bytes", v)));
            }
            assertThat(refused).isNotNull();
            assertThat(refused.getMessage()).startsWith("OVERLOADED: ").contains("limits.max-bytes-per-second-per-connection");
            assertThat(control.update(RawClient.set("r/bytes", v))).isPositive();
        }
    }

    @Test
    void publishesPastTheRateAreCountedAsRefused() {
        start(ServerConfig.builder().set("limits.max-updates-per-second-per-connection", "5"));
        try (RawClient fast = RawClient.tcp(server); RawClient control = RawClient.tcp(server)) {
            long before = server.rejectedWithoutAnswer();
            for (int i = 0; i < 200; i++) {
                fast.rsocket.fireAndForget(RawClient.payload("tree.publish", RawClient.set("r/pub", i))).block(RawClient.WAIT);
            }
            await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(server.rejectedWithoutAnswer()).isGreaterThan(before));
            assertThat(control.update(RawClient.set("r/control", 2))).isPositive();
        }
    }

    @Test
    void anIngestChannelPastTheRateEndsWithOverloaded() {
        start(ServerConfig.builder().set("limits.max-updates-per-second-per-connection", "5"));
        try (RawClient fast = RawClient.tcp(server); RawClient control = RawClient.tcp(server)) {
            List<Payload> batches = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                batches.add(RawClient.payload("tree.ingest", RawClient.set("r/ingest", i)));
            }
            List<Ack> acks = new ArrayList<>();
            Throwable end = catchThrowable(() -> fast.rsocket.requestChannel(Flux.fromIterable(batches))
                    .map(p -> RawClient.parse(p, Ack.parser())).doOnNext(acks::add).blockLast(RawClient.WAIT));
            assertThat(end).isNotNull();
            assertThat(end.getMessage()).startsWith("OVERLOADED: ").contains("limits.max-updates-per-second-per-connection")
                    .contains("ingest channel is ended");
            assertThat(acks.size()).isLessThan(200);
            assertThat(control.update(RawClient.set("r/control", 3))).isPositive();
        }
    }
}
