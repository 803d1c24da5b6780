package io.treecast.durability.it;

import io.treecast.durability.internal.EmbeddedKafka;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One real embedded Kafka broker for a test class, because each start costs seconds: started before the class's
 * first test, stopped (and its data deleted) after the last, also when a test fails.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final BrokerPerClass broker = new BrokerPerClass();
 * ... Stack.start(broker.kafka().bootstrapServers(), "topic") ...
 * }</pre>
 */
final class BrokerPerClass implements BeforeAllCallback, AfterAllCallback {
    private Path dataDir;
    private EmbeddedKafka kafka;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dataDir = Files.createTempDirectory("treecast-it-broker-");
        kafka = new EmbeddedKafka(dataDir, "512m", Duration.ofSeconds(90), Duration.ofSeconds(20));
        kafka.start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            if (kafka != null) {
                kafka.close();
            }
        } finally {
            if (dataDir != null) {
                try (Stream<Path> files = Files.walk(dataDir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    EmbeddedKafka kafka() {
        return kafka;
    }
}
