package io.treecast.client;

import java.util.List;

/**
 * One page of the direct children of a node, sorted by name (UTF-16 code units, as {@link String#compareTo}), as
 * answered by {@code children}: a tree of a million leaves can be browsed one level and one page at a time.
 *
 * <pre>{@code
 * Children page = client.children("markets");                 // the first page, up to 1000 names
 * for (Children.Child c : page.children()) System.out.println(c.name() + (c.leaf() ? "" : "/"));
 * while (page.nextAfter() != null) {
 *     page = client.children("markets", 1000, page.nextAfter());
 * }
 * }</pre>
 *
 * Not a snapshot: a child added or removed while the server walked the node may be missed or still listed;
 * subscribe to {@code path/*} for the values of the leaves at that level and their changes.
 *
 * @param seq      the server's seq when the listing started
 * @param children the children of this page, sorted by name
 * @param more     whether children follow the last one (ask again with {@code after} = its name, {@link #nextAfter()})
 */
public record Children(long seq, List<Child> children, boolean more) {

    public Children {
        children = List.copyOf(children);
    }

    /** One child: its name (one path segment), and whether it is a leaf (holds a value) rather than an inner node. */
    public record Child(String name, boolean leaf) {
    }

    /**
     * The {@code after} that asks for the next page: the last name when {@link #more()}, else null. Also null when
     * a page with more after it shows no child (the server's access rules hid all of it), as nothing names where to
     * go on.
     */
    public String nextAfter() {
        return more && !children.isEmpty() ? children.get(children.size() - 1).name() : null;
    }
}
