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
    private final Change[] changes;

    private Batch(Change[] changes) {
        if (changes.length == 0) {
            throw new TreecastException(ErrorCode.INVALID_BATCH, "a batch needs at least one change");
        }
        for (Change c : changes) {
            if (c == null) {
                throw new NullPointerException("a batch cannot contain null changes");
            }
        }
        this.changes = changes;
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
}
