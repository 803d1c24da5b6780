package io.treecast.fastpath.internal;

import io.treecast.fastpath.EventKind;

/**
 * Hands events to a subscription's handler on behalf of one dispatcher: groups them into deliveries of at most
 * {@code eventsPerDelivery} events, one unit of demand each ({@code onDeliveryEnd} closes one), and owns the
 * dispatcher's reused event flyweight. Callers check demand before each event; an open delivery holds the unit of
 * demand that {@link #end} takes.
 */
final class Delivery {
    /** The dispatcher's one event, refilled for every event it hands over (no allocation per event). */
    final EventBuffer buf = new EventBuffer();
    private final DefaultEngine engine;
    private final EngineCore core;

    Delivery(DefaultEngine engine, EngineCore core) {
        this.engine = engine;
        this.core = core;
    }

    /** Hands one event to the subscription's open delivery; a full delivery is ended at once. */
    void deliver(Sub s, EventBuffer e) {
        if (e.kind == EventKind.UPDATE) {
            s.lastDelivered = e.seq;
        }
        engine.eventsDelivered.increment();
        e.appliedNanos = e.kind == EventKind.UPDATE ? core.appliedNanos(e.seq) : 0;
        s.handler.onEvent(e);
        if (++s.inDelivery >= s.eventsPerDelivery) {
            end(s);
        }
    }

    /** Closes the open delivery, if any: takes its unit of demand and tells the handler. */
    void end(Sub s) {
        if (s.inDelivery == 0) {
            return;
        }
        s.inDelivery = 0;
        if (s.demand.get() != Long.MAX_VALUE) {
            s.demand.decrementAndGet();
        }
        s.handler.onDeliveryEnd();
    }
}
