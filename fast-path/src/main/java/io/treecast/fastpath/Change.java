package io.treecast.fastpath;

/**
 * One change in a {@link Batch}: set a leaf to a value, or delete a leaf or a whole subtree. Immutable.
 *
 * <p>Values are opaque to the engine: the encoded protobuf {@code Value} of {@code proto/}. The engine keeps a
 * reference, never a copy, so a value array must not be modified after it is handed over.
 *
 * <pre>{@code
 * Change.set(TreePath.parse("markets/eu/fx/EURUSD/bid"), encodedValue);
 * Change.delete(TreePath.parse("markets/eu"));   // the whole subtree
 * }</pre>
 */
public final class Change {
    private final TreePath path;
    private final byte[] value;

    private Change(TreePath path, byte[] value) {
        this.path = path;
        this.value = value;
    }

    /** Sets the leaf at {@code path}; a subtree at {@code path} is replaced, a leaf on the way becomes inner. */
    public static Change set(TreePath path, byte[] value) {
        if (path == null || value == null) {
            throw new NullPointerException("path and value are required");
        }
        return new Change(path, value);
    }

    /** Deletes the leaf at {@code path}, or every leaf under it; nothing happens if the path does not exist. */
    public static Change delete(TreePath path) {
        if (path == null) {
            throw new NullPointerException("path is required");
        }
        return new Change(path, null);
    }

    public TreePath path() {
        return path;
    }

    public boolean isDelete() {
        return value == null;
    }

    /** The encoded value, or {@code null} for a delete. */
    public byte[] value() {
        return value;
    }
}
