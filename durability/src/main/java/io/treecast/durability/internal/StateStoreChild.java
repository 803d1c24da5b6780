package io.treecast.durability.internal;

import io.treecast.fastpath.BackgroundPriority;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tree's Kafka Streams state store in a child JVM ({@code treecast state --query-port}), so that its stream
 * thread, RocksDB, heap and GC never run in the serving JVM (in-process it cost ~12 core-µs of the server's CPU per
 * update at 50,000/s, BENCHMARKS.md). Launched like the embedded broker ({@link EmbeddedKafka}): our class path,
 * through {@link KafkaChildMain}, so that it halts when this process dies (end-of-file on its stdin, also after a
 * {@code kill -9} of this process) and ignores SIGINT/SIGTERM/SIGHUP (this process stops it, before the broker). Its
 * log is {@code dataDir/state-store.log} (rolled like the broker's), its raw stdout/stderr {@code dataDir/state-store.out}
 * (one file per start, the previous one kept).
 *
 * <p>The child binds its query port itself (0: any free port, at the first start) and prints it
 * ({@code ... queries on http://127.0.0.1:P}); a restart asks for the same port again, so that the address Kafka
 * Streams advertises ({@code application.server}) stays the same. {@link #queryUri()} is that address while the child
 * serves, null otherwise.
 *
 * <p>A supervisor thread, lowered by {@code nice} steps so that the child inherits the lower CPU priority, launches the
 * child, waits for that line while the child makes progress (its logs grow; {@link StartProgress}, as the broker's
 * start), logs one line, and waits for the child to exit; a child that exits without {@link #close()} is restarted
 * after a back-off of 1 s doubling up to 30 s (back to 1 s once a child served 60 s), one WARN line each.
 *
 * <pre>{@code
 * StateStoreChild child = new StateStoreChild(dataDir, "256m", 10, Duration.ofSeconds(60), Duration.ofSeconds(15),
 *         List.of("io.treecast.cli.TreecastCli", "state", "--bootstrap-servers", bootstrap, "--state-dir", dir));
 * child.start();              // returns at once; the supervisor launches it
 * URI queries = child.queryUri();   // null until it serves
 * }</pre>
 *
 * Thread-safe.
 */
public final class StateStoreChild implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StateStoreChild.class);
    /** The line {@code treecast state} prints once its query endpoint listens. */
    private static final Pattern READY = Pattern.compile("queries on (http://\\S+?):(\\d+)");
    static final long RESTART_BACKOFF_MIN_MS = 1_000;
    static final long RESTART_BACKOFF_MAX_MS = 30_000;
    static final long STABLE_AFTER_MS = 60_000;

    private final Path dataDir;
    private final String heap;
    private final int nice;
    private final Duration startTimeout;
    private final Duration stopTimeout;
    private final List<String> mainAndArgs;
    private final Path logFile;
    private final Path outFile;
    private final AtomicLong restarts = new AtomicLong();
    private volatile Process process;
    private volatile URI queryUri;
    private volatile boolean closed;
    private Thread supervisor;
    /** The port of the last child that served; asked for again at a restart (0 before the first). */
    private int port;

    /**
     * @param mainAndArgs the child's main class and arguments without {@code --query-port}, which this class adds
     */
    public StateStoreChild(Path dataDir, String heap, int nice, Duration startTimeout, Duration stopTimeout,
                           List<String> mainAndArgs) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.heap = heap;
        this.nice = nice;
        this.startTimeout = startTimeout;
        this.stopTimeout = stopTimeout;
        this.mainAndArgs = List.copyOf(mainAndArgs);
        this.logFile = this.dataDir.resolve("state-store.log");
        this.outFile = this.dataDir.resolve("state-store.out");
    }

    /** Starts the supervisor, which launches the child; returns at once. Later calls do nothing. */
    public synchronized void start() {
        if (supervisor != null || closed) {
            return;
        }
        Thread t = new Thread(this::superviseLoop, "treecast-state-store-supervisor");
        t.setDaemon(true);
        supervisor = t;
        t.start();
    }

    /** {@code http://127.0.0.1:<port>} of the child's interactive queries while it serves, else null. */
    public URI queryUri() {
        return queryUri;
    }

    /** The child JVM's process id, or -1 when none runs. */
    public long pid() {
        Process p = process;
        return p == null || !p.isAlive() ? -1 : p.pid();
    }

    /** Restarts after the child exited on its own. */
    public long restarts() {
        return restarts.get();
    }

    /** Where the child logs. */
    public Path logFile() {
        return logFile;
    }

    private void superviseLoop() {
        BackgroundPriority.lowerCurrentThread(nice); // the child JVM inherits this thread's nice value
        int failures = 0;
        boolean servedBefore = false;
        // a start that failed may have failed to bind the old port (taken meanwhile): the next one takes any free port
        boolean lastStartFailed = false;
        try {
            while (!closed) {
                long t0 = System.nanoTime();
                Process p;
                try {
                    p = launchAndAwaitServing(lastStartFailed ? 0 : port);
                    lastStartFailed = false;
                } catch (RuntimeException e) {
                    if (closed) {
                        return;
                    }
                    lastStartFailed = true;
                    long backoff = backoff(failures++);
                    LOG.warn("state store child did not start: {}; trying again in {} ms (catch-ups older than the "
                            + "replay ring are served from the engine's own tree meanwhile; see {})",
                            e.getMessage(), backoff, logFile);
                    pause(backoff);
                    continue;
                }
                if (p == null) {
                    return; // closed while it started
                }
                long startedMs = (System.nanoTime() - t0) / 1_000_000;
                if (!servedBefore) {
                    servedBefore = true;
                    LOG.info("state store child serving queries on {} (pid {}, started in {} ms, heap {}, log {})",
                            queryUri, p.pid(), startedMs, heap, logFile);
                } else {
                    LOG.info("state store child restarted: serving queries on {} (pid {}, started in {} ms, restart {})",
                            queryUri, p.pid(), startedMs, restarts.incrementAndGet());
                }
                long servedFrom = System.nanoTime();
                int code = p.waitFor();
                queryUri = null;
                if (closed) {
                    return;
                }
                long upMs = (System.nanoTime() - servedFrom) / 1_000_000;
                failures = upMs >= STABLE_AFTER_MS ? 0 : failures;
                long backoff = backoff(failures++);
                LOG.warn("state store child (pid {}) exited with code {}{} after {} s; restarting it in {} ms (it resumes "
                                + "from its store and the topic; catch-ups older than the replay ring are served "
                                + "from the engine's own tree meanwhile; see {})",
                        p.pid(), code, EmbeddedKafka.describeExit(code), upMs / 1000, backoff, logFile);
                pause(backoff);
            }
        } catch (InterruptedException e) {
            // close(): nothing more to supervise
        } catch (Throwable t) {
            LOG.error("the state store child's supervisor stopped on an unexpected error; a state store child that "
                    + "exits now stays down until the server restarts", t);
        }
    }

    private static long backoff(int failures) {
        return Math.min(RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_MIN_MS << Math.min(failures, 16));
    }

    private synchronized void pause(long millis) throws InterruptedException {
        long until = System.nanoTime() + millis * 1_000_000;
        long left;
        while (!closed && (left = until - System.nanoTime()) > 0) {
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /**
     * Launches a child asking for {@code askPort} and waits until it prints its query address; null when
     * {@link #close()} came meanwhile (it stops that child).
     */
    private Process launchAndAwaitServing(int askPort) throws InterruptedException {
        Process p;
        try {
            Files.createDirectories(dataDir);
            EmbeddedKafka.rotate(logFile, EmbeddedKafka.LOG_MAX_BYTES, EmbeddedKafka.LOG_FILES);
            EmbeddedKafka.rotate(outFile, 0, 2);
            synchronized (this) {
                if (closed) {
                    return null;
                }
                p = launch(askPort);
                process = p;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not launch it under " + dataDir + ": " + e.getMessage(), e);
        }
        StartProgress progress = new StartProgress(startTimeout, logFile, outFile);
        while (true) {
            if (closed) {
                return null;
            }
            Matcher m = READY.matcher(read(outFile));
            if (m.find()) {
                port = Integer.parseInt(m.group(2));
                queryUri = URI.create(m.group(1) + ":" + m.group(2));
                return p;
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("it exited with code " + p.exitValue()
                        + EmbeddedKafka.describeExit(p.exitValue()) + " while starting: " + lastLines(outFile));
            }
            if (progress.stalled()) {
                p.destroyForcibly();
                p.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
                throw new IllegalStateException("it did not serve: " + progress.why()
                        + "; raise durability.start-timeout-ms on a slow machine");
            }
            Thread.sleep(100);
        }
    }

    private Process launch(int askPort) throws IOException {
        List<String> args = new ArrayList<>(mainAndArgs);
        args.add("--query-port");
        args.add(Integer.toString(askPort));
        // a background JVM on few shared cores: the serial collector runs no GC threads beside the stream thread, and
        // its pauses only delay a catch-up answer, which the engine waits for off its hot path. Unlike the broker it
        // keeps C2: its per-record work is Java (Kafka Streams' task loop, sensors, the store), where C1's code cost
        // more CPU per update once warm than C2's compiles (BENCHMARKS.md, 2026-12-07 morning)
        return ChildJvm.start(heap, List.of("-Xms32m", "-XX:+UseSerialGC"), logFile, outFile,
                List.of("-Dtreecast.child=state-store", "-Dtreecast.child.role=state store"), args);
    }

    /**
     * Stops the child: a {@code stop} line on its stdin (it closes its store and leaves the consumer group, so that the
     * next start takes its partitions at once), a kill after the stop timeout. The supervisor does not restart it.
     */
    @Override
    public void close() {
        Process p;
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            notifyAll();
            p = process;
            t = supervisor;
        }
        if (t != null) {
            t.interrupt();
        }
        queryUri = null;
        if (p == null) {
            return;
        }
        try {
            ChildJvm.stop(p, p.getOutputStream(), stopTimeout, "state store child", LOG);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException notYet) {
            return "";
        }
    }

    private static String lastLines(Path file) {
        List<String> lines = read(file).lines().toList();
        return lines.isEmpty() ? "(no output; see " + file + ")"
                : String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    }
}
