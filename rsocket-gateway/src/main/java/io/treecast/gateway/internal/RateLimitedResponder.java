package io.treecast.gateway.internal;

import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.util.RSocketProxy;
import io.treecast.fastpath.ErrorCode;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Wraps one connection's responder and holds its writes to {@code limits.max-updates-per-second-per-connection}
 * update requests and {@code limits.max-bytes-per-second-per-connection} request bytes, counted in fixed one-second
 * windows. Over either limit a request is refused before it is decoded: {@code tree.update} gets {@code OVERLOADED}
 * naming the limit, a {@code tree.publish} (fire-and-forget) is dropped and counted as refused, and an
 * {@code tree.ingest} channel ends with {@code OVERLOADED} (the client reopens it after slowing down).
 * {@code tree.get} and {@code tree.subscribe} are not counted.
 *
 * <p>O(1) per request, no locks, no allocation unless refused: a connection's requests arrive on its event loop,
 * so the window is plain fields.
 */
public final class RateLimitedResponder extends RSocketProxy {
    private static final long WINDOW_NANOS = 1_000_000_000L;
    private final Gateway gateway;
    private final int maxUpdates;
    private final long maxBytes;
    private long windowStart = System.nanoTime();
    private int updates;
    private long bytes;

    public RateLimitedResponder(RSocket delegate, Gateway gateway, int maxUpdatesPerSecond, long maxBytesPerSecond) {
        super(delegate);
        this.gateway = gateway;
        this.maxUpdates = maxUpdatesPerSecond <= 0 ? Integer.MAX_VALUE : maxUpdatesPerSecond;
        this.maxBytes = maxBytesPerSecond <= 0 ? Long.MAX_VALUE : maxBytesPerSecond;
    }

    /** Null when the request fits the window (and is counted), else the refusal's message. */
    private String admit(Payload p) {
        long now = System.nanoTime();
        if (now - windowStart >= WINDOW_NANOS) {
            windowStart = now;
            updates = 0;
            bytes = 0;
        }
        long size = p.data().readableBytes() + (p.hasMetadata() ? p.metadata().readableBytes() : 0);
        if (updates + 1 > maxUpdates) {
            return "this connection sent more than " + maxUpdates + " updates in one second "
                    + "(limits.max-updates-per-second-per-connection); nothing was applied: slow down, batch more changes per update, or spread the load over connections";
        }
        if (bytes + size > maxBytes) {
            return "this connection sent more than " + maxBytes + " bytes of updates in one second "
                    + "(limits.max-bytes-per-second-per-connection); nothing was applied: slow down or spread the load over connections";
        }
        updates++;
        bytes += size;
        return null;
    }

    @Override
    public Mono<Void> fireAndForget(Payload payload) {
        if (admit(payload) != null) {
            payload.release();
            gateway.rejected.incrementAndGet();
            gateway.stats.error(ErrorCode.OVERLOADED);
            return Mono.empty();
        }
        return super.fireAndForget(payload);
    }

    @Override
    public Mono<Payload> requestResponse(Payload payload) {
        if (Routing.UPDATE.equals(routeOrNull(payload))) {
            String refused = admit(payload);
            if (refused != null) {
                payload.release();
                return Mono.error(Errors.application(ErrorCode.OVERLOADED, refused));
            }
        }
        return super.requestResponse(payload);
    }

    @Override
    public Flux<Payload> requestChannel(Publisher<Payload> payloads) {
        return super.requestChannel(Flux.from(payloads).<Payload>handle((p, sink) -> {
            String refused = admit(p);
            if (refused != null) {
                p.release();
                sink.error(Errors.application(ErrorCode.OVERLOADED, refused + "; the ingest channel is ended, open a new one"));
            } else {
                sink.next(p);
            }
        }).contextWrite(ctx -> ctx.put(ON_NEXT_DROPPED, RELEASE_DROPPED)));
    }

    /**
     * Reactor's context key for a per-subscription "next dropped" hook: payloads that race in after the channel was
     * ended by the limit are dropped by the operator, and must be released, not leaked.
     */
    private static final String ON_NEXT_DROPPED = "reactor.onNextDropped.local";
    private static final java.util.function.Consumer<Object> RELEASE_DROPPED = o -> {
        if (o instanceof io.netty.util.ReferenceCounted && ((io.netty.util.ReferenceCounted) o).refCnt() > 0) {
            ((io.netty.util.ReferenceCounted) o).release();
        }
    };

    private static String routeOrNull(Payload p) {
        try {
            return p.hasMetadata() ? Routing.route(p.metadata()) : null;
        } catch (RuntimeException e) {
            return null; // the handler answers bad metadata with its own error
        }
    }
}
