package io.treecast.observability;

import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.EventView;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.SubscribeOptions;
import io.treecast.fastpath.TreePath;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The probes answer whatever clients do to the metrics port (before: two half-sent requests hung /health, /ready and
 * /metrics forever), and /health turns 503 when the engine's writer thread is alive but stuck.
 */
class ProbesUnderHostileClientsIT {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Socket> sockets = new ArrayList<>();
    private TreecastMetrics metrics;
    private ObservabilityServer endpoints;
    private TreecastServer server;

    @AfterEach
    void stop() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
        if (endpoints != null) {
            endpoints.close();
        }
        if (metrics != null) {
            metrics.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(endpoints.uri() + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private Socket halfSentRequest() throws Exception {
        Socket s = new Socket("127.0.0.1", endpoints.address().getPort());
        sockets.add(s);
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        // the request line and one header, never the blank line that ends the request
        out.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }

    @Test
    void probesAnswerWhileHalfSentRequestsAreHeldOpenAndThoseAreClosedAfterTheReadTimeout() throws Exception {
        metrics = TreecastMetrics.create(Duration.ofSeconds(30));
        endpoints = ObservabilityServer.start("127.0.0.1", 0, metrics, Duration.ofSeconds(1));
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false").build(), null);
        metrics.attach(server, null);
        Socket a = halfSentRequest();
        Socket b = halfSentRequest();
        for (int i = 0; i < 3; i++) {
            assertThat(get("/health").statusCode()).isEqualTo(200);
            assertThat(get("/ready").statusCode()).isEqualTo(200);
            assertThat(get("/metrics").statusCode()).isEqualTo(200);
        }
        for (Socket s : List.of(a, b)) {
            InputStream in = s.getInputStream();
            // answered 408 and closed by the server (it never got a whole request): end of stream, not a timeout
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 408 ");
        }
        assertThat(get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void healthTurns503WhileTheWriterIsStuckAndBackTo200WhenItMovesAgain() throws Exception {
        metrics = TreecastMetrics.create(Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofMillis(1500));
        endpoints = ObservabilityServer.start("127.0.0.1", 0, metrics);
        // deliver-on threads with dispatcher-threads 0: the writer thread delivers events itself, so a handler that
        // blocks holds the writer, as any bug that blocks it would
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("engine.deliver-on", "threads").set("engine.dispatcher-threads", "0").build(), null);
        metrics.attach(server, null);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        io.treecast.fastpath.Subscription subscription = server.engine().subscribe(SubscribeOptions.of(PathPattern.parse("stuck/**")).withSnapshot(false), new EventHandler() {
            @Override
            public void onEvent(EventView event) {
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onEnd(ErrorCode code, String message, long lastSeq) {
            }
        });
        subscription.request(Long.MAX_VALUE);
        assertThat(get("/health").statusCode()).isEqualTo(200);
        try {
            assertThat(server.engine().offer(Batch.of(Change.set(TreePath.parse("stuck/a"), new byte[] {8, 1}))))
                    .isEqualTo(io.treecast.fastpath.OfferResult.ACCEPTED);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(blocked.getCount()).isEqualTo(0));
            for (int i = 0; i < 10; i++) {
                server.engine().offer(Batch.of(Change.set(TreePath.parse("other/" + i), new byte[] {8, 1})));
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get("/health").statusCode()).isEqualTo(503));
            HttpResponse<String> r = get("/health");
            assertThat(r.body()).contains("\"status\":\"DOWN\"").contains("writer thread is stuck").contains("batches wait");
            assertThat(get("/ready").statusCode()).isEqualTo(503);
        } finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get("/health").statusCode()).isEqualTo(200));
    }

    @Test
    void healthTurns503WhileAnEventLoopIsHeldAndBackTo200WhenItRunsAgain() throws Exception {
        metrics = TreecastMetrics.create(Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofMillis(1500));
        endpoints = ObservabilityServer.start("127.0.0.1", 0, metrics);
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false").build(), null);
        metrics.attach(server, null);
        assertThat(get("/health").statusCode()).isEqualTo(200);
        CountDownLatch release = new CountDownLatch(1);
        // a task that never returns, as a bug on a connection's event loop would be
        reactor.netty.tcp.TcpResources.get().onServer(true).next().execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get("/health").statusCode()).isEqualTo(503));
            assertThat(get("/health").body()).contains("\"status\":\"DOWN\"").contains("event loop").contains("run no task");
            assertThat(get("/ready").statusCode()).isEqualTo(503);
        } finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get("/health").statusCode()).isEqualTo(200));
    }
}
