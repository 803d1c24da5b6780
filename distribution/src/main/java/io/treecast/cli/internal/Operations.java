package io.treecast.cli.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.treecast.gateway.ServerConfig;
import org.slf4j.LoggerFactory;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.RuntimeMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What {@code treecast serve} tells an operator about itself: the log level it runs at and its startup summary. */
public final class Operations {
    private Operations() {
    }

    /**
     * Sets the level of the {@code io.treecast} loggers from {@code logging.level} when it was configured (file,
     * environment {@code TREECAST_LOGGING_LEVEL} or flag); otherwise logback.xml's default stands, which also reads
     * {@code TREECAST_LOG_LEVEL}. No rebuild, no edited XML.
     */
    public static void applyLogLevel(ServerConfig config) {
        if ("default".equals(config.sourceOf("logging.level"))) {
            return;
        }
        org.slf4j.Logger l = LoggerFactory.getLogger("io.treecast");
        if (l instanceof Logger) {
            ((Logger) l).setLevel(Level.toLevel(config.loggingLevel(), Level.INFO));
        }
    }

    /** Where the configuration came from: the file (if any) and how many keys the environment and flags set. */
    public static String configSources(ServerConfig config) {
        Map<String, Integer> bySource = new TreeMap<>();
        for (String key : ServerConfig.keys()) {
            String s = config.sourceOf(key);
            String kind = s.startsWith("file ") ? s : s.startsWith("environment") ? "environment" : s.equals("the command line") ? "flags" : null;
            if (kind != null) {
                bySource.merge(kind, 1, Integer::sum);
            }
        }
        if (bySource.isEmpty()) {
            return "defaults only";
        }
        List<String> parts = new ArrayList<>();
        bySource.forEach((k, n) -> parts.add(k + " (" + n + (n == 1 ? " key)" : " keys)")));
        return "defaults, then " + String.join(", ", parts);
    }

    /** The JVM and its collectors, e.g. {@code OpenJDK 64-Bit Server VM 17.0.15, heap max 1024 MiB, 2 CPUs; GC: G1 Young Generation, G1 Old Generation}. */
    public static String jvm() {
        RuntimeMXBean rt = ManagementFactory.getRuntimeMXBean();
        List<String> gcs = new ArrayList<>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs.add(gc.getName());
        }
        return rt.getVmName() + " " + rt.getVmVersion() + " (" + rt.getVmVendor() + "), heap max "
                + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB, " + Runtime.getRuntime().availableProcessors()
                + " CPUs; GC: " + String.join(", ", gcs) + "; JVM options: " + String.join(" ", rt.getInputArguments());
    }

    /**
     * How long start-up took, counted from the process's start (what an operator waits for), e.g.
     * {@code 3120 ms (JVM and class loading 410 ms, serve 2710 ms)}. The process start comes from the OS
     * ({@link ProcessHandle}, clock-tick resolution), else the JVM's ({@link RuntimeMXBean#getStartTime()}).
     *
     * @param serveStartMillis {@link System#currentTimeMillis()} when the serve command began
     */
    public static String startupTimes(long serveStartMillis) {
        long now = System.currentTimeMillis();
        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        long processStart = ProcessHandle.current().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(jvmStart);
        long start = Math.min(processStart, jvmStart);
        return (now - start) + " ms (JVM start and class loading " + Math.max(0, serveStartMillis - start) + " ms, serve "
                + (now - serveStartMillis) + " ms)";
    }
}
