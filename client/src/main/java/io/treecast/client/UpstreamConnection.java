package io.treecast.client;

import io.rsocket.RSocket;
import io.treecast.client.internal.ClientConnection;
import reactor.core.publisher.Mono;

import java.net.URI;

/**
 * A raw RSocket connection to a Treecast server, opened with a client's SETUP and transport options (token, client
 * name, timeouts, and whatever transport security {@link ClientOptions} carries). For proxies that pass Treecast
 * payloads on as they are, such as an edge node's connection to its core; applications use {@link TreecastClient}.
 *
 * <pre>{@code
 * UpstreamConnection core = UpstreamConnection.connect("tcp://core:7070", ClientOptions.defaults().clientName("edge-1"));
 * core.rsocket().flatMap(r -> r.requestResponse(payload))...;
 * core.close();
 * }</pre>
 */
public final class UpstreamConnection implements AutoCloseable {
    private final ClientConnection connection;

    private UpstreamConnection(ClientConnection connection) {
        this.connection = connection;
    }

    /** Validates {@code uri} now and connects lazily, on the first {@link #rsocket()}. */
    public static UpstreamConnection connect(String uri, ClientOptions options) {
        return new UpstreamConnection(new ClientConnection(URI.create(uri), options));
    }

    /** The open RSocket, connecting when there is none (or the last one closed). Failures are {@link TreecastClientException}s. */
    public Mono<RSocket> rsocket() {
        return connection.rsocket();
    }

    public URI uri() {
        return connection.uri();
    }

    @Override
    public void close() {
        connection.close();
    }
}
