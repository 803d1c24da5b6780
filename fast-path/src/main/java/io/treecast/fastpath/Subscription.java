package io.treecast.fastpath;

/** A handle on a live subscription. Thread-safe. */
public interface Subscription {
    /** The engine-wide id of this subscription. */
    long id();

    PathPattern pattern();

    /** Adds {@code n} to the number of events the handler may be given (RSocket request-n). */
    void request(long n);

    /** Stops delivery and removes the subscription from the index. Idempotent. */
    void cancel();
}
