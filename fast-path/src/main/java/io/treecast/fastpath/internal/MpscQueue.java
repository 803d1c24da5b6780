package io.treecast.fastpath.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A bounded multi-producer, single-consumer array queue (per-slot sequence numbers, as in D. Vyukov's bounded
 * queue). {@link #offer} never blocks and returns false when full. Written with VarHandles rather than Agrona's
 * queue because Agrona 2.x reaches into {@code jdk.internal.misc.Unsafe}, which would force an
 * {@code --add-exports} flag on every JVM that embeds the engine.
 */
final class MpscQueue<E> {
    private static final VarHandle SEQ = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle ELEM = MethodHandles.arrayElementVarHandle(Object[].class);

    private final long[] sequences;
    private final Object[] elements;
    private final int mask;
    private final AtomicLong tail = new AtomicLong();
    private volatile long head;

    MpscQueue(int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two, was " + capacity);
        }
        sequences = new long[capacity];
        elements = new Object[capacity];
        mask = capacity - 1;
        for (int i = 0; i < capacity; i++) {
            sequences[i] = i;
        }
    }

    boolean offer(E e) {
        while (true) {
            long t = tail.get();
            int i = (int) (t & mask);
            long s = (long) SEQ.getAcquire(sequences, i);
            if (s == t) {
                if (tail.compareAndSet(t, t + 1)) {
                    ELEM.setOpaque(elements, i, e);
                    SEQ.setRelease(sequences, i, t + 1);
                    return true;
                }
            } else if (s < t) {
                return false; // the slot still holds an element from one lap ago: full
            }
            // s > t: another producer took this slot; retry with the new tail
        }
    }

    /** Hands up to {@code limit} elements to {@code consumer}; returns how many. Consumer thread only. */
    @SuppressWarnings("unchecked")
    int drain(Consumer<E> consumer, int limit) {
        long h = head;
        int n = 0;
        while (n < limit) {
            int i = (int) (h & mask);
            if ((long) SEQ.getAcquire(sequences, i) != h + 1) {
                break;
            }
            E e = (E) ELEM.getOpaque(elements, i);
            ELEM.setOpaque(elements, i, null);
            SEQ.setRelease(sequences, i, h + mask + 1);
            h++;
            head = h;
            n++;
            consumer.accept(e);
        }
        return n;
    }

    boolean isEmpty() {
        long h = head;
        return (long) SEQ.getAcquire(sequences, (int) (h & mask)) != h + 1;
    }

    int size() {
        return (int) Math.max(0, Math.min(mask + 1, tail.get() - head));
    }
}
