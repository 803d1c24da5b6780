package io.treecast.client;

/** When {@code update} answers. */
public enum AckMode {
    /** Once the server has applied the batch (microseconds). */
    APPLIED,
    /** Once the batch is durable in Kafka; fails with {@code UNAVAILABLE} on a server running in memory. */
    DURABLE
}
