package io.treecast.fastpath;

/**
 * Hears the outcome of one offered batch. Called once, on the engine's writer thread: implementations must be
 * quick and must not block (complete a future, hand off to an event loop).
 */
public interface AckListener {
    /** The batch was applied under {@code seq} (and, for {@link AckMode#DURABLE}, that seq is durable). */
    void onAck(long seq);

    /** The batch was refused, or its durability could not be confirmed (then it was applied nonetheless). */
    void onError(ErrorCode code, String message);
}
