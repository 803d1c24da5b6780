package io.treecast.fastpath;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Follower mode (an edge node): the engine applies batches under the upstream's seq, so subscribers see the
 * upstream's sequence and a resume by seq is exact on any follower; skipped seqs are no-op batches, except those a
 * rebase skipped, from which a resume gets RESET.
 */
class FollowerEngineTest extends OneEngine {

    private static Change set(String path, String value) {
        return Change.set(TreePath.parse(path), value.getBytes());
    }

    private Recorder subscribe(SubscribeOptions options) {
        Recorder r = new Recorder();
        engine.subscribe(options, r).request(Long.MAX_VALUE);
        return r;
    }

    @Test
    void subscribersSeeTheUpstreamSeqsAndAResumeFromASkippedNoOpSeqIsExact() {
        engine = Engine.start(EngineConfig.builder().follower(true).build());
        Recorder live = subscribe(SubscribeOptions.of(PathPattern.parse("**")));
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        engine.offer(Batch.of(set("a/x", "1")).atSeq(5));
        engine.offer(Batch.of(set("a/y", "2")).atSeq(9));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(live.lastSeq).isEqualTo(9));
        assertThat(live.events()).extracting(Recorder.Ev::seq).containsExactly(5L, 9L);
        assertThat(engine.currentSeq()).isEqualTo(9);

        // seq 7 was an upstream batch that changed nothing: a client that saw it resumes without RESET
        Recorder moved = subscribe(SubscribeOptions.of(PathPattern.parse("**")).withResumeAfter(7));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(moved.lastSeq).isEqualTo(9));
        assertThat(moved.events()).extracting(Recorder.Ev::kind).containsExactly(EventKind.UPDATE);
        assertThat(moved.events()).extracting(Recorder.Ev::seq).containsExactly(9L);

        Recorder snap = subscribe(SubscribeOptions.of(PathPattern.parse("a/*")).withSnapshot(true));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(snap.snapshotDone).as("snap.snapshotDone").isTrue());
        assertThat(snap.values()).containsExactlyInAnyOrderEntriesOf(Map.of("a/x", "1", "a/y", "2"));
        assertThat(snap.events().get(snap.events().size() - 1).seq()).isEqualTo(9);
    }

    @Test
    void aRebaseTakesLiveSubscribersToTheUpstreamStateAndAResumeFromASeqItSkippedGetsReset() {
        engine = Engine.start(EngineConfig.builder().follower(true).build());
        Recorder live = subscribe(SubscribeOptions.of(PathPattern.parse("**")));
        await().untilAsserted(() -> assertThat(engine.stats().subscriptions()).isEqualTo(1));
        engine.offer(Batch.of(set("a/x", "1"), set("a/y", "1")).atSeq(3));
        // the upstream answered a resume with a snapshot at 20: a/x deleted, a/z added meanwhile
        engine.offer(Batch.rebase(20, List.of(Change.delete(TreePath.parse("a/x")), set("a/z", "3"))));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(live.lastSeq).isEqualTo(20));
        assertThat(live.values()).containsExactlyInAnyOrderEntriesOf(Map.of("a/y", "1", "a/z", "3"));

        // a client that was at 3 (this follower's state before the rebase) is taken to 20 exactly by the ring
        Recorder fromBefore = subscribe(SubscribeOptions.of(PathPattern.parse("**")).withResumeAfter(3));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(fromBefore.lastSeq).isEqualTo(20));
        assertThat(fromBefore.events()).extracting(Recorder.Ev::kind).containsExactly(EventKind.UPDATE);

        // a client at 12 (it came from another follower) holds a state this one never had: RESET + snapshot
        Recorder fromGap = subscribe(SubscribeOptions.of(PathPattern.parse("**")).withResumeAfter(12));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(fromGap.snapshotDone).as("fromGap.snapshotDone").isTrue());
        assertThat(fromGap.events().get(0).kind()).isEqualTo(EventKind.RESET);
        assertThat(fromGap.values()).containsExactlyInAnyOrderEntriesOf(Map.of("a/y", "1", "a/z", "3"));

        // an empty rebase only moves the seq
        engine.offer(Batch.rebase(30, List.of()));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engine.currentSeq()).isEqualTo(30));
        Recorder at30 = subscribe(SubscribeOptions.of(PathPattern.parse("**")).withResumeAfter(30));
        engine.offer(Batch.of(set("a/y", "4")).atSeq(31));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(at30.lastSeq).isEqualTo(31));
        assertThat(at30.events()).extracting(Recorder.Ev::seq).containsExactly(31L);
    }

    @Test
    void aFollowerRefusesLocalWritesAndSeqsThatAreNotAboveItsOwn() throws Exception {
        engine = Engine.start(EngineConfig.builder().follower(true).build());
        Ack local = new Ack();
        engine.offer(Batch.of(set("a/x", "1")), AckMode.APPLIED, local);
        assertThat(local.error.get(5, TimeUnit.SECONDS)).isEqualTo("UNAVAILABLE: this engine follows an upstream (an edge node): "
                + "send writes to the core, whose seq it keeps");

        Ack first = new Ack();
        engine.offer(Batch.of(set("a/x", "1")).atSeq(4), AckMode.APPLIED, first);
        assertThat(first.seq.get(5, TimeUnit.SECONDS)).isEqualTo(4);
        Ack again = new Ack();
        engine.offer(Batch.of(set("a/x", "2")).atSeq(4), AckMode.APPLIED, again);
        assertThat(again.error.get(5, TimeUnit.SECONDS)).isEqualTo("INVALID_REQUEST: upstream seq 4 is not above this follower's "
                + "seq 4: batches must arrive in the upstream's order, each once");
        Ack durable = new Ack();
        engine.offer(Batch.of(set("a/x", "3")).atSeq(5), AckMode.DURABLE, durable);
        assertThat(durable.error.get(5, TimeUnit.SECONDS)).startsWith("UNAVAILABLE: durability is off");
        assertThat(engine.get(PathPattern.parse("a/x")).get(5, TimeUnit.SECONDS).leaves())
                .extracting(l -> new String(l.value())).containsExactly("1");
    }

    @Test
    void anEngineThatIsNotAFollowerRefusesBatchesCarryingAnUpstreamSeq() throws Exception {
        engine = Engine.start(EngineConfig.builder().build());
        Ack ack = new Ack();
        engine.offer(Batch.of(set("a/x", "1")).atSeq(7), AckMode.APPLIED, ack);
        assertThat(ack.error.get(5, TimeUnit.SECONDS)).isEqualTo("INVALID_REQUEST: batch carries upstream seq 7 but this engine "
                + "is not a follower: offer it without atSeq");
        assertThat(engine.currentSeq()).isZero();
    }

    @Test
    void aFollowerCannotHaveAJournal() {
        Journal journal = new Journal() {
            public long recover(LeafVisitor into) { return 0; }
            public void start(JournalFeed feed) { }
            public boolean healthy() { return true; }
            public void close() { }
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> EngineConfig.builder().follower(true).journal(journal).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("engine setting follower cannot have a journal: the upstream keeps the durable copy");
    }

    private static final class Ack implements AckListener {
        final CompletableFuture<Long> seq = new CompletableFuture<>();
        final CompletableFuture<String> error = new CompletableFuture<>();

        @Override
        public void onAck(long s) {
            seq.complete(s);
            error.complete(null);
        }

        @Override
        public void onError(ErrorCode code, String message) {
            error.complete(code + ": " + message);
            seq.complete(-1L);
        }
    }
}
