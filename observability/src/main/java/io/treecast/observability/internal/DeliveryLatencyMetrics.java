package io.treecast.observability.internal;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.treecast.fastpath.LatencyHistogram;

/**
 * Publishes the gateway's delivery latency histogram (batch applied by the engine → encoded event handed to the
 * subscriber's connection) twice: as a Prometheus histogram {@code treecast_delivery_latency_seconds} (cumulative,
 * for {@code histogram_quantile} over any range) and as gauges of p50/p99/p99.9 over a sliding window of about a
 * minute ({@code treecast_delivery_latency_percentile_seconds{quantile=...}}). The histogram is recorded on
 * dispatcher threads without locks or allocation; everything here runs on the scrape and monitor threads.
 */
public final class DeliveryLatencyMetrics implements MeterBinder, Collector {
    public static final String HISTOGRAM = "treecast_delivery_latency_seconds";
    /** Bucket bounds of the published histogram, in seconds: 10 µs .. 10 s, 1-2.5-5 per decade. */
    static final double[] BOUNDS = {
            0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
            0.1, 0.25, 0.5, 1, 2.5, 5, 10, Double.POSITIVE_INFINITY};
    static final double[] QUANTILES = {0.5, 0.99, 0.999};
    /** The window is WINDOW_SLOTS ticks of the monitor (one a second in production). */
    static final int WINDOW_SLOTS = 60;

    private final LatencyHistogram histogram;
    private final LatencyHistogram.Snapshot[] ring = new LatencyHistogram.Snapshot[WINDOW_SLOTS];
    private int tick;
    private volatile double[] windowed = new double[QUANTILES.length];

    public DeliveryLatencyMetrics(LatencyHistogram histogram) {
        this.histogram = histogram;
    }

    @Override
    public void bindTo(MeterRegistry r) {
        for (int i = 0; i < QUANTILES.length; i++) {
            int q = i;
            Gauge.builder("treecast.delivery.latency.percentile", this, m -> m.windowed[q])
                    .description("Delivery latency (batch applied → event handed to the subscriber's connection) at this quantile over the last minute")
                    .tag("quantile", Double.toString(QUANTILES[i])).baseUnit("seconds").register(r);
        }
        Gauge.builder("treecast.delivery.latency.max", histogram, h -> h.snapshot().max() / 1e9)
                .description("Largest delivery latency since start").baseUnit("seconds").register(r);
    }

    /** Moves the sliding window by one slot and recomputes its quantiles; the monitor thread calls it once a second. */
    public synchronized void tick() {
        LatencyHistogram.Snapshot now = histogram.snapshot();
        LatencyHistogram.Snapshot oldest = ring[tick % WINDOW_SLOTS];
        ring[tick % WINDOW_SLOTS] = now;
        tick++;
        LatencyHistogram.Snapshot window = oldest == null ? now : now.minus(oldest);
        double[] q = new double[QUANTILES.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = window.valueAtQuantile(QUANTILES[i]) / 1e9;
        }
        windowed = q;
    }

    @Override
    public MetricSnapshot collect() {
        LatencyHistogram.Snapshot s = histogram.snapshot();
        long[] counts = new long[BOUNDS.length];
        long below = 0;
        for (int i = 0; i < BOUNDS.length; i++) {
            long cumulative = Double.isInfinite(BOUNDS[i]) ? s.count() : s.countAtOrBelow((long) (BOUNDS[i] * 1e9));
            counts[i] = Math.max(0, cumulative - below);
            below += counts[i];
        }
        HistogramSnapshot.HistogramDataPointSnapshot.Builder point = HistogramSnapshot.HistogramDataPointSnapshot.builder()
                .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS, counts));
        point.sum(s.sum() / 1e9);
        return HistogramSnapshot.builder()
                .name(HISTOGRAM)
                .help("Delivery latency: batch applied by the engine → encoded event handed to the subscriber's connection")
                .dataPoint(point.build())
                .build();
    }

    @Override
    public String getPrometheusName() {
        return HISTOGRAM;
    }
}
