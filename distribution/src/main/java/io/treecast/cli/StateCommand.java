package io.treecast.cli;

import io.treecast.durability.DurabilityConfig;
import io.treecast.durability.TreeState;
import io.treecast.durability.StateQueryServer;
import io.treecast.proto.Value;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.SortedSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code treecast state --bootstrap-servers host:port}: runs the tree's Kafka Streams state (the same
 * {@link TreeState} a server runs inside) as a separate instance. Instances of one tree form one Kafka Streams
 * application and share the topic's partitions (durability/README.md, "Scaling"). Prints a status line every
 * {@code --report-seconds}; with {@code --scan PREFIX} it instead waits until its partitions are complete, prints
 * the leaves under the prefix as {@code path = value @seq} and exits.
 *
 * <pre>{@code
 * treecast state --bootstrap-servers 127.0.0.1:9092 --state-dir ./state-1
 * treecast state --bootstrap-servers 127.0.0.1:9092 --state-dir ./state-2 --scan markets/eu/
 * }</pre>
 */
@Command(name = "state", mixinStandardHelpOptions = true, versionProvider = TreecastCli.Version.class,
        description = "Run the tree's Kafka Streams state store as a separate instance.")
public final class StateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT[,...]",
            description = "The Kafka cluster holding the tree's topic.")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "treecast.leaves", description = "The compacted topic (default ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--tree", defaultValue = "default", description = "The tree id (engine.tree-id; default ${DEFAULT-VALUE}).")
    String tree;

    @Option(names = "--state-dir", defaultValue = "./data/state", description = "Where this instance keeps its state: the RocksDB store (--store rocksdb) and its group member id (default ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--store", defaultValue = "rocksdb", paramLabel = "KIND",
            converter = StoreKindConverter.class,
            description = "Where the leaves are kept: rocksdb (on disk under --state-dir, resumes from its checkpoint) or "
                    + "memory (a hash map in the heap, less CPU per update; restored from the topic at each "
                    + "start; the heap must hold the tree). Default ${DEFAULT-VALUE}.")
    DurabilityConfig.StateStoreKind store;

    @Option(names = "--application-id", paramLabel = "ID",
            description = "Kafka Streams application id (default treecast-state-<tree>, shared with the server's own store and "
                    + "every other instance of the tree, which split the partitions). Another id gives an independent full copy, "
                    + "e.g. for inspection without taking partitions from a running server.")
    String applicationId;

    @Option(names = "--report-seconds", defaultValue = "10", description = "Seconds between status lines (default ${DEFAULT-VALUE}).")
    int reportSeconds;

    @Option(names = "--scan", paramLabel = "PREFIX", description = "Wait until complete, print the leaves whose path starts with PREFIX (\"\" for all), exit.")
    String scan;

    @Option(names = "--timeout-seconds", defaultValue = "120", description = "How long --scan waits for the store (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--query-port", paramLabel = "N",
            description = "Serve interactive queries (snapshots of this instance's partitions, and which instance owns which "
                    + "partition) over HTTP on this port (0 = any free port), for servers with durability.state-instances.")
    Integer queryPort;

    @Option(names = "--query-host", defaultValue = "127.0.0.1", paramLabel = "H",
            description = "Bind address of the query endpoint (default ${DEFAULT-VALUE}).")
    String queryHost;

    @Option(names = "--advertised-host", paramLabel = "H",
            description = "The host other processes reach this instance's query endpoint at (Kafka Streams' application.server; "
                    + "default: --query-host).")
    String advertisedHost;

    @Option(names = "--nice", defaultValue = "10", paramLabel = "N",
            description = "Linux nice steps below this process for the Kafka Streams threads, 0..19 (default ${DEFAULT-VALUE}; "
                    + "serve starts its state store child already lowered by durability.nice and passes 0).")
    int nice;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        DurabilityConfig config = DurabilityConfig.builder().bootstrapServers(bootstrapServers).topic(topic).treeId(tree)
                .nice(nice).stateStoreKind(store).build();
        int partitions = partitions();
        String appId = applicationId != null ? applicationId : TreeState.applicationId(tree);
        StateQueryServer queries = queryPort == null ? null : StateQueryServer.start(queryHost, queryPort);
        String advertised = queries == null ? null
                : (advertisedHost != null ? advertisedHost : queryHost) + ":" + queries.address().getPort();
        // counted down once the store is closed: the shutdown hook waits for it, so that SIGTERM (or the parent
        // server's "stop", which exits) closes RocksDB and leaves the group instead of the JVM halting mid-close
        CountDownLatch closed = new CountDownLatch(1);
        try (TreeState state = TreeState.create(config, bootstrapServers, partitions, stateDir, appId, advertised)) {
            state.begin();
            if (queries != null) {
                queries.serve(state);
            }
            out.println("treecast state: tree " + tree + ", topic " + topic + " (" + partitions + " partitions) at "
                    + bootstrapServers + ", application " + appId + ", store under " + stateDir.toAbsolutePath()
                    + (queries == null ? "" : ", queries on http://" + advertised));
            out.flush();
            if (scan != null) {
                return scanOnce(state, out);
            }
            CountDownLatch stop = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                stop.countDown();
                try {
                    // TreeState's own stop is bounded (10 s); a margin for RocksDB's close
                    closed.await(15, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "treecast-state-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            while (!stop.await(reportSeconds, TimeUnit.SECONDS)) {
                out.println(status(state));
                out.flush();
            }
            return ExitCodes.OK;
        } finally {
            if (queries != null) {
                queries.close();
            }
            closed.countDown();
        }
    }

    private int scanOnce(TreeState state, PrintWriter out) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            try {
                SortedSet<Integer> mine = state.localPartitions();
                if (state.running() && !mine.isEmpty() && state.completeSeq(mine) > 0) {
                    long seq = state.completeSeq(mine);
                    int n = state.scan(scan, (path, record) -> out.println(path + " = " + text(record.getValue())
                            + " @" + record.getSeq()));
                    out.println("# " + n + " leaves from partitions " + mine + ", complete up to seq " + seq);
                    out.flush();
                    return ExitCodes.OK;
                }
            } catch (org.apache.kafka.streams.errors.InvalidStateStoreException rebalancing) {
                // not queryable during a rebalance: try again
            }
            if (System.nanoTime() > deadline) {
                spec.commandLine().getErr().println("error: UNAVAILABLE: the state store did not become complete within "
                        + timeoutSeconds + " s (" + status(state) + "); is the server writing to topic " + topic + "?");
                return ExitCodes.REFUSED;
            }
            Thread.sleep(200);
        }
    }

    private static String status(TreeState state) {
        try {
            SortedSet<Integer> mine = state.localPartitions();
            return "state " + state.phase() + ", partitions " + mine + ", complete up to seq " + state.completeSeq(mine);
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException rebalancing) {
            return "state " + state.phase() + " (store not queryable yet)";
        }
    }

    private static String text(Value v) {
        switch (v.getKindCase()) {
            case STRING_VALUE: return v.getStringValue();
            case INT_VALUE: return Long.toString(v.getIntValue());
            case DOUBLE_VALUE: return Double.toString(v.getDoubleValue());
            case BOOL_VALUE: return Boolean.toString(v.getBoolValue());
            default: return v.toString().trim();
        }
    }

    private int partitions() throws Exception {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        try (Admin admin = Admin.create(p)) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic)
                    .partitions().size();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("topic " + topic + " is not readable at " + bootstrapServers + " ("
                    + e.getCause().getMessage() + "); start the server first or check --bootstrap-servers and --topic", e);
        }
    }

    /** {@code rocksdb} or {@code memory}, in any case ({@code StateStoreKind.parse}); anything else names the choices. */
    static final class StoreKindConverter implements picocli.CommandLine.ITypeConverter<DurabilityConfig.StateStoreKind> {
        @Override
        public DurabilityConfig.StateStoreKind convert(String value) {
            try {
                return DurabilityConfig.StateStoreKind.parse(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
