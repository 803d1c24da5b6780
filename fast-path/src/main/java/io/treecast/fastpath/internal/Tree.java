package io.treecast.fastpath.internal;

import io.treecast.fastpath.Change;
import io.treecast.fastpath.TreePath;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The tree: written by one thread (the writer), read concurrently by dispatchers building snapshots.
 *
 * <p>Safe publication without locks: a leaf's value is written plain and then its seq with release; readers read
 * the seq with acquire and then the value, so a reader may see a newer value with an older seq (harmless: the
 * newer change is also in the reader's outbox) but never an older value with a newer seq. Children live in an
 * open-addressing table whose slots are written with release; a delete leaves a TOMBSTONE, and a resize builds a
 * whole new table and publishes it, so a reader iterating an old table never sees a slot move under it. A reader
 * may miss a child inserted during its walk; the snapshot algorithm covers that through the outbox (README).
 */
final class Tree {
    static final VarHandle SEQ;
    static final VarHandle CHILDREN;
    static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Node[].class);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SEQ = l.findVarHandle(Node.class, "seq", long.class);
            CHILDREN = l.findVarHandle(Node.class, "children", Node[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One node: a leaf (value != null) or an inner node (has children). 64 bytes with compressed oops. */
    public static final class Node {
        final String segment;
        final Node parent;
        byte[] value;
        /**
         * {@code value.length} while this is a leaf (stale otherwise): an overwrite counts the bytes it frees without
         * loading the old value, a cache miss under a big tree. Writer thread only.
         */
        int valueLength;
        long seq;
        Node[] children;
        int size;
        int used;
        /**
         * A live leaf's matching subscriptions as the index answered them at {@link #matchVersion} ({@link LeafMatches});
         * null when not cached. Writer thread only.
         */
        int[] matches;
        long matchVersion;

        Node(String segment, Node parent) {
            this.segment = segment;
            this.parent = parent;
        }

        /** The seq of this leaf's value (acquire: read it before {@link #value()}). */
        public long seqAcquire() {
            return (long) SEQ.getAcquire(this);
        }

        public byte[] value() {
            return value;
        }

        public String segment() {
            return segment;
        }

        public Node parent() {
            return parent;
        }

        /** The current child table (may contain nulls and {@link #TOMBSTONE}), or null. */
        public Node[] childTable() {
            return (Node[]) CHILDREN.getAcquire(this);
        }

        /** The live child named {@code segment}, or null. Safe from any thread. */
        public Node child(String segment) {
            Node[] t = childTable();
            if (t == null) {
                return null;
            }
            int mask = t.length - 1;
            int i = spread(segment.hashCode()) & mask;
            for (int probes = 0; probes < t.length; probes++) {
                Node n = (Node) SLOTS.getAcquire(t, i);
                if (n == null) {
                    return null;
                }
                if (n != TOMBSTONE && (n.segment == segment || n.segment.equals(segment))) {
                    return n;
                }
                i = (i + 1) & mask;
            }
            return null;
        }
    }

    /** Marks a deleted slot so that probing continues past it. */
    public static final Node TOMBSTONE = new Node("", null);

    private final Node root = new Node("", null);
    private long leaves;
    /** Bytes of the leaves' values (writer thread; other threads read it racily, for metrics). */
    private long valueBytes;
    /** UTF-8 bytes of the leaves' paths (writer thread): with {@link #valueBytes}, what the tree budget counts. */
    private long pathBytes;
    /** Nodes below the root (writer thread). */
    private long nodes;
    /**
     * The leaf each recently set path resolved to, in a fixed four-way set-associative table: an update of an
     * existing leaf, the steady state, skips the walk down the tree (a hash probe and a likely cache miss per level).
     * A set holds the last four paths that hashed to it, newest first; 262,144 entries (3 MiB with compressed oops),
     * so a tree of 100,000 leaves updated at random finds ~98% of them here (direct-mapped with 65,536 slots, fewer
     * than the leaves, it found about half). The path's UTF-8 bytes and the leaf sit side by side ({@link #resolved})
     * and each entry's path hash beside them ({@link #resolvedHash}), so a lookup dereferences no key but the one it is
     * after, and none at all when the caller passes the same path object again (the gateway's per-thread path cache
     * does): the bytes are then the same array. Comparing the bytes rather than the paths saves two loads (path, then
     * its text) on a miss of that identity. An entry is used only while its node is a live leaf, which a removed node
     * never is again.
     */
    private static final int RESOLVED_WAYS = 4;
    private static final int RESOLVED_SETS = 1 << 16;
    /** Entry e of the table: its path's {@link TreePath#utf8()} at {@code 2e}, its leaf at {@code 2e + 1}. */
    private final Object[] resolved = new Object[2 * RESOLVED_SETS * RESOLVED_WAYS];
    private final int[] resolvedHash = new int[RESOLVED_SETS * RESOLVED_WAYS];
    /** The leaves' cached match lists ({@link LeafMatches}), told when a leaf goes so that it can forget its list. */
    private LeafMatches matchCache;

    /**
     * What {@link #bytes()} counts per node besides the bytes of values and paths: the node (64 B), its slot in the
     * parent's table and its segment's String, so that deep paths with many distinct segments are paid for too.
     */
    public static final int NODE_BYTES = 96;

    public Node root() {
        return root;
    }

    /** Tells {@code cache} whenever a leaf loses its value, so that its cached match list is dropped and uncounted. */
    void matchCache(LeafMatches cache) {
        this.matchCache = cache;
    }

    private void leafGone(Node n) {
        if (n.matches != null && matchCache != null) {
            matchCache.forget(n);
        }
    }

    /** Number of leaves (writer thread only). */
    public long leafCount() {
        return leaves;
    }

    /** Total bytes of the leaves' encoded values (writer thread; a racy read elsewhere is fine for metrics). */
    public long valueBytes() {
        return valueBytes;
    }

    /**
     * What {@code engine.max-tree-bytes} bounds: the bytes of every leaf's value, the UTF-8 bytes of its path and
     * {@link #NODE_BYTES} per node (writer thread; a racy read elsewhere is fine for metrics).
     */
    public long bytes() {
        return valueBytes + pathBytes + NODE_BYTES * nodes;
    }

    /** Nodes below the root (writer thread). */
    public long nodeCount() {
        return nodes;
    }

    /** Reads one slot of a child table with acquire; null, TOMBSTONE or a child. */
    public static Node slot(Node[] table, int i) {
        return (Node) SLOTS.getAcquire(table, i);
    }

    /**
     * Sets a leaf. Leaf-level deletes caused by the replacement (a leaf on the way becoming an inner node, or a
     * subtree at the target) are appended to {@code implied}, in the order they happen, before the set itself.
     * Returns the leaf's node.
     */
    public Node set(TreePath path, byte[] value, long seq, List<Change> implied) {
        int h = path.hashCode();
        byte[] key = path.utf8();
        int first = (spread(h) & (RESOLVED_SETS - 1)) * RESOLVED_WAYS;
        for (int e = first; e < first + RESOLVED_WAYS; e++) {
            if (resolvedHash[e] != h) {
                continue;
            }
            byte[] known = (byte[]) resolved[2 * e];
            if (known == key || Arrays.equals(known, key)) {
                Node leaf = (Node) resolved[2 * e + 1];
                if (leaf.value != null) {
                    // a live leaf: its ancestors are inner nodes and it has no children, so this is a plain overwrite
                    valueBytes += value.length - leaf.valueLength;
                    leaf.value = value;
                    leaf.valueLength = value.length;
                    SEQ.setRelease(leaf, seq);
                    return leaf;
                }
                // the leaf is gone: walk, then the entry holds the new leaf
                Node n = walkAndSet(path, value, seq, implied);
                resolved[2 * e] = key;
                resolved[2 * e + 1] = n;
                return n;
            }
        }
        Node n = walkAndSet(path, value, seq, implied);
        // the newest entry first; the oldest of a full set goes
        System.arraycopy(resolved, 2 * first, resolved, 2 * first + 2, 2 * (RESOLVED_WAYS - 1));
        System.arraycopy(resolvedHash, first, resolvedHash, first + 1, RESOLVED_WAYS - 1);
        resolved[2 * first] = key;
        resolved[2 * first + 1] = n;
        resolvedHash[first] = h;
        return n;
    }

    private Node walkAndSet(TreePath path, byte[] value, long seq, List<Change> implied) {
        Node n = root;
        int depth = path.depth();
        for (int i = 0; i < depth; i++) {
            String seg = path.segment(i);
            Node c = n.child(seg);
            if (c == null) {
                c = new Node(seg, n);
                insert(n, c);
            }
            if (i < depth - 1 && c.value != null) {
                // a leaf on the way becomes an inner node: its value is deleted
                TreePath gone = path.prefix(i + 1);
                implied.add(Change.delete(gone));
                valueBytes -= c.value.length;
                pathBytes -= gone.utf8().length;
                c.value = null;
                leafGone(c);
                SEQ.setRelease(c, seq);
                leaves--;
            }
            n = c;
        }
        if (n.size > 0) {
            deleteChildren(n, seq, implied, null);
        }
        if (n.value == null) {
            leaves++;
            pathBytes += path.utf8().length;
        } else {
            valueBytes -= n.value.length;
        }
        valueBytes += value.length;
        n.value = value;
        n.valueLength = value.length;
        SEQ.setRelease(n, seq);
        return n;
    }

    /**
     * Deletes the node at {@code path}. Returns true when it was a leaf (the delete itself is the applied change);
     * for an inner node every leaf below it is appended to {@code implied} as a leaf-level delete and false is
     * returned; a missing path changes nothing (false). Inner nodes left without children vanish.
     */
    public boolean delete(TreePath path, long seq, List<Change> implied) {
        Node n = find(path);
        if (n == null) {
            return false;
        }
        boolean leaf = n.value != null;
        if (leaf) {
            valueBytes -= n.value.length;
            pathBytes -= path.utf8().length;
            n.value = null;
            leafGone(n);
            SEQ.setRelease(n, seq);
            leaves--;
        } else {
            deleteChildren(n, seq, implied, path);
        }
        prune(n);
        return leaf;
    }

    /** Puts a recovered leaf (before the engine starts). */
    public void load(TreePath path, byte[] value, long seq) {
        set(path, value, seq, new ArrayList<>());
    }

    /**
     * Puts one recovered journal record, path given as UTF-8 (before the engine starts). Records of one path come
     * in seq order, different paths in any order; where a leaf and a leaf below it are both recorded, the higher
     * seq wins (README "Recovery"). {@code value == null}: the leaf was deleted at {@code seq}. Returns false when
     * {@code utf8} is not a valid path (nothing changes).
     */
    public boolean loadRecord(byte[] utf8, byte[] value, long seq, SegmentCache segments) {
        int depth = segments.split(utf8);
        if (depth < 0) {
            return false;
        }
        Node n = root;
        for (int i = 0; i < depth; i++) {
            String seg = segments.segment(i);
            Node c = n.child(seg);
            if (c == null) {
                if (value == null) {
                    return true;
                }
                c = new Node(seg, n);
                insert(n, c);
            } else if (i < depth - 1 && c.value != null) {
                // a leaf on the way: whichever of the two was written later replaced the other
                if (value == null || c.seq > seq) {
                    return true;
                }
                valueBytes -= c.value.length;
                pathBytes -= segments.end(i);
                c.value = null;
                leafGone(c);
                leaves--;
            }
            n = c;
        }
        if (value == null) {
            if (n.value != null && n.seq <= seq) {
                valueBytes -= n.value.length;
                pathBytes -= utf8.length;
                n.value = null;
                leafGone(n);
                leaves--;
                prune(n);
            }
            return true;
        }
        if (n.value != null && n.seq > seq) {
            return true;
        }
        if (n.size > 0 && keepNewer(n, seq)) {
            // a leaf below was set after this one: this value was replaced then
            prune(n);
            return true;
        }
        if (n.value == null) {
            leaves++;
            pathBytes += utf8.length;
        } else {
            valueBytes -= n.value.length;
        }
        valueBytes += value.length;
        n.value = value;
        n.valueLength = value.length;
        n.seq = seq;
        return true;
    }

    /** Recovery only: drops the leaves below {@code n} older than {@code seq}; true when newer ones remain. */
    private boolean keepNewer(Node n, long seq) {
        Node[] t = n.children;
        boolean newer = false;
        for (int i = 0; t != null && i < t.length; i++) {
            Node c = t[i];
            if (c == null || c == TOMBSTONE) {
                continue;
            }
            if (c.value != null && c.seq < seq) {
                valueBytes -= c.value.length;
                pathBytes -= pathOf(c).utf8().length;
                c.value = null;
                leafGone(c);
                leaves--;
            } else if (c.value != null) {
                newer = true;
            }
            if (c.size > 0 && keepNewer(c, seq)) {
                newer = true;
            }
            if (c.value == null && c.size == 0) {
                remove(n, c);
                t = n.children;
            }
        }
        return newer;
    }

    /**
     * Splits UTF-8 paths into segments for {@link #loadRecord}, validating them as {@link TreePath#parse} does, and
     * shares one String per distinct segment text (bounded), like the parser's interning. One per loading thread.
     */
    public static final class SegmentCache {
        private static final int MAX_CACHED = 1 << 18;
        private final java.util.HashMap<String, String> cache = new java.util.HashMap<>();
        private final String[] segs = new String[io.treecast.fastpath.Limits.MAX_SEGMENTS];
        /** Where each segment ends in the UTF-8 path: the byte length of the prefix of depth i + 1. */
        private final int[] ends = new int[io.treecast.fastpath.Limits.MAX_SEGMENTS];

        /** Number of segments of {@code utf8}, or -1 when it is not a valid path. */
        int split(byte[] utf8) {
            if (utf8.length == 0 || utf8.length > io.treecast.fastpath.Limits.MAX_PATH_BYTES) {
                return -1;
            }
            int depth = 0;
            int start = 0;
            boolean ascii = true;
            for (int i = 0; i <= utf8.length; i++) {
                int b = i < utf8.length ? utf8[i] : '/';
                if (b == '/') {
                    int len = i - start;
                    if (len == 0 || len > io.treecast.fastpath.Limits.MAX_SEGMENT_BYTES
                            || depth == io.treecast.fastpath.Limits.MAX_SEGMENTS) {
                        return -1;
                    }
                    String seg = ascii ? new String(utf8, start, len, java.nio.charset.StandardCharsets.ISO_8859_1)
                            : decode(utf8, start, len);
                    if (seg == null) {
                        return -1;
                    }
                    ends[depth] = i;
                    segs[depth++] = share(seg);
                    start = i + 1;
                    ascii = true;
                } else if (b < 0) {
                    ascii = false;
                } else if (b < 0x20 || b == 0x7f || b == '*' || b == '{' || b == '}' || b == ',') {
                    return -1;
                }
            }
            return depth;
        }

        String segment(int i) {
            return segs[i];
        }

        /** The UTF-8 length of the prefix made of segments 0..i of the last split path. */
        int end(int i) {
            return ends[i];
        }

        private static String decode(byte[] utf8, int off, int len) {
            java.nio.charset.CharsetDecoder d = java.nio.charset.StandardCharsets.UTF_8.newDecoder();
            try {
                return d.decode(java.nio.ByteBuffer.wrap(utf8, off, len)).toString();
            } catch (java.nio.charset.CharacterCodingException malformed) {
                return null;
            }
        }

        private String share(String seg) {
            String shared = cache.get(seg);
            if (shared != null) {
                return shared;
            }
            if (cache.size() < MAX_CACHED) {
                cache.put(seg, seg);
            }
            return seg;
        }
    }

    public Node find(TreePath path) {
        Node n = root;
        for (int i = 0; i < path.depth() && n != null; i++) {
            n = n.child(path.segment(i));
        }
        return n;
    }

    /** The path of {@code n} (allocates; used off the hot path). */
    public static TreePath pathOf(Node n) {
        int d = 0;
        for (Node x = n; x.parent != null; x = x.parent) {
            d++;
        }
        String[] segs = new String[d];
        for (Node x = n; x.parent != null; x = x.parent) {
            segs[--d] = x.segment;
        }
        return TreePath.of(segs);
    }

    private void deleteChildren(Node n, long seq, List<Change> implied, TreePath known) {
        Node[] t = n.children;
        for (int i = 0; i < t.length; i++) {
            Node c = t[i];
            if (c == null || c == TOMBSTONE) {
                continue;
            }
            nodes--; // dropped with this table below
            if (c.value != null) {
                TreePath gone = pathOf(c);
                implied.add(Change.delete(gone));
                valueBytes -= c.value.length;
                pathBytes -= gone.utf8().length;
                c.value = null;
                leafGone(c);
                SEQ.setRelease(c, seq);
                leaves--;
            } else if (c.size > 0) {
                deleteChildren(c, seq, implied, null);
            }
        }
        // a whole new empty table: readers holding the old one see a consistent (stale) picture
        CHILDREN.setRelease(n, (Node[]) null);
        n.size = 0;
        n.used = 0;
    }

    /** Removes {@code n} and then every ancestor left with neither value nor children. */
    private void prune(Node n) {
        while (n != root && n.value == null && n.size == 0) {
            Node p = n.parent;
            remove(p, n);
            n = p;
        }
    }

    private void insert(Node parent, Node child) {
        nodes++;
        Node[] t = parent.children;
        if (t == null || (parent.used + 1) * 4 > t.length * 3) {
            t = rehash(t, parent.size + 1);
            parent.used = parent.size;
            CHILDREN.setRelease(parent, t);
        }
        int mask = t.length - 1;
        int i = spread(child.segment.hashCode()) & mask;
        while (true) {
            Node s = t[i];
            if (s == null || s == TOMBSTONE) {
                if (s == null) {
                    parent.used++;
                }
                SLOTS.setRelease(t, i, child);
                parent.size++;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    private static Node[] rehash(Node[] old, int live) {
        int len = 2;
        while (live * 4 > len * 3) {
            len <<= 1;
        }
        Node[] t = new Node[len];
        if (old != null) {
            int mask = len - 1;
            for (Node c : old) {
                if (c != null && c != TOMBSTONE) {
                    int i = spread(c.segment.hashCode()) & mask;
                    while (t[i] != null) {
                        i = (i + 1) & mask;
                    }
                    t[i] = c;
                }
            }
        }
        return t;
    }

    private void remove(Node parent, Node child) {
        Node[] t = parent.children;
        int mask = t.length - 1;
        int i = spread(child.segment.hashCode()) & mask;
        for (int probes = 0; probes < t.length; probes++) {
            if (t[i] == child) {
                SLOTS.setRelease(t, i, TOMBSTONE);
                nodes--;
                parent.size--;
                if (parent.size == 0) {
                    CHILDREN.setRelease(parent, (Node[]) null);
                    parent.used = 0;
                }
                return;
            }
            if (t[i] == null) {
                break;
            }
            i = (i + 1) & mask;
        }
        throw new IllegalStateException("tree invariant broken: child '" + child.segment + "' not found in its parent's table");
    }

    static int spread(int h) {
        return h ^ (h >>> 16);
    }
}
