package io.treecast.fastpath;

/** When the {@link AckListener} of a batch is told its seq. */
public enum AckMode {
    /** As soon as the batch is applied to the tree. */
    APPLIED,
    /** Once the journal reports the batch's seq durable; {@link ErrorCode#UNAVAILABLE} when there is no journal. */
    DURABLE
}
