package io.treecast.e2e;

import io.treecast.client.AckMode;
import io.treecast.client.TreeValue;
import io.treecast.client.TreecastClient;
import io.treecast.client.TreecastClientException;
import io.treecast.durability.internal.EmbeddedKafka;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * Guarantee 5 from the outside: when Kafka dies under the packaged server, the server keeps serving from memory, a
 * DURABLE update answers TIMEOUT with a message saying why instead of hanging, writes past the journal bound are
 * refused with UNAVAILABLE, and when Kafka returns (the embedded broker restarted by the server's supervisor, or an
 * external one started again) the backlog drains and nothing applied is lost.
 */
@ExtendWith(ServerLogOnFailure.class)
class KafkaOutageIT {
    /** Small, so the bound is reached after a few hundred writes. */
    private static final int JOURNAL_CAPACITY = 512;


    @TempDir
    Path dataDir;

    @Test
    void withKafkaGoneWritesKeepBeingAppliedAndDurableAcksTimeOutWithAClearError() throws Exception {
        try (ServerProcess server = ServerProcess.start("kafka-outage",
                "--set", "durability.mode=embedded", "--set", "durability.data-dir=" + dataDir,
                "--set", "durability.ack-timeout-ms=3000");
             TreecastClient client = TreecastClient.connect(server.tcpUrl())) {
            long durable = client.update(b -> b.set("outage/before", 1L), AckMode.DURABLE);
            assertThat(durable).isPositive();

            List<ProcessHandle> brokers = server.descendants().stream()
                    .filter(p -> commandLine(p).contains(" kafka.Kafka "))
                    .toList();
            assertThat(brokers).as("the embedded broker runs as a child process").isNotEmpty();
            brokers.forEach(ProcessHandle::destroyForcibly);
            brokers.forEach(p -> p.onExit().join());

            long applied = client.set("outage/during", 2L);
            assertThat(applied).isGreaterThan(durable);

            TreecastClientException timeout = catchThrowableOfType(TreecastClientException.class,
                    () -> client.update(b -> b.set("outage/durable", 3L), AckMode.DURABLE));
            assertThat(timeout.code()).isEqualTo(TreecastClientException.Code.TIMEOUT);
            assertThat(timeout.reason()).contains("applied").contains("durability.ack-timeout-ms");

            // the data is still served from memory, the connection still works
            assertThat(client.get("outage/**").toMap()).containsKeys("outage/before", "outage/during", "outage/durable");

            // the server's supervisor restarts its broker (one line saying why) and the journal catches up
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                    .untilAsserted(() -> assertThat(client.update(b -> b.set("outage/after-restart", 4L), AckMode.DURABLE)).isGreaterThan(applied));
            assertThat(server.logText()).contains("embedded Kafka broker exited with code 137 (killed by signal 9, SIGKILL)")
                    .contains("embedded Kafka broker restarted");
            assertThat(server.descendants().stream().filter(p -> commandLine(p).contains(" kafka.Kafka ")))
                    .as("the restarted broker").hasSize(1)
                    .noneMatch(p -> brokers.stream().anyMatch(old -> old.pid() == p.pid()));
        }
        // nothing applied while the broker was dead is lost: a restart rebuilds every value from Kafka
        try (ServerProcess again = ServerProcess.start("kafka-outage-restart",
                "--set", "durability.mode=embedded", "--set", "durability.data-dir=" + dataDir);
             TreecastClient client = TreecastClient.connect(again.tcpUrl())) {
            assertThat(client.get("outage/**").toMap()).containsEntry("outage/during", TreeValue.of(2L))
                    .containsEntry("outage/durable", TreeValue.of(3L)).containsEntry("outage/after-restart", TreeValue.of(4L));
        }
    }

    /**
     * Kafka as an external cluster the test can stop and start again on the same ports (the server's own embedded
     * broker comes back by itself within seconds, too soon to fill the journal bound): durability's {@link EmbeddedKafka} launcher, a real KRaft broker in its own
     * JVM, with the server in {@code durability.mode=external}.
     */
    @Test
    void kafkaDownUnderLoadRefusesWritesPastTheJournalBoundAndLosesNothingOnceItIsBack(@TempDir Path kafkaDir) throws Exception {
        try (EmbeddedKafka kafka = new EmbeddedKafka(kafkaDir, "512m", Duration.ofSeconds(180), Duration.ofSeconds(30))) {
            kafka.start();
            try (ServerProcess server = ServerProcess.start("kafka-down-and-back",
                    "--set", "durability.mode=external", "--set", "durability.bootstrap-servers=" + kafka.bootstrapServers(),
                    "--set", "durability.data-dir=" + dataDir, "--set", "engine.journal-capacity=" + JOURNAL_CAPACITY,
                    "--set", "durability.ack-timeout-ms=3000")) {
                Map<String, Long> applied = new TreeMap<>();
                try (TreecastClient client = TreecastClient.connect(server.tcpUrl())) {
                    client.update(b -> b.set("down/before", 0L), AckMode.DURABLE);
                    kafka.kill();

                    // under load, as fast as one client writes: applied from memory until the journal bound holds
                    TreecastClientException refused = null;
                    for (long i = 1; i <= 100_000 && refused == null; i++) {
                        String path = "down/n" + (i % 300);
                        try {
                            client.set(path, i);
                            applied.put(path, i);
                        } catch (TreecastClientException e) {
                            refused = e;
                        }
                    }
                    assertThat(refused).as("the journal bound of %d batches held", JOURNAL_CAPACITY).isNotNull();
                    assertThat(refused.code()).isEqualTo(TreecastClientException.Code.UNAVAILABLE);
                    assertThat(refused.reason()).contains("journal backlog full").contains("Kafka");
                    assertThat(applied).as("writes went on while Kafka was down").hasSizeGreaterThan(100);
                    assertThat(client.get("down/**").toMap()).as("still served from memory").hasSize(applied.size() + 1);

                    kafka.start(); // same ports: the server's producer reconnects and the backlog drains
                    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                            .untilAsserted(() -> assertThat(client.update(b -> b.set("down/after", 1L), AckMode.DURABLE)).isGreaterThan(0));
                }
                // nothing applied is lost: a restart rebuilds the tree from Kafka alone
                server.stop();
                server.restart();
                try (TreecastClient client = TreecastClient.connect(server.tcpUrl())) {
                    Map<String, TreeValue> recovered = client.get("down/**").toMap();
                    applied.forEach((path, value) -> assertThat(recovered.get(path)).as(path).isEqualTo(TreeValue.of(value)));
                    assertThat(recovered).containsKeys("down/before", "down/after").hasSize(applied.size() + 2);
                }
            }
        }
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
}
