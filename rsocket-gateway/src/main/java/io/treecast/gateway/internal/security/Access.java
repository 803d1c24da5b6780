package io.treecast.gateway.internal.security;

import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.Limits;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.TreePath;
import io.treecast.fastpath.TreecastException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What one principal may read and write: allow and deny patterns per operation, {@code ${principal}} already
 * substituted. A path may be read (written) when an allow pattern matches it and no deny pattern does: deny wins.
 * An operation with no allow pattern is refused everywhere.
 *
 * <pre>{@code
 * Access a = Access.compile("alice", List.of("markets/**"), List.of("markets/secret/**"), List.of("users/${principal}/**"), List.of());
 * a.readScope(PathPattern.parse("markets/**"));   // a filter: everything under markets but markets/secret
 * a.checkWrite(batch);                            // throws FORBIDDEN naming the first path alice may not write
 * }</pre>
 *
 * Immutable; compiled once per connection (and again when the rules file changes), never per update.
 */
public final class Access {
    /** The scope of a read that may see everything it asks for: no filter, no cost per event. */
    public static final ReadFilter ALL = null;

    private final String principal;
    private final PathPattern[] readAllow;
    private final PathPattern[] readDeny;
    private final PathPattern[] writeAllow;
    private final PathPattern[] writeDeny;
    /** No check per change: a {@code **} allow and no deny. */
    private final boolean writeEverything;
    private final String description;

    private Access(String principal, PathPattern[] readAllow, PathPattern[] readDeny, PathPattern[] writeAllow,
                   PathPattern[] writeDeny, String description) {
        this.principal = principal;
        this.readAllow = readAllow;
        this.readDeny = readDeny;
        this.writeAllow = writeAllow;
        this.writeDeny = writeDeny;
        this.writeEverything = writeDeny.length == 0 && hasMatchAll(writeAllow);
        this.description = description;
    }

    /**
     * Compiles rule texts for {@code principal}: each {@code ${principal}} is replaced by its name first.
     *
     * @throws TreecastException FORBIDDEN when the name would change what a rule means (it holds a wildcard, a
     *                           brace, a comma or a slash), INVALID_PATTERN for a rule that is not a pattern
     */
    public static Access compile(String principal, List<String> readAllow, List<String> readDeny, List<String> writeAllow,
                                 List<String> writeDeny) {
        String d = "read allow " + readAllow + ", read deny " + readDeny + ", write allow " + writeAllow + ", write deny " + writeDeny;
        return new Access(principal, patterns(principal, readAllow), patterns(principal, readDeny), patterns(principal, writeAllow),
                patterns(principal, writeDeny), d);
    }

    public String principal() {
        return principal;
    }

    /** Whether writes need no check at all (allow {@code **}, no deny). */
    public boolean writesEverything() {
        return writeEverything;
    }

    /**
     * The part of {@code pattern} this principal may read: {@link #ALL} (null: deliver everything, no cost per
     * event), or a filter computed once for the subscription.
     *
     * @throws TreecastException FORBIDDEN when it may read nothing that {@code pattern} matches
     */
    public ReadFilter readScope(PathPattern pattern, String operation) {
        List<PathPattern> allows = new ArrayList<>();
        boolean covered = false;
        for (PathPattern a : readAllow) {
            if (PatternRelations.overlap(a, pattern)) {
                allows.add(a);
                covered |= PatternRelations.covers(a, pattern);
            }
        }
        if (allows.isEmpty()) {
            throw forbidden(operation + " '" + pattern + "': principal '" + principal + "' may read nothing that matches it"
                    + " (its read rules allow " + Arrays.toString(readAllow) + "): ask for a pattern inside them");
        }
        List<PathPattern> denies = new ArrayList<>();
        for (PathPattern d : readDeny) {
            if (PatternRelations.covers(d, pattern)) {
                throw forbidden(operation + " '" + pattern + "': principal '" + principal + "' may not read it (read deny rule '"
                        + d + "')");
            }
            if (PatternRelations.overlap(d, pattern)) {
                denies.add(d);
            }
        }
        if (covered && denies.isEmpty()) {
            return ALL;
        }
        return new ReadFilter(covered ? new PathPattern[0] : allows.toArray(new PathPattern[0]), denies.toArray(new PathPattern[0]));
    }

