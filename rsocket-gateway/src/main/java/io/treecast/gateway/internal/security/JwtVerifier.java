package io.treecast.gateway.internal.security;

import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.TreecastException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Verifies signed JSON Web Tokens with the JDK's own crypto: HS256 (a shared secret) and/or RS256 (an RSA public
 * key, PEM). The header's {@code alg} must be one that is configured ({@code none} and any other algorithm are
 * refused, so a token signed with the public key as an HMAC secret cannot pass). Claims: {@code sub} names the
 * principal (required); {@code exp} and {@code nbf} are enforced when present; {@code iss} and {@code aud} must
 * match when configured; the rules claim (default {@code treecast}) may carry the principal's access rules in the
 * rules-file format ({@code {"read": {"allow": [...]}, "write": {...}}}).
 *
 * <pre>{@code
 * JwtVerifier v = new JwtVerifier(secretBytes, null, "https://issuer", "", "treecast");
 * JwtVerifier.Claims c = v.verify(token, System.currentTimeMillis());   // or UNAUTHORIZED with the reason
 * }</pre>
 */
public final class JwtVerifier {
    /** What a verified token says. */
    public static final class Claims {
        public final String subject;
        /** Epoch milliseconds, or 0 when the token does not expire. */
        public final long expiresAtMillis;
        /** The rules carried by the token, or null. */
        public final AccessRules.Entry rules;

        Claims(String subject, long expiresAtMillis, AccessRules.Entry rules) {
            this.subject = subject;
            this.expiresAtMillis = expiresAtMillis;
            this.rules = rules;
        }
    }

    private final byte[] hs256SecretOrNull;
    private final PublicKey rs256KeyOrNull;
    private final String issuer;
    private final String audience;
    private final String rulesClaim;

    public JwtVerifier(byte[] hs256SecretOrNull, PublicKey rs256KeyOrNull, String issuer, String audience, String rulesClaim) {
        this.hs256SecretOrNull = hs256SecretOrNull;
        this.rs256KeyOrNull = rs256KeyOrNull;
        this.issuer = issuer == null ? "" : issuer;
        this.audience = audience == null ? "" : audience;
        this.rulesClaim = rulesClaim;
    }

    /** Whether {@code token} has the shape of a JWT (three base64url parts). */
    public static boolean looksLikeJwt(String token) {
        int a = token.indexOf('.');
        int b = a < 0 ? -1 : token.indexOf('.', a + 1);
        return a > 0 && b > a + 1 && token.indexOf('.', b + 1) < 0; // an empty signature too: it is refused with its reason
    }

    /** Reads an RSA public key from PEM ({@code -----BEGIN PUBLIC KEY-----}, X.509 SubjectPublicKeyInfo). */
    public static PublicKey rsaPublicKey(String pem) {
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Pem.decode(pem, "PUBLIC KEY").get(0)));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("not an RSA public key in PEM (-----BEGIN PUBLIC KEY-----): " + e.getMessage());
        }
    }

    /**
     * Verifies the signature and the time and issuer claims.
     *
     * @throws TreecastException UNAUTHORIZED naming what was wrong (never the token itself)
     */
    public Claims verify(String token, long nowMillis) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            throw unauthorized("the token is not a JWT (header.payload.signature)");
        }
        Map<?, ?> header = json(parts[0], "header");
        Object alg = header.get("alg");
        byte[] signed = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
        byte[] signature = base64(parts[2], "signature");
        try {
            if ("HS256".equals(alg) && hs256SecretOrNull != null) {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(hs256SecretOrNull, "HmacSHA256"));
                if (!MessageDigest.isEqual(mac.doFinal(signed), signature)) {
                    throw unauthorized("the JWT's HS256 signature does not verify with the server's secret (auth.jwt.hs256-secret-file)");
                }
            } else if ("RS256".equals(alg) && rs256KeyOrNull != null) {
                Signature s = Signature.getInstance("SHA256withRSA");
                s.initVerify(rs256KeyOrNull);
                s.update(signed);
                if (!s.verify(signature)) {
                    throw unauthorized("the JWT's RS256 signature does not verify with the server's public key (auth.jwt.rs256-public-key-file)");
                }
            } else {
                throw unauthorized("the JWT is signed with alg " + alg + ", which this server does not accept: use "
                        + (hs256SecretOrNull != null ? "HS256" : "") + (hs256SecretOrNull != null && rs256KeyOrNull != null ? " or " : "")
                        + (rs256KeyOrNull != null ? "RS256" : ""));
            }
        } catch (GeneralSecurityException e) {
            throw unauthorized("the JWT's signature could not be checked (" + e.getMessage() + ")");
        }
        Map<?, ?> claims = json(parts[1], "payload");
        Object sub = claims.get("sub");
        if (!(sub instanceof String) || ((String) sub).isEmpty()) {
            throw unauthorized("the JWT has no 'sub' claim: the server names the principal after it");
        }
        long exp = seconds(claims.get("exp"), "exp");
        if (exp > 0 && nowMillis >= exp * 1000) {
            throw unauthorized("the JWT expired at " + java.time.Instant.ofEpochSecond(exp) + ": get a new token");
        }
        long nbf = seconds(claims.get("nbf"), "nbf");
        if (nbf > 0 && nowMillis < nbf * 1000) {
            throw unauthorized("the JWT is not valid before " + java.time.Instant.ofEpochSecond(nbf));
        }
        if (!issuer.isEmpty() && !issuer.equals(claims.get("iss"))) {
            throw unauthorized("the JWT's issuer is not " + issuer + " (auth.jwt.issuer)");
        }
        if (!audience.isEmpty()) {
            Object aud = claims.get("aud");
            boolean ok = audience.equals(aud) || (aud instanceof List && ((List<?>) aud).contains(audience));
            if (!ok) {
                throw unauthorized("the JWT's audience does not include " + audience + " (auth.jwt.audience)");
            }
        }
        AccessRules.Entry rules = null;
        if (claims.containsKey(rulesClaim)) {
            try {
                rules = AccessRules.entry(claims.get(rulesClaim), "claim '" + rulesClaim + "' of the JWT", "the principal");
            } catch (IllegalArgumentException e) {
                throw unauthorized(e.getMessage());
            }
        }
        return new Claims((String) sub, exp * 1000, rules);
    }

    private static long seconds(Object v, String name) {
        if (v == null) {
            return 0;
        }
        if (v instanceof Number) {
            return ((Number) v).longValue();
        }
        throw unauthorized("the JWT's '" + name + "' claim is not a number of seconds");
    }

    private static Map<?, ?> json(String part, String what) {
        String text = new String(base64(part, what), StandardCharsets.UTF_8);
        Object o;
        try {
            // JSON is YAML: SnakeYAML's safe loader reads it without another library
            o = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (RuntimeException e) {
            throw unauthorized("the JWT's " + what + " is not JSON");
        }
        if (!(o instanceof Map)) {
            throw unauthorized("the JWT's " + what + " is not a JSON object");
        }
        return (Map<?, ?>) o;
    }

    private static byte[] base64(String part, String what) {
        try {
            return Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw unauthorized("the JWT's " + what + " is not base64url");
        }
    }

    private static TreecastException unauthorized(String message) {
        return new TreecastException(ErrorCode.UNAUTHORIZED, message);
    }
}
