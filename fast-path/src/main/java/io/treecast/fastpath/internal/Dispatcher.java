package io.treecast.fastpath.internal;

import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.EventKind;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.TreePath;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A dispatcher thread: owns a set of subscriptions and hands their events to their handlers, never more than
 * requested, a bounded number per subscription per cycle (fairness). It also serves snapshots (a chunked walk
 * of the live tree, merged with the outbox: README "Snapshot") and resumes from the replay ring, so that neither
 * ever runs on the writer thread.
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

    /** Live events per subscription per cycle: bounds how long one busy subscription holds the thread. */
    private static final int EVENTS_PER_CYCLE = 256;
    /**
     * Snapshot work per subscription per cycle, kept small next to {@link #EVENTS_PER_CYCLE}: a 100,000-leaf
     * snapshot must not delay the live subscriptions served by the same dispatcher.
     */
    private static final int WALK_NODES_PER_CYCLE = 256;
    private static final int SNAPSHOT_EVENTS_PER_CYCLE = 2;

    private final DefaultEngine engine;
    private final EngineCore core;
    private final int snapshotChunk;
    private final ArrayList<Sub> subs = new ArrayList<>();
    private final ConcurrentLinkedQueue<Sub> inbox = new ConcurrentLinkedQueue<>();
    private final EventBuffer buf = new EventBuffer();
    volatile Thread thread;
    private volatile boolean signal;
    private volatile boolean parked;
    volatile boolean stopping;
    /** Runs on the writer thread ({@code dispatcherThreads = 0}): {@link #pass()} is called by the writer loop. */
    final boolean inline;

    Dispatcher(DefaultEngine engine, EngineCore core, int snapshotChunk, boolean inline) {
        this.engine = engine;
        this.core = core;
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
            s.phase = DONE;
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
            case WALK:
                return walk(s);
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
        s.phase = DONE;
        if (!s.cancelled) {
            try {
                s.handler.onEnd(code, message, s.lastDelivered);
            } catch (Throwable t) {
                engine.loopError("onEnd of " + s, t);
            }
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
        HashMap<TreePath, Sub.Pending> map = new HashMap<>(Math.max(16, result.leaves().size() * 4 / 3 + 1));
        for (io.treecast.fastpath.Leaf leaf : result.leaves()) {
            if (s.pattern.matches(leaf.path())) {
                map.put(leaf.path(), new Sub.Pending(leaf.seq(), leaf.value()));
            }
        }
        for (long c = from + 1; c <= p; c++) {
            Object ref = core.readRing(c);
            if (ref == null || (c == from + 1 && core.readRing(from) == EngineCore.UNKNOWN)) {
                // overwritten while the store was read: the ring no longer bridges S to P (or S is a seq a
                // follower's rebase skipped, whose state is unknown here)
                startWalk(s);
                return 1;
            }
            int n = Applied.size(ref);
            for (int i = 0; i < n; i++) {
                io.treecast.fastpath.Change ch = Applied.change(ref, i);
                if (s.pattern.matches(ch.path())) {
                    merge(map, ch.path(), ch.value(), c);
                }
            }
        }
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
        s.snapshotMap = map;
        s.p = p;
        beginEmit(s, map);
        return 1;
    }

    // ------------------------------------------------------------------ snapshot

    private void startWalk(Sub s) {
        s.phase = WALK;
        s.snapshotMap = new HashMap<>();
        s.maxSeen = 0;
        // held entries stay: a catch-up that fell back to the walk may already hold outbox entries after S0
        s.frames = new ArrayDeque<>();
        long st = Nfa.closure(s.pattern, 1L);
        pushFrame(s, core.tree().root(), st, null);
    }

    /** A frame: {node, state, table-or-names, index}. Object[] keeps the walk's bookkeeping off the hot classes. */
    private static void pushFrame(Sub s, Tree.Node node, long state, TreePath path) {
        Object source;
        if (Nfa.wild(s.pattern, state)) {
            source = node.childTable();
        } else {
            source = Nfa.names(s.pattern, state);
        }
        if (source != null) {
            s.frames.push(new Object[] {node, state, source, new int[1], path});
        }
    }

    private int walk(Sub s) {
        holdOutbox(s);
        int budget = WALK_NODES_PER_CYCLE;
        ArrayDeque<Object[]> frames = s.frames;
        while (budget-- > 0 && !frames.isEmpty()) {
            Object[] f = frames.peek();
            Tree.Node node = (Tree.Node) f[0];
            long state = (Long) f[1];
            int[] idx = (int[]) f[3];
            Tree.Node child = null;
            if (f[2] instanceof Tree.Node[]) {
                Tree.Node[] t = (Tree.Node[]) f[2];
                while (idx[0] < t.length) {
                    Tree.Node c = Tree.slot(t, idx[0]++);
                    if (c != null && c != Tree.TOMBSTONE) {
                        child = c;
                        break;
                    }
                }
            } else {
                String[] names = (String[]) f[2];
                while (idx[0] < names.length) {
                    Tree.Node c = node.child(names[idx[0]++]);
                    if (c != null) {
                        child = c;
                        break;
                    }
                }
            }
            if (child == null) {
                frames.pop();
                continue;
            }
            long next = Nfa.step(s.pattern, state, child.segment());
            if (next == 0) {
                continue;
            }
            long seq = child.seqAcquire();
            byte[] value = child.value();
            boolean leaf = value != null && Nfa.accepts(s.pattern, next);
            boolean more = Nfa.more(s.pattern, next);
            if (!leaf && !more) {
                continue;
            }
            // built from the parent's path: only the new segment is validated again
            TreePath parentPath = (TreePath) f[4];
            TreePath path = parentPath == null ? TreePath.parse(child.segment()) : parentPath.child(child.segment());
            if (leaf) {
                s.snapshotMap.put(path, new Sub.Pending(seq, value));
                s.maxSeen = Math.max(s.maxSeen, seq);
            }
            if (more) {
                pushFrame(s, child, next, path);
            }
        }
        if (frames.isEmpty()) {
            s.frames = null;
            long p = Math.max(engine.currentSeq(), s.maxSeen);
            for (int i = 0; i < s.heldCount; i++) {
                p = Math.max(p, s.heldSeq[i]);
            }
            s.p = p;
            s.phase = WAIT;
        }
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

    private int waitForSeq(Sub s) {
        holdAll(s);
        // every outbox entry with seq <= p is there once the writer published p and is not holding conflated changes
        if (engine.currentSeq() < s.p || s.conflating) {
            return 0;
        }
        holdAll(s);
        long p = s.p;
        HashMap<TreePath, Sub.Pending> map = s.snapshotMap;
        int keep = 0;
        for (int k = 0; k < s.heldCount; k++) {
            long hs = s.heldSeq[k];
            Object ref = s.heldRef[k];
            if (ref instanceof Conflated) {
                Conflated c = (Conflated) ref;
                for (int i = 0; i < c.paths.length; i++) {
                    if (c.seqs[i] <= p && s.pattern.matches(c.paths[i])) {
                        merge(map, c.paths[i], c.values[i], c.seqs[i]);
                    }
                }
            } else if (hs <= p) {
                int n = Applied.size(ref);
                for (int i = 0; i < n; i++) {
                    io.treecast.fastpath.Change ch = Applied.change(ref, i);
                    if (s.pattern.matches(ch.path())) {
                        merge(map, ch.path(), ch.value(), hs);
                    }
                }
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
        beginEmit(s, map);
        return 1;
    }

    private void beginEmit(Sub s, HashMap<TreePath, Sub.Pending> map) {
        ArrayList<TreePath> paths = new ArrayList<>(map.keySet());
        paths.sort(null);
        s.snapshotPaths = paths;
        s.emitIndex = 0;
        s.resetEmitted = !s.pendingReset;
        s.phase = EMIT;
    }

    /** The per-leaf rule: a change applies when its seq is at least the leaf's (changes of one batch share a seq). */
    private static void merge(HashMap<TreePath, Sub.Pending> map, TreePath path, byte[] value, long seq) {
        Sub.Pending cur = map.get(path);
        if (cur != null && cur.seq > seq) {
            return;
        }
        if (value == null) {
            map.remove(path);
        } else {
            map.put(path, new Sub.Pending(seq, value));
        }
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
            ArrayList<TreePath> paths = s.snapshotPaths;
            if (s.emitIndex < paths.size()) {
                buf.reset(EventKind.SNAPSHOT, s.p, false);
                int end = Math.min(paths.size(), s.emitIndex + snapshotChunk);
                for (int i = s.emitIndex; i < end; i++) {
                    TreePath path = paths.get(i);
                    Sub.Pending leaf = s.snapshotMap.get(path);
                    buf.add(path, leaf.value, leaf.seq);
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
            s.snapshotMap = null;
            s.snapshotPaths = null;
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
