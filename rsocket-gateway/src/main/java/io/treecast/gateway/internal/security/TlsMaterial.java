package io.treecast.gateway.internal.security;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;

/**
 * The server's TLS certificate and key, and the CA that client certificates must chain to, from PEM files, with
 * reload: {@link #poll()} rereads files whose time or size changed, and the next handshake uses them (connections
 * already open keep theirs). The managers handed to Netty and to the JDK's HTTPS server delegate to the material in
 * force, so no listener is rebuilt. A file that no longer reads is logged and the material in force stays.
 *
 * <pre>{@code
 * TlsMaterial tls = TlsMaterial.load(Path.of("server.pem"), Path.of("server.key"), "require", Path.of("ca.pem"));
 * SslContext forNetty = tls.nettyContext();     // one per server; reload is inside
 * SSLContext forJdk = tls.jdkContext();
 * }</pre>
 */
public final class TlsMaterial {
    private static final Logger LOG = LoggerFactory.getLogger(TlsMaterial.class);
    private static final char[] NO_PASSWORD = new char[0];

    private final Path certFile;
    private final Path keyFile;
    private final String clientAuth;
    private final Path caFile;
    private volatile X509ExtendedKeyManager keys;
    private volatile X509ExtendedTrustManager trust;
    private long stamp;
    private final ReloadingKeyManager keyManager = new ReloadingKeyManager();
    private final ReloadingTrustManager trustManager = new ReloadingTrustManager();

