package io.treecast.client.security;

import io.treecast.client.ChangeBatch;
import io.treecast.client.Children;
import io.treecast.client.ClientOptions;
import io.treecast.client.IngestAck;
import io.treecast.client.ClientSubscription;
import io.treecast.client.LeafChange;
import io.treecast.client.Policy;
import io.treecast.client.SubscribeSpec;
import io.treecast.client.TreeEvent;
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
import reactor.core.publisher.Flux;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Principals × routes × patterns against one server with a tokens file and a rules file, over real sockets:
 * subscriptions and gets wider than the read rules are filtered (live, snapshot and ring replay alike), writes
 * outside the write rules are refused whole with FORBIDDEN, and reloading the rules ends streams that lost their
 * right (a broken rules file keeping the rules in force is {@code SecurityPolicyTest}).
 */
@ExtendWith(NoLeaks.class)
class AccessControlIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String RULES = """
            principals:
              admin:
                read:  { allow: ["**"] }
                write: { allow: ["**"] }
              alice:
                read:  { allow: ["markets/**"], deny: ["markets/secret/**"] }
                write: { allow: ["markets/eu/**"], deny: ["markets/eu/locked/**"] }
            default:
              read:  { allow: ["public/**", "users/${principal}/**"] }
              write: { allow: ["users/${principal}/**"] }
            """;
    @TempDir
    static Path dir;
    private static Path rules;
    private static TreecastServer server;
    private static TreecastClient admin;

    @BeforeAll
    static void start() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), """
                # principal token
                admin  admin-token-0123456789
                alice  alice-token-0123456789
                bob    bob-token-0123456789
                e*vil  evil-token-0123456789
                """);
        rules = Files.writeString(dir.resolve("rules.yaml"), RULES);
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("auth.tokens-file", tokens.toString()).set("auth.rules-file", rules.toString())
                .set("auth.reload-interval-ms", "100").build(), null);
        admin = connect("admin-token-0123456789");
        admin.update(b -> b.set("markets/eu/fx", 1L).set("markets/us/fx", 2L).set("markets/secret/plan", 3L)
                .set("markets/eu/locked/x", 0L).set("public/news", "hi").set("users/alice/x", 4L).set("users/bob/x", 5L));
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static TreecastClient connect(String token) {
        return TreecastClient.connect(server.tcpUri(), ClientOptions.defaults().token(token).requestTimeout(WAIT));
    }

    private static List<String> paths(List<LeafChange> leaves) {
        return leaves.stream().map(LeafChange::path).sorted().collect(Collectors.toList());
    }

    @Test
    void aGetWiderThanTheReadRulesIsFilteredAndOneOutsideThemIsForbidden() {
        try (TreecastClient alice = connect("alice-token-0123456789")) {
            assertThat(paths(alice.get("markets/**").leaves())).contains("markets/eu/fx", "markets/us/fx").noneMatch(p -> p.startsWith("markets/secret"));
            assertThat(paths(alice.get("**/plan").leaves())).isEmpty();
            assertThat(paths(alice.get("**").leaves())).contains("markets/eu/fx", "markets/us/fx").allMatch(p -> p.startsWith("markets/") && !p.startsWith("markets/secret"));
            assertThatThrownBy(() -> alice.get("markets/secret/**"))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN))
                    .hasMessageContaining("get 'markets/secret/**'").hasMessageContaining("read deny rule 'markets/secret/**'");
            assertThatThrownBy(() -> alice.get("public/*"))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN))
                    .hasMessageContaining("principal 'alice' may read nothing that matches it");
            // the connection carries on
            assertThat(paths(alice.get("markets/eu/*").leaves())).contains("markets/eu/fx");
        }
    }

    @Test
    void childrenListsOnlyWhatThePrincipalMayReadAndANodeOutsideItsRulesIsForbidden() {
        try (TreecastClient alice = connect("alice-token-0123456789")) {
            assertThat(alice.children("markets").children()).extracting(Children.Child::name).containsExactly("eu", "us");
            assertThat(alice.children("").children()).extracting(Children.Child::name).containsExactly("markets");
            assertThatThrownBy(() -> alice.children("markets/secret"))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> {
                        assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN);
                        assertThat(e.reason()).isEqualTo("tree.children of 'markets/secret/**': principal 'alice' may not read it "
                                + "(read deny rule 'markets/secret/**')");
                    });
            assertThatThrownBy(() -> alice.children("public"))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN))
                    .hasMessageContaining("principal 'alice' may read nothing that matches it");
            // the connection carries on
            assertThat(alice.children("markets/eu").children()).extracting(Children.Child::name).contains("fx");
        }
    }

    @Test
    void aSubscriptionOverlappingADeniedSubtreeGetsItsSnapshotLiveEventsAndRingReplayFiltered() {
        try (TreecastClient alice = connect("alice-token-0123456789")) {
            List<TreeEvent> events = new CopyOnWriteArrayList<>();
            long before = admin.set("markets/eu/ring", 0L);
            ClientSubscription sub = alice.subscribe("markets/**", o -> o.snapshot().policy(Policy.STRICT), events::add);
            await().atMost(WAIT).untilAsserted(() -> assertThat(events).anyMatch(e -> e.kind() == TreeEvent.Kind.SNAPSHOT_END));
            long hidden = admin.set("markets/secret/plan", 30L);
            long mixed = admin.update(b -> b.set("markets/secret/plan", 31L).set("markets/us/fx", 21L));
            long visible = admin.set("markets/eu/fx", 11L);
            await().atMost(WAIT).untilAsserted(() -> assertThat(events).anyMatch(e -> e.seq() == visible));
            List<String> seen = events.stream().flatMap(e -> e.changes().stream()).map(LeafChange::path).collect(Collectors.toList());
            assertThat(seen).contains("markets/eu/fx", "markets/us/fx").doesNotContain("markets/secret/plan");
            assertThat(events).noneMatch(e -> e.seq() == hidden);
            assertThat(events.stream().filter(e -> e.seq() == mixed).findFirst().orElseThrow().changes())
                    .extracting(LeafChange::path).containsExactly("markets/us/fx");
            sub.cancel();

            // resume from the replay ring: the same filter
            List<TreeEvent> replay = new CopyOnWriteArrayList<>();
            ClientSubscription resumed = alice.subscribe(SubscribeSpec.pattern("markets/**").resumeAfter(before).policy(Policy.STRICT), replay::add, e -> { });
            await().atMost(WAIT).untilAsserted(() -> assertThat(replay).anyMatch(e -> e.seq() == visible));
            assertThat(replay.stream().flatMap(e -> e.changes().stream()).map(LeafChange::path)).doesNotContain("markets/secret/plan");
            assertThat(replay).noneMatch(e -> e.seq() == hidden);
            resumed.cancel();
        }
    }

    @Test
    void aResumeCaughtUpFromTheSnapshotStoreIsFilteredToo() throws Exception {
        // the store here reads the server's own tree (complete up to its seq): what the Kafka Streams store answers
        AtomicReference<io.treecast.fastpath.Engine> engine = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        io.treecast.fastpath.SnapshotStore store = pattern -> engine.get().get(pattern)
                .whenComplete((r, e) -> asked.incrementAndGet())
                .thenApply(s -> new io.treecast.fastpath.SnapshotStore.Result(s.seq(), s.leaves()));
        try (TreecastServer small = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("auth.tokens-file", dir.resolve("tokens").toString()).set("auth.rules-file", rules.toString())
                .set("engine.replay-ring-capacity", "4").build(), null, store)) {
            engine.set(small.engine());
            try (TreecastClient root = TreecastClient.connect(small.tcpUri(), ClientOptions.defaults().token("admin-token-0123456789"));
                 TreecastClient alice = TreecastClient.connect(small.tcpUri(), ClientOptions.defaults().token("alice-token-0123456789"))) {
                long first = root.set("markets/eu/fx", 1L);
                for (int i = 0; i < 10; i++) {
                    root.update(b -> b.set("markets/secret/plan", 7L).set("markets/us/fx", 2L));
                }
                long last = root.set("markets/eu/fx", 3L);
                List<TreeEvent> events = new CopyOnWriteArrayList<>();
                alice.subscribe(SubscribeSpec.pattern("markets/**").resumeAfter(first).policy(Policy.STRICT), events::add, e -> { });
                await().atMost(WAIT).untilAsserted(() -> assertThat(events).anyMatch(e -> e.changes().stream().anyMatch(c -> c.seq() == last)));
                assertThat(events).anyMatch(e -> e.kind() == TreeEvent.Kind.RESET); // too old for the ring of 4 batches
                assertThat(asked.get()).as("the store was asked").isPositive();
                List<String> seen = events.stream().flatMap(e -> e.changes().stream()).map(LeafChange::path).collect(Collectors.toList());
                assertThat(seen).contains("markets/eu/fx", "markets/us/fx").doesNotContain("markets/secret/plan");
            }
        }
    }

    @Test
    void manyHiddenEventsInARowDoNotUseUpTheSubscribersDemand() {
        try (TreecastClient alice = connect("alice-token-0123456789")) {
            List<TreeEvent> events = new CopyOnWriteArrayList<>();
            // with a snapshot the marker arrives whether the set lands before or after the subscription is registered
            alice.subscribe(SubscribeSpec.pattern("markets/**").snapshot(true).policy(Policy.STRICT).eventsPerFrame(1), events::add, e -> { });
            admin.set("markets/eu/marker", 0L);
            await().atMost(WAIT).untilAsserted(() -> assertThat(events.stream().flatMap(e -> e.changes().stream()).map(c -> c.path()).toList())
                    .contains("markets/eu/marker"));
            for (int i = 0; i < 1500; i++) {   // more than the client's and the server's demand windows
                admin.publish(b -> b.set("markets/secret/plan", 1L));
            }
            long visible = admin.set("markets/eu/after-hidden", 1L);
            await().atMost(WAIT).untilAsserted(() -> assertThat(events).anyMatch(e -> e.seq() == visible));
            assertThat(events.stream().flatMap(e -> e.changes().stream()).map(LeafChange::path)).doesNotContain("markets/secret/plan");
        }
    }

    @Test
    void aSubscriptionInsideADeniedSubtreeOrOutsideTheRulesIsForbiddenNamingThePattern() {
        try (TreecastClient alice = connect("alice-token-0123456789")) {
            AtomicReference<TreecastClientException> error = new AtomicReference<>();
            alice.subscribe(SubscribeSpec.pattern("markets/secret/*"), e -> { }, error::set);
            await().atMost(WAIT).untilAsserted(() -> assertThat(error.get()).isNotNull());
            assertThat(error.get().code()).isEqualTo(TreecastClientException.Code.FORBIDDEN);
            assertThat(error.get()).hasMessageContaining("subscription to 'markets/secret/*'").hasMessageContaining("read deny rule 'markets/secret/**'");
            error.set(null);
            alice.subscribe(SubscribeSpec.pattern("users/**"), e -> { }, error::set);
            await().atMost(WAIT).untilAsserted(() -> assertThat(error.get()).isNotNull());
            assertThat(error.get().code()).isEqualTo(TreecastClientException.Code.FORBIDDEN);
            assertThat(error.get()).hasMessageContaining("'users/**'");
        }
    }

    @Test
    void writesOutsideTheWriteRulesAreRefusedWholeWithForbidden() {
        try (TreecastClient alice = connect("alice-token-0123456789")) {
            alice.set("markets/eu/alice", 1L);
            assertThatThrownBy(() -> alice.set("markets/us/fx", 99L))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN))
                    .hasMessageContaining("change 1 (markets/us/fx): principal 'alice' may not write it");
            // one forbidden change refuses the whole batch: the allowed one is not applied either
            assertThatThrownBy(() -> alice.update(b -> b.set("markets/eu/batch", 1L).set("markets/secret/plan", 0L)))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN))
                    .hasMessageContaining("change 2 (markets/secret/plan)").hasMessageContaining("nothing in the batch was applied");
            assertThat(admin.get("markets/eu/batch").leaves()).isEmpty();
            // a delete removes a subtree: deleting markets would remove paths alice may not write
            assertThatThrownBy(() -> alice.delete("markets/eu"))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN))
                    .hasMessageContaining("change 1 (delete markets/eu): it would remove paths below it that principal 'alice' may not write (write deny rule 'markets/eu/locked/**')");
            assertThat(admin.get("markets/eu/locked/*").leaves()).hasSize(1);
            alice.delete("markets/eu/alice");
            // fire-and-forget: dropped and counted, the connection carries on
            alice.publish(b -> b.set("markets/us/published", 1L));
            alice.set("markets/eu/after", 1L);
            assertThat(admin.get("markets/us/published").leaves()).isEmpty();
            assertThat(admin.get("markets/eu/after").leaves()).hasSize(1);
        }
    }

    @Test
    void anIngestedBatchOutsideTheWriteRulesGetsAForbiddenAckAndTheChannelGoesOn() {
        try (TreecastClient alice = connect("alice-token-0123456789")) {
            List<IngestAck> acks = alice.reactive().ingest(Flux.just(
                    ChangeBatch.of(b -> b.set("markets/eu/ingest1", 1L)),
                    ChangeBatch.of(b -> b.set("markets/eu/ingest2", 2L).set("markets/us/ingest", 2L)),
                    ChangeBatch.of(b -> b.set("markets/eu/ingest3", 3L)))).collectList().block(WAIT);
            assertThat(acks).hasSize(3);
            assertThat(acks.get(0).isError()).isFalse();
            assertThat(acks.get(1).errorCode()).isEqualTo(TreecastClientException.Code.FORBIDDEN);
            assertThat(acks.get(1).errorMessage()).contains("change 2 (markets/us/ingest)").contains("nothing in the batch was applied");
            assertThat(acks.get(2).isError()).isFalse();
            assertThat(paths(admin.get("markets/eu/*").leaves())).contains("markets/eu/ingest1", "markets/eu/ingest3").doesNotContain("markets/eu/ingest2");
        }
    }

    @Test
    void aPathWithAnInvisibleBidiCharacterIsRefusedNamingTheCodePointAndTheClientCarriesOn() {
        assertThatThrownBy(() -> admin.set("markets/eu/\u202Efx", 1L))
                .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.INVALID_PATH))
                .hasMessageContaining("U+202E (RIGHT-TO-LEFT OVERRIDE)");
        assertThatThrownBy(() -> admin.get("markets/\u200B*/fx"))
                .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.INVALID_PATTERN))
                .hasMessageContaining("U+200B (ZERO WIDTH SPACE)");
        assertThat(admin.get("markets/eu/fx").leaves()).hasSize(1);
    }

    @Test
    void theDefaultRulesSubstituteThePrincipalAndRefuseNamesWithWildcards() {
        try (TreecastClient bob = connect("bob-token-0123456789")) {
            bob.set("users/bob/y", 1L);
            assertThatThrownBy(() -> bob.set("users/alice/y", 1L))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN));
            assertThat(paths(bob.get("users/**").leaves())).containsExactly("users/bob/x", "users/bob/y");
            assertThat(paths(bob.get("public/*").leaves())).containsExactly("public/news");
        }
        assertThatThrownBy(() -> connect("evil-token-0123456789").get("public/*"))
                .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN))
                .hasMessageContaining("principal 'e*vil' contains '*', which may not be substituted into the rule 'users/${principal}/**'");
        assertThatThrownBy(() -> connect("no-such-token").get("public/*"))
                .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.UNAUTHORIZED))
                .hasMessageContaining("auth.tokens-file");
    }

    @Test
    void reloadedRulesEndStreamsThatLostTheirRightAndApplyToLaterRequests() throws Exception {
        try (TreecastClient alice = connect("alice-token-0123456789")) {
            AtomicReference<TreecastClientException> ended = new AtomicReference<>();
            List<TreeEvent> events = new CopyOnWriteArrayList<>();
            alice.subscribe(SubscribeSpec.pattern("markets/eu/**").snapshot(), events::add, ended::set);
            await().atMost(WAIT).untilAsserted(() -> assertThat(events).anyMatch(e -> e.kind() == TreeEvent.Kind.SNAPSHOT_END));

            rewrite(RULES.replace("deny: [\"markets/secret/**\"]", "deny: [\"markets/secret/**\", \"markets/eu/**\"]"));
            await().atMost(WAIT).untilAsserted(() -> assertThat(ended.get()).isNotNull());
            assertThat(ended.get().code()).isEqualTo(TreecastClientException.Code.FORBIDDEN);
            assertThat(ended.get()).hasMessageContaining("markets/eu/**").hasMessageContaining("the access rules changed");
            assertThatThrownBy(() -> alice.get("markets/eu/*"))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> assertThat(e.code()).isEqualTo(TreecastClientException.Code.FORBIDDEN));

        } finally {
            rewrite(RULES);
            try (TreecastClient alice = connect("alice-token-0123456789")) {
                await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> assertThat(alice.get("markets/eu/*").leaves()).isNotEmpty());
            }
        }
    }

    private static int generation;

    private static void rewrite(String text) throws Exception {
        Files.writeString(rules, text);
        // a distinct modification time, whatever the file system's clock granularity
        Files.setLastModifiedTime(rules, FileTime.fromMillis(System.currentTimeMillis() + 10_000L * ++generation));
    }
}
