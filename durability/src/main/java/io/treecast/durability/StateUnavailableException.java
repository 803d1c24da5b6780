package io.treecast.durability;

/**
 * A state instance cannot answer a query exactly now (starting, rebalancing, not caught up to the requested seq, or
 * not owning the partitions asked for). The message says which and what to do; the caller retries another owner or
 * later. The wire form is {@code "UNAVAILABLE: <message>"} (HTTP 503 from {@link StateQueryServer}).
 */
public final class StateUnavailableException extends RuntimeException {
    public StateUnavailableException(String message) {
        super(message);
    }
}
