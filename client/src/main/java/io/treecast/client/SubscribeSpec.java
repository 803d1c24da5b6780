package io.treecast.client;

import io.treecast.proto.Subscribe;

/**
 * What a subscriber asks for: a pattern and options. Immutable; each method returns a copy.
 *
 * <pre>{@code
 * SubscribeSpec.pattern("markets/**").snapshot().policy(Policy.STRICT).outboxCapacity(4096);
 * SubscribeSpec.pattern("markets/**").resumeAfter(41_000);
 * SubscribeSpec.pattern("markets/**").eventsPerFrame(1);   // one event per frame, as simple servers expect
 * }</pre>
 */
public final class SubscribeSpec {
    private final String pattern;
    private final boolean snapshot;
    private final long resumeAfter;
    private final Policy policy;
    private final int outboxCapacity;
    private final int eventsPerFrame;

    /** The default of {@link #eventsPerFrame(int)}. */
    public static final int DEFAULT_EVENTS_PER_FRAME = 64;

    private SubscribeSpec(String pattern, boolean snapshot, long resumeAfter, Policy policy, int outboxCapacity,
                          int eventsPerFrame) {
        this.pattern = pattern;
        this.snapshot = snapshot;
        this.resumeAfter = resumeAfter;
        this.policy = policy;
        this.outboxCapacity = outboxCapacity;
        this.eventsPerFrame = eventsPerFrame;
    }

    /** Live events for {@code pattern}, CONFLATE, the server's default outbox. */
    public static SubscribeSpec pattern(String pattern) {
        return new SubscribeSpec(pattern, false, -1, Policy.CONFLATE, 0, DEFAULT_EVENTS_PER_FRAME);
    }

    /** First the current state of every matching leaf. */
    public SubscribeSpec snapshot() {
        return new SubscribeSpec(pattern, true, resumeAfter, policy, outboxCapacity, eventsPerFrame);
    }

    public SubscribeSpec snapshot(boolean on) {
        return new SubscribeSpec(pattern, on, resumeAfter, policy, outboxCapacity, eventsPerFrame);
    }

    /** Exactly the events with seq &gt; {@code seq}, or RESET and a snapshot when that is too old. */
    public SubscribeSpec resumeAfter(long seq) {
        return new SubscribeSpec(pattern, snapshot, seq, policy, outboxCapacity, eventsPerFrame);
    }

    public SubscribeSpec policy(Policy policy) {
        return new SubscribeSpec(pattern, snapshot, resumeAfter, policy, outboxCapacity, eventsPerFrame);
    }

    /**
     * Events the server buffers for this subscriber; 0 = its default, which depends on the policy: CONFLATE gets
     * {@code engine.default-outbox-capacity} events (16,384), STRICT is bounded by bytes instead
     * ({@code engine.outbox-max-bytes}, 64 MiB: ~19 s of a {@code **} reader at 50,000 events/s), so it rides out a
     * stall of its reader. A count set here bounds it further.
     */
    public SubscribeSpec outboxCapacity(int events) {
        return new SubscribeSpec(pattern, snapshot, resumeAfter, policy, events, eventsPerFrame);
    }

    /**
     * Up to {@code n} events that the server has ready at the same moment travel in one frame (default
     * {@value #DEFAULT_EVENTS_PER_FRAME}; 1 = one event per frame). Events are never held back to fill a frame, so
     * this costs no latency; at high rates it saves most of the per-frame work on both sides. 1..1024.
     */
    public SubscribeSpec eventsPerFrame(int n) {
        if (n < 1 || n > 1024) {
            throw new IllegalArgumentException("events per frame must be 1..1024, was " + n);
        }
        return new SubscribeSpec(pattern, snapshot, resumeAfter, policy, outboxCapacity, n);
    }

    public String pattern() { return pattern; }
    public boolean wantsSnapshot() { return snapshot; }
    /** The resume point, or -1. */
    public long resumeAfterSeq() { return resumeAfter; }
    public Policy policy() { return policy; }
    public int outboxCapacity() { return outboxCapacity; }
    public int eventsPerFrame() { return eventsPerFrame; }

    /** The protobuf request. */
    public Subscribe toProto() {
        Subscribe.Builder b = Subscribe.newBuilder().setPattern(pattern).setSnapshot(snapshot)
                .setPolicy(policy == Policy.STRICT ? io.treecast.proto.Policy.STRICT : io.treecast.proto.Policy.CONFLATE)
                .setOutboxCapacity(outboxCapacity)
                .setMaxEventsPerFrame(eventsPerFrame);
        if (resumeAfter >= 0) {
            b.setResumeAfter(resumeAfter);
        }
        return b.build();
    }
}
