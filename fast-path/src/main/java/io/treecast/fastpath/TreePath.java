package io.treecast.fastpath;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A validated path to a node of the tree: segments joined by {@code /}, e.g. {@code markets/eu/fx/EURUSD/bid}.
 *
 * <p>Rules (DESIGN.md, data model): 1 to {@value Limits#MAX_SEGMENTS} segments, at most
 * {@value Limits#MAX_PATH_BYTES} bytes of UTF-8 in all; a segment is 1 to {@value Limits#MAX_SEGMENT_BYTES} bytes
 * with no {@code /}, no control character (U+0000-U+001F, U+007F-U+009F), no invisible format or bidi character
 * (Unicode category Cf, e.g. U+202E, U+200B, U+FEFF), no U+2028/U+2029 and none of the pattern characters
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
public final class TreePath implements Comparable<TreePath> {
    /** Bounded so that a stream of random paths cannot grow the intern table without limit. */
    private static final int MAX_INTERNED = 1 << 20;
    private static final ConcurrentHashMap<String, String> INTERNED = new ConcurrentHashMap<>();

    private final String[] segments;
    private final String text;
    private final byte[] utf8;
    private final int hash;
    /** {@code segments.length}, kept here: counting a batch's segments then costs no load of the array (a cache miss when the path is cold). */
    private final int depth;

    private TreePath(String[] segments, String text, byte[] utf8) {
        this.segments = segments;
        this.depth = segments.length;
        this.text = text;
        this.utf8 = utf8;
        this.hash = hash(segments);
    }

    /**
     * MurmurHash3's 32-bit mixing over the segments' (cached) String hashes. {@code Arrays.hashCode(segments)}
     * is linear in base 31, so generated families like {@code bulk/b<N>/l<M>} collided heavily (100,000 such paths
     * had 7,740 distinct hashes) and the HashMaps keyed by paths (conflation, a snapshot's merges) degraded into
     * trees. Only used in memory: no hash of a path is persisted or sent.
     */
    private static int hash(String[] segments) {
        int h = segments.length;
        for (String segment : segments) {
            int k = segment.hashCode() * 0xcc9e2d51;
            k = Integer.rotateLeft(k, 15) * 0x1b873593;
            h ^= k;
            h = Integer.rotateLeft(h, 13) * 5 + 0xe6546b64;
        }
        h ^= segments.length;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        return h ^ (h >>> 16);
    }

    /** Parses and validates {@code text}. */
    public static TreePath parse(String text) {
        if (text == null) {
            throw new TreecastException(ErrorCode.INVALID_PATH, "path is missing: give segments joined by '/', e.g. markets/eu/fx/EURUSD/bid");
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        String[] segs = split(text, utf8, ErrorCode.INVALID_PATH, "path");
        for (int i = 0; i < segs.length; i++) {
            checkLiteral(text, segs[i], i, ErrorCode.INVALID_PATH, "path");
            segs[i] = intern(segs[i]);
        }
        return new TreePath(segs, text, utf8);
    }

    /**
     * Builds a path from its segments, validating each one as {@link #parse} does.
     *
     * <pre>{@code TreePath.of("markets", "eu", "bid").toString(); // "markets/eu/bid"}</pre>
     */
    public static TreePath of(String... segments) {
        if (segments == null || segments.length == 0) {
            throw new TreecastException(ErrorCode.INVALID_PATH, "path has no segments: give at least one, e.g. markets");
        }
        return parse(String.join("/", segments));
    }

    /** Number of segments. */
    public int depth() {
        return depth;
    }

    /** Segment {@code i}, 0-based. */
    public String segment(int i) {
        return segments[i];
    }

    /** The path's UTF-8 bytes (shared: never modify them), e.g. for a Kafka key or a wire encoder. */
    public byte[] utf8() {
        return utf8;
    }

    /** The first {@code depth} segments as a path (this path itself when {@code depth == depth()}). */
    public TreePath prefix(int depth) {
        if (depth < 1 || depth > segments.length) {
            throw new IndexOutOfBoundsException("prefix depth " + depth + " outside 1.." + segments.length);
        }
        if (depth == segments.length) {
            return this;
        }
        String[] segs = Arrays.copyOf(segments, depth);
        String t = String.join("/", segs);
        return new TreePath(segs, t, t.getBytes(StandardCharsets.UTF_8));
    }

    /** This path extended by one segment, validated like {@link #parse} (only the new segment is checked again). */
    public TreePath child(String segment) {
        if (segment == null || segment.isEmpty() || segments.length >= Limits.MAX_SEGMENTS) {
            return parse(text + "/" + segment); // throws with the full message
        }
        int bytes = utf8Length(segment);
        if (bytes > Limits.MAX_SEGMENT_BYTES || utf8.length + 1 + bytes > Limits.MAX_PATH_BYTES) {
            return parse(text + "/" + segment);
        }
        for (int c = 0; c < segment.length(); c++) {
            char ch = segment.charAt(c);
            if (ch < 0x20 || ch == 0x7f || ch == '/' || ch == '*' || ch == '{' || ch == '}' || ch == ',' || (ch >= 0x80 && invisible(segment, c))) {
                return parse(text + "/" + segment);
            }
        }
        String[] segs = Arrays.copyOf(segments, segments.length + 1);
        segs[segments.length] = intern(segment);
        String t = text + "/" + segment;
        return new TreePath(segs, t, t.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether {@code other} equals this path or lies below it. */
    public boolean isPrefixOf(TreePath other) {
        if (other.segments.length < segments.length) {
            return false;
        }
        for (int i = 0; i < segments.length; i++) {
            if (!segments[i].equals(other.segments[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TreePath)) {
            return false;
        }
        TreePath p = (TreePath) o;
        return hash == p.hash && text.equals(p.text);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** Orders by segments, so that a subtree sorts together. */
    @Override
    public int compareTo(TreePath o) {
        int n = Math.min(segments.length, o.segments.length);
        for (int i = 0; i < n; i++) {
            int c = segments[i].compareTo(o.segments[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(segments.length, o.segments.length);
    }

    /** The path text, segments joined by {@code /} (cached). */
    @Override
    public String toString() {
        return text;
    }

    static String intern(String s) {
        String prev = INTERNED.get(s);
        if (prev != null) {
            return prev;
        }
        if (INTERNED.size() >= MAX_INTERNED) {
            return s;
        }
        prev = INTERNED.putIfAbsent(s, s);
        return prev == null ? s : prev;
    }

    /** Splits and checks the whole-text rules shared by paths and patterns. */
    static String[] split(String text, byte[] utf8, ErrorCode code, String what) {
        String example = what.equals("path") ? "markets/eu/fx/EURUSD/bid" : "markets/*/fx/**";
        if (text.isEmpty()) {
            throw new TreecastException(code, what + " is empty: give segments joined by '/', e.g. " + example);
        }
        if (utf8.length > Limits.MAX_PATH_BYTES) {
            throw new TreecastException(code, what + " '" + abbreviate(text) + "' is " + utf8.length + " bytes of UTF-8: the limit is "
                    + Limits.MAX_PATH_BYTES + " bytes; shorten it");
        }
        if (text.charAt(0) == '/') {
            throw new TreecastException(code, what + " '" + text + "' starts with '/': remove the leading slash (" + what + "s are relative to the root, e.g. " + example + ")");
        }
        if (text.charAt(text.length() - 1) == '/') {
            throw new TreecastException(code, what + " '" + text + "' ends with '/': remove the trailing slash");
        }
        int count = 1;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '/') {
                count++;
            }
        }
        if (count > Limits.MAX_SEGMENTS) {
            throw new TreecastException(code, what + " '" + abbreviate(text) + "' has " + count + " segments: the limit is " + Limits.MAX_SEGMENTS + "; use fewer levels");
        }
        String[] segs = new String[count];
        int start = 0;
        int k = 0;
        for (int i = 0; i <= text.length(); i++) {
            if (i == text.length() || text.charAt(i) == '/') {
                if (i == start) {
                    throw new TreecastException(code, what + " '" + text + "' has an empty segment " + (k + 1) + " (a double '/'): remove the extra slash");
                }
                segs[k++] = text.substring(start, i);
                start = i + 1;
            }
        }
        for (int i = 0; i < segs.length; i++) {
            int bytes = utf8Length(segs[i]);
            if (bytes > Limits.MAX_SEGMENT_BYTES) {
                throw new TreecastException(code, what + " '" + abbreviate(text) + "' segment " + (i + 1) + " is " + bytes + " bytes of UTF-8: the limit is "
                        + Limits.MAX_SEGMENT_BYTES + " bytes per segment; shorten it");
            }
            for (int c = 0; c < segs[i].length(); c++) {
                char ch = segs[i].charAt(c);
                if (ch < 0x20 || ch == 0x7f) {
                    throw new TreecastException(code, what + " '" + printable(text) + "' segment " + (i + 1) + " contains the control character U+"
                            + String.format("%04X", (int) ch) + ": remove it (control characters are not allowed)");
                }
                if (ch >= 0x80) {
                    checkNonAscii(text, segs[i], c, i, code, what);
                }
            }
        }
        return segs;
    }

    /**
     * Whether the code point at {@code at} is one a person cannot see or that changes how the text around it is
     * shown: a C1 control (U+0080-U+009F, e.g. U+0085 NEXT LINE), a format character (Unicode category Cf: the
     * bidi overrides and isolates U+202A-U+202E and U+2066-U+2069, zero-width U+200B-U+200F, U+2060, U+FEFF, ...),
     * a line or paragraph separator (U+2028, U+2029), or a lone surrogate (not encodable as UTF-8). Two paths that
     * look alike in a log, a UI or an access rule must be the same path. Called only for chars >= U+0080, so
     * ASCII paths pay nothing for it.
     */
    static boolean invisible(String s, int at) {
        char ch = s.charAt(at);
        if (Character.isHighSurrogate(ch)) {
            if (at + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(at + 1))) {
                return true;
            }
            int type = Character.getType(s.codePointAt(at));
            return type == Character.FORMAT || type == Character.CONTROL;
        }
        if (Character.isLowSurrogate(ch)) {
            return at == 0 || !Character.isHighSurrogate(s.charAt(at - 1));
        }
        int type = Character.getType(ch);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR;
    }

    private static void checkNonAscii(String text, String seg, int c, int i, ErrorCode code, String what) {
        if (!invisible(seg, c)) {
            return;
        }
        char ch = seg.charAt(c);
        if (Character.isSurrogate(ch) && !(Character.isHighSurrogate(ch) && c + 1 < seg.length() && Character.isLowSurrogate(seg.charAt(c + 1)))) {
            throw new TreecastException(code, what + " '" + printable(text) + "' segment " + (i + 1) + " contains a lone surrogate U+"
                    + String.format("%04X", (int) ch) + ": it is not valid text; send the path as valid UTF-8");
        }
        int cp = seg.codePointAt(c);
        int type = Character.getType(cp);
        String kind = type == Character.CONTROL ? "control character"
                : type == Character.FORMAT ? "invisible format character" : "line or paragraph separator";
        String name = Character.getName(cp);
        throw new TreecastException(code, what + " '" + printable(text) + "' segment " + (i + 1) + " contains the " + kind + " U+"
                + String.format("%04X", cp) + (name == null ? "" : " (" + name + ")")
                + ": remove it (control, bidi, zero-width and other invisible characters are not allowed: paths that look the same must be the same)");
    }

    /** A literal segment: no pattern characters. */
    static void checkLiteral(String text, String seg, int i, ErrorCode code, String what) {
        for (int c = 0; c < seg.length(); c++) {
            char ch = seg.charAt(c);
            if (ch == '*' || ch == '{' || ch == '}' || ch == ',') {
                String hint = what.equals("path")
                        ? "'" + ch + "' is reserved for patterns; remove it from the path"
                        : "'" + ch + "' may appear only as a whole-segment wildcard (* or **) or in one {a,b} alternation per segment";
                throw new TreecastException(code, what + " '" + text + "' segment " + (i + 1) + " ('" + seg + "') contains '" + ch + "': " + hint);
            }
        }
    }

    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x80) {
                n++;
            } else if (ch < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && invisible(s, i))) {
                b.append(String.format("\\u%04X", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return abbreviate(b.toString());
    }
}
