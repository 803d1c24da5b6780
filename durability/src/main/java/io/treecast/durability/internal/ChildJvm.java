package io.treecast.durability.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts a child JVM of the server (the embedded broker, the state store) the one way both need: the server's own
 * java and class path, {@link KafkaChildMain} tying the child's life to the parent's stdin, logback writing and
 * rolling {@code logFile}, and the child's raw output (a JVM error) appended to {@code outFile} beside it.
 *
 * <pre>{@code
 * Process p = ChildJvm.start("256m", List.of("-Xms32m", "-XX:+UseSerialGC"), log, out,
 *         List.of("-Dtreecast.child=state-store"), List.of("io.treecast.cli.TreecastCli", "state"));
 * }</pre>
 */
final class ChildJvm {
    /**
     * Compile with C1 only (the embedded broker). The broker does little Java work per update (its records arrive and
     * leave in batches) but runs a lot of Kafka code: C2's compiles of it took ~45 % of its CPU for minutes after a
     * start (async-profiler, 2026-12-07), competing with the fast path for two shared cores.
     */
    static final String C1_ONLY = "-XX:TieredStopAtLevel=1";

    private ChildJvm() {
    }

    static Process start(String heap, List<String> gcOptions, Path logFile, Path outFile, List<String> properties,
                         List<String> mainAndArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heap);
        cmd.addAll(gcOptions);
        // an OutOfMemoryError ends the child instead of leaving it wedged; its supervisor restarts it
        cmd.add("-XX:+ExitOnOutOfMemoryError");
        cmd.add("-Djava.awt.headless=true");
        cmd.addAll(properties);
        cmd.add("-Dlogback.configurationFile=io/treecast/durability/kafka-child-logback.xml");
        // Kafka's few Log4j API calls (dynamic log levels) need no log4j-core, which is not shipped (logback is the
        // one backend): without this, Log4j prints "could not find a logging provider" at each start
        cmd.add("-Dlog4j2.loggerContextFactory=org.apache.logging.log4j.simple.SimpleLoggerContextFactory");
        cmd.add("-Dtreecast.broker.log=" + logFile);
        cmd.add("-Dtreecast.broker.log.max-bytes=" + EmbeddedKafka.LOG_MAX_BYTES);
        cmd.add("-Dtreecast.broker.log.max-index=" + (EmbeddedKafka.LOG_FILES - 1));
        cmd.add("-cp");
        cmd.add(EmbeddedKafka.childClasspath());
        cmd.add(KafkaChildMain.class.getName());
        cmd.addAll(mainAndArgs);
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(outFile.toFile()))
                .start();
    }

    /**
     * Stops a child started by {@link #start}: a {@code stop} line on its stdin (KafkaChildMain then exits through
     * the child's own shutdown hooks), a kill after {@code timeout}. Logs one line as {@code role}, closes
     * {@code stdin}, and returns whether the child exited by itself with code 0.
     */
    static boolean stop(Process p, OutputStream stdin, Duration timeout, String role, org.slf4j.Logger log)
            throws InterruptedException {
        long t0 = System.nanoTime();
        try {
            if (p.isAlive()) {
                try {
                    stdin.write("stop\n".getBytes(StandardCharsets.UTF_8));
                    stdin.flush();
                } catch (IOException alreadyGone) {
                    // the child is exiting anyway
                }
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("{} (pid {}) did not stop within {}; killing it", role, p.pid(), timeout);
                    p.destroyForcibly();
                    p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    return false;
                }
            }
            int code = p.exitValue();
            log.info("{} (pid {}) stopped in {} ms{}", role, p.pid(), (System.nanoTime() - t0) / 1_000_000,
                    code == 0 ? "" : " with exit code " + code + EmbeddedKafka.describeExit(code));
            return code == 0;
        } finally {
            try {
                stdin.close();
            } catch (IOException ignored) {
                // closing our end of the pipe; nothing to report
            }
        }
    }
}
