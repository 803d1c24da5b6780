package io.treecast.client;

import java.time.Duration;

/**
 * How a {@link TreecastClient} connects. Immutable; each method returns a copy.
 *
 * <pre>{@code
 * TreecastClient client = TreecastClient.connect("tcp://127.0.0.1:7070",
 *         ClientOptions.defaults().token("s3cret").clientName("pricer-1").requestTimeout(Duration.ofSeconds(5)));
 * }</pre>
 */
public final class ClientOptions {
    private final String token;
    private final String clientName;
    private final Duration requestTimeout;
    private final Duration connectTimeout;
    private final java.nio.file.Path caFile;
    private final java.nio.file.Path certFile;
    private final java.nio.file.Path keyFile;

    private ClientOptions(String token, String clientName, Duration requestTimeout, Duration connectTimeout) {
        this(token, clientName, requestTimeout, connectTimeout, null, null, null);
    }

    private ClientOptions(String token, String clientName, Duration requestTimeout, Duration connectTimeout,
                          java.nio.file.Path caFile, java.nio.file.Path certFile, java.nio.file.Path keyFile) {
        this.token = token;
        this.clientName = clientName;
        this.requestTimeout = requestTimeout;
        this.connectTimeout = connectTimeout;
        this.caFile = caFile;
        this.certFile = certFile;
        this.keyFile = keyFile;
    }

    /**
     * For {@code tls://} and {@code wss://} URLs: trust the server certificates signed by the CA certificates in
     * this PEM file (by default, the JDK's trusted authorities). The server's certificate must name the URL's host.
     *
     * <pre>{@code TreecastClient.connect("tls://broker:7070", ClientOptions.defaults().caFile(Path.of("ca.pem")));}</pre>
     */
    public ClientOptions caFile(java.nio.file.Path pemFile) {
        return new ClientOptions(token, clientName, requestTimeout, connectTimeout, pemFile, certFile, keyFile);
    }

    /**
     * For servers that ask for client certificates (mutual TLS; the certificate's CN then names the principal): the
     * client's PEM certificate chain and its unencrypted PKCS#8 PEM key.
     */
    public ClientOptions clientCertificate(java.nio.file.Path certPemFile, java.nio.file.Path keyPemFile) {
        return new ClientOptions(token, clientName, requestTimeout, connectTimeout, caFile, certPemFile, keyPemFile);
    }

    /** The CA file for TLS, or null (the JDK's trusted authorities). */
    public java.nio.file.Path caFile() { return caFile; }
    /** The client certificate file, or null. */
    public java.nio.file.Path certFile() { return certFile; }
    /** The client key file, or null. */
    public java.nio.file.Path keyFile() { return keyFile; }

    /** No token, no name, 30 s for blocking calls, 10 s to connect. */
    public static ClientOptions defaults() {
        return new ClientOptions("", "", Duration.ofSeconds(30), Duration.ofSeconds(10));
    }

    /** The token sent in the SETUP frame (when the server has {@code auth.tokens}). */
    public ClientOptions token(String token) {
        return new ClientOptions(token, clientName, requestTimeout, connectTimeout, caFile, certFile, keyFile);
    }

    /** A name that shows up in the server's logs and metrics. */
    public ClientOptions clientName(String name) {
        return new ClientOptions(token, name, requestTimeout, connectTimeout, caFile, certFile, keyFile);
    }

    /** How long a blocking call waits for its answer. */
    public ClientOptions requestTimeout(Duration timeout) {
        return new ClientOptions(token, clientName, timeout, connectTimeout, caFile, certFile, keyFile);
    }

    public ClientOptions connectTimeout(Duration timeout) {
        return new ClientOptions(token, clientName, requestTimeout, timeout, caFile, certFile, keyFile);
    }

    public String token() { return token; }
    public String clientName() { return clientName; }
    public Duration requestTimeout() { return requestTimeout; }
    public Duration connectTimeout() { return connectTimeout; }
}
