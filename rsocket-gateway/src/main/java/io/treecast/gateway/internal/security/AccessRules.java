package io.treecast.gateway.internal.security;

import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.TreecastException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The access rules of a server: per principal, allow and deny patterns for {@code read} and {@code write}, and a
 * {@code default} entry for principals not listed. The YAML format (SECURITY.md, "Access rules"):
 *
 * <pre>{@code
 * principals:
 *   alice:
 *     read:  { allow: ["markets/**"], deny: ["markets/secret/**"] }
 *     write: { allow: ["markets/eu/**"] }
 * default:
 *   read:  { allow: ["public/**", "users/${principal}/**"] }
 *   write: { allow: ["users/${principal}/**"] }
 * }</pre>
 *
 * Every pattern is checked when the file is read (with {@code ${principal}} standing for a plain name), so a bad
 * file is refused whole with a message naming the entry, never half applied.
 */
public final class AccessRules {
    /** One principal's rule texts. */
    public static final class Entry {
        final List<String> readAllow;
        final List<String> readDeny;
        final List<String> writeAllow;
        final List<String> writeDeny;

        Entry(List<String> readAllow, List<String> readDeny, List<String> writeAllow, List<String> writeDeny) {
            this.readAllow = readAllow;
            this.readDeny = readDeny;
            this.writeAllow = writeAllow;
            this.writeDeny = writeDeny;
        }

        /** The rules compiled for {@code principal}. */
        public Access compile(String principal) {
            return Access.compile(principal, readAllow, readDeny, writeAllow, writeDeny);
        }
    }

    private static final Entry NOTHING = new Entry(List.of(), List.of(), List.of(), List.of());

    private final Map<String, Entry> principals;
    private final Entry defaults;
    private final String source;

    private AccessRules(Map<String, Entry> principals, Entry defaults, String source) {
        this.principals = principals;
        this.defaults = defaults;
        this.source = source;
    }

    /**
     * The compiled rules of {@code principal}: its entry, else the default entry, else none (it may read and write
     * nothing).
     */
    public Access accessFor(String principal) {
        Entry e = principals.get(principal);
        return (e != null ? e : defaults != null ? defaults : NOTHING).compile(principal);
    }

    /** Principals listed by name. */
    public int size() {
        return principals.size();
    }

    @Override
    public String toString() {
        return "access rules from " + source + " (" + principals.size() + " principals" + (defaults != null ? " and a default" : "") + ")";
    }

    /**
     * Reads and checks a rules file.
     *
     * @throws IllegalArgumentException with a message naming the file, the entry and what to change
     */
    public static AccessRules load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the access rules file " + file + ": " + e);
        }
        return parse(text, "file " + file);
    }

    /** Parses rules from YAML text; {@code source} names it in errors. */
    public static AccessRules parse(String yaml, String source) {
        Object root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the access rules " + source + " are not valid YAML: " + e.getMessage());
        }
        if (root == null) {
            root = Map.of();
        }
        if (!(root instanceof Map)) {
            throw new IllegalArgumentException("the access rules " + source + " must be a mapping with 'principals' and/or 'default'");
        }
        Map<?, ?> map = (Map<?, ?>) root;
        for (Object k : map.keySet()) {
            if (!"principals".equals(k) && !"default".equals(k)) {
                throw new IllegalArgumentException("the access rules " + source + " have an unknown top-level key '" + k
                        + "': use 'principals' (a mapping of names to rules) and 'default'");
            }
        }
        Map<String, Entry> principals = new LinkedHashMap<>();
        Object ps = map.get("principals");
        if (ps != null) {
            if (!(ps instanceof Map)) {
                throw new IllegalArgumentException("'principals' in the access rules " + source + " must map principal names to rules");
            }
            for (Map.Entry<?, ?> e : ((Map<?, ?>) ps).entrySet()) {
                String name = String.valueOf(e.getKey());
                principals.put(name, entry(e.getValue(), source, "principal '" + name + "'"));
            }
        }
        Entry defaults = map.containsKey("default") ? entry(map.get("default"), source, "'default'") : null;
        return new AccessRules(Map.copyOf(principals), defaults, source);
    }

    /** Reads one principal's rules ({@code read} / {@code write}, each with {@code allow} / {@code deny}), e.g. from a JWT claim. */
    public static Entry entry(Object value, String source, String where) {
        if (value == null) {
            return NOTHING;
        }
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException(where + " in the access rules " + source + " must be a mapping with 'read' and/or 'write'");
        }
        Map<?, ?> m = (Map<?, ?>) value;
        for (Object k : m.keySet()) {
            if (!"read".equals(k) && !"write".equals(k)) {
                throw new IllegalArgumentException(where + " in the access rules " + source + " has an unknown key '" + k
                        + "': use 'read' (subscribe, get, snapshots) and 'write' (update, publish, ingest, delete)");
            }
        }
        List<String>[] read = operation(m.get("read"), source, where + " read");
        List<String>[] write = operation(m.get("write"), source, where + " write");
        return new Entry(read[0], read[1], write[0], write[1]);
    }

    @SuppressWarnings("unchecked")
    private static List<String>[] operation(Object value, String source, String where) {
        List<String>[] out = new List[] {List.of(), List.of()};
        if (value == null) {
            return out;
        }
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException(where + " in the access rules " + source + " must be a mapping with 'allow' and/or 'deny' lists of patterns");
        }
        Map<?, ?> m = (Map<?, ?>) value;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            int slot;
            if ("allow".equals(e.getKey())) {
                slot = 0;
            } else if ("deny".equals(e.getKey())) {
                slot = 1;
            } else {
                throw new IllegalArgumentException(where + " in the access rules " + source + " has an unknown key '" + e.getKey() + "': use 'allow' and 'deny'");
            }
            Object v = e.getValue();
            List<String> patterns = new ArrayList<>();
            if (v instanceof List) {
                for (Object o : (List<?>) v) {
                    patterns.add(String.valueOf(o));
                }
            } else if (v != null) {
                patterns.add(String.valueOf(v));
            }
            for (String p : patterns) {
                try {
                    // checked with a plain stand-in name, so a rule is known to be a pattern before any principal connects
                    PathPattern.parse(p.replace(Access.PLACEHOLDER, "principal"));
                } catch (TreecastException bad) {
                    throw new IllegalArgumentException(where + " " + e.getKey() + " in the access rules " + source + ": " + bad.getMessage());
                }
            }
            out[slot] = List.copyOf(patterns);
        }
        return out;
    }
}
