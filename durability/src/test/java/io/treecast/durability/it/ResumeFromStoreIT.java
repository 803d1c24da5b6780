package io.treecast.durability.it;

import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.EventKind;
import io.treecast.fastpath.EventView;
import io.treecast.fastpath.Leaf;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.SubscribeOptions;
import io.treecast.proto.Value;
import io.treecast.testrules.PerLeafView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A subscriber whose resume point left the replay ring is caught up from the Kafka Streams store (real broker,
 * real journal): RESET, a snapshot from the store brought up to date with the ring, then exactly the later events.
 */
class ResumeFromStoreIT {
    @RegisterExtension
    static final BrokerPerClass broker = new BrokerPerClass();

    /** Copies every event out of the engine's flyweight and rebuilds the state by the per-leaf rule. */
    private static final class Events implements EventHandler {
        record Ev(EventKind kind, long seq, int size) {
        }

        final List<Ev> events = new ArrayList<>();
        /** value@seq per path */
        final PerLeafView<String, String> state = new PerLeafView<>();
        volatile boolean snapshotDone;
        volatile ErrorCode end;

        @Override
        public synchronized void onEvent(EventView e) {
            events.add(new Ev(e.kind(), e.seq(), e.size()));
            if (e.kind() == EventKind.RESET) {
                state.reset();
            }
            for (int i = 0; i < e.size(); i++) {
                state.apply(Stack.text(e.path(i)), e.changeSeq(i), e.isDelete(i) ? null : value(e.value(i)) + "@" + e.changeSeq(i));
            }
            if (e.kind() == EventKind.SNAPSHOT_END) {
                snapshotDone = true;
            }
        }

        @Override
        public void onEnd(ErrorCode code, String message, long lastSeq) {
            end = code;
        }

        synchronized Map<String, String> state() {
            return new TreeMap<>(state.values());
        }

        synchronized List<Ev> events() {
            return new ArrayList<>(events);
        }

        private static String value(byte[] v) {
            try {
                return Value.parseFrom(v).getStringValue();
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static Map<String, String> engineState(Stack stack) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (Leaf l : stack.engine.get(PathPattern.parse("m/**")).get(30, TimeUnit.SECONDS).leaves()) {
            out.put(Stack.text(l.path()), Value.parseFrom(l.value()).getStringValue() + "@" + l.seq());
        }
        return out;
    }

    @Test
    void resumeOlderThanTheRingGetsTheStoresSnapshotThenExactlyTheLaterEvents(@TempDir Path dataDir) throws Exception {
        try (Stack stack = Stack.start(broker.kafka().bootstrapServers(), "resume",
                d -> d.stateStore(true).dataDir(dataDir), e -> e.replayRingCapacity(256))) {
            for (int i = 0; i < 2_000; i++) {
                if (i % 7 == 3) {
                    stack.delete("m/" + (i % 50) + "/v");
                } else {
                    stack.set("m/" + (i % 50) + "/v", "a" + i);
                }
                if (i % 100 == 0) {
                    stack.set("other/" + i, "unmatched");
                }
            }
            long written = stack.engine.currentSeq();
            assertThat(stack.durability.treeState().awaitComplete(written, Duration.ofSeconds(90)))
                    .as("the store caught up with seq %d", written).isTrue();

            Events events = new Events();
            stack.engine.subscribe(SubscribeOptions.of(PathPattern.parse("m/**")).withResumeAfter(10), events)
                    .request(Long.MAX_VALUE);
            List<Long> laterSeqs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                laterSeqs.add(stack.set("m/" + (i % 60) + "/v", "b" + i));
            }
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(events.snapshotDone).as("events.snapshotDone").isTrue());
            for (int i = 0; i < 50; i++) {
                laterSeqs.add(stack.set("m/" + (i % 60) + "/w", "c" + i));
            }
            long last = stack.engine.currentSeq();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(engineState(stack)).isEqualTo(events.state()));

            assertThat(events.end).isNull();
            assertThat(stack.durability.treeState().snapshotsServed()).as("the store was asked once").isEqualTo(1);
            assertThat(stack.engine.stats().resumesFromStore()).as("and its snapshot was used").isEqualTo(1);
            List<Events.Ev> evs = events.events();
            assertThat(evs.get(0).kind()).isEqualTo(EventKind.RESET);
            int endAt = 0;
            while (evs.get(endAt).kind() != EventKind.SNAPSHOT_END) {
                endAt++;
            }
            long p = evs.get(endAt).seq();
            assertThat(p).isGreaterThanOrEqualTo(written);
            List<Long> updates = new ArrayList<>();
            for (Events.Ev e : evs.subList(endAt + 1, evs.size())) {
                assertThat(e.kind()).isEqualTo(EventKind.UPDATE);
                updates.add(e.seq());
            }
            // every matching batch after P exactly once, in seq order: no gap, no duplicate
            assertThat(updates).containsExactlyElementsOf(laterSeqs.stream().filter(s -> s > p).toList());
            assertThat(updates).last().isEqualTo(last);
        }
    }
}
