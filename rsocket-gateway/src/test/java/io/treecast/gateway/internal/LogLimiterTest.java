package io.treecast.gateway.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** One line per period and cause, with the count of the ones suppressed; stack traces only at DEBUG. */
class LogLimiterTest {
    private final LoggerContext context = new LoggerContext();
    private final Logger log = context.getLogger("test");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final AtomicLong now = new AtomicLong(1_000);

    @BeforeEach
    void capture() {
        lines.setContext(context);
        lines.start();
        log.addAppender(lines);
        log.setLevel(Level.INFO);
    }

    @Test
    void oneLinePerPeriodAndTheNextSaysHowManyWereSuppressed() {
        LogLimiter limiter = new LogLimiter(log, "bad frame", 10_000, now::get);
        assertThat(limiter.warn("{}: {}", "conn 1", "too short")).isTrue();
        for (int i = 0; i < 499; i++) {
            now.addAndGet(10);
            assertThat(limiter.warn("{}: {}", "conn", "too short")).isFalse();
        }
        assertThat(lines.list).hasSize(1);
        assertThat(limiter.suppressed()).isEqualTo(499);
        now.addAndGet(10_000);
        assertThat(limiter.warn("{}: {}", "conn 501", "too short")).isTrue();
        assertThat(lines.list).hasSize(2);
        assertThat(lines.list.get(0).getFormattedMessage()).isEqualTo("bad frame: conn 1: too short");
        assertThat(lines.list.get(1).getFormattedMessage()).isEqualTo(
                "bad frame: conn 501: too short (499 more like it in the last 0 ms were not logged)");
        assertThat(limiter.suppressed()).isZero();
    }

    @Test
    void aThrowableIsOneEscapedPhraseAtInfoAndAStackTraceOnlyAtDebug() {
        LogLimiter limiter = new LogLimiter(log, "protocol error", 10_000, now::get);
        limiter.warn("{}: {}", "conn 1", new IllegalStateException("bad\nthing"));
        assertThat(lines.list).hasSize(1);
        assertThat(lines.list.get(0).getThrowableProxy()).isNull();
        assertThat(lines.list.get(0).getFormattedMessage()).isEqualTo("protocol error: conn 1: IllegalStateException: bad\\nthing");

        log.setLevel(Level.DEBUG);
        now.addAndGet(10_000);
        limiter.warn("{}: {}", "conn 2", new IllegalStateException("again"));
        assertThat(lines.list).hasSize(3);
        assertThat(lines.list.get(2).getLevel()).isEqualTo(Level.DEBUG);
        assertThat(lines.list.get(2).getThrowableProxy()).isNotNull();
    }

    @Test
    void separateCausesHaveSeparateBudgets() {
        LogLimiter a = new LogLimiter(log, "a", 10_000, now::get);
        LogLimiter b = new LogLimiter(log, "b", 10_000, now::get);
        assertThat(a.warn("x")).isTrue();
        assertThat(b.warn("y")).isTrue();
        assertThat(a.warn("x")).isFalse();
    }
}
