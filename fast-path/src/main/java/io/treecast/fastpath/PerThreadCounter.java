package io.treecast.fastpath;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A counter that each thread adds to in its own cell, with no atomic instruction and no shared cache line: for
 * counts taken on every delivered event by the event loops and dispatchers. A {@link java.util.concurrent.atomic.LongAdder}
 * has at most as many cells as the machine has cores, so on a 2-core machine four event loops share two cells and
 * every add is a contended compare-and-set (it showed as up to 6 % of the server's CPU at 50,000 updates/s).
 * {@link #sum()} reads every cell racily, as a metrics scrape may.
 *
 * <p>Each thread that ever adds keeps one small cell for the counter's life: meant for a fixed set of long-lived
 * threads (event loops, dispatchers, the writer), not for a counter that any short-lived thread may touch.
 *
 * <pre>{@code
 * PerThreadCounter delivered = new PerThreadCounter();
 * delivered.add(3);                 // on an event loop, per event: a plain add to this thread's cell
 * long total = delivered.sum();     // a metrics scrape, on any thread
 * }</pre>
 */
public final class PerThreadCounter {
    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(Cell.class, "value", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One thread's count; only that thread writes it. */
    private static final class Cell {
        @SuppressWarnings("unused") // through VALUE
        private long value;
    }

    private final CopyOnWriteArrayList<Cell> cells = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Cell> mine = ThreadLocal.withInitial(this::newCell);

    private Cell newCell() {
        Cell c = new Cell();
        cells.add(c);
        return c;
    }

    /** Adds {@code n} to this thread's cell. */
    public void add(long n) {
        Cell c = mine.get();
        // the owner is the only writer: a plain read and an opaque write (atomic for long, never torn) suffice
        VALUE.setOpaque(c, (long) VALUE.get(c) + n);
    }

    /** Adds one. */
    public void increment() {
        add(1);
    }

    /** The sum of every thread's cell (racy: adds in progress may or may not be counted). */
    public long sum() {
        long sum = 0;
        for (Cell c : cells) {
            sum += (long) VALUE.getOpaque(c);
        }
        return sum;
    }
}
