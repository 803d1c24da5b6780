package io.treecast.durability.it;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.FilterReply;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.TreePath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Kafka outage costs a handful of log lines, not one per client per reconnect: with the levels the server ships
 * ({@code io/treecast/durability/kafka-client-logback.xml}, included by the distribution's {@code logback.xml}), a
 * broker killed under load and started again prints Treecast's own state changes and nothing per retry, while the
 * Kafka clients (journal producer, Kafka Streams consumer, producer and admin, the durability admin) tried to warn
 * dozens of times.
 */
class KafkaOutageLogIT {
    /** The server's logging (root WARN, Treecast INFO) plus the shipped Kafka client levels; captured in memory. */
    private static final String SERVER_LIKE_CONFIG = """
            <configuration>
              <include resource="io/treecast/durability/kafka-client-logback.xml"/>
              <appender name="CAPTURE" class="ch.qos.logback.core.read.ListAppender"/>
              <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{30} - %msg%n</pattern></encoder>
              </appender>
              <logger name="io.treecast" level="INFO"/>
              <root level="WARN"><appender-ref ref="CAPTURE"/><appender-ref ref="OUT"/></root>
            </configuration>
            """;
    /** Enough attempts of the Kafka clients to warn that the outage would have flooded the log without the levels. */
    private static final int FLOOD = 60;
    /**
     * What an operator reads about one outage: Kafka lost, Kafka regained, and a few lines around them; plus, when the
     * restarted broker's metadata lags behind the state store's rejoin, Kafka Streams' own one-off burst about the
     * missing source topic metadata (~6 lines, once, after which the store replaces its thread). A flood is hundreds.
     */
    private static final int HANDFUL = 16;

    @RegisterExtension
    static final BrokerPerClass broker = new BrokerPerClass();

    @Test
    void aKafkaOutageUnderLoadLogsAHandfulOfLinesWhileTheKafkaClientsRetryQuietly(@TempDir Path dataDir) throws Exception {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        KafkaWarnings attempts = new KafkaWarnings();
        ListAppender<ILoggingEvent> printed = configure(ctx, attempts);
        AtomicBoolean writing = new AtomicBoolean(true);
        try (Stack s = Stack.start(broker.kafka().bootstrapServers(), "outage-log",
                b -> b.kafkaLostAfter(Duration.ofMillis(1500)).stateStore(true).dataDir(dataDir),
                b -> { })) {
            s.set("log/before", "b");
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(s.engine.durableSeq()).isGreaterThanOrEqualTo(s.engine.currentSeq()));
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(s.durability.treeState().running()).as("s.durability.treeState().running()").isTrue());
            // under load: records in flight when the broker dies and when it returns (NOT_LEADER_OR_FOLLOWER retries)
            Thread writer = new Thread(() -> {
                for (long i = 0; writing.get(); i++) {
                    // refused with UNAVAILABLE once the journal bound is full: the writer keeps offering
                    s.apply(Batch.of(Change.set(TreePath.parse("log/n" + (i % 500)), Stack.value("v" + i))), AckMode.APPLIED);
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                }
            }, "outage-log-writer");
            writer.start();
            try {
                int before = snapshot(printed).size();
                attempts.reset();

                broker.kafka().kill();
                await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(s.durability.journal().healthy()).as("s.durability.journal().healthy()").isFalse());
                await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(attempts.total()).isGreaterThanOrEqualTo(FLOOD));
                broker.kafka().start();
                await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(s.durability.journal().healthy()).as("s.durability.journal().healthy()").isTrue());
                writing.set(false);
                writer.join(10_000);
                await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(s.engine.durableSeq()).isGreaterThanOrEqualTo(s.engine.currentSeq()));

                List<ILoggingEvent> all = snapshot(printed);
                List<ILoggingEvent> outage = all.subList(before, all.size());
                System.out.println("Kafka client warnings attempted during the outage, by logger: " + attempts.byLogger());
                System.out.println("lines printed during the outage: " + outage.size() + ", by logger: " + byLogger(outage));
                assertThat(attempts.total()).as("the Kafka clients tried to warn (the flood)").isGreaterThanOrEqualTo(FLOOD);
                assertThat(outage).as("lines printed from the kill until Kafka was back and drained")
                        .hasSizeLessThanOrEqualTo(HANDFUL);
                assertThat(messages(outage)).anyMatch(m -> m.startsWith("Kafka lost"))
                        .anyMatch(m -> m.startsWith("Kafka regained"));
                assertThat(ctx.getLogger("org.apache.kafka.clients.NetworkClient").getEffectiveLevel())
                        .as("the shipped level of the Kafka clients' connection warnings").isEqualTo(Level.ERROR);
            } finally {
                writing.set(false);
                writer.join(10_000);
            }
        } finally {
            if (!broker.kafka().isRunning()) {
                broker.kafka().start();
            }
            restore(ctx, attempts);
        }
    }

    private static ListAppender<ILoggingEvent> configure(LoggerContext ctx, TurboFilter attempts) throws Exception {
        ctx.reset();
        JoranConfigurator jc = new JoranConfigurator();
        jc.setContext(ctx);
        jc.doConfigure(new ByteArrayInputStream(SERVER_LIKE_CONFIG.getBytes(StandardCharsets.UTF_8)));
        ctx.addTurboFilter(attempts);
        attempts.start();
        @SuppressWarnings("unchecked")
        ListAppender<ILoggingEvent> capture = (ListAppender<ILoggingEvent>) ctx.getLogger(Logger.ROOT_LOGGER_NAME)
                .getAppender("CAPTURE");
        assertThat(capture).as("the capturing appender of the test's configuration").isNotNull();
        return capture;
    }

    private static void restore(LoggerContext ctx, TurboFilter attempts) throws Exception {
        ctx.getTurboFilterList().remove(attempts);
        ctx.reset();
        new ContextInitializer(ctx).autoConfig(); // back to logback-test.xml for the tests that follow
    }

    private static List<ILoggingEvent> snapshot(ListAppender<ILoggingEvent> a) {
        synchronized (a) { // AppenderBase.doAppend holds the appender's lock while it adds
            return new ArrayList<>(a.list);
        }
    }

    private static List<String> messages(List<ILoggingEvent> events) {
        List<String> out = new ArrayList<>();
        events.forEach(e -> out.add(e.getFormattedMessage()));
        return out;
    }

    private static Map<String, Integer> byLogger(List<ILoggingEvent> events) {
        Map<String, Integer> out = new TreeMap<>();
        events.forEach(e -> out.merge(e.getLevel() + " " + e.getLoggerName(), 1, Integer::sum));
        return out;
    }

    /**
     * Counts every WARN or ERROR a Kafka client logger tried to log, printed or not: turbo filters run before the
     * level check, and the clients' {@code LogContext} loggers hand each line over once, formatted.
     */
    private static final class KafkaWarnings extends TurboFilter {
        private final Map<String, AtomicLong> byLogger = new ConcurrentHashMap<>();

        @Override
        public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
            if (format != null && level.isGreaterOrEqual(Level.WARN) && logger.getName().startsWith("org.apache.kafka")) {
                byLogger.computeIfAbsent(level + " " + logger.getName(), k -> new AtomicLong()).incrementAndGet();
            }
            return FilterReply.NEUTRAL;
        }

        long total() {
            return byLogger.values().stream().mapToLong(AtomicLong::get).sum();
        }

        void reset() {
            byLogger.clear();
        }

        Map<String, Long> byLogger() {
            Map<String, Long> out = new TreeMap<>();
            byLogger.forEach((k, v) -> out.put(k, v.get()));
            return out;
        }
    }
}
