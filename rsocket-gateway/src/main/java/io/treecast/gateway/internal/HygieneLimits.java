package io.treecast.gateway.internal;

/**
 * The connection hygiene limits of one server (the {@code limits.*} keys about keep-alive, timeouts, reassembly,
 * per-IP connections and per-connection rates), read once from the configuration. Immutable.
 */
public final class HygieneLimits {
    /** limits.min-keepalive-ms: SETUP keep-alive intervals below are refused; faster KEEPALIVEs are not answered. */
    public final int minKeepAliveMillis;
    /** limits.max-keepalive-lifetime-ms: a SETUP's max lifetime above it is lowered to it. */
    public final int maxKeepAliveLifetimeMillis;
    /** limits.idle-timeout-ms: time to send the SETUP, and longest silence (no byte at all) of a connection. */
    public final int idleTimeoutMillis;
    /** limits.frame-read-timeout-ms: longest time one started TCP frame may take to arrive whole. */
    public final int frameReadTimeoutMillis;
    /** limits.max-reassembly-bytes: unfinished fragmented payloads one connection may hold, in bytes. */
    public final long maxReassemblyBytes;
    /** limits.max-connections-per-ip: connections from one IP address; 0 = no limit. */
    public final int maxConnectionsPerIp;
    /** limits.max-updates-per-second-per-connection: update requests per second and connection; 0 = no limit. */
    public final int maxUpdatesPerSecond;
    /** limits.max-bytes-per-second-per-connection: update request bytes per second and connection; 0 = no limit. */
    public final long maxBytesPerSecond;

    public HygieneLimits(int minKeepAliveMillis, int maxKeepAliveLifetimeMillis, int idleTimeoutMillis, int frameReadTimeoutMillis,
                         long maxReassemblyBytes, int maxConnectionsPerIp, int maxUpdatesPerSecond, long maxBytesPerSecond) {
        this.minKeepAliveMillis = minKeepAliveMillis;
        this.maxKeepAliveLifetimeMillis = maxKeepAliveLifetimeMillis;
        this.idleTimeoutMillis = idleTimeoutMillis;
        this.frameReadTimeoutMillis = frameReadTimeoutMillis;
        this.maxReassemblyBytes = maxReassemblyBytes;
        this.maxConnectionsPerIp = maxConnectionsPerIp;
        this.maxUpdatesPerSecond = maxUpdatesPerSecond;
        this.maxBytesPerSecond = maxBytesPerSecond;
    }

    /** No limit beyond RSocket's own behaviour (for embedding code that builds a Gateway by hand). */
    public static HygieneLimits none() {
        return new HygieneLimits(1, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, 0, 0, 0);
    }
}
