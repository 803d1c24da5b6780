package io.treecast.e2e;

import io.treecast.gateway.ServerConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What can be checked of {@code compose/} without a Docker engine: the YAML parses, every image is pinned, every
 * {@code TREECAST_*} variable set for the server is a key of its configuration (asked of {@link ServerConfig}, values
 * validated the way {@code treecast serve} would), and every file or directory it mounts or builds from exists.
 */
class ComposeFileTest {
    private static final Path COMPOSE = Path.of(System.getProperty("treecast.compose", "../compose"));
    /** Read by {@code bin/treecast} itself, not by the server's configuration. */
    private static final Set<String> LAUNCHER_VARIABLES = Set.of("TREECAST_JAVA_OPTS");
    private static final Pattern PINNED = Pattern.compile("^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?(@sha256:[0-9a-f]{64})?$");

    private static Map<String, Object> compose;
    private static Map<String, Object> services;

    @BeforeAll
    static void parse() throws IOException {
        compose = yaml(COMPOSE.resolve("docker-compose.yml"));
        services = map(compose.get("services"));
    }

    @Test
    void composeFileParsesAndHasKafkaTreecastPrometheusAlertmanagerAndGrafana() {
        assertThat(services).containsKeys("kafka", "treecast", "prometheus", "alertmanager", "grafana");
    }

    @Test
    void treecastIsHealthyOnlyWhenReadyAndEveryServiceHasAHealthcheck() {
        services.forEach((name, service) -> assertThat(map(service).get("healthcheck")).as("%s has a healthcheck", name).isNotNull());
        Map<String, Object> check = map(map(services.get("treecast")).get("healthcheck"));
        String test = String.join(" ", ((List<?>) check.get("test")).stream().map(String::valueOf).toList());
        String metricsPort = environment(map(services.get("treecast"))).get("TREECAST_METRICS_PORT");
        assertThat(test).as("GET /ready on the metrics port, healthy only on 200")
                .contains("/dev/tcp/127.0.0.1/" + metricsPort).contains("GET /ready ").contains("grep -q ' 200 '");
        assertThat(String.valueOf(check.get("start_period"))).as("time to recover before failures count").isNotEqualTo("null");
    }

    @Test
    void everyServiceHasAMemoryLimitAndTheJvmsFitTheirHeapsInsideIt() {
        services.forEach((name, service) -> assertThat(map(service).get("mem_limit")).as("%s has mem_limit", name).isNotNull());
        Map<String, Object> treecast = map(services.get("treecast"));
        long heap = maxHeap(environment(treecast).get("TREECAST_JAVA_OPTS"));
        long limit = bytes(String.valueOf(treecast.get("mem_limit")));
        assertThat(heap).as("TREECAST_JAVA_OPTS sets -Xmx").isPositive();
        // off the heap: Netty's direct buffers, the RocksDB state store, metaspace, threads, JFR
        assertThat(limit - heap).as("treecast: room beside the %d MiB heap", heap >> 20).isBetween(1L << 30, 4L << 30);
        Map<String, Object> kafka = map(services.get("kafka"));
        long kafkaHeap = maxHeap(environment(kafka).get("KAFKA_HEAP_OPTS"));
        assertThat(bytes(String.valueOf(kafka.get("mem_limit"))) - kafkaHeap).as("kafka: room beside its heap")
                .isBetween(256L << 20, 2L << 30);
    }

