package io.treecast.fastpath.internal;

import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.EventKind;
import io.treecast.fastpath.PathPattern;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A dispatcher thread: owns a set of subscriptions and hands their events to their handlers, never more than
 * requested, a bounded number per subscription per cycle (fairness). It also serves snapshots (the live tree's
 * matching leaves, merged with the outbox: README "Snapshot") and resumes from the replay ring, so that neither
 * ever runs on the writer thread. What a snapshot costs (the walk, the merge, the sort) runs on the
 * {@link SnapshotWorker}; the dispatcher only moves the subscription's outbox entries aside meanwhile and then
 * copies the finished leaves into SNAPSHOT events, a few per cycle.
 */
final class Dispatcher implements Runnable {
    static final int INIT = 0;
    static final int REPLAY = 1;
    static final int WALK = 2;
    static final int WAIT = 3;
    static final int EMIT = 4;
    static final int LIVE = 5;
    static final int DONE = 6;
    static final int STORE = 7;
    /** The snapshot worker merges the store's leaves with the ring (then EMIT, or WALK when the ring cannot bridge). */
    static final int CATCH_UP = 8;
    /** The snapshot worker merges the held entries up to P into the walked leaves and sorts them (then EMIT). */
    static final int MERGE = 9;

    /** Live events per subscription per cycle: bounds how long one busy subscription holds the thread. */
    private static final int EVENTS_PER_CYCLE = 256;
    /**
     * Snapshot events per subscription per cycle, kept small next to {@link #EVENTS_PER_CYCLE}: a 100,000-leaf
     * snapshot must not delay the live subscriptions served by the same dispatcher. The walk, merge and sort that
     * make those events run on the {@link SnapshotWorker}; here a chunk is only copied into the event.
     */
    private static final int SNAPSHOT_EVENTS_PER_CYCLE = 2;

    private final DefaultEngine engine;
    private final EngineCore core;
    private final int snapshotChunk;
    private final SnapshotWorker worker;
    private final ArrayList<Sub> subs = new ArrayList<>();
    private final ConcurrentLinkedQueue<Sub> inbox = new ConcurrentLinkedQueue<>();
    private final EventBuffer buf = new EventBuffer();
    volatile Thread thread;
    private volatile boolean signal;
    private volatile boolean parked;
    volatile boolean stopping;
    /** Runs on the writer thread ({@code dispatcherThreads = 0}): {@link #pass()} is called by the writer loop. */
    final boolean inline;

    Dispatcher(DefaultEngine engine, EngineCore core, SnapshotWorker worker, int snapshotChunk, boolean inline) {
        this.engine = engine;
        this.core = core;
        this.worker = worker;
        this.snapshotChunk = snapshotChunk;
        this.inline = inline;
    }

    void add(Sub sub) {
        inbox.add(sub);
        wake();
    }

    /** Cheap when the dispatcher is running: one volatile write and one read; unparks only a parked thread. */
    void wake() {
        signal = true;
        if (inline) {
            engine.wakeWriter();
        } else if (parked) {
            LockSupport.unpark(thread);
        }
    }

    /** Someone asked for a round since the last one began (new demand, a new or cancelled subscription). */
    boolean signaled() {
        return signal;
    }

    /**
     * Serves every subscription until nothing is left to do. Also used once by {@link DefaultEngine#close()} for an
     * inline dispatcher, after the writer has stopped, to end its subscriptions.
     */
    @Override
    public void run() {
        while (true) {
            int work = pass();
            if (work == 0) {
                if (stopping && subs.isEmpty() && inbox.isEmpty()) {
                    return;
                }
                parked = true;
                if (!signal) {
                    // the bound covers subscriptions waiting on a condition (a snapshot waiting for the writer)
                    LockSupport.parkNanos(this, 1_000_000L);
                }
                parked = false;
            }
        }
    }

    /** One round over new and current subscriptions; returns the work done (0: idle). */
    int pass() {
        signal = false;
        int work = 0;
        Sub n;
        while ((n = inbox.poll()) != null) {
            subs.add(n);
            work++;
        }
        for (int i = subs.size() - 1; i >= 0; i--) {
            Sub s = subs.get(i);
            try {
                work += service(s);
            } catch (Throwable t) {
                engine.loopError("dispatching to " + s, t);
                endWith(s, ErrorCode.INTERNAL, "the engine failed while delivering to this subscription ("
                        + t + "); resubscribe with resume_after = " + s.lastDelivered);
            }
            if (s.phase == DONE) {
                subs.set(i, subs.get(subs.size() - 1));
                subs.remove(subs.size() - 1);
                engine.subscriptionDone(s);
            }
        }
        return work;
    }

