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

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The threaded engine's façade: validates and routes what callers ask for to the threads that own the work — the
 * {@link Writer} (inbound batches, (un)registrations, acks) around the {@link EngineCore}, N {@link Dispatcher}
 * threads, the {@link SnapshotWorker} — and answers state and stats; {@link JournalRecovery} fills the tree on
 * start and {@link JournalFeedRing} feeds the journal. See fast-path/README.md.
 */
public final class DefaultEngine implements Engine, Sub.Owner {
    private static final System.Logger LOG = System.getLogger(DefaultEngine.class.getName());

    private final EngineConfig config;
    private final EngineCore core;
    private final Dispatcher[] dispatchers;
    /** Builds snapshots off the dispatchers (their walk, merge and sort). */
    private final SnapshotWorker snapshotWorker = new SnapshotWorker();
    /** The writer thread's loop: applies batches, (un)registers subscriptions, completes acks. */
    private final Writer writer;
    private final Journal journal;
    private final JournalFeedRing feed;
    private final ConcurrentHashMap<Long, Sub> live = new ConcurrentHashMap<>();
    private final AtomicInteger publicSubs = new AtomicInteger();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong durable = new AtomicLong();
    /** Set by close() and by a writer that stops on a broken invariant. */
    volatile boolean closed;
    private int nextDispatcher;

    /** Per thread: every dispatcher (or event loop delivering) adds to it per event; a LongAdder was contended there. */
    final io.treecast.fastpath.PerThreadCounter eventsDelivered = new io.treecast.fastpath.PerThreadCounter();
    final LongAdder resumesFromRing = new LongAdder();
    final LongAdder resets = new LongAdder();
    /** Too-old resumes caught up from the snapshot store (a subset of {@link #resets}). */
    final LongAdder resumesFromStore = new LongAdder();
    private final LongAdder loopErrors = new LongAdder();
    private volatile boolean loggedError;

    private DefaultEngine(EngineConfig config) {
        this.config = config;
        this.journal = config.journal();
        long start = 0;
        EngineCore c = new EngineCore(config.replayRingCapacity(), config.replayRingBytes(), config.maxLeaves(),
                config.maxTreeBytes(), new SlotBudget(config.outboxBudgetSlots()), 0);
        c.matchCacheBytes(config.matchCacheBytes());
        c.outboxBudgetBytes(config.outboxBudgetBytes());
        if (journal != null) {
            start = JournalRecovery.recover(journal, c);
        }
        this.core = c;
        this.durable.set(start);
        this.feed = journal == null ? null : new JournalFeedRing(config.journalCapacity(), durable);
        java.util.List<java.util.concurrent.ScheduledExecutorService> executors = config.dispatchExecutors();
        boolean inline = executors.isEmpty() && config.dispatcherThreads() == 0;
        this.dispatchers = new Dispatcher[!executors.isEmpty() ? executors.size() : inline ? 1 : config.dispatcherThreads()];
        core.ensureDispatchers(dispatchers.length);
        for (int i = 0; i < dispatchers.length; i++) {
            dispatchers[i] = new Dispatcher(this, core, snapshotWorker, config.snapshotChunkLeaves(), inline,
                    executors.isEmpty() ? null : executors.get(i));
            if (!inline && dispatchers[i].executor == null) {
                Thread t = new Thread(dispatchers[i], "treecast-dispatcher-" + i);
                t.setDaemon(false);
                dispatchers[i].thread = t;
            }
        }
        this.writer = new Writer(this, config, core, dispatchers, inline ? dispatchers[0] : null, feed, durable, start);
    }

    public static Engine start(EngineConfig config) {
        DefaultEngine e = new DefaultEngine(config);
        e.snapshotWorker.thread.start();
        for (Dispatcher d : e.dispatchers) {
            if (d.thread != null) {
                d.thread.start();
            }
        }
        e.writer.thread.start();
        if (e.journal != null) {
            e.journal.start(e.feed);
        }
        return e;
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
        if (!writer.offer(batch)) {
            return OfferResult.BACK_PRESSURED;
        }
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
        if (!writer.offer(new Writer.Offer(batch, mode, listener))) {
            return OfferResult.BACK_PRESSURED;
        }
        return OfferResult.ACCEPTED;
    }

