package io.treecast.observability;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every metric name in the alert rules and the Grafana dashboard is one the server exports, so that a renamed
 * metric cannot silently blank a panel or disarm an alert.
 */
class DashboardMetricNamesTest {
    private static final Path COMPOSE = Path.of("..", "compose");
    private static final Pattern METRIC = Pattern.compile("\\b((?:treecast|jvm|process|system)_[a-z0-9_]+)\\b");
    private static final Pattern EXPORTED = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", Pattern.MULTILINE);

    @Test
    void everyMetricInTheAlertsAndTheDashboardIsExported() throws IOException {
        Set<String> exported = exportedNames();
        Set<String> used = new TreeSet<>();
        used.addAll(namesIn(COMPOSE.resolve("prometheus/alerts.yml")));
        used.addAll(namesIn(COMPOSE.resolve("grafana/dashboards/treecast.json")));
        assertThat(used).hasSizeGreaterThan(20);
        assertThat(exported).containsAll(used);
    }

    @Test
    void theAlertsCoverWhatOperatorsArePagedFor() throws IOException {
        Map<?, ?> root = new Yaml().load(Files.readString(COMPOSE.resolve("prometheus/alerts.yml")));
        List<?> groups = (List<?>) root.get("groups");
        StringBuilder exprs = new StringBuilder();
        for (Object g : groups) {
            for (Object rule : (List<?>) ((Map<?, ?>) g).get("rules")) {
                Map<?, ?> r = (Map<?, ?>) rule;
                assertThat(r.get("alert")).as("every rule is an alert").isNotNull();
                assertThat(r.get("expr")).as("rule %s has an expression", r.get("alert")).isNotNull();
                exprs.append(r.get("expr")).append('\n');
            }
        }
        assertThat(exprs.toString())
                .contains("histogram_quantile(0.99").contains("treecast_delivery_latency_seconds_bucket").contains("> 0.001")
                .contains("treecast_engine_journal_backlog")
                .contains("treecast_kafka_reachable == 0")
                .contains("SLOW_CONSUMER")
                .contains("treecast_jvm_gc_pause_seconds_max").contains("treecast_ready == 0")
                .contains("treecast_engine_loop_errors_total");
        Map<?, ?> prometheus = new Yaml().load(Files.readString(COMPOSE.resolve("prometheus/prometheus.yml")));
        assertThat(prometheus.toString()).contains("treecast:9464").contains("alerts.yml").contains("job_name=treecast");
    }

    private static Set<String> namesIn(Path file) throws IOException {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(Files.readString(file));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** A full scrape of a registry with an engine, a gateway, durability and a GC behind it. */
    private static Set<String> exportedNames() {
        try (FakeServer server = new FakeServer();
             TreecastMetrics metrics = TreecastMetrics.create(Duration.ofSeconds(30), Duration.ofMillis(20))) {
            metrics.attach(server, new FakeDurability());
            System.gc();
            // the GC pause timer exists once the JVM reported a collection
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(metrics.scrape()).contains("jvm_gc_pause_seconds_max"));
            Set<String> names = new TreeSet<>();
            Matcher m = EXPORTED.matcher(metrics.scrape());
            while (m.find()) {
                names.add(m.group(1));
            }
            return names;
        }
    }
}
