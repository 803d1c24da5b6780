package io.treecast.client.internal;

import io.rsocket.Payload;
import io.treecast.client.TreeEvent;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;
import reactor.util.context.Context;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.function.BiFunction;

/**
 * A subscription's frames (each up to eventsPerFrame events) turned into its events, with read-ahead bounded in
 * frames and in bytes: the frames asked for and not yet received plus those held (received, not yet handed to the
 * application) stay within {@code framesAhead}, and their bytes within {@code maxBytes} (frames not yet received
 * are counted at the recent average frame size). At the bound the client stops asking: back-pressure to the server.
 * It asks in steps of a quarter of the window, so a REQUEST_N frame goes out once per {@code framesAhead / 4} frames
 * rather than per frame; with nothing held and nothing asked for it always asks for at least one frame, so a frame
 * larger than the bound still gets through.
 *
 * <p>One frame is decoded at a time, when the application has demand for its events, so what is held stays as
 * received bytes (pooled buffers, released on cancel and error). An error ends the stream at once, dropping what
 * was read ahead; {@code onError} maps it, knowing the seq of the last UPDATE or SNAPSHOT_END handed on.
 *
 * <p>Replaces {@code flatMapIterable(Codec::events, n)} plus per-event {@code doOnNext} and {@code onErrorMap}s: one
 * operator, one queue, one drain loop per frame rather than several operators per event.
 */
public final class EventReadAhead extends Flux<TreeEvent> {
    private final Publisher<Payload> frames;
    private final int framesAhead;
    private final int maxBytes;
    private final long lastSeenAtStart;
    private final BiFunction<Throwable, Long, Throwable> onError;

    /**
     * @param lastSeenAtStart the seq to report as last seen before any event is handed on (the resume point, or 0)
     * @param onError         maps an error given the last seq handed on
     */
    public EventReadAhead(Publisher<Payload> frames, int framesAhead, int maxBytes, long lastSeenAtStart,
                          BiFunction<Throwable, Long, Throwable> onError) {
        this.frames = frames;
        this.framesAhead = framesAhead;
        this.maxBytes = maxBytes;
        this.lastSeenAtStart = lastSeenAtStart;
        this.onError = onError;
    }

    @Override
    public void subscribe(CoreSubscriber<? super TreeEvent> actual) {
        frames.subscribe(new ReadAheadSubscriber(actual, framesAhead, maxBytes, lastSeenAtStart, onError));
    }

    static final class ReadAheadSubscriber implements CoreSubscriber<Payload>, Subscription {
        private static final AtomicLongFieldUpdater<ReadAheadSubscriber> DEMAND =
                AtomicLongFieldUpdater.newUpdater(ReadAheadSubscriber.class, "demand");
        private static final AtomicLongFieldUpdater<ReadAheadSubscriber> HELD_BYTES =
                AtomicLongFieldUpdater.newUpdater(ReadAheadSubscriber.class, "heldBytes");
        private static final AtomicIntegerFieldUpdater<ReadAheadSubscriber> OUTSTANDING =
                AtomicIntegerFieldUpdater.newUpdater(ReadAheadSubscriber.class, "outstanding");
        private static final AtomicIntegerFieldUpdater<ReadAheadSubscriber> HELD_FRAMES =
                AtomicIntegerFieldUpdater.newUpdater(ReadAheadSubscriber.class, "heldFrames");
        /** The frame size assumed before any arrived: one small event. */
        private static final int FIRST_FRAME_BYTES_GUESS = 64;

        private final CoreSubscriber<? super TreeEvent> actual;
        private final int framesAhead;
        private final int maxBytes;
        private final BiFunction<Throwable, Long, Throwable> onError;
        /** Frames received, not yet decoded; offered by the event loop, polled by the drain loop. */
        private final Queue<Payload> queue = Queues.<Payload>unbounded(256).get();
        private final AtomicInteger wip = new AtomicInteger();

        private Subscription upstream;
        /** Events the application asked for and has not been given. */
        private volatile long demand;
        /** Bytes of the frames in {@link #queue}. */
        private volatile long heldBytes;
        /** Frames in {@link #queue}. */
        private volatile int heldFrames;
        /** Frames asked for and not yet received. */
        private volatile int outstanding;
        /** A moving average of the frames' sizes (written by the event loop only). */
        private volatile int averageFrameBytes = FIRST_FRAME_BYTES_GUESS;
        private volatile boolean done;
        private Throwable error;
        private volatile boolean cancelled;

        /** Drain loop only: the decoded frame being handed on, and where. */
        private List<TreeEvent> current;
        private int index;
        /** Drain loop only. */
        private long lastSeen;

        ReadAheadSubscriber(CoreSubscriber<? super TreeEvent> actual, int framesAhead, int maxBytes, long lastSeen,
                            BiFunction<Throwable, Long, Throwable> onError) {
            this.actual = actual;
            this.framesAhead = framesAhead;
            this.maxBytes = maxBytes;
            this.lastSeen = lastSeen;
            this.onError = onError;
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(upstream, s)) {
                upstream = s;
                actual.onSubscribe(this);
                drain(); // asks for the first window (through the drain loop: one caller at a time raises outstanding)
            }
        }