    private int service(Sub s) {
        if (s.cancelled) {
            finish(s);
            return 1;
        }
        ErrorCode end = s.endCode;
        if (end != null) {
            String msg;
            if (end == ErrorCode.SLOW_CONSUMER && s.endReason != null) {
                msg = s.endReason + "; resubscribe with resume_after = " + s.lastDelivered;
            } else if (end == ErrorCode.SLOW_CONSUMER) {
                msg = s + " ended: its outbox of " + s.capacity + " events filled up under the STRICT policy; "
                        + "request events faster, subscribe with a larger outbox or the CONFLATE policy, "
                        + "and resubscribe with resume_after = " + s.lastDelivered;
            } else {
                msg = "the engine is shutting down; resubscribe to another instance or later with resume_after = " + s.lastDelivered;
            }
            endWith(s, end, msg);
            return 1;
        }
        long s0 = s.s0;
        if (s0 < 0) {
            return 0;
        }
        int work = step(s, s0);
        endDelivery(s);
        return work;
    }

    private int step(Sub s, long s0) {
        switch (s.phase) {
            case INIT:
                return init(s, s0);
            case REPLAY:
                return replay(s, s0);
            case STORE:
                return awaitStore(s);
            case CATCH_UP:
                return catchUp(s);
            case WALK:
                return walk(s);
            case MERGE:
                return awaitMerge(s);
            case WAIT:
                return waitForSeq(s);
            case EMIT:
                return emit(s);
            case LIVE:
                return live(s);
            default:
                return 0;
        }
    }

    private void endWith(Sub s, ErrorCode code, String message) {
        endDelivery(s);
        finish(s);
        if (!s.cancelled) {
            try {
                s.handler.onEnd(code, message, s.lastDelivered);
            } catch (Throwable t) {
                engine.loopError("onEnd of " + s, t);
            }
        }
    }

    /** The subscription is over: a snapshot the worker may still be building is dropped. */
    private static void finish(Sub s) {
        s.phase = DONE;
        if (s.build != null) {
            s.build.cancel();
            s.build = null;
        }
    }

    private int init(Sub s, long s0) {
        long r = s.resumeAfter;
        if (r >= 0) {
            s.lastDelivered = r;
            if (r == s0) {
                s.after = s0;
                s.phase = LIVE;
            } else if (r < s0 && r >= core.startSeq() && s0 - r < core.ringCapacity() && core.readRing(r + 1) != null
                    && core.readRing(r) != EngineCore.UNKNOWN) {
                engine.resumesFromRing.increment();
                s.replayCursor = r + 1;
                s.phase = REPLAY;
            } else if (r < s0) {
                startCatchUp(s);
            } else {
                engine.resets.increment();
                s.pendingReset = true;
                startWalk(s);
            }
        } else if (s.snapshot) {
            s.lastDelivered = 0;
            startWalk(s);
        } else {
            s.lastDelivered = s0;
            s.after = s0;
            s.phase = LIVE;
        }
        return 1;
    }

    private int replay(Sub s, long s0) {
        int budget = EVENTS_PER_CYCLE;
        int work = 0;
        while (budget > 0 && s.demand.get() > 0) {
            long c = s.replayCursor;
            if (c > s0) {
                s.after = s0;
                s.phase = LIVE;
                return work + 1;
            }
            Object ref = core.readRing(c);
            if (ref == null) {
                // overwritten while replaying: the gap cannot be filled from memory any more
                startCatchUp(s);
                return work + 1;
            }
            buf.fill(c, ref, s.pattern, c - 1);
            s.replayCursor = c + 1;
            work++;
            if (buf.size > 0) {
                deliver(s, buf);
                budget--;
            }
        }
        if (s.replayCursor > s0) {
            s.after = s0;
            s.phase = LIVE;
            work++;
        }
        return work;
    }

    // ------------------------------------------------------------------ catch-up from the snapshot store

    /**
     * The resume point left the replay ring: RESET, then the store's leaves brought up to date with the ring, then
     * live. Without a store (or when it cannot bridge to the ring) the snapshot comes from the live tree instead.
     */
    private void startCatchUp(Sub s) {
        engine.resets.increment();
        s.pendingReset = true;
        io.treecast.fastpath.SnapshotStore store = engine.snapshotStore();
        if (store == null) {
            startWalk(s);
            return;
        }
        s.phase = STORE;
        try {
            s.storeReply = store.snapshot(s.pattern);
        } catch (RuntimeException e) {
            engine.loopError("asking the snapshot store for " + s, e);
            s.storeReply = null;
            startWalk(s);
        }
    }

