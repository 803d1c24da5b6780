package io.treecast.fastpath.internal;

import io.treecast.fastpath.ErrorCode;

import java.util.ArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A dispatcher: owns a set of subscriptions and runs them in rounds, on its own thread (parking when none has work),
 * on the writer thread ({@code dispatcherThreads = 0}), or as tasks on an executor such as the event loop that owns
 * the subscribers' sockets ({@link io.treecast.fastpath.EngineConfig#dispatchExecutors()}). Each round
 * gives every subscription one bounded step: a live one is served by {@link LiveDelivery} (never more than requested,
 * a bounded number per cycle: fairness), one that starts with a snapshot or a resume by its {@link CatchUp}, whose
 * heavy part runs on the {@link SnapshotWorker}; so neither ever runs on the writer thread, and a large snapshot
 * does not hold the other subscriptions here. It also ends subscriptions (cancelled, SLOW_CONSUMER, shutdown).
 */
final class Dispatcher implements Runnable {
    final DefaultEngine engine;
    final EngineCore core;
    /** Leaves per SNAPSHOT event ({@code snapshotChunkLeaves}). */
    final int snapshotChunk;
    final SnapshotWorker worker;
    final Delivery delivery;
    private final LiveDelivery live;
    private final ArrayList<Sub> subs = new ArrayList<>();
    private final ConcurrentLinkedQueue<Sub> inbox = new ConcurrentLinkedQueue<>();
    volatile Thread thread;
    private volatile boolean signal;
    private volatile boolean parked;
    /** After the last round, every subscription here was live (none waits on a polled condition); dispatcher thread. */
    private boolean allLive = true;
    volatile boolean stopping;
    /** Runs on the writer thread ({@code dispatcherThreads = 0}): {@link #pass()} is called by the writer loop. */
    final boolean inline;
    /** Runs as tasks on this executor (one at a time), or null. */
    final ScheduledExecutorService executor;
    /** A task of this dispatcher is queued on or running on {@link #executor}. */
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** A delayed wake-up for polled conditions is pending on the executor (executor thread only). */
    private boolean pollPending;
    /** Counted down once a stopping executor dispatcher has ended all its subscriptions. */
    final CountDownLatch stopped = new CountDownLatch(1);
    private final Runnable task = this::runTask;
    private final Runnable poll = () -> {
        pollPending = false;
        wake();
    };
    /** Rounds one executor task runs at most before it lets the executor's other work (socket I/O) go first. */
    private static final int ROUNDS_PER_TASK = 4;

    Dispatcher(DefaultEngine engine, EngineCore core, SnapshotWorker worker, int snapshotChunk, boolean inline,
               ScheduledExecutorService executor) {
        this.engine = engine;
        this.core = core;
        this.worker = worker;
        this.snapshotChunk = snapshotChunk;
        this.inline = inline;
        this.executor = executor;
        this.delivery = new Delivery(engine, core);
        this.live = new LiveDelivery(delivery);
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
        } else if (executor != null) {
            schedule();
        } else if (parked) {
            LockSupport.unpark(thread);
        }
    }

    private void schedule() {
        if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(task);
            } catch (RejectedExecutionException e) {
                // the executor shut down before the engine: nothing more is delivered here
                engine.loopError("scheduling a delivery round (the dispatch executor refused it)", e);
            }
        }
    }

    /**
     * One executor task: a few rounds, then back to the executor's queue if there is more, so that a burst of
     * deliveries never holds the event loop's socket work for long. The flag is cleared before {@code signal} is
     * read again, and {@link #wake} sets {@code signal} before it reads the flag: no wake-up is lost.
     */
    private void runTask() {
        int work = 0;
        try {
            for (int round = 0; round < ROUNDS_PER_TASK; round++) {
                work = pass();
                if (work == 0) {
                    break;
                }
            }
        } catch (Throwable t) {
            engine.loopError("a delivery round", t);
        }
        scheduled.set(false);
        if (stopping && subs.isEmpty() && inbox.isEmpty()) {
            stopped.countDown();
            return;
        }
        if (work > 0 || signal) {
            schedule();
        } else if (!allLive && !pollPending) {
            // a subscription catching up waits on a polled condition (the writer's seq reaching P)
            pollPending = true;
            try {
                executor.schedule(poll, Writer.POLL_PARK_NANOS, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                pollPending = false;
            }
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
                    // a subscription catching up may wait on a condition that is polled (the writer's seq reaching
                    // P); live ones are woken by every change of theirs (new events, demand, an end, a cancel)
                    LockSupport.parkNanos(this, allLive ? Writer.IDLE_PARK_NANOS : Writer.POLL_PARK_NANOS);
                }
                parked = false;
            }
        }
    }

    /** One round over new and current subscriptions; returns the work done (0: idle). */
    int pass() {
        signal = false;
        int work = 0;
        boolean live = true;
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
            if (s.phase == Phase.DONE) {
                subs.set(i, subs.get(subs.size() - 1));
                subs.remove(subs.size() - 1);
                engine.subscriptionDone(s);
            } else if (s.phase != Phase.LIVE) {
                live = false;
            }
        }
        allLive = live;
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
        int work;
        if (s.phase == Phase.LIVE) {
            work = live.serve(s);
        } else {
            if (s.phase == Phase.INIT) {
                s.catchUp = new CatchUp(s, this);
                work = s.catchUp.begin(s0);
            } else {
                work = s.catchUp.step(s0);
            }
            if (s.phase == Phase.LIVE) {
                s.catchUp = null;
            }
        }
        delivery.end(s);
        return work;
    }

    private void endWith(Sub s, ErrorCode code, String message) {
        delivery.end(s);
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
        s.phase = Phase.DONE;
        if (s.catchUp != null) {
            s.catchUp.cancel();
            s.catchUp = null;
        }
    }
}
