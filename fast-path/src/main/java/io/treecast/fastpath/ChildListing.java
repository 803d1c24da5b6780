package io.treecast.fastpath;

import java.util.List;

/**
 * One page of the direct children of a node, sorted by name: what {@link Engine#children} answers.
 *
 * <pre>{@code
 * ChildListing top = engine.children(null, "", 1000);          // the root's first 1000 children
 * for (ChildListing.Child c : top.children()) System.out.println(c.name() + (c.leaf() ? "" : "/"));
 * if (top.more()) engine.children(null, top.children().get(999).name(), 1000);
 * }</pre>
 *
 * @param seq      the engine's seq when the listing started (the listing is read from the live tree, not a snapshot)
 * @param children at most the asked number of children, sorted by {@link String#compareTo}
 * @param more     whether children after the last one were left out
 */
public record ChildListing(long seq, List<Child> children, boolean more) {

    /** A child: its segment, and whether it is a leaf (holds a value) rather than an inner node. */
    public record Child(String name, boolean leaf) {
    }
}
