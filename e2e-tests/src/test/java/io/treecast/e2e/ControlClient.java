package io.treecast.e2e;

import io.treecast.client.ClientOptions;
import io.treecast.client.ClientSubscription;
import io.treecast.client.LeafChange;
import io.treecast.client.Policy;
import io.treecast.client.SubscribeSpec;
import io.treecast.client.TreeEvent;
import io.treecast.client.TreecastClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A healthy client next to an attack: it writes {@code control/beat} with the public client (acknowledged updates)
 * and has its own STRICT subscription to {@code control/**}. {@link #serviceHolds()} proves it is still served: the
 * update is acknowledged, and the subscription has received every acknowledged update so far, in seq order, and
 * has not been ended.
 */
final class ControlClient implements AutoCloseable {
    /** Generous for a 2-core machine under attack: a bound for the await, not a latency claim. */
    static final Duration WAIT = Duration.ofSeconds(60);

    private final TreecastClient client;
    private final Recorder events = new Recorder();
    private final ClientSubscription subscription;
    private final List<Long> acked = new CopyOnWriteArrayList<>();
    private long beat;

    ControlClient(ServerProcess server) {
        client = TreecastClient.connect(server.tcpUrl(), ClientOptions.defaults().clientName("control")
                .requestTimeout(WAIT));
        subscription = client.subscribe(SubscribeSpec.pattern("control/**").snapshot().policy(Policy.STRICT),
                events, events::ended);
        events.awaitSnapshotEnd(WAIT);
        serviceHolds();
    }

    TreecastClient client() {
        return client;
    }

    /** One acknowledged update, then its event (and every earlier one) on the subscription, in order. */
    synchronized void serviceHolds() {
        long seq = client.set("control/beat", ++beat);
        assertThat(seq).isPositive();
        acked.add(seq);
        await().atMost(WAIT).untilAsserted(() -> assertThat(events.lastSeq() >= seq || events.end() != null)
                .as("the beat at seq %d arrives (last seen %d) or the subscription ends (%s)", seq, events.lastSeq(), events.end()).isTrue());
        assertThat(events.end()).as("the control subscription is still open").isNull();
        List<Long> seen = new ArrayList<>();
        long previous = -1;
        for (TreeEvent e : events.updates()) {
            assertThat(e.seq()).as("control events in seq order").isGreaterThan(previous);
            previous = e.seq();
            seen.add(e.seq());
            for (LeafChange c : e.changes()) {
                assertThat(c.path()).isEqualTo("control/beat");
            }
        }
        assertThat(seen).as("every acknowledged control update was delivered").containsAll(acked);
    }

    int roundTrips() {
        return acked.size();
    }

    @Override
    public void close() {
        subscription.cancel();
        client.close();
    }
}