    /**
     * Once the store answered with its leaves complete up to S: P = the engine's seq now, which is at least the
     * seq of anything the store had read (a record is written only after its batch is applied). The ring's
     * batches (S, P] merged into the leaves by the per-leaf rule give exactly the state at P; a store leaf newer
     * than S is re-applied by its own batch, and a leaf the store already saw deleted after S is re-added and
     * removed again in seq order. Outbox entries up to P are covered by the ring, the rest go live after the
     * snapshot.
     */
    private int awaitStore(Sub s) {
        holdOutbox(s);
        java.util.concurrent.CompletableFuture<io.treecast.fastpath.SnapshotStore.Result> reply = s.storeReply;
        if (!reply.isDone()) {
            return 0;
        }
        s.storeReply = null;
        io.treecast.fastpath.SnapshotStore.Result result;
        try {
            result = reply.join();
        } catch (RuntimeException e) {
            // the store cannot answer (stopped, rebalancing): the live tree still can
            startWalk(s);
            return 1;
        }
        long from = result.completeSeq();
        long p = engine.currentSeq();
        if (from < core.startSeq() || from > p || p - from >= core.ringCapacity()) {
            startWalk(s);
            return 1;
        }
        SnapshotBuild b = new SnapshotBuild(s.pattern, this, core);
        b.storeResult = result;
        b.from = from;
        b.p = p;
        s.build = b;
        s.phase = CATCH_UP;
        worker.submit(b, SnapshotBuild.Step.CATCH_UP);
        return 1;
    }

    /**
     * The worker merged the store's leaves with the ring up to P (or found that the ring no longer bridges them: then
     * the live tree is walked, with every held entry still there). Outbox entries up to P are covered by the ring,
     * the rest go live after the snapshot.
     */
    private int catchUp(Sub s) {
        holdOutbox(s);
        SnapshotBuild b = s.build;
        if (!b.done()) {
            return 0;
        }
        failIfBroken(s, b);
        if (b.notBridged) {
            startWalk(s);
            return 1;
        }
        long p = b.p;
        holdOutbox(s);
        int keep = 0;
        for (int k = 0; k < s.heldCount; k++) {
            long hs = s.heldSeq[k];
            // a conflated entry may still carry changes after P: the live filter drops those up to P
            if (hs > p || s.heldRef[k] instanceof Conflated) {
                s.heldSeq[keep] = hs;
                s.heldRef[keep] = s.heldRef[k];
                keep++;
            }
        }
        Arrays.fill(s.heldRef, keep, s.heldCount, null);
        s.heldCount = keep;
        s.heldIndex = 0;
        engine.resumesFromStore.increment();
        s.p = p;
        beginEmit(s);
        return 1;
    }

    // ------------------------------------------------------------------ snapshot

    /** Hands the walk of the live tree to the snapshot worker; the dispatcher meanwhile moves outbox entries aside. */
    private void startWalk(Sub s) {
        s.phase = WALK;
        // held entries stay: a catch-up that fell back to the walk may already hold outbox entries after S0
        SnapshotBuild b = new SnapshotBuild(s.pattern, this, core);
        s.build = b;
        worker.submit(b, SnapshotBuild.Step.WALK);
    }

    private static void failIfBroken(Sub s, SnapshotBuild b) {
        if (b.error != null) {
            throw new IllegalStateException("building the snapshot of " + s + " failed", b.error);
        }
    }

    private int walk(Sub s) {
        holdOutbox(s);
        SnapshotBuild b = s.build;
        if (!b.done()) {
            return 0;
        }
        failIfBroken(s, b);
        long p = Math.max(engine.currentSeq(), b.maxSeen);
        for (int i = 0; i < s.heldCount; i++) {
            p = Math.max(p, s.heldSeq[i]);
        }
        s.p = p;
        s.phase = WAIT;
        return 1;
    }

    /**
     * Moves outbox entries into the subscription's held list so that the outbox does not fill during a snapshot.
     * While the walk (or the store) is slow, at most the subscription's outbox capacity is held; past that the
     * entries stay in the outbox, which then fills and its policy applies (STRICT: SLOW_CONSUMER; CONFLATE: one
     * pending change per leaf, merged into the snapshot as usual). So a snapshot holds at most twice the outbox.
     */
    private static void holdOutbox(Sub s) {
        holdOutbox(s, s.capacity);
    }

    /** {@link #holdOutbox(Sub)} without the bound: once the walk is done P is reached within a few writer cycles. */
    private static void holdAll(Sub s) {
        holdOutbox(s, Integer.MAX_VALUE);
    }

