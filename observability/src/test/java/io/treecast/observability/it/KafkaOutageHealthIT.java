package io.treecast.observability.it;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.treecast.durability.Durability;
import io.treecast.durability.DurabilityConfig;
import io.treecast.durability.internal.EmbeddedKafka;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.TreePath;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import io.treecast.observability.DurabilityProbe;
import io.treecast.observability.ObservabilityServer;
import io.treecast.observability.TreecastMetrics;
import io.treecast.proto.Value;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Kafka outage shows while it lasts, not when Kafka is back: with the real broker killed (and kept dead until the
 * signal is seen), the journal's "Kafka lost", the monitor's "degraded" line, {@code /ready}'s "serving degraded" and
 * the Kafka metrics all change while Kafka is still away — under load and with an idle journal (its watermark
 * heartbeat) — and turn back once it returns. The Kafka Streams state store runs (its lag needs the brokers, which
 * once held up the monitor thread for the whole outage).
 */
class KafkaOutageHealthIT {
    /** Treecast's own lines and Kafka Streams' (whose lag question warned with a stack trace while Kafka was away). */
    private static final String[] CAPTURED = {"io.treecast", "org.apache.kafka.streams"};
    private static Path brokerDir;
    private static EmbeddedKafka kafka;

    @TempDir
    Path data;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private ListAppender<ILoggingEvent> logged;
    private Durability durability;
    private TreecastServer server;
    private TreecastMetrics metrics;
    private ObservabilityServer endpoints;

    @BeforeAll
    static void startBroker() throws Exception {
        brokerDir = Files.createTempDirectory("treecast-outage-health-");
        kafka = new EmbeddedKafka(brokerDir, "512m", Duration.ofSeconds(120), Duration.ofSeconds(20));
        kafka.start();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        try {
            if (kafka != null) {
                kafka.close();
            }
        } finally {
            try (Stream<Path> files = Files.walk(brokerDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @BeforeEach
    void captureLog() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        logged = new ListAppender<>();
        logged.setContext(ctx);
        ThresholdFilter info = new ThresholdFilter();
        info.setLevel("INFO");
        info.start();
        logged.addFilter(info);
        logged.start();
        for (String name : CAPTURED) {
            ctx.getLogger(name).addAppender(logged);
        }
    }

    @AfterEach
    void stop() {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            try {
                if (durability != null) {
                    durability.close();
                }
            } finally {
                if (endpoints != null) {
                    endpoints.close();
                }
                if (metrics != null) {
                    metrics.close();
                }
                for (String name : CAPTURED) {
                    ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(name).detachAppender(logged);
                }
                if (!kafka.isRunning()) {
                    kafka.start();
                }
            }
        }
    }

    @Test
    void anOutageUnderLoadIsReportedWhileKafkaIsAwayAndClearedWhenItReturns() throws Exception {
        startServer("outage-health-load");
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = new Thread(() -> {
            for (long i = 0; writing.get(); i++) {
                // refused once the journal bound is full: the writer keeps offering
                server.engine().offer(Batch.of(Change.set(TreePath.parse("load/n" + (i % 500)),
                        Value.newBuilder().setStringValue("v" + i).build().toByteArray())));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
        }, "outage-health-writer");
        writer.start();
        try {
            outageIsSeenWhileKafkaIsAwayAndClearedWhenBack();
        } finally {
            writing.set(false);
            writer.join(10_000);
        }
    }

    @Test
    void anOutageOfAnIdleServerIsReportedWhileKafkaIsAwayAndClearedWhenItReturns() throws Exception {
        startServer("outage-health-idle");
        server.engine().offer(Batch.of(Change.set(TreePath.parse("idle/a"),
                Value.newBuilder().setStringValue("a").build().toByteArray())));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.engine().durableSeq()).isGreaterThanOrEqualTo(server.engine().currentSeq()));
        outageIsSeenWhileKafkaIsAwayAndClearedWhenBack();
    }

    private void startServer(String topic) throws Exception {
        metrics = TreecastMetrics.create(Duration.ofSeconds(60));
        endpoints = ObservabilityServer.start("127.0.0.1", 0, metrics);
        durability = Durability.start(DurabilityConfig.builder().bootstrapServers(kafka.bootstrapServers())
                .topic(topic).partitions(2).dataDir(data).kafkaLostAfter(Duration.ofMillis(1500)).build());
        metrics.recovering();
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0").build(),
                durability.journal());
        metrics.attach(server, DurabilityProbe.of(durability));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("/ready").statusCode()).isEqualTo(200));
        // the state store runs and its lag is known: the monitor's figures include a question to the brokers
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(get("/metrics").body())
                .contains("treecast_state_store_state{state=\"RUNNING\"} 1.0")
                .containsPattern("treecast_state_store_lag \\d"));
    }

    private void outageIsSeenWhileKafkaIsAwayAndClearedWhenBack() throws Exception {
        int before = snapshot().size();
        kafka.kill();
        // Kafka stays away until every signal is seen: before the fix none came until it was back
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(messages(before)).anyMatch(m -> m.startsWith("Kafka lost"))
                    .anyMatch(m -> m.startsWith("degraded:"));
            assertThat(get("/ready").body()).contains("serving degraded");
            assertThat(get("/metrics").body()).contains("treecast_kafka_reachable 0.0")
                    .contains("treecast_journal_healthy 0.0")
                    .contains("treecast_engine_degraded 1.0");
        });
        assertThat(kafka.isRunning()).as("the broker was still away when the outage showed").isFalse();
        int during = snapshot().size();

        kafka.start();
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
            assertThat(messages(during)).anyMatch(m -> m.startsWith("Kafka regained"))
                    .anyMatch(m -> m.startsWith("no longer degraded"));
            assertThat(get("/ready").body()).contains("Kafka reachable");
            assertThat(get("/metrics").body()).contains("treecast_kafka_reachable 1.0")
                    .contains("treecast_journal_healthy 1.0")
                    .contains("treecast_engine_degraded 0.0")
                    .containsPattern("treecast_state_store_lag \\d");
        });
        List<ILoggingEvent> outage = snapshot().subList(before, snapshot().size());
        List<String> streamsWarnings = new ArrayList<>();
        outage.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)
                        && e.getLoggerName().startsWith("org.apache.kafka.streams"))
                .forEach(e -> streamsWarnings.add(e.getLoggerName() + ": " + e.getFormattedMessage()));
        System.out.println("Kafka Streams warnings during the outage: " + streamsWarnings.size() + " " + streamsWarnings);
        assertThat(streamsWarnings).as("Kafka Streams warnings of the state store's lag question (ClientUtils)")
                .noneMatch(w -> w.contains("ClientUtils"));
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(endpoints.uri() + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private List<ILoggingEvent> snapshot() {
        synchronized (logged) { // AppenderBase.doAppend holds the appender's lock while it adds
            return new ArrayList<>(logged.list);
        }
    }

    private List<String> messages(int from) {
        List<ILoggingEvent> all = snapshot();
        List<String> out = new ArrayList<>();
        all.subList(from, all.size()).forEach(e -> out.add(e.getFormattedMessage()));
        return out;
    }
}
