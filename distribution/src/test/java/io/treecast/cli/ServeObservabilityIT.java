package io.treecast.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code treecast serve} from the packaged launcher: /metrics, /health, /ready over HTTP and what it logs. */
class ServeObservabilityIT {
    private static final Path LAUNCHER = Path.of("target", "treecast", "bin", "treecast").toAbsolutePath();
    private static final Pattern METRICS_AT = Pattern.compile("metrics on (http://127\\.0\\.0\\.1:\\d+)");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process serve;
    private Path log;

    @AfterEach
    void stop() throws Exception {
        if (serve != null) {
            serve.destroy();
            if (!serve.waitFor(30, TimeUnit.SECONDS)) {
                serve.destroyForcibly();
            }
        }
        if (log != null) {
            Files.deleteIfExists(log);
        }
    }

    /** Starts serve in memory on free ports and returns its metrics URI from the startup line. */
    private String start(String... extra) throws IOException {
        log = Files.createTempFile("treecast-serve", ".log");
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString(), "serve", "--in-memory", "--host", "127.0.0.1",
                "--tcp-port", "0", "--ws-port", "0", "--set", "metrics.port=0"));
        cmd.addAll(List.of(extra));
        serve = new ProcessBuilder(cmd).directory(Path.of(System.getProperty("java.io.tmpdir")).toFile())
                .redirectError(log.toFile()).start();
        String line = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(line).as("startup line").isNotNull();
        Matcher m = METRICS_AT.matcher(line);
        assertThat(m.find()).as(line).isTrue();
        return m.group(1);
    }

    private HttpResponse<String> get(String uri) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void serveExposesMetricsHealthAndReadinessAndLogsAStartupSummary() throws Exception {
        String base = start();
        HttpResponse<String> metrics = get(base + "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("treecast_engine_writer_alive 1.0").contains("treecast_gateway_connections 0.0")
                .contains("jvm_gc_").contains("# TYPE treecast_delivery_latency_seconds histogram");
        assertThat(get(base + "/health").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get(base + "/ready").statusCode()).isEqualTo(200));
        assertThat(get(base + "/ready").body()).contains("serving in memory");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Files.readString(log)).contains("started in"));
        assertThat(Files.readString(log)).contains("Kafka: off (in memory").contains("GC: ").contains("configuration: defaults, then flags");
    }

    @Test
    void serveServesTheWebConsoleWithItsWebSocketAddressUnlessTurnedOff() throws Exception {
        String base = start("--set", "auth.tokens=t1");
        assertThat(get(base + "/").body()).contains("<title>Treecast console</title>");
        HttpResponse<String> config = get(base + "/console/config.json");
        assertThat(config.statusCode()).isEqualTo(200);
        assertThat(config.body()).matches("\\{\"websocket\":\\{\"scheme\":\"ws\",\"port\":[1-9]\\d*,\"path\":\"/rsocket\"},\"auth\":true}\n");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Files.readString(log)).contains("web console on " + base + "/"));
        stop();

        String off = start("--set", "console.enabled=false");
        HttpResponse<String> root = get(off + "/");
        assertThat(root.statusCode()).isEqualTo(404);
        assertThat(root.body()).isEqualTo("not found: use /metrics, /health or /ready\n");
        assertThat(get(off + "/metrics").statusCode()).isEqualTo(200);
    }

    @Test
    void theLogLevelComesFromConfigurationWithoutARebuild() throws Exception {
        String base = start("--set", "logging.level=warn");
        assertThat(get(base + "/health").statusCode()).isEqualTo(200);
        serve.destroy();
        assertThat(serve.waitFor(30, TimeUnit.SECONDS)).isTrue();
        // INFO lines (the startup summary, "Treecast stopped") are gone at WARN
        assertThat(Files.readString(log)).doesNotContain("started in").doesNotContain("Treecast stopped");
    }
}
