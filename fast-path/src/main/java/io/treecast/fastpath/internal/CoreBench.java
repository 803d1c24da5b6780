package io.treecast.fastpath.internal;

import io.treecast.fastpath.Batch;
import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.Policy;
import io.treecast.fastpath.TreePath;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The writer's single-threaded work without the engine's threads, for {@code bench/}'s JMH benchmarks: apply a batch,
 * match its paths against the subscriptions, enqueue into their outboxes. The one type of this package another
 * module may use, and only {@code bench/} (the distribution's ModuleBoundariesTest holds that); everything it
 * drives (the core, the tree, the index, the subscriptions) stays package-private.
 *
 * <pre>{@code
 * CoreBench core = new CoreBench(1 << 16);
 * core.subscribe(PathPattern.parse("markets/eu/**"), 1024);
 * double reached = core.prepare(batches);      // which outboxes each batch fills
 * core.applyAndDrain(0);                       // the measured part: apply + match + enqueue, then empty them
 * }</pre>
 */
public final class CoreBench {
    private final EngineCore core;
    private final List<Sub> subs = new ArrayList<>();
    private Batch[] batches = new Batch[0];
    private Sub[][] reached = new Sub[0][];

    /** A core with a replay ring of {@code replayRingCapacity} batches (a power of two), seq from 0. */
    public CoreBench(int replayRingCapacity) {
        core = new EngineCore(replayRingCapacity, 0);
    }

    /** Registers a subscription (no handler: nothing is delivered) with an outbox of {@code outboxCapacity}. */
    public void subscribe(PathPattern pattern, int outboxCapacity) {
        Sub sub = sub(subs.size(), pattern, outboxCapacity);
        subs.add(sub);
        core.register(sub);
    }

    /** Applies one batch as the writer would (and enqueues it for the subscriptions it reaches). */
    public Object apply(Batch batch) {
        return core.apply(batch);
    }

    /**
     * Keeps {@code batches} for {@link #applyAndDrain} and notes the subscriptions each one reaches; returns how many
     * a batch reaches on average.
     */
    public double prepare(Batch[] batches) {
        this.batches = batches;
        reached = new Sub[batches.length][];
        long total = 0;
        for (int i = 0; i < batches.length; i++) {
            LinkedHashSet<Sub> matched = new LinkedHashSet<>();
            for (int c = 0; c < batches[i].size(); c++) {
                core.forEachMatch(batches[i].change(c).path(), matched::add);
            }
            reached[i] = matched.toArray(new Sub[0]);
            total += reached[i].length;
        }
        return batches.length == 0 ? 0 : total / (double) batches.length;
    }

    /** Applies prepared batch {@code i}, then empties the outboxes it filled (a dispatcher's consumption). */
    public Object applyAndDrain(int i) {
        Object applied = core.apply(batches[i]);
        for (Sub s : reached[i]) {
            EngineCore.drainOutbox(s);
        }
        return applied;
    }

    /** Leaves in the tree. */
    public long leafCount() {
        return core.tree().leafCount();
    }

    /** The seq of the last applied batch. */
    public long seq() {
        return core.seq();
    }

    /** The subscription index alone: how many subscriptions match a path. */
    public static final class Index {
        private final SubscriptionIndex index = new SubscriptionIndex();
        private int matches;
        private final SubscriptionIndex.Sink counter = sub -> matches++;
        private long nextId;

        /** Adds a subscription to {@code pattern}. */
        public void add(PathPattern pattern) {
            index.add(sub(nextId++, pattern, 4));
        }

        /** How many subscriptions match {@code path}: the matching walk, without allocation. */
        public int match(TreePath path) {
            matches = 0;
            index.match(path, counter);
            return matches;
        }
    }

    private static Sub sub(long id, PathPattern p, int outbox) {
        return new Sub(id, p, (EventHandler) null, Policy.CONFLATE, false, -1, outbox, 100, false, null);
    }
}
