package io.treecast.gateway;

import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.EventKind;
import io.treecast.fastpath.EventView;
import io.treecast.fastpath.LatencyHistogram;
import io.treecast.fastpath.PerThreadCounter;
import io.treecast.fastpath.Policy;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one server's gateway, for metrics: requests by route, errors sent by code, connections accepted,
 * subscriptions opened by policy, and the delivery latency histogram. Per-thread counts ({@link PerThreadCounter},
 * {@link LatencyHistogram}) for what is counted per request or per delivered event, on event loops (a LongAdder's
 * few cells were contended by the loops there), {@link LongAdder}s for the rare events, so that counting costs no
 * lock and no allocation on event loops or dispatcher threads; readers (a metrics scrape) read them racily.
 *
 * <pre>{@code
 * GatewayStats stats = server.stats();
 * long updates = stats.requests(GatewayStats.Route.UPDATE);
 * long slow = stats.errors(ErrorCode.SLOW_CONSUMER);
 * double p99Micros = stats.deliveryLatency().snapshot().valueAtQuantile(0.99) / 1000.0;
 * }</pre>
 */
public final class GatewayStats {
    /** The six routes of the protocol (proto/README.md). */
    public enum Route {
        UPDATE("tree.update", true), PUBLISH("tree.publish", true), INGEST("tree.ingest", true),
        SUBSCRIBE("tree.subscribe", false), GET("tree.get", false), CHILDREN("tree.children", false);

        private final String wireName;
        private final boolean carriesChanges;

        Route(String wireName, boolean carriesChanges) {
            this.wireName = wireName;
            this.carriesChanges = carriesChanges;
        }

        /** The route as clients name it, e.g. {@code tree.update}. */
        public String wireName() {
            return wireName;
        }

        /** Whether its requests are batches of leaf changes (counted by {@link #changes(Route)}); the reads are not. */
        public boolean carriesChanges() {
            return carriesChanges;
        }
    }

    private static final Route[] ROUTES = Route.values();
    private static final ErrorCode[] CODES = ErrorCode.values();
    private static final Policy[] POLICIES = Policy.values();

    private final PerThreadCounter[] requests = counters(ROUTES.length);
    private final PerThreadCounter[] changes = counters(ROUTES.length);
    private final PerThreadCounter changesDelivered = new PerThreadCounter();
    private final LongAdder[] errors = adders(CODES.length);
    private final LongAdder[] subscriptionsOpened = adders(POLICIES.length);
    private final LongAdder connectionsAccepted = new LongAdder();
    private final PerThreadCounter directPublishes = new PerThreadCounter();
    private final LatencyHistogram deliveryLatency = new LatencyHistogram();

    private static PerThreadCounter[] counters(int n) {
        PerThreadCounter[] a = new PerThreadCounter[n];
        for (int i = 0; i < n; i++) {
            a[i] = new PerThreadCounter();
        }
        return a;
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    // ------------------------------------------------------------------ updated by the gateway

    /** One request on {@code route} (counted once its route is known, before validation of its body). */
    public void request(Route route) {
        requests[route.ordinal()].increment();
    }

    /** {@code n} leaf changes in a batch that passed validation on {@code route}. */
    public void changes(Route route, int n) {
        changes[route.ordinal()].add(n);
    }

    /** One error sent to a client (an error frame, a stream that ends with an error, or a refused SETUP). */
    public void error(ErrorCode code) {
        errors[code.ordinal()].increment();
    }

    /** One subscription accepted by the engine. */
    public void subscribed(Policy policy) {
        subscriptionsOpened[policy.ordinal()].increment();
    }

    /** A connection was accepted (its SETUP passed every check). */
    public void connected() {
        connectionsAccepted.increment();
    }

    /**
     * An event was encoded for a subscriber. For an UPDATE, counts its changes and records the time from the engine
     * applying its batch ({@link EventView#appliedNanos()}) to now; a stamp of 0 (unknown) records no latency.
     */
    public void delivered(EventView event) {
        if (event.kind() != EventKind.UPDATE) {
            return;
        }
        changesDelivered.add(event.size());
        long appliedNanos = event.appliedNanos();
        if (appliedNanos != 0) {
            deliveryLatency.record(System.nanoTime() - appliedNanos);
        }
    }

    // ------------------------------------------------------------------ read by metrics

    public long requests(Route route) {
        return requests[route.ordinal()].sum();
    }

    /** Leaf changes received on {@code route} in batches that passed validation. */
    public long changes(Route route) {
        return changes[route.ordinal()].sum();
    }

    /** Leaf changes sent to subscribers in UPDATE events (snapshots not included). */
    public long changesDelivered() {
        return changesDelivered.sum();
    }

    public long errors(ErrorCode code) {
        return errors[code.ordinal()].sum();
    }

    public long subscriptionsOpened(Policy policy) {
        return subscriptionsOpened[policy.ordinal()].sum();
    }

    public long connectionsAccepted() {
        return connectionsAccepted.sum();
    }

    /** A publish frame was read off the wire by the gateway itself, without rsocket-java's responder (event loops). */
    public void directPublish() {
        directPublishes.increment();
    }

    /**
     * Publish frames read off the wire by the gateway itself (whole {@code tree.publish} fire-and-forget frames on TCP,
     * unless {@code -Dtreecast.server.rsocket-fnf=true}); the other publishes went through rsocket-java's responder.
     * Both are counted in {@link #requests(Route)}.
     */
    public long directPublishes() {
        return directPublishes.sum();
    }

    /** Batch applied by the engine → encoded event handed to the subscriber's connection, in nanoseconds. */
    public LatencyHistogram deliveryLatency() {
        return deliveryLatency;
    }
}
