package io.treecast.cli.internal;

/**
 * One Netty event loop per core for every {@code treecast} command, unless {@code -Dreactor.netty.ioWorkerCount} says
 * otherwise. reactor-netty's own default is at least 4 loops: on a 2-core machine the writer then wakes up to four
 * loops for one update's subscribers instead of two, and each wake-up of a parked thread costs tens of
 * core-microseconds on a small virtual machine. Measured on 2 cores (BENCHMARKS.md, 2026-12-07): the server 17.1-17.3
 * core-µs per update at 50,000/s with 2 loops against 18.2-18.8 with 4 (3 of 3 runs), 137-147 against 150-158 at
 * 5,000/s, the load generator the same or cheaper. On 4 cores or more nothing changes.
 *
 * <pre>{@code
 * EventLoopCount.applyDefault();   // first thing in main, before any reactor-netty class is loaded
 * }</pre>
 */
public final class EventLoopCount {
    /** reactor-netty's system property for the number of event loops of its shared TCP and HTTP resources. */
    public static final String PROPERTY = "reactor.netty.ioWorkerCount";

    private EventLoopCount() {
    }

    /**
     * Sets {@value #PROPERTY} to the number of cores the JVM may use, if it is not set. Must run before reactor-netty
     * reads it (its {@code LoopResources} class initialisation); a value the user gave is kept as given.
     */
    public static void applyDefault() {
        String given = System.getProperty(PROPERTY);
        if (given == null || given.isBlank()) {
            System.setProperty(PROPERTY, String.valueOf(Math.max(1, Runtime.getRuntime().availableProcessors())));
        }
    }
}
