package io.treecast.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The real packaged server ({@code distribution/target/treecast/bin/treecast serve}) as a child process on free
 * loopback ports, with its output kept in {@code target/e2e-logs/<name>.log} for a failing test to read.
 * {@link #close()} stops it and every process it started (the embedded Kafka broker), also after a failure.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Path DIST = Path.of(System.getProperty("treecast.dist", "../distribution/target/treecast"));
    /** Generous: a durable start (Kafka broker JVM, topic, recovery) takes 10-15 s here, far more when the 2 cores are busy. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    private static final Pattern BOUND_TCP = Pattern.compile(" listening on \\w+://[^:\\s]+:(\\d+)");
    private static final Pattern BOUND_WS = Pattern.compile(" and wss?://[^:\\s]+:(\\d+)/");
    private static final Pattern BOUND_METRICS = Pattern.compile("metrics on https?://[^:\\s]+:(\\d+)");
    private static final Pattern KAFKA_AT = Pattern.compile("\\(durable: Kafka \\w+ at (\\S+),");
    /** Servers started by this JVM, so that {@link ServerLogOnFailure} can show a failing test their logs. */
    public static final Set<ServerProcess> STARTED = new CopyOnWriteArraySet<>();

    static {
        // if the test JVM itself is stopped (a CI timeout, Ctrl-C), take the servers and their brokers with it
        Runtime.getRuntime().addShutdownHook(new Thread(() -> STARTED.forEach(ServerProcess::destroyTree), "e2e-server-reaper"));
    }

    private final String name;
    private final List<String> extraArgs;
    private final String javaOpts;
    private final Path log;
    /** 0 until the first start has bound: the server picks free ports itself and prints them (see {@link #launch}). */
    private int tcpPort;
    private int wsPort;
    private int metricsPort;
    private final long createdNanos = System.nanoTime();
    private Process process;

    private ServerProcess(String name, int tcpPort, int wsPort, int metricsPort, List<String> extraArgs, String javaOpts) {
        this.name = name;
        this.javaOpts = javaOpts;
        this.tcpPort = tcpPort;
        this.wsPort = wsPort;
        this.metricsPort = metricsPort;
        this.extraArgs = extraArgs;
        this.log = Path.of("target", "e2e-logs", name + ".log");
    }

    /** Starts a server with {@code extraArgs} after {@code serve} and waits until its TCP port accepts. */
    public static ServerProcess start(String name, String... extraArgs) throws IOException {
        return start(name, List.of(extraArgs));
    }

    /** Like {@link #start(String, String...)}; {@code extraArgs} e.g. from {@link KafkaFixture#serverArgs}. */
    public static ServerProcess start(String name, List<String> extraArgs) throws IOException {
        return startWithJavaOpts(name, DEFAULT_JAVA_OPTS, extraArgs);
    }

    /** The JVM options of {@link #start}: a modest heap, so that tests do not take the launcher's 4 GiB each. */
    public static final String DEFAULT_JAVA_OPTS = ("-Xmx512m -XX:+UseG1GC " + System.getProperty("treecast.e2e.serverOpts", "")).trim();

    /**
     * Like {@link #start(String, List)} with the server JVM's options ({@code TREECAST_JAVA_OPTS}) chosen by the test,
     * e.g. a pre-touched fixed heap and {@code -XX:+ExitOnOutOfMemoryError} so that memory can be measured and an
     * OutOfMemoryError is a crash the test sees.
     */
    public static ServerProcess startWithJavaOpts(String name, String javaOpts, List<String> extraArgs) throws IOException {
        // ports 0: the server binds free ports itself. Ports chosen here and bound seconds later (after a durable
        // start) could meanwhile be taken as the local port of one of the start's own Kafka connections.
        ServerProcess server = new ServerProcess(name, 0, 0, 0, List.copyOf(extraArgs), javaOpts);
        STARTED.add(server);
        try {
            server.launch();
        } catch (IOException | RuntimeException | Error e) {
            server.closeQuietly();
            throw e;
        }
        return server;
    }

    /** Starts this server again on the same ports with the same arguments (e.g. after {@link #kill9()}). */
    public void restart() throws IOException {
        launch();
    }

    private void launch() throws IOException {
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>();
        command.add(DIST.resolve("bin/treecast").toAbsolutePath().toString());
        command.add("serve");
        command.add("--tcp-port");
        command.add(Integer.toString(tcpPort));
        command.add("--ws-port");
        command.add(Integer.toString(wsPort));
        // the metrics HTTP server defaults to the fixed port 9464: never let two servers (or a user's) collide
        command.add("--set");
        command.add("metrics.port=" + metricsPort);
        command.addAll(extraArgs);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("TREECAST_JAVA_OPTS", javaOpts);
        long logOffset = Files.exists(log) ? Files.size(log) : 0;
        process = builder.start();
        try {
            await().atMost(START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(100))
                    .failFast("server process exited", () -> !process.isAlive())
                    .untilAsserted(() -> {
                        if (tcpPort == 0) {
                            readBoundPorts(logOffset);
                        }
                        assertThat(accepts(tcpPort)).as("the server accepts on its TCP port %d; see %s", tcpPort, log.toAbsolutePath()).isTrue();
                        if (webSocketEnabled()) {
                            assertThat(accepts(wsPort)).as("the server accepts on its WebSocket port %d; see %s", wsPort, log.toAbsolutePath()).isTrue();
                        }
                    });
        } catch (org.awaitility.core.TerminalFailureException exited) {
            // the exit code and the log's last lines in the failure itself: a CI report that shows only the
            // exception still says why the server stopped
            throw new IllegalStateException("server process " + name + " exited with code " + process.exitValue()
                    + " while starting; last lines of " + log.toAbsolutePath() + ":\n" + tail(logOffset, 25), exited);
        }
    }

    /** The ports from the startup line this launch printed ("listening on tcp://h:p and ws://h:p/..., metrics on http://h:p"). */
    private void readBoundPorts(long logOffset) throws IOException {
        // the CLI's line on stdout (the server's own log line before it names the transport "rsocket+tcp")
        String line = sinceLaunch(logOffset).lines().filter(l -> l.startsWith("treecast ") && l.contains(" listening on "))
                .findFirst().orElse(null);
        assertThat(line).as("the startup line of %s in %s", name, log.toAbsolutePath()).isNotNull();
        Matcher tcp = BOUND_TCP.matcher(line);
        assertThat(tcp.find()).as("a TCP URL in the startup line: %s", line).isTrue();
        Matcher ws = BOUND_WS.matcher(line);
        Matcher metrics = BOUND_METRICS.matcher(line);
        wsPort = ws.find() ? Integer.parseInt(ws.group(1)) : 0;
        metricsPort = metrics.find() ? Integer.parseInt(metrics.group(1)) : 0;
        tcpPort = Integer.parseInt(tcp.group(1));
    }

    private String sinceLaunch(long logOffset) throws IOException {
        byte[] all = Files.readAllBytes(log);
        int from = (int) Math.min(logOffset, all.length);
        return new String(all, from, all.length - from, java.nio.charset.StandardCharsets.UTF_8);
    }

    private String tail(long logOffset, int lines) {
        try {
            List<String> all = sinceLaunch(logOffset).lines().toList();
            StringBuilder out = new StringBuilder();
            all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> out.append("  | ").append(l).append('\n'));
            return out.toString();
        } catch (IOException e) {
            return "  (unreadable: " + e.getMessage() + ")";
        }
    }

    /** {@code http://127.0.0.1:<metrics.port>}: /metrics, /health, /ready. */
    public String metricsUrl() {
        return "http://127.0.0.1:" + metricsPort;
    }

    /** The WebSocket listener binds after the TCP one: a start is complete when both accept. */
    private boolean webSocketEnabled() {
        return !extraArgs.contains("websocket.enabled=false");
    }

    public String tcpUrl() {
        return "tcp://127.0.0.1:" + tcpPort;
    }

    public String wsUrl() {
        return "ws://127.0.0.1:" + wsPort + "/rsocket";
    }

    /** The server JVM's process id (the launcher script execs java, so it is the same process). */
    public long pid() {
        return process.pid();
    }

    public int tcpPort() {
        return tcpPort;
    }

    public int wsPort() {
        return wsPort;
    }

    /** The URL of {@code transport} ("tcp" or "ws"). */
    public String url(String transport) {
        return transport.equals("ws") ? wsUrl() : tcpUrl();
    }

    /** The Kafka bootstrap address from the startup line of the last start ("(durable: Kafka ... at host:port, ..."). */
    public String bootstrapServers() throws IOException {
        Matcher m = KAFKA_AT.matcher(logText());
        String found = null;
        while (m.find()) {
            found = m.group(1);
        }
        if (found == null) {
            throw new IllegalStateException(name + " printed no durable startup line; see " + log.toAbsolutePath());
        }
        return found;
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Every live process this server started (e.g. the embedded Kafka broker). */
    public List<ProcessHandle> descendants() {
        return process.descendants().toList();
    }

    public long createdNanos() {
        return createdNanos;
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    public String logText() throws IOException {
        return Files.readString(log);
    }

    /** SIGKILL to the server only: its embedded Kafka child must notice and stop by itself. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then a bounded wait: the graceful path. Returns the exit code. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process == null) {
            return;
        }
        List<ProcessHandle> children = process.descendants().toList();
        if (process.isAlive()) {
            stop();
        }
        for (ProcessHandle child : children) {
            child.destroyForcibly();
        }
    }

    private void destroyTree() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code n} different free loopback ports: all sockets are open while they are chosen (one by one, two could be equal). */
    public static int[] freePorts(int n) throws IOException {
        List<ServerSocket> open = new java.util.ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                open.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : open) {
                s.close();
            }
        }
    }

    @Override
    public String toString() {
        return name + " (tcp " + tcpPort + ", ws " + wsPort + ")";
    }
}
