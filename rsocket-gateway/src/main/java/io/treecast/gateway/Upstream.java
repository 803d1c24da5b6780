package io.treecast.gateway;

import io.rsocket.RSocket;
import reactor.core.publisher.Mono;

import java.util.function.Supplier;

/**
 * The connection of an edge node to its core: the edge mirrors the core's tree (whole, under the core's seqs) and
 * forwards writes to it. The launcher builds it from the client library's connection, so that the upstream
 * connection takes the same client options (token, name, transport security) as any Treecast client.
 *
 * <pre>{@code
 * UpstreamConnection core = UpstreamConnection.connect("tcp://core:7070", ClientOptions.defaults());   // client module
 * TreecastServer edge = TreecastServer.start(config, null, null, Upstream.of("tcp://core:7070", core::rsocket));
 * }</pre>
 */
public interface Upstream {
    /** The open connection to the core, connecting when there is none (a lost connection is replaced on the next call). */
    Mono<RSocket> connect();

    /** The core's address, for logs and error messages. */
    String address();

    /** An upstream from its address and a connect-or-reuse function. */
    static Upstream of(String address, Supplier<Mono<RSocket>> connect) {
        return new Upstream() {
            @Override
            public Mono<RSocket> connect() {
                return connect.get();
            }

            @Override
            public String address() {
                return address;
            }
        };
    }
}
