package io.treecast.gateway;

import io.treecast.fastpath.AckListener;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.OfferResult;
import io.treecast.fastpath.TreePath;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Holds an engine's writer thread, deterministically, for tests of a full inbound queue: an ack listener that waits
 * runs on the writer, so nothing is applied until {@link #release} (or {@link #close}); then {@link #fillQueue} fills
 * the queue. The wait is bounded (60 s) so a failing test never hangs the writer for good.
 *
 * <pre>{@code
 * try (HeldWriter held = HeldWriter.hold(server.engine())) {
 *     held.fillQueue();            // the next offer is BACK_PRESSURED
 *     ...                          // what a full queue does
 *     held.release();              // the writer drains the queue
 * }
 * }</pre>
 */
public final class HeldWriter implements AutoCloseable {
    private final Engine engine;
    private final CountDownLatch release = new CountDownLatch(1);

    private HeldWriter(Engine engine) {
        this.engine = engine;
    }

    /** Returns once the writer is held (in the ack callback of a batch setting {@code hold/it}). */
    public static HeldWriter hold(Engine engine) throws InterruptedException {
        HeldWriter h = new HeldWriter(engine);
        CountDownLatch held = new CountDownLatch(1);
        OfferResult r = engine.offer(set("hold/it"), AckMode.APPLIED, new AckListener() {
            @Override
            public void onAck(long seq) {
                held.countDown();
                try {
                    h.release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onError(ErrorCode code, String message) {
                held.countDown();
            }
        });
        if (r != OfferResult.ACCEPTED || !held.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the writer could not be held: " + r);
        }
        return h;
    }

    /** Offers batches setting {@code fill/0}, {@code fill/1}, ... until the queue refuses one; returns how many it took. */
    public int fillQueue() {
        int n = 0;
        while (engine.offer(set("fill/" + n)) == OfferResult.ACCEPTED) {
            n++;
        }
        return n;
    }

    /** Lets the writer go on: it drains what was queued. */
    public void release() {
        release.countDown();
    }

    @Override
    public void close() {
        release();
    }

    /** A batch of one change setting {@code path} to the integer 1. */
    public static Batch set(String path) {
        return Batch.of(Change.set(TreePath.parse(path), io.treecast.proto.Value.newBuilder().setIntValue(1).build().toByteArray()));
    }
}
