package io.treecast.durability;

import io.treecast.fastpath.BackgroundPriority;
import io.treecast.durability.internal.HashKeyValueStore;
import io.treecast.durability.internal.RecordCodec;
import io.treecast.durability.internal.StateStoreRocksDbOptions;
import io.treecast.durability.internal.StaticMemberId;
import io.treecast.fastpath.Leaf;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.SnapshotStore;
import io.treecast.fastpath.TreePath;
import io.treecast.proto.LeafRecord;
import io.treecast.proto.Watermark;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.streams.KeyValue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The tree's state materialized by Kafka Streams from the compacted topic into a store keyed by path bytes, so that a
 * subtree is a prefix scan: persistent RocksDB by default, or a hash map in the heap
 * ({@link DurabilityConfig.StateStoreKind}). It knows the seq up to which it is complete: the smallest watermark
 * it has seen over every partition of the topic (the journal writes a partition's watermark after that partition's
 * records of lower seq).
 *
 * <pre>{@code
 * try (TreeState state = TreeState.start(durability.config(), durability.bootstrapServers(), Path.of("data/state"))) {
 *     state.awaitComplete(lastSeq, Duration.ofSeconds(30));
 *     state.scan("markets/eu/", (path, record) -> ...);
 * }
 * }</pre>
 *
 * Runs inside the server or as a separate process: instances with the same tree and topic share the application id,
 * so Kafka Streams spreads the topic's partitions across them. This class queries the local instance's partitions.
 * Thread-safe.
 */
