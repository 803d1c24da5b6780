package io.treecast.fastpath.internal;

import io.treecast.fastpath.PathPattern;

import java.util.Arrays;
import java.util.LinkedHashSet;

/**
 * A pattern as an NFA over its segment positions (bit k of a state: the first k segments are matched), for walks of
 * the tree that follow only the branches a pattern can reach.
 */
final class PatternNfa {
    private PatternNfa() {
    }

    static long closure(PathPattern p, long st) {
        for (int k = 0; k < p.depth(); k++) {
            if ((st & (1L << k)) != 0 && p.kind(k) == PathPattern.GLOBSTAR) {
                st |= 1L << (k + 1);
            }
        }
        return st;
    }

    static long step(PathPattern p, long st, String seg) {
        long next = 0;
        for (int k = 0; k < p.depth(); k++) {
            if ((st & (1L << k)) == 0) {
                continue;
            }
            int kind = p.kind(k);
            if (kind == PathPattern.GLOBSTAR) {
                next |= 1L << k;
            } else if (kind == PathPattern.STAR) {
                next |= 1L << (k + 1);
            } else {
                for (String lit : p.literals(k)) {
                    if (lit.equals(seg)) {
                        next |= 1L << (k + 1);
                        break;
                    }
                }
            }
        }
        return next == 0 ? 0 : closure(p, next);
    }

    static boolean accepts(PathPattern p, long st) {
        return (st & (1L << p.depth())) != 0;
    }

    static boolean more(PathPattern p, long st) {
        return (st & ((1L << p.depth()) - 1)) != 0;
    }

    static boolean wild(PathPattern p, long st) {
        for (int k = 0; k < p.depth(); k++) {
            if ((st & (1L << k)) != 0 && p.kind(k) != PathPattern.LITERAL && p.kind(k) != PathPattern.ALTERNATION) {
                return true;
            }
        }
        return false;
    }

    static String[] names(PathPattern p, long st) {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (int k = 0; k < p.depth(); k++) {
            if ((st & (1L << k)) != 0) {
                names.addAll(Arrays.asList(p.literals(k)));
            }
        }
        return names.isEmpty() ? null : names.toArray(new String[0]);
    }
}