    private static void holdOutbox(Sub s, int limit) {
        long h = s.headAcquire();
        long t = s.tailAcquire();
        long bytes = 0;
        while (h < t && s.heldCount < limit) {
            if (s.heldCount == s.heldSeq.length) {
                int n = Math.max(16, s.heldCount * 2);
                s.heldSeq = Arrays.copyOf(s.heldSeq, n);
                s.heldRef = Arrays.copyOf(s.heldRef, n);
            }
            Object ref = s.entryRef(h);
            s.heldSeq[s.heldCount] = s.entrySeq(h);
            s.heldRef[s.heldCount] = ref;
            s.forgetEntry(h);
            s.heldCount++;
            bytes += Applied.bytes(ref);
            h++;
        }
        if (bytes > 0) {
            s.tookOut(bytes); // held aside, bounded by the capacity: out of the outbox's byte count
        }
        s.headRelease(h);
    }

    /**
     * Once the writer published P and holds no conflated change, every outbox entry up to P is held: those (and the
     * conflated ones) go to the worker to be merged into the walked leaves, the rest stay held for after the snapshot.
     */
    private int waitForSeq(Sub s) {
        holdAll(s);
        // every outbox entry with seq <= p is there once the writer published p and is not holding conflated changes
        if (engine.currentSeq() < s.p || s.conflating) {
            return 0;
        }
        holdAll(s);
        long p = s.p;
        SnapshotBuild b = s.build;
        long[] mergeSeq = new long[s.heldCount];
        Object[] mergeRef = new Object[s.heldCount];
        int merge = 0;
        int keep = 0;
        for (int k = 0; k < s.heldCount; k++) {
            long hs = s.heldSeq[k];
            Object ref = s.heldRef[k];
            if (hs <= p || ref instanceof Conflated) {
                mergeSeq[merge] = hs;
                mergeRef[merge] = ref;
                merge++;
            }
            if (hs > p) {
                s.heldSeq[keep] = hs;
                s.heldRef[keep] = ref;
                keep++;
            }
        }
        Arrays.fill(s.heldRef, keep, s.heldCount, null);
        s.heldCount = keep;
        s.heldIndex = 0;
        b.p = p;
        b.heldSeq = mergeSeq;
        b.heldRef = mergeRef;
        b.heldCount = merge;
        s.phase = MERGE;
        worker.submit(b, SnapshotBuild.Step.MERGE_HELD);
        return 1;
    }

    /** The worker merged and sorted the snapshot at P; what arrives meanwhile is held (bounded) for after it. */
    private int awaitMerge(Sub s) {
        holdOutbox(s);
        SnapshotBuild b = s.build;
        if (!b.done()) {
            return 0;
        }
        failIfBroken(s, b);
        beginEmit(s);
        return 1;
    }

    private void beginEmit(Sub s) {
        s.emitIndex = 0;
        s.resetEmitted = !s.pendingReset;
        s.phase = EMIT;
    }

    private int emit(Sub s) {
        int work = 0;
        int budget = SNAPSHOT_EVENTS_PER_CYCLE;
        while (budget-- > 0 && s.demand.get() > 0) {
            if (!s.resetEmitted) {
                buf.reset(EventKind.RESET, s.p, false);
                s.resetEmitted = true;
                s.pendingReset = false;
                s.lastDelivered = 0;
                deliver(s, buf);
                work++;
                continue;
            }
            SnapshotBuild b = s.build;
            int size = b.count;
            if (s.emitIndex < size) {
                buf.reset(EventKind.SNAPSHOT, s.p, false);
                int end = Math.min(size, s.emitIndex + snapshotChunk);
                for (int i = s.emitIndex; i < end; i++) {
                    buf.add(b.path(i), b.values[i], b.seqs[i]);
                }
                s.emitIndex = end;
                deliver(s, buf);
                work++;
                continue;
            }
            buf.reset(EventKind.SNAPSHOT_END, s.p, false);
            deliver(s, buf);
            s.lastDelivered = s.p;
            s.after = s.p;
            s.build = null;
            s.phase = LIVE;
            return work + 1;
        }
        return work;
    }

    // ------------------------------------------------------------------ live

