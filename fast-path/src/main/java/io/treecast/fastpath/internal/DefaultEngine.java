package io.treecast.fastpath.internal;

import io.treecast.fastpath.AckListener;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineConfig;
import io.treecast.fastpath.EngineStats;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.EventKind;
import io.treecast.fastpath.EventView;
import io.treecast.fastpath.Journal;
import io.treecast.fastpath.JournalFeed;
import io.treecast.fastpath.Leaf;
import io.treecast.fastpath.OfferResult;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.Policy;
import io.treecast.fastpath.SubscribeOptions;
import io.treecast.fastpath.Subscription;
import io.treecast.fastpath.TreeSnapshot;
import io.treecast.fastpath.ChildListing;
import io.treecast.fastpath.TreePath;
import io.treecast.fastpath.TreecastException;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The threaded engine: one writer thread around an {@link EngineCore}, N {@link Dispatcher} threads, a bounded
 * MPSC inbound queue, a control queue for (un)registrations, and the journal feed. See fast-path/README.md.
 */
public final class DefaultEngine implements Engine, Sub.Owner {
    private static final System.Logger LOG = System.getLogger(DefaultEngine.class.getName());

    private final EngineConfig config;
    private final EngineCore core;
    private final MpscQueue<Object> inbound;
    private final ConcurrentLinkedQueue<Object> control = new ConcurrentLinkedQueue<>();
    private final Dispatcher[] dispatchers;
    /** Builds snapshots off the dispatchers (their walk, merge and sort). */
    private final SnapshotWorker snapshotWorker = new SnapshotWorker();
    private final Thread writer;
    /** The dispatcher the writer runs itself when {@code dispatcherThreads = 0}, else null. */
    private final Dispatcher inlineDispatcher;
    /** The writer is parked (or about to park): producers unpark it. */
    private volatile boolean writerParked;
    /** Consecutive writer cycles without work; writer thread only. */
    private int idleCycles;
    private final IdleStrategy idle;
    private final Journal journal;
    private final Feed feed;
    private final ConcurrentHashMap<Long, Sub> live = new ConcurrentHashMap<>();
    private final AtomicInteger publicSubs = new AtomicInteger();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong durable = new AtomicLong();
    private volatile long currentSeq;
    private volatile boolean closed;
    private volatile boolean stopWriter;
    private int nextDispatcher;

    final LongAdder eventsDelivered = new LongAdder();
    final LongAdder resumesFromRing = new LongAdder();
    final LongAdder resets = new LongAdder();
    /** Too-old resumes caught up from the snapshot store (a subset of {@link #resets}). */
    final LongAdder resumesFromStore = new LongAdder();
    private final LongAdder loopErrors = new LongAdder();
    /** Nanoseconds the writer spent in cycles that did work (writer-owned, read racily for the busy ratio). */
    private long writerBusyNanos;
    private final AtomicLong rejected = new AtomicLong();
    /** Batches refused by the tree budget (a subset of {@link #rejected}). */
    final LongAdder budgetRefusals = new LongAdder();
    private volatile boolean loggedError;

    // writer-owned ack bookkeeping
    private long[] appliedSeq = new long[64];
    private AckListener[] appliedListener = new AckListener[64];
    private int appliedCount;
    private long[] durableSeq = new long[64];
    private AckListener[] durableListener = new AckListener[64];
    private int durableHead;
    private int durableTail;
    private final Consumer<Object> onInbound = this::onInbound;

    /** An acked offer: the only allocation on the ingress path, and only when an ack is wanted. */
    private static final class Offer {
        final Batch batch;
        final AckMode mode;
        final AckListener listener;

        Offer(Batch batch, AckMode mode, AckListener listener) {
            this.batch = batch;
            this.mode = mode;
            this.listener = listener;
        }
    }

    private static final class Cancel {
        final Sub sub;

        Cancel(Sub sub) {
            this.sub = sub;
        }
    }