    private TlsMaterial(Path certFile, Path keyFile, String clientAuth, Path caFile) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.clientAuth = clientAuth;
        this.caFile = caFile;
    }

    /**
     * Reads the files once.
     *
     * @param clientAuth none, optional or require
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static TlsMaterial load(Path certFile, Path keyFile, String clientAuth, Path caFileOrNull) {
        TlsMaterial m = new TlsMaterial(certFile, keyFile, clientAuth, caFileOrNull);
        m.stamp = m.stamp();
        m.read();
        return m;
    }

    /** A Netty server context using this material (JDK provider); reload needs no new context. */
    public SslContext nettyContext() {
        try {
            return SslContextBuilder.forServer(keyManager)
                    .sslProvider(SslProvider.JDK)
                    .trustManager(trustManager)
                    .clientAuth("require".equals(clientAuth) ? ClientAuth.REQUIRE : "optional".equals(clientAuth) ? ClientAuth.OPTIONAL : ClientAuth.NONE)
                    .build();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot build the TLS context: " + e.getMessage(), e);
        }
    }

    /** A JDK context using this material (for the metrics HTTPS server). */
    public SSLContext jdkContext() {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(new javax.net.ssl.KeyManager[] {keyManager}, new javax.net.ssl.TrustManager[] {trustManager}, null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot build the TLS context: " + e.getMessage(), e);
        }
    }

    /** The client-auth mode: none, optional or require. */
    public String clientAuth() {
        return clientAuth;
    }

    /** Rereads the files if one changed; true when new material is in force. */
    public boolean poll() {
        long s = stamp();
        if (s == stamp) {
            return false;
        }
        stamp = s;
        try {
            read();
            LOG.info("Reloaded the TLS certificate {} and key {}{}: new connections use them", certFile, keyFile, caFile == null ? "" : " and CA " + caFile);
            return true;
        } catch (RuntimeException e) {
            LOG.error("The TLS files changed but cannot be used, so the certificate loaded before stays in force: {}", e.getMessage());
            return false;
        }
    }

    private long stamp() {
        return SecurityPolicy.stamp(certFile) * 31 + SecurityPolicy.stamp(keyFile) * 17 + SecurityPolicy.stamp(caFile);
    }

    private void read() {
        List<X509Certificate> chain = certificates(certFile, "tls.cert-file");
        PrivateKey key = privateKey(keyFile);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("treecast", key, NO_PASSWORD, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, NO_PASSWORD);
            X509ExtendedKeyManager k = (X509ExtendedKeyManager) kmf.getKeyManagers()[0];
            X509ExtendedTrustManager t = null;
            if (caFile != null) {
                KeyStore ts = KeyStore.getInstance("PKCS12");
                ts.load(null, null);
                int i = 0;
                for (X509Certificate c : certificates(caFile, "tls.ca-file")) {
                    ts.setCertificateEntry("ca" + i++, c);
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ts);
                t = (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
            }
            if (!belongs(key, chain.get(0))) {
                // e.g. the key file was replaced and the certificate not yet: keep what is in force until both match
                throw new IllegalArgumentException("the key in " + keyFile + " does not belong to the first certificate in " + certFile);
            }
            keys = k;
            trust = t;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot use the TLS certificate " + certFile + " with the key " + keyFile + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code key} signs what the certificate's public key verifies. */
    private static boolean belongs(PrivateKey key, X509Certificate cert) {
        String alg;
        switch (key.getAlgorithm()) {
            case "RSA":
                alg = "SHA256withRSA";
                break;
            case "EC":
                alg = "SHA256withECDSA";
                break;
            case "Ed25519":
            case "EdDSA":
                alg = "Ed25519";
                break;
            default:
                return cert.getPublicKey().getAlgorithm().equals(key.getAlgorithm());
        }
        try {
            byte[] probe = "treecast key check".getBytes(StandardCharsets.US_ASCII);
            java.security.Signature signer = java.security.Signature.getInstance(alg);
            signer.initSign(key);
            signer.update(probe);
            byte[] sig = signer.sign();
            java.security.Signature verifier = java.security.Signature.getInstance(alg);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            return verifier.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Every certificate of a PEM file. */
    public static List<X509Certificate> certificates(Path file, String key) {
        String pem = read(file, key);
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            List<byte[]> ders = Pem.decode(pem, "CERTIFICATE");
            X509Certificate[] out = new X509Certificate[ders.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(ders.get(i)));
            }
            return List.of(out);
        } catch (CertificateException | RuntimeException e) {
            throw new IllegalArgumentException(file + " (" + key + ") holds no usable PEM certificate: " + e.getMessage());
        }
    }

    private static PrivateKey privateKey(Path file) {
        String pem = read(file, "tls.key-file");
        if (pem.contains("-----BEGIN RSA PRIVATE KEY-----") || pem.contains("-----BEGIN EC PRIVATE KEY-----")
                || pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            throw new IllegalArgumentException(file + " (tls.key-file) holds a PKCS#1/SEC1 or encrypted key: convert it to unencrypted PKCS#8 with "
                    + "'openssl pkcs8 -topk8 -nocrypt -in " + file.getFileName() + " -out key.pem'");
        }
        byte[] der;
        try {
            der = Pem.decode(pem, "PRIVATE KEY").get(0);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + " (tls.key-file) holds no PEM private key (-----BEGIN PRIVATE KEY-----): " + e.getMessage());
        }
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException | RuntimeException tryNext) {
                // next algorithm
            }
        }
        throw new IllegalArgumentException(file + " (tls.key-file) holds a private key of an algorithm the JDK cannot read (RSA, EC and Ed25519 are)");
    }

    private static String read(Path file, String key) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + " (" + key + "): " + e);
        }
    }

    /** Hands every question to the key material in force. */
    private final class ReloadingKeyManager extends X509ExtendedKeyManager {
        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return keys.getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return keys.chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return keys.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return keys.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return keys.chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return keys.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return keys.getPrivateKey(alias);
        }
    }

    /** Checks client certificates against the CA in force; with no CA file, trusts none (client-auth none never asks). */
    private final class ReloadingTrustManager extends X509ExtendedTrustManager {
        private X509ExtendedTrustManager current() throws CertificateException {
            X509ExtendedTrustManager t = trust;
            if (t == null) {
                throw new CertificateException("this server trusts no client certificate (tls.ca-file is not set)");
            }
            return t;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            current().checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            current().checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            current().checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            current().checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current().checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current().checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            X509ExtendedTrustManager t = trust;
            return t == null ? new X509Certificate[0] : t.getAcceptedIssuers();
        }
    }
}
