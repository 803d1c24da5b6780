package io.treecast.gateway.internal;

import io.rsocket.Payload;
import io.rsocket.util.ByteBufPayload;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.Leaf;
import io.treecast.fastpath.OfferResult;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.TreePath;
import io.treecast.fastpath.TreeSnapshot;
import io.treecast.gateway.Upstream;
import io.treecast.proto.Policy;
import io.treecast.proto.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps an edge node's follower engine a mirror of the core's whole tree, under the core's seqs: one STRICT
 * {@code **} subscription to the core, whose events are applied with {@link Batch#atSeq} (the core sends every batch
 * that changed a leaf, so a skipped seq was a no-op batch). The first subscription asks for a snapshot; after that
 * it resumes with {@code resume_after} = the last seq applied, so a lost connection, a SLOW_CONSUMER end or a core
 * restart costs nothing but the replay. Only when the core answers with RESET (the resume point left its replay
 * ring) does the follower take the core's snapshot and apply the difference to its own tree as one
 * {@link Batch#rebase}: its subscribers then get that difference as one update, and a resume from a seq it skipped
 * gets RESET from it.
 *
 * <p>Threading: events are decoded and offered on one thread of its own ({@code treecast-upstream}), which may wait
 * when the engine's inbound queue is full (never an event loop). Request-n to the core is what that thread consumed.
 *
 * <pre>{@code
 * UpstreamFollower f = new UpstreamFollower(followerEngine, upstream);
 * f.start();   // ... f.close()
 * }</pre>
 */
public final class UpstreamFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamFollower.class);
    private static final PathPattern ALL = PathPattern.parse("**");
    /** Events per upstream frame, and payloads requested ahead. */
    private static final int EVENTS_PER_FRAME = 256;
    private static final int PREFETCH = 64;
    /** Event kinds (treecast.v1.Event.Kind). */
    private static final int UPDATE = 0;
    private static final int SNAPSHOT = 1;
    private static final int SNAPSHOT_END = 2;
    private static final int RESET = 3;

    private final Engine engine;
    private final Upstream upstream;
    private final int outboxCapacity;
    private final Scheduler thread = Schedulers.newSingle("treecast-upstream", true);
    /** Written on the follower thread only. */
    private volatile long lastOffered;
    private volatile boolean connected;
    /** When the stream from the core was lost (or the follower started without one); 0 while connected. */
    private volatile long lostAtNanos = System.nanoTime() | 1;
    private volatile boolean closed;
    private volatile String failure;
    private volatile Disposable stream;
    private Map<String, byte[]> collecting;
    /**
     * Whether the engine holds the core's state at {@link #lastOffered} (after the first snapshot, even an empty
     * one at seq 0): from then on the follower resumes by seq, never asks for a snapshot again.
     */
    private boolean synced;
    private long backoffMillis = 20;
    private long reconnects;

    public UpstreamFollower(Engine engine, Upstream upstream, int outboxCapacity) {
        this.engine = engine;
        this.upstream = upstream;
        this.outboxCapacity = outboxCapacity;
    }

    public void start() {
        thread.schedule(this::subscribe);
    }

    /** The last upstream seq handed to the engine. */
    public long lastSeq() {
        return lastOffered;
    }

    /** Whether the subscription to the core is open and has delivered since it was (re)opened. */
    public boolean connected() {
        return connected;
    }

    /** Nanoseconds since the stream from the core was lost (or since the start, before the first event); 0 while connected. */
    public long lostForNanos() {
        long at = lostAtNanos;
        return at == 0 ? 0 : Math.max(1, System.nanoTime() - at);
    }

    /** Why the follower stopped for good (the core's seq went back), or null. */
    public String failure() {
        return failure;
    }

    /** Times the subscription to the core was opened again after it ended. */
    public long reconnects() {
        return reconnects;
    }

    private void subscribe() {
        if (closed || failure != null) {
            return;
        }
        collecting = null;
        Subscribe.Builder request = Subscribe.newBuilder().setPattern("**").setPolicy(Policy.STRICT)
                .setMaxEventsPerFrame(EVENTS_PER_FRAME).setOutboxCapacity(outboxCapacity);
        long from = lastOffered;
        if (synced) {
            request.setResumeAfter(from);
        } else {
            request.setSnapshot(true);
        }
        byte[] data = request.build().toByteArray();
        stream = upstream.connect()
                .flatMapMany(rsocket -> rsocket.requestStream(ByteBufPayload.create(
                        io.netty.buffer.Unpooled.wrappedBuffer(data), Routing.metadata(Routing.SUBSCRIBE))))
                .publishOn(thread, PREFETCH)
                .subscribe(this::onPayload, this::onError, () -> onEnd("the core completed the stream"));
    }

    private void onPayload(Payload payload) {
        try {
            if (!connected) {
                connected = true;
                lostAtNanos = 0;
                backoffMillis = 20;
                LOG.info("Following the core at {} from seq {}", upstream.address(), lastOffered);
            }
            // length-delimited Events, read in place (no generated classes; paths from this thread's PathCache)
            io.netty.buffer.ByteBuf data = payload.data();
            int at = data.readerIndex();
            int end = at + data.readableBytes();
            while (at < end && !closed && failure == null) {
                long length = 0;
                int shift = 0;
                byte b;
                do {
                    b = data.getByte(at++);
                    length |= (long) (b & 0x7F) << shift;
                    shift += 7;
                } while (b < 0 && shift < 35);
                if (length < 0 || length > end - at) {
                    throw new IOException("an event of " + length + " bytes does not fit the frame's " + (end - at));
                }
                onEvent(BatchReader.ofEvent(data.slice(at, (int) length)));
                at += (int) length;
            }
        } catch (IOException | RuntimeException e) {
            // a frame the follower cannot read: drop the stream and resume from the last seq applied
            LOG.error("Could not apply an event from the core at {} (resuming after seq {})", upstream.address(), lastOffered, e);
            Disposable s = stream;
            if (s != null) {
                s.dispose();
            }
            onEnd("an unreadable event: " + e);
        } finally {
            payload.release();
        }
    }

    private void onEvent(BatchReader event) throws IOException {
        long seq = event.eventSeq();
        switch (event.eventKind()) {
            case UPDATE: {
                if (seq <= lastOffered) {
                    return; // already applied (cannot happen with resume_after, but never apply twice)
                }
                Change[] changes = new Change[event.changeCount()];
                int n = 0;
                while (event.nextChange()) {
                    changes[n++] = event.isDelete() ? Change.delete(event.path()) : Change.set(event.path(), event.valueBytes());
                }
                offer(Batch.of(n == changes.length ? changes : Arrays.copyOf(changes, n)).atSeq(seq));
                return;
            }
            case RESET:
                collecting = new HashMap<>();
                return;
            case SNAPSHOT:
                if (collecting == null) {
                    collecting = new HashMap<>();
                }
                while (event.nextChange()) {
                    collecting.put(event.path().toString(), event.valueBytes());
                }
                return;
            case SNAPSHOT_END:
                rebase(seq, collecting == null ? Map.of() : collecting);
                collecting = null;
                return;
            default:
                // an event kind this follower does not know: resuming would not help, skip it
        }
    }

    /** The core's state at {@code seq} is {@code leaves}: apply the difference to the follower's tree. */
    private void rebase(long seq, Map<String, byte[]> leaves) {
        long last = lastOffered;
        while (engine.currentSeq() < last && !closed) {
            LockSupport.parkNanos(100_000); // the follower's own batches are still being applied
        }
        TreeSnapshot mine = engine.get(ALL).join();
        List<Change> diff = new ArrayList<>();
        Map<String, byte[]> remaining = new HashMap<>(leaves);
        for (Leaf leaf : mine.leaves()) {
            byte[] theirs = remaining.remove(leaf.path().toString());
            if (theirs == null) {
                diff.add(Change.delete(leaf.path()));
            } else if (!Arrays.equals(theirs, leaf.value())) {
                diff.add(Change.set(leaf.path(), theirs));
            }
        }
        remaining.forEach((path, value) -> diff.add(Change.set(TreePath.parse(path), value)));
        if (seq < last || (seq == last && !diff.isEmpty())) {
            failure = "the core's seq went back from " + last + " to " + seq + " (a core that restarted without its "
                    + "journal?): this edge cannot keep the core's seq; restart the edge";
            LOG.error("Stopped following the core at {}: {}", upstream.address(), failure);
            Disposable s = stream;
            if (s != null) {
                s.dispose();
            }
            return;
        }
        if (seq == last) {
            synced = true;
            return; // nothing changed, not even the seq
        }
        LOG.info("The core at {} answered with a snapshot at seq {} (this edge was at {}): {} leaves changed",
                upstream.address(), seq, last, diff.size());
        offer(Batch.rebase(seq, diff));
    }

    private void offer(Batch batch) {
        OfferResult r;
        while ((r = engine.offer(batch)) == OfferResult.BACK_PRESSURED && !closed) {
            LockSupport.parkNanos(50_000); // the engine's queue is full: wait on this thread, not drop a batch
        }
        if (r == OfferResult.ACCEPTED) {
            lastOffered = batch.seq();
            synced = true;
        }
    }

    private void onError(Throwable t) {
        onEnd(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
    }

    private void onEnd(String why) {
        boolean was = connected;
        connected = false;
        if (was) {
            lostAtNanos = System.nanoTime() | 1;
        }
        if (closed || failure != null) {
            return;
        }
        if (was) {
            LOG.warn("Lost the stream from the core at {} ({}); resuming after seq {}", upstream.address(), why, lastOffered);
        } else if (backoffMillis >= 2000) {
            LOG.debug("The core at {} is still unreachable ({})", upstream.address(), why);
        } else if (backoffMillis == 20) {
            LOG.warn("Cannot follow the core at {} ({}); retrying", upstream.address(), why);
        }
        long delay = backoffMillis;
        backoffMillis = Math.min(2000, backoffMillis * 2);
        reconnects++;
        thread.schedule(this::subscribe, delay, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        Disposable s = stream;
        if (s != null) {
            s.dispose();
        }
        thread.dispose();
    }
}