    private DefaultEngine(EngineConfig config) {
        this.config = config;
        this.journal = config.journal();
        long start = 0;
        EngineCore c = new EngineCore(config.replayRingCapacity(), config.replayRingBytes(), config.maxLeaves(),
                config.maxTreeBytes(), new SlotBudget(config.outboxBudgetSlots()), 0);
        if (journal != null) {
            Tree tree = c.tree();
            long[] maxLeaf = {0};
            Tree.SegmentCache segments = new Tree.SegmentCache();
            long hwm = journal.recover(new io.treecast.fastpath.RecordVisitor() {
                @Override
                public void leaf(io.treecast.fastpath.TreePath path, byte[] value, long seq) {
                    tree.load(path, value, seq);
                    maxLeaf[0] = Math.max(maxLeaf[0], seq);
                }

                @Override
                public boolean record(byte[] utf8Path, byte[] value, long seq) {
                    maxLeaf[0] = Math.max(maxLeaf[0], seq);
                    return tree.loadRecord(utf8Path, value, seq, segments);
                }
            });
            start = Math.max(hwm, maxLeaf[0]);
            c.recovered(start);
        }
        this.core = c;
        this.currentSeq = start;
        this.durable.set(start);
        this.inbound = new MpscQueue<>(config.inboundQueueCapacity());
        this.idle = idleStrategy(config);
        this.feed = journal == null ? null : new Feed(config.journalCapacity());
        boolean inline = config.dispatcherThreads() == 0;
        this.dispatchers = new Dispatcher[inline ? 1 : config.dispatcherThreads()];
        core.ensureDispatchers(dispatchers.length);
        for (int i = 0; i < dispatchers.length; i++) {
            dispatchers[i] = new Dispatcher(this, core, snapshotWorker, config.snapshotChunkLeaves(), inline);
            if (!inline) {
                Thread t = new Thread(dispatchers[i], "treecast-dispatcher-" + i);
                t.setDaemon(false);
                dispatchers[i].thread = t;
            }
        }
        this.inlineDispatcher = inline ? dispatchers[0] : null;
        this.writer = new Thread(this::writerLoop, "treecast-writer");
        writer.setDaemon(false);
    }

    public static Engine start(EngineConfig config) {
        DefaultEngine e = new DefaultEngine(config);
        e.snapshotWorker.thread.start();
        for (Dispatcher d : e.dispatchers) {
            if (!d.inline) {
                d.thread.start();
            }
        }
        e.writer.start();
        if (e.journal != null) {
            e.journal.start(e.feed);
        }
        return e;
    }

    /** The Agrona strategy for BUSY_SPIN and YIELD; null for BACKOFF, which {@link #idleWriter} implements. */
    private static IdleStrategy idleStrategy(EngineConfig config) {
        switch (config.idleStrategy()) {
            case BUSY_SPIN:
                return new BusySpinIdleStrategy();
            case YIELD:
                return new YieldingIdleStrategy();
            default:
                return null;
        }
    }

    // ------------------------------------------------------------------ ingress

    @Override
    public OfferResult offer(Batch batch) {
        if (batch == null) {
            throw new NullPointerException("batch is required");
        }
        if (closed) {
            return OfferResult.CLOSED;
        }
        if (!inbound.offer(batch)) {
            return OfferResult.BACK_PRESSURED;
        }
        wakeWriter();
        return OfferResult.ACCEPTED;
    }

    @Override
    public OfferResult offer(Batch batch, AckMode mode, AckListener listener) {
        if (batch == null || mode == null || listener == null) {
            throw new NullPointerException("batch, mode and listener are required");
        }
        if (closed) {
            return OfferResult.CLOSED;
        }
        if (!inbound.offer(new Offer(batch, mode, listener))) {
            return OfferResult.BACK_PRESSURED;
        }
        wakeWriter();
        return OfferResult.ACCEPTED;
    }

    /** One volatile read per offer; an unpark only when the writer is parked. */
    void wakeWriter() {
        if (writerParked) {
            LockSupport.unpark(writer);
        }
    }

    // ------------------------------------------------------------------ subscriptions

