package io.treecast.fastpath.internal;

import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;

/**
 * The leaf-level changes of one applied batch, kept as an {@code Object} so that the common case needs no copy:
 * the {@link Batch} itself when every change applied as given, a {@code Change[]} when the batch expanded
 * (replacements, subtree deletes) or some change was a no-op, or a {@link Conflated} event in an outbox.
 */
final class Applied {
    private Applied() {
    }

    static int size(Object applied) {
        return applied instanceof Batch ? ((Batch) applied).size() : ((Change[]) applied).length;
    }

    /** The bytes an outbox entry pins ({@link Batch#bytes()}); O(changes) only for expanded batches. */
    static long bytes(Object entry) {
        if (entry instanceof Batch) {
            return ((Batch) entry).bytes();
        }
        if (entry instanceof Conflated) {
            return ((Conflated) entry).bytes;
        }
        return Batch.bytesOf((Change[]) entry);
    }

    static Change change(Object applied, int i) {
        return applied instanceof Batch ? ((Batch) applied).change(i) : ((Change[]) applied)[i];
    }
}
