package io.treecast.durability.it;

import io.treecast.durability.RemoteSnapshotStore;
import io.treecast.durability.StateQueryServer;
import io.treecast.fastpath.PathPattern;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Interactive queries refuse rather than answer inexactly, without Kafka: an instance whose store is not there yet
 * answers 503 UNAVAILABLE, and the remote snapshot store, which then cannot cover every partition, completes
 * exceptionally with the reason (the engine then serves the resume from its own tree). The answering paths run
 * against real state instances in e2e-tests' EdgeFanOutIT.
 */
class StateQueriesRefuseIT {

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anInstanceWhoseStoreIsNotThereYetAnswersUnavailableAndTheRemoteStoreRefusesWithTheReason() throws Exception {
        try (StateQueryServer starting = StateQueryServer.start("127.0.0.1", 0)) {
            String base = "http://127.0.0.1:" + starting.address().getPort();
            HttpResponse<String> snapshot = get(base + "/snapshot?pattern=a/**&min_seq=5");
            assertThat(snapshot.statusCode()).isEqualTo(503);
            assertThat(snapshot.body()).isEqualTo("UNAVAILABLE: the state instance is starting: ask again shortly");
            assertThat(get(base + "/owners").statusCode()).isEqualTo(503);

            try (RemoteSnapshotStore store = new RemoteSnapshotStore(List.of(URI.create(base)), 4, 2, Duration.ofSeconds(5))) {
                assertThatThrownBy(() -> store.snapshot(PathPattern.parse("a/**")).get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .hasMessageContaining("the state instances could not answer exactly after 2 attempts: "
                                + "no state instance told its owners (" + base + " answered 503)");
                assertThat(store.refused()).isEqualTo(1);
                assertThat(store.served()).isZero();
            }
        }
    }

    @Test
    void aRemoteStoreWhoseInstancesAreAllGoneRefusesNamingTheAddress() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        try (RemoteSnapshotStore store = new RemoteSnapshotStore(List.of(URI.create("http://127.0.0.1:" + port)), 4, 1,
                Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> store.snapshot(PathPattern.parse("**")).get(30, TimeUnit.SECONDS))
                    .hasMessageContaining("no state instance told its owners (127.0.0.1:" + port + " cannot be reached");
            assertThat(store.lastRefusal()).contains("127.0.0.1:" + port);
        }
    }
}
