package io.treecast.observability;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The operator's HTTP endpoints, on the JDK's {@link HttpServer} with two threads of its own (a long scrape does
 * not hold up a probe):
 * <ul>
 *   <li>{@code GET /metrics}: every metric in the Prometheus text format;</li>
 *   <li>{@code GET /health}: 200 while the process and the engine's writer thread are alive, else 503;</li>
 *   <li>{@code GET /ready}: 200 once the state is recovered, the listeners are open and Kafka is reachable (or
 *       unreachable for less than the degraded budget), else 503.</li>
 * </ul>
 * {@code /health} and {@code /ready} answer a small JSON object: {@code {"status":"UP","reason":"..."}}.
 *
 * <pre>{@code
 * try (ObservabilityServer http = ObservabilityServer.start("127.0.0.1", 9464, metrics)) {
 *     System.out.println(http.uri());     // http://127.0.0.1:9464
 * }
 * }</pre>
 */
public final class ObservabilityServer implements AutoCloseable {
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String JSON = "application/json; charset=utf-8";

    private final HttpServer http;
    private final ExecutorService executor;

    private ObservabilityServer(HttpServer http, ExecutorService executor) {
        this.http = http;
        this.executor = executor;
    }

    /**
     * Binds {@code host:port} (port 0: any free port) and serves the three endpoints.
     *
     * @throws IOException when the address cannot be bound (e.g. the port is in use)
     */
    public static ObservabilityServer start(String host, int port, TreecastMetrics metrics) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 16);
        AtomicInteger threads = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "treecast-http-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/metrics", ex -> {
            if (allowed(ex)) {
                String text;
                try {
                    text = metrics.scrape();
                } catch (RuntimeException e) {
                    send(ex, 500, "text/plain; charset=utf-8", "the scrape failed: " + e + "\n");
                    return;
                }
                send(ex, 200, PROMETHEUS_TEXT, text);
            }
        });
        http.createContext("/health", ex -> {
            if (allowed(ex)) {
                status(ex, metrics.live());
            }
        });
        http.createContext("/ready", ex -> {
            if (allowed(ex)) {
                status(ex, metrics.ready());
            }
        });
        http.createContext("/", ex -> {
            if (allowed(ex)) {
                send(ex, 404, "text/plain; charset=utf-8", "not found: use /metrics, /health or /ready\n");
            }
        });
        http.start();
        return new ObservabilityServer(http, executor);
    }

    /** The bound address (the real port when started with port 0). */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    /** {@code http://host:port}, e.g. {@code http://127.0.0.1:9464}. */
    public String uri() {
        InetSocketAddress a = address();
        return "http://" + a.getHostString() + ":" + a.getPort();
    }

    private static boolean allowed(HttpExchange ex) throws IOException {
        String m = ex.getRequestMethod();
        if ("GET".equals(m) || "HEAD".equals(m)) {
            return true;
        }
        ex.getResponseHeaders().set("Allow", "GET, HEAD");
        send(ex, 405, "text/plain; charset=utf-8", "method " + m + " not allowed: use GET\n");
        return false;
    }

    private static void status(HttpExchange ex, TreecastMetrics.Status s) throws IOException {
        String body = "{\"status\":\"" + (s.ok() ? "UP" : "DOWN") + "\",\"reason\":\"" + jsonEscape(s.reason()) + "\"}\n";
        send(ex, s.ok() ? 200 : 503, JSON, body);
    }

    private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
        try (ex) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            boolean head = "HEAD".equals(ex.getRequestMethod());
            ex.sendResponseHeaders(code, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    static String jsonEscape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Stops serving (waits up to a second for exchanges in progress). */
    @Override
    public void close() {
        http.stop(1);
        executor.shutdownNow();
    }
}