    /** For an inline dispatcher (it runs on the writer): one volatile read; an unpark only when the writer is parked. */
    void wakeWriter() {
        writer.wake();
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
        int cap = options.outboxCapacity() != 0 ? options.outboxCapacity() : defaultOutboxCapacity(options.policy());
        if (cap > config.maxOutboxCapacity()) {
            throw new TreecastException(ErrorCode.INVALID_REQUEST, "outbox capacity " + cap + " is above this engine's maximum of "
                    + config.maxOutboxCapacity() + ": ask for at most " + config.maxOutboxCapacity() + " (or 0 for the default)");
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
                options.eventsPerDelivery(), options.dispatchOn());
    }

    /** The dispatcher that runs on {@code executor}, or -1 (none asked, or not one of this engine's). */
    private int dispatcherOn(java.util.concurrent.Executor executor) {
        if (executor != null) {
            for (int i = 0; i < dispatchers.length; i++) {
                if (dispatchers[i].executor == executor) {
                    return i;
                }
            }
        }
        return -1;
    }

    /**
     * The outbox of a subscription that asks for none. STRICT: the largest, so that its bytes bound it
     * (engine.outbox-max-bytes, engine.outbox-budget-bytes) rather than a count a burst or a short stall of its reader
     * fills; the ring grows only as it fills. CONFLATE: the default count, which also bounds how stale what it sees gets.
     */
    private int defaultOutboxCapacity(Policy policy) {
        return policy == Policy.STRICT ? config.maxOutboxCapacity() : config.defaultOutboxCapacity();
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
                         boolean internal, int eventsPerDelivery,
                         java.util.concurrent.Executor dispatchOn) {
        Sub sub = new Sub(ids.incrementAndGet(), pattern, handler, policy, snapshot, resumeAfter, cap,
                config.outboxMaxBytes(), config.conflateHighMarkPercent(), internal, this);
        sub.eventsPerDelivery = eventsPerDelivery;
        int d = dispatcherOn(dispatchOn);
        if (d < 0) {
            synchronized (this) {
                d = nextDispatcher;
                nextDispatcher = (nextDispatcher + 1) % dispatchers.length;
            }
        }
        sub.dispatcherIndex = d;
        live.put(sub.id, sub);
        writer.register(sub);
        dispatchers[d].add(sub);
        return sub;
    }

    @Override
    public void cancel(Sub sub) {
        writer.forget(sub);
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
            writer.forget(sub);
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
        Sub sub = register(pattern, collector, Policy.CONFLATE, true, SubscribeOptions.NO_RESUME, cap, true, 1, null);
        self[0] = sub;
        sub.request(Long.MAX_VALUE);
        return result;
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
        long seq = writer.currentSeq;
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
        return writer.currentSeq;
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
        return !journal.healthy() || writer.currentSeq - durable.get() > config.journalCapacity() / 2;
    }

    @Override
    public EngineStats stats() {
        long strict = 0;
        long outboxMax = 0;
        long outboxTotal = 0;
        long outboxesOverHalf = 0;
        long outboxBytes = 0;
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
            outboxBytes += Math.max(0, s.bytesIn - s.bytesOutAcquire()); // bytesIn: the writer's, read racily
            outboxMax = Math.max(outboxMax, depth);
            outboxTotal += depth;
            if (depth * 2 > s.capacity) {
                outboxesOverHalf++;
            }
            byFill[(int) Math.min(3, Math.max(0, (depth * 4 - 1) / Math.max(1, s.capacity)))]++;
        }
        long seq = writer.currentSeq;
        return new EngineStats(seq, durableSeq(), core.tree().leafCount(), publicSubs.get(), writer.inboundSize(),
                journal == null ? 0 : Math.max(0, seq - durable.get()), core.batchesApplied, core.changesApplied,
                writer.rejected.get(), eventsDelivered.sum(), core.conflatedChanges, core.slowConsumerEnds,
                resumesFromRing.sum(), resets.sum(), loopErrors.sum(), resumesFromStore.sum(), writer.thread.isAlive(),
                writer.busyNanos, core.tree().valueBytes(), strict, outboxMax, outboxTotal, outboxesOverHalf, byFill,
                core.tree().bytes(), core.ringBytesHeld(), core.slots().used(), writer.budgetRefusals.sum(), core.budgetEnds,
                outboxBytes);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed && writer.stopping()) {
                return;
            }
            closed = true;
            writer.stop();
        }
        join(writer.thread);
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
            } else if (d.executor != null) {
                awaitStopped(d);
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

    /** An executor dispatcher ends its subscriptions in its next tasks; a bound in case the executor is gone. */
    private void awaitStopped(Dispatcher d) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (!d.stopped.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
                        loopError("closing: a dispatch executor did not end its subscriptions within 10 s", null);
                    }
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
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
}
