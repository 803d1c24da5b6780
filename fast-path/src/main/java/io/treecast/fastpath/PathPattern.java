package io.treecast.fastpath;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;

/**
 * A validated subscription pattern: a path whose segments may also be
 * <ul>
 *   <li>{@code *} - exactly one segment;</li>
 *   <li>{@code **} - zero or more segments, anywhere ({@code markets/**}{@code /bid}, {@code **}{@code /EURUSD/*});</li>
 *   <li>{@code {eu,us}} - one of several literal segments.</li>
 * </ul>
 * Limits as for {@link TreePath}; violations throw {@link TreecastException} with
 * {@link ErrorCode#INVALID_PATTERN} and a message naming the pattern, the segment and the fix.
 *
 * <pre>{@code
 * PathPattern p = PathPattern.parse("markets/{eu,us}/**}{@code /bid");
 * p.matches(TreePath.parse("markets/eu/fx/EURUSD/bid"));  // true
 * }</pre>
 */
public final class PathPattern {
    /** Most {@code **} segments one pattern may hold; keeps the worst case of matching small and predictable. */
    public static final int MAX_GLOBSTARS = 4;
    /** Most literal combinations the alternations of one pattern may expand to (the index holds each one). */
    public static final int MAX_EXPANSIONS = 256;

    /** Segment kinds, see {@link #kind(int)}. */
    public static final int LITERAL = 0;
    public static final int STAR = 1;
    public static final int GLOBSTAR = 2;
    public static final int ALTERNATION = 3;

    private final String text;
    private final byte[] kinds;
    /** For LITERAL one element, for ALTERNATION the distinct alternatives, else empty. */
    private final String[][] literals;

    private PathPattern(String text, byte[] kinds, String[][] literals) {
        this.text = text;
        this.kinds = kinds;
        this.literals = literals;
    }

    /** Parses and validates {@code text}. */
    public static PathPattern parse(String text) {
        if (text == null) {
            throw new TreecastException(ErrorCode.INVALID_PATTERN, "pattern is missing: give segments joined by '/', e.g. markets/*/fx/**");
        }
        String[] segs = TreePath.split(text, text.getBytes(StandardCharsets.UTF_8), ErrorCode.INVALID_PATTERN, "pattern");
        byte[] kinds = new byte[segs.length];
        String[][] lits = new String[segs.length][];
        int globstars = 0;
        long expansions = 1;
        for (int i = 0; i < segs.length; i++) {
            String s = segs[i];
            String where = "pattern '" + text + "' segment " + (i + 1) + " ('" + s + "')";
            if (s.equals("*")) {
                kinds[i] = STAR;
                lits[i] = new String[0];
            } else if (s.equals("**")) {
                if (i > 0 && kinds[i - 1] == GLOBSTAR) {
                    throw new TreecastException(ErrorCode.INVALID_PATTERN, where + " repeats '**' right after '**': '**/**' means the same as '**'; write it once");
                }
                if (++globstars > MAX_GLOBSTARS) {
                    throw new TreecastException(ErrorCode.INVALID_PATTERN, "pattern '" + text + "' has more than " + MAX_GLOBSTARS + " '**' segments: use at most " + MAX_GLOBSTARS);
                }
                kinds[i] = GLOBSTAR;
                lits[i] = new String[0];
            } else if (s.indexOf('*') >= 0) {
                throw new TreecastException(ErrorCode.INVALID_PATTERN, where + " mixes '*' with other characters: a wildcard must be a whole segment, "
                        + "'*' for exactly one segment or '**' for any number; prefix matching inside a segment is not supported");
            } else if (s.charAt(0) == '{' || s.indexOf('{') >= 0 || s.indexOf('}') >= 0) {
                if (s.charAt(0) != '{' || s.charAt(s.length() - 1) != '}') {
                    throw new TreecastException(ErrorCode.INVALID_PATTERN, where + " has unbalanced or partial braces: an alternation must be the whole segment, e.g. {eu,us}");
                }
                String inner = s.substring(1, s.length() - 1);
                if (inner.indexOf('{') >= 0 || inner.indexOf('}') >= 0) {
                    throw new TreecastException(ErrorCode.INVALID_PATTERN, where + " nests braces: write one flat alternation, e.g. {eu,us,asia}");
                }
                if (inner.isEmpty()) {
                    throw new TreecastException(ErrorCode.INVALID_PATTERN, where + " is an empty alternation '{}': list at least one name, e.g. {eu,us}");
                }
                LinkedHashSet<String> alts = new LinkedHashSet<>();
                int start = 0;
                for (int c = 0; c <= inner.length(); c++) {
                    if (c == inner.length() || inner.charAt(c) == ',') {
                        if (c == start) {
                            throw new TreecastException(ErrorCode.INVALID_PATTERN, where + " has an empty alternative: remove the extra ',' (e.g. {eu,us})");
                        }
                        alts.add(TreePath.intern(inner.substring(start, c)));
                        start = c + 1;
                    }
                }
                kinds[i] = ALTERNATION;
                lits[i] = alts.toArray(new String[0]);
                expansions *= lits[i].length;
                if (expansions > MAX_EXPANSIONS) {
                    throw new TreecastException(ErrorCode.INVALID_PATTERN, "pattern '" + TreePath.abbreviate(text) + "' expands to more than " + MAX_EXPANSIONS
                            + " combinations through its {..} alternations: split it into several subscriptions or use '*'");
                }
            } else if (s.indexOf(',') >= 0) {
                throw new TreecastException(ErrorCode.INVALID_PATTERN, where + " contains ',' outside braces: write alternatives as {a,b}");
            } else {
                kinds[i] = LITERAL;
                lits[i] = new String[] {TreePath.intern(s)};
            }
        }
        return new PathPattern(text, kinds, lits);
    }

