package io.treecast.e2e;

import io.treecast.client.AckMode;
import io.treecast.client.LeafChange;
import io.treecast.client.Snapshot;
import io.treecast.client.TreeValue;
import io.treecast.client.TreecastClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * Faults of the server's own parts, against the packaged server with its embedded broker: a second server (or state
 * store) on the same data dir, and a stop while the broker is frozen.
 */
@ExtendWith(ServerLogOnFailure.class)
class OwnFaultsIT {
    private static final Path DIST = Path.of(System.getProperty("treecast.dist", "../distribution/target/treecast"));

    @TempDir
    Path dataDir;

    @Test
    void aSecondServeOnTheSameDataDirExitsAtOnceWithDataDirLockedAndTheFirstKeepsJournaling() throws Exception {
        try (ServerProcess first = ServerProcess.start("own-faults-first",
                "--set", "durability.mode=embedded", "--set", "durability.data-dir=" + dataDir);
             TreecastClient client = TreecastClient.connect(first.tcpUrl())) {
            client.update(b -> b.set("lock/before", 1L), AckMode.DURABLE);

            Result second = launch(List.of("serve", "--tcp-port", "0", "--ws-port", "0", "--set", "metrics.port=0",
                    "--set", "durability.mode=embedded", "--set", "durability.data-dir=" + dataDir));
            assertThat(second.exitCode).isEqualTo(6);
            assertThat(second.err).contains("error: DATA_DIR_LOCKED: directory " + dataDir.toAbsolutePath().normalize()
                    + " is in use by another Treecast process (pid " + first.pid() + "): stop that one first, or give "
                    + "this one its own directory (durability setting dataDir, server key durability.data-dir)");
            assertThat(second.out).doesNotContain("listening");

            // the server's own state store (its child JVM, started after recovery) holds <data dir>/state: a treecast
            // state there is refused the same way
            await().atMost(Duration.ofSeconds(120)).until(() -> first.descendants().stream()
                    .filter(p -> commandLine(p).contains("-Dtreecast.child=state-store"))
                    .anyMatch(p -> logContains(first, "state store child serving queries on ", "(pid " + p.pid() + ", started in")));
            Result state = launch(List.of("state", "--bootstrap-servers", first.bootstrapServers(),
                    "--state-dir", dataDir.resolve("state").toString(), "--scan", "lock/"));
            assertThat(state.exitCode).isEqualTo(6);
            assertThat(state.err).contains("error: DATA_DIR_LOCKED: state dir " + dataDir.resolve("state").toAbsolutePath()
                    .normalize() + " is in use by another state store");

            // the first server journals on: DURABLE acks (the topic has it), and its broker never saw a second one
            long seq = client.update(b -> b.set("lock/after", 2L), AckMode.DURABLE);
            assertThat(seq).isPositive();
            assertThat(brokerLog()).doesNotContain("CorruptRecordException");
        }
    }

    /**
     * The broker frozen ({@code SIGSTOP}: reachable by nobody, not dead, so nothing restarts it) while updates are
     * applied, then the server stopped: it waits for the journal within its bound, keeps what Kafka did not
     * acknowledge in the data dir, and the next start (broker back) serves every applied value, seq above.
     */
    @Test
    void aStopWhileTheBrokerIsFrozenKeepsEveryAppliedUpdateForTheNextStart() throws Exception {
        Snapshot seen;
        try (ServerProcess server = ServerProcess.start("own-faults-stop-frozen",
                "--set", "durability.mode=embedded", "--set", "durability.data-dir=" + dataDir)) {
            try (TreecastClient client = TreecastClient.connect(server.tcpUrl())) {
                for (int i = 0; i < 50; i++) {
                    client.set("frozen/k" + i, "before-" + i);
                }
                client.update(b -> b.set("frozen/durable", 0L), AckMode.DURABLE);
                long broker = brokerPid(server);
                signal("STOP", broker); // no SIGCONT: the server's stop kills it after its stop bound
                for (int i = 0; i < 500; i++) {
                    client.set("frozen/k" + (i % 60), "during-" + i);
                }
                client.delete("frozen/k3");
                seen = client.get("frozen/**");
            }
            // 143: the JVM's status after SIGTERM once its shutdown hooks ran (137 would be the test's SIGKILL after 60 s)
            assertThat(server.stop()).as("exit code of a stop with the broker frozen").isEqualTo(143);
        }
        assertThat(dataDir.resolve("journal-backlog-default.bin")).as("the unjournaled backlog kept at the stop").exists();

        try (ServerProcess again = ServerProcess.start("own-faults-after-frozen",
                "--set", "durability.mode=embedded", "--set", "durability.data-dir=" + dataDir);
             TreecastClient client = TreecastClient.connect(again.tcpUrl())) {
            Snapshot now = client.get("frozen/**");
            assertThat(byPath(now)).as("every applied value, each leaf at the seq a subscriber saw").isEqualTo(byPath(seen));
            assertThat(now.toMap()).doesNotContainKey("frozen/k3");
            long next = client.update(b -> b.set("frozen/after", 1L), AckMode.DURABLE);
            assertThat(next).as("seq continues above what subscribers saw").isGreaterThan(seen.seq());
            assertThat(dataDir.resolve("journal-backlog-default.bin")).as("journaled, then deleted").doesNotExist();
        }
    }

