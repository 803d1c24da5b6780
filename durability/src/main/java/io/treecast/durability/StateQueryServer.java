package io.treecast.durability;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.treecast.fastpath.Leaf;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.TreecastException;
import io.treecast.proto.Change;
import io.treecast.proto.Snapshot;
import io.treecast.proto.Value;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

/**
 * The interactive-query endpoint of one state instance ({@code treecast state --query-port}), over plain HTTP (the
 * JDK's server: no dependency), answering for this instance's partitions only:
 *
 * <ul>
 *   <li>{@code GET /snapshot?pattern=P&min_seq=S}: 200 with a protobuf {@code treecast.v1.Snapshot} (its {@code seq}
 *       = the seq up to which the answered partitions are complete, at least S; leaves with their own seqs) and the
 *       header {@code Treecast-Partitions: 0,3,5}. 503 {@code "UNAVAILABLE: ..."} when it cannot answer exactly
 *       (starting, rebalancing, behind S); 400 {@code "INVALID_PATTERN: ..."} / {@code "INVALID_REQUEST: ..."} for
 *       a bad query.</li>
 *   <li>{@code GET /owners}: one line per partition, {@code "<partition> <host:port>"}, from Kafka Streams' metadata
 *       ({@code application.server} of each instance).</li>
 * </ul>
 *
 * <pre>{@code
 * TreeState state = TreeState.create(config, bootstrap, partitions, dir, TreeState.applicationId(tree), "10.0.0.5:7400");
 * state.begin();
 * StateQueryServer queries = StateQueryServer.start(state, "0.0.0.0", 7400);
 * }</pre>
 */
public final class StateQueryServer implements AutoCloseable {
    /** The header naming the partitions an answer covers. */
    public static final String PARTITIONS_HEADER = "Treecast-Partitions";
    private final HttpServer http;
    private final ExecutorService threads;
    /** The state answered for; null until {@link #serve}: queries get UNAVAILABLE meanwhile. */
    private volatile TreeState state;

    private StateQueryServer(HttpServer http, ExecutorService threads) {
        this.http = http;
        this.threads = threads;
    }

    /** Listens on {@code host:port} (0 = any free port) and answers for {@code state}. */
    public static StateQueryServer start(TreeState state, String host, int port) throws IOException {
        StateQueryServer server = start(host, port);
        server.serve(state);
        return server;
    }

    /**
     * Listens on {@code host:port} (0 = any free port) before the state exists, so that its bound port can be
     * advertised as the state's {@code application.server}; queries get UNAVAILABLE until {@link #serve}.
     */
    public static StateQueryServer start(String host, int port) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 64);
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "treecast-state-queries");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(threads);
        StateQueryServer server = new StateQueryServer(http, threads);
        http.createContext("/snapshot", exchange -> snapshot(server.state, exchange));
        http.createContext("/owners", exchange -> owners(server.state, exchange));
        http.start();
        return server;
    }

    /** Answers for {@code treeState} from now on. */
    public void serve(TreeState treeState) {
        this.state = treeState;
    }

    /** The bound address (the real port when started with 0). */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    private static void snapshot(TreeState state, HttpExchange exchange) throws IOException {
        try (exchange) {
            if (state == null) {
                send(exchange, 503, "UNAVAILABLE: the state instance is starting: ask again shortly");
                return;
            }
            Map<String, String> q = query(exchange.getRequestURI().getRawQuery());
            PathPattern pattern;
            long minSeq;
            try {
                pattern = PathPattern.parse(q.getOrDefault("pattern", "**"));
                minSeq = Long.parseLong(q.getOrDefault("min_seq", "1"));
            } catch (TreecastException e) {
                send(exchange, 400, e.code() + ": " + e.getMessage());
                return;
            } catch (NumberFormatException e) {
                send(exchange, 400, "INVALID_REQUEST: min_seq must be an integer, was \"" + q.get("min_seq") + "\"");
                return;
            }
            TreeState.PartialSnapshot part;
            try {
                part = state.localSnapshot(pattern, minSeq);
            } catch (StateUnavailableException e) {
                send(exchange, 503, "UNAVAILABLE: " + e.getMessage());
                return;
            }
            Snapshot.Builder b = Snapshot.newBuilder().setSeq(part.completeSeq());
            for (Leaf leaf : part.leaves()) {
                b.addLeaves(Change.newBuilder().setPath(leaf.path().toString()).setSet(Value.parseFrom(leaf.value())).setSeq(leaf.seq()));
            }
            byte[] body = b.build().toByteArray();
            exchange.getResponseHeaders().add(PARTITIONS_HEADER,
                    part.partitions().stream().map(String::valueOf).collect(Collectors.joining(",")));
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } catch (RuntimeException e) {
            send(exchange, 500, "INTERNAL: " + e);
        }
    }

    private static void owners(TreeState state, HttpExchange exchange) throws IOException {
        try (exchange) {
            if (state == null) {
                send(exchange, 503, "UNAVAILABLE: the state instance is starting: ask again shortly");
                return;
            }
            StringBuilder b = new StringBuilder();
            state.owners().forEach((part, host) -> b.append(part).append(' ').append(host).append('\n'));
            send(exchange, 200, b.toString());
        } catch (RuntimeException e) {
            send(exchange, 503, "UNAVAILABLE: the instance cannot tell its group's owners now (" + e.getMessage() + ")");
        }
    }

    private static void send(HttpExchange exchange, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null) {
            return out;
        }
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Override
    public void close() {
        http.stop(0);
        threads.shutdownNow();
    }
}
