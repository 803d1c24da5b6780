package io.treecast.durability;

import io.treecast.fastpath.BackgroundPriority;
import io.treecast.durability.internal.DataDirLock;
import io.treecast.durability.internal.EmbeddedKafka;
import io.treecast.durability.internal.KafkaJournal;
import io.treecast.durability.internal.StateStoreChild;
import io.treecast.fastpath.SnapshotStore;
import io.treecast.fastpath.Journal;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Treecast's durability: a Kafka cluster (an embedded single-node broker in a child JVM, or an external one), the
 * compacted topic that mirrors the tree, and the engine's {@link Journal} writing to it and recovering from it.
 *
 * <pre>{@code
 * try (Durability durability = Durability.start(DurabilityConfig.builder().dataDir(Path.of("data")).build());
 *      Engine engine = Engine.start(EngineConfig.builder()
 *              .treeId(durability.config().treeId())
 *              .journalCapacity(durability.config().journalCapacity())
 *              .journal(durability.journal())
 *              .build())) {
 *     ...
 * }
 * }</pre>
 *
 * Close the engine first (it drains into the journal), then this (it closes the journal and stops the embedded
 * broker). Thread-safe.
 */
public final class Durability implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Durability.class);
    private static final java.time.Duration ADMIN_CLOSE = java.time.Duration.ofSeconds(1);

    private final DurabilityConfig config;
    private final EmbeddedKafka embedded;
    private final String bootstrapServers;
    private final Admin admin;
    private final KafkaJournal journal;
    private final TreeState state;
    /** The state store in a child JVM ({@link DurabilityConfig#stateStoreChild()}), or null. */
    private final StateStoreChild stateChild;
    /** The engine's view of {@link #stateChild}: interactive queries to it. */
    private final RemoteSnapshotStore childStore;
    private final DataDirLock lock;
    private boolean closed;

    private Durability(DurabilityConfig config, DataDirLock lock, EmbeddedKafka embedded, String bootstrapServers,
                       Admin admin, KafkaJournal journal, TreeState state, StateStoreChild stateChild,
                       RemoteSnapshotStore childStore) {
        this.config = config;
        this.lock = lock;
        this.embedded = embedded;
        this.bootstrapServers = bootstrapServers;
        this.admin = admin;
        this.journal = journal;
        this.state = state;
        this.stateChild = stateChild;
        this.childStore = childStore;
    }

    /**
     * Starts (EMBEDDED) or reaches (EXTERNAL) the Kafka cluster, creates the topic if it is missing
     * ({@code cleanup.policy=compact}) and prepares the journal. Blocks up to {@link DurabilityConfig#startTimeout()}.
     *
     * The data dir is locked first ({@code <dataDir>/treecast.lock}, an OS lock held until {@link #close()}), before
     * anything in it is read or written: a second server on the same data dir is refused at once and harms nothing.
     *
     * @throws DataDirLockedException when another process (or another {@code Durability} here) holds the data dir
     * @throws IllegalStateException  when the broker does not start or the cluster is not reachable in time; the
     *                                message says which setting or file to look at
     */
    public static Durability start(DurabilityConfig config) {
        // built on a lowered thread: the broker's JVM, the producer's and admin client's I/O threads inherit its
        // lower priority (the journal thread and the state store lower theirs when they start)
        return BackgroundPriority.callLowered(config.nice(), "treecast-durability-start", () -> startHere(config));
    }

    private static Durability startHere(DurabilityConfig config) {
        // before anything in the data dir is touched (the broker's logs, the state store, the journal's backlog file)
        DataDirLock lock = DataDirLock.acquire(config.dataDir(),
                "durability setting dataDir, server key durability.data-dir");
        EmbeddedKafka embedded = null;
        Admin admin = null;
        try {
            String bootstrap;
            if (config.mode() == DurabilityConfig.Mode.EMBEDDED) {
                embedded = new EmbeddedKafka(config.dataDir(), config.brokerHeap(), config.startTimeout(),
                        config.closeTimeout());
                // a broker that dies (kill -9, crash, OutOfMemoryError) is restarted with back-off; the journal's
                // producer reconnects to the same port and resends what waited
                embedded.supervise();
                embedded.start();
                bootstrap = embedded.bootstrapServers();
            } else {
                bootstrap = config.bootstrapServers();
            }
            admin = Admin.create(adminProps(bootstrap, config.startTimeout().toMillis()));
            int partitions = ensureTopic(admin, config, bootstrap);
            KafkaJournal journal = new KafkaJournal(config, bootstrap, partitions);
            // begun once the engine has recovered: restoring it meanwhile would slow the restart (BENCHMARKS.md)
            boolean child = config.stateStore() && !config.stateStoreChild().isEmpty();
            TreeState state = config.stateStore() && !child ? TreeState.create(config, bootstrap, partitions,
                    config.dataDir().resolve("state"), TreeState.applicationId(config.treeId())) : null;
            StateStoreChild stateChild = child ? stateStoreChild(config, bootstrap) : null;
            RemoteSnapshotStore childStore = null;
            if (state != null) {
                journal.afterStart(state::begin);
            } else if (stateChild != null) {
                // started by startStateStoreChild() once the server listens: the child binds an ephemeral port for
                // its queries, which must not take a port the server is about to bind (seen in CI: ADDRESS_IN_USE)
                // 3 quick attempts, as with listed instances: a store that cannot answer exactly is refused, and the
                // engine serves that resume from its own tree
                childStore = new RemoteSnapshotStore(() -> {
                    java.net.URI uri = stateChild.queryUri();
                    return uri == null ? List.of() : List.of(uri);
                }, partitions, 3, java.time.Duration.ofSeconds(5));
            }
            return new Durability(config, lock, embedded, bootstrap, admin, journal, state, stateChild, childStore);
        } catch (RuntimeException e) {
            try {
                if (admin != null) {
                    admin.close();
                }
                if (embedded != null) {
                    embedded.close();
                }
            } finally {
                lock.close();
            }
            throw e;
        }
    }

    /**
     * The child that runs {@code treecast state} on {@code dataDir/state} (the same state dir and application id as an
     * in-process store, so switching between the two keeps the RocksDB store) and serves its interactive queries on
     * loopback.
     */
    private static StateStoreChild stateStoreChild(DurabilityConfig config, String bootstrap) {
        List<String> cmd = new java.util.ArrayList<>(config.stateStoreChild());
        cmd.addAll(List.of("--bootstrap-servers", bootstrap, "--topic", config.topic(), "--tree", config.treeId(),
                "--state-dir", config.dataDir().resolve("state").toAbsolutePath().toString(),
                // a heartbeat in state-store.out; the parent logs what matters (start, exit, restart)
                "--report-seconds", "600",
                "--store", config.stateStoreKind().settingValue(),
                // the whole child (stream thread, RocksDB, its JIT and GC) already runs durability.nice steps below
                // the fast path: it inherits that from the lowered thread that launches it
                "--nice", "0"));
        return new StateStoreChild(config.dataDir(), config.stateStoreHeap(), config.nice(), config.startTimeout(),
                config.closeTimeout().plusSeconds(5), cmd);
    }

    private static Properties adminProps(String bootstrap, long timeoutMs) {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(AdminClientConfig.CLIENT_ID_CONFIG, "treecast-durability-admin");
        p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(timeoutMs));
        p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.min(timeoutMs, 10_000)));
        p.setProperty(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        return p;
    }

    private static int ensureTopic(Admin admin, DurabilityConfig config, String bootstrap) {
        String topic = config.topic();
        long timeout = config.startTimeout().toMillis();
        try {
            Map<String, String> topicConfig = new HashMap<>(config.topicConfig());
            topicConfig.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
            try {
                admin.createTopics(List.of(new NewTopic(topic, config.partitions(), config.replicationFactor())
                        .configs(topicConfig))).all().get(timeout, TimeUnit.MILLISECONDS);
                LOG.info("created topic {} ({} partitions, compacted) at {}", topic, config.partitions(), bootstrap);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
            TopicDescription d;
            Config c;
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            while (true) {
                try {
                    d = admin.describeTopics(List.of(topic)).allTopicNames()
                            .get(timeout, TimeUnit.MILLISECONDS).get(topic);
                    c = admin.describeConfigs(List.of(res)).all().get(timeout, TimeUnit.MILLISECONDS).get(res);
                    break;
                } catch (ExecutionException e) {
                    // a topic just created may not have reached the broker's metadata yet
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    LockSupport.parkNanos(100_000_000L);
                }
            }
            String policy = c.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
            if (!policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT) || policy.contains(TopicConfig.CLEANUP_POLICY_DELETE)) {
                throw new IllegalStateException("topic " + topic + " has cleanup.policy=" + policy
                        + "; Treecast needs cleanup.policy=compact (set it on the topic, or choose another durability "
                        + "setting topic)");
            }
            return d.partitions().size();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while preparing topic " + topic, e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not create or describe topic " + topic + " at " + bootstrap
                    + " within " + config.startTimeout() + " (check durability.bootstrap-servers; durability.start-timeout-ms is the wait): "
                    + e.getMessage(), e);
        }
    }

    /** The journal to pass to {@code EngineConfig.builder().journal(..)}; the engine recovers from it and starts it. */
    public Journal journal() {
        return journal;
    }

    /**
     * The Kafka Streams state of the tree, to pass to {@code EngineConfig.builder().snapshotStore(..)} so that
     * resumes older than the replay ring are caught up from it; {@code null} when the config turned it off.
     */
    public TreeState treeState() {
        return state;
    }

    /**
     * The store that catches up resumes older than the replay ring, to pass to
     * {@code TreecastServer.start(config, journal, store)}: the in-process {@link #treeState()}, or interactive queries
     * to the state store child ({@link DurabilityConfig#stateStoreChild()}); null when the config turned the store off.
     */
    public SnapshotStore snapshotStore() {
        return state != null ? state : childStore;
    }

    /**
     * Starts the state store child ({@code durability.state-store-process=child}), if this durability has one: call it
     * once the server listens. Idempotent; returns at once (the child starts in the background, and until it serves,
     * resumes older than the replay ring get RESET + a snapshot of the live tree).
     */
    public void startStateStoreChild() {
        if (stateChild != null) {
            stateChild.start();
        }
    }

    /** The state store child's process id, or -1 (no child, or not running right now); for operators and tests. */
    public long stateStoreChildPid() {
        return stateChild == null ? -1 : stateChild.pid();
    }

    /** The state store child's query address while it serves ({@code http://127.0.0.1:<port>}), else null. */
    public java.net.URI stateStoreChildUri() {
        return stateChild == null ? null : stateChild.queryUri();
    }

    /** Restarts of the state store child after it exited on its own (0 without a child); for metrics and tests. */
    public long stateStoreChildRestarts() {
        return stateChild == null ? 0 : stateChild.restarts();
    }

    public DurabilityConfig config() {
        return config;
    }

    /** The Kafka address in use ({@code 127.0.0.1:<port>} of the embedded broker, or the configured one). */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Asks the cluster for its nodes, waiting at most a second: for health endpoints, not for the hot path. */
    public boolean kafkaReachable() {
        try {
            return !admin.describeCluster().nodes().get(1, TimeUnit.SECONDS).isEmpty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    /** Highest seq Kafka acknowledged together with every seq below it. */
    public long durableSeq() {
        return journal.durableSeq();
    }

    /** Leaf records the journal handed to Kafka's producer since start; for metrics. */
    public long recordsSent() {
        return journal.recordsSent();
    }

    /** Records Kafka refused for good since start (each one stops the durable watermark before it); for metrics. */
    public long producerErrors() {
        return journal.producerErrors();
    }

    /** How long the last recovery from the topic took, in milliseconds, or -1 before it ran; for metrics. */
    public long recoveryMillis() {
        var r = journal.lastRecovery();
        return r == null ? -1 : r.millis();
    }

    /** Records the last recovery read from the topic, or -1 before it ran; for metrics. */
    public long recoveryRecords() {
        var r = journal.lastRecovery();
        return r == null ? -1 : r.records();
    }

    /**
     * Stops the state store (in process or its child), closes the journal (flushing within the close timeout) and stops the embedded broker,
     * if any. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            try {
                if (state != null) {
                    state.close();
                }
                if (childStore != null) {
                    childStore.close();
                }
                // before the broker: the child leaves its consumer group, so the next start takes its partitions at once
                if (stateChild != null) {
                    stateChild.close();
                }
            } finally {
                journal.close();
            }
        } finally {
            try {
                // it only answers health probes: nothing to flush, and with Kafka away a full close bound here added
                // 10 s to every stop
                admin.close(ADMIN_CLOSE);
            } finally {
                try {
                    if (embedded != null) {
                        embedded.close();
                    }
                } finally {
                    lock.close(); // last: the broker child has stopped (or was killed) by now
                }
            }
        }
    }

    /** Restarts of the embedded broker after it died on its own (0 for an external cluster); for metrics and tests. */
    public long brokerRestarts() {
        return embedded == null ? 0 : embedded.restarts();
    }

    /** The embedded broker's process id, or -1 (external cluster, or not running right now); for operators and tests. */
    public long brokerPid() {
        return embedded == null ? -1 : embedded.pid();
    }
}