    @Test
    void alertsGoToAlertmanagerWhichRoutesEverySeverityToAReceiver() throws IOException {
        Map<String, Object> prometheus = yaml(COMPOSE.resolve("prometheus/prometheus.yml"));
        assertThat(prometheus.get("alerting").toString()).contains("alertmanager:9093");
        assertThat(ports(map(services.get("alertmanager")))).contains("127.0.0.1:9093:9093");

        Set<String> severities = new java.util.TreeSet<>();
        for (Object g : (List<?>) yaml(COMPOSE.resolve("prometheus/alerts.yml")).get("groups")) {
            for (Object rule : (List<?>) map(g).get("rules")) {
                severities.add(String.valueOf(map(map(rule).get("labels")).get("severity")));
            }
        }
        assertThat(severities).containsExactly("page", "ticket");
        Map<String, Object> am = yaml(COMPOSE.resolve("alertmanager/alertmanager.yml"));
        Set<String> receivers = new java.util.TreeSet<>();
        for (Object r : (List<?>) am.get("receivers")) {
            receivers.add(String.valueOf(map(r).get("name")));
        }
        Map<String, Object> route = map(am.get("route"));
        assertThat(receivers).contains(String.valueOf(route.get("receiver")));
        Map<String, String> receiverBySeverity = new LinkedHashMap<>();
        for (Object r : (List<?>) route.get("routes")) {
            Map<String, Object> sub = map(r);
            assertThat(receivers).as("route %s has its receiver", sub).contains(String.valueOf(sub.get("receiver")));
            for (Object m : (List<?>) sub.get("matchers")) {
                Matcher sev = Pattern.compile("severity=\"(\\w+)\"").matcher(String.valueOf(m));
                if (sev.find()) {
                    receiverBySeverity.put(sev.group(1), String.valueOf(sub.get("receiver")));
                }
            }
        }
        assertThat(receiverBySeverity).containsEntry("page", "page").containsEntry("ticket", "ticket");
    }

    @Test
    void theDashboardFiltersByInstanceShowsLoopErrorsAndTakesNoRateOfTheSeqGauge() throws IOException {
        String json = Files.readString(COMPOSE.resolve("grafana/dashboards/treecast.json"));
        Map<String, Object> dashboard = map(new Yaml(new SafeConstructor(new LoaderOptions())).load(json));
        List<?> variables = (List<?>) map(dashboard.get("templating")).get("list");
        assertThat(variables).anySatisfy(v -> {
            assertThat(map(v).get("name")).isEqualTo("instance");
            assertThat(String.valueOf(map(v).get("definition"))).contains("label_values(").contains("instance");
        });
        List<String> exprs = new ArrayList<>();
        Matcher m = Pattern.compile("\"expr\":\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        while (m.find()) {
            exprs.add(m.group(1).replace("\\\"", "\""));
        }
        assertThat(exprs).hasSizeGreaterThan(20)
                .allSatisfy(e -> assertThat(e).as("every query is filtered by $instance").contains("instance=~\"$instance\""))
                .noneMatch(e -> e.matches(".*\\b(rate|irate|increase)\\(treecast_engine_seq\\b.*"))
                .anyMatch(e -> e.contains("treecast_engine_loop_errors_total"))
                .anyMatch(e -> e.contains("treecast_jvm_gc_pause_seconds_max"));
        String alerts = Files.readString(COMPOSE.resolve("prometheus/alerts.yml"));
        assertThat(alerts).contains("treecast_engine_loop_errors_total").contains("treecast_jvm_gc_pause_seconds_max")
                .doesNotContainPattern("\\b(rate|irate|increase)\\(treecast_engine_seq\\b");
    }

    @Test
    void theImageMakesTheClientCommandsArchiveForItsOwnPath() throws IOException {
        assertThat(Files.readString(COMPOSE.resolve("Dockerfile"))).contains("RUN /opt/treecast/bin/treecast cds-archive");
    }

    /** -Xmx of a JVM option string, in bytes (0 when absent). */
    private static long maxHeap(String options) {
        Matcher m = Pattern.compile("-Xmx(\\d+[kKmMgG]?)").matcher(options == null ? "" : options);
        return m.find() ? bytes(m.group(1)) : 0;
    }

    /** 6g, 1536m, 512M, 1073741824 as bytes. */
    private static long bytes(String size) {
        Matcher m = Pattern.compile("(\\d+)([kKmMgG]?)[bB]?").matcher(size.trim());
        assertThat(m.matches()).as("a size: %s", size).isTrue();
        long n = Long.parseLong(m.group(1));
        switch (m.group(2).toLowerCase()) {
            case "k": return n << 10;
            case "m": return n << 20;
            case "g": return n << 30;
            default: return n;
        }
    }

