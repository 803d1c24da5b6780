package io.treecast.e2e;

import io.treecast.client.AckMode;
import io.treecast.client.Mirror;
import io.treecast.client.TreecastClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code mirror()} from the outside: two mirrors, one over TCP and one over WebSocket, each behind a {@link TcpProxy}
 * so the test can cut their connections, follow a subtree of the packaged durable server while it is written to,
 * while their connections are dropped, and across a restart of the server. Each time the writes pause, both hold
 * exactly what the server holds.
 */
@ExtendWith(ServerLogOnFailure.class)
class MirrorAcrossDropAndRestartIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String P = "mirror";

    @TempDir
    static Path dataDir;
    private static KafkaFixture kafka;
    private static ServerProcess server;

    @BeforeAll
    static void startServer() throws Exception {
        kafka = KafkaFixture.start(dataDir);
        server = ServerProcess.start("mirror", kafka.serverArgs());
    }

    @AfterAll
    static void stopServer() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    @Test
    void mirrorsOverTcpAndWebSocketStayEqualToTheServerAcrossDroppedConnectionsAndARestart() throws Exception {
        Random random = new Random(5);
        try (TcpProxy tcpProxy = TcpProxy.to(server.tcpPort());
             TcpProxy wsProxy = TcpProxy.to(server.wsPort());
             TreecastClient overTcp = TreecastClient.connect("tcp://127.0.0.1:" + tcpProxy.port());
             TreecastClient overWs = TreecastClient.connect("ws://127.0.0.1:" + wsProxy.port() + "/rsocket");
             TreecastClient writer = TreecastClient.connect(server.tcpUrl())) {
            write(writer, random, 300);
            try (Mirror tcpMirror = overTcp.mirror(P + "/**"); Mirror wsMirror = overWs.mirror(P + "/**")) {
                List<Mirror> mirrors = List.of(tcpMirror, wsMirror);
                for (Mirror m : mirrors) {
                    assertThat(m.awaitReady(WAIT)).isTrue();
                }
                write(writer, random, 200);
                assertEqualToTheServer(mirrors, writer);

                // the network drops every mirror connection, twice, while the writes go on
                write(writer, random, 100);
                tcpProxy.dropConnections();
                wsProxy.dropConnections();
                write(writer, random, 100);
                tcpProxy.dropConnections();
                wsProxy.dropConnections();
                write(writer, random, 100);
                assertEqualToTheServer(mirrors, writer);
                assertThat(mirrors).allSatisfy(m -> assertThat(m.reconnects()).isGreaterThanOrEqualTo(1));

                // the server stops (gracefully: every applied write is flushed to Kafka) and starts again from Kafka
                long reconnectsBefore = tcpMirror.reconnects() + wsMirror.reconnects();
                server.stop();
                server.restart();
                write(writer, random, 200); // the writer's client reconnects on its next call
                assertEqualToTheServer(mirrors, writer);
                assertThat(tcpMirror.reconnects() + wsMirror.reconnects()).isGreaterThan(reconnectsBefore);
                assertThat(mirrors).allSatisfy(m -> {
                    assertThat(m.isRunning()).isTrue();
                    assertThat(m.failure()).isNull();
                });
            }
        }
    }

    /** Random sets (three value types), single deletes and whole-subtree deletes under {@link #P}, DURABLE. */
    private static void write(TreecastClient writer, Random random, int batches) {
        for (int i = 0; i < batches; i++) {
            int op = random.nextInt(25);
            String node = P + "/n" + random.nextInt(10);
            String leaf = node + "/leaf" + random.nextInt(40);
            if (op == 0) {
                writer.update(b -> b.delete(node), AckMode.DURABLE);
            } else if (op < 4) {
                writer.update(b -> b.delete(leaf), AckMode.DURABLE);
            } else {
                long v = random.nextLong();
                // never the same leaf twice in one batch: Mirror keeps the first of two same-seq changes (reported)
                String other = P + "/n" + random.nextInt(10) + "/other" + random.nextInt(40);
                writer.update(b -> b.set(leaf, v).set(other, "s" + v).set(P + "/flag", v % 2 == 0), AckMode.DURABLE);
            }
        }
    }

    private static void assertEqualToTheServer(List<Mirror> mirrors, TreecastClient writer) {
        await().atMost(WAIT).untilAsserted(() -> {
            var server = writer.get(P + "/**").toMap();
            for (Mirror m : mirrors) {
                assertThat(m.entries()).as("mirror of %s at seq %d", P + "/**", m.seq()).isEqualTo(server);
            }
        });
    }
}
