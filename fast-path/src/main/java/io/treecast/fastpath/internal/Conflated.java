package io.treecast.fastpath.internal;

import io.treecast.fastpath.TreePath;

/** An outbox entry made by conflation: the newest pending change of each leaf, each with its own seq. */
final class Conflated {
    final TreePath[] paths;
    final byte[][] values;
    final long[] seqs;
    final long seq;

    Conflated(TreePath[] paths, byte[][] values, long[] seqs, long seq) {
        this.paths = paths;
        this.values = values;
        this.seqs = seqs;
        this.seq = seq;
    }
}
