package io.treecast.fastpath.internal;

import io.treecast.fastpath.TreePath;

import java.util.Arrays;

/**
 * Remembers, per live leaf, which subscriptions the {@link SubscriptionIndex} matched for it, so that the next update
 * of that leaf replays the answer instead of walking the index again. Updates of existing leaves are the steady state
 * of a broker (a price changes far more often than the set of instruments or subscriptions), and the index walk (a
 * hash lookup per literal edge, every {@code **} branch) was the largest part of the writer's fan-out with many
 * subscriptions.
 *
 * <p>An answer is kept with the index's {@link SubscriptionIndex#version() version} and used only while that version
 * is current: any subscribe or unsubscribe makes every remembered answer stale, and each leaf walks the index once
 * more the next time it changes. Answers hold subscription numbers ({@link Sub#indexId}), never references, so a stale
 * answer keeps no ended subscription alive.
 *
 * <p>Budget: the arrays count 16 bytes plus 4 per match against {@code budgetBytes}
 * ({@code engine.match-cache-bytes}); past it a leaf is simply not remembered (it walks the index each time, as
 * without this cache). A leaf that loses its value forgets its answer ({@link Tree} calls {@link #forget}).
 * Writer thread only; allocates only when it remembers a new answer (a first update, or after the subscriptions
 * changed), never for a replay.
 */
final class LeafMatches implements SubscriptionIndex.Sink {
    private static final int[] NONE = new int[0];

    private final SubscriptionIndex index;
    private final long budgetBytes;
    private long bytes;
    private int[] collected = new int[64];
    private int count;
    private SubscriptionIndex.Sink target;
    /** See {@link #touch}. */
    private long touched;

    LeafMatches(SubscriptionIndex index, long budgetBytes) {
        this.index = index;
        this.budgetBytes = budgetBytes;
    }

    /**
     * Reports to {@code sink} every subscription matching {@code leaf} (the live leaf at {@code path}), exactly as
     * {@link SubscriptionIndex#match} would, duplicates included.
     */
    void match(Tree.Node leaf, TreePath path, SubscriptionIndex.Sink sink) {
        long version = index.version();
        int[] known = leaf.matches;
        if (known != null && leaf.matchVersion == version) {
            if (known.length > 1) {
                touch(known);
            }
            for (int id : known) {
                sink.onMatch(index.byId(id));
            }
            return;
        }
        count = 0;
        target = sink;
        try {
            index.match(path, this);
        } finally {
            target = null;
        }
        remember(leaf, version);
    }

    /**
     * Loads each subscription's first cache line (the writer's fields, {@link SubWriterFields}) before the fan-out
     * works on any of them. These loads do not depend on each other, so the CPU has them all in flight at once; the
     * fan-out's per-subscription work (compare, branch, store) would otherwise wait for them one after the other,
     * each a likely cache miss with thousands of subscriptions. What is read goes to {@link #touched} only so that
     * the compiler keeps the loads.
     */
    private void touch(int[] known) {
        long sum = 0;
        for (int id : known) {
            sum += index.byId(id).tailLocal;
        }
        touched = sum;
    }

    @Override
    public void onMatch(Sub sub) {
        if (count == collected.length) {
            collected = Arrays.copyOf(collected, count * 2);
        }
        collected[count++] = sub.indexId;
        target.onMatch(sub);
    }

    private void remember(Tree.Node leaf, long version) {
        forget(leaf);
        long size = sizeOf(count);
        if (bytes + size > budgetBytes) {
            return;
        }
        leaf.matches = count == 0 ? NONE : Arrays.copyOf(collected, count);
        leaf.matchVersion = version;
        bytes += size;
    }

    /** Drops the answer remembered for {@code leaf}, if any. */
    void forget(Tree.Node leaf) {
        int[] known = leaf.matches;
        if (known != null) {
            bytes -= sizeOf(known.length);
            leaf.matches = null;
        }
    }

    /** Bytes the remembered answers hold now ({@code engine.match-cache-bytes} bounds it). */
    long bytes() {
        return bytes;
    }

    private static long sizeOf(int matches) {
        return 16 + 4L * matches;
    }
}