    @Override
    public Subscription subscribe(SubscribeOptions options, EventHandler handler) {
        if (options == null || handler == null) {
            throw new NullPointerException("options and handler are required");
        }
        if (closed) {
            throw new TreecastException(ErrorCode.SHUTTING_DOWN, "the engine is shutting down: subscribe to another instance or retry after restart");
        }
        int cap = options.outboxCapacity() == 0 ? config.defaultOutboxCapacity() : options.outboxCapacity();
        if (cap > config.maxOutboxCapacity()) {
            throw new TreecastException(ErrorCode.INVALID_REQUEST, "outbox capacity " + cap + " is above this engine's maximum of "
                    + config.maxOutboxCapacity() + ": ask for at most " + config.maxOutboxCapacity() + " (or 0 for the default " + config.defaultOutboxCapacity() + ")");
        }
        if (cap < 1) {
            throw new TreecastException(ErrorCode.INVALID_REQUEST, "outbox capacity must be at least 1 (or 0 for the default)");
        }
        if (publicSubs.incrementAndGet() > config.maxSubscriptions()) {
            publicSubs.decrementAndGet();
            throw new TreecastException(ErrorCode.TOO_MANY_SUBSCRIPTIONS, "this engine already serves its maximum of " + config.maxSubscriptions()
                    + " subscriptions: cancel unused ones, combine patterns with {a,b} or '*', or raise maxSubscriptions");
        }
        if (!reserveOutbox(cap)) {
            publicSubs.decrementAndGet();
            throw new TreecastException(ErrorCode.RESOURCE_EXHAUSTED, outboxBudgetMessage());
        }
        return register(options.pattern(), handler, options.policy(), options.snapshot(), options.resumeAfter(), cap, false,
                options.eventsPerDelivery());
    }

    /** Reserves a new subscription's first ring; the writer releases it when it forgets the subscription. */
    private boolean reserveOutbox(int cap) {
        return core.slots().tryReserve(Sub.initialLength(cap));
    }

    private String outboxBudgetMessage() {
        return "the outboxes of all subscriptions already use " + core.slots().used() + " of the server's budget of "
                + core.slots().budget() + " slots (engine.outbox-budget-slots), so this subscription cannot get one: "
                + "nothing was subscribed; retry later, cancel subscriptions that do not read, or raise engine.outbox-budget-slots";
    }

    private Sub register(PathPattern pattern, EventHandler handler, Policy policy, boolean snapshot, long resumeAfter, int cap,
                         boolean internal, int eventsPerDelivery) {
        Sub sub = new Sub(ids.incrementAndGet(), pattern, handler, policy, snapshot, resumeAfter, cap,
                config.outboxMaxBytes(), config.conflateHighMarkPercent(), internal, this);
        sub.eventsPerDelivery = eventsPerDelivery;
        int d;
        synchronized (this) {
            d = nextDispatcher;
            nextDispatcher = (nextDispatcher + 1) % dispatchers.length;
        }
        sub.dispatcherIndex = d;
        live.put(sub.id, sub);
        control.add(sub);
        wakeWriter();
        dispatchers[d].add(sub);
        return sub;
    }

    @Override
    public void cancel(Sub sub) {
        control.add(new Cancel(sub));
        wakeWriter();
        dispatchers[sub.dispatcherIndex].wake();
    }

    @Override
    public void wake(Sub sub) {
        dispatchers[sub.dispatcherIndex].wake();
    }

    /** Called by a dispatcher once a subscription is finished (cancelled or ended). */
    void subscriptionDone(Sub sub) {
        if (live.remove(sub.id) != null && !sub.internal) {
            publicSubs.decrementAndGet();
        }
        if (!sub.cancelled) {
            // ended by the engine (or by a failed delivery): make sure the writer forgets it and releases its outbox
            // (STRICT ends are already out of the index); a cancelled one was sent to the writer by cancel()
            control.add(new Cancel(sub));
            wakeWriter();
        }
    }