    @Test
    void everyImageIsPinnedToATagOrDigestThatIsNotLatest() throws IOException {
        List<String> images = new ArrayList<>();
        services.forEach((name, service) -> {
            Object image = map(service).get("image");
            assertThat(image).as("service %s names its image", name).isNotNull();
            images.add(String.valueOf(image));
        });
        images.addAll(dockerfileBaseImages(COMPOSE.resolve("Dockerfile")));
        assertThat(images).allSatisfy(image -> {
            assertThat(image).matches(PINNED);
            assertThat(image).as("pinned: a tag or a digest").matches(".*(:[^/]+|@sha256:.+)$");
            assertThat(image).doesNotEndWith(":latest").doesNotContain(":latest@");
        });
        assertThat(images).anyMatch(i -> i.startsWith("apache/kafka:")).anyMatch(i -> i.startsWith("prom/prometheus:"));
    }

    @Test
    void everyTreecastVariableIsAConfigurationKeyWithAValidValue() throws IOException {
        Map<String, String> env = new LinkedHashMap<>(dockerfileEnvironment(COMPOSE.resolve("Dockerfile")));
        env.putAll(environment(map(services.get("treecast"))));
        Set<String> known = Set.copyOf(ServerConfig.keys().stream().map(ServerConfig::environmentVariable).toList());
        assertThat(env.keySet()).filteredOn(v -> v.startsWith("TREECAST_") && !LAUNCHER_VARIABLES.contains(v))
                .isNotEmpty()
                .allSatisfy(v -> assertThat(known).as("%s names a key of ServerConfig", v).contains(v));
        assertThat(Files.readString(COMPOSE.resolve("../distribution/src/dist/bin/treecast")))
                .as("the launcher reads the launcher variables").contains(LAUNCHER_VARIABLES);

        // the server refuses a TREECAST_* variable that is not a key (unless the launcher's), and checks the values
        assertThat(ServerConfig.NON_KEY_ENVIRONMENT_VARIABLES).containsAll(LAUNCHER_VARIABLES);
        ServerConfig config = ServerConfig.load(null, env, Map.of());
        assertThat(config.durabilityMode()).isEqualTo(ServerConfig.DurabilityMode.EXTERNAL);
        assertThat(config.durabilityBootstrapServers()).isEqualTo("kafka:9092");
        assertThat(config.tcpHost()).as("reachable from outside the container").isEqualTo("0.0.0.0");
        assertThat(config.get("metrics.host")).as("Prometheus scrapes from another container").isEqualTo("0.0.0.0");
        assertThat(config.get("metrics.port")).isEqualTo(9464);
    }

    @Test
    void prometheusScrapesTheMetricsPortThatTreecastListensOn() throws IOException {
        Map<String, String> env = environment(map(services.get("treecast")));
        String target = "treecast:" + env.get("TREECAST_METRICS_PORT");
        assertThat(Files.readString(COMPOSE.resolve("prometheus/prometheus.yml"))).contains(target);
        assertThat(ports(map(services.get("treecast")))).contains(
                "127.0.0.1:" + env.get("TREECAST_TCP_PORT") + ":" + env.get("TREECAST_TCP_PORT"),
                "127.0.0.1:" + env.get("TREECAST_METRICS_PORT") + ":" + env.get("TREECAST_METRICS_PORT"));
    }

    @Test
    void everyMountedFileAndTheBuildContextExist() {
        List<Path> mounted = new ArrayList<>();
        services.forEach((name, service) -> {
            Object volumes = map(service).get("volumes");
            if (volumes == null) {
                return;
            }
            for (Object v : (List<?>) volumes) {
                String source = String.valueOf(v).split(":")[0];
                if (source.startsWith(".") || source.startsWith("/")) {
                    mounted.add(COMPOSE.resolve(source).normalize());
                }
            }
        });
        assertThat(mounted).as("bind mounts of prometheus, alertmanager and grafana").hasSizeGreaterThanOrEqualTo(5)
                .allSatisfy(p -> assertThat(p).exists());

        Map<String, Object> build = map(map(services.get("treecast")).get("build"));
        Path context = COMPOSE.resolve(String.valueOf(build.get("context"))).normalize();
        assertThat(context.resolve(String.valueOf(build.get("dockerfile")))).isRegularFile();
        assertThat(context.resolve("distribution/pom.xml")).as("the Dockerfile copies distribution/target/treecast from this context")
                .isRegularFile();
        assertThat(COMPOSE.resolve("Dockerfile.dockerignore")).as("only the distribution is sent as build context")
                .content().contains("!distribution/target/treecast");
    }

