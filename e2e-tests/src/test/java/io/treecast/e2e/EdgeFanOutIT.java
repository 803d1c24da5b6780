package io.treecast.e2e;

import io.treecast.client.AckMode;
import io.treecast.client.ClientSubscription;
import io.treecast.client.Policy;
import io.treecast.client.SubscribeSpec;
import io.treecast.client.TreeEvent;
import io.treecast.client.TreeValue;
import io.treecast.client.TreecastClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 15's proof on real processes: a durable core, two edge nodes ({@code serve --upstream}) and two
 * {@code treecast state} instances, each its own JVM, on one Kafka. Subscribers on the edges see exactly the core's
 * sequence; a client moved from edge 1 to edge 2 resumes without gap or duplicate; killing an edge, killing a state
 * instance and restarting the core lose nothing acknowledged DURABLE, and the edges carry on under the core's seqs.
 */
@ExtendWith(ServerLogOnFailure.class)
class EdgeFanOutIT {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    private static ClientSubscription subscribe(TreecastClient client, SubscribeSpec spec, Recorder recorder) {
        return client.subscribe(spec.policy(Policy.STRICT), recorder, recorder::ended);
    }

    private static List<String> plus(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** GET {@code url}: status and body. */
    private static String get(String url) throws IOException, InterruptedException {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    private static List<String> updates(Recorder r, long after) {
        List<String> out = new ArrayList<>();
        for (TreeEvent e : r.updates()) {
            if (e.seq() > after) {
                out.add(e.seq() + " " + e.changes());
            }
        }
        return out;
    }

    private static Map<String, TreeValue> state(String url, String pattern) {
        try (TreecastClient c = TreecastClient.connect(url)) {
            return new TreeMap<>(c.get(pattern).toMap());
        }
    }

    /** {@code treecast state} as a separate process, output in target/e2e-logs/NAME.log. */
    private static Process stateInstance(String name, String bootstrap, Path stateDir, int queryPort) throws IOException {
        Path log = Path.of("target", "e2e-logs", name + ".log");
        Files.createDirectories(log.getParent());
        ProcessBuilder b = new ProcessBuilder(Path.of(System.getProperty("treecast.dist", "../distribution/target/treecast"))
                .resolve("bin/treecast").toAbsolutePath().toString(), "state", "--bootstrap-servers", bootstrap,
                "--state-dir", stateDir.toString(), "--report-seconds", "1", "--query-port", String.valueOf(queryPort))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        b.environment().put("TREECAST_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC");
        return b.start();
    }

    private static void stop(Process p) throws InterruptedException {
        if (p != null && p.isAlive()) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void edgesKeepTheCoresSequenceAndNothingDurableIsLostWhenAnEdgeAStateInstanceOrTheCoreGoes() throws Exception {
        Process state1 = null;
        Process state2 = null;
        int[] queryPorts = ServerProcess.freePorts(2);
        int query1 = queryPorts[0];
        int query2 = queryPorts[1];
        List<String> coreArgs = new ArrayList<>(List.of(
                // catch-ups from the two state instances (interactive queries), no Kafka Streams in the core's JVM;
                // a ring of 64 batches, so that a resume can be older than it
                "--set", "durability.state-instances=http://127.0.0.1:" + query1 + ",http://127.0.0.1:" + query2,
                "--set", "engine.replay-ring-capacity=64"));
        try (KafkaFixture kafka = KafkaFixture.start(dir.resolve("kafka"));
             ServerProcess core = ServerProcess.start("edge-core", plus(coreArgs, kafka.serverArgs()))) {
            await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> assertThat(core.bootstrapServers()).isNotEmpty());
            String bootstrap = core.bootstrapServers();
            List<String> edgeArgs = List.of("--upstream", core.tcpUrl(), "--set", "websocket.enabled=false");
            try (ServerProcess edge1 = ServerProcess.start("edge-1", edgeArgs);
                 ServerProcess edge2 = ServerProcess.start("edge-2", edgeArgs);
                 TreecastClient onCore = TreecastClient.connect(core.tcpUrl());
                 TreecastClient onEdge2 = TreecastClient.connect(edge2.tcpUrl())) {
                state1 = stateInstance("edge-state-1", bootstrap, dir.resolve("state-1"), query1);
                state2 = stateInstance("edge-state-2", bootstrap, dir.resolve("state-2"), query2);
                Map<String, Long> acked = new TreeMap<>();

                // 1. every edge subscriber sees the core's sequence, whichever node the writes were sent to
                Recorder viaCore = new Recorder();
                Recorder viaEdge1 = new Recorder();
                Recorder viaEdge2 = new Recorder();
                ClientSubscription coreSub = subscribe(onCore, SubscribeSpec.pattern("fan/**").snapshot(), viaCore);
                long last;
                try (TreecastClient onEdge1 = TreecastClient.connect(edge1.tcpUrl())) {
                    ClientSubscription edge1Sub = subscribe(onEdge1, SubscribeSpec.pattern("fan/**").snapshot(), viaEdge1);
                    subscribe(onEdge2, SubscribeSpec.pattern("fan/**").snapshot(), viaEdge2);
                    await().atMost(WAIT).untilAsserted(() -> { assertThat(viaCore.snapshotEnded()).as("viaCore.snapshotEnded()").isTrue(); assertThat(viaEdge1.snapshotEnded()).as("viaEdge1.snapshotEnded()").isTrue(); assertThat(viaEdge2.snapshotEnded()).as("viaEdge2.snapshotEnded()").isTrue(); });
                    long from = viaCore.lastSeq();
                    last = 0;
                    for (int i = 0; i < 60; i++) {
                        TreecastClient writer = i % 3 == 0 ? onCore : i % 3 == 1 ? onEdge1 : onEdge2;
                        String path = "fan/k" + (i % 9);
                        long value = i;
                        last = writer.update(b -> b.set(path, value), AckMode.DURABLE);
                        acked.put(path, value);
                    }
                    long end = last;
                    await().atMost(WAIT).untilAsserted(() -> { assertThat(viaCore.lastSeq()).isEqualTo(end); assertThat(viaEdge1.lastSeq()).isEqualTo(end); assertThat(viaEdge2.lastSeq()).isEqualTo(end); });
                    assertThat(updates(viaEdge1, from)).hasSize(60).isEqualTo(updates(viaCore, from));
                    assertThat(updates(viaEdge2, from)).isEqualTo(updates(viaCore, from));

                    // 2. the client moves from edge 1 to edge 2 and resumes from the last seq it saw there
                    edge1Sub.close();
                    long seen = viaEdge1.lastSeq();
                    for (int i = 60; i < 80; i++) {
                        String path = "fan/k" + (i % 9);
                        long value = i;
                        last = onCore.update(b -> b.set(path, value), AckMode.DURABLE);
                        acked.put(path, value);
                    }
                    Recorder moved = new Recorder();
                    subscribe(onEdge2, SubscribeSpec.pattern("fan/**").resumeAfter(seen), moved);
                    long end2 = last;
                    await().atMost(WAIT).untilAsserted(() -> { assertThat(moved.lastSeq()).isEqualTo(end2); assertThat(viaCore.lastSeq()).isEqualTo(end2); });
                    assertThat(moved.events()).extracting(TreeEvent::kind).containsOnly(TreeEvent.Kind.UPDATE);
                    List<String> joined = new ArrayList<>(updates(viaEdge1, from));
                    joined.addAll(updates(moved, seen));
                    assertThat(joined).isEqualTo(updates(viaCore, from)).hasSize(80);
                }

                // 2b. a resume older than the core's ring (64 batches) is caught up from the state instances by
                // interactive queries: each answers its own partitions, and only once it is complete up to the seq asked
                long caughtUp = last;
                // the state instances started with the edges may still be starting (JVM, Kafka Streams): their query
                // port refuses connections until then
                await().atMost(WAIT).ignoreExceptionsInstanceOf(java.net.ConnectException.class).untilAsserted(() -> {
                    assertThat(get("http://127.0.0.1:" + query1 + "/snapshot?pattern=fan/**&min_seq=" + caughtUp)).startsWith("200");
                    assertThat(get("http://127.0.0.1:" + query2 + "/snapshot?pattern=fan/**&min_seq=" + caughtUp)).startsWith("200");
                });
                // a store asked for a seq it has not reached refuses rather than answer from what it has
                assertThat(get("http://127.0.0.1:" + query1 + "/snapshot?pattern=fan/**&min_seq=" + (caughtUp + 1000)))
                        .startsWith("503 UNAVAILABLE: partitions ").contains("below the requested " + (caughtUp + 1000)
                                + ": the store is still catching up, ask again shortly");
                assertThat(get("http://127.0.0.1:" + query1 + "/snapshot?pattern=fan/%7Bx")).startsWith("400 INVALID_PATTERN: ");
                Recorder old = new Recorder();
                ClientSubscription oldSub = subscribe(onCore, SubscribeSpec.pattern("fan/**").resumeAfter(caughtUp - 70), old);
                await().atMost(WAIT).untilAsserted(() -> assertThat(old.lastSeq()).isGreaterThanOrEqualTo(caughtUp));
                assertThat(old.events().get(0).kind()).isEqualTo(TreeEvent.Kind.RESET);
                assertThat(old.state()).isEqualTo(state(core.tcpUrl(), "fan/**"));
                assertThat(get(core.metricsUrl() + "/metrics").lines()
                        .filter(l -> l.startsWith("treecast_engine_resumes_total{") && l.contains("source=\"store\"")))
                        .as("resumes served from the state instances").singleElement().asString().endsWith(" 1.0");
                oldSub.close();

                // 3. edge 1 is killed: edge 2 and its subscribers carry on; edge 1 comes back and syncs to the core
                edge1.kill9();
                for (int i = 80; i < 100; i++) {
                    String path = "fan/k" + (i % 9);
                    long value = i;
                    last = onEdge2.update(b -> b.set(path, value), AckMode.DURABLE);
                    acked.put(path, value);
                }
                edge1.restart();
                long afterEdgeKill = last;
                await().atMost(WAIT).untilAsserted(() -> assertThat(viaEdge2.lastSeq()).isEqualTo(afterEdgeKill));
                await().atMost(WAIT).untilAsserted(() -> assertThat(state(edge1.tcpUrl(), "fan/**")).isEqualTo(state(core.tcpUrl(), "fan/**")));

                // 4. a state instance is killed: writes go on, nothing acknowledged is lost
                state1.destroyForcibly();
                state1.waitFor(30, TimeUnit.SECONDS);
                for (int i = 100; i < 120; i++) {
                    String path = "fan/k" + (i % 9);
                    long value = i;
                    last = onEdge2.update(b -> b.set(path, value), AckMode.DURABLE);
                    acked.put(path, value);
                }
                long afterStateKill = last;
                await().atMost(WAIT).untilAsserted(() -> assertThat(viaEdge2.lastSeq()).isEqualTo(afterStateKill));
                assertThat(state2.isAlive()).isTrue();

                // 5. the core restarts: the edges resume from it by seq; their subscribers are not reset and go on
                // with the core's seqs; every DURABLE ack is there on the core and on both edges
                coreSub.close();
                core.stop();
                core.restart();
                long afterRestart;
                try (TreecastClient again = TreecastClient.connect(core.tcpUrl())) {
                    afterRestart = again.update(b -> b.set("fan/after", "restart"), AckMode.DURABLE);
                }
                await().atMost(WAIT).untilAsserted(() -> assertThat(viaEdge2.lastSeq()).isEqualTo(afterRestart));
                assertThat(viaEdge2.events()).extracting(TreeEvent::kind).doesNotContain(TreeEvent.Kind.RESET);
                Map<String, TreeValue> onCoreNow = state(core.tcpUrl(), "fan/**");
                acked.forEach((path, value) -> assertThat(onCoreNow.get(path).asLong()).as(path).isEqualTo(value));
                await().atMost(WAIT).untilAsserted(() -> {
                    assertThat(state(edge1.tcpUrl(), "fan/**")).as("edge1").isEqualTo(onCoreNow);
                    assertThat(state(edge2.tcpUrl(), "fan/**")).as("edge2").isEqualTo(onCoreNow);
                });
                assertThat(viaEdge2.state()).isEqualTo(onCoreNow);
                // writes through an edge work again, acknowledged by the restarted core
                assertThat(onEdge2.update(b -> b.set("fan/via-edge", 1L), AckMode.DURABLE)).isGreaterThan(afterRestart);
            }
        } finally {
            stop(state1);
            stop(state2);
        }
    }
}
