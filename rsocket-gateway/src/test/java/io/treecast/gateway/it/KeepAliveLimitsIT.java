package io.treecast.gateway.it;

import io.netty.buffer.ByteBuf;
import io.rsocket.frame.ErrorFrameCodec;
import io.rsocket.frame.FrameHeaderCodec;
import io.rsocket.frame.FrameType;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server bounds what a SETUP's keep-alive settings make it do: a 1 ms interval (which made the server send
 * ~2,500 KEEPALIVE/s to that client) is refused, KEEPALIVEs faster than the floor are not all answered, and a huge
 * max lifetime no longer keeps a silent connection forever. A control client keeps its service throughout.
 */
@ExtendWith(NoLeaks.class)
class KeepAliveLimitsIT {
    private TreecastServer server;

    private TreecastServer start(ServerConfig.Builder b) {
        server = TreecastServer.start(b.set("tcp.port", "0").set("websocket.enabled", "false").build(), null);
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aSetupWithAOneMillisecondKeepAliveIsRefusedAndTheServerSendsNoKeepAliveStorm() throws Exception {
        start(ServerConfig.builder());
        try (RawClient control = RawClient.tcp(server); RawFrames hostile = new RawFrames(server)) {
            hostile.send(RawFrames.setup(1, 90_000));
            RawFrames.Seen seen = hostile.readUntilClosed();
            assertThat(seen.errorCode).isEqualTo(ErrorFrameCodec.REJECTED_SETUP);
            assertThat(seen.errorMessage).startsWith("INVALID_REQUEST: ").contains("1 ms").contains("limits.min-keepalive-ms");
            // before: a 1 ms keep-alive connection stayed open and got thousands of KEEPALIVEs a second; now the SETUP
            // is refused before RSocket starts its keep-alive timer
            assertThat(seen.keepAlives).isZero();
            assertThat(control.update(RawClient.set("k/a", 1))).isPositive();
        }
    }

    @Test
    void aKeepAliveIntervalTheIdleTimeoutWouldCutIsRefused() throws Exception {
        start(ServerConfig.builder().set("limits.idle-timeout-ms", "30000"));
        try (RawFrames hostile = new RawFrames(server)) {
            hostile.send(RawFrames.setup(60_000, 180_000));
            RawFrames.Seen seen = hostile.readUntilClosed();
            assertThat(seen.errorCode).isEqualTo(ErrorFrameCodec.REJECTED_SETUP);
            assertThat(seen.errorMessage).startsWith("INVALID_REQUEST: ").contains("limits.idle-timeout-ms");
        }
    }

    @Test
    void keepAlivesFasterThanTheFloorAreNotAllAnswered() throws Exception {
        start(ServerConfig.builder());
        try (RawClient control = RawClient.tcp(server); RawFrames hostile = new RawFrames(server)) {
            hostile.send(RawFrames.setup(20_000, 90_000));
            long start = System.nanoTime();
            for (int i = 0; i < 300; i++) {
                hostile.send(RawFrames.keepAlive(true));
            }
            // a request after the KEEPALIVEs: its answer comes after every KEEPALIVE answer the server chose to send
            hostile.send(RawFrames.bytes(io.rsocket.frame.RequestResponseFrameCodec.encode(io.netty.buffer.ByteBufAllocator.DEFAULT, 1,
                    false, io.netty.buffer.Unpooled.wrappedBuffer(RawClient.route("tree.get")),
                    io.netty.buffer.Unpooled.wrappedBuffer(io.treecast.proto.Get.newBuilder().setPattern("**").build().toByteArray()))));
            int keepAlives = 0;
            ByteBuf f;
            while ((f = hostile.read()) != null && FrameHeaderCodec.streamId(f) != 1) {
                if (FrameHeaderCodec.nativeFrameType(f) == FrameType.KEEPALIVE) {
                    keepAlives++;
                }
            }
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(f).as("the answer to the request").isNotNull();
            // answered at most once per half floor (500 ms), plus the first one: 300 without the limit
            assertThat(keepAlives).isLessThanOrEqualTo(2 + (int) (elapsedMillis / 500));
            assertThat(control.update(RawClient.set("k/b", 1))).isPositive();
        }
    }

    @Test
    void aSilentConnectionWithAHugeMaxLifetimeIsClosedAtTheServersCap() throws Exception {
        start(ServerConfig.builder().set("limits.min-keepalive-ms", "100").set("limits.max-keepalive-lifetime-ms", "1500")
                .set("limits.idle-timeout-ms", "600000"));
        try (RawClient control = RawClient.tcp(server, java.time.Duration.ofMillis(300)); RawFrames silent = new RawFrames(server)) {
            silent.send(RawFrames.setup(500, Integer.MAX_VALUE));
            // it never answers the server's KEEPALIVEs: before, the 24-day lifetime of its SETUP kept it open
            RawFrames.Seen seen = silent.readUntilClosed();
            // RSocket's own keep-alive check closes it, with the capped lifetime, after the KEEPALIVEs it sent went unanswered
            assertThat(seen.keepAlives).as("KEEPALIVEs before the close; error: %s", seen.errorMessage).isPositive();
            assertThat(control.update(RawClient.set("k/c", 1))).isPositive();
        }
    }
}
