package io.treecast.gateway.internal;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Tells whether the connections' event loops still run tasks: each loop stamps the time on a timer of its own every
 * {@link #PERIOD_MILLIS} ms. A loop held by a task that never returns stops stamping, so the longest silence grows;
 * {@code /health} turns that into 503. One timer task per loop, nothing per request.
 *
 * <pre>{@code
 * EventLoopHeartbeat beat = EventLoopHeartbeat.start(TcpResources.get().onServer(true));
 * if (beat.longestSilenceNanos() > TimeUnit.SECONDS.toNanos(10)) { ... stuck ... }
 * }</pre>
 */
public final class EventLoopHeartbeat implements AutoCloseable {
    static final long PERIOD_MILLIS = 250;

    private final AtomicLongArray lastBeat;
    private final List<ScheduledFuture<?>> timers = new ArrayList<>();

    private EventLoopHeartbeat(int loops) {
        lastBeat = new AtomicLongArray(loops);
    }

    /** Starts a timer on every event loop of {@code group}. */
    public static EventLoopHeartbeat start(EventLoopGroup group) {
        List<EventExecutor> loops = new ArrayList<>();
        group.forEach(loops::add);
        EventLoopHeartbeat beat = new EventLoopHeartbeat(loops.size());
        long now = System.nanoTime();
        for (int i = 0; i < loops.size(); i++) {
            int slot = i;
            beat.lastBeat.set(slot, now);
            beat.timers.add(loops.get(i).scheduleAtFixedRate(() -> beat.lastBeat.set(slot, System.nanoTime()),
                    0, PERIOD_MILLIS, TimeUnit.MILLISECONDS));
        }
        return beat;
    }

    /** How long the least recently heard loop has been silent (about {@link #PERIOD_MILLIS} when all run). */
    public long longestSilenceNanos() {
        long now = System.nanoTime();
        long longest = 0;
        for (int i = 0; i < lastBeat.length(); i++) {
            longest = Math.max(longest, now - lastBeat.get(i));
        }
        return longest;
    }

    /** Event loops watched. */
    public int loops() {
        return lastBeat.length();
    }

    @Override
    public void close() {
        timers.forEach(t -> t.cancel(false));
    }
}
