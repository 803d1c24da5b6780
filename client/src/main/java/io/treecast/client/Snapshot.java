package io.treecast.client;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The leaves matching a pattern, exact at {@code seq}, as answered by {@code get}.
 *
 * <pre>{@code
 * Snapshot s = client.get("fx/**");
 * s.seq();
 * s.toMap().get("fx/EURUSD/bid").asDouble();
 * }</pre>
 */
public record Snapshot(long seq, List<LeafChange> leaves) {
    /** Path to value, in the server's order. */
    public Map<String, TreeValue> toMap() {
        Map<String, TreeValue> m = new LinkedHashMap<>();
        for (LeafChange l : leaves) {
            m.put(l.path(), l.value());
        }
        return m;
    }
}
