package io.treecast.fastpath;

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
    public static PathPattern parse(String text) {
        throw new UnsupportedOperationException("implemented with the engine");
    }

    public boolean matches(TreePath path) {
        throw new UnsupportedOperationException();
    }
}
