package io.treecast.observability.it;

import io.treecast.client.TreeEvent;
import io.treecast.client.TreecastClient;
import io.treecast.client.TreecastClientException;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import io.treecast.observability.ObservabilityServer;
import io.treecast.observability.TreecastMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** /metrics, /health and /ready read over real HTTP from a real server on 127.0.0.1, with real client traffic. */
class ObservabilityServerIT {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private TreecastMetrics metrics;
    private ObservabilityServer endpoints;
    private TreecastServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (endpoints != null) {
            endpoints.close();
        }
        if (metrics != null) {
            metrics.close();
        }
    }

    private void startEndpoints() throws IOException {
        metrics = TreecastMetrics.create(Duration.ofSeconds(30));
        endpoints = ObservabilityServer.start("127.0.0.1", 0, metrics);
    }

    private void startServer() {
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0").build(), null);
        metrics.attach(server, null);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(endpoints.uri() + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsShowRequestsByRouteErrorsByCodeAndTheDeliveryLatencyOfARealSubscriber() throws Exception {
        startEndpoints();
        startServer();
        try (TreecastClient client = TreecastClient.connect(server.tcpUri())) {
            List<TreeEvent> events = new CopyOnWriteArrayList<>();
            client.subscribe("fx/**", spec -> spec.snapshot(), events::add);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(events).anyMatch(e -> e.kind() == TreeEvent.Kind.SNAPSHOT_END));
            client.set("fx/EURUSD/bid", 1.0842);
            client.set("fx/EURUSD/ask", 1.0844);
            assertThatThrownBy(() -> client.set("fx//bad", 1)).isInstanceOf(TreecastClientException.class);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(events.stream().filter(e -> e.kind() == TreeEvent.Kind.UPDATE).count()).isEqualTo(2));

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                HttpResponse<String> r = get("/metrics");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
                assertThat(r.body())
                        .contains("treecast_gateway_requests_total{route=\"tree.update\"} 3.0")
                        .contains("treecast_gateway_requests_total{route=\"tree.subscribe\"} 1.0")
                        .contains("treecast_gateway_errors_total{code=\"INVALID_PATH\"} 1.0")
                        .contains("treecast_gateway_connections 1.0")
                        .contains("treecast_gateway_changes_total{route=\"tree.update\"} 2.0")
                        .contains("treecast_gateway_changes_delivered_total 2.0")
                        .contains("treecast_gateway_subscriptions_opened_total{policy=\"conflate\"} 1.0")
                        .contains("treecast_engine_batches_applied_total 2.0")
                        .contains("treecast_engine_subscriptions{policy=\"conflate\"} 1.0")
                        .contains("treecast_delivery_latency_seconds_count 2")
                        .contains("jvm_memory_used_bytes")
                        .contains("treecast_ready 1.0");
            });
        }
    }

    @Test
    void healthAndReadyAreUpWhileServingAndReadyTurnsDownWhenStopping() throws Exception {
        startEndpoints();
        startServer();
        HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        assertThat(health.body()).startsWith("{\"status\":\"UP\",\"reason\":\"process alive, engine writer thread alive");
        HttpResponse<String> ready = get("/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("{\"status\":\"UP\",\"reason\":\"serving in memory (no durability)\"}\n");

        metrics.stopping();
        server.close();
        HttpResponse<String> stopping = get("/ready");
        assertThat(stopping.statusCode()).isEqualTo(503);
        assertThat(stopping.body()).isEqualTo("{\"status\":\"DOWN\",\"reason\":\"shutting down\"}\n");
        assertThat(get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void healthIsDownWhenTheEngineWriterStoppedWithoutAShutdown() throws Exception {
        startEndpoints();
        startServer();
        server.engine().close();
        HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(health.body()).contains("\"status\":\"DOWN\"").contains("writer thread is not running");
        assertThat(get("/ready").statusCode()).isEqualTo(503);
    }

    @Test
    void beforeTheServerStartsHealthIsUpAndReadyIsDown() throws Exception {
        startEndpoints();
        assertThat(get("/health").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get("/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("starting");
        metrics.recovering();
        assertThat(get("/ready").body()).contains("recovering the tree");
        assertThat(get("/metrics").body()).contains("treecast_ready 0.0").doesNotContain("treecast_engine_seq");
    }

    @Test
    void unknownPathsAreNotFoundAndOnlyGetIsAllowed() throws Exception {
        startEndpoints();
        assertThat(get("/").statusCode()).isEqualTo(404);
        assertThat(get("/metricz").statusCode()).isEqualTo(404);
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(endpoints.uri() + "/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(endpoints.address().getAddress().isLoopbackAddress()).isTrue();
    }
}
