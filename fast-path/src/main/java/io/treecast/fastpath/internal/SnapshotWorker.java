package io.treecast.fastpath.internal;

import io.treecast.fastpath.BackgroundPriority;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine's snapshot thread ({@code treecast-snapshot}): runs the {@link SnapshotBuild} steps that dispatchers
 * hand it, so that walking 100,000 leaves, merging and sorting them never holds a dispatcher while its other
 * subscriptions wait for live events. Concurrent builds are served round-robin, one slice each, so a small snapshot
 * (a {@code get}) is not stuck behind a large one's walk. While a snapshot is sent it also builds its leaves'
 * {@code TreePath}s a bounded window ahead of the dispatcher ({@link SnapshotBuild.Step#PATHS}), so the dispatcher
 * only copies them into events. Parks when it has nothing to do; dispatchers unpark it.
 *
 * <p>It shares no lock with the writer or the dispatchers: builds arrive through a lock-free queue, results go back
 * through each build's volatile {@code done} flag and a {@link Dispatcher#wake()}.
 */
final class SnapshotWorker implements Runnable {
    /**
     * Linux nice steps below the engine's other threads (as durability's {@code durability.nice} default): on a
     * 2-core machine the snapshot thread then takes the CPU the writer and the dispatchers leave over instead of
     * timeslices from them, so a 100,000-leaf snapshot stretches rather than stalls the live subscriptions. Lowered
     * when the first snapshot arrives, so engines that never build one start no {@code renice}.
     */
    static final int NICE_STEPS = 10;

    private final ConcurrentLinkedQueue<SnapshotBuild> inbox = new ConcurrentLinkedQueue<>();
    /** Builds with a step in progress; worker thread only. */
    private final ArrayDeque<SnapshotBuild> active = new ArrayDeque<>();
    final Thread thread;
    private volatile boolean parked;
    private volatile boolean stopping;
    /** Worker thread only: {@link #NICE_STEPS} applied (or tried). */
    private boolean lowered;

    SnapshotWorker() {
        this.thread = new Thread(this, "treecast-snapshot");
        thread.setDaemon(false);
    }

    /** Dispatcher: hands over the build's next step ({@link SnapshotBuild#step} is set); its fields are the worker's until done. */
    void submit(SnapshotBuild build, SnapshotBuild.Step step) {
        build.step = step;
        build.done(false);
        inbox.add(build);
        if (parked) {
            LockSupport.unpark(thread);
        }
    }

    /** Ends the thread once it has no step in progress; builds still queued are dropped (their subscriptions end). */
    void stop() {
        stopping = true;
        LockSupport.unpark(thread);
    }

    @Override
    public void run() {
        while (true) {
            SnapshotBuild b;
            while ((b = inbox.poll()) != null) {
                active.add(b);
            }
            b = active.poll();
            if (b == null) {
                if (stopping) {
                    return;
                }
                // announce, then look once more: submit adds, then reads the announcement (both volatile)
                parked = true;
                if (inbox.isEmpty() && !stopping) {
                    LockSupport.parkNanos(this, 100_000_000L);
                }
                parked = false;
                continue;
            }
            if (b.cancelled() || stopping) {
                continue;
            }
            if (!lowered) {
                lowered = true;
                BackgroundPriority.lowerCurrentThread(NICE_STEPS);
            }
            SnapshotBuild.Slice slice;
            try {
                slice = b.runSlice();
            } catch (Throwable t) {
                b.error = t;
                slice = SnapshotBuild.Slice.FINISHED;
            }
            if (slice == SnapshotBuild.Slice.MORE) {
                active.add(b);
                continue;
            }
            if (slice == SnapshotBuild.Slice.STANDING_ASIDE) {
                // its dispatcher submits it again as it sends the paths built so far
                continue;
            }
            b.done(true);
            b.owner.wake();
        }
    }
}
