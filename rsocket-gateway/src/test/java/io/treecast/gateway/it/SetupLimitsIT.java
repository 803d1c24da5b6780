package io.treecast.gateway.it;

import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** SETUP-time refusals (token, connection limit) answer REJECTED_SETUP with "<CODE>: message". */
@ExtendWith(NoLeaks.class)
class SetupLimitsIT {

    @Test
    void missingOrWrongTokenIsUnauthorizedAndAValidTokenWorks() {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("auth.tokens", "s3cret,other").build(), null);
        try {
            try (RawClient none = RawClient.tcp(server)) {
                Throwable t = catchThrowable(() -> none.update(RawClient.set("a/b", 1)));
                assertThat(t).isInstanceOf(io.rsocket.exceptions.RejectedSetupException.class);
                assertThat(t.getMessage()).startsWith("UNAUTHORIZED: ").contains("requires a token");
            }
            try (RawClient wrong = RawClient.tcp(server, "guess")) {
                Throwable t = catchThrowable(() -> wrong.update(RawClient.set("a/b", 1)));
                assertThat(t).isInstanceOf(io.rsocket.exceptions.RejectedSetupException.class);
                assertThat(t.getMessage()).startsWith("UNAUTHORIZED: ").contains("auth.tokens");
            }
            try (RawClient good = RawClient.tcp(server, "s3cret")) {
                assertThat(good.update(RawClient.set("a/b", 1))).isPositive();
            }
            assertThat(server.webSocketAddress()).isNull();
        } finally {
            server.close();
        }
    }

    @Test
    void connectionsPastTheLimitAreRefusedAndTheOthersCarryOn() {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("limits.max-connections", "2").build(), null);
        try (RawClient a = RawClient.tcp(server); RawClient b = RawClient.tcp(server)) {
            a.update(RawClient.set("c/a", 1));
            b.update(RawClient.set("c/b", 1));
            try (RawClient c = RawClient.tcp(server)) {
                Throwable t = catchThrowable(() -> c.update(RawClient.set("c/c", 1)));
                assertThat(t).isInstanceOf(io.rsocket.exceptions.RejectedSetupException.class);
                assertThat(t.getMessage()).startsWith("TOO_MANY_CONNECTIONS: ").contains("limits.max-connections");
            }
            assertThat(a.update(RawClient.set("c/a", 2))).isPositive();
            assertThat(b.get("c/*").getLeavesCount()).isEqualTo(2);
        } finally {
            server.close();
        }
    }

    /**
     * rsocket-java retains the SETUP frame before it calls the acceptor and releases it when the acceptor's Mono ends;
     * a SETUP cut short inside its data MIME type made the acceptor throw instead, which pinned the frame and the read
     * buffer under it (ProtocolFuzzIT, seed 45839457842761). NoLeaks fails the class if a buffer is left behind.
     */
    @Test
    void aSetupCutShortIsRefusedWithMalformedAndLeavesNoBufferBehind() throws Exception {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .build(), null);
        try (RawClient control = RawClient.tcp(server); RawFrames hostile = new RawFrames(server)) {
            byte[] setup = RawFrames.setup(20_000, 90_000);
            hostile.send(java.util.Arrays.copyOf(setup, setup.length - 10)); // ends inside "application/x-protobuf"
            RawFrames.Seen seen = hostile.readUntilClosed();
            assertThat(seen.errorCode).isEqualTo(io.rsocket.frame.ErrorFrameCodec.REJECTED_SETUP);
            assertThat(seen.errorMessage).isEqualTo("MALFORMED: the SETUP frame ends before its fields do (its MIME types,"
                    + " resume token, metadata or data are cut short): send an RSocket 1.0 SETUP frame (see proto/README.md)");
            assertThat(control.update(RawClient.set("cut/a", 1))).isPositive();
        } finally {
            server.close();
        }
    }

    @Test
    void closeEndsSubscriptionsWithShuttingDownAndRefusesNewConnections() {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0").build(), null);
        try (RawClient a = RawClient.tcp(server)) {
            java.util.concurrent.atomic.AtomicReference<Throwable> end = new java.util.concurrent.atomic.AtomicReference<>();
            a.subscribe(io.treecast.proto.Subscribe.newBuilder().setPattern("**").build()).subscribe(e -> { }, end::set);
            a.update(RawClient.set("s/x", 1));
            server.close();
            org.awaitility.Awaitility.await().atMost(RawClient.WAIT).untilAsserted(() -> assertThat(end.get()).isNotNull());
            assertThat(end.get().getMessage()).startsWith("SHUTTING_DOWN: ");
        } finally {
            server.close();
        }
    }
}
