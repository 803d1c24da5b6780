package io.treecast.observability.it;

import io.treecast.observability.Console;
import io.treecast.observability.ObservabilityServer;
import io.treecast.observability.TreecastMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The web console's files and config.json, served from the jar by the metrics HTTP server over real HTTP. */
class ConsoleServingIT {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private TreecastMetrics metrics;
    private ObservabilityServer endpoints;

    @AfterEach
    void stop() {
        if (endpoints != null) {
            endpoints.close();
        }
        if (metrics != null) {
            metrics.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(endpoints.uri() + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesThePageItsFilesAndWhereToConnectOnceDescribed() throws Exception {
        metrics = TreecastMetrics.create(Duration.ofSeconds(30));
        Console console = Console.fromClasspath();
        endpoints = ObservabilityServer.start("127.0.0.1", 0, metrics, console);

        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("<title>Treecast console</title>").contains("console/console.js");
        HttpResponse<String> script = get("/console/console.js");
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
        assertThat(script.body()).contains("tree.children").contains("treecastConsole");
        assertThat(get("/console/console.css").statusCode()).isEqualTo(200);

        HttpResponse<String> early = get("/console/config.json");
        assertThat(early.statusCode()).isEqualTo(503);
        assertThat(early.body()).contains("starting");
        console.describe(7171, "/rsocket", true);
        HttpResponse<String> config = get("/console/config.json");
        assertThat(config.statusCode()).isEqualTo(200);
        assertThat(config.body()).isEqualTo("{\"websocket\":{\"scheme\":\"ws\",\"port\":7171,\"path\":\"/rsocket\"},\"auth\":true}\n");
        console.describe("wss", 7172, "/r", false);
        assertThat(get("/console/config.json").body()).isEqualTo("{\"websocket\":{\"scheme\":\"wss\",\"port\":7172,\"path\":\"/r\"},\"auth\":false}\n");

        HttpResponse<String> missing = get("/console/../../etc/passwd");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(get("/console/nope.js").body()).isEqualTo("not found: use / (the console), /metrics, /health or /ready\n");
        assertThat(get("/metrics").statusCode()).isEqualTo(200);
    }

    @Test
    void withoutAConsoleTheRootIsNotFound() throws Exception {
        metrics = TreecastMetrics.create(Duration.ofSeconds(30));
        endpoints = ObservabilityServer.start("127.0.0.1", 0, metrics);
        HttpResponse<String> root = get("/");
        assertThat(root.statusCode()).isEqualTo(404);
        assertThat(root.body()).isEqualTo("not found: use /metrics, /health or /ready\n");
        assertThat(get("/console/console.js").statusCode()).isEqualTo(404);
    }
}
