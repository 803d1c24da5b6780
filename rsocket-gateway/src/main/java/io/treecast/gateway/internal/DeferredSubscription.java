package io.treecast.gateway.internal;

import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.SubscribeOptions;
import io.treecast.fastpath.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

import java.time.Duration;

/**
 * An edge's subscription whose {@code resume_after} is ahead of the edge: the client was on another edge that is a
 * little further along the core's seqs. Rather than answer RESET (a whole snapshot) for a few milliseconds of lag,
 * the engine subscription is made once this edge has applied that seq, or after {@code upstream.resume-wait-ms}
 * (then the engine answers RESET and a snapshot, as a core does for a seq it never issued). Demand and cancel that
 * arrive meanwhile are kept and passed on.
 */
final class DeferredSubscription implements Subscription {
    private final PathPattern pattern;
    private volatile Subscription inner;
    private long pendingDemand;
    private boolean cancelled;
    private final Disposable waiting;

    DeferredSubscription(Engine engine, SubscribeOptions options, EventHandler handler, Duration maxWait) {
        this.pattern = options.pattern();
        long target = options.resumeAfter();
        long deadline = System.nanoTime() + maxWait.toNanos();
        this.waiting = Flux.interval(Duration.ofMillis(2))
                .filter(t -> engine.currentSeq() >= target || System.nanoTime() - deadline >= 0)
                .next()
                .subscribe(t -> start(engine, options, handler), e -> start(engine, options, handler));
    }

    private void start(Engine engine, SubscribeOptions options, EventHandler handler) {
        Subscription s;
        try {
            s = engine.subscribe(options, handler);
        } catch (RuntimeException e) {
            io.treecast.fastpath.ErrorCode code = e instanceof io.treecast.fastpath.TreecastException
                    ? ((io.treecast.fastpath.TreecastException) e).code() : io.treecast.fastpath.ErrorCode.INTERNAL;
            handler.onEnd(code, e.getMessage(), options.resumeAfter());
            return;
        }
        long demand;
        synchronized (this) {
            if (cancelled) {
                s.cancel();
                return;
            }
            inner = s;
            demand = pendingDemand;
        }
        if (demand > 0) {
            s.request(demand);
        }
    }

    @Override
    public long id() {
        Subscription s = inner;
        return s == null ? -1 : s.id();
    }

    @Override
    public PathPattern pattern() {
        return pattern;
    }

    @Override
    public void request(long n) {
        Subscription s = inner;
        if (s == null) {
            synchronized (this) {
                s = inner;
                if (s == null) {
                    long sum = pendingDemand + n;
                    pendingDemand = sum < 0 ? Long.MAX_VALUE : sum;
                    return;
                }
            }
        }
        s.request(n);
    }

    @Override
    public void cancel() {
        Subscription s;
        synchronized (this) {
            cancelled = true;
            s = inner;
        }
        waiting.dispose();
        if (s != null) {
            s.cancel();
        }
    }
}
