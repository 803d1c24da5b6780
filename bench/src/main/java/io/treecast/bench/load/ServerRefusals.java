package io.treecast.bench.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The publishes a server refused, read from its Prometheus endpoint ({@code <metrics url>/metrics}). A publish is
 * fire-and-forget: when the server refuses one it sends no answer and only counts it, in one of two counters:
 * {@value #METRIC} when the connection refuses it (over its rate limit, a bad path, the engine's inbound queue full)
 * and {@value #WRITER_METRIC} when the engine's writer does (the journal's backlog full, the tree's budget). This is
 * their sum. The run's "lost" includes those updates' deliveries; this count says how much of it the server refused on
 * purpose. The writer's counter also counts refused {@code tree.update} requests (which get an answer): a bench run
 * sends those only to preload, before the first reading.
 *
 * <pre>{@code
 * ServerRefusals refusals = ServerRefusals.at("http://127.0.0.1:9464");
 * long before = refusals.count();   // -1 when the endpoint cannot be read
 * }</pre>
 */
public final class ServerRefusals {
    static final String METRIC = "treecast_gateway_rejected_without_answer_total";
    static final String WRITER_METRIC = "treecast_engine_batches_rejected_total";
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    /** The most of a metrics page read: a server's page is tens of KiB; something else at that URL is not read whole. */
    static final int MAX_BODY_BYTES = 4 << 20;

    private final URI metrics;
    private final HttpClient http;

    private ServerRefusals(URI metrics) {
        this.metrics = metrics;
        this.http = metrics == null ? null : HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    }

    /** The server whose metrics listen at {@code metricsUrl} (e.g. {@code http://127.0.0.1:9464}); null or empty: unknown. */
    public static ServerRefusals at(String metricsUrl) {
        if (metricsUrl == null || metricsUrl.isBlank()) {
            return new ServerRefusals(null);
        }
        String base = metricsUrl.endsWith("/") ? metricsUrl.substring(0, metricsUrl.length() - 1) : metricsUrl;
        return new ServerRefusals(URI.create(base.endsWith("/metrics") ? base : base + "/metrics"));
    }

    /** Publishes the server refused since it started, or -1 when not known (no URL, unreachable, no such counter). */
    public long count() {
        if (metrics == null) {
            return -1;
        }
        try {
            HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(metrics).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (java.io.InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    return -1;
                }
                byte[] page = in.readNBytes(MAX_BODY_BYTES + 1);
                // a page past the bound is not a Treecast server's: unknown rather than a sum of part of it
                return page.length > MAX_BODY_BYTES ? -1 : parse(new String(page, java.nio.charset.StandardCharsets.UTF_8));
            }
        } catch (IOException | IllegalArgumentException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The sum of the two counters in Prometheus text, or -1 when neither is there. */
    static long parse(String prometheusText) {
        long sum = -1;
        for (String line : prometheusText.split("\n")) {
            for (String metric : new String[]{METRIC, WRITER_METRIC}) {
                if (line.startsWith(metric + " ")) {
                    try {
                        sum = Math.max(sum, 0) + (long) Double.parseDouble(line.substring(metric.length() + 1).trim());
                    } catch (NumberFormatException e) {
                        return -1;
                    }
                }
            }
        }
        return sum;
    }
}
