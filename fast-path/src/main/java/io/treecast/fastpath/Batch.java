package io.treecast.fastpath;

import java.util.List;

/**
 * One or more changes applied atomically under one seq. Immutable, so the same batch may be offered many times
 * (each time it gets a new seq).
 *
 * <pre>{@code
 * engine.offer(Batch.of(
 *         Change.set(TreePath.parse("fx/EURUSD/bid"), bid),
 *         Change.set(TreePath.parse("fx/EURUSD/ask"), ask)));
 * }</pre>
 */
public final class Batch {
    /**
     * What the engine counts for one change held in memory besides its path and value bytes (the {@code Change}
     * object and its slot), so that budgets in bytes also see batches of many tiny changes.
     */
    public static final int CHANGE_OVERHEAD_BYTES = 32;

    private final Change[] changes;
    /** Computed once by the producer, so that the writer's budget checks cost nothing per change. */
    private final long bytes;
    private final int sets;
    private final long setBytes;
    private final int setSegments;

    private Batch(Change[] changes) {
        if (changes.length == 0) {
            throw new TreecastException(ErrorCode.INVALID_BATCH, "a batch needs at least one change");
        }
        long total = 0;
        int setCount = 0;
        long setTotal = 0;
        int segs = 0;
        for (Change c : changes) {
            if (c == null) {
                throw new NullPointerException("a batch cannot contain null changes");
            }
            long b = c.path().utf8().length + (c.isDelete() ? 0 : c.value().length);
            total += b + CHANGE_OVERHEAD_BYTES;
            if (!c.isDelete()) {
                setCount++;
                setTotal += b;
                segs += c.path().depth();
            }
        }
        this.changes = changes;
        this.bytes = total;
        this.sets = setCount;
        this.setBytes = setTotal;
        this.setSegments = segs;
    }

    public static Batch of(Change... changes) {
        return new Batch(changes.clone());
    }

    public static Batch of(List<Change> changes) {
        return new Batch(changes.toArray(new Change[0]));
    }

    public int size() {
        return changes.length;
    }

    public Change change(int i) {
        return changes[i];
    }

    /**
     * The memory the engine counts for this batch where it keeps it (the replay ring): the UTF-8 bytes of every
     * path, the bytes of every value and {@link #CHANGE_OVERHEAD_BYTES} per change.
     */
    public long bytes() {
        return bytes;
    }

    /** How many changes are {@code set}s: at most this many leaves can the batch add to the tree. */
    public int sets() {
        return sets;
    }

    /** The path and value bytes of the {@code set}s: at most this much can the batch add to the tree's bytes. */
    public long setBytes() {
        return setBytes;
    }

    /** The segments of the {@code set}s' paths: at most this many nodes can the batch add to the tree. */
    public int setSegments() {
        return setSegments;
    }

    /** {@link #bytes()} of any array of changes (the engine's expanded batches). */
    public static long bytesOf(Change[] changes) {
        long total = 0;
        for (Change c : changes) {
            total += c.path().utf8().length + (c.isDelete() ? 0 : c.value().length) + CHANGE_OVERHEAD_BYTES;
        }
        return total;
    }
}
