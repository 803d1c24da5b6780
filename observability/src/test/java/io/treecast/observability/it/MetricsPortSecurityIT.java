package io.treecast.observability.it;

import io.treecast.client.SelfSignedCertificates;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.ServerSecurity;
import io.treecast.observability.ObservabilityServer;
import io.treecast.observability.TreecastMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The metrics port over TLS with the listeners' certificate, asking for a bearer token except on the open probes. */
class MetricsPortSecurityIT {
    @TempDir
    Path dir;
    private ServerSecurity security;
    private TreecastMetrics metrics;
    private ObservabilityServer endpoints;

    @AfterEach
    void stop() {
        if (endpoints != null) {
            endpoints.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        if (security != null) {
            security.close();
        }
    }

    private HttpClient start(boolean openProbes) throws Exception {
        SelfSignedCertificates.Issued ca = SelfSignedCertificates.authority("metrics test CA");
        ca.issue("localhost", true).write(dir, "server");
        security = ServerSecurity.load(ServerConfig.builder().set("auth.tokens", "scrape-token-123")
                .set("tls.enabled", "true").set("tls.cert-file", dir.resolve("server.pem").toString())
                .set("tls.key-file", dir.resolve("server.key").toString()).build());
        metrics = TreecastMetrics.create(Duration.ofSeconds(30));
        endpoints = ObservabilityServer.start("127.0.0.1", 0, metrics, security.sslContext(), security::acceptsCredential, openProbes);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(ca.certificate)));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private HttpResponse<String> get(HttpClient http, String path, String tokenOrNull) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoints.uri() + path)).timeout(Duration.ofSeconds(10));
        if (tokenOrNull != null) {
            b.header("Authorization", "Bearer " + tokenOrNull);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsNeedATokenWhileTheProbesStayOpenAndAllOfItIsTls() throws Exception {
        HttpClient http = start(true);
        assertThat(endpoints.uri()).startsWith("https://");
        HttpResponse<String> refused = get(http, "/metrics", null);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).contains("Authorization: Bearer <token>").contains("metrics.require-token");
        assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(get(http, "/metrics", "wrong").statusCode()).isEqualTo(401);
        assertThat(get(http, "/metrics", "scrape-token-123").statusCode()).isEqualTo(200);
        assertThat(get(http, "/health", null).statusCode()).isNotEqualTo(401);
        assertThat(get(http, "/ready", null).statusCode()).isNotEqualTo(401);
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create(endpoints.uri().replace("https", "http") + "/health"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
        HttpClient untrusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> get(untrusting, "/health", null)).isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void withClosedProbesEveryPathNeedsTheToken() throws Exception {
        HttpClient http = start(false);
        assertThat(get(http, "/health", null).statusCode()).isEqualTo(401);
        assertThat(get(http, "/health", "scrape-token-123").statusCode()).isNotEqualTo(401);
    }
}