    /**
     * The embedded broker's JVM {@code kill -9}ed under a modest write load: the server restarts it, a subscriber's
     * view never goes back (no RESET, seqs only grow), and after a restart of the server every acknowledged value is
     * there, at a seq not lower than the subscriber saw.
     */
    @Test
    void aBrokerKilledUnderLoadIsRestartedAndNothingAcknowledgedIsLostOrGoesBack() throws Exception {
        Map<String, Long> acked = new java.util.concurrent.ConcurrentHashMap<>();
        Recorder view = new Recorder();
        try (ServerProcess server = ServerProcess.start("own-faults-broker-kill",
                "--set", "durability.mode=embedded", "--set", "durability.data-dir=" + dataDir);
             TreecastClient subscriber = TreecastClient.connect(server.tcpUrl());
             TreecastClient writer = TreecastClient.connect(server.tcpUrl())) {
            var subscription = subscriber.subscribe("load/**", o -> o.snapshot(), view);
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread load = new Thread(() -> {
                for (long i = 0; !stop.get(); i++) {
                    String path = "load/n" + (i % 100);
                    try {
                        writer.set(path, i); // APPLIED: acknowledged once applied, Kafka or not
                        acked.merge(path, i, Math::max);
                    } catch (RuntimeException refused) {
                        // UNAVAILABLE past the journal bound while the broker is away: not acknowledged
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // pacing, ~1,000 updates/s at most
                }
            }, "load-writer");
            load.start();
            try {
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(acked.size()).isEqualTo(100));
                long broker = brokerPid(server);
                ProcessHandle.of(broker).orElseThrow().destroyForcibly();
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                        .untilAsserted(() -> assertThat(server.logText()).contains("embedded Kafka broker restarted"));
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                        .untilAsserted(() -> assertThat(writer.update(b -> b.set("load/durable", 1L), AckMode.DURABLE)).isGreaterThan(0));
            } finally {
                stop.set(true);
                load.join(30_000);
            }
            assertThat(server.logText()).contains("exited with code 137 (killed by signal 9, SIGKILL)");
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(view.lastSeq()).isGreaterThanOrEqualTo(writer.get("load/**").seq()));
            subscription.cancel();
            List<Long> seqs = view.events().stream().filter(e -> e.kind() == io.treecast.client.TreeEvent.Kind.UPDATE)
                    .map(io.treecast.client.TreeEvent::seq).toList();
            assertThat(view.events()).as("no RESET while the broker was away and back")
                    .noneMatch(e -> e.kind() == io.treecast.client.TreeEvent.Kind.RESET);
            assertThat(seqs).as("the subscriber's seqs only grow").isSorted().doesNotHaveDuplicates();
            assertThat(server.stop()).isEqualTo(143);
        }
        Map<String, TreeValue> seen = view.state();
        try (ServerProcess again = ServerProcess.start("own-faults-after-broker-kill",
                "--set", "durability.mode=embedded", "--set", "durability.data-dir=" + dataDir);
             TreecastClient client = TreecastClient.connect(again.tcpUrl())) {
            Snapshot now = client.get("load/**");
            // each path is written with growing values: it holds the acknowledged one or a newer one (applied, its ack lost)
            acked.forEach((path, value) -> assertThat(now.toMap().get(path)).as(path).isNotNull()
                    .satisfies(v -> assertThat(v.asLong()).isGreaterThanOrEqualTo(value)));
            assertThat(now.toMap()).as("what the subscriber saw, nothing older").containsAllEntriesOf(seen);
            assertThat(now.seq()).isGreaterThanOrEqualTo(view.lastSeq());
        }
    }

    private static Map<String, String> byPath(Snapshot s) {
        Map<String, String> out = new TreeMap<>();
        for (LeafChange l : s.leaves()) {
            out.put(l.path(), l.value() + "@" + l.seq());
        }
        return out;
    }

    private String brokerLog() throws IOException {
        return Files.readString(dataDir.resolve("kafka-broker.log"));
    }

    /** Whether one line of the server's log holds both parts (its log file is appended to across runs). */
    private static boolean logContains(ServerProcess server, String part, String other) {
        try {
            return server.logText().lines().anyMatch(l -> l.contains(part) && l.contains(other));
        } catch (IOException notYet) {
            return false;
        }
    }

    private static long brokerPid(ServerProcess server) {
        return server.descendants().stream().filter(p -> commandLine(p).contains(" kafka.Kafka "))
                .mapToLong(ProcessHandle::pid).findFirst().orElseThrow();
    }

    private static void signal(String name, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    /** The whole command line from /proc: ProcessHandle.Info truncates long ones (the broker's classpath is long). */
    private static String commandLine(ProcessHandle process) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException gone) {
            return "";
        }
    }

    private record Result(int exitCode, String out, String err) {
    }

    /** {@code bin/treecast args} with the tests' JVM options, waited for (bounded), its output captured. */
    private static Result launch(List<String> args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(DIST.resolve("bin/treecast").toAbsolutePath().toString());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("TREECAST_JAVA_OPTS", "-Xmx512m -XX:+UseG1GC");
        Path out = Files.createTempFile("treecast-out", ".txt");
        Path err = Files.createTempFile("treecast-err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(p.isAlive()).as("p.isAlive()").isFalse());
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
