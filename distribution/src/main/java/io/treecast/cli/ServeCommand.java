package io.treecast.cli;

import io.treecast.cli.internal.Operations;
import io.treecast.durability.Durability;
import io.treecast.durability.DurabilityConfig;
import io.treecast.durability.RemoteSnapshotStore;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.ServerSecurity;
import io.treecast.gateway.TreecastServer;
import io.treecast.gateway.Upstream;
import io.treecast.client.ClientOptions;
import io.treecast.client.UpstreamConnection;
import io.treecast.observability.DurabilityProbe;
import io.treecast.observability.Console;
import io.treecast.observability.ObservabilityServer;
import io.treecast.observability.TreecastMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
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
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

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

    @Option(names = "--upstream", paramLabel = "URI", description = "upstream.url: run as an edge node of the core at URI "
            + "(tcp://host:port or ws://host:port/rsocket): mirror its whole tree under its seqs, forward writes to it. "
            + "An edge keeps no durable state of its own.")
    String upstream;

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
        if (upstream != null) {
            o.put("upstream.url", upstream);
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
     * The Kafka Streams state store runs as {@code treecast state} in a child JVM unless
     * {@code durability.state-store-process} is {@code in-process} (or {@code durability.state-store} is false, or
     * {@code durability.state-instances} lists instances, which then serve the catch-ups instead).
     * The journal's capacity is the engine's ({@code engine.journal-capacity}), because recovery continues seq
     * above the highest recovered seq plus that capacity.
     */
    public static Durability durabilityFor(ServerConfig config) {
        // an edge node keeps no durable state: the core it follows has the journal
        if (config.durabilityMode() == ServerConfig.DurabilityMode.OFF || config.isEdge()) {
            return null;
        }
        DurabilityConfig.Builder builder = DurabilityConfig.builder()
                .dataDir(Path.of(config.durabilityDataDir()))
                .topic(config.durabilityTopic())
                .partitions(config.durabilityPartitions())
                .replicationFactor((short) config.durabilityReplicationFactor())
                .treeId(config.engineConfig(null).treeId())
                .journalCapacity(config.engineConfig(null).journalCapacity())
                // separate state instances serve the catch-ups: no Kafka Streams in this JVM then
                .stateStore(config.durabilityStateStore() && config.durabilityStateInstances().isEmpty())
                // by default the store runs as `treecast state` in a child JVM: its stream thread, RocksDB and GC
                // never take the serving JVM's CPU (issue 11)
                .stateStoreChild(config.durabilityStateStoreProcess() == ServerConfig.StateStoreProcess.CHILD
                        ? TreecastCli.class.getName() : null, "state")
                .stateStoreHeap(config.durabilityStateStoreHeap())
                .stateStoreKind(DurabilityConfig.StateStoreKind.parse(config.durabilityStateStoreKind()))
                .nice(config.durabilityNice())
                .compression(config.durabilityCompression())
                .lingerMs(config.durabilityLingerMs())
                .startTimeout(Duration.ofMillis(config.durabilityStartTimeoutMillis()));
        if (config.durabilityMode() == ServerConfig.DurabilityMode.EXTERNAL) {
            builder.bootstrapServers(config.durabilityBootstrapServers());
        } else {
            builder.mode(DurabilityConfig.Mode.EMBEDDED);
        }
        return Durability.start(builder.build());
    }

    @Override
    public Integer call() throws InterruptedException {
        long serveStartMillis = System.currentTimeMillis();
        ServerConfig cfg = load(System.getenv());
        Operations.applyLogLevel(cfg);
        // metrics first: /health and /ready answer while Kafka starts and the tree recovers
        TreecastMetrics metrics = cfg.metricsEnabled()
                ? TreecastMetrics.create(Duration.ofMillis(cfg.metricsReadyDegradedBudgetMillis())) : null;
        // credentials, rules and certificates first: a bad file stops the start before anything listens
        ServerSecurity security = ServerSecurity.load(cfg);
        Console console = metrics != null && cfg.consoleEnabled() ? Console.fromClasspath() : null;
        ObservabilityServer http = metrics == null ? null : metricsEndpoints(cfg, metrics, console, security);
        Durability durability;
        TreecastServer server;
        try {
            durability = durabilityFor(cfg);
            if (metrics != null) {
                metrics.recovering();
            }
            try {
                RemoteSnapshotStore remote = remoteStore(cfg);
                server = cfg.isEdge() ? startEdge(cfg, remote, security)
                        : TreecastServer.start(cfg, durability == null ? null : durability.journal(),
                        remote != null ? remote : durability == null ? null : durability.snapshotStore(), security);
                if (remote != null) {
                    server.onClose(remote::close);
                }
                if (durability != null) {
                    durability.startStateStoreChild(); // after the listeners have their ports
                }
            } catch (RuntimeException e) {
                if (durability != null) {
                    durability.close();
                }
                throw e;
            }
        } catch (RuntimeException e) {
            closeMetrics(metrics, http);
            security.close();
            throw e;
        }
        if (console != null) {
            // the listener's own URI: its real port (0 = any free port) and its scheme (wss once it has TLS)
            java.net.URI ws = server.webSocketUri() == null ? null : java.net.URI.create(server.webSocketUri());
            console.describe(ws == null ? "ws" : ws.getScheme(), ws == null ? 0 : ws.getPort(), cfg.webSocketPath(),
                    security.credentialsRequired());
        }
        if (metrics != null) {
            metrics.attach(server, durability == null ? null : DurabilityProbe.of(durability));
        }
        // the engine closes first (it flushes the journal), then Kafka
        Thread hook = new Thread(() -> {
            if (metrics != null) {
                metrics.stopping();
            }
            server.close();
            if (durability != null) {
                durability.close();
            }
            closeMetrics(metrics, http);
            security.close();
        }, "treecast-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        spec.commandLine().getOut().println(startupLine(server, durability)
                + (http == null ? "" : ", metrics on " + http.uri()));
        spec.commandLine().getOut().flush();
        LOG.info("treecast {} started in {}: tcp {}, websocket {}, metrics {}; configuration: {}; Kafka: {}; "
                        + "recovered seq {} with {} leaves; {}",
                TreecastCli.version(), Operations.startupTimes(serveStartMillis), server.tcpUri(),
                server.webSocketUri() == null ? "off" : server.webSocketUri(),
                http == null ? (cfg.metricsEnabled() ? "not listening (see the warning above)" : "off (metrics.enabled=false)") : http.uri(),
                Operations.configSources(cfg),
                durability == null ? "off (in memory, no durability)" : durability.config().mode().name().toLowerCase()
                        + " at " + durability.bootstrapServers() + ", topic " + durability.config().topic()
                        + ", state store " + stateStoreWhere(cfg),
                server.engine().currentSeq(), server.engine().stats().leaves(), Operations.jvm());
        if (http != null && console != null) {
            LOG.info("web console on {}/ (console.enabled=false turns it off)", http.uri());
        }
        server.awaitClose();
        return ExitCodes.OK;
    }

    /**
     * An edge node: its connection to the core is a client connection (the client library's options: token, name,
     * transport security), closed when the server closes.
     */
    static TreecastServer startEdge(ServerConfig cfg, RemoteSnapshotStore storeOrNull, ServerSecurity security) {
        UpstreamConnection core = UpstreamConnection.connect(cfg.upstreamUrl(), ClientOptions.defaults()
                .token(cfg.upstreamToken()).clientName("treecast-edge"));
        try {
            TreecastServer server = TreecastServer.start(cfg, null, storeOrNull, security, Upstream.of(cfg.upstreamUrl(), core::rsocket));
            server.onClose(core::close);
            return server;
        } catch (RuntimeException e) {
            core.close();
            throw e;
        }
    }

    /**
     * {@code durability.state-instances}: resumes older than the replay ring are caught up from separate
     * {@code treecast state} instances (interactive queries), or null when the list is empty.
     */
    static RemoteSnapshotStore remoteStore(ServerConfig cfg) {
        if (cfg.durabilityStateInstances().isEmpty()) {
            return null;
        }
        return new RemoteSnapshotStore(cfg.durabilityStateInstances().stream().map(java.net.URI::create).toList(),
                cfg.durabilityPartitions());
    }

    /**
     * The HTTP endpoints on {@code metrics.host:metrics.port}, or null (with a warning) when that port is taken:
     * the broker still serves, since its clients matter more than its scrapes.
     */
    private static ObservabilityServer metricsEndpoints(ServerConfig cfg, TreecastMetrics metrics, Console console,
                                                        ServerSecurity security) {
        try {
            return ObservabilityServer.start(cfg.metricsHost(), cfg.metricsPort(), metrics, console, security.sslContext(),
                    cfg.metricsRequireToken() ? security::acceptsCredential : null, cfg.metricsOpenProbes());
        } catch (IOException | RuntimeException e) {
            LOG.warn("no /metrics, /health or /ready: cannot listen on {}:{} ({}); set metrics.port (0 = any free port) "
                    + "or metrics.enabled=false", cfg.metricsHost(), cfg.metricsPort(), e.getMessage());
            return null;
        }
    }

    private static void closeMetrics(TreecastMetrics metrics, ObservabilityServer http) {
        if (http != null) {
            http.close();
        }
        if (metrics != null) {
            metrics.close();
        }
    }

    /** Where the catch-ups of resumes older than the replay ring come from, for the startup log line. */
    static String stateStoreWhere(ServerConfig cfg) {
        if (!cfg.durabilityStateInstances().isEmpty()) {
            return "in the instances " + cfg.durabilityStateInstances();
        }
        if (!cfg.durabilityStateStore()) {
            return "off";
        }
        return cfg.durabilityStateStoreProcess() == ServerConfig.StateStoreProcess.CHILD
                ? "in a child JVM (starting after recovery)" : "in this JVM";
    }

    static String startupLine(TreecastServer server, Durability durability) {
        return "treecast " + TreecastCli.version() + " listening on " + server.tcpUri()
                + (server.webSocketUri() == null ? "" : " and " + server.webSocketUri())
                + (server.isEdge() ? " (edge of " + server.config().upstreamUrl() + ")"
                : durability == null ? " (in memory)" : " (durable: Kafka " + durability.config().mode().name().toLowerCase()
                        + " at " + durability.bootstrapServers() + ", topic " + durability.config().topic() + ")");
    }
}
