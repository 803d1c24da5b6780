package io.treecast.observability;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The web console's files, served by {@link ObservabilityServer} next to {@code /metrics}: {@code /} is the page,
 * {@code /console/*} its script and style (read once from this jar: no files on disk, no build step at run time),
 * and {@code /console/config.json} tells the page where the server's WebSocket listener is and whether it needs a
 * token. The listener's port is known only once the server listens, so the page's config is set then
 * ({@link #describe}); until then config.json answers 503.
 *
 * <pre>{@code
 * Console console = Console.fromClasspath();
 * ObservabilityServer http = ObservabilityServer.start("127.0.0.1", 9464, metrics, console);
 * // ... once the server listens:
 * console.describe(7071, "/rsocket", false);   // {"websocket":{"scheme":"ws","port":7071,"path":"/rsocket"},"auth":false}
 * }</pre>
 */
public final class Console {
    static final String RESOURCES = "/io/treecast/observability/console/";
    /** The files of the page: name under /console/ → content type. */
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "console.js", "text/javascript; charset=utf-8",
            "console.css", "text/css; charset=utf-8");

    private final Map<String, byte[]> files;
    private volatile String config;

    private Console(Map<String, byte[]> files) {
        this.files = files;
    }

    /** The page as packaged in this jar. */
    public static Console fromClasspath() {
        java.util.HashMap<String, byte[]> loaded = new java.util.HashMap<>();
        for (String name : FILES.keySet()) {
            try (InputStream in = Console.class.getResourceAsStream(RESOURCES + name)) {
                if (in == null) {
                    throw new IllegalStateException("the console's " + name + " is missing from the observability jar ("
                            + RESOURCES + "): rebuild it (clients/js: npm run bundle)");
                }
                loaded.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new Console(Map.copyOf(loaded));
    }

    /**
     * Tells the page where to connect: the WebSocket listener's port and path on the host the page came from (0:
     * WebSocket is off), and whether SETUP needs a token (then the page asks for one). The scheme is {@code ws}.
     */
    public void describe(int webSocketPort, String webSocketPath, boolean tokenRequired) {
        describe("ws", webSocketPort, webSocketPath, tokenRequired);
    }

    /** As {@link #describe(int, String, boolean)} with the scheme: {@code ws}, or {@code wss} for a listener with TLS. */
    public void describe(String scheme, int webSocketPort, String webSocketPath, boolean tokenRequired) {
        config = "{\"websocket\":{\"scheme\":\"" + ObservabilityServer.jsonEscape(scheme) + "\",\"port\":" + webSocketPort
                + ",\"path\":\"" + ObservabilityServer.jsonEscape(webSocketPath) + "\"},\"auth\":" + tokenRequired + "}\n";
    }

    /** A file of the console: status, content type, bytes; null when {@code path} is not the console's. */
    Page answer(String path) {
        if (path.equals("/") || path.equals("/index.html")) {
            return new Page(200, FILES.get("index.html"), files.get("index.html"));
        }
        if (!path.startsWith("/console/")) {
            return null;
        }
        String name = path.substring("/console/".length());
        if (name.equals("config.json")) {
            String c = config;
            return c == null
                    ? new Page(503, "application/json; charset=utf-8",
                    "{\"error\":\"the server is starting: retry shortly\"}\n".getBytes(StandardCharsets.UTF_8))
                    : new Page(200, "application/json; charset=utf-8", c.getBytes(StandardCharsets.UTF_8));
        }
        byte[] body = files.get(name);
        return body == null ? null : new Page(200, FILES.get(name), body);
    }

    /** One answer of the console. */
    record Page(int status, String type, byte[] body) {
    }
}
