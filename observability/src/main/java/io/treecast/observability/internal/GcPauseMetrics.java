package io.treecast.observability.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * GC pauses with their real length: {@code treecast_jvm_gc_pause_seconds} (count, sum, max), from the JDK Flight
 * Recorder's {@code jdk.GCPhasePause} events, streamed in-process. Micrometer's {@code jvm_gc_pause_seconds} comes
 * from the collectors' notifications, whose durations are whole milliseconds: every ZGC pause (tens of microseconds)
 * shows as 0, and a "pause over 1 ms" alert on it fires only from 2 ms. JFR records each pause in nanoseconds.
 *
 * <p>Costs one JFR recording with only this event (a few per GC cycle) and one thread that reads it about once a
 * second (so the metric lags by that); the recording keeps at most 10 s or 4 MiB of events on disk (the JDK's
 * temporary directory). When JFR is not available (a JVM without it), the metric stays empty and a warning says so.
 *
 * <pre>{@code
 * GcPauseMetrics gc = GcPauseMetrics.start(registry);   // ... gc.close();
 * }</pre>
 */
public final class GcPauseMetrics implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GcPauseMetrics.class);

    private final RecordingStream stream;

    private GcPauseMetrics(RecordingStream stream) {
        this.stream = stream;
    }

    /** Registers the timer and starts streaming; never throws (a JVM without JFR gets an empty timer). */
    public static GcPauseMetrics start(MeterRegistry registry) {
        Timer pauses = Timer.builder("treecast.jvm.gc.pause")
                .description("Stop-the-world GC pauses (each phase pause), measured by JFR in nanoseconds: unlike "
                        + "jvm_gc_pause_seconds, not rounded to whole milliseconds")
                .register(registry);
        try {
            RecordingStream s = new RecordingStream();
            s.enable("jdk.GCPhasePause").withoutThreshold();
            s.setMaxAge(Duration.ofSeconds(10));
            s.setMaxSize(4L << 20);
            s.onEvent("jdk.GCPhasePause", (RecordedEvent e) -> pauses.record(e.getDuration().toNanos(), TimeUnit.NANOSECONDS));
            s.startAsync();
            return new GcPauseMetrics(s);
        } catch (RuntimeException | Error e) {
            LOG.warn("no treecast_jvm_gc_pause_seconds: JDK Flight Recorder is not available ({})", e.toString());
            return new GcPauseMetrics(null);
        }
    }

    @Override
    public void close() {
        if (stream != null) {
            stream.close();
        }
    }
}
