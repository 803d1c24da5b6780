package io.treecast.gateway.it;

import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import io.treecast.proto.Value;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** A limits.max-frame-bytes below RSocket's own 16 MiB: the server starts, and larger requests get a Treecast error. */
@ExtendWith(NoLeaks.class)
class FrameLimitIT {

    @Test
    void aServerWithASmallFrameLimitStartsAndRefusesLargerRequestsWithTheKeyNamed() {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0")
                .set("limits.max-frame-bytes", "4096").build(), null);
        try (RawClient tcp = RawClient.tcp(server); RawClient ws = RawClient.ws(server)) {
            Value big = Value.newBuilder().setStringValue("x".repeat(5_000)).build();
            for (RawClient c : java.util.List.of(tcp, ws)) {
                Throwable t = catchThrowable(() -> c.update(RawClient.set("big/x", big)));
                assertThat(t.getMessage()).startsWith("INVALID_REQUEST: ").contains("more than the limit of 4096 (limits.max-frame-bytes)");
                // the same connection carries on, and nothing of the refused request was applied
                assertThat(c.update(RawClient.set("small/x", 1))).isPositive();
                assertThat(c.get("big/*").getLeavesCount()).isZero();
            }
        } finally {
            server.close();
        }
    }
}
