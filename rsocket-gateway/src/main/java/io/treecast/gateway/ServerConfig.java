package io.treecast.gateway;

import io.treecast.fastpath.EngineConfig;
import io.treecast.fastpath.IdleStrategyKind;
import io.treecast.fastpath.Journal;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The server's settings, validated once. Sources, each overriding the one before:
 * <ol>
 *   <li>the defaults ({@link #defaults()});</li>
 *   <li>an optional YAML file, nested ({@code tcp: {port: 7070}}) or flat ({@code tcp.port: 7070});</li>
 *   <li>environment variables {@code TREECAST_} + the key in upper case with {@code .} and {@code -} as {@code _}
 *       (e.g. {@code TREECAST_TCP_PORT}, {@code TREECAST_LIMITS_MAX_VALUE_BYTES});</li>
 *   <li>explicit overrides, e.g. from command-line flags.</li>
 * </ol>
 * An unknown key (in the file or the overrides) or a bad value throws {@link ConfigException} naming the key,
 * the source and what is allowed. So does a {@code TREECAST_*} environment variable that names no key (a typo), with
 * the nearest key's variable; other environment variables are ignored, since the environment is shared with other
 * programs, and so are the launcher's and client's own ({@link #NON_KEY_ENVIRONMENT_VARIABLES}). Every key and its default is listed in {@code rsocket-gateway/README.md}.
 *
 * <pre>{@code
 * ServerConfig fromEverything = ServerConfig.load(Path.of("treecast.yaml"), System.getenv(), Map.of("tcp.port", "7000"));
 * ServerConfig forATest = ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0").build();
 * }</pre>
 */
public final class ServerConfig {

    /** Where durable state lives; the server does not start Kafka itself, its launcher does (see README). */
    public enum DurabilityMode { EMBEDDED, EXTERNAL, OFF }

    /**
     * Where the Kafka Streams state store runs ({@code durability.state-store-process}): in a child JVM that the server
     * starts, supervises and stops ({@code child}, the default: no Kafka Streams in the serving JVM), or in the serving
     * JVM itself ({@code in-process}).
     */
    public enum StateStoreProcess { CHILD, IN_PROCESS }

    /** The engine's own defaults: the engine.* keys default to them, so each is written once, in EngineConfig. */
    private static final EngineConfig ENGINE = EngineConfig.builder().build();

    private static final Map<String, Key> KEYS = new LinkedHashMap<>();

    static {
        key("tcp.host", "127.0.0.1", ServerConfig::nonEmpty, "a host name or IP address to bind");
        key("tcp.port", "7070", v -> intIn(v, 0, 65535), "an integer 0..65535 (0 = any free port)");
        key("websocket.enabled", "true", ServerConfig::bool, "true or false");
        key("websocket.port", "7071", v -> intIn(v, 0, 65535), "an integer 0..65535 (0 = any free port)");
        key("websocket.path", "/rsocket", v -> {
            if (!v.startsWith("/")) {
                throw new IllegalArgumentException();
            }
            return v;
        }, "a URL path starting with '/'");
        key("limits.max-value-bytes", "65536", v -> intIn(v, 1, 16 << 20), "an integer 1..16777216 (bytes of one encoded Value)");
        key("limits.max-batch-changes", "1024", v -> intIn(v, 1, 1 << 20), "an integer 1..1048576");
        key("limits.max-batch-bytes", "4194304", v -> intIn(v, 64, 1 << 30), "an integer 64..1073741824 (bytes of one encoded Batch)");
        key("limits.max-frame-bytes", "16777216", v -> intIn(v, 1024, 1 << 30), "an integer 1024..1073741824 (largest reassembled RSocket payload)");
        key("limits.max-connections", "10000", v -> intIn(v, 1, 10_000_000), "an integer 1..10000000");
        key("limits.max-subscriptions-per-connection", "1024", v -> intIn(v, 1, 10_000_000), "an integer 1..10000000");
        key("limits.max-gets-in-flight", "2", v -> intIn(v, 1, 1024),
                "an integer 1..1024 (tree.get answers the server prepares at once; each is a whole subtree in memory)");
        key("limits.max-listings-in-flight", "8", v -> intIn(v, 1, 1024),
                "an integer 1..1024 (tree.children listings the server prepares at once; each walks one node's children)");
        key("limits.max-send-queue-bytes", "4194304", v -> intIn(v, 65_536, 1 << 30),
                "an integer 65536..1073741824 (bytes of subscription frames a connection may have waiting for its socket)");
        key("limits.min-keepalive-ms", "1000", v -> intIn(v, 1, 3_600_000),
                "an integer 1..3600000 (milliseconds; SETUP keep-alive intervals below are refused)");
        key("limits.max-keepalive-lifetime-ms", "120000", v -> intIn(v, 1000, 86_400_000),
                "an integer 1000..86400000 (milliseconds; a SETUP's max lifetime above it is lowered to it)");
        key("limits.idle-timeout-ms", "90000", v -> intIn(v, 1000, 86_400_000),
                "an integer 1000..86400000 (milliseconds to send the SETUP, and the longest silence of a connection)");
        key("limits.frame-read-timeout-ms", "30000", v -> intIn(v, 100, 3_600_000),
                "an integer 100..3600000 (milliseconds one started TCP frame may take to arrive whole)");
        key("limits.max-reassembly-bytes", "33554432", v -> intIn(v, 1 << 16, Integer.MAX_VALUE),
                "an integer 65536..2147483647 and >= limits.max-frame-bytes (bytes of unfinished fragmented payloads per connection)");
        key("limits.max-connections-per-ip", "1000", v -> intIn(v, 0, 10_000_000), "an integer 0..10000000 (0 = no limit)");
        key("limits.max-updates-per-second-per-connection", "0", v -> intIn(v, 0, Integer.MAX_VALUE),
                "an integer >= 0 (update requests per second and connection; 0 = no limit)");
        key("limits.max-bytes-per-second-per-connection", "0", v -> intIn(v, 0, Integer.MAX_VALUE),
                "an integer >= 0 (bytes of update requests per second and connection; 0 = no limit)");
        key("auth.tokens", "", ServerConfig::list, "a list of tokens (YAML list, or comma-separated); empty = no authentication");
        key("auth.tokens-file", "", v -> v.trim(),
                "a file path, or empty: lines of '<principal> <token>' ('#' comments); reloaded when it changes");
        key("auth.rules-file", "", v -> v.trim(),
                "a YAML file path, or empty (every principal may read and write everything): access rules, reloaded when it changes (SECURITY.md)");
        key("auth.reload-interval-ms", "2000", v -> intIn(v, 100, 3_600_000),
                "an integer 100..3600000 (milliseconds between checks of the tokens, rules and TLS files for changes)");
        key("auth.jwt.hs256-secret-file", "", v -> v.trim(), "a file path holding the HS256 secret (at least 32 characters), or empty");
        key("auth.jwt.rs256-public-key-file", "", v -> v.trim(), "a PEM file path (-----BEGIN PUBLIC KEY-----) of the RS256 key, or empty");
        key("auth.jwt.issuer", "", v -> v.trim(), "the required 'iss' claim, or empty (any)");
        key("auth.jwt.audience", "", v -> v.trim(), "a required 'aud' value, or empty (any)");
        key("auth.jwt.rules-claim", "treecast", ServerConfig::nonEmpty, "the name of the JWT claim that may carry the principal's access rules");
        key("tls.enabled", "false", ServerConfig::bool, "true or false (TLS on the TCP, WebSocket and metrics ports)");
        key("tls.cert-file", "", v -> v.trim(), "a PEM file path: the server's certificate chain (required when tls.enabled)");
        key("tls.key-file", "", v -> v.trim(), "a PEM file path: the server's private key, PKCS#8 unencrypted (required when tls.enabled)");
        key("tls.client-auth", "none", v -> oneOf(v, "none", "optional", "require"),
                "one of none, optional, require (client certificates, checked against tls.ca-file; their CN names the principal)");
        key("tls.ca-file", "", v -> v.trim(), "a PEM file path: the CA certificates client certificates must chain to (required when tls.client-auth is not none)");
        key("metrics.require-token", "false", ServerConfig::bool,
                "true or false (the metrics port asks for 'Authorization: Bearer <token>', a token or JWT the server accepts)");
        key("metrics.open-probes", "true", ServerConfig::bool, "true or false (/health and /ready answer without a token)");
        key("shutdown.drain-timeout-ms", "5000", v -> intIn(v, 0, 600_000), "an integer 0..600000 (milliseconds)");
        key("engine.tree-id", ENGINE.treeId(), ServerConfig::nonEmpty, "a non-empty name");
        key("engine.inbound-queue-capacity", String.valueOf(ENGINE.inboundQueueCapacity()), ServerConfig::powerOfTwo, "a power of two");
        key("engine.replay-ring-capacity", String.valueOf(ENGINE.replayRingCapacity()), ServerConfig::powerOfTwo, "a power of two");
        key("engine.replay-ring-bytes", String.valueOf(ENGINE.replayRingBytes()), v -> longIn(v, 1, Long.MAX_VALUE),
                "an integer >= 1 (bytes of paths and values the replay ring keeps; the oldest batches leave first)");
        key("engine.max-leaves", String.valueOf(ENGINE.maxLeaves()), v -> longIn(v, 1, Long.MAX_VALUE),
                "an integer >= 1 (leaves in the tree; a batch that would add more is refused with RESOURCE_EXHAUSTED)");
        key("engine.max-tree-bytes", String.valueOf(ENGINE.maxTreeBytes()), v -> longIn(v, 1, Long.MAX_VALUE),
                "an integer >= 1 (bytes of the tree: values + paths + 96 per node; a batch that would add more is refused)");
        key("engine.outbox-budget-slots", String.valueOf(ENGINE.outboxBudgetSlots()), v -> longIn(v, 16, Long.MAX_VALUE),
                "an integer >= 16 (outbox slots, ~20 bytes each, all subscriptions together)");
        key("engine.match-cache-bytes", String.valueOf(ENGINE.matchCacheBytes()), v -> longIn(v, 0, Long.MAX_VALUE),
                "an integer >= 0 (bytes of the leaves' remembered match lists; 0 turns them off)");
        key("engine.outbox-max-bytes", String.valueOf(ENGINE.outboxMaxBytes()), v -> longIn(v, 1, Long.MAX_VALUE),
                "an integer >= 1 (bytes of batches one subscription's outbox may hold)");
        key("engine.outbox-budget-bytes", String.valueOf(ENGINE.outboxBudgetBytes()), v -> longIn(v, 1, Long.MAX_VALUE),
                "an integer >= 1 (bytes of batches all subscriptions' outboxes together may hold)");
        key("engine.default-outbox-capacity", String.valueOf(ENGINE.defaultOutboxCapacity()), v -> intIn(v, 4, Integer.MAX_VALUE),
                "an integer >= 4 (events; for CONFLATE subscriptions that ask for none: STRICT ones get engine.max-outbox-capacity)");
        key("engine.max-outbox-capacity", String.valueOf(ENGINE.maxOutboxCapacity()), v -> intIn(v, 4, Integer.MAX_VALUE), "an integer >= 4 and >= engine.default-outbox-capacity");
        key("engine.conflate-high-mark-percent", String.valueOf(ENGINE.conflateHighMarkPercent()), v -> intIn(v, 10, 100), "an integer 10..100");
        key("engine.dispatcher-threads", String.valueOf(ENGINE.dispatcherThreads()), v -> intIn(v, 0, 256), "an integer 0..256 (0: the writer thread delivers)");
        key("engine.deliver-on", "event-loops", v -> oneOf(v, "event-loops", "threads"),
                "one of event-loops (each subscription's events are delivered on its connection's event loop), threads (engine.dispatcher-threads)");
        key("engine.max-subscriptions", String.valueOf(ENGINE.maxSubscriptions()), v -> intIn(v, 1, Integer.MAX_VALUE), "an integer >= 1");
        key("engine.snapshot-chunk-leaves", String.valueOf(ENGINE.snapshotChunkLeaves()), v -> intIn(v, 1, 1 << 20), "an integer 1..1048576");
        key("engine.journal-capacity", String.valueOf(ENGINE.journalCapacity()), v -> intIn(v, 1, Integer.MAX_VALUE), "an integer >= 1");
        key("engine.journal-bytes", String.valueOf(ENGINE.journalBytes()), v -> longIn(v, 1, Long.MAX_VALUE),
                "an integer >= 1 (bytes of applied batches that may wait for Kafka before writes get UNAVAILABLE)");
        key("engine.idle-strategy", ENGINE.idleStrategy().name().toLowerCase(Locale.ROOT).replace('_', '-'), v -> IdleStrategyKind.valueOf(v.trim().toUpperCase(Locale.ROOT).replace('-', '_')),
                "one of backoff, busy-spin, yield");
        key("durability.mode", "embedded", v -> DurabilityMode.valueOf(v.trim().toUpperCase(Locale.ROOT)), "one of embedded, external, off");
        key("durability.bootstrap-servers", "", v -> v.trim(), "host:port[,host:port...] (required when durability.mode is external)");
        key("durability.data-dir", "./data", ServerConfig::nonEmpty, "a directory path");
        key("durability.topic", "treecast.leaves", ServerConfig::nonEmpty, "a Kafka topic name");
        key("durability.partitions", "8", v -> intIn(v, 1, 10_000), "an integer 1..10000");
        key("durability.replication-factor", "1", v -> intIn(v, 1, 32),
                "an integer 1..32 (replicas of the topic when the server creates it; 3 on a 3-broker cluster)");
        key("durability.ack-timeout-ms", "5000", v -> intIn(v, 1, 600_000), "an integer 1..600000 (milliseconds)");
        key("durability.state-store", "true", ServerConfig::bool, "true or false");
        key("durability.state-store-process", "child", v -> StateStoreProcess.valueOf(v.trim().toUpperCase(Locale.ROOT).replace('-', '_')),
                "one of child, in-process (where the Kafka Streams state store runs: a child JVM of the server, or the serving JVM)");
        key("durability.state-store-heap", "auto", v -> "auto".equalsIgnoreCase(v.trim()) ? "auto" : heapSize(v),
                "auto, or a JVM heap size of at least 64m, such as 256m or 1g (the state store child's -Xmx; auto: 256m, "
                        + "plus twice engine.max-tree-bytes when durability.state-store-kind is memory)");
        key("durability.state-store-kind", "memory", v -> oneOf(v, "rocksdb", "memory"),
                "one of memory, rocksdb (where the state store keeps the leaves: a hash map in the child's heap, "
                        + "restored from the topic at each start, or RocksDB on disk)");
        key("durability.state-instances", "", ServerConfig::httpList,
                "a list of http://host:port (YAML list or comma-separated) of treecast state instances' query endpoints; "
                + "empty = this server runs its own state store (durability.state-store, durability.state-store-process)");
        key("durability.linger-ms", "5", v -> intIn(v, 0, 1000),
                "an integer 0..1000 (milliseconds the journal producer waits to fill a batch: longer batches cost the "
                        + "producer, broker and state store less CPU per update and delay DURABLE acks by as much)");
        key("durability.compression", "snappy", v -> oneOf(v, "none", "gzip", "snappy", "lz4", "zstd"),
                "one of none, gzip, snappy, lz4, zstd (the journal producer's compression.type)");
        key("durability.nice", "10", v -> intIn(v, 0, 19),
                "an integer 0..19 (nice steps below the fast path for the journal, Kafka clients, state store and embedded broker; 0 = same priority)");
        key("durability.start-timeout-ms", "60000", v -> intIn(v, 1000, 3_600_000),
                "an integer 1000..3600000 (milliseconds the embedded Kafka broker may start without progress, i.e. without "
                        + "a new line in its log, before serve gives up; a broker that keeps progressing gets up to 10 times this)");
        key("upstream.url", "", ServerConfig::upstreamUri,
                "empty (this node is a core) or the core's address, tcp://host:port or ws://host:port/path (this node is an edge)");
        key("upstream.token", "", v -> v.trim(), "the token this edge sends in its SETUP to the core (empty: none)");
        key("upstream.resume-wait-ms", "5000", v -> intIn(v, 0, 600_000),
                "an integer 0..600000 (milliseconds a resume_after ahead of this edge waits for it before RESET)");
        key("upstream.outbox-capacity", "65536", v -> intIn(v, 0, Integer.MAX_VALUE),
                "an integer >= 0 (events the core buffers for this edge's stream; 0 = the core's default)");
        key("metrics.enabled", "true", ServerConfig::bool, "true or false");
        key("metrics.host", "127.0.0.1", ServerConfig::nonEmpty, "a host name or IP address to bind the metrics and health HTTP server");
        key("metrics.port", "9464", v -> intIn(v, 0, 65535), "an integer 0..65535 (0 = any free port)");
        key("metrics.ready-degraded-budget-ms", "30000", v -> intIn(v, 0, 86_400_000),
                "an integer 0..86400000 (milliseconds Kafka may be unreachable before /ready says not ready)");
        key("console.enabled", "true", ServerConfig::bool,
                "true or false (the web console at / of the metrics HTTP server; needs metrics.enabled)");
        key("logging.level", "info", v -> oneOf(v, "error", "warn", "info", "debug", "trace"), "one of error, warn, info, debug, trace");
    }

    private final Map<String, Object> values;
    private final Map<String, String> sources;

    private ServerConfig(Map<String, Object> values, Map<String, String> sources) {
        this.values = Collections.unmodifiableMap(values);
        this.sources = Collections.unmodifiableMap(sources);
    }

    /** Every default, nothing else. */
    public static ServerConfig defaults() {
        return builder().build();
    }

    /** Starts from the defaults; {@link Builder#set} overrides one key at a time (source "code"). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Defaults, then {@code yamlFileOrNull}, then the {@code TREECAST_*} variables of {@code environment}, then
     * {@code overrides} (source "the command line": --set and the dedicated flags).
     *
     * @throws ConfigException for an unreadable file, an unknown key or a bad value
     */
    public static ServerConfig load(Path yamlFileOrNull, Map<String, String> environment, Map<String, String> overrides) {
        Builder b = builder();
        if (yamlFileOrNull != null) {
            b.file(yamlFileOrNull);
        }
        if (environment != null) {
            b.environment(environment);
        }
        if (overrides != null) {
            // --set KEY=VALUE and the dedicated flags (--tcp-port, ...) both land here: name the command line, not a flag
            overrides.forEach((k, v) -> b.set(k, v, "the command line"));
        }
        return b.build();
    }

    /** The names of every key, in documentation order. */
    public static List<String> keys() {
        return List.copyOf(KEYS.keySet());
    }

    /**
     * {@code TREECAST_*} variables that are not configuration keys and that {@code serve} therefore accepts: the
     * launcher's (bin/treecast) and the client commands' own. A new one must be added here, or serve refuses to start
     * where it is set.
     */
    public static final Set<String> NON_KEY_ENVIRONMENT_VARIABLES = Set.of("TREECAST_JAVA_OPTS", "TREECAST_PROFILE",
            "TREECAST_LAUNCHER_DRY_RUN", "TREECAST_HOME", "TREECAST_CLIENT_CDS", "TREECAST_LOG_LEVEL",
            "TREECAST_LIBRARY_LOG_LEVEL", "TREECAST_KAFKA_LOG_LEVEL", "TREECAST_URL", "TREECAST_TOKEN", "TREECAST_TIMEOUT",
            "TREECAST_TOKEN_FILE", "TREECAST_CA_FILE", "TREECAST_CERT_FILE", "TREECAST_KEY_FILE");

    /** The key's variable for every key, e.g. TREECAST_TCP_PORT -> tcp.port. */
    private static final Map<String, String> ENV_KEYS = new java.util.TreeMap<>();

    static {
        for (String key : KEYS.keySet()) {
            ENV_KEYS.put(environmentVariable(key), key);
        }
    }

    /** The key variable closest to {@code var} by edit distance, or null when none is close (more than a third differs). */
    static String nearestEnvironmentVariable(String var) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : ENV_KEYS.keySet()) {
            int d = editDistance(var, candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        return bestDistance <= Math.max(2, var.length() / 3) ? best : null;
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The environment variable that sets {@code key}, e.g. {@code TREECAST_TCP_PORT} for {@code tcp.port}. */
    public static String environmentVariable(String key) {
        return "TREECAST_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public String tcpHost() { return (String) values.get("tcp.host"); }
    public int tcpPort() { return (Integer) values.get("tcp.port"); }
    /** {@code engine.deliver-on = event-loops}: deliver on the connections' event loops, not dispatcher threads. */
    public boolean deliverOnEventLoops() { return "event-loops".equals(values.get("engine.deliver-on")); }
    public boolean webSocketEnabled() { return (Boolean) values.get("websocket.enabled"); }
    public int webSocketPort() { return (Integer) values.get("websocket.port"); }
    public String webSocketPath() { return (String) values.get("websocket.path"); }
    public int maxValueBytes() { return (Integer) values.get("limits.max-value-bytes"); }
    public int maxBatchChanges() { return (Integer) values.get("limits.max-batch-changes"); }
    public int maxBatchBytes() { return (Integer) values.get("limits.max-batch-bytes"); }
    public int maxFrameBytes() { return (Integer) values.get("limits.max-frame-bytes"); }
    public int maxConnections() { return (Integer) values.get("limits.max-connections"); }
    public int maxGetsInFlight() { return (Integer) values.get("limits.max-gets-in-flight"); }
    /** limits.max-listings-in-flight: tree.children listings being prepared at once, all connections together. */
    public int maxListingsInFlight() { return (Integer) values.get("limits.max-listings-in-flight"); }
    /** limits.max-send-queue-bytes: the send backlog per connection past which its subscriptions take no more events. */
    public int maxSendQueueBytes() { return (Integer) values.get("limits.max-send-queue-bytes"); }
    public int maxSubscriptionsPerConnection() { return (Integer) values.get("limits.max-subscriptions-per-connection"); }
    public int minKeepAliveMillis() { return (Integer) values.get("limits.min-keepalive-ms"); }
    public int maxKeepAliveLifetimeMillis() { return (Integer) values.get("limits.max-keepalive-lifetime-ms"); }
    public int idleTimeoutMillis() { return (Integer) values.get("limits.idle-timeout-ms"); }
    public int frameReadTimeoutMillis() { return (Integer) values.get("limits.frame-read-timeout-ms"); }
    public int maxReassemblyBytes() { return (Integer) values.get("limits.max-reassembly-bytes"); }
    public int maxConnectionsPerIp() { return (Integer) values.get("limits.max-connections-per-ip"); }
    public int maxUpdatesPerSecondPerConnection() { return (Integer) values.get("limits.max-updates-per-second-per-connection"); }
    public int maxBytesPerSecondPerConnection() { return (Integer) values.get("limits.max-bytes-per-second-per-connection"); }
    @SuppressWarnings("unchecked")
    public List<String> authTokens() { return (List<String>) values.get("auth.tokens"); }
    /** auth.tokens-file, or null. */
    public Path authTokensFile() { return pathOrNull("auth.tokens-file"); }
    /** auth.rules-file, or null. */
    public Path authRulesFile() { return pathOrNull("auth.rules-file"); }
    public int authReloadIntervalMillis() { return (Integer) values.get("auth.reload-interval-ms"); }
    public Path jwtHs256SecretFile() { return pathOrNull("auth.jwt.hs256-secret-file"); }
    public Path jwtRs256PublicKeyFile() { return pathOrNull("auth.jwt.rs256-public-key-file"); }
    public String jwtIssuer() { return (String) values.get("auth.jwt.issuer"); }
    public String jwtAudience() { return (String) values.get("auth.jwt.audience"); }
    public String jwtRulesClaim() { return (String) values.get("auth.jwt.rules-claim"); }
    public boolean tlsEnabled() { return (Boolean) values.get("tls.enabled"); }
    public Path tlsCertFile() { return pathOrNull("tls.cert-file"); }
    public Path tlsKeyFile() { return pathOrNull("tls.key-file"); }
    /** none, optional or require. */
    public String tlsClientAuth() { return (String) values.get("tls.client-auth"); }
    public Path tlsCaFile() { return pathOrNull("tls.ca-file"); }
    public boolean metricsRequireToken() { return (Boolean) values.get("metrics.require-token"); }
    public boolean metricsOpenProbes() { return (Boolean) values.get("metrics.open-probes"); }

    private Path pathOrNull(String key) {
        String v = (String) values.get(key);
        return v.isEmpty() ? null : Path.of(v);
    }

    public long shutdownDrainTimeoutMillis() { return (Integer) values.get("shutdown.drain-timeout-ms"); }
    public DurabilityMode durabilityMode() { return (DurabilityMode) values.get("durability.mode"); }
    public String durabilityBootstrapServers() { return (String) values.get("durability.bootstrap-servers"); }
    public String durabilityDataDir() { return (String) values.get("durability.data-dir"); }
    public String durabilityTopic() { return (String) values.get("durability.topic"); }
    public int durabilityPartitions() { return (Integer) values.get("durability.partitions"); }
    /** {@code durability.state-instances}: query endpoints of separate state instances (empty: in-process store). */
    @SuppressWarnings("unchecked")
    public List<String> durabilityStateInstances() { return (List<String>) values.get("durability.state-instances"); }
    public int durabilityReplicationFactor() { return (Integer) values.get("durability.replication-factor"); }
    public long durabilityAckTimeoutMillis() { return (Integer) values.get("durability.ack-timeout-ms"); }
    /**
     * Whether the server runs a Kafka Streams state store (where: {@link #durabilityStateStoreProcess()}) that catches up
     * resumes older than the replay ring.
     */
    public boolean durabilityStateStore() { return (Boolean) values.get("durability.state-store"); }
    /**
     * {@code durability.state-store-process}: where the state store runs when {@code durability.state-store} is on and
     * {@code durability.state-instances} is empty (a list there wins: no store of this server's own then).
     */
    public StateStoreProcess durabilityStateStoreProcess() { return (StateStoreProcess) values.get("durability.state-store-process"); }
    /**
     * {@code durability.state-store-heap}: the state store child's {@code -Xmx}, e.g. {@code 256m}. {@code auto} (the
     * default) resolves to {@code 256m} for a RocksDB store, and for a {@code memory} store (which holds every leaf in
     * the heap) to 256 MiB plus twice {@code engine.max-tree-bytes}, so that the store holds any tree the engine
     * accepts: a cap, not a reservation (the child starts at 32 MiB and grows with the tree).
     */
    public String durabilityStateStoreHeap() {
        String heap = (String) values.get("durability.state-store-heap");
        if (!"auto".equals(heap)) {
            return heap;
        }
        if (!"memory".equals(durabilityStateStoreKind())) {
            return AUTO_STATE_STORE_HEAP_MIB + "m";
        }
        long treeMib = ((Long) values.get("engine.max-tree-bytes") + (1 << 20) - 1) >> 20;
        return (AUTO_STATE_STORE_HEAP_MIB + 2 * treeMib) + "m";
    }

    /** The state store child's heap, in MiB, beside the leaves of a memory store: Kafka Streams and its fetch buffers. */
    static final long AUTO_STATE_STORE_HEAP_MIB = 256;
    /** {@code durability.state-store-kind}: {@code rocksdb} or {@code memory}. */
    public String durabilityStateStoreKind() { return (String) values.get("durability.state-store-kind"); }
    public int durabilityNice() { return (Integer) values.get("durability.nice"); }
    public String durabilityCompression() { return (String) values.get("durability.compression"); }
    /** {@code durability.linger-ms}: the journal producer's {@code linger.ms}. */
    public int durabilityLingerMs() { return (Integer) values.get("durability.linger-ms"); }
    /** Milliseconds the embedded broker may start without progress (a new line in its log) before the start fails. */
    public int durabilityStartTimeoutMillis() { return (Integer) values.get("durability.start-timeout-ms"); }
    public boolean metricsEnabled() { return (Boolean) values.get("metrics.enabled"); }
    public String metricsHost() { return (String) values.get("metrics.host"); }
    /** {@code upstream.url}: the core this node follows as an edge, or "" for a core. */
    public String upstreamUrl() { return (String) values.get("upstream.url"); }
    /** Whether this node is an edge ({@code upstream.url} is set). */
    public boolean isEdge() { return !upstreamUrl().isEmpty(); }
    public String upstreamToken() { return (String) values.get("upstream.token"); }
    public long upstreamResumeWaitMillis() { return (Integer) values.get("upstream.resume-wait-ms"); }
    public int upstreamOutboxCapacity() { return (Integer) values.get("upstream.outbox-capacity"); }
    public int metricsPort() { return (Integer) values.get("metrics.port"); }
    public long metricsReadyDegradedBudgetMillis() { return (Integer) values.get("metrics.ready-degraded-budget-ms"); }
    /** Whether the metrics HTTP server also serves the web console at {@code /} (console.enabled). */
    public boolean consoleEnabled() { return (Boolean) values.get("console.enabled"); }
    /** The log level of Treecast's own loggers, lower case: error, warn, info, debug or trace. */
    public String loggingLevel() { return (String) values.get("logging.level"); }

    /** The typed value of any key (Integer, Boolean, String, List&lt;String&gt; or an enum). */
    public Object get(String key) {
        if (!KEYS.containsKey(key)) {
            throw new IllegalArgumentException("unknown key " + key + "; known keys: " + KEYS.keySet());
        }
        return values.get(key);
    }

    /** Where the value of {@code key} came from: "default", "code", "file ...", "environment variable ...", "the command line". */
    public String sourceOf(String key) {
        return sources.get(key);
    }

    /** The engine settings ({@code engine.*}) with {@code journalOrNull}. */
    public EngineConfig engineConfig(Journal journalOrNull) {
        return engineConfig(journalOrNull, null);
    }

    /** The engine's settings, with the journal and the store that catches up too-old resumes (either may be null). */
    public EngineConfig engineConfig(Journal journalOrNull, io.treecast.fastpath.SnapshotStore storeOrNull) {
        return engineConfig(journalOrNull, storeOrNull, java.util.List.of());
    }

    /** The same, delivering on {@code dispatchExecutors} (the event loops) when not empty. */
    public EngineConfig engineConfig(Journal journalOrNull, io.treecast.fastpath.SnapshotStore storeOrNull,
                                     java.util.List<? extends java.util.concurrent.ScheduledExecutorService> dispatchExecutors) {
        return EngineConfig.builder()
                .dispatchExecutors(dispatchExecutors)
                .treeId((String) values.get("engine.tree-id"))
                .inboundQueueCapacity((Integer) values.get("engine.inbound-queue-capacity"))
                .replayRingCapacity((Integer) values.get("engine.replay-ring-capacity"))
                .replayRingBytes((Long) values.get("engine.replay-ring-bytes"))
                .maxLeaves((Long) values.get("engine.max-leaves"))
                .maxTreeBytes((Long) values.get("engine.max-tree-bytes"))
                .outboxBudgetSlots((Long) values.get("engine.outbox-budget-slots"))
                .outboxMaxBytes((Long) values.get("engine.outbox-max-bytes"))
                .outboxBudgetBytes((Long) values.get("engine.outbox-budget-bytes"))
                .matchCacheBytes((Long) values.get("engine.match-cache-bytes"))
                .defaultOutboxCapacity((Integer) values.get("engine.default-outbox-capacity"))
                .maxOutboxCapacity((Integer) values.get("engine.max-outbox-capacity"))
                .conflateHighMarkPercent((Integer) values.get("engine.conflate-high-mark-percent"))
                .dispatcherThreads((Integer) values.get("engine.dispatcher-threads"))
                .maxSubscriptions((Integer) values.get("engine.max-subscriptions"))
                .snapshotChunkLeaves((Integer) values.get("engine.snapshot-chunk-leaves"))
                .journalCapacity((Integer) values.get("engine.journal-capacity"))
                .journalBytes((Long) values.get("engine.journal-bytes"))
                .idleStrategy((IdleStrategyKind) values.get("engine.idle-strategy"))
                .journal(journalOrNull)
                .snapshotStore(storeOrNull)
                .build();
    }

    /** The engine's settings for an edge node: a follower of its core, no journal (the core has it). */
    public EngineConfig followerEngineConfig(io.treecast.fastpath.SnapshotStore storeOrNull) {
        return followerEngineConfig(storeOrNull, java.util.List.of());
    }

    /** The same, delivering on {@code dispatchExecutors} (the event loops) when not empty. */
    public EngineConfig followerEngineConfig(io.treecast.fastpath.SnapshotStore storeOrNull,
                                             java.util.List<? extends java.util.concurrent.ScheduledExecutorService> dispatchExecutors) {
        EngineConfig c = engineConfig(null, storeOrNull, dispatchExecutors);
        return EngineConfig.builder()
                .treeId(c.treeId())
                .inboundQueueCapacity(c.inboundQueueCapacity())
                .replayRingCapacity(c.replayRingCapacity())
                .replayRingBytes(c.replayRingBytes())
                .maxLeaves(c.maxLeaves())
                .maxTreeBytes(c.maxTreeBytes())
                .outboxBudgetSlots(c.outboxBudgetSlots())
                .outboxMaxBytes(c.outboxMaxBytes())
                .outboxBudgetBytes(c.outboxBudgetBytes())
                .matchCacheBytes(c.matchCacheBytes())
                .defaultOutboxCapacity(c.defaultOutboxCapacity())
                .maxOutboxCapacity(c.maxOutboxCapacity())
                .conflateHighMarkPercent(c.conflateHighMarkPercent())
                .dispatcherThreads(c.dispatcherThreads())
                .dispatchExecutors(c.dispatchExecutors())
                .maxSubscriptions(c.maxSubscriptions())
                .snapshotChunkLeaves(c.snapshotChunkLeaves())
                .idleStrategy(c.idleStrategy())
                .snapshotStore(storeOrNull)
                .follower(true)
                .build();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ServerConfig{");
        values.forEach((k, v) -> sb.append(k).append('=').append(k.startsWith("auth.") || k.equals("upstream.token") ? "***" : v).append(", "));
        sb.setLength(sb.length() - 2);
        return sb.append('}').toString();
    }

    /** Collects values from several sources; {@link #build()} validates the result once. */
    public static final class Builder {
        private final Map<String, Object> values = new LinkedHashMap<>();
        private final Map<String, String> sources = new LinkedHashMap<>();

        private Builder() {
            KEYS.forEach((k, key) -> {
                values.put(k, key.parse(key.defaultValue, "default"));
                sources.put(k, "default");
            });
        }

        /** Sets {@code key} from code (tests, embedding). */
        public Builder set(String key, String value) {
            return set(key, value, "code");
        }

        /** Sets {@code key}, remembering {@code source} for error messages. */
        public Builder set(String key, String value, String source) {
            Key k = KEYS.get(key);
            if (k == null) {
                throw new ConfigException(key, source, "unknown configuration key \"" + key + "\" from " + source
                        + "; known keys: " + String.join(", ", KEYS.keySet()));
            }
            if (value == null) {
                throw new ConfigException(key, source, key + " from " + source + " has no value: must be " + k.allowed);
            }
            values.put(key, k.parse(value, source));
            sources.put(key, source);
            return this;
        }

        /** Reads a YAML file, nested or flat. */
        public Builder file(Path path) {
            String source = "file " + path;
            Object root;
            try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                root = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
            } catch (IOException e) {
                throw new ConfigException("", source, "cannot read configuration " + source + ": " + e.getMessage());
            } catch (RuntimeException e) {
                throw new ConfigException("", source, "configuration " + source + " is not valid YAML: " + e.getMessage());
            }
            if (root == null) {
                return this;
            }
            if (!(root instanceof Map)) {
                throw new ConfigException("", source, "configuration " + source + " must be a YAML mapping of keys to values");
            }
            flatten("", (Map<?, ?>) root, source);
            return this;
        }

        /**
         * Applies the {@code TREECAST_*} variables that name a key. Any other {@code TREECAST_*} variable is refused
         * with the nearest key's variable (a typo would otherwise be silently ignored), except those of the launcher
         * and the client commands ({@link #NON_KEY_ENVIRONMENT_VARIABLES}).
         */
        public Builder environment(Map<String, String> env) {
            for (String var : new java.util.TreeSet<>(env.keySet())) {
                if (var.startsWith("TREECAST_") && !NON_KEY_ENVIRONMENT_VARIABLES.contains(var) && !ENV_KEYS.containsKey(var)) {
                    String nearest = nearestEnvironmentVariable(var);
                    throw new ConfigException(var, "environment variable " + var, "unknown environment variable " + var
                            + ": it names no configuration key" + (nearest == null ? "" : "; did you mean " + nearest
                            + " (key " + ENV_KEYS.get(nearest) + ")?") + "; unset it, or see rsocket-gateway/README.md for the keys");
                }
            }
            for (String key : KEYS.keySet()) {
                String var = environmentVariable(key);
                String v = env.get(var);
                if (v != null) {
                    set(key, v, "environment variable " + var);
                }
            }
            return this;
        }

        private void flatten(String prefix, Map<?, ?> map, String source) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String k = prefix + e.getKey();
                Object v = e.getValue();
                if (v instanceof Map && !KEYS.containsKey(k)) {
                    flatten(k + ".", (Map<?, ?>) v, source);
                } else if (v instanceof List) {
                    List<String> parts = new ArrayList<>();
                    for (Object o : (List<?>) v) {
                        parts.add(String.valueOf(o));
                    }
                    set(k, String.join(",", parts), source);
                } else {
                    set(k, v == null ? "" : String.valueOf(v), source);
                }
            }
        }

        /** Validates the combination and returns the configuration. */
        public ServerConfig build() {
            int def = (Integer) values.get("engine.default-outbox-capacity");
            int max = (Integer) values.get("engine.max-outbox-capacity");
            if (max < def) {
                String key = "engine.max-outbox-capacity";
                throw new ConfigException(key, sources.get(key), key + " = " + max + " from " + sources.get(key)
                        + ": must be >= engine.default-outbox-capacity (" + def + ")");
            }
            int reassembly = (Integer) values.get("limits.max-reassembly-bytes");
            int frame = (Integer) values.get("limits.max-frame-bytes");
            if (reassembly < frame) {
                String key = "limits.max-reassembly-bytes";
                throw new ConfigException(key, sources.get(key), key + " = " + reassembly + " from " + sources.get(key)
                        + ": must be >= limits.max-frame-bytes (" + frame + "), or no fragmented payload of the largest size could be received");
            }
            int minKeepAlive = (Integer) values.get("limits.min-keepalive-ms");
            int idle = (Integer) values.get("limits.idle-timeout-ms");
            int lifetime = (Integer) values.get("limits.max-keepalive-lifetime-ms");
            if (minKeepAlive >= Math.min(idle, lifetime)) {
                String key = "limits.min-keepalive-ms";
                throw new ConfigException(key, sources.get(key), key + " = " + minKeepAlive + " from " + sources.get(key)
                        + ": must be below limits.idle-timeout-ms (" + idle + ") and limits.max-keepalive-lifetime-ms ("
                        + lifetime + "), or no keep-alive interval would be accepted");
            }
            if (values.get("durability.mode") == DurabilityMode.EXTERNAL && ((String) values.get("durability.bootstrap-servers")).isEmpty()) {
                String key = "durability.bootstrap-servers";
                throw new ConfigException(key, sources.get(key), key + " is empty: durability.mode external (from "
                        + sources.get("durability.mode") + ") needs host:port of the Kafka cluster");
            }
            if ((Boolean) values.get("tls.enabled")) {
                for (String key : List.of("tls.cert-file", "tls.key-file")) {
                    if (((String) values.get(key)).isEmpty()) {
                        throw new ConfigException(key, sources.get(key), key + " is empty: tls.enabled (from " + sources.get("tls.enabled")
                                + ") needs the server's PEM certificate chain (tls.cert-file) and private key (tls.key-file)");
                    }
                }
                if (!"none".equals(values.get("tls.client-auth")) && ((String) values.get("tls.ca-file")).isEmpty()) {
                    String key = "tls.ca-file";
                    throw new ConfigException(key, sources.get(key), key + " is empty: tls.client-auth " + values.get("tls.client-auth")
                            + " needs the PEM certificates of the CA that signs client certificates");
                }
            } else if (!"none".equals(values.get("tls.client-auth"))) {
                String key = "tls.client-auth";
                throw new ConfigException(key, sources.get(key), key + " = " + values.get(key) + " from " + sources.get(key)
                        + ": client certificates need TLS: set tls.enabled true (with tls.cert-file and tls.key-file)");
            }
            return new ServerConfig(new LinkedHashMap<>(values), new LinkedHashMap<>(sources));
        }
    }

    private static final class Key {
        final String name;
        final String defaultValue;
        final Function<String, Object> parser;
        final String allowed;

        Key(String name, String defaultValue, Function<String, Object> parser, String allowed) {
            this.name = name;
            this.defaultValue = defaultValue;
            this.parser = parser;
            this.allowed = allowed;
        }

        Object parse(String value, String source) {
            try {
                return parser.apply(value);
            } catch (RuntimeException e) {
                throw new ConfigException(name, source, name + " = \"" + value + "\" from " + source + ": must be " + allowed);
            }
        }
    }

    private static void key(String name, String def, Function<String, Object> parser, String allowed) {
        KEYS.put(name, new Key(name, def, parser, allowed));
    }

    private static Object intIn(String v, int min, int max) {
        int i = Integer.parseInt(v.trim().replace("_", ""));
        if (i < min || i > max) {
            throw new IllegalArgumentException();
        }
        return i;
    }

    private static Object longIn(String v, long min, long max) {
        long l = Long.parseLong(v.trim().replace("_", ""));
        if (l < min || l > max) {
            throw new IllegalArgumentException();
        }
        return l;
    }

    private static Object powerOfTwo(String v) {
        int i = (Integer) intIn(v, 1, 1 << 30);
        if ((i & (i - 1)) != 0) {
            throw new IllegalArgumentException();
        }
        return i;
    }

    private static Object oneOf(String v, String... allowed) {
        String t = v.trim().toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(t)) {
                return t;
            }
        }
        throw new IllegalArgumentException();
    }

    private static Object bool(String v) {
        String t = v.trim().toLowerCase(Locale.ROOT);
        if (t.equals("true")) {
            return Boolean.TRUE;
        }
        if (t.equals("false")) {
            return Boolean.FALSE;
        }
        throw new IllegalArgumentException();
    }

    private static Object upstreamUri(String v) {
        String t = v.trim();
        if (t.isEmpty()) {
            return t;
        }
        java.net.URI uri = java.net.URI.create(t);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("tcp") || scheme.equals("ws")) || uri.getHost() == null || uri.getPort() < 1) {
            throw new IllegalArgumentException();
        }
        return t;
    }

    private static Object httpList(String v) {
        @SuppressWarnings("unchecked")
        List<String> urls = (List<String>) list(v);
        for (String u : urls) {
            java.net.URI uri = java.net.URI.create(u);
            if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 1) {
                throw new IllegalArgumentException();
            }
        }
        return urls;
    }

    private static Object heapSize(String v) {
        String t = v.trim().toLowerCase(Locale.ROOT);
        if (!t.matches("[0-9]{1,9}[kmg]")) {
            throw new IllegalArgumentException();
        }
        long bytes = Long.parseLong(t.substring(0, t.length() - 1)) << (t.endsWith("k") ? 10 : t.endsWith("m") ? 20 : 30);
        if (bytes < 64L << 20) {
            throw new IllegalArgumentException(); // Kafka Streams and its fetch buffers do not start in less
        }
        return t;
    }

    private static Object nonEmpty(String v) {
        if (v.trim().isEmpty()) {
            throw new IllegalArgumentException();
        }
        return v.trim();
    }

    private static Object list(String v) {
        List<String> out = new ArrayList<>();
        for (String s : v.split(",")) {
            if (!s.trim().isEmpty()) {
                out.add(s.trim());
            }
        }
        return List.copyOf(out);
    }

}