public final class TreeState implements SnapshotStore, AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TreeState.class);
    /** Name of the RocksDB store (also the interactive-query name). */
    public static final String STORE = "treecast-leaf-records";

    private final KafkaStreams streams;
    /** The static group member id of the state dir, locked while this store runs; released by {@link #stop()}. */
    private final StaticMemberId member;
    private final String tree;
    private final int partitions;
    /** Nice steps below the caller for the Streams threads and the snapshot reader ({@link DurabilityConfig#nice()}). */
    private final int nice;
    /** Snapshots for the engine are read here, never on its dispatcher threads. */
    private final ExecutorService reader;
    private final LongAdder snapshotsServed = new LongAdder();

    private TreeState(KafkaStreams streams, String tree, int partitions, int nice, StaticMemberId member) {
        this.streams = streams;
        this.member = member;
        this.tree = tree;
        this.partitions = partitions;
        this.nice = nice;
        this.reader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(() -> {
                BackgroundPriority.lowerCurrentThread(nice);
                r.run();
            }, "treecast-state-snapshots-" + tree);
            t.setDaemon(true);
            return t;
        });
    }

    /** Receives one leaf of a scan. */
    @FunctionalInterface
    public interface LeafConsumer {
        void leaf(String path, LeafRecord record);
    }

    /**
     * Starts the Streams application {@code treecast-state-<tree>} on {@code config.topic()}, its state under
     * {@code stateDir}. The topic itself serves as the store's changelog (no extra topic).
     */
    public static TreeState start(DurabilityConfig config, String bootstrapServers, int partitions, Path stateDir) {
        return start(config, bootstrapServers, partitions, stateDir, applicationId(config.treeId()));
    }

    /** The Streams application id the instances of a tree share: {@code treecast-state-<tree>}. */
    public static String applicationId(String treeId) {
        return "treecast-state-" + treeId;
    }

    /**
     * As {@link #start(DurabilityConfig, String, int, Path)} with another application id: instances with their own id
     * each hold every partition (an independent full copy) instead of sharing the tree's partitions.
     */
    public static TreeState start(DurabilityConfig config, String bootstrapServers, int partitions, Path stateDir,
                                  String applicationId) {
        TreeState state = create(config, bootstrapServers, partitions, stateDir, applicationId);
        state.begin();
        return state;
    }

    /**
     * Prepares the application without starting it ({@link #begin()} does): until then it serves nothing and the
     * engine's catch-ups fall back to its own tree. {@code Durability} begins it after recovery, so that restoring
     * the store does not compete with the engine's restart for the CPU.
     */
    public static TreeState create(DurabilityConfig config, String bootstrapServers, int partitions, Path stateDir,
                                   String applicationId) {
        return create(config, bootstrapServers, partitions, stateDir, applicationId, null);
    }

    /**
     * As {@link #create(DurabilityConfig, String, int, Path, String)}, advertising {@code applicationServerOrNull}
     * ({@code host:port} of this instance's {@link StateQueryServer}) as Kafka Streams' {@code application.server},
     * so that every instance (and {@link #owners()}) knows which instance serves which partitions.
     */
    public static TreeState create(DurabilityConfig config, String bootstrapServers, int partitions, Path stateDir,
                                   String applicationId, String applicationServerOrNull) {
        // A read-only store fed by the topic, which is also its changelog (KIP-813): each record is one RocksDB put
        // or delete. A KTable over the topic did the same with a read of the old value, a timestamp wrapper and
        // headers per record, several times the CPU and garbage (BENCHMARKS.md, "Journal on vs off").
        Topology topology = new Topology();
        topology.addReadOnlyStateStore(
                Stores.keyValueStoreBuilder(config.stateStoreKind() == DurabilityConfig.StateStoreKind.MEMORY
                                ? HashKeyValueStore.supplier(STORE) : Stores.persistentKeyValueStore(STORE),
                                Serdes.Bytes(), Serdes.ByteArray())
                        .withLoggingDisabled(),
                "treecast-topic", null, Serdes.Bytes().deserializer(), Serdes.ByteArray().deserializer(),
                config.topic(), "treecast-store-writer", StoreWriter::new);
        Properties p = new Properties();
        p.setProperty(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.setProperty(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        p.setProperty(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
        // small memtables: the puts into them were the largest part of the state store's CPU (StateStoreRocksDbOptions)
        p.setProperty(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, StateStoreRocksDbOptions.class.getName());
        // each commit flushes RocksDB's memtables once enough changed: every 10 s makes fewer, larger flushes; the
        // store serves queries from its memtables meanwhile, so this delays nothing a reader sees
        p.setProperty(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "10000");
        p.setProperty(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
        if (applicationServerOrNull != null) {
            p.setProperty(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServerOrNull);
        }
        // fewer, fuller fetches: the store may trail the journal by up to fetch.max.wait.ms, and its per-poll cost
        // is spread over more records (the state thread was the largest durability cost at 50,000/s, BENCHMARKS.md)
        p.setProperty(StreamsConfig.consumerPrefix("fetch.min.bytes"), String.valueOf(256 * 1024));
        p.setProperty(StreamsConfig.consumerPrefix("fetch.max.wait.ms"), "100");
        p.setProperty(StreamsConfig.consumerPrefix("max.poll.records"), "10000");
        p.setProperty(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        // static membership: a store restarted on the same state dir after a crash (kill -9, power loss) takes its
        // predecessor's place in the group at once; as a new dynamic member it waited for the dead one's session to
        // time out (45 s in REBALANCING, serving no catch-ups). Streams appends "-<thread>" per stream thread.
        // refused (DataDirLockedException) when another store holds the state dir: before Kafka Streams touches it
        StaticMemberId member = StaticMemberId.claim(stateDir);
        p.setProperty(StreamsConfig.mainConsumerPrefix("group.instance.id"), member.id());
        try {
            KafkaStreams streams = new KafkaStreams(topology, p);
            streams.setUncaughtExceptionHandler(TreeState::onStreamThreadFailure);
            return new TreeState(streams, config.treeId(), partitions, config.nice(), member);
        } catch (RuntimeException e) {
            member.close();
            throw e;
        }
    }

    /**
     * Right after a broker restart the group's leader may not see the topic's metadata yet: Kafka Streams then fails
     * the stream thread with a {@code MissingSourceTopicException} (INCOMPLETE_SOURCE_TOPIC_METADATA), and its
     * default answer shuts the whole store down for good. The topic is there; a new thread that joins again is the
     * cure (seen in KafkaOutageLogIT). Any other failure still shuts the client down ({@link #phase()} says ERROR).
     */
    private static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onStreamThreadFailure(
            Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof org.apache.kafka.streams.errors.MissingSourceTopicException) {
                return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            }
        }
        return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }

    /** Writes each record of the topic to the store: a value is a put, a tombstone a delete. */
    private static final class StoreWriter implements Processor<Bytes, byte[], Void, Void> {
        private KeyValueStore<Bytes, byte[]> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<Bytes, byte[]> record) {
            if (record.key() == null) {
                return;
            }
            store.put(record.key(), record.value());
        }
    }

    /** Starts the Streams application (once; later calls do nothing). */
    public synchronized void begin() {
        if (streams.state() == KafkaStreams.State.CREATED) {
            // the stream threads (and RocksDB's, which they create) inherit the starting thread's lower priority
            BackgroundPriority.callLowered(nice, "treecast-state-start-" + tree, () -> {
                streams.start();
                return null;
            });
        }
    }

    /** The Kafka Streams application's state (CREATED, REBALANCING, RUNNING, ...), for status lines. */
    public String phase() {
        return streams.state().name();
    }

    /** Whether the application is running (all its partitions assigned and restored). */
    public boolean running() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    /**
     * The seq up to which this instance's state is complete: the smallest watermark over the partitions, 0 if some
     * partition has none yet.
     */
    public long completeSeq() {
        java.util.SortedSet<Integer> all = new java.util.TreeSet<>();
        for (int part = 0; part < partitions; part++) {
            all.add(part);
        }
        return completeSeq(all);
    }

    /**
     * The partitions of the topic that Kafka Streams assigned to this instance: all of them when it runs alone,
     * a share when several instances (servers or {@code treecast state} processes) run the same application.
     */
    public java.util.SortedSet<Integer> localPartitions() {
        java.util.SortedSet<Integer> out = new java.util.TreeSet<>();
        for (org.apache.kafka.streams.ThreadMetadata t : streams.metadataForLocalThreads()) {
            for (org.apache.kafka.streams.TaskMetadata task : t.activeTasks()) {
                for (org.apache.kafka.common.TopicPartition tp : task.topicPartitions()) {
                    out.add(tp.partition());
                }
            }
        }
        return out;
    }

    /** The seq up to which {@code parts} (held by this instance) are complete: their smallest watermark, 0 if one has none. */
    public long completeSeq(java.util.SortedSet<Integer> parts) {
        if (parts.isEmpty()) {
            return 0;
        }
        ReadOnlyKeyValueStore<Bytes, byte[]> store = store();
        long min = Long.MAX_VALUE;
        for (int part : parts) {
            byte[] v = store.get(Bytes.wrap(RecordCodec.watermarkKey(tree, part)));
            if (v == null) {
                return 0;
            }
            try {
                min = Math.min(min, Watermark.parseFrom(v).getSeq());
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new IllegalStateException("watermark of partition " + part + " is not a treecast.v1.Watermark", e);
            }
        }
        return min;
    }

    /** Waits (bounded) until the state is complete up to at least {@code seq}; false on timeout. */
    public boolean awaitComplete(long seq, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (running() && completeSeq() >= seq) {
                    return true;
                }
            } catch (org.apache.kafka.streams.errors.InvalidStateStoreException rebalancing) {
                // the store is not queryable during a rebalance: try again
            }
            LockSupport.parkNanos(50_000_000L);
        }
        return false;
    }

    /**
     * Every leaf whose path starts with {@code pathPrefix} (e.g. {@code "markets/eu/"} for a subtree, {@code ""} for
     * all), in path byte order, each with its own seq; a RocksDB prefix scan.
     */
    public int scan(String pathPrefix, LeafConsumer into) {
        byte[] prefix = pathPrefix.getBytes(StandardCharsets.UTF_8);
        int n = 0;
        try (KeyValueIterator<Bytes, byte[]> it = store().prefixScan(Bytes.wrap(prefix), new BytesSerializer())) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                byte[] key = kv.key.get();
                if (key.length == 0 || key[0] == 0 || kv.value == null) {
                    continue;
                }
                try {
                    into.leaf(new String(key, StandardCharsets.UTF_8), LeafRecord.parseFrom(kv.value));
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new IllegalStateException("record of " + new String(key, StandardCharsets.UTF_8)
                            + " is not a treecast.v1.LeafRecord", e);
                }
                n++;
            }
        }
        return n;
    }

    /**
     * The engine's catch-up port: reads, on this state's own thread, every stored leaf matching {@code pattern}
     * (a prefix scan over the pattern's leading literal segments, then the pattern), with the seq up to which the
     * store was complete before the scan. Fails when the store is not queryable (starting, rebalancing) or when
     * this instance does not hold every partition (its watermarks would be missing): the engine then snapshots its
     * own tree.
     */
    @Override
    public CompletableFuture<SnapshotStore.Result> snapshot(PathPattern pattern) {
        return CompletableFuture.supplyAsync(() -> {
            // read before the scan: every record up to it is then in the scan (or superseded there)
            long complete = completeSeq();
            if (complete <= 0) {
                throw new IllegalStateException("state store of tree " + tree + " has no watermark for some partition");
            }
            List<Leaf> leaves = new ArrayList<>();
            scanInto(pattern, leaves);
            snapshotsServed.increment();
            return new SnapshotStore.Result(complete, leaves);
        }, reader);
    }

    /** Every stored leaf matching {@code pattern}: a prefix scan over its leading literal segments, then the pattern. */
    private void scanInto(PathPattern pattern, List<Leaf> leaves) {
        {
            byte[] prefix = literalPrefix(pattern).getBytes(StandardCharsets.UTF_8);
            RecordCodec.DecodedLeaf decoded = new RecordCodec.DecodedLeaf();
            try (KeyValueIterator<Bytes, byte[]> it = store().prefixScan(Bytes.wrap(prefix), new BytesSerializer())) {
                while (it.hasNext()) {
                    KeyValue<Bytes, byte[]> kv = it.next();
                    byte[] key = kv.key.get();
                    if (key.length == 0 || key[0] == 0 || kv.value == null) {
                        continue;
                    }
                    TreePath p;
                    try {
                        p = TreePath.parse(new String(key, StandardCharsets.UTF_8));
                    } catch (RuntimeException notAPath) {
                        continue;
                    }
                    if (pattern.matches(p)) {
                        // the record's value field already is the engine's encoded Value: taken as it is
                        RecordCodec.decodeLeaf(kv.value, decoded);
                        leaves.add(new Leaf(p, decoded.value, decoded.seq));
                    }
                }
            }
        }
    }

    /**
     * What this instance holds for {@code pattern}: the leaves of its own partitions, exact at least up to
     * {@code minSeq}. Refused with {@link StateUnavailableException} (never answered from a store that is not there
     * yet) when Kafka Streams is not RUNNING, holds no partition, moved partitions during the scan (a rebalance), or
     * when its partitions are complete only below {@code minSeq}.
     */
    public PartialSnapshot localSnapshot(PathPattern pattern, long minSeq) {
        try {
            if (!running()) {
                throw new StateUnavailableException("the state instance is " + phase() + ", not RUNNING (starting or "
                        + "rebalancing): ask again shortly");
            }
            java.util.SortedSet<Integer> before = localPartitions();
            if (before.isEmpty()) {
                throw new StateUnavailableException("the state instance holds no partition of tree " + tree + " now");
            }
            long complete = completeSeq(before);
            if (complete < Math.max(1, minSeq)) {
                throw new StateUnavailableException("partitions " + before + " are complete up to seq " + complete
                        + ", below the requested " + minSeq + ": the store is still catching up, ask again shortly");
            }
            List<Leaf> leaves = new ArrayList<>();
            scanInto(pattern, leaves);
            if (!before.equals(localPartitions()) || !running()) {
                throw new StateUnavailableException("partitions moved during the scan (a rebalance): ask again shortly");
            }
            snapshotsServed.increment();
            return new PartialSnapshot(before, complete, leaves);
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException rebalancing) {
            throw new StateUnavailableException("the store is not queryable now (" + rebalancing.getMessage() + "): ask again shortly");
        }
    }

    /**
     * Which instance serves which partition, as Kafka Streams' metadata says: partition → {@code application.server}
     * ({@code host:port}) of the instance that owns it as an active task. Partitions being moved are missing.
     */
    public java.util.SortedMap<Integer, String> owners() {
        java.util.SortedMap<Integer, String> out = new java.util.TreeMap<>();
        for (org.apache.kafka.streams.StreamsMetadata m : streams.metadataForAllStreamsClients()) {
            String host = m.hostInfo().host() + ":" + m.hostInfo().port();
            for (org.apache.kafka.common.TopicPartition tp : m.topicPartitions()) {
                out.put(tp.partition(), host);
            }
        }
        return out;
    }

    /** The topic's partition count this state was started with. */
    public int partitions() {
        return partitions;
    }

    /**
     * One instance's share of a snapshot: the partitions it answered for, the seq up to which they are complete, and
     * their leaves matching the pattern.
     */
    public record PartialSnapshot(java.util.SortedSet<Integer> partitions, long completeSeq, List<Leaf> leaves) {
    }

    /** Snapshots handed to the engine so far. */
    public long snapshotsServed() {
        return snapshotsServed.sum();
    }

    /** The Kafka Streams state, e.g. {@code RUNNING} or {@code REBALANCING} (restoring); for metrics. */
    public String state() {
        return streams.state().name();
    }

    /**
     * Records this instance's store partitions still have to read, summed; -1 when Streams cannot tell yet. Asks the
     * brokers for end offsets: call it every few seconds at most (a metrics monitor), never per request.
     */
    public long lag() {
        try {
            long lag = 0;
            for (java.util.Map<Integer, org.apache.kafka.streams.LagInfo> partitions : streams.allLocalStorePartitionLags().values()) {
                for (org.apache.kafka.streams.LagInfo info : partitions.values()) {
                    lag += Math.max(0, info.offsetLag());
                }
            }
            return lag;
        } catch (RuntimeException notYet) {
            // not running yet, or rebalancing: the lags are unknown for now
            return -1;
        }
    }

    /** The key prefix every match of {@code pattern} starts with: its leading literal segments. */
    static String literalPrefix(PathPattern pattern) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < pattern.depth() && pattern.kind(k) == PathPattern.LITERAL; k++) {
            b.append(pattern.literals(k)[0]);
            if (k + 1 < pattern.depth()) {
                b.append('/');
            }
        }
        return b.toString();
    }

    private ReadOnlyKeyValueStore<Bytes, byte[]> store() {
        return streams.store(StoreQueryParameters.fromNameAndType(STORE, QueryableStoreTypes.keyValueStore()));
    }

    /**
     * Stops Kafka Streams, waiting at most {@value #STOP_TIMEOUT_SECONDS} s; true when it reached
     * {@code NOT_RUNNING} in that time, false (logged) when its threads are still stopping, e.g. with Kafka gone.
     */
    public boolean stop() {
        reader.shutdownNow();
        // Leave the group: a Streams member stays in it after a plain close until its session times out (45 s), and
        // the next start's rebalance waits for it; Streams finishes a rebalance before it stops, so a stop during
        // that time (e.g. the restart's stop) waited for it too, past the bound.
        boolean stopped = streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(STOP_TIMEOUT_SECONDS)));
        member.close();
        if (!stopped) {
            // seen when the broker went away first: a stream thread keeps waiting for its group coordinator
            LOG.warn("state store of tree {} did not stop within {} s (state {}); its threads may linger until exit",
                    tree, STOP_TIMEOUT_SECONDS, streams.state());
        }
        return stopped;
    }

    private static final long STOP_TIMEOUT_SECONDS = 10;

    /** {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }
}
