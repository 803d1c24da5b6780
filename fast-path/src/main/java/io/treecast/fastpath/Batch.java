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
    /** Follower mode: the upstream's seq for this batch (0: the engine gives the next seq). */
    private final long seq;
    /** Follower mode: the batch jumps the state to {@link #seq} (the upstream answered with a snapshot). */
    private final boolean rebase;

    private Batch(Change[] changes) {
        this(changes, 0, false);
    }

    private Batch(Change[] changes, long seq, boolean rebase) {
        if (changes.length == 0 && !rebase) {
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
        this.seq = seq;
        this.rebase = rebase;
    }

    public static Batch of(Change... changes) {
        return new Batch(changes.clone());
    }

    /**
     * A batch of one change (what most publishes are): the same as {@code of(new Change[] {change})}, without the
     * defensive copy of the array.
     *
     * <pre>{@code engine.offer(Batch.of(Change.set(TreePath.parse("markets/eu/bid"), value)));}</pre>
     */
    public static Batch of(Change change) {
        return new Batch(new Change[] {change});
    }

    public static Batch of(List<Change> changes) {
        return new Batch(changes.toArray(new Change[0]));
    }

    /**
     * Follower mode ({@link EngineConfig.Builder#follower(boolean)}): this batch as the upstream applied it, under
     * the upstream's {@code seq}. Seqs the follower never saw between its last batch and this one were batches that
     * changed nothing (the upstream sends every batch that changed a leaf), so a resume from one of them is exact.
     *
     * <pre>{@code
     * followerEngine.offer(Batch.of(Change.set(path, value)).atSeq(event.seq()));
     * }</pre>
     *
     * @param seq the upstream's seq, above every seq the follower applied before
     */
    public Batch atSeq(long seq) {
        if (seq < 1) {
            throw new IllegalArgumentException("an upstream seq is >= 1, was " + seq);
        }
        return new Batch(changes, seq, false);
    }

    /**
     * Follower mode: the changes that turn the follower's tree into the upstream's snapshot exact at {@code seq}
     * (the upstream answered a resume with RESET and a snapshot). Subscribers that held the follower's state get
     * them as one update; a resume from a seq between the follower's last batch and {@code seq} is no longer exact,
     * so the engine answers it with RESET and a snapshot. May be empty (the state did not change, only the seq).
     *
     * <pre>{@code
     * followerEngine.offer(Batch.rebase(snapshotEndSeq, diffOfLocalTreeAndSnapshot));
     * }</pre>
     */
    public static Batch rebase(long seq, List<Change> changes) {
        if (seq < 1) {
            throw new IllegalArgumentException("an upstream seq is >= 1, was " + seq);
        }
        return new Batch(changes.toArray(new Change[0]), seq, true);
    }

    /** The upstream's seq this batch carries (follower mode), or 0 when the engine gives it the next seq. */
    public long seq() {
        return seq;
    }

    /** Whether this batch jumps a follower's state to {@link #seq()} (see {@link #rebase}). */
    public boolean isRebase() {
        return rebase;
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
