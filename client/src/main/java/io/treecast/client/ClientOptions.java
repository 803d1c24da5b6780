package io.treecast.client;

import java.time.Duration;

/**
 * How a {@link TreecastClient} connects. Immutable; each method returns a copy.
 *
 * <pre>{@code
 * TreecastClient client = TreecastClient.connect("tcp://127.0.0.1:7070",
 *         ClientOptions.defaults().token("s3cret").clientName("pricer-1").requestTimeout(Duration.ofSeconds(5)));
 * }</pre>
 */
public final class ClientOptions {
    private final String token;
    private final String clientName;
    private final Duration requestTimeout;
    private final Duration connectTimeout;

    private ClientOptions(String token, String clientName, Duration requestTimeout, Duration connectTimeout) {
        this.token = token;
        this.clientName = clientName;
        this.requestTimeout = requestTimeout;
        this.connectTimeout = connectTimeout;
    }

    /** No token, no name, 30 s for blocking calls, 10 s to connect. */
    public static ClientOptions defaults() {
        return new ClientOptions("", "", Duration.ofSeconds(30), Duration.ofSeconds(10));
    }

    /** The token sent in the SETUP frame (when the server has {@code auth.tokens}). */
    public ClientOptions token(String token) {
        return new ClientOptions(token, clientName, requestTimeout, connectTimeout);
    }

    /** A name that shows up in the server's logs and metrics. */
    public ClientOptions clientName(String name) {
        return new ClientOptions(token, name, requestTimeout, connectTimeout);
    }

    /** How long a blocking call waits for its answer. */
    public ClientOptions requestTimeout(Duration timeout) {
        return new ClientOptions(token, clientName, timeout, connectTimeout);
    }

    public ClientOptions connectTimeout(Duration timeout) {
        return new ClientOptions(token, clientName, requestTimeout, timeout);
    }

    public String token() { return token; }
    public String clientName() { return clientName; }
    public Duration requestTimeout() { return requestTimeout; }
    public Duration connectTimeout() { return connectTimeout; }
}
