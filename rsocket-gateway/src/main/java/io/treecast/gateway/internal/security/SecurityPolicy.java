package io.treecast.gateway.internal.security;

import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.TreecastException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The server's authentication and access rules, reloaded from their files without a restart: {@link #poll()}
 * (called every {@code auth.reload-interval-ms}) rereads a file whose modification time or size changed; a file that
 * no longer reads or parses is logged as an error and the rules in force stay.
 *
 * <pre>{@code
 * SecurityPolicy policy = SecurityPolicy.load(tokens, tokensFile, rulesFile, jwtOrNull);  // throws at start on a bad file
 * Identity who = policy.authenticate(setup.getToken(), certificateNameOrNull);
 * Access access = policy.accessFor(who);                                               // null: no rules file
 * }</pre>
 */
public final class SecurityPolicy {
    private static final Logger LOG = LoggerFactory.getLogger(SecurityPolicy.class);

    private final List<String> tokens;
    private final Path tokensFile;
    private final Path rulesFile;
    private final JwtVerifier jwt;
    private volatile Principals principals;
    private volatile AccessRules rules;
    private long tokensStamp;
    private long rulesStamp;

    private SecurityPolicy(List<String> tokens, Path tokensFile, Path rulesFile, JwtVerifier jwt) {
        this.tokens = tokens;
        this.tokensFile = tokensFile;
        this.rulesFile = rulesFile;
        this.jwt = jwt;
    }

    /**
     * Loads every file once.
     *
     * @throws IllegalArgumentException naming the file and entry of the first problem
     */
    public static SecurityPolicy load(List<String> tokens, Path tokensFileOrNull, Path rulesFileOrNull, JwtVerifier jwtOrNull) {
        SecurityPolicy p = new SecurityPolicy(List.copyOf(tokens), tokensFileOrNull, rulesFileOrNull, jwtOrNull);
        p.tokensStamp = stamp(tokensFileOrNull);
        p.principals = Principals.load(tokens, tokensFileOrNull);
        p.rulesStamp = stamp(rulesFileOrNull);
        p.rules = rulesFileOrNull == null ? null : AccessRules.load(rulesFileOrNull);
        return p;
    }

    /** No credentials asked, no rules. */
    public static SecurityPolicy open() {
        return load(List.of(), null, null, null);
    }

    /** Whether a connection must prove who it is (tokens or a JWT key configured). */
    public boolean credentialsRequired() {
        return !principals.isEmpty() || jwt != null;
    }

    /** Whether access rules are in force (else every principal may read and write everything). */
    public boolean hasRules() {
        return rules != null;
    }

    /**
     * Who presents {@code token} (maybe empty) over a connection whose verified client certificate names
     * {@code certificatePrincipalOrNull}.
     *
     * @throws TreecastException UNAUTHORIZED with the reason
     */
    public Identity authenticate(String token, String certificatePrincipalOrNull) {
        if (token != null && !token.isEmpty()) {
            if (jwt != null && JwtVerifier.looksLikeJwt(token)) {
                JwtVerifier.Claims c = jwt.verify(token, System.currentTimeMillis());
                return new Identity(c.subject, "jwt", c.expiresAtMillis, c.rules);
            }
            Principals p = principals;
            if (p.isEmpty()) {
                if (jwt != null) {
                    throw new TreecastException(ErrorCode.UNAUTHORIZED, "the token is not a JWT (header.payload.signature), and this server accepts only JWTs");
                }
                // a server without credentials ignores a token, as before
                return new Identity(certificatePrincipalOrNull != null ? certificatePrincipalOrNull : Identity.ANONYMOUS,
                        certificatePrincipalOrNull != null ? "certificate" : "none", 0, null);
            }
            return new Identity(p.authenticate(token), "token", 0, null);
        }
        if (certificatePrincipalOrNull != null) {
            return new Identity(certificatePrincipalOrNull, "certificate", 0, null);
        }
        if (credentialsRequired()) {
            throw new TreecastException(ErrorCode.UNAUTHORIZED, "this server requires a token: put one in Setup.token of the SETUP frame"
                    + " (a token from auth.tokens / auth.tokens-file" + (jwt != null ? ", or a signed JWT" : "") + ")");
        }
        return new Identity(Identity.ANONYMOUS, "none", 0, null);
    }

    /**
     * The rules of {@code who}: those its credential carries, else the rules file's; null when there is no rules
     * file and the credential carries none (then it may do everything, at no cost per request).
     *
     * @throws TreecastException FORBIDDEN when the name may not be substituted into a rule
     */
    public Access accessFor(Identity who) {
        if (who.claimRules != null) {
            return who.claimRules.compile(who.principal);
        }
        AccessRules r = rules;
        return r == null ? null : r.accessFor(who.principal);
    }

    /**
     * Rereads the files that changed. Returns true when the rules or tokens in force changed (open connections
     * should then be checked again).
     */
    public boolean poll() {
        boolean changed = false;
        long t = stamp(tokensFile);
        if (tokensFile != null && t != tokensStamp) {
            tokensStamp = t;
            try {
                principals = Principals.load(tokens, tokensFile);
                LOG.info("Reloaded the tokens file {} ({} tokens)", tokensFile, principals.size());
                changed = true;
            } catch (RuntimeException e) {
                LOG.error("The tokens file {} was changed but cannot be used, so the tokens loaded before stay in force: {}", tokensFile, e.getMessage());
            }
        }
        long r = stamp(rulesFile);
        if (rulesFile != null && r != rulesStamp) {
            rulesStamp = r;
            try {
                rules = AccessRules.load(rulesFile);
                LOG.info("Reloaded {}", rules);
                changed = true;
            } catch (RuntimeException e) {
                LOG.error("The access rules file {} was changed but cannot be used, so the rules loaded before stay in force: {}", rulesFile, e.getMessage());
            }
        }
        return changed;
    }

    /** Whether {@code principal} still has a token (false once removed from the tokens file); JWT and certificate principals always do. */
    public boolean stillValid(Identity who) {
        return !"token".equals(who.source) || principals.hasPrincipal(who.principal);
    }

    /** Whether a file may change what open connections may do (rules or tokens file): then they are tracked. */
    public boolean reloadable() {
        return rulesFile != null || tokensFile != null;
    }

    /** Reads a secret file (for a JWT HMAC key), trimmed of a final newline. */
    public static byte[] readSecret(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (s.length() < 32) {
                throw new IllegalArgumentException("the HS256 secret in " + file + " is " + s.length() + " characters: use at least 32 random ones");
            }
            return s.getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e);
        }
    }

    /** A file's modification time and size in one number: a change of either means "read it again". */
    static long stamp(Path file) {
        if (file == null) {
            return 0;
        }
        try {
            return Files.getLastModifiedTime(file).toMillis() * 31 + Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }
}
