/**
 * Observability of a Treecast server: {@link io.treecast.observability.TreecastMetrics} (Micrometer metrics in a
 * Prometheus registry, liveness, readiness) and {@link io.treecast.observability.ObservabilityServer}
 * ({@code /metrics}, {@code /health}, {@code /ready} over HTTP).
 *
 * <pre>{@code
 * TreecastMetrics metrics = TreecastMetrics.create(Duration.ofSeconds(30));
 * ObservabilityServer http = ObservabilityServer.start("127.0.0.1", 9464, metrics);
 * metrics.attach(TreecastServer.start(config, null), null);
 * }</pre>
 *
 * Every metric is listed with its type, labels and meaning in {@code observability/README.md}.
 */
package io.treecast.observability;
