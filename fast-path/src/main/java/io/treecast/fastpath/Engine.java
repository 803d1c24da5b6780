package io.treecast.fastpath;

import java.util.concurrent.CompletableFuture;

/**
 * The Treecast engine: one in-memory tree, one writer thread that gives every batch a global seq, a subscription
 * index, per-subscription bounded outboxes drained by dispatcher threads, a replay ring for resume, and a port
 * to a durable {@link Journal}. No network, no Kafka.
 *
 * <pre>{@code
 * try (Engine engine = Engine.start(EngineConfig.builder().build())) {
 *     Subscription sub = engine.subscribe(
 *             SubscribeOptions.of(PathPattern.parse("markets/**}{@code /bid")).withSnapshot(true),
 *             new EventHandler() {
 *                 public void onEvent(EventView e) { ... }
 *                 public void onEnd(ErrorCode code, String message, long lastSeq) { ... }
 *             });
 *     sub.request(Long.MAX_VALUE);
 *     engine.offer(Batch.of(Change.set(TreePath.parse("markets/eu/fx/EURUSD/bid"), value)));
 * }
 * }</pre>
 *
 * All methods are thread-safe. Handlers and listeners are called on engine threads and must not block.
 */
public interface Engine extends AutoCloseable {

    /** Recovers state from the configured journal (if any), then starts the writer and dispatcher threads. */
    static Engine start(EngineConfig config) {
        return io.treecast.fastpath.internal.DefaultEngine.start(config);
    }

    /** Fire-and-forget: queue a batch. Never blocks. */
    OfferResult offer(Batch batch);

    /**
     * Queue a batch and hear its seq (or its error) through {@code listener}, on the writer thread, once it is
     * applied ({@link AckMode#APPLIED}) or durable ({@link AckMode#DURABLE}). Never blocks; when the result is
     * not {@link OfferResult#ACCEPTED} the listener is not called.
     */
    OfferResult offer(Batch batch, AckMode mode, AckListener listener);

    /**
     * Registers a subscription. Its handler receives nothing until {@link Subscription#request(long)}.
     *
     * @throws TreecastException {@link ErrorCode#TOO_MANY_SUBSCRIPTIONS} past the engine's limit,
     *                           {@link ErrorCode#INVALID_REQUEST} for an outbox larger than the maximum,
     *                           {@link ErrorCode#SHUTTING_DOWN} after {@link #close()}
     */
    Subscription subscribe(SubscribeOptions options, EventHandler handler);

    /** The leaves matching {@code pattern}, exact at one seq, computed off the writer thread. */
    CompletableFuture<TreeSnapshot> get(PathPattern pattern);

    /**
     * The direct children of the node at {@code pathOrNull} (null: the root) whose names sort after
     * {@code after} ("" = from the first), at most {@code limit} of them, sorted by name. Read from the live tree
     * without involving the writer, so a child added or removed meanwhile may be missed or still listed; a path
     * that is a leaf or does not exist has no children. Costs O(children of the node); call it off event loops.
     */
    default ChildListing children(TreePath pathOrNull, String after, int limit) {
        throw new UnsupportedOperationException("this engine does not list children");
    }

    /** The last seq applied. */
    long currentSeq();

    /** The journal's durable watermark (0 without a journal). */
    long durableSeq();

    /** Whether the engine is degraded: a journal is configured but reports itself unhealthy or lags past half its capacity. */
    boolean degraded();

    EngineStats stats();

    /** Stops accepting batches, applies what is queued, ends subscriptions with SHUTTING_DOWN, stops threads. */
    @Override
    void close();
}
