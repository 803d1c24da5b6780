package io.treecast.durability.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The state store child's supervision without Kafka: a stand-in main ({@link FakeStateMain}) that serves a port the
 * way {@code treecast state --query-port} does. The real store in its child, with a real broker and server, is
 * e2e-tests' {@code StateStoreChildIT}.
 */
class StateStoreChildIT {

    @Test
    void childReportsItsPortIsRestartedOnTheSamePortWhenKilledAndStopsOnClose(@TempDir Path dataDir) throws Exception {
        StateStoreChild child = new StateStoreChild(dataDir, "64m", 0, Duration.ofSeconds(60), Duration.ofSeconds(10),
                List.of(FakeStateMain.class.getName()));
        try {
            assertThat(child.queryUri()).as("nothing before start").isNull();
            child.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> child.queryUri() != null);
            URI first = child.queryUri();
            assertThat(first.toString()).startsWith("http://127.0.0.1:");
            long pid = child.pid();
            ProcessHandle firstChild = ProcessHandle.of(pid).orElseThrow();

            firstChild.destroyForcibly();
            firstChild.onExit().join();
            await().atMost(Duration.ofSeconds(60)).until(() -> child.restarts() == 1 && child.queryUri() != null);
            assertThat(child.queryUri()).as("the restart asks for the same port").isEqualTo(first);
            assertThat(child.pid()).isPositive().isNotEqualTo(pid);

            ProcessHandle second = ProcessHandle.of(child.pid()).orElseThrow();
            child.close();
            assertThat(second.isAlive()).as("close stopped the child").isFalse();
            assertThat(child.queryUri()).isNull();
            assertThat(child.restarts()).as("a stop is not a crash: no restart").isEqualTo(1);
        } finally {
            child.close();
        }
    }
}
