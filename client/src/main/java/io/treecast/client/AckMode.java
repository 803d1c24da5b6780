package io.treecast.client;

/** When {@code update} answers. Mirrors treecast.proto's {@code AckMode} (kept equal by WireEnumsAgreeTest). */
public enum AckMode {
    /** Once the server has applied the batch (microseconds). */
    APPLIED,
    /** Once the batch is durable in Kafka; fails with {@code UNAVAILABLE} on a server running in memory. */
    DURABLE
}
