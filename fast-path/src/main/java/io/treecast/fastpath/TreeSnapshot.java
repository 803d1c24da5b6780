package io.treecast.fastpath;

import java.util.List;

/** The leaves matching a pattern, exactly as they were at {@code seq}. */
public record TreeSnapshot(long seq, List<Leaf> leaves) {
}
