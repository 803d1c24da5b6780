package io.treecast.client;

import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import io.treecast.gateway.Upstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Edge nodes in process, over real sockets: one core, two edges following it. Edges keep the core's seqs, serve
 * resumes by seq from either edge, forward writes to the core (its ack, its errors), resume from the core by seq
 * after losing it, and take the core's snapshot only when the core answers with RESET.
 */
@ExtendWith(NoLeaks.class)
class EdgeIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static TreecastServer core;
    private static TreecastServer edge1;
    private static TreecastServer edge2;
    private static UpstreamConnection link1;
    private static UpstreamConnection link2;
    /** While set, edge 1 cannot reach the core (its connect fails). */
    private static final AtomicBoolean cut1 = new AtomicBoolean();
    private static TreecastClient onCore;

    @BeforeAll
    static void start() {
        // a small replay ring on the core: an edge that misses more than 64 batches is answered with RESET
        core = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("engine.replay-ring-capacity", "64").build(), null);
        link1 = UpstreamConnection.connect(core.tcpUri(), ClientOptions.defaults().clientName("edge-1"));
        link2 = UpstreamConnection.connect(core.tcpUri(), ClientOptions.defaults().clientName("edge-2"));
        edge1 = edge(Upstream.of(core.tcpUri(), () -> cut1.get()
                ? Mono.error(new IllegalStateException("cut by the test")) : link1.rsocket()));
        edge2 = edge(Upstream.of(core.tcpUri(), link2::rsocket));
        onCore = TreecastClient.connect(core.tcpUri());
    }

    private static TreecastServer edge(Upstream upstream) {
        ServerConfig config = ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .set("upstream.url", core.tcpUri()).build();
        return TreecastServer.start(config, null, null, upstream);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[]{onCore, edge1, edge2, link1, link2, core}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // keep closing the others
            }
        }
    }

    private static final class Recorded {
        final List<TreeEvent> events = new CopyOnWriteArrayList<>();
        final ClientSubscription sub;

        Recorded(TreecastClient client, SubscribeSpec spec) {
            sub = client.subscribe(spec.policy(Policy.STRICT), events::add, e -> { });
        }

        /** Subscribes with a snapshot and waits for its end: from then on every batch reaches this subscriber. */
        static Recorded live(TreecastClient client, String pattern) {
            Recorded r = new Recorded(client, SubscribeSpec.pattern(pattern).snapshot());
            await().atMost(WAIT).untilAsserted(() -> assertThat(r.synced()).as("r.synced()").isTrue());
            return r;
        }

        boolean synced() {
            return events.stream().anyMatch(e -> e.kind() == TreeEvent.Kind.SNAPSHOT_END);
        }

        boolean wasReset() {
            return events.stream().anyMatch(e -> e.kind() == TreeEvent.Kind.RESET);
        }

        long lastSeq() {
            return events.isEmpty() ? -1 : events.get(events.size() - 1).seq();
        }

        List<String> updates() {
            List<String> out = new ArrayList<>();
            for (TreeEvent e : events) {
                if (e.kind() == TreeEvent.Kind.UPDATE) {
                    out.add(e.seq() + " " + e.changes());
                }
            }
            return out;
        }
    }

    private static Map<String, TreeValue> state(TreecastClient c, String pattern) {
        return new TreeMap<>(c.get(pattern).toMap());
    }

    @Test
    void subscribersOnBothEdgesSeeExactlyTheCoresSequenceAndWritesToAnEdgeAreAckedByTheCore() {
        try (TreecastClient onEdge1 = TreecastClient.connect(edge1.tcpUri());
             TreecastClient onEdge2 = TreecastClient.connect(edge2.tcpUri())) {
            onCore.set("seq/warm", 0L);
            Recorded viaCore = Recorded.live(onCore, "seq/**");
            Recorded viaEdge1 = Recorded.live(onEdge1, "seq/**");
            Recorded viaEdge2 = Recorded.live(onEdge2, "seq/**");
            long last = 0;
            for (int i = 0; i < 30; i++) {
                TreecastClient writer = i % 3 == 0 ? onCore : i % 3 == 1 ? onEdge1 : onEdge2;
                int k = i;
                last = writer.update(b -> b.set("seq/k" + (k % 7), (long) k).set("seq/n/" + k, "v" + k), AckMode.APPLIED);
            }
            onEdge2.delete("seq/n");
            last = onEdge1.set("seq/last", true);
            long end = last;
            await().atMost(WAIT).untilAsserted(() -> { assertThat(viaCore.lastSeq()).isEqualTo(end); assertThat(viaEdge1.lastSeq()).isEqualTo(end); assertThat(viaEdge2.lastSeq()).isEqualTo(end); });
            assertThat(viaEdge1.updates()).isEqualTo(viaCore.updates()).hasSize(32);
            assertThat(viaEdge2.updates()).isEqualTo(viaCore.updates());
            assertThat(edge1.engine().currentSeq()).isEqualTo(core.engine().currentSeq());
            assertThat(state(onEdge1, "seq/**")).isEqualTo(state(onCore, "seq/**"));
            viaCore.sub.close();
            viaEdge1.sub.close();
            viaEdge2.sub.close();
        }
    }

    @Test
    void aClientMovedFromEdgeOneToEdgeTwoResumesWithoutGapOrDuplicate() {
        try (TreecastClient onEdge1 = TreecastClient.connect(edge1.tcpUri());
             TreecastClient onEdge2 = TreecastClient.connect(edge2.tcpUri())) {
            Recorded reference = Recorded.live(onCore, "move/**");
            Recorded first = Recorded.live(onEdge1, "move/**");
            for (int i = 0; i < 10; i++) {
                onCore.set("move/a" + i, (long) i);
            }
            long mid = core.engine().currentSeq();
            await().atMost(WAIT).untilAsserted(() -> assertThat(first.lastSeq()).isEqualTo(mid));
            first.sub.close();
            for (int i = 10; i < 20; i++) {
                onCore.set("move/a" + (i % 4), (long) i);
            }
            Recorded second = new Recorded(onEdge2, SubscribeSpec.pattern("move/**").resumeAfter(mid));
            long end = onCore.set("move/end", "x");
            await().atMost(WAIT).untilAsserted(() -> { assertThat(second.lastSeq()).isEqualTo(end); assertThat(reference.lastSeq()).isEqualTo(end); });
            List<String> joined = new ArrayList<>(first.updates());
            joined.addAll(second.updates());
            assertThat(second.events).extracting(TreeEvent::kind).containsOnly(TreeEvent.Kind.UPDATE);
            assertThat(joined).isEqualTo(reference.updates()).hasSize(21);
            reference.sub.close();
            second.sub.close();
        }
    }

    @Test
    void aClientMovingToAnEdgeThatIsBehindWaitsForItInsteadOfGettingReset() {
        try (TreecastClient onEdge1 = TreecastClient.connect(edge1.tcpUri());
             TreecastClient onEdge2 = TreecastClient.connect(edge2.tcpUri())) {
            Recorded reference = Recorded.live(onCore, "behind/**");
            Recorded first = Recorded.live(onEdge2, "behind/**");
            // edge 1 loses its core, so it falls behind edge 2
            cut1.set(true);
            link1.rsocket().block(WAIT).dispose();
            await().atMost(WAIT).untilAsserted(() -> assertThat(edge1.upstreamConnected()).as("edge1.upstreamConnected()").isFalse());
            long seen = 0;
            for (int i = 0; i < 5; i++) {
                seen = onCore.set("behind/k" + i, (long) i);
            }
            long s = seen;
            await().atMost(WAIT).untilAsserted(() -> assertThat(first.lastSeq()).isEqualTo(s));
            assertThat(edge1.engine().currentSeq()).isLessThan(seen);
            first.sub.close();

            // the client moves to edge 1 with a seq edge 1 has not reached: its subscription waits, then goes on
            Recorded moved = new Recorded(onEdge1, SubscribeSpec.pattern("behind/**").resumeAfter(seen));
            long end = onCore.set("behind/end", "x");
            cut1.set(false);
            await().atMost(WAIT).untilAsserted(() -> { assertThat(moved.lastSeq()).isEqualTo(end); assertThat(reference.lastSeq()).isEqualTo(end); });
            assertThat(moved.wasReset()).as("events %s; edge 1 at %s, resumed after %s", moved.events, edge1.engine().currentSeq(), seen).isFalse();
            List<String> joined = new ArrayList<>(first.updates());
            joined.addAll(moved.updates());
            assertThat(joined).isEqualTo(reference.updates()).hasSize(6);
            reference.sub.close();
            moved.sub.close();
        }
    }

    @Test
    void anEdgeRefusesABadWriteItselfAndPassesTheCoresRefusalOnWhileItsOtherClientsCarryOn() {
        // a raw request the client library would have refused: the edge validates it and never forwards it
        long coreUpdates = core.stats().requests(io.treecast.gateway.GatewayStats.Route.UPDATE);
        byte[] bad = io.treecast.proto.Batch.newBuilder().addChanges(io.treecast.proto.Change.newBuilder().setPath("bad//path")
                .setSet(io.treecast.proto.Value.newBuilder().setIntValue(1))).build().toByteArray();
        try (UpstreamConnection raw = UpstreamConnection.connect(edge1.tcpUri(), ClientOptions.defaults());
             TreecastClient onEdge1 = TreecastClient.connect(edge1.tcpUri())) {
            assertThatThrownBy(() -> raw.rsocket().flatMap(r -> r.requestResponse(io.rsocket.util.DefaultPayload.create(bad,
                    io.treecast.client.internal.ClientConnection.routeMetadata("tree.update")))).block(WAIT))
                    .hasMessageStartingWith("INVALID_PATH: ").hasMessageContaining("bad//path");
            assertThat(core.stats().requests(io.treecast.gateway.GatewayStats.Route.UPDATE)).isEqualTo(coreUpdates);
            // the in-memory core refuses DURABLE: its own code and message reach the edge's client
            assertThatThrownBy(() -> onEdge1.update(b -> b.set("durable/x", 1L), AckMode.DURABLE))
                    .isInstanceOfSatisfying(TreecastClientException.class, e -> {
                        assertThat(e.code()).isEqualTo(TreecastClientException.Code.UNAVAILABLE);
                        assertThat(e.reason()).isEqualTo("durability is off: this server runs in memory; use ack APPLIED");
                    });
            long seq = onEdge1.set("carry/on", 1L);
            assertThat(seq).isLessThanOrEqualTo(core.engine().currentSeq());
            await().atMost(WAIT).untilAsserted(() -> assertThat(edge1.engine().currentSeq()).isGreaterThanOrEqualTo(seq));
            assertThat(onEdge1.get("carry/on").toMap()).containsKey("carry/on");
            // publish and ingest through the edge reach the core too
            onEdge1.publish(b -> b.set("carry/published", 2L));
            List<IngestAck> acks = onEdge1.reactive().ingest(reactor.core.publisher.Flux.range(0, 5)
                    .map(i -> ChangeBatch.of(b -> b.set("carry/ingest" + i, (long) i)))).collectList().block(WAIT);
            assertThat(acks).hasSize(5).noneMatch(IngestAck::isError);
            await().atMost(WAIT).untilAsserted(() -> assertThat(state(onCore, "carry/**")).containsKeys("carry/published", "carry/ingest4"));
        }
    }

    @Test
    void anEdgeThatLostItsCoreResumesBySeqAndResetsOnlyWhenTheCoreSaysSo() {
        try (TreecastClient onEdge1 = TreecastClient.connect(edge1.tcpUri())) {
            Recorded live = Recorded.live(onEdge1, "lost/**");
            long gone = onCore.set("lost/gone", "soon deleted");
            await().atMost(WAIT).untilAsserted(() -> assertThat(live.lastSeq()).isEqualTo(gone));

            // a short loss: the core's ring still holds what the edge missed, so it is replayed, no RESET
            cut1.set(true);
            link1.rsocket().block(WAIT).dispose();
            await().atMost(WAIT).untilAsserted(() -> assertThat(edge1.upstreamConnected()).as("edge1.upstreamConnected()").isFalse());
            for (int i = 0; i < 10; i++) {
                onCore.set("lost/short" + i, (long) i);
            }
            cut1.set(false);
            long afterShort = core.engine().currentSeq();
            await().atMost(WAIT).untilAsserted(() -> assertThat(live.lastSeq()).isEqualTo(afterShort));
            assertThat(live.wasReset()).isFalse();
            assertThat(live.updates()).hasSize(11);
            long beforeLong = edge1.upstreamSeq();

            // a long loss: more than the core's ring of 64 batches, so the core answers RESET and a snapshot; the
            // edge applies the difference as one update, its subscribers stay (no RESET to them)
            cut1.set(true);
            link1.rsocket().block(WAIT).dispose();
            await().atMost(WAIT).untilAsserted(() -> assertThat(edge1.upstreamConnected()).as("edge1.upstreamConnected()").isFalse());
            onCore.delete("lost/gone");
            for (int i = 0; i < 100; i++) {
                onCore.set("lost/long" + (i % 5), (long) i);
            }
            cut1.set(false);
            long afterLong = core.engine().currentSeq();
            await().atMost(WAIT).untilAsserted(() -> assertThat(live.lastSeq()).isEqualTo(afterLong));
            assertThat(live.wasReset()).isFalse();
            assertThat(live.updates()).hasSize(12);
            assertThat(state(onEdge1, "lost/**")).isEqualTo(state(onCore, "lost/**")).doesNotContainKey("lost/gone");

            // a client that was between the edge's old seq and the core's snapshot gets RESET from the edge
            Recorded between = new Recorded(onEdge1, SubscribeSpec.pattern("lost/**").resumeAfter(beforeLong + 3));
            await().atMost(WAIT).untilAsserted(() -> assertThat(between.synced()).as("between.synced()").isTrue());
            assertThat(between.events.get(0).kind()).isEqualTo(TreeEvent.Kind.RESET);
            // and one that was at the edge's old seq is brought to the snapshot by the ring, exactly
            Recorded atOld = new Recorded(onEdge1, SubscribeSpec.pattern("lost/**").resumeAfter(beforeLong));
            await().atMost(WAIT).untilAsserted(() -> assertThat(atOld.lastSeq()).isEqualTo(afterLong));
            assertThat(atOld.events).extracting(TreeEvent::kind).containsOnly(TreeEvent.Kind.UPDATE);
            live.sub.close();
            between.sub.close();
            atOld.sub.close();
        }
    }
}
