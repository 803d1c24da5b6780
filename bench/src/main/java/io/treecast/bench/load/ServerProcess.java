package io.treecast.bench.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Treecast server in a child JVM (same java, same classpath), so the broker's GC and threads are not the load
 * generator's. The child must print a line containing {@code tcp://host:port} (and {@code ws://host:port/path}
 * when WebSocket is on) once it listens, as {@code treecast serve} does. Closing kills it.
 *
 * <pre>{@code
 * try (ServerProcess p = ServerProcess.start(List.of("-Xmx1g"), "io.treecast.cli.TreecastCli",
 *         List.of("serve", "--in-memory", "--tcp-port", "0", "--ws-port", "0"))) {
 *     String url = p.tcpUrl();
 * }
 * }</pre>
 */
public final class ServerProcess implements AutoCloseable {
    private static final Pattern TCP = Pattern.compile("((?:tcp|tls)://[0-9A-Za-z.:\\-\\[\\]]+:\\d+)");
    private static final Pattern WS = Pattern.compile("(wss?://[0-9A-Za-z.:\\-\\[\\]]+:\\d+/[^\\s,]*)");
    private static final Pattern METRICS = Pattern.compile("metrics on (https?://[0-9A-Za-z.:\\-\\[\\]]+:\\d+)");

    private final Process process;
    private final String tcpUrl;
    private final String wsUrl;
    private final String metricsUrl;
    private final Thread killer;

    private ServerProcess(Process process, String tcpUrl, String wsUrl, String metricsUrl, Thread killer) {
        this.process = process;
        this.tcpUrl = tcpUrl;
        this.wsUrl = wsUrl;
        this.metricsUrl = metricsUrl;
        this.killer = killer;
    }

    /** Starts the child and waits (up to 60 s) for its startup line. */
    public static ServerProcess start(List<String> jvmOptions, String mainClass, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        // If this JVM dies first, the child must not outlive it.
        Thread killer = new Thread(p::destroyForcibly, "treecast-bench-server-killer");
        Runtime.getRuntime().addShutdownHook(killer);
        CompletableFuture<String[]> urls = new CompletableFuture<>();
        Thread pump = new Thread(() -> pump(p, urls), "treecast-bench-server-output");
        pump.setDaemon(true);
        pump.start();
        try {
            String[] u = urls.get(60, TimeUnit.SECONDS);
            return new ServerProcess(p, u[0], u[1], u[2], killer);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            p.destroyForcibly();
            removeHook(killer);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("the embedded server did not report its address: " + e.getMessage(), e);
        }
    }

    private static void pump(Process p, CompletableFuture<String[]> urls) {
        List<String> seen = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!urls.isDone()) {
                    seen.add(line);
                    // the CLI's startup line (the server's own log line before it has no metrics URL)
                    Matcher t = TCP.matcher(line);
                    if (line.startsWith("treecast ") && line.contains(" listening on ") && t.find()) {
                        Matcher w = WS.matcher(line);
                        Matcher m = METRICS.matcher(line);
                        urls.complete(new String[]{t.group(1), w.find() ? w.group(1) : null, m.find() ? m.group(1) : null});
                    }
                } else if (line.contains("ERROR") || line.contains("Exception")) {
                    System.err.println("[server] " + line);
                }
            }
        } catch (IOException e) {
            // the child is gone; fall through
        }
        urls.completeExceptionally(new IOException("server exited before listening; its output:\n" + String.join("\n", seen)));
    }

    public String tcpUrl() { return tcpUrl; }
    /** The WebSocket URL, or null when the server has none. */
    public String wsUrl() { return wsUrl; }
    /** The metrics endpoint's base URL (http://host:port), or null when the server has none. */
    public String metricsUrl() { return metricsUrl; }
    public long pid() { return process.pid(); }

    /** Asks the child to stop (SIGTERM), then kills it after 10 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        removeHook(killer);
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs anyway
        }
    }
}
