package io.treecast.fastpath.internal;

import io.treecast.fastpath.TreePath;

/** An outbox entry made by conflation: the newest pending change of each leaf, each with its own seq. */
final class Conflated {
    final TreePath[] paths;
    final byte[][] values;
    final long[] seqs;
    final long seq;
    /** What it counts against its subscription's {@code engine.outbox-max-bytes} (as {@code Batch.bytes()}). */
    final long bytes;

    Conflated(TreePath[] paths, byte[][] values, long[] seqs, long seq) {
        this.paths = paths;
        this.values = values;
        this.seqs = seqs;
        this.seq = seq;
        long b = 0;
        for (int i = 0; i < paths.length; i++) {
            b += paths[i].utf8().length + (values[i] == null ? 0 : values[i].length) + io.treecast.fastpath.Batch.CHANGE_OVERHEAD_BYTES;
        }
        this.bytes = b;
    }
}
