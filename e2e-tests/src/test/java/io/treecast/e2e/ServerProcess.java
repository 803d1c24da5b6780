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
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * The real packaged server ({@code distribution/target/treecast/bin/treecast serve}) as a child process on free
 * loopback ports, with its output kept in {@code target/e2e-logs/<name>.log} for a failing test to read.
 * {@link #close()} stops it and every process it started (the embedded Kafka broker), also after a failure.
 */
final class ServerProcess implements AutoCloseable {
    private static final Path DIST = Path.of(System.getProperty("treecast.dist", "../distribution/target/treecast"));

    private final String name;
    private final List<String> extraArgs;
    private final Path log;
    private final int tcpPort;
    private final int wsPort;
    private Process process;

    private ServerProcess(String name, int tcpPort, int wsPort, List<String> extraArgs) {
        this.name = name;
        this.tcpPort = tcpPort;
        this.wsPort = wsPort;
        this.extraArgs = extraArgs;
        this.log = Path.of("target", "e2e-logs", name + ".log");
    }

    /** Starts a server with {@code extraArgs} after {@code serve} and waits until its TCP port accepts. */
    static ServerProcess start(String name, String... extraArgs) throws IOException {
        ServerProcess server = new ServerProcess(name, freePort(), freePort(), List.of(extraArgs));
        server.launch();
        return server;
    }

    /** Starts this server again on the same ports with the same arguments (e.g. after {@link #kill9()}). */
    void restart() throws IOException {
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
        command.addAll(extraArgs);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("TREECAST_JAVA_OPTS", "-Xmx512m -XX:+UseG1GC");
        process = builder.start();
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(100))
                .failFast("server process exited; see " + log.toAbsolutePath(), () -> !process.isAlive())
                .until(() -> accepts(tcpPort));
    }

    String tcpUrl() {
        return "tcp://127.0.0.1:" + tcpPort;
    }

    String wsUrl() {
        return "ws://127.0.0.1:" + wsPort + "/rsocket";
    }

    /** Every live process this server started (e.g. the embedded Kafka broker). */
    List<ProcessHandle> descendants() {
        return process.descendants().toList();
    }

    Path log() {
        return log;
    }

    String logText() throws IOException {
        return Files.readString(log);
    }

    /** SIGKILL to the server only: its embedded Kafka child must notice and stop by itself. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then a bounded wait: the graceful path. Returns the exit code. */
    int stop() throws InterruptedException {
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

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public String toString() {
        return name + " (tcp " + tcpPort + ", ws " + wsPort + ")";
    }
}
