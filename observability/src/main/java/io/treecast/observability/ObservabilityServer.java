package io.treecast.observability;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The operator's HTTP endpoints:
 * <ul>
 *   <li>{@code GET /metrics}: every metric in the Prometheus text format;</li>
 *   <li>{@code GET /health}: 200 while the process and the engine's writer thread are alive and the writer is not
 *       stuck (work queued and no duty cycle finished for {@link TreecastMetrics#WRITER_STUCK_AFTER}), else 503;</li>
 *   <li>{@code GET /ready}: 200 once the state is recovered, the listeners are open and Kafka is reachable (or
 *       unreachable for less than the degraded budget), else 503.</li>
 * </ul>
 * With a {@link Console}, {@code /} is the web console (a live tree browser built on the JavaScript client) and
 * {@code /console/*} its files and {@code config.json}.
 * {@code /health} and {@code /ready} answer a small JSON object: {@code {"status":"UP","reason":"..."}}.
 *
 * <p>Probes must answer whatever clients do, so the server is non-blocking (reactor-netty: a half-sent request
 * holds no thread, only its socket) and a connection that sends nothing for {@link #READ_TIMEOUT} is closed. The
 * answers are computed on two bounded pools of one thread each, one for probes and one for scrapes, so that a slow
 * scrape never holds up a probe; when a pool's queue is full the request gets 503 at once instead of waiting.
 *
 * <pre>{@code
 * try (ObservabilityServer http = ObservabilityServer.start("127.0.0.1", 9464, metrics)) {
 *     System.out.println(http.uri());     // http://127.0.0.1:9464
 * }
 * }</pre>
 */
public final class ObservabilityServer implements AutoCloseable {
    /** A connection that sends nothing (an unfinished request, an idle keep-alive) for this long is closed. */
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
    /** Requests that may wait for a probe or scrape thread; more are answered 503 at once. */
    static final int QUEUE = 32;
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String JSON = "application/json; charset=utf-8";
    private static final String TEXT = "text/plain; charset=utf-8";

    private final DisposableServer http;
    private final ThreadPoolExecutor probes;
    private final ThreadPoolExecutor scrapes;

    private final boolean tls;

    private ObservabilityServer(DisposableServer http, ThreadPoolExecutor probes, ThreadPoolExecutor scrapes, boolean tls) {
        this.tls = tls;
        this.http = http;
        this.probes = probes;
        this.scrapes = scrapes;
    }

    /**
     * Binds {@code host:port} (port 0: any free port) and serves the three endpoints.
     *
     * @throws IOException when the address cannot be bound (e.g. the port is in use)
     */
    public static ObservabilityServer start(String host, int port, TreecastMetrics metrics) throws IOException {
        return start(host, port, metrics, READ_TIMEOUT, null, null, null, true);
    }

    /** As {@link #start(String, int, TreecastMetrics)}, also serving the web console (null: none). */
    public static ObservabilityServer start(String host, int port, TreecastMetrics metrics, Console consoleOrNull) throws IOException {
        return start(host, port, metrics, READ_TIMEOUT, consoleOrNull, null, null, true);
    }

    /**
     * As {@link #start(String, int, TreecastMetrics)}, over TLS when {@code sslOrNull} is given, and asking for
     * {@code Authorization: Bearer <token>} when {@code credentialCheckOrNull} is given (401 otherwise); with
     * {@code openProbes}, {@code /health} and {@code /ready} answer without a token (orchestrators' probes rarely
     * carry one).
     *
     * <pre>{@code
     * ObservabilityServer.start("0.0.0.0", 9464, metrics, security.sslContext(), security::acceptsCredential, true);
     * }</pre>
     */
    public static ObservabilityServer start(String host, int port, TreecastMetrics metrics, io.netty.handler.ssl.SslContext sslOrNull,
                                            java.util.function.Predicate<String> credentialCheckOrNull, boolean openProbes) throws IOException {
        return start(host, port, metrics, null, sslOrNull, credentialCheckOrNull, openProbes);
    }

    /**
     * As {@link #start(String, int, TreecastMetrics, io.netty.handler.ssl.SslContext, java.util.function.Predicate, boolean)},
     * also serving the web console (null: none). The console's page and files answer without a token (they hold no
     * data: the page asks for a token itself and sends it as a bearer token when it reads {@code /metrics}).
     */
    public static ObservabilityServer start(String host, int port, TreecastMetrics metrics, Console consoleOrNull,
                                            io.netty.handler.ssl.SslContext sslOrNull,
                                            java.util.function.Predicate<String> credentialCheckOrNull, boolean openProbes) throws IOException {
        return start(host, port, metrics, READ_TIMEOUT, consoleOrNull, sslOrNull, credentialCheckOrNull, openProbes);
    }

    /** Paths that answer without a token: the probes (when open) and the console's static files. */
    private static boolean openWithoutToken(String path, boolean openProbes) {
        if (openProbes && ("/health".equals(path) || "/ready".equals(path))) {
            return true;
        }
        return "/".equals(path) || path.startsWith("/console/");
    }

    /** As {@link #start(String, int, TreecastMetrics)} with another read timeout (tests). */
    static ObservabilityServer start(String host, int port, TreecastMetrics metrics, Duration readTimeout) throws IOException {
        return start(host, port, metrics, readTimeout, null, null, null, true);
    }

    private static ObservabilityServer start(String host, int port, TreecastMetrics metrics, Duration readTimeout,
                                             Console console, io.netty.handler.ssl.SslContext ssl,
                                             java.util.function.Predicate<String> credentials, boolean openProbes) throws IOException {
        ThreadPoolExecutor probes = pool("treecast-http-probe");
        ThreadPoolExecutor scrapes = pool("treecast-http-scrape");
        Scheduler probeThread = Schedulers.fromExecutorService(probes);
        Scheduler scrapeThread = Schedulers.fromExecutorService(scrapes);
        long timeoutMillis = readTimeout.toMillis();
        try {
            HttpServer server = HttpServer.create().host(host).port(port);
            if (ssl != null) {
                server = server.secure(spec -> spec.sslContext(ssl));
            }
            DisposableServer http = server
                    .doOnChannelInit((observer, channel, address) -> channel.pipeline()
                            .addFirst("treecast-close-when-silent", new CloseWhenSilent())
                            .addFirst("treecast-read-timeout", new IdleStateHandler(timeoutMillis, 0, 0, TimeUnit.MILLISECONDS)))
                    .handle((req, res) -> {
                        if (credentials != null && !openWithoutToken(req.fullPath(), openProbes)
                                && !credentials.test(bearer(req))) {
                            res.header(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
                            return send(req, res, new Answer(401, TEXT, "unauthorized: this port asks for 'Authorization: Bearer <token>' "
                                    + "with a token or JWT the server accepts (metrics.require-token)\n"));
                        }
                        return serve(req, res, metrics, console, probeThread, scrapeThread);
                    })
                    .bindNow(Duration.ofSeconds(10));
            return new ObservabilityServer(http, probes, scrapes, ssl != null);
        } catch (RuntimeException e) {
            probes.shutdownNow();
            scrapes.shutdownNow();
            throw new IOException("cannot serve metrics on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * Closes the connection when the read-timeout handler before it reports that nothing arrived for its timeout,
     * with a 408 answer. The HTTP codec is taken out first: closed under a half-decoded request it would make
     * reactor-netty log a WARN and a stack trace per hostile connection.
     */
    private static final class CloseWhenSilent extends ChannelInboundHandlerAdapter {
        private static final byte[] TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                if (ctx.pipeline().get(reactor.netty.NettyPipeline.HttpCodec) != null) {
                    ctx.pipeline().remove(reactor.netty.NettyPipeline.HttpCodec);
                }
                ctx.writeAndFlush(ctx.alloc().buffer(TIMEOUT.length).writeBytes(TIMEOUT));
                ctx.close();
            } else {
                super.userEventTriggered(ctx, evt);
            }
        }
    }

    private static ThreadPoolExecutor pool(String name) {
        AtomicInteger n = new AtomicInteger();
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    }

    private static String bearer(HttpServerRequest req) {
        String h = req.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        return h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : "";
    }

    /** One answer: status, content type, body. */
    private record Answer(int status, String type, String body) {
    }

    private static Publisher<Void> serve(HttpServerRequest req, HttpServerResponse res, TreecastMetrics metrics,
                                         Console console, Scheduler probeThread, Scheduler scrapeThread) {
        HttpMethod m = req.method();
        if (!HttpMethod.GET.equals(m) && !HttpMethod.HEAD.equals(m)) {
            res.header("Allow", "GET, HEAD");
            return send(req, res, new Answer(405, TEXT, "method " + m.name() + " not allowed: use GET\n"));
        }
        String path = req.fullPath();
        Console.Page page = console == null ? null : console.answer(path);
        if (page != null) {
            // files held in memory since the start: answered on the event loop, like the 404 below
            res.status(HttpResponseStatus.valueOf(page.status()))
                    .header(HttpHeaderNames.CONTENT_TYPE, page.type())
                    .header(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(page.body().length))
                    .header(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            return HttpMethod.HEAD.equals(m) ? res.send() : res.sendByteArray(Mono.just(page.body()));
        }
        Supplier<Answer> work;
        Scheduler on;
        switch (path) {
            case "/metrics":
                on = scrapeThread;
                work = () -> {
                    try {
                        return new Answer(200, PROMETHEUS_TEXT, metrics.scrape());
                    } catch (RuntimeException e) {
                        return new Answer(500, TEXT, "the scrape failed: " + e + "\n");
                    }
                };
                break;
            case "/health":
                on = probeThread;
                work = () -> status(metrics.live());
                break;
            case "/ready":
                on = probeThread;
                work = () -> status(metrics.ready());
                break;
            default:
                return send(req, res, new Answer(404, TEXT, console == null ? "not found: use /metrics, /health or /ready\n"
                        : "not found: use / (the console), /metrics, /health or /ready\n"));
        }
        return Mono.fromSupplier(work).subscribeOn(on)
                .onErrorResume(RejectedExecutionException.class, busy -> Mono.just(new Answer(503, TEXT,
                        "busy: " + QUEUE + " requests are already waiting for this endpoint; retry shortly\n")))
                .flatMap(a -> Mono.from(send(req, res, a)));
    }

    private static Answer status(TreecastMetrics.Status s) {
        String body = "{\"status\":\"" + (s.ok() ? "UP" : "DOWN") + "\",\"reason\":\"" + jsonEscape(s.reason()) + "\"}\n";
        return new Answer(s.ok() ? 200 : 503, JSON, body);
    }

    private static Publisher<Void> send(HttpServerRequest req, HttpServerResponse res, Answer a) {
        byte[] bytes = a.body.getBytes(StandardCharsets.UTF_8);
        res.status(HttpResponseStatus.valueOf(a.status))
                .header(HttpHeaderNames.CONTENT_TYPE, a.type)
                .header(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(bytes.length));
        if (HttpMethod.HEAD.equals(req.method())) {
            return res.send();
        }
        return res.sendByteArray(Mono.just(bytes));
    }

    /** The bound address (the real port when started with port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) http.address();
    }

    /** {@code http://host:port}, e.g. {@code http://127.0.0.1:9464}. */
    public String uri() {
        InetSocketAddress a = address();
        return (tls ? "https://" : "http://") + a.getHostString() + ":" + a.getPort();
    }

    static String jsonEscape(String s) {
        return new String(JsonStringEncoder.getInstance().quoteAsString(s));
    }

    /** Stops serving (waits up to a second for exchanges in progress). */
    @Override
    public void close() {
        http.disposeNow(Duration.ofSeconds(1));
        probes.shutdownNow();
        scrapes.shutdownNow();
    }
}
