package io.treecast.client;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.util.retry.Retry;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A live local replica of the leaves matching a pattern. It subscribes with a snapshot, applies events with the
 * per-leaf rule (a change is applied only if its seq is newer than the one held for that leaf), and when the
 * stream ends (lost connection, SLOW_CONSUMER, server restart) it reconnects with backoff and resumes with
 * {@code resume_after} = the last seq it applied; a RESET makes it take a fresh snapshot, swapped in whole. Reads
 * always see the state exactly at {@link #seq()}.
 *
 * <pre>{@code
 * try (Mirror fx = client.mirror("markets/eu/fx/**")) {
 *     fx.awaitReady(Duration.ofSeconds(5));
 *     fx.addListener((path, value, seq) -> System.out.println(path + " = " + value));
 *     TreeValue bid = fx.get("markets/eu/fx/EURUSD/bid");
 * }
 * }</pre>
 */
public final class Mirror implements AutoCloseable {
    private static final class Held {
        final TreeValue value;
        final long seq;

        Held(TreeValue value, long seq) {
            this.value = value;
            this.seq = seq;
        }
    }

    private final ReactiveTreecastClient client;
    private final String pattern;
    private final Object lock = new Object();
    private final CopyOnWriteArrayList<MirrorListener> listeners = new CopyOnWriteArrayList<>();
    private Map<String, Held> leaves = new HashMap<>();
    /** Non-null while a snapshot is being received (initial, or after RESET): swapped in at SNAPSHOT_END. */
    private Map<String, Held> pending;
    private long seq = -1;
    private boolean ready;
    private volatile long reconnects;
    private volatile long resets;
    private volatile TreecastClientException failure;
    private final Disposable running;

    Mirror(ReactiveTreecastClient client, String pattern) {
        this.client = client;
        this.pattern = pattern;
        this.running = Flux.defer(this::stream)
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(20)).maxBackoff(Duration.ofSeconds(2))
                        .filter(Mirror::retryable)
                        .doBeforeRetry(s -> reconnects++))
                .subscribe(this::apply, e -> failure = e instanceof TreecastClientException
                        ? (TreecastClientException) e
                        : new TreecastClientException(TreecastClientException.Code.UNKNOWN, String.valueOf(e), e));
    }

    private static boolean retryable(Throwable t) {
        if (!(t instanceof TreecastClientException)) {
            return true;
        }
        switch (((TreecastClientException) t).code()) {
            case INVALID_PATTERN:
            case INVALID_REQUEST:
            case UNAUTHORIZED:
            case FORBIDDEN:
            case CLOSED:
                return false;
            default:
                return true;
        }
    }

    private Flux<TreeEvent> stream() {
        SubscribeSpec spec = SubscribeSpec.pattern(pattern);
        synchronized (lock) {
            spec = ready ? spec.resumeAfter(seq) : spec.snapshot();
            if (!ready) {
                pending = new HashMap<>();
            }
        }
        return client.subscribe(spec);
    }

    private void apply(TreeEvent e) {
        Map<String, TreeValue> notify = null;
        Set<String> removed = null;
        long notifySeq;
        synchronized (lock) {
            switch (e.kind()) {
                case RESET:
                    pending = new HashMap<>();
                    resets++;
                    return;
                case SNAPSHOT:
                    if (pending == null) {
                        pending = new HashMap<>();
                    }
                    for (LeafChange c : e.changes()) {
                        if (!c.isDelete()) {
                            pending.put(c.path(), new Held(c.value(), c.seq()));
                        }
                    }
                    return;
                case SNAPSHOT_END: {
                    Map<String, Held> next = pending == null ? new HashMap<>() : pending;
                    pending = null;
                    notify = new TreeMap<>();
                    removed = new java.util.TreeSet<>(leaves.keySet());
                    removed.removeAll(next.keySet());
                    for (Map.Entry<String, Held> en : next.entrySet()) {
                        Held old = leaves.get(en.getKey());
                        if (old == null || !old.value.equals(en.getValue().value)) {
                            notify.put(en.getKey(), en.getValue().value);
                        }
                    }
                    leaves = next;
                    seq = e.seq();
                    ready = true;
                    lock.notifyAll();
                    notifySeq = seq;
                    break;
                }
                default: {
                    if (pending != null || e.seq() <= seq) {
                        return; // not expected from the server: updates follow SNAPSHOT_END and are newer than it
                    }
                    notify = new java.util.LinkedHashMap<>();
                    removed = new java.util.LinkedHashSet<>();
                    for (LeafChange c : e.changes()) {
                        Held old = leaves.get(c.path());
                        if (old != null && old.seq > c.seq()) {
                            // per-leaf rule: never go back to an older value; an equal seq is a later change of the
                            // same batch (a batch may set one leaf twice), which wins
                            continue;
                        }
                        if (c.isDelete()) {
                            if (old != null) {
                                leaves.remove(c.path());
                                removed.add(c.path());
                            }
                        } else {
                            leaves.put(c.path(), new Held(c.value(), c.seq()));
                            notify.put(c.path(), c.value());
                        }
                    }
                    seq = e.seq();
                    notifySeq = seq;
                }
            }
        }
        for (MirrorListener l : listeners) {
            for (String p : removed) {
                l.changed(p, null, notifySeq);
            }
            for (Map.Entry<String, TreeValue> en : notify.entrySet()) {
                l.changed(en.getKey(), en.getValue(), notifySeq);
            }
        }
    }

    /** The pattern this mirror replicates. */
    public String pattern() {
        return pattern;
    }

    /** The value of the leaf at {@code path}, or {@code null}. */
    public TreeValue get(String path) {
        synchronized (lock) {
            Held h = leaves.get(path);
            return h == null ? null : h.value;
        }
    }

    /** A copy of every leaf, sorted by path, exactly as at {@link #seq()}. */
    public Map<String, TreeValue> entries() {
        synchronized (lock) {
            Map<String, TreeValue> copy = new TreeMap<>();
            leaves.forEach((k, v) -> copy.put(k, v.value));
            return copy;
        }
    }

    /** The seq this mirror is exact at (-1 before the first snapshot). */
    public long seq() {
        synchronized (lock) {
            return seq;
        }
    }

    /** Whether the first snapshot has arrived. */
    public boolean isReady() {
        synchronized (lock) {
            return ready;
        }
    }

    /** How many times the mirror has re-subscribed after its stream ended. */
    public long reconnects() {
        return reconnects;
    }

    /**
     * Whether the mirror still replicates: false after {@link #close()} or after an error that retrying cannot
     * fix (INVALID_PATTERN, UNAUTHORIZED, the client closed...; see {@link #failure()}).
     */
    public boolean isRunning() {
        return !running.isDisposed();
    }

    /** The error that stopped the mirror, or {@code null}. */
    public TreecastClientException failure() {
        return failure;
    }

    /** How many times the server answered a resume with RESET (resume point too old, or a restarted server). */
    public long resets() {
        return resets;
    }

    /** Blocks until the first snapshot has been applied. @return false on timeout */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!ready) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    public void addListener(MirrorListener listener) {
        listeners.add(listener);
    }

    public void removeListener(MirrorListener listener) {
        listeners.remove(listener);
    }

    /** Stops replicating; the last state stays readable. */
    @Override
    public void close() {
        running.dispose();
    }
}
