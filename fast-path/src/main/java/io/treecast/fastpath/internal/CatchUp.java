package io.treecast.fastpath.internal;

import io.treecast.fastpath.EventKind;
import io.treecast.fastpath.SnapshotStore;

import java.util.concurrent.CompletableFuture;

/**
 * One subscription's way from where it starts to live (README, "Snapshot" and "Resume"): a replay of the ring, a
 * snapshot of the live tree, or a too-old resume caught up from the snapshot store; a RESET first when the
 * subscriber's state must be dropped. It owns that journey's state and runs on the subscription's dispatcher, a
 * bounded amount per cycle; what a snapshot costs (the walk, the merges, the leaves' paths) runs on the
 * {@link SnapshotWorker}, while this moves the subscription's outbox entries aside ({@link HeldEntries}) and then
 * copies the finished leaves into SNAPSHOT events. Dropped once the subscription is live.
 *
 * <pre>{@code
 * CatchUp c = new CatchUp(sub, dispatcher);
 * int work = c.begin(s0);          // LIVE at once, or REPLAY / STORE / WALK ...
 * while (sub.phase != Phase.LIVE) work = c.step(s0);   // one bounded step per dispatcher cycle
 * }</pre>
 */
final class CatchUp {
    /**
     * Snapshot events per subscription per cycle, kept small next to {@link LiveDelivery#EVENTS_PER_CYCLE}: a
     * 100,000-leaf snapshot must not delay the live subscriptions served by the same dispatcher.
     */
    private static final int SNAPSHOT_EVENTS_PER_CYCLE = 2;

    private final Sub s;
    private final Dispatcher dispatcher;
    private final DefaultEngine engine;
    private final EngineCore core;
    private final Delivery delivery;

    /** The next ring seq to replay (REPLAY). */
    private long replayCursor;
    /** A RESET goes out before the snapshot (a resume that cannot be served as asked). */
    private boolean pendingReset;
    /** The snapshot store's pending answer (STORE). */
    private CompletableFuture<SnapshotStore.Result> storeReply;
    /** What the snapshot worker builds, then what EMIT sends. */
    private SnapshotBuild build;
    /** The snapshot's seq. */
    private long p;
    private int emitIndex;
    private boolean resetEmitted;

    CatchUp(Sub s, Dispatcher dispatcher) {
        this.s = s;
        this.dispatcher = dispatcher;
        this.engine = dispatcher.engine;
        this.core = dispatcher.core;
        this.delivery = dispatcher.delivery;
    }

    /** Decides the way from S0: live at once, a ring replay, a store catch-up or a walk (with a RESET when needed). */
    int begin(long s0) {
        long r = s.resumeAfter;
        if (r >= 0) {
            s.lastDelivered = r;
            if (r == s0) {
                goLive(s0);
            } else if (r < s0 && r >= core.startSeq() && s0 - r < core.ringCapacity() && core.readRing(r + 1) != null
                    && core.readRing(r) != EngineCore.UNKNOWN) {
                engine.resumesFromRing.increment();
                replayCursor = r + 1;
                s.phase = Phase.REPLAY;
            } else if (r < s0) {
                startCatchUp();
            } else {
                engine.resets.increment();
                pendingReset = true;
                startWalk();
            }
        } else if (s.snapshot) {
            s.lastDelivered = 0;
            startWalk();
        } else {
            s.lastDelivered = s0;
            goLive(s0);
        }
        return 1;
    }

    /** One bounded step of the current phase; the work done (0: waiting on the worker, the writer or the store). */
    int step(long s0) {
        switch (s.phase) {
            case REPLAY:
                return replay(s0);
            case STORE:
                return awaitStore();
            case CATCH_UP:
                return catchUp();
            case WALK:
                return walk();
            case WAIT:
                return waitForSeq();
            case MERGE:
                return awaitMerge();
            case EMIT:
                return emit();
            default:
                throw new IllegalStateException(s + " is not catching up but " + s.phase);
        }
    }

