package io.treecast.gateway.it;

import io.rsocket.frame.ErrorFrameCodec;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import io.treecast.proto.Batch;
import io.treecast.proto.Change;
import io.treecast.proto.Value;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Connections that hold the server's memory or a connection slot with frames that never finish: a partial frame
 * (announced 8 MiB, then a trickle or nothing), a connection that says nothing, and unfinished fragmented payloads
 * across many streams. Each is closed with an ERROR frame naming the limit; a control client carries on.
 */
@ExtendWith(NoLeaks.class)
class IncompleteFramesIT {
    private static final byte[] EIGHT_MIB_PREFIX = {(byte) 0x80, 0, 0};
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
    void aFrameThatStopsHalfWayIsClosedAfterTheFrameReadTimeout() throws Exception {
        start(ServerConfig.builder().set("limits.frame-read-timeout-ms", "700"));
        try (RawClient control = RawClient.tcp(server); RawFrames hostile = new RawFrames(server)) {
            hostile.send(RawFrames.setup(20_000, 90_000));
            hostile.sendRaw(EIGHT_MIB_PREFIX);
            hostile.sendRaw(new byte[1000]);
            RawFrames.Seen seen = hostile.readUntilClosed();
            assertThat(seen.errorCode).isEqualTo(ErrorFrameCodec.CONNECTION_ERROR);
            assertThat(seen.errorMessage).startsWith("TIMEOUT: ").contains("limits.frame-read-timeout-ms");
            assertThat(control.update(RawClient.set("p/a", 1))).isPositive();
        }
    }

