package io.treecast.client;

import java.util.List;

/**
 * One element of a subscription stream.
 *
 * <pre>{@code
 * client.reactive().subscribe(SubscribeSpec.pattern("fx/**").snapshot())
 *       .subscribe(e -> {
 *           if (e.kind() == TreeEvent.Kind.RESET) local.clear();
 *           e.changes().forEach(c -> ...);
 *       });
 * }</pre>
 *
 * @param kind      what this event is
 * @param seq       UPDATE: the batch's seq (conflated: the newest change's); SNAPSHOT/SNAPSHOT_END: the seq the
 *                  snapshot is exact at
 * @param changes   the leaves, each with its own seq
 * @param conflated UPDATE only: intermediate values of these leaves were skipped (CONFLATE policy)
 */
public record TreeEvent(Kind kind, long seq, List<LeafChange> changes, boolean conflated) {
    /** The kinds of event, in the order a stream may contain them. */
    public enum Kind {
        /** The matching changes of one batch. */
        UPDATE,
        /** Part of the snapshot. */
        SNAPSHOT,
        /** The snapshot is complete and exact at {@link #seq()}. */
        SNAPSHOT_END,
        /** The resume point was too old: drop local state, a snapshot follows. */
        RESET
    }
}
