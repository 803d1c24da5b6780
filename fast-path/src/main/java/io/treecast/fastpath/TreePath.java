package io.treecast.fastpath;

/**
 * A validated path to a node of the tree: segments joined by {@code /}, e.g. {@code markets/eu/fx/EURUSD/bid}.
 *
 * <p>Rules (DESIGN.md, data model): 1 to {@value Limits#MAX_SEGMENTS} segments, at most
 * {@value Limits#MAX_PATH_BYTES} bytes of UTF-8 in all; a segment is 1 to {@value Limits#MAX_SEGMENT_BYTES} bytes
 * with no {@code /}, no control character (U+0000-U+001F, U+007F) and none of the pattern characters
 * {@code * { } ,}. Every violation throws {@link TreecastException} with {@link ErrorCode#INVALID_PATH} and a
 * message naming the path, the offending segment (1-based) and what to change.
 *
 * <pre>{@code
 * TreePath bid = TreePath.parse("markets/eu/fx/EURUSD/bid");
 * bid.depth();      // 5
 * bid.segment(3);   // "EURUSD"
 * }</pre>
 *
 * Immutable and thread-safe; segments are interned so that equal segments share one String.
 */
public final class TreePath {
    /** Parses and validates {@code text}. */
    public static TreePath parse(String text) {
        throw new UnsupportedOperationException("implemented with the engine");
    }

    /** Number of segments. */
    public int depth() {
        throw new UnsupportedOperationException();
    }

    /** Segment {@code i}, 0-based. */
    public String segment(int i) {
        throw new UnsupportedOperationException();
    }

    /** The path's UTF-8 bytes (shared: never modify them), e.g. for a Kafka key or a wire encoder. */
    public byte[] utf8() {
        throw new UnsupportedOperationException();
    }
}
