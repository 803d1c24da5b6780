package io.treecast.fastpath.internal;

/**
 * Where a subscription stands on its dispatcher. A plain subscription goes INIT -> LIVE -> DONE; a snapshot, a resume
 * or a reset passes through the {@link CatchUp} phases in between (README, "Snapshot" and "Resume").
 */
enum Phase {
    /** Registered by the writer at S0, not yet looked at: decides live, replay or snapshot. */
    INIT,
    /** Replaying the matching batches (R, S0] from the replay ring. */
    REPLAY,
    /** A too-old resume waits for the snapshot store's answer (its leaves complete up to some S). */
    STORE,
    /** The snapshot worker merges the store's leaves with the ring up to P (then EMIT, or WALK when the ring cannot bridge). */
    CATCH_UP,
    /** The snapshot worker walks the live tree. */
    WALK,
    /** Waits until the writer published P and holds no conflated change, so every outbox entry up to P is held. */
    WAIT,
    /** The snapshot worker merges the held entries up to P into the walked leaves (then EMIT). */
    MERGE,
    /** Sends RESET (when pending), the SNAPSHOT events and SNAPSHOT_END(P). */
    EMIT,
    /** Held entries, then the outbox. */
    LIVE,
    /** Cancelled or ended: the dispatcher forgets it. */
    DONE
}
