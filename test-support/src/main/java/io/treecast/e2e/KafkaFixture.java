package io.treecast.e2e;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The Kafka that an end-to-end server uses, chosen once per JVM: Testcontainers' {@link KafkaContainer} when a Docker
 * engine answers (the server then runs with {@code durability.mode=external}), otherwise the real single-node KRaft
 * broker that the packaged server starts itself in a child JVM ({@code durability.mode=embedded}, what users get by
 * default). {@code -Dtreecast.e2e.kafka=embedded|container} forces one.
 *
 * <p>Which one ran is printed once ({@code [e2e] Kafka fixture: ...}) and written to
 * {@code target/e2e-kafka-fixture.txt}, which {@code .ci/run} shows in its summary.
 *
 * <pre>{@code
 * try (KafkaFixture kafka = KafkaFixture.start(dataDir);
 *      ServerProcess server = ServerProcess.start("name", kafka.serverArgs())) { ... }
 * }</pre>
 */
public final class KafkaFixture implements AutoCloseable {
    /** The same Kafka version as the project's clients ({@code kafka.version} in the parent pom). */
    public static final String KAFKA_IMAGE = "apache/kafka:4.3.1";
    private static final Path REPORT = Path.of("target", "e2e-kafka-fixture.txt");
    private static volatile Boolean dockerAvailable;
    private static boolean reportedInThisRun;

    private final KafkaContainer container;
    private final Path dataDir;

    private KafkaFixture(KafkaContainer container, Path dataDir) {
        this.container = container;
        this.dataDir = dataDir;
    }

    /** Starts the container, or prepares the embedded broker's data directory {@code dataDir}. */
    public static KafkaFixture start(Path dataDir) {
        KafkaFixture fixture;
        if (useContainer()) {
            KafkaContainer kafka = new KafkaContainer(DockerImageName.parse(KAFKA_IMAGE));
            kafka.start();
            fixture = new KafkaFixture(kafka, dataDir);
        } else {
            fixture = new KafkaFixture(null, dataDir);
        }
        fixture.report();
        return fixture;
    }

    private static boolean useContainer() {
        String forced = System.getProperty("treecast.e2e.kafka", "");
        if (forced.equals("embedded")) {
            return false;
        }
        if (forced.equals("container")) {
            return true;
        }
        if (dockerAvailable == null) {
            boolean available;
            try {
                available = DockerClientFactory.instance().isDockerAvailable();
            } catch (RuntimeException | LinkageError e) {
                available = false;
            }
            dockerAvailable = available;
        }
        return dockerAvailable;
    }

    /** The {@code treecast serve} arguments that point the server at this Kafka. */
    public List<String> serverArgs() {
        if (container != null) {
            return List.of("--set", "durability.mode=external",
                    "--set", "durability.bootstrap-servers=" + container.getBootstrapServers(),
                    "--set", "durability.data-dir=" + dataDir);
        }
        return List.of("--set", "durability.mode=embedded", "--set", "durability.data-dir=" + dataDir);
    }

    public boolean isContainer() {
        return container != null;
    }

    /** One line for people: which Kafka ran. */
    public String describe() {
        return container != null
                ? "Testcontainers KafkaContainer " + KAFKA_IMAGE + " (Docker engine found; server durability.mode=external)"
                : "embedded KRaft broker in a child JVM of the server process (no Docker engine; server durability.mode=embedded)";
    }

    private void report() {
        report("[e2e] Kafka fixture: " + describe());
    }

    private static synchronized void report(String line) {
        System.out.println(line);
        try {
            Files.createDirectories(REPORT.getParent());
            if (!reportedInThisRun) {
                Files.deleteIfExists(REPORT); // a report of an earlier run without clean must not linger
                reportedInThisRun = true;
            }
            if (!Files.exists(REPORT) || !Files.readString(REPORT).contains(line)) {
                Files.writeString(REPORT, line + System.lineSeparator(), StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            System.out.println("[e2e] could not write " + REPORT.toAbsolutePath() + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (container != null) {
            container.stop();
        }
    }
}
