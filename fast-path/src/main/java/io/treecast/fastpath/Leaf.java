package io.treecast.fastpath;

/** One leaf of a {@link TreeSnapshot}: path, encoded value (never modify it) and the seq that set it. */
public record Leaf(TreePath path, byte[] value, long seq) {
}
