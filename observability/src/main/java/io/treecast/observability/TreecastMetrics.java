package io.treecast.observability;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.treecast.gateway.TreecastServer;
import io.treecast.observability.internal.DeliveryLatencyMetrics;
import io.treecast.observability.internal.DurabilityMetrics;
import io.treecast.observability.internal.EngineMetrics;
import io.treecast.observability.internal.GatewayMetrics;
import io.treecast.observability.internal.Health;
import io.treecast.observability.internal.Served;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The metrics of one Treecast server in a Prometheus registry, and its liveness and readiness. Create it before
 * the server starts (so that {@code /health} and {@code /ready} answer while Kafka starts and the tree recovers),
 * then {@link #attach} the started server. A monitor thread checks Kafka and readiness once a second and logs
 * each change of state once. Nothing here runs on the engine's or the event loops' threads.
 *
 * <pre>{@code
 * try (TreecastMetrics metrics = TreecastMetrics.create(Duration.ofSeconds(30));
 *      ObservabilityServer http = ObservabilityServer.start("127.0.0.1", 9464, metrics)) {
 *     metrics.recovering();
 *     TreecastServer server = TreecastServer.start(config, journal);
 *     metrics.attach(server, DurabilityProbe.of(durability));   // null when in memory
 *     ...                                                        // curl http://127.0.0.1:9464/metrics
 * }
 * }</pre>
 */
public final class TreecastMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Health health;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    /** Pause lengths in nanoseconds (JFR): jvm_gc_pause_seconds rounds each to whole milliseconds (0 under ZGC). */
    private final io.treecast.observability.internal.GcPauseMetrics gcPauses;
    private final ScheduledExecutorService monitor;
    private volatile DeliveryLatencyMetrics latency;
    /** Micrometer holds the objects behind gauges and function counters weakly: the binders keep them reachable. */
    private final java.util.List<Object> bound = new java.util.ArrayList<>();
    private boolean attached;

    /** {@code /health} answers 503 when the engine's writer finished no duty cycle for this long while batches wait. */
    public static final Duration WRITER_STUCK_AFTER = Duration.ofSeconds(10);

    private TreecastMetrics(Duration degradedBudget, Duration monitorPeriod, Duration writerStuckAfter) {
        this.health = new Health(degradedBudget.toNanos(), writerStuckAfter.toNanos());
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        gcPauses = io.treecast.observability.internal.GcPauseMetrics.start(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        io.micrometer.core.instrument.Gauge.builder("treecast.ready", health, h -> h.ready().ok() ? 1 : 0)
                .description("1 when /ready answers 200: recovered, listening, Kafka reachable or within the degraded budget")
                .register(registry);
        io.micrometer.core.instrument.Gauge.builder("treecast.live", health, h -> h.live().ok() ? 1 : 0)
                .description("1 when /health answers 200: the engine's writer thread is alive").register(registry);
        this.monitor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "treecast-monitor");
            t.setDaemon(true);
            return t;
        });
        monitor.scheduleWithFixedDelay(this::tick, 0, monitorPeriod.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * A registry with the JVM metrics (memory, GC, threads, class loading, CPU, uptime) and the monitor thread.
     *
     * @param degradedBudget how long Kafka may be unreachable before {@code /ready} says not ready
     */
    public static TreecastMetrics create(Duration degradedBudget) {
        return new TreecastMetrics(degradedBudget, Duration.ofSeconds(1), WRITER_STUCK_AFTER);
    }

    /** Like {@link #create(Duration)} with a faster monitor, for tests. */
    static TreecastMetrics create(Duration degradedBudget, Duration monitorPeriod) {
        return new TreecastMetrics(degradedBudget, monitorPeriod, WRITER_STUCK_AFTER);
    }

    /** With a faster monitor and another writer-stuck threshold, for tests. */
    static TreecastMetrics create(Duration degradedBudget, Duration monitorPeriod, Duration writerStuckAfter) {
        return new TreecastMetrics(degradedBudget, monitorPeriod, writerStuckAfter);
    }

    /** The tree is being recovered from durable state: {@code /ready} says so. */
    public void recovering() {
        health.phase(Health.Phase.RECOVERING);
    }

    /**
     * Binds the server's engine, gateway and (when given) durability metrics, and marks it serving.
     *
     * @param durabilityOrNull the Kafka side, or null when the server runs in memory
     */
    public void attach(TreecastServer server, DurabilityProbe durabilityOrNull) {
        attach(Served.of(server), durabilityOrNull);
    }

    synchronized void attach(Served server, DurabilityProbe durabilityOrNull) {
        if (attached) {
            throw new IllegalStateException("a server is already attached to these metrics");
        }
        attached = true;
        EngineMetrics engine = new EngineMetrics(server.engine());
        engine.bindTo(registry);
        GatewayMetrics gateway = new GatewayMetrics(server);
        gateway.bindTo(registry);
        DeliveryLatencyMetrics l = new DeliveryLatencyMetrics(server.stats().deliveryLatency());
        l.bindTo(registry);
        bound.add(engine);
        bound.add(gateway);
        bound.add(l);
        registry.getPrometheusRegistry().register(l);
        latency = l;
        if (durabilityOrNull != null) {
            DurabilityMetrics durability = new DurabilityMetrics(durabilityOrNull, health);
            durability.bindTo(registry);
            bound.add(durability);
        }
        health.attach(server, durabilityOrNull);
        monitor.execute(this::tick);
    }

    /** The server is shutting down: {@code /ready} says not ready from now on. */
    public void stopping() {
        health.phase(Health.Phase.STOPPING);
    }

    /** The Prometheus text exposition of every metric. */
    public String scrape() {
        return registry.scrape();
    }

    /** The registry, to add application meters. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Liveness: true with a reason, or false with what is wrong. */
    public Status live() {
        Health.Check c = health.live();
        return new Status(c.ok(), c.reason());
    }

    /** Readiness: true with a reason, or false with what is missing. */
    public Status ready() {
        Health.Check c = health.ready();
        return new Status(c.ok(), c.reason());
    }

    /** A verdict of {@link #live()} or {@link #ready()} and the reason a person reads. */
    public record Status(boolean ok, String reason) {
    }

    private void tick() {
        try {
            DeliveryLatencyMetrics l = latency;
            if (l != null) {
                l.tick();
            }
            health.refresh();
        } catch (RuntimeException e) {
            // a failed check must not stop the monitor: it runs again next period
            org.slf4j.LoggerFactory.getLogger(TreecastMetrics.class).warn("the health monitor failed once", e);
        }
    }

    /** Stops the monitor thread and the GC listener. */
    @Override
    public void close() {
        monitor.shutdownNow();
        gc.close();
        gcPauses.close();
        registry.close();
    }
}
