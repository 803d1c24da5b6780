package io.treecast.observability.internal;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.Policy;
import io.treecast.gateway.GatewayStats;

import java.util.Locale;

/** The gateway's counters (requests by route, errors by code, connections, subscriptions by policy), read at scrape time. */
public final class GatewayMetrics implements MeterBinder {
    private final Served server;

    public GatewayMetrics(Served server) {
        this.server = server;
    }

    @Override
    public void bindTo(MeterRegistry r) {
        GatewayStats stats = server.stats();
        for (GatewayStats.Route route : GatewayStats.Route.values()) {
            FunctionCounter.builder("treecast.gateway.requests", stats, s -> s.requests(route))
                    .description("Requests received, by route (counted once the route is known)")
                    .tag("route", route.wireName()).register(r);
            if (route.carriesChanges()) {
                FunctionCounter.builder("treecast.gateway.changes", stats, s -> s.changes(route))
                        .description("Leaf changes received in batches that passed validation, by route")
                        .tag("route", route.wireName()).register(r);
            }
        }
        FunctionCounter.builder("treecast.gateway.changes.delivered", stats, GatewayStats::changesDelivered)
                .description("Leaf changes sent to subscribers in UPDATE events (snapshots not included)").register(r);
        for (ErrorCode code : ErrorCode.values()) {
            FunctionCounter.builder("treecast.gateway.errors", stats, s -> s.errors(code))
                    .description("Errors sent to clients, by code (refused requests, refused SETUPs, streams ended with an error)")
                    .tag("code", code.name()).register(r);
        }
        for (Policy policy : Policy.values()) {
            FunctionCounter.builder("treecast.gateway.subscriptions.opened", stats, s -> s.subscriptionsOpened(policy))
                    .description("Subscriptions accepted, by outbox policy")
                    .tag("policy", policy.name().toLowerCase(Locale.ROOT)).register(r);
        }
        FunctionCounter.builder("treecast.gateway.connections.accepted", stats, GatewayStats::connectionsAccepted)
                .description("Connections whose SETUP was accepted").register(r);
        FunctionCounter.builder("treecast.gateway.rejected.without.answer", server, Served::rejectedWithoutAnswer)
                .description("Fire-and-forget publishes refused (they have no answer frame; also counted by code when known)").register(r);
        FunctionCounter.builder("treecast.gateway.publish.pauses", server, Served::publishPauses)
                .description("Times a TCP connection stopped reading because the engine's inbound queue was full: its publish waited, nothing was dropped").register(r);
        Gauge.builder("treecast.gateway.connections", server, Served::connections)
                .description("Open client connections").register(r);
        Gauge.builder("treecast.gateway.send.backlog", server, Served::sendBacklogBytes).baseUnit("bytes")
                .description("Subscription frames waiting for clients' sockets, all connections (each bounded by limits.max-send-queue-bytes)").register(r);
        Gauge.builder("treecast.gateway.send.backlog.max", server, Served::maxSendBacklogBytes).baseUnit("bytes")
                .description("The largest send backlog of one connection").register(r);
        Gauge.builder("treecast.gateway.listening", server, s -> s.listening() ? 1 : 0)
                .description("1 while the TCP (and WebSocket) listeners accept connections").register(r);
    }
}
