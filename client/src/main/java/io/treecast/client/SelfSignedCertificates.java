package io.treecast.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;

/**
 * Makes small certificate authorities and certificates with the JDK alone (EC P-256, SHA256withECDSA, DER written
 * here): for tests and for {@code treecast bench --transport tls}, never for production. Server certificates name
 * {@code localhost} and {@code 127.0.0.1}.
 *
 * <pre>{@code
 * SelfSignedCertificates.Issued ca = SelfSignedCertificates.authority("test CA");
 * SelfSignedCertificates.Issued server = ca.issue("localhost", true);
 * server.write(dir, "server");   // server.pem (chain) and server.key (PKCS#8); ca.write(dir, "ca") for ca.pem
 * }</pre>
 */
public final class SelfSignedCertificates {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] OID_EC_WITH_SHA256 = {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x04, 0x03, 0x02};
    private static final byte[] OID_CN = {0x06, 0x03, 0x55, 0x04, 0x03};
    private static final byte[] OID_BASIC_CONSTRAINTS = {0x06, 0x03, 0x55, 0x1d, 0x13};
    private static final byte[] OID_SAN = {0x06, 0x03, 0x55, 0x1d, 0x11};
    private static final byte[] OID_KEY_USAGE = {0x06, 0x03, 0x55, 0x1d, 0x0f};

    private SelfSignedCertificates() {
    }

    /** A key pair and its certificate (DER), with what it takes to sign others. */
    public static final class Issued {
        public final String name;
        public final KeyPair keys;
        public final byte[] certificate;
        private final byte[] chainTail;

        Issued(String name, KeyPair keys, byte[] certificate, byte[] chainTail) {
            this.name = name;
            this.keys = keys;
            this.certificate = certificate;
            this.chainTail = chainTail;
        }

        /** A certificate for {@code commonName} signed by this authority; {@code server}: names localhost and 127.0.0.1. */
        public Issued issue(String commonName, boolean server) {
            KeyPair kp = ecKeys();
            byte[] cert = certificate(commonName, kp, name, keys.getPrivate(), false, server);
            return new Issued(commonName, kp, cert, certificate);
        }

        /** The certificate chain (this certificate, then its issuer's) as PEM. */
        public String certificatePem() {
            return pem("CERTIFICATE", certificate) + (chainTail == null ? "" : pem("CERTIFICATE", chainTail));
        }

        /** The private key as unencrypted PKCS#8 PEM. */
        public String keyPem() {
            return pem("PRIVATE KEY", keys.getPrivate().getEncoded());
        }

        /** Writes {@code <base>.pem} (certificate chain) and {@code <base>.key} into {@code dir}; returns the .pem. */
        public Path write(Path dir, String base) {
            try {
                Files.writeString(dir.resolve(base + ".key"), keyPem());
                return Files.writeString(dir.resolve(base + ".pem"), certificatePem());
            } catch (IOException e) {
                throw new IllegalStateException("cannot write certificates to " + dir + ": " + e, e);
            }
        }
    }

    /** A new self-signed certificate authority. */
    public static Issued authority(String commonName) {
        KeyPair kp = ecKeys();
        return new Issued(commonName, kp, certificate(commonName, kp, commonName, kp.getPrivate(), true, false), null);
    }

    private static KeyPair ecKeys() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] certificate(String subject, KeyPair subjectKeys, String issuer, PrivateKey issuerKey, boolean ca, boolean server) {
        Instant now = Instant.now();
        byte[] validity = seq(time(now.minusSeconds(3600)), time(now.plusSeconds(7L * 24 * 3600)));
        byte[] extensions;
        if (ca) {
            extensions = seq(
                    seq(OID_BASIC_CONSTRAINTS, tlv(0x01, new byte[] {(byte) 0xff}), tlv(0x04, seq(tlv(0x01, new byte[] {(byte) 0xff})))),
                    seq(OID_KEY_USAGE, tlv(0x01, new byte[] {(byte) 0xff}), tlv(0x04, tlv(0x03, new byte[] {0x01, 0x06}))));
        } else if (server) {
            byte[] san = seq(tlv(0x82, "localhost".getBytes(StandardCharsets.US_ASCII)), tlv(0x87, new byte[] {127, 0, 0, 1}));
            extensions = seq(seq(OID_BASIC_CONSTRAINTS, tlv(0x04, seq())), seq(OID_SAN, tlv(0x04, san)));
        } else {
            extensions = seq(seq(OID_BASIC_CONSTRAINTS, tlv(0x04, seq())));
        }
        byte[] tbs = seq(
                tlv(0xa0, tlv(0x02, new byte[] {2})),
                tlv(0x02, new BigInteger(63, RANDOM).add(BigInteger.ONE).toByteArray()),
                seq(OID_EC_WITH_SHA256),
                name(issuer),
                validity,
                name(subject),
                subjectKeys.getPublic().getEncoded(),
                tlv(0xa3, extensions));
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(issuerKey);
            s.update(tbs);
            byte[] sig = s.sign();
            byte[] bits = new byte[sig.length + 1];
            System.arraycopy(sig, 0, bits, 1, sig.length);
            return seq(tbs, seq(OID_EC_WITH_SHA256), tlv(0x03, bits));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] name(String cn) {
        return seq(tlv(0x31, seq(OID_CN, tlv(0x0c, cn.getBytes(StandardCharsets.UTF_8)))));
    }

    private static byte[] time(Instant t) {
        return tlv(0x17, DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC).format(t).getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] seq(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return tlv(0x30, b.toByteArray());
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(tag);
        int n = value.length;
        if (n < 0x80) {
            b.write(n);
        } else if (n < 0x100) {
            b.write(0x81);
            b.write(n);
        } else {
            b.write(0x82);
            b.write(n >> 8);
            b.write(n & 0xff);
        }
        b.writeBytes(value);
        return b.toByteArray();
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der) + "\n-----END " + label + "-----\n";
    }
}
