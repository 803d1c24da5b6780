package io.treecast.fastpath;

/**
 * Receives the events of one subscription, on one of the engine's dispatcher threads, in seq order, never more
 * events than {@link Subscription#request(long) requested}. Implementations encode and hand off; they must not
 * block, since a dispatcher serves many subscriptions.
 */
public interface EventHandler {
    /** One event. The view is valid only during this call. */
    void onEvent(EventView event);

    /**
     * The events since the previous call form one delivery (see {@link SubscribeOptions#withEventsPerDelivery(int)}):
     * send them now. Called after every delivery, also of a single event, and before {@link #onEnd}.
     */
    default void onDeliveryEnd() {
    }

    /**
     * The subscription ended on the engine's side: {@link ErrorCode#SLOW_CONSUMER} (STRICT overflow) or
     * {@link ErrorCode#SHUTTING_DOWN}. {@code lastSeq} is the seq of the last event delivered, to resume after.
     * Not called after {@link Subscription#cancel()}.
     */
    void onEnd(ErrorCode code, String message, long lastSeq);
}
