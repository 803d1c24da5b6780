package io.treecast.client;

import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@ExtendWith(NoLeaks.class)
class MirrorIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static TreecastServer start(int port) {
        return TreecastServer.start(ServerConfig.builder().set("tcp.port", String.valueOf(port))
                .set("websocket.enabled", "false").build(), null);
    }

    private static Map<String, TreeValue> serverState(TreecastClient c, String pattern) {
        return new TreeMap<>(c.get(pattern).toMap());
    }

    @Test
    void mirrorFollowsTheServerAndHealsAfterTheServerRestartsOnTheSamePort() throws Exception {
        TreecastServer server = start(0);
        int port = server.tcpAddress().getPort();
        TreecastClient client = TreecastClient.lazy("tcp://127.0.0.1:" + port, ClientOptions.defaults());
        Mirror mirror = null;
        try {
            client.set("m/a", 1L);
            client.set("m/b/c", "x");
            client.set("other/q", true);
            mirror = client.mirror("m/**");
            assertThat(mirror.awaitReady(WAIT)).isTrue();
            AtomicInteger heard = new AtomicInteger();
            mirror.addListener((path, value, seq) -> heard.incrementAndGet());
            for (int i = 0; i < 200; i++) {
                client.set("m/n" + (i % 20), (long) i);
            }
            client.delete("m/b");
            long last = client.set("m/a", 2L);
            Mirror m = mirror;
            await().atMost(WAIT).untilAsserted(() -> assertThat(m.seq()).isGreaterThanOrEqualTo(last));
            assertThat(mirror.entries()).isEqualTo(serverState(client, "m/**"));
            assertThat(heard.get()).isGreaterThanOrEqualTo(202);

            // the connection drops and the server comes back on the same port with other state
            server.close();
            server = start(port);
            await().atMost(WAIT).untilAsserted(() -> assertThat(m.reconnects()).isGreaterThan(0));
            TreecastClient fresh = TreecastClient.connect("tcp://127.0.0.1:" + port);
            try {
                fresh.set("m/after", "restart");
                long s = fresh.set("m/x/y", 3.5);
                await().atMost(WAIT).untilAsserted(() -> {
                    assertThat(m.entries()).isEqualTo(serverState(fresh, "m/**"));
                    assertThat(m.seq()).isGreaterThanOrEqualTo(s);
                });
                assertThat(m.get("m/a")).isNull();
                assertThat(m.get("m/x/y").asDouble()).isEqualTo(3.5);
            } finally {
                fresh.close();
            }
        } finally {
            if (mirror != null) {
                mirror.close();
            }
            client.close();
            server.close();
        }
    }

    @Test
    void mirrorResumesAfterADroppedConnectionWithoutASnapshot() throws Exception {
        TreecastServer server = start(0);
        TreecastClient client = TreecastClient.lazy(server.tcpUri(), ClientOptions.defaults());
        TreecastClient writer = TreecastClient.connect(server.tcpUri());
        Mirror mirror = null;
        try {
            for (int i = 0; i < 20; i++) {
                writer.set("r/k" + i, (long) i);
            }
            mirror = client.mirror("r/**");
            assertThat(mirror.awaitReady(WAIT)).isTrue();
            Mirror m = mirror;
            long before = writer.set("r/k0", 100L);
            await().atMost(WAIT).untilAsserted(() -> assertThat(m.seq()).isGreaterThanOrEqualTo(before));

            server.dropConnections();
            await().atMost(WAIT).untilAsserted(() -> assertThat(m.reconnects()).isGreaterThan(0));
            TreecastClient writer2 = TreecastClient.connect(server.tcpUri());
            try {
                writer2.delete("r/k1");
                writer2.update(b -> b.set("r/k2", "two").set("r/new", true), AckMode.APPLIED);
                long last = writer2.set("r/k3", 3.0);
                await().atMost(WAIT).untilAsserted(() -> {
                    assertThat(m.seq()).isGreaterThanOrEqualTo(last);
                    assertThat(m.entries()).isEqualTo(serverState(writer2, "r/**"));
                });
                assertThat(m.resets()).as("resumed from the replay ring, no RESET").isZero();
                assertThat(m.get("r/k1")).isNull();
                assertThat(m.get("r/new").asBoolean()).isTrue();
            } finally {
                writer2.close();
            }
        } finally {
            if (mirror != null) {
                mirror.close();
            }
            client.close();
            writer.close();
            server.close();
        }
    }

    @Test
    void mirrorEqualsTheServerAfterRandomWritesAndRepeatedDrops() throws Exception {
        TreecastServer server = start(0);
        TreecastClient client = TreecastClient.lazy(server.tcpUri(), ClientOptions.defaults());
        java.util.Random random = new java.util.Random(20261123L);
        Mirror mirror = null;
        try {
            mirror = client.mirror("z/**");
            assertThat(mirror.awaitReady(WAIT)).isTrue();
            Mirror m = mirror;
            for (int round = 0; round < 4; round++) {
                try (TreecastClient writer = TreecastClient.connect(server.tcpUri())) {
                    for (int op = 0; op < 150; op++) {
                        String path = "z/" + random.nextInt(4) + "/" + random.nextInt(8);
                        int dice = random.nextInt(10);
                        String subtree = "z/" + random.nextInt(4);
                        long value = op;
                        java.util.function.Consumer<ChangeBatch> change;
                        if (dice == 0) {
                            change = b -> b.delete(subtree);                                 // a whole subtree
                        } else if (dice == 1) {
                            change = b -> b.delete(path);
                        } else if (dice == 2) {
                            change = b -> b.set(path, "s").set("other/" + path, 1L).delete("z/3/0");
                        } else {
                            change = b -> b.set(path, value);
                        }
                        writeRetryingOnConnectionLoss(writer, change);
                        if (op == 75) {
                            server.dropConnections();                               // mid-stream, writes go on
                        }
                    }
                }
                TreecastClient check = TreecastClient.connect(server.tcpUri());
                try {
                    Snapshot truth = check.get("z/**");
                    await().atMost(WAIT).untilAsserted(() -> {
                        assertThat(m.seq()).isGreaterThanOrEqualTo(truth.seq());
                        assertThat(m.entries()).isEqualTo(serverState(check, "z/**"));
                    });
                } finally {
                    check.close();
                }
            }
            assertThat(mirror.reconnects()).isGreaterThanOrEqualTo(4);
        } finally {
            if (mirror != null) {
                mirror.close();
            }
            client.close();
            server.close();
        }
    }

    /** A call in flight while its connection drops fails with CONNECTION; the next call connects again. */
    private static void writeRetryingOnConnectionLoss(TreecastClient writer, java.util.function.Consumer<ChangeBatch> change) {
        for (int attempt = 0; ; attempt++) {
            try {
                writer.update(change, AckMode.APPLIED);
                return;
            } catch (TreecastClientException e) {
                if (e.code() != TreecastClientException.Code.CONNECTION || attempt >= 3) {
                    throw e;
                }
            }
        }
    }

    @Test
    void aBatchThatSetsOneLeafTwiceLeavesTheMirrorWithTheLastValue() throws Exception {
        TreecastServer server = start(0);
        try (TreecastClient client = TreecastClient.connect(server.tcpUri()); Mirror mirror = client.mirror("twice/**")) {
            assertThat(mirror.awaitReady(WAIT)).isTrue();
            // both changes carry the batch's seq; the later one is the leaf's value
            long seq = client.update(b -> b.set("twice/x", "first").set("twice/x", "second"));
            await().atMost(WAIT).untilAsserted(() -> assertThat(mirror.seq()).isGreaterThanOrEqualTo(seq));
            assertThat(serverState(client, "twice/**")).containsEntry("twice/x", TreeValue.of("second"));
            assertThat(mirror.get("twice/x")).isEqualTo(TreeValue.of("second"));
        } finally {
            server.close();
        }
    }
}
