package io.treecast.e2e;

import io.treecast.client.AckMode;
import io.treecast.client.TreecastClient;
import io.treecast.client.TreecastClientException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Guarantee 5 from the outside: when the embedded Kafka broker dies under the packaged server, the server keeps
 * serving from memory and a DURABLE update answers TIMEOUT with a message saying why, instead of hanging.
 */
class KafkaOutageIT {

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
                    .filter(p -> commandLine(p).contains("KafkaChildMain"))
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
