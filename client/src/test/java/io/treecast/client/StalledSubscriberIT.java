package io.treecast.client;

import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A STRICT subscriber that asks for no outbox, over the network with the server's defaults, stops reading while a
 * second's worth of a 50,000/s firehose is published (more than the 16,384 events such a subscriber got before the
 * outbox was sized in bytes), then reads again: it was not ended, and it gets every change, in order.
 */
@ExtendWith(NoLeaks.class)
class StalledSubscriberIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int CHANGES = 50_000;

    @Test
    void aStrictSubscriberWithTheDefaultOutboxThatStopsReadingForASecondOfAFirehoseMissesNothing() {
        TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false")
                .build(), null);
        try (TreecastClient subscriber = TreecastClient.connect(server.tcpUri());
             TreecastClient publisher = TreecastClient.connect(server.tcpUri())) {
            // one event per frame: the RSocket demand is exactly this reader's, so nothing is read ahead for it
            StalledReader reader = new StalledReader();
            subscriber.reactive().subscribe(SubscribeSpec.pattern("stall/**").policy(Policy.STRICT).eventsPerFrame(1))
                    .subscribe(reader);
            List<TreeEvent> got = reader.got;
            AtomicReference<Throwable> ended = reader.end;
            // live once a publish made after the subscribe arrives
            await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
                publisher.publish(b -> b.set("stall/first", 0L));
                assertThat(got).isNotEmpty();
            });
            long firstSeq = got.get(0).seq();
            for (int i = 1; i <= CHANGES; i++) {
                long v = i;
                publisher.publish(b -> b.set("stall/k" + (v % 1000), v));
            }
            long last = publisher.set("stall/last", 1L); // answered once applied: every publish before it was applied too
            assertThat(ended.get()).as("the stalled subscriber was not ended").isNull();

            reader.resume();
            long lastSeq = last;
            await().atMost(WAIT).until(() -> ended.get() != null || got.get(got.size() - 1).seq() >= lastSeq);
            assertThat(ended.get()).isNull();
            // one publisher, one change per batch: the firehose and the last set have consecutive seqs, every one arrived
            List<TreeEvent> after = got.subList(got.size() - (CHANGES + 1), got.size());
            assertThat(after).as("the firehose, in order, none lost").extracting(TreeEvent::seq)
                    .containsExactlyElementsOf(LongStream.rangeClosed(lastSeq - CHANGES, lastSeq).boxed().toList());
            assertThat(got).extracting(TreeEvent::seq).as("nothing before the firehose lost either").isSorted()
                    .doesNotHaveDuplicates().first().isEqualTo(firstSeq);
            assertThat(server.engine().stats().slowConsumerEnds()).isZero();
        } finally {
            server.close();
        }
    }
}
