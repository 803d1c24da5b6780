package io.treecast.observability;

import io.treecast.fastpath.AckListener;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.TreePath;
import io.treecast.gateway.GatewayStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The registry's content: engine, gateway, latency, durability and JVM metrics, read when scraped. */
class MetricsTest {
    private final FakeServer server = new FakeServer();
    private final TreecastMetrics metrics = TreecastMetrics.create(Duration.ofSeconds(30), Duration.ofMillis(20));

    @AfterEach
    void close() {
        metrics.close();
        server.close();
    }

    private void apply(String path, String value) {
        AtomicLong seq = new AtomicLong();
        server.engine.offer(Batch.of(Change.set(TreePath.parse(path), value.getBytes(StandardCharsets.UTF_8))), AckMode.APPLIED,
                new AckListener() {
                    public void onAck(long s) { seq.set(s); }
                    public void onError(ErrorCode code, String message) { seq.set(-1); }
                });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(seq.get()).isNotEqualTo(0));
    }

    @Test
    void engineCountersAndGaugesFollowTheEngine() {
        metrics.attach(server, null);
        apply("a/b", "12345");
        apply("a/c", "1");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(metrics.scrape())
                .contains("treecast_engine_batches_applied_total 2.0")
                .contains("treecast_engine_changes_applied_total 2.0")
                .contains("treecast_engine_seq 2.0")
                .contains("treecast_engine_leaves 2.0")
                .contains("treecast_engine_writer_alive 1.0")
                .contains("treecast_engine_subscriptions{policy=\"strict\"} 0.0")
                .contains("treecast_engine_outboxes{fill=\"75-100%\"} 0.0")
                .contains("treecast_engine_outbox_bytes 0.0")
                .contains("treecast_engine_tree_memory_bytes " + (6.0 + 2 * 75)));
    }

    @Test
    void metersKeepReadingAfterGarbageCollection() {
        metrics.attach(server, new FakeDurability());
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        // Micrometer holds gauge and function-counter sources weakly: a collected source would read NaN or 0
        assertThat(metrics.scrape()).contains("treecast_engine_writer_alive 1.0").doesNotContainPattern("(?m)^treecast_\\S+ NaN$")
                .contains("treecast_gateway_connections 3.0").contains("treecast_journal_durable_seq 7.0");
    }

    @Test
    void gatewayCountersAreLabelledByRouteCodeAndPolicy() {
        metrics.attach(server, null);
        server.stats.request(GatewayStats.Route.UPDATE);
        server.stats.request(GatewayStats.Route.UPDATE);
        server.stats.request(GatewayStats.Route.CHILDREN);
        server.stats.error(ErrorCode.SLOW_CONSUMER);
        server.stats.subscribed(io.treecast.fastpath.Policy.STRICT);
        String text = metrics.scrape();
        assertThat(text)
                .contains("treecast_gateway_requests_total{route=\"tree.update\"} 2.0")
                .contains("treecast_gateway_requests_total{route=\"tree.get\"} 0.0")
                .contains("treecast_gateway_requests_total{route=\"tree.children\"} 1.0")
                .contains("treecast_gateway_changes_total{route=\"tree.ingest\"} 0.0")
                .doesNotContain("treecast_gateway_changes_total{route=\"tree.children\"}")
                .doesNotContain("treecast_gateway_changes_total{route=\"tree.get\"}")
                .contains("treecast_gateway_errors_total{code=\"SLOW_CONSUMER\"} 1.0")
                .contains("treecast_gateway_subscriptions_opened_total{policy=\"strict\"} 1.0")
                .contains("treecast_gateway_connections 3.0");
    }

    @Test
    void deliveryLatencyIsAPrometheusHistogramAndWindowedPercentiles() {
        metrics.attach(server, null);
        for (int i = 0; i < 1000; i++) {
            server.stats.deliveryLatency().record(200_000);   // 200 µs
        }
        server.stats.deliveryLatency().record(3_000_000);     // one of 3 ms
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(metrics.scrape())
                .contains("# TYPE treecast_delivery_latency_seconds histogram")
                .contains("treecast_delivery_latency_seconds_bucket{le=\"1.0E-4\"} 0")
                .contains("treecast_delivery_latency_seconds_bucket{le=\"2.5E-4\"} 1000")
                .contains("treecast_delivery_latency_seconds_bucket{le=\"0.005\"} 1001")
                .contains("treecast_delivery_latency_seconds_bucket{le=\"+Inf\"} 1001")
                .contains("treecast_delivery_latency_seconds_count 1001")
                .containsPattern("treecast_delivery_latency_percentile_seconds\\{quantile=\"0.5\"} 1\\.[89]\\d*E-4|treecast_delivery_latency_percentile_seconds\\{quantile=\"0.5\"} 2\\.\\d*E-4")
                .containsPattern("treecast_delivery_latency_max_seconds 0\\.003"));
    }

    @Test
    void durabilityMetricsAppearOnlyWithDurability() {
        metrics.attach(server, new FakeDurability());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(metrics.scrape())
                .contains("treecast_kafka_reachable 1.0")
                .contains("treecast_journal_durable_seq 7.0")
                .contains("treecast_journal_records_sent_total 11.0")
                .contains("treecast_state_store_state{state=\"RUNNING\"} 1.0")
                .contains("treecast_state_store_state{state=\"REBALANCING\"} 0.0")
                .contains("treecast_state_store_child_serving 1.0")
                .contains("treecast_state_store_child_restarts_total 2.0")
                .contains("treecast_recovery_duration_seconds 1.5")
                .contains("treecast_recovery_records 10.0"));
        try (FakeServer other = new FakeServer(); TreecastMetrics inMemory = TreecastMetrics.create(Duration.ofSeconds(30))) {
            inMemory.attach(other, null);
            assertThat(inMemory.scrape()).doesNotContain("treecast_kafka_reachable").doesNotContain("treecast_journal_");
        }
    }

    @Test
    void jvmMemoryThreadsAndGcPausesAreExported() {
        metrics.attach(server, null);
        System.gc();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(metrics.scrape())
                .contains("jvm_memory_used_bytes{area=\"heap\"")
                .contains("jvm_threads_live_threads")
                .contains("jvm_gc_pause_seconds_max"));
    }

    @Test
    void gcPausesAreMeasuredByJfrInNanosecondsNotRoundedToWholeMilliseconds() {
        metrics.attach(server, null);
        System.gc();
        // JFR hands its events over about once a second: wait for the pause(s) of this collection
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            System.gc();
            assertThat(pauseField("treecast_jvm_gc_pause_seconds_count")).isPositive();
        });
        double sum = pauseField("treecast_jvm_gc_pause_seconds_sum");
        double max = pauseField("treecast_jvm_gc_pause_seconds_max");
        assertThat(sum).isPositive();
        assertThat(max).isPositive().isLessThanOrEqualTo(sum);
        // a whole-millisecond value would be a multiple of 0.001: a nanosecond measurement practically never is
        assertThat(Math.abs(sum * 1000 - Math.rint(sum * 1000))).as("sum %s s is not whole milliseconds", sum).isGreaterThan(0);
    }

    /** The value of an unlabelled {@code treecast_jvm_gc_pause_seconds_*} line of the scrape (0 when absent). */
    private double pauseField(String name) {
        for (String line : metrics.scrape().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }
}
