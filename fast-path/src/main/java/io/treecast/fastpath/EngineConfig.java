package io.treecast.fastpath;

/**
 * Settings of an {@link Engine}, validated once by {@link Builder#build()}: a bad value throws
 * {@link IllegalArgumentException} naming the setting.
 *
 * <pre>{@code
 * EngineConfig config = EngineConfig.builder()
 *         .inboundQueueCapacity(65_536)
 *         .replayRingCapacity(262_144)
 *         .idleStrategy(IdleStrategyKind.BACKOFF)
 *         .journal(kafkaJournal)          // omit to run in memory
 *         .build();
 * }</pre>
 */
public final class EngineConfig {
    private final String treeId;
    private final int inboundQueueCapacity;
    private final int replayRingCapacity;
    private final long replayRingBytes;
    private final long maxLeaves;
    private final long maxTreeBytes;
    private final long outboxBudgetSlots;
    private final long outboxMaxBytes;
    private final long outboxBudgetBytes;
    private final long matchCacheBytes;
    /** Default of {@link #matchCacheBytes()} ({@code engine.match-cache-bytes}): 64 MiB. */
    public static final long DEFAULT_MATCH_CACHE_BYTES = 64L << 20;
    private final int defaultOutboxCapacity;
    private final int maxOutboxCapacity;
    private final int conflateHighMarkPercent;
    private final int dispatcherThreads;
    private final java.util.List<java.util.concurrent.ScheduledExecutorService> dispatchExecutors;
    private final int maxSubscriptions;
    private final int snapshotChunkLeaves;
    private final int journalCapacity;
    private final long journalBytes;
    private final IdleStrategyKind idleStrategy;
    private final Journal journal;
    private final SnapshotStore snapshotStore;
    private final boolean follower;

