package io.treecast.gateway.internal.security;

import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.TreecastException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Who a token belongs to. Tokens come from {@code auth.tokens} (principal {@value #DEFAULT_PRINCIPAL}) and from
 * {@code auth.tokens-file}, one {@code <principal> <token>} per line. Only SHA-256 digests are kept, and a token is
 * compared with every digest in constant time ({@link MessageDigest#isEqual}, no early exit), so neither the
 * answer's timing nor a heap dump gives a token away.
 *
 * <pre>{@code
 * # tokens file: principal, then its token; '#' starts a comment
 * pricer   3f9a1c0e5b7d...
 * alice    8c2e4b1d9f0a...
 * }</pre>
 */
public final class Principals {
    /** The principal of the tokens listed in {@code auth.tokens}. */
    public static final String DEFAULT_PRINCIPAL = "default";

    private final byte[][] digests;
    private final String[] names;

    private Principals(byte[][] digests, String[] names) {
        this.digests = digests;
        this.names = names;
    }

    /** No token: nothing to authenticate against. */
    public static Principals none() {
        return new Principals(new byte[0][], new String[0]);
    }

    /**
     * The tokens of {@code auth.tokens} and of {@code fileOrNull}.
     *
     * @throws IllegalArgumentException naming the file and line of a bad entry (no token, a token listed twice)
     */
    public static Principals load(List<String> tokens, Path fileOrNull) {
        List<byte[]> d = new ArrayList<>();
        List<String> n = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String t : tokens) {
            if (seen.add(t)) {
                d.add(digest(t));
                n.add(DEFAULT_PRINCIPAL);
            }
        }
        if (fileOrNull != null) {
            List<String> lines;
            try {
                lines = Files.readAllLines(fileOrNull, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the tokens file " + fileOrNull + " (auth.tokens-file): " + e);
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\\s+");
                String where = "the tokens file " + fileOrNull + " line " + (i + 1);
                if (parts.length != 2) {
                    throw new IllegalArgumentException(where + " has " + parts.length + " fields: write '<principal> <token>' (no token shown here)");
                }
                if (!seen.add(parts[1])) {
                    throw new IllegalArgumentException(where + ": the token of '" + parts[0] + "' is listed before (for another principal or in auth.tokens): give each principal its own token");
                }
                d.add(digest(parts[1]));
                n.add(parts[0]);
            }
        }
        return new Principals(d.toArray(new byte[0][]), n.toArray(new String[0]));
    }

    /** Whether some token belongs to {@code principal}. */
    public boolean hasPrincipal(String principal) {
        for (String n : names) {
            if (n.equals(principal)) {
                return true;
            }
        }
        return false;
    }

    /** Whether there is any token at all. */
    public boolean isEmpty() {
        return digests.length == 0;
    }

    /** Tokens known. */
    public int size() {
        return digests.length;
    }

    /** The principal whose token this is, or null. Looks at every entry whatever the outcome. */
    public String principalOf(String token) {
        byte[] d = digest(token);
        String found = null;
        for (int i = 0; i < digests.length; i++) {
            if (MessageDigest.isEqual(digests[i], d) & found == null) {
                found = names[i];
            }
        }
        return found;
    }

    /** As {@link #principalOf}, refusing an unknown token. */
    public String authenticate(String token) {
        String p = principalOf(token);
        if (p == null) {
            throw new TreecastException(ErrorCode.UNAUTHORIZED, "the token is not valid for this server: check the client's token against the server's auth.tokens / auth.tokens-file");
        }
        return p;
    }

    static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
