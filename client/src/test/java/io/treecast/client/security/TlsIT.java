package io.treecast.client.security;

import io.treecast.client.ClientOptions;
import io.treecast.client.TreecastClient;
import io.treecast.client.TreecastClientException;
import io.treecast.client.SelfSignedCertificates;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * TLS on the TCP and WebSocket ports with certificates made in the test: clients that trust the CA are served,
 * plain TCP and clients trusting another CA are refused, a client certificate names the principal (mutual TLS), and
 * a new certificate written over the files is used by the next connection without a restart.
 */
@ExtendWith(NoLeaks.class)
class TlsIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @TempDir
    static Path dir;
    private static SelfSignedCertificates.Issued ca;
    private static SelfSignedCertificates.Issued otherCa;
    private static TreecastServer server;

    @BeforeAll
    static void start() throws Exception {
        ca = SelfSignedCertificates.authority("Treecast test CA");
        otherCa = SelfSignedCertificates.authority("Some other CA");
        ca.write(dir, "ca");
        otherCa.write(dir, "other-ca");
        ca.issue("localhost", true).write(dir, "server");
        ca.issue("carol", false).write(dir, "carol");
        otherCa.issue("mallory", false).write(dir, "mallory");
        Path rules = Files.writeString(dir.resolve("rules.yaml"), """
                principals:
                  carol: { read: { allow: ["c/**", "open/**"] }, write: { allow: ["c/**"] } }
                default:
                  read:  { allow: ["open/**"] }
                  write: { allow: ["open/**"] }
                """);
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0")
                .set("tls.enabled", "true").set("tls.cert-file", dir.resolve("server.pem").toString())
                .set("tls.key-file", dir.resolve("server.key").toString()).set("tls.client-auth", "optional")
                .set("tls.ca-file", dir.resolve("ca.pem").toString()).set("auth.rules-file", rules.toString())
                .set("auth.reload-interval-ms", "100").build(), null);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static ClientOptions trusting(String caBase) {
        return ClientOptions.defaults().caFile(dir.resolve(caBase + ".pem")).requestTimeout(WAIT).connectTimeout(WAIT);
    }

    @Test
    void clientsThatTrustTheCaAreServedOverTlsAndWss() {
        assertThat(server.tcpUri()).startsWith("tls://");
        assertThat(server.webSocketUri()).startsWith("wss://");
        try (TreecastClient tls = TreecastClient.connect(server.tcpUri(), trusting("ca"));
             TreecastClient wss = TreecastClient.connect(server.webSocketUri(), trusting("ca"))) {
            long seq = tls.set("open/tls/a", 1L);
            assertThat(wss.get("open/tls/*").seq()).isGreaterThanOrEqualTo(seq);
            assertThat(wss.get("open/tls/*").leaves()).hasSize(1);
            // publish writes its frames straight to the channel on TLS too (under the TLS handler)
            tls.publish(b -> b.set("open/tls/p", 2L));
            await().atMost(WAIT).untilAsserted(() -> assertThat(wss.get("open/tls/*").leaves()).hasSize(2));
        }
    }

    @Test
    void plainTcpToTheTlsPortIsRefusedAndTheServerCarriesOn() {
        String plain = server.tcpUri().replace("tls://", "tcp://");
        assertThatThrownBy(() -> {
            try (TreecastClient c = TreecastClient.connect(plain, ClientOptions.defaults().connectTimeout(Duration.ofSeconds(5)).requestTimeout(Duration.ofSeconds(5)))) {
                c.get("open/*");
            }
        }).isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.CONNECTION));
        try (TreecastClient ok = TreecastClient.connect(server.tcpUri(), trusting("ca"))) {
            ok.set("open/b", 1L);
        }
    }

    @Test
    void aClientTrustingAnotherCaRefusesTheServer() {
        assertThatThrownBy(() -> {
            try (TreecastClient c = TreecastClient.connect(server.tcpUri(), trusting("other-ca"))) {
                c.get("open/*");
            }
        }).isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.CONNECTION))
                .hasStackTraceContaining("PKIX");
    }

    @Test
    void aClientCertificateFromTheCaNamesThePrincipalAndOneFromAnotherCaIsRefused() {
        try (TreecastClient carol = TreecastClient.connect(server.tcpUri(), trusting("ca")
                .clientCertificate(dir.resolve("carol.pem"), dir.resolve("carol.key")));
             TreecastClient anonymous = TreecastClient.connect(server.tcpUri(), trusting("ca"))) {
            carol.set("c/x", 1L);
            assertThat(carol.get("c/*").leaves()).hasSize(1);
            assertThatThrownBy(() -> anonymous.get("c/*"))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN))
                    .hasMessageContaining("principal 'anonymous'");
        }
        // tls.client-auth optional: a certificate the CA did not sign names no principal (the connection is anonymous)
        try (TreecastClient mallory = TreecastClient.connect(server.tcpUri(), trusting("ca")
                .clientCertificate(dir.resolve("mallory.pem"), dir.resolve("mallory.key")))) {
            assertThatThrownBy(() -> mallory.get("c/*"))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN))
                    .hasMessageContaining("principal 'anonymous'");
        }
    }

    @Test
    void withClientAuthRequiredOnlyCertificatesFromTheCaConnect() {
        try (TreecastServer strict = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("tls.enabled", "true").set("tls.cert-file", dir.resolve("server.pem").toString())
                .set("tls.key-file", dir.resolve("server.key").toString()).set("tls.client-auth", "require")
                .set("tls.ca-file", dir.resolve("ca.pem").toString()).build(), null)) {
            try (TreecastClient carol = TreecastClient.connect(strict.tcpUri(), trusting("ca")
                    .clientCertificate(dir.resolve("carol.pem"), dir.resolve("carol.key")))) {
                carol.set("c/strict", 1L);
            }
            for (ClientOptions refused : new ClientOptions[] {trusting("ca"),
                    trusting("ca").clientCertificate(dir.resolve("mallory.pem"), dir.resolve("mallory.key"))}) {
                assertThatThrownBy(() -> {
                    try (TreecastClient c = TreecastClient.connect(strict.tcpUri(), refused)) {
                        c.get("c/*");
                    }
                }).isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.CONNECTION));
            }
        }
    }

    @Test
    void aKeyThatDoesNotBelongToTheCertificateIsNotTakenAndTheCertificateInForceStays() throws Exception {
        Path key = dir.resolve("server.key");
        String original = Files.readString(key);
        try {
            Files.writeString(key, SelfSignedCertificates.authority("unrelated").keyPem());
            Files.setLastModifiedTime(key, FileTime.fromMillis(System.currentTimeMillis() + 30_000));
            server.security().poll(); // what the reload thread does every auth.reload-interval-ms
            try (TreecastClient c = TreecastClient.connect(server.tcpUri(), trusting("ca"))) {
                c.set("open/after-bad-key", 1L);
            }
        } finally {
            Files.writeString(key, original);
            Files.setLastModifiedTime(key, FileTime.fromMillis(System.currentTimeMillis() + 40_000));
            server.security().poll();
        }
    }

    @Test
    void aNewCertificateWrittenOverTheFilesIsUsedByTheNextConnection() throws Exception {
        SelfSignedCertificates.Issued newCa = SelfSignedCertificates.authority("Next year's CA");
        newCa.write(dir, "new-ca");
        SelfSignedCertificates.Issued next = newCa.issue("localhost", true);
        Path key = dir.resolve("server.key");
        Path cert = dir.resolve("server.pem");
        try {
            Files.writeString(key, next.keyPem());
            Files.writeString(cert, next.certificatePem());
            Files.setLastModifiedTime(cert, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
            await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
                try (TreecastClient c = TreecastClient.connect(server.tcpUri(), trusting("new-ca"))) {
                    assertThat(c.get("open/*")).isNotNull();
                }
            });
            assertThatThrownBy(() -> {
                try (TreecastClient old = TreecastClient.connect(server.tcpUri(), trusting("ca"))) {
                    old.get("open/*");
                }
            }).isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.CONNECTION));
        } finally {
            SelfSignedCertificates.Issued back = ca.issue("localhost", true);
            Files.writeString(key, back.keyPem());
            Files.writeString(cert, back.certificatePem());
            Files.setLastModifiedTime(cert, FileTime.fromMillis(System.currentTimeMillis() + 120_000));
            await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
                try (TreecastClient c = TreecastClient.connect(server.tcpUri(), trusting("ca"))) {
                    assertThat(c.get("open/*")).isNotNull();
                }
            });
        }
    }
}
