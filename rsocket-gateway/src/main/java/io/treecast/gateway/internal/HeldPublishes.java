package io.treecast.gateway.internal;

import io.netty.channel.Channel;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.OfferResult;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The publishes of one connection that the engine's full inbound queue refused, when they came through rsocket-java
 * (WebSocket, and publishes fragmented over TCP), held in arrival order instead of dropped: the connection stops
 * reading ({@code autoRead} off: the publisher's socket, then its client, fills up), the first is offered again every
 * {@link FnfReader#RETRY_NANOS} ns, and reading resumes once all of them are taken. A publish that arrives while some
 * are held joins the end of the line, whichever way it was read, so none overtakes another; a request to update the
 * tree meanwhile is answered OVERLOADED ({@link ConnectionHandler}).
 *
 * <p>What it holds is bounded by {@link #MAX_HELD_BYTES} of batches as the engine counts them ({@link Batch#bytes()},
 * each within {@code limits.max-batch-bytes}); a publish beyond that is refused and counted, as a full queue did
 * before. Reading may resume for one read before the line is empty when {@link FnfReader} replays frames of its own,
 * so the bound, not the pause, is what limits it; each publish added re-asserts the pause.
 *
 * <p>The TCP publishes {@link FnfReader} reads off the wire itself are held there, with the raw frames behind them.
 * Event-loop confined but for {@link #any}: rsocket-java and {@link FnfReader} call the responder on the connection's
 * event loop.
 */
final class HeldPublishes {
    /** The most batch bytes ({@link Batch#bytes()}) held per connection. */
    static final int MAX_HELD_BYTES = 4 << 20;

    private final Channel channel;
    private final Gateway gateway;
    private final ArrayDeque<Batch> line = new ArrayDeque<>();
    private long heldBytes;
    /** {@code !line.isEmpty()}, readable from any thread (an ingest channel may map its next batch on the writer's). */
    private volatile boolean holding;
    private final Runnable retry = this::offerAgain;

    HeldPublishes(Channel channel, Gateway gateway) {
        this.channel = channel;
        this.gateway = gateway;
        channel.closeFuture().addListener(f -> channel.eventLoop().execute(this::dropAll));
    }

    /** Whether publishes of this connection wait for room: a later publish must join them, a request must not pass them. */
    boolean any() {
        return holding;
    }

    /**
     * Adds {@code batch} to the end of the line, starting the pause if it is the first. False when the bound is
     * reached: the caller refuses it.
     */
    boolean hold(Batch batch) {
        if (heldBytes + batch.bytes() > MAX_HELD_BYTES || !channel.isActive()) {
            return false;
        }
        boolean first = line.isEmpty();
        line.add(batch);
        holding = true;
        heldBytes += batch.bytes();
        if (channel.config().isAutoRead()) {
            channel.config().setAutoRead(false);
        }
        if (first) {
            gateway.publishPauses.incrementAndGet();
            retryLater();
        }
        return true;
    }

    private void retryLater() {
        channel.eventLoop().schedule(retry, FnfReader.RETRY_NANOS, TimeUnit.NANOSECONDS);
    }

    /** The line again, in order, while the engine takes them; then reading resumes. */
    private void offerAgain() {
        while (!line.isEmpty()) {
            OfferResult r = gateway.engine.offer(line.peek());
            if (r == OfferResult.BACK_PRESSURED) {
                retryLater();
                return;
            }
            if (r != OfferResult.ACCEPTED) {
                gateway.rejected.incrementAndGet(); // the engine closed
            }
            heldBytes -= line.poll().bytes();
        }
        holding = false;
        if (channel.isActive()) {
            channel.config().setAutoRead(true);
        }
    }

    /** The connection ended with publishes held: they go, as unsent frames go with a lost connection (counted). */
    private void dropAll() {
        gateway.rejected.addAndGet(line.size());
        line.clear();
        heldBytes = 0;
        holding = false;
    }
}
