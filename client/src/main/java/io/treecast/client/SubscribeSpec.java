package io.treecast.client;

import io.treecast.proto.Subscribe;

/**
 * What a subscriber asks for: a pattern and options. Immutable; each method returns a copy.
 *
 * <pre>{@code
 * SubscribeSpec.pattern("markets/**").snapshot().policy(Policy.STRICT).outboxCapacity(4096);
 * SubscribeSpec.pattern("markets/**").resumeAfter(41_000);
 * }</pre>
 */
public final class SubscribeSpec {
    private final String pattern;
    private final boolean snapshot;
    private final long resumeAfter;
    private final Policy policy;
    private final int outboxCapacity;

    private SubscribeSpec(String pattern, boolean snapshot, long resumeAfter, Policy policy, int outboxCapacity) {
        this.pattern = pattern;
        this.snapshot = snapshot;
        this.resumeAfter = resumeAfter;
        this.policy = policy;
        this.outboxCapacity = outboxCapacity;
    }

    /** Live events for {@code pattern}, CONFLATE, the server's default outbox. */
    public static SubscribeSpec pattern(String pattern) {
        return new SubscribeSpec(pattern, false, -1, Policy.CONFLATE, 0);
    }

    /** First the current state of every matching leaf. */
    public SubscribeSpec snapshot() {
        return new SubscribeSpec(pattern, true, resumeAfter, policy, outboxCapacity);
    }

    public SubscribeSpec snapshot(boolean on) {
        return new SubscribeSpec(pattern, on, resumeAfter, policy, outboxCapacity);
    }

    /** Exactly the events with seq &gt; {@code seq}, or RESET and a snapshot when that is too old. */
    public SubscribeSpec resumeAfter(long seq) {
        return new SubscribeSpec(pattern, snapshot, seq, policy, outboxCapacity);
    }

    public SubscribeSpec policy(Policy policy) {
        return new SubscribeSpec(pattern, snapshot, resumeAfter, policy, outboxCapacity);
    }

    /** Events the server buffers for this subscriber; 0 = its default. */
    public SubscribeSpec outboxCapacity(int events) {
        return new SubscribeSpec(pattern, snapshot, resumeAfter, policy, events);
    }

    public String pattern() { return pattern; }
    public boolean wantsSnapshot() { return snapshot; }
    /** The resume point, or -1. */
    public long resumeAfterSeq() { return resumeAfter; }
    public Policy policy() { return policy; }
    public int outboxCapacity() { return outboxCapacity; }

    /** The protobuf request. */
    public Subscribe toProto() {
        Subscribe.Builder b = Subscribe.newBuilder().setPattern(pattern).setSnapshot(snapshot)
                .setPolicy(policy == Policy.STRICT ? io.treecast.proto.Policy.STRICT : io.treecast.proto.Policy.CONFLATE)
                .setOutboxCapacity(outboxCapacity);
        if (resumeAfter >= 0) {
            b.setResumeAfter(resumeAfter);
        }
        return b.build();
    }
}
