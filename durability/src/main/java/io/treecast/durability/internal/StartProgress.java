package io.treecast.durability.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Whether a starting child process still makes progress, judged by its log files growing: the start is given up
 * only after {@code stallTimeout} without a new byte, or after ten times that in all (a child that logs forever
 * without serving).
 *
 * <pre>{@code
 * StartProgress p = new StartProgress(Duration.ofSeconds(60), log);
 * while (!serving() && !p.stalled()) { ... }
 * }</pre>
 */
final class StartProgress {
    private final long stallNanos;
    private final long startNanos;
    private final Path[] logs;
    private long lastSize = -1;
    private long lastProgressNanos;

    private final java.util.function.LongSupplier clock;

    StartProgress(Duration stallTimeout, Path... logs) {
        this(System::nanoTime, stallTimeout, logs);
    }

    /** With a nanosecond clock of the caller's (tests). */
    StartProgress(java.util.function.LongSupplier clock, Duration stallTimeout, Path... logs) {
        this.clock = clock;
        this.stallNanos = stallTimeout.toNanos();
        this.logs = logs;
        this.startNanos = clock.getAsLong();
        this.lastProgressNanos = startNanos;
    }

    /** True when the logs have not grown for the stall timeout, or the whole start took ten times it. */
    boolean stalled() {
        long now = clock.getAsLong();
        long size = size();
        if (size != lastSize) {
            lastSize = size;
            lastProgressNanos = now;
        }
        return now - lastProgressNanos > stallNanos || now - startNanos > 10 * stallNanos;
    }

    /** Why {@link #stalled()} said so, for the error message. */
    String why() {
        long now = clock.getAsLong();
        if (now - startNanos > 10 * stallNanos) {
            return "still starting after " + (now - startNanos) / 1_000_000 + " ms (10 x the start timeout)";
        }
        return "no progress (its log did not grow) for " + (now - lastProgressNanos) / 1_000_000 + " ms, "
                + (now - startNanos) / 1_000_000 + " ms after it was launched";
    }

    private long size() {
        long total = 0;
        for (Path p : logs) {
            try {
                total += Files.size(p);
            } catch (IOException missing) {
                // not written yet
            }
        }
        return total;
    }
}
