package io.treecast.cli;

import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The client commands against a real server on free loopback ports, over TCP and WebSocket. */
class CliIT {
    private static TreecastServer server;

    @BeforeAll
    static void start() {
        server = TreecastServer.start(ServerConfig.builder().set("tcp.host", "127.0.0.1").set("tcp.port", "0")
                .set("websocket.port", "0").set("durability.mode", "off").build(), null);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static final class Run {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;

        Run(String... args) {
            exit = TreecastCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        }

        String out() { return out.toString(StandardCharsets.UTF_8); }
        String err() { return err.toString(StandardCharsets.UTF_8); }
    }

    @Test
    void setThenGetRoundTripsTypedValuesOverTcpAndWebSocket() {
        String tcp = server.tcpUri();
        String ws = server.webSocketUri();
        assertThat(new Run("set", "rt/eu/bid", "1.25", "--url", tcp).out()).matches("ok seq=\\d+\\n");
        assertThat(new Run("set", "rt/eu/name", "EURUSD", "--url", ws).exit).isZero();
        assertThat(new Run("set", "rt/eu/qty", "7", "--url", tcp, "--json").out()).matches("\\{\"seq\":\\d+}\\n");
        Run get = new Run("get", "rt/**", "--url", ws);
        assertThat(get.exit).isZero();
        assertThat(get.out()).contains("rt/eu/bid = 1.25\n", "rt/eu/name = EURUSD\n", "rt/eu/qty = 7\n").contains("# 3 leaves at seq ");
        Run json = new Run("get", "rt/eu/{qty,bid}", "--url", tcp, "--json");
        assertThat(json.out()).contains("{\"path\":\"rt/eu/qty\",\"value\":7,\"type\":\"int\",\"seq\":")
                .contains("{\"path\":\"rt/eu/bid\",\"value\":1.25,\"type\":\"double\",\"seq\":");
        assertThat(new Run("delete", "rt/eu", "--url", tcp).exit).isZero();
        assertThat(new Run("get", "rt/**", "--url", tcp).out()).startsWith("# 0 leaves at seq ");
    }

    @Test
    void subPrintsTheSnapshotThenLiveChangesAndStopsAfterCount() {
        String tcp = server.tcpUri();
        new Run("set", "sub/a", "first", "--url", tcp);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        CompletableFuture<Integer> sub = CompletableFuture.supplyAsync(() -> TreecastCli.run(
                new String[]{"sub", "sub/**", "--snapshot", "--strict", "--count", "3", "--url", tcp}, ps, ps));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> out.toString(StandardCharsets.UTF_8).contains("# snapshot end at seq"));
            new Run("set", "sub/b", "2", "--url", tcp);
            new Run("delete", "sub/a", "--url", tcp);
            assertThat(sub.orTimeout(20, java.util.concurrent.TimeUnit.SECONDS).join()).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8))
                    .containsPattern("\\[\\d+] sub/a = first\\n# snapshot end at seq \\d+\\n\\[\\d+] sub/b = 2\\n\\[\\d+] sub/a deleted\\n");
        } finally {
            sub.cancel(true);
        }
    }

    @Test
    void badPathIsReportedWithItsCodeAndANonZeroExit() {
        Run r = new Run("set", "bad//path", "1", "--url", server.tcpUri());
        assertThat(r.exit).isEqualTo(ExitCodes.REFUSED);
        assertThat(r.err()).startsWith("error: INVALID_PATH: ").contains("'bad//path'").contains("remove the extra slash");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void badPatternIsReportedWithItsCode() {
        Run r = new Run("get", "a/{x", "--url", server.tcpUri(), "--json");
        assertThat(r.exit).isEqualTo(ExitCodes.REFUSED);
        assertThat(r.err()).startsWith("error: INVALID_PATTERN: ");
    }

    @Test
    void durableAckIsRefusedAsUnavailableWhileRunningInMemory() {
        Run r = new Run("set", "d/x", "1", "--durable", "--url", server.tcpUri());
        assertThat(r.exit).isEqualTo(ExitCodes.REFUSED);
        assertThat(r.err()).startsWith("error: UNAVAILABLE: ");
    }

    @Test
    void unreachableServerIsAConnectionErrorWithItsOwnExitCode() {
        Run r = new Run("get", "**", "--url", "tcp://127.0.0.1:1");
        assertThat(r.exit).isEqualTo(ExitCodes.CONNECTION);
        assertThat(r.err()).startsWith("error: CONNECTION: ");
    }
}