    @Test
    void theScaledVariantHasThreeKraftBrokersOneCoreTwoEdgesOfItAndTwoStateInstances() throws IOException {
        Map<String, Object> scaled = map(yaml(COMPOSE.resolve("docker-compose.scaled.yml")).get("services"));
        assertThat(scaled).containsOnlyKeys("kafka-1", "kafka-2", "kafka-3", "treecast-core", "treecast-edge-1",
                "treecast-edge-2", "treecast-state-1", "treecast-state-2");
        scaled.forEach((name, service) -> assertThat(String.valueOf(map(service).get("image"))).as("%s image", name)
                .matches(PINNED).doesNotEndWith(":latest"));
        for (int n = 1; n <= 3; n++) {
            Map<String, String> env = environment(map(scaled.get("kafka-" + n)));
            assertThat(env.get("KAFKA_NODE_ID")).isEqualTo(String.valueOf(n));
            assertThat(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS")).isEqualTo("1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093");
            assertThat(env.get("KAFKA_MIN_INSYNC_REPLICAS")).isEqualTo("2");
        }
        Set<String> known = Set.copyOf(ServerConfig.keys().stream().map(ServerConfig::environmentVariable).toList());
        ServerConfig core = null;
        for (String name : List.of("treecast-core", "treecast-edge-1", "treecast-edge-2")) {
            Map<String, String> env = new LinkedHashMap<>(dockerfileEnvironment(COMPOSE.resolve("Dockerfile")));
            env.putAll(environment(map(scaled.get(name))));
            assertThat(env.keySet()).filteredOn(v -> v.startsWith("TREECAST_") && !LAUNCHER_VARIABLES.contains(v))
                    .allSatisfy(v -> assertThat(known).as("%s of %s names a key of ServerConfig", v, name).contains(v));
            ServerConfig config = ServerConfig.load(null, env, Map.of());
            if (name.equals("treecast-core")) {
                core = config;
                assertThat(config.isEdge()).isFalse();
                assertThat(config.durabilityBootstrapServers()).isEqualTo("kafka-1:9092,kafka-2:9092,kafka-3:9092");
                assertThat(config.durabilityReplicationFactor()).isEqualTo(3);
            } else {
                assertThat(config.isEdge()).isTrue();
                assertThat(config.upstreamUrl()).isEqualTo("tcp://treecast-core:" + core.tcpPort());
            }
        }
        for (String name : List.of("treecast-state-1", "treecast-state-2")) {
            assertThat((List<?>) map(scaled.get(name)).get("command")).map(String::valueOf)
                    .startsWith("state", "--bootstrap-servers", "kafka-1:9092,kafka-2:9092,kafka-3:9092");
        }
    }

    private static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> env = new LinkedHashMap<>();
        Object e = service.get("environment");
        if (e instanceof Map<?, ?> m) {
            m.forEach((k, v) -> env.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        } else if (e instanceof List<?> l) {
            for (Object item : l) {
                String[] kv = String.valueOf(item).split("=", 2);
                env.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        }
        return env;
    }

    private static List<String> ports(Map<String, Object> service) {
        return ((List<?>) service.get("ports")).stream().map(String::valueOf).toList();
    }

    private static List<String> dockerfileBaseImages(Path dockerfile) throws IOException {
        return Files.readAllLines(dockerfile).stream().map(String::trim)
                .filter(l -> l.toUpperCase().startsWith("FROM "))
                .map(l -> l.split("\\s+")[1]).toList();
    }

    /** {@code ENV K=V \ K2=V2} lines of the Dockerfile. */
    private static Map<String, String> dockerfileEnvironment(Path dockerfile) throws IOException {
        String text = Files.readString(dockerfile).replace("\\\n", " ");
        Map<String, String> env = new LinkedHashMap<>();
        Matcher line = Pattern.compile("(?m)^ENV\\s+(.+)$").matcher(text);
        while (line.find()) {
            Matcher kv = Pattern.compile("([A-Z_][A-Z0-9_]*)=(\\S+)").matcher(line.group(1));
            while (kv.find()) {
                env.put(kv.group(1), kv.group(2));
            }
        }
        return env;
    }

    private static Map<String, Object> yaml(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file)) {
            Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
            return map(root);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }
}
