package io.treecast.gateway.internal.security;

import io.treecast.fastpath.PathPattern;

/**
 * What two patterns have in common, decided on their segments (never by enumerating paths). Used when a request is
 * checked against access rules, once per subscription or get, never per event.
 *
 * <pre>{@code
 * PatternRelations.overlap(parse("markets/**"), parse("**}{@code /secret/*"));   // true: markets/secret/x
 * PatternRelations.covers(parse("markets/**"), parse("markets/{eu,us}/*"));       // true
 * }</pre>
 */
public final class PatternRelations {
    private PatternRelations() {
    }

    /** Whether some path matches both {@code a} and {@code b} (exact). */
    public static boolean overlap(PathPattern a, PathPattern b) {
        return new Search(a, b, false).run();
    }

    /**
     * Whether every path {@code inner} matches is also matched by {@code outer}. Sound, not complete: true is always
     * right; a few exotic pairs (e.g. outer {@code a/*}{@code /**} and inner {@code a/**}{@code /b}) answer false though
     * outer covers inner, which costs a filter that lets everything through, never a wrong answer.
     */
    public static boolean covers(PathPattern outer, PathPattern inner) {
        return new Search(outer, inner, true).run();
    }

    private static final class Search {
        final PathPattern a;
        final PathPattern b;
        final boolean cover;
        final int n;
        final int m;
        /** 0 unknown, 1 true, 2 false; patterns have at most 32 segments. */
        final byte[] memo;

        Search(PathPattern a, PathPattern b, boolean cover) {
            this.a = a;
            this.b = b;
            this.cover = cover;
            this.n = a.depth();
            this.m = b.depth();
            this.memo = new byte[(n + 1) * (m + 1)];
        }

        boolean run() {
            return at(0, 0);
        }

        private boolean at(int i, int j) {
            int k = i * (m + 1) + j;
            if (memo[k] != 0) {
                return memo[k] == 1;
            }
            boolean r = compute(i, j);
            memo[k] = (byte) (r ? 1 : 2);
            return r;
        }

        private boolean compute(int i, int j) {
            if (i == n && j == m) {
                return true;
            }
            boolean aGlob = i < n && a.kind(i) == PathPattern.GLOBSTAR;
            boolean bGlob = j < m && b.kind(j) == PathPattern.GLOBSTAR;
            if (aGlob) {
                // a's ** takes nothing, or takes what b's next segment (or b's own **) stands for
                if (at(i + 1, j) || (j < m && at(i, j + 1))) {
                    return true;
                }
                if (cover) {
                    return false;
                }
            }
            if (bGlob) {
                if (cover) {
                    return false; // b's ** stands for any number of segments: only a's ** can cover that
                }
                return at(i, j + 1) || (i < n && at(i + 1, j));
            }
            if (aGlob || i == n || j == m) {
                return false;
            }
            return segment(i, j) && at(i + 1, j + 1);
        }

        /** Single segments: overlap = some name fits both; cover = every name b allows fits a. */
        private boolean segment(int i, int j) {
            int ka = a.kind(i);
            int kb = b.kind(j);
            if (ka == PathPattern.STAR) {
                return true;
            }
            if (kb == PathPattern.STAR) {
                return !cover;
            }
            String[] la = a.literals(i);
            String[] lb = b.literals(j);
            if (cover) {
                for (String x : lb) {
                    if (!contains(la, x)) {
                        return false;
                    }
                }
                return true;
            }
            for (String x : lb) {
                if (contains(la, x)) {
                    return true;
                }
            }
            return false;
        }

        private static boolean contains(String[] names, String s) {
            for (String x : names) {
                if (x.equals(s)) {
                    return true;
                }
            }
            return false;
        }
    }
}