    private EngineConfig(Builder b) {
        this.treeId = b.treeId;
        this.inboundQueueCapacity = b.inboundQueueCapacity;
        this.replayRingCapacity = b.replayRingCapacity;
        this.replayRingBytes = b.replayRingBytes;
        this.maxLeaves = b.maxLeaves;
        this.maxTreeBytes = b.maxTreeBytes;
        this.outboxBudgetSlots = b.outboxBudgetSlots;
        this.outboxMaxBytes = b.outboxMaxBytes;
        this.outboxBudgetBytes = b.outboxBudgetBytes;
        this.matchCacheBytes = b.matchCacheBytes;
        this.defaultOutboxCapacity = b.defaultOutboxCapacity;
        this.maxOutboxCapacity = b.maxOutboxCapacity;
        this.conflateHighMarkPercent = b.conflateHighMarkPercent;
        this.dispatcherThreads = b.dispatcherThreads;
        this.dispatchExecutors = b.dispatchExecutors;
        this.maxSubscriptions = b.maxSubscriptions;
        this.snapshotChunkLeaves = b.snapshotChunkLeaves;
        this.journalCapacity = b.journalCapacity;
        this.journalBytes = b.journalBytes;
        this.idleStrategy = b.idleStrategy;
        this.journal = b.journal;
        this.snapshotStore = b.snapshotStore;
        this.follower = b.follower;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Identity of this tree (instance or shard); carried in the journal. */
    public String treeId() { return treeId; }
    /** Batches the inbound queue holds before offers are back-pressured (power of two). */
    public int inboundQueueCapacity() { return inboundQueueCapacity; }
    /** Batches kept for resume (power of two). */
    public int replayRingCapacity() { return replayRingCapacity; }
    /**
     * The most bytes ({@link Batch#bytes()}: paths, values, 32 B per change) the replay ring keeps; past it the
     * oldest batches leave the ring (a resume from them is caught up from the snapshot store, or gets RESET).
     */
    public long replayRingBytes() { return replayRingBytes; }
    /** The most leaves the tree may hold: a batch that would add more is refused with RESOURCE_EXHAUSTED. */
    public long maxLeaves() { return maxLeaves; }
    /**
     * The most bytes the tree may hold (values + paths + 96 B per node, see {@code Tree.bytes()}): a batch that
     * would add more is refused with RESOURCE_EXHAUSTED.
     */
    public long maxTreeBytes() { return maxTreeBytes; }
    /**
     * Outbox slots (~20 B each) all subscriptions together may hold: rings start at 16 slots and double as they
     * fill, and a conflating subscription's pending leaves count 4 slots each. A subscribe that cannot get its first
     * ring is refused with RESOURCE_EXHAUSTED; a ring that cannot grow acts as full (STRICT ends with
     * SLOW_CONSUMER, CONFLATE conflates); a pending map that cannot grow ends its subscription with SLOW_CONSUMER.
     */
    public long outboxBudgetSlots() { return outboxBudgetSlots; }
    /**
     * Bytes of batches ({@link Batch#bytes()}) one outbox may hold: they stay in memory after they leave the replay
     * ring. Past it the outbox counts as full (STRICT ends with SLOW_CONSUMER, CONFLATE conflates); an empty outbox
     * always takes one batch.
     */
    public long outboxMaxBytes() { return outboxMaxBytes; }
    /**
     * Bytes of batches ({@link Batch#bytes()}) all outboxes together may hold ({@code engine.outbox-budget-bytes},
     * default 256 MiB). Subscriptions share batches, but ones on different parts of the tree that all stop reading
     * each pin their own: past this budget a subscription holding more than its share (the budget divided by the
     * number of subscriptions) counts as full at its next event (STRICT ends with SLOW_CONSUMER naming the key,
     * CONFLATE conflates). Checked every 1/16 of the budget enqueued, so it may be passed by up to that much.
     */
    public long outboxBudgetBytes() { return outboxBudgetBytes; }
    /**
     * Bytes the leaves' remembered match lists may hold ({@code engine.match-cache-bytes}, default 64 MiB; 16 bytes
     * plus 4 per matching subscription per leaf): an update of a leaf whose list is remembered skips the subscription
     * index. Past the budget a leaf is matched by the index each time; 0 turns the lists off.
     */
    public long matchCacheBytes() { return matchCacheBytes; }
    /**
     * Outbox capacity in events of a CONFLATE subscription that asks for none (default 16,384): it conflates past
     * {@link #conflateHighMarkPercent()} of this, so it also bounds how old the events a slow reader sees get. A STRICT
     * subscription that asks for none gets {@link #maxOutboxCapacity()}: it is bounded by bytes
     * ({@link #outboxMaxBytes()}, {@link #outboxBudgetBytes()}), so that it rides out a stall of its reader
     * (at 50,000 events/s of ~70-byte changes, 64 MiB is ~19 s) instead of ending after a fixed count.
     */
    public int defaultOutboxCapacity() { return defaultOutboxCapacity; }
    /** The largest outbox a subscriber may ask for. */
    public int maxOutboxCapacity() { return maxOutboxCapacity; }
    /** CONFLATE subscriptions start conflating when their outbox is this full. */
    public int conflateHighMarkPercent() { return conflateHighMarkPercent; }
    /**
     * Threads that deliver events (default 1). 0: the writer thread delivers after each cycle - one thread and one
     * hand-off fewer per update, which suits machines with few cores; slow handlers then slow the writer.
     */
    public int dispatcherThreads() { return dispatcherThreads; }
    /**
     * Executors that deliver events instead of dispatcher threads, one dispatcher each (empty: threads, see
     * {@link #dispatcherThreads()}). A subscription goes to the executor it names with
     * {@link SubscribeOptions#withDispatchOn}, else round-robin. Each must run its tasks one at a time on one thread
     * (a Netty event loop does) and must outlive the engine: {@link Engine#close()} ends the subscriptions on them.
     */
    public java.util.List<java.util.concurrent.ScheduledExecutorService> dispatchExecutors() { return dispatchExecutors; }
    /** Live subscriptions across the engine. */
    public int maxSubscriptions() { return maxSubscriptions; }
    /** Leaves per SNAPSHOT event. */
    public int snapshotChunkLeaves() { return snapshotChunkLeaves; }
    /** Applied batches that may wait for the journal before writes are refused with UNAVAILABLE. */
    public int journalCapacity() { return journalCapacity; }
    /** Bytes of applied batches that may wait for the journal's durable watermark before writes get UNAVAILABLE. */
    public long journalBytes() { return journalBytes; }
    public IdleStrategyKind idleStrategy() { return idleStrategy; }
    /** The journal, or {@code null} to run in memory (DURABLE acks then fail with UNAVAILABLE). */
    public Journal journal() { return journal; }
    /** Where resumes older than the replay ring are caught up from, or {@code null}: they get RESET + a live-tree snapshot. */
    public SnapshotStore snapshotStore() { return snapshotStore; }
    /**
     * Whether this engine follows an upstream engine (an edge node): it applies only batches that carry the
     * upstream's seq ({@link Batch#atSeq}, {@link Batch#rebase}) and refuses local ones with UNAVAILABLE.
     */
    public boolean follower() { return follower; }

    /** Builds an {@link EngineConfig}; defaults suit a 2-core shared machine. */
    public static final class Builder {
        private String treeId = "default";
        private int inboundQueueCapacity = 65_536;
        private int replayRingCapacity = 262_144;
        private long replayRingBytes = 256L << 20;
        private long maxLeaves = 10_000_000L;
        private long maxTreeBytes = 1L << 30;
        private long outboxBudgetSlots = 8L << 20;
        private long outboxMaxBytes = 64L << 20;
        private long outboxBudgetBytes = 256L << 20;
        private long matchCacheBytes = DEFAULT_MATCH_CACHE_BYTES;
        private int defaultOutboxCapacity = 16_384;
        private int maxOutboxCapacity = 1 << 20;
        private int conflateHighMarkPercent = 75;
        private int dispatcherThreads = 1;
        private java.util.List<java.util.concurrent.ScheduledExecutorService> dispatchExecutors = java.util.List.of();
        private int maxSubscriptions = 100_000;
        private int snapshotChunkLeaves = 256;
        private int journalCapacity = 1 << 20;
        private long journalBytes = 512L << 20;
        private IdleStrategyKind idleStrategy = IdleStrategyKind.BACKOFF;
        private Journal journal;
        private SnapshotStore snapshotStore;
        private boolean follower;

        private Builder() {
        }

        public Builder treeId(String v) { this.treeId = v; return this; }
        public Builder inboundQueueCapacity(int v) { this.inboundQueueCapacity = v; return this; }
        public Builder replayRingCapacity(int v) { this.replayRingCapacity = v; return this; }
        public Builder replayRingBytes(long v) { this.replayRingBytes = v; return this; }
        public Builder maxLeaves(long v) { this.maxLeaves = v; return this; }
        public Builder maxTreeBytes(long v) { this.maxTreeBytes = v; return this; }
        public Builder outboxBudgetSlots(long v) { this.outboxBudgetSlots = v; return this; }
        public Builder outboxMaxBytes(long v) { this.outboxMaxBytes = v; return this; }
        /** {@code engine.outbox-budget-bytes}: see {@link EngineConfig#outboxBudgetBytes()}. */
        public Builder outboxBudgetBytes(long v) { this.outboxBudgetBytes = v; return this; }
        /** {@code engine.match-cache-bytes}: see {@link EngineConfig#matchCacheBytes()}. */
        public Builder matchCacheBytes(long v) { this.matchCacheBytes = v; return this; }
        public Builder defaultOutboxCapacity(int v) { this.defaultOutboxCapacity = v; return this; }
        public Builder maxOutboxCapacity(int v) { this.maxOutboxCapacity = v; return this; }
        public Builder conflateHighMarkPercent(int v) { this.conflateHighMarkPercent = v; return this; }
        public Builder dispatcherThreads(int v) { this.dispatcherThreads = v; return this; }
        /**
         * Deliver on these executors (e.g. a gateway's event loops) instead of dispatcher threads: see
         * {@link EngineConfig#dispatchExecutors()}.
         * <pre>{@code
         * List<ScheduledExecutorService> loops = new ArrayList<>();
         * eventLoopGroup.forEach(e -> loops.add((EventLoop) e));
         * EngineConfig.builder().treeId("t").dispatchExecutors(loops).build();
         * }</pre>
         */
        public Builder dispatchExecutors(java.util.List<? extends java.util.concurrent.ScheduledExecutorService> v) {
            this.dispatchExecutors = java.util.List.copyOf(v);
            return this;
        }
        public Builder maxSubscriptions(int v) { this.maxSubscriptions = v; return this; }
        public Builder snapshotChunkLeaves(int v) { this.snapshotChunkLeaves = v; return this; }
        public Builder journalCapacity(int v) { this.journalCapacity = v; return this; }
        /** {@code engine.journal-bytes}: the byte budget of the journal backlog (default 512 MiB). */
        public Builder journalBytes(long v) { this.journalBytes = v; return this; }
        public Builder idleStrategy(IdleStrategyKind v) { this.idleStrategy = v; return this; }
        public Builder journal(Journal v) { this.journal = v; return this; }
        public Builder snapshotStore(SnapshotStore v) { this.snapshotStore = v; return this; }
        /** Follower mode (an edge node): see {@link EngineConfig#follower()}. No journal then. */
        public Builder follower(boolean v) { this.follower = v; return this; }

        public EngineConfig build() {
            require(treeId != null && !treeId.isEmpty(), "treeId", "must not be empty");
            require(isPowerOfTwo(inboundQueueCapacity), "inboundQueueCapacity", "must be a power of two, was " + inboundQueueCapacity);
            require(isPowerOfTwo(replayRingCapacity), "replayRingCapacity", "must be a power of two, was " + replayRingCapacity);
            require(replayRingBytes >= 1, "replayRingBytes", "must be >= 1, was " + replayRingBytes);
            require(maxLeaves >= 1, "maxLeaves", "must be >= 1, was " + maxLeaves);
            require(maxTreeBytes >= 1, "maxTreeBytes", "must be >= 1, was " + maxTreeBytes);
            require(outboxBudgetSlots >= 16, "outboxBudgetSlots", "must be >= 16, was " + outboxBudgetSlots);
            require(outboxMaxBytes >= 1, "outboxMaxBytes", "must be >= 1, was " + outboxMaxBytes);
            require(outboxBudgetBytes >= 1, "outboxBudgetBytes", "must be >= 1, was " + outboxBudgetBytes);
            require(matchCacheBytes >= 0, "matchCacheBytes", "must be >= 0 (0: off), was " + matchCacheBytes);
            require(defaultOutboxCapacity >= 4, "defaultOutboxCapacity", "must be >= 4, was " + defaultOutboxCapacity);
            require(maxOutboxCapacity >= defaultOutboxCapacity, "maxOutboxCapacity", "must be >= defaultOutboxCapacity");
            require(conflateHighMarkPercent >= 10 && conflateHighMarkPercent <= 100, "conflateHighMarkPercent", "must be 10..100, was " + conflateHighMarkPercent);
            require(dispatcherThreads >= 0, "dispatcherThreads", "must be >= 0 (0: the writer thread delivers), was " + dispatcherThreads);
            require(maxSubscriptions >= 1, "maxSubscriptions", "must be >= 1, was " + maxSubscriptions);
            require(snapshotChunkLeaves >= 1, "snapshotChunkLeaves", "must be >= 1, was " + snapshotChunkLeaves);
            require(journalCapacity >= 1, "journalCapacity", "must be >= 1, was " + journalCapacity);
            require(journalBytes >= 1, "journalBytes", "must be >= 1, was " + journalBytes);
            require(idleStrategy != null, "idleStrategy", "must be set");
            require(!follower || journal == null, "follower", "cannot have a journal: the upstream keeps the durable copy");
            return new EngineConfig(this);
        }

        private static boolean isPowerOfTwo(int v) {
            return v > 0 && (v & (v - 1)) == 0;
        }

        private static void require(boolean ok, String setting, String why) {
            if (!ok) {
                throw new IllegalArgumentException("engine setting " + setting + " " + why);
            }
        }
    }
}