        @Override
        public void onNext(Payload frame) {
            if (done || cancelled) {
                frame.release();
                return;
            }
            int bytes = frame.data().readableBytes();
            OUTSTANDING.decrementAndGet(this);
            averageFrameBytes = Math.max(1, averageFrameBytes + (bytes - averageFrameBytes) / 8);
            if (demand == Long.MAX_VALUE && wip.get() == 0 && wip.compareAndSet(0, 1)) {
                // the common case, a callback subscriber that takes everything: nothing held, hand the frame's
                // events straight on without the queue and its counters
                if (current == null && queue.isEmpty()) {
                    if (!handOnWhole(frame)) {
                        return;
                    }
                    askForMore();
                    if (wip.decrementAndGet() == 0) {
                        return;
                    }
                } else {
                    hold(frame, bytes);
                }
                drainLoop();
                return;
            }
            hold(frame, bytes);
            drain();
        }

        private void hold(Payload frame, int bytes) {
            HELD_BYTES.addAndGet(this, bytes);
            HELD_FRAMES.incrementAndGet(this);
            queue.offer(frame);
        }

        /** Decodes {@code frame} and hands on all its events (the drain loop's owner, unbounded demand). */
        private boolean handOnWhole(Payload frame) {
            List<TreeEvent> events;
            try {
                events = Codec.events(frame); // releases the frame
            } catch (RuntimeException e) {
                upstream.cancel();
                fail(e);
                return false;
            }
            for (int i = 0, n = events.size(); i < n; i++) {
                if (cancelled) {
                    clear();
                    return false;
                }
                TreeEvent e = events.get(i);
                TreeEvent.Kind kind = e.kind();
                if (kind == TreeEvent.Kind.UPDATE || kind == TreeEvent.Kind.SNAPSHOT_END) {
                    lastSeen = e.seq();
                }
                actual.onNext(e);
            }
            return true;
        }

        @Override
        public void onError(Throwable t) {
            if (done) {
                Operators.onErrorDropped(t, actual.currentContext());
                return;
            }
            error = t;
            done = true;
            drain();
        }

        @Override
        public void onComplete() {
            done = true;
            drain();
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                Operators.addCap(DEMAND, this, n);
                drain();
            }
        }

        @Override
        public void cancel() {
            if (!cancelled) {
                cancelled = true;
                upstream.cancel();
                if (wip.getAndIncrement() == 0) {
                    clear();
                }
            }
        }

        private void clear() {
            current = null;
            Payload p;
            while ((p = queue.poll()) != null) {
                if (p.refCnt() > 0) {
                    p.release();
                }
            }
        }

        private void drain() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            drainLoop();
        }

        /** Hands on events as demanded; the caller owns the loop (raised {@link #wip} from 0). */
        private void drainLoop() {
            int missed = 1;
            for (;;) {
                long wanted = demand;
                long given = 0;
                while (given != wanted) {
                    if (cancelled) {
                        clear();
                        return;
                    }
                    if (done && error != null) {
                        fail(error);
                        return;
                    }
                    List<TreeEvent> events = current;
                    if (events == null) {
                        boolean finished = done;
                        Payload frame = queue.poll();
                        if (frame == null) {
                            if (finished) {
                                actual.onComplete();
                                return;
                            }
                            break;
                        }
                        HELD_BYTES.addAndGet(this, -frame.data().readableBytes());
                        HELD_FRAMES.decrementAndGet(this);
                        try {
                            events = Codec.events(frame); // releases the frame
                        } catch (RuntimeException e) {
                            upstream.cancel();
                            fail(e);
                            return;
                        }
                        current = events;
                        index = 0;
                    }
                    TreeEvent e = events.get(index++);
                    if (index == events.size()) {
                        current = null;
                    }
                    TreeEvent.Kind kind = e.kind();
                    if (kind == TreeEvent.Kind.UPDATE || kind == TreeEvent.Kind.SNAPSHOT_END) {
                        lastSeen = e.seq();
                    }
                    actual.onNext(e);
                    given++;
                }
                if (given == wanted) {
                    if (cancelled) {
                        clear();
                        return;
                    }
                    if (done) {
                        if (error != null) {
                            fail(error);
                            return;
                        }
                        if (current == null && queue.isEmpty()) {
                            actual.onComplete();
                            return;
                        }
                    }
                }
                if (given != 0 && wanted != Long.MAX_VALUE) {
                    DEMAND.addAndGet(this, -given);
                }
                askForMore();
                missed = wip.addAndGet(-missed);
                if (missed == 0) {
                    return;
                }
            }
        }

        /**
         * Tops the window up to what both bounds allow, once a quarter of it is free (or nothing is held or asked for).
         * Called by the drain loop only, so one caller at a time raises {@link #outstanding}.
         */
        private void askForMore() {
            if (done || cancelled) {
                return;
            }
            int average = averageFrameBytes;
            long room = maxBytes - heldBytes;
            int held = heldFrames;
            int byBytes = room <= 0 ? 0 : (int) Math.min(framesAhead, Math.max(1, room / average));
            int window = Math.min(framesAhead - held, byBytes);
            int out = outstanding;
            int n = window - out;
            if (n <= 0) {
                return;
            }
            int step = Math.max(1, (int) Math.min(framesAhead, maxBytes / average) / 4);
            if (n >= step || (out == 0 && held == 0)) {
                OUTSTANDING.addAndGet(this, n);
                upstream.request(n);
            }
        }

        private void fail(Throwable t) {
            cancelled = true; // terminal: frames still in flight from upstream are released on arrival
            clear();
            actual.onError(onError.apply(t, lastSeen));
        }
    }
}
