package io.treecast.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The CLI as a user types it, against the packaged server running as its own process. */
@ExtendWith(ServerLogOnFailure.class)
class CliAgainstServerProcessIT {
    private static ServerProcess server;

    @BeforeAll
    static void startServer() throws Exception {
        server = ServerProcess.start("cli-in-memory", "--in-memory");
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void serverPrintsTheAddressesItListensOn() throws Exception {
        assertThat(server.logText()).contains("listening on " + server.tcpUrl()).contains(server.wsUrl());
    }

    @Test
    void setThenGetShowsTheTypedValueAtItsSeq() throws Exception {
        Cli.Result set = Cli.run("set", "cli/fx/EURUSD/bid", "1.0842", "--url", server.tcpUrl());
        assertThat(set.exitCode()).as(set.err()).isZero();
        assertThat(set.out()).startsWith("ok seq=");
        long seq = Long.parseLong(set.out().trim().substring("ok seq=".length()));

        Cli.Result get = Cli.run("get", "cli/**", "--url", server.tcpUrl(), "--json");
        assertThat(get.exitCode()).as(get.err()).isZero();
        assertThat(get.out()).contains("\"path\":\"cli/fx/EURUSD/bid\"").contains("1.0842").contains("\"seq\":" + seq);
    }

    @Test
    void subWithSnapshotReceivesTheCurrentLeafThenALiveChangeOverWebSocket() throws Exception {
        assertThat(Cli.run("set", "live/a", "first", "--url", server.tcpUrl()).exitCode()).isZero();
        CompletableFuture<Cli.Result> sub = CompletableFuture.supplyAsync(() -> {
            try {
                // at most two snapshot leaves (live/a, live/b), so the third leaf line is a live change
                return Cli.run("sub", "live/*", "--snapshot", "--count", "3", "--url", server.wsUrl());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // keep publishing until the subscriber has seen its two lines: it may connect after the first live set
        int i = 0;
        while (!sub.isDone() && i < 600) {
            Cli.run("set", "live/b", "second-" + i++, "--url", server.tcpUrl());
        }
        Cli.Result result = sub.get(60, TimeUnit.SECONDS);
        assertThat(result.exitCode()).as(result.err()).isZero();
        String out = result.out();
        assertThat(out).contains("live/a = first").contains("# snapshot end at seq");
        assertThat(out.substring(out.indexOf("# snapshot end at seq"))).contains("live/b = second-");
    }

    @Test
    void badPathIsRefusedWithItsCodeAndTheServerCarriesOn() throws Exception {
        Cli.Result bad = Cli.run("set", "a//b", "1", "--url", server.tcpUrl());
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.err()).startsWith("error: INVALID_PATH: ").contains("a//b");

        Cli.Result good = Cli.run("set", "after/bad", "2", "--url", server.tcpUrl());
        assertThat(good.exitCode()).as(good.err()).isZero();
    }

    @Test
    void durableAckIsRefusedAsUnavailableWhenTheServerRunsInMemory() throws Exception {
        Cli.Result result = Cli.run("set", "d/x", "1", "--durable", "--url", server.tcpUrl());
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("error: UNAVAILABLE: ");
    }

    @Test
    void getPrintsOneLinePerLeafAndTheSeqTheAnswerIsExactAt() throws Exception {
        Cli.run("set", "tour/a/x", "1.5", "--url", server.tcpUrl());
        Cli.run("set", "tour/a/y/z", "true", "--url", server.tcpUrl());
        Cli.Result last = Cli.run("set", "tour/b", "hello", "--url", server.tcpUrl());
        long seq = Long.parseLong(last.out().trim().substring("ok seq=".length()));

        Cli.Result get = Cli.run("get", "tour/**", "--url", server.tcpUrl());
        assertThat(get.exitCode()).as(get.err()).isZero();
        assertThat(get.out().lines()).containsExactly("tour/a/x = 1.5", "tour/a/y/z = true", "tour/b = hello",
                "# 3 leaves at seq " + seq);
    }

    @Test
    void deleteOfAnInnerNodeRemovesItsWholeSubtree() throws Exception {
        Cli.run("set", "del/a/x", "1", "--url", server.tcpUrl());
        Cli.run("set", "del/a/y/z", "2", "--url", server.tcpUrl());
        Cli.run("set", "del/b", "3", "--url", server.tcpUrl());

        Cli.Result delete = Cli.run("delete", "del/a", "--url", server.wsUrl());
        assertThat(delete.exitCode()).as(delete.err()).isZero();
        assertThat(delete.out()).startsWith("ok seq=");

        Cli.Result get = Cli.run("get", "del/**", "--url", server.tcpUrl(), "--json");
        assertThat(get.out()).contains("\"path\":\"del/b\"").doesNotContain("del/a/");
    }

    @Test
    void subWithJsonPrintsOneObjectPerLeafAndTheSnapshotEnd() throws Exception {
        Cli.run("set", "json/a", "1", "--url", server.tcpUrl());
        Cli.run("set", "json/b", "two", "--url", server.tcpUrl());

        Cli.Result sub = Cli.run("sub", "json/*", "--snapshot", "--json", "--count", "2", "--url", server.tcpUrl());
        assertThat(sub.exitCode()).as(sub.err()).isZero();
        assertThat(sub.out().lines()).hasSize(2).allSatisfy(line -> assertThat(line).startsWith("{\"kind\":\"SNAPSHOT\""));
        assertThat(sub.out()).contains("\"path\":\"json/a\"", "\"value\":1", "\"path\":\"json/b\"", "\"value\":\"two\"");
    }

    @Test
    void benchAgainstTheRunningServerReportsLatencyPercentilesAndLosesNothing() throws Exception {
        Cli.Result bench = Cli.run("bench", "--url", server.tcpUrl(), "--metrics-url", server.metricsUrl(), "--rate", "500",
                "--duration", "2", "--warmup", "1", "--subscribers", "2", "--leaves", "100");
        assertThat(bench.exitCode()).as(bench.out() + bench.err()).isZero();
        assertThat(bench.err()).contains("preloaded 100 leaves").contains("[tcp   2s]");
        assertThat(bench.out()).startsWith("tcp   rate=500/s secs=2 published=")
                .contains(" lost=0 ", " slow-consumer=0 ", " | refused by the server: 0 publishes")
                .containsPattern("p50=[0-9.]+us p90=[0-9.]+us p99=[0-9.]+us p99.9=[0-9.]+us max=[0-9.]+us");
    }

    @Test
    void serveWithABadValueStopsWithExitCode4AndNamesTheKey() throws Exception {
        Cli.Result serve = Cli.run("serve", "--in-memory", "--set", "tcp.port=99999");
        assertThat(serve.exitCode()).isEqualTo(4);
        assertThat(serve.err()).startsWith("error: INVALID_CONFIG: tcp.port = \"99999\"").contains("0..65535");
    }

    @Test
    void subEndsWithOneLineWhenTheServerShutsDownAndTheOtherClientsCarryOn() throws Exception {
        try (ServerProcess doomed = ServerProcess.start("cli-shutdown", "--in-memory");
             CliProcess sub = CliProcess.start("sub", "bye/*", "--url", doomed.tcpUrl())) {
            // keep setting until the subscriber has printed a change: it may subscribe after the first set
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                Cli.run("set", "bye/x", "1", "--url", doomed.tcpUrl());
                assertThat(sub.out()).as(sub.toString()).isNotEmpty();
            });
            doomed.close(); // SIGTERM: a graceful shutdown ends every stream with SHUTTING_DOWN
            assertThat(sub.awaitExit(60)).as(sub.toString()).isEqualTo(3);
            assertThat(sub.err()).as(sub.toString()).hasSize(1).first().asString()
                    .matches("error: (SHUTTING_DOWN|CONNECTION): .+");
        }
        Cli.Result other = Cli.run("set", "after/shutdown", "1", "--url", server.tcpUrl());
        assertThat(other.exitCode()).as(other.err()).isZero();
    }

    @Test
    void serveOnATakenPortExitsWith7AndOneLineNamingTheFlags() throws Exception {
        String port = server.tcpUrl().replaceAll(".*:(\\d+)$", "$1");
        Cli.Result serve = Cli.run("serve", "--in-memory", "--host", "127.0.0.1", "--tcp-port", port, "--ws-port", "0",
                "--set", "metrics.enabled=false");
        assertThat(serve.exitCode()).isEqualTo(7);
        assertThat(serve.err().lines()).as(serve.err()).hasSize(1).first().asString()
                .startsWith("error: ADDRESS_IN_USE: Failed to bind on [127.0.0.1:" + port + "]").contains("--tcp-port");
        Cli.Result get = Cli.run("get", "**", "--url", server.tcpUrl());
        assertThat(get.exitCode()).as("the server on that port carries on: " + get.err()).isZero();
    }
}
