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
    void lsListsOneLevelSortedWithInnerNodesMarkedAndPagesOnWithLimitAndAfter() {
        String tcp = server.tcpUri();
        try (io.treecast.client.TreecastClient c = io.treecast.client.TreecastClient.connect(tcp)) {
            c.update(b -> b.set("ls/b/x", 1).set("ls/a", "leaf").set("ls/c/y/z", true).set("ls/d", 2.5));
            // more children than one request brings (1000): ls asks again until the end
            c.update(b -> {
                for (int i = 0; i <= 1000; i++) {
                    b.set(String.format("ls-wide/k%04d", i), i);
                }
            });
        }
        Run all = new Run("ls", "ls", "--url", server.webSocketUri());
        assertThat(all.exit).as(all.err()).isZero();
        assertThat(all.out()).matches("a\\nb/\\nc/\\nd\\n# 4 children at seq \\d+\\n");
        Run page = new Run("ls", "ls/", "--limit", "2", "--json", "--url", tcp);
        assertThat(page.out()).matches("\\{\"name\":\"a\",\"leaf\":true}\\n\\{\"name\":\"b\",\"leaf\":false}\\n"
                + "\\{\"kind\":\"END\",\"children\":2,\"seq\":\\d+,\"more\":true,\"after\":\"b\"}\\n");
        assertThat(new Run("ls", "ls", "--after", "b", "-q", "--url", tcp).out()).isEqualTo("c/\nd\n");
        Run human = new Run("ls", "ls", "--limit", "3", "--url", tcp);
        assertThat(human.out()).matches("a\\nb/\\nc/\\n# 3 children at seq \\d+, more after c \\(--after c\\)\\n");
        Run wide = new Run("ls", "ls-wide", "-q", "--url", tcp);
        assertThat(wide.out().lines()).hasSize(1001).startsWith("k0000").endsWith("k1000");
        Run wideJson = new Run("ls", "ls-wide", "--limit", "1001", "--after", "k0000", "--json", "--url", tcp);
        assertThat(wideJson.out().lines()).hasSize(1001).last().asString()
                .matches("\\{\"kind\":\"END\",\"children\":1000,\"seq\":\\d+,\"more\":false}");
        assertThat(new Run("ls", "--url", tcp).out()).contains("ls/\n", "ls-wide/\n");
    }

    @Test
    void lsOfABadPathOrWithABadLimitIsOneErrorLineWithItsExitCode() {
        Run bad = new Run("ls", "ls//x", "--url", server.tcpUri());
        assertThat(bad.exit).isEqualTo(ExitCodes.REFUSED);
        assertThat(bad.err()).isEqualTo("error: INVALID_PATH: path 'ls//x' has an empty segment 2 (a double '/'): remove the extra slash\n");
        assertThat(bad.out()).isEmpty();
        Run json = new Run("ls", "a/*", "--json", "--url", server.tcpUri());
        assertThat(json.exit).isEqualTo(ExitCodes.REFUSED);
        assertThat(json.err()).startsWith("{\"error\":\"INVALID_PATH\",\"message\":\"path 'a/*' ").endsWith(",\"exit\":1}\n");
        Run zero = new Run("ls", "a", "--limit", "0", "--url", "tcp://127.0.0.1:1");
        assertThat(zero.exit).isEqualTo(ExitCodes.USAGE);
        assertThat(zero.err()).isEqualTo("error: USAGE: --limit 0 must be at least 1: leave it out to list every child\n");
        // the server carries on
        assertThat(new Run("ls", "--url", server.tcpUri()).exit).isZero();
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
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(out.toString(StandardCharsets.UTF_8)).contains("# snapshot end at seq"));
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
        Run r = new Run("get", "a/{x", "--url", server.tcpUri());
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

    @Test
    void countOfZeroOrLessIsRefusedBeforeConnecting() {
        for (String n : new String[]{"0", "-1"}) {
            Run r = new Run("sub", "a/**", "--count", n, "--url", "tcp://127.0.0.1:1");
            assertThat(r.exit).as(n).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err()).isEqualTo("error: USAGE: --count " + n + " must be at least 1: leave it out to print until Ctrl-C\n");
        }
        Run timeout = new Run("get", "**", "--timeout", "0", "--url", server.tcpUri());
        assertThat(timeout.exit).isEqualTo(ExitCodes.USAGE);
        assertThat(timeout.err()).isEqualTo("error: USAGE: --timeout 0.0 must be more than 0 and at most 86400 seconds\n");
    }

    @Test
    void underJsonAnErrorIsOneJsonObjectWithCodeMessageAndExit() {
        Run refused = new Run("set", "bad//path", "1", "--url", server.tcpUri(), "--json");
        assertThat(refused.exit).isEqualTo(ExitCodes.REFUSED);
        assertThat(refused.err()).startsWith("{\"error\":\"INVALID_PATH\",\"message\":\"path 'bad//path' has an empty segment")
                .endsWith(",\"exit\":1}\n");
        Run usage = new Run("sub", "a/**", "--count", "0", "--json", "--url", server.tcpUri());
        assertThat(usage.err()).isEqualTo("{\"error\":\"USAGE\",\"message\":\"--count 0 must be at least 1: leave it out to print "
                + "until Ctrl-C\",\"exit\":2}\n");
        Run unknownFlag = new Run("get", "**", "--nope", "--json");
        assertThat(unknownFlag.err()).isEqualTo("{\"error\":\"USAGE\",\"message\":\"Unknown option: '--nope'\",\"exit\":2}\n");
        // the server carries on
        assertThat(new Run("set", "after/json-errors", "1", "--url", server.tcpUri()).exit).isZero();
    }

    @Test
    void anEmptyGetUnderJsonStillSaysAtWhichSeqItIsExact() {
        long seq = Long.parseLong(new Run("set", "empty-get/x", "1", "--url", server.tcpUri(), "--json").out().replaceAll("\\D", ""));
        Run get = new Run("get", "nothing-here/**", "--url", server.tcpUri(), "--json");
        assertThat(get.exit).isZero();
        assertThat(get.out()).matches("\\{\"kind\":\"END\",\"leaves\":0,\"seq\":\\d+}\\n");
        assertThat(Long.parseLong(get.out().replaceAll(".*\"seq\":(\\d+).*\\n", "$1"))).isGreaterThanOrEqualTo(seq);
        Run one = new Run("get", "empty-get/*", "--url", server.tcpUri(), "--json");
        assertThat(one.out().lines()).hasSize(2).last().asString().startsWith("{\"kind\":\"END\",\"leaves\":1,\"seq\":");
    }

    @Test
    void quietPrintsOnlyTheData() {
        Run set = new Run("set", "quiet/x", "1", "--url", server.tcpUri(), "-q");
        assertThat(set.exit).isZero();
        assertThat(set.out()).isEmpty();
        assertThat(new Run("get", "quiet/*", "--url", server.tcpUri(), "--quiet").out()).isEqualTo("quiet/x = 1\n");
        assertThat(new Run("delete", "quiet", "--url", server.tcpUri(), "--quiet").out()).isEmpty();
    }

    @Test
    void aPortThatAcceptsButNeverAnswersIsAConnectionErrorAfterTheTimeout() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String url = "tcp://127.0.0.1:" + silent.getLocalPort();
            Run r = new Run("get", "**", "--url", url, "--timeout", "1");
            assertThat(r.exit).isEqualTo(ExitCodes.CONNECTION);
            assertThat(r.err()).isEqualTo("error: CONNECTION: no answer from " + url + " within 1 s: is it a Treecast server's "
                    + "RSocket port (tcp://host:7070, or ws://host:7071/rsocket for WebSocket)? A slow server needs a longer --timeout\n");
        }
    }

    @Test
    void aMistypedCommandGetsADidYouMean() {
        Run r = new Run("sett", "a", "1");
        assertThat(r.exit).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("error: USAGE: Unmatched arguments from index 0: 'sett'")
                .contains("did you mean: treecast set?\n").endsWith("try: treecast --help\n");
    }

    @Test
    void completionPrintsAScriptForBashAndZshAndRefusesOtherShells() {
        Run bash = new Run("completion", "bash");
        assertThat(bash.exit).isZero();
        assertThat(bash.out()).contains("complete -F _complete_treecast").contains("--reconnect").contains("serve").contains("delete")
                .contains("_picocli_treecast_ls()").contains("--after");
        Run zsh = new Run("completion", "zsh");
        assertThat(zsh.out()).startsWith("autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n");
        Run fish = new Run("completion", "fish");
        assertThat(fish.exit).isEqualTo(ExitCodes.USAGE);
        assertThat(fish.err()).isEqualTo("error: USAGE: shell fish is not supported: use bash or zsh\n");
    }

    @Test
    void unauthorizedNamesTheTokenFlagAndItsVariable() {
        TreecastServer guarded = TreecastServer.start(ServerConfig.builder().set("tcp.host", "127.0.0.1").set("tcp.port", "0")
                .set("websocket.port", "0").set("durability.mode", "off").set("auth.tokens", "s3cret").build(), null);
        try {
            Run r = new Run("get", "**", "--url", guarded.tcpUri());
            assertThat(r.exit).isEqualTo(ExitCodes.REFUSED);
            assertThat(r.err()).startsWith("error: UNAUTHORIZED: this server requires a token")
                    .endsWith(": give the token with --token or the environment variable TREECAST_TOKEN\n");
            assertThat(new Run("get", "**", "--url", guarded.tcpUri(), "--token", "s3cret").exit).isZero();
        } finally {
            guarded.close();
        }
    }

    @Test
    void serveOnAPortInUseSaysSoInOneLineWithItsExitCode() {
        String port = server.tcpUri().replaceAll(".*:(\\d+)$", "$1");
        Run r = new Run("serve", "--in-memory", "--host", "127.0.0.1", "--tcp-port", port, "--ws-port", "0",
                "--set", "metrics.enabled=false");
        assertThat(r.exit).isEqualTo(ExitCodes.ADDRESS_IN_USE);
        assertThat(r.err()).isEqualTo("error: ADDRESS_IN_USE: Failed to bind on [127.0.0.1:" + port + "]: the address is in use "
                + "or not this machine's; another process (perhaps another treecast serve) has the port; stop it, or choose "
                + "other ports with --tcp-port / --ws-port (tcp.port, websocket.port; 0 = any free port)\n");
        assertThat(new Run("get", "**", "--url", server.tcpUri()).exit).as("the server on that port carries on").isZero();
    }

    @Test
    void verboseAddsTheStackTraceToAnErrorAndTheDefaultDoesNot() {
        Run plain = new Run("get", "**", "--url", "tcp://127.0.0.1:1");
        assertThat(plain.err().lines()).hasSize(1);
        Run verbose = new Run("get", "**", "--url", "tcp://127.0.0.1:1", "-v");
        assertThat(verbose.exit).isEqualTo(ExitCodes.CONNECTION);
        assertThat(verbose.err()).startsWith("error: CONNECTION: ").contains("TreecastClientException").contains("\tat ");
    }

    @Test
    void aWebSocketUrlWithTheWrongPathSaysWhatTheEndpointIs() {
        String url = server.webSocketUri().replace("/rsocket", "/nope");
        Run r = new Run("get", "**", "--url", url);
        assertThat(r.exit).isEqualTo(ExitCodes.CONNECTION);
        assertThat(r.err()).startsWith("error: CONNECTION: ").contains("404")
                .endsWith(": is " + url + " a Treecast server's WebSocket endpoint (ws://host:7071/rsocket)?\n");
        assertThat(r.err().lines()).hasSize(1);
    }
}
