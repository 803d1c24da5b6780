package io.treecast.fastpath;

/**
 * What a subscriber asks for. Immutable; each {@code with...} returns a copy.
 *
 * <pre>{@code
 * SubscribeOptions.of(PathPattern.parse("markets/**}{@code /bid"))
 *         .withSnapshot(true)
 *         .withPolicy(Policy.STRICT)
 *         .withOutboxCapacity(4096);
 * SubscribeOptions.of(pattern).withResumeAfter(41_000);   // events with seq > 41000, or RESET + snapshot
 * }</pre>
 */
public final class SubscribeOptions {
    /** {@link #resumeAfter()} when the subscriber does not resume. */
    public static final long NO_RESUME = -1;

    private final PathPattern pattern;
    private final boolean snapshot;
    private final long resumeAfter;
    private final Policy policy;
    private final int outboxCapacity;
    private final int eventsPerDelivery;
    private final java.util.concurrent.Executor dispatchOn;

    /** The largest {@link #withEventsPerDelivery(int)}: it bounds how much one delivery may hold. */
    public static final int MAX_EVENTS_PER_DELIVERY = 1024;

    private SubscribeOptions(PathPattern pattern, boolean snapshot, long resumeAfter, Policy policy, int outboxCapacity,
                             int eventsPerDelivery, java.util.concurrent.Executor dispatchOn) {
        this.pattern = pattern;
        this.snapshot = snapshot;
        this.resumeAfter = resumeAfter;
        this.policy = policy;
        this.outboxCapacity = outboxCapacity;
        this.eventsPerDelivery = eventsPerDelivery;
        this.dispatchOn = dispatchOn;
    }

    /** Live events only, CONFLATE, the engine's default outbox capacity. */
    public static SubscribeOptions of(PathPattern pattern) {
        if (pattern == null) {
            throw new NullPointerException("pattern is required");
        }
        return new SubscribeOptions(pattern, false, NO_RESUME, Policy.CONFLATE, 0, 1, null);
    }

    /** First the current state of every matching leaf, then live events. */
    public SubscribeOptions withSnapshot(boolean snapshot) {
        return new SubscribeOptions(pattern, snapshot, resumeAfter, policy, outboxCapacity, eventsPerDelivery, dispatchOn);
    }

    /** Resume: exactly the matching events with seq &gt; {@code seq}, or RESET and a snapshot if that is too old. */
    public SubscribeOptions withResumeAfter(long seq) {
        if (seq < 0) {
            throw new TreecastException(ErrorCode.INVALID_REQUEST, "resume_after must be >= 0, was " + seq);
        }
        return new SubscribeOptions(pattern, snapshot, seq, policy, outboxCapacity, eventsPerDelivery, dispatchOn);
    }

    public SubscribeOptions withPolicy(Policy policy) {
        if (policy == null) {
            throw new NullPointerException("policy is required");
        }
        return new SubscribeOptions(pattern, snapshot, resumeAfter, policy, outboxCapacity, eventsPerDelivery, dispatchOn);
    }

    /** Events buffered for this subscriber; 0 means the engine's default. Bounded by the engine's maximum. */
    public SubscribeOptions withOutboxCapacity(int capacity) {
        if (capacity < 0) {
            throw new TreecastException(ErrorCode.INVALID_REQUEST, "outbox capacity must be >= 0, was " + capacity);
        }
        return new SubscribeOptions(pattern, snapshot, resumeAfter, policy, capacity, eventsPerDelivery, dispatchOn);
    }

    /**
     * Lets the engine hand over up to {@code n} events that are ready at the same time as one <em>delivery</em>:
     * {@link EventHandler#onEvent} for each, then {@link EventHandler#onDeliveryEnd()}, and one unit of
     * {@link Subscription#request(long) demand} for the whole delivery. A network gateway sends a delivery as one
     * frame, which at high rates saves most of the per-frame cost; an event is never held back to fill a delivery.
     * Default 1: every event is its own delivery, and demand counts events.
     */
    public SubscribeOptions withEventsPerDelivery(int n) {
        if (n < 1 || n > MAX_EVENTS_PER_DELIVERY) {
            throw new TreecastException(ErrorCode.INVALID_REQUEST, "events per delivery must be 1.." + MAX_EVENTS_PER_DELIVERY
                    + ", was " + n);
        }
        return new SubscribeOptions(pattern, snapshot, resumeAfter, policy, outboxCapacity, n, dispatchOn);
    }

    /**
     * Asks that this subscription's events be delivered on {@code executor}, when the engine was configured to
     * deliver on executors ({@link EngineConfig.Builder#dispatchExecutors}) and it is one of them; otherwise ignored.
     * A network gateway passes the subscriber connection's event loop, so that the events are encoded and written on
     * the thread that owns the socket, with no hand-off between a dispatcher thread and the loop.
     *
     * <pre>{@code
     * engine.subscribe(SubscribeOptions.of(pattern).withDispatchOn(channel.eventLoop()), handler);
     * }</pre>
     */
    public SubscribeOptions withDispatchOn(java.util.concurrent.Executor executor) {
        return new SubscribeOptions(pattern, snapshot, resumeAfter, policy, outboxCapacity, eventsPerDelivery, executor);
    }

    /** See {@link #withDispatchOn}; null when not asked. */
    public java.util.concurrent.Executor dispatchOn() {
        return dispatchOn;
    }

    public PathPattern pattern() {
        return pattern;
    }

    public boolean snapshot() {
        return snapshot;
    }

    /** The resume point, or {@link #NO_RESUME}. */
    public long resumeAfter() {
        return resumeAfter;
    }

    public Policy policy() {
        return policy;
    }

    public int outboxCapacity() {
        return outboxCapacity;
    }

    /** See {@link #withEventsPerDelivery(int)}. */
    public int eventsPerDelivery() {
        return eventsPerDelivery;
    }
}
