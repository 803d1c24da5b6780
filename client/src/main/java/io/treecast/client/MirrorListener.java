package io.treecast.client;

/**
 * Hears every change a {@link Mirror} applies, after it is applied, on the mirror's delivery thread (do not
 * block). {@code value} is {@code null} for a removed leaf.
 */
@FunctionalInterface
public interface MirrorListener {
    void changed(String path, TreeValue value, long seq);
}
