package io.treecast.observability.internal;

import io.treecast.fastpath.EngineStats;
import io.treecast.observability.DurabilityProbe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Liveness and readiness of one server, and the log lines of their changes. The monitor thread calls
 * {@link #refresh()} once a second (it asks Kafka, which may block); the HTTP threads read the result.
 *
 * <ul>
 *   <li>live: the process answers and, once the engine runs, its writer thread is alive and not stuck (no duty cycle
 *       finished for the stuck threshold while batches wait: {@link WriterWatchdog});</li>
 *   <li>ready: state recovered (the server started), listeners open, and Kafka reachable with a healthy journal,
 *       or unreachable for less than the degraded budget.</li>
 * </ul>
 */
public final class Health {
    private static final Logger LOG = LoggerFactory.getLogger(Health.class);

    /** Where the server is in its life. */
    public enum Phase { STARTING, RECOVERING, SERVING, STOPPING }

    /** A verdict and the reason a person reads. */
    public record Check(boolean ok, String reason) {
    }

    private final long degradedBudgetNanos;
    private volatile Phase phase = Phase.STARTING;
    private volatile Served server;
    private volatile DurabilityProbe durability;
    private volatile boolean kafkaReachable = true;
    /** When Kafka (or the journal) was first seen unhealthy in the current outage; 0 while healthy. */
    private volatile long unhealthySinceNanos;
    // monitor-thread state for logging changes once
    private Boolean lastReady;
    private boolean lastDegraded;

    private final WriterWatchdog writer;

    public Health(long degradedBudgetNanos) {
        this(degradedBudgetNanos, java.util.concurrent.TimeUnit.SECONDS.toNanos(10));
    }

    /** @param writerStuckAfterNanos how long the writer may finish no duty cycle while work waits before /health says 503 */
    public Health(long degradedBudgetNanos, long writerStuckAfterNanos) {
        this.degradedBudgetNanos = degradedBudgetNanos;
        this.writer = new WriterWatchdog(writerStuckAfterNanos);
    }

    public void phase(Phase p) {
        this.phase = p;
    }

    public Phase phase() {
        return phase;
    }

    public void attach(Served server, DurabilityProbe durabilityOrNull) {
        this.durability = durabilityOrNull;
        this.server = server;
        this.phase = Phase.SERVING;
    }

    public boolean kafkaReachable() {
        return kafkaReachable;
    }

    /** Checks Kafka (may block about a second) and logs each change of readiness and of degradation once. */
    public synchronized void refresh() {
        DurabilityProbe d = durability;
        if (d != null && phase == Phase.SERVING) {
            boolean reachable;
            boolean journal;
            try {
                reachable = d.kafkaReachable();
                journal = d.journalHealthy();
                d.refresh();
            } catch (RuntimeException e) {
                reachable = false;
                journal = false;
            }
            kafkaReachable = reachable;
            if (reachable && journal) {
                unhealthySinceNanos = 0;
            } else if (unhealthySinceNanos == 0) {
                unhealthySinceNanos = System.nanoTime();
            }
        }
        Served s = server;
        if (s != null && phase == Phase.SERVING) {
            EngineStats stats = s.engine().stats();
            boolean wasStuck = writer.stuckForNanos() > 0;
            boolean stuck = writer.observe(System.nanoTime(), stats.inboundDepth(), stats.batchesApplied(), stats.writerBusyNanos());
            if (stuck != wasStuck) {
                if (stuck) {
                    LOG.error("the engine's writer thread is stuck: no duty cycle finished for {} ms while {} batches wait; /health answers 503",
                            writer.stuckForNanos() / 1_000_000, writer.waiting());
                } else {
                    LOG.info("the engine's writer thread makes progress again");
                }
            }
            boolean degraded = s.engine().degraded();
            if (degraded != lastDegraded) {
                lastDegraded = degraded;
                if (degraded) {
                    LOG.warn("degraded: the journal is unhealthy or its backlog passed half of engine.journal-capacity "
                            + "(seq {}, durable seq {}); writes continue until the backlog is full", s.engine().currentSeq(), s.engine().durableSeq());
                } else {
                    LOG.info("no longer degraded: the journal keeps up again (seq {}, durable seq {})", s.engine().currentSeq(), s.engine().durableSeq());
                }
            }
        }
        Check ready = ready();
        if (lastReady == null || lastReady != ready.ok()) {
            if (ready.ok()) {
                LOG.info("ready: {}", ready.reason());
            } else if (lastReady != null || phase == Phase.SERVING) {
                LOG.warn("not ready: {}", ready.reason());
            }
            lastReady = ready.ok();
        }
    }

    /** Live: the process answers (it does, if this runs) and the engine's writer thread is alive once started. */
    public Check live() {
        Served s = server;
        if (s == null) {
            return new Check(true, "process alive, " + phase.name().toLowerCase() + " (the engine is not started yet)");
        }
        EngineStats stats = s.engine().stats();
        if (!stats.writerAlive() && phase != Phase.STOPPING) {
            return new Check(false, "the engine's writer thread is not running: the server cannot apply updates; restart it");
        }
        long stuck = writer.stuckForNanos();
        if (stuck > 0 && phase != Phase.STOPPING) {
            return new Check(false, "the engine's writer thread is stuck: no duty cycle finished for " + stuck / 1_000_000
                    + " ms while " + writer.waiting() + " batches wait (more than " + writer.stuckAfterNanos() / 1_000_000
                    + " ms): updates are accepted but not applied; take a thread dump, then restart the server");
        }
        long silent = s.eventLoopSilenceNanos();
        if (silent > writer.stuckAfterNanos() && phase != Phase.STOPPING) {
            return new Check(false, "an event loop of the server has run no task for " + silent / 1_000_000
                    + " ms (more than " + writer.stuckAfterNanos() / 1_000_000 + " ms): the connections it serves get no answer; "
                    + "take a thread dump, then restart the server");
        }
        return new Check(true, "process alive, engine writer thread alive, seq " + stats.seq());
    }

    /** Ready: recovered, listening, and Kafka reachable or unreachable for less than the degraded budget. */
    /**
     * An edge is ready while it follows its core; a lost core is tolerated for the degraded budget (a core restart),
     * after which the edge's data is not current and clients are better served by another edge.
     */
    private Check edgeReady(Served s) {
        String failure = s.upstreamFailure();
        if (failure != null) {
            return new Check(false, "this edge stopped following its core: " + failure);
        }
        long lost = s.upstreamLostNanos();
        if (lost == 0) {
            return new Check(true, "serving as an edge, following its core at seq " + s.engine().currentSeq());
        }
        long outMillis = lost / 1_000_000;
        long budgetMillis = degradedBudgetNanos / 1_000_000;
        if (outMillis < budgetMillis) {
            return new Check(true, "serving degraded: this edge has not reached its core for " + outMillis
                    + " ms, within the budget of " + budgetMillis + " ms (metrics.ready-degraded-budget-ms)");
        }
        return new Check(false, "this edge has not reached its core for " + outMillis + " ms, past the budget of "
                + budgetMillis + " ms (metrics.ready-degraded-budget-ms): its data is not current and writes get UNAVAILABLE");
    }

    public Check ready() {
        Phase p = phase;
        Served s = server;
        if (p == Phase.STOPPING) {
            return new Check(false, "shutting down");
        }
        if (p == Phase.RECOVERING) {
            return new Check(false, "recovering the tree from the durable state");
        }
        if (p == Phase.STARTING || s == null) {
            return new Check(false, "starting: Kafka and the engine are not up yet");
        }
        if (!s.listening()) {
            return new Check(false, "the RSocket listeners are closed");
        }
        if (!s.engine().stats().writerAlive()) {
            return new Check(false, "the engine's writer thread is not running");
        }
        if (writer.stuckForNanos() > 0) {
            return new Check(false, "the engine's writer thread is stuck (see /health)");
        }
        if (s.eventLoopSilenceNanos() > writer.stuckAfterNanos()) {
            return new Check(false, "an event loop of the server is stuck (see /health)");
        }
        if (s.isEdge()) {
            return edgeReady(s);
        }
        DurabilityProbe d = durability;
        if (d == null) {
            return new Check(true, "serving in memory (no durability)");
        }
        long since = unhealthySinceNanos;
        if (since == 0) {
            return new Check(true, "serving; Kafka reachable, durable seq " + d.durableSeq());
        }
        long outMillis = (System.nanoTime() - since) / 1_000_000;
        long budgetMillis = degradedBudgetNanos / 1_000_000;
        if (outMillis < budgetMillis) {
            return new Check(true, "serving degraded: Kafka unreachable or not acknowledging for " + outMillis
                    + " ms, within the budget of " + budgetMillis + " ms (metrics.ready-degraded-budget-ms)");
        }
        return new Check(false, "Kafka unreachable or not acknowledging for " + outMillis + " ms, past the budget of "
                + budgetMillis + " ms (metrics.ready-degraded-budget-ms): updates are not becoming durable");
    }
}
