package io.treecast.fastpath.internal;

import io.treecast.fastpath.AckListener;

import java.util.Arrays;
import java.util.function.BiConsumer;

/**
 * The writer's pending acks: APPLIED ones completed once per duty cycle (after {@code currentSeq} is published), and
 * DURABLE ones completed in seq order as the journal's durable watermark passes them. Writer thread only; arrays
 * that grow when needed and are reused, so an acked offer costs no allocation here in steady state.
 */
final class AckQueues {
    private final BiConsumer<String, Throwable> onListenerError;
    private long[] appliedSeq = new long[64];
    private AckListener[] appliedListener = new AckListener[64];
    private int appliedCount;
    private long[] durableSeq = new long[64];
    private AckListener[] durableListener = new AckListener[64];
    private int durableHead;
    private int durableTail;

    /** {@code onListenerError}: told (where, what) when a listener throws; the others still get their acks. */
    AckQueues(BiConsumer<String, Throwable> onListenerError) {
        this.onListenerError = onListenerError;
    }

    /** Batch {@code seq} was applied: {@code listener} hears it at the end of this duty cycle. */
    void addApplied(long seq, AckListener listener) {
        if (appliedCount == appliedSeq.length) {
            appliedSeq = Arrays.copyOf(appliedSeq, appliedCount * 2);
            appliedListener = Arrays.copyOf(appliedListener, appliedCount * 2);
        }
        appliedSeq[appliedCount] = seq;
        appliedListener[appliedCount++] = listener;
    }

    /** Batch {@code seq} was applied: {@code listener} hears it once the journal made it durable. */
    void addDurable(long seq, AckListener listener) {
        int size = durableTail - durableHead;
        if (durableTail == durableSeq.length) {
            // compact, then grow when more than half is in use
            System.arraycopy(durableSeq, durableHead, durableSeq, 0, size);
            System.arraycopy(durableListener, durableHead, durableListener, 0, size);
            Arrays.fill(durableListener, size, durableTail, null);
            durableHead = 0;
            durableTail = size;
            if (size * 2 > durableSeq.length) {
                durableSeq = Arrays.copyOf(durableSeq, durableSeq.length * 2);
                durableListener = Arrays.copyOf(durableListener, durableListener.length * 2);
            }
        }
        durableSeq[durableTail] = seq;
        durableListener[durableTail++] = listener;
    }

    /** Completes every APPLIED ack of this cycle. */
    void completeApplied() {
        for (int i = 0; i < appliedCount; i++) {
            AckListener l = appliedListener[i];
            appliedListener[i] = null;
            try {
                l.onAck(appliedSeq[i]);
            } catch (Throwable t) {
                onListenerError.accept("an APPLIED ack listener", t);
            }
        }
        appliedCount = 0;
    }

    /** Completes the DURABLE acks up to {@code durable}, in seq order; returns how many. */
    /** Acks wait for the journal's durable watermark, which is polled: the writer must not park for long. */
    boolean awaitingDurable() {
        return durableTail != durableHead;
    }

    int completeDurable(long durable) {
        int n = 0;
        while (durableHead < durableTail && durableSeq[durableHead] <= durable) {
            AckListener l = durableListener[durableHead];
            durableListener[durableHead] = null;
            try {
                l.onAck(durableSeq[durableHead]);
            } catch (Throwable t) {
                onListenerError.accept("a DURABLE ack listener", t);
            }
            durableHead++;
            n++;
        }
        if (durableHead == durableTail) {
            durableHead = 0;
            durableTail = 0;
        }
        return n;
    }
}
