package io.treecast.fastpath;

/** What happened to a batch offered to the {@link Engine}: back-pressure is a return value, not an exception. */
public enum OfferResult {
    /** Queued; it will be applied in order and its {@link AckListener} (if any) told the seq. */
    ACCEPTED,
    /** The inbound queue is full; nothing was queued. Retry later or report {@link ErrorCode#OVERLOADED}. */
    BACK_PRESSURED,
    /** The engine is closed. */
    CLOSED
}
