package io.treecast.fastpath;

/** The kinds of event a subscription delivers, in the order a stream may contain them. */
public enum EventKind {
    /** The matching changes of one batch (or, conflated, the newest change of several leaves). */
    UPDATE,
    /** Part of the snapshot: leaves with their own seqs; the snapshot as a whole is exact at the event's seq. */
    SNAPSHOT,
    /** The snapshot is complete and exact at the event's seq; UPDATE events with a greater seq follow. */
    SNAPSHOT_END,
    /** The resume point was too old or ahead of the engine: drop local state, a snapshot follows. */
    RESET
}
