package io.treecast.cli;

import io.treecast.durability.Durability;
import io.treecast.durability.DurabilityConfig;
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
     * Starts durability as {@code durability.*} says: {@code off} gives {@code null} (in memory); {@code embedded}
     * starts a real single-node Kafka broker in a child JVM with its data under {@code durability.data-dir};
     * {@code external} uses the cluster at {@code durability.bootstrap-servers}. The topic is created if missing.
     * The journal's capacity is the engine's ({@code engine.journal-capacity}), because recovery continues seq
     * above the highest recovered seq plus that capacity.
     */
    public static Durability durabilityFor(ServerConfig config) {
        if (config.durabilityMode() == ServerConfig.DurabilityMode.OFF) {
            return null;
        }
        DurabilityConfig.Builder builder = DurabilityConfig.builder()
                .dataDir(Path.of(config.durabilityDataDir()))
                .topic(config.durabilityTopic())
                .partitions(config.durabilityPartitions())
                .treeId(config.engineConfig(null).treeId())
                .journalCapacity(config.engineConfig(null).journalCapacity());
        if (config.durabilityMode() == ServerConfig.DurabilityMode.EXTERNAL) {
            builder.bootstrapServers(config.durabilityBootstrapServers());
        } else {
            builder.mode(DurabilityConfig.Mode.EMBEDDED);
        }
        return Durability.start(builder.build());
    }

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig cfg = load(System.getenv());
        Durability durability = durabilityFor(cfg);
        TreecastServer server;
        try {
            server = TreecastServer.start(cfg, durability == null ? null : durability.journal());
        } catch (RuntimeException e) {
            if (durability != null) {
                durability.close();
            }
            throw e;
        }
        // the engine closes first (it flushes the journal), then Kafka
        Thread hook = new Thread(() -> {
            server.close();
            if (durability != null) {
                durability.close();
            }
        }, "treecast-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        spec.commandLine().getOut().println(startupLine(server, durability));
        spec.commandLine().getOut().flush();
        server.awaitClose();
        return ExitCodes.OK;
    }

    static String startupLine(TreecastServer server, Durability durability) {
        return "treecast " + TreecastCli.version() + " listening on " + server.tcpUri()
                + (server.webSocketUri() == null ? "" : " and " + server.webSocketUri())
                + (durability == null ? " (in memory)" : " (durable: Kafka " + durability.config().mode().name().toLowerCase()
                        + " at " + durability.bootstrapServers() + ", topic " + durability.config().topic() + ")");
    }
}