    /** The subscription ended: a snapshot the worker may still be building is dropped. */
    void cancel() {
        if (build != null) {
            build.cancel();
            build = null;
        }
    }

    private void goLive(long after) {
        s.after = after;
        s.phase = Phase.LIVE;
    }

    // ------------------------------------------------------------------ replay from the ring

    private int replay(long s0) {
        EventBuffer buf = delivery.buf;
        int budget = LiveDelivery.EVENTS_PER_CYCLE;
        int work = 0;
        while (budget > 0 && s.demand.get() > 0) {
            long c = replayCursor;
            if (c > s0) {
                goLive(s0);
                return work + 1;
            }
            Object ref = core.readRing(c);
            if (ref == null) {
                // overwritten while replaying: the gap cannot be filled from memory any more
                startCatchUp();
                return work + 1;
            }
            buf.fill(c, ref, s.pattern, c - 1);
            replayCursor = c + 1;
            work++;
            if (buf.size > 0) {
                delivery.deliver(s, buf);
                budget--;
            }
        }
        if (replayCursor > s0) {
            goLive(s0);
            work++;
        }
        return work;
    }

    // ------------------------------------------------------------------ catch-up from the snapshot store

    /**
     * The resume point left the replay ring: RESET, then the store's leaves brought up to date with the ring, then
     * live. Without a store (or when it cannot bridge to the ring) the snapshot comes from the live tree instead.
     */
    private void startCatchUp() {
        engine.resets.increment();
        pendingReset = true;
        SnapshotStore store = engine.snapshotStore();
        if (store == null) {
            startWalk();
            return;
        }
        s.phase = Phase.STORE;
        try {
            storeReply = store.snapshot(s.pattern);
        } catch (RuntimeException e) {
            engine.loopError("asking the snapshot store for " + s, e);
            storeReply = null;
            startWalk();
        }
    }

    /**
     * Once the store answered with its leaves complete up to S: P = the engine's seq now, which is at least the
     * seq of anything the store had read (a record is written only after its batch is applied). The worker merges
     * the ring's batches (S, P] into the leaves ({@link SnapshotBuild.Step#CATCH_UP}).
     */
    private int awaitStore() {
        holdOutbox();
        CompletableFuture<SnapshotStore.Result> reply = storeReply;
        if (!reply.isDone()) {
            return 0;
        }
        storeReply = null;
        SnapshotStore.Result result;
        try {
            result = reply.join();
        } catch (RuntimeException e) {
            // the store cannot answer (stopped, rebalancing): the live tree still can
            startWalk();
            return 1;
        }
        long from = result.completeSeq();
        long at = engine.currentSeq();
        if (from < core.startSeq() || from > at || at - from >= core.ringCapacity()) {
            startWalk();
            return 1;
        }
        SnapshotBuild b = new SnapshotBuild(s.pattern, dispatcher, core);
        b.storeResult = result;
        b.from = from;
        b.p = at;
        build = b;
        s.phase = Phase.CATCH_UP;
        dispatcher.worker.submit(b, SnapshotBuild.Step.CATCH_UP);
        return 1;
    }

    /**
     * The worker merged the store's leaves with the ring up to P (or found that the ring no longer bridges them: then
     * the live tree is walked, with every held entry still there). Outbox entries up to P are covered by the ring,
     * the rest go live after the snapshot.
     */
    private int catchUp() {
        holdOutbox();
        SnapshotBuild b = build;
        if (!b.done()) {
            return 0;
        }
        failIfBroken(b);
        if (b.notBridged) {
            startWalk();
            return 1;
        }
        p = b.p;
        holdOutbox();
        // a conflated entry may still carry changes after P: the live filter drops those up to P
        s.held.retain(p, true);
        engine.resumesFromStore.increment();
        beginEmit();
        return 1;
    }

    // ------------------------------------------------------------------ snapshot of the live tree

