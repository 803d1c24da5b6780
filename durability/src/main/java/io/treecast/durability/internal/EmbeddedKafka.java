package io.treecast.durability.internal;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * A real single-node Apache Kafka broker (KRaft, combined broker + controller) in a child JVM, so that its heap and
 * GC never touch the engine's. The child gets our own classpath (Kafka's jars are dependencies of this module),
 * listens on free loopback ports chosen at the first start (kept across {@link #stop()}/{@link #start()} so that
 * clients reconnect), keeps its data and cluster id under {@code dataDir/kafka} and logs to
 * {@code dataDir/kafka-broker.log} (size-bounded, rotated: {@link #LOG_MAX_BYTES} per file, {@link #LOG_FILES} files;
 * the child's raw stdout/stderr, e.g. a JVM error, goes to {@code dataDir/kafka-broker.out}). The child halts by itself
 * when this process dies (see {@link KafkaChildMain}).
 *
 * <p>{@link #supervise()} makes it restart a child that exits without being asked to (a crash, {@code kill -9}, an
 * OutOfMemoryError), with back-off, each restart logged once with why; the ports stay, so Kafka clients reconnect and
 * the journal's producer resends what waited. {@link #stop()} and {@link #kill()} are never undone by the supervisor.
 *
 * <p>Thread-safe: start, stop and kill are serialized with the supervisor's restarts.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    /** Size at which {@code kafka-broker.log} rolls over (in the child, and at each start). */
    public static final long LOG_MAX_BYTES = 10L * 1024 * 1024;
    /** Files kept: {@code kafka-broker.log} and {@code .1} to {@code .(LOG_FILES-1)}. */
    public static final int LOG_FILES = 4;
    /** First and longest wait before restarting a child that exited on its own. */
    static final long RESTART_BACKOFF_MIN_MS = 1_000;
    static final long RESTART_BACKOFF_MAX_MS = 30_000;
    /** A child that served this long before it exited restarts after the shortest back-off again. */
    static final long STABLE_AFTER_MS = 60_000;

    private final Path dataDir;
    private final String heap;
    private final Duration startTimeout;
    private final Duration stopTimeout;
    private final int brokerPort;
    private final int controllerPort;
    private volatile Process process;
    private OutputStream processStdin;
    /** True from {@link #start()} until {@link #stop()}/{@link #kill()}: the supervisor restarts only a wanted broker. */
    private volatile boolean wanted;
    private boolean supervised;
    private volatile boolean closed;
    private Thread supervisor;
    private volatile long startedAtNanos;
    private final java.util.concurrent.atomic.AtomicLong restarts = new java.util.concurrent.atomic.AtomicLong();

    public EmbeddedKafka(Path dataDir, String heap, Duration startTimeout, Duration stopTimeout) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.heap = heap;
        this.startTimeout = startTimeout;
        this.stopTimeout = stopTimeout;
        int[] ports = freePorts();
        this.brokerPort = ports[0];
        this.controllerPort = ports[1];
    }

    /** {@code 127.0.0.1:<port>} of the broker's client listener. */
    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    /** The child JVM's process id, or -1 when it is not running. */
    public long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Restarts the child whenever it exits without {@link #stop()} or {@link #kill()} (crash, {@code kill -9},
     * OutOfMemoryError), after a back-off of 1 s doubling up to 30 s (back to 1 s once a child served 60 s), one
     * WARN line per restart with the exit code. Call before {@link #start()}; the supervisor thread is created by
     * the first start, so it inherits that thread's CPU priority (and hands it to the restarted child).
     */
    public synchronized void supervise() {
        supervised = true;
    }

    /** Restarts done by the supervisor since this launcher was created. */
    public long restarts() {
        return restarts.get();
    }

    /** Formats the storage on first use, starts the child JVM and waits until the broker answers metadata requests. */
    public synchronized void start() {
        if (isRunning()) {
            return;
        }
        wanted = true;
        startChild();
        if (supervised && supervisor == null) {
            Thread t = new Thread(this::superviseLoop, "treecast-broker-supervisor");
            t.setDaemon(true);
            supervisor = t;
            t.start();
        }
        notifyAll();
    }

    private void startChild() {
        try {
            Path kafkaDir = dataDir.resolve("kafka");
            Files.createDirectories(kafkaDir);
            Path props = writeServerProperties(kafkaDir);
            Path logFile = dataDir.resolve("kafka-broker.log");
            rotate(logFile, LOG_MAX_BYTES, LOG_FILES);
            rotate(dataDir.resolve("kafka-broker.out"), 0, 2);
            if (!Files.exists(kafkaDir.resolve("logs").resolve("meta.properties"))) {
                format(props, logFile, clusterId(kafkaDir));
            }
            long t0 = System.nanoTime();
            process = launch(List.of("kafka.Kafka", props.toString()), logFile);
            processStdin = process.getOutputStream();
            startedAtNanos = System.nanoTime();
            awaitServing(logFile);
            if (!wanted) {
                return; // stop() came while it started; it stops this child
            }
            LOG.info("embedded Kafka broker serving at {} (pid {}, started in {} ms, data in {}, log {})",
                    bootstrapServers(), process.pid(), (System.nanoTime() - t0) / 1_000_000, kafkaDir, logFile);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded Kafka broker under " + dataDir
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Asks the broker to shut down cleanly; kills it if it does not within the stop timeout. Not undone by the
     * supervisor.
     *
     * @return true when no broker ran or it exited by itself with code 0 within the stop timeout; false when it had
     *         to be killed or failed its shutdown
     */
    public boolean stop() {
        wanted = false; // also makes a start in progress (e.g. the supervisor's) return early, so that this is bounded
        synchronized (this) {
            wanted = false;
            notifyAll();
            return stopChild();
        }
    }

    private boolean stopChild() {
        Process p = process;
        if (p == null) {
            return true;
        }
        process = null;
        try {
            return ChildJvm.stop(p, processStdin, stopTimeout, "embedded Kafka broker", LOG);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Kills the broker at once (like a crash or {@code kill -9}) and does not restart it; for tests of Kafka outages. */
    public synchronized void kill() {
        wanted = false;
        notifyAll();
        Process p = process;
        if (p == null) {
            return;
        }
        process = null;
        p.destroyForcibly();
        try {
            p.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(processStdin);
    }

    /** Stops the broker and the supervisor. */
    @Override
    public void close() {
        closed = true;
        stop();
        Thread t;
        synchronized (this) {
            t = supervisor;
        }
        if (t != null) {
            t.interrupt();
        }
    }

    /**
     * The supervisor: waits for the wanted child to exit; when it did so on its own, logs why and starts a new one
     * after a back-off; a start that fails is retried the same way.
     */
    private void superviseLoop() {
        int failures = 0;
        String why = null;
        try {
            while (!closed) {
                Process p;
                synchronized (this) {
                    while (!closed && !wanted) {
                        wait();
                    }
                    if (closed) {
                        return;
                    }
                    p = process;
                }
                if (p != null) {
                    int code = p.waitFor();
                    long upMs = (System.nanoTime() - startedAtNanos) / 1_000_000;
                    synchronized (this) {
                        if (closed || !wanted || process != p) {
                            continue; // stopped or killed on purpose, or already replaced
                        }
                        process = null;
                        closeQuietly(processStdin);
                    }
                    if (upMs >= STABLE_AFTER_MS) {
                        failures = 0;
                    }
                    why = "exited with code " + code + describeExit(code) + " after " + upMs / 1000 + " s";
                }
                long backoff = Math.min(RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_MIN_MS << Math.min(failures, 16));
                failures++;
                LOG.warn("embedded Kafka broker {}; restarting it in {} ms (restart {}); the journal buffers meanwhile "
                        + "(see {})", why, backoff, restarts.get() + 1, dataDir.resolve("kafka-broker.log"));
                synchronized (this) {
                    long until = System.nanoTime() + backoff * 1_000_000;
                    long left;
                    while (!closed && wanted && (left = until - System.nanoTime()) > 0) {
                        wait(Math.max(1, left / 1_000_000));
                    }
                    if (closed || !wanted || process != null) {
                        continue;
                    }
                    try {
                        startChild();
                        if (process != null) {
                            restarts.incrementAndGet();
                            LOG.info("embedded Kafka broker restarted (pid {}, restart {})", process.pid(), restarts.get());
                        }
                    } catch (RuntimeException e) {
                        why = "could not be restarted: " + e.getMessage().lines().findFirst().orElse("");
                        process = null;
                    }
                }
            }
        } catch (InterruptedException e) {
            // close(): nothing more to supervise
        } catch (Throwable t) {
            LOG.error("the embedded Kafka broker's supervisor stopped on an unexpected error; a broker that exits "
                    + "now stays down until the server restarts", t);
        }
    }

    /** " (killed by SIGKILL)" and the like, for the restart line. */
    static String describeExit(int code) {
        if (code == 137) {
            return " (killed by signal 9, SIGKILL)";
        }
        if (code > 128 && code < 160) {
            return " (killed by signal " + (code - 128) + ")";
        }
        if (code == 3) {
            return " (it halted: its parent's pipe closed)";
        }
        return "";
    }

    /**
     * Rolls {@code file} over when it is larger than {@code maxBytes}: {@code .(files-2)} becomes {@code .(files-1)}
     * (the oldest is dropped), ..., {@code file} becomes {@code .1}. With {@code maxBytes} 0 a non-empty file always
     * rolls (the child's raw output: one file per start, the previous one kept).
     */
    static void rotate(Path file, long maxBytes, int files) throws IOException {
        if (!Files.exists(file) || Files.size(file) <= maxBytes || files < 2) {
            return;
        }
        Path dir = file.getParent();
        String name = file.getFileName().toString();
        Files.deleteIfExists(dir.resolve(name + "." + (files - 1)));
        for (int i = files - 2; i >= 1; i--) {
            Path from = dir.resolve(name + "." + i);
            if (Files.exists(from)) {
                Files.move(from, dir.resolve(name + "." + (i + 1)), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.move(file, dir.resolve(name + ".1"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private Path writeServerProperties(Path kafkaDir) throws IOException {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("log.dirs", kafkaDir.resolve("logs").toString());
        p.setProperty("auto.create.topics.enable", "false");
        p.setProperty("num.partitions", "1");
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "4");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        // one node: a controlled shutdown has nowhere to move leadership to; it only waits for the controller's consent
        // over broker heartbeats (EmbeddedKafkaIT's stop: 1.2 s with it, 0.4 s without, on a quiet machine)
        p.setProperty("controlled.shutdown.enable", "false");
        // two shared cores: few threads, and a cleaner that looks for work often enough for small test segments
        p.setProperty("num.network.threads", "2");
        p.setProperty("num.io.threads", "2");
        p.setProperty("background.threads", "2");
        p.setProperty("log.cleaner.threads", "1");
        p.setProperty("log.cleaner.backoff.ms", "1000");
        p.setProperty("log.retention.check.interval.ms", "10000");
        Path file = kafkaDir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(file)) {
            p.store(out, "written by Treecast's embedded broker launcher; regenerated at every start");
        }
        return file;
    }

    private static String clusterId(Path kafkaDir) throws IOException {
        Path file = kafkaDir.resolve("cluster.id");
        if (Files.exists(file)) {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        }
        String id = Uuid.randomUuid().toString();
        Files.writeString(file, id + "\n", StandardCharsets.UTF_8);
        return id;
    }

    private void format(Path props, Path logFile, String clusterId) throws IOException {
        Process p = launch(List.of("kafka.tools.StorageTool", "format", "-t", clusterId, "-c", props.toString(),
                "--ignore-formatted"), logFile);
        try {
            if (!p.waitFor(startTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new io.treecast.durability.BrokerStartException("formatting the embedded Kafka storage took longer than "
                        + startTimeout.toMillis() + " ms (durability.start-timeout-ms); see " + logFile);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("formatting the embedded Kafka storage failed (exit " + p.exitValue()
                        + "); see " + logFile + " and kafka-broker.out:\n" + tail(logFile) + "\n"
                        + tail(dataDir.resolve("kafka-broker.out")));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while formatting the embedded Kafka storage", e);
        } finally {
            closeQuietly(p.getOutputStream());
        }
    }

    private Process launch(List<String> mainAndArgs, Path logFile) throws IOException {
        // C1 only: C2 spent ~45 % of the broker's CPU compiling Kafka's code for minutes after each start, more than its
        // faster code saves at the journal's rate (broker 2.2-2.9 vs 3.9-8.0 core-us per update at 50,000/s; BENCHMARKS.md)
        return ChildJvm.start(heap, List.of("-Xms128m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", ChildJvm.C1_ONLY), logFile,
                dataDir.resolve("kafka-broker.out"), List.of(), mainAndArgs);
    }

    /**
     * Waits until the broker serves. A busy machine or a large data dir to recover can make that take minutes, so
     * there is no fixed deadline: the start fails only when the broker's log has not grown for the start timeout
     * ({@code durability.start-timeout-ms}), or after ten times that in all.
     */
    private void awaitServing(Path logFile) {
        StartProgress progress = new StartProgress(startTimeout, logFile, dataDir.resolve("kafka-broker.out"));
        // wait for the listener first, so that the admin client does not log a warning per refused connection
        while (!portOpen() && !progress.stalled()) {
            if (!process.isAlive() || !wanted) {
                break;
            }
            LockSupport.parkNanos(100_000_000L);
        }
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "2000");
        p.setProperty(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
        try (Admin admin = Admin.create(p)) {
            while (true) {
                if (!wanted) {
                    return; // stop() was called meanwhile: it stops this child next
                }
                if (!process.isAlive()) {
                    int code = process.exitValue();
                    process = null;
                    throw new io.treecast.durability.BrokerStartException("the embedded Kafka broker exited with code " + code
                            + " while starting; see " + logFile + " and kafka-broker.out:\n" + tail(logFile)
                            + "\n" + tail(dataDir.resolve("kafka-broker.out")));
                }
                try {
                    if (!admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception notYet) {
                    // the broker is still starting
                }
                if (progress.stalled()) {
                    stopChild();
                    throw new io.treecast.durability.BrokerStartException("the embedded Kafka broker did not serve: "
                            + progress.why() + "; raise durability.start-timeout-ms (now " + startTimeout.toMillis()
                            + ") on a slow machine, or see " + logFile);
                }
            }
        }
    }

    /**
     * The classpath for the child: ours. Surefire/failsafe (and some launchers) run us from a manifest-only jar whose
     * {@code Class-Path} holds the real entries, so such a jar is expanded.
     */
    static String childClasspath() {
        Set<String> entries = new LinkedHashSet<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            entries.add(entry);
            if (entry.endsWith(".jar")) {
                entries.addAll(manifestClassPath(Path.of(entry)));
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static List<String> manifestClassPath(Path jar) {
        List<String> out = new ArrayList<>();
        if (!Files.isRegularFile(jar)) {
            return out;
        }
        try (JarFile jf = new JarFile(jar.toFile())) {
            Manifest m = jf.getManifest();
            String cp = m == null ? null : m.getMainAttributes().getValue("Class-Path");
            if (cp == null) {
                return out;
            }
            URI base = jar.toAbsolutePath().getParent().toUri();
            for (String item : cp.trim().split("\\s+")) {
                if (item.isEmpty()) {
                    continue;
                }
                URI uri = base.resolve(item);
                out.add("file".equals(uri.getScheme()) ? Paths.get(uri).toString() : item);
            }
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("could not read the manifest class path of {}: {}", jar, e.toString());
        }
        return out;
    }

    private boolean portOpen() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), brokerPort), 500);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    /**
     * Two free loopback ports, for the broker's and the controller's listeners: both sockets are open while the ports
     * are chosen, so they differ. One after the other, the system sometimes handed out the same port twice and Kafka
     * refused to format the storage ("two listeners on the same port", a clean-clone CI run of 2026-12-07).
     */
    private static int[] freePorts() {
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new int[] {a.getLocalPort(), b.getLocalPort()};
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback ports for the embedded Kafka broker", e);
        }
    }

    private static String tail(Path logFile) {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private static void closeQuietly(OutputStream out) {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // closing our end of the pipe; nothing to report
            }
        }
    }
}
