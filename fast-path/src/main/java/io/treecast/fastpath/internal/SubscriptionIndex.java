package io.treecast.fastpath.internal;

import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.TreePath;

import java.util.Arrays;
import java.util.HashMap;

/**
 * The subscription index: a trie over pattern segments (literal edges in a hash map, one {@code *} edge, one
 * {@code **} edge). An alternation {@code {a,b}} is expanded into literal edges, one terminal per combination.
 * Matching runs the path through the trie as an NFA ({@code **} consumes 0..n segments); a per-node bit set of
 * visited depths, reset lazily by an epoch, bounds the work to nodes x depths however many {@code **} there are.
 * The cost depends on the path and on what matches, not on how many subscriptions exist. Writer thread only.
 */
final class SubscriptionIndex {

    /** Receives every subscription whose pattern matches (a subscription may be reported more than once). */
    public interface Sink {
        void onMatch(Sub sub);
    }

    private static final Sub[] NO_SUBS = new Sub[0];

    static final class INode {
        HashMap<String, INode> literals;
        INode star;
        INode globstar;
        Sub[] subs = NO_SUBS;
        int count;
        long memoEpoch;
        long memoMask;

        boolean isEmpty() {
            return count == 0 && star == null && globstar == null && (literals == null || literals.isEmpty());
        }
    }

    private final INode root = new INode();
    private long epoch;
    private TreePath path;
    private Sink sink;
    private int size;
    /** Changes with every add and remove: an answer remembered at an older version may be wrong now. */
    private long version;
    /**
     * Each indexed subscription under a small number ({@link Sub#indexId}), so that remembered answers hold numbers,
     * not references that would keep ended subscriptions alive; freed numbers are reused.
     */
    private Sub[] byId = new Sub[16];
    private int[] freeIds = new int[16];
    private int freeCount;
    private int nextId;

    /** Adds {@code sub} under every literal expansion of its pattern. */
    public void add(Sub sub) {
        add(root, sub.pattern(), 0, sub);
        int id;
        if (freeCount > 0) {
            id = freeIds[--freeCount];
        } else {
            id = nextId++;
            if (id == byId.length) {
                byId = Arrays.copyOf(byId, id * 2);
            }
        }
        byId[id] = sub;
        sub.indexId = id;
        size++;
        version++;
    }

    /** Removes {@code sub}; unknown subscriptions are ignored. */
    public void remove(Sub sub) {
        if (remove(root, sub.pattern(), 0, sub)) {
            size--;
            version++;
            int id = sub.indexId;
            if (id >= 0 && byId[id] == sub) {
                byId[id] = null;
                if (freeCount == freeIds.length) {
                    freeIds = Arrays.copyOf(freeIds, freeCount * 2);
                }
                freeIds[freeCount++] = id;
            }
            sub.indexId = -1;
        }
    }

    /** One past the highest number an indexed subscription may have: walk {@link #byId} below it (nulls are gaps). */
    int idBound() {
        return nextId;
    }

    public int size() {
        return size;
    }

    /** The version of the subscription set: see {@link LeafMatches}. */
    long version() {
        return version;
    }

    /** The subscription numbered {@code id} ({@link Sub#indexId}) while it is indexed. */
    Sub byId(int id) {
        return byId[id];
    }

    /** Reports every subscription matching {@code p} to {@code s}. Allocation-free. */
    public void match(TreePath p, Sink s) {
        epoch++;
        path = p;
        sink = s;
        visit(root, 0);
        path = null;
        sink = null;
    }

    private void visit(INode n, int i) {
        if (n.memoEpoch != epoch) {
            n.memoEpoch = epoch;
            n.memoMask = 0;
        }
        long bit = 1L << i;
        if ((n.memoMask & bit) != 0) {
            return;
        }
        n.memoMask |= bit;
        int depth = path.depth();
        if (n.globstar != null) {
            for (int k = i; k <= depth; k++) {
                visit(n.globstar, k);
            }
        }
        if (i == depth) {
            Sub[] subs = n.subs;
            for (int k = 0; k < n.count; k++) {
                sink.onMatch(subs[k]);
            }
            return;
        }
        if (n.literals != null) {
            INode c = n.literals.get(path.segment(i));
            if (c != null) {
                visit(c, i + 1);
            }
        }
        if (n.star != null) {
            visit(n.star, i + 1);
        }
    }

    private static void add(INode n, PathPattern p, int i, Sub sub) {
        if (i == p.depth()) {
            if (n.count == n.subs.length) {
                n.subs = Arrays.copyOf(n.subs, Math.max(4, n.count * 2));
            }
            n.subs[n.count++] = sub;
            return;
        }
        switch (p.kind(i)) {
            case PathPattern.STAR:
                if (n.star == null) {
                    n.star = new INode();
                }
                add(n.star, p, i + 1, sub);
                break;
            case PathPattern.GLOBSTAR:
                if (n.globstar == null) {
                    n.globstar = new INode();
                }
                add(n.globstar, p, i + 1, sub);
                break;
            default:
                if (n.literals == null) {
                    n.literals = new HashMap<>(4);
                }
                for (String lit : p.literals(i)) {
                    add(n.literals.computeIfAbsent(lit, k -> new INode()), p, i + 1, sub);
                }
        }
    }

    /** Removes {@code sub} below {@code n}, pruning nodes left empty; true if it was found anywhere. */
    private static boolean remove(INode n, PathPattern p, int i, Sub sub) {
        if (i == p.depth()) {
            for (int k = 0; k < n.count; k++) {
                if (n.subs[k] == sub) {
                    System.arraycopy(n.subs, k + 1, n.subs, k, n.count - k - 1);
                    n.subs[--n.count] = null;
                    return true;
                }
            }
            return false;
        }
        boolean found = false;
        switch (p.kind(i)) {
            case PathPattern.STAR:
                if (n.star != null) {
                    found = remove(n.star, p, i + 1, sub);
                    if (n.star.isEmpty()) {
                        n.star = null;
                    }
                }
                break;
            case PathPattern.GLOBSTAR:
                if (n.globstar != null) {
                    found = remove(n.globstar, p, i + 1, sub);
                    if (n.globstar.isEmpty()) {
                        n.globstar = null;
                    }
                }
                break;
            default:
                if (n.literals != null) {
                    for (String lit : p.literals(i)) {
                        INode c = n.literals.get(lit);
                        if (c != null) {
                            found |= remove(c, p, i + 1, sub);
                            if (c.isEmpty()) {
                                n.literals.remove(lit);
                            }
                        }
                    }
                }
        }
        return found;
    }
}
