package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.rsocket.Payload;
import io.rsocket.util.ByteBufPayload;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.EventView;
import io.treecast.fastpath.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;

import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@code tree.subscribe} stream. rsocket-java still owns the stream's life (REQUEST_N and CANCEL reach
 * {@link #request}/{@link #cancel}, the final ERROR frame goes through it), but the events do not: the dispatcher
 * encodes each delivery straight into a complete RSocket PAYLOAD frame (header, then the Event bytes, fragmented at
 * {@link #FRAGMENT_BYTES} like rsocket-java would) and hands it to the connection's {@link FrameWriter}. That skips,
 * per event, a {@code Payload} object, a Reactor sink and its queue, rsocket's frame encoder with its composite
 * buffer, its unbounded send queue, and a wake-up of the event loop.
 *
 * <p>Demand: the client's request-n is kept here and passed on to the engine in slices of at most {@link #SLICE}
 * deliveries, no more than the room left in the connection's send budget holds at this stream's average frame size,
 * and none while the backlog is over budget; so the server holds the outbox plus about the budget per connection,
 * whatever request-n says.
 *
 * <p>If the stream id cannot be learnt (another rsocket-java version), the stream falls back to handing payloads
 * to rsocket-java, as before, with the same demand rules.
 */
final class DirectStream extends Flux<Payload> implements EventHandler, org.reactivestreams.Subscription {
    /** Deliveries granted to the engine at a time. */
    static final int SLICE = 256;
    /** Frames larger than this are sent as RSocket fragments, so one big delivery never blocks the connection's other streams. */
    static final int FRAGMENT_BYTES = 64 * 1024;
    private static final int HEADER_AFTER_LENGTH = 6; // stream id (4) + type and flags (2)
    private static final int PAYLOAD_TYPE = 0x0A << 10;
    private static final int FLAG_FOLLOWS = 0b00_1000_0000;
    private static final int FLAG_NEXT = 0b00_0010_0000;
    private static final Field STREAM_ID = streamIdField();
    /**
     * {@code -Dtreecast.gateway.rsocket-frames=true} sends events through rsocket-java's own path again (the same
     * demand rules, no send budget): an escape hatch, and the A/B switch for measurements.
     */
    private static final boolean RSOCKET_FRAMES = Boolean.getBoolean("treecast.gateway.rsocket-frames");

    private final FrameWriter writer;
    private final boolean delimited;
    /** Bytes reserved before the Event in each frame: the RSocket header when sending directly, else none. */
    private int headerBytes;
    private final Ending ending;
    private final java.util.function.Function<EventHandler, Subscription> starter;
    private final io.treecast.gateway.GatewayStats stats;
    private volatile CoreSubscriber<? super Payload> downstream;
    private volatile Subscription engineSubscription;
    private int streamId = -1;
    /** Requested by the client and not yet passed to the engine; Long.MAX_VALUE = unbounded. */
    private final AtomicLong clientDemand = new AtomicLong();
    /** Passed to the engine and not yet delivered. */
    private final AtomicLong granted = new AtomicLong();
    private volatile boolean starved;
    /**
     * A running average of this stream's frame sizes, to grant no more deliveries than the budget has room for.
     * Written by the dispatcher per frame, read by the event loop now and then: plain, a stale value only sizes a
     * grant a little differently (an int is never torn).
     */
    private int averageFrameBytes;
    private final AtomicBoolean done = new AtomicBoolean();
    /** The frame being filled by the current delivery; dispatcher thread only. */
    private ByteBuf pending;

    /** What a stream does once, when it ends for whatever reason (counters of the connection and gateway). */
    interface Ending {
        void ended();
    }

    /**
     * @param starter subscribes to the engine once rsocket-java subscribed to this stream; returns the engine's
     *                subscription, or throws to refuse it (the error goes to the client)
     */
    DirectStream(FrameWriter writerOrNull, boolean delimited, io.treecast.gateway.GatewayStats stats, Ending ending,
                 java.util.function.Function<EventHandler, Subscription> starter) {
        this.writer = writerOrNull;
        this.delimited = delimited;
        this.stats = stats;
        this.ending = ending;
        this.starter = starter;
        // until this stream's frames are seen, assume large ones: the first grants are a few deliveries, not a slice
        this.averageFrameBytes = writerOrNull == null ? 256 : (int) Math.min(Integer.MAX_VALUE, writerOrNull.budgetBytes() / 4);
    }

    // ------------------------------------------------------------------ rsocket side (event loop)

    @Override
    public void subscribe(CoreSubscriber<? super Payload> actual) {
        downstream = actual;
        streamId = streamIdOf(actual);
        headerBytes = direct() ? writer.lengthPrefixBytes() + HEADER_AFTER_LENGTH : 0;
        Subscription s;
        try {
            s = starter.apply(this);
        } catch (RuntimeException e) {
            done.set(true);
            actual.onSubscribe(this);
            actual.onError(Errors.application(e));
            return;
        }
        engineSubscription = s;
        if (direct()) {
            writer.register(this);
        }
        actual.onSubscribe(this);
    }

    private boolean direct() {
        return !RSOCKET_FRAMES && writer != null && streamId > 0;
    }

    @Override
    public void request(long n) {
        if (n <= 0 || done.get()) {
            return;
        }
        long cur;
        long next;
        do {
            cur = clientDemand.get();
            next = cur + n < 0 ? Long.MAX_VALUE : cur + n;
        } while (!clientDemand.compareAndSet(cur, next));
        grant();
    }

    @Override
    public void cancel() {
        if (done.compareAndSet(false, true)) {
            Subscription s = engineSubscription;
            if (s != null) {
                s.cancel();
            }
            finish();
        }
    }

    /**
     * A delivery the engine counted was filtered away whole (access rules): the client's demand unit it took is
     * given back, so a subscriber whose events are mostly filtered never stalls for lack of demand. Dispatcher thread,
     * before {@link #onDeliveryEnd()}.
     */
    void refundDelivery() {
        long cur;
        do {
            cur = clientDemand.get();
            if (cur == Long.MAX_VALUE) {
                return;
            }
        } while (!clientDemand.compareAndSet(cur, cur + 1));
    }

    /**
     * Ends the stream from outside the engine (its principal lost the right to read it): the engine subscription is
     * cancelled and the client gets {@code code} after the frames already queued. Any thread.
     */
    void revoke(ErrorCode code, String message) {
        Subscription s = engineSubscription;
        if (s != null) {
            s.cancel();
        }
        Throwable error = Errors.application(code, message);
        if (direct()) {
            writer.enqueue(() -> end(error));
        } else {
            end(error);
        }
    }

    /** The connection's backlog drained: take demand again if this stream stopped for lack of room. */
    void roomAvailable() {
        if (starved) {
            starved = false;
            grant();
        }
    }

    /** The channel closed: nothing more can be sent. rsocket-java cancels the stream itself. */
    void connectionClosed() {
        starved = false;
    }

    /**
     * Passes client demand to the engine, at most {@link #SLICE} deliveries outstanding, and none while the send
     * backlog is over budget (the stream is then "starved" until the writer says the backlog drained).
     */
    private void grant() {
        Subscription s = engineSubscription;
        if (s == null || done.get()) {
            return;
        }
        while (true) {
            long outstanding = granted.get();
            if (outstanding >= SLICE / 2) {
                return; // enough in flight; the dispatcher asks again as deliveries go out
            }
            long limit = SLICE;
            if (direct()) {
                long room = writer.budgetBytes() - writer.backlogBytes();
                if (room < 0) {
                    starved = true;
                    writer.streamStarved();
                    // the backlog may have drained between the check and the flags: look once more (no lost wake-up)
                    room = writer.budgetBytes() - writer.backlogBytes();
                    if (room < 0) {
                        return;
                    }
                    starved = false;
                }
                // no more deliveries in flight than the room left holds at this stream's average frame size; one
                // always, so a frame larger than the whole budget still goes (the budget is then overshot once)
                limit = Math.max(1, Math.min(SLICE, room / Math.max(64, averageFrameBytes)));
            }
            long want = limit - outstanding;
            if (want <= 0) {
                return;
            }
            long took = takeDemand(want);
            if (took <= 0) {
                return;
            }
            granted.addAndGet(took);
            s.request(took);
        }
    }

    private long takeDemand(long want) {
        while (true) {
            long cur = clientDemand.get();
            if (cur <= 0) {
                return 0;
            }
            if (cur == Long.MAX_VALUE) {
                return want;
            }
            long take = Math.min(cur, want);
            if (clientDemand.compareAndSet(cur, cur - take)) {
                return take;
            }
        }
    }

    // ------------------------------------------------------------------ engine side (dispatcher thread)

    @Override
    public void onEvent(EventView event) {
        if (done.get()) {
            return;
        }
        if (delimited) {
            if (pending == null) {
                pending = ByteBufAllocator.DEFAULT.buffer(headerBytes + 256);
                pending.writerIndex(headerBytes);
            }
            WireEncoder.appendDelimitedEvent(pending, event);
        } else {
            int size = WireEncoder.eventSize(event);
            ByteBuf frame = ByteBufAllocator.DEFAULT.buffer(headerBytes + size);
            frame.writerIndex(headerBytes);
            WireEncoder.writeEvent(frame, event);
            send(frame);
        }
        stats.delivered(event);
    }

    @Override
    public void onDeliveryEnd() {
        ByteBuf frame = pending;
        if (frame != null) {
            pending = null;
            if (done.get()) {
                frame.release();
            } else {
                send(frame);
            }
        }
        if (granted.decrementAndGet() < SLICE / 2) {
            grant();
        }
    }

    @Override
    public void onEnd(ErrorCode code, String message, long lastSeq) {
        Throwable error = Errors.application(code, endMessage(code, message, lastSeq));
        if (direct()) {
            // after every frame already queued, so the client sees all events before the end
            writer.enqueue(() -> end(error));
        } else {
            end(error);
        }
    }

    private void end(Throwable error) {
        if (done.compareAndSet(false, true)) {
            finish();
            downstream.onError(error);
        }
    }

    private void finish() {
        if (direct()) {
            writer.unregister(this);
        }
        ending.ended();
    }

    /** Completes the RSocket header of a frame whose body starts at {@code headerBytes}, then hands it over. */
    private void send(ByteBuf frame) {
        if (!direct()) {
            downstream.onNext(ByteBufPayload.create(frame));
            return;
        }
        int body = frame.readableBytes() - headerBytes;
        averageFrameBytes = (int) ((7L * averageFrameBytes + frame.readableBytes()) >> 3);
        if (body <= FRAGMENT_BYTES) {
            writeHeader(frame, 0, body, FLAG_NEXT);
            writer.enqueue(frame);
            return;
        }
        try {
            int offset = headerBytes;
            int end = frame.writerIndex();
            while (offset < end) {
                int len = Math.min(FRAGMENT_BYTES, end - offset);
                boolean last = offset + len == end;
                ByteBuf fragment = ByteBufAllocator.DEFAULT.buffer(headerBytes + len);
                writeHeader(fragment, 0, len, last ? FLAG_NEXT : FLAG_NEXT | FLAG_FOLLOWS);
                fragment.writerIndex(headerBytes);
                fragment.writeBytes(frame, offset, len);
                writer.enqueue(fragment);
                offset += len;
            }
        } finally {
            frame.release();
        }
    }

    /** Writes [length (TCP only)] [stream id] [PAYLOAD type + flags] at {@code at} without moving the indexes. */
    private void writeHeader(ByteBuf frame, int at, int bodyBytes, int flags) {
        int i = at;
        if (headerBytes > HEADER_AFTER_LENGTH) {
            frame.setMedium(i, HEADER_AFTER_LENGTH + bodyBytes);
            i += 3;
        }
        frame.setInt(i, streamId);
        frame.setShort(i + 4, PAYLOAD_TYPE | flags);
    }

    /** The text of the error that ends a stream: a SLOW_CONSUMER end always says the seq to resume after. */
    static String endMessage(ErrorCode code, String message, long lastSeq) {
        String suffix = "last seq " + lastSeq;
        String text = message == null ? "" : message;
        if (code == ErrorCode.SLOW_CONSUMER && !text.endsWith(suffix)) {
            text = (text.isEmpty() ? "the subscriber fell behind by a full outbox (STRICT policy): resubscribe with resume_after = "
                    + lastSeq + ", or use CONFLATE or a larger outbox_capacity" : text) + "; " + suffix;
        }
        return text;
    }

    /**
     * The RSocket stream id rsocket-java's responder subscribed this stream for. It is not offered by any API, and
     * it is read once per subscription; -1 (fall back to rsocket-java's sending) when the field is not there.
     */
    private static int streamIdOf(Object subscriber) {
        if (STREAM_ID == null || !STREAM_ID.getDeclaringClass().isInstance(subscriber)) {
            return -1;
        }
        try {
            return STREAM_ID.getInt(subscriber);
        } catch (IllegalAccessException | RuntimeException e) {
            return -1;
        }
    }

    private static Field streamIdField() {
        try {
            Field f = Class.forName("io.rsocket.core.RequestStreamResponderSubscriber").getDeclaredField("streamId");
            f.setAccessible(true);
            return f.getType() == int.class ? f : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
