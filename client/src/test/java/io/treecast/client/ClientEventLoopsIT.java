package io.treecast.client;

import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Every Treecast client connection of a JVM runs on the clients' own event loops ({@link
 * ClientOptions#EVENT_LOOPS_PROPERTY}, one by default), not on reactor-netty's shared ones.
 */
@ExtendWith(NoLeaks.class)
class ClientEventLoopsIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TreecastServer server;

    @BeforeAll
    static void start() {
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0").build(), null);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void everyConnectionTcpAndWebSocketReadsOnTheOneDefaultClientLoop() throws Exception {
        java.util.Map<Integer, String> readerOf = new ConcurrentHashMap<>();
        try (TreecastClient a = TreecastClient.connect(server.tcpUri());
             TreecastClient b = TreecastClient.connect(server.tcpUri());
             TreecastClient ws = TreecastClient.connect(server.webSocketUri())) {
            List<TreecastClient> clients = List.of(a, b, ws);
            for (int i = 0; i < clients.size(); i++) {
                int index = i;
                clients.get(i).subscribe("loops/**", e -> {
                    if (e.kind() == TreeEvent.Kind.UPDATE) {
                        readerOf.putIfAbsent(index, Thread.currentThread().getName());
                    }
                });
            }
            // a subscription is live once a publish made after it arrives: publish until all three saw one
            await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
                a.publish(x -> x.set("loops/x", 1L));
                assertThat(readerOf).as("all three got an update").hasSize(3);
            });
        }
        assertThat(Set.copyOf(readerOf.values())).as("one thread read all three connections' events").hasSize(1);
        assertThat(readerOf.get(0)).startsWith("treecast-client-");
    }

    @Test
    void afterTheLoopsAreStoppedAClientReconnectsOnNewOnes() {
        try (TreecastClient before = TreecastClient.connect(server.tcpUri())) {
            before.set("loops/stop", 1L);
            TreecastClient.stopEventLoops(WAIT);
            // the open connection closed with its loop; the next call connects again, on a new loop
            long seq = 0;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (seq == 0 && System.nanoTime() < deadline) {
                try {
                    seq = before.set("loops/stop", 2L);
                } catch (TreecastClientException e) {
                    assertThat(e.code()).as("only the lost connection may fail a call").isEqualTo(TreecastClientException.Code.CONNECTION);
                }
            }
            assertThat(seq).isPositive();
            try (TreecastClient after = TreecastClient.connect(server.tcpUri())) {
                assertThat(after.get("loops/stop").toMap().get("loops/stop").asLong()).isEqualTo(2L);
            }
        }
    }

    @Test
    void anEventLoopCountOutOfRangeOrNotANumberIsRefusedAtConnectNamingTheProperty() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout(200);
            String target = "tcp://127.0.0.1:" + listener.getLocalPort();
            try {
                for (String bad : List.of("0", "257", "two")) {
                    System.setProperty(ClientOptions.EVENT_LOOPS_PROPERTY, bad);
                    assertThatThrownBy(() -> TreecastClient.connect(target).close())
                            .hasMessageContaining("treecast.client.event-loops = " + bad
                                    + ": must be 1..256 (event loop threads for this JVM's Treecast clients)");
                }
            } finally {
                System.clearProperty(ClientOptions.EVENT_LOOPS_PROPERTY);
            }
            assertThatThrownBy(listener::accept).as("checked before a socket is opened")
                    .isInstanceOf(java.net.SocketTimeoutException.class);
        }
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            assertThat(client.get("loops/none").toMap()).as("the next connect, without it, works").isEmpty();
        }
    }
}