    /** Whether {@code path} matches this pattern. Allocation-free; cost O(segments x depth). */
    public boolean matches(TreePath path) {
        int depth = path.depth();
        // Bit p set: the pattern consumed so far can end right before path segment p (depth <= 32, so 33 bits fit).
        long reach = 1L;
        long all = depth == 63 ? -1L : (1L << (depth + 1)) - 1;
        for (int k = 0; k < kinds.length && reach != 0; k++) {
            byte kind = kinds[k];
            if (kind == GLOBSTAR) {
                long lowest = reach & -reach;
                reach = ~(lowest - 1) & all;
                continue;
            }
            long next = 0;
            long r = reach & ~(1L << depth);
            while (r != 0) {
                int p = Long.numberOfTrailingZeros(r);
                r &= r - 1;
                if (kind == STAR || contains(literals[k], path.segment(p))) {
                    next |= 1L << (p + 1);
                }
            }
            reach = next;
        }
        return (reach & (1L << depth)) != 0;
    }

    /** Number of segments. */
    public int depth() {
        return kinds.length;
    }

    /** Kind of segment {@code i}: {@link #LITERAL}, {@link #STAR}, {@link #GLOBSTAR} or {@link #ALTERNATION}. */
    public int kind(int i) {
        return kinds[i];
    }

    /** The literal names of segment {@code i}: one for LITERAL, the distinct alternatives for ALTERNATION, none for wildcards. */
    public String[] literals(int i) {
        return literals[i].clone();
    }

    /** Whether the pattern has no wildcard and no alternation, i.e. names exactly one path. */
    public boolean isLiteral() {
        for (byte k : kinds) {
            if (k != LITERAL) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(String[] names, String seg) {
        for (String n : names) {
            // segments are interned on both sides, but equals() keeps this correct for non-interned input
            if (n == seg || n.equals(seg)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PathPattern && ((PathPattern) o).text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    /** The pattern text as given. */
    @Override
    public String toString() {
        return text;
    }
}
