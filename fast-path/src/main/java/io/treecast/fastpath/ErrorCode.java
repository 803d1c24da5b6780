package io.treecast.fastpath;

/**
 * Stable, machine-readable codes for every error a client can cause or meet. Clients in any language match on
 * {@link #name()}; the accompanying message is for people and may change. This enum is the list: the Java client's
 * {@code TreecastClientException.Code} and proto/README.md's error table follow it (client's WireEnumsAgreeTest).
 */
public enum ErrorCode {
    /** A path breaks the syntax or the limits of DESIGN.md (empty segment, forbidden character, too long...). */
    INVALID_PATH,
    /** A pattern breaks the syntax or the limits (unbalanced braces, empty alternative, `a**b`...). */
    INVALID_PATTERN,
    /** A value is missing or has no kind set. */
    INVALID_VALUE,
    /** A value is larger than the configured limit. */
    VALUE_TOO_LARGE,
    /** A batch has no changes, or more changes / bytes than the configured limit. */
    INVALID_BATCH,
    /** A request is well-formed protobuf but asks for something impossible (e.g. a negative resume_after). */
    INVALID_REQUEST,
    /** A frame or payload could not be decoded. */
    MALFORMED,
    /** No such route. */
    UNKNOWN_ROUTE,
    /** The route exists but not for this interaction model (e.g. tree.get as request-stream). */
    WRONG_INTERACTION,
    /** The connection has as many subscriptions as it may. */
    TOO_MANY_SUBSCRIPTIONS,
    /** The server has as many connections as it may. */
    TOO_MANY_CONNECTIONS,
    /** The SETUP frame carried no valid token or JWT; or (connection error) the connection's credential expired or was withdrawn. */
    UNAUTHORIZED,
    /** The principal's access rules do not allow this read or write (the message names the path or pattern and the rule). */
    FORBIDDEN,
    /** The engine's inbound queue is full: retry later (back-pressure, nothing was applied). */
    OVERLOADED,
    /**
     * A memory budget of the server is reached (tree leaves or bytes, outbox slots). Nothing was applied or
     * subscribed; the message names the budget and the configuration key that raises it.
     */
    RESOURCE_EXHAUSTED,
    /**
     * A STRICT subscriber fell behind by a full outbox, or a subscriber (either policy) fell behind further than the
     * server's outbox memory bounds let it; its stream ended with the last seq it was sent: resume from it.
     */
    SLOW_CONSUMER,
    /** A required part is not there (durability off, Kafka down past the journal bound). Nothing was applied. */
    UNAVAILABLE,
    /** A DURABLE acknowledgement did not arrive in time; the batch was applied but is not known to be durable. */
    TIMEOUT,
    /** The server is shutting down. */
    SHUTTING_DOWN,
    /** A bug on the server side; the message says what was counted and logged. */
    INTERNAL
}
