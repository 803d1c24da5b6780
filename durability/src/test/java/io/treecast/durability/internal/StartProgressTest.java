package io.treecast.durability.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class StartProgressTest {
    private static final long SECOND = 1_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void aBrokerWhoseLogKeepsGrowingIsGivenMoreThanTheTimeoutUpToTenTimesIt() throws Exception {
        AtomicLong now = new AtomicLong();
        Path log = dir.resolve("kafka-broker.log");
        StartProgress p = new StartProgress(now::get, Duration.ofSeconds(60), log, dir.resolve("kafka-broker.out"));
        assertThat(p.stalled()).isFalse();
        for (int minute = 1; minute <= 9; minute++) {
            now.set(minute * 60 * SECOND - SECOND); // a line just before each minute is up
            Files.writeString(log, "recovering segment " + minute + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            assertThat(p.stalled()).as("minute %d", minute).isFalse();
        }
        now.set(601 * SECOND); // still logging, but ten times the timeout is the end
        Files.writeString(log, "still recovering\n", StandardOpenOption.APPEND);
        assertThat(p.stalled()).isTrue();
        assertThat(p.why()).isEqualTo("still starting after 601000 ms (10 x the start timeout)");
    }

    @Test
    void aBrokerWhoseLogStopsGrowingStallsAfterTheTimeout() throws Exception {
        AtomicLong now = new AtomicLong();
        Path log = dir.resolve("kafka-broker.log");
        Files.writeString(log, "starting\n");
        StartProgress p = new StartProgress(now::get, Duration.ofSeconds(60), log);
        assertThat(p.stalled()).isFalse();
        now.set(60 * SECOND);
        assertThat(p.stalled()).isFalse();
        now.set(61 * SECOND);
        assertThat(p.stalled()).isTrue();
        assertThat(p.why()).isEqualTo("no progress (its log did not grow) for 61000 ms, 61000 ms after it was launched");
    }
}
