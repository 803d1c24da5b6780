package io.treecast.fastpath;

/**
 * A read-only view of one event, handed to {@link EventHandler#onEvent}. It is a flyweight reused by the
 * dispatcher thread: read (or encode) it during the call and do not keep it.
 *
 * <pre>{@code
 * public void onEvent(EventView e) {
 *     for (int i = 0; i < e.size(); i++) {
 *         if (e.isDelete(i)) local.remove(e.path(i)); else local.put(e.path(i), e.value(i));
 *     }
 * }
 * }</pre>
 */
public interface EventView {
    EventKind kind();

    /** UPDATE: the batch's seq (conflated: the newest change's seq). SNAPSHOT / SNAPSHOT_END / RESET: see {@link EventKind}. */
    long seq();

    /** Whether this UPDATE carries conflated changes (CONFLATE policy only). */
    boolean conflated();

    /** Number of changes in this event (0 for SNAPSHOT_END and RESET). */
    int size();

    TreePath path(int i);

    boolean isDelete(int i);

    /** The leaf's new value (the encoded protobuf {@code Value}), or {@code null} for a delete. Never modify it. */
    byte[] value(int i);

    /** The seq of the batch that made change {@code i}. */
    long changeSeq(int i);

    /**
     * UPDATE: when the engine applied the batch of {@link #seq()} ({@link System#nanoTime()} of this JVM), for
     * latency metrics; 0 when unknown (other kinds, or the batch already left the replay ring).
     */
    default long appliedNanos() {
        return 0;
    }
}
