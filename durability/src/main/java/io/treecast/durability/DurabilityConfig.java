package io.treecast.durability;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Settings of {@link Durability}, validated once by {@link Builder#build()}: a bad value throws
 * {@link IllegalArgumentException} whose message names the setting and says what to change.
 *
 * <pre>{@code
 * DurabilityConfig config = DurabilityConfig.builder()
 *         .mode(DurabilityConfig.Mode.EMBEDDED)   // or EXTERNAL with .bootstrapServers("kafka:9092")
 *         .dataDir(Path.of("./data"))
 *         .treeId("default")
 *         .build();
 * }</pre>
 */
public final class DurabilityConfig {

    /** Where the Kafka cluster comes from. */
    public enum Mode {
        /** Start a single-node KRaft broker in a child JVM with its data under {@link #dataDir()}. */
        EMBEDDED,
        /** Use the cluster at {@link #bootstrapServers()}. */
        EXTERNAL
    }

    private final Mode mode;
    private final String bootstrapServers;
    private final Path dataDir;
    private final String topic;
    private final int partitions;
    private final short replicationFactor;
    private final Map<String, String> topicConfig;
    private final String treeId;
    private final int lingerMs;
    private final int batchSizeBytes;
    private final long producerBufferBytes;
    private final String compression;
    private final int journalCapacity;
    private final int pollLimit;
    private final Duration kafkaLostAfter;
    private final Duration startTimeout;
    private final Duration recoveryTimeout;
    private final Duration closeTimeout;
    private final String brokerHeap;
    private final boolean stateStore;
    private final java.util.List<String> stateStoreChild;
    private final String stateStoreHeap;
    private final StateStoreKind stateStoreKind;
    private final int nice;

    private DurabilityConfig(Builder b) {
        this.mode = b.mode;
        this.bootstrapServers = b.bootstrapServers;
        this.dataDir = b.dataDir;
        this.topic = b.topic;
        this.partitions = b.partitions;
        this.replicationFactor = b.replicationFactor;
        this.topicConfig = Map.copyOf(b.topicConfig);
        this.treeId = b.treeId;
        this.lingerMs = b.lingerMs;
        this.batchSizeBytes = b.batchSizeBytes;
        this.producerBufferBytes = b.producerBufferBytes;
        this.compression = b.compression;
        this.journalCapacity = b.journalCapacity;
        this.pollLimit = b.pollLimit;
        this.kafkaLostAfter = b.kafkaLostAfter;
        this.startTimeout = b.startTimeout;
        this.recoveryTimeout = b.recoveryTimeout;
        this.closeTimeout = b.closeTimeout;
        this.brokerHeap = b.brokerHeap;
        this.stateStore = b.stateStore;
        this.stateStoreChild = java.util.List.copyOf(b.stateStoreChild);
        this.stateStoreHeap = b.stateStoreHeap;
        this.stateStoreKind = b.stateStoreKind;
        this.nice = b.nice;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** EMBEDDED (default) or EXTERNAL. */
    public Mode mode() { return mode; }
    /** The external cluster's bootstrap address ({@code host:port,...}); {@code null} in EMBEDDED mode. */
    public String bootstrapServers() { return bootstrapServers; }
    /** Root of the embedded broker's files: {@code kafka/} (log dirs), {@code kafka-broker.log}. Default {@code ./data}. */
    public Path dataDir() { return dataDir; }
    /** The compacted topic. Default {@code treecast.leaves}. */
    public String topic() { return topic; }
    /** Partitions when the topic is created. Default 8. */
    public int partitions() { return partitions; }
    /** Replication factor when the topic is created (1 for the embedded broker). */
    public short replicationFactor() { return replicationFactor; }
    /** Extra topic settings applied when the topic is created (e.g. {@code segment.ms} in tests). */
    public Map<String, String> topicConfig() { return topicConfig; }
    /** The tree whose journal this is; written into every record and into the watermark keys. */
    public String treeId() { return treeId; }
    /** Producer {@code linger.ms}. Default 5. */
    public int lingerMs() { return lingerMs; }
    /** Producer {@code batch.size}. Default 256 KiB. */
    public int batchSizeBytes() { return batchSizeBytes; }
    /** Producer {@code buffer.memory}: how much the journal keeps in flight while Kafka is away. Default 64 MiB. */
    public long producerBufferBytes() { return producerBufferBytes; }
    /**
     * Producer {@code compression.type}. Default {@code snappy}: Kafka's lz4 stream allocates two new 64 KiB buffers
     * for every batch, which at 8 partitions and a 5 ms linger was ~76 % of the journal thread's CPU (fresh memory to
     * zero and fault in), ~2 core-µs per update at 50,000/s; snappy recycles its buffers (BENCHMARKS.md).
     */
    public String compression() { return compression; }
    /**
     * Applied batches that may wait for Kafka before the engine refuses writes. Pass the same number to
     * {@code EngineConfig.builder().journalCapacity(..)}: recovery continues seq this far above the highest durable
     * seq, because that many batches may have been issued (and seen by subscribers) without reaching Kafka.
     */
    public int journalCapacity() { return journalCapacity; }
    /** Batches the journal thread takes from the engine per poll. */
    public int pollLimit() { return pollLimit; }
    /** With records outstanding and no acknowledgement for this long, the journal reports Kafka lost. */
    public Duration kafkaLostAfter() { return kafkaLostAfter; }
    /** How long {@link Durability#start} waits for the broker to serve and the topic to exist. */
    public Duration startTimeout() { return startTimeout; }
    /** How long recovery may take before it fails (the server must not start with half a tree). */
    public Duration recoveryTimeout() { return recoveryTimeout; }
    /** How long close waits for outstanding records and for the embedded broker to stop. */
    public Duration closeTimeout() { return closeTimeout; }
    /** The embedded broker's {@code -Xmx}, e.g. {@code 768m}. */
    public String brokerHeap() { return brokerHeap; }
    /**
     * Whether {@link Durability} runs the Kafka Streams state ({@link TreeState}, under {@code dataDir/state}) that
     * catches up subscribers whose resume point left the replay ring. Default true.
     */
    public boolean stateStore() { return stateStore; }

    /**
     * The main class and leading arguments of the state store's child JVM, e.g. {@code [io.treecast.cli.TreecastCli,
     * state]}; empty (the default) runs the state store in this JVM. {@link Durability} appends the flags of
     * {@code treecast state} ({@code --bootstrap-servers --topic --tree --state-dir --query-port --report-seconds}) and
     * waits for the line that command prints once it serves queries ({@code ... queries on http://host:port}).
     */
    public java.util.List<String> stateStoreChild() { return stateStoreChild; }

    /** The state store child's {@code -Xmx}. Default {@code 256m}. */
    public String stateStoreHeap() { return stateStoreHeap; }

    /** Where the state store keeps the tree's leaves ({@link StateStoreKind}). Default {@link StateStoreKind#ROCKSDB}. */
    public StateStoreKind stateStoreKind() { return stateStoreKind; }

    /**
     * Where the Kafka Streams state store keeps the leaves.
     * <ul>
     *   <li>{@code ROCKSDB}: a persistent RocksDB store under {@code dataDir/state}, off the JVM's heap; a restart
     *   resumes from its checkpoint. Holds trees larger than the heap.</li>
     *   <li>{@code MEMORY}: a hash map in the heap; less of the state store's CPU per update (one hash put per
     *   record, where RocksDB walks a skip list), scans sort what they match. A restart restores it from the topic
     *   from the start, and the heap ({@link #stateStoreHeap()}) must hold the whole tree: its paths and values plus
     *   ~150 bytes per leaf.</li>
     * </ul>
     */
    public enum StateStoreKind {
        ROCKSDB, MEMORY;

        /** As written in settings and flags: {@code rocksdb} or {@code memory}. */
        public String settingValue() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /**
         * The kind a setting or flag names, in any case: {@code rocksdb} or {@code memory}.
         *
         * @throws IllegalArgumentException {@code must be rocksdb or memory, was '<value>'}
         */
        public static StateStoreKind parse(String value) {
            for (StateStoreKind k : values()) {
                if (value != null && k.settingValue().equals(value.trim().toLowerCase(java.util.Locale.ROOT))) {
                    return k;
                }
            }
            throw new IllegalArgumentException("must be rocksdb or memory, was '" + value + "'");
        }
    }

    /**
     * How many nice steps below the fast path the durability threads (journal, Kafka clients, Kafka Streams state)
     * and the embedded broker run, 0..19 (0: the same priority). Linux only; see {@code BackgroundPriority}.
     */
    public int nice() { return nice; }

    /** Builds a {@link DurabilityConfig}; defaults suit one node with an embedded broker. */
    public static final class Builder {
        private Mode mode = Mode.EMBEDDED;
        private String bootstrapServers;
        private Path dataDir = Path.of("data");
        private String topic = "treecast.leaves";
        private int partitions = 8;
        private short replicationFactor = 1;
        private final Map<String, String> topicConfig = new TreeMap<>();
        private String treeId = "default";
        private int lingerMs = 5;
        private int batchSizeBytes = 256 * 1024;
        private long producerBufferBytes = 64L * 1024 * 1024;
        private String compression = "snappy";
        private int journalCapacity = 1 << 20;
        private int pollLimit = 4096;
        private Duration kafkaLostAfter = Duration.ofSeconds(3);
        private Duration startTimeout = Duration.ofSeconds(60);
        private Duration recoveryTimeout = Duration.ofSeconds(120);
        private Duration closeTimeout = Duration.ofSeconds(10);
        private String brokerHeap = "768m";
        private boolean stateStore = true;
        private java.util.List<String> stateStoreChild = java.util.List.of();
        private String stateStoreHeap = "256m";
        private StateStoreKind stateStoreKind = StateStoreKind.ROCKSDB;
        private int nice = 10;

        private Builder() {
        }

        public Builder mode(Mode v) { this.mode = v; return this; }
        /** Sets the external cluster's address; also switches the mode to EXTERNAL. */
        public Builder bootstrapServers(String v) { this.bootstrapServers = v; this.mode = Mode.EXTERNAL; return this; }
        public Builder dataDir(Path v) { this.dataDir = v; return this; }
        public Builder topic(String v) { this.topic = v; return this; }
        public Builder partitions(int v) { this.partitions = v; return this; }
        public Builder replicationFactor(short v) { this.replicationFactor = v; return this; }
        public Builder topicConfig(String key, String value) { this.topicConfig.put(key, value); return this; }
        public Builder treeId(String v) { this.treeId = v; return this; }
        public Builder lingerMs(int v) { this.lingerMs = v; return this; }
        public Builder batchSizeBytes(int v) { this.batchSizeBytes = v; return this; }
        public Builder producerBufferBytes(long v) { this.producerBufferBytes = v; return this; }
        public Builder compression(String v) { this.compression = v; return this; }
        public Builder journalCapacity(int v) { this.journalCapacity = v; return this; }
        public Builder pollLimit(int v) { this.pollLimit = v; return this; }
        public Builder kafkaLostAfter(Duration v) { this.kafkaLostAfter = v; return this; }
        public Builder startTimeout(Duration v) { this.startTimeout = v; return this; }
        public Builder recoveryTimeout(Duration v) { this.recoveryTimeout = v; return this; }
        public Builder closeTimeout(Duration v) { this.closeTimeout = v; return this; }
        public Builder brokerHeap(String v) { this.brokerHeap = v; return this; }
        public Builder stateStore(boolean v) { this.stateStore = v; return this; }
        /**
         * Runs the state store in a child JVM started with {@code mainClass args...} (see
         * {@link DurabilityConfig#stateStoreChild()}); no arguments at all ({@code stateStoreChild(null)}) keeps it in
         * this JVM.
         */
        public Builder stateStoreChild(String mainClass, String... args) {
            java.util.List<String> l = new java.util.ArrayList<>();
            if (mainClass != null) {
                l.add(mainClass);
                l.addAll(java.util.List.of(args));
            }
            this.stateStoreChild = l;
            return this;
        }
        public Builder stateStoreHeap(String v) { this.stateStoreHeap = v; return this; }
        public Builder stateStoreKind(StateStoreKind v) { this.stateStoreKind = v; return this; }
        public Builder nice(int v) { this.nice = v; return this; }

        public DurabilityConfig build() {
            require(mode != null, "mode", "must be EMBEDDED or EXTERNAL");
            if (mode == Mode.EXTERNAL) {
                require(bootstrapServers != null && !bootstrapServers.isBlank(), "bootstrapServers",
                        "must be host:port[,host:port...] in EXTERNAL mode (or use EMBEDDED)");
            } else {
                require(dataDir != null, "dataDir", "must be a directory for the embedded broker's data, e.g. ./data");
                require(brokerHeap != null && brokerHeap.matches("[0-9]+[kmgKMG]?"), "brokerHeap",
                        "must be a JVM heap size such as 768m, was " + brokerHeap);
            }
            require(stateStoreHeap != null && stateStoreHeap.matches("[0-9]+[kmgKMG]"), "stateStoreHeap",
                    "must be a JVM heap size such as 256m, was " + stateStoreHeap);
            require(stateStoreKind != null, "stateStoreKind", "must be ROCKSDB or MEMORY");
            require(topic != null && topic.matches("[a-zA-Z0-9._-]{1,249}"), "topic",
                    "must be 1-249 characters of [a-zA-Z0-9._-], was " + topic);
            require(partitions >= 1 && partitions <= 10_000, "partitions", "must be 1..10000, was " + partitions);
            require(replicationFactor >= 1, "replicationFactor", "must be >= 1, was " + replicationFactor);
            require(treeId != null && !treeId.isEmpty() && treeId.indexOf('/') < 0, "treeId",
                    "must be non-empty and contain no '/', was " + treeId);
            require(lingerMs >= 0 && lingerMs <= 1000, "lingerMs", "must be 0..1000, was " + lingerMs);
            require(batchSizeBytes >= 1024, "batchSizeBytes", "must be >= 1024, was " + batchSizeBytes);
            require(producerBufferBytes >= 1024L * 1024, "producerBufferBytes", "must be >= 1 MiB, was " + producerBufferBytes);
            require(compression != null && compression.matches("none|gzip|snappy|lz4|zstd"), "compression",
                    "must be one of none, gzip, snappy, lz4, zstd, was " + compression);
            require(journalCapacity >= 1, "journalCapacity", "must be >= 1, was " + journalCapacity);
            require(pollLimit >= 1, "pollLimit", "must be >= 1, was " + pollLimit);
            require(nice >= 0 && nice <= 19, "nice", "must be 0..19 (nice steps below the fast path), was " + nice);
            requirePositive(kafkaLostAfter, "kafkaLostAfter");
            requirePositive(startTimeout, "startTimeout");
            requirePositive(recoveryTimeout, "recoveryTimeout");
            requirePositive(closeTimeout, "closeTimeout");
            return new DurabilityConfig(this);
        }

        private static void requirePositive(Duration d, String setting) {
            require(d != null && !d.isNegative() && !d.isZero(), setting, "must be a positive duration, was " + d);
        }

        private static void require(boolean ok, String setting, String why) {
            if (!ok) {
                throw new IllegalArgumentException("durability setting " + setting + " " + why);
            }
        }
    }
}
