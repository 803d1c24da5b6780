package io.treecast.gateway;

/**
 * A configuration value that cannot be used. The message names the key, where the value came from (a file path,
 * an environment variable or a command-line flag) and what is allowed, e.g.
 * {@code tcp.port = "70x0" from environment variable TREECAST_TCP_PORT: must be an integer 0..65535}.
 */
public final class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String key;
    private final String source;

    public ConfigException(String key, String source, String message) {
        super(message);
        this.key = key;
        this.source = source;
    }

    /** The offending key, e.g. {@code tcp.port}. */
    public String key() {
        return key;
    }

    /** Where the value came from, e.g. {@code file /etc/treecast.yaml} or {@code flag --set}. */
    public String source() {
        return source;
    }
}
