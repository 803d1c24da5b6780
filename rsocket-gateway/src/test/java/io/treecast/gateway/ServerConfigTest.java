package io.treecast.gateway;

import io.treecast.fastpath.IdleStrategyKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreTheDocumentedOnes() {
        ServerConfig c = ServerConfig.defaults();
        assertThat(c.tcpHost()).isEqualTo("127.0.0.1");
        assertThat(c.tcpPort()).isEqualTo(7070);
        assertThat(c.webSocketEnabled()).isTrue();
        assertThat(c.webSocketPort()).isEqualTo(7071);
        assertThat(c.webSocketPath()).isEqualTo("/rsocket");
        assertThat(c.maxValueBytes()).isEqualTo(65536);
        assertThat(c.maxBatchChanges()).isEqualTo(1024);
        assertThat(c.authTokens()).isEmpty();
        assertThat(c.durabilityMode()).isEqualTo(ServerConfig.DurabilityMode.EMBEDDED);
        assertThat(c.durabilityTopic()).isEqualTo("treecast.leaves");
        assertThat(c.durabilityPartitions()).isEqualTo(8);
        assertThat(c.durabilityNice()).isEqualTo(10);
        assertThat(c.durabilityCompression()).isEqualTo("snappy");
        assertThat(c.sourceOf("tcp.port")).isEqualTo("default");
    }

    @Test
    void memoryBudgetsHaveTheDocumentedDefaultsAndReachTheEngine() {
        io.treecast.fastpath.EngineConfig defaults = ServerConfig.defaults().engineConfig(null);
        assertThat(defaults.replayRingBytes()).isEqualTo(256L << 20);
        assertThat(defaults.maxLeaves()).isEqualTo(10_000_000L);
        assertThat(defaults.maxTreeBytes()).isEqualTo(1L << 30);
        assertThat(defaults.outboxBudgetSlots()).isEqualTo(8L << 20);
        assertThat(defaults.outboxMaxBytes()).isEqualTo(64L << 20);
        assertThat(defaults.outboxBudgetBytes()).isEqualTo(256L << 20);

        io.treecast.fastpath.EngineConfig set = ServerConfig.load(null, Map.of("TREECAST_ENGINE_MAX_TREE_BYTES", "8_589_934_592"),
                Map.of("engine.replay-ring-bytes", "1000", "engine.max-leaves", "5", "engine.outbox-budget-slots", "64",
                        "engine.outbox-max-bytes", "4096", "engine.outbox-budget-bytes", "65536"))
                .engineConfig(null);
        assertThat(set.replayRingBytes()).isEqualTo(1000);
        assertThat(set.maxLeaves()).isEqualTo(5);
        assertThat(set.maxTreeBytes()).isEqualTo(8L << 30);
        assertThat(set.outboxBudgetSlots()).isEqualTo(64);
        assertThat(set.outboxMaxBytes()).isEqualTo(4096);
        assertThat(set.outboxBudgetBytes()).isEqualTo(65536);

        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("engine.outbox-budget-slots", "8")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("engine.outbox-budget-slots = \"8\" from the command line: must be an integer >= 16 "
                        + "(outbox slots, ~20 bytes each, all subscriptions together)");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("engine.outbox-budget-bytes", "0")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("engine.outbox-budget-bytes = \"0\" from the command line: must be an integer >= 1 "
                        + "(bytes of batches all subscriptions' outboxes together may hold)");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("engine.max-leaves", "0")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("engine.max-leaves = \"0\" from the command line: must be an integer >= 1");
    }

    @Test
    void fileThenEnvironmentThenFlagsEachOverrideTheOneBefore() throws IOException {
        Path yaml = dir.resolve("treecast.yaml");
        Files.writeString(yaml, "tcp:\n  port: 7000\n  host: 0.0.0.0\nlimits.max-value-bytes: 1000\nauth:\n  tokens: [a, b]\n"
                + "engine:\n  idle-strategy: busy-spin\n");
        ServerConfig c = ServerConfig.load(yaml, Map.of("TREECAST_TCP_PORT", "7001", "TREECAST_LIMITS_MAX_VALUE_BYTES", "2000",
                "OTHER_PROGRAM_SETTING", "ignored", "TREECAST_JAVA_OPTS", "-Xmx1g"), Map.of("tcp.port", "7002"));
        assertThat(c.tcpPort()).isEqualTo(7002);
        assertThat(c.sourceOf("tcp.port")).isEqualTo("the command line");
        assertThat(c.tcpHost()).isEqualTo("0.0.0.0");
        assertThat(c.maxValueBytes()).isEqualTo(2000);
        assertThat(c.sourceOf("limits.max-value-bytes")).isEqualTo("environment variable TREECAST_LIMITS_MAX_VALUE_BYTES");
        assertThat(c.authTokens()).containsExactly("a", "b");
        assertThat(c.engineConfig(null).idleStrategy()).isEqualTo(IdleStrategyKind.BUSY_SPIN);
    }

    @Test
    void aTypoInATreecastEnvironmentVariableIsRefusedWithTheNearestKey() {
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of("TREECAST_TCP_PROT", "7001"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("unknown environment variable TREECAST_TCP_PROT: it names no configuration key; did you mean "
                        + "TREECAST_TCP_PORT (key tcp.port)?; unset it, or see rsocket-gateway/README.md for the keys");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of("TREECAST_SOMETHING_ELSE_ENTIRELY", "x"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("unknown environment variable TREECAST_SOMETHING_ELSE_ENTIRELY: it names no configuration key; "
                        + "unset it, or see rsocket-gateway/README.md for the keys");
        // the launcher's and the client's own variables are not configuration keys, and not typos
        for (String var : ServerConfig.NON_KEY_ENVIRONMENT_VARIABLES) {
            assertThat(ServerConfig.load(null, Map.of(var, "x"), Map.of()).tcpPort()).as(var).isEqualTo(7070);
        }
    }

    @Test
    void unknownKeyInTheFileNamesTheKeyAndTheFile() throws IOException {
        Path yaml = dir.resolve("bad.yaml");
        Files.writeString(yaml, "tcp:\n  prot: 7000\n");
        assertThatThrownBy(() -> ServerConfig.load(yaml, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown configuration key \"tcp.prot\"")
                .hasMessageContaining("file " + yaml)
                .hasMessageContaining("tcp.port");
    }

    @Test
    void badValueFromTheEnvironmentNamesKeyVariableAndWhatIsAllowed() {
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of("TREECAST_TCP_PORT", "70x0"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("tcp.port = \"70x0\" from environment variable TREECAST_TCP_PORT: must be an integer 0..65535 (0 = any free port)")
                .extracting(e -> ((ConfigException) e).key()).isEqualTo("tcp.port");
    }

    @Test
    void badFlagValueNamesTheFlag() {
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("engine.idle-strategy", "sleepy")))
                .hasMessage("engine.idle-strategy = \"sleepy\" from the command line: must be one of backoff, busy-spin, yield");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("engine.deliver-on", "fibers")))
                .hasMessage("engine.deliver-on = \"fibers\" from the command line: must be one of event-loops (each subscription's events are delivered on its connection's event loop), threads (engine.dispatcher-threads)");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("engine.inbound-queue-capacity", "1000")))
                .hasMessageContaining("must be a power of two");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("durability.mode", "cloud")))
                .hasMessageContaining("one of embedded, external, off");
    }

    @Test
    void edgeAndStateInstanceKeysAreValidatedAndNameWhatIsAllowed() {
        ServerConfig core = ServerConfig.load(null, Map.of(), Map.of());
        assertThat(core.isEdge()).isFalse();
        assertThat(core.upstreamResumeWaitMillis()).isEqualTo(5000);
        assertThat(core.upstreamOutboxCapacity()).isEqualTo(65536);
        assertThat(core.durabilityStateInstances()).isEmpty();
        assertThat(core.durabilityReplicationFactor()).isEqualTo(1);

        ServerConfig edge = ServerConfig.load(null, Map.of("TREECAST_UPSTREAM_URL", "tcp://core:7070",
                "TREECAST_UPSTREAM_TOKEN", "upstream-s3cr3t"), Map.of("durability.state-instances", "http://s1:7400, http://s2:7400"));
        assertThat(edge.isEdge()).isTrue();
        assertThat(edge.upstreamUrl()).isEqualTo("tcp://core:7070");
        assertThat(edge.durabilityStateInstances()).containsExactly("http://s1:7400", "http://s2:7400");
        assertThat(edge.toString()).contains("upstream.token=***").doesNotContain("upstream-s3cr3t");
        assertThat(edge.followerEngineConfig(null).follower()).isTrue();

        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("upstream.url", "http://core:7070")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("upstream.url = \"http://core:7070\" from the command line: must be empty (this node is a core) "
                        + "or the core's address, tcp://host:port or ws://host:port/path (this node is an edge)");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("upstream.url", "tcp://core")))
                .hasMessageStartingWith("upstream.url = \"tcp://core\" from the command line: must be empty");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("upstream.resume-wait-ms", "-1")))
                .hasMessage("upstream.resume-wait-ms = \"-1\" from the command line: must be an integer 0..600000 "
                        + "(milliseconds a resume_after ahead of this edge waits for it before RESET)");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("durability.state-instances", "s1:7400")))
                .hasMessageStartingWith("durability.state-instances = \"s1:7400\" from the command line: must be a list of "
                        + "http://host:port");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("durability.replication-factor", "0")))
                .hasMessage("durability.replication-factor = \"0\" from the command line: must be an integer 1..32 "
                        + "(replicas of the topic when the server creates it; 3 on a 3-broker cluster)");
    }

    @Test
    void durabilityPriorityAndCompressionOutsideTheirRangesNameWhatIsAllowed() {
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("durability.nice", "20")))
                .hasMessageStartingWith("durability.nice = \"20\" from the command line: must be an integer 0..19");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of("TREECAST_DURABILITY_NICE", "-1"), Map.of()))
                .hasMessageStartingWith("durability.nice = \"-1\" from environment variable TREECAST_DURABILITY_NICE");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("durability.compression", "brotli")))
                .hasMessage("durability.compression = \"brotli\" from the command line: must be one of none, gzip, "
                        + "snappy, lz4, zstd (the journal producer's compression.type)");
        ServerConfig ok = ServerConfig.load(null, Map.of(), Map.of("durability.nice", "0", "durability.compression", " ZSTD"));
        assertThat(ok.durabilityNice()).isZero();
        assertThat(ok.durabilityCompression()).isEqualTo("zstd");
        assertThat(ServerConfig.defaults().durabilityLingerMs()).isEqualTo(5);
        assertThat(ServerConfig.load(null, Map.of("TREECAST_DURABILITY_LINGER_MS", "20"), Map.of()).durabilityLingerMs())
                .isEqualTo(20);
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("durability.linger-ms", "5000")))
                .hasMessageStartingWith("durability.linger-ms = \"5000\" from the command line: must be an integer 0..1000");
    }

    @Test
    void stateStoreRunsInAChildByDefaultAndItsProcessAndHeapKeysNameWhatIsAllowed() {
        ServerConfig defaults = ServerConfig.defaults();
        assertThat(defaults.durabilityStateStoreProcess()).isEqualTo(ServerConfig.StateStoreProcess.CHILD);
        // the default store is a hash map in the child's heap: room for twice the engine's default 1 GiB tree budget
        assertThat(defaults.durabilityStateStoreKind()).isEqualTo("memory");
        assertThat(defaults.durabilityStateStoreHeap()).isEqualTo("2304m");
        assertThat(ServerConfig.load(null, Map.of(), Map.of("engine.max-tree-bytes", "104857600"))
                .durabilityStateStoreHeap()).as("a 100 MiB tree budget").isEqualTo("456m");
        assertThat(ServerConfig.load(null, Map.of(), Map.of("durability.state-store-kind", "RocksDB"))
                .durabilityStateStoreHeap()).as("RocksDB keeps the leaves off the heap").isEqualTo("256m");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("durability.state-store-kind", "disk")))
                .hasMessage("durability.state-store-kind = \"disk\" from the command line: must be one of memory, rocksdb "
                        + "(where the state store keeps the leaves: a hash map in the child's heap, restored from the topic "
                        + "at each start, or RocksDB on disk)");
        ServerConfig inProcess = ServerConfig.load(null, Map.of("TREECAST_DURABILITY_STATE_STORE_PROCESS", "in-process",
                "TREECAST_DURABILITY_STATE_STORE_HEAP", "1G"), Map.of());
        assertThat(inProcess.durabilityStateStoreProcess()).isEqualTo(ServerConfig.StateStoreProcess.IN_PROCESS);
        assertThat(inProcess.durabilityStateStoreHeap()).isEqualTo("1g");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("durability.state-store-process", "thread")))
                .hasMessage("durability.state-store-process = \"thread\" from the command line: must be one of child, "
                        + "in-process (where the Kafka Streams state store runs: a child JVM of the server, or the serving JVM)");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of("TREECAST_DURABILITY_STATE_STORE_HEAP", "16m"), Map.of()))
                .hasMessage("durability.state-store-heap = \"16m\" from environment variable TREECAST_DURABILITY_STATE_STORE_HEAP: "
                        + "must be auto, or a JVM heap size of at least 64m, such as 256m or 1g (the state store child's -Xmx; "
                        + "auto: 256m, plus twice engine.max-tree-bytes when durability.state-store-kind is memory)");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("durability.state-store-heap", "256")))
                .hasMessageStartingWith("durability.state-store-heap = \"256\" from the command line: must be auto, or a JVM heap size");
    }

    @Test
    void unknownFlagIsRefused() {
        assertThatThrownBy(() -> ServerConfig.builder().set("tcp.prt", "1", "flag --tcp.prt"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("unknown configuration key \"tcp.prt\" from flag --tcp.prt");
    }

    @Test
    void externalDurabilityNeedsBootstrapServers() {
        assertThatThrownBy(() -> ServerConfig.builder().set("durability.mode", "external").build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("durability.bootstrap-servers is empty");
    }

    @Test
    void maxOutboxBelowDefaultIsRefused() {
        assertThatThrownBy(() -> ServerConfig.builder().set("engine.max-outbox-capacity", "8").build())
                .hasMessageContaining("engine.max-outbox-capacity = 8 from code: must be >= engine.default-outbox-capacity (16384)");
    }

    @Test
    void everyKeyHasAnEnvironmentVariable() {
        assertThat(ServerConfig.environmentVariable("limits.max-subscriptions-per-connection"))
                .isEqualTo("TREECAST_LIMITS_MAX_SUBSCRIPTIONS_PER_CONNECTION");
        assertThat(ServerConfig.keys()).contains("tcp.host", "auth.tokens", "durability.ack-timeout-ms");
        assertThat(ServerConfig.builder().set("auth.tokens", "x, y,").build().authTokens()).isEqualTo(List.of("x", "y"));
    }

    @Test
    void connectionHygieneDefaultsAreTheDocumentedOnes() {
        ServerConfig c = ServerConfig.defaults();
        assertThat(c.minKeepAliveMillis()).isEqualTo(1000);
        assertThat(c.maxKeepAliveLifetimeMillis()).isEqualTo(120_000);
        assertThat(c.idleTimeoutMillis()).isEqualTo(90_000);
        assertThat(c.frameReadTimeoutMillis()).isEqualTo(30_000);
        assertThat(c.maxReassemblyBytes()).isEqualTo(32 << 20);
        assertThat(c.maxConnectionsPerIp()).isEqualTo(1000);
        assertThat(c.maxUpdatesPerSecondPerConnection()).isZero();
        assertThat(c.maxBytesPerSecondPerConnection()).isZero();
    }

    @Test
    void aReassemblyBudgetBelowTheFrameLimitIsRefusedNamingBothKeys() {
        assertThatThrownBy(() -> ServerConfig.builder().set("limits.max-reassembly-bytes", "1048576").build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("limits.max-reassembly-bytes = 1048576").hasMessageContaining("limits.max-frame-bytes (16777216)");
        assertThat(ServerConfig.builder().set("limits.max-reassembly-bytes", "1048576").set("limits.max-frame-bytes", "1048576")
                .build().maxReassemblyBytes()).isEqualTo(1 << 20);
    }

    @Test
    void aKeepAliveFloorThatNoIntervalCouldMeetIsRefused() {
        assertThatThrownBy(() -> ServerConfig.builder().set("limits.min-keepalive-ms", "5000").set("limits.idle-timeout-ms", "5000").build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("limits.min-keepalive-ms = 5000").hasMessageContaining("limits.idle-timeout-ms (5000)");
    }

    @Test
    void theDefaultOutboxHoldsA200MillisecondStallOfAGlobstarSubscriberAt50000UpdatesPerSecond() {
        // the headline rate, every update matching '**': a subscriber whose process stalls 200 ms must not be ended
        int eventsIn200ms = 50_000 / 5;
        assertThat(ServerConfig.defaults().engineConfig(null, null).defaultOutboxCapacity()).isGreaterThanOrEqualTo(eventsIn200ms);
        // and what it does not yet read waits in the send budget first: about 4 MiB of ~100-byte events
        assertThat(ServerConfig.defaults().maxSendQueueBytes()).isGreaterThanOrEqualTo(eventsIn200ms * 100);
    }

    @Test
    void tlsWithoutItsFilesOrClientCertificatesWithoutTlsAreRefusedNamingTheKeys() {
        assertThatThrownBy(() -> ServerConfig.builder().set("tls.enabled", "true").build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("tls.cert-file is empty").hasMessageContaining("tls.key-file");
        assertThatThrownBy(() -> ServerConfig.builder().set("tls.enabled", "true").set("tls.cert-file", "c.pem").set("tls.key-file", "k.pem")
                .set("tls.client-auth", "require").build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("tls.ca-file is empty").hasMessageContaining("tls.client-auth require");
        assertThatThrownBy(() -> ServerConfig.builder().set("tls.client-auth", "optional").build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("client certificates need TLS: set tls.enabled true");
        assertThatThrownBy(() -> ServerConfig.builder().set("tls.client-auth", "always").build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("one of none, optional, require");
        ServerConfig c = ServerConfig.load(null, java.util.Map.of("TREECAST_AUTH_RULES_FILE", "/etc/treecast/rules.yaml",
                "TREECAST_AUTH_JWT_HS256_SECRET_FILE", "/run/secret"), null);
        assertThat(c.authRulesFile()).isEqualTo(java.nio.file.Path.of("/etc/treecast/rules.yaml"));
        assertThat(c.jwtHs256SecretFile()).isEqualTo(java.nio.file.Path.of("/run/secret"));
        assertThat(ServerConfig.defaults().authTokensFile()).isNull();
        assertThat(ServerConfig.defaults().metricsOpenProbes()).isTrue();
        assertThat(ServerConfig.defaults().metricsRequireToken()).isFalse();
    }

    @Test
    void aBadSecurityFileStopsTheStartNamingItsKey(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path rules = java.nio.file.Files.writeString(dir.resolve("rules.yaml"), "principals:\n  alice: { read: { allow: [\"a//b\"] } }\n");
        assertThatThrownBy(() -> ServerSecurity.load(ServerConfig.builder().set("auth.rules-file", rules.toString()).build()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("auth.rules-file from code")
                .hasMessageContaining("principal 'alice' read allow").hasMessageContaining("empty segment");
        Path key = java.nio.file.Files.writeString(dir.resolve("k.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        Path cert = java.nio.file.Files.writeString(dir.resolve("c.pem"), "not a certificate");
        assertThatThrownBy(() -> ServerSecurity.load(ServerConfig.builder().set("tls.enabled", "true").set("tls.cert-file", cert.toString())
                .set("tls.key-file", key.toString()).build()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("holds no usable PEM certificate");
        Path secret = java.nio.file.Files.writeString(dir.resolve("secret"), "short");
        assertThatThrownBy(() -> ServerSecurity.load(ServerConfig.builder().set("auth.jwt.hs256-secret-file", secret.toString()).build()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("auth.jwt.hs256-secret-file").hasMessageContaining("use at least 32 random ones");
    }
}
