package io.treecast.fastpath.internal;

import io.treecast.fastpath.Change;
import io.treecast.fastpath.EventKind;
import io.treecast.fastpath.EventView;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.TreePath;

import java.util.Arrays;

/** The reused {@link EventView} flyweight of one dispatcher (or of the journal feed). Grows, never shrinks. */
final class EventBuffer implements EventView {
    EventKind kind = EventKind.UPDATE;
    long seq;
    /** See {@link EventView#appliedNanos()}; set by whoever delivers the event. */
    long appliedNanos;
    boolean conflated;
    int size;
    TreePath[] paths = new TreePath[16];
    byte[][] values = new byte[16][];
    long[] seqs = new long[16];

    void reset(EventKind kind, long seq, boolean conflated) {
        this.kind = kind;
        this.seq = seq;
        this.conflated = conflated;
        // drop references of the previous event so that the buffer does not keep values alive
        Arrays.fill(paths, 0, size, null);
        Arrays.fill(values, 0, size, null);
        this.size = 0;
    }

    void add(TreePath path, byte[] value, long changeSeq) {
        if (size == paths.length) {
            int n = size * 2;
            paths = Arrays.copyOf(paths, n);
            values = Arrays.copyOf(values, n);
            seqs = Arrays.copyOf(seqs, n);
        }
        paths[size] = path;
        values[size] = value;
        seqs[size] = changeSeq;
        size++;
    }

    /**
     * Fills this buffer with the changes of outbox entry {@code ref} (seq {@code entrySeq}) that match
     * {@code pattern} (null: all) and have a change seq greater than {@code after}.
     */
    void fill(long entrySeq, Object ref, PathPattern pattern, long after) {
        if (ref instanceof Conflated) {
            Conflated c = (Conflated) ref;
            reset(EventKind.UPDATE, c.seq, true);
            for (int i = 0; i < c.paths.length; i++) {
                if (c.seqs[i] > after && (pattern == null || pattern.matches(c.paths[i]))) {
                    add(c.paths[i], c.values[i], c.seqs[i]);
                }
            }
            return;
        }
        reset(EventKind.UPDATE, entrySeq, false);
        if (entrySeq <= after) {
            return;
        }
        int n = Applied.size(ref);
        for (int i = 0; i < n; i++) {
            Change ch = Applied.change(ref, i);
            if (pattern == null || pattern.matches(ch.path())) {
                add(ch.path(), ch.value(), entrySeq);
            }
        }
    }

    /** Fills this buffer with the changes of batch entry {@code ref} whose bits are set in {@code matched}. */
    void fillMatched(long entrySeq, Object ref, long matched, long after) {
        reset(EventKind.UPDATE, entrySeq, false);
        if (entrySeq <= after) {
            return;
        }
        while (matched != 0) {
            Change ch = Applied.change(ref, Long.numberOfTrailingZeros(matched));
            add(ch.path(), ch.value(), entrySeq);
            matched &= matched - 1;
        }
    }

    @Override
    public EventKind kind() {
        return kind;
    }

    @Override
    public long seq() {
        return seq;
    }

    @Override
    public long appliedNanos() {
        return appliedNanos;
    }

    @Override
    public boolean conflated() {
        return conflated;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public TreePath path(int i) {
        check(i);
        return paths[i];
    }

    @Override
    public boolean isDelete(int i) {
        check(i);
        return values[i] == null;
    }

    @Override
    public byte[] value(int i) {
        check(i);
        return values[i];
    }

    @Override
    public long changeSeq(int i) {
        check(i);
        return seqs[i];
    }

    private void check(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("change " + i + " of an event with " + size + " changes");
        }
    }
}
