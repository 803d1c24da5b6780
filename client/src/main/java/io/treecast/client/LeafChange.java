package io.treecast.client;

/**
 * One leaf in an event or a snapshot: its path, its new value ({@code null} when deleted) and the seq of the batch
 * that made this change.
 *
 * <pre>{@code
 * for (LeafChange c : event.changes()) {
 *     if (c.isDelete()) local.remove(c.path()); else local.put(c.path(), c.value());
 * }
 * }</pre>
 */
public record LeafChange(String path, TreeValue value, long seq) {
    public boolean isDelete() {
        return value == null;
    }
}
