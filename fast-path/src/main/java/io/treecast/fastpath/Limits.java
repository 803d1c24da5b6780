package io.treecast.fastpath;

/** The fixed syntactic limits of paths and patterns (DESIGN.md, data model). */
public final class Limits {
    public static final int MAX_SEGMENTS = 32;
    public static final int MAX_SEGMENT_BYTES = 255;
    public static final int MAX_PATH_BYTES = 1024;
    /** Default limit on an encoded value; servers may configure another. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 64 * 1024;

    private Limits() {
    }
}
