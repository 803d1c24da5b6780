package io.treecast.observability;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Liveness and readiness through a server's life: starting, recovering, serving, Kafka lost and back, stopping. */
class HealthTest {
    private final FakeServer server = new FakeServer();
    private final FakeDurability kafka = new FakeDurability();
    private final TreecastMetrics metrics = TreecastMetrics.create(Duration.ofMillis(500), Duration.ofMillis(20));

    @AfterEach
    void close() {
        metrics.close();
        server.close();
    }

    @Test
    void notReadyWhileStartingAndRecoveringButAlive() {
        assertThat(metrics.ready().ok()).isFalse();
        assertThat(metrics.ready().reason()).startsWith("starting");
        assertThat(metrics.live().ok()).isTrue();
        metrics.recovering();
        assertThat(metrics.ready().reason()).startsWith("recovering");
        metrics.attach(server, kafka);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(metrics.ready().ok()).as("metrics.ready().ok()").isTrue());
        assertThat(metrics.ready().reason()).contains("Kafka reachable");
        assertThat(metrics.scrape()).contains("treecast_ready 1.0").contains("treecast_live 1.0");
    }

    @Test
    void readyStaysWithinTheDegradedBudgetThenTurnsFalseAndBackWhenKafkaReturns() {
        metrics.attach(server, kafka);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(metrics.ready().ok()).as("metrics.ready().ok()").isTrue());
        kafka.reachable = false;
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(metrics.ready().reason()).startsWith("serving degraded"));
        assertThat(metrics.ready().ok()).isTrue();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(metrics.ready().ok()).as("metrics.ready().ok()").isFalse());
        assertThat(metrics.ready().reason()).contains("past the budget of 500 ms");
        assertThat(metrics.scrape()).contains("treecast_ready 0.0").contains("treecast_kafka_reachable 0.0");
        kafka.reachable = true;
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(metrics.ready().ok()).as("metrics.ready().ok()").isTrue());
    }

    @Test
    void anEdgeIsReadyWhileItFollowsItsCoreWithinTheBudgetAfterLosingItAndNotPastItOrAfterItStopped() {
        server.edge = true;
        metrics.attach(server, null);
        assertThat(metrics.ready().ok()).isTrue();
        assertThat(metrics.ready().reason()).isEqualTo("serving as an edge, following its core at seq 0");
        server.upstreamLostNanos = 200_000_000L;
        assertThat(metrics.ready().ok()).isTrue();
        assertThat(metrics.ready().reason()).isEqualTo("serving degraded: this edge has not reached its core for 200 ms, "
                + "within the budget of 500 ms (metrics.ready-degraded-budget-ms)");
        server.upstreamLostNanos = 700_000_000L;
        assertThat(metrics.ready().ok()).isFalse();
        assertThat(metrics.ready().reason()).isEqualTo("this edge has not reached its core for 700 ms, past the budget of "
                + "500 ms (metrics.ready-degraded-budget-ms): its data is not current and writes get UNAVAILABLE");
        server.upstreamLostNanos = 0;
        server.upstreamFailure = "the core's seq went back from 9 to 3";
        assertThat(metrics.ready().ok()).isFalse();
        assertThat(metrics.ready().reason()).isEqualTo("this edge stopped following its core: the core's seq went back from 9 to 3");
    }

    @Test
    void closedListenersMakeItNotReady() {
        metrics.attach(server, null);
        assertThat(metrics.ready().ok()).isTrue();
        server.listening = false;
        assertThat(metrics.ready().ok()).isFalse();
        assertThat(metrics.ready().reason()).contains("listeners are closed");
    }

    @Test
    void aStoppedWriterThreadMakesItNotLive() {
        metrics.attach(server, null);
        assertThat(metrics.live().ok()).isTrue();
        server.engine.close();
        assertThat(metrics.live().ok()).isFalse();
        assertThat(metrics.live().reason()).contains("writer thread is not running");
        assertThat(metrics.ready().ok()).isFalse();
    }

    @Test
    void stoppingIsNotReadyButStillLive() {
        metrics.attach(server, null);
        metrics.stopping();
        server.engine.close();
        assertThat(metrics.ready().reason()).isEqualTo("shutting down");
        assertThat(metrics.live().ok()).isTrue();
    }
}
