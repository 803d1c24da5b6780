package io.treecast.durability.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The broker log is rolled at each broker start once it passed its size: a bounded number of bounded files. */
class BrokerLogRotationTest {

    @Test
    void anOversizedLogRollsToDotOneAndTheOldestOfTheKeptFilesIsDropped(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("kafka-broker.log");
        for (int start = 1; start <= 6; start++) {
            Files.writeString(log, "start " + start + " " + "x".repeat(200));
            EmbeddedKafka.rotate(log, 100, 4);
        }
        assertThat(log).doesNotExist();
        assertThat(Files.readString(dir.resolve("kafka-broker.log.1"))).startsWith("start 6 ");
        assertThat(Files.readString(dir.resolve("kafka-broker.log.2"))).startsWith("start 5 ");
        assertThat(Files.readString(dir.resolve("kafka-broker.log.3"))).startsWith("start 4 ");
        try (var files = Files.list(dir)) {
            assertThat(files).as("the log and 3 rolled files at most").hasSize(3);
        }
    }

    @Test
    void aLogBelowItsSizeIsLeftToGrow(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("kafka-broker.log");
        Files.writeString(log, "small");
        EmbeddedKafka.rotate(log, 100, 4);
        assertThat(Files.readString(log)).isEqualTo("small");
        assertThat(dir.resolve("kafka-broker.log.1")).doesNotExist();
    }

    @Test
    void theRawOutputFileKeepsOnlyThePreviousStart(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("kafka-broker.out");
        Files.writeString(out, "first");
        EmbeddedKafka.rotate(out, 0, 2);
        Files.writeString(out, "second");
        EmbeddedKafka.rotate(out, 0, 2);
        assertThat(Files.readString(dir.resolve("kafka-broker.out.1"))).isEqualTo("second");
        assertThat(out).doesNotExist();
    }

    @Test
    void aKillNineExitCodeIsNamed() {
        assertThat(EmbeddedKafka.describeExit(137)).isEqualTo(" (killed by signal 9, SIGKILL)");
        assertThat(EmbeddedKafka.describeExit(143)).isEqualTo(" (killed by signal 15)");
        assertThat(EmbeddedKafka.describeExit(1)).isEmpty();
    }
}
