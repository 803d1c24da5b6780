package io.treecast.fastpath;

/** What a subscription does when its outbox overflows (DESIGN.md, guarantee 4). */
public enum Policy {
    /**
     * Default. Past the outbox's high mark, keep only the newest pending change per leaf; the event that carries
     * them is marked conflated. The subscriber always converges to the current state.
     */
    CONFLATE,
    /** When the outbox is full, end the subscription with {@link ErrorCode#SLOW_CONSUMER} and the last seq sent. */
    STRICT
}
