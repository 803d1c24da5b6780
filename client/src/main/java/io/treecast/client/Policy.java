package io.treecast.client;

/** What the server does when a subscriber's outbox overflows. Mirrors treecast.proto's {@code Policy} (kept equal by WireEnumsAgreeTest). */
public enum Policy {
    /** Default: keep only the newest pending change per leaf; such events are {@link TreeEvent#conflated()}. */
    CONFLATE,
    /** End the stream with {@code SLOW_CONSUMER} and the last seq sent, so the client can resume. */
    STRICT
}