    @Override
    public CompletableFuture<TreeSnapshot> get(PathPattern pattern) {
        if (pattern == null) {
            throw new NullPointerException("pattern is required");
        }
        CompletableFuture<TreeSnapshot> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new TreecastException(ErrorCode.SHUTTING_DOWN, "the engine is shutting down: retry on another instance"));
            return result;
        }
        Sub[] self = new Sub[1];
        EventHandler collector = new EventHandler() {
            private final List<Leaf> leaves = new ArrayList<>();

            @Override
            public void onEvent(EventView e) {
                if (e.kind() == EventKind.SNAPSHOT) {
                    for (int i = 0; i < e.size(); i++) {
                        leaves.add(new Leaf(e.path(i), e.value(i), e.changeSeq(i)));
                    }
                } else if (e.kind() == EventKind.SNAPSHOT_END) {
                    self[0].cancel();
                    result.complete(new TreeSnapshot(e.seq(), List.copyOf(leaves)));
                }
            }

            @Override
            public void onEnd(ErrorCode code, String message, long lastSeq) {
                result.completeExceptionally(new TreecastException(code, message));
            }
        };
        int cap = Math.min(config.maxOutboxCapacity(), Math.max(config.defaultOutboxCapacity(), 16_384));
        if (!reserveOutbox(cap)) {
            result.completeExceptionally(new TreecastException(ErrorCode.RESOURCE_EXHAUSTED, outboxBudgetMessage()));
            return result;
        }
        Sub sub = register(pattern, collector, Policy.CONFLATE, true, SubscribeOptions.NO_RESUME, cap, true, 1);
        self[0] = sub;
        sub.request(Long.MAX_VALUE);
        return result;
    }

    // ------------------------------------------------------------------ writer

    private void writerLoop() {
        while (true) {
            int work = 0;
            long cycleStart = System.nanoTime();
            try {
                work += drainControl();
                work += inbound.drain(onInbound, 256);
                if (work > 0) {
                    currentSeq = core.seq();
                    completeApplied();
                }
                work += completeDurable();
                work += core.flushConflated();
                wakeTouched();
                if (inlineDispatcher != null) {
                    // fewer threads than hand-offs on small machines: the writer delivers what it just applied
                    work += inlineDispatcher.pass();
                }
                if (work > 0) {
                    writerBusyNanos += System.nanoTime() - cycleStart;
                }
            } catch (Throwable t) {
                if (t instanceof IllegalStateException && String.valueOf(t.getMessage()).contains("invariant")) {
                    LOG.log(System.Logger.Level.ERROR, "treecast engine '" + config.treeId() + "' stops: its state may be corrupt", t);
                    closed = true;
                    throw t;
                }
                loopError("the writer loop", t);
                currentSeq = core.seq();
            }
            if (stopWriter && inbound.isEmpty() && control.isEmpty()) {
                currentSeq = core.seq();
                return;
            }
            idleWriter(work);
        }
    }

    /**
     * BACKOFF: spin, then yield, then park until a producer offers (it unparks a parked writer) or 1 ms passes
     * (the journal's durable watermark and conflation are polled, not signalled). The writer announces that it parks
     * and then looks at the queue once more; producers enqueue and then look at the announcement. Both are volatile,
     * so one of the two always sees the other and no offer waits for the timeout.
     */
    private void idleWriter(int work) {
        if (idle != null) {
            idle.idle(work);
            return;
        }
        if (work > 0) {
            idleCycles = 0;
            return;
        }
        idleCycles++;
        if (idleCycles <= 100) {
            Thread.onSpinWait();
        } else if (idleCycles <= 110) {
            Thread.yield();
        } else {
            writerParked = true;
            if (inbound.size() == 0 && control.isEmpty() && !stopWriter
                    && (inlineDispatcher == null || !inlineDispatcher.signaled())) {
                LockSupport.parkNanos(this, 1_000_000L);
            }
            writerParked = false;
        }
    }

    private int drainControl() {
        int n = 0;
        Object o;
        while ((o = control.poll()) != null) {
            n++;
            if (o instanceof Sub) {
                Sub sub = (Sub) o;
                if (!sub.cancelled) {
                    core.register(sub);
                    dispatchers[sub.dispatcherIndex].wake();
                }
            } else {
                core.unregister(((Cancel) o).sub);
            }
        }
        return n;
    }

    private void onInbound(Object o) {
        Batch batch;
        AckListener listener = null;
        AckMode mode = AckMode.APPLIED;
        if (o instanceof Batch) {
            batch = (Batch) o;
        } else {
            Offer offer = (Offer) o;
            batch = offer.batch;
            listener = offer.listener;
            mode = offer.mode;
        }
        long upstreamSeq = batch.seq();
        if (config.follower() != (upstreamSeq != 0) || (upstreamSeq != 0 && upstreamSeq <= core.seq())) {
            rejected.incrementAndGet();
            if (listener != null) {
                listener.onError(upstreamSeq == 0 ? ErrorCode.UNAVAILABLE : ErrorCode.INVALID_REQUEST, upstreamSeq == 0
                        ? "this engine follows an upstream (an edge node): send writes to the core, whose seq it keeps"
                        : config.follower() ? "upstream seq " + upstreamSeq + " is not above this follower's seq " + core.seq()
                                + ": batches must arrive in the upstream's order, each once"
                        : "batch carries upstream seq " + upstreamSeq + " but this engine is not a follower: offer it without atSeq");
            }
            return;
        }
        if (mode == AckMode.DURABLE && journal == null) {
            rejected.incrementAndGet();
            listener.onError(ErrorCode.UNAVAILABLE, "durability is off: this server runs in memory; use ack APPLIED");
            return;
        }
        if (journal != null) {
            long backlog = core.seq() - durable.get();
            if (backlog >= config.journalCapacity()) {
                rejected.incrementAndGet();
                if (listener != null) {
                    listener.onError(ErrorCode.UNAVAILABLE, "journal backlog full: " + backlog
                            + " batches not yet durable (is Kafka reachable?); retry later");
                }
                return;
            }
            long heldBytes = feed.bytesNotDurable(durable.get());
            if (heldBytes >= config.journalBytes()) {
                rejected.incrementAndGet();
                if (listener != null) {
                    listener.onError(ErrorCode.UNAVAILABLE, "journal backlog full: " + heldBytes + " bytes of " + backlog
                            + " batches not yet durable, the budget of engine.journal-bytes (" + config.journalBytes()
                            + "); is Kafka reachable? nothing was applied: retry later");
                }
                return;
            }
        }
        // a follower applies what the upstream applied (the upstream enforced its budgets): refusing would fork it
        String over = upstreamSeq != 0 ? null : core.overBudget(batch);
        if (over != null) {
            rejected.incrementAndGet();
            budgetRefusals.increment();
            if (listener != null) {
                listener.onError(ErrorCode.RESOURCE_EXHAUSTED, over);
            }
            return;
        }
        Object applied = core.apply(batch);
        long seq = core.seq();
        if (feed != null) {
            feed.append(seq, applied, System.currentTimeMillis() * 1000L, core.appliedBytes());
        }
        if (listener != null) {
            if (mode == AckMode.APPLIED) {
                if (appliedCount == appliedSeq.length) {
                    appliedSeq = java.util.Arrays.copyOf(appliedSeq, appliedCount * 2);
                    appliedListener = java.util.Arrays.copyOf(appliedListener, appliedCount * 2);
                }
                appliedSeq[appliedCount] = seq;
                appliedListener[appliedCount++] = listener;
            } else {
                int size = durableTail - durableHead;
                if (durableTail == durableSeq.length) {
                    // compact, then grow when more than half is in use
                    System.arraycopy(durableSeq, durableHead, durableSeq, 0, size);
                    System.arraycopy(durableListener, durableHead, durableListener, 0, size);
                    java.util.Arrays.fill(durableListener, size, durableTail, null);
                    durableHead = 0;
                    durableTail = size;
                    if (size * 2 > durableSeq.length) {
                        durableSeq = java.util.Arrays.copyOf(durableSeq, durableSeq.length * 2);
                        durableListener = java.util.Arrays.copyOf(durableListener, durableListener.length * 2);
                    }
                }
                durableSeq[durableTail] = seq;
                durableListener[durableTail++] = listener;
            }
        }
    }

    private void completeApplied() {
        for (int i = 0; i < appliedCount; i++) {
            AckListener l = appliedListener[i];
            appliedListener[i] = null;
            try {
                l.onAck(appliedSeq[i]);
            } catch (Throwable t) {
                loopError("an APPLIED ack listener", t);
            }
        }
        appliedCount = 0;
    }

    private int completeDurable() {
        int n = 0;
        long d = durable.get();
        while (durableHead < durableTail && durableSeq[durableHead] <= d) {
            AckListener l = durableListener[durableHead];
            durableListener[durableHead] = null;
            try {
                l.onAck(durableSeq[durableHead]);
            } catch (Throwable t) {
                loopError("a DURABLE ack listener", t);
            }
            durableHead++;
            n++;
        }
        if (durableHead == durableTail) {
            durableHead = 0;
            durableTail = 0;
        }
        return n;
    }

    private void wakeTouched() {
        boolean[] touched = core.touched();
        for (int i = 0; i < touched.length; i++) {
            if (touched[i]) {
                touched[i] = false;
                dispatchers[i].wake();
            }
        }
    }

    void loopError(String where, Throwable t) {
        loopErrors.increment();
        if (!loggedError) {
            loggedError = true;
            LOG.log(System.Logger.Level.ERROR, "treecast engine '" + config.treeId() + "': error in " + where
                    + " (counted in loopErrors; further errors are counted, not logged)", t);
        }
    }

    // ------------------------------------------------------------------ state

    /** Where too-old resumes are caught up from; null when none is configured. */
    io.treecast.fastpath.SnapshotStore snapshotStore() {
        return config.snapshotStore();
    }

    @Override
    public ChildListing children(TreePath pathOrNull, String after, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        long seq = currentSeq;
        Tree.Node node = pathOrNull == null ? core.tree().root() : core.tree().find(pathOrNull);
        Tree.Node[] table = node == null ? null : node.childTable();
        if (table == null) {
            return new ChildListing(seq, List.of(), false);
        }
        // the tree may be read from any thread (Tree's javadoc); a max-heap keeps the first `limit` names + 1
        PriorityQueue<ChildListing.Child> first = new PriorityQueue<>(Math.min(limit + 1, 1024),
                (a, b) -> b.name().compareTo(a.name()));
        String from = after == null ? "" : after;
        for (int i = 0; i < table.length; i++) {
            Tree.Node c = Tree.slot(table, i);
            if (c == null || c == Tree.TOMBSTONE || c.segment().compareTo(from) <= 0) {
                continue;
            }
            c.seqAcquire();
            first.add(new ChildListing.Child(c.segment(), c.value() != null));
            if (first.size() > limit + 1) {
                first.poll();
            }
        }
        boolean more = first.size() > limit;
        if (more) {
            first.poll();
        }
        ChildListing.Child[] sorted = first.toArray(new ChildListing.Child[0]);
        java.util.Arrays.sort(sorted, (a, b) -> a.name().compareTo(b.name()));
        return new ChildListing(seq, List.of(sorted), more);
    }

    @Override
    public long currentSeq() {
        return currentSeq;
    }

    @Override
    public long durableSeq() {
        return journal == null ? 0 : durable.get();
    }

    @Override
    public boolean degraded() {
        if (journal == null) {
            return false;
        }
        return !journal.healthy() || currentSeq - durable.get() > config.journalCapacity() / 2;
    }

    @Override
    public EngineStats stats() {
        long strict = 0;
        long outboxMax = 0;
        long outboxTotal = 0;
        long outboxesOverHalf = 0;
        long[] byFill = new long[4];
        // O(subscriptions) on the caller's thread (a metrics scrape), reading each outbox's positions racily
        for (Sub s : live.values()) {
            if (s.internal) {
                continue;
            }
            if (s.policy == Policy.STRICT) {
                strict++;
            }
            long depth = Math.max(0, s.outboxSize());
            outboxMax = Math.max(outboxMax, depth);
            outboxTotal += depth;
            if (depth * 2 > s.capacity) {
                outboxesOverHalf++;
            }
            byFill[(int) Math.min(3, Math.max(0, (depth * 4 - 1) / Math.max(1, s.capacity)))]++;
        }
        long seq = currentSeq;
        return new EngineStats(seq, durableSeq(), core.tree().leafCount(), publicSubs.get(), inbound.size(),
                journal == null ? 0 : Math.max(0, seq - durable.get()), core.batchesApplied, core.changesApplied,
                rejected.get(), eventsDelivered.sum(), core.conflatedChanges, core.slowConsumerEnds,
                resumesFromRing.sum(), resets.sum(), loopErrors.sum(), resumesFromStore.sum(), writer.isAlive(),
                writerBusyNanos, core.tree().valueBytes(), strict, outboxMax, outboxTotal, outboxesOverHalf, byFill,
                core.tree().bytes(), core.ringBytesHeld(), core.slots().used(), budgetRefusals.sum(), core.budgetEnds);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed && stopWriter) {
                return;
            }
            closed = true;
            stopWriter = true;
        }
        join(writer);
        for (Sub s : live.values()) {
            if (s.endCode == null) {
                s.endCode = ErrorCode.SHUTTING_DOWN;
            }
        }
        for (Dispatcher d : dispatchers) {
            d.stopping = true;
            d.wake();
        }
        for (Dispatcher d : dispatchers) {
            if (d.inline) {
                d.run(); // the writer has stopped: this thread finishes its deliveries and ends the subscriptions
            } else {
                join(d.thread);
            }
        }
        snapshotWorker.stop();
        join(snapshotWorker.thread);
        if (journal != null) {
            try {
                journal.close();
            } catch (Throwable t) {
                loopError("closing the journal", t);
            }
        }
    }

    private static void join(Thread t) {
        if (t == Thread.currentThread()) {
            return;
        }
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ journal feed

    /** SPSC ring writer -> journal thread of (seq, applied changes, appliedAtMicros). */
    private final class Feed implements JournalFeed {
        private final long[] seqs;
        private final Object[] refs;
        private final long[] micros;
        /**
         * Writer only: the bytes of every batch appended so far, and that running total as of each slot's seq, so
         * the bytes not yet durable are one subtraction (engine.journal-bytes) however far the watermark moved.
         */
        private final long[] cumulativeBytes;
        private long totalBytes;
        private long firstSeq = -1;
        private final int mask;
        private final AtomicLong head = new AtomicLong();
        private final AtomicLong tail = new AtomicLong();
        private final EventBuffer view = new EventBuffer();

        Feed(int capacity) {
            int len = Integer.highestOneBit(Math.max(1, capacity - 1)) << 1;
            seqs = new long[len];
            refs = new Object[len];
            micros = new long[len];
            cumulativeBytes = new long[len];
            mask = len - 1;
        }

        /**
         * Bytes of the batches after {@code durableSeq} (writer thread). Valid while fewer than the ring's length are
         * not durable, which the batch-count check before it guarantees.
         */
        long bytesNotDurable(long durableSeq) {
            if (firstSeq < 0 || durableSeq < firstSeq) {
                return totalBytes;
            }
            return totalBytes - cumulativeBytes[(int) (durableSeq & mask)];
        }

        void append(long seq, Object ref, long at, long bytes) {
            if (firstSeq < 0) {
                firstSeq = seq;
            }
            totalBytes += bytes;
            cumulativeBytes[(int) (seq & mask)] = totalBytes;
            long t = tail.get();
            if (t - head.get() > mask) {
                // cannot happen while backlog < capacity is checked first; refuse loudly rather than overwrite
                throw new IllegalStateException("journal feed invariant broken: ring full at seq " + seq);
            }
            int i = (int) (t & mask);
            seqs[i] = seq;
            refs[i] = ref;
            micros[i] = at;
            tail.lazySet(t + 1);
        }

        @Override
        public int poll(JournalFeed.Consumer consumer, int limit) {
            long h = head.get();
            long t = tail.get();
            int n = 0;
            while (h < t && n < limit) {
                int i = (int) (h & mask);
                view.fill(seqs[i], refs[i], null, seqs[i] - 1);
                refs[i] = null;
                consumer.onBatch(view, micros[i]);
                h++;
                n++;
                head.lazySet(h);
            }
            return n;
        }

        @Override
        public void markDurable(long seq) {
            durable.accumulateAndGet(seq, Math::max);
        }
    }
}