    /** Hands the walk of the live tree to the snapshot worker; meanwhile outbox entries are moved aside. */
    private void startWalk() {
        s.phase = Phase.WALK;
        // held entries stay: a catch-up that fell back to the walk may already hold outbox entries after S0
        build = new SnapshotBuild(s.pattern, dispatcher, core);
        dispatcher.worker.submit(build, SnapshotBuild.Step.WALK);
    }

    private void failIfBroken(SnapshotBuild b) {
        if (b.error != null) {
            throw new IllegalStateException("building the snapshot of " + s + " failed", b.error);
        }
    }

    /** P = max(currentSeq after the walk, max leaf seq seen, max seq held). */
    private int walk() {
        holdOutbox();
        SnapshotBuild b = build;
        if (!b.done()) {
            return 0;
        }
        failIfBroken(b);
        p = Math.max(Math.max(engine.currentSeq(), b.maxSeen), s.held.maxSeq());
        s.phase = Phase.WAIT;
        return 1;
    }

    /** While the walk (or the store) is slow, at most the outbox capacity is held ({@link HeldEntries#take}). */
    private void holdOutbox() {
        s.held.take(s, s.capacity);
    }

    /**
     * Once the writer published P and holds no conflated change, every outbox entry up to P is held: those (and the
     * conflated ones) go to the worker to be merged into the walked leaves, the rest stay held for after the snapshot.
     * Until then everything is held: once the walk is done P is reached within a few writer cycles.
     */
    private int waitForSeq() {
        s.held.take(s, Integer.MAX_VALUE);
        // every outbox entry with seq <= p is there once the writer published p and is not holding conflated changes
        if (engine.currentSeq() < p || s.conflating) {
            return 0;
        }
        s.held.take(s, Integer.MAX_VALUE);
        build.p = p;
        s.held.handUpTo(p, build);
        s.phase = Phase.MERGE;
        dispatcher.worker.submit(build, SnapshotBuild.Step.MERGE_HELD);
        return 1;
    }

    /** The worker merged the snapshot at P; what arrives meanwhile is held (bounded) for after it. */
    private int awaitMerge() {
        holdOutbox();
        if (!build.done()) {
            return 0;
        }
        failIfBroken(build);
        beginEmit();
        return 1;
    }

    // ------------------------------------------------------------------ emit

    /** The leaves at P are ready: the snapshot thread goes on building their paths ahead of the events sent. */
    private void beginEmit() {
        emitIndex = 0;
        resetEmitted = !pendingReset;
        s.phase = Phase.EMIT;
        if (build.made() < build.count) {
            dispatcher.worker.submit(build, SnapshotBuild.Step.PATHS);
        }
    }

    private int emit() {
        EventBuffer buf = delivery.buf;
        int work = 0;
        int budget = SNAPSHOT_EVENTS_PER_CYCLE;
        while (budget-- > 0 && s.demand.get() > 0) {
            if (!resetEmitted) {
                buf.reset(EventKind.RESET, p, false);
                resetEmitted = true;
                pendingReset = false;
                s.lastDelivered = 0;
                delivery.deliver(s, buf);
                work++;
                continue;
            }
            SnapshotBuild b = build;
            int size = b.count;
            if (emitIndex < size) {
                int end = Math.min(size, emitIndex + dispatcher.snapshotChunk);
                if (b.made() < end) {
                    // the snapshot thread is still building these paths; it wakes this dispatcher when it has
                    // (or it failed: done before all paths are made only with an error)
                    if (b.done()) {
                        failIfBroken(b);
                    }
                    return work;
                }
                buf.reset(EventKind.SNAPSHOT, p, false);
                for (int i = emitIndex; i < end; i++) {
                    buf.add(b.path(i), b.values[i], b.seqs[i]);
                }
                b.sent(emitIndex, end);
                emitIndex = end;
                delivery.deliver(s, buf);
                work++;
                continue;
            }
            buf.reset(EventKind.SNAPSHOT_END, p, false);
            delivery.deliver(s, buf);
            s.lastDelivered = p;
            build = null;
            goLive(p);
            return work + 1;
        }
        return work;
    }
}
