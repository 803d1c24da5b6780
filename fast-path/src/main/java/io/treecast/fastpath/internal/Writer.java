package io.treecast.fastpath.internal;

import io.treecast.fastpath.AckListener;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.EngineConfig;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.Journal;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The writer thread ({@code treecast-writer}) and what it alone owns: the bounded MPSC inbound queue it drains, the
 * control queue of (un)registrations, {@code currentSeq}, the pending acks, the producer side of the journal feed and
 * the admission checks (follower order, journal backlog, tree budget) before a batch is applied to the
 * {@link EngineCore}. Duty cycle and idle strategy: fast-path/README.md, "Writer".
 *
 * <pre>{@code
 * Writer w = new Writer(engine, config, core, dispatchers, null, feed, durable, 0);
 * w.thread.start();
 * w.offer(batch);   // any thread: false when the inbound queue is full
 * }</pre>
 */
final class Writer implements Runnable {
    private static final System.Logger LOG = System.getLogger(Writer.class.getName());

    /** An acked offer: the only allocation on the ingress path, and only when an ack is wanted. */
    static final class Offer {
        final Batch batch;
        final AckMode mode;
        final AckListener listener;

        Offer(Batch batch, AckMode mode, AckListener listener) {
            this.batch = batch;
            this.mode = mode;
            this.listener = listener;
        }
    }

    static final class Cancel {
        final Sub sub;

        Cancel(Sub sub) {
            this.sub = sub;
        }
    }

    /** The park while something is polled ({@link #pollWanted}): the bound on how late a polled condition is seen. */
    static final long POLL_PARK_NANOS = 1_000_000L;
    /** The park while nothing is polled: a safety net only, every offer, registration and stop unparks the writer. */
    static final long IDLE_PARK_NANOS = 100_000_000L;
    private final DefaultEngine engine;
    private final EngineConfig config;
    private final EngineCore core;
    private final Journal journal;
    private final JournalFeedRing feed;
    /** The journal's durable watermark (raised through the feed). */
    private final AtomicLong durable;
    private final MpscQueue<Object> inbound;
    private final ConcurrentLinkedQueue<Object> control = new ConcurrentLinkedQueue<>();
    private final Dispatcher[] dispatchers;
    /** The dispatcher the writer runs itself when {@code dispatcherThreads = 0}, else null. */
    private final Dispatcher inlineDispatcher;
    private final IdleStrategy idle;
    final Thread thread;
    /** The writer is parked (or about to park): producers unpark it. */
    private volatile boolean parked;
    private volatile boolean stopping;
    /** Consecutive cycles without work; writer thread only. */
    private int idleCycles;
    /** The seq of the last batch applied, published once per burst. */
    volatile long currentSeq;
    /** Nanoseconds spent in cycles that did work (writer-owned, read racily for the busy ratio). */
    long busyNanos;
    final AtomicLong rejected = new AtomicLong();
    /** Batches refused by the tree budget (a subset of {@link #rejected}). */
    final LongAdder budgetRefusals = new LongAdder();
    /** Acks waiting for the end of the cycle or for the durable watermark. */
    private final AckQueues acks;
    private final Consumer<Object> onInbound = this::onInbound;

    Writer(DefaultEngine engine, EngineConfig config, EngineCore core, Dispatcher[] dispatchers, Dispatcher inlineDispatcher,
           JournalFeedRing feed, AtomicLong durable, long startSeq) {
        this.engine = engine;
        this.config = config;
        this.core = core;
        this.journal = config.journal();
        this.feed = feed;
        this.durable = durable;
        this.dispatchers = dispatchers;
        this.inlineDispatcher = inlineDispatcher;
        this.currentSeq = startSeq;
        this.inbound = new MpscQueue<>(config.inboundQueueCapacity());
        this.idle = idleStrategy(config);
        this.acks = new AckQueues(engine::loopError);
        this.thread = new Thread(this, "treecast-writer");
        thread.setDaemon(false);
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

    /** Any thread: queues a {@link Batch} or an {@link Offer} and wakes a parked writer; false when the inbound queue is full. */
    boolean offer(Object batchOrOffer) {
        if (!inbound.offer(batchOrOffer)) {
            return false;
        }
        wake();
        return true;
    }

    /** One volatile read per offer; an unpark only when the writer is parked. */
    void wake() {
        if (parked) {
            LockSupport.unpark(thread);
        }
    }

    /** Any thread: the writer puts {@code sub} into the index at its next cycle (that seq is the sub's S0). */
    void register(Sub sub) {
        control.add(sub);
        wake();
    }

    /** Any thread: the writer takes {@code sub} out of the index and releases its outbox. */
    void forget(Sub sub) {
        control.add(new Cancel(sub));
        wake();
    }

    int inboundSize() {
        return inbound.size();
    }

    /** The loop ends once the queues are empty. */
    void stop() {
        stopping = true;
        wake();
    }

    boolean stopping() {
        return stopping;
    }

    @Override
    public void run() {
        while (true) {
            int work = 0;
            long cycleStart = System.nanoTime();
            try {
                work += drainControl();
                work += inbound.drain(onInbound, 256);
                if (work > 0) {
                    currentSeq = core.seq();
                    acks.completeApplied();
                }
                work += acks.completeDurable(durable.get());
                work += core.flushConflated();
                wakeTouched();
                if (inlineDispatcher != null) {
                    // fewer threads than hand-offs on small machines: the writer delivers what it just applied
                    work += inlineDispatcher.pass();
                }
                if (work > 0) {
                    busyNanos += System.nanoTime() - cycleStart;
                }
            } catch (Throwable t) {
                if (t instanceof IllegalStateException && String.valueOf(t.getMessage()).contains("invariant")) {
                    LOG.log(System.Logger.Level.ERROR, "treecast engine '" + config.treeId() + "' stops: its state may be corrupt", t);
                    engine.closed = true;
                    throw t;
                }
                engine.loopError("the writer loop", t);
                currentSeq = core.seq();
            }
            if (stopping && inbound.isEmpty() && control.isEmpty()) {
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
            parked = true;
            if (inbound.size() == 0 && control.isEmpty() && !stopping
                    && (inlineDispatcher == null || !inlineDispatcher.signaled())) {
                LockSupport.parkNanos(this, pollWanted() ? POLL_PARK_NANOS : IDLE_PARK_NANOS);
            }
            parked = false;
        }
    }

    /**
     * Whether something waits on a condition the writer polls rather than is told about: acks waiting for the
     * journal's durable watermark, conflated changes waiting for their outbox to drain, an inline dispatcher's
     * subscriptions. Otherwise every way work arrives unparks the writer, and it sleeps for {@link #IDLE_PARK_NANOS}:
     * on a virtual machine each timed wake-up costs ~30 core-µs, so 1 ms polls alone kept an idle writer at ~3 % of a
     * core.
     */
    private boolean pollWanted() {
        return inlineDispatcher != null || acks.awaitingDurable() || core.anyConflating();
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
                acks.addApplied(seq, listener);
            } else {
                acks.addDurable(seq, listener);
            }
        }
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
}
