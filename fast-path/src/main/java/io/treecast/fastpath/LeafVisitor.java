package io.treecast.fastpath;

/** Receives leaves, e.g. from {@link Engine#get}. */
@FunctionalInterface
public interface LeafVisitor {
    /** One leaf: its path, its value (the encoded protobuf {@code Value}; never modify it) and its own seq. */
    void leaf(TreePath path, byte[] value, long seq);
}
