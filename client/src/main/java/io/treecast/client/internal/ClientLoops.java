package io.treecast.client.internal;

import io.treecast.client.ClientOptions;
import reactor.netty.resources.LoopResources;

/**
 * The Netty event loops that every Treecast client connection of this JVM runs on, apart from reactor-netty's shared
 * ones: {@value ClientOptions#EVENT_LOOPS_PROPERTY} of them (default {@value ClientOptions#DEFAULT_EVENT_LOOPS}),
 * daemon threads named {@code treecast-client-*}, created when the first client connects and kept for the JVM's life.
 *
 * <p>Why one by default: each loop that sleeps between frames is woken by the kernel for the next one, and on a small
 * machine such a wake-up costs more than decoding the frame. A publisher and 20 subscribers in one JVM at 50,000
 * updates/s cost 14.8 core-µs per update on one loop against 17.8 on two (BENCHMARKS.md, 2026-12-07, fourth session):
 * the frames the server sends to several subscribers at once are then read in one wake-up. The price is latency: a
 * frame may wait while the loop reads another connection's (p50 589 against 509 µs in that run). One loop reads well over
 * 100,000 events/s; an application that needs more sets the property. Being our own, the loops are also not shared
 * with an HTTP server of the application that uses reactor-netty's.
 *
 * <pre>{@code
 * java -Dtreecast.client.event-loops=2 -jar app.jar   // before the first client connects
 * }</pre>
 */
public final class ClientLoops {
    private static volatile LoopResources loops;

    private ClientLoops() {
    }

    /**
     * The JVM's client loops, created on first use with {@link #count()} threads.
     *
     * @throws IllegalArgumentException when the property is not an integer 1..{@link ClientOptions#MAX_EVENT_LOOPS}
     *                                  (checked on every call, so a bad value fails each connect, not only the first)
     */
    public static LoopResources shared() {
        int n = count();
        LoopResources l = loops;
        if (l == null) {
            synchronized (ClientLoops.class) {
                l = loops;
                if (l == null) {
                    l = LoopResources.create("treecast-client", n, true);
                    loops = l;
                }
            }
        }
        return l;
    }

    /**
     * Stops the loops, if any were created, waiting at most {@code wait}; a later connect creates new ones. For a
     * process about to exit: an idle loop sits in native code ({@code epoll_wait}), and HotSpot's exit waits up to
     * 300 ms for such threads. Connections still open on them are closed.
     */
    public static void stop(java.time.Duration wait) {
        LoopResources l;
        synchronized (ClientLoops.class) {
            l = loops;
            loops = null;
        }
        if (l != null) {
            l.disposeLater(java.time.Duration.ZERO, java.time.Duration.ZERO).block(wait);
        }
    }

    /**
     * {@value ClientOptions#EVENT_LOOPS_PROPERTY}, or the default when unset.
     *
     * @throws IllegalArgumentException when it is not an integer 1..{@link ClientOptions#MAX_EVENT_LOOPS}
     */
    public static int count() {
        return (int) RangedProperty.read(ClientOptions.EVENT_LOOPS_PROPERTY, ClientOptions.DEFAULT_EVENT_LOOPS, 1,
                ClientOptions.MAX_EVENT_LOOPS, "event loop threads for this JVM's Treecast clients");
    }
}
