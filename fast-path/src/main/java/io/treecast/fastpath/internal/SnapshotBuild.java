package io.treecast.fastpath.internal;

import io.treecast.fastpath.Change;
import io.treecast.fastpath.Leaf;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.SnapshotStore;
import io.treecast.fastpath.TreePath;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * The heavy part of one snapshot, computed on the {@link SnapshotWorker} so that neither the dispatcher serving the
 * subscription nor the other subscriptions on that dispatcher wait for it: the walk of the live tree (in path
 * order, so the SNAPSHOT events need no sort), the snapshot store's leaves brought up to date with the replay ring,
 * and the merge of the outbox entries held up to P. Before, this ran in slices on the dispatcher, whose one sort of
 * 100,000 paths at the end held it for tens of milliseconds, and the map of 100,000 paths it kept alive meanwhile
 * lengthened every young collection (BENCHMARKS.md, "100,000-leaf snapshot").
 *
 * <p>Ownership passes back and forth: the dispatcher fills a step's inputs and {@link SnapshotWorker#submit submits}
 * it; the worker runs it and publishes {@link #done} (volatile), then wakes the dispatcher; the dispatcher reads the
 * results only after it saw {@code done}. Nothing here is touched by the writer, and nothing is shared with it but
 * the tree and the replay ring, which are made to be read from any thread.
 */
final class SnapshotBuild {
    /** What the worker is asked to do next. */
    enum Step {
        /** Walk the matching part of the live tree into the sorted leaves, and {@link #maxSeen}. */
        WALK,
        /** Merge the held outbox entries up to P into the walked leaves. */
        MERGE_HELD,
        /** The store's leaves complete up to S merged with the ring's batches (S, P], then sorted. */
        CATCH_UP,
        /**
         * While the dispatcher sends the snapshot: the leaves' {@link TreePath}s built a bounded window ahead of the
         * events it has filled ({@link #pathsAhead}); the worker stands aside when the window is full and the
         * dispatcher hands the step back as it sends.
         */
        PATHS
    }

    /** What one {@link #runSlice} left to do. */
    enum Slice {
        /** The step is finished: {@link #done} is published and the dispatcher woken. */
        FINISHED,
        /** More of the step is ready to run: the worker keeps the build in its round. */
        MORE,
        /** {@link Step#PATHS} is {@link #pathsAhead} ahead of the dispatcher: the dispatcher hands it back ({@link #sent}). */
        STANDING_ASIDE
    }

    /** Tree nodes walked per slice: the worker interleaves concurrent snapshots, so a small one is not stuck behind a large one. */
    static final int WALK_NODES_PER_SLICE = 4096;
    /** Leaf paths built per slice of {@link Step#PATHS} (~1 µs each). */
    static final int PATHS_PER_SLICE = 1024;
    /**
     * SNAPSHOT events' worth of leaf paths built ahead of the dispatcher: it sends two per cycle, so it rarely waits
     * for the worker, while the paths alive at once stay bounded (~150 B each for a path like {@code bulk/b12/l345}:
     * the TreePath, its text, its UTF-8 bytes and its segment array; 2,048 paths ≈ 300 KB per snapshot being sent).
     */
    static final int PATHS_AHEAD_CHUNKS = 8;

    private static final VarHandle ASIDE;

    static {
        try {
            ASIDE = MethodHandles.lookup().findVarHandle(SnapshotBuild.class, "aside", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final PathPattern pattern;
    final Dispatcher owner;
    private final EngineCore core;

    Step step;
    private volatile boolean done;
    private volatile boolean cancelled;
    /** Set when the step threw; the dispatcher ends the subscription with it (INTERNAL). */
    Throwable error;
    /** {@link Step#CATCH_UP} only: the ring no longer bridges S to P; the dispatcher walks the live tree instead. */
    boolean notBridged;

    // ---- walk state
    private ArrayDeque<Frame> frames;
    /** The newest leaf seq the walk read. */
    long maxSeen;

    // ---- MERGE_HELD / CATCH_UP inputs
    long p;
    long[] heldSeq;
    Object[] heldRef;
    int heldCount;
    SnapshotStore.Result storeResult;
    long from;

    // ---- the leaves, sorted by path: after the walk its leaves, after MERGE_HELD / CATCH_UP the snapshot at P.
    // A walked leaf is kept as its tree node (the node's value and seq as read are beside it) and gets its TreePath
    // only shortly before its event is filled (Step.PATHS, a bounded window ahead): the walk allocates no object per
    // leaf, so a 100,000-leaf snapshot adds no live objects for the garbage collector to copy while it waits to be sent.
    /** Tree.Node (walked) or TreePath (a held change, a store leaf, a path built ahead); null once sent. */
    private Object[] keys = new Object[64];
    byte[][] values = new byte[64][];
    long[] seqs = new long[64];
    int count;

    // ---- the leaves' paths (Step.PATHS): keys[0, made) are TreePaths, the worker writes only keys[made, count),
    // the dispatcher reads keys[sent, made) and clears them once sent, so a sent path is garbage at once.
    /** Leaves ahead of {@link #sent} whose paths the worker builds before it stands aside. */
    private final int pathsAhead;
    /** Leaves whose TreePath is in {@link #keys}; written by the worker only, read by the dispatcher. */
    private volatile int made;
    /** Leaves the dispatcher has put into SNAPSHOT events; written by the dispatcher only. */
    private volatile int sent;
    /** The worker stood aside with the window full; whoever clears it (CAS) puts the build back in the worker's round. */
    @SuppressWarnings("unused") // through ASIDE
    private volatile boolean aside;
    // the worker's cache while it builds paths: leaves of one parent come together
    private Tree.Node lastParent;
    private TreePath lastParentPath;

    SnapshotBuild(PathPattern pattern, Dispatcher owner, EngineCore core) {
        this.pattern = pattern;
        this.owner = owner;
        this.core = core;
        this.pathsAhead = Math.max(1, owner.snapshotChunk) * PATHS_AHEAD_CHUNKS;
    }

    /** Dispatcher: the worker finished the submitted step (then its results may be read). */
    boolean done() {
        return done;
    }

    /** Dispatcher (before submitting), worker (after running a step). */
    void done(boolean value) {
        done = value;
    }

    /** The subscription ended: the worker drops this build at its next slice. Any thread. */
    void cancel() {
        cancelled = true;
    }

    boolean cancelled() {
        return cancelled;
    }

    /** Worker: runs at most one slice of the current step. */
    Slice runSlice() {
        switch (step) {
            case WALK:
                return walkSlice() ? Slice.FINISHED : Slice.MORE;
            case MERGE_HELD:
                mergeHeld();
                makePaths(Math.min(count, pathsAhead));
                return Slice.FINISHED;
            case CATCH_UP:
                catchUp();
                // the store's leaves and the ring's changes come with their TreePaths
                made = count;
                return Slice.FINISHED;
            case PATHS:
                return pathsSlice();
            default:
                throw new IllegalStateException("snapshot build in unknown step " + step);
        }
    }

    // ------------------------------------------------------------------ walk

    /** One inner node being walked: its children, sorted by segment, and the pattern's state there. */
    private static final class Frame {
        final Tree.Node[] children;
        final long state;
        int next;

        Frame(Tree.Node[] children, long state) {
            this.children = children;
            this.state = state;
        }
    }

    private static final Comparator<Tree.Node> BY_SEGMENT = Comparator.comparing(Tree.Node::segment);

    /**
     * A depth-first walk visiting children in segment order, so the leaves come out sorted by path
     * ({@link TreePath#compareTo}: segment by segment, a node before its descendants) and no sort of the whole
     * snapshot is needed.
     */
    private boolean walkSlice() {
        if (frames == null) {
            frames = new ArrayDeque<>();
            maxSeen = 0;
            pushFrame(core.tree().root(), PatternNfa.closure(pattern, 1L));
        }
        int budget = WALK_NODES_PER_SLICE;
        while (budget-- > 0 && !frames.isEmpty()) {
            Frame f = frames.peek();
            if (f.next == f.children.length) {
                frames.pop();
                continue;
            }
            Tree.Node child = f.children[f.next++];
            long next = PatternNfa.step(pattern, f.state, child.segment());
            if (next == 0) {
                continue;
            }
            long seq = child.seqAcquire();
            byte[] value = child.value();
            if (value != null && PatternNfa.accepts(pattern, next)) {
                append(child, value, seq);
                maxSeen = Math.max(maxSeen, seq);
            }
            if (PatternNfa.more(pattern, next)) {
                pushFrame(child, next);
            }
        }
        if (frames.isEmpty()) {
            frames = null;
            return true;
        }
        return false;
    }

    /**
     * Pushes {@code node}'s children that the pattern may reach from {@code state}, sorted by segment. A child deleted
     * and added again while its table is read may show up twice: one is kept (the outbox holds both changes, which
     * the merge up to P applies).
     */
    private void pushFrame(Tree.Node node, long state) {
        Tree.Node[] children;
        int n = 0;
        if (PatternNfa.wild(pattern, state)) {
            Tree.Node[] table = node.childTable();
            if (table == null) {
                return;
            }
            children = new Tree.Node[table.length];
            for (int i = 0; i < table.length; i++) {
                Tree.Node c = Tree.slot(table, i);
                if (c != null && c != Tree.TOMBSTONE) {
                    children[n++] = c;
                }
            }
        } else {
            String[] names = PatternNfa.names(pattern, state);
            if (names == null) {
                return;
            }
            children = new Tree.Node[names.length];
            for (String name : names) {
                Tree.Node c = node.child(name);
                if (c != null) {
                    children[n++] = c;
                }
            }
        }
        if (n == 0) {
            return;
        }
        Arrays.sort(children, 0, n, BY_SEGMENT);
        int unique = 1;
        for (int i = 1; i < n; i++) {
            if (!children[i].segment().equals(children[unique - 1].segment())) {
                children[unique++] = children[i];
            }
        }
        frames.push(new Frame(Arrays.copyOf(children, unique), state));
    }

    private void append(Object key, byte[] value, long seq) {
        if (count == keys.length) {
            int n = count * 2;
            keys = Arrays.copyOf(keys, n);
            values = Arrays.copyOf(values, n);
            seqs = Arrays.copyOf(seqs, n);
        }
        keys[count] = key;
        values[count] = value;
        seqs[count] = seq;
        count++;
    }

    // ------------------------------------------------------------------ merge

    /**
     * The held entries up to P merged into the walked leaves by the per-leaf rule: the leaves are then exactly the
     * state at P (README, "Snapshot"). A conflated entry contributes its changes up to P whatever its own seq. The
     * held changes (at most an outbox's worth) are reduced to the newest per path, sorted, and joined with the
     * walked leaves in one ordered pass.
     */
    private void mergeHeld() {
        HashMap<TreePath, Sub.Pending> changes = new HashMap<>();
        for (int k = 0; k < heldCount; k++) {
            long hs = heldSeq[k];
            Object ref = heldRef[k];
            if (ref instanceof Conflated) {
                Conflated c = (Conflated) ref;
                for (int i = 0; i < c.paths.length; i++) {
                    if (c.seqs[i] <= p && pattern.matches(c.paths[i])) {
                        newest(changes, c.paths[i], c.values[i], c.seqs[i]);
                    }
                }
            } else if (hs <= p) {
                int n = Applied.size(ref);
                for (int i = 0; i < n; i++) {
                    Change ch = Applied.change(ref, i);
                    if (pattern.matches(ch.path())) {
                        newest(changes, ch.path(), ch.value(), hs);
                    }
                }
            }
        }
        heldSeq = null;
        heldRef = null;
        if (changes.isEmpty()) {
            return;
        }
        @SuppressWarnings("unchecked")
        Map.Entry<TreePath, Sub.Pending>[] sorted = changes.entrySet().toArray(new Map.Entry[0]);
        Arrays.sort(sorted, Map.Entry.comparingByKey());
        Object[] walkedKeys = keys;
        byte[][] walkedValues = values;
        long[] walkedSeqs = seqs;
        int walked = count;
        keys = new Object[walked + sorted.length];
        values = new byte[keys.length][];
        seqs = new long[keys.length];
        count = 0;
        String[] scratch = new String[io.treecast.fastpath.Limits.MAX_SEGMENTS];
        int i = 0;
        int j = 0;
        while (i < walked || j < sorted.length) {
            int cmp = i == walked ? 1 : j == sorted.length ? -1 : compare((Tree.Node) walkedKeys[i], sorted[j].getKey(), scratch);
            if (cmp < 0) {
                append(walkedKeys[i], walkedValues[i], walkedSeqs[i]);
                i++;
                continue;
            }
            Sub.Pending ch = sorted[j].getValue();
            if (cmp > 0 || ch.seq >= walkedSeqs[i]) {
                if (ch.value != null) {
                    append(sorted[j].getKey(), ch.value, ch.seq);
                }
            } else {
                append(walkedKeys[i], walkedValues[i], walkedSeqs[i]);
            }
            if (cmp == 0) {
                i++;
            }
            j++;
        }
    }

    /** Keeps the change with the highest seq per path (the later one of a batch), deletes as a null value. */
    private static void newest(HashMap<TreePath, Sub.Pending> changes, TreePath path, byte[] value, long seq) {
        Sub.Pending cur = changes.get(path);
        if (cur == null || cur.seq <= seq) {
            changes.put(path, new Sub.Pending(seq, value));
        }
    }

    /** {@link TreePath#compareTo} between the path of tree node {@code n} and {@code path}. */
    private static int compare(Tree.Node n, TreePath path, String[] scratch) {
        int depth = 0;
        for (Tree.Node x = n; x.parent() != null; x = x.parent()) {
            scratch[depth++] = x.segment();
        }
        int common = Math.min(depth, path.depth());
        for (int k = 0; k < common; k++) {
            int c = scratch[depth - 1 - k].compareTo(path.segment(k));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(depth, path.depth());
    }

    /**
     * Once the store answered with its leaves complete up to S: the ring's batches (S, P] merged into the leaves by
     * the per-leaf rule give exactly the state at P; a store leaf newer than S is re-applied by its own batch, and a
     * leaf the store already saw deleted after S is re-added and removed again in seq order. The dispatcher checked
     * that P - S fits the ring; a batch overwritten meanwhile leaves {@link #notBridged} set.
     */
    private void catchUp() {
        SnapshotStore.Result result = storeResult;
        storeResult = null;
        HashMap<TreePath, Sub.Pending> map = new HashMap<>(Math.max(16, result.leaves().size() * 4 / 3 + 1));
        for (Leaf leaf : result.leaves()) {
            if (pattern.matches(leaf.path())) {
                map.put(leaf.path(), new Sub.Pending(leaf.seq(), leaf.value()));
            }
        }
        for (long c = from + 1; c <= p; c++) {
            if (cancelled) {
                return;
            }
            Object ref = core.readRing(c);
            if (ref == null || (c == from + 1 && core.readRing(from) == EngineCore.UNKNOWN)) {
                // overwritten while the store was read: the ring no longer bridges S to P (or S is a seq a
                // follower's rebase skipped, whose state is unknown here)
                notBridged = true;
                return;
            }
            int n = Applied.size(ref);
            for (int i = 0; i < n; i++) {
                Change ch = Applied.change(ref, i);
                if (pattern.matches(ch.path())) {
                    merge(map, ch.path(), ch.value(), c);
                }
            }
        }
        @SuppressWarnings("unchecked")
        Map.Entry<TreePath, Sub.Pending>[] sorted = map.entrySet().toArray(new Map.Entry[0]);
        Arrays.sort(sorted, Map.Entry.comparingByKey());
        keys = new Object[sorted.length];
        values = new byte[sorted.length][];
        seqs = new long[sorted.length];
        count = 0;
        for (Map.Entry<TreePath, Sub.Pending> e : sorted) {
            append(e.getKey(), e.getValue().value, e.getValue().seq);
        }
    }

    /** The per-leaf rule: a change applies when its seq is at least the leaf's (changes of one batch share a seq). */
    private static void merge(HashMap<TreePath, Sub.Pending> map, TreePath path, byte[] value, long seq) {
        Sub.Pending cur = map.get(path);
        if (cur != null && cur.seq > seq) {
            return;
        }
        if (value == null) {
            map.remove(path);
        } else {
            map.put(path, new Sub.Pending(seq, value));
        }
    }

    /** Dispatcher: leaves [0, made) have their TreePath ({@link #path}); the rest wait for {@link Step#PATHS}. */
    int made() {
        return made;
    }

    /** Dispatcher: the path of leaf {@code i < made()}, which the worker built ahead. */
    TreePath path(int i) {
        return (TreePath) keys[i];
    }

    /**
     * Dispatcher: leaves [.., upTo) are in SNAPSHOT events; their slots are cleared (the event holds what it needs)
     * and a worker standing aside is handed {@link Step#PATHS} again once half its window is free, so it builds
     * paths in runs of that many rather than being woken for every event. The dispatcher cannot run dry meanwhile:
     * it waits only with less than one event's paths ready, i.e. with more than half the window free.
     */
    void sent(int from, int upTo) {
        Arrays.fill(keys, from, upTo, null);
        Arrays.fill(values, from, upTo, null);
        sent = upTo;
        int ready = made;
        if (ready < count && ready - upTo <= pathsAhead / 2 && (boolean) ASIDE.getVolatile(this)
                && ASIDE.compareAndSet(this, true, false)) {
            owner.worker.submit(this, Step.PATHS);
        }
    }

    /**
     * Worker: builds up to a slice of paths within the window ahead of {@link #sent}. With the window full it stands
     * aside, then looks at {@code sent} once more: a dispatcher that sent meanwhile either saw the flag (and hands the
     * step back: the CAS is its) or did not (then this sees its newer {@code sent} and takes the flag back itself).
     */
    private Slice pathsSlice() {
        int limit = Math.min(count, sent + pathsAhead);
        int from = made;
        makePaths(Math.min(limit, from + PATHS_PER_SLICE));
        owner.wake();
        if (made == count) {
            return Slice.FINISHED;
        }
        if (made < limit) {
            return Slice.MORE;
        }
        ASIDE.setVolatile(this, true);
        if (made < Math.min(count, sent + pathsAhead) && ASIDE.compareAndSet(this, true, false)) {
            return Slice.MORE;
        }
        return Slice.STANDING_ASIDE;
    }

    /**
     * Worker: turns keys [made, upTo) into TreePaths, then publishes {@link #made}. A walked leaf's path is built
     * from its parent's (kept from the previous leaf when they share the parent), so only the new segment is
     * validated again.
     */
    private void makePaths(int upTo) {
        Object[] k = keys;
        for (int i = made; i < upTo; i++) {
            Object key = k[i];
            if (key instanceof TreePath) {
                continue;
            }
            Tree.Node n = (Tree.Node) key;
            Tree.Node parent = n.parent();
            if (parent != lastParent) {
                lastParent = parent;
                lastParentPath = pathOf(parent);
            }
            k[i] = lastParentPath == null ? TreePath.parse(n.segment()) : lastParentPath.child(n.segment());
        }
        if (upTo > made) {
            made = upTo;
        }
    }

    /** The path of an inner node, null for the root. */
    private static TreePath pathOf(Tree.Node node) {
        if (node.parent() == null) {
            return null;
        }
        ArrayDeque<String> segments = new ArrayDeque<>();
        for (Tree.Node x = node; x.parent() != null; x = x.parent()) {
            segments.push(x.segment());
        }
        return TreePath.of(segments.toArray(new String[0]));
    }
}