    private int live(Sub s) {
        int work = 0;
        long bytes = 0;
        int budget = EVENTS_PER_CYCLE;
        while (budget > 0 && s.demand.get() > 0) {
            long seq;
            Object ref;
            if (s.heldIndex < s.heldCount) {
                seq = s.heldSeq[s.heldIndex];
                ref = s.heldRef[s.heldIndex];
                s.heldRef[s.heldIndex] = null;
                s.heldIndex++;
                fill(s, seq, ref, -1L);
            } else {
                long h = s.headAcquire();
                if (h == s.tailAcquire()) {
                    break;
                }
                seq = s.entrySeq(h);
                ref = s.entryRef(h);
                fill(s, seq, ref, h);
                bytes += Applied.bytes(ref);
                s.forgetEntry(h);
                s.headRelease(h + 1);
            }
            work++;
            if (buf.size > 0) {
                deliver(s, buf);
                budget--;
            }
        }
        if (s.heldIndex > 0 && s.heldIndex == s.heldCount) {
            s.heldIndex = 0;
            s.heldCount = 0;
        }
        if (bytes > 0) {
            s.tookOut(bytes); // once per pass: one store the writer reads only when the outbox nears its byte bound
        }
        return work;
    }

    /**
     * Fills the buffer with the part of entry {@code ref} this subscription matched. The writer enqueues a batch only
     * for subscriptions that matched one of its changes, so a one-change batch needs no second match, and for batches
     * it tracks ({@link Sub#tracksMatches}) it recorded the matched changes in {@code outMatched[slot]}; anything else
     * (larger batches, conflated entries, entries held aside during a snapshot: {@code pos < 0}) is filtered by pattern.
     */
    private void fill(Sub s, long seq, Object ref, long pos) {
        int n = ref instanceof Conflated ? -1 : Applied.size(ref);
        if (n == 1) {
            buf.fill(seq, ref, null, s.after);
        } else if (pos >= 0 && Sub.tracksMatches(n)) {
            buf.fillMatched(seq, ref, s.entryMatched(pos), s.after);
        } else {
            buf.fill(seq, ref, s.pattern, s.after);
        }
    }

    /**
     * Hands one event to the subscription's open delivery; a full delivery is ended at once. The phases check
     * demand before each event, and an open delivery holds the one unit of demand that {@link #endDelivery} takes.
     */
    private void deliver(Sub s, EventBuffer e) {
        if (e.kind == EventKind.UPDATE) {
            s.lastDelivered = e.seq;
        }
        engine.eventsDelivered.increment();
        e.appliedNanos = e.kind == EventKind.UPDATE ? core.appliedNanos(e.seq) : 0;
        s.handler.onEvent(e);
        if (++s.inDelivery >= s.eventsPerDelivery) {
            endDelivery(s);
        }
    }

    private void endDelivery(Sub s) {
        if (s.inDelivery == 0) {
            return;
        }
        s.inDelivery = 0;
        if (s.demand.get() != Long.MAX_VALUE) {
            s.demand.decrementAndGet();
        }
        s.handler.onDeliveryEnd();
    }

    /** The pattern as an NFA over its segment positions (bit k: the first k segments are matched). */
    static final class Nfa {
        private Nfa() {
        }

        static long closure(PathPattern p, long st) {
            for (int k = 0; k < p.depth(); k++) {
                if ((st & (1L << k)) != 0 && p.kind(k) == PathPattern.GLOBSTAR) {
                    st |= 1L << (k + 1);
                }
            }
            return st;
        }

        static long step(PathPattern p, long st, String seg) {
            long next = 0;
            for (int k = 0; k < p.depth(); k++) {
                if ((st & (1L << k)) == 0) {
                    continue;
                }
                int kind = p.kind(k);
                if (kind == PathPattern.GLOBSTAR) {
                    next |= 1L << k;
                } else if (kind == PathPattern.STAR) {
                    next |= 1L << (k + 1);
                } else {
                    for (String lit : p.literals(k)) {
                        if (lit.equals(seg)) {
                            next |= 1L << (k + 1);
                            break;
                        }
                    }
                }
            }
            return next == 0 ? 0 : closure(p, next);
        }

        static boolean accepts(PathPattern p, long st) {
            return (st & (1L << p.depth())) != 0;
        }

        static boolean more(PathPattern p, long st) {
            return (st & ((1L << p.depth()) - 1)) != 0;
        }

        static boolean wild(PathPattern p, long st) {
            for (int k = 0; k < p.depth(); k++) {
                if ((st & (1L << k)) != 0 && p.kind(k) != PathPattern.LITERAL && p.kind(k) != PathPattern.ALTERNATION) {
                    return true;
                }
            }
            return false;
        }

        static String[] names(PathPattern p, long st) {
            LinkedHashSet<String> names = new LinkedHashSet<>();
            for (int k = 0; k < p.depth(); k++) {
                if ((st & (1L << k)) != 0) {
                    names.addAll(Arrays.asList(p.literals(k)));
                }
            }
            return names.isEmpty() ? null : names.toArray(new String[0]);
        }
    }
}
