package io.treecast.gateway;

import io.netty.handler.ssl.SslContext;
import io.treecast.gateway.internal.security.JwtVerifier;
import io.treecast.gateway.internal.security.SecurityPolicy;
import io.treecast.gateway.internal.security.TlsMaterial;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The server's credentials, access rules and TLS material ({@code auth.*}, {@code tls.*}), loaded once and checked
 * for changes every {@code auth.reload-interval-ms} on one daemon thread. Shared by the RSocket listeners and the
 * metrics port, so both serve the same certificate and accept the same tokens.
 *
 * <pre>{@code
 * try (ServerSecurity security = ServerSecurity.load(config)) {           // ConfigException on a bad file
 *     ObservabilityServer http = ObservabilityServer.start(..., security.sslContext(), security::acceptsCredential, true);
 *     TreecastServer server = TreecastServer.start(config, journal, store, security);
 * }
 * }</pre>
 */
public final class ServerSecurity implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerSecurity.class);

    private final SecurityPolicy policy;
    private final TlsMaterial tls;
    private final SslContext sslContext;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService reloader;

    private ServerSecurity(SecurityPolicy policy, TlsMaterial tls, int reloadMillis) {
        this.policy = policy;
        this.tls = tls;
        this.sslContext = tls == null ? null : tls.nettyContext();
        if (!policy.reloadable() && tls == null) {
            reloader = null;
            return;
        }
        reloader = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "treecast-security-reload");
            t.setDaemon(true);
            return t;
        });
        reloader.scheduleWithFixedDelay(this::poll, reloadMillis, reloadMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Reads the tokens, rules, JWT key and TLS files of {@code config}.
     *
     * @throws ConfigException naming the key of the file that cannot be used, and why
     */
    public static ServerSecurity load(ServerConfig config) {
        JwtVerifier jwt = null;
        String key = "auth.jwt.hs256-secret-file";
        SecurityPolicy policy;
        try {
            byte[] secret = config.jwtHs256SecretFile() == null ? null : SecurityPolicy.readSecret(config.jwtHs256SecretFile());
            key = "auth.jwt.rs256-public-key-file";
            java.security.PublicKey rsa = null;
            if (config.jwtRs256PublicKeyFile() != null) {
                rsa = JwtVerifier.rsaPublicKey(java.nio.file.Files.readString(config.jwtRs256PublicKeyFile()));
            }
            if (secret != null || rsa != null) {
                jwt = new JwtVerifier(secret, rsa, config.jwtIssuer(), config.jwtAudience(), config.jwtRulesClaim());
            }
            key = "auth.tokens-file";
            SecurityPolicy.load(config.authTokens(), config.authTokensFile(), null, jwt); // a tokens-file error names that key
            key = "auth.rules-file";
            policy = SecurityPolicy.load(config.authTokens(), config.authTokensFile(), config.authRulesFile(), jwt);
        } catch (IllegalArgumentException | java.io.IOException e) {
            throw new ConfigException(key, config.sourceOf(key), key + " from " + config.sourceOf(key) + ": " + e.getMessage());
        }
        TlsMaterial tls = null;
        if (config.tlsEnabled()) {
            try {
                tls = TlsMaterial.load(config.tlsCertFile(), config.tlsKeyFile(), config.tlsClientAuth(), config.tlsCaFile());
            } catch (IllegalArgumentException e) {
                throw new ConfigException("tls.cert-file", config.sourceOf("tls.cert-file"), "TLS (tls.cert-file, tls.key-file, tls.ca-file): " + e.getMessage());
            }
        }
        return new ServerSecurity(policy, tls, config.authReloadIntervalMillis());
    }

    /** The TLS context of every listener, or null when {@code tls.enabled} is false. */
    public SslContext sslContext() {
        return sslContext;
    }

    /** Whether TLS is on. */
    public boolean tls() {
        return tls != null;
    }

    /** none, optional or require. */
    public String clientAuth() {
        return tls == null ? "none" : tls.clientAuth();
    }

    /** Whether {@code token} is a credential this server accepts (a token of auth.tokens / auth.tokens-file, or a valid JWT). */
    public boolean acceptsCredential(String token) {
        if (token == null || token.isEmpty()) {
            return false;
        }
        try {
            return !"none".equals(policy.authenticate(token, null).source);
        } catch (io.treecast.fastpath.TreecastException e) {
            return false;
        }
    }

    /** Whether a connection must prove who it is: tokens, a tokens file or a JWT key are configured. */
    public boolean credentialsRequired() {
        return policy.credentialsRequired();
    }

    /** The authentication and rules in force (internal use by the gateway). */
    public SecurityPolicy policy() {
        return policy;
    }

    /** Runs {@code r} on the reload thread each time the tokens or rules in force changed. */
    public void onCredentialsChanged(Runnable r) {
        listeners.add(r);
    }

    /** Checks the files now (the reload thread does it every auth.reload-interval-ms). */
    public void poll() {
        try {
            if (policy.poll()) {
                for (Runnable r : listeners) {
                    r.run();
                }
            }
            if (tls != null) {
                tls.poll();
            }
        } catch (RuntimeException e) {
            LOG.error("Checking the security files for changes failed; will try again", e);
        }
    }

    @Override
    public void close() {
        if (reloader != null) {
            reloader.shutdownNow();
        }
    }
}
