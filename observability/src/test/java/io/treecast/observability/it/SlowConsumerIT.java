package io.treecast.observability.it;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.treecast.client.ClientOptions;
import io.treecast.client.Policy;
import io.treecast.client.SubscribeSpec;
import io.treecast.client.TreeEvent;
import io.treecast.client.TreecastClient;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import io.treecast.gateway.internal.ErrorCounter;
import io.treecast.observability.TreecastMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.BaseSubscriber;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A STRICT subscriber that stops reading: one SLOW_CONSUMER, counted by code and logged once with who and what. */
class SlowConsumerIT {
    private final Logger log = (Logger) LoggerFactory.getLogger(ErrorCounter.class);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private TreecastServer server;
    private TreecastMetrics metrics;

    @AfterEach
    void stop() {
        log.detachAppender(lines);
        if (server != null) {
            server.close();
        }
        if (metrics != null) {
            metrics.close();
        }
    }

    @Test
    void aSlowConsumerEndIsCountedAndLoggedOnceWithTheClientAndItsPattern() {
        lines.start();
        log.addAppender(lines);
        metrics = TreecastMetrics.create(Duration.ofSeconds(30));
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0").build(), null);
        metrics.attach(server, null);
        try (TreecastClient slow = TreecastClient.connect(server.tcpUri(), ClientOptions.defaults().clientName("dashboard-7"));
             TreecastClient writer = TreecastClient.connect(server.tcpUri())) {
            AtomicReference<Throwable> ended = new AtomicReference<>();
            slow.reactive().subscribe(SubscribeSpec.pattern("slow/**").policy(Policy.STRICT).outboxCapacity(4))
                    .subscribe(new BaseSubscriber<TreeEvent>() {
                        @Override
                        protected void hookOnSubscribe(Subscription subscription) {
                            subscription.request(1);   // and never more
                        }

                        @Override
                        protected void hookOnError(Throwable t) {
                            ended.set(t);
                        }
                    });
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(server.engine().stats().subscriptions()).isEqualTo(1));
            for (int i = 0; i < 10_000 && ended.get() == null; i++) {
                writer.set("slow/" + (i % 10), i);
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(ended.get()).isNotNull());
            assertThat(ended.get()).hasMessageContaining("SLOW_CONSUMER");
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(metrics.scrape())
                .contains("treecast_gateway_errors_total{code=\"SLOW_CONSUMER\"} 1.0")
                .contains("treecast_engine_slow_consumer_ends_total 1.0"));
        assertThat(lines.list).filteredOn(e -> e.getFormattedMessage().startsWith("slow consumer ended"))
                .singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage())
                        .containsPattern("connection \\d+ from /127\\.0\\.0\\.1:\\d+ \\(client dashboard-7\\)")
                        .contains("'slow/**'").contains("last seq"));
    }
}
