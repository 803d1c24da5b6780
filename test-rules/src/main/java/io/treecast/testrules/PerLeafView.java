package io.treecast.testrules;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * DESIGN.md's per-leaf rule, the one copy every test uses to rebuild a subscriber's view from the events it got: a
 * change is applied unless what is held for that leaf (a delete included) has a newer seq; the changes of one event
 * apply in their order (a batch may change one leaf twice, both changes with the batch's seq); RESET drops everything
 * held. Applying a snapshot and then the live events this way must give exactly the server's state (guarantee 2).
 *
 * <pre>{@code
 * PerLeafView<String, String> view = new PerLeafView<>();
 * view.apply("a/x", 5, "1");   // held: a/x = "1" at seq 5
 * view.apply("a/x", 3, "0");   // older than what is held: skipped
 * view.apply("a/x", 7, null);  // a delete: a/x is gone, seq 7 is still held for it
 * view.apply("a/x", 6, "2");   // older than the delete: skipped, no phantom leaf
 * view.values();               // {}
 * }</pre>
 *
 * <p>Keys and values are whatever the caller's events carry (a path as text or {@code TreePath}, a decoded value).
 * Not thread-safe: a recorder applies and reads under its own lock.
 *
 * @param <K> how the caller names a leaf (equals/hashCode by path)
 * @param <V> what the caller keeps for a leaf's value
 */
public final class PerLeafView<K, V> {
    private final Map<K, V> values = new HashMap<>();
    /** The seq of the last change applied per leaf, deletes included (a deleted leaf keeps its seq here). */
    private final Map<K, Long> heldSeq = new HashMap<>();

    /**
     * Applies one change by the per-leaf rule.
     *
     * @param value the new value, or {@code null} for a delete
     * @return whether it was applied (false: what is held for the leaf is newer)
     */
    public boolean apply(K leaf, long seq, V value) {
        Long held = heldSeq.get(leaf);
        // strictly older only: a batch may change one leaf twice, and both changes carry the batch's seq
        if (held != null && held > seq) {
            return false;
        }
        heldSeq.put(leaf, seq);
        if (value == null) {
            values.remove(leaf);
        } else {
            values.put(leaf, value);
        }
        return true;
    }

    /** A RESET: the server could not resume this subscriber, a fresh snapshot follows; nothing held is kept. */
    public void reset() {
        values.clear();
        heldSeq.clear();
    }

    /** The leaves that exist in the view and their values (a read-only view of this object's map: copy to keep). */
    public Map<K, V> values() {
        return Collections.unmodifiableMap(values);
    }
}