    /**
     * Refuses the whole batch when any of its changes writes where this principal may not: a set of a path outside
     * the write rules, or a delete of a node with a path below it outside them (a delete removes the subtree).
     *
     * @throws TreecastException FORBIDDEN naming the first such change
     */
    public void checkWrite(Batch batch) {
        if (writeEverything) {
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            Change c = batch.change(i);
            TreePath p = c.path();
            if (!mayWrite(p)) {
                throw forbidden("change " + (i + 1) + " (" + p + "): principal '" + principal + "' may not write it"
                        + writeReason(p) + "; nothing in the batch was applied");
            }
            if (c.isDelete() && p.depth() < Limits.MAX_SEGMENTS && p.utf8().length + 3 <= Limits.MAX_PATH_BYTES) {
                PathPattern subtree = PathPattern.parse(p + "/**");
                String why = subtreeProblem(subtree);
                if (why != null) {
                    throw forbidden("change " + (i + 1) + " (delete " + p + "): it would remove paths below it that principal '"
                            + principal + "' may not write (" + why + "); nothing in the batch was applied");
                }
            }
        }
    }

    /** Whether this principal may write {@code path}. */
    public boolean mayWrite(TreePath path) {
        return anyMatch(writeAllow, path) && !anyMatch(writeDeny, path);
    }

    /** Whether this principal may read {@code path}. */
    public boolean mayRead(TreePath path) {
        return anyMatch(readAllow, path) && !anyMatch(readDeny, path);
    }

    private String subtreeProblem(PathPattern subtree) {
        for (PathPattern d : writeDeny) {
            if (PatternRelations.overlap(d, subtree)) {
                return "write deny rule '" + d + "'";
            }
        }
        for (PathPattern a : writeAllow) {
            if (PatternRelations.covers(a, subtree)) {
                return null;
            }
        }
        return "no write allow rule covers " + subtree;
    }

    private String writeReason(TreePath p) {
        for (PathPattern d : writeDeny) {
            if (d.matches(p)) {
                return " (write deny rule '" + d + "')";
            }
        }
        return " (its write rules allow " + Arrays.toString(writeAllow) + ")";
    }

    private static boolean anyMatch(PathPattern[] patterns, TreePath p) {
        for (PathPattern x : patterns) {
            if (x.matches(p)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasMatchAll(PathPattern[] patterns) {
        for (PathPattern p : patterns) {
            if (p.depth() == 1 && p.kind(0) == PathPattern.GLOBSTAR) {
                return true;
            }
        }
        return false;
    }

    static TreecastException forbidden(String message) {
        return new TreecastException(ErrorCode.FORBIDDEN, message);
    }

    private static PathPattern[] patterns(String principal, List<String> texts) {
        PathPattern[] out = new PathPattern[texts.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = PathPattern.parse(substitute(texts.get(i), principal));
        }
        return out;
    }

    /** The placeholder a rule may hold for the principal's name. */
    public static final String PLACEHOLDER = "${principal}";

    /**
     * {@code rule} with {@link #PLACEHOLDER} replaced by {@code principal}. A name holding a pattern character or a
     * slash would widen the rule ({@code *} in {@code users/${principal}/**} would grant every user's subtree), so it
     * is refused, not escaped.
     */
    static String substitute(String rule, String principal) {
        if (!rule.contains(PLACEHOLDER)) {
            return rule;
        }
        for (int i = 0; i < principal.length(); i++) {
            char ch = principal.charAt(i);
            if (ch == '*' || ch == '{' || ch == '}' || ch == ',' || ch == '/' || ch < 0x20 || ch == 0x7f) {
                throw forbidden("principal '" + principal.replaceAll("\\p{Cntrl}", "?") + "' contains '" + (ch < 0x20 || ch == 0x7f ? "a control character" : ch)
                        + "', which may not be substituted into the rule '" + rule + "': wildcards, braces, commas and slashes in a name would change what the rule grants;"
                        + " give the principal a plain name");
            }
        }
        if (principal.isEmpty()) {
            throw forbidden("the principal has an empty name, which may not be substituted into the rule '" + rule + "'");
        }
        return rule.replace(PLACEHOLDER, principal);
    }

    @Override
    public String toString() {
        return "access of " + principal + ": " + description;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Access)) {
            return false;
        }
        Access x = (Access) o;
        return principal.equals(x.principal) && Arrays.equals(readAllow, x.readAllow) && Arrays.equals(readDeny, x.readDeny)
                && Arrays.equals(writeAllow, x.writeAllow) && Arrays.equals(writeDeny, x.writeDeny);
    }

    @Override
    public int hashCode() {
        return principal.hashCode();
    }
}
