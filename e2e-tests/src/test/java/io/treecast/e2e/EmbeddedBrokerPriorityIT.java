package io.treecast.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The embedded Kafka broker yields the CPU to the server's fast path: its JVM runs {@code durability.nice} steps
 * below the server (Linux nice values), so that on a machine with few cores the broker takes what the writer,
 * dispatchers and event loops leave over.
 */
@ExtendWith(ServerLogOnFailure.class)
class EmbeddedBrokerPriorityIT {

    @TempDir
    Path dataDir;

    @Test
    void theEmbeddedBrokersJvmRunsTheConfiguredNiceStepsBelowTheServer() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "reads nice values from Linux's /proc");
        try (ServerProcess server = ServerProcess.start("broker-priority",
                "--set", "durability.mode=embedded", "--set", "durability.data-dir=" + dataDir,
                "--set", "durability.nice=6", "--set", "durability.state-store=false")) {
            int serverNice = niceOf(server.pid());
            assumeTrue(serverNice <= 13, "needs room below the server's nice value");
            Optional<ProcessHandle> broker = ProcessHandle.of(server.pid()).orElseThrow().children()
                    .filter(child -> commandLineOf(child.pid()).contains(" kafka.Kafka "))
                    .findFirst();

            assertThat(broker).as("the embedded broker's JVM, a child of the server").isPresent();
            assertThat(niceOf(broker.get().pid())).isEqualTo(serverNice + 6);
        }
    }

    private static String commandLineOf(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"))).replace('\0', ' ');
        } catch (IOException ended) {
            return "";
        }
    }

    /** Field 19 of the process's stat line. */
    private static int niceOf(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ")[16]);
    }
}
