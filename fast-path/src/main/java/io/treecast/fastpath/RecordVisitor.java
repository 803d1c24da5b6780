package io.treecast.fastpath;

/**
 * A {@link LeafVisitor} that also takes the journal's records as they are stored, so that recovery can feed them
 * while it still reads, without building a {@link TreePath} or a per-path map first. The engine's recovery
 * implements it; a {@link Journal} may use either method (not both in one recovery).
 *
 * <pre>{@code
 * public long recover(LeafVisitor into) {
 *     if (into instanceof RecordVisitor records) {
 *         for (var r : topic) records.record(r.keyBytes(), r.valueOrNull(), r.seq());
 *     } ...
 * }
 * }</pre>
 *
 * Records of one path must come in seq order; records of different paths may come in any order: where a path and
 * one of its ancestors are both leaves, the higher seq wins, as if the records had been applied in seq order.
 * Called on one thread.
 */
public interface RecordVisitor extends LeafVisitor {
    /**
     * One record: the path as UTF-8 (not validated yet; a key that is not a valid path is refused), the encoded
     * {@code Value} (kept, never copied), or {@code null} when the leaf was deleted at {@code seq}.
     *
     * @return false when the path was refused
     */
    boolean record(byte[] utf8Path, byte[] value, long seq);
}
