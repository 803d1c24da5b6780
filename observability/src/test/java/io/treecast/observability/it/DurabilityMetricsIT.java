package io.treecast.observability.it;

import io.treecast.client.TreecastClient;
import io.treecast.durability.Durability;
import io.treecast.durability.DurabilityConfig;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import io.treecast.observability.DurabilityProbe;
import io.treecast.observability.ObservabilityServer;
import io.treecast.observability.TreecastMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The Kafka side of the metrics and of /ready against the real embedded broker (a child JVM on 127.0.0.1). */
class DurabilityMetricsIT {
    @TempDir
    Path data;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Durability durability;
    private TreecastServer server;
    private TreecastMetrics metrics;
    private ObservabilityServer endpoints;

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
            }
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(endpoints.uri() + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void readyReportsKafkaAndTheJournalCountsWhatItSent() throws Exception {
        metrics = TreecastMetrics.create(Duration.ofSeconds(30));
        endpoints = ObservabilityServer.start("127.0.0.1", 0, metrics);
        assertThat(get("/ready").body()).contains("starting");
        durability = Durability.start(DurabilityConfig.builder().mode(DurabilityConfig.Mode.EMBEDDED).dataDir(data)
                .partitions(1).brokerHeap("256m").build());
        metrics.recovering();
        assertThat(get("/ready").statusCode()).isEqualTo(503);
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0").build(),
                durability.journal());
        metrics.attach(server, DurabilityProbe.of(durability));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("/ready").statusCode()).isEqualTo(200));
        assertThat(get("/ready").body()).contains("Kafka reachable");
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            client.update(b -> b.set("k/a", 1).set("k/b", 2), io.treecast.client.AckMode.DURABLE);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("/metrics").body())
                .contains("treecast_kafka_reachable 1.0")
                .contains("treecast_journal_healthy 1.0")
                .containsPattern("treecast_journal_records_sent_total ([2-9]|[1-9]\\d+)\\.0")   // two leaves, and watermark records (a heartbeat: rewritten every second)
                .contains("treecast_journal_producer_errors_total 0.0")
                .contains("treecast_journal_durable_seq 1.0")
                .contains("treecast_engine_journal_backlog 0.0")
                .contains("treecast_ready 1.0")
                .containsPattern("treecast_recovery_duration_seconds \\d")
                .contains("treecast_recovery_records 0.0"));
        // the Kafka Streams state store runs inside Durability and catches up with the topic
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(get("/metrics").body())
                .contains("treecast_state_store_state{state=\"RUNNING\"} 1.0")
                .contains("treecast_state_store_lag 0.0"));
    }
}
