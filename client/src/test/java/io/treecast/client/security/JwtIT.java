package io.treecast.client.security;

import io.treecast.client.ClientOptions;
import io.treecast.client.SubscribeSpec;
import io.treecast.client.TreecastClient;
import io.treecast.client.TreecastClientException;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Principals from signed JWTs (HS256 and RS256, verified with the JDK): the subject names the principal, a claim may
 * carry its rules, a forged, unsigned, expired or foreign token is refused with UNAUTHORIZED, and a connection whose
 * token expires is ended with UNAUTHORIZED saying so.
 */
@ExtendWith(NoLeaks.class)
class JwtIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String SECRET = "0123456789abcdef0123456789abcdef-test-secret";
    @TempDir
    static Path dir;
    private static KeyPair rsa;
    private static TreecastServer server;

    @BeforeAll
    static void start() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        rsa = g.generateKeyPair();
        Path secret = Files.writeString(dir.resolve("secret"), SECRET + "\n");
        Path pub = Files.writeString(dir.resolve("rsa.pub"), "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(rsa.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        Path rules = Files.writeString(dir.resolve("rules.yaml"), """
                default:
                  read:  { allow: ["users/${principal}/**"] }
                  write: { allow: ["users/${principal}/**"] }
                """);
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("auth.jwt.hs256-secret-file", secret.toString()).set("auth.jwt.rs256-public-key-file", pub.toString())
                .set("auth.jwt.issuer", "https://issuer.test").set("auth.rules-file", rules.toString()).build(), null);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static TreecastClient connect(String token) {
        return TreecastClient.connect(server.tcpUri(), ClientOptions.defaults().token(token).requestTimeout(WAIT));
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    static String hs256(String claims, String secret) throws Exception {
        String signed = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + b64(claims);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return signed + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.US_ASCII)));
    }

    static String rs256(String claims) throws Exception {
        String signed = b64("{\"alg\":\"RS256\",\"typ\":\"JWT\"}") + "." + b64(claims);
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(rsa.getPrivate());
        s.update(signed.getBytes(StandardCharsets.US_ASCII));
        return signed + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign());
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    @Test
    void theSubjectNamesThePrincipalForBothAlgorithms() throws Exception {
        String claims = "{\"sub\":\"dora\",\"iss\":\"https://issuer.test\",\"exp\":" + (now() + 600) + "}";
        for (String token : new String[] {hs256(claims, SECRET), rs256(claims)}) {
            try (TreecastClient dora = connect(token)) {
                dora.set("users/dora/x", 1L);
                assertThatThrownBy(() -> dora.set("users/eve/x", 1L))
                        .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN))
                        .hasMessageContaining("principal 'dora'");
            }
        }
    }

    @Test
    void rulesCarriedByTheTokenReplaceTheFilesRules() throws Exception {
        String token = hs256("{\"sub\":\"feed\",\"iss\":\"https://issuer.test\",\"treecast\":{\"read\":{\"allow\":[\"**\"]},"
                + "\"write\":{\"allow\":[\"feeds/**\"],\"deny\":[\"feeds/admin/**\"]}}}", SECRET);
        try (TreecastClient feed = connect(token)) {
            feed.set("feeds/a", 1L);
            assertThat(feed.get("feeds/*").leaves()).hasSize(1);
            assertThatThrownBy(() -> feed.set("feeds/admin/x", 1L))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN))
                    .hasMessageContaining("write deny rule 'feeds/admin/**'");
        }
    }

    @Test
    void forgedUnsignedExpiredAndForeignTokensAreUnauthorized() throws Exception {
        String good = "{\"sub\":\"dora\",\"iss\":\"https://issuer.test\"}";
        String[][] cases = {
                {hs256(good, "not-the-secret-not-the-secret-not-the-secret"), "HS256 signature does not verify"},
                {b64("{\"alg\":\"none\"}") + "." + b64(good) + ".", "alg none, which this server does not accept"},
                {hs256("{\"sub\":\"dora\",\"iss\":\"https://issuer.test\",\"exp\":" + (now() - 60) + "}", SECRET), "the JWT expired at"},
                {hs256("{\"sub\":\"dora\",\"iss\":\"https://evil.test\"}", SECRET), "issuer is not https://issuer.test"},
                {hs256("{\"iss\":\"https://issuer.test\"}", SECRET), "no 'sub' claim"},
                {"plain-token", "accepts only JWTs"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> {
                try (TreecastClient client = connect(c[0])) {
                    client.get("users/dora/*");
                }
            }).as(c[1]).isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.UNAUTHORIZED))
                    .hasMessageContaining(c[1]);
        }
        try (TreecastClient dora = connect(rs256(good))) {
            assertThat(dora.get("users/dora/*")).isNotNull(); // the server carries on
        }
    }

    @Test
    void aConnectionWhoseTokenExpiresIsEndedWithUnauthorized() throws Exception {
        String token = hs256("{\"sub\":\"dora\",\"iss\":\"https://issuer.test\",\"exp\":" + (now() + 2) + "}", SECRET);
        try (TreecastClient dora = connect(token)) {
            AtomicReference<TreecastClientException> ended = new AtomicReference<>();
            dora.subscribe(SubscribeSpec.pattern("users/dora/**"), e -> { }, ended::set);
            await().atMost(WAIT).untilAsserted(() -> assertThat(ended.get()).isNotNull());
            assertThat(ended.get().code()).isEqualTo(TreecastClientException.Code.UNAUTHORIZED);
            assertThat(ended.get()).hasMessageContaining("the token of principal 'dora' expired at").hasMessageContaining("reconnect with a new token");
        }
    }
}
