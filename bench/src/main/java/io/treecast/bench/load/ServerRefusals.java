package io.treecast.bench.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The publishes a server refused, read from its Prometheus endpoint ({@code <metrics url>/metrics}, counter
 * {@value #METRIC}). A publish is fire-and-forget: when the server refuses one (over a connection's rate limit, the
 * journal's backlog full, a bad path) it sends no answer and only counts it. The run's "lost" then includes those
 * updates' deliveries; this count says how much of it the server refused on purpose.
 *
 * <pre>{@code
 * ServerRefusals refusals = ServerRefusals.at("http://127.0.0.1:9464");
 * long before = refusals.count();   // -1 when the endpoint cannot be read
 * }</pre>
 */
public final class ServerRefusals {
    static final String METRIC = "treecast_gateway_rejected_without_answer_total";
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

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
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(metrics).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? parse(r.body()) : -1;
        } catch (IOException | IllegalArgumentException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The counter's value in Prometheus text, or -1 when it is not there. */
    static long parse(String prometheusText) {
        for (String line : prometheusText.split("\n")) {
            if (line.startsWith(METRIC + " ")) {
                try {
                    return (long) Double.parseDouble(line.substring(METRIC.length() + 1).trim());
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }
}
