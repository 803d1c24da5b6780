package io.treecast.client;

import io.treecast.client.internal.ClientConnection;
import reactor.core.Disposable;

import java.net.URI;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A connection to a Treecast server, blocking flavour; {@link #reactive()} gives the same calls as Reactor types.
 *
 * <pre>{@code
 * try (TreecastClient client = TreecastClient.connect("tcp://127.0.0.1:7070")) {   // or ws://host:7071/rsocket
 *     long seq = client.set("markets/eu/fx/EURUSD/bid", 1.0842);
 *     client.update(b -> b.set("a/x", 1).set("a/y", "s").delete("a/z"), AckMode.APPLIED);
 *     Snapshot s = client.get("markets/**");
 *     Children level = client.children("markets");           // names one level down: eu/, us/, ...
 *     ClientSubscription sub = client.subscribe("markets/**", opts -> opts.snapshot().policy(Policy.STRICT),
 *             event -> System.out.println(event));
 *     Mirror fx = client.mirror("markets/eu/fx/**");       // a live, self-healing local replica
 * }
 * }</pre>
 *
 * Thread-safe. The connection is made on first use and made again after it was lost. All connections of all
 * clients in a JVM share reactor-netty's event loops: a client costs a socket, not a thread. Errors are
 * {@link TreecastClientException}s with the server's code.
 */
public final class TreecastClient implements AutoCloseable {
    private final ClientConnection connection;
    private final ReactiveTreecastClient reactive;
    private final ClientOptions options;

    private TreecastClient(ClientConnection connection, ClientOptions options) {
        this.connection = connection;
        this.options = options;
        this.reactive = new ReactiveTreecastClient(connection);
    }

    /** Connects to {@code tcp://host:port} or {@code ws://host:port/path} with default options. */
    public static TreecastClient connect(String uri) {
        return connect(uri, ClientOptions.defaults());
    }

    /**
     * Connects with {@code options}; fails fast with a {@link TreecastClientException} (CONNECTION) when the
     * server cannot be reached.
     */
    public static TreecastClient connect(String uri, ClientOptions options) {
        ClientConnection c = new ClientConnection(URI.create(uri), options);
        c.rsocket().block(options.connectTimeout());
        return new TreecastClient(c, options);
    }

    /** Like {@link #connect(String, ClientOptions)} but connects on first use. */
    public static TreecastClient lazy(String uri, ClientOptions options) {
        return new TreecastClient(new ClientConnection(URI.create(uri), options), options);
    }

    /**
     * Stops the event loops that this JVM's clients share ({@link ClientOptions#EVENT_LOOPS_PROPERTY}), waiting at most
     * {@code wait}; connections still open on them close, and a later connect starts new loops. Only for a process
     * about to exit: an idle loop waits in native code, and the JVM's exit waits up to 300 ms for such threads.
     *
     * <pre>{@code
     * try (TreecastClient c = TreecastClient.connect("tcp://127.0.0.1:7070")) { c.set("a/b", 1L); }
     * TreecastClient.stopEventLoops(Duration.ofSeconds(1));   // then exit at once
     * }</pre>
     */
    public static void stopEventLoops(java.time.Duration wait) {
        io.treecast.client.internal.ClientLoops.stop(wait);
    }

    /** The reactive flavour on the same connection. */
    public ReactiveTreecastClient reactive() {
        return reactive;
    }

    public long set(String path, String value) { return update(b -> b.set(path, value)); }
    public long set(String path, long value) { return update(b -> b.set(path, value)); }
    public long set(String path, double value) { return update(b -> b.set(path, value)); }
    public long set(String path, boolean value) { return update(b -> b.set(path, value)); }
    public long set(String path, byte[] value) { return update(b -> b.set(path, value)); }
    public long set(String path, TreeValue value) { return update(b -> b.set(path, value)); }

    /** Deletes a leaf or a whole subtree; returns the seq. */
    public long delete(String path) {
        return update(b -> b.delete(path));
    }

    /** Applies the changes made by {@code spec} atomically (ack APPLIED); returns the seq. */
    public long update(Consumer<ChangeBatch> spec) {
        return update(ChangeBatch.of(spec), AckMode.APPLIED);
    }

    public long update(Consumer<ChangeBatch> spec, AckMode ack) {
        return update(ChangeBatch.of(spec), ack);
    }

    public long update(ChangeBatch batch, AckMode ack) {
        return call(reactive.update(batch, ack).block(options.requestTimeout()));
    }

    /**
     * Fire-and-forget, the call for throughput: encodes the batch and queues it for the connection's event loop,
     * then returns without waiting for the write (one thread sustains well over 50,000 publishes/s). On TCP and TLS
     * the batch is encoded straight into one pooled buffer that is the whole RSocket frame, and the event loop
     * writes every frame queued since its last pass with one flush. Publishes from one thread reach the server in
     * the order they were made. It blocks only to connect, when there is no open connection; it throws
     * {@link TreecastClientException} CLOSED after {@link #close()}, CONNECTION when it cannot connect. Frames
     * queued when the connection is lost are dropped (the next call connects again). The server refuses bad
     * batches without an answer (it counts them); use {@link #update} when you need the seq or the error. What an
     * application publishes faster than the server reads waits in a bounded buffer
     * ({@link ClientOptions#publishBufferBytes(int)}, 16 MiB): when it is full this call waits for room, up to the
     * request timeout, then throws OVERLOADED (nothing of that publish was sent). A server whose inbound queue is full
     * stops reading the connection instead of dropping what it sent, so a too-fast publisher is slowed, not thinned.
     *
     * <pre>{@code
     * for (int i = 0; i < 1_000_000; i++) client.publish(b -> b.set("fx/EURUSD/bid", 1.08 + i * 1e-6));
     * }</pre>
     */
    public void publish(Consumer<ChangeBatch> spec) {
        publish(ChangeBatch.of(spec));
    }

    /** As {@link #publish(Consumer)}, for a batch built beforehand. */
    public void publish(ChangeBatch batch) {
        if (!reactive.publishNow(batch, ReactiveTreecastClient.IGNORE_ERRORS)) {
            reactive.publish(batch).block(options.requestTimeout());
        }
    }

    /** The leaves matching {@code pattern}, exact at one seq. */
    public Snapshot get(String pattern) {
        return reactive.get(pattern).block(options.requestTimeout());
    }

    /**
     * The first page (up to 1000) of the direct children of the node at {@code path} ({@code ""} = the root),
     * sorted by name; a leaf or a missing node has none.
     *
     * <pre>{@code
     * for (Children.Child c : client.children("markets/eu").children()) {
     *     System.out.println(c.name() + (c.leaf() ? "" : "/"));   // fx/, eq/, ...
     * }
     * }</pre>
     */
    public Children children(String path) {
        return reactive.children(path).block(options.requestTimeout());
    }

    /**
     * A page of the children of {@code path}: at most {@code limit} (1..10000; 0 = 1000) whose name sorts after
     * {@code after} ({@code ""} = from the first); page on with {@link Children#nextAfter()}. Errors as
     * {@link ReactiveTreecastClient#children(String, int, String)} says (INVALID_PATH, INVALID_REQUEST, FORBIDDEN,
     * OVERLOADED).
     *
     * <pre>{@code
     * Children page = client.children("markets", 500, "");
     * while (page.nextAfter() != null) page = client.children("markets", 500, page.nextAfter());
     * }</pre>
     */
    public Children children(String path, int limit, String after) {
        return reactive.children(path, limit, after).block(options.requestTimeout());
    }

    /** Live events of {@code pattern} to {@code onEvent} (on a Netty thread: do not block in it). */
    public ClientSubscription subscribe(String pattern, Consumer<TreeEvent> onEvent) {
        return subscribe(SubscribeSpec.pattern(pattern), onEvent, e -> { });
    }

    /** With options: {@code subscribe("fx/**", o -> o.snapshot().resumeAfter(42).policy(Policy.STRICT), e -> ...)}. */
    public ClientSubscription subscribe(String pattern, UnaryOperator<SubscribeSpec> options, Consumer<TreeEvent> onEvent) {
        return subscribe(options.apply(SubscribeSpec.pattern(pattern)), onEvent, e -> { });
    }

    /** Full control: {@code onError} hears how the stream ended (SLOW_CONSUMER, SHUTTING_DOWN, CONNECTION...). */
    public ClientSubscription subscribe(SubscribeSpec spec, Consumer<TreeEvent> onEvent, Consumer<TreecastClientException> onError) {
        Disposable d = reactive.subscribe(spec).subscribe(onEvent, e -> onError.accept(ClientConnection.map(e)));
        return new ClientSubscription(d);
    }

    /**
     * A live local replica of the leaves matching {@code pattern} that reconnects and resumes by itself.
     * Close it to stop it; {@link Mirror#awaitReady} waits for the first snapshot.
     */
    public Mirror mirror(String pattern) {
        return new Mirror(reactive, pattern);
    }

    /** The server this client talks to. */
    public URI uri() {
        return connection.uri();
    }

    /** Whether the open connection publishes through the direct frame writer (tests: the fallback is not taken). */
    boolean publishesDirect() {
        ClientConnection.Live live = connection.openLiveOrNull();
        return live != null && live.writer() != null;
    }

    private static long call(Long seq) {
        return seq;
    }

    @Override
    public void close() {
        connection.close();
    }
}
