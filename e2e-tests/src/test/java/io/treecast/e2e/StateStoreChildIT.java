package io.treecast.e2e;

import io.treecast.client.ClientSubscription;
import io.treecast.client.SubscribeSpec;
import io.treecast.client.TreeEvent;
import io.treecast.client.TreecastClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Kafka Streams state store runs in a child JVM of {@code treecast serve} by default
 * ({@code durability.state-store-process=child}), and its life follows the server's: it serves the catch-ups of
 * resumes older than the replay ring, it is restarted (one log line) when it dies while the server runs, and it halts
 * when the server is killed with SIGKILL (no orphan). One server for the whole story; that a graceful stop of the
 * server stops its child is checked by {@code GuaranteesIT}'s restart.
 */
@ExtendWith(ServerLogOnFailure.class)
class StateStoreChildIT {
    /** Small, so that a resume point falls out of the replay ring after a few hundred batches. */
    private static final int REPLAY_RING = 256;
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Duration STORE_WAIT = Duration.ofSeconds(180);
    private static final Pattern SERVING = Pattern.compile("state store child (?:restarted: )?serving queries on (http://\\S+?:\\d+)");
    private static final Pattern STORE_RESUMES = Pattern.compile("treecast_engine_resumes_total\\{[^}]*source=\"store\"[^}]*} ([0-9.]+)");
    private final HttpClient http = HttpClient.newHttpClient();
    /** Where this run's lines start in the server's log file. */
    private int logFrom;

    @TempDir
    Path dataDir;

    @Test
    void theStateStoreChildServesOldResumesIsRestartedWhenItDiesAndHaltsWhenTheServerIsKilled() throws Exception {
        try (KafkaFixture kafka = KafkaFixture.start(dataDir)) {
            List<String> args = new ArrayList<>(kafka.serverArgs());
            args.addAll(List.of("--set", "engine.replay-ring-capacity=" + REPLAY_RING));
            // the server's log file is appended to across runs: only this run's lines count
            Path log = Path.of("target", "e2e-logs", "state-store-child.log");
            logFrom = Files.exists(log) ? Files.readString(log).length() : 0;
            try (ServerProcess server = ServerProcess.start("state-store-child", args);
                 TreecastClient client = TreecastClient.connect(server.tcpUrl())) {
                await().atMost(WAIT).until(() -> SERVING.matcher(logOf(server)).find());
                ProcessHandle child = stateChild(server).orElseThrow();
                assertThat(server.pid()).as("no Kafka Streams in the server's JVM").isNotEqualTo(child.pid());

                // a resume older than the ring is caught up from the child's store
                resumeOlderThanTheRingIsCaughtUpFromTheStore(server, client, "first", 1);

                // the child dies (SIGKILL): the server says so, starts a new one, and it serves again
                child.destroyForcibly();
                child.onExit().join();
                await().atMost(WAIT).until(() -> logOf(server).contains("state store child (pid " + child.pid()
                        + ") exited with code 137 (killed by signal 9, SIGKILL)"));
                await().atMost(WAIT).until(() -> logOf(server).contains("state store child restarted: serving queries on"));
                await().atMost(WAIT).untilAsserted(() -> assertThat(get(URI.create(server.metricsUrl() + "/metrics")).body())
                        .contains("treecast_state_store_child_restarts_total 1.0")
                        .contains("treecast_state_store_child_serving 1.0"));
                ProcessHandle second = stateChild(server).orElseThrow();
                assertThat(second.pid()).isNotEqualTo(child.pid());
                resumeOlderThanTheRingIsCaughtUpFromTheStore(server, client, "after-restart", 2);

                // the server dies (SIGKILL, no shutdown hook): its children notice and halt by themselves
                List<ProcessHandle> children = server.descendants();
                assertThat(children).contains(second);
                server.kill9();
                await().atMost(Duration.ofSeconds(30)).until(() -> children.stream().noneMatch(ProcessHandle::isAlive));
                assertThat(Files.readString(dataDir.resolve("state-store.log")))
                        .contains("parent process is gone (stdin closed), halting the state store");
            }
        }
    }

    /**
     * Writes past the replay ring, waits until the child's store is complete up to the last seq (its own query
     * endpoint answers for it), then resumes from before the ring: RESET, the exact state, and the engine counts the
     * catch-up as served by the store ({@code treecast_engine_resumes_total{source="store"}}).
     */
    private void resumeOlderThanTheRingIsCaughtUpFromTheStore(ServerProcess server, TreecastClient client, String name,
                                                              int storeResumes) throws Exception {
        String p = "child-" + name;
        long old = client.set(p + "/first", 1L);
        client.set(p + "/gone", 1L);
        client.delete(p + "/gone");
        for (int i = 0; i < REPLAY_RING + 100; i++) {
            int n = i;
            client.publish(b -> b.set("elsewhere/" + name + "/" + (n % 50), n));
        }
        long last = client.set(p + "/second", 2L);
        URI queries = lastQueryUri(server);
        // the child runs durability.nice steps below everything else: on a busy machine its catching up takes a while
        await().atMost(STORE_WAIT).ignoreExceptions().untilAsserted(() -> {
            HttpResponse<String> r = get(queries.resolve("/snapshot?pattern=x&min_seq=" + last));
            assertThat(r.statusCode()).as(() -> "the child's store complete up to seq " + last + ": " + r.body()
                    + "\nstate-store.log ends with:\n" + childLogTail()).isEqualTo(200);
        });

        Recorder resumed = new Recorder();
        try (ClientSubscription sub = client.subscribe(SubscribeSpec.pattern(p + "/**").resumeAfter(old), resumed, resumed::ended)) {
            resumed.awaitSnapshotEnd(WAIT);
            assertThat(resumed.events().get(0).kind()).isEqualTo(TreeEvent.Kind.RESET);
            assertThat(resumed.state()).containsExactlyInAnyOrderEntriesOf(client.get(p + "/**").toMap())
                    .containsOnlyKeys(p + "/first", p + "/second");
        }
        await().atMost(WAIT).until(() -> storeResumes(server) >= storeResumes);
        assertThat(storeResumes(server)).as("served by the store, not by a walk of the server's own tree").isEqualTo(storeResumes);
    }

    private String childLogTail() {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("state-store.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static Optional<ProcessHandle> stateChild(ServerProcess server) {
        return server.descendants().stream().filter(p -> commandLine(p).contains("-Dtreecast.child=state-store")).findFirst();
    }

    private String logOf(ServerProcess server) throws IOException {
        return server.logText().substring(logFrom);
    }

    private URI lastQueryUri(ServerProcess server) throws IOException {
        Matcher m = SERVING.matcher(logOf(server));
        String found = null;
        while (m.find()) {
            found = m.group(1);
        }
        return URI.create(found);
    }

    private long storeResumes(ServerProcess server) throws Exception {
        Matcher m = STORE_RESUMES.matcher(get(URI.create(server.metricsUrl() + "/metrics")).body());
        return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String commandLine(ProcessHandle p) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"))).replace('\0', ' ');
        } catch (IOException ended) {
            return p.info().commandLine().orElse("");
        }
    }
}
