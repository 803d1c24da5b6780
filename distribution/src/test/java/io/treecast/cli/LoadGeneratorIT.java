package io.treecast.cli;

import io.treecast.bench.load.LoadGenerator;
import io.treecast.bench.load.LoadOptions;
import io.treecast.bench.load.RunResult;
import io.treecast.bench.load.ServerProcess;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Short load runs: nothing lost and the counts add up (no latency assertions: the machine is shared). */
class LoadGeneratorIT {

    @Test
    void shortTcpRunAgainstAnInProcessServerLosesNothing() {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0")
                .set("durability.mode", "off").build(), null);
        try {
            List<String> progress = new ArrayList<>();
            RunResult r = new LoadGenerator(new LoadOptions().url(server.tcpUri()).rate(5_000).durationSeconds(2)
                    .warmupSeconds(0).leaves(5_000).subscribers(4).drainTimeoutSeconds(20), progress::add).run();
            assertThat(r.published()).isEqualTo(10_000);
            assertThat(r.expected()).isGreaterThanOrEqualTo(10_000);
            assertThat(r.delivered()).isEqualTo(r.expected());
            assertThat(r.lost()).isZero();
            assertThat(r.clean()).as(r.toText()).isTrue();
            assertThat(progress).contains("preloaded 5000 leaves").anyMatch(l -> l.startsWith("[tcp ") && l.contains(" 1s] published="));
        } finally {
            server.close();
        }
    }

    @Test
    void batchedPublishesCountEveryLeafUpdateAndTheFloorAgrees() {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0")
                .set("durability.mode", "off").build(), null);
        try {
            // 7 does not divide 3,000: the last batch is a short one
            LoadOptions o = new LoadOptions().url(server.tcpUri()).rate(3_000).batch(7).durationSeconds(1)
                    .warmupSeconds(0).leaves(2_000).subscribers(3).drainTimeoutSeconds(20);
            RunResult broker = new LoadGenerator(o, s -> { }).run();
            RunResult floor = new LoadGenerator(o.copy().floor(true).url(null), s -> { }).run();
            for (RunResult r : List.of(broker, floor)) {
                assertThat(r.published()).as(r.toText()).isEqualTo(3_000);
                assertThat(r.delivered()).as(r.toText()).isEqualTo(r.expected());
                assertThat(r.clean()).as(r.toText()).isTrue();
            }
            assertThat(floor.expected()).isEqualTo(broker.expected()); // same seeds, same leaves
        } finally {
            server.close();
        }
    }

    @Test
    void embeddedServerInAChildJvmOverWebSocketLosesNothingAndIsStoppedAfterwards() throws Exception {
        ServerProcess p = ServerProcess.start(List.of("-Xmx256m"), TreecastCli.class.getName(),
                List.of("serve", "--in-memory", "--tcp-port", "0", "--ws-port", "0"));
        try {
            assertThat(p.wsUrl()).startsWith("ws://").endsWith("/rsocket");
            RunResult r = new LoadGenerator(new LoadOptions().url(p.wsUrl()).transport("ws").rate(2_000).durationSeconds(1)
                    .warmupSeconds(0).leaves(1_000).patterns(List.of("**", "markets/eu/**", "markets/*/fx/*/bid"))
                    .drainTimeoutSeconds(20), s -> { }).run();
            assertThat(r.mode()).isEqualTo("ws");
            assertThat(r.published()).isEqualTo(2_000);
            assertThat(r.delivered()).isEqualTo(r.expected());
            assertThat(r.clean()).as(r.toText()).isTrue();
        } finally {
            p.close();
        }
        assertThat(ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    @Test
    void publishesTheServerRefusesOverItsRateLimitAreReportedBesideTheLoss() throws Exception {
        ServerProcess p = ServerProcess.start(List.of("-Xmx256m"), TreecastCli.class.getName(),
                List.of("serve", "--in-memory", "--tcp-port", "0", "--ws-port", "0", "--set", "metrics.port=0",
                        "--set", "limits.max-updates-per-second-per-connection=1500"));
        try {
            assertThat(p.metricsUrl()).startsWith("http://127.0.0.1:");
            LoadOptions o = new LoadOptions().url(p.tcpUrl()).metricsUrl(p.metricsUrl()).warmupSeconds(0).leaves(1_000)
                    .subscribers(2).drainTimeoutSeconds(5);
            RunResult within = new LoadGenerator(o.copy().rate(1_000).durationSeconds(1), s -> { }).run();
            assertThat(within.refusedByServer()).as(within.toText()).isZero();
            assertThat(within.clean()).as(within.toText()).isTrue();

            // 3,000 publishes a second on one connection against 1,500 allowed: about half are dropped by the server
            RunResult over = new LoadGenerator(o.copy().rate(3_000).durationSeconds(2), s -> { }).run();
            assertThat(over.refusedByServer()).as(over.toText()).isBetween(1_000L, 5_000L);
            assertThat(over.lost()).as(over.toText()).isPositive();
            assertThat(over.toJson()).contains("\"refusedByServer\":" + over.refusedByServer());
        } finally {
            p.close();
        }
    }
}
