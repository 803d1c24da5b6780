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
 * {@code dataDir/kafka-broker.log}. The child halts by itself when this process dies (see {@link KafkaChildMain}).
 *
 * <p>Not thread-safe: one owner starts and stops it.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final Path dataDir;
    private final String heap;
    private final Duration startTimeout;
    private final Duration stopTimeout;
    private final int brokerPort;
    private final int controllerPort;
    private Process process;
    private OutputStream processStdin;

    public EmbeddedKafka(Path dataDir, String heap, Duration startTimeout, Duration stopTimeout) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.heap = heap;
        this.startTimeout = startTimeout;
        this.stopTimeout = stopTimeout;
        this.brokerPort = freePort();
        this.controllerPort = freePort();
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

    /** Formats the storage on first use, starts the child JVM and waits until the broker answers metadata requests. */
    public void start() {
        if (isRunning()) {
            return;
        }
        try {
            Path kafkaDir = dataDir.resolve("kafka");
            Files.createDirectories(kafkaDir);
            Path props = writeServerProperties(kafkaDir);
            Path logFile = dataDir.resolve("kafka-broker.log");
            if (!Files.exists(kafkaDir.resolve("logs").resolve("meta.properties"))) {
                format(props, logFile, clusterId(kafkaDir));
            }
            long t0 = System.nanoTime();
            process = launch(List.of("kafka.Kafka", props.toString()), logFile);
            processStdin = process.getOutputStream();
            awaitServing(logFile);
            LOG.info("embedded Kafka broker serving at {} (pid {}, started in {} ms, data in {}, log {})",
                    bootstrapServers(), process.pid(), (System.nanoTime() - t0) / 1_000_000, kafkaDir, logFile);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded Kafka broker under " + dataDir
                    + ": " + e.getMessage(), e);
        }
    }

    /** Asks the broker to shut down cleanly; kills it if it does not within the stop timeout. */
    public void stop() {
        Process p = process;
        if (p == null) {
            return;
        }
        process = null;
        try {
            if (p.isAlive()) {
                try {
                    processStdin.write("stop\n".getBytes(StandardCharsets.UTF_8));
                    processStdin.flush();
                } catch (IOException alreadyGone) {
                    // the child is exiting anyway
                }
                if (!p.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("embedded Kafka broker (pid {}) did not stop within {}; killing it", p.pid(), stopTimeout);
                    p.destroyForcibly();
                    p.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(processStdin);
        }
    }

    /** Kills the broker at once (like a crash or {@code kill -9}); for tests of Kafka outages. */
    public void kill() {
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

    @Override
    public void close() {
        stop();
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
                throw new IllegalStateException("formatting the embedded Kafka storage took longer than " + startTimeout
                        + "; see " + logFile);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("formatting the embedded Kafka storage failed (exit " + p.exitValue()
                        + "); see " + logFile + ":\n" + tail(logFile));
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
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heap);
        cmd.add("-Xms128m");
        cmd.add("-XX:+UseG1GC");
        cmd.add("-XX:MaxGCPauseMillis=20");
        cmd.add("-Djava.awt.headless=true");
        cmd.add("-Dlogback.configurationFile=io/treecast/durability/kafka-child-logback.xml");
        cmd.add("-cp");
        cmd.add(childClasspath());
        cmd.add(KafkaChildMain.class.getName());
        cmd.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        return pb.start();
    }

    private void awaitServing(Path logFile) {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        // wait for the listener first, so that the admin client does not log a warning per refused connection
        while (!portOpen() && System.nanoTime() < deadline) {
            if (!process.isAlive()) {
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
                if (!process.isAlive()) {
                    int code = process.exitValue();
                    process = null;
                    throw new IllegalStateException("the embedded Kafka broker exited with code " + code
                            + " while starting; see " + logFile + ":\n" + tail(logFile));
                }
                try {
                    if (!admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception notYet) {
                    // the broker is still starting
                }
                if (System.nanoTime() > deadline) {
                    stop();
                    throw new IllegalStateException("the embedded Kafka broker did not serve within " + startTimeout
                            + " (raise durability setting startTimeout on a slow machine); see " + logFile);
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

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port for the embedded Kafka broker", e);
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
