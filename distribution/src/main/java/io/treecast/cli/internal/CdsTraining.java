package io.treecast.cli.internal;

import io.treecast.cli.TreecastCli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The training run behind {@code lib/client.jsa}, the AppCDS archive that makes the client commands start in a
 * fraction of the time (distribution/README.md, "Start-up of the client commands"). The package phase runs it on
 * the client class path with {@code -XX:ArchiveClassesAtExit}: it starts {@code treecast serve --in-memory} in a
 * child JVM on free loopback ports and runs the client commands against it (each path a user takes: set, get, ls,
 * sub, delete, an error, TCP and WebSocket), so the classes they load are archived. Without a server (the child failed)
 * it still runs the commands, which then archive the connect-and-fail path.
 *
 * <pre>{@code
 * java -XX:ArchiveClassesAtExit=lib/client.jsa -cp lib/treecast-cli-client.jar:... \
 *     io.treecast.cli.internal.CdsTraining /path/to/treecast.jar
 * }</pre>
 */
public final class CdsTraining {
    private static final Pattern URLS = Pattern.compile("listening on (tcp://\\S+) and (ws://\\S+)");

    private CdsTraining() {
    }

    public static void main(String[] args) throws Exception {
        // the logging the client commands run with (TreecastCli.main sets it for them), so that its classes are archived
        System.setProperty(ClientLogConfigurator.PROPERTY, "true");
        Path serverJar = Path.of(args[0]);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process server = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                serverJar.toString(), TreecastCli.class.getName(), "serve", "--in-memory", "--host", "127.0.0.1",
                "--tcp-port", "0", "--ws-port", "0", "--set", "metrics.enabled=false")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String tcp = "tcp://127.0.0.1:1";
        String ws = "ws://127.0.0.1:1/rsocket";
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            Matcher m = line == null ? null : URLS.matcher(line);
            if (m != null && m.find()) {
                tcp = m.group(1);
                ws = m.group(2);
            } else {
                System.err.println("CDS training: no server (" + line + "): archiving the connect-and-fail path only");
            }
            PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
            for (List<String> command : List.of(
                    List.of("set", "cds/a", "1.5", "--url", tcp),
                    List.of("set", "cds/b", "x", "--type", "string", "--json", "--url", tcp),
                    List.of("get", "cds/**", "--url", tcp),
                    List.of("get", "cds/**", "--json", "--url", ws),
                    List.of("ls", "cds", "--url", tcp),
                    List.of("ls", "", "--json", "--url", ws),
                    List.of("sub", "cds/*", "--snapshot", "--count", "2", "--url", tcp),
                    List.of("sub", "cds/*", "--snapshot", "--count", "2", "--json", "--url", ws),
                    List.of("delete", "cds", "--url", tcp),
                    List.of("set", "a//b", "1", "--url", tcp),
                    List.of("get", "**", "--url", "tcp://127.0.0.1:1"),
                    List.of("get", "--help"))) {
                TreecastCli.run(command.toArray(new String[0]), sink, sink);
            }
        } finally {
            server.destroy();
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
        System.exit(0);
    }
}
