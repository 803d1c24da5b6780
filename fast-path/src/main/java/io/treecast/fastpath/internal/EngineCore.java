package io.treecast.fastpath.internal;

import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.TreePath;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The single-threaded heart of the engine: apply a batch to the tree, give it the next seq, write it to the
 * replay ring, match it against the subscription index and enqueue it into the matching outboxes. Everything
 * here runs on the writer thread (or, in benchmarks, on the benchmark thread); {@link DefaultEngine} wraps it
 * with queues and threads. In the common case (no replacement, no conflation) {@link #apply} allocates nothing.
 *
 * <pre>{@code
 * EngineCore core = new EngineCore(1 << 16, 0);
 * core.register(sub);
 * core.apply(Batch.of(Change.set(TreePath.parse("a/b"), value)));
 * }</pre>
 */
final class EngineCore implements SubscriptionIndex.Sink {
    private static final VarHandle RING_SEQ = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle RING_REF = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final Change[] NO_CHANGES = new Change[0];
    /**
     * Follower mode: the ring entry of a seq skipped by a rebase. The state at that seq is unknown here, so a resume
     * from it is not exact (RESET); a replay that started before the rebase passes it like an empty batch, since
     * the rebase batch then takes the subscriber from the follower's last state to the upstream's.
     */
    static final Change[] UNKNOWN = new Change[0];

    private final Tree tree = new Tree();
    private final SubscriptionIndex index = new SubscriptionIndex();
    private LeafMatches leafMatches = new LeafMatches(index, io.treecast.fastpath.EngineConfig.DEFAULT_MATCH_CACHE_BYTES);
    /** The leaf each change of the batch being applied set (null for a delete): where its match list is kept. */
    private Tree.Node[] leafOf = new Tree.Node[1];
    private final long[] ringSeq;
    private final Object[] ringRef;
    /** When each ring slot's batch was applied ({@link System#nanoTime()}), for the delivery latency metric. */
    private final long[] ringNanos;
    private final int ringMask;
    /** {@link Batch#bytes()} of each slot's entry, so that the total can be kept without walking the ring. */
    private final long[] ringBytes;
    /** The byte budget of the ring ({@code engine.replay-ring-bytes}) and the bytes of the entries it holds. */
    private final long ringBytesBudget;
    private long ringBytesHeld;
    /** The oldest seq that may still be in the ring (older ones were overwritten or dropped for bytes). */
    private long ringOldest = 1;
    /** {@code engine.max-leaves} and {@code engine.max-tree-bytes}. */
    private final long maxLeaves;
    private final long maxTreeBytes;
    private long startSeq;
    private long seq;

    private final ArrayList<Change> implied = new ArrayList<>();
    private final ArrayList<Change> expanded = new ArrayList<>();
    private final ArrayList<Sub> conflatingSubs = new ArrayList<>();
    private final ArrayList<Sub> ended = new ArrayList<>();
    private boolean[] touched = new boolean[1];

    // matching context of the change being matched (the index calls back onMatch)
    private long curSeq;
    private Object curRef;
    /** {@link Batch#bytes()} of {@link #curRef}: what an outbox that takes it pins. */
    private long curBytes;
    private Change curChange;
    /** The index of {@link #curChange} in its batch, and whether the batch's matches are tracked per change. */
    private int curIndex;
    private boolean curTracked;
    /** Subscriptions that got the current multi-change batch: their tail is published once its matches are known. */
    private final ArrayList<Sub> unreleased = new ArrayList<>();

    /**
     * Slots one pending (conflated) leaf counts for in the outbox budget: its map entry, the Pending and the table
     * slot are ~4 times an outbox slot (20 B). Reserved {@link #PENDING_CHUNK} leaves at a time.
     */
    static final int PENDING_SLOTS = 4;
    static final int PENDING_CHUNK = 16;

    /** The outbox slot budget shared by every subscription (engine.outbox-budget-slots). */
    private final SlotBudget slots;

    /**
     * The bytes of batches all outboxes together may hold (engine.outbox-budget-bytes). Cheap in steady state: each
     * enqueue adds to {@link #outboxBytesIn}, and only when that passes {@link #nextOutboxCheck} are the outboxes
     * summed ({@link #checkOutboxBytes}); {@link #outboxShare} is then the share a subscription may hold while the
     * budget is passed ({@link Long#MAX_VALUE} while it is not).
     */
    private long outboxBudgetBytes = Long.MAX_VALUE;
    private long outboxBytesIn;
    private long nextOutboxCheck = Long.MAX_VALUE;
    private long outboxShare = Long.MAX_VALUE;

    long batchesApplied;
    /** Subscriptions ended with SLOW_CONSUMER by a memory bound (outbox budget, outbox bytes), not by their capacity. */
    long budgetEnds;
    long changesApplied;
    long conflatedChanges;
    long slowConsumerEnds;

    /**
     * @param replayRingCapacity a power of two: how many recent batches stay available for resume
     * @param startSeq           the seq of the last batch before this core (recovered state), 0 for a new tree
     */
    public EngineCore(int replayRingCapacity, long startSeq) {
        this(replayRingCapacity, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, new SlotBudget(Long.MAX_VALUE), startSeq);
    }

    /**
     * @param replayRingCapacity a power of two: how many recent batches stay available for resume
     * @param replayRingBytes    the most {@link Batch#bytes()} the ring keeps; the oldest entries leave first
     * @param maxLeaves          batches that would grow the tree past this many leaves are refused
     * @param maxTreeBytes       batches that would grow {@link Tree#bytes()} past this are refused
     * @param slots              the outbox slot budget, shared with the code that reserves a new subscription's ring
     * @param startSeq           the seq of the last batch before this core (recovered state), 0 for a new tree
     */
    public EngineCore(int replayRingCapacity, long replayRingBytes, long maxLeaves, long maxTreeBytes, SlotBudget slots,
                      long startSeq) {
        if (Integer.bitCount(replayRingCapacity) != 1) {
            throw new IllegalArgumentException("replay ring capacity must be a power of two, was " + replayRingCapacity);
        }
        this.ringSeq = new long[replayRingCapacity];
        java.util.Arrays.fill(ringSeq, -1L);
        this.ringRef = new Object[replayRingCapacity];
        this.ringNanos = new long[replayRingCapacity];
        this.ringBytes = new long[replayRingCapacity];
        this.ringMask = replayRingCapacity - 1;
        this.ringBytesBudget = replayRingBytes;
        this.maxLeaves = maxLeaves;
        this.maxTreeBytes = maxTreeBytes;
        this.slots = slots;
        this.startSeq = startSeq;
        this.seq = startSeq;
        tree.matchCache(leafMatches);
    }

    /**
     * Sets the byte budget of the leaves' remembered match lists ({@code engine.match-cache-bytes}; 0 turns them
     * off). Call before the first batch.
     */
    public void matchCacheBytes(long budgetBytes) {
        leafMatches = new LeafMatches(index, budgetBytes);
        tree.matchCache(leafMatches);
    }

    /** Sets engine.outbox-budget-bytes (see {@link io.treecast.fastpath.EngineConfig#outboxBudgetBytes()}). Call before the first batch. */
    public void outboxBudgetBytes(long budget) {
        outboxBudgetBytes = budget;
        nextOutboxCheck = outboxBytesIn + checkInterval();
    }

    /** How many bytes may be enqueued between two sums of the outboxes: 1/16 of the budget, so passing it by at most that. */
    private long checkInterval() {
        return Math.max(1, outboxBudgetBytes / 16);
    }

    public Tree tree() {
        return tree;
    }

    /** The seq of the last applied batch. */
    public long seq() {
        return seq;
    }

    /** Recovery only, before the first batch: seq continues above {@code s}; replay starts there. */
    public void recovered(long s) {
        this.seq = s;
        this.startSeq = s;
        this.ringOldest = s + 1;
    }

    public long startSeq() {
        return startSeq;
    }

    public int subscriptionCount() {
        return index.size();
    }

    /** Dispatchers that received at least one outbox entry since the last call to {@link #clearTouched}. */
    boolean[] touched() {
        return touched;
    }

    void ensureDispatchers(int n) {
        touched = new boolean[n];
    }

    void clearTouched() {
        java.util.Arrays.fill(touched, false);
    }

    /** Puts {@code sub} into the index; every batch after the current seq reaches its outbox. */
    public void register(Sub sub) {
        index.add(sub);
        sub.s0 = seq;
    }

    /** Reports the subscriptions matching {@code path} (benchmarks and diagnostics; writer thread only). */
    public void forEachMatch(TreePath path, SubscriptionIndex.Sink sink) {
        index.match(path, sink);
    }

    /** Takes {@code sub} out of the index (idempotent). */
    public void unregister(Sub sub) {
        index.remove(sub);
        releasePending(sub);
        // no enqueue follows (the writer forgot it): its ring's slots go back to the budget
        slots.release(sub.reservedSlots);
        sub.reservedSlots = 0;
    }

    /** Drops a subscription's conflation map and gives its reservation back (writer thread). */
    private void releasePending(Sub sub) {
        sub.pending = null;
        slots.release((long) sub.pendingReserved * PENDING_SLOTS);
        sub.pendingReserved = 0;
    }

    /** The outbox budget (shared with subscribe, which reserves a new ring). */
    public SlotBudget slots() {
        return slots;
    }

    /**
     * Ends {@code sub} because the outbox budget cannot give it room: SLOW_CONSUMER with {@code why}, the budget and
     * the resume point.
     */
    private void endForBudget(Sub sub, String why) {
        endSlow(sub, why + ", and the outboxes of all subscriptions already use the server's budget of " + slots.budget()
                + " slots (engine.outbox-budget-slots)", "engine.outbox-budget-slots");
    }

    /**
     * Ends {@code sub} as a slow consumer for a memory bound rather than its capacity: SLOW_CONSUMER (what clients
     * already resume from), with a message that names the bound and its key. Allocates, but only for this rare end.
     */
    private void endSlow(Sub sub, String why, String key) {
        sub.endReason = sub + " ended: " + why + "; read events faster or subscribe with a smaller outbox_capacity, or raise "
                + key;
        sub.endCode = ErrorCode.SLOW_CONSUMER;
        budgetEnds++;
        ended.add(sub);
        touched[sub.dispatcherIndex] = true;
    }

    /**
     * Applies {@code batch} atomically with the next seq and fans it out. Returns the applied leaf-level changes:
     * the batch itself in the common case, a new {@code Change[]} when it expanded or some change was a no-op.
     */
    public Object apply(Batch batch) {
        long s = seq + 1;
        long at = batch.seq();
        if (at != 0) {
            // follower mode: the upstream's seq; the writer checked that it is above ours
            if (at > s) {
                skip(s, at - 1, batch.isRebase() ? UNKNOWN : NO_CHANGES);
            }
            s = at;
        }
        boolean copied = false;
        int n = batch.size();
        if (leafOf.length < n) {
            leafOf = new Tree.Node[Math.max(n, leafOf.length * 2)];
        }
        for (int i = 0; i < n; i++) {
            Change c = batch.change(i);
            boolean self;
            if (c.isDelete()) {
                self = tree.delete(c.path(), s, implied);
                leafOf[i] = null;
            } else {
                leafOf[i] = tree.set(c.path(), c.value(), s, implied);
                self = true;
            }
            if (!copied && (!self || !implied.isEmpty())) {
                copied = true;
                expanded.clear();
                for (int j = 0; j < i; j++) {
                    expanded.add(batch.change(j));
                }
            }
            if (copied) {
                expanded.addAll(implied);
                if (self) {
                    expanded.add(c);
                }
            }
            implied.clear();
        }
        Object applied = batch;
        long bytes = batch.bytes();
        if (copied) {
            Change[] changes = expanded.isEmpty() ? NO_CHANGES : expanded.toArray(NO_CHANGES);
            applied = changes;
            bytes = Batch.bytesOf(changes);
            expanded.clear();
        }
        seq = s;
        writeRing(s, applied, System.nanoTime(), bytes);
        fanOut(s, applied, bytes);
        batchesApplied++;
        changesApplied += Applied.size(applied);
        return applied;
    }

    /**
     * Follower mode: seqs {@code from..to} were not sent to this follower. Upstream batches that changed nothing
     * are not sent, so after an update they are empty batches ({@code NO_CHANGES}: a resume from them is exact);
     * before a rebase their state is unknown ({@link #UNKNOWN}). Only the last ring's worth is written (older
     * ones left the ring anyway). Rare: only when the upstream had no-op batches, or on a rebase.
     */
    private void skip(long from, long to, Change[] marker) {
        long first = Math.max(from, to - ringMask);
        long now = System.nanoTime();
        for (long g = first; g <= to; g++) {
            writeRing(g, marker, now, 0);
        }
    }

    /** {@link Batch#bytes()} of the batch {@link #apply} applied last (what the journal backlog holds for it). */
    long appliedBytes() {
        return curBytes;
    }

    private void fanOut(long s, Object applied, long bytes) {
        curSeq = s;
        curBytes = bytes;
        curRef = applied;
        int n = Applied.size(applied);
        // the dispatcher then takes each subscription's matched changes from a bit mask instead of matching again
        curTracked = Sub.tracksMatches(n);
        // the leaves set by a batch applied as given are known; an expanded batch's changes are matched by the index
        boolean leavesKnown = applied instanceof Batch;
        for (int i = 0; i < n; i++) {
            curChange = Applied.change(applied, i);
            curIndex = i;
            Tree.Node leaf = leavesKnown ? leafOf[i] : null;
            if (leaf != null && leaf.value != null) {
                // (a later change of the same batch may have deleted it: then its list is gone and the index answers)
                leafMatches.match(leaf, curChange.path(), this);
            } else {
                index.match(curChange.path(), this);
            }
        }
        curTracked = false; // enqueues outside a fan-out (conflation flushes) publish at once
        for (int i = 0; i < unreleased.size(); i++) {
            Sub sub = unreleased.get(i);
            sub.tailRelease(sub.tailLocal);
        }
        unreleased.clear();
        curRef = null;
        curChange = null;
        if (!ended.isEmpty()) {
            // removal is deferred: the index must not change while it is being walked
            for (int i = 0; i < ended.size(); i++) {
                index.remove(ended.get(i));
            }
            ended.clear();
        }
    }

    @Override
    public void onMatch(Sub sub) {
        if (sub.endCode != null || sub.cancelled) {
            return;
        }
        if (sub.stamp == curSeq) {
            // already holds this batch (its entry is not yet published) or is collecting it
            if (sub.stampConflated) {
                conflate(sub, curChange, curSeq);
            } else if (curTracked) {
                sub.outMatched[(int) ((sub.tailLocal - 1) & sub.mask)] |= 1L << curIndex;
            }
            return;
        }
        sub.stamp = curSeq;
        if (sub.conflating) {
            sub.stampConflated = true;
            conflate(sub, curChange, curSeq);
            return;
        }
        int size = (int) (sub.tailLocal - sub.headSeen);
        if (size >= sub.fullAt || size > sub.mask) {
            // full by the head read last: only now read where the dispatcher is (a cache line it writes)
            sub.headSeen = sub.headAcquire();
            size = (int) (sub.tailLocal - sub.headSeen);
            if (size >= sub.fullAt) {
                if (sub.strict) {
                    sub.endCode = ErrorCode.SLOW_CONSUMER;
                    slowConsumerEnds++;
                    ended.add(sub);
                    touched[sub.dispatcherIndex] = true;
                } else {
                    startConflating(sub);
                }
                return;
            }
        }
        // the outbox pins as many bytes as it may (an empty one always takes one batch): as if it were full
        long held = heldPast(sub, sub.maxBytes);
        if (held >= 0) {
            if (sub.strict) {
                endSlow(sub, "its outbox holds " + held + " bytes of batches and the next would pass its limit of "
                        + sub.maxBytes + " bytes (engine.outbox-max-bytes)", "engine.outbox-max-bytes");
            } else {
                startConflating(sub);
            }
            return;
        }
        // all outboxes together passed engine.outbox-budget-bytes at the last sum: one holding more than its share
        // counts as full
        held = sub.internal ? -1 : heldPast(sub, outboxShare);
        if (held >= 0) {
            nextOutboxCheck = outboxBytesIn; // sum again at the next enqueue: without this one the rest may fit
            if (sub.strict) {
                endSlow(sub, "its outbox holds " + held + " bytes of batches while the outboxes of all subscriptions"
                        + " hold more than the server's budget of " + outboxBudgetBytes
                        + " bytes (engine.outbox-budget-bytes), and this one more than its share of " + outboxShare,
                        "engine.outbox-budget-bytes");
            } else {
                startConflating(sub);
            }
            return;
        }
        size = (int) (sub.tailLocal - sub.headSeen);
        if (size > sub.mask && !sub.grow(slots)) {
            // the ring is full and the budget gives it no more room: as if the outbox were full
            if (sub.strict) {
                endForBudget(sub, "its outbox of " + (sub.mask + 1) + " events (of " + sub.capacity + " asked) is full");
            } else {
                startConflating(sub);
            }
            return;
        }
        sub.stampConflated = false;
        enqueue(sub, curSeq, curRef, curBytes);
    }

    /**
     * The bytes {@code sub}'s outbox holds when it is not empty and the current batch would take it past {@code limit},
     * else -1. Reads what the dispatcher took out (and where it is) only when the writer's own view is near the limit.
     */
    private long heldPast(Sub sub, long limit) {
        if (sub.bytesIn - sub.bytesOutSeen + curBytes <= limit) {
            return -1;
        }
        sub.bytesOutSeen = sub.bytesOutAcquire();
        sub.headSeen = sub.headAcquire();
        long held = sub.bytesIn - sub.bytesOutSeen;
        return sub.tailLocal > sub.headSeen && held > 0 && held + curBytes > limit ? held : -1;
    }

    private void enqueue(Sub sub, long s, Object ref, long bytes) {
        sub.bytesIn += bytes;
        outboxBytesIn += bytes;
        if (outboxBytesIn >= nextOutboxCheck) {
            checkOutboxBytes();
        }
        long t = sub.tailLocal;
        int i = (int) (t & sub.mask);
        sub.outSeq[i] = s;
        sub.outRef[i] = ref;
        sub.tailLocal = t + 1;
        if (curTracked) {
            // one-change batches (the common case) never touch outMatched: one cache line less per enqueue
            sub.outMatched[i] = 1L << curIndex;
            unreleased.add(sub); // later changes of this batch may still set bits: publish after the fan-out
        } else {
            sub.tailRelease(t + 1);
        }
        touched[sub.dispatcherIndex] = true;
    }

    /**
     * Sums what every outbox holds (O(subscriptions), once per 1/16 of the budget enqueued, or sooner when the
     * outboxes were near it) and sets the share a subscription may hold: unlimited while the sum is within the
     * budget, the budget divided by the number of subscriptions while it is not. Some subscription then holds more
     * than its share (the sum is over the budget), and it counts as full at its next event; the others go on.
     */
    private void checkOutboxBytes() {
        long held = 0;
        for (int id = 0, n = index.idBound(); id < n; id++) {
            Sub s = index.byId(id);
            // an ended or cancelled one leaves the index at the end of this fan-out, and its outbox with it
            if (s != null && s.maxBytes != Long.MAX_VALUE && s.endCode == null && !s.cancelled) {
                s.bytesOutSeen = s.bytesOutAcquire();
                held += s.bytesIn - s.bytesOutSeen;
            }
        }
        long room = outboxBudgetBytes - held;
        outboxShare = room >= 0 ? Long.MAX_VALUE : outboxBudgetBytes / Math.max(1, index.size() - ended.size());
        nextOutboxCheck = outboxBytesIn + Math.max(Math.min(room, checkInterval()), Math.max(1, checkInterval() / 16));
    }

    private void startConflating(Sub sub) {
        sub.conflating = true;
        conflatingSubs.add(sub);
        sub.stampConflated = true;
        conflate(sub, curChange, curSeq);
    }

    /**
     * Keeps the newest change of the leaf for a subscription that fell behind: one entry per leaf, so the map is as
     * large as the number of distinct leaves changed meanwhile - which deletes and new paths can make larger than the
     * tree. Its entries are reserved from the outbox budget, {@link #PENDING_CHUNK} at a time; when the budget has no
     * room the subscription ends with SLOW_CONSUMER (it resumes from its last seq) rather than lose a change.
     */
    private void conflate(Sub sub, Change c, long s) {
        if (sub.pending == null) {
            sub.pending = new LinkedHashMap<>();
        }
        Sub.Pending prev = sub.pending.put(c.path(), new Sub.Pending(s, c.value()));
        if (prev != null && prev.seq != s) {
            conflatedChanges++;
        }
        if (prev == null && sub.pending.size() > sub.pendingReserved) {
            if (slots.tryReserve((long) PENDING_CHUNK * PENDING_SLOTS)) {
                sub.pendingReserved += PENDING_CHUNK;
            } else {
                endForBudget(sub, "it fell behind and holds the newest change of " + sub.pending.size() + " leaves");
            }
        }
    }

    /**
     * For every conflating subscription whose consumer drained below the low mark, enqueues one conflated event
     * and resumes normal enqueuing. Call once per duty cycle, also when no batch arrived. Returns the work done.
     */
    /** Some subscription holds conflated changes that {@link #flushConflated} releases once its outbox drains (polled). */
    boolean anyConflating() {
        return !conflatingSubs.isEmpty();
    }

    public int flushConflated() {
        int work = 0;
        for (int k = conflatingSubs.size() - 1; k >= 0; k--) {
            Sub sub = conflatingSubs.get(k);
            if (sub.endCode != null || sub.cancelled) {
                conflatingSubs.remove(k);
                releasePending(sub);
                continue;
            }
            int size = (int) (sub.tailLocal - sub.headAcquire());
            if (size > sub.lowMark || size > sub.mask) {
                continue; // (the second: conflating because the budget did not let the ring grow, and still full)
            }
            if (sub.maxBytes != Long.MAX_VALUE) {
                // conflating because of the outbox's bytes or the share of the budget of all outboxes: wait until half
                // of them are read, as for events
                sub.bytesOutSeen = sub.bytesOutAcquire();
                long held = sub.bytesIn - sub.bytesOutSeen;
                if (held > sub.maxBytes / 2 || held > outboxShare / 2) {
                    continue;
                }
            }
            int n = sub.pending == null ? 0 : sub.pending.size();
            if (n > 0) {
                TreePath[] paths = new TreePath[n];
                byte[][] values = new byte[n][];
                long[] seqs = new long[n];
                long max = 0;
                int i = 0;
                for (Map.Entry<TreePath, Sub.Pending> e : sub.pending.entrySet()) {
                    paths[i] = e.getKey();
                    values[i] = e.getValue().value;
                    seqs[i] = e.getValue().seq;
                    max = Math.max(max, seqs[i]);
                    i++;
                }
                releasePending(sub); // a map sized for a burst is not kept for the next one
                Conflated entry = new Conflated(paths, values, seqs, max);
                enqueue(sub, max, entry, entry.bytes);
            }
            sub.stamp = -1;
            sub.conflating = false;
            conflatingSubs.remove(k);
            work++;
        }
        return work;
    }

    /**
     * Checks a batch against the tree budget before it is applied. Returns null when it fits, else the message of
     * its RESOURCE_EXHAUSTED refusal (the only allocation, and only then). Writer thread.
     *
     * <p>What a batch may add is estimated from above without walking the tree while the tree is far from its
     * budget ({@link Batch#sets()}, {@link Batch#setBytes()}); near it, each {@code set} is looked up: one on an
     * existing leaf adds only what its value grows, one on a new path adds a leaf and its path and value bytes.
     * What the batch's deletes and replacements free is not credited (it counts from the next batch on), so a batch
     * that does not grow the tree - deletes, overwrites with values no larger - always passes, even over the budget.
     */
    public String overBudget(Batch batch) {
        long leaves = tree.leafCount();
        long bytes = tree.bytes();
        if (leaves + batch.sets() <= maxLeaves
                && bytes + batch.setBytes() + (long) Tree.NODE_BYTES * batch.setSegments() <= maxTreeBytes) {
            return null;
        }
        long addLeaves = 0;
        long addBytes = 0;
        TreePath firstNew = null;
        int n = batch.size();
        for (int i = 0; i < n; i++) {
            Change c = batch.change(i);
            if (c.isDelete()) {
                continue;
            }
            TreePath path = c.path();
            Tree.Node node = tree.root();
            int depth = path.depth();
            int existing = 0;
            while (existing < depth) {
                Tree.Node child = node.child(path.segment(existing));
                if (child == null) {
                    break;
                }
                node = child;
                existing++;
            }
            byte[] old = existing == depth ? node.value() : null;
            if (old != null) {
                addBytes += Math.max(0, c.value().length - old.length);
            } else {
                addLeaves++;
                addBytes += path.utf8().length + c.value().length + (long) Tree.NODE_BYTES * (depth - existing);
                if (firstNew == null) {
                    firstNew = c.path();
                }
            }
        }
        if (addLeaves > 0 && leaves + addLeaves > maxLeaves) {
            return "the tree holds " + leaves + " leaves and this batch would add up to " + addLeaves + " (first: " + firstNew
                    + "), more than the budget of " + maxLeaves + " leaves (engine.max-leaves): nothing was applied; "
                    + "delete leaves you no longer need (deletes are always accepted) or raise engine.max-leaves";
        }
        if (addBytes > 0 && bytes + addBytes > maxTreeBytes) {
            return "the tree holds " + bytes + " bytes (values, paths and nodes) and this batch would add up to " + addBytes
                    + ", more than the budget of " + maxTreeBytes + " bytes (engine.max-tree-bytes): nothing was applied; "
                    + "delete leaves or store smaller values (deletes are always accepted), or raise engine.max-tree-bytes";
        }
        return null;
    }

    /** {@link Batch#bytes()} of the entries the replay ring holds now (writer thread; racy elsewhere, for metrics). */
    public long ringBytesHeld() {
        return ringBytesHeld;
    }

    private void writeRing(long s, Object ref, long appliedNanos, long bytes) {
        int i = (int) (s & ringMask);
        if (ringSeq[i] != -1L) {
            ringBytesHeld -= ringBytes[i]; // the entry this one overwrites (it was in the ring until now)
        }
        // seqlock: mark the slot invalid before its ref changes, so that a reader never pairs an old seq with a new ref
        RING_SEQ.setOpaque(ringSeq, i, -1L);
        VarHandle.storeStoreFence();
        RING_REF.setOpaque(ringRef, i, ref);
        ringNanos[i] = appliedNanos;
        ringBytes[i] = bytes;
        RING_SEQ.setRelease(ringSeq, i, s);
        ringBytesHeld += bytes;
        ringOldest = Math.max(ringOldest, s - ringMask);
        // over the byte budget: the oldest entries leave first (a resume from them goes to the store / RESET);
        // the newest entry always stays. Amortized O(1) per batch, no allocation.
        while (ringBytesHeld > ringBytesBudget && ringOldest < s) {
            dropFromRing(ringOldest++);
        }
    }

    private void dropFromRing(long old) {
        int i = (int) (old & ringMask);
        if (ringSeq[i] != old) {
            return;
        }
        RING_SEQ.setOpaque(ringSeq, i, -1L);
        VarHandle.storeStoreFence();
        RING_REF.setOpaque(ringRef, i, null); // the batch may now be collected (unless an outbox still holds it)
        ringBytesHeld -= ringBytes[i];
    }

    /** The applied changes of batch {@code s} from the replay ring, or null when it is no longer (or not yet) there. Any thread. */
    public Object readRing(long s) {
        int i = (int) (s & ringMask);
        if ((long) RING_SEQ.getAcquire(ringSeq, i) != s) {
            return null;
        }
        Object ref = RING_REF.getOpaque(ringRef, i);
        VarHandle.loadLoadFence();
        if ((long) RING_SEQ.getOpaque(ringSeq, i) != s) {
            return null;
        }
        return ref;
    }

    /**
     * When batch {@code s} was applied ({@link System#nanoTime()}), or 0 when it is no longer (or not yet) in the
     * ring. Any thread: the slot's seq is checked after the stamp is read (the ring's seqlock), so a stamp of a
     * newer batch in the same slot is never returned.
     */
    public long appliedNanos(long s) {
        int i = (int) (s & ringMask);
        if ((long) RING_SEQ.getAcquire(ringSeq, i) != s) {
            return 0;
        }
        long nanos = ringNanos[i];
        VarHandle.loadLoadFence();
        return (long) RING_SEQ.getOpaque(ringSeq, i) == s ? nanos : 0;
    }

    public int ringCapacity() {
        return ringMask + 1;
    }

    /** Drains {@code sub}'s outbox without delivering (benchmarks keep outboxes non-full this way). */
    public static int drainOutbox(Sub sub) {
        long h = sub.headAcquire();
        long t = sub.tailAcquire();
        sub.headRelease(t);
        return (int) (t - h);
    }
}
