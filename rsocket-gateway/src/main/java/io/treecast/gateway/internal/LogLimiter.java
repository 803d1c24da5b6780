package io.treecast.gateway.internal;

import org.slf4j.Logger;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Rate-limits the log lines of one cause (e.g. "a client sent a bad frame"): at most one line per period; the
 * occurrences in between are counted and the next line says how many were suppressed. A stack trace is logged only
 * when the logger is at DEBUG, so that a flood of hostile connections costs a few short lines, not megabytes.
 *
 * <p>Thread-safe without locks: whichever thread wins the compare-and-set on the next allowed time writes the line.
 *
 * <pre>{@code
 * static final LogLimiter BAD_FRAMES = new LogLimiter(LOG, "bad frame", Duration.ofSeconds(10).toNanos());
 * BAD_FRAMES.warn("{}: {}", connectionName, error);   // the last argument may be a Throwable
 * }</pre>
 */
public final class LogLimiter {
    private final Logger log;
    private final String cause;
    private final long periodNanos;
    private final LongSupplier clock;
    private final AtomicLong nextAllowedNanos;
    private final AtomicLong suppressed = new AtomicLong();

    public LogLimiter(Logger log, String cause, long periodNanos) {
        this(log, cause, periodNanos, System::nanoTime);
    }

    /** With an explicit clock, for tests. */
    LogLimiter(Logger log, String cause, long periodNanos, LongSupplier clock) {
        this.log = log;
        this.cause = cause;
        this.periodNanos = periodNanos;
        this.clock = clock;
        this.nextAllowedNanos = new AtomicLong(clock.getAsLong());
    }

    /**
     * Logs {@code "<cause>: " + message} at WARN if this cause has not logged within the period, else counts it. A
     * trailing {@link Throwable} argument is printed as its class and message, and as a stack trace only at DEBUG.
     *
     * @return whether a line was written
     */
    public boolean warn(String format, Object... args) {
        return emit(true, format, args);
    }

    /** As {@link #warn} at INFO, for causes that are news rather than trouble (e.g. a slow consumer ended). */
    public boolean info(String format, Object... args) {
        return emit(false, format, args);
    }

    private boolean emit(boolean warn, String format, Object... args) {
        long now = clock.getAsLong();
        long next = nextAllowedNanos.get();
        if (now - next < 0 || !nextAllowedNanos.compareAndSet(next, now + periodNanos)) {
            suppressed.incrementAndGet();
            return false;
        }
        long skipped = suppressed.getAndSet(0);
        Throwable t = args.length > 0 && args[args.length - 1] instanceof Throwable ? (Throwable) args[args.length - 1] : null;
        Object[] shown = args.clone();
        if (t != null) {
            shown[shown.length - 1] = LogText.escape(t.getClass().getSimpleName() + ": " + t.getMessage(), 256);
        }
        String suffix = skipped == 0 ? "" : " (" + skipped + " more like it in the last " + (periodNanos / 1_000_000) + " ms were not logged)";
        if (warn) {
            log.warn(cause + ": " + format + suffix, shown);
        } else {
            log.info(cause + ": " + format + suffix, shown);
        }
        if (t != null && log.isDebugEnabled()) {
            log.debug(cause + ": stack trace of the line above", t);
        }
        return true;
    }

    /** Occurrences counted but not logged since the last line. */
    public long suppressed() {
        return suppressed.get();
    }
}
