package io.treecast.gateway.internal.security;

import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.TreePath;

import java.util.Arrays;

/**
 * The paths one subscription (or get) may see, when its pattern is wider than its principal's read rules: computed
 * once, at subscribe time, from the rules that overlap the pattern (usually one or two). Subscriptions inside the
 * rules get no filter at all.
 *
 * <pre>{@code
 * ReadFilter f = access.readScope(PathPattern.parse("markets/**"), "subscribe");  // deny markets/secret/**
 * f.visible(TreePath.parse("markets/eu/bid"));        // true
 * f.visible(TreePath.parse("markets/secret/plan"));   // false
 * }</pre>
 */
public final class ReadFilter {
    /** Empty: the subscription's pattern is covered by one allow rule, only the denies matter. */
    private final PathPattern[] allows;
    private final PathPattern[] denies;

    ReadFilter(PathPattern[] allows, PathPattern[] denies) {
        this.allows = allows;
        this.denies = denies;
    }

    /** Whether the path may be delivered. Allocation-free. */
    public boolean visible(TreePath path) {
        for (PathPattern d : denies) {
            if (d.matches(path)) {
                return false;
            }
        }
        if (allows.length == 0) {
            return true;
        }
        for (PathPattern a : allows) {
            if (a.matches(path)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReadFilter && Arrays.equals(allows, ((ReadFilter) o).allows) && Arrays.equals(denies, ((ReadFilter) o).denies);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(denies);
    }

    @Override
    public String toString() {
        return "allow " + Arrays.toString(allows) + " deny " + Arrays.toString(denies);
    }
}