    @Test
    void aFrameThatTricklesInIsClosedAfterTheFrameReadTimeout() throws Exception {
        start(ServerConfig.builder().set("limits.frame-read-timeout-ms", "700"));
        AtomicBoolean stop = new AtomicBoolean();
        try (RawClient control = RawClient.tcp(server); RawFrames hostile = new RawFrames(server)) {
            hostile.send(RawFrames.setup(20_000, 90_000));
            hostile.sendRaw(EIGHT_MIB_PREFIX);
            // one byte every 50 ms: the connection is never silent, so only the frame deadline catches it
            Thread trickle = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        hostile.sendRaw(new byte[1]);
                        java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
                    }
                } catch (IOException closedByServer) {
                    // expected
                }
            });
            trickle.start();
            RawFrames.Seen seen = hostile.readUntilClosed();
            stop.set(true);
            trickle.join();
            assertThat(seen.errorCode).isEqualTo(ErrorFrameCodec.CONNECTION_ERROR);
            assertThat(seen.errorMessage).startsWith("TIMEOUT: ").contains("limits.frame-read-timeout-ms");
            assertThat(control.update(RawClient.set("p/b", 1))).isPositive();
        } finally {
            stop.set(true);
        }
    }

    @Test
    void aConnectionThatSendsNothingAfterItsSetupIsClosedAfterTheIdleTimeout() throws Exception {
        start(ServerConfig.builder().set("limits.idle-timeout-ms", "1500").set("limits.min-keepalive-ms", "100"));
        try (RawClient control = RawClient.tcp(server, java.time.Duration.ofMillis(300)); RawFrames silent = new RawFrames(server)) {
            silent.send(RawFrames.setup(500, 60_000));
            RawFrames.Seen seen = silent.readUntilClosed();
            assertThat(seen.errorCode).isEqualTo(ErrorFrameCodec.CONNECTION_ERROR);
            assertThat(seen.errorMessage).startsWith("TIMEOUT: ").contains("limits.idle-timeout-ms");
            // the control client's keep-alives are traffic: it outlives the silent one
            assertThat(control.update(RawClient.set("p/c", 1))).isPositive();
        }
    }

    @Test
    void aConnectionThatNeverSendsItsSetupIsClosedAfterTheIdleTimeout() throws Exception {
        start(ServerConfig.builder().set("limits.idle-timeout-ms", "1500").set("limits.min-keepalive-ms", "100"));
        try (RawClient control = RawClient.tcp(server, java.time.Duration.ofMillis(300)); RawFrames silent = new RawFrames(server)) {
            silent.readUntilClosed();
            assertThat(control.update(RawClient.set("p/d", 1))).isPositive();
        }
    }

    @Test
    void unfinishedFragmentedPayloadsPastTheReassemblyBudgetCloseTheConnection() throws Exception {
        // the defaults: 32 MiB of reassembly per connection. Before, 24 such payloads of 15 MiB held 720 MiB
        start(ServerConfig.builder());
        try (RawClient control = RawClient.tcp(server); RawFrames hostile = new RawFrames(server)) {
            hostile.send(RawFrames.setup(20_000, 90_000));
            int fifteenMiB = 15 << 20;
            int sent = 0;
            try {
                for (int stream = 1; stream < 48; stream += 2) {
                    hostile.send(RawFrames.firstFragment(stream, fifteenMiB));
                    sent++;
                }
            } catch (IOException closedByServer) {
                // expected once the budget is passed
            }
            RawFrames.Seen seen = hostile.readUntilClosed();
            assertThat(seen.errorCode).isEqualTo(ErrorFrameCodec.CONNECTION_ERROR);
            assertThat(seen.errorMessage).startsWith("RESOURCE_EXHAUSTED: ").contains("limits.max-reassembly-bytes")
                    .contains(String.valueOf(32 << 20));
            assertThat(sent).as("fragments written before the server closed").isLessThan(24);
            assertThat(control.update(RawClient.set("p/e", 1))).isPositive();
        }
    }

    /**
     * A new request on a stream whose fragmented request is unfinished is a protocol error that rsocket-java neither
     * answered nor closed on: the client waited for ever (ProtocolFuzzIT, seed 38680943470214). Now MALFORMED and closed.
     */
    @Test
    void aNewRequestOnAStreamWhoseFragmentedRequestIsUnfinishedClosesTheConnectionWithMalformed() throws Exception {
        start(ServerConfig.builder());
        try (RawClient control = RawClient.tcp(server); RawFrames hostile = new RawFrames(server)) {
            hostile.send(RawFrames.setup(20_000, 90_000));
            byte[] publish = RawFrames.fragmentedFireAndForget(7, RawClient.route("tree.publish"),
                    RawClient.set("frag/never", 1).toByteArray(), 3);
            int first = 3 + ((publish[0] & 0xff) << 16 | (publish[1] & 0xff) << 8 | (publish[2] & 0xff));
            hostile.sendRaw(java.util.Arrays.copyOf(publish, first)); // the first fragment only: FOLLOWS, never finished
            hostile.sendRaw(RawFrames.request(RawFrames.REQUEST_RESPONSE, 7, RawClient.route("tree.get"),
                    io.treecast.proto.Get.newBuilder().setPattern("control/*").build().toByteArray()));
            RawFrames.Seen seen = hostile.readUntilClosed();
            assertThat(seen.errorCode).isEqualTo(ErrorFrameCodec.CONNECTION_ERROR);
            assertThat(seen.errorMessage).isEqualTo("MALFORMED: a REQUEST_RESPONSE frame on stream 7, whose fragmented request "
                    + "is not finished; send its remaining fragments as PAYLOAD frames on that stream and each new request on a "
                    + "new stream; the connection is closed");
            assertThat(control.get("frag/*").getLeavesCount()).isZero();
            assertThat(control.update(RawClient.set("p/f", 1))).isPositive();
        }
    }

    /**
     * A length prefix above what the TCP transport decodes (16 MiB - 1 counting the prefix itself) was discarded by
     * it with an exception that closed nothing: the client's next requests went unanswered for ever (ProtocolFuzzIT,
     * seed 45806242287879). Now MALFORMED and closed at the prefix, with the frames before it in the same read
     * applied.
     */
    @Test
    void aLengthPrefixLongerThanTheTransportReadsClosesTheConnectionWithMalformed() throws Exception {
        start(ServerConfig.builder());
        try (RawClient control = RawClient.tcp(server); RawFrames hostile = new RawFrames(server)) {
            hostile.send(RawFrames.setup(20_000, 90_000));
            byte[] publish = RawFrames.request(RawFrames.REQUEST_FNF, 1, RawClient.route("tree.publish"),
                    RawClient.set("long/before", 1).toByteArray());
            int declared = 0xFF_FFFF - 2; // the smallest length refused: one byte more than the transport reads
            byte[] prefix = {(byte) (declared >>> 16), (byte) (declared >>> 8), (byte) declared};
            byte[] oneWrite = new byte[publish.length + prefix.length + 100];
            System.arraycopy(publish, 0, oneWrite, 0, publish.length);
            System.arraycopy(prefix, 0, oneWrite, publish.length, prefix.length);
            hostile.sendRaw(oneWrite);
            RawFrames.Seen seen = hostile.readUntilClosed();
            assertThat(seen.errorCode).isEqualTo(ErrorFrameCodec.CONNECTION_ERROR);
            assertThat(seen.errorMessage).isEqualTo("MALFORMED: a frame's length prefix says 16777213 bytes, more than the "
                    + "16777212 bytes a frame on this transport can carry; the connection is closed: send RSocket 1.0 frames "
                    + "(see proto/README.md), larger payloads in fragments");
            assertThat(control.get("long/*").getLeavesCount()).as("the publish before the prefix").isEqualTo(1);
            assertThat(control.update(RawClient.set("p/g", 1))).isPositive();
        }
    }

    @Test
    void finishedFragmentedPayloadsGiveTheirBudgetBack() {
        // 3 x ~190 KiB fragmented updates (64 KiB fragments) one after another, through a 256 KiB budget
        start(ServerConfig.builder().set("limits.max-reassembly-bytes", String.valueOf(256 << 10))
                .set("limits.max-frame-bytes", String.valueOf(256 << 10)));
        try (RawClient client = RawClient.tcp(server)) {
            Batch.Builder big = Batch.newBuilder();
            for (int i = 0; i < 3; i++) {
                big.addChanges(Change.newBuilder().setPath("f/" + i).setSet(Value.newBuilder().setBytesValue(ByteString.copyFrom(new byte[63_000]))));
            }
            for (int round = 0; round < 10; round++) {
                assertThat(client.update(big.build())).isPositive();
            }
        }
    }
}
