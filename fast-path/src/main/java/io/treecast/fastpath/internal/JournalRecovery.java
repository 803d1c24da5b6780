package io.treecast.fastpath.internal;

import io.treecast.fastpath.Journal;
import io.treecast.fastpath.RecordVisitor;
import io.treecast.fastpath.TreePath;

/**
 * Guarantee 6 (restart): before the engine accepts writes, the journal's durable state is loaded into the tree on the
 * starting thread, and seq continues above every seq ever issued: max(the journal's high-water mark, the newest leaf).
 *
 * <pre>{@code long start = JournalRecovery.recover(journal, core); // core.seq() == start}</pre>
 */
final class JournalRecovery {
    private JournalRecovery() {
    }

    /** Loads {@code journal}'s leaves into {@code core}'s tree and sets its seq; returns that seq. */
    static long recover(Journal journal, EngineCore core) {
        Tree tree = core.tree();
        long[] maxLeaf = {0};
        Tree.SegmentCache segments = new Tree.SegmentCache();
        long hwm = journal.recover(new RecordVisitor() {
            @Override
            public void leaf(TreePath path, byte[] value, long seq) {
                tree.load(path, value, seq);
                maxLeaf[0] = Math.max(maxLeaf[0], seq);
            }

            @Override
            public boolean record(byte[] utf8Path, byte[] value, long seq) {
                maxLeaf[0] = Math.max(maxLeaf[0], seq);
                return tree.loadRecord(utf8Path, value, seq, segments);
            }
        });
        long start = Math.max(hwm, maxLeaf[0]);
        core.recovered(start);
        return start;
    }
}
