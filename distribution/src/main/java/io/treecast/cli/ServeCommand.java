package io.treecast.cli;

import io.treecast.fastpath.Journal;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code treecast serve}: configuration from the file, then {@code TREECAST_*} variables, then flags; prints
 * {@code treecast <version> listening on tcp://... and ws://... (in memory)} and runs until SIGTERM/SIGINT, which
 * closes the server gracefully (subscribers are drained).
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = TreecastCli.Version.class,
        description = "Run the Treecast server (RSocket over TCP and WebSocket).")
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration (see config/treecast.yaml).")
    Path config;

    @Option(names = "--in-memory", description = "Keep no durable state (durability.mode=off).")
    boolean inMemory;

    @Option(names = "--tcp-port", paramLabel = "N", description = "tcp.port (0 = any free port).")
    Integer tcpPort;

    @Option(names = "--ws-port", paramLabel = "N", description = "websocket.port (0 = any free port).")
    Integer wsPort;

    @Option(names = "--host", paramLabel = "H", description = "tcp.host: the address both listeners bind.")
    String host;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any configuration key, e.g. --set limits.max-value-bytes=1024 (repeatable).")
    Map<String, String> set = new LinkedHashMap<>();

    /** The flags as configuration overrides, in the order: --set, then the dedicated flags (which win). */
    Map<String, String> overrides() {
        Map<String, String> o = new LinkedHashMap<>(set);
        if (inMemory) {
            o.put("durability.mode", "off");
        }
        if (tcpPort != null) {
            o.put("tcp.port", String.valueOf(tcpPort));
        }
        if (wsPort != null) {
            o.put("websocket.port", String.valueOf(wsPort));
        }
        if (host != null) {
            o.put("tcp.host", host);
        }
        return o;
    }

    /** File + environment + flags, validated. */
    ServerConfig load(Map<String, String> environment) {
        return ServerConfig.load(config, environment, overrides());
    }

    /**
     * DURABILITY HOOK (for the lead): the journal the server recovers from and appends to. Returns {@code null}
     * (in memory) when {@code durability.mode} is {@code off}; durability is not wired yet, so for now it returns
     * {@code null} for every mode and {@link #call()} says so on stderr.
     */
    public static Journal journalFor(ServerConfig config) {
        if (config.durabilityMode() == ServerConfig.DurabilityMode.OFF) {
            return null;
        }
        return null;
    }

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig cfg = load(System.getenv());
        Journal journal = journalFor(cfg);
        if (journal == null && cfg.durabilityMode() != ServerConfig.DurabilityMode.OFF) {
            spec.commandLine().getErr().println("warning: durability.mode=" + cfg.durabilityMode().name().toLowerCase()
                    + " is not available in this build yet; running in memory (pass --in-memory to silence this)");
        }
        TreecastServer server = TreecastServer.start(cfg, journal);
        Thread hook = new Thread(server::close, "treecast-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        spec.commandLine().getOut().println(startupLine(server, journal != null));
        spec.commandLine().getOut().flush();
        server.awaitClose();
        return ExitCodes.OK;
    }

    static String startupLine(TreecastServer server, boolean durable) {
        return "treecast " + TreecastCli.version() + " listening on " + server.tcpUri()
                + (server.webSocketUri() == null ? "" : " and " + server.webSocketUri())
                + (durable ? " (durable)" : " (in memory)");
    }
}
